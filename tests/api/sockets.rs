//! `/graphql/ws` follows the session and stays in bounds.

use std::time::Duration;

use diesel::prelude::*;
use futures_util::{SinkExt, StreamExt};
use relais::db::schema::{session_tokens, sessions};
use relais::i18n::NotificationText;
use relais::ids::UserId;
use relais::notifications::model::{Notice, NotificationCategory};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message as WsMessage;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::groups::{create_group, group_input};
use crate::helpers::{Session, TestApp};

on_both_backends!(
    sockets_close_when_their_session_ends,
    a_socket_closes_when_its_access_token_expires,
    sockets_refuse_duplicate_ids_and_too_many_subscriptions,
    a_socket_that_never_initialises_is_closed,
    a_subscriber_that_falls_behind_is_told_so,
    socket_errors_speak_the_viewers_language,
    new_messages_reach_the_conversations_two_people_only,
);

pub(crate) type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// What the next frame was: a text message, a close with its code, or nothing in time.
#[derive(Debug, PartialEq)]
pub(crate) enum Frame {
    Text(Value),
    Closed(u16),
    Silent,
}

pub(crate) async fn connect(app: &TestApp) -> Socket {
    connect_to(&app.base_url).await
}

/// A socket to the server at `base_url`, speaking `graphql-transport-ws`.
pub(crate) async fn connect_to(base_url: &str) -> Socket {
    let url = format!("{}/graphql/ws", base_url.replace("http://", "ws://"));
    let mut request = url.into_client_request().unwrap();
    request.headers_mut().insert(
        "sec-websocket-protocol",
        "graphql-transport-ws".parse().unwrap(),
    );
    tokio_tungstenite::connect_async(request).await.unwrap().0
}

pub(crate) async fn send(socket: &mut Socket, message: Value) {
    socket
        .send(WsMessage::text(message.to_string()))
        .await
        .unwrap();
}

pub(crate) async fn next_frame(socket: &mut Socket, within: Duration) -> Frame {
    loop {
        match tokio::time::timeout(within, socket.next()).await {
            Err(_) => return Frame::Silent,
            Ok(Some(Ok(WsMessage::Text(text)))) => {
                return Frame::Text(serde_json::from_str(&text).unwrap());
            }
            Ok(Some(Ok(WsMessage::Close(frame)))) => {
                return Frame::Closed(frame.map_or(1005, |frame| u16::from(frame.code)));
            }
            Ok(Some(Ok(_))) => continue,
            Ok(Some(Err(_)) | None) => return Frame::Closed(1006),
        }
    }
}

/// A socket signed in as `who`, acknowledged, with `notificationAdded` subscribed as "1".
pub(crate) async fn signed_in_socket(app: &TestApp, who: &Session) -> Socket {
    subscribed_socket(
        app,
        who,
        json!({ "query": "subscription { notificationAdded { kind } }" }),
    )
    .await
}

/// A socket signed in as `who`, acknowledged, with the subscription `payload` as "1".
pub(crate) async fn subscribed_socket(app: &TestApp, who: &Session, payload: Value) -> Socket {
    let mut socket = connect(app).await;
    send(
        &mut socket,
        json!({ "type": "connection_init", "payload": { "authorization": format!("Bearer {}", who.access_token) } }),
    )
    .await;
    match next_frame(&mut socket, Duration::from_secs(5)).await {
        Frame::Text(ack) => assert_eq!(ack["type"], "connection_ack"),
        other => panic!("no ack: {other:?}"),
    }
    send(
        &mut socket,
        json!({ "id": "1", "type": "subscribe", "payload": payload }),
    )
    .await;
    socket
}

/// Repeats `write` (a subscription starts asynchronously, after its `subscribe` message) until
/// `socket` delivers a message; returns that message.
pub(crate) async fn until_delivered<F, Fut>(socket: &mut Socket, mut write: F) -> Value
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    for _ in 0..20 {
        write().await;
        match next_frame(socket, Duration::from_millis(500)).await {
            Frame::Text(message) => return message,
            Frame::Silent => continue,
            closed => panic!("{closed:?}"),
        }
    }
    panic!("nothing delivered")
}

/// Sends `who` test notifications until the socket delivers one; returns that message.
pub(crate) async fn notify_until_delivered(
    app: &TestApp,
    who: &Session,
    socket: &mut Socket,
) -> Value {
    until_delivered(socket, || async {
        app.gql(
            Some(&who.access_token),
            "mutation { sendTestNotification }",
            json!({}),
        )
        .await;
    })
    .await
}

