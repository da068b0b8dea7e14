//! What an installation tells whoever runs it, at `/metrics` in the Prometheus (OpenMetrics)
//! text format: request latencies per route, the work waiting in the database, what the use
//! cases did, and the database pools' use. One registry per [`App`] (no global recorder), so
//! that every installation, a test's included, counts its own.
//!
//! Counters are counted where a use case succeeds (a committed cancellation, an issuance, a
//! recorded signature), never in SQL. What only the database knows (jobs, the outbox) is read
//! when `/metrics` is scraped, at most once per [`REFRESH`], through queries over pending work
//! only; concurrent scrapes share one read.

use std::sync::Arc;
use std::time::{Duration, Instant};

use certdesk_domain::job::JobKind;
use certdesk_domain::remote_signing::SigningClient;
use certdesk_store::prelude::*;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::{Registry, Unit};

use crate::App;

/// The exposition's media type (OpenMetrics 1.0, which Prometheus scrapes natively).
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// The database is asked at most this often, however often `/metrics` is scraped.
pub const REFRESH: Duration = Duration::from_secs(1);

/// Upper bounds of the latency buckets, in seconds: from a cached page to a slow signDoc.
const LATENCY_BUCKETS: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// One request, as the latency histogram labels it.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    /// One of the methods the router serves, or `other`.
    pub method: &'static str,
    /// The route's template as the router matched it (`/api/v1/applications/{id}/cancel`),
    /// never the path with its ids; `unmatched` when no route matched.
    pub route: String,
    /// `2xx`, `4xx`, …
    pub status: &'static str,
}

impl RequestLabels {
    /// The labels of a request: a method or route that the router does not serve becomes one
    /// label value, so that made-up requests cannot grow the exposition.
    pub fn new(method: &str, route: Option<&str>, status: u16) -> RequestLabels {
        const METHODS: [&str; 7] = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];
        let method = METHODS
            .into_iter()
            .find(|m| *m == method)
            .unwrap_or("other");
        let status = match status {
            100..=199 => "1xx",
            200..=299 => "2xx",
            300..=399 => "3xx",
            400..=499 => "4xx",
            _ => "5xx",
        };
        RequestLabels {
            method,
            route: route.unwrap_or("unmatched").to_owned(),
            status,
        }
    }
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct KindLabel {
    kind: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ClientLabel {
    client: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PoolLabel {
    pool: &'static str,
}

type Latencies = Family<RequestLabels, Histogram, fn() -> Histogram>;

/// The installation's metrics. Cheap to clone: clones count into the same registry.
#[derive(Clone)]
pub struct Metrics(Arc<Inner>);

struct Inner {
    registry: Registry,
    requests: Latencies,
    issuances: Counter,
    cancellations: Counter,
    signatures: Family<ClientLabel, Counter>,
    job_failures: Family<KindLabel, Counter>,
    jobs_waiting: Family<KindLabel, Gauge>,
    jobs_failed: Family<KindLabel, Gauge>,
    jobs_running: Family<KindLabel, Gauge>,
    outbox_unsent: Gauge,
    database_up: Gauge,
    pool_connections: Family<PoolLabel, Gauge>,
    pool_idle: Family<PoolLabel, Gauge>,
    pool_max: Family<PoolLabel, Gauge>,
    /// When the database was last read; held across the read, so that scrapes share it.
    last_read: tokio::sync::Mutex<Option<Instant>>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metrics(..)")
    }
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("certdesk");
        let requests: Latencies = Family::new_with_constructor(|| Histogram::new(LATENCY_BUCKETS));
        registry.register_with_unit(
            "http_request_duration",
            "Time to answer an HTTP request, by method, route template and status class",
            Unit::Seconds,
            requests.clone(),
        );
        let inner = Inner {
            requests,
            issuances: register(&mut registry, "issuances", "Certificates issued"),
            cancellations: register(
                &mut registry,
                "cancellations",
                "Issuances cancelled by a ΔΨΠ («Ακύρωση διαδικασίας έκδοσης ΨΠ»)",
            ),
            signatures: register(
                &mut registry,
                "signatures",
                "Signatures made with a holder's key and recorded in the signing log, by client",
            ),
            job_failures: register(
                &mut registry,
                "job_failures",
                "Background jobs that failed and were given back for a retry, by kind",
            ),
            jobs_waiting: register(
                &mut registry,
                "jobs_waiting",
                "Jobs queued and held by no worker (due now or later), by kind",
            ),
            jobs_failed: register(
                &mut registry,
                "jobs_failed",
                "Waiting jobs that failed and wait for their retry, by kind",
            ),
            jobs_running: register(
                &mut registry,
                "jobs_running",
                "Jobs held by a worker under a lease, by kind",
            ),
            outbox_unsent: register(
                &mut registry,
                "outbox_unsent",
                "Emails of the outbox not sent yet",
            ),
            database_up: register(
                &mut registry,
                "database_up",
                "1 when the database answered the last reading of these gauges, else 0",
            ),
            pool_connections: register(
                &mut registry,
                "db_pool_connections",
                "Open connections of a database pool, idle or in use",
            ),
            pool_idle: register(
                &mut registry,
                "db_pool_idle_connections",
                "Idle connections of a database pool",
            ),
            pool_max: register(
                &mut registry,
                "db_pool_max_connections",
                "The most connections a database pool opens",
            ),
            last_read: tokio::sync::Mutex::new(None),
            registry,
        };
        // Every series exists from the start, at zero, so that a rate over it is defined.
        for kind in JobKind::ALL {
            let _ = inner.job_failures.get_or_create(&kind_label(kind));
        }
        for client in SigningClient::ALL {
            let _ = inner.signatures.get_or_create(&ClientLabel {
                client: client.code(),
            });
        }
        Metrics(Arc::new(inner))
    }
}

