//! The peer-groups part of the API.

use async_graphql::dataloader::DataLoader;
use async_graphql::futures_util::Stream;
use async_graphql::{Context, ID, InputObject, Object, Result, Subscription};

use super::loaders::{FirstPostsLoader, GroupLoader, ReplyCountLoader, ViewerMembershipLoader};
use super::model::{
    Group, GroupAsSeen, GroupChanges, GroupForm, GroupSearch, GroupVisibility, MemberRole,
    Membership, MembershipStatus, ModerationAction, ModerationKind, PostForm, Report, VisiblePost,
};
use super::service;
use crate::accounts::graphql::{UserConnection, UserView, user_view};
use crate::accounts::model::Profession;
use crate::db::events::Committed;
use crate::graphql::ContextExt;
use crate::graphql::live::Listener;
use crate::graphql::scalars::DateTime;
use crate::i18n::{self, Localized, Message};
use crate::ids::{GroupId, PostId, ReportId};
use crate::pagination::{PageRequest, list_size};
use crate::reports::{ReportCategory, ReportStatus};

/// What ends in other domains when a membership ends.
const MEMBERSHIP_ENDED: &[service::MembershipEnded] =
    &[crate::workshops::service::end_group_registrations];

pub async fn group_view(ctx: &Context<'_>, id: &GroupId) -> Result<Option<PeerGroupView>> {
    let loader = ctx.data_unchecked::<DataLoader<GroupLoader>>();
    Ok(loader.load_one(id.clone()).await?.map(PeerGroupView::from))
}

// ------------------------------------------------------------------ types

pub struct PeerGroupView(pub Group, Preread);

/// What was read with the group's list, so that its fields need no batch of their own (absent:
/// the field asks its loader).
#[derive(Default)]
pub struct Preread {
    viewer_membership: Option<Option<Membership>>,
}

impl From<Group> for PeerGroupView {
    fn from(group: Group) -> Self {
        Self(group, Preread::default())
    }
}

impl PeerGroupView {
    /// The view of one of a list's groups, with the viewer's membership read along with it.
    fn as_seen((group, membership): GroupAsSeen) -> Self {
        let preread = Preread {
            viewer_membership: Some(membership),
        };
        Self(group, preread)
    }
}

// Its fields resolve one after the other (`serial`): most give what the group's row holds, and
// async-graphql's concurrent resolution would cost a task per field of every group of every list.
// A detail screen that asks for several of the lists that read (members, posts, pending requests)
// waits for them in turn; the groups of a list still resolve together, so their loaders batch.
/// A peer group: members support each other in posts, anonymous ones included.
#[Object(name = "PeerGroup", serial)]
impl PeerGroupView {
    /// The group's id.
    async fn id(&self) -> ID {
        self.0.row.id.clone().into()
    }

    /// Its name, unique whatever the case.
    async fn name(&self) -> &str {
        &self.0.row.name
    }

    /// What the group is for.
    async fn description(&self) -> &str {
        &self.0.row.description
    }

    /// A short theme.
    async fn topic(&self) -> &str {
        &self.0.row.topic
    }

    /// Only members with a verified profession may join.
    async fn verified_only(&self) -> bool {
        self.0.row.verified_only
    }

    /// Whether joining needs a facilitator's approval.
    async fn visibility(&self) -> GroupVisibility {
        self.0.row.visibility
    }

    /// The language it speaks (BCP 47 tag).
    async fn language(&self) -> &str {
        &self.0.row.language
    }

    /// Where its members work; null for anywhere.
    async fn region(&self) -> Option<&str> {
        self.0.row.region.as_deref()
    }

    /// Professions the group is meant for; empty means open to all.
    async fn professions(&self) -> &[Profession] {
        &self.0.professions
    }

    /// Active members.
    async fn member_count(&self) -> i32 {
        i32::try_from(self.0.row.active_members).unwrap_or(i32::MAX)
    }

    /// When it was created.
    async fn created_at(&self) -> DateTime {
        self.0.row.created_at.into()
    }

