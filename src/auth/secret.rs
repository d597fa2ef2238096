//! The instance secret: the key of token hashes and of check-in pseudonyms.
//!
//! A pseudonymisation key kept in the database it pseudonymises would be in every dump of it, so
//! the secret lives outside the database: in `RELAIS_SECRET`, or in a file (`RELAIS_SECRET_FILE`,
//! by default `<database>.secret` beside a SQLite file), generated there with mode 0600 the first
//! time a development server starts.

use std::io::Write;
use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use rand::RngCore;
use secrecy::{ExposeSecret, SecretSlice};
use sha2::Sha256;

use crate::config::{ConfigError, SecretSource, check_secret};

/// Key material; its `Debug` output shows nothing of it.
#[derive(Clone, Debug)]
pub struct Secret(SecretSlice<u8>);

impl Secret {
    pub fn new(bytes: Vec<u8>) -> Self {
        Self(SecretSlice::from(bytes))
    }

    /// The secret `source` names, read (or in development generated) and checked.
    pub fn resolve(source: &SecretSource, production: bool) -> Result<Self, ConfigError> {
        let bytes = match source {
            SecretSource::Given(secret) => secret.expose_secret().as_bytes().to_vec(),
            SecretSource::File { path, generate } => read_or_generate(path, *generate)?,
        };
        check_secret(&bytes, production)?;
        Ok(Self::new(bytes))
    }

    /// HMAC-SHA256 of `data` under this secret, hex-encoded.
    pub fn mac_hex(&self, data: &[u8]) -> String {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(self.0.expose_secret())
            .expect("HMAC-SHA256 accepts keys of any length");
        mac.update(data);
        mac.finalize()
            .into_bytes()
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect()
    }
}

fn file_error(path: &Path, cause: impl std::fmt::Display) -> ConfigError {
    ConfigError::SecretFile(format!("{}: {cause}", path.display()))
}

/// The file's secret (surrounding white space ignored); when absent and `generate`, a fresh one
/// written first, readable by its owner only. Two processes starting at once agree: the file is
/// created exclusively and the loser reads the winner's.
fn read_or_generate(path: &Path, generate: bool) -> Result<Vec<u8>, ConfigError> {
    if generate {
        let fresh = URL_SAFE_NO_PAD.encode(random_bytes::<48>());
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        match options.open(path) {
            Ok(mut file) => {
                file.write_all(fresh.as_bytes())
                    .and_then(|()| file.sync_all())
                    .map_err(|cause| file_error(path, cause))?;
                tracing::info!(path = %path.display(), "development secret generated");
            }
            Err(cause) if cause.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(cause) => return Err(file_error(path, cause)),
        }
    }
    let text = std::fs::read_to_string(path).map_err(|cause| file_error(path, cause))?;
    Ok(text.trim().as_bytes().to_vec())
}

/// `N` bytes from the operating system's generator.
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    bytes
}

/// A fresh 256-bit token, URL-safe, shown to its holder once.
pub fn new_token() -> String {
    URL_SAFE_NO_PAD.encode(random_bytes::<32>())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_shows_no_key_material() {
        let secret = Secret::new(b"a secret of at least thirty-two bytes!".to_vec());
        let shown = format!("{secret:?}");
        assert!(!shown.contains("thirty-two"), "{shown}");
    }

    #[cfg(unix)]
    #[test]
    fn a_generated_secret_is_kept_owner_only_and_reused() -> Result<(), Box<dyn std::error::Error>>
    {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("relais.db.secret");
        let source = SecretSource::File {
            path: path.clone(),
            generate: true,
        };
        let first = Secret::resolve(&source, false)?;
        assert_eq!(
            std::fs::metadata(&path)?.permissions().mode() & 0o777,
            0o600
        );
        let again = Secret::resolve(&source, false)?;
        assert_eq!(first.mac_hex(b"x"), again.mac_hex(b"x"));
        let missing = SecretSource::File {
            path: dir.path().join("absent"),
            generate: false,
        };
        assert!(matches!(
            Secret::resolve(&missing, false),
            Err(ConfigError::SecretFile(_))
        ));
        Ok(())
    }
}
