//! Workshop rules: who schedules, validation, a fair waitlist kept under the workshop's lock,
//! reminders through the notifications service, attendance, ratings, calendars and certificates.
//! One module per use case (scheduling, the catalogue, registration and the waitlist,
//! attendance, certificates, calendars, personal data); what several share (access, cards,
//! reminders and notices) stays here.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, NaiveDateTime, TimeDelta, Utc};
use serde_json::json;

use super::model::*;
use super::store;
use crate::accounts::model::Role;
use crate::accounts::service::{self as accounts, has_any_role};
use crate::auth::Viewer;
use crate::auth::secret::Secret;
use crate::db::atomic::{Lockable, lock, lock_in_order};
use crate::db::{Db, DbConnection};
use crate::error::{AppError, AppResult};
use crate::groups::model::GroupVisibility;
use crate::groups::service as groups;
use crate::i18n::{Message, NotificationText};
use crate::ids::{GroupId, UserId, WorkshopId};
use crate::notifications::model::{Notice, NotificationCategory};
use crate::notifications::service::{cancel_scheduled, notify};
use crate::pagination::{CursorKey, Page, PageRequest};
use crate::privacy::{Person, PersonColumn, PersonalData, RATINGS_STEP, instant};
use crate::validate;

impl Lockable for WorkshopId {
    const TABLE: &'static str = "workshops";
    fn key(&self) -> &str {
        self.as_str()
    }
}

/// Roles that may schedule any workshop.
const SCHEDULER_ROLES: [Role; 2] = [Role::Organiser, Role::Admin];

mod attendance;
mod calendars;
mod catalogue;
mod certificates;
mod personal_data;
mod registration;
mod scheduling;

pub use attendance::{TrainingRecord, attended, comments, rate, record_attendance};
pub use calendars::{CalendarEntry, calendar_entry, feed, feed_token_of, rotate_feed};
use catalogue::own_registration;
pub use catalogue::{
    QueuePlace, WorkshopCursor, my_registrations, registrations, search, upcoming_titles, workshop,
};
pub use certificates::{Certificate, certificate, verify_certificate};
pub use personal_data::{WORKSHOPS_DATA, WorkshopsData};
pub use registration::{cancel_registration, end_group_registrations, register};
pub use scheduling::{cancel, schedule, update};
use scheduling::{cancel_workshop_row, valid_near};

// ------------------------------------------------------------------ access

/// The workshop as `viewer` may see it: group workshops only to the group's active members (and
/// their organiser); NOT_FOUND otherwise, as for an id that does not exist.
fn visible_workshop(
    conn: &mut DbConnection,
    id: &WorkshopId,
    viewer: &UserId,
) -> AppResult<WorkshopRow> {
    let row = store::workshop(conn, id)?.ok_or(AppError::NotFound)?;
    if row.organiser_id.as_ref() == Some(viewer) {
        return Ok(row);
    }
    if let Some(group_id) = &row.group_id
        && groups::active_role_in(conn, group_id, viewer)?.is_none()
    {
        return Err(AppError::NotFound);
    }
    Ok(row)
}

/// The workshop if `viewer` organises it; FORBIDDEN for others who can see it.
fn organised_workshop(
    conn: &mut DbConnection,
    id: &WorkshopId,
    viewer: &UserId,
) -> AppResult<WorkshopRow> {
    let row = visible_workshop(conn, id, viewer)?;
    if row.organiser_id.as_ref() != Some(viewer) {
        return Err(AppError::Forbidden);
    }
    Ok(row)
}

/// Who may schedule a workshop: organisers (and admins) for everyone or for a public group;
/// a group's facilitators for their group. A group that does not exist, or a private one the
/// caller does not facilitate, is NOT_FOUND on `groupId`, whatever their roles: as for an id
/// that does not exist.
fn may_schedule(
    conn: &mut DbConnection,
    viewer: &UserId,
    group_id: Option<&GroupId>,
) -> AppResult<()> {
    let organiser = has_any_role(conn, viewer, &SCHEDULER_ROLES)?;
    let Some(group_id) = group_id else {
        return if organiser {
            Ok(())
        } else {
            Err(AppError::Forbidden)
        };
    };
    if groups::active_role_in(conn, group_id, viewer)? == Some(true) {
        return Ok(());
    }
    match groups::visibility_of(conn, group_id)? {
        Some(GroupVisibility::Public) if organiser => Ok(()),
        Some(GroupVisibility::Public) => Err(AppError::Forbidden),
        Some(GroupVisibility::Private) | None => Err(AppError::NotFoundIn("groupId")),
    }
}

// ------------------------------------------------------------------ cards

