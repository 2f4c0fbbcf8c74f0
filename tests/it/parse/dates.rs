//! Dates are read strictly (RFC 3339, RFC 2822 as chrono reads them) and a document
//! with a date that fails is read again with feed-rs's own lenient parser: every
//! date comes out as feed-rs alone makes of it. Checked on hand-written odd dates and
//! on every date of both real corpora (`../shared/corpus`), each in an RSS item and
//! an Atom entry.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};

use super::parse_feed;
use crate::support::shared_corpus;

/// Dates feeds write that RFC 3339 and RFC 2822 refuse or read otherwise, and some
/// they take.
const ODD_DATES: &[&str] = &[
    "Sat, 05 Dec 2026 10:00:00 GMT",
    "Mon, 05 Dec 2026 10:00:00 GMT",
    "Thurs, 13 Jul 2011 07:38:00 GMT",
    "Saturday, 05 Dec 2026 10:00:00 +0000",
    "05 December 2026 10:00:00 +0000",
    "Dec 5 2026 10:00:00 GMT",
    "Sat, 05 Dec 2026 24:00:00 GMT",
    "Sat, 05 Dec 2026 9:00:00 GMT",
    "Sat, 5 Dec 2026 10:00 +0000",
    "Sat, 05 Dec 2026 10:00:00 UTC",
    "Sat, 05 Dec 2026 10:00:00 -0000",
    "Sat, 05 Dec 2026 10:00:00 EST",
    "Sat, 05 Dec 2026 10:00:00 Z",
    "Tue, 15 Nov 2022 20:15:04 Z",
    "2026-12-05T10:00:00Z",
    "2026-12-05T10:00:00.123456+01:00",
    "2026-12-05T10:00:00+0100",
    "2026-12-05t10:00:00z",
    "2026-12-05 10:00:00Z",
    "2026-12-05",
    "  2026-12-05T10:00:00Z  ",
    "Sat, 05 Dec 2026 10: 24:00 +0000",
    "05 Dec 2026 10:00:00 +0000 (\\Mon, )",
    "05 Dec 2026 10:00:00 +0000 (UTC)",
    "",
    "yesterday",
];

/// The dates `document` gives its entries, as feedbraid parses it and as feed-rs
/// alone does; `None` when feed-rs alone cannot read the document (a date with a
/// character XML forbids), so there is nothing to compare.
fn both_readings(document: &[u8]) -> Option<(Vec<Dates>, Vec<Dates>)> {
    let url = url::Url::parse("https://feeds.example/feed").unwrap();
    let dates = |entries: &[feed_rs::model::Entry]| -> Vec<Dates> {
        entries.iter().map(|e| (e.published, e.updated)).collect()
    };
    let theirs = dates(&feed_rs::parser::parse(document).ok()?.entries);
    assert_eq!(theirs.len(), 1, "{}", String::from_utf8_lossy(document));
    let ours = parse_feed(document, &url)
        .map(|feed| {
            feed.entries
                .iter()
                .map(|e| (e.published, e.updated))
                .collect()
        })
        .unwrap_or_default();
    Some((ours, theirs))
}

type Dates = (Option<DateTime<Utc>>, Option<DateTime<Utc>>);

fn escaped(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;")
}

/// `date` read from an RSS item and from an Atom entry: ours as feed-rs's. Whether
/// feed-rs alone read both documents (else nothing was compared).
fn assert_read_alike(date: &str) -> bool {
    let date = escaped(date);
    let rss = format!(
        "<rss version=\"2.0\"><channel><title>t</title><item><title>a</title>\
         <link>https://news.example/a</link><pubDate>{date}</pubDate></item></channel></rss>"
    );
    let Some((ours, theirs)) = both_readings(rss.as_bytes()) else {
        return false;
    };
    // RSS: feed-rs copies the published date into `updated`; feedbraid does not.
    let theirs: Vec<Dates> = theirs
        .into_iter()
        .map(|(published, _)| (published, None))
        .collect();
    assert_eq!(ours, theirs, "RSS pubDate {date:?}");
    let atom = format!(
        "<feed xmlns=\"http://www.w3.org/2005/Atom\"><title>t</title><id>urn:t</id>\
         <updated>{date}</updated><entry><title>a</title><id>urn:a</id>\
         <link href=\"https://news.example/a\"/><updated>{date}</updated>\
         <published>{date}</published></entry></feed>"
    );
    let Some((ours, theirs)) = both_readings(atom.as_bytes()) else {
        return false;
    };
    assert_eq!(ours, theirs, "Atom updated and published {date:?}");
    true
}

#[test]
fn odd_dates_are_read_as_feed_rs_reads_them() {
    for date in ODD_DATES {
        assert!(
            assert_read_alike(date),
            "feed-rs reads a document with {date:?}"
        );
    }
}

/// The text of every date element (and JSON Feed date) in the documents under `dir`.
fn dates_under(dir: &std::path::Path, dates: &mut BTreeSet<String>) {
    let element = regex::Regex::new(
        r"<(?:[a-zA-Z]+:)?(pubDate|date|updated|published|lastBuildDate|issued|modified|created)>([^<]*)</",
    )
    .unwrap();
    let json = regex::Regex::new(r#""date_(?:published|modified)"\s*:\s*"([^"]*)""#).unwrap();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            dates_under(&path, dates);
            continue;
        }
        let Ok(bytes) = std::fs::read(&path) else {
            continue;
        };
        let text = String::from_utf8_lossy(&bytes);
        for found in element.captures_iter(&text) {
            let raw = &found[2];
            // Element text as written: undo the escapes `assert_read_alike` adds back.
            dates.insert(raw.replace("&lt;", "<").replace("&amp;", "&"));
        }
        for found in json.captures_iter(&text) {
            dates.insert(found[1].to_string());
        }
    }
}

#[test]
fn every_date_of_the_real_corpora_is_read_as_feed_rs_reads_it() {
    let mut dates = BTreeSet::new();
    let mut unpacked = Vec::new();
    for name in ["realnews-syndicated.tar.xz", "feeds-robustness.tar.xz"] {
        let Some(dir) = shared_corpus::unpacked_or_skip(name) else {
            return;
        };
        dates_under(dir.path(), &mut dates);
        unpacked.push(dir);
    }
    assert!(dates.len() > 1_000, "{} dates", dates.len());
    let compared = dates.iter().filter(|date| assert_read_alike(date)).count();
    assert!(
        compared * 1_000 >= dates.len() * 999,
        "{compared} of {} dates compared",
        dates.len()
    );
}
