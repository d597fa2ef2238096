//! What every report to the moderators shares, whatever it is about (a post, a conversation):
//! why it was filed, where it stands, its place in a queue where someone who may need help comes
//! first. Who may work the queues is the accounts' to say (`accounts::service::is_moderator`).

use std::fmt::Display;

use crate::pagination::CursorKey;
use crate::text_enum;

/// The longest reason a reporter or a moderator may give.
pub const REASON_MAX: usize = 1_000;

text_enum! {
    /// Why something is reported.
    pub enum ReportCategory {
        /// Spam or advertising.
        Spam => "SPAM",
        /// Harassment or abuse.
        Harassment => "HARASSMENT",
        /// It exposes someone's private or health information.
        Privacy => "PRIVACY",
        /// Someone may need help.
        AtRisk => "AT_RISK",
        /// Something else.
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
    /// Where a report stands.
    pub enum ReportStatus {
        /// Waiting for a moderator.
        Open => "OPEN",
        /// A moderator dealt with it.
        Resolved => "RESOLVED",
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
