//! The conversation with OpenID Connect providers, through the openidconnect crate: discovery
//! (kept an hour), the authorization URL with PKCE, `state` and `nonce`, the code exchange, the
//! ID token's checks (signature against the provider's published keys, issuer, audience, expiry,
//! nonce: all the crate's), and userinfo.

use std::time::{Duration, Instant};

use base64::Engine;
use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreGenderClaim, CoreProviderMetadata,
};
use openidconnect::{
    AccessToken, AdditionalClaims, AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl,
    Nonce, OAuth2TokenResponse, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope,
    TokenResponse, UserInfoClaims,
};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use tokio::sync::RwLock;

use super::model::SignInFailure;
use crate::config::{IdentityConfig, ProviderConfig};

/// How long a provider's discovery document and keys are trusted before they are read again.
const DISCOVERY_KEPT: Duration = Duration::from_secs(3600);
/// Time allowed for each request to a provider.
const PROVIDER_TIMEOUT: Duration = Duration::from_secs(10);

/// Every claim of a userinfo answer, for the provider-specific ones (a profession, a workplace).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct OtherClaims {
    #[serde(flatten)]
    pub all: Map<String, Value>,
}

impl AdditionalClaims for OtherClaims {}

/// The configured providers and what was discovered of them.
pub struct Providers {
    http: reqwest::Client,
    /// `RELAIS_PUBLIC_URL`: providers send people back to `{base}/auth/{id}/callback`.
    public_url: String,
    app_redirect_uris: Vec<String>,
    entries: Vec<Provider>,
}

pub struct Provider {
    pub config: ProviderConfig,
    discovered: RwLock<Option<(CoreProviderMetadata, Instant)>>,
}

/// Where to send the person, and what must come back with them.
pub struct Authorization {
    pub url: String,
    pub state: String,
    pub pkce_verifier: String,
    pub nonce: String,
}

/// What a provider proved about the person.
#[derive(Debug, Clone)]
pub struct Proven {
    pub subject: String,
    /// The ID token's claims, then userinfo's over them.
    pub claims: Map<String, Value>,
}

impl Providers {
    pub fn new(config: &IdentityConfig, public_url: &str) -> Result<Self, String> {
        let http = reqwest::Client::builder()
            // A provider's answer never redirects us elsewhere (no server-side request forgery).
            .redirect(reqwest::redirect::Policy::none())
            .timeout(PROVIDER_TIMEOUT)
            .build()
            .map_err(|cause| cause.to_string())?;
        Ok(Self {
            http,
            public_url: public_url.to_owned(),
            app_redirect_uris: config.app_redirect_uris.clone(),
            entries: config
                .providers
                .iter()
                .map(|config| Provider {
                    config: config.clone(),
                    discovered: RwLock::new(None),
                })
                .collect(),
        })
    }

    pub fn all(&self) -> impl Iterator<Item = &ProviderConfig> {
        self.entries.iter().map(|entry| &entry.config)
    }

    pub fn get(&self, id: &str) -> Option<&Provider> {
        self.entries.iter().find(|entry| entry.config.id == id)
    }

    /// Whether the app may be sent back to `uri`: exactly one of `RELAIS_APP_REDIRECT_URIS`.
    pub fn allows_redirect(&self, uri: &str) -> bool {
        self.app_redirect_uris.iter().any(|allowed| allowed == uri)
    }

    async fn client(&self, provider: &Provider) -> Result<ProviderClient, SignInFailure> {
        let metadata = provider.metadata(&self.http).await?;
        let callback = format!("{}/auth/{}/callback", self.public_url, provider.config.id);
        let redirect = RedirectUrl::new(callback).map_err(|_| SignInFailure::Misconfigured)?;
        Ok(CoreClient::from_provider_metadata(
            metadata,
            ClientId::new(provider.config.client_id.clone()),
            Some(ClientSecret::new(
                secrecy::ExposeSecret::expose_secret(&provider.config.client_secret).to_owned(),
            )),
        )
        .set_redirect_uri(redirect))
    }

