//! Group wellbeing releases. A group's figure for a period is computed once, after the period has
//! closed everywhere, from the people who were active members before it began; its sum and count
//! get differentially private noise (OpenDP's discrete Laplace), drawn once and stored; from then
//! on the release is read, never recomputed, so no later read, deletion or neighbouring group can
//! be subtracted from it to learn one person's answers.

use std::collections::{HashMap, HashSet};

use chrono::{NaiveDate, NaiveDateTime, NaiveTime, TimeDelta};
use opendp::core::Measurement;
use opendp::domains::{AtomDomain, VectorDomain};
use opendp::measurements::make_laplace;
use opendp::measures::MaxDivergence;
use opendp::metrics::L1Distance;

use super::instruments::Instrument;
use super::model::{Figures, ReleaseRow, SuppressionReason};
use super::store;
use crate::auth::Secret;
use crate::config::CheckinConfig;
use crate::db::{Db, DbConnection, schedule};
use crate::error::{AppError, AppResult, InternalError};
use crate::groups::service::members_active_before;
use crate::ids::GroupId;
use crate::privacy::pseudonym_of;

/// Periods are counted in whole weeks from this Monday, so that every instance cuts them alike.
const FIRST_MONDAY: NaiveDate = NaiveDate::from_ymd_opt(1970, 1, 5).expect("a Monday");

/// How a group's figures are cut into periods, and when each is released.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Periods {
    weeks: i64,
}

impl Periods {
    pub fn new(weeks: u32) -> Self {
        Self {
            weeks: i64::from(weeks.max(1)),
        }
    }

    pub fn weeks(self) -> i32 {
        i32::try_from(self.weeks).unwrap_or(i32::MAX)
    }

    /// The first Monday of the period that holds `day`.
    pub fn start_of(self, day: NaiveDate) -> NaiveDate {
        let length = 7 * self.weeks;
        let from_first = (day - FIRST_MONDAY).num_days();
        FIRST_MONDAY + TimeDelta::days(from_first.div_euclid(length) * length)
    }

    /// The first day after the period that starts on `start`.
    pub fn end(self, start: NaiveDate) -> NaiveDate {
        start + TimeDelta::weeks(self.weeks)
    }

    /// Who was an active member before this moment counts in the period starting on `start`: the
    /// start of the day before its first Monday, in UTC, when the period had begun in no time
    /// zone yet (the earliest, UTC+14, starts Monday at 10:00 UTC the day before).
    pub fn members_before(self, start: NaiveDate) -> NaiveDateTime {
        (start - TimeDelta::days(1)).and_time(NaiveTime::MIN)
    }

    /// When the period starting on `start` is released: a day after its last day ended in UTC,
    /// once no one anywhere can record a check-in on one of its days (UTC−12 is the latest zone).
    pub fn released_at(self, start: NaiveDate) -> NaiveDateTime {
        (self.end(start) + TimeDelta::days(1)).and_time(NaiveTime::MIN)
    }

    /// The last period released by `now`.
    pub fn last_closed(self, now: NaiveDateTime) -> NaiveDate {
        let current = self.start_of(now.date() - TimeDelta::days(1));
        current - TimeDelta::weeks(self.weeks)
    }
}

/// Each person's value, in hundredths of the instrument's range.
const RESOLUTION: i64 = 100;
/// Values are summed around the middle of the range, so that the count's noise moves the mean in
/// proportion to how far it lies from the middle, at most half the range.
const CENTRE: i64 = RESOLUTION / 2;
/// The count is released multiplied by this weight, so that one noise scale serves sum and count.
const COUNT_WEIGHT: i64 = RESOLUTION / 2;
/// How far one person added or removed moves (centred sum, weighted count), in L1 distance.
pub const SENSITIVITY: i64 = CENTRE + COUNT_WEIGHT;
/// The 95 % quantile of |X + Y| for X, Y independent Laplace of scale 1: the u with
/// (1 + u/2)·e^(−u) = 0.05. The mean's error is (X_sum − d·X_count/COUNT_WEIGHT)/n with
/// |d| ≤ CENTRE, so at worst the sum of two such variables over n.
const MARGIN_QUANTILE: f64 = 4.113;

