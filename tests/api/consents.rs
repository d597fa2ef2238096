//! Consents: check-ins only with agreement to the current health-data notice, a new version of a
//! text asking again, and a withdrawal that deletes every check-in, even one submitted meanwhile.

use futures_util::future::join_all;
use serde_json::{Value, json};

use crate::checkins::{stored, submit};
use crate::helpers::{Session, TestApp, error_code, error_field, spawn_app_on};

const CONSENTS: &str = "{ me { consents { purpose version givenAt } consentsNeeded } }";
const GIVE: &str = "mutation($purpose: ConsentPurpose!, $version: String!) {
    giveConsent(purpose: $purpose, version: $version) { consentsNeeded } }";
const WITHDRAW: &str = "mutation($purpose: ConsentPurpose!) {
    withdrawConsent(purpose: $purpose) { consentsNeeded consents { purpose } } }";
const ANSWERS: [i32; 5] = [3, 3, 3, 3, 3];

on_both_backends!(
    check_ins_wait_for_consent_to_the_current_notice,
    withdrawing_health_data_consent_deletes_every_check_in,
    a_check_in_racing_a_withdrawal_never_outlives_it,
    consents_and_the_consents_needed_are_read_once,
);

async fn consents(app: &TestApp, who: &Session) -> Value {
    app.gql(Some(&who.access_token), CONSENTS, json!({})).await["data"]["me"].clone()
}

async fn give(app: &TestApp, who: &Session, purpose: &str, version: &str) -> Value {
    app.gql(
        Some(&who.access_token),
        GIVE,
        json!({ "purpose": purpose, "version": version }),
    )
    .await
}

fn refused_for_consent(answer: &Value) -> bool {
    error_code(answer) == "FORBIDDEN"
        && answer["errors"][0]["extensions"]["reason"] == "CONSENT_REQUIRED"
}

async fn check_ins_wait_for_consent_to_the_current_notice(app: TestApp) {
    let ana = app.register_unconfirmed("ana@example.org").await;
    let fresh = consents(&app, &ana).await;
    assert_eq!(fresh["consents"], json!([]), "{fresh}");
    assert_eq!(fresh["consentsNeeded"], json!(["TERMS", "HEALTH_DATA"]));

    let refused = submit(&app, &ana, "WHO5", &ANSWERS).await;
    assert!(refused_for_consent(&refused), "{refused}");
    assert!(stored(&app).await.is_empty(), "nothing stored");

    let old = give(&app, &ana, "HEALTH_DATA", "0").await;
    assert_eq!(error_code(&old), "BAD_USER_INPUT", "{old}");
    assert_eq!(error_field(&old), "version");
    let anonymous = app
        .gql(None, GIVE, json!({ "purpose": "TERMS", "version": "1" }))
        .await;
    assert_eq!(error_code(&anonymous), "UNAUTHENTICATED", "{anonymous}");

    let given = give(&app, &ana, "HEALTH_DATA", "1").await;
    assert_eq!(
        given["data"]["giveConsent"]["consentsNeeded"],
        json!(["TERMS"]),
        "{given}"
    );
    let now = consents(&app, &ana).await;
    assert_eq!(now["consents"][0]["purpose"], "HEALTH_DATA", "{now}");
    assert_eq!(now["consents"][0]["version"], "1");
    assert!(now["consents"][0]["givenAt"].is_string());
    let accepted = submit(&app, &ana, "WHO5", &ANSWERS).await;
    assert!(accepted["errors"].is_null(), "{accepted}");

    // A new notice asks again: check-ins wait until she agrees to it.
    let renewed = spawn_app_on(app.database_url.clone(), |config| {
        config.consents.health_data = "2".into();
    })
    .await;
    let asked = consents(&renewed, &ana).await;
    assert_eq!(
        asked["consentsNeeded"],
        json!(["TERMS", "HEALTH_DATA"]),
        "{asked}"
    );
    assert_eq!(
        asked["consents"][0]["version"], "1",
        "the old one is still shown"
    );
    let refused = submit(&renewed, &ana, "WHO5", &ANSWERS).await;
    assert!(refused_for_consent(&refused), "{refused}");
    give(&renewed, &ana, "HEALTH_DATA", "2").await;
    let accepted = submit(&renewed, &ana, "WHO5", &ANSWERS).await;
    assert!(accepted["errors"].is_null(), "{accepted}");
    assert_eq!(stored(&app).await.len(), 2);
}

