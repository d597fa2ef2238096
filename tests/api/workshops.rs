//! Workshops: who schedules, validation, the waitlist under concurrency, promotion, reminders,
//! link visibility, group workshops, near-me ordering.

use chrono::{Duration, Utc};
use diesel::prelude::*;
use futures_util::future::join_all;
use relais::accounts::model::Role;
use relais::accounts::service::grant_role;
use relais::db::schema::notifications;
use serde_json::{Value, json};

use crate::groups::{create_group, group_input, join};
use crate::helpers::{Session, TestApp, error_code, error_field, received_kinds};

on_both_backends!(
    scheduling_is_for_organisers_and_group_facilitators,
    bad_workshops_are_refused_field_by_field_and_nothing_is_stored,
    the_waitlist_is_first_come_first_served_and_a_freed_seat_goes_to_its_head,
    concurrent_registrations_never_overfill_nor_skip_anyone,
    reminders_follow_registrations_and_cancellations,
    near_me_lists_the_nearest_first_within_the_radius,
    near_me_pages_give_everyone_within_the_radius_in_order,
    attendance_ratings_and_comments_follow_their_rules,
    the_calendar_feed_url_stays_until_rotated,
    a_time_change_moves_reminders_and_a_late_seat_brings_one_notice,
    a_workshop_calendar_file_parses_back_and_shows_the_link_to_insiders_only,
    the_personal_feed_lists_confirmed_workshops_until_rotated,
    certificates_are_for_attendees_and_verified_by_code,
    leaving_a_group_ends_what_its_workshops_gave,
    a_workshop_for_a_group_one_cannot_see_is_not_found,
    nothing_typed_adds_a_line_to_a_calendar,
);

/// The document's lines, folded lines joined back (RFC 5545 §3.1).
fn unfolded_lines(document: &str) -> Vec<String> {
    document
        .replace("\r\n ", "")
        .replace("\r\n\t", "")
        .split("\r\n")
        .map(str::to_owned)
        .collect()
}

async fn nothing_typed_adds_a_line_to_a_calendar(app: TestApp) {
    let ana = organiser(&app, "ana@example.org").await;
    // URLs: whitespace or control characters anywhere are refused, not dropped.
    for url in [
        "https://visio.example.org/a\r\nATTENDEE:mailto:evil@example.org",
        "https://visio.example.org/a\nX-INJECTED:1",
        "https://visio.example.org/a\tb",
        " https://visio.example.org/a",
        "https://visio.example.org/a b",
        "https://visio.example.org/\u{200B}a",
        "http://visio.example.org/a",
        "javascript:alert(1)",
    ] {
        let mut input = workshop_input("Souffle", 5);
        input["onlineUrl"] = json!(url);
        let refused = schedule(&app, &ana, input).await;
        assert_eq!(error_code(&refused), "BAD_USER_INPUT", "{url:?}: {refused}");
        assert!(
            ["onlineUrl", "input"].contains(&error_field(&refused)),
            "{url:?}: {refused}"
        );
    }
    // Stored in its normalised form.
    let mut input = workshop_input("Souffle", 5);
    input["onlineUrl"] = json!("HTTPS://Visio.EXAMPLE.org/Salle?x=1");
    let stored = schedule(&app, &ana, input).await;
    assert_eq!(
        stored["data"]["scheduleWorkshop"]["onlineUrl"], "https://visio.example.org/Salle?x=1",
        "{stored}"
    );
    // Line breaks and folding tricks in every text that reaches a calendar stay inside values.
    let trick = "Pause\nATTENDEE:mailto:evil@example.org\n X-INJECTED:1\n\tX-TAB:1";
    let mut input = workshop_input("Souffle", 5);
    for field in ["description", "location", "materials"] {
        input[field] = json!(format!("{field} {trick}"));
    }
    input["title"] = json!("Souffle; ATTENDEE:mailto:evil@example.org, X-INJECTED:1");
    let id = scheduled_id(&app, &ana, input).await;
    let bob = app.register("bob@example.org").await;
    register(&app, &bob, &id).await;
    let (_, single) = get(
        &app,
        &format!("/workshops/{id}/calendar.ics"),
        Some(&bob.access_token),
    )
    .await;
    let (_, feed) = get(&app, &feed_url(&app, &bob).await, None).await;
    for document in [&single, &feed] {
        let lines = unfolded_lines(document);
        for line in &lines {
            for injected in ["ATTENDEE", "X-INJECTED", "X-TAB"] {
                assert!(!line.starts_with(injected), "{line:?} in {document}");
            }
        }
        let parsed = events(document);
        assert_eq!(parsed.len(), 1, "{document}");
        use icalendar::Component;
        assert!(parsed[0].property_value("ATTENDEE").is_none());
        assert!(
            parsed[0]
                .get_description()
                .is_some_and(|text| text.contains("X-INJECTED")),
            "the trick stays text: {document}"
        );
    }
}

/// What `who` can reach of their group workshop: their registrations' links, the feed, the .ics.
async fn reachable(app: &TestApp, who: &Session, id: &str) -> (Value, String, u16) {
    let registrations = app
        .gql(
            Some(&who.access_token),
            "{ myRegistrations { status workshop { onlineUrl materials } } }",
            json!({}),
        )
        .await;
    let (_, feed) = get(app, &feed_url(app, who).await, None).await;
    let (ics, _) = get(
        app,
        &format!("/workshops/{id}/calendar.ics"),
        Some(&who.access_token),
    )
    .await;
    (registrations["data"]["myRegistrations"].clone(), feed, ics)
}

