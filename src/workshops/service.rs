//! Workshop rules: who schedules, validation, a fair waitlist kept under the workshop's lock,
//! reminders through the notifications service, attendance, ratings, calendars and certificates.

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
/// Most workshops a "near me" search ranks by distance (the nearest within the box).
const NEAR_CANDIDATES_MAX: i64 = 2_000;

// ------------------------------------------------------------------ validation

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
fn valid_near(near: Near) -> AppResult<Near> {
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

// ------------------------------------------------------------------ scheduling

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

fn cancel_workshop_row(
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

// ------------------------------------------------------------------ reading

pub async fn workshop(db: &Db, viewer: &Viewer, id: WorkshopId) -> AppResult<Option<WorkshopCard>> {
    let user_id = viewer.user_id.clone();
    db.run(move |conn| match visible_workshop(conn, &id, &user_id) {
        Ok(row) => card(conn, &user_id, row).map(Some),
        Err(AppError::NotFound) => Ok(None),
        Err(other) => Err(other),
    })
    .await
}

/// The titles of the person's workshops still ahead.
pub async fn upcoming_titles(db: &Db, organiser: &UserId) -> AppResult<Vec<String>> {
    let organiser = organiser.clone();
    db.run(move |conn| {
        let now = Utc::now().naive_utc();
        Ok(store::upcoming_organised_by(conn, &organiser, now)?
            .into_iter()
            .map(|row| row.title)
            .collect())
    })
    .await
}

/// Where a page of workshops resumes: after this start (in start order) or distance (near me),
/// then id.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkshopCursor {
    rank: i64,
    id: WorkshopId,
}

impl CursorKey for WorkshopCursor {
    fn from_cursor(key: &str) -> Option<Self> {
        let (rank, id) = key.split_once('/')?;
        Some(Self {
            rank: rank.parse().ok()?,
            id: WorkshopId::from_cursor(id)?,
        })
    }
}

impl WorkshopCard {
    /// This card's cursor in its list: by distance in metres when searched near a point, else by
    /// start time in microseconds.
    pub fn cursor(&self) -> String {
        let rank = match self.distance_km {
            Some(km) => (km * 1_000.0).round() as i64,
            None => self.row.starts_at.and_utc().timestamp_micros(),
        };
        format!("{rank}/{}", self.row.id)
    }
}

/// Scheduled workshops from `from` (default now), filtered; nearest first within the radius of a
/// "near me" search, else in start order. Group workshops only to the group's members.
pub async fn search(
    db: &Db,
    viewer: &Viewer,
    search: WorkshopSearch,
    page: PageRequest,
) -> AppResult<Page<WorkshopCard>> {
    let after: Option<WorkshopCursor> = page.after()?;
    let near = search.near.map(valid_near).transpose()?;
    let language = search
        .language
        .as_deref()
        .map(|language| validate::language("language", language))
        .transpose()?;
    let search = WorkshopSearch {
        near,
        language,
        ..search
    };
    let user_id = viewer.user_id.clone();
    db.run(move |conn| {
        let from = search.from.unwrap_or_else(Utc::now).naive_utc();
        let member_of = groups::active_group_ids(conn, &user_id)?;
        let (rows, distances) = match search.near {
            None => {
                let after = after.map(|cursor| {
                    let starts_at = DateTime::from_timestamp_micros(cursor.rank)
                        .unwrap_or_default()
                        .naive_utc();
                    (starts_at, cursor.id)
                });
                let rows =
                    store::search(conn, &search, from, &member_of, after, page.fetch_limit())?;
                (rows, HashMap::new())
            }
            Some(near) => {
                let boxed =
                    store::search(conn, &search, from, &member_of, None, NEAR_CANDIDATES_MAX)?;
                nearest(boxed, near, after.as_ref(), page.fetch_limit())
            }
        };
        let page_rows = Page::from_overfetch(rows, &page);
        let has_next_page = page_rows.has_next_page;
        let items = cards(conn, &user_id, page_rows.items, &distances)?;
        Ok(Page {
            items,
            has_next_page,
        })
    })
    .await
}

/// The workshops within the radius, nearest first (then by id), after the cursor.
fn nearest(
    rows: Vec<WorkshopRow>,
    near: Near,
    after: Option<&WorkshopCursor>,
    limit: i64,
) -> (Vec<WorkshopRow>, HashMap<WorkshopId, f64>) {
    let mut ranked: Vec<(i64, f64, WorkshopRow)> = rows
        .into_iter()
        .filter_map(|row| {
            let point = (row.latitude?, row.longitude?);
            let km = distance_km((near.latitude, near.longitude), point);
            (km <= near.radius_km).then(|| ((km * 1_000.0).round() as i64, km, row))
        })
        .filter(|(metres, _, row)| {
            after.is_none_or(|cursor| (*metres, &row.id) > (cursor.rank, &cursor.id))
        })
        .collect();
    ranked.sort_by(|a, b| (a.0, &a.2.id).cmp(&(b.0, &b.2.id)));
    ranked.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    let distances = ranked
        .iter()
        .map(|(_, km, row)| (row.id.clone(), *km))
        .collect();
    (
        ranked.into_iter().map(|(_, _, row)| row).collect(),
        distances,
    )
}

/// A registration's place in its workshop's line: the cursor of the organiser's list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueuePlace(pub i64);

impl CursorKey for QueuePlace {
    fn from_cursor(key: &str) -> Option<Self> {
        key.parse().ok().map(Self)
    }
}

/// A workshop's registrations in line order (confirmed and waitlisted, or one status), for its
/// organiser only.
pub async fn registrations(
    db: &Db,
    viewer: &Viewer,
    card: &WorkshopCard,
    status: Option<RegistrationStatus>,
    page: PageRequest,
) -> AppResult<Page<Registration>> {
    if card.row.organiser_id.as_ref() != Some(&viewer.user_id) {
        return Err(AppError::Forbidden);
    }
    let after: Option<QueuePlace> = page.after()?;
    let id = card.row.id.clone();
    db.run(move |conn| {
        let rows = store::registrations_page(
            conn,
            &id,
            status,
            after.map(|place| place.0),
            page.fetch_limit(),
        )?;
        let page = Page::from_overfetch(rows, &page);
        let has_next_page = page.has_next_page;
        Ok(Page {
            items: with_positions(conn, page.items)?,
            has_next_page,
        })
    })
    .await
}

/// The viewer's registrations, latest workshops first, each with its workshop (whose card
/// carries the viewer's registration).
pub async fn my_registrations(
    db: &Db,
    viewer: &Viewer,
) -> AppResult<Vec<(Registration, WorkshopCard)>> {
    let user_id = viewer.user_id.clone();
    db.run(move |conn| {
        let ids: Vec<WorkshopId> =
            store::all_registrations_of(conn, &user_id, MY_REGISTRATIONS_MAX as i64)?
                .into_iter()
                .map(|row| row.workshop_id)
                .collect();
        let workshops = store::workshops_by_id(conn, &ids)?;
        let mut cards: HashMap<WorkshopId, WorkshopCard> =
            cards(conn, &user_id, workshops, &HashMap::new())?
                .into_iter()
                .map(|card| (card.row.id.clone(), card))
                .collect();
        Ok(ids
            .iter()
            .filter_map(|id| {
                let card = cards.remove(id)?;
                Some((card.viewer.clone()?, card))
            })
            .collect())
    })
    .await
}

/// The workshop's card for the viewer with the viewer's own registration on it.
fn own_registration(
    conn: &mut DbConnection,
    viewer: &UserId,
    workshop: WorkshopRow,
) -> AppResult<(Registration, WorkshopCard)> {
    let card = card(conn, viewer, workshop)?;
    let registration = card.viewer.clone().ok_or(AppError::NotFound)?;
    Ok((registration, card))
}

// ------------------------------------------------------------------ registration

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

// ------------------------------------------------------------------ attendance and ratings

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

// ------------------------------------------------------------------ training hours

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

// ------------------------------------------------------------------ certificates

/// What an attendance certificate states.
#[derive(Debug, Clone)]
pub struct Certificate {
    pub workshop: WorkshopRow,
    pub attendee: String,
    /// `None` once the organiser erased their account.
    pub organiser: Option<String>,
    pub code: String,
}

/// The longest certificate code worth looking up (codes are 20 characters).
const CERTIFICATE_CODE_MAX: usize = 64;

fn certificate_of(
    conn: &mut DbConnection,
    registration: RegistrationRow,
    workshop: WorkshopRow,
) -> AppResult<Certificate> {
    let code = registration.certificate_code.ok_or(AppError::NotFound)?;
    let people: Vec<UserId> = std::iter::once(registration.user_id.clone())
        .chain(workshop.organiser_id.clone())
        .collect();
    let mut names = accounts::display_names(conn, &people)?;
    Ok(Certificate {
        attendee: names
            .remove(&registration.user_id)
            .ok_or(AppError::NotFound)?,
        organiser: workshop
            .organiser_id
            .as_ref()
            .and_then(|organiser| names.remove(organiser)),
        workshop,
        code,
    })
}

/// The viewer's certificate for a workshop they attended; NOT_FOUND otherwise.
pub async fn certificate(db: &Db, viewer: &Viewer, id: WorkshopId) -> AppResult<Certificate> {
    let user_id = viewer.user_id.clone();
    db.run(move |conn| {
        let registration = store::registration(conn, &id, &user_id)?
            .filter(|row| row.attended == Some(true))
            .ok_or(AppError::NotFound)?;
        let workshop = store::workshop(conn, &id)?.ok_or(AppError::NotFound)?;
        certificate_of(conn, registration, workshop)
    })
    .await
}

/// The certificate carrying `code`, for whoever holds the code; NOT_FOUND for any other.
pub async fn verify_certificate(db: &Db, code: String) -> AppResult<Certificate> {
    if code.len() > CERTIFICATE_CODE_MAX {
        return Err(AppError::NotFound);
    }
    db.run(move |conn| {
        let (registration, workshop) =
            store::certificate(conn, &code)?.ok_or(AppError::NotFound)?;
        certificate_of(conn, registration, workshop)
    })
    .await
}

// ------------------------------------------------------------------ calendars

/// A workshop as a calendar shows it: the link and materials only for insiders.
#[derive(Debug, Clone)]
pub struct CalendarEntry {
    pub workshop: WorkshopRow,
    pub with_link: bool,
}

/// Most events a personal feed lists, and how many days back it starts.
const FEED_EVENTS_MAX: i64 = 500;
const FEED_DAYS_BACK: i64 = 30;

/// One workshop for a calendar: signed out, only workshops open to all and without the link;
/// signed in, as the workshop page shows it.
pub async fn calendar_entry(
    db: &Db,
    viewer: Option<&Viewer>,
    id: WorkshopId,
) -> AppResult<CalendarEntry> {
    let user_id = viewer.map(|viewer| viewer.user_id.clone());
    db.run(move |conn| match user_id {
        None => {
            let workshop = store::workshop(conn, &id)?
                .filter(|row| row.group_id.is_none())
                .ok_or(AppError::NotFound)?;
            Ok(CalendarEntry {
                workshop,
                with_link: false,
            })
        }
        Some(user_id) => {
            let row = visible_workshop(conn, &id, &user_id)?;
            let card = card(conn, &user_id, row)?;
            Ok(CalendarEntry {
                with_link: card.viewer_is_insider,
                workshop: card.row,
            })
        }
    })
    .await
}

/// The confirmed workshops of the person whose feed `token` opens, from 30 days back (cancelled
/// ones stay, marked so, for calendars to update); NOT_FOUND for an unknown or rotated token.
pub async fn feed(db: &Db, secret: &Secret, token: &str) -> AppResult<Vec<CalendarEntry>> {
    let token_hash = secret.mac_hex(token.as_bytes());
    db.run(move |conn| {
        let owner = store::feed_owner(conn, &token_hash)?.ok_or(AppError::NotFound)?;
        let since = Utc::now().naive_utc() - TimeDelta::days(FEED_DAYS_BACK);
        let workshops = store::confirmed_workshops_of(conn, &owner, since, FEED_EVENTS_MAX)?;
        let member_of = groups_of_any(conn, &owner, &workshops)?;
        Ok(workshops
            .into_iter()
            .map(|workshop| CalendarEntry {
                // A group's workshop keeps its link for the group's members only.
                with_link: workshop
                    .group_id
                    .as_ref()
                    .is_none_or(|group| member_of.contains(group)),
                workshop,
            })
            .collect())
    })
    .await
}

/// The feed token of `generation`: derived from the secret, so that the URL can be shown again
/// while only its HMAC is stored.
fn feed_token(secret: &Secret, user: &UserId, generation: i32) -> String {
    secret.mac_hex(format!("calendar-feed:{user}:{generation}").as_bytes())
}

/// The person's feed token. Reading it takes no write lock; the first use stores the first
/// generation (once, whoever asks at the same time).
pub async fn feed_token_of(db: &Db, secret: &Secret, user_id: &UserId) -> AppResult<String> {
    let owner = user_id.clone();
    let known = db
        .run(move |conn| Ok(store::feed_generation(conn, &owner)?))
        .await?;
    let generation = match known {
        Some(generation) => generation,
        None => {
            let (secret, owner) = (secret.clone(), user_id.clone());
            db.write(move |conn| {
                let token = feed_token(&secret, &owner, 1);
                let now = Utc::now().naive_utc();
                store::create_feed(conn, &owner, &secret.mac_hex(token.as_bytes()), now)?;
                Ok(store::feed_generation(conn, &owner)?.unwrap_or(1))
            })
            .await?
        }
    };
    Ok(feed_token(secret, user_id, generation))
}

/// Revokes the viewer's feed URL and returns the next one's token.
pub async fn rotate_feed(db: &Db, secret: &Secret, viewer: &Viewer) -> AppResult<String> {
    let (secret, user_id) = (secret.clone(), viewer.user_id.clone());
    db.write(move |conn| {
        lock(conn, &user_id)?;
        let generation = store::feed_generation(conn, &user_id)?.unwrap_or(0) + 1;
        let token = feed_token(&secret, &user_id, generation);
        let now = Utc::now().naive_utc();
        store::save_feed(
            conn,
            &user_id,
            generation,
            &secret.mac_hex(token.as_bytes()),
            now,
        )?;
        Ok(token)
    })
    .await
}

// ------------------------------------------------------------------ personal data

/// A person's registrations, ratings, calendar feed, and the workshops they organise.
pub struct WorkshopsData;
pub static WORKSHOPS_DATA: WorkshopsData = WorkshopsData;

impl PersonalData for WorkshopsData {
    fn name(&self) -> &'static str {
        "workshops"
    }

    fn columns(&self) -> &'static [PersonColumn] {
        &[
            PersonColumn {
                table: "workshops",
                column: "organiser_id",
            },
            PersonColumn {
                table: "workshop_registrations",
                column: "user_id",
            },
            PersonColumn {
                table: "workshop_ratings",
                column: "user_id",
            },
            PersonColumn {
                table: "calendar_feeds",
                column: "user_id",
            },
        ]
    }

    fn export(&self, conn: &mut DbConnection, person: &Person) -> AppResult<serde_json::Value> {
        let user = &person.id;
        let registrations = store::all_registrations_of(conn, user, i64::MAX)?;
        let ids: Vec<WorkshopId> = registrations
            .iter()
            .map(|row| row.workshop_id.clone())
            .collect();
        let titles: HashMap<WorkshopId, WorkshopRow> = store::workshops_by_id(conn, &ids)?
            .into_iter()
            .map(|row| (row.id.clone(), row))
            .collect();
        let described = |id: &WorkshopId| {
            titles.get(id).map(|row| {
                json!({ "title": row.title, "startsAt": instant(row.starts_at), "endsAt": instant(row.ends_at) })
            })
        };
        let registrations: Vec<_> = registrations
            .iter()
            .map(|row| {
                json!({ "workshop": described(&row.workshop_id), "status": row.status.as_str(),
                        "attended": row.attended, "certificateCode": row.certificate_code,
                        "registeredAt": instant(row.created_at) })
            })
            .collect();
        let ratings: Vec<_> = store::ratings_by(conn, user)?
            .into_iter()
            .map(|(workshop, rating, comment, at)| {
                json!({ "workshop": workshop, "rating": rating, "comment": comment, "at": instant(at) })
            })
            .collect();
        let organised: Vec<_> = store::organised_by(conn, user)?
            .into_iter()
            .map(|row| {
                json!({ "title": row.title, "startsAt": instant(row.starts_at),
                        "status": row.status.as_str() })
            })
            .collect();
        Ok(json!({
            "registrations": registrations,
            "ratings": ratings,
            "organised": organised,
            "calendarFeedCreatedAt": store::feed_created(conn, user)?.map(instant),
        }))
    }

    /// Seats they held go to the next people waiting; workshops of theirs still ahead are
    /// cancelled (registrants told); past ones stay for their attendees' records, without them.
    fn erase(&self, conn: &mut DbConnection, person: &Person) -> AppResult<()> {
        let user = &person.id;
        let now = Utc::now().naive_utc();
        let organised = store::upcoming_organised_by(conn, user, now)?;
        let seats: Vec<WorkshopId> = store::all_registrations_of(conn, user, i64::MAX)?
            .into_iter()
            .filter(|row| row.status == RegistrationStatus::Confirmed)
            .map(|row| row.workshop_id)
            .collect();
        // Parents first, in id order, as every workshop rule takes them.
        lock_in_order(conn, organised.iter().map(|row| &row.id).chain(&seats))?;
        for workshop in organised {
            cancel_workshop_row(conn, workshop, None, now)?;
        }
        store::forget_organiser(conn, user)?;
        store::delete_ratings_of(conn, user)?;
        store::delete_registrations_of(conn, user)?;
        store::delete_feed_of(conn, user)?;
        for id in &seats {
            if let Some(workshop) = store::workshop(conn, id)?
                && workshop.status == WorkshopStatus::Scheduled
                && !workshop.has_started(now)
            {
                fill_free_seats(conn, &workshop, now)?;
            }
        }
        Ok(())
    }
}