    /// The viewer's membership, or null.
    async fn viewer_membership(&self, ctx: &Context<'_>) -> Result<Option<MembershipView>> {
        let membership = match &self.1.viewer_membership {
            Some(membership) => membership.clone(),
            None => {
                let loader = ctx.data_unchecked::<DataLoader<ViewerMembershipLoader>>();
                loader.load_one(self.0.row.id.clone()).await?
            }
        };
        Ok(membership.map(MembershipView))
    }

    /// Active members, oldest first. Members only.
    #[graphql(complexity = "crate::graphql::page_cost(first, child_complexity)")]
    async fn members(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "How many items: default 20, at most 100 (BAD_USER_INPUT outside 1 to 100)."
        )]
        first: Option<i32>,
        #[graphql(desc = "The `endCursor` of the previous page; null for the first page.")]
        after: Option<String>,
    ) -> Result<MembershipConnection> {
        let page = PageRequest::new(first, after.as_deref())?;
        let members =
            service::members(ctx.db(), ctx.viewer()?, self.0.row.id.clone(), page).await?;
        Ok(MembershipConnection::new(
            members,
            |membership| membership.id.to_string(),
            MembershipView,
        ))
    }

    /// Top-level posts, newest first. Members only.
    #[graphql(complexity = "crate::graphql::page_cost(first, child_complexity)")]
    async fn posts(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "How many items: default 20, at most 100 (BAD_USER_INPUT outside 1 to 100)."
        )]
        first: Option<i32>,
        #[graphql(desc = "The `endCursor` of the previous page; null for the first page.")]
        after: Option<String>,
    ) -> Result<PostConnection> {
        let page = PageRequest::new(first, after.as_deref())?;
        let viewer = ctx.viewer()?;
        let posts = if after.is_none() {
            // First pages of many groups (a home screen) are read together.
            let loader = ctx.data_unchecked::<DataLoader<FirstPostsLoader>>();
            loader
                .load_one((self.0.row.id.clone(), page.size))
                .await?
                .ok_or(crate::error::AppError::Forbidden)?
        } else {
            service::posts(ctx.db(), viewer, self.0.row.id.clone(), page).await?
        };
        Ok(PostConnection::new(
            posts,
            |post| post.id.to_string(),
            PostView,
        ))
    }

    /// Pending join requests, oldest first: the first `first` (default 20, at most 100).
    /// Facilitators only.
    #[graphql(complexity = "crate::graphql::page_cost(first, child_complexity)")]
    async fn pending_requests(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "How many items: default 20, at most 100 (BAD_USER_INPUT outside 1 to 100)."
        )]
        first: Option<i32>,
    ) -> Result<Vec<MembershipView>> {
        let limit = list_size(first)?;
        let requests =
            service::pending_requests(ctx.db(), ctx.viewer()?, self.0.row.id.clone(), limit)
                .await?;
        Ok(requests.into_iter().map(MembershipView).collect())
    }
}

pub struct MembershipView(pub Membership);

// Serial, as `PeerGroupView` is.
/// A person's place in a group.
#[Object(name = "Membership", serial)]
impl MembershipView {
    /// The group.
    async fn group(&self, ctx: &Context<'_>) -> Result<PeerGroupView> {
        group_view(ctx, &self.0.group_id)
            .await?
            .ok_or_else(|| crate::error::AppError::NotFound.into())
    }

    /// The member.
    async fn user(&self, ctx: &Context<'_>) -> Result<UserView> {
        user_view(ctx, &self.0.user_id)
            .await?
            .ok_or_else(|| crate::error::AppError::NotFound.into())
    }

    /// Their role in it.
    async fn role(&self) -> MemberRole {
        self.0.role
    }

    /// PENDING until a facilitator approves a request to a private group.
    async fn status(&self) -> MembershipStatus {
        self.0.status
    }

    /// When they joined or asked to.
    async fn created_at(&self) -> DateTime {
        self.0.created_at.into()
    }
}

pub struct PostView(pub VisiblePost);

