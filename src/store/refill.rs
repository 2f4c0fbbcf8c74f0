//! Carrying out a change of feed definitions, shared by every backend: which feeds'
//! rows are emptied (to be refilled, newest items first) or dropped, and sorting a
//! chunk of stored items into the feeds being refilled. A backend lends its reads
//! and writes of feed rows ([`FeedWriter`]) inside one transaction.

use std::collections::HashSet;

use super::error::StoreError;
use super::records::{FeedRow, FeedSync};
use crate::membership::{Candidate, FeedSet, stored_plain_text};
use crate::model::Category;

/// A stored item as a refill reads it.
pub(super) struct RefillRow {
    pub at: FeedRow,
    pub source: String,
    pub title: String,
    pub summary_html: Option<String>,
    pub content_html: Option<String>,
    pub categories: Vec<Category>,
    pub authors: Vec<String>,
    pub link: Option<String>,
}

/// A backend's reads and writes of feed definitions and membership rows.
pub(super) trait FeedWriter {
    /// Each feed's stored definition signature: what its rows were computed for.
    fn signatures(&mut self) -> Result<Vec<(String, String)>, StoreError>;
    /// Stores `signature` as what feed `feed`'s rows hold.
    fn set_signature(&mut self, feed: &str, signature: &str) -> Result<(), StoreError>;
    /// Whether feed `feed` has any rows.
    fn holds_rows(&mut self, feed: &str) -> Result<bool, StoreError>;
    /// Drops feed `feed`'s rows and its signature.
    fn empty(&mut self, feed: &str) -> Result<(), StoreError>;
    /// Up to `chunk` stored items below row `below`, highest row first.
    fn items_below(&mut self, below: i64, chunk: i64) -> Result<Vec<RefillRow>, StoreError>;
    /// Lists the item in `feeds`.
    fn list_in(&mut self, at: FeedRow, feeds: &[String]) -> Result<(), StoreError>;
}

/// Takes `feeds` as the definitions ingest sorts items by, and drops the rows of
/// feeds that changed (they are refilled next, newest items first) and of feeds no
/// longer configured. A changed feed's signature is written only when its refill
/// ends, so a restart in the middle refills it again. A feed that takes every item
/// has nothing to refill: its signature is written at once, and its rows, if it has
/// any, are left to be dropped a chunk at a time (deleting many rows here would delay
/// start). The epoch of the [`FeedSync`] is the caller's.
pub(super) fn begin_feeds(
    write: &mut impl FeedWriter,
    feeds: &FeedSet,
) -> Result<FeedSync, StoreError> {
    let stored = write.signatures()?;
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
        write.set_signature(name, sig)?;
    }
    let mut leftover = Vec::new();
    for name in &every_item {
        if write.holds_rows(name)? {
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
        write.empty(feed)?;
    }
    Ok(FeedSync {
        refilled,
        removed: gone.len(),
        leftover,
        changed: changed.len(),
        epoch: 0,
    })
}

/// Sorts the items below `below` (highest row first, `chunk` of them) into the feeds
/// in `only`; the row to continue below and how many were read, `None` when none are
/// left (the feeds' signatures are then written: their rows are complete).
pub(super) fn refill_chunk(
    write: &mut impl FeedWriter,
    feeds: &FeedSet,
    only: &HashSet<String>,
    below: i64,
    chunk: i64,
) -> Result<Option<(i64, usize)>, StoreError> {
    let rows = write.items_below(below, chunk.max(1))?;
    let Some(lowest) = rows.last().map(|row| row.at.item) else {
        // Every item is sorted: the feeds' definitions are now what their rows hold.
        for (name, sig) in feeds.signatures().filter(|(n, _)| only.contains(*n)) {
            write.set_signature(name, sig)?;
        }
        return Ok(None);
    };
    for row in &rows {
        let text = stored_plain_text(row.summary_html.as_deref(), row.content_html.as_deref());
        let item = Candidate {
            source: &row.source,
            title: &row.title,
            text: &text,
            categories: &row.categories,
            authors: &row.authors,
            link: row.link.as_deref(),
        };
        let admitted = feeds.feeds_for(&item, None, Some(only));
        write.list_in(row.at, &admitted)?;
    }
    Ok(Some((lowest, rows.len())))
}
