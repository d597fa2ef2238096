//! What an operations team relies on: health probes, backups that restore, logs a collector
//! reads without personal data, and rolling restarts that finish what they started.

use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use diesel::RunQueryDsl;
use serde_json::{Value, json};

use crate::crash::{assert_kept, groups_as_stored, start_writing, writers};
use crate::helpers::{TestApp, fresh_postgres_schema, relais_command, session_of};
use crate::process::RelaisProcess;
use crate::server::run_relais;
use crate::sockets::{Frame, connect_to, next_frame, send};

on_both_backends!(probes_tell_liveness_from_readiness);

const SECRET: &str = "a secret for the operations tests, long enough to key HMAC";

async fn probes_tell_liveness_from_readiness(app: TestApp) {
    let get = |path: &'static str| {
        let (http, base) = (app.http.clone(), app.base_url.clone());
        async move {
            let response = http.get(format!("{base}{path}")).send().await.unwrap();
            let status = response.status().as_u16();
            (status, response.json::<Value>().await.unwrap())
        }
    };
    assert_eq!(get("/health/live").await, (200, json!({ "status": "ok" })));
    let (status, ready) = get("/health/ready").await;
    assert_eq!((status, &ready["status"]), (200, &json!("ok")), "{ready}");
    assert_eq!(ready["migrations"], json!({ "pending": 0 }));
    assert_eq!(ready["database"], app.state.db.backend().name());

    // As if an older build had migrated the database: this one is not ready, yet alive.
    let newest = app
        .state
        .db
        .run(|conn| {
            #[derive(diesel::QueryableByName)]
            struct Version {
                #[diesel(sql_type = diesel::sql_types::Text)]
                version: String,
            }
            let newest: Version = diesel::sql_query(
                "SELECT version FROM __diesel_schema_migrations ORDER BY version DESC LIMIT 1",
            )
            .get_result(conn)?;
            diesel::sql_query("DELETE FROM __diesel_schema_migrations WHERE version = $1")
                .bind::<diesel::sql_types::Text, _>(&newest.version)
                .execute(conn)?;
            Ok(newest.version)
        })
        .await
        .unwrap();
    let (status, ready) = get("/health/ready").await;
    assert_eq!(status, 503, "{ready}");
    assert_eq!(ready["status"], "migrations pending");
    assert_eq!(ready["migrations"], json!({ "pending": 1 }));
    assert_eq!(get("/health/live").await.0, 200);
    // `/health` keeps its meaning for the probes already pointed at it.
    let (status, health) = get("/health").await;
    assert_eq!((status, &health["status"]), (200, &json!("ok")), "{health}");
    assert!(health.get("migrations").is_none(), "{health}");

    app.state
        .db
        .run(move |conn| {
            diesel::sql_query("INSERT INTO __diesel_schema_migrations (version) VALUES ($1)")
                .bind::<diesel::sql_types::Text, _>(newest)
                .execute(conn)?;
            Ok(())
        })
        .await
        .unwrap();
    assert_eq!(get("/health/ready").await.0, 200);
}

