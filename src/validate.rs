//! Checks on user input shared by every domain; each failure names the input field at fault.

use crate::error::{AppError, AppResult};
use crate::i18n::Message;

/// `value` trimmed, between `min` and `max` characters.
pub fn text(field: &'static str, value: &str, min: usize, max: usize) -> AppResult<String> {
    let trimmed = value.trim();
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
    fn text_counts_characters_not_bytes() {
        assert!(text("t", "éé", 2, 2).is_ok());
        assert!(text("t", "   ", 1, 10).is_err());
    }
}