async fn leaving_a_group_ends_what_its_workshops_gave(app: TestApp) {
    let lead = app.register("lead@example.org").await;
    let group = create_group(&app, &lead, group_input("Urgences de nuit", "PUBLIC")).await;
    let mut input = workshop_input("Débrief de garde", 1);
    input["groupId"] = json!(group);
    let ahead = scheduled_id(&app, &lead, input.clone()).await;
    let mut past_input = workshop_input("Débrief passé", 5);
    past_input["groupId"] = json!(group);
    let past = scheduled_id(&app, &lead, past_input).await;
    let [ana, bob, cy] = [
        app.register("ana@example.org").await,
        app.register("bob@example.org").await,
        app.register("cy@example.org").await,
    ];
    for who in [&ana, &bob, &cy] {
        join(&app, who, &group).await;
    }
    assert_eq!(
        register(&app, &ana, &ahead).await["data"]["registerForWorkshop"]["status"],
        "CONFIRMED"
    );
    assert_eq!(
        register(&app, &bob, &ahead).await["data"]["registerForWorkshop"]["status"],
        "WAITLISTED"
    );
    register(&app, &ana, &past).await;
    age(&app, &past, Duration::days(3)).await; // it took place yesterday
    let (before, feed, ics) = reachable(&app, &ana, &ahead).await;
    assert!(before.to_string().contains("visio.example.org"), "{before}");
    assert!(feed.contains("visio.example.org") && ics == 200);

    // Ana leaves: her seat goes to Bob, she is told without by whom, and the links are gone.
    let left = app
        .gql(
            Some(&ana.access_token),
            "mutation($id: ID!) { leaveGroup(groupId: $id) }",
            json!({ "id": group }),
        )
        .await;
    assert_eq!(left["data"]["leaveGroup"], true, "{left}");
    let seen = workshop(&app, &bob, &ahead).await;
    assert_eq!(seen["viewerRegistration"]["status"], "CONFIRMED", "{seen}");
    assert_eq!(seen["confirmedCount"], 1);
    assert!(
        received_kinds(&app, &bob.user_id)
            .await
            .contains(&"WORKSHOP_SEAT".to_owned())
    );
    let inbox = app
        .gql(
            Some(&ana.access_token),
            "{ notifications(first: 5) { edges { node { kind title body } } } }",
            json!({}),
        )
        .await;
    let notice = &inbox["data"]["notifications"]["edges"][0]["node"];
    assert_eq!(notice["kind"], "WORKSHOP_REGISTRATION_ENDED", "{inbox}");
    assert!(!inbox.to_string().contains("lead"), "{inbox}");
    let (after, feed, ics) = reachable(&app, &ana, &ahead).await;
    assert!(!after.to_string().contains("visio.example.org"), "{after}");
    assert!(!after.to_string().contains("coussin"), "{after}");
    assert!(!feed.contains("visio.example.org"), "{feed}");
    assert_eq!(ics, 404);
    let reminders_left = reminders(&app, &ahead, &ana.user_id).await;
    assert!(reminders_left.is_empty(), "{reminders_left:?}");

    // Removed by a facilitator: the same.
    let removed = app
        .gql(
            Some(&lead.access_token),
            "mutation($g: ID!, $u: ID!) { removeMember(groupId: $g, userId: $u) }",
            json!({ "g": group, "u": bob.user_id }),
        )
        .await;
    assert_eq!(removed["data"]["removeMember"], true, "{removed}");
    assert_eq!(workshop(&app, &lead, &ahead).await["confirmedCount"], 0);
    assert!(
        received_kinds(&app, &bob.user_id)
            .await
            .contains(&"WORKSHOP_REGISTRATION_ENDED".to_owned())
    );
    assert!(
        !reachable(&app, &bob, &ahead)
            .await
            .0
            .to_string()
            .contains("visio")
    );
    // Cy, who stayed, keeps everything.
    register(&app, &cy, &ahead).await;
    assert!(
        reachable(&app, &cy, &ahead)
            .await
            .0
            .to_string()
            .contains("visio")
    );
}

async fn a_workshop_for_a_group_one_cannot_see_is_not_found(app: TestApp) {
    let ana = organiser(&app, "ana@example.org").await;
    let admin = app.register("admin@example.org").await;
    grant_role(&app.state.db, "admin@example.org", Role::Admin)
        .await
        .unwrap();
    let lead = app.register("lead@example.org").await;
    let private = create_group(&app, &lead, group_input("Cercle fermé", "PRIVATE")).await;
    let public = create_group(&app, &lead, group_input("Cercle ouvert", "PUBLIC")).await;
    for (who, group) in [
        (&ana, "0190a5b2-0000-7000-8000-000000000000".to_owned()),
        (&admin, "0190a5b2-0000-7000-8000-000000000000".to_owned()),
        (&ana, private.clone()),
        (&admin, private.clone()),
    ] {
        let mut input = workshop_input("Débrief", 5);
        input["groupId"] = json!(group);
        let refused = schedule(&app, who, input).await;
        assert_eq!(error_code(&refused), "NOT_FOUND", "{refused}");
        assert_eq!(error_field(&refused), "groupId");
    }
    // Its facilitator may; an organiser may for a public group.
    let mut input = workshop_input("Débrief", 5);
    input["groupId"] = json!(private);
    assert!(schedule(&app, &lead, input).await["errors"].is_null());
    let mut input = workshop_input("Débrief public", 5);
    input["groupId"] = json!(public);
    assert!(schedule(&app, &ana, input).await["errors"].is_null());
    let stored = app
        .gql(
            Some(&lead.access_token),
            "{ workshops(first: 10) { edges { node { title } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        stored["data"]["workshops"]["edges"]
            .as_array()
            .unwrap()
            .len(),
        2,
        "{stored}"
    );
}

const SCHEDULE: &str = "mutation($input: ScheduleWorkshopInput!) { scheduleWorkshop(input: $input) {
    id title capacity confirmedCount waitlistCount status onlineUrl materials organiser { displayName } } }";
const REGISTER: &str = "mutation($id: ID!) { registerForWorkshop(workshopId: $id) {
    status waitlistPosition user { id } workshop { confirmedCount waitlistCount onlineUrl materials } } }";
const CANCEL_REGISTRATION: &str =
    "mutation($id: ID!) { cancelRegistration(workshopId: $id) { status waitlistPosition } }";
const WORKSHOP: &str = "query($id: ID!) { workshop(id: $id) { id confirmedCount waitlistCount
    onlineUrl materials viewerRegistration { status waitlistPosition } } }";

pub fn workshop_input(title: &str, capacity: i32) -> Value {
    let starts = Utc::now() + Duration::days(2);
    json!({
        "title": title, "description": "Respirer ensemble.", "technique": "BREATHING",
        "format": "HYBRID", "language": "fr", "timezone": "Europe/Paris",
        "startsAt": starts.to_rfc3339(), "endsAt": (starts + Duration::hours(2)).to_rfc3339(),
        "location": "Salle 3, CHU de Nantes", "onlineUrl": "https://visio.example.org/souffle",
        "materials": "Apportez un coussin.", "capacity": capacity,
    })
}

pub async fn organiser(app: &TestApp, email: &str) -> Session {
    let session = app.register(email).await;
    grant_role(&app.state.db, email, Role::Organiser)
        .await
        .unwrap();
    session
}

async fn schedule(app: &TestApp, who: &Session, input: Value) -> Value {
    app.gql(Some(&who.access_token), SCHEDULE, json!({ "input": input }))
        .await
}

