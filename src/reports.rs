//! What every report to the moderators shares, whatever it is about (a post, a conversation):
//! why it was filed, where it stands, its place in a queue where someone who may need help comes
//! first, and who may work the queues.

use std::fmt::Display;

use crate::accounts::model::Role;
use crate::accounts::service::has_any_role;
use crate::db::DbConnection;
use crate::error::{AppError, AppResult};
use crate::ids::UserId;
use crate::pagination::CursorKey;
use crate::text_enum;

/// The longest reason a reporter or a moderator may give.
pub const REASON_MAX: usize = 1_000;

text_enum! {
    /// Why something is reported.
    pub enum ReportCategory {
        Spam => "SPAM",
        Harassment => "HARASSMENT",
        Privacy => "PRIVACY",
        /// Someone may need help.
        AtRisk => "AT_RISK",
        Other => "OTHER",
    }
}

impl ReportCategory {
    /// Queue order: someone who may need help comes first.
    pub fn priority(self) -> i32 {
        match self {
            Self::AtRisk => 0,
            _ => 1,
        }
    }
}

text_enum! {
    pub enum ReportStatus {
        Open => "OPEN",
        Resolved => "RESOLVED",
    }
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

/// The position of a report in its queue, `priority:id`: what a queue's cursor carries.
pub struct QueuePosition<Id> {
    pub priority: i32,
    pub id: Id,
}

impl<Id: CursorKey> CursorKey for QueuePosition<Id> {
    fn from_cursor(key: &str) -> Option<Self> {
        let (priority, id) = key.split_once(':')?;
        Some(Self {
            priority: priority.parse().ok()?,
            id: Id::from_cursor(id)?,
        })
    }
}

impl<Id: Display> QueuePosition<Id> {
    pub fn key(&self) -> String {
        format!("{}:{}", self.priority, self.id)
    }
}
