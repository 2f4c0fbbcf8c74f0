//! Upkeep of a PostgreSQL database: pruning items (each leaves a tombstone, so it
//! never comes back as new) and forgetting old tombstones, a chunk per transaction.
//! Each chunk holds the write lock (see `stories`), so no two nodes prune at the same
//! moment; nodes that prune by the same rules take turns, and a chunk a node finds
//! already done by another removes nothing.

use super::super::error::StoreError;
use super::{Conn, Param, count};

/// Runs `sql` (a chunk of upkeep) in a transaction of its own; how many rows it
/// changed.
fn chunk(conn: &mut Conn, sql: &str, params: &[Param<'_>]) -> Result<usize, StoreError> {
    conn.in_transaction(|conn| Ok(count(conn.execute(sql, params)? as i64)))
}

/// Tombstones and deletes the items the subquery `ids` selects (its `$2` is the
/// tombstones' time), in one statement and one transaction; how many went.
fn remove_items(conn: &mut Conn, ids: &str, params: &[Param<'_>]) -> Result<usize, StoreError> {
    let sql = format!(
        "WITH gone AS (DELETE FROM items WHERE id IN ({ids}) RETURNING source_id, item_key)
         INSERT INTO tombstones (source_id, item_key, pruned)
         SELECT source_id, item_key, $2 FROM gone
         ON CONFLICT (source_id, item_key) DO UPDATE SET pruned = excluded.pruned"
    );
    chunk(conn, &sql, params)
}

/// Prunes up to `limit` items first seen before `before`, oldest first.
pub(super) fn prune_older(
    conn: &mut Conn,
    before: i64,
    now: i64,
    limit: i64,
) -> Result<usize, StoreError> {
    let old = "SELECT id FROM items WHERE first_seen < $1 ORDER BY first_seen, id LIMIT $3";
    remove_items(conn, old, &[&before, &now, &limit])
}

/// Prunes up to `limit` of `source`'s items beyond its newest `keep`.
pub(super) fn prune_beyond(
    conn: &mut Conn,
    source: &str,
    keep: i64,
    now: i64,
    limit: i64,
) -> Result<usize, StoreError> {
    let over = "SELECT i.id FROM items i JOIN sources s ON s.id = i.source_id
        WHERE s.name = $1 ORDER BY i.sort_date DESC, i.id DESC LIMIT $3 OFFSET $4";
    remove_items(conn, over, &[&source, &now, &limit, &keep])
}

/// Forgets up to `limit` tombstones made before `before`.
pub(super) fn forget_tombstones(
    conn: &mut Conn,
    before: i64,
    limit: i64,
) -> Result<usize, StoreError> {
    chunk(
        conn,
        "DELETE FROM tombstones WHERE (source_id, item_key) IN
            (SELECT source_id, item_key FROM tombstones WHERE pruned < $1 LIMIT $2)",
        &[&before, &limit],
    )
}
