//! `relais-bench`: starts `relais serve` on a fresh database, seeds it with realistic data, runs
//! each scenario at a fixed concurrency for a fixed time, and prints requests per second,
//! p50/p95/p99 latency, errors and the server's resident memory.
//!
//! ```sh
//! cargo run --release --manifest-path bench/Cargo.toml -- --quick
//! cargo run --release --manifest-path bench/Cargo.toml -- --postgres postgres://postgres@127.0.0.1/relais_bench
//! ```

mod fanout;
// The tests' fake FCM server (Google's token endpoint and FCM HTTP v1); scenario 9 uses part of it.
#[allow(dead_code)]
#[path = "../../tests/api/fake_fcm.rs"]
mod fake_fcm;
mod load;
// Starting relais and making PostgreSQL schemas, shared with the tests (the crash test kills).
#[allow(dead_code)]
#[path = "../../tests/api/process.rs"]
mod process;
mod push;
mod scenarios;
mod seed;
mod server;
mod wrk;

use std::time::Duration;

use clap::Parser;

#[derive(Parser)]
#[command(about = "Load benchmark of relais serve")]
struct Args {
    /// A PostgreSQL database to run on as well (a fresh schema is made in it, then dropped).
    #[arg(long)]
    postgres: Option<String>,
    /// Less data and shorter scenarios: the whole run in under two minutes.
    #[arg(long)]
    quick: bool,
    /// Connections each scenario keeps busy.
    #[arg(long, default_value_t = 16)]
    concurrency: usize,
    /// Only these scenarios, comma-separated (`1,1a,6`); all by default.
    #[arg(long, value_delimiter = ',')]
    only: Vec<String>,
    /// Serve with this `relais` binary instead of this benchmark's own build (an earlier commit's,
    /// built with `--features bench`), on the same data.
    #[arg(long)]
    server_binary: Option<std::path::PathBuf>,
}

/// Which scenarios a run measures.
pub struct Only(Vec<String>);

impl Only {
    /// Whether scenario `key` (`1`, `1a`, `sweep`, `9`…) runs.
    pub fn includes(&self, key: &str) -> bool {
        self.0.is_empty() || self.0.iter().any(|wanted| wanted == key)
    }
}

/// How much of everything the benchmark seeds, and how long each scenario runs.
#[derive(Clone, Copy)]
pub struct Scale {
    pub users: usize,
    pub groups: usize,
    pub posts: usize,
    pub workshops: usize,
    pub mentors: usize,
    pub checkins: usize,
    /// Workshops with a place around Paris, for the near-me scenario (11).
    pub near_workshops: usize,
    pub duration: Duration,
}

const FULL: Scale = Scale {
    users: 2_000,
    groups: 100,
    posts: 5_000,
    workshops: 200,
    mentors: 10_000,
    checkins: 50_000,
    near_workshops: 20_000,
    duration: Duration::from_secs(15),
};

const QUICK: Scale = Scale {
    users: 200,
    groups: 20,
    posts: 500,
    workshops: 40,
    mentors: 1_000,
    checkins: 5_000,
    near_workshops: 2_000,
    duration: Duration::from_secs(4),
};

fn main() -> std::process::ExitCode {
    // The benchmark starts its server by running itself as `relais`.
    if std::env::args().nth(1).as_deref() == Some(server::SERVE) {
        return relais::cli::main_from(
            std::env::args_os()
                .enumerate()
                .filter(|(index, _)| *index != 1)
                .map(|(_, arg)| arg),
        );
    }
    let args = Args::parse();
    let scale = if args.quick { QUICK } else { FULL };
    let only = Only(args.only);
    let server_binary = args.server_binary.as_deref();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(async {
        let dir = std::env::temp_dir().join(format!("relais-bench-{}", uuid::Uuid::now_v7()));
        std::fs::create_dir_all(&dir).expect("a scratch directory");
        let sqlite = format!("sqlite://{}", dir.join("bench.db").display());
        run_on(
            "SQLite",
            &sqlite,
            scale,
            args.concurrency,
            &only,
            server_binary,
        )
        .await;
        if let Some(url) = &args.postgres {
            let (schema_url, schema) = process::fresh_schema(url, "relais_bench");
            run_on(
                "PostgreSQL",
                &schema_url,
                scale,
                args.concurrency,
                &only,
                server_binary,
            )
            .await;
            process::drop_schema(url, &schema);
        }
        let _ = std::fs::remove_dir_all(&dir);
    });
    std::process::ExitCode::SUCCESS
}

async fn run_on(
    backend: &str,
    database_url: &str,
    scale: Scale,
    concurrency: usize,
    only: &Only,
    server_binary: Option<&std::path::Path>,
) {
    println!("\n## {backend}: seeding");
    let started = std::time::Instant::now();
    let world = seed::seed(database_url, scale).await;
    println!(
        "seeded {} users, {} groups, {} posts, {} workshops, {} mentors, {} check-ins in {:.1} s",
        scale.users,
        scale.groups,
        scale.posts,
        scale.workshops,
        scale.mentors,
        scale.checkins,
        started.elapsed().as_secs_f64()
    );
    let fcm = fake_fcm::FakeFcm::start().await;
    let server = server::Server::start(database_url, &fcm, server_binary).await;
    println!(
        "\n| scenario | requests/s | p50 ms | p95 ms | p99 ms | errors | server RSS MB |\n|---|---|---|---|---|---|---|"
    );
    scenarios::run_all(&server, database_url, &world, scale, concurrency, only).await;
    if only.includes("9") {
        let owners = &world.user_ids[..seed::DEVICE_OWNERS];
        let drain = push::drain(database_url, owners).await;
        println!(
            "\n9. {} pushes drained to the fake FCM in {:.2} s: {:.0} deliveries/s, peak outbox lag {:.2} s ({} FCM requests)",
            push::NOTIFICATIONS,
            drain.seconds,
            drain.per_second,
            drain.peak_lag_seconds,
            fcm.sends()
        );
    }
    println!(
        "\npeak RSS of the server over the run: {:.0} MB",
        server.peak_rss_mb()
    );
}
