//! An item's clustering fingerprint: the hash of its whole normalized title and text
//! (exact copies), and a b-bit MinHash signature of the word shingles of its title
//! and lede (near copies). Deterministic: fixed seeds, no process-random hashing, so
//! fingerprints stored in SQLite stay comparable across restarts and versions
//! (a change of seeds or scheme bumps [`FINGERPRINT_VERSION`]).
//!
//! Design choices, measured on the corpus generator of `tests/it/support/syndicated.rs`:
//! - Shingles are pairs of consecutive *content* words ([`super::normalize`]): the
//!   title, then the first [`LEDE_WORDS`] content words of the text. Copies of a wire
//!   story share their lede; outlets cut, extend and truncate the tail, so a copy
//!   with a 50-word summary still matches one with the full 600-word article
//!   (the index scores such pairs by containment, see `index::similarity_score`).
//! - [`SIGNATURE_LEN`] MinHash values, each the lowest 8 bits of the minimum of a
//!   multiply-shift hash (b-bit minwise hashing): 96 bytes per item instead of 384,
//!   at the cost of a 1/256 chance collision per value, which the estimate removes.
//! - The numbers of the title and lede (tolls, days, percentages) as a 64-bit set
//!   ([`Fingerprint::numbers`]): copies of a story carry the same figures, while
//!   same-topic stories written from the same templates ("talks resume" / "talks
//!   collapse", "after 12 days" / "after 40 days") differ there first.

use thiserror::Error;

use super::hash::{SEED, hash_word, hash_words, mix};
pub use super::minhash::SIGNATURE_LEN;
use super::normalize::{content_words, credit_line_start, fold, is_noise};
use super::strip::strip_title;
use super::title::{TITLE_TOKENS, TOKEN_BITS, TitleTokens};
use crate::topic::words::split_words;

/// How many content words of the text (after the title) are shingled.
pub const LEDE_WORDS: usize = 30;
/// Words per shingle.
pub const SHINGLE_WORDS: usize = 2;
const _: () = assert!(
    SHINGLE_WORDS == 2,
    "Fingerprint::of_words pairs each word with the one before"
);
/// Below this many shingles an item is too thin to cluster by content (a bare
/// headline such as "Live updates"): it only joins stories by canonical link.
pub const MIN_SHINGLES: u16 = 6;
/// Version byte of [`Fingerprint::to_bytes`]; bumped whenever fingerprints of the
/// same text would change.
pub const FINGERPRINT_VERSION: u8 = 4;
/// The version before, whose content hash was [`hash_word`]'s byte-wise hash of
/// each word, chained. Read as it is: its signature and headline tokens are those of
/// today, so for the one window such items stay indexed, an exact copy of one is
/// found by its signature (the near-copy layer, at similarity 1.0) instead of the
/// content hash: the same story unless an earlier item has the same headline and
/// lede. Recomputing them instead would cost SQLite a pass over the window's texts
/// at start, and PostgreSQL, which leaves unreadable fingerprints out of its index,
/// the whole window.
const BYTEWISE_CONTENT_HASH_VERSION: u8 = 3;
/// The version before that, whose headline tokens were also 32 bits: the top
/// [`TOKEN_BITS`] of each are the token of today, so it too is read without
/// recomputing.
const WIDE_TOKENS_VERSION: u8 = 2;
/// Length of [`Fingerprint::to_bytes`].
pub const FINGERPRINT_BYTES: usize = 1 + 8 + 2 + 8 + SIGNATURE_LEN + TITLE_BYTES;
/// Length of the headline's part of [`Fingerprint::to_bytes`].
const TITLE_BYTES: usize = 4 * TITLE_TOKENS + 1 + 8;

/// What fingerprints an item for clustering; see the module comment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fingerprint {
    /// Hash of every normalized word of the stripped title and the text.
    pub content_hash: u64,
    /// Number of shingles the signature was computed over (saturating).
    pub shingles: u16,
    /// The numbers among the shingled words, one bit each (a 64-bit Bloom set).
    pub numbers: u64,
    /// b-bit MinHash signature (lowest 8 bits of each minimum).
    pub signature: [u8; SIGNATURE_LEN],
    /// The headline's tokens, for the title layer.
    pub title: TitleTokens,
}

