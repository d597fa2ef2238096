//! Starting the app for a test and talking GraphQL to it.

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::dev::ServerHandle;
use relais::app;
use relais::config::HashCost;
use relais::config::{
    CheckinConfig, ConsentVersions, DatabaseUrl, Environment, IdentityConfig, MailConfig,
    PushConfig, Retention, SecretSource, ServerConfig,
};
use relais::graphql::SharedState;
use serde_json::{Value, json};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A running app on its own port and its own database.
pub struct TestApp {
    pub base_url: String,
    pub state: SharedState,
    pub http: reqwest::Client,
    pub database_url: String,
    handle: ServerHandle,
    background: relais::background::Background,
    config: ServerConfig,
    /// Keeps the SQLite file's directory alive as long as the app (and its restarts).
    _files: Option<Arc<tempfile::TempDir>>,
    /// The PostgreSQL schema this test made, dropped with it.
    schema: Option<String>,
}

/// Argon2 at a cost tests can afford; the binary always uses OWASP's.
pub const TEST_HASH_COST: HashCost = HashCost {
    memory_kib: 64,
    passes: 1,
};

/// What test servers' `/metrics` requires.
pub const TEST_METRICS_TOKEN: &str = "a test metrics token";

/// The secret test servers run with.
pub const TEST_SECRET: &str = "a test secret of at least thirty-two bytes";

/// A signed-in test user.
#[derive(Debug, Clone)]
pub struct Session {
    pub access_token: String,
    pub refresh_token: String,
    pub user_id: String,
}

/// Push settings for tests: no dispatcher unless a test asks for one.
fn quiet_push() -> PushConfig {
    PushConfig {
        workers: 0,
        ..PushConfig::DEFAULT
    }
}

pub async fn spawn_app(backend: Backend) -> Option<TestApp> {
    spawn_app_with(backend, Environment::Development, quiet_push()).await
}

pub async fn spawn_app_in(backend: Backend, environment: Environment) -> Option<TestApp> {
    spawn_app_with(backend, environment, quiet_push()).await
}

pub async fn spawn_app_with(
    backend: Backend,
    environment: Environment,
    push: PushConfig,
) -> Option<TestApp> {
    spawn_app_configured(backend, |config| {
        config.environment = environment;
        config.push = push;
    })
    .await
}

/// An app whose test settings `adjust` changes first.
pub async fn spawn_app_configured(
    backend: Backend,
    adjust: impl FnOnce(&mut ServerConfig),
) -> Option<TestApp> {
    let (database_url, files, schema) = match backend {
        Backend::Sqlite => {
            let dir = tempfile::tempdir().expect("temporary directory");
            let file = dir.path().join("relais.db");
            std::fs::copy(migrated_sqlite_template().await, &file).expect("template copied");
            let url = format!("sqlite://{}", file.display());
            (url, Some(Arc::new(dir)), None)
        }
        Backend::Postgres => {
            let (url, schema) = fresh_postgres_schema().await?;
            (url, None, Some(schema))
        }
    };
    let mut config = test_config(&database_url, Environment::Development, quiet_push());
    adjust(&mut config);
    let mut app = start(config, files).await;
    app.schema = schema;
    Some(app)
}

/// A SQLite file with every migration applied, made once per test process: each test copies it
/// instead of migrating its own.
async fn migrated_sqlite_template() -> &'static std::path::Path {
    static TEMPLATE: tokio::sync::OnceCell<std::path::PathBuf> = tokio::sync::OnceCell::const_new();
    TEMPLATE
        .get_or_init(|| async {
            let dir = Box::leak(Box::new(tempfile::tempdir().expect("temporary directory")));
            let file = dir.path().join("template.db");
            let url = format!("sqlite://{}", file.display());
            // Closing the pool checkpoints the WAL into the file.
            drop(
                relais::db::Db::connect(&url, relais::db::STATEMENT_TIMEOUT_DEFAULT)
                    .await
                    .expect("template migrated"),
            );
            let _ = std::fs::remove_file(dir.path().join("template.db-wal"));
            file
        })
        .await
}

/// A schema of its own in the `TEST_POSTGRES_URL` database, as a URL whose search_path is it,
/// with the schema's name. Migrating a schema measured faster than copying a template database
/// (CREATE DATABASE … TEMPLATE, then DROP DATABASE) on the development machine.
pub async fn fresh_postgres_schema() -> Option<(String, String)> {
    let base = std::env::var("TEST_POSTGRES_URL")
        .ok()
        .filter(|url| !url.is_empty())?;
    Some(
        tokio::task::spawn_blocking(move || crate::process::fresh_schema(&base, "relais_test"))
            .await
            .expect("the schema task ends"),
    )
}

