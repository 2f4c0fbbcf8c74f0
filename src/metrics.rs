//! Prometheus metrics (prometheus-client), all named `feedbraid_*`: polls by outcome
//! and their duration, items ingested and copies merged into stories, requests served
//! by feed and status, and per-source gauges filled from the store at scrape time.
//! The share of polls answered 304 is
//! `rate(feedbraid_polls_total{outcome="not_modified"}[1h]) / rate(feedbraid_polls_total[1h])`.

use std::sync::Mutex;
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

use crate::model::SourceState;

/// About the bytes of a source's lines in the exposition: its three gauges, each
/// a line naming the source.
const SOURCE_LINES_BYTES: usize = 192;

/// What one poll adds to the counters: its outcome and, when it stored a document,
/// how many items were new, updated and merged into stories. Polling reports in these
/// terms, so metrics knows nothing of polling.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PolledCounts {
    Stored {
        new: usize,
        updated: usize,
        merged: usize,
    },
    NotModified,
    Failed,
    Skipped,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabels {
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    feed: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct SourceLabels {
    source: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct NodeLabels {
    node: String,
}

/// This node among the nodes sharing a database, as a scrape finds it.
pub struct NodeState {
    /// Its name (`Store::node`).
    pub node: String,
    /// The sources it holds a lease on: those it is polling.
    pub leases: u64,
}

/// Every metric feedbraid exports, and the registry that encodes them.
pub struct Metrics {
    registry: Registry,
    polls: Family<OutcomeLabels, Counter>,
    poll_seconds: Histogram,
    items_new: Counter,
    items_updated: Counter,
    copies_merged: Counter,
    requests: Family<RequestLabels, Counter>,
    last_success: Family<SourceLabels, Gauge>,
    error_streak: Family<SourceLabels, Gauge>,
    source_items: Family<SourceLabels, Gauge>,
    feeds_refilling: Gauge,
    polls_running: Gauge,
    polls_queued: Gauge,
    node: Family<NodeLabels, Gauge>,
    leases: Gauge,
    articles: Family<OutcomeLabels, Counter>,
    /// Serializes scrapes: gauges are reset and refilled per scrape.
    scrape: Mutex<()>,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("feedbraid");
        let polls = Family::<OutcomeLabels, Counter>::default();
        registry.register(
            "polls",
            "Source polls by outcome (stored, not_modified, failed, skipped)",
            polls.clone(),
        );
        let buckets = [0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 60.0];
        let poll_seconds = Histogram::new(buckets);
        registry.register(
            "poll_duration_seconds",
            "Time to poll one source, fetch to stored",
            poll_seconds.clone(),
        );
        let items_new = Counter::default();
        registry.register("items_ingested", "New items stored", items_new.clone());
        let items_updated = Counter::default();
        registry.register(
            "items_updated",
            "Stored items updated in place after an edit",
            items_updated.clone(),
        );
        let copies_merged = Counter::default();
        registry.register(
            "copies_merged",
            "New items that joined a story another source already carried",
            copies_merged.clone(),
        );
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "feed_requests",
            "Feed requests served, by feed and HTTP status",
            requests.clone(),
        );
        let last_success = Family::<SourceLabels, Gauge>::default();
        registry.register(
            "source_last_success_timestamp_seconds",
            "When each source was last polled successfully",
            last_success.clone(),
        );
        let error_streak = Family::<SourceLabels, Gauge>::default();
        registry.register(
            "source_error_streak",
            "Failed polls in a row, per source",
            error_streak.clone(),
        );
        let source_items = Family::<SourceLabels, Gauge>::default();
        registry.register(
            "source_items",
            "Stored items per source",
            source_items.clone(),
        );
        let feeds_refilling = Gauge::default();
        registry.register(
            "feeds_refilling",
            "Feeds whose definition changed and whose items are being sorted in again (or whose rows, no longer read, are being dropped)",
            feeds_refilling.clone(),
        );
        let polls_running = Gauge::default();
        registry.register(
            "polls_running",
            "Polls under way (fetching, parsing or storing); at most fetch.concurrency + 2 per core + 32, and up to 32 more waiting for their commit",
            polls_running.clone(),
        );
        let polls_queued = Gauge::default();
        registry.register(
            "polls_queued",
            "Due sources waiting for a place or for their host's turn",
            polls_queued.clone(),
        );
        let node = Family::<NodeLabels, Gauge>::default();
        registry.register(
            "node",
            "This node's name among the nodes sharing a database (always 1)",
            node.clone(),
        );
        let leases = Gauge::default();
        registry.register(
            "leases_held",
            "Sources this node holds a lease on: those it is polling (0 on SQLite, which one node writes)",
            leases.clone(),
        );
        let articles = Family::<OutcomeLabels, Counter>::default();
        registry.register(
            "article_fetches",
            "Article pages fetched for full text, by outcome (stored, no_article, failed, given_up)",
            articles.clone(),
        );
        Metrics {
            registry,
            articles,
            polls_running,
            polls_queued,
            node,
            leases,
            polls,
            poll_seconds,
            items_new,
            items_updated,
            copies_merged,
            requests,
            last_success,
            error_streak,
            source_items,
            feeds_refilling,
            scrape: Mutex::new(()),
        }
    }

    /// Adds `feeds` to (or, negative, removes them from) the feeds being refilled.
    pub fn refilling(&self, feeds: i64) {
        self.feeds_refilling.inc_by(feeds);
    }

    /// Polls under way and due sources waiting, as the polling loop's dispatch says.
    pub fn polls_waiting(&self, running: usize, queued: usize) {
        self.polls_running
            .set(i64::try_from(running).unwrap_or(i64::MAX));
        self.polls_queued
            .set(i64::try_from(queued).unwrap_or(i64::MAX));
    }

    /// Records one article page's fetch: `stored`, `no_article` (the item keeps the
    /// feed's content), `failed` (retried later) or `given_up`.
    pub fn observe_article(&self, outcome: &'static str) {
        self.articles
            .get_or_create(&OutcomeLabels { outcome })
            .inc();
    }

    /// Records one finished poll.
    pub fn observe_poll(&self, poll: PolledCounts, took: Duration) {
        let outcome = match poll {
            PolledCounts::Stored {
                new,
                updated,
                merged,
            } => {
                self.items_new.inc_by(new as u64);
                self.items_updated.inc_by(updated as u64);
                self.copies_merged.inc_by(merged as u64);
                "stored"
            }
            PolledCounts::NotModified => "not_modified",
            PolledCounts::Failed => "failed",
            PolledCounts::Skipped => "skipped",
        };
        self.polls.get_or_create(&OutcomeLabels { outcome }).inc();
        if outcome != "skipped" {
            self.poll_seconds.observe(took.as_secs_f64());
        }
    }

    /// Records one answered feed request (`feed` is a configured name, never user text).
    pub fn observe_request(&self, feed: &str, status: u16) {
        self.requests
            .get_or_create(&RequestLabels {
                feed: feed.to_string(),
                status,
            })
            .inc();
    }

    /// The text exposition, with the per-source gauges taken from `sources` and this
    /// node's from `node`.
    pub fn render(&self, sources: &[SourceState], node: &NodeState) -> String {
        let _turn = self.scrape.lock();
        self.node.clear();
        self.node
            .get_or_create(&NodeLabels {
                node: node.node.clone(),
            })
            .set(1);
        self.leases
            .set(i64::try_from(node.leases).unwrap_or(i64::MAX));
        for s in sources {
            let labels = SourceLabels {
                source: s.name.clone(),
            };
            if let Some(at) = s.last_success {
                self.last_success.get_or_create(&labels).set(at.timestamp());
            }
            self.error_streak
                .get_or_create(&labels)
                .set(i64::from(s.error_streak));
            self.source_items
                .get_or_create(&labels)
                .set(i64::try_from(s.items).unwrap_or(i64::MAX));
        }
        // Room for every source's lines at once (see `SOURCE_LINES_BYTES`).
        let mut text = String::with_capacity(4096 + SOURCE_LINES_BYTES * sources.len());
        // Encoding into a String cannot fail.
        let _ = encode(&mut text, &self.registry);
        // Filled anew by each scrape: between scrapes, a thousand sources' labels
        // would only be memory.
        self.last_success.clear();
        self.error_streak.clear();
        self.source_items.clear();
        text
    }
}
