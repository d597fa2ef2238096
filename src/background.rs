//! The work a server does besides answering requests: push dispatchers, housekeeping (the
//! retention purge, reminders, follow-ups), the relay of other instances' events (PostgreSQL), each supervised: a task that stops when it was not asked to (a panic) is
//! logged and started again, and `/health` reports how many of the expected dispatchers run.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::db::Backend;
use crate::graphql::SharedState;
use crate::mail::dispatcher::MailDispatcher;
use crate::notifications::dispatcher::Dispatcher;
use crate::privacy::retention;

/// How long a supervisor waits before starting a task that stopped again.
const RESTART_DELAY: Duration = Duration::from_secs(1);

/// How many push dispatchers this process expects and how many are running.
#[derive(Debug, Default)]
pub struct WorkerHealth {
    expected: AtomicUsize,
    running: AtomicUsize,
    restarts: AtomicU64,
}

impl WorkerHealth {
    pub fn expected(&self) -> usize {
        self.expected.load(Ordering::Relaxed)
    }

    pub fn running(&self) -> usize {
        self.running.load(Ordering::Relaxed)
    }

    /// Times a dispatcher stopped unasked and was started again.
    pub fn restarts(&self) -> u64 {
        self.restarts.load(Ordering::Relaxed)
    }

    pub fn all_running(&self) -> bool {
        self.running() >= self.expected()
    }
}

/// Runs what `task` makes until `stop` turns true, starting it again whenever it ends otherwise
/// (it panicked, or returned early). `health`, when given, counts it among running dispatchers.
pub fn supervise<F, Fut>(
    name: &'static str,
    stop: watch::Receiver<bool>,
    health: Option<Arc<WorkerHealth>>,
    task: F,
) -> JoinHandle<()>
where
    F: Fn(watch::Receiver<bool>) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    tokio::spawn(async move {
        if let Some(health) = &health {
            health.expected.fetch_add(1, Ordering::Relaxed);
        }
        let mut watch_stop = stop.clone();
        loop {
            if let Some(health) = &health {
                health.running.fetch_add(1, Ordering::Relaxed);
            }
            let outcome = tokio::spawn(task(stop.clone())).await;
            if let Some(health) = &health {
                health.running.fetch_sub(1, Ordering::Relaxed);
            }
            // Stopped on purpose, or cancelled by the runtime shutting down: nothing to restart.
            if *stop.borrow() || matches!(&outcome, Err(error) if error.is_cancelled()) {
                break;
            }
            match outcome {
                Err(error) if error.is_panic() => {
                    tracing::error!(task = name, ?error, "background task panicked; restarting")
                }
                _ => tracing::error!(task = name, "background task stopped unasked; restarting"),
            }
            if let Some(health) = &health {
                health.restarts.fetch_add(1, Ordering::Relaxed);
            }
            tokio::select! {
                _ = tokio::time::sleep(RESTART_DELAY) => {}
                _ = watch_stop.changed() => break,
            }
        }
        if let Some(health) = &health {
            health.expected.fetch_sub(1, Ordering::Relaxed);
        }
    })
}

/// Whether this process is stopping (SIGTERM): open websockets close with 1012 (service restart)
/// so that their clients reconnect to another instance.
#[derive(Debug)]
pub struct Stopping(watch::Sender<bool>);

impl Default for Stopping {
    fn default() -> Self {
        Self(watch::Sender::new(false))
    }
}

impl Stopping {
    pub fn begin(&self) {
        self.0.send_replace(true);
    }

    pub fn is_stopping(&self) -> bool {
        *self.0.borrow()
    }

    /// Returns once the process is stopping.
    pub async fn wait(&self) {
        let mut stopping = self.0.subscribe();
        // The sender lives as long as `self`, so the wait ends only by the flag.
        let _ = stopping.wait_for(|stopping| *stopping).await;
    }
}

