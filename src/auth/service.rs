//! Session rules: issue a token pair, recognise an access token, rotate refresh tokens, sign out.

use std::collections::HashSet;

use chrono::{DateTime, NaiveDateTime, Utc};

use super::model::{
    ACCESS_TOKEN_LIFETIME, DEVICE_LABEL_MAX, IssuedTokens, NewSessionToken, REFRESH_TOKEN_LIFETIME,
    SessionSummary, TokenKind,
};
use super::secret::{Secret, new_token};
use super::store;
use super::viewer::Viewer;
use crate::config::Retention;
use crate::db::atomic::lock;
use crate::db::events::{Committed, after_commit};
use crate::db::{Db, DbConnection};
use crate::error::{AppError, AppResult};
use crate::i18n::{Locale, Message};
use crate::ids::{SessionId, UserId};
use crate::privacy::{Person, PersonColumn, PersonalData, Purged, instant};

/// Opens a new session for `user_id` inside the caller's transaction.
pub fn start_session(
    conn: &mut DbConnection,
    secret: &Secret,
    user_id: &UserId,
    now: DateTime<Utc>,
) -> AppResult<IssuedTokens> {
    let session_id = SessionId::generate();
    store::insert_session(
        conn,
        &session_id,
        user_id,
        now.naive_utc(),
        refresh_expiry(now),
    )?;
    issue_tokens(conn, secret, &session_id, user_id, now)
}

/// When a refresh token issued at `now` expires, and with it, unless refreshed, its session.
fn refresh_expiry(now: DateTime<Utc>) -> NaiveDateTime {
    (now + REFRESH_TOKEN_LIFETIME).naive_utc()
}

fn issue_tokens(
    conn: &mut DbConnection,
    secret: &Secret,
    session_id: &SessionId,
    user_id: &UserId,
    now: DateTime<Utc>,
) -> AppResult<IssuedTokens> {
    let access_token = new_token();
    let refresh_token = new_token();
    let access_token_expires_at = now + ACCESS_TOKEN_LIFETIME;
    let (access_hash, refresh_hash) = (
        secret.mac_hex(access_token.as_bytes()),
        secret.mac_hex(refresh_token.as_bytes()),
    );
    store::insert_token(
        conn,
        &NewSessionToken {
            token_hash: &access_hash,
            session_id,
            kind: TokenKind::Access,
            expires_at: access_token_expires_at.naive_utc(),
        },
    )?;
    store::insert_token(
        conn,
        &NewSessionToken {
            token_hash: &refresh_hash,
            session_id,
            kind: TokenKind::Refresh,
            expires_at: refresh_expiry(now),
        },
    )?;
    Ok(IssuedTokens {
        user_id: user_id.clone(),
        session_id: session_id.clone(),
        access_token: access_token.into(),
        access_token_expires_at,
        refresh_token: refresh_token.into(),
    })
}

/// The viewer an access token belongs to; `None` when it is unknown, expired or revoked.
pub async fn authenticate(db: &Db, secret: &Secret, token: &str) -> AppResult<Option<Viewer>> {
    let token_hash = secret.mac_hex(token.as_bytes());
    let found = db
        .run(move |conn| {
            Ok(store::find_access(
                conn,
                &token_hash,
                Utc::now().naive_utc(),
            )?)
        })
        .await?;
    Ok(found.map(|access| Viewer {
        user_id: access.user_id,
        session_id: access.session_id,
        locale: Locale::parse(&access.locale).unwrap_or_default(),
        address_confirmed: access.address_confirmed,
        access_expires_at: access.expires_at.and_utc(),
    }))
}

/// What became of a presented refresh token.
enum Exchange {
    Rotated(IssuedTokens),
    /// It had been exchanged already: someone holds a copy, so the session was revoked.
    Replayed,
}

/// Exchanges a refresh token for a new pair. Presenting a token that was already exchanged
/// revokes its whole session, the legitimate holder's tokens included. Of concurrent exchanges of
/// one token, exactly one wins (a guarded update) and the others count as replays.
pub async fn refresh(db: &Db, secret: &Secret, refresh_token: &str) -> AppResult<IssuedTokens> {
    let token_hash = secret.mac_hex(refresh_token.as_bytes());
    let secret = secret.clone();
    let exchange = db
        .write(move |conn| {
            let now = Utc::now();
            let Some(state) = store::find_refresh(conn, &token_hash)? else {
                return Err(session_invalid());
            };
            if state.session_revoked_at.is_some() || state.expires_at <= now.naive_utc() {
                return Err(session_invalid());
            }
            // The session row first, then its tokens, as logout and erasure take them: a losing
            // guarded update keeps its lock on the token row, so the other order deadlocks.
            lock(conn, &state.session_id)?;
            if !store::mark_used_once(conn, &token_hash, now.naive_utc())? {
                tracing::warn!(session = %state.session_id, "refresh token replayed; session revoked");
                end_session(conn, &state.session_id, now)?;
                return Ok(Exchange::Replayed);
            }
            store::extend_session(conn, &state.session_id, refresh_expiry(now))?;
            issue_tokens(conn, &secret, &state.session_id, &state.user_id, now).map(Exchange::Rotated)
        })
        .await?;
    match exchange {
        Exchange::Rotated(tokens) => Ok(tokens),
        Exchange::Replayed => Err(session_invalid()),
    }
}

