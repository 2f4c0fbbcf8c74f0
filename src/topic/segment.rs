//! Splitting folded text into words at UAX #29 word boundaries, exactly as
//! `unicode_words` does, with a fast path for ASCII.
//!
//! Every item's whole text is split (for topic matching and for the content hash of
//! clustering), so the general state machine is kept for what ASCII rules cannot say.
//! Whitespace always ends a word under UAX #29, so the text is cut at ASCII
//! whitespace first; a piece that is all ASCII is split here by the rules that can
//! apply to ASCII (WB5–WB13b: letters, digits and `_` join; `:`, `.` and `'` join two
//! letters; `,`, `;`, `.` and `'` join two digits), any other piece by its
//! characters' classes ([`super::word_class`]) where they tell its bounds and at its
//! UAX #29 word bounds otherwise, keeping the segments with a letter or digit, as
//! `unicode_words` does (its own answer for each character, probed once).
//! Tests compare the two on random text.

use unicode_segmentation::UnicodeSegmentation;

use super::word_class::{Joining, WordClass, class_of, is_letter_or_digit};

/// What the splitting rules need to know of an ASCII byte, one bit each (none for the
/// bytes of a multi-byte character). Looking the class up in a table is cheaper than
/// the comparisons it replaces, and this runs over every byte of every item's text.
const WHITESPACE: u8 = 1;
/// Letters, digits and the connector `_` never break from one another (WB5, WB8–WB10,
/// WB13a, WB13b).
const JOINS: u8 = 2;
const LETTER: u8 = 4;
const DIGIT: u8 = 8;
/// MidLetter (`:`) or MidNumLetQ (`.`, `'`): keeps two letters together (WB6, WB7).
const MID_LETTER: u8 = 16;
/// MidNum (`,`, `;`) or MidNumLetQ (`.`, `'`): keeps two digits together (WB11, WB12).
const MID_DIGIT: u8 = 32;

static CLASS: [u8; 256] = {
    let mut class = [0u8; 256];
    let mut byte = 0usize;
    while byte < 256 {
        let b = byte as u8;
        class[byte] = if !b.is_ascii() {
            0
        } else if b.is_ascii_whitespace() {
            WHITESPACE
        } else if b.is_ascii_alphabetic() {
            JOINS | LETTER
        } else if b.is_ascii_digit() {
            JOINS | DIGIT
        } else {
            match b {
                b'_' => JOINS,
                b':' => MID_LETTER,
                b'.' | b'\'' => MID_LETTER | MID_DIGIT,
                b',' | b';' => MID_DIGIT,
                _ => 0,
            }
        };
        byte += 1;
    }
    class
};

fn class(b: u8) -> u8 {
    CLASS[usize::from(b)]
}

/// Calls `each` with every word of `text` (a segment with a letter or digit), in order.
///
/// The text goes in ASCII stretches: whitespace-separated pieces that hold no
/// other byte are split in one pass (words never cross whitespace, and whitespace
/// joins nothing), and a piece with a non-ASCII character by its characters'
/// classes ([`classed_piece_words`]) or, where they do not tell, by UAX #29.
pub(crate) fn each_word<'a>(text: &'a str, mut each: impl FnMut(&'a str)) {
    // Most text is all ASCII: `is_ascii` checks a word at a time, the search for the
    // first other byte below one byte at a time.
    if text.is_ascii() {
        ascii_words(text, &mut each);
        return;
    }
    let bytes = text.as_bytes();
    let is_space = |b: &u8| class(*b) & WHITESPACE != 0;
    let mut start = 0;
    while start < bytes.len() {
        let Some(offset) = bytes[start..].iter().position(|b| !b.is_ascii()) else {
            ascii_words(&text[start..], &mut each);
            return;
        };
        let high = start + offset;
        // The piece holding that character, cut at ASCII whitespace (a char boundary).
        let piece_start = bytes[start..high]
            .iter()
            .rposition(is_space)
            .map_or(start, |at| start + at + 1);
        let piece_end = bytes[high..]
            .iter()
            .position(is_space)
            .map_or(bytes.len(), |at| high + at);
        // Between words of another script this is mostly a single space: it holds
        // no word unless a byte of it joins, and the block reader costs tens of
        // nanoseconds however short the stretch (Bengali text has one per word).
        let between = &text[start..piece_start];
        if between.bytes().any(|b| class(b) & JOINS != 0) {
            ascii_words(between, &mut each);
        }
        let piece = &text[piece_start..piece_end];
        if !classed_piece_words(piece, &mut each) {
            piece
                .split_word_bounds()
                .filter(|segment| segment.chars().any(is_letter_or_digit))
                .for_each(&mut each);
        }
        start = piece_end;
    }
}

