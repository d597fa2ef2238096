//! Signing in with an OpenID Connect provider, end to end against the tests' own provider: the
//! browser's hops, the app's code, verified professions, linking from a session only, and every
//! way a provider's answer is refused with nothing created.

use diesel::prelude::*;
use futures_util::future::join_all;
use relais::config::{IdentityConfig, ProfessionSource, ProviderConfig};
use relais::db::schema::{external_sign_in_codes, users};
use secrecy::SecretString;
use serde_json::{Value, json};

use crate::fake_oidc::{CLIENT_ID, CLIENT_SECRET, FakeProvider, Person, Tamper};
use crate::helpers::{
    Backend, Session, TestApp, error_code, error_field, session_of, spawn_app_configured,
};

const APP_URI: &str = "fr.relais.app:/auth";
const COMPLETE: &str = "mutation($code: String!) { completeExternalSignIn(code: $code) {
    accessToken refreshToken viewer { email emailVerified identities { provider linkedAt }
    user { id displayName profession verifiedProfessional } } } }";
const ME: &str =
    "{ me { email identities { provider } user { id profession verifiedProfessional } } }";

fn provider(id: &str, issuer: &str, profession: ProfessionSource) -> ProviderConfig {
    ProviderConfig {
        id: id.into(),
        name: format!("Provider {id}"),
        issuer: issuer.into(),
        client_id: CLIENT_ID.into(),
        client_secret: SecretString::from(CLIENT_SECRET),
        scopes: vec!["profile".into(), "email".into()],
        verifies_profession: profession != ProfessionSource::None,
        profession,
        workplace_claim: Some("site".into()),
    }
}

/// An app that knows two providers on the tests' provider: `hopital` (profession in a claim)
/// and `psc` (Pro Santé Connect's userinfo).
async fn app_with_provider(
    backend: Backend,
    supporters_must_be_verified: bool,
) -> Option<(TestApp, FakeProvider)> {
    let provider_server = FakeProvider::start().await;
    let issuer = provider_server.issuer.clone();
    let app = spawn_app_configured(backend, move |config| {
        config.identity = IdentityConfig {
            providers: vec![
                provider(
                    "hopital",
                    &issuer,
                    ProfessionSource::Claim("profession".into()),
                ),
                provider("psc", &issuer, ProfessionSource::ProSanteConnect),
            ],
            app_redirect_uris: vec![APP_URI.into()],
        };
        config.supporters_must_be_verified = supporters_must_be_verified;
    })
    .await?;
    Some((app, provider_server))
}

macro_rules! with_provider {
    ($($name:ident),+ $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let (app, provider) = super::app_with_provider(crate::helpers::Backend::Sqlite, false)
                    .await
                    .expect("SQLite is always available");
                super::$name(app, provider).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                match super::app_with_provider(crate::helpers::Backend::Postgres, false).await {
                    Some((app, provider)) => super::$name(app, provider).await,
                    None => eprintln!("TEST_POSTGRES_URL unset: PostgreSQL run skipped"),
                }
            }
        }
    )+};
}

with_provider!(
    a_first_sign_in_makes_a_verified_account_and_the_next_finds_it,
    pro_sante_connect_reads_the_rpps_profession,
    refused_answers_create_nothing,
    accounts_are_linked_from_a_session_never_by_address,
    a_sign_in_code_works_once_even_at_once,
    groups_for_verified_professionals_only,
);

fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// Where `url` redirects (failing on anything else).
async fn location(url: &str) -> String {
    let response = browser().get(url).send().await.unwrap();
    assert!(
        response.status().is_redirection(),
        "{url}: {}",
        response.status()
    );
    response.headers()["location"].to_str().unwrap().to_owned()
}

/// A query parameter of `uri`.
fn param(uri: &str, name: &str) -> Option<String> {
    let url = url::Url::parse(uri).unwrap();
    url.query_pairs()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
}

