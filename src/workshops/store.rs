//! Queries on workshops, registrations, ratings and calendar feeds.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::dsl::{count_star, sql};
use diesel::prelude::*;
use diesel::sql_types::{Double, Nullable};

use super::model::{
    RatingRow, RegistrationRow, RegistrationStatus, WorkshopRow, WorkshopSearch, WorkshopStatus,
};
use crate::db::schema::{calendar_feeds, workshop_ratings, workshop_registrations, workshops};
use crate::db::{DbConnection, SqlBackend, TextListExt};
use crate::ids::{GroupId, RegistrationId, UserId, WorkshopId};
use crate::on_backend;

// ------------------------------------------------------------------ workshops

pub fn insert_workshop(conn: &mut DbConnection, row: &WorkshopRow) -> QueryResult<()> {
    diesel::insert_into(workshops::table)
        .values(row)
        .execute(conn)
        .map(drop)
}

pub fn save_workshop(conn: &mut DbConnection, row: &WorkshopRow) -> QueryResult<()> {
    diesel::update(workshops::table.find(&row.id))
        .set(row)
        .execute(conn)
        .map(drop)
}

pub fn workshop(conn: &mut DbConnection, id: &WorkshopId) -> QueryResult<Option<WorkshopRow>> {
    workshops::table
        .find(id)
        .select(WorkshopRow::as_select())
        .first(conn)
        .optional()
}

pub fn workshops_by_id(
    conn: &mut DbConnection,
    ids: &[WorkshopId],
) -> QueryResult<Vec<WorkshopRow>> {
    workshops::table
        .filter(workshops::id.one_of(ids))
        .select(WorkshopRow::as_select())
        .load(conn)
}

/// Takes the next place in the workshop's line; call under the workshop's lock.
pub fn take_queue_number(conn: &mut DbConnection, id: &WorkshopId) -> QueryResult<i64> {
    let number: i64 = workshops::table
        .find(id)
        .select(workshops::next_queue_number)
        .first(conn)?;
    diesel::update(workshops::table.find(id))
        .set(workshops::next_queue_number.eq(number + 1))
        .execute(conn)?;
    Ok(number)
}

/// A condition on workshops, as the searches below combine them.
type WorkshopCondition =
    Box<dyn BoxableExpression<workshops::table, SqlBackend, SqlType = diesel::sql_types::Bool>>;

/// Scheduled workshops from `from` matching `search`, among those the viewer may see: open to
/// all, or of a group in `member_of`. With `near`, only those inside the search's bounding box
/// (the caller keeps those within the exact radius).
fn matching(
    search: &WorkshopSearch,
    from: NaiveDateTime,
    member_of: &[GroupId],
) -> WorkshopCondition {
    let mut condition: WorkshopCondition = Box::new(
        workshops::status
            .eq(WorkshopStatus::Scheduled)
            .and(workshops::starts_at.ge(from))
            .and(
                workshops::group_id
                    .is_null()
                    .or(workshops::group_id.one_of(member_of)),
            ),
    );
    if let Some(to) = search.to {
        condition = Box::new(condition.and(workshops::starts_at.lt(to.naive_utc())));
    }
    if let Some(technique) = search.technique {
        condition = Box::new(condition.and(workshops::technique.eq(technique)));
    }
    if let Some(language) = &search.language {
        condition = Box::new(condition.and(workshops::language.eq(language.clone())));
    }
    if let Some(group_id) = &search.group_id {
        condition =
            Box::new(condition.and(workshops::group_id.eq(group_id.clone()).assume_not_null()));
    }
    if let Some(region) = &search.region {
        condition = Box::new(condition.and(workshops::region.eq(region.clone()).assume_not_null()));
    }
    if let Some(near) = search.near {
        // A box around the circle: a degree of latitude is 111 km, one of longitude shrinks
        // with the cosine of the latitude (capped near the poles).
        let d_lat = near.radius_km / 111.0;
        let d_lon = near.radius_km / (111.0 * near.latitude.to_radians().cos().max(0.01));
        condition = Box::new(
            condition
                .and(
                    workshops::latitude
                        .assume_not_null()
                        .between(near.latitude - d_lat, near.latitude + d_lat),
                )
                .and(
                    workshops::longitude
                        .assume_not_null()
                        .between(near.longitude - d_lon, near.longitude + d_lon),
                ),
        );
    }
    condition
}

