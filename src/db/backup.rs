//! Backups of the embedded SQLite database: a consistent copy of a live database, and a restore
//! that never replaces a database some process has open. (PostgreSQL's are `pg_dump`'s and
//! `pg_restore`'s; the README says how.)
//!
//! Every process that opens a SQLite database holds a shared lock on `<file>.lock` for as long
//! as it runs; a restore takes that lock exclusively, so it waits for nobody and replaces
//! nothing in use.

use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use diesel::sql_types::{BigInt, Text};
use diesel::{Connection, QueryableByName, RunQueryDsl, SqliteConnection};

/// Why a backup or a restore did not happen; one line for the operator.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("--to {0}: the file exists; a backup never overwrites one")]
    TargetExists(PathBuf),
    #[error("--from {path}: not a Relais database: {cause}")]
    NotABackup { path: PathBuf, cause: String },
    #[error("DATABASE_URL: {0} is in use by a running relais process; stop it before restoring")]
    InUse(PathBuf),
    #[error("{path}: {cause}")]
    File { path: PathBuf, cause: String },
    #[error("DATABASE_URL: {path}: {cause}")]
    Database { path: PathBuf, cause: String },
}

/// A shared hold on a SQLite database: while one exists, no restore replaces the file.
#[derive(Debug, Clone)]
pub struct InUse {
    _lock: Arc<File>,
}

impl InUse {
    /// Marks `database` as in use by this process; refused while a restore replaces it.
    pub fn hold(database: &Path) -> Result<Self, BackupError> {
        let lock = open_lock(database)?;
        match lock.try_lock_shared() {
            Ok(()) => Ok(Self {
                _lock: Arc::new(lock),
            }),
            Err(TryLockError::WouldBlock) => Err(BackupError::Database {
                path: database.to_owned(),
                cause: "a restore is replacing it".into(),
            }),
            Err(TryLockError::Error(cause)) => Err(file_error(&lock_path(database), cause)),
        }
    }
}

/// What a backup wrote.
#[derive(Debug)]
pub struct Backup {
    pub bytes: u64,
}

/// Copies the database at `database` into a new file `to`, as one read transaction sees it:
/// consistent while servers keep writing (SQLite's `VACUUM INTO`; writers go on meanwhile, as
/// readers never block them in WAL mode).
pub fn backup(database: &Path, to: &Path) -> Result<Backup, BackupError> {
    if to.exists() {
        return Err(BackupError::TargetExists(to.to_owned()));
    }
    let mut conn = open_existing(database).map_err(|cause| BackupError::Database {
        path: database.to_owned(),
        cause,
    })?;
    vacuum_into(&mut conn, to).map_err(|cause| BackupError::Database {
        path: database.to_owned(),
        cause,
    })?;
    let bytes = std::fs::metadata(to)
        .map_err(|cause| file_error(to, cause))?
        .len();
    Ok(Backup { bytes })
}

/// Replaces the database at `database` with the backup `from`, once no process has it open.
/// The backup is checked first (SQLite's `quick_check`, Relais' migrations table); the copy is
/// written beside the database and renamed over it, so a failure leaves the old one whole.
pub fn restore(database: &Path, from: &Path) -> Result<(), BackupError> {
    let not_a_backup = |cause: String| BackupError::NotABackup {
        path: from.to_owned(),
        cause,
    };
    let mut source = open_existing(from).map_err(not_a_backup)?;
    check_backup(&mut source).map_err(not_a_backup)?;

    let lock = open_lock(database)?;
    match lock.try_lock() {
        Ok(()) => {}
        Err(TryLockError::WouldBlock) => return Err(BackupError::InUse(database.to_owned())),
        Err(TryLockError::Error(cause)) => return Err(file_error(&lock_path(database), cause)),
    }
    let staged = with_suffix(database, ".restoring");
    remove_if_present(&staged)?;
    vacuum_into(&mut source, &staged).map_err(not_a_backup)?;
    // The old database's write-ahead log and shared memory belong to it, not to the copy.
    for leftover in ["-wal", "-shm", "-journal"] {
        remove_if_present(&with_suffix(database, leftover))?;
    }
    std::fs::rename(&staged, database).map_err(|cause| file_error(database, cause))?;
    drop(lock);
    Ok(())
}

#[derive(QueryableByName)]
struct Checked {
    #[diesel(sql_type = Text)]
    quick_check: String,
}

#[derive(QueryableByName)]
struct Counted {
    #[diesel(sql_type = BigInt)]
    tables: i64,
}

/// Whether `conn` holds an intact database that Relais' migrations made.
fn check_backup(conn: &mut SqliteConnection) -> Result<(), String> {
    let checked: Vec<Checked> = diesel::sql_query("PRAGMA quick_check")
        .load(conn)
        .map_err(|cause| cause.to_string())?;
    if checked.first().map(|row| row.quick_check.as_str()) != Some("ok") {
        return Err("SQLite's quick_check fails".into());
    }
    let migrations: Counted = diesel::sql_query(
        "SELECT count(*) AS tables FROM sqlite_master \
         WHERE type = 'table' AND name = '__diesel_schema_migrations'",
    )
    .get_result(conn)
    .map_err(|cause| cause.to_string())?;
    if migrations.tables == 0 {
        return Err("no migrations table".into());
    }
    Ok(())
}

/// A connection to the existing database file `path` (never creates one), which it only reads.
fn open_existing(path: &Path) -> Result<SqliteConnection, String> {
    if !path.is_file() {
        return Err("no such file".into());
    }
    let location = path.to_str().ok_or("the path is not UTF-8")?;
    let mut conn = SqliteConnection::establish(location).map_err(|cause| cause.to_string())?;
    // Servers may be writing: wait for their locks rather than fail.
    diesel::sql_query("PRAGMA busy_timeout = 10000")
        .execute(&mut conn)
        .map_err(|cause| cause.to_string())?;
    Ok(conn)
}

fn vacuum_into(conn: &mut SqliteConnection, to: &Path) -> Result<(), String> {
    diesel::sql_query("VACUUM INTO ?")
        .bind::<Text, _>(to.display().to_string())
        .execute(conn)
        .map(drop)
        .map_err(|cause| cause.to_string())
}

fn lock_path(database: &Path) -> PathBuf {
    with_suffix(database, ".lock")
}

fn open_lock(database: &Path) -> Result<File, BackupError> {
    let path = lock_path(database);
    OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|cause| file_error(&path, cause))
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

fn remove_if_present(path: &Path) -> Result<(), BackupError> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(cause) if cause.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(cause) => Err(file_error(path, cause)),
    }
}

fn file_error(path: &Path, cause: std::io::Error) -> BackupError {
    BackupError::File {
        path: path.to_owned(),
        cause: cause.to_string(),
    }
}
