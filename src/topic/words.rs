//! Text normalization and word splitting, shared by queries and items so that both
//! sides of a comparison are folded the same way.
//!
//! - [`normalize`] folds case and diacritics: NFKD, lower-case, combining marks
//!   dropped (`Türkiye` → `turkiye`, `İstanbul` → `istanbul`, Arabic vowel marks
//!   removed). Letters NFKD leaves whole are folded too: Turkish dotless `ı` → `i`,
//!   `ł` → `l`, `ø` → `o`, `đ` → `d`, `ß` → `ss`; Arabic yeh and kaf (`ي`, `ى`, `ك`)
//!   → the Persian/Urdu forms (`ی`, `ک`), so Arabic `إيران` matches Urdu `ایران`.
//!   Apostrophes become spaces, so `Iran's` is the words `iran` and `s` and the term
//!   `iran` matches it.
//! - [`words`] splits normalized text at Unicode word boundaries (UAX #29), keeping
//!   only words with a letter or digit. Arabic and Urdu split at their spaces like
//!   Latin text. CJK ideographs (and kana) have no spaces: each ideograph is a word
//!   of its own, so a query `中国` is the phrase `中 国` and matches those two
//!   characters in sequence.

use unicode_normalization::char::is_combining_mark;

use super::segment::each_word;

/// Characters treated as word separators before UAX #29 splitting (apostrophes).
fn is_apostrophe(c: char) -> bool {
    matches!(c, '\'' | '\u{2019}' | '\u{2018}' | '\u{02BC}' | '\u{FF07}')
}

/// The folded spelling of a lower-case letter that NFKD does not decompose, if any.
fn fold_letter(c: char) -> Option<&'static str> {
    Some(match c {
        'ı' => "i",
        'ł' => "l",
        'ø' => "o",
        'đ' => "d",
        'ß' => "ss",
        '\u{064A}' | '\u{0649}' => "\u{06CC}",
        '\u{0643}' => "\u{06A9}",
        _ => return None,
    })
}

/// Case- and diacritic-folded form of `text` (see the module comment).
///
/// ASCII runs take a fast path: NFKD leaves ASCII alone and, every ASCII character
/// being a starter (combining class 0), never reorders marks across one, so folding
/// each run apart gives the same text as folding the whole (checked by a test).
pub fn normalize(text: &str) -> String {
    let mut folded = String::with_capacity(text.len());
    // (`is_ascii` checks a word at a time: most text is ASCII to its end.)
    if text.is_ascii() {
        fold_ascii(text, &mut folded);
        return folded;
    }
    FOLDED_CHARS.with_borrow_mut(|remembered| {
        let mut rest = text;
        while !rest.is_empty() {
            let ascii = rest
                .bytes()
                .position(|b| !b.is_ascii())
                .unwrap_or(rest.len());
            fold_ascii(&rest[..ascii], &mut folded);
            rest = &rest[ascii..];
            let mut other = rest.len();
            for (at, c) in rest.char_indices() {
                if c.is_ascii() {
                    other = at;
                    break;
                }
                remembered.fold_into(c, &mut folded);
            }
            rest = &rest[other..];
        }
    });
    folded
}

/// [`normalize`] of a run of ASCII text, appended to `folded`: copied a stretch
/// between apostrophes at a time and lower-cased in place, not pushed char by char.
fn fold_ascii(run: &str, folded: &mut String) {
    if !run.contains('\'') {
        // Most runs: between words of another script, often a single space.
        let start = folded.len();
        folded.push_str(run);
        folded[start..].make_ascii_lowercase();
        return;
    }
    for (n, part) in run.split('\'').enumerate() {
        if n > 0 {
            folded.push(' ');
        }
        let start = folded.len();
        folded.push_str(part);
        folded[start..].make_ascii_lowercase();
    }
}

/// The folding of one character, looked up in the decomposition and case tables.
/// [`normalize`] folds non-ASCII text a character at a time: NFKD decomposes each
/// character on its own and then only reorders the marks of nonzero combining class
/// between two starters, and folding drops every such mark (a test checks each
/// character of Unicode), so each character folded alone gives what folding the run
/// whole gives.
fn fold_char(c: char, folded: &mut String) {
    unicode_normalization::char::decompose_compatible(c, |decomposed| {
        fold_decomposed(decomposed, folded);
    });
}

