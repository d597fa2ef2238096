//! What one request may cost and carry: per-field costs, aliases, error output, control
//! characters, forged cursors, Unicode forms and look-alike names.

use futures_util::future::join_all;
use serde_json::{Value, json};

use crate::groups::{create_group, group_input, join, post_id};
use crate::helpers::{TestApp, error_code, error_field};

on_both_backends!(
    the_costliest_requests_the_limits_accept_run_a_few_hundred_statements,
    aliases_and_error_output_are_capped,
    control_characters_are_refused_wherever_they_come_from,
    cursors_the_server_did_not_issue_are_refused,
    searches_match_whatever_the_unicode_form,
    names_refuse_invisible_and_direction_changing_characters,
    one_session_runs_a_few_requests_at_once,
);

on_both_backends!(
    with(|config| config.statement_timeout = crate::limits::STATEMENT_TIMEOUT) =>
    a_statement_past_the_timeout_is_stopped_and_the_server_answers_on,
);

/// Most SQL statements a request the limits accept may run.
const STATEMENT_BUDGET: u64 = 300;

async fn the_costliest_requests_the_limits_accept_run_a_few_hundred_statements(mut app: TestApp) {
    // The statement count is the whole pool's: the push dispatchers' polls would add to it.
    app.stop_background().await;
    let ana = app.register("ana@example.org").await;
    let bea = app.register("bea@example.org").await;
    let mut groups = Vec::new();
    for index in 0..3 {
        let group = create_group(
            &app,
            &ana,
            group_input(&format!("Coûteux {index}"), "PUBLIC"),
        )
        .await;
        join(&app, &bea, &group).await;
        groups.push(group);
    }
    let group = &groups[0];
    let bodies: Vec<String> = (0..40).map(|index| format!("Post {index}")).collect();
    let posts = join_all(
        bodies
            .iter()
            .map(|body| post_id(&app, &ana, group, body, None, false)),
    )
    .await;
    join_all(posts.iter().flat_map(|parent| {
        [&ana, &bea].map(|who| post_id(&app, who, group, "Réponse", Some(parent), false))
    }))
    .await;

    let replies = "replies(first: $replies) { edges { node { id author { displayName } } } }";
    let nested = format!(
        "posts(first: $posts) {{ edges {{ node {{ id body author {{ displayName }} replyCount {replies} }} }} }}"
    );
    let aliased_groups: String = (0..3)
        .map(|index| format!("g{index}: group(id: $id) {{ {nested} }} "))
        .collect();
    let sixty: String = (0..60)
        .map(|index| {
            format!("a{index}: myGroups {{ posts(first: 100) {{ edges {{ node {{ replies(first: 100) {{ edges {{ node {{ id }} }} }} }} }} }} }} ")
        })
        .collect();
    // A group's wellbeing under thirty aliases: each costs by the points its span holds.
    let wellbeing: String = (0..30)
        .map(|index| {
            format!("w{index}: groupWellbeing(groupId: $id, instrument: WHO5, weeks: $posts) {{ weekStart averageScore margin reason }} ")
        })
        .collect();
    let cases = [
        format!("query($id: ID!, $posts: Int, $replies: Int) {{ group(id: $id) {{ {nested} }} }}"),
        format!("query($id: ID!, $posts: Int, $replies: Int) {{ {aliased_groups} }}"),
        "query($posts: Int) { myGroups { posts(first: $posts) { edges { node { id } } } } }".to_owned(),
        "query($posts: Int) { groups(first: $posts) { edges { node { memberCount viewerMembership { role }
            members(first: 5) { edges { node { user { displayName } } } } } } } }"
            .to_owned(),
        format!("{{ {sixty} }}"),
        format!("query($id: ID!, $posts: Int) {{ {wellbeing} }}"),
    ];
    let (mut accepted, mut most) = (0, 0);
    for query in &cases {
        for (posts, replies) in [(100, 100), (100, 2), (40, 2), (20, 2), (10, 1), (1, 1)] {
            let before = app.state.db.statements_run();
            let answer = app
                .gql(
                    Some(&bea.access_token),
                    query,
                    json!({ "id": group, "posts": posts, "replies": replies }),
                )
                .await;
            let statements = app.state.db.statements_run() - before;
            if answer["errors"].is_null() {
                accepted += 1;
                most = most.max(statements);
                assert!(
                    statements <= STATEMENT_BUDGET,
                    "{statements} statements for ({posts}, {replies}): {query}"
                );
            } else {
                assert_eq!(error_code(&answer), "BAD_USER_INPUT", "{answer}");
                assert!(statements <= 5, "refused before running: {statements}");
            }
        }
    }
    assert!(accepted >= 6, "the limits still accept everyday requests");
    eprintln!("{accepted} accepted requests; the costliest ran {most} statements");
}

