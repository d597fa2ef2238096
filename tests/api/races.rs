//! Rules that depend on current state, hit by concurrent requests. SQLite serialises writers, so
//! these prove something only on PostgreSQL; they run on both all the same.

use futures_util::future::join_all;
use relais::accounts::model::Role;
use relais::accounts::service::grant_role;
use serde_json::{Value, json};

use crate::groups::{create_group, group_input, join, post_id, roles_in};
use crate::helpers::{Session, TestApp, error_code};

on_both_backends!(
    concurrent_refreshes_of_one_token_give_one_pair_and_end_the_session,
    facilitators_leaving_or_stepping_down_at_once_leave_the_group_led,
    a_report_resolved_twice_at_once_is_resolved_and_logged_once,
    concurrent_writes_of_one_row_get_what_a_single_request_gets,
    double_taps_on_settings_and_attendance_end_as_one_success,
    writes_racing_an_erasure_land_before_it_or_are_refused,
    member_counts_follow_every_way_in_and_out_even_at_once,
);

/// A group's `memberCount` (kept by triggers on memberships) and the members it lists.
async fn counted_and_listed(app: &TestApp, viewer: &Session, group: &str) -> (Value, usize) {
    let answer = app
        .gql(
            Some(&viewer.access_token),
            "query($id: ID!) { group(id: $id) { memberCount members(first: 100) { edges { cursor } } }
                groups(first: 100) { edges { node { id memberCount } } } }",
            json!({ "id": group }),
        )
        .await;
    let listed = answer["data"]["group"]["members"]["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("{answer}"))
        .len();
    let in_directory = answer["data"]["groups"]["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("{answer}"))
        .iter()
        .find(|edge| edge["node"]["id"] == group)
        .map(|edge| edge["node"]["memberCount"].clone());
    let counted = answer["data"]["group"]["memberCount"].clone();
    assert_eq!(
        in_directory,
        Some(counted.clone()),
        "the directory's count: {answer}"
    );
    (counted, listed)
}

/// The member count follows joining (at once too), approval, a withdrawn request, leaving,
/// removal and an erased account, and always equals the members listed.
async fn member_counts_follow_every_way_in_and_out_even_at_once(app: TestApp) {
    let lead = app.register("lead@example.org").await;
    let open = create_group(&app, &lead, group_input("Ouvert", "PUBLIC")).await;
    let closed = create_group(&app, &lead, group_input("Fermé", "PRIVATE")).await;
    let mut people = Vec::new();
    for index in 0..8 {
        people.push(app.register(&format!("p{index}@example.org")).await);
    }
    let joined = join_all(people.iter().map(|who| join(&app, who, &open))).await;
    assert!(
        joined
            .iter()
            .all(|answer| answer["data"]["joinGroup"]["status"] == "ACTIVE")
    );
    assert_eq!(counted_and_listed(&app, &lead, &open).await, (json!(9), 9));

    let approve =
        "mutation($g: ID!, $u: ID!) { approveMembership(groupId: $g, userId: $u) { status } }";
    for who in &people[..3] {
        join(&app, who, &closed).await;
    }
    assert_eq!(
        counted_and_listed(&app, &lead, &closed).await,
        (json!(1), 1),
        "pending"
    );
    let approved = join_all(people[..2].iter().map(|who| {
        app.gql(
            Some(&lead.access_token),
            approve,
            json!({ "g": closed, "u": who.user_id }),
        )
    }))
    .await;
    assert!(
        approved
            .iter()
            .all(|answer| answer["data"]["approveMembership"]["status"] == "ACTIVE")
    );
    let leave = "mutation($id: ID!) { leaveGroup(groupId: $id) }";
    let withdrawn = app
        .gql(
            Some(&people[2].access_token),
            leave,
            json!({ "id": closed }),
        )
        .await;
    assert_eq!(withdrawn["data"]["leaveGroup"], true, "{withdrawn}");
    assert_eq!(
        counted_and_listed(&app, &lead, &closed).await,
        (json!(3), 3)
    );

    let left = join_all(
        people[..3]
            .iter()
            .map(|who| app.gql(Some(&who.access_token), leave, json!({ "id": open }))),
    )
    .await;
    assert!(
        left.iter()
            .all(|answer| answer["data"]["leaveGroup"] == true)
    );
    let remove = "mutation($g: ID!, $u: ID!) { removeMember(groupId: $g, userId: $u, reason: \"hors sujet\") }";
    let removed = app
        .gql(
            Some(&lead.access_token),
            remove,
            json!({ "g": open, "u": people[3].user_id }),
        )
        .await;
    assert_eq!(removed["data"]["removeMember"], true, "{removed}");
    let erased = app
        .gql(
            Some(&people[4].access_token),
            "mutation { deleteAccount(password: \"a long enough password\") }",
            json!({}),
        )
        .await;
    assert_eq!(erased["data"]["deleteAccount"], true, "{erased}");
    assert_eq!(counted_and_listed(&app, &lead, &open).await, (json!(4), 4));
    assert_eq!(
        counted_and_listed(&app, &lead, &closed).await,
        (json!(3), 3)
    );
}

async fn writes_racing_an_erasure_land_before_it_or_are_refused(app: TestApp) {
    use diesel::prelude::*;
    use relais::db::schema::{checkins, posts};
    let lead = app.register("lead@example.org").await;
    let group = create_group(&app, &lead, group_input("Course", "PUBLIC")).await;
    for round in 0..8 {
        let email = format!("ana{round}@example.org");
        let first = app.register(&email).await;
        join(&app, &first, &group).await;
        // A second device: a session of its own.
        let login = app
            .gql(
                None,
                "mutation($e: String!) { login(email: $e, password: \"a long enough password\") { accessToken } }",
                json!({ "e": email }),
            )
            .await;
        let second = login["data"]["login"]["accessToken"]
            .as_str()
            .unwrap_or_else(|| panic!("{login}"))
            .to_owned();
        let erase = app.gql(
            Some(&first.access_token),
            "mutation { deleteAccount(password: \"a long enough password\") }",
            json!({}),
        );
        let checkin = app.gql(
            Some(&second),
            "mutation($g: ID!) { submitCheckin(input: { instrument: WHO5, answers: [1, 1, 1, 1, 1],
                shareWithGroupIds: [$g] }) { id } }",
            json!({ "g": group }),
        );
        let post = app.gql(
            Some(&second),
            "mutation($g: ID!) { createPost(input: { groupId: $g, body: \"Encore là\" }) { id } }",
            json!({ "g": group }),
        );
        let (erased, checkin, post) = futures_util::join!(erase, checkin, post);
        assert_eq!(erased["data"]["deleteAccount"], true, "{erased}");
        for answer in [&checkin, &post] {
            if !answer["errors"].is_null() {
                assert_eq!(error_code(answer), "UNAUTHENTICATED", "{answer}");
            }
        }
        // Whatever landed first was erased with the rest.
        let user = first.user_id.clone();
        let pseudonym = relais::privacy::pseudonym_of(
            &relais::ids::UserId::from_client(user.clone()),
            &app.state.secret,
        );
        let left: (i64, i64) = app
            .state
            .db
            .run(move |conn| {
                Ok((
                    checkins::table
                        .filter(checkins::pseudonym.eq(pseudonym))
                        .count()
                        .get_result(conn)?,
                    posts::table
                        .filter(posts::author_id.eq(user))
                        .count()
                        .get_result(conn)?,
                ))
            })
            .await
            .unwrap();
        assert_eq!(left, (0, 0), "round {round}");
    }
}

