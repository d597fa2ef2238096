//! Push delivery end to end: the dispatcher against the fake FCM server, each outcome.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{NaiveDateTime, Utc};
use diesel::prelude::*;
use relais::config::{Environment, PushConfig};
use relais::db::schema::push_outbox;
use relais::i18n::NotificationText;
use relais::ids::UserId;
use relais::notifications::dispatcher::{Dispatcher, PushSender};
use relais::notifications::model::{Notice, NotificationCategory, PushStatus};
use relais::notifications::service as notifications_service;
use serde_json::{Value, json};

use crate::fake_fcm::{FakeFcm, Reply};
use crate::helpers::{Backend, Session, TestApp, eventually, push_config_for, spawn_app_with};

/// A push row as the tests look at it.
#[derive(Debug, Clone, Queryable)]
pub(crate) struct PushRow {
    status: PushStatus,
    attempts: i32,
    last_error: Option<String>,
    fcm_message_name: Option<String>,
    claimed_by: Option<String>,
    not_before: NaiveDateTime,
}

async fn pushes(app: &TestApp) -> Vec<PushRow> {
    app.state
        .db
        .run(|conn| {
            Ok(push_outbox::table
                .order(push_outbox::id)
                .select((
                    push_outbox::status,
                    push_outbox::attempts,
                    push_outbox::last_error,
                    push_outbox::fcm_message_name,
                    push_outbox::claimed_by,
                    push_outbox::not_before,
                ))
                .load(conn)?)
        })
        .await
        .unwrap()
}

/// Waits until every push has ended, and returns them.
pub(crate) async fn settled(app: &TestApp) -> Vec<PushRow> {
    eventually(20, || async {
        let rows = pushes(app).await;
        (!rows.is_empty() && rows.iter().all(|row| row.status != PushStatus::Pending))
            .then_some(rows)
    })
    .await
}

/// An app pushing to a fresh fake FCM, and a signed-in user with one Android device.
pub(crate) async fn app_with_fcm(
    backend: Backend,
    tune: impl FnOnce(&mut PushConfig),
) -> Option<(TestApp, FakeFcm, Session)> {
    let fcm = FakeFcm::start().await;
    let mut config = push_config_for(&fcm);
    tune(&mut config);
    let app = spawn_app_with(backend, Environment::Development, config).await?;
    let user = app.register("ana@example.org").await;
    let answer = app
        .gql(
            Some(&user.access_token),
            "mutation { registerDevice(token: \"device-token-1\", platform: ANDROID) { id } }",
            json!({}),
        )
        .await;
    assert!(answer["errors"].is_null(), "{answer}");
    Some((app, fcm, user))
}

/// How many messages the fake FCM accepted, and for how many distinct notifications.
pub(crate) fn delivered_notifications(fcm: &FakeFcm) -> (usize, usize) {
    let mut ids: Vec<String> = fcm
        .delivered()
        .iter()
        .map(|message| {
            message["message"]["data"]["notificationId"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    let accepted = ids.len();
    ids.sort();
    ids.dedup();
    (accepted, ids.len())
}

/// Queues `count` numbered test notifications for `user`, in one transaction.
pub(crate) async fn notify_many(app: &TestApp, user: &Session, count: usize) {
    let user_id = UserId::from_client(user.user_id.clone());
    app.state
        .db
        .write(move |conn| {
            for index in 0..count {
                let notice = Notice::new(NotificationCategory::System, NotificationText::TestPush)
                    .with_data("index", index.to_string());
                notifications_service::notify(conn, &user_id, notice)?;
            }
            Ok(())
        })
        .await
        .unwrap();
}

pub(crate) async fn send_test(app: &TestApp, user: &Session) {
    let answer = app
        .gql(
            Some(&user.access_token),
            "mutation { sendTestNotification }",
            json!({}),
        )
        .await;
    assert_eq!(answer["data"]["sendTestNotification"], 1, "{answer}");
}

async fn device_count(app: &TestApp, user: &Session) -> usize {
    let answer = app
        .gql(Some(&user.access_token), "{ myDevices { id } }", json!({}))
        .await;
    answer["data"]["myDevices"].as_array().unwrap().len()
}

/// Declares, for each body `name(backend)`, a test per backend (these bodies set up their own app).
macro_rules! per_backend {
    ($($name:ident),+ $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name(crate::helpers::Backend::Sqlite).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if std::env::var("TEST_POSTGRES_URL").is_ok_and(|url| !url.is_empty()) {
                    super::$name(crate::helpers::Backend::Postgres).await;
                }
            }
        }
    )+};
}

