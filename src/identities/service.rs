//! Sign-in through a provider, from the app's first tap to its session: a flow recorded when it
//! starts, taken once when the provider sends the person back, an account found by the
//! provider's subject (or made on a first sign-in, or linked from a signed-in session: never by
//! matching addresses), and a one-time code the app exchanges for its tokens.

use chrono::Utc;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use serde_json::json;

use super::model::{
    CODE_VALID, ExternalIdentity, FLOW_VALID, NewSignInCode, SignInFailure, SignInFlow,
};
use super::oidc::{Proven, Provider, Providers};
use super::professions::{profession_in, text_claim};
use super::store;
use crate::accounts::service::{self as accounts, ExternalPerson};
use crate::auth::model::IssuedTokens;
use crate::auth::secret::new_token;
use crate::auth::{Secret, Viewer, service as sessions};
use crate::db::{Db, DbConnection};
use crate::error::{AppError, AppResult};
use crate::i18n::{Locale, Message};
use crate::ids::UserId;
use crate::privacy::{Person, PersonColumn, PersonalData, Purged, instant};

/// Where a finished sign-in sends the app, and with what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Signed in: the one-time code to exchange with `completeExternalSignIn`.
    SignedIn { code: String },
    /// The provider is now linked to the account that asked.
    Linked { provider: String },
}

fn digest(secret: &Secret, purpose: &str, value: &str) -> String {
    secret.mac_hex(format!("{purpose}:{value}").as_bytes())
}

/// Starts a sign-in, or with `linking` the link of a provider to that signed-in account: the
/// provider's authorization URL to send the person to, with a flow recorded for their return.
/// NOT_FOUND on `provider` for an unknown one, BAD_USER_INPUT on `redirectUri` for a URI outside
/// `RELAIS_APP_REDIRECT_URIS`; a provider that cannot be reached fails the sign-in.
pub async fn start(
    db: &Db,
    secret: &Secret,
    providers: &Providers,
    provider_id: &str,
    redirect_uri: &str,
    linking: Option<&Viewer>,
) -> AppResult<Result<String, SignInFailure>> {
    let Some(provider) = providers.get(provider_id) else {
        return Err(AppError::NotFoundIn("provider"));
    };
    if !providers.allows_redirect(redirect_uri) {
        return Err(AppError::bad_input(
            "redirectUri",
            Message::RedirectNotAllowed,
        ));
    }
    let authorization = match providers.authorize(provider).await {
        Ok(authorization) => authorization,
        Err(failure) => return Ok(Err(failure)),
    };
    let link_user_id = linking.map(|viewer| viewer.user_id.clone());
    let flow = SignInFlow {
        state_hash: digest(secret, "sign-in-state", &authorization.state),
        provider: provider_id.to_owned(),
        redirect_uri: redirect_uri.to_owned(),
        pkce_verifier: authorization.pkce_verifier,
        nonce: authorization.nonce,
        link_user_id,
        expires_at: (Utc::now() + FLOW_VALID).naive_utc(),
    };
    db.write(move |conn| {
        if let Some(user_id) = &flow.link_user_id {
            accounts::lock_own_account(conn, user_id)?;
        }
        Ok(store::insert_flow(conn, &flow)?)
    })
    .await?;
    Ok(Ok(authorization.url))
}

/// What the provider's redirect back carried.
#[derive(Debug, Clone, Default)]
pub struct Callback {
    pub state: Option<String>,
    pub code: Option<String>,
    /// The provider's own refusal (`access_denied`).
    pub error: Option<String>,
}

/// Finishes a sign-in when the provider sends the person back: `Err(None)` when there is no
/// sign-in to finish (nowhere to send the app), otherwise where the app goes and with what.
pub async fn finish(
    db: &Db,
    secret: &Secret,
    providers: &Providers,
    provider_id: &str,
    callback: Callback,
) -> AppResult<Result<(String, Result<Outcome, SignInFailure>), SignInFailure>> {
    let Some(state) = callback.state.filter(|state| !state.is_empty()) else {
        return Ok(Err(SignInFailure::InvalidState));
    };
    let state_hash = digest(secret, "sign-in-state", &state);
    let Some(flow) = db
        .write(move |conn| Ok(store::take_flow(conn, &state_hash)?))
        .await?
    else {
        return Ok(Err(SignInFailure::InvalidState));
    };
    let redirect = flow.redirect_uri.clone();
    let outcome = match (providers.get(provider_id), callback.error, callback.code) {
        _ if flow.provider != provider_id || flow.expires_at <= Utc::now().naive_utc() => {
            Err(SignInFailure::InvalidState)
        }
        (None, _, _) => Err(SignInFailure::InvalidState),
        (Some(_), Some(_), _) | (Some(_), None, None) => Err(SignInFailure::ProviderRefused),
        (Some(provider), None, Some(code)) => {
            match providers
                .prove(
                    provider,
                    &code,
                    flow.pkce_verifier.clone(),
                    flow.nonce.clone(),
                )
                .await
            {
                Ok(proven) => settle(db, secret, provider, flow, proven).await?,
                Err(failure) => Err(failure),
            }
        }
    };
    Ok(Ok((redirect, outcome)))
}