/// `relais COMMAND FLAG FILE` on the database at `url`, off the test's async threads.
async fn file_command(
    url: &str,
    command: &'static str,
    flag: &'static str,
    file: &str,
) -> (std::process::ExitStatus, String, String) {
    let (url, file) = (url.to_owned(), file.to_owned());
    tokio::task::spawn_blocking(move || {
        run_relais(&[("DATABASE_URL", &url)], &[command, flag, &file])
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_under_write_load_restores_every_acknowledged_write() {
    let dir = tempfile::tempdir().unwrap();
    let live = dir.path().join("relais.db");
    let live_url = format!("sqlite://{}", live.display());
    let backup = dir.path().join("backup.db");
    let backup_arg = backup.display().to_string();
    let mut server =
        RelaisProcess::start(relais_command(&live_url, SECRET), reqwest::Client::new()).await;
    let tokens = writers(&server, &live_url).await;
    let acknowledged = Arc::new(Mutex::new(Vec::new()));
    let writing = start_writing(&server, &tokens, 0, &acknowledged);
    // A few writes in, far from the 30 groups each writer may hold.
    while acknowledged.lock().unwrap().len() < 20 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }

    // Every write acknowledged before the backup starts must be in it.
    let before_backup = acknowledged.lock().unwrap().clone();
    let (status, stdout, stderr) = file_command(&live_url, "backup", "--to", &backup_arg).await;
    assert!(status.success(), "{stderr}");
    assert!(
        stdout.contains("RELAIS_SECRET"),
        "names the secret: {stdout}"
    );
    let written_during = acknowledged.lock().unwrap().len() - before_backup.len();
    assert!(written_during > 0, "the writers went on during the backup");

    // Nothing replaces a database a server has open.
    let (status, _, stderr) = file_command(&live_url, "restore", "--from", &backup_arg).await;
    assert!(!status.success());
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("DATABASE_URL") && stderr.contains("in use"),
        "{stderr}"
    );

    server.terminate();
    let stopped = server.exit_status(Duration::from_secs(30)).await;
    assert!(stopped.success(), "{stopped}");
    for writer in writing {
        writer.await.unwrap();
    }
    let all_acknowledged = acknowledged.lock().unwrap().clone();

    // Restored into a fresh place, and over the stopped live database.
    let elsewhere = dir.path().join("restored.db");
    for target in [&elsewhere, &live] {
        let url = format!("sqlite://{}", target.display());
        let (status, _, stderr) = file_command(&url, "restore", "--from", &backup_arg).await;
        assert!(status.success(), "{stderr}");
        let stored = groups_as_stored(&format!("sqlite://{}", target.display())).await;
        assert_kept(&before_backup, &stored);
        assert!(
            stored.len() < all_acknowledged.len(),
            "the copy is of one moment, not of the end"
        );
    }
    // The restored database serves, with the sessions of its secret.
    let server =
        RelaisProcess::start(relais_command(&live_url, SECRET), reqwest::Client::new()).await;
    let answer = server
        .client()
        .post(
            Some(&tokens[0]),
            "query($id: ID!) { group(id: $id) { memberCount } }",
            json!({ "id": before_backup[0] }),
        )
        .await
        .expect("an answer");
    assert_eq!(answer["data"]["group"]["memberCount"], 1, "{answer}");
}

#[test]
fn backup_and_restore_refuse_what_they_cannot_do_and_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("relais.db");
    let url = format!("sqlite://{}", database.display());
    let (status, _, stderr) = run_relais(&[("DATABASE_URL", &url)], &["migrate"]);
    assert!(status.success(), "{stderr}");
    let existing = dir.path().join("existing.db");
    std::fs::write(&existing, b"kept").unwrap();
    let not_a_database = dir.path().join("notes.txt");
    std::fs::write(&not_a_database, b"not a database").unwrap();
    let absent = dir.path().join("absent.db");
    let original = std::fs::read(&database).unwrap();

    let postgres = "postgres://relais@127.0.0.1:1/relais";
    let refusals = [
        (url.as_str(), "backup", "--to", &existing, "--to"),
        (postgres, "backup", "--to", &absent, "pg_dump"),
        (
            url.as_str(),
            "restore",
            "--from",
            &not_a_database,
            "not a Relais database",
        ),
        (url.as_str(), "restore", "--from", &absent, "--from"),
        (postgres, "restore", "--from", &existing, "pg_restore"),
    ];
    for (database_url, command, flag, file, said) in refusals {
        let file = file.display().to_string();
        let (status, _, stderr) =
            run_relais(&[("DATABASE_URL", database_url)], &[command, flag, &file]);
        assert!(!status.success(), "{command} {file}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(stderr.contains(said), "{command} {file}: {stderr}");
    }
    assert_eq!(std::fs::read(&existing).unwrap(), b"kept");
    assert_eq!(std::fs::read(&database).unwrap(), original);
    assert!(!absent.exists());
}

/// Sends `query` signed out, without waiting for the answer.
fn post_in_background(
    server: &RelaisProcess,
    query: &'static str,
    variables: Value,
) -> tokio::task::JoinHandle<Option<Value>> {
    let client = server.client();
    tokio::spawn(async move { client.post(None, query, variables).await })
}

async fn sigterm_closes_sockets_and_finishes_requests(database_url: String) {
    let mut server = RelaisProcess::start(
        relais_command(&database_url, SECRET),
        reqwest::Client::new(),
    )
    .await;
    let register = "mutation($input: RegisterInput!) { register(input: $input) { accessToken refreshToken viewer { user { id } } } }";
    let input = |n: usize| {
        json!({ "input": { "email": format!("nurse{n}@example.org"), "password": "a long enough password",
                           "displayName": format!("nurse{n}"), "profession": "NURSE" } })
    };
    let answer = server
        .client()
        .post(None, register, input(0))
        .await
        .unwrap();
    let ana = session_of(&answer["data"]["register"]);
    let mut socket = connect_to(&server.base_url).await;
    send(
        &mut socket,
        json!({ "type": "connection_init", "payload": { "authorization": format!("Bearer {}", ana.access_token) } }),
    )
    .await;
    assert!(matches!(
        next_frame(&mut socket, Duration::from_secs(5)).await,
        Frame::Text(ack) if ack["type"] == "connection_ack"
    ));
    send(
        &mut socket,
        json!({ "id": "1", "type": "subscribe", "payload": { "query": "subscription { notificationAdded { kind } }" } }),
    )
    .await;

    // Registrations hash passwords one after another: several are in flight at the signal.
    let in_flight: Vec<_> = (1..=6)
        .map(|n| post_in_background(&server, register, input(n)))
        .collect();
    tokio::time::sleep(Duration::from_millis(30)).await;
    server.terminate();

    let mut code = None;
    for _ in 0..20 {
        match next_frame(&mut socket, Duration::from_secs(10)).await {
            Frame::Closed(closed) => {
                code = Some(closed);
                break;
            }
            Frame::Text(_) => continue,
            Frame::Silent => break,
        }
    }
    assert_eq!(code, Some(1012), "sockets close with 'service restart'");
    for request in in_flight {
        let answer = request
            .await
            .unwrap()
            .expect("an answer, not a cut connection");
        assert!(
            answer["data"]["register"]["accessToken"].is_string(),
            "{answer}"
        );
    }
    let status = server.exit_status(Duration::from_secs(30)).await;
    assert!(status.success(), "a clean exit: {status}");
    let refused = reqwest::Client::new()
        .get(format!("{}/health/live", server.base_url))
        .send()
        .await;
    assert!(refused.is_err(), "nothing listens any more");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_closes_sockets_and_finishes_requests_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("relais.db").display());
    sigterm_closes_sockets_and_finishes_requests(url).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_closes_sockets_and_finishes_requests_postgres() {
    let Some((url, schema)) = fresh_postgres_schema().await else {
        return;
    };
    sigterm_closes_sockets_and_finishes_requests(url).await;
    crate::helpers::drop_postgres_schema(&schema);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_logs_of_a_journey_name_requests_and_nobody() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("relais.db").display());
    let log = dir.path().join("relais.log");
    let mut command = relais_command(&url, SECRET);
    command
        .env("RELAIS_LOG_FORMAT", "json")
        .env("RUST_LOG", "debug")
        .stdout(Stdio::from(std::fs::File::create(&log).unwrap()));
    let mut server = RelaisProcess::start(command, reqwest::Client::new()).await;
    let client = server.client();

    let email = "camille.durand@example.org";
    let display_name = "Camille Durand";
    let password = "camille's long password";
    let post_body = "Nuit difficile aux urgences, besoin de parler";
    let register = "mutation Register($input: RegisterInput!) { register(input: $input) { accessToken refreshToken viewer { user { id } } } }";
    let answer = client
        .post(
            None,
            register,
            json!({ "input": { "email": email, "password": password, "displayName": display_name, "profession": "NURSE" } }),
        )
        .await
        .unwrap();
    let camille = session_of(&answer["data"]["register"]);
    let db = relais::db::Db::connect(&url, relais::db::STATEMENT_TIMEOUT_DEFAULT)
        .await
        .unwrap();
    relais::accounts::service::set_address_confirmed(
        &db,
        &relais::ids::UserId::from_client(camille.user_id.clone()),
    )
    .await
    .unwrap();
    drop(db);
    let wrong = client
        .post(
            None,
            "mutation Login($email: String!, $password: String!) { login(email: $email, password: $password) { accessToken } }",
            json!({ "email": email, "password": "not the password" }),
        )
        .await
        .unwrap();
    assert_eq!(wrong["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");
    let signed_in = client
        .post(
            None,
            "mutation Login($email: String!, $password: String!) { login(email: $email, password: $password) { accessToken refreshToken } }",
            json!({ "email": email, "password": password }),
        )
        .await
        .unwrap();
    let second_token = signed_in["data"]["login"]["accessToken"]
        .as_str()
        .unwrap()
        .to_owned();
    let refresh_token = signed_in["data"]["login"]["refreshToken"]
        .as_str()
        .unwrap()
        .to_owned();
    let group = client
        .post(
            Some(&second_token),
            "mutation CreateGroup($input: CreateGroupInput!) { createGroup(input: $input) { id } }",
            json!({ "input": { "name": "Urgences de nuit", "description": "", "topic": "entraide",
                               "visibility": "PUBLIC", "language": "fr" } }),
        )
        .await
        .unwrap();
    let group_id = group["data"]["createGroup"]["id"].as_str().unwrap();
    let post = client
        .post(
            Some(&second_token),
            "mutation CreatePost($input: CreatePostInput!) { createPost(input: $input) { id } }",
            json!({ "input": { "groupId": group_id, "body": post_body } }),
        )
        .await
        .unwrap();
    assert!(post["data"]["createPost"]["id"].is_string(), "{post}");
    let me = client
        .post(
            Some(&camille.access_token),
            "query Me { me { email user { displayName } } }",
            json!({}),
        )
        .await
        .unwrap();
    assert_eq!(me["data"]["me"]["email"], email);
    server.terminate();
    assert!(server.exit_status(Duration::from_secs(30)).await.success());

    let text = std::fs::read_to_string(&log).unwrap();
    let lines: Vec<Value> = text
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|_| panic!("not JSON: {line}")))
        .collect();
    let requests: Vec<&Value> = lines
        .iter()
        .filter(|line| line["message"] == "request done")
        .collect();
    let operation = |name: &str, outcome: &str| {
        requests.iter().any(|line| {
            let span = &line["span"];
            span["operation"] == name
                && span["outcome"] == outcome
                && span["status"] == 200
                && span["route"] == "/graphql"
                && span["method"] == "POST"
                && span["request_id"].as_str().is_some_and(|id| id.len() >= 32)
        })
    };
    for (name, outcome) in [
        ("Register", "OK"),
        ("Login", "UNAUTHENTICATED"),
        ("Login", "OK"),
        ("CreateGroup", "OK"),
        ("CreatePost", "OK"),
        ("Me", "OK"),
    ] {
        assert!(operation(name, outcome), "{name} {outcome} in {text}");
    }
    let user_part = email.split('@').next().unwrap();
    for secret in [
        email,
        user_part,
        display_name,
        "Camille",
        password,
        post_body,
        camille.access_token.as_str(),
        camille.refresh_token.as_str(),
        second_token.as_str(),
        refresh_token.as_str(),
    ] {
        assert!(!text.contains(secret), "the log holds {secret:?}: {text}");
    }
}
