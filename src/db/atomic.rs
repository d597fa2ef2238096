//! Making a rule's check and its write one atomic step on both backends.
//!
//! SQLite serialises writers (`Db::write` opens `BEGIN IMMEDIATE`), so a check followed by a write
//! in one write transaction cannot interleave with another writer there. PostgreSQL runs writers
//! side by side under READ COMMITTED: two transactions can both pass the same check and both
//! write. Three tools, and when to use each:
//!
//! - [`lock`]: the rule reads several rows under one parent (the last facilitator of a group, a
//!   workshop's last seat): lock the parent row first (`SELECT … FOR NO KEY UPDATE` on PostgreSQL,
//!   which serialises the rule's transactions without holding up inserts of child rows, whose
//!   foreign-key checks only take KEY SHARE; nothing more on SQLite). Every transaction that changes what the rule reads takes the same lock, so
//!   they run one after the other and each reads what the previous one committed.
//! - a guarded update, `UPDATE … WHERE <still true>` counting the rows it changed: a one-time
//!   transition of one row (a refresh token used once, a report resolved once). The loser changes
//!   nothing and learns it from the count; PostgreSQL re-checks the condition after waiting.
//! - [`on_backend!`] with `ON CONFLICT DO NOTHING` (or `DO UPDATE`): a row that must exist once
//!   (a block, a device token). A unique violation would abort the whole PostgreSQL transaction;
//!   the upsert turns the race into the outcome a single request gets.
//!
//! Locks are taken parent first (a session before its tokens, a group before its memberships)
//! and several rows of one kind in id order: PostgreSQL keeps the lock of a row a guarded update
//! waited for even when it changed nothing, so two orders would deadlock.

use diesel::QueryResult;
use diesel::prelude::*;
use diesel::sql_types::Text;

use super::DbConnection;
use crate::ids::{GroupId, SessionId, UserId};

/// A row whose lock serialises the rules about what hangs under it.
pub trait Lockable {
    /// Its table (a constant of ours, never user input).
    const TABLE: &'static str;
    fn key(&self) -> &str;
}

impl Lockable for GroupId {
    const TABLE: &'static str = "peer_groups";
    fn key(&self) -> &str {
        self.as_str()
    }
}

impl Lockable for SessionId {
    const TABLE: &'static str = "sessions";
    fn key(&self) -> &str {
        self.as_str()
    }
}

impl Lockable for UserId {
    const TABLE: &'static str = "users";
    fn key(&self) -> &str {
        self.as_str()
    }
}

#[derive(QueryableByName)]
struct Found {
    #[diesel(sql_type = Text)]
    id: String,
}

/// Locks `row` against other lockers until the current write transaction ends; returns whether
/// it exists. Call it
/// inside `Db::write`, before reading what the rule checks.
pub fn lock<K: Lockable>(conn: &mut DbConnection, row: &K) -> QueryResult<bool> {
    let found = match conn {
        DbConnection::Postgres(pg) => diesel::sql_query(format!(
            "SELECT id FROM {} WHERE id = $1 FOR NO KEY UPDATE",
            K::TABLE
        ))
        .bind::<Text, _>(row.key())
        .load::<Found>(pg)?,
        // BEGIN IMMEDIATE holds the database's write lock already.
        DbConnection::Sqlite(sqlite) => {
            diesel::sql_query(format!("SELECT id FROM {} WHERE id = ?", K::TABLE))
                .bind::<Text, _>(row.key())
                .load::<Found>(sqlite)?
        }
    };
    Ok(found.iter().any(|found| found.id == row.key()))
}

/// Locks several rows of one kind in id order, each once, as every rule locking more than one
/// of them must (two orders would deadlock on PostgreSQL).
pub fn lock_in_order<'a, K: Lockable + Ord + 'a>(
    conn: &mut DbConnection,
    rows: impl IntoIterator<Item = &'a K>,
) -> QueryResult<()> {
    let mut rows: Vec<&K> = rows.into_iter().collect();
    rows.sort();
    rows.dedup();
    for row in rows {
        lock(conn, row)?;
    }
    Ok(())
}

/// Runs `$body` with `$conn` as the concrete connection of its backend, for what diesel's
/// MultiConnection cannot express (upserts: `on_conflict…`).
#[macro_export]
macro_rules! on_backend {
    ($conn:expr, |$backend:ident| $body:expr) => {
        match $conn {
            $crate::db::DbConnection::Postgres($backend) => $body,
            $crate::db::DbConnection::Sqlite($backend) => $body,
        }
    };
}

