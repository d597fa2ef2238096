//! Check-in rules: scoring, storage under a pseudonym on the local day, the viewer's own trend,
//! and group aggregates shown only when no one can be singled out of them.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{Datelike, NaiveDate, NaiveDateTime, TimeDelta, Utc};
use serde_json::json;

use super::instruments::Instrument;
use super::model::*;
use super::store;
use crate::accounts::service::timezone_of;
use crate::auth::{Secret, Viewer};
use crate::config::Retention;
use crate::db::{Db, DbConnection};
use crate::error::{AppError, AppResult};
use crate::groups::service::active_role_in;
use crate::i18n::Message;
use crate::ids::{CheckinId, GroupId, UserId};
use crate::pagination::{CursorKey, Page, PageRequest};
use crate::privacy::{Person, PersonColumn, PersonalData, Purged, pseudonym_of};

/// The Monday of `day`'s ISO week.
pub fn week_start(day: NaiveDate) -> NaiveDate {
    day - TimeDelta::days(i64::from(day.weekday().num_days_from_monday()))
}

/// The person's today, in their time zone.
fn local_today(conn: &mut DbConnection, user: &UserId) -> AppResult<NaiveDate> {
    Ok(Utc::now()
        .with_timezone(&timezone_of(conn, user)?)
        .date_naive())
}

/// The first day of a span of `weeks` ISO weeks ending with the current one; BAD_USER_INPUT on
/// `weeks` outside 1-104.
fn span_start(today: NaiveDate, weeks: Option<i32>) -> AppResult<NaiveDate> {
    let weeks = weeks.map_or(WEEKS_DEFAULT, i64::from);
    if !(1..=WEEKS_MAX).contains(&weeks) {
        return Err(AppError::bad_input(
            "weeks",
            Message::NumberBetween {
                min: 1,
                max: WEEKS_MAX,
            },
        ));
    }
    Ok(week_start(today) - TimeDelta::weeks(weeks - 1))
}

/// Records a check-in under the viewer's pseudonym on their local day, shared with groups they
/// are an active member of (FORBIDDEN otherwise, and nothing is stored).
pub async fn submit(
    db: &Db,
    secret: &Secret,
    viewer: &Viewer,
    instrument: Instrument,
    answers: Vec<i32>,
    share_with: Vec<GroupId>,
) -> AppResult<CheckinRow> {
    let scale = instrument.scale();
    let score = instrument.score(&answers).ok_or_else(|| {
        AppError::bad_input(
            "answers",
            Message::InstrumentAnswers {
                items: scale.items,
                min: scale.answer_min,
                max: scale.answer_max,
            },
        )
    })?;
    let mut groups: Vec<GroupId> = Vec::with_capacity(share_with.len());
    for group in share_with {
        if !groups.contains(&group) {
            groups.push(group);
        }
    }
    if groups.len() > SHARES_MAX {
        return Err(AppError::bad_input(
            "shareWithGroupIds",
            Message::TooMany { max: SHARES_MAX },
        ));
    }
    let user = viewer.user_id.clone();
    let pseudonym = pseudonym_of(&user, secret);
    db.write(move |conn| {
        for group in &groups {
            if active_role_in(conn, group, &user)?.is_none() {
                return Err(AppError::Forbidden);
            }
        }
        let row = CheckinRow {
            id: CheckinId::random(),
            pseudonym,
            instrument,
            score,
            recorded_on: local_today(conn, &user)?,
        };
        store::insert_checkin(conn, &row)?;
        for group in &groups {
            store::insert_share(conn, &row.id, group)?;
        }
        Ok(row)
    })
    .await
}

/// Where a page of the viewer's check-ins resumes: after this day, then id.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckinCursor(NaiveDate, CheckinId);

impl CursorKey for CheckinCursor {
    fn from_cursor(key: &str) -> Option<Self> {
        let (day, id) = key.split_once('/')?;
        Some(Self(day.parse().ok()?, CheckinId::from_cursor(id)?))
    }
}

/// The cursor of a check-in in `myCheckins`.
pub fn cursor_key(row: &CheckinRow) -> String {
    format!("{}/{}", row.recorded_on, row.id)
}

/// The viewer's own check-ins, newest day first.
pub async fn mine(
    db: &Db,
    secret: &Secret,
    viewer: &Viewer,
    instrument: Option<Instrument>,
    page: PageRequest,
) -> AppResult<Page<CheckinRow>> {
    let after = page
        .after::<CheckinCursor>()?
        .map(|cursor| (cursor.0, cursor.1));
    let pseudonym = pseudonym_of(&viewer.user_id, secret);
    db.run(move |conn| {
        let rows = store::page(conn, &pseudonym, instrument, after, page.fetch_limit())?;
        Ok(Page::from_overfetch(rows, &page))
    })
    .await
}

/// The viewer's weekly averages on `instrument` over the last `weeks` ISO weeks of their time
/// zone, oldest first; weeks without a check-in are left out.
pub async fn trend(
    db: &Db,
    secret: &Secret,
    viewer: &Viewer,
    instrument: Instrument,
    weeks: Option<i32>,
) -> AppResult<Vec<TrendPoint>> {
    let user = viewer.user_id.clone();
    let pseudonym = pseudonym_of(&user, secret);
    db.run(move |conn| {
        let from = span_start(local_today(conn, &user)?, weeks)?;
        let mut by_week: BTreeMap<NaiveDate, Vec<i32>> = BTreeMap::new();
        for (day, score) in store::own_scores(conn, &pseudonym, instrument, from)? {
            by_week.entry(week_start(day)).or_default().push(score);
        }
        Ok(by_week
            .into_iter()
            .map(|(week_start, scores)| TrendPoint {
                week_start,
                average_score: f64::from(scores.iter().sum::<i32>()) / scores.len() as f64,
                count: scores.len() as i64,
            })
            .collect())
    })
    .await
}

