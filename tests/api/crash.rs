//! `kill -9` under write load, with the real binary: whatever the server acknowledged is there
//! after a restart, and no multi-row change is half-written.

use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use diesel::prelude::*;
use relais::db::schema::{group_professions, memberships, peer_groups};
use serde_json::json;

use crate::helpers::{fresh_postgres_schema, session_of};
use crate::process::{GraphqlClient, RelaisProcess};

/// The same secret across restarts, so that sessions stay valid.
const SECRET: &str = "a secret for the crash test, long enough to key HMAC";
const PROFESSIONS: [&str; 3] = ["NURSE", "MIDWIFE", "PHARMACIST"];
const WRITERS: usize = 8;
const KILLS: usize = 3;

/// A `relais serve` of this test, on `database_url`.
async fn start(database_url: &str) -> RelaisProcess {
    let mut command = Command::new(env!("CARGO_BIN_EXE_relais"));
    command
        .env_clear()
        .env("DATABASE_URL", database_url)
        .env("RELAIS_SECRET", SECRET)
        .env("RELAIS_AUTH_RATE_PER_MINUTE", "10000")
        .env("RELAIS_HTTP_WORKERS", "2")
        .env(
            "RELAIS_MAIL_DIR",
            std::env::temp_dir().join("relais-crash-test-mail"),
        )
        .env("RUST_LOG", "error")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit());
    RelaisProcess::start(command, reqwest::Client::new()).await
}

const CREATE_GROUP: &str =
    "mutation($input: CreateGroupInput!) { createGroup(input: $input) { id } }";

/// Creates groups (a group, its professions and its first facilitator: one transaction) until
/// the server stops answering; returns the ids it acknowledged.
async fn write_until_killed(
    server: GraphqlClient,
    token: String,
    writer: usize,
    round: usize,
) -> Vec<String> {
    let mut acknowledged = Vec::new();
    for index in 0.. {
        let input = json!({ "name": format!("Crash {round}-{writer}-{index}"), "description": "", "topic": "entraide",
                            "visibility": "PUBLIC", "language": "fr", "professions": PROFESSIONS });
        let Some(answer) = server
            .post(Some(&token), CREATE_GROUP, json!({ "input": input }))
            .await
        else {
            break;
        };
        if let Some(id) = answer["data"]["createGroup"]["id"].as_str() {
            acknowledged.push(id.to_owned());
        }
    }
    acknowledged
}

/// Every group in the database with its profession count and facilitator count.
async fn groups_as_stored(database_url: &str) -> Vec<(String, i64, i64)> {
    let db = relais::db::Db::connect(database_url, relais::db::STATEMENT_TIMEOUT_DEFAULT)
        .await
        .expect("the database opens");
    db.run(|conn| {
        let groups: Vec<String> = peer_groups::table.select(peer_groups::id).load(conn)?;
        let mut stored = Vec::new();
        for id in groups {
            let professions = group_professions::table
                .filter(group_professions::group_id.eq(&id))
                .count()
                .get_result(conn)?;
            let facilitators = memberships::table
                .filter(memberships::group_id.eq(&id))
                .filter(memberships::role.eq("FACILITATOR"))
                .count()
                .get_result(conn)?;
            stored.push((id, professions, facilitators));
        }
        Ok(stored)
    })
    .await
    .expect("the groups read")
}

async fn killed_under_write_load(database_url: String) {
    let mut server = start(&database_url).await;
    let register = "mutation($input: RegisterInput!) { register(input: $input) { accessToken refreshToken viewer { user { id } } } }";
    let mut tokens = Vec::new();
    let mut writers_ids = Vec::new();
    for writer in 0..WRITERS {
        let input = json!({ "email": format!("writer{writer}@example.org"), "password": "a long enough password",
                            "displayName": format!("writer{writer}"), "profession": "NURSE" });
        let answer = server
            .client()
            .post(None, register, json!({ "input": input }))
            .await
            .expect("registered");
        let session = session_of(&answer["data"]["register"]);
        writers_ids.push(relais::ids::UserId::from_client(session.user_id));
        tokens.push(session.access_token);
    }
    // Creating groups waits for a confirmed address; the writers' are nobody's.
    let db = relais::db::Db::connect(&database_url, relais::db::STATEMENT_TIMEOUT_DEFAULT)
        .await
        .expect("the database opens");
    for id in &writers_ids {
        relais::accounts::service::set_address_confirmed(&db, id)
            .await
            .expect("address confirmed");
    }
    drop(db);

    let acknowledged = Arc::new(Mutex::new(Vec::new()));
    for round in 0..KILLS {
        let writers: Vec<_> = tokens
            .iter()
            .enumerate()
            .map(|(writer, token)| {
                let (client, token, acknowledged) =
                    (server.client(), token.clone(), acknowledged.clone());
                tokio::spawn(async move {
                    let ids = write_until_killed(client, token, writer, round).await;
                    acknowledged.lock().unwrap().extend(ids);
                })
            })
            .collect();
        // Killed while the writers are mid-stream, after a varying stretch.
        tokio::time::sleep(Duration::from_millis(700 + 300 * round as u64)).await;
        server.kill();
        for writer in writers {
            writer.await.unwrap();
        }
        server = start(&database_url).await;
    }

    let stored = groups_as_stored(&database_url).await;
    let acknowledged = acknowledged.lock().unwrap().clone();
    assert!(
        acknowledged.len() >= 20,
        "the load wrote something: {}",
        acknowledged.len()
    );
    for id in &acknowledged {
        assert!(
            stored.iter().any(|(stored_id, _, _)| stored_id == id),
            "acknowledged group {id} survives the kill"
        );
    }
    for (id, professions, facilitators) in &stored {
        assert_eq!(
            (*professions, *facilitators),
            (PROFESSIONS.len() as i64, 1),
            "group {id} is whole"
        );
    }
    // The restarted server serves what it had acknowledged.
    let first = &acknowledged[0];
    let answer = server
        .client()
        .post(
            Some(&tokens[0]),
            "query($id: ID!) { group(id: $id) { id memberCount } }",
            json!({ "id": first }),
        )
        .await
        .expect("an answer");
    assert_eq!(answer["data"]["group"]["memberCount"], 1, "{answer}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_server_keeps_what_it_acknowledged_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("relais.db").display());
    killed_under_write_load(url).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_server_keeps_what_it_acknowledged_postgres() {
    let Some((url, schema)) = fresh_postgres_schema().await else {
        return;
    };
    killed_under_write_load(url).await;
    crate::helpers::drop_postgres_schema(&schema);
}
