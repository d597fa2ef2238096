//! Where to find help: support services per language, from `seeds/support_resources.json` or a
//! file the deployer names (`RELAIS_SUPPORT_RESOURCES`), read once at start-up and checked there.

use std::path::Path;

use serde::Deserialize;

use super::instruments::WellbeingBand;
use crate::i18n::Locale;

const DEFAULT_RESOURCES: &str = include_str!("../../seeds/support_resources.json");

/// A service to call or visit.
#[derive(Debug, Clone, Deserialize)]
pub struct SupportResource {
    pub name: String,
    pub description: String,
    pub url: Option<String>,
    pub phone: Option<String>,
    /// The bands it is offered for.
    bands: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct ResourceFile {
    fr: Vec<SupportResource>,
    en: Vec<SupportResource>,
}

/// The support services of each language.
#[derive(Debug)]
pub struct SupportResources {
    fr: Vec<SupportResource>,
    en: Vec<SupportResource>,
}

impl SupportResources {
    /// The deployer's file, or the defaults; refused unless every language offers at least one
    /// service for LOW and one for AT_RISK, and names only known bands.
    pub fn load(path: Option<&Path>) -> Result<Self, String> {
        let (text, origin) = match path {
            Some(path) => (
                std::fs::read_to_string(path)
                    .map_err(|cause| format!("{}: {cause}", path.display()))?,
                path.display().to_string(),
            ),
            None => (
                DEFAULT_RESOURCES.to_owned(),
                "seeds/support_resources.json".into(),
            ),
        };
        let file: ResourceFile =
            serde_json::from_str(&text).map_err(|cause| format!("{origin}: {cause}"))?;
        let resources = Self {
            fr: file.fr,
            en: file.en,
        };
        for locale in Locale::ALL {
            let list = resources.all(locale);
            for resource in list {
                if let Some(unknown) = resource
                    .bands
                    .iter()
                    .find(|band| WellbeingBand::parse(band).is_none())
                {
                    return Err(format!("{origin}: unknown band {unknown}"));
                }
            }
            for band in [WellbeingBand::Low, WellbeingBand::AtRisk] {
                if resources.for_band(locale, band).is_empty() {
                    return Err(format!(
                        "{origin}: no {} resource for {}",
                        locale.as_str(),
                        band.as_str()
                    ));
                }
            }
        }
        Ok(resources)
    }

    fn all(&self, locale: Locale) -> &[SupportResource] {
        match locale {
            Locale::Fr => &self.fr,
            Locale::En => &self.en,
        }
    }

    /// The services offered for `band` in `locale`.
    pub fn for_band(&self, locale: Locale, band: WellbeingBand) -> Vec<SupportResource> {
        self.all(locale)
            .iter()
            .filter(|resource| resource.bands.iter().any(|named| named == band.as_str()))
            .cloned()
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_offer_help_for_low_and_at_risk_in_every_language() {
        let resources = SupportResources::load(None).expect("the defaults load");
        let at_risk = resources.for_band(Locale::Fr, WellbeingBand::AtRisk);
        let names: Vec<&str> = at_risk.iter().map(|found| found.name.as_str()).collect();
        assert!(
            names.iter().any(|name| name.starts_with("3114")),
            "{names:?}"
        );
        assert!(
            names.iter().any(|name| name.starts_with("SAMU")),
            "{names:?}"
        );
        assert!(
            !resources
                .for_band(Locale::En, WellbeingBand::Low)
                .is_empty()
        );
    }

    #[test]
    fn a_file_without_help_for_at_risk_is_refused() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let path = dir.path().join("resources.json");
        std::fs::write(
            &path,
            r#"{"fr": [{"name": "A", "description": "B", "bands": ["LOW"]}],
                "en": [{"name": "A", "description": "B", "bands": ["LOW", "AT_RISK"]}]}"#,
        )
        .expect("written");
        let refused = SupportResources::load(Some(&path)).expect_err("refused");
        assert!(refused.contains("no fr resource for AT_RISK"), "{refused}");
    }
}
