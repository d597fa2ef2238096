//! Mentorship: profiles and pauses, ranked matching with reasons and exclusions, the lifecycle
//! and its forbidden transitions, the last slot under concurrent accepts, reminders and expiry,
//! conversations, goals, feedback and matching rounds.

use chrono::{Duration, Utc};
use diesel::prelude::*;
use futures_util::future::join_all;
use relais::accounts::model::Role;
use relais::accounts::service::grant_role;
use relais::db::schema::{mentorships, notifications};
use serde_json::{Value, json};

use crate::helpers::{Session, TestApp, error_code, error_field, error_message, received_kinds};

on_both_backends!(
    profiles_are_validated_and_a_pause_declines_open_requests,
    matches_are_ranked_explained_and_exclude_who_they_must,
    a_typed_workplace_changes_nobody_one_is_shown,
    a_round_counts_waiting_requests_and_speaks_each_mentors_language,
    the_lifecycle_follows_its_rules_and_names_refused_transitions,
    concurrent_accepts_never_exceed_the_last_slot,
    unanswered_requests_bring_a_reminder_then_expire_once,
    conversations_belong_to_the_two_people_and_close_with_the_mentorship,
    goals_and_feedback_follow_the_mentorship,
    a_matching_round_proposes_stable_pairs_and_creates_requests,
    searches_follow_every_change_to_what_ranks_a_mentor,
    a_search_reads_the_same_few_statements_however_many_mentors_and_exclusions,
);

const MESSAGE: &str = "Bonjour, je sors de l'école et les nuits me pèsent beaucoup.";

/// A person with a profession, languages and region of their own.
pub async fn person(
    app: &TestApp,
    email: &str,
    profession: &str,
    languages: &[&str],
    region: &str,
) -> Session {
    app.register_with(json!({
        "email": email, "password": "a long enough password",
        "displayName": email.split('@').next().unwrap(), "profession": profession,
        "languages": languages, "region": region,
    }))
    .await
}

const UPSERT: &str = "mutation($input: MentorProfileInput!) { upsertMentorProfile(input: $input) {
    headline areas capacity activeMenteeCount acceptingMentees user { id } } }";

/// A French-speaking nurse of Bretagne, `name@example.org`.
pub async fn nurse(app: &TestApp, name: &str) -> Session {
    person(
        app,
        &format!("{name}@example.org"),
        "NURSE",
        &["fr"],
        "Bretagne",
    )
    .await
}

/// A French-speaking nurse of Bretagne with a mentor profile.
pub async fn nurse_mentor(
    app: &TestApp,
    name: &str,
    areas: &[&str],
    years: i32,
    capacity: i32,
) -> Session {
    new_mentor(app, name, "NURSE", &["fr"], areas, years, capacity).await
}

/// A person of Bretagne with a mentor profile.
pub async fn new_mentor(
    app: &TestApp,
    name: &str,
    profession: &str,
    languages: &[&str],
    areas: &[&str],
    years: i32,
    capacity: i32,
) -> Session {
    let who = person(
        app,
        &format!("{name}@example.org"),
        profession,
        languages,
        "Bretagne",
    )
    .await;
    mentor(app, &who, profile_input(areas, years, capacity)).await;
    who
}

pub fn profile_input(areas: &[&str], years: i32, capacity: i32) -> Value {
    json!({ "headline": "Infirmière de nuit depuis longtemps", "areas": areas,
            "yearsOfExperience": years, "capacity": capacity, "acceptingMentees": true })
}

pub async fn mentor(app: &TestApp, who: &Session, input: Value) {
    let answer = app
        .gql(Some(&who.access_token), UPSERT, json!({ "input": input }))
        .await;
    assert!(answer["errors"].is_null(), "{answer}");
}

const REQUEST: &str = "mutation($mentor: ID!, $areas: [MentorshipArea!]!, $message: String!) {
    requestMentorship(mentorId: $mentor, areas: $areas, message: $message) { id status areas } }";

async fn request(app: &TestApp, mentee: &Session, mentor: &Session, areas: &[&str]) -> Value {
    app.gql(
        Some(&mentee.access_token),
        REQUEST,
        json!({ "mentor": mentor.user_id, "areas": areas, "message": MESSAGE }),
    )
    .await
}

pub async fn requested_id(
    app: &TestApp,
    mentee: &Session,
    mentor: &Session,
    areas: &[&str],
) -> String {
    let answer = request(app, mentee, mentor, areas).await;
    answer["data"]["requestMentorship"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{answer}"))
        .to_owned()
}

const RESPOND: &str = "mutation($id: ID!, $accept: Boolean!, $reason: DeclineReason) {
    respondToMentorship(id: $id, accept: $accept, declineReason: $reason) {
        status declineReason conversation { id open } } }";

pub async fn respond(app: &TestApp, who: &Session, id: &str, accept: bool) -> Value {
    app.gql(
        Some(&who.access_token),
        RESPOND,
        json!({ "id": id, "accept": accept }),
    )
    .await
}

async fn status_of(app: &TestApp, id: &str) -> String {
    let id = id.to_owned();
    app.state
        .db
        .run(move |conn| {
            Ok(mentorships::table
                .find(id)
                .select(mentorships::status)
                .first::<String>(conn)?)
        })
        .await
        .unwrap()
}

