//! Queries on groups, memberships, posts, reports, the moderation log and blocks.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::dsl::{case_when, exists};
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::sql_types::{Array, BigInt, Bool, Nullable, Text, Timestamp};
use diesel::sqlite::Sqlite;

use super::model::{
    Group, GroupAsSeen, GroupRow, GroupSearch, GroupSearchTexts, MemberRole, Membership,
    MembershipStatus, ModerationAction, ModerationKind, OwnPost, PostRow, ReportRow,
};
use crate::accounts::model::Profession;
use crate::db::schema::{
    group_professions, group_removals, memberships, moderation_actions, peer_groups, post_reports,
    posting_suspensions, posts, user_blocks, users,
};
use crate::db::{DbConnection, TextListExt, json_list, prepared_once, texts};
use crate::ids::{GroupId, MembershipId, ModerationActionId, PostId, ReportId, UserId};
use crate::on_backend;
use crate::reports::{QueuePosition, ReportCategory, ReportStatus};

// ------------------------------------------------------------------ groups

pub fn insert_group(
    conn: &mut DbConnection,
    group: &GroupRow,
    texts: &GroupSearchTexts,
) -> QueryResult<()> {
    diesel::insert_into(peer_groups::table)
        .values((group, texts))
        .execute(conn)
        .map(drop)
}

/// Writes a group's changed settings (a unique violation when its new name is taken).
pub fn update_group(
    conn: &mut DbConnection,
    group: &GroupRow,
    texts: &GroupSearchTexts,
) -> QueryResult<()> {
    diesel::update(peer_groups::table.find(&group.id))
        .set((
            peer_groups::name.eq(&group.name),
            peer_groups::description.eq(&group.description),
            peer_groups::topic.eq(&group.topic),
            peer_groups::visibility.eq(group.visibility),
            peer_groups::verified_only.eq(group.verified_only),
            texts,
        ))
        .execute(conn)
        .map(drop)
}

/// Replaces the professions a group is meant for.
pub fn replace_professions(
    conn: &mut DbConnection,
    group_id: &GroupId,
    professions: &[Profession],
) -> QueryResult<()> {
    diesel::delete(group_professions::table.filter(group_professions::group_id.eq(group_id)))
        .execute(conn)?;
    for profession in professions {
        insert_profession(conn, group_id, *profession)?;
    }
    Ok(())
}

pub fn insert_profession(
    conn: &mut DbConnection,
    group_id: &GroupId,
    profession: Profession,
) -> QueryResult<()> {
    diesel::insert_into(group_professions::table)
        .values((
            group_professions::group_id.eq(group_id),
            group_professions::profession.eq(profession),
        ))
        .execute(conn)
        .map(drop)
}

pub fn group(conn: &mut DbConnection, id: &GroupId) -> QueryResult<Option<GroupRow>> {
    peer_groups::table
        .find(id)
        .select(GroupRow::as_select())
        .first(conn)
        .optional()
}

pub fn groups_by_ids(conn: &mut DbConnection, ids: &[GroupId]) -> QueryResult<Vec<Group>> {
    peer_groups::table
        .filter(peer_groups::id.one_of(ids))
        .select(Group::as_select())
        .load(conn)
}

