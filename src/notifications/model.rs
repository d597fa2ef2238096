//! Devices, preferences, in-app notifications and the push outbox.

use chrono::{DateTime, NaiveDateTime, NaiveTime, Utc};
use diesel::prelude::*;

use crate::db::schema::{devices, notification_preferences, notifications, push_outbox};
use crate::i18n::{Locale, NotificationText, neutral_push};
use crate::ids::{DeviceId, NotificationId, PushId, UserId};
use crate::text_enum;

/// Most devices one account keeps; registering one more lets the least recently seen go.
pub const MAX_DEVICES_PER_USER: i64 = 20;
/// Longest FCM registration token accepted.
pub const MAX_TOKEN_LENGTH: usize = 4_096;
/// FCM's limit on a message's notification and data.
pub const MAX_PUSH_PAYLOAD_BYTES: usize = 4_096;
/// Most ids `markNotificationsRead` takes at once.
pub const MAX_MARK_READ_IDS: usize = 100;

text_enum! {
    /// Which push service reaches a device.
    pub enum Platform {
        /// Android, through FCM.
        Android => "ANDROID",
        /// iOS, through FCM and APNs.
        Ios => "IOS",
        /// A browser, through FCM web push.
        Web => "WEB",
    }
}

impl Platform {
    /// How a session on this platform is listed when its app gave no user agent.
    pub fn device_label(self) -> &'static str {
        match self {
            Self::Android => "Android",
            Self::Ios => "iOS",
            Self::Web => "Web",
        }
    }
}

/// The Android channel of every push that must not say what it is about, whatever its category:
/// its channel would name it.
pub const DISCREET_CHANNEL: &str = "discreet";

text_enum! {
    /// What a notification is about; each but SYSTEM can be turned off.
    pub enum NotificationCategory {
        /// Joins, replies and requests in the viewer's groups.
        GroupActivity => "GROUP_ACTIVITY",
        /// Mentorship requests, answers and messages.
        Mentorship => "MENTORSHIP",
        /// Seats, waitlists, changes and reminders of workshops.
        Workshop => "WORKSHOP",
        /// Reminders to check in.
        CheckinReminder => "CHECKIN_REMINDER",
        /// Reaching out: requests, their taking and closing. Always on: someone waits.
        PeerSupport => "PEER_SUPPORT",
        /// About the account itself; always on.
        System => "SYSTEM",
    }
}

impl NotificationCategory {
    /// The Android notification channel its pushes go to when they may say what they are about
    /// (the app creates one channel per category, and [`DISCREET_CHANNEL`]).
    pub fn android_channel(self) -> &'static str {
        match self {
            Self::GroupActivity => "group_activity",
            Self::Mentorship => "mentorship",
            Self::Workshop => "workshop",
            Self::CheckinReminder => "checkin_reminder",
            Self::PeerSupport => "peer_support",
            Self::System => "system",
        }
    }

    /// Whether a push of this category may show its text on a lock screen. Group posts, mentorship
    /// and check-ins can reveal that someone is struggling: their pushes carry a neutral line and
    /// ids only, and the app fetches the rest once unlocked.
    pub fn is_sensitive(self) -> bool {
        matches!(
            self,
            Self::GroupActivity | Self::Mentorship | Self::CheckinReminder | Self::PeerSupport
        )
    }
}

text_enum! {
    /// Where a push stands. PENDING rows may be claimed by a dispatcher for a lease.
    pub enum PushStatus {
        Pending => "PENDING",
        Sent => "SENT",
        Failed => "FAILED",
        Dropped => "DROPPED",
        Cancelled => "CANCELLED",
    }
}

/// A phone or browser that receives pushes. Its FCM token is a credential (whoever holds it can
/// push to the device), so `Debug` leaves it out.
#[derive(Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = devices)]
pub struct Device {
    pub id: DeviceId,
    pub user_id: UserId,
    pub token: String,
    pub platform: Platform,
    pub created_at: NaiveDateTime,
    pub last_seen_at: NaiveDateTime,
}

