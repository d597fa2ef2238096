//! The mail dispatcher: claims due mails for a lease, writes each in its recipient's language,
//! sends it, and records how it ended. A mail ends SENT or FAILED (refused for good, or after
//! [`MAX_ATTEMPTS`] refusals for now); while the relay cannot be reached at all, the outbox is
//! held and no mail spends an attempt, so an outage of any length loses nothing.

use std::time::Duration;

use chrono::{TimeDelta, Utc};
use tokio::sync::broadcast::{self, error::RecvError};
use tokio::sync::watch;

use super::model::{MailKind, MailStatus, Outgoing};
use super::service::token_for;
use super::store;
use super::transport::{Letter, MailSender, SendOutcome};
use crate::auth::Secret;
use crate::db::Db;
use crate::db::events::Committed;
use crate::error::{AppError, AppResult, InternalError};
use crate::i18n::{Locale, MailText};
use crate::ids::{EmailTokenId, MailId};
use crate::notifications::push_message::retry_delay;
use crate::outage::OutageHold;

/// Mails claimed at once.
const BATCH: i64 = 20;
/// How long a claim lasts: a batch's sends (20 s each at most) end well within it.
const LEASE: TimeDelta = TimeDelta::minutes(10);
/// Refusals for now (4xx) before a mail is given up.
pub const MAX_ATTEMPTS: i32 = 8;
const RETRY_CAP: Duration = Duration::from_secs(30 * 60);
/// How often an idle dispatcher looks for mails it was not told about (retries come due).
const POLL: Duration = Duration::from_secs(2);

pub struct MailDispatcher {
    db: Db,
    sender: MailSender,
    secret: Secret,
    public_url: String,
    retry_base: Duration,
    worker_id: String,
    relay: OutageHold,
}

/// How one mail ended this round.
enum Outcome {
    Finished(MailStatus, i32, Option<String>),
    Requeued(i32, String, Duration),
}

impl MailDispatcher {
    pub fn new(
        db: Db,
        sender: MailSender,
        secret: Secret,
        public_url: String,
        retry_base: Duration,
    ) -> Self {
        let worker_id = format!("mailer-{}", uuid::Uuid::now_v7());
        let relay = OutageHold::new("mail relay", &worker_id, retry_base, RETRY_CAP);
        Self {
            db,
            sender,
            secret,
            public_url,
            retry_base,
            worker_id,
            relay,
        }
    }

