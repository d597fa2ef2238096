//! Changes announced once their transaction has committed.
//!
//! Domain code calls [`after_commit`] inside a [`super::Db::write`] job; the event is held on the
//! job's thread and published on the bus only when the transaction commits, so a subscriber never
//! hears of a row a rollback took back. Subscribers (GraphQL subscriptions, the push dispatcher)
//! re-read what they need from the database.

use std::cell::RefCell;

use tokio::sync::broadcast;

use crate::ids::{ConversationId, GroupId, MessageId, NotificationId, PostId, SessionId, UserId};

/// Something that changed, by id (also what instances send each other: ids only).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind")]
pub enum Committed {
    NotificationAdded {
        user_id: UserId,
        notification_id: NotificationId,
    },
    /// Pushes were queued: the dispatcher may have work.
    PushQueued,
    /// Mails were queued: the mail dispatcher may have work.
    MailQueued,
    PostAdded {
        group_id: GroupId,
        post_id: PostId,
    },
    MessageAdded {
        conversation_id: ConversationId,
        message_id: MessageId,
    },
    /// A mentor's profile or one of their mentorships changed: what a search ranks them by
    /// (openness, experience, capacity, active mentees, areas) may have.
    MentorChanged {
        user_id: UserId,
    },
    /// A person's profession, languages, region or verified workplace changed: what a search
    /// ranks them by, should they mentor, may have.
    PersonFactsChanged {
        user_id: UserId,
    },
    /// A session was revoked (logout, a replayed refresh token, an erased account): whatever
    /// still runs on its behalf (an open websocket) stops.
    SessionEnded {
        session_id: SessionId,
    },
}

thread_local! {
    static PENDING: RefCell<Vec<Committed>> = const { RefCell::new(Vec::new()) };
}

/// Announces `event` when the current write transaction commits.
pub fn after_commit(event: Committed) {
    PENDING.with(|pending| pending.borrow_mut().push(event));
}

/// The events the current write transaction announced so far.
pub(super) fn pending() -> Vec<Committed> {
    PENDING.with(|pending| pending.borrow().clone())
}

/// The events of the transaction that just ended on this thread.
pub(super) fn take_pending() -> Vec<Committed> {
    PENDING.with(|pending| std::mem::take(&mut *pending.borrow_mut()))
}

/// The in-process bus of committed changes. Slow subscribers lose old events (they re-read the
/// database anyway), never block writers.
#[derive(Clone)]
pub struct EventBus(broadcast::Sender<Committed>);

impl EventBus {
    pub fn new() -> Self {
        Self(broadcast::channel(1024).0)
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Committed> {
        self.0.subscribe()
    }

    pub(super) fn publish(&self, events: Vec<Committed>) {
        for event in events {
            // No subscriber is not an error: nobody is listening right now.
            let _ = self.0.send(event);
        }
    }
}

impl Default for EventBus {
    fn default() -> Self {
        Self::new()
    }
}