async fn profiles_are_validated_and_a_pause_declines_open_requests(app: TestApp) {
    let ana = nurse(&app, "ana").await;
    let bad = |patch: Value| {
        let mut input = profile_input(&["BURNOUT_PREVENTION"], 10, 2);
        for (key, value) in patch.as_object().unwrap() {
            input[key] = value.clone();
        }
        let app = &app;
        let token = ana.access_token.clone();
        async move {
            app.gql(Some(&token), UPSERT, json!({ "input": input }))
                .await
        }
    };
    for (patch, field) in [
        (json!({ "headline": "ab" }), "headline"),
        (json!({ "headline": "x".repeat(141) }), "headline"),
        (json!({ "areas": [] }), "areas"),
        (
            json!({ "areas": ["RESEARCH", "LEADERSHIP", "GRIEF_AND_LOSS", "BURNOUT_PREVENTION",
                             "STRESS_MANAGEMENT", "WORK_LIFE_BALANCE"] }),
            "areas",
        ),
        (json!({ "yearsOfExperience": -1 }), "yearsOfExperience"),
        (json!({ "yearsOfExperience": 61 }), "yearsOfExperience"),
        (json!({ "capacity": 11 }), "capacity"),
    ] {
        let answer = bad(patch.clone()).await;
        assert_eq!(error_code(&answer), "BAD_USER_INPUT", "{patch}: {answer}");
        assert_eq!(error_field(&answer), field, "{patch}");
    }
    let none = app
        .gql(
            Some(&ana.access_token),
            "query($id: ID!) { mentorProfile(userId: $id) { headline } }",
            json!({ "id": ana.user_id }),
        )
        .await;
    assert_eq!(none["data"]["mentorProfile"], Value::Null, "nothing stored");

    mentor(&app, &ana, profile_input(&["BURNOUT_PREVENTION"], 10, 2)).await;
    let bob = nurse(&app, "bob").await;
    let id = requested_id(&app, &bob, &ana, &["BURNOUT_PREVENTION"]).await;
    // A break: her open request is declined with a reason, Bob told; new requests refused.
    let mut paused = profile_input(&["BURNOUT_PREVENTION"], 10, 0);
    paused["headline"] = json!("En pause jusqu'en janvier");
    let answer = app
        .gql(Some(&ana.access_token), UPSERT, json!({ "input": paused }))
        .await;
    assert_eq!(
        answer["data"]["upsertMentorProfile"]["capacity"], 0,
        "{answer}"
    );
    assert_eq!(status_of(&app, &id).await, "DECLINED");
    assert_eq!(
        received_kinds(&app, &bob.user_id).await.last().unwrap(),
        "MENTOR_PAUSED"
    );
    let cy = nurse(&app, "cy").await;
    let refused = request(&app, &cy, &ana, &["BURNOUT_PREVENTION"]).await;
    assert_eq!(error_code(&refused), "CONFLICT", "{refused}");
}

const MATCHES: &str = "query($input: MentorSearchInput!, $first: Int) {
    mentorMatches(input: $input, first: $first) { score reasons mentor { user { displayName } } } }";

async fn matches(app: &TestApp, who: &Session, input: Value) -> Vec<(String, f64, Vec<String>)> {
    let answer = app
        .gql(
            Some(&who.access_token),
            MATCHES,
            json!({ "input": input, "first": 10 }),
        )
        .await;
    answer["data"]["mentorMatches"]
        .as_array()
        .unwrap_or_else(|| panic!("{answer}"))
        .iter()
        .map(|found| {
            (
                found["mentor"]["user"]["displayName"]
                    .as_str()
                    .unwrap()
                    .to_owned(),
                found["score"].as_f64().unwrap(),
                found["reasons"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|reason| reason.as_str().unwrap().to_owned())
                    .collect(),
            )
        })
        .collect()
}

/// How many statements `who`'s search for `areas` runs: the cheapest of three (the count is the
/// pool's, which a statement of the server's own can join once in a while).
async fn search_statements(app: &TestApp, who: &Session, areas: &[&str]) -> u64 {
    let mut cheapest = u64::MAX;
    for _ in 0..3 {
        let before = app.state.db.statements_run();
        let found = matches(app, who, json!({ "areas": areas })).await;
        assert!(!found.is_empty(), "someone is found");
        cheapest = cheapest.min(app.state.db.statements_run() - before);
    }
    cheapest
}

/// A search's statements do not grow with the mentors it ranks, the batch it reads, the
/// people blocked either way or the mentorships already open: the facts that rank a mentor come
/// from memory, the profiles of a batch in two statements, each exclusion list in one.
async fn a_search_reads_the_same_few_statements_however_many_mentors_and_exclusions(app: TestApp) {
    let burnout = ["BURNOUT_PREVENTION"];
    let lea = nurse(&app, "lea").await;
    nurse_mentor(&app, "first", &burnout, 10, 3).await;
    eventually_matched(&app, &lea, &burnout, &["first"]).await;
    let few = search_statements(&app, &lea, &burnout).await;

    let mut mentors = Vec::new();
    for n in 0..12_i32 {
        // Years 0 to 9, each a score of its own (experience counts up to 10 years).
        let years = (n - 2).max(0);
        mentors.push(nurse_mentor(&app, &format!("mentor{n:02}"), &burnout, years, 3).await);
    }
    // Blocks both ways and an open request leave three of them out.
    app.block(&lea, &mentors[0]).await;
    app.block(&mentors[1], &lea).await;
    requested_id(&app, &lea, &mentors[2], &burnout).await;
    let mut expected: Vec<String> = (3..12).rev().map(|n| format!("mentor{n:02}")).collect();
    expected.insert(0, "first".to_owned());
    let expected: Vec<&str> = expected.iter().map(String::as_str).collect();
    eventually_matched(&app, &lea, &burnout, &expected).await;
    let many = search_statements(&app, &lea, &burnout).await;
    assert_eq!(
        few, many,
        "statements with 1 mentor and with 13 and exclusions"
    );
    // Three pooled connections, each checked (`SELECT 1`): the session's; the search's two
    // exclusion lists, the seeker's facts (two) and profile, the batch's profiles and areas;
    // the names shown and their languages.
    assert!(many <= 13, "{many} statements for one search");
}

