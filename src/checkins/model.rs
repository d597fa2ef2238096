//! Check-ins as stored, and what the API returns about them.

use chrono::NaiveDate;
use diesel::prelude::*;

use super::instruments::{Instrument, WellbeingBand};
use crate::db::schema::checkins;
use crate::ids::CheckinId;

/// The default and the widest span of a trend or an aggregate, in weeks.
pub const WEEKS_DEFAULT: i64 = 12;
pub const WEEKS_MAX: i64 = 104;
/// Groups a check-in may be shared with at once.
pub const SHARES_MAX: usize = 20;

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

/// A group's figure for one ISO week: `None` when suppressed to protect who answered.
#[derive(Debug, Clone, PartialEq)]
pub struct AggregatePoint {
    pub week_start: NaiveDate,
    pub figures: Option<(i64, f64)>,
}
