//! Mentorship rules: profiles and pauses, ranked matching, the request lifecycle under the two
//! people's locks, reminders and expiry so that nobody waits for ever, goals, feedback, rounds.

use std::collections::{HashMap, HashSet};

use chrono::{NaiveDateTime, TimeDelta, Utc};
use serde_json::json;

use super::matching::{self, Candidate, Scored, Seeker};
use super::model::*;
use super::store;
use crate::accounts::model::{Profession, Role};
use crate::accounts::service::{self as accounts, has_any_role, locale_of};
use crate::auth::Viewer;
use crate::conversations::service as conversations;
use crate::db::atomic::{lock, lock_in_order};
use crate::db::{Db, DbConnection};
use crate::error::{AppError, AppResult};
use crate::groups::service::blocked_either_way;
use crate::i18n::{Localized, Message, NotificationText};
use crate::ids::{GoalId, MentorshipId, RoundId, UserId};
use crate::notifications::model::{Notice, NotificationCategory};
use crate::notifications::service::{cancel_scheduled, notify};
use crate::privacy::{Person, PersonColumn, PersonalData, RATINGS_STEP, instant};
use crate::validate;

/// Roles that run matching rounds.
const ROUND_ROLES: [Role; 2] = [Role::Organiser, Role::Admin];
/// Mentors suggested to a mentee whose request expired.
const SUGGESTIONS_ON_EXPIRY: usize = 3;
/// Expired requests handled per transaction batch by the sweep.
const EXPIRY_BATCH: i64 = 50;

// ------------------------------------------------------------------ validation

/// 1 to `max` distinct areas, in the order given.
fn valid_areas(
    field: &'static str,
    areas: Vec<MentorshipArea>,
    max: usize,
) -> AppResult<Vec<MentorshipArea>> {
    let mut distinct = Vec::with_capacity(areas.len());
    for area in areas {
        if !distinct.contains(&area) {
            distinct.push(area);
        }
    }
    if distinct.is_empty() || distinct.len() > max {
        return Err(AppError::bad_input(
            field,
            Message::ChooseBetween { min: 1, max },
        ));
    }
    Ok(distinct)
}

fn in_range(field: &'static str, value: i32, max: i32) -> AppResult<i32> {
    if (0..=max).contains(&value) {
        Ok(value)
    } else {
        Err(AppError::bad_input(
            field,
            Message::NumberBetween {
                min: 0,
                max: i64::from(max),
            },
        ))
    }
}

// ------------------------------------------------------------------ profiles

fn load_profiles(
    conn: &mut DbConnection,
    viewer: &UserId,
    ids: &[UserId],
) -> AppResult<Vec<MentorProfile>> {
    let rows = store::profiles(conn, ids)?;
    let ids: Vec<UserId> = rows.iter().map(|(row, _)| row.user_id.clone()).collect();
    let mut areas = store::areas_of(conn, &ids)?;
    rows.into_iter()
        .map(|(row, active_mentees)| {
            let own_average_rating = if &row.user_id == viewer {
                store::released_rating(conn, viewer)?
            } else {
                None
            };
            Ok(MentorProfile {
                areas: areas.remove(&row.user_id).unwrap_or_default(),
                active_mentees,
                own_average_rating,
                row,
            })
        })
        .collect()
}

fn load_profile(conn: &mut DbConnection, viewer: &UserId, id: &UserId) -> AppResult<MentorProfile> {
    load_profiles(conn, viewer, std::slice::from_ref(id))?
        .pop()
        .ok_or(AppError::NotFound)
}

/// Creates or changes the viewer's mentor profile. Pausing (capacity 0 or not accepting)
/// declines their open requests in the same transaction, each mentee told.
pub async fn save_profile(
    db: &Db,
    viewer: &Viewer,
    form: MentorProfileForm,
) -> AppResult<MentorProfile> {
    let headline = validate::text("headline", &form.headline, HEADLINE_MIN, HEADLINE_MAX)?;
    let areas = valid_areas("areas", form.areas, PROFILE_AREAS_MAX)?;
    let years = in_range("yearsOfExperience", form.years_of_experience, YEARS_MAX)?;
    let capacity = in_range("capacity", form.capacity, CAPACITY_MAX)?;
    let user_id = viewer.user_id.clone();
    db.write(move |conn| {
        lock(conn, &user_id)?;
        let now = Utc::now().naive_utc();
        let row = MentorProfileRow {
            user_id: user_id.clone(),
            headline,
            years_of_experience: years,
            capacity,
            accepting_mentees: form.accepting_mentees,
            created_at: now,
            updated_at: now,
        };
        store::save_profile(conn, &row)?;
        store::replace_areas(conn, &user_id, &areas)?;
        if row.on_break() {
            let about = user_id.clone();
            for open in store::involving(conn, &user_id, &[MentorshipStatus::Requested])? {
                if open.mentor_id != user_id {
                    continue;
                }
                let mentee = open.mentee_id.clone();
                let declined = move_to(
                    conn,
                    open,
                    MentorshipStatus::Declined,
                    Some(DeclineReason::MentorOnBreak),
                    now,
                )?;
                tell(
                    conn,
                    &mentee,
                    &declined.id,
                    NotificationText::MentorPaused,
                    Some(&about),
                )?;
            }
        }
        load_profile(conn, &user_id, &user_id)
    })
    .await
}

