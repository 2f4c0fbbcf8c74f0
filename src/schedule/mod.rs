//! The polling loop of the daemon: a timer queue of sources ordered by their next poll
//! time, plus cron-scheduled sources whose jobs only enqueue work. Due sources go to
//! the [`Dispatch`], which starts a bounded number of polls, each when its host has a
//! turn; the loop drives the polls under way side by side (a panicking poll is caught
//! as its own ending), so a slow or failing source delays nobody else. After
//! downtime, overdue sources are spread over their interval ([`timing::catch_up`]).

pub mod cron;

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, Utc};
use futures_util::stream::FuturesUnordered;
use futures_util::{FutureExt, StreamExt};
use tokio::sync::{mpsc, watch};
use tokio_cron_scheduler::JobScheduler;

use crate::config::{Config, SourceTiming};
use crate::dispatch::Dispatch;
use crate::fetch::HostTurn;
use crate::poll::{self, PollContext, PollMode, PollReport, SkipReason};
use crate::timing;

/// Proof of life of the loop: the unix time of its last turn (read by the watchdog and `/healthz`).
#[derive(Clone, Default)]
pub struct Heartbeat(Arc<AtomicI64>);

impl Heartbeat {
    fn beat(&self) {
        self.0.store(Utc::now().timestamp(), Ordering::Release);
    }

    /// Seconds since the loop last turned (`None` before its first turn).
    pub fn age_secs(&self) -> Option<i64> {
        match self.0.load(Ordering::Acquire) {
            0 => None,
            at => Some(Utc::now().timestamp() - at),
        }
    }

    /// The loop's state for the health page and the watchdog, one rule for both:
    /// `ok` while it turned within [`STALE_AFTER_SECS`], else `stalled`; `starting`
    /// before its first turn.
    pub fn state(&self) -> &'static str {
        match self.age_secs() {
            Some(age) if age <= STALE_AFTER_SECS => "ok",
            Some(_) => "stalled",
            None => "starting",
        }
    }
}

/// Longest the polling loop may go without a turn and still count as alive (it turns
/// every [`BEAT`] when nothing is due).
pub const STALE_AFTER_SECS: i64 = 60;

/// How long a source waits after the store failed to record its poll.
const STORE_RETRY: chrono::Duration = chrono::Duration::seconds(60);

/// How long shutdown waits for polls in flight before abandoning them.
const POLL_GRACE: std::time::Duration = std::time::Duration::from_secs(2);

/// How often the loop turns even when nothing is due, to prove it is alive.
const BEAT: std::time::Duration = std::time::Duration::from_secs(5);