    /// Runs until `shutdown` turns true.
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        let mut queued = self.db.events().subscribe();
        while !*shutdown.borrow() {
            if self.relay.wait_out(&mut shutdown).await {
                continue;
            }
            match self.run_once().await {
                Ok(claimed) if claimed > 0 => continue,
                Ok(_) => {}
                Err(AppError::Internal(InternalError::Blocking(cause))) if cause.is_cancelled() => {
                    break;
                }
                Err(error) => {
                    tracing::warn!(worker = %self.worker_id, ?error, "mail dispatch failed")
                }
            }
            tokio::select! {
                _ = tokio::time::sleep(POLL) => {}
                _ = shutdown.changed() => {}
                _ = next_mail_queued(&mut queued) => {}
            }
        }
    }

    /// Claims one batch of due mails and sends it; returns how many were claimed. After the
    /// relay was found unreachable, a batch is one mail: it probes whether the relay is back.
    pub async fn run_once(&self) -> AppResult<usize> {
        let worker = self.worker_id.clone();
        let batch = if self.relay.probing() { 1 } else { BATCH };
        let claimed = self
            .db
            .write(move |conn| {
                let now = Utc::now().naive_utc();
                Ok(store::claim(conn, &worker, now, now + LEASE, batch)?)
            })
            .await?;
        if claimed.is_empty() {
            return Ok(0);
        }
        let count = claimed.len();
        let worker = self.worker_id.clone();
        let mails = self
            .db
            .run(move |conn| Ok(store::claimed(conn, &claimed, &worker)?))
            .await?;
        for mail in mails {
            let id = mail.id.clone();
            let outcome = self.deliver(mail).await;
            self.record(id, outcome).await?;
        }
        Ok(count)
    }

    /// The mail's text, in its recipient's language, naming them as they are named now.
    fn letter(&self, mail: &Outgoing, kind: &MailKind) -> Letter {
        let locale = Locale::parse(&mail.locale).unwrap_or_default();
        let name = mail.name.clone();
        // A token's link opens the app on the screen that takes it; the code is for typing.
        let link = |token: &EmailTokenId, screen: &str| {
            let code = token_for(&self.secret, token);
            (
                format!("{}/app/{screen}?token={code}", self.public_url),
                code,
            )
        };
        let text = match kind {
            MailKind::ConfirmAddress { token } => {
                let (link, code) = link(token, "confirm-email");
                MailText::ConfirmAddress { name, code, link }
            }
            MailKind::ConfirmNewAddress { token } => {
                let (link, code) = link(token, "confirm-email");
                MailText::ConfirmNewAddress { name, code, link }
            }
            MailKind::ResetPassword { token } => {
                let (link, code) = link(token, "reset-password");
                MailText::ResetPassword { name, code, link }
            }
            MailKind::PasswordChanged => MailText::PasswordChanged { name },
            MailKind::AddressChangeRequested { new_address } => MailText::AddressChangeRequested {
                name,
                new_address: new_address.clone(),
            },
        };
        let (subject, text) = text.render(locale);
        Letter {
            to: mail.to_address.clone(),
            subject,
            text,
        }
    }

    async fn deliver(&self, mail: Outgoing) -> Outcome {
        let Some(kind) = &mail.kind else {
            return Outcome::Finished(MailStatus::Failed, mail.attempts, Some("unreadable".into()));
        };
        if matches!(kind, MailKind::ConfirmAddress { .. }) && mail.address_confirmed {
            return Outcome::Finished(MailStatus::Cancelled, mail.attempts, None);
        }
        // The rest of a batch whose send found the relay unreachable waits with it.
        if let Some(until) = self.relay.held_until() {
            let wait = until - tokio::time::Instant::now();
            return Outcome::Requeued(mail.attempts, "mail relay unreachable".into(), wait);
        }
        let letter = self.letter(&mail, kind);
        let attempts = mail.attempts + 1;
        let sent = self.sender.send(letter).await;
        if !matches!(sent, SendOutcome::Unavailable(_)) {
            self.relay.answered();
        }
        match sent {
            SendOutcome::Sent(_) => Outcome::Finished(MailStatus::Sent, attempts, None),
            SendOutcome::Rejected(reason) => {
                tracing::warn!(mail = %mail.id, reason = %loggable(&reason), "mail refused by the relay");
                Outcome::Finished(MailStatus::Failed, attempts, Some(reason))
            }
            SendOutcome::Retry(reason) if attempts >= MAX_ATTEMPTS => {
                tracing::warn!(mail = %mail.id, reason = %loggable(&reason), attempts, "mail given up");
                Outcome::Finished(MailStatus::Failed, attempts, Some(reason))
            }
            SendOutcome::Retry(reason) => {
                let wait = retry_delay(attempts as u32, self.retry_base, RETRY_CAP);
                Outcome::Requeued(attempts, reason, wait)
            }
            // Not this mail's fault: it keeps its attempts and waits out the outage.
            SendOutcome::Unavailable(reason) => {
                let pause = self.relay.unreachable(None, &loggable(&reason));
                Outcome::Requeued(mail.attempts, reason, pause)
            }
        }
    }

    async fn record(&self, id: MailId, outcome: Outcome) -> AppResult<()> {
        let worker = self.worker_id.clone();
        self.db
            .write(move |conn| {
                let now = Utc::now().naive_utc();
                match &outcome {
                    Outcome::Finished(status, attempts, error) => store::finish(
                        conn,
                        &id,
                        &worker,
                        *status,
                        *attempts,
                        error.as_deref(),
                        now,
                    )?,
                    Outcome::Requeued(attempts, error, wait) => {
                        let due = now + TimeDelta::from_std(*wait).unwrap_or(TimeDelta::MAX);
                        store::requeue(conn, &id, &worker, *attempts, Some(error), due)?
                    }
                };
                Ok(())
            })
            .await
    }
}

/// Returns when mails were queued (or news may have been missed); never if the bus closed.
async fn next_mail_queued(events: &mut broadcast::Receiver<Committed>) {
    loop {
        match events.recv().await {
            Ok(Committed::MailQueued) | Err(RecvError::Lagged(_)) => return,
            Ok(_) => continue,
            Err(RecvError::Closed) => std::future::pending().await,
        }
    }
}

/// A relay's answer fit for the logs: relays quote the recipient's address, which stays out.
fn loggable(reason: &str) -> String {
    reason
        .split(' ')
        .map(|word| {
            if word.contains('@') {
                "<address>"
            } else {
                word
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_relays_answer_is_logged_without_the_address_it_quotes() {
        assert_eq!(
            super::loggable("550 5.1.1 <ana@example.org>: Recipient address rejected"),
            "550 5.1.1 <address> Recipient address rejected"
        );
    }
}
