//! The notifications service every domain calls, and the viewer's devices, preferences and inbox.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDateTime, NaiveTime, TimeDelta, Utc};

use super::model::{
    Device, MAX_DEVICES_PER_USER, MAX_MARK_READ_IDS, MAX_PUSH_PAYLOAD_BYTES, MAX_TOKEN_LENGTH,
    NewPush, Notice, NotificationCategory, NotificationRow, Platform, Preferences, PreferencesForm,
    PreferencesRow, PushStatus, QuietHours, ReminderSlot, time_of_day,
};
use super::push_message::visible_payload;
use super::store;
use crate::auth::Viewer;
use crate::config::Retention;
use crate::db::atomic::lock;
use crate::db::events::{Committed, after_commit};
use crate::db::{Db, DbConnection};
use crate::error::{AppError, AppResult, InternalError};
use crate::i18n::{self, Locale, Localized, Message, NotificationText};
use crate::ids::{DeviceId, GroupId, NotificationId, PushId, UserId};
use crate::pagination::{Page, PageRequest};
use crate::privacy::{Person, PersonColumn, PersonalData, Purged, instant};

/// A notification with its text, rendered for its reader, and the ids the app needs to open it.
#[derive(Debug, Clone)]
pub struct NotificationItem {
    pub row: NotificationRow,
    pub title: String,
    pub body: String,
    pub data: Vec<(String, String)>,
}

/// Titles and bodies of these notifications in `locale`, each naming its person as they are now:
/// their display name, or the erased account's label once gone. One query for all.
pub fn render_all(
    conn: &mut DbConnection,
    rows: &[NotificationRow],
    locale: impl Fn(&NotificationRow) -> Locale,
) -> AppResult<Vec<(String, String)>> {
    let people: Vec<UserId> = rows.iter().filter_map(|row| row.about_id.clone()).collect();
    let names = if people.is_empty() {
        HashMap::new()
    } else {
        store::display_names(conn, &people)?
    };
    Ok(rows
        .iter()
        .map(|row| {
            let locale = locale(row);
            let erased = Message::ErasedAccount.render(locale);
            let about = row
                .about_id
                .as_ref()
                .and_then(|id| names.get(id))
                .map_or(erased.as_str(), String::as_str);
            row.render(locale, about)
        })
        .collect())
}

// ------------------------------------------------------------------ notify

/// What [`notify`] wrote.
#[derive(Debug, Clone)]
pub struct Notified {
    pub notification_id: NotificationId,
    /// Pushes queued: one per device, none when the category is turned off.
    pub pushes: usize,
}

/// Tells `user_id` something, inside the caller's transaction: writes the in-app notification in
/// the recipient's locale and, if they allow the category, one push per device. A rollback of the
/// caller's transaction takes it all back. Pushes carrying more than FCM's 4 KiB are refused here,
/// not at send time (measured with the in-app text, which a sensitive push replaces by a shorter
/// neutral line).
/// Whether the notice is about a group the person muted (no push; the inbox still has it).
fn muted_group(
    conn: &mut DbConnection,
    user_id: &UserId,
    notice: &Notice,
    now: NaiveDateTime,
) -> AppResult<bool> {
    match notice.data.iter().find(|(name, _)| *name == "groupId") {
        Some((_, group)) => Ok(store::group_muted(
            conn,
            user_id,
            &GroupId::from_client(group.clone()),
            now,
        )?),
        None => Ok(false),
    }
}

/// Mutes a group's pushes for the person, inside the caller's transaction (who may mute is the
/// groups domain's rule).
pub fn mute_group(
    conn: &mut DbConnection,
    user_id: &UserId,
    group_id: &GroupId,
    until: Option<NaiveDateTime>,
) -> AppResult<()> {
    Ok(store::mute_group(conn, user_id, group_id, until)?)
}

/// Unmutes a group, inside the caller's transaction; false when it was not muted.
pub fn unmute_group(
    conn: &mut DbConnection,
    user_id: &UserId,
    group_id: &GroupId,
) -> AppResult<bool> {
    Ok(store::unmute_group(conn, user_id, group_id)?)
}

