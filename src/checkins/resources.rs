//! Where to find help: support services, one file per language (`fr.json`, `en.json`), from
//! `seeds/support_resources/` or a folder the deployer names (`RELAIS_SUPPORT_RESOURCES`), read
//! once at start-up and checked there. A deployer's folder has a file for every language the app
//! speaks; the built-in services of a language without a built-in file are French ones (they are
//! the services of France, whatever the language).

use std::collections::HashMap;
use std::path::Path;

use serde::Deserialize;

use super::instruments::WellbeingBand;
use crate::i18n::Locale;

/// The built-in file of a language.
fn default_file(locale: Locale) -> (&'static str, &'static str) {
    match locale.as_str() {
        "en" => (
            include_str!("../../seeds/support_resources/en.json"),
            "seeds/support_resources/en.json",
        ),
        _ => (
            include_str!("../../seeds/support_resources/fr.json"),
            "seeds/support_resources/fr.json",
        ),
    }
}

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

/// One language's file: a notice for the deployer, and the services.
#[derive(Debug, Deserialize)]
struct ResourceFile {
    resources: Vec<SupportResource>,
}

/// The support services of each language.
#[derive(Debug)]
pub struct SupportResources {
    by_language: HashMap<&'static str, Vec<SupportResource>>,
}

impl SupportResources {
    /// The deployer's folder, or the defaults; refused unless every language offers at least
    /// one service for LOW and one for AT_RISK, and names only known bands.
    pub fn load(folder: Option<&Path>) -> Result<Self, String> {
        let read = |locale: Locale| -> Result<Vec<SupportResource>, String> {
            let name = format!("{}.json", locale.as_str());
            let (text, origin) = match folder {
                Some(folder) => {
                    let path = folder.join(&name);
                    let text = std::fs::read_to_string(&path)
                        .map_err(|cause| format!("{}: {cause}", path.display()))?;
                    (text, path.display().to_string())
                }
                None => {
                    let (text, origin) = default_file(locale);
                    (text.to_owned(), origin.to_owned())
                }
            };
            let file: ResourceFile =
                serde_json::from_str(&text).map_err(|cause| format!("{origin}: {cause}"))?;
            for resource in &file.resources {
                if let Some(unknown) = resource
                    .bands
                    .iter()
                    .find(|band| WellbeingBand::parse(band).is_none())
                {
                    return Err(format!("{origin}: unknown band {unknown}"));
                }
            }
            for band in [WellbeingBand::Low, WellbeingBand::AtRisk] {
                let offered = file
                    .resources
                    .iter()
                    .any(|resource| resource.bands.iter().any(|named| named == band.as_str()));
                if !offered {
                    return Err(format!("{origin}: no resource for {}", band.as_str()));
                }
            }
            Ok(file.resources)
        };
        let by_language = Locale::all()
            .map(|locale| Ok((locale.as_str(), read(locale)?)))
            .collect::<Result<_, String>>()?;
        Ok(Self { by_language })
    }

    fn all(&self, locale: Locale) -> &[SupportResource] {
        self.by_language
            .get(locale.as_str())
            .map_or(&[], Vec::as_slice)
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
        let at_risk = resources.for_band(Locale::default(), WellbeingBand::AtRisk);
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
                .for_band(Locale::parse("en").expect("English"), WellbeingBand::Low)
                .is_empty()
        );
    }

    #[test]
    fn a_file_without_help_for_at_risk_is_refused() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let write = |name: &str, text: &str| {
            std::fs::write(dir.path().join(name), text).expect("written");
        };
        for locale in Locale::all() {
            write(
                &format!("{}.json", locale.as_str()),
                r#"{"resources": [{"name": "A", "description": "B", "bands": ["LOW", "AT_RISK"]}]}"#,
            );
        }
        write(
            "fr.json",
            r#"{"resources": [{"name": "A", "description": "B", "bands": ["LOW"]}]}"#,
        );
        let refused = SupportResources::load(Some(dir.path())).expect_err("refused");
        assert!(
            refused.ends_with("fr.json: no resource for AT_RISK"),
            "{refused}"
        );
    }
}
