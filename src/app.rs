//! The HTTP face: routes, middleware and the per-request GraphQL context. Used by `relais serve`
//! and by the integration tests, so both run the same application.

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::body::MessageBody;
use actix_web::dev::{Server, ServiceRequest, ServiceResponse};
use actix_web::http::ConnectionType;
use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, middleware, web};
use async_graphql::Executor;
use serde_json::json;
use tracing_actix_web::TracingLogger;

use crate::accounts::service as accounts;
use crate::auth::password::PasswordHasher;
use crate::auth::throttle::{AccountLockout, SignInThrottle};
use crate::auth::turns::SessionTurns;
use crate::auth::{PasswordGate, Secret};
use crate::background::Stopping;
use crate::checkins::resources::SupportResources;
use crate::config::ServerConfig;
use crate::db::{Db, DbSetupError};
use crate::error::{AppError, InternalError};
use crate::graphql::live::LiveLoaders;
use crate::graphql::operation::OperationSlot;
use crate::graphql::{self, AppState, Pipeline, SharedState};
use crate::groups::service as groups;
use crate::http::{
    Credentials, UserAgent, answer, caller, client_address, credentials, request_error,
};
use crate::i18n;
use crate::identities::oidc::Providers;
use crate::mail::transport::MailSender;
use crate::mentorship::index::MentorIndex;
use crate::metrics::Metrics;
use crate::notifications::dispatcher::{self, PushSender};
use crate::privacy::service::{self as privacy, ExportLimit};
use crate::telemetry::{self, RequestSpan};
use crate::{edges, graphiql};

/// Largest request body accepted on `/graphql`.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// Why the server could not start; one line for the operator.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Database(#[from] DbSetupError),
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    #[error("FCM_SERVICE_ACCOUNT: {0}")]
    Push(String),
    #[error("{0}")]
    Mail(String),
    #[error("password hashing parameters refused by argon2")]
    Hashing,
    #[error("translations: {0}")]
    Translations(String),
    #[error("identity providers: {0}")]
    Identity(String),
    #[error("filling search keys: {0:?}")]
    Indexing(AppError),
    #[error("RELAIS_SUPPORT_RESOURCES: {0}")]
    Resources(String),
    #[error("RELAIS_ADDR: cannot listen on {addr}: {cause}")]
    Listen { addr: String, cause: std::io::Error },
}

/// Resolves the secret and the push sender, opens the database (applying migrations).
pub async fn build_state(config: ServerConfig) -> Result<SharedState, StartError> {
    i18n::check().map_err(StartError::Translations)?;
    let push = PushSender::from_config(&config.push).map_err(StartError::Push)?;
    let mail = MailSender::from_config(&config.mail).map_err(StartError::Mail)?;
    let secret = Secret::resolve(&config.secret, config.is_production())?;
    let support = SupportResources::load(config.checkins.support_resources.as_deref())
        .map_err(StartError::Resources)?;
    let hasher = PasswordHasher::new(config.password_cost, PasswordHasher::default_concurrency())
        .map_err(|_| StartError::Hashing)?;
    let identities =
        Providers::new(&config.identity, &config.public_url).map_err(StartError::Identity)?;
    let db = Db::connect(config.database_url.as_str(), config.statement_timeout).await?;
    // Search keys a migration emptied (their folding changed) are made again before serving.
    let names = accounts::fill_name_keys(&db)
        .await
        .map_err(StartError::Indexing)?;
    let groups = groups::fill_search_texts(&db)
        .await
        .map_err(StartError::Indexing)?;
    if names + groups > 0 {
        tracing::info!(names, groups, "search keys filled");
    }
    let mentors = MentorIndex::new();
    tokio::spawn(mentors.clone().follow(db.events().subscribe()));
    let passwords = PasswordGate {
        hasher,
        throttle: SignInThrottle::new(config.auth_rate_per_minute),
        lockout: AccountLockout::new(db.clone(), secret.clone()),
    };
    Ok(Arc::new(AppState {
        turns: SessionTurns::new(config.session_concurrency),
        secret,
        config,
        push,
        mail,
        passwords,
        workers: Arc::default(),
        exports: ExportLimit::default(),
        support,
        metrics: Metrics::new(db.pool_wait().clone(), db.statements().clone()),
        live: LiveLoaders::new(&db),
        identities,
        mentors,
        stopping: Stopping::default(),
        db,
    }))
}

