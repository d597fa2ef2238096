//! The personal-data registry against the database's own catalogue, and erasure through it.

use std::collections::BTreeSet;

use chrono::Duration;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use relais::accounts::model::Role;
use relais::accounts::service::grant_role;
use relais::db::DbConnection;
use relais::privacy::registry;
use serde_json::{Value, json};

use crate::groups::{create_group, group_input, join, post_id};
use crate::helpers::{Session, TestApp, error_code};
use crate::mentorship::{mentor, profile_input, requested_id, respond};
use crate::workshops::{age, register, scheduled_id, workshop_input};

on_both_backends!(
    every_column_that_refers_to_a_person_is_registered,
    erasure_leaves_no_row_that_refers_to_the_person,
    the_export_holds_the_persons_data_and_names_nobody_else,
);

#[derive(QueryableByName)]
struct Column {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    column_name: String,
}

/// Every (table, column) the catalogue says refers to `users`, and every column named
/// `pseudonym` (a person's anonymous records: no foreign key, still theirs).
async fn person_columns(app: &TestApp) -> BTreeSet<(String, String)> {
    let found: Vec<Column> = app
        .state
        .db
        .run(|conn| {
            Ok(match conn {
                DbConnection::Sqlite(sqlite) => diesel::sql_query(
                    "SELECT m.name AS table_name, f.\"from\" AS column_name
                     FROM sqlite_master m JOIN pragma_foreign_key_list(m.name) f
                     WHERE m.type = 'table' AND f.\"table\" = 'users'
                     UNION
                     SELECT m.name, c.name FROM sqlite_master m JOIN pragma_table_info(m.name) c
                     WHERE m.type = 'table' AND c.name = 'pseudonym'",
                )
                .load(sqlite)?,
                DbConnection::Postgres(pg) => diesel::sql_query(
                    "SELECT c.conrelid::regclass::text AS table_name, a.attname::text AS column_name
                     FROM pg_constraint c
                     JOIN pg_namespace n ON n.oid = c.connamespace
                     JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
                     WHERE c.contype = 'f' AND c.confrelid = 'users'::regclass
                       AND n.nspname = current_schema()
                     UNION
                     SELECT table_name::text, column_name::text FROM information_schema.columns
                     WHERE column_name = 'pseudonym' AND table_schema = current_schema()",
                )
                .load(pg)?,
            })
        })
        .await
        .unwrap();
    found
        .into_iter()
        .map(|column| (column.table_name, column.column_name))
        .collect()
}

async fn every_column_that_refers_to_a_person_is_registered(app: TestApp) {
    let registered: BTreeSet<(String, String)> = registry()
        .iter()
        .flat_map(|domain| domain.columns())
        .filter(|column| column.table != "users")
        .map(|column| (column.table.to_owned(), column.column.to_owned()))
        .collect();
    let in_database = person_columns(&app).await;
    let unregistered: Vec<_> = in_database.difference(&registered).collect();
    assert!(
        unregistered.is_empty(),
        "columns naming a person that no registered domain erases: {unregistered:?}"
    );
    let stale: Vec<_> = registered.difference(&in_database).collect();
    assert!(
        stale.is_empty(),
        "registered columns the database does not have: {stale:?}"
    );
}

/// The people of a filled database.
struct People {
    ana: Session,
    bob: Session,
    moderator: Session,
    /// The group Ana created and leads.
    hers: String,
    /// Bob's group, where Ana asked a question Bob answered.
    bobs: String,
    /// The upcoming workshop Ana organises, Bob registered.
    her_workshop: String,
    /// The moderator's one-seat workshop: Ana holds the seat, Bob waits.
    their_workshop: String,
}

