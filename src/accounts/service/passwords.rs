//! Passwords: changing one, and the way back for a forgotten one.

use super::addresses::issue_token;
use super::*;
use crate::accounts::store::UsedToken;

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
    check_own_password(db, gate, client, viewer, current, "currentPassword").await?;
    let hash = gate.hash(client, new).await?;
    let user_id = viewer.user_id.clone();
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

/// Checks the viewer's own password before a change to their account, through the password gate
/// (a failure counts against the caller's address and the account); a wrong one, or any for an
/// account without a password (made through a provider), is BAD_USER_INPUT on `field`.
pub async fn check_own_password(
    db: &Db,
    gate: &PasswordGate,
    client: ClientAddress,
    viewer: &Viewer,
    password: SecretString,
    field: &'static str,
) -> AppResult<()> {
    gate.admit(client)?;
    let phc = password_hash(db, &viewer.user_id).await?;
    if gate
        .check(viewer.user_id.as_str(), client, password, phc)
        .await?
    {
        Ok(())
    } else {
        Err(AppError::bad_input(field, Message::WrongPassword))
    }
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
            let Some((user_id, address)) = store::find_address(conn, &email_normalized)? else {
                return Ok(());
            };
            let token = issue_token(
                conn,
                &secret,
                &user_id,
                EmailTokenPurpose::ResetPassword,
                None,
                RESET_VALID,
                Utc::now().naive_utc(),
            )?;
            mail::queue(conn, &user_id, &address, MailKind::ResetPassword { token })?;
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
            &[EmailTokenPurpose::ResetPassword],
            None,
            now.naive_utc(),
        )?;
        let Some(UsedToken { user_id, .. }) = used else {
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
