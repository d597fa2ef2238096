//! Groups, memberships, posts, reports and the moderation log as stored.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::accounts::model::Profession;
use crate::db::schema::{memberships, moderation_actions, peer_groups, post_reports, posts};
use crate::ids::{GroupId, MembershipId, ModerationActionId, PostId, ReportId, UserId};
use crate::reports::{QueuePosition, ReportCategory, ReportStatus};
use crate::text_enum;

pub const NAME_MIN: usize = 3;
pub const NAME_MAX: usize = 80;
pub const DESCRIPTION_MAX: usize = 2_000;
pub const TOPIC_MIN: usize = 2;
pub const TOPIC_MAX: usize = 40;
pub const REGION_MAX: usize = 80;
pub const BODY_MAX: usize = 5_000;
pub const SEARCH_MAX: usize = 100;

text_enum! {
    /// Who may join a group at once.
    pub enum GroupVisibility {
        /// Anyone may join at once.
        Public => "PUBLIC",
        /// Discoverable; joining needs a facilitator's approval.
        Private => "PRIVATE",
    }
}

text_enum! {
    /// What a member may do in a group.
    pub enum MemberRole {
        /// Approves requests, removes members and posts, changes the group's settings.
        Facilitator => "FACILITATOR",
        /// Reads and posts.
        Member => "MEMBER",
    }
}

text_enum! {
    /// Where a membership stands.
    pub enum MembershipStatus {
        /// Asked to join; waits for a facilitator.
        Pending => "PENDING",
        /// A member: reads, posts, is counted.
        Active => "ACTIVE",
    }
}

text_enum! {
    /// What a facilitator or moderator did.
    pub enum ModerationKind {
        /// A post was removed.
        RemovePost => "REMOVE_POST",
        /// A member was removed.
        RemoveMember => "REMOVE_MEMBER",
        /// A post was removed and its author may no longer post in the group.
        RemovePostAuthor => "REMOVE_POST_AUTHOR",
        /// A report was resolved.
        ResolveReport => "RESOLVE_REPORT",
        /// A member's role changed.
        SetMemberRole => "SET_MEMBER_ROLE",
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = peer_groups)]
pub struct GroupRow {
    pub id: GroupId,
    pub name: String,
    pub description: String,
    pub topic: String,
    pub visibility: GroupVisibility,
    pub language: String,
    pub region: Option<String>,
    pub created_by: Option<UserId>,
    #[diesel(deserialize_as = crate::db::Stamp)]
    pub created_at: NaiveDateTime,
    /// Only people whose profession a provider verified may join.
    pub verified_only: bool,
    /// Active members, kept by the triggers on memberships (migration `member_counts`), so that a
    /// page of groups reads its counts with the groups.
    #[diesel(skip_insertion)]
    pub active_members: i64,
}

/// What search matches and names are unique by, derived from a group's texts whenever they are
/// written and never read back: a page of groups leaves these, its longest column, unread.
#[derive(Debug, Clone, Insertable, AsChangeset)]
#[diesel(table_name = peer_groups)]
pub struct GroupSearchTexts {
    pub name_normalized: String,
    pub search_text: String,
}

/// A group with the professions it is meant for (empty: all), read in one statement: the triggers
/// on `group_professions` list them on the group's row (migration `group_professions_listed`).
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = peer_groups)]
pub struct Group {
    #[diesel(embed)]
    pub row: GroupRow,
    #[diesel(deserialize_as = ProfessionList)]
    pub professions: Vec<Profession>,
}

/// `peer_groups.professions`: profession names joined by commas.
#[derive(Debug, diesel::FromSqlRow)]
pub struct ProfessionList(Vec<Profession>);

impl<DB> diesel::deserialize::FromSql<diesel::sql_types::Text, DB> for ProfessionList
where
    DB: diesel::backend::Backend,
    String: diesel::deserialize::FromSql<diesel::sql_types::Text, DB>,
{
    fn from_sql(bytes: DB::RawValue<'_>) -> diesel::deserialize::Result<Self> {
        let listed = String::from_sql(bytes)?;
        listed
            .split(',')
            .filter(|name| !name.is_empty())
            .map(|name| {
                Profession::parse(name).ok_or_else(|| format!("unknown Profession `{name}`").into())
            })
            .collect::<diesel::deserialize::Result<_>>()
            .map(ProfessionList)
    }
}

impl From<ProfessionList> for Vec<Profession> {
    fn from(list: ProfessionList) -> Self {
        list.0
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = memberships)]
pub struct Membership {
    pub id: MembershipId,
    pub group_id: GroupId,
    pub user_id: UserId,
    pub role: MemberRole,
    pub status: MembershipStatus,
    #[diesel(deserialize_as = crate::db::Stamp)]
    pub created_at: NaiveDateTime,
    /// When it became ACTIVE (joining an open group, or approval); `None` while pending.
    #[diesel(deserialize_as = crate::db::StampOrNull)]
    pub active_since: Option<NaiveDateTime>,
}

