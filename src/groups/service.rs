//! Group rules: who may see, join, post, moderate; every check made against the viewer.

use std::collections::{HashMap, HashSet};

use chrono::{NaiveDateTime, Utc};
use diesel::result::{DatabaseErrorKind, Error as DieselError};

use super::model::{
    BODY_MAX, DESCRIPTION_MAX, Group, GroupForm, GroupRow, GroupSearch, GroupVisibility,
    MemberRole, Membership, MembershipStatus, ModerationAction, ModerationKind, NAME_MAX, NAME_MIN,
    PostForm, PostRow, REGION_MAX, Report, ReportRow, SEARCH_MAX, TOPIC_MAX, TOPIC_MIN,
    VisiblePost,
};
use super::store;
use crate::accounts::service::{self as accounts, ensure_moderator, is_moderator};
use crate::auth::Viewer;
use crate::db::atomic::lock;
use crate::db::events::{Committed, after_commit};
use crate::db::{Db, DbConnection};
use crate::error::{AppError, AppResult};
use crate::i18n::{Message, NotificationText};
use crate::ids::{GroupId, MembershipId, ModerationActionId, PostId, ReportId, UserId};
use crate::notifications::model::{Notice, NotificationCategory};
use crate::notifications::service::notify;
use crate::pagination::{Page, PageRequest};
use crate::privacy::{Person, PersonColumn, PersonalData, instant};
use crate::reports::{QueuePosition, REASON_MAX, ReportCategory, ReportStatus};
use crate::validate;

/// Most groups `myGroups` returns.
pub const MY_GROUPS_MAX: usize = 200;
/// Most pending requests a facilitator sees at once (oldest first).
pub const PENDING_MAX: usize = 200;

// ------------------------------------------------------------------ checks

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

// ------------------------------------------------------------------ groups

fn with_professions(conn: &mut DbConnection, rows: Vec<GroupRow>) -> AppResult<Vec<Group>> {
    let ids: Vec<GroupId> = rows.iter().map(|row| row.id.clone()).collect();
    let mut professions = store::professions_of(conn, &ids)?;
    Ok(rows
        .into_iter()
        .map(|row| Group {
            professions: professions.remove(&row.id).unwrap_or_default(),
            row,
        })
        .collect())
}

/// Creates a group; its creator becomes its first facilitator.
pub async fn create_group(db: &Db, viewer: &Viewer, form: GroupForm) -> AppResult<Group> {
    let name = validate::name("name", &form.name, NAME_MIN, NAME_MAX)?;
    let description = validate::text("description", &form.description, 0, DESCRIPTION_MAX)?;
    let topic = validate::text("topic", &form.topic, TOPIC_MIN, TOPIC_MAX)?;
    let language = validate::language("language", &form.language)?;
    let region = validate::optional_text("region", form.region.as_deref(), REGION_MAX)?;
    let mut professions = form.professions;
    professions.sort_by_key(|profession| profession.as_str());
    professions.dedup();
    let now = Utc::now().naive_utc();
    let row = GroupRow {
        id: GroupId::generate(),
        name_normalized: name.to_lowercase(),
        search_text: format!("{name}\n{description}\n{topic}").to_lowercase(),
        name,
        description,
        topic,
        visibility: form.visibility,
        language,
        region,
        created_by: Some(viewer.user_id.clone()),
        created_at: now,
    };
    let creator = viewer.user_id.clone();
    db.write(move |conn| {
        store::insert_group(conn, &row).map_err(|cause| match cause {
            DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => {
                AppError::Conflict(Message::GroupNameTaken)
            }
            other => other.into(),
        })?;
        for profession in &professions {
            store::insert_profession(conn, &row.id, *profession)?;
        }
        store::insert_membership(
            conn,
            &Membership {
                id: MembershipId::generate(),
                group_id: row.id.clone(),
                user_id: creator,
                role: MemberRole::Facilitator,
                status: MembershipStatus::Active,
                created_at: now,
                active_since: Some(now),
            },
        )?;
        Ok(Group { row, professions })
    })
    .await
}

