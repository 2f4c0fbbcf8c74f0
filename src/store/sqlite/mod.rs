//! The SQLite backend, the embedded default: one file, WAL, one writing connection
//! on the store thread and one read-only connection on the reading thread. This is
//! the only module that touches rusqlite.

mod articles;
mod body;
mod digests;
mod feeds;
mod items;
mod link_keys;
mod maintain;
mod reads;
mod schema;
mod sources;
mod stories;

use std::collections::{HashMap, HashSet};
use std::path::Path;

use chrono::{DateTime, Utc};
use rusqlite::Connection;

use super::backend::{Backend, ReadBackend};
use super::error::{DriverError, StoreError};
use super::handle::Store;
use super::records::{
    ArticleApplied, Claimed, FailureRecord, FeedSync, Html, Ingested, ItemHtml, ItemPage,
    Neighbour, PageCursor, PollRecord, SourceClaim, SourcePollState, StoryMember,
};
use crate::cluster::{Settings, StoryIndex};
use crate::membership::FeedSet;
use crate::model::{ArticleJob, ArticleText, SourceState, StoredItem};

/// The writing connection's page cache, in KiB. Every new item goes into six indexes
/// and the recent link keys, and its link is looked up in `link_keys`, at pages
/// spread over the file: with SQLite's default (2 MB) ingest reads
/// those pages back from the OS again and again, and a larger cache gains no more
/// (BENCHMARKS.md, `farm store`). The store thread hands the cache back after a
/// second without work (`store::worker`), so an idle daemon does not hold it.
const WRITER_CACHE_KIB: i64 = 8192;

/// How long a group of writes in a burst stays open for more once it has written
/// [`LINGER_FROM_ROWS`] rows ([`Backend::group_linger`]). Every commit writes each
/// page it changed whole to the WAL (16 KiB), and each new item touches pages of
/// several indexes, so a commit costs about as many pages as its group changed,
/// however few rows each took: fewer, larger commits write fewer pages. The hold is
/// kept short because every writer of the group waits for its answer meanwhile, the
/// last of a burst for nothing (BENCHMARKS.md, "Group commit").
const GROUP_LINGER: std::time::Duration = std::time::Duration::from_millis(30);

/// Rows a group must have written before it waits for more: polls that only record
/// their source's state (a 304) rewrite the same few pages of `sources`, so holding
/// them saves nothing and holds up the pollers waiting for their answer. A poll of
/// new items writes two or more rows for each.
const LINGER_FROM_ROWS: u64 = 100;

/// The reading connection's page cache, and the writer's while it rebuilds the story
/// index, in KiB.
const READER_CACHE_KIB: i64 = 512;

impl Store {
    /// Opens (creating if needed) the database at `path`, applying migrations, with
    /// the default story clustering settings.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        Store::open_with(path, Settings::default())
    }

    /// Opens the database with these clustering settings (`[dedup]`), rebuilding the
    /// story index from the fingerprints stored within the window.
    pub fn open_with(path: &Path, clustering: Settings) -> Result<Store, StoreError> {
        let mut writer = Sqlite {
            conn: schema::open(path)?,
            folding: Default::default(),
            changes_at_begin: 0,
            linger: GROUP_LINGER,
        };
        // The rebuild reads the window's rows once, in order, which a page cache
        // does not speed up: with the writer's, it would fill megabytes that ingest
        // rarely touches again (it writes the newest pages and the indexes), at the
        // daemon's peak of memory. The pages it left cached are handed back.
        writer
            .conn
            .pragma_update(None, "cache_size", -READER_CACHE_KIB)?;
        let stories = writer.story_index(clustering, Utc::now().timestamp())?;
        writer.conn.execute_batch("PRAGMA shrink_memory")?;
        writer
            .conn
            .pragma_update(None, "cache_size", -WRITER_CACHE_KIB)?;
        Store::start(
            &path.display().to_string(),
            Box::new(writer),
            reader(path)?,
            stories,
        )
    }

    /// Opens an existing database to look at, beside a daemon that may be writing
    /// it: read-only, no migration (a schema of another version is an error that
    /// says which), no story index (nothing is ingested). Every write fails.
    pub fn open_read_only(path: &Path) -> Result<Store, StoreError> {
        let writer = Sqlite {
            conn: schema::open_read_only(path)?,
            folding: Default::default(),
            changes_at_begin: 0,
            linger: GROUP_LINGER,
        };
        Store::start(
            &path.display().to_string(),
            Box::new(writer),
            reader(path)?,
            StoryIndex::new(Settings::default()),
        )
    }
}