/// `text` with LIKE's wildcards escaped, for a literal substring match.
fn like_pattern(text: &str) -> String {
    let escaped = text
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

/// Groups whose search text is still to fill: id, name, description, topic.
pub fn unindexed_groups(
    conn: &mut DbConnection,
    limit: i64,
) -> QueryResult<Vec<(GroupId, String, String, String)>> {
    peer_groups::table
        .filter(peer_groups::search_text.eq(""))
        .select((
            peer_groups::id,
            peer_groups::name,
            peer_groups::description,
            peer_groups::topic,
        ))
        .limit(limit)
        .load(conn)
}

pub fn set_search_text(conn: &mut DbConnection, id: &GroupId, text: &str) -> QueryResult<()> {
    diesel::update(peer_groups::table.find(id))
        .set(peer_groups::search_text.eq(text))
        .execute(conn)
        .map(drop)
}

/// Above every group id: the cursor of a first page, so that every page seeks the same way.
/// Ids are lowercase hexadecimal UUIDs, below `z` in any collation.
const ABOVE_EVERY_GROUP_ID: &str = "z";

/// Groups that match `search`, newest first, with `viewer`'s membership of each. One statement
/// whose text does not depend on the filters (an absent filter is a NULL or an empty list), so
/// diesel prepares it once per connection and never builds its SQL again.
pub fn search_groups(
    conn: &mut DbConnection,
    search: &GroupSearch,
    viewer: &UserId,
    after: Option<&GroupId>,
    limit: i64,
) -> QueryResult<Vec<GroupAsSeen>> {
    let language = search.language.as_deref().into_sql::<Nullable<Text>>();
    let region = search.region.as_deref().into_sql::<Nullable<Text>>();
    // A group meant for some professions lists them as `A,B,C` (empty: for everyone).
    let profession = search
        .profession
        .map(|profession| format!(",{},", profession.as_str()));
    let before = after.map_or(ABOVE_EVERY_GROUP_ID, GroupId::as_str);
    // Built for each backend's own connection, where diesel finds it by its type alone.
    on_backend!(conn, |backend| {
        let query = peer_groups::table
            .left_join(
                memberships::table.on(memberships::group_id
                    .eq(peer_groups::id)
                    .and(memberships::user_id.eq(viewer))),
            )
            .filter(peer_groups::search_text.contains_every(&search.words))
            .filter(
                language
                    .is_null()
                    .or(peer_groups::language.nullable().eq(language)),
            )
            .filter(region.is_null().or(peer_groups::region.eq(region)))
            .filter(
                peer_groups::professions.eq("").or(","
                    .into_sql::<Text>()
                    .concat(peer_groups::professions)
                    .concat(",")
                    .contains_every(&profession)),
            )
            .filter(peer_groups::id.lt(before))
            .order(peer_groups::id.desc())
            .limit(limit)
            .select((Group::as_select(), Option::<Membership>::as_select()));
        prepared_once(query).load(backend)
    })
}

/// The groups where `user_id` is an active member, newest first (bounded).
pub fn active_groups_of(
    conn: &mut DbConnection,
    user_id: &UserId,
    limit: i64,
) -> QueryResult<Vec<(Group, Membership)>> {
    peer_groups::table
        .inner_join(memberships::table)
        .filter(memberships::user_id.eq(user_id))
        .filter(memberships::status.eq(MembershipStatus::Active))
        .order(peer_groups::id.desc())
        .limit(limit)
        .select((Group::as_select(), Membership::as_select()))
        .load(conn)
}

// ------------------------------------------------------------------ memberships

/// Memberships of a person, active or pending.
pub fn count_memberships_of(conn: &mut DbConnection, user_id: &UserId) -> QueryResult<i64> {
    memberships::table
        .filter(memberships::user_id.eq(user_id))
        .count()
        .get_result(conn)
}

pub fn membership(
    conn: &mut DbConnection,
    group_id: &GroupId,
    user_id: &UserId,
) -> QueryResult<Option<Membership>> {
    memberships::table
        .filter(memberships::group_id.eq(group_id))
        .filter(memberships::user_id.eq(user_id))
        .select(Membership::as_select())
        .first(conn)
        .optional()
}

/// The person's memberships among these groups.
pub fn memberships_of(
    conn: &mut DbConnection,
    user_id: &UserId,
    group_ids: &[GroupId],
) -> QueryResult<Vec<Membership>> {
    memberships::table
        .filter(memberships::user_id.eq(user_id))
        .filter(memberships::group_id.one_of(group_ids))
        .select(Membership::as_select())
        .load(conn)
}

/// Those of these people who are active members of the group.
pub fn active_members_among(
    conn: &mut DbConnection,
    group_id: &GroupId,
    user_ids: &[UserId],
) -> QueryResult<Vec<UserId>> {
    memberships::table
        .filter(memberships::group_id.eq(group_id))
        .filter(memberships::user_id.one_of(user_ids))
        .filter(memberships::status.eq(MembershipStatus::Active))
        .select(memberships::user_id)
        .load(conn)
}

pub fn insert_membership(conn: &mut DbConnection, membership: &Membership) -> QueryResult<()> {
    diesel::insert_into(memberships::table)
        .values(membership)
        .execute(conn)
        .map(drop)
}

/// A pending membership becomes ACTIVE from `now`.
pub fn activate(conn: &mut DbConnection, id: &MembershipId, now: NaiveDateTime) -> QueryResult<()> {
    diesel::update(memberships::table.find(id))
        .set((
            memberships::status.eq(MembershipStatus::Active),
            memberships::active_since.eq(now),
        ))
        .execute(conn)
        .map(drop)
}

/// (group, member) for the active members of these groups active since before `since`.
pub fn members_active_before(
    conn: &mut DbConnection,
    group_ids: &[GroupId],
    since: NaiveDateTime,
) -> QueryResult<Vec<(GroupId, UserId)>> {
    let mut members = Vec::new();
    // Bounded lists of bound values, whatever the number of groups.
    for chunk in group_ids.chunks(5_000) {
        members.extend(
            memberships::table
                .filter(memberships::group_id.one_of(chunk))
                .filter(memberships::status.eq(MembershipStatus::Active))
                .filter(memberships::active_since.lt(since))
                .select((memberships::group_id, memberships::user_id))
                .load::<(GroupId, UserId)>(conn)?,
        );
    }
    Ok(members)
}

pub fn set_role(conn: &mut DbConnection, id: &MembershipId, role: MemberRole) -> QueryResult<()> {
    diesel::update(memberships::table.find(id))
        .set(memberships::role.eq(role))
        .execute(conn)
        .map(drop)
}

pub fn delete_membership(conn: &mut DbConnection, id: &MembershipId) -> QueryResult<usize> {
    diesel::delete(memberships::table.find(id)).execute(conn)
}

pub fn count_members(
    conn: &mut DbConnection,
    group_id: &GroupId,
    role: Option<MemberRole>,
) -> QueryResult<i64> {
    let mut query = memberships::table
        .filter(memberships::group_id.eq(group_id))
        .filter(memberships::status.eq(MembershipStatus::Active))
        .count()
        .into_boxed();
    if let Some(role) = role {
        query = query.filter(memberships::role.eq(role));
    }
    query.get_result(conn)
}

/// One page of a group's memberships in `status`, oldest first.
pub fn memberships_page(
    conn: &mut DbConnection,
    group_id: &GroupId,
    status: MembershipStatus,
    after: Option<&MembershipId>,
    limit: i64,
) -> QueryResult<Vec<Membership>> {
    let mut query = memberships::table
        .filter(memberships::group_id.eq(group_id))
        .filter(memberships::status.eq(status))
        .order(memberships::id.asc())
        .limit(limit)
        .select(Membership::as_select())
        .into_boxed();
    if let Some(after) = after {
        query = query.filter(memberships::id.gt(after.clone()));
    }
    query.load(conn)
}

/// The groups `user_id` facilitates.
pub fn facilitated_by(conn: &mut DbConnection, user_id: &UserId) -> QueryResult<Vec<GroupId>> {
    memberships::table
        .filter(memberships::user_id.eq(user_id))
        .filter(memberships::status.eq(MembershipStatus::Active))
        .filter(memberships::role.eq(MemberRole::Facilitator))
        .select(memberships::group_id)
        .load(conn)
}

pub fn facilitators(conn: &mut DbConnection, group_id: &GroupId) -> QueryResult<Vec<UserId>> {
    memberships::table
        .filter(memberships::group_id.eq(group_id))
        .filter(memberships::status.eq(MembershipStatus::Active))
        .filter(memberships::role.eq(MemberRole::Facilitator))
        .select(memberships::user_id)
        .load(conn)
}

pub fn was_removed(
    conn: &mut DbConnection,
    group_id: &GroupId,
    user_id: &UserId,
) -> QueryResult<bool> {
    diesel::select(exists(
        group_removals::table
            .filter(group_removals::group_id.eq(group_id))
            .filter(group_removals::user_id.eq(user_id)),
    ))
    .get_result(conn)
}

/// Remembers a removal (once: a second one keeps the first).
pub fn record_removal(
    conn: &mut DbConnection,
    group_id: &GroupId,
    user_id: &UserId,
    now: NaiveDateTime,
) -> QueryResult<()> {
    let values = (
        group_removals::group_id.eq(group_id),
        group_removals::user_id.eq(user_id),
        group_removals::removed_at.eq(now),
    );
    on_backend!(conn, |backend| diesel::insert_into(group_removals::table)
        .values(values)
        .on_conflict_do_nothing()
        .execute(backend))
    .map(drop)
}

/// Suspends `user_id` from posting in the group (once: a second one keeps the first).
pub fn suspend_posting(
    conn: &mut DbConnection,
    group_id: &GroupId,
    user_id: &UserId,
    now: NaiveDateTime,
) -> QueryResult<()> {
    let values = (
        posting_suspensions::group_id.eq(group_id),
        posting_suspensions::user_id.eq(user_id),
        posting_suspensions::suspended_at.eq(now),
    );
    on_backend!(conn, |backend| diesel::insert_into(
        posting_suspensions::table
    )
    .values(values)
    .on_conflict_do_nothing()
    .execute(backend))
    .map(drop)
}

pub fn is_suspended(
    conn: &mut DbConnection,
    group_id: &GroupId,
    user_id: &UserId,
) -> QueryResult<bool> {
    diesel::select(exists(
        posting_suspensions::table
            .filter(posting_suspensions::group_id.eq(group_id))
            .filter(posting_suspensions::user_id.eq(user_id)),
    ))
    .get_result(conn)
}

// ------------------------------------------------------------------ posts

pub fn insert_post(conn: &mut DbConnection, post: &PostRow) -> QueryResult<()> {
    diesel::insert_into(posts::table)
        .values(post)
        .execute(conn)
        .map(drop)
}

pub fn post(conn: &mut DbConnection, id: &PostId) -> QueryResult<Option<PostRow>> {
    posts::table
        .find(id)
        .select(PostRow::as_select())
        .first(conn)
        .optional()
}

pub fn posts_by_ids(conn: &mut DbConnection, ids: &[PostId]) -> QueryResult<Vec<PostRow>> {
    posts::table
        .filter(posts::id.one_of(ids))
        .select(PostRow::as_select())
        .load(conn)
}

/// One page of a group's top-level posts (newest first) or of a post's replies (oldest first),
/// leaving out the signed posts of `hidden_authors` (people the viewer blocked).
pub fn posts_page(
    conn: &mut DbConnection,
    group_id: &GroupId,
    parent: Option<&PostId>,
    hidden_authors: &[UserId],
    after: Option<&PostId>,
    limit: i64,
) -> QueryResult<Vec<PostRow>> {
    let mut query = posts::table
        .filter(posts::group_id.eq(group_id))
        .limit(limit)
        .select(PostRow::as_select())
        .into_boxed();
    query = match parent {
        None => {
            query = query
                .filter(posts::parent_id.is_null())
                .order(posts::id.desc());
            match after {
                Some(after) => query.filter(posts::id.lt(after.clone())),
                None => query,
            }
        }
        Some(parent) => {
            query = query
                .filter(posts::parent_id.eq(parent.clone()))
                .order(posts::id.asc());
            match after {
                Some(after) => query.filter(posts::id.gt(after.clone())),
                None => query,
            }
        }
    };
    if !hidden_authors.is_empty() {
        // Anonymous posts stay: hiding them would tell the blocker who wrote them.
        query = query.filter(
            posts::anonymous
                .eq(true)
                .or(posts::author_id.ne_all(hidden_authors.to_vec())),
        );
    }
    query.load(conn)
}

pub fn reply_counts(conn: &mut DbConnection, ids: &[PostId]) -> QueryResult<HashMap<PostId, i64>> {
    let rows: Vec<(Option<PostId>, i64)> = posts::table
        .filter(posts::parent_id.one_of(ids))
        .group_by(posts::parent_id)
        .select((posts::parent_id, diesel::dsl::count_star()))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|(parent, count)| parent.map(|parent| (parent, count)))
        .collect())
}

