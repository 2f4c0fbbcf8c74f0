//! [`StoryIndex`]: the items of the dedup window in memory, found again by their
//! content hash or by LSH bands of their MinHash signature, never by a scan.
//!
//! Layout (zlib-style hash chains, compact and eviction-friendly):
//! - `records`: one packed [`Record`] per indexed item, oldest first, each with a
//!   sequence number (`base_seq + position`) and, per chain, a [`Link`] back to the
//!   previous record that landed in the same table slot.
//! - `headlines`: the [`Headline`] of each of the newest items, whose chains are the
//!   title bands': those first seen within [`HEADLINE_SECS`] of the window's end.
//!   The title layer compares only items within [`TITLE_WINDOW_SECS`] of each other,
//!   so an older headline is never read by a poll's lookup; the margin beyond it
//!   covers lookups made at an item's first sight after it (a full-text page
//!   fetched late, retried for up to a few hours).
//! - `slots`: one region per chain (each LSH band, each title band, and the content
//!   hash), each slot holding its head, the newest entry that landed there, and its
//!   tag, a bit for each key chained there ([`chains`]). A lookup walks only the
//!   slots whose tag may hold its key, a slot's entries newest to oldest, checking
//!   that they truly share the chain's key, and stops at the first evicted one (its
//!   sequence number is below `base_seq`, or `headline_base` in a title chain).
//! - Eviction pops old entries from the front and empties the slots whose head is
//!   one of them: no per-bucket lists to shrink, no tombstones ([`forget`]).
//!
//! Memory: a record is 209 bytes and a headline 85 ([`record`], [`headline`]: no
//! padding, numbers in the bytes they need, 3-byte links), kept in chunks of a few
//! hundred ([`window`]: growing never copies them, and at most a chunk at each end
//! is partly used); slots are sized apart from the records, at 1–5 records per slot
//! ([`MIN_LOAD`]..[`MAX_LOAD`], rebuilt to [`TARGET_LOAD`], or [`RESERVED_LOAD`] by
//! `reserve`), 33 chains × (3 bytes of head + 2 of tag) / load per item. So a
//! window loaded at start takes ≈ 335 bytes per item while it keeps every headline
//! (a window no longer than [`HEADLINE_SECS`]), ≈ 300 over 72 hours of steady news
//! (the headlines of its last 42), ≈ 377 grown one by one at worst, plus a chunk at
//! each end (the unit tests hold the bounds). The price of a slot shared by several
//! keys: a walk step whose entry merely shares the slot costs one more fetch (unless
//! its tag rules the slot out); a band's values sit next to its link, so that fetch
//! is one cache line.

mod chains;
mod forget;
mod headline;
mod record;
#[cfg(test)]
mod tests;
mod walk;
mod window;

use super::fingerprint::{Fingerprint, MIN_SHINGLES, figures_differ, signature_similarity};
use super::title::{MIN_TITLE_TOKENS, similarity_at_most, title_alike, title_figures_differ};
use super::{Layer, Match, Settings, TITLE_WINDOW_SECS};
use chains::{EMPTY, Slots, chain_in};
pub use forget::IndexMark;
use headline::Headline;
use record::{CHAINS, CONTENT_CHAIN, Record, TITLE_CHAINS, record_chains};
use window::Window;

/// LSH bands over the signature, and the signature values per band.
pub const BANDS: usize = 24;
/// Signature values per band: two copies collide in a band with probability ≈ J^ROWS.
pub const ROWS: usize = 4;
/// Smallest slot count of one chain region (small in unit tests, so that a few
/// thousand records go through growth and shrink rebuilds).
const MIN_REGION: usize = if cfg!(test) { 64 } else { 1024 };
/// Records per slot a rebuild of the slots aims at when growing or shrinking.
const TARGET_LOAD: usize = 2;
/// Records per slot [`StoryIndex::reserve`] aims at: a window loaded at start stays
/// about that size (evictions balance arrivals), so it may start fuller, with a
/// quarter of room before the slots grow.
const RESERVED_LOAD: usize = 4;
/// Records per slot from which the slots grow (to [`TARGET_LOAD`]).
const MAX_LOAD: usize = 5;
/// Records per slot under which the slots shrink (to [`TARGET_LOAD`]).
const MIN_LOAD: usize = 1;
/// Most records looked at in one slot: bounds the cost of a pathological bucket
/// (the same boilerplate text from many outlets) at the price of missing its oldest.
const MAX_CHAIN_WALK: usize = 512;
/// How long after an item's first sight the index keeps its headline: the title
/// window, and six hours for a lookup made at the first sight of an item whose
/// full-text page came late (its fetch is retried for up to about three hours).
/// Never longer than the dedup window.
pub const HEADLINE_SECS: u64 = TITLE_WINDOW_SECS + 6 * 3600;

