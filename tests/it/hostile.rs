//! A hostile corpus (`tests/fixtures/hostile/`, plus the hostile
//! files of `tests/fixtures/feeds/`) is served, polled and republished; every output
//! format re-parses strictly and carries no active content. Also: future dates take
//! the first-seen time, duplicate ids give distinct ids that are stable across polls,
//! and a guid rewritten by the publisher does not make an item new again.

pub mod active_content;
pub mod outputs;

use std::collections::BTreeMap;

use crate::common::{FeedServer, Harness, fixture, fixture_at, write_config};
use chrono::{DateTime, Utc};
use feedbraid::poll::PollOutcome;
use feedbraid::sanitize::{is_xml_char, sanitize_html};

/// Hostile files of `tests/fixtures/feeds/` that other tests also use.
const REUSED_FEEDS: &[&str] = &[
    "xss.xml",
    "xss-atom.xml",
    "xss.json",
    "no-guid.xml",
    "dup-guid.xml",
    "bad-bytes.xml",
    "latin1.xml",
    "entity-bomb.xml",
    "xxe.xml",
    "deep-nesting.xml",
    "html-page.html",
];

/// Documents that are refused as a whole (the source's poll fails, nothing stored).
/// The two `fuzz-second-xml-declaration` files make quick-xml panic inside feed-rs
/// (found by `fuzz/`); the poller's `spawn_blocking` turns that into a failed poll.
const REFUSED: &[&str] = &[
    "deep-nesting.xml",
    "html-page.html",
    "fuzz-second-xml-declaration.xml",
    "fuzz-second-xml-declaration-min.xml",
];

/// Every document of the corpus: (file name, bytes).
fn corpus() -> Vec<(String, Vec<u8>)> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/hostile");
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|entry| entry.unwrap())
        .filter(|entry| entry.file_type().unwrap().is_file())
        .map(|entry| entry.file_name().into_string().unwrap())
        .filter(|name| name != "README.md")
        .map(|name| {
            let bytes = fixture_at(&format!("hostile/{name}"));
            (name, bytes)
        })
        .collect();
    files.sort();
    files.extend(
        REUSED_FEEDS
            .iter()
            .map(|name| (name.to_string(), fixture(name))),
    );
    files
}

/// A source and feed name for a corpus file.
fn name_of(file: &str) -> String {
    file.replace('.', "-")
}

/// One source and one `dedup = "keep"` feed per document, served and polled once.
async fn start(server: &FeedServer, files: &[(String, Vec<u8>)]) -> (tempfile::TempDir, Harness) {
    let mut body = String::new();
    for (file, bytes) in files {
        server.set(file, bytes.clone());
        let name = name_of(file);
        body.push_str(&format!(
            "[[source]]\nname = \"{name}\"\nurl = \"{}\"\n\n\
             [[feed]]\nname = \"{name}\"\nsources = [\"{name}\"]\ndedup = \"keep\"\nlimit = 100000\n\n",
            server.url(file)
        ));
    }
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), &body);
    let harness = Harness::start(&config).await;
    (dir, harness)
}

