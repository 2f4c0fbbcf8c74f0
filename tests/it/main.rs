//! feedbraid's integration tests: one test binary, one module per subject, each
//! driving the library or the built `feedbraid` binary from outside. Servers listen
//! on 127.0.0.1:0; tests that need an outside program (newsboat, Python feedparser,
//! Chromium, systemd-analyze) or the shared real-world corpus skip with a printed
//! reason when it is missing, and run under CI (`CI=true`), which provides them.
//!
//! - `common`: fixture feed servers, scripted servers and the harness that runs
//!   feedbraid against them.
//! - `support`: corpus generators and loaders shared with the benchmarks.
//!
//! Subjects, from the inside out: `config`, `parse`, `topic`, `cluster`, `render`,
//! `hostile`, `robustness`, `fetch_guard`, `polite`, `dispatch`, `schedule`, `store_writes`,
//! `retention`, `membership`, `full_text`, `content_rules`, `everything_feed`, `feed_changes`, `stories`, `real_news`,
//! `end_to_end`, `several_nodes`, `packing`, `metrics`, `consumers`, `status_page_chromium`, `cli`, `daemon`,
//! `systemd_unit`.

mod common;
mod support;

// The daemon's allocator, for the tests that run the library in this process.
feedbraid::product_allocator!();

mod cli;
mod cluster;
mod config;
mod consumers;
mod content_rules;
mod daemon;
mod dispatch;
mod end_to_end;
mod everything_feed;
mod feed_changes;
mod fetch_guard;
mod full_text;
mod hostile;
mod membership;
mod metrics;
mod packing;
mod parse;
mod polite;
mod postgres_tls;
mod real_news;
mod render;
mod repeats;
mod retention;
mod robustness;
mod schedule;
mod several_nodes;
mod status_page_chromium;
mod store_writes;
mod stories;
mod systemd_unit;
mod topic;
