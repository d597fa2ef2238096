//! The workshops part of the API.

use std::sync::Arc;

use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};

use super::model::{
    Near, Registration, RegistrationStatus, WorkshopCard, WorkshopForm, WorkshopFormat,
    WorkshopSearch, WorkshopStatus, WorkshopTechnique,
};
use super::service::{self, TrainingRecord};
use crate::accounts::graphql::{UserView, user_view};
use crate::error::AppError;
use crate::graphql::ContextExt;
use crate::graphql::scalars::DateTime;
use crate::groups::graphql::{PeerGroupView, group_view};
use crate::ids::UserId;
use crate::pagination::{PageRequest, list_size};

/// A workshop as the viewer sees it (shared by the registrations shown under it).
#[derive(Clone)]
pub struct WorkshopView(pub Arc<WorkshopCard>);

impl WorkshopView {
    fn new(card: WorkshopCard) -> Self {
        Self(Arc::new(card))
    }
}

/// A stress-management workshop or interprofessional meetup.
#[Object(name = "Workshop")]
impl WorkshopView {
    /// The workshop's id.
    async fn id(&self) -> ID {
        self.0.row.id.clone().into()
    }

    /// Its title.
    async fn title(&self) -> &str {
        &self.0.row.title
    }

    /// What it is about.
    async fn description(&self) -> &str {
        &self.0.row.description
    }

    /// What it practises.
    async fn technique(&self) -> WorkshopTechnique {
        self.0.row.technique
    }

    /// In person, online or both.
    async fn format(&self) -> WorkshopFormat {
        self.0.row.format
    }

    /// The language it is held in.
    async fn language(&self) -> &str {
        &self.0.row.language
    }

    /// Where it is held, as users describe their region.
    async fn region(&self) -> Option<&str> {
        self.0.row.region.as_deref()
    }

    /// When it starts.
    async fn starts_at(&self) -> DateTime {
        self.0.row.starts_at.into()
    }

    /// When it ends.
    async fn ends_at(&self) -> DateTime {
        self.0.row.ends_at.into()
    }

    /// IANA time zone the workshop is held in.
    async fn timezone(&self) -> &str {
        &self.0.row.timezone
    }

    /// Its address, for in-person and hybrid workshops.
    async fn location(&self) -> Option<&str> {
        self.0.row.location.as_deref()
    }

    /// Where it is held, for in-person and hybrid workshops.
    async fn latitude(&self) -> Option<f64> {
        self.0.row.latitude
    }

    /// Where it is held, for in-person and hybrid workshops.
    async fn longitude(&self) -> Option<f64> {
        self.0.row.longitude
    }

    /// Kilometres from the point of a `near` search; null otherwise.
    async fn distance_km(&self) -> Option<f64> {
        self.0.distance_km
    }

    /// Only the organiser and confirmed attendees see it; null for everyone else.
    async fn online_url(&self) -> Option<&str> {
        self.0
            .viewer_is_insider
            .then_some(self.0.row.online_url.as_deref())
            .flatten()
    }

    /// What to read or know ahead (documents, how to connect). Organiser and confirmed attendees only.
    async fn materials(&self) -> Option<&str> {
        self.0
            .viewer_is_insider
            .then_some(self.0.row.materials.as_deref())
            .flatten()
    }

    /// Seats.
    async fn capacity(&self) -> i32 {
        self.0.row.capacity
    }

    /// Seats taken.
    async fn confirmed_count(&self) -> i32 {
        i32::try_from(self.0.confirmed).unwrap_or(i32::MAX)
    }

    /// People waiting for a seat.
    async fn waitlist_count(&self) -> i32 {
        i32::try_from(self.0.waitlisted).unwrap_or(i32::MAX)
    }

    /// Scheduled or cancelled.
    async fn status(&self) -> WorkshopStatus {
        self.0.row.status
    }

    /// Why it was cancelled, when the organiser said.
    async fn cancel_reason(&self) -> Option<&str> {
        self.0.row.cancel_reason.as_deref()
    }