/// A post in a group, or a reply to one. Members only.
#[Object(name = "Post")]
impl PostView {
    /// The post's id.
    async fn id(&self) -> ID {
        self.0.id.clone().into()
    }

    /// The group it was posted in.
    async fn group(&self, ctx: &Context<'_>) -> Result<PeerGroupView> {
        group_view(ctx, &self.0.group_id)
            .await?
            .ok_or_else(|| crate::error::AppError::NotFound.into())
    }

    /// Null when posted anonymously (the server still knows the author, for moderation).
    async fn author(&self, ctx: &Context<'_>) -> Result<Option<UserView>> {
        match &self.0.author_id {
            Some(author) => user_view(ctx, author).await,
            None => Ok(None),
        }
    }

    /// Shown without its author.
    async fn anonymous(&self) -> bool {
        self.0.anonymous
    }

    /// True on the viewer's own posts, anonymous ones included (so the app can offer to delete).
    async fn viewer_is_author(&self) -> bool {
        self.0.viewer_is_author
    }

    /// The post this replies to, or null for a top-level post.
    async fn parent_id(&self) -> Option<ID> {
        self.0.parent_id.clone().map(ID::from)
    }

    /// On a tombstone, "Message supprimé" in the viewer's language.
    async fn body(&self) -> String {
        if self.0.erased {
            Message::ErasedPost.render(i18n::current())
        } else {
            self.0.body.clone()
        }
    }

    /// A tombstone: its author erased their account, and it stays (no author, no body, shown as
    /// anonymous) only so that the replies keep their place.
    async fn erased(&self) -> bool {
        self.0.erased
    }

    /// When it was posted.
    async fn created_at(&self) -> DateTime {
        self.0.created_at.into()
    }

    /// When its author last changed the body; null if never.
    async fn edited_at(&self) -> Option<DateTime> {
        self.0.edited_at.map(DateTime::from)
    }

    /// Replies under it (top-level posts; 0 on replies).
    async fn reply_count(&self, ctx: &Context<'_>) -> Result<i32> {
        let loader = ctx.data_unchecked::<DataLoader<ReplyCountLoader>>();
        let count = loader.load_one(self.0.id.clone()).await?.unwrap_or(0);
        Ok(i32::try_from(count).unwrap_or(i32::MAX))
    }

    /// Replies, oldest first.
    #[graphql(complexity = "crate::graphql::page_cost(first, child_complexity)")]
    async fn replies(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "How many items: default 20, at most 100 (BAD_USER_INPUT outside 1 to 100)."
        )]
        first: Option<i32>,
        #[graphql(desc = "The `endCursor` of the previous page; null for the first page.")]
        after: Option<String>,
    ) -> Result<PostConnection> {
        let page = PageRequest::new(first, after.as_deref())?;
        let replies = service::replies(ctx.db(), ctx.viewer()?, self.0.id.clone(), page).await?;
        Ok(PostConnection::new(
            replies,
            |post| post.id.to_string(),
            PostView,
        ))
    }
}

/// A report in the moderators' queue: the post as moderators see it, never its anonymous author.
pub struct ReportView(pub Report);

/// A reported post, as moderators see it: never who reported it, never an anonymous author.
#[Object(name = "PostReport")]
impl ReportView {
    /// The report's id.
    async fn id(&self) -> ID {
        self.0.row.id.clone().into()
    }

    /// What the reporter says it is.
    async fn category(&self) -> ReportCategory {
        self.0.row.category
    }

    /// The reporter's words, 1 to 1,000 characters.
    async fn reason(&self) -> &str {
        &self.0.row.reason
    }

    /// OPEN until a moderator resolves it.
    async fn status(&self) -> ReportStatus {
        self.0.row.status
    }

    /// Null once the post was deleted.
    async fn post(&self) -> Option<PostView> {
        self.0.post.clone().map(PostView)
    }

    /// The group of the post.
    async fn group(&self, ctx: &Context<'_>) -> Result<Option<PeerGroupView>> {
        group_view(ctx, &self.0.row.group_id).await
    }

