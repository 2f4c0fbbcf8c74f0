//! Keys, canonical links and public ids: stable, deterministic, never colliding.

use super::*;

#[test]
fn keys_and_hashes_are_stable_across_parses() {
    for name in FEED_FIXTURES {
        let first = parse(name);
        let second = parse(name);
        assert_eq!(first, second, "{name}");
        let mut unique = keys(&first);
        unique.sort();
        unique.dedup();
        assert_eq!(
            unique.len(),
            first.entries.len(),
            "{name}: keys must be unique"
        );
    }
}

#[test]
fn an_edit_keeps_the_key_and_changes_the_hash() {
    let before = parse("rss2.xml");
    let after = parse("rss2-edited.xml");
    assert_eq!(keys(&before), keys(&after));
    let changed: Vec<&str> = before
        .entries
        .iter()
        .zip(&after.entries)
        .filter(|(b, a)| b.content_hash != a.content_hash)
        .map(|(b, _)| b.key.as_str())
        .collect();
    assert_eq!(changed, ["g:harbordaily-article-88213"]);
    assert_eq!(
        after.entries[1].title,
        "Flooding closes four ports along the Bay of Bengal"
    );
}

#[test]
fn a_wire_copy_shares_the_canonical_link_but_not_the_key() {
    let original = &parse("rss2.xml").entries[0];
    let copy = &parse("wire-copy.xml").entries[0];
    assert!(copy.link.as_deref().unwrap().contains("utm_source=x"));
    assert_eq!(copy.canonical_link, original.canonical_link);
    assert_ne!(copy.key, original.key);
    assert_eq!(copy.key, "g:meridian-7f3a2c91");
}

#[test]
fn id_less_items_get_deterministic_keys() {
    let feed = parse("no-guid.xml");
    assert_eq!(feed.entries.len(), 4);
    assert_eq!(
        feed.entries[0].key,
        "l:https://valleyradio.example/bulletins/a9-closures"
    );
    assert_eq!(
        feed.entries[1].key,
        "l:https://valleyradio.example/bulletins/school-meals"
    );
    for entry in &feed.entries[2..] {
        assert!(entry.key.starts_with("h:"), "{}", entry.key);
        assert_eq!(entry.guid, None);
        assert_eq!(entry.link, None);
    }
    // Nothing depends on where the feed was fetched from, or on feed-rs's random ids.
    let elsewhere = parse_feed(
        &fixture("no-guid.xml"),
        &url("https://mirror.example/x.rss"),
    )
    .unwrap();
    assert_eq!(keys(&feed), keys(&elsewhere));
}

#[test]
fn duplicate_guids_keep_both_items_with_stable_keys() {
    let feed = parse("dup-guid.xml");
    assert_eq!(
        keys(&feed),
        [
            "g:metrobulletin-news|l:https://metrobulletin.example/news/tram-extension",
            "g:metrobulletin-news|l:https://metrobulletin.example/news/library-hours",
            "g:metrobulletin-2291",
            "g:metrobulletin-news|l:https://metrobulletin.example/news/library-hours#2",
        ]
    );
}

