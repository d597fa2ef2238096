//! Queries on mentor profiles, mentorships, goals, feedback and opt-ins for rounds.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::dsl::{count_star, sql};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Double, Nullable};

use super::model::*;
use crate::db::events::{Committed, after_commit};
use crate::db::schema::{
    mentee_seeking, mentor_areas, mentor_profiles, mentorship_areas, mentorship_feedback,
    mentorship_goals, mentorships,
};
use crate::db::{DbConnection, TextListExt};
use crate::ids::{ConversationId, GoalId, MentorshipId, UserId};
use crate::on_backend;

/// How many ACTIVE mentorships the mentor of the current `mentor_profiles` row has.
const ACTIVE_MENTEES_SQL: &str = "(SELECT COUNT(*) FROM mentorships m \
     WHERE m.mentor_id = mentor_profiles.user_id AND m.status = 'ACTIVE')";

// ------------------------------------------------------------------ profiles

/// Tells the mentor index that what ranking reads about `mentor` changed, once committed; every
/// write below that changes it calls this, so that no path leaves the index behind.
fn mentor_changed(mentor: &UserId) {
    after_commit(Committed::MentorChanged {
        user_id: mentor.clone(),
    });
}

pub fn save_profile(conn: &mut DbConnection, row: &MentorProfileRow) -> QueryResult<()> {
    mentor_changed(&row.user_id);
    on_backend!(conn, |backend| diesel::insert_into(mentor_profiles::table)
        .values(row)
        .on_conflict(mentor_profiles::user_id)
        .do_update()
        .set((
            mentor_profiles::headline.eq(&row.headline),
            mentor_profiles::years_of_experience.eq(row.years_of_experience),
            mentor_profiles::capacity.eq(row.capacity),
            mentor_profiles::accepting_mentees.eq(row.accepting_mentees),
            mentor_profiles::updated_at.eq(row.updated_at),
        ))
        .execute(backend))
    .map(drop)
}