pub fn notify(conn: &mut DbConnection, user_id: &UserId, notice: Notice) -> AppResult<Notified> {
    let locale = store::recipient_locale(conn, user_id)?.ok_or(AppError::NotFound)?;
    let now = Utc::now();
    let due = notice.not_before.unwrap_or(now).max(now);
    let params = serde_json::to_string(&notice.text)
        .map_err(|error| AppError::internal(InternalError::Other(error.to_string())))?;
    let row = NotificationRow {
        id: NotificationId::generate(),
        user_id: user_id.clone(),
        category: notice.category,
        kind: notice.text.kind().to_owned(),
        created_at: due.naive_utc(),
        read_at: None,
        schedule_key: notice.schedule_key.clone(),
        about_id: notice.about.clone(),
        params,
    };
    let locale = Locale::parse(&locale).unwrap_or_default();
    let (title, body) = render_all(conn, std::slice::from_ref(&row), |_| locale)?
        .pop()
        .unwrap_or_default();
    check_payload_size(&row, &title, &body, &notice.data)?;
    store::insert_notification(conn, &row)?;
    for (name, value) in &notice.data {
        store::insert_data(conn, &row.id, name, value)?;
    }

    let mut pushes = 0;
    if load_preferences(conn, user_id)?.allows(notice.category)
        && !muted_group(conn, user_id, &notice, now.naive_utc())?
    {
        for device in store::user_devices(conn, user_id)? {
            store::insert_push(
                conn,
                &NewPush {
                    id: PushId::generate(),
                    notification_id: row.id.clone(),
                    user_id: user_id.clone(),
                    device_id: Some(device.id),
                    status: PushStatus::Pending,
                    schedule_key: notice.schedule_key.clone(),
                    attempts: 0,
                    not_before: due.naive_utc(),
                    created_at: now.naive_utc(),
                },
            )?;
            pushes += 1;
        }
        if pushes > 0 {
            after_commit(Committed::PushQueued);
        }
    }
    if notice.not_before.is_none() {
        after_commit(Committed::NotificationAdded {
            user_id: user_id.clone(),
            notification_id: row.id.clone(),
        });
    }
    Ok(Notified {
        notification_id: row.id,
        pushes,
    })
}

