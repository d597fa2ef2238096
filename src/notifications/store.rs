//! Queries on devices, preferences, notifications and the push outbox.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::model::{
    Device, NewPush, NotificationRow, Platform, PreferencesRow, PushOutcome, PushStatus,
    RecipientSettings,
};
use crate::db::atomic::{Outbox, claim_due, requeue_claimed};
use crate::db::schema::{
    checkin_reminders, devices, group_mutes, notification_data, notification_preferences,
    notifications, push_outbox, users,
};
use crate::db::{DbConnection, TextListExt};
use crate::ids::{DeviceId, GroupId, NotificationId, PushId, UserId};
use crate::on_backend;

// ------------------------------------------------------------------ devices

pub fn device_by_token(conn: &mut DbConnection, token: &str) -> QueryResult<Option<Device>> {
    devices::table
        .filter(devices::token.eq(token))
        .select(Device::as_select())
        .first(conn)
        .optional()
}

/// Inserts a device; false when its token was registered meanwhile (by a concurrent request).
pub fn insert_device(conn: &mut DbConnection, device: &Device) -> QueryResult<bool> {
    let inserted = on_backend!(conn, |backend| diesel::insert_into(devices::table)
        .values(device)
        .on_conflict_do_nothing()
        .execute(backend))?;
    Ok(inserted == 1)
}

pub fn touch_device(
    conn: &mut DbConnection,
    id: &DeviceId,
    platform: Platform,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(devices::table.find(id))
        .set((
            devices::platform.eq(platform),
            devices::last_seen_at.eq(now),
        ))
        .execute(conn)
        .map(drop)
}

pub fn delete_device(conn: &mut DbConnection, id: &DeviceId) -> QueryResult<usize> {
    diesel::delete(devices::table.find(id)).execute(conn)
}

pub fn delete_user_device(
    conn: &mut DbConnection,
    user_id: &UserId,
    token: &str,
) -> QueryResult<usize> {
    diesel::delete(
        devices::table
            .filter(devices::user_id.eq(user_id))
            .filter(devices::token.eq(token)),
    )
    .execute(conn)
}

/// The person's devices, most recently seen first.
pub fn user_devices(conn: &mut DbConnection, user_id: &UserId) -> QueryResult<Vec<Device>> {
    devices::table
        .filter(devices::user_id.eq(user_id))
        .order((devices::last_seen_at.desc(), devices::id.desc()))
        .select(Device::as_select())
        .load(conn)
}

/// Forgets the person's least recently seen devices beyond the `keep` most recent.
pub fn trim_user_devices(
    conn: &mut DbConnection,
    user_id: &UserId,
    keep: i64,
) -> QueryResult<usize> {
    let surplus: Vec<DeviceId> = devices::table
        .filter(devices::user_id.eq(user_id))
        .order((devices::last_seen_at.desc(), devices::id.desc()))
        .offset(keep)
        .limit(i64::MAX)
        .select(devices::id)
        .load(conn)?;
    diesel::delete(devices::table.filter(devices::id.one_of(&surplus))).execute(conn)
}

pub fn delete_devices_not_seen_since(
    conn: &mut DbConnection,
    cutoff: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::delete(devices::table.filter(devices::last_seen_at.lt(cutoff))).execute(conn)
}

// ------------------------------------------------------------------ preferences

pub fn preferences(
    conn: &mut DbConnection,
    user_id: &UserId,
) -> QueryResult<Option<PreferencesRow>> {
    notification_preferences::table
        .find(user_id)
        .select(PreferencesRow::as_select())
        .first(conn)
        .optional()
}

/// Stores the person's preferences (with the person's row locked: see `update_preferences`).
pub fn save_preferences(conn: &mut DbConnection, row: &PreferencesRow) -> QueryResult<()> {
    let updated = diesel::update(notification_preferences::table.find(&row.user_id))
        .set(row)
        .execute(conn)?;
    if updated == 0 {
        diesel::insert_into(notification_preferences::table)
            .values(row)
            .execute(conn)?;
    }
    Ok(())
}

// ------------------------------------------------------------------ notifications

