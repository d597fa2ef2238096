//! The process's figures for `/metrics`, in Prometheus' text format, all in one registry:
//! GraphQL requests by operation name and outcome with their latency, SQL statements, the pool's
//! connections and how long requests waited for one, open subscriptions, and the push outbox
//! (read from the database when scraped, then set as gauges).

use std::collections::HashSet;
use std::sync::Mutex;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

/// Distinct operation names counted at most; later ones are counted as `other`, so that clients
/// cannot grow the figures without bound.
const MAX_OPERATIONS: usize = 200;
/// Request latency buckets, in seconds.
const LATENCY_BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
];

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    operation: String,
    outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OperationLabel {
    operation: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StatusLabel {
    status: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StateLabel {
    state: &'static str,
}

pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<OperationLabel, Histogram>,
    subscriptions: Gauge,
    outbox: Family<StatusLabel, Gauge>,
    outbox_lag: Gauge<f64, AtomicU64>,
    pool_connections: Family<StateLabel, Gauge>,
    operations: Mutex<HashSet<String>>,
}

impl Metrics {
    /// The figures, registered with the database's own (its statement counter and pool wait
    /// histogram live with the pool).
    pub fn new(pool_wait: Histogram, statements: Counter) -> Self {
        let mut registry = Registry::with_prefix("relais");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "graphql_requests",
            "GraphQL requests by operation name and outcome (OK or the first error's code)",
            requests.clone(),
        );
        let latency = Family::<OperationLabel, Histogram>::new_with_constructor(|| {
            Histogram::new(LATENCY_BUCKETS)
        });
        registry.register(
            "graphql_request_duration_seconds",
            "Time to answer a GraphQL request, by operation name",
            latency.clone(),
        );
        let subscriptions = Gauge::default();
        registry.register(
            "subscriptions_open",
            "Subscriptions running over websockets",
            subscriptions.clone(),
        );
        registry.register(
            "db_pool_wait_seconds",
            "Time spent waiting for a pooled database connection",
            pool_wait,
        );
        registry.register(
            "db_statements",
            "SQL statements run by this process",
            statements,
        );
        let pool_connections = Family::<StateLabel, Gauge>::default();
        registry.register(
            "db_pool_connections",
            "Pooled database connections by state",
            pool_connections.clone(),
        );
        let outbox = Family::<StatusLabel, Gauge>::default();
        registry.register(
            "push_outbox",
            "Pushes in the outbox by state",
            outbox.clone(),
        );
        let outbox_lag = Gauge::<f64, AtomicU64>::default();
        registry.register(
            "push_outbox_lag_seconds",
            "Age of the oldest due push",
            outbox_lag.clone(),
        );
        Self {
            registry,
            requests,
            latency,
            subscriptions,
            outbox,
            outbox_lag,
            pool_connections,
            operations: Mutex::default(),
        }
    }

    /// A pool wait histogram with buckets fit for it.
    pub fn pool_wait_histogram() -> Histogram {
        Histogram::new(LATENCY_BUCKETS)
    }

    /// The label an operation name is counted under: the name when it is a plain GraphQL name
    /// among the first [`MAX_OPERATIONS`] seen, `anonymous` without one, `other` otherwise.
    pub fn operation_label(&self, name: Option<&str>) -> String {
        let Some(name) = name else {
            return "anonymous".into();
        };
        let plain = !name.is_empty()
            && name.len() <= 64
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !plain {
            return "other".into();
        }
        // A poisoned lock only means another thread panicked mid-insert; the set stays usable.
        let mut seen = self
            .operations
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if seen.contains(name) || seen.len() < MAX_OPERATIONS {
            seen.insert(name.to_owned());
            name.to_owned()
        } else {
            "other".into()
        }
    }

    pub fn request_done(&self, operation: &str, outcome: &str, took: Duration) {
        self.requests
            .get_or_create(&RequestLabels {
                operation: operation.to_owned(),
                outcome: outcome.to_owned(),
            })
            .inc();
        self.latency
            .get_or_create(&OperationLabel {
                operation: operation.to_owned(),
            })
            .observe(took.as_secs_f64());
    }

    /// Subscriptions opened (positive) or ended (negative).
    pub fn subscriptions_changed(&self, by: i64) {
        self.subscriptions.inc_by(by);
    }

    /// The outbox as counted now: pushes by state (states without any are left out), and the
    /// age of the oldest due one.
    pub fn outbox_counted<'a>(
        &self,
        by_status: impl IntoIterator<Item = (&'a str, i64)>,
        oldest_due_seconds: f64,
    ) {
        self.outbox.clear();
        for (status, count) in by_status {
            self.outbox
                .get_or_create(&StatusLabel {
                    status: status.to_owned(),
                })
                .set(count);
        }
        self.outbox_lag.set(oldest_due_seconds);
    }

    /// The pool as it stands now: `connections` open, `idle` of them idle.
    pub fn pool_counted(&self, connections: u32, idle: u32) {
        let busy = connections.saturating_sub(idle);
        for (state, count) in [("idle", idle), ("busy", busy)] {
            self.pool_connections
                .get_or_create(&StateLabel { state })
                .set(i64::from(count));
        }
    }

    /// Everything registered, in the text format.
    pub fn render(&self) -> String {
        let mut text = String::new();
        // Writing into a String cannot fail.
        let _ = encode(&mut text, &self.registry);
        text
    }
}
