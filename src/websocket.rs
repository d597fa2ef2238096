//! `/graphql/ws`: subscriptions over `graphql-transport-ws` (and the older `graphql-ws`), with
//! async-graphql running the protocol and this module keeping the connection in bounds:
//!
//! - no `connection_init` within [`INIT_TIMEOUT`]: closed with 4408;
//! - a subscription id already in use: closed with 4409; more than [`MAX_SUBSCRIPTIONS`] at once:
//!   that subscription gets an error (RATE_LIMITED) and the others go on;
//! - the session ends (logout, a replayed refresh token, an erased account) or its access token
//!   expires: closed with 4401 at once, so nothing more reaches a signed-out person;
//! - the server stops (SIGTERM): closed with 1012 (service restart), so that the client
//!   reconnects, to another instance during a rolling restart;
//! - everything runs in the connection's locale (the viewer's once signed in) and in the tracing
//!   span of the upgrade request.

use std::collections::HashSet;
use std::str::FromStr;
use std::time::Duration;

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};
use actix_ws::{CloseCode, CloseReason, Message, MessageStream, Session};
use async_graphql::http::{WebSocket, WebSocketProtocols, WsMessage};
use futures_util::StreamExt;
use serde_json::{Value, json};
use tokio::sync::{broadcast, mpsc, oneshot};
use tracing::Instrument;

use crate::auth::{Auth, ClientAddress, Viewer};
use crate::db::events::Committed;
use crate::graphql::{self, Pipeline, SharedState};
use crate::http::{authenticate, client_address, request_locale};
use crate::i18n::{self, Locale, Localized, Message as Text};
use crate::ids::SessionId;

/// How long a client has to send `connection_init`.
pub const INIT_TIMEOUT: Duration = Duration::from_secs(10);
/// Subscriptions one connection may hold at once.
pub const MAX_SUBSCRIPTIONS: usize = 20;
/// The close code of a server going away for a restart (RFC 6455's registry: service restart).
const CLOSE_RESTART: u16 = 1012;
/// Largest message a client may send.
const MAX_FRAME_BYTES: usize = 64 * 1024;

/// The signed-in session a connection serves, learnt at `connection_init`.
struct SignedIn {
    session_id: SessionId,
    expires_at: tokio::time::Instant,
    locale: Locale,
}

impl SignedIn {
    fn of(viewer: &Viewer) -> Self {
        let left = (viewer.access_expires_at - chrono::Utc::now())
            .to_std()
            .unwrap_or_default();
        Self {
            session_id: viewer.session_id.clone(),
            expires_at: tokio::time::Instant::now() + left,
            locale: viewer.locale,
        }
    }
}

/// Upgrades the request and serves the connection on a task of its own.
pub async fn subscriptions(
    request: HttpRequest,
    payload: web::Payload,
    state: web::Data<SharedState>,
    pipeline: web::Data<Pipeline>,
) -> actix_web::Result<HttpResponse> {
    let protocol = request
        .headers()
        .get(header::SEC_WEBSOCKET_PROTOCOL)
        .and_then(|value| value.to_str().ok())
        .and_then(|offered| {
            offered
                .split(',')
                .find_map(|name| WebSocketProtocols::from_str(name.trim()).ok())
        })
        .ok_or_else(|| actix_web::error::ErrorBadRequest("unsupported websocket sub-protocol"))?;
    let (mut response, session, messages) = actix_ws::handle(&request, payload)?;
    response.headers_mut().insert(
        header::SEC_WEBSOCKET_PROTOCOL,
        HeaderValue::from_static(protocol.sec_websocket_protocol()),
    );
    let connection = Connection {
        state: state.get_ref().clone(),
        pipeline: Pipeline::clone(&pipeline),
        client: client_address(&request, &state.config.trusted_proxies),
        locale: request_locale(&Auth::Anonymous, request.headers()),
    };
    let span = tracing::Span::current();
    actix_web::rt::spawn(
        connection
            .serve(protocol, session, messages.max_frame_size(MAX_FRAME_BYTES))
            .instrument(span),
    );
    Ok(response)
}

struct Connection {
    state: SharedState,
    pipeline: Pipeline,
    client: ClientAddress,
    /// Before sign-in, the upgrade request's `Accept-Language`.
    locale: Locale,
}

/// What a client message is, as far as keeping the connection in bounds goes.
enum ClientFrame {
    Init,
    Subscribe(String),
    Complete(String),
    Other,
}

fn client_frame(text: &str) -> ClientFrame {
    let Ok(message) = serde_json::from_str::<Value>(text) else {
        return ClientFrame::Other;
    };
    let id = message["id"].as_str().map(str::to_owned);
    match (message["type"].as_str(), id) {
        (Some("connection_init"), _) => ClientFrame::Init,
        // `start`/`stop`: the older graphql-ws protocol's names.
        (Some("subscribe" | "start"), Some(id)) => ClientFrame::Subscribe(id),
        (Some("complete" | "stop"), Some(id)) => ClientFrame::Complete(id),
        _ => ClientFrame::Other,
    }
}

/// The subscription a server message ends, if it ends one.
fn ended_subscription(text: &str) -> Option<String> {
    let message: Value = serde_json::from_str(text).ok()?;
    match message["type"].as_str()? {
        "complete" | "error" => message["id"].as_str().map(str::to_owned),
        _ => None,
    }
}