/// Discovery: public and private groups (private ones show their description and counts).
pub async fn search(db: &Db, mut search: GroupSearch, page: PageRequest) -> AppResult<Page<Group>> {
    let joined = search.words.join(" ");
    validate::text("search", &joined, 0, SEARCH_MAX)?;
    search.words = search
        .words
        .iter()
        .flat_map(|words| words.split_whitespace())
        .map(|word| validate::normalized(word).to_lowercase())
        .collect();
    search.language = search
        .language
        .as_deref()
        .map(|tag| validate::language("language", tag))
        .transpose()?;
    search.region = search
        .region
        .as_deref()
        .map(str::trim)
        .filter(|region| !region.is_empty())
        .map(str::to_owned);
    let after: Option<GroupId> = page.after()?;
    db.run(move |conn| {
        let rows = store::search_groups(conn, &search, after.as_ref(), page.fetch_limit())?;
        Page::from_overfetch(rows, &page).try_map_items(|rows| with_professions(conn, rows))
    })
    .await
}

/// Groups by id, for loaders (unknown ids are left out).
pub async fn groups(db: &Db, ids: Vec<GroupId>) -> AppResult<Vec<Group>> {
    db.run(move |conn| {
        let rows = store::groups_by_ids(conn, &ids)?;
        with_professions(conn, rows)
    })
    .await
}

pub async fn my_groups(db: &Db, viewer: &Viewer) -> AppResult<Vec<Group>> {
    let user_id = viewer.user_id.clone();
    db.run(move |conn| {
        let rows = store::active_groups_of(conn, &user_id, MY_GROUPS_MAX as i64)?;
        with_professions(conn, rows)
    })
    .await
}

/// Active members of each group.
pub async fn member_counts(db: &Db, ids: Vec<GroupId>) -> AppResult<HashMap<GroupId, i64>> {
    db.run(move |conn| Ok(store::active_counts(conn, &ids)?))
        .await
}

/// The person's memberships of these groups.
pub async fn memberships_of(
    db: &Db,
    user_id: UserId,
    ids: Vec<GroupId>,
) -> AppResult<Vec<Membership>> {
    db.run(move |conn| Ok(store::memberships_of(conn, &user_id, &ids)?))
        .await
}

// ------------------------------------------------------------------ membership

/// Joins a group: at once for a public one, on a facilitator's approval for a private one or
/// for someone a facilitator removed before.
pub async fn join(db: &Db, viewer: &Viewer, group_id: GroupId) -> AppResult<Membership> {
    let user_id = viewer.user_id.clone();
    db.write(move |conn| {
        let group = locked_group(conn, &group_id)?;
        if store::membership(conn, &group_id, &user_id)?.is_some() {
            return Err(AppError::Conflict(Message::AlreadyMember));
        }
        let needs_approval = group.visibility == super::model::GroupVisibility::Private
            || store::was_removed(conn, &group_id, &user_id)?;
        let now = Utc::now().naive_utc();
        let membership = Membership {
            id: MembershipId::generate(),
            group_id: group_id.clone(),
            user_id,
            role: MemberRole::Member,
            status: if needs_approval {
                MembershipStatus::Pending
            } else {
                MembershipStatus::Active
            },
            created_at: now,
            active_since: (!needs_approval).then_some(now),
        };
        store::insert_membership(conn, &membership)?;
        if needs_approval {
            for facilitator in store::facilitators(conn, &group_id)? {
                let notice = Notice::new(
                    NotificationCategory::GroupActivity,
                    NotificationText::GroupJoinRequest {
                        group: group.name.clone(),
                    },
                )
                .with_data("groupId", group_id.to_string());
                notify(conn, &facilitator, notice)?;
            }
        }
        Ok(membership)
    })
    .await
}

/// Another domain's part in a membership ending (leaving, removal), run in the same
/// transaction once the membership is gone: what the group gave ends with it. The GraphQL face
/// hands these in, so that groups depend on none of the domains built on them.
pub type MembershipEnded = fn(&mut DbConnection, &GroupId, &UserId) -> AppResult<()>;