/// The words of an all-ASCII `piece` (whitespace breaks words like any byte that does
/// not join).
///
/// The piece is read in blocks of [`BLOCK`] bytes, each turned into one bit per byte
/// for each class the rules ask about ([`Classes`]); a byte is in a word when it joins
/// or is a mid character between two letters or two digits, and the words are the
/// runs of such bytes, found by counting zeros. Stepping byte by byte instead, a
/// branch at every word's start and end went the wrong way often enough to cost more
/// than the reading, and this runs over every item's whole text.
fn ascii_words<'a>(piece: &'a str, each: &mut impl FnMut(&'a str)) {
    let bytes = piece.as_bytes();
    // Where the word that runs on from the previous block started.
    let mut open: Option<usize> = None;
    // Whether the previous block's last byte was a letter, a digit.
    let (mut letter_before_block, mut digit_before_block) = (0u64, 0u64);
    for (index, block) in bytes.chunks(BLOCK).enumerate() {
        let base = index * BLOCK;
        let classes = Classes::of(block);
        let after_block = bytes.get(base + BLOCK).map_or(0, |&b| class(b));
        let letter_before = classes.letters << 1 | letter_before_block;
        let letter_after = classes.letters >> 1 | u64::from(after_block & LETTER != 0) << 63;
        let digit_before = classes.digits << 1 | digit_before_block;
        let digit_after = classes.digits >> 1 | u64::from(after_block & DIGIT != 0) << 63;
        let in_word = classes.joins
            | classes.mid_letters & letter_before & letter_after
            | classes.mid_digits & digit_before & digit_after;
        letter_before_block = classes.letters >> 63;
        digit_before_block = classes.digits >> 63;

        let mut at = 0;
        while at < 64 {
            match open {
                Some(start) => {
                    let rest = !in_word >> at;
                    if rest == 0 {
                        break;
                    }
                    at += rest.trailing_zeros();
                    emit(piece, start..base + at as usize, each);
                    open = None;
                }
                None => {
                    let rest = in_word >> at;
                    if rest == 0 {
                        break;
                    }
                    at += rest.trailing_zeros();
                    open = Some(base + at as usize);
                }
            }
        }
    }
    if let Some(start) = open {
        emit(piece, start..bytes.len(), each);
    }
}

/// Calls `each` with the words of `piece` (text without ASCII whitespace) and
/// returns true when the class of each of its characters ([`class_of`]) is enough to
/// tell its word bounds; returns false, having called nothing, when one is not.
///
/// Then the segments are: runs of joiners, with the mid characters between two
/// joiners they join; each other character alone; each with the attached
/// characters after it. It is not enough where the piece starts with an attached
/// character (it stands alone at the start of text), where a mid character has an
/// attached one after it (the mark hides what follows), and for any contextual
/// character. UAX #29 splits most words of other scripts this way, and the
/// general state machine costs several times more.
fn classed_piece_words<'a>(piece: &'a str, each: &mut impl FnMut(&'a str)) -> bool {
    let mut before = None;
    for c in piece.chars() {
        let class = class_of(c);
        match (before, class) {
            (_, WordClass::Contextual)
            | (None, WordClass::Attached)
            | (Some(WordClass::Mid { .. }), WordClass::Attached) => return false,
            _ => before = Some(class),
        }
    }
    let mut start = 0;
    // The last joiner of the open segment, when it is a run of joiners.
    let mut last_joiner: Option<Joining> = None;
    let mut is_word = false;
    let mut chars = piece.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        let class = class_of(c);
        let goes_on = match (class, last_joiner) {
            (WordClass::Attached, _) => true,
            (WordClass::Joiner(joining), Some(last)) => last.joins(joining),
            (WordClass::Mid { .. }, Some(joiner)) => chars
                .peek()
                .is_some_and(|&(_, next)| class.mid_joins(joiner, class_of(next))),
            _ => false,
        };
        if !goes_on {
            if is_word {
                each(&piece[start..at]);
            }
            (start, last_joiner, is_word) = (at, None, false);
        }
        if let WordClass::Joiner(joining) = class {
            last_joiner = Some(joining);
        }
        is_word |= is_letter_or_digit(c);
    }
    if is_word {
        each(&piece[start..]);
    }
    true
}

/// Calls `each` with `piece[run]` unless it is a run of `_` alone, which is not a word
/// (checked past a leading `_` only: rare).
fn emit<'a>(piece: &'a str, run: std::ops::Range<usize>, each: &mut impl FnMut(&'a str)) {
    let word = &piece[run];
    let bytes = word.as_bytes();
    if bytes[0] != b'_' || bytes.iter().any(|&b| class(b) & (LETTER | DIGIT) != 0) {
        each(word);
    }
}

