//! Retention: records that have served (ended sessions, read notifications, finished pushes,
//! idle devices, and what later domains declare) are deleted once their period is over. `serve`
//! asks every few minutes and runs the purge at most once an hour across all instances;
//! `relais purge` runs it at once.

use chrono::{NaiveDateTime, TimeDelta};

use super::{Purged, registry};
use crate::config::Retention;
use crate::db::{Db, DbConnection, schedule};
use crate::error::AppResult;

/// The shortest time between two scheduled purges, whichever instance runs them.
pub const PURGE_EVERY: TimeDelta = TimeDelta::hours(1);

/// Runs every registered domain's purge at `now`, in one transaction.
pub async fn purge(db: &Db, retention: &Retention, now: NaiveDateTime) -> AppResult<Vec<Purged>> {
    let retention = retention.clone();
    db.write(move |conn| purge_all(conn, &retention, now)).await
}

/// Runs the purge at `now` unless one ran less than an hour before, on this instance or another;
/// `None` when it was not due.
pub async fn purge_if_due(
    db: &Db,
    retention: &Retention,
    now: NaiveDateTime,
) -> AppResult<Option<Vec<Purged>>> {
    let retention = retention.clone();
    db.write(move |conn| {
        if !schedule::claim(conn, schedule::RETENTION_PURGE, now, PURGE_EVERY)? {
            return Ok(None);
        }
        purge_all(conn, &retention, now).map(Some)
    })
    .await
}

fn purge_all(
    conn: &mut DbConnection,
    retention: &Retention,
    now: NaiveDateTime,
) -> AppResult<Vec<Purged>> {
    let mut purged = Vec::new();
    for domain in registry() {
        purged.extend(domain.purge(conn, retention, now)?);
    }
    Ok(purged)
}
