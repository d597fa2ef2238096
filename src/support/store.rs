//! Queries on supporters' availability and support requests.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::model::{SupportRequestRow, SupportRequestStatus};
use crate::db::DbConnection;
use crate::db::schema::{support_requests, supporter_availability};
use crate::ids::{ConversationId, SupportRequestId, UserId};

pub fn set_available(
    conn: &mut DbConnection,
    user_id: &UserId,
    available: bool,
    now: NaiveDateTime,
) -> QueryResult<()> {
    let updated = diesel::update(supporter_availability::table.find(user_id))
        .set((
            supporter_availability::available.eq(available),
            supporter_availability::updated_at.eq(now),
        ))
        .execute(conn)?;
    if updated == 0 {
        diesel::insert_into(supporter_availability::table)
            .values((
                supporter_availability::user_id.eq(user_id),
                supporter_availability::available.eq(available),
                supporter_availability::updated_at.eq(now),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Those of `ids` who paused.
pub fn paused(conn: &mut DbConnection, ids: &[UserId]) -> QueryResult<Vec<UserId>> {
    supporter_availability::table
        .filter(supporter_availability::user_id.eq_any(ids))
        .filter(supporter_availability::available.eq(false))
        .select(supporter_availability::user_id)
        .load(conn)
}

pub fn delete_availability(conn: &mut DbConnection, user_id: &UserId) -> QueryResult<usize> {
    diesel::delete(supporter_availability::table.find(user_id)).execute(conn)
}

pub fn insert_request(conn: &mut DbConnection, row: &SupportRequestRow) -> QueryResult<()> {
    diesel::insert_into(support_requests::table)
        .values(row)
        .execute(conn)
        .map(drop)
}

pub fn request(
    conn: &mut DbConnection,
    id: &SupportRequestId,
) -> QueryResult<Option<SupportRequestRow>> {
    support_requests::table
        .find(id)
        .select(SupportRequestRow::as_select())
        .first(conn)
        .optional()
}

/// Takes an open request for `supporter`, once: false when it was no longer open.
pub fn take(
    conn: &mut DbConnection,
    id: &SupportRequestId,
    supporter: &UserId,
    conversation: &ConversationId,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let taken = diesel::update(
        support_requests::table
            .find(id)
            .filter(support_requests::status.eq(SupportRequestStatus::Open)),
    )
    .set((
        support_requests::status.eq(SupportRequestStatus::Taken),
        support_requests::supporter_id.eq(supporter),
        support_requests::conversation_id.eq(conversation),
        support_requests::taken_at.eq(now),
    ))
    .execute(conn)?;
    Ok(taken == 1)
}

/// Ends a request that is still `from`: false when it was not any more.
pub fn end(
    conn: &mut DbConnection,
    id: &SupportRequestId,
    from: SupportRequestStatus,
    to: SupportRequestStatus,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let ended = diesel::update(
        support_requests::table
            .find(id)
            .filter(support_requests::status.eq(from)),
    )
    .set((
        support_requests::status.eq(to),
        support_requests::closed_at.eq(now),
    ))
    .execute(conn)?;
    Ok(ended == 1)
}

/// The person's requests, asked or taken, newest first.
pub fn involving(
    conn: &mut DbConnection,
    user_id: &UserId,
    limit: i64,
) -> QueryResult<Vec<SupportRequestRow>> {
    support_requests::table
        .filter(
            support_requests::requester_id
                .eq(user_id)
                .or(support_requests::supporter_id.eq(user_id)),
        )
        .order(support_requests::id.desc())
        .limit(limit)
        .select(SupportRequestRow::as_select())
        .load(conn)
}

/// Open requests in these languages, not the person's own, oldest first (who waited longest).
pub fn open_in(
    conn: &mut DbConnection,
    languages: &[String],
    except: &UserId,
    limit: i64,
) -> QueryResult<Vec<SupportRequestRow>> {
    support_requests::table
        .filter(support_requests::status.eq(SupportRequestStatus::Open))
        .filter(support_requests::language.eq_any(languages))
        .filter(support_requests::requester_id.ne(except))
        .order(support_requests::created_at)
        .limit(limit)
        .select(SupportRequestRow::as_select())
        .load(conn)
}

pub fn delete_requests_of(conn: &mut DbConnection, user_id: &UserId) -> QueryResult<usize> {
    diesel::delete(support_requests::table.filter(support_requests::requester_id.eq(user_id)))
        .execute(conn)
}
