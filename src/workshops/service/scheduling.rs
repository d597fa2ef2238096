//! Scheduling: who may, what a valid workshop is, changes and cancellation with their notices.

use super::*;

fn valid_form(mut form: WorkshopForm, now: DateTime<Utc>) -> AppResult<WorkshopForm> {
    form.title = validate::name("title", &form.title, TITLE_MIN, TITLE_MAX)?;
    form.description = validate::text("description", &form.description, 0, DESCRIPTION_MAX)?;
    form.language = validate::language("language", &form.language)?;
    form.timezone = validate::timezone("timezone", &form.timezone)?;
    form.region = validate::optional_text("region", form.region.as_deref(), REGION_MAX)?;
    form.location = validate::optional_text("location", form.location.as_deref(), LOCATION_MAX)?;
    form.materials =
        validate::optional_text("materials", form.materials.as_deref(), MATERIALS_MAX)?;
    form.online_url = match form.online_url.as_deref() {
        None | Some("") => None,
        Some(url) => Some(validate::https_url("onlineUrl", url, URL_MAX)?),
    };
    if form.starts_at <= now {
        return Err(AppError::bad_input("startsAt", Message::MustBeInFuture));
    }
    if form.ends_at <= form.starts_at {
        return Err(AppError::bad_input("endsAt", Message::EndBeforeStart));
    }
    if form.ends_at - form.starts_at > TimeDelta::hours(LONGEST_HOURS) {
        return Err(AppError::bad_input(
            "endsAt",
            Message::LongerThanHours {
                hours: LONGEST_HOURS,
            },
        ));
    }
    if !(1..=CAPACITY_MAX).contains(&form.capacity) {
        return Err(AppError::bad_input(
            "capacity",
            Message::NumberBetween {
                min: 1,
                max: i64::from(CAPACITY_MAX),
            },
        ));
    }
    if form.format.meets_in_person() && form.location.is_none() {
        return Err(AppError::bad_input("location", Message::RequiredForFormat));
    }
    if form.online_url.is_none() && form.format.meets_online() {
        return Err(AppError::bad_input("onlineUrl", Message::RequiredForFormat));
    }
    match (form.latitude, form.longitude) {
        (None, None) => {}
        (Some(_), Some(_)) if !form.format.meets_in_person() => {
            return Err(AppError::bad_input(
                "latitude",
                Message::CoordinatesInPerson,
            ));
        }
        (Some(latitude), Some(longitude)) => {
            check_coordinates(latitude, longitude)?;
        }
        (None, Some(_)) => return Err(AppError::bad_input("latitude", Message::BothOrNeither)),
        (Some(_), None) => return Err(AppError::bad_input("longitude", Message::BothOrNeither)),
    }
    Ok(form)
}

fn check_coordinates(latitude: f64, longitude: f64) -> AppResult<()> {
    if !(-90.0..=90.0).contains(&latitude) {
        return Err(AppError::bad_input(
            "latitude",
            Message::NumberBetween { min: -90, max: 90 },
        ));
    }
    if !(-180.0..=180.0).contains(&longitude) {
        return Err(AppError::bad_input(
            "longitude",
            Message::NumberBetween {
                min: -180,
                max: 180,
            },
        ));
    }
    Ok(())
}

/// Checks a "near me" search.
pub(super) fn valid_near(near: Near) -> AppResult<Near> {
    check_coordinates(near.latitude, near.longitude)?;
    if !(near.radius_km > 0.0 && near.radius_km <= RADIUS_MAX_KM) {
        return Err(AppError::bad_input(
            "radiusKm",
            Message::NumberBetween {
                min: 1,
                max: RADIUS_MAX_KM as i64,
            },
        ));
    }
    Ok(near)
}

pub async fn schedule(db: &Db, viewer: &Viewer, form: WorkshopForm) -> AppResult<WorkshopCard> {
    let now = Utc::now();
    let form = valid_form(form, now)?;
    let organiser = viewer.user_id.clone();
    db.write(move |conn| {
        may_schedule(conn, &organiser, form.group_id.as_ref())?;
        let row = form.into_row(
            WorkshopId::generate(),
            Some(organiser.clone()),
            now.naive_utc(),
        );
        store::insert_workshop(conn, &row)?;
        card(conn, &organiser, row)
    })
    .await
}