/// Workshops [`matching`] the search, in start order after `after` (start, id).
pub fn search(
    conn: &mut DbConnection,
    search: &WorkshopSearch,
    from: NaiveDateTime,
    member_of: &[GroupId],
    after: Option<(NaiveDateTime, WorkshopId)>,
    limit: i64,
) -> QueryResult<Vec<WorkshopRow>> {
    let mut query = workshops::table
        .filter(matching(search, from, member_of))
        .select(WorkshopRow::as_select())
        .into_boxed();
    if let Some((starts_at, id)) = after {
        query = query.filter(
            workshops::starts_at
                .gt(starts_at)
                .or(workshops::starts_at.eq(starts_at).and(workshops::id.gt(id))),
        );
    }
    query
        .order((workshops::starts_at, workshops::id))
        .limit(limit)
        .load(conn)
}

/// Where the workshops [`matching`] a near-me search are: their ids and coordinates only, read
/// from the `workshops_near` index, for the caller to rank by distance before it loads a page.
pub fn located(
    conn: &mut DbConnection,
    search: &WorkshopSearch,
    from: NaiveDateTime,
    member_of: &[GroupId],
) -> QueryResult<Vec<(WorkshopId, f64, f64)>> {
    workshops::table
        .filter(matching(search, from, member_of))
        .select((
            workshops::id,
            workshops::latitude.assume_not_null(),
            workshops::longitude.assume_not_null(),
        ))
        .load(conn)
}

/// Scheduled workshops the person organises that have not started: they go with an erasure.
pub fn upcoming_organised_by(
    conn: &mut DbConnection,
    user_id: &UserId,
    now: NaiveDateTime,
) -> QueryResult<Vec<WorkshopRow>> {
    workshops::table
        .filter(workshops::organiser_id.eq(user_id))
        .filter(workshops::status.eq(WorkshopStatus::Scheduled))
        .filter(workshops::starts_at.gt(now))
        .select(WorkshopRow::as_select())
        .load(conn)
}

pub fn organised_by(conn: &mut DbConnection, user_id: &UserId) -> QueryResult<Vec<WorkshopRow>> {
    workshops::table
        .filter(workshops::organiser_id.eq(user_id))
        .order(workshops::starts_at)
        .select(WorkshopRow::as_select())
        .load(conn)
}

/// Leaves the person's workshops without them, and without the cancellation reasons they wrote.
pub fn forget_organiser(conn: &mut DbConnection, user_id: &UserId) -> QueryResult<usize> {
    diesel::update(workshops::table.filter(workshops::organiser_id.eq(user_id)))
        .set((
            workshops::organiser_id.eq(None::<UserId>),
            workshops::cancel_reason.eq(None::<String>),
        ))
        .execute(conn)
}

// ------------------------------------------------------------------ registrations

/// Confirmed and waitlisted registrations per workshop.
pub fn counts(
    conn: &mut DbConnection,
    ids: &[WorkshopId],
) -> QueryResult<HashMap<WorkshopId, (i64, i64)>> {
    let rows: Vec<(WorkshopId, RegistrationStatus, i64)> = workshop_registrations::table
        .filter(workshop_registrations::workshop_id.one_of(ids))
        .filter(workshop_registrations::status.ne(RegistrationStatus::Cancelled))
        .group_by((
            workshop_registrations::workshop_id,
            workshop_registrations::status,
        ))
        .select((
            workshop_registrations::workshop_id,
            workshop_registrations::status,
            count_star(),
        ))
        .load(conn)?;
    let mut counts: HashMap<WorkshopId, (i64, i64)> = HashMap::new();
    for (id, status, count) in rows {
        let entry = counts.entry(id).or_default();
        match status {
            RegistrationStatus::Confirmed => entry.0 = count,
            RegistrationStatus::Waitlisted => entry.1 = count,
            RegistrationStatus::Cancelled => {}
        }
    }
    Ok(counts)
}