fn register<M>(registry: &mut Registry, name: &str, help: &str) -> M
where
    M: prometheus_client::registry::Metric + Clone + Default,
{
    let metric = M::default();
    registry.register(name, help, metric.clone());
    metric
}

fn kind_label(kind: JobKind) -> KindLabel {
    KindLabel { kind: kind.code() }
}

impl Metrics {
    /// A request answered after `elapsed`.
    pub fn observe_request(&self, labels: &RequestLabels, elapsed: Duration) {
        self.0
            .requests
            .get_or_create(labels)
            .observe(elapsed.as_secs_f64());
    }

    pub(crate) fn issued(&self, count: u64) {
        self.0.issuances.inc_by(count);
    }

    pub(crate) fn cancelled(&self) {
        self.0.cancellations.inc();
    }

    pub(crate) fn signed(&self, client: SigningClient, count: u64) {
        self.0
            .signatures
            .get_or_create(&ClientLabel {
                client: client.code(),
            })
            .inc_by(count);
    }

    pub(crate) fn job_failed(&self, kind: JobKind) {
        self.0.job_failures.get_or_create(&kind_label(kind)).inc();
    }

    /// Reads the gauges that only the database knows, unless they were read within
    /// [`REFRESH`]. A database that does not answer leaves the last values, and
    /// `certdesk_database_up` at 0.
    async fn refresh(&self, store: &dyn Store, now: chrono::DateTime<chrono::Utc>) {
        let inner = &self.0;
        let mut last_read = inner.last_read.lock().await;
        if last_read.is_some_and(|at| at.elapsed() < REFRESH) {
            return;
        }
        for pool in store.pools() {
            let label = PoolLabel { pool: pool.name };
            inner
                .pool_connections
                .get_or_create(&label)
                .set(pool.size.into());
            inner.pool_idle.get_or_create(&label).set(pool.idle.into());
            inner.pool_max.get_or_create(&label).set(pool.max.into());
        }
        let read = async {
            let jobs = store.job_counts(now).await?;
            let unsent = store.unsent_emails().await?;
            StoreResult::Ok((jobs, unsent))
        };
        match read.await {
            Ok((jobs, unsent)) => {
                for kind in JobKind::ALL {
                    let count = jobs.iter().find(|c| c.kind == kind);
                    let label = kind_label(kind);
                    let value = |pick: fn(&JobCount) -> i64| count.map_or(0, pick);
                    inner
                        .jobs_waiting
                        .get_or_create(&label)
                        .set(value(|c| c.waiting));
                    inner
                        .jobs_failed
                        .get_or_create(&label)
                        .set(value(|c| c.failed));
                    inner
                        .jobs_running
                        .get_or_create(&label)
                        .set(value(|c| c.running));
                }
                inner.outbox_unsent.set(unsent);
                inner.database_up.set(1);
            }
            Err(error) => {
                tracing::warn!(%error, "the metrics' gauges could not be read from the database");
                inner.database_up.set(0);
            }
        }
        *last_read = Some(Instant::now());
    }

    fn encode(&self) -> String {
        let mut text = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut text, &self.0.registry);
        text
    }
}

impl App {
    /// The installation's metrics, for the web layer to count requests into.
    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    /// The exposition `/metrics` answers, its database gauges read first (see [`REFRESH`]).
    pub async fn metrics_exposition(&self) -> String {
        self.metrics.refresh(self.store.as_ref(), self.now()).await;
        self.metrics.encode()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn made_up_methods_and_paths_do_not_make_new_series() {
        let labels = RequestLabels::new("BREW", None, 418);
        assert_eq!(labels.method, "other");
        assert_eq!(labels.route, "unmatched");
        assert_eq!(labels.status, "4xx");
        let labels = RequestLabels::new("POST", Some("/api/v1/applications/{id}/cancel"), 200);
        assert_eq!(labels.method, "POST");
        assert_eq!(labels.status, "2xx");
        assert_eq!(RequestLabels::new("GET", None, 503).status, "5xx");
    }

    #[test]
    fn the_counters_are_named_as_documented() {
        let metrics = Metrics::default();
        metrics.cancelled();
        metrics.issued(3);
        metrics.signed(SigningClient::Csc, 10);
        metrics.observe_request(
            &RequestLabels::new("GET", Some("/employees/{id}"), 200),
            Duration::from_millis(3),
        );
        let text = metrics.encode();
        for line in [
            "certdesk_cancellations_total 1",
            "certdesk_issuances_total 3",
            "certdesk_signatures_total{client=\"csc\"} 10",
            "certdesk_signatures_total{client=\"portal\"} 0",
            "certdesk_job_failures_total{kind=\"issue_certificate\"} 0",
            "certdesk_http_request_duration_seconds_count{method=\"GET\",route=\"/employees/{id}\",status=\"2xx\"} 1",
            "# EOF",
        ] {
            assert!(text.lines().any(|l| l == line), "{line} in\n{text}");
        }
    }
}
