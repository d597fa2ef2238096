//! The GraphQL schema: each domain's roots merged, limits, and the SDL export.

pub mod batching;
pub mod confirmed_address;
pub mod connection;
pub mod context;
pub mod error_codes;
mod limits;
pub mod live;
pub mod operation;
pub mod pipeline;
pub mod scalars;

use async_graphql::dataloader::DataLoader;
use async_graphql::{MergedObject, MergedSubscription, SDLExportOptions, Schema, ValidationMode};

use crate::accounts::graphql::{AccountsMutation, AccountsQuery};
use crate::accounts::loaders::ProfileLoader;
use crate::auth::{Auth, ClientAddress};
use crate::checkins::graphql::{CheckinsMutation, CheckinsQuery};
use crate::conversations::graphql::{
    ConversationsMutation, ConversationsQuery, ConversationsSubscription,
};
use crate::conversations::loaders::LastMessageLoader;
use crate::groups::graphql::{GroupsMutation, GroupsQuery, GroupsSubscription};
use crate::groups::loaders::{
    FirstPostsLoader, GroupLoader, ReplyCountLoader, ViewerMembershipLoader,
};
use crate::i18n::{self, Locale};
use crate::identities::graphql::{IdentitiesMutation, IdentitiesQuery};
use crate::mentorship::graphql::{MentorshipMutation, MentorshipQuery};
use crate::notifications::graphql::{
    NotificationsMutation, NotificationsQuery, NotificationsSubscription,
};
use crate::privacy::graphql::{PrivacyMutation, PrivacyQuery};
use crate::support::graphql::{SupportMutation, SupportQuery};
use crate::workshops::graphql::{WorkshopsMutation, WorkshopsQuery};
pub use batching::BatchGate;
pub use context::{AppState, ContextExt, SharedState};
use futures_util::future::BoxFuture;
pub use limits::MAX_ALIASES;
pub use pipeline::Pipeline;
use tracing::Instrument;

/// Everything that reads. Lists with `first`/`after` are pages; each field says who may call it. A
/// refused request (too costly, too deep, too many aliases) answers BAD_USER_INPUT with
/// `extensions.limit`, `cost` and `maximum`.
#[derive(MergedObject, Default)]
#[graphql(name = "Query")]
pub struct QueryRoot(
    AccountsQuery,
    IdentitiesQuery,
    NotificationsQuery,
    GroupsQuery,
    WorkshopsQuery,
    MentorshipQuery,
    CheckinsQuery,
    SupportQuery,
    ConversationsQuery,
    PrivacyQuery,
);

/// Everything that changes something. Each field says who may call it and what it refuses; errors
/// carry `extensions.code` (UNAUTHENTICATED, FORBIDDEN, NOT_FOUND, CONFLICT, BAD_USER_INPUT,
/// RATE_LIMITED, INTERNAL) and, for bad input, `extensions.field`.
#[derive(MergedObject, Default)]
#[graphql(name = "Mutation")]
pub struct MutationRoot(
    AccountsMutation,
    IdentitiesMutation,
    NotificationsMutation,
    GroupsMutation,
    WorkshopsMutation,
    MentorshipMutation,
    CheckinsMutation,
    SupportMutation,
    ConversationsMutation,
    PrivacyMutation,
);

/// Live updates over the websocket at `/graphql/ws` (graphql-transport-ws), authenticated in
/// `connection_init`; they end when the session ends.
#[derive(MergedSubscription, Default)]
#[graphql(name = "Subscription")]
pub struct SubscriptionRoot(
    NotificationsSubscription,
    GroupsSubscription,
    ConversationsSubscription,
);

pub type RelaisSchema = Schema<QueryRoot, MutationRoot, SubscriptionRoot>;

/// Most expensive query accepted (each field costs 1 unless it says otherwise), checked by the
/// request pipeline: a page of 100 posts with their authors and counts fits; the same page with
/// replies under each post does not.
pub const MAX_COMPLEXITY: usize = 2_500;

/// The cost of a list field that runs its own queries (about this many statements' worth) and
/// returns up to `items` items of `child` cost each. Lists inside lists multiply, so that the most
/// expensive request the limit accepts runs a few hundred statements at most.
pub const LIST_QUERY_COST: usize = 25;

/// [`list_cost`] for a page of `first` items (default and bounds as `pagination` applies them).
pub fn page_cost(first: Option<i32>, child: usize) -> usize {
    let items = first.map_or(crate::pagination::DEFAULT_PAGE_SIZE, |first| {
        usize::try_from(first)
            .unwrap_or(0)
            .min(crate::pagination::MAX_PAGE_SIZE)
    });
    list_cost(items, child)
}

/// What a list field of at most `items` items, each of `child` cost, costs.
pub fn list_cost(items: usize, child: usize) -> usize {
    LIST_QUERY_COST.saturating_add(items.saturating_mul(child))
}

/// Marks a request that came over GET: it may run queries only, since a GET must change nothing
/// (links, prefetches and caches repeat it).
pub struct ReadOnly;

