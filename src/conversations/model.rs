//! Conversations and messages as stored, and a conversation as one of its people sees it.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::{conversations, messages};
use crate::ids::{ConversationId, MessageId, UserId};
use crate::notifications::model::NotificationCategory;

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
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = messages)]
pub struct MessageRow {
    pub id: MessageId,
    pub conversation_id: ConversationId,
    pub author_id: UserId,
    pub body: String,
    pub created_at: NaiveDateTime,
}

/// A conversation as one of its two people sees it.
#[derive(Debug, Clone)]
pub struct Conversation {
    pub row: ConversationRow,
    /// Messages of the other person newer than what the viewer has read.
    pub unread: i64,
    /// Up to when the other person has read (read receipts).
    pub other_read_up_to: Option<NaiveDateTime>,
}
