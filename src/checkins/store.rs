//! Queries on check-ins and their group shares. Nothing here knows a user id: only pseudonyms.

use chrono::NaiveDate;
use diesel::prelude::*;

use super::instruments::Instrument;
use super::model::CheckinRow;
use crate::db::DbConnection;
use crate::db::schema::{checkin_shares, checkins};
use crate::ids::{CheckinId, GroupId};

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

/// A check-in shared with a group: the group, the pseudonym, the day, the score.
pub type SharedScore = (GroupId, String, NaiveDate, i32);

/// What these groups were shared on `instrument` from `from` on.
pub fn shared_scores(
    conn: &mut DbConnection,
    groups: &[GroupId],
    instrument: Instrument,
    from: NaiveDate,
) -> QueryResult<Vec<SharedScore>> {
    checkin_shares::table
        .inner_join(checkins::table)
        .filter(checkin_shares::group_id.eq_any(groups))
        .filter(checkins::instrument.eq(instrument))
        .filter(checkins::recorded_on.ge(from))
        .select((
            checkin_shares::group_id,
            checkins::pseudonym,
            checkins::recorded_on,
            checkins::score,
        ))
        .load(conn)
}

/// The groups any of these people shared a check-in on `instrument` with, from `from` on.
pub fn groups_shared_by(
    conn: &mut DbConnection,
    pseudonyms: &[String],
    instrument: Instrument,
    from: NaiveDate,
) -> QueryResult<Vec<GroupId>> {
    checkin_shares::table
        .inner_join(checkins::table)
        .filter(checkins::pseudonym.eq_any(pseudonyms))
        .filter(checkins::instrument.eq(instrument))
        .filter(checkins::recorded_on.ge(from))
        .select(checkin_shares::group_id)
        .distinct()
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