type NoiseMeasurement =
    Measurement<VectorDomain<AtomDomain<i64>>, L1Distance<i64>, MaxDivergence, Vec<i64>>;

/// OpenDP's discrete Laplace mechanism on (centred sum, weighted count), with the scale that
/// makes one release cost `epsilon`.
pub struct Noise {
    measurement: NoiseMeasurement,
    scale: f64,
}

fn noise_error(error: opendp::error::Error) -> AppError {
    AppError::internal(InternalError::Other(format!("wellbeing noise: {error}")))
}

impl Noise {
    pub fn new(epsilon: f64) -> AppResult<Self> {
        let scale = SENSITIVITY as f64 / epsilon;
        let measurement = make_laplace(
            VectorDomain::new(AtomDomain::<i64>::default()),
            L1Distance::<i64>::default(),
            scale,
            None,
        )
        .map_err(noise_error)?;
        Ok(Self { measurement, scale })
    }

    /// The privacy loss of one release, as OpenDP's privacy map states it.
    pub fn epsilon(&self) -> AppResult<f64> {
        self.measurement.map(&SENSITIVITY).map_err(noise_error)
    }

    /// The Laplace scale, in hundredths of the range.
    pub fn scale(&self) -> f64 {
        self.scale
    }

    /// Half-width of a 95 % interval for a mean over `respondents` people, in hundredths of the
    /// range.
    pub fn margin(&self, respondents: f64) -> f64 {
        MARGIN_QUANTILE * self.scale / respondents
    }

    /// (noisy centred sum, noisy weighted count) of `values`.
    fn draw(&self, values: &[i64]) -> AppResult<(i64, i64)> {
        let sum: i64 = values.iter().map(|value| value - CENTRE).sum();
        let count = COUNT_WEIGHT * values.len() as i64;
        match self
            .measurement
            .invoke(&vec![sum, count])
            .map_err(noise_error)?[..]
        {
            [sum, count] => Ok((sum, count)),
            _ => Err(AppError::internal(InternalError::Other(
                "wellbeing noise: two values expected".into(),
            ))),
        }
    }
}

/// Everything a release needs: the period, the noise and the two suppression rules.
pub struct Releaser {
    pub periods: Periods,
    pub noise: Noise,
    pub min_respondents: usize,
    /// In hundredths of the range.
    pub max_margin: f64,
}

impl Releaser {
    pub fn new(config: &CheckinConfig) -> AppResult<Self> {
        Ok(Self {
            periods: Periods::new(config.period_weeks),
            noise: Noise::new(config.epsilon)?,
            min_respondents: config.min_respondents,
            max_margin: config.max_margin,
        })
    }

    /// The figure of one group on `instrument` from each counted person's value (their mean,
    /// in hundredths of the range), or why it is suppressed.
    pub fn figure(
        &self,
        instrument: Instrument,
        values: &[i64],
    ) -> AppResult<Result<Figures, SuppressionReason>> {
        if values.len() < self.min_respondents {
            return Ok(Err(SuppressionReason::TooFew));
        }
        let (sum, count) = self.noise.draw(values)?;
        // Not suppressed tells that at least k people counted: the noisy count may not say less.
        let respondents = (count as f64 / COUNT_WEIGHT as f64).max(self.min_respondents as f64);
        let margin = self.noise.margin(respondents);
        if margin > self.max_margin {
            return Ok(Err(SuppressionReason::TooUncertain));
        }
        let mean = (CENTRE as f64 + sum as f64 / respondents).clamp(0.0, RESOLUTION as f64);
        let scale = instrument.scale();
        let range = f64::from(scale.score_max - scale.score_min) / RESOLUTION as f64;
        Ok(Ok(Figures {
            respondents: respondents.round() as i32,
            average_score: (f64::from(scale.score_min) + mean * range).round(),
            margin: (margin * range * 10.0).round() / 10.0,
        }))
    }
}

/// A person's mean score in hundredths of the instrument's range, clamped to it.
fn value_of(instrument: Instrument, scores: &[i32]) -> i64 {
    let scale = instrument.scale();
    let mean = f64::from(scores.iter().sum::<i32>()) / scores.len().max(1) as f64;
    let share = (mean - f64::from(scale.score_min)) / f64::from(scale.score_max - scale.score_min);
    ((share * RESOLUTION as f64).round() as i64).clamp(0, RESOLUTION)
}

