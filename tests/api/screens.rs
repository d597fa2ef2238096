//! The apps' screens as the queries they send: each one request, within the limits, in a number
//! of statements that does not grow with its lists; the limits saying which, the cost and the
//! maximum; edits, people search and persisted queries over GET.

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::groups::{create_group, group_input, join, post_id};
use crate::helpers::{Session, TestApp, error_code, error_field};
use crate::mentorship::{mentor, nurse, profile_input, requested_id, respond};

on_both_backends!(
    the_home_screen_is_one_request_whatever_the_number_of_groups,
    first_pages_of_many_groups_are_the_newest_posts_the_viewer_may_see,
    the_inbox_lists_conversations_by_latest_activity_in_constant_statements,
    mentorships_and_support_requests_show_their_last_message,
    a_refused_request_names_its_limit_cost_and_maximum,
    a_person_holds_at_most_thirty_groups,
    authors_edit_their_posts_and_nobody_learns_more,
    messages_can_be_edited_for_fifteen_minutes_by_their_author,
    people_are_found_by_name_among_those_who_share_a_group,
    group_search_ignores_accents,
    persisted_queries_run_over_get_and_never_change_anything,
);

const HOME: &str = "query Home { unreadNotificationCount myGroups { id name memberCount
    viewerMembership { role }
    posts(first: 1) { edges { node { id body createdAt editedAt anonymous author { displayName } replyCount } } } } }";

const INBOX: &str = "query Inbox($first: Int, $after: String) {
    myConversations(first: $first, after: $after) {
        edges { cursor node { id open unreadCount lastActivityAt
            otherParticipant { id displayName profession }
            lastMessage { id body createdAt editedAt author { id displayName } } } }
        pageInfo { hasNextPage endCursor hasPreviousPage startCursor } } }";

const MENTORSHIPS_AND_SUPPORT: &str = "query Follow {
    myMentorships { id status mentor { displayName } mentee { displayName }
        conversation { id unreadCount lastMessage { body createdAt author { displayName } } } }
    mySupportRequests { id status conversation { id unreadCount lastMessage { body } } } }";

fn statements(app: &TestApp) -> u64 {
    app.state.db.statements_run()
}

/// Runs `query` as `who` and returns its data and the statements it ran; fails on any error.
async fn measured(app: &TestApp, who: &Session, query: &str, variables: Value) -> (Value, u64) {
    let before = statements(app);
    let answer = app.gql(Some(&who.access_token), query, variables).await;
    let ran = statements(app) - before;
    assert!(answer["errors"].is_null(), "{answer}");
    (answer["data"].clone(), ran)
}

async fn the_home_screen_is_one_request_whatever_the_number_of_groups(mut app: TestApp) {
    app.stop_background().await;
    let ana = app.register("ana@example.org").await;
    let bob = app.register("bob@example.org").await;
    let mut costs = Vec::new();
    let mut groups = Vec::new();
    for size in [2usize, 8, 30] {
        while groups.len() < size {
            let group = create_group(
                &app,
                &bob,
                group_input(&format!("Équipe {}", groups.len()), "PUBLIC"),
            )
            .await;
            join(&app, &ana, &group).await;
            post_id(&app, &bob, &group, "Plus ancien", None, false).await;
            post_id(&app, &bob, &group, "Le plus récent", None, true).await;
            groups.push(group);
        }
        let (data, ran) = measured(&app, &ana, HOME, json!({})).await;
        let listed = data["myGroups"].as_array().unwrap();
        assert_eq!(listed.len(), size);
        for group in listed {
            let latest = &group["posts"]["edges"][0]["node"];
            assert_eq!(latest["body"], "Le plus récent", "{group}");
            assert_eq!(latest["author"], Value::Null, "anonymous stays anonymous");
            assert_eq!(group["memberCount"], 2);
        }
        costs.push(ran);
    }
    assert!(costs.iter().all(|cost| *cost == costs[0]), "{costs:?}");
}

