//! The HTTP surface: health, GraphiQL, limits, security headers, CORS, metrics, production
//! hardening, the schema file.

use relais::config::Environment;
use serde_json::json;

use crate::helpers::{Backend, TestApp, error_code, spawn_app_in};

on_both_backends!(
    health_names_the_backend,
    malformed_and_oversized_requests_are_refused,
    every_response_carries_the_security_headers,
    metrics_need_their_token,
    graphiql_comes_from_the_server_itself,
    large_answers_are_compressed_for_clients_that_ask,
    persisted_queries_follow_the_apollo_protocol,
);

on_both_backends!(with(crate::server::allowing_one_web_origin_over_https) =>
    cors_answers_configured_origins_only,
);

pub fn allowing_one_web_origin_over_https(config: &mut relais::config::ServerConfig) {
    config.cors_origins = vec!["https://app.example.org".into()];
    config.hsts_seconds = Some(31_536_000);
}

async fn every_response_carries_the_security_headers(app: TestApp) {
    let health = app
        .http
        .get(format!("{}/health", app.base_url))
        .send()
        .await
        .unwrap();
    let answer = app
        .post_graphql(json!({ "query": "{ me { email } }" }), &[])
        .await;
    let missing = app
        .http
        .get(format!("{}/no-such-route", app.base_url))
        .send()
        .await
        .unwrap();
    for response in [&health, &answer, &missing] {
        let headers = response.headers();
        assert_eq!(headers["x-content-type-options"], "nosniff");
        assert_eq!(headers["referrer-policy"], "no-referrer");
        assert_eq!(
            headers["content-security-policy"],
            relais::edges::CONTENT_SECURITY_POLICY
        );
        assert!(
            headers.get("strict-transport-security").is_none(),
            "not configured"
        );
        assert!(
            headers.get("access-control-allow-origin").is_none(),
            "CORS off"
        );
    }
    // GraphiQL runs its own scripts: no policy there, the other headers still.
    let graphiql = app
        .http
        .get(format!("{}/graphql", app.base_url))
        .send()
        .await
        .unwrap();
    assert!(graphiql.headers().get("content-security-policy").is_none());
    assert_eq!(graphiql.headers()["x-content-type-options"], "nosniff");
    // A browser on another origin gets no CORS answer by default.
    let preflight = app
        .http
        .request(
            reqwest::Method::OPTIONS,
            format!("{}/graphql", app.base_url),
        )
        .header("origin", "https://app.example.org")
        .header("access-control-request-method", "POST")
        .send()
        .await
        .unwrap();
    assert!(
        preflight
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );
}

async fn cors_answers_configured_origins_only(app: TestApp) {
    let preflight = |origin: &'static str| {
        app.http
            .request(
                reqwest::Method::OPTIONS,
                format!("{}/graphql", app.base_url),
            )
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header(
                "access-control-request-headers",
                "authorization, content-type",
            )
            .send()
    };
    let allowed = preflight("https://app.example.org").await.unwrap();
    assert_eq!(allowed.status(), 200);
    assert_eq!(
        allowed.headers()["access-control-allow-origin"],
        "https://app.example.org"
    );
    let refused = preflight("https://elsewhere.example.org").await.unwrap();
    assert!(
        refused
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );
    let answer = app
        .post_graphql(
            json!({ "query": "{ me { email } }" }),
            &[("origin", "https://app.example.org")],
        )
        .await;
    assert_eq!(
        answer.headers()["access-control-allow-origin"],
        "https://app.example.org"
    );
    assert_eq!(
        answer.headers()["strict-transport-security"],
        "max-age=31536000"
    );
}

