//! Checks on user input shared by every domain; each failure names the input field at fault.

use unicode_normalization::UnicodeNormalization;

use crate::error::{AppError, AppResult};
use crate::i18n::Message;

/// Whether `text` holds a control character other than newline and tab. Such characters are
/// refused in every string a request carries (see `graphql::limits`): PostgreSQL rejects NUL and
/// SQLite would store it, and none belongs in what people write.
pub fn control_characters(text: &str) -> bool {
    text.chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
}

/// Characters that show nothing or turn the text around them, used to make one name look like
/// another: zero-width spaces and joiners, direction marks, embeddings, overrides and isolates.
fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{180E}'
        | '\u{200B}'..='\u{200F}'
        | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{2064}'
        | '\u{2066}'..='\u{2069}'
        | '\u{FEFF}')
}

/// A pictograph a zero-width joiner may bind into one emoji (👩‍⚕️).
fn is_pictograph(c: char) -> bool {
    matches!(c, '\u{2600}'..='\u{27BF}' | '\u{1F000}'..='\u{1FAFF}' | '\u{FE0F}')
}

/// A name people are shown (a display name, a group name): [`text`], without invisible or
/// direction-changing characters. A zero-width joiner is kept only inside an emoji sequence.
pub fn name(field: &'static str, value: &str, min: usize, max: usize) -> AppResult<String> {
    let name = text(field, value, min, max)?;
    let chars: Vec<char> = name.chars().collect();
    let spoofing = chars.iter().enumerate().any(|(at, &c)| {
        let emoji_joiner = c == '\u{200D}'
            && at > 0
            && chars.get(at - 1).copied().is_some_and(is_pictograph)
            && chars.get(at + 1).copied().is_some_and(is_pictograph);
        is_invisible(c) && !emoji_joiner
    });
    if spoofing {
        return Err(AppError::bad_input(field, Message::InvisibleCharacters));
    }
    Ok(name)
}

/// `value` in Unicode NFC, so that a precomposed and a decomposed "é" are the same text.
pub fn normalized(value: &str) -> String {
    value.nfc().collect()
}

/// What search compares: `value` without case or accents ("Premières" and "premieres" are the
/// same key), in whatever Unicode form it came.
pub fn search_key(value: &str) -> String {
    let bare: String = value
        .nfd()
        .filter(|character| !unicode_normalization::char::is_combining_mark(*character))
        .collect();
    bare.to_lowercase()
}

/// `value` trimmed and NFC-normalised, between `min` and `max` characters.
pub fn text(field: &'static str, value: &str, min: usize, max: usize) -> AppResult<String> {
    let normal = normalized(value);
    let trimmed = normal.trim();
    let length = trimmed.chars().count();
    if length < min || length > max {
        let message = if min == 0 {
            Message::TooLong { max }
        } else {
            Message::LengthBetween { min, max }
        };
        return Err(AppError::bad_input(field, message));
    }
    Ok(trimmed.to_owned())
}

/// An optional text: trimmed, blank meaning absent, at most `max` characters.
pub fn optional_text(
    field: &'static str,
    value: Option<&str>,
    max: usize,
) -> AppResult<Option<String>> {
    match value.map(str::trim) {
        None | Some("") => Ok(None),
        Some(trimmed) => text(field, trimmed, 1, max).map(Some),
    }
}

/// An https URL a person gave (a workshop's online link), in its normalised form. Whitespace and
/// control characters are refused anywhere in it, not dropped as URL parsers drop tabs and line
/// breaks: what is stored is exactly what was checked, and nothing typed can add a line to a
/// calendar file or a header.
pub fn https_url(field: &'static str, value: &str, max: usize) -> AppResult<String> {
    if value
        .chars()
        .any(|c| c.is_whitespace() || c.is_control() || is_invisible(c))
    {
        return Err(AppError::bad_input(field, Message::HttpsUrl));
    }
    let url = url::Url::parse(value)
        .ok()
        .filter(|url| {
            url.scheme() == "https" && url.host_str().is_some_and(|host| !host.is_empty())
        })
        .ok_or_else(|| AppError::bad_input(field, Message::HttpsUrl))?;
    let normal = url.to_string();
    if normal.chars().count() > max {
        return Err(AppError::bad_input(field, Message::TooLong { max }));
    }
    Ok(normal)
}

/// A BCP 47 primary language subtag (`fr`, `en`, `wo`…), lower-cased.
pub fn language(field: &'static str, value: &str) -> AppResult<String> {
    let tag = value.trim().to_ascii_lowercase();
    if (2..=3).contains(&tag.len()) && tag.bytes().all(|byte| byte.is_ascii_lowercase()) {
        Ok(tag)
    } else {
        Err(AppError::bad_input(
            field,
            Message::InvalidLanguage {
                value: value.to_owned(),
            },
        ))
    }
}

/// A list of language tags, deduplicated in the given order, at most `max` of them.
pub fn languages(field: &'static str, values: &[String], max: usize) -> AppResult<Vec<String>> {
    if values.len() > max {
        return Err(AppError::bad_input(field, Message::TooMany { max }));
    }
    let mut tags: Vec<String> = Vec::with_capacity(values.len());
    for value in values {
        let tag = language(field, value)?;
        if !tags.contains(&tag) {
            tags.push(tag);
        }
    }
    Ok(tags)
}

/// An IANA time zone name known to chrono-tz.
pub fn timezone(field: &'static str, value: &str) -> AppResult<String> {
    let name = value.trim();
    name.parse::<chrono_tz::Tz>()
        .map(|tz| tz.name().to_owned())
        .map_err(|_| {
            AppError::bad_input(
                field,
                Message::InvalidTimezone {
                    value: value.to_owned(),
                },
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn language_tags_are_primary_subtags() {
        assert_eq!(language("l", " FR ").ok(), Some("fr".to_owned()));
        assert!(language("l", "fr-CA").is_err());
        assert!(language("l", "f").is_err());
        assert!(language("l", "fren").is_err());
    }

    #[test]
    fn names_refuse_invisible_characters_but_keep_emoji_sequences() {
        assert!(name("n", "Ana\u{202E}moc.evil", 1, 80).is_err());
        assert!(name("n", "An\u{200B}a", 1, 80).is_err());
        assert!(name("n", "\u{FEFF}Ana", 1, 80).is_err());
        assert!(name("n", "Ana \u{1F469}\u{200D}\u{2695}\u{FE0F}", 1, 80).is_ok());
        assert!(name("n", "Ana\u{200D}", 1, 80).is_err());
    }

    #[test]
    fn texts_are_stored_in_nfc() {
        assert_eq!(
            text("t", "e\u{301}quipe", 1, 10).ok(),
            Some("\u{e9}quipe".to_owned())
        );
        assert!(control_characters("a\u{0}b"));
        assert!(control_characters("a\rb"));
        assert!(!control_characters("a\nb\tc"));
    }

    #[test]
    fn text_counts_characters_not_bytes() {
        assert!(text("t", "éé", 2, 2).is_ok());
        assert!(text("t", "   ", 1, 10).is_err());
    }
}
