//! Feed membership rows: which items each output feed holds, written when an item is
//! stored or edited, refilled for a feed whose definition changed, and read back
//! newest first for publishing. What belongs where is decided by `membership`. A feed
//! that takes every item keeps no rows (it is read from the items themselves); rows
//! left for it by an older version are dropped in the background, a chunk at a time.

use std::collections::HashSet;

use rusqlite::{Connection, params};

use super::super::columns::{authors_from, categories_from};
use super::super::error::StoreError;
use super::super::records::{FeedRow, FeedSync, ItemPage, PageCursor};
use super::body::html_at;
use super::reads::{ITEM_COLUMNS, item_from_row, placeholders, query_items};
use crate::membership::{Candidate, FeedSet, stored_plain_text};
use crate::model::{PreparedWords, StoredItem};

/// Writes the membership rows of one item for the feeds that admit it (among `only`).
pub(super) fn admit(
    tx: &Connection,
    feeds: &FeedSet,
    only: Option<&HashSet<String>>,
    item: FeedRow,
    text: &Candidate<'_>,
    words: Option<&PreparedWords>,
) -> Result<Vec<String>, StoreError> {
    let admitted = feeds.feeds_for(text, words, only);
    insert_rows(tx, item, &admitted)?;
    Ok(admitted)
}

/// Writes the membership rows of one item in `feeds`.
pub(super) fn insert_rows(
    tx: &Connection,
    item: FeedRow,
    feeds: &[String],
) -> Result<(), StoreError> {
    if feeds.is_empty() {
        return Ok(());
    }
    let mut insert = tx.prepare_cached(
        "INSERT OR REPLACE INTO feed_items (feed, item_id, story_id, sort_date) VALUES (?1, ?2, ?3, ?4)",
    )?;
    for feed in feeds {
        insert.execute(params![feed, item.item, item.story, item.sort_date])?;
    }
    Ok(())
}

/// Drops an item's membership rows (before re-admitting it after an edit); returns
/// the feeds it was in.
pub(super) fn forget(tx: &Connection, item_id: i64) -> Result<Vec<String>, StoreError> {
    let mut stmt = tx.prepare_cached("DELETE FROM feed_items WHERE item_id = ?1 RETURNING feed")?;
    let feeds = stmt.query_map([item_id], |r| r.get(0))?;
    Ok(feeds.collect::<Result<_, _>>()?)
}

/// Takes `feeds` as the definitions ingest sorts items by, and drops the rows of feeds
/// that changed (they are refilled next, newest items first) and of feeds no longer
/// configured. A changed feed's signature is written only when its refill ends,
/// so a restart in the middle refills it again. A feed that takes every item has
/// nothing to refill: its signature is written at once, and its rows, if it has any,
/// are left to [`drop_rows`] (deleting many rows here would delay start).
pub(super) fn begin(conn: &mut Connection, feeds: &FeedSet) -> Result<FeedSync, StoreError> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let stored: Vec<(String, String)> = {
        let mut stmt = tx.prepare("SELECT feed, signature FROM feed_defs")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        rows.collect::<Result<_, _>>()?
    };
    let wanted: Vec<(&str, &str)> = feeds.signatures().collect();
    let every_item: HashSet<&str> = feeds.every_item_feeds().collect();
    let changed: Vec<(&str, &str)> = wanted
        .iter()
        .filter(|(name, sig)| !stored.iter().any(|(n, s)| n == name && s == sig))
        .copied()
        .collect();
    let mut refilled: Vec<String> = changed
        .iter()
        .filter(|(name, _)| !every_item.contains(name))
        .map(|(name, _)| name.to_string())
        .collect();
    refilled.sort();
    for (name, sig) in changed.iter().filter(|(n, _)| every_item.contains(n)) {
        tx.execute(
            "INSERT OR REPLACE INTO feed_defs (feed, signature) VALUES (?1, ?2)",
            params![name, sig],
        )?;
    }
    let mut leftover = Vec::new();
    for name in &every_item {
        let holds_rows = tx
            .prepare_cached("SELECT 1 FROM feed_items WHERE feed = ?1 LIMIT 1")?
            .exists([name])?;
        if holds_rows {
            leftover.push(name.to_string());
        }
    }
    leftover.sort();
    let gone: Vec<&String> = stored
        .iter()
        .map(|(n, _)| n)
        .filter(|n| !wanted.iter().any(|(w, _)| w == n))
        .collect();
    for feed in refilled.iter().chain(gone.iter().copied()) {
        tx.execute("DELETE FROM feed_items WHERE feed = ?1", [feed])?;
        tx.execute("DELETE FROM feed_defs WHERE feed = ?1", [feed])?;
    }
    let removed = gone.len();
    let changed = changed.len();
    tx.commit()?;
    Ok(FeedSync {
        refilled,
        removed,
        leftover,
        changed,
        epoch: 0,
    })
}

