//! Check-ins: scoring and help, bad answers, storage anonymity, trends across weeks and time
//! zones, group aggregates with the k threshold and complementary suppression, deletion,
//! retention.

use chrono::{Datelike, Duration, NaiveDate, Utc};
use diesel::prelude::*;
use relais::checkins::instruments::Instrument;
use relais::checkins::model::CheckinRow;
use relais::db::schema::{checkin_shares, checkins};
use relais::ids::{CheckinId, UserId};
use relais::privacy::pseudonym_of;
use serde_json::{Value, json};

use crate::groups::{create_group, group_input, join};
use crate::helpers::{Session, TestApp, error_code, error_field};

on_both_backends!(
    a_checkin_is_scored_banded_and_points_to_help,
    bad_answers_and_foreign_groups_are_refused_and_nothing_is_stored,
    stored_checkins_carry_no_identity_and_no_time_of_day,
    the_trend_averages_iso_weeks_in_the_viewers_time_zone,
    group_figures_need_k_people_and_resist_differencing,
    deleting_and_retention_remove_checkins,
    the_weekly_reminder_comes_once_at_the_chosen_slot,
    a_worrying_checkin_changes_nothing_others_can_see,
);

const SUBMIT: &str = "mutation($input: CheckinInput!) { submitCheckin(input: $input) {
    id instrument score maxScore band recordedOn offerPeerSupport resources { name phone } } }";

async fn submit(app: &TestApp, who: &Session, instrument: &str, answers: &[i32]) -> Value {
    app.gql(
        Some(&who.access_token),
        SUBMIT,
        json!({ "input": { "instrument": instrument, "answers": answers } }),
    )
    .await
}

async fn stored(app: &TestApp) -> Vec<CheckinRow> {
    app.state
        .db
        .run(|conn| Ok(checkins::table.select(CheckinRow::as_select()).load(conn)?))
        .await
        .unwrap()
}

/// A check-in of `who` on `day`, written directly (a test cannot choose the day it runs on).
async fn checkin_on(
    app: &TestApp,
    who: &Session,
    instrument: Instrument,
    score: i32,
    day: NaiveDate,
) {
    let row = CheckinRow {
        id: CheckinId::random(),
        pseudonym: pseudonym_of(&UserId::from_client(who.user_id.clone()), &app.state.secret),
        instrument,
        score,
        recorded_on: day,
    };
    app.state
        .db
        .run(move |conn| {
            Ok(diesel::insert_into(checkins::table)
                .values(&row)
                .execute(conn)?)
        })
        .await
        .unwrap();
}

