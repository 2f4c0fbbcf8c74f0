//! A quick test that tells, before an item's words are prepared, that no topic filter
//! of a set can admit it: each filter needs one of a few words to occur somewhere in
//! the item, and none does. Preparing an item's words (folding, splitting, sorting
//! its vocabulary) is the costliest step of matching; most items of a news feed are
//! about none of a user's topics, and the screen lets them skip it. Pure.
//!
//! Soundness: a word a prepared item holds is a substring of its field's normalized
//! text ([`super::words::normalize`]), so if a filter would admit an item, one of the
//! words [`required_words`] names occurs in that text. The screen may pass an item no
//! filter admits (a word inside a longer one, in another field); it never rejects one
//! a filter admits.

use aho_corasick::AhoCorasick;

use super::query::Query;

/// Words of which at least one occurs (as a substring of the normalized title, text,
/// a category or the author) in every item `query` holds for; `None` when no such
/// list exists (`NOT a`, `source:x`, or an OR with such a part).
pub fn required_words(query: &Query) -> Option<Vec<&str>> {
    match query {
        // Any one of a phrase's words occurs; the longest rules out most.
        Query::Words { words, .. } => words
            .iter()
            .max_by_key(|word| word.len())
            .map(|word| vec![word.as_str()]),
        Query::Source { .. } | Query::Tag { .. } | Query::Domain { .. } | Query::Not(_) => None,
        // Any one part's words will do: the fewest are checked fastest.
        Query::And(parts) => parts
            .iter()
            .filter_map(required_words)
            .min_by_key(|words| words.len()),
        Query::Or(parts) => {
            let mut all = Vec::new();
            for part in parts {
                all.extend(required_words(part)?);
            }
            Some(all)
        }
    }
}

/// The required words of several filters, searched for in one pass.
#[derive(Debug, Clone)]
pub struct Screen {
    words: AhoCorasick,
}

impl Screen {
    /// A screen for `queries`; `None` when one of them has no required words (it could
    /// admit an item without any given word, so no item can be ruled out) or there
    /// are no queries.
    pub fn new<'a>(queries: impl IntoIterator<Item = &'a Query>) -> Option<Screen> {
        let mut words = Vec::new();
        let mut any = false;
        for query in queries {
            words.extend(required_words(query)?);
            any = true;
        }
        if !any {
            return None;
        }
        words.sort_unstable();
        words.dedup();
        // An empty required word (a bare `*` prefix) occurs everywhere.
        if words.contains(&"") {
            return None;
        }
        AhoCorasick::new(&words).ok().map(|words| Screen { words })
    }

    /// Whether none of the screened filters can admit an item whose normalized fields
    /// (title, text, each category, author) are `fields`.
    /// Stops at the first field that holds one.
    pub fn rules_out<F: AsRef<str>>(&self, fields: impl IntoIterator<Item = F>) -> bool {
        !fields
            .into_iter()
            .any(|field| self.words.is_match(field.as_ref()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::topic::{ItemFields, parse_query};
    use std::collections::BTreeMap;

    fn query(text: &str) -> Query {
        parse_query(text, &BTreeMap::new()).unwrap()
    }

    #[test]
    fn required_words_follow_the_query() {
        let words = |text: &str| required_words(&query(text)).map(|w| w.join(","));
        assert_eq!(words("iran").as_deref(), Some("iran"));
        assert_eq!(words("\"oil deal\"").as_deref(), Some("deal"));
        assert_eq!(
            words("title:tehran AND NOT category:sport").as_deref(),
            Some("tehran")
        );
        assert_eq!(words("iran OR iraq").as_deref(), Some("iran,iraq"));
        assert_eq!(words("(iran OR iraq) AND oil").as_deref(), Some("oil"));
        assert_eq!(words("iran OR source:bbc"), None);
        assert_eq!(words("NOT sport"), None);
        assert_eq!(words("tag:asia AND china").as_deref(), Some("china"));
    }

    #[test]
    fn a_screen_needs_every_query_to_have_required_words() {
        assert!(Screen::new([&query("iran"), &query("NOT sport")]).is_none());
        assert!(Screen::new(std::iter::empty()).is_none());
        let screen = Screen::new([&query("iran"), &query("title:china AND trade")]).unwrap();
        assert!(screen.rules_out(["weather in oslo", "rain again"]));
        assert!(!screen.rules_out(["weather", "iranian rain"]));
        assert!(
            screen.rules_out(["", "trade talks"]),
            "china is the word checked"
        );
        assert!(!screen.rules_out(["", "china trade talks"]));
    }

    /// Whatever the screen rules out, the filter does not admit.
    #[test]
    fn what_is_ruled_out_is_never_admitted() {
        let queries = [
            "iran",
            "\"oil deal\"",
            "title:tehran AND NOT category:sport",
            "(iran OR iraq) AND oil*",
            "author:smith OR category:\"middle east\"",
            "café",
        ];
        let items = [
            ("Tehran talks", "Oil deal signed.", "Politics", "Jo Smith"),
            ("Tehran derby", "A goal.", "Sport", ""),
            ("Weather", "Rain in Oslo.", "Weather", ""),
            ("Iraq oilfields", "Output up.", "Middle East", ""),
            ("Le Café", "Ouvert.", "", ""),
        ];
        for text in queries {
            let parsed = query(text);
            let screen = Screen::new([&parsed]).unwrap();
            for (title, body, category, author) in items {
                let item = ItemFields {
                    title: title.into(),
                    text: body.into(),
                    categories: vec![category.into()],
                    author: author.into(),
                    ..ItemFields::default()
                };
                let fields = [title, body, category, author].map(super::super::words::normalize);
                if screen.rules_out(&fields) {
                    assert!(
                        !item.prepare().satisfies(&parsed),
                        "{text} ruled out {title}"
                    );
                }
            }
        }
    }
}