/// Most records looked at in one title band's slot. Copies of a report come within
/// hours, so they sit near the newest end of its chain; a headline band shared by
/// thousands (a recurring phrase) is cut short rather than scored through. Each step
/// is a cache miss, and where headlines share a small vocabulary every walk runs to
/// this limit; the real-news replay (`cargo bench --bench replay`) joins the same
/// copies with 12 as with 16.
const MAX_TITLE_WALK: usize = 12;

/// The slot count per region that puts `records` records at [`TARGET_LOAD`].
fn region_for(records: usize) -> usize {
    (records / TARGET_LOAD).max(MIN_REGION)
}

/// The dedup window's items, indexed for sublinear lookup; see the module comment.
#[derive(Debug, Clone)]
pub struct StoryIndex {
    settings: Settings,
    records: Window<Record>,
    /// Sequence number of `records[0]`.
    base_seq: u32,
    /// The headlines of the records from `headline_base` on, the newest.
    headlines: Window<Headline>,
    /// Sequence number of `headlines[0]`: from `base_seq` to the next record's.
    headline_base: u32,
    /// `CHAINS` regions of `region_len` slots each ([`chains`]).
    slots: Slots,
    region_len: usize,
    /// Records inserted since the tags were built from the window's.
    inserted_since_tags: usize,
    /// Headlines inserted since the title chains' tags were built from those kept.
    headlines_since_tags: usize,
    /// Bumped whenever sequence numbers restart from zero: an [`IndexMark`] taken
    /// before names other records after.
    numbering: u32,
}

impl StoryIndex {
    /// An empty index with these settings.
    pub fn new(settings: Settings) -> StoryIndex {
        StoryIndex {
            settings,
            records: Window::default(),
            base_seq: 0,
            headlines: Window::default(),
            headline_base: 0,
            slots: Slots::empty(CHAINS * MIN_REGION),
            region_len: MIN_REGION,
            inserted_since_tags: 0,
            headlines_since_tags: 0,
            numbering: 0,
        }
    }

    /// Makes room for `records` more records at once (when loading a known number
    /// at start): loading re-chains nothing.
    pub fn reserve(&mut self, records: usize) {
        let total = self.records.len().saturating_add(records);
        self.records.reserve(records);
        self.headlines.reserve(records);
        if total > self.region_len.saturating_mul(MAX_LOAD) {
            self.rechain((total / RESERVED_LOAD).max(MIN_REGION));
        }
    }

    /// The window and threshold it decides with.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Number of indexed items.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// Whether the window holds as many items as sequence numbers can tell apart
    /// (about 16.7 million, see [`chains::EMPTY`]): none more is indexed until
    /// older ones are evicted.
    pub fn is_full(&self) -> bool {
        self.records.len() + 1 >= EMPTY as usize
    }

    /// Indexes `item` (of `story`, from `source`, first seen at `at`, unix seconds).
    /// Call in first-seen order (eviction pops the oldest insertions first). Thin
    /// fingerprints ([`Fingerprint::is_thin`]) are not indexed, nor is an item whose
    /// ids or time do not fit the record (ids from 2⁴⁸ or negative, a source id past
    /// `u32::MAX`, a time before 1970 or after 2106; never a row id or a clock
    /// reading in practice), nor one beyond a full window ([`StoryIndex::is_full`]):
    /// returns `false`.
    pub fn insert(
        &mut self,
        item: i64,
        story: i64,
        source: i64,
        at: i64,
        fp: &Fingerprint,
    ) -> bool {
        if fp.is_thin() && !fp.title.is_telling() {
            return false;
        }
        let Some(mut record) = Record::new(item, story, source, at, fp) else {
            return false;
        };
        if self.is_full() {
            return false;
        }
        let mut headline = Headline::new(&record, fp);
        let len = self.records.len();
        if len + 1 >= (EMPTY - self.base_seq) as usize {
            // Sequence numbers would reach EMPTY: renumber from zero.
            self.headline_base -= self.base_seq;
            self.base_seq = 0;
            self.numbering = self.numbering.wrapping_add(1);
            self.rechain(self.region_len);
        }
        if len + 1 > self.region_len * MAX_LOAD {
            self.rechain(region_for(len + 1));
        }
        let seq = self.base_seq + len as u32;
        let (slots, region_len) = (&mut self.slots, self.region_len);
        for chain in record_chains() {
            let key = record.chain_key(chain);
            chain_in(slots, region_len, &mut record, chain, key, seq);
        }
        for chain in TITLE_CHAINS {
            let key = headline.chain_key(chain);
            chain_in(slots, region_len, &mut headline, chain, key, seq);
        }
        self.records.push_back(record);
        self.headlines.push_back(headline);
        self.count_tagged();
        true
    }

