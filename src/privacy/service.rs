//! Account erasure through the registry.

use secrecy::SecretString;

use super::erase_person;
use crate::accounts::service as accounts;
use crate::auth::{ClientAddress, PasswordGate, Viewer, service as sessions};
use crate::db::Db;
use crate::error::{AppError, AppResult};
use crate::i18n::Message;

/// Erases the viewer's account and everything every domain holds about them, in one
/// transaction, after checking their password (a wrong one is BAD_USER_INPUT on `password`,
/// throttled like a sign-in). Their sessions end everywhere once it commits.
pub async fn delete_account(
    db: &Db,
    gate: &PasswordGate,
    client: ClientAddress,
    viewer: &Viewer,
    password: SecretString,
) -> AppResult<()> {
    let user_id = viewer.user_id.clone();
    gate.admit(client)?;
    let phc = accounts::password_hash(db, &user_id)
        .await?
        .ok_or_else(sessions::session_invalid)?;
    if !gate
        .check(user_id.as_str(), client, password, Some(phc))
        .await?
    {
        return Err(AppError::bad_input("password", Message::WrongPassword));
    }
    db.write(move |conn| erase_person(conn, &user_id)).await
}
