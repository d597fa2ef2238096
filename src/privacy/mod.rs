//! The personal-data registry: every domain that keeps a person's data registers here how to
//! erase it, and which tables and columns hold it. `deleteAccount` walks the registry, so accounts
//! calls no other domain, and a test compares the registry with the database's own catalogue:
//! a table that refers to a person without a registered eraser fails CI.

pub mod graphql;
pub mod service;

use crate::db::DbConnection;
use crate::error::AppResult;
use crate::ids::UserId;

/// A column that names a person (a foreign key to `users`, or a pseudonym of one).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct PersonColumn {
    pub table: &'static str,
    pub column: &'static str,
}

/// What a domain keeps about people, and how it lets go of one.
pub trait PersonalData: Sync {
    /// The domain's name.
    fn name(&self) -> &'static str;

    /// Every column of the domain's tables that names a person.
    fn columns(&self) -> &'static [PersonColumn];

    /// Erases or detaches everything the domain holds about `user`, inside the caller's
    /// transaction, before the person's account row itself goes.
    fn erase(&self, conn: &mut DbConnection, user: &UserId) -> AppResult<()>;
}

/// Every domain holding personal data, in the order erasure runs: the account itself last.
pub fn registry() -> [&'static dyn PersonalData; 4] {
    [
        &crate::groups::service::GROUPS_DATA,
        &crate::notifications::service::NOTIFICATIONS_DATA,
        &crate::auth::service::SESSIONS_DATA,
        &crate::accounts::service::ACCOUNTS_DATA,
    ]
}

/// Erases everything the registry covers about `user`, inside the caller's transaction.
pub fn erase_person(conn: &mut DbConnection, user: &UserId) -> AppResult<()> {
    for domain in registry() {
        domain.erase(conn, user)?;
    }
    Ok(())
}