pub fn edit_post(
    conn: &mut DbConnection,
    id: &PostId,
    body: &str,
    at: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(posts::table.find(id))
        .set((posts::body.eq(body), posts::edited_at.eq(at)))
        .execute(conn)
        .map(drop)
}

pub fn delete_post(conn: &mut DbConnection, id: &PostId) -> QueryResult<usize> {
    diesel::delete(posts::table.find(id)).execute(conn)
}

// ------------------------------------------------------------------ blocks

pub fn blocked_by(conn: &mut DbConnection, blocker: &UserId) -> QueryResult<Vec<UserId>> {
    user_blocks::table
        .filter(user_blocks::blocker_id.eq(blocker))
        .select(user_blocks::blocked_id)
        .load(conn)
}

/// A page of the people `blocker` blocked, by id, after `after`.
pub fn blocked_page(
    conn: &mut DbConnection,
    blocker: &UserId,
    after: Option<&UserId>,
    limit: i64,
) -> QueryResult<Vec<UserId>> {
    let mut query = user_blocks::table
        .filter(user_blocks::blocker_id.eq(blocker))
        .select(user_blocks::blocked_id)
        .order(user_blocks::blocked_id)
        .limit(limit)
        .into_boxed();
    if let Some(after) = after {
        query = query.filter(user_blocks::blocked_id.gt(after));
    }
    query.load(conn)
}

