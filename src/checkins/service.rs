//! Check-in rules: scoring, storage under a pseudonym on the local day, the viewer's own trend,
//! and group aggregates shown only when no one can be singled out of them.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{NaiveDate, NaiveDateTime, TimeDelta, Utc};
use serde_json::json;

use super::instruments::Instrument;
use super::model::*;
use super::release::Periods;
use super::store;
use crate::accounts::model::ConsentPurpose;
use crate::accounts::service::{self as accounts, lock_own_account, timezone_of};
use crate::auth::{Secret, Viewer};
use crate::config::ConsentVersions;
use crate::config::Retention;
use crate::db::{Db, DbConnection};
use crate::error::{AppError, AppResult};
use crate::groups::service::active_role_in;
use crate::i18n::Message;
use crate::ids::{CheckinId, GroupId, UserId};
use crate::pagination::{CursorKey, Page, PageRequest};
use crate::privacy::{Person, PersonColumn, PersonalData, Purged, pseudonym_of};

/// The Monday of `day`'s ISO week: its one-week period.
pub fn week_start(day: NaiveDate) -> NaiveDate {
    Periods::new(1).start_of(day)
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
/// are an active member of (FORBIDDEN otherwise, and nothing is stored). The person's check-ins
/// on one instrument reach at most [`SHARES_MAX`] groups per wellbeing period: each group is a
/// release they are counted in. Only with the person's consent to the current health-data
/// notice (FORBIDDEN, reason CONSENT_REQUIRED, without).
pub async fn submit(
    db: &Db,
    secret: &Secret,
    viewer: &Viewer,
    form: CheckinForm,
    periods: Periods,
    consents: &ConsentVersions,
) -> AppResult<CheckinRow> {
    let CheckinForm {
        instrument,
        answers,
        share_with,
    } = form;
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
    let consents = consents.clone();
    db.write(move |conn| {
        lock_own_account(conn, &user)?;
        accounts::require_consent(conn, &user, ConsentPurpose::HealthData, &consents)?;
        for group in &groups {
            if active_role_in(conn, group, &user)?.is_none() {
                return Err(AppError::Forbidden);
            }
        }
        let today = local_today(conn, &user)?;
        if !groups.is_empty() {
            let mut reached: HashSet<GroupId> =
                store::groups_shared_since(conn, &pseudonym, instrument, periods.start_of(today))?
                    .into_iter()
                    .collect();
            reached.extend(groups.iter().cloned());
            if reached.len() > SHARES_MAX {
                return Err(AppError::bad_input(
                    "shareWithGroupIds",
                    Message::SharesPerPeriod {
                        max: SHARES_MAX,
                        weeks: periods.weeks(),
                    },
                ));
            }
        }
        let row = CheckinRow {
            id: CheckinId::random(),
            pseudonym,
            instrument,
            score,
            recorded_on: today,
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

/// A group's wellbeing on `instrument`, for its active members: one point per period over the
/// last `weeks` weeks, oldest first, each read from its release (never computed here). A period
/// not released yet, the open one included, reads as NOT_RELEASED; a released period without a
/// row for the group had no one to count (TOO_FEW).
pub async fn group_wellbeing(
    db: &Db,
    viewer: &Viewer,
    group: GroupId,
    instrument: Instrument,
    weeks: Option<i32>,
    periods: Periods,
) -> AppResult<Vec<AggregatePoint>> {
    let user = viewer.user_id.clone();
    db.run(move |conn| {
        if active_role_in(conn, &group, &user)?.is_none() {
            return Err(AppError::Forbidden);
        }
        let today = local_today(conn, &user)?;
        let from = periods.start_of(span_start(today, weeks)?);
        let released: HashMap<NaiveDate, ReleaseRow> =
            store::releases(conn, &group, instrument, periods.weeks(), from)?
                .into_iter()
                .map(|row| (row.period_start, row))
                .collect();
        let through = store::released_through(conn, periods.weeks())?;
        let mut points = Vec::new();
        let mut start = from;
        while start <= today {
            points.push(match released.get(&start) {
                Some(row) => AggregatePoint::released(row),
                None => AggregatePoint {
                    week_start: start,
                    period_weeks: periods.weeks(),
                    figures: Err(if through.is_some_and(|through| start <= through) {
                        SuppressionReason::TooFew
                    } else {
                        SuppressionReason::NotReleased
                    }),
                },
            });
            start = periods.end(start);
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

/// Withdraws the viewer's consent to the processing of their check-ins, and deletes every one
/// of them with it, in one transaction: a check-in submitted meanwhile (which takes the same
/// account lock) either came before and is deleted, or comes after and is refused. Releases
/// published before stay: they are noised figures about a group, not anyone's data.
pub async fn withdraw_consent(db: &Db, secret: &Secret, viewer: &Viewer) -> AppResult<()> {
    let user = viewer.user_id.clone();
    let pseudonym = pseudonym_of(&user, secret);
    db.write(move |conn| {
        accounts::revoke_consent(conn, &user, ConsentPurpose::HealthData)?;
        store::delete_of(conn, &pseudonym)?;
        Ok(())
    })
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
