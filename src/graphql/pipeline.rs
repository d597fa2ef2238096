//! [`Pipeline`], the executor the HTTP handler and the websockets run requests through: the
//! request's own steps around async-graphql's. The document comes parsed from a cache
//! (persisted queries and repeated texts alike); limits and an unconfirmed address's restrictions
//! are checked on it; the complexity is held to its maximum, with the cost in the refusal; every
//! error gets a code and an answer lists a bounded number; the operation's name is recorded.
//!
//! A document without variables that was answered once without an error has passed every
//! validation rule, and would pass them again: its later runs go to a second schema that only
//! measures it (complexity, depth, fragment cycles), which spares a page of groups the two dozen
//! rules walked over it on every request.
//!
//! None of this is an async-graphql extension: with any extension in the schema, async-graphql
//! runs every field of every answer through the extensions' chain (a boxed future per
//! extension and two registry lookups per field), a fifth of a page of groups' time. What each
//! step does lives in its own module.

use std::any::{Any, TypeId};
use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextValidation};
use async_graphql::futures_util::stream::{self, BoxStream, StreamExt};
use async_graphql::parser::types::ExecutableDocument;
use async_graphql::{
    Data, Executor, Request, Response, ServerError, ServerResult, ValidationResult, Variables,
};
use sha2::{Digest, Sha256};

use super::operation::{self, OperationSlot};
use super::{ReadOnly, RelaisSchema, confirmed_address, error_codes, limits};
use crate::auth::Auth;
use crate::error::PERSISTED_QUERY_NOT_FOUND;

/// How many parsed documents each process remembers, least recently used going first: the apps'
/// few dozen operations stay parsed, and persisted queries are found by their hash. A document
/// comes from a body of at most 64 KiB, so the cache stays within a few tens of MiB at worst;
/// another instance that does not know a hash asks the client for the text, as the protocol
/// provides.
pub const DOCUMENTS_KEPT: usize = 512;

/// What async-graphql answers when a document's complexity is over the schema's limit.
const TOO_COMPLEX: &str = "Query is too complex.";

#[derive(Clone)]
pub struct Pipeline {
    /// Validates every rule: a document's first runs, and every run with variables.
    schema: RelaisSchema,
    /// The same schema in async-graphql's fast validation mode, for the documents that
    /// [`CachedDocument::validated`] vouches for.
    fast: RelaisSchema,
    documents: Arc<DocumentCache>,
}

impl Pipeline {
    /// `schema` and `fast` are the same schema, the second built with `ValidationMode::Fast`.
    pub fn new(schema: RelaisSchema, fast: RelaisSchema) -> Self {
        let kept = NonZeroUsize::new(DOCUMENTS_KEPT).unwrap_or(NonZeroUsize::MIN);
        Self {
            schema,
            fast,
            documents: Arc::new(DocumentCache(Mutex::new(lru::LruCache::new(kept)))),
        }
    }

    /// The schema that runs `prepared`: the fast one when its document, without variables, was
    /// answered before without an error (the rules it passed then depend on nothing else).
    fn schema_for(&self, prepared: &Prepared) -> &RelaisSchema {
        let refused_as = &prepared.refused_as;
        if refused_as.variables.is_empty() && refused_as.document.validated() {
            &self.fast
        } else {
            &self.schema
        }
    }

    /// The request with its document parsed and checked, or why it may not run.
    fn prepare(&self, mut request: Request, session: Option<&Data>) -> ServerResult<Prepared> {
        let document = self.documents.document_of(&mut request)?;
        if let Some(slot) = data_of::<OperationSlot>(&request, session) {
            operation::record(slot, &document.parsed, request.operation_name.as_deref());
        }
        limits::check_document(&document.parsed, &request.variables)?;
        if data_of::<ReadOnly>(&request, session).is_some() {
            limits::check_read_only(&document.parsed)?;
        }
        confirmed_address::check(&document.parsed, data_of::<Auth>(&request, session))?;
        let refused_as = Measurable {
            document: document.clone(),
            variables: request.variables.clone(),
            operation_name: request.operation_name.clone(),
        };
        request.set_parsed_query(document.parsed.clone());
        Ok(Prepared {
            request,
            refused_as,
        })
    }
}