fn check_payload_size(
    row: &NotificationRow,
    title: &str,
    body: &str,
    data: &[(&'static str, String)],
) -> AppResult<()> {
    let data = data.iter().map(|(name, value)| (*name, value.as_str()));
    let size = visible_payload(row, title, body, data).to_string().len();
    if size > MAX_PUSH_PAYLOAD_BYTES {
        return Err(AppError::internal(InternalError::Other(format!(
            "push payload of {size} bytes exceeds FCM's {MAX_PUSH_PAYLOAD_BYTES}"
        ))));
    }
    Ok(())
}

/// Cancels what was scheduled under `key` and has not gone out: its pushes end CANCELLED and its
/// not-yet-visible notifications are removed. Returns how many pushes were cancelled.
pub fn cancel_scheduled(conn: &mut DbConnection, key: &str) -> AppResult<usize> {
    let now = Utc::now().naive_utc();
    let cancelled = store::cancel_pending(conn, key, now)?;
    store::delete_future_notifications(conn, key, now)?;
    Ok(cancelled)
}

/// A person's devices, preferences, notifications and pushes.
pub struct NotificationsData;
pub static NOTIFICATIONS_DATA: NotificationsData = NotificationsData;

impl PersonalData for NotificationsData {
    fn name(&self) -> &'static str {
        "notifications"
    }

    fn columns(&self) -> &'static [PersonColumn] {
        &[
            PersonColumn {
                table: "devices",
                column: "user_id",
            },
            PersonColumn {
                table: "notification_preferences",
                column: "user_id",
            },
            PersonColumn {
                table: "notifications",
                column: "user_id",
            },
            PersonColumn {
                table: "notifications",
                column: "about_id",
            },
            PersonColumn {
                table: "push_outbox",
                column: "user_id",
            },
            PersonColumn {
                table: "checkin_reminders",
                column: "user_id",
            },
            PersonColumn {
                table: "group_mutes",
                column: "user_id",
            },
        ]
    }

    fn export(&self, conn: &mut DbConnection, person: &Person) -> AppResult<serde_json::Value> {
        let user = &person.id;
        let devices: Vec<serde_json::Value> = store::user_devices(conn, user)?
            .into_iter()
            .map(|device| {
                serde_json::json!({
                    "platform": device.platform.as_str(),
                    "registeredAt": instant(device.created_at),
                    "lastSeenAt": instant(device.last_seen_at),
                })
            })
            .collect();
        let preferences = load_preferences(conn, user)?;
        // Rendered naming nobody else: another person reads as "someone", never by their name.
        let locale = i18n::current();
        let someone = Message::Someone.render(locale);
        let own_name = store::display_names(conn, std::slice::from_ref(user))?
            .remove(user)
            .unwrap_or_default();
        let notifications: Vec<serde_json::Value> = store::all_notifications_of(conn, user)?
            .into_iter()
            .map(|row| {
                let about = match &row.about_id {
                    Some(about) if about == user => own_name.as_str(),
                    _ => someone.as_str(),
                };
                let (title, body) = row.render(locale, about);
                serde_json::json!({
                    "category": row.category.as_str(),
                    "kind": row.kind,
                    "title": title,
                    "body": body,
                    "at": instant(row.created_at),
                    "readAt": row.read_at.map(instant),
                })
            })
            .collect();
        Ok(serde_json::json!({
            "devices": devices,
            "preferences": {
                "groupActivity": preferences.group_activity,
                "mentorship": preferences.mentorship,
                "workshop": preferences.workshop,
                "checkinReminder": preferences.checkin_reminder,
                "outreach": preferences.outreach,
                "groupWorkshopTitles": preferences.group_workshop_titles,
                "checkinReminderWeekday": preferences.checkin_reminder_slot.weekday.number_from_monday(),
                "checkinReminderTime": time_of_day(preferences.checkin_reminder_slot.time),
                "quietHoursStart": preferences.quiet_hours.map(|hours| time_of_day(hours.start)),
                "quietHoursEnd": preferences.quiet_hours.map(|hours| time_of_day(hours.end)),
            },
            "notifications": notifications,
            "mutedGroups": store::group_mutes_of(conn, user)?
                .into_iter()
                .map(|(group, until)| serde_json::json!({
                    "groupId": group.to_string(),
                    "until": until.map(instant),
                }))
                .collect::<Vec<_>>(),
        }))
    }

    fn erase(&self, conn: &mut DbConnection, person: &Person) -> AppResult<()> {
        let user = &person.id;
        store::delete_reminder(conn, user)?;
        store::delete_group_mutes_of(conn, user)?;
        // Others' notifications about them stay, naming nobody: read as the erased label.
        store::forget_about(conn, user)?;
        Ok(store::delete_person(conn, user)?)
    }

    fn purge(
        &self,
        conn: &mut DbConnection,
        retention: &Retention,
        now: NaiveDateTime,
    ) -> AppResult<Vec<Purged>> {
        Ok(vec![
            Purged {
                kind: "read notifications",
                rows: store::delete_notifications_read_by(
                    conn,
                    now - retention.read_notifications,
                )?,
            },
            Purged {
                kind: "finished pushes",
                rows: store::delete_finished_pushes(conn, now - retention.finished_pushes)?,
            },
            Purged {
                kind: "idle devices",
                rows: store::delete_devices_not_seen_since(conn, now - retention.idle_devices)?,
            },
        ])
    }
}

// ------------------------------------------------------------------ devices

/// Registers the viewer's device for push. A token held by another account moves to the viewer
/// (a phone changed hands; its queued pushes for the former owner are dropped); a known token is
/// refreshed. The least recently seen devices beyond 20 go.
pub async fn register_device(
    db: &Db,
    viewer: &Viewer,
    token: String,
    platform: Platform,
) -> AppResult<Device> {
    let token = token.trim().to_owned();
    if token.is_empty() || token.chars().count() > MAX_TOKEN_LENGTH {
        return Err(AppError::bad_input(
            "token",
            Message::LengthBetween {
                min: 1,
                max: MAX_TOKEN_LENGTH,
            },
        ));
    }
    let user_id = viewer.user_id.clone();
    db.write(move |conn| {
        let now = Utc::now().naive_utc();
        // A token is inserted with ON CONFLICT DO NOTHING: when a concurrent registration wrote
        // it first, the second pass finds it and proceeds as if it had come second.
        for _ in 0..2 {
            match store::device_by_token(conn, &token)? {
                Some(device) if device.user_id == user_id => {
                    store::touch_device(conn, &device.id, platform, now)?;
                    return Ok(Device {
                        platform,
                        last_seen_at: now,
                        ..device
                    });
                }
                // A new row, so pushes queued for the former owner lose their device.
                Some(previous) => {
                    store::delete_device(conn, &previous.id)?;
                }
                None => {}
            }
            let device = Device {
                id: DeviceId::generate(),
                user_id: user_id.clone(),
                token: token.clone(),
                platform,
                created_at: now,
                last_seen_at: now,
            };
            if store::insert_device(conn, &device)? {
                store::trim_user_devices(conn, &user_id, MAX_DEVICES_PER_USER)?;
                return Ok(device);
            }
        }
        Err(AppError::Conflict(Message::DeviceRaced))
    })
    .await
}

