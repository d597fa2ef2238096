//! The personal-data part of the API.

use async_graphql::{Context, Json, Object, Result};

use super::service;
use crate::graphql::ContextExt;

#[derive(Default)]
pub struct PrivacyQuery;

#[Object]
impl PrivacyQuery {
    /// Everything Relais holds about the viewer, as one JSON document.
    async fn export_my_data(&self, ctx: &Context<'_>) -> Result<Json<serde_json::Value>> {
        let state = ctx.state();
        Ok(Json(
            service::export(&state.db, &state.secret, &state.exports, ctx.viewer()?).await?,
        ))
    }
}

#[derive(Default)]
pub struct PrivacyMutation;

#[Object]
impl PrivacyMutation {
    /// Erases the account and everything personal tied to it.
    async fn delete_account(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The account's password, as a last check.")] password: String,
    ) -> Result<bool> {
        let state = ctx.state();
        service::delete_account(
            &state.db,
            &state.secret,
            &state.passwords,
            ctx.client(),
            ctx.viewer()?,
            password.into(),
        )
        .await?;
        Ok(true)
    }
}
