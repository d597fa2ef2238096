//! Account rules: who may register, sign in, change and erase what.

use std::collections::HashMap;

use chrono::{NaiveDateTime, TimeDelta, Utc};
use diesel::result::{DatabaseErrorKind, Error as DieselError};

use super::model::{
    Account, BIO_MAX, Consent, ConsentPurpose, DEFAULT_TIMEZONE, DISPLAY_NAME_MAX, EMAIL_MAX,
    EmailTokenPurpose, LANGUAGES_MAX, MatchingFacts, NO_PASSWORD, NewEmailToken, NewUser, Patch,
    Profession, Profile, ProfileChanges, ProfileForm, REGION_MAX, RegistrationForm, Role,
    WORKPLACE_MAX,
};
use super::store;
use crate::auth::model::IssuedTokens;
use crate::auth::{ClientAddress, PasswordGate, Secret, Viewer, password, service as sessions};
use crate::config::ConsentVersions;
use crate::db::atomic::lock;
use crate::db::{Db, DbConnection};
use crate::error::{AppError, AppResult, Prerequisite};
use crate::i18n::{Locale, Message, NotificationText};
use crate::ids::{EmailTokenId, UserId};
use crate::mail::model::MailKind;
use crate::mail::service as mail;
use crate::notifications::model::{Notice, NotificationCategory};
use crate::notifications::service as notifications;
use crate::privacy::{Person, PersonColumn, PersonalData, instant};
use crate::validate;
use secrecy::{ExposeSecret, SecretString};

mod addresses;
mod consents;
mod passwords;
mod personal_data;
mod profiles;
mod registration;

pub use addresses::{
    CONFIRMATIONS_PER_HOUR, confirm_email, request_email_change, resend_email_confirmation,
    set_address_confirmed,
};
pub use consents::{
    consents, consents_needed, give_consent, require_consent, revoke_consent, withdraw_consent,
};
pub use passwords::{
    RESET_REQUEST_TIME, change_password, check_own_password, request_password_reset, reset_password,
};
pub use personal_data::{ACCOUNTS_DATA, AccountsData};
pub use profiles::update_profile;
pub use registration::{ExternalPerson, create_external_account, login, register};

use addresses::send_confirmation;

/// The form an email is compared and stored under: trimmed, lower-cased.
fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}

fn valid_email(field: &'static str, email: &str) -> AppResult<String> {
    let email = email.trim();
    if email.chars().count() > EMAIL_MAX || !email_address::EmailAddress::is_valid(email) {
        return Err(AppError::bad_input(field, Message::InvalidEmail));
    }
    Ok(email.to_owned())
}

fn valid_password(field: &'static str, password: &SecretString) -> AppResult<()> {
    let length = password.expose_secret().chars().count();
    if !(password::MIN_LENGTH..=password::MAX_LENGTH).contains(&length) {
        return Err(AppError::bad_input(
            field,
            Message::LengthBetween {
                min: password::MIN_LENGTH,
                max: password::MAX_LENGTH,
            },
        ));
    }
    Ok(())
}

fn valid_locale(value: &str) -> AppResult<Locale> {
    Locale::parse(value.trim()).ok_or_else(|| {
        AppError::bad_input(
            "locale",
            Message::InvalidLocale {
                value: value.to_owned(),
            },
        )
    })
}

fn load_profiles(conn: &mut DbConnection, ids: &[UserId]) -> AppResult<Vec<Profile>> {
    let users = store::users_by_ids(conn, ids)?;
    let mut languages = store::languages_by_user(conn, ids)?;
    Ok(users
        .into_iter()
        .map(|user| Profile {
            languages: languages.remove(&user.id).unwrap_or_default(),
            user,
        })
        .collect())
}

fn load_account(conn: &mut DbConnection, user_id: &UserId) -> AppResult<Account> {
    let profile = load_profiles(conn, std::slice::from_ref(user_id))?
        .pop()
        .ok_or(AppError::NotFound)?;
    let roles = store::roles(conn, user_id)?;
    let (workplace, email_verified_at) = store::private_fields(conn, user_id)?;
    Ok(Account {
        profile,
        roles,
        workplace,
        email_verified: email_verified_at.is_some(),
    })
}

