//! The conversations part of the API: `conversation`, `sendMessage`, `markConversationRead`,
//! the `messageAdded` subscription, and reports of conversations to the moderators.

use async_graphql::dataloader::DataLoader;
use async_graphql::futures_util::Stream;
use async_graphql::{Context, ID, Object, Result, SimpleObject, Subscription};

use super::loaders::LastMessageLoader;
use super::model::{Conversation, ConversationReport, MessageRow};
use super::service;
use crate::accounts::graphql::{UserView, user_view};
use crate::db::events::Committed;
use crate::graphql::ContextExt;
use crate::graphql::live::Listener;
use crate::graphql::scalars::DateTime;
use crate::ids::{ConversationId, ConversationReportId, MessageId};
use crate::pagination::PageRequest;
use crate::reports::{ReportCategory, ReportStatus};

pub struct ConversationView(pub Conversation);

crate::connection_type!(MessageConnection, MessageEdge, MessageView);
crate::connection_type!(ConversationConnection, ConversationEdge, ConversationView);

/// A private 1:1 thread (an active mentorship, a taken support request). Its two people only.
#[Object(name = "Conversation")]
impl ConversationView {
    /// The conversation's id.
    async fn id(&self) -> ID {
        self.0.row.id.clone().into()
    }

    /// False once the mentorship or support request has ended, or a moderator closed it.
    async fn open(&self) -> bool {
        self.0.row.open
    }

    /// Messages of the other person the viewer has not read yet.
    async fn unread_count(&self) -> i64 {
        self.0.unread
    }

    /// The newest message, either person's; null before the first.
    async fn last_message(&self, ctx: &Context<'_>) -> Result<Option<MessageView>> {
        let loader = ctx.data_unchecked::<DataLoader<LastMessageLoader>>();
        Ok(loader
            .load_one(self.0.row.id.clone())
            .await?
            .map(MessageView))
    }

    /// The other person of the two (once a conversation exists, each sees the other); shown as
    /// an erased account once they erased theirs.
    async fn other_participant(&self, ctx: &Context<'_>) -> Result<UserView> {
        let person = match &self.0.other {
            Some(other) => user_view(ctx, other).await?,
            None => None,
        };
        Ok(person.unwrap_or_else(UserView::erased))
    }

    /// Its newest message's time, or when it started: what `myConversations` orders by.
    async fn last_activity_at(&self) -> DateTime {
        self.0.row.last_activity_at.into()
    }

    /// Up to when the other person has read (read receipts); null before they read anything.
    async fn other_read_up_to(&self) -> Option<DateTime> {
        self.0.other_read_up_to.map(DateTime::from)
    }

    /// Newest first.
    #[graphql(complexity = "crate::graphql::page_cost(first, child_complexity)")]
    async fn messages(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "How many items: default 20, at most 100 (BAD_USER_INPUT outside 1 to 100)."
        )]
        first: Option<i32>,
        #[graphql(desc = "The `endCursor` of the previous page; null for the first page.")]
        after: Option<String>,
    ) -> Result<MessageConnection> {
        let page = PageRequest::new(first, after.as_deref())?;
        let rows = service::messages(ctx.db(), ctx.viewer()?, self.0.row.id.clone(), page).await?;
        Ok(MessageConnection::new(
            rows,
            |row| row.id.to_string(),
            MessageView,
        ))
    }
}

pub struct MessageView(pub MessageRow);

/// A message in a private conversation.
#[Object(name = "Message")]
impl MessageView {
    /// The message's id.
    async fn id(&self) -> ID {
        self.0.id.clone().into()
    }

    /// The conversation it belongs to.
    async fn conversation_id(&self) -> ID {
        self.0.conversation_id.clone().into()
    }

    /// Who wrote it; shown as an erased account once they erased theirs.
    async fn author(&self, ctx: &Context<'_>) -> Result<UserView> {
        Ok(user_view(ctx, &self.0.author_id)
            .await?
            .unwrap_or_else(UserView::erased))
    }