async fn aliases_and_error_output_are_capped(app: TestApp) {
    let aliases = |count: usize| -> String {
        let fields: String = (0..count)
            .map(|index| format!("a{index}: unreadNotificationCount "))
            .collect();
        format!("{{ {fields} }}")
    };
    let refused = app.gql(None, &aliases(31), json!({})).await;
    assert_eq!(error_code(&refused), "BAD_USER_INPUT");
    assert!(
        refused["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("30"),
        "{refused}"
    );
    // Thirty aliases each failing (no token): twenty errors, then one that counts the rest.
    let answer = app.gql(None, &aliases(30), json!({})).await;
    let errors = answer["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 21, "{answer}");
    assert_eq!(errors[0]["extensions"]["code"], "UNAUTHENTICATED");
    assert!(
        errors[20]["message"].as_str().unwrap().contains("10"),
        "{answer}"
    );
}

async fn control_characters_are_refused_wherever_they_come_from(app: TestApp) {
    let ana = app.register("ana@example.org").await;
    let group = create_group(&app, &ana, group_input("Sans contrôle", "PUBLIC")).await;
    let cases = [
        // In a variable, inside an input object.
        (
            "mutation($input: CreatePostInput!) { createPost(input: $input) { id } }",
            json!({ "input": { "groupId": group, "body": "nul\u{0}byte" } }),
            "input",
        ),
        // Written in the query itself, as an escape.
        (
            "{ groups(filter: { search: \"a\\u0000b\" }) { edges { cursor } } }",
            json!({}),
            "filter",
        ),
        // An id (PostgreSQL would refuse it with an internal error).
        (
            "query($id: ID!) { group(id: $id) { id } }",
            json!({ "id": "x\u{0}" }),
            "id",
        ),
        // A carriage return or an escape character in a name.
        (
            "mutation { updateProfile(input: { displayName: \"Ana\\u001b[31m\" }) { email } }",
            json!({}),
            "input",
        ),
    ];
    for (query, variables, field) in cases {
        let answer = app.gql(Some(&ana.access_token), query, variables).await;
        assert_eq!(error_code(&answer), "BAD_USER_INPUT", "{answer}");
        assert_eq!(error_field(&answer), field, "{answer}");
    }
    // Newlines and tabs are text.
    let answer = app
        .gql(
            Some(&ana.access_token),
            "mutation($input: CreatePostInput!) { createPost(input: $input) { body } }",
            json!({ "input": { "groupId": group, "body": "ligne 1\n\tligne 2" } }),
        )
        .await;
    assert_eq!(answer["data"]["createPost"]["body"], "ligne 1\n\tligne 2");
}

async fn cursors_the_server_did_not_issue_are_refused(app: TestApp) {
    let ana = app.register("ana@example.org").await;
    let group = create_group(&app, &ana, group_input("Curseurs", "PUBLIC")).await;
    for index in 0..3 {
        post_id(&app, &ana, &group, &format!("Post {index}"), None, false).await;
    }
    let posts =
        "query($id: ID!, $after: String) { group(id: $id) { posts(first: 1, after: $after) {
        edges { node { id } } pageInfo { endCursor } } } }";
    let first = app
        .gql(Some(&ana.access_token), posts, json!({ "id": group }))
        .await;
    let issued = first["data"]["group"]["posts"]["pageInfo"]["endCursor"].clone();
    let next = app
        .gql(
            Some(&ana.access_token),
            posts,
            json!({ "id": group, "after": issued }),
        )
        .await;
    assert!(next["errors"].is_null(), "{next}");
    use base64::Engine;
    let forged = |key: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(key);
    for cursor in [
        "not base64 at all!".to_owned(),
        forged("garbage"),
        forged("1:019aa1b2-0000-7000-8000-000000000000"),
        forged("019AA1B2-0000-7000-8000-000000000000"),
    ] {
        let answer = app
            .gql(
                Some(&ana.access_token),
                posts,
                json!({ "id": group, "after": cursor }),
            )
            .await;
        assert_eq!(error_code(&answer), "BAD_USER_INPUT", "{cursor}: {answer}");
        assert_eq!(error_field(&answer), "after");
    }
    let reports = app
        .gql(
            Some(&ana.access_token),
            "query($after: String) { notifications(after: $after) { edges { cursor } } }",
            json!({ "after": forged("garbage") }),
        )
        .await;
    assert_eq!(error_code(&reports), "BAD_USER_INPUT");
}

