//! Item rows in SQLite: writing a source's parsed entries (as `ingest` decides), and sorting
//! each new or edited item into its feeds. Reading them back is `reads`.

use chrono::{DateTime, Utc};
use rusqlite::{CachedStatement, Connection, OptionalExtension, Row, params};

use super::super::apply::PollWriter;
use super::super::columns::{EntryColumns, story_evidence};
use super::super::error::{DriverError, StoreError};
use super::super::records::FeedRow;
use super::digests::{ContentHash, PublicIdDigest, StoredContentHash};
use super::{link_keys, stories};
use crate::identity;
use crate::ingest::{Existing, LinkedRow, Lookup, NewItem, StoryChoice};
use crate::model::Entry;

/// One poll's entries being looked up and written, with the statements every entry
/// runs prepared once for the poll, not taken from rusqlite's statement cache for
/// each entry (which hashes the SQL to find it and again to put it back): the store
/// thread is the one every poll waits on.
pub(super) struct PollWrite<'a> {
    tx: &'a Connection,
    source_id: i64,
    public_ids: identity::SourcePublicIds<'a>,
    now: DateTime<Utc>,
    by_key: CachedStatement<'a>,
    by_link: CachedStatement<'a>,
    insert_link_key: CachedStatement<'a>,
    tombstone: CachedStatement<'a>,
    public_id_taken: CachedStatement<'a>,
    insert: CachedStatement<'a>,
    /// The row id the next new item gets: read once a poll (nothing else writes
    /// items inside the transaction meanwhile), then counted up.
    next_row: Option<i64>,
}

impl Lookup for PollWrite<'_> {
    type Error = StoreError;

    fn by_key(&mut self, key: &str) -> Result<Option<Existing>, StoreError> {
        Ok(self
            .by_key
            .query_row(params![self.source_id, key], existing_from_row)
            .optional()?)
    }

    fn by_link(&mut self, link: &str) -> Result<Vec<LinkedRow>, StoreError> {
        let rows = self
            .by_link
            .query_map(params![crate::identity::link_key(link), link], |r| {
                Ok(LinkedRow {
                    row: r.get(0)?,
                    source: r.get(1)?,
                    content_hash: r.get::<_, StoredContentHash>(2)?.0,
                    story: r.get(3)?,
                    first_seen: r.get(4)?,
                    sort_date: r.get(5)?,
                    fingerprint: r.get(6)?,
                })
            })?;
        let mut rows: Vec<LinkedRow> = rows.collect::<Result<_, _>>()?;
        // In row order, whatever plan SQLite picks: planning then decides alike.
        rows.sort_unstable_by_key(|row| row.row);
        Ok(rows)
    }

    fn is_tombstoned(&mut self, key: &str) -> Result<bool, StoreError> {
        Ok(self.tombstone.exists(params![self.source_id, key])?)
    }

    fn story_of(&mut self, item: i64) -> Result<Option<i64>, StoreError> {
        stories::story_of(self.tx, item)
    }
}

