//! Queries on sessions, their tokens, and password attempts.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::model::{NewSessionToken, RefreshTokenState, SessionSummary, TokenKind};
use crate::db::schema::{session_tokens, sessions, sign_in_attempts, users};
use crate::db::{DbConnection, TextListExt};
use crate::ids::{SessionId, UserId};

pub fn insert_session(
    conn: &mut DbConnection,
    id: &SessionId,
    user_id: &UserId,
    now: NaiveDateTime,
    expires_at: NaiveDateTime,
) -> QueryResult<()> {
    diesel::insert_into(sessions::table)
        .values((
            sessions::id.eq(id),
            sessions::user_id.eq(user_id),
            sessions::created_at.eq(now),
            sessions::expires_at.eq(expires_at),
        ))
        .execute(conn)
        .map(drop)
}

/// Moves the session's end to its newest refresh token's expiry.
pub fn extend_session(
    conn: &mut DbConnection,
    id: &SessionId,
    expires_at: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(sessions::table.find(id))
        .set(sessions::expires_at.eq(expires_at))
        .execute(conn)
        .map(drop)
}

pub fn session_used(
    conn: &mut DbConnection,
    id: &SessionId,
    at: NaiveDateTime,
    device: Option<&str>,
) -> QueryResult<()> {
    let session = sessions::table.find(id);
    match device {
        Some(device) => diesel::update(session)
            .set((sessions::last_used_at.eq(at), sessions::device.eq(device)))
            .execute(conn),
        None => diesel::update(session)
            .set(sessions::last_used_at.eq(at))
            .execute(conn),
    }
    .map(drop)
}

/// A person's sessions neither revoked nor expired at `now`, the most recently used first (a
/// session never refreshed counts from its start).
pub fn open_sessions(
    conn: &mut DbConnection,
    user_id: &UserId,
    now: NaiveDateTime,
) -> QueryResult<Vec<SessionSummary>> {
    let mut open: Vec<SessionSummary> = sessions::table
        .filter(sessions::user_id.eq(user_id))
        .filter(sessions::revoked_at.is_null())
        .filter(sessions::expires_at.gt(now))
        .select((
            sessions::id,
            sessions::created_at,
            sessions::last_used_at,
            sessions::device,
        ))
        .load(conn)?;
    open.sort_by(|a, b| {
        let used = |session: &SessionSummary| session.last_used_at.unwrap_or(session.created_at);
        used(b).cmp(&used(a)).then_with(|| b.id.cmp(&a.id))
    });
    Ok(open)
}

pub fn insert_token(conn: &mut DbConnection, token: &NewSessionToken<'_>) -> QueryResult<()> {
    diesel::insert_into(session_tokens::table)
        .values(token)
        .execute(conn)
        .map(drop)
}

/// What a live access token opens: its user and session, the user's locale, whether their
/// address is confirmed, and when the token expires.
#[derive(Debug, Queryable)]
pub struct Access {
    pub user_id: UserId,
    pub session_id: SessionId,
    pub locale: String,
    pub address_confirmed: bool,
    pub expires_at: NaiveDateTime,
}

