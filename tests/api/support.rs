//! Reaching out: support requests, the accept race, what each person sees, closing, reports of
//! a support conversation.

use chrono::{Duration, Utc};
use futures_util::future::join_all;
use relais::accounts::model::Role;
use relais::accounts::service::grant_role;
use serde_json::{Value, json};

use crate::helpers::{Session, TestApp, error_code, error_field, received_kinds};

on_both_backends!(
    a_request_reaches_available_supporters_and_one_takes_it,
    concurrent_accepts_give_a_request_to_one_supporter,
    requests_are_seen_by_their_people_only_and_closed_by_either,
    outreach_reaches_a_colleague_gently_and_never_names_the_asker,
    outreach_limits_and_opt_out_answer_as_if_sent,
    ended_requests_are_purged_after_their_retention,
    a_request_left_waiting_brings_resources_and_one_reminder,
    a_reported_conversation_shows_moderators_the_message_and_nobody,
    one_person_reporting_a_conversation_twice_at_once_files_one_report,
    blocked_supporters_never_hear_of_see_or_take_a_request,
    the_outreach_asker_never_learns_the_answer,
    the_askers_erasure_changes_nothing_the_colleague_sees,
    one_open_request_at_a_time_and_a_few_a_day,
    the_words_of_a_moderator_or_organiser_go_with_them,
    an_erased_persons_name_leaves_every_inbox,
);

async fn an_erased_persons_name_leaves_every_inbox(app: TestApp) {
    let samir = supporter(&app, "samir@example.org").await;
    let ana = app.register("ana@example.org").await;
    let id = requested(&app, &ana, "Besoin de parler.").await;
    let taken = accept(&app, &samir, &id).await;
    let conversation = taken["data"]["acceptSupportRequest"]["conversation"]["id"].clone();
    let sent = app
        .gql(
            Some(&samir.access_token),
            "mutation($id: ID!) { sendMessage(conversationId: $id, body: \"Bonjour\") { id } }",
            json!({ "id": conversation }),
        )
        .await;
    assert!(sent["errors"].is_null(), "{sent}");
    let inbox = || async {
        app.gql(
            Some(&ana.access_token),
            "{ notifications(first: 10) { edges { node { kind title body } } } }",
            json!({}),
        )
        .await["data"]["notifications"]
            .to_string()
    };
    let export = || async {
        app.gql(Some(&ana.access_token), "{ exportMyData }", json!({}))
            .await["data"]["exportMyData"]["notifications"]
            .to_string()
    };
    let before = inbox().await;
    assert!(before.contains("samir vous a écrit"), "{before}");
    // Her export holds her notifications and names nobody else, before as after.
    let exported = export().await;
    assert!(
        exported.contains("NEW_MESSAGE") && !exported.contains("samir"),
        "{exported}"
    );
    assert!(exported.contains("Quelqu'un vous a écrit"), "{exported}");
    assert!(
        exported.contains("Bienvenue sur Relais, ana"),
        "her own name stays hers"
    );
    let gone = app
        .gql(
            Some(&samir.access_token),
            "mutation { deleteAccount(password: \"a long enough password\") }",
            json!({}),
        )
        .await;
    assert_eq!(gone["data"]["deleteAccount"], true, "{gone}");
    let after = inbox().await;
    assert!(!after.contains("samir"), "{after}");
    assert!(after.contains("Compte supprimé vous a écrit"), "{after}");
    assert!(!export().await.contains("samir"));
    // Nor does any row keep the name or the id.
    assert_eq!(
        crate::privacy::text_found(&app, "samir").await,
        Vec::<String>::new()
    );
}

async fn the_words_of_a_moderator_or_organiser_go_with_them(app: TestApp) {
    let (ana, _, conversation, [_, his]) = support_conversation(&app).await;
    let modo = moderator(&app).await;
    let filed = app
        .gql(
            Some(&ana.access_token),
            REPORT,
            json!({ "id": conversation, "message": his, "reason": "Blessant",
                    "category": "HARASSMENT" }),
        )
        .await;
    assert_eq!(filed["data"]["reportConversation"], true, "{filed}");
    let queue = app.gql(Some(&modo.access_token), QUEUE, json!({})).await;
    let report = queue["data"]["openConversationReports"]["edges"][0]["node"]["id"].clone();
    let resolved = app
        .gql(
            Some(&modo.access_token),
            "mutation($id: ID!) { resolveConversationReport(id: $id,
                resolution: \"Mots du modérateur\", closeConversation: false) { status } }",
            json!({ "id": report }),
        )
        .await;
    assert_eq!(
        resolved["data"]["resolveConversationReport"]["status"], "RESOLVED",
        "{resolved}"
    );
    // An organiser cancels a workshop with a reason of her own.
    let organiser = app.register("org@example.org").await;
    grant_role(&app.state.db, "org@example.org", Role::Organiser)
        .await
        .unwrap();
    let workshop = crate::workshops::scheduled_id(
        &app,
        &organiser,
        crate::workshops::workshop_input("Souffle", 5),
    )
    .await;
    let cancelled = app
        .gql(
            Some(&organiser.access_token),
            "mutation($id: ID!) { cancelWorkshop(id: $id, reason: \"Raison de l'organisatrice\") { status } }",
            json!({ "id": workshop }),
        )
        .await;
    assert_eq!(
        cancelled["data"]["cancelWorkshop"]["status"], "CANCELLED",
        "{cancelled}"
    );
    for (who, words) in [
        (&modo, "Mots du modérateur"),
        (&organiser, "Raison de l'organisatrice"),
    ] {
        assert!(!crate::privacy::text_found(&app, words).await.is_empty());
        let gone = app
            .gql(
                Some(&who.access_token),
                "mutation { deleteAccount(password: \"a long enough password\") }",
                json!({}),
            )
            .await;
        assert_eq!(gone["data"]["deleteAccount"], true, "{gone}");
        assert_eq!(
            crate::privacy::text_found(&app, words).await,
            Vec::<String>::new()
        );
    }
}