impl std::fmt::Debug for Device {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Device")
            .field("id", &self.id)
            .field("user_id", &self.user_id)
            .field("platform", &self.platform)
            .finish_non_exhaustive()
    }
}

/// Local time window with no push; it may span midnight (22:00-07:00).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuietHours {
    pub start: NaiveTime,
    pub end: NaiveTime,
}

/// A time of day as the API and exports write it: `HH:MM`.
pub fn time_of_day(time: NaiveTime) -> String {
    time.format("%H:%M").to_string()
}

impl QuietHours {
    pub fn contains(&self, local: NaiveTime) -> bool {
        if self.start < self.end {
            self.start <= local && local < self.end
        } else {
            local >= self.start || local < self.end
        }
    }
}

/// When the weekly check-in reminder comes: a weekday and a local time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReminderSlot {
    pub weekday: chrono::Weekday,
    pub time: NaiveTime,
}

impl ReminderSlot {
    /// Monday 09:00.
    pub const DEFAULT: ReminderSlot = ReminderSlot {
        weekday: chrono::Weekday::Mon,
        time: match NaiveTime::from_hms_opt(9, 0, 0) {
            Some(time) => time,
            None => NaiveTime::MIN,
        },
    };
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Preferences {
    pub group_activity: bool,
    pub mentorship: bool,
    pub workshop: bool,
    pub checkin_reminder: bool,
    pub checkin_reminder_slot: ReminderSlot,
    /// Whether colleagues may suggest that a peer supporter reach out.
    pub outreach: bool,
    /// Whether pushes about a group's workshops may show their title.
    pub group_workshop_titles: bool,
    pub quiet_hours: Option<QuietHours>,
}

impl Default for Preferences {
    /// Everything on but group workshop titles on the lock screen, no quiet hours.
    fn default() -> Self {
        Self {
            group_activity: true,
            mentorship: true,
            workshop: true,
            checkin_reminder: true,
            checkin_reminder_slot: ReminderSlot::DEFAULT,
            outreach: true,
            group_workshop_titles: false,
            quiet_hours: None,
        }
    }
}

impl Preferences {
    pub fn allows(&self, category: NotificationCategory) -> bool {
        match category {
            NotificationCategory::GroupActivity => self.group_activity,
            NotificationCategory::Mentorship => self.mentorship,
            NotificationCategory::Workshop => self.workshop,
            NotificationCategory::CheckinReminder => self.checkin_reminder,
            NotificationCategory::PeerSupport | NotificationCategory::System => true,
        }
    }
}

/// A preference change as the client sent it; `None` keeps a value.
#[derive(Debug, Clone, Default)]
pub struct PreferencesForm {
    pub group_activity: Option<bool>,
    pub mentorship: Option<bool>,
    pub workshop: Option<bool>,
    pub checkin_reminder: Option<bool>,
    /// ISO weekday, 1 = Monday.
    pub checkin_reminder_weekday: Option<i32>,
    pub checkin_reminder_time: Option<String>,
    pub outreach: Option<bool>,
    pub group_workshop_titles: Option<bool>,
    pub quiet_hours_start: Option<Option<String>>,
    pub quiet_hours_end: Option<Option<String>>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = notification_preferences, treat_none_as_null = true)]
pub struct PreferencesRow {
    pub user_id: UserId,
    pub group_activity: bool,
    pub mentorship: bool,
    pub workshop: bool,
    pub checkin_reminder: bool,
    pub quiet_hours_start: Option<String>,
    pub quiet_hours_end: Option<String>,
    pub updated_at: NaiveDateTime,
    pub checkin_reminder_weekday: i32,
    pub checkin_reminder_time: String,
    pub outreach: bool,
    pub group_workshop_titles: bool,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = notifications)]