/// Runs until `shutdown` turns true: polls every configured source when due, follows
/// config changes sent on `config`, and waits for in-flight polls before returning.
pub async fn run(
    ctx: PollContext,
    mut config: watch::Receiver<Arc<Config>>,
    mut shutdown: watch::Receiver<bool>,
    heartbeat: Heartbeat,
) -> anyhow::Result<()> {
    let (due_tx, mut due_rx) = mpsc::unbounded_channel::<String>();
    let mut current = config.borrow_and_update().clone();
    let mut queue = Queue::default();
    let mut cron = start_cron(&current, &due_tx).await?;
    queue.load(&ctx, &current).await?;
    // The polls under way, driven by this task (as `poll` drives its own): each poll
    // waits on the fetcher, the parse pool and the store, which work elsewhere, and a
    // task per poll would only add wake-ups between workers. A poll that panics is
    // caught as its own ending.
    let mut running: FuturesUnordered<PollTask> = FuturesUnordered::new();
    // Sources queued in `dispatch` or being polled: never twice at once.
    let mut busy: HashSet<String> = HashSet::new();
    let mut dispatch: Dispatch<String> = Dispatch::new(poll::poll_width(&current))
        .sharing_places(Arc::clone(&ctx.committing), crate::store::MAX_GROUP);
    loop {
        heartbeat.beat();
        while let Some((name, url, turn)) = dispatch.next(&ctx.fetcher) {
            if current.source(&name).is_some() {
                start(&ctx, &current, name, url, turn, &mut running);
            } else {
                // Gone from the config since it was queued (a reload).
                drop(turn);
                dispatch.done(&url);
                busy.remove(&name);
            }
        }
        ctx.metrics
            .polls_waiting(dispatch.running(), dispatch.queued());
        let wake = queue.next_due().unwrap_or_else(|| Utc::now() + BEAT);
        let mut sleep = (wake - Utc::now()).to_std().unwrap_or_default().min(BEAT);
        if let Some(turn) = dispatch.wake_at() {
            sleep = sleep.min(turn.saturating_duration_since(tokio::time::Instant::now()));
        }
        tokio::select! {
            _ = shutdown.changed() => break,
            changed = config.changed() => {
                if changed.is_err() { break; }
                current = config.borrow_and_update().clone();
                tracing::info!(sources = current.sources.len(), feeds = current.feeds.len(), "configuration reloaded");
                stop_cron(&mut cron).await;
                cron = start_cron(&current, &due_tx).await?;
                if let Err(e) = queue.load(&ctx, &current).await {
                    tracing::error!("cannot reload the poll queue: {e}");
                }
            }
            Some(name) = due_rx.recv() => enqueue(&current, name, &mut dispatch, &mut busy),
            Some(done) = running.next() => {
                // Every poll that has ended, in this one turn of the loop.
                let mut next = Some(done);
                while let Some(done) = next {
                    finished(done, &current, &mut dispatch, &mut busy, &mut queue);
                    next = running.next().now_or_never().flatten();
                }
            }
            _ = dispatch.place_given() => {}
            _ = tokio::time::sleep(sleep) => {
                for name in queue.pop_due(Utc::now()) {
                    enqueue(&current, name, &mut dispatch, &mut busy);
                }
            }
        }
    }
    stop_cron(&mut cron).await;
    tracing::info!(
        in_flight = running.len(),
        "scheduler stopping; waiting for polls in flight"
    );
    let drain = async { while running.next().await.is_some() {} };
    if tokio::time::timeout(POLL_GRACE, drain).await.is_err() {
        // Abandoned polls write nothing: a source's transaction is whole or absent,
        // and its next poll stays due, so the next start picks it up.
        tracing::warn!(
            abandoned = running.len(),
            "abandoning polls still in flight"
        );
        drop(running);
    }
    Ok(())
}

/// Takes in a poll's end: its source is free again and, polled by interval, back in
/// the timer queue.
fn finished(
    done: Finished,
    config: &Config,
    dispatch: &mut Dispatch<String>,
    busy: &mut HashSet<String>,
    queue: &mut Queue,
) {
    let Finished { name, url, report } = done;
    dispatch.done(&url);
    busy.remove(&name);
    match report {
        Some(report) => {
            let by_interval = matches!(
                config.source(&name).map(|s| &s.timing),
                Some(SourceTiming::Interval(_))
            );
            if by_interval && !report.stops_polling() {
                queue.push(report.next_poll, name);
            }
        }
        // The store could not record the poll, or the poll panicked (logged where it
        // happened): try that source again later rather than at once, so trouble
        // cannot spin.
        None => queue.push(Utc::now() + STORE_RETRY, name),
    }
}

/// A poll under way.
type PollTask = std::pin::Pin<Box<dyn Future<Output = Finished> + Send>>;

/// A poll's end: the source, the URL it was dispatched under, and its report (`None`
/// when the store could not record it or the poll panicked).
struct Finished {
    name: String,
    url: url::Url,
    report: Option<PollReport>,
}

/// Queues a due source for its host's turn, unless it is queued or being polled.
fn enqueue(
    config: &Config,
    name: String,
    dispatch: &mut Dispatch<String>,
    busy: &mut HashSet<String>,
) {
    let Some(source) = config.source(&name) else {
        return;
    };
    if busy.insert(name.clone()) {
        dispatch.push(name, source.url.clone());
    }
}

