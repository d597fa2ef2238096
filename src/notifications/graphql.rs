//! The notifications part of the API: devices, preferences, the inbox and its subscription.

use async_graphql::futures_util::Stream;
use async_graphql::{
    Context, ID, InputObject, MaybeUndefined, Object, Result, SimpleObject, Subscription,
};

use super::model::{
    Device, NotificationCategory, Platform, Preferences, PreferencesForm, time_of_day,
};
use super::service::{self, NotificationItem};
use crate::auth::service as sessions;
use crate::db::events::Committed;
use crate::graphql::ContextExt;
use crate::graphql::live::Listener;
use crate::graphql::scalars::DateTime;
use crate::http::UserAgent;
use crate::ids::NotificationId;
use crate::pagination::PageRequest;

/// A phone or browser registered for push notifications.
#[derive(SimpleObject)]
#[graphql(name = "Device")]
pub struct DeviceView {
    /// The device's id.
    pub id: ID,
    /// Which push service delivers to it.
    pub platform: Platform,
    /// When it was first registered.
    pub created_at: DateTime,
    /// When the app last registered it again; devices idle for long are dropped.
    pub last_seen_at: DateTime,
}

impl From<Device> for DeviceView {
    fn from(device: Device) -> Self {
        Self {
            id: device.id.into(),
            platform: device.platform,
            created_at: device.created_at.into(),
            last_seen_at: device.last_seen_at.into(),
        }
    }
}

/// Which notifications the viewer gets, and when pushes keep quiet.
#[derive(SimpleObject)]
#[graphql(name = "NotificationPreferences")]
pub struct PreferencesView {
    /// Activity in the viewer's groups.
    pub group_activity: bool,
    /// Mentorship news and messages.
    pub mentorship: bool,
    /// Workshop news and reminders.
    pub workshop: bool,
    /// Check-in reminders.
    pub checkin_reminder: bool,
    /// The weekly check-in reminder's day, 1 (Monday) to 7 (Sunday).
    pub checkin_reminder_weekday: i32,
    /// Its local time, HH:MM in the viewer's time zone.
    pub checkin_reminder_time: String,
    /// Whether colleagues may suggest that a peer supporter reach out to the viewer.
    pub outreach: bool,
    /// Whether pushes about a group's workshops show their title on the lock screen (off by
    /// default: a title can tell what the group is about).
    pub group_workshop_titles: bool,
    /// Local time HH:MM in the viewer's time zone; no push between start and end.
    pub quiet_hours_start: Option<String>,
    /// Local time HH:MM in the viewer's time zone when pushes resume.
    pub quiet_hours_end: Option<String>,
}

impl From<Preferences> for PreferencesView {
    fn from(preferences: Preferences) -> Self {
        Self {
            group_activity: preferences.group_activity,
            mentorship: preferences.mentorship,
            workshop: preferences.workshop,
            checkin_reminder: preferences.checkin_reminder,
            checkin_reminder_weekday: preferences
                .checkin_reminder_slot
                .weekday
                .number_from_monday() as i32,
            checkin_reminder_time: time_of_day(preferences.checkin_reminder_slot.time),
            outreach: preferences.outreach,
            group_workshop_titles: preferences.group_workshop_titles,
            quiet_hours_start: preferences
                .quiet_hours
                .map(|hours| time_of_day(hours.start)),
            quiet_hours_end: preferences.quiet_hours.map(|hours| time_of_day(hours.end)),
        }
    }
}

/// Preferences to change; absent fields stay as they are.
#[derive(InputObject)]
#[graphql(name = "NotificationPreferencesInput")]
pub struct PreferencesInput {
    /// Activity in the viewer's groups.
    pub group_activity: Option<bool>,
    /// Mentorship news and messages.
    pub mentorship: Option<bool>,
    /// Workshop news and reminders.
    pub workshop: Option<bool>,
    /// Check-in reminders.
    pub checkin_reminder: Option<bool>,
    /// 1 (Monday) to 7 (Sunday).
    pub checkin_reminder_weekday: Option<i32>,
    /// HH:MM, local.
    pub checkin_reminder_time: Option<String>,
    /// False: nobody can suggest an outreach to the viewer (askers are not told).
    pub outreach: Option<bool>,
    /// True: pushes about a group's workshops show their title.
    pub group_workshop_titles: Option<bool>,
    /// HH:MM; null turns quiet hours off (with the end).
    pub quiet_hours_start: MaybeUndefined<String>,
    /// HH:MM; null turns quiet hours off (with the start).
    pub quiet_hours_end: MaybeUndefined<String>,
}