async fn double_taps_on_settings_and_attendance_end_as_one_success(app: TestApp) {
    let sam = app.register("sam@example.org").await;
    grant_role(&app.state.db, "sam@example.org", Role::PeerSupporter)
        .await
        .unwrap();
    for available in [false, true] {
        let answers = at_once(
            &app,
            Some(&sam),
            6,
            "mutation($a: Boolean!) { setSupporterAvailability(available: $a) }",
            json!({ "a": available }),
        )
        .await;
        assert_eq!(outcomes(&answers), (6, vec![]), "{answers:?}");
    }
    let answers = at_once(
        &app,
        Some(&sam),
        6,
        "mutation { setMentorshipSeeking(areas: [BURNOUT_PREVENTION, RESEARCH]) }",
        json!({}),
    )
    .await;
    assert_eq!(outcomes(&answers), (6, vec![]), "{answers:?}");
    let kept = app
        .gql(
            Some(&sam.access_token),
            "{ myMentorshipSeeking }",
            json!({}),
        )
        .await;
    assert_eq!(
        kept["data"]["myMentorshipSeeking"],
        json!(["BURNOUT_PREVENTION", "RESEARCH"]),
        "{kept}"
    );

    // Attendance recorded six times at once: one certificate code, which stays.
    let ana = crate::workshops::organiser(&app, "ana@example.org").await;
    let id =
        crate::workshops::scheduled_id(&app, &ana, crate::workshops::workshop_input("Souffle", 5))
            .await;
    crate::workshops::register(&app, &sam, &id).await;
    crate::workshops::age(&app, &id, chrono::Duration::days(3)).await;
    let record = "mutation($w: ID!, $u: ID!) { recordAttendance(workshopId: $w, userId: $u, attended: true) { attended } }";
    let variables = json!({ "w": id, "u": sam.user_id });
    let answers = at_once(&app, Some(&ana), 6, record, variables.clone()).await;
    assert_eq!(outcomes(&answers), (6, vec![]), "{answers:?}");
    let code = || async {
        let hours = app
            .gql(
                Some(&sam.access_token),
                "query($from: DateTime!, $to: DateTime!) { myAttendedWorkshops(from: $from, to: $to) { records { verificationCode } } }",
                json!({ "from": (chrono::Utc::now() - chrono::Duration::days(30)).to_rfc3339(),
                        "to": chrono::Utc::now().to_rfc3339() }),
            )
            .await;
        hours["data"]["myAttendedWorkshops"]["records"][0]["verificationCode"]
            .as_str()
            .unwrap_or_else(|| panic!("{hours}"))
            .to_owned()
    };
    let first = code().await;
    let verified = app
        .http
        .get(format!("{}/certificates/{first}", app.base_url))
        .send()
        .await
        .unwrap();
    assert_eq!(verified.status(), 200);
    at_once(&app, Some(&ana), 6, record, variables).await;
    assert_eq!(code().await, first, "a code once issued stays");
}

