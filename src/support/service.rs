//! Support request rules: who may ask and take, one supporter per request whoever accepts at
//! once, a private conversation between the two, and what each person may see.

use std::collections::{HashMap, HashSet};

use chrono::{NaiveDateTime, TimeDelta, Utc};
use serde_json::json;

use super::model::*;
use super::store;
use crate::accounts::model::Role;
use crate::accounts::service::{
    has_any_role, has_verified_profession, holders_speaking, languages_of, verified_among,
};
use crate::auth::Viewer;
use crate::checkins::instruments::WellbeingBand;
use crate::checkins::resources::SupportResources;
use crate::config::Retention;
use crate::conversations::service as conversations;
use crate::db::atomic::{lock, lock_in_order};
use crate::db::{Db, DbConnection};
use crate::error::{AppError, AppResult, Prerequisite};
use crate::groups::service::blocked_either_way;
use crate::i18n::Locale;
use crate::i18n::{Message, NotificationText};
use crate::ids::OutreachId;
use crate::ids::{SupportRequestId, UserId};
use crate::notifications::model::{Notice, NotificationCategory};
use crate::notifications::service::accepts_outreach;
use crate::notifications::service::notify;
use crate::privacy::{Person, PersonColumn, PersonalData, Purged, instant};
use crate::validate;

/// FORBIDDEN unless the person is a PEER_SUPPORTER, and, when `verified_only`
/// (`RELAIS_SUPPORTERS_MUST_BE_VERIFIED`), one whose profession a provider verified (FORBIDDEN
/// with reason VERIFIED_PROFESSION_REQUIRED otherwise).
fn ensure_supporter(conn: &mut DbConnection, user: &UserId, verified_only: bool) -> AppResult<()> {
    if !has_any_role(conn, user, &[Role::PeerSupporter])? {
        return Err(AppError::Forbidden);
    }
    if verified_only && !has_verified_profession(conn, user)? {
        return Err(AppError::Unmet(Prerequisite::VerifiedProfession));
    }
    Ok(())
}

/// A notice about the request.
fn notice(id: &SupportRequestId, text: NotificationText) -> Notice {
    Notice::new(NotificationCategory::PeerSupport, text)
        .with_data("supportRequestId", id.to_string())
}

fn tell(
    conn: &mut DbConnection,
    user: &UserId,
    id: &SupportRequestId,
    text: NotificationText,
) -> AppResult<()> {
    notify(conn, user, notice(id, text)).map(drop)
}

/// Pauses or resumes the viewer as a peer supporter (PEER_SUPPORTER only).
pub async fn set_available(db: &Db, viewer: &Viewer, available: bool) -> AppResult<bool> {
    let user = viewer.user_id.clone();
    db.write(move |conn| {
        ensure_supporter(conn, &user, false)?;
        store::set_available(conn, &user, available, Utc::now().naive_utc())?;
        Ok(available)
    })
    .await
}

/// Whether the request must stay out of `supporter`'s sight: the requester blocked them or they
/// blocked the requester, or the request came from their own outreach suggestion. Such a
/// supporter is never told of it, never shown it, and cannot take it.
fn kept_from(
    conn: &mut DbConnection,
    row: &SupportRequestRow,
    supporter: &UserId,
) -> AppResult<bool> {
    let blocked = blocked_either_way(conn, &row.requester_id)?;
    Ok(kept_apart(row, &blocked, supporter))
}

/// [`kept_from`], given who is blocked either way with the requester.
fn kept_apart(row: &SupportRequestRow, blocked: &HashSet<UserId>, supporter: &UserId) -> bool {
    row.hidden_from_id.as_ref() == Some(supporter) || blocked.contains(supporter)
}