/// Why stored fingerprint bytes could not be read.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum FingerprintError {
    #[error("fingerprint has {0} bytes, expected {FINGERPRINT_BYTES}")]
    Length(usize),
    #[error("fingerprint version {0} is not {FINGERPRINT_VERSION}; recompute it from the item")]
    Version(u8),
}

impl Fingerprint {
    /// The fingerprint of an item's title and plain text (HTML already removed:
    /// pass the content's text when the item has content, else the summary's).
    pub fn of(title: &str, text: &str) -> Fingerprint {
        let folded_text = fold(text);
        Fingerprint::of_words(title, &folded_text, &split_words(&folded_text))
    }

    /// [`Fingerprint::of`] from the item's folded text ([`fold`]) and its words
    /// ([`split_words`] of it), for a caller that has them already (parsing shares
    /// them with the item's topic words).
    pub fn of_words(title: &str, folded_text: &str, text_words: &[&str]) -> Fingerprint {
        let folded_title = fold(strip_title(title));
        let title_words = split_words(&folded_title);
        let text_end = credit_line_start(folded_text, text_words).unwrap_or(text_words.len());
        let text_words = &text_words[..text_end];
        // The headline's words then the text's, read in place: the text's words are
        // most of an item's and copying them after the headline's cost more than
        // what is done with them.
        let words = || title_words.iter().chain(text_words).copied();
        let content_hash = hash_words(words());

        let title_content_words = content_words(&title_words).count();
        let mut numbers = 0u64;
        let mut shingles = Vec::with_capacity(title_content_words + LEDE_WORDS);
        let mut previous: Option<u64> = None;
        for word in words()
            .filter(|word| !is_noise(word))
            .take(title_content_words + LEDE_WORDS)
        {
            let hash = hash_word(word);
            if word.chars().all(char::is_numeric) {
                numbers |= 1 << (hash >> 58);
            }
            if let Some(before) = previous {
                shingles.push(mix(mix(SEED ^ before) ^ hash));
            }
            previous = Some(hash);
        }
        let minimums = super::minhash::minimums(&shingles);
        Fingerprint {
            content_hash,
            shingles: u16::try_from(shingles.len()).unwrap_or(u16::MAX),
            numbers,
            signature: minimums.map(|m| m as u8),
            title: TitleTokens {
                bare: is_bare(&title_words, text_words),
                ..TitleTokens::of_words(&title_words)
            },
        }
    }

    /// Whether the item has too little text to be clustered by content.
    pub fn is_thin(&self) -> bool {
        self.shingles < MIN_SHINGLES
    }

    /// Whether both items state figures and share none: then they report different
    /// facts, however similar their wording.
    pub fn figures_differ(&self, other: &Fingerprint) -> bool {
        figures_differ(self.numbers, other.numbers)
    }

    /// Estimated Jaccard similarity of the two items' shingle sets, in `0.0..=1.0`.
    pub fn similarity(&self, other: &Fingerprint) -> f32 {
        signature_similarity(&self.signature, &other.signature)
    }

    /// The bytes to store: version, content hash, shingle count, numbers, signature,
    /// then the headline's tokens, their count and its numbers.
    pub fn to_bytes(&self) -> [u8; FINGERPRINT_BYTES] {
        let mut bytes = [0u8; FINGERPRINT_BYTES];
        bytes[0] = FINGERPRINT_VERSION;
        bytes[1..9].copy_from_slice(&self.content_hash.to_le_bytes());
        bytes[9..11].copy_from_slice(&self.shingles.to_le_bytes());
        bytes[11..19].copy_from_slice(&self.numbers.to_le_bytes());
        bytes[19..SIGNATURE_END].copy_from_slice(&self.signature);
        for (chunk, token) in bytes[SIGNATURE_END..]
            .chunks_exact_mut(4)
            .zip(self.title.tokens)
        {
            chunk.copy_from_slice(&token.to_le_bytes());
        }
        bytes[TITLE_LEN_AT] = self.title.len
            | (u8::from(self.title.unspaced) << 7)
            | (u8::from(self.title.bare) << 6);
        bytes[TITLE_LEN_AT + 1..].copy_from_slice(&self.title.numbers.to_le_bytes());
        bytes
    }

