//! Splitting folded text into words at UAX #29 word boundaries, exactly as
//! `unicode_words` does, with a fast path for ASCII.
//!
//! Every item's whole text is split (for topic matching and for the content hash of
//! clustering), so the general state machine is kept for what ASCII rules cannot say.
//! Whitespace always ends a word under UAX #29, so the text is cut at ASCII
//! whitespace first; a piece that is all ASCII is split here by the rules that can
//! apply to ASCII (WB5–WB13b: letters, digits and `_` join; `:`, `.` and `'` join two
//! letters; `,`, `;`, `.` and `'` join two digits), any other piece at its UAX #29
//! word bounds, keeping the segments with a letter or digit, as `unicode_words` does
//! (its own answer for each character, kept in a bitmap). A test compares the two
//! on random text.

use unicode_segmentation::UnicodeSegmentation;

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
/// joins nothing), and a piece with a non-ASCII character is split by UAX #29.
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
        ascii_words(&text[start..piece_start], &mut each);
        text[piece_start..piece_end]
            .split_word_bounds()
            .filter(|segment| segment.chars().any(is_letter_or_digit))
            .for_each(&mut each);
        start = piece_end;
    }
}

/// The words of an all-ASCII `piece` (whitespace breaks words like any byte that does
/// not join).
fn ascii_words<'a>(piece: &'a str, each: &mut impl FnMut(&'a str)) {
    let bytes = piece.as_bytes();
    let mut at = 0;
    while at < bytes.len() {
        if class(bytes[at]) & JOINS == 0 {
            at += 1;
            continue;
        }
        let start = at;
        at += 1;
        while at < bytes.len() {
            let c = class(bytes[at]);
            if c & JOINS != 0 {
                at += 1;
            } else if at + 1 < bytes.len() && mid_joins(bytes[at - 1], c, bytes[at + 1]) {
                at += 2;
            } else {
                break;
            }
        }
        // A run of `_` alone is not a word (checked past a leading `_` only: rare).
        let word = &piece[start..at];
        if bytes[start] != b'_' || word.bytes().any(|b| class(b) & (LETTER | DIGIT) != 0) {
            each(word);
        }
    }
}

/// Whether `c` is a letter or digit, which makes the segment holding it a word:
/// what `unicode_words` answers for `c` alone (its own Unicode tables, which may be
/// of another version than the standard library's). It is asked of every segment of
/// non-ASCII text, and those tables are searched for each character; the answers for
/// the Basic Multilingual Plane, where nearly all text is, are kept in a bitmap
/// (8 KiB) built the first time one is asked.
fn is_letter_or_digit(c: char) -> bool {
    static BMP: std::sync::OnceLock<Box<[u64]>> = std::sync::OnceLock::new();
    let Ok(code) = u16::try_from(u32::from(c)) else {
        return makes_a_word(c);
    };
    let bits = BMP.get_or_init(|| {
        let mut bits = vec![0u64; 1 << 10];
        for code in 0..=u16::MAX {
            if char::from_u32(code.into()).is_some_and(makes_a_word) {
                bits[usize::from(code >> 6)] |= 1 << (code & 63);
            }
        }
        bits.into_boxed_slice()
    });
    bits[usize::from(code >> 6)] >> (code & 63) & 1 == 1
}

/// Whether `unicode_words` finds a word in `c` alone (a character alone is one
/// segment, a word when it is a letter or digit).
fn makes_a_word(c: char) -> bool {
    c.encode_utf8(&mut [0; 4]).unicode_words().next().is_some()
}

/// Whether a byte of class `mid` keeps `before` and `after` in one word: between
/// letters a MidLetter or MidNumLetQ; between digits a MidNum or MidNumLetQ.
fn mid_joins(before: u8, mid: u8, after: u8) -> bool {
    let (before, after) = (class(before), class(after));
    (mid & MID_LETTER != 0 && before & after & LETTER != 0)
        || (mid & MID_DIGIT != 0 && before & after & DIGIT != 0)
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

    #[test]
    fn the_bitmap_of_letters_and_digits_answers_as_unicode_words() {
        for c in (0..=0x10_FFFF).filter_map(char::from_u32) {
            assert_eq!(is_letter_or_digit(c), makes_a_word(c), "U+{:04X}", c as u32);
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
    }
}
