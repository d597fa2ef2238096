//! Devices, preferences, the inbox, the service's transactional writes and the subscription.

use chrono::{Duration, Utc};
use diesel::prelude::*;
use futures_util::{SinkExt, StreamExt};
use relais::db::schema::{devices, notifications, push_outbox};
use relais::error::AppError;
use relais::i18n::{Message, NotificationText};
use relais::ids::UserId;
use relais::notifications::model::{Notice, NotificationCategory};
use relais::notifications::service as notifications_service;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message as WsMessage;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::helpers::{TestApp, error_code, error_field};

const REGISTER_DEVICE: &str = "mutation($token: String!, $platform: Platform!) {
    registerDevice(token: $token, platform: $platform) { id platform createdAt lastSeenAt } }";
const MY_DEVICES: &str = "{ myDevices { id platform } }";
const PREFERENCES: &str = "{ notificationPreferences { groupActivity mentorship workshop checkinReminder quietHoursStart quietHoursEnd } }";
const UPDATE_PREFERENCES: &str = "mutation($input: NotificationPreferencesInput!) {
    updateNotificationPreferences(input: $input) { groupActivity mentorship workshop checkinReminder quietHoursStart quietHoursEnd } }";
const INBOX: &str = "query($first: Int, $after: String, $unread: Boolean) {
    notifications(first: $first, after: $after, unreadOnly: $unread) {
        edges { cursor node { id category kind title body createdAt readAt data { name value } } }
        pageInfo { hasNextPage endCursor hasPreviousPage startCursor } }
    unreadNotificationCount }";

/// Writes `count` notifications to `user` through the service, as domain code does.
pub async fn notify_many(app: &TestApp, user: &str, count: usize, category: NotificationCategory) {
    let user = UserId::from_client(user);
    app.state
        .db
        .write(move |conn| {
            for index in 0..count {
                let notice = Notice::new(category, NotificationText::TestPush)
                    .with_data("index", index.to_string());
                notifications_service::notify(conn, &user, notice)?;
            }
            Ok(())
        })
        .await
        .unwrap();
}

async fn counts(app: &TestApp) -> (i64, i64) {
    app.state
        .db
        .run(|conn| {
            Ok((
                notifications::table.count().get_result::<i64>(conn)?,
                push_outbox::table.count().get_result::<i64>(conn)?,
            ))
        })
        .await
        .unwrap()
}

on_both_backends!(
    devices_register_refresh_move_and_unregister,
    an_account_keeps_its_twenty_latest_devices,
    preferences_default_update_and_validate,
    inbox_pages_marks_read_and_counts,
    notify_rolls_back_with_its_caller,
    preferences_gate_pushes_not_the_inbox,
    oversized_pushes_are_refused_when_written,
    scheduled_notifications_hide_until_due_and_cancel_by_key,
    notification_added_arrives_over_the_websocket,
);

async fn devices_register_refresh_move_and_unregister(app: TestApp) {
    let ana = app.register("ana@example.org").await;
    let bob = app.register("bob@example.org").await;
    let vars = json!({ "token": "fcm-token-A", "platform": "ANDROID" });
    let first = app
        .gql(Some(&ana.access_token), REGISTER_DEVICE, vars.clone())
        .await;
    let device = &first["data"]["registerDevice"];
    assert_eq!(device["platform"], "ANDROID");
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let again = app
        .gql(
            Some(&ana.access_token),
            REGISTER_DEVICE,
            json!({ "token": "fcm-token-A", "platform": "IOS" }),
        )
        .await;
    assert_eq!(
        again["data"]["registerDevice"]["id"], device["id"],
        "refreshed, not duplicated"
    );
    assert_eq!(again["data"]["registerDevice"]["platform"], "IOS");
    assert!(again["data"]["registerDevice"]["lastSeenAt"].as_str() > device["lastSeenAt"].as_str());

    // The phone changes hands.
    let moved = app
        .gql(Some(&bob.access_token), REGISTER_DEVICE, vars.clone())
        .await;
    assert_eq!(moved["data"]["registerDevice"]["platform"], "ANDROID");
    let ana_devices = app
        .gql(Some(&ana.access_token), MY_DEVICES, json!({}))
        .await;
    assert_eq!(ana_devices["data"]["myDevices"], json!([]));
    let bob_devices = app
        .gql(Some(&bob.access_token), MY_DEVICES, json!({}))
        .await;
    assert_eq!(
        bob_devices["data"]["myDevices"].as_array().unwrap().len(),
        1
    );

    // Only the holder may unregister it.
    let unregister = "mutation($token: String!) { unregisterDevice(token: $token) }";
    let by_ana = app
        .gql(
            Some(&ana.access_token),
            unregister,
            json!({ "token": "fcm-token-A" }),
        )
        .await;
    assert_eq!(by_ana["data"]["unregisterDevice"], json!(false));
    let by_bob = app
        .gql(
            Some(&bob.access_token),
            unregister,
            json!({ "token": "fcm-token-A" }),
        )
        .await;
    assert_eq!(by_bob["data"]["unregisterDevice"], json!(true));
    let bob_devices = app
        .gql(Some(&bob.access_token), MY_DEVICES, json!({}))
        .await;
    assert_eq!(bob_devices["data"]["myDevices"], json!([]));

    // Token length 1 to 4,096.
    for bad in [String::new(), "   ".to_owned(), "t".repeat(4097)] {
        let answer = app
            .gql(
                Some(&ana.access_token),
                REGISTER_DEVICE,
                json!({ "token": bad, "platform": "WEB" }),
            )
            .await;
        assert_eq!(error_code(&answer), "BAD_USER_INPUT");
        assert_eq!(error_field(&answer), "token");
    }
    let longest = app
        .gql(
            Some(&ana.access_token),
            REGISTER_DEVICE,
            json!({ "token": "t".repeat(4096), "platform": "WEB" }),
        )
        .await;
    assert_eq!(longest["data"]["registerDevice"]["platform"], "WEB");

    let anonymous = app.gql(None, REGISTER_DEVICE, vars).await;
    assert_eq!(error_code(&anonymous), "UNAUTHENTICATED");
    let anonymous = app.gql(None, MY_DEVICES, json!({})).await;
    assert_eq!(error_code(&anonymous), "UNAUTHENTICATED");
}