/// Supporters who would take the request now: granted (and verified, when `verified_only`),
/// speaking its language, not paused, not the requester, and not kept from it ([`kept_from`]).
fn available_supporters(
    conn: &mut DbConnection,
    row: &SupportRequestRow,
    verified_only: bool,
) -> AppResult<Vec<UserId>> {
    let mut speaking = holders_speaking(conn, Role::PeerSupporter, &row.language)?;
    if verified_only {
        let verified = verified_among(conn, &speaking)?;
        speaking.retain(|supporter| verified.contains(supporter));
    }
    let paused = store::paused(conn, &speaking)?;
    let blocked = blocked_either_way(conn, &row.requester_id)?;
    Ok(speaking
        .into_iter()
        .filter(|user| {
            user != &row.requester_id && !paused.contains(user) && !kept_apart(row, &blocked, user)
        })
        .collect())
}

/// Asks for a peer supporter: every available one speaking the language hears of it (a
/// neutral push, nothing of the note). One open request per person (CONFLICT naming it) and
/// [`REQUESTS_PER_DAY`] a day; a refused call sends nothing.
pub async fn request(
    db: &Db,
    viewer: &Viewer,
    note: Option<String>,
    language: Option<String>,
    verified_only: bool,
) -> AppResult<SupportRequestCard> {
    let note = validate::optional_text("note", note.as_deref(), NOTE_MAX)?;
    let language = language
        .as_deref()
        .map(|language| validate::language("language", language))
        .transpose()?;
    let requester = viewer.user_id.clone();
    let fallback = viewer.locale.as_str().to_owned();
    db.write(move |conn| {
        let row = open_request(
            conn,
            &requester,
            note,
            language,
            fallback,
            None,
            verified_only,
        )?;
        card(conn, &requester, row)
    })
    .await
}

/// Opens a request of `requester` and tells the available supporters, inside the caller's
/// transaction; the language defaults to the requester's first, else `fallback`. The
/// requester's lock makes the one-open-request rule and the daily count one atomic step.
fn open_request(
    conn: &mut DbConnection,
    requester: &UserId,
    note: Option<String>,
    language: Option<String>,
    fallback: String,
    hidden_from: Option<UserId>,
    verified_only: bool,
) -> AppResult<SupportRequestRow> {
    lock(conn, requester)?;
    if let Some(open) = store::open_request_of(conn, requester)? {
        return Err(AppError::ConflictWith {
            message: Message::SupportRequestOpen,
            name: "openRequestId",
            id: open.to_string(),
        });
    }
    let now = Utc::now().naive_utc();
    if store::requested_since(conn, requester, now - TimeDelta::days(1))? >= REQUESTS_PER_DAY {
        return Err(AppError::Conflict(Message::TooManySupportRequests {
            max: REQUESTS_PER_DAY,
        }));
    }
    let language = match language {
        Some(language) => language,
        None => languages_of(conn, requester)?
            .into_iter()
            .next()
            .unwrap_or(fallback),
    };
    let row = SupportRequestRow {
        id: SupportRequestId::generate(),
        requester_id: requester.clone(),
        supporter_id: None,
        status: SupportRequestStatus::Open,
        note,
        language,
        conversation_id: None,
        created_at: now,
        taken_at: None,
        closed_at: None,
        followed_up_at: None,
        hidden_from_id: hidden_from,
    };
    store::insert_request(conn, &row)?;
    for supporter in available_supporters(conn, &row, verified_only)? {
        tell(
            conn,
            &supporter,
            &row.id,
            NotificationText::SupportRequested,
        )?;
    }
    Ok(row)
}

/// The request if `viewer` asked for it or took it; NOT_FOUND for anyone else. (Supporters
/// see open requests through `openSupportRequests`, masked, and take them with `accept`.)
fn own_request(
    conn: &mut DbConnection,
    viewer: &UserId,
    id: &SupportRequestId,
) -> AppResult<SupportRequestRow> {
    store::request(conn, id)?
        .filter(|row| &row.requester_id == viewer || row.supporter_id.as_ref() == Some(viewer))
        .ok_or(AppError::NotFound)
}

