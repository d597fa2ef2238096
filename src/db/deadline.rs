//! A bound on each statement's time, so that no request can hold a connection for long.
//!
//! PostgreSQL ends a statement itself (`statement_timeout`, set on each pooled connection).
//! SQLite has no such setting: a progress handler, which SQLite calls every few thousand
//! virtual-machine steps of a running statement, interrupts it once the statement's deadline has
//! passed. Diesel exposes no connection handle, so the handler is installed as an automatic
//! extension (run by SQLite on every connection it opens); the deadline lives in the thread that
//! runs the statement, set and cleared by the connection's instrumentation around each statement.
//! This is the crate's one use of `unsafe`: two calls into SQLite's C interface.
//!
//! On either backend, a statement that fails after its deadline marks the thread's job as
//! overrun, and [`Db::run`](super::Db::run) and [`Db::write`](super::Db::write) turn the job's
//! failure into [`AppError::StatementTimeout`].
#![allow(unsafe_code)]

use std::cell::Cell;
use std::os::raw::{c_char, c_int, c_void};
use std::sync::Once;
use std::time::{Duration, Instant};

use libsqlite3_sys as ffi;

use crate::error::{AppError, AppResult};

/// The bound when none is configured: ten times the slowest whole job the benchmarks measure (the
/// wellbeing release, about half a second for 1,000 groups) and as long as a request may wait for
/// a pooled connection; no request's statement comes near it.
pub const STATEMENT_TIMEOUT_DEFAULT: Duration = Duration::from_secs(5);

/// Virtual-machine steps between two looks at the clock: tens of microseconds of work.
const STEPS_BETWEEN_CHECKS: c_int = 10_000;

thread_local! {
    /// When the statement this thread is running must have ended (SQLite's handler reads it).
    static RUNNING_UNTIL: Cell<Option<Instant>> = const { Cell::new(None) };
    /// Whether a statement of this thread's current job failed past its deadline.
    static OVERRAN: Cell<bool> = const { Cell::new(false) };
}

/// Installs the progress handler on every SQLite connection opened from now on.
pub(super) fn install_sqlite_handler() {
    static INSTALLED: Once = Once::new();
    INSTALLED.call_once(|| {
        // SAFETY: `bound_statements` has the entry-point signature SQLite expects and stays valid
        // for the life of the process.
        let status = unsafe { ffi::sqlite3_auto_extension(Some(bound_statements)) };
        if status != ffi::SQLITE_OK {
            tracing::error!(status, "SQLite statements run without a time bound");
        }
    });
}

/// SQLite's entry point for each new connection: installs the progress handler on it.
unsafe extern "C" fn bound_statements(
    db: *mut ffi::sqlite3,
    _error_message: *mut *mut c_char,
    _api: *const ffi::sqlite3_api_routines,
) -> c_int {
    // SAFETY: SQLite hands over a valid connection being opened; the handler takes no data.
    unsafe {
        ffi::sqlite3_progress_handler(
            db,
            STEPS_BETWEEN_CHECKS,
            Some(past_deadline),
            std::ptr::null_mut(),
        )
    };
    ffi::SQLITE_OK
}

/// Non-zero (interrupt the statement) once the running statement's deadline has passed.
extern "C" fn past_deadline(_: *mut c_void) -> c_int {
    RUNNING_UNTIL.with(|until| until.get().is_some_and(|until| Instant::now() >= until)) as c_int
}

/// A statement starts on this thread, to end within `timeout` (`None`: unbounded).
pub(super) fn statement_started(timeout: Option<Duration>) {
    RUNNING_UNTIL.with(|until| until.set(timeout.map(|timeout| Instant::now() + timeout)));
}

/// The statement ended; a failure past its deadline marks the job as overrun.
pub(super) fn statement_finished(failed: bool) {
    let until = RUNNING_UNTIL.with(|until| until.take());
    if failed && until.is_some_and(|until| Instant::now() >= until) {
        OVERRAN.with(|overran| overran.set(true));
    }
}

/// Runs a job of database work on this thread: a failure that comes from a statement stopped at
/// its deadline becomes [`AppError::StatementTimeout`].
pub(super) fn bounded_job<T>(
    timeout: Duration,
    job: impl FnOnce() -> AppResult<T>,
) -> AppResult<T> {
    OVERRAN.with(|overran| overran.set(false));
    let outcome = job();
    if outcome.is_err() && OVERRAN.with(|overran| overran.take()) {
        let maximum_ms = u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX);
        return Err(AppError::StatementTimeout { maximum_ms });
    }
    outcome
}
