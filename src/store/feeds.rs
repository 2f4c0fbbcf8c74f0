//! Feed membership rows: which items each output feed holds, written when an item is
//! stored or edited, refilled for a feed whose definition changed, and read back
//! newest first for publishing. What belongs where is decided by `membership`. A feed
//! that takes every item keeps no rows (it is read from the items themselves); rows
//! left for it by an older version are dropped in the background, a chunk at a time.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Instant;

use rusqlite::{Connection, params};

use super::body::html_at;
use super::changes::{Changed, FeedScope};
use super::columns::{authors_from, categories_from};
use super::error::StoreError;
use super::handle::Store;
use super::reads::{ITEM_COLUMNS, ItemPage, PageCursor, item_from_row, placeholders, query_items};
use super::worker::Db;
use crate::membership::{Candidate, FeedSet, stored_plain_text};
use crate::model::{PreparedWords, StoredItem};

/// An item as the feeds that admit it list it: its row, its story, its date.
#[derive(Debug, Clone, Copy)]
pub(super) struct FeedRow {
    pub item: i64,
    pub story: i64,
    pub sort_date: i64,
}

/// What `set_feeds` had to do.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FeedSync {
    /// Feeds whose rows were refilled: new or changed definitions (but not those
    /// that take every item, which keep no rows).
    pub refilled: Vec<String>,
    /// Feeds no longer configured, whose rows were dropped.
    pub removed: usize,
    /// Feeds that take every item and still hold rows (written by an older version,
    /// or before their definition changed to every item): nothing reads them, and
    /// [`Store::drop_leftover_rows`] drops them.
    pub leftover: Vec<String>,
    /// How many feeds were new or changed (those that take every item included).
    changed: usize,
    /// Which `begin_feeds` this was: a later one supersedes its refill.
    epoch: u64,
}

/// Items sorted into refilled feeds per store call: the thread turns to other
/// work (polls, pages) between chunks, so no other call waits behind a refill for
/// longer than one chunk takes (tens of milliseconds; BENCHMARKS.md).
const REFILL_CHUNK: i64 = 2_000;

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
/// are left to [`drop_leftover_chunk`] (deleting many rows here would delay start).
fn begin(db: &mut Db, feeds: Arc<FeedSet>) -> Result<FeedSync, StoreError> {
    let tx = db
        .conn
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
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
    db.feeds = feeds;
    db.feeds_epoch += 1;
    Ok(FeedSync {
        refilled,
        removed,
        leftover,
        changed,
        epoch: db.feeds_epoch,
    })
}

/// Deletes up to `chunk` rows of the feeds `sync` found leftover; how many, or `None`
/// when none are left or a later `begin_feeds` superseded `sync` (which finds what is
/// still left, if the feeds still take every item, or empties them itself).
fn drop_leftover_chunk(
    db: &mut Db,
    sync: &FeedSync,
    chunk: i64,
) -> Result<Option<usize>, StoreError> {
    if db.feeds_epoch != sync.epoch {
        return Ok(None);
    }
    let tx = db
        .conn
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let mut deleted = 0usize;
    for feed in &sync.leftover {
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
    Ok((deleted > 0).then_some(deleted))
}

/// Sorts the items below `below` (newest first, `chunk` of them) into the
/// feeds `sync` refills; the row id to continue below and how many were read,
/// `None` when none are left or a later `begin_feeds` superseded `sync`.
fn refill_chunk(
    db: &mut Db,
    sync: &FeedSync,
    below: i64,
    chunk: i64,
) -> Result<Option<(i64, usize)>, StoreError> {
    if db.feeds_epoch != sync.epoch {
        return Ok(None);
    }
    let only: HashSet<String> = sync.refilled.iter().cloned().collect();
    let tx = db
        .conn
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
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
                &db.feeds,
                Some(&only),
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
        for (name, sig) in db.feeds.signatures().filter(|(n, _)| only.contains(*n)) {
            insert.execute(params![name, sig])?;
        }
    }
    tx.commit()?;
    Ok(lowest.map(|id| (id, read)))
}

impl Store {
    /// Sets the feeds that ingest sorts items into, and refills the rows of feeds
    /// whose definition changed before returning ([`Store::begin_feeds`], then
    /// [`Store::refill_feeds`]).
    pub async fn set_feeds(&self, feeds: Arc<FeedSet>) -> Result<FeedSync, StoreError> {
        let sync = self.begin_feeds(feeds).await?;
        self.refill_feeds(&sync).await?;
        Ok(sync)
    }

    /// Sets the feeds that ingest sorts items into from now on, and empties the feeds
    /// whose definition changed, for [`Store::refill_feeds`] to fill. Quick: call
    /// at start before polling, and after every reload.
    pub async fn begin_feeds(&self, feeds: Arc<FeedSet>) -> Result<FeedSync, StoreError> {
        let sync = self.call_db(move |db: &mut Db| begin(db, feeds)).await?;
        if sync.changed > 0 || sync.removed > 0 {
            tracing::info!(refilled = ?sync.refilled, removed = sync.removed, "feed definitions changed");
            self.note_change(Changed::EveryFeed);
        }
        Ok(sync)
    }

