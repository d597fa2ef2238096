//! The accounts part of the API: `me`, `user`, registration, sessions and profile changes.

use async_graphql::dataloader::DataLoader;
use async_graphql::{Context, ID, InputObject, MaybeUndefined, Object, Result, SimpleObject};

use super::loaders::ProfileLoader;
use super::model::{
    Account, Consent, ConsentPurpose, Patch, Profession, Profile, ProfileForm, RegistrationForm,
    Role,
};
use super::service;
use crate::auth::model::IssuedTokens;
use crate::auth::service as sessions;
use crate::graphql::ContextExt;
use crate::graphql::scalars::DateTime;
use crate::http::UserAgent;
use crate::i18n::{self, Localized};
use crate::ids::{SessionId, UserId};
use secrecy::ExposeSecret;

/// Public face of a person: what other members may see.
#[derive(SimpleObject)]
#[graphql(name = "User")]
pub struct UserView {
    /// The person's id.
    pub id: ID,
    /// How others see them.
    pub display_name: String,
    /// Their profession.
    pub profession: Profession,
    /// Languages they speak.
    pub languages: Vec<String>,
    /// Where they work; null when not said.
    pub region: Option<String>,
    /// What the person says of themselves, at most 1,000 characters.
    pub bio: Option<String>,
    /// True when a provider that verifies professions vouched for this person's profession.
    pub verified_professional: bool,
}

impl UserView {
    /// Stands for a person who erased their account where the contract needs someone (the
    /// organiser of a past workshop): no id of theirs, no name.
    pub fn erased() -> Self {
        Self {
            id: ID::from(uuid::Uuid::nil().to_string()),
            display_name: i18n::Message::ErasedAccount.render(i18n::current()),
            profession: Profession::Other,
            languages: Vec::new(),
            region: None,
            bio: None,
            verified_professional: false,
        }
    }
}

/// A person's public profile, through the request's batching loader.
pub async fn user_view(ctx: &Context<'_>, id: &UserId) -> Result<Option<UserView>> {
    let loader = ctx.data_unchecked::<DataLoader<ProfileLoader>>();
    Ok(loader.load_one(id.clone()).await?.map(UserView::from))
}

impl From<Profile> for UserView {
    fn from(profile: Profile) -> Self {
        Self {
            id: profile.user.id.into(),
            display_name: profile.user.display_name,
            profession: profile.user.profession,
            languages: profile.languages,
            region: profile.user.region,
            bio: profile.user.bio,
            verified_professional: profile.user.profession_verified_by.is_some(),
        }
    }
}

/// The signed-in person, with the private fields only they see.
#[derive(SimpleObject)]
#[graphql(name = "Viewer", complex)]
pub struct ViewerView {
    /// The person as others see them.
    pub user: UserView,
    /// The account's address.
    pub email: String,
    /// What the person may do beyond a member's.
    pub roles: Vec<Role>,
    /// The app's language.
    pub locale: String,
    /// Their IANA time zone.
    pub timezone: String,
    /// Private to the viewer, who alone sees it. Matching keeps apart only workplaces an
    /// identity provider verified.
    pub workplace: Option<String>,
    /// Whether the viewer confirmed their address with the code mailed to it.
    pub email_verified: bool,
    /// The consents given, read once for `consents` and `consentsNeeded` together.
    #[graphql(skip)]
    pub given: tokio::sync::OnceCell<Vec<Consent>>,
}

impl ViewerView {
    /// The viewer's consents, read on first use.
    async fn given_consents(&self, ctx: &Context<'_>) -> Result<&[Consent]> {
        let user_id = UserId::from(self.user.id.clone());
        let given = self
            .given
            .get_or_try_init(|| service::consents(ctx.db(), &user_id))
            .await?;
        Ok(given)
    }
}

/// A consent the viewer gave: to which version of the text, when.
#[derive(SimpleObject)]
#[graphql(name = "Consent")]
pub struct ConsentView {
    /// What the person agreed to.
    pub purpose: ConsentPurpose,
    /// The version of the text they agreed to.
    pub version: String,
    /// When the person agreed.
    pub given_at: DateTime,
}

impl From<Consent> for ConsentView {
    fn from(consent: Consent) -> Self {
        Self {
            purpose: consent.purpose,
            version: consent.version,
            given_at: consent.given_at.and_utc().into(),
        }
    }
}

#[async_graphql::ComplexObject]
impl ViewerView {
    /// The providers linked to the viewer's account.
    async fn identities(
        &self,
        ctx: &Context<'_>,
    ) -> Result<Vec<crate::identities::graphql::ExternalIdentityView>> {
        crate::identities::graphql::identities_of(ctx, &UserId::from(self.user.id.clone())).await
    }

