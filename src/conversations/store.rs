//! Queries on conversations, their members, messages and reports.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::dsl::count_star;
use diesel::prelude::*;

use super::model::{ConversationReportRow, ConversationRow, MessageRow};
use crate::db::schema::{conversation_members, conversation_reports, conversations, messages};
use crate::db::{DbConnection, TextListExt};
use crate::ids::{ConversationId, ConversationReportId, MessageId, UserId};
use crate::on_backend;
use crate::reports::{QueuePosition, ReportCategory, ReportStatus};

pub fn insert_conversation(conn: &mut DbConnection, row: &ConversationRow) -> QueryResult<()> {
    diesel::insert_into(conversations::table)
        .values(row)
        .execute(conn)
        .map(drop)
}

pub fn insert_member(
    conn: &mut DbConnection,
    id: &ConversationId,
    user_id: &UserId,
) -> QueryResult<()> {
    diesel::insert_into(conversation_members::table)
        .values((
            conversation_members::conversation_id.eq(id),
            conversation_members::user_id.eq(user_id),
        ))
        .execute(conn)
        .map(drop)
}

pub fn conversations_by_id(
    conn: &mut DbConnection,
    ids: &[ConversationId],
) -> QueryResult<Vec<ConversationRow>> {
    conversations::table
        .filter(conversations::id.one_of(ids))
        .select(ConversationRow::as_select())
        .load(conn)
}

/// Each member of these conversations with what they have read up to.
pub fn members(
    conn: &mut DbConnection,
    ids: &[ConversationId],
) -> QueryResult<Vec<(ConversationId, UserId, Option<NaiveDateTime>)>> {
    conversation_members::table
        .filter(conversation_members::conversation_id.one_of(ids))
        .select((
            conversation_members::conversation_id,
            conversation_members::user_id,
            conversation_members::last_read_at,
        ))
        .load(conn)
}

pub fn is_member(
    conn: &mut DbConnection,
    id: &ConversationId,
    user_id: &UserId,
) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        conversation_members::table
            .filter(conversation_members::conversation_id.eq(id))
            .filter(conversation_members::user_id.eq(user_id)),
    ))
    .get_result(conn)
}

pub fn close(conn: &mut DbConnection, id: &ConversationId, now: NaiveDateTime) -> QueryResult<()> {
    diesel::update(
        conversations::table
            .find(id)
            .filter(conversations::open.eq(true)),
    )
    .set((
        conversations::open.eq(false),
        conversations::closed_at.eq(now),
    ))
    .execute(conn)
    .map(drop)
}

pub fn set_read_up_to(
    conn: &mut DbConnection,
    id: &ConversationId,
    user_id: &UserId,
    at: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(
        conversation_members::table
            .filter(conversation_members::conversation_id.eq(id))
            .filter(conversation_members::user_id.eq(user_id)),
    )
    .set(conversation_members::last_read_at.eq(at))
    .execute(conn)
    .map(drop)
}

/// Messages not written by `reader` after what they read, in each of these conversations of
/// theirs (one query for all).
pub fn unread_counts(
    conn: &mut DbConnection,
    reader: &UserId,
    ids: &[ConversationId],
) -> QueryResult<HashMap<ConversationId, i64>> {
    let rows: Vec<(ConversationId, i64)> = messages::table
        .inner_join(
            conversation_members::table.on(conversation_members::conversation_id
                .eq(messages::conversation_id)
                .and(conversation_members::user_id.eq(reader))),
        )
        .filter(messages::conversation_id.one_of(ids))
        .filter(messages::author_id.ne(reader))
        .filter(
            conversation_members::last_read_at
                .is_null()
                .or(messages::created_at
                    .nullable()
                    .gt(conversation_members::last_read_at)),
        )
        .group_by(messages::conversation_id)
        .select((messages::conversation_id, count_star()))
        .load(conn)?;
    Ok(rows.into_iter().collect())
}