/// A mentor profile; `None` when there is none, or between people who blocked one another.
pub async fn profile(
    db: &Db,
    viewer: &Viewer,
    user_id: UserId,
) -> AppResult<Option<MentorProfile>> {
    let viewer = viewer.user_id.clone();
    db.run(move |conn| {
        if blocked_either_way(conn, &viewer)?.contains(&user_id) {
            return Ok(None);
        }
        Ok(load_profiles(conn, &viewer, std::slice::from_ref(&user_id))?.pop())
    })
    .await
}

// ------------------------------------------------------------------ matching

/// What `mentorMatches` asks for.
#[derive(Debug, Clone)]
pub struct MatchSearch {
    pub areas: Vec<MentorshipArea>,
    pub language: Option<String>,
    pub profession: Option<Profession>,
}

/// Never suggested to `user`: themselves, people they block or who block them, and mentors they
/// already have an open or active mentorship with.
fn excluded_for(conn: &mut DbConnection, user: &UserId) -> AppResult<HashSet<UserId>> {
    let mut excluded = blocked_either_way(conn, user)?;
    excluded.insert(user.clone());
    let open = [MentorshipStatus::Requested, MentorshipStatus::Active];
    for mentorship in store::involving(conn, user, &open)? {
        excluded.insert(mentorship.other_than(user).clone());
    }
    Ok(excluded)
}

fn seeker(
    conn: &mut DbConnection,
    user: &UserId,
    areas: Vec<MentorshipArea>,
    preferred_profession: Option<Profession>,
) -> AppResult<Seeker> {
    let facts = accounts::matching_facts(conn, std::slice::from_ref(user))?
        .remove(user)
        .ok_or(AppError::NotFound)?;
    let years_of_experience = store::profiles(conn, std::slice::from_ref(user))?
        .pop()
        .map_or(0, |(row, _)| row.years_of_experience);
    Ok(Seeker {
        user_id: user.clone(),
        facts,
        years_of_experience,
        areas,
        preferred_profession,
    })
}

/// How many people's facts a search reads at a time.
const FACTS_BATCH: usize = 200;

/// Mentors `seeker` may be matched with (free, not excluded, not of their workplace, speaking
/// `language` when given), best first, at most `limit`. Mentors are read in the order of what
/// their profile alone scores, and the facts about people only until no one left could still
/// make the list.
fn best_candidates(
    conn: &mut DbConnection,
    seeker: &Seeker,
    language: Option<&str>,
    excluded: &HashSet<UserId>,
    limit: usize,
) -> AppResult<Vec<Scored>> {
    let excluded: Vec<UserId> = excluded.iter().cloned().collect();
    let open = store::open_mentors(conn, &seeker.areas, &excluded)?;
    let ranked = matching::search(seeker, open, limit, FACTS_BATCH, |ids| {
        let mut facts = accounts::matching_facts(conn, ids)?;
        let mut candidates = Vec::with_capacity(ids.len());
        for profile in load_profiles(conn, &seeker.user_id, ids)? {
            let Some(facts) = facts.remove(&profile.row.user_id) else {
                continue;
            };
            if matching::same_workplace(&seeker.facts, &facts)
                || !matching::speaks(&facts, language)
            {
                continue;
            }
            candidates.push(Candidate { profile, facts });
        }
        Ok::<_, AppError>(candidates)
    })?;
    Ok(ranked)
}

fn ranked_for(
    conn: &mut DbConnection,
    user: &UserId,
    search: MatchSearch,
    limit: usize,
    also_excluded: Option<&UserId>,
) -> AppResult<Vec<Scored>> {
    let mut excluded = excluded_for(conn, user)?;
    excluded.extend(also_excluded.cloned());
    let seeker = seeker(conn, user, search.areas, search.profession)?;
    best_candidates(conn, &seeker, search.language.as_deref(), &excluded, limit)
}

/// The best mentors for the viewer, best first, each with its score and reasons.
pub async fn matches(
    db: &Db,
    viewer: &Viewer,
    search: MatchSearch,
    first: Option<i32>,
) -> AppResult<Vec<Scored>> {
    let areas = valid_areas("areas", search.areas, PROFILE_AREAS_MAX)?;
    let language = search
        .language
        .as_deref()
        .map(|language| validate::language("language", language))
        .transpose()?;
    let limit = match first {
        None => MATCHES_DEFAULT,
        Some(first) => match usize::try_from(first) {
            Ok(first) if (1..=MATCHES_MAX).contains(&first) => first,
            _ => {
                return Err(AppError::bad_input(
                    "first",
                    Message::NumberBetween {
                        min: 1,
                        max: MATCHES_MAX as i64,
                    },
                ));
            }
        },
    };
    let search = MatchSearch {
        areas,
        language,
        profession: search.profession,
    };
    let user_id = viewer.user_id.clone();
    db.run(move |conn| ranked_for(conn, &user_id, search, limit, None))
        .await
}

// ------------------------------------------------------------------ lifecycle

/// Locks the two people of a mentorship, in id order, as every rule about them does: a mentor's
/// free slots and a mentee's open requests are read and written under these locks.
fn lock_pair(conn: &mut DbConnection, a: &UserId, b: &UserId) -> AppResult<()> {
    Ok(lock_in_order(conn, [a, b])?)
}

