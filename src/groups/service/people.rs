//! Finding people by name among those who share an active group with the viewer, so that
//! outreach and mentorship can start from a name.

use super::*;
use crate::accounts::model::Profile;
use crate::pagination::CursorKey;

/// Where a page of people starts: after this name key and id.
pub struct PersonCursor(String, UserId);

impl CursorKey for PersonCursor {
    fn from_cursor(key: &str) -> Option<Self> {
        let (id, name_key) = key.split_once('/')?;
        Some(Self(name_key.to_owned(), UserId::from_cursor(id)?))
    }
}

/// A person found, with the cursor that follows them.
pub struct FoundPerson {
    pub cursor: String,
    pub profile: Profile,
}

/// People who share an active group with the viewer whose display name holds every word of
/// `search`, whatever its case and accents, by name. Blocked people, either way, are left out.
pub async fn people(
    db: &Db,
    viewer: &Viewer,
    search: String,
    page: PageRequest,
) -> AppResult<Page<FoundPerson>> {
    let search = validate::text("search", &search, 1, SEARCH_MAX)?;
    let words: Vec<String> = search
        .split_whitespace()
        .map(validate::search_key)
        .collect();
    let after = page
        .after::<PersonCursor>()?
        .map(|PersonCursor(key, id)| (key, id));
    let user = viewer.user_id.clone();
    let found = db
        .run(move |conn| {
            let rows = store::people_sharing_a_group(
                conn,
                &user,
                &words,
                after.as_ref(),
                page.fetch_limit(),
            )?;
            Ok(Page::from_overfetch(rows, &page))
        })
        .await?;
    let ids = found.items.iter().map(|(id, _)| id.clone()).collect();
    let mut profiles = accounts::profiles(db, ids).await?;
    // An account erased meanwhile is left out.
    found.try_map_items(|rows| {
        Ok(rows
            .into_iter()
            .filter_map(|(id, name_key)| {
                Some(FoundPerson {
                    cursor: format!("{id}/{name_key}"),
                    profile: profiles.remove(&id)?,
                })
            })
            .collect())
    })
}
