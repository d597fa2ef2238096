//! Export and erasure through the registry.

use std::num::NonZeroU32;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use secrecy::SecretString;

use super::{Person, erase_person, export_person};
use crate::accounts::service as accounts;
use crate::auth::{ClientAddress, PasswordGate, Secret, Viewer};
use crate::db::Db;
use crate::error::{AppError, AppResult};
use crate::ids::UserId;

/// Erases the viewer's account and everything every domain holds about them, in one
/// transaction, after checking their password (a wrong one is BAD_USER_INPUT on `password`,
/// throttled like a sign-in). Their sessions end everywhere once it commits.
pub async fn delete_account(
    db: &Db,
    secret: &Secret,
    gate: &PasswordGate,
    client: ClientAddress,
    viewer: &Viewer,
    password: SecretString,
) -> AppResult<()> {
    accounts::check_own_password(db, gate, client, viewer, password, "password").await?;
    let person = Person::new(viewer.user_id.clone(), secret);
    db.write(move |conn| erase_person(conn, &person)).await
}

/// Exports a person may ask for per hour: an export reads everything they have, so it is kept
/// from becoming a way to load the server.
pub const EXPORTS_PER_HOUR: NonZeroU32 = NonZeroU32::new(3).expect("3 is not zero");

/// How many exports each person has left this hour (in memory, per process).
pub struct ExportLimit(DefaultKeyedRateLimiter<UserId>);

impl Default for ExportLimit {
    fn default() -> Self {
        Self(RateLimiter::keyed(Quota::per_hour(EXPORTS_PER_HOUR)))
    }
}

/// Everything Relais holds about the viewer, as one document (format in the README).
pub async fn export(
    db: &Db,
    secret: &Secret,
    limit: &ExportLimit,
    viewer: &Viewer,
) -> AppResult<serde_json::Value> {
    limit.0.check_key(&viewer.user_id).map_err(|not_until| {
        AppError::rate_limited(not_until.wait_time_from(DefaultClock::default().now()))
    })?;
    let person = Person::new(viewer.user_id.clone(), secret);
    db.run(move |conn| export_person(conn, &person)).await
}