pub async fn scheduled_id(app: &TestApp, who: &Session, input: Value) -> String {
    let answer = schedule(app, who, input).await;
    answer["data"]["scheduleWorkshop"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{answer}"))
        .to_owned()
}

pub async fn register(app: &TestApp, who: &Session, workshop: &str) -> Value {
    app.gql(Some(&who.access_token), REGISTER, json!({ "id": workshop }))
        .await
}

async fn workshop(app: &TestApp, who: &Session, id: &str) -> Value {
    let answer = app
        .gql(Some(&who.access_token), WORKSHOP, json!({ "id": id }))
        .await;
    answer["data"]["workshop"].clone()
}

async fn scheduling_is_for_organisers_and_group_facilitators(app: TestApp) {
    let nurse = app.register("nurse@example.org").await;
    let refused = schedule(&app, &nurse, workshop_input("Souffle", 10)).await;
    assert_eq!(error_code(&refused), "FORBIDDEN", "{refused}");

    let ana = organiser(&app, "ana@example.org").await;
    let scheduled = schedule(&app, &ana, workshop_input("Souffle", 10)).await;
    let node = &scheduled["data"]["scheduleWorkshop"];
    assert_eq!(node["status"], "SCHEDULED", "{scheduled}");
    assert_eq!(node["onlineUrl"], "https://visio.example.org/souffle");
    assert_eq!(node["organiser"]["displayName"], "ana");

    // A facilitator schedules for their group; the workshop is listed to its members only.
    let group = create_group(&app, &nurse, group_input("Urgences de nuit", "PUBLIC")).await;
    let mut for_group = workshop_input("Débrief de garde", 8);
    for_group["groupId"] = json!(group);
    let group_workshop = scheduled_id(&app, &nurse, for_group.clone()).await;
    let outsider = app.register("outsider@example.org").await;
    let refused = schedule(&app, &outsider, for_group).await;
    assert_eq!(error_code(&refused), "FORBIDDEN");
    assert_eq!(
        workshop(&app, &outsider, &group_workshop).await,
        Value::Null
    );
    let listed = |who: Session| {
        let app = &app;
        async move {
            let answer = app
                .gql(
                    Some(&who.access_token),
                    "{ workshops(first: 10) { edges { node { title } } } }",
                    json!({}),
                )
                .await;
            answer["data"]["workshops"]["edges"]
                .as_array()
                .unwrap_or_else(|| panic!("{answer}"))
                .iter()
                .map(|edge| edge["node"]["title"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(listed(outsider.clone()).await, ["Souffle"]);
    join(&app, &outsider, &group).await;
    assert_eq!(listed(outsider).await, ["Souffle", "Débrief de garde"]);
}

async fn bad_workshops_are_refused_field_by_field_and_nothing_is_stored(app: TestApp) {
    let ana = organiser(&app, "ana@example.org").await;
    let now = Utc::now();
    let cases: Vec<(&str, Value, &str)> = vec![
        ("title", json!("ab"), "title"),
        (
            "startsAt",
            json!((now - Duration::hours(1)).to_rfc3339()),
            "startsAt",
        ),
        (
            "endsAt",
            json!((now + Duration::days(1)).to_rfc3339()),
            "endsAt",
        ),
        (
            "endsAt",
            json!((now + Duration::days(2) + Duration::hours(13)).to_rfc3339()),
            "endsAt",
        ),
        ("timezone", json!("Mars/Olympus"), "timezone"),
        ("capacity", json!(0), "capacity"),
        ("capacity", json!(1001), "capacity"),
        ("location", Value::Null, "location"),
        ("onlineUrl", Value::Null, "onlineUrl"),
        ("onlineUrl", json!("http://visio.example.org"), "onlineUrl"),
        ("latitude", json!(91.0), "latitude"),
        ("language", json!("français!"), "language"),
    ];
    for (name, value, field) in cases {
        let mut input = workshop_input("Souffle", 10);
        input[name] = value.clone();
        if name == "latitude" {
            input["longitude"] = json!(2.0);
        }
        let answer = schedule(&app, &ana, input).await;
        assert_eq!(
            error_code(&answer),
            "BAD_USER_INPUT",
            "{name}={value}: {answer}"
        );
        assert_eq!(error_field(&answer), field, "{name}={value}");
    }
    let mut online = workshop_input("En ligne", 10);
    online["format"] = json!("ONLINE");
    online["latitude"] = json!(47.2);
    online["longitude"] = json!(-1.5);
    let answer = schedule(&app, &ana, online).await;
    assert_eq!(error_field(&answer), "latitude", "{answer}");
    let listed = app
        .gql(
            Some(&ana.access_token),
            "{ workshops { edges { node { id } } } }",
            json!({}),
        )
        .await;
    assert_eq!(listed["data"]["workshops"]["edges"], json!([]));
}

async fn the_waitlist_is_first_come_first_served_and_a_freed_seat_goes_to_its_head(app: TestApp) {
    let ana = organiser(&app, "ana@example.org").await;
    let id = scheduled_id(&app, &ana, workshop_input("Souffle", 2)).await;
    let mut people = Vec::new();
    for name in ["a", "b", "c", "d"] {
        people.push(app.register(&format!("{name}@example.org")).await);
    }
    let mut outcomes = Vec::new();
    for person in &people {
        let answer = register(&app, person, &id).await;
        let node = &answer["data"]["registerForWorkshop"];
        outcomes.push((node["status"].clone(), node["waitlistPosition"].clone()));
    }
    assert_eq!(
        outcomes,
        [
            (json!("CONFIRMED"), Value::Null),
            (json!("CONFIRMED"), Value::Null),
            (json!("WAITLISTED"), json!(1)),
            (json!("WAITLISTED"), json!(2)),
        ]
    );
    let twice = register(&app, &people[0], &id).await;
    assert_eq!(error_code(&twice), "CONFLICT");
    // The link and the materials: confirmed attendees and the organiser only.
    let confirmed = workshop(&app, &people[0], &id).await;
    assert_eq!(confirmed["onlineUrl"], "https://visio.example.org/souffle");
    assert_eq!(confirmed["materials"], "Apportez un coussin.");
    let waiting = workshop(&app, &people[2], &id).await;
    assert_eq!(
        (&waiting["onlineUrl"], &waiting["materials"]),
        (&Value::Null, &Value::Null)
    );

    // B leaves: C (head of the line) gets the seat and is told; D moves up.
    let left = app
        .gql(
            Some(&people[1].access_token),
            CANCEL_REGISTRATION,
            json!({ "id": id }),
        )
        .await;
    assert_eq!(
        left["data"]["cancelRegistration"]["status"], "CANCELLED",
        "{left}"
    );
    let c = workshop(&app, &people[2], &id).await;
    assert_eq!(c["viewerRegistration"]["status"], "CONFIRMED");
    assert_eq!(c["onlineUrl"], "https://visio.example.org/souffle");
    let d = workshop(&app, &people[3], &id).await;
    assert_eq!(
        d["viewerRegistration"],
        json!({ "status": "WAITLISTED", "waitlistPosition": 1 })
    );
    let told = app
        .gql(
            Some(&people[2].access_token),
            "{ notifications(first: 5) { edges { node { kind } } } }",
            json!({}),
        )
        .await;
    assert!(
        told["data"]["notifications"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .any(|edge| edge["node"]["kind"] == "WORKSHOP_SEAT"),
        "{told}"
    );
    // B comes back: at the back of the line.
    let again = register(&app, &people[1], &id).await;
    assert_eq!(
        (
            &again["data"]["registerForWorkshop"]["status"],
            &again["data"]["registerForWorkshop"]["waitlistPosition"]
        ),
        (&json!("WAITLISTED"), &json!(2))
    );
    // A larger capacity confirms from the head of the line at once; a smaller one than the
    // confirmed count is refused.
    let mut bigger = workshop_input("Souffle", 3);
    let update = "mutation($id: ID!, $input: ScheduleWorkshopInput!) {
        updateWorkshop(id: $id, input: $input) { capacity confirmedCount waitlistCount } }";
    let current = app
        .gql(
            Some(&ana.access_token),
            "query($id: ID!) { workshop(id: $id) { startsAt endsAt } }",
            json!({ "id": id }),
        )
        .await;
    bigger["startsAt"] = current["data"]["workshop"]["startsAt"].clone();
    bigger["endsAt"] = current["data"]["workshop"]["endsAt"].clone();
    let grown = app
        .gql(
            Some(&ana.access_token),
            update,
            json!({ "id": id, "input": bigger }),
        )
        .await;
    assert_eq!(
        grown["data"]["updateWorkshop"],
        json!({ "capacity": 3, "confirmedCount": 3, "waitlistCount": 1 }),
        "{grown}"
    );
    let mut smaller = bigger.clone();
    smaller["capacity"] = json!(2);
    let shrunk = app
        .gql(
            Some(&ana.access_token),
            update,
            json!({ "id": id, "input": smaller }),
        )
        .await;
    assert_eq!(error_field(&shrunk), "capacity", "{shrunk}");
}

async fn concurrent_registrations_never_overfill_nor_skip_anyone(app: TestApp) {
    let ana = organiser(&app, "ana@example.org").await;
    let id = scheduled_id(&app, &ana, workshop_input("Places rares", 5)).await;
    let mut people = Vec::new();
    for index in 0..50 {
        people.push(app.register(&format!("p{index}@example.org")).await);
    }
    // 50 registrations at once, and 10 of the first registrants cancelling meanwhile.
    let early: Vec<Session> = people[..10].to_vec();
    for person in &early {
        register(&app, person, &id).await;
    }
    let registrations = people[10..]
        .iter()
        .map(|person| register(&app, person, &id));
    let cancellations = early.iter().map(|person| {
        app.gql(
            Some(&person.access_token),
            CANCEL_REGISTRATION,
            json!({ "id": id }),
        )
    });
    let (registered, cancelled) =
        futures_util::future::join(join_all(registrations), join_all(cancellations)).await;
    for answer in registered.iter().chain(&cancelled) {
        assert!(answer["errors"].is_null(), "{answer}");
    }
    let seen = workshop(&app, &ana, &id).await;
    assert_eq!(
        (&seen["confirmedCount"], &seen["waitlistCount"]),
        (&json!(5), &json!(35))
    );
    // Positions are 1..=35 without gaps or repeats, and nobody waiting was skipped: every
    // confirmed person joined the line before every waiting one.
    let mut positions = Vec::new();
    let mut confirmed_places = Vec::new();
    let mut waiting_places = Vec::new();
    let listed = app
        .gql(
            Some(&ana.access_token),
            "query($id: ID!) { workshop(id: $id) { registrations(first: 100) { edges { cursor node { status waitlistPosition } } } } }",
            json!({ "id": id }),
        )
        .await;
    for (place, edge) in listed["data"]["workshop"]["registrations"]["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("{listed}"))
        .iter()
        .enumerate()
    {
        match edge["node"]["status"].as_str().unwrap() {
            "CONFIRMED" => confirmed_places.push(place),
            _ => {
                waiting_places.push(place);
                positions.push(edge["node"]["waitlistPosition"].as_i64().unwrap());
            }
        }
    }
    assert_eq!(positions, (1..=35).collect::<Vec<i64>>());
    assert!(confirmed_places.iter().max() < waiting_places.iter().min());
}

async fn reminders_follow_registrations_and_cancellations(app: TestApp) {
    let ana = organiser(&app, "ana@example.org").await;
    let id = scheduled_id(&app, &ana, workshop_input("Souffle", 1)).await;
    let bob = app.register("bob@example.org").await;
    let cy = app.register("cy@example.org").await;
    let scheduled = |user: String| {
        let (db, prefix) = (app.state.db.clone(), format!("workshop:{id}:{user}:"));
        async move {
            db.run(move |conn| {
                Ok(notifications::table
                    .filter(notifications::schedule_key.like(format!("{prefix}%")))
                    .select(notifications::schedule_key.assume_not_null())
                    .order(notifications::schedule_key)
                    .load::<String>(conn)?)
            })
            .await
            .unwrap()
        }
    };
    register(&app, &bob, &id).await;
    register(&app, &cy, &id).await;
    let key = |user: &str, hours: i64| format!("workshop:{id}:{user}:{hours}h");
    assert_eq!(
        scheduled(bob.user_id.clone()).await,
        [key(&bob.user_id, 1), key(&bob.user_id, 24)]
    );
    assert_eq!(
        scheduled(cy.user_id.clone()).await,
        Vec::<String>::new(),
        "waiting: no reminder"
    );
    // Bob leaves: his reminders go, Cy's seat brings hers.
    app.gql(
        Some(&bob.access_token),
        CANCEL_REGISTRATION,
        json!({ "id": id }),
    )
    .await;
    assert_eq!(scheduled(bob.user_id.clone()).await, Vec::<String>::new());
    assert_eq!(
        scheduled(cy.user_id.clone()).await,
        [key(&cy.user_id, 1), key(&cy.user_id, 24)]
    );
    // Cancelling the workshop withdraws them and tells her.
    let cancelled = app
        .gql(
            Some(&ana.access_token),
            "mutation($id: ID!) { cancelWorkshop(id: $id, reason: \"Formatrice malade\") { status } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(
        cancelled["data"]["cancelWorkshop"]["status"], "CANCELLED",
        "{cancelled}"
    );
    assert_eq!(scheduled(cy.user_id.clone()).await, Vec::<String>::new());
    let again = register(&app, &bob, &id).await;
    assert_eq!(error_code(&again), "CONFLICT");
}

async fn near_me_lists_the_nearest_first_within_the_radius(app: TestApp) {
    let ana = organiser(&app, "ana@example.org").await;
    for (title, latitude, longitude) in [
        ("Repas à Lyon", 45.764, 4.8357),
        ("Repas à Nantes", 47.2184, -1.5536),
        ("Repas à Angers", 47.4784, -0.5632),
        ("Repas à Rennes", 48.1173, -1.6778),
    ] {
        let mut input = workshop_input(title, 20);
        input["technique"] = json!("NETWORKING");
        input["latitude"] = json!(latitude);
        input["longitude"] = json!(longitude);
        scheduled_id(&app, &ana, input).await;
    }
    let near = "query($near: NearInput!, $after: String) {
        workshops(filter: { near: $near }, first: 2, after: $after) {
            edges { node { title distanceKm } } pageInfo { hasNextPage endCursor } } }";
    // From Nantes, 150 km: Nantes, Angers (~80 km), then Rennes (~100 km); Lyon is too far.
    let here = json!({ "latitude": 47.2184, "longitude": -1.5536, "radiusKm": 150.0 });
    let first = app
        .gql(Some(&ana.access_token), near, json!({ "near": here }))
        .await;
    let titles = |answer: &Value| -> Vec<String> {
        answer["data"]["workshops"]["edges"]
            .as_array()
            .unwrap_or_else(|| panic!("{answer}"))
            .iter()
            .map(|edge| edge["node"]["title"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(titles(&first), ["Repas à Nantes", "Repas à Angers"]);
    let cursor = first["data"]["workshops"]["pageInfo"]["endCursor"].clone();
    let second = app
        .gql(
            Some(&ana.access_token),
            near,
            json!({ "near": here, "after": cursor }),
        )
        .await;
    assert_eq!(titles(&second), ["Repas à Rennes"]);
    assert_eq!(
        second["data"]["workshops"]["pageInfo"]["hasNextPage"],
        false
    );

    // More workshops in the box than any fixed share of it: 2,100 copies of Rennes's, all
    // starting before Nantes's, which stays the nearest and comes first.
    crowd_the_box(&app, "Repas à Rennes", "Repas à Nantes", 2_100).await;
    let crowded = app
        .gql(Some(&ana.access_token), near, json!({ "near": here }))
        .await;
    assert_eq!(titles(&crowded), ["Repas à Nantes", "Repas à Angers"]);

    let too_wide = json!({ "latitude": 47.2, "longitude": -1.5, "radiusKm": 500.0 });
    let refused = app
        .gql(Some(&ana.access_token), near, json!({ "near": too_wide }))
        .await;
    assert_eq!(error_field(&refused), "radiusKm", "{refused}");
}

/// A near-me search reads growing rings around the point until one holds a page: paging
/// through places scattered at every distance, near and beyond the radius, gives each one
/// within it once, in the order of their distances.
async fn near_me_pages_give_everyone_within_the_radius_in_order(app: TestApp) {
    use rand::{Rng, SeedableRng};
    use relais::workshops::model::distance_km;
    let ana = organiser(&app, "ana@example.org").await;
    let here = (45.0, 5.0);
    let radius_km = 120.0;
    let mut rng = rand::rngs::StdRng::seed_from_u64(28);
    let mut expected = Vec::new();
    for n in 0..40 {
        // Distances spread over 0 to 1.3 times the radius, in every direction.
        let (latitude, longitude) = (
            here.0 + rng.gen_range(-1.4..1.4),
            here.1 + rng.gen_range(-2.0..2.0),
        );
        let title = format!("Atelier {n:02}");
        let mut input = workshop_input(&title, 20);
        input["latitude"] = json!(latitude);
        input["longitude"] = json!(longitude);
        scheduled_id(&app, &ana, input).await;
        let km = distance_km(here, (latitude, longitude));
        if km <= radius_km {
            expected.push((km, title));
        }
    }
    expected.sort_by(|a, b| a.0.total_cmp(&b.0));
    let near = "query($near: NearInput!, $after: String) {
        workshops(filter: { near: $near }, first: 3, after: $after) {
            edges { node { title distanceKm } } pageInfo { hasNextPage endCursor } } }";
    let point = json!({ "latitude": here.0, "longitude": here.1, "radiusKm": radius_km });
    let mut listed: Vec<String> = Vec::new();
    let mut after = Value::Null;
    loop {
        let page = app
            .gql(
                Some(&ana.access_token),
                near,
                json!({ "near": point, "after": after }),
            )
            .await;
        let workshops = &page["data"]["workshops"];
        let edges = workshops["edges"]
            .as_array()
            .unwrap_or_else(|| panic!("{page}"));
        listed.extend(
            edges
                .iter()
                .map(|edge| edge["node"]["title"].as_str().unwrap().to_owned()),
        );
        if workshops["pageInfo"]["hasNextPage"] != true {
            break;
        }
        after = workshops["pageInfo"]["endCursor"].clone();
    }
    let titles: Vec<String> = expected.into_iter().map(|(_, title)| title).collect();
    assert!(titles.len() > 10 && titles.len() < 40, "{titles:?}");
    assert_eq!(listed, titles);
}

/// Copies the workshop titled `copied` `copies` times, each starting an hour earlier than it,
/// and moves the one titled `later` a day later than it.
async fn crowd_the_box(app: &TestApp, copied: &str, later: &str, copies: usize) {
    use diesel::RunQueryDsl;
    let columns = "organiser_id, group_id, title, description, technique, format, language, \
        region, starts_at, ends_at, timezone, location, latitude, longitude, online_url, \
        materials, capacity, status, cancel_reason, next_queue_number, created_at, updated_at, \
        released_rating_average, released_rating_count";
    let hour = match app.state.db.backend() {
        relais::db::Backend::Sqlite => (
            "datetime(starts_at, '-1 hour')",
            "datetime(ends_at, '-1 hour')",
            "datetime(starts_at, '+1 day')",
            "datetime(ends_at, '+1 day')",
        ),
        relais::db::Backend::Postgres => (
            "starts_at - interval '1 hour'",
            "ends_at - interval '1 hour'",
            "starts_at + interval '1 day'",
            "ends_at + interval '1 day'",
        ),
    };
    let copy = format!(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {copies})
         INSERT INTO workshops (id, {columns})
         SELECT 'copy-' || n.i, {}
         FROM workshops, n WHERE title = '{copied}'",
        columns.replace("starts_at, ends_at", &format!("{}, {}", hour.0, hour.1))
    );
    let move_later = format!(
        "UPDATE workshops SET starts_at = {}, ends_at = {} WHERE title = '{later}'",
        hour.2, hour.3
    );
    app.state
        .db
        .write(move |conn| {
            diesel::sql_query(copy).execute(conn)?;
            diesel::sql_query(move_later).execute(conn)?;
            Ok(())
        })
        .await
        .expect("the box is crowded");
}

/// Moves a workshop and its registrations `by` earlier, as if that much time had passed.
pub async fn age(app: &TestApp, id: &str, by: Duration) {
    use relais::db::schema::{workshop_registrations, workshops};
    let id = id.to_owned();
    app.state
        .db
        .run(move |conn| {
            let (starts_at, ends_at): (chrono::NaiveDateTime, chrono::NaiveDateTime) =
                workshops::table
                    .filter(workshops::id.eq(&id))
                    .select((workshops::starts_at, workshops::ends_at))
                    .first(conn)?;
            diesel::update(workshops::table.filter(workshops::id.eq(&id)))
                .set((
                    workshops::starts_at.eq(starts_at - by),
                    workshops::ends_at.eq(ends_at - by),
                ))
                .execute(conn)?;
            let registered = workshop_registrations::table
                .filter(workshop_registrations::workshop_id.eq(&id))
                .select((
                    workshop_registrations::id,
                    workshop_registrations::created_at,
                ))
                .load::<(String, chrono::NaiveDateTime)>(conn)?;
            for (registration, created_at) in registered {
                diesel::update(workshop_registrations::table.find(registration))
                    .set(workshop_registrations::created_at.eq(created_at - by))
                    .execute(conn)?;
            }
            Ok(())
        })
        .await
        .unwrap();
}

/// Dates `user`'s registration to the workshop after its start.
async fn late_registration(app: &TestApp, workshop: &str, user: &str) {
    use relais::db::schema::{workshop_registrations, workshops};
    let (workshop, user) = (workshop.to_owned(), user.to_owned());
    app.state
        .db
        .run(move |conn| {
            let starts_at: chrono::NaiveDateTime = workshops::table
                .filter(workshops::id.eq(&workshop))
                .select(workshops::starts_at)
                .first(conn)?;
            Ok(diesel::update(
                workshop_registrations::table
                    .filter(workshop_registrations::workshop_id.eq(&workshop))
                    .filter(workshop_registrations::user_id.eq(&user)),
            )
            .set(workshop_registrations::created_at.eq(starts_at + Duration::minutes(5)))
            .execute(conn)?)
        })
        .await
        .unwrap();
}

async fn attendance_ratings_and_comments_follow_their_rules(app: TestApp) {
    let ana = organiser(&app, "ana@example.org").await;
    let id = scheduled_id(&app, &ana, workshop_input("Souffle", 10)).await;
    let mut people = Vec::new();
    for name in ["a", "b", "c", "d"] {
        let person = app.register(&format!("{name}@example.org")).await;
        register(&app, &person, &id).await;
        people.push(person);
    }
    let attend = "mutation($w: ID!, $u: ID!, $yes: Boolean!) {
        recordAttendance(workshopId: $w, userId: $u, attended: $yes) { attended } }";
    let rate = "mutation($w: ID!, $r: Int!, $c: String) { rateWorkshop(workshopId: $w, rating: $r, comment: $c) }";
    let record = |who: usize, yes: bool| {
        let (app, ana, id, user) = (&app, &ana, id.clone(), people[who].user_id.clone());
        async move {
            app.gql(
                Some(&ana.access_token),
                attend,
                json!({ "w": id, "u": user, "yes": yes }),
            )
            .await
        }
    };
    // Before the start: too early; nor may anyone rate.
    assert_eq!(error_code(&record(0, true).await), "CONFLICT");
    let early = app
        .gql(
            Some(&people[0].access_token),
            rate,
            json!({ "w": id, "r": 5 }),
        )
        .await;
    assert_eq!(error_code(&early), "CONFLICT");
    age(&app, &id, Duration::days(3)).await; // ended a day ago
    let recorded = record(0, true).await;
    assert_eq!(
        recorded["data"]["recordAttendance"]["attended"], true,
        "{recorded}"
    );
    assert_eq!(
        record(1, false).await["data"]["recordAttendance"]["attended"],
        false
    );
    let not_organiser = app
        .gql(
            Some(&people[0].access_token),
            attend,
            json!({ "w": id, "u": people[1].user_id, "yes": true }),
        )
        .await;
    assert_eq!(error_code(&not_organiser), "FORBIDDEN");
    // Ratings: who attended, or was confirmed where attendance was not taken; not the absent.
    let rated = |who: usize, rating: i64, comment: &'static str| {
        let (app, token, id) = (&app, people[who].access_token.clone(), id.clone());
        async move {
            app.gql(
                Some(&token),
                rate,
                json!({ "w": id, "r": rating, "c": comment }),
            )
            .await
        }
    };
    assert_eq!(error_field(&rated(0, 6, "x").await), "rating");
    assert_eq!(
        rated(0, 2, "Trop court").await["data"]["rateWorkshop"],
        true
    );
    assert_eq!(
        rated(0, 4, "Très utile").await["data"]["rateWorkshop"],
        true,
        "a second rating replaces the first"
    );
    assert_eq!(error_code(&rated(1, 5, "absent").await), "FORBIDDEN");
    assert_eq!(rated(2, 5, "Apaisant").await["data"]["rateWorkshop"], true);
    let view = "query($id: ID!) { workshop(id: $id) { averageRating ratingCount ratingComments } }";
    let seen = app
        .gql(Some(&ana.access_token), view, json!({ "id": id }))
        .await;
    assert_eq!(
        seen["data"]["workshop"],
        json!({ "averageRating": null, "ratingCount": 0, "ratingComments": null }),
        "two raters: nothing is shown"
    );
    assert_eq!(rated(3, 3, "Bien").await["data"]["rateWorkshop"], true);
    let seen = app
        .gql(Some(&ana.access_token), view, json!({ "id": id }))
        .await;
    assert_eq!(
        seen["data"]["workshop"],
        json!({ "averageRating": 4.0, "ratingCount": 3,
                "ratingComments": ["Apaisant", "Bien", "Très utile"] }),
        "three raters: released; the organiser reads the comments, in text order, unsigned"
    );
    // A changed rating is not shown until two more people rate or change theirs: no visible
    // change is one person's.
    assert_eq!(rated(3, 1, "Bof").await["data"]["rateWorkshop"], true);
    let after_change = app
        .gql(Some(&people[2].access_token), view, json!({ "id": id }))
        .await;
    assert_eq!(
        (
            &after_change["data"]["workshop"]["averageRating"],
            &after_change["data"]["workshop"]["ratingCount"]
        ),
        (&json!(4.0), &json!(3))
    );
    // Comments count only raters who registered before the start: one who (as far as the
    // records go) signed up afterwards does not make up the three.
    late_registration(&app, &id, &people[3].user_id).await;
    let seen = app
        .gql(Some(&ana.access_token), view, json!({ "id": id }))
        .await;
    assert_eq!(seen["data"]["workshop"]["ratingComments"], Value::Null);
    let by_attendee = app
        .gql(Some(&people[0].access_token), view, json!({ "id": id }))
        .await;
    assert_eq!(
        by_attendee["data"]["workshop"]["ratingComments"],
        Value::Null
    );
    // Training hours: only the attended workshop, two hours, with its certificate code.
    let hours = app
        .gql(
            Some(&people[0].access_token),
            "query($from: DateTime!, $to: DateTime!) { myAttendedWorkshops(from: $from, to: $to) {
                totalHours records { hours verificationCode workshop { title } } } }",
            json!({ "from": (Utc::now() - Duration::days(30)).to_rfc3339(), "to": Utc::now().to_rfc3339() }),
        )
        .await;
    let attended = &hours["data"]["myAttendedWorkshops"];
    assert_eq!(attended["totalHours"], 2.0, "{hours}");
    assert_eq!(attended["records"][0]["workshop"]["title"], "Souffle");
    assert_eq!(
        attended["records"][0]["verificationCode"]
            .as_str()
            .map(str::len),
        Some(20)
    );
    // Past the seven days after the end, attendance is closed.
    age(&app, &id, Duration::days(7)).await;
    assert_eq!(error_code(&record(2, true).await), "CONFLICT");
}

async fn the_calendar_feed_url_stays_until_rotated(app: TestApp) {
    let ana = app.register("ana@example.org").await;
    let token = Some(ana.access_token.as_str());
    let read = "{ me { calendarFeedUrl } }";
    let first = app.gql(token, read, json!({})).await;
    let first = first["data"]["me"]["calendarFeedUrl"]
        .as_str()
        .unwrap_or_else(|| panic!("{first}"))
        .to_owned();
    assert!(
        first.starts_with("http://relais.test/calendar/") && first.ends_with(".ics"),
        "{first}"
    );
    let again = app.gql(token, read, json!({})).await;
    assert_eq!(again["data"]["me"]["calendarFeedUrl"], first.as_str());
    let rotated = app
        .gql(token, "mutation { rotateCalendarFeed }", json!({}))
        .await;
    let rotated = rotated["data"]["rotateCalendarFeed"]
        .as_str()
        .unwrap_or_else(|| panic!("{rotated}"))
        .to_owned();
    assert_ne!(rotated, first);
    let after = app.gql(token, read, json!({})).await;
    assert_eq!(after["data"]["me"]["calendarFeedUrl"], rotated.as_str());
    // Only a hash of the token is stored.
    let token_part = rotated
        .trim_start_matches("http://relais.test/calendar/")
        .trim_end_matches(".ics")
        .to_owned();
    let stored: Vec<String> = app
        .state
        .db
        .run(|conn| {
            use relais::db::schema::calendar_feeds;
            Ok(calendar_feeds::table
                .select(calendar_feeds::token_hash)
                .load(conn)?)
        })
        .await
        .unwrap();
    assert_eq!(stored.len(), 1);
    assert_ne!(stored[0], token_part);
}

/// The scheduled reminders of `user` for workshop `id`, as (key, due time).
async fn reminders(app: &TestApp, id: &str, user: &str) -> Vec<(String, chrono::NaiveDateTime)> {
    let prefix = format!("workshop:{id}:{user}:");
    app.state
        .db
        .run(move |conn| {
            Ok(notifications::table
                .filter(notifications::schedule_key.like(format!("{prefix}%")))
                .select((
                    notifications::schedule_key.assume_not_null(),
                    notifications::created_at,
                ))
                .order(notifications::schedule_key)
                .load(conn)?)
        })
        .await
        .unwrap()
}

async fn a_time_change_moves_reminders_and_a_late_seat_brings_one_notice(app: TestApp) {
    let ana = organiser(&app, "ana@example.org").await;
    let input = workshop_input("Souffle", 1);
    let id = scheduled_id(&app, &ana, input.clone()).await;
    let bob = app.register("bob@example.org").await;
    let cy = app.register("cy@example.org").await;
    register(&app, &bob, &id).await;
    register(&app, &cy, &id).await;

    // Three days later instead of two: Bob's reminders move with the start, Cy (waiting) has none.
    let starts = Utc::now() + Duration::days(3);
    let mut moved = input;
    moved["startsAt"] = json!(starts.to_rfc3339());
    moved["endsAt"] = json!((starts + Duration::hours(2)).to_rfc3339());
    let update = "mutation($id: ID!, $input: ScheduleWorkshopInput!) {
        updateWorkshop(id: $id, input: $input) { startsAt } }";
    let answer = app
        .gql(
            Some(&ana.access_token),
            update,
            json!({ "id": id, "input": moved }),
        )
        .await;
    assert!(answer["errors"].is_null(), "{answer}");
    let due: Vec<(String, i64)> = reminders(&app, &id, &bob.user_id)
        .await
        .into_iter()
        .map(|(key, at)| (key, (starts.naive_utc() - at).num_minutes()))
        .collect();
    let key = |user: &str, hours: i64| format!("workshop:{id}:{user}:{hours}h");
    assert_eq!(
        due,
        [(key(&bob.user_id, 1), 60), (key(&bob.user_id, 24), 24 * 60)],
        "one reminder of each, due before the new start"
    );
    assert!(reminders(&app, &id, &cy.user_id).await.is_empty());
    assert_eq!(
        received_kinds(&app, &bob.user_id).await.last().unwrap(),
        "WORKSHOP_CHANGED"
    );
    assert_eq!(
        received_kinds(&app, &cy.user_id).await.last().unwrap(),
        "WORKSHOP_CHANGED"
    );

    // Twelve hours before the start, Bob leaves: Cy gets the seat with one notice, and only the
    // reminder still ahead (the 24-hour one would be stale).
    age(&app, &id, Duration::days(3) - Duration::hours(12)).await;
    app.gql(
        Some(&bob.access_token),
        CANCEL_REGISTRATION,
        json!({ "id": id }),
    )
    .await;
    let kinds = received_kinds(&app, &cy.user_id).await;
    assert_eq!(kinds.last().unwrap(), "WORKSHOP_SEAT", "{kinds:?}");
    assert_eq!(
        kinds.iter().filter(|kind| *kind == "WORKSHOP_SEAT").count(),
        1
    );
    let cy_due: Vec<String> = reminders(&app, &id, &cy.user_id)
        .await
        .into_iter()
        .map(|(key, _)| key)
        .collect();
    assert_eq!(cy_due, [key(&cy.user_id, 1)]);
    assert!(reminders(&app, &id, &bob.user_id).await.is_empty());
}

/// `GET path` with an optional bearer token: the status and the body.
async fn get(app: &TestApp, path: &str, token: Option<&str>) -> (u16, String) {
    let mut request = app.http.get(format!("{}{path}", app.base_url));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

/// The events of an ICS document, parsed back.
fn events(document: &str) -> Vec<icalendar::Event> {
    let calendar: icalendar::Calendar = document
        .parse()
        .unwrap_or_else(|error| panic!("{error}: {document}"));
    calendar.events().cloned().collect()
}

async fn a_workshop_calendar_file_parses_back_and_shows_the_link_to_insiders_only(app: TestApp) {
    use icalendar::{Component, DatePerhapsTime, EventLike, EventStatus};
    let ana = organiser(&app, "ana@example.org").await;
    let input = workshop_input("Souffle, pause; respiration", 1);
    let id = scheduled_id(&app, &ana, input.clone()).await;
    let bob = app.register("bob@example.org").await;
    let cy = app.register("cy@example.org").await;
    register(&app, &bob, &id).await;
    register(&app, &cy, &id).await; // waitlisted
    let path = format!("/workshops/{id}/calendar.ics");

    let (status, signed_out) = get(&app, &path, None).await;
    assert_eq!(status, 200, "{signed_out}");
    let parsed = events(&signed_out);
    assert_eq!(parsed.len(), 1);
    let event = &parsed[0];
    assert_eq!(
        event.get_uid(),
        Some(format!("workshop-{id}@relais").as_str())
    );
    assert_eq!(event.get_summary(), Some("Souffle, pause; respiration"));
    assert_eq!(event.get_location(), Some("Salle 3, CHU de Nantes"));
    assert_eq!(event.get_status(), Some(EventStatus::Confirmed));
    let starts = chrono::DateTime::parse_from_rfc3339(input["startsAt"].as_str().unwrap())
        .unwrap()
        .with_timezone(&Utc);
    let whole_seconds = |at: chrono::DateTime<Utc>| at.timestamp();
    match (event.get_start(), event.get_end()) {
        (
            Some(DatePerhapsTime::DateTime(icalendar::CalendarDateTime::Utc(start))),
            Some(DatePerhapsTime::DateTime(icalendar::CalendarDateTime::Utc(end))),
        ) => {
            assert_eq!(whole_seconds(start), whole_seconds(starts));
            assert_eq!(end - start, Duration::hours(2));
        }
        other => panic!("start and end in UTC expected: {other:?}"),
    }
    assert_eq!(event.get_url(), None);
    assert!(!signed_out.contains("visio.example.org"), "{signed_out}");
    assert!(
        !signed_out.contains("coussin"),
        "materials are for insiders"
    );

    // The confirmed attendee and the organiser get the link; the waitlisted person does not.
    for insider in [&bob, &ana] {
        let (status, document) = get(&app, &path, Some(&insider.access_token)).await;
        assert_eq!(status, 200);
        let event = &events(&document)[0];
        assert_eq!(
            event.get_url(),
            Some("https://visio.example.org/souffle"),
            "{document}"
        );
        assert!(event.get_description().unwrap().contains("coussin"));
    }
    let (_, waiting) = get(&app, &path, Some(&cy.access_token)).await;
    assert_eq!(events(&waiting)[0].get_url(), None);

    // Cancelled, the event says so; a bad token is refused, not treated as signed out.
    app.gql(
        Some(&ana.access_token),
        "mutation($id: ID!) { cancelWorkshop(id: $id) { status } }",
        json!({ "id": id }),
    )
    .await;
    let (_, cancelled) = get(&app, &path, None).await;
    assert_eq!(
        events(&cancelled)[0].get_status(),
        Some(EventStatus::Cancelled)
    );
    let (status, refused) = get(&app, &path, Some("not-a-token")).await;
    assert_eq!(status, 401, "{refused}");
    let refused: Value = serde_json::from_str(&refused).unwrap();
    assert_eq!(error_code(&refused), "UNAUTHENTICATED");

    // Group workshops stay with the group; unknown ids are simply not found.
    let group = create_group(&app, &bob, group_input("Urgences de nuit", "PUBLIC")).await;
    let mut for_group = workshop_input("Débrief de garde", 8);
    for_group["groupId"] = json!(group);
    let group_workshop = scheduled_id(&app, &bob, for_group).await;
    let group_path = format!("/workshops/{group_workshop}/calendar.ics");
    assert_eq!(get(&app, &group_path, None).await.0, 404);
    assert_eq!(get(&app, &group_path, Some(&cy.access_token)).await.0, 404);
    assert_eq!(get(&app, &group_path, Some(&bob.access_token)).await.0, 200);
    assert_eq!(get(&app, "/workshops/nope/calendar.ics", None).await.0, 404);
}

async fn feed_url(app: &TestApp, who: &Session) -> String {
    let answer = app
        .gql(
            Some(&who.access_token),
            "{ me { calendarFeedUrl } }",
            json!({}),
        )
        .await;
    answer["data"]["me"]["calendarFeedUrl"]
        .as_str()
        .unwrap_or_else(|| panic!("{answer}"))
        .trim_start_matches("http://relais.test")
        .to_owned()
}

async fn the_personal_feed_lists_confirmed_workshops_until_rotated(app: TestApp) {
    use icalendar::{Component, EventStatus};
    let ana = organiser(&app, "ana@example.org").await;
    let bob = app.register("bob@example.org").await;
    let cy = app.register("cy@example.org").await;
    let souffle = scheduled_id(&app, &ana, workshop_input("Souffle", 5)).await;
    let balint = scheduled_id(&app, &ana, workshop_input("Groupe Balint", 1)).await;
    let debrief = scheduled_id(&app, &ana, workshop_input("Débrief", 5)).await;
    register(&app, &cy, &balint).await;
    for id in [&souffle, &balint, &debrief] {
        register(&app, &bob, id).await;
    }
    app.gql(
        Some(&bob.access_token),
        CANCEL_REGISTRATION,
        json!({ "id": debrief }),
    )
    .await;
    let url = feed_url(&app, &bob).await;
    let (status, document) = get(&app, &url, None).await;
    assert_eq!(status, 200, "{document}");
    let calendar: icalendar::Calendar = document.parse().unwrap();
    assert_eq!(calendar.get_name(), Some("Relais : mes ateliers"));
    assert_eq!(calendar.get_ttl(), Some(Duration::hours(1)), "{document}");
    let listed = events(&document);
    let titles: Vec<&str> = listed
        .iter()
        .filter_map(|event| event.get_summary())
        .collect();
    assert_eq!(
        titles,
        ["Souffle"],
        "confirmed only: not waitlisted, not cancelled by him"
    );
    assert_eq!(
        listed[0].get_url(),
        Some("https://visio.example.org/souffle")
    );

    // The organiser cancels: the feed keeps the event, marked cancelled, so calendars update.
    app.gql(
        Some(&ana.access_token),
        "mutation($id: ID!) { cancelWorkshop(id: $id) { status } }",
        json!({ "id": souffle }),
    )
    .await;
    let (_, document) = get(&app, &url, None).await;
    assert_eq!(
        events(&document)[0].get_status(),
        Some(EventStatus::Cancelled)
    );

    // Rotating revokes the old URL at once; the new one opens the same feed.
    let rotated = app
        .gql(
            Some(&bob.access_token),
            "mutation { rotateCalendarFeed }",
            json!({}),
        )
        .await;
    let rotated = rotated["data"]["rotateCalendarFeed"]
        .as_str()
        .unwrap()
        .trim_start_matches("http://relais.test")
        .to_owned();
    assert_eq!(get(&app, &url, None).await.0, 404);
    let (status, document) = get(&app, &rotated, None).await;
    assert_eq!(status, 200);
    assert_eq!(events(&document).len(), 1);
    assert_eq!(get(&app, "/calendar/guessed.ics", None).await.0, 404);
}

async fn certificates_are_for_attendees_and_verified_by_code(app: TestApp) {
    let ana = organiser(&app, "ana@example.org").await;
    let id = scheduled_id(&app, &ana, workshop_input("Souffle & <respiration>", 10)).await;
    let bob = app
        .register_with(json!({
            "email": "bob@example.org", "password": "correct horse battery",
            "displayName": "Bob <Infirmier>", "profession": "NURSE", "locale": "en",
        }))
        .await;
    let cy = app.register("cy@example.org").await;
    register(&app, &bob, &id).await;
    register(&app, &cy, &id).await;
    age(&app, &id, Duration::days(3)).await;
    let attend = "mutation($w: ID!, $u: ID!, $yes: Boolean!) {
        recordAttendance(workshopId: $w, userId: $u, attended: $yes) { attended } }";
    for (who, yes) in [(&bob, true), (&cy, false)] {
        let answer = app
            .gql(
                Some(&ana.access_token),
                attend,
                json!({ "w": id, "u": who.user_id, "yes": yes }),
            )
            .await;
        assert!(answer["errors"].is_null(), "{answer}");
    }
    let code = app
        .gql(
            Some(&bob.access_token),
            "query($from: DateTime!, $to: DateTime!) { myAttendedWorkshops(from: $from, to: $to) {
                records { certificatePath verificationCode } } }",
            json!({ "from": (Utc::now() - Duration::days(30)).to_rfc3339(), "to": Utc::now().to_rfc3339() }),
        )
        .await;
    let record = &code["data"]["myAttendedWorkshops"]["records"][0];
    let path = record["certificatePath"].as_str().unwrap().to_owned();
    let code = record["verificationCode"].as_str().unwrap().to_owned();
    assert_eq!(path, format!("/workshops/{id}/certificate"));

    // The attendee's page, in their language, names them and the workshop, escaped.
    let (status, page) = get(&app, &path, Some(&bob.access_token)).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("Certificate of attendance"), "{page}");
    assert!(page.contains("Bob &lt;Infirmier&gt;"), "{page}");
    assert!(page.contains("Souffle &amp; &lt;respiration&gt;"), "{page}");
    assert!(page.contains("lasting 2 hours"), "{page}");
    assert!(page.contains(&format!("http://relais.test/certificates/{code}")));
    assert!(!page.contains("<Infirmier>"));
    // Nobody else has one: not the absent, not the organiser, not a caller without a token.
    assert_eq!(get(&app, &path, Some(&cy.access_token)).await.0, 404);
    assert_eq!(get(&app, &path, Some(&ana.access_token)).await.0, 404);
    assert_eq!(get(&app, &path, None).await.0, 401);

    // Anyone holding the code checks what it states; any other code is not found.
    let (status, verified) = get(&app, &format!("/certificates/{code}"), None).await;
    assert_eq!(status, 200, "{verified}");
    let verified: Value = serde_json::from_str(&verified).unwrap();
    let starts = app
        .gql(
            Some(&bob.access_token),
            "query($id: ID!) { workshop(id: $id) { startsAt } }",
            json!({ "id": id }),
        )
        .await;
    let starts = chrono::DateTime::parse_from_rfc3339(
        starts["data"]["workshop"]["startsAt"].as_str().unwrap(),
    )
    .unwrap()
    .with_timezone(&chrono_tz::Europe::Paris);
    assert_eq!(
        verified,
        json!({
            "name": "Bob <Infirmier>", "workshop": "Souffle & <respiration>",
            "date": starts.date_naive().to_string(), "hours": 2.0, "verificationCode": code,
        })
    );
    assert_eq!(
        get(&app, "/certificates/AAAAAAAAAAAAAAAAAAAA", None)
            .await
            .0,
        404
    );
    // Marked absent after all, the certificate no longer verifies.
    app.gql(
        Some(&ana.access_token),
        attend,
        json!({ "w": id, "u": bob.user_id, "yes": false }),
    )
    .await;
    assert_eq!(
        get(&app, &format!("/certificates/{code}"), None).await.0,
        404
    );
    assert_eq!(get(&app, &path, Some(&bob.access_token)).await.0, 404);
}