fn cards(
    conn: &mut DbConnection,
    viewer: &UserId,
    rows: Vec<SupportRequestRow>,
) -> AppResult<Vec<SupportRequestCard>> {
    let conversation_ids: Vec<_> = rows
        .iter()
        .filter_map(|row| row.conversation_id.clone())
        .collect();
    let mut conversations = conversations::views(conn, viewer, &conversation_ids)?;
    Ok(rows
        .into_iter()
        .map(|row| SupportRequestCard {
            requester_masked: &row.requester_id != viewer
                && row.supporter_id.as_ref() != Some(viewer),
            conversation: row
                .conversation_id
                .as_ref()
                .and_then(|id| conversations.remove(id)),
            row,
        })
        .collect())
}

fn card(
    conn: &mut DbConnection,
    viewer: &UserId,
    row: SupportRequestRow,
) -> AppResult<SupportRequestCard> {
    cards(conn, viewer, vec![row])?
        .pop()
        .ok_or(AppError::NotFound)
}

/// Takes an open request: one guarded update, so of two supporters accepting at once one gets
/// it and the other a CONFLICT. The requester is told and the conversation opens. A supporter
/// kept from the request ([`kept_from`]) is answered as for a request that does not exist.
pub async fn accept(
    db: &Db,
    viewer: &Viewer,
    id: SupportRequestId,
    verified_only: bool,
) -> AppResult<SupportRequestCard> {
    let supporter = viewer.user_id.clone();
    db.write(move |conn| {
        ensure_supporter(conn, &supporter, verified_only)?;
        let row = store::request(conn, &id)?.ok_or(AppError::NotFound)?;
        if row.requester_id != supporter && kept_from(conn, &row, &supporter)? {
            return Err(AppError::NotFound);
        }
        match row.status {
            SupportRequestStatus::Open => {}
            // Supporters heard of it: telling them it went is no news to anyone.
            SupportRequestStatus::Taken | SupportRequestStatus::Closed => {
                return Err(AppError::Conflict(Message::RequestTaken));
            }
            SupportRequestStatus::Withdrawn => return Err(AppError::NotFound),
        }
        if row.requester_id == supporter {
            return Err(AppError::bad_input("id", Message::CannotTargetSelf));
        }
        let now = Utc::now().naive_utc();
        let conversation = conversations::start(
            conn,
            [&row.requester_id, &supporter],
            NotificationCategory::PeerSupport,
            now,
        )?;
        if !store::take(conn, &id, &supporter, &conversation, now)? {
            // Somebody else was first: the conversation just made goes with this transaction.
            return Err(AppError::Conflict(Message::RequestTaken));
        }
        let taken = notice(&id, NotificationText::SupportTaken).about(Some(&supporter));
        notify(conn, &row.requester_id, taken)?;
        let taken = store::request(conn, &id)?.ok_or(AppError::NotFound)?;
        card(conn, &supporter, taken)
    })
    .await
}

/// Either side ends it: the requester withdraws an open request, or either closes a taken one
/// (the conversation stays readable, closed). The other side is told.
pub async fn close(
    db: &Db,
    viewer: &Viewer,
    id: SupportRequestId,
) -> AppResult<SupportRequestCard> {
    let user = viewer.user_id.clone();
    db.write(move |conn| {
        let row = own_request(conn, &user, &id)?;
        let now = Utc::now().naive_utc();
        let to = match row.status {
            SupportRequestStatus::Open => SupportRequestStatus::Withdrawn,
            SupportRequestStatus::Taken => SupportRequestStatus::Closed,
            from => {
                return Err(AppError::Conflict(Message::TransitionNotAllowed {
                    from: from.as_str(),
                    to: SupportRequestStatus::Closed.as_str(),
                }));
            }
        };
        if !store::end(conn, &id, row.status, to, now)? {
            return Err(AppError::Conflict(Message::TransitionNotAllowed {
                from: row.status.as_str(),
                to: to.as_str(),
            }));
        }
        if let Some(conversation) = &row.conversation_id {
            conversations::close(conn, conversation, now)?;
        }
        let other = if row.requester_id == user {
            row.supporter_id.clone()
        } else {
            Some(row.requester_id.clone())
        };
        if let Some(other) = other {
            tell(conn, &other, &id, NotificationText::SupportClosed)?;
        }
        let ended = store::request(conn, &id)?.ok_or(AppError::NotFound)?;
        card(conn, &user, ended)
    })
    .await
}

