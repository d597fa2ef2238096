//! The floor the load benchmark compares GraphQL with (built only with the `bench` feature):
//! the data of `groups(first: 20) { id name memberCount viewerMembership { role } }` from the same
//! service calls, as plain JSON over a plain route.

use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::{Value, json};

use super::model::GroupSearch;
use super::service;
use crate::db::Db;
use crate::error::AppResult;
use crate::graphql::SharedState;
use crate::http::answer;
use crate::ids::UserId;
use crate::pagination::PageRequest;

/// The first 20 groups with their member counts and `viewer`'s membership: the calls the
/// GraphQL page makes (the search, then one batch per field).
pub async fn first_page(db: &Db, viewer: UserId) -> AppResult<Value> {
    let page = service::search(
        db,
        GroupSearch::default(),
        PageRequest::new(Some(20), None)?,
    )
    .await?;
    let ids: Vec<_> = page
        .items
        .iter()
        .map(|group| group.row.id.clone())
        .collect();
    let counts = service::member_counts(db, ids.clone()).await?;
    let memberships = service::memberships_of(db, viewer, ids).await?;
    let edges: Vec<Value> = page
        .items
        .iter()
        .map(|group| {
            let role = memberships
                .iter()
                .find(|membership| membership.group_id == group.row.id)
                .map(|membership| json!({ "role": membership.role.as_str() }));
            json!({
                "id": group.row.id,
                "name": group.row.name,
                "memberCount": counts.get(&group.row.id).copied().unwrap_or(0),
                "viewerMembership": role,
            })
        })
        .collect();
    Ok(json!({ "groups": edges }))
}

/// `GET /bench/groups`: [`first_page`] for the bearer token's holder.
pub async fn groups_page(request: HttpRequest, state: web::Data<SharedState>) -> HttpResponse {
    answer(&state, &request, |state, auth, _| async move {
        let viewer = auth.viewer()?.user_id.clone();
        Ok(HttpResponse::Ok().json(first_page(&state.db, viewer).await?))
    })
    .await
}