/// Tells `user` about the mentorship; `about` is the person the text names (rendered when read,
/// so that an erased person's name leaves with them), `None` once they are gone.
fn tell(
    conn: &mut DbConnection,
    user: &UserId,
    mentorship: &MentorshipId,
    text: NotificationText,
    about: Option<&UserId>,
) -> AppResult<()> {
    let notice = Notice::new(NotificationCategory::Mentorship, text)
        .with_data("mentorshipId", mentorship.to_string())
        .about(about);
    notify(conn, user, notice).map(drop)
}

fn waiting_key(id: &MentorshipId) -> String {
    format!("mentorship:{id}:waiting")
}

/// Moves `row` to `to`, once: CONFLICT naming both states when the state does not allow it (or
/// no longer does). Opens the conversation on ACTIVE, closes it when an active one ends, and
/// withdraws the mentor's reminder once a request is answered.
fn move_to(
    conn: &mut DbConnection,
    row: MentorshipRow,
    to: MentorshipStatus,
    reason: Option<DeclineReason>,
    now: NaiveDateTime,
) -> AppResult<MentorshipRow> {
    let from = row.status;
    let refused = || {
        AppError::Conflict(Message::TransitionNotAllowed {
            from: from.as_str(),
            to: to.as_str(),
        })
    };
    if !from.may_become(to) {
        return Err(refused());
    }
    let mut moved = MentorshipRow {
        status: to,
        decline_reason: reason.or(row.decline_reason),
        ..row
    };
    if from == MentorshipStatus::Requested {
        moved.responded_at = Some(now);
        cancel_scheduled(conn, &waiting_key(&moved.id))?;
    }
    if to == MentorshipStatus::Active {
        let people = [&moved.mentor_id, &moved.mentee_id];
        moved.conversation_id = Some(conversations::start(
            conn,
            people,
            NotificationCategory::Mentorship,
            now,
        )?);
    } else {
        moved.ended_at = Some(now);
        if let Some(conversation) = &moved.conversation_id {
            conversations::close(conn, conversation, now)?;
        }
    }
    if store::transition(conn, &moved, from)? == 0 {
        return Err(refused());
    }
    Ok(moved)
}

/// The mentorship if `viewer` is one of its two people; NOT_FOUND for anyone else.
fn own_mentorship(
    conn: &mut DbConnection,
    id: &MentorshipId,
    viewer: &UserId,
) -> AppResult<MentorshipRow> {
    let row = store::mentorship(conn, id)?.ok_or(AppError::NotFound)?;
    if &row.mentor_id != viewer && &row.mentee_id != viewer {
        return Err(AppError::NotFound);
    }
    lock_pair(conn, &row.mentor_id, &row.mentee_id)?;
    // Read again under the locks: what a rule checks is what it writes over.
    store::mentorship(conn, id)?.ok_or(AppError::NotFound)
}

/// The mentorships as `viewer` sees them, in a fixed number of queries.
fn cards(
    conn: &mut DbConnection,
    viewer: &UserId,
    rows: Vec<MentorshipRow>,
) -> AppResult<Vec<MentorshipCard>> {
    let ids: Vec<MentorshipId> = rows.iter().map(|row| row.id.clone()).collect();
    let mut areas = store::areas_of_mentorships(conn, &ids)?;
    let mut goals = store::goals_of(conn, &ids)?;
    let conversation_ids: Vec<_> = rows
        .iter()
        .filter_map(|row| row.conversation_id.clone())
        .collect();
    let mut conversations = conversations::views(conn, viewer, &conversation_ids)?;
    let mut feedback: HashMap<MentorshipId, FeedbackRow> = store::feedback_by(conn, viewer, &ids)?
        .into_iter()
        .map(|row| (row.mentorship_id.clone(), row))
        .collect();
    Ok(rows
        .into_iter()
        .map(|row| MentorshipCard {
            areas: areas.remove(&row.id).unwrap_or_default(),
            goals: goals.remove(&row.id).unwrap_or_default(),
            conversation: row
                .conversation_id
                .as_ref()
                .and_then(|id| conversations.remove(id)),
            viewer_feedback: feedback.remove(&row.id),
            row,
        })
        .collect())
}

fn card(conn: &mut DbConnection, viewer: &UserId, row: MentorshipRow) -> AppResult<MentorshipCard> {
    cards(conn, viewer, vec![row])?
        .pop()
        .ok_or(AppError::NotFound)
}

