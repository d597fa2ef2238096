//! Subscriptions fed by the bus of committed changes, with the same two guarantees for all:
//! an item reaches the subscriber only while their session is open (checked before each), and a
//! subscriber that fell behind gets an error (CONFLICT: reload, then subscribe again) instead of
//! silently missing events. Either way the subscription then ends.

use std::future::Future;

use async_graphql::futures_util::Stream;
use tokio::sync::broadcast::{self, error::RecvError};

use crate::auth::Viewer;
use crate::auth::service as sessions;
use crate::db::Db;
use crate::db::events::Committed;
use crate::error::{AppError, AppResult};
use crate::graphql::ContextExt;
use crate::i18n::Message;
use crate::ids::UserId;

/// A subscription being set up for the signed-in viewer. It listens to the bus from the start,
/// before the caller checks access, so that nothing committed in between is missed.
pub struct Listener {
    db: Db,
    viewer: Viewer,
    events: broadcast::Receiver<Committed>,
}

impl Listener {
    /// UNAUTHENTICATED without a viewer.
    pub fn start(ctx: &async_graphql::Context<'_>) -> AppResult<Self> {
        let viewer = ctx.viewer()?.clone();
        let db = ctx.db().clone();
        let events = db.events().subscribe();
        Ok(Self { db, viewer, events })
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    pub fn viewer(&self) -> &Viewer {
        &self.viewer
    }

    /// The items `load(db, viewer, key)` makes of the events `select` picks.
    pub fn stream<K, T, S, L, F>(
        self,
        select: S,
        load: L,
    ) -> impl Stream<Item = async_graphql::Result<T>>
    where
        K: Send + 'static,
        T: Send + 'static,
        S: Fn(&Committed) -> Option<K> + Send + 'static,
        L: Fn(Db, UserId, K) -> F + Send + 'static,
        F: Future<Output = AppResult<Option<T>>> + Send,
    {
        let Listener { db, viewer, events } = self;
        let (user_id, session) = (viewer.user_id, viewer.session_id);
        async_graphql::futures_util::stream::unfold(
            Some((events, select, load)),
            move |listening| {
                let (db, user_id, session) = (db.clone(), user_id.clone(), session.clone());
                async move {
                    let (mut events, select, load) = listening?;
                    loop {
                        let key = match events.recv().await {
                            Ok(event) => match select(&event) {
                                Some(key) => key,
                                None => continue,
                            },
                            Err(RecvError::Lagged(missed)) => {
                                tracing::warn!(
                                    missed,
                                    "subscriber fell behind; subscription ended"
                                );
                                let error = AppError::Conflict(Message::EventsMissed);
                                return Some((Err(error.into()), None));
                            }
                            Err(RecvError::Closed) => return None,
                        };
                        let item = match load(db.clone(), user_id.clone(), key).await {
                            Ok(Some(item)) => item,
                            Ok(None) => continue,
                            Err(error) => {
                                tracing::warn!(?error, "loading a subscription item failed");
                                continue;
                            }
                        };
                        return match sessions::is_live(&db, &session).await {
                            Ok(true) => Some((Ok(item), Some((events, select, load)))),
                            _ => Some((Err(sessions::session_invalid().into()), None)),
                        };
                    }
                }
            },
        )
    }
}
