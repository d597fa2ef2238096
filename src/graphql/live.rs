//! Subscriptions fed by the bus of committed changes, with the same two guarantees for all:
//! an item reaches the subscriber only while their session is open (checked before each), and a
//! subscriber that fell behind gets an error (CONFLICT: reload, then subscribe again) instead of
//! silently missing events. Either way the subscription then ends.

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use async_graphql::dataloader::{DataLoader, Loader};
use async_graphql::futures_util::Stream;
use tokio::sync::broadcast::{self, error::RecvError};

use crate::accounts::loaders::ProfileLoader;
use crate::auth::Viewer;
use crate::auth::service as sessions;
use crate::db::Db;
use crate::db::events::Committed;
use crate::error::{AppError, AppResult};
use crate::graphql::ContextExt;
use crate::groups::loaders::PostsForViewersLoader;
use crate::i18n::Message;
use crate::ids::{SessionId, UserId};

/// How long look-ups shared by subscriptions gather keys: the subscribers one event wakes are
/// polled one after the other, and a few milliseconds let most of them share a statement.
const SHARED_BATCH_WINDOW: Duration = Duration::from_millis(2);

/// Look-ups shared by every subscription of the process, so that the subscribers one event wakes
/// read what it needs in a few statements instead of a few each.
pub struct LiveLoaders {
    sessions: DataLoader<OpenSessionLoader>,
    pub group_posts: DataLoader<PostsForViewersLoader>,
    /// People, for the fields under the items (a post's `author`, a message's).
    pub profiles: Arc<DataLoader<ProfileLoader>>,
}

impl LiveLoaders {
    pub fn new(db: &Db) -> Arc<Self> {
        Arc::new(Self {
            sessions: shared(OpenSessionLoader(db.clone())),
            group_posts: shared(PostsForViewersLoader(db.clone())),
            profiles: Arc::new(shared(ProfileLoader::Database(db.clone()))),
        })
    }
}

fn shared<T: Send + Sync + 'static>(loader: T) -> DataLoader<T> {
    DataLoader::new(loader, tokio::spawn).delay(SHARED_BATCH_WINDOW)
}

/// Which sessions are still open: a key is answered only for an open one.
struct OpenSessionLoader(Db);

impl Loader<SessionId> for OpenSessionLoader {
    type Value = ();
    type Error = async_graphql::Error;

    async fn load(&self, ids: &[SessionId]) -> Result<HashMap<SessionId, ()>, Self::Error> {
        let open: HashSet<SessionId> = sessions::live_sessions(&self.0, ids.to_vec()).await?;
        Ok(open.into_iter().map(|id| (id, ())).collect())
    }
}

/// A subscription being set up for the signed-in viewer. It listens to the bus from the start,
/// before the caller checks access, so that nothing committed in between is missed.
pub struct Listener {
    db: Db,
    live: Arc<LiveLoaders>,
    viewer: Viewer,
    events: broadcast::Receiver<Committed>,
}

impl Listener {
    /// UNAUTHENTICATED without a viewer.
    pub fn start(ctx: &async_graphql::Context<'_>) -> AppResult<Self> {
        let viewer = ctx.viewer()?.clone();
        let db = ctx.db().clone();
        let live = ctx.state().live.clone();
        let events = db.events().subscribe();
        Ok(Self {
            db,
            live,
            viewer,
            events,
        })
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    pub fn viewer(&self) -> &Viewer {
        &self.viewer
    }

    pub fn live(&self) -> &Arc<LiveLoaders> {
        &self.live
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
        F: Future<Output = async_graphql::Result<Option<T>>> + Send,
    {
        let Listener {
            db,
            live,
            viewer,
            events,
        } = self;
        let (user_id, session) = (viewer.user_id, viewer.session_id);
        async_graphql::futures_util::stream::unfold(
            Some((events, select, load)),
            move |listening| {
                let (db, live) = (db.clone(), live.clone());
                let (user_id, session) = (user_id.clone(), session.clone());
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
                        return match live.sessions.load_one(session).await {
                            Ok(Some(())) => Some((Ok(item), Some((events, select, load)))),
                            _ => Some((Err(sessions::session_invalid().into()), None)),
                        };
                    }
                }
            },
        )
    }
}
