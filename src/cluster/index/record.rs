//! [`Record`]: one indexed item packed into 209 bytes with alignment 1 (no padding),
//! the [`Chained`] entries the index links into chains, and the chain keys.
//!
//! Layout choices (measured with `benches/cluster.rs`, 1M items in the window):
//! - Multi-byte fields are little-endian byte arrays, so the record has no padding
//!   and a chunk of them holds exactly `size_of::<Record>()` bytes per slot.
//! - Numbers are kept in the bytes they need, and the index refuses an item whose
//!   numbers do not fit rather than truncate them: item and story ids in 48 bits
//!   (row ids; 2⁴⁸ is 280 trillion), the source in 32 (a row id of `sources`), the
//!   first-seen time as unsigned 32-bit unix seconds (until 2106).
//! - A chain link is the *distance* back to the previous entry of the same slot,
//!   in 3 bytes (see [`Link`]): sequence numbers are below 2²⁴, so every distance
//!   fits and no chain is ever cut.
//! - The signature is stored band by band, each band's values next to that band's
//!   link ([`Lane`]): a chain walk reads 7 adjacent bytes per step (one cache line)
//!   instead of the band in the signature and the link ~100 bytes away.
//! - The headline and its chains' links are a [`Headline`](super::headline::Headline)
//!   of their own, kept only
//!   while the title layer may still compare it (see the index's module comment).

use super::super::fingerprint::{Fingerprint, SIGNATURE_LEN};
use super::super::hash::mix;
use super::super::title::TITLE_BANDS;
use super::{BANDS, ROWS};

/// Chains per record: one per signature band, one per title band, and the content
/// hash.
pub(super) const CHAINS: usize = BANDS + TITLE_BANDS + 1;
/// The first title band's chain (after the signature bands').
pub(super) const FIRST_TITLE_CHAIN: usize = BANDS;
/// The content hash's chain (the last).
pub(super) const CONTENT_CHAIN: usize = BANDS + TITLE_BANDS;
/// The title bands' chains, whose entries are headlines.
pub(super) const TITLE_CHAINS: std::ops::Range<usize> = FIRST_TITLE_CHAIN..CONTENT_CHAIN;

/// The chains whose entries are records: the signature bands' and the content
/// hash's.
pub(super) fn record_chains() -> impl Iterator<Item = usize> {
    (0..BANDS).chain(CONTENT_CHAIN..CHAINS)
}

const _: () = assert!(
    BANDS * ROWS == SIGNATURE_LEN,
    "lanes hold the whole signature"
);
const _: () = assert!(size_of::<Record>() == 209);

/// A chain link: the distance back to the previous record of the same slot, in
/// 3 bytes; `0` ends the chain. Every distance fits: both ends are sequence
/// numbers, below [`EMPTY`](super::chains::EMPTY), itself 3 bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Link(u32);

impl Link {
    pub(super) const END: Link = Link(0);

    /// The link `distance` back (more than 0, less than 2²⁴).
    pub(super) fn back(distance: u32) -> Link {
        debug_assert!(distance > 0 && distance < 1 << 24, "a link fits 3 bytes");
        Link(distance)
    }

    /// The distance back, unless the chain ends.
    pub(super) fn distance(self) -> Option<u32> {
        (self != Link::END).then_some(self.0)
    }

    pub(super) fn to_bytes(self) -> [u8; 3] {
        let [a, b, c, _] = self.0.to_le_bytes();
        [a, b, c]
    }

    pub(super) fn from_bytes([a, b, c]: [u8; 3]) -> Link {
        Link(u32::from_le_bytes([a, b, c, 0]))
    }
}

/// One band of the signature and the link of that band's chain.
#[derive(Debug, Clone, Copy)]
struct Lane {
    band: [u8; ROWS],
    link: [u8; 3],
}

/// One indexed item; see the module comment.
#[derive(Debug, Clone)]
pub(super) struct Record {
    item: [u8; 6],
    story: [u8; 6],
    at: [u8; 4],
    content_hash: [u8; 8],
    numbers: [u8; 8],
    source: [u8; 4],
    shingles: [u8; 2],
    content_link: [u8; 3],
    lanes: [Lane; BANDS],
}

/// What the index links into chains: a [`Record`] (the signature bands' chains and
/// the content hash's) or a [`Headline`](super::headline::Headline) (the title
/// bands').
pub(super) trait Chained {
    /// The link of this entry in `chain`, one of its own.
    fn link(&self, chain: usize) -> Link;
    fn set_link(&mut self, chain: usize, link: Link);
    /// Whether this entry has `fp`'s key in `chain` exactly (not merely its slot).
    fn shares_key(&self, chain: usize, fp: &Fingerprint) -> bool;
    /// One byte of each cache line a walk's callback may read of the entry,
    /// combined: reading them asks for every such line at once.
    fn touch(&self) -> u8;
    /// Where a walk's step in `chain` starts reading the entry: its link's line.
    fn link_address(&self, chain: usize) -> *const u8;
}

