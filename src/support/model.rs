//! Support requests as stored.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::support_requests;
use crate::ids::{ConversationId, SupportRequestId, UserId};
use crate::text_enum;

/// Longest note a requester may add.
pub const NOTE_MAX: usize = 500;
/// Most requests `mySupportRequests` and `openSupportRequests` return (newest first).
pub const LIST_MAX: usize = 200;

text_enum! {
    pub enum SupportRequestStatus {
        /// Waiting for a peer supporter.
        Open => "OPEN",
        /// A supporter took it; the conversation is open.
        Taken => "TAKEN",
        Closed => "CLOSED",
        /// The requester withdrew it while OPEN.
        Withdrawn => "WITHDRAWN",
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = support_requests)]
pub struct SupportRequestRow {
    pub id: SupportRequestId,
    pub requester_id: UserId,
    pub supporter_id: Option<UserId>,
    pub status: SupportRequestStatus,
    pub note: Option<String>,
    pub language: String,
    pub conversation_id: Option<ConversationId>,
    pub created_at: NaiveDateTime,
    pub taken_at: Option<NaiveDateTime>,
    pub closed_at: Option<NaiveDateTime>,
}

/// A request as one person sees it.
#[derive(Debug, Clone)]
pub struct SupportRequestCard {
    pub row: SupportRequestRow,
    /// A supporter looking at an open request they have not taken sees only the requester's
    /// display name, profession and the request's language.
    pub requester_masked: bool,
    pub conversation: Option<crate::conversations::model::Conversation>,
}
