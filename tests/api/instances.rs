//! Several instances on one PostgreSQL database, as behind a load balancer: sessions, the
//! subscriptions of one instance fed by writes on another, session ends reaching every socket,
//! one outbox for all push dispatchers and one for all mail dispatchers, scheduled work done
//! once, one account lockout. PostgreSQL only: SQLite serves one instance.

use futures_util::future::join_all;
use serde_json::json;

use crate::accounts::{behind_a_proxy, login_from};
use crate::delivery::{app_with_fcm, delivered_notifications, notify_many, settled};
use crate::fake_smtp::FakeSmtp;
use crate::groups::{create_group, group_input};
use crate::helpers::{
    Backend, TestApp, error_code, eventually, push_config_for, spawn_app_configured, spawn_app_on,
};
use crate::mail::mailing_through;
use crate::sockets::{
    close_code, conversation_socket, notify_until_delivered, signed_in_socket, subscribed_socket,
    until_delivered,
};

/// A first instance on a fresh database and a second one on the same database, both behind a
/// trusted proxy.
async fn two_instances() -> Option<(TestApp, TestApp)> {
    let first = spawn_app_configured(Backend::Postgres, behind_a_proxy).await?;
    let second = spawn_app_on(first.database_url.clone(), behind_a_proxy).await;
    Some((first, second))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_and_subscriptions_span_instances() {
    let Some((one, two)) = two_instances().await else {
        return eprintln!("TEST_POSTGRES_URL unset: skipped");
    };
    // Signed in on one, known on the other.
    let claire = one.register("claire@example.org").await;
    let me = two
        .gql(
            Some(&claire.access_token),
            "{ me { user { id } } }",
            json!({}),
        )
        .await;
    assert_eq!(me["data"]["me"]["user"]["id"], claire.user_id, "{me}");

    // notificationAdded on two, notifications made on one.
    let mut notifications = signed_in_socket(&two, &claire).await;
    let delivered = notify_until_delivered(&one, &claire, &mut notifications).await;
    // The welcome made on one may arrive first: either way it was written on one.
    let kind = &delivered["payload"]["data"]["notificationAdded"]["kind"];
    assert!(kind == "TEST_PUSH" || kind == "WELCOME", "{delivered}");

    // groupPosts on two, a post written on one.
    let group = create_group(&one, &claire, group_input("Soignants de nuit", "PUBLIC")).await;
    let mut posts = subscribed_socket(
        &two,
        &claire,
        json!({ "query": "subscription($id: ID!) { groupPosts(groupId: $id) { body } }",
                "variables": { "id": group } }),
    )
    .await;
    let post = until_delivered(&mut posts, || async {
        one.gql(
            Some(&claire.access_token),
            "mutation($id: ID!) { createPost(input: { groupId: $id, body: \"Bonsoir\" }) { id } }",
            json!({ "id": group }),
        )
        .await;
    })
    .await;
    assert_eq!(
        post["payload"]["data"]["groupPosts"]["body"], "Bonsoir",
        "{post}"
    );

    // messageAdded on two, a message sent on one.
    let (mentor, mentee, _, conversation) = crate::mentorship::active_pair(&one).await;
    let mut messages = conversation_socket(&two, &mentee, &conversation).await;
    let message = until_delivered(&mut messages, || async {
        one.gql(
            Some(&mentor.access_token),
            "mutation($id: ID!) { sendMessage(conversationId: $id, body: \"Bien arrivée ?\") { id } }",
            json!({ "id": conversation }),
        )
        .await;
    })
    .await;
    assert_eq!(
        message["payload"]["data"]["messageAdded"]["body"], "Bien arrivée ?",
        "{message}"
    );

    // Logging out on one ends the session on two: its sockets close, its token is refused.
    one.gql(Some(&claire.access_token), "mutation { logout }", json!({}))
        .await;
    assert_eq!(close_code(&mut notifications, 5).await, 4401);
    assert_eq!(close_code(&mut posts, 5).await, 4401);
    let me = two
        .gql(
            Some(&claire.access_token),
            "{ me { user { id } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        me["errors"][0]["extensions"]["code"], "UNAUTHENTICATED",
        "{me}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dispatchers_of_two_instances_share_one_outbox() {
    let Some((one, fcm, ana)) = app_with_fcm(Backend::Postgres, |config| {
        config.workers = 2;
        config.batch_size = 10;
    })
    .await
    else {
        return eprintln!("TEST_POSTGRES_URL unset: skipped");
    };
    let two = spawn_app_on(one.database_url.clone(), |config| {
        config.push = push_config_for(&fcm);
        config.push.workers = 2;
        config.push.batch_size = 10;
    })
    .await;
    // Half the notifications are made on each instance; four dispatchers share them.
    notify_many(&one, &ana, 100).await;
    notify_many(&two, &ana, 100).await;
    let rows = settled(&one).await;
    assert_eq!(rows.len(), 200);
    assert_eq!(fcm.sends(), 200, "no push was sent twice");
    assert_eq!(delivered_notifications(&fcm), (200, 200));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mail_dispatchers_of_two_instances_send_each_mail_once() {
    let smtp = FakeSmtp::start().await;
    let mail = mailing_through(&smtp, 2);
    let Some(one) =
        spawn_app_configured(Backend::Postgres, |config| config.mail = mail.clone()).await
    else {
        return eprintln!("TEST_POSTGRES_URL unset: skipped");
    };
    let two = spawn_app_on(one.database_url.clone(), |config| config.mail = mail).await;
    // Twenty registrations, half on each instance, each mailing a confirmation; four
    // dispatchers on two instances share the outbox.
    let addresses: Vec<String> = (0..20).map(|n| format!("nurse-{n}@example.org")).collect();
    join_all(addresses.iter().enumerate().map(|(n, address)| {
        let app = if n % 2 == 0 { &one } else { &two };
        app.register_unconfirmed(address)
    }))
    .await;
    eventually(30, || async { (smtp.received().len() >= 20).then_some(()) }).await;
    // Any mail sent twice would show up by now.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let mut recipients: Vec<String> = smtp
        .received()
        .into_iter()
        .flat_map(|mail| mail.to)
        .collect();
    recipients.sort();
    let mut expected: Vec<String> = addresses.iter().map(|a| format!("<{a}>")).collect();
    expected.sort();
    assert_eq!(recipients, expected, "each mail once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scheduled_work_runs_once_across_instances() {
    use chrono::Utc;
    use relais::privacy::retention::purge_if_due;
    use relais::support::service::follow_up_waiting;
    let Some((one, two)) = two_instances().await else {
        return eprintln!("TEST_POSTGRES_URL unset: skipped");
    };
    let ana = one.register("ana@example.org").await;
    let asked = one
        .gql(
            Some(&ana.access_token),
            "mutation { requestSupport(note: \"Personne ?\") { id } }",
            json!({}),
        )
        .await;
    assert!(asked["errors"].is_null(), "{asked}");
    // Both instances' housekeeping comes round at the same moment, past the wait.
    let later =
        Utc::now().naive_utc() + one.state.config.support_wait + chrono::Duration::minutes(1);
    let followed: usize = join_all([&one, &two].map(|app| async move {
        follow_up_waiting(
            &app.state.db,
            &app.state.support,
            app.state.config.support_wait,
            false,
            later,
        )
        .await
        .unwrap()
    }))
    .await
    .into_iter()
    .sum();
    assert_eq!(followed, 1);
    // Each instance purged on starting; two hours on, the purge is due again, for one of them.
    let due = later + chrono::Duration::hours(2);
    let purges = join_all([&one, &two].map(|app| async move {
        purge_if_due(&app.state.db, &app.state.config.retention, due)
            .await
            .unwrap()
    }))
    .await;
    assert_eq!(
        purges.iter().filter(|purge| purge.is_some()).count(),
        1,
        "{purges:?}"
    );
    let waiting = crate::helpers::received_kinds(&two, &ana.user_id)
        .await
        .into_iter()
        .filter(|kind| kind == "SUPPORT_STILL_WAITING")
        .count();
    assert_eq!(waiting, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn guesses_spread_over_instances_meet_one_lockout() {
    let Some((one, two)) = two_instances().await else {
        return eprintln!("TEST_POSTGRES_URL unset: skipped");
    };
    one.register("ana@example.org").await;
    // Twenty wrong guesses at once from one address, half through each instance: ten are
    // checked, whichever instance they reach, and the rest refused.
    let guesses = join_all((0..20).map(|n| {
        let app = if n % 2 == 0 { &one } else { &two };
        login_from(app, "203.0.113.66", "ana@example.org", "wrong password")
    }))
    .await;
    let outcomes = |code: &str| {
        guesses
            .iter()
            .filter(|answer| error_code(answer) == code)
            .count()
    };
    assert_eq!(
        (outcomes("UNAUTHENTICATED"), outcomes("RATE_LIMITED")),
        (10, 10),
        "{guesses:?}"
    );
    for app in [&one, &two] {
        let answer = login_from(
            app,
            "203.0.113.66",
            "ana@example.org",
            "a long enough password",
        )
        .await;
        assert_eq!(error_code(&answer), "RATE_LIMITED", "{answer}");
    }
}

/// A mentor search on one instance ranks from numbers kept in memory; a change made on the other
/// reaches them through the fan-out.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mentor_searches_follow_changes_made_on_another_instance() {
    use crate::mentorship::{eventually_matched, mentor, nurse, nurse_mentor, profile_input};
    let Some((one, two)) = two_instances().await else {
        return eprintln!("TEST_POSTGRES_URL unset: skipped");
    };
    let burnout = ["BURNOUT_PREVENTION"];
    let lea = nurse(&one, "lea").await;
    let ana = nurse_mentor(&one, "ana", &burnout, 15, 1).await;
    eventually_matched(&two, &lea, &burnout, &["ana"]).await;
    let mut paused = profile_input(&burnout, 15, 1);
    paused["acceptingMentees"] = json!(false);
    mentor(&one, &ana, paused).await;
    eventually_matched(&two, &lea, &burnout, &[]).await;
    mentor(
        &one,
        &ana,
        profile_input(&["BURNOUT_PREVENTION", "LEADERSHIP"], 15, 1),
    )
    .await;
    eventually_matched(&two, &lea, &burnout, &["ana"]).await;
    eventually_matched(&two, &lea, &["LEADERSHIP"], &["ana"]).await;
}
