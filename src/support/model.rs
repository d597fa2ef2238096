//! Support requests as stored.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::{outreach_offers, support_requests};
use crate::ids::{ConversationId, OutreachId, SupportRequestId, UserId};
use crate::text_enum;

/// Support requests one person may open in a day (and one open at a time).
pub const REQUESTS_PER_DAY: i64 = 3;
/// Longest note a requester may add.
pub const NOTE_MAX: usize = 500;
/// Longest note an outreach suggestion may carry.
pub const OUTREACH_NOTE_MAX: usize = 280;
/// Outreach suggestions one person may make per week…
pub const OUTREACH_PER_ASKER: i64 = 3;
/// …and one colleague may receive per week, from anyone.
pub const OUTREACH_PER_COLLEAGUE: i64 = 1;

text_enum! {
    /// Where a support request stands.
    pub enum SupportRequestStatus {
        /// Waiting for a peer supporter.
        Open => "OPEN",
        /// A supporter took it; the conversation is open.
        Taken => "TAKEN",
        /// Ended by either person (or expired); its conversation is read-only.
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
    /// When the request, left waiting, was followed up (once).
    pub followed_up_at: Option<NaiveDateTime>,
    /// Who suggested the outreach that opened it: it is never shown, told or offered to them.
    pub hidden_from_id: Option<UserId>,
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

text_enum! {
    pub enum OutreachStatus {
        Pending => "PENDING",
        Accepted => "ACCEPTED",
        Declined => "DECLINED",
        /// Answered as sent, never delivered: the colleague opted out, one of the two blocked
        /// the other, or someone already asked this week.
        Silent => "SILENT",
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = outreach_offers)]
pub struct OutreachRow {
    pub id: OutreachId,
    pub colleague_id: UserId,
    /// `None` once the asker erased their account: the colleague keeps the suggestion.
    pub asker_id: Option<UserId>,
    pub signed: bool,
    pub note: Option<String>,
    pub status: OutreachStatus,
    pub support_request_id: Option<SupportRequestId>,
    pub created_at: NaiveDateTime,
    pub responded_at: Option<NaiveDateTime>,
}
