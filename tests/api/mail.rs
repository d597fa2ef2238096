//! Mail: the outbox and its dispatcher through a real SMTP conversation and through `.eml` files,
//! address confirmation, and what a rolled-back change or an SMTP outage does to mails.

use std::path::Path;
use std::time::Duration;

use diesel::prelude::*;
use relais::config::{MailConfig, MailTransportConfig};
use relais::db::schema::mail_outbox;
use relais::mail::model::MailKind;
use serde_json::json;

use crate::fake_smtp::FakeSmtp;
use crate::helpers::{Backend, TestApp, error_code, error_field, eventually, spawn_app_configured};

const VIEWER: &str = "{ me { email emailVerified } }";
const CONFIRM: &str = "mutation($token: String!) { confirmEmail(token: $token) { emailVerified } }";
const RESEND: &str = "mutation { resendEmailConfirmation }";

/// The `.eml` files the development transport wrote, parsed.
pub fn folder_mails(folder: &Path) -> Vec<mail_parser::Message<'static>> {
    let Ok(entries) = std::fs::read_dir(folder) else {
        return Vec::new();
    };
    entries
        .filter_map(Result::ok)
        .filter(|entry| entry.path().extension().is_some_and(|ext| ext == "eml"))
        .filter_map(|entry| std::fs::read(entry.path()).ok())
        .filter_map(|bytes| {
            mail_parser::MessageParser::default()
                .parse(&bytes)
                .map(|message| message.into_owned())
        })
        .collect()
}

/// Sends every mail due now, as a dispatcher would (test servers run none unless asked).
pub async fn deliver_mails(app: &TestApp) {
    let state = &app.state;
    let dispatcher = relais::mail::dispatcher::MailDispatcher::new(
        state.db.clone(),
        state.mail.clone(),
        state.secret.clone(),
        state.config.public_url.clone(),
        state.config.mail.retry_base,
    );
    while dispatcher.run_once().await.expect("mails sent") > 0 {}
}

/// The mails written so far, once those due are sent.
pub async fn mails_written(app: &TestApp) -> Vec<mail_parser::Message<'static>> {
    deliver_mails(app).await;
    folder_mails(&mail_folder(app))
}

pub fn mail_folder(app: &TestApp) -> std::path::PathBuf {
    match &app.state.config.mail.transport {
        MailTransportConfig::Folder(folder) => folder.clone(),
        MailTransportConfig::Smtp { .. } => panic!("a test server writes mails to a folder"),
    }
}

/// The code a confirmation mail to `address` carries, once it has been written.
pub async fn code_mailed_to(app: &TestApp, address: &str, nth: usize) -> String {
    code_in_mail_to(app, address, "confirm-email", nth).await
}

/// The code of the `nth` mail to `address` whose link goes to `/app/<path>`.
pub async fn code_in_mail_to(app: &TestApp, address: &str, path: &str, nth: usize) -> String {
    eventually(20, || async move {
        let mut codes: Vec<(i64, String)> = mails_written(app)
            .await
            .into_iter()
            .filter(|mail| {
                mail.to()
                    .and_then(|to| to.first())
                    .and_then(|to| to.address())
                    .is_some_and(|to| to == address)
            })
            .filter_map(|mail| {
                let text = mail.body_text(0)?.into_owned();
                if !text.contains(&format!("/app/{path}?")) {
                    return None;
                }
                let date = mail.date().map_or(0, |date| date.to_timestamp());
                Some((date, code_in(&text)?))
            })
            .collect();
        codes.sort();
        codes.get(nth).map(|(_, code)| code.clone())
    })
    .await
}

fn code_in(text: &str) -> Option<String> {
    let start = text.find("token=")? + "token=".len();
    Some(text[start..start + 32].to_owned())
}

on_both_backends!(
    registration_mails_a_code_that_confirms_the_address_once,
    confirmations_are_resent_at_most_three_an_hour,
    a_rolled_back_change_sends_no_mail,
    a_confirmation_code_used_six_times_at_once_confirms_once,
);

async fn a_confirmation_code_used_six_times_at_once_confirms_once(app: TestApp) {
    let camille = app.register_unconfirmed("camille@example.org").await;
    let code = code_mailed_to(&app, "camille@example.org", 0).await;
    let uses = (0..6).map(|_| {
        let (app, token, code) = (&app, camille.access_token.clone(), code.clone());
        async move {
            app.gql(Some(&token), CONFIRM, json!({ "token": code }))
                .await
        }
    });
    let answers = futures_util::future::join_all(uses).await;
    let confirmed = answers
        .iter()
        .filter(|answer| answer["data"]["confirmEmail"]["emailVerified"] == true)
        .count();
    assert_eq!(confirmed, 1, "{answers:?}");
    assert!(
        answers
            .iter()
            .filter(|answer| answer["errors"].is_array())
            .all(|answer| error_field(answer) == "token"),
        "{answers:?}"
    );
}

