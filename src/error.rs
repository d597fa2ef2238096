//! One error type for the whole server: a stable code for the client, the cause for the logs.

use async_graphql::ErrorExtensions;

use crate::i18n::{self, Localized, Message};

/// What went wrong, as the client is told it.
///
/// Deliberately not `Display`: async-graphql turns any `Display` value into an error whose message
/// is that text, which would send a database's words to the client. The one conversion below is
/// the only way out.
#[derive(Debug)]
pub enum AppError {
    Unauthenticated(Message),
    Forbidden,
    /// FORBIDDEN with a reason the person may be told (their own sanction, say).
    Denied(Message),
    /// FORBIDDEN until the person does something first, named in `extensions.reason` so that
    /// the app can lead them to it.
    Unmet(Prerequisite),
    NotFound,
    /// NOT_FOUND for an id the client gave in `field` (`groupId`): nothing the caller may see.
    NotFoundIn(&'static str),
    BadInput {
        field: &'static str,
        message: Message,
    },
    Conflict(Message),
    /// CONFLICT with what it conflicts with, named in `extensions` (`openRequestId`: the id).
    ConflictWith {
        message: Message,
        name: &'static str,
        id: String,
    },
    /// Too much, too fast: the client may try again after `retry_after`.
    RateLimited {
        retry_after: std::time::Duration,
    },
    /// A statement of the request ran past the configured bound (`RELAIS_STATEMENT_TIMEOUT_MS`)
    /// and was stopped: BAD_USER_INPUT with `extensions.limit`, as the request limits are.
    StatementTimeout {
        maximum_ms: u64,
    },
    Internal(InternalError),
}

/// What a person must do before some features open to them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Prerequisite {
    /// Agree to the current text of a consent (`HEALTH_DATA` before a check-in).
    Consent,
    /// Confirm their address with the code mailed to it.
    ConfirmedAddress,
    /// Sign in once with a provider that verifies professions (Pro Santé Connect).
    VerifiedProfession,
}

impl Prerequisite {
    /// What `extensions.reason` says.
    pub fn reason(self) -> &'static str {
        match self {
            Self::Consent => "CONSENT_REQUIRED",
            Self::ConfirmedAddress => "EMAIL_NOT_VERIFIED",
            Self::VerifiedProfession => "VERIFIED_PROFESSION_REQUIRED",
        }
    }

    fn message(self) -> Message {
        match self {
            Self::Consent => Message::ConsentRequired,
            Self::ConfirmedAddress => Message::EmailNotVerified,
            Self::VerifiedProfession => Message::VerifiedProfessionRequired,
        }
    }
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

/// Every code clients may see in `extensions.code`.
pub const CODES: [&str; 8] = [
    "UNAUTHENTICATED",
    "FORBIDDEN",
    "NOT_FOUND",
    "BAD_USER_INPUT",
    "CONFLICT",
    "RATE_LIMITED",
    "INTERNAL",
    PERSISTED_QUERY_NOT_FOUND,
];

/// What Apollo clients look for to send a persisted query's text after its hash alone.
pub const PERSISTED_QUERY_NOT_FOUND: &str = "PERSISTED_QUERY_NOT_FOUND";

/// `code` as one of [`CODES`]; INTERNAL for anything else.
pub fn known_code(code: &str) -> &'static str {
    CODES
        .iter()
        .find(|known| **known == code)
        .copied()
        .unwrap_or("INTERNAL")
}

impl AppError {
    pub fn bad_input(field: &'static str, message: Message) -> Self {
        Self::BadInput { field, message }
    }

    pub fn rate_limited(retry_after: std::time::Duration) -> Self {
        Self::RateLimited { retry_after }
    }

    pub fn internal(cause: impl Into<InternalError>) -> Self {
        Self::Internal(cause.into())
    }

    /// The stable code clients switch on (`extensions.code`).
    pub fn code(&self) -> &'static str {
        match self {
            Self::Unauthenticated(_) => "UNAUTHENTICATED",
            Self::Forbidden | Self::Denied(_) | Self::Unmet(_) => "FORBIDDEN",
            Self::NotFound | Self::NotFoundIn(_) => "NOT_FOUND",
            Self::BadInput { .. } | Self::StatementTimeout { .. } => "BAD_USER_INPUT",
            Self::Conflict(_) | Self::ConflictWith { .. } => "CONFLICT",
            Self::RateLimited { .. } => "RATE_LIMITED",
            Self::Internal(_) => "INTERNAL",
        }
    }

    fn message(&self) -> Message {
        match self {
            Self::Unauthenticated(message)
            | Self::Denied(message)
            | Self::BadInput { message, .. }
            | Self::Conflict(message)
            | Self::ConflictWith { message, .. } => message.clone(),
            Self::Forbidden => Message::Forbidden,
            Self::Unmet(prerequisite) => prerequisite.message(),
            Self::NotFound | Self::NotFoundIn(_) => Message::NotFound,
            Self::RateLimited { .. } => Message::RateLimited,
            Self::StatementTimeout { maximum_ms } => Message::TooSlow {
                max_ms: *maximum_ms,
            },
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
            match &error {
                AppError::BadInput { field, .. } | AppError::NotFoundIn(field) => {
                    extensions.set("field", *field)
                }
                AppError::ConflictWith { name, id, .. } => extensions.set(*name, id.as_str()),
                AppError::StatementTimeout { maximum_ms } => {
                    extensions.set("limit", "statementTime");
                    extensions.set("maximum", *maximum_ms);
                }
                AppError::Unmet(prerequisite) => extensions.set("reason", prerequisite.reason()),
                AppError::RateLimited { retry_after } => {
                    // Whole seconds, rounded up: retrying earlier would be refused again.
                    let seconds = retry_after.as_secs() + u64::from(retry_after.subsec_nanos() > 0);
                    extensions.set("retryAfterSeconds", seconds.max(1));
                }
                _ => {}
            }
        });
        graphql_error
    }
}
