//! Gives every error a code: errors async-graphql raises itself (syntax, validation, depth and
//! complexity limits) carry none, yet clients switch on `extensions.code` for all of them.

use async_graphql::{ErrorExtensionValues, Response};

/// Errors without a code come from the request itself, so they are the client's to fix.
pub(super) fn fill_missing_codes(mut response: Response) -> Response {
    for error in &mut response.errors {
        let extensions = error
            .extensions
            .get_or_insert_with(ErrorExtensionValues::default);
        if extensions.get("code").is_none() {
            extensions.set("code", "BAD_USER_INPUT");
        }
    }
    response
}
