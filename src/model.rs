//! The data that flows between stages: what parsing produces ([`ParsedFeed`],
//! [`Entry`]), what storage hands back ([`StoredItem`], [`SourceState`]) and what
//! rendering consumes ([`OutputFeed`], [`OutputItem`]). Plain data; no I/O, no logic
//! beyond small accessors.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A fetched document after parsing and normalization, before storage.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ParsedFeed {
    /// The feed's own title, if it has one.
    pub title: Option<String>,
    /// The feed's home page (`<link>` of the channel), if given.
    pub site_link: Option<String>,
    /// The feed's `<ttl>` or equivalent, in minutes, if given.
    pub ttl_minutes: Option<u32>,
    pub entries: Vec<Entry>,
}

/// One item of a source, normalized: sanitized HTML, absolute links, its identity key.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Entry {
    /// Identity within the source (see `identity::entry_key`); never feed-rs's generated id.
    pub key: String,
    /// The item's own guid/id as published, if it had one.
    pub guid: Option<String>,
    /// The item's link, absolute.
    pub link: Option<String>,
    /// The canonical form of `link` used to recognise the same story across sources.
    pub canonical_link: Option<String>,
    pub title: String,
    /// Sanitized HTML.
    pub summary_html: Option<String>,
    /// Sanitized HTML.
    pub content_html: Option<String>,
    /// Author names, in the document's order, without repeats.
    pub authors: Vec<String>,
    pub categories: Vec<Category>,
    /// Media files, image and comments page.
    pub links: ItemLinks,
    /// The item's published date, as given (may be absent or in the future).
    pub published: Option<DateTime<Utc>>,
    /// The item's updated date, as given.
    pub updated: Option<DateTime<Utc>>,
    /// Hash of the fields a reader sees; a change means the item was edited.
    pub content_hash: String,
    /// The summary and content as plain text (for topic matching and story clustering).
    pub text: String,
    /// What story clustering compares; computed while parsing (off the store thread).
    /// `None` for a repeat of its source's last poll ([`crate::parse::KnownContent`])
    /// or an entry built by hand: the store fingerprints it itself if it stores it.
    pub fingerprint: Option<crate::cluster::Fingerprint>,
    /// The item's words for topic filters, seen to while parsing (off the store
    /// thread) when some feed has one. `None` when no feed needs them, for a repeat of
    /// its source's last poll, or for entries built by hand: the store then prepares
    /// them itself if it must.
    pub prepared_words: Option<PreparedWords>,
    /// The summary and content as the store keeps them, packed while parsing so the
    /// store thread only writes them (`None`, for a repeat of its source's last poll
    /// or an entry built by hand: the store packs them itself if it stores them).
    pub packed_html: Option<crate::packing::PackedHtml>,
}

/// What an item becomes when its article page is fetched: the page's main content
/// as its content, and everything derived from it, prepared on the parse pool (off
/// the store thread). The feed's own summary, title and content hash stay.
#[derive(Debug, Clone, PartialEq)]
pub struct ArticleText {
    /// Sanitized HTML, the source's rules applied.
    pub content_html: String,
    /// `content_html` packed for its row, where packing pays.
    pub packed: Option<Vec<u8>>,
    /// Summary and content as plain text (topic matching).
    pub text: String,
    /// What story clustering compares, now of the whole article.
    pub fingerprint: crate::cluster::Fingerprint,
    /// The item's words for topic filters (as [`Entry::prepared_words`]).
    pub prepared_words: Option<PreparedWords>,
}

/// A stored item whose article page is due to be fetched, with the fields its
/// article text is prepared against.
#[derive(Debug, Clone, PartialEq)]
pub struct ArticleJob {
    /// The item's row.
    pub item: i64,
    /// Which claim handed the fetch out: its outcome is written only while the
    /// queue still holds this claim (`0` for a fetch not taken from the queue).
    pub claim: i64,
    pub source: String,
    /// The page to fetch: the item's link.
    pub link: String,
    /// Failed fetches so far.
    pub attempts: u32,
    pub title: String,
    pub summary_html: Option<String>,
    /// The content the feed gave, kept when the page holds no longer article.
    pub content_html: Option<String>,
    pub authors: Vec<String>,
    pub categories: Vec<Category>,
}

/// A category an item is filed under, and the scheme (taxonomy) it belongs to when
/// the document names one: Atom's `scheme`, RSS's `domain`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Category {
    /// The label a reader sees (Atom's `label`, else its `term`).
    pub name: String,
    /// The scheme's URL, absolute and http(s); other schemes are not kept.
    pub scheme: Option<String>,
}

impl Category {
    /// A category without a scheme.
    pub fn named(name: impl Into<String>) -> Category {
        Category {
            name: name.into(),
            scheme: None,
        }
    }
}

impl From<&str> for Category {
    fn from(name: &str) -> Category {
        Category::named(name)
    }
}

/// The links an item carries beside its page, which readers and podcast apps use:
/// its media files, its image and its comments page. Every URL is absolute and
/// http(s). Stored as one JSON value, none at all when every part is empty.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemLinks {
    /// Audio, video and other files (RSS `enclosure`, Atom `link rel="enclosure"`,
    /// JSON Feed `attachments`, Media RSS `media:content`), without repeated URLs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub enclosures: Vec<Enclosure>,
    /// The item's picture (`media:thumbnail`, `itunes:image`, JSON Feed `image`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// The page of the item's comments (RSS `comments`, Atom `link rel="replies"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comments: Option<String>,
}