    /// When it was reported.
    async fn created_at(&self) -> DateTime {
        self.0.row.created_at.into()
    }

    /// When a moderator resolved it; null while open.
    async fn resolved_at(&self) -> Option<DateTime> {
        self.0.row.resolved_at.map(DateTime::from)
    }

    /// The moderator's note once resolved; null before.
    async fn resolution(&self) -> Option<&str> {
        self.0.row.resolution.as_deref()
    }
}

/// One entry of the moderation log: who did what, when and why.
pub struct ModerationActionView(pub ModerationAction);

/// An entry of a group's moderation log. MODERATORs and ADMINs only.
#[Object(name = "ModerationAction")]
impl ModerationActionView {
    /// The entry's id.
    async fn id(&self) -> ID {
        self.0.id.clone().into()
    }

    /// What was done.
    async fn action(&self) -> ModerationKind {
        self.0.action
    }

    /// Who did it; null once they erased their account.
    async fn actor(&self, ctx: &Context<'_>) -> Result<Option<UserView>> {
        match &self.0.actor_id {
            Some(actor) => user_view(ctx, actor).await,
            None => Ok(None),
        }
    }

    /// The member acted on; null for the author of an anonymous post.
    async fn target_user(&self, ctx: &Context<'_>) -> Result<Option<UserView>> {
        match &self.0.target_user_id {
            Some(target) => user_view(ctx, target).await,
            None => Ok(None),
        }
    }

    /// The group it happened in; null once the group is gone.
    async fn group(&self, ctx: &Context<'_>) -> Result<Option<PeerGroupView>> {
        match &self.0.group_id {
            Some(group_id) => group_view(ctx, group_id).await,
            None => Ok(None),
        }
    }

    /// The post acted on, when there was one.
    async fn post_id(&self) -> Option<ID> {
        self.0.post_id.clone().map(ID)
    }

    /// The report it resolved, when there was one.
    async fn report_id(&self) -> Option<ID> {
        self.0.report_id.clone().map(ID)
    }

    /// The moderator's reason, when given.
    async fn reason(&self) -> Option<&str> {
        self.0.reason.as_deref()
    }

    /// When.
    async fn created_at(&self) -> DateTime {
        self.0.created_at.into()
    }
}

crate::connection_type!(PeerGroupConnection, PeerGroupEdge, PeerGroupView);
crate::connection_type!(MembershipConnection, MembershipEdge, MembershipView);
crate::connection_type!(PostConnection, PostEdge, PostView);
crate::connection_type!(PostReportConnection, PostReportEdge, ReportView);
crate::connection_type!(
    ModerationActionConnection,
    ModerationActionEdge,
    ModerationActionView
);

/// What `groups` searches: every field given must match.
#[derive(InputObject, Default)]
pub struct GroupFilter {
    /// Words matched against name, description and topic.
    pub search: Option<String>,
    /// Groups speaking this language (BCP 47 tag).
    pub language: Option<String>,
    /// Groups of this region, exactly.
    pub region: Option<String>,
    /// Groups open to this profession (groups for everyone included).
    pub profession: Option<Profession>,
}

/// A new peer group; its creator becomes its first facilitator. A person holds at most 30 groups
/// (CONFLICT beyond).
#[derive(InputObject)]
pub struct CreateGroupInput {
    /// 3 to 80 characters, unique whatever the case (CONFLICT when taken).
    pub name: String,
    /// What the group is for, at most 2,000 characters.
    pub description: String,
    /// A short theme, 2 to 40 characters (`burnout`, `nuits`…).
    pub topic: String,
    /// PUBLIC: anyone joins at once; PRIVATE: a facilitator approves each request.
    pub visibility: GroupVisibility,
    /// A BCP 47 language tag (`fr`, `en`…) the group speaks.
    pub language: String,
    /// Where its members work, at most 80 characters; null for anywhere.
    pub region: Option<String>,
    /// Who the group is for; empty for everyone.
    pub professions: Option<Vec<Profession>>,
    /// Only members with a verified profession may join (default false).
    pub verified_only: Option<bool>,
}