per_backend!(
    sends_an_fcm_v1_message_with_a_cached_token,
    the_access_token_is_renewed_before_it_expires,
    sensitive_categories_push_a_neutral_line,
    unregistered_or_invalid_tokens_drop_the_device,
    a_rejected_message_fails_and_keeps_the_device,
    unauthorized_renews_the_access_token_once,
    too_many_requests_honours_retry_after,
    server_errors_and_hangs_spend_no_attempt,
    retries_stop_after_the_configured_attempts,
    an_fcm_outage_holds_the_outbox_and_it_drains_after,
    quiet_hours_hold_the_push_until_they_end,
    cancelled_scheduled_pushes_are_never_sent,
    a_dead_workers_claims_are_taken_again_after_the_lease,
    shutdown_gives_claims_back,
    without_a_service_account_pushes_go_to_the_log,
    two_workers_never_send_the_same_push,
    an_endless_retry_after_is_held_to_the_retry_cap,
    a_slow_fcm_never_gets_a_push_twice_from_two_workers,
);

async fn sends_an_fcm_v1_message_with_a_cached_token(backend: Backend) {
    let Some((app, fcm, user)) = app_with_fcm(backend, |_| {}).await else {
        return;
    };
    send_test(&app, &user).await;
    let rows = settled(&app).await;
    assert_eq!(rows[0].status, PushStatus::Sent);
    assert_eq!(rows[0].attempts, 1);
    assert!(
        rows[0]
            .fcm_message_name
            .as_deref()
            .unwrap()
            .starts_with("projects/relais-test/messages/")
    );

    let delivered = fcm.delivered();
    assert_eq!(delivered.len(), 1);
    let message = &delivered[0]["message"];
    assert_eq!(message["token"], "device-token-1");
    assert_eq!(
        message["notification"],
        json!({ "title": "Notification de test", "body": "Les notifications arrivent bien sur cet appareil." })
    );
    assert_eq!(message["data"]["category"], "SYSTEM");
    assert_eq!(message["data"]["kind"], "TEST_PUSH");
    assert!(message["data"]["notificationId"].is_string());
    assert_eq!(message["android"]["priority"], "high");
    assert_eq!(message["apns"]["headers"]["apns-priority"], "10");
    // The channel of its category; the badge counts the unread notifications, this one included.
    assert_eq!(message["android"]["notification"]["channel_id"], "system");
    let unread = app
        .gql(
            Some(&user.access_token),
            "{ unreadNotificationCount }",
            json!({}),
        )
        .await["data"]["unreadNotificationCount"]
        .clone();
    assert!(unread.as_i64().unwrap() >= 1, "{unread}");
    assert_eq!(message["apns"]["payload"]["aps"]["badge"], unread);
    assert_eq!(fcm.malformed(), 0);
    assert_eq!(fcm.token_refusals(), 0);

    send_test(&app, &user).await;
    // Recorded as sent, not only received by FCM, before the metrics are read.
    let rows = settled(&app).await;
    assert_eq!(rows.len(), 2);
    assert_eq!(fcm.delivered().len(), 2);
    assert_eq!(
        fcm.tokens_issued(),
        1,
        "one access token serves every send until it nears expiry"
    );

    let metrics = app
        .http
        .get(format!("{}/metrics", app.base_url))
        .bearer_auth(crate::helpers::TEST_METRICS_TOKEN)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("relais_push_outbox{status=\"SENT\"} 2"),
        "{metrics}"
    );
    assert!(
        metrics.contains("relais_push_outbox_lag_seconds 0"),
        "{metrics}"
    );
    assert!(metrics.contains("relais_db_statements_total "), "{metrics}");
}

