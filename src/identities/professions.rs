//! What a provider says about a person's profession and workplace, read from its claims.

use serde_json::{Map, Value};

use crate::accounts::model::Profession;
use crate::config::ProfessionSource;

/// RPPS profession codes (nomenclature TRE_G15-ProfessionSante of the Agence du Numérique en
/// Santé, the `codeProfession` of Pro Santé Connect's userinfo) and the professions they are
/// here. Codes not listed are OTHER: still a verified health professional.
pub const RPPS_PROFESSIONS: &[(&str, Profession)] = &[
    ("10", Profession::Physician),
    ("21", Profession::Pharmacist),
    ("40", Profession::Dentist),
    ("50", Profession::Midwife),
    ("60", Profession::Nurse),
    ("69", Profession::Nurse),
    ("70", Profession::Physiotherapist),
    ("93", Profession::Psychologist),
    ("94", Profession::OccupationalTherapist),
];

/// The profession the claims give, if `source` reads one and they carry it.
pub fn profession_in(source: &ProfessionSource, claims: &Map<String, Value>) -> Option<Profession> {
    match source {
        ProfessionSource::None => None,
        ProfessionSource::Claim(name) => claims
            .get(name)
            .and_then(Value::as_str)
            .and_then(|value| Profession::parse(value.trim())),
        ProfessionSource::ProSanteConnect => {
            let code = claims
                .get("SubjectRefPro")?
                .get("exercices")?
                .as_array()?
                .first()?
                .get("codeProfession")?
                .as_str()?;
            Some(
                RPPS_PROFESSIONS
                    .iter()
                    .find(|(known, _)| *known == code.trim())
                    .map_or(Profession::Other, |(_, profession)| *profession),
            )
        }
    }
}

/// A text claim, trimmed, when present and not blank.
pub fn text_claim(claims: &Map<String, Value>, name: &str) -> Option<String> {
    claims
        .get(name)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|value| !value.is_empty())
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn claims(value: Value) -> Map<String, Value> {
        value.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn pro_sante_connect_gives_the_first_practices_profession() {
        let nurse = claims(json!({ "SubjectRefPro": { "exercices": [
            { "codeProfession": "60" }, { "codeProfession": "10" } ] } }));
        assert_eq!(
            profession_in(&ProfessionSource::ProSanteConnect, &nurse),
            Some(Profession::Nurse)
        );
        let unlisted =
            claims(json!({ "SubjectRefPro": { "exercices": [{ "codeProfession": "26" }] } }));
        assert_eq!(
            profession_in(&ProfessionSource::ProSanteConnect, &unlisted),
            Some(Profession::Other)
        );
        assert_eq!(
            profession_in(&ProfessionSource::ProSanteConnect, &claims(json!({}))),
            None
        );
    }

    #[test]
    fn a_claim_names_a_profession_or_nothing() {
        let source = ProfessionSource::Claim("profession".into());
        assert_eq!(
            profession_in(&source, &claims(json!({ "profession": "MIDWIFE" }))),
            Some(Profession::Midwife)
        );
        assert_eq!(
            profession_in(&source, &claims(json!({ "profession": "astronaut" }))),
            None
        );
    }
}