/// Reads until the socket closes (within `seconds`) and returns the close code.
pub(crate) async fn close_code(socket: &mut Socket, seconds: u64) -> u16 {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(seconds);
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        match next_frame(socket, left).await {
            Frame::Closed(code) => return code,
            Frame::Silent => panic!("still open after {seconds} s"),
            Frame::Text(_) => continue,
        }
    }
}

async fn sockets_close_when_their_session_ends(app: TestApp) {
    // Logout.
    let ana = app.register("ana@example.org").await;
    let mut socket = signed_in_socket(&app, &ana).await;
    app.gql(Some(&ana.access_token), "mutation { logout }", json!({}))
        .await;
    assert_eq!(close_code(&mut socket, 5).await, 4401);

    // A refresh token presented twice revokes the session.
    let bea = app.register("bea@example.org").await;
    let mut socket = signed_in_socket(&app, &bea).await;
    let refresh =
        "mutation($token: String!) { refreshSession(refreshToken: $token) { accessToken } }";
    for _ in 0..2 {
        app.gql(None, refresh, json!({ "token": bea.refresh_token }))
            .await;
    }
    assert_eq!(close_code(&mut socket, 5).await, 4401);

    // Erasing the account.
    let cle = app.register("cle@example.org").await;
    let mut socket = signed_in_socket(&app, &cle).await;
    app.gql(
        Some(&cle.access_token),
        "mutation { deleteAccount(password: \"a long enough password\") }",
        json!({}),
    )
    .await;
    assert_eq!(close_code(&mut socket, 5).await, 4401);

    // Revoked from another device.
    let eve = app.register("eve@example.org").await;
    let mut socket = signed_in_socket(&app, &eve).await;
    let other = app
        .gql(
            None,
            "mutation { login(email: \"eve@example.org\", password: \"a long enough password\") { accessToken } }",
            json!({}),
        )
        .await;
    let other = other["data"]["login"]["accessToken"]
        .as_str()
        .expect("signed in");
    let listed = app
        .gql(Some(other), "{ mySessions { id current } }", json!({}))
        .await;
    let first = listed["data"]["mySessions"]
        .as_array()
        .and_then(|sessions| sessions.iter().find(|session| session["current"] == false))
        .and_then(|session| session["id"].as_str())
        .expect("the first session")
        .to_owned();
    app.gql(
        Some(other),
        "mutation($id: ID!) { revokeSession(id: $id) }",
        json!({ "id": first }),
    )
    .await;
    assert_eq!(close_code(&mut socket, 5).await, 4401);

    // A password changed from another device, then reset by mail.
    let dan = app.register("dan@example.org").await;
    let mut socket = signed_in_socket(&app, &dan).await;
    let laptop = app
        .gql(
            None,
            "mutation { login(email: \"dan@example.org\", password: \"a long enough password\") { accessToken } }",
            json!({}),
        )
        .await;
    let laptop = laptop["data"]["login"]["accessToken"]
        .as_str()
        .expect("signed in");
    app.gql(
        Some(laptop),
        "mutation { changePassword(currentPassword: \"a long enough password\", newPassword: \"another long password\") }",
        json!({}),
    )
    .await;
    assert_eq!(close_code(&mut socket, 5).await, 4401);
    // The laptop's session, which made the change, lives on until the reset.
    let laptop = crate::helpers::Session {
        access_token: laptop.to_owned(),
        refresh_token: String::new(),
        user_id: dan.user_id.clone(),
    };
    let mut socket = signed_in_socket(&app, &laptop).await;
    app.gql(
        None,
        "mutation { requestPasswordReset(email: \"dan@example.org\") }",
        json!({}),
    )
    .await;
    let code = crate::mail::code_in_mail_to(&app, "dan@example.org", "reset-password", 0).await;
    app.gql(
        None,
        "mutation($t: String!) { resetPassword(token: $t, newPassword: \"a third long password\") { accessToken } }",
        json!({ "t": code }),
    )
    .await;
    assert_eq!(close_code(&mut socket, 5).await, 4401);
}