/// The first pages the home screen reads for all its groups at once are, group by group, the
/// newest top-level posts the viewer may see: the blocked person's signed posts left out, their
/// anonymous ones kept, replies never, and the page cut at its size however many posts follow.
async fn first_pages_of_many_groups_are_the_newest_posts_the_viewer_may_see(app: TestApp) {
    let ana = app.register("ana@example.org").await;
    let bob = app.register("bob@example.org").await;
    let cid = app.register("cid@example.org").await;
    let busy = create_group(&app, &bob, group_input("Équipe de nuit", "PUBLIC")).await;
    let quiet = create_group(&app, &bob, group_input("Équipe de jour", "PUBLIC")).await;
    for group in [&busy, &quiet] {
        join(&app, &ana, group).await;
        join(&app, &cid, group).await;
    }
    let mut seen_by_ana = Vec::new();
    for round in 0..4 {
        let bobs = post_id(&app, &bob, &busy, &format!("Bob {round}"), None, false).await;
        post_id(&app, &cid, &busy, &format!("Cid {round}"), None, false).await;
        post_id(
            &app,
            &cid,
            &busy,
            &format!("Cid anonyme {round}"),
            None,
            true,
        )
        .await;
        post_id(&app, &cid, &busy, "Une réponse", Some(&bobs), false).await;
        seen_by_ana.push(format!("Bob {round}"));
        seen_by_ana.push(format!("Cid anonyme {round}"));
    }
    post_id(&app, &cid, &quiet, "Seul message de Cid", None, false).await;
    app.block(&ana, &cid).await;
    seen_by_ana.reverse();

    let home = "query($first: Int) { myGroups { id
        posts(first: $first) { edges { node { body } } pageInfo { hasNextPage } } } }";
    for (first, has_next_page) in [(3usize, true), (7, true), (8, false), (10, false)] {
        let answer = app
            .gql(Some(&ana.access_token), home, json!({ "first": first }))
            .await;
        let groups = answer["data"]["myGroups"]
            .as_array()
            .unwrap_or_else(|| panic!("{answer}"));
        for group in groups {
            let bodies: Vec<&str> = group["posts"]["edges"]
                .as_array()
                .unwrap_or_else(|| panic!("{answer}"))
                .iter()
                .filter_map(|edge| edge["node"]["body"].as_str())
                .collect();
            if group["id"] == busy.as_str() {
                let expected: Vec<&str> =
                    seen_by_ana.iter().take(first).map(String::as_str).collect();
                assert_eq!(bodies, expected, "first: {first}");
                assert_eq!(group["posts"]["pageInfo"]["hasNextPage"], has_next_page);
            } else {
                assert!(
                    bodies.is_empty(),
                    "a blocked person's signed post: {answer}"
                );
                assert_eq!(group["posts"]["pageInfo"]["hasNextPage"], false);
            }
        }
    }
}

/// A mentor with `mentees` active mentorships, each with a message from the mentee.
async fn mentor_with_mentees(app: &TestApp, mentees: usize) -> (Session, Vec<(Session, String)>) {
    let ana = nurse(app, "ana").await;
    mentor(app, &ana, profile_input(&["BURNOUT_PREVENTION"], 20, 10)).await;
    let mut pairs = Vec::new();
    for index in 0..mentees {
        let mentee = nurse(app, &format!("mentee{index}")).await;
        let id = requested_id(app, &mentee, &ana, &["BURNOUT_PREVENTION"]).await;
        let accepted = respond(app, &ana, &id, true).await;
        let conversation = accepted["data"]["respondToMentorship"]["conversation"]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("{accepted}"))
            .to_owned();
        send(app, &mentee, &conversation, &format!("Bonjour de {index}")).await;
        pairs.push((mentee, conversation));
    }
    (ana, pairs)
}