/// Leaves a group (or withdraws a request), under [`hand_over_if_last`]'s rule; `ended` runs
/// for the membership that went.
pub async fn leave(
    db: &Db,
    viewer: &Viewer,
    group_id: GroupId,
    ended: &'static [MembershipEnded],
) -> AppResult<bool> {
    let user_id = viewer.user_id.clone();
    db.write(move |conn| {
        locked_group(conn, &group_id)?;
        let Some(membership) = store::membership(conn, &group_id, &user_id)? else {
            return Ok(false);
        };
        hand_over_if_last(conn, &membership)?;
        let left = store::delete_membership(conn, &membership.id)? == 1;
        for end in ended {
            end(conn, &group_id, &user_id)?;
        }
        Ok(left)
    })
    .await
}

/// The one rule for a member going (leaving, removed, erased): when they are the group's last
/// facilitator, the longest-standing other active member takes the role; CONFLICT when nobody is
/// left to take it. Call it with the group locked.
fn hand_over_if_last(conn: &mut DbConnection, departing: &Membership) -> AppResult<()> {
    if !departing.is_facilitator()
        || store::count_members(conn, &departing.group_id, Some(MemberRole::Facilitator))? > 1
    {
        return Ok(());
    }
    let successor =
        store::memberships_page(conn, &departing.group_id, MembershipStatus::Active, None, 2)?
            .into_iter()
            .find(|membership| membership.user_id != departing.user_id)
            .ok_or(AppError::Conflict(Message::NoSuccessor))?;
    store::set_role(conn, &successor.id, MemberRole::Facilitator)?;
    Ok(())
}

/// A facilitator accepts a pending request.
pub async fn approve(
    db: &Db,
    viewer: &Viewer,
    group_id: GroupId,
    member: UserId,
) -> AppResult<Membership> {
    let user_id = viewer.user_id.clone();
    db.write(move |conn| {
        let group = locked_group(conn, &group_id)?;
        if !active_membership(conn, &group_id, &user_id)?.is_facilitator() {
            return Err(AppError::Forbidden);
        }
        let mut membership = store::membership(conn, &group_id, &member)?
            .ok_or_else(|| AppError::bad_input("userId", Message::NotAMember))?;
        if membership.status == MembershipStatus::Pending {
            let now = Utc::now().naive_utc();
            store::activate(conn, &membership.id, now)?;
            membership.status = MembershipStatus::Active;
            membership.active_since = Some(now);
            let notice = Notice::new(
                NotificationCategory::GroupActivity,
                NotificationText::GroupJoinApproved { group: group.name },
            )
            .with_data("groupId", group_id.to_string());
            notify(conn, &member, notice)?;
        }
        Ok(membership)
    })
    .await
}

/// Removes a member or declines a request (facilitators, MODERATORs, ADMINs). A removed member
/// needs approval to join again; `ended` runs for the membership that went.
pub async fn remove_member(
    db: &Db,
    viewer: &Viewer,
    group_id: GroupId,
    member: UserId,
    reason: Option<String>,
    ended: &'static [MembershipEnded],
) -> AppResult<bool> {
    let reason = valid_reason(reason.as_deref())?;
    let actor = viewer.user_id.clone();
    if member == actor {
        return Err(AppError::bad_input("userId", Message::CannotTargetSelf));
    }
    db.write(move |conn| {
        locked_group(conn, &group_id)?;
        if !may_moderate(conn, &group_id, &actor)? {
            return Err(AppError::Forbidden);
        }
        let membership = store::membership(conn, &group_id, &member)?
            .ok_or_else(|| AppError::bad_input("userId", Message::NotAMember))?;
        hand_over_if_last(conn, &membership)?;
        expel(conn, &membership)?;
        for end in ended {
            end(conn, &group_id, &member)?;
        }
        let details = ActionDetails {
            target: Some(member),
            reason,
            ..ActionDetails::default()
        };
        log_action(
            conn,
            &actor,
            ModerationKind::RemoveMember,
            &group_id,
            details,
        )?;
        Ok(true)
    })
    .await
}

fn expel(conn: &mut DbConnection, membership: &Membership) -> AppResult<()> {
    store::delete_membership(conn, &membership.id)?;
    store::record_removal(
        conn,
        &membership.group_id,
        &membership.user_id,
        Utc::now().naive_utc(),
    )?;
    Ok(())
}

