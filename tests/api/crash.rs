//! `kill -9` under write load, with the real binary: whatever the server acknowledged is there
//! after a restart, and no multi-row change is half-written.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use diesel::prelude::*;
use relais::db::schema::{group_professions, memberships, peer_groups};
use serde_json::json;

use crate::helpers::{fresh_postgres_schema, relais_command, session_of};
use crate::process::{GraphqlClient, RelaisProcess};

/// The same secret across restarts, so that sessions stay valid.
const SECRET: &str = "a secret for the crash test, long enough to key HMAC";
const PROFESSIONS: [&str; 3] = ["NURSE", "MIDWIFE", "PHARMACIST"];
const WRITERS: usize = 8;
const KILLS: usize = 3;
/// The pause between a writer's groups: [`WRITERS`] writers write at most 400 groups a second.
const WRITE_PACE: Duration = Duration::from_millis(20);

/// A `relais serve` of this test, on `database_url`.
async fn start(database_url: &str) -> RelaisProcess {
    RelaisProcess::start(relais_command(database_url, SECRET), reqwest::Client::new()).await
}

const CREATE_GROUP: &str =
    "mutation($input: CreateGroupInput!) { createGroup(input: $input) { id } }";

/// Creates groups (a group, its professions and its first facilitator: one transaction) until
/// the server stops answering, noting each id it acknowledged in `acknowledged` as it comes.
async fn write_until_stopped(
    server: GraphqlClient,
    token: String,
    name: String,
    acknowledged: Arc<Mutex<Vec<String>>>,
) {
    for index in 0.. {
        let input = json!({ "name": format!("{name}-{index}"), "description": "", "topic": "entraide",
                            "visibility": "PUBLIC", "language": "fr", "professions": PROFESSIONS });
        let Some(answer) = server
            .post(Some(&token), CREATE_GROUP, json!({ "input": input }))
            .await
        else {
            break;
        };
        if let Some(id) = answer["data"]["createGroup"]["id"].as_str() {
            acknowledged.lock().unwrap().push(id.to_owned());
        }
        // Paced: a person holds at most 30 groups, and a fast server would otherwise reach that
        // within the first second and acknowledge nothing more.
        tokio::time::sleep(WRITE_PACE).await;
    }
}

/// Registers [`WRITERS`] people whose addresses are confirmed (creating groups waits for that);
/// their access tokens.
pub(crate) async fn writers(server: &RelaisProcess, database_url: &str) -> Vec<String> {
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
    let db = relais::db::Db::connect(database_url, relais::db::STATEMENT_TIMEOUT_DEFAULT)
        .await
        .expect("the database opens");
    for id in &writers_ids {
        relais::accounts::service::set_address_confirmed(&db, id)
            .await
            .expect("address confirmed");
    }
    tokens
}

/// One writer per token on `server` ([`write_until_stopped`]), named after `round`.
pub(crate) fn start_writing(
    server: &RelaisProcess,
    tokens: &[String],
    round: usize,
    acknowledged: &Arc<Mutex<Vec<String>>>,
) -> Vec<tokio::task::JoinHandle<()>> {
    tokens
        .iter()
        .enumerate()
        .map(|(writer, token)| {
            tokio::spawn(write_until_stopped(
                server.client(),
                token.clone(),
                format!("Group {round}-{writer}"),
                acknowledged.clone(),
            ))
        })
        .collect()
}

/// Every group in the database with its profession count and facilitator count.
pub(crate) async fn groups_as_stored(database_url: &str) -> Vec<(String, i64, i64)> {
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

/// Every acknowledged group is stored, and every stored group is whole.
pub(crate) fn assert_kept(acknowledged: &[String], stored: &[(String, i64, i64)]) {
    assert!(
        acknowledged.len() >= 20,
        "the load wrote something: {}",
        acknowledged.len()
    );
    for id in acknowledged {
        assert!(
            stored.iter().any(|(stored_id, _, _)| stored_id == id),
            "acknowledged group {id} is kept"
        );
    }
    for (id, professions, facilitators) in stored {
        assert_eq!(
            (*professions, *facilitators),
            (PROFESSIONS.len() as i64, 1),
            "group {id} is whole"
        );
    }
}

async fn killed_under_write_load(database_url: String) {
    let mut server = start(&database_url).await;
    let tokens = writers(&server, &database_url).await;
    let acknowledged = Arc::new(Mutex::new(Vec::new()));
    for round in 0..KILLS {
        let writing = start_writing(&server, &tokens, round, &acknowledged);
        // Killed while the writers are mid-stream, after a varying stretch.
        tokio::time::sleep(Duration::from_millis(700 + 300 * round as u64)).await;
        server.kill();
        for writer in writing {
            writer.await.unwrap();
        }
        server = start(&database_url).await;
    }

    let acknowledged = acknowledged.lock().unwrap().clone();
    assert_kept(&acknowledged, &groups_as_stored(&database_url).await);
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
