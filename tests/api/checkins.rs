//! Check-ins: scoring and help, bad answers, storage anonymity, trends across weeks and time
//! zones, group releases (the open period hidden, released once and never moved, who counts,
//! and the attacks that exact figures allowed, run against the noise), deletion, retention.

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;
use relais::checkins::instruments::Instrument;
use relais::checkins::model::CheckinRow;
use relais::checkins::release::{Noise, Periods, release_closed_periods};
use relais::db::schema::{checkin_shares, checkins, memberships};
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
    check_ins_reach_a_few_groups_per_period,
    deleting_and_retention_remove_checkins,
    the_weekly_reminder_comes_once_at_the_chosen_slot,
    a_worrying_checkin_changes_nothing_others_can_see,
);

// Weekly periods, and every release shown however wide its margin, so that the attacks below
// read a figure every week.
on_both_backends!(
    with(|config| {
        config.checkins.period_weeks = 1;
        config.checkins.max_margin = 100.0;
    }) =>
    the_open_period_is_hidden_and_a_release_never_moves,
    instances_releasing_at_once_release_each_period_once,
    members_who_joined_during_the_period_do_not_count,
    group_wellbeing_costs_the_same_whatever_the_group,
    four_known_accounts_do_not_reveal_the_fifth,
    three_overlapping_groups_do_not_reveal_the_one_apart,
    a_person_sharing_different_check_ins_stays_hidden,
);

on_both_backends!(
    with(|config| config.checkins.epsilon = 0.5) =>
    a_loose_figure_is_too_uncertain_to_show,
);

const SUBMIT: &str = "mutation($input: CheckinInput!) { submitCheckin(input: $input) {
    id instrument score maxScore band recordedOn offerPeerSupport resources { name phone } } }";

pub async fn submit(app: &TestApp, who: &Session, instrument: &str, answers: &[i32]) -> Value {
    app.gql(
        Some(&who.access_token),
        SUBMIT,
        json!({ "input": { "instrument": instrument, "answers": answers } }),
    )
    .await
}

pub async fn stored(app: &TestApp) -> Vec<CheckinRow> {
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

/// `count` people who join `groups` and share one WHO-5 check-in of raw sum `raw` with them.
async fn respondents(
    app: &TestApp,
    prefix: &str,
    count: usize,
    raw: i32,
    groups: &[&String],
) -> Vec<Session> {
    let mut people = Vec::new();
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
        people.push(person);
    }
    people
}

/// Everyone now active in `group` counts as a member since three years ago (a test cannot wait
/// for a period to pass after joining).
async fn members_since_long_ago(app: &TestApp, group: &str) {
    let group = group.to_owned();
    let long_ago = Utc::now().naive_utc() - Duration::days(3 * 365);
    app.state
        .db
        .run(move |conn| {
            Ok(
                diesel::update(memberships::table.filter(memberships::group_id.eq(group)))
                    .set(memberships::active_since.eq(long_ago))
                    .execute(conn)?,
            )
        })
        .await
        .unwrap();
}

/// The release job, run as the scheduler would at `now`.
async fn release_at(app: &TestApp, now: NaiveDateTime) -> usize {
    release_closed_periods(
        &app.state.db,
        &app.state.secret,
        &app.state.config.checkins,
        now,
    )
    .await
    .unwrap()
}

/// The app's periods.
fn periods(app: &TestApp) -> Periods {
    Periods::new(app.state.config.checkins.period_weeks)
}

/// The start of the period holding today (Paris, the test accounts' zone).
fn current_period(app: &TestApp) -> NaiveDate {
    let today = Utc::now()
        .with_timezone(&chrono_tz::Europe::Paris)
        .date_naive();
    periods(app).start_of(today)
}

const WELLBEING: &str = "query($id: ID!, $weeks: Int) {
    groupWellbeing(groupId: $id, instrument: WHO5, weeks: $weeks) {
        weekStart periodWeeks suppressed respondents averageScore margin reason } }";