/// The ids of the open requests `who` is shown.
async fn open_ids(app: &TestApp, who: &Session) -> Vec<String> {
    let answer = app
        .gql(
            Some(&who.access_token),
            "{ openSupportRequests { id } }",
            json!({}),
        )
        .await;
    answer["data"]["openSupportRequests"]
        .as_array()
        .unwrap_or_else(|| panic!("{answer}"))
        .iter()
        .map(|request| request["id"].as_str().unwrap().to_owned())
        .collect()
}

/// How many SUPPORT_REQUESTED notices `who` received.
async fn told_of_requests(app: &TestApp, who: &Session) -> usize {
    received_kinds(app, &who.user_id)
        .await
        .into_iter()
        .filter(|kind| kind == "SUPPORT_REQUESTED")
        .count()
}

async fn blocked_supporters_never_hear_of_see_or_take_a_request(app: TestApp) {
    let blocked_by_her = supporter(&app, "blocked@example.org").await;
    let blocking_her = supporter(&app, "blocking@example.org").await;
    let free = supporter(&app, "free@example.org").await;
    let ana = app.register("ana@example.org").await;
    app.block(&ana, &blocked_by_her).await;
    app.block(&blocking_her, &ana).await;
    let id = requested(&app, &ana, "Besoin de parler.").await;
    for kept in [&blocked_by_her, &blocking_her] {
        assert_eq!(told_of_requests(&app, kept).await, 0);
        assert!(open_ids(&app, kept).await.is_empty());
        let taken = accept(&app, kept, &id).await;
        assert_eq!(error_code(&taken), "NOT_FOUND", "{taken}");
        // Exactly as for a request that does not exist.
        let unknown = accept(&app, kept, "0190a5b2-0000-7000-8000-000000000000").await;
        assert_eq!(
            taken["errors"][0]["message"],
            unknown["errors"][0]["message"]
        );
    }
    assert_eq!(told_of_requests(&app, &free).await, 1);
    assert_eq!(open_ids(&app, &free).await, vec![id]);
    // The follow-up reminder skips them too.
    let later = Utc::now().naive_utc() + Duration::hours(2);
    relais::support::service::follow_up_waiting(
        &app.state.db,
        &app.state.support,
        Duration::minutes(30),
        false,
        later,
    )
    .await
    .unwrap();
    assert_eq!(told_of_requests(&app, &free).await, 2);
    for kept in [&blocked_by_her, &blocking_her] {
        assert_eq!(told_of_requests(&app, kept).await, 0);
    }
}

