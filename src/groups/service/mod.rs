//! Group rules: who may see, join, post, moderate; every check made against the viewer.
//! One module per use case (the directory, membership, posts, moderation, blocks, personal
//! data); the checks they share stay here.

use std::collections::{HashMap, HashSet};

use chrono::{NaiveDateTime, Utc};
use diesel::result::{DatabaseErrorKind, Error as DieselError};

use super::model::{
    BODY_MAX, DESCRIPTION_MAX, Group, GroupAsSeen, GroupChanges, GroupForm, GroupRow, GroupSearch,
    GroupSearchTexts, GroupVisibility, MemberRole, Membership, MembershipStatus, ModerationAction,
    ModerationKind, NAME_MAX, NAME_MIN, PostForm, PostRow, REGION_MAX, Report, ReportRow,
    SEARCH_MAX, TOPIC_MAX, TOPIC_MIN, VisiblePost,
};
use super::store;
use crate::accounts::service::{self as accounts, ensure_moderator, is_moderator};
use crate::auth::Viewer;
use crate::db::atomic::lock;
use crate::db::events::{Committed, after_commit};
use crate::db::{Db, DbConnection};
use crate::error::{AppError, AppResult, Prerequisite};
use crate::i18n::{Message, NotificationText};
use crate::ids::{GroupId, MembershipId, ModerationActionId, PostId, ReportId, UserId};
use crate::notifications::model::{Notice, NotificationCategory};
use crate::notifications::service::notify;
use crate::pagination::{Page, PageRequest};
use crate::privacy::{Person, PersonColumn, PersonalData, instant};
use crate::reports::{QueuePosition, REASON_MAX, ReportCategory, ReportStatus};
use crate::validate;

/// Groups a person may be in, or be waiting to join, at once; `myGroups` (the active ones) is
/// bounded by it. Far above what one person follows, low enough for a home screen in one request.
pub const GROUPS_MAX: i64 = 30;

mod blocks;
mod directory;
mod membership;
mod moderation;
mod people;
mod personal_data;
mod posts;

pub use blocks::{block, blocked_either_way, blocked_users, unblock};
pub use directory::{
    create_group, fill_search_texts, groups, memberships_of, my_groups, search, update_group,
};
use membership::hand_over_if_last;
pub use membership::{
    MembershipEnded, approve, join, leave, members, mute, pending_requests, remove_member,
    set_member_role, unmute,
};
pub use moderation::{moderation_log, open_reports, report_post, resolve_report};
pub use people::{FoundPerson, people};
pub use personal_data::{GROUPS_DATA, GroupsData};
pub use posts::{
    create_post, delete_post, ensure_member, first_pages, posts, posts_for, remove_post_author,
    replies, reply_counts, update_post,
};

// ------------------------------------------------------------------ checks

/// Locks `user_id`'s account and makes sure they may take one more group; CONFLICT when they
/// hold [`GROUPS_MAX`] already. The lock makes two joins at once count each other.
fn ensure_room_for_a_group(conn: &mut DbConnection, user_id: &UserId) -> AppResult<()> {
    accounts::lock_own_account(conn, user_id)?;
    if store::count_memberships_of(conn, user_id)? >= GROUPS_MAX {
        return Err(AppError::Conflict(Message::TooManyGroups {
            max: GROUPS_MAX,
        }));
    }
    Ok(())
}

fn existing_group(conn: &mut DbConnection, group_id: &GroupId) -> AppResult<GroupRow> {
    store::group(conn, group_id)?.ok_or(AppError::NotFound)
}

/// The group, locked until the write transaction ends: every rule about its memberships (the
/// last facilitator, a pending request, a removal) takes this lock first, so that on PostgreSQL
/// such changes run one after the other, as SQLite runs them.
fn locked_group(conn: &mut DbConnection, group_id: &GroupId) -> AppResult<GroupRow> {
    if !lock(conn, group_id)? {
        return Err(AppError::NotFound);
    }
    existing_group(conn, group_id)
}

