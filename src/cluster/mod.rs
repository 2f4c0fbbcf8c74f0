//! Story clustering, pure: which earlier item of another source a new item is a copy
//! of, so the store can join it to that item's story. No I/O, not async.
//!
//! Layers, cheapest first (the [`Layer`] that joined a copy is what `explain` shows):
//! 1. [`Layer::CanonicalLink`]: the same canonical link; decided by the store
//!    (SQL on `canonical_link`), named here so every layer has one vocabulary.
//! 2. [`Layer::ContentHash`]: the same normalized title and text ([`normalize`]:
//!    folded case and diacritics, no punctuation, no wire labels or outlet suffixes).
//! 3. [`Layer::NearDuplicate`]: similarity of word-pair shingles of the title and
//!    lede, estimated from b-bit MinHash signatures ([`fingerprint`]) and found
//!    through LSH bands ([`index`]), at least [`Settings::threshold`], and no
//!    contradicting figures (both state numbers, none shared).
//! 4. [`Layer::Title`]: alike headlines ([`title`]), first seen close in time, with
//!    no contradicting figures in them. The likeness needed grows with the time
//!    apart and when both items have text to compare ([`TITLE_CLOSE_THRESHOLD`],
//!    [`TITLE_THRESHOLD`], [`TITLE_ALONE_THRESHOLD`]): real copies differ in their
//!    text (a teaser against the article, page boilerplate, a listing with none)
//!    far more than in their headline.
//!
//! Only items of *different* sources within [`Settings::window_secs`] of each other
//! are joined: copies within one source are the identity rules' business, and one
//! outlet's own templated items (daily briefings, market wraps) are the likeliest
//! false matches. Items are joined to one story, never stories to each other: an
//! item close to two stories joins the closer one, so chains of weak matches
//! cannot snowball unrelated stories together.
//!
//! How the store uses it:
//! - On insert of a new item (after the canonical-link lookup failed):
//!   `Fingerprint::of(title, text)`, then `index.find_story(&fp, source, at)`; store
//!   the item with the match's story (or its own), the layer and score (for
//!   `explain`), and the fingerprint's bytes; then `index.insert(…)`.
//! - Periodically (or before each poll's batch): `index.evict_older_than(now - window)`.
//! - At start: read `(item, story, source, first_seen, fingerprint)` of items first
//!   seen within the window, in first-seen order, and `insert` each.

pub mod evidence;
pub mod fingerprint;
mod hash;
pub mod index;
mod minhash;
pub mod normalize;
pub mod strip;
pub mod title;

use std::fmt;

pub use fingerprint::{Fingerprint, FingerprintError};
pub use index::{IndexMark, StoryIndex};

use crate::config::DedupConfig;

/// Similarity score ([`index::similarity_score`]) from which two items' texts are
/// one story, unless the config says otherwise: the highest that keeps recall on
/// edited copies of real articles (BENCHMARKS.md) while no template-written story of
/// another event reaches it on the project's corpus generator.
pub const DEFAULT_THRESHOLD: f32 = 0.45;
/// Copies first seen further apart are never joined, unless the config says otherwise.
pub const DEFAULT_WINDOW_SECS: u64 = 72 * 3600;
/// Jaccard similarity of two headlines' tokens ([`title::TitleTokens`]) from which
/// items first seen up to [`TITLE_WINDOW_SECS`] apart are one story by their
/// headlines alone.
pub const TITLE_THRESHOLD: f32 = 0.6;
/// Items first seen further apart are not joined by their headlines alone: a
/// recurring headline ("Morning Bid", a daily wrap) comes back the next day.
pub const TITLE_WINDOW_SECS: u64 = 36 * 3600;
/// Items first seen this close are copies from a lower headline similarity: on the
/// labelled real-news pairs, different news with alike headlines came a day or more
/// apart, while wire copies and their listings came within hours, reworded.
pub const TITLE_CLOSE_SECS: u64 = 12 * 3600;
/// Headline similarity enough for items first seen within [`TITLE_CLOSE_SECS`].
pub const TITLE_CLOSE_THRESHOLD: f32 = 0.5;
/// Headline similarity from which two items that both have text are one story
/// whatever their texts say: outlets' own boilerplate or a teaser against the whole
/// article can hide a copy's text, but a template-written story of another event
/// rarely keeps this much of the headline.
pub const TITLE_ALONE_THRESHOLD: f32 = 0.8;
/// Headline similarity enough within [`TITLE_CLOSE_SECS`] when the texts also share
/// [`TEXT_BESIDE_TITLE`] (a wire update that rewrote half its headline).
pub const TITLE_WITH_TEXT_THRESHOLD: f32 = 0.4;
/// Text score ([`index::similarity_score`]) that backs a weaker headline match.
pub const TEXT_BESIDE_TITLE: f32 = 0.3;

