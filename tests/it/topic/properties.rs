//! Property tests: on generated items and queries, the fast evaluator (items
//! prepared once) agrees with the reference evaluator, include/exclude agree with
//! their definition, and every query prints to a form that parses back to itself.

use std::collections::BTreeMap;

use feedbraid::topic::{Filter, ItemFields, Query, Scope, parse_query, words::words};
use proptest::prelude::*;

use super::reference::reference_matches;

/// Words of items: variants in case, diacritics and script that must fold together
/// or stay apart.
const ITEM_WORDS: &[&str] = &[
    "Iran",
    "IRAN",
    "Iranian",
    "iran's",
    "Tehran",
    "Türkiye",
    "turkiye",
    "TURKİYE",
    "ایران",
    "ایرانی",
    "إيران",
    "oil",
    "Oil",
    "deal",
    "trade",
    "China",
    "中国",
    "伊朗",
    "sport",
    "and",
    "not",
    "2024",
    "five-year",
];

const SEPARATORS: &[&str] = &[" ", ", ", " — ", "-", ". ", "\n", "'s "];

/// Operands of generated queries, already valid query syntax.
const QUERY_LEAVES: &[&str] = &[
    "iran",
    "Iran",
    "iran*",
    "ir*",
    "tehran",
    "turkiye",
    "Türkiye",
    "ایران",
    "ایران*",
    "إيران",
    "oil",
    "deal",
    "\"oil deal\"",
    "\"iran s\"",
    "\"five yea\"*",
    "five-year",
    "china",
    "中国",
    "国",
    "sport",
    "and",
    "2024",
    "title:iran",
    "text:oil",
    "category:sport",
    "author:deal",
    "title:(oil OR deal)",
    "title:\"oil deal\"",
    "text:\"iran s\"",
    "category:\"five yea\"*",
    "author:\"deal 2024\"",
    "source:dawn-world",
    "source:bbc*",
    "tag:asia",
    "tag:sp*",
    "domain:bbc.co.uk",
    "domain:dawn*",
    "@gulf",
    "title:@gulf",
];

fn topics() -> BTreeMap<String, String> {
    BTreeMap::from([(
        "gulf".to_owned(),
        "iran* OR tehran OR \"oil deal\"".to_owned(),
    )])
}

fn text() -> impl Strategy<Value = String> {
    prop::collection::vec(
        (
            prop::sample::select(ITEM_WORDS),
            prop::sample::select(SEPARATORS),
        ),
        0..8,
    )
    .prop_map(|parts| {
        parts
            .into_iter()
            .map(|(word, separator)| format!("{word}{separator}"))
            .collect()
    })
}

fn fields() -> impl Strategy<Value = ItemFields> {
    (
        text(),
        text(),
        prop::collection::vec(text(), 0..3),
        text(),
        prop::sample::select(&["dawn-world", "bbc-sport", "BBC-Business", ""][..]),
        prop::collection::vec(prop::sample::select(&["asia", "Sport", "world"][..]), 0..3),
        prop::sample::select(
            &[
                "www.bbc.co.uk",
                "bbc.co.uk",
                "notbbc.co.uk",
                "dawn.com",
                "WWW.DAWN.COM.",
                "",
            ][..],
        ),
    )
        .prop_map(
            |(title, text, categories, author, source, tags, domain)| ItemFields {
                title,
                text,
                categories,
                author,
                source: source.to_owned(),
                tags: tags.into_iter().map(str::to_owned).collect(),
                domain: domain.to_owned(),
            },
        )
}

/// Query text built from the grammar, with and without parentheses, so that every
/// operator and precedence level appears.
fn query_text() -> impl Strategy<Value = String> {
    let leaf = prop::sample::select(QUERY_LEAVES).prop_map(str::to_owned);
    leaf.prop_recursive(4, 24, 3, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("{a} AND {b}")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("{a} OR {b}")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("{a} {b}")),
            inner.clone().prop_map(|a| format!("NOT {a}")),
            inner.clone().prop_map(|a| format!("-({a})")),
            inner.prop_map(|a| format!("({a})")),
        ]
    })
}

fn phrase_list() -> impl Strategy<Value = Vec<String>> {
    prop::collection::vec(
        prop::sample::select(&["Iran", "oil deal", "Türkiye", "ایران", "sport", "中国"][..])
            .prop_map(str::to_owned),
        0..3,
    )
}

fn any_phrase_in(entries: &[String], item: &ItemFields) -> bool {
    entries.iter().any(|entry| {
        let phrase = Query::Words {
            scope: Scope::Any,
            words: words(entry),
            prefix: false,
        };
        reference_matches(&phrase, item)
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn fast_evaluator_agrees_with_reference(query in query_text(), items in prop::collection::vec(fields(), 1..4)) {
        let parsed = parse_query(&query, &topics()).unwrap();
        let filter = Filter::compile(&[], &[], Some(&query), &topics()).unwrap();
        for item in &items {
            let expected = reference_matches(&parsed, item);
            // Words looked up by scanning (the first lookups of an item), and from
            // the vocabulary (built at once here).
            prop_assert_eq!(filter.matches_words(&item.prepare()), expected);
            prop_assert_eq!(filter.matches_words(&item.prepare().indexed()), expected);
            prop_assert_eq!(filter.matches(item), expected);
        }
    }

    #[test]
    fn printed_queries_parse_back_to_themselves(query in query_text()) {
        let parsed = parse_query(&query, &topics()).unwrap();
        let printed = parsed.to_string();
        prop_assert_eq!(parse_query(&printed, &topics()).unwrap(), parsed);
    }

    #[test]
    fn include_and_exclude_follow_their_definition(
        include in phrase_list(),
        exclude in phrase_list(),
        query in prop::option::of(query_text()),
        item in fields(),
    ) {
        let filter = Filter::compile(&include, &exclude, query.as_deref(), &topics()).unwrap();
        let query_holds = query
            .as_deref()
            .is_none_or(|text| reference_matches(&parse_query(text, &topics()).unwrap(), &item));
        let expected = (include.is_empty() || any_phrase_in(&include, &item))
            && !any_phrase_in(&exclude, &item)
            && query_holds;
        prop_assert_eq!(filter.matches(&item), expected);
    }
}