/// The group's WHO-5 points over `weeks` weeks, as `who` reads them.
async fn wellbeing(app: &TestApp, who: &Session, group: &str, weeks: i32) -> Vec<Value> {
    let answer = app
        .gql(
            Some(&who.access_token),
            WELLBEING,
            json!({ "id": group, "weeks": weeks }),
        )
        .await;
    answer["data"]["groupWellbeing"]
        .as_array()
        .unwrap_or_else(|| panic!("{answer}"))
        .clone()
}

/// The point of the period starting on `start`.
async fn point(app: &TestApp, who: &Session, group: &str, start: NaiveDate) -> Value {
    wellbeing(app, who, group, 1)
        .await
        .into_iter()
        .chain(wellbeing(app, who, group, 8).await)
        .find(|point| point["weekStart"] == start.to_string())
        .unwrap_or_else(|| panic!("no point for {start}"))
}

async fn the_open_period_is_hidden_and_a_release_never_moves(app: TestApp) {
    let lead = app.register("lead@example.org").await;
    let team = create_group(&app, &lead, group_input("Urgences", "PUBLIC")).await;
    let mut people = respondents(&app, "a", 5, 3, &[&team]).await;
    members_since_long_ago(&app, &team).await;
    let start = current_period(&app);
    // The open period is never shown: reading before and after a sixth person's check-in (or a
    // second check-in of someone) gives the same nothing.
    let before = point(&app, &lead, &team, start).await;
    assert_eq!(
        before,
        json!({ "weekStart": start.to_string(), "periodWeeks": 1, "suppressed": true,
                "respondents": null, "averageScore": null, "margin": null,
                "reason": "NOT_RELEASED" })
    );
    people.extend(respondents(&app, "b", 1, 0, &[&team]).await);
    submit_shared(&app, &people[0], &[5, 5, 5, 5, 5], &team).await;
    assert_eq!(point(&app, &lead, &team, start).await, before);
    // Non-members see nothing at all.
    let outsider = app.register("out@example.org").await;
    let refused = app
        .gql(
            Some(&outsider.access_token),
            WELLBEING,
            json!({ "id": team, "weeks": 1 }),
        )
        .await;
    assert_eq!(error_code(&refused), "FORBIDDEN");

    // The period closes, a day passes in UTC: released, once.
    let released_at = periods(&app).released_at(start);
    assert_eq!(
        release_at(&app, released_at - Duration::minutes(1)).await,
        0
    );
    assert!(release_at(&app, released_at).await >= 1);
    assert_eq!(release_at(&app, released_at + Duration::days(1)).await, 0);
    let released = point(&app, &lead, &team, start).await;
    assert_eq!(released["suppressed"], false, "{released}");
    assert_eq!(released["reason"], Value::Null);
    let respondents_shown = released["respondents"].as_i64().unwrap();
    assert!((5..=8).contains(&respondents_shown), "{released}");
    let average = released["averageScore"].as_f64().unwrap();
    assert_eq!(average, average.round(), "a whole point");
    assert!((0.0..=100.0).contains(&average));
    let margin = released["margin"].as_f64().unwrap();
    assert!(margin > 0.0 && margin < 30.0, "{released}");

    // It reads the same every time, and after people delete their check-ins or their account.
    assert_eq!(point(&app, &people[1], &team, start).await, released);
    let deleted = app
        .gql(
            Some(&people[0].access_token),
            "mutation { deleteMyCheckins }",
            json!({}),
        )
        .await;
    assert_eq!(deleted["data"]["deleteMyCheckins"], 2, "{deleted}");
    assert_eq!(point(&app, &lead, &team, start).await, released);
    let gone = app
        .gql(
            Some(&people[2].access_token),
            "mutation { deleteAccount(password: \"a long enough password\") }",
            json!({}),
        )
        .await;
    assert_eq!(gone["data"]["deleteAccount"], true, "{gone}");
    assert_eq!(point(&app, &lead, &team, start).await, released);
    // Nor does the retention purge, 800 days on (it ends the sessions too: a newcomer reads).
    relais::privacy::retention::purge(
        &app.state.db,
        &app.state.config.retention,
        Utc::now().naive_utc() + Duration::days(800),
    )
    .await
    .unwrap();
    assert!(stored(&app).await.is_empty());
    let newcomer = app.register("late@example.org").await;
    join(&app, &newcomer, &team).await;
    assert_eq!(point(&app, &newcomer, &team, start).await, released);
}

