//! Full text: the article pages of full-text sources' items, fetched after the item
//! is stored (it is served at once, and gains its full text when the page comes).
//! The store queues one fetch per new or edited item; this module takes what is due,
//! fetches each page in its host's turn — the same per-host slots, spacing, timeouts,
//! body cap and SSRF guard as feed polls, through the same [`Fetcher`] — extracts and
//! prepares the article on the parse pool, and records the outcome. A page that
//! fails is retried with backoff a few times ([`retry_delay`]); a 429 or 503 holds
//! back every request to that host, feed polls included. One item's failure is
//! recorded on it and its source, and never stops the others.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;
use tokio::sync::watch;
use tokio::time::Instant;

use crate::config::{Config, SourceConfig};
use crate::dispatch::{Dispatch, sleep_until};
use crate::fetch::{Access, FetchError, Fetcher, HostTurn, Validators};
use crate::membership::WordsRecipe;
use crate::model::{ArticleJob, ArticleText};
use crate::parse::article::{self, PageRefused};
use crate::parse_pool::{ParsePool, PoolError};
use crate::poll::PollContext;
use crate::store::StoreError;

/// Article fetches claimed from the queue at a time.
const BATCH: usize = 128;
/// Claimed fetches waiting for their host's turn beyond which no more are claimed.
pub const MAX_WAITING: usize = 2 * BATCH;
/// How often the queue is looked at again, while pages are fetched, once it ran dry.
const RECLAIM: Duration = Duration::from_secs(1);
/// How long a claimed fetch is kept from being handed out again: longer than any
/// fetch takes, so only a fetch whose outcome was never recorded (the daemon
/// stopped) comes due again.
const LEASE: Duration = Duration::from_secs(15 * 60);
/// Fetches of one page before it is given up (the item keeps the feed's content).
pub const MAX_ATTEMPTS: u32 = 4;
/// Waits before the second, third and fourth fetch of a page that failed.
const BACKOFF: [Duration; 3] = [
    Duration::from_secs(5 * 60),
    Duration::from_secs(30 * 60),
    Duration::from_secs(2 * 60 * 60),
];
/// How long a host that answered 429 or 503 without `Retry-After` is left alone.
const DEFAULT_HOLD: Duration = Duration::from_secs(60);
/// The longest a host is left alone whatever its `Retry-After` says: its feeds must
/// still be polled.
const MAX_HOLD: Duration = Duration::from_secs(60 * 60);
/// The longest the daemon's loop sleeps without looking at the queue again.
const IDLE_CHECK: Duration = Duration::from_secs(60 * 60);