async fn the_access_token_is_renewed_before_it_expires(backend: Backend) {
    let Some((app, fcm, user)) = app_with_fcm(backend, |_| {}).await else {
        return;
    };
    fcm.set_token_lifetime_secs(2);
    send_test(&app, &user).await;
    eventually(10, || async { (fcm.delivered().len() == 1).then_some(()) }).await;
    tokio::time::sleep(std::time::Duration::from_millis(1_200)).await;
    send_test(&app, &user).await;
    eventually(10, || async { (fcm.delivered().len() == 2).then_some(()) }).await;
    assert_eq!(
        fcm.tokens_issued(),
        2,
        "renewed ahead of expiry, not after a 401"
    );
    assert_eq!(fcm.sends(), 2, "no send was refused");
}

async fn sensitive_categories_push_a_neutral_line(backend: Backend) {
    let Some((app, fcm, user)) = app_with_fcm(backend, |_| {}).await else {
        return;
    };
    let user_id = UserId::from_client(user.user_id.clone());
    app.state
        .db
        .write(move |conn| {
            let notice = Notice::new(
                NotificationCategory::GroupActivity,
                NotificationText::GroupJoinRequest {
                    group: "a private name".into(),
                },
            )
            .with_data("groupId", "group-42");
            notifications_service::notify(conn, &user_id, notice)?;
            Ok(())
        })
        .await
        .unwrap();
    settled(&app).await;
    let message = &fcm.delivered()[0]["message"];
    assert_eq!(
        message["notification"],
        json!({ "title": "Relais", "body": "Vous avez une nouvelle notification." })
    );
    // Nothing names the subject: the notification's id alone, the discreet channel, and a
    // thread that stacks the group's pushes under a digest of it.
    let keys: Vec<&String> = message["data"].as_object().unwrap().keys().collect();
    assert_eq!(keys, ["notificationId"], "{message}");
    assert_eq!(message["android"]["notification"]["channel_id"], "discreet");
    let thread = message["apns"]["payload"]["aps"]["thread-id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(thread.len(), 64, "{message}");
    assert_eq!(message["android"]["notification"]["tag"], thread.as_str());
    for hidden in ["a private name", "group-42", "GROUP_ACTIVITY", "GROUP_JOIN"] {
        assert!(!message.to_string().contains(hidden), "{hidden}: {message}");
    }

    // A support request's push says nothing of support either.
    let user_id = UserId::from_client(user.user_id.clone());
    app.state
        .db
        .write(move |conn| {
            let notice = Notice::new(
                NotificationCategory::PeerSupport,
                NotificationText::SupportRequested,
            )
            .with_data("supportRequestId", "request-7");
            notifications_service::notify(conn, &user_id, notice)?;
            Ok(())
        })
        .await
        .unwrap();
    settled(&app).await;
    let message = fcm.delivered()[1]["message"].to_string();
    for hidden in ["SUPPORT", "support", "request-7", "PEER", "peer_support"] {
        assert!(!message.contains(hidden), "{hidden}: {message}");
    }

    // A group workshop's reminder hides its title unless the person allows it.
    let reminder = |allowed: bool| {
        let (app, user_id) = (&app, UserId::from_client(user.user_id.clone()));
        let token = user.access_token.clone();
        async move {
            app.gql(
                Some(&token),
                "mutation($on: Boolean) { updateNotificationPreferences(input: { groupWorkshopTitles: $on }) { groupWorkshopTitles } }",
                json!({ "on": allowed }),
            )
            .await;
            app.state
                .db
                .write(move |conn| {
                    let notice = Notice::new(
                        NotificationCategory::Workshop,
                        NotificationText::WorkshopSeat {
                            title: "Groupe de parole addictions".into(),
                        },
                    )
                    .with_data("workshopId", "workshop-1")
                    .with_data("groupId", "group-1");
                    notifications_service::notify(conn, &user_id, notice)?;
                    Ok(())
                })
                .await
                .unwrap();
            settled(app).await;
        }
    };
    reminder(false).await;
    let hidden = fcm.delivered()[2]["message"].to_string();
    assert!(
        !hidden.contains("addictions") && !hidden.contains("group-1"),
        "{hidden}"
    );
    reminder(true).await;
    let shown = &fcm.delivered()[3]["message"];
    assert!(shown.to_string().contains("addictions"), "{shown}");
    // Shown, it goes to its category's channel and stacks under its group.
    assert_eq!(shown["android"]["notification"]["channel_id"], "workshop");
    assert_eq!(
        shown["apns"]["payload"]["aps"]["thread-id"],
        "group:group-1"
    );
    assert_eq!(shown["android"]["notification"]["tag"], "group:group-1");
}

async fn unregistered_or_invalid_tokens_drop_the_device(backend: Backend) {
    for reply in [Reply::Unregistered404, Reply::InvalidToken400] {
        let Some((app, fcm, user)) = app_with_fcm(backend, |_| {}).await else {
            return;
        };
        fcm.script(&[reply]);
        send_test(&app, &user).await;
        let rows = settled(&app).await;
        assert_eq!(rows[0].status, PushStatus::Dropped, "{reply:?}");
        assert!(rows[0].last_error.is_some());
        assert_eq!(
            device_count(&app, &user).await,
            0,
            "{reply:?}: the device is forgotten"
        );
    }
}

async fn a_rejected_message_fails_and_keeps_the_device(backend: Backend) {
    let Some((app, fcm, user)) = app_with_fcm(backend, |_| {}).await else {
        return;
    };
    fcm.script(&[Reply::InvalidMessage400]);
    send_test(&app, &user).await;
    let rows = settled(&app).await;
    assert_eq!(rows[0].status, PushStatus::Failed);
    assert!(rows[0].last_error.as_deref().unwrap().contains("400"));
    assert_eq!(fcm.sends(), 1, "no retry for a message FCM refuses");
    assert_eq!(device_count(&app, &user).await, 1);
}

async fn unauthorized_renews_the_access_token_once(backend: Backend) {
    let Some((app, fcm, user)) = app_with_fcm(backend, |_| {}).await else {
        return;
    };
    fcm.script(&[Reply::Unauthorized401]);
    send_test(&app, &user).await;
    let rows = settled(&app).await;
    assert_eq!(rows[0].status, PushStatus::Sent);
    assert_eq!(rows[0].attempts, 1, "renewal happens within the attempt");
    assert_eq!(fcm.tokens_issued(), 2);

    // Google forgets the token: the next send renews it too.
    fcm.revoke_access_tokens();
    send_test(&app, &user).await;
    eventually(10, || async { (fcm.delivered().len() == 2).then_some(()) }).await;
    assert_eq!(fcm.tokens_issued(), 3);
}

async fn too_many_requests_honours_retry_after(backend: Backend) {
    // A cap above the Retry-After, so that the wait is FCM's.
    let Some((app, fcm, user)) =
        app_with_fcm(backend, |config| config.retry_cap = Duration::from_secs(5)).await
    else {
        return;
    };
    fcm.script(&[Reply::TooMany429 {
        retry_after_secs: 2,
    }]);
    let started = Instant::now();
    send_test(&app, &user).await;
    let rows = settled(&app).await;
    assert_eq!(rows[0].status, PushStatus::Sent);
    assert_eq!(rows[0].attempts, 2);
    assert!(
        started.elapsed().as_millis() >= 1_900,
        "waited for Retry-After, not the 100 ms backoff"
    );
}

async fn server_errors_and_hangs_spend_no_attempt(backend: Backend) {
    let Some((app, fcm, user)) = app_with_fcm(backend, |_| {}).await else {
        return;
    };
    // More failures than `max_attempts` (4): FCM failing as a whole is not the message's fault.
    fcm.script(&[
        Reply::Internal500,
        Reply::Unavailable503,
        Reply::Hang,
        Reply::Unavailable503,
        Reply::Internal500,
    ]);
    send_test(&app, &user).await;
    let rows = settled(&app).await;
    assert_eq!(rows[0].status, PushStatus::Sent);
    assert_eq!(rows[0].attempts, 1);
    assert_eq!(rows[0].last_error, None);
    assert_eq!(fcm.sends(), 6);
    assert_eq!(fcm.delivered().len(), 1);
}

async fn retries_stop_after_the_configured_attempts(backend: Backend) {
    let Some((app, fcm, user)) = app_with_fcm(backend, |_| {}).await else {
        return;
    };
    // A rate limit is about the message's target, so each one spends an attempt.
    fcm.script(
        &[Reply::TooMany429 {
            retry_after_secs: 0,
        }; 4],
    );
    send_test(&app, &user).await;
    let rows = settled(&app).await;
    assert_eq!(rows[0].status, PushStatus::Failed);
    assert_eq!(rows[0].attempts, 4);
    assert!(rows[0].last_error.as_deref().unwrap().contains("429"));
    assert_eq!(fcm.sends(), 4);
    assert_eq!(device_count(&app, &user).await, 1);
}

async fn an_fcm_outage_holds_the_outbox_and_it_drains_after(backend: Backend) {
    // Four sends at a time, so that the first round fails on four pushes, not on all thirty.
    let Some((app, fcm, user)) = app_with_fcm(backend, |config| config.concurrency = 4).await
    else {
        return;
    };
    fcm.reply_by_default(Reply::Unavailable503);
    notify_many(&app, &user, 30).await;
    // Down for three seconds: seven or more pauses of at most 400 ms.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let during = pushes(&app).await;
    assert_eq!(during.len(), 30);
    assert!(
        during
            .iter()
            .all(|row| row.status == PushStatus::Pending && row.attempts == 0),
        "nothing ends or spends an attempt while FCM is down: {during:?}"
    );
    let probes = fcm.sends();
    assert!(
        (5..30).contains(&probes),
        "a first round of four, then one probe per pause; never each push in turn: {probes} sends"
    );
    let metrics = app.metrics().await;
    assert!(
        metrics.contains("relais_push_outbox{status=\"PENDING\"} 30"),
        "{metrics}"
    );

    fcm.reply_by_default(Reply::Ok);
    let rows = settled(&app).await;
    assert!(
        rows.iter()
            .all(|row| row.status == PushStatus::Sent && row.attempts == 1),
        "{rows:?}"
    );
    assert_eq!(delivered_notifications(&fcm), (30, 30), "each sent once");
}

async fn quiet_hours_hold_the_push_until_they_end(backend: Backend) {
    let Some((app, fcm, user)) = app_with_fcm(backend, |_| {}).await else {
        return;
    };
    // Quiet from an hour ago to an hour from now, in the user's zone (Europe/Paris).
    let local = Utc::now().with_timezone(&chrono_tz::Europe::Paris);
    let start = (local - chrono::Duration::hours(1))
        .format("%H:%M")
        .to_string();
    let end = (local + chrono::Duration::hours(1))
        .format("%H:%M")
        .to_string();
    let answer = app
        .gql(
            Some(&user.access_token),
            "mutation($start: String!, $end: String!) { updateNotificationPreferences(input: { quietHoursStart: $start, quietHoursEnd: $end }) { quietHoursEnd } }",
            json!({ "start": start, "end": end }),
        )
        .await;
    assert!(answer["errors"].is_null(), "{answer}");
    send_test(&app, &user).await;
    let held = eventually(10, || async {
        let rows = pushes(&app).await;
        rows.first()
            .filter(|row| row.claimed_by.is_none() && row.not_before > Utc::now().naive_utc())
            .cloned()
    })
    .await;
    assert_eq!(held.status, PushStatus::Pending);
    assert_eq!(held.attempts, 0);
    let wait = held.not_before - Utc::now().naive_utc();
    assert!(
        wait > chrono::Duration::minutes(55) && wait <= chrono::Duration::minutes(61),
        "{wait}"
    );
    assert_eq!(fcm.sends(), 0);

    // Quiet hours end (turned off here) and the push is due: it goes.
    app.gql(
        Some(&user.access_token),
        "mutation { updateNotificationPreferences(input: { quietHoursStart: null, quietHoursEnd: null }) { quietHoursEnd } }",
        json!({}),
    )
    .await;
    let now = Utc::now().naive_utc();
    app.state
        .db
        .run(move |conn| {
            Ok(diesel::update(push_outbox::table)
                .set(push_outbox::not_before.eq(now))
                .execute(conn)?)
        })
        .await
        .unwrap();
    assert_eq!(settled(&app).await[0].status, PushStatus::Sent);
}

async fn cancelled_scheduled_pushes_are_never_sent(backend: Backend) {
    let Some((app, fcm, user)) = app_with_fcm(backend, |_| {}).await else {
        return;
    };
    let user_id = UserId::from_client(user.user_id.clone());
    let soon = Utc::now() + chrono::Duration::milliseconds(800);
    app.state
        .db
        .write(move |conn| {
            for key in ["reminder:kept", "reminder:cancelled"] {
                let notice =
                    Notice::new(NotificationCategory::Workshop, NotificationText::TestPush)
                        .scheduled(soon, key);
                notifications_service::notify(conn, &user_id, notice)?;
            }
            notifications_service::cancel_scheduled(conn, "reminder:cancelled")?;
            Ok(())
        })
        .await
        .unwrap();
    let rows = settled(&app).await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].status, PushStatus::Sent);
    let delivered = fcm.delivered();
    assert_eq!(delivered.len(), 1);
    assert_eq!(
        delivered[0]["message"]["android"]["collapse_key"],
        "reminder:kept"
    );
    assert_eq!(
        delivered[0]["message"]["apns"]["headers"]["apns-collapse-id"],
        "reminder:kept"
    );
    assert_eq!(delivered[0]["message"]["android"]["priority"], "normal");
}