pub fn confirmed_count(conn: &mut DbConnection, id: &WorkshopId) -> QueryResult<i64> {
    workshop_registrations::table
        .filter(workshop_registrations::workshop_id.eq(id))
        .filter(workshop_registrations::status.eq(RegistrationStatus::Confirmed))
        .count()
        .get_result(conn)
}

pub fn registration(
    conn: &mut DbConnection,
    workshop_id: &WorkshopId,
    user_id: &UserId,
) -> QueryResult<Option<RegistrationRow>> {
    workshop_registrations::table
        .filter(workshop_registrations::workshop_id.eq(workshop_id))
        .filter(workshop_registrations::user_id.eq(user_id))
        .select(RegistrationRow::as_select())
        .first(conn)
        .optional()
}

/// The person's registrations to any of `ids`.
pub fn registrations_of(
    conn: &mut DbConnection,
    user_id: &UserId,
    ids: &[WorkshopId],
) -> QueryResult<Vec<RegistrationRow>> {
    workshop_registrations::table
        .filter(workshop_registrations::user_id.eq(user_id))
        .filter(workshop_registrations::workshop_id.one_of(ids))
        .select(RegistrationRow::as_select())
        .load(conn)
}

/// The person's registrations, the latest workshops first, at most `limit`.
pub fn all_registrations_of(
    conn: &mut DbConnection,
    user_id: &UserId,
    limit: i64,
) -> QueryResult<Vec<RegistrationRow>> {
    workshop_registrations::table
        .inner_join(workshops::table)
        .filter(workshop_registrations::user_id.eq(user_id))
        .order((workshops::starts_at.desc(), workshops::id))
        .limit(limit)
        .select(RegistrationRow::as_select())
        .load(conn)
}

/// 1-based waitlist places of the registrations given (waitlisted ones), one query for all:
/// how many waitlisted registrations of the same workshop come before each, plus one.
pub fn waitlist_positions(
    conn: &mut DbConnection,
    waitlisted: &[&RegistrationRow],
) -> QueryResult<HashMap<RegistrationId, i64>> {
    if waitlisted.is_empty() {
        return Ok(HashMap::new());
    }
    let ahead = diesel::alias!(workshop_registrations as ahead);
    let ids: Vec<RegistrationId> = waitlisted.iter().map(|row| row.id.clone()).collect();
    let rows: Vec<(RegistrationId, i64)> = workshop_registrations::table
        .inner_join(
            ahead.on(ahead
                .field(workshop_registrations::workshop_id)
                .eq(workshop_registrations::workshop_id)
                .and(
                    ahead
                        .field(workshop_registrations::status)
                        .eq(RegistrationStatus::Waitlisted),
                )
                .and(
                    ahead
                        .field(workshop_registrations::queue_number)
                        .le(workshop_registrations::queue_number),
                )),
        )
        .filter(workshop_registrations::id.one_of(ids))
        .group_by(workshop_registrations::id)
        .select((workshop_registrations::id, count_star()))
        .load(conn)?;
    Ok(rows.into_iter().collect())
}

pub fn insert_registration(conn: &mut DbConnection, row: &RegistrationRow) -> QueryResult<()> {
    diesel::insert_into(workshop_registrations::table)
        .values(row)
        .execute(conn)
        .map(drop)
}

/// Puts a registration back in line (registering again after cancelling): a new place, a new
/// status, attendance forgotten.
pub fn requeue(
    conn: &mut DbConnection,
    id: &RegistrationId,
    status: RegistrationStatus,
    queue_number: i64,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(workshop_registrations::table.find(id))
        .set((
            workshop_registrations::status.eq(status),
            workshop_registrations::queue_number.eq(queue_number),
            workshop_registrations::attended.eq(None::<bool>),
            workshop_registrations::updated_at.eq(now),
        ))
        .execute(conn)
        .map(drop)
}

