//! The connection enum over both backends and the r2d2 manager that picks one from the URL.

use std::time::Duration;

use diesel::connection::{InstrumentationEvent, SimpleConnection};
use diesel::pg::PgConnection;
use diesel::r2d2::{ManageConnection, R2D2Connection};
use diesel::sqlite::SqliteConnection;
use diesel::{Connection, ConnectionError};
use prometheus_client::metrics::counter::Counter;

use super::{DbSetupError, deadline};

/// A connection to whichever database `DATABASE_URL` names.
#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Postgres(PgConnection),
    Sqlite(SqliteConnection),
}

/// The database engine in use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// Establishes connections itself: the derived `MultiConnection::establish` would hide the real
/// reason a connection failed behind a generic message.
#[derive(Debug, Clone)]
pub struct ConnectionManager {
    backend: Backend,
    /// What the driver receives: the file path for SQLite, the whole URL for PostgreSQL.
    target: String,
    /// Statements run by every connection of this manager.
    statements: Counter,
    /// How long one statement of a pooled connection may run ([`deadline`]).
    statement_timeout: Duration,
}

impl ConnectionManager {
    pub fn new(url: &str, statement_timeout: Duration) -> Result<Self, DbSetupError> {
        let (backend, target) = if let Some(path) = url.strip_prefix("sqlite://") {
            if path.is_empty() {
                return Err(DbSetupError::UnsupportedScheme(url.to_owned()));
            }
            deadline::install_sqlite_handler();
            (Backend::Sqlite, path)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            (Backend::Postgres, url)
        } else {
            return Err(DbSetupError::UnsupportedScheme(redact(url)));
        };
        Ok(Self {
            backend,
            target: target.to_owned(),
            statements: Counter::default(),
            statement_timeout,
        })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The counter of statements run through this manager's connections.
    pub fn statements(&self) -> Counter {
        self.statements.clone()
    }

    /// A PostgreSQL connection of its own, outside the pool and its statement count, for a
    /// task that holds it for long (the fan-out's LISTEN); `None` on SQLite.
    pub fn establish_dedicated(&self) -> Option<Result<PgConnection, ConnectionError>> {
        match self.backend {
            Backend::Sqlite => None,
            Backend::Postgres => Some(PgConnection::establish(&self.target)),
        }
    }

    /// A connection whose statements are bounded by the statement timeout.
    pub fn establish(&self) -> Result<DbConnection, ConnectionError> {
        self.establish_bounded(Some(self.statement_timeout))
    }

    /// A connection whose statements run as long as they need (migrations at start-up).
    pub fn establish_unbounded(&self) -> Result<DbConnection, ConnectionError> {
        self.establish_bounded(None)
    }

    fn establish_bounded(
        &self,
        timeout: Option<Duration>,
    ) -> Result<DbConnection, ConnectionError> {
        let mut conn = match self.backend {
            Backend::Sqlite => DbConnection::Sqlite(SqliteConnection::establish(&self.target)?),
            Backend::Postgres => DbConnection::Postgres(PgConnection::establish(&self.target)?),
        };
        Pragmas::apply(&mut conn, timeout).map_err(ConnectionError::CouldntSetupConfiguration)?;
        let statements = self.statements.clone();
        conn.set_instrumentation(move |event: InstrumentationEvent<'_>| match event {
            InstrumentationEvent::StartQuery { .. } => {
                statements.inc();
                deadline::statement_started(timeout);
            }
            InstrumentationEvent::FinishQuery { error, .. } => {
                deadline::statement_finished(error.is_some())
            }
            _ => {}
        });
        Ok(conn)
    }
}

impl ManageConnection for ConnectionManager {
    type Connection = DbConnection;
    type Error = diesel::r2d2::Error;

    fn connect(&self) -> Result<DbConnection, Self::Error> {
        self.establish()
            .map_err(diesel::r2d2::Error::ConnectionError)
    }

    fn is_valid(&self, conn: &mut DbConnection) -> Result<(), Self::Error> {
        conn.ping().map_err(diesel::r2d2::Error::QueryError)
    }

    fn has_broken(&self, conn: &mut DbConnection) -> bool {
        conn.is_broken()
    }
}

/// Per-connection settings: SQLite's pragmas are per connection, so `establish` (which r2d2 calls
/// for each new pooled connection) applies them to every one.
struct Pragmas;

impl Pragmas {
    fn apply(conn: &mut DbConnection, timeout: Option<Duration>) -> diesel::QueryResult<()> {
        match conn {
            DbConnection::Sqlite(sqlite) => sqlite.batch_execute(
                // busy_timeout first, so that the pragmas below wait for a lock instead of failing.
                "PRAGMA busy_timeout = 10000;
                 PRAGMA journal_mode = WAL;
                 PRAGMA synchronous = NORMAL;
                 PRAGMA foreign_keys = ON;",
            ),
            // 0: no bound. SQLite's bound is the progress handler of `deadline`.
            DbConnection::Postgres(pg) => pg.batch_execute(&format!(
                "SET TIME ZONE 'UTC'; SET statement_timeout = {}",
                timeout.map_or(0, |timeout| timeout.as_millis().max(1))
            )),
        }
    }
}

/// Query parameters of a PostgreSQL URL that hold a secret.
const SECRET_PARAMETERS: [&str; 2] = ["password", "sslpassword"];

/// The URL without its passwords (the user's, and `password`/`sslpassword` parameters), for
/// messages and logs.
pub fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let (location, query) = match rest.split_once('?') {
        Some((location, query)) => (location, Some(query)),
        None => (rest, None),
    };
    let location = match location.split_once('@') {
        Some((credentials, host)) => match credentials.split_once(':') {
            Some((user, _password)) => format!("{user}:***@{host}"),
            None => location.to_owned(),
        },
        None => location.to_owned(),
    };
    let Some(query) = query else {
        return format!("{scheme}://{location}");
    };
    let parameters: Vec<String> = query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((key, _)) if SECRET_PARAMETERS.contains(&key) => format!("{key}=***"),
            _ => pair.to_owned(),
        })
        .collect();
    format!("{scheme}://{location}?{}", parameters.join("&"))
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn redaction_hides_every_password_and_keeps_the_rest() {
        assert_eq!(
            redact("postgres://relais:s3cret@db.example:5432/relais?sslmode=verify-full"),
            "postgres://relais:***@db.example:5432/relais?sslmode=verify-full"
        );
        assert_eq!(
            redact(
                "postgres://db.example/relais?user=relais&password=s3cret&sslkey=/k&sslpassword=p"
            ),
            "postgres://db.example/relais?user=relais&password=***&sslkey=/k&sslpassword=***"
        );
        assert_eq!(redact("sqlite://relais.db"), "sqlite://relais.db");
    }
}
