//! Gives every error a code: errors async-graphql raises itself (syntax, validation, depth and
//! complexity limits) carry none, yet clients switch on `extensions.code` for all of them.

use async_graphql::{ErrorExtensionValues, Response};

use crate::error::PERSISTED_QUERY_NOT_FOUND;

/// Errors without a code come from the request itself, so they are the client's to fix; an
/// unknown persisted query gets the code Apollo clients expect.
pub(super) fn fill_missing_codes(mut response: Response) -> Response {
    for error in &mut response.errors {
        let unknown_hash = error.message == "PersistedQueryNotFound";
        let extensions = error
            .extensions
            .get_or_insert_with(ErrorExtensionValues::default);
        if extensions.get("code").is_none() {
            let code = if unknown_hash {
                PERSISTED_QUERY_NOT_FOUND
            } else {
                "BAD_USER_INPUT"
            };
            extensions.set("code", code);
        }
    }
    response
}
