//! Account rules: who may register, sign in, change and erase what.

use std::collections::HashMap;

use chrono::{NaiveDateTime, TimeDelta, Utc};
use diesel::result::{DatabaseErrorKind, Error as DieselError};

use super::model::{
    Account, BIO_MAX, DEFAULT_TIMEZONE, DISPLAY_NAME_MAX, EMAIL_MAX, EmailTokenPurpose,
    LANGUAGES_MAX, MatchingFacts, NewEmailToken, NewUser, Patch, Profile, ProfileChanges,
    ProfileForm, REGION_MAX, RegistrationForm, Role, WORKPLACE_MAX,
};
use super::store;
use crate::auth::model::IssuedTokens;
use crate::auth::{ClientAddress, PasswordGate, Secret, Viewer, password, service as sessions};
use crate::db::atomic::lock;
use crate::db::{Db, DbConnection};
use crate::error::{AppError, AppResult};
use crate::i18n::{Locale, Message, NotificationText};
use crate::ids::{EmailTokenId, UserId};
use crate::mail::model::MailKind;
use crate::mail::service as mail;
use crate::notifications::model::{Notice, NotificationCategory};
use crate::notifications::service as notifications;
use crate::privacy::{Person, PersonColumn, PersonalData, instant};
use crate::validate;
use secrecy::{ExposeSecret, SecretString};

/// The form an email is compared and stored under: trimmed, lower-cased.
fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}