/// Bytes classified at once: one bit of a `u64` each.
const BLOCK: usize = 64;

/// The classes of a block's bytes, bit `i` for byte `i`; bits past a short block's
/// end are clear.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct Classes {
    joins: u64,
    letters: u64,
    digits: u64,
    mid_letters: u64,
    mid_digits: u64,
}

impl Classes {
    fn of(block: &[u8]) -> Classes {
        #[cfg(target_arch = "x86_64")]
        {
            let mut padded = [0u8; BLOCK];
            padded[..block.len()].copy_from_slice(block);
            Classes::of_block_sse2(&padded)
        }
        #[cfg(not(target_arch = "x86_64"))]
        Classes::of_bytes(block)
    }

    /// By the class table, a byte at a time (a zero byte is of no class).
    #[cfg_attr(target_arch = "x86_64", allow(dead_code))]
    fn of_bytes(block: &[u8]) -> Classes {
        let mut classes = Classes::default();
        for (i, &b) in block.iter().enumerate().take(BLOCK) {
            let c = class(b);
            let bit = |flag: u8| u64::from(c & flag != 0) << i;
            classes.joins |= bit(JOINS);
            classes.letters |= bit(LETTER);
            classes.digits |= bit(DIGIT);
            classes.mid_letters |= bit(MID_LETTER);
            classes.mid_digits |= bit(MID_DIGIT);
        }
        classes
    }

