//! The OpenID Connect providers people may sign in with, read from the TOML file
//! `RELAIS_OIDC_PROVIDERS` names, and where their sign-ins may return to the app.

use std::net::IpAddr;
use std::path::Path;

use secrecy::SecretString;
use serde::Deserialize;

use super::ConfigError;

/// Where a provider says what the person's profession is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProfessionSource {
    /// Nowhere: the person chooses theirs.
    None,
    /// A claim of the ID token or of userinfo whose value is a `Profession` name (`NURSE`).
    Claim(String),
    /// Pro Santé Connect's userinfo: the RPPS profession code of the first practice.
    ProSanteConnect,
}

/// One identity provider.
#[derive(Debug, Clone)]
pub struct ProviderConfig {
    /// In URLs (`/auth/{id}/start`) and in the API; letters, digits and `-`.
    pub id: String,
    /// What the sign-in screen shows.
    pub name: String,
    pub issuer: String,
    pub client_id: String,
    pub client_secret: SecretString,
    /// Asked for besides `openid`.
    pub scopes: Vec<String>,
    /// Whether the provider vouches for the professions it gives.
    pub verifies_profession: bool,
    pub profession: ProfessionSource,
    /// A claim naming the person's workplace, which mentorship matching then trusts.
    pub workplace_claim: Option<String>,
}

/// What the identity settings amount to.
#[derive(Debug, Clone, Default)]
pub struct IdentityConfig {
    pub providers: Vec<ProviderConfig>,
    /// The app's URIs a provider's sign-in may return to, exactly as listed.
    pub app_redirect_uris: Vec<String>,
}

/// The issuer and scopes of Pro Santé Connect (production); its sandbox has its own issuer.
pub const PRO_SANTE_CONNECT_ISSUER: &str =
    "https://auth.esw.esante.gouv.fr/auth/realms/esante-wallet";