    /// 1 to 4,000 characters.
    async fn body(&self) -> &str {
        &self.0.body
    }

    /// When it was sent.
    async fn created_at(&self) -> DateTime {
        self.0.created_at.into()
    }

    /// When its author last changed the body (within 15 minutes of sending); null if never.
    async fn edited_at(&self) -> Option<DateTime> {
        self.0.edited_at.map(DateTime::from)
    }
}

/// A conversation reported by one of its two people, as moderators see it: the reported message
/// and the reason, never who the two people are, who reported it, or what the conversation
/// belongs to.
pub struct ConversationReportView(pub ConversationReport);

crate::connection_type!(
    ConversationReportConnection,
    ConversationReportEdge,
    ConversationReportView
);

/// The message a report points at, without its author.
#[derive(SimpleObject)]
pub struct ReportedMessage {
    /// The message's text.
    body: String,
    /// When it was sent.
    created_at: DateTime,
}

/// A conversation reported by one of its two people, as moderators see it: the reported message
/// and the reason, never who the two people are, who reported it, or what the conversation belongs
/// to.
#[Object(name = "ConversationReport")]
impl ConversationReportView {
    /// The report's id.
    async fn id(&self) -> ID {
        self.0.row.id.clone().into()
    }

    /// What the reporter says it is; AT_RISK comes first in the queue.
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

    /// The message the reporter pointed at; null when they pointed at none, or once it was
    /// erased.
    async fn message(&self) -> Option<ReportedMessage> {
        self.0
            .message
            .clone()
            .map(|(body, created_at)| ReportedMessage {
                body,
                created_at: created_at.into(),
            })
    }

    /// Whether the two can still write to each other; null once the conversation was purged.
    async fn conversation_open(&self) -> Option<bool> {
        self.0.conversation_open
    }

    /// Whether the moderator who resolved the report closed the conversation.
    async fn conversation_closed(&self) -> bool {
        self.0.row.conversation_closed
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

#[derive(Default)]
pub struct ConversationsQuery;

#[Object]
impl ConversationsQuery {
    /// One of the viewer's conversations; null for any other.
    async fn conversation(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "One of the viewer's conversations.")] id: ID,
    ) -> Result<Option<ConversationView>> {
        Ok(
            service::conversation(ctx.db(), ctx.viewer()?, ConversationId::from(id))
                .await?
                .map(ConversationView),
        )
    }

    /// The viewer's conversations (mentorships and support requests, open or closed), latest
    /// activity first; each with its last message, unread count and other participant, in a
    /// fixed number of queries whatever the page's size.
    #[graphql(complexity = "crate::graphql::page_cost(first, child_complexity)")]
    async fn my_conversations(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "How many items: default 20, at most 100 (BAD_USER_INPUT outside 1 to 100)."
        )]
        first: Option<i32>,
        #[graphql(desc = "The `endCursor` of the previous page; null for the first page.")]
        after: Option<String>,
    ) -> Result<ConversationConnection> {
        let page = PageRequest::new(first, after.as_deref())?;
        let found = service::my_conversations(ctx.db(), ctx.viewer()?, page).await?;
        Ok(ConversationConnection::new(
            found,
            service::activity_cursor,
            ConversationView,
        ))
    }

    /// Open reports of conversations, AT_RISK first. MODERATORs and ADMINs only.
    #[graphql(complexity = "crate::graphql::page_cost(first, child_complexity)")]
    async fn open_conversation_reports(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "How many items: default 20, at most 100 (BAD_USER_INPUT outside 1 to 100)."
        )]
        first: Option<i32>,
        #[graphql(desc = "The `endCursor` of the previous page; null for the first page.")]
        after: Option<String>,
    ) -> Result<ConversationReportConnection> {
        let page = PageRequest::new(first, after.as_deref())?;
        let reports = service::open_reports(ctx.db(), ctx.viewer()?, page).await?;
        Ok(ConversationReportConnection::new(
            reports,
            |report| report.row.position().key(),
            ConversationReportView,
        ))
    }
}

#[derive(Default)]
pub struct ConversationsMutation;