async fn send(app: &TestApp, who: &Session, conversation: &str, body: &str) -> String {
    let answer = app
        .gql(
            Some(&who.access_token),
            "mutation($c: ID!, $b: String!) { sendMessage(conversationId: $c, body: $b) { id } }",
            json!({ "c": conversation, "b": body }),
        )
        .await;
    answer["data"]["sendMessage"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{answer}"))
        .to_owned()
}

async fn the_inbox_lists_conversations_by_latest_activity_in_constant_statements(mut app: TestApp) {
    app.stop_background().await;
    let (ana, pairs) = mentor_with_mentees(&app, 6).await;
    // The first mentee writes again: their conversation comes first.
    let (first_mentee, first_conversation) = &pairs[0];
    send(&app, first_mentee, first_conversation, "Encore moi").await;

    let (small, small_cost) = measured(&app, &ana, INBOX, json!({ "first": 2 })).await;
    let (whole, whole_cost) = measured(&app, &ana, INBOX, json!({ "first": 6 })).await;
    assert_eq!(small_cost, whole_cost, "statements grow with the page");
    let edges = whole["myConversations"]["edges"].as_array().unwrap();
    assert_eq!(edges.len(), 6);
    let first = &edges[0]["node"];
    assert_eq!(first["id"], first_conversation.as_str());
    assert_eq!(first["lastMessage"]["body"], "Encore moi");
    assert_eq!(first["unreadCount"], 2);
    assert_eq!(first["otherParticipant"]["displayName"], "mentee0");
    // The others follow, latest first.
    let order: Vec<&str> = edges[1..]
        .iter()
        .map(|edge| edge["node"]["lastMessage"]["body"].as_str().unwrap())
        .collect();
    assert_eq!(
        order,
        [
            "Bonjour de 5",
            "Bonjour de 4",
            "Bonjour de 3",
            "Bonjour de 2",
            "Bonjour de 1"
        ]
    );

    // Pages follow each other without a gap or a repeat.
    let info = &small["myConversations"]["pageInfo"];
    assert_eq!(info["hasNextPage"], true);
    assert_eq!(info["hasPreviousPage"], false);
    let (next, _) = measured(
        &app,
        &ana,
        INBOX,
        json!({ "first": 2, "after": info["endCursor"] }),
    )
    .await;
    let next_ids: Vec<&Value> = next["myConversations"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|edge| &edge["node"]["id"])
        .collect();
    let expected: Vec<&Value> = edges[2..4].iter().map(|edge| &edge["node"]["id"]).collect();
    assert_eq!(next_ids, expected);
    assert_eq!(next["myConversations"]["pageInfo"]["hasPreviousPage"], true);

    // A mentee sees only their own conversation, the mentor as the other participant.
    let (mine, _) = measured(&app, first_mentee, INBOX, json!({})).await;
    let edges = mine["myConversations"]["edges"].as_array().unwrap();
    assert_eq!(edges.len(), 1);
    assert_eq!(
        edges[0]["node"]["otherParticipant"]["id"],
        ana.user_id.as_str()
    );
    assert_eq!(edges[0]["node"]["unreadCount"], 0);

    // A cursor the server did not issue is refused, on `after`.
    let forged = app
        .gql(
            Some(&ana.access_token),
            INBOX,
            json!({ "after": "bm90LWEtY3Vyc29y" }),
        )
        .await;
    assert_eq!(error_code(&forged), "BAD_USER_INPUT");
    assert_eq!(error_field(&forged), "after");
}

async fn mentorships_and_support_requests_show_their_last_message(mut app: TestApp) {
    app.stop_background().await;
    let mut costs = Vec::new();
    let (ana, pairs) = mentor_with_mentees(&app, 2).await;
    costs.push(measured(&app, &ana, MENTORSHIPS_AND_SUPPORT, json!({})).await);
    for index in 2..7 {
        let mentee = nurse(&app, &format!("later{index}")).await;
        let id = requested_id(&app, &mentee, &ana, &["BURNOUT_PREVENTION"]).await;
        respond(&app, &ana, &id, true).await;
    }
    costs.push(measured(&app, &ana, MENTORSHIPS_AND_SUPPORT, json!({})).await);
    assert_eq!(costs[0].1, costs[1].1, "statements grow with the list");
    let data = &costs[1].0;
    let mentorships = data["myMentorships"].as_array().unwrap();
    assert_eq!(mentorships.len(), 7);
    let with_message: Vec<&Value> = mentorships
        .iter()
        .filter(|mentorship| !mentorship["conversation"]["lastMessage"].is_null())
        .collect();
    assert_eq!(with_message.len(), pairs.len());
    assert!(
        with_message[0]["conversation"]["lastMessage"]["body"]
            .as_str()
            .unwrap()
            .starts_with("Bonjour de")
    );
    // `first` bounds the list, and a bad one is refused on its name.
    let (few, _) = measured(&app, &ana, "{ myMentorships(first: 3) { id } }", json!({})).await;
    assert_eq!(few["myMentorships"].as_array().unwrap().len(), 3);
    let refused = app
        .gql(
            Some(&ana.access_token),
            "{ mySupportRequests(first: 0) { id } }",
            json!({}),
        )
        .await;
    assert_eq!(error_code(&refused), "BAD_USER_INPUT");
    assert_eq!(error_field(&refused), "first");
}

async fn a_refused_request_names_its_limit_cost_and_maximum(app: TestApp) {
    let costly =
        "{ groups(first: 100) { edges { node { posts(first: 100) { edges { node { id } } } } } } }";
    let deep = "{ myGroups { posts { edges { node { group { posts { edges { node { group { posts { edges { node { id } } } } } } } } } } } } }";
    let wide: String = (0..31)
        .map(|index| format!("a{index}: unreadNotificationCount "))
        .collect();
    // Thirty fragments, each spreading the next twice: a short text that spreads into two
    // billion selections, refused before anything walks it spread.
    let doubling: String = (0..29)
        .map(|index| {
            format!(
                "fragment F{index} on Query {{ ...F{next} ...F{next} }} ",
                next = index + 1
            )
        })
        .collect();
    let doubling = format!("{{ ...F0 }} {doubling} fragment F29 on Query {{ __typename }}");
    // Forty fragments in a chain: nested past any walk's bound, fields or not.
    let chained: String = (0..39)
        .map(|index| format!("fragment F{index} on Query {{ ...F{} }} ", index + 1))
        .collect();
    let chained = format!("{{ ...F0 }} {chained} fragment F39 on Query {{ __typename }}");
    for (query, limit, maximum) in [
        (costly.to_owned(), "complexity", 2_500),
        (deep.to_owned(), "depth", 12),
        (chained, "depth", 12),
        (doubling, "selections", 5_000),
        (format!("{{ {wide} }}"), "aliases", 30),
    ] {
        let mut messages = Vec::new();
        for language in ["fr", "en"] {
            // Signed out, so that Accept-Language chooses (a person's own locale would).
            let response = app
                .post_graphql(json!({ "query": query }), &[("accept-language", language)])
                .await;
            let answer: Value = response.json().await.unwrap();
            let error = &answer["errors"][0];
            assert_eq!(error["extensions"]["code"], "BAD_USER_INPUT", "{answer}");
            assert_eq!(error["extensions"]["limit"], limit, "{answer}");
            assert_eq!(error["extensions"]["maximum"], maximum, "{answer}");
            let cost = error["extensions"]["cost"].as_u64().unwrap();
            assert!(cost > maximum, "{answer}");
            let message = error["message"].as_str().unwrap().to_owned();
            assert!(
                message.contains(&cost.to_string()) && message.contains(&maximum.to_string()),
                "{message}"
            );
            messages.push(message);
        }
        assert_ne!(messages[0], messages[1], "the viewer's language");
    }
}

const JOIN_GROUP: &str = "mutation($g: ID!) { joinGroup(groupId: $g) { status } }";

async fn a_person_holds_at_most_thirty_groups(app: TestApp) {
    let ana = app.register("ana@example.org").await;
    let bob = app.register("bob@example.org").await;
    let mut groups = Vec::new();
    for index in 0..32 {
        groups.push(
            create_group(
                &app,
                if index < 30 { &bob } else { &ana },
                group_input(&format!("Cercle {index}"), "PUBLIC"),
            )
            .await,
        );
    }
    // Bob created thirty: a thirty-first is refused.
    let refused = app
        .gql(
            Some(&bob.access_token),
            "mutation($input: CreateGroupInput!) { createGroup(input: $input) { id } }",
            json!({ "input": group_input("Un de trop", "PUBLIC") }),
        )
        .await;
    assert_eq!(error_code(&refused), "CONFLICT", "{refused}");
    // Ana holds two; twenty-eight joins at once leave her at thirty, never more.
    let answers = futures_util::future::join_all(
        groups[..29]
            .iter()
            .map(|group| app.gql(Some(&ana.access_token), JOIN_GROUP, json!({ "g": group }))),
    )
    .await;
    let joined = answers
        .iter()
        .filter(|answer| answer["errors"].is_null())
        .count();
    assert_eq!(joined, 28, "{answers:?}");
    for refused in answers.iter().filter(|answer| !answer["errors"].is_null()) {
        assert_eq!(error_code(refused), "CONFLICT", "{refused}");
    }
    let mine = app
        .gql(Some(&ana.access_token), "{ myGroups { id } }", json!({}))
        .await;
    assert_eq!(mine["data"]["myGroups"].as_array().unwrap().len(), 30);
    // Leaving one makes room again.
    let outcome = |joined: bool| {
        groups[..29]
            .iter()
            .zip(&answers)
            .find(|(_, answer)| answer["errors"].is_null() == joined)
            .map(|(group, _)| group)
            .unwrap()
    };
    app.gql(
        Some(&ana.access_token),
        "mutation($g: ID!) { leaveGroup(groupId: $g) }",
        json!({ "g": outcome(true) }),
    )
    .await;
    let answer = app
        .gql(
            Some(&ana.access_token),
            JOIN_GROUP,
            json!({ "g": outcome(false) }),
        )
        .await;
    assert!(answer["errors"].is_null(), "{answer}");
}

const UPDATE_POST: &str = "mutation($id: ID!, $body: String!) { updatePost(id: $id, body: $body) { id body editedAt author { id } anonymous viewerIsAuthor } }";

async fn notification_count(app: &TestApp, who: &Session) -> i64 {
    app.gql(
        Some(&who.access_token),
        "{ unreadNotificationCount }",
        json!({}),
    )
    .await["data"]["unreadNotificationCount"]
        .as_i64()
        .unwrap()
}

async fn authors_edit_their_posts_and_nobody_learns_more(app: TestApp) {
    let ana = app.register("ana@example.org").await;
    let bob = app.register("bob@example.org").await;
    let eve = app.register("eve@example.org").await;
    let group = create_group(&app, &ana, group_input("Nuits", "PUBLIC")).await;
    join(&app, &bob, &group).await;
    let anonymous = post_id(&app, &bob, &group, "Je n'en peux plus", None, true).await;
    post_id(&app, &ana, &group, "Courage", Some(&anonymous), false).await;
    let posts = "query($g: ID!) { group(id: $g) { posts { edges { node { id body editedAt author { id } anonymous } } } } }";
    let before = app
        .gql(Some(&ana.access_token), posts, json!({ "g": group }))
        .await;
    let notices = (
        notification_count(&app, &ana).await,
        notification_count(&app, &bob).await,
    );

    // Bad bodies change nothing.
    for body in ["", "   ", &"x".repeat(5_001)] {
        let answer = app
            .gql(
                Some(&bob.access_token),
                UPDATE_POST,
                json!({ "id": anonymous, "body": body }),
            )
            .await;
        assert_eq!(error_code(&answer), "BAD_USER_INPUT", "{answer}");
        assert_eq!(error_field(&answer), "body");
    }
    // Only the author: a member who may read it is FORBIDDEN, anyone else NOT_FOUND, as for an id
    // nobody issued.
    let by_ana = app
        .gql(
            Some(&ana.access_token),
            UPDATE_POST,
            json!({ "id": anonymous, "body": "Réécrit" }),
        )
        .await;
    assert_eq!(error_code(&by_ana), "FORBIDDEN");
    let by_eve = app
        .gql(
            Some(&eve.access_token),
            UPDATE_POST,
            json!({ "id": anonymous, "body": "Réécrit" }),
        )
        .await;
    assert_eq!(error_code(&by_eve), "NOT_FOUND");
    let made_up = app
        .gql(
            Some(&eve.access_token),
            UPDATE_POST,
            json!({ "id": uuid::Uuid::now_v7().to_string(), "body": "Réécrit" }),
        )
        .await;
    assert_eq!(
        by_eve["errors"][0]["message"],
        made_up["errors"][0]["message"]
    );
    let unchanged = app
        .gql(Some(&ana.access_token), posts, json!({ "g": group }))
        .await;
    assert_eq!(unchanged, before);

    let edited = app
        .gql(
            Some(&bob.access_token),
            UPDATE_POST,
            json!({ "id": anonymous, "body": "Ça va mieux, merci" }),
        )
        .await;
    let post = &edited["data"]["updatePost"];
    assert_eq!(post["body"], "Ça va mieux, merci", "{edited}");
    assert!(post["editedAt"].is_string());
    assert_eq!(post["anonymous"], true);
    assert_eq!(post["author"], Value::Null);
    assert_eq!(post["viewerIsAuthor"], true);
    // What Ana sees differs in the body and editedAt only: still nobody's post, nobody told.
    let after = app
        .gql(Some(&ana.access_token), posts, json!({ "g": group }))
        .await;
    let node = |answer: &Value| answer["data"]["group"]["posts"]["edges"][0]["node"].clone();
    let (mut was, mut now) = (node(&before), node(&after));
    assert_eq!(now["body"], "Ça va mieux, merci");
    assert!(now["editedAt"].is_string() && was["editedAt"].is_null());
    for field in ["body", "editedAt"] {
        was[field] = Value::Null;
        now[field] = Value::Null;
    }
    assert_eq!(was, now);
    assert_eq!(
        (
            notification_count(&app, &ana).await,
            notification_count(&app, &bob).await
        ),
        notices
    );
    // Having left the group, the author edits no more.
    app.gql(
        Some(&bob.access_token),
        "mutation($g: ID!) { leaveGroup(groupId: $g) }",
        json!({ "g": group }),
    )
    .await;
    let gone = app
        .gql(
            Some(&bob.access_token),
            UPDATE_POST,
            json!({ "id": anonymous, "body": "Encore" }),
        )
        .await;
    assert_eq!(error_code(&gone), "NOT_FOUND");
}

const EDIT_MESSAGE: &str = "mutation($id: ID!, $body: String!) { editMessage(id: $id, body: $body) { id body editedAt createdAt } }";

async fn messages_can_be_edited_for_fifteen_minutes_by_their_author(app: TestApp) {
    let (ana, pairs) = mentor_with_mentees(&app, 1).await;
    let (bob, conversation) = &pairs[0];
    let eve = nurse(&app, "eve").await;
    let message = send(&app, bob, conversation, "Je suis épuisé").await;
    let unread = notification_count(&app, &ana).await;

    let by_ana = app
        .gql(
            Some(&ana.access_token),
            EDIT_MESSAGE,
            json!({ "id": message, "body": "Autre" }),
        )
        .await;
    assert_eq!(error_code(&by_ana), "FORBIDDEN");
    let by_eve = app
        .gql(
            Some(&eve.access_token),
            EDIT_MESSAGE,
            json!({ "id": message, "body": "Autre" }),
        )
        .await;
    assert_eq!(error_code(&by_eve), "NOT_FOUND");
    let empty = app
        .gql(
            Some(&bob.access_token),
            EDIT_MESSAGE,
            json!({ "id": message, "body": " " }),
        )
        .await;
    assert_eq!(error_field(&empty), "body");

    let edited = app
        .gql(
            Some(&bob.access_token),
            EDIT_MESSAGE,
            json!({ "id": message, "body": "Je suis fatigué" }),
        )
        .await;
    assert_eq!(
        edited["data"]["editMessage"]["body"], "Je suis fatigué",
        "{edited}"
    );
    assert!(edited["data"]["editMessage"]["editedAt"].is_string());
    assert_eq!(
        notification_count(&app, &ana).await,
        unread,
        "an edit tells nobody"
    );
    let inbox = app.gql(Some(&ana.access_token), INBOX, json!({})).await;
    let last = &inbox["data"]["myConversations"]["edges"][0]["node"]["lastMessage"];
    assert_eq!(last["body"], "Je suis fatigué");
    assert!(last["editedAt"].is_string());

    // Sixteen minutes later, the message is as it was sent.
    let id = relais::ids::MessageId::from_client(message.clone());
    app.state
        .db
        .write(move |conn| {
            use diesel::prelude::*;
            use relais::db::schema::messages;
            let earlier = chrono::Utc::now().naive_utc() - chrono::Duration::minutes(16);
            diesel::update(messages::table.find(id))
                .set(messages::created_at.eq(earlier))
                .execute(conn)?;
            Ok(())
        })
        .await
        .unwrap();
    let late = app
        .gql(
            Some(&bob.access_token),
            EDIT_MESSAGE,
            json!({ "id": message, "body": "Trop tard" }),
        )
        .await;
    assert_eq!(error_code(&late), "CONFLICT", "{late}");
    assert!(
        crate::helpers::error_message(&late).contains("15"),
        "{late}"
    );
}

const PEOPLE: &str = "query($search: String!, $first: Int, $after: String) {
    people(search: $search, first: $first, after: $after) {
        edges { node { id displayName } } pageInfo { hasNextPage endCursor } } }";

