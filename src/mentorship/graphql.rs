//! The mentorship part of the API.

use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};

use super::matching::Scored;
use super::model::{
    DeclineReason, GoalRow, MentorProfile, MentorProfileForm, MentorshipArea, MentorshipCard,
    MentorshipSide, MentorshipStatus,
};
use super::service::{self, MatchSearch, Proposal, RoundOutcome};
use crate::accounts::graphql::{UserView, user_view};
use crate::accounts::model::Profession;
use crate::conversations::graphql::ConversationView;
use crate::graphql::ContextExt;
use crate::graphql::scalars::DateTime;
use crate::i18n;
use crate::ids::{MentorshipId, UserId};
use crate::pagination::list_size;

async fn person(ctx: &Context<'_>, id: &UserId) -> Result<UserView> {
    Ok(user_view(ctx, id).await?.unwrap_or_else(UserView::erased))
}

pub struct MentorProfileView(pub MentorProfile);

/// What a mentor offers, as mentees see it.
#[Object(name = "MentorProfile")]
impl MentorProfileView {
    /// The mentor.
    async fn user(&self, ctx: &Context<'_>) -> Result<UserView> {
        person(ctx, &self.0.row.user_id).await
    }

    /// One line about the mentor, 3 to 140 characters.
    async fn headline(&self) -> &str {
        &self.0.row.headline
    }

    /// What the mentor can help with, at most 5.
    async fn areas(&self) -> &[MentorshipArea] {
        &self.0.areas
    }

    /// Years in their profession, 0 to 60.
    async fn years_of_experience(&self) -> i32 {
        self.0.row.years_of_experience
    }

    /// Most mentees at once.
    async fn capacity(&self) -> i32 {
        self.0.row.capacity
    }

    /// Mentees the mentor has now.
    async fn active_mentee_count(&self) -> i64 {
        self.0.active_mentees
    }

    /// False while the mentor takes no new mentees.
    async fn accepting_mentees(&self) -> bool {
        self.0.row.accepting_mentees
    }

    /// The mentor's average rating by their mentees: to the mentor only, released once three
    /// rated and again each time three more rated (so no change shows one mentee's rating);
    /// null otherwise.
    async fn average_rating(&self) -> Option<f64> {
        self.0.own_average_rating
    }
}

pub struct MentorMatchView(Scored);

/// A mentor ranked for the viewer, with why.
#[Object(name = "MentorMatch")]
impl MentorMatchView {
    /// The mentor's profile.
    async fn mentor(&self) -> MentorProfileView {
        MentorProfileView(self.0.candidate.profile.clone())
    }

    /// 0 to 1, higher is better.
    async fn score(&self) -> f64 {
        self.0.score
    }

    /// Why this mentor was suggested, in the viewer's locale.
    async fn reasons(&self) -> Vec<String> {
        self.0.reasons(i18n::current())
    }
}

/// A shared goal of a mentorship.
#[derive(SimpleObject)]
#[graphql(name = "MentorshipGoal")]
pub struct GoalView {
    /// The goal's id.
    id: ID,
    /// 1 to 200 characters.
    title: String,
    /// When it was added.
    created_at: DateTime,
    /// When it was marked done; null while open.
    done_at: Option<DateTime>,
}

impl From<GoalRow> for GoalView {
    fn from(goal: GoalRow) -> Self {
        Self {
            id: goal.id.into(),
            title: goal.title,
            created_at: goal.created_at.into(),
            done_at: goal.done_at.map(DateTime::from),
        }
    }
}

/// The feedback the viewer left after completion; the note is theirs alone.
#[derive(SimpleObject)]
#[graphql(name = "MentorshipFeedback")]
pub struct FeedbackView {
    /// 1 to 5.
    rating: i32,
    /// Private to the mentorship's people, at most 1,000 characters.
    note: Option<String>,
}

pub struct MentorshipView(pub MentorshipCard);

