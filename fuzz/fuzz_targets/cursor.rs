//! Any `first` and `after` a client sends: a page, or BAD_USER_INPUT on the field; never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use relais::error::AppError;
use relais::ids::{ReportId, UserId};
use relais::pagination::PageRequest;
use relais::reports::QueuePosition;

fuzz_target!(|input: (Option<i32>, &str)| {
    let (first, after) = input;
    match PageRequest::new(first, Some(after)) {
        Ok(page) => {
            for outcome in [
                page.after::<UserId>().map(drop),
                page.after::<QueuePosition<ReportId>>().map(drop),
            ] {
                if let Err(error) = outcome {
                    assert!(matches!(error, AppError::BadInput { field: "after", .. }));
                }
            }
        }
        Err(error) => assert!(matches!(
            error,
            AppError::BadInput {
                field: "after" | "first",
                ..
            }
        )),
    }
});