pub fn set_status(
    conn: &mut DbConnection,
    id: &RegistrationId,
    status: RegistrationStatus,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(workshop_registrations::table.find(id))
        .set((
            workshop_registrations::status.eq(status),
            workshop_registrations::updated_at.eq(now),
        ))
        .execute(conn)
        .map(drop)
}

/// The first `count` people of the waitlist, in line order.
pub fn first_waitlisted(
    conn: &mut DbConnection,
    workshop_id: &WorkshopId,
    count: i64,
) -> QueryResult<Vec<RegistrationRow>> {
    workshop_registrations::table
        .filter(workshop_registrations::workshop_id.eq(workshop_id))
        .filter(workshop_registrations::status.eq(RegistrationStatus::Waitlisted))
        .order(workshop_registrations::queue_number)
        .limit(count)
        .select(RegistrationRow::as_select())
        .load(conn)
}

/// A page of a workshop's registrations in line order: one status, or all but cancelled.
pub fn registrations_page(
    conn: &mut DbConnection,
    workshop_id: &WorkshopId,
    status: Option<RegistrationStatus>,
    after: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<RegistrationRow>> {
    let mut query = workshop_registrations::table
        .filter(workshop_registrations::workshop_id.eq(workshop_id))
        .select(RegistrationRow::as_select())
        .into_boxed();
    query = match status {
        Some(status) => query.filter(workshop_registrations::status.eq(status)),
        None => query.filter(workshop_registrations::status.ne(RegistrationStatus::Cancelled)),
    };
    if let Some(after) = after {
        query = query.filter(workshop_registrations::queue_number.gt(after));
    }
    query
        .order(workshop_registrations::queue_number)
        .limit(limit)
        .load(conn)
}

/// Confirmed and waitlisted registrations of a workshop, in line order.
/// The group's workshops not started by `now` in which `user` holds a seat or a place in line,
/// in id order (the order their locks are taken in).
pub fn upcoming_registered_in_group(
    conn: &mut DbConnection,
    group: &GroupId,
    user: &UserId,
    now: NaiveDateTime,
) -> QueryResult<Vec<WorkshopRow>> {
    workshops::table
        .inner_join(workshop_registrations::table)
        .filter(workshops::group_id.eq(group))
        .filter(workshops::starts_at.gt(now))
        .filter(workshop_registrations::user_id.eq(user))
        .filter(workshop_registrations::status.ne(RegistrationStatus::Cancelled))
        .order(workshops::id)
        .select(WorkshopRow::as_select())
        .load(conn)
}

pub fn active_registrations(
    conn: &mut DbConnection,
    workshop_id: &WorkshopId,
) -> QueryResult<Vec<RegistrationRow>> {
    workshop_registrations::table
        .filter(workshop_registrations::workshop_id.eq(workshop_id))
        .filter(workshop_registrations::status.ne(RegistrationStatus::Cancelled))
        .order(workshop_registrations::queue_number)
        .select(RegistrationRow::as_select())
        .load(conn)
}

pub fn set_attendance(
    conn: &mut DbConnection,
    id: &RegistrationId,
    attended: bool,
    certificate_code: Option<&str>,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(workshop_registrations::table.find(id))
        .set((
            workshop_registrations::attended.eq(attended),
            workshop_registrations::certificate_code.eq(certificate_code),
            workshop_registrations::updated_at.eq(now),
        ))
        .execute(conn)
        .map(drop)
}

/// The person's attended workshops starting in [from, to), in start order.
pub fn attended_by(
    conn: &mut DbConnection,
    user_id: &UserId,
    from: NaiveDateTime,
    to: NaiveDateTime,
) -> QueryResult<Vec<(RegistrationRow, WorkshopRow)>> {
    workshop_registrations::table
        .inner_join(workshops::table)
        .filter(workshop_registrations::user_id.eq(user_id))
        .filter(workshop_registrations::attended.eq(true))
        .filter(workshops::starts_at.ge(from))
        .filter(workshops::starts_at.lt(to))
        .order((workshops::starts_at, workshops::id))
        .select((RegistrationRow::as_select(), WorkshopRow::as_select()))
        .load(conn)
}

/// The person's confirmed workshops ending after `since`, in start order, at most `limit`.
pub fn confirmed_workshops_of(
    conn: &mut DbConnection,
    user_id: &UserId,
    since: NaiveDateTime,
    limit: i64,
) -> QueryResult<Vec<WorkshopRow>> {
    workshop_registrations::table
        .inner_join(workshops::table)
        .filter(workshop_registrations::user_id.eq(user_id))
        .filter(workshop_registrations::status.eq(RegistrationStatus::Confirmed))
        .filter(workshops::ends_at.ge(since))
        .order((workshops::starts_at, workshops::id))
        .limit(limit)
        .select(WorkshopRow::as_select())
        .load(conn)
}

/// The attended registration carrying this certificate code, with its workshop.
pub fn certificate(
    conn: &mut DbConnection,
    code: &str,
) -> QueryResult<Option<(RegistrationRow, WorkshopRow)>> {
    workshop_registrations::table
        .inner_join(workshops::table)
        .filter(workshop_registrations::certificate_code.eq(code))
        .filter(workshop_registrations::attended.eq(true))
        .select((RegistrationRow::as_select(), WorkshopRow::as_select()))
        .first(conn)
        .optional()
}

pub fn delete_registrations_of(conn: &mut DbConnection, user_id: &UserId) -> QueryResult<usize> {
    diesel::delete(
        workshop_registrations::table.filter(workshop_registrations::user_id.eq(user_id)),
    )
    .execute(conn)
}

// ------------------------------------------------------------------ ratings

/// A first rating, or one replacing the person's previous rating.
pub fn upsert_rating(conn: &mut DbConnection, rating: &RatingRow) -> QueryResult<()> {
    on_backend!(conn, |backend| diesel::insert_into(workshop_ratings::table)
        .values(rating)
        .on_conflict((workshop_ratings::workshop_id, workshop_ratings::user_id))
        .do_update()
        .set(rating)
        .execute(backend))
    .map(drop)
}

/// The released average rating and number of raters per workshop, for those with a release.
pub fn rating_summaries(
    conn: &mut DbConnection,
    ids: &[WorkshopId],
) -> QueryResult<HashMap<WorkshopId, (f64, i64)>> {
    let rows: Vec<(WorkshopId, Option<f64>, i32)> = workshops::table
        .filter(workshops::id.one_of(ids))
        .filter(workshops::released_rating_count.gt(0))
        .select((
            workshops::id,
            workshops::released_rating_average,
            workshops::released_rating_count,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, average, count)| average.map(|average| (id, (average, i64::from(count)))))
        .collect())
}

