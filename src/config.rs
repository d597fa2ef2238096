//! Typed configuration, read once from flags and environment variables and validated before
//! anything starts. A bad value ends start-up with one line naming the variable.

use std::net::SocketAddr;

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
        })
    }

    pub fn is_production(&self) -> bool {
        self.environment == Environment::Production
    }
}
