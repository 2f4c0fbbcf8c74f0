//! Which story a new item joins, decided from what the store holds under the item's
//! canonical link and from what the story index finds: another source's item with
//! the same canonical link first, else what `cluster` decides from fingerprints
//! within the window, else an earlier version of the item from its own source.

use crate::cluster::{self, Fingerprint, Layer, Match, StoryIndex};
use crate::membership::visible_text;
use crate::model::Entry;

/// A stored item sharing a new entry's canonical link, as the backend read it.
#[derive(Debug, Clone, PartialEq)]
pub struct LinkedRow {
    pub row: i64,
    pub source: i64,
    pub content_hash: String,
    pub story: i64,
    /// Unix seconds.
    pub first_seen: i64,
    /// Unix seconds.
    pub sort_date: i64,
    /// Its stored fingerprint's bytes, if any.
    pub fingerprint: Option<Vec<u8>>,
}

/// The story a new item goes into.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum StoryChoice {
    /// A story of its own, whose id is the item's row id.
    Own,
    /// An existing story, and how it was found (how sure the match is).
    Joined {
        story: i64,
        layer: Layer,
        score: f32,
    },
}

impl StoryChoice {
    /// How it joined another story, and how sure the match is (`None`: its own story).
    pub fn evidence(self) -> Option<(Layer, f32)> {
        match self {
            StoryChoice::Own => None,
            StoryChoice::Joined { layer, score, .. } => Some((layer, score)),
        }
    }
}

/// Where a new item's story was found, before an index match is read as stored.
pub(super) enum Found {
    Nowhere,
    /// The story of a stored item sharing its canonical link.
    Linked(i64),
    /// The index's match: the matched item's story as stored now, else (the item
    /// was pruned meanwhile) the story the index kept. An item alone in its story
    /// may have joined another since, once its article came.
    Indexed(Match),
}

/// What the rows sharing an entry's canonical link say.
#[derive(Debug, Default)]
pub(super) struct LinkScan {
    /// The source's own item with the same content (its key differs), the lowest
    /// row: the entry is that item under a new key.
    pub ours: Option<i64>,
    /// Another source's item seen first, and its story.
    elsewhere: Option<(SeenOrder, i64)>,
    /// The source's own earliest earlier version, and its story.
    earlier_version: Option<(SeenOrder, i64)>,
}

/// Which of two rows counts as seen first: the earlier first-seen time, then the
/// earlier date, then the lower row id (the fields compare in this order).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct SeenOrder {
    first_seen: i64,
    date: i64,
    row: i64,
}

impl LinkScan {
    /// Reads the rows sharing `entry`'s canonical link, for an entry of `source` seen
    /// at `now` whose key is not stored. A source's own versions are ordered by first
    /// seen and row alone.
    pub(super) fn of(rows: &[LinkedRow], source: i64, entry: &Entry, now: i64) -> LinkScan {
        let mut scan = LinkScan::default();
        let mut fingerprint: Option<Fingerprint> = None;
        for linked in rows {
            if linked.source != source {
                let order = SeenOrder {
                    first_seen: linked.first_seen,
                    date: linked.sort_date,
                    row: linked.row,
                };
                if scan.elsewhere.is_none_or(|(first, _)| order < first) {
                    scan.elsewhere = Some((order, linked.story));
                }
            } else if crate::identity::same_content(&linked.content_hash, &entry.content_hash) {
                if scan.ours.is_none_or(|row| linked.row < row) {
                    scan.ours = Some(linked.row);
                }
            } else {
                let fingerprint = fingerprint.get_or_insert_with(|| fingerprint_of(entry));
                let is_version = linked.fingerprint.as_deref().is_some_and(|bytes| {
                    cluster::is_earlier_version(fingerprint, bytes, linked.first_seen, now)
                });
                let order = SeenOrder {
                    first_seen: linked.first_seen,
                    date: 0,
                    row: linked.row,
                };
                if is_version && scan.earlier_version.is_none_or(|(first, _)| order < first) {
                    scan.earlier_version = Some((order, linked.story));
                }
            }
        }
        scan
    }

    /// The story of a new item from `source` with fingerprint `fp`, seen at `now`:
    /// another source's item with the same canonical link first, else what the index
    /// finds, else an earlier version of the item from its own source (which the
    /// index never joins: by then the version's copies elsewhere have been looked for).
    pub(super) fn choose(
        &self,
        index: &StoryIndex,
        fp: &Fingerprint,
        source: i64,
        now: i64,
    ) -> Found {
        if let Some((_, story)) = self.elsewhere {
            return Found::Linked(story);
        }
        match index.find_story(fp, source, now) {
            Some(found) => Found::Indexed(found),
            None => match self.earlier_version {
                Some((_, story)) => Found::Linked(story),
                None => Found::Nowhere,
            },
        }
    }
}

/// The entry's fingerprint, computed while parsing, or here as parsing computes it
/// (from the text of its content, else of its summary) for an entry parsing left
/// without one: a repeat of its source's last poll ([`crate::parse::KnownContent`])
/// that turns out to be new or edited, or an entry built by hand, with text only.
pub(super) fn fingerprint_of(entry: &Entry) -> Fingerprint {
    if let Some(fingerprint) = &entry.fingerprint {
        return fingerprint.clone();
    }
    let (summary, content) = (entry.summary_html.as_deref(), entry.content_html.as_deref());
    if summary.is_none() && content.is_none() {
        return Fingerprint::of(&entry.title, &entry.text);
    }
    Fingerprint::of(&entry.title, &visible_text(summary, content))
}