    /// A placeholder person once the organiser erased their account.
    async fn organiser(&self, ctx: &Context<'_>) -> Result<UserView> {
        let found = match &self.0.row.organiser_id {
            Some(organiser) => user_view(ctx, organiser).await?,
            None => None,
        };
        Ok(found.unwrap_or_else(UserView::erased))
    }

    /// The group it belongs to (its members only see it); null for an open workshop.
    async fn group(&self, ctx: &Context<'_>) -> Result<Option<PeerGroupView>> {
        match &self.0.row.group_id {
            Some(group_id) => group_view(ctx, group_id).await,
            None => Ok(None),
        }
    }

    /// The viewer's registration; null when they have none.
    async fn viewer_registration(&self) -> Option<RegistrationView> {
        self.0.viewer.clone().map(|registration| RegistrationView {
            registration,
            workshop: self.clone(),
        })
    }

    /// The released average of attendees' ratings: null until three people rated; it moves
    /// only once three more ratings came (or changed), so no change shows one person's rating.
    async fn average_rating(&self) -> Option<f64> {
        self.0.average_rating
    }

    /// How many ratings the released average counts (0 before the first release).
    async fn rating_count(&self) -> i32 {
        i32::try_from(self.0.ratings).unwrap_or(i32::MAX)
    }

    /// The raters' comments, for the organiser only, once at least three attendees who
    /// registered before the start rated (so that none can be tied to one person), theirs only,
    /// in text order and without names; null otherwise.
    async fn rating_comments(&self, ctx: &Context<'_>) -> Result<Option<Vec<String>>> {
        Ok(service::comments(ctx.db(), &self.0).await?)
    }

    /// Registrations in line order (confirmed and waitlisted, or one status), for the organiser
    /// only: whom to expect, and whose attendance to record.
    #[graphql(complexity = "crate::graphql::page_cost(first, child_complexity)")]
    async fn registrations(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only this status; confirmed and waitlisted when absent.")] status: Option<
            RegistrationStatus,
        >,
        #[graphql(
            desc = "How many items: default 20, at most 100 (BAD_USER_INPUT outside 1 to 100)."
        )]
        first: Option<i32>,
        #[graphql(desc = "The `endCursor` of the previous page; null for the first page.")]
        after: Option<String>,
    ) -> Result<RegistrationConnection> {
        let page = PageRequest::new(first, after.as_deref())?;
        let registrations =
            service::registrations(ctx.db(), ctx.viewer()?, &self.0, status, page).await?;
        let workshop = self.clone();
        Ok(RegistrationConnection::new(
            registrations,
            |registration| registration.row.queue_number.to_string(),
            move |registration| RegistrationView {
                registration,
                workshop: workshop.clone(),
            },
        ))
    }
}

pub struct RegistrationView {
    registration: Registration,
    workshop: WorkshopView,
}

impl RegistrationView {
    fn new((registration, card): (Registration, WorkshopCard)) -> Self {
        Self {
            registration,
            workshop: WorkshopView::new(card),
        }
    }
}

/// A person's seat, or place on the waitlist, at a workshop.
#[Object(name = "Registration")]
impl RegistrationView {
    /// The registration's id.
    async fn id(&self) -> ID {
        self.registration.row.id.clone().into()
    }

    /// The workshop.
    async fn workshop(&self) -> WorkshopView {
        self.workshop.clone()
    }

    /// Who registered.
    async fn user(&self, ctx: &Context<'_>) -> Result<UserView> {
        user_view(ctx, &self.registration.row.user_id)
            .await?
            .ok_or_else(|| AppError::NotFound.into())
    }

    /// Confirmed, waitlisted or cancelled.
    async fn status(&self) -> RegistrationStatus {
        self.registration.row.status
    }

    /// 1-based place in the waitlist while WAITLISTED, else null.
    async fn waitlist_position(&self) -> Option<i32> {
        self.registration
            .waitlist_position
            .map(|position| i32::try_from(position).unwrap_or(i32::MAX))
    }

