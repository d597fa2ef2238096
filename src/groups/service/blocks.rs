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