/// Checks and writes a new request, inside the caller's transaction holding both people's
/// locks: not to a mentor on a break or full, not twice while one is open, at most three open.
fn insert_request(
    conn: &mut DbConnection,
    mentee: &UserId,
    mentor: &UserId,
    areas: &[MentorshipArea],
    message: String,
    round: Option<&RoundId>,
    now: NaiveDateTime,
) -> AppResult<MentorshipRow> {
    let profile = store::profiles(conn, std::slice::from_ref(mentor))?
        .pop()
        .ok_or(AppError::NotFound)?;
    let (profile, active) = profile;
    if profile.on_break() || active >= i64::from(profile.capacity) {
        return Err(AppError::Conflict(Message::MentorUnavailable));
    }
    let open = [MentorshipStatus::Requested, MentorshipStatus::Active];
    let mine = store::involving(conn, mentee, &open)?;
    if mine.iter().any(|row| &row.mentor_id == mentor) {
        return Err(AppError::Conflict(Message::AlreadyRequested));
    }
    let requested = mine
        .iter()
        .filter(|row| &row.mentee_id == mentee && row.status == MentorshipStatus::Requested)
        .count();
    if requested as i64 >= OPEN_REQUESTS_MAX {
        return Err(AppError::Conflict(Message::TooManyOpenRequests {
            max: OPEN_REQUESTS_MAX,
        }));
    }
    let row = MentorshipRow {
        id: MentorshipId::generate(),
        mentor_id: mentor.clone(),
        mentee_id: mentee.clone(),
        status: MentorshipStatus::Requested,
        message,
        decline_reason: None,
        round_id: round.cloned(),
        conversation_id: None,
        created_at: now,
        responded_at: None,
        ended_at: None,
    };
    store::insert_mentorship(conn, &row, areas)?;
    // The mentor hears of it now, and again after five days without an answer.
    let about = mentee.clone();
    let text = match round {
        None => NotificationText::MentorshipRequested,
        Some(_) => NotificationText::RoundMenteeFound,
    };
    tell(conn, mentor, &row.id, text, Some(&about))?;
    let reminder = Notice::new(
        NotificationCategory::Mentorship,
        NotificationText::MentorshipWaiting,
    )
    .with_data("mentorshipId", row.id.to_string())
    .scheduled(
        (now + TimeDelta::days(REMIND_AFTER_DAYS)).and_utc(),
        waiting_key(&row.id),
    );
    notify(conn, mentor, reminder)?;
    Ok(row)
}

/// Asks a mentor for mentorship in some areas with a message of 20 to 1,000 characters.
pub async fn request(
    db: &Db,
    viewer: &Viewer,
    mentor: UserId,
    areas: Vec<MentorshipArea>,
    message: String,
) -> AppResult<MentorshipCard> {
    let areas = valid_areas("areas", areas, PROFILE_AREAS_MAX)?;
    let message = validate::text("message", &message, MESSAGE_MIN, MESSAGE_MAX)?;
    let mentee = viewer.user_id.clone();
    if mentor == mentee {
        return Err(AppError::bad_input("mentorId", Message::CannotTargetSelf));
    }
    db.write(move |conn| {
        if blocked_either_way(conn, &mentee)?.contains(&mentor) {
            return Err(AppError::NotFound);
        }
        lock_pair(conn, &mentee, &mentor)?;
        let now = Utc::now().naive_utc();
        let row = insert_request(conn, &mentee, &mentor, &areas, message, None, now)?;
        card(conn, &mentee, row)
    })
    .await
}

/// The mentor accepts (if a slot is still free) or declines; the mentee is told either way.
/// Accepting withdraws the mentee's other open requests in overlapping areas.
pub async fn respond(
    db: &Db,
    viewer: &Viewer,
    id: MentorshipId,
    accept: bool,
    reason: Option<DeclineReason>,
) -> AppResult<MentorshipCard> {
    let mentor = viewer.user_id.clone();
    db.write(move |conn| {
        let row = own_mentorship(conn, &id, &mentor)?;
        if row.mentor_id != mentor {
            return Err(AppError::Forbidden);
        }
        let now = Utc::now().naive_utc();
        let mentee = row.mentee_id.clone();
        let about = mentor.clone();
        if !accept {
            let reason = reason.unwrap_or(DeclineReason::Other);
            let declined = move_to(conn, row, MentorshipStatus::Declined, Some(reason), now)?;
            tell(
                conn,
                &mentee,
                &declined.id,
                NotificationText::MentorshipDeclined,
                Some(&about),
            )?;
            return card(conn, &mentor, declined);
        }
        if !row.status.may_become(MentorshipStatus::Active) {
            return Err(AppError::Conflict(Message::TransitionNotAllowed {
                from: row.status.as_str(),
                to: MentorshipStatus::Active.as_str(),
            }));
        }
        let (profile, active) = store::profiles(conn, std::slice::from_ref(&mentor))?
            .pop()
            .ok_or(AppError::NotFound)?;
        if active >= i64::from(profile.capacity) {
            return Err(AppError::Conflict(Message::NoFreeSlot));
        }
        let accepted = move_to(conn, row, MentorshipStatus::Active, None, now)?;
        tell(
            conn,
            &mentee,
            &accepted.id,
            NotificationText::MentorshipAccepted,
            Some(&about),
        )?;
        let areas = store::areas_of_mentorships(conn, std::slice::from_ref(&accepted.id))?
            .remove(&accepted.id)
            .unwrap_or_default();
        withdraw_overlapping(conn, &mentee, &accepted.id, &areas, now)?;
        card(conn, &mentor, accepted)
    })
    .await
}