/// The same operation `times` times at once, by `who`.
async fn at_once(
    app: &TestApp,
    who: Option<&Session>,
    times: usize,
    query: &str,
    variables: Value,
) -> Vec<Value> {
    let token = who.map(|session| session.access_token.as_str());
    join_all((0..times).map(|_| app.gql(token, query, variables.clone()))).await
}

/// How many answers succeeded, and every error code among the others.
fn outcomes(answers: &[Value]) -> (usize, Vec<String>) {
    let successes = answers
        .iter()
        .filter(|answer| answer["errors"].is_null())
        .count();
    let codes = answers
        .iter()
        .filter(|answer| !answer["errors"].is_null())
        .map(|answer| error_code(answer).to_owned())
        .collect();
    (successes, codes)
}

async fn concurrent_refreshes_of_one_token_give_one_pair_and_end_the_session(app: TestApp) {
    for round in 0..5 {
        let session = app.register(&format!("ana{round}@example.org")).await;
        let answers = at_once(
            &app,
            None,
            8,
            "mutation($token: String!) { refreshSession(refreshToken: $token) { accessToken } }",
            json!({ "token": session.refresh_token }),
        )
        .await;
        let (successes, codes) = outcomes(&answers);
        assert_eq!(successes, 1, "{answers:?}");
        assert!(
            codes.iter().all(|code| code == "UNAUTHENTICATED"),
            "{codes:?}"
        );
        // The others were replays: the session, the winner's new pair included, is over.
        let winner = answers
            .iter()
            .find_map(|answer| answer["data"]["refreshSession"]["accessToken"].as_str())
            .unwrap();
        let me = app.gql(Some(winner), "{ me { email } }", json!({})).await;
        assert_eq!(error_code(&me), "UNAUTHENTICATED");
    }
}

