//! Conversation rules: only its two people read and write it, only while it is open; a message
//! tells the other person with a notice whose push never shows the text. Either person may report
//! it to the moderators, who see the reported message and the reason, never who the two people
//! are nor what the conversation belongs to, and may close it.

use std::collections::HashMap;

use chrono::{NaiveDateTime, Utc};
use serde_json::json;

use super::model::*;
use super::store;
use crate::accounts::service::{ensure_moderator, lock_own_account};
use crate::auth::Viewer;
use crate::db::events::{Committed, after_commit};
use crate::db::{Db, DbConnection};
use crate::error::{AppError, AppResult};
use crate::i18n::{Message, NotificationText};
use crate::ids::{ConversationId, ConversationReportId, MessageId, UserId};
use crate::notifications::model::{Notice, NotificationCategory};
use crate::notifications::service::notify;
use crate::pagination::{CursorKey, Page, PageRequest};
use crate::privacy::{Person, PersonColumn, PersonalData, instant};
use crate::reports::{QueuePosition, REASON_MAX, ReportCategory, ReportStatus};
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
        last_activity_at: now,
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
    // Who the other person of each is and what they have read up to, and which are the viewer's.
    let mut others: HashMap<ConversationId, (UserId, Option<NaiveDateTime>)> = HashMap::new();
    let mut mine = Vec::new();
    for (id, member, last_read) in store::members(conn, ids)? {
        if &member == viewer {
            mine.push(id);
        } else {
            others.insert(id, (member, last_read));
        }
    }
    let unread = store::unread_counts(conn, viewer, &mine)?;
    Ok(store::conversations_by_id(conn, &mine)?
        .into_iter()
        .map(|row| {
            let other = others.remove(&row.id);
            let conversation = Conversation {
                unread: unread.get(&row.id).copied().unwrap_or(0),
                other_read_up_to: other.as_ref().and_then(|(_, read)| *read),
                other: other.map(|(person, _)| person),
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

/// Where a page of the viewer's conversations starts: after this activity time and id.
pub struct ActivityCursor(NaiveDateTime, ConversationId);

impl CursorKey for ActivityCursor {
    fn from_cursor(key: &str) -> Option<Self> {
        let (micros, id) = key.split_once('/')?;
        let at = chrono::DateTime::from_timestamp_micros(micros.parse().ok()?)?.naive_utc();
        Some(Self(at, ConversationId::from_cursor(id)?))
    }
}

/// The cursor that follows `conversation` in `myConversations`.
pub fn activity_cursor(conversation: &Conversation) -> String {
    format!(
        "{}/{}",
        conversation
            .row
            .last_activity_at
            .and_utc()
            .timestamp_micros(),
        conversation.row.id
    )
}

/// The viewer's conversations (mentorships and support requests, open or closed), latest
/// activity first, each as [`views`] makes it: a fixed number of queries whatever the page.
pub async fn my_conversations(
    db: &Db,
    viewer: &Viewer,
    page: PageRequest,
) -> AppResult<Page<Conversation>> {
    let after = page
        .after::<ActivityCursor>()?
        .map(|ActivityCursor(at, id)| (at, id));
    let user_id = viewer.user_id.clone();
    db.run(move |conn| {
        let rows =
            store::conversations_page_of(conn, &user_id, after.as_ref(), page.fetch_limit())?;
        let page = Page::from_overfetch(rows, &page);
        let ids: Vec<ConversationId> = page.items.iter().map(|(id, _)| id.clone()).collect();
        let mut found = views(conn, &user_id, &ids)?;
        page.try_map_items(|rows| {
            Ok(rows
                .into_iter()
                .filter_map(|(id, _)| found.remove(&id))
                .collect())
        })
    })
    .await
}

/// The newest message of each of these conversations that has one, in one query: for loaders,
/// behind a check that the viewer is one of each conversation's people.
pub async fn last_messages(
    db: &Db,
    ids: Vec<ConversationId>,
) -> AppResult<HashMap<ConversationId, MessageRow>> {
    db.run(move |conn| {
        Ok(store::last_messages(conn, &ids)?
            .into_iter()
            .map(|message| (message.conversation_id.clone(), message))
            .collect())
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
        lock_own_account(conn, &author)?;
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
            edited_at: None,
        };
        store::insert_message(conn, &message)?;
        store::touch(conn, &id, now)?;
        store::set_read_up_to(conn, &id, &author, now)?;
        for (_, member, _) in store::members(conn, std::slice::from_ref(&id))? {
            if member != author {
                let notice = Notice::new(conversation.row.category, NotificationText::NewMessage)
                    .with_data("conversationId", id.to_string())
                    .about(Some(&author));
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

/// Changes the body of one of the viewer's own messages (1 to 4,000 characters) within
/// [`EDIT_WINDOW_MINUTES`] of sending it, while the conversation is open; marks it edited and
/// tells nobody. NOT_FOUND outside the viewer's conversations, FORBIDDEN for the other person's
/// message, CONFLICT once the window passed or the conversation closed.
pub async fn edit(db: &Db, viewer: &Viewer, id: MessageId, body: String) -> AppResult<MessageRow> {
    let body = validate::text("body", &body, 1, MESSAGE_MAX)?;
    let author = viewer.user_id.clone();
    db.write(move |conn| {
        let mut message = store::message(conn, &id)?.ok_or(AppError::NotFound)?;
        let conversation = view(conn, &author, &message.conversation_id)?;
        if message.author_id != author {
            return Err(AppError::Forbidden);
        }
        if !conversation.row.open {
            return Err(AppError::Conflict(Message::ConversationClosed));
        }
        let now = Utc::now().naive_utc();
        if now - message.created_at > chrono::Duration::minutes(EDIT_WINDOW_MINUTES) {
            return Err(AppError::Conflict(Message::EditWindowPassed {
                minutes: EDIT_WINDOW_MINUTES,
            }));
        }
        store::edit_message(conn, &message.id, &body, now)?;
        message.body = body;
        message.edited_at = Some(now);
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

// ------------------------------------------------------------------ reports

/// Reports one of the viewer's conversations, open or closed, to the moderators; `message_id`
/// may point at one of the other person's messages in it. One open report per person and
/// conversation.
pub async fn report(
    db: &Db,
    viewer: &Viewer,
    id: ConversationId,
    message_id: Option<MessageId>,
    category: ReportCategory,
    reason: String,
) -> AppResult<ConversationReportId> {
    let reason = validate::text("reason", &reason, 1, REASON_MAX)?;
    let reporter = viewer.user_id.clone();
    db.write(move |conn| {
        if !store::is_member(conn, &id, &reporter)? {
            return Err(AppError::NotFound);
        }
        if let Some(message_id) = &message_id {
            let the_others = store::message(conn, message_id)?.is_some_and(|message| {
                message.conversation_id == id && message.author_id != reporter
            });
            if !the_others {
                return Err(AppError::bad_input(
                    "messageId",
                    Message::NotTheOtherPersonsMessage,
                ));
            }
        }
        let report = ConversationReportRow {
            id: ConversationReportId::generate(),
            conversation_id: Some(id),
            message_id,
            reporter_id: Some(reporter),
            category,
            priority: category.priority(),
            reason,
            status: ReportStatus::Open,
            created_at: Utc::now().naive_utc(),
            resolved_at: None,
            resolved_by: None,
            resolution: None,
            conversation_closed: false,
        };
        if !store::insert_report(conn, &report)? {
            return Err(AppError::Conflict(Message::ConversationAlreadyReported));
        }
        Ok(report.id)
    })
    .await
}

/// Reports as moderators see them, in a fixed number of queries.
fn for_moderators(
    conn: &mut DbConnection,
    rows: Vec<ConversationReportRow>,
) -> AppResult<Vec<ConversationReport>> {
    let message_ids: Vec<MessageId> = rows
        .iter()
        .filter_map(|row| row.message_id.clone())
        .collect();
    let mut texts = store::message_texts(conn, &message_ids)?;
    let conversation_ids: Vec<ConversationId> = rows
        .iter()
        .filter_map(|row| row.conversation_id.clone())
        .collect();
    let open: HashMap<ConversationId, bool> = store::conversations_by_id(conn, &conversation_ids)?
        .into_iter()
        .map(|conversation| (conversation.id, conversation.open))
        .collect();
    Ok(rows
        .into_iter()
        .map(|row| ConversationReport {
            message: row.message_id.as_ref().and_then(|id| texts.remove(id)),
            conversation_open: row
                .conversation_id
                .as_ref()
                .and_then(|id| open.get(id).copied()),
            row,
        })
        .collect())
}

/// Open reports of conversations, AT_RISK first then oldest first. MODERATORs and ADMINs only.
pub async fn open_reports(
    db: &Db,
    viewer: &Viewer,
    page: PageRequest,
) -> AppResult<Page<ConversationReport>> {
    let user_id = viewer.user_id.clone();
    let after: Option<QueuePosition<ConversationReportId>> = page.after()?;
    db.run(move |conn| {
        ensure_moderator(conn, &user_id)?;
        let rows = store::open_reports_page(conn, after, page.fetch_limit())?;
        Page::from_overfetch(rows, &page).try_map_items(|rows| for_moderators(conn, rows))
    })
    .await
}

/// Resolves a report and, when `close_conversation`, makes the conversation read-only and tells
/// both people (not who reported it). MODERATORs and ADMINs only; of two moderators resolving
/// at once, one does.
pub async fn resolve_report(
    db: &Db,
    viewer: &Viewer,
    id: ConversationReportId,
    resolution: Option<String>,
    close_conversation: bool,
) -> AppResult<ConversationReport> {
    let resolution = validate::optional_text("resolution", resolution.as_deref(), REASON_MAX)?;
    let moderator = viewer.user_id.clone();
    db.write(move |conn| {
        ensure_moderator(conn, &moderator)?;
        let report = store::report(conn, &id)?.ok_or(AppError::NotFound)?;
        let now = Utc::now().naive_utc();
        let closing = report
            .conversation_id
            .as_ref()
            .filter(|_| close_conversation);
        let resolved = store::resolve_report(
            conn,
            &id,
            &moderator,
            resolution.as_deref(),
            closing.is_some(),
            now,
        )?;
        if !resolved {
            return Err(AppError::Conflict(Message::ReportAlreadyResolved));
        }
        if let Some(conversation_id) = closing {
            close_by_moderation(conn, conversation_id, now)?;
        }
        let row = store::report(conn, &id)?.ok_or(AppError::NotFound)?;
        for_moderators(conn, vec![row])?
            .pop()
            .ok_or(AppError::NotFound)
    })
    .await
}

fn close_by_moderation(
    conn: &mut DbConnection,
    id: &ConversationId,
    now: NaiveDateTime,
) -> AppResult<()> {
    let ids = std::slice::from_ref(id);
    let Some(conversation) = store::conversations_by_id(conn, ids)?.pop() else {
        return Ok(());
    };
    if !conversation.open {
        return Ok(());
    }
    store::close(conn, id, now)?;
    for (_, member, _) in store::members(conn, ids)? {
        let notice = Notice::new(
            conversation.category,
            NotificationText::ConversationClosedByModeration,
        )
        .with_data("conversationId", id.to_string());
        notify(conn, &member, notice)?;
    }
    Ok(())
}

// ------------------------------------------------------------------ personal data

/// The messages a person wrote, the conversations they are in, the reports they filed.
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
            PersonColumn {
                table: "conversation_reports",
                column: "reporter_id",
            },
            PersonColumn {
                table: "conversation_reports",
                column: "resolved_by",
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
        let reports: Vec<_> = store::reports_by(conn, user)?
            .into_iter()
            .map(|(category, reason, status, at)| {
                json!({ "category": category.as_str(), "reason": reason,
                        "status": status.as_str(), "at": instant(at) })
            })
            .collect();
        Ok(json!({ "messagesWritten": messages, "reportsFiled": reports }))
    }

    /// Their messages and reports go; the conversations they were in close (the other person
    /// keeps theirs); reports they resolved keep no name.
    fn erase(&self, conn: &mut DbConnection, person: &Person) -> AppResult<()> {
        let user = &person.id;
        let now = Utc::now().naive_utc();
        for id in store::conversations_of(conn, user)? {
            store::close(conn, &id, now)?;
        }
        store::erase_reports_of(conn, user)?;
        store::delete_messages_by(conn, user)?;
        store::delete_memberships_of(conn, user)?;
        Ok(())
    }
}
