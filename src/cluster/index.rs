//! [`StoryIndex`]: the items of the dedup window in memory, found again by their
//! content hash or by LSH bands of their MinHash signature, never by a scan.
//!
//! Layout (zlib-style hash chains, compact and eviction-friendly):
//! - `records`: one fixed-size record per indexed item, oldest first, each with a
//!   sequence number (`base_seq + position`) and, per chain, the sequence number of
//!   the previous record that landed in the same table slot.
//! - `heads`: one region per chain (each LSH band, plus the content hash), each slot
//!   holding the newest record that landed there. A lookup walks a slot's records
//!   newest to oldest, checking that they truly share the band, and stops at the
//!   first evicted one (its sequence number is below `base_seq`).
//! - Eviction pops old records from the front and clears heads that still point to
//!   them: no per-bucket lists to shrink, no tombstones.

use std::collections::VecDeque;

use super::fingerprint::{Fingerprint, SIGNATURE_LEN, mix, signature_similarity};
use super::{Layer, Match, Settings};

/// LSH bands over the signature, and the signature values per band.
pub const BANDS: usize = 24;
/// Signature values per band: two copies collide in a band with probability ≈ J^ROWS.
pub const ROWS: usize = 4;
/// Chains per record: one per band, and the content hash.
const CHAINS: usize = BANDS + 1;
const CONTENT_CHAIN: usize = BANDS;
/// Marks an empty slot or the end of a chain.
const EMPTY: u32 = u32::MAX;
/// Smallest slot count of one chain region.
const MIN_REGION: usize = 1024;
/// How much room a rebuild leaves: a quarter more slots (and record storage) than
/// records, so heads stay at load 0.8–1 and memory within 25% of what is indexed.
const GROWTH: usize = 4;

/// The region size for `records` records: a quarter more.
fn grown(records: usize) -> usize {
    records + records / GROWTH + 1
}
/// Most records looked at in one slot: bounds the cost of a pathological bucket
/// (the same boilerplate text from many outlets) at the price of missing its oldest.
const MAX_CHAIN_WALK: usize = 512;

const _: () = assert!(BANDS * ROWS <= SIGNATURE_LEN);

/// One indexed item.
#[derive(Debug, Clone)]
struct Record {
    item: i64,
    story: i64,
    source: i64,
    at: i64,
    content_hash: u64,
    shingles: u16,
    numbers: u64,
    signature: [u8; SIGNATURE_LEN],
    /// Per chain, the sequence number of the previous record in the same slot.
    previous: [u32; CHAINS],
}

/// The dedup window's items, indexed for sublinear lookup; see the module comment.
#[derive(Debug, Clone)]
pub struct StoryIndex {
    settings: Settings,
    records: VecDeque<Record>,
    /// Sequence number of `records[0]`.
    base_seq: u32,
    /// `CHAINS` regions of `region_len` slots each.
    heads: Vec<u32>,
    region_len: usize,
}

impl StoryIndex {
    /// An empty index with these settings.
    pub fn new(settings: Settings) -> StoryIndex {
        StoryIndex {
            settings,
            records: VecDeque::new(),
            base_seq: 0,
            heads: vec![EMPTY; CHAINS * MIN_REGION],
            region_len: MIN_REGION,
        }
    }

