//! Carrying out what `ingest` decides: one story of how a poll's entries and a
//! fetched article are written, shared by every backend. A backend lends its
//! lookups and its row writes ([`PollWriter`], [`ArticleWriter`]); this plans each
//! entry, applies the plan through them, and keeps the story index and the counts.
//! Everything runs inside the transaction the store thread holds.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};

use super::error::StoreError;
use super::records::{ArticleApplied, FeedRow, IngestSummary, Ingested};
use crate::cluster::StoryIndex;
use crate::ingest::{self, Change, Lookup, NewItem, Poll, StoryChoice};
use crate::membership::{Candidate, FeedSet};
use crate::model::{ArticleText, Category, Entry};

/// The source a poll's entries come from.
#[derive(Clone, Copy)]
pub(super) struct PollSource<'a> {
    pub id: i64,
    pub name: &'a str,
    /// Queue each new or edited item's article page for fetching.
    pub full_text: bool,
}

/// A backend's row writes for one poll, beside the lookups `ingest` plans from.
pub(super) trait PollWriter: Lookup<Error = StoreError> {
    /// Stores a new item as planned: its row, in its story, under the first public id
    /// no other item holds; where the feeds list it.
    fn insert(&mut self, entry: &Entry, new: &NewItem) -> Result<FeedRow, StoreError>;
    /// Stores an edit of item `row` in place (its date, public id and story stay) and
    /// drops its feed rows; where the feeds list it, and the feeds it was in.
    fn update(&mut self, row: i64, entry: &Entry) -> Result<(FeedRow, Vec<String>), StoreError>;
    /// Stores `key` as the key of item `row` (its guid changed).
    fn rekey(&mut self, row: i64, key: &str) -> Result<(), StoreError>;
    /// Lists the item in `feeds`.
    fn list_in(&mut self, at: FeedRow, feeds: &[String]) -> Result<(), StoreError>;
    /// Queues (again) the article page of item `row` at `link`, due now.
    fn queue_article(&mut self, row: i64, link: &str) -> Result<(), StoreError>;
}

