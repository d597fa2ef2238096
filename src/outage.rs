//! What a dispatcher has seen of the service it sends through (FCM, the mail relay). While that
//! service cannot be reached, the dispatcher holds its outbox for a pause that grows round by
//! round, then probes with one message: the sends of a round that fail together count once, so
//! the pause follows the outage's length, not the number of messages waiting.

use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::sync::watch;
use tokio::time::Instant;

use crate::notifications::push_message::retry_delay;

pub struct OutageHold {
    /// The service, as the logs name it.
    service: &'static str,
    worker: String,
    base: Duration,
    cap: Duration,
    state: Mutex<HoldState>,
}

#[derive(Default)]
struct HoldState {
    /// Rounds in a row that found the service unreachable; 0 while it answers.
    failed_rounds: u32,
    /// Until when the outbox is held.
    held_until: Option<Instant>,
}

impl OutageHold {
    /// A hold whose pauses start at `base` and double up to `cap`.
    pub fn new(service: &'static str, worker: &str, base: Duration, cap: Duration) -> Self {
        Self {
            service,
            worker: worker.to_owned(),
            base,
            cap,
            state: Mutex::default(),
        }
    }

    fn state(&self) -> MutexGuard<'_, HoldState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Until when the outbox is held, if it is now.
    pub fn held_until(&self) -> Option<Instant> {
        self.state()
            .held_until
            .filter(|until| *until > Instant::now())
    }

    /// Sleeps out the hold, if there is one, or until `shutdown` changes; whether it slept.
    pub async fn wait_out(&self, shutdown: &mut watch::Receiver<bool>) -> bool {
        let Some(until) = self.held_until() else {
            return false;
        };
        tokio::select! {
            _ = tokio::time::sleep_until(until) => {}
            _ = shutdown.changed() => {}
        }
        true
    }

    /// Whether the last round found the service unreachable: the next batch is one probe.
    pub fn probing(&self) -> bool {
        self.state().failed_rounds > 0
    }

    /// Notes that the service could not be reached and returns how long to hold the outbox:
    /// the wait the service `asked` for (up to the cap), or the next pause. A failure during a
    /// hold belongs to the round that started it.
    pub fn unreachable(&self, asked: Option<Duration>, reason: &str) -> Duration {
        let now = Instant::now();
        let mut state = self.state();
        if let Some(until) = state.held_until.filter(|until| *until > now) {
            return until - now;
        }
        state.failed_rounds += 1;
        let pause = match asked {
            Some(wait) => wait.min(self.cap),
            None => retry_delay(state.failed_rounds, self.base, self.cap),
        };
        state.held_until = Some(now + pause);
        let (service, worker, rounds) = (self.service, &self.worker, state.failed_rounds);
        if rounds == 1 {
            tracing::warn!(%worker, %reason, "{service} unreachable: the outbox is held");
        } else {
            tracing::debug!(%worker, %reason, rounds, ?pause, "{service} still unreachable");
        }
        pause
    }

    /// Notes that the service answered: the outbox drains again.
    pub fn answered(&self) {
        let mut state = self.state();
        if state.failed_rounds > 0 {
            let (service, worker, rounds) = (self.service, &self.worker, state.failed_rounds);
            tracing::info!(%worker, rounds, "{service} answers again: the outbox drains");
        }
        *state = HoldState::default();
    }
}
