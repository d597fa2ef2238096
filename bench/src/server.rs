//! The server under load: this very binary run as `relais serve` in a process of its own, so that
//! its memory is its own and the load generator does not share its cores' accounting.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use diesel::{Connection, PgConnection, connection::SimpleConnection};

/// The first argument that makes this binary `relais`.
pub const SERVE: &str = "--as-relais";

/// The instance secret of the benchmark's server (the seeder writes pseudonyms under it).
pub const SECRET: &str = "the load benchmark's instance secret, 32 bytes or more";

pub struct Server {
    child: Child,
    pub base_url: String,
    pub http: reqwest::Client,
}

impl Server {
    /// The server on `database_url`, pushing to `fcm`.
    pub async fn start(database_url: &str, fcm: &crate::fake_fcm::FakeFcm) -> Server {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("a free port")
            .port();
        let child = Command::new(std::env::current_exe().expect("this binary"))
            .args([SERVE, "serve"])
            .env("DATABASE_URL", database_url)
            .env("RELAIS_ADDR", format!("127.0.0.1:{port}"))
            .env("RELAIS_SECRET", SECRET)
            .env("RELAIS_AUTH_RATE_PER_MINUTE", "1000000")
            .env("RUST_LOG", "warn")
            .env("FCM_SERVICE_ACCOUNT", &fcm.service_account_path)
            .env("FCM_ENDPOINT", &fcm.base_url)
            .env("RELAIS_PUSH_WORKERS", "4")
            .stdout(Stdio::null())
            .spawn()
            .expect("relais serve starts");
        let server = Server {
            child,
            base_url: format!("http://127.0.0.1:{port}"),
            http: reqwest::Client::builder()
                .pool_max_idle_per_host(1024)
                .build()
                .expect("an HTTP client"),
        };
        for _ in 0..600 {
            let health = server
                .http
                .get(format!("{}/health", server.base_url))
                .send()
                .await;
            if health.is_ok_and(|answer| answer.status().is_success()) {
                return server;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("relais serve did not become healthy within a minute");
    }

    fn status_kib(&self, field: &str) -> f64 {
        std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .ok()
            .and_then(|status| {
                status.lines().find_map(|line| {
                    line.strip_prefix(field)?
                        .trim()
                        .trim_end_matches("kB")
                        .trim()
                        .parse::<f64>()
                        .ok()
                })
            })
            .unwrap_or(f64::NAN)
    }

    /// Resident memory now.
    pub fn rss_mb(&self) -> f64 {
        self.status_kib("VmRSS:") / 1024.0
    }

    /// The most resident memory the server has had since it started.
    pub fn peak_rss_mb(&self) -> f64 {
        self.status_kib("VmHWM:") / 1024.0
    }

    /// A GraphQL request: the answer, or `None` when it failed (transport, status or errors).
    pub async fn gql(
        &self,
        token: Option<&str>,
        query: &str,
        variables: serde_json::Value,
    ) -> Option<serde_json::Value> {
        let mut request = self
            .http
            .post(format!("{}/graphql", self.base_url))
            .json(&serde_json::json!({ "query": query, "variables": variables }));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let answer: serde_json::Value = request.send().await.ok()?.json().await.ok()?;
        answer["errors"].is_null().then_some(answer)
    }
}

impl Server {
    /// A GET of `path` as `token`'s holder: whether it answered 200 with JSON.
    pub async fn get_json(&self, path: &str, token: &str) -> bool {
        let Ok(answer) = self
            .http
            .get(format!("{}{path}", self.base_url))
            .bearer_auth(token)
            .send()
            .await
        else {
            return false;
        };
        answer.status().is_success() && answer.json::<serde_json::Value>().await.is_ok()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _already_gone = self.child.kill();
        let _reaped = self.child.wait();
    }
}

/// A schema of its own in the database at `url`: the URL that uses it, and its name.
pub fn fresh_schema(url: &str) -> (String, String) {
    let schema = format!("relais_bench_{}", uuid::Uuid::now_v7().simple());
    let mut conn = PgConnection::establish(url).expect("the PostgreSQL URL answers");
    conn.batch_execute(&format!("CREATE SCHEMA {schema}"))
        .expect("a schema");
    let separator = if url.contains('?') { '&' } else { '?' };
    (
        format!("{url}{separator}options=-c%20search_path%3D{schema}"),
        schema,
    )
}

pub fn drop_schema(url: &str, schema: &str) {
    if let Ok(mut conn) = PgConnection::establish(url) {
        let _ = conn.batch_execute(&format!("DROP SCHEMA {schema} CASCADE"));
    }
}
