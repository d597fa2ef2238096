//! The personal-data part of the API.

use async_graphql::{Context, Object, Result};

use super::service;
use crate::graphql::ContextExt;

#[derive(Default)]
pub struct PrivacyMutation;

#[Object]
impl PrivacyMutation {
    /// Erases the account and everything personal tied to it.
    async fn delete_account(&self, ctx: &Context<'_>, password: String) -> Result<bool> {
        let state = ctx.state();
        service::delete_account(
            &state.db,
            &state.passwords,
            ctx.client(),
            ctx.viewer()?,
            password.into(),
        )
        .await?;
        Ok(true)
    }
}
