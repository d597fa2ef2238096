//! Batched look-ups for group pages: one query per field per batch, whatever the page size.

use std::collections::HashMap;

use async_graphql::dataloader::Loader;

use super::model::{Group, Membership, VisiblePost};
use super::service;
use crate::db::Db;
use crate::ids::{GroupId, PostId, UserId};
use crate::pagination::Page;

pub struct GroupLoader(pub Db);

impl Loader<GroupId> for GroupLoader {
    type Value = Group;
    type Error = async_graphql::Error;

    async fn load(&self, ids: &[GroupId]) -> Result<HashMap<GroupId, Group>, Self::Error> {
        let groups = service::groups(&self.0, ids.to_vec()).await?;
        Ok(groups
            .into_iter()
            .map(|group| (group.row.id.clone(), group))
            .collect())
    }
}

/// The requesting viewer's membership per group (created per request, for that viewer).
pub struct ViewerMembershipLoader {
    pub db: Db,
    pub viewer: Option<UserId>,
}

impl Loader<GroupId> for ViewerMembershipLoader {
    type Value = Membership;
    type Error = async_graphql::Error;

    async fn load(&self, ids: &[GroupId]) -> Result<HashMap<GroupId, Membership>, Self::Error> {
        let Some(viewer) = &self.viewer else {
            return Ok(HashMap::new());
        };
        let memberships = service::memberships_of(&self.db, viewer.clone(), ids.to_vec()).await?;
        Ok(memberships
            .into_iter()
            .map(|membership| (membership.group_id.clone(), membership))
            .collect())
    }
}

/// The first page of posts of each group, by page size, as the requesting viewer may read it
/// (created per request); a group whose posts they may not read has none.
pub struct FirstPostsLoader {
    pub db: Db,
    pub viewer: Option<UserId>,
}

impl Loader<(GroupId, usize)> for FirstPostsLoader {
    type Value = Page<VisiblePost>;
    type Error = async_graphql::Error;

    async fn load(
        &self,
        keys: &[(GroupId, usize)],
    ) -> Result<HashMap<(GroupId, usize), Page<VisiblePost>>, Self::Error> {
        let Some(viewer) = &self.viewer else {
            return Ok(HashMap::new());
        };
        let mut found = HashMap::new();
        let sizes: std::collections::BTreeSet<usize> = keys.iter().map(|(_, size)| *size).collect();
        for size in sizes {
            let groups = keys
                .iter()
                .filter(|(_, wanted)| *wanted == size)
                .map(|(group, _)| group.clone())
                .collect();
            for (group, page) in
                service::first_pages(&self.db, viewer.clone(), groups, size).await?
            {
                found.insert((group, size), page);
            }
        }
        Ok(found)
    }
}

/// Replies per post.
pub struct ReplyCountLoader(pub Db);

impl Loader<PostId> for ReplyCountLoader {
    type Value = i64;
    type Error = async_graphql::Error;

    async fn load(&self, ids: &[PostId]) -> Result<HashMap<PostId, i64>, Self::Error> {
        Ok(service::reply_counts(&self.0, ids.to_vec()).await?)
    }
}

/// Posts as each viewer may see them, for the subscribers a new post wakes at once.
pub struct PostsForViewersLoader(pub Db);

impl Loader<(PostId, UserId)> for PostsForViewersLoader {
    type Value = VisiblePost;
    type Error = async_graphql::Error;

    async fn load(
        &self,
        wanted: &[(PostId, UserId)],
    ) -> Result<HashMap<(PostId, UserId), VisiblePost>, Self::Error> {
        Ok(service::posts_for(&self.0, wanted.to_vec()).await?)
    }
}
