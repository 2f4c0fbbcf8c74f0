//! Folding whitespace in extracted text: runs of whitespace become one space, ends
//! are trimmed, characters XML 1.0 forbids are removed. Every text scan of HTML ends
//! here, so it skips plain prose in chunks. Pure.

use super::is_xml_char;

/// Runs of whitespace (including no-break spaces) become one space; ends trimmed;
/// characters XML 1.0 forbids removed. One pass that copies runs of kept text, not
/// char by char: every scan of HTML ends here.
///
/// Inside a word, prose that folding leaves as it is (printable ASCII, single spaces,
/// most letters of other scripts) is skipped [`PLAIN_CHUNK`] bytes at a time: it
/// stays pending and is copied with the rest of the run. Where a chunk is not plain,
/// its first quarter is walked char by char before the next try.
pub(super) fn fold_whitespace(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut folded = String::with_capacity(text.len());
    let mut in_word = false;
    // Start of the run of kept characters of the current word.
    let mut kept_from = 0;
    let mut at = 0;
    // Up to here, bytes are walked one by one (a chunk there was not plain).
    let mut walk_until = 0;
    while at < bytes.len() {
        if in_word {
            // A plain chunk changes nothing pending (the run goes on past it) unless
            // nothing is kept yet: then a space in it would start the text.
            if at >= walk_until && !(folded.is_empty() && kept_from == at) {
                match bytes
                    .get(at..at + PLAIN_CHUNK)
                    .and_then(|chunk| chunk.try_into().ok())
                    .map(|chunk| plain_len(text, at, chunk))
                {
                    Some(plain) if plain > 0 => {
                        at += plain;
                        continue;
                    }
                    _ => walk_until = at + PLAIN_CHUNK / 4,
                }
            }
            // Printable ASCII is neither whitespace nor forbidden: skip it fast.
            if (0x21..0x7f).contains(&bytes[at]) {
                at += 1;
                continue;
            }
            // So is most of any other script, known by its first bytes.
            if let Some(len) = plain_char_len(&bytes[at..]) {
                at += len;
                continue;
            }
        }
        let c = text[at..].chars().next().unwrap_or_default();
        if c.is_whitespace() {
            if in_word {
                folded.push_str(&text[kept_from..at]);
                in_word = false;
            }
        } else {
            if !in_word {
                if !folded.is_empty() {
                    folded.push(' ');
                }
                in_word = true;
                kept_from = at;
            }
            if !is_xml_char(c) {
                folded.push_str(&text[kept_from..at]);
                kept_from = at + c.len_utf8();
            }
        }
        at += c.len_utf8();
    }
    if in_word {
        folded.push_str(&text[kept_from..]);
    }
    folded
}

/// The length of the character `bytes` starts with when it is not ASCII and known,
/// by [`may_fold`], to be neither whitespace nor forbidden in XML; `None` for the
/// others, which are decoded and checked. `bytes` starts at a character of valid
/// UTF-8.
fn plain_char_len(bytes: &[u8]) -> Option<usize> {
    let (&lead, &second) = (bytes.first()?, bytes.get(1)?);
    let len = match lead {
        0xC2..=0xDF => 2,
        0xE0..=0xEF => 3,
        0xF0..=0xF4 => 4,
        _ => return None,
    };
    let third = bytes.get(2).copied().unwrap_or(0);
    (!may_fold(lead, second, third)).then_some(len)
}

/// Whether the character beyond ASCII that starts with these bytes may be
/// whitespace or forbidden in XML, told by its first two bytes, and by the third
/// for `E2 80` (general punctuation, where the curly quotes and dashes of prose
/// are). True for whitespace U+0085 and U+00A0 (`C2 85`, `C2 A0`), U+1680 (`E1 9A`),
/// U+2000–U+200A, U+2028, U+2029 and U+202F (`E2 80` then `80`–`8A`, `A8`, `A9`,
/// `AF`), U+205F (`E2 81`), U+3000 (`E3 80`), the forbidden U+FFFE and U+FFFF
/// (`EF BF`), and a few of their neighbours.
fn may_fold(lead: u8, second: u8, third: u8) -> bool {
    match (lead, second) {
        (0xC2, 0x85 | 0xA0) | (0xE1, 0x9A) | (0xE2, 0x81) | (0xE3, 0x80) | (0xEF, 0xBF) => true,
        (0xE2, 0x80) => (0x80..=0x8A).contains(&third) || matches!(third, 0xA8 | 0xA9 | 0xAF),
        _ => false,
    }
}

