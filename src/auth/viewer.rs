//! The caller of the request being served, as the GraphQL layer sees it.

use crate::error::{AppError, AppResult};
use crate::i18n::{Locale, Message};
use crate::ids::{SessionId, UserId};

/// A signed-in person and the session they called with.
#[derive(Debug, Clone)]
pub struct Viewer {
    pub user_id: UserId,
    pub session_id: SessionId,
    pub locale: Locale,
    /// Whether they confirmed their address: some features wait for it (see
    /// `graphql::confirmed_address`).
    pub address_confirmed: bool,
    /// When the access token the viewer called with stops opening the API.
    pub access_expires_at: chrono::DateTime<chrono::Utc>,
}

/// What the request's `Authorization` header amounted to.
#[derive(Debug, Clone)]
pub enum Auth {
    /// No token: public fields work, protected ones answer UNAUTHENTICATED.
    Anonymous,
    /// A token that opens nothing: every field that looks at the viewer answers UNAUTHENTICATED,
    /// so the app knows to refresh or sign in again.
    Rejected,
    /// An `Authorization` header that is not `Bearer <token>`: said as such, so that a client's
    /// mistake is not taken for an expired session.
    Malformed,
    SignedIn(Viewer),
}

impl Auth {
    /// The viewer, required.
    pub fn viewer(&self) -> AppResult<&Viewer> {
        match self {
            Auth::SignedIn(viewer) => Ok(viewer),
            Auth::Anonymous => Err(AppError::Unauthenticated(Message::SignInRequired)),
            Auth::Rejected => Err(AppError::Unauthenticated(Message::SessionInvalid)),
            Auth::Malformed => Err(AppError::Unauthenticated(Message::AuthorizationMalformed)),
        }
    }

    /// The viewer if there is one; a rejected token is still an error.
    pub fn optional_viewer(&self) -> AppResult<Option<&Viewer>> {
        match self {
            Auth::Anonymous => Ok(None),
            _ => self.viewer().map(Some),
        }
    }
}