/// A mentee and a mentor, from the request to its end.
#[Object(name = "Mentorship")]
impl MentorshipView {
    /// The mentorship's id.
    async fn id(&self) -> ID {
        self.0.row.id.clone().into()
    }

    /// The mentor.
    async fn mentor(&self, ctx: &Context<'_>) -> Result<UserView> {
        person(ctx, &self.0.row.mentor_id).await
    }

    /// The person mentored.
    async fn mentee(&self, ctx: &Context<'_>) -> Result<UserView> {
        person(ctx, &self.0.row.mentee_id).await
    }

    /// Where it stands.
    async fn status(&self) -> MentorshipStatus {
        self.0.row.status
    }

    /// What the mentee asked help with.
    async fn areas(&self) -> &[MentorshipArea] {
        &self.0.areas
    }

    /// The mentee's request, 20 to 1,000 characters.
    async fn message(&self) -> &str {
        &self.0.row.message
    }

    /// Why the mentor declined, once DECLINED.
    async fn decline_reason(&self) -> Option<DeclineReason> {
        self.0.row.decline_reason
    }

    /// Whether a matching round proposed it.
    async fn from_matching_round(&self) -> bool {
        self.0.row.round_id.is_some()
    }

    /// When it was requested.
    async fn created_at(&self) -> DateTime {
        self.0.row.created_at.into()
    }

    /// When the mentor accepted or declined; null before.
    async fn responded_at(&self) -> Option<DateTime> {
        self.0.row.responded_at.map(DateTime::from)
    }

    /// When it was completed, cancelled, declined or expired; null before.
    async fn ended_at(&self) -> Option<DateTime> {
        self.0.row.ended_at.map(DateTime::from)
    }

    /// The private thread of the two people; null until ACTIVE.
    async fn conversation(&self) -> Option<ConversationView> {
        self.0.conversation.clone().map(ConversationView)
    }

    /// Shared goals, in the order they were set.
    async fn goals(&self) -> Vec<GoalView> {
        self.0.goals.iter().cloned().map(GoalView::from).collect()
    }

    /// The viewer's own feedback, once they left it.
    async fn viewer_feedback(&self) -> Option<FeedbackView> {
        self.0
            .viewer_feedback
            .as_ref()
            .map(|feedback| FeedbackView {
                rating: feedback.rating,
                note: feedback.note.clone(),
            })
    }
}

/// The viewer's mentor profile, created or replaced.
#[derive(InputObject)]
pub struct MentorProfileInput {
    /// 3 to 140 characters.
    headline: String,
    /// 1 to 5 areas.
    areas: Vec<MentorshipArea>,
    /// 0 to 60.
    years_of_experience: i32,
    /// Mentees at once, 1 to 10.
    capacity: i32,
    /// False to take no new mentees for now.
    accepting_mentees: bool,
}

/// What the viewer looks for in a mentor.
#[derive(InputObject)]
pub struct MentorSearchInput {
    /// At least one area the mentor must offer.
    areas: Vec<MentorshipArea>,
    /// Only mentors who speak this language.
    language: Option<String>,
    /// Prefer mentors of this profession.
    profession: Option<Profession>,
}

/// A pair a matching round proposes.
pub struct ProposalView(Proposal);

/// A pairing a matching round proposes (or made).
#[Object(name = "MatchProposal")]
impl ProposalView {
    /// The person looking for a mentor.
    async fn mentee(&self, ctx: &Context<'_>) -> Result<UserView> {
        person(ctx, &self.0.mentee).await
    }

    /// The mentor proposed.
    async fn mentor(&self, ctx: &Context<'_>) -> Result<UserView> {
        person(ctx, &self.0.mentor).await
    }

    /// The mentee's score for the mentor, 0 to 1.
    async fn score(&self) -> f64 {
        self.0.score
    }
}

pub struct RoundView(RoundOutcome);

/// What a matching round proposed, or made when it was not a dry run. ADMINs only.
#[Object(name = "MatchingRound")]
impl RoundView {
    /// Null for a dry run, which changes nothing.
    async fn id(&self) -> Option<ID> {
        self.0.round_id.clone().map(ID::from)
    }

