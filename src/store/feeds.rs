//! The calls about feed membership: which items each output feed holds, written
//! when an item is stored or edited, refilled for a feed whose definition changed,
//! and read back newest first for publishing. What belongs where is decided by
//! `membership`. A feed that takes every item keeps no rows (it is read from the
//! items themselves); rows left for it by an older version are dropped in the
//! background, a chunk at a time.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Instant;

use super::changes::{Changed, FeedScope};
use super::error::StoreError;
use super::handle::Store;
use super::records::{FeedSync, Html, ItemPage, PageCursor};
use super::worker::Db;
use crate::membership::FeedSet;
use crate::model::StoredItem;

/// Items sorted into refilled feeds per store call: the thread turns to other
/// work (polls, pages) between chunks, so no other call waits behind a refill for
/// longer than one chunk takes (tens of milliseconds; BENCHMARKS.md).
const REFILL_CHUNK: i64 = 2_000;

/// Takes `feeds` as the definitions ingest sorts items by (see the backend's
/// `begin_feeds`): the feeds whose rows are refilled next, newest items first.
fn begin(db: &mut Db, feeds: Arc<FeedSet>) -> Result<FeedSync, StoreError> {
    let mut sync = db.backend.begin_feeds(&feeds)?;
    db.feeds = feeds;
    db.feeds_epoch += 1;
    sync.epoch = db.feeds_epoch;
    Ok(sync)
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
    let deleted = db.backend.drop_feed_rows(&sync.leftover, chunk)?;
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
    db.backend.refill_feeds(&db.feeds, &only, below, chunk)
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
        html: Html,
    ) -> Result<ItemPage, StoreError> {
        match scope {
            FeedScope::EveryItem => self.recent_items(None, before, n, html).await,
            FeedScope::Rows(feed) => self.feed_page(feed, before, n, html).await,
        }
    }

    /// The copies of `stories` that `scope` selects, earliest first, without their
    /// HTML.
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
        html: Html,
    ) -> Result<ItemPage, StoreError> {
        let feed = feed.to_string();
        self.call_read(move |reads| reads.feed_page(&feed, before, n, html))
            .await
    }

    /// The copies of `stories` that belong in `feed`, earliest first, without their
    /// HTML.
    pub async fn feed_story_copies(
        &self,
        feed: &str,
        stories: Vec<i64>,
    ) -> Result<Vec<StoredItem>, StoreError> {
        if stories.is_empty() {
            return Ok(Vec::new());
        }
        let feed = feed.to_string();
        self.call_read(move |reads| reads.story_copies(Some(&feed), &stories))
            .await
    }
}
