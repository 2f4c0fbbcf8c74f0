//! Item rows in SQLite: writing a source's parsed entries (as `ingest` decides), and sorting
//! each new or edited item into its feeds. Reading them back is `reads`.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use rusqlite::{CachedStatement, Connection, OptionalExtension, Row, params};

use super::super::columns::{authors_value, categories_value, links_value};
use super::super::error::{DriverError, StoreError};
use super::super::records::{FeedRow, IngestSummary, Ingested};
use super::body::packed_bodies;
use super::stories;
use crate::cluster::StoryIndex;
use crate::identity;
use crate::ingest::{self, Change, Existing, LinkedRow, Lookup, NewItem, Poll, StoryChoice};
use crate::membership::FeedSet;
use crate::model::Entry;

/// The source a poll's entries come from.
#[derive(Clone, Copy)]
pub(super) struct SourceRef<'a> {
    pub id: i64,
    pub name: &'a str,
    /// Queue each new or edited item's article page for fetching.
    pub full_text: bool,
}

/// Writes `entries` of one source inside the caller's transaction, as `ingest`
/// plans each from what this looks up.
pub(super) fn ingest_entries(
    tx: &Connection,
    feeds: &FeedSet,
    index: &mut StoryIndex,
    source: SourceRef<'_>,
    entries: &[Entry],
    now: DateTime<Utc>,
) -> Result<Ingested, StoreError> {
    let mut summary = IngestSummary::default();
    let mut changed_feeds = BTreeSet::new();
    let window_start = index.settings().window_start(now.timestamp());
    index.evict_older_than(window_start);
    let mut write = PollWrite::prepare(tx, source.id, source.name, now)?;
    for entry in entries {
        // Made anew for each entry: the index it lends is written between entries.
        let poll = Poll {
            id: source.id,
            name: source.name,
            full_text: source.full_text,
            feeds,
            index,
            now,
        };
        let (at, placement) = match ingest::plan_entry(&poll, &mut write, entry)? {
            Change::Insert(new) => {
                let at = write.insert(entry, &new)?;
                index.insert(
                    at.item,
                    at.story,
                    source.id,
                    now.timestamp(),
                    &new.fingerprint,
                );
                summary.merged += usize::from(new.story != StoryChoice::Own);
                summary.new += 1;
                (at, new.placement)
            }
            Change::Update { row, placement } => {
                update(tx, row, entry, now)?;
                let at = tx
                    .prepare_cached("SELECT story_id, sort_date FROM items WHERE id = ?1")?
                    .query_row([row], |r| {
                        Ok(FeedRow {
                            item: row,
                            story: r.get(0)?,
                            sort_date: r.get(1)?,
                        })
                    })?;
                changed_feeds.extend(super::feeds::forget(tx, row)?);
                summary.updated += 1;
                (at, placement)
            }
            Change::Unchanged => {
                summary.unchanged += 1;
                continue;
            }
            Change::Rekey { row } => {
                write.rekey(row, &entry.key)?;
                summary.unchanged += 1;
                continue;
            }
            Change::Tombstoned => {
                summary.tombstoned += 1;
                continue;
            }
        };
        super::feeds::insert_rows(tx, at, &placement.feeds)?;
        changed_feeds.extend(placement.feeds);
        // An edit puts the feed's own content back: its article is fetched again.
        if let Some(link) = &placement.fetch_article {
            super::articles::queue(tx, at.item, link, now)?;
            summary.articles_queued += 1;
        }
    }
    Ok(Ingested {
        summary,
        changed_feeds,
    })
}

/// One poll's entries being looked up and written, with the statements every entry
/// runs prepared once for the poll, not taken from rusqlite's statement cache for
/// each entry (which hashes the SQL to find it and again to put it back): the store
/// thread is the one every poll waits on.
struct PollWrite<'a> {
    tx: &'a Connection,
    source_id: i64,
    source_name: &'a str,
    now: DateTime<Utc>,
    by_key: CachedStatement<'a>,
    by_link: CachedStatement<'a>,
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
                    content_hash: r.get(2)?,
                    story: r.get(3)?,
                    first_seen: r.get(4)?,
                    sort_date: r.get(5)?,
                    fingerprint: r.get(6)?,
                })
            })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn is_tombstoned(&mut self, key: &str) -> Result<bool, StoreError> {
        Ok(self.tombstone.exists(params![self.source_id, key])?)
    }

    fn story_of(&mut self, item: i64) -> Result<Option<i64>, StoreError> {
        stories::story_of(self.tx, item)
    }
}