async fn an_account_keeps_its_twenty_latest_devices(app: TestApp) {
    let ana = app.register("ana@example.org").await;
    for index in 0..21 {
        let answer = app
            .gql(
                Some(&ana.access_token),
                REGISTER_DEVICE,
                json!({ "token": format!("token-{index:02}"), "platform": "ANDROID" }),
            )
            .await;
        assert!(answer["errors"].is_null(), "{answer}");
    }
    let tokens: Vec<String> = app
        .state
        .db
        .run(|conn| {
            Ok(devices::table
                .select(devices::token)
                .order(devices::token)
                .load(conn)?)
        })
        .await
        .unwrap();
    assert_eq!(tokens.len(), 20);
    assert!(!tokens.contains(&"token-00".to_owned()), "the oldest went");
    assert!(tokens.contains(&"token-20".to_owned()));
}

async fn preferences_default_update_and_validate(app: TestApp) {
    let ana = app.register("ana@example.org").await;
    let token = Some(ana.access_token.as_str());
    let defaults = app.gql(token, PREFERENCES, json!({})).await;
    assert_eq!(
        defaults["data"]["notificationPreferences"],
        json!({ "groupActivity": true, "mentorship": true, "workshop": true, "checkinReminder": true,
                "quietHoursStart": null, "quietHoursEnd": null })
    );
    let updated = app
        .gql(token, UPDATE_PREFERENCES, json!({ "input": { "mentorship": false, "quietHoursStart": "22:30", "quietHoursEnd": "07:00" } }))
        .await;
    assert_eq!(
        updated["data"]["updateNotificationPreferences"],
        json!({ "groupActivity": true, "mentorship": false, "workshop": true, "checkinReminder": true,
                "quietHoursStart": "22:30", "quietHoursEnd": "07:00" })
    );
    // Absent fields keep their value.
    let again = app
        .gql(
            token,
            UPDATE_PREFERENCES,
            json!({ "input": { "workshop": false } }),
        )
        .await;
    assert_eq!(
        again["data"]["updateNotificationPreferences"]["quietHoursStart"],
        "22:30"
    );
    assert_eq!(
        again["data"]["updateNotificationPreferences"]["mentorship"],
        false
    );

    let cases = [
        (json!({ "quietHoursStart": "25:00" }), "quietHoursStart"),
        (json!({ "quietHoursEnd": "7h" }), "quietHoursEnd"),
        (
            json!({ "quietHoursStart": "08:00", "quietHoursEnd": "08:00" }),
            "quietHoursEnd",
        ),
        (json!({ "quietHoursEnd": null }), "quietHoursEnd"),
        (json!({ "quietHoursStart": null }), "quietHoursStart"),
    ];
    for (input, field) in cases {
        let answer = app
            .gql(token, UPDATE_PREFERENCES, json!({ "input": input }))
            .await;
        assert_eq!(error_code(&answer), "BAD_USER_INPUT", "{input}");
        assert_eq!(error_field(&answer), field, "{input}");
    }
    let unchanged = app.gql(token, PREFERENCES, json!({})).await;
    assert_eq!(
        unchanged["data"]["notificationPreferences"]["quietHoursEnd"],
        "07:00"
    );

    let cleared = app
        .gql(
            token,
            UPDATE_PREFERENCES,
            json!({ "input": { "quietHoursStart": null, "quietHoursEnd": null } }),
        )
        .await;
    assert_eq!(
        cleared["data"]["updateNotificationPreferences"]["quietHoursStart"],
        json!(null)
    );

    let anonymous = app.gql(None, PREFERENCES, json!({})).await;
    assert_eq!(error_code(&anonymous), "UNAUTHENTICATED");
}

