//! Item rows: writing a source's parsed entries (as `ingest` decides), and sorting
//! each new or edited item into its feeds. Reading them back is `reads`.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use rusqlite::{CachedStatement, Connection, OptionalExtension, Row, params};

use super::body::packed_bodies;
use super::columns::{authors_value, categories_value, links_value};
use super::error::StoreError;
use super::feeds::FeedRow;
use super::stories;
use crate::cluster::{Fingerprint, StoryIndex};
use crate::identity;
use crate::ingest::{self, Decision, Existing};
use crate::membership::{Candidate, FeedSet};
use crate::model::Entry;

/// What one poll changed in a source's items.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct IngestSummary {
    pub new: usize,
    pub updated: usize,
    pub unchanged: usize,
    /// Entries of items pruned earlier, which stay pruned.
    pub tombstoned: usize,
    /// New items that joined a story another source already carried.
    pub merged: usize,
    /// New or edited items whose article page was queued for fetching.
    pub articles_queued: usize,
}

/// The source a poll's entries come from.
#[derive(Clone, Copy)]
pub(super) struct SourceRef<'a> {
    pub id: i64,
    pub name: &'a str,
    /// Queue each new or edited item's article page for fetching.
    pub full_text: bool,
}

/// What writing one poll's entries did.
#[derive(Default)]
pub(super) struct Ingested {
    pub summary: IngestSummary,
    /// The feeds that gained or lost an item.
    pub changed_feeds: BTreeSet<String>,
}

/// Writes `entries` of one source inside the caller's transaction.
pub(super) fn ingest_entries(
    tx: &Connection,
    feeds: &FeedSet,
    index: &mut StoryIndex,
    source: SourceRef<'_>,
    entries: &[Entry],
    now: DateTime<Utc>,
) -> Result<Ingested, StoreError> {
    let (source_id, source_name) = (source.id, source.name);
    let mut summary = IngestSummary::default();
    let mut changed_feeds = BTreeSet::new();
    let mut poll = PollWrite::prepare(tx, index, source_id, source_name, now)?;

    for entry in entries {
        let found = poll.find_existing(entry)?;
        let tombstoned = found.existing.is_none() && poll.is_tombstoned(&entry.key)?;
        match ingest::decide(found.existing.as_ref(), tombstoned, entry) {
            Decision::Insert => {
                let (at, merged) = poll.insert(entry, found.stories_by_link)?;
                changed_feeds.extend(admit_entry(tx, feeds, at, source_name, entry)?);
                summary.merged += usize::from(merged);
                summary.new += 1;
                if source.full_text
                    && let Some(link) = &entry.link
                {
                    super::articles::queue(tx, at.item, link, now)?;
                    summary.articles_queued += 1;
                }
            }
            Decision::Update { row } => {
                update(tx, row, entry, now)?;
                let at = tx.query_row(
                    "SELECT story_id, sort_date FROM items WHERE id = ?1",
                    [row],
                    |r| {
                        Ok(FeedRow {
                            item: row,
                            story: r.get(0)?,
                            sort_date: r.get(1)?,
                        })
                    },
                )?;
                changed_feeds.extend(super::feeds::forget(tx, row)?);
                changed_feeds.extend(admit_entry(tx, feeds, at, source_name, entry)?);
                summary.updated += 1;
                // An edit puts the feed's own content back: its article is fetched again.
                if source.full_text
                    && let Some(link) = &entry.link
                {
                    super::articles::queue(tx, row, link, now)?;
                    summary.articles_queued += 1;
                }
            }
            Decision::Unchanged => summary.unchanged += 1,
            Decision::Tombstoned => summary.tombstoned += 1,
        }
    }
    Ok(Ingested {
        summary,
        changed_feeds,
    })
}

/// Sorts a stored or edited entry into its feeds; returns them.
fn admit_entry(
    tx: &Connection,
    feeds: &FeedSet,
    item: FeedRow,
    source_name: &str,
    entry: &Entry,
) -> Result<Vec<String>, StoreError> {
    super::feeds::admit(
        tx,
        feeds,
        None,
        item,
        &Candidate::of_entry(source_name, entry),
        entry.prepared_words.as_ref(),
    )
}

/// What looking an entry up found.
#[derive(Default)]
struct Found {
    /// The stored item it refers to.
    existing: Option<Existing>,
    /// When it is new to its source: the stories its canonical link points to.
    stories_by_link: stories::ByLink,
}

/// One poll's entries being written: what each entry's write needs, with the
/// statements every entry runs prepared once for the poll, not taken from rusqlite's
/// statement cache for each entry (which hashes the SQL to find it and again to put
/// it back): the store thread is the one every poll waits on.
struct PollWrite<'a> {
    tx: &'a Connection,
    index: &'a mut StoryIndex,
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