/// The running HTTP server on `listener`. It does not watch for signals: its owner stops it
/// through its handle (`relais serve` on SIGTERM or SIGINT, after closing the websockets).
pub fn serve(state: SharedState, listener: TcpListener) -> std::io::Result<Server> {
    let pipeline = graphql::build(state.clone());
    let workers = state.config.http_workers;
    let blocking_threads = state.db.max_connections();
    let mut server = HttpServer::new(move || {
        let app = App::new()
            .wrap(edges::cors(&state.config))
            .wrap(middleware::from_fn(edges::security_headers))
            .wrap(middleware::from_fn(close_when_stopping))
            .wrap(TracingLogger::<RequestSpan>::new())
            .app_data(web::Data::new(edges::Hsts {
                max_age_seconds: state.config.hsts_seconds,
            }))
            .app_data(web::Data::new(state.clone()))
            .app_data(web::Data::new(pipeline.clone()))
            .app_data(web::PayloadConfig::new(MAX_BODY_BYTES))
            .route("/graphql", web::post().to(graphql_request))
            .route("/graphql", web::get().to(graphql_get))
            .route("/graphiql/{name}", web::get().to(graphiql::file))
            .route(
                "/graphql/ws",
                web::get().to(crate::websocket::subscriptions),
            )
            .route("/me/export", web::get().to(export_my_data))
            .configure(crate::workshops::http::routes)
            .configure(crate::identities::http::routes)
            .route("/health", web::get().to(health))
            .route("/health/live", web::get().to(live))
            .route("/health/ready", web::get().to(ready))
            .route("/metrics", web::get().to(metrics));
        // The load benchmark's floor: the GraphQL groups page without GraphQL.
        #[cfg(feature = "bench")]
        let app = app.route(
            "/bench/groups",
            web::get().to(crate::groups::bench::groups_page),
        );
        app
    })
    .disable_signals()
    .shutdown_timeout(30)
    // A worker's blocking threads run database work, which waits for a pooled connection
    // anyway: more threads than connections only add stacks and per-thread heaps.
    .worker_max_blocking_threads(blocking_threads);
    if let Some(workers) = workers {
        server = server.workers(workers);
    }
    Ok(server.listen(listener)?.run())
}

/// Once the process is stopping, every answer closes its connection: a keep-alive client then
/// reconnects (to another instance) instead of holding this one until the shutdown timeout.
async fn close_when_stopping(
    request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let state = request.app_data::<web::Data<SharedState>>().cloned();
    let mut response = next.call(request).await?;
    if state.is_some_and(|state| state.stopping.is_stopping()) {
        response
            .response_mut()
            .head_mut()
            .set_connection_type(ConnectionType::Close);
    }
    Ok(response)
}

/// `POST /graphql`: a request in the body.
async fn graphql_request(
    request: HttpRequest,
    body: web::Bytes,
    state: web::Data<SharedState>,
    pipeline: web::Data<Pipeline>,
) -> HttpResponse {
    let parsed = serde_json::from_slice(&body).ok();
    run_graphql(request, parsed, Access::ReadWrite, state, pipeline).await
}

/// `GET /graphql`: a query in the URL, as Apollo clients send persisted queries
/// (`extensions` with the query's hash, `query` only when the server asked for it), read-only
/// (mutations go over POST); without either, GraphiQL's page for a browser.
async fn graphql_get(
    request: HttpRequest,
    state: web::Data<SharedState>,
    pipeline: web::Data<Pipeline>,
) -> HttpResponse {
    let query_string = request.query_string();
    let names_a_request = query_string
        .split('&')
        .any(|pair| pair.starts_with("query=") || pair.starts_with("extensions="));
    if !names_a_request {
        return graphiql::page(state).await;
    }
    let parsed = async_graphql::http::parse_query_string(query_string).ok();
    run_graphql(request, parsed, Access::ReadOnly, state, pipeline).await
}

/// What a request may run: everything, or queries only (a GET).
#[derive(PartialEq, Eq)]
enum Access {
    ReadWrite,
    ReadOnly,
}

/// Runs a request for its caller; `None` for a request that did not parse (400).
async fn run_graphql(
    request: HttpRequest,
    parsed: Option<async_graphql::Request>,
    access: Access,
    state: web::Data<SharedState>,
    pipeline: web::Data<Pipeline>,
) -> HttpResponse {
    let (auth, locale) = match caller(&state, &request).await {
        Ok(caller) => caller,
        Err(unavailable) => return unavailable,
    };
    i18n::scope(locale, async {
        // One of the session's turns, held until the answer is made.
        let _turn = match auth.viewer() {
            Ok(viewer) => match state.turns.enter(&viewer.session_id).await {
                Ok(turn) => Some(turn),
                Err(busy) => return request_error(StatusCode::TOO_MANY_REQUESTS, busy),
            },
            Err(_) => None,
        };
        let Some(mut graphql_request) = parsed else {
            return request_error(
                StatusCode::BAD_REQUEST,
                AppError::bad_input("body", i18n::Message::MalformedRequest),
            );
        };
        let client = client_address(&request, &state.config.trusted_proxies);
        let gate = graphql::BatchGate::default();
        graphql_request.data = graphql::request_data(&state, auth, client, locale, &gate);
        if access == Access::ReadOnly {
            graphql_request.data.insert(graphql::ReadOnly);
        }
        // The name the client chose, or the document's only one once parsed.
        let slot = OperationSlot::default();
        if let Some(chosen) = &graphql_request.operation_name {
            slot.set(chosen);
        }
        graphql_request.data.insert(slot.clone());
        if let Some(agent) = UserAgent::of(&request) {
            graphql_request.data.insert(agent);
        }
        let started = std::time::Instant::now();
        let response = gate.drive(pipeline.execute(graphql_request)).await;
        let operation = state.metrics.operation_label(slot.name().as_deref());
        let outcome = outcome_of(&response);
        telemetry::record_operation(&operation, outcome);
        state
            .metrics
            .request_done(&operation, outcome, started.elapsed());
        match serde_json::to_vec(&response) {
            Ok(body) => crate::compression::json_answer(&request, body),
            Err(cause) => request_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                AppError::internal(InternalError::Other(cause.to_string())),
            ),
        }
    })
    .await
}