async fn a_checkin_is_scored_banded_and_points_to_help(app: TestApp) {
    let ana = app.register("ana@example.org").await;
    let good = submit(&app, &ana, "WHO5", &[5, 5, 4, 4, 4]).await;
    let node = &good["data"]["submitCheckin"];
    assert_eq!(
        (
            &node["instrument"],
            &node["score"],
            &node["maxScore"],
            &node["band"]
        ),
        (&json!("WHO5"), &json!(88), &json!(100), &json!("GOOD")),
        "{good}"
    );
    let today = Utc::now()
        .with_timezone(&chrono_tz::Europe::Paris)
        .date_naive();
    assert_eq!(node["recordedOn"], today.to_string());
    assert_eq!(node["offerPeerSupport"], false);
    // Worrying results always point to help; the French list names 3114 and the SAMU.
    let at_risk = submit(&app, &ana, "BURNOUT_SINGLE_ITEM", &[5]).await;
    let node = &at_risk["data"]["submitCheckin"];
    assert_eq!(node["band"], "AT_RISK", "{at_risk}");
    assert_eq!(node["offerPeerSupport"], true);
    let phones: Vec<&str> = node["resources"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|resource| resource["phone"].as_str())
        .collect();
    assert!(
        phones.contains(&"3114") && phones.contains(&"15"),
        "{phones:?}"
    );
    let low = submit(&app, &ana, "PSS4", &[3, 1, 1, 3]).await;
    assert_eq!(low["data"]["submitCheckin"]["score"], 12, "{low}");
    assert_eq!(low["data"]["submitCheckin"]["band"], "LOW");
    assert!(
        !low["data"]["submitCheckin"]["resources"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    // Nobody else hears of it: no notification was written for anyone.
    let notices = app
        .gql(
            Some(&ana.access_token),
            "{ notifications(first: 20) { edges { node { kind } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        notices["data"]["notifications"]["edges"]
            .as_array()
            .unwrap()
            .len(),
        1,
        "only the welcome: {notices}"
    );
    // The instruments come with their texts in the viewer's language.
    let listed = app
        .gql(
            Some(&ana.access_token),
            "{ instruments { instrument items answerLabels answerMin answerMax maxScore source } }",
            json!({}),
        )
        .await;
    let who5 = &listed["data"]["instruments"][0];
    assert_eq!(who5["instrument"], "WHO5", "{listed}");
    assert_eq!(
        who5["items"][0],
        "Je me suis senti(e) bien et de bonne humeur"
    );
    assert_eq!(who5["answerLabels"].as_array().unwrap().len(), 6);
}

async fn bad_answers_and_foreign_groups_are_refused_and_nothing_is_stored(app: TestApp) {
    let ana = app.register("ana@example.org").await;
    for (instrument, answers) in [
        ("WHO5", vec![1, 2, 3, 4]),
        ("WHO5", vec![1, 2, 3, 4, 6]),
        ("PSS4", vec![0, 0, 0, -1]),
        ("BURNOUT_SINGLE_ITEM", vec![0]),
        ("BURNOUT_SINGLE_ITEM", vec![]),
    ] {
        let refused = submit(&app, &ana, instrument, &answers).await;
        assert_eq!(error_code(&refused), "BAD_USER_INPUT", "{answers:?}");
        assert_eq!(error_field(&refused), "answers");
        let message = refused["errors"][0]["message"].as_str().unwrap();
        assert!(!message.contains("AT_RISK"), "{message}");
    }
    // Sharing with a group one is not an active member of is refused as a whole.
    let bob = app.register("bob@example.org").await;
    let mine = create_group(&app, &ana, group_input("Le groupe d'Ana", "PUBLIC")).await;
    let theirs = create_group(&app, &bob, group_input("Le groupe de Bob", "PUBLIC")).await;
    let refused = app
        .gql(
            Some(&ana.access_token),
            SUBMIT,
            json!({ "input": { "instrument": "WHO5", "answers": [3, 3, 3, 3, 3],
                               "shareWithGroupIds": [mine, theirs] } }),
        )
        .await;
    assert_eq!(error_code(&refused), "FORBIDDEN", "{refused}");
    assert!(stored(&app).await.is_empty(), "nothing stored");
}

async fn stored_checkins_carry_no_identity_and_no_time_of_day(app: TestApp) {
    let ana = app.register("ana@example.org").await;
    let group = create_group(&app, &ana, group_input("Nuit", "PUBLIC")).await;
    let shared = app
        .gql(
            Some(&ana.access_token),
            SUBMIT,
            json!({ "input": { "instrument": "WHO5", "answers": [3, 3, 3, 3, 3],
                               "shareWithGroupIds": [group] } }),
        )
        .await;
    assert!(shared["errors"].is_null(), "{shared}");
    // Every text of both tables, read back raw: no user id, no email, no time of day.
    let texts: Vec<String> = app
        .state
        .db
        .run(|conn| {
            let mut texts: Vec<String> = Vec::new();
            for (id, pseudonym, instrument) in checkins::table
                .select((checkins::id, checkins::pseudonym, checkins::instrument))
                .load::<(String, String, String)>(conn)?
            {
                texts.extend([id, pseudonym, instrument]);
            }
            for (checkin, group) in checkin_shares::table
                .select((checkin_shares::checkin_id, checkin_shares::group_id))
                .load::<(String, String)>(conn)?
            {
                texts.extend([checkin, group]);
            }
            Ok(texts)
        })
        .await
        .unwrap();
    for text in &texts {
        assert!(!text.contains(&ana.user_id), "{text}");
        assert!(!text.contains("ana@example.org"), "{text}");
    }
    let rows = stored(&app).await;
    assert_eq!(rows.len(), 1);
    // A random (v4) id: a time-ordered one would carry the time of day.
    let id = rows[0].id.to_string();
    assert_eq!(id.as_bytes()[14], b'4', "{id}");
    assert_eq!(
        rows[0].pseudonym,
        pseudonym_of(&UserId::from_client(ana.user_id.clone()), &app.state.secret)
    );
    // Only a day is kept: the column is a DATE.
    let day: NaiveDate = rows[0].recorded_on;
    assert!(day.year() >= 2026);
}

async fn the_trend_averages_iso_weeks_in_the_viewers_time_zone(app: TestApp) {
    // Far east and far west: their "today" differ by a day most of the time.
    let east = app
        .register_with(
            json!({ "email": "east@example.org", "password": "a long enough password",
            "displayName": "east", "profession": "NURSE", "timezone": "Pacific/Kiritimati" }),
        )
        .await;
    let west = app
        .register_with(
            json!({ "email": "west@example.org", "password": "a long enough password",
            "displayName": "west", "profession": "NURSE", "timezone": "Pacific/Pago_Pago" }),
        )
        .await;
    for (who, zone) in [
        (&east, chrono_tz::Pacific::Kiritimati),
        (&west, chrono_tz::Pacific::Pago_Pago),
    ] {
        let answer = submit(&app, who, "BURNOUT_SINGLE_ITEM", &[2]).await;
        let local_today = Utc::now().with_timezone(&zone).date_naive();
        assert_eq!(
            answer["data"]["submitCheckin"]["recordedOn"],
            local_today.to_string(),
            "{answer}"
        );
    }
    // Weeks start on Monday: Monday and Sunday of one week average together, the next Monday
    // opens a week, and a week without check-ins is left out.
    let ana = app.register("ana@example.org").await;
    let today = Utc::now()
        .with_timezone(&chrono_tz::Europe::Paris)
        .date_naive();
    let this_monday = today - Duration::days(i64::from(today.weekday().num_days_from_monday()));
    let three_weeks_ago = this_monday - Duration::weeks(3);
    for (day, score) in [
        (three_weeks_ago, 40),
        (three_weeks_ago + Duration::days(6), 60),
        (three_weeks_ago + Duration::days(7), 80),
        (this_monday, 100),
    ] {
        checkin_on(&app, &ana, Instrument::Who5, score, day).await;
    }
    checkin_on(&app, &ana, Instrument::Pss4, 10, this_monday).await;
    let trend = "query($weeks: Int) { myCheckinTrend(instrument: WHO5, weeks: $weeks) {
        weekStart averageScore count } }";
    let answer = app
        .gql(Some(&ana.access_token), trend, json!({ "weeks": 4 }))
        .await;
    assert_eq!(
        answer["data"]["myCheckinTrend"],
        json!([
            { "weekStart": three_weeks_ago.to_string(), "averageScore": 50.0, "count": 2 },
            { "weekStart": (three_weeks_ago + Duration::weeks(1)).to_string(), "averageScore": 80.0, "count": 1 },
            { "weekStart": this_monday.to_string(), "averageScore": 100.0, "count": 1 },
        ]),
        "{answer}"
    );
    let shorter = app
        .gql(Some(&ana.access_token), trend, json!({ "weeks": 1 }))
        .await;
    assert_eq!(
        shorter["data"]["myCheckinTrend"].as_array().unwrap().len(),
        1
    );
    for weeks in [0, 105] {
        let refused = app
            .gql(Some(&ana.access_token), trend, json!({ "weeks": weeks }))
            .await;
        assert_eq!(error_field(&refused), "weeks");
    }
    // Her own only: the others' check-ins are not in her list.
    let mine = app
        .gql(
            Some(&ana.access_token),
            "{ myCheckins(first: 10) { edges { node { score } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        mine["data"]["myCheckins"]["edges"]
            .as_array()
            .unwrap()
            .len(),
        5
    );
}

