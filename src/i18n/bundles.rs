//! The Fluent bundles, one per language folder, built once from the files `build.rs` embeds.

use std::sync::LazyLock;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentError, FluentResource};
use unic_langid::LanguageIdentifier;

use super::{DEFAULT_LANGUAGE, Locale};

/// Each language's files as `(tag, [(file name, text)])`, from `locales/<tag>/*.ftl`.
static FILES: &[(&str, &[(&str, &str)])] = include!(concat!(env!("OUT_DIR"), "/locales.rs"));

struct Bundles {
    by_language: Vec<(&'static str, FluentBundle<FluentResource>)>,
    /// What did not load: a file that does not parse, an id defined twice, a bad folder name.
    problems: Vec<String>,
}

static BUNDLES: LazyLock<Bundles> = LazyLock::new(load);

fn load() -> Bundles {
    let mut problems = Vec::new();
    let by_language = FILES
        .iter()
        .map(|(tag, files)| {
            let language: LanguageIdentifier = tag.parse().unwrap_or_else(|_| {
                problems.push(format!("locales/{tag}: not a language tag"));
                LanguageIdentifier::default()
            });
            let mut bundle = FluentBundle::new_concurrent(vec![language]);
            // Texts go to apps and push services, not to a bidirectional renderer: no isolation
            // marks around arguments.
            bundle.set_use_isolating(false);
            for (name, text) in *files {
                let resource = FluentResource::try_new((*text).to_owned()).unwrap_or_else(
                    |(partial, errors)| {
                        problems.push(format!("locales/{tag}/{name}: {errors:?}"));
                        partial
                    },
                );
                if let Err(errors) = bundle.add_resource(resource) {
                    problems.push(format!("locales/{tag}/{name}: {errors:?}"));
                }
            }
            (*tag, bundle)
        })
        .collect();
    Bundles {
        by_language,
        problems,
    }
}

pub(super) fn languages() -> impl Iterator<Item = &'static str> {
    FILES.iter().map(|(tag, _)| *tag)
}

pub(super) fn problems() -> Option<String> {
    let problems = &BUNDLES.problems;
    (!problems.is_empty()).then(|| problems.join("; "))
}

/// `id` (or its `attribute`) in `language` alone, with what went wrong formatting it; `None`
/// when the language does not have it.
pub(super) fn format_in(
    language: &str,
    id: &str,
    attribute: Option<&str>,
    args: &FluentArgs,
) -> Option<(String, Vec<FluentError>)> {
    let (_, bundle) = BUNDLES
        .by_language
        .iter()
        .find(|(tag, _)| *tag == language)?;
    let message = bundle.get_message(id)?;
    let pattern = match attribute {
        Some(attribute) => message.get_attribute(attribute)?.value(),
        None => message.value()?,
    };
    let mut errors = Vec::new();
    let text = bundle.format_pattern(pattern, Some(args), &mut errors);
    Some((text.into_owned(), errors))
}

/// `id` in `locale`, else in the default language; the id itself when neither has it (a test
/// makes sure every language has every text).
pub(super) fn format(
    locale: Locale,
    id: &str,
    attribute: Option<&str>,
    args: &FluentArgs,
) -> String {
    for language in [locale.as_str(), DEFAULT_LANGUAGE] {
        if let Some((text, errors)) = format_in(language, id, attribute, args) {
            if !errors.is_empty() {
                tracing::warn!(id, language, ?errors, "text rendered with errors");
            }
            return text;
        }
    }
    tracing::error!(id, "text missing from every language");
    id.to_owned()
}