/// Those of these people who blocked `blocked`.
pub fn blockers_among(
    conn: &mut DbConnection,
    blocked: &UserId,
    user_ids: &[UserId],
) -> QueryResult<Vec<UserId>> {
    user_blocks::table
        .filter(user_blocks::blocked_id.eq(blocked))
        .filter(user_blocks::blocker_id.one_of(user_ids))
        .select(user_blocks::blocker_id)
        .load(conn)
}

/// Everyone the person blocked or was blocked by, in one statement (each side has its index).
pub fn blocked_either_way(conn: &mut DbConnection, user: &UserId) -> QueryResult<Vec<UserId>> {
    user_blocks::table
        .filter(
            user_blocks::blocker_id
                .eq(user)
                .or(user_blocks::blocked_id.eq(user)),
        )
        .select(
            case_when(user_blocks::blocker_id.eq(user), user_blocks::blocked_id)
                .otherwise(user_blocks::blocker_id),
        )
        .load(conn)
}

/// Blocks; false when the block existed already (two blocks at once included).
pub fn insert_block(
    conn: &mut DbConnection,
    blocker: &UserId,
    blocked: &UserId,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let values = (
        user_blocks::blocker_id.eq(blocker),
        user_blocks::blocked_id.eq(blocked),
        user_blocks::created_at.eq(now),
    );
    let inserted = on_backend!(conn, |backend| diesel::insert_into(user_blocks::table)
        .values(values)
        .on_conflict_do_nothing()
        .execute(backend))?;
    Ok(inserted == 1)
}

