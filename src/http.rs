//! What every request outside the GraphQL executor shares: who calls (the `Authorization`
//! header, the client's address behind trusted proxies), in which language to answer, and how an
//! error becomes a GraphQL-shaped answer. The GraphQL route, the websocket and the domains' own
//! routes (calendars, certificates) all start here.

use std::net::IpAddr;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderMap};
use actix_web::{HttpRequest, HttpResponse};
use serde_json::json;

use crate::auth::{Auth, ClientAddress, service as sessions};
use crate::error::{AppError, AppResult};
use crate::graphql::{AppState, SharedState};
use crate::i18n::{self, Locale};

/// What the `Authorization` header holds: nothing, a bearer token, or something unusable.
pub enum Credentials<'a> {
    None,
    Bearer(&'a str),
    Malformed,
}

pub fn credentials(value: Option<&str>) -> Credentials<'_> {
    match value.map(str::trim) {
        None | Some("") => Credentials::None,
        Some(value) => match value.split_once(' ') {
            Some((scheme, token))
                if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() =>
            {
                Credentials::Bearer(token.trim())
            }
            _ => Credentials::Malformed,
        },
    }
}

/// The caller's `User-Agent`, which names the device a new session is on.
#[derive(Debug, Clone)]
pub struct UserAgent(pub String);

impl UserAgent {
    pub fn of(request: &HttpRequest) -> Option<Self> {
        request
            .headers()
            .get(header::USER_AGENT)
            .and_then(|value| value.to_str().ok())
            .map(|agent| Self(agent.to_owned()))
    }
}

/// Who is calling, from an `Authorization` value.
pub async fn authenticate(state: &AppState, authorization: Option<&str>) -> AppResult<Auth> {
    Ok(match credentials(authorization) {
        Credentials::None => Auth::Anonymous,
        Credentials::Malformed => Auth::Malformed,
        Credentials::Bearer(token) => {
            match sessions::authenticate(&state.db, &state.secret, token).await? {
                Some(viewer) => Auth::SignedIn(viewer),
                None => Auth::Rejected,
            }
        }
    })
}

/// Who is calling, by address: the peer, unless it is a trusted reverse proxy; then the nearest
/// address in `X-Forwarded-For` that is not one of the trusted proxies (the entry the outermost
/// trusted proxy added; anything further left is the client's own claim).
pub fn client_address(request: &HttpRequest, trusted: &[IpAddr]) -> ClientAddress {
    let peer = request
        .peer_addr()
        .map_or(IpAddr::from(std::net::Ipv4Addr::UNSPECIFIED), |addr| {
            addr.ip()
        });
    if !trusted.contains(&peer) {
        return ClientAddress(peer);
    }
    let forwarded: Vec<&str> = request
        .headers()
        .get_all("x-forwarded-for")
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .collect();
    for entry in forwarded.iter().rev() {
        match entry.trim().parse::<IpAddr>() {
            Ok(addr) if trusted.contains(&addr) => continue,
            Ok(addr) => return ClientAddress(addr),
            Err(_) => break,
        }
    }
    ClientAddress(peer)
}

/// The language of messages: the viewer's, else the client's `Accept-Language`, else French.
pub fn request_locale(auth: &Auth, headers: &HeaderMap) -> Locale {
    match auth {
        Auth::SignedIn(viewer) => viewer.locale,
        _ => headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|value| value.to_str().ok())
            .and_then(Locale::from_accept_language)
            .unwrap_or_default(),
    }
}

/// Who calls with `request`'s `Authorization` header, and in which language to answer them; when
/// the database cannot tell, the 503 answer to send instead.
pub async fn caller(
    state: &AppState,
    request: &HttpRequest,
) -> Result<(Auth, Locale), HttpResponse> {
    let headers = request.headers();
    let authorization = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok());
    match authenticate(state, authorization).await {
        Ok(auth) => {
            let locale = request_locale(&auth, headers);
            Ok((auth, locale))
        }
        Err(error) => {
            let locale = request_locale(&Auth::Anonymous, headers);
            Err(i18n::scope(locale, async {
                request_error(StatusCode::SERVICE_UNAVAILABLE, error)
            })
            .await)
        }
    }
}

/// A GraphQL-shaped error answer for requests that never reached the executor.
pub fn request_error(status: StatusCode, error: AppError) -> HttpResponse {
    let error = async_graphql::Error::from(error).into_server_error(async_graphql::Pos::default());
    HttpResponse::build(status).json(json!({ "errors": [error] }))
}

/// Serves a request outside GraphQL: finds who calls and their language, runs `handle`, and
/// turns its error into a GraphQL-shaped answer with the matching HTTP status.
pub async fn answer<F, Fut>(state: &SharedState, request: &HttpRequest, handle: F) -> HttpResponse
where
    F: FnOnce(SharedState, Auth, Locale) -> Fut,
    Fut: std::future::Future<Output = AppResult<HttpResponse>>,
{
    let (auth, locale) = match caller(state, request).await {
        Ok(caller) => caller,
        Err(unavailable) => return unavailable,
    };
    i18n::scope(locale, async move {
        match handle(state.clone(), auth, locale).await {
            Ok(response) => response,
            Err(error) => {
                let status = match &error {
                    AppError::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
                    AppError::Forbidden | AppError::Denied(_) | AppError::Unmet(_) => {
                        StatusCode::FORBIDDEN
                    }
                    AppError::NotFound | AppError::NotFoundIn(_) => StatusCode::NOT_FOUND,
                    AppError::BadInput { .. } | AppError::StatementTimeout { .. } => {
                        StatusCode::BAD_REQUEST
                    }
                    AppError::Conflict(_) | AppError::ConflictWith { .. } => StatusCode::CONFLICT,
                    AppError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
                    AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
                };
                request_error(status, error)
            }
        }
    })
    .await
}