impl Executor for Pipeline {
    async fn execute(&self, request: Request) -> Response {
        let response = match self.prepare(request, None) {
            Ok(prepared) => {
                let response = self.schema_for(&prepared).execute(prepared.request).await;
                if response.errors.is_empty() {
                    prepared.refused_as.answered_without_error();
                }
                prepared.refused_as.measured(response).await
            }
            Err(error) => Response::from_errors(vec![error]),
        };
        error_codes::fill_missing_codes(limits::cap_errors(response))
    }

    fn execute_stream(
        &self,
        request: Request,
        session_data: Option<Arc<Data>>,
    ) -> BoxStream<'static, Response> {
        let session = session_data.unwrap_or_default();
        let answers = match self.prepare(request, Some(&session)) {
            Ok(prepared) => self
                .schema_for(&prepared)
                .execute_stream_with_session_data(prepared.request, session)
                .then(move |response| prepared.refused_as.clone().measured(response))
                .boxed(),
            Err(error) => stream::once(async move { Response::from_errors(vec![error]) }).boxed(),
        };
        answers.map(error_codes::fill_missing_codes).boxed()
    }
}

/// A request ready to run, and what measures it if it is refused as too complex.
struct Prepared {
    request: Request,
    refused_as: Measurable,
}

/// A request's document and variables, kept (the document shared with the cache) to vouch for
/// the document after a clean answer, and for the rare answer that refuses it as too complex.
#[derive(Clone)]
struct Measurable {
    document: Arc<CachedDocument>,
    variables: Variables,
    operation_name: Option<String>,
}

impl Measurable {
    /// Vouches for the document when it ran without variables: it passed every rule.
    fn answered_without_error(&self) {
        if self.variables.is_empty() {
            self.document.validated.store(true, Ordering::Relaxed);
        }
    }

    /// `response`, or when async-graphql refused the request as too complex (saying neither its
    /// cost nor the maximum), the refusal that says both.
    async fn measured(self, response: Response) -> Response {
        let too_complex =
            matches!(response.errors.as_slice(), [error] if error.message == TOO_COMPLEX);
        if !too_complex {
            return response;
        }
        let mut request = Request::new("").variables(self.variables);
        request.operation_name = self.operation_name;
        request.set_parsed_query(self.document.parsed.clone());
        measuring_schema().execute(request).await
    }
}

/// The schema without its complexity limit and with [`ComplexityProbe`]: it validates a refused
/// request again and answers the refusal with its cost, running nothing. Built on first need.
fn measuring_schema() -> &'static RelaisSchema {
    static MEASURING: OnceLock<RelaisSchema> = OnceLock::new();
    MEASURING.get_or_init(|| super::builder().extension(ComplexityProbe).finish())
}

struct ComplexityProbe;

impl ExtensionFactory for ComplexityProbe {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(ComplexityProbe)
    }
}

#[async_graphql::async_trait::async_trait]
impl Extension for ComplexityProbe {
    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        let validated = next.run(ctx).await?;
        Err(vec![
            limits::RequestLimit::Complexity.refusal(validated.complexity),
        ])
    }
}

/// A parsed document, and whether it passed every validation rule.
struct CachedDocument {
    parsed: ExecutableDocument,
    /// Answered once without an error, without variables.
    validated: AtomicBool,
}

impl CachedDocument {
    fn validated(&self) -> bool {
        self.validated.load(Ordering::Relaxed)
    }
}

/// Parsed documents by the SHA-256 of their text, as Apollo's automatic persisted queries name
/// them.
struct DocumentCache(Mutex<lru::LruCache<String, Arc<CachedDocument>>>);

impl DocumentCache {
    /// The request's document: found by the hash its `persistedQuery` extension gives (the text
    /// is then optional), or by its text's, or parsed and remembered.
    fn document_of(&self, request: &mut Request) -> ServerResult<Arc<CachedDocument>> {
        let asked = match request.extensions.remove("persistedQuery") {
            Some(extension) => Some(persisted_hash(extension)?),
            None => None,
        };
        if let (true, Some(hash)) = (request.query.is_empty(), &asked) {
            return self.get(hash).ok_or_else(persisted_query_not_found);
        }
        let hash = format!("{:x}", Sha256::digest(request.query.as_bytes()));
        if asked.is_some_and(|asked| asked != hash) {
            return Err(ServerError::new("provided sha does not match query", None));
        }
        if let Some(document) = self.get(&hash) {
            return Ok(document);
        }
        let document = Arc::new(CachedDocument {
            parsed: async_graphql::parser::parse_query(&request.query)?,
            validated: AtomicBool::new(false),
        });
        self.lock().put(hash, document.clone());
        Ok(document)
    }

