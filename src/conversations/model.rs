//! Conversations, messages and reports of conversations as stored, a conversation as one of its
//! people sees it, and a report as moderators see it.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::{conversation_reports, conversations, messages};
use crate::ids::{ConversationId, ConversationReportId, MessageId, UserId};
use crate::notifications::model::NotificationCategory;
use crate::reports::{QueuePosition, ReportCategory, ReportStatus};

pub const MESSAGE_MAX: usize = 4_000;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = conversations)]
pub struct ConversationRow {
    pub id: ConversationId,
    pub open: bool,
    /// What its message notices are filed under (and whether their pushes show text).
    pub category: NotificationCategory,
    pub created_at: NaiveDateTime,
    pub closed_at: Option<NaiveDateTime>,
    /// Its newest message's time, or its start: what a person's conversations are ordered by.
    pub last_activity_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = messages)]
pub struct MessageRow {
    pub id: MessageId,
    pub conversation_id: ConversationId,
    pub author_id: UserId,
    pub body: String,
    pub created_at: NaiveDateTime,
    /// When its author last changed the body.
    pub edited_at: Option<NaiveDateTime>,
}

/// How long after sending its author may still change a message.
pub const EDIT_WINDOW_MINUTES: i64 = 15;

/// A conversation as one of its two people sees it.
#[derive(Debug, Clone)]
pub struct Conversation {
    pub row: ConversationRow,
    /// The other person; none once they erased their account.
    pub other: Option<UserId>,
    /// Messages of the other person newer than what the viewer has read.
    pub unread: i64,
    /// Up to when the other person has read (read receipts).
    pub other_read_up_to: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = conversation_reports)]
pub struct ConversationReportRow {
    pub id: ConversationReportId,
    pub conversation_id: Option<ConversationId>,
    pub message_id: Option<MessageId>,
    pub reporter_id: Option<UserId>,
    pub category: ReportCategory,
    pub priority: i32,
    pub reason: String,
    pub status: ReportStatus,
    pub created_at: NaiveDateTime,
    pub resolved_at: Option<NaiveDateTime>,
    pub resolved_by: Option<UserId>,
    pub resolution: Option<String>,
    pub conversation_closed: bool,
}

impl ConversationReportRow {
    /// Where the report stands in the moderators' queue.
    pub fn position(&self) -> QueuePosition<ConversationReportId> {
        QueuePosition {
            priority: self.priority,
            id: self.id.clone(),
        }
    }
}

/// A report as moderators see it: the reported message's text and time, never who wrote it, who
/// reported it, or what the conversation belongs to.
#[derive(Debug, Clone)]
pub struct ConversationReport {
    pub row: ConversationReportRow,
    /// The reported message's text and time; none when the reporter pointed at none, or once it
    /// was erased.
    pub message: Option<(String, NaiveDateTime)>,
    /// Whether the conversation is still open; none once it was purged.
    pub conversation_open: Option<bool>,
}