/// Bytes [`fold_whitespace`] checks at once for prose it leaves as it is.
const PLAIN_CHUNK: usize = 16;

/// How much of `chunk` (of `text`, starting at a character at `at`), met inside a
/// word, folding leaves as it is and may be skipped; none when it is not plain
/// ([`is_plain`]). What is skipped ends before a last byte that is a space (it may
/// start a run) and before a character the chunk cuts.
fn plain_len(text: &str, at: usize, chunk: &[u8; PLAIN_CHUNK]) -> usize {
    #[cfg(target_arch = "x86_64")]
    let plain = is_plain_sse2(chunk);
    #[cfg(not(target_arch = "x86_64"))]
    let plain = is_plain(chunk);
    if !plain {
        return 0;
    }
    let mut len = PLAIN_CHUNK;
    while !text.is_char_boundary(at + len) {
        len -= 1;
    }
    len - usize::from(chunk[len - 1] == b' ')
}

/// Whether `chunk` is plain: printable ASCII with no two spaces in a row, and
/// characters of other scripts that [`may_fold`] clears. A character the chunk cuts
/// is never skipped, so the bytes past the chunk are taken for zero. A byte at a
/// time; [`is_plain_sse2`] is the same.
#[cfg_attr(target_arch = "x86_64", allow(dead_code))]
fn is_plain(chunk: &[u8; PLAIN_CHUNK]) -> bool {
    let byte = |i: usize| chunk.get(i).copied().unwrap_or(0);
    (0..PLAIN_CHUNK).all(|i| {
        let (b, second, third) = (byte(i), byte(i + 1), byte(i + 2));
        let stops =
            b < 0x20 || b == 0x7f || (b, second) == (b' ', b' ') || may_fold(b, second, third);
        !stops
    })
}