/// The recipient's locale.
pub fn recipient_locale(conn: &mut DbConnection, user_id: &UserId) -> QueryResult<Option<String>> {
    users::table
        .find(user_id)
        .select(users::locale)
        .first(conn)
        .optional()
}

// ------------------------------------------------------------------ check-in reminders

/// Sets when the person's next reminder is due.
pub fn save_reminder(
    conn: &mut DbConnection,
    user_id: &UserId,
    due_at: NaiveDateTime,
) -> QueryResult<()> {
    let updated = diesel::update(checkin_reminders::table.find(user_id))
        .set(checkin_reminders::due_at.eq(due_at))
        .execute(conn)?;
    if updated == 0 {
        on_backend!(conn, |backend| diesel::insert_into(
            checkin_reminders::table
        )
        .values((
            checkin_reminders::user_id.eq(user_id),
            checkin_reminders::due_at.eq(due_at),
        ))
        .on_conflict_do_nothing()
        .execute(backend))?;
    }
    Ok(())
}

pub fn delete_reminder(conn: &mut DbConnection, user_id: &UserId) -> QueryResult<usize> {
    diesel::delete(checkin_reminders::table.find(user_id)).execute(conn)
}

/// People who want reminders (the default) and have none scheduled.
pub fn unscheduled_reminders(conn: &mut DbConnection, limit: i64) -> QueryResult<Vec<UserId>> {
    users::table
        .left_join(notification_preferences::table)
        .filter(
            notification_preferences::checkin_reminder
                .is_null()
                .or(notification_preferences::checkin_reminder.eq(true)),
        )
        .filter(diesel::dsl::not(diesel::dsl::exists(
            checkin_reminders::table.filter(checkin_reminders::user_id.eq(users::id)),
        )))
        .order(users::id)
        .limit(limit)
        .select(users::id)
        .load(conn)
}

/// Reminders due at `now`, oldest first.
pub fn due_reminders(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    limit: i64,
) -> QueryResult<Vec<(UserId, NaiveDateTime)>> {
    checkin_reminders::table
        .filter(checkin_reminders::due_at.le(now))
        .order(checkin_reminders::due_at)
        .limit(limit)
        .select((checkin_reminders::user_id, checkin_reminders::due_at))
        .load(conn)
}

/// Moves a reminder from `due_at` to `next`; false when another instance moved it first.
pub fn move_reminder(
    conn: &mut DbConnection,
    user_id: &UserId,
    due_at: NaiveDateTime,
    next: NaiveDateTime,
) -> QueryResult<bool> {
    let moved = diesel::update(
        checkin_reminders::table
            .find(user_id)
            .filter(checkin_reminders::due_at.eq(due_at)),
    )
    .set(checkin_reminders::due_at.eq(next))
    .execute(conn)?;
    Ok(moved == 1)
}

pub fn insert_notification(conn: &mut DbConnection, row: &NotificationRow) -> QueryResult<()> {
    diesel::insert_into(notifications::table)
        .values(row)
        .execute(conn)
        .map(drop)
}

pub fn insert_data(
    conn: &mut DbConnection,
    id: &NotificationId,
    name: &str,
    value: &str,
) -> QueryResult<()> {
    diesel::insert_into(notification_data::table)
        .values((
            notification_data::notification_id.eq(id),
            notification_data::name.eq(name),
            notification_data::value.eq(value),
        ))
        .execute(conn)
        .map(drop)
}

/// One page of the person's visible notifications, newest first, `limit` rows at most.
pub fn inbox_page(
    conn: &mut DbConnection,
    user_id: &UserId,
    unread_only: bool,
    before: Option<&NotificationId>,
    limit: i64,
    now: NaiveDateTime,
) -> QueryResult<Vec<NotificationRow>> {
    let mut query = notifications::table
        .filter(notifications::user_id.eq(user_id))
        .filter(notifications::created_at.le(now))
        .order(notifications::id.desc())
        .limit(limit)
        .select(NotificationRow::as_select())
        .into_boxed();
    if unread_only {
        query = query.filter(notifications::read_at.is_null());
    }
    if let Some(before) = before {
        query = query.filter(notifications::id.lt(before));
    }
    query.load(conn)
}