/// A group's settings to change; absent fields stay as they are.
#[derive(InputObject)]
pub struct UpdateGroupInput {
    /// A group the viewer facilitates.
    pub id: ID,
    /// 3 to 80 characters, unique (CONFLICT when taken).
    pub name: Option<String>,
    /// At most 2,000 characters.
    pub description: Option<String>,
    /// 2 to 40 characters.
    pub topic: Option<String>,
    /// Applies to who joins from now on.
    pub visibility: Option<GroupVisibility>,
    /// Replaces the professions the group is meant for (empty: all).
    pub professions: Option<Vec<Profession>>,
    /// Only members with a verified profession may join from now on.
    pub verified_only: Option<bool>,
}

/// A post, or a reply with `parentId`.
#[derive(InputObject)]
pub struct CreatePostInput {
    /// A group the viewer is an active member of (FORBIDDEN otherwise).
    pub group_id: ID,
    /// 1 to 5,000 characters.
    pub body: String,
    /// Reply to this post (one level of replies).
    pub parent_id: Option<ID>,
    /// Shown without its author to everyone (moderators included); the server keeps the author for
    /// moderation.
    pub anonymous: Option<bool>,
}

// ------------------------------------------------------------------ roots

#[derive(Default)]
pub struct GroupsQuery;