/// Which rule joined an item to a story.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Layer {
    /// The same canonical link.
    CanonicalLink,
    /// The same normalized title and text.
    ContentHash,
    /// A similar normalized title and lede.
    NearDuplicate,
    /// A similar headline, first seen close in time.
    Title,
}

impl Layer {
    /// The short name shown by `explain` and stored: `link`, `content`, `similar`.
    pub fn as_str(self) -> &'static str {
        match self {
            Layer::CanonicalLink => "link",
            Layer::ContentHash => "content",
            Layer::NearDuplicate => "similar",
            Layer::Title => "title",
        }
    }

    /// The layer named by [`Layer::as_str`].
    pub fn parse(name: &str) -> Option<Layer> {
        [
            Layer::CanonicalLink,
            Layer::ContentHash,
            Layer::NearDuplicate,
            Layer::Title,
        ]
        .into_iter()
        .find(|layer| layer.as_str() == name)
    }
}

impl fmt::Display for Layer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The story a new item joins, and through which indexed item.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Match {
    /// The story of the matched item, as it was when that item was inserted.
    pub story: i64,
    /// The matched item.
    pub item: i64,
    pub layer: Layer,
    /// 1.0 for link and content; the estimated similarity for near duplicates.
    pub score: f32,
}

impl Match {
    fn of(story: i64, item: i64, layer: Layer, score: f32) -> Match {
        Match {
            story,
            item,
            layer,
            score,
        }
    }
}

/// How near duplicates are decided.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Settings {
    /// Items first seen further apart than this (seconds) are never joined.
    pub window_secs: u64,
    /// Estimated similarity in `0.0..=1.0` from which two items are one story.
    pub threshold: f32,
}

impl Settings {
    /// The earliest first-seen time (unix seconds) still within the window of `now`.
    pub fn window_start(&self, now: i64) -> i64 {
        now.saturating_sub(i64::try_from(self.window_secs).unwrap_or(i64::MAX))
    }
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            window_secs: DEFAULT_WINDOW_SECS,
            threshold: DEFAULT_THRESHOLD,
        }
    }
}

impl Settings {
    /// Settings from `[dedup]`: its window, and its threshold or [`DEFAULT_THRESHOLD`].
    pub fn from_config(dedup: &DedupConfig) -> Settings {
        Settings {
            window_secs: dedup.window.as_secs(),
            threshold: dedup
                .threshold
                .map_or(DEFAULT_THRESHOLD, |t| t.clamp(0.0, 1.0) as f32),
        }
    }
}

/// Headline similarity from which a source's new item under a link it carried
/// before is a later version of that report (the wire re-issued it with a new guid
/// and a rewritten headline). A feed that gives every item the same link (its home
/// page) keeps its items apart: their headlines share little.
pub const SAME_LINK_TITLE_FLOOR: f32 = 0.3;

/// Whether a new item (`fp`) is a later version of one its own source stored before
/// under the same canonical link (`stored`: that item's fingerprint bytes, first seen
/// at `first_seen`), seen at `now`: first seen within [`TITLE_WINDOW_SECS`] with
/// headlines as alike as [`SAME_LINK_TITLE_FLOOR`] and no contradicting figures in
/// them. Stored bytes of another fingerprint version say no.
pub fn is_earlier_version(fp: &Fingerprint, stored: &[u8], first_seen: i64, now: i64) -> bool {
    let Ok(earlier) = Fingerprint::from_bytes(stored) else {
        return false;
    };
    first_seen.abs_diff(now) <= TITLE_WINDOW_SECS
        && !fp.title.figures_differ(&earlier.title)
        && fp.title.similarity(&earlier.title) >= SAME_LINK_TITLE_FLOOR
}
