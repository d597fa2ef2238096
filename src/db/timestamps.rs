//! Timestamps read from the rows of the hottest lists, on SQLite by the positions of diesel's
//! text (`2026-12-05 01:02:03.456789`) rather than through chrono's format parser, which diesel
//! tries format after format: in a profile of the groups page, parsing each group's `created_at`
//! took a quarter of the page's statement. Any other text falls back to diesel's parser;
//! PostgreSQL sends timestamps as binary and is read by diesel as always. Each backend has its own
//! reading, so that a statement run on the backend's own connection reads them too.
//!
//! A row field opts in with `#[diesel(deserialize_as = Stamp)]` (or [`StampOrNull`]).

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use diesel::backend::Backend;
use diesel::deserialize::{self, FromSql, FromSqlRow};
use diesel::pg::{Pg, PgValue};
use diesel::sql_types::{Nullable, Timestamp};
use diesel::sqlite::{Sqlite, SqliteValue};

use super::connection::{MultiBackend, MultiRawValue};

/// A `TIMESTAMP` column's value.
#[derive(Debug, FromSqlRow)]
pub struct Stamp(NaiveDateTime);

/// A nullable `TIMESTAMP` column's value.
#[derive(Debug, FromSqlRow)]
pub struct StampOrNull(Option<NaiveDateTime>);

impl From<Stamp> for NaiveDateTime {
    fn from(stamp: Stamp) -> Self {
        stamp.0
    }
}

impl From<StampOrNull> for Option<NaiveDateTime> {
    fn from(stamp: StampOrNull) -> Self {
        stamp.0
    }
}

impl FromSql<Timestamp, Sqlite> for Stamp {
    fn from_sql(mut text: SqliteValue<'_, '_, '_>) -> deserialize::Result<Self> {
        match by_position(text.read_text()) {
            Some(stamp) => Ok(Self(stamp)),
            None => FromSql::<Timestamp, Sqlite>::from_sql(text).map(Self),
        }
    }
}

impl FromSql<Timestamp, Pg> for Stamp {
    fn from_sql(binary: PgValue<'_>) -> deserialize::Result<Self> {
        FromSql::<Timestamp, Pg>::from_sql(binary).map(Self)
    }
}

impl FromSql<Timestamp, MultiBackend> for Stamp {
    fn from_sql(value: MultiRawValue<'_>) -> deserialize::Result<Self> {
        match value {
            MultiRawValue::Sqlite(text) => FromSql::<Timestamp, Sqlite>::from_sql(text),
            MultiRawValue::Postgres(binary) => FromSql::<Timestamp, Pg>::from_sql(binary),
        }
    }
}

/// Each backend's [`Stamp`], or null.
impl<DB> FromSql<Nullable<Timestamp>, DB> for StampOrNull
where
    DB: Backend,
    Stamp: FromSql<Timestamp, DB>,
{
    fn from_sql(value: DB::RawValue<'_>) -> deserialize::Result<Self> {
        <Stamp as FromSql<Timestamp, DB>>::from_sql(value).map(|stamp| Self(Some(stamp.0)))
    }

    fn from_nullable_sql(value: Option<DB::RawValue<'_>>) -> deserialize::Result<Self> {
        match value {
            Some(value) => Self::from_sql(value),
            None => Ok(Self(None)),
        }
    }
}

/// `YYYY-MM-DD HH:MM:SS` with an optional fraction of 1 to 9 digits (and `T` accepted for the
/// space), or `None`.
fn by_position(text: &str) -> Option<NaiveDateTime> {
    let bytes = text.as_bytes();
    let (stamp, fraction) = bytes.split_at_checked(19)?;
    let separators = [(4, b'-'), (7, b'-'), (13, b':'), (16, b':')];
    if separators
        .iter()
        .any(|&(at, separator)| stamp[at] != separator)
        || !matches!(stamp[10], b' ' | b'T')
    {
        return None;
    }
    let number = |digits: &[u8]| {
        digits.iter().try_fold(0u32, |value, digit| {
            digit
                .is_ascii_digit()
                .then(|| value * 10 + u32::from(digit - b'0'))
        })
    };
    let nanoseconds = match fraction {
        [] => 0,
        [b'.', digits @ ..] if (1..=9).contains(&digits.len()) => {
            number(digits)? * 10u32.pow(9 - digits.len() as u32)
        }
        _ => return None,
    };
    let year = i32::try_from(number(&stamp[0..4])?).ok()?;
    let date = NaiveDate::from_ymd_opt(year, number(&stamp[5..7])?, number(&stamp[8..10])?)?;
    let time = NaiveTime::from_hms_nano_opt(
        number(&stamp[11..13])?,
        number(&stamp[14..16])?,
        number(&stamp[17..19])?,
        nanoseconds,
    )?;
    Some(date.and_time(time))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        /// Whatever diesel writes, read back by position, is what chrono reads.
        #[test]
        fn diesels_text_reads_back_as_chrono_reads_it(
            seconds in 0i64..253_402_300_799,
            nanoseconds in prop_oneof![Just(0u32), 0u32..1_000_000_000, (0u32..1_000_000).prop_map(|micros| micros * 1_000)],
        ) {
            let stamp = chrono::DateTime::from_timestamp(seconds, nanoseconds)
                .expect("in range")
                .naive_utc();
            for format in ["%F %T%.f", "%F %T", "%FT%T%.f"] {
                let text = stamp.format(format).to_string();
                prop_assert_eq!(
                    by_position(&text),
                    NaiveDateTime::parse_from_str(&text, format).ok(),
                    "{}", text
                );
            }
        }
    }

    #[test]
    fn other_texts_are_left_to_diesel() {
        for text in [
            "",
            "2026-12-05",
            "2026-12-05 01:02",
            "2026-12-05 01:02:03Z",
            "2026-12-05 01:02:03+01:00",
            "2026-12-05 01:02:03.",
            "2026-12-05 01:02:03.1234567890",
            "2026-13-05 01:02:03",
            "2026-12-05 24:00:00",
            "2026/12/05 01:02:03",
            "2026-12-05 01:02:0x",
            "２０２６-12-05 01:02:03",
        ] {
            assert_eq!(by_position(text), None, "{text}");
        }
        assert_eq!(
            by_position("2026-12-05 01:02:03.5"),
            NaiveDateTime::parse_from_str("2026-12-05 01:02:03.500", "%F %T%.f").ok()
        );
    }
}