/// Cancels the mentee's other open requests sharing an area with `areas`, telling their mentors.
fn withdraw_overlapping(
    conn: &mut DbConnection,
    mentee: &UserId,
    kept: &MentorshipId,
    areas: &[MentorshipArea],
    now: NaiveDateTime,
) -> AppResult<()> {
    let open: Vec<MentorshipRow> = store::involving(conn, mentee, &[MentorshipStatus::Requested])?
        .into_iter()
        .filter(|row| &row.mentee_id == mentee && &row.id != kept)
        .collect();
    let ids: Vec<MentorshipId> = open.iter().map(|row| row.id.clone()).collect();
    let areas_of = store::areas_of_mentorships(conn, &ids)?;
    let about = mentee.clone();
    for row in open {
        let overlaps = areas_of
            .get(&row.id)
            .is_some_and(|theirs| theirs.iter().any(|area| areas.contains(area)));
        if overlaps {
            let mentor = row.mentor_id.clone();
            let withdrawn = move_to(conn, row, MentorshipStatus::Cancelled, None, now)?;
            tell(
                conn,
                &mentor,
                &withdrawn.id,
                NotificationText::MentorshipWithdrawn,
                Some(&about),
            )?;
        }
    }
    Ok(())
}

/// The mentee withdraws a request; either side ends an active mentorship early.
pub async fn cancel(db: &Db, viewer: &Viewer, id: MentorshipId) -> AppResult<MentorshipCard> {
    let user_id = viewer.user_id.clone();
    db.write(move |conn| {
        let row = own_mentorship(conn, &id, &user_id)?;
        if row.status == MentorshipStatus::Requested && row.mentor_id == user_id {
            // A mentor answers a request; withdrawing it is the mentee's.
            return Err(AppError::Forbidden);
        }
        let was = row.status;
        let other = row.other_than(&user_id).clone();
        let about = user_id.clone();
        let cancelled = move_to(
            conn,
            row,
            MentorshipStatus::Cancelled,
            None,
            Utc::now().naive_utc(),
        )?;
        let text = match was {
            MentorshipStatus::Requested => NotificationText::MentorshipWithdrawn,
            _ => NotificationText::MentorshipEnded,
        };
        tell(conn, &other, &cancelled.id, text, Some(&about))?;
        card(conn, &user_id, cancelled)
    })
    .await
}

/// Either side marks an active mentorship completed; the other is told.
pub async fn complete(db: &Db, viewer: &Viewer, id: MentorshipId) -> AppResult<MentorshipCard> {
    let user_id = viewer.user_id.clone();
    db.write(move |conn| {
        let row = own_mentorship(conn, &id, &user_id)?;
        let other = row.other_than(&user_id).clone();
        let about = user_id.clone();
        let completed = move_to(
            conn,
            row,
            MentorshipStatus::Completed,
            None,
            Utc::now().naive_utc(),
        )?;
        tell(
            conn,
            &other,
            &completed.id,
            NotificationText::MentorshipCompleted,
            Some(&about),
        )?;
        card(conn, &user_id, completed)
    })
    .await
}

/// The viewer's mentorships, newest first, by side and status.
pub async fn my_mentorships(
    db: &Db,
    viewer: &Viewer,
    side: Option<MentorshipSide>,
    status: Option<MentorshipStatus>,
) -> AppResult<Vec<MentorshipCard>> {
    let user_id = viewer.user_id.clone();
    db.run(move |conn| {
        let rows = store::mentorships_of(conn, &user_id, side, status, MY_MENTORSHIPS_MAX as i64)?;
        cards(conn, &user_id, rows)
    })
    .await
}

// ------------------------------------------------------------------ expiry

/// Expires requests left unanswered for 14 days at `now`, telling each mentee with fresh
/// suggestions. Each expiry is its own guarded transition, so instances sweeping at once
/// expire (and tell) each request once. Returns how many expired here.
pub async fn expire_stale_requests(db: &Db, now: NaiveDateTime) -> AppResult<usize> {
    let cutoff = now - TimeDelta::days(EXPIRE_AFTER_DAYS);
    let mut expired = 0;
    loop {
        let stale = db
            .run(move |conn| Ok(store::stale_requests(conn, cutoff, EXPIRY_BATCH)?))
            .await?;
        let batch = stale.len();
        for row in stale {
            let id = row.id.clone();
            let done = db
                .write(move |conn| {
                    lock_pair(conn, &row.mentor_id, &row.mentee_id)?;
                    match store::mentorship(conn, &id)? {
                        Some(current)
                            if current.status == MentorshipStatus::Requested
                                && current.created_at < cutoff =>
                        {
                            expire(conn, current, now).map(|_| true)
                        }
                        _ => Ok(false),
                    }
                })
                .await?;
            expired += usize::from(done);
        }
        if batch < EXPIRY_BATCH as usize {
            return Ok(expired);
        }
    }
}

fn expire(conn: &mut DbConnection, row: MentorshipRow, now: NaiveDateTime) -> AppResult<()> {
    let (mentor, mentee) = (row.mentor_id.clone(), row.mentee_id.clone());
    let areas = store::areas_of_mentorships(conn, std::slice::from_ref(&row.id))?
        .remove(&row.id)
        .unwrap_or_default();
    let expired = move_to(conn, row, MentorshipStatus::Expired, None, now)?;
    let search = MatchSearch {
        areas,
        language: None,
        profession: None,
    };
    let suggested = ranked_for(conn, &mentee, search, SUGGESTIONS_ON_EXPIRY, Some(&mentor))?;
    // The mentors themselves are named in the app (mentorMatches), never stored in the text.
    tell(
        conn,
        &mentee,
        &expired.id,
        NotificationText::MentorshipExpired {
            suggested: suggested.len(),
        },
        Some(&mentor),
    )
}

