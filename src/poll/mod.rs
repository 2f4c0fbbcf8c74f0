//! One source's refresh, start to end, as one linear story: read its validators,
//! fetch, parse, store, decide when to come back. Whatever goes wrong is recorded on
//! that source alone; nothing here can stop or delay another source.
//!
//! `outcome`: what a poll tells its caller ([`PollReport`]) and how it reads.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::config::{Config, SourceConfig, SourceTiming};
use crate::content_rules::SourceRules;
use crate::dispatch::{Committing, Dispatch};
use crate::fetch::redirect::{self, RedirectMemory};
use crate::fetch::{Access, FetchError, Fetched, Fetcher, HostTurn, Validators};
use crate::membership;
use crate::metrics::Metrics;
use crate::model::ParsedFeed;
use crate::parse::{KnownContent, ParseError};
use crate::parse_pool::ParsePool;
use crate::store::{Claimed, FailureRecord, PollRecord, SourcePollState, Store, StoreError};
use crate::timing::{self, Bounds, Hints};

mod last_served;
mod outcome;

pub use last_served::LastServed;

pub use outcome::{PollMode, PollOutcome, PollReport, SkipReason};

/// What polling needs: the HTTP client and the store.
#[derive(Clone)]
pub struct PollContext {
    pub fetcher: Fetcher,
    pub store: Store,
    pub metrics: Arc<Metrics>,
    /// Where fetched documents are parsed (see [`ParsePool`]).
    pub parsers: ParsePool,
    /// Told when a poll queued article pages (full text), so the article loop need
    /// not look at the queue after every write.
    pub articles_queued: Arc<tokio::sync::Notify>,
    /// What each source served at its last stored poll, for parsing its next one.
    pub last_served: Arc<LastServed>,
    /// Polls whose outcome is with the store: their places go to others meanwhile.
    pub committing: Arc<Committing>,
}

impl PollContext {
    /// A context with its own (unexported) metrics.
    pub fn new(fetcher: Fetcher, store: Store) -> PollContext {
        PollContext::with_metrics(fetcher, store, Arc::new(Metrics::new()))
    }

    /// A context that counts into `metrics`.
    ///
    /// # Panics
    /// When the parsing threads cannot be started (the system is out of threads).
    pub fn with_metrics(fetcher: Fetcher, store: Store, metrics: Arc<Metrics>) -> PollContext {
        let parsers = ParsePool::per_core().expect("cannot start the parsing threads");
        PollContext::with_parsers(fetcher, store, metrics, parsers)
    }