fn change(value: MaybeUndefined<String>) -> Option<Option<String>> {
    match value {
        MaybeUndefined::Undefined => None,
        MaybeUndefined::Null => Some(None),
        MaybeUndefined::Value(value) => Some(Some(value)),
    }
}

/// An id the app uses to open the right screen.
#[derive(SimpleObject)]
pub struct NotificationDatum {
    /// The id's name (`groupId`, `postId`, `conversationId`…).
    pub name: String,
    /// The id.
    pub value: String,
}

/// Something that happened for the viewer; its texts are rendered when read, in the viewer's
/// language, naming people as they are now.
#[derive(SimpleObject)]
#[graphql(name = "Notification")]
pub struct NotificationView {
    /// The notification's id.
    pub id: ID,
    /// What it is about (each but SYSTEM can be turned off).
    pub category: NotificationCategory,
    /// Stable name of what happened (`WELCOME`, `GROUP_JOIN_REQUEST`…).
    pub kind: String,
    /// The title, in the viewer's language.
    pub title: String,
    /// The text, in the viewer's language.
    pub body: String,
    /// When it happened.
    pub created_at: DateTime,
    /// When the viewer read it; null while unread.
    pub read_at: Option<DateTime>,
    /// Ids the app needs to open the right screen (`groupId`, `postId`…).
    pub data: Vec<NotificationDatum>,
}

impl From<NotificationItem> for NotificationView {
    fn from(item: NotificationItem) -> Self {
        Self {
            id: item.row.id.into(),
            category: item.row.category,
            kind: item.row.kind,
            title: item.title,
            body: item.body,
            created_at: item.row.created_at.into(),
            read_at: item.row.read_at.map(DateTime::from),
            data: item
                .data
                .into_iter()
                .map(|(name, value)| NotificationDatum { name, value })
                .collect(),
        }
    }
}

crate::connection_type!(NotificationConnection, NotificationEdge, NotificationView);

#[derive(Default)]
pub struct NotificationsQuery;

#[Object]
impl NotificationsQuery {
    /// The viewer's notification preferences.
    async fn notification_preferences(&self, ctx: &Context<'_>) -> Result<PreferencesView> {
        Ok(service::preferences(ctx.db(), ctx.viewer()?).await?.into())
    }

    /// The viewer's notifications, newest first.
    #[graphql(complexity = "crate::graphql::page_cost(first, child_complexity)")]
    async fn notifications(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "True for unread ones only.")] unread_only: Option<bool>,
        #[graphql(
            desc = "How many items: default 20, at most 100 (BAD_USER_INPUT outside 1 to 100)."
        )]
        first: Option<i32>,
        #[graphql(desc = "The `endCursor` of the previous page; null for the first page.")]
        after: Option<String>,
    ) -> Result<NotificationConnection> {
        let viewer = ctx.viewer()?;
        let page = PageRequest::new(first, after.as_deref())?;
        let items = service::inbox(ctx.db(), viewer, unread_only.unwrap_or(false), page).await?;
        Ok(NotificationConnection::new(
            items,
            |item| item.row.id.to_string(),
            NotificationView::from,
        ))
    }

    /// How many of the viewer's notifications are unread.
    async fn unread_notification_count(&self, ctx: &Context<'_>) -> Result<i64> {
        Ok(service::unread_count(ctx.db(), ctx.viewer()?).await?)
    }

    /// The viewer's devices registered for push, most recently seen first.
    #[graphql(
        complexity = "crate::graphql::list_cost(super::model::MAX_DEVICES_PER_USER as usize, child_complexity)"
    )]
    async fn my_devices(&self, ctx: &Context<'_>) -> Result<Vec<DeviceView>> {
        let devices = service::devices(ctx.db(), ctx.viewer()?).await?;
        Ok(devices.into_iter().map(DeviceView::from).collect())
    }
}

