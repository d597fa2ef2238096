//! Password hashing with argon2id, behind a concurrency limit.
//!
//! Each hash holds its whole memory cost (19 MiB at OWASP's recommendation) while it runs, so
//! hashing is allowed only a few at a time (about one per core): a burst of sign-ins waits briefly
//! for a turn and is refused (RATE_LIMITED) past that, instead of growing the blocking pool and
//! the server's memory without bound.

use std::sync::Arc;
use std::time::Duration;

use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use rand::rngs::OsRng;
use secrecy::{ExposeSecret, SecretString};
use tokio::sync::{OnceCell, Semaphore};

use crate::db::blocking;
use crate::error::{AppError, AppResult, InternalError};

pub const MIN_LENGTH: usize = 10;
pub const MAX_LENGTH: usize = 256;

/// How much work one hash costs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HashCost {
    pub memory_kib: u32,
    pub passes: u32,
}

impl HashCost {
    /// OWASP's recommendation for argon2id: 19 MiB, 2 passes, 1 lane. The only cost the `relais`
    /// binary uses; the test suite builds its servers with a cheaper one.
    pub const OWASP: HashCost = HashCost {
        memory_kib: 19 * 1024,
        passes: 2,
    };
}

/// Hashes and verifies passwords, a few at a time.
pub struct PasswordHasher {
    params: Params,
    turns: Arc<Semaphore>,
    /// How long a request waits for a turn before it is refused.
    wait: Duration,
    /// A hash of nothing anyone types, verified when there is no account, so that a failed
    /// sign-in takes as long whether or not the email exists.
    decoy: OnceCell<String>,
}

impl PasswordHasher {
    /// How long a request may wait for a turn to hash.
    pub const WAIT: Duration = Duration::from_secs(2);

    /// `concurrency` hashes at once at `cost`.
    pub fn new(cost: HashCost, concurrency: usize) -> AppResult<Self> {
        let params = Params::new(cost.memory_kib, cost.passes, 1, None).map_err(hash_error)?;
        Ok(Self {
            params,
            turns: Arc::new(Semaphore::new(concurrency.max(1))),
            wait: Self::WAIT,
            decoy: OnceCell::new(),
        })
    }

    /// One hash at a time per core.
    pub fn default_concurrency() -> usize {
        std::thread::available_parallelism().map_or(2, usize::from)
    }

    fn argon2(params: Params) -> Argon2<'static> {
        Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
    }

    /// Runs `job` on the blocking pool once a turn is free; RATE_LIMITED when none frees up in time.
    async fn in_turn<T: Send + 'static>(
        &self,
        job: impl FnOnce() -> AppResult<T> + Send + 'static,
    ) -> AppResult<T> {
        let turn = tokio::time::timeout(self.wait, self.turns.clone().acquire_owned())
            .await
            .map_err(|_| AppError::rate_limited(Duration::from_secs(1)))?
            .map_err(|cause| AppError::internal(InternalError::Other(cause.to_string())))?;
        let outcome = blocking(job).await;
        drop(turn);
        outcome
    }

    /// The PHC string of `password` under a fresh salt.
    pub async fn hash(&self, password: SecretString) -> AppResult<String> {
        let params = self.params.clone();
        self.in_turn(move || {
            let salt = SaltString::generate(&mut OsRng);
            Ok(Self::argon2(params)
                .hash_password(password.expose_secret().as_bytes(), &salt)
                .map_err(hash_error)?
                .to_string())
        })
        .await
    }

    /// Whether `password` matches `phc`; with no `phc` (no such account), spends the time of a
    /// verification and answers false.
    pub async fn verify(&self, password: SecretString, phc: Option<String>) -> AppResult<bool> {
        let (phc, real) = match phc {
            Some(phc) => (phc, true),
            None => (self.decoy().await?, false),
        };
        let params = self.params.clone();
        let matches = self
            .in_turn(move || {
                let parsed = PasswordHash::new(&phc).map_err(hash_error)?;
                match Self::argon2(params)
                    .verify_password(password.expose_secret().as_bytes(), &parsed)
                {
                    Ok(()) => Ok(true),
                    Err(argon2::password_hash::Error::Password) => Ok(false),
                    Err(cause) => Err(hash_error(cause)),
                }
            })
            .await?;
        Ok(real && matches)
    }

    async fn decoy(&self) -> AppResult<String> {
        self.decoy
            .get_or_try_init(|| self.hash(SecretString::from("decoy password never matched")))
            .await
            .cloned()
    }
}

fn hash_error(cause: impl std::fmt::Display) -> AppError {
    AppError::Internal(InternalError::PasswordHash(cause.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret(text: &str) -> SecretString {
        SecretString::from(text)
    }

    #[tokio::test]
    async fn hashes_verify_only_their_password() -> AppResult<()> {
        let hasher = PasswordHasher::new(HashCost::OWASP, 1)?;
        let phc = hasher.hash(secret("correct horse battery")).await?;
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(
            hasher
                .verify(secret("correct horse battery"), Some(phc.clone()))
                .await?
        );
        assert!(
            !hasher
                .verify(secret("correct horse battery!"), Some(phc))
                .await?
        );
        assert!(
            !hasher
                .verify(secret("decoy password never matched"), None)
                .await?
        );
        Ok(())
    }

    #[tokio::test]
    async fn a_request_that_finds_no_free_turn_in_time_is_rate_limited() -> AppResult<()> {
        let mut hasher = PasswordHasher::new(HashCost::OWASP, 1)?;
        hasher.wait = Duration::from_millis(10);
        let held = hasher.turns.clone().acquire_owned().await;
        let refused = hasher.hash(secret("a password that waits")).await;
        assert!(matches!(refused, Err(AppError::RateLimited { .. })));
        drop(held);
        assert!(hasher.hash(secret("a password that waits")).await.is_ok());
        Ok(())
    }
}
