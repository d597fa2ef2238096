//! Reading workshops: one, a search (by date, place, nearest first), the registrations of one and
//! the viewer's own.

use super::*;

pub async fn workshop(db: &Db, viewer: &Viewer, id: WorkshopId) -> AppResult<Option<WorkshopCard>> {
    let user_id = viewer.user_id.clone();
    db.run(move |conn| match visible_workshop(conn, &id, &user_id) {
        Ok(row) => card(conn, &user_id, row).map(Some),
        Err(AppError::NotFound) => Ok(None),
        Err(other) => Err(other),
    })
    .await
}

/// The titles of the person's workshops still ahead.
pub async fn upcoming_titles(db: &Db, organiser: &UserId) -> AppResult<Vec<String>> {
    let organiser = organiser.clone();
    db.run(move |conn| {
        let now = Utc::now().naive_utc();
        Ok(store::upcoming_organised_by(conn, &organiser, now)?
            .into_iter()
            .map(|row| row.title)
            .collect())
    })
    .await
}

/// Where a page of workshops resumes: after this start (in start order) or distance (near me),
/// then id.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkshopCursor {
    rank: i64,
    id: WorkshopId,
}

impl CursorKey for WorkshopCursor {
    fn from_cursor(key: &str) -> Option<Self> {
        let (rank, id) = key.split_once('/')?;
        Some(Self {
            rank: rank.parse().ok()?,
            id: WorkshopId::from_cursor(id)?,
        })
    }
}

impl WorkshopCard {
    /// This card's cursor in its list: by distance in metres when searched near a point, else by
    /// start time in microseconds.
    pub fn cursor(&self) -> String {
        let rank = match self.distance_km {
            Some(km) => metres(km),
            None => self.row.starts_at.and_utc().timestamp_micros(),
        };
        format!("{rank}/{}", self.row.id)
    }
}

/// Scheduled workshops from `from` (default now), filtered; nearest first within the radius of a
/// "near me" search, else in start order. Group workshops only to the group's members.
pub async fn search(
    db: &Db,
    viewer: &Viewer,
    search: WorkshopSearch,
    page: PageRequest,
) -> AppResult<Page<WorkshopCard>> {
    let after: Option<WorkshopCursor> = page.after()?;
    let near = search.near.map(valid_near).transpose()?;
    let language = search
        .language
        .as_deref()
        .map(|language| validate::language("language", language))
        .transpose()?;
    let search = WorkshopSearch {
        near,
        language,
        ..search
    };
    let user_id = viewer.user_id.clone();
    db.run(move |conn| {
        let from = search.from.unwrap_or_else(Utc::now).naive_utc();
        let member_of = groups::active_group_ids(conn, &user_id)?;
        let (rows, distances) = match search.near {
            None => {
                let after = after.map(|cursor| {
                    let starts_at = DateTime::from_timestamp_micros(cursor.rank)
                        .unwrap_or_default()
                        .naive_utc();
                    (starts_at, cursor.id)
                });
                let rows =
                    store::search(conn, &search, from, &member_of, after, page.fetch_limit())?;
                (rows, HashMap::new())
            }
            Some(near) => {
                let (ids, distances) = nearest_page(
                    conn,
                    &search,
                    near,
                    (from, &member_of),
                    after.as_ref(),
                    page.fetch_limit(),
                )?;
                let mut rows = store::workshops_by_id(conn, &ids)?;
                rows.sort_by_key(|row| ids.iter().position(|id| *id == row.id));
                (rows, distances)
            }
        };
        Page::from_overfetch(rows, &page)
            .try_map_items(|rows| cards(conn, &user_id, rows, &distances))
    })
    .await
}

/// The share of a near-me search's radius that its first read covers; each next read doubles
/// it. Where workshops are many, a page is found in the first small box (a sixteenth of the
/// radius covers 1/256 of the area); where they are few, a few more reads find it.
const FIRST_RING: f64 = 1.0 / 16.0;

/// The page of a near-me search: the ids within the radius, nearest first (then by id), after
/// the cursor, at most `limit`, with their distances in km. It reads the workshops around the
/// point within a ring that grows until it holds a whole page (or is the radius asked for):
/// everyone closer than the ring's radius lies in its box, so the page is the one a read of the
/// whole radius would give.
fn nearest_page(
    conn: &mut DbConnection,
    search: &WorkshopSearch,
    near: Near,
    (from, member_of): (NaiveDateTime, &[GroupId]),
    after: Option<&WorkshopCursor>,
    limit: i64,
) -> AppResult<(Vec<WorkshopId>, HashMap<WorkshopId, f64>)> {
    let after_km = after.map_or(0.0, |cursor| cursor.rank as f64 / 1_000.0);
    let mut ring = (near.radius_km * FIRST_RING)
        .max(after_km)
        .min(near.radius_km);
    loop {
        let within = Near {
            radius_km: ring,
            ..near
        };
        let ring_search = WorkshopSearch {
            near: Some(within),
            ..search.clone()
        };
        let located = store::located(conn, &ring_search, from, member_of)?;
        let (ids, distances) = nearest(located, within, after, limit);
        // The page holds if its last is nearer, in the metres it is ordered by, than anyone
        // the ring left out.
        let whole = ids.len() >= usize::try_from(limit).unwrap_or(usize::MAX)
            && ids
                .last()
                .and_then(|id| distances.get(id))
                .is_some_and(|km| metres(*km) < metres(ring));
        if whole || ring >= near.radius_km {
            return Ok((ids, distances));
        }
        ring = (ring * 2.0).min(near.radius_km);
    }
}

