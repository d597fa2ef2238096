//! Batches look-ups of people: one query for every profile a request needs.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dataloader::{DataLoader, Loader};

use super::model::Profile;
use super::service;
use crate::db::Db;
use crate::ids::UserId;

pub enum ProfileLoader {
    /// Reads the database.
    Database(Db),
    /// Passes its keys on to a loader several executions share (every websocket connection's):
    /// the subscribers one event wakes all ask for the same people at about the same time.
    Joining(Arc<DataLoader<ProfileLoader>>),
}

impl Loader<UserId> for ProfileLoader {
    type Value = Profile;
    type Error = async_graphql::Error;

    async fn load(&self, ids: &[UserId]) -> Result<HashMap<UserId, Profile>, Self::Error> {
        let db = match self {
            Self::Database(db) => db,
            Self::Joining(shared) => return shared.load_many(ids.iter().cloned()).await,
        };
        Ok(service::profiles(db, ids.to_vec()).await?)
    }
}