/// The newest message of each of these conversations that has one (one query for all; ids are
/// time-ordered).
pub fn last_messages(
    conn: &mut DbConnection,
    ids: &[ConversationId],
) -> QueryResult<Vec<MessageRow>> {
    let newest = diesel::alias!(messages as newest);
    let newest_ids = newest
        .filter(newest.field(messages::conversation_id).one_of(ids))
        .group_by(newest.field(messages::conversation_id))
        .select(diesel::dsl::max(newest.field(messages::id)));
    messages::table
        .filter(messages::id.nullable().eq_any(newest_ids))
        .select(MessageRow::as_select())
        .load(conn)
}

/// One page of `user_id`'s conversations, latest activity first, after `after` (activity, id).
pub fn conversations_page_of(
    conn: &mut DbConnection,
    user_id: &UserId,
    after: Option<&(NaiveDateTime, ConversationId)>,
    limit: i64,
) -> QueryResult<Vec<(ConversationId, NaiveDateTime)>> {
    let mut query = conversations::table
        .inner_join(conversation_members::table)
        .filter(conversation_members::user_id.eq(user_id))
        .order((
            conversations::last_activity_at.desc(),
            conversations::id.desc(),
        ))
        .limit(limit)
        .select((conversations::id, conversations::last_activity_at))
        .into_boxed();
    if let Some((at, id)) = after {
        query = query.filter(
            conversations::last_activity_at
                .lt(*at)
                .or(conversations::last_activity_at
                    .eq(*at)
                    .and(conversations::id.lt(id.clone()))),
        );
    }
    query.load(conn)
}

/// Moves a conversation's latest activity to `at`.
pub fn touch(conn: &mut DbConnection, id: &ConversationId, at: NaiveDateTime) -> QueryResult<()> {
    diesel::update(conversations::table.find(id))
        .set(conversations::last_activity_at.eq(at))
        .execute(conn)
        .map(drop)
}

/// Changes a message's body and marks it edited at `at`.
pub fn edit_message(
    conn: &mut DbConnection,
    id: &MessageId,
    body: &str,
    at: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(messages::table.find(id))
        .set((messages::body.eq(body), messages::edited_at.eq(at)))
        .execute(conn)
        .map(drop)
}

pub fn insert_message(conn: &mut DbConnection, row: &MessageRow) -> QueryResult<()> {
    diesel::insert_into(messages::table)
        .values(row)
        .execute(conn)
        .map(drop)
}

pub fn message(conn: &mut DbConnection, id: &MessageId) -> QueryResult<Option<MessageRow>> {
    messages::table
        .find(id)
        .select(MessageRow::as_select())
        .first(conn)
        .optional()
}

/// Newest first, before `before` (ids are time-ordered).
pub fn messages_page(
    conn: &mut DbConnection,
    id: &ConversationId,
    before: Option<&MessageId>,
    limit: i64,
) -> QueryResult<Vec<MessageRow>> {
    let mut query = messages::table
        .filter(messages::conversation_id.eq(id))
        .order(messages::id.desc())
        .limit(limit)
        .select(MessageRow::as_select())
        .into_boxed();
    if let Some(before) = before {
        query = query.filter(messages::id.lt(before));
    }
    query.load(conn)
}

pub fn messages_by(conn: &mut DbConnection, user_id: &UserId) -> QueryResult<Vec<MessageRow>> {
    messages::table
        .filter(messages::author_id.eq(user_id))
        .order(messages::id)
        .select(MessageRow::as_select())
        .load(conn)
}

pub fn conversations_of(
    conn: &mut DbConnection,
    user_id: &UserId,
) -> QueryResult<Vec<ConversationId>> {
    conversation_members::table
        .filter(conversation_members::user_id.eq(user_id))
        .select(conversation_members::conversation_id)
        .load(conn)
}

pub fn delete_messages_by(conn: &mut DbConnection, user_id: &UserId) -> QueryResult<usize> {
    diesel::delete(messages::table.filter(messages::author_id.eq(user_id))).execute(conn)
}

pub fn delete_memberships_of(conn: &mut DbConnection, user_id: &UserId) -> QueryResult<usize> {
    diesel::delete(conversation_members::table.filter(conversation_members::user_id.eq(user_id)))
        .execute(conn)
}

pub fn delete_conversation(conn: &mut DbConnection, id: &ConversationId) -> QueryResult<usize> {
    diesel::delete(messages::table.filter(messages::conversation_id.eq(id))).execute(conn)?;
    diesel::delete(
        conversation_members::table.filter(conversation_members::conversation_id.eq(id)),
    )
    .execute(conn)?;
    diesel::delete(conversations::table.find(id)).execute(conn)
}