/// Forgets one of the viewer's devices; false when the viewer has no device with this token.
pub async fn unregister_device(db: &Db, viewer: &Viewer, token: String) -> AppResult<bool> {
    let user_id = viewer.user_id.clone();
    db.write(move |conn| Ok(store::delete_user_device(conn, &user_id, token.trim())? > 0))
        .await
}

pub async fn devices(db: &Db, viewer: &Viewer) -> AppResult<Vec<Device>> {
    let user_id = viewer.user_id.clone();
    db.run(move |conn| Ok(store::user_devices(conn, &user_id)?))
        .await
}

// ------------------------------------------------------------------ preferences

fn parse_time_of_day(field: &'static str, value: &str) -> AppResult<NaiveTime> {
    let invalid = || {
        AppError::bad_input(
            field,
            Message::InvalidTimeOfDay {
                value: value.to_owned(),
            },
        )
    };
    let trimmed = value.trim();
    if trimmed.len() != 5 {
        return Err(invalid());
    }
    NaiveTime::parse_from_str(trimmed, "%H:%M").map_err(|_| invalid())
}

/// An ISO weekday number, 1 (Monday) to 7 (Sunday).
fn reminder_weekday(number: i32) -> AppResult<chrono::Weekday> {
    u8::try_from(number - 1)
        .ok()
        .filter(|index| *index < 7)
        .and_then(|index| chrono::Weekday::try_from(index).ok())
        .ok_or_else(|| {
            AppError::bad_input(
                "checkinReminderWeekday",
                Message::NumberBetween { min: 1, max: 7 },
            )
        })
}

fn quiet_hours(start: Option<&str>, end: Option<&str>) -> AppResult<Option<QuietHours>> {
    match (start, end) {
        (None, None) => Ok(None),
        (Some(start), Some(end)) => {
            let start = parse_time_of_day("quietHoursStart", start)?;
            let end = parse_time_of_day("quietHoursEnd", end)?;
            if start == end {
                return Err(AppError::bad_input(
                    "quietHoursEnd",
                    Message::QuietHoursEmpty,
                ));
            }
            Ok(Some(QuietHours { start, end }))
        }
        (Some(_), None) => Err(AppError::bad_input(
            "quietHoursEnd",
            Message::QuietHoursNeedBoth,
        )),
        (None, Some(_)) => Err(AppError::bad_input(
            "quietHoursStart",
            Message::QuietHoursNeedBoth,
        )),
    }
}

/// Quiet hours as stored (validated on the way in).
pub(super) fn stored_quiet_hours(start: Option<&str>, end: Option<&str>) -> Option<QuietHours> {
    quiet_hours(start, end).ok().flatten()
}

fn preferences_of(row: Option<PreferencesRow>) -> Preferences {
    let Some(row) = row else {
        return Preferences::default();
    };
    let stored_slot =
        chrono::Weekday::try_from(u8::try_from(row.checkin_reminder_weekday - 1).unwrap_or(0))
            .ok()
            .zip(NaiveTime::parse_from_str(&row.checkin_reminder_time, "%H:%M").ok());
    Preferences {
        group_activity: row.group_activity,
        mentorship: row.mentorship,
        workshop: row.workshop,
        checkin_reminder: row.checkin_reminder,
        outreach: row.outreach,
        group_workshop_titles: row.group_workshop_titles,
        checkin_reminder_slot: stored_slot.map_or(ReminderSlot::DEFAULT, |(weekday, time)| {
            ReminderSlot { weekday, time }
        }),
        quiet_hours: stored_quiet_hours(
            row.quiet_hours_start.as_deref(),
            row.quiet_hours_end.as_deref(),
        ),
    }
}

/// Whether the person accepts outreach suggestions, inside another domain's transaction.
pub fn accepts_outreach(conn: &mut DbConnection, user_id: &UserId) -> AppResult<bool> {
    Ok(load_preferences(conn, user_id)?.outreach)
}

pub(super) fn load_preferences(
    conn: &mut DbConnection,
    user_id: &UserId,
) -> AppResult<Preferences> {
    Ok(preferences_of(store::preferences(conn, user_id)?))
}