/// Links or signs in with what the provider proved, in one transaction.
async fn settle(
    db: &Db,
    secret: &Secret,
    provider: &Provider,
    flow: SignInFlow,
    proven: Proven,
) -> AppResult<Result<Outcome, SignInFailure>> {
    let config = provider.config.clone();
    let secret = secret.clone();
    db.write(move |conn| {
        let now = Utc::now().naive_utc();
        let known = store::find_identity(conn, &config.id, &proven.subject)?;
        let user_id = match (&flow.link_user_id, known) {
            (Some(linking), Some(identity)) if identity.user_id == *linking => linking.clone(),
            (Some(_), Some(_)) => return Ok(Err(SignInFailure::IdentityInUse)),
            (Some(linking), None) => {
                accounts::lock_own_account(conn, linking)?;
                if !link(conn, linking, &config.id, &proven.subject, now)? {
                    return Ok(Err(SignInFailure::IdentityInUse));
                }
                linking.clone()
            }
            (None, Some(identity)) => identity.user_id,
            (None, None) => {
                let Some(email) = text_claim(&proven.claims, "email") else {
                    return Ok(Err(SignInFailure::EmailRequired));
                };
                let person = ExternalPerson {
                    email,
                    email_verified: proven.claims.get("email_verified")
                        == Some(&serde_json::Value::Bool(true)),
                    display_name: display_name(&proven),
                    profession: None,
                    locale: text_claim(&proven.claims, "locale")
                        .and_then(|tag| Locale::parse(&tag))
                        .unwrap_or_default(),
                };
                let user_id = match accounts::create_external_account(conn, &secret, person) {
                    Ok(user_id) => user_id,
                    Err(AppError::Conflict(_)) => return Ok(Err(SignInFailure::AccountExists)),
                    Err(AppError::BadInput { .. }) => return Ok(Err(SignInFailure::EmailRequired)),
                    Err(other) => return Err(other),
                };
                if !link(conn, &user_id, &config.id, &proven.subject, now)? {
                    return Ok(Err(SignInFailure::IdentityInUse));
                }
                user_id
            }
        };
        store::identity_signed_in(conn, &config.id, &proven.subject, now)?;
        if config.verifies_profession {
            let profession = profession_in(&config.profession, &proven.claims);
            accounts::provider_vouched(conn, &user_id, &config.id, profession)?;
        }
        if let Some(claim) = &config.workplace_claim {
            // Keyed by provider: matching compares only workplaces verified the same way.
            let workplace =
                text_claim(&proven.claims, claim).map(|place| format!("{}:{place}", config.id));
            accounts::set_verified_workplace(conn, &user_id, workplace.as_deref())?;
        }
        if flow.link_user_id.is_some() {
            return Ok(Ok(Outcome::Linked {
                provider: config.id.clone(),
            }));
        }
        let code = new_token();
        store::insert_code(
            conn,
            &NewSignInCode {
                code_hash: digest(&secret, "sign-in-code", &code),
                user_id,
                expires_at: now + CODE_VALID,
            },
        )?;
        Ok(Ok(Outcome::SignedIn { code }))
    })
    .await
}

/// Links `subject` at `provider` to the account; false when the identity is someone else's or
/// the account has another at this provider (a unique index decides between racing links).
fn link(
    conn: &mut DbConnection,
    user_id: &UserId,
    provider: &str,
    subject: &str,
    now: chrono::NaiveDateTime,
) -> AppResult<bool> {
    let identity = ExternalIdentity {
        provider: provider.to_owned(),
        subject: subject.to_owned(),
        user_id: user_id.clone(),
        linked_at: now,
        last_sign_in_at: None,
    };
    match store::insert_identity(conn, &identity) {
        Ok(()) => Ok(true),
        Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => Ok(false),
        Err(other) => Err(other.into()),
    }
}

