//! Fast evaluation: an item is normalized once into a [`ItemWords`], then any
//! number of compiled queries are evaluated against it without allocating.
//!
//! The prepared form keeps every normalized word in one string buffer and the word
//! sequence of each field segment (title, text, each category, author) for phrases.
//! The first few word lookups scan the segments in scope; past
//! [`SCANS_BEFORE_INDEX`] the item builds a sorted vocabulary with a bit mask of the
//! fields each word occurs in, so a single-word term is a binary search and a prefix
//! term a short range scan. Sorting a long text's words costs more than the handful
//! of scans a config's few filters make, most of them in the short title and
//! category segments; an item many filters are evaluated against pays it once.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};

use super::ItemFields;
use super::query::{Query, Scope};
use super::segment::each_word;
use super::words;

// An item's fields, one bit each: a word of a scope matches in those of
// [`scope_mask`].
pub(super) const TITLE: u8 = 1;
pub(super) const TEXT: u8 = 2;
pub(super) const CATEGORY: u8 = 4;
pub(super) const AUTHOR: u8 = 8;

/// Word lookups answered by scanning an item's segments before its vocabulary is
/// built (see the module comment).
pub const SCANS_BEFORE_INDEX: u32 = 8;

/// A word's first eight bytes, big-endian (zero-padded): ordering by it agrees with
/// ordering the words by their bytes, except that words equal on those eight bytes
/// (or one a zero-padded prefix of the other) tie and are compared in full.
fn sort_key(word: &str) -> u64 {
    let mut key = [0u8; 8];
    let head = &word.as_bytes()[..word.len().min(8)];
    key[..head.len()].copy_from_slice(head);
    u64::from_be_bytes(key)
}

/// The fields a word of `scope` matches in.
pub(super) fn scope_mask(scope: Scope) -> u8 {
    match scope {
        Scope::Any => TITLE | TEXT | CATEGORY | AUTHOR,
        Scope::Title => TITLE,
        Scope::Text => TEXT,
        Scope::Category => CATEGORY,
        Scope::Author => AUTHOR,
    }
}

/// A run of consecutive words from one field; phrases never cross segments.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Segment {
    field: u8,
    /// Range of word indices.
    start: u32,
    end: u32,
}

/// An item's [`ItemFields`] folded and split once for matching (see the module
/// comment). Two are equal when their words, sources, tags and domains are (whether either has built
/// its vocabulary yet does not matter).
#[derive(Debug, Default)]
pub struct ItemWords {
    /// All normalized words, concatenated.
    buffer: String,
    /// Byte range of each word in `buffer`.
    spans: Vec<(u32, u32)>,
    segments: Vec<Segment>,
    /// One entry per distinct word: a word index holding it, and the fields it occurs in.
    /// Sorted by the word's text. Built at the lookup after [`SCANS_BEFORE_INDEX`].
    vocabulary: OnceLock<Vec<(u32, u8)>>,
    /// Word lookups so far.
    lookups: AtomicU32,
    source: String,
    tags: Vec<String>,
    domain: String,
}

impl Clone for ItemWords {
    fn clone(&self) -> ItemWords {
        ItemWords {
            buffer: self.buffer.clone(),
            spans: self.spans.clone(),
            segments: self.segments.clone(),
            vocabulary: self.vocabulary.clone(),
            lookups: AtomicU32::new(self.lookups.load(Ordering::Relaxed)),
            source: self.source.clone(),
            tags: self.tags.clone(),
            domain: self.domain.clone(),
        }
    }
}

impl PartialEq for ItemWords {
    fn eq(&self, other: &ItemWords) -> bool {
        self.buffer == other.buffer
            && self.spans == other.spans
            && self.segments == other.segments
            && self.source == other.source
            && self.tags == other.tags
            && self.domain == other.domain
    }
}

impl Eq for ItemWords {}

impl ItemWords {
    /// Normalizes `item` (the one costly step; do it once per item).
    pub fn new(item: &ItemFields) -> ItemWords {
        let folded_text = words::normalize(&item.text);
        let mut text_words = Vec::with_capacity(folded_text.len() / 6);
        each_word(&folded_text, |word| text_words.push(word));
        ItemWords::with_text_words(item, &text_words)
    }

