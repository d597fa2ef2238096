//! The mail outbox's rows.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::model::{MailKind, MailStatus, NewMail, Outgoing};
use crate::db::atomic::{Outbox, claim_due, requeue_claimed};
use crate::db::schema::{mail_outbox, users};
use crate::db::{DbConnection, TextListExt};
use crate::ids::{MailId, UserId};

impl Outbox for MailId {
    const TABLE: &'static str = "mail_outbox";
}

pub fn insert(conn: &mut DbConnection, mail: &NewMail) -> QueryResult<()> {
    diesel::insert_into(mail_outbox::table)
        .values(mail)
        .execute(conn)
        .map(|_| ())
}

/// Claims up to `limit` due mails for `worker` until `lease_until` ([`claim_due`]'s rules).
pub fn claim(
    conn: &mut DbConnection,
    worker: &str,
    now: NaiveDateTime,
    lease_until: NaiveDateTime,
    limit: i64,
) -> QueryResult<Vec<MailId>> {
    let claimed = claim_due::<MailId>(conn, worker, now, lease_until, limit)?;
    Ok(claimed.into_iter().map(MailId::from_client).collect())
}

/// The claimed mails, with their recipients' names and languages as they are now.
pub fn claimed(
    conn: &mut DbConnection,
    ids: &[MailId],
    worker: &str,
) -> QueryResult<Vec<Outgoing>> {
    type Row = (
        MailId,
        i32,
        String,
        String,
        String,
        String,
        Option<NaiveDateTime>,
    );
    let rows: Vec<Row> = mail_outbox::table
        .inner_join(users::table)
        .filter(mail_outbox::id.one_of(ids))
        .filter(mail_outbox::claimed_by.eq(worker))
        .select((
            mail_outbox::id,
            mail_outbox::attempts,
            mail_outbox::to_address,
            mail_outbox::params,
            users::display_name,
            users::locale,
            users::email_verified_at,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(
            |(id, attempts, to_address, params, name, locale, verified_at)| Outgoing {
                id,
                attempts,
                to_address,
                kind: serde_json::from_str::<MailKind>(&params).ok(),
                name,
                locale,
                address_confirmed: verified_at.is_some(),
            },
        )
        .collect())
}

/// Ends a claimed mail; only its claimant may (false when the lease ran out and another took it).
pub fn finish(
    conn: &mut DbConnection,
    id: &MailId,
    worker: &str,
    status: MailStatus,
    attempts: i32,
    error: Option<&str>,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    diesel::update(
        mail_outbox::table
            .find(id)
            .filter(mail_outbox::claimed_by.eq(worker)),
    )
    .set((
        mail_outbox::status.eq(status),
        mail_outbox::attempts.eq(attempts),
        mail_outbox::last_error.eq(error),
        mail_outbox::claimed_by.eq(None::<String>),
        mail_outbox::claim_expires_at.eq(None::<NaiveDateTime>),
        mail_outbox::finished_at.eq(now),
    ))
    .execute(conn)
    .map(|updated| updated == 1)
}

/// Puts a claimed mail back in the queue, due at `not_before`.
pub fn requeue(
    conn: &mut DbConnection,
    id: &MailId,
    worker: &str,
    attempts: i32,
    error: Option<&str>,
    not_before: NaiveDateTime,
) -> QueryResult<bool> {
    requeue_claimed::<MailId>(conn, id.as_str(), worker, attempts, error, not_before)
}

/// A person's mails, newest first: (kind, status, created at).
pub fn of_person(
    conn: &mut DbConnection,
    user_id: &UserId,
) -> QueryResult<Vec<(String, MailStatus, NaiveDateTime)>> {
    mail_outbox::table
        .filter(mail_outbox::user_id.eq(user_id))
        .order(mail_outbox::created_at.desc())
        .select((
            mail_outbox::kind,
            mail_outbox::status,
            mail_outbox::created_at,
        ))
        .load(conn)
}

pub fn erase_person(conn: &mut DbConnection, user_id: &UserId) -> QueryResult<usize> {
    diesel::delete(mail_outbox::table.filter(mail_outbox::user_id.eq(user_id))).execute(conn)
}