/// The reading thread's connection, opened once the writer's has brought the schema
/// up to date.
fn reader(path: &Path) -> Result<Box<dyn ReadBackend>, StoreError> {
    let conn = schema::open_read_only(path)?;
    // Serving reads a page of items per change to a feed, not per request (the bytes
    // are kept rendered), so a page cache beyond a feed's worth only holds memory:
    // SQLite's default (2 MB) is a tenth of an idle daemon's heap.
    conn.pragma_update(None, "cache_size", -READER_CACHE_KIB)?;
    Ok(Box::new(SqliteReads { conn }))
}

/// The writing connection, and when it folds the recent link keys in.
struct Sqlite {
    conn: Connection,
    folding: link_keys::Folding,
    /// `conn.total_changes()` when the open group began.
    changes_at_begin: u64,
    /// [`GROUP_LINGER`], or another hold in the store thread's tests.
    linger: std::time::Duration,
}

/// The writing connection to a new or existing database at `path`, alone, for the
/// store thread's own tests.
#[cfg(test)]
pub(in crate::store) fn writer_for_tests(path: &Path) -> Result<Box<dyn Backend>, StoreError> {
    lingering_writer_for_tests(path, GROUP_LINGER)
}

/// [`writer_for_tests`] whose groups, once they may, wait `linger` for more writes.
#[cfg(test)]
pub(in crate::store) fn lingering_writer_for_tests(
    path: &Path,
    linger: std::time::Duration,
) -> Result<Box<dyn Backend>, StoreError> {
    Ok(Box::new(Sqlite {
        conn: schema::open(path)?,
        folding: Default::default(),
        changes_at_begin: 0,
        linger,
    }))
}

/// The reading connection (read-only; under WAL it never waits for the writer).
struct SqliteReads {
    conn: Connection,
}

impl Backend for Sqlite {
    fn begin(&mut self) -> Result<(), StoreError> {
        self.changes_at_begin = self.conn.total_changes();
        Ok(self.conn.execute_batch("BEGIN IMMEDIATE")?)
    }

    fn commit(&mut self) -> Result<(), StoreError> {
        self.conn.execute_batch("COMMIT").map_err(|error| {
            self.roll_back();
            error.into()
        })
    }

    fn group_linger(&self) -> std::time::Duration {
        let written = self
            .conn
            .total_changes()
            .saturating_sub(self.changes_at_begin);
        if written >= LINGER_FROM_ROWS {
            self.linger
        } else {
            std::time::Duration::ZERO
        }
    }

    fn after_writes(&mut self) {
        // The keys stay where they are, and are found there, if the fold fails.
        if let Err(error) = self.folding.fold_if_due(&mut self.conn) {
            tracing::warn!(%error, "could not fold the recent link keys; they stay where they are");
        }
    }

    fn roll_back(&mut self) {
        let _ = self.conn.execute_batch("ROLLBACK");
    }

    fn close(&mut self) {
        let _ = maintain::checkpoint(&self.conn);
    }

    fn announce(&mut self, _feeds: Option<&[String]>) {}

    fn release_memory(&mut self) {
        let _ = self.conn.release_memory();
    }

    fn ping(&mut self) -> Result<(), StoreError> {
        self.conn.query_row("SELECT 1", [], |_| Ok(()))?;
        Ok(())
    }

