//! The push dispatcher: workers claim due pushes from the outbox for a lease, send them, and
//! record how each ended. Nothing is lost: a push ends SENT, FAILED (with its last error),
//! DROPPED (device gone) or CANCELLED, and a push claimed by a worker that died is taken again
//! once its lease runs out. While FCM as a whole is unavailable the dispatcher holds the
//! outbox: one push at a time probes it after a growing pause, and no push spends an attempt, so
//! an outage of any length loses nothing.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};
use futures_util::StreamExt;
use tokio::sync::broadcast::{self, error::RecvError};
use tokio::sync::watch;

use super::fcm::{FcmClient, SendOutcome, ServiceAccount};
use super::model::{
    Delivery, NotificationRow, OutboxStats, PushOutcome, PushStatus, RecipientSettings,
};
use super::push_message::{fcm_message, retry_delay};
use super::service::{quiet_hours_end, render_all, stored_quiet_hours};
use super::store;
use crate::config::PushConfig;
use crate::db::Db;
use crate::db::events::Committed;
use crate::error::{AppError, AppResult, InternalError};
use crate::i18n::Locale;
use crate::ids::{DeviceId, PushId, UserId};
use crate::outage::OutageHold;

/// Where pushes go: FCM, or (without a service account) the log.
#[derive(Clone)]
pub enum PushSender {
    Fcm(Arc<FcmClient>),
    /// Development: logs each push (never its text at info level) and counts it sent.
    Log,
}

impl PushSender {
    pub fn from_config(config: &PushConfig) -> Result<Self, String> {
        match &config.service_account {
            None => Ok(Self::Log),
            Some(path) => {
                let account = ServiceAccount::load(path)?;
                let client = FcmClient::new(account, &config.endpoint, config.timeout)?;
                Ok(Self::Fcm(Arc::new(client)))
            }
        }
    }

    async fn send(&self, delivery: &Delivery, message: &serde_json::Value) -> SendOutcome {
        match self {
            Self::Fcm(client) => client.send(message).await,
            Self::Log => {
                // Never the text: it names people.
                tracing::info!(push = %delivery.push_id, category = delivery.notification.category.as_str(), "push (log sink)");
                SendOutcome::Sent {
                    name: format!("log/{}", delivery.push_id),
                }
            }
        }
    }
}

/// One worker's loop. Several may run, in one process or many (PostgreSQL).
pub struct Dispatcher {
    db: Db,
    sender: PushSender,
    config: Arc<PushConfig>,
    worker_id: String,
    fcm: OutageHold,
}

fn ended(status: PushStatus, attempts: i32, error: Option<String>) -> PushOutcome {
    PushOutcome {
        status,
        attempts,
        error,
        message_name: None,
    }
}

fn to_delta(duration: std::time::Duration) -> TimeDelta {
    TimeDelta::from_std(duration).unwrap_or(TimeDelta::MAX)
}