/// [`is_plain`], the sixteen bytes compared at once, lane by lane: each lane beside
/// the next lane's byte and the one after (the chunk shifted down by one and two
/// lanes, zeros shifted in).
#[cfg(target_arch = "x86_64")]
fn is_plain_sse2(chunk: &[u8; PLAIN_CHUNK]) -> bool {
    use std::arch::x86_64::{
        __m128i, _mm_and_si128, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_min_epu8, _mm_movemask_epi8,
        _mm_or_si128, _mm_set1_epi8, _mm_srli_si128, _mm_sub_epi8,
    };
    // SAFETY: SSE2 is part of every x86_64 processor, and the load reads the sixteen
    // bytes of `chunk` (an unaligned load).
    unsafe {
        let bytes = _mm_loadu_si128(chunk.as_ptr().cast::<__m128i>());
        let second = _mm_srli_si128::<1>(bytes);
        let third = _mm_srli_si128::<2>(bytes);
        let is = |lanes: __m128i, b: u8| _mm_cmpeq_epi8(lanes, _mm_set1_epi8(b as i8));
        let or = |a: __m128i, b: __m128i| _mm_or_si128(a, b);
        let and = |a: __m128i, b: __m128i| _mm_and_si128(a, b);
        // `x` below `n`, unsigned: the smaller of `x` and `n - 1` is `x`.
        let below =
            |x: __m128i, n: u8| _mm_cmpeq_epi8(_mm_min_epu8(x, _mm_set1_epi8((n - 1) as i8)), x);
        let control = or(below(bytes, 0x20), is(bytes, 0x7f));
        let double_space = and(is(bytes, b' '), is(second, b' '));
        let space_third = or(
            below(_mm_sub_epi8(third, _mm_set1_epi8(0x80_u8 as i8)), 0x0B),
            or(or(is(third, 0xA8), is(third, 0xA9)), is(third, 0xAF)),
        );
        let e2 = is(bytes, 0xE2);
        let may_fold = or(
            or(
                and(is(bytes, 0xC2), or(is(second, 0x85), is(second, 0xA0))),
                and(is(bytes, 0xE1), is(second, 0x9A)),
            ),
            or(
                or(
                    and(e2, is(second, 0x81)),
                    and(and(e2, is(second, 0x80)), space_third),
                ),
                or(
                    and(is(bytes, 0xE3), is(second, 0x80)),
                    and(is(bytes, 0xEF), is(second, 0xBF)),
                ),
            ),
        );
        let stops = or(or(control, double_space), may_fold);
        _mm_movemask_epi8(stops) == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The definition [`fold_whitespace`] must keep: split on whitespace, drop empty
    /// words, join with one space, filter forbidden characters out of each word.
    fn fold_reference(text: &str) -> String {
        let mut folded = String::new();
        for word in text.split(char::is_whitespace).filter(|w| !w.is_empty()) {
            if !folded.is_empty() {
                folded.push(' ');
            }
            folded.extend(word.chars().filter(|&c| is_xml_char(c)));
        }
        folded
    }

    #[test]
    #[cfg(target_arch = "x86_64")]
    fn chunks_are_plain_alike_sixteen_bytes_at_a_time() {
        const BYTES: &[u8] = b"a Z~\x7f\x1f\x00\x80\xbf\xc2\xc3\xe0\xe1\xe3\xe4\xee\xef\xf0\xff";
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        for _ in 0..20_000 {
            let chunk: [u8; PLAIN_CHUNK] = std::array::from_fn(|_| {
                // xorshift64: enough to pick bytes.
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                BYTES[(state % BYTES.len() as u64) as usize]
            });
            assert_eq!(is_plain_sse2(&chunk), is_plain(&chunk), "{chunk:?}");
        }
    }

    /// A chunk that is one character among ASCII letters, at each place, is never
    /// plain when the character is whitespace or forbidden (unless the chunk cuts
    /// it); the check a byte at a time and sixteen at once agree.
    #[test]
    fn a_chunk_is_plain_unless_a_character_it_holds_whole_folds() {
        for c in (0..=0x10_FFFF)
            .filter_map(char::from_u32)
            .filter(|c| *c != ' ')
        {
            let mut buffer = [0; 4];
            let encoded = c.encode_utf8(&mut buffer).as_bytes();
            for place in [0, 5, PLAIN_CHUNK - encoded.len(), PLAIN_CHUNK - 1] {
                let mut chunk = [b'a'; PLAIN_CHUNK];
                let end = (place + encoded.len()).min(PLAIN_CHUNK);
                chunk[place..end].copy_from_slice(&encoded[..end - place]);
                let whole = place + encoded.len() <= PLAIN_CHUNK;
                let folds = c.is_whitespace() || !is_xml_char(c) || c == '\u{7f}';
                if whole && folds {
                    assert!(!is_plain(&chunk), "U+{:04X} at {place}", c as u32);
                }
                #[cfg(target_arch = "x86_64")]
                assert_eq!(
                    is_plain_sse2(&chunk),
                    is_plain(&chunk),
                    "U+{:04X}",
                    c as u32
                );
            }
        }
    }

    #[test]
    fn characters_skipped_by_their_first_bytes_are_never_whitespace_nor_forbidden() {
        for c in (0x80..=0x10_FFFF).filter_map(char::from_u32) {
            let mut buffer = [0; 4];
            let encoded = c.encode_utf8(&mut buffer).as_bytes();
            if let Some(len) = plain_char_len(encoded) {
                assert_eq!(len, encoded.len(), "U+{:04X}", c as u32);
                assert!(
                    !c.is_whitespace() && is_xml_char(c),
                    "U+{:04X} was skipped",
                    c as u32
                );
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn fold_whitespace_keeps_its_definition(
            pieces in proptest::collection::vec(proptest::sample::select(vec![
                " ", "  ", "\t", "\n", "\u{a0}", "\u{3000}", "\u{0}", "\u{1}", "\u{fffe}",
                "a", "word", "é", "漢字", "🎉", "\u{b}", "\r", "বাংলা", "“quoted”", "\u{2028}",
                "\u{85}", "\u{1680}", "\u{205f}", "\u{ffff}", "カタカナ",
                "plain words of prose, longer than a chunk", "x y z ", "abcdefghijklmnop",
                "বাংলাদেশের\u{200c}রাজধানী ঢাকায়", "العربية الفصحى", "русский текст новостей",
                "中华人民共和国国务院", "a\u{3000}b", "Ελληνικά\u{a0}κείμενα",
            ]), 0..40)
        ) {
            let text: String = pieces.concat();
            proptest::prop_assert_eq!(fold_whitespace(&text), fold_reference(&text));
        }
    }
}
