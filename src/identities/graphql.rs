//! The identity providers' part of the API: the sign-in screen's list, the code exchange after a
//! provider's sign-in, and linking and unlinking providers.

use async_graphql::{Context, Object, Result, SimpleObject};

use super::model::ExternalIdentity;
use super::service;
use crate::accounts::graphql::{AuthPayload, ViewerView, auth_payload};
use crate::graphql::ContextExt;
use crate::graphql::scalars::DateTime;

/// An identity provider the app can offer on its sign-in screen.
#[derive(SimpleObject)]
#[graphql(name = "SignInProvider")]
pub struct SignInProviderView {
    /// In `/auth/{id}/start`.
    pub id: String,
    /// Its name, for the sign-in button.
    pub name: String,
    /// True when this provider vouches for the person's profession (Pro Santé Connect).
    pub verifies_profession: bool,
}

/// A provider linked to the viewer's account.
#[derive(SimpleObject)]
#[graphql(name = "ExternalIdentity")]
pub struct ExternalIdentityView {
    /// The provider's id, as in `signInProviders`.
    pub provider: String,
    /// When it was linked.
    pub linked_at: DateTime,
}

impl From<ExternalIdentity> for ExternalIdentityView {
    fn from(identity: ExternalIdentity) -> Self {
        Self {
            provider: identity.provider,
            linked_at: identity.linked_at.and_utc().into(),
        }
    }
}

/// The viewer's linked providers, for `Viewer.identities`.
pub async fn identities_of(
    ctx: &Context<'_>,
    user_id: &crate::ids::UserId,
) -> Result<Vec<ExternalIdentityView>> {
    Ok(service::identities(ctx.db(), user_id)
        .await?
        .into_iter()
        .map(ExternalIdentityView::from)
        .collect())
}

#[derive(Default)]
pub struct IdentitiesQuery;

#[Object]
impl IdentitiesQuery {
    /// The providers the app may offer on its sign-in screen; the app opens
    /// `/auth/{id}/start?redirect_uri=…` in the system browser for one.
    async fn sign_in_providers(&self, ctx: &Context<'_>) -> Vec<SignInProviderView> {
        ctx.state()
            .identities
            .all()
            .map(|provider| SignInProviderView {
                id: provider.id.clone(),
                name: provider.name.clone(),
                verifies_profession: provider.verifies_profession,
            })
            .collect()
    }
}

#[derive(Default)]
pub struct IdentitiesMutation;

#[Object]
impl IdentitiesMutation {
    /// Exchanges the one-time code the provider callback handed to the app (valid 60 seconds,
    /// once) for a session; any other code is BAD_USER_INPUT on `code`. Counts as a sign-in
    /// call against the caller's address budget.
    async fn complete_external_sign_in(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "The one-time code the provider's sign-in handed the app (valid 60 seconds, once)."
        )]
        code: String,
    ) -> Result<AuthPayload> {
        let state = ctx.state();
        state.passwords.admit(ctx.client())?;
        let tokens = service::complete(&state.db, &state.secret, &code).await?;
        auth_payload(ctx, tokens).await
    }

    /// The URL the app opens to link a provider to the signed-in account; the provider sends
    /// the person back to `redirectUri` with `?linked=` (or `?error=`). An unknown provider is
    /// NOT_FOUND on `provider`, a redirect URI that is not one of the app's BAD_USER_INPUT on
    /// `redirectUri`; when the provider cannot be reached, the URL is the app's own with
    /// `?error=provider_unavailable`.
    async fn start_identity_link(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "A provider from `signInProviders`.")] provider: String,
        #[graphql(
            desc = "Where the provider's answer returns to the app; one of `RELAIS_APP_REDIRECT_URIS`."
        )]
        redirect_uri: String,
    ) -> Result<String> {
        let state = ctx.state();
        let started = service::start(
            &state.db,
            &state.secret,
            &state.identities,
            &provider,
            &redirect_uri,
            Some(ctx.viewer()?),
        )
        .await?;
        Ok(started.unwrap_or_else(|failure| {
            super::http::with_param(&redirect_uri, "error", failure.code())
        }))
    }

    /// Unlinks a provider (NOT_FOUND on `provider` when it is not linked); the profession it
    /// verified is no longer verified. CONFLICT when it is the account's only way in: set a
    /// password first.
    async fn unlink_external_identity(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "A provider linked to the viewer's account.")] provider: String,
    ) -> Result<ViewerView> {
        let viewer = ctx.viewer()?;
        service::unlink(ctx.db(), viewer, &provider).await?;
        Ok(crate::accounts::service::account(ctx.db(), &viewer.user_id)
            .await?
            .into())
    }
}