/// The viewer's active membership of an existing group, or FORBIDDEN.
fn active_membership(
    conn: &mut DbConnection,
    group_id: &GroupId,
    user_id: &UserId,
) -> AppResult<Membership> {
    existing_group(conn, group_id)?;
    match store::membership(conn, group_id, user_id)? {
        Some(membership) if membership.is_active() => Ok(membership),
        _ => Err(AppError::Forbidden),
    }
}

/// For other domains (group workshops), inside their transaction: the groups `user_id` is an
/// active member of.
pub fn active_group_ids(conn: &mut DbConnection, user_id: &UserId) -> AppResult<Vec<GroupId>> {
    Ok(store::active_group_ids(conn, user_id)?)
}

/// For other domains, inside their transaction: the group's visibility, `None` when there is no
/// such group.
pub fn visibility_of(
    conn: &mut DbConnection,
    group_id: &GroupId,
) -> AppResult<Option<GroupVisibility>> {
    Ok(store::group(conn, group_id)?.map(|group| group.visibility))
}

/// For other domains, inside their transaction: whether `user_id` is an active member of the
/// group (`Some(true)` when they facilitate it), `None` when not a member or no such group.
pub fn active_role_in(
    conn: &mut DbConnection,
    group_id: &GroupId,
    user_id: &UserId,
) -> AppResult<Option<bool>> {
    Ok(store::membership(conn, group_id, user_id)?
        .filter(|membership| membership.is_active())
        .map(|membership| membership.is_facilitator()))
}

/// The active members of each of these groups who have been active since before `since`.
pub fn members_active_before(
    conn: &mut DbConnection,
    group_ids: &[GroupId],
    since: NaiveDateTime,
) -> AppResult<Vec<(GroupId, UserId)>> {
    Ok(store::members_active_before(conn, group_ids, since)?)
}

/// Whether the viewer may moderate `group_id`: one of its facilitators, or a MODERATOR/ADMIN.
fn may_moderate(conn: &mut DbConnection, group_id: &GroupId, user_id: &UserId) -> AppResult<bool> {
    let facilitator = store::membership(conn, group_id, user_id)?
        .is_some_and(|membership| membership.is_facilitator());
    Ok(facilitator || is_moderator(conn, user_id)?)
}

/// A post the viewer may read: in a group they are an active member of. Anything else is
/// NOT_FOUND, so post ids of other groups reveal nothing.
fn readable_post(
    conn: &mut DbConnection,
    post_id: &PostId,
    user_id: &UserId,
) -> AppResult<PostRow> {
    let post = store::post(conn, post_id)?.ok_or(AppError::NotFound)?;
    match store::membership(conn, &post.group_id, user_id)? {
        Some(membership) if membership.is_active() => Ok(post),
        _ => Err(AppError::NotFound),
    }
}

fn log_action(
    conn: &mut DbConnection,
    actor: &UserId,
    action: ModerationKind,
    group_id: &GroupId,
    details: ActionDetails,
) -> AppResult<()> {
    store::insert_action(
        conn,
        &ModerationAction {
            id: ModerationActionId::generate(),
            actor_id: Some(actor.clone()),
            action,
            group_id: Some(group_id.clone()),
            post_id: details.post_id.map(|id| id.to_string()),
            report_id: details.report_id.map(|id| id.to_string()),
            target_user_id: details.target,
            reason: details.reason,
            created_at: Utc::now().naive_utc(),
        },
    )?;
    Ok(())
}

/// What a moderation log entry says besides who, what and where.
#[derive(Default)]
struct ActionDetails {
    post_id: Option<PostId>,
    report_id: Option<ReportId>,
    target: Option<UserId>,
    reason: Option<String>,
}

fn valid_reason(reason: Option<&str>) -> AppResult<Option<String>> {
    validate::optional_text("reason", reason, REASON_MAX)
}