pub fn replace_areas(
    conn: &mut DbConnection,
    user_id: &UserId,
    areas: &[MentorshipArea],
) -> QueryResult<()> {
    mentor_changed(user_id);
    diesel::delete(mentor_areas::table.filter(mentor_areas::user_id.eq(user_id))).execute(conn)?;
    for area in areas {
        diesel::insert_into(mentor_areas::table)
            .values((
                mentor_areas::user_id.eq(user_id),
                mentor_areas::area.eq(area),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// These mentors' profiles with their count of active mentees.
pub fn profiles(
    conn: &mut DbConnection,
    ids: &[UserId],
) -> QueryResult<Vec<(MentorProfileRow, i64)>> {
    mentor_profiles::table
        .filter(mentor_profiles::user_id.one_of(ids))
        .select((
            MentorProfileRow::as_select(),
            sql::<BigInt>(ACTIVE_MENTEES_SQL),
        ))
        .load(conn)
}

/// What ranking reads first about mentors taking mentees with a capacity (all of them, or those
/// of `only`): years, capacity, active mentees (a full mentor is listed too), areas.
pub fn mentor_numbers(
    conn: &mut DbConnection,
    only: Option<&[UserId]>,
) -> QueryResult<Vec<MentorNumbers>> {
    let mut query = mentor_profiles::table
        .filter(mentor_profiles::accepting_mentees.eq(true))
        .filter(mentor_profiles::capacity.gt(0))
        .select((
            mentor_profiles::user_id,
            mentor_profiles::years_of_experience,
            mentor_profiles::capacity,
            sql::<BigInt>(ACTIVE_MENTEES_SQL),
        ))
        .into_boxed();
    if let Some(only) = only {
        query = query.filter(mentor_profiles::user_id.one_of(only));
    }
    let rows: Vec<(UserId, i32, i32, i64)> = query.load(conn)?;
    let ids: Vec<UserId> = rows.iter().map(|row| row.0.clone()).collect();
    let mut areas = areas_of(conn, &ids)?;
    Ok(rows
        .into_iter()
        .map(
            |(user_id, years_of_experience, capacity, active_mentees)| MentorNumbers {
                areas: areas.remove(&user_id).unwrap_or_default(),
                user_id,
                years_of_experience,
                capacity,
                active_mentees,
            },
        )
        .collect())
}

/// Each mentor's areas, for any number of mentors (read in chunks).
pub fn areas_of(
    conn: &mut DbConnection,
    ids: &[UserId],
) -> QueryResult<HashMap<UserId, Vec<MentorshipArea>>> {
    let mut areas: HashMap<UserId, Vec<MentorshipArea>> = HashMap::new();
    for chunk in ids.chunks(5_000) {
        let rows: Vec<(UserId, MentorshipArea)> = mentor_areas::table
            .filter(mentor_areas::user_id.one_of(chunk))
            .select((mentor_areas::user_id, mentor_areas::area))
            .load(conn)?;
        for (user_id, area) in rows {
            areas.entry(user_id).or_default().push(area);
        }
    }
    Ok(areas)
}

/// The mentor's released average rating by their mentees, if one was released.
pub fn released_rating(conn: &mut DbConnection, mentor: &UserId) -> QueryResult<Option<f64>> {
    Ok(mentor_profiles::table
        .find(mentor)
        .select(mentor_profiles::released_rating_average)
        .first::<Option<f64>>(conn)
        .optional()?
        .flatten())
}

/// Feedback by the mentor's mentees about them.
#[diesel::dsl::auto_type]
fn mentee_feedback(mentor: UserId) -> _ {
    let subject: UserId = mentor.clone();
    mentorship_feedback::table
        .inner_join(mentorships::table)
        .filter(mentorship_feedback::subject_id.eq(subject))
        .filter(mentorships::mentor_id.eq(mentor))
}

/// How many mentees' ratings the mentor's released average does not include yet.
pub fn unreleased_mentee_ratings(conn: &mut DbConnection, mentor: &UserId) -> QueryResult<i64> {
    mentee_feedback(mentor.clone())
        .filter(mentorship_feedback::released.eq(false))
        .count()
        .get_result(conn)
}

/// Releases the mentor's average from every mentee rating they have now.
pub fn release_mentor_rating(conn: &mut DbConnection, mentor: &UserId) -> QueryResult<()> {
    let (average, count): (Option<f64>, i64) = mentee_feedback(mentor.clone())
        .select((
            sql::<Nullable<Double>>("AVG(CAST(mentorship_feedback.rating AS DOUBLE PRECISION))"),
            count_star(),
        ))
        .first(conn)?;
    diesel::update(mentor_profiles::table.find(mentor))
        .set((
            mentor_profiles::released_rating_average.eq(average),
            mentor_profiles::released_rating_count.eq(i32::try_from(count).unwrap_or(i32::MAX)),
        ))
        .execute(conn)?;
    let theirs = mentorships::table
        .filter(mentorships::mentor_id.eq(mentor.clone()))
        .select(mentorships::id);
    diesel::update(
        mentorship_feedback::table
            .filter(mentorship_feedback::subject_id.eq(mentor.clone()))
            .filter(mentorship_feedback::mentorship_id.eq_any(theirs)),
    )
    .set(mentorship_feedback::released.eq(true))
    .execute(conn)
    .map(drop)
}

pub fn delete_profile(conn: &mut DbConnection, user_id: &UserId) -> QueryResult<usize> {
    mentor_changed(user_id);
    diesel::delete(mentor_areas::table.filter(mentor_areas::user_id.eq(user_id))).execute(conn)?;
    diesel::delete(mentor_profiles::table.find(user_id)).execute(conn)
}

// ------------------------------------------------------------------ mentorships

pub fn insert_mentorship(
    conn: &mut DbConnection,
    row: &MentorshipRow,
    areas: &[MentorshipArea],
) -> QueryResult<()> {
    mentor_changed(&row.mentor_id);
    diesel::insert_into(mentorships::table)
        .values(row)
        .execute(conn)?;
    for area in areas {
        diesel::insert_into(mentorship_areas::table)
            .values((
                mentorship_areas::mentorship_id.eq(&row.id),
                mentorship_areas::area.eq(area),
            ))
            .execute(conn)?;
    }
    Ok(())
}

pub fn mentorship(
    conn: &mut DbConnection,
    id: &MentorshipId,
) -> QueryResult<Option<MentorshipRow>> {
    mentorships::table
        .find(id)
        .select(MentorshipRow::as_select())
        .first(conn)
        .optional()
}

/// Moves a mentorship from `from` to `row`'s status and times; 0 when it was no longer `from`.
pub fn transition(
    conn: &mut DbConnection,
    row: &MentorshipRow,
    from: MentorshipStatus,
) -> QueryResult<usize> {
    mentor_changed(&row.mentor_id);
    diesel::update(
        mentorships::table
            .find(&row.id)
            .filter(mentorships::status.eq(from)),
    )
    .set((
        mentorships::status.eq(row.status),
        mentorships::decline_reason.eq(row.decline_reason),
        mentorships::conversation_id.eq(&row.conversation_id),
        mentorships::responded_at.eq(row.responded_at),
        mentorships::ended_at.eq(row.ended_at),
    ))
    .execute(conn)
}

pub fn areas_of_mentorships(
    conn: &mut DbConnection,
    ids: &[MentorshipId],
) -> QueryResult<HashMap<MentorshipId, Vec<MentorshipArea>>> {
    let rows: Vec<(MentorshipId, MentorshipArea)> = mentorship_areas::table
        .filter(mentorship_areas::mentorship_id.one_of(ids))
        .select((mentorship_areas::mentorship_id, mentorship_areas::area))
        .load(conn)?;
    let mut areas: HashMap<MentorshipId, Vec<MentorshipArea>> = HashMap::new();
    for (id, area) in rows {
        areas.entry(id).or_default().push(area);
    }
    Ok(areas)
}

/// The person's mentorships in `statuses`, on either side.
pub fn involving(
    conn: &mut DbConnection,
    user_id: &UserId,
    statuses: &[MentorshipStatus],
) -> QueryResult<Vec<MentorshipRow>> {
    mentorships::table
        .filter(
            mentorships::mentor_id
                .eq(user_id)
                .or(mentorships::mentee_id.eq(user_id)),
        )
        .filter(mentorships::status.one_of(statuses))
        .order(mentorships::id)
        .select(MentorshipRow::as_select())
        .load(conn)
}

/// How many requests each of these mentors has not answered yet.
pub fn requests_awaiting(
    conn: &mut DbConnection,
    mentors: &[UserId],
) -> QueryResult<Vec<(UserId, i64)>> {
    let mut counts = Vec::new();
    for chunk in mentors.chunks(5_000) {
        counts.extend(
            mentorships::table
                .filter(mentorships::mentor_id.one_of(chunk))
                .filter(mentorships::status.eq(MentorshipStatus::Requested))
                .group_by(mentorships::mentor_id)
                .select((mentorships::mentor_id, count_star()))
                .load::<(UserId, i64)>(conn)?,
        );
    }
    Ok(counts)
}

/// The person's mentorships, newest first, filtered by side and status, at most `limit`.
pub fn mentorships_of(
    conn: &mut DbConnection,
    user_id: &UserId,
    side: Option<MentorshipSide>,
    status: Option<MentorshipStatus>,
    limit: i64,
) -> QueryResult<Vec<MentorshipRow>> {
    let mut query = mentorships::table
        .select(MentorshipRow::as_select())
        .order(mentorships::id.desc())
        .limit(limit)
        .into_boxed();
    query = match side {
        Some(MentorshipSide::Mentor) => query.filter(mentorships::mentor_id.eq(user_id)),
        Some(MentorshipSide::Mentee) => query.filter(mentorships::mentee_id.eq(user_id)),
        None => query.filter(
            mentorships::mentor_id
                .eq(user_id)
                .or(mentorships::mentee_id.eq(user_id)),
        ),
    };
    if let Some(status) = status {
        query = query.filter(mentorships::status.eq(status));
    }
    query.load(conn)
}

/// Open requests made before `before`, oldest first, at most `limit`.
pub fn stale_requests(
    conn: &mut DbConnection,
    before: NaiveDateTime,
    limit: i64,
) -> QueryResult<Vec<MentorshipRow>> {
    mentorships::table
        .filter(mentorships::status.eq(MentorshipStatus::Requested))
        .filter(mentorships::created_at.lt(before))
        .order(mentorships::created_at)
        .limit(limit)
        .select(MentorshipRow::as_select())
        .load(conn)
}

pub fn delete_mentorship(conn: &mut DbConnection, id: &MentorshipId) -> QueryResult<usize> {
    let mentor: Option<UserId> = mentorships::table
        .find(id)
        .select(mentorships::mentor_id)
        .first(conn)
        .optional()?;
    if let Some(mentor) = &mentor {
        mentor_changed(mentor);
    }
    diesel::delete(mentorship_feedback::table.filter(mentorship_feedback::mentorship_id.eq(id)))
        .execute(conn)?;
    diesel::delete(mentorship_goals::table.filter(mentorship_goals::mentorship_id.eq(id)))
        .execute(conn)?;
    diesel::delete(mentorship_areas::table.filter(mentorship_areas::mentorship_id.eq(id)))
        .execute(conn)?;
    diesel::delete(mentorships::table.find(id)).execute(conn)
}

pub fn conversations_of_mentorships(
    conn: &mut DbConnection,
    ids: &[MentorshipId],
) -> QueryResult<Vec<ConversationId>> {
    mentorships::table
        .filter(mentorships::id.one_of(ids))
        .filter(mentorships::conversation_id.is_not_null())
        .select(mentorships::conversation_id.assume_not_null())
        .load(conn)
}

// ------------------------------------------------------------------ goals

pub fn insert_goal(conn: &mut DbConnection, goal: &GoalRow) -> QueryResult<()> {
    diesel::insert_into(mentorship_goals::table)
        .values(goal)
        .execute(conn)
        .map(drop)
}

pub fn goal(conn: &mut DbConnection, id: &GoalId) -> QueryResult<Option<GoalRow>> {
    mentorship_goals::table
        .find(id)
        .select(GoalRow::as_select())
        .first(conn)
        .optional()
}

pub fn goal_count(conn: &mut DbConnection, id: &MentorshipId) -> QueryResult<i64> {
    mentorship_goals::table
        .filter(mentorship_goals::mentorship_id.eq(id))
        .count()
        .get_result(conn)
}

pub fn set_goal_done(
    conn: &mut DbConnection,
    id: &GoalId,
    done_at: Option<NaiveDateTime>,
) -> QueryResult<()> {
    diesel::update(mentorship_goals::table.find(id))
        .set(mentorship_goals::done_at.eq(done_at))
        .execute(conn)
        .map(drop)
}

/// The goals of these mentorships, in the order they were set.
pub fn goals_of(
    conn: &mut DbConnection,
    ids: &[MentorshipId],
) -> QueryResult<HashMap<MentorshipId, Vec<GoalRow>>> {
    let rows: Vec<GoalRow> = mentorship_goals::table
        .filter(mentorship_goals::mentorship_id.one_of(ids))
        .order((mentorship_goals::created_at, mentorship_goals::id))
        .select(GoalRow::as_select())
        .load(conn)?;
    let mut goals: HashMap<MentorshipId, Vec<GoalRow>> = HashMap::new();
    for goal in rows {
        goals
            .entry(goal.mentorship_id.clone())
            .or_default()
            .push(goal);
    }
    Ok(goals)
}

pub fn goals_by(conn: &mut DbConnection, user_id: &UserId) -> QueryResult<Vec<GoalRow>> {
    mentorship_goals::table
        .filter(mentorship_goals::created_by.eq(user_id))
        .order(mentorship_goals::created_at)
        .select(GoalRow::as_select())
        .load(conn)
}

// ------------------------------------------------------------------ feedback

/// A first feedback, or one replacing the author's previous one.
pub fn save_feedback(conn: &mut DbConnection, feedback: &FeedbackRow) -> QueryResult<()> {
    on_backend!(conn, |backend| diesel::insert_into(
        mentorship_feedback::table
    )
    .values(feedback)
    .on_conflict((
        mentorship_feedback::mentorship_id,
        mentorship_feedback::author_id,
    ))
    .do_update()
    .set(feedback)
    .execute(backend))
    .map(drop)
}

/// The feedback `author` left on these mentorships.
pub fn feedback_by(
    conn: &mut DbConnection,
    author: &UserId,
    ids: &[MentorshipId],
) -> QueryResult<Vec<FeedbackRow>> {
    mentorship_feedback::table
        .filter(mentorship_feedback::author_id.eq(author))
        .filter(mentorship_feedback::mentorship_id.one_of(ids))
        .select(FeedbackRow::as_select())
        .load(conn)
}

pub fn all_feedback_by(conn: &mut DbConnection, author: &UserId) -> QueryResult<Vec<FeedbackRow>> {
    mentorship_feedback::table
        .filter(mentorship_feedback::author_id.eq(author))
        .select(FeedbackRow::as_select())
        .load(conn)
}

// ------------------------------------------------------------------ rounds

pub fn replace_seeking(
    conn: &mut DbConnection,
    user_id: &UserId,
    areas: &[MentorshipArea],
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::delete(mentee_seeking::table.filter(mentee_seeking::user_id.eq(user_id)))
        .execute(conn)?;
    for area in areas {
        diesel::insert_into(mentee_seeking::table)
            .values((
                mentee_seeking::user_id.eq(user_id),
                mentee_seeking::area.eq(area),
                mentee_seeking::created_at.eq(now),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Everyone who opted in to rounds, with their areas.
pub fn seekers(conn: &mut DbConnection) -> QueryResult<HashMap<UserId, Vec<MentorshipArea>>> {
    let rows: Vec<(UserId, MentorshipArea)> = mentee_seeking::table
        .order((mentee_seeking::user_id, mentee_seeking::area))
        .select((mentee_seeking::user_id, mentee_seeking::area))
        .load(conn)?;
    let mut seekers: HashMap<UserId, Vec<MentorshipArea>> = HashMap::new();
    for (user_id, area) in rows {
        seekers.entry(user_id).or_default().push(area);
    }
    Ok(seekers)
}

pub fn seeking_of(conn: &mut DbConnection, user_id: &UserId) -> QueryResult<Vec<MentorshipArea>> {
    mentee_seeking::table
        .filter(mentee_seeking::user_id.eq(user_id))
        .select(mentee_seeking::area)
        .load(conn)
}