    fn get(&self, hash: &str) -> Option<Arc<CachedDocument>> {
        self.lock().get(hash).cloned()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, lru::LruCache<String, Arc<CachedDocument>>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// What Apollo clients read as "send the text".
fn persisted_query_not_found() -> ServerError {
    let mut error = ServerError::new("PersistedQueryNotFound", None);
    let mut extensions = async_graphql::ErrorExtensionValues::default();
    extensions.set("code", PERSISTED_QUERY_NOT_FOUND);
    error.extensions = Some(extensions);
    error
}

/// The hash of Apollo's `persistedQuery` extension (`{ "version": 1, "sha256Hash": … }`).
fn persisted_hash(extension: async_graphql::Value) -> ServerResult<String> {
    #[derive(serde::Deserialize)]
    struct PersistedQuery {
        version: i32,
        #[serde(rename = "sha256Hash")]
        sha256_hash: String,
    }
    let persisted: PersistedQuery = async_graphql::from_value(extension).map_err(|_| {
        ServerError::new("Invalid \"PersistedQuery\" extension configuration.", None)
    })?;
    if persisted.version != 1 {
        return Err(ServerError::new(
            format!(
                "Only the \"PersistedQuery\" extension of version \"1\" is supported, not \"{}\".",
                persisted.version
            ),
            None,
        ));
    }
    Ok(persisted.sha256_hash)
}

/// A value of the request's data, or else of the websocket connection's.
fn data_of<'a, T: Any + Send + Sync>(
    request: &'a Request,
    session: Option<&'a Data>,
) -> Option<&'a T> {
    let key = TypeId::of::<T>();
    request
        .data
        .get(&key)
        .or_else(|| session.and_then(|session| session.get(&key)))
        .and_then(|value| value.downcast_ref::<T>())
}

#[cfg(test)]
mod tests {
    use async_graphql::ValidationMode;

    use super::*;

    fn pipeline() -> Pipeline {
        let schema = |mode| super::super::builder().validation_mode(mode).finish();
        Pipeline::new(schema(ValidationMode::Strict), schema(ValidationMode::Fast))
    }

    /// Which schema `query` (with `variables`) would run on now.
    fn runs_validated(pipeline: &Pipeline, query: &str, variables: Variables) -> bool {
        let request = Request::new(query).variables(variables);
        let prepared = pipeline.prepare(request, None).expect("prepared");
        std::ptr::eq(pipeline.schema_for(&prepared), &pipeline.fast)
    }

    #[tokio::test]
    async fn only_documents_answered_without_error_and_variables_skip_the_rules() {
        let pipeline = pipeline();
        let plain = "{ __typename }";
        assert!(!runs_validated(&pipeline, plain, Variables::default()));
        let answered = pipeline.execute(Request::new(plain)).await;
        assert!(answered.errors.is_empty(), "{:?}", answered.errors);
        assert!(runs_validated(&pipeline, plain, Variables::default()));
        let again = pipeline.execute(Request::new(plain)).await;
        assert_eq!(again.data, answered.data);

        // With variables, every rule runs: their values are checked against the arguments.
        let with_variable = "query ($first: Int) { groups(first: $first) { edges { cursor } } }";
        let variables = Variables::from_json(serde_json::json!({ "first": "many" }));
        for _ in 0..2 {
            let refused = pipeline
                .execute(Request::new(with_variable).variables(variables.clone()))
                .await;
            assert!(
                refused.errors[0]
                    .message
                    .starts_with("Invalid value for argument"),
                "{:?}",
                refused.errors
            );
            assert!(!runs_validated(&pipeline, with_variable, variables.clone()));
        }

        // A document refused by a rule is never vouched for.
        let unknown_field = "{ noSuchField }";
        for _ in 0..2 {
            let refused = pipeline.execute(Request::new(unknown_field)).await;
            assert!(
                refused.errors[0].message.contains("noSuchField"),
                "{:?}",
                refused.errors
            );
            assert!(!runs_validated(
                &pipeline,
                unknown_field,
                Variables::default()
            ));
        }
    }
}
