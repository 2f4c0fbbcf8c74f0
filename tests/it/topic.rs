//! Topic engine tests: a table of queries × news items with the expected matches,
//! the normalized form of queries (precedence), errors with positions, include /
//! exclude sugar, explanations, and (in `topic/properties.rs`) a property test
//! against the plain reference evaluator of `topic/reference.rs`.

mod fixtures;
mod properties;
mod reference;

use std::collections::BTreeMap;

use feedbraid::topic::{Filter, ItemFields, parse_query};
use fixtures::{items, topics};

/// The names of the items that `filter` accepts.
fn accepted(filter: &Filter) -> Vec<&'static str> {
    items()
        .into_iter()
        .filter(|(_, item)| filter.matches(item))
        .map(|(name, _)| name)
        .collect()
}

fn query_matches(query: &str) -> Vec<&'static str> {
    let filter = Filter::compile(&[], &[], Some(query), &topics())
        .unwrap_or_else(|error| panic!("{query:?} does not compile: {error}"));
    let names = accepted(&filter);
    // The prepared path and the reference evaluator agree on every table row too.
    let parsed = parse_query(query, &topics()).unwrap();
    for (name, item) in items() {
        let prepared = item.prepare();
        assert_eq!(filter.matches_words(&prepared), names.contains(&name));
        assert_eq!(
            reference::reference_matches(&parsed, &item),
            names.contains(&name),
            "reference disagrees on {query:?} × {name}"
        );
    }
    names
}

