//! Push delivery benchmark: 10,000 notifications through the dispatcher to the local fake FCM
//! server, written by concurrent producers while the dispatchers run. Prints deliveries per second
//! and the peak outbox lag (age of the oldest due push).
//!
//! `cargo bench --bench push_delivery` (SQLite); set `BENCH_DATABASE_URL=postgres://…` (an empty
//! database) for PostgreSQL and `BENCH_WORKERS` for the number of dispatchers there.

use std::time::{Duration, Instant};

use relais::accounts::model::{Profession, RegistrationForm};
use relais::auth::{ClientAddress, Viewer};
use relais::config::HashCost;
use relais::config::{
    CheckinConfig, ConsentVersions, DatabaseUrl, Environment, IdentityConfig, MailConfig,
    PushConfig, Retention, SecretSource, ServerConfig,
};
use relais::i18n::{Locale, NotificationText};
use relais::ids::{SessionId, UserId};
use relais::notifications::dispatcher::outbox_stats;
use relais::notifications::model::{Notice, NotificationCategory, Platform, PushStatus};
use relais::notifications::service as notifications;
use relais::{accounts, app};

// The tests' fake FCM server; the benchmark uses only part of its controls.
#[allow(dead_code)]
#[path = "../tests/api/fake_fcm.rs"]
mod fake_fcm;

const USERS: usize = 100;
const NOTIFICATIONS_PER_USER: usize = 100;
const PRODUCERS: usize = 4;

mod common;

fn main() {
    common::run(run());
}

async fn run() {
    let fcm = fake_fcm::FakeFcm::start().await;
    let dir = tempfile::tempdir().expect("temporary directory");
    let database_url = common::database_url(&dir);
    let workers = std::env::var("BENCH_WORKERS")
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(4);
    let config = ServerConfig {
        addr: "127.0.0.1:0".parse().expect("address"),
        database_url: DatabaseUrl::new(database_url),
        statement_timeout: relais::db::STATEMENT_TIMEOUT_DEFAULT,
        environment: Environment::Development,
        secret: SecretSource::Given("benchmark secret of at least thirty-two bytes".into()),
        auth_rate_per_minute: std::num::NonZeroU32::MAX,
        session_concurrency: std::num::NonZeroU32::MAX,
        trusted_proxies: Vec::new(),
        public_url: "http://relais.test".into(),
        http_workers: None,
        cors_origins: Vec::new(),
        hsts_seconds: None,
        metrics_token: None,
        password_cost: HashCost::OWASP,
        push: PushConfig {
            service_account: Some(fcm.service_account_path.clone()),
            endpoint: fcm.base_url.clone(),
            workers,
            poll_interval: Duration::from_millis(20),
            ..PushConfig::DEFAULT
        },
        mail: MailConfig::folder(std::env::temp_dir().join("relais-bench-mail")),
        retention: Retention::DEFAULT,
        consents: ConsentVersions::default(),
        checkins: CheckinConfig::DEFAULT,
        support_wait: ServerConfig::SUPPORT_WAIT_DEFAULT,
        identity: IdentityConfig::default(),
        supporters_must_be_verified: false,
    };
    let state = app::build_state(config).await.expect("app state");
    let backend = state.db.backend().name();

    let mut recipients = Vec::with_capacity(USERS);
    for index in 0..USERS {
        let form = RegistrationForm {
            email: format!("bench-{index}@example.org"),
            password: "benchmark password".into(),
            display_name: format!("Bench {index}"),
            profession: Profession::Nurse,
            languages: None,
            region: None,
            timezone: None,
            locale: None,
        };
        let tokens = accounts::service::register(
            &state.db,
            &state.secret,
            &state.passwords,
            ClientAddress(std::net::Ipv4Addr::LOCALHOST.into()),
            form,
            Locale::default(),
        )
        .await
        .expect("register");
        let viewer = Viewer {
            user_id: tokens.user_id.clone(),
            session_id: SessionId::generate(),
            locale: Locale::default(),
            address_confirmed: true,
            access_expires_at: chrono::Utc::now(),
        };
        notifications::register_device(
            &state.db,
            &viewer,
            format!("bench-device-{index}"),
            Platform::Android,
        )
        .await
        .expect("device");
        recipients.push(tokens.user_id);
    }

    let background = relais::background::Background::start(&state, state.config.push.workers);
    let started = Instant::now();
    let producers: Vec<_> = recipients
        .chunks(USERS / PRODUCERS)
        .map(|chunk| {
            let (db, chunk): (_, Vec<UserId>) = (state.db.clone(), chunk.to_vec());
            tokio::spawn(async move {
                for user_id in chunk {
                    db.write(move |conn| {
                        for index in 0..NOTIFICATIONS_PER_USER {
                            let notice = Notice::new(
                                NotificationCategory::System,
                                NotificationText::TestPush,
                            )
                            .with_data("index", index.to_string());
                            notifications::notify(conn, &user_id, notice)?;
                        }
                        Ok(())
                    })
                    .await
                    .expect("notify");
                }
            })
        })
        .collect();

    let total = USERS * NOTIFICATIONS_PER_USER;
    let mut peak_lag: f64 = 0.0;
    let mut enqueued_in = None;
    loop {
        let stats = outbox_stats(&state.db).await.expect("stats");
        peak_lag = peak_lag.max(stats.oldest_due_seconds);
        if enqueued_in.is_none() && producers.iter().all(|producer| producer.is_finished()) {
            enqueued_in = Some(started.elapsed());
        }
        let sent: i64 = stats
            .by_status
            .iter()
            .filter(|(status, _)| *status == PushStatus::Sent)
            .map(|(_, count)| count)
            .sum();
        if sent as usize >= total {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let elapsed = started.elapsed();
    background.stop().await;

    println!(
        "push delivery benchmark ({backend}, {} dispatcher(s))",
        if backend == "sqlite" { 1 } else { workers }
    );
    println!("  notifications:      {total}");
    println!(
        "  enqueued in:        {:.2} s",
        enqueued_in.unwrap_or(elapsed).as_secs_f64()
    );
    println!("  all delivered in:   {:.2} s", elapsed.as_secs_f64());
    println!(
        "  deliveries/second:  {:.0}",
        total as f64 / elapsed.as_secs_f64()
    );
    println!("  peak outbox lag:    {peak_lag:.2} s");
    println!(
        "  FCM requests:       {} ({} accepted)",
        fcm.sends(),
        fcm.delivered().len()
    );
}