impl<'a> PollWrite<'a> {
    fn prepare(
        tx: &'a Connection,
        index: &'a mut StoryIndex,
        source_id: i64,
        source_name: &'a str,
        now: DateTime<Utc>,
    ) -> Result<PollWrite<'a>, StoreError> {
        Ok(PollWrite {
            tx,
            index,
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

    /// The stored item an entry refers to: by its key, else (the guid changed but the
    /// link and content did not) by canonical link and content hash, which re-keys it.
    /// For an entry new to its source, also the story its canonical link joins.
    fn find_existing(&mut self, entry: &Entry) -> Result<Found, StoreError> {
        let by_key = self
            .by_key
            .query_row(params![self.source_id, entry.key], existing_from_row)
            .optional()?;
        if by_key.is_some() {
            return Ok(Found {
                existing: by_key,
                stories_by_link: stories::ByLink::default(),
            });
        }
        let Some(link) = &entry.canonical_link else {
            return Ok(Found::default());
        };
        // One read of the items with this link answers both questions, on the store
        // thread every poll waits on: the source's own
        // item with the same content (its key differs: the lookup above found none),
        // and the story of the copy another source carried first.
        let mut ours: Option<Existing> = None;
        let mut by_link = stories::LinkScan::default();
        let mut rows = self
            .by_link
            .query(params![crate::identity::link_key(link), link])?;
        while let Some(r) = rows.next()? {
            let (row, source): (i64, i64) = (r.get(0)?, r.get(1)?);
            let (story, first_seen) = (r.get(3)?, r.get(4)?);
            if source != self.source_id {
                let order = stories::SeenOrder {
                    first_seen,
                    date: r.get(5)?,
                    row,
                };
                by_link.elsewhere(order, story);
                continue;
            }
            let content_hash: String = r.get(2)?;
            if crate::identity::same_content(&content_hash, &entry.content_hash) {
                if ours.as_ref().is_none_or(|found| row < found.row) {
                    ours = Some(Existing { row, content_hash });
                }
            } else {
                let stored: Option<Vec<u8>> = r.get(6)?;
                let now = self.now.timestamp();
                let order = stories::SeenOrder {
                    first_seen,
                    date: 0,
                    row,
                };
                by_link.own(order, story, entry, stored.as_deref(), now);
            }
        }
        drop(rows);
        if let Some(found) = &ours {
            self.tx.execute(
                "UPDATE items SET item_key = ?2 WHERE id = ?1",
                params![found.row, entry.key],
            )?;
        }
        Ok(Found {
            existing: ours,
            stories_by_link: by_link.found(),
        })
    }

    fn is_tombstoned(&mut self, key: &str) -> Result<bool, StoreError> {
        Ok(self.tombstone.exists(params![self.source_id, key])?)
    }

    /// Stores a new item: its row, story and date, and whether it joined an existing
    /// story.
    fn insert(
        &mut self,
        entry: &Entry,
        stories_by_link: stories::ByLink,
    ) -> Result<(FeedRow, bool), StoreError> {
        let (tx, source_id, now) = (self.tx, self.source_id, self.now);
        let sort_date = ingest::effective_date(entry.published, entry.updated, now);
        let fingerprint = stories::fingerprint_of(entry);
        let joined = stories::story_of(
            tx,
            self.index,
            stories_by_link,
            source_id,
            &fingerprint,
            now.timestamp(),
        )?;
        let story = joined.map(|j| j.story);
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
        // The public id derives from source and key; in the rare case an item
        // re-keyed after its guid changed holds it, a counter is added. The insert
        // finds that out itself (it probes the unique index anyway): a lookup first
        // probed it twice for every new item.
        let mut public_id = identity::public_id(self.source_name, &entry.key);
        let mut n = 1;
        while !self.insert_row(
            entry,
            (row, story),
            &public_id,
            sort_date,
            joined,
            &fingerprint,
        )? {
            if !self.public_id_taken.exists([&public_id])? {
                return Err(StoreError::Sqlite(rusqlite::Error::SqliteFailure(
                    rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_CONSTRAINT),
                    Some(format!("item {row} of source {source_id} was not inserted")),
                )));
            }
            n += 1;
            public_id = identity::public_id(self.source_name, &format!("{}#{n}", entry.key));
        }
        self.next_row = Some(row + 1);
        self.index
            .insert(row, story, source_id, now.timestamp(), &fingerprint);
        let at = FeedRow {
            item: row,
            story,
            sort_date: sort_date.timestamp(),
        };
        Ok((at, joined.is_some()))
    }

    /// Writes a new item's row; `false` when a unique constraint ignored it.
    fn insert_row(
        &mut self,
        entry: &Entry,
        (row, story): (i64, i64),
        public_id: &str,
        sort_date: DateTime<Utc>,
        joined: Option<stories::Joined>,
        fingerprint: &Fingerprint,
    ) -> Result<bool, StoreError> {
        let (layer, score) = match joined {
            Some(j) => (Some(j.layer.as_str()), Some(f64::from(j.score))),
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
            sort_date.timestamp(),
            self.now.timestamp(),
            entry.content_hash,
            layer,
            score,
            &fingerprint.to_bytes()[..],
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
