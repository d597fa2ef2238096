//! The reaching-out part of the API: support requests and supporters' availability.

use async_graphql::{Context, ID, Object, Result};

use super::model::{OutreachRow, SupportRequestCard, SupportRequestStatus};
use super::service;
use crate::accounts::graphql::{UserView, user_view};
use crate::conversations::graphql::ConversationView;
use crate::graphql::ContextExt;
use crate::graphql::scalars::DateTime;
use crate::ids::{OutreachId, SupportRequestId};
use crate::pagination::list_size;

pub struct SupportRequestView(SupportRequestCard);

/// A person asked a trained peer to reach out.
#[Object(name = "SupportRequest")]
impl SupportRequestView {
    /// The request's id.
    async fn id(&self) -> ID {
        self.0.row.id.clone().into()
    }

    /// Where it stands.
    async fn status(&self) -> SupportRequestStatus {
        self.0.row.status
    }

    /// Who asked for support for themselves. A supporter who has not taken the request sees only
    /// a display name, a profession and the request's language.
    async fn requester(&self, ctx: &Context<'_>) -> Result<UserView> {
        let Some(mut person) = user_view(ctx, &self.0.row.requester_id).await? else {
            return Ok(UserView::erased());
        };
        if self.0.requester_masked {
            person.id = ID::from(uuid::Uuid::nil().to_string());
            person.languages = vec![self.0.row.language.clone()];
            person.region = None;
            person.bio = None;
        }
        Ok(person)
    }

    /// The peer who took it; null while open.
    async fn supporter(&self, ctx: &Context<'_>) -> Result<Option<UserView>> {
        match &self.0.row.supporter_id {
            Some(supporter) => user_view(ctx, supporter).await,
            None => Ok(None),
        }
    }

    /// At most 500 characters, written by the requester; no clinical details needed.
    async fn note(&self) -> Option<&str> {
        self.0.row.note.as_deref()
    }

    /// The language to answer in.
    async fn language(&self) -> &str {
        &self.0.row.language
    }

    /// When it was asked.
    async fn created_at(&self) -> DateTime {
        self.0.row.created_at.into()
    }

    /// The private thread with the supporter, once taken.
    async fn conversation(&self) -> Option<ConversationView> {
        self.0.conversation.clone().map(ConversationView)
    }
}

/// A colleague suggested that a peer reach out to the viewer.
pub struct OutreachOfferView(OutreachRow);

/// A colleague suggested that a trained peer reach out to the viewer; the viewer decides.
#[Object(name = "OutreachOffer")]
impl OutreachOfferView {
    /// The suggestion's id.
    async fn id(&self) -> ID {
        self.0.id.clone().into()
    }

    /// Why the colleague thinks of the viewer, at most 280 characters; never clinical details.
    async fn note(&self) -> Option<&str> {
        self.0.note.as_deref()
    }

    /// Null unless the colleague chose to sign (and once they erased their account).
    async fn signed_by(&self, ctx: &Context<'_>) -> Result<Option<UserView>> {
        match (self.0.signed, &self.0.asker_id) {
            (true, Some(asker)) => user_view(ctx, asker).await,
            _ => Ok(None),
        }
    }

    /// When it was suggested.
    async fn created_at(&self) -> DateTime {
        self.0.created_at.into()
    }
}

#[derive(Default)]
pub struct SupportQuery;

