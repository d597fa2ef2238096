//! Conversation rules: only its two people read and write it, only while it is open; a message
//! tells the other person with a notice whose push never shows the text.

use std::collections::HashMap;

use chrono::{NaiveDateTime, Utc};
use serde_json::json;

use super::model::*;
use super::store;
use crate::accounts::service::display_names;
use crate::auth::Viewer;
use crate::db::events::{Committed, after_commit};
use crate::db::{Db, DbConnection};
use crate::error::{AppError, AppResult};
use crate::i18n::{Message, NotificationText};
use crate::ids::{ConversationId, MessageId, UserId};
use crate::notifications::model::{Notice, NotificationCategory};
use crate::notifications::service::notify;
use crate::pagination::{Page, PageRequest};
use crate::privacy::{Person, PersonColumn, PersonalData, instant};
use crate::validate;

// ------------------------------------------------------------------ for other domains

/// Opens a conversation between two people, inside the caller's transaction; its message notices
/// go under `category`.
pub fn start(
    conn: &mut DbConnection,
    people: [&UserId; 2],
    category: NotificationCategory,
    now: NaiveDateTime,
) -> AppResult<ConversationId> {
    let row = ConversationRow {
        id: ConversationId::generate(),
        open: true,
        category,
        created_at: now,
        closed_at: None,
    };
    store::insert_conversation(conn, &row)?;
    for person in people {
        store::insert_member(conn, &row.id, person)?;
    }
    Ok(row.id)
}

/// Makes a conversation read-only, inside the caller's transaction.
pub fn close(conn: &mut DbConnection, id: &ConversationId, now: NaiveDateTime) -> AppResult<()> {
    Ok(store::close(conn, id, now)?)
}

/// Deletes a conversation with all its messages, inside the caller's transaction.
pub fn delete(conn: &mut DbConnection, id: &ConversationId) -> AppResult<()> {
    store::delete_conversation(conn, id)?;
    Ok(())
}

/// These conversations as `viewer` sees them, in a fixed number of queries; those they are not
/// in are left out.
pub fn views(
    conn: &mut DbConnection,
    viewer: &UserId,
    ids: &[ConversationId],
) -> AppResult<HashMap<ConversationId, Conversation>> {
    // What the other person of each has read up to, and which are the viewer's.
    let mut others_read: HashMap<ConversationId, Option<NaiveDateTime>> = HashMap::new();
    let mut mine = Vec::new();
    for (id, member, last_read) in store::members(conn, ids)? {
        if &member == viewer {
            mine.push(id);
        } else {
            others_read.insert(id, last_read);
        }
    }
    let unread = store::unread_counts(conn, viewer, &mine)?;
    Ok(store::conversations_by_id(conn, &mine)?
        .into_iter()
        .map(|row| {
            let conversation = Conversation {
                unread: unread.get(&row.id).copied().unwrap_or(0),
                other_read_up_to: others_read.get(&row.id).copied().flatten(),
                row,
            };
            (conversation.row.id.clone(), conversation)
        })
        .collect())
}

// ------------------------------------------------------------------ the API's

fn view(conn: &mut DbConnection, viewer: &UserId, id: &ConversationId) -> AppResult<Conversation> {
    views(conn, viewer, std::slice::from_ref(id))?
        .remove(id)
        .ok_or(AppError::NotFound)
}

/// A conversation of the viewer's; `None` for any other, as for an id that does not exist.
pub async fn conversation(
    db: &Db,
    viewer: &Viewer,
    id: ConversationId,
) -> AppResult<Option<Conversation>> {
    let user_id = viewer.user_id.clone();
    db.run(move |conn| match view(conn, &user_id, &id) {
        Ok(conversation) => Ok(Some(conversation)),
        Err(AppError::NotFound) => Ok(None),
        Err(other) => Err(other),
    })
    .await
}

/// NOT_FOUND unless the viewer is one of its people.
pub async fn ensure_member(db: &Db, viewer: &Viewer, id: ConversationId) -> AppResult<()> {
    let user_id = viewer.user_id.clone();
    db.run(move |conn| match store::is_member(conn, &id, &user_id)? {
        true => Ok(()),
        false => Err(AppError::NotFound),
    })
    .await
}

