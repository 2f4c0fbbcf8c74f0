//! The upkeep calls: pruning old items (remembering them as tombstones so they
//! never come back as new) in chunks that leave the store thread free between them,
//! forgetting very old tombstones, the database's own maintenance.

use chrono::{DateTime, Utc};

use super::changes::Changed;
use super::error::StoreError;
use super::handle::Store;
use super::records::{PrunePolicy, PruneSummary};

fn before(now: DateTime<Utc>, age: std::time::Duration) -> i64 {
    now.timestamp()
        .saturating_sub(i64::try_from(age.as_secs()).unwrap_or(i64::MAX))
}

/// Items (or tombstones) removed per store call while pruning: each chunk is one
/// transaction and one job of the store thread, so a poll's write or a health ping
/// waits behind one chunk at most, never behind the whole prune of a database that
/// has been offline for weeks.
pub const PRUNE_CHUNK: usize = 1_000;

impl Store {
    /// Prunes in chunks of [`PRUNE_CHUNK`]; every removed item leaves a tombstone.
    /// [`Store::activity`] says how far it has got meanwhile.
    pub async fn prune(&self, policy: PrunePolicy) -> Result<PruneSummary, StoreError> {
        self.prune_in_chunks(policy, PRUNE_CHUNK).await
    }

    /// [`Store::prune`] with chunks of `chunk` (tests use small ones).
    pub async fn prune_in_chunks(
        &self,
        policy: PrunePolicy,
        chunk: usize,
    ) -> Result<PruneSummary, StoreError> {
        let result = self.prune_chunks(&policy, chunk.max(1)).await;
        self.set_activity(None);
        let summary = result?;
        if summary.items > 0 {
            self.note_change(Changed::EveryFeed);
        }
        Ok(summary)
    }

    async fn prune_chunks(
        &self,
        policy: &PrunePolicy,
        chunk: usize,
    ) -> Result<PruneSummary, StoreError> {
        let now = policy.now.timestamp();
        let limit = chunk as i64;
        let mut summary = PruneSummary::default();
        self.note_pruning(summary);
        let cutoff = before(policy.now, policy.retention);
        loop {
            let removed = self
                .call(move |backend| backend.prune_older(cutoff, now, limit))
                .await?;
            summary.items += removed;
            self.note_pruning(summary);
            if removed < chunk {
                break;
            }
        }
        for (source, keep) in &policy.max_items {
            let (source, keep) = (source.clone(), *keep as i64);
            loop {
                let source = source.clone();
                let removed = self
                    .call(move |backend| backend.prune_beyond(&source, keep, now, limit))
                    .await?;
                summary.items += removed;
                self.note_pruning(summary);
                if removed < chunk {
                    break;
                }
            }
        }
        let forget_before = before(policy.now, policy.tombstone_ttl);
        loop {
            let forgotten = self
                .call(move |backend| backend.forget_tombstones(forget_before, limit))
                .await?;
            summary.tombstones += forgotten;
            self.note_pruning(summary);
            if forgotten < chunk {
                break;
            }
        }
        Ok(summary)
    }

    fn note_pruning(&self, so_far: PruneSummary) {
        self.set_activity(Some(format!(
            "pruning: {} items and {} tombstones removed so far",
            so_far.items, so_far.tombstones
        )));
    }

    /// The database's own maintenance between prunes (SQLite: refreshes its
    /// statistics and folds the WAL back in).
    pub async fn checkpoint(&self) -> Result<(), StoreError> {
        self.call(|backend| backend.checkpoint()).await
    }

    /// The database's size in bytes, for soak tests and metrics.
    pub async fn size_bytes(&self) -> Result<u64, StoreError> {
        self.call(|backend| backend.size_bytes()).await
    }
}