/// Drops a test's schema; waits at most a few seconds for locks, and leaves it on failure.
pub fn drop_postgres_schema(schema: &str) {
    let Ok(base) = std::env::var("TEST_POSTGRES_URL") else {
        return;
    };
    let owned = schema.to_owned();
    let dropped = std::thread::spawn(move || crate::process::drop_schema(&base, &owned)).join();
    if !matches!(dropped, Ok(true)) {
        eprintln!("test schema {schema} left in place");
    }
}

async fn start(config: ServerConfig, files: Option<Arc<tempfile::TempDir>>) -> TestApp {
    // Logs go through the test harness, shown only for failing tests.
    let _already_installed = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_test_writer()
        .try_init();
    let database_url = config.database_url.as_str().to_owned();
    let state = app::build_state(config.clone()).await.expect("app state");
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = app::serve(state.clone(), listener).expect("server");
    let handle = server.handle();
    tokio::spawn(server);
    let background = relais::background::Background::start(&state, config.push.workers);
    TestApp {
        base_url: format!("http://127.0.0.1:{port}"),
        state,
        http: reqwest::Client::new(),
        database_url,
        handle,
        background,
        config,
        _files: files,
        schema: None,
    }
}

/// The settings test servers run with: one HTTP worker, cheap hashing, a sign-in budget no
/// test reaches unless it lowers it.
pub fn test_config(database_url: &str, environment: Environment, push: PushConfig) -> ServerConfig {
    ServerConfig {
        addr: "127.0.0.1:0".parse().unwrap(),
        database_url: DatabaseUrl::new(database_url),
        statement_timeout: relais::db::STATEMENT_TIMEOUT_DEFAULT,
        environment,
        secret: SecretSource::Given(TEST_SECRET.into()),
        auth_rate_per_minute: std::num::NonZeroU32::new(100_000).unwrap(),
        session_concurrency: std::num::NonZeroU32::new(4).unwrap(),
        trusted_proxies: Vec::new(),
        public_url: "http://relais.test".into(),
        http_workers: Some(1),
        cors_origins: Vec::new(),
        hsts_seconds: None,
        metrics_token: Some(TEST_METRICS_TOKEN.into()),
        password_cost: TEST_HASH_COST,
        push,
        // No mail dispatcher unless a test asks (like pushes): the tests that read mails send
        // them with `mail::deliver_mails`, and statement counts see no background work.
        mail: MailConfig {
            workers: 0,
            ..MailConfig::folder(
                std::env::temp_dir().join(format!("relais-mail-{}", uuid::Uuid::now_v7())),
            )
        },
        retention: Retention::DEFAULT,
        checkins: CheckinConfig::DEFAULT,
        consents: ConsentVersions::default(),
        support_wait: ServerConfig::SUPPORT_WAIT_DEFAULT,
        identity: IdentityConfig::default(),
        supporters_must_be_verified: false,
    }
}

impl TestApp {
    /// Stops this server and starts a new one on the same database.
    pub async fn restart(mut self) -> TestApp {
        self.handle.stop(true).await;
        self.stop_background().await;
        let mut restarted = start(self.config.clone(), self._files.clone()).await;
        restarted.schema = self.schema.take();
        restarted
    }

    /// Stops the push dispatchers as a shutdown would; the server keeps answering.
    pub async fn stop_background(&mut self) {
        let idle = relais::background::Background::start(&self.state, 0);
        std::mem::replace(&mut self.background, idle).stop().await;
    }