#[Object]
impl GroupsQuery {
    /// The people the viewer blocked, by id, so that the app can offer "Blocked accounts".
    #[graphql(complexity = "crate::graphql::page_cost(first, child_complexity)")]
    async fn blocked_users(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "How many items: default 20, at most 100 (BAD_USER_INPUT outside 1 to 100)."
        )]
        first: Option<i32>,
        #[graphql(desc = "The `endCursor` of the previous page; null for the first page.")]
        after: Option<String>,
    ) -> Result<UserConnection> {
        let page = PageRequest::new(first, after.as_deref())?;
        let blocked = service::blocked_users(ctx.db(), ctx.viewer()?, page).await?;
        Ok(UserConnection::new(
            blocked,
            |profile| profile.user.id.to_string(),
            UserView::from,
        ))
    }

    /// People who share an active group with the viewer, by display name: every word of
    /// `search` (1 to 100 characters) in the name, whatever its case and accents ("helene" finds
    /// "Hélène"), alphabetical. Blocked people, either way, are left out. Signed-in callers.
    #[graphql(complexity = "crate::graphql::page_cost(first, child_complexity)")]
    async fn people(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Words of the display name, 1 to 100 characters.")] search: String,
        #[graphql(
            desc = "How many items: default 20, at most 100 (BAD_USER_INPUT outside 1 to 100)."
        )]
        first: Option<i32>,
        #[graphql(desc = "The `endCursor` of the previous page; null for the first page.")]
        after: Option<String>,
    ) -> Result<UserConnection> {
        let page = PageRequest::new(first, after.as_deref())?;
        let found = service::people(ctx.db(), ctx.viewer()?, search, page).await?;
        Ok(UserConnection::new(
            found,
            |person| person.cursor.clone(),
            |person| UserView::from(person.profile),
        ))
    }

    /// Public and private groups (private ones are discoverable), newest first.
    #[graphql(complexity = "crate::graphql::page_cost(first, child_complexity)")]
    async fn groups(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to search; absent: every group.")] filter: Option<GroupFilter>,
        #[graphql(
            desc = "How many items: default 20, at most 100 (BAD_USER_INPUT outside 1 to 100)."
        )]
        first: Option<i32>,
        #[graphql(desc = "The `endCursor` of the previous page; null for the first page.")]
        after: Option<String>,
    ) -> Result<PeerGroupConnection> {
        let viewer = ctx.viewer()?;
        let filter = filter.unwrap_or_default();
        let search = GroupSearch {
            words: filter.search.into_iter().collect(),
            language: filter.language,
            region: filter.region,
            profession: filter.profession,
        };
        let page = PageRequest::new(first, after.as_deref())?;
        let groups = service::search(ctx.db(), &viewer.user_id, search, page).await?;
        Ok(PeerGroupConnection::new(
            groups,
            |(group, _)| group.row.id.to_string(),
            PeerGroupView::as_seen,
        ))
    }

    /// A group by id; null when there is none. Private groups show their description and counts to
    /// everyone, their posts to members.
    async fn group(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The group's id.")] id: ID,
    ) -> Result<Option<PeerGroupView>> {
        ctx.viewer()?;
        group_view(ctx, &GroupId::from(id)).await
    }

    /// The viewer's active groups, newest first: at most 30, as a person may be in or be waiting
    /// to join 30 groups at once.
    #[graphql(
        complexity = "crate::graphql::list_cost(service::GROUPS_MAX as usize, child_complexity)"
    )]
    async fn my_groups(&self, ctx: &Context<'_>) -> Result<Vec<PeerGroupView>> {
        let groups = service::my_groups(ctx.db(), ctx.viewer()?).await?;
        Ok(groups
            .into_iter()
            .map(|(group, membership)| PeerGroupView::as_seen((group, Some(membership))))
            .collect())
    }

    /// Open reports, AT_RISK first. MODERATORs and ADMINs only.
    #[graphql(complexity = "crate::graphql::page_cost(first, child_complexity)")]
    async fn open_reports(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "How many items: default 20, at most 100 (BAD_USER_INPUT outside 1 to 100)."
        )]
        first: Option<i32>,
        #[graphql(desc = "The `endCursor` of the previous page; null for the first page.")]
        after: Option<String>,
    ) -> Result<PostReportConnection> {
        let page = PageRequest::new(first, after.as_deref())?;
        let reports = service::open_reports(ctx.db(), ctx.viewer()?, page).await?;
        Ok(PostReportConnection::new(
            reports,
            |report| report.row.position().key(),
            ReportView,
        ))
    }

    /// Moderator actions, newest first, for one group or all. MODERATORs and ADMINs only.
    #[graphql(complexity = "crate::graphql::page_cost(first, child_complexity)")]
    async fn moderation_log(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The group whose log to read.")] group_id: Option<ID>,
        #[graphql(
            desc = "How many items: default 20, at most 100 (BAD_USER_INPUT outside 1 to 100)."
        )]
        first: Option<i32>,
        #[graphql(desc = "The `endCursor` of the previous page; null for the first page.")]
        after: Option<String>,
    ) -> Result<ModerationActionConnection> {
        let page = PageRequest::new(first, after.as_deref())?;
        let actions =
            service::moderation_log(ctx.db(), ctx.viewer()?, group_id.map(GroupId::from), page)
                .await?;
        Ok(ModerationActionConnection::new(
            actions,
            |action| action.id.to_string(),
            ModerationActionView,
        ))
    }
}

#[derive(Default)]
pub struct GroupsMutation;