pub async fn preferences(db: &Db, viewer: &Viewer) -> AppResult<Preferences> {
    let user_id = viewer.user_id.clone();
    db.run(move |conn| load_preferences(conn, &user_id)).await
}

/// Changes the viewer's preferences; absent fields keep their value, quiet hours go in pairs.
pub async fn update_preferences(
    db: &Db,
    viewer: &Viewer,
    form: PreferencesForm,
) -> AppResult<Preferences> {
    let user_id = viewer.user_id.clone();
    db.write(move |conn| {
        // Concurrent changes take turns, each merging into what the previous one saved.
        lock(conn, &user_id)?;
        let current = load_preferences(conn, &user_id)?;
        let start = match form.quiet_hours_start {
            Some(value) => value,
            None => current.quiet_hours.map(|hours| time_of_day(hours.start)),
        };
        let end = match form.quiet_hours_end {
            Some(value) => value,
            None => current.quiet_hours.map(|hours| time_of_day(hours.end)),
        };
        let hours = quiet_hours(start.as_deref(), end.as_deref())?;
        let slot = ReminderSlot {
            weekday: match form.checkin_reminder_weekday {
                Some(weekday) => reminder_weekday(weekday)?,
                None => current.checkin_reminder_slot.weekday,
            },
            time: match form.checkin_reminder_time.as_deref() {
                Some(time) => parse_time_of_day("checkinReminderTime", time)?,
                None => current.checkin_reminder_slot.time,
            },
        };
        let row = PreferencesRow {
            user_id: user_id.clone(),
            group_activity: form.group_activity.unwrap_or(current.group_activity),
            mentorship: form.mentorship.unwrap_or(current.mentorship),
            workshop: form.workshop.unwrap_or(current.workshop),
            checkin_reminder: form.checkin_reminder.unwrap_or(current.checkin_reminder),
            quiet_hours_start: hours.map(|hours| time_of_day(hours.start)),
            quiet_hours_end: hours.map(|hours| time_of_day(hours.end)),
            updated_at: Utc::now().naive_utc(),
            checkin_reminder_weekday: i32::from(slot.weekday.number_from_monday() as u8),
            checkin_reminder_time: time_of_day(slot.time),
            outreach: form.outreach.unwrap_or(current.outreach),
            group_workshop_titles: form
                .group_workshop_titles
                .unwrap_or(current.group_workshop_titles),
        };
        store::save_preferences(conn, &row)?;
        // A new slot, or reminders turned on or off, moves the next reminder at once.
        super::reminders::reschedule(conn, &user_id, Utc::now())?;
        Ok(preferences_of(Some(row)))
    })
    .await
}

// ------------------------------------------------------------------ inbox

/// The notifications with their data, rendered in the reader's language (the request's).
fn with_data(
    conn: &mut DbConnection,
    rows: Vec<NotificationRow>,
) -> AppResult<Vec<NotificationItem>> {
    let ids: Vec<NotificationId> = rows.iter().map(|row| row.id.clone()).collect();
    let mut data = store::data_of(conn, &ids)?;
    let locale = i18n::current();
    let texts = render_all(conn, &rows, |_| locale)?;
    Ok(rows
        .into_iter()
        .zip(texts)
        .map(|(row, (title, body))| NotificationItem {
            data: data.remove(&row.id).unwrap_or_default(),
            title,
            body,
            row,
        })
        .collect())
}

/// The viewer's notifications, newest first.
pub async fn inbox(
    db: &Db,
    viewer: &Viewer,
    unread_only: bool,
    page: PageRequest,
) -> AppResult<Page<NotificationItem>> {
    let user_id = viewer.user_id.clone();
    let after: Option<NotificationId> = page.after()?;
    db.run(move |conn| {
        let rows = store::inbox_page(
            conn,
            &user_id,
            unread_only,
            after.as_ref(),
            page.fetch_limit(),
            Utc::now().naive_utc(),
        )?;
        Page::from_overfetch(rows, &page).try_map_items(|rows| with_data(conn, rows))
    })
    .await
}

/// One of the viewer's visible notifications.
pub async fn notification(
    db: &Db,
    user_id: &UserId,
    id: &NotificationId,
) -> AppResult<Option<NotificationItem>> {
    let (user_id, id) = (user_id.clone(), id.clone());
    db.run(move |conn| {
        let rows: Vec<NotificationRow> =
            store::visible_notification(conn, &user_id, &id, Utc::now().naive_utc())?
                .into_iter()
                .collect();
        Ok(with_data(conn, rows)?.pop())
    })
    .await
}

