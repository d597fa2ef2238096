//! Queuing mails for other domains, inside their transactions, and what the outbox holds about
//! a person.

use chrono::Utc;
use serde_json::json;

use super::model::{MailKind, MailStatus, NewMail};
use super::store;
use crate::auth::Secret;
use crate::db::DbConnection;
use crate::db::events::{Committed, after_commit};
use crate::error::{AppError, AppResult, InternalError};
use crate::ids::{EmailTokenId, MailId, UserId};
use crate::privacy::{Person, PersonColumn, PersonalData, instant};

/// Queues `kind` for `user_id` at `to_address`, in the caller's transaction: it is sent once
/// that commits, never if it rolls back.
pub fn queue(
    conn: &mut DbConnection,
    user_id: &UserId,
    to_address: &str,
    kind: MailKind,
) -> AppResult<MailId> {
    let now = Utc::now().naive_utc();
    let mail = NewMail {
        id: MailId::generate(),
        user_id: user_id.clone(),
        to_address: to_address.to_owned(),
        kind: kind.name().to_owned(),
        params: serde_json::to_string(&kind)
            .map_err(|error| AppError::internal(InternalError::Other(error.to_string())))?,
        status: MailStatus::Pending,
        attempts: 0,
        not_before: now,
        created_at: now,
    };
    store::insert(conn, &mail)?;
    after_commit(Committed::MailQueued);
    Ok(mail.id)
}

/// What the outbox holds about a person: the mails sent to them (kind, state, date).
pub struct MailData;
pub static MAIL_DATA: MailData = MailData;

impl PersonalData for MailData {
    fn name(&self) -> &'static str {
        "mail"
    }

    fn columns(&self) -> &'static [PersonColumn] {
        &[PersonColumn {
            table: "mail_outbox",
            column: "user_id",
        }]
    }

    fn export(&self, conn: &mut DbConnection, person: &Person) -> AppResult<serde_json::Value> {
        let mails: Vec<serde_json::Value> = store::of_person(conn, &person.id)?
            .into_iter()
            .map(|(kind, status, created_at)| {
                json!({ "kind": kind, "status": status.as_str(), "queuedAt": instant(created_at) })
            })
            .collect();
        Ok(json!({ "mails": mails }))
    }

    fn erase(&self, conn: &mut DbConnection, person: &Person) -> AppResult<()> {
        store::erase_person(conn, &person.id)?;
        Ok(())
    }
}

/// The one-time token of email token `id`: derived under the instance secret, so that only its
/// digest needs storing and a copy of the database alone cannot produce it.
pub fn token_for(secret: &Secret, id: &EmailTokenId) -> String {
    let mac = secret.mac_hex(format!("email-token:{id}").as_bytes());
    mac[..32].to_owned()
}

/// What is stored of a token, and looked up when it comes back.
pub fn token_digest(secret: &Secret, token: &str) -> String {
    secret.mac_hex(format!("email-token-digest:{token}").as_bytes())
}
