//! Upkeep of the store while the daemon runs: pruning by `storage.retention` and
//! per-source `max_items` (hourly), and a WAL checkpoint with `PRAGMA optimize`
//! (daily, and at shutdown). The times are cron expressions in UTC run by
//! tokio-cron-scheduler; its jobs only enqueue work, and this loop does it, so a slow
//! prune never makes the scheduler miss a tick.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use tokio::sync::{mpsc, watch};

use crate::config::Config;
use crate::store::{PrunePolicy, Store};

/// Prune at minute 7 of every hour.
pub const PRUNE_SCHEDULE: &str = "0 7 * * * *";
/// Checkpoint at 03:30 UTC.
pub const CHECKPOINT_SCHEDULE: &str = "0 30 3 * * *";
/// Tombstones are kept at least this long, and at least four retention periods.
const MIN_TOMBSTONE_TTL: Duration = Duration::from_secs(90 * 24 * 3600);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Task {
    Prune,
    Checkpoint,
}

/// The prune policy `config` asks for, judged now.
pub fn prune_policy(config: &Config) -> PrunePolicy {
    PrunePolicy {
        now: Utc::now(),
        retention: config.storage.retention,
        tombstone_ttl: config
            .storage
            .retention
            .saturating_mul(4)
            .max(MIN_TOMBSTONE_TTL),
        max_items: config
            .sources
            .iter()
            .filter_map(|s| s.max_items.map(|n| (s.name.clone(), n)))
            .collect(),
    }
}

/// Runs the upkeep jobs until `shutdown` turns true.
pub async fn run(
    store: Store,
    config: watch::Receiver<Arc<Config>>,
    mut shutdown: watch::Receiver<bool>,
) -> anyhow::Result<()> {
    let (tx, mut tasks) = mpsc::unbounded_channel();
    let jobs = vec![
        (PRUNE_SCHEDULE.to_string(), Task::Prune),
        (CHECKPOINT_SCHEDULE.to_string(), Task::Checkpoint),
    ];
    let scheduler = crate::schedule::cron::start_enqueuing(jobs, tx.clone()).await?;
    // Prune once at start, so a daemon restarted often still prunes.
    let _ = tx.send(Task::Prune);
    loop {
        tokio::select! {
            _ = async { let _ = shutdown.wait_for(|stop| *stop).await; } => break,
            Some(task) = tasks.recv() => {
                let current = config.borrow().clone();
                perform(&store, &current, task).await;
            }
        }
    }
    if let Some(mut scheduler) = scheduler
        && let Err(e) = scheduler.shutdown().await
    {
        tracing::warn!("stopping upkeep jobs: {e}");
    }
    Ok(())
}

async fn perform(store: &Store, config: &Config, task: Task) {
    match task {
        Task::Prune => match store.prune(prune_policy(config)).await {
            Ok(s) if s.items + s.tombstones > 0 => {
                tracing::info!(items = s.items, tombstones = s.tombstones, "pruned")
            }
            Ok(_) => {}
            Err(e) => tracing::error!("prune failed: {e}"),
        },
        Task::Checkpoint => {
            if let Err(e) = store.checkpoint().await {
                tracing::error!("checkpoint failed: {e}");
            }
        }
    }
    // A prune frees rows it read, and the first one runs just after start, when
    // loading the story index has left the heaps full of freed pages.
    crate::allocator::release_free_memory_off_worker().await;
}
