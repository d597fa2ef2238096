//! Every text a user reads, in the languages under `locales/` (French, the default, and English),
//! written in Project Fluent files: one folder per language, one `.ftl` file per domain.
//!
//! Code never names a text by a string: it builds a typed value ([`Message`],
//! [`NotificationText`], [`DocumentText`], or a domain's own, such as a mentor's match reasons),
//! and that value gives its Fluent id and arguments. The locale of the request being served is
//! kept in a task-local, so that errors raised deep in a service are rendered in the viewer's
//! language when they reach the GraphQL layer.

mod bundles;
mod text;

use std::future::Future;

pub use fluent_bundle::{FluentArgs, FluentValue};
pub use text::{DocumentText, MailText, Message, NotificationText, neutral_push};

/// The language used when a person's is unknown, and for any text another language lacks.
pub const DEFAULT_LANGUAGE: &str = "fr";

/// A language the app speaks: one folder under `locales/`. French by default: most users are
/// French-speaking health workers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Locale(&'static str);

impl Default for Locale {
    fn default() -> Self {
        Self(DEFAULT_LANGUAGE)
    }
}

impl Locale {
    /// Every language with a folder under `locales/`.
    pub fn all() -> impl Iterator<Item = Locale> {
        bundles::languages().map(Locale)
    }

    pub fn as_str(self) -> &'static str {
        self.0
    }

    pub fn parse(tag: &str) -> Option<Self> {
        Self::all().find(|locale| locale.as_str().eq_ignore_ascii_case(tag))
    }

    /// The preferred supported language of an `Accept-Language` header, honouring q-values.
    pub fn from_accept_language(header: &str) -> Option<Self> {
        header
            .split(',')
            .enumerate()
            .filter_map(|(position, item)| {
                let mut parts = item.split(';');
                let tag = parts.next()?.trim();
                let primary = tag.split('-').next()?;
                let quality = parts
                    .filter_map(|param| param.trim().strip_prefix("q="))
                    .find_map(|q| q.trim().parse::<f32>().ok())
                    .unwrap_or(1.0);
                let locale = Self::parse(primary)?;
                (quality > 0.0).then_some((quality, position, locale))
            })
            // Highest quality first; among equals, the order the client gave.
            .min_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)))
            .map(|(_, _, locale)| locale)
    }

    /// The language tags the app speaks, as a list a person reads (`en, fr`).
    pub fn listed() -> String {
        Self::all()
            .map(Locale::as_str)
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// A text the app shows: its Fluent id, its attribute if it has parts (a notification's title
/// and body), and the arguments its placeables and selectors read.
pub trait Localized {
    fn fluent_id(&self) -> String;
    /// The arguments, some of which may be texts themselves (a label), hence `locale`.
    fn fluent_args(&self, locale: Locale) -> FluentArgs<'_>;

    /// The text in `locale` (the default language's where `locale` lacks it).
    fn render(&self, locale: Locale) -> String {
        bundles::format(locale, &self.fluent_id(), None, &self.fluent_args(locale))
    }

    /// One attribute of the text (`title`, `body`) in `locale`.
    fn render_part(&self, locale: Locale, attribute: &str) -> String {
        bundles::format(
            locale,
            &self.fluent_id(),
            Some(attribute),
            &self.fluent_args(locale),
        )
    }
}

/// The label of an API enum value as people say it (`NURSE` → "infirmier·e"): the Fluent
/// message `<of>-label`, which selects on `$<of>` by the value's API name.
pub struct Label {
    pub of: &'static str,
    pub value: &'static str,
}

impl Localized for Label {
    fn fluent_id(&self) -> String {
        format!("{}-label", self.of)
    }

    fn fluent_args(&self, _: Locale) -> FluentArgs<'_> {
        let mut args = FluentArgs::new();
        args.set(self.of, self.value);
        args
    }
}

/// Checks every translation file once, at start-up: each parses, and no id is defined twice.
pub fn check() -> Result<(), String> {
    bundles::problems().map_or(Ok(()), Err)
}

/// Items of a list joined as `locale` writes them in a sentence.
pub fn join(locale: Locale, items: &[String]) -> String {
    items.join(&bundles::format(
        locale,
        "list-separator",
        None,
        &FluentArgs::new(),
    ))
}

/// A language's name for a language tag (`de-CH` → "allemand"), or the tag itself for one the
/// translations do not name.
pub fn language_name(tag: &str, locale: Locale) -> String {
    let code = tag.split('-').next().unwrap_or(tag).to_ascii_lowercase();
    let mut args = FluentArgs::new();
    args.set("code", code);
    args.set("tag", tag);
    bundles::format(locale, "language-name", None, &args)
}

tokio::task_local! {
    static REQUEST_LOCALE: Locale;
}

/// Runs `future` with `locale` as the language of every message it renders.
pub async fn scope<F: Future>(locale: Locale, future: F) -> F::Output {
    REQUEST_LOCALE.scope(locale, future).await
}

/// Runs `job` (synchronous, on another thread) with `locale` as the language of every message
/// it renders: database work keeps its request's language.
pub fn within<T>(locale: Locale, job: impl FnOnce() -> T) -> T {
    REQUEST_LOCALE.sync_scope(locale, job)
}

/// The locale of the request being served (the default language outside any request).
pub fn current() -> Locale {
    REQUEST_LOCALE
        .try_with(|locale| *locale)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn locale(tag: &str) -> Locale {
        Locale::parse(tag).expect("a language of locales/")
    }

    #[test]
    fn accept_language_prefers_highest_quality_supported_tag() {
        assert_eq!(
            Locale::from_accept_language("en-GB,en;q=0.9"),
            Some(locale("en"))
        );
        assert_eq!(
            Locale::from_accept_language("tlh, en;q=0.5, fr;q=0.8"),
            Some(locale("fr"))
        );
        assert_eq!(Locale::from_accept_language("tlh-KL"), None);
        assert_eq!(
            Locale::from_accept_language("fr;q=0, en;q=0.1"),
            Some(locale("en"))
        );
    }

    #[test]
    fn the_default_language_has_a_folder() {
        assert_eq!(Locale::default().as_str(), DEFAULT_LANGUAGE);
        assert!(Locale::all().any(|known| known == Locale::default()));
        assert_eq!(check(), Ok(()));
    }

    #[test]
    fn languages_are_named_in_the_readers_language() {
        assert_eq!(language_name("de-CH", locale("fr")), "allemand");
        assert_eq!(language_name("DE", locale("en")), "German");
        assert_eq!(language_name("tlh", locale("fr")), "tlh");
        assert_eq!(join(locale("fr"), &["a".into(), "b".into()]), "a ; b");
        assert_eq!(join(locale("en"), &["a".into(), "b".into()]), "a; b");
    }
}
