//! 256 parallel failed sign-ins against the real `relais` binary (release build, OWASP argon2
//! cost), printing the server's peak resident memory. Every attempt hashes (unknown emails verify
//! against a decoy), so this is the worst case for memory; the per-address budget is lifted so
//! that the hashing limit is what holds. Run: `cargo bench --bench login_memory`.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

const ATTEMPTS: usize = 256;

/// The child's memory figure `field` (`VmRSS`, `VmHWM`) in MiB, from /proc.
fn memory_mib(child: &Child, field: &str) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{}/status", child.id())).ok()?;
    let line = status.lines().find(|line| line.starts_with(field))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .expect("a free port")
}

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let port = free_port();
    let mut server = Command::new(env!("CARGO_BIN_EXE_relais"))
        .arg("serve")
        .env(
            "DATABASE_URL",
            format!("sqlite://{}", dir.path().join("bench.db").display()),
        )
        .env("RELAIS_ADDR", format!("127.0.0.1:{port}"))
        .env("RELAIS_AUTH_RATE_PER_MINUTE", "1000000")
        .env("RUST_LOG", "error")
        .stdout(Stdio::null())
        .spawn()
        .expect("relais starts");
    let http = reqwest::Client::new();
    let base = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(30);
    while http.get(format!("{base}/health")).send().await.is_err() {
        assert!(Instant::now() < deadline, "relais did not start");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let idle = memory_mib(&server, "VmRSS").unwrap_or_default();

    let started = Instant::now();
    let attempts = (0..ATTEMPTS).map(|index| {
        let (http, url) = (http.clone(), format!("{base}/graphql"));
        tokio::spawn(async move {
            let body = json!({
                "query": "mutation($email: String!) { login(email: $email, password: \"not the password\") { accessToken } }",
                "variables": { "email": format!("nobody-{index}@example.org") },
            });
            let answer: Value = http.post(url).json(&body).send().await.ok()?.json().await.ok()?;
            answer["errors"][0]["extensions"]["code"].as_str().map(str::to_owned)
        })
    });
    let codes = futures_util::future::join_all(attempts).await;
    let elapsed = started.elapsed();
    let peak = memory_mib(&server, "VmHWM").unwrap_or_default();
    let count = |code: &str| {
        codes
            .iter()
            .filter(|outcome| matches!(outcome, Ok(Some(found)) if found == code))
            .count()
    };
    println!(
        "login_memory: {ATTEMPTS} parallel failed sign-ins in {:.2} s",
        elapsed.as_secs_f64()
    );
    println!(
        "  checked (UNAUTHENTICATED): {}, refused at once (RATE_LIMITED): {}, other: {}",
        count("UNAUTHENTICATED"),
        count("RATE_LIMITED"),
        ATTEMPTS - count("UNAUTHENTICATED") - count("RATE_LIMITED")
    );
    println!("  server RSS idle: {idle:.1} MiB, peak: {peak:.1} MiB (target: under 300 MB)");
    server.kill().expect("relais stopped");
    let _ = server.wait();
}