/// An RSS document with items given as (guid, link, title).
fn rss_with(items: &[(&str, &str, &str)]) -> Vec<u8> {
    let mut doc = String::from(r#"<rss version="2.0"><channel><title>T</title>"#);
    for (guid, link, title) in items {
        doc.push_str("<item>");
        if !guid.is_empty() {
            doc.push_str(&format!("<guid>{guid}</guid>"));
        }
        if !link.is_empty() {
            doc.push_str(&format!("<link>{link}</link>"));
        }
        doc.push_str(&format!(
            "<title>{title}</title><description>About {title}</description></item>"
        ));
    }
    doc.push_str("</channel></rss>");
    doc.into_bytes()
}

#[test]
fn duplicate_guid_keys_do_not_depend_on_order() {
    let tram = ("dup", "https://m.example/tram", "Tram");
    let library = ("dup", "https://m.example/library", "Library");
    let forward = parse_feed(&rss_with(&[tram, library]), &source_url()).unwrap();
    let backward = parse_feed(&rss_with(&[library, tram]), &source_url()).unwrap();
    assert_eq!(forward.entries[0].key, backward.entries[1].key);
    assert_eq!(forward.entries[1].key, backward.entries[0].key);
}

#[test]
fn url_guids_that_differ_by_scheme_or_host_case_are_one_key() {
    let http = parse_feed(
        &rss_with(&[("http://News.Example.com/a/1", "", "A")]),
        &source_url(),
    )
    .unwrap();
    let https = parse_feed(
        &rss_with(&[("https://news.example.com/a/1", "", "A")]),
        &source_url(),
    )
    .unwrap();
    assert_eq!(http.entries[0].key, https.entries[0].key);
    assert_eq!(http.entries[0].key, "g:news.example.com/a/1");
    // A permalink guid stands in for a missing <link>.
    assert_eq!(
        https.entries[0].link.as_deref(),
        Some("https://news.example.com/a/1")
    );
}

#[test]
fn entry_key_kinds() {
    assert_eq!(
        entry_key(Some(" abc "), Some("https://x.example/a"), "t", "c"),
        "g:abc"
    );
    assert_eq!(
        entry_key(Some(""), Some("https://x.example/a"), "t", "c"),
        "l:https://x.example/a"
    );
    let by_hash = entry_key(None, None, "title", "content");
    assert!(
        by_hash.starts_with("h:") && by_hash.len() == 2 + 32,
        "{by_hash}"
    );
    assert_eq!(by_hash, entry_key(None, None, "title", "content"));
    assert_ne!(by_hash, entry_key(None, None, "titl", "econtent"));
}

#[test]
fn canonical_link_table() {
    let cases = [
        (
            "HTTPS://News.Example.COM/World/Story",
            Some("https://news.example.com/World/Story"),
        ),
        (
            "https://news.example.com:443/a/",
            Some("https://news.example.com/a"),
        ),
        (
            "http://news.example.com:80/a",
            Some("http://news.example.com/a"),
        ),
        (
            "http://news.example.com:8080/a",
            Some("http://news.example.com:8080/a"),
        ),
        (
            "https://news.example.com/a#comments",
            Some("https://news.example.com/a"),
        ),
        (
            "https://news.example.com/",
            Some("https://news.example.com"),
        ),
        (
            "https://news.example.com/a?utm_source=x&id=7&UTM_Medium=rss&fbclid=1&gclid=2&page=2&mc_cid=3&mc_eid=4",
            Some("https://news.example.com/a?id=7&page=2"),
        ),
        (
            "https://news.example.com/a?b=2&a=1",
            Some("https://news.example.com/a?b=2&a=1"),
        ),
        (
            "https://news.example.com/a?utm_campaign=z",
            Some("https://news.example.com/a"),
        ),
        (
            "https://user:pw@news.example.com/a",
            Some("https://news.example.com/a"),
        ),
        (
            "  https://news.example.com/a  ",
            Some("https://news.example.com/a"),
        ),
        ("/relative/path", None),
        ("ftp://files.example.com/a", None),
        ("javascript:alert(1)", None),
        ("not a url", None),
        ("", None),
    ];
    for (link, expected) in cases {
        assert_eq!(canonical_link(link).as_deref(), expected, "{link}");
        if let Some(canonical) = expected {
            assert_eq!(
                canonical_link(canonical).as_deref(),
                Some(canonical),
                "idempotent: {canonical}"
            );
        }
    }
}

#[test]
fn public_ids_are_stable_and_distinct() {
    let id = public_id("harbor-daily", "g:abc");
    assert_eq!(id, public_id("harbor-daily", "g:abc"));
    let hex = id.strip_prefix("urn:feedbraid:").unwrap();
    assert_eq!(hex.len(), 32);
    assert!(
        hex.bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
    );
    assert_ne!(id, public_id("harbor-daily", "g:abd"));
    assert_ne!(id, public_id("meridian-wire", "g:abc"));
    // The separator keeps (source, key) pairs apart.
    assert_ne!(public_id("a", "bc"), public_id("ab", "c"));
    // Fixed: this exact value is what stores hold for new items (the first 8 hex
    // digits are the source's). Ids stored under another derivation stay as stored.
    assert_eq!(
        public_id("s", "k"),
        "urn:feedbraid:043a718785e238288c85c3282f1ecb48"
    );
}