async fn found(app: &TestApp, who: &Session, search: &str) -> Vec<String> {
    let answer = app
        .gql(Some(&who.access_token), PEOPLE, json!({ "search": search }))
        .await;
    answer["data"]["people"]["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("{answer}"))
        .iter()
        .map(|edge| edge["node"]["displayName"].as_str().unwrap().to_owned())
        .collect()
}

async fn people_are_found_by_name_among_those_who_share_a_group(app: TestApp) {
    let named = |email: &'static str, name: &'static str| {
        let app = &app;
        async move {
            app.register_with(
                json!({ "email": email, "password": "a long enough password",
                                      "displayName": name, "profession": "NURSE" }),
            )
            .await
        }
    };
    let ana = named("ana@example.org", "Ana").await;
    let helene = named("helene@example.org", "Hélène Durand").await;
    let helena = named("helena@example.org", "HELENA Costa").await;
    let outsider = named("out@example.org", "Hélène Martin").await;
    let pending = named("pending@example.org", "Hélène Attente").await;
    let blocker = named("blocker@example.org", "Hélène Bloque").await;
    let group = create_group(&app, &ana, group_input("Équipe", "PUBLIC")).await;
    for who in [&helene, &helena, &blocker] {
        join(&app, who, &group).await;
    }
    let private = create_group(&app, &ana, group_input("Privé", "PRIVATE")).await;
    join(&app, &pending, &private).await;
    create_group(&app, &outsider, group_input("Ailleurs", "PUBLIC")).await;
    app.block(&blocker, &ana).await;

    // Accents and case do not matter; outsiders, pending members and blockers are not found.
    assert_eq!(found(&app, &ana, "helene").await, ["Hélène Durand"]);
    assert_eq!(found(&app, &ana, "HÉLÈNE").await, ["Hélène Durand"]);
    assert_eq!(
        found(&app, &ana, "hélé").await,
        ["HELENA Costa", "Hélène Durand"]
    );
    assert_eq!(found(&app, &ana, "costa helena").await, ["HELENA Costa"]);
    assert!(found(&app, &ana, "martin").await.is_empty());
    assert!(found(&app, &ana, "attente").await.is_empty());
    assert!(found(&app, &ana, "bloque").await.is_empty());
    // Nor does the viewer find themselves; the blocker does not find the person they blocked.
    assert!(found(&app, &ana, "ana").await.is_empty());
    assert!(found(&app, &blocker, "ana").await.is_empty());
    assert_eq!(found(&app, &helene, "ana").await, ["Ana"]);
    // A renamed person is found by their new name.
    let renamed = app
        .gql(
            Some(&helena.access_token),
            "mutation { updateProfile(input: { displayName: \"Lena Côté\" }) { __typename } }",
            json!({}),
        )
        .await;
    assert!(renamed["errors"].is_null(), "{renamed}");
    assert_eq!(found(&app, &ana, "cote").await, ["Lena Côté"]);
    // Pages of one follow each other.
    let first = app
        .gql(
            Some(&ana.access_token),
            PEOPLE,
            json!({ "search": "e", "first": 1 }),
        )
        .await;
    let cursor = &first["data"]["people"]["pageInfo"]["endCursor"];
    let second = app
        .gql(
            Some(&ana.access_token),
            PEOPLE,
            json!({ "search": "e", "first": 1, "after": cursor }),
        )
        .await;
    let names: Vec<&Value> = [&first, &second]
        .iter()
        .map(|page| &page["data"]["people"]["edges"][0]["node"]["displayName"])
        .collect();
    assert_eq!(names, [&json!("Hélène Durand"), &json!("Lena Côté")]);
    for search in ["", &"e".repeat(101)] {
        let refused = app
            .gql(Some(&ana.access_token), PEOPLE, json!({ "search": search }))
            .await;
        assert_eq!(error_field(&refused), "search", "{refused}");
    }
}

async fn group_search_ignores_accents(app: TestApp) {
    let ana = app.register("ana@example.org").await;
    create_group(&app, &ana, group_input("Premières gardes", "PUBLIC")).await;
    let search = |text: &'static str| {
        let (app, token) = (&app, ana.access_token.clone());
        async move {
            let answer = app
                .gql(
                    Some(&token),
                    "query($s: String) { groups(filter: { search: $s }) { edges { node { name } } } }",
                    json!({ "s": text }),
                )
                .await;
            answer["data"]["groups"]["edges"].as_array().unwrap().len()
        }
    };
    assert_eq!(search("premieres").await, 1);
    assert_eq!(search("PREMIÈRES GARDES").await, 1);
    assert_eq!(search("dernieres").await, 0);
    // Rows whose search text a migration emptied are filled again before serving.
    app.state
        .db
        .write(|conn| {
            use diesel::prelude::*;
            use relais::db::schema::{peer_groups, users};
            diesel::update(peer_groups::table)
                .set(peer_groups::search_text.eq(""))
                .execute(conn)?;
            diesel::update(users::table)
                .set(users::name_key.eq(""))
                .execute(conn)?;
            Ok(())
        })
        .await
        .unwrap();
    let app = app.restart().await;
    let ana = app
        .gql(
            None,
            "mutation { login(email: \"ana@example.org\", password: \"a long enough password\") { accessToken } }",
            json!({}),
        )
        .await["data"]["login"]["accessToken"]
        .as_str()
        .map(str::to_owned);
    let answer = app
        .gql(
            ana.as_deref(),
            "{ groups(filter: { search: \"premieres\" }) { edges { node { name } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        answer["data"]["groups"]["edges"].as_array().map(Vec::len),
        Some(1),
        "{answer}"
    );
}

