//! What the in-process benchmarks share: their runtime and where their database lives.

use std::future::Future;

/// Runs the benchmark on a multi-threaded runtime, as the server runs.
pub fn run<F: Future<Output = ()>>(benchmark: F) {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(benchmark);
}

/// The database to fill: `BENCH_DATABASE_URL` (an empty PostgreSQL database), else a SQLite file
/// in `dir`.
pub fn database_url(dir: &tempfile::TempDir) -> String {
    std::env::var("BENCH_DATABASE_URL")
        .unwrap_or_else(|_| format!("sqlite://{}", dir.path().join("bench.db").display()))
}