/// Ana leaves a trace in every domain through the API: a device, preferences, a role, a group
/// she leads, anonymous and signed posts, a reply, a report, blocks both ways, a sanction.
async fn fill_personal_data(app: &TestApp) -> People {
    let ana = app.register("ana@example.org").await;
    let bob = app.register("bob@example.org").await;
    let moderator = app.register("mod@example.org").await;
    grant_role(&app.state.db, "mod@example.org", Role::Moderator)
        .await
        .unwrap();
    grant_role(&app.state.db, "ana@example.org", Role::Organiser)
        .await
        .unwrap();
    let as_ana = |query: &'static str, variables: serde_json::Value| {
        let token = ana.access_token.clone();
        async move { app.gql(Some(&token), query, variables).await }
    };
    as_ana(
        "mutation { registerDevice(token: \"ana-phone\", platform: IOS) { id } }",
        json!({}),
    )
    .await;
    as_ana(
        "mutation { updateNotificationPreferences(input: { mentorship: false }) { mentorship } }",
        json!({}),
    )
    .await;
    // Ana's own group (she leads it, Bob will take over), Bob's group where she posts.
    let hers = create_group(app, &ana, group_input("Le groupe d'Ana", "PUBLIC")).await;
    join(app, &bob, &hers).await;
    post_id(app, &ana, &hers, "Anonyme et gardé", None, true).await;
    // As facilitator she removes one of Bob's posts, giving a reason.
    let removed = post_id(app, &bob, &hers, "Publication de Bob", None, false).await;
    let deleted = as_ana(
        "mutation($id: ID!) { deletePost(id: $id, reason: \"Motif écrit par Ana\") }",
        json!({ "id": removed }),
    )
    .await;
    assert_eq!(deleted["data"]["deletePost"], true, "{deleted}");
    let bobs = create_group(app, &bob, group_input("Le groupe de Bob", "PUBLIC")).await;
    join(app, &ana, &bobs).await;
    let her_post = post_id(app, &ana, &bobs, "Texte écrit par Ana", None, true).await;
    let bobs_post = post_id(app, &bob, &bobs, "Texte de Bob", None, false).await;
    post_id(app, &ana, &bobs, "Réponse d'Ana", Some(&bobs_post), false).await;
    // A question of hers that Bob answered: his answer must outlive her erasure.
    let question = post_id(app, &ana, &bobs, "Question d'Ana", None, false).await;
    post_id(app, &bob, &bobs, "Réponse de Bob", Some(&question), false).await;
    as_ana(
        "mutation($id: ID!) { reportPost(postId: $id, reason: \"Raison écrite par Ana\") }",
        json!({ "id": bobs_post }),
    )
    .await;
    as_ana(
        "mutation($id: ID!) { blockUser(userId: $id) }",
        json!({ "id": moderator.user_id }),
    )
    .await;
    // Workshops: one she organises, a seat she holds with Bob waiting behind her, a past one
    // she attended and rated, and her calendar feed.
    grant_role(&app.state.db, "mod@example.org", Role::Organiser)
        .await
        .unwrap();
    let her_workshop = scheduled_id(app, &ana, workshop_input("Atelier d'Ana", 5)).await;
    register(app, &bob, &her_workshop).await;
    let their_workshop =
        scheduled_id(app, &moderator, workshop_input("Souffle du modérateur", 1)).await;
    register(app, &ana, &their_workshop).await;
    register(app, &bob, &their_workshop).await;
    let past = scheduled_id(app, &moderator, workshop_input("Balint passé", 5)).await;
    register(app, &ana, &past).await;
    age(app, &past, Duration::days(3)).await;
    let attended = app
        .gql(
            Some(&moderator.access_token),
            "mutation($w: ID!, $u: ID!) { recordAttendance(workshopId: $w, userId: $u, attended: true) { attended } }",
            json!({ "w": past, "u": ana.user_id }),
        )
        .await;
    assert_eq!(
        attended["data"]["recordAttendance"]["attended"], true,
        "{attended}"
    );
    let rated = as_ana(
        "mutation($w: ID!) { rateWorkshop(workshopId: $w, rating: 4, comment: \"Commentaire d'Ana\") }",
        json!({ "w": past }),
    )
    .await;
    assert_eq!(rated["data"]["rateWorkshop"], true, "{rated}");
    as_ana("{ me { calendarFeedUrl } }", json!({})).await;
    // Mentorship: she mentors Bob (a conversation, a goal), is mentored by Cleo (completed,
    // rated both ways), and opted in to rounds.
    let mut her_profile = profile_input(&["BURNOUT_PREVENTION"], 12, 2);
    her_profile["headline"] = json!("Profil d'Ana, infirmière");
    mentor(app, &ana, her_profile).await;
    let with_bob = requested_id(app, &bob, &ana, &["BURNOUT_PREVENTION"]).await;
    let accepted = respond(app, &ana, &with_bob, true).await;
    let conversation = accepted["data"]["respondToMentorship"]["conversation"]["id"].clone();
    let mut sent_ids = Vec::new();
    for (who, body) in [(&ana, "Message d'Ana"), (&bob, "Message de Bob")] {
        let sent = app
            .gql(
                Some(&who.access_token),
                "mutation($id: ID!, $body: String!) { sendMessage(conversationId: $id, body: $body) { id } }",
                json!({ "id": conversation, "body": body }),
            )
            .await;
        assert!(sent["errors"].is_null(), "{sent}");
        sent_ids.push(sent["data"]["sendMessage"]["id"].clone());
    }
    // She reports the conversation, pointing at Bob's message.
    let reported = as_ana(
        "mutation($id: ID!, $message: ID) { reportConversation(conversationId: $id,
            messageId: $message, reason: \"Signalement écrit par Ana\") }",
        json!({ "id": conversation, "message": sent_ids[1] }),
    )
    .await;
    assert_eq!(reported["data"]["reportConversation"], true, "{reported}");
    as_ana(
        "mutation($id: ID!) { addMentorshipGoal(mentorshipId: $id, title: \"Objectif d'Ana\") { id } }",
        json!({ "id": with_bob }),
    )
    .await;
    let cleo = app.register("cleo@example.org").await;
    mentor(app, &cleo, profile_input(&["LEADERSHIP"], 30, 2)).await;
    let with_cleo = requested_id(app, &ana, &cleo, &["LEADERSHIP"]).await;
    respond(app, &cleo, &with_cleo, true).await;
    as_ana(
        "mutation($id: ID!) { completeMentorship(id: $id) { status } }",
        json!({ "id": with_cleo }),
    )
    .await;
    let feedback = "mutation($id: ID!, $note: String) {
        leaveMentorshipFeedback(mentorshipId: $id, rating: 5, note: $note) { status } }";
    as_ana(feedback, json!({ "id": with_cleo, "note": "Avis d'Ana" })).await;
    app.gql(
        Some(&cleo.access_token),
        feedback,
        json!({ "id": with_cleo, "note": "Avis sur Ana" }),
    )
    .await;
    as_ana(
        "mutation { setMentorshipSeeking(areas: [RESEARCH]) }",
        json!({}),
    )
    .await;
    // Reaching out: she asks for support, Bob suggests an outreach to her.
    let asked = as_ana(
        "mutation { requestSupport(note: \"Besoin d'Ana de parler\") { id } }",
        json!({}),
    )
    .await;
    assert!(asked["errors"].is_null(), "{asked}");
    app.gql(
        Some(&bob.access_token),
        "mutation($id: ID!) { requestOutreach(userId: $id, note: \"Bob pense à Ana\") }",
        json!({ "id": ana.user_id }),
    )
    .await;
    // A check-in, shared with her group.
    let checkin = as_ana(
        "mutation($group: ID!) { submitCheckin(input: { instrument: PSS4, answers: [1, 2, 3, 4],
            shareWithGroupIds: [$group] }) { id } }",
        json!({ "group": hers }),
    )
    .await;
    assert!(checkin["errors"].is_null(), "{checkin}");
    app.block(&bob, &ana).await;
    // A moderator sanctions her anonymous post (suspension, log entry) and she resolves nothing.
    app.gql(
        Some(&moderator.access_token),
        "mutation($id: ID!) { removePostAuthor(postId: $id) }",
        json!({ "id": her_post }),
    )
    .await;
    People {
        ana,
        bob,
        moderator,
        hers,
        bobs,
        her_workshop,
        their_workshop,
    }
}