pub fn delete_block(
    conn: &mut DbConnection,
    blocker: &UserId,
    blocked: &UserId,
) -> QueryResult<usize> {
    diesel::delete(
        user_blocks::table
            .filter(user_blocks::blocker_id.eq(blocker))
            .filter(user_blocks::blocked_id.eq(blocked)),
    )
    .execute(conn)
}

// ------------------------------------------------------------------ reports and moderation

/// Files a report; false when this member already reported this post (one report each).
pub fn insert_report(conn: &mut DbConnection, report: &ReportRow) -> QueryResult<bool> {
    let inserted = on_backend!(conn, |backend| diesel::insert_into(post_reports::table)
        .values(report)
        .on_conflict_do_nothing()
        .execute(backend))?;
    Ok(inserted == 1)
}

pub fn report(conn: &mut DbConnection, id: &ReportId) -> QueryResult<Option<ReportRow>> {
    post_reports::table
        .find(id)
        .select(ReportRow::as_select())
        .first(conn)
        .optional()
}

/// One page of open reports: AT_RISK first, then oldest first. The cursor is `priority:id`.
pub fn open_reports_page(
    conn: &mut DbConnection,
    after: Option<QueuePosition<ReportId>>,
    limit: i64,
) -> QueryResult<Vec<ReportRow>> {
    let mut query = post_reports::table
        .filter(post_reports::status.eq(ReportStatus::Open))
        .order((post_reports::priority.asc(), post_reports::id.asc()))
        .limit(limit)
        .select(ReportRow::as_select())
        .into_boxed();
    if let Some(QueuePosition { priority, id }) = after {
        query = query.filter(
            post_reports::priority
                .gt(priority)
                .or(post_reports::priority
                    .eq(priority)
                    .and(post_reports::id.gt(id))),
        );
    }
    query.load(conn)
}

pub fn resolve_report(
    conn: &mut DbConnection,
    id: &ReportId,
    by: &UserId,
    resolution: Option<&str>,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    diesel::update(
        post_reports::table
            .find(id)
            .filter(post_reports::status.eq(ReportStatus::Open)),
    )
    .set((
        post_reports::status.eq(ReportStatus::Resolved),
        post_reports::resolved_by.eq(by),
        post_reports::resolution.eq(resolution),
        post_reports::resolved_at.eq(now),
    ))
    .execute(conn)
    .map(|updated| updated == 1)
}

pub fn insert_action(conn: &mut DbConnection, action: &ModerationAction) -> QueryResult<()> {
    diesel::insert_into(moderation_actions::table)
        .values(action)
        .execute(conn)
        .map(drop)
}

/// One page of the moderation log, newest first, optionally for one group.
pub fn actions_page(
    conn: &mut DbConnection,
    group_id: Option<&GroupId>,
    after: Option<&ModerationActionId>,
    limit: i64,
) -> QueryResult<Vec<ModerationAction>> {
    let mut query = moderation_actions::table
        .order(moderation_actions::id.desc())
        .limit(limit)
        .select(ModerationAction::as_select())
        .into_boxed();
    if let Some(group_id) = group_id {
        query = query.filter(moderation_actions::group_id.eq(group_id.clone()));
    }
    if let Some(after) = after {
        query = query.filter(moderation_actions::id.lt(after.clone()));
    }
    query.load(conn)
}