#[derive(Default)]
pub struct NotificationsMutation;

#[Object]
impl NotificationsMutation {
    /// Registers this device's FCM token for push (or refreshes it; a token another account held
    /// moves to the viewer).
    async fn register_device(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The FCM registration token the app got from Firebase.")] token: String,
        #[graphql(desc = "The device's platform.")] platform: Platform,
    ) -> Result<DeviceView> {
        let viewer = ctx.viewer()?;
        let device = service::register_device(ctx.db(), viewer, token, platform).await?;
        // The session is now in use on this device; an app that sends no user agent is at least
        // known by its platform in the viewer's list of sessions.
        let label = ctx
            .data_opt::<UserAgent>()
            .map(|agent| agent.0.clone())
            .unwrap_or_else(|| platform.device_label().to_owned());
        sessions::session_used(ctx.db(), &viewer.session_id, Some(label)).await?;
        Ok(device.into())
    }

    /// Stops push to this token; false when the viewer has no device with it.
    async fn unregister_device(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "A token the viewer registered.")] token: String,
    ) -> Result<bool> {
        Ok(service::unregister_device(ctx.db(), ctx.viewer()?, token).await?)
    }

    /// Changes the viewer's notification preferences; absent fields stay as they are.
    async fn update_notification_preferences(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What changes.")] input: PreferencesInput,
    ) -> Result<PreferencesView> {
        let form = PreferencesForm {
            group_activity: input.group_activity,
            mentorship: input.mentorship,
            workshop: input.workshop,
            checkin_reminder: input.checkin_reminder,
            checkin_reminder_weekday: input.checkin_reminder_weekday,
            checkin_reminder_time: input.checkin_reminder_time,
            outreach: input.outreach,
            group_workshop_titles: input.group_workshop_titles,
            quiet_hours_start: change(input.quiet_hours_start),
            quiet_hours_end: change(input.quiet_hours_end),
        };
        Ok(service::update_preferences(ctx.db(), ctx.viewer()?, form)
            .await?
            .into())
    }

    /// Marks the viewer's notifications read; returns how many were unread (others' ids count 0).
    async fn mark_notifications_read(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "The viewer's notifications to mark read (others are ignored); at most 100."
        )]
        ids: Vec<ID>,
    ) -> Result<i32> {
        let ids = ids.into_iter().map(NotificationId::from).collect();
        let changed = service::mark_read(ctx.db(), ctx.viewer()?, ids).await?;
        Ok(i32::try_from(changed).unwrap_or(i32::MAX))
    }

    /// Marks all of the viewer's notifications read (the inbox's "mark all read"); returns how
    /// many were unread.
    async fn mark_all_notifications_read(&self, ctx: &Context<'_>) -> Result<i32> {
        let changed = service::mark_all_read(ctx.db(), ctx.viewer()?).await?;
        Ok(i32::try_from(changed).unwrap_or(i32::MAX))
    }

    /// Sends the viewer a test notification (and push to each device); returns how many devices.
    async fn send_test_notification(&self, ctx: &Context<'_>) -> Result<i32> {
        let devices = service::send_test(ctx.db(), ctx.viewer()?).await?;
        Ok(i32::try_from(devices).unwrap_or(i32::MAX))
    }
}

#[derive(Default)]
pub struct NotificationsSubscription;

#[Subscription]
impl NotificationsSubscription {
    /// The viewer's new in-app notifications.
    async fn notification_added(
        &self,
        ctx: &Context<'_>,
    ) -> Result<impl Stream<Item = Result<NotificationView>>> {
        let listener = Listener::start(ctx)?;
        let viewer = listener.viewer().user_id.clone();
        Ok(listener.stream(
            move |event| match event {
                Committed::NotificationAdded {
                    user_id: recipient,
                    notification_id,
                } if *recipient == viewer => Some(notification_id.clone()),
                _ => None,
            },
            |db, user_id, notification_id| async move {
                Ok(service::notification(&db, &user_id, &notification_id)
                    .await?
                    .map(NotificationView::from))
            },
        ))
    }
}