    /// The consents the viewer gave, current or to an older text.
    async fn consents(&self, ctx: &Context<'_>) -> Result<Vec<ConsentView>> {
        let consents = self.given_consents(ctx).await?;
        Ok(consents.iter().cloned().map(ConsentView::from).collect())
    }

    /// Consents the app must ask for before the features that need them: never given, or given
    /// to an older version of the text (`HEALTH_DATA` before a check-in).
    async fn consents_needed(&self, ctx: &Context<'_>) -> Result<Vec<ConsentPurpose>> {
        let consents = self.given_consents(ctx).await?;
        Ok(service::consents_needed(
            consents,
            &ctx.state().config.consents,
        ))
    }

    /// Secret URL of the viewer's personal calendar feed (ICS) of confirmed workshops.
    async fn calendar_feed_url(&self, ctx: &Context<'_>) -> Result<String> {
        let user_id = UserId::from(self.user.id.clone());
        crate::workshops::graphql::calendar_feed_url(ctx, &user_id).await
    }
}

impl From<Account> for ViewerView {
    fn from(account: Account) -> Self {
        Self {
            email: account.profile.user.email.clone(),
            locale: account.profile.user.locale.clone(),
            timezone: account.profile.user.timezone.clone(),
            roles: account.roles,
            workplace: account.workplace,
            email_verified: account.email_verified,
            given: tokio::sync::OnceCell::new(),
            user: account.profile.into(),
        }
    }
}

/// A new session: a short-lived access token for the `Authorization: Bearer` header and a refresh
/// token that renews it.
#[derive(SimpleObject)]
pub struct AuthPayload {
    /// Sent as `Authorization: Bearer <token>` on HTTP and in the websocket's `connection_init`.
    pub access_token: String,
    /// When the access token stops working; renew it with `refreshSession` a little before.
    pub access_token_expires_at: DateTime,
    /// Single use: `refreshSession` answers a new pair and ends this one. Keep it in the device's
    /// secure storage.
    pub refresh_token: String,
    /// The signed-in person's own account.
    pub viewer: ViewerView,
}

/// A new account.
#[derive(InputObject)]
pub struct RegisterInput {
    /// The address; confirmed with a mailed code.
    pub email: String,
    /// 10 to 256 characters.
    pub password: String,
    /// How others see the person, 1 to 80 characters; no invisible or direction-changing
    /// characters.
    pub display_name: String,
    /// The person's profession (verified only through a provider such as Pro Santé Connect).
    pub profession: Profession,
    /// Languages the person speaks (BCP 47 tags), at most 10; the locale's by default.
    pub languages: Option<Vec<String>>,
    /// Where they work, at most 80 characters.
    pub region: Option<String>,
    /// An IANA time zone (`Europe/Paris` by default).
    pub timezone: Option<String>,
    /// The app's language: `fr` (default) or `en`.
    pub locale: Option<String>,
}

/// Profile changes; absent fields stay as they are.
#[derive(InputObject)]
pub struct UpdateProfileInput {
    /// 1 to 80 characters.
    pub display_name: Option<String>,
    /// Locked once a provider verified it (BAD_USER_INPUT).
    pub profession: Option<Profession>,
    /// BCP 47 tags, at most 10, replacing the list.
    pub languages: Option<Vec<String>>,
    /// Null clears it.
    pub region: MaybeUndefined<String>,
    /// Null clears it.
    pub bio: MaybeUndefined<String>,
    /// An IANA time zone.
    pub timezone: Option<String>,
    /// `fr` or `en`.
    pub locale: Option<String>,
    /// Private: never shown to others. Null clears it.
    pub workplace: MaybeUndefined<String>,
}

fn patch(value: MaybeUndefined<String>) -> Patch<String> {
    match value {
        MaybeUndefined::Undefined => Patch::Keep,
        MaybeUndefined::Null => Patch::Clear,
        MaybeUndefined::Value(value) => Patch::Set(value),
    }
}

/// Turns freshly issued tokens into the payload, with the account they open.
/// The answer to a sign-in or a refresh; the session is noted as used, from this device.
pub async fn auth_payload(ctx: &Context<'_>, tokens: IssuedTokens) -> Result<AuthPayload> {
    let device = ctx.data_opt::<UserAgent>().map(|agent| agent.0.clone());
    sessions::session_used(ctx.db(), &tokens.session_id, device).await?;
    let account = service::account(ctx.db(), &tokens.user_id).await?;
    Ok(AuthPayload {
        access_token: tokens.access_token.expose_secret().to_owned(),
        access_token_expires_at: tokens.access_token_expires_at.into(),
        refresh_token: tokens.refresh_token.expose_secret().to_owned(),
        viewer: account.into(),
    })
}

crate::connection_type!(UserConnection, UserEdge, UserView);

