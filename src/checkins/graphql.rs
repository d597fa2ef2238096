//! The check-ins part of the API.

use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};

use super::instruments::{Instrument, WellbeingBand};
use super::model::{
    AggregatePoint, CheckinForm, CheckinRow, SuppressionReason, TrendPoint, WEEKS_DEFAULT,
    WEEKS_MAX,
};
use super::release::Periods;
use super::resources::SupportResource;
use super::service;
use crate::graphql::ContextExt;
use crate::graphql::scalars::Date;
use crate::i18n::{self, Localized, Message};
use crate::ids::GroupId;
use crate::pagination::PageRequest;

/// A professional help line or service, shown with low wellbeing results.
#[derive(SimpleObject)]
#[graphql(name = "SupportResource")]
pub struct SupportResourceView {
    /// Its name.
    name: String,
    /// What it offers.
    description: String,
    /// Its website; null when there is none.
    url: Option<String>,
    /// A phone number to call; null when there is none.
    phone: Option<String>,
}

impl From<SupportResource> for SupportResourceView {
    fn from(resource: SupportResource) -> Self {
        Self {
            name: resource.name,
            description: resource.description,
            url: resource.url,
            phone: resource.phone,
        }
    }
}

pub struct CheckinView(CheckinRow);

/// A recorded check-in, as only its author sees it.
#[Object(name = "CheckinResult")]
impl CheckinView {
    /// The check-in's id.
    async fn id(&self) -> ID {
        self.0.id.clone().into()
    }

    /// The questionnaire answered.
    async fn instrument(&self) -> Instrument {
        self.0.instrument
    }

    /// The instrument's score from the answers.
    async fn score(&self) -> i32 {
        self.0.score
    }

    /// The highest score the instrument gives.
    async fn max_score(&self) -> i32 {
        self.0.instrument.scale().score_max
    }

    /// Where the score falls, with the instrument's own cut-offs.
    async fn band(&self) -> WellbeingBand {
        self.0.band()
    }

    /// The day it was made, in the person's time zone (never a time).
    async fn recorded_on(&self) -> Date {
        Date(self.0.recorded_on)
    }

    /// Whether the result screen offers to talk to a peer supporter (`requestSupport`): for LOW
    /// and AT_RISK. Nothing of the check-in goes with a request unless the person writes it.
    async fn offer_peer_support(&self) -> bool {
        matches!(self.0.band(), WellbeingBand::Low | WellbeingBand::AtRisk)
    }

    /// Support resources for the viewer's locale; never empty when band is AT_RISK.
    async fn resources(&self, ctx: &Context<'_>) -> Vec<SupportResourceView> {
        ctx.state()
            .support
            .for_band(i18n::current(), self.0.band())
            .into_iter()
            .map(SupportResourceView::from)
            .collect()
    }
}

crate::connection_type!(CheckinConnection, CheckinEdge, CheckinView);

/// One week of the viewer's own check-ins.
#[derive(SimpleObject)]
#[graphql(name = "TrendPoint")]
pub struct TrendPointView {
    /// The Monday the week starts on.
    week_start: Date,
    /// The week's average score.
    average_score: f64,
    /// Check-ins that week.
    count: i64,
}

impl From<TrendPoint> for TrendPointView {
    fn from(point: TrendPoint) -> Self {
        Self {
            week_start: Date(point.week_start),
            average_score: point.average_score,
            count: point.count,
        }
    }
}

/// A group's figure for one period, released once after the period closed, with noise drawn
/// once: it reads the same every time.
#[derive(SimpleObject)]
#[graphql(name = "AggregatePoint")]
pub struct AggregatePointView {
    /// The period's first Monday.
    week_start: Date,
    /// True when the figures are null: `reason` says why.
    suppressed: bool,
    /// How many people were counted, with noise, rounded; never below the anonymity threshold.
    respondents: Option<i32>,
    /// The mean of the counted people's period means, with noise, rounded to a whole point.
    average_score: Option<f64>,
    /// Weeks the period covers.
    period_weeks: i32,
    /// Half-width of a 95 % interval around averageScore, in the instrument's points.
    margin: Option<f64>,
    /// Why the figures are null.
    reason: Option<SuppressionReason>,
}