const WELLBEING: &str =
    "query($id: ID!) { groupWellbeing(groupId: $id, instrument: WHO5, weeks: 1) {
    suppressed respondents averageScore } }";

/// `count` people who join `groups` and share one WHO-5 check-in of raw sum `raw` with them.
async fn respondents(app: &TestApp, prefix: &str, count: usize, raw: i32, groups: &[&String]) {
    for n in 0..count {
        let person = app.register(&format!("{prefix}{n}@example.org")).await;
        for group in groups {
            join(app, &person, group).await;
        }
        let answers: Vec<i32> = (0..5).map(|item| i32::from(item < raw)).collect();
        let answer = app
            .gql(
                Some(&person.access_token),
                SUBMIT,
                json!({ "input": { "instrument": "WHO5", "answers": answers, "shareWithGroupIds": groups } }),
            )
            .await;
        assert!(answer["errors"].is_null(), "{answer}");
    }
}

async fn wellbeing(app: &TestApp, who: &Session, group: &str) -> Value {
    let answer = app
        .gql(Some(&who.access_token), WELLBEING, json!({ "id": group }))
        .await;
    answer["data"]["groupWellbeing"][0].clone()
}

async fn group_figures_need_k_people_and_resist_differencing(app: TestApp) {
    let lead = app.register("lead@example.org").await;
    let urgences = create_group(&app, &lead, group_input("Urgences", "PUBLIC")).await;
    // Four people (k - 1): suppressed, no figures.
    respondents(&app, "a", 4, 3, &[&urgences]).await;
    assert_eq!(
        wellbeing(&app, &lead, &urgences).await,
        json!({ "suppressed": true, "respondents": null, "averageScore": null })
    );
    // A fifth (k): shown, exact. Scores 12 four times and 20 once: 13.6.
    respondents(&app, "b", 1, 5, &[&urgences]).await;
    assert_eq!(
        wellbeing(&app, &lead, &urgences).await,
        json!({ "suppressed": false, "respondents": 5, "averageScore": 13.6 })
    );
    // Non-members see nothing at all.
    let outsider = app.register("out@example.org").await;
    let refused = app
        .gql(
            Some(&outsider.access_token),
            WELLBEING,
            json!({ "id": urgences }),
        )
        .await;
    assert_eq!(error_code(&refused), "FORBIDDEN");

    // Two groups whose respondents differ by one person: five people share with both, one more
    // with the second only. Subtracting the first sum from the second would give that person's
    // score, so neither is shown: no visible figure is left to combine.
    let day = create_group(&app, &lead, group_input("Jour", "PUBLIC")).await;
    let day_and_night = create_group(&app, &lead, group_input("Jour et nuit", "PUBLIC")).await;
    respondents(&app, "c", 5, 2, &[&day, &day_and_night]).await;
    respondents(&app, "x", 1, 5, &[&day_and_night]).await;
    let suppressed = json!({ "suppressed": true, "respondents": null, "averageScore": null });
    assert_eq!(wellbeing(&app, &lead, &day).await, suppressed);
    assert_eq!(wellbeing(&app, &lead, &day_and_night).await, suppressed);
    // The other side of the threshold: four more in the second group make the two differ by k
    // people; both are shown, and their difference is the average of five people, no one's own.
    respondents(&app, "y", 4, 1, &[&day_and_night]).await;
    assert_eq!(
        wellbeing(&app, &lead, &day).await,
        json!({ "suppressed": false, "respondents": 5, "averageScore": 8.0 })
    );
    assert_eq!(
        wellbeing(&app, &lead, &day_and_night).await,
        json!({ "suppressed": false, "respondents": 10, "averageScore": 7.6 })
    );
    // The group of the first test is apart from both (no one in common): still shown.
    assert_eq!(wellbeing(&app, &lead, &urgences).await["suppressed"], false);
}