async fn inbox_pages_marks_read_and_counts(app: TestApp) {
    let ana = app.register("ana@example.org").await;
    let bob = app.register("bob@example.org").await;
    let token = Some(ana.access_token.as_str());

    let welcome = app.gql(token, INBOX, json!({})).await;
    let edges = welcome["data"]["notifications"]["edges"]
        .as_array()
        .unwrap();
    assert_eq!(edges.len(), 1);
    assert_eq!(edges[0]["node"]["kind"], "WELCOME");
    assert_eq!(edges[0]["node"]["category"], "SYSTEM");
    assert_eq!(edges[0]["node"]["title"], "Bienvenue sur Relais, ana");
    let english = app
        .register_with(
            json!({ "email": "en@example.org", "password": "a long enough password",
                               "displayName": "Jo", "profession": "NURSE", "locale": "en" }),
        )
        .await;
    let welcome = app.gql(Some(&english.access_token), INBOX, json!({})).await;
    let node = &welcome["data"]["notifications"]["edges"][0]["node"];
    assert_eq!(
        node["title"], "Welcome to Relais, Jo",
        "rendered in the recipient's locale"
    );
    // Her export too: database work keeps the request's language.
    let exported = app
        .gql(Some(&english.access_token), "{ exportMyData }", json!({}))
        .await;
    assert_eq!(
        exported["data"]["exportMyData"]["notifications"]["notifications"][0]["title"],
        "Welcome to Relais, Jo",
        "{exported}"
    );

    notify_many(&app, &ana.user_id, 24, NotificationCategory::System).await;
    let first = app.gql(token, INBOX, json!({})).await;
    let page = &first["data"]["notifications"];
    assert_eq!(page["edges"].as_array().unwrap().len(), 20);
    assert_eq!(page["pageInfo"]["hasNextPage"], true);
    assert_eq!(page["pageInfo"]["hasPreviousPage"], false);
    assert_eq!(page["pageInfo"]["startCursor"], page["edges"][0]["cursor"]);
    assert_eq!(first["data"]["unreadNotificationCount"], 25);
    // Newest first: the last one written leads.
    assert_eq!(
        page["edges"][0]["node"]["data"],
        json!([{ "name": "index", "value": "23" }])
    );
    let second = app
        .gql(
            token,
            INBOX,
            json!({ "after": page["pageInfo"]["endCursor"] }),
        )
        .await;
    let rest = &second["data"]["notifications"];
    assert_eq!(rest["edges"].as_array().unwrap().len(), 5);
    assert_eq!(rest["pageInfo"]["hasNextPage"], false);
    assert_eq!(rest["pageInfo"]["hasPreviousPage"], true);
    assert_eq!(rest["pageInfo"]["startCursor"], rest["edges"][0]["cursor"]);
    assert_eq!(rest["edges"][4]["node"]["kind"], "WELCOME");
    let mut seen: Vec<Value> = page["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|edge| edge["node"]["id"].clone())
        .collect();
    seen.extend(
        rest["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|edge| edge["node"]["id"].clone()),
    );
    seen.sort_by_key(|id| id.to_string());
    seen.dedup();
    assert_eq!(seen.len(), 25, "no item twice across pages");

    // Marking read: own ids only, each once.
    let ids: Vec<Value> = page["edges"].as_array().unwrap()[..3]
        .iter()
        .map(|edge| edge["node"]["id"].clone())
        .collect();
    let mark = "mutation($ids: [ID!]!) { markNotificationsRead(ids: $ids) }";
    let by_bob = app
        .gql(Some(&bob.access_token), mark, json!({ "ids": ids }))
        .await;
    assert_eq!(by_bob["data"]["markNotificationsRead"], 0);
    let by_ana = app.gql(token, mark, json!({ "ids": ids })).await;
    assert_eq!(by_ana["data"]["markNotificationsRead"], 3);
    let twice = app.gql(token, mark, json!({ "ids": ids })).await;
    assert_eq!(twice["data"]["markNotificationsRead"], 0);
    let unread = app
        .gql(token, INBOX, json!({ "unread": true, "first": 100 }))
        .await;
    assert_eq!(
        unread["data"]["notifications"]["edges"]
            .as_array()
            .unwrap()
            .len(),
        22
    );
    assert_eq!(unread["data"]["unreadNotificationCount"], 22);
    let read = app.gql(token, INBOX, json!({ "first": 1 })).await;
    assert!(
        read["data"]["notifications"]["edges"][0]["node"]["readAt"]
            .as_str()
            .unwrap()
            .ends_with('Z')
    );

    let too_many: Vec<String> = (0..101).map(|index| index.to_string()).collect();
    let answer = app.gql(token, mark, json!({ "ids": too_many })).await;
    assert_eq!(error_field(&answer), "ids");
    for (vars, field) in [
        (json!({ "first": 0 }), "first"),
        (json!({ "first": 101 }), "first"),
        (json!({ "after": "%%%not-a-cursor" }), "after"),
    ] {
        let answer = app.gql(token, INBOX, vars).await;
        assert_eq!(error_code(&answer), "BAD_USER_INPUT");
        assert_eq!(error_field(&answer), field);
    }
    let anonymous = app.gql(None, INBOX, json!({})).await;
    assert_eq!(error_code(&anonymous), "UNAUTHENTICATED");

    // "Mark all read": the 22 left, Bob's untouched, then nothing more.
    let all = "mutation { markAllNotificationsRead }";
    let bob_unread = "{ unreadNotificationCount }";
    let bob_before = app
        .gql(Some(&bob.access_token), bob_unread, json!({}))
        .await;
    let marked = app.gql(token, all, json!({})).await;
    assert_eq!(marked["data"]["markAllNotificationsRead"], 22, "{marked}");
    let after = app.gql(token, INBOX, json!({ "first": 1 })).await;
    assert_eq!(after["data"]["unreadNotificationCount"], 0);
    let again = app.gql(token, all, json!({})).await;
    assert_eq!(again["data"]["markAllNotificationsRead"], 0);
    let bob_after = app
        .gql(Some(&bob.access_token), bob_unread, json!({}))
        .await;
    assert_eq!(bob_after, bob_before);
}

async fn notify_rolls_back_with_its_caller(app: TestApp) {
    let ana = app.register("ana@example.org").await;
    app.gql(
        Some(&ana.access_token),
        REGISTER_DEVICE,
        json!({ "token": "phone", "platform": "ANDROID" }),
    )
    .await;
    let before = counts(&app).await;
    let user = UserId::from_client(ana.user_id.clone());
    let outcome = app
        .state
        .db
        .write(move |conn| {
            notifications_service::notify(
                conn,
                &user,
                Notice::new(NotificationCategory::System, NotificationText::TestPush),
            )?;
            Err::<(), _>(AppError::Conflict(Message::EmailTaken))
        })
        .await;
    assert!(matches!(outcome, Err(AppError::Conflict(_))));
    assert_eq!(counts(&app).await, before, "nothing left behind");
}

async fn preferences_gate_pushes_not_the_inbox(app: TestApp) {
    let ana = app.register("ana@example.org").await;
    let token = Some(ana.access_token.as_str());
    app.gql(
        token,
        REGISTER_DEVICE,
        json!({ "token": "phone", "platform": "ANDROID" }),
    )
    .await;
    app.gql(token, UPDATE_PREFERENCES, json!({ "input": { "groupActivity": false, "mentorship": false, "workshop": false, "checkinReminder": false } }))
        .await;
    let before = counts(&app).await;
    notify_many(&app, &ana.user_id, 1, NotificationCategory::GroupActivity).await;
    assert_eq!(
        counts(&app).await,
        (before.0 + 1, before.1),
        "in the inbox, not pushed"
    );
    notify_many(&app, &ana.user_id, 1, NotificationCategory::System).await;
    assert_eq!(
        counts(&app).await,
        (before.0 + 2, before.1 + 1),
        "SYSTEM cannot be turned off"
    );
}

async fn oversized_pushes_are_refused_when_written(app: TestApp) {
    let ana = app.register("ana@example.org").await;
    let before = counts(&app).await;
    let user = UserId::from_client(ana.user_id.clone());
    let outcome = app
        .state
        .db
        .write(move |conn| {
            let notice = Notice::new(NotificationCategory::System, NotificationText::TestPush)
                .with_data("blob", "x".repeat(4_000));
            notifications_service::notify(conn, &user, notice)
        })
        .await;
    assert!(matches!(outcome, Err(AppError::Internal(_))));
    assert_eq!(counts(&app).await, before);
}

async fn scheduled_notifications_hide_until_due_and_cancel_by_key(app: TestApp) {
    let ana = app.register("ana@example.org").await;
    let token = Some(ana.access_token.as_str());
    app.gql(
        token,
        REGISTER_DEVICE,
        json!({ "token": "phone", "platform": "IOS" }),
    )
    .await;
    let user = UserId::from_client(ana.user_id.clone());
    let in_an_hour = Utc::now() + Duration::hours(1);
    app.state
        .db
        .write(move |conn| {
            for key in ["workshop:w1:reminder:1h", "workshop:w2:reminder:1h"] {
                let notice =
                    Notice::new(NotificationCategory::Workshop, NotificationText::TestPush)
                        .scheduled(in_an_hour, key);
                notifications_service::notify(conn, &user, notice)?;
            }
            Ok(())
        })
        .await
        .unwrap();
    let inbox = app.gql(token, INBOX, json!({})).await;
    assert_eq!(
        inbox["data"]["unreadNotificationCount"], 1,
        "only the welcome is visible yet"
    );

    let cancelled = app
        .state
        .db
        .write(|conn| notifications_service::cancel_scheduled(conn, "workshop:w1:reminder:1h"))
        .await
        .unwrap();
    assert_eq!(cancelled, 1);
    let remaining: Vec<Option<String>> = app
        .state
        .db
        .run(|conn| {
            Ok(push_outbox::table
                .select(push_outbox::schedule_key)
                .load(conn)?)
        })
        .await
        .unwrap();
    assert_eq!(remaining, [Some("workshop:w2:reminder:1h".to_owned())]);
}

async fn notification_added_arrives_over_the_websocket(app: TestApp) {
    let ana = app.register("ana@example.org").await;
    let url = format!("{}/graphql/ws", app.base_url.replace("http://", "ws://"));
    let mut request = url.clone().into_client_request().unwrap();
    request.headers_mut().insert(
        "sec-websocket-protocol",
        "graphql-transport-ws".parse().unwrap(),
    );
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    let send = |value: Value| WsMessage::text(value.to_string());
    socket
        .send(send(json!({ "type": "connection_init", "payload": { "authorization": format!("Bearer {}", ana.access_token) } })))
        .await
        .unwrap();
    let ack: Value =
        serde_json::from_str(socket.next().await.unwrap().unwrap().to_text().unwrap()).unwrap();
    assert_eq!(ack["type"], "connection_ack");
    socket
        .send(send(json!({ "id": "1", "type": "subscribe", "payload": { "query": "subscription { notificationAdded { kind title category } }" } })))
        .await
        .unwrap();

    // The subscription starts asynchronously: keep notifying until one arrives.
    let received = loop {
        app.gql(
            Some(&ana.access_token),
            "mutation { sendTestNotification }",
            json!({}),
        )
        .await;
        match tokio::time::timeout(std::time::Duration::from_millis(500), socket.next()).await {
            Ok(Some(Ok(frame))) => {
                break serde_json::from_str::<Value>(frame.to_text().unwrap()).unwrap();
            }
            Ok(other) => panic!("socket ended: {other:?}"),
            Err(_) => continue,
        }
    };
    assert_eq!(received["type"], "next");
    assert_eq!(
        received["payload"]["data"]["notificationAdded"],
        json!({ "kind": "TEST_PUSH", "title": "Notification de test", "category": "SYSTEM" })
    );

    // Without a token the subscription is refused.
    let mut request = url.into_client_request().unwrap();
    request.headers_mut().insert(
        "sec-websocket-protocol",
        "graphql-transport-ws".parse().unwrap(),
    );
    let (mut anonymous, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    anonymous
        .send(send(json!({ "type": "connection_init" })))
        .await
        .unwrap();
    anonymous.next().await.unwrap().unwrap();
    anonymous
        .send(send(json!({ "id": "1", "type": "subscribe", "payload": { "query": "subscription { notificationAdded { kind } }" } })))
        .await
        .unwrap();
    let refused: Value =
        serde_json::from_str(anonymous.next().await.unwrap().unwrap().to_text().unwrap()).unwrap();
    assert_eq!(refused["payload"]["data"], json!(null), "{refused}");
    assert_eq!(
        refused["payload"]["errors"][0]["extensions"]["code"],
        "UNAUTHENTICATED"
    );
}