/// One signed-in session (a device or browser).
#[derive(SimpleObject)]
#[graphql(name = "Session")]
pub struct SessionView {
    /// The session's id, for `revokeSession`.
    pub id: ID,
    /// When it signed in.
    pub created_at: DateTime,
    /// When it last renewed its access token.
    pub last_used_at: Option<DateTime>,
    /// A label for the device, from the app's user agent.
    pub device: Option<String>,
    /// True for the session making this request.
    pub current: bool,
}

#[derive(Default)]
pub struct AccountsQuery;

#[Object]
impl AccountsQuery {
    /// The viewer's open sessions, the most recently used first.
    async fn my_sessions(&self, ctx: &Context<'_>) -> Result<Vec<SessionView>> {
        let viewer = ctx.viewer()?;
        let sessions = sessions::my_sessions(ctx.db(), viewer).await?;
        Ok(sessions
            .into_iter()
            .map(|session| SessionView {
                current: session.id == viewer.session_id,
                id: ID(session.id.to_string()),
                created_at: session.created_at.and_utc().into(),
                last_used_at: session.last_used_at.map(|at| at.and_utc().into()),
                device: session.device,
            })
            .collect())
    }

    /// The signed-in person, or null.
    async fn me(&self, ctx: &Context<'_>) -> Result<Option<ViewerView>> {
        let Some(viewer) = ctx.auth().optional_viewer()? else {
            return Ok(None);
        };
        Ok(Some(
            service::account(ctx.db(), &viewer.user_id).await?.into(),
        ))
    }

    /// A person's public profile. Signed-in callers only.
    async fn user(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The person's id.")] id: ID,
    ) -> Result<Option<UserView>> {
        ctx.viewer()?;
        user_view(ctx, &UserId::from(id)).await
    }
}

#[derive(Default)]
pub struct AccountsMutation;

#[Object]
impl AccountsMutation {
    /// Creates an account and signs it in. The address gets a confirmation code; until it is
    /// confirmed some actions are refused (see the README). An address already in use answers as a
    /// new one would, and its owner is told by mail.
    async fn register(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new account.")] input: RegisterInput,
    ) -> Result<AuthPayload> {
        let form = RegistrationForm {
            email: input.email,
            password: input.password.into(),
            display_name: input.display_name,
            profession: input.profession,
            languages: input.languages,
            region: input.region,
            timezone: input.timezone,
            locale: input.locale,
        };
        let state = ctx.state();
        let tokens = service::register(
            &state.db,
            &state.secret,
            &state.passwords,
            ctx.client(),
            form,
            i18n::current(),
        )
        .await?;
        auth_payload(ctx, tokens).await
    }

    /// Signs in with an address and a password: a new session. A wrong pair is UNAUTHENTICATED,
    /// whichever was wrong; repeated failures slow down (RATE_LIMITED).
    async fn login(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The account's address, whatever its case.")] email: String,
        #[graphql(desc = "The account's password.")] password: String,
    ) -> Result<AuthPayload> {
        let state = ctx.state();
        let tokens = service::login(
            &state.db,
            &state.secret,
            &state.passwords,
            ctx.client(),
            &email,
            password.into(),
        )
        .await?;
        auth_payload(ctx, tokens).await
    }