pub use on_backend;

/// An outbox: a table of rows with `status`, `not_before`, `claimed_by` and `claim_expires_at`
/// (pushes, mails), whose due rows dispatchers claim for a lease.
pub trait Outbox {
    /// Its table (a constant of ours, never user input).
    const TABLE: &'static str;
}

#[derive(QueryableByName)]
struct ClaimedRow {
    #[diesel(sql_type = Text)]
    id: String,
}

/// Claims up to `limit` due rows of outbox `O` for `worker` until `lease_until`: pending, due,
/// and not claimed or claimed by someone whose lease ran out (a dispatcher that died mid-batch).
/// Returns their ids, oldest due first.
///
/// PostgreSQL skips rows another dispatcher is claiming (`FOR UPDATE SKIP LOCKED`), so several
/// instances never take the same row; SQLite runs it in an immediate transaction.
pub fn claim_due<O: Outbox>(
    conn: &mut DbConnection,
    worker: &str,
    now: chrono::NaiveDateTime,
    lease_until: chrono::NaiveDateTime,
    limit: i64,
) -> QueryResult<Vec<String>> {
    use diesel::sql_types::{BigInt, Timestamp};
    let table = O::TABLE;
    let claimed = match conn {
        DbConnection::Postgres(pg) => diesel::sql_query(format!(
            "UPDATE {table} SET claimed_by = $1, claim_expires_at = $2
             WHERE id IN (
                 SELECT id FROM {table}
                 WHERE status = 'PENDING' AND not_before <= $3
                   AND (claim_expires_at IS NULL OR claim_expires_at <= $3)
                 ORDER BY not_before
                 LIMIT $4
                 FOR UPDATE SKIP LOCKED)
             RETURNING id"
        ))
        .bind::<Text, _>(worker)
        .bind::<Timestamp, _>(lease_until)
        .bind::<Timestamp, _>(now)
        .bind::<BigInt, _>(limit)
        .load::<ClaimedRow>(pg)?,
        DbConnection::Sqlite(sqlite) => diesel::sql_query(format!(
            "UPDATE {table} SET claimed_by = ?1, claim_expires_at = ?2
             WHERE id IN (
                 SELECT id FROM {table}
                 WHERE status = 'PENDING' AND not_before <= ?3
                   AND (claim_expires_at IS NULL OR claim_expires_at <= ?3)
                 ORDER BY not_before
                 LIMIT ?4)
             RETURNING id"
        ))
        .bind::<Text, _>(worker)
        .bind::<Timestamp, _>(lease_until)
        .bind::<Timestamp, _>(now)
        .bind::<BigInt, _>(limit)
        .load::<ClaimedRow>(sqlite)?,
    };
    Ok(claimed.into_iter().map(|row| row.id).collect())
}

/// Puts a row of outbox `O` that `worker` claimed back in the queue, due at `not_before`, with its
/// attempts and last error; false when the claim lapsed and another dispatcher took the row.
pub fn requeue_claimed<O: Outbox>(
    conn: &mut DbConnection,
    id: &str,
    worker: &str,
    attempts: i32,
    error: Option<&str>,
    not_before: chrono::NaiveDateTime,
) -> QueryResult<bool> {
    use diesel::sql_types::{Integer, Nullable, Timestamp};
    let table = O::TABLE;
    let updated = match conn {
        DbConnection::Postgres(pg) => diesel::sql_query(format!(
            "UPDATE {table} SET attempts = $1, last_error = $2, not_before = $3,
                 claimed_by = NULL, claim_expires_at = NULL
             WHERE id = $4 AND claimed_by = $5"
        ))
        .bind::<Integer, _>(attempts)
        .bind::<Nullable<Text>, _>(error)
        .bind::<Timestamp, _>(not_before)
        .bind::<Text, _>(id)
        .bind::<Text, _>(worker)
        .execute(pg)?,
        DbConnection::Sqlite(sqlite) => diesel::sql_query(format!(
            "UPDATE {table} SET attempts = ?1, last_error = ?2, not_before = ?3,
                 claimed_by = NULL, claim_expires_at = NULL
             WHERE id = ?4 AND claimed_by = ?5"
        ))
        .bind::<Integer, _>(attempts)
        .bind::<Nullable<Text>, _>(error)
        .bind::<Timestamp, _>(not_before)
        .bind::<Text, _>(id)
        .bind::<Text, _>(worker)
        .execute(sqlite)?,
    };
    Ok(updated == 1)
}