    /// The same sixteen bytes at a time: ranges and equalities compared lane by
    /// lane, each lane's answer gathered into a bit by `movemask`.
    #[cfg(target_arch = "x86_64")]
    fn of_block_sse2(block: &[u8; BLOCK]) -> Classes {
        use std::arch::x86_64::{
            __m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_min_epu8, _mm_movemask_epi8,
            _mm_or_si128, _mm_set1_epi8, _mm_sub_epi8,
        };
        let mut classes = Classes::default();
        for (lane, sixteen) in block.chunks_exact(16).enumerate() {
            // SAFETY: SSE2 is part of every x86_64 processor, and the load reads the
            // sixteen bytes of `sixteen` (an unaligned load).
            let masks = unsafe {
                let bytes = _mm_loadu_si128(sixteen.as_ptr().cast::<__m128i>());
                let is = |b: u8| _mm_cmpeq_epi8(bytes, _mm_set1_epi8(b as i8));
                // `x` below `n`, unsigned: the smaller of `x` and `n - 1` is `x`.
                let below = |x: __m128i, n: u8| {
                    _mm_cmpeq_epi8(_mm_min_epu8(x, _mm_set1_epi8((n - 1) as i8)), x)
                };
                let lower = _mm_or_si128(bytes, _mm_set1_epi8(0x20));
                let letter = below(_mm_sub_epi8(lower, _mm_set1_epi8(b'a' as i8)), 26);
                let digit = below(_mm_sub_epi8(bytes, _mm_set1_epi8(b'0' as i8)), 10);
                let joins = _mm_or_si128(_mm_or_si128(letter, digit), is(b'_'));
                let mid_both = _mm_or_si128(is(b'.'), is(b'\''));
                let mid_letter = _mm_or_si128(mid_both, is(b':'));
                let mid_digit = _mm_or_si128(mid_both, _mm_or_si128(is(b','), is(b';')));
                [joins, letter, digit, mid_letter, mid_digit].map(|mask| {
                    // Sixteen bits, one per byte.
                    u64::from(_mm_movemask_epi8(mask) as u16) << (16 * lane)
                })
            };
            classes.joins |= masks[0];
            classes.letters |= masks[1];
            classes.digits |= masks[2];
            classes.mid_letters |= masks[3];
            classes.mid_digits |= masks[4];
        }
        classes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<&str> {
        let mut out = Vec::new();
        each_word(text, |w| out.push(w));
        out
    }

    #[test]
    fn ascii_rules() {
        assert_eq!(
            words("u.s. talks: 3.5% up, 1,000;2 a:b a_b _x __ e.g. 9.a a1.5 x'y 1:2 (reuters)"),
            "u.s. talks: 3.5% up, 1,000;2 a:b a_b _x __ e.g. 9.a a1.5 x'y 1:2 (reuters)"
                .unicode_words()
                .collect::<Vec<_>>()
        );
    }

    /// Every character of the Basic Multilingual Plane between neighbours of each
    /// class: what its class lets the split say must be what UAX #29 says. (Not
    /// ASCII whitespace, which cuts pieces: a mark after it is a word of its own here.)
    #[test]
    fn every_characters_class_splits_as_unicode_words() {
        let neighbours = [
            ("ক", "\u{9be}ক"),
            ("1", "1"),
            ("ক", "ক"),
            ("১", "১"),
            ("ক’", ""),
            ("カ_", "ー"),
            ("中", "।"),
            ("a.", "\u{200d}"),
            ("", "’"),
        ];
        let characters = (0..=0xFFFF).filter_map(char::from_u32);
        for c in characters.filter(|c| !c.is_ascii_whitespace()) {
            for (before, after) in neighbours {
                let text = format!("{before}{c}{after}");
                let expected: Vec<&str> = text.unicode_words().collect();
                assert_eq!(words(&text), expected, "{text:?}");
            }
        }
    }

    /// Random bytes of the classes the rules tell apart, and others.
    fn block_of(seed: u64) -> Vec<u8> {
        const BYTES: &[u8] = b"aZz09_.:,;' \t\n-\"(%@[`{\x7f\x00";
        let mut state = seed | 1;
        (0..BLOCK)
            .map(|_| {
                // xorshift64*: enough to pick bytes.
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                BYTES[(state.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 59) as usize % BYTES.len()]
            })
            .collect()
    }

    #[test]
    #[cfg(target_arch = "x86_64")]
    fn blocks_are_classed_alike_sixteen_bytes_at_a_time() {
        for seed in 0..2000 {
            let block = block_of(seed);
            let padded: [u8; BLOCK] = block.clone().try_into().expect("a block");
            assert_eq!(
                Classes::of_block_sse2(&padded),
                Classes::of_bytes(&block),
                "{block:?}"
            );
        }
        let every_byte: Vec<u8> = (0..=255).collect();
        for block in every_byte.chunks(BLOCK) {
            let padded: [u8; BLOCK] = block.try_into().expect("a block");
            assert_eq!(Classes::of_block_sse2(&padded), Classes::of_bytes(block));
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::test_runner::Config::with_cases(2000))]
        #[test]
        fn same_words_as_unicode_words(
            pieces in proptest::collection::vec(proptest::sample::select(vec![
                "a", "b", "z", "0", "7", "_", ".", ":", ",", ";", "'", "-", "\"", "%", "(",
                " ", "  ", "\t", "\n", "\r", "\u{b}", "\u{c}", "é", "—", "’", "漢", "\u{301}",
                "\u{200d}", "\u{a0}", "ab", "12", "x.y", "1.5", "@", "#", "/", "\u{85}",
                "1,0", "1;2", "1'2", "a'b", "a:b", "1:2", "_a", "a_", "2.", ".3", "é.b",
                "বাংলা", "১২", "কাতার।", "カタカナ", "ひら", "٣", "𝟘", "🎉",
            ]), 0..24)
        ) {
            let text: String = pieces.concat();
            let expected: Vec<&str> = text.unicode_words().collect();
            proptest::prop_assert_eq!(words(&text), expected, "{:?}", text);
        }

        /// Text of other scripts with the punctuation, marks and joiners around its
        /// words, as one piece: split by its characters' classes where they tell.
        /// (No ASCII whitespace: a mark after it is a word of its own here, where
        /// UAX #29 gives the mark the whitespace before it.)
        #[test]
        fn same_words_as_unicode_words_in_other_scripts(
            pieces in proptest::collection::vec(proptest::sample::select(vec![
                "বাংলাদেশ", "ক্ষ", "\u{9cd}", "\u{9be}", "\u{200c}", "\u{200d}", "।", "১০",
                "مصر", "\u{64e}", "،", "Москва", "中国", "ひら", "カ", "ロシア", "ー", "א", "ב", "«", "»", "·",
                "’", "‘", "—", "\u{a0}", "\u{3000}", "Ⓜ", "🎉", "\u{1F1E6}", "\u{301}",
                "a", "7", "_", ".", ",", ":", ";", "'", "\"", "-", "(", ")", "!",
            ]), 0..24)
        ) {
            let text: String = pieces.concat();
            let expected: Vec<&str> = text.unicode_words().collect();
            proptest::prop_assert_eq!(words(&text), expected, "{:?}", text);
        }

        /// ASCII text of several blocks: words that cross a block's edge, and mid
        /// characters at either side of one.
        #[test]
        fn same_words_as_unicode_words_across_blocks(
            pieces in proptest::collection::vec(proptest::sample::select(vec![
                "a", "z", "Q", "0", "9", "_", ".", ":", ",", ";", "'", " ", "\n", "-", "(",
                "word", "1.5", "a.b", "x'y", "1,000", "__", "e.g.", "u.s.", "a:b", "1;2",
            ]), 0..160)
        ) {
            let text: String = pieces.concat();
            let expected: Vec<&str> = text.unicode_words().collect();
            proptest::prop_assert_eq!(words(&text), expected, "{:?}", text);
        }
    }
}
