//! `kill -9` under write load, with the real binary: whatever the server acknowledged is there
//! after a restart, and no multi-row change is half-written.

use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use diesel::prelude::*;
use relais::db::schema::{group_professions, memberships, peer_groups};
use serde_json::{Value, json};

use crate::helpers::{eventually, fresh_postgres_schema, session_of};

/// The same secret across restarts, so that sessions stay valid.
const SECRET: &str = "a secret for the crash test, long enough to key HMAC";
const PROFESSIONS: [&str; 3] = ["NURSE", "MIDWIFE", "PHARMACIST"];
const WRITERS: usize = 8;
const KILLS: usize = 3;

/// A `relais serve` process of this test.
struct Server {
    child: Child,
    client: Client,
}

/// How requests reach the server; cloned into each writer.
#[derive(Clone)]
struct Client {
    base_url: String,
    http: reqwest::Client,
}

impl Server {
    async fn start(database_url: &str) -> Server {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("a free port")
            .port();
        let child = Command::new(env!("CARGO_BIN_EXE_relais"))
            .env_clear()
            .env("DATABASE_URL", database_url)
            .env("RELAIS_ADDR", format!("127.0.0.1:{port}"))
            .env("RELAIS_SECRET", SECRET)
            .env("RELAIS_AUTH_RATE_PER_MINUTE", "10000")
            .env("RELAIS_HTTP_WORKERS", "2")
            .env("RUST_LOG", "error")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("relais starts");
        let client = Client {
            base_url: format!("http://127.0.0.1:{port}"),
            http: reqwest::Client::new(),
        };
        eventually(60, || async {
            let health = client
                .http
                .get(format!("{}/health", client.base_url))
                .send()
                .await
                .ok()?;
            health.status().is_success().then_some(())
        })
        .await;
        Server { child, client }
    }

    /// Sends SIGKILL: no shutdown, no flush, nothing the process could finish.
    fn kill(&mut self) {
        self.child.kill().expect("SIGKILL sent");
        self.child.wait().expect("the process is gone");
    }
}

impl Client {
    /// The answer, or `None` when the request did not end in an answer (the server died).
    async fn gql(&self, token: Option<&str>, query: &str, variables: Value) -> Option<Value> {
        let mut request = self
            .http
            .post(format!("{}/graphql", self.base_url))
            .timeout(Duration::from_secs(30))
            .json(&json!({ "query": query, "variables": variables }));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send().await.ok()?.json().await.ok()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _already_gone = self.child.kill();
        let _reaped = self.child.wait();
    }
}

const CREATE_GROUP: &str =
    "mutation($input: CreateGroupInput!) { createGroup(input: $input) { id } }";

/// Creates groups (a group, its professions and its first facilitator: one transaction) until
/// the server stops answering; returns the ids it acknowledged.
async fn write_until_killed(
    server: Client,
    token: String,
    writer: usize,
    round: usize,
) -> Vec<String> {
    let mut acknowledged = Vec::new();
    for index in 0.. {
        let input = json!({ "name": format!("Crash {round}-{writer}-{index}"), "description": "", "topic": "entraide",
                            "visibility": "PUBLIC", "language": "fr", "professions": PROFESSIONS });
        let Some(answer) = server
            .gql(Some(&token), CREATE_GROUP, json!({ "input": input }))
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
    let db = relais::db::Db::connect(database_url)
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
    let mut server = Server::start(&database_url).await;
    let register = "mutation($input: RegisterInput!) { register(input: $input) { accessToken refreshToken viewer { user { id } } } }";
    let mut tokens = Vec::new();
    for writer in 0..WRITERS {
        let input = json!({ "email": format!("writer{writer}@example.org"), "password": "a long enough password",
                            "displayName": format!("writer{writer}"), "profession": "NURSE" });
        let answer = server
            .client
            .gql(None, register, json!({ "input": input }))
            .await
            .expect("registered");
        tokens.push(session_of(&answer["data"]["register"]).access_token);
    }

    let acknowledged = Arc::new(Mutex::new(Vec::new()));
    for round in 0..KILLS {
        let writers: Vec<_> = tokens
            .iter()
            .enumerate()
            .map(|(writer, token)| {
                let (client, token, acknowledged) =
                    (server.client.clone(), token.clone(), acknowledged.clone());
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
        server = Server::start(&database_url).await;
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
        .client
        .gql(
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