// ------------------------------------------------------------------ goals and feedback

/// Adds a shared goal to an active mentorship (at most 20), by either of its people.
pub async fn add_goal(
    db: &Db,
    viewer: &Viewer,
    id: MentorshipId,
    title: String,
) -> AppResult<GoalRow> {
    let title = validate::text("title", &title, 1, GOAL_TITLE_MAX)?;
    let user_id = viewer.user_id.clone();
    db.write(move |conn| {
        let row = own_mentorship(conn, &id, &user_id)?;
        if row.status != MentorshipStatus::Active {
            return Err(AppError::Conflict(Message::MentorshipNotActive));
        }
        if store::goal_count(conn, &id)? >= GOALS_MAX {
            return Err(AppError::Conflict(Message::TooMany {
                max: GOALS_MAX as usize,
            }));
        }
        let goal = GoalRow {
            id: GoalId::generate(),
            mentorship_id: id,
            title,
            created_by: user_id,
            created_at: Utc::now().naive_utc(),
            done_at: None,
        };
        store::insert_goal(conn, &goal)?;
        Ok(goal)
    })
    .await
}

/// Marks a goal of an active mentorship done, or not done again.
pub async fn set_goal_done(
    db: &Db,
    viewer: &Viewer,
    goal_id: GoalId,
    done: bool,
) -> AppResult<GoalRow> {
    let user_id = viewer.user_id.clone();
    db.write(move |conn| {
        let goal = store::goal(conn, &goal_id)?.ok_or(AppError::NotFound)?;
        let row = own_mentorship(conn, &goal.mentorship_id, &user_id)?;
        if row.status != MentorshipStatus::Active {
            return Err(AppError::Conflict(Message::MentorshipNotActive));
        }
        let done_at = done.then(|| goal.done_at.unwrap_or_else(|| Utc::now().naive_utc()));
        store::set_goal_done(conn, &goal_id, done_at)?;
        Ok(GoalRow { done_at, ..goal })
    })
    .await
}

/// After completion, each side rates the other 1-5 with a note only they read; a second
/// feedback replaces the first.
pub async fn leave_feedback(
    db: &Db,
    viewer: &Viewer,
    id: MentorshipId,
    rating: i32,
    note: Option<String>,
) -> AppResult<MentorshipCard> {
    if !(1..=5).contains(&rating) {
        return Err(AppError::bad_input(
            "rating",
            Message::NumberBetween { min: 1, max: 5 },
        ));
    }
    let note = validate::optional_text("note", note.as_deref(), NOTE_MAX)?;
    let user_id = viewer.user_id.clone();
    db.write(move |conn| {
        let row = own_mentorship(conn, &id, &user_id)?;
        if row.status != MentorshipStatus::Completed {
            return Err(AppError::Conflict(Message::OnlyAfterCompletion));
        }
        store::save_feedback(
            conn,
            &FeedbackRow {
                mentorship_id: id,
                author_id: user_id.clone(),
                subject_id: row.other_than(&user_id).clone(),
                rating,
                note,
                created_at: Utc::now().naive_utc(),
                released: false,
            },
        )?;
        // Both people are locked: two mentees' feedback cannot each release a figure that misses
        // the other's.
        let mentor = &row.mentor_id;
        if row.mentee_id == user_id
            && store::unreleased_mentee_ratings(conn, mentor)? >= RATINGS_STEP
        {
            store::release_mentor_rating(conn, mentor)?;
        }
        card(conn, &user_id, row)
    })
    .await
}

// ------------------------------------------------------------------ matching rounds

/// Opts the viewer in to matching rounds for these areas; no areas opts out.
pub async fn set_seeking(
    db: &Db,
    viewer: &Viewer,
    areas: Vec<MentorshipArea>,
) -> AppResult<Vec<MentorshipArea>> {
    let areas = match areas.is_empty() {
        true => areas,
        false => valid_areas("areas", areas, PROFILE_AREAS_MAX)?,
    };
    let user_id = viewer.user_id.clone();
    db.write(move |conn| {
        // A double tap replaces the areas one after the other, never both at once.
        lock(conn, &user_id)?;
        store::replace_seeking(conn, &user_id, &areas, Utc::now().naive_utc())?;
        Ok(areas)
    })
    .await
}

pub async fn seeking(db: &Db, viewer: &Viewer) -> AppResult<Vec<MentorshipArea>> {
    let user_id = viewer.user_id.clone();
    db.run(move |conn| Ok(store::seeking_of(conn, &user_id)?))
        .await
}

/// A pair a round proposes, with the mentee's score for the mentor.
#[derive(Debug, Clone)]
pub struct Proposal {
    pub mentee: UserId,
    pub mentor: UserId,
    pub score: f64,
}

/// What a round did or would do.
#[derive(Debug, Clone)]
pub struct RoundOutcome {
    /// `None` for a dry run.
    pub round_id: Option<RoundId>,
    pub proposals: Vec<Proposal>,
    /// Opted-in mentees the round found nobody for.
    pub unmatched: Vec<UserId>,
}