pub fn visible_notification(
    conn: &mut DbConnection,
    user_id: &UserId,
    id: &NotificationId,
    now: NaiveDateTime,
) -> QueryResult<Option<NotificationRow>> {
    notifications::table
        .find(id)
        .filter(notifications::user_id.eq(user_id))
        .filter(notifications::created_at.le(now))
        .select(NotificationRow::as_select())
        .first(conn)
        .optional()
}

/// The data of each notification, by notification.
pub fn data_of(
    conn: &mut DbConnection,
    ids: &[NotificationId],
) -> QueryResult<HashMap<NotificationId, Vec<(String, String)>>> {
    let rows: Vec<(NotificationId, String, String)> = notification_data::table
        .filter(notification_data::notification_id.one_of(ids))
        .order((notification_data::notification_id, notification_data::name))
        .select((
            notification_data::notification_id,
            notification_data::name,
            notification_data::value,
        ))
        .load(conn)?;
    let mut by_notification: HashMap<NotificationId, Vec<(String, String)>> = HashMap::new();
    for (id, name, value) in rows {
        by_notification.entry(id).or_default().push((name, value));
    }
    Ok(by_notification)
}

pub fn unread_count(
    conn: &mut DbConnection,
    user_id: &UserId,
    now: NaiveDateTime,
) -> QueryResult<i64> {
    notifications::table
        .filter(notifications::user_id.eq(user_id))
        .filter(notifications::created_at.le(now))
        .filter(notifications::read_at.is_null())
        .count()
        .get_result(conn)
}

/// [`unread_count`] of each of these people who has any.
pub fn unread_counts(
    conn: &mut DbConnection,
    user_ids: &[UserId],
    now: NaiveDateTime,
) -> QueryResult<HashMap<UserId, i64>> {
    let rows: Vec<(UserId, i64)> = notifications::table
        .filter(notifications::user_id.one_of(user_ids))
        .filter(notifications::created_at.le(now))
        .filter(notifications::read_at.is_null())
        .group_by(notifications::user_id)
        .select((notifications::user_id, diesel::dsl::count_star()))
        .load(conn)?;
    Ok(rows.into_iter().collect())
}

pub fn mark_read(
    conn: &mut DbConnection,
    user_id: &UserId,
    ids: &[NotificationId],
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        notifications::table
            .filter(notifications::user_id.eq(user_id))
            .filter(notifications::id.one_of(ids))
            .filter(notifications::created_at.le(now))
            .filter(notifications::read_at.is_null()),
    )
    .set(notifications::read_at.eq(now))
    .execute(conn)
}

/// Marks every notification the person can see read (scheduled ones still ahead stay unread).
pub fn mark_all_read(
    conn: &mut DbConnection,
    user_id: &UserId,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        notifications::table
            .filter(notifications::user_id.eq(user_id))
            .filter(notifications::created_at.le(now))
            .filter(notifications::read_at.is_null()),
    )
    .set(notifications::read_at.eq(now))
    .execute(conn)
}

/// Deletes scheduled notifications under `key` that nobody has seen yet (with their pushes).
pub fn delete_future_notifications(
    conn: &mut DbConnection,
    key: &str,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::delete(
        notifications::table
            .filter(notifications::schedule_key.eq(key))
            .filter(notifications::created_at.gt(now)),
    )
    .execute(conn)
}

// ------------------------------------------------------------------ outbox

pub fn insert_push(conn: &mut DbConnection, push: &NewPush) -> QueryResult<()> {
    diesel::insert_into(push_outbox::table)
        .values(push)
        .execute(conn)
        .map(drop)
}

pub fn cancel_pending(
    conn: &mut DbConnection,
    key: &str,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        push_outbox::table
            .filter(push_outbox::schedule_key.eq(key))
            .filter(push_outbox::status.eq(PushStatus::Pending)),
    )
    .set((
        push_outbox::status.eq(PushStatus::Cancelled),
        push_outbox::finished_at.eq(now),
        push_outbox::claimed_by.eq(None::<String>),
        push_outbox::claim_expires_at.eq(None::<NaiveDateTime>),
    ))
    .execute(conn)
}

impl Outbox for PushId {
    const TABLE: &'static str = "push_outbox";
}

