//! Committed changes shared between instances on one PostgreSQL database.
//!
//! A write transaction that announced events also sends each with `pg_notify` before it commits:
//! PostgreSQL delivers a notification only if its transaction commits, to every connection
//! listening on the channel. Each instance keeps one connection listening and republishes on its
//! own bus what the other instances sent (its own events it has published already). Payloads
//! carry ids only: subscribers re-read the rows and re-check access, as for local events. What is
//! sent while an instance's listening connection is down is lost to it: subscriptions are live
//! updates that clients refresh when they reconnect, and push dispatchers also poll the outbox.
//! SQLite serves one instance: nothing to share.

use std::sync::Arc;
use std::time::{Duration, Instant};

use diesel::RunQueryDsl;
use diesel::pg::PgConnection;
use diesel::sql_types::Text;
use serde::{Deserialize, Serialize};
use tokio::sync::watch;

use super::events::Committed;
use super::{ConnectionManager, Db, DbConnection, blocking};
use crate::error::{AppError, AppResult, InternalError};

fn internal(cause: String) -> AppError {
    AppError::Internal(InternalError::Other(cause))
}

/// How often the listening connection is read for notifications.
const POLL_EVERY: Duration = Duration::from_millis(100);
/// How often it is asked a trivial query, so that a connection dropped silently is noticed.
const CHECK_EVERY: Duration = Duration::from_secs(30);
const RECONNECT_AFTER: Duration = Duration::from_secs(1);

/// This instance's name on the channel, and the channel: one per database schema, so that
/// databases sharing a server (the tests' schemas) each hear only their own.
#[derive(Debug, Clone)]
pub struct Fanout {
    instance: Arc<str>,
    channel: Arc<str>,
    /// Opens the listening connection.
    manager: ConnectionManager,
}

/// What travels on the channel: who sent it, and the event.
#[derive(Serialize, Deserialize)]
struct Envelope {
    from: String,
    event: Committed,
}

impl Fanout {
    pub(super) fn for_schema(schema: &str, manager: ConnectionManager) -> Self {
        Self {
            instance: uuid::Uuid::new_v4().to_string().into(),
            channel: format!("relais:{schema}").into(),
            manager,
        }
    }

    /// Sends `events` to the other instances, inside the write transaction about to commit.
    pub(super) fn announce(
        &self,
        conn: &mut DbConnection,
        events: &[Committed],
    ) -> diesel::QueryResult<()> {
        let DbConnection::Postgres(pg) = conn else {
            return Ok(());
        };
        for event in events {
            let envelope = Envelope {
                from: self.instance.to_string(),
                event: event.clone(),
            };
            let payload = serde_json::to_string(&envelope)
                .map_err(|cause| diesel::result::Error::SerializationError(Box::new(cause)))?;
            diesel::sql_query("SELECT pg_notify($1, $2)")
                .bind::<Text, _>(&*self.channel)
                .bind::<Text, _>(payload)
                .execute(pg)?;
        }
        Ok(())
    }

    /// The events of other instances among these payloads; what does not parse is skipped.
    fn others_events(&self, payloads: Vec<String>) -> Vec<Committed> {
        payloads
            .into_iter()
            .filter_map(|payload| match serde_json::from_str::<Envelope>(&payload) {
                Ok(envelope) => Some(envelope),
                Err(error) => {
                    tracing::warn!(%error, "unreadable event from another instance");
                    None
                }
            })
            .filter(|envelope| *envelope.from != *self.instance)
            .map(|envelope| envelope.event)
            .collect()
    }
}

/// Republishes the other instances' events on this instance's bus until `stop`, listening again
/// after a failure. Returns at once on SQLite.
pub async fn relay(db: Db, mut stop: watch::Receiver<bool>) {
    let Some(fanout) = db.fanout.clone() else {
        return;
    };
    loop {
        if let Err(error) = listen(&db, &fanout, &mut stop).await {
            tracing::warn!(
                ?error,
                "listening for other instances' events failed; listening again"
            );
        }
        if *stop.borrow() {
            return;
        }
        tokio::select! {
            _ = tokio::time::sleep(RECONNECT_AFTER) => {}
            _ = stop.changed() => return,
        }
    }
}

/// One listening connection's life: `Ok` when asked to stop, `Err` when the connection failed.
async fn listen(db: &Db, fanout: &Fanout, stop: &mut watch::Receiver<bool>) -> AppResult<()> {
    let manager = fanout.manager.clone();
    let listen = format!("LISTEN \"{}\"", fanout.channel.replace('"', "\"\""));
    let mut conn = blocking(move || {
        let mut conn = manager
            .establish_dedicated()
            .ok_or_else(|| internal("the fan-out needs PostgreSQL".into()))?
            .map_err(|cause| internal(cause.to_string()))?;
        diesel::sql_query(listen).execute(&mut conn)?;
        Ok(conn)
    })
    .await?;
    let mut ticks = tokio::time::interval(POLL_EVERY);
    let mut checked = Instant::now();
    loop {
        tokio::select! {
            _ = ticks.tick() => {}
            _ = stop.changed() => return Ok(()),
        }
        let check = checked.elapsed() >= CHECK_EVERY;
        if check {
            checked = Instant::now();
        }
        let (back, received) = blocking(move || {
            let received = receive(&mut conn, check);
            Ok((conn, received))
        })
        .await?;
        conn = back;
        db.events.publish(fanout.others_events(received?));
    }
}

/// The payloads that arrived since the last call, without waiting for more.
fn receive(conn: &mut PgConnection, check: bool) -> diesel::QueryResult<Vec<String>> {
    if check {
        diesel::sql_query("SELECT 1").execute(conn)?;
    }
    conn.notifications_iter()
        .map(|notification| notification.map(|notification| notification.payload))
        .collect()
}
