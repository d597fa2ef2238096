//! Scenario 8: many open `groupPosts` subscriptions while scenario 2's reads run, and how long a
//! new post takes to reach every one of them.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use hdrhistogram::Histogram;
use serde_json::{Value, json};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::server::Server;

const SUBSCRIPTION: &str = "subscription($g: ID!) { groupPosts(groupId: $g) { id } }";
const POST: &str =
    "mutation($g: ID!, $body: String!) { createPost(input: { groupId: $g, body: $body }) { id } }";

/// How the posts reached the subscribers.
pub struct Delivery {
    pub subscribers: usize,
    pub posts: usize,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    /// Deliveries that never came (posts × subscribers − received).
    pub missing: usize,
}

/// One subscriber: signs in on its socket, subscribes, and reports each post id with the instant
/// it arrived.
async fn subscriber(
    server: &Server,
    token: String,
    group: String,
    arrivals: mpsc::UnboundedSender<(String, Instant)>,
) -> bool {
    let url = format!("{}/graphql/ws", server.base_url.replace("http://", "ws://"));
    let Ok(mut request) = url.into_client_request() else {
        return false;
    };
    request.headers_mut().insert(
        "sec-websocket-protocol",
        "graphql-transport-ws".parse().expect("a header value"),
    );
    let Ok((mut socket, _)) = tokio_tungstenite::connect_async(request).await else {
        return false;
    };
    let init = json!({ "type": "connection_init", "payload": { "authorization": format!("Bearer {token}") } });
    let subscribe = json!({ "id": "1", "type": "subscribe", "payload": { "query": SUBSCRIPTION, "variables": { "g": group } } });
    for message in [init, subscribe] {
        if socket
            .send(Message::text(message.to_string()))
            .await
            .is_err()
        {
            return false;
        }
    }
    tokio::spawn(async move {
        while let Some(Ok(frame)) = socket.next().await {
            let Message::Text(text) = frame else {
                continue;
            };
            let at = Instant::now();
            let Ok(message) = serde_json::from_str::<Value>(&text) else {
                continue;
            };
            if let Some(id) = message["payload"]["data"]["groupPosts"]["id"].as_str()
                && arrivals.send((id.to_owned(), at)).is_err()
            {
                break;
            }
        }
    });
    true
}

/// Posts as `poster`; the post's id and when the request left.
async fn post(server: &Server, poster: &str, group: &str, body: &str) -> Option<(String, Instant)> {
    let sent = Instant::now();
    let answer = server
        .gql(Some(poster), POST, json!({ "g": group, "body": body }))
        .await?;
    Some((
        answer["data"]["createPost"]["id"].as_str()?.to_owned(),
        sent,
    ))
}

/// Opens `subscribers` subscriptions (cycling through `tokens`), waits until a first post reaches
/// them all, then posts `posts` times, 250 ms apart, while `alongside` runs.
pub async fn run<F: std::future::Future>(
    server: &Server,
    tokens: &[String],
    group: &str,
    subscribers: usize,
    posts: usize,
    alongside: F,
) -> (Delivery, F::Output) {
    let (sender, mut arrivals) = mpsc::unbounded_channel();
    let opened = futures_util::stream::iter(0..subscribers)
        .map(|index| {
            subscriber(
                server,
                tokens[index % tokens.len()].clone(),
                group.to_owned(),
                sender.clone(),
            )
        })
        .buffer_unordered(64)
        .filter(|opened| std::future::ready(*opened))
        .count()
        .await;
    drop(sender);
    let poster = &tokens[0];

    // Subscriptions start asynchronously: post until one post reaches every socket.
    let mut ready = false;
    for attempt in 0..20 {
        let Some((warm_up, _)) =
            post(server, poster, group, &format!("Échauffement {attempt}")).await
        else {
            continue;
        };
        let mut reached = 0;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        while let Ok(Some((id, _))) = tokio::time::timeout_at(deadline, arrivals.recv()).await {
            reached += usize::from(id == warm_up);
            if reached == opened {
                break;
            }
        }
        if reached == opened {
            ready = true;
            break;
        }
    }
    assert!(ready, "a post never reached all {opened} subscribers");
    while arrivals.try_recv().is_ok() {}

    let posting = async {
        let mut sent = HashMap::new();
        for index in 0..posts {
            if let Some((id, at)) = post(server, poster, group, &format!("Nouvelle {index}")).await
            {
                sent.insert(id, at);
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        sent
    };
    let (sent, alongside) = futures_util::join!(posting, alongside);

    let mut delays = Histogram::<u64>::new_with_bounds(1, 600_000_000, 3).expect("a histogram");
    let grace = tokio::time::Instant::now() + Duration::from_secs(5);
    let expected = sent.len() * opened;
    let mut received = 0;
    while received < expected {
        let Ok(Some((id, at))) = tokio::time::timeout_at(grace, arrivals.recv()).await else {
            break;
        };
        if let Some(sent_at) = sent.get(&id) {
            let micros = at.saturating_duration_since(*sent_at).as_micros();
            delays.saturating_record(u64::try_from(micros).unwrap_or(u64::MAX).max(1));
            received += 1;
        }
    }
    let ms = |quantile: f64| delays.value_at_quantile(quantile) as f64 / 1000.0;
    (
        Delivery {
            subscribers: opened,
            posts: sent.len(),
            p50_ms: ms(0.5),
            p99_ms: ms(0.99),
            max_ms: delays.max() as f64 / 1000.0,
            missing: expected - received,
        },
        alongside,
    )
}
