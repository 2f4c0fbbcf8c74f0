//! The polling loop of the daemon: a timer queue of sources ordered by their next poll
//! time, plus cron-scheduled sources whose jobs only enqueue work. Each poll runs as
//! its own short task, so a slow or failing source delays nobody else.

pub mod cron;

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, Utc};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinSet;
use tokio_cron_scheduler::JobScheduler;

use crate::config::{Config, SourceTiming};
use crate::poll::{self, PollContext, PollReport, SkipReason};

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
    let mut running: JoinSet<(String, Option<PollReport>)> = JoinSet::new();
    let mut busy: HashSet<String> = HashSet::new();
    loop {
        heartbeat.beat();
        let wake = queue.next_due().unwrap_or_else(|| Utc::now() + BEAT);
        let sleep = (wake - Utc::now()).to_std().unwrap_or_default().min(BEAT);
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
            Some(name) = due_rx.recv() => start(&ctx, &current, &name, &mut busy, &mut running),
            Some(done) = running.join_next() => match done {
                Ok((_, Some(report))) => {
                    busy.remove(&report.source);
                    if !report.stops_polling() && matches!(current.source(&report.source).map(|s| &s.timing), Some(SourceTiming::Interval(_))) {
                        queue.push(report.next_poll, report.source);
                    }
                }
                Ok((name, None)) => {
                    // The store could not record the poll (logged there): try that
                    // source again later rather than at once, so trouble cannot spin.
                    busy.remove(&name);
                    queue.push(Utc::now() + STORE_RETRY, name);
                }
                Err(e) => {
                    // A poll task panicked: a bug. Rebuild the queue from the store.
                    tracing::error!("poll task failed: {e}");
                    busy.clear();
                    if let Err(e) = queue.load(&ctx, &current).await {
                        tracing::error!("cannot reload the poll queue: {e}");
                    }
                }
            },
            _ = tokio::time::sleep(sleep) => {
                for name in queue.pop_due(Utc::now()) {
                    start(&ctx, &current, &name, &mut busy, &mut running);
                }
            }
        }
    }
    stop_cron(&mut cron).await;
    tracing::info!(
        in_flight = running.len(),
        "scheduler stopping; waiting for polls in flight"
    );
    let drain = async { while running.join_next().await.is_some() {} };
    if tokio::time::timeout(POLL_GRACE, drain).await.is_err() {
        // Abandoned polls write nothing: a source's transaction is whole or absent,
        // and its next poll stays due, so the next start picks it up.
        tracing::warn!(
            abandoned = running.len(),
            "abandoning polls still in flight"
        );
        running.shutdown().await;
    }
    Ok(())
}

/// Starts one poll as its own task, unless that source is already being polled.
fn start(
    ctx: &PollContext,
    config: &Arc<Config>,
    name: &str,
    busy: &mut HashSet<String>,
    running: &mut JoinSet<(String, Option<PollReport>)>,
) {
    if config.source(name).is_none() || !busy.insert(name.to_string()) {
        return;
    }
    let (ctx, config, name) = (ctx.clone(), Arc::clone(config), name.to_string());
    running.spawn(async move {
        let Some(source) = config.source(&name) else {
            return (name, None);
        };
        match poll::poll_source(&ctx, &config, source).await {
            Ok(report) => (name, Some(report)),
            Err(e) => {
                tracing::error!(source = %name, "cannot record poll: {e}");
                (name, None)
            }
        }
    });
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
            if let SourceTiming::Interval(_) = source.timing {
                let stored = states.remove(&source.name);
                if let Some(state) = &stored
                    && poll::skip_reason(state, source, now) == Some(SkipReason::Gone)
                {
                    continue;
                }
                let at = stored.and_then(|s| s.next_poll).unwrap_or(now);
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