/// The page data of `rows` for `viewer`, in a fixed number of queries whatever their number.
fn cards(
    conn: &mut DbConnection,
    viewer: &UserId,
    rows: Vec<WorkshopRow>,
    distances: &HashMap<WorkshopId, f64>,
) -> AppResult<Vec<WorkshopCard>> {
    let ids: Vec<WorkshopId> = rows.iter().map(|row| row.id.clone()).collect();
    let counts = store::counts(conn, &ids)?;
    let ratings = store::rating_summaries(conn, &ids)?;
    let viewer_rows = store::registrations_of(conn, viewer, &ids)?;
    let member_of = groups_of_any(conn, viewer, &rows)?;
    let mut registrations: HashMap<WorkshopId, Registration> = with_positions(conn, viewer_rows)?
        .into_iter()
        .map(|registration| (registration.row.workshop_id.clone(), registration))
        .collect();
    Ok(rows
        .into_iter()
        .map(|row| {
            let (confirmed, waitlisted) = counts.get(&row.id).copied().unwrap_or_default();
            let rating = ratings.get(&row.id).copied();
            let registration = registrations.remove(&row.id);
            let organiser = row.organiser_id.as_ref() == Some(viewer);
            // A group's workshop shows its link to its members only, whatever they registered.
            let confirmed_attendee = registration.as_ref().is_some_and(|registration| {
                registration.row.status == RegistrationStatus::Confirmed
            }) && row
                .group_id
                .as_ref()
                .is_none_or(|group| member_of.contains(group));
            WorkshopCard {
                confirmed,
                waitlisted,
                average_rating: rating.map(|(average, _)| average),
                ratings: rating.map_or(0, |(_, count)| count),
                viewer: registration,
                viewer_is_insider: organiser || confirmed_attendee,
                viewer_is_organiser: organiser,
                distance_km: distances.get(&row.id).copied(),
                row,
            }
        })
        .collect())
}

/// The groups `user` is an active member of, read only when one of `rows` belongs to a group.
fn groups_of_any(
    conn: &mut DbConnection,
    user: &UserId,
    rows: &[WorkshopRow],
) -> AppResult<HashSet<GroupId>> {
    if rows.iter().all(|row| row.group_id.is_none()) {
        return Ok(HashSet::new());
    }
    Ok(groups::active_group_ids(conn, user)?.into_iter().collect())
}

fn card(conn: &mut DbConnection, viewer: &UserId, row: WorkshopRow) -> AppResult<WorkshopCard> {
    cards(conn, viewer, vec![row], &HashMap::new())?
        .pop()
        .ok_or(AppError::NotFound)
}

/// Registrations with their waitlist places, one query for all.
fn with_positions(
    conn: &mut DbConnection,
    rows: Vec<RegistrationRow>,
) -> AppResult<Vec<Registration>> {
    let waitlisted: Vec<&RegistrationRow> = rows
        .iter()
        .filter(|row| row.status == RegistrationStatus::Waitlisted)
        .collect();
    let positions = store::waitlist_positions(conn, &waitlisted)?;
    Ok(rows
        .into_iter()
        .map(|row| Registration {
            waitlist_position: positions.get(&row.id).copied(),
            row,
        })
        .collect())
}

fn registration_of(conn: &mut DbConnection, row: RegistrationRow) -> AppResult<Registration> {
    with_positions(conn, vec![row])?
        .pop()
        .ok_or(AppError::NotFound)
}

// ------------------------------------------------------------------ reminders and notices

fn reminder_key(workshop: &WorkshopId, user: &UserId, hours: i64) -> String {
    format!("workshop:{workshop}:{user}:{hours}h")
}

/// Reminders 24 hours and 1 hour before the start, each only if that moment is still ahead.
fn schedule_reminders(
    conn: &mut DbConnection,
    workshop: &WorkshopRow,
    user: &UserId,
    now: NaiveDateTime,
) -> AppResult<()> {
    for hours in [24, 1] {
        let at = workshop.starts_at - TimeDelta::hours(hours);
        if at <= now {
            continue;
        }
        let notice = workshop_notice(
            workshop,
            NotificationText::WorkshopReminder {
                title: workshop.title.clone(),
                hours,
            },
        )
        .scheduled(at.and_utc(), reminder_key(&workshop.id, user, hours));
        notify(conn, user, notice)?;
    }
    Ok(())
}

fn withdraw_reminders(
    conn: &mut DbConnection,
    workshop: &WorkshopId,
    user: &UserId,
) -> AppResult<()> {
    for hours in [24, 1] {
        cancel_scheduled(conn, &reminder_key(workshop, user, hours))?;
    }
    Ok(())
}

/// A notice about the workshop; a group's workshop says so (`groupId`), so that its pushes hide
/// the title unless the person allows it.
fn workshop_notice(workshop: &WorkshopRow, text: NotificationText) -> Notice {
    let notice = Notice::new(NotificationCategory::Workshop, text)
        .with_data("workshopId", workshop.id.to_string());
    match &workshop.group_id {
        Some(group) => notice.with_data("groupId", group.to_string()),
        None => notice,
    }
}

/// Confirms people from the front of the waitlist while seats are free; each is told and gets
/// the reminders still ahead. Call under the workshop's lock.
fn fill_free_seats(
    conn: &mut DbConnection,
    workshop: &WorkshopRow,
    now: NaiveDateTime,
) -> AppResult<()> {
    let free = i64::from(workshop.capacity) - store::confirmed_count(conn, &workshop.id)?;
    if free <= 0 {
        return Ok(());
    }
    for promoted in store::first_waitlisted(conn, &workshop.id, free)? {
        store::set_status(conn, &promoted.id, RegistrationStatus::Confirmed, now)?;
        let notice = workshop_notice(
            workshop,
            NotificationText::WorkshopSeat {
                title: workshop.title.clone(),
            },
        );
        notify(conn, &promoted.user_id, notice)?;
        schedule_reminders(conn, workshop, &promoted.user_id, now)?;
    }
    Ok(())
}

/// Tells everyone registered (confirmed or waitlisted).
fn tell_registrants(
    conn: &mut DbConnection,
    workshop: &WorkshopRow,
    text: NotificationText,
) -> AppResult<Vec<RegistrationRow>> {
    let registrants = store::active_registrations(conn, &workshop.id)?;
    for registrant in &registrants {
        notify(
            conn,
            &registrant.user_id,
            workshop_notice(workshop, text.clone()),
        )?;
    }
    Ok(registrants)
}
