//! The ingest core end to end: fixture feeds → `ParsedFeed`, identity keys, canonical
//! links, public ids, and the HTML sanitizing policy. See tests/fixtures/feeds/README.md.

use feedbraid::identity::{canonical_link, entry_key, public_id};
use feedbraid::model::{Entry, ParsedFeed};
use feedbraid::parse::{
    MAX_CONTENT_BYTES, MAX_ITEMS, ParseError, parse_feed, parse_feed_with_notes,
};
use feedbraid::sanitize::{html_to_text, is_xml_char, sanitize_html};

const FEEDS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/feeds");

/// Every fixture that parses into a feed.
const FEED_FIXTURES: [&str; 12] = [
    "rss2.xml",
    "rss2-edited.xml",
    "wire-copy.xml",
    "rss1.rdf",
    "atom.xml",
    "feed.json",
    "xss.xml",
    "no-guid.xml",
    "dup-guid.xml",
    "bad-bytes.xml",
    "latin1.xml",
    "entity-bomb.xml",
];

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!("{FEEDS}/{name}")).unwrap()
}

fn url(text: &str) -> url::Url {
    url::Url::parse(text).unwrap()
}

fn source_url() -> url::Url {
    url("https://feeds.example/world/rss.xml")
}

fn parse(name: &str) -> ParsedFeed {
    parse_feed(&fixture(name), &source_url()).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn date(text: &str) -> chrono::DateTime<chrono::Utc> {
    text.parse().unwrap()
}

fn keys(feed: &ParsedFeed) -> Vec<&str> {
    feed.entries.iter().map(|e| e.key.as_str()).collect()
}

fn html_fields(entry: &Entry) -> impl Iterator<Item = &str> {
    entry
        .summary_html
        .iter()
        .chain(&entry.content_html)
        .map(String::as_str)
}

fn is_sha256_hex(text: &str) -> bool {
    text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit())
}

#[test]
fn rss2_news_channel() {
    let feed = parse("rss2.xml");
    assert_eq!(feed.title.as_deref(), Some("Harbor Daily News – World"));
    assert_eq!(
        feed.site_link.as_deref(),
        Some("https://www.harbordaily.example/world/")
    );
    assert_eq!(feed.ttl_minutes, Some(15));
    assert_eq!(feed.entries.len(), 5);

    let talks = &feed.entries[0];
    let link = "https://www.harbordaily.example/world/2025/03/04/iran-eu-talks-geneva";
    assert_eq!(
        talks.key,
        "g:www.harbordaily.example/world/2025/03/04/iran-eu-talks-geneva"
    );
    assert_eq!(talks.guid.as_deref(), Some(link));
    assert_eq!(talks.link.as_deref(), Some(link));
    assert_eq!(talks.canonical_link.as_deref(), Some(link));
    assert_eq!(talks.title, "Iran and EU resume nuclear talks in Geneva");
    assert_eq!(talks.author.as_deref(), Some("Leila Ahmadi"));
    assert_eq!(talks.categories, ["World", "Middle East"]);
    assert_eq!(talks.published, Some(date("2025-03-04T09:12:00Z")));
    assert_eq!(
        talks.updated, None,
        "RSS has no updated date; none is invented"
    );
    assert_eq!(
        talks.summary_html.as_deref(),
        Some(
            "<p>Negotiators from <b>Tehran</b> and Brussels met for the first time since October.</p>"
        )
    );
    let content = talks.content_html.as_deref().unwrap();
    assert!(
        content.contains(
            r#"<img src="https://www.harbordaily.example/media/2025/03/geneva-talks.jpg""#
        )
    );
    assert!(content.contains(
        r#"<a href="https://www.harbordaily.example/world/iran" rel="noopener noreferrer">More on Iran</a>"#
    ));
    assert!(is_sha256_hex(&talks.content_hash));

    let floods = &feed.entries[1];
    assert_eq!(floods.key, "g:harbordaily-article-88213");
    assert_eq!(
        floods.canonical_link.as_deref(),
        Some("https://www.harbordaily.example/world/2025/03/04/bay-of-bengal-floods?ref=rss")
    );
    assert_eq!(
        floods.summary_html.as_deref(),
        Some(
            "Monsoon-style rains out of season have shut three container ports &amp; stranded dozens of ships."
        )
    );
    assert_eq!(floods.content_html, None);
}