    /// The record numbered `seq`, unless evicted.
    fn record(&self, seq: u32) -> Option<&Record> {
        self.records.get(seq.checked_sub(self.base_seq)? as usize)
    }

    /// The story an item with fingerprint `fp`, from `source`, first seen at `at`,
    /// belongs to: the best indexed item of *another* source within the window whose
    /// content hash is equal ([`Layer::ContentHash`], score 1), else the best of
    /// those whose estimated text similarity reaches the threshold with no
    /// contradicting figures ([`Fingerprint::figures_differ`]; [`Layer::NearDuplicate`])
    /// and those whose headline is as alike as [`title_alike`] asks, within
    /// [`TITLE_WINDOW_SECS`], with no contradicting figures in it ([`Layer::Title`]).
    /// Ties go to the earliest item. `None` when the item has neither text enough
    /// nor a telling headline, or nothing matches.
    pub fn find_story(&self, fp: &Fingerprint, source: i64, at: i64) -> Option<Match> {
        let by_text = !fp.is_thin();
        let by_title = fp.title.is_telling();
        if !by_text && !by_title {
            return None;
        }
        let eligible = |record: &Record, window: u64| {
            i64::from(record.source()) != source && record.at().abs_diff(at) <= window
        };
        let window = self.settings.window_secs;

        let firsts = self.first_records(fp);
        if by_text {
            let mut exact: Option<&Record> = None;
            self.walk(
                &self.records,
                self.base_seq,
                CONTENT_CHAIN..CONTENT_CHAIN + 1,
                &firsts,
                fp,
                MAX_CHAIN_WALK,
                |_, record| {
                    if eligible(record, window) && record.shingles() >= MIN_SHINGLES {
                        exact = Some(record); // walks newest to oldest: keeps the earliest
                    }
                    true
                },
            );
            if let Some(record) = exact {
                return Some(Match::of(
                    record.story(),
                    record.item(),
                    Layer::ContentHash,
                    1.0,
                ));
            }
        }

        let mut best = Best::default();
        if by_text {
            // A candidate met in several bands is scored again each time: cheaper
            // than remembering which were seen when a crowded bucket yields thousands.
            let threshold = self.settings.threshold;
            let records = &self.records;
            self.walk(
                records,
                self.base_seq,
                0..BANDS,
                &firsts,
                fp,
                MAX_CHAIN_WALK,
                |seq, record| {
                    if !eligible(record, window)
                        || figures_differ(fp.numbers, record.numbers())
                        || record.shingles() < MIN_SHINGLES
                    {
                        return true;
                    }
                    let jaccard = signature_similarity(&fp.signature, &record.signature());
                    let score = similarity_score(jaccard, fp.shingles, record.shingles());
                    if texts_alike(score, jaccard, threshold) {
                        best.offer(score, seq, record, Layer::NearDuplicate);
                    }
                    true
                },
            );
        }
        if by_title {
            let title_window = TITLE_WINDOW_SECS.min(window);
            let query_set = fp.title.token_set();
            let headlines = &self.headlines;
            let base = self.headline_base;
            self.walk(
                headlines,
                base,
                TITLE_CHAINS,
                &firsts,
                fp,
                MAX_TITLE_WALK,
                |seq, headline| {
                    let gap = headline.at().abs_diff(at);
                    if gap > title_window {
                        // Newest first: every headline further down is older still.
                        return headline.at() > at;
                    }
                    if usize::from(headline.token_count()) < MIN_TITLE_TOKENS
                        || title_figures_differ(fp.title.numbers, headline.numbers())
                    {
                        return true;
                    }
                    // One source's own items join by an identical headline only, and
                    // only listings: an aggregator lists one report twice, under two
                    // publishers. Items with text are the identity rules' business.
                    let own = i64::from(headline.source()) == source;
                    let both_texts =
                        by_text && !fp.title.bare && headline.has_text() && !headline.bare();
                    let unspaced = fp.title.unspaced || headline.unspaced();
                    let could_join = |score: f32| {
                        if own {
                            score == 1.0 && fp.title.bare && headline.bare()
                        } else {
                            title_alike(unspaced, score, gap, both_texts, || 1.0)
                        }
                    };
                    // Most headlines a crowded band meets are ruled out by their token
                    // sets alone: the bound is never below the similarity, and
                    // `could_join` never holds for a lower score where it fails for
                    // a higher one. The tokens are unpacked only past it, and the
                    // record read only for a headline alike enough to join.
                    let bound = similarity_at_most(
                        query_set,
                        fp.title.len,
                        headline.token_set(),
                        headline.token_count(),
                    );
                    if !could_join(bound) {
                        return true;
                    }
                    let score = fp.title.similarity(&headline.title());
                    if own {
                        if could_join(score)
                            && let Some(record) = self.record(seq)
                        {
                            best.offer(score, seq, record, Layer::Title);
                        }
                        return true;
                    }
                    let text_score = || {
                        self.record(seq)
                            .map_or(0.0, |record| text_score(fp, record))
                    };
                    if title_alike(unspaced, score, gap, both_texts, text_score)
                        && let Some(record) = self.record(seq)
                    {
                        best.offer(score, seq, record, Layer::Title);
                    }
                    true
                },
            );
        }
        best.found
            .map(|(score, _, record, layer)| Match::of(record.story(), record.item(), layer, score))
    }