// ------------------------------------------------------------------ export

/// The groups the person is an active member of.
pub fn active_group_ids(conn: &mut DbConnection, user_id: &UserId) -> QueryResult<Vec<GroupId>> {
    memberships::table
        .filter(memberships::user_id.eq(user_id))
        .filter(memberships::status.eq(MembershipStatus::Active))
        .select(memberships::group_id)
        .load(conn)
}

/// The person's memberships: group name, role, status, since.
pub fn memberships_for_export(
    conn: &mut DbConnection,
    user_id: &UserId,
) -> QueryResult<Vec<(String, MemberRole, MembershipStatus, NaiveDateTime)>> {
    memberships::table
        .inner_join(peer_groups::table)
        .filter(memberships::user_id.eq(user_id))
        .order(memberships::id)
        .select((
            peer_groups::name,
            memberships::role,
            memberships::status,
            memberships::created_at,
        ))
        .load(conn)
}

/// The person's posts and replies, with their group's name.
pub fn posts_for_export(conn: &mut DbConnection, user_id: &UserId) -> QueryResult<Vec<OwnPost>> {
    posts::table
        .inner_join(peer_groups::table)
        .filter(posts::author_id.eq(user_id))
        .order(posts::id)
        .select((
            peer_groups::name,
            posts::parent_id.is_not_null(),
            posts::anonymous,
            posts::body,
            posts::created_at,
        ))
        .load(conn)
}

/// The reports the person filed: category, reason, status, when.
pub fn reports_for_export(
    conn: &mut DbConnection,
    user_id: &UserId,
) -> QueryResult<Vec<(ReportCategory, String, ReportStatus, NaiveDateTime)>> {
    post_reports::table
        .filter(post_reports::reporter_id.eq(user_id))
        .order(post_reports::id)
        .select((
            post_reports::category,
            post_reports::reason,
            post_reports::status,
            post_reports::created_at,
        ))
        .load(conn)
}

/// When the person blocked someone (not whom: that names another person).
pub fn blocks_for_export(
    conn: &mut DbConnection,
    user_id: &UserId,
) -> QueryResult<Vec<NaiveDateTime>> {
    user_blocks::table
        .filter(user_blocks::blocker_id.eq(user_id))
        .order(user_blocks::created_at)
        .select(user_blocks::created_at)
        .load(conn)
}

/// A group's name and when something happened to the person there.
pub type InGroup = (String, NaiveDateTime);

/// Where and when the person was removed from a group, and suspended from posting in one.
pub fn sanctions_for_export(
    conn: &mut DbConnection,
    user_id: &UserId,
) -> QueryResult<(Vec<InGroup>, Vec<InGroup>)> {
    let removals = group_removals::table
        .inner_join(peer_groups::table)
        .filter(group_removals::user_id.eq(user_id))
        .select((peer_groups::name, group_removals::removed_at))
        .load(conn)?;
    let suspensions = posting_suspensions::table
        .inner_join(peer_groups::table)
        .filter(posting_suspensions::user_id.eq(user_id))
        .select((peer_groups::name, posting_suspensions::suspended_at))
        .load(conn)?;
    Ok((removals, suspensions))
}

/// Moderation actions that named the person: what, why, when (never who acted).
pub fn actions_against_for_export(
    conn: &mut DbConnection,
    user_id: &UserId,
) -> QueryResult<Vec<(ModerationKind, Option<String>, NaiveDateTime)>> {
    moderation_actions::table
        .filter(moderation_actions::target_user_id.eq(user_id))
        .order(moderation_actions::id)
        .select((
            moderation_actions::action,
            moderation_actions::reason,
            moderation_actions::created_at,
        ))
        .load(conn)
}

// ------------------------------------------------------------------ erasure

/// The person's replies go; of their top-level posts, those others replied to stay as tombstones
/// (no author, no body, shown as anonymous) so that the replies keep their place, and the rest go.
fn erase_posts_of(conn: &mut DbConnection, user_id: &UserId) -> QueryResult<()> {
    diesel::delete(
        posts::table
            .filter(posts::author_id.eq(user_id))
            .filter(posts::parent_id.is_not_null()),
    )
    .execute(conn)?;
    let replies = diesel::alias!(posts as replies);
    let answered = diesel::dsl::exists(
        replies.filter(replies.field(posts::parent_id).eq(posts::id.nullable())),
    );
    diesel::delete(
        posts::table
            .filter(posts::author_id.eq(user_id))
            .filter(diesel::dsl::not(answered)),
    )
    .execute(conn)?;
    diesel::update(posts::table.filter(posts::author_id.eq(user_id)))
        .set((
            posts::author_id.eq(None::<UserId>),
            posts::anonymous.eq(true),
            posts::body.eq(""),
        ))
        .execute(conn)?;
    Ok(())
}