fn valid_email(email: &str) -> AppResult<String> {
    let email = email.trim();
    if email.chars().count() > EMAIL_MAX || !email_address::EmailAddress::is_valid(email) {
        return Err(AppError::bad_input("email", Message::InvalidEmail));
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

/// Creates an account and signs it in.
pub async fn register(
    db: &Db,
    secret: &Secret,
    gate: &PasswordGate,
    client: ClientAddress,
    form: RegistrationForm,
    fallback_locale: Locale,
) -> AppResult<IssuedTokens> {
    let email = valid_email(&form.email)?;
    valid_password("password", &form.password)?;
    let display_name = validate::name("displayName", &form.display_name, 1, DISPLAY_NAME_MAX)?;
    let locale = match &form.locale {
        Some(value) => valid_locale(value)?,
        None => fallback_locale,
    };
    let languages = match &form.languages {
        Some(values) => validate::languages("languages", values, LANGUAGES_MAX)?,
        None => vec![locale.as_str().to_owned()],
    };
    let region = validate::optional_text("region", form.region.as_deref(), REGION_MAX)?;
    let timezone = validate::timezone(
        "timezone",
        form.timezone.as_deref().unwrap_or(DEFAULT_TIMEZONE),
    )?;

    let password_hash = gate.hash(client, form.password).await?;
    let now = Utc::now();
    let user = NewUser {
        id: UserId::generate(),
        email_normalized: normalize_email(&email),
        email,
        password_hash,
        display_name,
        profession: form.profession,
        region,
        bio: None,
        locale: locale.as_str().to_owned(),
        timezone,
        created_at: now.naive_utc(),
        updated_at: now.naive_utc(),
    };
    let secret = secret.clone();
    db.write(move |conn| {
        store::insert_user(conn, &user).map_err(|cause| match cause {
            DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => {
                AppError::Conflict(Message::EmailTaken)
            }
            other => other.into(),
        })?;
        store::replace_languages(conn, &user.id, &languages)?;
        send_confirmation(conn, &secret, &user.id, &user.email, now.naive_utc())?;
        notifications::notify(
            conn,
            &user.id,
            Notice::new(NotificationCategory::System, NotificationText::Welcome)
                .about(Some(&user.id)),
        )?;
        sessions::start_session(conn, &secret, &user.id, now)
    })
    .await
}

/// Signs in with email and password. A failure takes as long whether or not the email exists,
/// and says the same thing either way; attempts go through the password gate (address budget,
/// account lockout, hashing limit).
pub async fn login(
    db: &Db,
    secret: &Secret,
    gate: &PasswordGate,
    client: ClientAddress,
    email: &str,
    password: SecretString,
) -> AppResult<IssuedTokens> {
    let email_normalized = normalize_email(email);
    gate.admit(client)?;
    let lookup = email_normalized.clone();
    let credentials = db
        .run(move |conn| Ok(store::find_credentials(conn, &lookup)?))
        .await?;
    let (user_id, phc) = credentials.unzip();
    if !gate.check(&email_normalized, client, password, phc).await? {
        return Err(AppError::Unauthenticated(Message::WrongCredentials));
    }
    let user_id = user_id.ok_or(AppError::Unauthenticated(Message::WrongCredentials))?;
    let secret = secret.clone();
    db.write(move |conn| sessions::start_session(conn, &secret, &user_id, Utc::now()))
        .await
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
pub async fn profiles(db: &Db, ids: Vec<UserId>) -> AppResult<Vec<Profile>> {
    db.run(move |conn| load_profiles(conn, &ids)).await
}

/// The account of `user_id`, with its private fields and roles.
pub async fn account(db: &Db, user_id: &UserId) -> AppResult<Account> {
    let user_id = user_id.clone();
    db.run(move |conn| load_account(conn, &user_id)).await
}

/// Changes the viewer's own profile; absent fields stay as they are.
pub async fn update_profile(db: &Db, viewer: &Viewer, form: ProfileForm) -> AppResult<Account> {
    let workplace = patch_text("workplace", form.workplace, WORKPLACE_MAX)?;
    let changes = ProfileChanges {
        display_name: form
            .display_name
            .as_deref()
            .map(|name| validate::name("displayName", name, 1, DISPLAY_NAME_MAX))
            .transpose()?,
        profession: form.profession,
        region: patch_text("region", form.region, REGION_MAX)?,
        bio: patch_text("bio", form.bio, BIO_MAX)?,
        workplace,
        locale: form
            .locale
            .as_deref()
            .map(|value| valid_locale(value).map(|locale| locale.as_str().to_owned()))
            .transpose()?,
        timezone: form
            .timezone
            .as_deref()
            .map(|value| validate::timezone("timezone", value))
            .transpose()?,
        updated_at: Some(Utc::now().naive_utc()),
    };
    let languages = form
        .languages
        .as_deref()
        .map(|values| validate::languages("languages", values, LANGUAGES_MAX))
        .transpose()?;
    let user_id = viewer.user_id.clone();
    db.write(move |conn| {
        // Concurrent updates of one profile take turns: languages are replaced as a whole.
        lock(conn, &user_id)?;
        store::update_profile(conn, &user_id, &changes)?;
        if changes.timezone.is_some() {
            // The weekly check-in reminder keeps its local weekday and time.
            crate::notifications::reminders::reschedule(conn, &user_id, Utc::now())?;
        }
        if let Some(languages) = &languages {
            store::replace_languages(conn, &user_id, languages)?;
        }
        load_account(conn, &user_id)
    })
    .await
}

/// A nullable text field's change: blank or null clears it.
fn patch_text(
    field: &'static str,
    patch: Patch<String>,
    max: usize,
) -> AppResult<Option<Option<String>>> {
    match patch {
        Patch::Keep => Ok(None),
        Patch::Clear => Ok(Some(None)),
        Patch::Set(value) => validate::optional_text(field, Some(&value), max).map(Some),
    }
}

/// The stored password hash of an account, for a password check.
pub async fn password_hash(db: &Db, user_id: &UserId) -> AppResult<Option<String>> {
    let user_id = user_id.clone();
    db.run(move |conn| Ok(store::password_hash(conn, &user_id)?))
        .await
}

/// The account itself: its languages, roles and row, erased last.
pub struct AccountsData;
pub static ACCOUNTS_DATA: AccountsData = AccountsData;

impl PersonalData for AccountsData {
    fn name(&self) -> &'static str {
        "accounts"
    }

    fn columns(&self) -> &'static [PersonColumn] {
        &[
            PersonColumn {
                table: "users",
                column: "id",
            },
            PersonColumn {
                table: "user_languages",
                column: "user_id",
            },
            PersonColumn {
                table: "user_roles",
                column: "user_id",
            },
            // Digests only, gone with the account (cascade).
            PersonColumn {
                table: "email_tokens",
                column: "user_id",
            },
        ]
    }

    fn export(&self, conn: &mut DbConnection, person: &Person) -> AppResult<serde_json::Value> {
        let user = &person.id;
        let account = load_account(conn, user)?;
        let person = &account.profile.user;
        Ok(serde_json::json!({
            "email": person.email,
            "displayName": person.display_name,
            "profession": person.profession.as_str(),
            "languages": account.profile.languages,
            "region": person.region,
            "bio": person.bio,
            "locale": person.locale,
            "timezone": person.timezone,
            "workplace": account.workplace,
            "emailVerified": account.email_verified,
            "createdAt": instant(person.created_at),
            "roles": account.roles.iter().map(|role| role.as_str()).collect::<Vec<_>>(),
        }))
    }

    fn erase(&self, conn: &mut DbConnection, person: &Person) -> AppResult<()> {
        let user = &person.id;
        store::delete_user(conn, user)?;
        Ok(())
    }
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

// ------------------------------------------------------------------ addresses

/// How long an address confirmation stays usable.
const CONFIRMATION_VALID: TimeDelta = TimeDelta::hours(48);
/// Confirmations one person may be sent in an hour (registration's included).
pub const CONFIRMATIONS_PER_HOUR: usize = 3;

/// Sends the person a confirmation of `address`, inside the caller's transaction: a one-time
/// token (only its digest stored) and the mail that carries it.
fn send_confirmation(
    conn: &mut DbConnection,
    secret: &Secret,
    user_id: &UserId,
    address: &str,
    now: NaiveDateTime,
) -> AppResult<()> {
    let id = EmailTokenId::generate();
    let token = mail::token_for(secret, &id);
    store::insert_email_token(
        conn,
        &NewEmailToken {
            id: id.clone(),
            user_id: user_id.clone(),
            purpose: EmailTokenPurpose::ConfirmAddress,
            token_hash: mail::token_digest(secret, &token),
            new_email: None,
            expires_at: now + CONFIRMATION_VALID,
            created_at: now,
        },
    )?;
    mail::queue(
        conn,
        user_id,
        address,
        MailKind::ConfirmAddress { token: id },
    )?;
    Ok(())
}

/// Confirms the viewer's address with the token their mail carried. A token that is not theirs,
/// used, expired or unknown is BAD_USER_INPUT on `token`, the same for each.
pub async fn confirm_email(
    db: &Db,
    secret: &Secret,
    viewer: &Viewer,
    token: &str,
) -> AppResult<Account> {
    let digest = mail::token_digest(secret, token.trim());
    let user_id = viewer.user_id.clone();
    db.write(move |conn| {
        let now = Utc::now().naive_utc();
        let used = store::use_email_token(
            conn,
            &digest,
            EmailTokenPurpose::ConfirmAddress,
            Some(&user_id),
            now,
        )?;
        if used.is_none() {
            return Err(AppError::bad_input("token", Message::InvalidToken));
        }
        store::set_email_verified(conn, &user_id, now)?;
        load_account(conn, &user_id)
    })
    .await
}

/// Sends the viewer a new confirmation; false when their address is already confirmed. At most
/// [`CONFIRMATIONS_PER_HOUR`] an hour: RATE_LIMITED after, saying when the next may go.
pub async fn resend_email_confirmation(
    db: &Db,
    secret: &Secret,
    viewer: &Viewer,
) -> AppResult<bool> {
    let user_id = viewer.user_id.clone();
    let secret = secret.clone();
    db.write(move |conn| {
        lock_own_account(conn, &user_id)?;
        let now = Utc::now().naive_utc();
        let (_, verified_at) = store::private_fields(conn, &user_id)?;
        if verified_at.is_some() {
            return Ok(false);
        }
        let hour = TimeDelta::hours(1);
        let recent = store::email_tokens_since(
            conn,
            &user_id,
            EmailTokenPurpose::ConfirmAddress,
            now - hour,
        )?;
        if recent.len() >= CONFIRMATIONS_PER_HOUR {
            let next = recent[0] + hour;
            return Err(AppError::RateLimited {
                retry_after: (next - now).to_std().unwrap_or_default(),
            });
        }
        let address = store::email_of(conn, &user_id)?.ok_or(AppError::NotFound)?;
        send_confirmation(conn, &secret, &user_id, &address, now)?;
        Ok(true)
    })
    .await
}

// ------------------------------------------------------------------ passwords

/// How long a password reset link stays usable.
const RESET_VALID: TimeDelta = TimeDelta::minutes(30);
/// The least time `requestPasswordReset` takes, whether the address has an account or not: the
/// work it does for an account (a token, a queued mail) always ends well within it.
pub const RESET_REQUEST_TIME: std::time::Duration = std::time::Duration::from_millis(400);

/// Changes the viewer's password after checking the current one (a wrong one is BAD_USER_INPUT
/// on `currentPassword`, counted as a failed sign-in); every other session ends and the person
/// is mailed a notice.
pub async fn change_password(
    db: &Db,
    gate: &PasswordGate,
    client: ClientAddress,
    viewer: &Viewer,
    current: SecretString,
    new: SecretString,
) -> AppResult<bool> {
    valid_password("newPassword", &new)?;
    gate.admit(client)?;
    let user_id = viewer.user_id.clone();
    let phc = password_hash(db, &user_id)
        .await?
        .ok_or(AppError::NotFound)?;
    if !gate
        .check(user_id.as_str(), client, current, Some(phc))
        .await?
    {
        return Err(AppError::bad_input(
            "currentPassword",
            Message::WrongPassword,
        ));
    }
    let hash = gate.hash(client, new).await?;
    let session_id = viewer.session_id.clone();
    db.write(move |conn| {
        lock_own_account(conn, &user_id)?;
        let now = Utc::now().naive_utc();
        store::set_password_hash(conn, &user_id, &hash, now)?;
        sessions::end_other_sessions(conn, &user_id, Some(&session_id))?;
        let address = store::email_of(conn, &user_id)?.ok_or(AppError::NotFound)?;
        mail::queue(conn, &user_id, &address, MailKind::PasswordChanged)?;
        Ok(true)
    })
    .await
}

/// Mails a reset link to `email` when an account has it. Answers the same, in the same time
/// ([`RESET_REQUEST_TIME`] at least), whether it does or not, so that nobody learns which
/// addresses have an account; counts against the sign-in budget of the caller's address and of
/// the account's address.
pub async fn request_password_reset(
    db: &Db,
    secret: &Secret,
    gate: &PasswordGate,
    client: ClientAddress,
    email: &str,
) -> AppResult<bool> {
    let started = tokio::time::Instant::now();
    gate.admit(client)?;
    let email_normalized = normalize_email(email);
    gate.lockout
        .begin_attempt(&email_normalized, client.0)
        .await?;
    let secret = secret.clone();
    let outcome = db
        .write(move |conn| {
            let Some(user_id) = store::find_id_by_email(conn, &email_normalized)? else {
                return Ok(());
            };
            let address = store::email_of(conn, &user_id)?.ok_or(AppError::NotFound)?;
            let now = Utc::now().naive_utc();
            let id = EmailTokenId::generate();
            let token = mail::token_for(&secret, &id);
            store::insert_email_token(
                conn,
                &NewEmailToken {
                    id: id.clone(),
                    user_id: user_id.clone(),
                    purpose: EmailTokenPurpose::ResetPassword,
                    token_hash: mail::token_digest(&secret, &token),
                    new_email: None,
                    expires_at: now + RESET_VALID,
                    created_at: now,
                },
            )?;
            mail::queue(
                conn,
                &user_id,
                &address,
                MailKind::ResetPassword { token: id },
            )?;
            Ok(())
        })
        .await;
    tokio::time::sleep_until(started + RESET_REQUEST_TIME).await;
    outcome.map(|()| true)
}

/// Sets a new password with a reset token (used once, within 30 minutes; otherwise
/// BAD_USER_INPUT on `token`), ends every session of the account, mails a notice, and signs in.
pub async fn reset_password(
    db: &Db,
    secret: &Secret,
    gate: &PasswordGate,
    client: ClientAddress,
    token: &str,
    new: SecretString,
) -> AppResult<IssuedTokens> {
    valid_password("newPassword", &new)?;
    let hash = gate.hash(client, new).await?;
    let digest = mail::token_digest(secret, token.trim());
    let secret = secret.clone();
    db.write(move |conn| {
        let now = Utc::now();
        let used = store::use_email_token(
            conn,
            &digest,
            EmailTokenPurpose::ResetPassword,
            None,
            now.naive_utc(),
        )?;
        let Some((user_id, _)) = used else {
            return Err(AppError::bad_input("token", Message::InvalidToken));
        };
        lock_own_account(conn, &user_id)?;
        store::set_password_hash(conn, &user_id, &hash, now.naive_utc())?;
        sessions::end_other_sessions(conn, &user_id, None)?;
        let address = store::email_of(conn, &user_id)?.ok_or(AppError::NotFound)?;
        mail::queue(conn, &user_id, &address, MailKind::PasswordChanged)?;
        sessions::start_session(conn, &secret, &user_id, now)
    })
    .await
}

/// Marks the person's address as confirmed without a mail: for the operator's tools (the demo
/// seed), whose addresses are nobody's.
pub async fn set_address_confirmed(db: &Db, user_id: &UserId) -> AppResult<()> {
    let user_id = user_id.clone();
    db.write(move |conn| {
        Ok(store::set_email_verified(
            conn,
            &user_id,
            Utc::now().naive_utc(),
        )?)
    })
    .await
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
