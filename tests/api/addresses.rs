//! Addresses: changing one only once its new owner confirms it, without telling anyone which
//! addresses have an account, and what an account may do before its address is confirmed.

use futures_util::future::join_all;
use relais::graphql::confirmed_address::NEEDS_CONFIRMED_ADDRESS;
use serde_json::{Value, json};

use crate::helpers::{Session, TestApp, error_code, error_field};
use crate::mail::{code_in_mail_to, code_mailed_to, mails_written};
use crate::passwords::login;

const PASSWORD: &str = "a long enough password";
const CHANGE: &str = "mutation($email: String!, $password: String!) {
    requestEmailChange(newEmail: $email, password: $password) }";
const CONFIRM: &str =
    "mutation($token: String!) { confirmEmail(token: $token) { email emailVerified } }";
const ME: &str = "{ me { email emailVerified } }";

on_both_backends!(
    an_address_changes_only_once_the_new_one_is_confirmed,
    a_taken_address_answers_as_a_free_one_until_confirmation,
    links_mailed_to_the_old_address_end_with_the_change,
    address_changes_are_mailed_at_most_three_an_hour,
    two_accounts_confirming_one_address_at_once_get_it_once,
    an_unconfirmed_account_reads_but_does_not_reach_others,
);

async fn request_change(app: &TestApp, who: &Session, email: &str, password: &str) -> Value {
    app.gql(
        Some(&who.access_token),
        CHANGE,
        json!({ "email": email, "password": password }),
    )
    .await
}

async fn confirm(app: &TestApp, who: &Session, code: &str) -> Value {
    app.gql(Some(&who.access_token), CONFIRM, json!({ "token": code }))
        .await
}

async fn email_of(app: &TestApp, who: &Session) -> String {
    let answer = app.gql(Some(&who.access_token), ME, json!({})).await;
    answer["data"]["me"]["email"]
        .as_str()
        .expect("an address")
        .to_owned()
}

async fn an_address_changes_only_once_the_new_one_is_confirmed(app: TestApp) {
    let camille = app.register("camille@example.org").await;
    let bob = app.register("bob@example.org").await;

    let wrong = request_change(&app, &camille, "camille@hopital.example", "not it at all").await;
    assert_eq!(error_code(&wrong), "BAD_USER_INPUT", "{wrong}");
    assert_eq!(error_field(&wrong), "password");
    let invalid = request_change(&app, &camille, "not an address", PASSWORD).await;
    assert_eq!(error_code(&invalid), "BAD_USER_INPUT", "{invalid}");
    assert_eq!(error_field(&invalid), "newEmail");
    let anonymous = app
        .gql(
            None,
            CHANGE,
            json!({ "email": "camille@hopital.example", "password": PASSWORD }),
        )
        .await;
    assert_eq!(error_code(&anonymous), "UNAUTHENTICATED", "{anonymous}");

    let asked = request_change(&app, &camille, "Camille@Hopital.example", PASSWORD).await;
    assert_eq!(asked["data"]["requestEmailChange"], true, "{asked}");
    // Nothing changes yet: the old address still signs in, the new one does not.
    assert_eq!(email_of(&app, &camille).await, "camille@example.org");
    assert!(login(&app, "camille@example.org", PASSWORD).await.is_some());
    assert!(
        login(&app, "camille@hopital.example", PASSWORD)
            .await
            .is_none()
    );

    // The new address gets the code, the old one a notice naming the new one.
    let code = code_mailed_to(&app, "Camille@Hopital.example", 0).await;
    let mails = mails_written(&app).await;
    let to = |mail: &mail_parser::Message<'_>| {
        mail.to()
            .and_then(|to| to.first())
            .and_then(|to| to.address())
            .map(str::to_owned)
    };
    let confirmation = mails
        .iter()
        .find(|mail| to(mail).as_deref() == Some("Camille@Hopital.example"))
        .expect("a mail to the new address");
    assert_eq!(
        confirmation.subject(),
        Some("Confirmez votre nouvelle adresse e-mail")
    );
    let notice = mails
        .iter()
        .find(|mail| {
            to(mail).as_deref() == Some("camille@example.org")
                && mail.subject()
                    == Some("Un changement de votre adresse e-mail Relais a été demandé")
        })
        .expect("a notice to the old address");
    let text = notice.body_text(0).expect("a text part");
    assert!(text.contains("Camille@Hopital.example"), "{text}");
    assert!(!text.contains(&code), "the notice carries no code: {text}");

    // Someone else's code does nothing, and trying does not use it up.
    let stolen = confirm(&app, &bob, &code).await;
    assert_eq!(error_field(&stolen), "token", "{stolen}");
    let confirmed = confirm(&app, &camille, &code).await;
    assert_eq!(
        confirmed["data"]["confirmEmail"],
        json!({ "email": "Camille@Hopital.example", "emailVerified": true }),
        "{confirmed}"
    );
    let again = confirm(&app, &camille, &code).await;
    assert_eq!(error_field(&again), "token", "{again}");
    assert!(
        login(&app, "camille@hopital.example", PASSWORD)
            .await
            .is_some()
    );
    assert!(login(&app, "camille@example.org", PASSWORD).await.is_none());
    // The old address is free for anyone now.
    let newcomer = app.register("camille@example.org").await;
    assert_eq!(email_of(&app, &newcomer).await, "camille@example.org");
}