async fn metrics_need_their_token(app: TestApp) {
    let metrics = |token: Option<&'static str>| {
        let mut request = app.http.get(format!("{}/metrics", app.base_url));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send()
    };
    assert_eq!(metrics(None).await.unwrap().status(), 404);
    assert_eq!(metrics(Some("a guess")).await.unwrap().status(), 404);
    assert!(
        app.metrics()
            .await
            .contains("relais_push_outbox_lag_seconds")
    );

    // Requests by operation name and outcome, their latency, the pool, open subscriptions.
    let ana = app.register("ana@example.org").await;
    app.gql(
        Some(&ana.access_token),
        "query Me { me { email } }",
        json!({}),
    )
    .await;
    app.gql(None, "query Groups { myGroups { id } }", json!({}))
        .await;
    let socket = crate::sockets::signed_in_socket(&app, &ana).await;
    let text = crate::helpers::eventually(10, || async {
        let text = app.metrics().await;
        text.contains("relais_subscriptions_open 1").then_some(text)
    })
    .await;
    for expected in [
        "relais_graphql_requests_total{operation=\"Me\",outcome=\"OK\"} 1",
        "relais_graphql_requests_total{operation=\"Groups\",outcome=\"UNAUTHENTICATED\"} 1",
        "relais_graphql_request_duration_seconds_count{operation=\"Me\"} 1",
        "relais_db_pool_wait_seconds_count",
        "relais_db_pool_connections{state=\"idle\"}",
    ] {
        assert!(text.contains(expected), "{expected} not in {text}");
    }
    drop(socket);
}

async fn health_names_the_backend(app: TestApp) {
    let response = app
        .http
        .get(format!("{}/health", app.base_url))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["status"], "ok");
    assert_eq!(body["database"], app.state.db.backend().name());

    let graphiql = app
        .http
        .get(format!("{}/graphql", app.base_url))
        .send()
        .await
        .unwrap();
    assert_eq!(graphiql.status(), 200);
    assert!(graphiql.text().await.unwrap().contains("graphiql"));
}

