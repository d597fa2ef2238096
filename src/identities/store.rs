//! Queries on identities, sign-ins under way and their one-time codes.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::model::{ExternalIdentity, NewSignInCode, SignInFlow};
use crate::db::DbConnection;
use crate::db::schema::{external_identities, external_sign_in_codes, sign_in_flows};
use crate::ids::UserId;

pub fn insert_flow(conn: &mut DbConnection, flow: &SignInFlow) -> QueryResult<()> {
    diesel::insert_into(sign_in_flows::table)
        .values(flow)
        .execute(conn)
        .map(drop)
}

/// Takes the flow whose state digest this is, once: of two takers, the one whose delete
/// removed the row has it. Expired flows are taken too, and refused by the caller.
pub fn take_flow(conn: &mut DbConnection, state_hash: &str) -> QueryResult<Option<SignInFlow>> {
    let Some(flow) = sign_in_flows::table
        .find(state_hash)
        .select(SignInFlow::as_select())
        .first(conn)
        .optional()?
    else {
        return Ok(None);
    };
    let taken = diesel::delete(sign_in_flows::table.find(state_hash)).execute(conn)?;
    Ok((taken == 1).then_some(flow))
}

/// Forgets sign-ins nobody finished.
pub fn delete_expired_flows(conn: &mut DbConnection, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(sign_in_flows::table.filter(sign_in_flows::expires_at.le(now))).execute(conn)
}

pub fn find_identity(
    conn: &mut DbConnection,
    provider: &str,
    subject: &str,
) -> QueryResult<Option<ExternalIdentity>> {
    external_identities::table
        .find((provider, subject))
        .select(ExternalIdentity::as_select())
        .first(conn)
        .optional()
}

pub fn insert_identity(conn: &mut DbConnection, identity: &ExternalIdentity) -> QueryResult<()> {
    diesel::insert_into(external_identities::table)
        .values(identity)
        .execute(conn)
        .map(drop)
}

pub fn identity_signed_in(
    conn: &mut DbConnection,
    provider: &str,
    subject: &str,
    at: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(external_identities::table.find((provider, subject)))
        .set(external_identities::last_sign_in_at.eq(at))
        .execute(conn)
        .map(drop)
}

/// The person's identities, the oldest link first.
pub fn identities_of(
    conn: &mut DbConnection,
    user_id: &UserId,
) -> QueryResult<Vec<ExternalIdentity>> {
    external_identities::table
        .filter(external_identities::user_id.eq(user_id))
        .order(external_identities::linked_at.asc())
        .select(ExternalIdentity::as_select())
        .load(conn)
}

/// Unlinks the person's identity at `provider`; false when they had none.
pub fn delete_identity(
    conn: &mut DbConnection,
    user_id: &UserId,
    provider: &str,
) -> QueryResult<bool> {
    diesel::delete(
        external_identities::table
            .filter(external_identities::user_id.eq(user_id))
            .filter(external_identities::provider.eq(provider)),
    )
    .execute(conn)
    .map(|deleted| deleted > 0)
}

pub fn insert_code(conn: &mut DbConnection, code: &NewSignInCode) -> QueryResult<()> {
    diesel::insert_into(external_sign_in_codes::table)
        .values(code)
        .execute(conn)
        .map(drop)
}

/// Uses a code once, within its minute: a guarded update only one of two concurrent uses wins.
/// Returns whose it was.
pub fn use_code(
    conn: &mut DbConnection,
    code_hash: &str,
    now: NaiveDateTime,
) -> QueryResult<Option<UserId>> {
    let Some(user_id) = external_sign_in_codes::table
        .find(code_hash)
        .filter(external_sign_in_codes::used_at.is_null())
        .filter(external_sign_in_codes::expires_at.gt(now))
        .select(external_sign_in_codes::user_id)
        .first::<UserId>(conn)
        .optional()?
    else {
        return Ok(None);
    };
    let used = diesel::update(
        external_sign_in_codes::table
            .find(code_hash)
            .filter(external_sign_in_codes::used_at.is_null()),
    )
    .set(external_sign_in_codes::used_at.eq(now))
    .execute(conn)?;
    Ok((used == 1).then_some(user_id))
}

/// Forgets codes past their minute.
pub fn delete_expired_codes(conn: &mut DbConnection, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(external_sign_in_codes::table.filter(external_sign_in_codes::expires_at.le(now)))
        .execute(conn)
}

/// Deletes the person's identities, sign-ins under way and codes.
pub fn erase_person(conn: &mut DbConnection, user_id: &UserId) -> QueryResult<()> {
    diesel::delete(external_identities::table.filter(external_identities::user_id.eq(user_id)))
        .execute(conn)?;
    diesel::delete(sign_in_flows::table.filter(sign_in_flows::link_user_id.eq(user_id)))
        .execute(conn)?;
    diesel::delete(
        external_sign_in_codes::table.filter(external_sign_in_codes::user_id.eq(user_id)),
    )
    .execute(conn)?;
    Ok(())
}