    /// The `/metrics` page, read with the test token (which must be let in).
    pub async fn metrics(&self) -> String {
        let response = self
            .http
            .get(format!("{}/metrics", self.base_url))
            .bearer_auth(TEST_METRICS_TOKEN)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "the test token reads /metrics");
        response.text().await.unwrap()
    }

    pub async fn post_graphql(&self, body: Value, headers: &[(&str, &str)]) -> reqwest::Response {
        let mut request = self
            .http
            .post(format!("{}/graphql", self.base_url))
            .json(&body);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        request.send().await.expect("request sent")
    }

    /// `who` blocks `whom` (checked).
    pub async fn block(&self, who: &Session, whom: &Session) {
        let answer = self
            .gql(
                Some(&who.access_token),
                "mutation($id: ID!) { blockUser(userId: $id) }",
                json!({ "id": whom.user_id }),
            )
            .await;
        assert_eq!(answer["data"]["blockUser"], true, "{answer}");
    }

    /// Runs a GraphQL operation, as `token`'s holder when given, and returns the JSON answer.
    pub async fn gql(&self, token: Option<&str>, query: &str, variables: Value) -> Value {
        let bearer = token.map(|token| format!("Bearer {token}"));
        let headers: Vec<(&str, &str)> = bearer
            .iter()
            .map(|value| ("authorization", value.as_str()))
            .collect();
        let response = self
            .post_graphql(json!({ "query": query, "variables": variables }), &headers)
            .await;
        assert_eq!(response.status(), 200);
        response.json().await.expect("JSON answer")
    }

    /// Registers `email` with sensible defaults, as the app leaves a person after onboarding:
    /// address confirmed, the current texts agreed to.
    pub async fn register(&self, email: &str) -> Session {
        self.register_with(default_registration(email)).await
    }

    pub async fn register_with(&self, input: Value) -> Session {
        let session = self.register_unconfirmed_with(input).await;
        let user_id = relais::ids::UserId::from_client(session.user_id.clone());
        relais::accounts::service::set_address_confirmed(&self.state.db, &user_id)
            .await
            .expect("address confirmed");
        let versions = &self.state.config.consents;
        let agreed = self
            .gql(
                Some(&session.access_token),
                "mutation($terms: String!, $health: String!) {
                    terms: giveConsent(purpose: TERMS, version: $terms) { consentsNeeded }
                    health: giveConsent(purpose: HEALTH_DATA, version: $health) { consentsNeeded } }",
                json!({ "terms": versions.terms, "health": versions.health_data }),
            )
            .await;
        assert_eq!(
            agreed["data"]["health"]["consentsNeeded"],
            json!([]),
            "{agreed}"
        );
        session
    }

    /// Registers `email` and stops there: an address to confirm, no consent given.
    pub async fn register_unconfirmed(&self, email: &str) -> Session {
        self.register_unconfirmed_with(default_registration(email))
            .await
    }

    pub async fn register_unconfirmed_with(&self, input: Value) -> Session {
        let answer = self
            .gql(
                None,
                "mutation($input: RegisterInput!) { register(input: $input) {
                    accessToken refreshToken viewer { user { id } } } }",
                json!({ "input": input }),
            )
            .await;
        session_of(&answer["data"]["register"])
    }
}

fn default_registration(email: &str) -> Value {
    json!({
        "email": email,
        "password": "a long enough password",
        "displayName": email.split('@').next().unwrap(),
        "profession": "NURSE",
    })
}

/// The session in an `AuthPayload`.
pub fn session_of(payload: &Value) -> Session {
    Session {
        access_token: payload["accessToken"]
            .as_str()
            .expect("accessToken")
            .to_owned(),
        refresh_token: payload["refreshToken"]
            .as_str()
            .expect("refreshToken")
            .to_owned(),
        user_id: payload["viewer"]["user"]["id"]
            .as_str()
            .expect("user id")
            .to_owned(),
    }
}