async fn a_dead_workers_claims_are_taken_again_after_the_lease(backend: Backend) {
    let Some((app, fcm, user)) = app_with_fcm(backend, |config| {
        config.workers = 0;
        config.timeout = std::time::Duration::from_secs(1);
        config.lease = std::time::Duration::from_secs(3);
    })
    .await
    else {
        return;
    };
    let config = Arc::new(app.state.config.push.clone());
    fcm.script(&[Reply::Hang]);
    send_test(&app, &user).await;
    let (_stop, stopped) = tokio::sync::watch::channel(false);
    let doomed = tokio::spawn(
        Dispatcher::new(app.state.db.clone(), app.state.push.clone(), config.clone())
            .run(stopped.clone()),
    );
    eventually(10, || async { (fcm.sends() == 1).then_some(()) }).await;
    doomed.abort(); // the process dies mid-send
    let _ = doomed.await;
    let claimed = pushes(&app).await;
    assert!(claimed[0].claimed_by.is_some() && claimed[0].status == PushStatus::Pending);

    let started = Instant::now();
    let survivor = tokio::spawn(
        Dispatcher::new(app.state.db.clone(), app.state.push.clone(), config).run(stopped),
    );
    let rows = settled(&app).await;
    survivor.abort();
    assert_eq!(rows[0].status, PushStatus::Sent);
    assert_eq!(fcm.delivered().len(), 1);
    assert!(
        started.elapsed().as_millis() >= 500,
        "taken only once the lease ran out"
    );
}

