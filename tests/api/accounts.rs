//! Accounts and sessions: registration, sign-in, tokens, profile, erasure.

use chrono::{Duration, Utc};
use diesel::prelude::*;
use relais::accounts::model::Role;
use relais::accounts::service::grant_role;
use relais::db::schema::{session_tokens, user_languages, users};
use serde_json::{Value, json};

use crate::helpers::{TestApp, error_code, error_field, error_message, session_of};

const ME: &str = "{ me { email locale timezone roles user { id displayName profession languages region bio } } }";
const LOGIN: &str = "mutation($email: String!, $password: String!) {
    login(email: $email, password: $password) { accessToken refreshToken viewer { user { id } } } }";
const REFRESH: &str = "mutation($token: String!) {
    refreshSession(refreshToken: $token) { accessToken refreshToken accessTokenExpiresAt viewer { user { id } } } }";

async fn user_count(app: &TestApp) -> i64 {
    app.state
        .db
        .run(|conn| Ok(users::table.count().get_result::<i64>(conn)?))
        .await
        .unwrap()
}

on_both_backends!(
    register_then_me,
    me_is_null_without_token_and_protected_fields_refuse,
    duplicate_email_is_a_conflict,
    invalid_registration_fields_are_refused_and_change_nothing,
    login_accepts_only_the_right_password,
    refresh_rotates_and_a_replayed_token_revokes_the_session,
    logout_revokes_the_session,
    expired_or_unknown_tokens_are_unauthenticated,
    update_profile_changes_only_what_is_given,
    invalid_profile_updates_are_refused,
    delete_account_needs_the_password_and_erases_everything,
    roles_granted_appear_on_the_viewer,
    messages_follow_the_viewer_locale_then_accept_language,
    restart_keeps_accounts_and_sessions,
    repeated_failed_sign_ins_are_throttled,
    users_see_each_others_public_profile_only_when_signed_in,
    sessions_are_listed_with_their_device_and_revoked_one_by_one,
);

const SESSIONS: &str = "{ mySessions { id device current createdAt lastUsedAt } }";
const REVOKE: &str = "mutation($id: ID!) { revokeSession(id: $id) }";