/// `wait` after `now`, saturating instead of overflowing (a `Retry-After` can say anything).
fn after(now: DateTime<Utc>, wait: std::time::Duration) -> DateTime<Utc> {
    now.checked_add_signed(to_delta(wait))
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

impl Dispatcher {
    pub fn new(db: Db, sender: PushSender, config: Arc<PushConfig>) -> Self {
        let worker_id = format!("worker-{}", uuid::Uuid::now_v7());
        let fcm = OutageHold::new("FCM", &worker_id, config.retry_base, config.retry_cap);
        Self {
            db,
            sender,
            config,
            worker_id,
            fcm,
        }
    }

    /// Runs until `shutdown` turns true; a batch under way finishes or gives its claims back.
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        let mut queued = self.db.events().subscribe();
        tracing::info!(worker = %self.worker_id, "push dispatcher started");
        while !*shutdown.borrow() {
            if self.fcm.wait_out(&mut shutdown).await {
                continue;
            }
            match self.run_once(&shutdown).await {
                Ok(claimed) if claimed > 0 => continue,
                Ok(_) => {}
                // The runtime is shutting down under us: nothing more can run.
                Err(AppError::Internal(InternalError::Blocking(cause))) if cause.is_cancelled() => {
                    break;
                }
                Err(error) => {
                    tracing::warn!(worker = %self.worker_id, ?error, "push dispatch failed")
                }
            }
            // Idle: wait for news of queued pushes, a poll tick (scheduled pushes), or shutdown.
            tokio::select! {
                _ = tokio::time::sleep(self.config.poll_interval) => {}
                _ = shutdown.changed() => {}
                _ = next_push_queued(&mut queued) => {}
            }
        }
        tracing::info!(worker = %self.worker_id, "push dispatcher stopped");
    }

    /// Claims one batch of due pushes and delivers it; returns how many were claimed. A batch is
    /// sized so that its sends fit in the lease, and a push whose send could not start in time is
    /// given back rather than sent while another dispatcher may take it. After FCM was found
    /// unavailable, a batch is one push: it probes whether FCM answers again.
    pub async fn run_once(&self, shutdown: &watch::Receiver<bool>) -> AppResult<usize> {
        let worker = self.worker_id.clone();
        let limit = if self.fcm.probing() {
            1
        } else {
            self.config.claim_size()
        };
        let lease = to_delta(self.config.lease);
        let send_until = tokio::time::Instant::now() + self.config.send_window();
        let claimed = self
            .db
            .write(move |conn| {
                let now = Utc::now();
                Ok(store::claim_due_pushes(
                    conn,
                    &worker,
                    now.naive_utc(),
                    (now + lease).naive_utc(),
                    limit,
                )?)
            })
            .await?;
        if claimed.is_empty() {
            return Ok(0);
        }
        let count = claimed.len();
        let deliveries = self.load(claimed).await?;
        // Outcomes are written as they come, whatever has come since the last write in one
        // transaction: one commit per push was what bounded a drain on PostgreSQL.
        futures_util::stream::iter(deliveries)
            .map(|delivery| async move {
                let push_id = delivery.push_id.clone();
                (push_id, self.deliver(delivery, shutdown, send_until).await)
            })
            .buffer_unordered(self.config.concurrency)
            .ready_chunks(OUTCOMES_PER_WRITE)
            .for_each(|outcomes| async move {
                let pushes = outcomes.len();
                if let Err(error) = self.record(outcomes).await {
                    // The claims lapse and another round takes these pushes again.
                    tracing::warn!(pushes, ?error, "recording push outcomes failed");
                }
            })
            .await;
        Ok(count)
    }

    async fn load(&self, ids: Vec<PushId>) -> AppResult<Vec<Delivery>> {
        let worker = self.worker_id.clone();
        self.db
            .run(move |conn| {
                let rows = store::claimed_rows(conn, &ids, &worker)?;
                let notification_ids: Vec<_> = rows.iter().map(|row| row.2.id.clone()).collect();
                let user_ids: Vec<UserId> = rows.iter().map(|row| row.2.user_id.clone()).collect();
                let mut data = store::data_of(conn, &notification_ids)?;
                let badges = store::unread_counts(conn, &user_ids, chrono::Utc::now().naive_utc())?;
                let recipients: HashMap<UserId, RecipientSettings> =
                    store::recipients(conn, &user_ids)?
                        .into_iter()
                        .map(|recipient| (recipient.user_id.clone(), recipient))
                        .collect();
                // Rendered now, in each recipient's language, naming people as they are now.
                let notifications: Vec<NotificationRow> =
                    rows.iter().map(|row| row.2.clone()).collect();
                let texts = render_all(conn, &notifications, |row| {
                    recipients
                        .get(&row.user_id)
                        .and_then(|recipient| Locale::parse(&recipient.locale))
                        .unwrap_or_default()
                })?;
                Ok(rows
                    .into_iter()
                    .zip(texts)
                    .map(
                        |((push_id, attempts, notification, device), (title, body))| {
                            let recipient = recipients.get(&notification.user_id);
                            Delivery {
                                title,
                                body,
                                badge: badges.get(&notification.user_id).copied().unwrap_or(0),
                                push_id,
                                attempts,
                                device,
                                data: data.remove(&notification.id).unwrap_or_default(),
                                quiet_hours: recipient.and_then(|recipient| {
                                    stored_quiet_hours(
                                        recipient.quiet_hours_start.as_deref(),
                                        recipient.quiet_hours_end.as_deref(),
                                    )
                                }),
                                locale: recipient
                                    .map(|recipient| recipient.locale.clone())
                                    .unwrap_or_default(),
                                timezone: recipient
                                    .map(|recipient| recipient.timezone.clone())
                                    .unwrap_or_default(),
                                group_workshop_titles: recipient
                                    .and_then(|recipient| recipient.group_workshop_titles)
                                    .unwrap_or(false),
                                notification,
                            }
                        },
                    )
                    .collect())
            })
            .await
    }

    /// Sends one push, or finds it must wait, and says what to record.
    async fn deliver(
        &self,
        delivery: Delivery,
        shutdown: &watch::Receiver<bool>,
        send_until: tokio::time::Instant,
    ) -> Outcome {
        let now = Utc::now();
        if *shutdown.borrow()
            || tokio::time::Instant::now() >= send_until
            || self.fcm.held_until().is_some()
        {
            return Outcome::requeued(delivery.attempts, None, now);
        }
        let Some(device) = &delivery.device else {
            let outcome = ended(
                PushStatus::Dropped,
                delivery.attempts,
                Some("device unregistered".into()),
            );
            return Outcome::finished(outcome, None);
        };
        if let Some(hours) = &delivery.quiet_hours
            && let Some(end) = quiet_hours_end(hours, &delivery.timezone, now)
        {
            return Outcome::requeued(delivery.attempts, None, end);
        }
        let message = fcm_message(&delivery, device);
        let attempts = delivery.attempts + 1;
        // A send that started in the window ends within one more timeout (token renewals
        // included), before the lease does.
        let sent = tokio::time::timeout_at(
            send_until + self.config.timeout,
            self.sender.send(&delivery, &message),
        )
        .await
        .unwrap_or_else(|_| SendOutcome::Unavailable {
            after: None,
            reason: "lease ran out during the send".into(),
        });
        if !matches!(sent, SendOutcome::Unavailable { .. }) {
            self.fcm.answered();
        }
        match sent {
            SendOutcome::Sent { name } => {
                let outcome = PushOutcome {
                    message_name: Some(name),
                    ..ended(PushStatus::Sent, attempts, None)
                };
                Outcome::finished(outcome, None)
            }
            SendOutcome::DeviceGone { reason } => {
                tracing::info!(push = %delivery.push_id, %reason, "device unregistered by FCM");
                let outcome = ended(PushStatus::Dropped, attempts, Some(reason));
                Outcome::finished(outcome, Some(device.id.clone()))
            }
            SendOutcome::Retry {
                after: retry_after,
                reason,
            } => {
                if attempts >= self.config.max_attempts as i32 {
                    tracing::warn!(push = %delivery.push_id, %reason, attempts, "push failed for good");
                    let outcome = ended(PushStatus::Failed, attempts, Some(reason));
                    return Outcome::finished(outcome, None);
                }
                // FCM's Retry-After is honoured up to the retry cap: it may say anything.
                let wait = match retry_after {
                    Some(wait) => wait.min(self.config.retry_cap),
                    None => retry_delay(
                        attempts as u32,
                        self.config.retry_base,
                        self.config.retry_cap,
                    ),
                };
                tracing::debug!(push = %delivery.push_id, %reason, ?wait, "push will be retried");
                Outcome::requeued(attempts, Some(reason), after(now, wait))
            }
            SendOutcome::Rejected { reason } => {
                tracing::warn!(push = %delivery.push_id, %reason, "push rejected by FCM");
                let outcome = ended(PushStatus::Failed, attempts, Some(reason));
                Outcome::finished(outcome, None)
            }
            // Not this message's fault: it keeps its attempts and waits out the outage.
            SendOutcome::Unavailable {
                after: asked,
                reason,
            } => {
                let pause = self.fcm.unreachable(asked, &reason);
                Outcome::requeued(delivery.attempts, Some(reason), after(now, pause))
            }
        }
    }

    /// Records these outcomes in one transaction; a push another dispatcher took back in the
    /// meantime (its claim lapsed) is left as that one records it.
    async fn record(&self, outcomes: Vec<(PushId, Outcome)>) -> AppResult<()> {
        let worker = self.worker_id.clone();
        self.db
            .write(move |conn| {
                let now = Utc::now().naive_utc();
                for (push_id, outcome) in &outcomes {
                    match outcome {
                        Outcome::Finished {
                            outcome,
                            gone_device,
                        } => {
                            store::finish_push(conn, push_id, &worker, outcome, now)?;
                            if let Some(device_id) = gone_device {
                                store::delete_device(conn, device_id)?;
                            }
                        }
                        Outcome::Requeued {
                            attempts,
                            error,
                            not_before,
                        } => {
                            store::requeue_push(
                                conn,
                                push_id,
                                &worker,
                                *attempts,
                                error.as_deref(),
                                not_before.naive_utc(),
                            )?;
                        }
                    }
                }
                Ok(())
            })
            .await
    }
}