impl From<AggregatePoint> for AggregatePointView {
    fn from(point: AggregatePoint) -> Self {
        let figures = point.figures.ok();
        Self {
            week_start: Date(point.week_start),
            suppressed: figures.is_none(),
            respondents: figures.map(|figures| figures.respondents),
            average_score: figures.map(|figures| figures.average_score),
            period_weeks: point.period_weeks,
            margin: figures.map(|figures| figures.margin),
            reason: point.figures.err(),
        }
    }
}

/// How group wellbeing figures are protected, for the app to explain in plain words.
#[derive(SimpleObject)]
pub struct WellbeingPrivacy {
    /// k: the fewest people counted in a figure that is shown.
    min_respondents: i32,
    /// The differential-privacy loss ε of one figure (one group, one instrument, one period).
    epsilon: f64,
    /// Weeks one figure covers.
    period_weeks: i32,
    /// The widest margin shown, in percent of an instrument's range (points of WHO-5's 0-100).
    max_margin: f64,
    /// Who counts: only people who were active members before the period began.
    tenure_rule: String,
    /// The guarantee in one sentence, in the viewer's language.
    summary: String,
}

/// An instrument as the app renders it, in the viewer's language.
pub struct InstrumentInfo(Instrument);

/// What the app needs to show an instrument: its items' answer range and its score range.
#[Object]
impl InstrumentInfo {
    /// The instrument described.
    async fn instrument(&self) -> Instrument {
        self.0
    }

    /// Its name, in the viewer's language.
    async fn name(&self) -> Option<&str> {
        self.0.text(i18n::current()).map(|text| text.name.as_str())
    }

    /// What the questions refer to ("Over the last two weeks…").
    async fn prompt(&self) -> Option<&str> {
        self.0
            .text(i18n::current())
            .map(|text| text.prompt.as_str())
    }

    /// The items, in order: one answer each.
    async fn items(&self) -> Vec<String> {
        self.0
            .text(i18n::current())
            .map(|text| text.items.clone())
            .unwrap_or_default()
    }

    /// The answers' labels from `answerMin` to `answerMax`.
    async fn answer_labels(&self) -> Vec<String> {
        self.0
            .text(i18n::current())
            .map(|text| text.answers.clone())
            .unwrap_or_default()
    }

    /// The lowest answer an item takes.
    async fn answer_min(&self) -> i32 {
        self.0.scale().answer_min
    }

    /// The highest answer an item takes.
    async fn answer_max(&self) -> i32 {
        self.0.scale().answer_max
    }

    /// The lowest score.
    async fn min_score(&self) -> i32 {
        self.0.scale().score_min
    }

    /// The highest score.
    async fn max_score(&self) -> i32 {
        self.0.scale().score_max
    }

    /// True when a higher score means better wellbeing (WHO-5); false when it means more strain.
    async fn higher_is_better(&self) -> bool {
        self.0.scale().higher_is_better
    }

    /// Where the instrument and its scoring come from.
    async fn source(&self) -> &str {
        self.0.source()
    }
}

/// One check-in: the answers to an instrument's items, in order.
#[derive(InputObject)]
pub struct CheckinInput {
    /// The questionnaire answered.
    instrument: Instrument,
    /// One answer per item, each within the instrument's `answerMin`..`answerMax` (BAD_USER_INPUT
    /// otherwise).
    answers: Vec<i32>,
    /// Groups (the viewer's own) whose anonymous aggregate may count this check-in.
    share_with_group_ids: Option<Vec<ID>>,
}

#[derive(Default)]
pub struct CheckinsQuery;

#[Object]
impl CheckinsQuery {
    /// The instruments, their items and answers in the viewer's language, scales and sources.
    async fn instruments(&self) -> Vec<InstrumentInfo> {
        Instrument::ALL
            .iter()
            .copied()
            .map(InstrumentInfo)
            .collect()
    }

    /// How group wellbeing figures are protected: the numbers and the guarantee in plain words.
    async fn wellbeing_privacy(&self, ctx: &Context<'_>) -> WellbeingPrivacy {
        let config = &ctx.state().config.checkins;
        let locale = i18n::current();
        let weeks = Periods::new(config.period_weeks).weeks();
        WellbeingPrivacy {
            min_respondents: i32::try_from(config.min_respondents).unwrap_or(i32::MAX),
            epsilon: config.epsilon,
            period_weeks: weeks,
            max_margin: config.max_margin,
            tenure_rule: Message::WellbeingTenure.render(locale),
            summary: Message::WellbeingPrivacy {
                min_respondents: config.min_respondents,
                weeks,
            }
            .render(locale),
        }
    }