async fn a_socket_closes_when_its_access_token_expires(app: TestApp) {
    let ana = app.register("ana@example.org").await;
    let user_id = ana.user_id.clone();
    app.state
        .db
        .run(move |conn| {
            let soon = (chrono::Utc::now() + chrono::Duration::seconds(2)).naive_utc();
            let session_ids = sessions::table
                .filter(sessions::user_id.eq(user_id))
                .select(sessions::id);
            diesel::update(
                session_tokens::table
                    .filter(session_tokens::session_id.eq_any(session_ids))
                    .filter(session_tokens::kind.eq("ACCESS")),
            )
            .set(session_tokens::expires_at.eq(soon))
            .execute(conn)?;
            Ok(())
        })
        .await
        .unwrap();
    let mut socket = signed_in_socket(&app, &ana).await;
    assert_eq!(close_code(&mut socket, 6).await, 4401);
}

async fn sockets_refuse_duplicate_ids_and_too_many_subscriptions(app: TestApp) {
    let ana = app.register("ana@example.org").await;
    let mut socket = signed_in_socket(&app, &ana).await;
    for id in 2..=20 {
        send(
            &mut socket,
            json!({ "id": id.to_string(), "type": "subscribe", "payload": { "query": "subscription { notificationAdded { kind } }" } }),
        )
        .await;
    }
    send(
        &mut socket,
        json!({ "id": "21", "type": "subscribe", "payload": { "query": "subscription { notificationAdded { kind } }" } }),
    )
    .await;
    match next_frame(&mut socket, Duration::from_secs(5)).await {
        Frame::Text(refusal) => {
            assert_eq!(refusal["type"], "error");
            assert_eq!(refusal["id"], "21");
            assert_eq!(refusal["payload"][0]["extensions"]["code"], "RATE_LIMITED");
        }
        other => panic!("expected an error for the 21st subscription: {other:?}"),
    }
    // The first twenty still deliver.
    let next = notify_until_delivered(&app, &ana, &mut socket).await;
    assert_eq!(next["type"], "next", "{next}");
    // Completing one frees its place; reusing a live id closes the connection.
    send(&mut socket, json!({ "id": "2", "type": "complete" })).await;
    send(
        &mut socket,
        json!({ "id": "2", "type": "subscribe", "payload": { "query": "subscription { notificationAdded { kind } }" } }),
    )
    .await;
    send(
        &mut socket,
        json!({ "id": "1", "type": "subscribe", "payload": { "query": "subscription { notificationAdded { kind } }" } }),
    )
    .await;
    assert_eq!(close_code(&mut socket, 5).await, 4409);
}

async fn a_socket_that_never_initialises_is_closed(app: TestApp) {
    let mut socket = connect(&app).await;
    let started = tokio::time::Instant::now();
    assert_eq!(close_code(&mut socket, 15).await, 4408);
    assert!(started.elapsed() >= Duration::from_secs(9));
}

async fn a_subscriber_that_falls_behind_is_told_so(app: TestApp) {
    let ana = app.register("ana@example.org").await;
    let mut socket = signed_in_socket(&app, &ana).await;
    // The subscription is live before the burst.
    notify_until_delivered(&app, &ana, &mut socket).await;
    // One transaction announcing more changes than the bus keeps for a slow subscriber.
    let user_id = UserId::from_client(ana.user_id.clone());
    app.state
        .db
        .write(move |conn| {
            for _ in 0..1_500 {
                let notice = Notice::new(NotificationCategory::System, NotificationText::TestPush);
                relais::notifications::service::notify(conn, &user_id, notice)?;
            }
            Ok(())
        })
        .await
        .unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    let told = loop {
        assert!(tokio::time::Instant::now() < deadline, "never told");
        match next_frame(&mut socket, Duration::from_secs(5)).await {
            Frame::Text(message) if !message["payload"]["errors"].is_null() => break message,
            Frame::Text(_) => continue,
            other => panic!("{other:?}"),
        }
    };
    assert_eq!(
        told["payload"]["errors"][0]["extensions"]["code"],
        "CONFLICT"
    );
    match next_frame(&mut socket, Duration::from_secs(5)).await {
        Frame::Text(complete) => assert_eq!(complete["type"], "complete"),
        other => panic!("{other:?}"),
    }
}

