//! Scenario 1 measured by `wrk` as well, when it is installed: a load generator in C costs the
//! shared cores far less per request than this benchmark's own, which matters most for the
//! cheapest request (`{ __typename }`, GraphQL's floor) and so for the ratio of the two.

use std::process::Command;
use std::time::Duration;

use serde_json::json;

use crate::load::Figures;

/// What wrk measured: requests per second and latency percentiles (wrk gives no p95).
pub struct WrkFigures {
    pub requests_per_second: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    /// Non-2xx answers and socket errors.
    pub errors: u64,
}

impl From<WrkFigures> for Figures {
    fn from(wrk: WrkFigures) -> Self {
        Figures {
            requests_per_second: wrk.requests_per_second,
            p50_ms: wrk.p50_ms,
            p95_ms: f64::NAN,
            p99_ms: wrk.p99_ms,
            errors: wrk.errors,
        }
    }
}

/// Whether `wrk` can be run.
pub fn installed() -> bool {
    Command::new("wrk").arg("--version").output().is_ok()
}

/// POSTs `query` to `base_url`'s /graphql from `connections` connections on two threads for
/// `duration`, each request signed in as the next of `tokens` (one person per connection
/// on average, within the server's per-session turns).
pub fn run(
    base_url: &str,
    tokens: &[String],
    query: &str,
    connections: usize,
    duration: Duration,
) -> Option<WrkFigures> {
    let body = json!({ "query": query }).to_string();
    let tokens: Vec<String> = tokens
        .iter()
        .map(|token| format!("{:?}", format!("Bearer {token}")))
        .collect();
    let script = format!(
        "local tokens = {{ {} }}\n\
         local body = {:?}\n\
         local next = 0\n\
         function setup(thread) next = next + 1; thread:set(\"offset\", next) end\n\
         function init(args) next = offset end\n\
         function request()\n\
           next = next % #tokens + 1\n\
           return wrk.format(\"POST\", \"/graphql\", {{ [\"Content-Type\"] = \"application/json\", \
             [\"Authorization\"] = tokens[next] }}, body)\n\
         end\n",
        tokens.join(", "),
        body
    );
    let file = tempfile::Builder::new().suffix(".lua").tempfile().ok()?;
    std::fs::write(file.path(), script).ok()?;
    let output = Command::new("wrk")
        .args(["-t2", &format!("-c{connections}")])
        .arg(format!("-d{}s", duration.as_secs().max(1)))
        .arg("--latency")
        .arg("-s")
        .arg(file.path())
        .arg(base_url)
        .output()
        .ok()?;
    parse(&String::from_utf8_lossy(&output.stdout))
}

/// Reads wrk's report: `Requests/sec:`, the latency distribution's 50% and 99% lines, and the
/// error lines.
fn parse(report: &str) -> Option<WrkFigures> {
    let mut figures = WrkFigures {
        requests_per_second: f64::NAN,
        p50_ms: f64::NAN,
        p99_ms: f64::NAN,
        errors: 0,
    };
    for line in report.lines().map(str::trim) {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["Requests/sec:", rate] => figures.requests_per_second = rate.parse().ok()?,
            ["50%", latency] => figures.p50_ms = milliseconds(latency)?,
            ["99%", latency] => figures.p99_ms = milliseconds(latency)?,
            ["Non-2xx", "or", "3xx", "responses:", count] => figures.errors += count.parse::<u64>().ok()?,
            ["Socket", "errors:", rest @ ..] => {
                figures.errors += rest
                    .iter()
                    .filter_map(|word| word.trim_end_matches(',').parse::<u64>().ok())
                    .sum::<u64>();
            }
            _ => {}
        }
    }
    figures.requests_per_second.is_finite().then_some(figures)
}

/// `812.00us`, `1.23ms`, `1.01s` in milliseconds.
fn milliseconds(latency: &str) -> Option<f64> {
    let (number, scale) = if let Some(us) = latency.strip_suffix("us") {
        (us, 0.001)
    } else if let Some(ms) = latency.strip_suffix("ms") {
        (ms, 1.0)
    } else if let Some(s) = latency.strip_suffix('s') {
        (s, 1_000.0)
    } else {
        return None;
    };
    number.parse::<f64>().ok().map(|value| value * scale)
}
