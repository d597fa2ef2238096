//! What groups hold about a person: its export, and its erasure after the groups they lead are
//! handed over.

use super::*;

/// Keeps every group led when `user_id`'s account is erased, inside the erasing transaction, by
/// [`hand_over_if_last`]'s rule. Erasure is never refused: a group with nobody left to lead it
/// is left without a facilitator.
fn hand_over_before_erasure(conn: &mut DbConnection, user_id: &UserId) -> AppResult<()> {
    let mut led = store::facilitated_by(conn, user_id)?;
    // Locks taken in one order everywhere, so that two erasures cannot deadlock.
    led.sort();
    for group_id in led {
        locked_group(conn, &group_id)?;
        let Some(membership) = store::membership(conn, &group_id, user_id)? else {
            continue;
        };
        match hand_over_if_last(conn, &membership) {
            Ok(()) | Err(AppError::Conflict(Message::NoSuccessor)) => {}
            Err(other) => return Err(other),
        }
    }
    Ok(())
}

/// What groups hold about a person; erasing hands their groups over first.
pub struct GroupsData;
pub static GROUPS_DATA: GroupsData = GroupsData;

impl PersonalData for GroupsData {
    fn name(&self) -> &'static str {
        "groups"
    }

    fn columns(&self) -> &'static [PersonColumn] {
        &[
            PersonColumn {
                table: "peer_groups",
                column: "created_by",
            },
            PersonColumn {
                table: "memberships",
                column: "user_id",
            },
            PersonColumn {
                table: "group_removals",
                column: "user_id",
            },
            PersonColumn {
                table: "posting_suspensions",
                column: "user_id",
            },
            PersonColumn {
                table: "posts",
                column: "author_id",
            },
            PersonColumn {
                table: "post_reports",
                column: "reporter_id",
            },
            PersonColumn {
                table: "post_reports",
                column: "resolved_by",
            },
            PersonColumn {
                table: "moderation_actions",
                column: "actor_id",
            },
            PersonColumn {
                table: "moderation_actions",
                column: "target_user_id",
            },
            PersonColumn {
                table: "user_blocks",
                column: "blocker_id",
            },
            PersonColumn {
                table: "user_blocks",
                column: "blocked_id",
            },
        ]
    }

    fn export(&self, conn: &mut DbConnection, person: &Person) -> AppResult<serde_json::Value> {
        let user = &person.id;
        use serde_json::json;
        let memberships: Vec<_> = store::memberships_for_export(conn, user)?
            .into_iter()
            .map(|(group, role, status, since)| {
                json!({ "group": group, "role": role.as_str(), "status": status.as_str(), "since": instant(since) })
            })
            .collect();
        let posts: Vec<_> = store::posts_for_export(conn, user)?
            .into_iter()
            .map(|post| {
                json!({ "group": post.group, "reply": post.reply, "anonymous": post.anonymous,
                        "body": post.body, "at": instant(post.at) })
            })
            .collect();
        let reports: Vec<_> = store::reports_for_export(conn, user)?
            .into_iter()
            .map(|(category, reason, status, at)| {
                json!({ "category": category.as_str(), "reason": reason, "status": status.as_str(), "at": instant(at) })
            })
            .collect();
        let blocks: Vec<_> = store::blocks_for_export(conn, user)?
            .into_iter()
            .map(|at| json!({ "at": instant(at) }))
            .collect();
        let (removals, suspensions) = store::sanctions_for_export(conn, user)?;
        let in_group = |(group, at): (String, chrono::NaiveDateTime)| json!({ "group": group, "at": instant(at) });
        let actions: Vec<_> = store::actions_against_for_export(conn, user)?
            .into_iter()
            .map(|(action, reason, at)| json!({ "action": action.as_str(), "reason": reason, "at": instant(at) }))
            .collect();
        Ok(json!({
            "memberships": memberships,
            "posts": posts,
            "reportsFiled": reports,
            "blocks": blocks,
            "removedFrom": removals.into_iter().map(in_group).collect::<Vec<_>>(),
            "postingSuspendedIn": suspensions.into_iter().map(in_group).collect::<Vec<_>>(),
            "moderationActionsAboutYou": actions,
        }))
    }

    fn erase(&self, conn: &mut DbConnection, person: &Person) -> AppResult<()> {
        let user = &person.id;
        hand_over_before_erasure(conn, user)?;
        Ok(store::erase_person(conn, user)?)
    }
}