async fn a_taken_address_answers_as_a_free_one_until_confirmation(app: TestApp) {
    let camille = app.register("camille@example.org").await;
    let bob = app.register("bob@example.org").await;
    let free = request_change(&app, &camille, "free@example.org", PASSWORD).await;
    let taken = request_change(&app, &camille, "BOB@example.org", PASSWORD).await;
    assert_eq!(free, taken, "the answer says nothing of other accounts");
    assert_eq!(taken["data"]["requestEmailChange"], true, "{taken}");

    // The code for the taken address is refused at confirmation, and nothing changes.
    let code = code_mailed_to(&app, "BOB@example.org", 0).await;
    let refused = confirm(&app, &camille, &code).await;
    assert_eq!(error_code(&refused), "CONFLICT", "{refused}");
    assert!(refused["data"].is_null(), "{refused}");
    assert_eq!(email_of(&app, &camille).await, "camille@example.org");
    assert_eq!(email_of(&app, &bob).await, "bob@example.org");

    // A free address taken by a registration before its confirmation is refused the same.
    let code = code_mailed_to(&app, "free@example.org", 0).await;
    app.register("free@example.org").await;
    let refused = confirm(&app, &camille, &code).await;
    assert_eq!(error_code(&refused), "CONFLICT", "{refused}");
    assert_eq!(email_of(&app, &camille).await, "camille@example.org");
}

async fn links_mailed_to_the_old_address_end_with_the_change(app: TestApp) {
    let camille = app.register("camille@example.org").await;
    let reset = app
        .gql(
            None,
            "mutation { requestPasswordReset(email: \"camille@example.org\") }",
            json!({}),
        )
        .await;
    assert_eq!(reset["data"]["requestPasswordReset"], true, "{reset}");
    let reset_code = code_in_mail_to(&app, "camille@example.org", "reset-password", 0).await;
    request_change(&app, &camille, "camille@hopital.example", PASSWORD).await;
    let code = code_mailed_to(&app, "camille@hopital.example", 0).await;
    let confirmed = confirm(&app, &camille, &code).await;
    assert_eq!(
        confirmed["data"]["confirmEmail"]["email"], "camille@hopital.example",
        "{confirmed}"
    );
    let stale = app
        .gql(
            None,
            "mutation($token: String!) { resetPassword(token: $token, newPassword: \"another long password\") { accessToken } }",
            json!({ "token": reset_code }),
        )
        .await;
    assert_eq!(error_code(&stale), "BAD_USER_INPUT", "{stale}");
    assert_eq!(error_field(&stale), "token");
}

async fn address_changes_are_mailed_at_most_three_an_hour(app: TestApp) {
    let camille = app.register("camille@example.org").await;
    for n in 0..3 {
        let asked = request_change(&app, &camille, &format!("new-{n}@example.org"), PASSWORD).await;
        assert_eq!(asked["data"]["requestEmailChange"], true, "{asked}");
    }
    let refused = request_change(&app, &camille, "new-3@example.org", PASSWORD).await;
    assert_eq!(error_code(&refused), "RATE_LIMITED", "{refused}");
    assert!(
        refused["errors"][0]["extensions"]["retryAfterSeconds"]
            .as_u64()
            .is_some_and(|seconds| seconds > 0),
        "{refused}"
    );
}

async fn two_accounts_confirming_one_address_at_once_get_it_once(app: TestApp) {
    let mut people = Vec::new();
    for n in 0..4 {
        people.push(app.register(&format!("nurse-{n}@example.org")).await);
    }
    let mut codes = Vec::new();
    for (n, person) in people.iter().enumerate() {
        let asked = request_change(&app, person, "shared@example.org", PASSWORD).await;
        assert_eq!(asked["data"]["requestEmailChange"], true, "{asked}");
        codes.push(code_mailed_to(&app, "shared@example.org", n).await);
    }
    // Which code belongs to whom is not known here: each tries every code, all at once.
    let tries = people
        .iter()
        .flat_map(|person| codes.iter().map(move |code| (person.clone(), code.clone())));
    let answers = join_all(tries.map(|(person, code)| {
        let app = &app;
        async move { confirm(app, &person, &code).await }
    }))
    .await;
    let moved = answers
        .iter()
        .filter(|answer| answer["data"]["confirmEmail"]["email"] == "shared@example.org")
        .count();
    assert_eq!(moved, 1, "{answers:?}");
    let mut owners = 0;
    for person in &people {
        if email_of(&app, person).await == "shared@example.org" {
            owners += 1;
        }
    }
    assert_eq!(owners, 1);
}

