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

/// The first 20 groups with their member counts and `viewer`'s membership: the call the GraphQL
/// page makes.
pub async fn first_page(db: &Db, viewer: &UserId) -> AppResult<Value> {
    let page = service::search(
        db,
        viewer,
        GroupSearch::default(),
        PageRequest::new(Some(20), None)?,
    )
    .await?;
    let edges: Vec<Value> = page
        .items
        .iter()
        .map(|(group, membership)| {
            json!({
                "id": group.row.id,
                "name": group.row.name,
                "memberCount": group.row.active_members,
                "viewerMembership": membership
                    .as_ref()
                    .map(|membership| json!({ "role": membership.role.as_str() })),
            })
        })
        .collect();
    Ok(json!({ "groups": edges }))
}

/// `GET /bench/groups`: [`first_page`] for the bearer token's holder.
pub async fn groups_page(request: HttpRequest, state: web::Data<SharedState>) -> HttpResponse {
    answer(&state, &request, |state, auth, _| async move {
        Ok(HttpResponse::Ok().json(first_page(&state.db, &auth.viewer()?.user_id).await?))
    })
    .await
}
