//! A `relais serve` in a process of its own, and a PostgreSQL schema of its own: what the crash
//! test and the load benchmark (`bench/`, which includes this file by path) both need.

use std::process::{Child, Command};
use std::time::Duration;

use diesel::{Connection, PgConnection, connection::SimpleConnection};
use serde_json::{Value, json};

/// A running `relais serve`, killed when dropped.
pub struct RelaisProcess {
    child: Child,
    pub base_url: String,
    pub http: reqwest::Client,
}

impl RelaisProcess {
    /// Runs `command` (the binary with its arguments and environment) listening on a free port,
    /// and waits up to a minute for `/health` to answer 200.
    pub async fn start(mut command: Command, http: reqwest::Client) -> RelaisProcess {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("a free port")
            .port();
        let child = command
            .env("RELAIS_ADDR", format!("127.0.0.1:{port}"))
            .spawn()
            .expect("relais serve starts");
        let process = RelaisProcess {
            child,
            base_url: format!("http://127.0.0.1:{port}"),
            http,
        };
        for _ in 0..600 {
            let health = process
                .http
                .get(format!("{}/health", process.base_url))
                .send()
                .await;
            if health.is_ok_and(|answer| answer.status().is_success()) {
                return process;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("relais serve did not become healthy within a minute");
    }

    /// The process id, to read its memory from `/proc`.
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// Sends SIGKILL: no shutdown, no flush, nothing the process could finish.
    pub fn kill(&mut self) {
        self.child.kill().expect("SIGKILL sent");
        self.child.wait().expect("the process is gone");
    }

    /// Sends SIGTERM: the server stops as an orchestrator stops it.
    pub fn terminate(&self) {
        let sent = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(sent.success(), "SIGTERM sent");
    }

    /// How the process ended, once it has (within `within`, or panics).
    pub async fn exit_status(&mut self, within: Duration) -> std::process::ExitStatus {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            if let Some(status) = self
                .child
                .try_wait()
                .expect("the process can be waited for")
            {
                return status;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "still running after {within:?}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// A client of this server, to clone into concurrent tasks.
    pub fn client(&self) -> GraphqlClient {
        GraphqlClient {
            base_url: self.base_url.clone(),
            http: self.http.clone(),
        }
    }
}

impl Drop for RelaisProcess {
    fn drop(&mut self) {
        let _already_gone = self.child.kill();
        let _reaped = self.child.wait();
    }
}

/// How requests reach a server.
#[derive(Clone)]
pub struct GraphqlClient {
    pub base_url: String,
    pub http: reqwest::Client,
}

impl GraphqlClient {
    /// The answer, errors included; `None` when the request did not end in a JSON answer (the
    /// server died, or took more than 30 seconds).
    pub async fn post(&self, token: Option<&str>, query: &str, variables: Value) -> Option<Value> {
        self.send(token, query, &variables).await?.json().await.ok()
    }

    /// The HTTP answer to a GraphQL operation, unread; `None` when none came within 30 seconds.
    pub async fn send(
        &self,
        token: Option<&str>,
        query: &str,
        variables: &Value,
    ) -> Option<reqwest::Response> {
        let mut request = self
            .http
            .post(format!("{}/graphql", self.base_url))
            .timeout(Duration::from_secs(30))
            .json(&json!({ "query": query, "variables": variables }));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send().await.ok()
    }
}

/// A schema of its own in the PostgreSQL database at `base`, named `<prefix>_<uuid>`: the URL
/// whose search_path is it, and its name. Blocking.
pub fn fresh_schema(base: &str, prefix: &str) -> (String, String) {
    let schema = format!("{prefix}_{}", uuid::Uuid::now_v7().simple());
    let mut conn = PgConnection::establish(base).expect("the PostgreSQL URL answers");
    conn.batch_execute(&format!("CREATE SCHEMA {schema}"))
        .expect("a schema");
    let separator = if base.contains('?') { '&' } else { '?' };
    (
        format!("{base}{separator}options=-c%20search_path%3D{schema}"),
        schema,
    )
}

/// Drops a schema made by [`fresh_schema`]; waits at most a few seconds for locks, and says
/// whether it went. Blocking.
pub fn drop_schema(base: &str, schema: &str) -> bool {
    let statement = format!("SET lock_timeout = '5s'; DROP SCHEMA IF EXISTS {schema} CASCADE");
    PgConnection::establish(base)
        .ok()
        .is_some_and(|mut conn| conn.batch_execute(&statement).is_ok())
}