/// The language the person reads Relais in, inside another domain's transaction (French for an
/// unknown person).
pub fn locale_of(conn: &mut DbConnection, user_id: &UserId) -> AppResult<Locale> {
    Ok(store::locale(conn, user_id)?
        .as_deref()
        .and_then(Locale::parse)
        .unwrap_or_default())
}

/// Locks the person's own account for a write of theirs (a check-in, a message, a post), first in
/// its transaction: an erasure of the account, which takes the same lock first, then runs
/// wholly before the write (and the write is refused: the account is gone) or wholly after it
/// (and erases what it wrote). UNAUTHENTICATED once the account is gone.
pub fn lock_own_account(conn: &mut DbConnection, user_id: &UserId) -> AppResult<()> {
    if lock(conn, user_id)? {
        Ok(())
    } else {
        Err(sessions::session_invalid())
    }
}

/// What matching weighs about these people, inside another domain's transaction (unknown ids
/// are left out). Large id lists are read in chunks the databases' parameter limits allow.
pub fn matching_facts(
    conn: &mut DbConnection,
    ids: &[UserId],
) -> AppResult<HashMap<UserId, MatchingFacts>> {
    const CHUNK: usize = 5_000;
    let mut facts = HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(CHUNK) {
        let mut languages = store::languages_by_user(conn, chunk)?;
        for (id, profession, region, verified_workplace) in store::matching_rows(conn, chunk)? {
            let facts_of = MatchingFacts {
                profession,
                region,
                languages: languages.remove(&id).unwrap_or_default(),
                verified_workplace,
            };
            facts.insert(id, facts_of);
        }
    }
    Ok(facts)
}

/// The person's time zone, inside another domain's transaction (their local day and week).
pub fn timezone_of(conn: &mut DbConnection, user_id: &UserId) -> AppResult<chrono_tz::Tz> {
    let user = store::users_by_ids(conn, std::slice::from_ref(user_id))?
        .pop()
        .ok_or(AppError::NotFound)?;
    // Stored time zones were validated; the default stands in should one ever not parse.
    Ok(user.timezone.parse().unwrap_or(chrono_tz::Europe::Paris))
}

/// The display names of these people, inside another domain's transaction (unknown ids are
/// left out).
pub fn display_names(
    conn: &mut DbConnection,
    ids: &[UserId],
) -> AppResult<HashMap<UserId, String>> {
    Ok(store::users_by_ids(conn, ids)?
        .into_iter()
        .map(|user| (user.id, user.display_name))
        .collect())
}

/// Public profiles of these people (unknown ids are left out).
/// Fills the name keys a migration left empty (when their folding changed); how many.
pub async fn fill_name_keys(db: &Db) -> AppResult<usize> {
    db.write(|conn| Ok(store::fill_name_keys(conn)?)).await
}

/// These people's public profiles by id (unknown or erased ones are left out).
pub async fn profiles(db: &Db, ids: Vec<UserId>) -> AppResult<HashMap<UserId, Profile>> {
    let profiles = db.run(move |conn| load_profiles(conn, &ids)).await?;
    Ok(profiles
        .into_iter()
        .map(|profile| (profile.user.id.clone(), profile))
        .collect())
}

/// The account of `user_id`, with its private fields and roles.
pub async fn account(db: &Db, user_id: &UserId) -> AppResult<Account> {
    let user_id = user_id.clone();
    db.run(move |conn| load_account(conn, &user_id)).await
}

/// The stored password hash of an account, for a password check.
pub async fn password_hash(db: &Db, user_id: &UserId) -> AppResult<Option<String>> {
    let user_id = user_id.clone();
    db.run(move |conn| Ok(store::password_hash(conn, &user_id)?))
        .await
}

/// Everyone holding `role` who speaks `language`, inside another domain's transaction.
pub fn holders_speaking(
    conn: &mut DbConnection,
    role: Role,
    language: &str,
) -> AppResult<Vec<UserId>> {
    Ok(store::holders_speaking(conn, role, language)?)
}

/// The languages a person speaks, in their order, inside another domain's transaction.
pub fn languages_of(conn: &mut DbConnection, user_id: &UserId) -> AppResult<Vec<String>> {
    Ok(
        store::languages_by_user(conn, std::slice::from_ref(user_id))?
            .remove(user_id)
            .unwrap_or_default(),
    )
}

