//! Mentor profiles: saving one (areas, capacity, a pause) and reading one as the viewer may.

use super::*;

pub(super) fn load_profiles(
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
