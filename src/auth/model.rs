//! Sessions and their tokens.

use chrono::{DateTime, NaiveDateTime, TimeDelta, Utc};
use diesel::prelude::*;
use secrecy::SecretString;

use crate::db::schema::session_tokens;
use crate::ids::{SessionId, UserId};
use crate::text_enum;

/// How long an access token opens the API.
pub const ACCESS_TOKEN_LIFETIME: TimeDelta = TimeDelta::hours(1);
/// How long a refresh token may renew its session.
pub const REFRESH_TOKEN_LIFETIME: TimeDelta = TimeDelta::days(30);

text_enum! {
    /// What a token opens: the API (access) or a new pair of tokens (refresh).
    pub enum TokenKind {
        Access => "ACCESS",
        Refresh => "REFRESH",
    }
}

#[derive(Debug, Insertable)]
#[diesel(table_name = session_tokens)]
pub struct NewSessionToken<'a> {
    pub token_hash: &'a str,
    pub session_id: &'a SessionId,
    pub kind: TokenKind,
    pub expires_at: NaiveDateTime,
}

/// A refresh token as found at exchange time.
#[derive(Debug, Queryable)]
pub struct RefreshTokenState {
    pub session_id: SessionId,
    pub user_id: UserId,
    pub expires_at: NaiveDateTime,
    pub used_at: Option<NaiveDateTime>,
    pub session_revoked_at: Option<NaiveDateTime>,
}

/// The pair of tokens handed to a client, in clear this once (never in `Debug` output).
#[derive(Debug, Clone)]
pub struct IssuedTokens {
    pub user_id: UserId,
    pub session_id: SessionId,
    pub access_token: SecretString,
    pub access_token_expires_at: DateTime<Utc>,
    pub refresh_token: SecretString,
}

/// One of a person's open sessions, as they see it.
#[derive(Debug, Clone, Queryable)]
pub struct SessionSummary {
    pub id: SessionId,
    pub created_at: NaiveDateTime,
    pub last_used_at: Option<NaiveDateTime>,
    pub device: Option<String>,
}

/// Longest device label kept.
pub const DEVICE_LABEL_MAX: usize = 120;
