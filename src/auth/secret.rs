//! The instance secret: the key of token hashes and of check-in pseudonyms.

use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;

use crate::db::Db;
use crate::error::AppResult;

/// Key material, never logged.
#[derive(Clone)]
pub struct Secret(Arc<[u8]>);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(..)")
    }
}

impl Secret {
    pub fn new(bytes: Vec<u8>) -> Self {
        Self(bytes.into())
    }

    /// The configured secret, or in development the one generated the first time this database
    /// was used (kept in the database, so restarts keep sessions and pseudonyms stable).
    pub async fn resolve(configured: Option<Vec<u8>>, db: &Db) -> AppResult<Self> {
        if let Some(bytes) = configured {
            return Ok(Self::new(bytes));
        }
        let generated = URL_SAFE_NO_PAD.encode(random_bytes::<48>());
        let stored = db
            .run(move |conn| super::store::setting_or_insert(conn, "secret", &generated))
            .await?;
        Ok(Self::new(stored.into_bytes()))
    }

    /// HMAC-SHA256 of `data` under this secret, hex-encoded.
    pub fn mac_hex(&self, data: &[u8]) -> String {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.0)
            .expect("HMAC-SHA256 accepts keys of any length");
        mac.update(data);
        mac.finalize()
            .into_bytes()
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect()
    }
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