/// The live session an access token opens.
pub fn find_access(
    conn: &mut DbConnection,
    token_hash: &str,
    now: NaiveDateTime,
) -> QueryResult<Option<Access>> {
    session_tokens::table
        .inner_join(sessions::table.inner_join(users::table))
        .filter(session_tokens::token_hash.eq(token_hash))
        .filter(session_tokens::kind.eq(TokenKind::Access))
        .filter(session_tokens::expires_at.gt(now))
        .filter(sessions::revoked_at.is_null())
        .select((
            users::id,
            sessions::id,
            users::locale,
            users::email_verified_at.is_not_null(),
            session_tokens::expires_at,
        ))
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

/// Marks a refresh token used, if nobody did first: a guarded update, so that of concurrent
/// exchanges exactly one changes the row (true) and the others learn it was taken (false).
pub fn mark_used_once(
    conn: &mut DbConnection,
    token_hash: &str,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    diesel::update(
        session_tokens::table
            .find(token_hash)
            .filter(session_tokens::used_at.is_null()),
    )
    .set(session_tokens::used_at.eq(now))
    .execute(conn)
    .map(|updated| updated == 1)
}

/// The person's sessions.
pub fn session_ids_of(conn: &mut DbConnection, user_id: &UserId) -> QueryResult<Vec<SessionId>> {
    sessions::table
        .filter(sessions::user_id.eq(user_id))
        .select(sessions::id)
        .load(conn)
}

/// Those of these sessions still open.
pub fn live_sessions(conn: &mut DbConnection, ids: &[SessionId]) -> QueryResult<Vec<SessionId>> {
    sessions::table
        .filter(sessions::id.one_of(ids))
        .filter(sessions::revoked_at.is_null())
        .select(sessions::id)
        .load(conn)
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

/// Deletes sessions that ended (revoked, or expired unrefreshed) at or before `cutoff`, with
/// their tokens.
pub fn delete_sessions_ended_by(
    conn: &mut DbConnection,
    cutoff: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::delete(
        sessions::table.filter(
            sessions::revoked_at
                .le(cutoff)
                .or(sessions::expires_at.le(cutoff)),
        ),
    )
    .execute(conn)
}

/// Deletes every session of the person with their tokens.
pub fn delete_sessions_of(conn: &mut DbConnection, user_id: &UserId) -> QueryResult<()> {
    let theirs = sessions::table
        .filter(sessions::user_id.eq(user_id))
        .select(sessions::id);
    diesel::delete(session_tokens::table.filter(session_tokens::session_id.eq_any(theirs)))
        .execute(conn)?;
    diesel::delete(sessions::table.filter(sessions::user_id.eq(user_id))).execute(conn)?;
    Ok(())
}

/// When each of the person's sessions began, whether it was revoked, and when it expires
/// unless refreshed.
pub fn session_times(
    conn: &mut DbConnection,
    user_id: &UserId,
) -> QueryResult<Vec<(NaiveDateTime, Option<NaiveDateTime>, NaiveDateTime)>> {
    sessions::table
        .filter(sessions::user_id.eq(user_id))
        .order(sessions::id)
        .select((
            sessions::created_at,
            sessions::revoked_at,
            sessions::expires_at,
        ))
        .load(conn)
}

// ------------------------------------------------------------------ password attempts

#[derive(QueryableByName)]
struct AttemptCount {
    #[diesel(sql_type = diesel::sql_types::Integer)]
    attempts: i32,
}

/// Counts one more attempt under `key` at `now` and returns how many there have been, restarting
/// from one when the previous came before `restart_before`. One statement: attempts racing on any
/// instances each get their own number.
pub fn count_attempt(
    conn: &mut DbConnection,
    key: &str,
    now: NaiveDateTime,
    restart_before: NaiveDateTime,
) -> QueryResult<i32> {
    use diesel::sql_types::{Text, Timestamp};
    const UPSERT: &str = "INSERT INTO sign_in_attempts (attempt_key, attempts, last_at)
        VALUES ($1, 1, $2)
        ON CONFLICT (attempt_key) DO UPDATE SET
            attempts = CASE WHEN sign_in_attempts.last_at < $3 THEN 1
                            ELSE sign_in_attempts.attempts + 1 END,
            last_at = excluded.last_at
        RETURNING attempts";
    let counted: AttemptCount = match conn {
        DbConnection::Postgres(pg) => diesel::sql_query(UPSERT)
            .bind::<Text, _>(key)
            .bind::<Timestamp, _>(now)
            .bind::<Timestamp, _>(restart_before)
            .get_result(pg)?,
        // SQLite reads `$1`… as numbered parameters too.
        DbConnection::Sqlite(sqlite) => diesel::sql_query(UPSERT)
            .bind::<Text, _>(key)
            .bind::<Timestamp, _>(now)
            .bind::<Timestamp, _>(restart_before)
            .get_result(sqlite)?,
    };
    Ok(counted.attempts)
}

pub fn forget_attempts(conn: &mut DbConnection, key: &str) -> QueryResult<usize> {
    diesel::delete(sign_in_attempts::table.find(key)).execute(conn)
}

pub fn delete_attempts_before(
    conn: &mut DbConnection,
    before: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::delete(sign_in_attempts::table.filter(sign_in_attempts::last_at.lt(before)))
        .execute(conn)
}
