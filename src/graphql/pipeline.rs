//! The request's own steps around async-graphql's: every error given a code, limits and an
//! unconfirmed address's restrictions checked on the parsed document, too many errors capped,
//! the complexity held to its maximum, the operation's name recorded. One extension holds them
//! all because async-graphql runs every field of every answer through each extension's
//! `resolve`; what each step does lives in its own module.

use std::sync::Arc;

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextParseQuery, NextRequest, NextSubscribe,
    NextValidation,
};
use async_graphql::futures_util::stream::{BoxStream, StreamExt};
use async_graphql::parser::types::ExecutableDocument;
use async_graphql::{Response, ServerError, ServerResult, ValidationResult, Variables};

use super::{MAX_COMPLEXITY, ReadOnly, confirmed_address, error_codes, limits, operation};
use crate::auth::Auth;

pub struct RequestPipeline;

impl ExtensionFactory for RequestPipeline {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(RequestPipeline)
    }
}

#[async_graphql::async_trait::async_trait]
impl Extension for RequestPipeline {
    async fn request(&self, ctx: &ExtensionContext<'_>, next: NextRequest<'_>) -> Response {
        error_codes::fill_missing_codes(limits::cap_errors(next.run(ctx).await))
    }

    fn subscribe<'s>(
        &self,
        ctx: &ExtensionContext<'_>,
        stream: BoxStream<'s, Response>,
        next: NextSubscribe<'_>,
    ) -> BoxStream<'s, Response> {
        next.run(ctx, stream)
            .map(error_codes::fill_missing_codes)
            .boxed()
    }

    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let document = next.run(ctx, query, variables).await?;
        operation::record(ctx, &document);
        limits::check_document(&document, variables)?;
        if ctx.data_opt::<ReadOnly>().is_some() {
            limits::check_read_only(&document)?;
        }
        confirmed_address::check(&document, ctx.data_opt::<Auth>())?;
        Ok(document)
    }

    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        let validated = next.run(ctx).await?;
        if validated.complexity > MAX_COMPLEXITY {
            return Err(vec![
                limits::RequestLimit::Complexity.refusal(validated.complexity),
            ]);
        }
        Ok(validated)
    }
}
