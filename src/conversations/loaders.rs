//! Batched look-ups for conversation lists: one query per field per batch, whatever the page.

use std::collections::HashMap;

use async_graphql::dataloader::Loader;

use super::model::MessageRow;
use super::service;
use crate::db::Db;
use crate::ids::ConversationId;

/// The newest message per conversation, read only when a list asks for it. Its keys come from
/// conversations already shown to the viewer, who is one of their people.
pub struct LastMessageLoader(pub Db);

impl Loader<ConversationId> for LastMessageLoader {
    type Value = MessageRow;
    type Error = async_graphql::Error;

    async fn load(
        &self,
        ids: &[ConversationId],
    ) -> Result<HashMap<ConversationId, MessageRow>, Self::Error> {
        Ok(service::last_messages(&self.0, ids.to_vec()).await?)
    }
}
