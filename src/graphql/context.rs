//! What every resolver may reach: the shared state and the request's caller.

use std::sync::Arc;

use async_graphql::Context;

use crate::auth::throttle::LoginThrottle;
use crate::auth::{Auth, Secret, Viewer};
use crate::config::ServerConfig;
use crate::db::Db;
use crate::error::AppResult;
use crate::notifications::dispatcher::PushSender;

/// State shared by every request, built once at start-up.
pub struct AppState {
    pub db: Db,
    pub secret: Secret,
    pub config: ServerConfig,
    pub push: PushSender,
    pub login_throttle: LoginThrottle,
}

pub type SharedState = Arc<AppState>;

/// Access to the state and the caller from a resolver.
pub trait ContextExt {
    fn state(&self) -> &AppState;
    fn auth(&self) -> &Auth;

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
}
