//! Retention: each kind of record goes once its period is over, not before, and the scheduled
//! purge runs once an hour however many instances ask. The purge takes its clock as an argument,
//! so the tests move time forward instead of waiting.

use chrono::{NaiveDateTime, TimeDelta, Utc};
use diesel::prelude::*;
use diesel::sql_types::BigInt;
use relais::privacy::Purged;
use relais::privacy::retention::{PURGE_EVERY, purge, purge_if_due};
use serde_json::json;

use crate::delivery::{app_with_fcm, send_test, settled};
use crate::helpers::{Backend, TestApp};

on_both_backends!(a_second_instance_asking_at_once_does_not_purge_again);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_record_goes_after_its_period_sqlite() {
    each_record_goes_after_its_period(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_record_goes_after_its_period_postgres() {
    each_record_goes_after_its_period(Backend::Postgres).await;
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// Rows in each table the purge touches: sessions, read and unread notifications, pushes, devices.
async fn rows(app: &TestApp) -> [i64; 5] {
    let queries = [
        "SELECT COUNT(*) AS n FROM sessions",
        "SELECT COUNT(*) AS n FROM notifications WHERE read_at IS NOT NULL",
        "SELECT COUNT(*) AS n FROM notifications WHERE read_at IS NULL",
        "SELECT COUNT(*) AS n FROM push_outbox",
        "SELECT COUNT(*) AS n FROM devices",
    ];
    app.state
        .db
        .run(move |conn| {
            let mut counts = [0; 5];
            for (count, query) in counts.iter_mut().zip(queries) {
                *count = diesel::sql_query(query).get_result::<Count>(conn)?.n;
            }
            Ok(counts)
        })
        .await
        .unwrap()
}

async fn purge_at(app: &TestApp, now: NaiveDateTime) -> Vec<Purged> {
    purge(&app.state.db, &app.state.config.retention, now)
        .await
        .unwrap()
}

async fn each_record_goes_after_its_period(backend: Backend) {
    let Some((app, _fcm, ana)) = app_with_fcm(backend, |_| {}).await else {
        return;
    };
    let token = Some(ana.access_token.as_str());
    // A second session, ended at once.
    let other = app
        .gql(
            None,
            "mutation { login(email: \"ana@example.org\", password: \"a long enough password\") { accessToken } }",
            json!({}),
        )
        .await;
    let other_token = other["data"]["login"]["accessToken"].as_str().unwrap();
    let logout = app
        .gql(Some(other_token), "mutation { logout }", json!({}))
        .await;
    assert_eq!(logout["data"]["logout"], true, "{logout}");
    // A push delivered and its notification read; the welcome notification stays unread.
    send_test(&app, &ana).await;
    settled(&app).await;
    let listed = app
        .gql(
            token,
            "{ notifications(first: 10) { edges { node { id kind } } } }",
            json!({}),
        )
        .await;
    let test_push = listed["data"]["notifications"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .find(|edge| edge["node"]["kind"] == "TEST_PUSH")
        .map(|edge| edge["node"]["id"].clone())
        .expect("the test notification");
    let read = app
        .gql(
            token,
            "mutation($ids: [ID!]!) { markNotificationsRead(ids: $ids) }",
            json!({ "ids": [test_push] }),
        )
        .await;
    assert_eq!(read["data"]["markNotificationsRead"], 1, "{read}");
    // sessions, read notifications, unread notifications, pushes, devices
    assert_eq!(rows(&app).await, [2, 1, 1, 1, 1]);

    let start = Utc::now().naive_utc();
    let days = |days: i64| start + TimeDelta::days(days);
    let timeline = [
        (13, [2, 1, 1, 1, 1], "a finished push stays 14 days"),
        (15, [2, 1, 1, 0, 1], "then goes"),
        (29, [2, 1, 1, 0, 1], "an ended session stays 30 days"),
        (
            31,
            [1, 1, 1, 0, 1],
            "then goes; the live one expires in 30 days",
        ),
        (61, [0, 1, 1, 0, 1], "30 days after it expired, it goes too"),
        (89, [0, 1, 1, 0, 1], "a read notification stays 90 days"),
        (91, [0, 0, 1, 0, 1], "then goes; unread ones stay"),
        (
            269,
            [0, 0, 1, 0, 1],
            "a device stays 270 days after it was last seen",
        ),
        (271, [0, 0, 1, 0, 0], "then goes"),
    ];
    for (day, expected, why) in timeline {
        purge_at(&app, days(day)).await;
        assert_eq!(rows(&app).await, expected, "day {day}: {why}");
    }
}

async fn a_second_instance_asking_at_once_does_not_purge_again(app: TestApp) {
    let ana = app.register("ana@example.org").await;
    let logout = app
        .gql(Some(&ana.access_token), "mutation { logout }", json!({}))
        .await;
    assert_eq!(logout["data"]["logout"], true);
    // Past the ended session's 30 days, and past any run the server's own schedule made.
    let now = (Utc::now() + TimeDelta::days(31)).naive_utc();
    let asks = (0..6).map(|_| {
        let (db, retention) = (app.state.db.clone(), app.state.config.retention.clone());
        tokio::spawn(async move { purge_if_due(&db, &retention, now).await.unwrap() })
    });
    let mut ran = Vec::new();
    for ask in asks {
        if let Some(purged) = ask.await.unwrap() {
            ran.push(purged);
        }
    }
    assert_eq!(
        ran.len(),
        1,
        "exactly one of six concurrent asks runs the purge"
    );
    let ended = ran[0]
        .iter()
        .find(|purged| purged.kind == "ended sessions")
        .unwrap();
    assert_eq!(ended.rows, 1);

    let retention = &app.state.config.retention;
    let almost = now + PURGE_EVERY - TimeDelta::minutes(1);
    assert_eq!(
        purge_if_due(&app.state.db, retention, almost)
            .await
            .unwrap(),
        None,
        "not due again within the hour"
    );
    assert!(
        purge_if_due(&app.state.db, retention, now + PURGE_EVERY)
            .await
            .unwrap()
            .is_some(),
        "due again an hour later"
    );
}