/// A facilitator makes a member a facilitator, or a facilitator a member again (not the last).
pub async fn set_member_role(
    db: &Db,
    viewer: &Viewer,
    group_id: GroupId,
    member: UserId,
    role: MemberRole,
) -> AppResult<Membership> {
    let actor = viewer.user_id.clone();
    db.write(move |conn| {
        locked_group(conn, &group_id)?;
        if !active_membership(conn, &group_id, &actor)?.is_facilitator() {
            return Err(AppError::Forbidden);
        }
        let mut membership = store::membership(conn, &group_id, &member)?
            .filter(Membership::is_active)
            .ok_or_else(|| AppError::bad_input("userId", Message::NotAMember))?;
        if membership.role == MemberRole::Facilitator
            && role == MemberRole::Member
            && store::count_members(conn, &group_id, Some(MemberRole::Facilitator))? == 1
        {
            return Err(AppError::Conflict(Message::LastFacilitator));
        }
        store::set_role(conn, &membership.id, role)?;
        membership.role = role;
        let details = ActionDetails {
            target: Some(member),
            reason: Some(role.as_str().to_owned()),
            ..ActionDetails::default()
        };
        log_action(
            conn,
            &actor,
            ModerationKind::SetMemberRole,
            &group_id,
            details,
        )?;
        Ok(membership)
    })
    .await
}

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

/// One page of a group's active members. Members only.
pub async fn members(
    db: &Db,
    viewer: &Viewer,
    group_id: GroupId,
    page: PageRequest,
) -> AppResult<Page<Membership>> {
    let user_id = viewer.user_id.clone();
    let after: Option<MembershipId> = page.after()?;
    db.run(move |conn| {
        active_membership(conn, &group_id, &user_id)?;
        let rows = store::memberships_page(
            conn,
            &group_id,
            MembershipStatus::Active,
            after.as_ref(),
            page.fetch_limit(),
        )?;
        Ok(Page::from_overfetch(rows, &page))
    })
    .await
}

/// Requests waiting for approval, oldest first. Facilitators only.
pub async fn pending_requests(
    db: &Db,
    viewer: &Viewer,
    group_id: GroupId,
) -> AppResult<Vec<Membership>> {
    let user_id = viewer.user_id.clone();
    db.run(move |conn| {
        if !active_membership(conn, &group_id, &user_id)?.is_facilitator() {
            return Err(AppError::Forbidden);
        }
        Ok(store::memberships_page(
            conn,
            &group_id,
            MembershipStatus::Pending,
            None,
            PENDING_MAX as i64,
        )?)
    })
    .await
}

// ------------------------------------------------------------------ posts

fn visible_page(
    conn: &mut DbConnection,
    viewer: &UserId,
    group_id: &GroupId,
    parent: Option<&PostId>,
    page: &PageRequest,
) -> AppResult<Page<VisiblePost>> {
    let after: Option<PostId> = page.after()?;
    let hidden = store::blocked_by(conn, viewer)?;
    let rows = store::posts_page(
        conn,
        group_id,
        parent,
        &hidden,
        after.as_ref(),
        page.fetch_limit(),
    )?;
    Ok(Page::from_overfetch(rows, page).map(|row| VisiblePost::for_viewer(row, viewer)))
}

/// A group's top-level posts, newest first. Members only.
pub async fn posts(
    db: &Db,
    viewer: &Viewer,
    group_id: GroupId,
    page: PageRequest,
) -> AppResult<Page<VisiblePost>> {
    let user_id = viewer.user_id.clone();
    db.run(move |conn| {
        active_membership(conn, &group_id, &user_id)?;
        visible_page(conn, &user_id, &group_id, None, &page)
    })
    .await
}

/// A post's replies, oldest first. Members only.
pub async fn replies(
    db: &Db,
    viewer: &Viewer,
    post_id: PostId,
    page: PageRequest,
) -> AppResult<Page<VisiblePost>> {
    let user_id = viewer.user_id.clone();
    db.run(move |conn| {
        let post = readable_post(conn, &post_id, &user_id)?;
        visible_page(conn, &user_id, &post.group_id, Some(&post.id), &page)
    })
    .await
}

/// Replies under each post.
pub async fn reply_counts(db: &Db, ids: Vec<PostId>) -> AppResult<HashMap<PostId, i64>> {
    db.run(move |conn| Ok(store::reply_counts(conn, &ids)?))
        .await
}