impl Membership {
    pub fn is_active(&self) -> bool {
        self.status == MembershipStatus::Active
    }

    pub fn is_facilitator(&self) -> bool {
        self.is_active() && self.role == MemberRole::Facilitator
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = posts)]
pub struct PostRow {
    pub id: PostId,
    pub group_id: GroupId,
    /// `None` on a tombstone: the post of a person who erased their account, kept (without
    /// author or body) because others replied to it.
    pub author_id: Option<UserId>,
    pub parent_id: Option<PostId>,
    pub anonymous: bool,
    pub body: String,
    pub created_at: NaiveDateTime,
    /// When its author last changed the body.
    pub edited_at: Option<NaiveDateTime>,
}

impl PostRow {
    pub fn is_tombstone(&self) -> bool {
        self.author_id.is_none()
    }

    /// The author shown to others: nobody for an anonymous post or a tombstone.
    pub fn signed_by(&self) -> Option<&UserId> {
        self.author_id.as_ref().filter(|_| !self.anonymous)
    }
}

/// A post as one viewer may see it: the author is known only when it is not anonymous.
#[derive(Debug, Clone)]
pub struct VisiblePost {
    pub id: PostId,
    pub group_id: GroupId,
    pub parent_id: Option<PostId>,
    pub author_id: Option<UserId>,
    pub anonymous: bool,
    pub viewer_is_author: bool,
    /// A tombstone: its author erased their account.
    pub erased: bool,
    pub body: String,
    pub created_at: NaiveDateTime,
    pub edited_at: Option<NaiveDateTime>,
}

impl VisiblePost {
    pub fn for_viewer(row: PostRow, viewer: &UserId) -> Self {
        Self {
            viewer_is_author: row.author_id.as_ref() == Some(viewer),
            erased: row.is_tombstone(),
            author_id: row.author_id.filter(|_| !row.anonymous),
            id: row.id,
            group_id: row.group_id,
            parent_id: row.parent_id,
            anonymous: row.anonymous,
            body: row.body,
            created_at: row.created_at,
            edited_at: row.edited_at,
        }
    }
}

/// One of the person's own posts or replies as their export shows it.
#[derive(Debug, Clone, Queryable)]
pub struct OwnPost {
    pub group: String,
    pub reply: bool,
    pub anonymous: bool,
    pub body: String,
    pub at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = post_reports)]
pub struct ReportRow {
    pub id: ReportId,
    pub post_id: Option<PostId>,
    pub group_id: GroupId,
    pub reporter_id: Option<UserId>,
    pub category: ReportCategory,
    pub priority: i32,
    pub reason: String,
    pub status: ReportStatus,
    pub created_at: NaiveDateTime,
    pub resolved_at: Option<NaiveDateTime>,
    pub resolved_by: Option<UserId>,
    pub resolution: Option<String>,
}

impl ReportRow {
    /// Where the report stands in the moderators' queue.
    pub fn position(&self) -> QueuePosition<ReportId> {
        QueuePosition {
            priority: self.priority,
            id: self.id.clone(),
        }
    }
}

/// A report with the reported post as moderators see it (never its anonymous author).
#[derive(Debug, Clone)]
pub struct Report {
    pub row: ReportRow,
    pub post: Option<VisiblePost>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = moderation_actions)]
pub struct ModerationAction {
    pub id: ModerationActionId,
    pub actor_id: Option<UserId>,
    pub action: ModerationKind,
    pub group_id: Option<GroupId>,
    pub post_id: Option<String>,
    pub report_id: Option<String>,
    pub target_user_id: Option<UserId>,
    pub reason: Option<String>,
    pub created_at: NaiveDateTime,
}

/// A new group as the client sent it.
#[derive(Debug, Clone)]
pub struct GroupForm {
    pub name: String,
    pub description: String,
    pub topic: String,
    pub visibility: GroupVisibility,
    pub language: String,
    pub region: Option<String>,
    pub professions: Vec<Profession>,
    pub verified_only: bool,
}

/// A group's settings to change; `None` leaves one as it is.
#[derive(Debug, Clone, Default)]
pub struct GroupChanges {
    pub name: Option<String>,
    pub description: Option<String>,
    pub topic: Option<String>,
    pub visibility: Option<GroupVisibility>,
    pub professions: Option<Vec<Profession>>,
    pub verified_only: Option<bool>,
}

/// A group as one person finds it in a list, with their membership (if any) read in the same
/// statement, so that `viewerMembership` needs no batch of its own.
pub type GroupAsSeen = (Group, Option<Membership>);

/// Discovery filters.
#[derive(Debug, Clone, Default)]
pub struct GroupSearch {
    pub words: Vec<String>,
    pub language: Option<String>,
    pub region: Option<String>,
    pub profession: Option<Profession>,
}

/// A new post or reply as the client sent it.
#[derive(Debug, Clone)]
pub struct PostForm {
    pub group_id: GroupId,
    pub body: String,
    pub parent_id: Option<PostId>,
    pub anonymous: bool,
}