/// The viewer's newest `limit` requests, asked or taken.
pub async fn mine(db: &Db, viewer: &Viewer, limit: usize) -> AppResult<Vec<SupportRequestCard>> {
    let user = viewer.user_id.clone();
    db.run(move |conn| {
        let rows = store::involving(conn, &user, limit as i64)?;
        cards(conn, &user, rows)
    })
    .await
}

/// The first `limit` open requests the viewer may take, in the languages they speak, who waited
/// longest first. PEER_SUPPORTER only.
pub async fn open_requests(
    db: &Db,
    viewer: &Viewer,
    verified_only: bool,
    limit: usize,
) -> AppResult<Vec<SupportRequestCard>> {
    let user = viewer.user_id.clone();
    db.run(move |conn| {
        ensure_supporter(conn, &user, verified_only)?;
        let languages = languages_of(conn, &user)?;
        let blocked: Vec<UserId> = blocked_either_way(conn, &user)?.into_iter().collect();
        let rows = store::open_in(conn, &languages, &user, &blocked, limit as i64)?;
        cards(conn, &user, rows)
    })
    .await
}

// ------------------------------------------------------------------ waiting

/// Requests followed up per sweep batch.
const FOLLOW_UP_BATCH: i64 = 100;

/// Follows up requests nobody took within `wait`: the requester gets where else to turn (the
/// AT_RISK resources of their language, 3114 first in French) and available supporters are
/// reminded, once per request, however many instances sweep. Returns how many this one did.
pub async fn follow_up_waiting(
    db: &Db,
    resources: &SupportResources,
    wait: TimeDelta,
    verified_only: bool,
    now: NaiveDateTime,
) -> AppResult<usize> {
    let listed = |locale| -> Vec<String> {
        resources
            .for_band(locale, WellbeingBand::AtRisk)
            .into_iter()
            .map(|resource| match resource.phone {
                Some(phone) => format!("{} ({phone})", resource.name),
                None => resource.name,
            })
            .collect()
    };
    let text = NotificationText::SupportStillWaiting(
        Locale::all()
            .map(|locale| (locale.as_str().to_owned(), listed(locale)))
            .collect(),
    );
    let waiting = db
        .run(move |conn| Ok(store::waiting_since(conn, now - wait, FOLLOW_UP_BATCH)?))
        .await?;
    let mut followed = 0;
    for row in waiting {
        let text = text.clone();
        let done = db
            .write(move |conn| {
                if !store::follow_up(conn, &row.id, now)? {
                    return Ok(false);
                }
                tell(conn, &row.requester_id, &row.id, text)?;
                for supporter in available_supporters(conn, &row, verified_only)? {
                    tell(
                        conn,
                        &supporter,
                        &row.id,
                        NotificationText::SupportRequested,
                    )?;
                }
                Ok(true)
            })
            .await?;
        followed += usize::from(done);
    }
    Ok(followed)
}

// ------------------------------------------------------------------ outreach

