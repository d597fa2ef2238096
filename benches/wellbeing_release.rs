//! The wellbeing release job over 1,000 groups of 12 members, each member sharing a WHO-5 and a
//! PSS-4 check-in every week of a four-week period with their group: the time one period's
//! release takes (its reads, the pseudonyms, the noise and the rows), as the scheduler runs it.
//!
//! `cargo bench --bench wellbeing_release` (SQLite); `BENCH_DATABASE_URL=postgres://…` (an empty
//! database) for PostgreSQL.

use std::time::Instant;

use chrono::{Duration, Utc};
use diesel::prelude::*;
use relais::auth::Secret;
use relais::checkins::instruments::Instrument;
use relais::checkins::release::{Periods, release_closed_periods};
use relais::config::CheckinConfig;
use relais::db::Db;
use relais::db::schema::{checkin_shares, checkins, memberships, peer_groups, users};
use relais::ids::{CheckinId, GroupId, MembershipId, UserId};
use relais::privacy::pseudonym_of;

const GROUPS: usize = 1_000;
const MEMBERS: usize = 12;

mod common;

fn main() {
    common::run(run());
}

/// Groups, members and a period of check-ins, straight through diesel (registering 12,000
/// accounts would measure argon2 instead). The period's first Monday.
async fn fill(db: &Db, secret: &Secret, periods: Periods) -> chrono::NaiveDate {
    let secret = secret.clone();
    let now = Utc::now().naive_utc();
    let start = periods.last_closed(now);
    db.write(move |conn| {
        let long_ago = now - Duration::days(365);
        for group in 0..GROUPS {
            let group_id = GroupId::generate();
            diesel::insert_into(peer_groups::table)
                .values((
                    peer_groups::id.eq(&group_id),
                    peer_groups::name.eq(format!("Équipe {group}")),
                    peer_groups::name_normalized.eq(format!("equipe {group}")),
                    peer_groups::description.eq("Une équipe."),
                    peer_groups::topic.eq("burnout"),
                    peer_groups::search_text.eq(format!("equipe {group}")),
                    peer_groups::visibility.eq("PUBLIC"),
                    peer_groups::language.eq("fr"),
                    peer_groups::created_at.eq(long_ago),
                ))
                .execute(conn)?;
            for member in 0..MEMBERS {
                let user_id = UserId::generate();
                let email = format!("p{group}-{member}@bench.test");
                diesel::insert_into(users::table)
                    .values((
                        users::id.eq(&user_id),
                        users::email.eq(&email),
                        users::email_normalized.eq(&email),
                        users::password_hash.eq("-"),
                        users::display_name.eq(format!("Personne {member}")),
                        users::profession.eq("NURSE"),
                        users::locale.eq("fr"),
                        users::timezone.eq("Europe/Paris"),
                        users::created_at.eq(long_ago),
                        users::updated_at.eq(long_ago),
                    ))
                    .execute(conn)?;
                diesel::insert_into(memberships::table)
                    .values((
                        memberships::id.eq(MembershipId::generate()),
                        memberships::group_id.eq(&group_id),
                        memberships::user_id.eq(&user_id),
                        memberships::role.eq("MEMBER"),
                        memberships::status.eq("ACTIVE"),
                        memberships::created_at.eq(long_ago),
                        memberships::active_since.eq(long_ago),
                    ))
                    .execute(conn)?;
                let pseudonym = pseudonym_of(&user_id, &secret);
                for week in 0..4 {
                    for (instrument, score) in [
                        (
                            Instrument::Who5,
                            (group * 7 + member * 13 + week * 4) % 26 * 4,
                        ),
                        (Instrument::Pss4, (group + member * 3 + week) % 17),
                    ] {
                        let id = CheckinId::random();
                        diesel::insert_into(checkins::table)
                            .values((
                                checkins::id.eq(&id),
                                checkins::pseudonym.eq(&pseudonym),
                                checkins::instrument.eq(instrument),
                                checkins::score.eq(score as i32),
                                checkins::recorded_on.eq(start + Duration::weeks(week as i64)),
                            ))
                            .execute(conn)?;
                        diesel::insert_into(checkin_shares::table)
                            .values((
                                checkin_shares::checkin_id.eq(&id),
                                checkin_shares::group_id.eq(&group_id),
                            ))
                            .execute(conn)?;
                    }
                }
            }
        }
        Ok(start)
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
    let secret = Secret::new(b"a bench secret of at least thirty-two bytes".to_vec());
    let config = CheckinConfig::DEFAULT;
    let periods = Periods::new(config.period_weeks);
    let started = Instant::now();
    let start = fill(&db, &secret, periods).await;
    println!(
        "wellbeing_release: {GROUPS} groups of {MEMBERS}, {} check-ins on {} in {:.1} s",
        GROUPS * MEMBERS * 8,
        db.backend().name(),
        started.elapsed().as_secs_f64()
    );
    let now = periods.released_at(start).max(Utc::now().naive_utc());
    let started = Instant::now();
    let released = release_closed_periods(&db, &secret, &config, now)
        .await
        .expect("release");
    println!(
        "  {released} period released for {} groups × 2 instruments in {:.0} ms",
        GROUPS,
        started.elapsed().as_secs_f64() * 1e3
    );
    assert_eq!(released, 1);
    // Nothing is due a second time.
    let again = release_closed_periods(&db, &secret, &config, now + Duration::days(1))
        .await
        .expect("release");
    assert_eq!(again, 0);
}