    /// Sorts every stored item, newest first, into the feeds `sync` emptied, a chunk
    /// per call so polls and pages are served in between; returns how many items were
    /// read. Stops early when a later `begin_feeds` superseded `sync` (it refills
    /// its own). Until it ends, those feeds show their newest items only.
    pub async fn refill_feeds(&self, sync: &FeedSync) -> Result<usize, StoreError> {
        self.refill_feeds_by(sync, REFILL_CHUNK).await
    }

    /// [`Store::refill_feeds`], `chunk` items per call on the database thread.
    pub async fn refill_feeds_by(&self, sync: &FeedSync, chunk: i64) -> Result<usize, StoreError> {
        if sync.refilled.is_empty() {
            return Ok(0);
        }
        let started = Instant::now();
        let mut below = i64::MAX;
        let mut read = 0usize;
        loop {
            let this_sync = sync.clone();
            let next = self
                .call_db(move |db: &mut Db| refill_chunk(db, &this_sync, below, chunk))
                .await?;
            self.note_change(Changed::Feeds(&sync.refilled));
            match next {
                Some((lowest, chunk_read)) => {
                    read += chunk_read;
                    below = lowest;
                }
                None => break,
            }
        }
        tracing::info!(
            feeds = ?sync.refilled,
            items = read,
            ms = started.elapsed().as_millis() as u64,
            "feed membership refilled"
        );
        Ok(read)
    }

    /// Drops the rows `sync` found leftover (feeds that take every item keep none), a
    /// chunk per call so polls and pages are served in between; returns how many were
    /// dropped. Stops early when a later `begin_feeds` superseded `sync`. Nothing reads
    /// those rows, so the daemon runs this in the background after start or reload.
    pub async fn drop_leftover_rows(&self, sync: &FeedSync) -> Result<usize, StoreError> {
        self.drop_leftover_rows_by(sync, REFILL_CHUNK).await
    }

    /// [`Store::drop_leftover_rows`], `chunk` rows per call on the database thread.
    pub async fn drop_leftover_rows_by(
        &self,
        sync: &FeedSync,
        chunk: i64,
    ) -> Result<usize, StoreError> {
        if sync.leftover.is_empty() {
            return Ok(0);
        }
        let started = Instant::now();
        let mut dropped = 0usize;
        loop {
            let this_sync = sync.clone();
            let next = self
                .call_db(move |db: &mut Db| drop_leftover_chunk(db, &this_sync, chunk))
                .await?;
            match next {
                Some(deleted) => dropped += deleted,
                None => break,
            }
        }
        tracing::info!(
            feeds = ?sync.leftover,
            rows = dropped,
            ms = started.elapsed().as_millis() as u64,
            "rows of feeds that take every item dropped"
        );
        Ok(dropped)
    }

    /// The items `scope` selects, newest first, starting below `before` (where a
    /// previous page ended).
    pub async fn scoped_page(
        &self,
        scope: &FeedScope,
        before: Option<PageCursor>,
        n: usize,
    ) -> Result<ItemPage, StoreError> {
        match scope {
            FeedScope::EveryItem => self.recent_items(None, before, n).await,
            FeedScope::Rows(feed) => self.feed_page(feed, before, n).await,
        }
    }

    /// The copies of `stories` that `scope` selects, earliest first.
    pub async fn scoped_story_copies(
        &self,
        scope: &FeedScope,
        stories: Vec<i64>,
    ) -> Result<Vec<StoredItem>, StoreError> {
        match scope {
            FeedScope::EveryItem => self.story_copies(stories).await,
            FeedScope::Rows(feed) => self.feed_story_copies(feed, stories).await,
        }
    }

    /// A feed's items, newest first, starting below `before` (where a previous page
    /// ended).
    pub async fn feed_page(
        &self,
        feed: &str,
        before: Option<PageCursor>,
        n: usize,
    ) -> Result<ItemPage, StoreError> {
        let feed = feed.to_string();
        self.call_read(move |conn| {
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
            let next = (items.len() == n)
                .then(|| items.last().map(PageCursor::below))
                .flatten();
            Ok(ItemPage { items, next })
        })
        .await
    }

    /// The copies of `stories` that belong in `feed`, earliest first.
    pub async fn feed_story_copies(
        &self,
        feed: &str,
        stories: Vec<i64>,
    ) -> Result<Vec<StoredItem>, StoreError> {
        use rusqlite::types::Value;
        if stories.is_empty() {
            return Ok(Vec::new());
        }
        let feed = feed.to_string();
        self.call_read(move |conn| {
            let sql = format!(
                "SELECT {ITEM_COLUMNS} FROM feed_items f
                 JOIN items i ON i.id = f.item_id JOIN sources s ON s.id = i.source_id
                 WHERE f.feed = ? AND f.story_id IN ({})
                 ORDER BY i.first_seen, i.sort_date, i.id",
                placeholders(stories.len())
            );
            let mut values = vec![Value::Text(feed)];
            values.extend(stories.into_iter().map(Value::Integer));
            query_items(conn, &sql, values)
        })
        .await
    }
}