/// Claims up to `limit` due pushes for `worker` until `lease_until` ([`claim_due`]'s rules).
pub fn claim_due_pushes(
    conn: &mut DbConnection,
    worker: &str,
    now: NaiveDateTime,
    lease_until: NaiveDateTime,
    limit: i64,
) -> QueryResult<Vec<PushId>> {
    let claimed = claim_due::<PushId>(conn, worker, now, lease_until, limit)?;
    Ok(claimed.into_iter().map(PushId::from_client).collect())
}

/// What a claimed push needs: its row, notification and device (if still there).
pub type ClaimedRow = (PushId, i32, NotificationRow, Option<Device>);

pub fn claimed_rows(
    conn: &mut DbConnection,
    ids: &[PushId],
    worker: &str,
) -> QueryResult<Vec<ClaimedRow>> {
    push_outbox::table
        .inner_join(notifications::table)
        .left_join(devices::table)
        .filter(push_outbox::id.one_of(ids))
        .filter(push_outbox::claimed_by.eq(worker))
        .select((
            push_outbox::id,
            push_outbox::attempts,
            NotificationRow::as_select(),
            Option::<Device>::as_select(),
        ))
        .load(conn)
}

/// Others' notifications stop naming the person.
pub fn forget_about(conn: &mut DbConnection, user_id: &UserId) -> QueryResult<usize> {
    diesel::update(notifications::table.filter(notifications::about_id.eq(user_id)))
        .set(notifications::about_id.eq(None::<UserId>))
        .execute(conn)
}

/// The display names of these people (those still here).
pub fn display_names(
    conn: &mut DbConnection,
    ids: &[UserId],
) -> QueryResult<HashMap<UserId, String>> {
    Ok(users::table
        .filter(users::id.one_of(ids))
        .select((users::id, users::display_name))
        .load::<(UserId, String)>(conn)?
        .into_iter()
        .collect())
}

/// Locale, time zone and quiet hours of each recipient.
pub fn recipients(
    conn: &mut DbConnection,
    user_ids: &[UserId],
) -> QueryResult<Vec<RecipientSettings>> {
    users::table
        .left_join(notification_preferences::table)
        .filter(users::id.one_of(user_ids))
        .select((
            users::id,
            users::locale,
            users::timezone,
            notification_preferences::quiet_hours_start.nullable(),
            notification_preferences::quiet_hours_end.nullable(),
            notification_preferences::group_workshop_titles.nullable(),
        ))
        .load(conn)
}

/// Ends a claimed push. Only the claimant may: if its lease ran out and another dispatcher took
/// the row, this changes nothing and returns false.
pub fn finish_push(
    conn: &mut DbConnection,
    id: &PushId,
    worker: &str,
    outcome: &PushOutcome,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    diesel::update(
        push_outbox::table
            .find(id)
            .filter(push_outbox::claimed_by.eq(worker)),
    )
    .set((
        push_outbox::status.eq(outcome.status),
        push_outbox::attempts.eq(outcome.attempts),
        push_outbox::last_error.eq(&outcome.error),
        push_outbox::fcm_message_name.eq(&outcome.message_name),
        push_outbox::claimed_by.eq(None::<String>),
        push_outbox::claim_expires_at.eq(None::<NaiveDateTime>),
        push_outbox::finished_at.eq(now),
    ))
    .execute(conn)
    .map(|updated| updated == 1)
}

/// Puts a claimed push back in the queue, due at `not_before`.
pub fn requeue_push(
    conn: &mut DbConnection,
    id: &PushId,
    worker: &str,
    attempts: i32,
    error: Option<&str>,
    not_before: NaiveDateTime,
) -> QueryResult<bool> {
    requeue_claimed::<PushId>(conn, id.as_str(), worker, attempts, error, not_before)
}

pub fn push_counts(conn: &mut DbConnection) -> QueryResult<Vec<(PushStatus, i64)>> {
    push_outbox::table
        .group_by(push_outbox::status)
        .select((push_outbox::status, diesel::dsl::count_star()))
        .load(conn)
}