async fn socket_errors_speak_the_viewers_language(app: TestApp) {
    let owner = app.register("owner@example.org").await;
    let group = create_group(&app, &owner, group_input("Entre nous", "PRIVATE")).await;
    let english = app
        .register_with(json!({
            "email": "en@example.org", "password": "a long enough password",
            "displayName": "En", "profession": "NURSE", "locale": "en",
        }))
        .await;
    let mut socket = connect(&app).await;
    send(
        &mut socket,
        json!({ "type": "connection_init", "payload": { "authorization": format!("Bearer {}", english.access_token) } }),
    )
    .await;
    next_frame(&mut socket, Duration::from_secs(5)).await;
    send(
        &mut socket,
        json!({ "id": "1", "type": "subscribe", "payload": {
            "query": "subscription($id: ID!) { groupPosts(groupId: $id) { id } }",
            "variables": { "id": group } } }),
    )
    .await;
    match next_frame(&mut socket, Duration::from_secs(5)).await {
        Frame::Text(refusal) => {
            let error = &refusal["payload"]["errors"][0];
            assert_eq!(error["extensions"]["code"], "FORBIDDEN", "{refusal}");
            assert_eq!(error["message"], "You do not have access to this resource.");
        }
        other => panic!("{other:?}"),
    }

    // A document the request's limits refuse, and one that does not parse, are refused with a
    // code over the socket as over HTTP.
    let aliases: String = (0..=relais::graphql::MAX_ALIASES)
        .map(|n| format!("a{n}: groupPosts(groupId: $id) {{ id }} "))
        .collect();
    for (id, query) in [
        ("2", format!("subscription($id: ID!) {{ {aliases} }}")),
        ("3", "subscription {".to_owned()),
    ] {
        send(
            &mut socket,
            json!({ "id": id, "type": "subscribe",
                    "payload": { "query": query, "variables": { "id": group } } }),
        )
        .await;
        // What is left of the first subscription (its `complete`) may come first.
        let refusal = loop {
            match next_frame(&mut socket, Duration::from_secs(5)).await {
                Frame::Text(frame) if frame["id"] == id => break frame,
                Frame::Text(_) => continue,
                other => panic!("{other:?}"),
            }
        };
        let error = &refusal["payload"]["errors"][0];
        assert_eq!(error["extensions"]["code"], "BAD_USER_INPUT", "{refusal}");
        if id == "2" {
            assert_eq!(error["extensions"]["limit"], "aliases", "{refusal}");
        }
    }
}

/// A socket signed in as `who`, acknowledged, with `messageAdded` on `conversation` as "1".
pub(crate) async fn conversation_socket(
    app: &TestApp,
    who: &Session,
    conversation: &str,
) -> Socket {
    subscribed_socket(
        app,
        who,
        json!({
            "query": "subscription($id: ID!) { messageAdded(conversationId: $id) { body author { displayName } } }",
            "variables": { "id": conversation } }),
    )
    .await
}

async fn new_messages_reach_the_conversations_two_people_only(app: TestApp) {
    let (_, bob, _, conversation) = crate::mentorship::active_pair(&app).await;
    let eve = app.register("eve@example.org").await;
    let mut refused = conversation_socket(&app, &eve, &conversation).await;
    match next_frame(&mut refused, Duration::from_secs(5)).await {
        Frame::Text(error) => assert_eq!(
            error["payload"]["errors"][0]["extensions"]["code"], "NOT_FOUND",
            "{error}"
        ),
        other => panic!("{other:?}"),
    }
    let mut socket = conversation_socket(&app, &bob, &conversation).await;
    // The subscription starts asynchronously: write until a message arrives.
    let ana = app
        .gql(
            None,
            "mutation { login(email: \"ana@example.org\", password: \"a long enough password\") { accessToken } }",
            json!({}),
        )
        .await;
    let token = ana["data"]["login"]["accessToken"]
        .as_str()
        .unwrap()
        .to_owned();
    for _ in 0..20 {
        app.gql(
            Some(&token),
            "mutation($id: ID!) { sendMessage(conversationId: $id, body: \"Tu tiens le coup ?\") { id } }",
            json!({ "id": conversation }),
        )
        .await;
        match next_frame(&mut socket, Duration::from_millis(500)).await {
            Frame::Text(message) => {
                assert_eq!(
                    message["payload"]["data"]["messageAdded"],
                    json!({ "body": "Tu tiens le coup ?", "author": { "displayName": "ana" } }),
                    "{message}"
                );
                return;
            }
            Frame::Silent => continue,
            closed => panic!("{closed:?}"),
        }
    }
    panic!("no message delivered")
}
