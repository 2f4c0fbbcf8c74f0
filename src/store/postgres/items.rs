//! Item rows in PostgreSQL: what `ingest` looks up for a poll's entries, and the rows
//! its plan writes (`store::apply` carries the plan out).

use std::collections::{HashMap, HashSet, VecDeque};

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
/// transaction. What the planner looks up for the poll's entries (their keys, their
/// tombstones, the items under their canonical links) is read in three queries up
/// front, not three per entry: each is a round trip to the server, which the store
/// thread would spend waiting. The poll's own writes keep those answers current, and
/// no other writer can change them meanwhile (the transaction holds the write lock).
pub(super) struct PollWrite<'a> {
    conn: &'a mut Conn,
    source_id: i64,
    source_name: &'a str,
    now: DateTime<Utc>,
    /// The source's items under the poll's keys.
    by_key: HashMap<String, Existing>,
    /// Which of the poll's keys were pruned.
    tombstoned: HashSet<String>,
    /// The items (of any source) under each of the poll's canonical links.
    by_link: HashMap<String, Vec<LinkedRow>>,
    /// Row ids drawn for the poll's new items, the next first.
    row_ids: VecDeque<i64>,
    /// How many entries the poll has: how many row ids to draw at once.
    entries: usize,
}

impl<'a> PollWrite<'a> {
    /// Reads what the planner will look up for `entries` of source `source_id`.
    pub(super) fn prepare(
        conn: &'a mut Conn,
        (source_id, source_name): (i64, &'a str),
        entries: &[Entry],
        now: DateTime<Utc>,
    ) -> Result<PollWrite<'a>, StoreError> {
        let keys: Vec<&str> = entries.iter().map(|e| e.key.as_str()).collect();
        let mut by_key = HashMap::with_capacity(keys.len());
        for r in conn.query(
            "SELECT item_key, id, content_hash FROM items
             WHERE source_id = $1 AND item_key = ANY($2)",
            &[&source_id, &keys],
        )? {
            let existing = Existing {
                row: r.try_get(1)?,
                content_hash: r.try_get(2)?,
            };
            by_key.insert(r.try_get(0)?, existing);
        }
        let tombstoned = conn
            .query(
                "SELECT item_key FROM tombstones WHERE source_id = $1 AND item_key = ANY($2)",
                &[&source_id, &keys],
            )?
            .iter()
            .map(|r| r.try_get(0).map_err(StoreError::from))
            .collect::<Result<_, _>>()?;
        let links: Vec<&str> = entries
            .iter()
            .filter_map(|e| e.canonical_link.as_deref())
            .collect();
        let link_keys: Vec<i64> = links.iter().map(|l| identity::link_key(l)).collect();
        let mut by_link: HashMap<String, Vec<LinkedRow>> =
            links.iter().map(|l| (l.to_string(), Vec::new())).collect();
        for r in conn.query(
            "SELECT id, source_id, content_hash, story_id, first_seen, sort_date, fingerprint,
                    COALESCE(canonical_link, link)
             FROM items WHERE link_key = ANY($1)",
            &[&link_keys],
        )? {
            let link: Option<String> = r.try_get(7)?;
            // A key shared by another link (a 64-bit collision) is no match.
            if let Some(rows) = link.and_then(|link| by_link.get_mut(&link)) {
                rows.push(LinkedRow {
                    row: r.try_get(0)?,
                    source: r.try_get(1)?,
                    content_hash: r.try_get(2)?,
                    story: r.try_get(3)?,
                    first_seen: r.try_get(4)?,
                    sort_date: r.try_get(5)?,
                    fingerprint: r.try_get(6)?,
                });
            }
        }
        Ok(PollWrite {
            conn,
            source_id,
            source_name,
            now,
            by_key,
            tombstoned,
            by_link,
            row_ids: VecDeque::new(),
            entries: entries.len(),
        })
    }

    /// The row id of the next new item, drawn with the rest of the poll's.
    fn next_row_id(&mut self) -> Result<i64, StoreError> {
        if self.row_ids.is_empty() {
            let wanted = i64::try_from(self.entries.max(1)).unwrap_or(1);
            for r in self.conn.query(
                "SELECT nextval(pg_get_serial_sequence('items', 'id'))
                 FROM generate_series(1, $1::BIGINT)",
                &[&wanted],
            )? {
                self.row_ids.push_back(r.try_get(0)?);
            }
        }
        self.row_ids
            .pop_front()
            .ok_or_else(|| StoreError::Driver(DriverError::message("no row id drawn")))
    }
}

/// An optional body as a typed column holds it.
fn body_bytes<'a>(body: &'a Option<Packed<'a>>) -> Option<std::borrow::Cow<'a, [u8]>> {
    body.as_ref().map(Packed::to_bytes)
}

impl Lookup for PollWrite<'_> {
    type Error = StoreError;

    fn by_key(&mut self, key: &str) -> Result<Option<Existing>, StoreError> {
        Ok(self.by_key.get(key).cloned())
    }

    fn by_link(&mut self, link: &str) -> Result<Vec<LinkedRow>, StoreError> {
        Ok(self.by_link.get(link).cloned().unwrap_or_default())
    }

    fn is_tombstoned(&mut self, key: &str) -> Result<bool, StoreError> {
        Ok(self.tombstoned.contains(key))
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
        let row = self.next_row_id()?;
        let story = match new.story {
            StoryChoice::Own => row,
            StoryChoice::Joined { story, .. } => story,
        };
        for public_id in identity::public_id_choices(self.source_name, &entry.key) {
            if self.insert_row(entry, (row, story), &public_id, new)? {
                self.inserted(entry, new, (row, story));
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
        if let Some(existing) = self.by_key.get_mut(&entry.key) {
            existing.content_hash.clone_from(&entry.content_hash);
        }
        for linked in self.by_link.values_mut().flatten() {
            if linked.row == row {
                linked.content_hash.clone_from(&entry.content_hash);
            }
        }
        Ok((at, feeds::forget(self.conn, row)?))
    }

    fn rekey(&mut self, row: i64, key: &str) -> Result<(), StoreError> {
        self.conn.execute(
            "UPDATE items SET item_key = $2 WHERE id = $1",
            &[&row, &key],
        )?;
        let old = self
            .by_key
            .iter()
            .find(|(_, existing)| existing.row == row)
            .map(|(old, _)| old.clone());
        let existing = match old {
            Some(old) => self.by_key.remove(&old),
            None => None,
        };
        if let Some(existing) = existing {
            self.by_key.insert(key.to_string(), existing);
        }
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
    /// Keeps what the planner looks up current after a new item's row was written.
    fn inserted(&mut self, entry: &Entry, new: &NewItem, (row, story): (i64, i64)) {
        self.by_key.insert(
            entry.key.clone(),
            Existing {
                row,
                content_hash: entry.content_hash.clone(),
            },
        );
        if let Some(rows) = entry
            .canonical_link
            .as_ref()
            .and_then(|link| self.by_link.get_mut(link))
        {
            rows.push(LinkedRow {
                row,
                source: self.source_id,
                content_hash: entry.content_hash.clone(),
                story,
                first_seen: self.now.timestamp(),
                sort_date: new.sort_date.timestamp(),
                fingerprint: Some(new.fingerprint.to_bytes().to_vec()),
            });
        }
    }

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
