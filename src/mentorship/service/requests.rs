//! The request lifecycle under the two people's locks: request, answer, withdraw, end, complete;
//! reminders, and expiry so that nobody waits for ever.

use super::*;

/// Locks the two people of a mentorship, in id order, as every rule about them does: a mentor's
/// free slots and a mentee's open requests are read and written under these locks.
pub(super) fn lock_pair(conn: &mut DbConnection, a: &UserId, b: &UserId) -> AppResult<()> {
    Ok(lock_in_order(conn, [a, b])?)
}

/// Tells `user` about the mentorship; `about` is the person the text names (rendered when read,
/// so that an erased person's name leaves with them), `None` once they are gone.
pub(super) fn tell(
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

pub(super) fn waiting_key(id: &MentorshipId) -> String {
    format!("mentorship:{id}:waiting")
}

/// Moves `row` to `to`, once: CONFLICT naming both states when the state does not allow it (or
/// no longer does). Opens the conversation on ACTIVE, closes it when an active one ends, and
/// withdraws the mentor's reminder once a request is answered.
pub(super) fn move_to(
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
pub(super) fn own_mentorship(
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

pub(super) fn card(
    conn: &mut DbConnection,
    viewer: &UserId,
    row: MentorshipRow,
) -> AppResult<MentorshipCard> {
    cards(conn, viewer, vec![row])?
        .pop()
        .ok_or(AppError::NotFound)
}

/// Checks and writes a new request, inside the caller's transaction holding both people's
/// locks: not to a mentor on a break or full, not twice while one is open, at most three open.
pub(super) fn insert_request(
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

/// The viewer's newest `limit` mentorships, by side and status.
pub async fn my_mentorships(
    db: &Db,
    viewer: &Viewer,
    side: Option<MentorshipSide>,
    status: Option<MentorshipStatus>,
    limit: usize,
) -> AppResult<Vec<MentorshipCard>> {
    let user_id = viewer.user_id.clone();
    db.run(move |conn| {
        let rows = store::mentorships_of(conn, &user_id, side, status, limit as i64)?;
        cards(conn, &user_id, rows)
    })
    .await
}

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
    let suggested = ranked_for(
        conn,
        &mentee,
        search,
        SUGGESTIONS_ON_EXPIRY,
        Some(&mentor),
        OpenMentors::Read,
    )?;
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
