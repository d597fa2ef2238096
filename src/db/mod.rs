//! Storage: one connection type over SQLite and PostgreSQL, chosen at run time from the URL,
//! an r2d2 pool, embedded migrations, and the helpers that run diesel off the async threads.

pub mod atomic;
pub mod backup;
mod connection;
mod deadline;
pub mod events;
pub mod fanout;
mod lists;
mod migrations;
pub mod schedule;
pub mod schema;
mod sql_types;
mod timestamps;

use std::time::Duration;

use diesel::connection::{AnsiTransactionManager, TransactionManager};
use diesel::r2d2::Pool;
use diesel::{Connection, RunQueryDsl};

pub use connection::{Backend, ConnectionManager, DbConnection, redact};
/// The backend type of [`DbConnection`], for boxed expressions (`BoxableExpression`).
pub type SqlBackend = connection::MultiBackend;
pub use deadline::STATEMENT_TIMEOUT_DEFAULT;
use events::EventBus;
use fanout::Fanout;
pub use lists::{TextListExt, json_list, texts};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::histogram::Histogram;
pub use sql_types::text_enum;
pub use timestamps::{Stamp, StampOrNull};

use crate::error::{AppError, AppResult, InternalError};

/// Why the database could not be opened at start-up; each message names `DATABASE_URL`.
#[derive(Debug, thiserror::Error)]
pub enum DbSetupError {
    #[error("DATABASE_URL: `{0}` is neither sqlite://PATH nor postgres://…")]
    UnsupportedScheme(String),
    #[error("DATABASE_URL: cannot open {url}: {cause}")]
    Unreachable { url: String, cause: String },
    #[error("DATABASE_URL: migrations failed on {url}: {cause}")]
    Migration { url: String, cause: String },
    #[error("DATABASE_URL: opening the database was interrupted")]
    Interrupted,
    #[error(transparent)]
    InUse(#[from] backup::BackupError),
}

/// The pooled database, cheap to clone.
#[derive(Clone)]
pub struct Db {
    pool: Pool<ConnectionManager>,
    backend: Backend,
    events: EventBus,
    /// How this instance shares its events with the others (PostgreSQL only).
    fanout: Option<Fanout>,
    statements: Counter,
    /// How long each checkout waited for a connection.
    pool_wait: Histogram,
    /// How long one statement may run.
    statement_timeout: Duration,
    /// On SQLite, the hold that keeps a restore from replacing the file while this pool lives.
    _in_use: Option<backup::InUse>,
}

impl Db {
    /// Opens the database named by `url`, applies pending migrations and builds the pool, whose
    /// statements each run for `statement_timeout` at most.
    ///
    /// Blocking: call it before the server starts, or from a blocking thread.
    pub fn open(url: &str, statement_timeout: Duration) -> Result<Self, DbSetupError> {
        let manager = ConnectionManager::new(url, statement_timeout)?;
        let backend = manager.backend();
        let statements = manager.statements();
        let in_use = match url.strip_prefix("sqlite://") {
            Some(path) => Some(backup::InUse::hold(std::path::Path::new(path))?),
            None => None,
        };
        let redacted = connection::redact(url);
        let mut first =
            manager
                .establish_unbounded()
                .map_err(|cause| DbSetupError::Unreachable {
                    url: redacted.clone(),
                    cause: one_line(&cause),
                })?;
        let applied =
            migrations::run_pending(&mut first).map_err(|cause| DbSetupError::Migration {
                url: redacted,
                cause: one_line(&cause),
            })?;
        let fanout = match &mut first {
            DbConnection::Postgres(pg) => {
                let schema = diesel::select(diesel::dsl::sql::<diesel::sql_types::Text>(
                    "current_schema()",
                ))
                .get_result::<String>(pg)
                .map_err(|cause| DbSetupError::Unreachable {
                    url: connection::redact(url),
                    cause: one_line(&cause),
                })?;
                Some(Fanout::for_schema(&schema, manager.clone()))
            }
            DbConnection::Sqlite(_) => None,
        };
        drop(first);
        if applied > 0 {
            tracing::info!(applied, backend = backend.name(), "migrations applied");
        }
        let pool = Pool::builder()
            .max_size(match backend {
                Backend::Sqlite => 8,
                Backend::Postgres => 16,
            })
            .min_idle(Some(1))
            .connection_timeout(Duration::from_secs(5))
            .build_unchecked(manager);
        Ok(Self {
            pool,
            backend,
            events: EventBus::new(),
            fanout,
            statements,
            pool_wait: crate::metrics::Metrics::pool_wait_histogram(),
            statement_timeout,
            _in_use: in_use,
        })
    }