    fn integrity_check(&mut self) -> Result<bool, StoreError> {
        let verdict: String = self
            .conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
        Ok(verdict == "ok")
    }

    fn checkpoint(&mut self) -> Result<(), StoreError> {
        maintain::checkpoint(&self.conn)
    }

    fn size_bytes(&mut self) -> Result<u64, StoreError> {
        maintain::size_bytes(&self.conn)
    }

    fn story_index(&mut self, settings: Settings, now: i64) -> Result<StoryIndex, StoreError> {
        stories::rebuild(&self.conn, settings, now)
    }

    fn sync_sources(&mut self, sources: &[(String, String)]) -> Result<(), StoreError> {
        sources::sync(&mut self.conn, sources)
    }

    fn poll_states(
        &mut self,
        names: &[String],
    ) -> Result<HashMap<String, SourcePollState>, StoreError> {
        sources::poll_states(&self.conn, names)
    }

    fn claims_only_read(&self) -> bool {
        true
    }

    fn claim_sources(&mut self, claims: &[SourceClaim<'_>]) -> Result<Vec<Claimed>, StoreError> {
        claims
            .iter()
            .map(|claim| sources::claim(&self.conn, claim))
            .collect()
    }

    fn release_source(&mut self, _name: &str, _node: &str) -> Result<(), StoreError> {
        Ok(())
    }

    fn record_poll(
        &mut self,
        name: &str,
        record: &PollRecord,
        feeds: &FeedSet,
        index: &mut StoryIndex,
    ) -> Result<Ingested, StoreError> {
        sources::record_poll(&self.conn, name, record, feeds, index)
    }

    fn record_failure(&mut self, name: &str, record: &FailureRecord) -> Result<u32, StoreError> {
        sources::record_failure(&self.conn, name, record)
    }

    fn claim_articles(
        &mut self,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
        limit: usize,
        skip: &[String],
    ) -> Result<Vec<ArticleJob>, StoreError> {
        articles::claim(&self.conn, now, until, limit, skip)
    }

    fn next_article_due(&mut self) -> Result<Option<DateTime<Utc>>, StoreError> {
        articles::next_due(&self.conn)
    }

    fn record_article(
        &mut self,
        item: i64,
        claim: i64,
        article: &ArticleText,
        now: DateTime<Utc>,
        feeds: &FeedSet,
        index: &mut StoryIndex,
    ) -> Result<(ArticleApplied, Vec<String>), StoreError> {
        articles::record(&self.conn, (item, claim), article, now, feeds, index)
    }

    fn record_article_failure(
        &mut self,
        item: i64,
        claim: i64,
        failure: Option<&str>,
        retry_at: Option<DateTime<Utc>>,
    ) -> Result<(), StoreError> {
        articles::record_failure(&self.conn, (item, claim), failure, retry_at)
    }

    fn begin_feeds(&mut self, feeds: &FeedSet) -> Result<FeedSync, StoreError> {
        feeds::begin(&mut self.conn, feeds)
    }

    fn refill_feeds(
        &mut self,
        feeds: &FeedSet,
        only: &HashSet<String>,
        below: i64,
        chunk: i64,
    ) -> Result<Option<(i64, usize)>, StoreError> {
        feeds::refill(&mut self.conn, feeds, only, below, chunk)
    }

    fn drop_feed_rows(&mut self, feeds: &[String], chunk: i64) -> Result<usize, StoreError> {
        feeds::drop_rows(&mut self.conn, feeds, chunk)
    }

    fn prune_older(&mut self, before: i64, now: i64, limit: i64) -> Result<usize, StoreError> {
        maintain::prune_older(&mut self.conn, before, now, limit)
    }

    fn prune_beyond(
        &mut self,
        source: &str,
        keep: i64,
        now: i64,
        limit: i64,
    ) -> Result<usize, StoreError> {
        maintain::prune_beyond(&mut self.conn, source, keep, now, limit)
    }

    fn forget_tombstones(&mut self, before: i64, limit: i64) -> Result<usize, StoreError> {
        maintain::forget_tombstones(&self.conn, before, limit)
    }
}

impl ReadBackend for SqliteReads {
    fn release_memory(&mut self) {
        let _ = self.conn.release_memory();
    }