async fn registration_mails_a_code_that_confirms_the_address_once(app: TestApp) {
    let camille = app.register_unconfirmed("camille@example.org").await;
    let bob = app.register_unconfirmed("bob@example.org").await;
    let answer = app
        .gql(Some(&camille.access_token), VIEWER, json!({}))
        .await;
    assert_eq!(answer["data"]["me"]["emailVerified"], false, "{answer}");

    let code = code_mailed_to(&app, "camille@example.org", 0).await;
    let mail = mails_written(&app)
        .await
        .into_iter()
        .find(|mail| mail.body_text(0).is_some_and(|text| text.contains(&code)))
        .expect("the mail");
    assert_eq!(mail.subject(), Some("Confirmez votre adresse e-mail"));
    let html = mail.body_html(0).expect("an HTML part").into_owned();
    assert!(html.contains(&code), "{html}");
    assert!(!html.contains("<img"), "no tracking pixel: {html}");

    // Bob cannot use Camille's code, and trying does not use it up.
    let stolen = app
        .gql(Some(&bob.access_token), CONFIRM, json!({ "token": code }))
        .await;
    assert_eq!(error_code(&stolen), "BAD_USER_INPUT", "{stolen}");
    assert_eq!(error_field(&stolen), "token");

    let confirmed = app
        .gql(
            Some(&camille.access_token),
            CONFIRM,
            json!({ "token": code }),
        )
        .await;
    assert_eq!(
        confirmed["data"]["confirmEmail"]["emailVerified"], true,
        "{confirmed}"
    );
    let again = app
        .gql(
            Some(&camille.access_token),
            CONFIRM,
            json!({ "token": code }),
        )
        .await;
    assert_eq!(error_code(&again), "BAD_USER_INPUT", "{again}");
    let unknown = app
        .gql(
            Some(&bob.access_token),
            CONFIRM,
            json!({ "token": "0".repeat(32) }),
        )
        .await;
    assert_eq!(error_code(&unknown), "BAD_USER_INPUT", "{unknown}");
    let anonymous = app.gql(None, CONFIRM, json!({ "token": code })).await;
    assert_eq!(error_code(&anonymous), "UNAUTHENTICATED", "{anonymous}");
    let answer = app
        .gql(Some(&camille.access_token), VIEWER, json!({}))
        .await;
    assert_eq!(answer["data"]["me"]["emailVerified"], true, "{answer}");
}

async fn confirmations_are_resent_at_most_three_an_hour(app: TestApp) {
    let camille = app.register_unconfirmed("camille@example.org").await;
    for _ in 0..2 {
        let answer = app
            .gql(Some(&camille.access_token), RESEND, json!({}))
            .await;
        assert_eq!(answer["data"]["resendEmailConfirmation"], true, "{answer}");
    }
    let refused = app
        .gql(Some(&camille.access_token), RESEND, json!({}))
        .await;
    assert_eq!(error_code(&refused), "RATE_LIMITED", "{refused}");
    // Any of the three codes confirms; after that, nothing more is sent.
    let code = code_mailed_to(&app, "camille@example.org", 2).await;
    let confirmed = app
        .gql(
            Some(&camille.access_token),
            CONFIRM,
            json!({ "token": code }),
        )
        .await;
    assert_eq!(
        confirmed["data"]["confirmEmail"]["emailVerified"], true,
        "{confirmed}"
    );
    let answer = app
        .gql(Some(&camille.access_token), RESEND, json!({}))
        .await;
    assert_eq!(answer["data"]["resendEmailConfirmation"], false, "{answer}");
}

