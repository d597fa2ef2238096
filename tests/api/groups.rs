//! Peer groups: discovery, membership, posts, anonymity, moderation, blocks, live posts.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use relais::accounts::model::Role;
use relais::accounts::service::grant_role;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message as WsMessage;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::helpers::{Session, TestApp, error_code, error_field};
use crate::sockets::{Frame, next_frame, subscribed_socket, until_delivered};

const CREATE_GROUP: &str = "mutation($input: CreateGroupInput!) { createGroup(input: $input) {
    id name visibility language region professions memberCount viewerMembership { role status } } }";
const GROUPS: &str = "query($filter: GroupFilter, $first: Int, $after: String) {
    groups(filter: $filter, first: $first, after: $after) {
        edges { cursor node { id name memberCount } } pageInfo { hasNextPage endCursor } } }";
const JOIN: &str =
    "mutation($id: ID!) { joinGroup(groupId: $id) { role status user { id } group { id } } }";
const CREATE_POST: &str = "mutation($input: CreatePostInput!) { createPost(input: $input) {
    id anonymous viewerIsAuthor body author { id } parentId } }";
const POSTS: &str = "query($id: ID!, $first: Int, $after: String) { group(id: $id) {
    posts(first: $first, after: $after) {
        edges { cursor node { id body anonymous viewerIsAuthor author { id displayName } replyCount } }
        pageInfo { hasNextPage endCursor } } } }";

pub fn group_input(name: &str, visibility: &str) -> Value {
    json!({ "name": name, "description": "Un espace pour souffler.", "topic": "burnout",
            "visibility": visibility, "language": "fr" })
}