    /// Whether the organiser recorded them present; null before.
    async fn attended(&self) -> Option<bool> {
        self.registration.row.attended
    }

    /// When they registered.
    async fn created_at(&self) -> DateTime {
        self.registration.row.created_at.into()
    }
}

crate::connection_type!(WorkshopConnection, WorkshopEdge, WorkshopView);
crate::connection_type!(RegistrationConnection, RegistrationEdge, RegistrationView);

/// An attended workshop for continuing-education records.
#[derive(SimpleObject)]
pub struct TrainingRecordView {
    /// The workshop.
    workshop: WorkshopView,
    /// The workshop's length in hours.
    hours: f64,
    /// Path of the printable certificate (bearer token).
    certificate_path: String,
    /// Anyone holding it can check the certificate at `/certificates/{code}`.
    verification_code: String,
}

/// Attended workshops in a span, for continuing-education records.
#[derive(SimpleObject)]
pub struct TrainingHours {
    /// Each workshop, with its hours.
    records: Vec<TrainingRecordView>,
    /// The hours added up.
    total_hours: f64,
}

impl From<Vec<TrainingRecord>> for TrainingHours {
    fn from(records: Vec<TrainingRecord>) -> Self {
        let total_hours = records.iter().map(|record| record.hours).sum();
        Self {
            total_hours,
            records: records
                .into_iter()
                .map(|record| TrainingRecordView {
                    certificate_path: format!("/workshops/{}/certificate", record.card.row.id),
                    workshop: WorkshopView::new(record.card),
                    hours: record.hours,
                    verification_code: record.certificate_code,
                })
                .collect(),
        }
    }
}

/// A point and a radius around it.
#[derive(InputObject)]
pub struct NearInput {
    /// Degrees, -90 to 90.
    latitude: f64,
    /// Degrees, -180 to 180.
    longitude: f64,
    /// At most 200.
    radius_km: f64,
}

/// What `workshops` searches: every field given must match.
#[derive(InputObject)]
pub struct WorkshopFilter {
    /// Starting at or after (default: now).
    from: Option<DateTime>,
    /// Starting before.
    to: Option<DateTime>,
    /// Practising this technique.
    technique: Option<WorkshopTechnique>,
    /// Held in this language.
    language: Option<String>,
    /// Only this group's workshops (members only).
    #[graphql(name = "groupId")]
    group_id: Option<ID>,
    /// Held in this region.
    region: Option<String>,
    /// Within a radius of a point, nearest first.
    near: Option<NearInput>,
}

impl From<WorkshopFilter> for WorkshopSearch {
    fn from(filter: WorkshopFilter) -> Self {
        Self {
            from: filter.from.map(|at| at.0),
            to: filter.to.map(|at| at.0),
            technique: filter.technique,
            language: filter.language,
            group_id: filter.group_id.map(Into::into),
            region: filter.region,
            near: filter.near.map(|near| Near {
                latitude: near.latitude,
                longitude: near.longitude,
                radius_km: near.radius_km,
            }),
        }
    }
}

/// A new workshop.
#[derive(InputObject)]
pub struct ScheduleWorkshopInput {
    /// 3 to 120 characters.
    title: String,
    /// At most 5,000 characters.
    description: String,
    /// What it practises.
    technique: WorkshopTechnique,
    /// In person, online or both.
    format: WorkshopFormat,
    /// The language it is held in (BCP 47).
    language: String,
    /// In the future.
    starts_at: DateTime,
    /// After `startsAt`, at most 12 hours later.
    ends_at: DateTime,
    /// The IANA time zone of its local times (calendars show it).
    timezone: String,
    /// The address, at most 300 characters; in-person and hybrid workshops.
    location: Option<String>,
    /// An https URL, at most 2,000 characters; online and hybrid workshops.
    online_url: Option<String>,
    /// What to bring or read, at most 5,000 characters.
    materials: Option<String>,
    /// Seats, 1 to 1,000; further registrations join the waitlist.
    capacity: i32,
    /// A group the organiser facilitates, to make it that group's workshop (members only).
    group_id: Option<ID>,
    /// Where it is held, at most 80 characters.
    region: Option<String>,
    /// In-person and hybrid workshops only, with `longitude`.
    latitude: Option<f64>,
    /// In-person and hybrid workshops only, with `latitude`.
    longitude: Option<f64>,
}