    /// Estimated heap held by the index, in bytes.
    pub fn memory_bytes(&self) -> usize {
        size_of::<Self>()
            + self.records.memory_bytes()
            + self.headlines.memory_bytes()
            + self.slots.memory_bytes()
    }
}

/// The near-duplicate score of `fp`'s text against `record`'s.
fn text_score(fp: &Fingerprint, record: &Record) -> f32 {
    let jaccard = signature_similarity(&fp.signature, &record.signature());
    similarity_score(jaccard, fp.shingles, record.shingles())
}

/// The best candidate found so far: the highest score, then the earliest record.
#[derive(Default)]
struct Best<'a> {
    found: Option<(f32, u32, &'a Record, Layer)>,
}

impl<'a> Best<'a> {
    fn offer(&mut self, score: f32, seq: u32, record: &'a Record, layer: Layer) {
        let better = match self.found {
            None => true,
            Some((best_score, best_seq, _, _)) => {
                score > best_score || (score == best_score && seq < best_seq)
            }
        };
        if better {
            self.found = Some((score, seq, record, layer));
        }
    }
}

/// The slot of `key` in `chain`'s region (multiply-shift range reduction).
fn slot(region_len: usize, chain: usize, key: u64) -> usize {
    let within = ((key >> 32) * region_len as u64) >> 32;
    chain * region_len + within as usize
}

/// Least estimated Jaccard similarity, as a share of the threshold, for a match by
/// containment: a short copy must still share a good part of a long one.
const JACCARD_FLOOR: f32 = 0.5;

/// Whether two texts with this [`similarity_score`] and estimated Jaccard similarity
/// are one story under `threshold`.
pub(crate) fn texts_alike(score: f32, jaccard: f32, threshold: f32) -> bool {
    score >= threshold && jaccard >= threshold * JACCARD_FLOOR
}

/// The score of a near-duplicate pair: its estimated Jaccard similarity, or, when one
/// copy is much shorter (a truncated summary), the Jaccard similarity the pair would
/// have if the longer copy were cut to the shorter's length, whichever is higher.
///
/// From `j` and the shingle counts `a`, `b`: shared ≈ j·(a+b)/(1+j); containment of
/// the shorter `c` = shared / min(a, b); for equal lengths `j = c/(2−c)`.
pub fn similarity_score(jaccard: f32, a: u16, b: u16) -> f32 {
    let shorter = f32::from(a.min(b)).max(1.0);
    let shared = jaccard * (f32::from(a) + f32::from(b)) / (1.0 + jaccard);
    let containment = (shared / shorter).min(1.0);
    jaccard.max(containment / (2.0 - containment))
}