impl ItemLinks {
    pub fn is_empty(&self) -> bool {
        self.enclosures.is_empty() && self.image.is_none() && self.comments.is_none()
    }
}

/// A media file attached to an item: a podcast episode, a video, a photo.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Enclosure {
    pub url: String,
    /// The MIME type, as given (`audio/mpeg`).
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
    /// Size in bytes, when given and not zero.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub length: Option<u64>,
}

/// What parsing did about an entry's words for topic filters.
#[derive(Debug, Clone, PartialEq)]
pub enum PreparedWords {
    /// Prepared, for any filter to be evaluated against.
    Prepared(crate::topic::ItemWords),
    /// Not prepared: none of the words the topic filters of the config keyed
    /// `filters` require occurs in the item, so none of them admits it (the
    /// membership module's screen decides this).
    RuledOut { filters: u64 },
}

/// What storage knows about a source's polling.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SourceState {
    pub name: String,
    /// The URL in the config.
    pub url: String,
    pub title: Option<String>,
    pub site_link: Option<String>,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub last_attempt: Option<DateTime<Utc>>,
    pub last_success: Option<DateTime<Utc>>,
    pub http_status: Option<u16>,
    pub error: Option<String>,
    pub error_streak: u32,
    pub next_poll: Option<DateTime<Utc>>,
    pub items: u64,
    /// The URL polled: the configured one, or one adopted after permanent redirects
    /// (empty when not known, which means `url`).
    pub current_url: String,
    /// The last answer was 410 Gone and the source's config entry has not changed
    /// since: it is not polled.
    pub gone: bool,
    /// A `Retry-After` from the last answer: the source is not polled before this.
    pub retry_after_until: Option<DateTime<Utc>>,
    /// Article pages (full text) whose fetch failed, in all.
    pub article_failures: u64,
    /// The last article page's failure.
    pub article_error: Option<String>,
}

impl SourceState {
    /// The source's state, one of:
    ///
    /// - `new`: never polled;
    /// - `ok`: the last poll succeeded (200 or 304);
    /// - `error`: the last poll failed, the first failure in a row (retried after
    ///   the first backoff step, interval × 2);
    /// - `backoff`: failing repeatedly (two or more in a row, so the delay is growing
    ///   exponentially), or the server asked us to wait with `Retry-After`;
    /// - `gone`: the server answered 410 Gone; not polled until its config entry changes.
    pub fn state(&self) -> &'static str {
        if self.gone {
            return "gone";
        }
        match (self.last_attempt, self.error_streak) {
            (None, _) => "new",
            (Some(_), 0) => "ok",
            (Some(_), 1) if self.retry_after_until.is_none() => "error",
            (Some(_), _) => "backoff",
        }
    }
}

/// A stored item, as read back for publishing.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredItem {
    /// Row id (internal).
    pub row: i64,
    /// The public id, fixed at first sight: `urn:feedbraid:…`.
    pub public_id: String,
    /// The row id of the story this item belongs to (its own row when it stands alone).
    pub story: i64,
    pub source: String,
    pub link: Option<String>,
    pub title: String,
    pub summary_html: Option<String>,
    pub content_html: Option<String>,
    pub authors: Vec<String>,
    pub categories: Vec<Category>,
    pub links: ItemLinks,
    /// Summary and content as plain text (topic matching), where its maker made it:
    /// empty as the store reads an item, since serving never reads it and making it
    /// scans the item's HTML; `membership::stored_item_fields` makes it when empty.
    pub text: String,
    /// The date the item is sorted and published by (never in the future).
    pub date: DateTime<Utc>,
    /// When the item was last changed (first seen, or the last edit).
    pub updated: DateTime<Utc>,
    pub first_seen: DateTime<Utc>,
}

/// A feed ready to be rendered in any format.
#[derive(Debug, Clone, PartialEq)]
pub struct OutputFeed {
    pub name: String,
    pub title: String,
    pub description: String,
    /// The feed's public base URL (`server.base_url`), no trailing slash.
    pub base_url: String,
    /// The newest `updated` of the items, or the epoch when empty.
    pub updated: DateTime<Utc>,
    pub items: Vec<OutputItem>,
}

/// One item of an output feed: a story's representative copy and the other copies.
#[derive(Debug, Clone, PartialEq)]
pub struct OutputItem {
    pub id: String,
    pub title: String,
    pub link: Option<String>,
    pub summary_html: Option<String>,
    pub content_html: Option<String>,
    pub authors: Vec<String>,
    pub categories: Vec<Category>,
    pub links: ItemLinks,
    pub date: DateTime<Utc>,
    pub updated: DateTime<Utc>,
    pub source: SourceRef,
    /// Other sources that carried the same story (empty with `dedup = "keep"`).
    pub also: Vec<AlsoRef>,
}

/// Attribution of an item to the source it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceRef {
    pub name: String,
    pub title: String,
    /// The source's feed URL.
    pub url: String,
}

/// Another copy of the same story.
#[derive(Debug, Clone, PartialEq)]
pub struct AlsoRef {
    pub source: String,
    pub source_title: String,
    pub url: Option<String>,
    pub id: String,
}
