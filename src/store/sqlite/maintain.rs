//! Upkeep of a SQLite database: pruning items (each leaves a tombstone, so it never
//! comes back as new), forgetting old tombstones, checkpointing the WAL.

use rusqlite::{Connection, params};

use super::super::error::StoreError;

/// Prunes up to `limit` items first seen before `before`, oldest first.
pub(super) fn prune_older(
    conn: &mut Connection,
    before: i64,
    now: i64,
    limit: i64,
) -> Result<usize, StoreError> {
    let old = "SELECT id FROM items WHERE first_seen < ?1 ORDER BY first_seen, id LIMIT ?3";
    remove_items(conn, old, params![before, now, limit])
}

/// Prunes up to `limit` of `source`'s items beyond its newest `keep`.
pub(super) fn prune_beyond(
    conn: &mut Connection,
    source: &str,
    keep: i64,
    now: i64,
    limit: i64,
) -> Result<usize, StoreError> {
    let over = "SELECT i.id FROM items i JOIN sources s ON s.id = i.source_id
        WHERE s.name = ?1 ORDER BY i.sort_date DESC, i.id DESC
        LIMIT ?3 OFFSET ?4";
    remove_items(conn, over, params![source, now, limit, keep])
}

/// Forgets up to `limit` tombstones made before `before`.
pub(super) fn forget_tombstones(
    conn: &Connection,
    before: i64,
    limit: i64,
) -> Result<usize, StoreError> {
    Ok(conn.execute(
        "DELETE FROM tombstones WHERE (source_id, item_key) IN
            (SELECT source_id, item_key FROM tombstones WHERE pruned < ?1 LIMIT ?2)",
        params![before, limit],
    )?)
}

/// Lets SQLite refresh its statistics, then folds the WAL back into the database:
/// in that order, because refreshed statistics are a write, which would otherwise
/// stay in the log the checkpoint just emptied. Another connection reading an older
/// state (an inspection command, a backup) keeps part of the log in use: that is no
/// error, the log stays sound and a later checkpoint folds the rest.
pub(super) fn checkpoint(conn: &Connection) -> Result<(), StoreError> {
    conn.execute_batch("PRAGMA optimize")?;
    let busy: i64 = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |row| row.get(0))?;
    if busy != 0 {
        tracing::warn!(
            "another program has the database open: part of the write-ahead log stays beside it until a later checkpoint"
        );
    }
    Ok(())
}

/// The database's size in bytes (pages in use and free).
pub(super) fn size_bytes(conn: &Connection) -> Result<u64, StoreError> {
    let pages: i64 = conn.query_row("PRAGMA page_count", [], |r| r.get(0))?;
    let size: i64 = conn.query_row("PRAGMA page_size", [], |r| r.get(0))?;
    Ok((pages.max(0) as u64) * (size.max(0) as u64))
}

/// Tombstones then deletes the items `ids` selects (a query whose `?2` is the
/// tombstones' time), in one transaction; how many went.
fn remove_items(
    conn: &mut Connection,
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
