//! The personal-data registry: every domain that keeps a person's data registers here which
//! columns hold it, how to export it and how to erase it. `deleteAccount` and the export walk the
//! registry, so accounts calls no other domain, and a test compares the registry with the
//! database's own catalogue: a table that refers to a person without a registered eraser fails CI.

pub mod graphql;
pub mod retention;
pub mod service;

use chrono::{NaiveDateTime, SecondsFormat, Utc};
use serde_json::{Value, json};

use crate::auth::Secret;
use crate::config::Retention;
use crate::db::DbConnection;
use crate::error::AppResult;
use crate::ids::UserId;

/// A column that names a person (a foreign key to `users`, or a pseudonym of one).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct PersonColumn {
    pub table: &'static str,
    pub column: &'static str,
}

/// The person the registry acts for: their id, and the pseudonym their anonymous records
/// (check-ins) are kept under, `HMAC-SHA256(secret, user id)`, computed here and never stored
/// beside the id.
#[derive(Debug, Clone)]
pub struct Person {
    pub id: UserId,
    pub pseudonym: String,
}

impl Person {
    pub fn new(id: UserId, secret: &Secret) -> Self {
        let pseudonym = pseudonym_of(&id, secret);
        Self { id, pseudonym }
    }
}

/// The pseudonym of `user` under `secret`.
pub fn pseudonym_of(user: &UserId, secret: &Secret) -> String {
    secret.mac_hex(user.as_str().as_bytes())
}

/// Figures others see from people's ratings are released in steps: one moves only once this many
/// ratings arrived (or changed) that it does not include yet, and is never shown from fewer, so
/// that every visible change mixes at least this many people. Erasing a rater leaves the figure
/// as it was released.
pub const RATINGS_STEP: i64 = 3;

/// What a domain keeps about people, and how it lets go of one.
pub trait PersonalData: Sync {
    /// The domain's name.
    fn name(&self) -> &'static str;

    /// Every column of the domain's tables that names a person.
    fn columns(&self) -> &'static [PersonColumn];

    /// Everything the domain holds about `user`, as they may take it with them: nothing that
    /// names another person (no other person's id or name, no moderator).
    fn export(&self, conn: &mut DbConnection, person: &Person) -> AppResult<Value>;

    /// Erases or detaches everything the domain holds about `user`, inside the caller's
    /// transaction, before the person's account row itself goes.
    fn erase(&self, conn: &mut DbConnection, person: &Person) -> AppResult<()>;

    /// Deletes what the domain keeps past its retention period at `now`, and says how many rows
    /// of each kind went. Most domains keep nothing past use.
    fn purge(
        &self,
        _conn: &mut DbConnection,
        _retention: &Retention,
        _now: NaiveDateTime,
    ) -> AppResult<Vec<Purged>> {
        Ok(Vec::new())
    }
}

/// How many rows of one kind a purge deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Purged {
    pub kind: &'static str,
    pub rows: usize,
}

/// The export format's name and version, at the top of every export.
pub const EXPORT_FORMAT: &str = "relais-personal-data";
pub const EXPORT_VERSION: u32 = 1;

/// One document with every domain's part, each read with its own queries.
pub fn export_person(conn: &mut DbConnection, person: &Person) -> AppResult<Value> {
    let mut document = serde_json::Map::new();
    document.insert("format".into(), json!(EXPORT_FORMAT));
    document.insert("version".into(), json!(EXPORT_VERSION));
    document.insert("exportedAt".into(), json!(instant(Utc::now().naive_utc())));
    for domain in registry() {
        document.insert(domain.name().into(), domain.export(conn, person)?);
    }
    Ok(Value::Object(document))
}

/// An instant as exports write it: RFC 3339 in UTC.
pub fn instant(at: NaiveDateTime) -> String {
    at.and_utc().to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Every domain holding personal data, in the order erasure runs: the account itself last.
pub fn registry() -> [&'static dyn PersonalData; 11] {
    [
        &crate::checkins::service::CHECKINS_DATA,
        // Before notifications: cancelling a person's workshops or mentorships tells the others.
        &crate::workshops::service::WORKSHOPS_DATA,
        // Before conversations: a mentorship's conversation goes with it.
        &crate::mentorship::service::MENTORSHIP_DATA,
        &crate::support::service::SUPPORT_DATA,
        &crate::conversations::service::CONVERSATIONS_DATA,
        &crate::groups::service::GROUPS_DATA,
        &crate::notifications::service::NOTIFICATIONS_DATA,
        &crate::mail::service::MAIL_DATA,
        &crate::auth::service::SESSIONS_DATA,
        &crate::identities::service::IDENTITIES_DATA,
        &crate::accounts::service::ACCOUNTS_DATA,
    ]
}

/// Erases everything the registry covers about `user`, inside the caller's transaction.
pub fn erase_person(conn: &mut DbConnection, person: &Person) -> AppResult<()> {
    // The person's own writes take this lock first too: each lands wholly before the erasure
    // (and is erased) or is refused after it.
    crate::accounts::service::lock_own_account(conn, &person.id)?;
    for domain in registry() {
        domain.erase(conn, person)?;
    }
    Ok(())
}
