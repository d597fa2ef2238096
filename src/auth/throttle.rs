//! Slows password guessing, in two ways:
//!
//! - every client address gets a budget of sign-in calls per minute (`login`, `register`,
//!   `refreshSession`, and every password check), whatever the account. It is kept in memory per
//!   process: it guards the instance's own CPU and memory (each call may hash a password), so each
//!   instance counting its own is what it is for, and a restart forgetting it errs on the side of
//!   letting people in;
//! - each account, seen from one address, gets [`MAX_FAILURES`] failed passwords, counted until
//!   [`WINDOW`] passes without an attempt. This is the guarantee against guessing, so it is
//!   counted in the database, where every instance sees the same attempts: spreading guesses over
//!   instances gains nothing. An attempt is counted (one atomic statement) before its password is
//!   checked, so parallel guesses cannot slip through, and attempts refused during a lockout count
//!   too. Keyed by address, a lockout cannot be used to
//!   keep the owner out: from their own address they still sign in.

use chrono::Utc;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::net::IpAddr;
use std::num::NonZeroU32;

use super::Secret;
use super::store;
use crate::db::Db;
use crate::error::{AppError, AppResult};

/// Failed attempts allowed per account and address.
pub const MAX_FAILURES: usize = 10;
/// How long without an attempt before the count starts again.
pub const WINDOW: chrono::TimeDelta = chrono::TimeDelta::minutes(15);

/// The per-address budget of sign-in calls, per process.
pub struct SignInThrottle {
    per_address: DefaultKeyedRateLimiter<IpAddr>,
}

impl SignInThrottle {
    /// `per_minute` sign-in calls per client address.
    pub fn new(per_minute: NonZeroU32) -> Self {
        Self {
            per_address: RateLimiter::keyed(Quota::per_minute(per_minute)),
        }
    }

    /// Spends one of `address`'s sign-in calls; RATE_LIMITED, with when to retry, when none is left.
    pub fn check_address(&self, address: IpAddr) -> AppResult<()> {
        self.per_address.check_key(&address).map_err(|not_until| {
            AppError::rate_limited(not_until.wait_time_from(DefaultClock::default().now()))
        })
    }

    /// Forgets addresses that have their whole budget back, so memory follows recent traffic.
    pub fn forget_idle(&self) {
        self.per_address.retain_recent();
        self.per_address.shrink_to_fit();
    }
}

/// The lockout of an account from an address, counted in the database.
pub struct AccountLockout {
    db: Db,
    /// Keys the attempts: the table holds no readable email, user id or address.
    secret: Secret,
}

impl AccountLockout {
    pub fn new(db: Db, secret: Secret) -> Self {
        Self { db, secret }
    }

    fn key(&self, account: &str, address: IpAddr) -> String {
        self.secret
            .mac_hex(format!("sign-in attempt\n{account}\n{address}").as_bytes())
    }

    /// Counts an attempt on `account` from `address` before its password is checked;
    /// RATE_LIMITED (the attempt still counted) beyond [`MAX_FAILURES`]. The count restarts once
    /// [`WINDOW`] has passed since the previous attempt, so trying on through a lockout keeps it
    /// going. A correct password then calls [`Self::succeeded`], which forgets the count.
    pub async fn begin_attempt(&self, account: &str, address: IpAddr) -> AppResult<()> {
        let key = self.key(account, address);
        self.db
            .run(move |conn| {
                let now = Utc::now().naive_utc();
                let attempts = store::count_attempt(conn, &key, now, now - WINDOW)?;
                if attempts as usize > MAX_FAILURES {
                    Err(AppError::rate_limited(WINDOW.to_std().unwrap_or_default()))
                } else {
                    Ok(())
                }
            })
            .await
    }

    pub async fn succeeded(&self, account: &str, address: IpAddr) -> AppResult<()> {
        let key = self.key(account, address);
        self.db
            .run(move |conn| Ok(store::forget_attempts(conn, &key).map(drop)?))
            .await
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    const HOME: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(192, 0, 2, 1));
    const ELSEWHERE: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(198, 51, 100, 7));

    fn throttle() -> SignInThrottle {
        SignInThrottle::new(NonZeroU32::new(3).unwrap_or(NonZeroU32::MIN))
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
