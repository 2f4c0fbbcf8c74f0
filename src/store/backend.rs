//! The seam between the store's calls and a database engine: what a backend must do,
//! in plain synchronous methods. The store thread owns one [`Backend`] (it writes,
//! and reads what ingest decides by); the reading thread owns one [`ReadBackend`]
//! (serving and inspection, answered beside the writes). Neither knows the calls'
//! async side, and nothing outside `store` knows which engine is behind them.
//!
//! What to write is decided outside: `ingest` plans each entry of a poll from what a
//! backend looks up (through [`crate::ingest::Lookup`]), `membership` sorts an item
//! into feeds, `cluster` keeps the story index. A backend looks up and applies.
//!
//! Transactions: the writes marked *grouped* run inside the transaction the store
//! thread opened with [`Backend::begin`] and ends with [`Backend::commit`] or
//! [`Backend::roll_back`] (several polls share one commit); every other method
//! commits on its own.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};

use super::error::StoreError;
use super::records::{
    ArticleApplied, Claimed, FailureRecord, FeedSync, Html, Ingested, ItemHtml, ItemPage,
    Neighbour, PageCursor, PollRecord, SourceClaim, SourcePollState, StoryMember,
};
use crate::cluster::{Settings, StoryIndex};
use crate::membership::FeedSet;
use crate::model::{ArticleJob, ArticleText, SourceState, StoredItem};

/// What the store thread asks of a database.
pub(super) trait Backend: Send {
    /// Opens the transaction grouped writes run in.
    fn begin(&mut self) -> Result<(), StoreError>;
    /// Commits the open transaction; on failure it is rolled back.
    fn commit(&mut self) -> Result<(), StoreError>;
    /// Rolls the open transaction back (nothing to do when none is open).
    fn roll_back(&mut self);
    /// How long a group of writes that more writes have joined may stay open for
    /// yet more, counted from its start, given what it has written so far (zero: it
    /// commits as soon as the queue is empty). A commit's cost that grows with
    /// commits, not with the rows they write, is worth trading a few milliseconds of
    /// each writer's answer for.
    fn group_linger(&self) -> std::time::Duration {
        std::time::Duration::ZERO
    }
    /// Whether [`Backend::claim_sources`] only reads, each claim the claimed source's
    /// own row, which no open group of writes has touched (a source is claimed again
    /// only once its last poll has heard back from its commit). Then the claims that
    /// came during a group are answered just before its commit, and their polls fetch
    /// and parse while it commits (and, for SQLite, folds the log into the file). A
    /// backend that writes leases answers after the commit: a lease other nodes
    /// cannot see yet holds nothing.
    fn claims_only_read(&self) -> bool {
        false
    }
    /// Upkeep a group of writes may call for, done after its writers have heard back
    /// so that none waits for it (SQLite folds its recent link keys). Never fails: what
    /// it leaves undone waits for the next group.
    fn after_writes(&mut self) {}
    /// The thread is ending: leave the database tidy for the next start.
    fn close(&mut self);
    /// Connects again if the connection to the database server was lost, before the
    /// next job: `true` when it did (the caller then rebuilds the story index). An
    /// embedded database has no connection to lose.
    fn reconnect_if_lost(&mut self) -> Result<bool, StoreError> {
        Ok(false)
    }
    /// Frees the memory the connection keeps only to be quicker next time (SQLite's
    /// page cache), once the thread has been idle a while.
    fn release_memory(&mut self) {}

    /// Tells the other nodes sharing the database that a write of this node changed
    /// these feeds (`None`: every feed); a database no other node shares ignores it.
    fn announce(&mut self, feeds: Option<&[String]>);

    /// Answers a trivial query.
    fn ping(&mut self) -> Result<(), StoreError>;
    /// Whether the database's own consistency check passes.
    fn integrity_check(&mut self) -> Result<bool, StoreError>;
    /// Maintenance between prunes (SQLite: fold the write-ahead log back in).
    fn checkpoint(&mut self) -> Result<(), StoreError>;
    /// The database's size on disk, in bytes.
    fn size_bytes(&mut self) -> Result<u64, StoreError>;
    /// The story index of the items first seen within `settings`' window before `now`
    /// (Unix seconds), built from their stored fingerprints.
    fn story_index(&mut self, settings: Settings, now: i64) -> Result<StoryIndex, StoreError>;