/// Releases the period starting on `start` for every group, unless it was released already (by
/// another instance: the marker row is written first, so the second waits and then skips).
fn release_period(
    conn: &mut DbConnection,
    secret: &Secret,
    config: &CheckinConfig,
    start: NaiveDate,
    now: NaiveDateTime,
) -> AppResult<bool> {
    let releaser = Releaser::new(config)?;
    let periods = releaser.periods;
    if !store::mark_released(conn, periods.weeks(), start, now)? {
        return Ok(false);
    }
    let shared = store::scores_shared_between(conn, start, periods.end(start))?;
    let groups: Vec<GroupId> = shared
        .iter()
        .map(|(group, ..)| group.clone())
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let mut counted: HashMap<GroupId, HashSet<String>> = HashMap::new();
    for (group, member) in members_active_before(conn, &groups, periods.members_before(start))? {
        counted
            .entry(group)
            .or_default()
            .insert(pseudonym_of(&member, secret));
    }
    // Each counted person's scores, per group and instrument.
    let mut scores: HashMap<(GroupId, Instrument), HashMap<String, Vec<i32>>> = HashMap::new();
    for (group, instrument, pseudonym, score) in shared {
        if counted
            .get(&group)
            .is_some_and(|people| people.contains(&pseudonym))
        {
            scores
                .entry((group, instrument))
                .or_default()
                .entry(pseudonym)
                .or_default()
                .push(score);
        }
    }
    let mut rows = Vec::with_capacity(scores.len());
    for ((group_id, instrument), people) in scores {
        let values: Vec<i64> = people
            .values()
            .map(|scores| value_of(instrument, scores))
            .collect();
        let figure = releaser.figure(instrument, &values)?;
        rows.push(ReleaseRow {
            group_id,
            instrument,
            period_weeks: periods.weeks(),
            period_start: start,
            suppression: figure.err(),
            respondents: figure.ok().map(|figures| figures.respondents),
            average_score: figure.ok().map(|figures| figures.average_score),
            margin: figure.ok().map(|figures| figures.margin),
        });
    }
    store::insert_releases(conn, &rows)?;
    Ok(true)
}

/// How often instances ask whether a period is due: releases wait at most this long past their
/// time.
const RELEASE_EVERY: TimeDelta = TimeDelta::minutes(30);

/// Releases what is due, at most once per [`RELEASE_EVERY`] across instances; how many periods.
pub async fn release_if_due(
    db: &Db,
    secret: &Secret,
    config: &CheckinConfig,
    now: NaiveDateTime,
) -> AppResult<usize> {
    let claimed = db
        .write(move |conn| {
            Ok(schedule::claim(
                conn,
                schedule::WELLBEING_RELEASE,
                now,
                RELEASE_EVERY,
            )?)
        })
        .await?;
    if !claimed {
        return Ok(0);
    }
    release_closed_periods(db, secret, config, now).await
}