/// The schema, without state: enough to print the SDL.
fn builder() -> async_graphql::SchemaBuilder<QueryRoot, MutationRoot, SubscriptionRoot> {
    Schema::build(
        QueryRoot::default(),
        MutationRoot::default(),
        SubscriptionRoot::default(),
    )
}

/// The schema the server runs, in its [`Pipeline`] (twice: validating every rule, and in the fast
/// mode for documents already validated). Production hides introspection and field suggestions.
pub fn build(state: SharedState) -> Pipeline {
    let production = state.config.is_production();
    let schema = |mode: ValidationMode| {
        let mut schema = builder()
            .data(state.clone())
            .limit_complexity(MAX_COMPLEXITY)
            .validation_mode(mode);
        if production {
            schema = schema.disable_introspection().disable_suggestions();
        }
        schema.finish()
    };
    Pipeline::new(schema(ValidationMode::Strict), schema(ValidationMode::Fast))
}

/// The SDL checked in as `schema.graphql`, fields sorted for stable diffs.
pub fn sdl() -> String {
    builder()
        .finish()
        .sdl_with_options(SDLExportOptions::new().sorted_fields().sorted_enum_items())
}

/// A DataLoader whose batches start once the execution `gate` watches has nothing left to run
/// (so a page's keys make one batch, however the machine schedules it), and run as tasks in the
/// request's locale and tracing span, so that their errors speak the viewer's language and their
/// logs carry the request id.
fn loader<T: Send + Sync + 'static>(inner: T, locale: Locale, gate: &BatchGate) -> DataLoader<T> {
    let gate = gate.clone();
    let spawner = move |batch: BoxFuture<'static, ()>| {
        let span = tracing::Span::current();
        let gate = gate.clone();
        let gated = async move {
            gate.until_idle().await;
            batch.await;
        };
        tokio::spawn(i18n::scope(locale, gated).instrument(span))
    };
    // The gate decides when gathering is over; no time window on top.
    DataLoader::new(inner, spawner).delay(std::time::Duration::ZERO)
}

/// The per-request data: who is calling, from where, in which language, and fresh DataLoaders
/// (so nothing is cached across requests or between people) whose batches wait for `gate`; the
/// caller drives the execution through that gate.
pub fn request_data(
    state: &SharedState,
    auth: Auth,
    client: ClientAddress,
    locale: Locale,
    gate: &BatchGate,
) -> async_graphql::Data {
    let people = ProfileLoader::Database(state.db.clone());
    caller_data(state, auth, client, locale, gate, people)
}

/// A websocket connection's data: a request's, except that people are looked up through the
/// loader every connection shares, so that the fields under a subscription's items are read
/// once for all the subscribers an event wakes, not once per connection.
pub fn connection_data(
    state: &SharedState,
    auth: Auth,
    client: ClientAddress,
    locale: Locale,
    gate: &BatchGate,
) -> async_graphql::Data {
    let people = ProfileLoader::Joining(state.live.profiles.clone());
    caller_data(state, auth, client, locale, gate, people)
}

fn caller_data(
    state: &SharedState,
    auth: Auth,
    client: ClientAddress,
    locale: Locale,
    gate: &BatchGate,
    people: ProfileLoader,
) -> async_graphql::Data {
    let db = &state.db;
    let viewer = auth.viewer().ok().map(|viewer| viewer.user_id.clone());
    let mut data = async_graphql::Data::default();
    data.insert(auth);
    data.insert(client);
    data.insert(locale);
    data.insert(loader(people, locale, gate));
    data.insert(loader(GroupLoader(db.clone()), locale, gate));
    data.insert(loader(ReplyCountLoader(db.clone()), locale, gate));
    data.insert(loader(LastMessageLoader(db.clone()), locale, gate));
    data.insert(loader(
        FirstPostsLoader {
            db: db.clone(),
            viewer: viewer.clone(),
        },
        locale,
        gate,
    ));
    data.insert(loader(
        ViewerMembershipLoader {
            db: db.clone(),
            viewer,
        },
        locale,
        gate,
    ));
    data
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use async_graphql::dataloader::Loader;

    use super::*;

    /// Answers every key with the language its batch ran in.
    struct LocaleProbe;

    impl Loader<u8> for LocaleProbe {
        type Value = &'static str;
        type Error = async_graphql::Error;

        async fn load(&self, keys: &[u8]) -> Result<HashMap<u8, &'static str>, Self::Error> {
            Ok(keys
                .iter()
                .map(|key| (*key, i18n::current().as_str()))
                .collect())
        }
    }

    #[tokio::test]
    async fn loader_batches_run_in_the_requests_locale() -> async_graphql::Result<()> {
        let gate = BatchGate::default();
        let english = loader(LocaleProbe, Locale::parse("en").expect("English"), &gate);
        assert_eq!(english.load_one(1).await?, Some("en"));
        let french = loader(LocaleProbe, Locale::default(), &gate);
        assert_eq!(french.load_one(1).await?, Some("fr"));
        Ok(())
    }
}
