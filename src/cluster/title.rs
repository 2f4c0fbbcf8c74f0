//! An item's headline as a small set of tokens, for the title layer: copies of one
//! report keep their headline (an aggregator lists it with the outlet's name after
//! it, a wire update rewords a few words), while the text beside it may be a
//! teaser, a whole article, page boilerplate or nothing at all.
//!
//! - The headline loses wire labels and outlet segments first
//!   ([`super::strip::strip_title`]), then is folded like all clustering text.
//! - Words of scripts written with spaces are tokens, less stop-words and agency
//!   names ([`super::normalize::is_noise`]). Words of scripts written without spaces
//!   (Han, kana, Hangul runs, which word splitting leaves whole or cuts into single
//!   characters) give their character pairs instead, so a Japanese headline and its
//!   reworded copy share most tokens as an English pair shares words.
//! - Tokens are 32-bit hashes, deduplicated; a long headline keeps the
//!   [`TITLE_TOKENS`] smallest, a consistent sample, so two copies compare the same
//!   tokens.
//! - The numbers of the headline (tolls, dates, percentages) are kept apart as a
//!   64-bit set: "Pictures of the Day | August 18" and "… | August 21" are alike in
//!   every other token.

use super::hash::{hash_word, mix};
use super::normalize::{fold, is_noise};
use super::strip::strip_title;
use super::{
    TEXT_BESIDE_TITLE, TITLE_ALONE_THRESHOLD, TITLE_CLOSE_SECS, TITLE_CLOSE_THRESHOLD,
    TITLE_THRESHOLD, TITLE_WITH_TEXT_THRESHOLD,
};
use crate::topic::words::split_words;

/// Most tokens kept of one headline.
pub const TITLE_TOKENS: usize = 12;
/// Bits of a token hash: a headline has at most [`TITLE_TOKENS`] of them, so two
/// headlines' tokens collide by chance once in ~100,000 pairs, and each record of
/// the story index keeps them in 3 bytes.
pub const TOKEN_BITS: u32 = 24;
const _: () = assert!(
    TOKEN_BITS < 32,
    "u32::MAX marks an ended list in similarity"
);
/// Fewer tokens than this and a headline says too little to join copies alone
/// ("Live updates", "Markets Wrap").
pub const MIN_TITLE_TOKENS: usize = 4;

/// A headline's tokens and numbers; see the module comment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TitleTokens {
    /// Sorted token hashes of [`TOKEN_BITS`] bits; only the first `len` are set.
    pub tokens: [u32; TITLE_TOKENS],
    pub len: u8,
    /// The headline's numbers, one bit each (a 64-bit Bloom set).
    pub numbers: u64,
    /// Most tokens are character pairs of unspaced script: formulaic headlines
    /// ("アジア株式市場サマリー" / "欧州市場サマリー") share many pairs, so such
    /// headlines need [`super::TITLE_THRESHOLD`] however close in time.
    pub unspaced: bool,
    /// The item has no text beyond its headline (an aggregator's listing, whose
    /// summary repeats the headline): its headline is all there is to compare.
    pub bare: bool,
}

impl TitleTokens {
    /// The tokens of `title` (a raw headline, labels and outlet name included).
    pub fn of(title: &str) -> TitleTokens {
        TitleTokens::of_words(&split_words(&fold(strip_title(title))))
    }

