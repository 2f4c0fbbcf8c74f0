//! Which story a new item joins, carried out against the database and the in-memory
//! story index: the same canonical link as another source's item first (found by
//! `items` with the entry's own rows by link), else what `cluster` decides from
//! fingerprints within the window. The index lives on the store thread and is rebuilt
//! from stored fingerprints at start.

use std::time::Instant;

use rusqlite::{Connection, OptionalExtension};

use super::body::html_at;
use super::error::StoreError;
use crate::cluster::{self, Fingerprint, Layer, Settings, StoryIndex};
use crate::model::Entry;
use crate::sanitize::sanitized_html_to_text;

/// How a new item joined an existing story.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Joined {
    pub story: i64,
    pub layer: Layer,
    pub score: f32,
}

/// The stories a new item's canonical link points to (found by `items` with the
/// entry's own rows by link).
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct ByLink {
    /// The story of another source's item with the same link, first seen first.
    pub elsewhere: Option<i64>,
    /// The story of an earlier version of the report from the source itself
    /// ([`crate::cluster::is_earlier_version`]).
    pub earlier_version: Option<i64>,
}

/// Which of two rows counts as seen first: the earlier first-seen time, then the
/// earlier date, then the lower row id (the fields compare in this order).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct SeenOrder {
    pub first_seen: i64,
    pub date: i64,
    pub row: i64,
}

/// What the rows sharing a new entry's canonical link say of its story, gathered
/// row by row.
#[derive(Default)]
pub(super) struct LinkScan {
    /// Another source's item seen first, and its story.
    elsewhere: Option<(SeenOrder, i64)>,
    /// The source's own earliest earlier version, and its story.
    earlier_version: Option<(SeenOrder, i64)>,
    /// The entry's fingerprint, once a row of its own source needed it.
    fingerprint: Option<Fingerprint>,
}

impl LinkScan {
    /// A row of another source.
    pub(super) fn elsewhere(&mut self, order: SeenOrder, story: i64) {
        if self.elsewhere.is_none_or(|(first, _)| order < first) {
            self.elsewhere = Some((order, story));
        }
    }

    /// A row of the entry's own source with other content (`stored`: its fingerprint
    /// bytes), seen at `now`. A source's own versions are ordered by first seen and
    /// row alone (`order.date` is 0).
    pub(super) fn own(
        &mut self,
        order: SeenOrder,
        story: i64,
        entry: &Entry,
        stored: Option<&[u8]>,
        now: i64,
    ) {
        let fingerprint = self
            .fingerprint
            .get_or_insert_with(|| fingerprint_of(entry));
        let is_version = stored.is_some_and(|bytes| {
            cluster::is_earlier_version(fingerprint, bytes, order.first_seen, now)
        });
        if is_version && self.earlier_version.is_none_or(|(first, _)| order < first) {
            self.earlier_version = Some((order, story));
        }
    }

    pub(super) fn found(self) -> ByLink {
        ByLink {
            elsewhere: self.elsewhere.map(|(_, story)| story),
            earlier_version: self.earlier_version.map(|(_, story)| story),
        }
    }
}

/// The entry's fingerprint, computed while parsing (or here, for an entry built
/// without one).
pub(super) fn fingerprint_of(entry: &Entry) -> Fingerprint {
    entry
        .fingerprint
        .clone()
        .unwrap_or_else(|| Fingerprint::of(&entry.title, &entry.text))
}