    fn recent_items(
        &mut self,
        sources: Option<&[String]>,
        before: Option<PageCursor>,
        n: usize,
        html: Html,
    ) -> Result<ItemPage, StoreError> {
        reads::recent_items(&self.conn, sources, before, n, html)
    }

    fn feed_page(
        &mut self,
        feed: &str,
        before: Option<PageCursor>,
        n: usize,
        html: Html,
    ) -> Result<ItemPage, StoreError> {
        feeds::page(&self.conn, feed, before, n, html)
    }

    fn story_copies(
        &mut self,
        feed: Option<&str>,
        stories: &[i64],
    ) -> Result<Vec<StoredItem>, StoreError> {
        match feed {
            Some(feed) => feeds::story_copies(&self.conn, feed, stories),
            None => reads::story_copies(&self.conn, stories),
        }
    }

    fn items_html(&mut self, rows: &[i64]) -> Result<Vec<ItemHtml>, StoreError> {
        reads::items_html(&self.conn, rows)
    }

    fn story_members(&mut self, story: i64) -> Result<Vec<StoryMember>, StoreError> {
        reads::story_members(&self.conn, story)
    }

    fn find_item(&mut self, id_or_link: &str) -> Result<Option<StoredItem>, StoreError> {
        reads::find_item(&self.conn, id_or_link)
    }

    fn neighbours(&mut self, row: i64, window: i64) -> Result<Vec<Neighbour>, StoreError> {
        reads::neighbours(&self.conn, row, window)
    }

    fn source_states(&mut self, names: &[String]) -> Result<Vec<SourceState>, StoreError> {
        sources::source_states(&self.conn, names)
    }

    /// One node writes the file: it polls without leases.
    fn leases_held(&mut self, _node: &str, _now: i64) -> Result<u64, StoreError> {
        Ok(0)
    }
}

impl From<rusqlite::Error> for StoreError {
    fn from(error: rusqlite::Error) -> StoreError {
        StoreError::Driver(DriverError::new(error))
    }
}

impl From<rusqlite::Error> for DriverError {
    fn from(error: rusqlite::Error) -> DriverError {
        DriverError::new(error)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn a_group_lingers_once_it_has_written_rows_worth_holding() {
        let dir = tempfile::tempdir().unwrap();
        let mut writer = Sqlite {
            conn: schema::open(&dir.path().join("t.db")).unwrap(),
            folding: Default::default(),
            changes_at_begin: 0,
            linger: GROUP_LINGER,
        };
        let add_sources = |writer: &Sqlite, from: u64, count: u64| {
            writer
                .conn
                .execute(
                    "WITH RECURSIVE n(i) AS (SELECT ?1 UNION ALL SELECT i + 1 FROM n WHERE i < ?2)
                     INSERT INTO sources (name, url) SELECT 's' || i, 'https://s.example/' || i FROM n",
                    [from as i64, (from + count - 1) as i64],
                )
                .unwrap();
        };
        writer.begin().unwrap();
        assert_eq!(writer.group_linger(), Duration::ZERO, "nothing written yet");
        add_sources(&writer, 0, LINGER_FROM_ROWS - 1);
        assert_eq!(
            writer.group_linger(),
            Duration::ZERO,
            "too few rows to hold"
        );
        add_sources(&writer, LINGER_FROM_ROWS, 1);
        assert_eq!(writer.group_linger(), GROUP_LINGER);
        writer.commit().unwrap();
        writer.begin().unwrap();
        assert_eq!(
            writer.group_linger(),
            Duration::ZERO,
            "rows are counted from the group's start"
        );
        writer.roll_back();
    }
}