async fn deleting_and_retention_remove_checkins(app: TestApp) {
    let ana = app.register("ana@example.org").await;
    let bob = app.register("bob@example.org").await;
    submit(&app, &ana, "WHO5", &[3, 3, 3, 3, 3]).await;
    submit(&app, &ana, "PSS4", &[1, 1, 1, 1]).await;
    submit(&app, &bob, "PSS4", &[1, 1, 1, 1]).await;
    let deleted = app
        .gql(
            Some(&ana.access_token),
            "mutation { deleteMyCheckins }",
            json!({}),
        )
        .await;
    assert_eq!(deleted["data"]["deleteMyCheckins"], 2, "{deleted}");
    assert_eq!(stored(&app).await.len(), 1, "Bob's stays");
    // The purge deletes check-ins past 24 months, whoever made them.
    let long_ago = Utc::now().date_naive() - Duration::days(800);
    checkin_on(&app, &ana, Instrument::Who5, 50, long_ago).await;
    assert_eq!(stored(&app).await.len(), 2);
    relais::privacy::retention::purge(
        &app.state.db,
        &app.state.config.retention,
        Utc::now().naive_utc(),
    )
    .await
    .unwrap();
    let left = stored(&app).await;
    assert_eq!(left.len(), 1);
    assert!(left[0].recorded_on > long_ago);
}