/// A public group `name` led by `leads` (the first creates it and promotes the second), which
/// `member` joins as well.
async fn group_with_two_facilitators(
    app: &TestApp,
    name: &str,
    leads: [&Session; 2],
    member: &Session,
) -> String {
    let group = create_group(app, leads[0], group_input(name, "PUBLIC")).await;
    join(app, leads[1], &group).await;
    join(app, member, &group).await;
    app.gql(
        Some(&leads[0].access_token),
        SET_ROLE,
        json!({ "group": group, "user": leads[1].user_id, "role": "FACILITATOR" }),
    )
    .await;
    group
}

const SET_ROLE: &str = "mutation($group: ID!, $user: ID!, $role: MemberRole!) {
    setMemberRole(groupId: $group, userId: $user, role: $role) { role } }";

async fn facilitators_leaving_or_stepping_down_at_once_leave_the_group_led(app: TestApp) {
    let ana = app.register("ana@example.org").await;
    let bea = app.register("bea@example.org").await;
    let cle = app.register("cle@example.org").await;
    for round in 0..4 {
        // Both facilitators step down at once: one of them stays.
        let name = format!("Relais {round}");
        let group = group_with_two_facilitators(&app, &name, [&ana, &bea], &cle).await;
        let steps = join_all([&ana, &bea].map(|who| {
            app.gql(
                Some(&who.access_token),
                SET_ROLE,
                json!({ "group": group, "user": who.user_id, "role": "MEMBER" }),
            )
        }))
        .await;
        let (successes, codes) = outcomes(&steps);
        assert_eq!((successes, codes), (1, vec!["CONFLICT".to_owned()]));
        let facilitators = roles_in(&app, &cle, &group)
            .await
            .into_iter()
            .filter(|role| role.ends_with("FACILITATOR"))
            .count();
        assert_eq!(facilitators, 1);

        // Both facilitators leave at once: the remaining member takes over.
        let name = format!("Départs {round}");
        let group = group_with_two_facilitators(&app, &name, [&ana, &bea], &cle).await;
        let leaves = join_all([&ana, &bea].map(|who| {
            app.gql(
                Some(&who.access_token),
                "mutation($id: ID!) { leaveGroup(groupId: $id) }",
                json!({ "id": group }),
            )
        }))
        .await;
        assert_eq!(outcomes(&leaves).0, 2, "{leaves:?}");
        assert_eq!(roles_in(&app, &cle, &group).await, ["cle FACILITATOR"]);
    }
}

/// Two accounts with the MODERATOR role.
async fn two_moderators(app: &TestApp) -> [Session; 2] {
    let emails = ["mod1@example.org", "mod2@example.org"];
    let moderators = [app.register(emails[0]).await, app.register(emails[1]).await];
    for email in emails {
        grant_role(&app.state.db, email, Role::Moderator)
            .await
            .unwrap();
    }
    moderators
}

async fn a_report_resolved_twice_at_once_is_resolved_and_logged_once(app: TestApp) {
    let fac = app.register("fac@example.org").await;
    let moderators = two_moderators(&app).await;
    let group = create_group(&app, &fac, group_input("Signalements", "PUBLIC")).await;
    let post = post_id(&app, &fac, &group, "À signaler", None, false).await;
    app.gql(
        Some(&fac.access_token),
        "mutation($id: ID!) { reportPost(postId: $id, reason: \"test\") }",
        json!({ "id": post }),
    )
    .await;
    let reports = app
        .gql(
            Some(&moderators[0].access_token),
            "{ openReports { edges { node { id } } } }",
            json!({}),
        )
        .await;
    let report = reports["data"]["openReports"]["edges"][0]["node"]["id"].clone();
    let resolve = "mutation($id: ID!) { resolveReport(id: $id, resolution: \"vu\") { status } }";
    let answers = join_all(
        moderators
            .iter()
            .chain(moderators.iter())
            .map(|who| app.gql(Some(&who.access_token), resolve, json!({ "id": report }))),
    )
    .await;
    let (successes, codes) = outcomes(&answers);
    assert_eq!(successes, 1, "{answers:?}");
    assert!(codes.iter().all(|code| code == "CONFLICT"), "{codes:?}");
    let log = app
        .gql(
            Some(&moderators[0].access_token),
            "{ moderationLog { edges { node { action } } } }",
            json!({}),
        )
        .await;
    let resolutions = log["data"]["moderationLog"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|edge| edge["node"]["action"] == "RESOLVE_REPORT")
        .count();
    assert_eq!(resolutions, 1);
}