/// Erases the person from groups: their reports (the reasons they wrote), blocks, memberships,
/// removals, suspensions, replies and unanswered posts go (answered ones become tombstones); the
/// groups they created, the reports they resolved and the moderation entries by or about them
/// stay without them or the reasons they wrote.
pub fn erase_person(conn: &mut DbConnection, user_id: &UserId) -> QueryResult<()> {
    diesel::delete(post_reports::table.filter(post_reports::reporter_id.eq(user_id)))
        .execute(conn)?;
    diesel::update(post_reports::table.filter(post_reports::resolved_by.eq(user_id)))
        .set(post_reports::resolved_by.eq(None::<UserId>))
        .execute(conn)?;
    diesel::update(moderation_actions::table.filter(moderation_actions::actor_id.eq(user_id)))
        .set((
            moderation_actions::actor_id.eq(None::<UserId>),
            moderation_actions::reason.eq(None::<String>),
        ))
        .execute(conn)?;
    diesel::update(
        moderation_actions::table.filter(moderation_actions::target_user_id.eq(user_id)),
    )
    .set(moderation_actions::target_user_id.eq(None::<UserId>))
    .execute(conn)?;
    diesel::delete(
        user_blocks::table.filter(
            user_blocks::blocker_id
                .eq(user_id)
                .or(user_blocks::blocked_id.eq(user_id)),
        ),
    )
    .execute(conn)?;
    diesel::delete(group_removals::table.filter(group_removals::user_id.eq(user_id)))
        .execute(conn)?;
    diesel::delete(posting_suspensions::table.filter(posting_suspensions::user_id.eq(user_id)))
        .execute(conn)?;
    diesel::delete(memberships::table.filter(memberships::user_id.eq(user_id))).execute(conn)?;
    erase_posts_of(conn, user_id)?;
    diesel::update(peer_groups::table.filter(peer_groups::created_by.eq(user_id)))
        .set(peer_groups::created_by.eq(None::<UserId>))
        .execute(conn)?;
    Ok(())
}

// ------------------------------------------------------------------ people

/// One page of the people who share an active group with `viewer`, whose name key holds every
/// word, by name key then id: (id, name key). The viewer, the people they blocked and those who
/// blocked them are left out.
pub fn people_sharing_a_group(
    conn: &mut DbConnection,
    viewer: &UserId,
    words: &[String],
    after: Option<&(String, UserId)>,
    limit: i64,
) -> QueryResult<Vec<(UserId, String)>> {
    let (mine, theirs) = diesel::alias!(memberships as mine, memberships as theirs);
    let co_members = mine
        .inner_join(
            theirs.on(theirs
                .field(memberships::group_id)
                .eq(mine.field(memberships::group_id))),
        )
        .filter(mine.field(memberships::user_id).eq(viewer))
        .filter(mine.field(memberships::status).eq(MembershipStatus::Active))
        .filter(
            theirs
                .field(memberships::status)
                .eq(MembershipStatus::Active),
        )
        .select(theirs.field(memberships::user_id));
    let blocked = user_blocks::table
        .filter(user_blocks::blocker_id.eq(viewer))
        .select(user_blocks::blocked_id);
    let blockers = user_blocks::table
        .filter(user_blocks::blocked_id.eq(viewer))
        .select(user_blocks::blocker_id);
    let mut query = users::table
        .filter(users::id.eq_any(co_members))
        .filter(users::id.ne(viewer))
        .filter(users::id.ne_all(blocked))
        .filter(users::id.ne_all(blockers))
        .order((users::name_key.asc(), users::id.asc()))
        .limit(limit)
        .select((users::id, users::name_key))
        .into_boxed();
    for word in words {
        query = query.filter(users::name_key.like(like_pattern(word)).escape('\\'));
    }
    if let Some((key, id)) = after {
        query = query.filter(
            users::name_key.gt(key.clone()).or(users::name_key
                .eq(key.clone())
                .and(users::id.gt(id.clone()))),
        );
    }
    query.load(conn)
}