/// When the person's next check-in reminder is due, if one is scheduled.
async fn reminder_due(app: &TestApp, who: &Session) -> Option<chrono::NaiveDateTime> {
    use relais::db::schema::checkin_reminders;
    let user = who.user_id.clone();
    app.state
        .db
        .run(move |conn| {
            Ok(checkin_reminders::table
                .find(user)
                .select(checkin_reminders::due_at)
                .first(conn)
                .optional()?)
        })
        .await
        .unwrap()
}

async fn the_weekly_reminder_comes_once_at_the_chosen_slot(app: TestApp) {
    use relais::notifications::model::ReminderSlot;
    use relais::notifications::reminders::{next_occurrence, sweep};
    let ana = app.register("ana@example.org").await;
    // The sweep enrols her (reminders are on by default): Monday 09:00, Paris time.
    let now = Utc::now();
    assert_eq!(sweep(&app.state.db, now).await.unwrap(), 0);
    let due = reminder_due(&app, &ana).await.expect("scheduled");
    assert_eq!(
        due,
        next_occurrence(ReminderSlot::DEFAULT, chrono_tz::Europe::Paris, now).naive_utc()
    );
    // Two instances sweep when it is due: one reminder, and the next one a week later.
    let at = due.and_utc() + Duration::minutes(1);
    let sent: usize = futures_util::future::join_all((0..2).map(|_| sweep(&app.state.db, at)))
        .await
        .into_iter()
        .map(Result::unwrap)
        .sum();
    assert_eq!(sent, 1);
    assert_eq!(
        reminder_due(&app, &ana).await,
        Some(due + Duration::weeks(1))
    );
    let inbox = app
        .gql(
            Some(&ana.access_token),
            "{ notifications(first: 10) { edges { node { kind category title body } } } }",
            json!({}),
        )
        .await;
    let reminders: Vec<&Value> = inbox["data"]["notifications"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|edge| &edge["node"])
        .filter(|node| node["kind"] == "CHECKIN_REMINDER")
        .collect();
    assert_eq!(reminders.len(), 1, "{inbox}");
    assert_eq!(reminders[0]["category"], "CHECKIN_REMINDER");
    assert_eq!(reminders[0]["title"], "Un moment pour vous ?");

    // A new slot moves it; so does a new time zone, keeping the local weekday and time.
    let update = "mutation($input: NotificationPreferencesInput!) {
        updateNotificationPreferences(input: $input) { checkinReminder checkinReminderWeekday checkinReminderTime } }";
    let moved = app
        .gql(
            Some(&ana.access_token),
            update,
            json!({ "input": { "checkinReminderWeekday": 3, "checkinReminderTime": "18:30" } }),
        )
        .await;
    assert_eq!(
        moved["data"]["updateNotificationPreferences"],
        json!({ "checkinReminder": true, "checkinReminderWeekday": 3, "checkinReminderTime": "18:30" }),
        "{moved}"
    );
    let wednesday = ReminderSlot {
        weekday: chrono::Weekday::Wed,
        time: chrono::NaiveTime::from_hms_opt(18, 30, 0).unwrap(),
    };
    let in_paris = reminder_due(&app, &ana).await.unwrap();
    let expected = next_occurrence(wednesday, chrono_tz::Europe::Paris, Utc::now()).naive_utc();
    assert!(
        (in_paris - expected).num_minutes().abs() <= 1,
        "{in_paris} {expected}"
    );
    app.gql(
        Some(&ana.access_token),
        "mutation { updateProfile(input: { timezone: \"America/Montreal\" }) { timezone } }",
        json!({}),
    )
    .await;
    let in_montreal = reminder_due(&app, &ana).await.unwrap();
    let expected = next_occurrence(wednesday, chrono_tz::America::Montreal, Utc::now()).naive_utc();
    assert!(
        (in_montreal - expected).num_minutes().abs() <= 1,
        "{in_montreal} {expected}"
    );
    // Bad slots say which field; turning reminders off removes the next one.
    for (input, field) in [
        (
            json!({ "checkinReminderWeekday": 8 }),
            "checkinReminderWeekday",
        ),
        (
            json!({ "checkinReminderTime": "25:00" }),
            "checkinReminderTime",
        ),
    ] {
        let refused = app
            .gql(Some(&ana.access_token), update, json!({ "input": input }))
            .await;
        assert_eq!(error_field(&refused), field, "{refused}");
    }
    app.gql(
        Some(&ana.access_token),
        update,
        json!({ "input": { "checkinReminder": false } }),
    )
    .await;
    assert_eq!(reminder_due(&app, &ana).await, None);
    let later = Utc::now() + Duration::weeks(3);
    assert_eq!(sweep(&app.state.db, later).await.unwrap(), 0);
    assert_eq!(reminder_due(&app, &ana).await, None, "not enrolled again");
}

