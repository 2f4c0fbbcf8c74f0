//! Item rows in PostgreSQL: what `ingest` looks up for a poll's entries, and the rows
//! its plan writes (`store::apply` carries the plan out).

use chrono::{DateTime, Utc};

use super::super::apply::PollWriter;
use super::super::body::Packed;
use super::super::columns::{EntryColumns, story_evidence};
use super::super::error::{DriverError, StoreError};
use super::super::records::FeedRow;
use super::{Conn, articles, feeds};
use crate::identity;
use crate::ingest::{Existing, LinkedRow, Lookup, NewItem, StoryChoice};
use crate::model::Entry;

/// One poll's entries being looked up and written, inside the store thread's
/// transaction.
pub(super) struct PollWrite<'a> {
    conn: &'a mut Conn,
    source_id: i64,
    source_name: &'a str,
    now: DateTime<Utc>,
}

impl<'a> PollWrite<'a> {
    pub(super) fn new(
        conn: &'a mut Conn,
        source_id: i64,
        source_name: &'a str,
        now: DateTime<Utc>,
    ) -> PollWrite<'a> {
        PollWrite {
            conn,
            source_id,
            source_name,
            now,
        }
    }
}

/// An optional body as a typed column holds it.
fn body_bytes<'a>(body: &'a Option<Packed<'a>>) -> Option<std::borrow::Cow<'a, [u8]>> {
    body.as_ref().map(Packed::to_bytes)
}

impl Lookup for PollWrite<'_> {
    type Error = StoreError;

    fn by_key(&mut self, key: &str) -> Result<Option<Existing>, StoreError> {
        let row = self.conn.query_opt(
            "SELECT id, content_hash FROM items WHERE source_id = $1 AND item_key = $2",
            &[&self.source_id, &key],
        )?;
        row.map(|r| {
            Ok(Existing {
                row: r.try_get(0)?,
                content_hash: r.try_get(1)?,
            })
        })
        .transpose()
    }

    fn by_link(&mut self, link: &str) -> Result<Vec<LinkedRow>, StoreError> {
        let rows = self.conn.query(
            "SELECT id, source_id, content_hash, story_id, first_seen, sort_date, fingerprint
             FROM items WHERE link_key = $1 AND COALESCE(canonical_link, link) = $2",
            &[&identity::link_key(link), &link],
        )?;
        rows.iter()
            .map(|r| {
                Ok(LinkedRow {
                    row: r.try_get(0)?,
                    source: r.try_get(1)?,
                    content_hash: r.try_get(2)?,
                    story: r.try_get(3)?,
                    first_seen: r.try_get(4)?,
                    sort_date: r.try_get(5)?,
                    fingerprint: r.try_get(6)?,
                })
            })
            .collect()
    }

    fn is_tombstoned(&mut self, key: &str) -> Result<bool, StoreError> {
        Ok(self
            .conn
            .query_opt(
                "SELECT 1 FROM tombstones WHERE source_id = $1 AND item_key = $2",
                &[&self.source_id, &key],
            )?
            .is_some())
    }

    fn story_of(&mut self, item: i64) -> Result<Option<i64>, StoreError> {
        story_of(self.conn, item)
    }
}

/// The story stored item `item` is in (`None`: it is not stored).
pub(super) fn story_of(conn: &mut Conn, item: i64) -> Result<Option<i64>, StoreError> {
    conn.query_opt("SELECT story_id FROM items WHERE id = $1", &[&item])?
        .map(|r| r.try_get(0))
        .transpose()
        .map_err(StoreError::from)
}