/// Releases every closed period not released yet, oldest first, each in one transaction: a run
/// that comes late catches up all it missed. The first release starts at the period of the
/// oldest check-in shared with a group (periods closed before releases existed are released by
/// the same rule); until one is shared there is nothing to release. How many periods.
pub async fn release_closed_periods(
    db: &Db,
    secret: &Secret,
    config: &CheckinConfig,
    now: NaiveDateTime,
) -> AppResult<usize> {
    let periods = Periods::new(config.period_weeks);
    let last = periods.last_closed(now);
    let first = db
        .run(move |conn| {
            Ok(match store::released_through(conn, periods.weeks())? {
                Some(latest) => Some(periods.end(latest)),
                None => store::oldest_shared_day(conn)?.map(|day| periods.start_of(day)),
            })
        })
        .await?;
    // Nothing shared yet: nothing to release, and no period to mark.
    let Some(first) = first else {
        return Ok(0);
    };
    let mut released = 0;
    let mut start = first;
    while start <= last {
        let (secret, config) = (secret.clone(), config.clone());
        if db
            .write(move |conn| release_period(conn, &secret, &config, start, now))
            .await?
        {
            released += 1;
        }
        start = periods.end(start);
    }
    Ok(released)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> NaiveDate {
        text.parse().expect("a date")
    }

    #[test]
    fn periods_start_on_mondays_and_close_a_day_after_they_end_in_utc() {
        let four = Periods::new(4);
        let start = four.start_of(day("2026-12-01"));
        assert_eq!(start.format("%A").to_string(), "Monday");
        assert!(start <= day("2026-12-01") && day("2026-12-01") < four.end(start));
        assert_eq!(four.start_of(four.end(start)), four.end(start));
        assert_eq!(four.start_of(four.end(start) - TimeDelta::days(1)), start);
        let one = Periods::new(1);
        // Week of Monday 2026-11-23: released on Tuesday 2026-12-01 at 00:00 UTC.
        let week = day("2026-11-23");
        assert_eq!(
            one.released_at(week),
            day("2026-12-01").and_time(NaiveTime::MIN)
        );
        let monday_night = day("2026-11-30").and_hms_opt(23, 59, 0).expect("a time");
        assert_eq!(one.last_closed(monday_night), day("2026-11-16"));
        let tuesday = day("2026-12-01").and_time(NaiveTime::MIN);
        assert_eq!(one.last_closed(tuesday), week);
        assert_eq!(
            one.members_before(week),
            day("2026-11-22").and_time(NaiveTime::MIN)
        );
    }

    #[test]
    fn the_margin_quantile_solves_its_equation() {
        let tail = |u: f64| (1.0 + u / 2.0) * (-u).exp();
        assert!((tail(MARGIN_QUANTILE) - 0.05).abs() < 1e-4);
    }

    #[test]
    fn opendp_states_the_configured_epsilon() {
        let noise = Noise::new(3.5).expect("noise");
        let epsilon = noise.epsilon().expect("epsilon");
        assert!((epsilon - 3.5).abs() < 1e-9, "{epsilon}");
    }

    /// P(|X| > t) for discrete Laplace of scale b on the integers.
    fn tail(b: f64, t: i64) -> f64 {
        let q = (-1.0 / b).exp();
        2.0 * q.powi(t as i32 + 1) / (1.0 + q)
    }

    #[test]
    fn the_noise_spreads_as_its_scale_says() {
        let noise = Noise::new(3.5).expect("noise");
        let b = noise.scale();
        let draws: Vec<(i64, i64)> = (0..20_000)
            .map(|_| noise.draw(&[CENTRE; 10]).expect("draw"))
            .collect();
        // Centred values of 50 sum to 0; ten people weigh 500.
        for (name, errors) in [
            ("sum", draws.iter().map(|(sum, _)| *sum).collect::<Vec<_>>()),
            (
                "count",
                draws
                    .iter()
                    .map(|(_, count)| count - 500)
                    .collect::<Vec<_>>(),
            ),
        ] {
            for t in [10, 30, 60] {
                let observed =
                    errors.iter().filter(|error| error.abs() > t).count() as f64 / 20_000.0;
                let expected = tail(b, t);
                assert!(
                    (observed - expected).abs() < 0.025,
                    "{name}: P(|X| > {t}) = {observed}, scale {b} says {expected}"
                );
            }
            let mean = errors.iter().sum::<i64>() as f64 / 20_000.0;
            assert!(mean.abs() < 2.0, "{name}: centred on 0, not {mean}");
        }
    }

    #[test]
    fn a_team_of_twelve_on_who5_gets_a_margin_within_ten_points() {
        let releaser = Releaser::new(&CheckinConfig::DEFAULT).expect("releaser");
        // WHO-5's range is 100 points: hundredths of it are points.
        let margin = releaser.noise.margin(12.0);
        assert!(margin <= 10.0, "{margin}");
        // Six counted people are the fewest the default maximum margin of 20 shows.
        assert!(releaser.noise.margin(6.0) <= 20.0 && releaser.noise.margin(5.0) > 20.0);
        let four = releaser.figure(Instrument::Who5, &[0; 4]).expect("figure");
        assert_eq!(four, Err(SuppressionReason::TooFew));
    }

    #[test]
    fn values_are_means_in_hundredths_of_the_range() {
        assert_eq!(value_of(Instrument::Who5, &[40, 60]), 50);
        assert_eq!(value_of(Instrument::Pss4, &[16]), 100);
        assert_eq!(value_of(Instrument::BurnoutSingleItem, &[1, 2]), 13);
    }
}