async fn searches_match_whatever_the_unicode_form(app: TestApp) {
    let ana = app.register("ana@example.org").await;
    // Created with a decomposed "é" (e + combining acute), searched with a precomposed one.
    create_group(
        &app,
        &ana,
        group_input("Equipe de nuit e\u{301}puise\u{301}e", "PUBLIC"),
    )
    .await;
    let search = |text: &'static str| {
        let token = ana.access_token.clone();
        let app = &app;
        async move {
            let answer = app
                .gql(
                    Some(&token),
                    "query($search: String) { groups(filter: { search: $search }) { edges { node { name } } } }",
                    json!({ "search": text }),
                )
                .await;
            answer["data"]["groups"]["edges"].as_array().unwrap().len()
        }
    };
    assert_eq!(search("\u{e9}puis\u{e9}e").await, 1);
    assert_eq!(search("e\u{301}puise\u{301}e").await, 1);
    assert_eq!(search("\u{c9}PUIS\u{c9}E").await, 1);
}

async fn names_refuse_invisible_and_direction_changing_characters(app: TestApp) {
    let ana = app.register("ana@example.org").await;
    for name in ["Ana\u{202e}nimda", "A\u{200b}na", "\u{2066}Ana"] {
        let answer = app
            .gql(
                Some(&ana.access_token),
                "mutation($name: String) { updateProfile(input: { displayName: $name }) { email } }",
                json!({ "name": name }),
            )
            .await;
        assert_eq!(error_code(&answer), "BAD_USER_INPUT", "{name:?}");
        assert_eq!(error_field(&answer), "displayName");
        let answer = app
            .gql(
                Some(&ana.access_token),
                "mutation($input: CreateGroupInput!) { createGroup(input: $input) { id } }",
                json!({ "input": group_input(name, "PUBLIC") }),
            )
            .await;
        assert_eq!(error_field(&answer), "name", "{name:?}");
    }
    let answer: Value = app
        .gql(
            Some(&ana.access_token),
            "mutation { updateProfile(input: { displayName: \"Ana \u{1F469}\u{200D}\u{2695}\u{FE0F}\" }) { user { displayName } } }",
            json!({}),
        )
        .await;
    assert!(
        answer["errors"].is_null(),
        "an emoji sequence is a name: {answer}"
    );
}

