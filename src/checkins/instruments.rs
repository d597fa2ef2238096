//! The validated instruments, their scoring and the bands a score falls in: one table for all.
//! Item texts and answer labels (fr, en) come from `seeds/instruments.json`.
//!
//! | instrument | score | GOOD | MODERATE | LOW | AT_RISK | basis |
//! |---|---|---|---|---|---|---|
//! | WHO5 | raw sum × 4, 0-100, higher is better | 76-100 | 51-75 | 29-50 | 0-28 | WHO-5 literature: ≤ 28 likely depression, raw < 13 (≤ 50) poor wellbeing; 51-75 and 76-100 are product choices |
//! | PSS4 | 0-16 (items 2 and 3 reversed), higher is more stress | 0-4 | 5-8 | 9-12 | 13-16 | product choice: the PSS-4 has no official cut-offs |
//! | BURNOUT_SINGLE_ITEM | 1-5, higher is more burnout | 1 | 2 | 3 | 4-5 | the instrument's own cut-off (3 or more: burnout symptoms); 4-5 as AT_RISK is a product choice |

use std::collections::HashMap;
use std::sync::OnceLock;

use serde::Deserialize;

use crate::i18n::Locale;
use crate::text_enum;

text_enum! {
    /// A validated wellbeing questionnaire.
    pub enum Instrument {
        /// WHO-5 Well-Being Index: 5 items answered 0-5; score = raw sum × 4, 0-100.
        #[graphql(name = "WHO5")]
        Who5 => "WHO5",
        /// Perceived Stress Scale, 4 items answered 0-4; items 2 and 3 reverse-scored; 0-16.
        #[graphql(name = "PSS4")]
        Pss4 => "PSS4",
        /// Single-item burnout measure, one answer 1-5 (3 or more: burnout symptoms).
        BurnoutSingleItem => "BURNOUT_SINGLE_ITEM",
    }
}

text_enum! {
    /// Where a score falls, with the instrument's own cut-offs.
    pub enum WellbeingBand {
        /// Good wellbeing.
        Good => "GOOD",
        /// Moderate.
        Moderate => "MODERATE",
        /// Low wellbeing.
        Low => "LOW",
        /// A score that calls for help: support resources are shown.
        AtRisk => "AT_RISK",
    }
}

/// How an instrument is answered and scored.
#[derive(Debug, Clone, Copy)]
pub struct Scale {
    pub items: usize,
    pub answer_min: i32,
    pub answer_max: i32,
    /// 1-based items scored in reverse (answer_max - answer).
    pub reversed: &'static [usize],
    pub multiplier: i32,
    pub score_min: i32,
    pub score_max: i32,
    pub higher_is_better: bool,
}

/// The band of scores `from..=to` of one instrument.
#[derive(Debug, Clone, Copy)]
pub struct Band {
    pub instrument: Instrument,
    pub from: i32,
    pub to: i32,
    pub band: WellbeingBand,
}

const fn band(instrument: Instrument, from: i32, to: i32, band: WellbeingBand) -> Band {
    Band {
        instrument,
        from,
        to,
        band,
    }
}

/// Every band of every instrument (sources and product choices in the module's table).
pub const BANDS: [Band; 12] = {
    use Instrument::*;
    use WellbeingBand::*;
    [
        band(Who5, 0, 28, AtRisk),
        band(Who5, 29, 50, Low),
        band(Who5, 51, 75, Moderate),
        band(Who5, 76, 100, Good),
        band(Pss4, 0, 4, Good),
        band(Pss4, 5, 8, Moderate),
        band(Pss4, 9, 12, Low),
        band(Pss4, 13, 16, AtRisk),
        band(BurnoutSingleItem, 1, 1, Good),
        band(BurnoutSingleItem, 2, 2, Moderate),
        band(BurnoutSingleItem, 3, 3, Low),
        band(BurnoutSingleItem, 4, 5, AtRisk),
    ]
};

impl Instrument {
    pub const fn scale(self) -> Scale {
        match self {
            Instrument::Who5 => Scale {
                items: 5,
                answer_min: 0,
                answer_max: 5,
                reversed: &[],
                multiplier: 4,
                score_min: 0,
                score_max: 100,
                higher_is_better: true,
            },
            Instrument::Pss4 => Scale {
                items: 4,
                answer_min: 0,
                answer_max: 4,
                reversed: &[2, 3],
                multiplier: 1,
                score_min: 0,
                score_max: 16,
                higher_is_better: false,
            },
            Instrument::BurnoutSingleItem => Scale {
                items: 1,
                answer_min: 1,
                answer_max: 5,
                reversed: &[],
                multiplier: 1,
                score_min: 1,
                score_max: 5,
                higher_is_better: false,
            },
        }
    }

    /// The score of these answers; `None` for the wrong number of answers or one out of range.
    pub fn score(self, answers: &[i32]) -> Option<i32> {
        let scale = self.scale();
        if answers.len() != scale.items {
            return None;
        }
        let mut raw = 0;
        for (item, &answer) in (1..).zip(answers) {
            if !(scale.answer_min..=scale.answer_max).contains(&answer) {
                return None;
            }
            raw += if scale.reversed.contains(&item) {
                scale.answer_max - answer
            } else {
                answer
            };
        }
        Some(raw * scale.multiplier)
    }