/// Records the workplace an identity provider vouched for, as its sign-in does.
/// Waits until `who`'s search for `areas` finds exactly `expected` (the index of open mentors
/// hears of a change just after it commits), at most five seconds.
pub async fn eventually_matched(app: &TestApp, who: &Session, areas: &[&str], expected: &[&str]) {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let names: Vec<String> = matches(app, who, json!({ "areas": areas }))
            .await
            .into_iter()
            .map(|(name, _, _)| name)
            .collect();
        if names == expected {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "searching {areas:?}: found {names:?}, expected {expected:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
}

/// Searches rank from what is kept in memory; every change to it shows in the next searches:
/// a pause and its end, a capacity filled and freed, areas changed, a new mentor, a region, a
/// profession and languages changed, an erasure.
async fn searches_follow_every_change_to_what_ranks_a_mentor(app: TestApp) {
    let lea = nurse(&app, "lea").await;
    let ana = nurse_mentor(&app, "ana", &["BURNOUT_PREVENTION"], 15, 1).await;
    let burnout = ["BURNOUT_PREVENTION"];
    eventually_matched(&app, &lea, &burnout, &["ana"]).await;
    // A pause, then its end.
    let mut paused = profile_input(&burnout, 15, 1);
    paused["acceptingMentees"] = json!(false);
    mentor(&app, &ana, paused).await;
    eventually_matched(&app, &lea, &burnout, &[]).await;
    mentor(&app, &ana, profile_input(&burnout, 15, 1)).await;
    eventually_matched(&app, &lea, &burnout, &["ana"]).await;
    // Her one slot taken, then freed.
    let sam = nurse(&app, "sam").await;
    let taken = requested_id(&app, &sam, &ana, &burnout).await;
    respond(&app, &ana, &taken, true).await;
    eventually_matched(&app, &lea, &burnout, &[]).await;
    let ended = app
        .gql(
            Some(&sam.access_token),
            "mutation($id: ID!) { completeMentorship(id: $id) { status } }",
            json!({ "id": taken }),
        )
        .await;
    assert!(ended["errors"].is_null(), "{ended}");
    eventually_matched(&app, &lea, &burnout, &["ana"]).await;
    // Other areas, then a newcomer in the one asked for.
    mentor(&app, &ana, profile_input(&["LEADERSHIP"], 15, 1)).await;
    eventually_matched(&app, &lea, &burnout, &[]).await;
    eventually_matched(&app, &lea, &["LEADERSHIP"], &["ana"]).await;
    let bea = nurse_mentor(&app, "bea", &["LEADERSHIP"], 20, 2).await;
    eventually_matched(&app, &lea, &["LEADERSHIP"], &["ana", "bea"]).await;
    // The facts about them as people: each change moves them past the other.
    let update = "mutation($input: UpdateProfileInput!) { updateProfile(input: $input) { email } }";
    for (who, change, order) in [
        (&ana, json!({ "region": "Québec" }), ["bea", "ana"]),
        (&bea, json!({ "profession": "PHYSICIAN" }), ["ana", "bea"]),
        (&ana, json!({ "languages": ["en"] }), ["bea", "ana"]),
    ] {
        let changed = app
            .gql(Some(&who.access_token), update, json!({ "input": change }))
            .await;
        assert!(changed["errors"].is_null(), "{changed}");
        eventually_matched(&app, &lea, &["LEADERSHIP"], &order).await;
    }
    // An erased mentor is gone.
    let erased = app
        .gql(
            Some(&bea.access_token),
            "mutation($password: String!) { deleteAccount(password: $password) }",
            json!({ "password": "a long enough password" }),
        )
        .await;
    assert!(erased["errors"].is_null(), "{erased}");
    eventually_matched(&app, &lea, &["LEADERSHIP"], &["ana"]).await;
}

async fn verify_workplace(app: &TestApp, who: &Session, workplace: &str) {
    use relais::db::schema::users;
    let (id, workplace) = (who.user_id.clone(), workplace.to_owned());
    app.state
        .db
        .run(move |conn| {
            Ok(diesel::update(users::table.filter(users::id.eq(id)))
                .set(users::verified_workplace.eq(workplace))
                .execute(conn)?)
        })
        .await
        .unwrap();
}

async fn a_typed_workplace_changes_nobody_one_is_shown(app: TestApp) {
    let mentee = nurse(&app, "lea").await;
    let update = "mutation($w: String) { updateProfile(input: { workplace: $w }) { workplace } }";
    let guessed = nurse_mentor(&app, "guessed", &["BURNOUT_PREVENTION"], 15, 3).await;
    app.gql(
        Some(&guessed.access_token),
        update,
        json!({ "w": "Clinique du Parc" }),
    )
    .await;
    nurse_mentor(&app, "elsewhere", &["BURNOUT_PREVENTION"], 15, 3).await;
    let input = json!({ "areas": ["BURNOUT_PREVENTION"] });
    let before = matches(&app, &mentee, input.clone()).await;
    assert_eq!(before.len(), 2, "{before:?}");
    // Testing a guess: typing the mentor's workplace as one's own shows the same mentors.
    for guess in ["Clinique du Parc", " clinique DU PARC ", "CHU de Nantes"] {
        let typed = app
            .gql(Some(&mentee.access_token), update, json!({ "w": guess }))
            .await;
        assert!(typed["errors"].is_null(), "{typed}");
        assert_eq!(matches(&app, &mentee, input.clone()).await, before);
    }
}

async fn matches_are_ranked_explained_and_exclude_who_they_must(app: TestApp) {
    let mentee = nurse(&app, "lea").await;
    let update = "mutation($w: String) { updateProfile(input: { workplace: $w }) { workplace } }";
    app.gql(
        Some(&mentee.access_token),
        update,
        json!({ "w": "CHU de Rennes" }),
    )
    .await;
    // Best: same areas, profession, region; then fewer areas; then another profession.
    nurse_mentor(
        &app,
        "best",
        &["BURNOUT_PREVENTION", "NEW_GRADUATE_TRANSITION"],
        15,
        3,
    )
    .await;
    nurse_mentor(&app, "half", &["BURNOUT_PREVENTION"], 15, 3).await;
    new_mentor(
        &app,
        "other",
        "PHYSICIAN",
        &["fr"],
        &["BURNOUT_PREVENTION"],
        15,
        3,
    )
    .await;
    // Never suggested: no shared area, her own workplace (as a provider verified it for both),
    // a block, a full mentor, English only.
    nurse_mentor(&app, "unrelated", &["RESEARCH"], 15, 3).await;
    let colleague = nurse_mentor(&app, "colleague", &["BURNOUT_PREVENTION"], 15, 3).await;
    for who in [&mentee, &colleague] {
        verify_workplace(&app, who, "pro-sante-connect:CHU-RENNES").await;
    }
    let blocked = nurse_mentor(&app, "blocked", &["BURNOUT_PREVENTION"], 15, 3).await;
    app.block(&blocked, &mentee).await;
    let full = nurse_mentor(&app, "full", &["BURNOUT_PREVENTION"], 15, 1).await;
    let other_mentee = nurse(&app, "sam").await;
    let taken = requested_id(&app, &other_mentee, &full, &["BURNOUT_PREVENTION"]).await;
    respond(&app, &full, &taken, true).await;
    new_mentor(
        &app,
        "english",
        "NURSE",
        &["en"],
        &["BURNOUT_PREVENTION"],
        15,
        3,
    )
    .await;

    let input =
        json!({ "areas": ["BURNOUT_PREVENTION", "NEW_GRADUATE_TRANSITION"], "language": "fr" });
    let found = matches(&app, &mentee, input.clone()).await;
    let names: Vec<&str> = found.iter().map(|(name, _, _)| name.as_str()).collect();
    assert_eq!(names, ["best", "half", "other"], "{found:?}");
    assert!(found.windows(2).all(|pair| pair[0].1 >= pair[1].1));
    assert!(
        found
            .iter()
            .all(|(_, score, _)| (0.0..=1.0).contains(score))
    );
    assert_eq!(
        found[0].2,
        [
            "2 domaines en commun : prévention de l'épuisement, premières années après le diplôme",
            "Même profession : infirmier·e",
            "Parle français",
            "Même région : Bretagne",
            "15 ans d'expérience",
            "3 places libres",
        ]
    );
    // The same inputs give the same ranking; English speakers read English reasons.
    assert_eq!(matches(&app, &mentee, input.clone()).await, found);
    app.gql(
        Some(&mentee.access_token),
        "mutation { updateProfile(input: { locale: \"en\" }) { locale } }",
        json!({}),
    )
    .await;
    let in_english = matches(&app, &mentee, input).await;
    assert_eq!(in_english[0].2[2], "Speaks French");
    // Preferring physicians lifts the physician above the nurse with the same areas.
    let prefer = json!({ "areas": ["BURNOUT_PREVENTION"], "profession": "PHYSICIAN" });
    let names: Vec<String> = matches(&app, &mentee, prefer)
        .await
        .into_iter()
        .map(|(name, _, _)| name)
        .collect();
    assert_eq!(
        names.first().map(String::as_str),
        Some("other"),
        "{names:?}"
    );
    // Without a language asked for, the English-speaking mentor is a candidate too; nobody
    // excluded ever is.
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(sorted, ["best", "english", "half", "other"]);
    // Bad input says which field.
    let answer = app
        .gql(
            Some(&mentee.access_token),
            MATCHES,
            json!({ "input": { "areas": [] } }),
        )
        .await;
    assert_eq!(error_field(&answer), "areas");
    let answer = app
        .gql(
            Some(&mentee.access_token),
            MATCHES,
            json!({ "input": { "areas": ["RESEARCH"] }, "first": 51 }),
        )
        .await;
    assert_eq!(error_field(&answer), "first");
}

async fn the_lifecycle_follows_its_rules_and_names_refused_transitions(app: TestApp) {
    let ana = nurse_mentor(&app, "ana", &["BURNOUT_PREVENTION", "LEADERSHIP"], 20, 3).await;
    let bob = nurse(&app, "bob").await;
    let stranger = nurse(&app, "eve").await;

    // Bad requests change nothing.
    let short = app
        .gql(
            Some(&bob.access_token),
            REQUEST,
            json!({ "mentor": ana.user_id, "areas": ["LEADERSHIP"], "message": "Trop court" }),
        )
        .await;
    assert_eq!(error_field(&short), "message");
    let to_self = request(&app, &ana, &ana, &["LEADERSHIP"]).await;
    assert_eq!(error_field(&to_self), "mentorId");
    let no_profile = request(&app, &bob, &stranger, &["LEADERSHIP"]).await;
    assert_eq!(error_code(&no_profile), "NOT_FOUND");

    let id = requested_id(&app, &bob, &ana, &["BURNOUT_PREVENTION"]).await;
    assert_eq!(
        received_kinds(&app, &ana.user_id)
            .await
            .iter()
            .filter(|kind| *kind == "MENTORSHIP_REQUESTED")
            .count(),
        1
    );
    let twice = request(&app, &bob, &ana, &["LEADERSHIP"]).await;
    assert_eq!(error_code(&twice), "CONFLICT");
    // Only the mentor answers: the mentee is FORBIDDEN, anyone else does not see it.
    assert_eq!(
        error_code(&respond(&app, &bob, &id, true).await),
        "FORBIDDEN"
    );
    assert_eq!(
        error_code(&respond(&app, &stranger, &id, true).await),
        "NOT_FOUND"
    );
    let completed_too_soon = app
        .gql(
            Some(&bob.access_token),
            "mutation($id: ID!) { completeMentorship(id: $id) { status } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(error_code(&completed_too_soon), "CONFLICT");
    let message = error_message(&completed_too_soon);
    assert!(
        message.contains("REQUESTED") && message.contains("COMPLETED"),
        "{message}"
    );
    let mentor_cancels = app
        .gql(
            Some(&ana.access_token),
            "mutation($id: ID!) { cancelMentorship(id: $id) { status } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(error_code(&mentor_cancels), "FORBIDDEN");

    // At most three open requests: Bob asks three more mentors, the fourth is refused.
    let mut others = Vec::new();
    for (name, areas) in [
        ("m1", ["BURNOUT_PREVENTION"]),
        ("m2", ["LEADERSHIP"]),
        ("m3", ["RESEARCH"]),
    ] {
        let other = nurse(&app, name).await;
        mentor(&app, &other, profile_input(&areas, 5, 2)).await;
        others.push((other, areas));
    }
    let first_other = requested_id(&app, &bob, &others[0].0, &others[0].1).await;
    let second_other = requested_id(&app, &bob, &others[1].0, &others[1].1).await;
    let fourth = request(&app, &bob, &others[2].0, &others[2].1).await;
    assert_eq!(error_code(&fourth), "CONFLICT", "{fourth}");

    // Ana accepts: ACTIVE with a conversation; Bob's other request in the same area is
    // withdrawn (its mentor told), the one in another area stays.
    let accepted = respond(&app, &ana, &id, true).await;
    let node = &accepted["data"]["respondToMentorship"];
    assert_eq!(node["status"], "ACTIVE", "{accepted}");
    assert_eq!(node["conversation"]["open"], true);
    assert_eq!(status_of(&app, &first_other).await, "CANCELLED");
    assert_eq!(
        received_kinds(&app, &others[0].0.user_id)
            .await
            .last()
            .unwrap(),
        "MENTORSHIP_WITHDRAWN"
    );
    assert_eq!(status_of(&app, &second_other).await, "REQUESTED");
    assert_eq!(
        received_kinds(&app, &bob.user_id).await.last().unwrap(),
        "MENTORSHIP_ACCEPTED"
    );
    let again = respond(&app, &ana, &id, false).await;
    assert!(
        error_message(&again).contains("ACTIVE") && error_message(&again).contains("DECLINED"),
        "{again}"
    );
    // Declining says why; the mentee is told.
    let declined = app
        .gql(
            Some(&others[1].0.access_token),
            RESPOND,
            json!({ "id": second_other, "accept": false, "reason": "NOT_RIGHT_EXPERTISE" }),
        )
        .await;
    assert_eq!(
        declined["data"]["respondToMentorship"]["declineReason"], "NOT_RIGHT_EXPERTISE",
        "{declined}"
    );
    assert_eq!(
        received_kinds(&app, &bob.user_id).await.last().unwrap(),
        "MENTORSHIP_DECLINED"
    );

    // Each side sees it under their side; nobody else sees it at all.
    let mine = |who: &Session, side: &'static str| {
        let (app, token) = (&app, who.access_token.clone());
        async move {
            let answer = app
                .gql(
                    Some(&token),
                    "query($side: MentorshipSide) { myMentorships(side: $side) { id status } }",
                    json!({ "side": side }),
                )
                .await;
            answer["data"]["myMentorships"].clone()
        }
    };
    assert_eq!(
        mine(&ana, "MENTOR").await,
        json!([{ "id": id, "status": "ACTIVE" }])
    );
    assert_eq!(mine(&ana, "MENTEE").await, json!([]));
    assert_eq!(mine(&bob, "MENTEE").await.as_array().unwrap().len(), 3);
    assert_eq!(mine(&stranger, "MENTEE").await, json!([]));

    // Either side ends it: the other is told, and it cannot be completed afterwards.
    let ended = app
        .gql(
            Some(&ana.access_token),
            "mutation($id: ID!) { cancelMentorship(id: $id) { status endedAt conversation { open } } }",
            json!({ "id": id }),
        )
        .await;
    let node = &ended["data"]["cancelMentorship"];
    assert_eq!(node["status"], "CANCELLED", "{ended}");
    assert_eq!(node["conversation"]["open"], false);
    assert!(node["endedAt"].is_string());
    assert_eq!(
        received_kinds(&app, &bob.user_id).await.last().unwrap(),
        "MENTORSHIP_ENDED"
    );
}

async fn concurrent_accepts_never_exceed_the_last_slot(app: TestApp) {
    let ana = nurse_mentor(&app, "ana", &["BURNOUT_PREVENTION"], 20, 2).await;
    let first = nurse(&app, "first").await;
    let taken = requested_id(&app, &first, &ana, &["BURNOUT_PREVENTION"]).await;
    let mut requests = Vec::new();
    for n in 0..8 {
        let mentee = nurse(&app, &format!("m{n}")).await;
        requests.push(requested_id(&app, &mentee, &ana, &["BURNOUT_PREVENTION"]).await);
    }
    respond(&app, &ana, &taken, true).await;
    // One slot left, eight accepts at once: exactly one wins, the others are told why.
    let answers = join_all(requests.iter().map(|id| respond(&app, &ana, id, true))).await;
    let won = answers
        .iter()
        .filter(|answer| answer["data"]["respondToMentorship"]["status"] == "ACTIVE")
        .count();
    assert_eq!(won, 1, "{answers:?}");
    for answer in answers.iter().filter(|answer| answer["errors"].is_array()) {
        assert_eq!(error_code(answer), "CONFLICT", "{answer}");
    }
    let profile = app
        .gql(
            Some(&ana.access_token),
            "query($id: ID!) { mentorProfile(userId: $id) { activeMenteeCount } }",
            json!({ "id": ana.user_id }),
        )
        .await;
    assert_eq!(profile["data"]["mentorProfile"]["activeMenteeCount"], 2);
}

async fn unanswered_requests_bring_a_reminder_then_expire_once(app: TestApp) {
    let ana = nurse_mentor(&app, "ana", &["BURNOUT_PREVENTION"], 20, 2).await;
    let other = nurse_mentor(&app, "zoe", &["BURNOUT_PREVENTION"], 20, 2).await;
    let bob = nurse(&app, "bob").await;
    let id = requested_id(&app, &bob, &ana, &["BURNOUT_PREVENTION"]).await;
    // The reminder waits five days in the outbox, keyed to the request.
    let key = format!("mentorship:{id}:waiting");
    let reminder = {
        let key = key.clone();
        app.state
            .db
            .run(move |conn| {
                Ok(notifications::table
                    .filter(notifications::schedule_key.eq(key))
                    .select((notifications::kind, notifications::created_at))
                    .load::<(String, chrono::NaiveDateTime)>(conn)?)
            })
            .await
            .unwrap()
    };
    assert_eq!(reminder.len(), 1);
    assert_eq!(reminder[0].0, "MENTORSHIP_WAITING");
    let due_in = reminder[0].1 - Utc::now().naive_utc();
    assert!(
        due_in > Duration::days(5) - Duration::minutes(5) && due_in <= Duration::days(5),
        "{due_in:?}"
    );

    // Fifteen days later, two instances sweep at once: it expires once, Bob is told once,
    // with another mentor suggested; the reminder is withdrawn.
    let sweep_at = Utc::now().naive_utc() + Duration::days(15);
    let sweeps = join_all(
        (0..2).map(|_| relais::mentorship::service::expire_stale_requests(&app.state.db, sweep_at)),
    )
    .await;
    let expired: usize = sweeps.into_iter().map(Result::unwrap).sum();
    assert_eq!(expired, 1);
    assert_eq!(status_of(&app, &id).await, "EXPIRED");
    let too_late = respond(&app, &ana, &id, true).await;
    assert_eq!(error_code(&too_late), "CONFLICT");
    assert!(
        error_message(&too_late).contains("EXPIRED") && error_message(&too_late).contains("ACTIVE"),
        "{too_late}"
    );
    let told = app
        .gql(
            Some(&bob.access_token),
            "{ notifications(first: 10) { edges { node { kind body } } } }",
            json!({}),
        )
        .await;
    let expiries: Vec<&Value> = told["data"]["notifications"]["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("{told}"))
        .iter()
        .map(|edge| &edge["node"])
        .filter(|node| node["kind"] == "MENTORSHIP_EXPIRED")
        .collect();
    assert_eq!(expiries.len(), 1, "{told}");
    let body = expiries[0]["body"].as_str().unwrap();
    // The mentor who did not answer is named; the mentors suggested are shown by the app, and
    // no name of theirs is kept in the notification.
    assert!(
        body.contains("ana") && body.contains("D'autres mentors") && !body.contains("zoe"),
        "{body}"
    );
    let left = app
        .state
        .db
        .run(move |conn| {
            Ok(notifications::table
                .filter(notifications::schedule_key.eq(key))
                .count()
                .get_result::<i64>(conn)?)
        })
        .await
        .unwrap();
    assert_eq!(left, 0);
    // Too early is too early: a fresh request does not expire.
    let fresh = requested_id(&app, &bob, &other, &["BURNOUT_PREVENTION"]).await;
    let now = Utc::now().naive_utc();
    assert_eq!(
        relais::mentorship::service::expire_stale_requests(&app.state.db, now)
            .await
            .unwrap(),
        0
    );
    assert_eq!(status_of(&app, &fresh).await, "REQUESTED");
}

/// An active mentorship between a new mentor and a new mentee, and its conversation id.
pub async fn active_pair(app: &TestApp) -> (Session, Session, String, String) {
    let ana = nurse_mentor(app, "ana", &["BURNOUT_PREVENTION"], 20, 2).await;
    let bob = nurse(app, "bob").await;
    let id = requested_id(app, &bob, &ana, &["BURNOUT_PREVENTION"]).await;
    let accepted = respond(app, &ana, &id, true).await;
    let conversation = accepted["data"]["respondToMentorship"]["conversation"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{accepted}"))
        .to_owned();
    (ana, bob, id, conversation)
}

const SEND: &str = "mutation($id: ID!, $body: String!) {
    sendMessage(conversationId: $id, body: $body) { id body conversationId author { displayName } } }";

async fn conversations_belong_to_the_two_people_and_close_with_the_mentorship(app: TestApp) {
    let (ana, bob, id, conversation) = active_pair(&app).await;
    let eve = nurse(&app, "eve").await;
    let send = |who: &Session, body: String| {
        let (app, token, conversation) = (&app, who.access_token.clone(), conversation.clone());
        async move {
            app.gql(
                Some(&token),
                SEND,
                json!({ "id": conversation, "body": body }),
            )
            .await
        }
    };
    for n in 0..3 {
        let sent = send(&bob, format!("Message {n} de Bob")).await;
        assert_eq!(
            sent["data"]["sendMessage"]["author"]["displayName"], "bob",
            "{sent}"
        );
    }
    assert_eq!(error_field(&send(&bob, " ".into()).await), "body");
    assert_eq!(error_field(&send(&bob, "x".repeat(4_001)).await), "body");
    assert_eq!(error_code(&send(&eve, "Coucou".into()).await), "NOT_FOUND");
    // The notification behind each message keeps no text of it (and its push shows none: its
    // category is sensitive).
    let categories: Vec<(String, String)> = {
        let ana_id = ana.user_id.clone();
        app.state
            .db
            .run(move |conn| {
                Ok(notifications::table
                    .filter(notifications::user_id.eq(ana_id))
                    .filter(notifications::kind.eq("NEW_MESSAGE"))
                    .select((notifications::category, notifications::params))
                    .load(conn)?)
            })
            .await
            .unwrap()
    };
    assert_eq!(categories.len(), 3);
    assert!(
        categories
            .iter()
            .all(|(category, params)| category == "MENTORSHIP" && !params.contains("de Bob"))
    );

    // Newest first, two per page; Ana has three unread until she reads them.
    let read = "query($id: ID!, $after: String) { conversation(id: $id) {
        open unreadCount otherReadUpTo messages(first: 2, after: $after) {
            edges { node { body } } pageInfo { hasNextPage endCursor } } } }";
    let page = app
        .gql(Some(&ana.access_token), read, json!({ "id": conversation }))
        .await;
    let node = &page["data"]["conversation"];
    assert_eq!(node["unreadCount"], 3, "{page}");
    assert!(
        node["otherReadUpTo"].is_string(),
        "the sender has read their own"
    );
    assert_eq!(
        node["messages"]["edges"],
        json!([{ "node": { "body": "Message 2 de Bob" } }, { "node": { "body": "Message 1 de Bob" } }])
    );
    let next = app
        .gql(
            Some(&ana.access_token),
            read,
            json!({ "id": conversation, "after": node["messages"]["pageInfo"]["endCursor"] }),
        )
        .await;
    assert_eq!(
        next["data"]["conversation"]["messages"]["edges"],
        json!([{ "node": { "body": "Message 0 de Bob" } }])
    );
    let marked = app
        .gql(
            Some(&ana.access_token),
            "mutation($id: ID!) { markConversationRead(conversationId: $id) { unreadCount } }",
            json!({ "id": conversation }),
        )
        .await;
    assert_eq!(
        marked["data"]["markConversationRead"]["unreadCount"], 0,
        "{marked}"
    );
    let seen_by_bob = app
        .gql(
            Some(&bob.access_token),
            "query($id: ID!) { conversation(id: $id) { otherReadUpTo } }",
            json!({ "id": conversation }),
        )
        .await;
    assert!(seen_by_bob["data"]["conversation"]["otherReadUpTo"].is_string());
    let by_eve = app
        .gql(
            Some(&eve.access_token),
            "query($id: ID!) { conversation(id: $id) { id } }",
            json!({ "id": conversation }),
        )
        .await;
    assert_eq!(by_eve["data"]["conversation"], Value::Null);

    // Completed, the thread is read-only but still readable.
    app.gql(
        Some(&bob.access_token),
        "mutation($id: ID!) { completeMentorship(id: $id) { status } }",
        json!({ "id": id }),
    )
    .await;
    assert_eq!(error_code(&send(&ana, "Merci !".into()).await), "CONFLICT");
    let after = app
        .gql(
            Some(&bob.access_token),
            "query($id: ID!) { conversation(id: $id) { open messages { edges { node { id } } } } }",
            json!({ "id": conversation }),
        )
        .await;
    assert_eq!(after["data"]["conversation"]["open"], false);
    assert_eq!(
        after["data"]["conversation"]["messages"]["edges"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
}

async fn goals_and_feedback_follow_the_mentorship(app: TestApp) {
    let (ana, bob, id, _) = active_pair(&app).await;
    let add = "mutation($id: ID!, $title: String!) {
        addMentorshipGoal(mentorshipId: $id, title: $title) { id title doneAt } }";
    let goal = app
        .gql(
            Some(&bob.access_token),
            add,
            json!({ "id": id, "title": "Dormir 7 heures après une nuit" }),
        )
        .await;
    let goal_id = goal["data"]["addMentorshipGoal"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{goal}"))
        .to_owned();
    let empty = app
        .gql(
            Some(&bob.access_token),
            add,
            json!({ "id": id, "title": " " }),
        )
        .await;
    assert_eq!(error_field(&empty), "title");
    let done = app
        .gql(
            Some(&ana.access_token),
            "mutation($id: ID!) { setMentorshipGoalDone(goalId: $id, done: true) { doneAt } }",
            json!({ "id": goal_id }),
        )
        .await;
    assert!(
        done["data"]["setMentorshipGoalDone"]["doneAt"].is_string(),
        "{done}"
    );
    let eve = nurse(&app, "eve").await;
    let by_eve = app
        .gql(
            Some(&eve.access_token),
            "mutation($id: ID!) { setMentorshipGoalDone(goalId: $id, done: false) { doneAt } }",
            json!({ "id": goal_id }),
        )
        .await;
    assert_eq!(error_code(&by_eve), "NOT_FOUND");

    // Feedback waits for completion; the note stays with its author.
    let feedback = "mutation($id: ID!, $rating: Int!, $note: String) {
        leaveMentorshipFeedback(mentorshipId: $id, rating: $rating, note: $note) {
            viewerFeedback { rating note } goals { title doneAt } } }";
    let early = app
        .gql(
            Some(&bob.access_token),
            feedback,
            json!({ "id": id, "rating": 5 }),
        )
        .await;
    assert_eq!(error_code(&early), "CONFLICT");
    app.gql(
        Some(&ana.access_token),
        "mutation($id: ID!) { completeMentorship(id: $id) { status } }",
        json!({ "id": id }),
    )
    .await;
    let late_goal = app
        .gql(
            Some(&bob.access_token),
            add,
            json!({ "id": id, "title": "Encore" }),
        )
        .await;
    assert_eq!(error_code(&late_goal), "CONFLICT");
    let out_of_range = app
        .gql(
            Some(&bob.access_token),
            feedback,
            json!({ "id": id, "rating": 0 }),
        )
        .await;
    assert_eq!(error_field(&out_of_range), "rating");
    let given = app
        .gql(
            Some(&bob.access_token),
            feedback,
            json!({ "id": id, "rating": 5, "note": "Note privée de Bob" }),
        )
        .await;
    assert_eq!(
        given["data"]["leaveMentorshipFeedback"]["viewerFeedback"],
        json!({ "rating": 5, "note": "Note privée de Bob" }),
        "{given}"
    );
    let anas_view = app
        .gql(
            Some(&ana.access_token),
            "{ myMentorships { viewerFeedback { rating } goals { title } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        anas_view["data"]["myMentorships"][0]["viewerFeedback"],
        Value::Null,
        "Ana does not see Bob's note: {anas_view}"
    );
    // One rating: Ana's average stays hidden until three mentees rated her.
    let average = "query($id: ID!) { mentorProfile(userId: $id) { averageRating } }";
    let hidden = app
        .gql(
            Some(&ana.access_token),
            average,
            json!({ "id": ana.user_id }),
        )
        .await;
    assert_eq!(
        hidden["data"]["mentorProfile"]["averageRating"],
        Value::Null
    );
    let rated_by_a_new_mentee = |n: usize, rating: i32| {
        let (app, ana, feedback) = (&app, &ana, feedback);
        async move {
            let mentee = nurse(app, &format!("m{n}")).await;
            let id = requested_id(app, &mentee, ana, &["BURNOUT_PREVENTION"]).await;
            respond(app, ana, &id, true).await;
            app.gql(
                Some(&mentee.access_token),
                "mutation($id: ID!) { completeMentorship(id: $id) { status } }",
                json!({ "id": id }),
            )
            .await;
            app.gql(
                Some(&mentee.access_token),
                feedback,
                json!({ "id": id, "rating": rating }),
            )
            .await;
        }
    };
    for (n, rating) in [(1, 3), (2, 4)] {
        rated_by_a_new_mentee(n, rating).await;
    }
    let shown = app
        .gql(
            Some(&ana.access_token),
            average,
            json!({ "id": ana.user_id }),
        )
        .await;
    assert_eq!(
        shown["data"]["mentorProfile"]["averageRating"], 4.0,
        "{shown}"
    );
    // A fourth rating does not move it: a change shows only once three more mentees rated.
    rated_by_a_new_mentee(3, 1).await;
    let unmoved = app
        .gql(
            Some(&ana.access_token),
            average,
            json!({ "id": ana.user_id }),
        )
        .await;
    assert_eq!(unmoved["data"]["mentorProfile"]["averageRating"], 4.0);
    let to_others = app
        .gql(
            Some(&bob.access_token),
            average,
            json!({ "id": ana.user_id }),
        )
        .await;
    assert_eq!(
        to_others["data"]["mentorProfile"]["averageRating"],
        Value::Null
    );
}

async fn a_round_counts_waiting_requests_and_speaks_each_mentors_language(app: TestApp) {
    let organiser = app.register("org@example.org").await;
    grant_role(&app.state.db, "org@example.org", Role::Organiser)
        .await
        .unwrap();
    // An English-reading mentor with two slots and one request waiting for an answer.
    let mentor_en = app
        .register_with(json!({
            "email": "jo@example.org", "password": "a long enough password",
            "displayName": "jo", "profession": "NURSE", "languages": ["fr", "en"],
            "region": "Bretagne", "locale": "en",
        }))
        .await;
    mentor(
        &app,
        &mentor_en,
        profile_input(&["NEW_GRADUATE_TRANSITION"], 10, 2),
    )
    .await;
    let waiting = nurse(&app, "waiting").await;
    let pending = requested_id(&app, &waiting, &mentor_en, &["NEW_GRADUATE_TRANSITION"]).await;
    // A seeker who already has three requests out cannot take another: left out of the plan.
    let busy = nurse(&app, "busy").await;
    for n in 0..3 {
        let other = nurse_mentor(&app, &format!("other{n}"), &["RESEARCH"], 5, 1).await;
        requested_id(&app, &busy, &other, &["RESEARCH"]).await;
    }
    let seek = "mutation($areas: [MentorshipArea!]!) { setMentorshipSeeking(areas: $areas) }";
    let mut seekers = vec![busy.clone()];
    for n in 0..2 {
        seekers.push(nurse(&app, &format!("new{n}")).await);
    }
    for seeker in &seekers {
        app.gql(
            Some(&seeker.access_token),
            seek,
            json!({ "areas": ["NEW_GRADUATE_TRANSITION"] }),
        )
        .await;
    }
    let run = "mutation($dry: Boolean!) { runMatchingRound(dryRun: $dry) {
        proposals { mentee { id } mentor { id } } unmatched { id } } }";
    let dry = app
        .gql(Some(&organiser.access_token), run, json!({ "dry": true }))
        .await;
    let round = &dry["data"]["runMatchingRound"];
    // One free slot once the waiting request is counted: one proposal, one unmatched.
    assert_eq!(round["proposals"].as_array().unwrap().len(), 1, "{dry}");
    assert_eq!(round["unmatched"].as_array().unwrap().len(), 1, "{dry}");
    assert!(!dry.to_string().contains(&busy.user_id), "{dry}");
    // The real round while the mentor answers the waiting request: both go through.
    let (real, answered) = futures_util::join!(
        app.gql(Some(&organiser.access_token), run, json!({ "dry": false })),
        app.gql(
            Some(&mentor_en.access_token),
            RESPOND,
            json!({ "id": pending, "accept": true })
        )
    );
    assert!(real["errors"].is_null(), "{real}");
    assert!(answered["errors"].is_null(), "{answered}");
    let made = app
        .gql(
            Some(&mentor_en.access_token),
            "{ myMentorships { status fromMatchingRound message } }",
            json!({}),
        )
        .await;
    let from_round: Vec<&Value> = made["data"]["myMentorships"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|row| row["fromMatchingRound"] == true)
        .collect();
    assert_eq!(from_round.len(), 1, "{made}");
    assert_eq!(
        from_round[0]["message"],
        "Suggested by the mentorship programme from your areas, languages and availability."
    );
}