impl From<ScheduleWorkshopInput> for WorkshopForm {
    fn from(input: ScheduleWorkshopInput) -> Self {
        Self {
            title: input.title,
            description: input.description,
            technique: input.technique,
            format: input.format,
            language: input.language,
            region: input.region,
            starts_at: input.starts_at.0,
            ends_at: input.ends_at.0,
            timezone: input.timezone,
            location: input.location,
            latitude: input.latitude,
            longitude: input.longitude,
            online_url: input.online_url,
            materials: input.materials,
            capacity: input.capacity,
            group_id: input.group_id.map(Into::into),
        }
    }
}

#[derive(Default)]
pub struct WorkshopsQuery;

#[Object]
impl WorkshopsQuery {
    /// Scheduled workshops, in start order (nearest first with `near`). Group workshops are
    /// listed to that group's active members only.
    #[graphql(complexity = "crate::graphql::page_cost(first, child_complexity)")]
    async fn workshops(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to search; absent: upcoming workshops the viewer may see.")]
        filter: Option<WorkshopFilter>,
        #[graphql(
            desc = "How many items: default 20, at most 100 (BAD_USER_INPUT outside 1 to 100)."
        )]
        first: Option<i32>,
        #[graphql(desc = "The `endCursor` of the previous page; null for the first page.")]
        after: Option<String>,
    ) -> Result<WorkshopConnection> {
        let page = PageRequest::new(first, after.as_deref())?;
        let search = filter.map(WorkshopSearch::from).unwrap_or_default();
        let found = service::search(ctx.db(), ctx.viewer()?, search, page).await?;
        Ok(WorkshopConnection::new(
            found,
            WorkshopCard::cursor,
            WorkshopView::new,
        ))
    }

    /// A workshop the viewer may see; null otherwise (a group's workshop is for its members).
    async fn workshop(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The workshop's id.")] id: ID,
    ) -> Result<Option<WorkshopView>> {
        Ok(service::workshop(ctx.db(), ctx.viewer()?, id.into())
            .await?
            .map(WorkshopView::new))
    }

    /// The viewer's registrations, latest workshops first: the first `first` (default 20, at
    /// most 100).
    #[graphql(complexity = "crate::graphql::page_cost(first, child_complexity)")]
    async fn my_registrations(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "How many items: default 20, at most 100 (BAD_USER_INPUT outside 1 to 100)."
        )]
        first: Option<i32>,
    ) -> Result<Vec<RegistrationView>> {
        let limit = list_size(first)?;
        let found = service::my_registrations(ctx.db(), ctx.viewer()?, limit).await?;
        Ok(found.into_iter().map(RegistrationView::new).collect())
    }

    /// Workshops the viewer attended that started in [from, to), with their hours and
    /// certificates, for continuing-education records.
    #[graphql(
        complexity = "crate::graphql::list_cost(super::model::ATTENDED_COST_ITEMS, child_complexity)"
    )]
    async fn my_attended_workshops(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Workshops starting at or after this instant.")] from: DateTime,
        #[graphql(desc = "…and before this one (after `from`: BAD_USER_INPUT otherwise).")]
        to: DateTime,
    ) -> Result<TrainingHours> {
        let records = service::attended(ctx.db(), ctx.viewer()?, from.0, to.0).await?;
        Ok(records.into())
    }
}

#[derive(Default)]
pub struct WorkshopsMutation;

#[Object]
impl WorkshopsMutation {
    /// ORGANISER or ADMIN; a FACILITATOR of the group named in `groupId` for a group workshop.
    async fn schedule_workshop(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The workshop.")] input: ScheduleWorkshopInput,
    ) -> Result<WorkshopView> {
        let card = service::schedule(ctx.db(), ctx.viewer()?, input.into()).await?;
        Ok(WorkshopView::new(card))
    }