async fn sessions_are_listed_with_their_device_and_revoked_one_by_one(app: TestApp) {
    let laptop = app.register("camille@example.org").await;
    let bob = app.register("bob@example.org").await;
    let answer = app
        .post_graphql(
            json!({ "query": LOGIN, "variables": { "email": "camille@example.org", "password": "a long enough password" } }),
            &[("user-agent", "Relais/1.4 (iPhone;\tiOS 18.1)")],
        )
        .await
        .json::<Value>()
        .await
        .unwrap();
    let phone = answer["data"]["login"]["accessToken"]
        .as_str()
        .unwrap()
        .to_owned();

    let listed = app.gql(Some(&phone), SESSIONS, json!({})).await;
    let sessions = listed["data"]["mySessions"]
        .as_array()
        .expect("a list")
        .clone();
    assert_eq!(sessions.len(), 2, "{listed}");
    assert_eq!(
        sessions[0]["current"], true,
        "the most recently used first: {listed}"
    );
    assert_eq!(
        sessions[0]["device"], "Relais/1.4 (iPhone;iOS 18.1)",
        "control characters dropped"
    );
    assert!(sessions[0]["lastUsedAt"].is_string());
    assert_eq!(sessions[1]["current"], false);
    let laptop_session = sessions[1]["id"].as_str().unwrap().to_owned();

    // Nobody else's session can be named, and an unknown one reads the same.
    let bobs = app.gql(Some(&bob.access_token), SESSIONS, json!({})).await;
    let bobs = bobs["data"]["mySessions"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for id in [bobs.as_str(), "00000000-0000-7000-8000-000000000000"] {
        let refused = app.gql(Some(&phone), REVOKE, json!({ "id": id })).await;
        assert_eq!(error_code(&refused), "NOT_FOUND", "{refused}");
    }
    let still = app.gql(Some(&bob.access_token), ME, json!({})).await;
    assert!(!still["data"]["me"].is_null());

    let revoked = app
        .gql(Some(&phone), REVOKE, json!({ "id": laptop_session }))
        .await;
    assert_eq!(revoked["data"]["revokeSession"], true, "{revoked}");
    let gone = app.gql(Some(&laptop.access_token), ME, json!({})).await;
    assert_eq!(error_code(&gone), "UNAUTHENTICATED", "{gone}");
    let listed = app.gql(Some(&phone), SESSIONS, json!({})).await;
    assert_eq!(
        listed["data"]["mySessions"].as_array().map(Vec::len),
        Some(1),
        "{listed}"
    );
}

async fn register_then_me(app: TestApp) {
    let answer = app
        .gql(
            None,
            "mutation { register(input: {
                email: \"  Camille.Martin@Example.FR \", password: \"correct horse battery\",
                displayName: \" Camille \", profession: CARE_AIDE, languages: [\"FR\", \"en\", \"fr\"],
                region: \"Bretagne\", timezone: \"America/Montreal\", locale: \"en\" }) {
                accessToken refreshToken accessTokenExpiresAt viewer { email user { id } } } }",
            json!({}),
        )
        .await;
    let payload = &answer["data"]["register"];
    let session = session_of(payload);
    assert_eq!(session.access_token.len(), 43, "256-bit token, base64url");
    assert_ne!(session.access_token, session.refresh_token);
    let expires: chrono::DateTime<Utc> = payload["accessTokenExpiresAt"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let lifetime = expires - Utc::now();
    assert!(lifetime > Duration::minutes(58) && lifetime <= Duration::hours(1));
    assert!(
        payload["accessTokenExpiresAt"]
            .as_str()
            .unwrap()
            .ends_with('Z')
    );

    let me = app.gql(Some(&session.access_token), ME, json!({})).await;
    assert_eq!(
        me["data"]["me"],
        json!({
            "email": "Camille.Martin@Example.FR",
            "locale": "en",
            "timezone": "America/Montreal",
            "roles": [],
            "user": {
                "id": session.user_id,
                "displayName": "Camille",
                "profession": "CARE_AIDE",
                "languages": ["fr", "en"],
                "region": "Bretagne",
                "bio": null,
            }
        })
    );

    // Tokens are stored only as hashes.
    let token = session.access_token.clone();
    let stored_in_clear = app
        .state
        .db
        .run(move |conn| {
            Ok(session_tokens::table
                .filter(session_tokens::token_hash.eq(token))
                .count()
                .get_result::<i64>(conn)?)
        })
        .await
        .unwrap();
    assert_eq!(stored_in_clear, 0);

    // Defaults: French, Paris, languages = the locale.
    let defaults = app.register("defaults@example.org").await;
    let me = app.gql(Some(&defaults.access_token), ME, json!({})).await;
    assert_eq!(me["data"]["me"]["locale"], "fr");
    assert_eq!(me["data"]["me"]["timezone"], "Europe/Paris");
    assert_eq!(me["data"]["me"]["user"]["languages"], json!(["fr"]));
}

async fn me_is_null_without_token_and_protected_fields_refuse(app: TestApp) {
    let answer = app.gql(None, ME, json!({})).await;
    assert_eq!(answer["data"]["me"], json!(null));
    assert!(answer["errors"].is_null());

    let answer = app.gql(None, "mutation { logout }", json!({})).await;
    assert_eq!(error_code(&answer), "UNAUTHENTICATED");
    let answer = app
        .gql(
            None,
            "mutation { updateProfile(input: { bio: \"x\" }) { email } }",
            json!({}),
        )
        .await;
    assert_eq!(error_code(&answer), "UNAUTHENTICATED");
}

async fn duplicate_email_is_a_conflict(app: TestApp) {
    app.register("sam@example.org").await;
    let answer = app
        .gql(
            None,
            "mutation { register(input: { email: \" SAM@Example.org\", password: \"another password\",
                displayName: \"Sam two\", profession: NURSE }) { accessToken } }",
            json!({}),
        )
        .await;
    assert_eq!(error_code(&answer), "CONFLICT");
    assert_eq!(user_count(&app).await, 1);
}

