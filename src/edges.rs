//! What every HTTP response carries and who may call from a browser: security headers on every
//! response, and CORS for the configured web origins only (none by default: the mobile apps are
//! not browsers).

use actix_cors::Cors;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::{Method, header::HeaderName};
use actix_web::middleware::{Condition, Next};
use actix_web::{Error, web};

use crate::config::ServerConfig;

/// The policy of every response but GraphiQL's: nothing may be loaded, framed or submitted. A
/// page that needs more (the certificate's inline style) sets its own.
pub const CONTENT_SECURITY_POLICY: &str =
    "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/// The certificate page's policy: its inline style, nothing else.
pub const PAGE_WITH_STYLE_POLICY: &str = "default-src 'none'; style-src 'unsafe-inline'; \
     frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/// How long browsers must keep to https (`Strict-Transport-Security`), when the deployer asks.
pub struct Hsts {
    pub max_age_seconds: Option<u64>,
}

/// Adds the security headers a handler did not set itself. GraphiQL (`GET /graphql` and its
/// files, in development) gets no content security policy: it runs its own scripts and styles.
pub async fn security_headers(
    request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let graphiql = request.method() == Method::GET
        && (request.path() == "/graphql" || request.path().starts_with("/graphiql/"));
    let hsts = request
        .app_data::<web::Data<Hsts>>()
        .and_then(|hsts| hsts.max_age_seconds);
    let mut response = next.call(request).await?;
    let headers = response.headers_mut();
    let mut add = |name: HeaderName, value: HeaderValue| {
        if !headers.contains_key(&name) {
            headers.insert(name, value);
        }
    };
    add(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    add(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    if !graphiql {
        add(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        );
    }
    if let Some(seconds) = hsts
        && let Ok(value) = HeaderValue::from_str(&format!("max-age={seconds}"))
    {
        add(header::STRICT_TRANSPORT_SECURITY, value);
    }
    Ok(response)
}

/// CORS for the configured origins (GET and POST with the headers the API reads); without any,
/// no CORS header is ever sent.
pub fn cors(config: &ServerConfig) -> Condition<Cors> {
    let cors = config.cors_origins.iter().fold(
        Cors::default()
            .allowed_methods([Method::GET, Method::POST])
            .allowed_headers([
                header::AUTHORIZATION,
                header::CONTENT_TYPE,
                header::ACCEPT,
                header::ACCEPT_LANGUAGE,
            ])
            .max_age(3600),
        |cors, origin| cors.allowed_origin(origin),
    );
    Condition::new(!config.cors_origins.is_empty(), cors)
}
