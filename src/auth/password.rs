//! Password hashing with argon2id, behind a concurrency limit.
//!
//! Each hash holds its whole memory cost (19 MiB at OWASP's recommendation) while it runs, so
//! hashing is allowed only a few at a time (about one per core): a burst of sign-ins waits briefly
//! for a turn and is refused (RATE_LIMITED) past that, instead of growing the blocking pool and
//! the server's memory without bound. Each turn also reuses one of a fixed set of work buffers:
//! allocating 19 MiB per hash on whichever blocking thread runs it lets the allocator keep a
//! freed copy per thread, and the process grew past 1.5 GB under a burst that way.

use std::sync::Arc;
use std::time::Duration;

use std::sync::Mutex;

use argon2::password_hash::{Output, ParamsString, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use rand::rngs::OsRng;
use secrecy::{ExposeSecret, SecretString};
use tokio::sync::{OnceCell, Semaphore};

use crate::config::HashCost;
use crate::db::blocking;
use crate::error::{AppError, AppResult, InternalError};

pub const MIN_LENGTH: usize = 10;
pub const MAX_LENGTH: usize = 256;

/// Hashes and verifies passwords, a few at a time.
pub struct PasswordHasher {
    params: Params,
    turns: Arc<Semaphore>,
    /// One argon2 work area per turn, reused from hash to hash.
    work_areas: Arc<Mutex<Vec<Vec<Block>>>>,
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
            work_areas: Arc::default(),
            wait: Self::WAIT,
            decoy: OnceCell::new(),
        })
    }

    /// One hash at a time per core.
    pub fn default_concurrency() -> usize {
        std::thread::available_parallelism().map_or(2, usize::from)
    }

    /// Runs `job` on the blocking pool with a work area, once a turn is free; RATE_LIMITED when
    /// none frees up in time.
    async fn in_turn<T: Send + 'static>(
        &self,
        job: impl FnOnce(&mut Vec<Block>) -> AppResult<T> + Send + 'static,
    ) -> AppResult<T> {
        let turn = tokio::time::timeout(self.wait, self.turns.clone().acquire_owned())
            .await
            .map_err(|_| AppError::rate_limited(Duration::from_secs(1)))?
            .map_err(|cause| AppError::internal(InternalError::Other(cause.to_string())))?;
        let work_areas = self.work_areas.clone();
        let outcome = blocking(move || {
            let take = |areas: &Mutex<Vec<Vec<Block>>>| {
                areas
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner())
                    .pop()
            };
            let mut area = take(&work_areas).unwrap_or_default();
            let outcome = job(&mut area);
            work_areas
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .push(area);
            outcome
        })
        .await;
        drop(turn);
        outcome
    }

    /// The PHC string of `password` under a fresh salt.
    pub async fn hash(&self, password: SecretString) -> AppResult<String> {
        let params = self.params.clone();
        self.in_turn(move |area| {
            let salt = SaltString::generate(&mut OsRng);
            let mut salt_bytes = [0u8; 64];
            let salt_bytes = salt.decode_b64(&mut salt_bytes).map_err(hash_error)?;
            let mut digest = [0u8; Params::DEFAULT_OUTPUT_LEN];
            run_argon2(
                &params,
                password.expose_secret(),
                salt_bytes,
                &mut digest,
                area,
            )?;
            let phc = PasswordHash {
                algorithm: argon2::ARGON2ID_IDENT,
                version: Some(Version::V0x13.into()),
                params: ParamsString::try_from(&params).map_err(hash_error)?,
                salt: Some(salt.as_salt()),
                hash: Some(Output::new(&digest).map_err(hash_error)?),
            };
            Ok(phc.to_string())
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
        let matches = self
            .in_turn(move |area| {
                let parsed = PasswordHash::new(&phc).map_err(hash_error)?;
                let expected = parsed
                    .hash
                    .ok_or_else(|| hash_error("no hash in PHC string"))?;
                if parsed.algorithm != argon2::ARGON2ID_IDENT {
                    return Err(hash_error("not argon2id"));
                }
                let params = Params::try_from(&parsed).map_err(hash_error)?;
                let salt = parsed
                    .salt
                    .ok_or_else(|| hash_error("no salt in PHC string"))?;
                let mut salt_bytes = [0u8; 64];
                let salt_bytes = salt.decode_b64(&mut salt_bytes).map_err(hash_error)?;
                let mut digest = vec![0u8; expected.len()];
                run_argon2(
                    &params,
                    password.expose_secret(),
                    salt_bytes,
                    &mut digest,
                    area,
                )?;
                // Output compares in constant time.
                Ok(Output::new(&digest).map_err(hash_error)? == expected)
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

/// Argon2id of `password` and `salt` under `params` into `digest`, working in `area` (grown to
/// the size `params` asks for the first time).
fn run_argon2(
    params: &Params,
    password: &str,
    salt: &[u8],
    digest: &mut [u8],
    area: &mut Vec<Block>,
) -> AppResult<()> {
    if area.len() < params.block_count() {
        area.resize(params.block_count(), Block::new());
    }
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone())
        .hash_password_into_with_memory(password.as_bytes(), salt, digest, &mut area[..])
        .map_err(hash_error)
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
    async fn hashes_made_by_argon2s_own_hasher_still_verify() -> AppResult<()> {
        use argon2::password_hash::PasswordHasher as _;
        let cheap = HashCost {
            memory_kib: 64,
            passes: 1,
        };
        let params = Params::new(cheap.memory_kib, cheap.passes, 1, None).map_err(hash_error)?;
        let salt = SaltString::generate(&mut OsRng);
        let stored = Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
            .hash_password(b"an older password", &salt)
            .map_err(hash_error)?
            .to_string();
        let hasher = PasswordHasher::new(HashCost::OWASP, 1)?;
        assert!(
            hasher
                .verify(secret("an older password"), Some(stored.clone()))
                .await?
        );
        assert!(
            !hasher
                .verify(secret("an older passwore"), Some(stored))
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