/// Of the workshops located in the box, the ids of those within the radius, nearest first
/// (then by id), after the cursor, at most `limit`, with their distances in km.
fn nearest(
    located: Vec<(WorkshopId, f64, f64)>,
    near: Near,
    after: Option<&WorkshopCursor>,
    limit: i64,
) -> (Vec<WorkshopId>, HashMap<WorkshopId, f64>) {
    let mut ranked: Vec<(i64, f64, WorkshopId)> = located
        .into_iter()
        .filter_map(|(id, latitude, longitude)| {
            let km = distance_km((near.latitude, near.longitude), (latitude, longitude));
            (km <= near.radius_km).then(|| (metres(km), km, id))
        })
        .filter(|(metres, _, id)| {
            after.is_none_or(|cursor| (*metres, id) > (cursor.rank, &cursor.id))
        })
        .collect();
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    // Only the page is put in order: the rest of the box is merely separated from it.
    if ranked.len() > limit {
        ranked.select_nth_unstable_by(limit, |a, b| (a.0, &a.2).cmp(&(b.0, &b.2)));
        ranked.truncate(limit);
    }
    ranked.sort_by(|a, b| (a.0, &a.2).cmp(&(b.0, &b.2)));
    let distances = ranked.iter().map(|(_, km, id)| (id.clone(), *km)).collect();
    (ranked.into_iter().map(|(_, _, id)| id).collect(), distances)
}

/// A distance as near-me cursors and order keep it.
fn metres(km: f64) -> i64 {
    (km * 1_000.0).round() as i64
}

/// A registration's place in its workshop's line: the cursor of the organiser's list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueuePlace(pub i64);

impl CursorKey for QueuePlace {
    fn from_cursor(key: &str) -> Option<Self> {
        key.parse().ok().map(Self)
    }
}

/// A workshop's registrations in line order (confirmed and waitlisted, or one status), for its
/// organiser only.
pub async fn registrations(
    db: &Db,
    viewer: &Viewer,
    card: &WorkshopCard,
    status: Option<RegistrationStatus>,
    page: PageRequest,
) -> AppResult<Page<Registration>> {
    if card.row.organiser_id.as_ref() != Some(&viewer.user_id) {
        return Err(AppError::Forbidden);
    }
    let after: Option<QueuePlace> = page.after()?;
    let id = card.row.id.clone();
    db.run(move |conn| {
        let rows = store::registrations_page(
            conn,
            &id,
            status,
            after.map(|place| place.0),
            page.fetch_limit(),
        )?;
        Page::from_overfetch(rows, &page).try_map_items(|rows| with_positions(conn, rows))
    })
    .await
}

/// The viewer's first `limit` registrations, latest workshops first, each with its workshop
/// (whose card carries the viewer's registration).
pub async fn my_registrations(
    db: &Db,
    viewer: &Viewer,
    limit: usize,
) -> AppResult<Vec<(Registration, WorkshopCard)>> {
    let user_id = viewer.user_id.clone();
    db.run(move |conn| {
        let ids: Vec<WorkshopId> = store::all_registrations_of(conn, &user_id, limit as i64)?
            .into_iter()
            .map(|row| row.workshop_id)
            .collect();
        let workshops = store::workshops_by_id(conn, &ids)?;
        let mut cards: HashMap<WorkshopId, WorkshopCard> =
            cards(conn, &user_id, workshops, &HashMap::new())?
                .into_iter()
                .map(|card| (card.row.id.clone(), card))
                .collect();
        Ok(ids
            .iter()
            .filter_map(|id| {
                let card = cards.remove(id)?;
                Some((card.viewer.clone()?, card))
            })
            .collect())
    })
    .await
}

/// The workshop's card for the viewer with the viewer's own registration on it.
pub(super) fn own_registration(
    conn: &mut DbConnection,
    viewer: &UserId,
    workshop: WorkshopRow,
) -> AppResult<(Registration, WorkshopCard)> {
    let card = card(conn, viewer, workshop)?;
    let registration = card.viewer.clone().ok_or(AppError::NotFound)?;
    Ok((registration, card))
}