/// Most push outcomes written in one transaction.
const OUTCOMES_PER_WRITE: usize = 64;

/// What one delivery attempt leaves to record.
enum Outcome {
    /// The push ended; a device FCM no longer knows is forgotten with it.
    Finished {
        outcome: PushOutcome,
        gone_device: Option<DeviceId>,
    },
    /// The push goes back to the queue, due at `not_before`.
    Requeued {
        attempts: i32,
        error: Option<String>,
        not_before: DateTime<Utc>,
    },
}

impl Outcome {
    fn finished(outcome: PushOutcome, gone_device: Option<DeviceId>) -> Self {
        Self::Finished {
            outcome,
            gone_device,
        }
    }

    fn requeued(attempts: i32, error: Option<String>, not_before: DateTime<Utc>) -> Self {
        Self::Requeued {
            attempts,
            error,
            not_before,
        }
    }
}

/// Returns when pushes were queued (or news may have been missed); never if the bus closed.
async fn next_push_queued(events: &mut broadcast::Receiver<Committed>) {
    loop {
        match events.recv().await {
            Ok(Committed::PushQueued) | Err(RecvError::Lagged(_)) => return,
            Ok(_) => continue,
            Err(RecvError::Closed) => std::future::pending().await,
        }
    }
}

/// Pushes by state and the age of the oldest due one.
pub async fn outbox_stats(db: &Db) -> AppResult<OutboxStats> {
    db.run(|conn| {
        let now = Utc::now();
        let by_status = store::push_counts(conn)?;
        let oldest_due_seconds = store::oldest_due(conn, now.naive_utc())?
            .map(|due| (now.naive_utc() - due).as_seconds_f64().max(0.0))
            .unwrap_or(0.0);
        Ok(OutboxStats {
            by_status,
            oldest_due_seconds,
        })
    })
    .await
}