async fn malformed_and_oversized_requests_are_refused(app: TestApp) {
    let response = app
        .http
        .post(format!("{}/graphql", app.base_url))
        .header("content-type", "application/json")
        .body("{ not json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(error_code(&body), "BAD_USER_INPUT");

    let huge = "x".repeat(relais::app::MAX_BODY_BYTES + 1);
    let response = app
        .post_graphql(
            json!({ "query": format!("{{ me {{ email }} }} # {huge}") }),
            &[],
        )
        .await;
    assert_eq!(response.status(), 413);

    // Queries deeper than the limit are refused before they run.
    let answer = app.gql(None, &too_deep_query(), json!({})).await;
    assert!(
        answer["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("trop imbriquée"),
        "{answer}"
    );
    assert_eq!(error_code(&answer), "BAD_USER_INPUT");
    assert_eq!(answer["errors"][0]["extensions"]["field"], "query");
    // Fragments count as deep as what they spread.
    let through_fragments = "{ a { ...F1 } }
        fragment F1 on X { b { ...F2 } }
        fragment F2 on X { c d { ...F3 } }
        fragment F3 on X { e { f { g { h { ...F4 } } } } }
        fragment F4 on X { i { j { k { l { m { n } } } } } }";
    let refused = app.gql(None, through_fragments, json!({})).await;
    assert!(
        refused["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("trop imbriquée"),
        "{refused}"
    );

    // Introspection is left out of the depth: GraphiQL's query, ofType nine deep, is answered.
    let of_type = (0..9).fold(String::from("kind name"), |inner, _| {
        format!("kind name ofType {{ {inner} }}")
    });
    let introspection = format!(
        "query IntrospectionQuery {{ __schema {{ queryType {{ name }} types {{ ...FullType }} }} }}
         fragment FullType on __Type {{ kind name fields(includeDeprecated: true) {{ name
           args {{ name type {{ ...TypeRef }} }} type {{ ...TypeRef }} }} }}
         fragment TypeRef on __Type {{ {of_type} }}"
    );
    let answer = app.gql(None, &introspection, json!({})).await;
    assert!(answer["errors"].is_null(), "{answer}");
    assert_eq!(answer["data"]["__schema"]["queryType"]["name"], "Query");
}

#[tokio::test]
async fn production_hides_graphiql_introspection_and_suggestions() {
    let app = spawn_app_in(Backend::Sqlite, Environment::Production)
        .await
        .unwrap();
    let graphiql = app
        .http
        .get(format!("{}/graphql", app.base_url))
        .send()
        .await
        .unwrap();
    assert_eq!(graphiql.status(), 404);
    let asset = app
        .http
        .get(format!("{}/graphiql/graphiql.min.js", app.base_url))
        .send()
        .await
        .unwrap();
    assert_eq!(asset.status(), 404);
    let answer = app
        .gql(None, "{ __schema { types { name } } }", json!({}))
        .await;
    assert_eq!(answer["data"]["__schema"], json!(null), "{answer}");
    let answer = app.gql(None, "{ usr(id: \"x\") { id } }", json!({})).await;
    let message = answer["errors"][0]["message"].as_str().unwrap();
    assert!(!message.contains("Did you mean"), "{message}");

    let dev = crate::helpers::spawn_app(Backend::Sqlite).await.unwrap();
    let answer = dev.gql(None, "{ usr(id: \"x\") { id } }", json!({})).await;
    assert!(
        answer["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("Did you mean"),
        "{answer}"
    );
}

#[test]
fn schema_file_matches_the_code() {
    let checked_in =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql"))
            .expect("schema.graphql is checked in");
    assert!(
        checked_in == relais::graphql::sdl(),
        "schema.graphql is stale: run `cargo run -- schema > schema.graphql`"
    );
}

/// Every type, field, argument and enum value of the served schema says what it is, as the apps'
/// code generation reads it: a new one without a description fails here.
#[tokio::test]
async fn every_schema_element_has_a_description() {
    let app = crate::helpers::spawn_app(Backend::Sqlite).await.unwrap();
    let answer = app
        .gql(
            None,
            "{ __schema { types { name description
                fields(includeDeprecated: true) { name description args { name description } }
                inputFields { name description }
                enumValues(includeDeprecated: true) { name description } } } }",
            json!({}),
        )
        .await;
    let types = answer["data"]["__schema"]["types"]
        .as_array()
        .unwrap_or_else(|| panic!("{answer}"));
    let described = |item: &serde_json::Value| {
        item["description"]
            .as_str()
            .is_some_and(|text| !text.trim().is_empty())
    };
    let mut missing = Vec::new();
    for kind in types {
        let name = kind["name"].as_str().unwrap();
        if name.starts_with("__") || ["String", "Int", "Float", "Boolean", "ID"].contains(&name) {
            continue;
        }
        if !described(kind) {
            missing.push(name.to_owned());
        }
        let members = ["fields", "inputFields", "enumValues"]
            .iter()
            .filter_map(|list| kind[*list].as_array())
            .flatten();
        for member in members {
            let member_name = format!("{name}.{}", member["name"].as_str().unwrap());
            if !described(member) {
                missing.push(member_name.clone());
            }
            for argument in member["args"].as_array().into_iter().flatten() {
                if !described(argument) {
                    missing.push(format!(
                        "{member_name}({})",
                        argument["name"].as_str().unwrap()
                    ));
                }
            }
        }
    }
    assert!(types.len() > 100, "{answer}");
    assert!(missing.is_empty(), "without a description: {missing:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_outage_fails_requests_and_the_server_recovers() {
    let Some(relay) = crate::helpers::CuttableRelay::to_test_postgres().await else {
        eprintln!("TEST_POSTGRES_URL unset: health outage test skipped");
        return;
    };
    let app = crate::helpers::spawn_app_on(relay.database_url.clone(), |_| {}).await;
    let health = format!("{}/health", app.base_url);
    assert_eq!(app.http.get(&health).send().await.unwrap().status(), 200);
    let ana = app.register("ana@example.org").await;
    relay.cut();
    let response = app.http.get(&health).send().await.unwrap();
    assert_eq!(response.status(), 503);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(
        body,
        json!({ "status": "unavailable", "database": "postgres",
                "dispatchers": { "expected": 0, "running": 0, "restarts": 0 } })
    );
    // A request fails (503, INTERNAL) once the pool gives up waiting, rather than hanging (the
    // bound here only catches a hang; it is no speed target).
    let bearer = format!("Bearer {}", ana.access_token);
    let response = tokio::time::timeout(
        std::time::Duration::from_secs(60),
        app.post_graphql(
            json!({ "query": "{ me { email } }" }),
            &[("authorization", &bearer)],
        ),
    )
    .await
    .expect("the request ends");
    assert_eq!(response.status(), 503);
    let answer: serde_json::Value = response.json().await.unwrap();
    assert_eq!(error_code(&answer), "INTERNAL", "{answer}");
    // The database comes back: the server recovers by itself.
    relay.restore();
    crate::helpers::eventually(30, || async {
        let status = app.http.get(&health).send().await.ok()?.status();
        (status == 200).then_some(())
    })
    .await;
    let answer = app
        .gql(Some(&ana.access_token), "{ me { email } }", json!({}))
        .await;
    assert_eq!(answer["data"]["me"]["email"], "ana@example.org", "{answer}");
}

/// Runs the `relais` binary with `env` and `args`; returns its exit status and stderr.
pub(crate) fn run_relais(
    env: &[(&str, &str)],
    args: &[&str],
) -> (std::process::ExitStatus, String, String) {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_relais"))
        .args(args)
        .env_remove("DATABASE_URL")
        .env_remove("RELAIS_ENV")
        .env_remove("RELAIS_SECRET")
        .env_remove("RELAIS_SECRET_FILE")
        .env_remove("FCM_SERVICE_ACCOUNT")
        .env("RUST_LOG", "error")
        .env("RELAIS_ADDR", "127.0.0.1:0")
        .envs(env.iter().copied())
        .output()
        .expect("relais runs");
    (
        output.status,
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn bad_configuration_stops_start_up_with_one_line_naming_the_variable() {
    let dir = tempfile::tempdir().unwrap();
    let missing_account = dir.path().join("absent.json");
    // Support services with nothing for a worrying result: refused.
    let without_help = dir.path().join("resources");
    std::fs::create_dir(&without_help).unwrap();
    std::fs::write(
        without_help.join("fr.json"),
        r#"{"resources": [{"name": "A", "description": "B", "bands": ["GOOD"]}]}"#,
    )
    .unwrap();
    let cases = [
        (
            vec![("DATABASE_URL", "mysql://localhost/relais")],
            "relais: DATABASE_URL:",
        ),
        (
            vec![
                ("DATABASE_URL", "postgres://relais@127.0.0.1:1/relais"),
                ("RELAIS_SECRET", "a secret of at least thirty-two bytes"),
            ],
            "relais: DATABASE_URL: cannot open",
        ),
        (
            vec![("DATABASE_URL", "postgres://relais@127.0.0.1:1/relais")],
            "relais: RELAIS_SECRET (or RELAIS_SECRET_FILE) must be set on PostgreSQL",
        ),
        (
            vec![("RELAIS_ENV", "production")],
            "relais: RELAIS_SECRET (or RELAIS_SECRET_FILE) must be set when RELAIS_ENV=production",
        ),
        (
            vec![("RELAIS_CORS_ORIGINS", "https://app.example.org/path")],
            "relais: RELAIS_CORS_ORIGINS: `https://app.example.org/path` is not an origin",
        ),
        (
            vec![
                ("RELAIS_ENV", "production"),
                ("RELAIS_SECRET", "                                        "),
            ],
            "relais: RELAIS_SECRET must not be blank or one character repeated",
        ),
        (
            vec![
                ("RELAIS_ENV", "production"),
                ("RELAIS_SECRET", "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"),
            ],
            "relais: RELAIS_SECRET must not be blank or one character repeated",
        ),
        (
            vec![
                ("RELAIS_ENV", "production"),
                ("RELAIS_SECRET_FILE", "/nonexistent/relais.secret"),
                ("RELAIS_SMTP_URL", "smtp://mail.example.org"),
            ],
            "relais: RELAIS_SECRET_FILE: /nonexistent/relais.secret:",
        ),
        (
            vec![
                ("RELAIS_ENV", "production"),
                ("RELAIS_SECRET", "a secret of at least thirty-two bytes"),
            ],
            "relais: RELAIS_SMTP_URL must be set when RELAIS_ENV=production",
        ),
        (
            vec![("RELAIS_SMTP_URL", "http://mail.example.org")],
            "relais: RELAIS_SMTP_URL is not smtp://host or smtps://host",
        ),
        (
            vec![("RELAIS_MAIL_FROM", "not a mailbox")],
            "relais: RELAIS_MAIL_FROM: `not a mailbox` is not a mailbox",
        ),
        (
            vec![("RELAIS_TRUSTED_PROXIES", "10.0.0.1,proxy.example")],
            "relais: RELAIS_TRUSTED_PROXIES: `proxy.example` is not an IP address",
        ),
        (
            vec![("RELAIS_AUTH_RATE_PER_MINUTE", "0")],
            "relais: RELAIS_AUTH_RATE_PER_MINUTE must be at least 1",
        ),
        (
            vec![("RELAIS_SECRET", "too short")],
            "relais: RELAIS_SECRET must be at least 32 bytes",
        ),
        (
            vec![("RELAIS_PUBLIC_URL", "relais.example.org")],
            "relais: RELAIS_PUBLIC_URL: `relais.example.org` is not an http(s) URL",
        ),
        (
            vec![("RELAIS_RETENTION_READ_NOTIFICATIONS_DAYS", "0")],
            "relais: RELAIS_RETENTION_READ_NOTIFICATIONS_DAYS must be at least 1",
        ),
        (
            vec![("RELAIS_ADDR", "not-an-address")],
            "relais: RELAIS_ADDR:",
        ),
        (
            vec![("RELAIS_CHECKIN_MIN_RESPONDENTS", "2")],
            "relais: RELAIS_CHECKIN_MIN_RESPONDENTS must be at least 3",
        ),
        (
            vec![("RELAIS_RETENTION_OUTREACH_DAYS", "6")],
            "relais: RELAIS_RETENTION_OUTREACH_DAYS must be at least 7",
        ),
        (
            vec![("RELAIS_WELLBEING_PERIOD_WEEKS", "5")],
            "relais: RELAIS_WELLBEING_PERIOD_WEEKS must be between 1 and 4",
        ),
        (
            vec![("RELAIS_WELLBEING_EPSILON", "0")],
            "relais: RELAIS_WELLBEING_EPSILON must be above 0 and at most 10",
        ),
        (
            vec![("RELAIS_WELLBEING_EPSILON", "NaN")],
            "relais: RELAIS_WELLBEING_EPSILON must be above 0 and at most 10",
        ),
        (
            vec![("RELAIS_WELLBEING_MAX_MARGIN", "-1")],
            "relais: RELAIS_WELLBEING_MAX_MARGIN must be above 0 and at most 100",
        ),
        (
            vec![("RELAIS_SUPPORT_RESOURCES", without_help.to_str().unwrap())],
            "relais: RELAIS_SUPPORT_RESOURCES:",
        ),
        (
            vec![("FCM_SERVICE_ACCOUNT", missing_account.to_str().unwrap())],
            "relais: FCM_SERVICE_ACCOUNT:",
        ),
    ];
    for (env, expected) in cases {
        let database = format!("sqlite://{}", dir.path().join("relais.db").display());
        let mut env = env;
        if !env.iter().any(|(name, _)| *name == "DATABASE_URL") {
            env.push(("DATABASE_URL", &database));
        }
        let (status, _, stderr) = run_relais(&env, &["serve"]);
        assert!(!status.success(), "{env:?}");
        assert_eq!(
            stderr.lines().count(),
            1,
            "one line, no panic trace: {stderr}"
        );
        assert!(stderr.starts_with(expected), "{env:?}: {stderr}");
        assert!(!stderr.contains("panicked"));
    }
}

#[tokio::test]
async fn grant_role_and_migrate_run_from_the_command_line() {
    let app = crate::helpers::spawn_app(Backend::Sqlite).await.unwrap();
    let session = app.register("lea@example.org").await;
    let url = app.database_url.clone();
    let env = [("DATABASE_URL", url.as_str())];
    let (status, stdout, _) = run_relais(
        &env,
        &[
            "grant-role",
            "--email",
            "LEA@example.org",
            "--role",
            "moderator",
        ],
    );
    assert!(status.success());
    assert_eq!(stdout.trim(), "LEA@example.org is now MODERATOR");
    let (status, _, stderr) = run_relais(
        &env,
        &[
            "grant-role",
            "--email",
            "nobody@example.org",
            "--role",
            "ADMIN",
        ],
    );
    assert!(!status.success());
    assert_eq!(
        stderr.trim(),
        "relais: no account with email nobody@example.org"
    );
    let (status, _, stderr) = run_relais(
        &env,
        &["grant-role", "--email", "lea@example.org", "--role", "KING"],
    );
    assert!(!status.success());
    assert!(
        stderr.contains("ORGANISER, MODERATOR, ADMIN, PEER_SUPPORTER"),
        "{stderr}"
    );
    let (_, help, _) = run_relais(&[], &["grant-role", "--help"]);
    assert!(help.contains("PEER_SUPPORTER"), "{help}");
    let me = app
        .gql(Some(&session.access_token), "{ me { roles } }", json!({}))
        .await;
    assert_eq!(me["data"]["me"]["roles"], json!(["MODERATOR"]));

    let (status, stdout, _) = run_relais(&env, &["migrate"]);
    assert!(status.success());
    assert_eq!(stdout.trim(), "migrations applied");
    let (status, stdout, _) = run_relais(&[], &["schema"]);
    assert!(status.success());
    assert_eq!(stdout, relais::graphql::sdl());
}

#[test]
fn debug_output_never_shows_a_secret_a_password_or_a_token() {
    use relais::accounts::model::{Profession, RegistrationForm};
    use relais::auth::model::IssuedTokens;
    use relais::notifications::fcm::ServiceAccount;
    use relais::notifications::model::{Device, Platform};

    let config = crate::helpers::test_config(
        "postgres://relais:hunter2-database-password@db.internal/relais",
        Environment::Production,
        relais::config::PushConfig::DEFAULT,
    );
    let form = RegistrationForm {
        email: "ana@example.org".into(),
        password: "correct horse battery staple".into(),
        display_name: "Ana".into(),
        profession: Profession::Nurse,
        languages: None,
        region: None,
        timezone: None,
        locale: None,
    };
    let tokens = IssuedTokens {
        user_id: relais::ids::UserId::generate(),
        session_id: relais::ids::SessionId::generate(),
        access_token: "access-token-in-clear".into(),
        access_token_expires_at: chrono::Utc::now(),
        refresh_token: "refresh-token-in-clear".into(),
    };
    let device = Device {
        id: relais::ids::DeviceId::generate(),
        user_id: relais::ids::UserId::generate(),
        token: "fcm-registration-token".into(),
        platform: Platform::Android,
        created_at: chrono::Utc::now().naive_utc(),
        last_seen_at: chrono::Utc::now().naive_utc(),
    };
    let account: ServiceAccount = serde_json::from_value(json!({
        "project_id": "p", "client_email": "c@p.iam", "token_uri": "https://t",
        "private_key": "-----BEGIN PRIVATE KEY-----secret-key-material",
    }))
    .unwrap();
    let shown = format!("{config:?} {form:?} {tokens:?} {device:?} {account:?}");
    for secret in [
        crate::helpers::TEST_SECRET,
        "hunter2-database-password",
        "correct horse battery staple",
        "access-token-in-clear",
        "refresh-token-in-clear",
        "fcm-registration-token",
        "secret-key-material",
    ] {
        assert!(!shown.contains(secret), "{secret} shown in {shown}");
    }
}

#[test]
fn purge_deletes_now_and_says_what_went() {
    let dir = tempfile::tempdir().unwrap();
    let database = format!("sqlite://{}", dir.path().join("relais.db").display());
    let env = [("DATABASE_URL", database.as_str())];
    let (status, stdout, stderr) = run_relais(&env, &["purge"]);
    assert!(status.success(), "{stderr}");
    for kind in [
        "ended sessions: 0 deleted",
        "read notifications: 0 deleted",
        "finished pushes: 0 deleted",
        "idle devices: 0 deleted",
    ] {
        assert!(stdout.lines().any(|line| line == kind), "{kind}: {stdout}");
    }
    let (status, _, stderr) = run_relais(
        &[
            ("DATABASE_URL", database.as_str()),
            ("RELAIS_RETENTION_ENDED_SESSIONS_DAYS", "0"),
        ],
        &["purge"],
    );
    assert!(!status.success());
    assert!(
        stderr.starts_with("relais: RELAIS_RETENTION_ENDED_SESSIONS_DAYS must be at least 1"),
        "{stderr}"
    );
}

async fn graphiql_comes_from_the_server_itself(app: TestApp) {
    let page = app
        .http
        .get(format!("{}/graphql", app.base_url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    // No other host: everything it loads is a path on this server.
    assert!(!page.contains("://"), "{page}");
    let loaded: Vec<&str> = page
        .split(['"', '\''])
        .filter(|part| part.starts_with("/graphiql/"))
        .collect();
    assert_eq!(loaded.len(), 6, "{loaded:?}");
    for path in loaded {
        let response = app
            .http
            .get(format!("{}{path}", app.base_url))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{path}");
        let kind = response.headers()["content-type"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(
            kind.starts_with(if path.ends_with(".css") {
                "text/css"
            } else {
                "text/javascript"
            }),
            "{path}: {kind}"
        );
        assert!(!response.bytes().await.unwrap().is_empty(), "{path}");
    }
    // Subscriptions present the token of the Headers tab: the fetcher picks the websocket by the
    // headers GraphiQL hands it for each operation, not by what it persisted.
    let start = app
        .http
        .get(format!("{}/graphiql/start.js", app.base_url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        start.contains("authorization(options && options.headers)"),
        "{start}"
    );
    assert!(start.contains("socketFor(token)"), "{start}");
    assert!(!start.contains("localStorage"), "{start}");
    let unknown = app
        .http
        .get(format!("{}/graphiql/elsewhere.js", app.base_url))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);
}

/// POSTs `body` to `/graphql` with `accept-encoding`; returns the content encoding, the `Vary`
/// header and the raw bytes.
async fn raw_graphql(
    app: &TestApp,
    body: &serde_json::Value,
    accept: &str,
) -> (Option<String>, Option<String>, Vec<u8>) {
    let response = app
        .post_graphql(body.clone(), &[("accept-encoding", accept)])
        .await;
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .map(|value| value.to_str().unwrap().to_owned())
    };
    let (encoding, vary) = (header("content-encoding"), header("vary"));
    (encoding, vary, response.bytes().await.unwrap().to_vec())
}

async fn large_answers_are_compressed_for_clients_that_ask(app: TestApp) {
    use std::io::Read;
    let large = json!({ "query": "{ __schema { types { name description } } }" });
    let (encoding, vary, plain) = raw_graphql(&app, &large, "identity").await;
    assert_eq!(encoding, None);
    assert_eq!(vary.as_deref(), Some("accept-encoding"));
    assert!(plain.len() > 4 * relais::compression::COMPRESS_FROM);
    let plain: serde_json::Value = serde_json::from_slice(&plain).unwrap();

    let (encoding, _, brotli) = raw_graphql(&app, &large, "gzip, deflate, br").await;
    assert_eq!(encoding.as_deref(), Some("br"), "brotli preferred");
    let mut decoded = Vec::new();
    brotli::Decompressor::new(brotli.as_slice(), 4096)
        .read_to_end(&mut decoded)
        .unwrap();
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&decoded).unwrap(),
        plain
    );
    assert!(
        brotli.len() * 3 < decoded.len(),
        "{} → {}",
        decoded.len(),
        brotli.len()
    );

    let (encoding, _, gzip) = raw_graphql(&app, &large, "gzip").await;
    assert_eq!(encoding.as_deref(), Some("gzip"));
    let mut decoded = Vec::new();
    flate2::read::GzDecoder::new(gzip.as_slice())
        .read_to_end(&mut decoded)
        .unwrap();
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&decoded).unwrap(),
        plain
    );

    // A small answer is not worth it; an encoding the server lacks gets the plain text.
    let small = json!({ "query": "{ __typename }" });
    let (encoding, _, body) = raw_graphql(&app, &small, "br, gzip").await;
    assert_eq!(encoding, None);
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&body).unwrap()["data"]["__typename"],
        "Query"
    );
    let (encoding, _, _) = raw_graphql(&app, &large, "zstd").await;
    assert_eq!(encoding, None);
}