/// Assigns opted-in mentees to mentors with free slots by deferred acceptance (stable, within
/// capacities, languages, workplaces and blocks). A dry run only says what it would do; a real
/// one creates the requests and tells both sides. ORGANISER or ADMIN.
///
/// The plan is made in a read, outside any write transaction; each proposal is then applied in
/// a short transaction of its own that locks just its two people, in id order, and checks again
/// what the plan assumed: a mentor answering a request meanwhile waits a moment at most, never
/// deadlocks, and a proposal the world has overtaken is skipped (its mentee reported unmatched).
pub async fn run_round(db: &Db, viewer: &Viewer, dry_run: bool) -> AppResult<RoundOutcome> {
    let organiser = viewer.user_id.clone();
    let planned = db
        .run(move |conn| {
            if !has_any_role(conn, &organiser, &ROUND_ROLES)? {
                return Err(AppError::Forbidden);
            }
            plan_round(conn)
        })
        .await?;
    if dry_run {
        return Ok(planned);
    }
    let round_id = RoundId::generate();
    let mut made = Vec::new();
    let mut unmatched = planned.unmatched;
    for proposal in planned.proposals {
        let (applied, round) = (proposal.clone(), round_id.clone());
        let outcome = db
            .write(move |conn| apply_proposal(conn, &applied, &round))
            .await;
        match outcome {
            Ok(()) => made.push(proposal),
            // Changed since the plan (a slot taken, a request made meanwhile): skipped.
            Err(AppError::Conflict(_) | AppError::NotFound) => unmatched.push(proposal.mentee),
            Err(other) => return Err(other),
        }
    }
    unmatched.sort();
    Ok(RoundOutcome {
        round_id: Some(round_id),
        proposals: made,
        unmatched,
    })
}

/// Makes one proposal of a round a request, worded in the mentor's language, and tells both.
fn apply_proposal(conn: &mut DbConnection, proposal: &Proposal, round: &RoundId) -> AppResult<()> {
    lock_pair(conn, &proposal.mentee, &proposal.mentor)?;
    let areas = store::seeking_of(conn, &proposal.mentee)?;
    let message = Message::RoundProposal.render(locale_of(conn, &proposal.mentor)?);
    let row = insert_request(
        conn,
        &proposal.mentee,
        &proposal.mentor,
        &areas,
        message,
        Some(round),
        Utc::now().naive_utc(),
    )?;
    tell(
        conn,
        &proposal.mentee,
        &row.id,
        NotificationText::RoundMentorFound,
        Some(&proposal.mentor),
    )
}

/// The stable assignment of the current opt-ins, without writing anything.
fn plan_round(conn: &mut DbConnection) -> AppResult<RoundOutcome> {
    let mut seekers: Vec<(UserId, Vec<MentorshipArea>)> =
        store::seekers(conn)?.into_iter().collect();
    seekers.sort_by(|a, b| a.0.cmp(&b.0));
    let mut preferences: HashMap<UserId, Vec<UserId>> = HashMap::new();
    let mut scores: HashMap<(UserId, UserId), f64> = HashMap::new();
    let mut capacity: HashMap<UserId, usize> = HashMap::new();
    let mut unmatched = Vec::new();
    for (mentee, areas) in seekers {
        let open = store::involving(
            conn,
            &mentee,
            &[MentorshipStatus::Requested, MentorshipStatus::Active],
        )?;
        let has_mentor = open
            .iter()
            .any(|row| row.mentee_id == mentee && row.status == MentorshipStatus::Active);
        let requests = open
            .iter()
            .filter(|row| row.mentee_id == mentee && row.status == MentorshipStatus::Requested)
            .count();
        // Someone who could not take another request holds no mentor's slot in the plan.
        if has_mentor || requests as i64 >= OPEN_REQUESTS_MAX {
            continue;
        }
        let seeker = seeker(conn, &mentee, areas, None)?;
        let excluded = excluded_for(conn, &mentee)?;
        // A round pairs people who can talk: at least one shared language.
        let ranked: Vec<Scored> = best_candidates(conn, &seeker, None, &excluded, usize::MAX)?
            .into_iter()
            .filter(|scored| {
                scored
                    .candidate
                    .facts
                    .languages
                    .iter()
                    .any(|language| seeker.facts.languages.contains(language))
            })
            .collect();
        let mut choices = Vec::with_capacity(ranked.len());
        for scored in ranked {
            let mentor = scored.candidate.profile.row.user_id.clone();
            capacity.insert(
                mentor.clone(),
                scored.candidate.profile.free_slots() as usize,
            );
            scores.insert((mentee.clone(), mentor.clone()), scored.score);
            choices.push(mentor);
        }
        if choices.is_empty() {
            unmatched.push(mentee);
        } else {
            preferences.insert(mentee, choices);
        }
    }
    // Requests mentors have not answered yet will take slots too if accepted.
    let mentors: Vec<UserId> = capacity.keys().cloned().collect();
    for (mentor, requested) in store::requests_awaiting(conn, &mentors)? {
        if let Some(free) = capacity.get_mut(&mentor) {
            *free = free.saturating_sub(usize::try_from(requested).unwrap_or(usize::MAX));
        }
    }
    let mentor_rank = |mentor: &UserId, mentee: &UserId| {
        scores
            .get(&(mentee.clone(), mentor.clone()))
            .copied()
            .unwrap_or(0.0)
    };
    let assignment = matching::stable_assignment(&preferences, mentor_rank, &capacity);
    let mut proposals: Vec<Proposal> = assignment
        .into_iter()
        .map(|(mentee, mentor)| Proposal {
            score: mentor_rank(&mentor, &mentee),
            mentee,
            mentor,
        })
        .collect();
    proposals.sort_by(|a, b| a.mentee.cmp(&b.mentee));
    let matched: HashSet<&UserId> = proposals.iter().map(|proposal| &proposal.mentee).collect();
    unmatched.extend(
        preferences
            .keys()
            .filter(|mentee| !matched.contains(mentee))
            .cloned(),
    );
    unmatched.sort();
    Ok(RoundOutcome {
        round_id: None,
        proposals,
        unmatched,
    })
}