/// Each of these posts as its viewer may see it: only for a viewer who is an active member of the
/// post's group and has not blocked its (signed) author. A statement per kind of fact, however
/// many viewers: the subscribers a new post wakes at once read it together.
pub async fn posts_for(
    db: &Db,
    wanted: Vec<(PostId, UserId)>,
) -> AppResult<HashMap<(PostId, UserId), VisiblePost>> {
    db.run(move |conn| {
        let mut viewers_of: HashMap<PostId, Vec<UserId>> = HashMap::new();
        for (post_id, viewer) in wanted {
            viewers_of.entry(post_id).or_default().push(viewer);
        }
        let post_ids: Vec<PostId> = viewers_of.keys().cloned().collect();
        let mut visible = HashMap::new();
        for post in store::posts_by_ids(conn, &post_ids)? {
            let Some(viewers) = viewers_of.remove(&post.id) else {
                continue;
            };
            let members: HashSet<UserId> =
                store::active_members_among(conn, &post.group_id, &viewers)?
                    .into_iter()
                    .collect();
            let blockers: HashSet<UserId> = match post.signed_by() {
                Some(author) => store::blockers_among(conn, author, &viewers)?
                    .into_iter()
                    .collect(),
                None => HashSet::new(),
            };
            for viewer in viewers {
                if members.contains(&viewer) && !blockers.contains(&viewer) {
                    let seen = VisiblePost::for_viewer(post.clone(), &viewer);
                    visible.insert((post.id.clone(), viewer), seen);
                }
            }
        }
        Ok(visible)
    })
    .await
}

/// Checks that the viewer may follow a group's posts live.
pub async fn ensure_member(db: &Db, viewer: &Viewer, group_id: GroupId) -> AppResult<()> {
    let user_id = viewer.user_id.clone();
    db.run(move |conn| active_membership(conn, &group_id, &user_id).map(drop))
        .await
}

/// Posts in a group, or replies to one of its top-level posts. Members only.
pub async fn create_post(db: &Db, viewer: &Viewer, form: PostForm) -> AppResult<VisiblePost> {
    let body = validate::text("body", &form.body, 1, BODY_MAX)?;
    let author = viewer.user_id.clone();
    db.write(move |conn| {
        accounts::lock_own_account(conn, &author)?;
        let group = existing_group(conn, &form.group_id)?;
        active_membership(conn, &form.group_id, &author)?;
        if store::is_suspended(conn, &form.group_id, &author)? {
            return Err(AppError::Denied(Message::PostingSuspended));
        }
        let parent = match &form.parent_id {
            None => None,
            Some(parent_id) => Some(
                store::post(conn, parent_id)?
                    .filter(|parent| parent.group_id == form.group_id && parent.parent_id.is_none())
                    .ok_or_else(|| AppError::bad_input("parentId", Message::InvalidParentPost))?,
            ),
        };
        let post = PostRow {
            id: PostId::generate(),
            group_id: form.group_id.clone(),
            author_id: Some(author.clone()),
            parent_id: form.parent_id.clone(),
            anonymous: form.anonymous,
            body,
            created_at: Utc::now().naive_utc(),
        };
        store::insert_post(conn, &post)?;
        // The parent's author hears of replies they can see: not of a signed reply from
        // someone they blocked (an anonymous one is shown, and told, like any other).
        // A tombstone's author is gone: nobody to tell.
        let parent_author = parent
            .as_ref()
            .and_then(|parent| parent.author_id.clone())
            .filter(|parent_author| *parent_author != author);
        let hidden_from_parent_author = match &parent_author {
            Some(parent_author) if !post.anonymous => {
                store::blocked_by(conn, parent_author)?.contains(&author)
            }
            _ => false,
        };
        if let (Some(parent), Some(parent_author)) = (parent, parent_author)
            && !hidden_from_parent_author
        {
            let notice = Notice::new(
                NotificationCategory::GroupActivity,
                NotificationText::PostReply { group: group.name },
            )
            .with_data("groupId", group.id.to_string())
            .with_data("postId", parent.id.to_string())
            .with_data("replyId", post.id.to_string());
            notify(conn, &parent_author, notice)?;
        }
        after_commit(Committed::PostAdded {
            group_id: post.group_id.clone(),
            post_id: post.id.clone(),
        });
        Ok(VisiblePost::for_viewer(post, &author))
    })
    .await
}