/// Why an item's article was not kept.
#[derive(Debug, thiserror::Error)]
pub enum ArticleError {
    #[error("invalid link {0}")]
    Link(String),
    #[error(transparent)]
    Fetch(#[from] FetchError),
    #[error("{0}")]
    Refused(#[from] PageRefused),
    #[error("the page came back empty (304)")]
    NoBody,
    #[error(transparent)]
    Pool(#[from] PoolError),
}

impl ArticleError {
    /// Whether fetching again later may help: network trouble and server errors,
    /// not a page that holds no article or a link that is gone.
    fn is_transient(&self) -> bool {
        match self {
            ArticleError::Fetch(FetchError::Status { status, .. }) => {
                matches!(status, 408 | 425 | 429) || *status >= 500
            }
            // The same page would be as large, or redirect the same way, next time.
            ArticleError::Fetch(
                FetchError::Refused(_) | FetchError::TooLarge { .. } | FetchError::Redirect(_),
            ) => false,
            ArticleError::Fetch(_) | ArticleError::NoBody | ArticleError::Pool(_) => true,
            ArticleError::Link(_) | ArticleError::Refused(_) => false,
        }
    }
}

/// How long to wait before fetching a page again after its `failed`-th failure
/// (1-based); `None` once it has failed [`MAX_ATTEMPTS`] times.
pub fn retry_delay(failed: u32) -> Option<Duration> {
    if failed >= MAX_ATTEMPTS {
        return None;
    }
    let step = usize::try_from(failed.max(1) - 1).unwrap_or(usize::MAX);
    BACKOFF.get(step).or(BACKOFF.last()).copied()
}

/// What a run over the queue did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ArticleCounts {
    /// Articles kept as their item's content.
    pub stored: usize,
    /// Pages that hold no article longer than the feed's (the item stays as it was).
    pub no_article: usize,
    /// Fetches that failed and will be tried again.
    pub failed: usize,
    /// Pages given up after their last attempt, or whose failure will not pass.
    pub given_up: usize,
}

impl ArticleCounts {
    fn add(&mut self, outcome: Outcome) {
        match outcome {
            Outcome::Stored => self.stored += 1,
            Outcome::NoArticle => self.no_article += 1,
            Outcome::Failed => self.failed += 1,
            Outcome::GivenUp => self.given_up += 1,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Stored,
    NoArticle,
    Failed,
    GivenUp,
}

impl Outcome {
    fn label(self) -> &'static str {
        match self {
            Outcome::Stored => "stored",
            Outcome::NoArticle => "no_article",
            Outcome::Failed => "failed",
            Outcome::GivenUp => "given_up",
        }
    }
}

/// Fetches every article page due, each in its host's turn and at most
/// [`width`] at once, until none is due, none is under way and none waits for its
/// host. What `feedbraid poll` runs after its polls, and the daemon's loop whenever
/// something is due. `config` gives the config in force at each claim (the daemon's
/// may be reloaded meanwhile).
///
/// Fetches are claimed from the store a batch at a time, and more are claimed
/// whenever there is room (at most every [`RECLAIM`] once the queue ran dry),
/// leaving out hosts that already have [`host_share`] claimed: a slow or held host
/// keeps only its own pages waiting, and other hosts' pages start beside them. A
/// fetch claimed again while it still waits here (its lease ran out) is not queued
/// twice. One page's failure to be recorded is logged, and the others go on.
pub async fn fetch_due(
    ctx: &PollContext,
    config: impl Fn() -> Arc<Config>,
) -> Result<ArticleCounts, StoreError> {
    let mut counts = ArticleCounts::default();
    let mut current = config();
    let width = width(&current);
    let mut dispatch = Dispatch::new(width);
    let mut running = FuturesUnordered::new();
    // Claimed and not yet recorded: by item, and how many per host.
    let mut held: HashSet<i64> = HashSet::new();
    let mut by_host: HashMap<String, usize> = HashMap::new();
    let mut claim_at = Instant::now();
    loop {
        let room = dispatch.running() < width && dispatch.queued() < MAX_WAITING;
        let idle = running.is_empty() && dispatch.queued() == 0;
        if room && (idle || Instant::now() >= claim_at) {
            current = config();
            let share = host_share(&current);
            let full: Vec<String> = by_host
                .iter()
                .filter(|(_, n)| **n >= share)
                .map(|(host, _)| host.clone())
                .collect();
            let jobs = ctx
                .store
                .claim_articles(Utc::now(), BATCH, LEASE, full)
                .await?;
            if jobs.len() < BATCH {
                claim_at = Instant::now() + RECLAIM;
            }
            if jobs.is_empty() && idle {
                return Ok(counts);
            }
            for job in jobs {
                if held.contains(&job.item) {
                    continue;
                }
                let wanted = current
                    .source(&job.source)
                    .is_some_and(SourceConfig::wants_full_text);
                match url::Url::parse(&job.link) {
                    Ok(url) if wanted => {
                        held.insert(job.item);
                        *by_host.entry(crate::fetch::host_of(&url)).or_default() += 1;
                        let snapshot = Arc::clone(&current);
                        dispatch.push((job, snapshot), url);
                    }
                    // The source is gone from the config or no longer wants full text.
                    _ => {
                        let dropped = ctx
                            .store
                            .record_article_failure(job.item, job.claim, None, None)
                            .await;
                        log_failure(dropped)?;
                    }
                }
            }
        }
        while let Some(((job, config), url, turn)) = dispatch.next(&ctx.fetcher) {
            let item = job.item;
            running.push(async move {
                let outcome = process(ctx, &config, job, turn).await;
                (item, url, outcome)
            });
        }
        let wake = [dispatch.wake_at(), room.then_some(claim_at)]
            .into_iter()
            .flatten()
            .min();
        tokio::select! {
            Some((item, url, outcome)) = running.next() => {
                dispatch.done(&url);
                held.remove(&item);
                let host = crate::fetch::host_of(&url);
                if let Some(n) = by_host.get_mut(&host) {
                    *n = n.saturating_sub(1);
                    if *n == 0 {
                        by_host.remove(&host);
                    }
                }
                if let Some(outcome) = log_failure(outcome)? {
                    ctx.metrics.observe_article(outcome.label());
                    counts.add(outcome);
                }
            }
            _ = sleep_until(wake), if wake.is_some() => {}
        }
    }
}

/// Article pages fetched at once: a quarter of `[fetch] concurrency` (at least
/// one), so that a backlog of slow pages never takes every request slot from feed
/// polls, which share them.
pub fn width(config: &Config) -> usize {
    (config.fetch.concurrency / 4).max(1)
}

/// Pages of one host claimed and not yet recorded beyond which none of its pages
/// is claimed: enough to keep its `per_host` slots busy for a while.
fn host_share(config: &Config) -> usize {
    (4 * config.fetch.per_host).max(4)
}

/// `result`, with a store error that leaves the store working logged and dropped
/// (`Ok(None)`): one page's outcome that could not be written never stops the
/// others. The page comes due again when its lease ends. A closed store ends all.
fn log_failure<T>(result: Result<T, StoreError>) -> Result<Option<T>, StoreError> {
    match result {
        Ok(value) => Ok(Some(value)),
        Err(StoreError::Closed) => Err(StoreError::Closed),
        Err(error) => {
            tracing::error!(%error, "an article page's outcome was not recorded; it comes due again later");
            Ok(None)
        }
    }
}

/// One article page, fetched, prepared and recorded.
async fn process(
    ctx: &PollContext,
    config: &Config,
    job: ArticleJob,
    turn: HostTurn,
) -> Result<Outcome, StoreError> {
    let Some(source) = config.source(&job.source) else {
        return Ok(Outcome::GivenUp);
    };
    let recipe = WordsRecipe::of(config, source);
    let (item, claim, attempts) = (job.item, job.claim, job.attempts);
    let answer = fetch_article(&ctx.fetcher, &ctx.parsers, source, recipe, job, Some(turn)).await;
    let now = Utc::now();
    match answer {
        Ok(article) => {
            ctx.store.record_article(item, claim, article, now).await?;
            Ok(Outcome::Stored)
        }
        Err(ArticleError::Refused(reason)) => {
            tracing::debug!(source = %source.name, item, %reason, "the item keeps the feed's content");
            ctx.store
                .record_article_failure(item, claim, None, None)
                .await?;
            Ok(Outcome::NoArticle)
        }
        Err(error) => {
            let hold = host_hold(&error);
            let retry = error
                .is_transient()
                .then(|| retry_delay(attempts + 1))
                .flatten()
                .map(|delay| at_least(now, delay.max(hold.unwrap_or_default())));
            let outcome = if retry.is_some() {
                Outcome::Failed
            } else {
                Outcome::GivenUp
            };
            tracing::warn!(source = %source.name, item, %error, attempt = attempts + 1, retry = ?retry, "article page not fetched");
            ctx.store
                .record_article_failure(item, claim, Some(error.to_string()), retry)
                .await?;
            Ok(outcome)
        }
    }
}

/// How long the host must be left alone after `error`, if it asked (429 or 503).
fn host_hold(error: &ArticleError) -> Option<Duration> {
    match error {
        ArticleError::Fetch(FetchError::Status {
            status: 429 | 503,
            retry_after,
            ..
        }) => Some(retry_after.unwrap_or(DEFAULT_HOLD).min(MAX_HOLD)),
        _ => None,
    }
}

fn at_least(now: DateTime<Utc>, delay: Duration) -> DateTime<Utc> {
    now + chrono::Duration::from_std(delay).unwrap_or(chrono::Duration::MAX)
}

/// Fetches `job`'s page (in `turn`, when one was taken) and prepares its article on
/// `parsers`. A 429 or 503 holds back every request to the page's host. Stores
/// nothing: `feedbraid preview` shows what this returns.
pub async fn fetch_article(
    fetcher: &Fetcher,
    parsers: &ParsePool,
    source: &SourceConfig,
    recipe: Option<WordsRecipe>,
    job: ArticleJob,
    turn: Option<HostTurn>,
) -> Result<ArticleText, ArticleError> {
    let url =
        url::Url::parse(&job.link).map_err(|e| ArticleError::Link(format!("{}: {e}", job.link)))?;
    let access = Access::from_allow_private(source.allow_private_networks);
    let fetched = match fetcher
        .get_in_turn(&url, &Validators::default(), access, turn)
        .await
    {
        Ok(fetched) => fetched,
        Err(error) => {
            // The host that asked to wait: after a redirect (a link through a
            // redirector), the one that answered, not the link's.
            let asked = match &error {
                FetchError::Status {
                    answered_by: Some(answered),
                    ..
                } => (**answered).clone(),
                _ => url.clone(),
            };
            let error = ArticleError::Fetch(error);
            if let Some(hold) = host_hold(&error) {
                fetcher.hold_host(&asked, hold);
            }
            return Err(error);
        }
    };
    let body = fetched.body.ok_or(ArticleError::NoBody)?;
    let rules = source.source_rules();
    let page_url = fetched.final_url;
    let charset = fetched.charset;
    let prepared = parsers
        .run(move || {
            article::article_text(
                &body,
                &page_url,
                charset.as_deref(),
                &job,
                &rules,
                recipe.as_ref(),
            )
        })
        .await?;
    Ok(prepared?)
}

/// The daemon's article loop: fetches what is due, then sleeps until the next fetch
/// is due or a poll queues pages, until shutdown. Only a config with a full-text
/// source looks at the queue.
pub async fn run(
    ctx: PollContext,
    mut config: watch::Receiver<Arc<Config>>,
    mut shutdown: watch::Receiver<bool>,
) -> anyhow::Result<()> {
    loop {
        let current = config.borrow_and_update().clone();
        let mut wait = IDLE_CHECK;
        if current.sources.iter().any(SourceConfig::wants_full_text) {
            let latest = || config.borrow().clone();
            let stopped = tokio::select! {
                done = fetch_due(&ctx, latest) => match done {
                    Ok(counts) => {
                        if counts != ArticleCounts::default() {
                            tracing::info!(?counts, "article pages fetched");
                        }
                        false
                    }
                    Err(error) => {
                        tracing::error!(%error, "article fetches stopped; trying again in a minute");
                        true
                    }
                },
                _ = shutdown.wait_for(|stop| *stop) => return Ok(()),
            };
            wait = match ctx.store.next_article_due().await {
                _ if stopped => DEFAULT_HOLD,
                Ok(Some(at)) => (at - Utc::now())
                    .to_std()
                    .unwrap_or_default()
                    .min(IDLE_CHECK),
                Ok(None) => IDLE_CHECK,
                Err(_) => DEFAULT_HOLD,
            };
            // Due times are whole seconds: one due now is fetched at the next turn.
            wait = wait.max(Duration::from_secs(1));
        }
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = ctx.articles_queued.notified() => {}
            changed = config.changed() => if changed.is_err() { return Ok(()) },
            _ = shutdown.wait_for(|stop| *stop) => return Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failing_page_is_tried_a_few_times_with_growing_waits() {
        assert_eq!(retry_delay(1), Some(Duration::from_secs(300)));
        assert_eq!(retry_delay(2), Some(Duration::from_secs(1800)));
        assert_eq!(retry_delay(3), Some(Duration::from_secs(7200)));
        assert_eq!(retry_delay(MAX_ATTEMPTS), None);
    }

    #[test]
    fn only_trouble_that_may_pass_is_retried() {
        let status = |status| {
            ArticleError::Fetch(FetchError::Status {
                status,
                retry_after: None,
                answered_by: None,
            })
        };
        assert!(status(503).is_transient());
        assert!(status(429).is_transient());
        assert!(!status(404).is_transient());
        assert!(!status(410).is_transient());
        assert!(ArticleError::Fetch(FetchError::Timeout(Duration::from_secs(20))).is_transient());
        assert_eq!(host_hold(&status(429)), Some(DEFAULT_HOLD));
        let asked = ArticleError::Fetch(FetchError::Status {
            status: 503,
            retry_after: Some(Duration::from_secs(86_400)),
            answered_by: None,
        });
        assert_eq!(host_hold(&asked), Some(MAX_HOLD));
        assert_eq!(host_hold(&status(500)), None);
    }
}
