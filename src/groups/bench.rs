//! The floor the load benchmark compares GraphQL with (built only with the `bench` feature):
//! the data of `groups(first: 20) { id name memberCount viewerMembership { role } }` from the same
//! service calls, as plain JSON over a plain route.

use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::{Value, json};

use super::model::{FiguresWanted, GroupSearch};
use super::service;
use crate::db::Db;
use crate::error::AppResult;
use crate::graphql::SharedState;
use crate::http::answer;
use crate::ids::UserId;
use crate::pagination::PageRequest;

/// The first 20 groups with their member counts and `viewer`'s membership: the call the GraphQL
/// page makes (the search, with the figures its selection asks for).
pub async fn first_page(db: &Db, viewer: UserId) -> AppResult<Value> {
    let wanted = FiguresWanted {
        memberships_of: Some(viewer),
    };
    let (page, figures) = service::search(
        db,
        GroupSearch::default(),
        PageRequest::new(Some(20), None)?,
        wanted,
    )
    .await?;
    let edges: Vec<Value> = page
        .items
        .iter()
        .map(|group| {
            let id = &group.row.id;
            let role = figures
                .memberships
                .as_ref()
                .and_then(|memberships| memberships.get(id))
                .map(|membership| json!({ "role": membership.role.as_str() }));
            json!({
                "id": id,
                "name": group.row.name,
                "memberCount": group.row.active_members,
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
