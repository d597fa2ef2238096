//! Runs one request shape at a fixed concurrency for a fixed time and sums up what happened.

use std::future::Future;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;

/// What one scenario measured.
pub struct Figures {
    pub requests_per_second: f64,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
    pub errors: u64,
}

/// Runs `request(worker, iteration)` on `concurrency` workers, each as fast as answers come, for
/// `duration`. A request answers whether it succeeded.
pub async fn run<F, Fut>(concurrency: usize, duration: Duration, request: F) -> Figures
where
    F: Fn(usize, u64) -> Fut + Sync,
    Fut: Future<Output = bool>,
{
    let started = Instant::now();
    let deadline = started + duration;
    let request = &request;
    let workers = (0..concurrency).map(|worker| async move {
        let mut latencies =
            Histogram::<u64>::new_with_bounds(1, 600_000_000, 3).expect("a histogram");
        let mut errors = 0u64;
        let mut iteration = 0u64;
        while Instant::now() < deadline {
            let sent = Instant::now();
            let succeeded = request(worker, iteration).await;
            let micros = sent.elapsed().as_micros().try_into().unwrap_or(u64::MAX);
            latencies.saturating_record(micros.max(1));
            errors += u64::from(!succeeded);
            iteration += 1;
        }
        (latencies, errors)
    });
    let results = futures_util::future::join_all(workers).await;
    let elapsed = started.elapsed().as_secs_f64();
    let mut all = Histogram::<u64>::new_with_bounds(1, 600_000_000, 3).expect("a histogram");
    let mut errors = 0;
    for (latencies, worker_errors) in results {
        all.add(latencies).expect("histograms of one shape");
        errors += worker_errors;
    }
    let ms = |quantile: f64| all.value_at_quantile(quantile) as f64 / 1000.0;
    Figures {
        requests_per_second: all.len() as f64 / elapsed,
        p50_ms: ms(0.50),
        p95_ms: ms(0.95),
        p99_ms: ms(0.99),
        errors,
    }
}