/// How many of the workshop's ratings its released figures do not include yet.
pub fn unreleased_ratings(conn: &mut DbConnection, id: &WorkshopId) -> QueryResult<i64> {
    workshop_ratings::table
        .filter(workshop_ratings::workshop_id.eq(id))
        .filter(workshop_ratings::released.eq(false))
        .count()
        .get_result(conn)
}

/// Releases the workshop's figures from every rating it has now.
pub fn release_ratings(conn: &mut DbConnection, id: &WorkshopId) -> QueryResult<()> {
    let (average, count): (Option<f64>, i64) = workshop_ratings::table
        .filter(workshop_ratings::workshop_id.eq(id))
        .select((
            sql::<Nullable<Double>>("AVG(CAST(rating AS DOUBLE PRECISION))"),
            count_star(),
        ))
        .first(conn)?;
    diesel::update(workshops::table.find(id))
        .set((
            workshops::released_rating_average.eq(average),
            workshops::released_rating_count.eq(i32::try_from(count).unwrap_or(i32::MAX)),
        ))
        .execute(conn)?;
    diesel::update(workshop_ratings::table.filter(workshop_ratings::workshop_id.eq(id)))
        .set(workshop_ratings::released.eq(true))
        .execute(conn)
        .map(drop)
}

/// The comments of the workshop's raters who registered before it started, in text order (never
/// in the order they came, which could tell who wrote which), and how many such raters there are.
pub fn comments_of_early_raters(
    conn: &mut DbConnection,
    id: &WorkshopId,
    starts_at: NaiveDateTime,
) -> QueryResult<(i64, Vec<String>)> {
    let rows: Vec<Option<String>> = workshop_ratings::table
        .inner_join(
            workshop_registrations::table.on(workshop_registrations::workshop_id
                .eq(workshop_ratings::workshop_id)
                .and(workshop_registrations::user_id.eq(workshop_ratings::user_id))),
        )
        .filter(workshop_ratings::workshop_id.eq(id))
        .filter(workshop_registrations::created_at.lt(starts_at))
        .select(workshop_ratings::comment)
        .load(conn)?;
    let raters = rows.len() as i64;
    let mut comments: Vec<String> = rows.into_iter().flatten().collect();
    comments.sort();
    Ok((raters, comments))
}

