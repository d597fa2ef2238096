//! Check-ins as stored, and what the API returns about them.

use chrono::NaiveDate;
use diesel::prelude::*;

use super::instruments::{Instrument, WellbeingBand};
use crate::db::schema::{checkins, wellbeing_releases};
use crate::ids::{CheckinId, GroupId};
use crate::text_enum;

/// The default and the widest span of a trend or an aggregate, in weeks.
pub const WEEKS_DEFAULT: i64 = 12;
pub const WEEKS_MAX: i64 = 104;
/// Groups a person's check-ins of one instrument may reach in one wellbeing period: each is a
/// release the person is counted in, so this bounds their privacy loss per period.
pub const SHARES_MAX: usize = 3;

/// A check-in: a pseudonym, never a user id; a local day, never a time.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = checkins)]
pub struct CheckinRow {
    pub id: CheckinId,
    pub pseudonym: String,
    pub instrument: Instrument,
    pub score: i32,
    pub recorded_on: NaiveDate,
}

impl CheckinRow {
    pub fn band(&self) -> WellbeingBand {
        self.instrument.band(self.score)
    }
}

/// The viewer's average for one ISO week (Monday start), from the check-ins they made in it.
#[derive(Debug, Clone, PartialEq)]
pub struct TrendPoint {
    pub week_start: NaiveDate,
    pub average_score: f64,
    pub count: i64,
}

text_enum! {
    /// Why a group's figure for a period is not shown.
    pub enum SuppressionReason {
        /// Fewer counted respondents than the anonymity threshold.
        TooFew => "TOO_FEW",
        /// The published figure's margin would be wider than the configured maximum.
        TooUncertain => "TOO_UNCERTAIN",
        /// The period has not closed and been released yet.
        NotReleased => "NOT_RELEASED",
    }
}

/// A group's released figure for one period, as stored once and read ever after.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = wellbeing_releases)]
pub struct ReleaseRow {
    pub group_id: GroupId,
    pub instrument: Instrument,
    pub period_weeks: i32,
    pub period_start: NaiveDate,
    /// `None` when published.
    pub suppression: Option<SuppressionReason>,
    pub respondents: Option<i32>,
    pub average_score: Option<f64>,
    pub margin: Option<f64>,
}

/// What a release publishes: noisy figures, in the instrument's units.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Figures {
    /// The noisy count of people, rounded, never below k.
    pub respondents: i32,
    /// The noisy mean, rounded to a whole point.
    pub average_score: f64,
    /// Half-width of a 95 % interval around `average_score`.
    pub margin: f64,
}

/// A group's figure for one period: shown, or why not.
#[derive(Debug, Clone, PartialEq)]
pub struct AggregatePoint {
    /// The period's first Monday.
    pub week_start: NaiveDate,
    pub period_weeks: i32,
    pub figures: Result<Figures, SuppressionReason>,
}

impl AggregatePoint {
    /// The point a stored release reads as.
    pub fn released(row: &ReleaseRow) -> Self {
        let figures = match (
            row.suppression,
            row.respondents,
            row.average_score,
            row.margin,
        ) {
            (None, Some(respondents), Some(average_score), Some(margin)) => Ok(Figures {
                respondents,
                average_score,
                margin,
            }),
            (Some(reason), ..) => Err(reason),
            // A published row always has its figures; a row without them shows nothing.
            (None, ..) => Err(SuppressionReason::TooFew),
        };
        Self {
            week_start: row.period_start,
            period_weeks: row.period_weeks,
            figures,
        }
    }
}

/// A check-in as the person submits it.
#[derive(Debug, Clone)]
pub struct CheckinForm {
    pub instrument: Instrument,
    pub answers: Vec<i32>,
    /// Groups to count it in, each at most once.
    pub share_with: Vec<GroupId>,
}
