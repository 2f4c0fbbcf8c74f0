//! Upkeep of the database: pruning old items (remembering them as tombstones so they
//! never come back as new), forgetting very old tombstones, checkpointing the WAL.

use chrono::{DateTime, Utc};
use rusqlite::params;

use super::{Store, StoreError};

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

impl Store {
    /// Prunes in one transaction; every removed item leaves a tombstone.
    pub async fn prune(&self, policy: PrunePolicy) -> Result<PruneSummary, StoreError> {
        let summary = self
            .call(move |conn| {
                let tx =
                    conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
                let now = policy.now.timestamp();
                let cutoff = before(policy.now, policy.retention);
                tx.execute(
                    "INSERT OR REPLACE INTO tombstones (source_id, item_key, pruned)
                     SELECT source_id, item_key, ?2 FROM items WHERE first_seen < ?1",
                    params![cutoff, now],
                )?;
                let mut items = tx.execute("DELETE FROM items WHERE first_seen < ?1", [cutoff])?;
                for (source, keep) in &policy.max_items {
                    let over = "SELECT i.id FROM items i JOIN sources s ON s.id = i.source_id
                        WHERE s.name = ?1 ORDER BY i.sort_date DESC, i.id DESC LIMIT -1 OFFSET ?2";
                    tx.execute(
                        &format!(
                            "INSERT OR REPLACE INTO tombstones (source_id, item_key, pruned)
                             SELECT source_id, item_key, ?3 FROM items WHERE id IN ({over})"
                        ),
                        params![source, *keep as i64, now],
                    )?;
                    items += tx.execute(
                        &format!("DELETE FROM items WHERE id IN ({over})"),
                        params![source, *keep as i64],
                    )?;
                }
                let tombstones = tx.execute(
                    "DELETE FROM tombstones WHERE pruned < ?1",
                    [before(policy.now, policy.tombstone_ttl)],
                )?;
                tx.commit()?;
                Ok(PruneSummary { items, tombstones })
            })
            .await?;
        if summary.items > 0 {
            self.bump_generation();
        }
        Ok(summary)
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