/// `asker` suggests outreach to `colleague`, who accepts: the id of the request it opens.
async fn accepted_outreach(app: &TestApp, asker: &Session, colleague: &Session) -> String {
    suggest(app, asker, colleague, false).await;
    let offered = offers(app, colleague).await;
    let accepted = app
        .gql(
            Some(&colleague.access_token),
            "mutation($id: ID!) { respondToOutreach(id: $id, accept: true) { id } }",
            json!({ "id": offered[0]["id"] }),
        )
        .await;
    accepted["data"]["respondToOutreach"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{accepted}"))
        .to_owned()
}

async fn the_outreach_asker_never_learns_the_answer(app: TestApp) {
    // The asker is a peer supporter themselves: still never told, shown or let take it.
    let asker = supporter(&app, "asker@example.org").await;
    let other = supporter(&app, "other@example.org").await;
    let lea = app.register("lea@example.org").await;
    let before = app
        .gql(
            Some(&asker.access_token),
            "{ notifications(first: 20) { edges { node { kind } } } mySupportRequests { id } }",
            json!({}),
        )
        .await;
    let id = accepted_outreach(&app, &asker, &lea).await;
    assert_eq!(told_of_requests(&app, &asker).await, 0);
    assert!(open_ids(&app, &asker).await.is_empty());
    let taken = accept(&app, &asker, &id).await;
    assert_eq!(error_code(&taken), "NOT_FOUND", "{taken}");
    let after = app
        .gql(
            Some(&asker.access_token),
            "{ notifications(first: 20) { edges { node { kind } } } mySupportRequests { id } }",
            json!({}),
        )
        .await;
    assert_eq!(after, before, "nothing the asker can look at moved");
    // Another supporter hears of it and takes it as any request.
    assert_eq!(told_of_requests(&app, &other).await, 1);
    assert_eq!(
        accept(&app, &other, &id).await["data"]["acceptSupportRequest"]["status"],
        "TAKEN"
    );
}

async fn the_askers_erasure_changes_nothing_the_colleague_sees(app: TestApp) {
    let asker = app.register("asker@example.org").await;
    let lea = app.register("lea@example.org").await;
    suggest(&app, &asker, &lea, false).await;
    let offered = offers(&app, &lea).await;
    let export = |who: Session| {
        let app = &app;
        async move {
            app.gql(Some(&who.access_token), "{ exportMyData }", json!({}))
                .await["data"]["exportMyData"]["support"]["outreachReceived"]
                .clone()
        }
    };
    let exported = export(lea.clone()).await;
    assert_eq!(exported.as_array().map(Vec::len), Some(1), "{exported}");
    let gone = app
        .gql(
            Some(&asker.access_token),
            "mutation { deleteAccount(password: \"a long enough password\") }",
            json!({}),
        )
        .await;
    assert_eq!(gone["data"]["deleteAccount"], true, "{gone}");
    assert_eq!(offers(&app, &lea).await, offered);
    assert_eq!(export(lea.clone()).await, exported);
    // She can still accept it: her own request, asked of nobody.
    let accepted = app
        .gql(
            Some(&lea.access_token),
            "mutation($id: ID!) { respondToOutreach(id: $id, accept: true) { status } }",
            json!({ "id": offered[0]["id"] }),
        )
        .await;
    assert_eq!(
        accepted["data"]["respondToOutreach"]["status"], "OPEN",
        "{accepted}"
    );
    // Suggestions go after their retention, whatever became of them.
    relais::privacy::retention::purge(
        &app.state.db,
        &app.state.config.retention,
        Utc::now().naive_utc() + Duration::days(31),
    )
    .await
    .unwrap();
    let left: i64 = app
        .state
        .db
        .run(|conn| {
            use diesel::prelude::*;
            Ok(relais::db::schema::outreach_offers::table
                .count()
                .get_result(conn)?)
        })
        .await
        .unwrap();
    assert_eq!(left, 0);
}

async fn one_open_request_at_a_time_and_a_few_a_day(app: TestApp) {
    let sam = supporter(&app, "sam@example.org").await;
    let ana = app.register("ana@example.org").await;
    let first = requested(&app, &ana, "Besoin de parler.").await;
    let second = app
        .gql(
            Some(&ana.access_token),
            REQUEST,
            json!({ "note": "Encore" }),
        )
        .await;
    assert_eq!(error_code(&second), "CONFLICT", "{second}");
    assert_eq!(second["errors"][0]["extensions"]["openRequestId"], first);
    assert_eq!(
        told_of_requests(&app, &sam).await,
        1,
        "a refused call sends nothing"
    );
    // Withdrawn, another may follow; the fourth of the day is refused.
    let close = "mutation($id: ID!) { closeSupportRequest(id: $id) { status } }";
    app.gql(Some(&ana.access_token), close, json!({ "id": first }))
        .await;
    for _ in 0..2 {
        let id = requested(&app, &ana, "Besoin de parler.").await;
        app.gql(Some(&ana.access_token), close, json!({ "id": id }))
            .await;
    }
    let fourth = app
        .gql(
            Some(&ana.access_token),
            REQUEST,
            json!({ "note": "Encore" }),
        )
        .await;
    assert_eq!(error_code(&fourth), "CONFLICT", "{fourth}");
    assert_eq!(told_of_requests(&app, &sam).await, 3);
    // Twice at once: one request.
    let bob = app.register("bob@example.org").await;
    let answers = join_all(
        (0..4).map(|_| app.gql(Some(&bob.access_token), REQUEST, json!({ "note": "Vite" }))),
    )
    .await;
    let opened = answers
        .iter()
        .filter(|answer| answer["errors"].is_null())
        .count();
    assert_eq!(opened, 1, "{answers:?}");
    for answer in answers.iter().filter(|answer| !answer["errors"].is_null()) {
        assert_eq!(error_code(answer), "CONFLICT", "{answer}");
    }
}

const OUTREACH: &str = "mutation($id: ID!, $note: String, $sign: Boolean) {
    requestOutreach(userId: $id, note: $note, sign: $sign) }";

async fn suggest(app: &TestApp, asker: &Session, colleague: &Session, sign: bool) -> Value {
    app.gql(
        Some(&asker.access_token),
        OUTREACH,
        json!({ "id": colleague.user_id, "note": "Tu as eu une semaine très dure.", "sign": sign }),
    )
    .await
}

async fn offers(app: &TestApp, who: &Session) -> Value {
    let answer = app
        .gql(
            Some(&who.access_token),
            "{ myOutreachOffers { id note signedBy { displayName } } }",
            json!({}),
        )
        .await;
    answer["data"]["myOutreachOffers"].clone()
}

async fn supporter(app: &TestApp, email: &str) -> Session {
    let session = app.register(email).await;
    grant_role(&app.state.db, email, Role::PeerSupporter)
        .await
        .unwrap();
    session
}

