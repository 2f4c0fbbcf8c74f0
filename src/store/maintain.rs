//! Upkeep of the database: pruning old items (remembering them as tombstones so they
//! never come back as new) in chunks that leave the store thread free between them,
//! forgetting very old tombstones, checkpointing the WAL.

use chrono::{DateTime, Utc};
use rusqlite::params;

use super::changes::Changed;
use super::error::StoreError;
use super::handle::Store;

/// What to prune, decided by the caller from the config.
#[derive(Debug, Clone)]
pub struct PrunePolicy {
    /// The time pruning is judged at.
    pub now: DateTime<Utc>,
    /// Items first seen before `now - retention` go.
    pub retention: std::time::Duration,
    /// Tombstones older than this are forgotten: by then the item has long left its feed.
    pub tombstone_ttl: std::time::Duration,
    /// Per source: keep only the newest N items.
    pub max_items: Vec<(String, usize)>,
}

/// What a prune removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PruneSummary {
    pub items: usize,
    pub tombstones: usize,
}

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
                .call(move |conn| {
                    let old = "SELECT id FROM items WHERE first_seen < ?1
                               ORDER BY first_seen, id LIMIT ?3";
                    remove_items(conn, old, params![cutoff, now, limit])
                })
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
                    .call(move |conn| {
                        let over = "SELECT i.id FROM items i JOIN sources s ON s.id = i.source_id
                            WHERE s.name = ?1 ORDER BY i.sort_date DESC, i.id DESC
                            LIMIT ?3 OFFSET ?4";
                        remove_items(conn, over, params![source, now, limit, keep])
                    })
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
                .call(move |conn| {
                    Ok(conn.execute(
                        "DELETE FROM tombstones WHERE (source_id, item_key) IN
                            (SELECT source_id, item_key FROM tombstones WHERE pruned < ?1 LIMIT ?2)",
                        params![forget_before, limit],
                    )?)
                })
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

    /// Folds the WAL back into the database and lets SQLite refresh its statistics.
    pub async fn checkpoint(&self) -> Result<(), StoreError> {
        self.call(|conn| {
            conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE); PRAGMA optimize;")?;
            Ok(())
        })
        .await
    }

    /// The database's size in bytes (pages in use and free), for soak tests and metrics.
    pub async fn size_bytes(&self) -> Result<u64, StoreError> {
        self.call(|conn| {
            let pages: i64 = conn.query_row("PRAGMA page_count", [], |r| r.get(0))?;
            let size: i64 = conn.query_row("PRAGMA page_size", [], |r| r.get(0))?;
            Ok((pages.max(0) as u64) * (size.max(0) as u64))
        })
        .await
    }
}

/// Tombstones then deletes the items `ids` selects (a query whose `?2` is the
/// tombstones' time), in one transaction; how many went.
fn remove_items(
    conn: &mut rusqlite::Connection,
    ids: &str,
    values: impl rusqlite::Params + Copy,
) -> Result<usize, StoreError> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    tx.execute(
        &format!(
            "INSERT OR REPLACE INTO tombstones (source_id, item_key, pruned)
             SELECT source_id, item_key, ?2 FROM items WHERE id IN ({ids})"
        ),
        values,
    )?;
    let removed = tx.execute(&format!("DELETE FROM items WHERE id IN ({ids})"), values)?;
    tx.commit()?;
    Ok(removed)
}