pub struct NotificationRow {
    pub id: NotificationId,
    pub user_id: UserId,
    pub category: NotificationCategory,
    pub kind: String,
    pub created_at: NaiveDateTime,
    pub read_at: Option<NaiveDateTime>,
    pub schedule_key: Option<String>,
    /// The person the text names; `None` when it names nobody, or once they erased their account.
    pub about_id: Option<UserId>,
    /// The text's parameters ([`NotificationText`], serialised): never a person's name.
    pub params: String,
}

impl NotificationRow {
    /// Title and body in `locale`, the person it is about shown as `about` (their display name,
    /// or the neutral label of an erased account). A text this version cannot read shows as the
    /// neutral line of a discreet push.
    pub fn render(&self, locale: Locale, about: &str) -> (String, String) {
        match serde_json::from_str::<NotificationText>(&self.params) {
            Ok(text) => text.render(locale, about),
            Err(_) => neutral_push(locale),
        }
    }
}

/// What domain code asks to tell someone.
#[derive(Debug, Clone)]
pub struct Notice {
    pub category: NotificationCategory,
    pub text: NotificationText,
    /// Ids the app needs to open the right screen (`groupId`, `postId`…).
    pub data: Vec<(&'static str, String)>,
    /// Push no earlier than this (reminders); `None`: now.
    pub not_before: Option<DateTime<Utc>>,
    /// The person the text names, rendered when read.
    pub about: Option<UserId>,
    /// Names the push so it can be cancelled (`workshop:{id}:reminder:1h`) and so that pushes of
    /// the same thing collapse on the phone.
    pub schedule_key: Option<String>,
}

impl Notice {
    pub fn new(category: NotificationCategory, text: NotificationText) -> Self {
        Self {
            category,
            text,
            data: Vec::new(),
            about: None,
            not_before: None,
            schedule_key: None,
        }
    }

    pub fn with_data(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.data.push((name, value.into()));
        self
    }

    /// The person the text names (`None`: nobody, or someone already gone).
    pub fn about(mut self, person: Option<&UserId>) -> Self {
        self.about = person.cloned();
        self
    }

    pub fn scheduled(mut self, not_before: DateTime<Utc>, key: impl Into<String>) -> Self {
        self.not_before = Some(not_before);
        self.schedule_key = Some(key.into());
        self
    }
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = push_outbox)]
pub struct NewPush {
    pub id: PushId,
    pub notification_id: NotificationId,
    pub user_id: UserId,
    pub device_id: Option<DeviceId>,
    pub status: PushStatus,
    pub schedule_key: Option<String>,
    pub attempts: i32,
    pub not_before: NaiveDateTime,
    pub created_at: NaiveDateTime,
}

/// A claimed push with everything needed to send it.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub push_id: PushId,
    pub attempts: i32,
    /// `None` when the device is gone.
    pub device: Option<Device>,
    pub notification: NotificationRow,
    pub data: Vec<(String, String)>,
    pub locale: String,
    pub timezone: String,
    pub quiet_hours: Option<QuietHours>,
    /// Whether the recipient lets pushes show a group workshop's title.
    pub group_workshop_titles: bool,
    /// The notification's text, rendered at send time in the recipient's language.
    pub title: String,
    pub body: String,
    /// The recipient's unread notifications when it goes out: the app icon's badge.
    pub badge: i64,
}

/// How a claimed push ended.
#[derive(Debug, Clone)]
pub struct PushOutcome {
    pub status: PushStatus,
    pub attempts: i32,
    pub error: Option<String>,
    pub message_name: Option<String>,
}

/// What sending to a person depends on besides the message.
#[derive(Debug, Clone, Queryable)]
pub struct RecipientSettings {
    pub user_id: UserId,
    pub locale: String,
    pub timezone: String,
    pub quiet_hours_start: Option<String>,
    pub quiet_hours_end: Option<String>,
    pub group_workshop_titles: Option<bool>,
}

/// How many pushes stand in each state, and how late the oldest due one is.
#[derive(Debug, Clone, Default)]
pub struct OutboxStats {
    pub by_status: Vec<(PushStatus, i64)>,
    pub oldest_due_seconds: f64,
}