impl PollWriter for PollWrite<'_> {
    fn insert(&mut self, entry: &Entry, new: &NewItem) -> Result<FeedRow, StoreError> {
        // The row id is drawn first, so that an item starting its own story is written
        // with it in one statement.
        let row: i64 = self
            .conn
            .query_one("SELECT nextval(pg_get_serial_sequence('items', 'id'))", &[])?
            .try_get(0)?;
        let story = match new.story {
            StoryChoice::Own => row,
            StoryChoice::Joined { story, .. } => story,
        };
        for public_id in identity::public_id_choices(self.source_name, &entry.key) {
            if self.insert_row(entry, (row, story), &public_id, new)? {
                return Ok(FeedRow {
                    item: row,
                    story,
                    sort_date: new.sort_date.timestamp(),
                });
            }
            let taken = self
                .conn
                .query_opt("SELECT 1 FROM items WHERE public_id = $1", &[&public_id])?
                .is_some();
            if !taken {
                break;
            }
        }
        Err(StoreError::Driver(DriverError::message(format!(
            "item {row} of source {} was not inserted",
            self.source_id
        ))))
    }

    fn update(&mut self, row: i64, entry: &Entry) -> Result<(FeedRow, Vec<String>), StoreError> {
        // sort_date, first_seen, public_id and story stay: an edit never moves or
        // renames an item.
        let columns = EntryColumns::of(entry);
        let updated = self.conn.query_one(
            "UPDATE items SET guid = $2, link = $3, title = $4, summary_html = $5,
                content_html = $6, author = $7, categories = $8, published = $9,
                source_updated = $10, updated = $11, content_hash = $12, links = $13,
                -- The canonical link stays as first stored: kept apart once the link moves.
                canonical_link = CASE
                    WHEN canonical_link IS NULL AND link_key IS NOT NULL
                         AND link IS DISTINCT FROM $3
                    THEN link ELSE canonical_link END
             WHERE id = $1
             RETURNING story_id, sort_date",
            &[
                &row,
                &entry.guid,
                &entry.link,
                &entry.title,
                &body_bytes(&columns.summary).as_deref(),
                &body_bytes(&columns.content).as_deref(),
                &columns.authors,
                &columns.categories,
                &columns.published,
                &columns.source_updated,
                &self.now.timestamp(),
                &entry.content_hash,
                &columns.links,
            ],
        )?;
        let at = FeedRow {
            item: row,
            story: updated.try_get(0)?,
            sort_date: updated.try_get(1)?,
        };
        Ok((at, feeds::forget(self.conn, row)?))
    }

    fn rekey(&mut self, row: i64, key: &str) -> Result<(), StoreError> {
        self.conn.execute(
            "UPDATE items SET item_key = $2 WHERE id = $1",
            &[&row, &key],
        )?;
        Ok(())
    }

    fn list_in(&mut self, at: FeedRow, feeds: &[String]) -> Result<(), StoreError> {
        feeds::insert_rows(self.conn, at, feeds)
    }

    fn queue_article(&mut self, row: i64, link: &str) -> Result<(), StoreError> {
        articles::queue(self.conn, row, link, self.now)
    }
}

impl PollWrite<'_> {
    /// Writes a new item's row, numbered as a change of the story index; `false`
    /// when a unique constraint kept it out.
    fn insert_row(
        &mut self,
        entry: &Entry,
        (row, story): (i64, i64),
        public_id: &str,
        new: &NewItem,
    ) -> Result<bool, StoreError> {
        let (layer, score) = story_evidence(new.story);
        let columns = EntryColumns::of(entry);
        let inserted = self.conn.query_opt(
            "INSERT INTO items (id, source_id, item_key, public_id, story_id, story_layer,
                story_score, guid, link, canonical_link, title, summary_html, content_html,
                author, categories, published, source_updated, sort_date, first_seen, updated,
                content_hash, fingerprint, links, link_key, index_change)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16,
                $17, $18, $19, $19, $20, $21, $22, $23, nextval('story_index_changes'))
             ON CONFLICT DO NOTHING
             RETURNING index_change",
            &[
                &row,
                &self.source_id,
                &entry.key,
                &public_id,
                &story,
                &layer,
                &score,
                &entry.guid,
                &entry.link,
                &columns.canonical,
                &entry.title,
                &body_bytes(&columns.summary).as_deref(),
                &body_bytes(&columns.content).as_deref(),
                &columns.authors,
                &columns.categories,
                &columns.published,
                &columns.source_updated,
                &new.sort_date.timestamp(),
                &self.now.timestamp(),
                &entry.content_hash,
                &&new.fingerprint.to_bytes()[..],
                &columns.links,
                &columns.link_key,
            ],
        )?;
        match inserted {
            Some(row) => {
                let change: i64 = row.try_get(0)?;
                self.conn.index_changed(change);
                Ok(true)
            }
            None => Ok(false),
        }
    }
}