    /// Changes the viewer's password (same rules as registration); every other session ends and
    /// a notice is mailed. A wrong current password is BAD_USER_INPUT on `currentPassword`.
    async fn change_password(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "The password in use (a wrong one: BAD_USER_INPUT on it, counted against sign-ins)."
        )]
        current_password: String,
        #[graphql(desc = "10 to 256 characters.")] new_password: String,
    ) -> Result<bool> {
        let state = ctx.state();
        Ok(service::change_password(
            &state.db,
            &state.passwords,
            ctx.client(),
            ctx.viewer()?,
            current_password.into(),
            new_password.into(),
        )
        .await?)
    }

    /// Mails a link to choose a new password, valid 30 minutes, when an account has this
    /// address. Always true, in the same time either way: the answer says nothing of accounts.
    async fn request_password_reset(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "The account's address. The answer is the same whether it exists or not."
        )]
        email: String,
    ) -> Result<bool> {
        let state = ctx.state();
        Ok(service::request_password_reset(
            &state.db,
            &state.secret,
            &state.passwords,
            ctx.client(),
            &email,
        )
        .await?)
    }

    /// Sets a new password with the mailed code and signs in; every other session ends. A used,
    /// expired or unknown code is BAD_USER_INPUT on `token`.
    async fn reset_password(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The code mailed by `requestPasswordReset`; used once.")] token: String,
        #[graphql(desc = "10 to 256 characters.")] new_password: String,
    ) -> Result<AuthPayload> {
        let state = ctx.state();
        let tokens = service::reset_password(
            &state.db,
            &state.secret,
            &state.passwords,
            ctx.client(),
            &token,
            new_password.into(),
        )
        .await?;
        auth_payload(ctx, tokens).await
    }

    /// Ends one of the viewer's sessions (another device's, or this one): its tokens stop working
    /// and its websockets close. Another person's, or an unknown one, is NOT_FOUND.
    async fn revoke_session(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "One of the viewer's sessions, from `mySessions`.")] id: ID,
    ) -> Result<bool> {
        let id = SessionId::from_client(id.to_string());
        Ok(sessions::revoke_session(ctx.db(), ctx.viewer()?, id).await?)
    }

    /// Rotates the refresh token: the old one stops working.
    async fn refresh_session(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The session's refresh token; used once.")] refresh_token: String,
    ) -> Result<AuthPayload> {
        let state = ctx.state();
        state.passwords.admit(ctx.client())?;
        let tokens = sessions::refresh(&state.db, &state.secret, &refresh_token).await?;
        auth_payload(ctx, tokens).await
    }

    /// Ends the current session: its access and refresh tokens stop working.
    async fn logout(&self, ctx: &Context<'_>) -> Result<bool> {
        sessions::sign_out(ctx.db(), ctx.viewer()?).await?;
        Ok(true)
    }

    /// Confirms the viewer's address with the code (or the link's token) mailed to it. A code
    /// that is not the viewer's, used, expired or unknown is BAD_USER_INPUT on `token`.
    async fn confirm_email(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The code mailed to the address (to confirm it, or a new one).")]
        token: String,
    ) -> Result<ViewerView> {
        let state = ctx.state();
        Ok(
            service::confirm_email(&state.db, &state.secret, ctx.viewer()?, &token)
                .await?
                .into(),
        )
    }

    /// Asks to move the viewer's account to `newEmail`, after checking their password (a wrong
    /// one is BAD_USER_INPUT on `password`): a code goes to the new address (confirm it with
    /// `confirmEmail`), a notice to the current one, and the address changes only on
    /// confirmation. True whether or not another account has that address; it is refused
    /// (CONFLICT) only at confirmation. At most 3 an hour: RATE_LIMITED after.
    async fn request_email_change(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The address to move to; it gets a confirmation code.")] new_email: String,
        #[graphql(desc = "The account's password.")] password: String,
    ) -> Result<bool> {
        let state = ctx.state();
        Ok(service::request_email_change(
            &state.db,
            &state.secret,
            &state.passwords,
            ctx.client(),
            ctx.viewer()?,
            &new_email,
            password.into(),
        )
        .await?)
    }

    /// Records the viewer's agreement to the current version of a text (`version` as the app
    /// showed it; another than the current one is BAD_USER_INPUT on `version`).
    async fn give_consent(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What the viewer agrees to.")] purpose: ConsentPurpose,
        #[graphql(desc = "The current version of its text (another one: BAD_USER_INPUT).")]
        version: String,
    ) -> Result<ViewerView> {
        let state = ctx.state();
        Ok(service::give_consent(
            &state.db,
            ctx.viewer()?,
            &state.config.consents,
            purpose,
            &version,
        )
        .await?
        .into())
    }

    /// Withdraws a consent. Withdrawing `HEALTH_DATA` deletes every check-in of the viewer at
    /// once (the app says so before they confirm); check-ins need it given again.
    async fn withdraw_consent(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "What the viewer no longer agrees to; HEALTH_DATA also deletes their check-ins."
        )]
        purpose: ConsentPurpose,
    ) -> Result<ViewerView> {
        let state = ctx.state();
        let viewer = ctx.viewer()?;
        let account = match purpose {
            // What was processed under it goes with it: the check-ins domain does both at once.
            ConsentPurpose::HealthData => {
                crate::checkins::service::withdraw_consent(&state.db, &state.secret, viewer)
                    .await?;
                service::account(&state.db, &viewer.user_id).await?
            }
            ConsentPurpose::Terms => service::withdraw_consent(&state.db, viewer, purpose).await?,
        };
        Ok(account.into())
    }

    /// Mails the viewer a new confirmation code; false when the address is already confirmed.
    /// At most 3 an hour (registration's included): RATE_LIMITED after.
    async fn resend_email_confirmation(&self, ctx: &Context<'_>) -> Result<bool> {
        let state = ctx.state();
        Ok(service::resend_email_confirmation(&state.db, &state.secret, ctx.viewer()?).await?)
    }

    /// Changes the viewer's profile; absent fields stay as they are.
    async fn update_profile(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What changes.")] input: UpdateProfileInput,
    ) -> Result<ViewerView> {
        let form = ProfileForm {
            display_name: input.display_name,
            profession: input.profession,
            languages: input.languages,
            region: patch(input.region),
            bio: patch(input.bio),
            timezone: input.timezone,
            locale: input.locale,
            workplace: patch(input.workplace),
        };
        Ok(service::update_profile(ctx.db(), ctx.viewer()?, form)
            .await?
            .into())
    }
}