pub struct Background {
    shutdown: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl Background {
    /// Starts `workers` push dispatchers and the configured mail dispatchers (one of each at
    /// most on SQLite, whose writes serialise anyway), and the housekeeping.
    pub fn start(state: &SharedState, workers: usize) -> Self {
        let (shutdown, stop) = watch::channel(false);
        let workers = match state.db.backend() {
            Backend::Sqlite => workers.min(1),
            Backend::Postgres => workers,
        };
        let config = Arc::new(state.config.push.clone());
        let mut tasks: Vec<JoinHandle<()>> = (0..workers)
            .map(|_| {
                let (db, sender, config) = (state.db.clone(), state.push.clone(), config.clone());
                supervise(
                    "push dispatcher",
                    stop.clone(),
                    Some(state.workers.clone()),
                    move |stop| {
                        Dispatcher::new(db.clone(), sender.clone(), config.clone()).run(stop)
                    },
                )
            })
            .collect();
        let mailers = match state.db.backend() {
            Backend::Sqlite => state.config.mail.workers.min(1),
            Backend::Postgres => state.config.mail.workers,
        };
        for _ in 0..mailers {
            let mailer = state.clone();
            tasks.push(supervise(
                "mail dispatcher",
                stop.clone(),
                None,
                move |stop| {
                    MailDispatcher::new(
                        mailer.db.clone(),
                        mailer.mail.clone(),
                        mailer.secret.clone(),
                        mailer.config.public_url.clone(),
                        mailer.config.mail.retry_base,
                    )
                    .run(stop)
                },
            ));
        }
        if state.db.backend() == Backend::Postgres {
            let db = state.db.clone();
            tasks.push(supervise("event relay", stop.clone(), None, move |stop| {
                crate::db::fanout::relay(db.clone(), stop)
            }));
        }
        let housekeeping = state.clone();
        tasks.push(supervise("housekeeping", stop, None, move |stop| {
            housekeep(housekeeping.clone(), stop)
        }));
        Self { shutdown, tasks }
    }

    /// Asks every task to stop and waits for them: dispatchers finish their sends or give their
    /// claims back.
    pub async fn stop(self) {
        self.shutdown.send_replace(true);
        for task in self.tasks {
            if let Err(error) = task.await {
                tracing::error!(?error, "background supervisor failed");
            }
        }
    }
}

/// How often an instance forgets idle sign-in budgets, asks whether the retention purge is due
/// (it runs at most once an hour across instances) and expires stale mentorship requests.
const HOUSEKEEPING_EVERY: Duration = Duration::from_secs(5 * 60);

/// Forgets the sign-in budgets of addresses gone quiet, runs the retention purge when due,
/// releases closed wellbeing periods, sends due check-in reminders, follows up support requests nobody took in time, and expires
/// mentorship requests left unanswered for 14 days.
async fn housekeep(state: SharedState, mut stop: watch::Receiver<bool>) {
    let mut ticks = tokio::time::interval(HOUSEKEEPING_EVERY);
    loop {
        tokio::select! {
            _ = ticks.tick() => {}
            _ = stop.changed() => return,
        }
        state.passwords.throttle.forget_idle();
        let now = chrono::Utc::now().naive_utc();
        match retention::purge_if_due(&state.db, &state.config.retention, now).await {
            Ok(Some(purged)) => tracing::info!(?purged, "retention purge"),
            Ok(None) => {}
            Err(error) => tracing::warn!(?error, "retention purge failed"),
        }
        let release = crate::checkins::release::release_if_due(
            &state.db,
            &state.secret,
            &state.config.checkins,
            now,
        );
        match release.await {
            Ok(0) => {}
            Ok(periods) => tracing::info!(periods, "wellbeing periods released"),
            Err(error) => tracing::warn!(?error, "releasing wellbeing periods failed"),
        }
        match crate::notifications::reminders::sweep(&state.db, chrono::Utc::now()).await {
            Ok(0) => {}
            Ok(sent) => tracing::info!(sent, "check-in reminders sent"),
            Err(error) => tracing::warn!(?error, "sending check-in reminders failed"),
        }
        let support = crate::support::service::follow_up_waiting(
            &state.db,
            &state.support,
            state.config.support_wait,
            state.config.supporters_must_be_verified,
            now,
        );
        match support.await {
            Ok(0) => {}
            Ok(followed) => tracing::info!(followed, "waiting support requests followed up"),
            Err(error) => tracing::warn!(?error, "following up support requests failed"),
        }
        match crate::mentorship::service::expire_stale_requests(&state.db, now).await {
            Ok(0) => {}
            Ok(expired) => tracing::info!(expired, "mentorship requests expired"),
            Err(error) => tracing::warn!(?error, "expiring mentorship requests failed"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_task_that_panics_is_started_again_and_counted() {
        let health = Arc::new(WorkerHealth::default());
        let runs = Arc::new(AtomicUsize::new(0));
        let (shutdown, stop) = watch::channel(false);
        let counted = runs.clone();
        let supervisor = supervise("test", stop, Some(health.clone()), move |mut stop| {
            let run = counted.fetch_add(1, Ordering::SeqCst);
            async move {
                assert!(run > 0, "the first run dies");
                let _ = stop.changed().await;
            }
        });
        for _ in 0..100 {
            if runs.load(Ordering::SeqCst) >= 2 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert_eq!(runs.load(Ordering::SeqCst), 2);
        assert_eq!(
            (health.expected(), health.running(), health.restarts()),
            (1, 1, 1)
        );
        shutdown.send_replace(true);
        assert!(supervisor.await.is_ok());
        assert_eq!((health.expected(), health.running()), (0, 0));
    }
}