fn sha256_hex(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

async fn get_graphql(
    app: &TestApp,
    token: Option<&str>,
    query: &[(&str, String)],
) -> reqwest::Response {
    let mut request = app
        .http
        .get(format!("{}/graphql", app.base_url))
        .query(query);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.unwrap()
}

async fn persisted_queries_run_over_get_and_never_change_anything(app: TestApp) {
    let ana = app.register("ana@example.org").await;
    let query = "query Unread { unreadNotificationCount }";
    let hash = sha256_hex(query);
    let persisted = json!({ "persistedQuery": { "version": 1, "sha256Hash": hash } }).to_string();

    // Unknown hash: the client is asked for the text.
    let unknown: Value = get_graphql(
        &app,
        Some(&ana.access_token),
        &[("extensions", persisted.clone())],
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(
        unknown["errors"][0]["message"], "PersistedQueryNotFound",
        "{unknown}"
    );
    // Sent once with its text (over GET, as Apollo iOS retries), then known by its hash.
    let registered: Value = get_graphql(
        &app,
        Some(&ana.access_token),
        &[
            ("query", query.to_owned()),
            ("extensions", persisted.clone()),
        ],
    )
    .await
    .json()
    .await
    .unwrap();
    assert!(
        registered["data"]["unreadNotificationCount"].is_i64(),
        "{registered}"
    );
    let known: Value = get_graphql(
        &app,
        Some(&ana.access_token),
        &[
            ("extensions", persisted.clone()),
            ("operationName", "Unread".to_owned()),
        ],
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(known["data"], registered["data"], "{known}");

    // A mutation over GET runs nothing, by text or by hash.
    let mutation = "mutation { markAllNotificationsRead }";
    let before = notification_count(&app, &ana).await;
    assert!(before > 0);
    let refused: Value = get_graphql(
        &app,
        Some(&ana.access_token),
        &[("query", mutation.to_owned())],
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(error_code(&refused), "BAD_USER_INPUT", "{refused}");
    let mutation_hash = sha256_hex(mutation);
    let hashed =
        json!({ "persistedQuery": { "version": 1, "sha256Hash": mutation_hash } }).to_string();
    // Known to the server from a POST, still refused over GET.
    let posted = app
        .post_graphql(
            json!({ "query": mutation, "extensions": serde_json::from_str::<Value>(&hashed).unwrap() }),
            &[("authorization", &format!("Bearer {}", ana.access_token))],
        )
        .await;
    assert_eq!(posted.status(), 200);
    let after_post = notification_count(&app, &ana).await;
    assert_eq!(after_post, 0, "the POST ran");
    crate::notifications::notify_many(
        &app,
        &ana.user_id,
        2,
        relais::notifications::model::NotificationCategory::System,
    )
    .await;
    let by_hash: Value = get_graphql(&app, Some(&ana.access_token), &[("extensions", hashed)])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(error_code(&by_hash), "BAD_USER_INPUT", "{by_hash}");
    assert_eq!(
        notification_count(&app, &ana).await,
        2,
        "nothing was marked read"
    );

    // A browser's plain GET still gets GraphiQL.
    let page = get_graphql(&app, None, &[]).await;
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("graphiql"));
}