const REQUEST: &str = "mutation($note: String, $language: String) {
    requestSupport(note: $note, language: $language) { id status language note } }";

async fn requested(app: &TestApp, who: &Session, note: &str) -> String {
    let answer = app
        .gql(Some(&who.access_token), REQUEST, json!({ "note": note }))
        .await;
    answer["data"]["requestSupport"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{answer}"))
        .to_owned()
}

const ACCEPT: &str = "mutation($id: ID!) { acceptSupportRequest(id: $id) {
    status supporter { displayName } conversation { id open } } }";

async fn accept(app: &TestApp, who: &Session, id: &str) -> Value {
    app.gql(Some(&who.access_token), ACCEPT, json!({ "id": id }))
        .await
}

async fn a_request_reaches_available_supporters_and_one_takes_it(app: TestApp) {
    let sam = supporter(&app, "sam@example.org").await;
    let paused = supporter(&app, "paused@example.org").await;
    let english = app
        .register_with(
            json!({ "email": "eng@example.org", "password": "a long enough password",
            "displayName": "eng", "profession": "NURSE", "languages": ["en"] }),
        )
        .await;
    grant_role(&app.state.db, "eng@example.org", Role::PeerSupporter)
        .await
        .unwrap();
    let pause = app
        .gql(
            Some(&paused.access_token),
            "mutation { setSupporterAvailability(available: false) }",
            json!({}),
        )
        .await;
    assert_eq!(pause["data"]["setSupporterAvailability"], false, "{pause}");
    let ana = app.register("ana@example.org").await;
    let refused = app
        .gql(
            Some(&ana.access_token),
            "mutation { setSupporterAvailability(available: true) }",
            json!({}),
        )
        .await;
    assert_eq!(error_code(&refused), "FORBIDDEN");
    let too_long = app
        .gql(
            Some(&ana.access_token),
            REQUEST,
            json!({ "note": "x".repeat(501) }),
        )
        .await;
    assert_eq!(error_field(&too_long), "note");

    let id = requested(&app, &ana, "Nuit difficile, besoin d'en parler.").await;
    // The available French-speaking supporter hears of it, neutrally; the paused one and the
    // English speaker do not.
    assert_eq!(
        received_kinds(&app, &sam.user_id).await.last().unwrap(),
        "SUPPORT_REQUESTED"
    );
    for quiet in [&paused, &english] {
        assert!(
            !received_kinds(&app, &quiet.user_id)
                .await
                .contains(&"SUPPORT_REQUESTED".to_owned())
        );
    }
    let inbox = app
        .gql(
            Some(&sam.access_token),
            "{ notifications(first: 5) { edges { node { kind category body } } } }",
            json!({}),
        )
        .await;
    let notice = &inbox["data"]["notifications"]["edges"][0]["node"];
    assert_eq!(notice["category"], "PEER_SUPPORT", "{inbox}");
    assert!(!notice["body"].as_str().unwrap().contains("Nuit"));

    // Sam sees it open, with only a name, a profession and the language of the requester.
    let open = app
        .gql(
            Some(&sam.access_token),
            "{ openSupportRequests { id note requester { id displayName profession languages region } } }",
            json!({}),
        )
        .await;
    let listed = &open["data"]["openSupportRequests"][0];
    assert_eq!(listed["id"], id.as_str(), "{open}");
    assert_ne!(listed["requester"]["id"], ana.user_id.as_str());
    assert_eq!(listed["requester"]["displayName"], "ana");
    assert_eq!(listed["requester"]["languages"], json!(["fr"]));
    let not_a_supporter = app
        .gql(
            Some(&ana.access_token),
            "{ openSupportRequests { id } }",
            json!({}),
        )
        .await;
    assert_eq!(error_code(&not_a_supporter), "FORBIDDEN");

    let taken = accept(&app, &sam, &id).await;
    let node = &taken["data"]["acceptSupportRequest"];
    assert_eq!(node["status"], "TAKEN", "{taken}");
    assert_eq!(node["conversation"]["open"], true);
    assert_eq!(
        received_kinds(&app, &ana.user_id).await.last().unwrap(),
        "SUPPORT_TAKEN"
    );
    // Her own view shows the conversation too, and she may write in it.
    let mine = app
        .gql(
            Some(&ana.access_token),
            "{ mySupportRequests { status supporter { displayName } conversation { id } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        mine["data"]["mySupportRequests"][0]["supporter"]["displayName"],
        "sam"
    );
    let conversation = mine["data"]["mySupportRequests"][0]["conversation"]["id"].clone();
    let sent = app
        .gql(
            Some(&ana.access_token),
            "mutation($id: ID!) { sendMessage(conversationId: $id, body: \"Merci d'être là.\") { id } }",
            json!({ "id": conversation }),
        )
        .await;
    assert!(sent["errors"].is_null(), "{sent}");
}

