//! feedbraid: a feed aggregator daemon.
//!
//! It polls many RSS, Atom and JSON feeds, stores each item once in SQLite (the same
//! story from many outlets is one story), and serves merged, topic-filtered feeds.
//!
//! The layout, from the pure core outwards (see ARCHITECTURE.md for the invariants):
//!
//! - [`config`]: the TOML file, parsed raw then validated into typed form.
//! - [`model`]: the plain data passed between stages.
//! - [`parse`], [`identity`], [`sanitize`]: bytes → normalized entries (pure).
//! - [`topic`]: include/exclude words and topic queries (pure).
//! - [`extract`]: an article page's main content, and elements removed by CSS
//!   selector (pure).
//! - [`content_rules`]: a source's full text, removals, rewrites and keep/drop
//!   queries (pure).
//! - [`membership`]: which feeds an item belongs in, decided at ingest (pure).
//! - [`cluster`]: which earlier item of another source a new item copies (pure).
//! - [`timing`]: when a source is polled next: interval, cron, backoff, jitter (pure).
//! - [`render`]: RSS, Atom, JSON Feed, HTML index and OPML writers (pure).
//! - [`metrics`]: Prometheus metrics.
//! - [`publish`]: builds an output feed from stored items and caches the rendered bytes.
//! - [`store`]: SQLite, on a thread of its own; the only module that touches rusqlite.
//! - [`fetch`]: HTTP GET with validators, timeouts and a body cap.
//! - [`parse_pool`]: the low-priority threads that parse fetched documents.
//! - [`dispatch`]: which due source's poll starts next (per-host queues, a bounded
//!   number of polls at once).
//! - [`poll`]: one source's refresh, start to end: fetch → parse → store.
//! - [`articles`]: full text: the article pages of new items, fetched after they
//!   are stored.
//! - [`schedule`]: the loop that polls each source when it is due.
//! - [`serve`]: the HTTP interface (axum).
//! - [`upkeep`]: retention and WAL upkeep on cron schedules.
//! - [`allocator`]: the C allocator's arena cap, and handing freed pages back.
//! - [`app`]: wiring for `feedbraid run`: the only place that spawns long-lived tasks.
//! - [`report`]: text reports for the command line.
//! - [`cli`]: the command line.

pub mod allocator;
// Unit tests run under the daemon's allocator.
#[cfg(test)]
crate::product_allocator!();
pub mod app;
pub mod articles;
pub mod cli;
pub mod cluster;
pub mod config;
pub mod content_rules;
pub mod dispatch;
pub mod extract;
pub mod fetch;
pub mod identity;
pub mod ingest;
pub mod membership;
pub mod metrics;
pub mod model;
pub mod packing;
pub mod parse;
pub mod parse_pool;
pub mod poll;
pub mod publish;
pub mod render;
pub mod report;
pub mod sanitize;
pub mod schedule;
pub mod serve;
pub mod store;
pub mod timing;
pub mod topic;
pub mod upkeep;

/// An error and its causes as one line, each cause said once: what a log line or a
/// stored failure shows. Drivers and clients put the reason a step failed (a refused
/// connection, a certificate for another name) in a cause, under a message that
/// names only the step.
pub(crate) fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(next) = cause {
        let more = next.to_string();
        if !text.contains(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        cause = next.source();
    }
    text
}