pub async fn create_group(app: &TestApp, owner: &Session, input: Value) -> String {
    let answer = app
        .gql(
            Some(&owner.access_token),
            CREATE_GROUP,
            json!({ "input": input }),
        )
        .await;
    answer["data"]["createGroup"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{answer}"))
        .to_owned()
}

pub async fn join(app: &TestApp, who: &Session, group: &str) -> Value {
    app.gql(Some(&who.access_token), JOIN, json!({ "id": group }))
        .await
}

pub async fn post(
    app: &TestApp,
    who: &Session,
    group: &str,
    body: &str,
    parent: Option<&str>,
    anonymous: bool,
) -> Value {
    app.gql(
        Some(&who.access_token),
        CREATE_POST,
        json!({ "input": { "groupId": group, "body": body, "parentId": parent, "anonymous": anonymous } }),
    )
    .await
}

pub async fn post_id(
    app: &TestApp,
    who: &Session,
    group: &str,
    body: &str,
    parent: Option<&str>,
    anonymous: bool,
) -> String {
    let answer = post(app, who, group, body, parent, anonymous).await;
    answer["data"]["createPost"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{answer}"))
        .to_owned()
}

async fn group_posts(app: &TestApp, who: &Session, group: &str) -> Vec<Value> {
    let answer = app
        .gql(
            Some(&who.access_token),
            POSTS,
            json!({ "id": group, "first": 100 }),
        )
        .await;
    answer["data"]["group"]["posts"]["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("{answer}"))
        .iter()
        .map(|edge| edge["node"].clone())
        .collect()
}

async fn inbox_kinds(app: &TestApp, who: &Session) -> Vec<String> {
    let answer = app
        .gql(
            Some(&who.access_token),
            "{ notifications(first: 100) { edges { node { kind } } } }",
            json!({}),
        )
        .await;
    answer["data"]["notifications"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|edge| edge["node"]["kind"].as_str().unwrap().to_owned())
        .collect()
}

on_both_backends!(
    blocked_people_are_listed_for_unblocking,
    groups_are_validated_and_names_unique,
    facilitators_change_a_group_and_nobody_is_told,
    a_groups_professions_read_alike_on_every_path_after_every_change,
    a_muted_group_reaches_the_inbox_without_pushes,
    discovery_filters_searches_and_pages,
    join_approve_remove_cycle,
    the_last_facilitator_hands_over_before_leaving,
    only_active_members_reach_a_groups_content,
    posts_and_replies_page_count_and_notify,
    anonymous_posts_hide_their_author_from_everyone,
    who_may_delete_a_post,
    reports_reach_moderators_and_actions_are_logged,
    blocked_people_disappear_from_the_blockers_view,
    group_pages_run_a_constant_number_of_statements,
    group_posts_arrive_live_to_members_only,
    a_new_post_reaches_many_subscribers_in_a_few_statements,
    moderating_an_anonymous_post_changes_nothing_others_can_see,
    a_facilitator_cannot_silence_a_co_facilitator_through_an_anonymous_post,
    reports_of_one_post_all_show_it_and_one_member_reports_it_once,
    a_blocked_persons_replies_do_not_notify_the_blocker,
    a_moderator_removing_the_last_facilitator_hands_the_group_over,
);

/// Pushes queued for `who`.
async fn pushes_for(app: &TestApp, who: &Session) -> i64 {
    use diesel::prelude::*;
    use relais::db::schema::push_outbox;
    let user_id = who.user_id.clone();
    app.state
        .db
        .run(move |conn| {
            Ok(push_outbox::table
                .filter(push_outbox::user_id.eq(user_id))
                .count()
                .get_result(conn)?)
        })
        .await
        .unwrap()
}

async fn a_muted_group_reaches_the_inbox_without_pushes(app: TestApp) {
    let ana = app.register("ana@example.org").await;
    let bob = app.register("bob@example.org").await;
    let eve = app.register("eve@example.org").await;
    let group = create_group(&app, &ana, group_input("Nuits en réa", "PUBLIC")).await;
    join(&app, &bob, &group).await;
    app.gql(
        Some(&bob.access_token),
        "mutation { registerDevice(token: \"bob-phone\", platform: ANDROID) { id } }",
        json!({}),
    )
    .await;
    let question = post_id(&app, &bob, &group, "Quelqu'un debout ?", None, false).await;
    let mute = "mutation($g: ID!, $until: DateTime) { muteGroup(groupId: $g, until: $until) }";
    let unmute = "mutation($g: ID!) { unmuteGroup(groupId: $g) }";

    // Outsiders and the past are refused.
    let outsider = app
        .gql(Some(&eve.access_token), mute, json!({ "g": group }))
        .await;
    assert_eq!(error_code(&outsider), "FORBIDDEN", "{outsider}");
    let past = app
        .gql(
            Some(&bob.access_token),
            mute,
            json!({ "g": group, "until": "2020-01-01T00:00:00Z" }),
        )
        .await;
    assert_eq!(error_field(&past), "until", "{past}");

    let unread = "{ unreadNotificationCount }";
    let count = |answer: Value| answer["data"]["unreadNotificationCount"].as_i64().unwrap();
    post(&app, &ana, &group, "Moi", Some(&question), false).await;
    let pushes = pushes_for(&app, &bob).await;
    assert_eq!(pushes, 1, "a reply pushes");
    let inbox = count(app.gql(Some(&bob.access_token), unread, json!({})).await);

    let muted = app
        .gql(Some(&bob.access_token), mute, json!({ "g": group }))
        .await;
    assert_eq!(muted["data"]["muteGroup"], true, "{muted}");
    post(&app, &ana, &group, "Moi aussi", Some(&question), false).await;
    assert_eq!(pushes_for(&app, &bob).await, pushes, "muted: no push");
    assert_eq!(
        count(app.gql(Some(&bob.access_token), unread, json!({})).await),
        inbox + 1,
        "the inbox still has it"
    );

    let unmuted = app
        .gql(Some(&bob.access_token), unmute, json!({ "g": group }))
        .await;
    assert_eq!(unmuted["data"]["unmuteGroup"], true, "{unmuted}");
    post(&app, &ana, &group, "Et moi", Some(&question), false).await;
    assert_eq!(pushes_for(&app, &bob).await, pushes + 1);
    let again = app
        .gql(Some(&bob.access_token), unmute, json!({ "g": group }))
        .await;
    assert_eq!(again["data"]["unmuteGroup"], false);
}

const UPDATE_GROUP: &str = "mutation($input: UpdateGroupInput!) { updateGroup(input: $input) {
    name description topic visibility professions verifiedOnly } }";

async fn facilitators_change_a_group_and_nobody_is_told(app: TestApp) {
    let ana = app.register("ana@example.org").await;
    let bob = app.register("bob@example.org").await;
    let eve = app.register("eve@example.org").await;
    let group = create_group(&app, &ana, group_input("Nuits en réa", "PUBLIC")).await;
    create_group(&app, &ana, group_input("Jours en réa", "PUBLIC")).await;
    join(&app, &bob, &group).await;
    let unread = "{ unreadNotificationCount }";
    let bob_before = app.gql(Some(&bob.access_token), unread, json!({})).await;
    let update = |who: &Session, input: Value| {
        let token = who.access_token.clone();
        let app = &app;
        async move {
            app.gql(Some(&token), UPDATE_GROUP, json!({ "input": input }))
                .await
        }
    };

    // Only a facilitator; a made-up group is NOT_FOUND.
    let member = update(&bob, json!({ "id": group, "topic": "sleep" })).await;
    assert_eq!(error_code(&member), "FORBIDDEN", "{member}");
    let outsider = update(&eve, json!({ "id": group, "topic": "sleep" })).await;
    assert_eq!(error_code(&outsider), "FORBIDDEN", "{outsider}");
    let unknown = update(
        &ana,
        json!({ "id": uuid::Uuid::now_v7().to_string(), "topic": "sleep" }),
    )
    .await;
    assert_eq!(error_code(&unknown), "NOT_FOUND", "{unknown}");
    // Bad values change nothing.
    let blank = update(&ana, json!({ "id": group, "name": " ", "topic": "sleep" })).await;
    assert_eq!(error_field(&blank), "name", "{blank}");
    let taken = update(
        &ana,
        json!({ "id": group, "name": "JOURS EN RÉA", "topic": "sleep" }),
    )
    .await;
    assert_eq!(error_code(&taken), "CONFLICT", "{taken}");

    let changed = update(
        &ana,
        json!({ "id": group, "name": "Nuits blanches", "topic": "sleep", "visibility": "PRIVATE",
                "professions": ["NURSE", "NURSE"], "verifiedOnly": true }),
    )
    .await;
    assert_eq!(
        changed["data"]["updateGroup"],
        json!({ "name": "Nuits blanches", "description": "Un espace pour souffler.",
                "topic": "sleep", "visibility": "PRIVATE", "professions": ["NURSE"],
                "verifiedOnly": true }),
        "{changed}"
    );
    // Search knows the new name; Bob is still a member, and was told nothing.
    let found = app
        .gql(
            Some(&eve.access_token),
            "{ groups(filter: { search: \"blanches\" }, first: 5) { edges { node { name } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        found["data"]["groups"]["edges"][0]["node"]["name"], "Nuits blanches",
        "{found}"
    );
    assert!(
        roles_in(&app, &bob, &group)
            .await
            .contains(&"bob MEMBER".to_owned())
    );
    let bob_after = app.gql(Some(&bob.access_token), unread, json!({})).await;
    assert_eq!(bob_after, bob_before);
}

async fn groups_are_validated_and_names_unique(app: TestApp) {
    let ana = app.register("ana@example.org").await;
    let answer = app
        .gql(
            Some(&ana.access_token),
            CREATE_GROUP,
            json!({ "input": { "name": "  Nuits en réa ", "description": "", "topic": "night shifts", "visibility": "PRIVATE",
                               "language": "FR", "region": "Bretagne", "professions": ["NURSE", "CARE_AIDE", "NURSE"] } }),
        )
        .await;
    let group = &answer["data"]["createGroup"];
    assert_eq!(group["name"], "Nuits en réa");
    assert_eq!(group["language"], "fr");
    assert_eq!(group["memberCount"], 1);
    assert_eq!(
        group["viewerMembership"],
        json!({ "role": "FACILITATOR", "status": "ACTIVE" })
    );
    let mut professions: Vec<String> =
        serde_json::from_value(group["professions"].clone()).unwrap();
    professions.sort();
    assert_eq!(professions, ["CARE_AIDE", "NURSE"]);

    let duplicate = app
        .gql(
            Some(&ana.access_token),
            CREATE_GROUP,
            json!({ "input": group_input("NUITS EN RÉA", "PUBLIC") }),
        )
        .await;
    assert_eq!(error_code(&duplicate), "CONFLICT");

    let cases = [
        ("name", json!("ab")),
        ("name", json!("n".repeat(81))),
        ("description", json!("d".repeat(2001))),
        ("topic", json!("t")),
        ("topic", json!("t".repeat(41))),
        ("language", json!("french")),
        ("region", json!("r".repeat(81))),
    ];
    for (field, value) in cases {
        let mut input = group_input("Valid name", "PUBLIC");
        input[field] = value.clone();
        let answer = app
            .gql(
                Some(&ana.access_token),
                CREATE_GROUP,
                json!({ "input": input }),
            )
            .await;
        assert_eq!(error_code(&answer), "BAD_USER_INPUT", "{field} = {value}");
        assert_eq!(error_field(&answer), field, "{field} = {value}");
    }
    let anonymous = app
        .gql(
            None,
            CREATE_GROUP,
            json!({ "input": group_input("Valid name", "PUBLIC") }),
        )
        .await;
    assert_eq!(error_code(&anonymous), "UNAUTHENTICATED");
    let anonymous = app.gql(None, GROUPS, json!({})).await;
    assert_eq!(error_code(&anonymous), "UNAUTHENTICATED");
}

/// The professions a group is meant for are listed on its row by triggers: every way of reading
/// a group shows the same list, in order, after creation and after each change.
async fn a_groups_professions_read_alike_on_every_path_after_every_change(app: TestApp) {
    let ana = app.register("ana@example.org").await;
    let mut input = group_input("Sages-femmes de nuit", "PUBLIC");
    input["professions"] = json!(["NURSE", "MIDWIFE", "CARE_AIDE", "MIDWIFE"]);
    let group = create_group(&app, &ana, input).await;
    let read_everywhere = || async {
        let answer = app
            .gql(
                Some(&ana.access_token),
                "query($id: ID!) { group(id: $id) { professions memberCount }
                    groups(filter: { search: \"sages-femmes\" }, first: 5) { edges { node { professions } } }
                    myGroups { professions } }",
                json!({ "id": group }),
            )
            .await;
        let data = &answer["data"];
        assert_eq!(data["group"]["memberCount"], 1, "{answer}");
        let by_id = data["group"]["professions"].clone();
        assert_eq!(
            data["groups"]["edges"][0]["node"]["professions"], by_id,
            "{answer}"
        );
        assert_eq!(data["myGroups"][0]["professions"], by_id, "{answer}");
        by_id
    };
    assert_eq!(
        read_everywhere().await,
        json!(["CARE_AIDE", "MIDWIFE", "NURSE"])
    );

    let update = |professions: Value| {
        app.gql(
            Some(&ana.access_token),
            UPDATE_GROUP,
            json!({ "input": { "id": group, "professions": professions } }),
        )
    };
    let changed = update(json!(["PHARMACIST", "CARE_AIDE"])).await;
    assert_eq!(
        changed["data"]["updateGroup"]["professions"],
        json!(["CARE_AIDE", "PHARMACIST"]),
        "{changed}"
    );
    assert_eq!(read_everywhere().await, json!(["CARE_AIDE", "PHARMACIST"]));
    // A change of something else keeps them; an empty list opens the group to all.
    update_topic(&app, &ana, &group).await;
    assert_eq!(read_everywhere().await, json!(["CARE_AIDE", "PHARMACIST"]));
    let opened = update(json!([])).await;
    assert_eq!(
        opened["data"]["updateGroup"]["professions"],
        json!([]),
        "{opened}"
    );
    assert_eq!(read_everywhere().await, json!([]));
    // A bad profession is refused and changes nothing.
    let bad = update(json!(["NURSE", "ASTRONAUT"])).await;
    assert!(bad["errors"].is_array(), "{bad}");
    assert_eq!(read_everywhere().await, json!([]));
}

async fn update_topic(app: &TestApp, who: &Session, group: &str) {
    let answer = app
        .gql(
            Some(&who.access_token),
            UPDATE_GROUP,
            json!({ "input": { "id": group, "topic": "nights" } }),
        )
        .await;
    assert_eq!(answer["data"]["updateGroup"]["topic"], "nights", "{answer}");
}

async fn discovery_filters_searches_and_pages(app: TestApp) {
    let ana = app.register("ana@example.org").await;
    let nurses = json!({ "name": "Infirmières de nuit", "description": "Pour les équipes de NUIT.", "topic": "sommeil",
                          "visibility": "PRIVATE", "language": "fr", "region": "Bretagne", "professions": ["NURSE"] });
    let gps = json!({ "name": "GP peer support", "description": "Solo practice, 100% remote", "topic": "isolation",
                       "visibility": "PUBLIC", "language": "en", "professions": ["PHYSICIAN"] });
    let open = json!({ "name": "Tous soignants", "description": "Ouvert à toutes et tous.", "topic": "entraide",
                        "visibility": "PUBLIC", "language": "fr", "region": "Occitanie" });
    let nurses = create_group(&app, &ana, nurses).await;
    let gps = create_group(&app, &ana, gps).await;
    let open = create_group(&app, &ana, open).await;

    let names = |answer: &Value| -> Vec<String> {
        answer["data"]["groups"]["edges"]
            .as_array()
            .unwrap_or_else(|| panic!("{answer}"))
            .iter()
            .map(|edge| edge["node"]["id"].as_str().unwrap().to_owned())
            .collect()
    };
    let query =
        |filter: Value| app.gql(Some(&ana.access_token), GROUPS, json!({ "filter": filter }));
    assert_eq!(
        names(&query(json!({})).await),
        [open.clone(), gps.clone(), nurses.clone()],
        "newest first, private listed"
    );
    assert_eq!(
        names(&query(json!({ "search": "INFIRMIÈRES nuit" })).await),
        std::slice::from_ref(&nurses)
    );
    assert_eq!(
        names(&query(json!({ "search": "isolation" })).await),
        std::slice::from_ref(&gps)
    );
    assert_eq!(
        names(&query(json!({ "search": "100%" })).await),
        std::slice::from_ref(&gps),
        "% is literal"
    );
    assert_eq!(
        names(&query(json!({ "search": "_" })).await),
        Vec::<String>::new(),
        "_ is literal"
    );
    assert_eq!(
        names(&query(json!({ "language": "en" })).await),
        std::slice::from_ref(&gps)
    );
    assert_eq!(
        names(&query(json!({ "region": "Occitanie" })).await),
        std::slice::from_ref(&open)
    );
    assert_eq!(
        names(&query(json!({ "profession": "NURSE" })).await),
        [open.clone(), nurses.clone()],
        "groups without professions are open to all"
    );
    let bad = query(json!({ "language": "english" })).await;
    assert_eq!(error_field(&bad), "language");

    for index in 0..22 {
        create_group(
            &app,
            &ana,
            group_input(&format!("Groupe {index:02}"), "PUBLIC"),
        )
        .await;
    }
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let answer = app
            .gql(
                Some(&ana.access_token),
                GROUPS,
                json!({ "first": 10, "after": after }),
            )
            .await;
        seen.extend(names(&answer));
        let info = &answer["data"]["groups"]["pageInfo"];
        if info["hasNextPage"] == false {
            break;
        }
        after = info["endCursor"].as_str().map(str::to_owned);
    }
    assert_eq!(seen.len(), 25);
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 25, "no group twice across pages");
    let too_many = app
        .gql(Some(&ana.access_token), GROUPS, json!({ "first": 101 }))
        .await;
    assert_eq!(error_field(&too_many), "first");
}

