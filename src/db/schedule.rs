//! Work that must run once per period however many instances run: each instance asks, and the
//! one whose guarded update moves the run's `last_run_at` forward does it.

use chrono::{NaiveDateTime, TimeDelta};
use diesel::prelude::*;

use super::DbConnection;
use super::schema::scheduled_runs;

/// The retention purge (its row comes with the migration that made the table).
pub const RETENTION_PURGE: &str = "retention_purge";
/// The wellbeing release job (row from the migration that made the releases).
pub const WELLBEING_RELEASE: &str = "wellbeing_release";

/// Claims the run `name` at `now` unless it ran less than `every` ago. Of several instances
/// asking at once exactly one gets true: PostgreSQL re-checks the condition after the first
/// claim commits, and SQLite serialises writers.
pub fn claim(
    conn: &mut DbConnection,
    name: &str,
    now: NaiveDateTime,
    every: TimeDelta,
) -> QueryResult<bool> {
    diesel::update(
        scheduled_runs::table
            .find(name)
            .filter(scheduled_runs::last_run_at.le(now - every)),
    )
    .set(scheduled_runs::last_run_at.eq(now))
    .execute(conn)
    .map(|claimed| claimed == 1)
}
