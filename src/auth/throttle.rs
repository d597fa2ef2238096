//! Slows password guessing, in two ways, kept in memory per process (a restart forgets them,
//! which only ever errs on the side of letting people in):
//!
//! - every client address gets a budget of sign-in calls per minute (`login`, `register`,
//!   `refreshSession`, and every password check), whatever the account;
//! - each account, seen from one address, gets [`MAX_FAILURES`] failed passwords per [`WINDOW`].
//!   An attempt is counted before its password is checked, so parallel guesses cannot slip
//!   through, and attempts refused during a lockout count too. Keyed by address, a lockout
//!   cannot be used to keep the owner out: from their own address they still sign in.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::error::{AppError, AppResult};

/// Failed attempts allowed per account and address within [`WINDOW`].
pub const MAX_FAILURES: usize = 10;
pub const WINDOW: Duration = Duration::from_secs(15 * 60);
/// Account-address pairs tracked at most; beyond, those with no recent failure are forgotten first.
const MAX_TRACKED: usize = 100_000;

/// Which account an attempt is about: a normalised email, or a user id for password checks of a
/// signed-in person.
type Attempt = (String, IpAddr);

pub struct SignInThrottle {
    per_address: DefaultKeyedRateLimiter<IpAddr>,
    failures: Mutex<HashMap<Attempt, VecDeque<Instant>>>,
}

impl SignInThrottle {
    /// `per_minute` sign-in calls per client address.
    pub fn new(per_minute: NonZeroU32) -> Self {
        Self {
            per_address: RateLimiter::keyed(Quota::per_minute(per_minute)),
            failures: Mutex::default(),
        }
    }

    /// Spends one of `address`'s sign-in calls; RATE_LIMITED, with when to retry, when none is left.
    pub fn check_address(&self, address: IpAddr) -> AppResult<()> {
        self.per_address.check_key(&address).map_err(|not_until| {
            AppError::rate_limited(not_until.wait_time_from(DefaultClock::default().now()))
        })
    }

    fn with_failures<T>(
        &self,
        act: impl FnOnce(&mut HashMap<Attempt, VecDeque<Instant>>) -> T,
    ) -> T {
        // A poisoned lock only means another thread panicked mid-update; the counts stay usable.
        let mut failures = self
            .failures
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        act(&mut failures)
    }

    /// Counts an attempt on `account` from `address` before its password is checked; RATE_LIMITED
    /// (the attempt still counted) while the last [`MAX_FAILURES`] attempts fall within [`WINDOW`].
    /// A correct password then calls [`Self::succeeded`], which forgets them.
    pub fn begin_attempt(&self, account: &str, address: IpAddr, now: Instant) -> AppResult<()> {
        self.with_failures(|failures| {
            if failures.len() >= MAX_TRACKED {
                failures.retain(|_, recent| {
                    recent
                        .back()
                        .is_some_and(|last| now.duration_since(*last) < WINDOW)
                });
            }
            let recent = failures.entry((account.to_owned(), address)).or_default();
            recent.retain(|at| now.duration_since(*at) < WINDOW);
            let locked = recent.len() >= MAX_FAILURES;
            recent.push_back(now);
            // Only the latest attempts matter: the lockout lasts until the oldest of them ages out.
            while recent.len() > MAX_FAILURES {
                recent.pop_front();
            }
            match recent.front() {
                Some(oldest) if locked => Err(AppError::rate_limited(
                    WINDOW.saturating_sub(now.duration_since(*oldest)),
                )),
                _ => Ok(()),
            }
        })
    }

    pub fn succeeded(&self, account: &str, address: IpAddr) {
        self.with_failures(|failures| failures.remove(&(account.to_owned(), address)));
    }

    /// Forgets addresses that have their whole budget back, so memory follows recent traffic.
    pub fn forget_idle(&self) {
        self.per_address.retain_recent();
        self.per_address.shrink_to_fit();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOME: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(192, 0, 2, 1));
    const ELSEWHERE: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(198, 51, 100, 7));

    fn throttle() -> SignInThrottle {
        SignInThrottle::new(NonZeroU32::new(3).unwrap_or(NonZeroU32::MIN))
    }

    #[test]
    fn attempts_count_before_the_check_and_during_the_lockout() {
        let throttle = throttle();
        let start = Instant::now();
        for _ in 0..MAX_FAILURES {
            assert!(throttle.begin_attempt("a@b.c", ELSEWHERE, start).is_ok());
        }
        assert!(throttle.begin_attempt("a@b.c", ELSEWHERE, start).is_err());
        // The owner, from another address, is not locked out.
        assert!(throttle.begin_attempt("a@b.c", HOME, start).is_ok());
        throttle.succeeded("a@b.c", HOME);
        // Trying on through the lockout keeps it going past the first attempts' window.
        let later = start + WINDOW - Duration::from_secs(1);
        for _ in 0..MAX_FAILURES {
            assert!(throttle.begin_attempt("a@b.c", ELSEWHERE, later).is_err());
        }
        assert!(
            throttle
                .begin_attempt("a@b.c", ELSEWHERE, start + WINDOW)
                .is_err()
        );
        let quiet = later + WINDOW + Duration::from_secs(1);
        assert!(throttle.begin_attempt("a@b.c", ELSEWHERE, quiet).is_ok());
        throttle.succeeded("a@b.c", ELSEWHERE);
        assert!(throttle.begin_attempt("a@b.c", ELSEWHERE, quiet).is_ok());
    }

    #[test]
    fn each_address_has_its_own_budget_per_minute() {
        let throttle = throttle();
        for _ in 0..3 {
            assert!(throttle.check_address(ELSEWHERE).is_ok());
        }
        match throttle.check_address(ELSEWHERE) {
            Err(AppError::RateLimited { retry_after }) => {
                assert!(retry_after > Duration::ZERO && retry_after <= Duration::from_secs(20))
            }
            other => panic!("expected RATE_LIMITED, got {other:?}"),
        }
        assert!(throttle.check_address(HOME).is_ok());
    }
}