/// How a response ended, for the metrics: `OK`, or its first error's code.
fn outcome_of(response: &async_graphql::Response) -> &'static str {
    let Some(error) = response.errors.first() else {
        return "OK";
    };
    let code = error
        .extensions
        .as_ref()
        .and_then(|extensions| extensions.get("code"));
    match code {
        Some(async_graphql::Value::String(code)) => crate::error::known_code(code),
        _ => "INTERNAL",
    }
}

/// `GET /me/export`: the viewer's data as a JSON file (the same document as `exportMyData`).
async fn export_my_data(request: HttpRequest, state: web::Data<SharedState>) -> HttpResponse {
    answer(&state, &request, |state, auth, _| async move {
        let document =
            privacy::export(&state.db, &state.secret, &state.exports, auth.viewer()?).await?;
        Ok(HttpResponse::Ok()
            .insert_header((
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"relais-export.json\"",
            ))
            .json(document))
    })
    .await
}

/// `/health/live`: the process answers (an orchestrator restarts it when this fails).
async fn live() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "status": "ok" }))
}

/// `/health`, as it always was: 200 when the database answers and every push dispatcher this
/// process expects is running; 503 otherwise, saying which.
async fn health(state: web::Data<SharedState>) -> HttpResponse {
    probe(&state, Probe::Health).await
}

/// `/health/ready`: `/health`, and every migration applied (an orchestrator sends no traffic
/// before this answers 200).
async fn ready(state: web::Data<SharedState>) -> HttpResponse {
    probe(&state, Probe::Ready).await
}

/// What a health route checks.
#[derive(PartialEq, Eq)]
enum Probe {
    Health,
    Ready,
}

async fn probe(state: &SharedState, probe: Probe) -> HttpResponse {
    let database = state.db.backend().name();
    let workers = &state.workers;
    let dispatchers = json!({
        "expected": workers.expected(),
        "running": workers.running(),
        "restarts": workers.restarts(),
    });
    let reachable = state.db.is_healthy().await;
    let pending = match probe {
        Probe::Ready if reachable => state.db.pending_migrations().await.ok(),
        _ => None,
    };
    let status = match (reachable, &probe, pending) {
        (false, _, _) | (true, Probe::Ready, None) => "unavailable",
        (true, Probe::Ready, Some(1..)) => "migrations pending",
        _ if !workers.all_running() => "degraded",
        _ => "ok",
    };
    let mut body = json!({ "status": status, "database": database, "dispatchers": dispatchers });
    if probe == Probe::Ready {
        body["migrations"] = json!({ "pending": pending });
    }
    if status == "ok" {
        HttpResponse::Ok().json(body)
    } else {
        HttpResponse::ServiceUnavailable().json(body)
    }
}

/// Whether the request carries the metrics token; without a configured token nobody does.
fn may_read_metrics(request: &HttpRequest, config: &ServerConfig) -> bool {
    use secrecy::ExposeSecret;
    use sha2::{Digest, Sha256};
    let Some(token) = &config.metrics_token else {
        return false;
    };
    let given = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok());
    match credentials(given) {
        // Digests compared, so the time taken says nothing about the token.
        Credentials::Bearer(given) => {
            Sha256::digest(given.as_bytes()) == Sha256::digest(token.expose_secret().as_bytes())
        }
        _ => false,
    }
}

/// The figures in Prometheus' text format: the outbox (pushes by state, delivery lag), SQL
/// statements, the pool's connections, and [`Metrics`] (requests, latency, pool waits,
/// subscriptions). Only with `Authorization: Bearer RELAIS_METRICS_TOKEN`; 404 otherwise, as when
/// no token is configured.
async fn metrics(request: HttpRequest, state: web::Data<SharedState>) -> HttpResponse {
    if !may_read_metrics(&request, &state.config) {
        return HttpResponse::NotFound().finish();
    }
    let stats = match dispatcher::outbox_stats(&state.db).await {
        Ok(stats) => stats,
        Err(_) => return HttpResponse::ServiceUnavailable().finish(),
    };
    let (connections, idle) = state.db.pool_connections();
    state.metrics.pool_counted(connections, idle);
    state.metrics.outbox_counted(
        stats
            .by_status
            .iter()
            .map(|(status, count)| (status.as_str(), *count)),
        stats.oldest_due_seconds,
    );
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(state.metrics.render())
}
