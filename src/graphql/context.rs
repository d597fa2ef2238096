//! What every resolver may reach: the shared state and the request's caller.

use std::sync::Arc;

use async_graphql::Context;

use crate::auth::turns::SessionTurns;
use crate::auth::{Auth, ClientAddress, PasswordGate, Secret, Viewer};
use crate::background::{Stopping, WorkerHealth};
use crate::checkins::resources::SupportResources;
use crate::config::ServerConfig;
use crate::db::Db;
use crate::error::AppResult;
use crate::graphql::live::LiveLoaders;
use crate::identities::oidc::Providers;
use crate::mail::transport::MailSender;
use crate::mentorship::index::MentorIndex;
use crate::metrics::Metrics;
use crate::notifications::dispatcher::PushSender;
use crate::privacy::service::ExportLimit;

/// State shared by every request, built once at start-up.
pub struct AppState {
    pub db: Db,
    pub secret: Secret,
    pub config: ServerConfig,
    pub push: PushSender,
    pub mail: MailSender,
    pub passwords: PasswordGate,
    /// How many requests of each session run at once.
    pub turns: SessionTurns,
    /// Push dispatchers expected and running in this process.
    pub workers: Arc<WorkerHealth>,
    pub exports: ExportLimit,
    /// Where to find help, per language, checked at start-up.
    pub support: SupportResources,
    /// The figures `/metrics` shows.
    pub metrics: Metrics,
    /// Look-ups the subscriptions share.
    pub live: Arc<LiveLoaders>,
    /// The identity providers people may sign in with.
    pub identities: Providers,
    /// What mentor searches rank first, kept up to date by the committed changes.
    pub mentors: Arc<MentorIndex>,
    /// Set when the process is asked to stop.
    pub stopping: Stopping,
}

pub type SharedState = Arc<AppState>;

/// Access to the state and the caller from a resolver.
pub trait ContextExt {
    fn state(&self) -> &AppState;
    fn auth(&self) -> &Auth;
    fn client(&self) -> ClientAddress;

    fn db(&self) -> &Db {
        &self.state().db
    }

    /// The signed-in viewer, or UNAUTHENTICATED.
    fn viewer(&self) -> AppResult<&Viewer> {
        self.auth().viewer()
    }
}

impl ContextExt for Context<'_> {
    fn state(&self) -> &AppState {
        self.data_unchecked::<SharedState>()
    }

    fn auth(&self) -> &Auth {
        self.data_opt::<Auth>().unwrap_or(&Auth::Anonymous)
    }

    fn client(&self) -> ClientAddress {
        // Every request's data carries it; an unknown caller shares the unspecified address's budget.
        self.data_opt::<ClientAddress>()
            .copied()
            .unwrap_or(ClientAddress(std::net::Ipv4Addr::UNSPECIFIED.into()))
    }
}
