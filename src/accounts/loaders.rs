//! Batches look-ups of people: one query for every profile a request needs.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dataloader::{DataLoader, Loader};

use super::model::Profile;
use super::service;
use crate::db::Db;
use crate::ids::UserId;

pub struct ProfileLoader {
    db: Db,
    /// Where a websocket connection's look-ups go: the loader every connection shares.
    shared: Option<Arc<DataLoader<ProfileLoader>>>,
}

impl ProfileLoader {
    pub fn new(db: Db) -> Self {
        Self { db, shared: None }
    }

    /// A loader whose batches join those of `shared`: the subscribers one event wakes all ask
    /// for the same people at about the same time, each from their own connection.
    pub fn joining(db: Db, shared: Arc<DataLoader<ProfileLoader>>) -> Self {
        Self {
            db,
            shared: Some(shared),
        }
    }
}

impl Loader<UserId> for ProfileLoader {
    type Value = Profile;
    type Error = async_graphql::Error;

    async fn load(&self, ids: &[UserId]) -> Result<HashMap<UserId, Profile>, Self::Error> {
        if let Some(shared) = &self.shared {
            return shared.load_many(ids.iter().cloned()).await;
        }
        let profiles = service::profiles(&self.db, ids.to_vec()).await?;
        Ok(profiles
            .into_iter()
            .map(|profile| (profile.user.id.clone(), profile))
            .collect())
    }
}