async fn invalid_registration_fields_are_refused_and_change_nothing(app: TestApp) {
    let valid = json!({
        "email": "valid@example.org",
        "password": "a long enough password",
        "displayName": "Valid",
        "profession": "MIDWIFE",
    });
    let cases = [
        ("email", json!("not-an-email")),
        ("email", json!("two@@example.org")),
        ("password", json!("short")),
        ("password", json!("x".repeat(257))),
        ("displayName", json!("   ")),
        ("displayName", json!("n".repeat(81))),
        ("languages", json!(["fr", "français"])),
        ("languages", json!(["fr-CA"])),
        ("region", json!("r".repeat(81))),
        ("timezone", json!("Mars/Olympus")),
        ("locale", json!("de")),
    ];
    for (field, value) in cases {
        let mut input = valid.clone();
        input[field] = value.clone();
        let answer = app
            .gql(
                None,
                "mutation($input: RegisterInput!) { register(input: $input) { accessToken } }",
                json!({ "input": input }),
            )
            .await;
        assert_eq!(error_code(&answer), "BAD_USER_INPUT", "{field} = {value}");
        assert_eq!(error_field(&answer), field, "{field} = {value}");
        assert!(answer["data"].is_null(), "{field} = {value}");
    }
    assert_eq!(user_count(&app).await, 0);

    // Exactly at the bounds is accepted.
    let mut input = valid.clone();
    input["password"] = json!("é".repeat(10));
    input["displayName"] = json!("n".repeat(80));
    app.register_with(input).await;
    assert_eq!(user_count(&app).await, 1);
}

async fn login_accepts_only_the_right_password(app: TestApp) {
    let registered = app.register("lou@example.org").await;
    let answer = app
        .gql(
            None,
            LOGIN,
            json!({ "email": " LOU@example.org", "password": "a long enough password" }),
        )
        .await;
    let session = session_of(&answer["data"]["login"]);
    assert_eq!(session.user_id, registered.user_id);
    assert_ne!(session.access_token, registered.access_token);
    let me = app.gql(Some(&session.access_token), ME, json!({})).await;
    assert_eq!(me["data"]["me"]["user"]["id"], json!(registered.user_id));

    let wrong_password = app
        .gql(
            None,
            LOGIN,
            json!({ "email": "lou@example.org", "password": "not the password" }),
        )
        .await;
    assert_eq!(error_code(&wrong_password), "UNAUTHENTICATED");
    let unknown_email = app
        .gql(
            None,
            LOGIN,
            json!({ "email": "nobody@example.org", "password": "not the password" }),
        )
        .await;
    assert_eq!(error_code(&unknown_email), "UNAUTHENTICATED");
    // The same words either way: the answer does not tell whether the email has an account.
    assert_eq!(
        error_message(&wrong_password),
        error_message(&unknown_email)
    );
}

async fn refresh_rotates_and_a_replayed_token_revokes_the_session(app: TestApp) {
    let first = app.register("ana@example.org").await;
    let answer = app
        .gql(None, REFRESH, json!({ "token": first.refresh_token }))
        .await;
    let second = session_of(&answer["data"]["refreshSession"]);
    assert_eq!(second.user_id, first.user_id);
    assert_ne!(second.refresh_token, first.refresh_token);
    let me = app.gql(Some(&second.access_token), ME, json!({})).await;
    assert_eq!(me["data"]["me"]["user"]["id"], json!(first.user_id));

    // Someone replays the first refresh token: refused, and the whole session is revoked.
    let replay = app
        .gql(None, REFRESH, json!({ "token": first.refresh_token }))
        .await;
    assert_eq!(error_code(&replay), "UNAUTHENTICATED");
    let me = app.gql(Some(&second.access_token), ME, json!({})).await;
    assert_eq!(error_code(&me), "UNAUTHENTICATED");
    let answer = app
        .gql(None, REFRESH, json!({ "token": second.refresh_token }))
        .await;
    assert_eq!(error_code(&answer), "UNAUTHENTICATED");

    // Other sessions of the same person are untouched.
    let other = app
        .gql(
            None,
            LOGIN,
            json!({ "email": "ana@example.org", "password": "a long enough password" }),
        )
        .await;
    let other = session_of(&other["data"]["login"]);
    let me = app.gql(Some(&other.access_token), ME, json!({})).await;
    assert_eq!(me["data"]["me"]["user"]["id"], json!(first.user_id));

    let garbage = app
        .gql(None, REFRESH, json!({ "token": "not-a-token" }))
        .await;
    assert_eq!(error_code(&garbage), "UNAUTHENTICATED");
}