/// A post the viewer may act on as author or moderator; NOT_FOUND for anyone else.
fn actionable_post(
    conn: &mut DbConnection,
    post_id: &PostId,
    actor: &UserId,
) -> AppResult<(PostRow, bool)> {
    let post = store::post(conn, post_id)?.ok_or(AppError::NotFound)?;
    let own = post.author_id.as_ref() == Some(actor);
    let moderating = !own && may_moderate(conn, &post.group_id, actor)?;
    if !own && !moderating {
        // Members who may read it learn they may not delete it; others learn nothing.
        return match readable_post(conn, post_id, actor) {
            Ok(_) => Err(AppError::Forbidden),
            Err(error) => Err(error),
        };
    }
    Ok((post, moderating))
}

/// Deletes a post with its replies: its author, a facilitator of the group, or a MODERATOR/ADMIN.
pub async fn delete_post(
    db: &Db,
    viewer: &Viewer,
    post_id: PostId,
    reason: Option<String>,
) -> AppResult<bool> {
    let reason = valid_reason(reason.as_deref())?;
    let actor = viewer.user_id.clone();
    db.write(move |conn| {
        let (post, moderating) = actionable_post(conn, &post_id, &actor)?;
        store::delete_post(conn, &post.id)?;
        if moderating {
            let details = ActionDetails {
                post_id: Some(post.id),
                reason,
                ..ActionDetails::default()
            };
            log_action(
                conn,
                &actor,
                ModerationKind::RemovePost,
                &post.group_id,
                details,
            )?;
        }
        Ok(true)
    })
    .await
}

/// Deletes a post and suspends its author from posting in the group, without showing anyone who
/// they are: they stay a member (members, counts and requests look the same to everyone else)
/// and only they are told. Facilitators of the group and MODERATORs/ADMINs only. A facilitator
/// cannot silence a co-facilitator this way (that takes a MODERATOR): the post goes, the author
/// keeps posting, and the answer is the same, so it reveals nothing either.
pub async fn remove_post_author(
    db: &Db,
    viewer: &Viewer,
    post_id: PostId,
    reason: Option<String>,
) -> AppResult<bool> {
    let reason = valid_reason(reason.as_deref())?;
    let actor = viewer.user_id.clone();
    db.write(move |conn| {
        let (post, moderating) = actionable_post(conn, &post_id, &actor)?;
        if !moderating {
            return Err(AppError::bad_input("postId", Message::CannotTargetSelf));
        }
        let group = locked_group(conn, &post.group_id)?;
        store::delete_post(conn, &post.id)?;
        // A tombstone has no author left to suspend: it just goes.
        if let Some(author) = &post.author_id {
            let author_leads = store::membership(conn, &post.group_id, author)?
                .is_some_and(|membership| membership.is_facilitator());
            if !author_leads || is_moderator(conn, &actor)? {
                store::suspend_posting(conn, &post.group_id, author, Utc::now().naive_utc())?;
                let notice = Notice::new(
                    NotificationCategory::GroupActivity,
                    NotificationText::PostRemovedPostingSuspended { group: group.name },
                )
                .with_data("groupId", group.id.to_string());
                notify(conn, author, notice)?;
            }
        }
        // The log keeps the author only when the post was signed: nobody is shown an anonymous author.
        let target = post.signed_by().cloned();
        let details = ActionDetails {
            post_id: Some(post.id),
            target,
            reason,
            ..ActionDetails::default()
        };
        log_action(
            conn,
            &actor,
            ModerationKind::RemovePostAuthor,
            &post.group_id,
            details,
        )?;
        Ok(true)
    })
    .await
}

// ------------------------------------------------------------------ reports and blocks