async fn concurrent_accepts_give_a_request_to_one_supporter(app: TestApp) {
    let mut supporters = Vec::new();
    for n in 0..6 {
        supporters.push(supporter(&app, &format!("s{n}@example.org")).await);
    }
    let ana = app.register("ana@example.org").await;
    let id = requested(&app, &ana, "Besoin de parler.").await;
    let answers = join_all(supporters.iter().map(|who| accept(&app, who, &id))).await;
    let won = answers
        .iter()
        .filter(|answer| answer["data"]["acceptSupportRequest"]["status"] == "TAKEN")
        .count();
    assert_eq!(won, 1, "{answers:?}");
    for answer in answers.iter().filter(|answer| answer["errors"].is_array()) {
        assert_eq!(error_code(answer), "CONFLICT", "{answer}");
    }
    // One conversation, between her and the one who got it.
    let taken = received_kinds(&app, &ana.user_id)
        .await
        .into_iter()
        .filter(|kind| kind == "SUPPORT_TAKEN")
        .count();
    assert_eq!(taken, 1);
}

async fn requests_are_seen_by_their_people_only_and_closed_by_either(app: TestApp) {
    let sam = supporter(&app, "sam@example.org").await;
    let other_supporter = supporter(&app, "zoe@example.org").await;
    let ana = app.register("ana@example.org").await;
    let eve = app.register("eve@example.org").await;
    let close =
        "mutation($id: ID!) { closeSupportRequest(id: $id) { status conversation { open } } }";
    // Withdrawn while open.
    let first = requested(&app, &ana, "Une première demande.").await;
    let withdrawn = app
        .gql(Some(&ana.access_token), close, json!({ "id": first }))
        .await;
    assert_eq!(
        withdrawn["data"]["closeSupportRequest"]["status"], "WITHDRAWN",
        "{withdrawn}"
    );
    assert_eq!(error_code(&accept(&app, &sam, &first).await), "NOT_FOUND");
    // Taken, then closed by the supporter: the conversation stays readable, closed.
    let second = requested(&app, &ana, "Une deuxième demande.").await;
    assert_eq!(error_code(&accept(&app, &eve, &second).await), "FORBIDDEN");
    accept(&app, &sam, &second).await;
    // Once taken, neither another supporter nor a stranger sees it.
    for stranger in [&other_supporter, &eve] {
        let answer = app
            .gql(Some(&stranger.access_token), close, json!({ "id": second }))
            .await;
        assert_eq!(error_code(&answer), "NOT_FOUND", "{answer}");
    }
    let closed = app
        .gql(Some(&sam.access_token), close, json!({ "id": second }))
        .await;
    assert_eq!(
        closed["data"]["closeSupportRequest"],
        json!({ "status": "CLOSED", "conversation": { "open": false } }),
        "{closed}"
    );
    assert_eq!(
        received_kinds(&app, &ana.user_id).await.last().unwrap(),
        "SUPPORT_CLOSED"
    );
    let again = app
        .gql(Some(&ana.access_token), close, json!({ "id": second }))
        .await;
    assert_eq!(error_code(&again), "CONFLICT");
    let listed = app
        .gql(
            Some(&eve.access_token),
            "{ mySupportRequests { id } }",
            json!({}),
        )
        .await;
    assert_eq!(listed["data"]["mySupportRequests"], json!([]));
}

async fn outreach_reaches_a_colleague_gently_and_never_names_the_asker(app: TestApp) {
    let sam = supporter(&app, "sam@example.org").await;
    let asker = app.register("asker@example.org").await;
    let lea = app.register("lea@example.org").await;
    assert_eq!(
        suggest(&app, &asker, &lea, false).await["data"]["requestOutreach"],
        true
    );
    let offered = offers(&app, &lea).await;
    assert_eq!(offered.as_array().unwrap().len(), 1, "{offered}");
    assert_eq!(offered[0]["signedBy"], Value::Null);
    let inbox = app
        .gql(
            Some(&lea.access_token),
            "{ notifications(first: 5) { edges { node { kind title body } } } }",
            json!({}),
        )
        .await;
    let notice = &inbox["data"]["notifications"]["edges"][0]["node"];
    assert_eq!(notice["kind"], "OUTREACH_OFFERED", "{inbox}");
    assert_eq!(
        notice["body"],
        "Un·e collègue pense à vous. Un pair aidant est disponible si vous voulez en parler."
    );
    // She accepts: it becomes her own request; the supporter sees her, never the asker.
    let accepted = app
        .gql(
            Some(&lea.access_token),
            "mutation($id: ID!) { respondToOutreach(id: $id, accept: true) { status requester { displayName } note } }",
            json!({ "id": offered[0]["id"] }),
        )
        .await;
    assert_eq!(
        accepted["data"]["respondToOutreach"],
        json!({ "status": "OPEN", "requester": { "displayName": "lea" }, "note": null }),
        "{accepted}"
    );
    let seen_by_sam = app
        .gql(
            Some(&sam.access_token),
            "{ openSupportRequests { id note requester { displayName } }
               notifications(first: 10) { edges { node { title body } } } }",
            json!({}),
        )
        .await;
    let text = seen_by_sam.to_string();
    assert!(text.contains("lea"), "{text}");
    for hidden in ["asker", asker.user_id.as_str(), "semaine très dure"] {
        assert!(!text.contains(hidden), "{hidden} in {text}");
    }
    let lea_sees = format!("{}{}", offers(&app, &lea).await, inbox);
    assert!(!lea_sees.contains("asker") && !lea_sees.contains(&asker.user_id));
    // Signed, the name shows; declined, nothing more happens, ever.
    let signer = app.register("signer@example.org").await;
    let other = app.register("other@example.org").await;
    suggest(&app, &signer, &other, true).await;
    let offered = offers(&app, &other).await;
    assert_eq!(offered[0]["signedBy"]["displayName"], "signer", "{offered}");
    let declined = app
        .gql(
            Some(&other.access_token),
            "mutation($id: ID!) { respondToOutreach(id: $id, accept: false) { id } }",
            json!({ "id": offered[0]["id"] }),
        )
        .await;
    assert_eq!(
        declined["data"]["respondToOutreach"],
        Value::Null,
        "{declined}"
    );
    assert_eq!(offers(&app, &other).await, json!([]));
    let again = app
        .gql(
            Some(&other.access_token),
            "mutation($id: ID!) { respondToOutreach(id: $id, accept: true) { id } }",
            json!({ "id": offered[0]["id"] }),
        )
        .await;
    assert_eq!(error_code(&again), "CONFLICT");
    let by_stranger = app
        .gql(
            Some(&sam.access_token),
            "mutation($id: ID!) { respondToOutreach(id: $id, accept: true) { id } }",
            json!({ "id": offered[0]["id"] }),
        )
        .await;
    assert_eq!(error_code(&by_stranger), "NOT_FOUND");
}

