//! Password hashing with argon2id at OWASP's recommended cost (19 MiB, 2 passes, 1 lane).

use std::sync::OnceLock;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use rand::rngs::OsRng;

use crate::error::{AppError, AppResult, InternalError};

pub const MIN_LENGTH: usize = 10;
pub const MAX_LENGTH: usize = 256;

fn hasher() -> AppResult<Argon2<'static>> {
    let params = Params::new(19 * 1024, 2, 1, None).map_err(hash_error)?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

fn hash_error(cause: impl std::fmt::Display) -> AppError {
    AppError::Internal(InternalError::PasswordHash(cause.to_string()))
}

/// The PHC string of `password` under a fresh salt. CPU-heavy: call it on a blocking thread.
pub fn hash(password: &str) -> AppResult<String> {
    let salt = SaltString::generate(&mut OsRng);
    Ok(hasher()?
        .hash_password(password.as_bytes(), &salt)
        .map_err(hash_error)?
        .to_string())
}

/// Whether `password` matches `phc`. CPU-heavy: call it on a blocking thread.
pub fn verify(password: &str, phc: &str) -> AppResult<bool> {
    let parsed = PasswordHash::new(phc).map_err(hash_error)?;
    match hasher()?.verify_password(password.as_bytes(), &parsed) {
        Ok(()) => Ok(true),
        Err(argon2::password_hash::Error::Password) => Ok(false),
        Err(cause) => Err(hash_error(cause)),
    }
}

/// Spends the time of one verification when there is no account to check, so that a failed
/// sign-in takes as long whether or not the email exists.
pub fn verify_against_nothing(password: &str) -> AppResult<()> {
    static DECOY: OnceLock<String> = OnceLock::new();
    let decoy = match DECOY.get() {
        Some(decoy) => decoy,
        None => {
            let fresh = hash("decoy password never matched")?;
            DECOY.get_or_init(|| fresh)
        }
    };
    verify(password, decoy).map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_only_their_password() -> AppResult<()> {
        let phc = hash("correct horse battery")?;
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(verify("correct horse battery", &phc)?);
        assert!(!verify("correct horse battery!", &phc)?);
        Ok(())
    }
}