    /// The tokens of a headline already stripped, folded and split into words.
    pub fn of_words(words: &[&str]) -> TitleTokens {
        let mut hashes: Vec<u32> = Vec::new();
        let mut numbers = 0u64;
        let mut unspaced = String::new();
        let mut pairs = 0usize;
        for &word in words {
            if is_unspaced(word) {
                // Word splitting cuts ideographs one by one: rejoin the run.
                unspaced.push_str(word);
                for figure in word.split(|c: char| !c.is_numeric()) {
                    if !figure.is_empty() {
                        numbers |= figure_bit(token_hash(figure));
                    }
                }
                continue;
            }
            pairs += push_pairs(&mut unspaced, &mut hashes);
            if is_noise(word) {
                continue;
            }
            let hash = token_hash(word);
            if word.chars().all(char::is_numeric) {
                numbers |= figure_bit(hash);
            }
            hashes.push(hash);
        }
        pairs += push_pairs(&mut unspaced, &mut hashes);
        let unspaced = 2 * pairs > hashes.len();
        hashes.sort_unstable();
        hashes.dedup();
        let mut tokens = [0u32; TITLE_TOKENS];
        let len = hashes.len().min(TITLE_TOKENS);
        tokens[..len].copy_from_slice(&hashes[..len]);
        TitleTokens {
            tokens,
            len: len as u8,
            numbers,
            unspaced,
            bare: false,
        }
    }

    /// The tokens set.
    pub fn as_slice(&self) -> &[u32] {
        &self.tokens[..usize::from(self.len).min(TITLE_TOKENS)]
    }

    /// Whether the headline has enough tokens to join copies by itself.
    pub fn is_telling(&self) -> bool {
        usize::from(self.len) >= MIN_TITLE_TOKENS
    }

    /// Jaccard similarity of the two headlines' tokens, in `0.0..=1.0`: exact when
    /// both kept all their tokens; else estimated from the [`TITLE_TOKENS`]
    /// smallest tokens of the union, as bottom-k sketches are compared.
    pub fn similarity(&self, other: &TitleTokens) -> f32 {
        let (a, b) = (self.as_slice(), other.as_slice());
        if a.is_empty() || b.is_empty() {
            return 0.0;
        }
        // A merge of the two sorted lists without branches on the tokens: which list
        // holds the next smaller token is a coin toss the processor cannot predict, and
        // the index compares a headline with dozens of others for every item it takes.
        // An ended list reads as `u32::MAX`, above every token (tokens have TOKEN_BITS).
        let (mut i, mut j, mut union, mut shared) = (0, 0, 0usize, 0usize);
        while union < TITLE_TOKENS && (i < a.len() || j < b.len()) {
            let x = a.get(i).copied().unwrap_or(u32::MAX);
            let y = b.get(j).copied().unwrap_or(u32::MAX);
            shared += usize::from(x == y);
            i += usize::from(x <= y);
            j += usize::from(y <= x);
            union += 1;
        }
        shared as f32 / union as f32
    }

    /// The headline's tokens as a 64-bit set, one bit each by their low six bits:
    /// what [`similarity_at_most`] bounds the similarity by without the tokens.
    pub fn token_set(&self) -> u64 {
        self.as_slice()
            .iter()
            .fold(0, |set, &token| set | 1 << (token & 63))
    }

    /// Whether both headlines state numbers and neither's are all among the
    /// other's: then they report different figures or days.
    pub fn figures_differ(&self, other: &TitleTokens) -> bool {
        title_figures_differ(self.numbers, other.numbers)
    }

    /// The key of LSH band `band` (of [`TITLE_BANDS`]): the minimum of the tokens
    /// under two permutations of the band's own. Two headlines with Jaccard
    /// similarity `j` share a band's key with probability about `j²`.
    pub fn band_key(&self, band: usize) -> u64 {
        let seed = mix(0x7469_746c_6562_616e ^ band as u64);
        let (mut first, mut second) = (u64::MAX, u64::MAX);
        for &token in self.as_slice() {
            first = first.min(mix(seed ^ u64::from(token)));
            second = second.min(mix(seed.rotate_left(29) ^ u64::from(token)));
        }
        mix(first ^ second.rotate_left(32) ^ band as u64)
    }
}

/// [`TitleTokens::figures_differ`] of two headlines' numbers.
pub fn title_figures_differ(a: u64, b: u64) -> bool {
    a != 0 && b != 0 && a & !b != 0 && b & !a != 0
}

