//! Typed configuration, read once from flags and environment variables and validated before
//! anything starts. A bad value ends start-up with one line naming the variable.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, ValueEnum};

/// The deployment environment: production hides the developer conveniences.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Environment {
    Development,
    Production,
}

/// Settings shared by every subcommand that touches the database.
#[derive(Debug, Clone, Args)]
pub struct DatabaseArgs {
    /// `sqlite://PATH` (the file is created) or `postgres://…`.
    #[arg(long, env = "DATABASE_URL", default_value = "sqlite://relais.db")]
    pub database_url: String,
}

/// Settings of `relais serve`.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address the HTTP server listens on.
    #[arg(long, env = "RELAIS_ADDR", default_value = "127.0.0.1:8080")]
    pub addr: String,

    #[command(flatten)]
    pub database: DatabaseArgs,

    /// `production` turns off GraphiQL, introspection and field suggestions, and requires a secret.
    #[arg(
        long = "env",
        env = "RELAIS_ENV",
        value_enum,
        default_value = "development"
    )]
    pub environment: Environment,

    /// Key for pseudonyms and token hashing, at least 32 bytes.
    #[arg(long, env = "RELAIS_SECRET", hide_env_values = true)]
    pub secret: Option<String>,

    #[command(flatten)]
    pub push: PushArgs,
}

/// Push delivery settings, shared by `serve` and `worker`.
#[derive(Debug, Clone, Args)]
pub struct PushArgs {
    /// Firebase service-account JSON; unset, pushes are logged instead of sent.
    #[arg(long, env = "FCM_SERVICE_ACCOUNT")]
    pub fcm_service_account: Option<PathBuf>,

    /// FCM base URL (the OAuth token URL comes from the service account's `token_uri`).
    #[arg(
        long,
        env = "FCM_ENDPOINT",
        default_value = "https://fcm.googleapis.com"
    )]
    pub fcm_endpoint: String,

    /// Dispatcher workers in this process (0: none; run `relais worker` elsewhere). SQLite runs one.
    #[arg(long, env = "RELAIS_PUSH_WORKERS", default_value_t = PushConfig::DEFAULT.workers)]
    pub push_workers: usize,

    /// Sends tried before a push ends FAILED.
    #[arg(long, env = "RELAIS_PUSH_MAX_ATTEMPTS", default_value_t = PushConfig::DEFAULT.max_attempts)]
    pub push_max_attempts: u32,

    /// First retry delay in milliseconds; it doubles with each retry.
    #[arg(long, env = "RELAIS_PUSH_RETRY_BASE_MS", default_value_t = PushConfig::DEFAULT.retry_base.as_millis() as u64)]
    pub push_retry_base_ms: u64,

    /// Longest retry delay in seconds.
    #[arg(long, env = "RELAIS_PUSH_RETRY_CAP_SECS", default_value_t = PushConfig::DEFAULT.retry_cap.as_secs())]
    pub push_retry_cap_secs: u64,

    /// Time allowed for one FCM request, in seconds.
    #[arg(long, env = "RELAIS_PUSH_TIMEOUT_SECS", default_value_t = PushConfig::DEFAULT.timeout.as_secs())]
    pub push_timeout_secs: u64,

    /// How long a claimed push is reserved for its dispatcher, in seconds; after that, another
    /// takes it (the first one died).
    #[arg(long, env = "RELAIS_PUSH_LEASE_SECS", default_value_t = PushConfig::DEFAULT.lease.as_secs())]
    pub push_lease_secs: u64,
}

/// Validated push delivery settings.
#[derive(Debug, Clone)]
pub struct PushConfig {
    pub service_account: Option<PathBuf>,
    pub endpoint: String,
    pub workers: usize,
    pub max_attempts: u32,
    pub retry_base: Duration,
    pub retry_cap: Duration,
    pub timeout: Duration,
    pub lease: Duration,
    /// Pushes claimed at once by one worker.
    pub batch_size: i64,
    /// Pushes of a batch in flight at once.
    pub concurrency: usize,
    /// How often an idle worker looks for due pushes it was not told about (scheduled ones).
    pub poll_interval: Duration,
}

impl PushConfig {
    pub const DEFAULT: PushConfig = PushConfig {
        service_account: None,
        endpoint: String::new(),
        workers: 2,
        max_attempts: 8,
        retry_base: Duration::from_secs(5),
        retry_cap: Duration::from_secs(15 * 60),
        timeout: Duration::from_secs(10),
        lease: Duration::from_secs(60),
        batch_size: 100,
        concurrency: 32,
        poll_interval: Duration::from_secs(1),
    };

    pub fn from_args(args: PushArgs) -> Result<Self, ConfigError> {
        if args.push_max_attempts == 0 {
            return Err(ConfigError::Push(
                "RELAIS_PUSH_MAX_ATTEMPTS must be at least 1",
            ));
        }
        if args.push_lease_secs <= args.push_timeout_secs {
            return Err(ConfigError::Push(
                "RELAIS_PUSH_LEASE_SECS must exceed RELAIS_PUSH_TIMEOUT_SECS",
            ));
        }
        Ok(Self {
            service_account: args.fcm_service_account,
            endpoint: args.fcm_endpoint,
            workers: args.push_workers,
            max_attempts: args.push_max_attempts,
            retry_base: Duration::from_millis(args.push_retry_base_ms),
            retry_cap: Duration::from_secs(args.push_retry_cap_secs),
            timeout: Duration::from_secs(args.push_timeout_secs),
            lease: Duration::from_secs(args.push_lease_secs),
            ..Self::DEFAULT
        })
    }
}

/// Why a configuration cannot be used; the message names the variable at fault.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("RELAIS_ADDR: `{0}` is not a socket address such as 127.0.0.1:8080")]
    Addr(String),
    #[error("RELAIS_SECRET must be set when RELAIS_ENV=production")]
    MissingSecret,
    #[error("RELAIS_SECRET must be at least {MIN_SECRET_BYTES} bytes long")]
    ShortSecret,
    #[error("{0}")]
    Push(&'static str),
}

pub const MIN_SECRET_BYTES: usize = 32;

/// Validated settings of the server.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub addr: SocketAddr,
    pub database_url: String,
    pub environment: Environment,
    /// `None` in development: a secret is generated once and kept in the database.
    pub secret: Option<Vec<u8>>,
    pub push: PushConfig,
}

impl ServerConfig {
    pub fn from_args(args: ServeArgs) -> Result<Self, ConfigError> {
        let addr = args
            .addr
            .parse()
            .map_err(|_| ConfigError::Addr(args.addr.clone()))?;
        let secret = match args.secret {
            Some(secret) if secret.len() < MIN_SECRET_BYTES => {
                return Err(ConfigError::ShortSecret);
            }
            Some(secret) => Some(secret.into_bytes()),
            None if args.environment == Environment::Production => {
                return Err(ConfigError::MissingSecret);
            }
            None => None,
        };
        Ok(Self {
            addr,
            database_url: args.database.database_url,
            environment: args.environment,
            secret,
            push: PushConfig::from_args(args.push)?,
        })
    }

    pub fn is_production(&self) -> bool {
        self.environment == Environment::Production
    }
}