/// When the longest-waiting due push became due.
pub fn oldest_due(
    conn: &mut DbConnection,
    now: NaiveDateTime,
) -> QueryResult<Option<NaiveDateTime>> {
    push_outbox::table
        .filter(push_outbox::status.eq(PushStatus::Pending))
        .filter(push_outbox::not_before.le(now))
        .select(diesel::dsl::min(push_outbox::not_before))
        .first(conn)
}

/// Forgets pushes that ended before `cutoff`.
pub fn delete_finished_pushes(
    conn: &mut DbConnection,
    cutoff: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::delete(
        push_outbox::table
            .filter(push_outbox::status.ne(PushStatus::Pending))
            .filter(push_outbox::finished_at.lt(cutoff)),
    )
    .execute(conn)
}

/// Deletes notifications read at or before `cutoff`, with their data and pushes.
pub fn delete_notifications_read_by(
    conn: &mut DbConnection,
    cutoff: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::delete(notifications::table.filter(notifications::read_at.le(cutoff))).execute(conn)
}

/// Deletes the person's pushes, notifications (with their data), devices and preferences.
pub fn delete_person(conn: &mut DbConnection, user_id: &UserId) -> QueryResult<()> {
    diesel::delete(push_outbox::table.filter(push_outbox::user_id.eq(user_id))).execute(conn)?;
    diesel::delete(notifications::table.filter(notifications::user_id.eq(user_id)))
        .execute(conn)?;
    diesel::delete(devices::table.filter(devices::user_id.eq(user_id))).execute(conn)?;
    diesel::delete(notification_preferences::table.find(user_id)).execute(conn)?;
    Ok(())
}

/// All of the person's notifications, oldest first.
pub fn all_notifications_of(
    conn: &mut DbConnection,
    user_id: &UserId,
) -> QueryResult<Vec<NotificationRow>> {
    notifications::table
        .filter(notifications::user_id.eq(user_id))
        .order(notifications::id)
        .select(NotificationRow::as_select())
        .load(conn)
}

// ------------------------------------------------------------------ muted groups

/// Mutes a group's pushes for the person until `until` (none: until unmuted), replacing an
/// earlier mute.
pub fn mute_group(
    conn: &mut DbConnection,
    user_id: &UserId,
    group_id: &GroupId,
    until: Option<NaiveDateTime>,
) -> QueryResult<()> {
    on_backend!(conn, |backend| diesel::insert_into(group_mutes::table)
        .values((
            group_mutes::user_id.eq(user_id),
            group_mutes::group_id.eq(group_id),
            group_mutes::until.eq(until),
        ))
        .on_conflict((group_mutes::user_id, group_mutes::group_id))
        .do_update()
        .set(group_mutes::until.eq(until))
        .execute(backend))
    .map(drop)
}

/// Unmutes a group; false when it was not muted.
pub fn unmute_group(
    conn: &mut DbConnection,
    user_id: &UserId,
    group_id: &GroupId,
) -> QueryResult<bool> {
    diesel::delete(group_mutes::table.find((user_id, group_id)))
        .execute(conn)
        .map(|deleted| deleted > 0)
}

/// Whether the person has the group muted at `now`.
pub fn group_muted(
    conn: &mut DbConnection,
    user_id: &UserId,
    group_id: &GroupId,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        group_mutes::table
            .filter(group_mutes::user_id.eq(user_id))
            .filter(group_mutes::group_id.eq(group_id))
            .filter(group_mutes::until.is_null().or(group_mutes::until.gt(now))),
    ))
    .get_result(conn)
}

/// The person's muted groups with when each mute ends.
pub fn group_mutes_of(
    conn: &mut DbConnection,
    user_id: &UserId,
) -> QueryResult<Vec<(GroupId, Option<NaiveDateTime>)>> {
    group_mutes::table
        .filter(group_mutes::user_id.eq(user_id))
        .order(group_mutes::group_id.asc())
        .select((group_mutes::group_id, group_mutes::until))
        .load(conn)
}

pub fn delete_group_mutes_of(conn: &mut DbConnection, user_id: &UserId) -> QueryResult<usize> {
    diesel::delete(group_mutes::table.filter(group_mutes::user_id.eq(user_id))).execute(conn)
}
