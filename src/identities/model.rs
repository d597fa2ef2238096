//! Identities as stored, sign-ins under way, and why one failed.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::{external_identities, external_sign_in_codes, sign_in_flows};
use crate::ids::UserId;

/// How long a person has to finish signing in at the provider.
pub const FLOW_VALID: chrono::TimeDelta = chrono::TimeDelta::minutes(10);
/// How long the app has to exchange the code it was sent back with.
pub const CODE_VALID: chrono::TimeDelta = chrono::TimeDelta::seconds(60);

/// A provider's subject, linked to an account.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = external_identities)]
pub struct ExternalIdentity {
    pub provider: String,
    pub subject: String,
    pub user_id: UserId,
    pub linked_at: NaiveDateTime,
    pub last_sign_in_at: Option<NaiveDateTime>,
}

/// A sign-in under way: what must come back from the provider, and where the app waits.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = sign_in_flows)]
pub struct SignInFlow {
    pub state_hash: String,
    pub provider: String,
    pub redirect_uri: String,
    pub pkce_verifier: String,
    pub nonce: String,
    /// The account to link the identity to; none: sign in with it.
    pub link_user_id: Option<UserId>,
    pub expires_at: NaiveDateTime,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = external_sign_in_codes)]
pub struct NewSignInCode {
    pub code_hash: String,
    pub user_id: UserId,
    pub expires_at: NaiveDateTime,
}

/// Why a sign-in through a provider ended without one, as the app is told in `?error=`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignInFailure {
    /// The provider could not be reached, or answered nonsense.
    ProviderUnavailable,
    /// The provider said no (the person cancelled, or the code was refused).
    ProviderRefused,
    /// The sign-in is unknown, used or too old: start again.
    InvalidState,
    /// The provider's ID token failed a check (signature, issuer, audience, expiry, nonce).
    InvalidToken,
    /// A first sign-in needs the provider to give an e-mail address.
    EmailRequired,
    /// An account has the provider's address: sign in to it, then link the provider.
    AccountExists,
    /// This identity is linked to another account, or this account has another at the provider.
    IdentityInUse,
    /// The server's own settings for the provider do not work.
    Misconfigured,
}

impl SignInFailure {
    /// The code the app reads in `?error=`.
    pub fn code(self) -> &'static str {
        match self {
            Self::ProviderUnavailable => "provider_unavailable",
            Self::ProviderRefused => "provider_refused",
            Self::InvalidState => "invalid_state",
            Self::InvalidToken => "invalid_token",
            Self::EmailRequired => "email_required",
            Self::AccountExists => "account_exists",
            Self::IdentityInUse => "identity_in_use",
            Self::Misconfigured => "server_error",
        }
    }
}
