//! FCM HTTP v1: an OAuth2 access token from the service account (a signed JWT exchanged at the
//! account's `token_uri`, cached and renewed before expiry, shared by all workers), then
//! `POST {endpoint}/v1/projects/{project_id}/messages:send`.

use std::path::Path;
use std::time::{Duration, Instant};

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::StatusCode;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use tokio::sync::Mutex;

pub const MESSAGING_SCOPE: &str = "https://www.googleapis.com/auth/firebase.messaging";
/// Renew the access token this long before it expires.
const RENEW_MARGIN: Duration = Duration::from_secs(300);

/// The fields of a Firebase service-account JSON file that sending needs.
#[derive(Debug, Clone, Deserialize)]
pub struct ServiceAccount {
    pub project_id: String,
    pub client_email: String,
    /// PEM; `Debug` shows nothing of it.
    #[serde(deserialize_with = "secret_string")]
    pub private_key: SecretString,
    #[serde(default)]
    pub private_key_id: Option<String>,
    pub token_uri: String,
}

fn secret_string<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<SecretString, D::Error> {
    String::deserialize(deserializer).map(SecretString::from)
}

impl ServiceAccount {
    pub fn load(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|cause| format!("cannot read {}: {cause}", path.display()))?;
        serde_json::from_str(&text)
            .map_err(|cause| format!("{} is not a service-account JSON: {cause}", path.display()))
    }
}

/// The claims of the JWT exchanged for an access token.
#[derive(Debug, Serialize, Deserialize)]
pub struct AssertionClaims {
    pub iss: String,
    pub scope: String,
    pub aud: String,
    pub iat: i64,
    pub exp: i64,
}

/// What became of one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendOutcome {
    /// Accepted; FCM's name for the message.
    Sent { name: String },
    /// The token no longer reaches a device: forget it.
    DeviceGone { reason: String },
    /// Try this message again later; FCM may say when (a device's or a topic's rate limit).
    Retry {
        after: Option<Duration>,
        reason: String,
    },
    /// FCM cannot be reached or is failing as a whole (network, timeouts, 5xx, credentials):
    /// nothing about this message is wrong, so it waits without spending an attempt.
    Unavailable {
        after: Option<Duration>,
        reason: String,
    },
    /// FCM refused the message itself: retrying would not help.
    Rejected { reason: String },
}

struct AccessToken {
    value: String,
    renew_at: Instant,
}

pub struct FcmClient {
    http: reqwest::Client,
    send_url: String,
    account: ServiceAccount,
    signing_key: EncodingKey,
    token: Mutex<Option<AccessToken>>,
}

impl FcmClient {
    pub fn new(account: ServiceAccount, endpoint: &str, timeout: Duration) -> Result<Self, String> {
        let signing_key = EncodingKey::from_rsa_pem(account.private_key.expose_secret().as_bytes())
            .map_err(|cause| format!("private_key is not an RSA key in PEM: {cause}"))?;
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .build()
            .map_err(|cause| format!("HTTP client: {cause}"))?;
        Ok(Self {
            http,
            send_url: format!(
                "{}/v1/projects/{}/messages:send",
                endpoint.trim_end_matches('/'),
                account.project_id
            ),
            account,
            signing_key,
            token: Mutex::new(None),
        })
    }

    /// A valid access token: the cached one unless it is near expiry or is `rejected`.
    async fn access_token(&self, rejected: Option<&str>) -> Result<String, String> {
        let mut cached = self.token.lock().await;
        if let Some(token) = cached.as_ref()
            && Instant::now() < token.renew_at
            && rejected != Some(token.value.as_str())
        {
            return Ok(token.value.clone());
        }
        let fresh = self.fetch_access_token().await?;
        let value = fresh.value.clone();
        *cached = Some(fresh);
        Ok(value)
    }

    async fn fetch_access_token(&self) -> Result<AccessToken, String> {
        #[derive(Deserialize)]
        struct TokenResponse {
            access_token: String,
            expires_in: u64,
        }
        let now = chrono::Utc::now().timestamp();
        let claims = AssertionClaims {
            iss: self.account.client_email.clone(),
            scope: MESSAGING_SCOPE.to_owned(),
            aud: self.account.token_uri.clone(),
            iat: now,
            exp: now + 3600,
        };
        let mut header = Header::new(Algorithm::RS256);
        header.kid = self.account.private_key_id.clone();
        let assertion = jsonwebtoken::encode(&header, &claims, &self.signing_key)
            .map_err(|cause| format!("signing the token request: {cause}"))?;
        let response = self
            .http
            .post(&self.account.token_uri)
            .form(&[
                ("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"),
                ("assertion", assertion.as_str()),
            ])
            .send()
            .await
            .map_err(|cause| format!("token endpoint unreachable: {cause}"))?;
        let status = response.status();
        if !status.is_success() {
            return Err(format!("token endpoint answered {status}"));
        }
        let token: TokenResponse = response
            .json()
            .await
            .map_err(|cause| format!("token endpoint answer unreadable: {cause}"))?;
        let lifetime = Duration::from_secs(token.expires_in);
        let renew_in = lifetime.saturating_sub(RENEW_MARGIN).max(lifetime / 2);
        tracing::debug!(expires_in = token.expires_in, "FCM access token obtained");
        Ok(AccessToken {
            value: token.access_token,
            renew_at: Instant::now() + renew_in,
        })
    }

