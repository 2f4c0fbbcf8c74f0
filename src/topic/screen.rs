//! A quick test that tells, before an item's words are prepared, that no topic filter
//! of a set can admit it: each filter needs one of a few words to occur in the item,
//! each in a field its query looks at, and none does. Preparing an item's words
//! (folding, splitting, sorting its vocabulary) is the costliest step of matching;
//! most items of a news feed are about none of a user's topics, and the screen lets
//! them skip it. A word a query asks of one field (`title:tehran`) is looked for in
//! that field only: most items that name a place in their text do not in their
//! headline, and the headline is a few dozen bytes to search. Pure.
//!
//! Soundness: a word a prepared item holds is a substring of its field's normalized
//! text ([`super::words::normalize`]), so if a filter would admit an item, one of the
//! words [`required_words`] names occurs in the text of a field of its scope. The
//! screen may pass an item no filter admits (a word inside a longer one); it never
//! rejects one a filter admits.

use aho_corasick::AhoCorasick;

use super::eval;
use super::query::{Query, Scope};

/// A field of an item the screen searches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScreenField {
    Title = 0,
    /// Summary and content.
    Text = 1,
    /// One category.
    Category = 2,
    Author = 3,
}

impl ScreenField {
    const ALL: [ScreenField; 4] = [
        ScreenField::Title,
        ScreenField::Text,
        ScreenField::Category,
        ScreenField::Author,
    ];

    /// Whether a word of `scope` may be matched in this field.
    fn is_in(self, scope: Scope) -> bool {
        let bit = match self {
            ScreenField::Title => eval::TITLE,
            ScreenField::Text => eval::TEXT,
            ScreenField::Category => eval::CATEGORY,
            ScreenField::Author => eval::AUTHOR,
        };
        eval::scope_mask(scope) & bit != 0
    }
}

/// Words of which at least one occurs in every item `query` holds for, each as a
/// substring of the normalized text of a field of its scope; `None` when no such list
/// exists (`NOT a`, `source:x`, or an OR with such a part).
pub fn required_words(query: &Query) -> Option<Vec<(Scope, &str)>> {
    match query {
        // Any one of a phrase's words occurs; the longest rules out most.
        Query::Words { scope, words, .. } => words
            .iter()
            .max_by_key(|word| word.len())
            .map(|word| vec![(*scope, word.as_str())]),
        Query::Source { .. } | Query::Tag { .. } | Query::Domain { .. } | Query::Not(_) => None,
        // Any one part's words will do: best those that leave the text (most of an
        // item's bytes) unsearched, then the fewest.
        Query::And(parts) => parts
            .iter()
            .filter_map(required_words)
            .min_by_key(|words| (searches_text(words), words.len())),
        Query::Or(parts) => {
            let mut all = Vec::new();
            for part in parts {
                all.extend(required_words(part)?);
            }
            Some(all)
        }
    }
}

fn searches_text(words: &[(Scope, &str)]) -> bool {
    words
        .iter()
        .any(|(scope, _)| ScreenField::Text.is_in(*scope))
}

