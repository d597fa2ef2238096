//! Passwords: changing one, and recovering a forgotten one by mail, without telling anyone which
//! addresses have an account.

use std::time::{Duration, Instant};

use diesel::prelude::*;
use relais::db::schema::email_tokens;
use serde_json::json;

use crate::helpers::{TestApp, error_code, error_field};
use crate::mail::{code_in_mail_to, mails_written};

const PASSWORD: &str = "a long enough password";
const LOGIN: &str = "mutation($email: String!, $password: String!) {
    login(email: $email, password: $password) { accessToken } }";
const CHANGE: &str = "mutation($current: String!, $new: String!) {
    changePassword(currentPassword: $current, newPassword: $new) }";
const REQUEST: &str = "mutation($email: String!) { requestPasswordReset(email: $email) }";
const RESET: &str = "mutation($token: String!, $new: String!) {
    resetPassword(token: $token, newPassword: $new) { accessToken viewer { email } } }";
const ME: &str = "{ me { email } }";

pub async fn login(app: &TestApp, email: &str, password: &str) -> Option<String> {
    let answer = app
        .gql(None, LOGIN, json!({ "email": email, "password": password }))
        .await;
    answer["data"]["login"]["accessToken"]
        .as_str()
        .map(str::to_owned)
}

async fn signed_in(app: &TestApp, token: &str) -> bool {
    let answer = app.gql(Some(token), ME, json!({})).await;
    !answer["data"]["me"].is_null()
}

on_both_backends!(
    changing_the_password_ends_the_other_sessions_and_mails_a_notice,
    a_reset_code_signs_in_once_within_thirty_minutes,
    reset_requests_answer_alike_for_known_and_unknown_addresses,
    two_uses_of_one_reset_code_at_once_sign_in_once,
);

async fn changing_the_password_ends_the_other_sessions_and_mails_a_notice(app: TestApp) {
    let camille = app.register("camille@example.org").await;
    let phone = login(&app, "camille@example.org", PASSWORD)
        .await
        .expect("a second session");
    let new = "an even longer new password";

    let wrong = app
        .gql(
            Some(&camille.access_token),
            CHANGE,
            json!({ "current": "not it at all", "new": new }),
        )
        .await;
    assert_eq!(error_code(&wrong), "BAD_USER_INPUT", "{wrong}");
    assert_eq!(error_field(&wrong), "currentPassword");
    let short = app
        .gql(
            Some(&camille.access_token),
            CHANGE,
            json!({ "current": PASSWORD, "new": "short" }),
        )
        .await;
    assert_eq!(error_field(&short), "newPassword", "{short}");
    assert!(signed_in(&app, &phone).await, "nothing changed yet");

    let changed = app
        .gql(
            Some(&camille.access_token),
            CHANGE,
            json!({ "current": PASSWORD, "new": new }),
        )
        .await;
    assert_eq!(changed["data"]["changePassword"], true, "{changed}");
    assert!(
        signed_in(&app, &camille.access_token).await,
        "this session stays"
    );
    assert!(!signed_in(&app, &phone).await, "the other one ended");
    assert!(login(&app, "camille@example.org", PASSWORD).await.is_none());
    assert!(login(&app, "camille@example.org", new).await.is_some());
    let mails = mails_written(&app).await;
    assert!(
        mails
            .iter()
            .any(|mail| mail.subject() == Some("Votre mot de passe Relais a changé"))
    );
}

async fn a_reset_code_signs_in_once_within_thirty_minutes(app: TestApp) {
    let camille = app.register("camille@example.org").await;
    let answer = app
        .gql(None, REQUEST, json!({ "email": " Camille@Example.org " }))
        .await;
    assert_eq!(answer["data"]["requestPasswordReset"], true, "{answer}");
    let code = code_in_mail_to(&app, "camille@example.org", "reset-password", 0).await;

    let short = app
        .gql(None, RESET, json!({ "token": code, "new": "short" }))
        .await;
    assert_eq!(error_field(&short), "newPassword", "{short}");
    let new = "a brand new long password";
    let reset = app
        .gql(None, RESET, json!({ "token": code, "new": new }))
        .await;
    let token = reset["data"]["resetPassword"]["accessToken"]
        .as_str()
        .expect("signed in");
    assert_eq!(
        reset["data"]["resetPassword"]["viewer"]["email"],
        "camille@example.org"
    );
    assert!(signed_in(&app, token).await);
    assert!(
        !signed_in(&app, &camille.access_token).await,
        "every older session ended"
    );
    assert!(login(&app, "camille@example.org", new).await.is_some());

    let again = app
        .gql(None, RESET, json!({ "token": code, "new": new }))
        .await;
    assert_eq!(error_code(&again), "BAD_USER_INPUT", "{again}");
    assert_eq!(error_field(&again), "token");

    // A code past its 30 minutes is refused the same way.
    app.gql(None, REQUEST, json!({ "email": "camille@example.org" }))
        .await;
    let late = code_in_mail_to(&app, "camille@example.org", "reset-password", 1).await;
    app.state
        .db
        .write(|conn| {
            let past = chrono::Utc::now().naive_utc() - chrono::TimeDelta::minutes(31);
            diesel::update(email_tokens::table.filter(email_tokens::used_at.is_null()))
                .set(email_tokens::expires_at.eq(past))
                .execute(conn)?;
            Ok(())
        })
        .await
        .unwrap();
    let expired = app
        .gql(None, RESET, json!({ "token": late, "new": new }))
        .await;
    assert_eq!(error_field(&expired), "token", "{expired}");
}

async fn reset_requests_answer_alike_for_known_and_unknown_addresses(app: TestApp) {
    app.register("camille@example.org").await;
    let mut known = Vec::new();
    let mut unknown = Vec::new();
    for round in 0..3 {
        for (address, times) in [
            ("camille@example.org".to_owned(), &mut known),
            (format!("nobody-{round}@example.org"), &mut unknown),
        ] {
            let started = Instant::now();
            let answer = app.gql(None, REQUEST, json!({ "email": address })).await;
            times.push(started.elapsed());
            assert_eq!(answer, json!({ "data": { "requestPasswordReset": true } }));
        }
    }
    let mean = |times: &[Duration]| times.iter().sum::<Duration>() / times.len() as u32;
    let floor = relais::accounts::service::RESET_REQUEST_TIME;
    assert!(known.iter().chain(&unknown).all(|took| *took >= floor));
    let gap = mean(&known).abs_diff(mean(&unknown));
    assert!(
        gap < Duration::from_millis(150),
        "known {known:?}, unknown {unknown:?}"
    );
}

async fn two_uses_of_one_reset_code_at_once_sign_in_once(app: TestApp) {
    app.register("camille@example.org").await;
    app.gql(None, REQUEST, json!({ "email": "camille@example.org" }))
        .await;
    let code = code_in_mail_to(&app, "camille@example.org", "reset-password", 0).await;
    let attempts = (0..6).map(|n| {
        let (app, code) = (&app, code.clone());
        async move {
            app.gql(
                None,
                RESET,
                json!({ "token": code, "new": format!("new password number {n}") }),
            )
            .await
        }
    });
    let answers = futures_util::future::join_all(attempts).await;
    let signed_in = answers
        .iter()
        .filter(|answer| answer["data"]["resetPassword"]["accessToken"].is_string())
        .count();
    assert_eq!(signed_in, 1, "{answers:?}");
    assert!(
        answers
            .iter()
            .filter(|answer| answer["errors"].is_array())
            .all(|answer| error_field(answer) == "token")
    );
}