    /// [`ItemWords::new`] with the words of the item's folded text given
    /// (`item.text` is not read): parsing has them already from fingerprinting.
    pub fn with_text_words(item: &ItemFields, text_words: &[&str]) -> ItemWords {
        let mut prepared = ItemWords {
            source: words::normalize_value(&item.source),
            tags: item
                .tags
                .iter()
                .map(|tag| words::normalize_value(tag))
                .collect(),
            domain: words::normalize_host(&item.domain),
            ..ItemWords::default()
        };
        // Room for the text's words and a few dozen more (title, categories, author),
        // so the buffers are not copied over and over as they grow word by word.
        let text_bytes: usize = text_words.iter().map(|word| word.len()).sum();
        prepared.buffer.reserve(text_bytes + item.title.len() + 256);
        prepared.spans.reserve(text_words.len() + 64);
        prepared.add_segment(TITLE, &item.title);
        prepared.add_words(TEXT, text_words.iter().copied());
        for category in &item.categories {
            prepared.add_segment(CATEGORY, category);
        }
        prepared.add_segment(AUTHOR, &item.author);
        prepared
    }

    /// Builds the vocabulary now instead of at the lookup after
    /// [`SCANS_BEFORE_INDEX`]: for an item many filters will be evaluated against.
    pub fn indexed(self) -> ItemWords {
        self.vocabulary();
        self
    }

    fn vocabulary(&self) -> &[(u32, u8)] {
        self.vocabulary.get_or_init(|| self.build_vocabulary())
    }

    fn add_segment(&mut self, field: u8, text: &str) {
        let folded = words::normalize(text);
        let mut text_words = Vec::new();
        each_word(&folded, |word| text_words.push(word));
        self.add_words(field, text_words.into_iter());
    }