/// Reports a post to the moderators. Members of its group only.
pub async fn report_post(
    db: &Db,
    viewer: &Viewer,
    post_id: PostId,
    category: ReportCategory,
    reason: String,
) -> AppResult<ReportId> {
    let reason = validate::text("reason", &reason, 1, REASON_MAX)?;
    let reporter = viewer.user_id.clone();
    db.write(move |conn| {
        let post = readable_post(conn, &post_id, &reporter)?;
        let report = ReportRow {
            id: ReportId::generate(),
            post_id: Some(post.id),
            group_id: post.group_id,
            reporter_id: Some(reporter),
            category,
            priority: category.priority(),
            reason,
            status: ReportStatus::Open,
            created_at: Utc::now().naive_utc(),
            resolved_at: None,
            resolved_by: None,
            resolution: None,
        };
        if !store::insert_report(conn, &report)? {
            return Err(AppError::Conflict(Message::AlreadyReported));
        }
        Ok(report.id)
    })
    .await
}

fn with_posts(
    conn: &mut DbConnection,
    viewer: &UserId,
    rows: Vec<ReportRow>,
) -> AppResult<Vec<Report>> {
    let ids: Vec<PostId> = rows.iter().filter_map(|row| row.post_id.clone()).collect();
    let posts: HashMap<PostId, PostRow> = store::posts_by_ids(conn, &ids)?
        .into_iter()
        .map(|post| (post.id.clone(), post))
        .collect();
    Ok(rows
        .into_iter()
        .map(|row| Report {
            post: row
                .post_id
                .as_ref()
                .and_then(|id| posts.get(id))
                .map(|post| VisiblePost::for_viewer(post.clone(), viewer)),
            row,
        })
        .collect())
}

/// Open reports, AT_RISK first then oldest first. MODERATORs and ADMINs only.
pub async fn open_reports(db: &Db, viewer: &Viewer, page: PageRequest) -> AppResult<Page<Report>> {
    let user_id = viewer.user_id.clone();
    let after: Option<QueuePosition<ReportId>> = page.after()?;
    db.run(move |conn| {
        ensure_moderator(conn, &user_id)?;
        let rows = store::open_reports_page(conn, after, page.fetch_limit())?;
        Page::from_overfetch(rows, &page).try_map_items(|rows| with_posts(conn, &user_id, rows))
    })
    .await
}

/// Closes a report. MODERATORs and ADMINs only.
pub async fn resolve_report(
    db: &Db,
    viewer: &Viewer,
    report_id: ReportId,
    resolution: Option<String>,
) -> AppResult<Report> {
    let resolution = validate::optional_text("resolution", resolution.as_deref(), REASON_MAX)?;
    let user_id = viewer.user_id.clone();
    db.write(move |conn| {
        ensure_moderator(conn, &user_id)?;
        let report = store::report(conn, &report_id)?.ok_or(AppError::NotFound)?;
        // A guarded update: of two moderators resolving at once, one resolves and logs.
        let resolved = store::resolve_report(
            conn,
            &report.id,
            &user_id,
            resolution.as_deref(),
            Utc::now().naive_utc(),
        )?;
        if !resolved {
            return Err(AppError::Conflict(Message::ReportAlreadyResolved));
        }
        let details = ActionDetails {
            report_id: Some(report.id.clone()),
            reason: resolution,
            post_id: report.post_id.clone(),
            ..ActionDetails::default()
        };
        log_action(
            conn,
            &user_id,
            ModerationKind::ResolveReport,
            &report.group_id,
            details,
        )?;
        let row = store::report(conn, &report.id)?.ok_or(AppError::NotFound)?;
        with_posts(conn, &user_id, vec![row])?
            .pop()
            .ok_or(AppError::NotFound)
    })
    .await
}

/// The moderation log, newest first, for one group or all. MODERATORs and ADMINs only.
pub async fn moderation_log(
    db: &Db,
    viewer: &Viewer,
    group_id: Option<GroupId>,
    page: PageRequest,
) -> AppResult<Page<ModerationAction>> {
    let user_id = viewer.user_id.clone();
    let after: Option<ModerationActionId> = page.after()?;
    db.run(move |conn| {
        ensure_moderator(conn, &user_id)?;
        let rows =
            store::actions_page(conn, group_id.as_ref(), after.as_ref(), page.fetch_limit())?;
        Ok(Page::from_overfetch(rows, &page))
    })
    .await
}

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
