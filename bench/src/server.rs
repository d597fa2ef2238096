//! The server under load: this very binary run as `relais serve` in a process of its own, so that
//! its memory is its own and the load generator does not share its cores' accounting.

use std::process::{Command, Stdio};

use crate::process::RelaisProcess;

/// The first argument that makes this binary `relais`.
pub const SERVE: &str = "--as-relais";

/// The instance secret of the benchmark's server (the seeder writes pseudonyms under it).
pub const SECRET: &str = "the load benchmark's instance secret, 32 bytes or more";

pub struct Server {
    process: RelaisProcess,
    pub base_url: String,
}

impl Server {
    /// The server on `database_url`, pushing to `fcm`: this binary, or `binary` (another build
    /// of `relais`, for an A/B comparison on the same data).
    pub async fn start(
        database_url: &str,
        fcm: &crate::fake_fcm::FakeFcm,
        binary: Option<&std::path::Path>,
    ) -> Server {
        let mut command = match binary {
            Some(binary) => Command::new(binary),
            None => {
                let mut itself = Command::new(std::env::current_exe().expect("this binary"));
                itself.arg(SERVE);
                itself
            }
        };
        command
            .arg("serve")
            .env("DATABASE_URL", database_url)
            .env("RELAIS_SECRET", SECRET)
            .env("RELAIS_AUTH_RATE_PER_MINUTE", "1000000")
            .env("RUST_LOG", "warn")
            .env("FCM_SERVICE_ACCOUNT", &fcm.service_account_path)
            .env("FCM_ENDPOINT", &fcm.base_url)
            .env("RELAIS_PUSH_WORKERS", "4")
            .stdout(Stdio::null());
        let http = reqwest::Client::builder()
            .pool_max_idle_per_host(1024)
            .build()
            .expect("an HTTP client");
        let process = RelaisProcess::start(command, http).await;
        Server {
            base_url: process.base_url.clone(),
            process,
        }
    }

    fn status_kib(&self, field: &str) -> f64 {
        std::fs::read_to_string(format!("/proc/{}/status", self.process.id()))
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
        let answer = self.process.client().post(token, query, variables).await?;
        answer["errors"].is_null().then_some(answer)
    }

    /// A GraphQL request whose answer is only checked, not parsed: whether it answered 200 with
    /// no `"errors":` key. That sequence cannot occur inside a JSON string (its quotes would be
    /// escaped), and parsing every answer would take the load generator a share of the cores it
    /// shares with the server, the larger the answer the larger the share.
    pub async fn answered(&self, token: &str, query: &str, variables: &serde_json::Value) -> bool {
        let sent = self
            .process
            .client()
            .send(Some(token), query, variables)
            .await;
        let Some(answer) = sent else {
            return false;
        };
        if !answer.status().is_success() {
            return false;
        }
        answer.bytes().await.is_ok_and(|body| {
            std::str::from_utf8(&body)
                .is_ok_and(|text| text.starts_with('{') && !text.contains("\"errors\":"))
        })
    }
}

impl Server {
    /// A GET of `path` as `token`'s holder: whether it answered 200 with JSON.
    pub async fn get_json(&self, path: &str, token: &str) -> bool {
        let Ok(answer) = self
            .process
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