#[test]
fn rss1_with_dublin_core_dates() {
    let feed = parse("rss1.rdf");
    assert_eq!(feed.title.as_deref(), Some("Lakeside Gazette"));
    assert_eq!(
        feed.site_link.as_deref(),
        Some("https://lakeside-gazette.example/")
    );
    assert_eq!(feed.entries.len(), 3);
    let budget = &feed.entries[1];
    assert_eq!(
        budget.key,
        "l:https://lakeside-gazette.example/news/council-budget-vote"
    );
    assert_eq!(budget.guid, None);
    assert_eq!(budget.published, Some(date("2025-03-02T22:40:00Z")));
    assert_eq!(budget.author.as_deref(), Some("Jonas Lund"));
    assert_eq!(
        budget.summary_html.as_deref(),
        Some("<p>The vote passed <em>17 to 12</em>.</p>")
    );
}

#[test]
fn atom_with_xml_base_and_relative_links() {
    let feed = parse("atom.xml");
    assert_eq!(feed.title.as_deref(), Some("Northstar Times: Asia"));
    assert_eq!(
        feed.site_link.as_deref(),
        Some("https://northstar-times.example/asia/")
    );
    assert_eq!(feed.ttl_minutes, None);
    assert_eq!(feed.entries.len(), 3);

    let growth = &feed.entries[0];
    assert_eq!(growth.key, "g:tag:northstar-times.example,2025:asia/4411");
    assert_eq!(
        growth.link.as_deref(),
        Some("https://northstar-times.example/asia/2025/03/05/china-growth-target")
    );
    assert_eq!(
        growth.title,
        "Beijing sets 5% growth target & pledges trade stimulus"
    );
    assert_eq!(growth.author.as_deref(), Some("Chen Hua, Priya Nair"));
    assert_eq!(growth.categories, ["China", "economy"]);
    assert_eq!(growth.published, Some(date("2025-03-04T06:00:00Z")));
    assert_eq!(growth.updated, Some(date("2025-03-04T09:15:00Z")));
    let content = growth.content_html.as_deref().unwrap();
    assert!(content.contains("National People’s Congress"), "{content}");
    // Resolved against the content's own xml:base, not the entry link.
    assert!(content.contains(
        r#"src="https://northstar-times.example/asia/2025/03/05/images/congress-hall.jpg""#
    ));
    assert!(content.contains(r#"href="https://northstar-times.example/asia/markets/""#));

    let monsoon = &feed.entries[1];
    assert_eq!(
        monsoon.link.as_deref(),
        Some("https://northstar-times.example/asia/2025/03/04/india-monsoon-outlook")
    );
    assert_eq!(
        monsoon.author.as_deref(),
        Some("Northstar Times Asia desk"),
        "feed author inherited"
    );
    assert_eq!(monsoon.published, None);
    let summary = monsoon.summary_html.as_deref().unwrap();
    assert!(
        summary.contains(r#"href="https://northstar-times.example/asia/monsoon""#),
        "{summary}"
    );

    let chips = &feed.entries[2];
    assert_eq!(
        chips.title,
        r#"Why "<" matters in Japan's new chip export rules"#
    );
    assert_eq!(
        chips.summary_html.as_deref(),
        Some("Thresholds below 14nm &lt; the previous limit, analysts said.")
    );
}

#[test]
fn json_feed_1_1() {
    let feed = parse("feed.json");
    assert_eq!(feed.title.as_deref(), Some("Coastline Post — Latest"));
    assert_eq!(
        feed.site_link.as_deref(),
        Some("https://coastlinepost.example/")
    );
    assert_eq!(feed.entries.len(), 3);

    let dredging = &feed.entries[0];
    assert_eq!(
        dredging.key,
        "g:coastlinepost.example/2025/03/04/harbor-dredging-approved"
    );
    assert_eq!(
        dredging.author.as_deref(),
        Some("Dana Whitfield, Luis Ortega")
    );
    assert_eq!(dredging.categories, ["Local", "Environment"]);
    assert_eq!(dredging.published, Some(date("2025-03-04T13:30:00Z")));
    assert_eq!(dredging.updated, Some(date("2025-03-04T15:05:00Z")));
    assert_eq!(
        dredging.summary_html.as_deref(),
        Some("Port authority votes to deepen the main channel.")
    );
    let content = dredging.content_html.as_deref().unwrap();
    assert!(content.contains("voted 5–2"));
    assert!(content.contains(r#"href="https://coastlinepost.example/tag/harbor""#));
    assert!(content.contains(r#"src="https://coastlinepost.example/img/dredger.jpg""#));

    let insurers = &feed.entries[1];
    assert_eq!(insurers.key, "g:cp-2025-03-03-0412");
    assert_eq!(
        insurers.author.as_deref(),
        Some("Coastline Post"),
        "feed author inherited"
    );
    assert!(
        insurers
            .content_html
            .as_deref()
            .unwrap()
            .starts_with("Premiums for tankers")
    );
}

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
    // Fixed forever: this exact value is what stores hold.
    assert_eq!(public_id("s", "k"), public_id("s", "k"));
}

/// Markers of active content: none may appear in sanitized output (lower-cased).
const ACTIVE: [&str; 22] = [
    "<script",
    "<style",
    "<iframe",
    "<object",
    "<embed",
    "<form",
    "<input",
    "<meta",
    "<link",
    "<base",
    "<svg",
    "<math",
    "<noscript",
    " on",
    "javascript:",
    "vbscript:",
    "data:",
    "style=",
    "cite=",
    "alert(",
    "xlink:",
    "srcdoc",
];

fn assert_inert(html: &str) {
    let lower = html.to_lowercase();
    for marker in ACTIVE {
        // " on" would also match prose; only attributes (` on…=`) matter.
        let found = if marker == " on" {
            lower.split(" on").skip(1).any(|rest| {
                let name: String = rest
                    .chars()
                    .take_while(|c| c.is_ascii_alphabetic())
                    .collect();
                rest[name.len()..].starts_with('=')
            })
        } else {
            lower.contains(marker)
        };
        assert!(!found, "{marker:?} survived in {html}");
    }
}

#[test]
fn xss_fixture_is_neutralized_in_every_field() {
    let feed = parse("xss.xml");
    assert_eq!(feed.title.as_deref(), Some("Compromised Chronicle"));
    assert_eq!(
        feed.site_link, None,
        "a javascript: channel link is dropped"
    );
    let first = &feed.entries[0];
    assert_eq!(first.title, "Minister resigns over leak");
    assert_eq!(first.author.as_deref(), Some("Jane Roe"));
    assert_eq!(first.categories, ["Politics"]);
    for entry in &feed.entries {
        for html in html_fields(entry) {
            assert_inert(html);
        }
    }
    let content = first.content_html.as_deref().unwrap();
    assert!(
        content.contains(
            r#"href="https://compromised-chronicle.example/politics/relative/page.html""#
        )
    );
    assert!(content.contains("<p>Safe <strong>bold</strong> text.</p>"));
    assert!(
        content.contains("quoted") && content.contains("styled"),
        "harmless text is kept"
    );
    let second = &feed.entries[1];
    assert_eq!(
        second.title,
        "Ordinary headline & a double-escaped ampersand"
    );
    assert_eq!(
        second.summary_html.as_deref(),
        Some(
            r#"<a href="https://compromised-chronicle.example/ok" rel="noopener noreferrer">fine link</a>"#
        )
    );
}

#[test]
fn sanitize_table() {
    let base = url("https://news.example.com/world/story.html");
    let cases: [(&str, &str); 18] = [
        ("<script>alert(1)</script><p>x</p>", "<p>x</p>"),
        (
            "<img src=x onerror=alert(1)>",
            r#"<img src="https://news.example.com/world/x">"#,
        ),
        (
            r#"<a href="JAVASCRIPT:alert(1)">a</a>"#,
            r#"<a rel="noopener noreferrer">a</a>"#,
        ),
        (
            r#"<a href="&#106;avascript:alert(1)">a</a>"#,
            r#"<a rel="noopener noreferrer">a</a>"#,
        ),
        (
            r#"<a href="java&#9;script:alert(1)">a</a>"#,
            r#"<a rel="noopener noreferrer">a</a>"#,
        ),
        (
            r#"<a href=" vbscript:x">a</a>"#,
            r#"<a rel="noopener noreferrer">a</a>"#,
        ),
        (r#"<img src="data:image/png;base64,AAAA">"#, "<img>"),
        (
            r#"<iframe src="https://evil.example/"></iframe>after"#,
            "after",
        ),
        ("<svg><circle onload=x /></svg>after", "after"),
        ("<math><mi>x</mi></math>after", "after"),
        (
            r#"<object data="https://e.example/x"></object><embed src="https://e.example/y">"#,
            "",
        ),
        (
            r#"<form action="https://e.example/"><b>in form</b></form>"#,
            "<b>in form</b>",
        ),
        (
            r#"<meta http-equiv=refresh content="0"><link rel=stylesheet href=x><base href="https://e.example/">"#,
            "",
        ),
        (r#"<p style="color:red" class="x" id="y">p</p>"#, "<p>p</p>"),
        (
            r#"<a href="/about" target="_blank">a</a>"#,
            r#"<a href="https://news.example.com/about" rel="noopener noreferrer">a</a>"#,
        ),
        (
            r#"<a href="mailto:desk@news.example.com">m</a>"#,
            r#"<a href="mailto:desk@news.example.com" rel="noopener noreferrer">m</a>"#,
        ),
        ("a\u{0B}b\u{FFFE}c", "abc"),
        ("<p>unclosed <b>bold", "<p>unclosed <b>bold</b></p>"),
    ];
    for (input, expected) in cases {
        let out = sanitize_html(input, Some(&base));
        assert_eq!(out, expected, "input: {input}");
        assert_inert(&out);
    }
    assert_eq!(
        sanitize_html(r#"<a href="/about">a</a><img src="x.png">"#, None),
        r#"<a rel="noopener noreferrer">a</a><img>"#,
        "without a base, relative URLs are dropped"
    );
}

#[test]
fn sanitizing_twice_equals_sanitizing_once() {
    let base = url("https://news.example.com/world/");
    let mut samples: Vec<String> = vec![
        "<p>unclosed <b>bold <i>both".into(),
        "<table><tr><td>cell<p>para</td></tr></table>".into(),
        "<a href=a>x<a href=b>y</a></a>".into(),
        "<ul><li>one<li>two</ul><p>a<div>b</div>".into(),
        "5 < 6 & 7 > 3 &amp; &lt;b&gt; &nbsp; ".into(),
        r#"<img src="rel.png" alt='"quoted"'><br/><hr>"#.into(),
    ];
    for name in FEED_FIXTURES {
        for entry in parse(name).entries {
            samples.extend(entry.summary_html);
            samples.extend(entry.content_html);
        }
    }
    for sample in samples {
        let once = sanitize_html(&sample, Some(&base));
        assert_eq!(sanitize_html(&once, Some(&base)), once, "sample: {sample}");
        assert_eq!(sanitize_html(&once, None), once, "sample: {sample}");
    }
}

#[test]
fn html_to_text_table() {
    let cases = [
        ("<p>Iran</p><p>talks</p>", "Iran talks"),
        ("Tom &amp; Jerry &nbsp;&lt;3", "Tom & Jerry <3"),
        ("<b>Teh</b>ran", "Tehran"),
        (
            "<script>var x = '<p>';</script>visible<style>p{}</style>",
            "visible",
        ),
        ("line\n\n  break\tand   tabs", "line break and tabs"),
        ("3 < 5", "3 < 5"),
        ("<!-- comment -->text", "text"),
        ("", ""),
    ];
    for (html, text) in cases {
        assert_eq!(html_to_text(html), text, "{html}");
    }
}

#[test]
fn html_page_is_not_a_feed() {
    assert!(matches!(
        parse_feed(&fixture("html-page.html"), &source_url()),
        Err(ParseError::HtmlPage)
    ));
    assert!(matches!(
        parse_feed(
            b"  <html><body>502 Bad Gateway</body></html>",
            &source_url()
        ),
        Err(ParseError::HtmlPage)
    ));
}

#[test]
fn garbage_is_invalid() {
    for body in [
        &b""[..],
        b"plain text",
        b"<rss version=\"2.0\"><channel><item>",
        b"{\"version\": 1",
    ] {
        assert!(
            matches!(parse_feed(body, &source_url()), Err(ParseError::Invalid(_))),
            "{body:?}"
        );
    }
}

#[test]
fn invalid_bytes_still_yield_items() {
    let (feed, notes) = parse_feed_with_notes(&fixture("bad-bytes.xml"), &source_url()).unwrap();
    assert!(notes.repaired_encoding);
    assert_eq!(feed.entries.len(), 2);
    assert!(
        feed.entries[0]
            .summary_html
            .as_deref()
            .unwrap()
            .contains("caf\u{FFFD}")
    );
    assert_eq!(feed.entries[1].title, "Bridge repairs finished early");

    let mut json = br#"{"version":"https://jsonfeed.org/version/1.1","title":"J","items":[{"id":"1","title":"caf"#.to_vec();
    json.extend_from_slice(b"\xE9\"},{\"id\":\"2\",\"title\":\"ok\"}]}");
    let (feed, notes) = parse_feed_with_notes(&json, &source_url()).unwrap();
    assert!(notes.repaired_encoding);
    assert_eq!(feed.entries[0].title, "caf\u{FFFD}");
    assert_eq!(feed.entries[1].title, "ok");
}

#[test]
fn declared_latin1_is_decoded_not_repaired() {
    let (feed, notes) = parse_feed_with_notes(&fixture("latin1.xml"), &source_url()).unwrap();
    assert!(!notes.repaired_encoding);
    assert_eq!(feed.title.as_deref(), Some("Le Réveil du Sud"));
    assert_eq!(
        feed.entries[0].title,
        "La fête du café attire 10 000 visiteurs"
    );
    assert_eq!(
        feed.entries[0].summary_html.as_deref(),
        Some("Une édition record à Montpellier.")
    );
}

#[test]
fn text_fields_hold_only_xml_characters() {
    let doc = "<rss version=\"2.0\"><channel><title>Bad\u{0B}chars\u{1}</title><item><title>tab\u{0C}feed</title>\
               <guid>x</guid><category>c\u{7}at</category><description>d\u{0B}esc</description></item></channel></rss>";
    let feed = parse_feed(doc.as_bytes(), &source_url()).unwrap();
    let entry = &feed.entries[0];
    let all: Vec<&str> = [
        feed.title.as_deref().unwrap(),
        &entry.title,
        &entry.categories[0],
    ]
    .into_iter()
    .chain(html_fields(entry))
    .collect();
    for text in all {
        assert!(text.chars().all(is_xml_char), "{text:?}");
    }
}

#[test]
fn entity_bomb_is_not_expanded() {
    let feed = parse("entity-bomb.xml");
    assert_eq!(feed.entries.len(), 1);
    let entry = &feed.entries[0];
    assert!(entry.title.len() < 100, "{}", entry.title);
    assert!(entry.summary_html.as_deref().unwrap_or("").len() < 100);
    assert!(!entry.title.contains("lollol"));
}

#[test]
fn external_entities_are_not_read() {
    let feed = parse("xxe.xml");
    let entry = &feed.entries[0];
    let seen = format!("{} {:?}", entry.title, entry.summary_html);
    assert!(!seen.contains("root:"), "{seen}");
    assert!(
        seen.contains("&passwd;") || seen.contains("&amp;passwd;"),
        "left as literal text: {seen}"
    );
}

#[test]
fn deep_nesting_ends_without_harm() {
    // quick-xml refuses documents nested deeper than 65,535 elements; either outcome
    // (an error, or a feed without the nested content) is fine as long as it ends.
    match parse_feed(&fixture("deep-nesting.xml"), &source_url()) {
        Err(ParseError::Invalid(_)) => {}
        Ok(feed) => assert!(
            feed.entries
                .iter()
                .all(|e| e.summary_html.as_deref().unwrap_or("").len() < 1024)
        ),
        Err(other) => panic!("unexpected {other}"),
    }
}

#[test]
fn item_count_is_capped() {
    let mut doc = String::from(r#"<rss version="2.0"><channel><title>Many</title>"#);
    for i in 0..=MAX_ITEMS {
        doc.push_str(&format!(
            "<item><guid>{i}</guid><title>Item {i}</title></item>"
        ));
    }
    doc.push_str("</channel></rss>");
    let (feed, notes) = parse_feed_with_notes(doc.as_bytes(), &source_url()).unwrap();
    assert_eq!(feed.entries.len(), MAX_ITEMS);
    assert_eq!(notes.dropped_items, 1);
    assert_eq!(feed.entries[0].key, "g:0");
}

#[test]
fn content_size_is_capped_at_a_char_boundary() {
    // Three-byte characters, so the cap falls inside one of them.
    let huge = "<p>".to_string() + &"€".repeat(MAX_CONTENT_BYTES / 3 + 100) + "</p>";
    let doc = format!(
        r#"{{"version":"https://jsonfeed.org/version/1.1","title":"Big","items":[{{"id":"1","title":"Big","summary":"short","content_html":{}}}]}}"#,
        serde_json::to_string(&huge).unwrap()
    );
    let (feed, notes) = parse_feed_with_notes(doc.as_bytes(), &source_url()).unwrap();
    assert!(notes.capped_fields >= 1);
    let entry = &feed.entries[0];
    assert_eq!(entry.summary_html.as_deref(), Some("short"));
    if let Some(content) = &entry.content_html {
        assert!(content.len() <= MAX_CONTENT_BYTES, "{}", content.len());
        assert!(content.starts_with("<p>€€") && content.ends_with("</p>"));
    }
}