/// A session with its four turns taken waits, then is refused (RATE_LIMITED, 429); another
/// person is not held meanwhile, and a freed turn lets the session in again.
async fn one_session_runs_a_few_requests_at_once(app: TestApp) {
    let ana = app.register("ana@example.org").await;
    let bob = app.register("bob@example.org").await;
    let sessions = app
        .gql(
            Some(&ana.access_token),
            "{ mySessions { id current } }",
            json!({}),
        )
        .await;
    let current = sessions["data"]["mySessions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|session| session["current"] == true)
        .map(|session| session["id"].as_str().unwrap().to_owned())
        .unwrap();
    let session = relais::ids::SessionId::from_client(current);
    let mut held = Vec::new();
    for _ in 0..4 {
        held.push(app.state.turns.enter(&session).await.unwrap());
    }
    let me = |token: &str| {
        let bearer = format!("Bearer {token}");
        let app = &app;
        async move {
            let response = app
                .post_graphql(
                    json!({ "query": "{ me { user { id } } }" }),
                    &[("authorization", &bearer)],
                )
                .await;
            let status = response.status();
            (status, response.json::<Value>().await.unwrap())
        }
    };
    let (refused, answered) = futures_util::join!(me(&ana.access_token), me(&bob.access_token));
    assert_eq!(refused.0, 429, "{}", refused.1);
    assert_eq!(error_code(&refused.1), "RATE_LIMITED");
    assert!(refused.1["errors"][0]["extensions"]["retryAfterSeconds"].is_number());
    assert_eq!(answered.0, 200);
    assert_eq!(answered.1["data"]["me"]["user"]["id"], bob.user_id.as_str());
    held.pop();
    let (status, again) = me(&ana.access_token).await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(again["data"]["me"]["user"]["id"], ana.user_id.as_str());
    drop(held);
    assert_eq!(app.state.turns.busy_sessions(), 0);
}

/// The statement timeout of [`a_statement_past_the_timeout_is_stopped_and_the_server_answers_on`].
const STATEMENT_TIMEOUT: std::time::Duration = std::time::Duration::from_millis(300);

/// A statement that would run for many seconds on either backend.
fn endless_statement(backend: relais::db::Backend) -> &'static str {
    match backend {
        relais::db::Backend::Postgres => "SELECT pg_sleep(30)",
        relais::db::Backend::Sqlite => {
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n)
             SELECT count(*) FROM (SELECT i FROM n LIMIT 10000000000)"
        }
    }
}

/// A statement past `RELAIS_STATEMENT_TIMEOUT_MS` is stopped, read or write, with the error the
/// client is told (BAD_USER_INPUT, `extensions.limit` statementTime, the maximum); the write
/// leaves nothing behind, and the pool goes on serving requests.
async fn a_statement_past_the_timeout_is_stopped_and_the_server_answers_on(app: TestApp) {
    use diesel::RunQueryDsl;

    let ana = app.register("ana@example.org").await;
    let backend = app.state.db.backend();
    let started = std::time::Instant::now();
    let read = app
        .state
        .db
        .run(move |conn| Ok(diesel::sql_query(endless_statement(backend)).execute(conn)?))
        .await;
    let write = app
        .state
        .db
        .write(move |conn| {
            diesel::sql_query(
                "UPDATE users SET display_name = 'Changed' WHERE email = 'ana@example.org'",
            )
            .execute(conn)?;
            Ok(diesel::sql_query(endless_statement(backend)).execute(conn)?)
        })
        .await;
    // Both were stopped, long before the statements would have ended by themselves.
    assert!(started.elapsed() < std::time::Duration::from_secs(20));
    for outcome in [read, write] {
        let error = outcome.expect_err("the statement is stopped");
        assert!(
            matches!(
                error,
                relais::error::AppError::StatementTimeout { maximum_ms: 300 }
            ),
            "{error:?}"
        );
        let graphql = async_graphql::Error::from(error);
        let extensions = graphql.extensions.expect("extensions");
        assert_eq!(
            extensions.get("code"),
            Some(&async_graphql::Value::from("BAD_USER_INPUT"))
        );
        assert_eq!(
            extensions.get("limit"),
            Some(&async_graphql::Value::from("statementTime"))
        );
        assert_eq!(
            extensions.get("maximum"),
            Some(&async_graphql::Value::from(300))
        );
        assert!(graphql.message.contains("300 ms"), "{}", graphql.message);
    }

    // Every pooled connection (8 on SQLite) answers again, and the write was rolled back.
    let answers = join_all((0..12).map(|_| {
        app.gql(
            Some(&ana.access_token),
            "{ me { user { displayName } } }",
            json!({}),
        )
    }))
    .await;
    for answer in answers {
        assert_eq!(
            answer["data"]["me"]["user"]["displayName"], "ana",
            "{answer}"
        );
    }
    // A short statement is not affected by the bound.
    let counted = app
        .state
        .db
        .run(|conn| Ok(diesel::sql_query("SELECT 1").execute(conn)?))
        .await;
    assert!(counted.is_ok());
}