fn sha256_hex(text: &str) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(text.as_bytes())
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

async fn persisted_queries_follow_the_apollo_protocol(app: TestApp) {
    let ana = app.register("ana@example.org").await;
    let query = "query Me { me { email } }";
    let persisted = |hash: &str| json!({ "persistedQuery": { "version": 1, "sha256Hash": hash } });
    let bearer = format!("Bearer {}", ana.access_token);
    let signed_in = [("authorization", bearer.as_str())];
    let send = |body: serde_json::Value| async {
        let response = app.post_graphql(body, &signed_in).await;
        response.json::<serde_json::Value>().await.unwrap()
    };

    // The hash alone, before the server has seen the text: the client is asked for it.
    let unknown = send(json!({ "extensions": persisted(&sha256_hex(query)) })).await;
    assert_eq!(unknown["errors"][0]["message"], "PersistedQueryNotFound");
    assert_eq!(error_code(&unknown), "PERSISTED_QUERY_NOT_FOUND");
    // The text with its hash registers it; then the hash alone is enough.
    let registered =
        send(json!({ "query": query, "extensions": persisted(&sha256_hex(query)) })).await;
    assert_eq!(
        registered["data"]["me"]["email"], "ana@example.org",
        "{registered}"
    );
    let by_hash = send(json!({ "extensions": persisted(&sha256_hex(query)) })).await;
    assert_eq!(
        by_hash["data"]["me"]["email"], "ana@example.org",
        "{by_hash}"
    );

    // A text sent without its hash is parsed once and remembered: its hash alone then finds it.
    let plain = "query Plain { me { locale } }";
    let sent_as_text = send(json!({ "query": plain })).await;
    assert!(
        sent_as_text["data"]["me"]["locale"].is_string(),
        "{sent_as_text}"
    );
    let by_hash = send(json!({ "extensions": persisted(&sha256_hex(plain)) })).await;
    assert_eq!(by_hash["data"], sent_as_text["data"], "{by_hash}");

    // A text that does not match its hash is refused.
    let mismatched =
        send(json!({ "query": "{ __typename }", "extensions": persisted(&sha256_hex(query)) }))
            .await;
    assert_eq!(error_code(&mismatched), "BAD_USER_INPUT", "{mismatched}");

    // The request limits hold for a query sent by its hash too.
    let deep = too_deep_query();
    for body in [
        json!({ "query": deep, "extensions": persisted(&sha256_hex(&deep)) }),
        json!({ "extensions": persisted(&sha256_hex(&deep)) }),
    ] {
        let refused = send(body).await;
        assert!(
            refused["errors"][0]["message"]
                .as_str()
                .is_some_and(|message| message.contains("trop imbriquée")),
            "{refused}"
        );
    }
}

/// A query nested past the depth limit.
fn too_deep_query() -> String {
    format!(
        "{{ {}__typename{} }}",
        "me { user { ".repeat(7),
        " } }".repeat(7)
    )
}