/// A mutation document naming `field` alone: the address check runs before validation, so the
/// arguments it would need do not matter.
fn bare_mutation(field: &str) -> String {
    format!("mutation {{ {field} }}")
}

async fn an_unconfirmed_account_reads_but_does_not_reach_others(app: TestApp) {
    let owner = app.register("owner@example.org").await;
    let group = crate::groups::create_group(
        &app,
        &owner,
        crate::groups::group_input("Soignants de nuit", "PUBLIC"),
    )
    .await;
    let eve = app.register_unconfirmed("eve@example.org").await;

    // Reading, joining and her own account work.
    let read = app
        .gql(
            Some(&eve.access_token),
            "query($id: ID!) { group(id: $id) { name } }",
            json!({ "id": group }),
        )
        .await;
    assert_eq!(read["data"]["group"]["name"], "Soignants de nuit", "{read}");
    let joined = crate::groups::join(&app, &eve, &group).await;
    assert!(joined["errors"].is_null(), "{joined}");
    let profile = app
        .gql(
            Some(&eve.access_token),
            "mutation { updateProfile(input: { bio: \"Infirmière\" }) { user { bio } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        profile["data"]["updateProfile"]["user"]["bio"],
        "Infirmière"
    );

    // Posting is refused before anything runs, with the reason and the field, also through a
    // fragment and an alias.
    for document in [
        "mutation($id: ID!) { createPost(input: { groupId: $id, body: \"Bonjour\" }) { id } }",
        "mutation($id: ID!) { ...P } fragment P on Mutation { hello: createPost(input: { groupId: $id, body: \"Bonjour\" }) { id } }",
    ] {
        let refused = app
            .gql(Some(&eve.access_token), document, json!({ "id": group }))
            .await;
        assert_eq!(error_code(&refused), "FORBIDDEN", "{refused}");
        let error = &refused["errors"][0];
        assert_eq!(
            error["extensions"]["reason"], "EMAIL_NOT_VERIFIED",
            "{refused}"
        );
        assert!(
            error["path"][0] == "createPost" || error["path"][0] == "hello",
            "{refused}"
        );
        assert!(refused["data"].is_null(), "{refused}");
    }
    let posts = app
        .gql(
            Some(&owner.access_token),
            "query($id: ID!) { group(id: $id) { posts(first: 10) { edges { node { id } } } } }",
            json!({ "id": group }),
        )
        .await;
    assert_eq!(
        posts["data"]["group"]["posts"]["edges"],
        json!([]),
        "{posts}"
    );

    // Every mutation on the list is refused so; each is a mutation of the schema.
    let introspection = app
        .gql(
            None,
            "{ __type(name: \"Mutation\") { fields { name } } }",
            json!({}),
        )
        .await;
    let mutations: Vec<&str> = introspection["data"]["__type"]["fields"]
        .as_array()
        .expect("the mutations")
        .iter()
        .filter_map(|field| field["name"].as_str())
        .collect();
    for field in NEEDS_CONFIRMED_ADDRESS {
        assert!(mutations.contains(field), "{field} is not a mutation");
        let refused = app
            .gql(Some(&eve.access_token), &bare_mutation(field), json!({}))
            .await;
        assert_eq!(
            refused["errors"][0]["extensions"]["reason"], "EMAIL_NOT_VERIFIED",
            "{field}: {refused}"
        );
        // Confirmed, the same document goes on to validation (its arguments are missing).
        let validated = app
            .gql(Some(&owner.access_token), &bare_mutation(field), json!({}))
            .await;
        assert_ne!(error_code(&validated), "FORBIDDEN", "{field}: {validated}");
    }

    // Once she confirms her address, she posts.
    let code = code_mailed_to(&app, "eve@example.org", 0).await;
    let confirmed = confirm(&app, &eve, &code).await;
    assert_eq!(confirmed["data"]["confirmEmail"]["emailVerified"], true);
    let posted = crate::groups::post(&app, &eve, &group, "Bonjour", None, false).await;
    assert!(posted["errors"].is_null(), "{posted}");
}