#[Object]
impl ConversationsMutation {
    /// 1 to 4,000 characters, while the conversation is open.
    async fn send_message(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "An open conversation of the viewer's.")] conversation_id: ID,
        #[graphql(desc = "1 to 4,000 characters.")] body: String,
    ) -> Result<MessageView> {
        Ok(MessageView(
            service::send(ctx.db(), ctx.viewer()?, conversation_id.into(), body).await?,
        ))
    }

    /// Changes one of the viewer's own messages, 1 to 4,000 characters, within 15 minutes of
    /// sending it and while the conversation is open (CONFLICT otherwise; FORBIDDEN for the other
    /// person's message, NOT_FOUND outside the viewer's conversations). Sets `editedAt`; nobody
    /// is notified.
    async fn edit_message(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "One of the viewer's own messages.")] id: ID,
        #[graphql(desc = "1 to 4,000 characters.")] body: String,
    ) -> Result<MessageView> {
        Ok(MessageView(
            service::edit(ctx.db(), ctx.viewer()?, MessageId::from(id), body).await?,
        ))
    }

    /// Marks the conversation read up to now (the other person sees it in `otherReadUpTo`).
    async fn mark_conversation_read(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "One of the viewer's conversations.")] conversation_id: ID,
    ) -> Result<ConversationView> {
        Ok(ConversationView(
            service::mark_read(ctx.db(), ctx.viewer()?, conversation_id.into()).await?,
        ))
    }

    /// Reports one of the viewer's conversations, open or closed, to the moderators. `messageId`
    /// may point at one of the other person's messages: moderators see that message and the
    /// reason, never who the two people are or what the conversation belongs to. One open report
    /// per person and conversation.
    async fn report_conversation(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "One of the viewer's conversations.")] conversation_id: ID,
        #[graphql(desc = "1 to 1,000 characters.")] reason: String,
        #[graphql(desc = "What it is; OTHER when absent.")] category: Option<ReportCategory>,
        #[graphql(desc = "One of the other person's messages in it, shown to the moderators.")]
        message_id: Option<ID>,
    ) -> Result<bool> {
        service::report(
            ctx.db(),
            ctx.viewer()?,
            conversation_id.into(),
            message_id.map(MessageId::from),
            category.unwrap_or(ReportCategory::Other),
            reason,
        )
        .await?;
        Ok(true)
    }

    /// Resolves a report of a conversation; with `closeConversation` the conversation becomes
    /// read-only and both people are told (not who reported it). MODERATORs and ADMINs only.
    async fn resolve_conversation_report(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "An open report of a conversation.")] id: ID,
        #[graphql(desc = "The moderator's note, at most 1,000 characters.")] resolution: Option<
            String,
        >,
        #[graphql(
            default,
            desc = "Also make the conversation read-only (both people are told)."
        )]
        close_conversation: bool,
    ) -> Result<ConversationReportView> {
        Ok(ConversationReportView(
            service::resolve_report(
                ctx.db(),
                ctx.viewer()?,
                ConversationReportId::from(id),
                resolution,
                close_conversation,
            )
            .await?,
        ))
    }
}

#[derive(Default)]
pub struct ConversationsSubscription;

#[Subscription]
impl ConversationsSubscription {
    /// New messages in one of the viewer's conversations.
    async fn message_added(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "One of the viewer's conversations.")] conversation_id: ID,
    ) -> Result<impl Stream<Item = Result<MessageView>>> {
        let listener = Listener::start(ctx)?;
        let conversation_id = ConversationId::from(conversation_id);
        service::ensure_member(listener.db(), listener.viewer(), conversation_id.clone()).await?;
        Ok(listener.stream(
            move |event| match event {
                Committed::MessageAdded {
                    conversation_id: conversation,
                    message_id,
                } if *conversation == conversation_id => Some(message_id.clone()),
                _ => None,
            },
            |db, user_id, message_id: MessageId| async move {
                Ok(service::message_for(&db, &user_id, message_id)
                    .await?
                    .map(MessageView))
            },
        ))
    }
}
