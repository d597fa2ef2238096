//! Scenario 9: 10,000 notifications queued at once (four producers, one transaction per person)
//! drain through the server's dispatchers to the local fake FCM.

use std::time::{Duration, Instant};

use relais::db::Db;
use relais::i18n::NotificationText;
use relais::ids::UserId;
use relais::notifications::dispatcher::outbox_stats;
use relais::notifications::model::{Notice, NotificationCategory, PushStatus};
use relais::notifications::service as notifications;

use crate::seed::DEVICE_OWNERS;

pub const NOTIFICATIONS: usize = 10_000;
const PRODUCERS: usize = 4;

/// How the drain went.
pub struct Drain {
    pub seconds: f64,
    pub per_second: f64,
    pub peak_lag_seconds: f64,
}

/// Pushes sent so far, and the age of the oldest due one.
async fn outbox(db: &Db) -> (i64, f64) {
    let stats = outbox_stats(db).await.expect("outbox figures");
    let sent = stats
        .by_status
        .iter()
        .filter(|(status, _)| *status == PushStatus::Sent)
        .map(|(_, count)| count)
        .sum();
    (sent, stats.oldest_due_seconds)
}

pub async fn drain(database_url: &str, owners: &[UserId]) -> Drain {
    let db = Db::connect(database_url, relais::db::STATEMENT_TIMEOUT_DEFAULT)
        .await
        .expect("the database opens");
    let (before, _) = outbox(&db).await;
    let per_owner = NOTIFICATIONS / DEVICE_OWNERS;
    let started = Instant::now();
    for chunk in owners.chunks(DEVICE_OWNERS / PRODUCERS) {
        let (db, chunk) = (db.clone(), chunk.to_vec());
        tokio::spawn(async move {
            for user_id in chunk {
                db.write(move |conn| {
                    for index in 0..per_owner {
                        let notice =
                            Notice::new(NotificationCategory::System, NotificationText::TestPush)
                                .with_data("index", index.to_string());
                        notifications::notify(conn, &user_id, notice)?;
                    }
                    Ok(())
                })
                .await
                .expect("notifications queued");
            }
        });
    }
    let mut peak_lag: f64 = 0.0;
    loop {
        let (sent, lag) = outbox(&db).await;
        peak_lag = peak_lag.max(lag);
        if sent - before >= NOTIFICATIONS as i64 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let seconds = started.elapsed().as_secs_f64();
    Drain {
        seconds,
        per_second: NOTIFICATIONS as f64 / seconds,
        peak_lag_seconds: peak_lag,
    }
}