fn start_url(app: &TestApp, provider: &str) -> String {
    format!(
        "{}/auth/{provider}/start?redirect_uri={}",
        app.base_url,
        url::form_urlencoded::byte_serialize(APP_URI.as_bytes()).collect::<String>()
    )
}

/// From the provider's authorization URL to where the app is sent back: the provider signs
/// in, the browser comes back to the server (at its public address, the test's here).
async fn through_provider(app: &TestApp, authorize: &str) -> String {
    let callback = location(authorize).await;
    let callback = callback.replace("http://relais.test", &app.base_url);
    location(&callback).await
}

/// The whole sign-in from the app's first tap; where the app ends up.
async fn sign_in_at(app: &TestApp, provider: &str) -> String {
    let authorize = location(&start_url(app, provider)).await;
    assert!(authorize.contains("code_challenge="), "{authorize}");
    through_provider(app, &authorize).await
}

async fn complete(app: &TestApp, code: &str) -> Value {
    app.gql(None, COMPLETE, json!({ "code": code })).await
}

async fn signed_in_as(app: &TestApp, provider: &str) -> (Session, Value) {
    let back = sign_in_at(app, provider).await;
    assert!(back.starts_with(APP_URI), "{back}");
    let code = param(&back, "code").unwrap_or_else(|| panic!("no code: {back}"));
    let answer = complete(app, &code).await;
    assert!(answer["errors"].is_null(), "{answer}");
    let payload = answer["data"]["completeExternalSignIn"].clone();
    (session_of(&payload), payload)
}

async fn user_count(app: &TestApp) -> i64 {
    app.state
        .db
        .run(|conn| Ok(users::table.count().get_result(conn)?))
        .await
        .unwrap()
}

fn camille() -> Person {
    Person::new(
        "camille-at-chu",
        json!({ "email": "camille.martin@chu.example", "email_verified": true,
                "name": "Camille Martin", "profession": "NURSE", "site": "CHU Nantes" }),
    )
}

async fn a_first_sign_in_makes_a_verified_account_and_the_next_finds_it(
    app: TestApp,
    provider: FakeProvider,
) {
    let providers = app
        .gql(
            None,
            "{ signInProviders { id name verifiesProfession } }",
            json!({}),
        )
        .await;
    assert_eq!(
        providers["data"]["signInProviders"][0],
        json!({ "id": "hopital", "name": "Provider hopital", "verifiesProfession": true }),
        "{providers}"
    );

    provider.sign_in_as(camille());
    let (session, payload) = signed_in_as(&app, "hopital").await;
    let viewer = &payload["viewer"];
    assert_eq!(viewer["email"], "camille.martin@chu.example");
    assert_eq!(viewer["emailVerified"], true);
    assert_eq!(viewer["user"]["displayName"], "Camille Martin");
    assert_eq!(viewer["user"]["profession"], "NURSE");
    assert_eq!(viewer["user"]["verifiedProfessional"], true);
    assert_eq!(viewer["identities"][0]["provider"], "hopital");
    // Her workplace is the provider's word, keyed by provider, for mentorship matching.
    let user_id = relais::ids::UserId::from_client(session.user_id.clone());
    let workplace: Option<String> = app
        .state
        .db
        .run(move |conn| {
            Ok(users::table
                .find(&user_id)
                .select(users::verified_workplace)
                .first(conn)?)
        })
        .await
        .unwrap();
    assert_eq!(workplace.as_deref(), Some("hopital:CHU Nantes"));

    // The profession is the provider's; the rest of the profile is hers to change.
    let locked = app
        .gql(
            Some(&session.access_token),
            "mutation { updateProfile(input: { profession: PHYSICIAN }) { user { profession } } }",
            json!({}),
        )
        .await;
    assert_eq!(error_field(&locked), "profession", "{locked}");
    let renamed = app
        .gql(
            Some(&session.access_token),
            "mutation { updateProfile(input: { displayName: \"Camille\" }) { user { displayName } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        renamed["data"]["updateProfile"]["user"]["displayName"],
        "Camille"
    );

    // The next sign-in finds the same account, and the provider's word on her profession wins.
    let mut promoted = camille();
    promoted
        .claims
        .insert("profession".into(), json!("MIDWIFE"));
    provider.sign_in_as(promoted);
    let (again, _) = signed_in_as(&app, "hopital").await;
    assert_eq!(again.user_id, session.user_id);
    let me = app.gql(Some(&again.access_token), ME, json!({})).await;
    assert_eq!(me["data"]["me"]["user"]["profession"], "MIDWIFE", "{me}");

    // Her only way in stays: no password, one provider.
    let unlink = app
        .gql(
            Some(&session.access_token),
            "mutation { unlinkExternalIdentity(provider: \"hopital\") { email } }",
            json!({}),
        )
        .await;
    assert_eq!(error_code(&unlink), "CONFLICT", "{unlink}");
    let login = app
        .gql(
            None,
            "mutation { login(email: \"camille.martin@chu.example\", password: \"\") { accessToken } }",
            json!({}),
        )
        .await;
    assert!(login["data"].is_null(), "no password signs in: {login}");
    // Without a password, what asks for one is refused as a wrong one would be.
    for (document, field) in [
        (
            "mutation { changePassword(currentPassword: \"\", newPassword: \"a long enough password\") }",
            "currentPassword",
        ),
        ("mutation { deleteAccount(password: \"\") }", "password"),
    ] {
        let refused = app
            .gql(Some(&session.access_token), document, json!({}))
            .await;
        assert_eq!(error_code(&refused), "BAD_USER_INPUT", "{refused}");
        assert_eq!(error_field(&refused), field, "{refused}");
    }

    // Her export names the provider; erasing her removes it.
    let export = app
        .gql(Some(&session.access_token), "{ exportMyData }", json!({}))
        .await;
    assert_eq!(
        export["data"]["exportMyData"]["identities"]["identities"][0]["provider"], "hopital",
        "{export}"
    );
}