/// Messages, newest first.
pub async fn messages(
    db: &Db,
    viewer: &Viewer,
    id: ConversationId,
    page: PageRequest,
) -> AppResult<Page<MessageRow>> {
    let before = page.after::<MessageId>()?;
    let user_id = viewer.user_id.clone();
    db.run(move |conn| {
        if !store::is_member(conn, &id, &user_id)? {
            return Err(AppError::NotFound);
        }
        let rows = store::messages_page(conn, &id, before.as_ref(), page.fetch_limit())?;
        Ok(Page::from_overfetch(rows, &page))
    })
    .await
}

/// A message, for one of its conversation's people (the subscription's reader).
pub async fn message_for(
    db: &Db,
    user_id: &UserId,
    id: MessageId,
) -> AppResult<Option<MessageRow>> {
    let user_id = user_id.clone();
    db.run(move |conn| {
        let Some(message) = store::message(conn, &id)? else {
            return Ok(None);
        };
        Ok(store::is_member(conn, &message.conversation_id, &user_id)?.then_some(message))
    })
    .await
}

/// Sends a message: 1 to 4,000 characters, while the conversation is open. The other person is
/// told; the push shows no text.
pub async fn send(
    db: &Db,
    viewer: &Viewer,
    id: ConversationId,
    body: String,
) -> AppResult<MessageRow> {
    let body = validate::text("body", &body, 1, MESSAGE_MAX)?;
    let author = viewer.user_id.clone();
    db.write(move |conn| {
        let conversation = view(conn, &author, &id)?;
        if !conversation.row.open {
            return Err(AppError::Conflict(Message::ConversationClosed));
        }
        let now = Utc::now().naive_utc();
        let message = MessageRow {
            id: MessageId::generate(),
            conversation_id: id.clone(),
            author_id: author.clone(),
            body,
            created_at: now,
        };
        store::insert_message(conn, &message)?;
        store::set_read_up_to(conn, &id, &author, now)?;
        let mut name = display_names(conn, std::slice::from_ref(&author))?;
        let name = name.remove(&author).unwrap_or_default();
        for (_, member, _) in store::members(conn, std::slice::from_ref(&id))? {
            if member != author {
                let notice = Notice::new(
                    conversation.row.category,
                    NotificationText::NewMessage { name: name.clone() },
                )
                .with_data("conversationId", id.to_string());
                notify(conn, &member, notice)?;
            }
        }
        after_commit(Committed::MessageAdded {
            conversation_id: id.clone(),
            message_id: message.id.clone(),
        });
        Ok(message)
    })
    .await
}

/// Marks everything in the conversation read by the viewer (the other person sees it).
pub async fn mark_read(db: &Db, viewer: &Viewer, id: ConversationId) -> AppResult<Conversation> {
    let user_id = viewer.user_id.clone();
    db.write(move |conn| {
        view(conn, &user_id, &id)?;
        store::set_read_up_to(conn, &id, &user_id, Utc::now().naive_utc())?;
        view(conn, &user_id, &id)
    })
    .await
}

// ------------------------------------------------------------------ personal data

/// The messages a person wrote and the conversations they are in.
pub struct ConversationsData;
pub static CONVERSATIONS_DATA: ConversationsData = ConversationsData;

impl PersonalData for ConversationsData {
    fn name(&self) -> &'static str {
        "conversations"
    }

    fn columns(&self) -> &'static [PersonColumn] {
        &[
            PersonColumn {
                table: "conversation_members",
                column: "user_id",
            },
            PersonColumn {
                table: "messages",
                column: "author_id",
            },
        ]
    }

    fn export(&self, conn: &mut DbConnection, person: &Person) -> AppResult<serde_json::Value> {
        let user = &person.id;
        let messages: Vec<_> = store::messages_by(conn, user)?
            .into_iter()
            .map(|message| {
                json!({ "conversation": message.conversation_id.to_string(),
                        "body": message.body, "at": instant(message.created_at) })
            })
            .collect();
        Ok(json!({ "messagesWritten": messages }))
    }

    /// Their messages go; the conversations they were in close (the other person keeps theirs).
    fn erase(&self, conn: &mut DbConnection, person: &Person) -> AppResult<()> {
        let user = &person.id;
        let now = Utc::now().naive_utc();
        for id in store::conversations_of(conn, user)? {
            store::close(conn, &id, now)?;
        }
        store::delete_messages_by(conn, user)?;
        store::delete_memberships_of(conn, user)?;
        Ok(())
    }
}