impl Record {
    /// A record with every chain ended, or `None` when a number does not fit its
    /// bytes (see the module comment).
    pub(super) fn new(
        item: i64,
        story: i64,
        source: i64,
        at: i64,
        fp: &Fingerprint,
    ) -> Option<Record> {
        let item = id_bytes(item)?;
        let story = id_bytes(story)?;
        let source = u32::try_from(source).ok()?;
        let at = u32::try_from(at).ok()?;
        let mut lanes = [Lane {
            band: [0; ROWS],
            link: Link::END.to_bytes(),
        }; BANDS];
        for (lane, band) in lanes.iter_mut().zip(fp.signature.chunks_exact(ROWS)) {
            lane.band.copy_from_slice(band);
        }
        Some(Record {
            item,
            story,
            at: at.to_le_bytes(),
            content_hash: fp.content_hash.to_le_bytes(),
            numbers: fp.numbers.to_le_bytes(),
            source: source.to_le_bytes(),
            shingles: fp.shingles.to_le_bytes(),
            content_link: Link::END.to_bytes(),
            lanes,
        })
    }

    pub(super) fn item(&self) -> i64 {
        id_from_bytes(self.item)
    }

    pub(super) fn story(&self) -> i64 {
        id_from_bytes(self.story)
    }

    pub(super) fn at(&self) -> i64 {
        i64::from(u32::from_le_bytes(self.at))
    }

    pub(super) fn at_bytes(&self) -> [u8; 4] {
        self.at
    }

    pub(super) fn source(&self) -> u32 {
        u32::from_le_bytes(self.source)
    }

    pub(super) fn content_hash(&self) -> u64 {
        u64::from_le_bytes(self.content_hash)
    }

    pub(super) fn numbers(&self) -> u64 {
        u64::from_le_bytes(self.numbers)
    }

    pub(super) fn shingles(&self) -> u16 {
        u16::from_le_bytes(self.shingles)
    }

    /// The whole signature, gathered from the lanes.
    pub(super) fn signature(&self) -> [u8; SIGNATURE_LEN] {
        let mut signature = [0; SIGNATURE_LEN];
        for (band, lane) in signature.chunks_exact_mut(ROWS).zip(&self.lanes) {
            band.copy_from_slice(&lane.band);
        }
        signature
    }

    /// The key this record is chained under in `chain`, a signature band's or the
    /// content hash's.
    pub(super) fn chain_key(&self, chain: usize) -> u64 {
        match Chain::of(chain) {
            Chain::Band(band) => band_key(band, &self.lanes[band].band),
            Chain::Content => content_key(self.content_hash()),
            Chain::Title(_) => unreachable!("a headline's chain"),
        }
    }
}

impl Chained for Record {
    fn link(&self, chain: usize) -> Link {
        match Chain::of(chain) {
            Chain::Band(band) => Link::from_bytes(self.lanes[band].link),
            Chain::Content => Link::from_bytes(self.content_link),
            Chain::Title(_) => unreachable!("a headline's chain"),
        }
    }

    fn set_link(&mut self, chain: usize, link: Link) {
        let bytes = link.to_bytes();
        match Chain::of(chain) {
            Chain::Band(band) => self.lanes[band].link = bytes,
            Chain::Content => self.content_link = bytes,
            Chain::Title(_) => unreachable!("a headline's chain"),
        }
    }

    fn shares_key(&self, chain: usize, fp: &Fingerprint) -> bool {
        match Chain::of(chain) {
            Chain::Band(band) => {
                self.lanes[band].band[..] == fp.signature[band * ROWS..(band + 1) * ROWS]
            }
            Chain::Content => self.content_hash() == fp.content_hash,
            Chain::Title(_) => unreachable!("a headline's chain"),
        }
    }

    fn link_address(&self, chain: usize) -> *const u8 {
        match Chain::of(chain) {
            Chain::Band(band) => self.lanes[band].band.as_ptr(),
            Chain::Content => self.content_hash.as_ptr(),
            Chain::Title(_) => unreachable!("a headline's chain"),
        }
    }

    /// No two bytes read are 64 apart or more.
    fn touch(&self) -> u8 {
        let [first, ..] = self.item;
        let [.., last] = self.lanes[BANDS - 1].link;
        self.lanes
            .iter()
            .step_by(64 / size_of::<Lane>())
            .fold(first ^ last, |acc, lane| acc ^ lane.band[0])
    }
}

/// What a chain number stands for.
pub(super) enum Chain {
    Band(usize),
    Title(usize),
    Content,
}

impl Chain {
    pub(super) fn of(chain: usize) -> Chain {
        if chain < BANDS {
            Chain::Band(chain)
        } else if chain < CONTENT_CHAIN {
            Chain::Title(chain - FIRST_TITLE_CHAIN)
        } else {
            Chain::Content
        }
    }
}

/// The key an item with fingerprint `fp` is chained under in `chain`.
pub(super) fn query_key(chain: usize, fp: &Fingerprint) -> u64 {
    match Chain::of(chain) {
        Chain::Band(band) => band_key(band, &fp.signature[band * ROWS..(band + 1) * ROWS]),
        Chain::Title(band) => fp.title.band_key(band),
        Chain::Content => content_key(fp.content_hash),
    }
}

/// An item or story id in 48 bits, if it fits.
fn id_bytes(id: i64) -> Option<[u8; 6]> {
    let [a, b, c, d, e, f, _, _] = id.to_le_bytes();
    (0..1 << 48).contains(&id).then_some([a, b, c, d, e, f])
}

fn id_from_bytes([a, b, c, d, e, f]: [u8; 6]) -> i64 {
    i64::from_le_bytes([a, b, c, d, e, f, 0, 0])
}

fn band_key(band: usize, values: &[u8]) -> u64 {
    let packed = values
        .iter()
        .fold(band as u64, |acc, &v| (acc << 8) | u64::from(v));
    mix(packed)
}

fn content_key(content_hash: u64) -> u64 {
    mix(content_hash)
}