async fn shutdown_gives_claims_back(backend: Backend) {
    let Some((mut app, fcm, user)) = app_with_fcm(backend, |_| {}).await else {
        return;
    };
    fcm.script(&[Reply::Hang]);
    send_test(&app, &user).await;
    eventually(10, || async { (fcm.sends() == 1).then_some(()) }).await;
    app.stop_background().await;
    let rows = pushes(&app).await;
    assert_eq!(
        rows[0].status,
        PushStatus::Pending,
        "the timed-out send is retried later"
    );
    assert_eq!(rows[0].claimed_by, None, "no claim is left behind");
    assert_eq!(
        rows[0].attempts, 0,
        "a send that timed out spends no attempt"
    );
}

async fn without_a_service_account_pushes_go_to_the_log(backend: Backend) {
    let config = PushConfig {
        workers: 1,
        poll_interval: std::time::Duration::from_millis(50),
        ..PushConfig::DEFAULT
    };
    let Some(app) = spawn_app_with(backend, Environment::Development, config).await else {
        return;
    };
    assert!(matches!(app.state.push, PushSender::Log));
    let user = app.register("ana@example.org").await;
    app.gql(
        Some(&user.access_token),
        "mutation { registerDevice(token: \"t\", platform: IOS) { id } }",
        json!({}),
    )
    .await;
    send_test(&app, &user).await;
    let rows = settled(&app).await;
    assert_eq!(rows[0].status, PushStatus::Sent);
    assert!(
        rows[0]
            .fcm_message_name
            .as_deref()
            .unwrap()
            .starts_with("log/")
    );
}