/// Appends the folding of one character of NFKD output: an apostrophe becomes a
/// space, a letter is lower-cased and folded, a combining mark is dropped.
fn fold_decomposed(decomposed: char, folded: &mut String) {
    if is_apostrophe(decomposed) {
        folded.push(' ');
        return;
    }
    for lower in decomposed.to_lowercase() {
        if let Some(folded_letter) = fold_letter(lower) {
            folded.push_str(folded_letter);
        } else if !is_combining_mark(lower) {
            folded.push(lower);
        }
    }
}

thread_local! {
    /// The foldings of the characters a thread has met: a text repeats few (an
    /// alphabet, a script's common ideographs), so the decomposition and case tables
    /// are searched once per character rather than at every occurrence.
    static FOLDED_CHARS: std::cell::RefCell<FoldedChars> =
        std::cell::RefCell::new(FoldedChars::new());
}

/// Slots of [`FoldedChars`]: a power of two, indexed by a character's low bits.
const FOLDED_SLOTS: usize = 512;
/// The most characters a remembered folding has; longer ones (a few ligatures and
/// symbols) are looked up every time.
const FOLDING_MAX_CHARS: usize = 3;

/// Whether `c` is a CJK unified ideograph (U+4E00–U+9FFF). None has a
/// decomposition or a case, so each folds to itself; there are too many for
/// [`FoldedChars`]' slots, and a Chinese or Japanese text would evict its own.
fn is_unified_ideograph(c: char) -> bool {
    matches!(c, '\u{4E00}'..='\u{9FFF}')
}

/// Foldings of recently met characters, one per slot (a direct-mapped cache).
struct FoldedChars {
    /// The character each slot holds (NUL for none: NUL is ASCII and never folded
    /// here), then its folding: how many characters, and they.
    slots: Vec<(char, u8, [char; FOLDING_MAX_CHARS])>,
}

impl FoldedChars {
    fn new() -> FoldedChars {
        FoldedChars {
            slots: vec![('\0', 0, ['\0'; FOLDING_MAX_CHARS]); FOLDED_SLOTS],
        }
    }

    /// Appends the folding of `c` (not ASCII) to `folded`.
    fn fold_into(&mut self, c: char, folded: &mut String) {
        if is_unified_ideograph(c) {
            folded.push(c);
            return;
        }
        let slot = &mut self.slots[c as usize & (FOLDED_SLOTS - 1)];
        if slot.0 == c {
            for &folded_char in &slot.2[..usize::from(slot.1)] {
                folded.push(folded_char);
            }
            return;
        }
        let start = folded.len();
        fold_char(c, folded);
        let mut chars = ['\0'; FOLDING_MAX_CHARS];
        let mut count = 0;
        for folded_char in folded[start..].chars() {
            if count == FOLDING_MAX_CHARS {
                return;
            }
            chars[count] = folded_char;
            count += 1;
        }
        *slot = (c, count as u8, chars);
    }
}

/// The normalized words of `text`, in order.
pub fn words(text: &str) -> Vec<String> {
    let folded = normalize(text);
    let mut words = Vec::new();
    each_word(&folded, |word| words.push(word.to_owned()));
    words
}

/// The words of folded text (UAX #29 words with a letter or digit), borrowed from it.
pub fn split_words(folded: &str) -> Vec<&str> {
    let mut words = Vec::with_capacity(folded.len() / 6);
    each_word(folded, |word| words.push(word));
    words
}

/// Normalized form of a whole value compared exactly (source names, tags):
/// folded like words, surrounding whitespace removed.
pub fn normalize_value(text: &str) -> String {
    normalize(text).trim().to_owned()
}

/// Normalized host name: folded, without a trailing dot or a port.
pub fn normalize_host(host: &str) -> String {
    let folded = normalize_value(host);
    let without_port = match folded.rsplit_once(':') {
        Some((name, port)) if port.chars().all(|c| c.is_ascii_digit()) => name,
        _ => folded.as_str(),
    };
    without_port.trim_end_matches('.').to_owned()
}

