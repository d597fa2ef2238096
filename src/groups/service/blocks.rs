//! Blocks between people: who may not reach whom, used by every domain that puts people in touch.

use super::*;

/// Everyone the person blocked or was blocked by, inside another domain's transaction: they
/// are never put in touch (mentorship matching).
pub fn blocked_either_way(
    conn: &mut DbConnection,
    user: &UserId,
) -> AppResult<std::collections::HashSet<UserId>> {
    Ok(store::blocked_either_way(conn, user)?.into_iter().collect())
}

/// Hides a person's signed posts and replies from the viewer everywhere.
pub async fn block(db: &Db, viewer: &Viewer, blocked: UserId) -> AppResult<bool> {
    let blocker = viewer.user_id.clone();
    if blocked == blocker {
        return Err(AppError::bad_input("userId", Message::CannotTargetSelf));
    }
    db.write(move |conn| {
        if accounts::exists(conn, &blocked)? {
            Ok(store::insert_block(
                conn,
                &blocker,
                &blocked,
                Utc::now().naive_utc(),
            )?)
        } else {
            Err(AppError::NotFound)
        }
    })
    .await
}

pub async fn unblock(db: &Db, viewer: &Viewer, blocked: UserId) -> AppResult<bool> {
    let blocker = viewer.user_id.clone();
    db.write(move |conn| Ok(store::delete_block(conn, &blocker, &blocked)? > 0))
        .await
}

/// A page of the people the viewer blocked, by id, with their public profiles, so that the app
/// can offer to unblock them.
pub async fn blocked_users(
    db: &Db,
    viewer: &Viewer,
    page: PageRequest,
) -> AppResult<Page<crate::accounts::model::Profile>> {
    let blocker = viewer.user_id.clone();
    let after: Option<UserId> = page.after()?;
    let ids = db
        .run(move |conn| {
            let rows = store::blocked_page(conn, &blocker, after.as_ref(), page.fetch_limit())?;
            Ok(Page::from_overfetch(rows, &page))
        })
        .await?;
    let mut profiles = accounts::profiles(db, ids.items.clone()).await?;
    // An account erased meanwhile takes its block with it; one racing that is left out.
    ids.try_map_items(|ids| Ok(ids.iter().filter_map(|id| profiles.remove(id)).collect()))
}