#[test]
fn queries_select_the_expected_items() {
    let table: &[(&str, &[&str])] = &[
        // Terms are whole words, in any case; prefixes extend them.
        ("iran", &["talks", "football"]),
        ("IRAN", &["talks", "football"]),
        ("iran*", &["talks", "oil", "football"]),
        ("tehran", &["talks", "oil", "football"]),
        // Precedence: NOT, then AND, then OR; juxtaposition is AND.
        ("oil OR iran AND sport", &["oil", "football"]),
        ("(oil OR iran) AND sport", &["football"]),
        ("iran tehran", &["talks", "football"]),
        ("iran AND NOT sport", &["talks"]),
        ("iran -sport", &["talks"]),
        ("NOT iran AND tehran", &["oil"]),
        (
            "NOT (iran OR tehran)",
            &["turkiye", "urdu", "cricket", "chinese"],
        ),
        // Lower-case and/or/not are plain words.
        ("iran or oil", &[]),
        ("china and", &["turkiye"]),
        // Phrases: consecutive words within one field (one category at a time).
        (r#""nuclear talks""#, &["talks"]),
        (r#""talks nuclear""#, &[]),
        (r#""Iranian oil""#, &["oil"]),
        (r#""oman negotiators""#, &[]),
        (r#""middle east""#, &["talks"]),
        (r#""world middle""#, &[]),
        (r#""five yea"*"#, &["oil"]),
        ("five-year", &["oil"]),
        // Fields.
        ("title:tehran", &[]),
        ("text:tehran", &["talks", "oil", "football"]),
        ("title:iran", &["talks", "football"]),
        ("title:(iran OR china)", &["talks", "turkiye", "football"]),
        (r#"title:"trade deal""#, &["turkiye"]),
        ("sport", &["cricket", "football"]),
        ("category:sport", &["cricket", "football"]),
        (r#"category:"middle east""#, &["talks"]),
        ("author:hafezi", &["talks"]),
        ("author:sport", &["football"]),
        ("source:dawn-world", &["turkiye"]),
        ("source:DAWN-WORLD", &["turkiye"]),
        ("source:dawn", &[]),
        ("source:dawn*", &["turkiye", "cricket"]),
        ("tag:asia", &["turkiye", "chinese"]),
        ("tag:pakistan", &["urdu", "cricket"]),
        ("domain:bbc.co.uk", &["oil", "football"]),
        ("domain:dawn.com", &["turkiye", "cricket"]),
        ("domain:co.uk", &["oil", "football"]),
        ("domain:c.uk", &[]),
        ("domain:bbc*", &["oil", "football"]),
        // Case and diacritics fold; Turkish dotless i too.
        ("turkiye", &["turkiye"]),
        ("TÜRKİYE", &["turkiye"]),
        ("author:(ayse yilmaz)", &["turkiye"]),
        // Arabic script (Urdu), with Arabic spelling and vowel marks folded.
        ("ایران", &["urdu"]),
        ("ایرانی", &["urdu"]),
        ("ایران*", &["urdu"]),
        ("إيران", &["urdu"]),
        ("اِیران", &["urdu"]),
        (r#""ایران اور پاکستان""#, &["urdu"]),
        ("title:ایرانی", &[]),
        // CJK: each ideograph is a word, so a term is the phrase of its characters.
        ("中国", &["chinese"]),
        ("伊朗", &["chinese"]),
        ("国中", &[]),
        ("中", &["chinese"]),
        // Named topics, expanded with the field of their reference.
        ("@gulf", &["talks", "oil", "football"]),
        ("@gulf_energy", &["oil"]),
        ("text:@gulf", &[]),
        ("@sourced OR @energy", &["oil", "turkiye"]),
    ];
    for (query, expected) in table {
        assert_eq!(&query_matches(query), expected, "query {query:?}");
    }
}

#[test]
fn queries_print_in_normalized_fully_parenthesized_form() {
    let table = [
        ("a OR b AND c", "(a OR (b AND c))"),
        ("a AND b OR c", "((a AND b) OR c)"),
        ("a OR b OR c AND d", "(a OR b OR (c AND d))"),
        ("NOT a AND b", "((NOT a) AND b)"),
        ("-a b", "((NOT a) AND b)"),
        ("NOT NOT a", "(NOT (NOT a))"),
        ("a b c", "(a AND b AND c)"),
        ("a (b c)", "(a AND b AND c)"),
        ("iran or oil", "(iran AND or AND oil)"),
        ("title:(Iran OR Iraq)", "(title:iran OR title:iraq)"),
        ("Türkiye", "turkiye"),
        ("al-Qaeda", "\"al qaeda\""),
        ("\"Oil   Deal\"*", "\"oil deal\"*"),
        ("Iran's", "\"iran s\""),
        (
            "source:BBC-World tag:Asia",
            "(source:bbc-world AND tag:asia)",
        ),
        ("source:\"BBC World\"", "source:\"bbc world\""),
        ("domain:WWW.BBC.co.uk.", "domain:www.bbc.co.uk"),
        ("@gulf", "(iran* OR iraq OR saudi*)"),
        ("title:@gulf", "(title:iran* OR title:iraq OR title:saudi*)"),
    ];
    for (query, printed) in table {
        let parsed = parse_query(query, &topics()).unwrap();
        assert_eq!(parsed.to_string(), printed, "query {query:?}");
        assert_eq!(
            parse_query(printed, &topics()).unwrap(),
            parsed,
            "reparse of {printed:?}"
        );
    }
}

#[test]
fn malformed_queries_name_the_position_and_what_was_expected() {
    let table: &[(&str, usize, &str)] = &[
        (
            "iran AND",
            8,
            "expected a term or '(' after AND, found the end of the query",
        ),
        (
            "iran AND OR oil",
            9,
            "expected a term or '(' after AND, found OR",
        ),
        (
            "iran OR",
            7,
            "expected a term or '(' after OR, found the end of the query",
        ),
        (
            "NOT",
            3,
            "expected a term or '(' after NOT, found the end of the query",
        ),
        ("(iran OR oil", 0, "unclosed '('"),
        ("oil (iran OR (iraq)", 4, "unclosed '('"),
        ("iran)", 4, "unexpected ')' without a matching '('"),
        ("iran \"nuclear talks", 5, "unterminated quote"),
        (
            "titel:iran",
            0,
            "unknown field 'titel' (expected one of title, text, category, author, source, tag, domain)",
        ),
        (
            "title:",
            6,
            "expected a term or '(' after 'title:', found the end of the query",
        ),
        (
            "title:(source:bbc)",
            7,
            "field 'source:' cannot be used inside another field",
        ),
        (
            "ایران AND",
            9,
            "expected a term or '(' after AND, found the end of the query",
        ),
        (
            "iran - oil",
            5,
            "expected a term, phrase or '(' right after '-'",
        ),
        (
            "\"\"",
            0,
            "expected a term with a letter or digit, found ''",
        ),
        (
            "iran *",
            5,
            "expected a term with a letter or digit, found '*'",
        ),
        ("", 0, "expected a term or '(' (the query is empty)"),
        ("iran @", 5, "expected a topic name after '@'"),
        ("iran OR @nope", 8, "unknown topic '@nope'"),
        (
            "iran OR @broken",
            8,
            "in topic '@broken' at position 8: expected a term or '(' after AND, found the end of the query",
        ),
        (
            "@a",
            0,
            "in topic '@a' at position 0: in topic '@b' at position 0: topic cycle: @a -> @b -> @a",
        ),
        (
            "title:@sourced",
            6,
            "in topic '@sourced' at position 0: field 'source:' cannot be used inside another field",
        ),
    ];
    for &(query, position, message) in table {
        let error = Filter::compile(&[], &[], Some(query), &topics()).unwrap_err();
        assert_eq!(
            (error.position, error.message.as_str()),
            (position, message),
            "query {query:?}"
        );
    }
}

#[test]
fn topics_are_checked_on_their_own() {
    let problems = feedbraid::topic::check_topics(&topics());
    let named: Vec<(&str, &str)> = problems
        .iter()
        .map(|(name, error)| (name.as_str(), error.message.as_str()))
        .collect();
    assert_eq!(
        named,
        [
            (
                "a",
                "in topic '@b' at position 0: topic cycle: @a -> @b -> @a"
            ),
            (
                "b",
                "in topic '@a' at position 0: topic cycle: @b -> @a -> @b"
            ),
            (
                "broken",
                "expected a term or '(' after AND, found the end of the query"
            ),
        ]
    );
}

fn list(entries: &[&str]) -> Vec<String> {
    entries.iter().map(|entry| entry.to_string()).collect()
}

#[test]
fn include_and_exclude_are_sugar_combined_with_the_query() {
    let no_topics = BTreeMap::new();
    /// include, exclude, query, expected matches.
    type Row<'a> = (&'a [&'a str], &'a [&'a str], Option<&'a str>, &'a [&'a str]);
    let table: &[Row] = &[
        (
            &[],
            &[],
            None,
            &[
                "talks", "oil", "turkiye", "urdu", "cricket", "chinese", "football",
            ],
        ),
        (
            &["Iran", "Tehran"],
            &[],
            None,
            &["talks", "oil", "football"],
        ),
        (&["nuclear talks"], &[], None, &["talks"]),
        (&["talks nuclear"], &[], None, &[]),
        (&["TÜRKIYE", "ایران"], &[], None, &["turkiye", "urdu"]),
        (
            &[],
            &["cricket"],
            None,
            &["talks", "oil", "turkiye", "urdu", "chinese", "football"],
        ),
        (&["Iran", "Tehran"], &["sport"], None, &["talks", "oil"]),
        (
            &["Iran", "Tehran"],
            &["sport"],
            Some("title:nuclear OR crude"),
            &["talks", "oil"],
        ),
        (
            &["Iran", "Tehran"],
            &["sport"],
            Some("title:nuclear"),
            &["talks"],
        ),
        (&[], &["Sport"], Some("tag:pakistan"), &["urdu"]),
    ];
    for &(include, exclude, query, expected) in table {
        let filter = Filter::compile(&list(include), &list(exclude), query, &no_topics).unwrap();
        assert_eq!(
            accepted(&filter),
            expected,
            "include {include:?} exclude {exclude:?} query {query:?}"
        );
    }
    assert_eq!(
        Filter::default(),
        Filter::compile(&[], &[], None, &no_topics).unwrap()
    );
    let error = Filter::compile(&list(&["Iran", "+++"]), &[], None, &no_topics).unwrap_err();
    assert_eq!(
        error.message,
        "include entry 2 ('+++') has no letter or digit to match"
    );
}

#[test]
fn explain_lists_the_terms_that_speak_for_the_item() {
    let items = items();
    let talks = &items[0].1;
    let football = &items[6].1;
    let topics = BTreeMap::new();
    let filter = Filter::compile(
        &list(&["Iran", "nuclear talks", "cricket"]),
        &list(&["sanctions"]),
        Some("(iran OR tehran OR oil) AND NOT category:sport"),
        &topics,
    )
    .unwrap();
    assert_eq!(
        filter.explain(talks),
        ["iran", "\"nuclear talks\"", "tehran"]
    );
    assert_eq!(filter.explain(football), ["iran", "tehran"]);
    assert_eq!(
        filter.explain_words(&talks.prepare()),
        filter.explain(talks)
    );
    assert!(Filter::default().explain(talks).is_empty());
}

#[test]
fn words_inside_longer_words_do_not_match() {
    let item = ItemFields {
        title: "Iran's envoy meets Iranians in Irano-Armenian talks".into(),
        ..ItemFields::default()
    };
    let matches = |query: &str| {
        Filter::compile(&[], &[], Some(query), &BTreeMap::new())
            .unwrap()
            .matches(&item)
    };
    assert!(matches("iran"), "the possessive splits off");
    assert!(matches("irano"));
    assert!(!matches("ran"));
    assert!(!matches("envo"));
    assert!(matches("envo*"));
    assert!(matches("\"armenian talks\""));
}