/// A rating the person gave: the workshop's title, the rating, their comment, when.
pub type OwnRating = (String, i32, Option<String>, NaiveDateTime);

pub fn ratings_by(conn: &mut DbConnection, user_id: &UserId) -> QueryResult<Vec<OwnRating>> {
    workshop_ratings::table
        .inner_join(workshops::table)
        .filter(workshop_ratings::user_id.eq(user_id))
        .order(workshop_ratings::rated_at)
        .select((
            workshops::title,
            workshop_ratings::rating,
            workshop_ratings::comment,
            workshop_ratings::rated_at,
        ))
        .load(conn)
}

pub fn delete_ratings_of(conn: &mut DbConnection, user_id: &UserId) -> QueryResult<usize> {
    diesel::delete(workshop_ratings::table.filter(workshop_ratings::user_id.eq(user_id)))
        .execute(conn)
}

// ------------------------------------------------------------------ calendar feeds

pub fn feed_generation(conn: &mut DbConnection, user_id: &UserId) -> QueryResult<Option<i32>> {
    calendar_feeds::table
        .find(user_id)
        .select(calendar_feeds::generation)
        .first(conn)
        .optional()
}

/// Stores the person's first feed, unless someone stored it first.
pub fn create_feed(
    conn: &mut DbConnection,
    user_id: &UserId,
    token_hash: &str,
    now: NaiveDateTime,
) -> QueryResult<()> {
    let values = (
        calendar_feeds::user_id.eq(user_id),
        calendar_feeds::generation.eq(1),
        calendar_feeds::token_hash.eq(token_hash),
        calendar_feeds::created_at.eq(now),
    );
    on_backend!(conn, |backend| diesel::insert_into(calendar_feeds::table)
        .values(values)
        .on_conflict_do_nothing()
        .execute(backend))
    .map(drop)
}

/// Stores the feed of `generation`, replacing the person's previous one.
pub fn save_feed(
    conn: &mut DbConnection,
    user_id: &UserId,
    generation: i32,
    token_hash: &str,
    now: NaiveDateTime,
) -> QueryResult<()> {
    let values = (
        calendar_feeds::user_id.eq(user_id),
        calendar_feeds::generation.eq(generation),
        calendar_feeds::token_hash.eq(token_hash),
        calendar_feeds::created_at.eq(now),
    );
    on_backend!(conn, |backend| diesel::insert_into(calendar_feeds::table)
        .values(values)
        .on_conflict(calendar_feeds::user_id)
        .do_update()
        .set(values)
        .execute(backend))
    .map(drop)
}

/// Whose feed this token hash opens, if any (a rotated one opens nothing).
pub fn feed_owner(conn: &mut DbConnection, token_hash: &str) -> QueryResult<Option<UserId>> {
    calendar_feeds::table
        .filter(calendar_feeds::token_hash.eq(token_hash))
        .select(calendar_feeds::user_id)
        .first(conn)
        .optional()
}

pub fn feed_created(
    conn: &mut DbConnection,
    user_id: &UserId,
) -> QueryResult<Option<NaiveDateTime>> {
    calendar_feeds::table
        .find(user_id)
        .select(calendar_feeds::created_at)
        .first(conn)
        .optional()
}

pub fn delete_feed_of(conn: &mut DbConnection, user_id: &UserId) -> QueryResult<usize> {
    diesel::delete(calendar_feeds::table.find(user_id)).execute(conn)
}