#[tokio::test]
async fn every_output_of_the_hostile_corpus_parses_strictly_and_is_inert() {
    let files = corpus();
    let server = FeedServer::start().await;
    let (_dir, h) = start(&server, &files).await;
    let reports = h.poll().await;
    let outcomes: BTreeMap<&str, &PollOutcome> = reports
        .iter()
        .map(|r| (r.source.as_str(), &r.outcome))
        .collect();

    let mut problems = Vec::new();
    for (file, _) in &files {
        let name = name_of(file);
        let outcome = outcomes[name.as_str()];
        let refused = REFUSED.contains(&file.as_str());
        match outcome {
            PollOutcome::Stored(s) if !refused && s.new > 0 => {}
            PollOutcome::Failed { .. } if refused => {}
            other => problems.push(format!("{file}: unexpected poll outcome {other:?}")),
        }
        for format in ["rss", "atom", "json"] {
            let url = h.url(&format!("/feeds/{name}.{format}"));
            let (status, _, body) = crate::common::get(&url, &[]).await;
            if status != 200 {
                problems.push(format!("{file} .{format}: HTTP {status}"));
                continue;
            }
            let found = outputs::problems(format, &body);
            problems.extend(found.into_iter().map(|p| format!("{file} .{format}: {p}")));
        }
    }
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

/// The JSON Feed items of `feed`, by title.
async fn items_by_title(h: &Harness, feed: &str) -> BTreeMap<String, serde_json::Value> {
    h.json_feed(feed).await["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| (i["title"].as_str().unwrap().to_string(), i.clone()))
        .collect()
}

fn date(item: &serde_json::Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(item["date_published"].as_str().unwrap())
        .unwrap()
        .with_timezone(&Utc)
}

#[tokio::test]
async fn future_and_missing_dates_take_the_first_seen_time_and_never_move() {
    let files: Vec<(String, Vec<u8>)> = [
        "rss-bad-dates.xml",
        "atom-future-dates.xml",
        "jsonfeed-bad-dates.json",
    ]
    .iter()
    .map(|f| (f.to_string(), fixture_at(&format!("hostile/{f}"))))
    .collect();
    let server = FeedServer::start().await;
    let (_dir, h) = start(&server, &files).await;
    let before = Utc::now() - chrono::Duration::seconds(1);
    h.poll().await;
    let after = Utc::now() + chrono::Duration::seconds(1);
    let first_seen = |item: &serde_json::Value| {
        let d = date(item);
        assert!(
            before <= d && d <= after,
            "{item:#}: not the first-seen time"
        );
    };

    let rss = items_by_title(&h, "rss-bad-dates-xml").await;
    assert_eq!(rss.len(), 7, "{:#?}", rss.keys());
    for title in [
        "Embargoed story dated far in the future",
        "Story dated next year",
        "Story with a garbage date",
        "Story with an impossible date",
        "Story with an empty date",
    ] {
        first_seen(&rss[title]);
    }
    assert_eq!(
        rss["Story with an ordinary date"]["date_published"],
        "2025-03-04T12:00:00Z"
    );
    assert!(
        date(&rss["Story from year one"]) < before,
        "a past date, however old, is kept"
    );

    let atom = items_by_title(&h, "atom-future-dates-xml").await;
    first_seen(&atom["Results announced before the vote"]);
    first_seen(&atom["Only an updated date, in the future"]);
    let json = items_by_title(&h, "jsonfeed-bad-dates-json").await;
    first_seen(&json["Future JSON item"]);
    first_seen(&json["Garbage JSON date"]);

    // The publisher moves an already-seen item's date to now: it must not climb.
    let ordinary = rss["Story with an ordinary date"].clone();
    let moved = String::from_utf8(fixture_at("hostile/rss-bad-dates.xml"))
        .unwrap()
        .replace("Tue, 04 Mar 2025 12:00:00 +0000", &Utc::now().to_rfc2822());
    server.set("rss-bad-dates.xml", moved.into_bytes());
    h.poll().await;
    let again = items_by_title(&h, "rss-bad-dates-xml").await;
    assert_eq!(again.len(), 7);
    let same = &again["Story with an ordinary date"];
    assert_eq!(
        (&same["id"], &same["date_published"]),
        (&ordinary["id"], &ordinary["date_published"])
    );
    first_seen(&again["Embargoed story dated far in the future"]);
}

/// (title, id) of every item of a feed, sorted by id.
async fn identities(h: &Harness, feed: &str) -> Vec<(String, String)> {
    let mut items: Vec<(String, String)> = h.json_feed(feed).await["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["title"].as_str().unwrap().to_string(),
                i["id"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    items.sort_by(|a, b| a.1.cmp(&b.1));
    items
}

#[tokio::test]
async fn duplicate_and_missing_ids_give_distinct_ids_stable_across_polls() {
    let files = vec![
        ("dup-guid.xml".to_string(), fixture("dup-guid.xml")),
        ("no-guid.xml".to_string(), fixture("no-guid.xml")),
        (
            "atom-idless-dup-ids.xml".to_string(),
            fixture_at("hostile/atom-idless-dup-ids.xml"),
        ),
        (
            "jsonfeed-idless-dup-ids.json".to_string(),
            fixture_at("hostile/jsonfeed-idless-dup-ids.json"),
        ),
    ];
    // An exact copy (same guid, link and content) is the same item listed twice: it
    // is stored once (dup-guid.xml and the JSON file each hold one such pair).
    let expected_items = [3, 4, 5, 4];
    let server = FeedServer::start().await;
    let (_dir, h) = start(&server, &files).await;
    h.poll().await;
    let mut first = Vec::new();
    for ((file, _), expected) in files.iter().zip(expected_items) {
        let items = identities(&h, &name_of(file)).await;
        assert_eq!(items.len(), expected, "{file}: every item kept: {items:#?}");
        let mut ids: Vec<&String> = items.iter().map(|(_, id)| id).collect();
        ids.dedup();
        assert_eq!(ids.len(), expected, "{file}: ids never collide: {items:#?}");
        first.push(items);
    }
    // The same documents under new ETags: read in full again, nothing new, same ids.
    for (file, bytes) in &files {
        let mut changed = bytes.clone();
        changed.extend_from_slice(b"\n");
        server.set(file, changed);
    }
    for report in h.poll().await {
        assert!(
            matches!(report.outcome, PollOutcome::Stored(s) if s.new == 0),
            "{report}"
        );
    }
    for ((file, _), before) in files.iter().zip(&first) {
        assert_eq!(&identities(&h, &name_of(file)).await, before, "{file}");
    }
}

#[tokio::test]
async fn a_guid_rewritten_by_the_publisher_is_the_same_item() {
    let files = vec![(
        "shifting.xml".to_string(),
        fixture_at("hostile/rss-changing-guids-1.xml"),
    )];
    let server = FeedServer::start().await;
    let (_dir, h) = start(&server, &files).await;
    h.poll().await;
    let before = identities(&h, "shifting-xml").await;
    assert_eq!(before.len(), 2);
    // http→https with an upper-case host on one guid; a new opaque guid on the other,
    // with the same link and content.
    server.set(
        "shifting.xml",
        fixture_at("hostile/rss-changing-guids-2.xml"),
    );
    let reports = h.poll().await;
    assert!(
        matches!(reports[0].outcome, PollOutcome::Stored(s) if s.new == 0),
        "{}",
        reports[0]
    );
    assert_eq!(identities(&h, "shifting-xml").await, before);
}

#[test]
fn sanitizer_regressions_stay_fixed() {
    let dir =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/hostile/sanitize");
    let base = url::Url::parse("https://news.example/world/story.html").unwrap();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let html = String::from_utf8_lossy(&std::fs::read(&path).unwrap()).into_owned();
        for base in [None, Some(&base)] {
            let once = sanitize_html(&html, base);
            assert!(
                once.chars().all(is_xml_char),
                "{}: {once:?}",
                path.display()
            );
            assert_eq!(sanitize_html(&once, base), once, "{}", path.display());
        }
    }
}

/// Documents the pipeline fuzz target found whose sanitized HTML held a
/// link nested in another, which the next parse split: every stored HTML field must
/// come back unchanged from sanitizing it again.
#[test]
fn fuzzed_documents_with_nested_links_sanitize_idempotently() {
    let url = url::Url::parse("https://fuzz.example/news/feed.xml").unwrap();
    for name in ["fuzz-nested-links.xml", "fuzz-nested-links-marquee.xml"] {
        let feed = feedbraid::parse::parse_feed(&fixture_at(&format!("hostile/{name}")), &url)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(!feed.entries.is_empty(), "{name}");
        for entry in &feed.entries {
            for html in [&entry.summary_html, &entry.content_html]
                .into_iter()
                .flatten()
            {
                for base in [None, Some(&url)] {
                    assert_eq!(&sanitize_html(html, base), html, "{name}: {}", entry.title);
                }
            }
        }
    }
}

/// A second XML declaration in the middle of a document must be a parse error, not a
/// panic (quick-xml 0.42 panics in `set_encoding`; `parse` catches it).
#[test]
fn a_second_xml_declaration_is_an_error_not_a_panic() {
    let url = url::Url::parse("https://reveil-sud.example/feed.xml").unwrap();
    for name in [
        "fuzz-second-xml-declaration.xml",
        "fuzz-second-xml-declaration-min.xml",
    ] {
        let bytes = fixture_at(&format!("hostile/{name}"));
        let outcome =
            std::panic::catch_unwind(|| feedbraid::parse::parse_feed(&bytes, &url).is_ok());
        assert!(outcome.is_ok(), "{name}: parse_feed panicked");
    }
}