    /// The pairings, best first.
    async fn proposals(&self) -> Vec<ProposalView> {
        self.0.proposals.iter().cloned().map(ProposalView).collect()
    }

    /// Opted-in mentees the round found nobody for.
    async fn unmatched(&self, ctx: &Context<'_>) -> Result<Vec<UserView>> {
        // Awaited together, so that the profile loader reads them in one batch.
        futures_util::future::try_join_all(self.0.unmatched.iter().map(|id| person(ctx, id))).await
    }
}

#[derive(Default)]
pub struct MentorshipQuery;

#[Object]
impl MentorshipQuery {
    /// A mentor's profile; null when they have none.
    async fn mentor_profile(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The mentor.")] user_id: ID,
    ) -> Result<Option<MentorProfileView>> {
        Ok(
            service::profile(ctx.db(), ctx.viewer()?, UserId::from(user_id))
                .await?
                .map(MentorProfileView),
        )
    }

    /// Ranked mentors for the viewer: never the viewer, never a full or closed mentor. Searches
    /// take turns (one per core at once); one that waits more than 2 s for its turn is refused
    /// with RATE_LIMITED.
    #[graphql(
        complexity = "super::model::SEARCH_COST + crate::graphql::list_cost(super::model::MATCHES_MAX, child_complexity)"
    )]
    async fn mentor_matches(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What the viewer looks for.")] input: MentorSearchInput,
        #[graphql(desc = "How many matches: default 10, at most 50.")] first: Option<i32>,
    ) -> Result<Vec<MentorMatchView>> {
        let search = MatchSearch {
            areas: input.areas,
            language: input.language,
            profession: input.profession,
        };
        Ok(
            service::matches(ctx.db(), &ctx.state().mentors, ctx.viewer()?, search, first)
                .await?
                .into_iter()
                .map(MentorMatchView)
                .collect(),
        )
    }

    /// The viewer's newest `first` mentorships (default 20, at most 100), by side and status.
    #[graphql(complexity = "crate::graphql::page_cost(first, child_complexity)")]
    async fn my_mentorships(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only as mentor or as mentee; both when absent.")] side: Option<
            MentorshipSide,
        >,
        #[graphql(desc = "Only in this status; all when absent.")] status: Option<MentorshipStatus>,
        #[graphql(
            desc = "How many items: default 20, at most 100 (BAD_USER_INPUT outside 1 to 100)."
        )]
        first: Option<i32>,
    ) -> Result<Vec<MentorshipView>> {
        let limit = list_size(first)?;
        Ok(
            service::my_mentorships(ctx.db(), ctx.viewer()?, side, status, limit)
                .await?
                .into_iter()
                .map(MentorshipView)
                .collect(),
        )
    }

    /// The areas the viewer asked matching rounds to find a mentor for; empty when not opted in.
    async fn my_mentorship_seeking(&self, ctx: &Context<'_>) -> Result<Vec<MentorshipArea>> {
        Ok(service::seeking(ctx.db(), ctx.viewer()?).await?)
    }
}

#[derive(Default)]
pub struct MentorshipMutation;

#[Object]
impl MentorshipMutation {
    /// Capacity 0 or not accepting is a break: open requests are declined, mentees told.
    async fn upsert_mentor_profile(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The profile.")] input: MentorProfileInput,
    ) -> Result<MentorProfileView> {
        let form = MentorProfileForm {
            headline: input.headline,
            areas: input.areas,
            years_of_experience: input.years_of_experience,
            capacity: input.capacity,
            accepting_mentees: input.accepting_mentees,
        };
        Ok(MentorProfileView(
            service::save_profile(ctx.db(), ctx.viewer()?, form).await?,
        ))
    }

