//! What the store takes and gives back, whichever database keeps it: a poll's
//! outcome, a source's schedule, pages of items, what a write changed. Plain data
//! shared by the [`super::Store`] calls and every backend.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};

use crate::model::{ParsedFeed, StoredItem};

/// What a poll needs to know about its source before fetching.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SourcePollState {
    /// The URL to fetch (the configured one, or one adopted after permanent redirects).
    pub url: String,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub error_streak: u32,
    pub next_poll: Option<DateTime<Utc>>,
    /// The fingerprint of the config entry a 410 Gone was seen with, if the last
    /// answer was 410 (the source stays gone while its entry is unchanged).
    pub gone_entry: Option<String>,
    /// Not to be polled before this (`Retry-After` of the last answer).
    pub retry_after_until: Option<DateTime<Utc>>,
    /// The permanent redirect target seen on the last polls, and how many in a row.
    pub redirect_target: Option<String>,
    pub redirect_seen: u32,
}

/// What a node asks for when it is about to poll a source.
#[derive(Debug, Clone)]
pub(super) struct SourceClaim<'a> {
    pub name: &'a str,
    /// The node asking (see [`super::Store::node`]).
    pub node: &'a str,
    pub now: DateTime<Utc>,
    /// The lease ends then, unless the poll is recorded first.
    pub until: DateTime<Utc>,
    /// Granted only if the source is due by then (a poll its schedule started: another
    /// node may have polled it meanwhile); `None` for a poll asked for outright.
    pub due_by: Option<DateTime<Utc>>,
}

/// The answer to a claim on a source.
#[derive(Debug, Clone, PartialEq)]
pub enum Claimed {
    /// Poll it, from this state; the lease is this node's until the poll is recorded
    /// or the lease ends.
    Granted(SourcePollState),
    /// Another node holds a live lease on it: it is polling the source now.
    Leased { node: String, until: DateTime<Utc> },
    /// Not due: another node polled it since this node's schedule was made.
    NotDue { next_poll: DateTime<Utc> },
}

/// A poll that got an answer: 200 with a parsed feed, or 304 with none.
#[derive(Debug, Clone)]
pub struct PollRecord {
    pub at: DateTime<Utc>,
    pub http_status: u16,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    /// `None` for 304 Not Modified: validators are refreshed, items untouched.
    pub feed: Option<ParsedFeed>,
    pub next_poll: DateTime<Utc>,
    /// The permanent redirect seen now (and how many polls in a row), if any.
    pub redirect_target: Option<String>,
    pub redirect_seen: u32,
    /// A URL to poll from now on (a permanent redirect seen often enough).
    pub adopt_url: Option<String>,
    /// The source wants its items' full text: each new or edited item's article
    /// page is queued for fetching.
    pub full_text: bool,
}

/// A poll that failed.
#[derive(Debug, Clone)]
pub struct FailureRecord {
    pub at: DateTime<Utc>,
    pub http_status: Option<u16>,
    pub error: String,
    /// `None` while the source is gone (not polled).
    pub next_poll: Option<DateTime<Utc>>,
    /// Set on 410 Gone: the fingerprint of the source's config entry.
    pub gone_entry: Option<String>,
    /// Set when the server asked to wait (`Retry-After` on 429 or 503).
    pub retry_after_until: Option<DateTime<Utc>>,
}

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

/// What writing one poll's entries did.
#[derive(Default)]
pub(super) struct Ingested {
    pub summary: IngestSummary,
    /// The feeds that gained or lost an item.
    pub changed_feeds: BTreeSet<String>,
}

/// An item as the feeds that admit it list it: its row, its story, its date.
#[derive(Debug, Clone, Copy)]
pub(super) struct FeedRow {
    pub item: i64,
    pub story: i64,
    pub sort_date: i64,
}

/// What `set_feeds` had to do.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FeedSync {
    /// Feeds whose rows were refilled: new or changed definitions (but not those
    /// that take every item, which keep no rows).
    pub refilled: Vec<String>,
    /// Feeds no longer configured, whose rows were dropped.
    pub removed: usize,
    /// Feeds that take every item and still hold rows (written by an older version,
    /// or before their definition changed to every item): nothing reads them, and
    /// [`super::Store::drop_leftover_rows`] drops them.
    pub leftover: Vec<String>,
    /// How many feeds were new or changed (those that take every item included).
    pub(super) changed: usize,
    /// Which `begin_feeds` this was: a later one supersedes its refill.
    pub(super) epoch: u64,
}

/// What a fetched article changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ArticleApplied {
    /// The item was still stored (it may have been pruned meanwhile).
    pub stored: bool,
    /// The item left its own story for another source's copy of the report.
    pub joined_story: bool,
}

/// How one copy joined its story (`explain`).
#[derive(Debug, Clone, PartialEq)]
pub struct StoryMember {
    pub item: i64,
    /// Which layer joined it: `link`, `content`, `similar`.
    pub layer: String,
    pub score: f64,
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

/// Whether items read carry their HTML (summary and content), which is unpacked item
/// by item. Reads that only choose items (a feed's pages and its stories' copies, the
/// status page's headlines) leave it out; [`super::Store::items_html`] reads it
/// for the items chosen. An item read without it has `summary_html` and
/// `content_html` of `None`, whatever it holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Html {
    With,
    Without,
}

/// An item's HTML, read apart from the item ([`Html`]).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ItemHtml {
    pub row: i64,
    pub summary_html: Option<String>,
    pub content_html: Option<String>,
}

/// A page of items, newest first, and where the next page starts.
#[derive(Debug, Clone, Default)]
pub struct ItemPage {
    pub items: Vec<StoredItem>,
    /// Pass back as `before` for the next page; `None` when this was the last.
    pub next: Option<PageCursor>,
}

impl ItemPage {
    /// The page of `items` read for a page of `n`: another may follow a full one.
    pub(super) fn of(items: Vec<StoredItem>, n: usize) -> ItemPage {
        let next = (items.len() == n)
            .then(|| items.last().map(PageCursor::below))
            .flatten();
        ItemPage { items, next }
    }
}

/// Where a page of items newest first ends: the next page starts below this item
/// (items are ordered by their date, then their row).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageCursor {
    sort_date: i64,
    row: i64,
}

impl PageCursor {
    /// The position just below `item`.
    pub(super) fn below(item: &StoredItem) -> PageCursor {
        PageCursor {
            sort_date: item.date.timestamp(),
            row: item.row,
        }
    }

    /// `(sort date, row)` to compare rows with; above every item for no cursor.
    pub(super) fn bounds(cursor: Option<PageCursor>) -> (i64, i64) {
        cursor.map_or((i64::MAX, i64::MAX), |c| (c.sort_date, c.row))
    }
}

/// What to prune, decided by the caller from the config.
#[derive(Debug, Clone)]
pub struct PrunePolicy {
    /// The time pruning is judged at.
    pub now: DateTime<Utc>,
    /// Items first seen before `now - retention` go.
    pub retention: std::time::Duration,
    /// Tombstones older than this are forgotten: by then the item has long left its feed.
    pub tombstone_ttl: std::time::Duration,
    /// Per source: keep only the newest N items.
    pub max_items: Vec<(String, usize)>,
}

/// What a prune removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PruneSummary {
    pub items: usize,
    pub tombstones: usize,
}