/// The story a new item (from `source_id`, with fingerprint `fp`) belongs to, if any:
/// another source's item with the same canonical link first, else what the index
/// finds, else an earlier version of the item from its own source (which the index
/// never joins: by then the version's copies elsewhere have been looked for).
pub(super) fn story_of(
    tx: &Connection,
    index: &mut StoryIndex,
    by_link: ByLink,
    source_id: i64,
    fp: &Fingerprint,
    now: i64,
) -> Result<Option<Joined>, StoreError> {
    let linked = |story| {
        Some(Joined {
            story,
            layer: Layer::CanonicalLink,
            score: 1.0,
        })
    };
    if let Some(story) = by_link.elsewhere {
        return Ok(linked(story));
    }
    let window = i64::try_from(index.settings().window_secs).unwrap_or(i64::MAX);
    index.evict_older_than(now.saturating_sub(window));
    let Some(found) = index.find_story(fp, source_id, now) else {
        return Ok(by_link.earlier_version.and_then(linked));
    };
    // The matched item's story as stored now (it is fixed at first sight, but the
    // item may have been pruned since: then the story id the index kept stands).
    let story: Option<i64> = tx
        .prepare_cached("SELECT story_id FROM items WHERE id = ?1")?
        .query_row([found.item], |r| r.get(0))
        .optional()?;
    Ok(Some(Joined {
        story: story.unwrap_or(found.story),
        layer: found.layer,
        score: found.score,
    }))
}

/// Rebuilds the index from the fingerprints of items first seen within the window.
/// A fingerprint written by an older version is computed again from the stored
/// headline and text, and written back, so that an upgrade keeps the window's
/// stories joinable.
pub(super) fn rebuild(
    conn: &Connection,
    settings: Settings,
    now: i64,
) -> Result<StoryIndex, StoreError> {
    let started = Instant::now();
    let mut index = StoryIndex::new(settings);
    let since = now.saturating_sub(i64::try_from(settings.window_secs).unwrap_or(i64::MAX));
    let count: i64 = conn.query_row(
        "SELECT COUNT(*) FROM items WHERE first_seen >= ?1 AND fingerprint IS NOT NULL",
        [since],
        |r| r.get(0),
    )?;
    index.reserve(usize::try_from(count).unwrap_or(0));
    let mut stmt = conn.prepare(
        "SELECT id, story_id, source_id, first_seen, fingerprint FROM items
         WHERE first_seen >= ?1 AND fingerprint IS NOT NULL ORDER BY first_seen, id",
    )?;
    let mut rows = stmt.query([since])?;
    let mut recomputed = Vec::new();
    while let Some(r) = rows.next()? {
        let bytes: Vec<u8> = r.get(4)?;
        let row: i64 = r.get(0)?;
        let fp = match Fingerprint::from_bytes(&bytes) {
            Ok(fp) => fp,
            Err(_) => {
                let fp = recompute(conn, row)?;
                recomputed.push((row, fp.to_bytes()));
                fp
            }
        };
        index.insert(row, r.get(1)?, r.get(2)?, r.get(3)?, &fp);
    }
    drop(rows);
    if !recomputed.is_empty() {
        let tx = conn.unchecked_transaction()?;
        {
            let mut update = tx.prepare("UPDATE items SET fingerprint = ?2 WHERE id = ?1")?;
            for (row, bytes) in &recomputed {
                update.execute(rusqlite::params![row, &bytes[..]])?;
            }
        }
        tx.commit()?;
    }
    tracing::info!(
        items = index.len(),
        recomputed = recomputed.len(),
        ms = started.elapsed().as_millis() as u64,
        memory_mib = index.memory_bytes() / (1 << 20),
        "story index rebuilt"
    );
    Ok(index)
}

/// The fingerprint of stored item `row`, from its headline and the text of its
/// content (else its summary), as parsing computes it.
fn recompute(conn: &Connection, row: i64) -> Result<Fingerprint, StoreError> {
    let (title, summary, content): (String, Option<String>, Option<String>) = conn
        .prepare_cached("SELECT title, summary_html, content_html FROM items WHERE id = ?1")?
        .query_row([row], |r| Ok((r.get(0)?, html_at(r, 1)?, html_at(r, 2)?)))?;
    let html = content.or(summary).unwrap_or_default();
    Ok(Fingerprint::of(&title, &sanitized_html_to_text(&html)))
}

/// An item first seen near another, with what `explain` compares.
#[derive(Debug, Clone)]
pub struct Neighbour {
    pub row: i64,
    pub story: i64,
    pub source: String,
    pub title: String,
    /// Unix seconds.
    pub first_seen: i64,
    /// The stored fingerprint's bytes, if any.
    pub fingerprint: Option<Vec<u8>>,
}
