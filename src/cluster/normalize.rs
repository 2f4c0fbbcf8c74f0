//! Text normalization for clustering: an item's title and text → the words that
//! fingerprint it.
//!
//! - Titles lose wire boilerplate first ([`super::strip`]).
//! - Both are folded like topic matching ([`crate::topic::words`]: lower-case,
//!   diacritics removed, punctuation dropped, split at Unicode word boundaries).
//! - Text stops at a wire credit line (`Reporting by …`, `Editing by …`).
//! - [`content_words`] further drops stop-words (function words, reporting verbs,
//!   one-letter words) and wire agency names (`reuters`, `afp` …), which carry no
//!   story and are what reworded copies swap most.

use std::sync::LazyLock;

use rustc_hash::FxHashSet;

use super::strip::strip_title;
use crate::topic::words::split_words;

/// `text` case- and diacritic-folded, apostrophes made spaces, ready to split.
pub fn fold(text: &str) -> String {
    crate::topic::words::normalize(text)
}

/// Wire agencies, named in datelines and credits; never part of a story.
const AGENCIES: &[&str] = &[
    "reuters", "afp", "ap", "apa", "dpa", "xinhua", "ani", "pti", "ians", "upi", "anadolu", "irna",
    "isna", "tasnim", "tass", "ria", "efe", "ansa", "kyodo", "yonhap", "bernama", "wam", "spa",
    "mena", "bss", "app",
];

/// English function words and reporting verbs: what reworded copies change freely.
const STOP_WORDS: &[&str] = &[
    "a",
    "about",
    "after",
    "again",
    "against",
    "all",
    "also",
    "am",
    "an",
    "and",
    "any",
    "are",
    "as",
    "at",
    "be",
    "because",
    "been",
    "before",
    "being",
    "between",
    "both",
    "but",
    "by",
    "can",
    "could",
    "did",
    "do",
    "does",
    "during",
    "each",
    "few",
    "for",
    "from",
    "further",
    "had",
    "has",
    "have",
    "having",
    "he",
    "her",
    "here",
    "hers",
    "him",
    "his",
    "how",
    "i",
    "if",
    "in",
    "into",
    "is",
    "it",
    "its",
    "itself",
    "just",
    "me",
    "more",
    "most",
    "my",
    "no",
    "nor",
    "not",
    "now",
    "of",
    "off",
    "on",
    "once",
    "only",
    "or",
    "other",
    "our",
    "ours",
    "out",
    "over",
    "own",
    "same",
    "she",
    "should",
    "so",
    "some",
    "such",
    "than",
    "that",
    "the",
    "their",
    "theirs",
    "them",
    "then",
    "there",
    "these",
    "they",
    "this",
    "those",
    "through",
    "to",
    "too",
    "under",
    "until",
    "up",
    "upon",
    "very",
    "was",
    "we",
    "were",
    "what",
    "when",
    "where",
    "which",
    "while",
    "who",
    "whom",
    "why",
    "will",
    "with",
    "would",
    "you",
    "your",
    "said",
    "says",
    "say",
    "saying",
    "told",
    "tells",
    "according",
    "added",
    "adding",
    "stated",
    "noted",
    "reported",
    "reports",
    "report",
    "reportedly",
    "news",
    "agency",
    "via",
    "amid",
    "per",
    "yet",
    "still",
    "since",
    "around",
    "across",
    "within",
    "without",
    "however",
    "meanwhile",
    "new",
    "one",
];

/// An item's normalized words: the stripped title's, then the text's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Normalized {
    pub words: Vec<String>,
    /// How many of `words` come from the title.
    pub title_len: usize,
}

/// All normalized words of the stripped title, then of the text up to a credit line.
pub fn normalized_words(title: &str, text: &str) -> Normalized {
    let folded_title = fold(strip_title(title));
    let folded_text = fold(text);
    let mut words = split_words(&folded_title);
    let title_len = words.len();
    let text_words = split_words(&folded_text);
    let end = credit_line_start(&folded_text, &text_words).unwrap_or(text_words.len());
    words.extend_from_slice(&text_words[..end]);
    Normalized {
        words: words.into_iter().map(str::to_owned).collect(),
        title_len,
    }
}

