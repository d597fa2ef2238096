//! The FCM v1 message for one push, and the retry schedule.

use std::time::Duration;

use rand::Rng;
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use super::model::{DISCREET_CHANNEL, Delivery, Device, NotificationCategory, NotificationRow};
use crate::i18n::{Locale, neutral_push};

/// Longest `apns-collapse-id` APNs accepts.
const APNS_COLLAPSE_ID_MAX: usize = 64;
/// How long FCM keeps a push for a phone that is off.
const TIME_TO_LIVE: &str = "86400s";

/// The key's SHA-256, in hex (64 characters, within APNs' limit).
fn digest(key: &str) -> String {
    Sha256::digest(key.as_bytes())
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// A collapse id within APNs' limit: the key itself, or its digest when too long.
fn collapse_id(key: &str) -> String {
    if key.len() <= APNS_COLLAPSE_ID_MAX {
        return key.to_owned();
    }
    digest(key)
}

/// What a push's collapse or thread key goes out as: a discreet push's is hashed whatever its
/// length, since the key names its subject.
fn push_key(key: &str, discreet: bool) -> String {
    if discreet {
        digest(key)
    } else {
        collapse_id(key)
    }
}

/// The part of a push FCM limits to 4 KiB: its `notification` (title, body) and its `data` (the
/// notice's ids plus the notification's id, category and kind, all strings).
pub fn visible_payload<'a>(
    notification: &NotificationRow,
    title: &str,
    body: &str,
    data: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Value {
    let mut data: Map<String, Value> = data
        .into_iter()
        .map(|(name, value)| (name.to_owned(), json!(value)))
        .collect();
    data.insert("notificationId".into(), json!(notification.id.as_str()));
    data.insert("category".into(), json!(notification.category.as_str()));
    data.insert("kind".into(), json!(notification.kind));
    json!({ "notification": { "title": title, "body": body }, "data": data })
}

/// Whether the push must show nothing of its subject: a sensitive category, or a group's workshop
/// whose recipient did not let pushes show its title.
fn discreet(delivery: &Delivery) -> bool {
    let notification = &delivery.notification;
    notification.category.is_sensitive()
        || (notification.category == NotificationCategory::Workshop
            && !delivery.group_workshop_titles
            && delivery.data.iter().any(|(name, _)| name == "groupId"))
}

/// What the phone stacks the push under: its conversation, else its group. A discreet push's is
/// hashed, so that it stacks without naming what it is about.
fn thread(delivery: &Delivery, discreet: bool) -> Option<String> {
    let value = |name: &str| {
        delivery
            .data
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    };
    let key = match (value("conversationId"), value("groupId")) {
        (Some(conversation), _) => format!("conversation:{conversation}"),
        (None, Some(group)) => format!("group:{group}"),
        (None, None) => return None,
    };
    Some(push_key(&key, discreet))
}

/// The `messages:send` body for `delivery` to `device`. A discreet push carries a neutral line
/// and the notification's id alone: no category, kind or ids that would name what it is about
/// (support, outreach, a group); the app fetches the notification to know.
pub fn fcm_message(delivery: &Delivery, device: &Device) -> Value {
    let notification = &delivery.notification;
    let discreet = discreet(delivery);
    let mut payload = if discreet {
        let (title, body) = neutral_push(Locale::parse(&delivery.locale).unwrap_or_default());
        json!({ "notification": { "title": title, "body": body },
                "data": { "notificationId": notification.id.as_str() } })
    } else {
        let data = delivery
            .data
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_str()));
        visible_payload(notification, &delivery.title, &delivery.body, data)
    };

    // Reminders can wait for a phone's next wake-up; people's messages should not.
    let urgent = notification.schedule_key.is_none()
        && notification.category != NotificationCategory::CheckinReminder;
    let channel = if discreet {
        DISCREET_CHANNEL
    } else {
        notification.category.android_channel()
    };
    let thread = thread(delivery, discreet);
    let mut android_notification = json!({ "channel_id": channel });
    if let Some(thread) = &thread {
        // A newer push of the same conversation or group replaces the older one in the drawer.
        android_notification["tag"] = json!(thread);
    }
    let mut android = json!({
        "priority": if urgent { "high" } else { "normal" },
        "ttl": TIME_TO_LIVE,
        "notification": android_notification,
    });
    let mut apns_headers = json!({ "apns-priority": if urgent { "10" } else { "5" } });
    if let Some(key) = &notification.schedule_key {
        let collapse = push_key(key, discreet);
        android["collapse_key"] = json!(collapse);
        apns_headers["apns-collapse-id"] = json!(collapse);
    }
    json!({
        "message": {
            "token": device.token,
            "notification": payload["notification"].take(),
            "data": payload["data"].take(),
            "android": android,
            "apns": {
                "headers": apns_headers,
                "payload": { "aps": {
                    "sound": "default",
                    "badge": delivery.badge,
                    "thread-id": thread.unwrap_or_else(|| {
                        if discreet { "relais" } else { notification.category.as_str() }.to_owned()
                    }),
                } }
            }
        }
    })
}

/// The wait before retry number `attempt` (1 for the first retry): `base` doubling each time,
/// capped, with ±20 % jitter so that a burst of failures does not retry in lockstep.
pub fn retry_delay(attempt: u32, base: Duration, cap: Duration) -> Duration {
    let exponential = base.saturating_mul(2u32.saturating_pow(attempt.saturating_sub(1)));
    let capped = exponential.min(cap);
    let jitter = rand::thread_rng().gen_range(0.8..=1.2);
    Duration::try_from_secs_f64(capped.as_secs_f64() * jitter)
        .unwrap_or(cap)
        .min(cap)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_double_from_the_base_up_to_the_cap() {
        let base = Duration::from_secs(5);
        let cap = Duration::from_secs(900);
        let first = retry_delay(1, base, cap);
        assert!(
            first >= Duration::from_secs(4) && first <= Duration::from_secs(6),
            "{first:?}"
        );
        let third = retry_delay(3, base, cap);
        assert!(
            third >= Duration::from_secs(16) && third <= Duration::from_secs(24),
            "{third:?}"
        );
        assert!(retry_delay(30, base, cap) <= cap);
        // Whatever the configuration, the arithmetic saturates instead of panicking.
        assert!(retry_delay(u32::MAX, base, Duration::MAX) > Duration::ZERO);
        assert!(retry_delay(30, base, cap) >= cap.mul_f64(0.8));
    }

    #[test]
    fn long_collapse_keys_are_hashed_to_fit_apns() {
        assert_eq!(
            collapse_id("workshop:1:reminder:1h"),
            "workshop:1:reminder:1h"
        );
        assert_eq!(collapse_id(&"k".repeat(100)).len(), 64);
    }
}