#[Object]
impl SupportQuery {
    /// The viewer's own support requests, and those they took as a supporter: the newest
    /// `first` (default 20, at most 100).
    #[graphql(complexity = "crate::graphql::page_cost(first, child_complexity)")]
    async fn my_support_requests(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "How many items: default 20, at most 100 (BAD_USER_INPUT outside 1 to 100)."
        )]
        first: Option<i32>,
    ) -> Result<Vec<SupportRequestView>> {
        let limit = list_size(first)?;
        Ok(service::mine(ctx.db(), ctx.viewer()?, limit)
            .await?
            .into_iter()
            .map(SupportRequestView)
            .collect())
    }

    /// Suggestions from colleagues that a peer reach out, waiting for the viewer's answer: the
    /// newest `first` (default 20, at most 100).
    #[graphql(complexity = "crate::graphql::page_cost(first, child_complexity)")]
    async fn my_outreach_offers(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "How many items: default 20, at most 100 (BAD_USER_INPUT outside 1 to 100)."
        )]
        first: Option<i32>,
    ) -> Result<Vec<OutreachOfferView>> {
        let limit = list_size(first)?;
        Ok(service::my_offers(ctx.db(), ctx.viewer()?, limit)
            .await?
            .into_iter()
            .map(OutreachOfferView)
            .collect())
    }

    /// Open requests a peer supporter may take, who waited longest first: the first `first`
    /// (default 20, at most 100). PEER_SUPPORTER only.
    #[graphql(complexity = "crate::graphql::page_cost(first, child_complexity)")]
    async fn open_support_requests(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "How many items: default 20, at most 100 (BAD_USER_INPUT outside 1 to 100)."
        )]
        first: Option<i32>,
    ) -> Result<Vec<SupportRequestView>> {
        let limit = list_size(first)?;
        Ok(service::open_requests(
            ctx.db(),
            ctx.viewer()?,
            ctx.state().config.supporters_must_be_verified,
            limit,
        )
        .await?
        .into_iter()
        .map(SupportRequestView)
        .collect())
    }
}

#[derive(Default)]
pub struct SupportMutation;

#[Object]
impl SupportMutation {
    /// PEER_SUPPORTER: pause (false) or resume (true) taking requests.
    async fn set_supporter_availability(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "False while the supporter cannot take requests.")] available: bool,
    ) -> Result<bool> {
        Ok(service::set_available(ctx.db(), ctx.viewer()?, available).await?)
    }

    /// Asks for a peer supporter. The note (at most 500 characters) is optional; the language
    /// defaults to the viewer's first.
    async fn request_support(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "At most 500 characters; no clinical details needed.")] note: Option<
            String,
        >,
        #[graphql(
            desc = "The language to be answered in (BCP 47); the viewer's first language by default."
        )]
        language: Option<String>,
    ) -> Result<SupportRequestView> {
        Ok(SupportRequestView(
            service::request(
                ctx.db(),
                ctx.viewer()?,
                note,
                language,
                ctx.state().config.supporters_must_be_verified,
            )
            .await?,
        ))
    }

    /// PEER_SUPPORTER: takes an open request; CONFLICT when another supporter was first.
    async fn accept_support_request(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "An open support request from `openSupportRequests`.")] id: ID,
    ) -> Result<SupportRequestView> {
        Ok(SupportRequestView(
            service::accept(
                ctx.db(),
                ctx.viewer()?,
                SupportRequestId::from(id),
                ctx.state().config.supporters_must_be_verified,
            )
            .await?,
        ))
    }

    /// Suggest that a peer supporter reach out to a colleague. Answers true even when the
    /// colleague opted out. The note (at most 280 characters) must carry no clinical details:
    /// no diagnosis, treatment or patient information, only why you think of them. The colleague
    /// learns who asked only with `sign: true`.
    async fn request_outreach(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The colleague a trained peer should reach out to.")] user_id: ID,
        #[graphql(
            desc = "At most 280 characters: why you think of them. No clinical details: no diagnosis, treatment or patient information."
        )]
        note: Option<String>,
        #[graphql(desc = "Show the colleague who asked (default false).")] sign: Option<bool>,
    ) -> Result<bool> {
        Ok(service::request_outreach(
            ctx.db(),
            ctx.viewer()?,
            user_id.into(),
            note,
            sign.unwrap_or(false),
        )
        .await?)
    }

    /// Accepting turns the offer into the viewer's own support request; declining returns null.
    async fn respond_to_outreach(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "A suggestion from `myOutreachOffers`.")] id: ID,
        #[graphql(
            desc = "True opens a support request for the viewer; false ends the suggestion."
        )]
        accept: bool,
    ) -> Result<Option<SupportRequestView>> {
        Ok(service::respond_to_outreach(
            ctx.db(),
            ctx.viewer()?,
            OutreachId::from(id),
            accept,
            ctx.state().config.supporters_must_be_verified,
        )
        .await?
        .map(SupportRequestView))
    }

    /// Either side ends it: WITHDRAWN while open, CLOSED once taken.
    async fn close_support_request(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "A support request the viewer asked for or took.")] id: ID,
    ) -> Result<SupportRequestView> {
        Ok(SupportRequestView(
            service::close(ctx.db(), ctx.viewer()?, SupportRequestId::from(id)).await?,
        ))
    }
}
