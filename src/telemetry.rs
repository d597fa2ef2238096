//! Tracing set-up: `RUST_LOG` filter (default `info`), one line per event, as text for a person
//! or as JSON for a log collector (`RELAIS_LOG_FORMAT`).
//!
//! What the lines may hold: each request's span carries its id, method, route pattern (never
//! the path with its query, which can hold a sign-in code), status, GraphQL operation and
//! outcome; no line carries an address, a token, a name or a text someone wrote.

use actix_web::HttpMessage;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use tracing_actix_web::{RequestId, RootSpanBuilder};
use tracing_subscriber::EnvFilter;

/// How log lines are written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// One human-readable line per event.
    #[default]
    Text,
    /// One JSON object per line, the request's span fields under `span`.
    Json,
}

/// Installs the global subscriber; a second call (as in tests) leaves the first in place.
pub fn init(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let lines = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false);
    let _already_installed = match format {
        LogFormat::Text => lines.try_init(),
        LogFormat::Json => lines
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .try_init(),
    };
}

/// Each request's span, and its closing line "request done" with the status.
pub struct RequestSpan;

impl RootSpanBuilder for RequestSpan {
    fn on_request_start(request: &ServiceRequest) -> tracing::Span {
        let id = request
            .extensions()
            .get::<RequestId>()
            .map(ToString::to_string)
            .unwrap_or_default();
        tracing::info_span!(
            "request",
            request_id = %id,
            method = %request.method(),
            route = request.match_pattern().as_deref().unwrap_or("unmatched"),
            status = tracing::field::Empty,
            operation = tracing::field::Empty,
            outcome = tracing::field::Empty,
        )
    }

    fn on_request_end<B: MessageBody>(
        span: tracing::Span,
        outcome: &Result<ServiceResponse<B>, actix_web::Error>,
    ) {
        let status = match outcome {
            Ok(response) => response.status(),
            Err(error) => error.as_response_error().status_code(),
        };
        span.record("status", status.as_u16());
        span.in_scope(|| tracing::info!("request done"));
    }
}

/// Names the GraphQL operation a request ran and how it ended (`OK` or its first error's code),
/// on the request's span.
pub fn record_operation(operation: &str, outcome: &str) {
    let span = tracing::Span::current();
    span.record("operation", operation);
    span.record("outcome", outcome);
}