/// Writes `entries` of one source as `ingest` plans each from what `write` looks up;
/// each entry is planned after the ones before it are written.
pub(super) fn write_poll(
    write: &mut impl PollWriter,
    feeds: &FeedSet,
    index: &mut StoryIndex,
    source: PollSource<'_>,
    entries: &[Entry],
    now: DateTime<Utc>,
) -> Result<Ingested, StoreError> {
    let mut summary = IngestSummary::default();
    let mut changed_feeds = BTreeSet::new();
    index.evict_older_than(index.settings().window_start(now.timestamp()));
    // The index is looked up after an entry's rows are read: its first cache
    // misses are taken meanwhile, the slots of an entry while the one before it
    // is written, then the entries they name while its own rows are read.
    let fingerprint = |n: usize| entries.get(n).and_then(|entry| entry.fingerprint.as_ref());
    if let Some(fp) = fingerprint(0) {
        index.prefetch_slots(fp);
    }
    for (n, entry) in entries.iter().enumerate() {
        if let Some(fp) = fingerprint(n + 1) {
            index.prefetch_slots(fp);
        }
        if let Some(fp) = &entry.fingerprint {
            index.prefetch_first_entries(fp);
        }
        // Made anew for each entry: the index it lends is written between entries.
        let poll = Poll {
            id: source.id,
            name: source.name,
            full_text: source.full_text,
            feeds,
            index,
            now,
        };
        let (at, placement) = match ingest::plan_entry(&poll, write, entry)? {
            Change::Insert(new) => {
                let at = write.insert(entry, &new)?;
                index.insert(
                    at.item,
                    at.story,
                    source.id,
                    now.timestamp(),
                    &new.fingerprint,
                );
                warn_if_full(index);
                summary.merged += usize::from(new.story != StoryChoice::Own);
                summary.new += 1;
                (at, new.placement)
            }
            Change::Update { row, placement } => {
                let (at, left) = write.update(row, entry)?;
                changed_feeds.extend(left);
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
        write.list_in(at, &placement.feeds)?;
        changed_feeds.extend(placement.feeds);
        // An edit puts the feed's own content back: its article is fetched again.
        if let Some(link) = &placement.fetch_article {
            write.queue_article(at.item, link)?;
            summary.articles_queued += 1;
        }
    }
    Ok(Ingested {
        summary,
        changed_feeds,
    })
}

/// The stored fields of an item whose article came: what it is sorted into feeds
/// with, and where its story stands.
pub(super) struct ArticleItem {
    pub source_id: i64,
    pub source: String,
    pub story: i64,
    pub sort_date: i64,
    pub first_seen: i64,
    pub title: String,
    pub link: Option<String>,
    pub authors: Vec<String>,
    pub categories: Vec<Category>,
}

/// A backend's row writes for a fetched article.
pub(super) trait ArticleWriter {
    /// Whether the queue still holds item `item`'s fetch under `claim`.
    fn holds(&mut self, item: i64, claim: i64) -> Result<bool, StoreError>;
    /// Takes item `item`'s fetch off the queue; the item as stored, if it still is.
    fn take(&mut self, item: i64) -> Result<Option<ArticleItem>, StoreError>;
    /// Stores the article as the item's content and fingerprint.
    fn store_content(
        &mut self,
        item: i64,
        article: &ArticleText,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    /// How many stored items story `story` has.
    fn copies(&mut self, story: i64) -> Result<i64, StoreError>;
    /// The story stored item `item` is in (`None`: pruned).
    fn story_of(&mut self, item: i64) -> Result<Option<i64>, StoreError>;
    /// Moves item `item` into story `story`, joined by `layer` with `score`.
    fn join(&mut self, item: i64, story: i64, layer: &str, score: f64) -> Result<(), StoreError>;
    /// Drops the item's feed rows; the feeds it was in.
    fn unlist(&mut self, item: i64) -> Result<Vec<String>, StoreError>;
    /// Lists the item in `feeds`.
    fn list_in(&mut self, at: FeedRow, feeds: &[String]) -> Result<(), StoreError>;
}

/// Keeps `article` as item `item`'s content while `claim` holds its fetch: the item
/// is sorted into its feeds again by its new words, its fingerprint becomes the
/// article's, and an item still alone in its story joins the story the article
/// matches. What changed, and the feeds that did.
pub(super) fn write_article(
    write: &mut impl ArticleWriter,
    feeds: &FeedSet,
    index: &mut StoryIndex,
    (item, claim): (i64, i64),
    article: &ArticleText,
    now: DateTime<Utc>,
) -> Result<(ArticleApplied, Vec<String>), StoreError> {
    if !write.holds(item, claim)? {
        return Ok((ArticleApplied::default(), Vec::new()));
    }
    let Some(stored) = write.take(item)? else {
        return Ok((ArticleApplied::default(), Vec::new()));
    };
    write.store_content(item, article, now)?;
    let story = join_story(write, index, item, &stored, article)?;
    let mut changed = write.unlist(item)?;
    let text = Candidate {
        source: &stored.source,
        title: &stored.title,
        text: &article.text,
        categories: &stored.categories,
        authors: &stored.authors,
        link: stored.link.as_deref(),
    };
    let admitted = feeds.feeds_for(&text, article.prepared_words.as_ref(), None);
    let row = FeedRow {
        item,
        story,
        sort_date: stored.sort_date,
    };
    write.list_in(row, &admitted)?;
    changed.extend(admitted);
    changed.sort();
    changed.dedup();
    let applied = ArticleApplied {
        stored: true,
        joined_story: story != stored.story,
    };
    Ok((applied, changed))
}

/// The story the item is in once its article is known. An item alone in its own
/// story may join the story its article matches; an item other copies have joined
/// stays where it is (stories are never re-assigned). Either way the article's
/// fingerprint is indexed, so later copies find the whole text.
fn join_story(
    write: &mut impl ArticleWriter,
    index: &mut StoryIndex,
    item: i64,
    stored: &ArticleItem,
    article: &ArticleText,
) -> Result<i64, StoreError> {
    let mut story = stored.story;
    let alone = story == item && write.copies(story)? == 1;
    // Compared and indexed at the item's first sight, as a rebuild of the index from
    // stored fingerprints would: whether a later copy falls within the window must
    // not depend on when the page came, or on a restart since.
    let at = stored.first_seen;
    if alone && let Some(found) = index.find_story(&article.fingerprint, stored.source_id, at) {
        // The matched item's story as stored (it too may have joined another since),
        // else, pruned meanwhile, the one the index kept.
        let joined = write.story_of(found.item)?.unwrap_or(found.story);
        if joined != item {
            write.join(item, joined, found.layer.as_str(), f64::from(found.score))?;
            story = joined;
        }
    }
    index.insert(item, story, stored.source_id, at, &article.fingerprint);
    warn_if_full(index);
    Ok(story)
}

/// Says once per process that the story index is full ([`StoryIndex::is_full`]):
/// new items are stored and served, but not clustered, until older ones leave the
/// dedup window. Only a window of many millions of items fills it.
fn warn_if_full(index: &StoryIndex) {
    static WARNED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    if index.is_full() && !WARNED.swap(true, std::sync::atomic::Ordering::Relaxed) {
        tracing::warn!(
            items = index.len(),
            "the story index is full: new items are not clustered until older ones \
             leave the dedup window; a shorter [dedup] window avoids it"
        );
    }
}