/// Starts one poll, in its host's turn, among those the loop drives.
fn start(
    ctx: &PollContext,
    config: &Arc<Config>,
    name: String,
    url: url::Url,
    turn: HostTurn,
    running: &mut FuturesUnordered<PollTask>,
) {
    let (ctx, config) = (ctx.clone(), Arc::clone(config));
    running.push(Box::pin(async move {
        let poll = async {
            match config.source(&name) {
                Some(source) => {
                    let mode = PollMode::Scheduled;
                    poll::poll_source_in_turn(&ctx, &config, source, mode, Some(turn))
                        .await
                        .map(Some)
                }
                None => Ok(None),
            }
        };
        // A panic (a bug) ends this poll alone, like a store failure.
        let report = match std::panic::AssertUnwindSafe(poll).catch_unwind().await {
            Ok(Ok(report)) => report,
            Ok(Err(e)) => {
                tracing::error!(source = %name, "cannot record poll: {e}");
                None
            }
            Err(panic) => {
                let why = panic
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_default();
                tracing::error!(source = %name, "a poll panicked: {why}");
                None
            }
        };
        Finished { name, url, report }
    }));
}

/// Interval sources by next poll time.
#[derive(Default)]
struct Queue {
    heap: BinaryHeap<Reverse<(DateTime<Utc>, String)>>,
    /// The time each queued source is due; heap entries that disagree are stale.
    due: HashMap<String, DateTime<Utc>>,
}

impl Queue {
    /// (Re)loads every interval source with its stored next poll time: a restart
    /// neither re-polls everything at once nor forgets when a source was due.
    async fn load(&mut self, ctx: &PollContext, config: &Config) -> anyhow::Result<()> {
        self.heap.clear();
        self.due.clear();
        let now = Utc::now();
        // One call for all: the store thread may be busy (refilling a changed feed),
        // and ten thousand calls in a row would each wait their turn.
        let mut states = ctx
            .store
            .poll_states(config.sources.iter().map(|s| s.name.clone()).collect())
            .await?;
        for source in &config.sources {
            if let SourceTiming::Interval(every) = source.timing {
                let stored = states.remove(&source.name);
                if let Some(state) = &stored
                    && poll::skip_reason(state, source, now) == Some(SkipReason::Gone)
                {
                    continue;
                }
                let at = match stored.and_then(|s| s.next_poll) {
                    Some(due) if due < now => timing::catch_up(&source.name, due, now, every),
                    Some(due) => due,
                    None => now,
                };
                self.push(at, source.name.clone());
            }
        }
        Ok(())
    }

    fn push(&mut self, at: DateTime<Utc>, name: String) {
        self.due.insert(name.clone(), at);
        self.heap.push(Reverse((at, name)));
    }

    fn next_due(&mut self) -> Option<DateTime<Utc>> {
        while let Some(Reverse((at, name))) = self.heap.peek() {
            if self.due.get(name) == Some(at) {
                return Some(*at);
            }
            self.heap.pop();
        }
        None
    }

    fn pop_due(&mut self, now: DateTime<Utc>) -> Vec<String> {
        let mut names = Vec::new();
        while let Some(at) = self.next_due() {
            if at > now {
                break;
            }
            if let Some(Reverse((_, name))) = self.heap.pop() {
                self.due.remove(&name);
                names.push(name);
            }
        }
        names
    }
}

/// Registers a cron job per `schedule` source; each job only sends the source's name.
async fn start_cron(
    config: &Config,
    due: &mpsc::UnboundedSender<String>,
) -> anyhow::Result<Option<JobScheduler>> {
    let cron_sources: Vec<(String, String)> = config
        .sources
        .iter()
        .filter_map(|s| match &s.timing {
            SourceTiming::Schedule(expr) => Some((expr.clone(), s.name.clone())),
            SourceTiming::Interval(_) => None,
        })
        .collect();
    cron::start_enqueuing(cron_sources, due.clone()).await
}
async fn stop_cron(cron: &mut Option<JobScheduler>) {
    if let Some(mut scheduler) = cron.take()
        && let Err(e) = scheduler.shutdown().await
    {
        tracing::warn!("stopping cron jobs: {e}");
    }
}
