//! One error type for the whole server: a stable code for the client, the cause for the logs.

use async_graphql::ErrorExtensions;

use crate::i18n::{self, Message};

/// What went wrong, as the client is told it.
///
/// Deliberately not `Display`: async-graphql turns any `Display` value into an error whose message
/// is that text, which would send a database's words to the client. The one conversion below is
/// the only way out.
#[derive(Debug)]
pub enum AppError {
    Unauthenticated(Message),
    Forbidden,
    NotFound,
    BadInput {
        field: &'static str,
        message: Message,
    },
    Conflict(Message),
    RateLimited,
    Internal(InternalError),
}

/// A failure the client can do nothing about; logged, never shown.
#[derive(Debug, thiserror::Error)]
pub enum InternalError {
    #[error("database: {0}")]
    Database(#[from] diesel::result::Error),
    #[error("connection pool: {0}")]
    Pool(#[from] diesel::r2d2::PoolError),
    #[error("blocking task: {0}")]
    Blocking(#[from] tokio::task::JoinError),
    #[error("password hashing: {0}")]
    PasswordHash(String),
    #[error("{0}")]
    Other(String),
}

pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    pub fn bad_input(field: &'static str, message: Message) -> Self {
        Self::BadInput { field, message }
    }

    pub fn internal(cause: impl Into<InternalError>) -> Self {
        Self::Internal(cause.into())
    }

    /// The stable code clients switch on (`extensions.code`).
    pub fn code(&self) -> &'static str {
        match self {
            Self::Unauthenticated(_) => "UNAUTHENTICATED",
            Self::Forbidden => "FORBIDDEN",
            Self::NotFound => "NOT_FOUND",
            Self::BadInput { .. } => "BAD_USER_INPUT",
            Self::Conflict(_) => "CONFLICT",
            Self::RateLimited => "RATE_LIMITED",
            Self::Internal(_) => "INTERNAL",
        }
    }

    fn message(&self) -> Message {
        match self {
            Self::Unauthenticated(message)
            | Self::BadInput { message, .. }
            | Self::Conflict(message) => message.clone(),
            Self::Forbidden => Message::Forbidden,
            Self::NotFound => Message::NotFound,
            Self::RateLimited => Message::RateLimited,
            Self::Internal(_) => Message::Internal,
        }
    }
}

impl From<InternalError> for AppError {
    fn from(cause: InternalError) -> Self {
        Self::Internal(cause)
    }
}

impl From<diesel::result::Error> for AppError {
    fn from(cause: diesel::result::Error) -> Self {
        Self::Internal(cause.into())
    }
}

impl From<AppError> for async_graphql::Error {
    fn from(error: AppError) -> Self {
        if let AppError::Internal(cause) = &error {
            // Logged inside the request's span, so the line carries its request id.
            tracing::error!(error = %cause, "internal error");
        }
        let mut graphql_error = async_graphql::Error::new(error.message().render(i18n::current()));
        graphql_error = graphql_error.extend_with(|_, extensions| {
            extensions.set("code", error.code());
            if let AppError::BadInput { field, .. } = &error {
                extensions.set("field", *field);
            }
        });
        graphql_error
    }
}
