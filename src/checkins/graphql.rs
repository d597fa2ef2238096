//! The check-ins part of the API.

use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};

use super::instruments::{Instrument, WellbeingBand};
use super::model::{AggregatePoint, CheckinRow, TrendPoint};
use super::resources::SupportResource;
use super::service;
use crate::graphql::ContextExt;
use crate::graphql::scalars::Date;
use crate::i18n;
use crate::ids::GroupId;
use crate::pagination::PageRequest;

#[derive(SimpleObject)]
#[graphql(name = "SupportResource")]
pub struct SupportResourceView {
    name: String,
    description: String,
    url: Option<String>,
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

#[Object(name = "CheckinResult")]
impl CheckinView {
    async fn id(&self) -> ID {
        self.0.id.clone().into()
    }

    async fn instrument(&self) -> Instrument {
        self.0.instrument
    }

    async fn score(&self) -> i32 {
        self.0.score
    }

    async fn max_score(&self) -> i32 {
        self.0.instrument.scale().score_max
    }

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

#[derive(SimpleObject)]
#[graphql(name = "TrendPoint")]
pub struct TrendPointView {
    week_start: Date,
    average_score: f64,
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

#[derive(SimpleObject)]
#[graphql(name = "AggregatePoint")]
pub struct AggregatePointView {
    week_start: Date,
    /// True when too few people answered, or when showing it would let someone's answers be
    /// worked out from another group's figure: the figures are then null.
    suppressed: bool,
    respondents: Option<i64>,
    average_score: Option<f64>,
}

impl From<AggregatePoint> for AggregatePointView {
    fn from(point: AggregatePoint) -> Self {
        Self {
            week_start: Date(point.week_start),
            suppressed: point.figures.is_none(),
            respondents: point.figures.map(|(respondents, _)| respondents),
            average_score: point.figures.map(|(_, average)| average),
        }
    }
}

/// An instrument as the app renders it, in the viewer's language.
pub struct InstrumentInfo(Instrument);

#[Object]
impl InstrumentInfo {
    async fn instrument(&self) -> Instrument {
        self.0
    }

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

    async fn answer_min(&self) -> i32 {
        self.0.scale().answer_min
    }

    async fn answer_max(&self) -> i32 {
        self.0.scale().answer_max
    }

    async fn min_score(&self) -> i32 {
        self.0.scale().score_min
    }

    async fn max_score(&self) -> i32 {
        self.0.scale().score_max
    }

    async fn higher_is_better(&self) -> bool {
        self.0.scale().higher_is_better
    }

    /// Where the instrument and its scoring come from.
    async fn source(&self) -> &str {
        self.0.source()
    }
}

#[derive(InputObject)]
pub struct CheckinInput {
    instrument: Instrument,
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

    /// The viewer's own check-ins, newest first.
    #[graphql(complexity = "crate::graphql::page_cost(first, child_complexity)")]
    async fn my_checkins(
        &self,
        ctx: &Context<'_>,
        instrument: Option<Instrument>,
        first: Option<i32>,
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
        instrument: Instrument,
        weeks: Option<i32>,
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

    /// A group's weekly wellbeing, for its active members; a week that could single someone out
    /// is suppressed.
    async fn group_wellbeing(
        &self,
        ctx: &Context<'_>,
        group_id: ID,
        instrument: Instrument,
        weeks: Option<i32>,
    ) -> Result<Vec<AggregatePointView>> {
        let state = ctx.state();
        Ok(service::group_wellbeing(
            &state.db,
            ctx.viewer()?,
            GroupId::from(group_id),
            instrument,
            weeks,
            state.config.checkins.min_respondents,
        )
        .await?
        .into_iter()
        .map(AggregatePointView::from)
        .collect())
    }
}

#[derive(Default)]
pub struct CheckinsMutation;

#[Object]
impl CheckinsMutation {
    /// Records an anonymous check-in; its result stays with the viewer.
    async fn submit_checkin(&self, ctx: &Context<'_>, input: CheckinInput) -> Result<CheckinView> {
        let state = ctx.state();
        let groups = input
            .share_with_group_ids
            .unwrap_or_default()
            .into_iter()
            .map(GroupId::from)
            .collect();
        Ok(CheckinView(
            service::submit(
                &state.db,
                &state.secret,
                ctx.viewer()?,
                input.instrument,
                input.answers,
                groups,
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
