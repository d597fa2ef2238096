//! Registration and sign-in.

use super::*;

/// Creates an account and signs it in.
pub async fn register(
    db: &Db,
    secret: &Secret,
    gate: &PasswordGate,
    client: ClientAddress,
    form: RegistrationForm,
    fallback_locale: Locale,
) -> AppResult<IssuedTokens> {
    let email = valid_email("email", &form.email)?;
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
        create_account(conn, &secret, &user, &languages, false)?;
        sessions::start_session(conn, &secret, &user.id, now)
    })
    .await
}

/// Creates an account inside the caller's transaction (CONFLICT when its address is taken):
/// its languages, a welcome, and a confirmation mail unless `address_confirmed` already.
fn create_account(
    conn: &mut DbConnection,
    secret: &Secret,
    user: &NewUser,
    languages: &[String],
    address_confirmed: bool,
) -> AppResult<()> {
    store::insert_user(conn, user).map_err(|cause| match cause {
        DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => {
            AppError::Conflict(Message::EmailTaken)
        }
        other => other.into(),
    })?;
    store::replace_languages(conn, &user.id, languages)?;
    if address_confirmed {
        store::set_email_verified(conn, &user.id, user.created_at)?;
    } else {
        send_confirmation(conn, secret, &user.id, &user.email, user.created_at)?;
    }
    notifications::notify(
        conn,
        &user.id,
        Notice::new(NotificationCategory::System, NotificationText::Welcome).about(Some(&user.id)),
    )?;
    Ok(())
}

/// What an identity provider says of a person signing in with it for the first time.
#[derive(Debug, Clone)]
pub struct ExternalPerson {
    pub email: String,
    /// Whether the provider vouches for the address.
    pub email_verified: bool,
    pub display_name: Option<String>,
    pub profession: Option<Profession>,
    pub locale: Locale,
}

/// Creates an account for a person a provider vouched for, inside the caller's transaction:
/// no password (they sign in with the provider), the provider's address (confirmed when it
/// says so; CONFLICT when an account has it: linking happens only from a signed-in session,
/// never by matching addresses), a display name from the provider's (editable).
pub fn create_external_account(
    conn: &mut DbConnection,
    secret: &Secret,
    person: ExternalPerson,
) -> AppResult<UserId> {
    let email = valid_email("email", &person.email)?;
    let display_name = person
        .display_name
        .as_deref()
        .and_then(|name| validate::name("displayName", name, 1, DISPLAY_NAME_MAX).ok())
        .unwrap_or_else(|| email.split('@').next().unwrap_or_default().to_owned());
    let now = Utc::now().naive_utc();
    let user = NewUser {
        id: UserId::generate(),
        email_normalized: normalize_email(&email),
        email,
        password_hash: NO_PASSWORD.to_owned(),
        display_name,
        profession: person.profession.unwrap_or(Profession::Other),
        region: None,
        bio: None,
        locale: person.locale.as_str().to_owned(),
        timezone: DEFAULT_TIMEZONE.to_owned(),
        created_at: now,
        updated_at: now,
    };
    let languages = [person.locale.as_str().to_owned()];
    create_account(conn, secret, &user, &languages, person.email_verified)?;
    Ok(user.id)
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