    /// Reads bytes written by [`Fingerprint::to_bytes`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Fingerprint, FingerprintError> {
        let bytes: &[u8; FINGERPRINT_BYTES] = bytes
            .try_into()
            .map_err(|_| FingerprintError::Length(bytes.len()))?;
        let wide_tokens = match bytes[0] {
            FINGERPRINT_VERSION | BYTEWISE_CONTENT_HASH_VERSION => false,
            WIDE_TOKENS_VERSION => true,
            other => return Err(FingerprintError::Version(other)),
        };
        let mut content_hash = [0u8; 8];
        content_hash.copy_from_slice(&bytes[1..9]);
        let mut numbers = [0u8; 8];
        numbers.copy_from_slice(&bytes[11..19]);
        let mut signature = [0u8; SIGNATURE_LEN];
        signature.copy_from_slice(&bytes[19..SIGNATURE_END]);
        let mut tokens = [0u32; TITLE_TOKENS];
        for (token, chunk) in tokens
            .iter_mut()
            .zip(bytes[SIGNATURE_END..TITLE_LEN_AT].chunks_exact(4))
        {
            *token = u32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
        }
        let mut len = (bytes[TITLE_LEN_AT] & 0x3f).min(TITLE_TOKENS as u8);
        if wide_tokens {
            len = narrow_tokens(&mut tokens, len);
        }
        let mut title_numbers = [0u8; 8];
        title_numbers.copy_from_slice(&bytes[TITLE_LEN_AT + 1..]);
        Ok(Fingerprint {
            content_hash: u64::from_le_bytes(content_hash),
            shingles: u16::from_le_bytes([bytes[9], bytes[10]]),
            numbers: u64::from_le_bytes(numbers),
            signature,
            title: TitleTokens {
                tokens,
                len,
                numbers: u64::from_le_bytes(title_numbers),
                unspaced: bytes[TITLE_LEN_AT] & 0x80 != 0,
                bare: bytes[TITLE_LEN_AT] & 0x40 != 0,
            },
        })
    }
}

/// The first `len` 32-bit tokens of [`WIDE_TOKENS_VERSION`] as [`TOKEN_BITS`]-bit
/// ones, still sorted and distinct; returns how many remain.
fn narrow_tokens(tokens: &mut [u32; TITLE_TOKENS], len: u8) -> u8 {
    let mut kept = 0;
    for i in 0..usize::from(len) {
        let token = tokens[i] >> (32 - TOKEN_BITS);
        if kept == 0 || tokens[kept - 1] != token {
            tokens[kept] = token;
            kept += 1;
        }
    }
    tokens[kept..].fill(0);
    kept as u8
}

/// Whether two sets of figures ([`Fingerprint::numbers`]) are both stated and share
/// none.
pub(crate) fn figures_differ(a: u64, b: u64) -> bool {
    a != 0 && b != 0 && a & b == 0
}

/// Fewer content words than this in the text that are not in the headline, and
/// the item is its headline alone ([`TitleTokens::bare`]).
const MIN_TEXT_BEYOND_TITLE: usize = 5;

/// Whether `text` (normalized words) says nothing the headline's words do not.
fn is_bare(title: &[&str], text: &[&str]) -> bool {
    content_words(text)
        .filter(|word| !title.contains(word))
        .take(MIN_TEXT_BEYOND_TITLE)
        .count()
        < MIN_TEXT_BEYOND_TITLE
}

/// Where the signature ends and the headline's tokens begin in the stored bytes.
const SIGNATURE_END: usize = 19 + SIGNATURE_LEN;
/// Where the headline's token count is in the stored bytes.
const TITLE_LEN_AT: usize = SIGNATURE_END + 4 * TITLE_TOKENS;