/// The `extensions.code` of the answer's first error.
pub fn error_code(answer: &Value) -> &str {
    answer["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("expected an error, got {answer}"))
}

/// The `extensions.field` of the answer's first error.
pub fn error_field(answer: &Value) -> &str {
    answer["errors"][0]["extensions"]["field"]
        .as_str()
        .unwrap_or_else(|| panic!("expected a field error, got {answer}"))
}

/// The message of the answer's first error.
pub fn error_message(answer: &Value) -> &str {
    answer["errors"][0]["message"].as_str().unwrap_or_default()
}

/// A TCP relay to the test PostgreSQL server that a test can cut, to see the app lose its database.
pub struct CuttableRelay {
    pub database_url: String,
    cut: tokio::sync::watch::Sender<bool>,
    /// The schema behind it, dropped with it.
    schema: String,
}

impl CuttableRelay {
    /// A relay to the host and port of `database_url`; `None` without PostgreSQL.
    pub async fn to_test_postgres() -> Option<CuttableRelay> {
        let (database_url, schema) = fresh_postgres_schema().await?;
        let upstream = {
            let after_scheme = database_url.split_once("://")?.1;
            let host_port = after_scheme.split(['/', '?']).next()?;
            let host_port = host_port.rsplit('@').next()?;
            if host_port.contains(':') {
                host_port.to_owned()
            } else {
                format!("{host_port}:5432")
            }
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let relay_addr = listener.local_addr().unwrap().to_string();
        let (cut, cut_watch) = tokio::sync::watch::channel(false);
        tokio::spawn(async move {
            loop {
                let Ok((mut client, _)) = listener.accept().await else {
                    return;
                };
                // While cut, connections are refused: dropped as soon as they arrive.
                if *cut_watch.borrow() {
                    continue;
                }
                let upstream = upstream.clone();
                let mut connection_watch = cut_watch.clone();
                tokio::spawn(async move {
                    let Ok(mut server) = tokio::net::TcpStream::connect(upstream).await else {
                        return;
                    };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                        _ = connection_watch.wait_for(|cut| *cut) => {}
                    }
                });
            }
        });
        let (prefix, rest) = database_url.split_once("://")?;
        let credentials = rest
            .split_once('@')
            .map(|(credentials, _)| format!("{credentials}@"))
            .unwrap_or_default();
        let path = &rest[rest.find(['/', '?']).unwrap_or(rest.len())..];
        Some(CuttableRelay {
            database_url: format!("{prefix}://{credentials}{relay_addr}{path}"),
            cut,
            schema,
        })
    }

    /// Drops every relayed connection and refuses new ones.
    pub fn cut(&self) {
        self.cut.send_replace(true);
    }

    /// Relays new connections again, as a database back from an outage.
    pub fn restore(&self) {
        self.cut.send_replace(false);
    }
}

/// An app on `database_url` (development settings, then `adjust`): another instance on the
/// database of a running one, or on a relay to it.
pub async fn spawn_app_on(database_url: String, adjust: impl FnOnce(&mut ServerConfig)) -> TestApp {
    let mut config = test_config(&database_url, Environment::Development, quiet_push());
    adjust(&mut config);
    start(config, None).await
}

/// Push settings aimed at `fcm`, with short delays so that retries happen within a test.
pub fn push_config_for(fcm: &crate::fake_fcm::FakeFcm) -> PushConfig {
    PushConfig {
        service_account: Some(fcm.service_account_path.clone()),
        endpoint: fcm.base_url.clone(),
        workers: 1,
        max_attempts: 4,
        retry_base: std::time::Duration::from_millis(100),
        retry_cap: std::time::Duration::from_millis(400),
        timeout: std::time::Duration::from_secs(1),
        lease: std::time::Duration::from_secs(3),
        poll_interval: std::time::Duration::from_millis(50),
        ..PushConfig::DEFAULT
    }
}

/// Polls `check` until it returns `Some`, for at most `seconds`.
pub async fn eventually<T, F, Fut>(seconds: u64, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(seconds);
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "condition not met within {seconds} s"
        );
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
}

impl Drop for CuttableRelay {
    fn drop(&mut self) {
        drop_postgres_schema(&self.schema);
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        // The stop command is sent at once; nothing needs to wait for it.
        drop(self.handle.stop(false));
        if let Some(schema) = self.schema.take() {
            drop_postgres_schema(&schema);
        }
    }
}

/// The kinds of the notifications `user` has received (scheduled ones not yet), oldest first.
pub async fn received_kinds(app: &TestApp, user: &str) -> Vec<String> {
    use diesel::prelude::*;
    use relais::db::schema::notifications;
    let user = user.to_owned();
    app.state
        .db
        .run(move |conn| {
            Ok(notifications::table
                .filter(notifications::user_id.eq(user))
                .filter(notifications::schedule_key.is_null())
                .order((notifications::created_at, notifications::id))
                .select(notifications::kind)
                .load(conn)?)
        })
        .await
        .unwrap()
}

/// The tests' `relais serve` on `database_url`: nothing from the caller's environment, a fixed
/// secret (the same across restarts, so sessions stay valid), two HTTP workers, a sign-in
/// budget no test reaches, mail into a folder, errors only on stderr.
pub fn relais_command(database_url: &str, secret: &str) -> std::process::Command {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_relais"));
    command
        .env_clear()
        .env("DATABASE_URL", database_url)
        .env("RELAIS_SECRET", secret)
        .env("RELAIS_AUTH_RATE_PER_MINUTE", "10000")
        .env("RELAIS_HTTP_WORKERS", "2")
        .env(
            "RELAIS_MAIL_DIR",
            std::env::temp_dir().join("relais-process-test-mail"),
        )
        .env("RUST_LOG", "error")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::inherit());
    command
}
