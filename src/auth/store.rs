//! Queries on sessions, tokens and instance settings.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};

use super::model::{NewSessionToken, RefreshTokenState, TokenKind};
use crate::db::DbConnection;
use crate::db::schema::{instance_settings, session_tokens, sessions, users};
use crate::ids::{SessionId, UserId};

/// The stored value of setting `name`, storing `value` first if there is none. Safe when two
/// processes start at once: the loser's insert fails on the key and it reads the winner's value.
pub fn setting_or_insert(
    conn: &mut DbConnection,
    name: &str,
    value: &str,
) -> crate::error::AppResult<String> {
    let inserted = diesel::insert_into(instance_settings::table)
        .values((
            instance_settings::name.eq(name),
            instance_settings::value.eq(value),
        ))
        .execute(conn);
    match inserted {
        Ok(_) | Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => {}
        Err(cause) => return Err(cause.into()),
    }
    Ok(instance_settings::table
        .find(name)
        .select(instance_settings::value)
        .first(conn)?)
}

pub fn insert_session(
    conn: &mut DbConnection,
    id: &SessionId,
    user_id: &UserId,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::insert_into(sessions::table)
        .values((
            sessions::id.eq(id),
            sessions::user_id.eq(user_id),
            sessions::created_at.eq(now),
        ))
        .execute(conn)
        .map(drop)
}

pub fn insert_token(conn: &mut DbConnection, token: &NewSessionToken<'_>) -> QueryResult<()> {
    diesel::insert_into(session_tokens::table)
        .values(token)
        .execute(conn)
        .map(drop)
}

/// The live session an access token opens, with its user and that user's locale.
pub fn find_access(
    conn: &mut DbConnection,
    token_hash: &str,
    now: NaiveDateTime,
) -> QueryResult<Option<(UserId, SessionId, String)>> {
    session_tokens::table
        .inner_join(sessions::table.inner_join(users::table))
        .filter(session_tokens::token_hash.eq(token_hash))
        .filter(session_tokens::kind.eq(TokenKind::Access))
        .filter(session_tokens::expires_at.gt(now))
        .filter(sessions::revoked_at.is_null())
        .select((users::id, sessions::id, users::locale))
        .first(conn)
        .optional()
}

pub fn find_refresh(
    conn: &mut DbConnection,
    token_hash: &str,
) -> QueryResult<Option<RefreshTokenState>> {
    session_tokens::table
        .inner_join(sessions::table)
        .filter(session_tokens::token_hash.eq(token_hash))
        .filter(session_tokens::kind.eq(TokenKind::Refresh))
        .select((
            sessions::id,
            sessions::user_id,
            session_tokens::expires_at,
            session_tokens::used_at,
            sessions::revoked_at,
        ))
        .first(conn)
        .optional()
}

pub fn mark_used(conn: &mut DbConnection, token_hash: &str, now: NaiveDateTime) -> QueryResult<()> {
    diesel::update(session_tokens::table.find(token_hash))
        .set(session_tokens::used_at.eq(now))
        .execute(conn)
        .map(drop)
}

/// Ends a session: it stops opening the API and its tokens are forgotten.
pub fn revoke_session(
    conn: &mut DbConnection,
    session_id: &SessionId,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(sessions::table.find(session_id))
        .set(sessions::revoked_at.eq(now))
        .execute(conn)?;
    diesel::delete(session_tokens::table.filter(session_tokens::session_id.eq(session_id)))
        .execute(conn)
        .map(drop)
}

/// Forgets tokens that can no longer open anything.
pub fn delete_expired_tokens(conn: &mut DbConnection, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(session_tokens::table.filter(session_tokens::expires_at.le(now))).execute(conn)
}
