//! When a request's DataLoader batches start: once its execution has nothing left to run.
//!
//! A DataLoader gathers the keys its fields ask for and loads them in one statement. A time
//! window decides badly when that gathering is over: resolving a list of more than 32 items
//! yields midway (cooperative scheduling), and on a busy machine the worker thread can be away
//! for longer than any window, so the batch splits; a wider window makes every page wait it out.
//! The execution itself knows better: when it returns `Pending` without having woken itself, every
//! field still running waits on something (a batch, a statement), so every key a page will ask
//! for at this depth has been asked for. [`BatchGate`] watches the execution's polls and holds
//! each batch until that moment.

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll, Wake, Waker};

use futures_util::Stream;
use tokio::sync::Notify;

/// Shared between one execution (an HTTP request, or a websocket connection's operations) and
/// the batches its DataLoaders spawn.
#[derive(Clone, Default)]
pub struct BatchGate(Arc<GateState>);

struct GateState {
    /// The execution has nothing runnable (or has ended, or is not being watched).
    idle: AtomicBool,
    turned_idle: Notify,
}

impl Default for GateState {
    fn default() -> Self {
        Self {
            idle: AtomicBool::new(true),
            turned_idle: Notify::new(),
        }
    }
}

impl BatchGate {
    /// Resolves once the watched execution has nothing runnable.
    pub async fn until_idle(&self) {
        loop {
            let mut turned_idle = pin!(self.0.turned_idle.notified());
            // Registered before the check, so an announcement between the two is not missed.
            turned_idle.as_mut().enable();
            if self.0.idle.load(Ordering::Acquire) {
                return;
            }
            turned_idle.await;
        }
    }

    /// Runs `execution`, letting batches start each time it leaves nothing runnable.
    pub async fn drive<F: Future>(&self, execution: F) -> F::Output {
        let _idle_when_dropped = IdleWhenDropped(self.clone());
        let mut execution = pin!(execution);
        std::future::poll_fn(|cx| self.poll_watched(cx, |cx| execution.as_mut().poll(cx))).await
    }

    /// The same watch over a stream of results (a websocket connection's operations).
    pub fn drive_stream<S>(&self, stream: S) -> impl Stream<Item = S::Item> + use<S>
    where
        S: Stream + Unpin,
    {
        let watcher = IdleWhenDropped(self.clone());
        let mut stream = stream;
        futures_util::stream::poll_fn(move |cx| {
            watcher
                .0
                .poll_watched(cx, |cx| std::pin::Pin::new(&mut stream).poll_next(cx))
        })
    }

    fn poll_watched<T>(
        &self,
        cx: &mut Context<'_>,
        poll: impl FnOnce(&mut Context<'_>) -> Poll<T>,
    ) -> Poll<T> {
        self.0.idle.store(false, Ordering::Release);
        let probe = Arc::new(WakeProbe {
            woken: AtomicBool::new(false),
            waker: cx.waker().clone(),
        });
        let waker = Waker::from(probe.clone());
        let result = poll(&mut Context::from_waker(&waker));
        // Woken during its own poll: it yielded and has more to run, so more keys may come.
        if result.is_ready() || !probe.woken.load(Ordering::Acquire) {
            self.announce_idle();
        }
        result
    }

    fn announce_idle(&self) {
        self.0.idle.store(true, Ordering::Release);
        self.0.turned_idle.notify_waiters();
    }
}

/// An execution that ends or is dropped (the client went away) releases its waiting batches.
struct IdleWhenDropped(BatchGate);

impl Drop for IdleWhenDropped {
    fn drop(&mut self) {
        self.0.announce_idle();
    }
}

/// Passes wake-ups on to the task, noting that one happened.
struct WakeProbe {
    woken: AtomicBool,
    waker: Waker,
}

impl Wake for WakeProbe {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.woken.store(true, Ordering::Release);
        self.waker.wake_by_ref();
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::sync::Mutex;
    use std::time::Duration;

    use async_graphql::dataloader::{DataLoader, Loader};

    use super::*;

    /// Records the size of every batch it is asked to load.
    #[derive(Clone, Default)]
    struct BatchSizes(Arc<Mutex<Vec<usize>>>);

    impl Loader<u32> for BatchSizes {
        type Value = u32;
        type Error = async_graphql::Error;

        async fn load(&self, keys: &[u32]) -> Result<HashMap<u32, u32>, Self::Error> {
            if let Ok(mut sizes) = self.0.lock() {
                sizes.push(keys.len());
            }
            Ok(keys.iter().map(|key| (*key, *key)).collect())
        }
    }

    /// Half a page's keys, a yield, a worker thread that is away for 20 ms (as a loaded machine
    /// does to it), then the other half: one batch all the same.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_page_is_one_batch_even_when_its_thread_is_away_midway() {
        let sizes = BatchSizes::default();
        let gate = BatchGate::default();
        let spawner = {
            let gate = gate.clone();
            move |batch: futures_util::future::BoxFuture<'static, ()>| {
                let gate = gate.clone();
                tokio::spawn(async move {
                    gate.until_idle().await;
                    batch.await;
                })
            }
        };
        let loader = DataLoader::new(sizes.clone(), spawner).delay(Duration::ZERO);
        let page = async {
            let first_half =
                futures_util::future::join_all((0..50).map(|key| loader.load_one(key)));
            let second_half = async {
                tokio::task::yield_now().await;
                std::thread::sleep(Duration::from_millis(20));
                futures_util::future::join_all((50..100).map(|key| loader.load_one(key))).await
            };
            futures_util::future::join(first_half, second_half).await
        };
        let (first, second) = gate.drive(page).await;
        assert!(first.iter().chain(&second).all(|value| value.is_ok()));
        assert_eq!(*sizes.0.lock().expect("sizes"), vec![100]);
    }

    #[tokio::test]
    async fn a_dropped_execution_releases_its_batches() {
        let gate = BatchGate::default();
        // Always has more to run, so its batches wait.
        let busy = std::future::poll_fn(|cx| {
            cx.waker().wake_by_ref();
            Poll::<()>::Pending
        });
        let mut execution = Box::pin(gate.drive(busy));
        assert!(futures_util::poll!(execution.as_mut()).is_pending());
        assert!(futures_util::poll!(pin!(gate.until_idle())).is_pending());
        drop(execution);
        tokio::time::timeout(Duration::from_secs(5), gate.until_idle())
            .await
            .expect("the batches were released");
    }
}