    /// [`Db::open`] from async code, on the blocking thread pool.
    pub async fn connect(url: &str, statement_timeout: Duration) -> Result<Self, DbSetupError> {
        let url = url.to_owned();
        tokio::task::spawn_blocking(move || Self::open(&url, statement_timeout))
            .await
            .unwrap_or(Err(DbSetupError::Interrupted))
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// How many connections the pool holds at most.
    pub fn max_connections(&self) -> usize {
        usize::try_from(self.pool.max_size()).unwrap_or(usize::MAX)
    }

    /// SQL statements run through this pool so far (for metrics, and for tests that check a page
    /// costs a constant number of queries).
    pub fn statements_run(&self) -> u64 {
        self.statements.get()
    }

    /// The counter behind [`Db::statements_run`] (registered with the metrics).
    pub fn statements(&self) -> &Counter {
        &self.statements
    }

    /// Changes committed through this pool, as they commit.
    pub fn events(&self) -> &EventBus {
        &self.events
    }

    /// A pooled connection for blocking code (CLI commands, blocking threads).
    pub fn connection(&self) -> AppResult<diesel::r2d2::PooledConnection<ConnectionManager>> {
        let asked = std::time::Instant::now();
        let connection = self.pool.get().map_err(AppError::internal);
        self.pool_wait.observe(asked.elapsed().as_secs_f64());
        connection
    }

    /// How long checkouts waited for a connection (registered with the metrics).
    pub fn pool_wait(&self) -> &Histogram {
        &self.pool_wait
    }

    /// The pool's connections: open, and of them idle.
    pub fn pool_connections(&self) -> (u32, u32) {
        let state = self.pool.state();
        (state.connections, state.idle_connections)
    }

    /// Runs `job` with a pooled connection on the blocking thread pool, outside any transaction.
    /// A statement stopped at the statement timeout fails it with
    /// [`AppError::StatementTimeout`], as in [`Db::write`].
    pub async fn run<T, F>(&self, job: F) -> AppResult<T>
    where
        F: FnOnce(&mut DbConnection) -> AppResult<T> + Send + 'static,
        T: Send + 'static,
    {
        let db = self.clone();
        blocking(move || {
            deadline::bounded_job(db.statement_timeout, || job(&mut *db.connection()?))
        })
        .await
    }

    /// Runs `job` in one write transaction on the blocking thread pool: committed when it returns
    /// `Ok`, rolled back when it returns `Err`. Events the job announced with
    /// [`events::after_commit`] are published once it has committed, here and, on PostgreSQL, to
    /// the other instances ([`fanout`]).
    pub async fn write<T, F>(&self, job: F) -> AppResult<T>
    where
        F: FnOnce(&mut DbConnection) -> AppResult<T> + Send + 'static,
        T: Send + 'static,
    {
        let db = self.clone();
        blocking(move || {
            events::take_pending();
            let outcome = deadline::bounded_job(db.statement_timeout, || {
                write_transaction(&mut *db.connection()?, |conn| {
                    let value = job(conn)?;
                    if let Some(fanout) = &db.fanout {
                        fanout.announce(conn, &events::pending())?;
                    }
                    Ok(value)
                })
            });
            let pending = events::take_pending();
            if outcome.is_ok() {
                db.events.publish(pending);
            }
            outcome
        })
        .await
    }

    /// True when the database answers a trivial query.
    /// How many of this build's migrations the database lacks.
    pub async fn pending_migrations(&self) -> AppResult<usize> {
        self.run(|conn| {
            migrations::pending(conn)
                .map_err(|cause| AppError::internal(InternalError::Other(cause.to_string())))
        })
        .await
    }

    pub async fn is_healthy(&self) -> bool {
        self.run(|conn| Ok(diesel::sql_query("SELECT 1").execute(conn)?))
            .await
            .is_ok()
    }
}

/// A driver's message (libpq's spans several lines) as one line.
fn one_line(cause: &dyn std::fmt::Display) -> String {
    cause
        .to_string()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Runs CPU-heavy or blocking work on the blocking pool, keeping the caller's tracing span.
pub async fn blocking<T, F>(job: F) -> AppResult<T>
where
    F: FnOnce() -> AppResult<T> + Send + 'static,
    T: Send + 'static,
{
    // The job runs in its request's span and language, as the request's own code does.
    let span = tracing::Span::current();
    let locale = crate::i18n::current();
    tokio::task::spawn_blocking(move || span.in_scope(|| crate::i18n::within(locale, job)))
        .await
        .map_err(|cause| AppError::Internal(InternalError::Blocking(cause)))?
}

/// `query`, checked when compiling to have a text that its type alone fixes, so that diesel
/// prepares it once per connection and finds it again by its type, without writing its SQL on
/// each run as it must for boxed queries. For the hottest statements, run on the backend's own
/// connection ([`on_backend!`](crate::on_backend)): through `DbConnection`, diesel's
/// `MultiConnection` writes every query's SQL on each run whatever its type says.
pub fn prepared_once<Q: diesel::query_builder::QueryId>(query: Q) -> Q {
    const {
        assert!(
            Q::HAS_STATIC_QUERY_ID,
            "this statement's text is not fixed by its type"
        )
    };
    query
}

/// One write transaction whose reads and writes cannot interleave with another writer's.
///
/// SQLite opens it with `BEGIN IMMEDIATE`, taking the write lock up front: a deferred transaction
/// that reads and then writes fails with SQLITE_BUSY when another connection wrote in between,
/// and `busy_timeout` cannot retry that. PostgreSQL uses a plain `BEGIN`; its rules take row locks
/// or guarded updates where a check must not race.
pub fn write_transaction<T>(
    conn: &mut DbConnection,
    job: impl FnOnce(&mut DbConnection) -> AppResult<T>,
) -> AppResult<T> {
    match conn {
        DbConnection::Sqlite(sqlite) => {
            AnsiTransactionManager::begin_transaction_sql(sqlite, "BEGIN IMMEDIATE")?
        }
        DbConnection::Postgres(pg) => AnsiTransactionManager::begin_transaction(pg)?,
    }
    match job(conn) {
        Ok(value) => {
            <DbConnection as Connection>::TransactionManager::commit_transaction(conn)?;
            Ok(value)
        }
        Err(error) => {
            if let Err(cause) =
                <DbConnection as Connection>::TransactionManager::rollback_transaction(conn)
            {
                tracing::error!(error = %cause, "rollback failed");
            }
            Err(error)
        }
    }
}