    /// Its organiser, before the start. Registrants hear of a new time or place; a larger
    /// capacity confirms people from the waitlist; capacity cannot drop below the confirmed.
    async fn update_workshop(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "A scheduled workshop the viewer organises.")] id: ID,
        #[graphql(desc = "What changes; the registered are told of a new time or place.")]
        input: ScheduleWorkshopInput,
    ) -> Result<WorkshopView> {
        let card = service::update(ctx.db(), ctx.viewer()?, id.into(), input.into()).await?;
        Ok(WorkshopView::new(card))
    }

    /// Its organiser or an ADMIN, before the start; every registrant is told.
    async fn cancel_workshop(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "A workshop the viewer organises.")] id: ID,
        #[graphql(desc = "Told to everyone registered, at most 1,000 characters.")] reason: Option<
            String,
        >,
    ) -> Result<WorkshopView> {
        let card = service::cancel(ctx.db(), ctx.viewer()?, id.into(), reason).await?;
        Ok(WorkshopView::new(card))
    }

    /// CONFIRMED while seats remain, else WAITLISTED at the back of the line.
    async fn register_for_workshop(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "A scheduled workshop the viewer may see; a full one puts them on the waitlist."
        )]
        workshop_id: ID,
    ) -> Result<RegistrationView> {
        let registered = service::register(ctx.db(), ctx.viewer()?, workshop_id.into()).await?;
        Ok(RegistrationView::new(registered))
    }

    /// Frees the seat for the first person waiting.
    async fn cancel_registration(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "A workshop the viewer registered for.")] workshop_id: ID,
    ) -> Result<RegistrationView> {
        let cancelled =
            service::cancel_registration(ctx.db(), ctx.viewer()?, workshop_id.into()).await?;
        Ok(RegistrationView::new(cancelled))
    }

    /// The organiser, from the start until 7 days after the end.
    async fn record_attendance(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "A workshop the viewer organises, from its start to 7 days after its end."
        )]
        workshop_id: ID,
        #[graphql(desc = "A person with a confirmed seat.")] user_id: ID,
        #[graphql(desc = "Whether they came.")] attended: bool,
    ) -> Result<RegistrationView> {
        let recorded = service::record_attendance(
            ctx.db(),
            ctx.viewer()?,
            workshop_id.into(),
            user_id.into(),
            attended,
        )
        .await?;
        Ok(RegistrationView::new(recorded))
    }

    /// After the end, by someone who attended; a second rating replaces the first.
    async fn rate_workshop(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "A workshop the viewer attended.")] workshop_id: ID,
        #[graphql(desc = "1 to 5.")] rating: i32,
        #[graphql(
            desc = "At most 1,000 characters; the organiser sees comments once enough people rated."
        )]
        comment: Option<String>,
    ) -> Result<bool> {
        Ok(service::rate(ctx.db(), ctx.viewer()?, workshop_id.into(), rating, comment).await?)
    }

    /// Revokes the current calendar feed URL and returns a new one.
    async fn rotate_calendar_feed(&self, ctx: &Context<'_>) -> Result<String> {
        let state = ctx.state();
        let token = service::rotate_feed(&state.db, &state.secret, ctx.viewer()?).await?;
        Ok(feed_url(&state.config.public_url, &token))
    }
}

/// The calendar feed's URL for `token`.
pub fn feed_url(public_url: &str, token: &str) -> String {
    format!("{}/calendar/{token}.ics", public_url.trim_end_matches('/'))
}

/// `Viewer.calendarFeedUrl`, for the accounts part of the API.
pub async fn calendar_feed_url(ctx: &Context<'_>, user_id: &UserId) -> Result<String> {
    let state = ctx.state();
    let token = service::feed_token_of(&state.db, &state.secret, user_id).await?;
    Ok(feed_url(&state.config.public_url, &token))
}