impl Connection {
    async fn serve(
        self,
        protocol: WebSocketProtocols,
        mut session: Session,
        mut messages: MessageStream,
    ) {
        let (to_graphql, from_client) = mpsc::channel::<String>(16);
        let incoming = futures_util::stream::unfold(from_client, |mut from_client| async move {
            from_client.recv().await.map(|text| (text, from_client))
        });
        let (signed_in_tx, mut signed_in_rx) = oneshot::channel::<SignedIn>();
        let state = self.state.clone();
        let (client, header_locale) = (self.client, self.locale);
        // The connection's operations share its DataLoaders, and their batches its gate.
        let gate = graphql::BatchGate::default();
        let connection_gate = gate.clone();
        let mut graphql = gate.drive_stream(Box::pin(
            WebSocket::new(self.pipeline.clone(), incoming, protocol).on_connection_init(
                move |init| async move {
                    let authorization = init
                        .get("authorization")
                        .or_else(|| init.get("Authorization"))
                        .and_then(|value| value.as_str());
                    let auth = authenticate(&state, authorization).await?;
                    let locale = match &auth {
                        Auth::SignedIn(viewer) => {
                            let _ = signed_in_tx.send(SignedIn::of(viewer));
                            viewer.locale
                        }
                        _ => header_locale,
                    };
                    Ok(graphql::connection_data(
                        &state,
                        auth,
                        client,
                        locale,
                        &connection_gate,
                    ))
                },
            ),
        ));

        let mut events = self.state.db.events().subscribe();
        let init_deadline = tokio::time::sleep(INIT_TIMEOUT);
        tokio::pin!(init_deadline);
        let mut initialised = false;
        let mut signed_in: Option<SignedIn> = None;
        let mut awaiting_sign_in = true;
        let mut active: HashSet<String> = HashSet::new();
        let mut locale = self.locale;

        // What this connection has added to the open-subscriptions figure.
        let mut counted: i64 = 0;
        let close = loop {
            let open = i64::try_from(active.len()).unwrap_or(i64::MAX);
            self.state.metrics.subscriptions_changed(open - counted);
            counted = open;
            let expiry = signed_in.as_ref().map(|viewer| viewer.expires_at);
            // In this order: the sign-in first, so that the viewer's language applies to the
            // first subscription already; the session's end before any further output.
            tokio::select! {
                biased;
                viewer = &mut signed_in_rx, if awaiting_sign_in => {
                    awaiting_sign_in = false;
                    if let Ok(viewer) = viewer {
                        locale = viewer.locale;
                        signed_in = Some(viewer);
                    }
                }
                event = events.recv(), if signed_in.is_some() => {
                    let ours = signed_in.as_ref().map(|viewer| &viewer.session_id);
                    match event {
                        Ok(Committed::SessionEnded { session_id }) if Some(&session_id) == ours => {
                            break Some((4401, "Session ended".to_owned()));
                        }
                        // Missed news: ask the database whether the session still stands.
                        Err(broadcast::error::RecvError::Lagged(_)) => {
                            let live = match ours {
                                Some(session_id) => crate::auth::service::is_live(&self.state.db, session_id).await,
                                None => Ok(false),
                            };
                            if !matches!(live, Ok(true)) {
                                break Some((4401, "Session ended".to_owned()));
                            }
                        }
                        _ => {}
                    }
                }
                _ = sleep_until(expiry), if expiry.is_some() => {
                    break Some((4401, "Session expired".to_owned()));
                }
                _ = self.state.stopping.wait() => {
                    break Some((CLOSE_RESTART, "Service restart".to_owned()));
                }
                _ = &mut init_deadline, if !initialised => {
                    break Some((4408, "Connection initialisation timeout".to_owned()));
                }
                out = i18n::scope(locale, graphql.next()) => match out {
                    Some(WsMessage::Text(text)) => {
                        if let Some(id) = ended_subscription(&text) {
                            active.remove(&id);
                        }
                        if session.text(text).await.is_err() {
                            break None;
                        }
                    }
                    Some(WsMessage::Close(code, reason)) => break Some((code, reason)),
                    None => break None,
                },
                frame = messages.recv() => match frame {
                    Some(Ok(Message::Text(text))) => {
                        match client_frame(&text) {
                            ClientFrame::Init => initialised = true,
                            ClientFrame::Subscribe(id) if active.contains(&id) => {
                                break Some((4409, format!("Subscriber for {id} already exists")));
                            }
                            ClientFrame::Subscribe(id) if active.len() >= MAX_SUBSCRIPTIONS => {
                                let refusal = too_many_subscriptions(&id, locale);
                                if session.text(refusal).await.is_err() {
                                    break None;
                                }
                                continue;
                            }
                            ClientFrame::Subscribe(id) => {
                                active.insert(id);
                            }
                            ClientFrame::Complete(id) => {
                                active.remove(&id);
                            }
                            ClientFrame::Other => {}
                        }
                        if to_graphql.send(text.to_string()).await.is_err() {
                            break None;
                        }
                    }
                    Some(Ok(Message::Ping(bytes))) => {
                        if session.pong(&bytes).await.is_err() {
                            break None;
                        }
                    }
                    Some(Ok(Message::Close(_))) | Some(Err(_)) | None => break None,
                    Some(Ok(_)) => {}
                },
            }
        };
        self.state.metrics.subscriptions_changed(-counted);
        let reason = close.map(|(code, description)| CloseReason {
            code: CloseCode::Other(code),
            description: Some(description),
        });
        // The client may already be gone.
        let _ = session.close(reason).await;
    }
}

async fn sleep_until(deadline: Option<tokio::time::Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}

/// The error a subscription beyond the limit gets (the connection and its others go on).
fn too_many_subscriptions(id: &str, locale: Locale) -> String {
    json!({
        "type": "error",
        "id": id,
        "payload": [{
            "message": Text::TooManySubscriptions { max: MAX_SUBSCRIPTIONS }.render(locale),
            "extensions": { "code": "RATE_LIMITED" },
        }],
    })
    .to_string()
}
