//! Gives every error a code: errors async-graphql raises itself (syntax, validation, depth and
//! complexity limits) carry none, yet clients switch on `extensions.code` for all of them.

use std::sync::Arc;

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextRequest, NextSubscribe,
};
use async_graphql::futures_util::stream::{BoxStream, StreamExt};
use async_graphql::{ErrorExtensionValues, Response};

use crate::error::PERSISTED_QUERY_NOT_FOUND;

pub struct ErrorCodes;

impl ExtensionFactory for ErrorCodes {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(ErrorCodes)
    }
}

/// Errors without a code come from the request itself, so they are the client's to fix; an
/// unknown persisted query gets the code Apollo clients expect.
fn fill_missing_codes(mut response: Response) -> Response {
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

#[async_graphql::async_trait::async_trait]
impl Extension for ErrorCodes {
    async fn request(&self, ctx: &ExtensionContext<'_>, next: NextRequest<'_>) -> Response {
        fill_missing_codes(next.run(ctx).await)
    }

    fn subscribe<'s>(
        &self,
        ctx: &ExtensionContext<'_>,
        stream: BoxStream<'s, Response>,
        next: NextSubscribe<'_>,
    ) -> BoxStream<'s, Response> {
        next.run(ctx, stream).map(fill_missing_codes).boxed()
    }
}