/// Notes that a session was just used to sign in or refresh, from `device` (the app's user
/// agent), so that its owner can tell their sessions apart.
pub async fn session_used(
    db: &Db,
    session_id: &SessionId,
    device: Option<String>,
) -> AppResult<()> {
    let session_id = session_id.clone();
    let device = device
        .map(|label| label_of(&label))
        .filter(|label| !label.is_empty());
    db.write(move |conn| {
        store::session_used(conn, &session_id, Utc::now().naive_utc(), device.as_deref())?;
        Ok(())
    })
    .await
}

/// A user agent as a short label: printable characters only, at most [`DEVICE_LABEL_MAX`].
fn label_of(user_agent: &str) -> String {
    user_agent
        .chars()
        .filter(|c| !c.is_control())
        .take(DEVICE_LABEL_MAX)
        .collect::<String>()
        .trim()
        .to_owned()
}

/// The viewer's open sessions, the most recently used first.
pub async fn my_sessions(db: &Db, viewer: &Viewer) -> AppResult<Vec<SessionSummary>> {
    let user_id = viewer.user_id.clone();
    db.run(move |conn| {
        Ok(store::open_sessions(
            conn,
            &user_id,
            Utc::now().naive_utc(),
        )?)
    })
    .await
}

/// Ends one of the viewer's own sessions (another device's, or this one); its tokens stop
/// working and its websockets close. Anyone else's, or an unknown one, is NOT_FOUND on `id`.
pub async fn revoke_session(db: &Db, viewer: &Viewer, id: SessionId) -> AppResult<bool> {
    let user_id = viewer.user_id.clone();
    db.write(move |conn| {
        let now = Utc::now();
        let open = store::open_sessions(conn, &user_id, now.naive_utc())?;
        if !open.iter().any(|session| session.id == id) {
            return Err(AppError::NotFoundIn("id"));
        }
        end_session(conn, &id, now)?;
        Ok(true)
    })
    .await
}

/// Ends the viewer's current session.
pub async fn sign_out(db: &Db, viewer: &Viewer) -> AppResult<()> {
    let session_id = viewer.session_id.clone();
    db.write(move |conn| end_session(conn, &session_id, Utc::now()))
        .await
}

/// Ends every session of `user_id` but `keep`, inside the caller's transaction (a password
/// changed or reset): their tokens stop working and their websockets close once it commits.
pub fn end_other_sessions(
    conn: &mut DbConnection,
    user_id: &UserId,
    keep: Option<&SessionId>,
) -> AppResult<()> {
    let now = Utc::now();
    for session_id in store::session_ids_of(conn, user_id)? {
        if Some(&session_id) != keep {
            end_session(conn, &session_id, now)?;
        }
    }
    Ok(())
}

/// Revokes a session inside the caller's transaction; once committed, whatever still runs on
/// its behalf (an open websocket) is told to stop.
fn end_session(
    conn: &mut DbConnection,
    session_id: &SessionId,
    now: DateTime<Utc>,
) -> AppResult<()> {
    store::revoke_session(conn, session_id, now.naive_utc())?;
    after_commit(Committed::SessionEnded {
        session_id: session_id.clone(),
    });
    Ok(())
}

/// A person's sessions and tokens: ended everywhere (open websockets close once the erasure
/// commits), then deleted.
pub struct SessionsData;
pub static SESSIONS_DATA: SessionsData = SessionsData;

impl PersonalData for SessionsData {
    fn name(&self) -> &'static str {
        "sessions"
    }

    fn columns(&self) -> &'static [PersonColumn] {
        &[PersonColumn {
            table: "sessions",
            column: "user_id",
        }]
    }

    fn export(&self, conn: &mut DbConnection, person: &Person) -> AppResult<serde_json::Value> {
        let user = &person.id;
        let now = Utc::now().naive_utc();
        let sessions: Vec<serde_json::Value> = store::session_times(conn, user)?
            .into_iter()
            .map(|(started, revoked, expires)| {
                let ended = revoked.or((expires <= now).then_some(expires));
                serde_json::json!({ "startedAt": instant(started), "endedAt": ended.map(instant) })
            })
            .collect();
        Ok(serde_json::json!({ "sessions": sessions }))
    }

    fn erase(&self, conn: &mut DbConnection, person: &Person) -> AppResult<()> {
        let user = &person.id;
        let now = Utc::now();
        for session_id in store::session_ids_of(conn, user)? {
            end_session(conn, &session_id, now)?;
        }
        Ok(store::delete_sessions_of(conn, user)?)
    }

    fn purge(
        &self,
        conn: &mut DbConnection,
        retention: &Retention,
        now: NaiveDateTime,
    ) -> AppResult<Vec<Purged>> {
        Ok(vec![
            Purged {
                kind: "expired tokens",
                rows: store::delete_expired_tokens(conn, now)?,
            },
            Purged {
                kind: "ended sessions",
                rows: store::delete_sessions_ended_by(conn, now - retention.ended_sessions)?,
            },
            Purged {
                kind: "sign-in attempts",
                rows: store::delete_attempts_before(conn, now - super::throttle::WINDOW)?,
            },
        ])
    }
}

/// Whether the session is still open (an open websocket checks before each event).
pub async fn is_live(db: &Db, session_id: &SessionId) -> AppResult<bool> {
    Ok(!live_sessions(db, vec![session_id.clone()])
        .await?
        .is_empty())
}

/// Those of these sessions still open.
pub async fn live_sessions(db: &Db, ids: Vec<SessionId>) -> AppResult<HashSet<SessionId>> {
    db.run(move |conn| Ok(store::live_sessions(conn, &ids)?.into_iter().collect()))
        .await
}

/// Refuses a call whose token opens nothing (the app should refresh or sign in again).
pub fn session_invalid() -> AppError {
    AppError::Unauthenticated(Message::SessionInvalid)
}