async fn a_rolled_back_change_sends_no_mail(app: TestApp) {
    let camille = app.register_unconfirmed("camille@example.org").await;
    code_mailed_to(&app, "camille@example.org", 0).await;
    let user_id = relais::ids::UserId::from_client(camille.user_id.clone());
    let queued = app
        .state
        .db
        .write(move |conn| {
            relais::mail::service::queue(
                conn,
                &user_id,
                "camille@example.org",
                MailKind::ConfirmAddress {
                    token: relais::ids::EmailTokenId::generate(),
                },
            )?;
            Err::<(), _>(relais::error::AppError::Forbidden)
        })
        .await;
    assert!(queued.is_err());
    let rows: i64 = app
        .state
        .db
        .run(|conn| Ok(mail_outbox::table.count().get_result(conn)?))
        .await
        .unwrap();
    assert_eq!(rows, 1, "only the registration's mail");
    assert_eq!(mails_written(&app).await.len(), 1);
}

/// Mail settings for sending through `smtp` with `workers` dispatchers, with retries short
/// enough for a test.
pub fn mailing_through(smtp: &FakeSmtp, workers: usize) -> MailConfig {
    MailConfig {
        transport: MailTransportConfig::Smtp {
            host: "127.0.0.1".into(),
            port: smtp.addr.port(),
            implicit_tls: false,
            require_tls: false,
            user: None,
            password: None,
        },
        from: "Relais <no-reply@relais.test>".into(),
        retry_base: Duration::from_millis(200),
        workers,
    }
}

async fn app_mailing_through(backend: Backend, smtp: &FakeSmtp) -> Option<TestApp> {
    let mail = mailing_through(smtp, 1);
    spawn_app_configured(backend, move |config| config.mail = mail).await
}

async fn mails_go_through_smtp_and_wait_out_an_outage(backend: Backend) {
    let mut smtp = FakeSmtp::start().await;
    let Some(app) = app_mailing_through(backend, &smtp).await else {
        eprintln!("TEST_POSTGRES_URL unset: PostgreSQL run skipped");
        return;
    };
    app.register_unconfirmed_with(
        json!({ "email": "camille@example.org", "password": "a long enough password",
                             "displayName": "Camille", "profession": "NURSE", "locale": "en" }),
    )
    .await;
    let first = eventually(20, || async { smtp.received().into_iter().next() }).await;
    assert_eq!(first.to, ["<camille@example.org>"]);
    assert_eq!(first.from, "<no-reply@relais.test>");
    let parsed = mail_parser::MessageParser::default()
        .parse(&first.data)
        .expect("a parsable message");
    assert_eq!(parsed.subject(), Some("Confirm your email address"));
    let text = parsed.body_text(0).expect("a text part");
    assert!(text.starts_with("Hello Camille,"), "{text}");
    assert!(code_in(&text).is_some(), "{text}");
    assert!(parsed.body_html(0).is_some(), "an HTML alternative");

    // The relay goes down: mails wait, spending no attempt, and all arrive once it is back.
    smtp.take_down();
    for n in 0..3 {
        app.register_unconfirmed(&format!("during-outage-{n}@example.org"))
            .await;
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let waiting: Vec<(String, i32, chrono::NaiveDateTime)> = app
        .state
        .db
        .run(|conn| {
            Ok(mail_outbox::table
                .filter(mail_outbox::status.eq("PENDING"))
                .select((
                    mail_outbox::to_address,
                    mail_outbox::attempts,
                    mail_outbox::not_before,
                ))
                .load(conn)?)
        })
        .await
        .unwrap();
    assert_eq!(waiting.len(), 3, "{waiting:?}");
    assert!(
        waiting.iter().all(|(_, attempts, _)| *attempts == 0),
        "{waiting:?}"
    );
    // The pause follows the outage (seconds here), not the number of mails that met it.
    let soon = chrono::Utc::now().naive_utc() + chrono::TimeDelta::seconds(15);
    assert!(waiting.iter().all(|(_, _, due)| *due < soon), "{waiting:?}");
    smtp.bring_back().await;
    eventually(30, || async { (smtp.received().len() == 4).then_some(()) }).await;
    // The relay has the last mail a moment before the outbox records it sent.
    let sent = || async {
        let sent: i64 = app
            .state
            .db
            .run(|conn| {
                Ok(mail_outbox::table
                    .filter(mail_outbox::status.eq("SENT"))
                    .count()
                    .get_result(conn)?)
            })
            .await
            .unwrap();
        (sent == 4).then_some(())
    };
    eventually(5, sent).await;
    assert_eq!(smtp.received().len(), 4, "each mail once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mails_go_through_smtp_and_wait_out_an_outage_sqlite() {
    mails_go_through_smtp_and_wait_out_an_outage(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mails_go_through_smtp_and_wait_out_an_outage_postgres() {
    mails_go_through_smtp_and_wait_out_an_outage(Backend::Postgres).await;
}
