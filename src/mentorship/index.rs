//! Everything a score rests on for every mentor taking mentees (experience, capacity, active
//! mentees, areas, and their profession, languages, region and verified workplace), kept in
//! memory so that a search ranks every open mentor without reading them: it reads whole
//! profiles only for the mentors it is about to return (read fresh, so a mentor who closed or
//! filled up in the meantime is still left out).
//!
//! The index follows the committed changes: every write that changes a mentor's numbers
//! announces [`Committed::MentorChanged`] (mentorship's `store`), every write that changes a
//! person's facts [`Committed::PersonFactsChanged`] (accounts' `store`), on this instance's bus
//! and, on PostgreSQL, on the other instances' through the fan-out. A changed mentor is read
//! again before the next search; a bus that overflowed makes the next search read everyone
//! again.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::broadcast::{Receiver, error::RecvError};
use tokio::sync::{Semaphore, SemaphorePermit};

use super::model::RankedMentor;
use super::service::ranked_mentors;
use crate::db::DbConnection;
use crate::db::events::Committed;
use crate::error::{AppError, AppResult, InternalError};
use crate::ids::UserId;

/// The mentors taking mentees, by id.
pub type Mentors = HashMap<UserId, RankedMentor>;

#[derive(Default)]
struct Known {
    /// Mentors taking mentees with a capacity (full ones too); `None` until read, or after the
    /// index missed changes. Shared with the searches that read it: a search filters its own
    /// copy of the pointer outside the lock, a change copies the map only if a search holds it.
    mentors: Option<Arc<Mentors>>,
    /// Mentors whose numbers changed since they were read.
    changed: HashSet<UserId>,
    /// How many times changes were missed: a read of everyone that began before a miss is not
    /// kept.
    misses: u64,
}

/// The open mentors' numbers, shared by every request of this process, and the turns its
/// searches take.
pub struct MentorIndex {
    known: Mutex<Known>,
    /// Searches running at once: one per core, so that however many people search, the
    /// others wait their turn instead of taking every pooled connection and crowding out the
    /// rest of the server.
    turns: Semaphore,
}

/// How long a search waits for a turn before it is refused (RATE_LIMITED).
const SEARCH_WAIT: Duration = Duration::from_secs(2);

impl MentorIndex {
    pub fn new() -> Arc<Self> {
        let cores = std::thread::available_parallelism().map_or(2, usize::from);
        Arc::new(Self {
            known: Mutex::default(),
            turns: Semaphore::new(cores),
        })
    }

    /// A turn to search, held until the search ends; RATE_LIMITED when none frees up in time.
    pub async fn turn(&self) -> AppResult<SemaphorePermit<'_>> {
        tokio::time::timeout(SEARCH_WAIT, self.turns.acquire())
            .await
            .map_err(|_| AppError::rate_limited(Duration::from_secs(1)))?
            .map_err(|cause| AppError::internal(InternalError::Other(cause.to_string())))
    }

    fn known(&self) -> MutexGuard<'_, Known> {
        // A panic while holding the lock leaves nothing half-written that matters: the numbers
        // are read again whenever in doubt.
        self.known
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The mentors taking mentees as they are now: first reads whatever changed.
    pub fn mentors(&self, conn: &mut DbConnection) -> AppResult<Arc<Mentors>> {
        let read_now = self.catch_up(conn)?;
        match read_now.or_else(|| self.known().mentors.clone()) {
            Some(mentors) => Ok(mentors),
            // Changes were missed since the catch-up: this search reads everyone itself.
            None => Ok(Arc::new(by_id(ranked_mentors(conn, None)?))),
        }
    }

    /// Reads everyone when nothing is known (and returns what it read), else the mentors that
    /// changed.
    fn catch_up(&self, conn: &mut DbConnection) -> AppResult<Option<Arc<Mentors>>> {
        // The changed set is taken before reading, so that a change committed during the read
        // is read again by the next search.
        let (read_all, changed, misses) = {
            let mut known = self.known();
            (
                known.mentors.is_none(),
                std::mem::take(&mut known.changed),
                known.misses,
            )
        };
        if read_all {
            let everyone = Arc::new(by_id(ranked_mentors(conn, None)?));
            let mut known = self.known();
            if known.misses == misses {
                known.mentors = Some(Arc::clone(&everyone));
            }
            return Ok(Some(everyone));
        } else if !changed.is_empty() {
            let ids: Vec<UserId> = changed.iter().cloned().collect();
            let fresh = match ranked_mentors(conn, Some(&ids)) {
                Ok(rows) => by_id(rows),
                Err(error) => {
                    // Still to be read by the next search.
                    self.known().changed.extend(changed);
                    return Err(error);
                }
            };
            let mut known = self.known();
            if let Some(mentors) = &mut known.mentors {
                let mentors = Arc::make_mut(mentors);
                for id in &changed {
                    mentors.remove(id);
                }
                mentors.extend(fresh);
            }
        }
        Ok(None)
    }

    /// Follows the committed changes until the bus closes.
    pub async fn follow(self: Arc<Self>, mut events: Receiver<Committed>) {
        loop {
            match events.recv().await {
                Ok(
                    Committed::MentorChanged { user_id }
                    | Committed::PersonFactsChanged { user_id },
                ) => {
                    self.known().changed.insert(user_id);
                }
                Ok(_) => {}
                Err(RecvError::Lagged(_)) => {
                    let mut known = self.known();
                    known.mentors = None;
                    known.changed.clear();
                    known.misses += 1;
                }
                Err(RecvError::Closed) => return,
            }
        }
    }
}

fn by_id(mentors: Vec<RankedMentor>) -> Mentors {
    mentors
        .into_iter()
        .map(|mentor| (mentor.numbers.user_id.clone(), mentor))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_search_waits_for_a_turn_then_is_refused() {
        let index = MentorIndex::new();
        let mut held = Vec::new();
        while index.turns.available_permits() > 0 {
            held.push(index.turn().await.expect("a free turn"));
        }
        let waited = tokio::time::Instant::now();
        let refused = index.turn().await.map(drop);
        assert!(matches!(refused, Err(AppError::RateLimited { .. })));
        assert_eq!(waited.elapsed(), SEARCH_WAIT);
        held.pop();
        assert!(index.turn().await.is_ok(), "a turn given back is taken");
    }
}