/// The newest `per_group` top-level posts of each of these groups, leaving out signed posts of
/// `hidden_authors` (one query for all the groups). Each group's posts are read from its end of
/// the `(group_id, parent_id, id)` index and no further, so a page costs `per_group` rows per
/// group however busy the group is (see [`LatestPosts`]).
pub fn latest_posts(
    conn: &mut DbConnection,
    group_ids: &[GroupId],
    hidden_authors: &[UserId],
    per_group: i64,
) -> QueryResult<Vec<PostRow>> {
    if group_ids.is_empty() || per_group < 1 {
        return Ok(Vec::new());
    }
    let query = LatestPosts {
        group_ids: texts(group_ids),
        hidden_authors: texts(hidden_authors),
        per_group,
        group_ids_json: json_list(group_ids),
        hidden_authors_json: json_list(hidden_authors),
        boundary_offset: per_group - 1,
    };
    on_backend!(conn, |backend| query.load(backend))
}

/// The statement of [`latest_posts`], written for each backend: PostgreSQL takes each group's
/// page with a LATERAL join; SQLite, which has none, finds each group's `per_group`-th newest id
/// first and seeks from there (its `CROSS JOIN` keeps the groups as the outer loop, so that
/// boundary is computed once per group). Counting the newer posts of every post instead read the
/// whole group for each of its posts: 99 ms a page in a group of 1,000 posts. Its text is the same
/// whatever the lists hold, so diesel prepares it once per connection (a `sql_query` would be
/// prepared on every run). Anonymous posts stay: hiding them would tell the blocker who wrote
/// them.
struct LatestPosts {
    group_ids: Vec<String>,
    hidden_authors: Vec<String>,
    per_group: i64,
    /// The same lists as SQLite reads them, and the offset of each group's last post of the page.
    group_ids_json: String,
    hidden_authors_json: String,
    boundary_offset: i64,
}

impl QueryId for LatestPosts {
    type QueryId = Self;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl Query for LatestPosts {
    type SqlType = (
        Text,
        Text,
        Nullable<Text>,
        Nullable<Text>,
        Bool,
        Text,
        Timestamp,
        Nullable<Timestamp>,
    );
}

impl<Conn> RunQueryDsl<Conn> for LatestPosts {}

impl QueryFragment<Pg> for LatestPosts {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.push_sql("SELECT p.* FROM unnest(");
        out.push_bind_param::<Array<Text>, _>(&self.group_ids)?;
        out.push_sql(
            ") AS g (id) CROSS JOIN LATERAL (\
             SELECT n.id, n.group_id, n.author_id, n.parent_id, n.anonymous, n.body, \
             n.created_at, n.edited_at FROM posts AS n \
             WHERE n.group_id = g.id AND n.parent_id IS NULL \
             AND (n.anonymous OR n.author_id <> ALL(",
        );
        out.push_bind_param::<Array<Text>, _>(&self.hidden_authors)?;
        out.push_sql(")) ORDER BY n.id DESC LIMIT ");
        out.push_bind_param::<BigInt, _>(&self.per_group)?;
        out.push_sql(") AS p ORDER BY p.id DESC");
        Ok(())
    }
}

impl QueryFragment<Sqlite> for LatestPosts {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Sqlite>) -> QueryResult<()> {
        out.push_sql(
            "SELECT p.id, p.group_id, p.author_id, p.parent_id, p.anonymous, p.body, \
             p.created_at, p.edited_at FROM json_each(",
        );
        out.push_bind_param::<Text, _>(&self.group_ids_json)?;
        out.push_sql(
            ") AS g CROSS JOIN posts AS p \
             WHERE p.group_id = g.value AND p.parent_id IS NULL \
             AND (p.anonymous OR p.author_id NOT IN (SELECT value FROM json_each(",
        );
        out.push_bind_param::<Text, _>(&self.hidden_authors_json)?;
        out.push_sql(
            "))) AND p.id >= coalesce((SELECT n.id FROM posts AS n \
             WHERE n.group_id = g.value AND n.parent_id IS NULL \
             AND (n.anonymous OR n.author_id NOT IN (SELECT value FROM json_each(",
        );
        out.push_bind_param::<Text, _>(&self.hidden_authors_json)?;
        out.push_sql("))) ORDER BY n.id DESC LIMIT 1 OFFSET ");
        out.push_bind_param::<BigInt, _>(&self.boundary_offset)?;
        out.push_sql("), '') ORDER BY p.id DESC");
        Ok(())
    }
}
