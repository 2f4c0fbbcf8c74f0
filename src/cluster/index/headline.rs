//! [`Headline`]: what the title layer compares of an indexed item, and the links of
//! its title bands' chains, packed into 85 bytes beside the item's [`Record`].
//!
//! A headline is compared only with items first seen within
//! [`TITLE_WINDOW_SECS`](crate::cluster::TITLE_WINDOW_SECS) of it, a part of the
//! dedup window, so the index keeps headlines for less time than records (see its
//! module comment). The item's time and source, and whether it has text to compare,
//! are copied here: a title walk's step decides on them and the headline alone, and
//! reads the record only for a candidate whose headline is alike.

use super::super::fingerprint::{Fingerprint, MIN_SHINGLES};
use super::super::title::{TITLE_BANDS, TITLE_TOKENS, TOKEN_BITS, TitleTokens};
use super::record::{Chain, Chained, Link, Record};

const _: () = assert!(size_of::<Headline>() == 85);
const _: () = assert!(TOKEN_BITS <= 24, "a headline token fits 3 bytes");
const _: () = assert!(TITLE_TOKENS < 32, "a headline's token count leaves bit 5");

/// The flag of an item with text enough to compare ([`MIN_SHINGLES`]).
const TEXT: u8 = 1 << 5;
/// The flags of a headline mostly of unspaced script and of an item with no text
/// beyond its headline ([`TitleTokens::unspaced`], [`TitleTokens::bare`]).
const UNSPACED: u8 = 1 << 7;
const BARE: u8 = 1 << 6;

/// One indexed item's headline; see the module comment.
#[derive(Debug, Clone)]
pub(super) struct Headline {
    at: [u8; 4],
    source: [u8; 4],
    tokens: [[u8; 3]; TITLE_TOKENS],
    /// The token count, with the flags [`UNSPACED`], [`BARE`] and [`TEXT`].
    len: u8,
    numbers: [u8; 8],
    /// [`TitleTokens::token_set`] of the tokens: a walk's step rules out most
    /// headlines by it, without unpacking the tokens.
    token_set: [u8; 8],
    links: [[u8; 3]; TITLE_BANDS],
}

impl Headline {
    /// The headline of `fp`, the fingerprint of the item `record` holds, with every
    /// chain ended.
    pub(super) fn new(record: &Record, fp: &Fingerprint) -> Headline {
        Headline {
            at: record.at_bytes(),
            source: record.source().to_le_bytes(),
            tokens: fp.title.tokens.map(token_bytes),
            len: fp.title.len
                | if fp.title.unspaced { UNSPACED } else { 0 }
                | if fp.title.bare { BARE } else { 0 }
                | if record.shingles() >= MIN_SHINGLES {
                    TEXT
                } else {
                    0
                },
            numbers: fp.title.numbers.to_le_bytes(),
            token_set: fp.title.token_set().to_le_bytes(),
            links: [Link::END.to_bytes(); TITLE_BANDS],
        }
    }

    /// The headline's tokens and numbers.
    pub(super) fn title(&self) -> TitleTokens {
        TitleTokens {
            tokens: self
                .tokens
                .map(|[a, b, c]| u32::from_le_bytes([a, b, c, 0])),
            len: self.token_count(),
            numbers: self.numbers(),
            unspaced: self.unspaced(),
            bare: self.bare(),
        }
    }

    /// How many tokens the headline has.
    pub(super) fn token_count(&self) -> u8 {
        self.len & (TEXT - 1)
    }

    /// [`TitleTokens::numbers`].
    pub(super) fn numbers(&self) -> u64 {
        u64::from_le_bytes(self.numbers)
    }

    /// [`TitleTokens::token_set`].
    pub(super) fn token_set(&self) -> u64 {
        u64::from_le_bytes(self.token_set)
    }

    /// [`TitleTokens::unspaced`].
    pub(super) fn unspaced(&self) -> bool {
        self.len & UNSPACED != 0
    }

    /// [`TitleTokens::bare`].
    pub(super) fn bare(&self) -> bool {
        self.len & BARE != 0
    }

    /// Whether the item has text enough to compare ([`MIN_SHINGLES`] shingles), as
    /// its record says.
    pub(super) fn has_text(&self) -> bool {
        self.len & TEXT != 0
    }

    /// The item's first-seen time, as its record has it.
    pub(super) fn at(&self) -> i64 {
        i64::from(u32::from_le_bytes(self.at))
    }

    /// The item's source, as its record has it.
    pub(super) fn source(&self) -> u32 {
        u32::from_le_bytes(self.source)
    }

    /// The key this headline is chained under in `chain`, a title band's.
    pub(super) fn chain_key(&self, chain: usize) -> u64 {
        self.title().band_key(title_band(chain))
    }
}

impl Chained for Headline {
    fn link(&self, chain: usize) -> Link {
        Link::from_bytes(self.links[title_band(chain)])
    }

    fn set_link(&mut self, chain: usize, link: Link) {
        self.links[title_band(chain)] = link.to_bytes();
    }

    /// Always: a title walk compares the headlines themselves, which costs less than
    /// recomputing a band key.
    fn shares_key(&self, _chain: usize, _fp: &Fingerprint) -> bool {
        true
    }

    fn link_address(&self, chain: usize) -> *const u8 {
        self.links[title_band(chain)].as_ptr()
    }

    /// A headline spans at most two cache lines: its first byte and its last.
    fn touch(&self) -> u8 {
        let [first, ..] = self.at;
        let [.., last] = self.links[TITLE_BANDS - 1];
        first ^ last
    }
}

/// The title band `chain` stands for.
fn title_band(chain: usize) -> usize {
    match Chain::of(chain) {
        Chain::Title(band) => band,
        Chain::Band(_) | Chain::Content => unreachable!("a record's chain"),
    }
}

/// A headline token ([`TOKEN_BITS`] bits) in its 3 bytes.
fn token_bytes(token: u32) -> [u8; 3] {
    let [a, b, c, _] = token.to_le_bytes();
    [a, b, c]
}