/// Deletes up to `chunk` membership rows of `feeds`; how many.
pub(super) fn drop_rows(
    conn: &mut Connection,
    feeds: &[String],
    chunk: i64,
) -> Result<usize, StoreError> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let mut deleted = 0usize;
    for feed in feeds {
        let limit = chunk.max(1) - deleted as i64;
        if limit <= 0 {
            break;
        }
        deleted += tx
            .prepare_cached(
                "DELETE FROM feed_items WHERE feed = ?1 AND item_id IN
                 (SELECT item_id FROM feed_items WHERE feed = ?1 LIMIT ?2)",
            )?
            .execute(params![feed, limit])?;
    }
    tx.commit()?;
    Ok(deleted)
}

/// Sorts the items below `below` (newest first, `chunk` of them) into the feeds in
/// `only`; the row id to continue below and how many were read, `None` when none
/// are left (the feeds' signatures are then written: their rows are complete).
pub(super) fn refill(
    conn: &mut Connection,
    feeds: &FeedSet,
    only: &HashSet<String>,
    below: i64,
    chunk: i64,
) -> Result<Option<(i64, usize)>, StoreError> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let mut lowest = None;
    let mut read = 0usize;
    {
        let mut stmt = tx.prepare_cached(
            "SELECT i.id, i.story_id, i.sort_date, s.name, i.title, i.summary_html,
                    i.content_html, i.categories, i.author, i.link
             FROM items i JOIN sources s ON s.id = i.source_id
             WHERE i.id < ?1 ORDER BY i.id DESC LIMIT ?2",
        )?;
        let mut rows = stmt.query(params![below, chunk.max(1)])?;
        while let Some(r) = rows.next()? {
            let id: i64 = r.get(0)?;
            lowest = Some(id);
            read += 1;
            let source: String = r.get(3)?;
            let title: String = r.get(4)?;
            let summary = html_at(r, 5)?;
            let content = html_at(r, 6)?;
            let text = stored_plain_text(summary.as_deref(), content.as_deref());
            let categories = categories_from(&r.get::<_, String>(7)?);
            let authors = authors_from(r.get(8)?);
            let link: Option<String> = r.get(9)?;
            let item = Candidate {
                source: &source,
                title: &title,
                text: &text,
                categories: &categories,
                authors: &authors,
                link: link.as_deref(),
            };
            admit(
                &tx,
                feeds,
                Some(only),
                FeedRow {
                    item: id,
                    story: r.get(1)?,
                    sort_date: r.get(2)?,
                },
                &item,
                None,
            )?;
        }
    }
    if lowest.is_none() {
        // Every item is sorted: the feeds' definitions are now what their rows hold.
        let mut insert = tx
            .prepare_cached("INSERT OR REPLACE INTO feed_defs (feed, signature) VALUES (?1, ?2)")?;
        for (name, sig) in feeds.signatures().filter(|(n, _)| only.contains(*n)) {
            insert.execute(params![name, sig])?;
        }
    }
    tx.commit()?;
    Ok(lowest.map(|id| (id, read)))
}

/// A feed's items, newest first, starting below `before`.
pub(super) fn page(
    conn: &Connection,
    feed: &str,
    before: Option<PageCursor>,
    n: usize,
) -> Result<ItemPage, StoreError> {
    let (date, row) = PageCursor::bounds(before);
    let sql = format!(
        "SELECT {ITEM_COLUMNS} FROM feed_items f
         JOIN items i ON i.id = f.item_id JOIN sources s ON s.id = i.source_id
         WHERE f.feed = ?1 AND (f.sort_date, f.item_id) < (?2, ?3)
         ORDER BY f.sort_date DESC, f.item_id DESC LIMIT ?4"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(params![feed, date, row, n as i64], item_from_row)?;
    let items: Vec<StoredItem> = rows.collect::<Result<_, _>>()?;
    Ok(ItemPage::of(items, n))
}

/// The copies of `stories` that belong in `feed`, earliest first.
pub(super) fn story_copies(
    conn: &Connection,
    feed: &str,
    stories: &[i64],
) -> Result<Vec<StoredItem>, StoreError> {
    use rusqlite::types::Value;
    let sql = format!(
        "SELECT {ITEM_COLUMNS} FROM feed_items f
         JOIN items i ON i.id = f.item_id JOIN sources s ON s.id = i.source_id
         WHERE f.feed = ? AND f.story_id IN ({})
         ORDER BY i.first_seen, i.sort_date, i.id",
        placeholders(stories.len())
    );
    let mut values = vec![Value::Text(feed.to_string())];
    values.extend(stories.iter().copied().map(Value::Integer));
    query_items(conn, &sql, values)
}