/// Suggests that a peer supporter reach out to a colleague. At most three per asker per week
/// (CONFLICT beyond). The colleague is told gently, without who asked unless `sign`; when they
/// opted out, either blocked the other, or someone already asked this week, nothing reaches them
/// and the answer is the same `true`, so the asker learns nothing.
pub async fn request_outreach(
    db: &Db,
    viewer: &Viewer,
    colleague: UserId,
    note: Option<String>,
    sign: bool,
) -> AppResult<bool> {
    let note = validate::optional_text("note", note.as_deref(), OUTREACH_NOTE_MAX)?;
    let asker = viewer.user_id.clone();
    if colleague == asker {
        return Err(AppError::bad_input("userId", Message::CannotTargetSelf));
    }
    db.write(move |conn| {
        if !crate::accounts::service::exists(conn, &colleague)? {
            return Err(AppError::NotFound);
        }
        // Both people's counts are read and written under their locks, in id order.
        lock_in_order(conn, [&asker, &colleague])?;
        let now = Utc::now().naive_utc();
        let week_ago = now - TimeDelta::weeks(1);
        if store::asked_since(conn, &asker, week_ago)? >= OUTREACH_PER_ASKER {
            return Err(AppError::Conflict(Message::TooManyOutreach {
                max: OUTREACH_PER_ASKER,
            }));
        }
        let deliver = accepts_outreach(conn, &colleague)?
            && !blocked_either_way(conn, &asker)?.contains(&colleague)
            && store::delivered_since(conn, &colleague, week_ago)? < OUTREACH_PER_COLLEAGUE;
        let row = OutreachRow {
            id: OutreachId::generate(),
            colleague_id: colleague.clone(),
            asker_id: Some(asker.clone()),
            signed: sign,
            note,
            status: if deliver {
                OutreachStatus::Pending
            } else {
                OutreachStatus::Silent
            },
            support_request_id: None,
            created_at: now,
            responded_at: None,
        };
        store::insert_outreach(conn, &row)?;
        if deliver {
            let notice = Notice::new(
                NotificationCategory::PeerSupport,
                NotificationText::OutreachOffered,
            )
            .with_data("outreachId", row.id.to_string());
            notify(conn, &colleague, notice)?;
        }
        Ok(true)
    })
    .await
}

/// The viewer's newest `limit` pending outreach suggestions.
pub async fn my_offers(db: &Db, viewer: &Viewer, limit: usize) -> AppResult<Vec<OutreachRow>> {
    let user = viewer.user_id.clone();
    db.run(move |conn| Ok(store::pending_for(conn, &user, limit as i64)?))
        .await
}

/// The colleague answers: accepting opens their own support request (without the suggestion's
/// note or asker); declining ends it, and nothing more ever happens for it.
pub async fn respond_to_outreach(
    db: &Db,
    viewer: &Viewer,
    id: OutreachId,
    accept: bool,
    verified_only: bool,
) -> AppResult<Option<SupportRequestCard>> {
    let colleague = viewer.user_id.clone();
    let fallback = viewer.locale.as_str().to_owned();
    db.write(move |conn| {
        let offer = store::outreach(conn, &id)?
            .filter(|offer| {
                offer.colleague_id == colleague && offer.status != OutreachStatus::Silent
            })
            .ok_or(AppError::NotFound)?;
        let now = Utc::now().naive_utc();
        let refused = AppError::Conflict(Message::TransitionNotAllowed {
            from: offer.status.as_str(),
            to: if accept { "ACCEPTED" } else { "DECLINED" },
        });
        if !accept {
            if !store::answer_outreach(conn, &id, OutreachStatus::Declined, None, now)? {
                return Err(refused);
            }
            return Ok(None);
        }
        let request = open_request(
            conn,
            &colleague,
            None,
            None,
            fallback,
            offer.asker_id.clone(),
            verified_only,
        )?;
        if !store::answer_outreach(conn, &id, OutreachStatus::Accepted, Some(&request.id), now)? {
            return Err(refused);
        }
        card(conn, &colleague, request).map(Some)
    })
    .await
}

// ------------------------------------------------------------------ personal data

/// Requests a person made or took, and their availability as a supporter.
pub struct SupportData;
pub static SUPPORT_DATA: SupportData = SupportData;