    /// Asks a mentor for mentoring: at most 3 open requests at once; the mentor has 14 days to
    /// answer. Needs a confirmed address.
    async fn request_mentorship(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "A mentor accepting mentees (not the viewer).")] mentor_id: ID,
        #[graphql(desc = "1 to 5 areas the mentor offers.")] areas: Vec<MentorshipArea>,
        #[graphql(desc = "20 to 1,000 characters.")] message: String,
    ) -> Result<MentorshipView> {
        Ok(MentorshipView(
            service::request(ctx.db(), ctx.viewer()?, mentor_id.into(), areas, message).await?,
        ))
    }

    /// By the mentor. Declining may say why (default OTHER).
    async fn respond_to_mentorship(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "A request to the viewer as mentor.")] id: ID,
        #[graphql(desc = "True to accept (a conversation opens), false to decline.")] accept: bool,
        #[graphql(desc = "Why, when declining; OTHER when absent.")] decline_reason: Option<
            DeclineReason,
        >,
    ) -> Result<MentorshipView> {
        Ok(MentorshipView(
            service::respond(
                ctx.db(),
                ctx.viewer()?,
                MentorshipId::from(id),
                accept,
                decline_reason,
            )
            .await?,
        ))
    }

    /// The mentee withdraws a request; either side ends an active mentorship early.
    async fn cancel_mentorship(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "A requested or active mentorship of the viewer's, either side.")] id: ID,
    ) -> Result<MentorshipView> {
        Ok(MentorshipView(
            service::cancel(ctx.db(), ctx.viewer()?, id.into()).await?,
        ))
    }

    /// Ends an active mentorship as planned; either person. Its conversation becomes read-only.
    async fn complete_mentorship(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "An active mentorship of the viewer's.")] id: ID,
    ) -> Result<MentorshipView> {
        Ok(MentorshipView(
            service::complete(ctx.db(), ctx.viewer()?, id.into()).await?,
        ))
    }

    /// A shared goal (1-200 characters, at most 20) in an active mentorship.
    async fn add_mentorship_goal(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "An active mentorship of the viewer's.")] mentorship_id: ID,
        #[graphql(desc = "1 to 200 characters.")] title: String,
    ) -> Result<GoalView> {
        Ok(
            service::add_goal(ctx.db(), ctx.viewer()?, mentorship_id.into(), title)
                .await?
                .into(),
        )
    }

    /// Marks a goal of an active mentorship done or open again; either person.
    async fn set_mentorship_goal_done(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "A goal of one of the viewer's mentorships.")] goal_id: ID,
        #[graphql(desc = "True for done, false to open it again.")] done: bool,
    ) -> Result<GoalView> {
        Ok(
            service::set_goal_done(ctx.db(), ctx.viewer()?, goal_id.into(), done)
                .await?
                .into(),
        )
    }

    /// After COMPLETED: a 1-5 rating of the other person and a private note (up to 1,000).
    async fn leave_mentorship_feedback(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "A completed mentorship of the viewer's, as mentee.")] mentorship_id: ID,
        #[graphql(desc = "1 to 5.")] rating: i32,
        #[graphql(desc = "At most 1,000 characters.")] note: Option<String>,
    ) -> Result<MentorshipView> {
        Ok(MentorshipView(
            service::leave_feedback(ctx.db(), ctx.viewer()?, mentorship_id.into(), rating, note)
                .await?,
        ))
    }

    /// Opts in to matching rounds for these areas (1-5); an empty list opts out.
    async fn set_mentorship_seeking(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The areas matching rounds look for a mentor in; empty opts out.")]
        areas: Vec<MentorshipArea>,
    ) -> Result<Vec<MentorshipArea>> {
        Ok(service::set_seeking(ctx.db(), ctx.viewer()?, areas).await?)
    }

    /// ORGANISER or ADMIN: assigns opted-in mentees to mentors by stable matching. A dry run
    /// only proposes; otherwise requests are created and both sides told.
    async fn run_matching_round(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "True to only see the proposals; false to send them.")] dry_run: bool,
    ) -> Result<RoundView> {
        Ok(RoundView(
            service::run_round(ctx.db(), ctx.viewer()?, dry_run).await?,
        ))
    }
}