    async fn post(
        &self,
        token: &str,
        message: &serde_json::Value,
    ) -> Result<reqwest::Response, reqwest::Error> {
        self.http
            .post(&self.send_url)
            .bearer_auth(token)
            .json(message)
            .send()
            .await
    }

    /// Sends one message. A 401 renews the access token once and tries again.
    pub async fn send(&self, message: &serde_json::Value) -> SendOutcome {
        let token = match self.access_token(None).await {
            Ok(token) => token,
            Err(reason) => {
                return SendOutcome::Unavailable {
                    after: None,
                    reason,
                };
            }
        };
        let mut response = self.post(&token, message).await;
        if matches!(&response, Ok(answer) if answer.status() == StatusCode::UNAUTHORIZED) {
            let renewed = match self.access_token(Some(&token)).await {
                Ok(renewed) => renewed,
                Err(reason) => {
                    return SendOutcome::Unavailable {
                        after: None,
                        reason,
                    };
                }
            };
            response = self.post(&renewed, message).await;
        }
        match response {
            Ok(answer) => classify(answer).await,
            Err(cause) => SendOutcome::Unavailable {
                after: None,
                reason: format!("network: {cause}"),
            },
        }
    }
}

/// FCM's error body: `{"error": {"status", "message", "details": [{"errorCode"}, {"fieldViolations"}]}}`.
#[derive(Debug, Default, Deserialize)]
struct ErrorBody {
    #[serde(default)]
    error: ErrorDetail,
}

#[derive(Debug, Default, Deserialize)]
struct ErrorDetail {
    #[serde(default)]
    status: String,
    #[serde(default)]
    message: String,
    #[serde(default)]
    details: Vec<serde_json::Value>,
}

impl ErrorDetail {
    fn error_code(&self) -> Option<&str> {
        self.details
            .iter()
            .find_map(|detail| detail["errorCode"].as_str())
    }

    /// Whether a 400 is about the registration token rather than the message.
    fn blames_token(&self) -> bool {
        let field_is_token = self.details.iter().any(|detail| {
            detail["fieldViolations"]
                .as_array()
                .is_some_and(|violations| {
                    violations
                        .iter()
                        .any(|violation| violation["field"] == "message.token")
                })
        });
        field_is_token
            || self
                .message
                .to_ascii_lowercase()
                .contains("registration token")
    }
}

fn retry_after(response: &reqwest::Response) -> Option<Duration> {
    let value = response
        .headers()
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?;
    if let Ok(seconds) = value.trim().parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = chrono::DateTime::parse_from_rfc2822(value.trim()).ok()?;
    (at.with_timezone(&chrono::Utc) - chrono::Utc::now())
        .to_std()
        .ok()
}

async fn classify(response: reqwest::Response) -> SendOutcome {
    let status = response.status();
    if status.is_success() {
        #[derive(Deserialize)]
        struct Accepted {
            name: String,
        }
        return match response.json::<Accepted>().await {
            Ok(accepted) => SendOutcome::Sent {
                name: accepted.name,
            },
            Err(cause) => SendOutcome::Retry {
                after: None,
                reason: format!("unreadable success answer: {cause}"),
            },
        };
    }
    let after = retry_after(&response);
    let body: ErrorBody = response.json().await.unwrap_or_default();
    let error = body.error;
    let reason = format!(
        "{status} {} {}",
        error.status,
        error.error_code().unwrap_or_default()
    )
    .trim()
    .to_owned();
    match status {
        StatusCode::NOT_FOUND
            if error.error_code() == Some("UNREGISTERED") || error.status == "NOT_FOUND" =>
        {
            SendOutcome::DeviceGone { reason }
        }
        StatusCode::BAD_REQUEST if error.blames_token() => SendOutcome::DeviceGone { reason },
        StatusCode::FORBIDDEN if error.error_code() == Some("SENDER_ID_MISMATCH") => {
            SendOutcome::DeviceGone { reason }
        }
        StatusCode::TOO_MANY_REQUESTS => SendOutcome::Retry { after, reason },
        // Still refused after renewing the access token: the credentials, not the message.
        StatusCode::UNAUTHORIZED => SendOutcome::Unavailable { after, reason },
        status if status.is_server_error() => SendOutcome::Unavailable { after, reason },
        _ => SendOutcome::Rejected { reason },
    }
}