async fn outreach_limits_and_opt_out_answer_as_if_sent(app: TestApp) {
    let asker = app.register("asker@example.org").await;
    let mut colleagues = Vec::new();
    for n in 0..4 {
        colleagues.push(app.register(&format!("c{n}@example.org")).await);
    }
    // c0 turned outreach off; c1 blocked the asker; c2 already had one this week.
    app.gql(
        Some(&colleagues[0].access_token),
        "mutation { updateNotificationPreferences(input: { outreach: false }) { outreach } }",
        json!({}),
    )
    .await;
    app.block(&colleagues[1], &asker).await;
    let earlier = app.register("earlier@example.org").await;
    suggest(&app, &earlier, &colleagues[2], false).await;
    for colleague in &colleagues[..3] {
        let answer = suggest(&app, &asker, colleague, false).await;
        assert_eq!(answer["data"]["requestOutreach"], true, "{answer}");
    }
    assert_eq!(offers(&app, &colleagues[0]).await, json!([]));
    assert_eq!(offers(&app, &colleagues[1]).await, json!([]));
    assert_eq!(
        offers(&app, &colleagues[2]).await.as_array().unwrap().len(),
        1
    );
    // Three a week per asker, counted whether delivered or not.
    let fourth = suggest(&app, &asker, &colleagues[3], false).await;
    assert_eq!(error_code(&fourth), "CONFLICT", "{fourth}");
    assert_eq!(offers(&app, &colleagues[3]).await, json!([]));
    // Bad input says which field.
    let to_self = suggest(&app, &asker, &asker, false).await;
    assert_eq!(error_field(&to_self), "userId");
    let long = app
        .gql(
            Some(&earlier.access_token),
            OUTREACH,
            json!({ "id": colleagues[3].user_id, "note": "x".repeat(281) }),
        )
        .await;
    assert_eq!(error_field(&long), "note");
}

async fn ended_requests_are_purged_after_their_retention(app: TestApp) {
    use diesel::prelude::*;
    use relais::db::schema::support_requests;
    let sam = supporter(&app, "sam@example.org").await;
    let ana = app.register("ana@example.org").await;
    let old = requested(&app, &ana, "Une vieille demande.").await;
    accept(&app, &sam, &old).await;
    let close = "mutation($id: ID!) { closeSupportRequest(id: $id) { status } }";
    app.gql(Some(&ana.access_token), close, json!({ "id": old }))
        .await;
    let recent = requested(&app, &ana, "Une demande récente.").await;
    app.gql(Some(&ana.access_token), close, json!({ "id": recent }))
        .await;
    let open = requested(&app, &ana, "Une demande ouverte.").await;
    let aged = old.clone();
    app.state
        .db
        .run(move |conn| {
            Ok(diesel::update(support_requests::table.find(aged))
                .set(support_requests::closed_at.eq(Utc::now().naive_utc() - Duration::days(91)))
                .execute(conn)?)
        })
        .await
        .unwrap();
    relais::privacy::retention::purge(
        &app.state.db,
        &app.state.config.retention,
        Utc::now().naive_utc(),
    )
    .await
    .unwrap();
    let left: Vec<String> = app
        .state
        .db
        .run(|conn| {
            Ok(support_requests::table
                .select(support_requests::id)
                .order(support_requests::id)
                .load(conn)?)
        })
        .await
        .unwrap();
    assert_eq!(
        left,
        [recent, open],
        "the one closed 91 days ago went, with its conversation"
    );
    let threads = app
        .gql(
            Some(&sam.access_token),
            "{ mySupportRequests { id } }",
            json!({}),
        )
        .await;
    assert_eq!(threads["data"]["mySupportRequests"], json!([]), "{threads}");
}