    /// Adds already normalized words as one segment of `field`.
    fn add_words<'a>(&mut self, field: u8, text_words: impl Iterator<Item = &'a str>) {
        let start = self.spans.len() as u32;
        for word in text_words {
            let from = self.buffer.len() as u32;
            self.buffer.push_str(word);
            self.spans.push((from, self.buffer.len() as u32));
        }
        let end = self.spans.len() as u32;
        if end > start {
            self.segments.push(Segment { field, start, end });
        }
    }

    fn build_vocabulary(&self) -> Vec<(u32, u8)> {
        // Sorted by a key of each word's first eight bytes, then by the whole word
        // only on a tie, not by strings through their spans at every step of the sort,
        // which would dominate preparing an item. Which occurrence of a word
        // the vocabulary keeps does not matter (they are equal), so the sort need not
        // be stable.
        let mut entries: Vec<(u64, u32, u8)> = Vec::with_capacity(self.spans.len());
        for segment in &self.segments {
            entries.extend(
                (segment.start..segment.end)
                    .map(|index| (sort_key(self.word(index)), index, segment.field)),
            );
        }
        entries.sort_unstable_by(|a, b| {
            a.0.cmp(&b.0)
                .then_with(|| self.word(a.1).cmp(self.word(b.1)))
        });
        let mut vocabulary: Vec<(u32, u8)> = Vec::with_capacity(entries.len());
        for (_, index, field) in entries {
            match vocabulary.last_mut() {
                Some(last) if self.word(last.0) == self.word(index) => last.1 |= field,
                _ => vocabulary.push((index, field)),
            }
        }
        vocabulary
    }

    fn word(&self, index: u32) -> &str {
        let (from, to) = self.spans[index as usize];
        &self.buffer[from as usize..to as usize]
    }

    /// The fields among `within` in which a word equal to `word` (or, with `prefix`,
    /// starting with it) occurs, as a mask: by scanning those fields' segments for the
    /// first lookups, then from the vocabulary (see the module comment).
    fn fields_of(&self, word: &str, prefix: bool, within: u8) -> u8 {
        let matches = |candidate: &str| {
            if prefix {
                candidate.starts_with(word)
            } else {
                candidate == word
            }
        };
        if self.vocabulary.get().is_none()
            && self.lookups.fetch_add(1, Ordering::Relaxed) < SCANS_BEFORE_INDEX
        {
            let mut mask = 0;
            for segment in &self.segments {
                if segment.field & within & !mask != 0
                    && (segment.start..segment.end).any(|index| matches(self.word(index)))
                {
                    mask |= segment.field;
                }
            }
            return mask;
        }
        let vocabulary = self.vocabulary();
        let first = vocabulary.partition_point(|&(index, _)| self.word(index) < word);
        let mut mask = 0;
        for &(index, fields) in &vocabulary[first..] {
            let candidate = self.word(index);
            if candidate == word {
                mask |= fields;
                if !prefix {
                    break;
                }
            } else if prefix && candidate.starts_with(word) {
                mask |= fields;
            } else {
                break;
            }
        }
        mask & within
    }

    fn has_words(&self, scope: Scope, query_words: &[String], prefix: bool) -> bool {
        let mask = scope_mask(scope);
        let Some((last, leading)) = query_words.split_last() else {
            return false;
        };
        if leading.is_empty() {
            return self.fields_of(last, prefix, mask) != 0;
        }
        // Cheap rejection before scanning: every word must occur somewhere in scope.
        if leading
            .iter()
            .any(|word| self.fields_of(word, false, mask) == 0)
            || self.fields_of(last, prefix, mask) == 0
        {
            return false;
        }
        let length = query_words.len() as u32;
        self.segments
            .iter()
            .filter(|segment| segment.field & mask != 0 && segment.end - segment.start >= length)
            .any(|segment| {
                (segment.start..=segment.end - length).any(|start| {
                    leading
                        .iter()
                        .enumerate()
                        .all(|(offset, word)| self.word(start + offset as u32) == word)
                        && {
                            let candidate = self.word(start + length - 1);
                            if prefix {
                                candidate.starts_with(last.as_str())
                            } else {
                                candidate == last
                            }
                        }
                })
            })
    }

    /// Whether `query` holds for this item.
    pub fn satisfies(&self, query: &Query) -> bool {
        match query {
            Query::Not(inner) => !self.satisfies(inner),
            Query::And(parts) => parts.iter().all(|part| self.satisfies(part)),
            Query::Or(parts) => parts.iter().any(|part| self.satisfies(part)),
            leaf => self.satisfies_leaf(leaf),
        }
    }

    fn satisfies_leaf(&self, leaf: &Query) -> bool {
        let value_matches = |value: &str, wanted: &str, prefix: bool| {
            if prefix {
                value.starts_with(wanted)
            } else {
                value == wanted
            }
        };
        match leaf {
            Query::Words {
                scope,
                words,
                prefix,
            } => self.has_words(*scope, words, *prefix),
            Query::Source { name, prefix } => {
                !self.source.is_empty() && value_matches(&self.source, name, *prefix)
            }
            Query::Tag { name, prefix } => self
                .tags
                .iter()
                .any(|tag| value_matches(tag, name, *prefix)),
            Query::Domain { host, prefix } => words::host_matches(&self.domain, host, *prefix),
            Query::Not(_) | Query::And(_) | Query::Or(_) => self.satisfies(leaf),
        }
    }

    /// The leaves of `query` that hold for this item and count in its favour (not
    /// under an odd number of NOTs), in query order, each written as in a query.
    pub fn matched_terms(&self, query: &Query) -> Vec<String> {
        let mut found = Vec::new();
        self.collect_matches(query, true, &mut found);
        found
    }

    fn collect_matches(&self, query: &Query, positive: bool, found: &mut Vec<String>) {
        match query {
            Query::Not(inner) => self.collect_matches(inner, !positive, found),
            Query::And(parts) | Query::Or(parts) => {
                for part in parts {
                    self.collect_matches(part, positive, found);
                }
            }
            leaf => {
                if positive && self.satisfies_leaf(leaf) {
                    let written = leaf.to_string();
                    if !found.contains(&written) {
                        found.push(written);
                    }
                }
            }
        }
    }
}