    /// A context that parses on `parsers`.
    pub fn with_parsers(
        fetcher: Fetcher,
        store: Store,
        metrics: Arc<Metrics>,
        parsers: ParsePool,
    ) -> PollContext {
        PollContext {
            fetcher,
            store,
            metrics,
            parsers,
            articles_queued: Arc::new(tokio::sync::Notify::new()),
            last_served: Arc::default(),
            committing: Arc::default(),
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

/// A fingerprint of a source's config entry: when it changes, a gone source is
/// polled again. A hash of a stable, versioned text of every key of the entry (not of
/// `Debug` output, which a compiler or dependency upgrade may change).
pub fn entry_fingerprint(source: &SourceConfig) -> String {
    let timing = match &source.timing {
        SourceTiming::Interval(every) => format!("every {}ms", every.as_millis()),
        SourceTiming::Schedule(cron) => format!("cron {cron}"),
    };
    crate::identity::definition_digest(
        "source entry v1",
        &[
            ("name", serde_json::json!(source.name)),
            ("url", serde_json::json!(source.url.as_str())),
            ("title", serde_json::json!(source.title)),
            ("tags", serde_json::json!(source.tags)),
            ("timing", serde_json::json!(timing)),
            (
                "allow_private_networks",
                serde_json::json!(source.allow_private_networks),
            ),
            ("priority", serde_json::json!(source.priority)),
            ("max_items", serde_json::json!(source.max_items)),
        ],
    )
}

/// Why `state` says not to poll now, if it does.
pub fn skip_reason(
    state: &SourcePollState,
    source: &SourceConfig,
    now: DateTime<Utc>,
) -> Option<SkipReason> {
    if state.gone_entry.as_deref() == Some(entry_fingerprint(source).as_str()) {
        return Some(SkipReason::Gone);
    }
    match state.retry_after_until {
        Some(until) if until > now => Some(SkipReason::RetryAfter(until)),
        _ => None,
    }
}

/// How far the clocks of nodes sharing a database may differ.
const CLOCK_SKEW: chrono::Duration = chrono::Duration::seconds(5);

/// The report of a poll skipped for `reason`, due again at `next_poll`.
fn skipped(source: &SourceConfig, reason: SkipReason, next_poll: DateTime<Utc>) -> PollReport {
    let report = PollReport {
        source: source.name.clone(),
        outcome: PollOutcome::Skipped(reason),
        next_poll,
    };
    tracing::info!(source = %report.source, "{report}");
    report
}

/// Polls one source, honouring `Retry-After` and 410 Gone, and records the outcome.
pub async fn poll_source(
    ctx: &PollContext,
    config: &Config,
    source: &SourceConfig,
) -> Result<PollReport, StoreError> {
    poll_source_with(ctx, config, source, PollMode::Respect).await
}

/// Polls one source and records the outcome. Only a failing store is an error here;
/// every fetch or parse problem is recorded on the source and reported.
pub async fn poll_source_with(
    ctx: &PollContext,
    config: &Config,
    source: &SourceConfig,
    mode: PollMode,
) -> Result<PollReport, StoreError> {
    poll_source_in_turn(ctx, config, source, mode, None).await
}

/// [`poll_source_with`] in a turn of the source's host taken beforehand (see
/// [`crate::dispatch`]).
pub async fn poll_source_in_turn(
    ctx: &PollContext,
    config: &Config,
    source: &SourceConfig,
    mode: PollMode,
    turn: Option<HostTurn>,
) -> Result<PollReport, StoreError> {
    let started = Utc::now();
    // A scheduled poll is due now, give or take the clocks of the nodes sharing the
    // database: one another node polled since is due an interval later.
    let due_by = (mode == PollMode::Scheduled).then(|| started + CLOCK_SKEW);
    let state = match ctx
        .store
        .claim_source(&source.name, config.storage.lease, due_by)
        .await?
    {
        Claimed::Granted(state) => state,
        Claimed::Leased { node, until } => {
            return Ok(skipped(source, SkipReason::Leased { node, until }, until));
        }
        Claimed::NotDue { next_poll } => {
            let reason = SkipReason::NotDue(next_poll);
            return Ok(skipped(source, reason, next_poll));
        }
    };
    if mode != PollMode::Force
        && let Some(reason) = skip_reason(&state, source, started)
    {
        let next_poll = match &reason {
            SkipReason::RetryAfter(until) => state.next_poll.unwrap_or(*until).max(*until),
            _ => {
                started
                    + chrono::Duration::from_std(config.fetch.max_interval)
                        .unwrap_or(chrono::Duration::MAX)
            }
        };
        ctx.store.release_source(&source.name).await?;
        return Ok(skipped(source, reason, next_poll));
    }
    let validators = Validators {
        etag: state.etag.clone(),
        last_modified: state.last_modified.clone(),
    };
    let url = if state.url.is_empty() {
        source.url.to_string()
    } else {
        state.url.clone()
    };
    let bounds = Bounds {
        min: config.fetch.min_interval,
        max: config.fetch.max_interval,
    };
    let access = Access::from_allow_private(source.allow_private_networks);
    // Topic filters need each item's words; they are seen to with the parsing.
    let prepare = || {
        (
            membership::WordsRecipe::of(config, source),
            source.content_rules(),
        )
    };
    let known = ctx.last_served.of(&source.name);
    let fetched = fetch_and_parse(ctx, &url, &validators, access, turn, prepare, known).await;
    let report = match fetched {
        Ok((fetched, feed)) => {
            let hints = Hints {
                ttl: feed
                    .as_ref()
                    .and_then(|f| f.ttl_minutes)
                    .map(|m| std::time::Duration::from_secs(u64::from(m) * 60)),
                fresh_for: fetched.fresh_for,
                retry_after: None,
            };
            let next_poll =
                timing::next_poll(&source.name, &source.timing, started, 0, hints, bounds);
            let memory = RedirectMemory {
                target: state.redirect_target.clone(),
                seen: state.redirect_seen,
            };
            let (memory, adopt) = redirect::observe(&memory, fetched.permanent_redirect.as_ref());
            if let Some(new_url) = &adopt {
                tracing::warn!(
                    source = %source.name,
                    from = %url,
                    to = %new_url,
                    "permanent redirect seen on {} polls in a row: polling the new URL from now on (the config file is left as it is; consider updating it)",
                    redirect::ADOPT_AFTER
                );
            }
            let outcome = if feed.is_some() {
                None
            } else {
                Some(PollOutcome::NotModified)
            };
            let served = feed
                .as_ref()
                .map(|feed| KnownContent::of(feed.entries.iter().map(|e| e.content_hash.as_str())));
            let record = PollRecord {
                at: started,
                http_status: fetched.status,
                etag: fetched.validators.etag,
                last_modified: fetched.validators.last_modified,
                feed,
                next_poll,
                redirect_target: memory.target,
                redirect_seen: memory.seen,
                adopt_url: adopt.map(|u| u.to_string()),
                full_text: source.wants_full_text(),
            };
            let summary = ctx
                .committing
                .wait_for(ctx.store.record_poll(&source.name, record))
                .await?;
            if let Some(served) = served {
                ctx.last_served.remember(&source.name, served);
            }
            if summary.articles_queued > 0 {
                ctx.articles_queued.notify_one();
            }
            PollReport {
                source: source.name.clone(),
                outcome: outcome.unwrap_or(PollOutcome::Stored(summary)),
                next_poll,
            }
        }
        Err(error) => record_failure(ctx, config, source, &state, started, bounds, error).await?,
    };
    log_report(&report, started);
    let took = (Utc::now() - started).to_std().unwrap_or_default();
    ctx.metrics.observe_poll(report.outcome.counts(), took);
    Ok(report)
}

/// Records a failed poll: backoff, `Retry-After` (429 and 503 only, for this source
/// only), or gone (410).
async fn record_failure(
    ctx: &PollContext,
    config: &Config,
    source: &SourceConfig,
    state: &SourcePollState,
    started: DateTime<Utc>,
    bounds: Bounds,
    error: PollError,
) -> Result<PollReport, StoreError> {
    let (http_status, retry_after) = match &error {
        PollError::Fetch(FetchError::Status {
            status,
            retry_after,
            ..
        }) => (
            Some(*status),
            retry_after
                .filter(|_| matches!(status, 429 | 503))
                .map(|d| d.min(config.fetch.max_interval)),
        ),
        _ => (None, None),
    };
    let gone = http_status == Some(410);
    let streak = state.error_streak + 1;
    let hints = Hints {
        retry_after,
        ..Hints::default()
    };
    let next_poll = timing::next_poll(&source.name, &source.timing, started, streak, hints, bounds);
    let retry_after_until = retry_after
        .and_then(|d| chrono::Duration::from_std(d).ok())
        .map(|d| started + d);
    let record = FailureRecord {
        at: started,
        http_status,
        error: error.to_string(),
        next_poll: (!gone).then_some(next_poll),
        gone_entry: gone.then(|| entry_fingerprint(source)),
        retry_after_until,
    };
    let error_streak = ctx
        .committing
        .wait_for(ctx.store.record_failure(&source.name, record))
        .await?;
    Ok(PollReport {
        source: source.name.clone(),
        outcome: PollOutcome::Failed {
            http_status,
            error: error.to_string(),
            error_streak,
        },
        next_poll,
    })
}

/// Fetches and, when a document came, parses it (off the async workers: parsing and
/// sanitizing are CPU work). `None` feed means 304.
async fn fetch_and_parse(
    ctx: &PollContext,
    url: &str,
    validators: &Validators,
    access: Access,
    turn: Option<HostTurn>,
    prepare: impl FnOnce() -> (Option<membership::WordsRecipe>, Option<SourceRules>),
    known: Option<Arc<KnownContent>>,
) -> Result<(Fetched, Option<ParsedFeed>), PollError> {
    let url = url::Url::parse(url).map_err(|e| PollError::Url(format!("{url}: {e}")))?;
    let mut fetched = ctx
        .fetcher
        .get_in_turn(&url, validators, access, turn)
        .await?;
    let Some(body) = fetched.body.take() else {
        return Ok((fetched, None));
    };
    let final_url = fetched.final_url.clone();
    let charset = fetched.charset.take();
    let (recipe, rules) = prepare();
    let parsed = ctx
        .parsers
        .parse(body, final_url, charset, recipe, rules, known)
        .await?;
    Ok((fetched, Some(parsed)))
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

/// Polls the given sources concurrently, honouring `Retry-After` and 410 Gone, and
/// returns their reports in the order given. At most [`poll_width`] polls run at
/// once, each started when its host has a turn ([`Dispatch`]), so sources sharing a
/// host wait in their host's queue without holding back other hosts.
pub async fn poll_sources(
    ctx: &PollContext,
    config: &Arc<Config>,
    sources: &[SourceConfig],
) -> Result<Vec<PollReport>, StoreError> {
    poll_sources_with(ctx, config, sources, PollMode::Respect).await
}

/// [`poll_sources`] with a choice of [`PollMode`].
pub async fn poll_sources_with(
    ctx: &PollContext,
    config: &Arc<Config>,
    sources: &[SourceConfig],
    mode: PollMode,
) -> Result<Vec<PollReport>, StoreError> {
    let mut dispatch = Dispatch::new(poll_width(config))
        .sharing_places(Arc::clone(&ctx.committing), crate::store::MAX_GROUP);
    for (index, source) in sources.iter().enumerate() {
        dispatch.push(index, source.url.clone());
    }
    let mut reports: Vec<Option<Result<PollReport, StoreError>>> =
        sources.iter().map(|_| None).collect();
    let ended = dispatch
        .run_all(&ctx.fetcher, |index, turn| {
            let source = &sources[index];
            async move {
                let report = poll_source_in_turn(ctx, config, source, mode, Some(turn)).await;
                (index, report)
            }
        })
        .await;
    for (index, report) in ended {
        reports[index] = Some(report);
    }
    reports.into_iter().flatten().collect()
}

/// How many polls run at once: the requests allowed in flight, plus two for each
/// parsing thread (one parsing, one fetched and next in line) so parsing never waits
/// for a fetch, plus a group's worth ([`crate::store::MAX_GROUP`]). A poll that starts
/// while the store holds a group of writes open hears back on its claim only when
/// the group commits (the claims that came meanwhile are answered together), and
/// holds its place until then: without those places the parsers run out of documents
/// at every group, and a poll of many sources takes 3–5 % longer. More would only hold
/// fetched bodies in memory, waiting for a parser. Polls waiting for their commit give
/// their places to others, up to a group's worth as well (see [`crate::dispatch`]).
pub fn poll_width(config: &Config) -> usize {
    let parsers = std::thread::available_parallelism().map_or(2, usize::from);
    config.fetch.concurrency.max(1) + 2 * parsers + crate::store::MAX_GROUP
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_known_entry_has_a_pinned_fingerprint_that_changes_with_any_key() {
        let source = SourceConfig {
            name: "harbor".into(),
            url: url::Url::parse("https://harbor.example/rss").unwrap(),
            title: Some("Harbor".into()),
            tags: vec!["world".into()],
            timing: SourceTiming::Interval(std::time::Duration::from_secs(900)),
            allow_private_networks: false,
            priority: 0,
            max_items: None,
            rules: Default::default(),
        };
        // A changed value here polls every gone source of every installation again:
        // only a deliberate change of the entry's form may change it.
        assert_eq!(
            entry_fingerprint(&source),
            "735915ff874a03c2516a1d174ccc6e1a"
        );
        let moved = SourceConfig {
            url: url::Url::parse("https://harbor.example/feed").unwrap(),
            ..source.clone()
        };
        let retimed = SourceConfig {
            timing: SourceTiming::Schedule("0 */5 * * * *".into()),
            ..source.clone()
        };
        assert_ne!(entry_fingerprint(&moved), entry_fingerprint(&source));
        assert_ne!(entry_fingerprint(&retimed), entry_fingerprint(&source));
    }
}
