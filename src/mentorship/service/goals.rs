//! Goals set within a mentorship, and feedback once it is completed.

use super::*;

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