/// Everything another member can look at: the group's figures and members, their inbox.
async fn seen_by(app: &TestApp, who: &Session, group: &str) -> Value {
    app.gql(
        Some(&who.access_token),
        "query($id: ID!) {
            groupWellbeing(groupId: $id, instrument: BURNOUT_SINGLE_ITEM, weeks: 2) {
                weekStart suppressed respondents averageScore }
            group(id: $id) { memberCount members { edges { node { role user { id } } } } }
            notifications(first: 20) { edges { node { kind title body } } }
            unreadNotificationCount }",
        json!({ "id": group }),
    )
    .await
}

async fn a_worrying_checkin_changes_nothing_others_can_see(app: TestApp) {
    let lead = app.register("lead@example.org").await;
    let group = create_group(&app, &lead, group_input("Réa", "PUBLIC")).await;
    let ana = app.register("ana@example.org").await;
    let bob = app.register("bob@example.org").await;
    join(&app, &ana, &group).await;
    join(&app, &bob, &group).await;
    let before = seen_by(&app, &bob, &group).await;
    assert!(before["errors"].is_null(), "{before}");
    let answer = app
        .gql(
            Some(&ana.access_token),
            SUBMIT,
            json!({ "input": { "instrument": "BURNOUT_SINGLE_ITEM", "answers": [5],
                               "shareWithGroupIds": [group] } }),
        )
        .await;
    assert_eq!(
        answer["data"]["submitCheckin"]["band"], "AT_RISK",
        "{answer}"
    );
    assert_eq!(seen_by(&app, &bob, &group).await, before);
    assert_eq!(
        seen_by(&app, &lead, &group).await["data"]["groupWellbeing"],
        before["data"]["groupWellbeing"]
    );
}