/// At least [`TitleTokens::similarity`] of two headlines of `a_len` and `b_len`
/// tokens whose [`TitleTokens::token_set`]s are `a_set` and `b_set`. A shared token
/// sets the same bit in both sets, and two shared tokens fall on one bit no more
/// often than two tokens of either headline do (its tokens less its set's bits), so
/// the tokens shared are at most the bits shared plus the fewer such collisions;
/// the union the similarity counts holds every token of the longer headline.
pub fn similarity_at_most(a_set: u64, a_len: u8, b_set: u64, b_len: u8) -> f32 {
    let (a_len, b_len) = (u32::from(a_len), u32::from(b_len));
    let longer = a_len.max(b_len);
    if longer == 0 {
        return 0.0;
    }
    let collisions = a_len
        .saturating_sub(a_set.count_ones())
        .min(b_len.saturating_sub(b_set.count_ones()));
    let shared = ((a_set & b_set).count_ones() + collisions).min(longer);
    shared as f32 / longer as f32
}

/// Whether a new item's headline joins it to an earlier item of another source
/// first seen `gap` seconds apart: the likeness needed grows with the time apart
/// and when both items have text to compare (then a reworded headline needs the
/// texts to agree: `text_score` is asked only then). Unspaced-script headlines
/// (`unspaced`: either is), whose character pairs overlap more, need
/// [`TITLE_THRESHOLD`] however close. Never true for a lower `score` or text score
/// where it is false for a higher.
pub(crate) fn title_alike(
    unspaced: bool,
    score: f32,
    gap: u64,
    both_texts: bool,
    text_score: impl FnOnce() -> f32,
) -> bool {
    let close = gap <= TITLE_CLOSE_SECS;
    if both_texts {
        score >= TITLE_ALONE_THRESHOLD
            || (close && score >= TITLE_WITH_TEXT_THRESHOLD && text_score() >= TEXT_BESIDE_TITLE)
    } else if close && !unspaced {
        score >= TITLE_CLOSE_THRESHOLD
    } else {
        score >= TITLE_THRESHOLD
    }
}

/// Title bands: headlines sharing 60 % of their tokens meet in at least one band
/// with probability 1 − (1 − 0.36)⁸ ≈ 0.97; at 75 %, 0.999.
pub const TITLE_BANDS: usize = 8;

/// The character pairs of a run of unspaced text (the run itself when it is one
/// character) as tokens; empties the run and returns how many tokens it gave.
fn push_pairs(run: &mut String, hashes: &mut Vec<u32>) -> usize {
    let before = hashes.len();
    let chars: Vec<char> = run.chars().collect();
    if chars.len() == 1 {
        hashes.push(token_hash(run));
    }
    let mut pair = String::with_capacity(8);
    for window in chars.windows(2) {
        pair.clear();
        pair.extend(window);
        hashes.push(token_hash(&pair));
    }
    run.clear();
    hashes.len() - before
}

fn token_hash(token: &str) -> u32 {
    (hash_word(token) >> (64 - TOKEN_BITS)) as u32
}

/// A figure's bit in [`TitleTokens::numbers`]: the top six bits of its token.
fn figure_bit(token: u32) -> u64 {
    1 << (token >> (TOKEN_BITS - 6))
}

