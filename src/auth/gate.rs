//! What every password check goes through: the caller's address budget, the account's lockout,
//! then the hashing limit, in that order (the cheap refusals first).

use std::net::IpAddr;

use secrecy::SecretString;

use super::password::PasswordHasher;
use super::throttle::{AccountLockout, SignInThrottle};
use crate::error::AppResult;

/// The client's address: the peer's, or the one a trusted reverse proxy put in `X-Forwarded-For`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddress(pub IpAddr);

pub struct PasswordGate {
    pub hasher: PasswordHasher,
    pub throttle: SignInThrottle,
    pub lockout: AccountLockout,
}

impl PasswordGate {
    /// A sign-in call that checks no password (`refreshSession`): the address budget only.
    pub fn admit(&self, client: ClientAddress) -> AppResult<()> {
        self.throttle.check_address(client.0)
    }

    /// The hash of a new password, for `client`.
    pub async fn hash(&self, client: ClientAddress, password: SecretString) -> AppResult<String> {
        self.admit(client)?;
        self.hasher.hash(password).await
    }

    /// Whether `password` opens `account` (a normalised email or a user id), whose stored hash is
    /// `phc` (`None`: no such account; the check takes as long). Counted as an attempt on
    /// `account` from `client` before the hash is checked. The caller has [`Self::admit`]ted the
    /// request first (before looking the hash up).
    pub async fn check(
        &self,
        account: &str,
        client: ClientAddress,
        password: SecretString,
        phc: Option<String>,
    ) -> AppResult<bool> {
        self.lockout.begin_attempt(account, client.0).await?;
        let matches = self.hasher.verify(password, phc).await?;
        if matches {
            self.lockout.succeeded(account, client.0).await?;
        }
        Ok(matches)
    }
}