/// The words that open a credit line when `by` follows.
const CREDIT_WORDS: [&str; 3] = ["reporting", "editing", "writing"];

/// Where a `Reporting by` / `Editing by` / `Writing by` credit starts in `words`, the
/// words of `folded`, if anywhere.
///
/// Most texts hold none of the three words: a search of the bytes for each rules them
/// out in a fraction of the time a look at every word takes, whose lengths branch at
/// random. Exact: a word of the text is a substring of it.
pub(crate) fn credit_line_start(folded: &str, words: &[&str]) -> Option<usize> {
    static FINDERS: LazyLock<[memchr::memmem::Finder<'static>; 3]> =
        LazyLock::new(|| CREDIT_WORDS.map(memchr::memmem::Finder::new));
    let named = FINDERS
        .iter()
        .any(|finder| finder.find(folded.as_bytes()).is_some());
    if !named {
        return None;
    }
    words
        .windows(2)
        .position(|pair| CREDIT_WORDS.contains(&pair[0]) && pair[1] == "by")
}

/// Whether `word` carries no story: a stop-word, an agency name or a single letter.
pub fn is_noise(word: &str) -> bool {
    let bytes = word.as_bytes();
    let Some(&first) = bytes.first() else {
        return true;
    };
    // A character is at most four bytes: a longer word has two or more.
    if bytes.len() <= 4 && word.chars().nth(1).is_none() {
        return true;
    }
    let noise = &*NOISE_WORDS;
    bytes.len() < u16::BITS as usize
        && noise.shapes[usize::from(first)] & (1 << bytes.len()) != 0
        && noise.words.contains(word)
}

/// [`STOP_WORDS`] and [`AGENCIES`] as one set: fingerprinting asks for every word
/// of a title and lede, so one lookup, not a scan of both lists.
struct NoiseWords {
    /// Hashed with FxHash, cheaper than SipHash per word: the keys are our own
    /// constants, so nothing an outlet writes can crowd a bucket.
    words: FxHashSet<&'static str>,
    /// By first byte, a bit per length the set's words of that start have: most
    /// words of a text are ruled out by it without hashing them.
    shapes: [u16; 256],
}

static NOISE_WORDS: LazyLock<NoiseWords> = LazyLock::new(|| {
    let words: FxHashSet<&'static str> = STOP_WORDS.iter().chain(AGENCIES).copied().collect();
    let mut shapes = [0u16; 256];
    for word in &words {
        assert!(
            word.len() < u16::BITS as usize,
            "a noise word fits a shape: {word}"
        );
        shapes[usize::from(word.as_bytes()[0])] |= 1 << word.len();
    }
    NoiseWords { words, shapes }
});

/// The words of `normalized` that carry the story (see [`is_noise`]).
pub fn content_words<S: AsRef<str>>(normalized: &[S]) -> impl Iterator<Item = &str> {
    normalized
        .iter()
        .map(AsRef::as_ref)
        .filter(|word| !is_noise(word))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_stops_at_the_credit_line() {
        let item = normalized_words("Talks", "Talks resumed. Reporting by Parisa Hafezi");
        assert_eq!(item.words, ["talks", "talks", "resumed"]);
        assert_eq!(item.title_len, 1);
    }

    #[test]
    fn noise_is_a_listed_word_or_a_single_character() {
        let listed = |word: &str| STOP_WORDS.contains(&word) || AGENCIES.contains(&word);
        let plain = |word: &str| word.chars().count() < 2 || listed(word);
        let words = STOP_WORDS.iter().chain(AGENCIES).copied().chain([
            "",
            "x",
            "é",
            "中",
            "😀",
            "ab",
            "éé",
            "中国",
            "thee",
            "theirs",
            "themselves",
            "reutersx",
            "apps",
            "app",
            "ap",
            "tehran",
            "iran",
            "aboutness",
            "a1",
            "1",
        ]);
        for word in words {
            assert_eq!(is_noise(word), plain(word), "{word:?}");
        }
    }

    #[test]
    fn content_words_drop_stop_words_and_agencies() {
        let item = normalized_words("", "TEHRAN (Reuters) - Iran's talks with the US resumed");
        let content: Vec<&str> = content_words(&item.words).collect();
        assert_eq!(content, ["tehran", "iran", "talks", "us", "resumed"]);
    }
}
