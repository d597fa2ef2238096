//! Calendars: one workshop as an event, and each person's private feed behind a rotatable token.

use super::*;

/// A workshop as a calendar shows it: the link and materials only for insiders.
#[derive(Debug, Clone)]
pub struct CalendarEntry {
    pub workshop: WorkshopRow,
    pub with_link: bool,
}

/// Most events a personal feed lists, and how many days back it starts.
const FEED_EVENTS_MAX: i64 = 500;
const FEED_DAYS_BACK: i64 = 30;

/// One workshop for a calendar: signed out, only workshops open to all and without the link;
/// signed in, as the workshop page shows it.
pub async fn calendar_entry(
    db: &Db,
    viewer: Option<&Viewer>,
    id: WorkshopId,
) -> AppResult<CalendarEntry> {
    let user_id = viewer.map(|viewer| viewer.user_id.clone());
    db.run(move |conn| match user_id {
        None => {
            let workshop = store::workshop(conn, &id)?
                .filter(|row| row.group_id.is_none())
                .ok_or(AppError::NotFound)?;
            Ok(CalendarEntry {
                workshop,
                with_link: false,
            })
        }
        Some(user_id) => {
            let row = visible_workshop(conn, &id, &user_id)?;
            let card = card(conn, &user_id, row)?;
            Ok(CalendarEntry {
                with_link: card.viewer_is_insider,
                workshop: card.row,
            })
        }
    })
    .await
}

/// The confirmed workshops of the person whose feed `token` opens, from 30 days back (cancelled
/// ones stay, marked so, for calendars to update); NOT_FOUND for an unknown or rotated token.
pub async fn feed(db: &Db, secret: &Secret, token: &str) -> AppResult<Vec<CalendarEntry>> {
    let token_hash = secret.mac_hex(token.as_bytes());
    db.run(move |conn| {
        let owner = store::feed_owner(conn, &token_hash)?.ok_or(AppError::NotFound)?;
        let since = Utc::now().naive_utc() - TimeDelta::days(FEED_DAYS_BACK);
        let workshops = store::confirmed_workshops_of(conn, &owner, since, FEED_EVENTS_MAX)?;
        let member_of = groups_of_any(conn, &owner, &workshops)?;
        Ok(workshops
            .into_iter()
            .map(|workshop| CalendarEntry {
                // A group's workshop keeps its link for the group's members only.
                with_link: workshop
                    .group_id
                    .as_ref()
                    .is_none_or(|group| member_of.contains(group)),
                workshop,
            })
            .collect())
    })
    .await
}

/// The feed token of `generation`: derived from the secret, so that the URL can be shown again
/// while only its HMAC is stored.
fn feed_token(secret: &Secret, user: &UserId, generation: i32) -> String {
    secret.mac_hex(format!("calendar-feed:{user}:{generation}").as_bytes())
}

/// The person's feed token. Reading it takes no write lock; the first use stores the first
/// generation (once, whoever asks at the same time).
pub async fn feed_token_of(db: &Db, secret: &Secret, user_id: &UserId) -> AppResult<String> {
    let owner = user_id.clone();
    let known = db
        .run(move |conn| Ok(store::feed_generation(conn, &owner)?))
        .await?;
    let generation = match known {
        Some(generation) => generation,
        None => {
            let (secret, owner) = (secret.clone(), user_id.clone());
            db.write(move |conn| {
                let token = feed_token(&secret, &owner, 1);
                let now = Utc::now().naive_utc();
                store::create_feed(conn, &owner, &secret.mac_hex(token.as_bytes()), now)?;
                Ok(store::feed_generation(conn, &owner)?.unwrap_or(1))
            })
            .await?
        }
    };
    Ok(feed_token(secret, user_id, generation))
}

/// Revokes the viewer's feed URL and returns the next one's token.
pub async fn rotate_feed(db: &Db, secret: &Secret, viewer: &Viewer) -> AppResult<String> {
    let (secret, user_id) = (secret.clone(), viewer.user_id.clone());
    db.write(move |conn| {
        lock(conn, &user_id)?;
        let generation = store::feed_generation(conn, &user_id)?.unwrap_or(0) + 1;
        let token = feed_token(&secret, &user_id, generation);
        let now = Utc::now().naive_utc();
        store::save_feed(
            conn,
            &user_id,
            generation,
            &secret.mac_hex(token.as_bytes()),
            now,
        )?;
        Ok(token)
    })
    .await
}
