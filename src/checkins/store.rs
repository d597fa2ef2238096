//! Queries on check-ins and their group shares. Nothing here knows a user id: only pseudonyms.

use chrono::NaiveDate;
use diesel::prelude::*;

use chrono::NaiveDateTime;
use diesel::dsl::{max, min};

use super::instruments::Instrument;
use super::model::{CheckinRow, ReleaseRow};
use crate::db::DbConnection;
use crate::db::schema::{checkin_shares, checkins, wellbeing_periods, wellbeing_releases};
use crate::ids::{CheckinId, GroupId};
use crate::on_backend;

pub fn insert_checkin(conn: &mut DbConnection, row: &CheckinRow) -> QueryResult<()> {
    diesel::insert_into(checkins::table)
        .values(row)
        .execute(conn)
        .map(drop)
}

pub fn insert_share(conn: &mut DbConnection, id: &CheckinId, group: &GroupId) -> QueryResult<()> {
    diesel::insert_into(checkin_shares::table)
        .values((
            checkin_shares::checkin_id.eq(id),
            checkin_shares::group_id.eq(group),
        ))
        .execute(conn)
        .map(drop)
}

/// The person's check-ins, newest day first, after `after` (day, id).
pub fn page(
    conn: &mut DbConnection,
    pseudonym: &str,
    instrument: Option<Instrument>,
    after: Option<(NaiveDate, CheckinId)>,
    limit: i64,
) -> QueryResult<Vec<CheckinRow>> {
    let mut query = checkins::table
        .filter(checkins::pseudonym.eq(pseudonym))
        .order((checkins::recorded_on.desc(), checkins::id.desc()))
        .limit(limit)
        .select(CheckinRow::as_select())
        .into_boxed();
    if let Some(instrument) = instrument {
        query = query.filter(checkins::instrument.eq(instrument));
    }
    if let Some((day, id)) = after {
        query = query.filter(
            checkins::recorded_on
                .lt(day)
                .or(checkins::recorded_on.eq(day).and(checkins::id.lt(id))),
        );
    }
    query.load(conn)
}

/// The person's days and scores on `instrument` from `from` on.
pub fn own_scores(
    conn: &mut DbConnection,
    pseudonym: &str,
    instrument: Instrument,
    from: NaiveDate,
) -> QueryResult<Vec<(NaiveDate, i32)>> {
    checkins::table
        .filter(checkins::pseudonym.eq(pseudonym))
        .filter(checkins::instrument.eq(instrument))
        .filter(checkins::recorded_on.ge(from))
        .select((checkins::recorded_on, checkins::score))
        .load(conn)
}

/// The groups the person's check-ins on `instrument` made on `from` or later were shared with.
pub fn groups_shared_since(
    conn: &mut DbConnection,
    pseudonym: &str,
    instrument: Instrument,
    from: NaiveDate,
) -> QueryResult<Vec<GroupId>> {
    checkin_shares::table
        .inner_join(checkins::table)
        .filter(checkins::pseudonym.eq(pseudonym))
        .filter(checkins::instrument.eq(instrument))
        .filter(checkins::recorded_on.ge(from))
        .select(checkin_shares::group_id)
        .distinct()
        .load(conn)
}

/// A check-in shared with a group: the group, the instrument, the pseudonym, the score.
pub type SharedScore = (GroupId, Instrument, String, i32);

/// Every check-in made on a day in `from..until`, once per group it was shared with.
pub fn scores_shared_between(
    conn: &mut DbConnection,
    from: NaiveDate,
    until: NaiveDate,
) -> QueryResult<Vec<SharedScore>> {
    checkin_shares::table
        .inner_join(checkins::table)
        .filter(checkins::recorded_on.ge(from))
        .filter(checkins::recorded_on.lt(until))
        .select((
            checkin_shares::group_id,
            checkins::instrument,
            checkins::pseudonym,
            checkins::score,
        ))
        .load(conn)
}

/// The day of the oldest check-in shared with a group, if any is stored.
pub fn oldest_shared_day(conn: &mut DbConnection) -> QueryResult<Option<NaiveDate>> {
    checkin_shares::table
        .inner_join(checkins::table)
        .select(min(checkins::recorded_on))
        .first(conn)
}

// ------------------------------------------------------------------ releases

/// Marks the period released; false when it already was (by another instance).
pub fn mark_released(
    conn: &mut DbConnection,
    period_weeks: i32,
    period_start: NaiveDate,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let marked = on_backend!(conn, |backend| diesel::insert_into(
        wellbeing_periods::table
    )
    .values((
        wellbeing_periods::period_weeks.eq(period_weeks),
        wellbeing_periods::period_start.eq(period_start),
        wellbeing_periods::released_at.eq(now),
    ))
    .on_conflict_do_nothing()
    .execute(backend))?;
    Ok(marked == 1)
}

/// The start of the latest period released with periods of this length.
pub fn released_through(
    conn: &mut DbConnection,
    period_weeks: i32,
) -> QueryResult<Option<NaiveDate>> {
    wellbeing_periods::table
        .filter(wellbeing_periods::period_weeks.eq(period_weeks))
        .select(max(wellbeing_periods::period_start))
        .first(conn)
}

pub fn insert_releases(conn: &mut DbConnection, rows: &[ReleaseRow]) -> QueryResult<()> {
    // Bounded statements: each row binds eight values.
    for chunk in rows.chunks(500) {
        on_backend!(conn, |backend| diesel::insert_into(
            wellbeing_releases::table
        )
        .values(chunk)
        .execute(backend))?;
    }
    Ok(())
}

/// A group's releases on `instrument` with periods of this length, from `from` on.
pub fn releases(
    conn: &mut DbConnection,
    group: &GroupId,
    instrument: Instrument,
    period_weeks: i32,
    from: NaiveDate,
) -> QueryResult<Vec<ReleaseRow>> {
    wellbeing_releases::table
        .filter(wellbeing_releases::group_id.eq(group))
        .filter(wellbeing_releases::instrument.eq(instrument))
        .filter(wellbeing_releases::period_weeks.eq(period_weeks))
        .filter(wellbeing_releases::period_start.ge(from))
        .select(ReleaseRow::as_select())
        .load(conn)
}

pub fn all_of(conn: &mut DbConnection, pseudonym: &str) -> QueryResult<Vec<CheckinRow>> {
    checkins::table
        .filter(checkins::pseudonym.eq(pseudonym))
        .order((checkins::recorded_on, checkins::id))
        .select(CheckinRow::as_select())
        .load(conn)
}

/// Deletes the person's check-ins with their shares; how many check-ins went.
pub fn delete_of(conn: &mut DbConnection, pseudonym: &str) -> QueryResult<usize> {
    let theirs = checkins::table
        .filter(checkins::pseudonym.eq(pseudonym))
        .select(checkins::id);
    diesel::delete(checkin_shares::table.filter(checkin_shares::checkin_id.eq_any(theirs)))
        .execute(conn)?;
    diesel::delete(checkins::table.filter(checkins::pseudonym.eq(pseudonym))).execute(conn)
}

/// Deletes check-ins made before `day`, with their shares.
pub fn delete_before(conn: &mut DbConnection, day: NaiveDate) -> QueryResult<usize> {
    let old = checkins::table
        .filter(checkins::recorded_on.lt(day))
        .select(checkins::id);
    diesel::delete(checkin_shares::table.filter(checkin_shares::checkin_id.eq_any(old)))
        .execute(conn)?;
    diesel::delete(checkins::table.filter(checkins::recorded_on.lt(day))).execute(conn)
}
