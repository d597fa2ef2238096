//! The conversations part of the API: `conversation`, `sendMessage`, `markConversationRead`,
//! and the `messageAdded` subscription.

use async_graphql::futures_util::Stream;
use async_graphql::{Context, ID, Object, Result, Subscription};

use super::model::{Conversation, MessageRow};
use super::service;
use crate::accounts::graphql::{UserView, user_view};
use crate::db::events::Committed;
use crate::graphql::ContextExt;
use crate::graphql::live::Listener;
use crate::graphql::scalars::DateTime;
use crate::ids::{ConversationId, MessageId};
use crate::pagination::PageRequest;

pub struct ConversationView(pub Conversation);

crate::connection_type!(MessageConnection, MessageEdge, MessageView);

#[Object(name = "Conversation")]
impl ConversationView {
    async fn id(&self) -> ID {
        self.0.row.id.clone().into()
    }

    /// False once the mentorship or support request has ended.
    async fn open(&self) -> bool {
        self.0.row.open
    }

    /// Messages of the other person the viewer has not read yet.
    async fn unread_count(&self) -> i64 {
        self.0.unread
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
        first: Option<i32>,
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

#[Object(name = "Message")]
impl MessageView {
    async fn id(&self) -> ID {
        self.0.id.clone().into()
    }

    async fn conversation_id(&self) -> ID {
        self.0.conversation_id.clone().into()
    }

    async fn author(&self, ctx: &Context<'_>) -> Result<UserView> {
        Ok(user_view(ctx, &self.0.author_id)
            .await?
            .unwrap_or_else(UserView::erased))
    }

    async fn body(&self) -> &str {
        &self.0.body
    }

    async fn created_at(&self) -> DateTime {
        self.0.created_at.into()
    }
}

#[derive(Default)]
pub struct ConversationsQuery;

#[Object]
impl ConversationsQuery {
    /// One of the viewer's conversations; null for any other.
    async fn conversation(&self, ctx: &Context<'_>, id: ID) -> Result<Option<ConversationView>> {
        Ok(
            service::conversation(ctx.db(), ctx.viewer()?, ConversationId::from(id))
                .await?
                .map(ConversationView),
        )
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
        conversation_id: ID,
        body: String,
    ) -> Result<MessageView> {
        Ok(MessageView(
            service::send(ctx.db(), ctx.viewer()?, conversation_id.into(), body).await?,
        ))
    }

    /// Marks the conversation read up to now (the other person sees it in `otherReadUpTo`).
    async fn mark_conversation_read(
        &self,
        ctx: &Context<'_>,
        conversation_id: ID,
    ) -> Result<ConversationView> {
        Ok(ConversationView(
            service::mark_read(ctx.db(), ctx.viewer()?, conversation_id.into()).await?,
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
        conversation_id: ID,
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