    /// The band `score` falls in.
    pub fn band(self, score: i32) -> WellbeingBand {
        BANDS
            .iter()
            .find(|band| band.instrument == self && (band.from..=band.to).contains(&score))
            .map_or(WellbeingBand::AtRisk, |band| band.band)
    }
}

/// An instrument as a person reads it, in one language.
#[derive(Debug, Clone, Deserialize)]
pub struct InstrumentText {
    pub name: String,
    pub prompt: String,
    pub items: Vec<String>,
    /// Answer labels by value, from the lowest value.
    pub answers: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct InstrumentTexts {
    source: String,
    /// By language tag. A validated translation of a questionnaire is not written by the app's
    /// translators: a language without one shows the default language's.
    #[serde(flatten)]
    by_language: HashMap<String, InstrumentText>,
}

const INSTRUMENT_TEXTS: &str = include_str!("../../seeds/instruments.json");

fn texts() -> &'static HashMap<String, InstrumentTexts> {
    static TEXTS: OnceLock<HashMap<String, InstrumentTexts>> = OnceLock::new();
    // The file is part of the build and checked by a unit test: it always parses.
    TEXTS.get_or_init(|| serde_json::from_str(INSTRUMENT_TEXTS).unwrap_or_default())
}

impl Instrument {
    /// Items and answer labels in `locale`.
    pub fn text(self, locale: Locale) -> Option<&'static InstrumentText> {
        let texts = &texts().get(self.as_str())?.by_language;
        texts
            .get(locale.as_str())
            .or_else(|| texts.get(Locale::default().as_str()))
    }

    /// Where the instrument and its scoring come from.
    pub fn source(self) -> &'static str {
        texts()
            .get(self.as_str())
            .map_or("", |texts| texts.source.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::Instrument::*;
    use super::WellbeingBand::*;
    use super::*;

    #[test]
    fn scores_and_bands_at_every_boundary() {
        // WHO-5: raw sum × 4.
        let who5 = |raw: i32| {
            let mut answers = vec![0; 5];
            let mut left = raw;
            for answer in &mut answers {
                *answer = left.min(5);
                left -= *answer;
            }
            Who5.score(&answers).expect("valid answers")
        };
        for (raw, score, expected) in [
            (0, 0, AtRisk),
            (7, 28, AtRisk),
            (8, 32, Low),
            (12, 48, Low),
            (13, 52, Moderate),
            (18, 72, Moderate),
            (19, 76, Good),
            (25, 100, Good),
        ] {
            assert_eq!(who5(raw), score);
            assert_eq!(Who5.band(score), expected, "WHO5 {score}");
        }
        // PSS-4: items 2 and 3 reversed.
        assert_eq!(Pss4.score(&[0, 4, 4, 0]), Some(0));
        assert_eq!(Pss4.score(&[4, 0, 0, 4]), Some(16));
        assert_eq!(Pss4.score(&[2, 2, 2, 2]), Some(8));
        for (score, expected) in [
            (0, Good),
            (4, Good),
            (5, Moderate),
            (8, Moderate),
            (9, Low),
            (12, Low),
            (13, AtRisk),
            (16, AtRisk),
        ] {
            assert_eq!(Pss4.band(score), expected, "PSS4 {score}");
        }
        for (answer, expected) in [(1, Good), (2, Moderate), (3, Low), (4, AtRisk), (5, AtRisk)] {
            assert_eq!(BurnoutSingleItem.score(&[answer]), Some(answer));
            assert_eq!(BurnoutSingleItem.band(answer), expected);
        }
    }

    #[test]
    fn wrong_answers_have_no_score() {
        assert_eq!(Who5.score(&[1, 2, 3, 4]), None);
        assert_eq!(Who5.score(&[1, 2, 3, 4, 6]), None);
        assert_eq!(Who5.score(&[1, 2, 3, 4, -1]), None);
        assert_eq!(Pss4.score(&[5, 0, 0, 0]), None);
        assert_eq!(BurnoutSingleItem.score(&[0]), None);
        assert_eq!(BurnoutSingleItem.score(&[]), None);
    }

    /// The bands of each instrument cover its whole score range, once.
    #[test]
    fn bands_cover_each_scale_without_overlap() {
        for &instrument in Instrument::ALL {
            let scale = instrument.scale();
            for score in scale.score_min..=scale.score_max {
                let matching = BANDS
                    .iter()
                    .filter(|band| {
                        band.instrument == instrument && (band.from..=band.to).contains(&score)
                    })
                    .count();
                assert_eq!(matching, 1, "{instrument:?} {score}");
            }
        }
    }

    /// Every instrument has its texts in both languages, an item text per item and an answer
    /// label per value.
    #[test]
    fn the_texts_match_the_scales() {
        for &instrument in Instrument::ALL {
            let scale = instrument.scale();
            assert!(!instrument.source().is_empty(), "{instrument:?}");
            for locale in Locale::all() {
                let text = instrument.text(locale).expect("texts");
                assert_eq!(text.items.len(), scale.items, "{instrument:?}");
                assert_eq!(
                    text.answers.len(),
                    (scale.answer_max - scale.answer_min + 1) as usize,
                    "{instrument:?}"
                );
            }
        }
    }
}
