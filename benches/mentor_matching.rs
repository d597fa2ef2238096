//! `mentorMatches` over 10,000 mentor profiles: the candidate query, the batch reads of what
//! matching weighs and the scoring, as the API runs them. Prints p50, p95 and max over 200
//! searches of varied areas and languages (target: p50 under 30 ms on SQLite).
//!
//! `cargo bench --bench mentor_matching` (SQLite); `BENCH_DATABASE_URL=postgres://…` (an empty
//! database) for PostgreSQL.

use std::time::{Duration, Instant};

use chrono::Utc;
use diesel::prelude::*;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use relais::accounts::model::Profession;
use relais::auth::Viewer;
use relais::db::Db;
use relais::db::schema::{mentor_areas, mentor_profiles, user_languages, users};
use relais::i18n::Locale;
use relais::ids::{SessionId, UserId};
use relais::mentorship::model::MentorshipArea;
use relais::mentorship::service::{self as mentorship, MatchSearch};

const MENTORS: usize = 10_000;
const SEARCHES: usize = 200;
const REGIONS: [&str; 6] = [
    "Bretagne",
    "Île-de-France",
    "Occitanie",
    "Québec",
    "Grand Est",
    "Auvergne-Rhône-Alpes",
];
const LANGUAGES: [&str; 4] = ["fr", "en", "ar", "es"];

mod common;

fn main() {
    common::run(run());
}

/// Inserts `count` people with a mentor profile each (the first is the searching mentee, without
/// one), straight through diesel: registering 10,000 accounts would measure argon2 instead.
async fn fill(db: &Db, count: usize) -> Vec<UserId> {
    db.write(move |conn| {
        let mut rng = StdRng::seed_from_u64(7);
        let now = Utc::now().naive_utc();
        let mut ids = Vec::with_capacity(count + 1);
        for n in 0..=count {
            let id = UserId::generate();
            let profession = *Profession::ALL.choose(&mut rng).expect("professions");
            diesel::insert_into(users::table)
                .values((
                    users::id.eq(&id),
                    users::email.eq(format!("person{n}@bench.test")),
                    users::email_normalized.eq(format!("person{n}@bench.test")),
                    users::password_hash.eq("-"),
                    users::display_name.eq(format!("Person {n}")),
                    users::profession.eq(profession),
                    users::region.eq(*REGIONS.choose(&mut rng).expect("regions")),
                    users::locale.eq("fr"),
                    users::timezone.eq("Europe/Paris"),
                    users::created_at.eq(now),
                    users::updated_at.eq(now),
                ))
                .execute(conn)?;
            let spoken: Vec<&&str> = LANGUAGES.choose_multiple(&mut rng, 2).collect();
            for (position, language) in (0i32..).zip(spoken) {
                diesel::insert_into(user_languages::table)
                    .values((
                        user_languages::user_id.eq(&id),
                        user_languages::language.eq(*language),
                        user_languages::position.eq(position),
                    ))
                    .execute(conn)?;
            }
            if n > 0 {
                diesel::insert_into(mentor_profiles::table)
                    .values((
                        mentor_profiles::user_id.eq(&id),
                        mentor_profiles::headline.eq("Soignant·e expérimenté·e"),
                        mentor_profiles::years_of_experience.eq(rng.gen_range(0..40)),
                        mentor_profiles::capacity.eq(rng.gen_range(0..=5)),
                        mentor_profiles::accepting_mentees.eq(rng.gen_bool(0.9)),
                        mentor_profiles::created_at.eq(now),
                        mentor_profiles::updated_at.eq(now),
                    ))
                    .execute(conn)?;
                let areas = rng.gen_range(1..=5);
                for area in MentorshipArea::ALL.choose_multiple(&mut rng, areas) {
                    diesel::insert_into(mentor_areas::table)
                        .values((mentor_areas::user_id.eq(&id), mentor_areas::area.eq(area)))
                        .execute(conn)?;
                }
            }
            ids.push(id);
        }
        Ok(ids)
    })
    .await
    .expect("bench data")
}

async fn run() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let database_url = common::database_url(&dir);
    let db = Db::connect(&database_url, relais::db::STATEMENT_TIMEOUT_DEFAULT)
        .await
        .expect("database");
    let started = Instant::now();
    let people = fill(&db, MENTORS).await;
    println!(
        "mentor_matching: {MENTORS} mentor profiles on {} in {:.1} s",
        db.backend().name(),
        started.elapsed().as_secs_f64()
    );
    let viewer = Viewer {
        user_id: people[0].clone(),
        session_id: SessionId::generate(),
        locale: Locale::default(),
        address_confirmed: true,
        access_expires_at: Utc::now(),
    };
    let mut rng = StdRng::seed_from_u64(11);
    let mut timings: Vec<Duration> = Vec::with_capacity(SEARCHES);
    let mut returned = 0;
    // Searches rank from the index of open mentors, read by the first one as in the server.
    let index = relais::mentorship::index::MentorIndex::new();
    for _ in 0..SEARCHES {
        let wanted = rng.gen_range(1..=3);
        let search = MatchSearch {
            areas: MentorshipArea::ALL
                .choose_multiple(&mut rng, wanted)
                .copied()
                .collect(),
            language: rng
                .gen_bool(0.5)
                .then(|| (*LANGUAGES.choose(&mut rng).expect("languages")).to_owned()),
            profession: None,
        };
        let started = Instant::now();
        let found = mentorship::matches(&db, &index, &viewer, search, Some(10))
            .await
            .expect("matches");
        timings.push(started.elapsed());
        returned += found.len();
    }
    timings.sort();
    let at = |quantile: f64| timings[((timings.len() - 1) as f64 * quantile) as usize];
    println!(
        "  {SEARCHES} searches, {:.1} matches each: p50 {:.1} ms, p95 {:.1} ms, max {:.1} ms",
        returned as f64 / SEARCHES as f64,
        at(0.5).as_secs_f64() * 1e3,
        at(0.95).as_secs_f64() * 1e3,
        at(1.0).as_secs_f64() * 1e3,
    );
}
