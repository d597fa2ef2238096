//! Property tests: for any input, what parses client input, scores check-ins, places quiet hours
//! and matches mentees keeps its promises, and never panics.

#![allow(clippy::unwrap_used)]

use std::collections::HashMap;

use chrono::{DateTime, NaiveTime, Offset, TimeDelta, Utc};
use proptest::prelude::*;
use relais::checkins::instruments::Instrument;
use relais::error::AppError;
use relais::ids::UserId;
use relais::mentorship::matching::{blocking_pairs, stable_assignment};
use relais::notifications::model::QuietHours;
use relais::notifications::service::quiet_hours_end;
use relais::pagination::{CursorKey, MAX_PAGE_SIZE, PageRequest, encode_cursor};
use relais::validate;

/// The field an error names, if it is a BAD_USER_INPUT.
fn bad_field(error: &AppError) -> Option<&'static str> {
    match error {
        AppError::BadInput { field, .. } => Some(field),
        _ => None,
    }
}

/// Any sort key, as a cursor carries it.
struct RawKey(String);

impl CursorKey for RawKey {
    fn from_cursor(key: &str) -> Option<Self> {
        Some(Self(key.to_owned()))
    }
}

fn time_of_day() -> impl Strategy<Value = NaiveTime> {
    (0u32..24, 0u32..60)
        .prop_map(|(hour, minute)| NaiveTime::from_hms_opt(hour, minute, 0).unwrap())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn any_after_is_a_page_or_a_bad_after(after in ".*", first in proptest::option::of(any::<i32>())) {
        match PageRequest::new(first, Some(&after)) {
            Ok(page) => {
                prop_assert!((1..=MAX_PAGE_SIZE).contains(&page.size));
                // A cursor that decodes must still be one of ours to be used.
                let id = page.after::<UserId>();
                prop_assert!(id.is_ok() || bad_field(&id.unwrap_err()) == Some("after"));
            }
            Err(error) => prop_assert!(matches!(bad_field(&error), Some("after" | "first"))),
        }
    }

    #[test]
    fn every_key_survives_its_cursor(key in ".*") {
        let page = PageRequest::new(Some(10), Some(&encode_cursor(&key))).unwrap();
        prop_assert_eq!(page.after::<RawKey>().unwrap().map(|raw| raw.0), Some(key));
    }

    #[test]
    fn first_is_taken_only_within_bounds(first in any::<i32>()) {
        let page = PageRequest::new(Some(first), None);
        if (1..=MAX_PAGE_SIZE as i32).contains(&first) {
            prop_assert_eq!(page.unwrap().size, first as usize);
        } else {
            prop_assert_eq!(bad_field(&page.unwrap_err()), Some("first"));
        }
    }

    #[test]
    fn id_cursors_are_canonical_uuids_only(key in "[0-9a-fA-F-]{0,40}", uuid in any::<u128>()) {
        let canonical = uuid::Uuid::from_u128(uuid).hyphenated().to_string();
        prop_assert!(UserId::from_cursor(&canonical).is_some());
        let accepted = UserId::from_cursor(&key).is_some();
        let is_canonical = uuid::Uuid::parse_str(&key)
            .is_ok_and(|parsed| parsed.hyphenated().to_string() == key);
        prop_assert_eq!(accepted, is_canonical);
    }

    #[test]
    fn texts_are_trimmed_nfc_and_within_bounds(value in "\\PC{0,40}|\\s*.{0,5}\\s*", min in 0usize..5, extra in 0usize..30) {
        let max = min + extra;
        match validate::text("note", &value, min, max) {
            Ok(text) => {
                prop_assert_eq!(text.trim(), text.as_str());
                prop_assert_eq!(validate::normalized(&text), text.clone());
                let length = text.chars().count();
                prop_assert!(min <= length && length <= max);
            }
            Err(error) => prop_assert_eq!(bad_field(&error), Some("note")),
        }
    }

    #[test]
    fn names_never_hide_characters(value in "\\PC{0,20}|[a\u{200B}-\u{200F}\u{202A}-\u{202E}\u{2066}-\u{2069}\u{FEFF}]{0,6}") {
        if let Ok(name) = validate::name("displayName", &value, 1, 80) {
            let invisible = ['\u{200B}', '\u{200C}', '\u{200E}', '\u{200F}', '\u{202A}', '\u{202E}', '\u{2066}', '\u{2069}', '\u{FEFF}'];
            prop_assert!(!name.chars().any(|c| invisible.contains(&c)), "{:?}", name);
        }
    }

    #[test]
    fn scores_stay_within_their_scale(instrument in prop::sample::select(Instrument::ALL), answers in prop::collection::vec(-2i32..8, 0..7)) {
        let scale = instrument.scale();
        let valid = answers.len() == scale.items
            && answers.iter().all(|answer| (scale.answer_min..=scale.answer_max).contains(answer));
        match instrument.score(&answers) {
            Some(score) => {
                prop_assert!(valid);
                prop_assert!((scale.score_min..=scale.score_max).contains(&score), "{score}");
                // Every score has a band.
                let _ = instrument.band(score);
            }
            None => prop_assert!(!valid),
        }
    }

    #[test]
    fn quiet_hours_end_after_now_and_outside_them(
        start in time_of_day(),
        end in time_of_day(),
        seconds in 1_700_000_000i64..1_900_000_000,
        zone in prop::sample::select(vec!["Europe/Paris", "America/Montreal", "Pacific/Chatham", "UTC", "Asia/Kolkata"]),
    ) {
        prop_assume!(start != end);
        let hours = QuietHours { start, end };
        let now: DateTime<Utc> = DateTime::from_timestamp(seconds, 0).unwrap();
        let tz: chrono_tz::Tz = zone.parse().unwrap();
        match quiet_hours_end(&hours, zone, now) {
            Some(until) => {
                prop_assert!(hours.contains(now.with_timezone(&tz).time()));
                prop_assert!(until > now);
                prop_assert!(until - now <= TimeDelta::hours(25), "{now} → {until}");
                // Outside them once they end, unless a clock change moved the end itself.
                let offset = |at: DateTime<Utc>| at.with_timezone(&tz).offset().fix();
                prop_assert!(!hours.contains(until.with_timezone(&tz).time()) || offset(now) != offset(until));
            }
            None => prop_assert!(!hours.contains(now.with_timezone(&tz).time())),
        }
    }

    #[test]
    fn matching_rounds_are_stable_within_capacities(
        market in (1usize..30, 1usize..10).prop_flat_map(|(mentees, mentors)| (
            prop::collection::vec(0usize..4, mentors),
            prop::collection::vec(prop::collection::vec((any::<bool>(), 0u8..5), mentors), mentees),
            Just(mentors),
        ))
    ) {
        let (capacities, rows, mentors) = market;
        let mentor_ids: Vec<UserId> = (0..mentors).map(|n| UserId::from_client(format!("mentor-{n:02}"))).collect();
        let capacity: HashMap<UserId, usize> = mentor_ids.iter().cloned().zip(capacities).collect();
        let mut scores: HashMap<(UserId, UserId), f64> = HashMap::new();
        let mut preferences: HashMap<UserId, Vec<UserId>> = HashMap::new();
        for (index, row) in rows.iter().enumerate() {
            let mentee = UserId::from_client(format!("mentee-{index:02}"));
            let mut acceptable: Vec<(UserId, u8)> = mentor_ids
                .iter()
                .zip(row)
                .filter(|(_, (acceptable, _))| *acceptable)
                .map(|(mentor, (_, score))| (mentor.clone(), *score))
                .collect();
            acceptable.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            for (mentor, score) in &acceptable {
                scores.insert((mentee.clone(), mentor.clone()), f64::from(*score));
            }
            preferences.insert(mentee, acceptable.into_iter().map(|(mentor, _)| mentor).collect());
        }
        let rank = |mentor: &UserId, mentee: &UserId| {
            scores.get(&(mentee.clone(), mentor.clone())).copied().unwrap_or(0.0)
        };
        let assignment = stable_assignment(&preferences, rank, &capacity);
        let mut load: HashMap<&UserId, usize> = HashMap::new();
        for (mentee, mentor) in &assignment {
            prop_assert!(preferences[mentee].contains(mentor), "only acceptable pairs");
            *load.entry(mentor).or_default() += 1;
        }
        for (mentor, taken) in load {
            prop_assert!(taken <= capacity[mentor]);
        }
        prop_assert_eq!(blocking_pairs(&preferences, rank, &capacity, &assignment), Vec::new());
    }
}
