//! After a workshop: attendance recorded by its organiser, ratings released in steps, comments, and
//! a person's training hours.

use super::*;

/// Records whether a confirmed person came: the organiser, from the start until 7 days after
/// the end. Attending earns a certificate code.
pub async fn record_attendance(
    db: &Db,
    viewer: &Viewer,
    id: WorkshopId,
    attendee: UserId,
    attended: bool,
) -> AppResult<(Registration, WorkshopCard)> {
    let organiser = viewer.user_id.clone();
    db.write(move |conn| {
        // Under the workshop's lock, two taps at once read and keep one certificate code.
        lock(conn, &id)?;
        let workshop = organised_workshop(conn, &id, &organiser)?;
        let now = Utc::now().naive_utc();
        let window_ends = workshop.ends_at + TimeDelta::days(ATTENDANCE_DAYS_AFTER);
        if workshop.status == WorkshopStatus::Cancelled
            || now < workshop.starts_at
            || now > window_ends
        {
            return Err(AppError::Conflict(Message::AttendanceWindow {
                days: ATTENDANCE_DAYS_AFTER,
            }));
        }
        let registration = store::registration(conn, &id, &attendee)?
            .filter(|row| row.status == RegistrationStatus::Confirmed)
            .ok_or_else(|| AppError::bad_input("userId", Message::NotConfirmed))?;
        let code = attended.then(|| {
            registration
                .certificate_code
                .clone()
                .unwrap_or_else(new_certificate_code)
        });
        store::set_attendance(conn, &registration.id, attended, code.as_deref(), now)?;
        let row = RegistrationRow {
            attended: Some(attended),
            certificate_code: code,
            updated_at: now,
            ..registration
        };
        Ok((
            registration_of(conn, row)?,
            card(conn, &organiser, workshop)?,
        ))
    })
    .await
}

/// A code of 20 characters from an alphabet without look-alikes (about 100 bits).
fn new_certificate_code() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let bytes: [u8; 20] = rand::random();
    bytes
        .iter()
        .map(|byte| char::from(ALPHABET[usize::from(*byte) % ALPHABET.len()]))
        .collect()
}

/// Rates a workshop after its end: who attended, or was confirmed where attendance was not
/// taken. A second rating replaces the first. The shown figures are released again once
/// [`RATINGS_STEP`] ratings are not in them (under the workshop's lock, so two raters at once
/// cannot each release a figure the other is missing from).
pub async fn rate(
    db: &Db,
    viewer: &Viewer,
    id: WorkshopId,
    rating: i32,
    comment: Option<String>,
) -> AppResult<bool> {
    if !(1..=5).contains(&rating) {
        return Err(AppError::bad_input(
            "rating",
            Message::NumberBetween { min: 1, max: 5 },
        ));
    }
    let comment = validate::optional_text("comment", comment.as_deref(), COMMENT_MAX)?;
    let user_id = viewer.user_id.clone();
    db.write(move |conn| {
        lock(conn, &id)?;
        let workshop = visible_workshop(conn, &id, &user_id)?;
        let now = Utc::now().naive_utc();
        if workshop.status == WorkshopStatus::Cancelled || now < workshop.ends_at {
            return Err(AppError::Conflict(Message::NotEndedYet));
        }
        let took_part = store::registration(conn, &id, &user_id)?.is_some_and(|row| {
            row.attended == Some(true)
                || (row.attended.is_none() && row.status == RegistrationStatus::Confirmed)
        });
        if !took_part {
            return Err(AppError::Denied(Message::OnlyAttendeesRate));
        }
        store::upsert_rating(
            conn,
            &RatingRow {
                workshop_id: id.clone(),
                user_id,
                rating,
                comment,
                rated_at: now,
                released: false,
            },
        )?;
        if store::unreleased_ratings(conn, &id)? >= RATINGS_STEP {
            store::release_ratings(conn, &id)?;
        }
        Ok(true)
    })
    .await
}

/// The comments of a workshop, for its organiser, from raters who registered before it started,
/// once at least three of them rated (people an organiser signs up afterwards do not make up
/// the number); `None` before (and for anyone else).
pub async fn comments(db: &Db, card: &WorkshopCard) -> AppResult<Option<Vec<String>>> {
    if !card.viewer_is_organiser {
        return Ok(None);
    }
    let (id, starts_at) = (card.row.id.clone(), card.row.starts_at);
    db.run(move |conn| {
        let (raters, comments) = store::comments_of_early_raters(conn, &id, starts_at)?;
        Ok((raters >= COMMENTS_MIN_RATERS).then_some(comments))
    })
    .await
}

/// An attended workshop as a continuing-education record.
#[derive(Debug, Clone)]
pub struct TrainingRecord {
    pub card: WorkshopCard,
    pub hours: f64,
    pub certificate_code: String,
}

/// The viewer's attended workshops starting in [from, to), with their hours.
pub async fn attended(
    db: &Db,
    viewer: &Viewer,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> AppResult<Vec<TrainingRecord>> {
    if to <= from {
        return Err(AppError::bad_input("to", Message::EndBeforeStart));
    }
    let user_id = viewer.user_id.clone();
    db.run(move |conn| {
        let found = store::attended_by(conn, &user_id, from.naive_utc(), to.naive_utc())?;
        let codes: HashMap<WorkshopId, String> = found
            .iter()
            .filter_map(|(registration, _)| {
                Some((
                    registration.workshop_id.clone(),
                    registration.certificate_code.clone()?,
                ))
            })
            .collect();
        let rows = found.into_iter().map(|(_, workshop)| workshop).collect();
        Ok(cards(conn, &user_id, rows, &HashMap::new())?
            .into_iter()
            .filter_map(|card| {
                Some(TrainingRecord {
                    hours: card.row.hours(),
                    certificate_code: codes.get(&card.row.id)?.clone(),
                    card,
                })
            })
            .collect())
    })
    .await
}
