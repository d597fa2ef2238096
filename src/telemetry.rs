//! Tracing set-up: `RUST_LOG` filter (default `info`), one line per event.

use tracing_subscriber::EnvFilter;

/// Installs the global subscriber; a second call (as in tests) leaves the first in place.
pub fn init() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let _already_installed = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .try_init();
}