async fn pro_sante_connect_reads_the_rpps_profession(app: TestApp, provider: FakeProvider) {
    provider.sign_in_as(
        Person::new(
            "rpps-810000000001",
            json!({ "email": "sage-femme@example.org", "email_verified": true,
                    "given_name": "Inès", "family_name": "Roux" }),
        )
        .with_userinfo(json!({ "SubjectRefPro": { "exercices": [{ "codeProfession": "50" }] } })),
    );
    let (_, payload) = signed_in_as(&app, "psc").await;
    let user = &payload["viewer"]["user"];
    assert_eq!(user["displayName"], "Inès Roux");
    assert_eq!(user["profession"], "MIDWIFE");
    assert_eq!(user["verifiedProfessional"], true);
}

async fn refused_answers_create_nothing(app: TestApp, mut provider: FakeProvider) {
    let before = user_count(&app).await;

    // A redirect URI not in the list, an unknown provider.
    let response = browser()
        .get(format!(
            "{}/auth/hopital/start?redirect_uri=https%3A%2F%2Fevil.example%2F",
            app.base_url
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let response = browser()
        .get(start_url(&app, "nowhere"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);

    // The person cancels at the provider.
    let back = sign_in_at(&app, "hopital").await;
    assert_eq!(
        param(&back, "error").as_deref(),
        Some("provider_refused"),
        "{back}"
    );

    // ID tokens that fail a check; a stale nonce needs an earlier sign-in to come from.
    provider.sign_in_as(camille());
    signed_in_as(&app, "hopital").await;
    let created = user_count(&app).await;
    assert_eq!(created, before + 1);
    for tamper in [
        Tamper::ForeignKey,
        Tamper::WrongAudience,
        Tamper::WrongIssuer,
        Tamper::Expired,
        Tamper::StaleNonce,
    ] {
        provider.tamper(tamper);
        let mut stranger = camille();
        stranger.subject = format!("{tamper:?}");
        stranger
            .claims
            .insert("email".into(), json!(format!("{tamper:?}@example.org")));
        provider.sign_in_as(stranger);
        let back = sign_in_at(&app, "hopital").await;
        assert_eq!(
            param(&back, "error").as_deref(),
            Some("invalid_token"),
            "{tamper:?}: {back}"
        );
        assert!(param(&back, "code").is_none());
    }
    provider.tamper(Tamper::None);
    assert_eq!(user_count(&app).await, created, "nothing created");

    // A callback replayed, or made up, finds no sign-in.
    provider.sign_in_as(camille());
    let authorize = location(&start_url(&app, "hopital")).await;
    let callback = location(&authorize)
        .await
        .replace("http://relais.test", &app.base_url);
    location(&callback).await;
    let replayed = browser().get(&callback).send().await.unwrap();
    assert_eq!(replayed.status(), 400);
    let made_up = browser()
        .get(format!(
            "{}/auth/hopital/callback?code=x&state=made-up",
            app.base_url
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(made_up.status(), 400);
    assert!(made_up.text().await.unwrap().contains("invalid_state"));

    // An expired code, a made-up one.
    provider.sign_in_as(camille());
    let back = sign_in_at(&app, "hopital").await;
    let code = param(&back, "code").unwrap();
    app.state
        .db
        .run(|conn| {
            Ok(diesel::update(external_sign_in_codes::table)
                .set(
                    external_sign_in_codes::expires_at
                        .eq(chrono::Utc::now().naive_utc() - chrono::TimeDelta::seconds(1)),
                )
                .execute(conn)?)
        })
        .await
        .unwrap();
    let expired = complete(&app, &code).await;
    assert_eq!(error_field(&expired), "code", "{expired}");
    let unknown = complete(&app, "made-up").await;
    assert_eq!(error_field(&unknown), "code", "{unknown}");

    // The provider is down: the app hears so, nothing is created.
    provider.take_down().await;
    // `psc` was never discovered: its discovery fails.
    let back = location(&start_url(&app, "psc")).await;
    assert_eq!(
        param(&back, "error").as_deref(),
        Some("provider_unavailable"),
        "{back}"
    );
    assert_eq!(user_count(&app).await, created);
}

async fn accounts_are_linked_from_a_session_never_by_address(app: TestApp, provider: FakeProvider) {
    let ana = app.register("ana@example.org").await;
    let bob = app.register("bob@example.org").await;
    let mut her_identity = camille();
    her_identity
        .claims
        .insert("email".into(), json!("ana@example.org"));
    provider.sign_in_as(her_identity);

    // Signing in with her address at the provider does not open her account.
    let back = sign_in_at(&app, "hopital").await;
    assert_eq!(
        param(&back, "error").as_deref(),
        Some("account_exists"),
        "{back}"
    );

    // Signed in, she links it.
    let link = "mutation($provider: String!, $uri: String!) {
        startIdentityLink(provider: $provider, redirectUri: $uri) }";
    let refused = app
        .gql(
            Some(&ana.access_token),
            link,
            json!({ "provider": "hopital", "uri": "https://evil.example/" }),
        )
        .await;
    assert_eq!(error_field(&refused), "redirectUri", "{refused}");
    let unknown = app
        .gql(
            Some(&ana.access_token),
            link,
            json!({ "provider": "nowhere", "uri": APP_URI }),
        )
        .await;
    assert_eq!(error_code(&unknown), "NOT_FOUND", "{unknown}");
    let started = app
        .gql(
            Some(&ana.access_token),
            link,
            json!({ "provider": "hopital", "uri": APP_URI }),
        )
        .await;
    let url = started["data"]["startIdentityLink"]
        .as_str()
        .unwrap_or_else(|| panic!("{started}"))
        .to_owned();
    let back = through_provider(&app, &url).await;
    assert_eq!(param(&back, "linked").as_deref(), Some("hopital"), "{back}");
    let me = app.gql(Some(&ana.access_token), ME, json!({})).await;
    assert_eq!(
        me["data"]["me"]["identities"],
        json!([{ "provider": "hopital" }])
    );
    assert_eq!(me["data"]["me"]["user"]["verifiedProfessional"], true);

    // Now the provider signs her in, to her account.
    let (session, _) = signed_in_as(&app, "hopital").await;
    assert_eq!(session.user_id, ana.user_id);

    // Bob cannot take her identity.
    let started = app
        .gql(
            Some(&bob.access_token),
            link,
            json!({ "provider": "hopital", "uri": APP_URI }),
        )
        .await;
    let url = started["data"]["startIdentityLink"]
        .as_str()
        .unwrap()
        .to_owned();
    let back = through_provider(&app, &url).await;
    assert_eq!(
        param(&back, "error").as_deref(),
        Some("identity_in_use"),
        "{back}"
    );

    // She has a password: unlinking is hers to do, and the verification goes with it.
    let unlinked = app
        .gql(
            Some(&ana.access_token),
            "mutation { unlinkExternalIdentity(provider: \"hopital\") {
                identities { provider } user { verifiedProfessional } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        unlinked["data"]["unlinkExternalIdentity"],
        json!({ "identities": [], "user": { "verifiedProfessional": false } }),
        "{unlinked}"
    );
}

async fn a_sign_in_code_works_once_even_at_once(app: TestApp, provider: FakeProvider) {
    provider.sign_in_as(camille());
    let back = sign_in_at(&app, "hopital").await;
    let code = param(&back, "code").unwrap();
    let answers = join_all((0..6).map(|_| complete(&app, &code))).await;
    let signed_in = answers
        .iter()
        .filter(|answer| answer["data"]["completeExternalSignIn"]["accessToken"].is_string())
        .count();
    assert_eq!(signed_in, 1, "{answers:?}");
}

async fn groups_for_verified_professionals_only(app: TestApp, provider: FakeProvider) {
    let owner = app.register("owner@example.org").await;
    let created = app
        .gql(
            Some(&owner.access_token),
            "mutation { createGroup(input: { name: \"Infirmières vérifiées\", description: \"Entre nous.\",
                topic: \"burnout\", visibility: PUBLIC, language: \"fr\", verifiedOnly: true }) { id verifiedOnly } }",
            json!({}),
        )
        .await;
    assert_eq!(
        created["data"]["createGroup"]["verifiedOnly"], true,
        "{created}"
    );
    let group = created["data"]["createGroup"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let eve = app.register("eve@example.org").await;
    let refused = crate::groups::join(&app, &eve, &group).await;
    assert_eq!(error_code(&refused), "FORBIDDEN", "{refused}");
    assert_eq!(
        refused["errors"][0]["extensions"]["reason"],
        "VERIFIED_PROFESSION_REQUIRED"
    );
    provider.sign_in_as(camille());
    let (camille, _) = signed_in_as(&app, "hopital").await;
    let joined = crate::groups::join(&app, &camille, &group).await;
    assert!(joined["errors"].is_null(), "{joined}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_verified_supporters_take_requests_when_asked() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let Some((app, provider)) = app_with_provider(backend, true).await else {
            continue;
        };
        let unverified = app.register("pair@example.org").await;
        provider.sign_in_as(camille());
        let (verified, payload) = signed_in_as(&app, "hopital").await;
        for email in ["pair@example.org", "camille.martin@chu.example"] {
            relais::accounts::service::grant_role(
                &app.state.db,
                email,
                relais::accounts::model::Role::PeerSupporter,
            )
            .await
            .unwrap();
        }
        assert_eq!(payload["viewer"]["user"]["verifiedProfessional"], true);
        let list = "{ openSupportRequests { id } }";
        let refused = app
            .gql(Some(&unverified.access_token), list, json!({}))
            .await;
        assert_eq!(
            refused["errors"][0]["extensions"]["reason"], "VERIFIED_PROFESSION_REQUIRED",
            "{refused}"
        );
        let allowed = app.gql(Some(&verified.access_token), list, json!({})).await;
        assert!(allowed["errors"].is_null(), "{allowed}");
    }
}