async fn erasure_leaves_no_row_that_refers_to_the_person(app: TestApp) {
    let People {
        ana,
        bob,
        moderator,
        hers,
        bobs,
        her_workshop,
        their_workshop,
    } = fill_personal_data(&app).await;
    let as_ana = |query: &'static str, variables: serde_json::Value| {
        let token = ana.access_token.clone();
        let app = &app;
        async move { app.gql(Some(&token), query, variables).await }
    };
    let columns = person_columns(&app).await;
    let referring = |id: String| {
        let columns = columns.clone();
        app.state.db.run(move |conn| {
            let mut found = Vec::new();
            for (table, column) in &columns {
                #[derive(QueryableByName)]
                struct Count {
                    #[diesel(sql_type = BigInt)]
                    count: i64,
                }
                let sql = match conn {
                    DbConnection::Sqlite(_) => {
                        format!("SELECT COUNT(*) AS count FROM {table} WHERE {column} = ?")
                    }
                    DbConnection::Postgres(_) => {
                        format!("SELECT COUNT(*) AS count FROM {table} WHERE {column} = $1")
                    }
                };
                let count = match conn {
                    DbConnection::Sqlite(sqlite) => diesel::sql_query(sql)
                        .bind::<Text, _>(&id)
                        .get_result::<Count>(sqlite)?,
                    DbConnection::Postgres(pg) => diesel::sql_query(sql)
                        .bind::<Text, _>(&id)
                        .get_result::<Count>(pg)?,
                };
                if count.count > 0 {
                    found.push(format!("{table}.{column}: {}", count.count));
                }
            }
            Ok(found)
        })
    };
    let before = referring(ana.user_id.clone()).await.unwrap();
    for expected in [
        "devices.user_id",
        "posts.author_id",
        "post_reports.reporter_id",
        "user_blocks.blocked_id",
        "posting_suspensions.user_id",
        "memberships.user_id",
        "sessions.user_id",
        "notifications.user_id",
        "user_roles.user_id",
        "workshops.organiser_id",
        "workshop_registrations.user_id",
        "workshop_ratings.user_id",
        "calendar_feeds.user_id",
        "mentor_profiles.user_id",
        "mentee_seeking.user_id",
        "mentorships.mentor_id",
        "mentorships.mentee_id",
        "mentorship_goals.created_by",
        "mentorship_feedback.author_id",
        "mentorship_feedback.subject_id",
        "conversation_members.user_id",
        "messages.author_id",
        "conversation_reports.reporter_id",
        "support_requests.requester_id",
        "outreach_offers.colleague_id",
    ] {
        assert!(
            before.iter().any(|found| found.starts_with(expected)),
            "the test fills {expected}: {before:?}"
        );
    }

    assert!(
        text_found(&app, "ana@example.org")
            .await
            .contains(&"users.email".to_owned())
    );
    assert!(
        text_found(&app, "Raison écrite par Ana")
            .await
            .contains(&"post_reports.reason".to_owned())
    );
    let erased = as_ana(
        "mutation { deleteAccount(password: \"a long enough password\") }",
        json!({}),
    )
    .await;
    assert_eq!(erased["data"]["deleteAccount"], true, "{erased}");
    // Her check-ins go too, found by her pseudonym (no column holds her id).
    let pseudonym = relais::privacy::pseudonym_of(
        &relais::ids::UserId::from_client(ana.user_id.clone()),
        &app.state.secret,
    );
    let checkins_left = app
        .state
        .db
        .run(move |conn| {
            use relais::db::schema::checkins;
            Ok(checkins::table
                .filter(checkins::pseudonym.eq(pseudonym))
                .count()
                .get_result::<i64>(conn)?)
        })
        .await
        .unwrap();
    assert_eq!(checkins_left, 0);
    assert_eq!(
        referring(ana.user_id.clone()).await.unwrap(),
        Vec::<String>::new()
    );
    // Nor anywhere as text: her email and what she wrote are gone from every text column.
    for needle in [
        "ana@example.org",
        "Texte écrit par Ana",
        "Réponse d'Ana",
        "Raison écrite par Ana",
        "Anonyme et gardé",
        "Question d'Ana",
        "Motif écrit par Ana",
        "Commentaire d'Ana",
        "Message d'Ana",
        "Signalement écrit par Ana",
        "Objectif d'Ana",
        "Avis d'Ana",
        "Avis sur Ana",
        "Profil d'Ana",
        "Besoin d'Ana de parler",
        "Bob pense à Ana",
    ] {
        assert_eq!(
            text_found(&app, needle).await,
            Vec::<String>::new(),
            "{needle}"
        );
    }
    // What others built stays: Bob leads her group now, his post and his log entry remain.
    let answer = app
        .gql(
            Some(&bob.access_token),
            "query($id: ID!) { group(id: $id) { members { edges { node { role user { displayName } } } } } }",
            json!({ "id": hers }),
        )
        .await;
    assert_eq!(
        answer["data"]["group"]["members"]["edges"][0]["node"]["role"], "FACILITATOR",
        "{answer}"
    );
    // Both log entries stay: the moderator's about her, and hers, now without her or her reason.
    let log = app
        .gql(
            Some(&moderator.access_token),
            "{ moderationLog { edges { node { action reason } } } }",
            json!({}),
        )
        .await;
    let mut actions: Vec<(String, serde_json::Value)> = log["data"]["moderationLog"]["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("{log}"))
        .iter()
        .map(|edge| {
            let node = &edge["node"];
            (
                node["action"].as_str().unwrap().to_owned(),
                node["reason"].clone(),
            )
        })
        .collect();
    actions.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        actions,
        [
            ("REMOVE_POST".to_owned(), serde_json::Value::Null),
            ("REMOVE_POST_AUTHOR".to_owned(), serde_json::Value::Null),
        ]
    );
    // Her answered question is a tombstone: no author, no body, Bob's answer still under it.
    let posts = app
        .gql(
            Some(&bob.access_token),
            "query($id: ID!) { group(id: $id) { posts(first: 10) { edges { node {
                id author { id } anonymous erased body replyCount
                replies(first: 5) { edges { node { body author { displayName } } } } } } } } }",
            json!({ "id": bobs }),
        )
        .await;
    let tombstone = posts["data"]["group"]["posts"]["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("{posts}"))
        .iter()
        .map(|edge| &edge["node"])
        .find(|post| post["erased"] == true)
        .unwrap_or_else(|| panic!("no tombstone: {posts}"));
    assert_eq!(
        tombstone,
        &json!({
            "id": tombstone["id"], "author": null, "anonymous": true, "erased": true, "body": "Message supprimé",
            "replyCount": 1,
            "replies": { "edges": [{ "node": { "body": "Réponse de Bob", "author": { "displayName": "bob" } } }] },
        })
    );
    // The thread goes on under the tombstone (nobody to notify), and a moderator may still
    // remove it (nobody to suspend).
    let tombstone_id = posts["data"]["group"]["posts"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .find(|edge| edge["node"]["erased"] == true)
        .and_then(|edge| edge["node"]["id"].as_str())
        .map(str::to_owned);
    let tombstone_id = tombstone_id.unwrap_or_else(|| panic!("{posts}"));
    post_id(&app, &bob, &bobs, "Encore Bob", Some(&tombstone_id), false).await;
    let removed = app
        .gql(
            Some(&moderator.access_token),
            "mutation($id: ID!) { removePostAuthor(postId: $id) }",
            json!({ "id": tombstone_id }),
        )
        .await;
    assert_eq!(removed["data"]["removePostAuthor"], true, "{removed}");
    // Her unanswered anonymous post went entirely; her own group keeps Bob's view of nothing.
    let in_hers = app
        .gql(
            Some(&bob.access_token),
            "query($id: ID!) { group(id: $id) { posts(first: 10) { edges { node { id } } } } }",
            json!({ "id": hers }),
        )
        .await;
    assert_eq!(
        in_hers["data"]["group"]["posts"]["edges"],
        json!([]),
        "{in_hers}"
    );
    // Her upcoming workshop is cancelled with Bob told; the seat she held is Bob's now.
    let workshops = app
        .gql(
            Some(&bob.access_token),
            "query($hers: ID!, $theirs: ID!) {
                hers: workshop(id: $hers) { status organiser { displayName } }
                theirs: workshop(id: $theirs) { confirmedCount viewerRegistration { status } } }",
            json!({ "hers": her_workshop, "theirs": their_workshop }),
        )
        .await;
    assert_eq!(
        workshops["data"],
        json!({
            "hers": { "status": "CANCELLED", "organiser": { "displayName": "Compte supprimé" } },
            "theirs": { "confirmedCount": 1, "viewerRegistration": { "status": "CONFIRMED" } },
        }),
        "{workshops}"
    );
    let inbox = app
        .gql(
            Some(&bob.access_token),
            "{ notifications(first: 10) { edges { node { kind } } } }",
            json!({}),
        )
        .await;
    let kinds: Vec<&str> = inbox["data"]["notifications"]["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("{inbox}"))
        .iter()
        .filter_map(|edge| edge["node"]["kind"].as_str())
        .collect();
    // The mentorship she gave Bob ends with her: he is told, and it is gone with its thread.
    let mentorships = app
        .gql(
            Some(&bob.access_token),
            "{ myMentorships { id } }",
            json!({}),
        )
        .await;
    assert_eq!(
        mentorships["data"]["myMentorships"],
        json!([]),
        "{mentorships}"
    );
    assert_eq!(
        text_found(&app, "Message de Bob").await,
        Vec::<String>::new(),
        "a thread with an erased person goes as a whole"
    );
    for kind in ["WORKSHOP_CANCELLED", "WORKSHOP_SEAT", "MENTORSHIP_ENDED"] {
        assert!(kinds.contains(&kind), "{kind} missing: {kinds:?}");
    }
}

async fn the_export_holds_the_persons_data_and_names_nobody_else(app: TestApp) {
    let People {
        ana,
        bob,
        moderator,
        ..
    } = fill_personal_data(&app).await;
    let answer = app
        .gql(Some(&ana.access_token), "{ exportMyData }", json!({}))
        .await;
    let document = &answer["data"]["exportMyData"];
    assert_eq!(document["format"], "relais-personal-data", "{answer}");
    assert_eq!(document["version"], 1);
    assert_eq!(document["accounts"]["email"], "ana@example.org");
    assert_eq!(document["accounts"]["roles"], json!(["ORGANISER"]));
    let consents: Vec<&Value> = document["accounts"]["consents"]
        .as_array()
        .expect("the consents")
        .iter()
        .map(|consent| &consent["purpose"])
        .collect();
    assert_eq!(
        consents,
        [&json!("HEALTH_DATA"), &json!("TERMS")],
        "{document}"
    );
    assert_eq!(document["notifications"]["devices"][0]["platform"], "IOS");
    assert_eq!(
        document["notifications"]["preferences"]["mentorship"],
        false
    );
    assert!(
        !document["sessions"]["sessions"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    let posts = document["groups"]["posts"].as_array().unwrap();
    assert!(
        posts
            .iter()
            .any(|post| post["anonymous"] == true && post["body"] == "Anonyme et gardé"),
        "her anonymous posts are hers: {posts:?}"
    );
    assert_eq!(
        document["groups"]["reportsFiled"][0]["reason"],
        "Raison écrite par Ana"
    );
    assert_eq!(
        document["groups"]["postingSuspendedIn"][0]["group"],
        "Le groupe de Bob"
    );
    assert_eq!(
        document["groups"]["moderationActionsAboutYou"],
        json!([]),
        "the sanction of an anonymous post names nobody, her included"
    );
    let workshops = &document["workshops"];
    let registered: Vec<(&str, &str)> = workshops["registrations"]
        .as_array()
        .unwrap_or_else(|| panic!("{workshops}"))
        .iter()
        .map(|row| {
            (
                row["workshop"]["title"].as_str().unwrap(),
                row["status"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        registered,
        [
            ("Souffle du modérateur", "CONFIRMED"),
            ("Balint passé", "CONFIRMED")
        ],
        "latest workshop first"
    );
    assert_eq!(workshops["ratings"][0]["comment"], "Commentaire d'Ana");
    assert_eq!(workshops["organised"][0]["title"], "Atelier d'Ana");
    assert!(
        workshops["calendarFeedCreatedAt"].is_string(),
        "{workshops}"
    );
    let mentorship = &document["mentorship"];
    assert_eq!(
        mentorship["mentorProfile"]["headline"], "Profil d'Ana, infirmière",
        "{mentorship}"
    );
    assert_eq!(mentorship["seekingAreas"], json!(["RESEARCH"]));
    let sides: Vec<(&str, &str)> = mentorship["mentorships"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| {
            (
                row["side"].as_str().unwrap(),
                row["status"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(sides, [("MENTOR", "ACTIVE"), ("MENTEE", "COMPLETED")]);
    assert_eq!(mentorship["goalsSet"][0]["title"], "Objectif d'Ana");
    assert_eq!(mentorship["feedbackGiven"][0]["note"], "Avis d'Ana");
    assert_eq!(
        document["conversations"]["messagesWritten"][0]["body"],
        "Message d'Ana"
    );
    assert_eq!(
        document["conversations"]["reportsFiled"][0]["reason"],
        "Signalement écrit par Ana"
    );
    assert_eq!(
        document["support"]["requests"][0]["note"], "Besoin d'Ana de parler",
        "{document}"
    );
    assert_eq!(
        document["support"]["outreachReceived"][0]["note"],
        "Bob pense à Ana"
    );
    assert_eq!(
        document["checkins"]["checkins"][0]["instrument"], "PSS4",
        "{document}"
    );
    assert_eq!(
        document["checkins"]["checkins"][0]["score"], 8,
        "items 2 and 3 reversed"
    );
    let text = document.to_string();
    for other in [
        "Message de Bob",
        "Avis sur Ana",
        "cleo@example.org",
        bob.user_id.as_str(),
        "bob@example.org",
        moderator.user_id.as_str(),
        "mod@example.org",
        "ana-phone",
        ana.access_token.as_str(),
        ana.refresh_token.as_str(),
        "Texte de Bob",
    ] {
        assert!(!text.contains(other), "{other} leaked into the export");
    }

    // The same document as a file.
    let response = app
        .http
        .get(format!("{}/me/export", app.base_url))
        .bearer_auth(&ana.access_token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-disposition"],
        "attachment; filename=\"relais-export.json\""
    );
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    let file: serde_json::Value = response.json().await.unwrap();
    assert_eq!(file["accounts"], document["accounts"]);
    // Three an hour: the fourth is refused, and without a token the file is not served.
    app.gql(Some(&ana.access_token), "{ exportMyData }", json!({}))
        .await;
    let fourth = app
        .gql(Some(&ana.access_token), "{ exportMyData }", json!({}))
        .await;
    assert_eq!(error_code(&fourth), "RATE_LIMITED");
    let anonymous = app
        .http
        .get(format!("{}/me/export", app.base_url))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
}

/// Every `table.column` of text whose value contains `needle`, from the catalogue's own list.
pub async fn text_found(app: &TestApp, needle: &'static str) -> Vec<String> {
    app.state
        .db
        .run(move |conn| {
            let columns: Vec<Column> = match conn {
                DbConnection::Sqlite(sqlite) => diesel::sql_query(
                    "SELECT m.name AS table_name, c.name AS column_name
                     FROM sqlite_master m JOIN pragma_table_info(m.name) c
                     WHERE m.type = 'table' AND c.type = 'TEXT'",
                )
                .load(sqlite)?,
                DbConnection::Postgres(pg) => diesel::sql_query(
                    "SELECT table_name::text AS table_name, column_name::text AS column_name
                     FROM information_schema.columns
                     WHERE table_schema = current_schema() AND data_type = 'text'",
                )
                .load(pg)?,
            };
            #[derive(QueryableByName)]
            struct Count {
                #[diesel(sql_type = BigInt)]
                count: i64,
            }
            let mut found = Vec::new();
            for column in columns {
                let (table, name) = (&column.table_name, &column.column_name);
                let pattern = format!("%{needle}%");
                let count = match conn {
                    DbConnection::Sqlite(sqlite) => diesel::sql_query(format!(
                        "SELECT COUNT(*) AS count FROM {table} WHERE {name} LIKE ?"
                    ))
                    .bind::<Text, _>(&pattern)
                    .get_result::<Count>(sqlite)?,
                    DbConnection::Postgres(pg) => diesel::sql_query(format!(
                        "SELECT COUNT(*) AS count FROM {table} WHERE {name} LIKE $1"
                    ))
                    .bind::<Text, _>(&pattern)
                    .get_result::<Count>(pg)?,
                };
                if count.count > 0 {
                    found.push(format!("{table}.{name}"));
                }
            }
            Ok(found)
        })
        .await
        .unwrap()
}