impl PersonalData for SupportData {
    fn name(&self) -> &'static str {
        "support"
    }

    fn columns(&self) -> &'static [PersonColumn] {
        &[
            PersonColumn {
                table: "support_requests",
                column: "requester_id",
            },
            PersonColumn {
                table: "support_requests",
                column: "supporter_id",
            },
            PersonColumn {
                table: "supporter_availability",
                column: "user_id",
            },
            PersonColumn {
                table: "outreach_offers",
                column: "colleague_id",
            },
            PersonColumn {
                table: "support_requests",
                column: "hidden_from_id",
            },
            PersonColumn {
                table: "outreach_offers",
                column: "asker_id",
            },
        ]
    }

    fn export(&self, conn: &mut DbConnection, person: &Person) -> AppResult<serde_json::Value> {
        let rows = store::involving(conn, &person.id, i64::MAX)?;
        let requests: Vec<_> = rows
            .iter()
            .map(|row| {
                let side = if row.requester_id == person.id {
                    "REQUESTER"
                } else {
                    "SUPPORTER"
                };
                // The note is the requester's own words.
                let note = (side == "REQUESTER").then_some(&row.note);
                json!({ "side": side, "status": row.status.as_str(), "language": row.language,
                        "note": note, "createdAt": instant(row.created_at),
                        "closedAt": row.closed_at.map(instant) })
            })
            .collect();
        // Suggestions received (their notes, never who asked) and how many they made (never to
        // whom).
        let offers = store::outreach_involving(conn, &person.id)?;
        let received: Vec<_> = offers
            .iter()
            .filter(|offer| {
                offer.colleague_id == person.id && offer.status != OutreachStatus::Silent
            })
            .map(|offer| {
                json!({ "note": offer.note, "status": offer.status.as_str(),
                        "at": instant(offer.created_at) })
            })
            .collect();
        let made = offers
            .iter()
            .filter(|offer| offer.asker_id.as_ref() == Some(&person.id))
            .count();
        Ok(json!({ "requests": requests, "outreachReceived": received, "outreachSuggested": made }))
    }

    /// Their requests go with their conversations; those they took stay for the requester,
    /// closed and without them.
    fn erase(&self, conn: &mut DbConnection, person: &Person) -> AppResult<()> {
        let now = Utc::now().naive_utc();
        let mut threads: HashMap<SupportRequestId, Option<crate::ids::ConversationId>> =
            HashMap::new();
        for row in store::involving(conn, &person.id, i64::MAX)? {
            if row.requester_id == person.id {
                threads.insert(row.id.clone(), row.conversation_id.clone());
            } else if row.status == SupportRequestStatus::Taken {
                store::end(
                    conn,
                    &row.id,
                    SupportRequestStatus::Taken,
                    SupportRequestStatus::Closed,
                    now,
                )?;
                tell(
                    conn,
                    &row.requester_id,
                    &row.id,
                    NotificationText::SupportClosed,
                )?;
            }
        }
        store::delete_requests_of(conn, &person.id)?;
        for conversation in threads.into_values().flatten() {
            conversations::delete(conn, &conversation)?;
        }
        // Suggestions they received go; those they made stay with the colleague, without them.
        store::delete_outreach_to(conn, &person.id)?;
        store::forget_asker(conn, &person.id)?;
        store::delete_availability(conn, &person.id)?;
        Ok(())
    }

    /// Requests closed or withdrawn more than 90 days ago go, with their conversations; outreach
    /// suggestions go 30 days after they were made, whatever became of them.
    fn purge(
        &self,
        conn: &mut DbConnection,
        retention: &Retention,
        now: NaiveDateTime,
    ) -> AppResult<Vec<Purged>> {
        let ended = store::ended_before(conn, now - retention.support)?;
        let ids: Vec<SupportRequestId> = ended.iter().map(|(id, _)| id.clone()).collect();
        let rows = store::delete_requests(conn, &ids)?;
        for conversation in ended
            .into_iter()
            .filter_map(|(_, conversation)| conversation)
        {
            conversations::delete(conn, &conversation)?;
        }
        Ok(vec![
            Purged {
                kind: "ended support requests",
                rows,
            },
            Purged {
                kind: "outreach suggestions",
                rows: store::delete_outreach_before(conn, now - retention.outreach)?,
            },
        ])
    }
}