/// Estimated Jaccard similarity from two b-bit signatures: the share of equal
/// values, corrected for the 1/256 chance that unequal minimums share 8 bits.
pub(crate) fn signature_similarity(a: &[u8; SIGNATURE_LEN], b: &[u8; SIGNATURE_LEN]) -> f32 {
    const CHANCE: f32 = 1.0 / 256.0;
    let equal = a.iter().zip(b).filter(|(x, y)| x == y).count();
    let share = equal as f32 / SIGNATURE_LEN as f32;
    ((share - CHANCE) / (1.0 - CHANCE)).clamp(0.0, 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identical_text_has_identical_fingerprints() {
        let a = Fingerprint::of(
            "UPDATE 1-Iran talks resume",
            "Iran and the US resumed talks.",
        );
        let b = Fingerprint::of(
            "Iran talks resume | Reuters",
            "Iran and the US resumed talks.",
        );
        assert_eq!(a, b);
        assert_eq!(a.similarity(&b), 1.0);
    }

    #[test]
    fn bytes_round_trip_and_reject_garbage() {
        let fp = Fingerprint::of(
            "Iran talks resume",
            "Iran and the US resumed talks in Oman.",
        );
        assert_eq!(Fingerprint::from_bytes(&fp.to_bytes()), Ok(fp.clone()));
        assert_eq!(
            Fingerprint::from_bytes(&[1, 2, 3]),
            Err(FingerprintError::Length(3))
        );
        let mut bytes = fp.to_bytes();
        bytes[0] = 9;
        assert_eq!(
            Fingerprint::from_bytes(&bytes),
            Err(FingerprintError::Version(9))
        );
    }

    #[test]
    fn headline_alone_is_thin() {
        assert!(Fingerprint::of("Live updates", "").is_thin());
    }
}

/// Fingerprints are stored: the same text must keep the same bytes until
/// [`FINGERPRINT_VERSION`] changes. These were computed once and written down.
#[cfg(test)]
mod stability {
    use super::*;

    fn known() -> Fingerprint {
        Fingerprint::of(
            "UPDATE 2-Iran and IAEA agree on inspections at Fordow, 3 sites",
            "VIENNA (Reuters) - Iran agreed on Tuesday to let inspectors of the International \
             Atomic Energy Agency visit three sites, including the Fordow enrichment plant, within \
             30 days, the agency said after talks in Vienna that ran late into the night. Officials \
             said the deal covered cameras removed in 2022. Reporting by Jo Smith; Editing by Ann Lee",
        )
    }

    fn from_hex(hex: &str) -> Vec<u8> {
        (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
            .collect()
    }

    #[test]
    fn a_known_text_keeps_its_fingerprint() {
        let hex: String = known()
            .to_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(
            hex,
            "043276e28930cad6be220000000400002000004db9b741f1ed420fb4bbb5017dfbdbdcdf9592405396a363de782fa5f86138910c9ec66450aa0b60d32b681a026bb6bb5f4e51505e8ba172c4c2ecc9d2f924c371105f1593601c799a723a749712fab16e392e9ae015cb793404c62f144f98262b5369004a429700a7caaa0016f6bb00ef43bf003b87e600000000000000000000000000000000000000000000000000060000000000000000"
        );
    }

    /// [`known`] with the content hash versions 2 and 3 computed for it (byte-wise
    /// word hashes, chained).
    fn known_as_before() -> Fingerprint {
        Fingerprint {
            content_hash: 0xb666_e809_2920_b9f2,
            ..known()
        }
    }

    /// The same text's fingerprint as version 3 wrote it (the content hash chained
    /// byte-wise word hashes) reads as today's but for that hash.
    #[test]
    fn the_version_before_reads_with_its_own_content_hash() {
        let bytewise = from_hex(
            "03f2b9202909e866b6220000000400002000004db9b741f1ed420fb4bbb5017dfbdbdcdf9592405396a363de782fa5f86138910c9ec66450aa0b60d32b681a026bb6bb5f4e51505e8ba172c4c2ecc9d2f924c371105f1593601c799a723a749712fab16e392e9ae015cb793404c62f144f98262b5369004a429700a7caaa0016f6bb00ef43bf003b87e600000000000000000000000000000000000000000000000000060000000000000000",
        );
        assert_eq!(Fingerprint::from_bytes(&bytewise), Ok(known_as_before()));
    }

    /// The same text's fingerprint as version 2 wrote it (32-bit headline tokens).
    #[test]
    fn the_wide_tokens_version_reads_with_narrow_tokens() {
        let wide = from_hex(
            "02f2b9202909e866b6220000000400002000004db9b741f1ed420fb4bbb5017dfbdbdcdf9592405396a363de782fa5f86138910c9ec66450aa0b60d32b681a026bb6bb5f4e51505e8ba172c4c2ecc9d2f924c371105f1593601c799a723a749712fab16e392e9ae015cb793404c62f144f9826f92b5369944a42979ca7caaa4d16f6bbddef43bf853b87e6000000000000000000000000000000000000000000000000060000000000000000",
        );
        assert_eq!(Fingerprint::from_bytes(&wide), Ok(known_as_before()));
    }
}