async fn a_request_left_waiting_brings_resources_and_one_reminder(app: TestApp) {
    use relais::support::service::follow_up_waiting;
    let sam = supporter(&app, "sam@example.org").await;
    let ana = app.register("ana@example.org").await;
    let id = requested(&app, &ana, "Personne ?").await;
    let wait = app.state.config.support_wait;
    let follow_up = |at: chrono::NaiveDateTime| {
        let app = &app;
        async move {
            follow_up_waiting(&app.state.db, &app.state.support, wait, false, at)
                .await
                .unwrap()
        }
    };
    // Not yet: within the wait nothing happens.
    assert_eq!(follow_up(Utc::now().naive_utc()).await, 0);
    // Past it, two instances at once: one follow-up.
    let later = Utc::now().naive_utc() + wait + Duration::minutes(1);
    let done: usize = join_all((0..2).map(|_| follow_up(later)))
        .await
        .into_iter()
        .sum();
    assert_eq!(done, 1);
    assert_eq!(follow_up(later + Duration::hours(1)).await, 0, "once");
    let inbox = app
        .gql(
            Some(&ana.access_token),
            "{ notifications(first: 5) { edges { node { kind body } } } }",
            json!({}),
        )
        .await;
    let notice = &inbox["data"]["notifications"]["edges"][0]["node"];
    assert_eq!(notice["kind"], "SUPPORT_STILL_WAITING", "{inbox}");
    let body = notice["body"].as_str().unwrap();
    let first = body.find("3114").expect("3114 offered");
    assert!(
        first < body.find("SAMU").expect("the SAMU offered"),
        "{body}"
    );
    let reminded = received_kinds(&app, &sam.user_id)
        .await
        .into_iter()
        .filter(|kind| kind == "SUPPORT_REQUESTED")
        .count();
    assert_eq!(reminded, 2, "told, then reminded once");
    // A request taken in time is never followed up.
    let bob = app.register("bob@example.org").await;
    let taken = requested(&app, &bob, "Moi aussi.").await;
    accept(&app, &sam, &taken).await;
    assert_eq!(
        follow_up(Utc::now().naive_utc() + wait * 2).await,
        0,
        "{id} already followed up, {taken} taken"
    );
}

const REPORT: &str = "mutation($id: ID!, $message: ID, $reason: String!, $category: ReportCategory) {
    reportConversation(conversationId: $id, messageId: $message, reason: $reason, category: $category) }";

const QUEUE: &str = "{ openConversationReports { edges { node {
    id category reason status message { body createdAt } conversationOpen conversationClosed
    createdAt resolvedAt resolution } } } }";