async fn logout_revokes_the_session(app: TestApp) {
    let session = app.register("max@example.org").await;
    let answer = app
        .gql(
            Some(&session.access_token),
            "mutation { logout }",
            json!({}),
        )
        .await;
    assert_eq!(answer["data"]["logout"], json!(true));
    let me = app.gql(Some(&session.access_token), ME, json!({})).await;
    assert_eq!(error_code(&me), "UNAUTHENTICATED");
    let refresh = app
        .gql(None, REFRESH, json!({ "token": session.refresh_token }))
        .await;
    assert_eq!(error_code(&refresh), "UNAUTHENTICATED");
}

async fn expired_or_unknown_tokens_are_unauthenticated(app: TestApp) {
    let session = app.register("eli@example.org").await;
    // An unknown token reads as an ended session; a header that is no bearer token says so.
    for (bad, says) in [
        ("Bearer not-a-real-token", "expired"),
        ("Basic abc", "Bearer"),
        ("Bearer", "Bearer"),
    ] {
        let response = app
            .post_graphql(
                json!({ "query": ME }),
                &[("authorization", bad), ("accept-language", "en")],
            )
            .await;
        let answer: serde_json::Value = response.json().await.unwrap();
        assert_eq!(error_code(&answer), "UNAUTHENTICATED", "{bad}");
        assert!(error_message(&answer).contains(says), "{bad}: {answer}");
    }
    // Register and login still work with a stale token in the header.
    let answer = app
        .gql(
            Some("stale"),
            LOGIN,
            json!({ "email": "eli@example.org", "password": "a long enough password" }),
        )
        .await;
    assert!(answer["data"]["login"]["accessToken"].is_string());

    let past = (Utc::now() - Duration::seconds(1)).naive_utc();
    app.state
        .db
        .run(move |conn| {
            Ok(diesel::update(session_tokens::table)
                .set(session_tokens::expires_at.eq(past))
                .execute(conn)?)
        })
        .await
        .unwrap();
    let me = app.gql(Some(&session.access_token), ME, json!({})).await;
    assert_eq!(error_code(&me), "UNAUTHENTICATED");
    let refresh = app
        .gql(None, REFRESH, json!({ "token": session.refresh_token }))
        .await;
    assert_eq!(error_code(&refresh), "UNAUTHENTICATED");
}