async fn a_matching_round_proposes_stable_pairs_and_creates_requests(app: TestApp) {
    let organiser = app.register("org@example.org").await;
    grant_role(&app.state.db, "org@example.org", Role::Organiser)
        .await
        .unwrap();
    let seek = "mutation($areas: [MentorshipArea!]!) { setMentorshipSeeking(areas: $areas) }";
    let mut mentees = Vec::new();
    for n in 0..4 {
        let mentee = nurse(&app, &format!("new{n}")).await;
        let answer = app
            .gql(
                Some(&mentee.access_token),
                seek,
                json!({ "areas": ["NEW_GRADUATE_TRANSITION"] }),
            )
            .await;
        assert_eq!(
            answer["data"]["setMentorshipSeeking"],
            json!(["NEW_GRADUATE_TRANSITION"]),
            "{answer}"
        );
        mentees.push(mentee);
    }
    // Three slots for four mentees: one is left unmatched.
    let a = nurse_mentor(&app, "mentor-a", &["NEW_GRADUATE_TRANSITION"], 20, 2).await;
    let b = person(
        &app,
        "mentor-b@example.org",
        "PHYSICIAN",
        &["fr"],
        "Occitanie",
    )
    .await;
    mentor(&app, &b, profile_input(&["NEW_GRADUATE_TRANSITION"], 5, 1)).await;
    let run = "mutation($dry: Boolean!) { runMatchingRound(dryRun: $dry) {
        id proposals { mentee { id } mentor { id } score } unmatched { id } } }";
    let refused = app
        .gql(Some(&mentees[0].access_token), run, json!({ "dry": true }))
        .await;
    assert_eq!(error_code(&refused), "FORBIDDEN");
    let dry = app
        .gql(Some(&organiser.access_token), run, json!({ "dry": true }))
        .await;
    let round = &dry["data"]["runMatchingRound"];
    assert_eq!(round["id"], Value::Null, "{dry}");
    assert_eq!(round["proposals"].as_array().unwrap().len(), 3, "{dry}");
    assert_eq!(round["unmatched"].as_array().unwrap().len(), 1);
    let count = || {
        let db = app.state.db.clone();
        async move {
            db.run(|conn| Ok(mentorships::table.count().get_result::<i64>(conn)?))
                .await
                .unwrap()
        }
    };
    assert_eq!(count().await, 0, "a dry run writes nothing");

    let real = app
        .gql(Some(&organiser.access_token), run, json!({ "dry": false }))
        .await;
    let round = &real["data"]["runMatchingRound"];
    assert!(round["id"].is_string(), "{real}");
    assert_eq!(
        round["proposals"],
        dry["data"]["runMatchingRound"]["proposals"]
    );
    assert_eq!(count().await, 3);
    let to_a = round["proposals"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|proposal| proposal["mentor"]["id"] == a.user_id.as_str())
        .count();
    assert_eq!(to_a, 2, "capacities respected");
    for proposal in round["proposals"].as_array().unwrap() {
        let mentee = proposal["mentee"]["id"].as_str().unwrap();
        let mentor = proposal["mentor"]["id"].as_str().unwrap();
        assert_eq!(
            received_kinds(&app, mentee).await.last().unwrap(),
            "ROUND_MENTOR_FOUND"
        );
        assert!(
            received_kinds(&app, mentor)
                .await
                .contains(&"ROUND_MENTEE_FOUND".to_owned())
        );
    }
    let theirs = app
        .gql(
            Some(&mentees[0].access_token),
            "{ myMentorships { status fromMatchingRound message } }",
            json!({}),
        )
        .await;
    if let Some(first) = theirs["data"]["myMentorships"].as_array().unwrap().first() {
        assert_eq!(first["status"], "REQUESTED");
        assert_eq!(first["fromMatchingRound"], true);
    }
}
