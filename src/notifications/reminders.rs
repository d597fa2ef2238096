//! The weekly check-in reminder: at the weekday and local time each person picks (Monday 09:00
//! unless they change it), with no health content in it. Each person's next reminder is a row
//! with its due time; the instance whose guarded update moves it a week on sends it, so it goes
//! out once however many instances sweep, and a restart loses nothing.

use chrono::{DateTime, Datelike, NaiveDateTime, TimeDelta, TimeZone, Utc};
use chrono_tz::Tz;

use super::model::{Notice, NotificationCategory, ReminderSlot};
use super::service::{load_preferences, notify};
use super::store;
use crate::accounts::service::timezone_of;
use crate::db::{Db, DbConnection};
use crate::error::AppResult;
use crate::i18n::NotificationText;
use crate::ids::UserId;

/// People enrolled, and reminders sent, per sweep batch.
const SWEEP_BATCH: i64 = 500;

/// The first moment after `after` that falls on `slot` in `zone` (a time a clock change skips
/// moves to the first valid minute after it).
pub fn next_occurrence(slot: ReminderSlot, zone: Tz, after: DateTime<Utc>) -> DateTime<Utc> {
    let local_day = after.with_timezone(&zone).date_naive();
    let ahead = (7 + i64::from(slot.weekday.num_days_from_monday())
        - i64::from(local_day.weekday().num_days_from_monday()))
        % 7;
    let mut day = local_day + TimeDelta::days(ahead);
    loop {
        let mut local = day.and_time(slot.time);
        // A time skipped by a clock change: the first minute that exists after it.
        for _ in 0..180 {
            if let Some(at) = zone.from_local_datetime(&local).earliest() {
                let at = at.with_timezone(&Utc);
                if at > after {
                    return at;
                }
                break;
            }
            local += TimeDelta::minutes(1);
        }
        day += TimeDelta::weeks(1);
    }
}

/// Moves the person's next reminder to their slot's next occurrence after `now`, in their time
/// zone, or drops it when they turned reminders off; inside the caller's transaction (a change
/// of slot, of preferences or of time zone).
pub fn reschedule(conn: &mut DbConnection, user: &UserId, now: DateTime<Utc>) -> AppResult<()> {
    let preferences = load_preferences(conn, user)?;
    if !preferences.checkin_reminder {
        store::delete_reminder(conn, user)?;
        return Ok(());
    }
    let zone = timezone_of(conn, user)?;
    let due = next_occurrence(preferences.checkin_reminder_slot, zone, now);
    store::save_reminder(conn, user, due.naive_utc())?;
    Ok(())
}

/// One sweep at `now`: people with reminders on and none scheduled get their next one; those
/// due are sent and moved a week on. Returns how many were sent by this instance.
pub async fn sweep(db: &Db, now: DateTime<Utc>) -> AppResult<usize> {
    loop {
        let enrolled = db
            .write(move |conn| {
                let missing = store::unscheduled_reminders(conn, SWEEP_BATCH)?;
                for user in &missing {
                    reschedule(conn, user, now)?;
                }
                Ok(missing.len())
            })
            .await?;
        if enrolled < SWEEP_BATCH as usize {
            break;
        }
    }
    let mut sent = 0;
    loop {
        let due = db
            .run(move |conn| Ok(store::due_reminders(conn, now.naive_utc(), SWEEP_BATCH)?))
            .await?;
        let batch = due.len();
        for (user, due_at) in due {
            sent += usize::from(db.write(move |conn| send(conn, &user, due_at, now)).await?);
        }
        if batch < SWEEP_BATCH as usize {
            return Ok(sent);
        }
    }
}

/// Sends one due reminder, unless another instance moved it first.
fn send(
    conn: &mut DbConnection,
    user: &UserId,
    due_at: NaiveDateTime,
    now: DateTime<Utc>,
) -> AppResult<bool> {
    let preferences = load_preferences(conn, user)?;
    let zone = timezone_of(conn, user)?;
    // The week after this one, from whichever is later: the slot just due, or now (a server
    // that was down for a while sends one reminder, not each missed week).
    let from = due_at.and_utc().max(now);
    let next = next_occurrence(preferences.checkin_reminder_slot, zone, from);
    if !store::move_reminder(conn, user, due_at, next.naive_utc())? {
        return Ok(false);
    }
    let notice = Notice::new(
        NotificationCategory::CheckinReminder,
        NotificationText::CheckinReminder,
    );
    notify(conn, user, notice)?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use chrono::{NaiveTime, Weekday};

    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .expect("instant")
            .with_timezone(&Utc)
    }

    #[test]
    fn the_next_occurrence_is_in_the_persons_zone() {
        let monday_nine = ReminderSlot::DEFAULT;
        // Wednesday 25 November 2026, noon UTC: next Monday 09:00 Paris is 08:00 UTC.
        let now = at("2026-11-25T12:00:00Z");
        assert_eq!(
            next_occurrence(monday_nine, chrono_tz::Europe::Paris, now),
            at("2026-11-30T08:00:00Z")
        );
        // In Montréal, 09:00 is 14:00 UTC.
        assert_eq!(
            next_occurrence(monday_nine, chrono_tz::America::Montreal, now),
            at("2026-11-30T14:00:00Z")
        );
        // On the slot's own day, before the time: today; at or after it: next week.
        let monday = at("2026-11-30T07:00:00Z");
        assert_eq!(
            next_occurrence(monday_nine, chrono_tz::Europe::Paris, monday),
            at("2026-11-30T08:00:00Z")
        );
        assert_eq!(
            next_occurrence(
                monday_nine,
                chrono_tz::Europe::Paris,
                at("2026-11-30T08:00:00Z")
            ),
            at("2026-12-07T08:00:00Z")
        );
        // A Sunday 02:30 slot on the night Paris skips 02:00-03:00 (29 March 2026) moves to 03:00.
        let skipped = ReminderSlot {
            weekday: Weekday::Sun,
            time: NaiveTime::from_hms_opt(2, 30, 0).expect("time"),
        };
        assert_eq!(
            next_occurrence(
                skipped,
                chrono_tz::Europe::Paris,
                at("2026-03-27T12:00:00Z")
            ),
            at("2026-03-29T01:00:00Z")
        );
    }
}
