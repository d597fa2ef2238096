//! Addresses: confirming the one given, changing it.

use super::*;

/// How long an address confirmation stays usable.
const CONFIRMATION_VALID: TimeDelta = TimeDelta::hours(48);
/// Confirmations one person may be sent in an hour (registration's included), and likewise
/// address changes: each mails an address the person typed.
pub const CONFIRMATIONS_PER_HOUR: usize = 3;

/// Makes a one-time token for `purpose`, inside the caller's transaction: only its digest is
/// stored, and the mail that carries it derives it again from the id it returns.
pub(super) fn issue_token(
    conn: &mut DbConnection,
    secret: &Secret,
    user_id: &UserId,
    purpose: EmailTokenPurpose,
    new_email: Option<String>,
    valid: TimeDelta,
    now: NaiveDateTime,
) -> AppResult<EmailTokenId> {
    let id = EmailTokenId::generate();
    let token = mail::token_for(secret, &id);
    store::insert_email_token(
        conn,
        &NewEmailToken {
            id: id.clone(),
            user_id: user_id.clone(),
            purpose,
            token_hash: mail::token_digest(secret, &token),
            new_email,
            expires_at: now + valid,
            created_at: now,
        },
    )?;
    Ok(id)
}

/// Sends the person a confirmation of `address`, inside the caller's transaction.
pub(super) fn send_confirmation(
    conn: &mut DbConnection,
    secret: &Secret,
    user_id: &UserId,
    address: &str,
    now: NaiveDateTime,
) -> AppResult<()> {
    let token = issue_token(
        conn,
        secret,
        user_id,
        EmailTokenPurpose::ConfirmAddress,
        None,
        CONFIRMATION_VALID,
        now,
    )?;
    mail::queue(conn, user_id, address, MailKind::ConfirmAddress { token })?;
    Ok(())
}

/// RATE_LIMITED, saying when the next may go, once the person was sent
/// [`CONFIRMATIONS_PER_HOUR`] tokens for `purpose` in the last hour.
fn within_hourly_budget(
    conn: &mut DbConnection,
    user_id: &UserId,
    purpose: EmailTokenPurpose,
    now: NaiveDateTime,
) -> AppResult<()> {
    let hour = TimeDelta::hours(1);
    let recent = store::email_tokens_since(conn, user_id, purpose, now - hour)?;
    match recent.first() {
        Some(oldest) if recent.len() >= CONFIRMATIONS_PER_HOUR => Err(AppError::RateLimited {
            retry_after: (*oldest + hour - now).to_std().unwrap_or_default(),
        }),
        _ => Ok(()),
    }
}

/// Confirms an address of the viewer's with the token their mail carried: the one they have,
/// or the new one an address change asked for (which becomes theirs now; CONFLICT when another
/// account took it meanwhile, or had it all along). A token that is not theirs, used, expired
/// or unknown is BAD_USER_INPUT on `token`, the same for each.
pub async fn confirm_email(
    db: &Db,
    secret: &Secret,
    viewer: &Viewer,
    token: &str,
) -> AppResult<Account> {
    let digest = mail::token_digest(secret, token.trim());
    let user_id = viewer.user_id.clone();
    db.write(move |conn| {
        lock_own_account(conn, &user_id)?;
        let now = Utc::now().naive_utc();
        let used = store::use_email_token(
            conn,
            &digest,
            &[
                EmailTokenPurpose::ConfirmAddress,
                EmailTokenPurpose::ChangeAddress,
            ],
            Some(&user_id),
            now,
        )?
        .ok_or_else(|| AppError::bad_input("token", Message::InvalidToken))?;
        match used.new_email {
            Some(address) if used.purpose == EmailTokenPurpose::ChangeAddress => {
                store::set_email(conn, &user_id, &address, &normalize_email(&address), now)
                    .map_err(|cause| match cause {
                        DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => {
                            AppError::Conflict(Message::EmailTaken)
                        }
                        other => other.into(),
                    })?;
                // What was mailed to the old address (a confirmation, a reset link) ends here.
                store::expire_email_tokens(conn, &user_id, now)?;
            }
            _ => store::set_email_verified(conn, &user_id, now)?,
        }
        load_account(conn, &user_id)
    })
    .await
}

/// Asks to move the viewer's account to `new_email`, after checking their password (a wrong
/// one is BAD_USER_INPUT on `password`, counted as a failed sign-in): the new address is sent a
/// code, the current one a notice, and nothing changes until the code comes back. An address
/// another account has answers the same (nobody learns who has an account) and is refused only
/// at confirmation. [`CONFIRMATIONS_PER_HOUR`] an hour at most.
pub async fn request_email_change(
    db: &Db,
    secret: &Secret,
    gate: &PasswordGate,
    client: ClientAddress,
    viewer: &Viewer,
    new_email: &str,
    password: SecretString,
) -> AppResult<bool> {
    let new_email = valid_email("newEmail", new_email)?;
    check_own_password(db, gate, client, viewer, password, "password").await?;
    let user_id = viewer.user_id.clone();
    let secret = secret.clone();
    db.write(move |conn| {
        lock_own_account(conn, &user_id)?;
        let now = Utc::now().naive_utc();
        within_hourly_budget(conn, &user_id, EmailTokenPurpose::ChangeAddress, now)?;
        let current = store::email_of(conn, &user_id)?.ok_or(AppError::NotFound)?;
        let token = issue_token(
            conn,
            &secret,
            &user_id,
            EmailTokenPurpose::ChangeAddress,
            Some(new_email.clone()),
            CONFIRMATION_VALID,
            now,
        )?;
        mail::queue(
            conn,
            &user_id,
            &new_email,
            MailKind::ConfirmNewAddress { token },
        )?;
        mail::queue(
            conn,
            &user_id,
            &current,
            MailKind::AddressChangeRequested {
                new_address: new_email,
            },
        )?;
        Ok(true)
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
        within_hourly_budget(conn, &user_id, EmailTokenPurpose::ConfirmAddress, now)?;
        let address = store::email_of(conn, &user_id)?.ok_or(AppError::NotFound)?;
        send_confirmation(conn, &secret, &user_id, &address, now)?;
        Ok(true)
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
