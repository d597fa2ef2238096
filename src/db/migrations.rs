//! Embedded migrations, one folder per backend, kept in step.

use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use super::DbConnection;

const SQLITE: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES: EmbeddedMigrations = embed_migrations!("migrations/postgres");

type MigrationError = Box<dyn std::error::Error + Send + Sync>;

/// Applies every migration not yet applied; returns how many ran.
pub fn run_pending(conn: &mut DbConnection) -> Result<usize, MigrationError> {
    let applied = match conn {
        DbConnection::Sqlite(sqlite) => sqlite.run_pending_migrations(SQLITE)?.len(),
        DbConnection::Postgres(pg) => pg.run_pending_migrations(POSTGRES)?.len(),
    };
    Ok(applied)
}

/// How many migrations this build has that the database has not applied (another instance
/// of an older build may be serving a database this one has not migrated yet).
pub fn pending(conn: &mut DbConnection) -> Result<usize, MigrationError> {
    let pending = match conn {
        DbConnection::Sqlite(sqlite) => sqlite.pending_migrations(SQLITE)?.len(),
        DbConnection::Postgres(pg) => pg.pending_migrations(POSTGRES)?.len(),
    };
    Ok(pending)
}
