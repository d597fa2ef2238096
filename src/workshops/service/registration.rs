//! Registration and the waitlist: a seat or a place in the queue under the workshop's lock,
//! cancellation giving the seat to the next in line, and registrations that end with a group
//! membership.

use super::*;

/// Registers the viewer: CONFIRMED while seats remain, else WAITLISTED at the back of the line.
/// The workshop's row lock makes the seat count and the place in line one atomic step.
pub async fn register(
    db: &Db,
    viewer: &Viewer,
    id: WorkshopId,
) -> AppResult<(Registration, WorkshopCard)> {
    let user_id = viewer.user_id.clone();
    db.write(move |conn| {
        lock(conn, &id)?;
        let workshop = visible_workshop(conn, &id, &user_id)?;
        let now = Utc::now().naive_utc();
        if workshop.status == WorkshopStatus::Cancelled || workshop.has_started(now) {
            return Err(AppError::Conflict(Message::WorkshopClosed));
        }
        let existing = store::registration(conn, &id, &user_id)?;
        if existing
            .as_ref()
            .is_some_and(|row| row.status != RegistrationStatus::Cancelled)
        {
            return Err(AppError::Conflict(Message::AlreadyRegistered));
        }
        let queue_number = store::take_queue_number(conn, &id)?;
        let status = if store::confirmed_count(conn, &id)? < i64::from(workshop.capacity) {
            RegistrationStatus::Confirmed
        } else {
            RegistrationStatus::Waitlisted
        };
        match existing {
            Some(previous) => store::requeue(conn, &previous.id, status, queue_number, now)?,
            None => store::insert_registration(
                conn,
                &RegistrationRow {
                    id: crate::ids::RegistrationId::generate(),
                    workshop_id: id.clone(),
                    user_id: user_id.clone(),
                    status,
                    queue_number,
                    attended: None,
                    certificate_code: None,
                    created_at: now,
                    updated_at: now,
                },
            )?,
        }
        if status == RegistrationStatus::Confirmed {
            schedule_reminders(conn, &workshop, &user_id, now)?;
        }
        own_registration(conn, &user_id, workshop)
    })
    .await
}

/// Cancels the viewer's registration before the start; a freed seat goes to the first person
/// waiting, in the same transaction.
pub async fn cancel_registration(
    db: &Db,
    viewer: &Viewer,
    id: WorkshopId,
) -> AppResult<(Registration, WorkshopCard)> {
    let user_id = viewer.user_id.clone();
    db.write(move |conn| {
        lock(conn, &id)?;
        let workshop = visible_workshop(conn, &id, &user_id)?;
        let registration = store::registration(conn, &id, &user_id)?
            .filter(|row| row.status != RegistrationStatus::Cancelled)
            .ok_or(AppError::Conflict(Message::NotRegistered))?;
        let now = Utc::now().naive_utc();
        if workshop.has_started(now) {
            return Err(AppError::Conflict(Message::WorkshopClosed));
        }
        store::set_status(conn, &registration.id, RegistrationStatus::Cancelled, now)?;
        withdraw_reminders(conn, &id, &user_id)?;
        if workshop.status == WorkshopStatus::Scheduled {
            fill_free_seats(conn, &workshop, now)?;
        }
        own_registration(conn, &user_id, workshop)
    })
    .await
}

/// A person's membership of a group ended (they left, or were removed): their registrations to
/// the group's workshops still ahead end (seats go to the people waiting, reminders are
/// withdrawn) and they are told, without by whom. Runs in the group's transaction, taking the
/// workshops' locks after the group's, in id order.
pub fn end_group_registrations(
    conn: &mut DbConnection,
    group: &GroupId,
    user: &UserId,
) -> AppResult<()> {
    let now = Utc::now().naive_utc();
    for workshop in store::upcoming_registered_in_group(conn, group, user, now)? {
        lock(conn, &workshop.id)?;
        let Some(registration) = store::registration(conn, &workshop.id, user)?
            .filter(|row| row.status != RegistrationStatus::Cancelled)
        else {
            continue;
        };
        store::set_status(conn, &registration.id, RegistrationStatus::Cancelled, now)?;
        withdraw_reminders(conn, &workshop.id, user)?;
        if workshop.status == WorkshopStatus::Scheduled {
            fill_free_seats(conn, &workshop, now)?;
        }
        let notice = workshop_notice(
            &workshop,
            NotificationText::WorkshopRegistrationEnded {
                title: workshop.title.clone(),
            },
        );
        notify(conn, user, notice)?;
    }
    Ok(())
}