/// Changes a workshop that has not started, by its organiser. Registrants hear of a new time or
/// place, confirmed people's reminders move with the time, a larger capacity confirms people
/// from the waitlist at once, and capacity cannot drop below those already confirmed.
pub async fn update(
    db: &Db,
    viewer: &Viewer,
    id: WorkshopId,
    form: WorkshopForm,
) -> AppResult<WorkshopCard> {
    let now = Utc::now();
    let form = valid_form(form, now)?;
    let organiser = viewer.user_id.clone();
    db.write(move |conn| {
        lock(conn, &id)?;
        let before = organised_workshop(conn, &id, &organiser)?;
        let now = now.naive_utc();
        if before.status == WorkshopStatus::Cancelled || before.has_started(now) {
            return Err(AppError::Conflict(Message::WorkshopClosed));
        }
        if form.group_id != before.group_id {
            return Err(AppError::bad_input("groupId", Message::CannotChange));
        }
        let confirmed = store::confirmed_count(conn, &id)?;
        if i64::from(form.capacity) < confirmed {
            return Err(AppError::bad_input(
                "capacity",
                Message::BelowConfirmed { confirmed },
            ));
        }
        // What the form sets, over what stays: identity, status, line and creation.
        let after = WorkshopRow {
            id: before.id.clone(),
            organiser_id: before.organiser_id.clone(),
            group_id: before.group_id.clone(),
            status: before.status,
            cancel_reason: before.cancel_reason.clone(),
            next_queue_number: before.next_queue_number,
            created_at: before.created_at,
            ..form.into_row(before.id.clone(), None, now)
        };
        store::save_workshop(conn, &after)?;
        let moved = after.starts_at != before.starts_at || after.ends_at != before.ends_at;
        let relocated = after.location != before.location
            || after.online_url != before.online_url
            || after.format != before.format;
        if moved || relocated {
            let registrants = tell_registrants(
                conn,
                &after,
                NotificationText::WorkshopChanged {
                    title: after.title.clone(),
                },
            )?;
            if moved {
                for registrant in registrants
                    .iter()
                    .filter(|registrant| registrant.status == RegistrationStatus::Confirmed)
                {
                    withdraw_reminders(conn, &id, &registrant.user_id)?;
                    schedule_reminders(conn, &after, &registrant.user_id, now)?;
                }
            }
        }
        fill_free_seats(conn, &after, now)?;
        card(conn, &organiser, after)
    })
    .await
}

/// Cancels a workshop that has not started: its organiser or an ADMIN. Everyone registered is
/// told, reminders are withdrawn, and nobody can register any more.
pub async fn cancel(
    db: &Db,
    viewer: &Viewer,
    id: WorkshopId,
    reason: Option<String>,
) -> AppResult<WorkshopCard> {
    let reason = validate::optional_text("reason", reason.as_deref(), REASON_MAX)?;
    let actor = viewer.user_id.clone();
    db.write(move |conn| {
        lock(conn, &id)?;
        let row = visible_workshop(conn, &id, &actor)?;
        if row.organiser_id.as_ref() != Some(&actor) && !has_any_role(conn, &actor, &[Role::Admin])?
        {
            return Err(AppError::Forbidden);
        }
        let now = Utc::now().naive_utc();
        if row.status == WorkshopStatus::Cancelled || row.has_started(now) {
            return Err(AppError::Conflict(Message::WorkshopClosed));
        }
        let cancelled = cancel_workshop_row(conn, row, reason, now)?;
        card(conn, &actor, cancelled)
    })
    .await
}

pub(super) fn cancel_workshop_row(
    conn: &mut DbConnection,
    row: WorkshopRow,
    reason: Option<String>,
    now: NaiveDateTime,
) -> AppResult<WorkshopRow> {
    let cancelled = WorkshopRow {
        status: WorkshopStatus::Cancelled,
        cancel_reason: reason,
        updated_at: now,
        ..row
    };
    store::save_workshop(conn, &cancelled)?;
    let registrants = tell_registrants(
        conn,
        &cancelled,
        NotificationText::WorkshopCancelled {
            title: cancelled.title.clone(),
        },
    )?;
    for registrant in registrants {
        withdraw_reminders(conn, &cancelled.id, &registrant.user_id)?;
    }
    Ok(cancelled)
}