async fn two_workers_never_send_the_same_push(backend: Backend) {
    let Some((app, fcm, user)) = app_with_fcm(backend, |config| {
        config.workers = 2;
        config.batch_size = 10;
    })
    .await
    else {
        return;
    };
    notify_many(&app, &user, 200).await;
    let rows = settled(&app).await;
    assert_eq!(rows.len(), 200);
    assert!(
        rows.iter()
            .all(|row| row.status == PushStatus::Sent && row.attempts == 1)
    );
    assert_eq!(fcm.sends(), 200, "no push was sent twice");
    assert_eq!(delivered_notifications(&fcm), (200, 200));
}

async fn an_endless_retry_after_is_held_to_the_retry_cap(backend: Backend) {
    let Some((app, fcm, user)) = app_with_fcm(backend, |_| {}).await else {
        return;
    };
    fcm.script(&[Reply::TooMany429 {
        retry_after_secs: u64::MAX,
    }]);
    send_test(&app, &user).await;
    // Retried after the 400 ms cap, by a dispatcher that did not die.
    let rows = settled(&app).await;
    assert_eq!((rows[0].status, rows[0].attempts), (PushStatus::Sent, 2));
    let health: Value = app
        .http
        .get(format!("{}/health", app.base_url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        health,
        json!({ "status": "ok", "database": app.state.db.backend().name(),
                "dispatchers": { "expected": 1, "running": 1, "restarts": 0 } })
    );
}

async fn a_slow_fcm_never_gets_a_push_twice_from_two_workers(backend: Backend) {
    // Each send takes 300 ms, two at a time, within a 6 s lease: a claim of sixty would still be
    // sending when its lease ran out and the other worker took the rest. The 2 s timeout leaves
    // a loaded machine room, so that no send times out and is rightly retried.
    let Some((app, fcm, user)) = app_with_fcm(backend, |config| {
        config.workers = 2;
        config.concurrency = 2;
        config.timeout = Duration::from_secs(2);
        config.lease = Duration::from_secs(6);
    })
    .await
    else {
        return;
    };
    fcm.reply_by_default(Reply::SlowOk { millis: 300 });
    notify_many(&app, &user, 60).await;
    let rows = eventually(40, || async {
        let rows = pushes(&app).await;
        rows.iter()
            .all(|row| row.status != PushStatus::Pending)
            .then_some(rows)
    })
    .await;
    assert!(
        rows.iter().all(|row| row.status == PushStatus::Sent),
        "{rows:?}"
    );
    assert_eq!(
        delivered_notifications(&fcm),
        (60, 60),
        "no device got a push twice"
    );
}