pub const PRO_SANTE_CONNECT_SCOPES: &[&str] = &["scope_all"];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ProvidersFile {
    #[serde(default)]
    provider: Vec<ProviderEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ProviderEntry {
    id: String,
    name: String,
    issuer: Option<String>,
    client_id: String,
    client_secret_file: std::path::PathBuf,
    scopes: Option<Vec<String>>,
    #[serde(default)]
    verifies_profession: bool,
    profession_claim: Option<String>,
    preset: Option<String>,
    workplace_claim: Option<String>,
}

impl IdentityConfig {
    /// Reads the providers file (when given) and checks every entry; `production` refuses an
    /// issuer over plain http, which is allowed on a loopback address otherwise (a local test
    /// provider).
    pub fn load(
        file: Option<&Path>,
        app_redirect_uris: &[String],
        production: bool,
    ) -> Result<Self, ConfigError> {
        let app_redirect_uris = app_redirect_uris
            .iter()
            .map(|uri| uri.trim())
            .filter(|uri| !uri.is_empty())
            .map(|uri| match reqwest::Url::parse(uri) {
                Ok(_) => Ok(uri.to_owned()),
                Err(_) => Err(ConfigError::Identity(format!(
                    "RELAIS_APP_REDIRECT_URIS: `{uri}` is not a URI such as fr.relais.app:/auth"
                ))),
            })
            .collect::<Result<Vec<_>, _>>()?;
        let Some(file) = file else {
            return Ok(Self {
                providers: Vec::new(),
                app_redirect_uris,
            });
        };
        let fail = |what: String| ConfigError::Identity(format!("{}: {what}", file.display()));
        let text = std::fs::read_to_string(file).map_err(|cause| fail(cause.to_string()))?;
        let parsed: ProvidersFile =
            toml::from_str(&text).map_err(|cause| fail(cause.to_string()))?;
        let mut providers: Vec<ProviderConfig> = Vec::new();
        for entry in parsed.provider {
            let provider = entry.check(file.parent(), production).map_err(&fail)?;
            if providers.iter().any(|known| known.id == provider.id) {
                return Err(fail(format!("provider `{}` twice", provider.id)));
            }
            providers.push(provider);
        }
        if !providers.is_empty() && app_redirect_uris.is_empty() {
            return Err(fail(
                "providers need RELAIS_APP_REDIRECT_URIS, where their sign-ins return".into(),
            ));
        }
        Ok(Self {
            providers,
            app_redirect_uris,
        })
    }
}

impl ProviderEntry {
    fn check(self, base: Option<&Path>, production: bool) -> Result<ProviderConfig, String> {
        let id = self.id.trim().to_owned();
        if id.is_empty()
            || id.len() > 40
            || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        {
            return Err(format!("provider id `{id}`: 1 to 40 letters, digits or -"));
        }
        let preset = self.preset.as_deref().map(str::trim);
        let (issuer, profession, default_scopes) = match (preset, self.profession_claim) {
            (Some("pro-sante-connect"), None) => (
                self.issuer
                    .unwrap_or_else(|| PRO_SANTE_CONNECT_ISSUER.to_owned()),
                ProfessionSource::ProSanteConnect,
                PRO_SANTE_CONNECT_SCOPES
                    .iter()
                    .map(|s| s.to_string())
                    .collect(),
            ),
            (Some("pro-sante-connect"), Some(_)) => {
                return Err(format!(
                    "provider `{id}`: the pro-sante-connect preset reads the profession itself; drop profession_claim"
                ));
            }
            (Some(other), _) => return Err(format!("provider `{id}`: unknown preset `{other}`")),
            (None, claim) => (
                self.issuer
                    .ok_or_else(|| format!("provider `{id}`: issuer missing"))?,
                claim.map_or(ProfessionSource::None, ProfessionSource::Claim),
                vec!["profile".to_owned(), "email".to_owned()],
            ),
        };
        check_issuer(&id, &issuer, production)?;
        if self.verifies_profession && profession == ProfessionSource::None {
            return Err(format!(
                "provider `{id}`: verifies_profession needs profession_claim or a preset"
            ));
        }
        let secret_path = match base {
            Some(base) if self.client_secret_file.is_relative() => {
                base.join(&self.client_secret_file)
            }
            _ => self.client_secret_file.clone(),
        };
        let client_secret = std::fs::read_to_string(&secret_path)
            .map_err(|cause| format!("provider `{id}`: {}: {cause}", secret_path.display()))?
            .trim()
            .to_owned();
        if client_secret.is_empty() {
            return Err(format!(
                "provider `{id}`: {} is empty",
                secret_path.display()
            ));
        }
        Ok(ProviderConfig {
            name: self.name.trim().to_owned(),
            issuer: issuer.trim_end_matches('/').to_owned(),
            client_id: self.client_id,
            client_secret: SecretString::from(client_secret),
            scopes: self.scopes.unwrap_or(default_scopes),
            verifies_profession: self.verifies_profession,
            profession,
            workplace_claim: self.workplace_claim,
            id,
        })
    }
}

/// An issuer is https, or http on a loopback address outside production.
pub fn check_issuer(id: &str, issuer: &str, production: bool) -> Result<(), String> {
    let url = reqwest::Url::parse(issuer)
        .map_err(|_| format!("provider `{id}`: issuer `{issuer}` is not a URL"))?;
    let loopback = url
        .host_str()
        .map(|host| host.trim_start_matches('[').trim_end_matches(']'))
        .is_some_and(|host| {
            host == "localhost" || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
        });
    match url.scheme() {
        "https" => Ok(()),
        "http" if loopback && !production => Ok(()),
        _ => Err(format!(
            "provider `{id}`: issuer `{issuer}` must be https (http only on a loopback address, outside production)"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A providers file in a temporary folder, with its secret beside it.
    fn load(toml: &str, production: bool) -> Result<IdentityConfig, ConfigError> {
        let dir = tempfile::tempdir().expect("a folder");
        std::fs::write(dir.path().join("client.secret"), "s3cret\n").expect("the secret");
        let file = dir.path().join("providers.toml");
        std::fs::write(&file, toml).expect("the file");
        IdentityConfig::load(Some(&file), &["fr.relais.app:/auth".into()], production)
    }

    #[test]
    fn the_pro_sante_connect_preset_fills_in_issuer_scopes_and_profession() {
        let config = load(
            r#"
            [[provider]]
            id = "psc"
            name = "Pro Santé Connect"
            preset = "pro-sante-connect"
            client_id = "relais"
            client_secret_file = "client.secret"
            verifies_profession = true

            [[provider]]
            id = "chu"
            name = "CHU"
            issuer = "https://sso.chu.example/realms/staff/"
            client_id = "relais"
            client_secret_file = "client.secret"
            profession_claim = "profession"
            workplace_claim = "site"
            "#,
            true,
        )
        .expect("a valid file");
        let psc = &config.providers[0];
        assert_eq!(psc.issuer, PRO_SANTE_CONNECT_ISSUER);
        assert_eq!(psc.scopes, ["scope_all"]);
        assert_eq!(psc.profession, ProfessionSource::ProSanteConnect);
        assert_eq!(
            secrecy::ExposeSecret::expose_secret(&psc.client_secret),
            "s3cret"
        );
        let chu = &config.providers[1];
        assert_eq!(chu.issuer, "https://sso.chu.example/realms/staff");
        assert_eq!(chu.scopes, ["profile", "email"]);
        assert_eq!(chu.profession, ProfessionSource::Claim("profession".into()));
        assert!(!chu.verifies_profession);
    }

    #[test]
    fn bad_files_are_refused_naming_the_provider() {
        let entry = |extra: &str| {
            format!(
                "[[provider]]\nid = \"x\"\nname = \"X\"\nclient_id = \"c\"\nclient_secret_file = \"client.secret\"\n{extra}"
            )
        };
        for (toml, production) in [
            (entry("issuer = \"http://sso.example\""), false),
            (entry("issuer = \"http://127.0.0.1:9000\""), true),
            (entry("preset = \"someone-else\""), false),
            (
                entry("issuer = \"https://sso.example\"\nverifies_profession = true"),
                false,
            ),
            (
                entry("issuer = \"https://sso.example\"\ncolour = \"blue\""),
                false,
            ),
            (
                format!(
                    "{}\n{}",
                    entry("issuer = \"https://a.example\""),
                    entry("issuer = \"https://b.example\"")
                ),
                false,
            ),
        ] {
            assert!(load(&toml, production).is_err(), "accepted: {toml}");
        }
        assert!(load(&entry("issuer = \"http://127.0.0.1:9000\""), false).is_ok());
    }

    #[test]
    fn providers_need_somewhere_to_return_to() {
        let dir = tempfile::tempdir().expect("a folder");
        std::fs::write(dir.path().join("client.secret"), "s").expect("the secret");
        let file = dir.path().join("providers.toml");
        std::fs::write(
            &file,
            "[[provider]]\nid = \"x\"\nname = \"X\"\nissuer = \"https://a.example\"\nclient_id = \"c\"\nclient_secret_file = \"client.secret\"\n",
        )
        .expect("the file");
        assert!(IdentityConfig::load(Some(&file), &[], false).is_err());
    }
}
