//! The story index shared by the nodes of one database, and the write lock that
//! keeps it whole. Each node keeps the index in memory, as on SQLite; what keeps the
//! copies alike is the database. Every write transaction (a group of polls, articles
//! and claims; a sync of sources; a chunk of refill or prune) takes one advisory lock
//! first and holds it to its commit, and each change of the index (a new item, an
//! article's fingerprint) is numbered from a sequence (`items.index_change`); a poll
//! or article first reads the changes numbered above the last its node read. So
//! writes that consult the index happen one at a time across the nodes, each seeing
//! every change committed before it: the stories come out as one node would make
//! them from the same polls in the same order. And since every writer takes this lock
//! before any row lock, no two nodes' transactions wait on each other in a circle.
//! (The database takes one write transaction at a time, as SQLite's single writer
//! does; fetching and parsing, most of a poll's work, run on every node at once.)

use super::super::error::StoreError;
use super::Conn;
use crate::cluster::{Fingerprint, Settings, StoryIndex};

/// The advisory lock every write transaction holds to its commit (any constant the
/// nodes agree on: the ASCII of `fbwrite`).
const WRITE_LOCK: i64 = 0x0066_6277_7269_7465;

/// Where this node's index stands against the database's changes.
#[derive(Debug, Default)]
pub(super) struct IndexSync {
    /// The highest change the index holds.
    read: i64,
    /// The open transaction has read the changes other nodes committed.
    caught_up: bool,
    /// The highest change of other nodes the open transaction read (the index holds
    /// it already). Held apart from `read` until the commit: a rolled-back
    /// transaction's index forgets what it took in
    /// ([`StoryIndex::forget_since`]), so the next one must read it again.
    joined: i64,
    /// The highest change the open transaction made (the index holds it already).
    written: i64,
}

impl Conn {
    /// Opens a write transaction under the write lock.
    pub(super) fn begin_under_write_lock(&mut self) -> Result<(), StoreError> {
        let begun = self.client.batch_execute("BEGIN");
        self.noted(begun)?;
        if let Err(error) = self.execute("SELECT pg_advisory_xact_lock($1)", &[&WRITE_LOCK]) {
            let rolled_back = self.client.batch_execute("ROLLBACK");
            let _ = self.noted(rolled_back);
            return Err(error);
        }
        Ok(())
    }

    /// Brings `index` up to date with the changes other nodes committed, once per
    /// transaction (opened by [`Conn::begin_under_write_lock`]).
    pub(super) fn join_index(&mut self, index: &mut StoryIndex) -> Result<(), StoreError> {
        if self.index.caught_up {
            return Ok(());
        }
        self.index.caught_up = true;
        let read = self.index.read;
        let rows = self.query(
            "SELECT id, story_id, source_id, first_seen, fingerprint, index_change FROM items
             WHERE index_change > $1 AND fingerprint IS NOT NULL ORDER BY index_change",
            &[&read],
        )?;
        for row in &rows {
            let change: i64 = row.try_get(5)?;
            self.index.joined = self.index.joined.max(change);
            let bytes: Vec<u8> = row.try_get(4)?;
            if let Ok(fp) = Fingerprint::from_bytes(&bytes) {
                index.insert(
                    row.try_get(0)?,
                    row.try_get(1)?,
                    row.try_get(2)?,
                    row.try_get(3)?,
                    &fp,
                );
            }
        }
        Ok(())
    }

    /// Notes that the open transaction made change `change` (its index holds it).
    pub(super) fn index_changed(&mut self, change: i64) {
        self.index.written = self.index.written.max(change);
    }

    /// The open transaction ended: committed, the changes it read and made are ones
    /// the index holds; rolled back, the index forgot them (the changes other nodes
    /// made are read again by the next transaction).
    pub(super) fn index_ended(&mut self, committed: bool) {
        if committed {
            self.index.read = self
                .index
                .read
                .max(self.index.joined)
                .max(self.index.written);
        }
        self.index.caught_up = false;
        self.index.joined = 0;
        self.index.written = 0;
    }

    /// The story index of the items first seen within the window, from their stored
    /// fingerprints, read under the write lock with the last change it holds.
    pub(super) fn story_index(
        &mut self,
        settings: Settings,
        now: i64,
    ) -> Result<StoryIndex, StoreError> {
        let started = std::time::Instant::now();
        let since = settings.window_start(now);
        self.in_transaction(|conn| {
            let read: Option<i64> = conn
                .query_one("SELECT MAX(index_change) FROM items", &[])?
                .try_get(0)?;
            let rows = conn.query(
                "SELECT id, story_id, source_id, first_seen, fingerprint FROM items
                 WHERE first_seen >= $1 AND fingerprint IS NOT NULL ORDER BY first_seen, id",
                &[&since],
            )?;
            let mut index = StoryIndex::new(settings);
            index.reserve(rows.len());
            let mut unreadable = 0usize;
            for row in &rows {
                let bytes: Vec<u8> = row.try_get(4)?;
                match Fingerprint::from_bytes(&bytes) {
                    Ok(fp) => {
                        index.insert(
                            row.try_get(0)?,
                            row.try_get(1)?,
                            row.try_get(2)?,
                            row.try_get(3)?,
                            &fp,
                        );
                    }
                    Err(_) => unreadable += 1,
                }
            }
            conn.index = IndexSync {
                read: read.unwrap_or(0),
                ..IndexSync::default()
            };
            tracing::info!(
                items = index.len(),
                unreadable,
                ms = started.elapsed().as_millis() as u64,
                "story index rebuilt"
            );
            Ok(index)
        })
    }
}