/// Whether `word` is written without spaces between words: Han, kana, Hangul.
fn is_unspaced(word: &str) -> bool {
    word.chars().any(|c| {
        matches!(c,
            '\u{3040}'..='\u{30ff}'   // hiragana, katakana
            | '\u{3400}'..='\u{4dbf}' // CJK extension A
            | '\u{4e00}'..='\u{9fff}' // CJK unified ideographs
            | '\u{ac00}'..='\u{d7af}' // Hangul syllables
            | '\u{f900}'..='\u{faff}' // CJK compatibility ideographs
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Jaccard of bottom-k union, merged the plain way: what `similarity` computes.
    fn reference_similarity(a: &[u32], b: &[u32]) -> f32 {
        if a.is_empty() || b.is_empty() {
            return 0.0;
        }
        let (mut i, mut j, mut union, mut shared) = (0, 0, 0usize, 0usize);
        while union < TITLE_TOKENS && (i < a.len() || j < b.len()) {
            match (a.get(i), b.get(j)) {
                (Some(x), Some(y)) if x == y => {
                    shared += 1;
                    i += 1;
                    j += 1;
                }
                (Some(x), Some(y)) if x < y => i += 1,
                (Some(_), None) => i += 1,
                _ => j += 1,
            }
            union += 1;
        }
        shared as f32 / union as f32
    }

    #[test]
    fn similarity_is_the_bottom_k_jaccard_of_the_merged_lists() {
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = move |bound: u64| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1);
            (state >> 33) % bound
        };
        for _ in 0..20_000 {
            let mut lists = [TitleTokens::default(), TitleTokens::default()];
            for list in &mut lists {
                // Small token values so the two lists share many.
                let mut tokens: Vec<u32> = (0..next(TITLE_TOKENS as u64 + 1))
                    .map(|_| next(24) as u32)
                    .collect();
                tokens.sort_unstable();
                tokens.dedup();
                list.tokens[..tokens.len()].copy_from_slice(&tokens);
                list.len = tokens.len() as u8;
            }
            let [a, b] = &lists;
            let expected = reference_similarity(a.as_slice(), b.as_slice());
            let bound = similarity_at_most(a.token_set(), a.len, b.token_set(), b.len);
            assert!(bound >= expected, "{bound} < {expected}");
            assert_eq!(
                a.similarity(b),
                expected,
                "{:?} {:?}",
                a.as_slice(),
                b.as_slice()
            );
        }
    }

    #[test]
    fn the_token_set_bound_holds_where_tokens_share_bits() {
        // Token values 64 apart share a bit of the set: two shared tokens on one bit
        // must still count twice.
        let list = |tokens: &[u32]| {
            let mut list = TitleTokens::default();
            list.tokens[..tokens.len()].copy_from_slice(tokens);
            list.len = tokens.len() as u8;
            list
        };
        let a = list(&[1, 65, 129, 200, 300]);
        let b = list(&[1, 65, 129, 201, 301]);
        let bound = similarity_at_most(a.token_set(), a.len, b.token_set(), b.len);
        assert!(bound >= a.similarity(&b), "{bound}");
        let c = list(&[2, 3, 4, 5, 6]);
        assert_eq!(
            similarity_at_most(a.token_set(), a.len, c.token_set(), c.len),
            0.0
        );
    }

    #[test]
    fn an_aggregator_listing_has_the_headline_tokens() {
        let wire = TitleTokens::of("Luxury Sales Plunge in China as Tax Push Hits Rich Shoppers");
        let listed = TitleTokens::of(
            "Luxury Sales Plunge in China as Tax Push Hits Rich Shoppers - Bloomberg",
        );
        assert_eq!(wire, listed);
        assert!(wire.is_telling());
    }

    #[test]
    fn unspaced_headlines_compare_by_character_pairs() {
        let a = TitleTokens::of("米、カナダ製品に50％追加関税 通商交渉が決裂 - ロイター");
        let b = TitleTokens::of("米、カナダ製品に50％追加関税 通商交渉が決裂");
        assert_eq!(a.similarity(&b), 1.0);
        let c = TitleTokens::of("米、メキシコ製品に関税 協議は継続");
        assert!(a.similarity(&c) < 0.4, "{}", a.similarity(&c));
    }

    #[test]
    fn different_days_differ_in_figures() {
        let a = TitleTokens::of("Pictures of the Day | August 18, 2026");
        let b = TitleTokens::of("Pictures of the Day | August 21, 2026");
        assert!(a.figures_differ(&b));
        let c = TitleTokens::of("Alibaba Shares Jump 5% as Alipay Launches Platform");
        let d = TitleTokens::of("Alibaba Shares Jump as Alipay Launches Platform");
        assert!(!c.figures_differ(&d));
    }
}