impl<'a> PollWrite<'a> {
    fn prepare(
        tx: &'a Connection,
        source_id: i64,
        source_name: &'a str,
        now: DateTime<Utc>,
    ) -> Result<PollWrite<'a>, StoreError> {
        Ok(PollWrite {
            tx,
            source_id,
            source_name,
            now,
            by_key: tx.prepare_cached(
                "SELECT id, content_hash FROM items WHERE source_id = ?1 AND item_key = ?2",
            )?,
            by_link: tx.prepare_cached(
                "SELECT id, source_id, content_hash, story_id, first_seen, sort_date, fingerprint
                 FROM items WHERE link_key = ?1 AND COALESCE(canonical_link, link) = ?2",
            )?,
            tombstone: tx.prepare_cached(
                "SELECT 1 FROM tombstones WHERE source_id = ?1 AND item_key = ?2",
            )?,
            public_id_taken: tx.prepare_cached("SELECT 1 FROM items WHERE public_id = ?1")?,
            insert: tx.prepare_cached(
                "INSERT OR IGNORE INTO items (id, source_id, item_key, public_id, story_id, story_layer,
                    story_score, guid, link, canonical_link, title, summary_html, content_html,
                    author, categories, published, source_updated, sort_date, first_seen, updated,
                    content_hash, fingerprint, links, link_key)
                 VALUES (?21, ?1, ?2, ?3, ?4, ?18, ?19, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13,
                    ?14, ?15, ?16, ?16, ?17, ?20, ?22, ?23)",
            )?,
            next_row: None,
        })
    }

    /// Stores `key` as the key of the source's item `row` (its guid changed).
    fn rekey(&mut self, row: i64, key: &str) -> Result<(), StoreError> {
        self.tx
            .prepare_cached("UPDATE items SET item_key = ?2 WHERE id = ?1")?
            .execute(params![row, key])?;
        Ok(())
    }

    /// Stores a new item as planned: its row, in its story, under the first public
    /// id no other item holds.
    fn insert(&mut self, entry: &Entry, new: &NewItem) -> Result<FeedRow, StoreError> {
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
        for public_id in identity::public_id_choices(self.source_name, &entry.key) {
            if self.insert_row(entry, (row, story), &public_id, new)? {
                inserted = true;
                break;
            }
            if !self.public_id_taken.exists([&public_id])? {
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
        public_id: &str,
        new: &NewItem,
    ) -> Result<bool, StoreError> {
        let (layer, score) = match new.story.evidence() {
            Some((layer, score)) => (Some(layer.as_str()), Some(f64::from(score))),
            None => (None, None),
        };
        let (summary, content) = packed_bodies(entry);
        let inserted = self.insert.execute(params![
            self.source_id,
            entry.key,
            public_id,
            story,
            entry.guid,
            entry.link,
            // Kept only where it differs: read back as `COALESCE(canonical_link, link)`.
            entry
                .canonical_link
                .as_ref()
                .filter(|c| entry.link.as_ref() != Some(*c)),
            entry.title,
            summary,
            content,
            authors_value(&entry.authors),
            categories_value(&entry.categories),
            entry.published.map(|d| d.timestamp()),
            entry.updated.map(|d| d.timestamp()),
            new.sort_date.timestamp(),
            self.now.timestamp(),
            entry.content_hash,
            layer,
            score,
            &new.fingerprint.to_bytes()[..],
            row,
            links_value(&entry.links),
            entry
                .canonical_link
                .as_deref()
                .map(crate::identity::link_key),
        ])?;
        Ok(inserted == 1)
    }
}

fn existing_from_row(r: &Row<'_>) -> rusqlite::Result<Existing> {
    Ok(Existing {
        row: r.get(0)?,
        content_hash: r.get(1)?,
    })
}

fn update(tx: &Connection, row: i64, entry: &Entry, now: DateTime<Utc>) -> Result<(), StoreError> {
    // sort_date, first_seen, public_id and story stay: an edit never moves or renames an item.
    let (summary, content) = packed_bodies(entry);
    tx.prepare_cached(
        "UPDATE items SET guid = ?2, link = ?3, title = ?4, summary_html = ?5, content_html = ?6,
            author = ?7, categories = ?8, published = ?9, source_updated = ?10, updated = ?11,
            content_hash = ?12, links = ?13,
            -- The canonical link stays as first stored: kept apart once the link moves.
            canonical_link = CASE
                WHEN canonical_link IS NULL AND link_key IS NOT NULL AND link IS NOT ?3
                THEN link ELSE canonical_link END
         WHERE id = ?1",
    )?
    .execute(params![
        row,
        entry.guid,
        entry.link,
        entry.title,
        summary,
        content,
        authors_value(&entry.authors),
        categories_value(&entry.categories),
        entry.published.map(|d| d.timestamp()),
        entry.updated.map(|d| d.timestamp()),
        now.timestamp(),
        entry.content_hash,
        links_value(&entry.links),
    ])?;
    Ok(())
}
