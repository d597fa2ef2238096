//! Slows password guessing: after too many failed sign-ins for one email within a window, further
//! attempts are refused (RATE_LIMITED) until the oldest failure leaves the window. Kept in memory,
//! per process; a restart forgets it, which only ever errs on the side of letting people in.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failed attempts allowed per email within [`WINDOW`].
pub const MAX_FAILURES: usize = 10;
pub const WINDOW: Duration = Duration::from_secs(15 * 60);
/// Emails tracked at most; beyond, those with no recent failure are forgotten first.
const MAX_TRACKED: usize = 100_000;

#[derive(Debug, Default)]
pub struct LoginThrottle {
    failures: Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl LoginThrottle {
    fn with_failures<T>(
        &self,
        act: impl FnOnce(&mut HashMap<String, VecDeque<Instant>>) -> T,
    ) -> T {
        // A poisoned lock only means another thread panicked mid-update; the counts stay usable.
        let mut failures = self
            .failures
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        act(&mut failures)
    }

    /// Whether sign-in for `email` (normalised) is refused for now.
    pub fn is_blocked(&self, email: &str, now: Instant) -> bool {
        self.with_failures(|failures| {
            failures.get_mut(email).is_some_and(|recent| {
                recent.retain(|at| now.duration_since(*at) < WINDOW);
                recent.len() >= MAX_FAILURES
            })
        })
    }

    pub fn record_failure(&self, email: &str, now: Instant) {
        self.with_failures(|failures| {
            if failures.len() >= MAX_TRACKED {
                failures.retain(|_, recent| {
                    recent
                        .back()
                        .is_some_and(|last| now.duration_since(*last) < WINDOW)
                });
            }
            let recent = failures.entry(email.to_owned()).or_default();
            recent.retain(|at| now.duration_since(*at) < WINDOW);
            recent.push_back(now);
        });
    }

    pub fn forget(&self, email: &str) {
        self.with_failures(|failures| failures.remove(email));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_after_the_limit_until_failures_age_out() {
        let throttle = LoginThrottle::default();
        let start = Instant::now();
        for _ in 0..MAX_FAILURES {
            assert!(!throttle.is_blocked("a@b.c", start));
            throttle.record_failure("a@b.c", start);
        }
        assert!(throttle.is_blocked("a@b.c", start));
        assert!(!throttle.is_blocked("other@b.c", start));
        assert!(!throttle.is_blocked("a@b.c", start + WINDOW));
        throttle.record_failure("a@b.c", start);
        throttle.forget("a@b.c");
        assert!(!throttle.is_blocked("a@b.c", start));
    }
}