/// The required words of several filters, searched for in one pass per field.
#[derive(Debug, Clone)]
pub struct Screen {
    /// Per field (by its number), the words looked for in it; `None` where none is.
    words: [Option<AhoCorasick>; 4],
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
        // An empty required word (a bare `*` prefix) occurs everywhere.
        if !any || words.iter().any(|(_, word)| word.is_empty()) {
            return None;
        }
        let mut automata = [None, None, None, None];
        for (automaton, field) in automata.iter_mut().zip(ScreenField::ALL) {
            let mut in_field: Vec<&str> = words
                .iter()
                .filter(|(scope, _)| field.is_in(*scope))
                .map(|(_, word)| *word)
                .collect();
            if in_field.is_empty() {
                continue;
            }
            in_field.sort_unstable();
            in_field.dedup();
            *automaton = Some(AhoCorasick::new(&in_field).ok()?);
        }
        Some(Screen { words: automata })
    }

    /// Whether the screen looks for any word in `field`: a field it does not search
    /// need not be normalized for it.
    pub fn searches(&self, field: ScreenField) -> bool {
        self.automaton(field).is_some()
    }

    /// Whether none of the screened filters can admit an item whose normalized fields
    /// are `fields` (its title, text, each category, its author; a field the screen
    /// does not search may be left out). Stops at the first field that holds a word.
    pub fn rules_out<F: AsRef<str>>(
        &self,
        fields: impl IntoIterator<Item = (ScreenField, F)>,
    ) -> bool {
        !fields.into_iter().any(|(field, text)| {
            self.automaton(field)
                .is_some_and(|words| words.is_match(text.as_ref()))
        })
    }

    fn automaton(&self, field: ScreenField) -> Option<&AhoCorasick> {
        self.words[field as usize].as_ref()
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
        let words = |text: &str| {
            required_words(&query(text)).map(|words| {
                let labelled: Vec<String> = words
                    .iter()
                    .map(|(scope, word)| format!("{}{word}", scope.label()))
                    .collect();
                labelled.join(",")
            })
        };
        assert_eq!(words("iran").as_deref(), Some("iran"));
        assert_eq!(words("\"oil deal\"").as_deref(), Some("deal"));
        assert_eq!(
            words("title:tehran AND NOT category:sport").as_deref(),
            Some("title:tehran")
        );
        assert_eq!(words("iran OR iraq").as_deref(), Some("iran,iraq"));
        assert_eq!(words("(iran OR iraq) AND oil").as_deref(), Some("oil"));
        assert_eq!(words("iran OR source:bbc"), None);
        assert_eq!(words("NOT sport"), None);
        assert_eq!(words("tag:asia AND china").as_deref(), Some("china"));
        // A part that leaves the text unsearched is preferred, then the fewest words.
        assert_eq!(
            words("iran AND (title:oil OR title:gas)").as_deref(),
            Some("title:oil,title:gas")
        );
        assert_eq!(
            words("text:iran AND author:smith").as_deref(),
            Some("author:smith")
        );
    }

    #[test]
    fn a_screen_needs_every_query_to_have_required_words() {
        assert!(Screen::new([&query("iran"), &query("NOT sport")]).is_none());
        assert!(Screen::new(std::iter::empty()).is_none());
        let screen = Screen::new([&query("iran"), &query("title:china AND trade")]).unwrap();
        let item = |title, text| [(ScreenField::Title, title), (ScreenField::Text, text)];
        assert!(screen.rules_out(item("weather in oslo", "rain again")));
        assert!(!screen.rules_out(item("weather", "iranian rain")));
        assert!(
            screen.rules_out(item("", "china trade talks")),
            "china is looked for in the title only"
        );
        assert!(!screen.rules_out(item("china", "trade talks")));
    }

    #[test]
    fn a_word_asked_of_one_field_is_looked_for_there_only() {
        let screen = Screen::new([&query("title:tehran AND NOT category:sport")]).unwrap();
        assert!(screen.searches(ScreenField::Title));
        assert!(!screen.searches(ScreenField::Text) && !screen.searches(ScreenField::Category));
        assert!(screen.rules_out([(ScreenField::Text, "talks in tehran")]));
        assert!(!screen.rules_out([(ScreenField::Title, "tehran talks")]));
        let screen = Screen::new([&query("title:tehran"), &query("category:tehran")]).unwrap();
        assert!(screen.rules_out([(ScreenField::Author, "tehran times")]));
        assert!(!screen.rules_out([(ScreenField::Category, "tehran")]));
    }

    /// Whatever the screen rules out, the filter does not admit.
    #[test]
    fn what_is_ruled_out_is_never_admitted() {
        let queries = [
            "iran",
            "\"oil deal\"",
            "title:tehran AND NOT category:sport",
            "text:tehran OR author:tehran",
            "(iran OR iraq) AND oil*",
            "author:smith OR category:\"middle east\"",
            "café",
        ];
        let items = [
            ("Tehran talks", "Oil deal signed.", "Politics", "Jo Smith"),
            ("Tehran derby", "A goal.", "Sport", ""),
            (
                "Talks",
                "Oil deal signed in Tehran.",
                "Politics",
                "Tehran Times",
            ),
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
                let fields = [
                    (ScreenField::Title, title),
                    (ScreenField::Text, body),
                    (ScreenField::Category, category),
                    (ScreenField::Author, author),
                ]
                .map(|(field, text)| (field, super::super::words::normalize(text)));
                if screen.rules_out(fields) {
                    assert!(
                        !item.prepare().satisfies(&parsed),
                        "{text} ruled out {title}"
                    );
                }
            }
        }
    }
}