async fn withdrawing_health_data_consent_deletes_every_check_in(app: TestApp) {
    let ana = app.register("ana@example.org").await;
    let bob = app.register("bob@example.org").await;
    for who in [&ana, &ana, &bob] {
        let answer = submit(&app, who, "WHO5", &ANSWERS).await;
        assert!(answer["errors"].is_null(), "{answer}");
    }

    // Withdrawing the terms touches no check-in.
    let terms = app
        .gql(
            Some(&ana.access_token),
            WITHDRAW,
            json!({ "purpose": "TERMS" }),
        )
        .await;
    assert_eq!(
        terms["data"]["withdrawConsent"]["consentsNeeded"],
        json!(["TERMS"]),
        "{terms}"
    );
    assert_eq!(stored(&app).await.len(), 3);

    let withdrawn = app
        .gql(
            Some(&ana.access_token),
            WITHDRAW,
            json!({ "purpose": "HEALTH_DATA" }),
        )
        .await;
    assert_eq!(
        withdrawn["data"]["withdrawConsent"],
        json!({ "consentsNeeded": ["TERMS", "HEALTH_DATA"], "consents": [] }),
        "{withdrawn}"
    );
    // Hers are gone, Bob's stay; her own list says so too.
    assert_eq!(stored(&app).await.len(), 1);
    let mine = app
        .gql(
            Some(&ana.access_token),
            "{ myCheckins(first: 10) { edges { node { id } } } }",
            json!({}),
        )
        .await;
    assert_eq!(mine["data"]["myCheckins"]["edges"], json!([]), "{mine}");
    let refused = submit(&app, &ana, "WHO5", &ANSWERS).await;
    assert!(refused_for_consent(&refused), "{refused}");
    // Withdrawing again changes nothing and is no error.
    let again = app
        .gql(
            Some(&ana.access_token),
            WITHDRAW,
            json!({ "purpose": "HEALTH_DATA" }),
        )
        .await;
    assert!(again["errors"].is_null(), "{again}");
}

async fn a_check_in_racing_a_withdrawal_never_outlives_it(app: TestApp) {
    let ana = app.register("ana@example.org").await;
    let submits = (0..6).map(|_| submit(&app, &ana, "WHO5", &ANSWERS));
    let withdrawal = app.gql(
        Some(&ana.access_token),
        WITHDRAW,
        json!({ "purpose": "HEALTH_DATA" }),
    );
    let (answers, withdrawn) = tokio::join!(join_all(submits), withdrawal);
    assert!(withdrawn["errors"].is_null(), "{withdrawn}");
    // Each check-in came before the withdrawal (and went with it) or after (and was refused).
    assert!(
        answers
            .iter()
            .all(|answer| answer["errors"].is_null() || refused_for_consent(answer)),
        "{answers:?}"
    );
    assert!(
        stored(&app).await.is_empty(),
        "no check-in outlives the consent"
    );
}

/// `consents` and `consentsNeeded` asked together read the consents once.
async fn consents_and_the_consents_needed_are_read_once(mut app: TestApp) {
    app.stop_background().await;
    let ana = app.register("ana@example.org").await;
    let mut costs = Vec::new();
    for query in [
        "{ me { consents { purpose } } }",
        "{ me { consents { purpose } consentsNeeded } }",
    ] {
        // The cheapest of three: the count is the pool's, which a statement of the server's
        // own (a connection checked) can join once in a while.
        let mut cheapest = u64::MAX;
        for _ in 0..3 {
            let before = app.state.db.statements_run();
            let answer = app.gql(Some(&ana.access_token), query, json!({})).await;
            assert!(answer["errors"].is_null(), "{answer}");
            assert_eq!(
                answer["data"]["me"]["consents"].as_array().map(Vec::len),
                Some(2)
            );
            cheapest = cheapest.min(app.state.db.statements_run() - before);
        }
        costs.push(cheapest);
    }
    assert_eq!(costs[0], costs[1], "{costs:?}");
}