    /// The viewer's own check-ins, newest first.
    #[graphql(complexity = "crate::graphql::page_cost(first, child_complexity)")]
    async fn my_checkins(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only this instrument's; all when absent.")] instrument: Option<
            Instrument,
        >,
        #[graphql(
            desc = "How many items: default 20, at most 100 (BAD_USER_INPUT outside 1 to 100)."
        )]
        first: Option<i32>,
        #[graphql(desc = "The `endCursor` of the previous page; null for the first page.")]
        after: Option<String>,
    ) -> Result<CheckinConnection> {
        let page = PageRequest::new(first, after.as_deref())?;
        let state = ctx.state();
        let rows = service::mine(&state.db, &state.secret, ctx.viewer()?, instrument, page).await?;
        Ok(CheckinConnection::new(
            rows,
            service::cursor_key,
            CheckinView,
        ))
    }

    /// The viewer's weekly averages over the last `weeks` (1-104, default 12) ISO weeks.
    async fn my_checkin_trend(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The instrument.")] instrument: Instrument,
        #[graphql(desc = "How many weeks back, 1 to 104 (default 12).")] weeks: Option<i32>,
    ) -> Result<Vec<TrendPointView>> {
        let state = ctx.state();
        Ok(
            service::trend(&state.db, &state.secret, ctx.viewer()?, instrument, weeks)
                .await?
                .into_iter()
                .map(TrendPointView::from)
                .collect(),
        )
    }

    /// A group's wellbeing over the last `weeks` weeks (1-104, default 12), one point per
    /// period, for its active members only (FORBIDDEN otherwise). Each point is a release made
    /// once after its period closed; the open period reads as NOT_RELEASED.
    #[graphql(complexity = "crate::graphql::list_cost(points_in(weeks), child_complexity)")]
    async fn group_wellbeing(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "A group the viewer is an active member of.")] group_id: ID,
        #[graphql(desc = "The instrument whose releases to read.")] instrument: Instrument,
        #[graphql(desc = "How many weeks back, 1 to 104 (default 12).")] weeks: Option<i32>,
    ) -> Result<Vec<AggregatePointView>> {
        let state = ctx.state();
        Ok(service::group_wellbeing(
            &state.db,
            ctx.viewer()?,
            GroupId::from(group_id),
            instrument,
            weeks,
            Periods::new(state.config.checkins.period_weeks),
        )
        .await?
        .into_iter()
        .map(AggregatePointView::from)
        .collect())
    }
}

/// The most points a span of `weeks` can hold (one more than its weeks when they straddle periods).
fn points_in(weeks: Option<i32>) -> usize {
    let weeks = weeks.map_or(WEEKS_DEFAULT, i64::from).clamp(1, WEEKS_MAX);
    usize::try_from(weeks).unwrap_or(1) + 1
}

#[derive(Default)]
pub struct CheckinsMutation;

#[Object]
impl CheckinsMutation {
    /// Records an anonymous check-in; its result stays with the viewer.
    async fn submit_checkin(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The answers.")] input: CheckinInput,
    ) -> Result<CheckinView> {
        let state = ctx.state();
        let form = CheckinForm {
            instrument: input.instrument,
            answers: input.answers,
            share_with: input
                .share_with_group_ids
                .unwrap_or_default()
                .into_iter()
                .map(GroupId::from)
                .collect(),
        };
        Ok(CheckinView(
            service::submit(
                &state.db,
                &state.secret,
                ctx.viewer()?,
                form,
                Periods::new(state.config.checkins.period_weeks),
                &state.config.consents,
            )
            .await?,
        ))
    }

    /// Deletes every check-in of the viewer; returns how many.
    async fn delete_my_checkins(&self, ctx: &Context<'_>) -> Result<i64> {
        let state = ctx.state();
        Ok(service::delete_mine(&state.db, &state.secret, ctx.viewer()?).await?)
    }
}