async fn join_approve_remove_cycle(app: TestApp) {
    let facilitator = app.register("fac@example.org").await;
    let bea = app.register("bea@example.org").await;
    let public = create_group(&app, &facilitator, group_input("Groupe ouvert", "PUBLIC")).await;
    let private = create_group(&app, &facilitator, group_input("Groupe fermé", "PRIVATE")).await;

    let joined = join(&app, &bea, &public).await;
    assert_eq!(joined["data"]["joinGroup"]["status"], "ACTIVE");
    assert_eq!(joined["data"]["joinGroup"]["role"], "MEMBER");
    assert_eq!(error_code(&join(&app, &bea, &public).await), "CONFLICT");
    assert_eq!(
        error_code(&join(&app, &bea, "no-such-group").await),
        "NOT_FOUND"
    );

    let requested = join(&app, &bea, &private).await;
    assert_eq!(requested["data"]["joinGroup"]["status"], "PENDING");
    assert!(
        inbox_kinds(&app, &facilitator)
            .await
            .contains(&"GROUP_JOIN_REQUEST".to_owned())
    );
    let count = "query($id: ID!) { group(id: $id) { memberCount viewerMembership { status } } }";
    let answer = app
        .gql(Some(&bea.access_token), count, json!({ "id": private }))
        .await;
    assert_eq!(
        answer["data"]["group"],
        json!({ "memberCount": 1, "viewerMembership": { "status": "PENDING" } })
    );

    let pending = "query($id: ID!) { group(id: $id) { pendingRequests { user { id } status } } }";
    let answer = app
        .gql(
            Some(&facilitator.access_token),
            pending,
            json!({ "id": private }),
        )
        .await;
    assert_eq!(
        answer["data"]["group"]["pendingRequests"],
        json!([{ "user": { "id": bea.user_id }, "status": "PENDING" }])
    );
    let answer = app
        .gql(Some(&bea.access_token), pending, json!({ "id": private }))
        .await;
    assert_eq!(error_code(&answer), "FORBIDDEN");

    let approve = "mutation($group: ID!, $user: ID!) { approveMembership(groupId: $group, userId: $user) { status } }";
    let answer = app
        .gql(
            Some(&bea.access_token),
            approve,
            json!({ "group": private, "user": bea.user_id }),
        )
        .await;
    assert_eq!(error_code(&answer), "FORBIDDEN");
    let answer = app
        .gql(
            Some(&facilitator.access_token),
            approve,
            json!({ "group": private, "user": bea.user_id }),
        )
        .await;
    assert_eq!(answer["data"]["approveMembership"]["status"], "ACTIVE");
    assert!(
        inbox_kinds(&app, &bea)
            .await
            .contains(&"GROUP_JOIN_APPROVED".to_owned())
    );
    let answer = app
        .gql(Some(&bea.access_token), count, json!({ "id": private }))
        .await;
    assert_eq!(answer["data"]["group"]["memberCount"], 2);
    let mine = app
        .gql(Some(&bea.access_token), "{ myGroups { id } }", json!({}))
        .await;
    assert_eq!(mine["data"]["myGroups"].as_array().unwrap().len(), 2);

    // Removal: the member goes and needs approval to come back, even to a public group.
    let remove = "mutation($group: ID!, $user: ID!) { removeMember(groupId: $group, userId: $user, reason: \"hostile\") }";
    let answer = app
        .gql(
            Some(&bea.access_token),
            remove,
            json!({ "group": private, "user": facilitator.user_id }),
        )
        .await;
    assert_eq!(error_code(&answer), "FORBIDDEN");
    for group in [&private, &public] {
        let answer = app
            .gql(
                Some(&facilitator.access_token),
                remove,
                json!({ "group": group, "user": bea.user_id }),
            )
            .await;
        assert_eq!(answer["data"]["removeMember"], true);
        let again = join(&app, &bea, group).await;
        assert_eq!(again["data"]["joinGroup"]["status"], "PENDING", "{group}");
    }
    let answer = app
        .gql(
            Some(&facilitator.access_token),
            remove,
            json!({ "group": public, "user": "nobody" }),
        )
        .await;
    assert_eq!(error_field(&answer), "userId");
    let leave = "mutation($id: ID!) { leaveGroup(groupId: $id) }";
    let answer = app
        .gql(Some(&bea.access_token), leave, json!({ "id": public }))
        .await;
    assert_eq!(
        answer["data"]["leaveGroup"], true,
        "a pending request can be withdrawn"
    );
}

async fn the_last_facilitator_hands_over_before_leaving(app: TestApp) {
    let fac = app.register("fac@example.org").await;
    let bea = app.register("bea@example.org").await;
    let cle = app.register("cle@example.org").await;
    let group = create_group(&app, &fac, group_input("Passage de relais", "PUBLIC")).await;
    join(&app, &bea, &group).await;
    join(&app, &cle, &group).await;
    let set_role = "mutation($group: ID!, $user: ID!, $role: MemberRole!) { setMemberRole(groupId: $group, userId: $user, role: $role) { role } }";
    let answer = app
        .gql(
            Some(&bea.access_token),
            set_role,
            json!({ "group": group, "user": bea.user_id, "role": "FACILITATOR" }),
        )
        .await;
    assert_eq!(error_code(&answer), "FORBIDDEN");
    let answer = app
        .gql(
            Some(&fac.access_token),
            set_role,
            json!({ "group": group, "user": fac.user_id, "role": "MEMBER" }),
        )
        .await;
    assert_eq!(
        error_code(&answer),
        "CONFLICT",
        "the last facilitator cannot step down"
    );

    // Leaving, the last facilitator hands the role to the longest-standing member.
    let leave = "mutation($id: ID!) { leaveGroup(groupId: $id) }";
    let answer = app
        .gql(Some(&fac.access_token), leave, json!({ "id": group }))
        .await;
    assert_eq!(answer["data"]["leaveGroup"], true, "{answer}");
    assert_eq!(
        roles_in(&app, &cle, &group).await,
        ["bea FACILITATOR", "cle MEMBER"]
    );
    let answer = app
        .gql(Some(&bea.access_token), leave, json!({ "id": group }))
        .await;
    assert_eq!(answer["data"]["leaveGroup"], true);
    assert_eq!(roles_in(&app, &cle, &group).await, ["cle FACILITATOR"]);
    // Nobody left to take over: the last member cannot leave the group leaderless.
    let answer = app
        .gql(Some(&cle.access_token), leave, json!({ "id": group }))
        .await;
    assert_eq!(error_code(&answer), "CONFLICT");
    assert_eq!(roles_in(&app, &cle, &group).await, ["cle FACILITATOR"]);
}

