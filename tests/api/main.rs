//! Integration tests: real HTTP into the real app, on a fresh database per test.
//!
//! Every test body runs on SQLite, and on PostgreSQL when `TEST_POSTGRES_URL` is set (each test
//! then gets a schema of its own in that database).

// Tests may stop at the first surprise.
#![allow(clippy::unwrap_used)]

/// Declares, for each async test body `name(app: TestApp)`, a `name::sqlite` and a
/// `name::postgres` test; `with(adjust) => names` first adjusts the apps' settings.
macro_rules! on_both_backends {
    ($($name:ident),+ $(,)?) => {
        on_both_backends!(with(|_| {}) => $($name),+);
    };
    (with($adjust:expr) => $($name:ident),+ $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let app = crate::helpers::spawn_app_configured(
                    crate::helpers::Backend::Sqlite,
                    $adjust,
                )
                .await;
                super::$name(app.expect("SQLite is always available")).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                match crate::helpers::spawn_app_configured(
                    crate::helpers::Backend::Postgres,
                    $adjust,
                )
                .await
                {
                    Some(app) => super::$name(app).await,
                    None => eprintln!("TEST_POSTGRES_URL unset: PostgreSQL run skipped"),
                }
            }
        }
    )+};
}

mod accounts;
mod addresses;
mod authorization;
mod checkins;
mod consents;
mod crash;
mod delivery;
mod fake_fcm;
mod fake_oidc;
mod fake_smtp;
mod groups;
mod helpers;
mod identities;
mod instances;
mod limits;
mod mail;
mod mentorship;
mod migrations;
mod notifications;
mod operations;
mod passwords;
mod postgres_tls;
mod privacy;
// Shared with the load benchmark (bench/), which uses the parts the tests do not.
#[allow(dead_code)]
mod process;
mod races;
mod retention;
mod screens;
mod server;
mod sockets;
mod support;
mod workshops;
