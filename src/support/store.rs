//! Queries on supporters' availability and support requests.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::model::{OutreachRow, OutreachStatus, SupportRequestRow, SupportRequestStatus};
use crate::db::schema::{outreach_offers, support_requests, supporter_availability};
use crate::db::{DbConnection, TextListExt};
use crate::ids::{ConversationId, OutreachId, SupportRequestId, UserId};
use crate::on_backend;

pub fn set_available(
    conn: &mut DbConnection,
    user_id: &UserId,
    available: bool,
    now: NaiveDateTime,
) -> QueryResult<()> {
    // One statement: a double tap cannot insert the row twice.
    on_backend!(conn, |backend| diesel::insert_into(
        supporter_availability::table
    )
    .values((
        supporter_availability::user_id.eq(user_id),
        supporter_availability::available.eq(available),
        supporter_availability::updated_at.eq(now),
    ))
    .on_conflict(supporter_availability::user_id)
    .do_update()
    .set((
        supporter_availability::available.eq(available),
        supporter_availability::updated_at.eq(now),
    ))
    .execute(backend))
    .map(drop)
}

/// Those of `ids` who paused.
pub fn paused(conn: &mut DbConnection, ids: &[UserId]) -> QueryResult<Vec<UserId>> {
    supporter_availability::table
        .filter(supporter_availability::user_id.one_of(ids))
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

/// Open requests in these languages that `supporter` may see, oldest first (who waited
/// longest): not their own, not of people in `blocked`, not opened from their own suggestion.
pub fn open_in(
    conn: &mut DbConnection,
    languages: &[String],
    supporter: &UserId,
    blocked: &[UserId],
    limit: i64,
) -> QueryResult<Vec<SupportRequestRow>> {
    support_requests::table
        .filter(support_requests::status.eq(SupportRequestStatus::Open))
        .filter(support_requests::language.one_of(languages))
        .filter(support_requests::requester_id.ne(supporter))
        .filter(support_requests::requester_id.ne_all(blocked))
        .filter(
            support_requests::hidden_from_id
                .is_null()
                .or(support_requests::hidden_from_id.ne(supporter)),
        )
        .order(support_requests::created_at)
        .limit(limit)
        .select(SupportRequestRow::as_select())
        .load(conn)
}

/// Open requests made before `before` and not followed up yet, oldest first.
pub fn waiting_since(
    conn: &mut DbConnection,
    before: NaiveDateTime,
    limit: i64,
) -> QueryResult<Vec<SupportRequestRow>> {
    support_requests::table
        .filter(support_requests::status.eq(SupportRequestStatus::Open))
        .filter(support_requests::followed_up_at.is_null())
        .filter(support_requests::created_at.lt(before))
        .order(support_requests::created_at)
        .limit(limit)
        .select(SupportRequestRow::as_select())
        .load(conn)
}

/// Marks a waiting request followed up, once: false when it was taken, ended or followed up
/// meanwhile.
pub fn follow_up(
    conn: &mut DbConnection,
    id: &SupportRequestId,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let marked = diesel::update(
        support_requests::table
            .find(id)
            .filter(support_requests::status.eq(SupportRequestStatus::Open))
            .filter(support_requests::followed_up_at.is_null()),
    )
    .set(support_requests::followed_up_at.eq(now))
    .execute(conn)?;
    Ok(marked == 1)
}

/// Closed or withdrawn requests that ended before `before`: their ids and conversations.
pub fn ended_before(
    conn: &mut DbConnection,
    before: NaiveDateTime,
) -> QueryResult<Vec<(SupportRequestId, Option<ConversationId>)>> {
    support_requests::table
        .filter(
            support_requests::status
                .eq(SupportRequestStatus::Closed)
                .or(support_requests::status.eq(SupportRequestStatus::Withdrawn)),
        )
        .filter(support_requests::closed_at.lt(before))
        .select((support_requests::id, support_requests::conversation_id))
        .load(conn)
}

pub fn delete_requests(conn: &mut DbConnection, ids: &[SupportRequestId]) -> QueryResult<usize> {
    diesel::delete(support_requests::table.filter(support_requests::id.one_of(ids))).execute(conn)
}

pub fn delete_requests_of(conn: &mut DbConnection, user_id: &UserId) -> QueryResult<usize> {
    diesel::delete(support_requests::table.filter(support_requests::requester_id.eq(user_id)))
        .execute(conn)
}

// ------------------------------------------------------------------ outreach

pub fn insert_outreach(conn: &mut DbConnection, row: &OutreachRow) -> QueryResult<()> {
    diesel::insert_into(outreach_offers::table)
        .values(row)
        .execute(conn)
        .map(drop)
}

/// Suggestions the person made since `since`, delivered or not.
pub fn asked_since(
    conn: &mut DbConnection,
    asker: &UserId,
    since: NaiveDateTime,
) -> QueryResult<i64> {
    outreach_offers::table
        .filter(outreach_offers::asker_id.eq(asker))
        .filter(outreach_offers::created_at.ge(since))
        .count()
        .get_result(conn)
}

/// Suggestions delivered to the colleague since `since`.
pub fn delivered_since(
    conn: &mut DbConnection,
    colleague: &UserId,
    since: NaiveDateTime,
) -> QueryResult<i64> {
    outreach_offers::table
        .filter(outreach_offers::colleague_id.eq(colleague))
        .filter(outreach_offers::status.ne(OutreachStatus::Silent))
        .filter(outreach_offers::created_at.ge(since))
        .count()
        .get_result(conn)
}

pub fn outreach(conn: &mut DbConnection, id: &OutreachId) -> QueryResult<Option<OutreachRow>> {
    outreach_offers::table
        .find(id)
        .select(OutreachRow::as_select())
        .first(conn)
        .optional()
}

/// Answers a pending suggestion, once: false when it was answered already.
pub fn answer_outreach(
    conn: &mut DbConnection,
    id: &OutreachId,
    status: OutreachStatus,
    request: Option<&SupportRequestId>,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let answered = diesel::update(
        outreach_offers::table
            .find(id)
            .filter(outreach_offers::status.eq(OutreachStatus::Pending)),
    )
    .set((
        outreach_offers::status.eq(status),
        outreach_offers::support_request_id.eq(request),
        outreach_offers::responded_at.eq(now),
    ))
    .execute(conn)?;
    Ok(answered == 1)
}

/// The person's pending suggestions, newest first.
pub fn pending_for(
    conn: &mut DbConnection,
    colleague: &UserId,
    limit: i64,
) -> QueryResult<Vec<OutreachRow>> {
    outreach_offers::table
        .filter(outreach_offers::colleague_id.eq(colleague))
        .filter(outreach_offers::status.eq(OutreachStatus::Pending))
        .order(outreach_offers::id.desc())
        .limit(limit)
        .select(OutreachRow::as_select())
        .load(conn)
}

/// Suggestions made to or by the person.
pub fn outreach_involving(conn: &mut DbConnection, user: &UserId) -> QueryResult<Vec<OutreachRow>> {
    outreach_offers::table
        .filter(
            outreach_offers::colleague_id
                .eq(user)
                .or(outreach_offers::asker_id.eq(user)),
        )
        .order(outreach_offers::id)
        .select(OutreachRow::as_select())
        .load(conn)
}

/// Deletes the suggestions made to the person.
pub fn delete_outreach_to(conn: &mut DbConnection, user: &UserId) -> QueryResult<usize> {
    diesel::delete(outreach_offers::table.filter(outreach_offers::colleague_id.eq(user)))
        .execute(conn)
}

/// Leaves the suggestions the person made without them.
pub fn forget_asker(conn: &mut DbConnection, user: &UserId) -> QueryResult<usize> {
    diesel::update(outreach_offers::table.filter(outreach_offers::asker_id.eq(user)))
        .set(outreach_offers::asker_id.eq(None::<UserId>))
        .execute(conn)
}

/// Deletes suggestions made before `before`, whatever became of them.
pub fn delete_outreach_before(
    conn: &mut DbConnection,
    before: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::delete(outreach_offers::table.filter(outreach_offers::created_at.lt(before)))
        .execute(conn)
}

/// The person's open request, if they have one.
pub fn open_request_of(
    conn: &mut DbConnection,
    requester: &UserId,
) -> QueryResult<Option<SupportRequestId>> {
    support_requests::table
        .filter(support_requests::requester_id.eq(requester))
        .filter(support_requests::status.eq(SupportRequestStatus::Open))
        .select(support_requests::id)
        .first(conn)
        .optional()
}

/// How many requests the person opened since `since`.
pub fn requested_since(
    conn: &mut DbConnection,
    requester: &UserId,
    since: NaiveDateTime,
) -> QueryResult<i64> {
    support_requests::table
        .filter(support_requests::requester_id.eq(requester))
        .filter(support_requests::created_at.ge(since))
        .count()
        .get_result(conn)
}