/// The name the provider gives: `name`, or the given and family names.
fn display_name(proven: &Proven) -> Option<String> {
    text_claim(&proven.claims, "name").or_else(|| {
        let parts: Vec<String> = ["given_name", "family_name"]
            .iter()
            .filter_map(|claim| text_claim(&proven.claims, claim))
            .collect();
        (!parts.is_empty()).then(|| parts.join(" "))
    })
}

/// Exchanges the one-time code of a finished sign-in for a session: once, within its minute;
/// any other code is BAD_USER_INPUT on `code`.
pub async fn complete(db: &Db, secret: &Secret, code: &str) -> AppResult<IssuedTokens> {
    let code_hash = digest(secret, "sign-in-code", code.trim());
    let secret = secret.clone();
    db.write(move |conn| {
        let now = Utc::now();
        let Some(user_id) = store::use_code(conn, &code_hash, now.naive_utc())? else {
            return Err(AppError::bad_input("code", Message::InvalidToken));
        };
        sessions::start_session(conn, &secret, &user_id, now)
    })
    .await
}

/// The viewer's linked identities, the oldest first.
pub async fn identities(db: &Db, user_id: &UserId) -> AppResult<Vec<ExternalIdentity>> {
    let user_id = user_id.clone();
    db.run(move |conn| Ok(store::identities_of(conn, &user_id)?))
        .await
}

/// Unlinks the viewer's identity at `provider` (NOT_FOUND when there is none), withdrawing the
/// profession it verified; CONFLICT when it is the account's only way in (no password, no other
/// identity).
pub async fn unlink(db: &Db, viewer: &Viewer, provider: &str) -> AppResult<()> {
    let user_id = viewer.user_id.clone();
    let provider = provider.to_owned();
    db.write(move |conn| {
        accounts::lock_own_account(conn, &user_id)?;
        let identities = store::identities_of(conn, &user_id)?;
        if !identities
            .iter()
            .any(|identity| identity.provider == provider)
        {
            return Err(AppError::NotFoundIn("provider"));
        }
        if identities.len() == 1 && !accounts::has_password(conn, &user_id)? {
            return Err(AppError::Conflict(Message::LastWayIn));
        }
        store::delete_identity(conn, &user_id, &provider)?;
        accounts::withdraw_verification(conn, &user_id, &provider)?;
        Ok(())
    })
    .await
}

/// Identities, sign-ins under way and their codes.
pub struct IdentitiesData;
pub static IDENTITIES_DATA: IdentitiesData = IdentitiesData;

impl PersonalData for IdentitiesData {
    fn name(&self) -> &'static str {
        "identities"
    }

    fn columns(&self) -> &'static [PersonColumn] {
        &[
            PersonColumn {
                table: "external_identities",
                column: "user_id",
            },
            PersonColumn {
                table: "sign_in_flows",
                column: "link_user_id",
            },
            PersonColumn {
                table: "external_sign_in_codes",
                column: "user_id",
            },
        ]
    }

    fn export(&self, conn: &mut DbConnection, person: &Person) -> AppResult<serde_json::Value> {
        let identities: Vec<_> = store::identities_of(conn, &person.id)?
            .into_iter()
            .map(|identity| {
                json!({
                    "provider": identity.provider,
                    "subject": identity.subject,
                    "linkedAt": instant(identity.linked_at),
                    "lastSignInAt": identity.last_sign_in_at.map(instant),
                })
            })
            .collect();
        Ok(json!({ "identities": identities }))
    }

    fn erase(&self, conn: &mut DbConnection, person: &Person) -> AppResult<()> {
        store::erase_person(conn, &person.id)?;
        Ok(())
    }

    /// Sign-ins nobody finished and codes nobody exchanged go once they expire.
    fn purge(
        &self,
        conn: &mut DbConnection,
        _: &crate::config::Retention,
        now: chrono::NaiveDateTime,
    ) -> AppResult<Vec<Purged>> {
        Ok(vec![
            Purged {
                kind: "sign-in flows",
                rows: store::delete_expired_flows(conn, now)?,
            },
            Purged {
                kind: "sign-in codes",
                rows: store::delete_expired_codes(conn, now)?,
            },
        ])
    }
}