/// Whether `host` is `domain` or a subdomain of it (`www.bbc.co.uk` is within
/// `bbc.co.uk`); with `prefix`, whether any label-aligned tail of the host starts
/// with `domain` (`bbc*` matches `www.bbc.com`). Both sides already normalized.
pub fn host_matches(host: &str, domain: &str, prefix: bool) -> bool {
    if domain.is_empty() {
        return false;
    }
    let mut tail = host;
    loop {
        let hit = if prefix {
            tail.starts_with(domain)
        } else {
            tail == domain
        };
        if hit {
            return true;
        }
        match tail.split_once('.') {
            Some((_, rest)) => tail = rest,
            None => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use unicode_normalization::UnicodeNormalization;

    use super::*;

    #[test]
    fn ascii_runs_fold_as_the_whole_text_does() {
        let samples = [
            "Iran's talks — in Türkiye, İstanbul: 3.5% UP",
            "Cafe\u{301} e\u{301}\u{327}A\u{308}\u{301}'s ﬁne K ½",
            "Dawn: ‘quoted’ O’Brien ıłøđß إيران ك Ⅻ ＡＢＣ 中国",
            "\u{301}leading mark, trailing mark e\u{301}",
            "",
            "plain ascii only, DON'T",
        ];
        for text in samples {
            assert_eq!(normalize(text), fold_whole(text), "{text}");
        }
    }

    /// What [`normalize`] must give: NFKD of the whole text (not a character at a
    /// time), each character of it folded, with no fast path of any kind.
    fn fold_whole(text: &str) -> String {
        let mut folded = String::new();
        for decomposed in text.nfkd() {
            fold_decomposed(decomposed, &mut folded);
        }
        folded
    }

    #[test]
    fn every_mark_nfkd_may_reorder_is_dropped_by_folding() {
        for c in (0..=0x10_FFFF).filter_map(char::from_u32) {
            if unicode_normalization::char::canonical_combining_class(c) != 0 {
                let mut folded = String::new();
                fold_char(c, &mut folded);
                assert_eq!(folded, "", "U+{:04X} has a combining class", c as u32);
            }
        }
    }

    #[test]
    fn folding_a_character_at_a_time_gives_the_whole_texts_folding() {
        // Every character of Unicode, in runs that put marks after starters, marks
        // of several classes in a row, and the same characters again (from the
        // remembered foldings).
        let chars: Vec<char> = (0x80..=0x10_FFFF).filter_map(char::from_u32).collect();
        for pass in 0..2 {
            for run in chars.chunks(97) {
                let text: String = run.iter().collect();
                assert_eq!(normalize(&text), fold_whole(&text), "pass {pass}: {text}");
            }
        }
        let marked = "e\u{301}\u{327}\u{316}a\u{35C}\u{301}b ক\u{9BC}\u{9CD}ষ ỏ\u{323}";
        assert_eq!(normalize(marked), fold_whole(marked));
    }

    #[test]
    fn folds_case_and_diacritics() {
        assert_eq!(normalize("Türkiye"), "turkiye");
        assert_eq!(normalize("İSTANBUL"), "istanbul");
        assert_eq!(normalize("Ｆｕｌｌwidth"), "fullwidth");
        assert_eq!(normalize("Yılmaz Straße"), "yilmaz strasse");
        assert_eq!(normalize("إيران"), normalize("ایران"));
        assert_eq!(normalize("اِیران"), "ایران");
    }

    #[test]
    fn splits_words_at_unicode_boundaries() {
        assert_eq!(
            words("Iran's oil-exports, 2024!"),
            ["iran", "s", "oil", "exports", "2024"]
        );
        assert_eq!(words("ایران اور پاکستان"), ["ایران", "اور", "پاکستان"]);
        assert_eq!(words("中国贸易"), ["中", "国", "贸", "易"]);
    }

    #[test]
    fn hosts_match_subdomains_only_at_label_boundaries() {
        assert!(host_matches("www.bbc.co.uk", "bbc.co.uk", false));
        assert!(host_matches("bbc.co.uk", "bbc.co.uk", false));
        assert!(!host_matches("notbbc.co.uk", "bbc.co.uk", false));
        assert!(host_matches("news.bbc.com", "bbc", true));
        assert!(!host_matches("abbc.com", "bbc", true));
        assert_eq!(normalize_host("WWW.Example.com.:8080"), "www.example.com");
    }
}
