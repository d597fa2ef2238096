//! At most a few requests of one session run at once: the others wait briefly, then are refused
//! (RATE_LIMITED), so that one person's costliest requests cannot hold every database connection
//! while everyone else waits.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::error::{AppError, AppResult};
use crate::ids::SessionId;

/// How long a request waits for one of its session's turns before it is refused.
pub const TURN_WAIT: Duration = Duration::from_secs(2);

type Sessions = Arc<Mutex<HashMap<SessionId, Arc<Semaphore>>>>;

/// The turns of every session with a request running; a session leaves the map with its last.
pub struct SessionTurns {
    per_session: u32,
    sessions: Sessions,
}

/// One running request's turn; the next waiting request of its session takes it when dropped.
pub struct SessionTurn {
    session: SessionId,
    semaphore: Arc<Semaphore>,
    permit: Option<OwnedSemaphorePermit>,
    sessions: Sessions,
}

impl SessionTurns {
    pub fn new(per_session: NonZeroU32) -> Self {
        Self {
            per_session: per_session.get(),
            sessions: Sessions::default(),
        }
    }

    /// A turn for a request of `session`: at once while fewer than the limit run, else after
    /// the wait; RATE_LIMITED when none frees up within [`TURN_WAIT`].
    pub async fn enter(&self, session: &SessionId) -> AppResult<SessionTurn> {
        let semaphore = self
            .sessions
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(session.clone())
            .or_insert_with(|| Arc::new(Semaphore::new(self.per_session as usize)))
            .clone();
        let mut turn = SessionTurn {
            session: session.clone(),
            semaphore: semaphore.clone(),
            permit: None,
            sessions: self.sessions.clone(),
        };
        match tokio::time::timeout(TURN_WAIT, semaphore.acquire_owned()).await {
            Ok(Ok(permit)) => {
                turn.permit = Some(permit);
                Ok(turn)
            }
            // Refused: dropping the turn leaves the map as it found it.
            _ => Err(AppError::RateLimited {
                retry_after: Duration::from_secs(1),
            }),
        }
    }

    /// Sessions with a request running or waiting (for tests and metrics).
    pub fn busy_sessions(&self) -> usize {
        self.sessions
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }
}

impl Drop for SessionTurn {
    fn drop(&mut self) {
        drop(self.permit.take());
        let mut sessions = self.sessions.lock().unwrap_or_else(PoisonError::into_inner);
        // The map's and this turn's: nobody else of the session runs or waits.
        if Arc::strong_count(&self.semaphore) == 2 {
            sessions.remove(&self.session);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_session_runs_its_limit_at_once_and_others_are_not_held() {
        let turns = SessionTurns::new(NonZeroU32::new(2).expect("two"));
        let busy = SessionId::generate();
        let first = turns.enter(&busy).await.expect("first turn");
        let second = turns.enter(&busy).await.expect("second turn");
        // A third waits, then is refused; another session is let in meanwhile.
        let other = turns
            .enter(&SessionId::generate())
            .await
            .expect("another session");
        let refused = turns.enter(&busy).await;
        assert!(matches!(refused, Err(AppError::RateLimited { .. })));
        drop(other);
        assert_eq!(turns.busy_sessions(), 1);
        // A freed turn goes to the next request of the session.
        drop(first);
        let third = turns.enter(&busy).await.expect("a freed turn");
        drop((second, third));
        assert_eq!(turns.busy_sessions(), 0, "the last turn leaves the map");
    }
}