async fn concurrent_writes_of_one_row_get_what_a_single_request_gets(app: TestApp) {
    let ana = app.register("ana@example.org").await;
    let bob = app.register("bob@example.org").await;
    let moderators = two_moderators(&app).await;

    // One device token registered six times at once: one device.
    let answers = at_once(
        &app,
        Some(&ana),
        6,
        "mutation { registerDevice(token: \"fcm-race\", platform: ANDROID) { id } }",
        json!({}),
    )
    .await;
    assert_eq!(outcomes(&answers), (6, vec![]), "{answers:?}");
    let devices = app
        .gql(Some(&ana.access_token), "{ myDevices { id } }", json!({}))
        .await;
    assert_eq!(devices["data"]["myDevices"].as_array().unwrap().len(), 1);

    // Four preference changes at once, each of one field: all four are kept.
    let fields = ["groupActivity", "mentorship", "workshop", "checkinReminder"];
    let answers = join_all(fields.map(|field| {
        app.gql(
            Some(&ana.access_token),
            "mutation($input: NotificationPreferencesInput!) {
                updateNotificationPreferences(input: $input) { groupActivity } }",
            json!({ "input": { field: false } }),
        )
    }))
    .await;
    assert_eq!(outcomes(&answers), (4, vec![]), "{answers:?}");
    let preferences = app
        .gql(
            Some(&ana.access_token),
            "{ notificationPreferences { groupActivity mentorship workshop checkinReminder } }",
            json!({}),
        )
        .await;
    assert_eq!(
        preferences["data"]["notificationPreferences"],
        json!({ "groupActivity": false, "mentorship": false, "workshop": false, "checkinReminder": false })
    );

    // One block six times at once: blocked once, the others find it done.
    let answers = at_once(
        &app,
        Some(&ana),
        6,
        "mutation($id: ID!) { blockUser(userId: $id) }",
        json!({ "id": bob.user_id }),
    )
    .await;
    assert_eq!(outcomes(&answers), (6, vec![]), "{answers:?}");
    let newly = answers
        .iter()
        .filter(|answer| answer["data"]["blockUser"] == true)
        .count();
    assert_eq!(newly, 1);

    // Joining four times at once: one membership, the others CONFLICT.
    let group = create_group(&app, &ana, group_input("Course", "PUBLIC")).await;
    let answers = at_once(
        &app,
        Some(&bob),
        4,
        "mutation($id: ID!) { joinGroup(groupId: $id) { status } }",
        json!({ "id": group }),
    )
    .await;
    let (successes, codes) = outcomes(&answers);
    assert_eq!(successes, 1, "{answers:?}");
    assert_eq!(codes, ["CONFLICT"; 3]);

    // Two moderators remove the same member at once: removed once; the other is told they are
    // not a member any more, as a second request would be.
    let answers = join_all(moderators.iter().map(|who| {
        app.gql(
            Some(&who.access_token),
            "mutation($group: ID!, $user: ID!) { removeMember(groupId: $group, userId: $user) }",
            json!({ "group": group, "user": bob.user_id }),
        )
    }))
    .await;
    let (successes, codes) = outcomes(&answers);
    assert_eq!((successes, codes), (1, vec!["BAD_USER_INPUT".to_owned()]));
    assert_eq!(roles_in(&app, &ana, &group).await, ["ana FACILITATOR"]);
}
