//! Batches look-ups of people: one query for every profile a request needs.

use std::collections::HashMap;

use async_graphql::dataloader::Loader;

use super::model::Profile;
use super::service;
use crate::db::Db;
use crate::ids::UserId;

pub struct ProfileLoader {
    db: Db,
}

impl ProfileLoader {
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}

impl Loader<UserId> for ProfileLoader {
    type Value = Profile;
    type Error = async_graphql::Error;

    async fn load(&self, ids: &[UserId]) -> Result<HashMap<UserId, Profile>, Self::Error> {
        let profiles = service::profiles(&self.db, ids.to_vec()).await?;
        Ok(profiles
            .into_iter()
            .map(|profile| (profile.user.id.clone(), profile))
            .collect())
    }
}