#[Object]
impl GroupsMutation {
    /// Mutes the group's pushes for the viewer until `until` (default: until unmuted); its
    /// activity still reaches the inbox. Active members only (FORBIDDEN otherwise); an `until`
    /// already past is BAD_USER_INPUT.
    async fn mute_group(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "A group the viewer is an active member of.")] group_id: ID,
        #[graphql(
            desc = "When pushes resume; null to mute until `unmuteGroup`. Past: BAD_USER_INPUT."
        )]
        until: Option<DateTime>,
    ) -> Result<bool> {
        Ok(service::mute(
            ctx.db(),
            ctx.viewer()?,
            GroupId::from(group_id),
            until.map(|until| until.0.naive_utc()),
        )
        .await?)
    }

    /// Pushes for the group again; false when it was not muted. Active members only.
    async fn unmute_group(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "A group the viewer muted.")] group_id: ID,
    ) -> Result<bool> {
        Ok(service::unmute(ctx.db(), ctx.viewer()?, GroupId::from(group_id)).await?)
    }

    /// Changes a group's settings: facilitators only (FORBIDDEN otherwise), the same rules as
    /// at creation (a taken name is CONFLICT). Nobody is notified.
    async fn update_group(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The group and what changes.")] input: UpdateGroupInput,
    ) -> Result<PeerGroupView> {
        let changes = GroupChanges {
            name: input.name,
            description: input.description,
            topic: input.topic,
            visibility: input.visibility,
            professions: input.professions,
            verified_only: input.verified_only,
        };
        Ok(PeerGroupView::from(
            service::update_group(ctx.db(), ctx.viewer()?, GroupId::from(input.id), changes)
                .await?,
        ))
    }

    /// Creates a group; the viewer becomes its facilitator.
    async fn create_group(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new group.")] input: CreateGroupInput,
    ) -> Result<PeerGroupView> {
        let form = GroupForm {
            name: input.name,
            description: input.description,
            topic: input.topic,
            visibility: input.visibility,
            language: input.language,
            region: input.region,
            professions: input.professions.unwrap_or_default(),
            verified_only: input.verified_only.unwrap_or(false),
        };
        Ok(PeerGroupView::from(
            service::create_group(ctx.db(), ctx.viewer()?, form).await?,
        ))
    }

    /// Joins at once a public group; asks to join a private one.
    async fn join_group(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The group to join (or ask to join).")] group_id: ID,
    ) -> Result<MembershipView> {
        Ok(MembershipView(
            service::join(ctx.db(), ctx.viewer()?, group_id.into()).await?,
        ))
    }

    /// Leaves a group, or withdraws a request to join. Registrations to the group's workshops
    /// still ahead end with the membership.
    async fn leave_group(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "A group the viewer is in or asked to join.")] group_id: ID,
    ) -> Result<bool> {
        Ok(service::leave(ctx.db(), ctx.viewer()?, group_id.into(), MEMBERSHIP_ENDED).await?)
    }

    /// Accepts a pending request. Facilitators only.
    async fn approve_membership(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "A group the viewer facilitates.")] group_id: ID,
        #[graphql(desc = "The person whose request to join waits.")] user_id: ID,
    ) -> Result<MembershipView> {
        let membership =
            service::approve(ctx.db(), ctx.viewer()?, group_id.into(), user_id.into()).await?;
        Ok(MembershipView(membership))
    }

    /// Removes a member or declines a request. Facilitators, MODERATORs and ADMINs.
    async fn remove_member(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "A group the viewer facilitates (or any group, for MODERATORs and ADMINs)."
        )]
        group_id: ID,
        #[graphql(desc = "The member, or the person whose request is declined.")] user_id: ID,
        #[graphql(desc = "For the moderation log, at most 1,000 characters.")] reason: Option<
            String,
        >,
    ) -> Result<bool> {
        Ok(service::remove_member(
            ctx.db(),
            ctx.viewer()?,
            group_id.into(),
            user_id.into(),
            reason,
            MEMBERSHIP_ENDED,
        )
        .await?)
    }

    /// Makes a member a facilitator, or a facilitator a member. Facilitators only.
    async fn set_member_role(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "A group the viewer facilitates.")] group_id: ID,
        #[graphql(desc = "An active member of it.")] user_id: ID,
        #[graphql(desc = "The new role; the last facilitator cannot step down (CONFLICT).")]
        role: MemberRole,
    ) -> Result<MembershipView> {
        let membership = service::set_member_role(
            ctx.db(),
            ctx.viewer()?,
            group_id.into(),
            user_id.into(),
            role,
        )
        .await?;
        Ok(MembershipView(membership))
    }

    /// Posts in a group, or replies to a top-level post, as an active member allowed to post. The
    /// post's author is told of replies they can see.
    async fn create_post(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The post.")] input: CreatePostInput,
    ) -> Result<PostView> {
        let form = PostForm {
            group_id: input.group_id.into(),
            body: input.body,
            parent_id: input.parent_id.map(PostId::from),
            anonymous: input.anonymous.unwrap_or(false),
        };
        Ok(PostView(
            service::create_post(ctx.db(), ctx.viewer()?, form).await?,
        ))
    }

    /// Changes the body of the viewer's own post, 1 to 5,000 characters, and sets its
    /// `editedAt`. Its author only, while an active member (FORBIDDEN for someone else's post,
    /// NOT_FOUND for one the viewer cannot read; posting suspended: FORBIDDEN). An anonymous post
    /// stays anonymous; nobody is notified.
    async fn update_post(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "One of the viewer's own posts.")] id: ID,
        #[graphql(desc = "1 to 5,000 characters.")] body: String,
    ) -> Result<PostView> {
        Ok(PostView(
            service::update_post(ctx.db(), ctx.viewer()?, id.into(), body).await?,
        ))
    }

    /// Deletes a post and its replies: its author, a facilitator, or a MODERATOR/ADMIN.
    async fn delete_post(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The post, with its replies.")] id: ID,
        #[graphql(
            desc = "For the moderation log when a moderator acts, at most 1,000 characters."
        )]
        reason: Option<String>,
    ) -> Result<bool> {
        Ok(service::delete_post(ctx.db(), ctx.viewer()?, id.into(), reason).await?)
    }

    /// Removes a post's author from the group, without showing who they are.
    async fn remove_post_author(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The post whose author loses the right to post in its group.")]
        post_id: ID,
        #[graphql(desc = "For the moderation log, at most 1,000 characters.")] reason: Option<
            String,
        >,
    ) -> Result<bool> {
        Ok(service::remove_post_author(ctx.db(), ctx.viewer()?, post_id.into(), reason).await?)
    }

    /// Reports a post to the moderators. Members only.
    async fn report_post(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "A post the viewer can read.")] post_id: ID,
        #[graphql(desc = "1 to 1,000 characters.")] reason: String,
        #[graphql(desc = "What it is; OTHER when absent.")] category: Option<ReportCategory>,
    ) -> Result<bool> {
        let category = category.unwrap_or(ReportCategory::Other);
        service::report_post(ctx.db(), ctx.viewer()?, post_id.into(), category, reason).await?;
        Ok(true)
    }

    /// Closes a report. MODERATORs and ADMINs only.
    async fn resolve_report(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "An open report of a post.")] id: ID,
        #[graphql(desc = "The moderator's note, at most 1,000 characters.")] resolution: Option<
            String,
        >,
    ) -> Result<ReportView> {
        Ok(ReportView(
            service::resolve_report(ctx.db(), ctx.viewer()?, ReportId::from(id), resolution)
                .await?,
        ))
    }

    /// Hides a person's signed posts and replies from the viewer everywhere.
    async fn block_user(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The person to block (not the viewer: BAD_USER_INPUT).")] user_id: ID,
    ) -> Result<bool> {
        Ok(service::block(ctx.db(), ctx.viewer()?, user_id.into()).await?)
    }

    /// Ends a block; true when there was one.
    async fn unblock_user(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "A person the viewer blocked.")] user_id: ID,
    ) -> Result<bool> {
        Ok(service::unblock(ctx.db(), ctx.viewer()?, user_id.into()).await?)
    }
}

#[derive(Default)]
pub struct GroupsSubscription;

#[Subscription]
impl GroupsSubscription {
    /// New posts and replies in a group. Members only.
    async fn group_posts(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "A group the viewer is an active member of.")] group_id: ID,
    ) -> Result<impl Stream<Item = Result<PostView>>> {
        let listener = Listener::start(ctx)?;
        let group_id = GroupId::from(group_id);
        service::ensure_member(listener.db(), listener.viewer(), group_id.clone()).await?;
        let live = listener.live().clone();
        Ok(listener.stream(
            move |event| match event {
                Committed::PostAdded {
                    group_id: group,
                    post_id,
                } if *group == group_id => Some(post_id.clone()),
                _ => None,
            },
            move |_, user_id, post_id| {
                let live = live.clone();
                async move {
                    let post = live.group_posts.load_one((post_id, user_id)).await?;
                    Ok(post.map(PostView))
                }
            },
        ))
    }
}
