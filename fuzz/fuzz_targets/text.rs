//! Any text a client writes, through the checks every domain shares: accepted as trimmed NFC
//! within bounds, or BAD_USER_INPUT naming the field; never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use relais::error::AppError;
use relais::validate;

fn named(error: &AppError, field: &str) -> bool {
    matches!(error, AppError::BadInput { field: named, .. } if *named == field)
}

fuzz_target!(|value: &str| {
    match validate::text("body", value, 1, 500) {
        Ok(text) => {
            assert_eq!(text.trim(), text);
            assert!((1..=500).contains(&text.chars().count()));
        }
        Err(error) => assert!(named(&error, "body")),
    }
    if let Err(error) = validate::name("displayName", value, 1, 80) {
        assert!(named(&error, "displayName"));
    }
    if let Err(error) = validate::language("language", value) {
        assert!(named(&error, "language"));
    }
    if let Err(error) = validate::timezone("timezone", value) {
        assert!(named(&error, "timezone"));
    }
    let _ = validate::control_characters(value);
});