impl<'a> PollWrite<'a> {
    /// Prepares the statements of a poll of source `source_id` at `now`.
    pub(super) fn prepare(
        tx: &'a Connection,
        source_id: i64,
        source_name: &'a str,
        now: DateTime<Utc>,
    ) -> Result<PollWrite<'a>, StoreError> {
        Ok(PollWrite {
            tx,
            source_id,
            public_ids: identity::SourcePublicIds::of(source_name),
            now,
            by_key: tx.prepare_cached(
                "SELECT id, content_hash FROM items WHERE source_id = ?1 AND item_key = ?2",
            )?,
            // Two joins, not `id IN (…)`: the list would be an ephemeral table built
            // and torn down for every new item, most of the lookup's cost. The
            // triggers never leave a key in both tables, so no row comes twice.
            by_link: tx.prepare_cached(
                "SELECT i.id, i.source_id, i.content_hash, i.story_id, i.first_seen,
                        i.sort_date, i.fingerprint
                 FROM link_keys k JOIN items i ON i.id = k.item_id
                 WHERE k.link_key = ?1 AND COALESCE(i.canonical_link, i.link) = ?2
                 UNION ALL
                 SELECT i.id, i.source_id, i.content_hash, i.story_id, i.first_seen,
                        i.sort_date, i.fingerprint
                 FROM recent_link_keys k JOIN items i ON i.id = k.item_id
                 WHERE k.link_key = ?1 AND COALESCE(i.canonical_link, i.link) = ?2",
            )?,
            insert_link_key: tx.prepare_cached(link_keys::INSERT_RECENT)?,
            tombstone: tx.prepare_cached(
                "SELECT 1 FROM tombstones WHERE source_id = ?1 AND item_key = ?2",
            )?,
            public_id_taken: tx.prepare_cached("SELECT 1 FROM items WHERE public_id = ?1")?,
            insert: tx.prepare_cached(
                "INSERT OR IGNORE INTO items (id, source_id, item_key, public_id, story_id, story_layer,
                    story_score, link, canonical_link, title, summary_html, content_html,
                    author, categories, published, source_updated, sort_date, first_seen, updated,
                    content_hash, fingerprint, links, link_key)
                 VALUES (?20, ?1, ?2, ?3, ?4, ?17, ?18, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12,
                    ?13, ?14, ?15, ?15, ?16, ?19, ?21, ?22)",
            )?,
            next_row: None,
        })
    }

    /// Stores a new item as planned: its row, in its story, under the first public
    /// id no other item holds.
    fn insert_item(&mut self, entry: &Entry, new: &NewItem) -> Result<FeedRow, StoreError> {
        let (tx, source_id) = (self.tx, self.source_id);
        let story = match new.story {
            StoryChoice::Own => None,
            StoryChoice::Joined { story, .. } => Some(story),
        };
        // The row id SQLite would assign (the table has no AUTOINCREMENT), taken up
        // front so that an item starting its own story is written with it in one
        // statement.
        let row = match self.next_row {
            Some(row) => row,
            None => tx
                .prepare_cached("SELECT IFNULL(MAX(id), 0) + 1 FROM items")?
                .query_row([], |r| r.get(0))?,
        };
        let story = story.unwrap_or(row);
        // The insert finds out itself whether the public id is taken (it probes the
        // unique index anyway): a lookup first probed it twice for every new item.
        let mut inserted = false;
        let public_ids = self.public_ids;
        for public_id in public_ids.choices(&entry.key) {
            if self.insert_row(entry, (row, story), &public_id, new)? {
                inserted = true;
                break;
            }
            if !self.public_id_taken.exists([PublicIdDigest(&public_id)])? {
                break;
            }
        }
        if !inserted {
            return Err(StoreError::Driver(DriverError::message(format!(
                "item {row} of source {source_id} was not inserted"
            ))));
        }
        self.next_row = Some(row + 1);
        Ok(FeedRow {
            item: row,
            story,
            sort_date: new.sort_date.timestamp(),
        })
    }

    /// Writes a new item's row; `false` when a unique constraint ignored it.
    fn insert_row(
        &mut self,
        entry: &Entry,
        (row, story): (i64, i64),
        public_id: &[u8; 16],
        new: &NewItem,
    ) -> Result<bool, StoreError> {
        let (layer, score) = story_evidence(new.story);
        let columns = EntryColumns::of(entry);
        let inserted = self.insert.execute(params![
            self.source_id,
            entry.key,
            PublicIdDigest(public_id),
            story,
            entry.link,
            columns.canonical,
            entry.title,
            columns.summary,
            columns.content,
            columns.authors,
            columns.categories,
            columns.published,
            columns.source_updated,
            new.sort_date.timestamp(),
            self.now.timestamp(),
            ContentHash(&entry.content_hash),
            layer,
            score,
            &new.fingerprint.to_bytes()[..],
            row,
            columns.links,
            columns.link_key,
        ])?;
        if inserted == 1
            && let Some(key) = columns.link_key
        {
            self.insert_link_key.execute([key, row])?;
        }
        Ok(inserted == 1)
    }
}

fn existing_from_row(r: &Row<'_>) -> rusqlite::Result<Existing> {
    Ok(Existing {
        row: r.get(0)?,
        content_hash: r.get::<_, StoredContentHash>(1)?.0,
    })
}

impl PollWriter for PollWrite<'_> {
    fn insert(&mut self, entry: &Entry, new: &NewItem) -> Result<FeedRow, StoreError> {
        self.insert_item(entry, new)
    }

    fn update(&mut self, row: i64, entry: &Entry) -> Result<(FeedRow, Vec<String>), StoreError> {
        let tx = self.tx;
        update(tx, row, entry, self.now)?;
        let at = tx
            .prepare_cached("SELECT story_id, sort_date FROM items WHERE id = ?1")?
            .query_row([row], |r| {
                Ok(FeedRow {
                    item: row,
                    story: r.get(0)?,
                    sort_date: r.get(1)?,
                })
            })?;
        Ok((at, super::feeds::forget(tx, row)?))
    }

    fn rekey(&mut self, row: i64, key: &str) -> Result<(), StoreError> {
        self.tx
            .prepare_cached("UPDATE items SET item_key = ?2 WHERE id = ?1")?
            .execute(params![row, key])?;
        Ok(())
    }

    fn list_in(&mut self, at: FeedRow, feeds: &[String]) -> Result<(), StoreError> {
        super::feeds::insert_rows(self.tx, at, feeds)
    }

    fn queue_article(&mut self, row: i64, link: &str) -> Result<(), StoreError> {
        super::articles::queue(self.tx, row, link, self.now)
    }
}

fn update(tx: &Connection, row: i64, entry: &Entry, now: DateTime<Utc>) -> Result<(), StoreError> {
    // sort_date, first_seen, public_id and story stay: an edit never moves or renames an item.
    let columns = EntryColumns::of(entry);
    tx.prepare_cached(
        "UPDATE items SET link = ?2, title = ?3, summary_html = ?4, content_html = ?5,
            author = ?6, categories = ?7, published = ?8, source_updated = ?9, updated = ?10,
            content_hash = ?11, links = ?12,
            -- The canonical link stays as first stored: kept apart once the link moves.
            canonical_link = CASE
                WHEN canonical_link IS NULL AND link_key IS NOT NULL AND link IS NOT ?2
                THEN link ELSE canonical_link END
         WHERE id = ?1",
    )?
    .execute(params![
        row,
        entry.link,
        entry.title,
        columns.summary,
        columns.content,
        columns.authors,
        columns.categories,
        columns.published,
        columns.source_updated,
        now.timestamp(),
        ContentHash(&entry.content_hash),
        columns.links,
    ])?;
    Ok(())
}