    /// Gives every source a row; a source whose URL changed starts afresh.
    fn sync_sources(&mut self, sources: &[(String, String)]) -> Result<(), StoreError>;
    /// The poll state of each named source that has a row.
    fn poll_states(
        &mut self,
        names: &[String],
    ) -> Result<HashMap<String, SourcePollState>, StoreError>;
    /// Claims sources for one node's polls (see [`SourceClaim`]), answering in their
    /// order; a backend that only one node writes grants every claim that is due.
    fn claim_sources(&mut self, claims: &[SourceClaim<'_>]) -> Result<Vec<Claimed>, StoreError>;
    /// Gives up `node`'s lease on source `name` (a claimed poll that was skipped).
    fn release_source(&mut self, name: &str, node: &str) -> Result<(), StoreError>;
    /// Grouped: a successful poll's items, as `ingest` plans them, and the source's
    /// state; its lease ends.
    fn record_poll(
        &mut self,
        name: &str,
        record: &PollRecord,
        feeds: &FeedSet,
        index: &mut StoryIndex,
    ) -> Result<Ingested, StoreError>;
    /// Grouped: a failed poll; the source's new error streak. Its lease ends.
    fn record_failure(&mut self, name: &str, record: &FailureRecord) -> Result<u32, StoreError>;

    /// Grouped: claims up to `limit` article fetches due at `now` (not of the hosts in
    /// `skip`), each put off until `until` under a new claim.
    fn claim_articles(
        &mut self,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
        limit: usize,
        skip: &[String],
    ) -> Result<Vec<ArticleJob>, StoreError>;
    /// When the next queued article fetch is due.
    fn next_article_due(&mut self) -> Result<Option<DateTime<Utc>>, StoreError>;
    /// Grouped: keeps a fetched article as item `item`'s content while `claim` holds
    /// it; what changed, and the feeds that did.
    fn record_article(
        &mut self,
        item: i64,
        claim: i64,
        article: &ArticleText,
        now: DateTime<Utc>,
        feeds: &FeedSet,
        index: &mut StoryIndex,
    ) -> Result<(ArticleApplied, Vec<String>), StoreError>;
    /// Grouped: an article that gave nothing to keep, while `claim` holds it.
    fn record_article_failure(
        &mut self,
        item: i64,
        claim: i64,
        failure: Option<&str>,
        retry_at: Option<DateTime<Utc>>,
    ) -> Result<(), StoreError>;

    /// Takes `feeds` as the definitions stored rows follow: empties the feeds to
    /// refill and those no longer configured (see [`FeedSync`]; its epoch is the
    /// caller's).
    fn begin_feeds(&mut self, feeds: &FeedSet) -> Result<FeedSync, StoreError>;
    /// Sorts up to `chunk` items below row `below`, newest first, into the feeds in
    /// `only`; the lowest row read and how many, `None` when none were left (the
    /// feeds' definitions are then stored as refilled).
    fn refill_feeds(
        &mut self,
        feeds: &FeedSet,
        only: &HashSet<String>,
        below: i64,
        chunk: i64,
    ) -> Result<Option<(i64, usize)>, StoreError>;
    /// Deletes up to `chunk` membership rows of `feeds`; how many.
    fn drop_feed_rows(&mut self, feeds: &[String], chunk: i64) -> Result<usize, StoreError>;

    /// Prunes up to `limit` items first seen before `before`, oldest first, leaving
    /// tombstones dated `now`; how many.
    fn prune_older(&mut self, before: i64, now: i64, limit: i64) -> Result<usize, StoreError>;
    /// Prunes up to `limit` of source `source`'s items beyond its newest `keep`.
    fn prune_beyond(
        &mut self,
        source: &str,
        keep: i64,
        now: i64,
        limit: i64,
    ) -> Result<usize, StoreError>;
    /// Forgets up to `limit` tombstones made before `before`.
    fn forget_tombstones(&mut self, before: i64, limit: i64) -> Result<usize, StoreError>;
}

/// What the reading thread asks of a database: reads of the last commit.
pub(super) trait ReadBackend: Send {
    /// Connects again if the connection to the database server was lost, before the
    /// next read; `true` when it did.
    fn reconnect_if_lost(&mut self) -> Result<bool, StoreError> {
        Ok(false)
    }
    /// Frees the memory the connection keeps only to be quicker next time (SQLite's
    /// page cache), once the thread has been idle a while.
    fn release_memory(&mut self) {}
    /// Items of the named sources (all when `None`), newest first, below `before`.
    fn recent_items(
        &mut self,
        sources: Option<&[String]>,
        before: Option<PageCursor>,
        n: usize,
        html: Html,
    ) -> Result<ItemPage, StoreError>;
    /// The items a feed's rows hold, newest first, below `before`.
    fn feed_page(
        &mut self,
        feed: &str,
        before: Option<PageCursor>,
        n: usize,
        html: Html,
    ) -> Result<ItemPage, StoreError>;
    /// The stored copies of `stories` (those in `feed`'s rows, when given), earliest
    /// first, without their HTML.
    fn story_copies(
        &mut self,
        feed: Option<&str>,
        stories: &[i64],
    ) -> Result<Vec<StoredItem>, StoreError>;
    /// The HTML of the items of these rows that are still stored, in no order.
    fn items_html(&mut self, rows: &[i64]) -> Result<Vec<ItemHtml>, StoreError>;
    /// How each copy that joined `story` was joined.
    fn story_members(&mut self, story: i64) -> Result<Vec<StoryMember>, StoreError>;
    /// The item with this public id or link, earliest first seen.
    fn find_item(&mut self, id_or_link: &str) -> Result<Option<StoredItem>, StoreError>;
    /// The items first seen within `window` seconds of item `row`, earliest first.
    fn neighbours(&mut self, row: i64, window: i64) -> Result<Vec<Neighbour>, StoreError>;
    /// The state of the named sources, in the order given.
    fn source_states(&mut self, names: &[String]) -> Result<Vec<SourceState>, StoreError>;
    /// How many sources `node` holds a live lease on at `now` (Unix seconds).
    fn leases_held(&mut self, node: &str, now: i64) -> Result<u64, StoreError>;
}
