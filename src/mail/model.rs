//! A mail as the outbox keeps it: who it is for, where it goes, what it is (never its text).

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use crate::db::schema::mail_outbox;
use crate::ids::{EmailTokenId, MailId, UserId};
use crate::text_enum;

text_enum! {
    pub enum MailStatus {
        Pending => "PENDING",
        Sent => "SENT",
        Failed => "FAILED",
        /// No longer needed when its turn came (an address confirmed meanwhile).
        Cancelled => "CANCELLED",
    }
}

/// What a mail says, kept until it is sent. A one-time token travels as its id: the token is
/// derived under the instance secret when the mail is written, so no table holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum MailKind {
    /// Confirm the address given at registration (or asked again).
    ConfirmAddress { token: EmailTokenId },
    /// The password was changed (or reset): if it was not them, they should act.
    PasswordChanged,
    /// A link to choose a new password, valid 30 minutes.
    ResetPassword { token: EmailTokenId },
    /// Confirm a new address for the account (sent to that address).
    ConfirmNewAddress { token: EmailTokenId },
    /// Someone signed in as the person asked to move the account to `new_address` (sent to
    /// the current one): if it was not them, they should act.
    AddressChangeRequested { new_address: String },
}

impl MailKind {
    /// The stable name stored with the mail.
    pub fn name(&self) -> &'static str {
        match self {
            Self::ConfirmAddress { .. } => "CONFIRM_ADDRESS",
            Self::PasswordChanged => "PASSWORD_CHANGED",
            Self::ResetPassword { .. } => "RESET_PASSWORD",
            Self::ConfirmNewAddress { .. } => "CONFIRM_NEW_ADDRESS",
            Self::AddressChangeRequested { .. } => "ADDRESS_CHANGE_REQUESTED",
        }
    }
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = mail_outbox)]
pub struct NewMail {
    pub id: MailId,
    pub user_id: UserId,
    pub to_address: String,
    pub kind: String,
    pub params: String,
    pub status: MailStatus,
    pub attempts: i32,
    pub not_before: NaiveDateTime,
    pub created_at: NaiveDateTime,
}

/// A claimed mail with what its text needs: the recipient's name and language.
#[derive(Debug, Clone)]
pub struct Outgoing {
    pub id: MailId,
    pub attempts: i32,
    pub to_address: String,
    pub kind: Option<MailKind>,
    pub name: String,
    pub locale: String,
    /// Whether the recipient's address is confirmed by now.
    pub address_confirmed: bool,
}