async fn instances_releasing_at_once_release_each_period_once(app: TestApp) {
    let lead = app.register("lead@example.org").await;
    let team = create_group(&app, &lead, group_input("Urgences", "PUBLIC")).await;
    respondents(&app, "a", 5, 3, &[&team]).await;
    members_since_long_ago(&app, &team).await;
    let start = current_period(&app);
    // Three weeks after this one was released: four periods are due, and six runs (instances)
    // ask at once. Each period is released by one of them.
    let now = periods(&app).released_at(start) + Duration::weeks(3);
    let runs = futures_util::future::join_all((0..6).map(|_| release_at(&app, now))).await;
    assert_eq!(runs.iter().sum::<usize>(), 4, "{runs:?}");
    let shown = point(&app, &lead, &team, start).await;
    assert_eq!(shown["suppressed"], false, "{shown}");
    let rows: i64 = app
        .state
        .db
        .run(|conn| {
            Ok(relais::db::schema::wellbeing_releases::table
                .count()
                .get_result(conn)?)
        })
        .await
        .unwrap();
    assert_eq!(
        rows, 1,
        "one group, one instrument, one period with check-ins"
    );
    // A run that comes five weeks late catches up the five periods it missed.
    assert_eq!(release_at(&app, now + Duration::weeks(5)).await, 5);
}

/// `who` shares a WHO-5 check-in with `group`.
async fn submit_shared(app: &TestApp, who: &Session, answers: &[i32], group: &str) -> Value {
    let answer = app
        .gql(
            Some(&who.access_token),
            SUBMIT,
            json!({ "input": { "instrument": "WHO5", "answers": answers,
                               "shareWithGroupIds": [group] } }),
        )
        .await;
    assert!(answer["errors"].is_null(), "{answer}");
    answer
}

async fn members_who_joined_during_the_period_do_not_count(app: TestApp) {
    let lead = app.register("lead@example.org").await;
    let team = create_group(&app, &lead, group_input("Réa", "PUBLIC")).await;
    let tenured = create_group(&app, &lead, group_input("Bloc", "PUBLIC")).await;
    // Four long-standing members and one who joins now, all sharing: only four count.
    respondents(&app, "a", 4, 3, &[&team, &tenured]).await;
    members_since_long_ago(&app, &team).await;
    respondents(&app, "new", 1, 3, &[&team]).await;
    // The other group: five long-standing members.
    respondents(&app, "b", 1, 4, &[&tenured]).await;
    members_since_long_ago(&app, &tenured).await;
    let start = current_period(&app);
    release_at(&app, periods(&app).released_at(start)).await;
    let point_of = point(&app, &lead, &team, start).await;
    assert_eq!(point_of["reason"], "TOO_FEW", "{point_of}");
    assert_eq!(point_of["respondents"], Value::Null);
    let other = point(&app, &lead, &tenured, start).await;
    assert_eq!(other["suppressed"], false, "{other}");
    // A period without anyone sharing reads TOO_FEW once released, not NOT_RELEASED.
    let quiet = create_group(&app, &lead, group_input("Calme", "PUBLIC")).await;
    assert_eq!(point(&app, &lead, &quiet, start).await["reason"], "TOO_FEW");
}