/// Whether an account with this id exists, inside the caller's transaction.
pub fn exists(conn: &mut DbConnection, user_id: &UserId) -> AppResult<bool> {
    Ok(store::user_exists(conn, user_id)?)
}

/// Whether `user_id` holds any of `roles`, inside the caller's transaction.
pub fn has_any_role(conn: &mut DbConnection, user_id: &UserId, roles: &[Role]) -> AppResult<bool> {
    for role in roles {
        if store::has_role(conn, user_id, *role)? {
            return Ok(true);
        }
    }
    Ok(false)
}

/// The id of the account with this email, if any.
pub async fn id_by_email(db: &Db, email: &str) -> AppResult<Option<UserId>> {
    let email_normalized = normalize_email(email);
    db.run(move |conn| Ok(store::find_id_by_email(conn, &email_normalized)?))
        .await
}

/// Grants `role` to the account with this email; returns false when it already had it.
pub async fn grant_role(db: &Db, email: &str, role: Role) -> AppResult<bool> {
    let email_normalized = normalize_email(email);
    db.write(move |conn| {
        let user_id =
            store::find_id_by_email(conn, &email_normalized)?.ok_or(AppError::NotFound)?;
        Ok(store::insert_role(
            conn,
            &user_id,
            role,
            Utc::now().naive_utc(),
        )?)
    })
    .await
}

/// Records what a provider said of the person's profession, inside the caller's transaction:
/// when it verifies professions, the profession becomes the one it gave (verified by it), or,
/// when it gave none, a verification of its own is withdrawn.
pub fn provider_vouched(
    conn: &mut DbConnection,
    user_id: &UserId,
    provider: &str,
    profession: Option<Profession>,
) -> AppResult<()> {
    let now = Utc::now().naive_utc();
    match profession {
        Some(profession) => {
            store::set_verified_profession(conn, user_id, Some((profession, provider)), now)?
        }
        None => withdraw_verification(conn, user_id, provider)?,
    }
    Ok(())
}

/// Withdraws the verification of the person's profession if `provider` gave it (an unlinked or
/// silent provider), inside the caller's transaction.
pub fn withdraw_verification(
    conn: &mut DbConnection,
    user_id: &UserId,
    provider: &str,
) -> AppResult<()> {
    if store::verified_profession(conn, user_id)?.is_some_and(|(_, by)| by == provider) {
        store::set_verified_profession(conn, user_id, None, Utc::now().naive_utc())?;
    }
    Ok(())
}

/// Whether a provider vouched for the person's profession, inside the caller's transaction.
pub fn has_verified_profession(conn: &mut DbConnection, user_id: &UserId) -> AppResult<bool> {
    Ok(store::verified_profession(conn, user_id)?.is_some())
}

/// Which of these people have a profession a provider vouched for, in one query, inside the
/// caller's transaction.
pub fn verified_among(
    conn: &mut DbConnection,
    ids: &[UserId],
) -> AppResult<std::collections::HashSet<UserId>> {
    Ok(store::verified_among(conn, ids)?.into_iter().collect())
}

/// Sets the workplace a provider vouched for (matching keeps apart only people verified alike).
pub fn set_verified_workplace(
    conn: &mut DbConnection,
    user_id: &UserId,
    workplace: Option<&str>,
) -> AppResult<()> {
    Ok(store::set_verified_workplace(conn, user_id, workplace)?)
}

/// Whether the account has a password to sign in with, inside the caller's transaction.
pub fn has_password(conn: &mut DbConnection, user_id: &UserId) -> AppResult<bool> {
    Ok(store::password_hash(conn, user_id)?.is_some())
}

const MODERATOR_ROLES: [Role; 2] = [Role::Moderator, Role::Admin];

/// Whether the person is a MODERATOR or an ADMIN, inside the caller's transaction.
pub fn is_moderator(conn: &mut DbConnection, user_id: &UserId) -> AppResult<bool> {
    has_any_role(conn, user_id, &MODERATOR_ROLES)
}

/// FORBIDDEN unless the person is a MODERATOR or an ADMIN.
pub fn ensure_moderator(conn: &mut DbConnection, user_id: &UserId) -> AppResult<()> {
    if is_moderator(conn, user_id)? {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}
