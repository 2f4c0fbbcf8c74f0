//! One source's refresh, start to end, as one linear story: read its validators,
//! fetch, parse, store, decide when to come back. Whatever goes wrong is recorded on
//! that source alone; nothing here can stop or delay another source.

use std::fmt;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use futures_util::StreamExt;

use crate::config::{Config, SourceConfig};
use crate::fetch::{FetchError, Fetched, Fetcher, Validators};
use crate::model::ParsedFeed;
use crate::parse::{self, ParseError};
use crate::schedule::timing::{self, Bounds};
use crate::store::{FailureRecord, IngestSummary, PollRecord, Store, StoreError};

/// What polling needs: the HTTP client and the store.
#[derive(Clone)]
pub struct PollContext {
    pub fetcher: Fetcher,
    pub store: Store,
}

/// How one poll of one source went.
#[derive(Debug, Clone, PartialEq)]
pub struct PollReport {
    pub source: String,
    pub outcome: PollOutcome,
    pub next_poll: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum PollOutcome {
    /// A document was fetched and stored.
    Stored(IngestSummary),
    /// 304 Not Modified: nothing parsed, nothing written but the source's state.
    NotModified,
    /// The poll failed; stored items are untouched.
    Failed {
        http_status: Option<u16>,
        error: String,
        error_streak: u32,
    },
}

impl fmt::Display for PollReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.outcome {
            PollOutcome::Stored(s) if s.new + s.updated == 0 => {
                write!(f, "{}: unchanged ({} items)", self.source, s.unchanged)
            }
            PollOutcome::Stored(s) => write!(
                f,
                "{}: {} new, {} updated, {} unchanged",
                self.source, s.new, s.updated, s.unchanged
            ),
            PollOutcome::NotModified => write!(f, "{}: unchanged (304 Not Modified)", self.source),
            PollOutcome::Failed {
                error,
                error_streak,
                ..
            } => write!(
                f,
                "{}: error: {error} (failed {error_streak} time{} in a row)",
                self.source,
                if *error_streak == 1 { "" } else { "s" }
            ),
        }
    }
}

/// Why a poll failed, before it is recorded.
#[derive(Debug, thiserror::Error)]
enum PollError {
    #[error(transparent)]
    Fetch(#[from] FetchError),
    #[error(transparent)]
    Parse(#[from] ParseError),
    #[error("invalid URL {0}")]
    Url(String),
}

/// Polls one source and records the outcome. Only a failing store is an error here;
/// every fetch or parse problem is recorded on the source and reported.
pub async fn poll_source(
    ctx: &PollContext,
    config: &Config,
    source: &SourceConfig,
) -> Result<PollReport, StoreError> {
    let state = ctx
        .store
        .poll_state(&source.name)
        .await?
        .unwrap_or_default();
    let validators = Validators {
        etag: state.etag,
        last_modified: state.last_modified,
    };
    let url = if state.url.is_empty() {
        source.url.to_string()
    } else {
        state.url
    };
    let started = Utc::now();
    let bounds = Bounds {
        min: config.fetch.min_interval,
        max: config.fetch.max_interval,
    };
    let report = match fetch_and_parse(ctx, &url, &validators).await {
        Ok((status, validators, feed)) => {
            let hint = feed
                .as_ref()
                .and_then(|f| f.ttl_minutes)
                .map(|m| std::time::Duration::from_secs(u64::from(m) * 60));
            let next_poll =
                timing::next_poll(&source.name, &source.timing, started, 0, hint, bounds);
            let outcome = if feed.is_some() {
                None
            } else {
                Some(PollOutcome::NotModified)
            };
            let record = PollRecord {
                at: started,
                http_status: status,
                etag: validators.etag,
                last_modified: validators.last_modified,
                feed,
                next_poll,
            };
            let summary = ctx.store.record_poll(&source.name, record).await?;
            PollReport {
                source: source.name.clone(),
                outcome: outcome.unwrap_or(PollOutcome::Stored(summary)),
                next_poll,
            }
        }
        Err(error) => {
            let (http_status, hint) = match &error {
                PollError::Fetch(FetchError::Status {
                    status,
                    retry_after,
                }) => (Some(*status), *retry_after),
                _ => (None, None),
            };
            let streak = state.error_streak + 1;
            let next_poll =
                timing::next_poll(&source.name, &source.timing, started, streak, hint, bounds);
            let record = FailureRecord {
                at: started,
                http_status,
                error: error.to_string(),
                next_poll,
            };
            let error_streak = ctx.store.record_failure(&source.name, record).await?;
            PollReport {
                source: source.name.clone(),
                outcome: PollOutcome::Failed {
                    http_status,
                    error: error.to_string(),
                    error_streak,
                },
                next_poll,
            }
        }
    };
    log_report(&report, started);
    Ok(report)
}

/// Fetches and, when a document came, parses it (off the async workers: parsing and
/// sanitizing are CPU work). `None` feed means 304.
async fn fetch_and_parse(
    ctx: &PollContext,
    url: &str,
    validators: &Validators,
) -> Result<(u16, Validators, Option<ParsedFeed>), PollError> {
    let url = url::Url::parse(url).map_err(|e| PollError::Url(format!("{url}: {e}")))?;
    match ctx.fetcher.get(&url, validators).await? {
        Fetched::NotModified { validators } => Ok((304, validators, None)),
        Fetched::Document {
            status,
            body,
            validators,
            final_url,
        } => {
            let parsed = tokio::task::spawn_blocking(move || parse::parse_feed(&body, &final_url))
                .await
                .map_err(|e| PollError::Parse(ParseError::Invalid(e.to_string())))??;
            Ok((status, validators, Some(parsed)))
        }
    }
}

fn log_report(report: &PollReport, started: DateTime<Utc>) {
    let ms = (Utc::now() - started).num_milliseconds();
    match &report.outcome {
        PollOutcome::Failed { .. } => {
            tracing::warn!(source = %report.source, ms, next = %report.next_poll, "{report}")
        }
        _ => tracing::info!(source = %report.source, ms, next = %report.next_poll, "{report}"),
    }
}

/// Polls the given sources concurrently (the fetcher bounds requests in flight) and
/// returns their reports in the order given.
pub async fn poll_sources(
    ctx: &PollContext,
    config: &Arc<Config>,
    sources: &[SourceConfig],
) -> Result<Vec<PollReport>, StoreError> {
    let jobs = sources
        .iter()
        .map(|source| poll_source(ctx, config, source));
    let width = config.fetch.concurrency.max(1) * 2;
    let reports: Vec<Result<PollReport, StoreError>> = futures_util::stream::iter(jobs)
        .buffered(width)
        .collect()
        .await;
    reports.into_iter().collect()
}