async fn check_ins_reach_a_few_groups_per_period(app: TestApp) {
    let ana = app.register("ana@example.org").await;
    let mut groups = Vec::new();
    for name in ["Premier", "Deuxième", "Troisième", "Quatrième"] {
        groups.push(create_group(&app, &ana, group_input(name, "PUBLIC")).await);
    }
    submit_shared(&app, &ana, &[3, 3, 3, 3, 3], &groups[0]).await;
    let two_more = app
        .gql(
            Some(&ana.access_token),
            SUBMIT,
            json!({ "input": { "instrument": "WHO5", "answers": [3, 3, 3, 3, 3],
                               "shareWithGroupIds": [groups[1], groups[2], groups[0]] } }),
        )
        .await;
    assert!(two_more["errors"].is_null(), "{two_more}");
    // A fourth group in the same period: refused, nothing stored.
    let fourth = app
        .gql(
            Some(&ana.access_token),
            SUBMIT,
            json!({ "input": { "instrument": "WHO5", "answers": [3, 3, 3, 3, 3],
                               "shareWithGroupIds": [groups[3]] } }),
        )
        .await;
    assert_eq!(error_code(&fourth), "BAD_USER_INPUT", "{fourth}");
    assert_eq!(error_field(&fourth), "shareWithGroupIds");
    assert!(
        fourth["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("3 groupes au plus")
    );
    assert_eq!(stored(&app).await.len(), 2);
    // Another instrument has a budget of its own; a check-in shared with none is always taken.
    let pss = app
        .gql(
            Some(&ana.access_token),
            SUBMIT,
            json!({ "input": { "instrument": "PSS4", "answers": [1, 1, 1, 1],
                               "shareWithGroupIds": [groups[3]] } }),
        )
        .await;
    assert!(pss["errors"].is_null(), "{pss}");
    assert!(submit(&app, &ana, "WHO5", &[1, 1, 1, 1, 1]).await["errors"].is_null());
}

async fn group_wellbeing_costs_the_same_whatever_the_group(mut app: TestApp) {
    // The statement count is the whole pool's: background work would add to it.
    app.stop_background().await;
    let lead = app.register("lead@example.org").await;
    let small = create_group(&app, &lead, group_input("Petit", "PUBLIC")).await;
    let large = create_group(&app, &lead, group_input("Grand", "PUBLIC")).await;
    respondents(&app, "a", 3, 3, &[&small, &large]).await;
    respondents(&app, "b", 12, 2, &[&large]).await;
    members_since_long_ago(&app, &large).await;
    members_since_long_ago(&app, &small).await;
    release_at(
        &app,
        periods(&app).released_at(current_period(&app)) + Duration::weeks(8),
    )
    .await;
    let mut costs = Vec::new();
    for group in [&small, &large] {
        let before = app.state.db.statements_run();
        let points = wellbeing(&app, &lead, group, 104).await;
        costs.push(app.state.db.statements_run() - before);
        assert!(points.len() >= 104, "{}", points.len());
    }
    assert_eq!(costs[0], costs[1], "{costs:?}");
    // The session's look-ups, the membership, the time zone, the releases, the last release.
    assert!(costs[0] <= 7, "{costs:?}");
}

async fn a_loose_figure_is_too_uncertain_to_show(app: TestApp) {
    let lead = app.register("lead@example.org").await;
    let team = create_group(&app, &lead, group_input("Urgences", "PUBLIC")).await;
    respondents(&app, "a", 6, 3, &[&team]).await;
    members_since_long_ago(&app, &team).await;
    let start = current_period(&app);
    release_at(&app, periods(&app).released_at(start)).await;
    let shown = point(&app, &lead, &team, start).await;
    assert_eq!(shown["reason"], "TOO_UNCERTAIN", "{shown}");
    assert_eq!(shown["averageScore"], Value::Null);
    // The guarantee, as the app explains it.
    let privacy = app
        .gql(
            Some(&lead.access_token),
            "{ wellbeingPrivacy { minRespondents epsilon periodWeeks maxMargin tenureRule summary } }",
            json!({}),
        )
        .await;
    let privacy = &privacy["data"]["wellbeingPrivacy"];
    assert_eq!(
        (
            &privacy["minRespondents"],
            &privacy["epsilon"],
            &privacy["periodWeeks"],
            &privacy["maxMargin"]
        ),
        (&json!(5), &json!(0.5), &json!(4), &json!(20.0)),
        "{privacy}"
    );
    assert!(privacy["summary"].as_str().unwrap().contains("au moins 5"));
    assert!(
        privacy["tenureRule"]
            .as_str()
            .unwrap()
            .contains("avant le début")
    );
}

/// A WHO-5 score (a multiple of 4) that looks random but is fixed by `week` and `who`.
fn score(week: usize, who: usize) -> i32 {
    let mixed = (week * 7919 + who * 104_729 + 17) % 26;
    4 * mixed as i32
}

/// One person's weekly check-ins in a constructed attack: for each week, a score per share.
struct Plan {
    /// (groups the check-in is shared with, as indexes, and who it is for the score).
    checkins: Vec<(Vec<usize>, usize)>,
}

/// Builds `groups` groups led by the attacker, people following `plans`, and for each of the
/// last `weeks` closed weeks one check-in per planned share, written in one transaction (a test
/// cannot choose the day it runs on); everyone counts as a member since long before; then
/// releases them all. The groups, and the first week.
async fn constructed(
    app: &TestApp,
    attacker: &Session,
    groups: usize,
    plans: &[Plan],
    weeks: usize,
) -> (Vec<String>, NaiveDate) {
    let mut ids = Vec::new();
    for n in 0..groups {
        ids.push(create_group(app, attacker, group_input(&format!("Groupe {n}"), "PUBLIC")).await);
    }
    let mut pseudonyms = Vec::new();
    for (n, plan) in plans.iter().enumerate() {
        let person = app.register(&format!("p{n}@example.org")).await;
        let mut joined = std::collections::BTreeSet::new();
        for (groups, _) in &plan.checkins {
            joined.extend(groups.iter().copied());
        }
        for group in joined {
            join(app, &person, &ids[group]).await;
        }
        pseudonyms.push(pseudonym_of(
            &UserId::from_client(person.user_id.clone()),
            &app.state.secret,
        ));
    }
    for group in &ids {
        members_since_long_ago(app, group).await;
    }
    let now = Utc::now().naive_utc();
    let last = periods(app).last_closed(now);
    let first = last - Duration::weeks(weeks as i64 - 1);
    let mut rows = Vec::new();
    let mut shares = Vec::new();
    for week in 0..weeks {
        let day = first + Duration::weeks(week as i64) + Duration::days(2);
        for (pseudonym, plan) in pseudonyms.iter().zip(plans) {
            for (groups, who) in &plan.checkins {
                let id = CheckinId::random();
                rows.push(CheckinRow {
                    id: id.clone(),
                    pseudonym: pseudonym.clone(),
                    instrument: Instrument::Who5,
                    score: score(week, *who),
                    recorded_on: day,
                });
                for group in groups {
                    shares.push((id.clone(), ids[*group].clone()));
                }
            }
        }
    }
    app.state
        .db
        .write(move |conn| {
            for row in &rows {
                diesel::insert_into(checkins::table)
                    .values(row)
                    .execute(conn)?;
            }
            for (checkin, group) in &shares {
                diesel::insert_into(checkin_shares::table)
                    .values((
                        checkin_shares::checkin_id.eq(checkin),
                        checkin_shares::group_id.eq(group),
                    ))
                    .execute(conn)?;
            }
            Ok(())
        })
        .await
        .unwrap();
    release_at(app, now).await;
    (ids, first)
}

/// The published mean of each week from `first` on (the outer list), for each group.
async fn published(
    app: &TestApp,
    who: &Session,
    groups: &[String],
    first: NaiveDate,
    weeks: usize,
) -> Vec<Vec<f64>> {
    let mut points = Vec::new();
    for group in groups {
        points.push(wellbeing(app, who, group, 104).await);
    }
    (0..weeks)
        .map(|week| {
            let start = (first + Duration::weeks(week as i64)).to_string();
            points
                .iter()
                .map(|points| {
                    let point = points
                        .iter()
                        .find(|point| point["weekStart"] == start)
                        .unwrap_or_else(|| panic!("no point for {start}"));
                    point["averageScore"]
                        .as_f64()
                        .unwrap_or_else(|| panic!("{start} shown: {point}"))
                })
                .collect()
        })
        .collect()
}

/// P(|X| > t) for OpenDP's discrete Laplace of scale `b`: the fraction of an attacker's
/// estimates that the sum's noise alone puts more than `t` points off (other noise only adds).
fn predicted_misses(b: f64, t: i64) -> f64 {
    let q = (-1.0 / b).exp();
    2.0 * q.powi(t as i32 + 1) / (1.0 + q)
}

/// Checks that estimates of the target's weekly score miss by more than 10 points at least as
/// often as the noise scale predicts (less a margin for 200 draws).
fn assert_misses(app: &TestApp, errors: &[f64]) {
    assert!(errors.len() >= 200, "{} estimates", errors.len());
    let scale = Noise::new(app.state.config.checkins.epsilon)
        .unwrap()
        .scale();
    let predicted = predicted_misses(scale, 10);
    let observed =
        errors.iter().filter(|error| error.abs() > 10.0).count() as f64 / errors.len() as f64;
    // With 200 estimates the observed fraction's standard error is about 0.033 (0.024 with 400):
    // fail only when it is far below.
    assert!(
        observed >= predicted - 0.12,
        "misses by more than 10 points: {observed:.2}, the noise predicts {predicted:.2}"
    );
}

const WEEKS: usize = 100;

async fn four_known_accounts_do_not_reveal_the_fifth(app: TestApp) {
    let attacker = app.register("attacker@example.org").await;
    // Four accounts the attacker controls (scores known) and a target, each sharing every week
    // with two groups; twice, apart, for 400 estimates.
    let mut plans = Vec::new();
    for set in 0..2 {
        plans.extend((0..5).map(|who| Plan {
            checkins: vec![(vec![2 * set, 2 * set + 1], 10 * set + who)],
        }));
    }
    let (groups, first) = constructed(&app, &attacker, 4, &plans, WEEKS).await;
    let means = published(&app, &attacker, &groups, first, WEEKS).await;
    let mut errors = Vec::new();
    for (week, shown) in means.iter().enumerate() {
        for (group, mean) in shown.iter().enumerate() {
            let set = group / 2;
            let known: i32 = (1..5).map(|who| score(week, 10 * set + who)).sum();
            let estimate = 5.0 * mean - f64::from(known);
            errors.push(estimate - f64::from(score(week, 10 * set)));
        }
    }
    assert_misses(&app, &errors);
    // Each release was drawn on its own: the two groups' figures of a week differ at times.
    assert!(means.iter().any(|shown| shown[0] != shown[1]));
}

async fn three_overlapping_groups_do_not_reveal_the_one_apart(app: TestApp) {
    let attacker = app.register("attacker@example.org").await;
    // Two constructions side by side, 11 people each: A (5), B (5), and G = A ∪ B ∪ {target}.
    let mut plans = Vec::new();
    for construction in 0..2 {
        let (a, b, g) = (3 * construction, 3 * construction + 1, 3 * construction + 2);
        plans.push(Plan {
            checkins: vec![(vec![g], 100 + construction)],
        });
        for n in 0..5 {
            plans.push(Plan {
                checkins: vec![(vec![a, g], 10 * construction + n)],
            });
            plans.push(Plan {
                checkins: vec![(vec![b, g], 10 * construction + 5 + n)],
            });
        }
    }
    let (groups, first) = constructed(&app, &attacker, 6, &plans, WEEKS).await;
    let means = published(&app, &attacker, &groups, first, WEEKS).await;
    let mut errors = Vec::new();
    for (week, shown) in means.iter().enumerate() {
        for construction in 0..2 {
            let [a, b, g] = [0, 1, 2].map(|n| shown[3 * construction + n]);
            let estimate = 11.0 * g - 5.0 * a - 5.0 * b;
            errors.push(estimate - f64::from(score(week, 100 + construction)));
        }
    }
    assert_misses(&app, &errors);
}

async fn a_person_sharing_different_check_ins_stays_hidden(app: TestApp) {
    let attacker = app.register("attacker@example.org").await;
    // Two groups with the same five people; the target shares one check-in with each, so that
    // the two figures differ by the change between the target's two scores. Twice, apart.
    let mut plans = Vec::new();
    for pair in [0, 2] {
        plans.extend((1..5).map(|who| Plan {
            checkins: vec![(vec![pair, pair + 1], 10 * pair + who)],
        }));
        plans.push(Plan {
            checkins: vec![(vec![pair], 50 + pair), (vec![pair + 1], 51 + pair)],
        });
    }
    let (groups, first) = constructed(&app, &attacker, 4, &plans, WEEKS).await;
    let means = published(&app, &attacker, &groups, first, WEEKS).await;
    let mut errors = Vec::new();
    for (week, shown) in means.iter().enumerate() {
        for pair in [0, 2] {
            let change = f64::from(score(week, 50 + pair) - score(week, 51 + pair));
            errors.push(5.0 * (shown[pair] - shown[pair + 1]) - change);
        }
    }
    assert_misses(&app, &errors);
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