    /// Makes room for `records` more records at once (when loading a known number
    /// at start), so loading re-chains nothing.
    pub fn reserve(&mut self, records: usize) {
        let wanted = grown(self.records.len() + records);
        if wanted > self.region_len {
            self.rebuild(wanted);
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

    /// Indexes `item` (of `story`, from `source`, first seen at `at`, unix seconds).
    /// Call in first-seen order (eviction pops the oldest insertions first). Thin
    /// fingerprints ([`Fingerprint::is_thin`]) are not indexed: returns `false`.
    pub fn insert(
        &mut self,
        item: i64,
        story: i64,
        source: i64,
        at: i64,
        fp: &Fingerprint,
    ) -> bool {
        if fp.is_thin() {
            return false;
        }
        if self.records.len() + 1 >= (EMPTY - self.base_seq) as usize {
            // Sequence numbers would reach EMPTY: renumber from zero.
            self.base_seq = 0;
            self.rebuild(self.region_len);
        }
        if self.records.len() + 1 > self.region_len {
            self.rebuild(grown(self.records.len() + 1));
        }
        let seq = self.base_seq + self.records.len() as u32;
        let mut record = Record {
            item,
            story,
            source,
            at,
            content_hash: fp.content_hash,
            shingles: fp.shingles,
            numbers: fp.numbers,
            signature: fp.signature,
            previous: [EMPTY; CHAINS],
        };
        for chain in 0..CHAINS {
            let slot = self.slot(chain, chain_key(chain, &record));
            record.previous[chain] = self.heads[slot];
            self.heads[slot] = seq;
        }
        self.records.push_back(record);
        true
    }

    /// Forgets every item first seen before `cutoff` (unix seconds), oldest
    /// insertions first; returns how many. Call with `now - window` as time passes.
    pub fn evict_older_than(&mut self, cutoff: i64) -> usize {
        let mut evicted = 0;
        while let Some(oldest) = self.records.front() {
            if oldest.at >= cutoff {
                break;
            }
            for chain in 0..CHAINS {
                let slot = self.slot(chain, chain_key(chain, oldest));
                if self.heads[slot] == self.base_seq {
                    self.heads[slot] = EMPTY;
                }
            }
            self.records.pop_front();
            self.base_seq += 1;
            evicted += 1;
        }
        if evicted > 0 && self.region_len > MIN_REGION && self.records.len() * 2 < self.region_len {
            self.rebuild(grown(self.records.len()));
        }
        evicted
    }

    /// The story an item with fingerprint `fp`, from `source`, first seen at `at`,
    /// belongs to: the best indexed item of *another* source within the window whose
    /// content hash is equal ([`Layer::ContentHash`], score 1), else whose estimated
    /// similarity reaches the threshold and whose figures do not differ
    /// ([`Fingerprint::figures_differ`]; [`Layer::NearDuplicate`]). Ties go to the
    /// earliest item. `None` for a thin fingerprint or when nothing matches.
    pub fn find_story(&self, fp: &Fingerprint, source: i64, at: i64) -> Option<Match> {
        if fp.is_thin() {
            return None;
        }
        let query = Record {
            item: 0,
            story: 0,
            source,
            at,
            content_hash: fp.content_hash,
            shingles: fp.shingles,
            numbers: fp.numbers,
            signature: fp.signature,
            previous: [EMPTY; CHAINS],
        };
        let eligible = |record: &Record| {
            record.source != source && record.at.abs_diff(at) <= self.settings.window_secs
        };

        let mut exact: Option<&Record> = None;
        self.walk(CONTENT_CHAIN, &query, |record| {
            if eligible(record) && record.content_hash == fp.content_hash {
                exact = Some(record); // walks newest to oldest: keeps the earliest
            }
        });
        if let Some(record) = exact {
            return Some(Match::of(
                record.story,
                record.item,
                Layer::ContentHash,
                1.0,
            ));
        }

        // A candidate met in several bands is scored again each time: cheaper than
        // remembering which were seen when a crowded bucket yields thousands.
        let mut best: Option<(f32, u32, &Record)> = None;
        for band in 0..BANDS {
            self.walk_seq(band, &query, |seq, record| {
                let figures_differ =
                    fp.numbers != 0 && record.numbers != 0 && fp.numbers & record.numbers == 0;
                if !eligible(record) || figures_differ {
                    return;
                }
                let jaccard = signature_similarity(&fp.signature, &record.signature);
                let score = similarity_score(jaccard, fp.shingles, record.shingles);
                let better = match best {
                    None => true,
                    Some((best_score, best_seq, _)) => {
                        score > best_score || (score == best_score && seq < best_seq)
                    }
                };
                let threshold = self.settings.threshold;
                if score >= threshold && jaccard >= threshold * JACCARD_FLOOR && better {
                    best = Some((score, seq, record));
                }
            });
        }
        best.map(|(score, _, record)| {
            Match::of(record.story, record.item, Layer::NearDuplicate, score)
        })
    }

    /// Estimated memory held by the index, in bytes.
    pub fn memory_bytes(&self) -> usize {
        std::mem::size_of::<Self>()
            + self.records.capacity() * std::mem::size_of::<Record>()
            + self.heads.capacity() * std::mem::size_of::<u32>()
    }

    /// Calls `each` with the records of `query`'s slot in `chain` that truly share
    /// that chain's key with it, newest first.
    fn walk<'a>(&'a self, chain: usize, query: &Record, mut each: impl FnMut(&'a Record)) {
        self.walk_seq(chain, query, |_, record| each(record));
    }

    fn walk_seq<'a>(&'a self, chain: usize, query: &Record, mut each: impl FnMut(u32, &'a Record)) {
        let mut seq = self.heads[self.slot(chain, chain_key(chain, query))];
        let mut walked = 0;
        while seq != EMPTY && seq >= self.base_seq && walked < MAX_CHAIN_WALK {
            let Some(record) = self.records.get((seq - self.base_seq) as usize) else {
                break;
            };
            if same_chain_key(chain, record, query) {
                each(seq, record);
            }
            seq = record.previous[chain];
            walked += 1;
        }
    }

    /// The slot of `key` in `chain`'s region (multiply-shift range reduction).
    fn slot(&self, chain: usize, key: u64) -> usize {
        let within = ((key >> 32) * self.region_len as u64) >> 32;
        chain * self.region_len + within as usize
    }

    /// Re-chains every record into regions of `region_len` slots (at least
    /// [`MIN_REGION`]), renumbering from `base_seq`.
    ///
    /// The records' storage is sized to match (not left to double on its own), so the
    /// index holds about `GROWTH` slack at most: memory is what limits the window.
    fn rebuild(&mut self, region_len: usize) {
        self.region_len = region_len.max(MIN_REGION);
        self.heads = vec![EMPTY; CHAINS * self.region_len];
        if self.records.capacity() < self.region_len {
            self.records
                .reserve_exact(self.region_len - self.records.len());
        } else {
            self.records.shrink_to(self.region_len);
        }
        let region_len = self.region_len;
        for (position, record) in self.records.iter_mut().enumerate() {
            let seq = self.base_seq + position as u32;
            for chain in 0..CHAINS {
                let key = chain_key(chain, record);
                let slot = chain * region_len + (((key >> 32) * region_len as u64) >> 32) as usize;
                record.previous[chain] = self.heads[slot];
                self.heads[slot] = seq;
            }
        }
    }
}

/// Least estimated Jaccard similarity, as a share of the threshold, for a match by
/// containment: a short copy must still share a good part of a long one.
const JACCARD_FLOOR: f32 = 0.5;

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

/// The key a record is chained under in `chain`: its band's values, or its content hash.
fn chain_key(chain: usize, record: &Record) -> u64 {
    if chain == CONTENT_CHAIN {
        return mix(record.content_hash);
    }
    let band = &record.signature[chain * ROWS..(chain + 1) * ROWS];
    let packed = band
        .iter()
        .fold(chain as u64, |acc, &v| (acc << 8) | u64::from(v));
    mix(packed)
}

/// Whether two records share `chain`'s key exactly (not merely its slot).
fn same_chain_key(chain: usize, a: &Record, b: &Record) -> bool {
    if chain == CONTENT_CHAIN {
        return a.content_hash == b.content_hash;
    }
    let band = chain * ROWS..(chain + 1) * ROWS;
    a.signature[band.clone()] == b.signature[band]
}
