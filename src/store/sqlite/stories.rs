//! The in-memory story index's side in the database: it lives on the store thread
//! and is rebuilt from stored fingerprints at start; a story it matched is read as
//! stored now. Which story a new item joins is `ingest`'s decision.

use std::time::Instant;

use rusqlite::{Connection, OptionalExtension};

use super::super::error::StoreError;
use super::body::html_at;
use crate::cluster::{Fingerprint, Settings, StoryIndex};
use crate::membership::visible_text;

/// The story stored item `item` is in (`None`: it is not stored, pruned since the
/// story index kept it).
pub(super) fn story_of(tx: &Connection, item: i64) -> Result<Option<i64>, StoreError> {
    Ok(tx
        .prepare_cached("SELECT story_id FROM items WHERE id = ?1")?
        .query_row([item], |r| r.get(0))
        .optional()?)
}

/// Rows loaded between two evictions while the story index is rebuilt.
const EVICT_EVERY: usize = 4096;

/// Rebuilds the index from the fingerprints of items first seen within the window.
/// A fingerprint of a version `Fingerprint::from_bytes` cannot read is computed again
/// from the stored headline and text, and written back, so that an upgrade keeps the
/// window's stories joinable.
pub(super) fn rebuild(
    conn: &Connection,
    settings: Settings,
    now: i64,
) -> Result<StoryIndex, StoreError> {
    let started = Instant::now();
    let mut index = StoryIndex::new(settings);
    let since = settings.window_start(now);
    let count: i64 = conn.query_row(
        "SELECT COUNT(*) FROM items WHERE first_seen >= ?1 AND fingerprint IS NOT NULL",
        [since],
        |r| r.get(0),
    )?;
    index.reserve(usize::try_from(count).unwrap_or(0));
    let mut stmt = conn.prepare(
        "SELECT id, story_id, source_id, first_seen, fingerprint FROM items
         WHERE first_seen >= ?1 AND fingerprint IS NOT NULL ORDER BY first_seen, id",
    )?;
    let mut rows = stmt.query([since])?;
    let mut recomputed = Vec::new();
    let mut loaded = 0usize;
    while let Some(r) = rows.next()? {
        let bytes: Vec<u8> = r.get(4)?;
        let row: i64 = r.get(0)?;
        let fp = match Fingerprint::from_bytes(&bytes) {
            Ok(fp) => fp,
            Err(_) => {
                let fp = recompute(conn, row)?;
                recomputed.push((row, fp.to_bytes()));
                fp
            }
        };
        index.insert(row, r.get(1)?, r.get(2)?, r.get(3)?, &fp);
        loaded += 1;
        if loaded.is_multiple_of(EVICT_EVERY) {
            // Headlines older than the index keeps them for go as loading passes
            // them, not all at the end: they are not held at once.
            index.evict_older_than(since);
        }
    }
    drop(rows);
    index.evict_older_than(since);
    if !recomputed.is_empty() {
        let tx = conn.unchecked_transaction()?;
        {
            let mut update = tx.prepare("UPDATE items SET fingerprint = ?2 WHERE id = ?1")?;
            for (row, bytes) in &recomputed {
                update.execute(rusqlite::params![row, &bytes[..]])?;
            }
        }
        tx.commit()?;
    }
    tracing::info!(
        items = index.len(),
        recomputed = recomputed.len(),
        ms = started.elapsed().as_millis() as u64,
        memory_mib = index.memory_bytes() / (1 << 20),
        "story index rebuilt"
    );
    Ok(index)
}

/// The fingerprint of stored item `row`, from its headline and the text of its
/// content (else its summary), as parsing computes it.
fn recompute(conn: &Connection, row: i64) -> Result<Fingerprint, StoreError> {
    let (title, summary, content): (String, Option<String>, Option<String>) = conn
        .prepare_cached("SELECT title, summary_html, content_html FROM items WHERE id = ?1")?
        .query_row([row], |r| Ok((r.get(0)?, html_at(r, 1)?, html_at(r, 2)?)))?;
    let text = visible_text(summary.as_deref(), content.as_deref());
    Ok(Fingerprint::of(&title, &text))
}