async fn update_profile_changes_only_what_is_given(app: TestApp) {
    let session = app
        .register_with(json!({
            "email": "jo@example.org", "password": "a long enough password", "displayName": "Jo",
            "profession": "NURSE", "region": "Normandie",
        }))
        .await;
    let answer = app
        .gql(
            Some(&session.access_token),
            "mutation { updateProfile(input: { bio: \" Night shifts in the ICU. \", profession: PHYSICIAN,
                languages: [\"en\", \"fr\"], locale: \"en\", timezone: \"Europe/London\" }) {
                locale timezone user { displayName profession bio region languages } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        answer["data"]["updateProfile"],
        json!({
            "locale": "en", "timezone": "Europe/London",
            "user": { "displayName": "Jo", "profession": "PHYSICIAN", "bio": "Night shifts in the ICU.",
                      "region": "Normandie", "languages": ["en", "fr"] }
        })
    );
    // Null clears a nullable field; absence keeps it.
    let answer = app
        .gql(
            Some(&session.access_token),
            "mutation { updateProfile(input: { region: null }) { user { region bio } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        answer["data"]["updateProfile"]["user"],
        json!({ "region": null, "bio": "Night shifts in the ICU." })
    );
}

async fn invalid_profile_updates_are_refused(app: TestApp) {
    let session = app.register("kim@example.org").await;
    let cases = [
        ("displayName", json!("")),
        ("bio", json!("b".repeat(1001))),
        ("languages", json!(["english"])),
        (
            "languages",
            json!(["a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k"]),
        ),
        ("timezone", json!("Paris")),
        ("locale", json!("es")),
    ];
    for (field, value) in cases {
        let answer = app
            .gql(
                Some(&session.access_token),
                "mutation($input: UpdateProfileInput!) { updateProfile(input: $input) { email } }",
                json!({ "input": { field: value, "displayName": if field == "displayName" { value.clone() } else { json!("Changed") } } }),
            )
            .await;
        assert_eq!(error_code(&answer), "BAD_USER_INPUT", "{field}");
        assert_eq!(error_field(&answer), field, "{field}");
    }
    let me = app.gql(Some(&session.access_token), ME, json!({})).await;
    assert_eq!(
        me["data"]["me"]["user"]["displayName"], "kim",
        "nothing changed"
    );
    assert_eq!(me["data"]["me"]["locale"], "fr");
}

async fn delete_account_needs_the_password_and_erases_everything(app: TestApp) {
    let session = app.register("del@example.org").await;
    let keep = app.register("keep@example.org").await;
    let wrong = app
        .gql(
            Some(&session.access_token),
            "mutation { deleteAccount(password: \"wrong password\") }",
            json!({}),
        )
        .await;
    // Not UNAUTHENTICATED, which would tell the app to refresh its token.
    assert_eq!(error_code(&wrong), "BAD_USER_INPUT");
    assert_eq!(crate::helpers::error_field(&wrong), "password");
    assert_eq!(user_count(&app).await, 2);

    let answer = app
        .gql(
            Some(&session.access_token),
            "mutation { deleteAccount(password: \"a long enough password\") }",
            json!({}),
        )
        .await;
    assert_eq!(answer["data"]["deleteAccount"], json!(true));
    assert_eq!(user_count(&app).await, 1);
    let me = app.gql(Some(&session.access_token), ME, json!({})).await;
    assert_eq!(error_code(&me), "UNAUTHENTICATED");
    let login = app
        .gql(
            None,
            LOGIN,
            json!({ "email": "del@example.org", "password": "a long enough password" }),
        )
        .await;
    assert_eq!(error_code(&login), "UNAUTHENTICATED");

    // Nothing of theirs is left; the other account is whole.
    let deleted_id = session.user_id.clone();
    let (languages, tokens) = app
        .state
        .db
        .run(move |conn| {
            let languages = user_languages::table
                .filter(user_languages::user_id.eq(&deleted_id))
                .count()
                .get_result::<i64>(conn)?;
            let tokens = session_tokens::table.count().get_result::<i64>(conn)?;
            Ok((languages, tokens))
        })
        .await
        .unwrap();
    assert_eq!(languages, 0);
    assert_eq!(
        tokens, 2,
        "only the remaining account's access and refresh tokens"
    );
    let me = app.gql(Some(&keep.access_token), ME, json!({})).await;
    assert_eq!(me["data"]["me"]["user"]["id"], json!(keep.user_id));
}

async fn roles_granted_appear_on_the_viewer(app: TestApp) {
    let session = app.register("org@example.org").await;
    assert!(
        grant_role(&app.state.db, " ORG@example.org", Role::Organiser)
            .await
            .unwrap()
    );
    assert!(
        !grant_role(&app.state.db, "org@example.org", Role::Organiser)
            .await
            .unwrap()
    );
    assert!(
        grant_role(&app.state.db, "org@example.org", Role::Moderator)
            .await
            .unwrap()
    );
    assert!(
        grant_role(&app.state.db, "nobody@example.org", Role::Admin)
            .await
            .is_err()
    );
    let me = app.gql(Some(&session.access_token), ME, json!({})).await;
    let mut roles: Vec<String> = serde_json::from_value(me["data"]["me"]["roles"].clone()).unwrap();
    roles.sort();
    assert_eq!(roles, ["MODERATOR", "ORGANISER"]);
}

async fn messages_follow_the_viewer_locale_then_accept_language(app: TestApp) {
    let bad_login = json!({ "query": LOGIN, "variables": { "email": "x@example.org", "password": "whatever pass" } });
    let english: serde_json::Value = app
        .post_graphql(
            bad_login.clone(),
            &[("accept-language", "en-GB,en;q=0.9,fr;q=0.5")],
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        error_message(&english),
        "Incorrect email address or password."
    );
    let french: serde_json::Value = app.post_graphql(bad_login, &[]).await.json().await.unwrap();
    assert_eq!(
        error_message(&french),
        "Adresse e-mail ou mot de passe incorrect."
    );

    // A signed-in viewer gets their own locale, whatever the header says.
    let session = app
        .register_with(json!({
            "email": "en@example.org", "password": "a long enough password", "displayName": "En",
            "profession": "NURSE", "locale": "en",
        }))
        .await;
    let bearer = format!("Bearer {}", session.access_token);
    let answer: serde_json::Value = app
        .post_graphql(
            json!({ "query": "mutation { updateProfile(input: { timezone: \"Nowhere\" }) { email } }" }),
            &[("authorization", &bearer), ("accept-language", "fr")],
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        error_message(&answer),
        "\"Nowhere\" is not an IANA time zone (Europe/Paris…)."
    );
}

async fn restart_keeps_accounts_and_sessions(app: TestApp) {
    let session = app.register("stay@example.org").await;
    let app = app.restart().await;
    let me = app.gql(Some(&session.access_token), ME, json!({})).await;
    assert_eq!(me["data"]["me"]["user"]["id"], json!(session.user_id));
    let login = app
        .gql(
            None,
            LOGIN,
            json!({ "email": "stay@example.org", "password": "a long enough password" }),
        )
        .await;
    assert!(login["data"]["login"]["accessToken"].is_string());
}

async fn users_see_each_others_public_profile_only_when_signed_in(app: TestApp) {
    let viewer = app.register("viewer@example.org").await;
    let other = app.register("other@example.org").await;
    let query = "query($id: ID!) { user(id: $id) { id displayName profession languages } }";
    let answer = app
        .gql(
            Some(&viewer.access_token),
            query,
            json!({ "id": other.user_id }),
        )
        .await;
    assert_eq!(
        answer["data"]["user"],
        json!({ "id": other.user_id, "displayName": "other", "profession": "NURSE", "languages": ["fr"] })
    );
    let missing = app
        .gql(
            Some(&viewer.access_token),
            query,
            json!({ "id": "no-such-user" }),
        )
        .await;
    assert_eq!(missing["data"]["user"], json!(null));
    let anonymous = app.gql(None, query, json!({ "id": other.user_id })).await;
    assert_eq!(error_code(&anonymous), "UNAUTHENTICATED");
}

async fn repeated_failed_sign_ins_are_throttled(app: TestApp) {
    app.register("target@example.org").await;
    app.register("bystander@example.org").await;
    let attempt = |email: &'static str, password: &'static str| {
        app.gql(None, LOGIN, json!({ "email": email, "password": password }))
    };
    for _ in 0..relais::auth::throttle::MAX_FAILURES {
        let answer = attempt("target@example.org", "wrong password guess").await;
        assert_eq!(error_code(&answer), "UNAUTHENTICATED");
    }
    let blocked = attempt("TARGET@example.org", "a long enough password").await;
    assert_eq!(
        error_code(&blocked),
        "RATE_LIMITED",
        "even the right password waits"
    );
    let other = attempt("bystander@example.org", "a long enough password").await;
    assert!(
        other["data"]["login"]["accessToken"].is_string(),
        "other accounts are unaffected"
    );
}

on_both_backends!(with(crate::accounts::behind_a_proxy_with_five_sign_ins_a_minute) =>
    sign_in_calls_are_limited_per_client_address,
    a_wrong_password_on_delete_account_is_throttled_like_a_sign_in,
);

on_both_backends!(with(crate::accounts::behind_a_proxy) =>
    parallel_guesses_cannot_slip_past_the_account_lockout,
);

/// Requests come through a reverse proxy on 127.0.0.1 that names the client in
/// `X-Forwarded-For`.
pub fn behind_a_proxy(config: &mut relais::config::ServerConfig) {
    config.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
}

/// [`behind_a_proxy`], each client getting 5 sign-in calls a minute.
pub fn behind_a_proxy_with_five_sign_ins_a_minute(config: &mut relais::config::ServerConfig) {
    behind_a_proxy(config);
    config.auth_rate_per_minute = std::num::NonZeroU32::new(5).unwrap();
}

/// `login` as a client at `address` (through the trusted proxy).
pub(crate) async fn login_from(app: &TestApp, address: &str, email: &str, password: &str) -> Value {
    let response = app
        .post_graphql(
            json!({
                "query": "mutation($email: String!, $password: String!) { login(email: $email, password: $password) { accessToken } }",
                "variables": { "email": email, "password": password },
            }),
            &[("x-forwarded-for", &format!("{address}, 127.0.0.1"))],
        )
        .await;
    response.json().await.unwrap()
}

async fn sign_in_calls_are_limited_per_client_address(app: TestApp) {
    app.register("ana@example.org").await;
    for _ in 0..5 {
        let answer = login_from(&app, "203.0.113.5", "nobody@example.org", "wrong password").await;
        assert_eq!(error_code(&answer), "UNAUTHENTICATED", "{answer}");
    }
    let refused = login_from(
        &app,
        "203.0.113.5",
        "ana@example.org",
        "a long enough password",
    )
    .await;
    assert_eq!(error_code(&refused), "RATE_LIMITED");
    let retry = refused["errors"][0]["extensions"]["retryAfterSeconds"]
        .as_u64()
        .unwrap();
    assert!((1..=60).contains(&retry), "{refused}");
    // Another client keeps its own budget.
    let answer = login_from(
        &app,
        "198.51.100.7",
        "ana@example.org",
        "a long enough password",
    )
    .await;
    assert!(
        answer["data"]["login"]["accessToken"].is_string(),
        "{answer}"
    );
    // refreshSession spends the same budget.
    for _ in 0..4 {
        login_from(&app, "192.0.2.9", "nobody@example.org", "wrong password").await;
    }
    let refresh = || async {
        let response = app
            .post_graphql(
                json!({ "query": "mutation { refreshSession(refreshToken: \"x\") { accessToken } }" }),
                &[("x-forwarded-for", "192.0.2.9")],
            )
            .await;
        response.json::<Value>().await.unwrap()
    };
    let fifth = refresh().await;
    assert_eq!(
        error_code(&fifth),
        "UNAUTHENTICATED",
        "the fifth call is allowed"
    );
    assert_eq!(error_code(&refresh().await), "RATE_LIMITED");
}

async fn parallel_guesses_cannot_slip_past_the_account_lockout(app: TestApp) {
    app.register("ana@example.org").await;
    // Twenty wrong guesses at once from one address: each is counted before its hash is checked,
    // so at most ten are checked and the rest are refused.
    let guesses = futures_util::future::join_all(
        (0..20).map(|_| login_from(&app, "203.0.113.66", "ana@example.org", "wrong password")),
    )
    .await;
    let checked = guesses
        .iter()
        .filter(|answer| error_code(answer) == "UNAUTHENTICATED")
        .count();
    let refused = guesses
        .iter()
        .filter(|answer| error_code(answer) == "RATE_LIMITED")
        .count();
    assert_eq!((checked, refused), (10, 10), "{guesses:?}");
    // Locked out from there, even with the right password...
    let answer = login_from(
        &app,
        "203.0.113.66",
        "ana@example.org",
        "a long enough password",
    )
    .await;
    assert_eq!(error_code(&answer), "RATE_LIMITED");
    // ...but the owner, from their own address, still signs in.
    let answer = login_from(
        &app,
        "198.51.100.7",
        "ana@example.org",
        "a long enough password",
    )
    .await;
    assert!(
        answer["data"]["login"]["accessToken"].is_string(),
        "{answer}"
    );
}

async fn a_wrong_password_on_delete_account_is_throttled_like_a_sign_in(app: TestApp) {
    let session = app.register("ana@example.org").await;
    let bearer = format!("Bearer {}", session.access_token);
    let mut codes = Vec::new();
    for _ in 0..6 {
        let response = app
            .post_graphql(
                json!({ "query": "mutation { deleteAccount(password: \"not my password\") }" }),
                &[
                    ("authorization", &bearer),
                    ("x-forwarded-for", "203.0.113.5"),
                ],
            )
            .await;
        let answer: Value = response.json().await.unwrap();
        codes.push(error_code(&answer).to_owned());
    }
    assert_eq!(
        codes,
        [
            "BAD_USER_INPUT",
            "BAD_USER_INPUT",
            "BAD_USER_INPUT",
            "BAD_USER_INPUT",
            "BAD_USER_INPUT",
            "RATE_LIMITED"
        ]
    );
    let me = app
        .gql(Some(&session.access_token), "{ me { email } }", json!({}))
        .await;
    assert_eq!(
        me["data"]["me"]["email"], "ana@example.org",
        "nothing was erased"
    );
}
