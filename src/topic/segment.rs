//! Splitting folded text into words at UAX #29 word boundaries, exactly as
//! `unicode_words` does, with a fast path for ASCII.
//!
//! Every item's whole text is split (for topic matching and for the content hash of
//! clustering), and the general state machine was a tenth of ingest's parsing CPU.
//! Whitespace always ends a word under UAX #29, so the text is cut at ASCII
//! whitespace first; a piece that is all ASCII is split here by the rules that can
//! apply to ASCII (WB5–WB13b: letters, digits and `_` join; `:`, `.` and `'` join two
//! letters; `,`, `;`, `.` and `'` join two digits), any other piece by
//! `unicode_words`. A test compares the two on random text.

use unicode_segmentation::UnicodeSegmentation;

/// Calls `each` with every word of `text` (a segment with a letter or digit), in order.
pub(crate) fn each_word<'a>(text: &'a str, mut each: impl FnMut(&'a str)) {
    let bytes = text.as_bytes();
    let mut start = 0;
    while start < bytes.len() {
        if bytes[start].is_ascii_whitespace() {
            start += 1;
            continue;
        }
        let mut end = start;
        let mut ascii = true;
        while end < bytes.len() && !bytes[end].is_ascii_whitespace() {
            ascii &= bytes[end].is_ascii();
            end += 1;
        }
        // Cut at ASCII bytes only, so both ends are char boundaries.
        let piece = &text[start..end];
        if ascii {
            ascii_words(piece, &mut each);
        } else {
            piece.unicode_words().for_each(&mut each);
        }
        start = end;
    }
}

/// The words of an all-ASCII `piece` without whitespace.
fn ascii_words<'a>(piece: &'a str, each: &mut impl FnMut(&'a str)) {
    let bytes = piece.as_bytes();
    let mut at = 0;
    while at < bytes.len() {
        if !joins(bytes[at]) {
            at += 1;
            continue;
        }
        let start = at;
        let mut has_alphanumeric = bytes[at].is_ascii_alphanumeric();
        at += 1;
        while at < bytes.len() {
            if joins(bytes[at]) {
                has_alphanumeric |= bytes[at].is_ascii_alphanumeric();
                at += 1;
            } else if at + 1 < bytes.len() && mid_joins(bytes[at - 1], bytes[at], bytes[at + 1]) {
                at += 2;
            } else {
                break;
            }
        }
        if has_alphanumeric {
            each(&piece[start..at]);
        }
    }
}

/// Letters, digits and the connector `_` never break from one another (WB5, WB8–WB10,
/// WB13a, WB13b).
fn joins(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// Whether `mid` keeps `before` and `after` in one word: between letters a MidLetter
/// (`:`) or MidNumLetQ (`.`, `'`) (WB6, WB7); between digits a MidNum (`,`, `;`) or
/// MidNumLetQ (WB11, WB12).
fn mid_joins(before: u8, mid: u8, after: u8) -> bool {
    let letters = before.is_ascii_alphabetic()
        && after.is_ascii_alphabetic()
        && matches!(mid, b':' | b'.' | b'\'');
    let digits = before.is_ascii_digit()
        && after.is_ascii_digit()
        && matches!(mid, b',' | b';' | b'.' | b'\'');
    letters || digits
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

    proptest::proptest! {
        #![proptest_config(proptest::test_runner::Config::with_cases(2000))]
        #[test]
        fn same_words_as_unicode_words(
            pieces in proptest::collection::vec(proptest::sample::select(vec![
                "a", "b", "z", "0", "7", "_", ".", ":", ",", ";", "'", "-", "\"", "%", "(",
                " ", "  ", "\t", "\n", "\r", "\u{b}", "\u{c}", "é", "—", "’", "漢", "\u{301}",
                "\u{200d}", "\u{a0}", "ab", "12", "x.y", "1.5", "@", "#", "/", "\u{85}",
                "1,0", "1;2", "1'2", "a'b", "a:b", "1:2", "_a", "a_", "2.", ".3", "é.b",
            ]), 0..24)
        ) {
            let text: String = pieces.concat();
            let expected: Vec<&str> = text.unicode_words().collect();
            proptest::prop_assert_eq!(words(&text), expected, "{:?}", text);
        }
    }
}