// ------------------------------------------------------------------ personal data

/// A person's mentor profile, opt-in, mentorships (either side) with their goals and feedback.
pub struct MentorshipData;
pub static MENTORSHIP_DATA: MentorshipData = MentorshipData;

impl PersonalData for MentorshipData {
    fn name(&self) -> &'static str {
        "mentorship"
    }

    fn columns(&self) -> &'static [PersonColumn] {
        &[
            PersonColumn {
                table: "mentor_profiles",
                column: "user_id",
            },
            PersonColumn {
                table: "mentee_seeking",
                column: "user_id",
            },
            PersonColumn {
                table: "mentorships",
                column: "mentor_id",
            },
            PersonColumn {
                table: "mentorships",
                column: "mentee_id",
            },
            PersonColumn {
                table: "mentorship_goals",
                column: "created_by",
            },
            PersonColumn {
                table: "mentorship_feedback",
                column: "author_id",
            },
            PersonColumn {
                table: "mentorship_feedback",
                column: "subject_id",
            },
        ]
    }

    fn export(&self, conn: &mut DbConnection, person: &Person) -> AppResult<serde_json::Value> {
        let user = &person.id;
        let profile = load_profiles(conn, user, std::slice::from_ref(user))?
            .pop()
            .map(|profile| {
                json!({ "headline": profile.row.headline,
                        "areas": profile.areas.iter().map(|area| area.as_str()).collect::<Vec<_>>(),
                        "yearsOfExperience": profile.row.years_of_experience,
                        "capacity": profile.row.capacity,
                        "acceptingMentees": profile.row.accepting_mentees })
            });
        let all = MentorshipStatus::ALL;
        let rows = store::involving(conn, user, all)?;
        let ids: Vec<MentorshipId> = rows.iter().map(|row| row.id.clone()).collect();
        let areas = store::areas_of_mentorships(conn, &ids)?;
        let mentorships: Vec<_> = rows
            .iter()
            .map(|row| {
                let side = if &row.mentor_id == user {
                    "MENTOR"
                } else {
                    "MENTEE"
                };
                let areas: Vec<&str> = areas
                    .get(&row.id)
                    .map(|areas| areas.iter().map(|area| area.as_str()).collect())
                    .unwrap_or_default();
                // The request's message is the mentee's own words.
                let message = (side == "MENTEE").then_some(&row.message);
                json!({ "side": side, "status": row.status.as_str(), "areas": areas,
                        "message": message, "createdAt": instant(row.created_at),
                        "endedAt": row.ended_at.map(instant) })
            })
            .collect();
        let goals: Vec<_> = store::goals_by(conn, user)?
            .into_iter()
            .map(|goal| {
                json!({ "title": goal.title, "createdAt": instant(goal.created_at),
                                "done": goal.done_at.is_some() })
            })
            .collect();
        let feedback: Vec<_> = store::all_feedback_by(conn, user)?
            .into_iter()
            .map(|row| json!({ "rating": row.rating, "note": row.note, "at": instant(row.created_at) }))
            .collect();
        Ok(json!({
            "mentorProfile": profile,
            "seekingAreas": store::seeking_of(conn, user)?.iter().map(|area| area.as_str()).collect::<Vec<_>>(),
            "mentorships": mentorships,
            "goalsSet": goals,
            "feedbackGiven": feedback,
        }))
    }

    /// Open and active mentorships end (the other person told); every mentorship of theirs goes
    /// with its conversation, goals and feedback.
    fn erase(&self, conn: &mut DbConnection, person: &Person) -> AppResult<()> {
        let user = &person.id;
        let now = Utc::now().naive_utc();
        let rows = store::involving(conn, user, MentorshipStatus::ALL)?;
        for row in &rows {
            let text = match row.status {
                MentorshipStatus::Requested if &row.mentee_id == user => {
                    NotificationText::MentorshipWithdrawn
                }
                MentorshipStatus::Requested | MentorshipStatus::Active => {
                    NotificationText::MentorshipEnded
                }
                _ => continue,
            };
            if row.status == MentorshipStatus::Requested {
                cancel_scheduled(conn, &waiting_key(&row.id))?;
            }
            // Read as the erased account's neutral label: nobody to name.
            tell(conn, row.other_than(user), &row.id, text, None)?;
        }
        let ids: Vec<MentorshipId> = rows.iter().map(|row| row.id.clone()).collect();
        for conversation in store::conversations_of_mentorships(conn, &ids)? {
            conversations::delete(conn, &conversation)?;
        }
        for id in &ids {
            store::delete_mentorship(conn, id)?;
        }
        store::replace_seeking(conn, user, &[], now)?;
        store::delete_profile(conn, user)?;
        Ok(())
    }
}