// ------------------------------------------------------------------ reports

/// Files a report; false when this person already has an open report of this conversation.
pub fn insert_report(conn: &mut DbConnection, report: &ConversationReportRow) -> QueryResult<bool> {
    let inserted = on_backend!(conn, |backend| diesel::insert_into(
        conversation_reports::table
    )
    .values(report)
    .on_conflict_do_nothing()
    .execute(backend))?;
    Ok(inserted == 1)
}

pub fn report(
    conn: &mut DbConnection,
    id: &ConversationReportId,
) -> QueryResult<Option<ConversationReportRow>> {
    conversation_reports::table
        .find(id)
        .select(ConversationReportRow::as_select())
        .first(conn)
        .optional()
}

/// One page of open reports: AT_RISK first, then oldest first.
pub fn open_reports_page(
    conn: &mut DbConnection,
    after: Option<QueuePosition<ConversationReportId>>,
    limit: i64,
) -> QueryResult<Vec<ConversationReportRow>> {
    let mut query = conversation_reports::table
        .filter(conversation_reports::status.eq(ReportStatus::Open))
        .order((
            conversation_reports::priority.asc(),
            conversation_reports::id.asc(),
        ))
        .limit(limit)
        .select(ConversationReportRow::as_select())
        .into_boxed();
    if let Some(QueuePosition { priority, id }) = after {
        query = query.filter(
            conversation_reports::priority
                .gt(priority)
                .or(conversation_reports::priority
                    .eq(priority)
                    .and(conversation_reports::id.gt(id))),
        );
    }
    query.load(conn)
}

/// The text and time of these messages, by id (one query for a page of reports).
pub fn message_texts(
    conn: &mut DbConnection,
    ids: &[MessageId],
) -> QueryResult<HashMap<MessageId, (String, NaiveDateTime)>> {
    let rows: Vec<(MessageId, String, NaiveDateTime)> = messages::table
        .filter(messages::id.one_of(ids))
        .select((messages::id, messages::body, messages::created_at))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, body, at)| (id, (body, at)))
        .collect())
}

/// A guarded update: false when the report was no longer open.
pub fn resolve_report(
    conn: &mut DbConnection,
    id: &ConversationReportId,
    by: &UserId,
    resolution: Option<&str>,
    conversation_closed: bool,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    diesel::update(
        conversation_reports::table
            .find(id)
            .filter(conversation_reports::status.eq(ReportStatus::Open)),
    )
    .set((
        conversation_reports::status.eq(ReportStatus::Resolved),
        conversation_reports::resolved_by.eq(by),
        conversation_reports::resolution.eq(resolution),
        conversation_reports::resolved_at.eq(now),
        conversation_reports::conversation_closed.eq(conversation_closed),
    ))
    .execute(conn)
    .map(|updated| updated == 1)
}

/// The reports the person filed: category, reason, status, when.
pub fn reports_by(
    conn: &mut DbConnection,
    user_id: &UserId,
) -> QueryResult<Vec<(ReportCategory, String, ReportStatus, NaiveDateTime)>> {
    conversation_reports::table
        .filter(conversation_reports::reporter_id.eq(user_id))
        .order(conversation_reports::id)
        .select((
            conversation_reports::category,
            conversation_reports::reason,
            conversation_reports::status,
            conversation_reports::created_at,
        ))
        .load(conn)
}

/// The reports the person filed go (their words); those they resolved keep no name.
pub fn erase_reports_of(conn: &mut DbConnection, user_id: &UserId) -> QueryResult<()> {
    diesel::delete(
        conversation_reports::table.filter(conversation_reports::reporter_id.eq(user_id)),
    )
    .execute(conn)?;
    diesel::update(
        conversation_reports::table.filter(conversation_reports::resolved_by.eq(user_id)),
    )
    // The resolution is the moderator's own words: it goes with them.
    .set((
        conversation_reports::resolved_by.eq(None::<UserId>),
        conversation_reports::resolution.eq(None::<String>),
    ))
    .execute(conn)
    .map(drop)
}