/// Each person's mean per week, of one group's shared check-ins.
type Respondents = BTreeMap<NaiveDate, HashMap<String, f64>>;

fn respondents(rows: impl Iterator<Item = (String, NaiveDate, i32)>) -> Respondents {
    let mut scores: BTreeMap<NaiveDate, HashMap<String, Vec<i32>>> = BTreeMap::new();
    for (pseudonym, day, score) in rows {
        scores
            .entry(week_start(day))
            .or_default()
            .entry(pseudonym)
            .or_default()
            .push(score);
    }
    scores
        .into_iter()
        .map(|(week, people)| {
            let means = people
                .into_iter()
                .map(|(person, scores)| {
                    let mean = f64::from(scores.iter().sum::<i32>()) / scores.len() as f64;
                    (person, mean)
                })
                .collect();
            (week, means)
        })
        .collect()
}

/// How many people are in one set and not the other.
fn differing(a: &HashMap<String, f64>, b: &HashMap<String, f64>) -> usize {
    let a_keys: HashSet<&String> = a.keys().collect();
    let b_keys: HashSet<&String> = b.keys().collect();
    a_keys.symmetric_difference(&b_keys).count()
}

/// A group's weekly wellbeing on `instrument`, for its active members: one point per ISO week,
/// each person counted once (their mean). A week is suppressed when fewer than `k` people
/// answered, or when another group's week on the same instrument, with `k` or more people,
/// differs from it by fewer than `k` people (subtracting one from the other would tell those
/// few people's scores).
pub async fn group_wellbeing(
    db: &Db,
    viewer: &Viewer,
    group: GroupId,
    instrument: Instrument,
    weeks: Option<i32>,
    k: usize,
) -> AppResult<Vec<AggregatePoint>> {
    let user = viewer.user_id.clone();
    db.run(move |conn| {
        if active_role_in(conn, &group, &user)?.is_none() {
            return Err(AppError::Forbidden);
        }
        let today = local_today(conn, &user)?;
        let from = span_start(today, weeks)?;
        let ours = respondents(
            store::shared_scores(conn, std::slice::from_ref(&group), instrument, from)?
                .into_iter()
                .map(|(_, person, day, score)| (person, day, score)),
        );
        // Only groups sharing someone with ours can be close enough to difference against it.
        let people: Vec<String> = ours
            .values()
            .flat_map(|week| week.keys().cloned())
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        let others: Vec<GroupId> = store::groups_shared_by(conn, &people, instrument, from)?
            .into_iter()
            .filter(|other| other != &group)
            .collect();
        let mut rows_of: HashMap<GroupId, Vec<(String, NaiveDate, i32)>> = HashMap::new();
        for (other, person, day, score) in store::shared_scores(conn, &others, instrument, from)? {
            rows_of.entry(other).or_default().push((person, day, score));
        }
        let theirs: Vec<Respondents> = rows_of
            .into_values()
            .map(|rows| respondents(rows.into_iter()))
            .collect();
        let mut points = Vec::new();
        let mut week = from;
        while week <= week_start(today) {
            let answered = ours.get(&week);
            let shown = answered.filter(|people| {
                people.len() >= k
                    && !theirs.iter().any(|other| {
                        other.get(&week).is_some_and(|others| {
                            let apart = differing(people, others);
                            others.len() >= k && apart > 0 && apart < k
                        })
                    })
            });
            points.push(AggregatePoint {
                week_start: week,
                figures: shown.map(|people| {
                    let mean = people.values().sum::<f64>() / people.len() as f64;
                    (people.len() as i64, mean)
                }),
            });
            week += TimeDelta::weeks(1);
        }
        Ok(points)
    })
    .await
}

/// Deletes every check-in of the viewer; how many went.
pub async fn delete_mine(db: &Db, secret: &Secret, viewer: &Viewer) -> AppResult<i64> {
    let pseudonym = pseudonym_of(&viewer.user_id, secret);
    db.write(move |conn| Ok(store::delete_of(conn, &pseudonym)? as i64))
        .await
}

// ------------------------------------------------------------------ personal data

/// Check-ins, found by the person's pseudonym (never stored beside their id).
pub struct CheckinsData;
pub static CHECKINS_DATA: CheckinsData = CheckinsData;

impl PersonalData for CheckinsData {
    fn name(&self) -> &'static str {
        "checkins"
    }

    fn columns(&self) -> &'static [PersonColumn] {
        &[PersonColumn {
            table: "checkins",
            column: "pseudonym",
        }]
    }

    fn export(&self, conn: &mut DbConnection, person: &Person) -> AppResult<serde_json::Value> {
        let checkins: Vec<_> = store::all_of(conn, &person.pseudonym)?
            .into_iter()
            .map(|row| {
                json!({ "instrument": row.instrument.as_str(), "score": row.score,
                        "band": row.band().as_str(), "recordedOn": row.recorded_on.to_string() })
            })
            .collect();
        Ok(json!({ "checkins": checkins }))
    }

    fn erase(&self, conn: &mut DbConnection, person: &Person) -> AppResult<()> {
        store::delete_of(conn, &person.pseudonym)?;
        Ok(())
    }

    /// Check-ins older than the retention period (24 months by default) go, whoever made them.
    fn purge(
        &self,
        conn: &mut DbConnection,
        retention: &Retention,
        now: NaiveDateTime,
    ) -> AppResult<Vec<Purged>> {
        let before = (now - retention.checkins).date();
        Ok(vec![Purged {
            kind: "check-ins",
            rows: store::delete_before(conn, before)?,
        }])
    }
}
