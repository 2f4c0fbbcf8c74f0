//! Topic matching: decides whether an item belongs in an output feed from the
//! feed's `include` / `exclude` word lists and its boolean `query`. Pure: no I/O.
//!
//! Matching is case-insensitive, diacritic-insensitive and whole-word (Unicode word
//! boundaries) over the item's title, text (summary and content, HTML removed),
//! categories and author; `source:`, `tag:` and `domain:` look at where the item
//! came from.
//!
//! The query language (upper-case `AND`, `OR`, `NOT` only; lower-case `and`, `or`,
//! `not` are ordinary words, as in Lucene):
//!
//! | written | meaning |
//! |---|---|
//! | `iran` | the whole word (any case, any diacritics) in title, text, a category or the author |
//! | `"oil deal"` | these words in sequence, within one field |
//! | `iran*`, `"al qa"*` | a word starting with `iran`; a phrase whose last word starts so |
//! | `a b`, `a AND b` | both |
//! | `a OR b` | either |
//! | `NOT a`, `-a` | not `a` |
//! | `( … )` | grouping; NOT binds tightest, then AND, then OR |
//! | `title:`, `text:`, `category:`, `author:` | restrict the next term, phrase or group to that field |
//! | `source:bbc-world`, `tag:asia` | the source's name / one of its tags, exactly (any case) |
//! | `domain:bbc.co.uk` | the link's host is `bbc.co.uk` or a subdomain of it |
//! | `@gulf` | the named query `gulf` of `[topics]`, expanded when compiled |
//!
//! A term that splits into several words (`al-Qaeda`, `U.S.-China`, `中国`) is a phrase
//! of those words. CJK text has no spaces: each ideograph is a word (see [`words`]).
//!
//! Items are normalized once ([`ItemFields::prepare`]) and queries evaluated against the
//! prepared form ([`Filter::matches_words`]) without allocating.

mod eval;
mod lex;
mod parse;
mod query;
mod screen;
pub(crate) mod segment;
mod word_class;
pub mod words;

use std::collections::BTreeMap;

pub use eval::ItemWords;
pub use parse::parse_query;
pub use query::{Query, Scope};
pub use screen::{Screen, ScreenField, required_words};

/// What topic queries read of an item: its text fields, its source's name and tags,
/// and its link's domain. Prepared once per item into [`ItemWords`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ItemFields {
    pub title: String,
    /// Summary and content as plain text.
    pub text: String,
    pub categories: Vec<String>,
    pub author: String,
    /// The source's name.
    pub source: String,
    /// The source's tags.
    pub tags: Vec<String>,
    /// The host of the item's link.
    pub domain: String,
}

impl ItemFields {
    /// Folds and splits these fields once, for any number of filters to match.
    pub fn prepare(&self) -> ItemWords {
        ItemWords::new(self)
    }
}

/// A compiled feed filter: include words (any), exclude words (none), query (must hold).
/// The default filter accepts everything.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Filter {
    /// Everything that must hold, combined; `None` accepts every item.
    condition: Option<Query>,
}

/// A query that does not parse, located in the query text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("at position {position}: {message}")]
pub struct TopicError {
    /// 0-based character offset into the query.
    pub position: usize,
    pub message: String,
}

impl TopicError {
    pub(crate) fn new(position: usize, message: impl Into<String>) -> TopicError {
        TopicError {
            position,
            message: message.into(),
        }
    }
}

/// Each list entry as a phrase over the bare-term fields, all joined with OR.
/// `list` names the config key in errors.
fn any_phrase(entries: &[String], list: &str) -> Result<Option<Query>, TopicError> {
    let mut phrases = Vec::with_capacity(entries.len());
    for (index, entry) in entries.iter().enumerate() {
        let words = words::words(entry);
        if words.is_empty() {
            return Err(TopicError::new(
                0,
                format!(
                    "{list} entry {} ('{entry}') has no letter or digit to match",
                    index + 1
                ),
            ));
        }
        phrases.push(Query::Words {
            scope: Scope::Any,
            words,
            prefix: false,
        });
    }
    Ok((!phrases.is_empty()).then(|| Query::any_of(phrases)))
}

impl Filter {
    /// The filter in the query language's normalized, fully parenthesized form (empty
    /// when it accepts every item): a stable text to store a signature of, since two
    /// filters with the same form admit the same items.
    pub fn canonical_text(&self) -> String {
        self.condition
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default()
    }

    /// Compiles a feed's filter. `topics` are the named queries of `[topics]`.
    ///
    /// `include` holds when any of its entries (each a word or phrase) occurs,
    /// `exclude` when none does, `query` when it evaluates true; the filter holds when
    /// all of those given hold. Errors in `query` carry its character position;
    /// errors in an `include`/`exclude` entry name the entry (position 0).
    pub fn compile(
        include: &[String],
        exclude: &[String],
        query: Option<&str>,
        topics: &BTreeMap<String, String>,
    ) -> Result<Filter, TopicError> {
        let mut parts = Vec::new();
        if let Some(included) = any_phrase(include, "include")? {
            parts.push(included);
        }
        if let Some(excluded) = any_phrase(exclude, "exclude")? {
            parts.push(Query::Not(Box::new(excluded)));
        }
        if let Some(text) = query {
            parts.push(parse_query(text, topics)?);
        }
        let condition = (!parts.is_empty()).then(|| Query::all_of(parts));
        Ok(Filter { condition })
    }

    /// The combined condition (include, exclude and query), or `None` if the filter
    /// accepts everything.
    pub fn condition(&self) -> Option<&Query> {
        self.condition.as_ref()
    }

    /// Whether an item with this text belongs in the feed. Normalizes the item first;
    /// to test many filters against one item, prepare it once and use
    /// [`Filter::matches_words`].
    pub fn matches(&self, item: &ItemFields) -> bool {
        match &self.condition {
            None => true,
            Some(_) => self.matches_words(&item.prepare()),
        }
    }

    /// Whether an item whose words are prepared belongs in the feed. Does not allocate.
    pub fn matches_words(&self, item: &ItemWords) -> bool {
        self.condition
            .as_ref()
            .is_none_or(|condition| item.satisfies(condition))
    }

    /// The terms and phrases of this filter found in the item that speak for it (not
    /// those under NOT or from `exclude`), written as in a query (`title:iran`,
    /// `"oil deal"`). Empty when nothing matched or the filter accepts everything.
    pub fn explain(&self, item: &ItemFields) -> Vec<String> {
        match &self.condition {
            None => Vec::new(),
            Some(_) => self.explain_words(&item.prepare()),
        }
    }

    /// [`Filter::explain`] for an item whose words are prepared.
    pub fn explain_words(&self, item: &ItemWords) -> Vec<String> {
        self.condition
            .as_ref()
            .map_or_else(Vec::new, |condition| item.matched_terms(condition))
    }
}

/// Checks every named topic of `[topics]` on its own (also those no feed uses),
/// returning the name and error of each that does not compile.
pub fn check_topics(topics: &BTreeMap<String, String>) -> Vec<(String, TopicError)> {
    topics
        .keys()
        .filter_map(|name| match parse::parse_topic(name, topics) {
            Some(Err(error)) => Some((name.clone(), error)),
            _ => None,
        })
        .collect()
}