/// Each active member's display name and role, oldest first, as `viewer` reads them.
pub async fn roles_in(app: &TestApp, viewer: &Session, group: &str) -> Vec<String> {
    let answer = app
        .gql(
            Some(&viewer.access_token),
            "query($id: ID!) { group(id: $id) { members { edges { node { role user { displayName } } } } } }",
            json!({ "id": group }),
        )
        .await;
    answer["data"]["group"]["members"]["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("{answer}"))
        .iter()
        .map(|edge| {
            let node = &edge["node"];
            format!(
                "{} {}",
                node["user"]["displayName"].as_str().unwrap(),
                node["role"].as_str().unwrap()
            )
        })
        .collect()
}

async fn only_active_members_reach_a_groups_content(app: TestApp) {
    let fac = app.register("fac@example.org").await;
    let outsider = app.register("out@example.org").await;
    let pending = app.register("pending@example.org").await;
    let group = create_group(&app, &fac, group_input("Cercle privé", "PRIVATE")).await;
    let other_group = create_group(&app, &fac, group_input("Autre cercle", "PUBLIC")).await;
    join(&app, &pending, &group).await;
    let first = post_id(&app, &fac, &group, "Bonjour à toutes et tous", None, false).await;
    let elsewhere = post_id(&app, &fac, &other_group, "Ailleurs", None, false).await;

    let fields = [
        "query($id: ID!) { group(id: $id) { posts { edges { node { id } } } } }",
        "query($id: ID!) { group(id: $id) { members { edges { node { user { id } } } } } }",
        "query($id: ID!) { group(id: $id) { pendingRequests { status } } }",
    ];
    for who in [&outsider, &pending] {
        for query in fields {
            let answer = app
                .gql(Some(&who.access_token), query, json!({ "id": group }))
                .await;
            assert_eq!(error_code(&answer), "FORBIDDEN", "{query}");
        }
        let answer = post(&app, who, &group, "Puis-je écrire ?", None, false).await;
        assert_eq!(error_code(&answer), "FORBIDDEN");
        for mutation in [
            "mutation($id: ID!) { deletePost(id: $id) }",
            "mutation($id: ID!) { reportPost(postId: $id, reason: \"spam\") }",
        ] {
            let answer = app
                .gql(Some(&who.access_token), mutation, json!({ "id": first }))
                .await;
            assert_eq!(error_code(&answer), "NOT_FOUND", "{mutation}");
        }
    }
    // The group itself stays discoverable.
    let answer = app
        .gql(
            Some(&outsider.access_token),
            "query($id: ID!) { group(id: $id) { name memberCount viewerMembership { status } } }",
            json!({ "id": group }),
        )
        .await;
    assert_eq!(
        answer["data"]["group"],
        json!({ "name": "Cercle privé", "memberCount": 1, "viewerMembership": null })
    );

    for (body, parent, field) in [
        ("", None, "body"),
        (&*"b".repeat(5001), None, "body"),
        ("Réponse", Some(elsewhere.as_str()), "parentId"),
        ("Réponse", Some("no-such-post"), "parentId"),
    ] {
        let answer = post(&app, &fac, &group, body, parent, false).await;
        assert_eq!(error_code(&answer), "BAD_USER_INPUT");
        assert_eq!(error_field(&answer), field);
    }
    let reply = post_id(&app, &fac, &group, "Une réponse", Some(&first), false).await;
    let answer = post(
        &app,
        &fac,
        &group,
        "Réponse à une réponse",
        Some(&reply),
        false,
    )
    .await;
    assert_eq!(error_field(&answer), "parentId", "one level of replies");
    assert_eq!(
        error_code(&post(&app, &fac, "no-such-group", "x", None, false).await),
        "NOT_FOUND"
    );
}

async fn posts_and_replies_page_count_and_notify(app: TestApp) {
    let ana = app.register("ana@example.org").await;
    let bob = app.register("bob@example.org").await;
    let group = create_group(&app, &ana, group_input("Pages et réponses", "PUBLIC")).await;
    join(&app, &bob, &group).await;
    let mut ids = Vec::new();
    for index in 0..25 {
        ids.push(post_id(&app, &ana, &group, &format!("Message {index}"), None, false).await);
    }
    let first_page = app
        .gql(Some(&bob.access_token), POSTS, json!({ "id": group }))
        .await;
    let posts = &first_page["data"]["group"]["posts"];
    assert_eq!(posts["edges"].as_array().unwrap().len(), 20);
    assert_eq!(
        posts["edges"][0]["node"]["body"], "Message 24",
        "newest first"
    );
    let rest = app
        .gql(
            Some(&bob.access_token),
            POSTS,
            json!({ "id": group, "after": posts["pageInfo"]["endCursor"] }),
        )
        .await;
    let rest = &rest["data"]["group"]["posts"];
    assert_eq!(rest["edges"].as_array().unwrap().len(), 5);
    assert_eq!(rest["edges"][4]["node"]["body"], "Message 0");
    assert_eq!(rest["pageInfo"]["hasNextPage"], false);

    let target = &ids[0];
    for index in 0..3 {
        post_id(
            &app,
            &bob,
            &group,
            &format!("Réponse {index}"),
            Some(target),
            false,
        )
        .await;
    }
    post_id(&app, &ana, &group, "Ma propre réponse", Some(target), false).await;
    let kinds = inbox_kinds(&app, &ana).await;
    assert_eq!(
        kinds.iter().filter(|kind| *kind == "POST_REPLY").count(),
        3,
        "no notice of one's own reply"
    );

    let replies = "query($id: ID!, $after: String) { group(id: $id) { posts(first: 1, after: $after) { edges { node { replyCount replies(first: 2) { edges { node { body } } pageInfo { hasNextPage } } } } } } }";
    let answer = app
        .gql(
            Some(&bob.access_token),
            replies,
            json!({ "id": group, "after": rest["edges"][3]["cursor"].clone() }),
        )
        .await;
    let node = &answer["data"]["group"]["posts"]["edges"][0]["node"];
    assert_eq!(node["replyCount"], 4);
    assert_eq!(
        node["replies"]["edges"],
        json!([{ "node": { "body": "Réponse 0" } }, { "node": { "body": "Réponse 1" } }]),
        "oldest first"
    );
    assert_eq!(node["replies"]["pageInfo"]["hasNextPage"], true);
}

async fn anonymous_posts_hide_their_author_from_everyone(app: TestApp) {
    let fac = app.register("fac@example.org").await;
    let author = app.register("author@example.org").await;
    let member = app.register("member@example.org").await;
    let moderator = app.register("mod@example.org").await;
    grant_role(&app.state.db, "mod@example.org", Role::Moderator)
        .await
        .unwrap();
    let group = create_group(&app, &fac, group_input("Parole libre", "PUBLIC")).await;
    join(&app, &author, &group).await;
    join(&app, &member, &group).await;

    let created = post(
        &app,
        &author,
        &group,
        "Je n'en peux plus des gardes.",
        None,
        true,
    )
    .await;
    assert_eq!(created["data"]["createPost"]["author"], json!(null));
    assert_eq!(created["data"]["createPost"]["viewerIsAuthor"], true);
    for viewer in [&member, &fac, &author] {
        let posts = group_posts(&app, viewer, &group).await;
        assert_eq!(posts[0]["author"], json!(null));
        assert_eq!(posts[0]["anonymous"], true);
        assert_eq!(posts[0]["viewerIsAuthor"], viewer.user_id == author.user_id);
    }
    let signed = post_id(&app, &author, &group, "Signé", None, false).await;
    assert_eq!(
        group_posts(&app, &member, &group).await[0]["author"]["id"],
        json!(author.user_id)
    );

    // The facilitator removes the anonymous post's author without learning who it is.
    let anonymous_id = created["data"]["createPost"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let remove = "mutation($id: ID!) { removePostAuthor(postId: $id, reason: \"harcèlement\") }";
    let answer = app
        .gql(
            Some(&member.access_token),
            remove,
            json!({ "id": anonymous_id }),
        )
        .await;
    assert_eq!(error_code(&answer), "FORBIDDEN");
    let answer = app
        .gql(
            Some(&fac.access_token),
            remove,
            json!({ "id": anonymous_id }),
        )
        .await;
    assert_eq!(answer["data"]["removePostAuthor"], true);
    // The author stays a member (nobody else sees a change) but may no longer post there.
    let answer = app
        .gql(Some(&author.access_token), POSTS, json!({ "id": group }))
        .await;
    assert!(answer["errors"].is_null(), "{answer}");
    let refused = post(&app, &author, &group, "Encore moi", None, true).await;
    assert_eq!(error_code(&refused), "FORBIDDEN");
    assert!(
        crate::helpers::error_message(&refused).contains("ne pouvez plus publier"),
        "{refused}"
    );
    assert_eq!(
        group_posts(&app, &member, &group).await.len(),
        1,
        "the post went too"
    );

    let log = "{ moderationLog { edges { node { action actor { id } targetUser { id } postId reason } } } }";
    let answer = app.gql(Some(&moderator.access_token), log, json!({})).await;
    let entry = &answer["data"]["moderationLog"]["edges"][0]["node"];
    assert_eq!(entry["action"], "REMOVE_POST_AUTHOR");
    assert_eq!(entry["actor"]["id"], json!(fac.user_id));
    assert_eq!(
        entry["targetUser"],
        json!(null),
        "nobody is shown an anonymous author"
    );
    assert_eq!(entry["reason"], "harcèlement");
    assert!(!answer.to_string().contains(&author.user_id));
    assert_eq!(
        group_posts(&app, &member, &group).await[0]["id"],
        json!(signed)
    );
}

async fn who_may_delete_a_post(app: TestApp) {
    let fac = app.register("fac@example.org").await;
    let author = app.register("author@example.org").await;
    let member = app.register("member@example.org").await;
    let moderator = app.register("mod@example.org").await;
    grant_role(&app.state.db, "mod@example.org", Role::Moderator)
        .await
        .unwrap();
    let group = create_group(&app, &fac, group_input("Qui supprime", "PUBLIC")).await;
    join(&app, &author, &group).await;
    join(&app, &member, &group).await;
    let delete = "mutation($id: ID!) { deletePost(id: $id) }";

    let own = post_id(&app, &author, &group, "À moi", None, false).await;
    let answer = app
        .gql(Some(&member.access_token), delete, json!({ "id": own }))
        .await;
    assert_eq!(error_code(&answer), "FORBIDDEN");
    let answer = app
        .gql(Some(&author.access_token), delete, json!({ "id": own }))
        .await;
    assert_eq!(answer["data"]["deletePost"], true);

    let by_fac = post_id(&app, &author, &group, "Pour l'animateur", None, false).await;
    let reply = post_id(&app, &member, &group, "Une réponse", Some(&by_fac), false).await;
    let answer = app
        .gql(Some(&fac.access_token), delete, json!({ "id": by_fac }))
        .await;
    assert_eq!(answer["data"]["deletePost"], true);
    let answer = app
        .gql(Some(&member.access_token), delete, json!({ "id": reply }))
        .await;
    assert_eq!(
        error_code(&answer),
        "NOT_FOUND",
        "replies go with their post"
    );

    let by_mod = post_id(&app, &author, &group, "Pour la modération", None, false).await;
    let answer = app
        .gql(
            Some(&moderator.access_token),
            delete,
            json!({ "id": by_mod }),
        )
        .await;
    assert_eq!(
        answer["data"]["deletePost"], true,
        "a MODERATOR needs no membership"
    );
    assert!(group_posts(&app, &member, &group).await.is_empty());
}

async fn reports_reach_moderators_and_actions_are_logged(app: TestApp) {
    let fac = app.register("fac@example.org").await;
    let member = app.register("member@example.org").await;
    let outsider = app.register("out@example.org").await;
    let moderator = app.register("mod@example.org").await;
    grant_role(&app.state.db, "mod@example.org", Role::Moderator)
        .await
        .unwrap();
    let group = create_group(&app, &fac, group_input("Signalements", "PUBLIC")).await;
    join(&app, &member, &group).await;
    let spam = post_id(&app, &fac, &group, "Achetez mes pilules", None, false).await;
    let worrying = post_id(&app, &fac, &group, "Je ne vois plus d'issue", None, true).await;

    let report = "mutation($id: ID!, $reason: String!, $category: ReportCategory) { reportPost(postId: $id, reason: $reason, category: $category) }";
    let answer = app
        .gql(
            Some(&member.access_token),
            report,
            json!({ "id": spam, "reason": "pub", "category": "SPAM" }),
        )
        .await;
    assert_eq!(answer["data"]["reportPost"], true);
    let answer = app
        .gql(
            Some(&member.access_token),
            report,
            json!({ "id": worrying, "reason": "inquiétant", "category": "AT_RISK" }),
        )
        .await;
    assert_eq!(answer["data"]["reportPost"], true);
    let answer = app
        .gql(
            Some(&member.access_token),
            report,
            json!({ "id": spam, "reason": "  " }),
        )
        .await;
    assert_eq!(error_field(&answer), "reason");
    let answer = app
        .gql(
            Some(&outsider.access_token),
            report,
            json!({ "id": spam, "reason": "x" }),
        )
        .await;
    assert_eq!(error_code(&answer), "NOT_FOUND");

    let queue = "{ openReports { edges { node { id category reason status post { body author { id } anonymous } } } } }";
    let answer = app.gql(Some(&fac.access_token), queue, json!({})).await;
    assert_eq!(
        error_code(&answer),
        "FORBIDDEN",
        "facilitators are not moderators"
    );
    let answer = app
        .gql(Some(&moderator.access_token), queue, json!({}))
        .await;
    let edges = answer["data"]["openReports"]["edges"].as_array().unwrap();
    assert_eq!(edges.len(), 2);
    assert_eq!(
        edges[0]["node"]["category"], "AT_RISK",
        "someone who may need help comes first"
    );
    assert_eq!(edges[0]["node"]["post"]["author"], json!(null));
    assert_eq!(edges[1]["node"]["category"], "SPAM");

    let resolve = "mutation($id: ID!) { resolveReport(id: $id, resolution: \"contacté, ressources envoyées\") { status resolution } }";
    let report_id = edges[0]["node"]["id"].clone();
    let answer = app
        .gql(
            Some(&member.access_token),
            resolve,
            json!({ "id": report_id }),
        )
        .await;
    assert_eq!(error_code(&answer), "FORBIDDEN");
    let answer = app
        .gql(
            Some(&moderator.access_token),
            resolve,
            json!({ "id": report_id }),
        )
        .await;
    assert_eq!(
        answer["data"]["resolveReport"],
        json!({ "status": "RESOLVED", "resolution": "contacté, ressources envoyées" })
    );
    let answer = app
        .gql(
            Some(&moderator.access_token),
            resolve,
            json!({ "id": report_id }),
        )
        .await;
    assert_eq!(error_code(&answer), "CONFLICT");
    let answer = app
        .gql(Some(&moderator.access_token), queue, json!({}))
        .await;
    assert_eq!(
        answer["data"]["openReports"]["edges"]
            .as_array()
            .unwrap()
            .len(),
        1
    );

    let log = "query($group: ID) { moderationLog(groupId: $group) { edges { node { action actor { id } reportId reason createdAt } } } }";
    let answer = app
        .gql(
            Some(&moderator.access_token),
            log,
            json!({ "group": group }),
        )
        .await;
    let entry = &answer["data"]["moderationLog"]["edges"][0]["node"];
    assert_eq!(entry["action"], "RESOLVE_REPORT");
    assert_eq!(entry["actor"]["id"], json!(moderator.user_id));
    assert_eq!(entry["reportId"], report_id);
    let answer = app
        .gql(Some(&member.access_token), log, json!({ "group": group }))
        .await;
    assert_eq!(error_code(&answer), "FORBIDDEN");
}

async fn blocked_people_disappear_from_the_blockers_view(app: TestApp) {
    let ana = app.register("ana@example.org").await;
    let bob = app.register("bob@example.org").await;
    let group = create_group(&app, &ana, group_input("Blocages", "PUBLIC")).await;
    join(&app, &bob, &group).await;
    let anas = post_id(&app, &ana, &group, "Question d'Ana", None, false).await;
    post_id(&app, &bob, &group, "Message de Bob", None, false).await;
    post_id(&app, &bob, &group, "Anonyme de Bob", None, true).await;
    post_id(&app, &bob, &group, "Réponse de Bob", Some(&anas), false).await;

    let block = "mutation($id: ID!) { blockUser(userId: $id) }";
    let answer = app
        .gql(Some(&ana.access_token), block, json!({ "id": bob.user_id }))
        .await;
    assert_eq!(answer["data"]["blockUser"], true);
    let bodies: Vec<Value> = group_posts(&app, &ana, &group)
        .await
        .iter()
        .map(|post| post["body"].clone())
        .collect();
    assert_eq!(
        bodies,
        [json!("Anonyme de Bob"), json!("Question d'Ana")],
        "anonymous posts stay, or blocking would unmask them"
    );
    let replies = "query($id: ID!) { group(id: $id) { posts { edges { node { body replies { edges { node { body } } } } } } } }";
    let reply_bodies = |answer: &Value| {
        answer["data"]["group"]["posts"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .find(|edge| edge["node"]["body"] == "Question d'Ana")
            .map(|edge| edge["node"]["replies"]["edges"].clone())
            .unwrap()
    };
    let answer = app
        .gql(Some(&ana.access_token), replies, json!({ "id": group }))
        .await;
    assert_eq!(
        reply_bodies(&answer),
        json!([]),
        "Bob's reply is hidden from Ana"
    );
    let answer = app
        .gql(Some(&bob.access_token), replies, json!({ "id": group }))
        .await;
    assert_eq!(
        reply_bodies(&answer),
        json!([{ "node": { "body": "Réponse de Bob" } }])
    );
    let all = group_posts(&app, &bob, &group).await;
    assert_eq!(all.len(), 3, "Bob still sees everything");

    let self_block = app
        .gql(Some(&ana.access_token), block, json!({ "id": ana.user_id }))
        .await;
    assert_eq!(error_field(&self_block), "userId");
    let unknown = app
        .gql(Some(&ana.access_token), block, json!({ "id": "nobody" }))
        .await;
    assert_eq!(error_code(&unknown), "NOT_FOUND");
    let unblock = "mutation($id: ID!) { unblockUser(userId: $id) }";
    let answer = app
        .gql(
            Some(&ana.access_token),
            unblock,
            json!({ "id": bob.user_id }),
        )
        .await;
    assert_eq!(answer["data"]["unblockUser"], true);
    assert_eq!(group_posts(&app, &ana, &group).await.len(), 3);
}

async fn group_pages_run_a_constant_number_of_statements(mut app: TestApp) {
    // The statement count is the whole pool's: the push dispatchers' polls would add to it.
    app.stop_background().await;
    let ana = app.register("ana@example.org").await;
    let bob = app.register("bob@example.org").await;
    let page = "query($first: Int) { groups(first: $first) { edges { node { id name professions memberCount viewerMembership { role } } } } }";
    let posts = "query($id: ID!, $first: Int) { group(id: $id) { posts(first: $first) { edges { node { id author { id displayName languages } replyCount } } } } }";
    let home = create_group(&app, &ana, group_input("Maison", "PUBLIC")).await;
    join(&app, &bob, &home).await;
    // A person holds at most 30 groups: the fifty are created by two people.
    let cleo = app.register("cleo@example.org").await;
    let creators = [&ana, &cleo];

    let statements = |app: &TestApp| app.state.db.statements_run();
    let mut measured = Vec::new();
    for size in [5usize, 50] {
        let existing = app
            .gql(
                Some(&ana.access_token),
                "{ groups(first: 100) { edges { node { id } } } }",
                json!({}),
            )
            .await;
        let have = existing["data"]["groups"]["edges"]
            .as_array()
            .unwrap()
            .len();
        for index in have..size {
            let input = json!({ "name": format!("Groupe {index:03}"), "description": "", "topic": "entraide",
                                "visibility": "PUBLIC", "language": "fr", "professions": ["NURSE"] });
            create_group(&app, creators[index % 2], input).await;
        }
        for index in group_posts(&app, &ana, &home).await.len()..size {
            let author = if index % 2 == 0 { &ana } else { &bob };
            post_id(&app, author, &home, &format!("Post {index}"), None, false).await;
        }
        // A batch starts once the page has nothing else to run (however the machine schedules
        // it, a list of more than 32 items yields midway), so every run costs the same.
        for _ in 0..3 {
            let before = statements(&app);
            let answer = app
                .gql(Some(&bob.access_token), page, json!({ "first": size }))
                .await;
            assert_eq!(
                answer["data"]["groups"]["edges"].as_array().unwrap().len(),
                size
            );
            let groups_cost = statements(&app) - before;
            let before = statements(&app);
            let answer = app
                .gql(
                    Some(&bob.access_token),
                    posts,
                    json!({ "id": home, "first": size }),
                )
                .await;
            assert_eq!(
                answer["data"]["group"]["posts"]["edges"]
                    .as_array()
                    .unwrap()
                    .len(),
                size
            );
            measured.push((groups_cost, statements(&app) - before));
        }
    }
    assert!(
        measured.iter().all(|cost| *cost == measured[0]),
        "statements for 5 items (three runs), then for 50 (groups, posts): {measured:?}"
    );
}

/// The subscribers a new post wakes read it together (the post, their memberships, their blocks,
/// their sessions, its author's profile): with thirty members, a post to all thirty subscribed
/// costs fewer statements more than one to three of them than there are extra subscribers.
async fn a_new_post_reaches_many_subscribers_in_a_few_statements(mut app: TestApp) {
    // The statement count is the whole pool's: the push dispatchers' polls would add to it.
    app.stop_background().await;
    let ana = app.register("ana@example.org").await;
    let group = create_group(&app, &ana, group_input("À l'écoute", "PUBLIC")).await;
    // The same members throughout, so that the post itself (its notices) costs the same.
    let mut members = Vec::new();
    for index in 0..30 {
        let member = app.register(&format!("member{index}@example.org")).await;
        join(&app, &member, &group).await;
        members.push(member);
    }
    let subscription = json!({
        "query": "subscription($id: ID!) { groupPosts(groupId: $id) { body author { displayName } } }",
        "variables": { "id": group } });
    let mut sockets = Vec::new();
    let mut costs = Vec::new();
    for subscribers in [3usize, 30] {
        while sockets.len() < subscribers {
            let member = &members[sockets.len()];
            let mut socket = subscribed_socket(&app, member, subscription.clone()).await;
            until_delivered(&mut socket, || async {
                post(&app, &ana, &group, "Bienvenue", None, false).await;
            })
            .await;
            sockets.push(socket);
        }
        // What the warm-up posts left in the earlier sockets.
        for socket in &mut sockets {
            while let Frame::Text(_) = next_frame(socket, Duration::from_millis(300)).await {}
        }
        let before = app.state.db.statements_run();
        post(&app, &ana, &group, "Qui est de nuit ?", None, false).await;
        for socket in &mut sockets {
            match next_frame(socket, Duration::from_secs(5)).await {
                Frame::Text(message) => assert_eq!(
                    message["payload"]["data"]["groupPosts"],
                    json!({ "body": "Qui est de nuit ?", "author": { "displayName": "ana" } })
                ),
                other => panic!("{other:?}"),
            }
        }
        costs.push(app.state.db.statements_run() - before);
    }
    assert!(
        costs[1] < costs[0] + 27,
        "statements for a post to 3, then to 30 subscribers: {costs:?}"
    );
}

async fn group_posts_arrive_live_to_members_only(app: TestApp) {
    let ana = app.register("ana@example.org").await;
    let bob = app.register("bob@example.org").await;
    let outsider = app.register("out@example.org").await;
    let group = create_group(&app, &ana, group_input("En direct", "PUBLIC")).await;
    join(&app, &bob, &group).await;

    let ws_url = format!("{}/graphql/ws", app.base_url.replace("http://", "ws://"));
    let open = |token: &str| {
        let url = ws_url.clone();
        let token = token.to_owned();
        let group = group.clone();
        async move {
            let mut request = url.into_client_request().unwrap();
            request.headers_mut().insert(
                "sec-websocket-protocol",
                "graphql-transport-ws".parse().unwrap(),
            );
            let (mut socket, _) = tokio_tungstenite::connect_async(request).await.unwrap();
            let init = json!({ "type": "connection_init", "payload": { "authorization": format!("Bearer {token}") } });
            socket
                .send(WsMessage::text(init.to_string()))
                .await
                .unwrap();
            socket.next().await.unwrap().unwrap();
            let subscribe = json!({ "id": "1", "type": "subscribe", "payload": {
                "query": "subscription($id: ID!) { groupPosts(groupId: $id) { body anonymous author { id } viewerIsAuthor } }",
                "variables": { "id": group } } });
            socket
                .send(WsMessage::text(subscribe.to_string()))
                .await
                .unwrap();
            socket
        }
    };

    let mut outsider_socket = open(&outsider.access_token).await;
    let refused: Value = serde_json::from_str(
        outsider_socket
            .next()
            .await
            .unwrap()
            .unwrap()
            .to_text()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(
        refused["payload"]["errors"][0]["extensions"]["code"], "FORBIDDEN",
        "{refused}"
    );

    let mut socket = open(&bob.access_token).await;
    // The subscription starts asynchronously: post until one arrives.
    let received = loop {
        post(&app, &ana, &group, "Quelqu'un est réveillé ?", None, true).await;
        match tokio::time::timeout(std::time::Duration::from_millis(500), socket.next()).await {
            Ok(Some(Ok(frame))) => {
                break serde_json::from_str::<Value>(frame.to_text().unwrap()).unwrap();
            }
            Ok(other) => panic!("socket ended: {other:?}"),
            Err(_) => continue,
        }
    };
    assert_eq!(
        received["payload"]["data"]["groupPosts"],
        json!({ "body": "Quelqu'un est réveillé ?", "anonymous": true, "author": null, "viewerIsAuthor": false })
    );
}

on_both_backends!(demo_seed_builds_groups_and_workshops_and_keeps_them_on_rerun);

async fn demo_seed_builds_groups_and_workshops_and_keeps_them_on_rerun(app: TestApp) {
    let first = relais::seed::demo(&app.state.db).await.unwrap();
    assert!(
        first.contains(&"created group Soignants de nuit".to_owned()),
        "{first:?}"
    );
    let second = relais::seed::demo(&app.state.db).await.unwrap();
    assert!(
        second.iter().all(|line| line.starts_with("kept")),
        "{second:?}"
    );

    let login = app
        .gql(
            None,
            "mutation { login(email: \"camille.martin@demo.relais.app\", password: \"relais-demo-2026\") { accessToken } }",
            json!({}),
        )
        .await;
    let token = login["data"]["login"]["accessToken"].as_str().unwrap();
    // Lists under myGroups (up to 200 groups) cost too much for one request: a page per group.
    let answer = app
        .gql(
            Some(token),
            "{ myGroups { id name language memberCount } }",
            json!({}),
        )
        .await;
    let groups = answer["data"]["myGroups"].as_array().unwrap();
    assert_eq!(groups.len(), 1);
    assert_eq!(groups[0]["name"], "Soignants de nuit");
    assert_eq!(groups[0]["memberCount"], 3);
    let answer = app
        .gql(
            Some(token),
            "query($id: ID!) { group(id: $id) { posts { edges { node { body anonymous author { displayName } replyCount } } } } }",
            json!({ "id": groups[0]["id"] }),
        )
        .await;
    let posts = answer["data"]["group"]["posts"]["edges"]
        .as_array()
        .unwrap();
    assert_eq!(posts.len(), 2);
    assert_eq!(posts[0]["node"]["anonymous"], true);
    assert_eq!(posts[0]["node"]["author"], json!(null));
    assert_eq!(posts[1]["node"]["replyCount"], 2);
    let all = app
        .gql(
            Some(token),
            "{ groups { edges { node { language visibility } } } }",
            json!({}),
        )
        .await;
    let languages: Vec<&str> = all["data"]["groups"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|edge| edge["node"]["language"].as_str().unwrap())
        .collect();
    assert!(languages.contains(&"fr") && languages.contains(&"en"));

    // Upcoming workshops of several techniques, the French meetup among them, with seats taken.
    assert!(
        first.contains(
            &"created workshop Rencontre interprofessionnelle de Rennes : se connaître en vrai"
                .to_owned()
        ),
        "{first:?}"
    );
    let listed = app
        .gql(
            Some(token),
            "{ workshops(first: 20) { edges { node { title technique language format confirmedCount } } } }",
            json!({}),
        )
        .await;
    let workshops: Vec<&Value> = listed["data"]["workshops"]["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("{listed}"))
        .iter()
        .map(|edge| &edge["node"])
        .collect();
    assert_eq!(workshops.len(), 4, "seeded once: {listed}");
    let techniques: std::collections::BTreeSet<&str> = workshops
        .iter()
        .map(|node| node["technique"].as_str().unwrap())
        .collect();
    assert_eq!(
        techniques,
        ["BALINT_GROUP", "BREATHING", "MINDFULNESS", "NETWORKING"].into()
    );
    let meetup = workshops
        .iter()
        .find(|node| node["technique"] == "NETWORKING")
        .unwrap();
    assert_eq!(
        (
            &meetup["language"],
            &meetup["format"],
            &meetup["confirmedCount"]
        ),
        (&json!("fr"), &json!("IN_PERSON"), &json!(1))
    );
    // Mentors across professions and areas: Camille finds several for burnout prevention.
    let matches = app
        .gql(
            Some(token),
            "{ mentorMatches(input: { areas: [BURNOUT_PREVENTION, STRESS_MANAGEMENT] }) {
                mentor { user { profession } } reasons } }",
            json!({}),
        )
        .await;
    let professions: std::collections::BTreeSet<&str> = matches["data"]["mentorMatches"]
        .as_array()
        .unwrap_or_else(|| panic!("{matches}"))
        .iter()
        .map(|found| found["mentor"]["user"]["profession"].as_str().unwrap())
        .collect();
    assert!(professions.len() >= 2, "{matches}");
    assert!(second.contains(&"kept mentor profile karim.psy@demo.relais.app".to_owned()));
    let mine = app
        .gql(
            Some(token),
            "{ myRegistrations { status workshop { title } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        mine["data"]["myRegistrations"].as_array().map(Vec::len),
        Some(2),
        "{mine}"
    );
}

on_both_backends!(erasing_the_last_facilitator_hands_the_group_over);

async fn erasing_the_last_facilitator_hands_the_group_over(app: TestApp) {
    let ana = app.register("ana@example.org").await;
    let bob = app.register("bob@example.org").await;
    let cleo = app.register("cleo@example.org").await;
    let group = create_group(&app, &ana, group_input("Relève assurée", "PUBLIC")).await;
    join(&app, &bob, &group).await;
    join(&app, &cleo, &group).await;
    post_id(&app, &ana, &group, "Message d'Ana", None, false).await;
    let answer = app
        .gql(
            Some(&ana.access_token),
            "mutation { deleteAccount(password: \"a long enough password\") }",
            json!({}),
        )
        .await;
    assert_eq!(answer["data"]["deleteAccount"], true);
    let role = "query($id: ID!) { group(id: $id) { memberCount viewerMembership { role } } }";
    let answer = app
        .gql(Some(&bob.access_token), role, json!({ "id": group }))
        .await;
    assert_eq!(
        answer["data"]["group"],
        json!({ "memberCount": 2, "viewerMembership": { "role": "FACILITATOR" } })
    );
    assert!(
        group_posts(&app, &bob, &group).await.is_empty(),
        "the erased person's posts went with them"
    );
}

/// Everything `viewer` can read about `group` and their own inbox, except the posts themselves.
async fn observable(app: &TestApp, viewer: &Session, group: &str) -> Value {
    let group_view = app
        .gql(
            Some(&viewer.access_token),
            "query($id: ID!) { group(id: $id) { memberCount
                members { edges { cursor node { role status createdAt user { id displayName } } } }
                pendingRequests { user { id } status createdAt } } }",
            json!({ "id": group }),
        )
        .await;
    let inbox = app
        .gql(
            Some(&viewer.access_token),
            "{ unreadNotificationCount notifications { edges { node { id kind title body } } } }",
            json!({}),
        )
        .await;
    json!({ "group": group_view, "inbox": inbox })
}

async fn moderating_an_anonymous_post_changes_nothing_others_can_see(app: TestApp) {
    let fac = app.register("fac@example.org").await;
    let author = app.register("author@example.org").await;
    let member = app.register("member@example.org").await;
    let pending = app.register("pending@example.org").await;
    let moderator = app.register("mod@example.org").await;
    grant_role(&app.state.db, "mod@example.org", Role::Moderator)
        .await
        .unwrap();
    let group = create_group(&app, &fac, group_input("Cercle discret", "PRIVATE")).await;
    for who in [&author, &member] {
        join(&app, who, &group).await;
        app.gql(
            Some(&fac.access_token),
            "mutation($group: ID!, $user: ID!) { approveMembership(groupId: $group, userId: $user) { status } }",
            json!({ "group": group, "user": who.user_id }),
        )
        .await;
    }
    join(&app, &pending, &group).await;
    let first = post_id(&app, &author, &group, "Je n'en peux plus", None, true).await;
    let second = post_id(&app, &author, &group, "Toujours moi", None, true).await;

    for (actor, post) in [(&fac, &first), (&moderator, &second)] {
        let before_fac = observable(&app, &fac, &group).await;
        let before_member = observable(&app, &member, &group).await;
        let log_before = app
            .gql(
                Some(&moderator.access_token),
                "{ moderationLog { edges { node { id } } } }",
                json!({}),
            )
            .await;
        let answer = app
            .gql(
                Some(&actor.access_token),
                "mutation($id: ID!) { removePostAuthor(postId: $id, reason: \"propos blessants\") }",
                json!({ "id": post }),
            )
            .await;
        assert_eq!(answer["data"]["removePostAuthor"], true, "{answer}");
        assert_eq!(observable(&app, &fac, &group).await, before_fac);
        assert_eq!(observable(&app, &member, &group).await, before_member);
        // The log gains one entry that names nobody but the moderator.
        let log = app
            .gql(
                Some(&moderator.access_token),
                "{ moderationLog { edges { node { action actor { id } targetUser { id } postId } } } }",
                json!({}),
            )
            .await;
        let entries = log["data"]["moderationLog"]["edges"].as_array().unwrap();
        assert_eq!(
            entries.len(),
            log_before["data"]["moderationLog"]["edges"]
                .as_array()
                .unwrap()
                .len()
                + 1
        );
        assert_eq!(entries[0]["node"]["targetUser"], json!(null));
        assert!(!log.to_string().contains(&author.user_id), "{log}");
    }
    // Only the author is told, and only the author is refused.
    let inbox = app
        .gql(
            Some(&author.access_token),
            "{ notifications { edges { node { kind } } } }",
            json!({}),
        )
        .await;
    let kinds: Vec<&str> = inbox["data"]["notifications"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|edge| edge["node"]["kind"].as_str())
        .collect();
    assert!(
        kinds.contains(&"POST_REMOVED_POSTING_SUSPENDED"),
        "{kinds:?}"
    );
    let refused = post(&app, &author, &group, "Et maintenant ?", None, false).await;
    assert_eq!(error_code(&refused), "FORBIDDEN");
    let allowed = post(&app, &member, &group, "Courage à tous", None, false).await;
    assert!(allowed["errors"].is_null(), "{allowed}");
}

async fn a_facilitator_cannot_silence_a_co_facilitator_through_an_anonymous_post(app: TestApp) {
    let fac = app.register("fac@example.org").await;
    let co = app.register("co@example.org").await;
    let moderator = app.register("mod@example.org").await;
    grant_role(&app.state.db, "mod@example.org", Role::Moderator)
        .await
        .unwrap();
    let group = create_group(&app, &fac, group_input("Co-animation", "PUBLIC")).await;
    join(&app, &co, &group).await;
    app.gql(
        Some(&fac.access_token),
        "mutation($group: ID!, $user: ID!) { setMemberRole(groupId: $group, userId: $user, role: FACILITATOR) { role } }",
        json!({ "group": group, "user": co.user_id }),
    )
    .await;
    let remove = "mutation($id: ID!) { removePostAuthor(postId: $id) }";
    let anonymous = post_id(&app, &co, &group, "Anonyme", None, true).await;
    let answer = app
        .gql(Some(&fac.access_token), remove, json!({ "id": anonymous }))
        .await;
    assert_eq!(answer["data"]["removePostAuthor"], true);
    assert_eq!(
        group_posts(&app, &fac, &group).await.len(),
        0,
        "the post went"
    );
    let still = post(&app, &co, &group, "Toujours là", None, false).await;
    assert!(
        still["errors"].is_null(),
        "the co-facilitator still posts: {still}"
    );
    assert_eq!(
        roles_in(&app, &fac, &group).await,
        ["fac FACILITATOR", "co FACILITATOR"]
    );

    // A moderator may: the co-facilitator stays a facilitator but no longer posts.
    let anonymous = post_id(&app, &co, &group, "Anonyme encore", None, true).await;
    let answer = app
        .gql(
            Some(&moderator.access_token),
            remove,
            json!({ "id": anonymous }),
        )
        .await;
    assert_eq!(answer["data"]["removePostAuthor"], true);
    let refused = post(&app, &co, &group, "Et là ?", None, false).await;
    assert_eq!(error_code(&refused), "FORBIDDEN");
    assert_eq!(
        roles_in(&app, &fac, &group).await,
        ["fac FACILITATOR", "co FACILITATOR"]
    );
}

async fn reports_of_one_post_all_show_it_and_one_member_reports_it_once(app: TestApp) {
    let fac = app.register("fac@example.org").await;
    let members = [
        app.register("one@example.org").await,
        app.register("two@example.org").await,
    ];
    let moderator = app.register("mod@example.org").await;
    grant_role(&app.state.db, "mod@example.org", Role::Moderator)
        .await
        .unwrap();
    let group = create_group(&app, &fac, group_input("Signalé deux fois", "PUBLIC")).await;
    let reported = post_id(&app, &fac, &group, "Publication signalée", None, false).await;
    let report = "mutation($id: ID!) { reportPost(postId: $id, reason: \"inapproprié\") }";
    for who in &members {
        join(&app, who, &group).await;
        let answer = app
            .gql(Some(&who.access_token), report, json!({ "id": reported }))
            .await;
        assert_eq!(answer["data"]["reportPost"], true, "{answer}");
    }
    let again = app
        .gql(
            Some(&members[0].access_token),
            report,
            json!({ "id": reported }),
        )
        .await;
    assert_eq!(error_code(&again), "CONFLICT");
    let queue = app
        .gql(
            Some(&moderator.access_token),
            "{ openReports { edges { node { post { id } } } } }",
            json!({}),
        )
        .await;
    let posts: Vec<&Value> = queue["data"]["openReports"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|edge| &edge["node"]["post"]["id"])
        .collect();
    assert_eq!(posts, [&json!(reported), &json!(reported)], "{queue}");
}

async fn a_blocked_persons_replies_do_not_notify_the_blocker(app: TestApp) {
    let ana = app.register("ana@example.org").await;
    let bob = app.register("bob@example.org").await;
    let group = create_group(&app, &ana, group_input("Bloqués", "PUBLIC")).await;
    join(&app, &bob, &group).await;
    let parent = post_id(&app, &ana, &group, "Une question", None, false).await;
    let replies = || async {
        let inbox = app
            .gql(
                Some(&ana.access_token),
                "{ notifications { edges { node { kind } } } }",
                json!({}),
            )
            .await;
        inbox["data"]["notifications"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|edge| edge["node"]["kind"] == "POST_REPLY")
            .count()
    };
    post_id(&app, &bob, &group, "Avant le blocage", Some(&parent), false).await;
    assert_eq!(replies().await, 1);
    app.block(&ana, &bob).await;
    post_id(&app, &bob, &group, "Après le blocage", Some(&parent), false).await;
    assert_eq!(
        replies().await,
        1,
        "a signed reply of a blocked person stays silent"
    );
    // An anonymous reply is shown to the blocker like any other, so it is told like any other:
    // staying silent would reveal who wrote it.
    post_id(&app, &bob, &group, "Anonyme", Some(&parent), true).await;
    assert_eq!(replies().await, 2);
}

async fn a_moderator_removing_the_last_facilitator_hands_the_group_over(app: TestApp) {
    let fac = app.register("fac@example.org").await;
    let bea = app.register("bea@example.org").await;
    let cle = app.register("cle@example.org").await;
    let moderator = app.register("mod@example.org").await;
    grant_role(&app.state.db, "mod@example.org", Role::Moderator)
        .await
        .unwrap();
    let remove =
        "mutation($group: ID!, $user: ID!) { removeMember(groupId: $group, userId: $user) }";
    let group = create_group(&app, &fac, group_input("Sans animateur ?", "PUBLIC")).await;
    join(&app, &bea, &group).await;
    join(&app, &cle, &group).await;
    let answer = app
        .gql(
            Some(&moderator.access_token),
            remove,
            json!({ "group": group, "user": fac.user_id }),
        )
        .await;
    assert_eq!(answer["data"]["removeMember"], true, "{answer}");
    assert_eq!(
        roles_in(&app, &bea, &group).await,
        ["bea FACILITATOR", "cle MEMBER"]
    );

    // Alone in a group, the facilitator cannot be removed: nobody would be left to lead it.
    let alone = create_group(&app, &fac, group_input("Seul", "PUBLIC")).await;
    let answer = app
        .gql(
            Some(&moderator.access_token),
            remove,
            json!({ "group": alone, "user": fac.user_id }),
        )
        .await;
    assert_eq!(error_code(&answer), "CONFLICT");
    assert_eq!(roles_in(&app, &fac, &alone).await, ["fac FACILITATOR"]);
}

async fn blocked_people_are_listed_for_unblocking(app: TestApp) {
    const BLOCK: &str = "mutation($id: ID!) { blockUser(userId: $id) }";
    const UNBLOCK: &str = "mutation($id: ID!) { unblockUser(userId: $id) }";
    const BLOCKED: &str = "query($after: String) { blockedUsers(first: 2, after: $after) {
        edges { cursor node { id displayName } } pageInfo { hasNextPage endCursor } } }";
    let camille = app.register("camille@example.org").await;
    let others = [
        app.register("ana@example.org").await,
        app.register("bea@example.org").await,
        app.register("cle@example.org").await,
    ];
    for other in &others {
        app.gql(
            Some(&camille.access_token),
            BLOCK,
            json!({ "id": other.user_id }),
        )
        .await;
    }
    // Being blocked shows nothing to the blocked person.
    let theirs = app
        .gql(
            Some(&others[0].access_token),
            BLOCKED,
            json!({ "after": null }),
        )
        .await;
    assert_eq!(
        theirs["data"]["blockedUsers"]["edges"],
        json!([]),
        "{theirs}"
    );

    let first = app
        .gql(
            Some(&camille.access_token),
            BLOCKED,
            json!({ "after": null }),
        )
        .await;
    let page = &first["data"]["blockedUsers"];
    assert_eq!(page["edges"].as_array().map(Vec::len), Some(2), "{first}");
    assert_eq!(page["pageInfo"]["hasNextPage"], true);
    let second = app
        .gql(
            Some(&camille.access_token),
            BLOCKED,
            json!({ "after": page["pageInfo"]["endCursor"] }),
        )
        .await;
    let mut names: Vec<String> = page["edges"]
        .as_array()
        .unwrap()
        .iter()
        .chain(second["data"]["blockedUsers"]["edges"].as_array().unwrap())
        .map(|edge| edge["node"]["displayName"].as_str().unwrap().to_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["ana", "bea", "cle"]);
    assert_eq!(
        second["data"]["blockedUsers"]["pageInfo"]["hasNextPage"],
        false
    );

    app.gql(
        Some(&camille.access_token),
        UNBLOCK,
        json!({ "id": others[1].user_id }),
    )
    .await;
    let after = app
        .gql(
            Some(&camille.access_token),
            "{ blockedUsers { edges { node { displayName } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        after["data"]["blockedUsers"]["edges"],
        json!([{ "node": { "displayName": "ana" } }, { "node": { "displayName": "cle" } }]),
        "{after}"
    );
    let bad = app
        .gql(
            Some(&camille.access_token),
            BLOCKED,
            json!({ "after": "not a cursor" }),
        )
        .await;
    assert_eq!(error_code(&bad), "BAD_USER_INPUT", "{bad}");
}