/// A taken request between ana.lefebvre and samir.haddad, a message from each: the conversation
/// and both messages' ids.
async fn support_conversation(app: &TestApp) -> (Session, Session, String, [String; 2]) {
    let samir = supporter(app, "samir.haddad@example.org").await;
    let ana = app.register("ana.lefebvre@example.org").await;
    let id = requested(app, &ana, "Une garde qui a mal tourné.").await;
    let taken = accept(app, &samir, &id).await;
    let conversation = taken["data"]["acceptSupportRequest"]["conversation"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{taken}"))
        .to_owned();
    let mut ids = Vec::new();
    for (who, body) in [
        (&ana, "Merci d'avoir répondu."),
        (&samir, "Propos déplacés de Samir"),
    ] {
        let sent = app
            .gql(
                Some(&who.access_token),
                "mutation($id: ID!, $body: String!) { sendMessage(conversationId: $id, body: $body) { id } }",
                json!({ "id": conversation, "body": body }),
            )
            .await;
        ids.push(
            sent["data"]["sendMessage"]["id"]
                .as_str()
                .unwrap_or_else(|| panic!("{sent}"))
                .to_owned(),
        );
    }
    let [hers, his] = <[String; 2]>::try_from(ids).unwrap_or_else(|ids| panic!("{ids:?}"));
    (ana, samir, conversation, [hers, his])
}

async fn moderator(app: &TestApp) -> Session {
    let session = app.register("modo@example.org").await;
    grant_role(&app.state.db, "modo@example.org", Role::Moderator)
        .await
        .unwrap();
    session
}

async fn a_reported_conversation_shows_moderators_the_message_and_nobody(app: TestApp) {
    let (ana, samir, conversation, [hers, his]) = support_conversation(&app).await;
    let modo = moderator(&app).await;
    let eve = app.register("eve@example.org").await;
    let report = |who: &Session, message: &str, reason: &str| {
        let token = who.access_token.clone();
        let variables = json!({ "id": conversation, "message": message, "reason": reason,
                                "category": "HARASSMENT" });
        let app = &app;
        async move { app.gql(Some(&token), REPORT, variables).await }
    };
    // Bad inputs change nothing: a stranger, her own message, a message from nowhere, no reason.
    assert_eq!(
        error_code(&report(&eve, &his, "Je signale").await),
        "NOT_FOUND"
    );
    for (message, reason, field) in [
        (hers.as_str(), "Je signale", "messageId"),
        (
            "00000000-0000-7000-8000-000000000000",
            "Je signale",
            "messageId",
        ),
        (his.as_str(), "", "reason"),
    ] {
        let refused = report(&ana, message, reason).await;
        assert_eq!(error_code(&refused), "BAD_USER_INPUT", "{refused}");
        assert_eq!(error_field(&refused), field, "{refused}");
    }
    let queue = app.gql(Some(&modo.access_token), QUEUE, json!({})).await;
    assert_eq!(queue["data"]["openConversationReports"]["edges"], json!([]));

    let filed = report(&ana, &his, "Il m'a parlé de façon blessante.").await;
    assert_eq!(filed["data"]["reportConversation"], true, "{filed}");
    assert_eq!(error_code(&report(&ana, &his, "Encore").await), "CONFLICT");
    for not_moderator in [&ana, &samir] {
        let answer = app
            .gql(Some(&not_moderator.access_token), QUEUE, json!({}))
            .await;
        assert_eq!(error_code(&answer), "FORBIDDEN", "{answer}");
    }
    // The moderator sees the message and the reason; nothing names the two people, the request
    // or its note, and the conversation itself stays closed to them.
    let queue = app.gql(Some(&modo.access_token), QUEUE, json!({})).await;
    let node = queue["data"]["openConversationReports"]["edges"][0]["node"].clone();
    assert_eq!(
        node["message"]["body"], "Propos déplacés de Samir",
        "{queue}"
    );
    assert_eq!(node["reason"], "Il m'a parlé de façon blessante.");
    assert_eq!(node["conversationOpen"], true);
    let seen = queue.to_string();
    for hidden in [
        ana.user_id.as_str(),
        samir.user_id.as_str(),
        "ana.lefebvre",
        "samir.haddad",
        "Une garde qui a mal tourné.",
        "Merci d'avoir répondu.",
        conversation.as_str(),
    ] {
        assert!(!seen.contains(hidden), "{hidden} in {seen}");
    }
    let peek = app
        .gql(
            Some(&modo.access_token),
            "query($id: ID!) { conversation(id: $id) { id } }",
            json!({ "id": conversation }),
        )
        .await;
    assert_eq!(peek["data"]["conversation"], Value::Null, "{peek}");
    let requests = app
        .gql(
            Some(&modo.access_token),
            "{ openSupportRequests { id } }",
            json!({}),
        )
        .await;
    assert_eq!(error_code(&requests), "FORBIDDEN", "{requests}");

    // Resolved with the conversation closed: both are told, neither can write, once only.
    let resolve = "mutation($id: ID!) { resolveConversationReport(id: $id,
        resolution: \"Conversation close\", closeConversation: true) {
        status conversationOpen conversationClosed resolution } }";
    let resolved = app
        .gql(
            Some(&modo.access_token),
            resolve,
            json!({ "id": node["id"] }),
        )
        .await;
    assert_eq!(
        resolved["data"]["resolveConversationReport"],
        json!({ "status": "RESOLVED", "conversationOpen": false, "conversationClosed": true,
                "resolution": "Conversation close" }),
        "{resolved}"
    );
    assert_eq!(
        error_code(
            &app.gql(
                Some(&modo.access_token),
                resolve,
                json!({ "id": node["id"] })
            )
            .await
        ),
        "CONFLICT"
    );
    for who in [&ana, &samir] {
        assert_eq!(
            received_kinds(&app, &who.user_id).await.last().unwrap(),
            "CONVERSATION_CLOSED_BY_MODERATION"
        );
        let sent = app
            .gql(
                Some(&who.access_token),
                "mutation($id: ID!) { sendMessage(conversationId: $id, body: \"Encore là ?\") { id } }",
                json!({ "id": conversation }),
            )
            .await;
        assert_eq!(error_code(&sent), "CONFLICT", "{sent}");
    }
    // A closed conversation can still be reported, by the other person too.
    let his_report = app
        .gql(
            Some(&samir.access_token),
            REPORT,
            json!({ "id": conversation, "message": hers, "reason": "Je préfère le signaler aussi." }),
        )
        .await;
    assert_eq!(
        his_report["data"]["reportConversation"], true,
        "{his_report}"
    );
}

async fn one_person_reporting_a_conversation_twice_at_once_files_one_report(app: TestApp) {
    let (ana, _samir, conversation, [_, his]) = support_conversation(&app).await;
    let modo = moderator(&app).await;
    let answers = join_all((0..6).map(|n| {
        app.gql(
            Some(&ana.access_token),
            REPORT,
            json!({ "id": conversation, "message": his, "reason": format!("Signalement {n}") }),
        )
    }))
    .await;
    let filed = answers
        .iter()
        .filter(|answer| answer["data"]["reportConversation"] == true)
        .count();
    assert_eq!(filed, 1, "{answers:?}");
    for answer in answers.iter().filter(|answer| answer["errors"].is_array()) {
        assert_eq!(error_code(answer), "CONFLICT", "{answer}");
    }
    let queue = app.gql(Some(&modo.access_token), QUEUE, json!({})).await;
    assert_eq!(
        queue["data"]["openConversationReports"]["edges"]
            .as_array()
            .map(Vec::len),
        Some(1),
        "{queue}"
    );
}