pub async fn unread_count(db: &Db, viewer: &Viewer) -> AppResult<i64> {
    let user_id = viewer.user_id.clone();
    db.run(move |conn| Ok(store::unread_count(conn, &user_id, Utc::now().naive_utc())?))
        .await
}

/// Marks some of the viewer's notifications read; returns how many were unread.
pub async fn mark_read(db: &Db, viewer: &Viewer, ids: Vec<NotificationId>) -> AppResult<usize> {
    if ids.len() > MAX_MARK_READ_IDS {
        return Err(AppError::bad_input(
            "ids",
            Message::TooMany {
                max: MAX_MARK_READ_IDS,
            },
        ));
    }
    let user_id = viewer.user_id.clone();
    db.write(move |conn| {
        Ok(store::mark_read(
            conn,
            &user_id,
            &ids,
            Utc::now().naive_utc(),
        )?)
    })
    .await
}

/// Marks all of the viewer's notifications read; returns how many were unread.
pub async fn mark_all_read(db: &Db, viewer: &Viewer) -> AppResult<usize> {
    let user_id = viewer.user_id.clone();
    db.write(move |conn| {
        Ok(store::mark_all_read(
            conn,
            &user_id,
            Utc::now().naive_utc(),
        )?)
    })
    .await
}

/// Sends the viewer a test notification on every device; returns how many devices it targets.
pub async fn send_test(db: &Db, viewer: &Viewer) -> AppResult<usize> {
    let user_id = viewer.user_id.clone();
    db.write(move |conn| {
        let notice = Notice::new(NotificationCategory::System, NotificationText::TestPush);
        Ok(notify(conn, &user_id, notice)?.pushes)
    })
    .await
}

/// When the quiet hours around `now` end, if `now` falls inside them, in the person's zone.
pub fn quiet_hours_end(
    hours: &QuietHours,
    timezone: &str,
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    let zone: chrono_tz::Tz = timezone.parse().unwrap_or(chrono_tz::Europe::Paris);
    let local = now.with_timezone(&zone);
    if !hours.contains(local.time()) {
        return None;
    }
    let today_end = local.date_naive().and_time(hours.end);
    let end = if local.time() < hours.end {
        today_end
    } else {
        today_end + TimeDelta::days(1)
    };
    // A wall-clock time skipped by a DST change falls back to an hour later.
    let resolved = end.and_local_timezone(zone).earliest().or_else(|| {
        (end + TimeDelta::hours(1))
            .and_local_timezone(zone)
            .earliest()
    })?;
    Some(resolved.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hours(start: &str, end: &str) -> QuietHours {
        quiet_hours(Some(start), Some(end))
            .ok()
            .flatten()
            .expect("valid quiet hours")
    }

    #[test]
    fn quiet_hours_may_span_midnight() {
        let night = hours("22:00", "07:00");
        let at = |text: &str| NaiveTime::parse_from_str(text, "%H:%M").expect("time");
        assert!(night.contains(at("23:30")));
        assert!(night.contains(at("06:59")));
        assert!(!night.contains(at("07:00")));
        assert!(!night.contains(at("12:00")));
        let lunch = hours("12:00", "13:30");
        assert!(lunch.contains(at("12:00")));
        assert!(!lunch.contains(at("13:30")));
    }

    #[test]
    fn quiet_hours_end_is_in_the_persons_zone() {
        let night = hours("22:00", "07:00");
        // 23:00 in Paris (winter, UTC+1) is 22:00 UTC; the night ends at 07:00 Paris = 06:00 UTC.
        let now: DateTime<Utc> = "2026-11-23T22:00:00Z".parse().expect("instant");
        let end = quiet_hours_end(&night, "Europe/Paris", now).expect("inside quiet hours");
        assert_eq!(end.to_rfc3339(), "2026-11-24T06:00:00+00:00");
        let noon: DateTime<Utc> = "2026-11-23T11:00:00Z".parse().expect("instant");
        assert_eq!(quiet_hours_end(&night, "Europe/Paris", noon), None);
    }

    #[test]
    fn times_of_day_are_strict() {
        assert!(parse_time_of_day("t", "7:00").is_err());
        assert!(parse_time_of_day("t", "24:00").is_err());
        assert!(parse_time_of_day("t", "07:60").is_err());
        assert!(parse_time_of_day("t", "07:05").is_ok());
    }
}