    /// The provider's authorization URL for a new sign-in.
    pub async fn authorize(&self, provider: &Provider) -> Result<Authorization, SignInFailure> {
        let client = self.client(provider).await?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let mut request = client.authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        );
        for scope in &provider.config.scopes {
            request = request.add_scope(Scope::new(scope.clone()));
        }
        let (url, state, nonce) = request.set_pkce_challenge(challenge).url();
        Ok(Authorization {
            url: url.to_string(),
            state: state.secret().clone(),
            pkce_verifier: verifier.secret().clone(),
            nonce: nonce.secret().clone(),
        })
    }

    /// Exchanges the provider's code, checks its ID token against `nonce`, and reads userinfo
    /// when the provider has it.
    pub async fn prove(
        &self,
        provider: &Provider,
        code: &str,
        pkce_verifier: String,
        nonce: String,
    ) -> Result<Proven, SignInFailure> {
        let client = self.client(provider).await?;
        let response = client
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .map_err(|_| SignInFailure::Misconfigured)?
            .set_pkce_verifier(PkceCodeVerifier::new(pkce_verifier))
            .request_async(&self.http)
            .await
            .map_err(|cause| {
                tracing::warn!(provider = %provider.config.id, error = %cause, "code exchange failed");
                match cause {
                    openidconnect::RequestTokenError::ServerResponse(_) => {
                        SignInFailure::ProviderRefused
                    }
                    _ => SignInFailure::ProviderUnavailable,
                }
            })?;
        let id_token = response.id_token().ok_or(SignInFailure::InvalidToken)?;
        let verified = id_token
            .claims(&client.id_token_verifier(), &Nonce::new(nonce))
            .map_err(|cause| {
                tracing::warn!(provider = %provider.config.id, error = %cause, "ID token refused");
                SignInFailure::InvalidToken
            })?;
        let subject = verified.subject().to_string();
        // Verified above; read again whole for the claims the crate's types leave out.
        let mut claims = payload_of(&id_token.to_string()).ok_or(SignInFailure::InvalidToken)?;
        if let Ok(request) = client.user_info(
            AccessToken::new(response.access_token().secret().clone()),
            Some(verified.subject().clone()),
        ) {
            let info: UserInfoClaims<OtherClaims, CoreGenderClaim> =
                request.request_async(&self.http).await.map_err(|cause| {
                    tracing::warn!(provider = %provider.config.id, error = %cause, "userinfo failed");
                    SignInFailure::ProviderUnavailable
                })?;
            claims.extend(info.additional_claims().all.clone());
        }
        Ok(Proven { subject, claims })
    }
}

type ProviderClient = openidconnect::core::CoreClient<
    openidconnect::EndpointSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointMaybeSet,
    openidconnect::EndpointMaybeSet,
>;

impl Provider {
    async fn metadata(
        &self,
        http: &reqwest::Client,
    ) -> Result<CoreProviderMetadata, SignInFailure> {
        if let Some((metadata, read_at)) = &*self.discovered.read().await
            && read_at.elapsed() < DISCOVERY_KEPT
        {
            return Ok(metadata.clone());
        }
        let issuer =
            IssuerUrl::new(self.config.issuer.clone()).map_err(|_| SignInFailure::Misconfigured)?;
        let metadata = CoreProviderMetadata::discover_async(issuer, http)
            .await
            .map_err(|cause| {
                tracing::warn!(provider = %self.config.id, error = %cause, "discovery failed");
                SignInFailure::ProviderUnavailable
            })?;
        *self.discovered.write().await = Some((metadata.clone(), Instant::now()));
        Ok(metadata)
    }
}

/// The claims of a compact JWT whose signature was checked already.
fn payload_of(jwt: &str) -> Option<Map<String, Value>> {
    let payload = jwt.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    serde_json::from_slice(&bytes).ok()
}
