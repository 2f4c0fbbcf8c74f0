//! Python feedparser's own test documents (the `tests/` folder of its sdist, not kept
//! here: `FEEDBRAID_FEEDPARSER_SUITE` names it; .ci/run downloads and unpacks it):
//! we read at least 90 % of the items feedparser finds in them, overall and in the
//! well-formed and ill-formed parts each, and no entry of any of them, its sanitizer
//! cases included, carries active content. feedparser's counts come from the
//! installed feedparser, through tests/it/support/feedparser_counts.py.
//!
//! Without the variable, or without python3 and feedparser, the test says why and
//! skips, except under CI (`CI=true`), where it fails.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::*;

const SUITE_VARIABLE: &str = "FEEDBRAID_FEEDPARSER_SUITE";
/// The share of feedparser's items we must read.
const MIN_SHARE: f64 = 0.90;
/// Fewer items than this in feedparser's counts means the folder is not its tests/.
const MIN_SUITE_ITEMS: usize = 1000;
/// Elements that must never come out of sanitizing.
const ACTIVE_ELEMENTS: [&str; 17] = [
    "script", "style", "iframe", "object", "embed", "applet", "frame", "frameset", "form", "input",
    "meta", "link", "base", "svg", "math", "noscript", "template",
];
/// URL schemes that run code when followed.
const ACTIVE_SCHEMES: [&str; 3] = ["javascript:", "vbscript:", "data:"];

fn under_ci() -> bool {
    std::env::var("CI").is_ok_and(|value| value == "true")
}

/// Skips the test (returns `None`) with `reason`, or fails under CI.
fn skip<T>(reason: &str) -> Option<T> {
    assert!(!under_ci(), "{reason}; CI=true requires it");
    eprintln!("SKIPPED: {reason}");
    None
}

fn suite_folder() -> Option<PathBuf> {
    let Some(folder) = std::env::var_os(SUITE_VARIABLE) else {
        return skip(&format!(
            "{SUITE_VARIABLE} is not set; set it to the tests/ folder of the unpacked \
             feedparser 6.0.11 sdist (`python3 -m pip download --no-deps --no-binary :all: \
             feedparser==6.0.11`)"
        ));
    };
    let folder = PathBuf::from(folder);
    assert!(
        folder.is_dir(),
        "{SUITE_VARIABLE}={} is not a folder",
        folder.display()
    );
    Some(folder)
}

/// feedparser's entry count for every document under `folder`, by relative path.
fn feedparser_counts(folder: &Path) -> Option<BTreeMap<String, usize>> {
    let script =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/support/feedparser_counts.py");
    let output = match Command::new("python3").arg(&script).arg(folder).output() {
        Ok(output) => output,
        Err(error) => return skip(&format!("python3 is not installed ({error})")),
    };
    if !output.status.success() {
        return skip(&format!(
            "python3 with feedparser is not usable ({}): {}; install it with \
             `pip install 'feedparser>=6,<7'`",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    let counts = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|error| panic!("feedparser_counts.py printed no count map: {error}"));
    Some(counts)
}

/// Where a document's items are counted: `wellformed`, `illformed`, or `other`.
fn part(relative: &str) -> &'static str {
    match relative.split('/').next() {
        Some("wellformed") => "wellformed",
        Some("illformed") => "illformed",
        _ => "other",
    }
}

/// What in one entry (or the feed) would run in a reader: active elements, event
/// handlers, `style` attributes or code-running URLs in tags of the sanitized HTML,
/// tags in plain-text fields, and links that are not http(s).
fn active_content(feed: &ParsedFeed) -> Vec<String> {
    let mut found = Vec::new();
    let mut plain = |field: &str, text: &str| {
        let lower = text.to_lowercase();
        if ACTIVE_ELEMENTS
            .iter()
            .any(|name| lower.contains(&format!("<{name}")))
        {
            found.push(format!("{field} holds a tag: {text:?}"));
        }
    };
    plain("feed title", feed.title.as_deref().unwrap_or(""));
    for entry in &feed.entries {
        plain("title", &entry.title);
        for author in &entry.authors {
            plain("author", author);
        }
        for category in &entry.categories {
            plain("category", &category.name);
        }
    }
    let item_links = feed.entries.iter().flat_map(|e| {
        e.link
            .iter()
            .chain(e.links.enclosures.iter().map(|enclosure| &enclosure.url))
            .chain(&e.links.image)
            .chain(&e.links.comments)
            .chain(e.categories.iter().flat_map(|c| &c.scheme))
    });
    let links = feed.site_link.iter().chain(item_links);
    for link in links {
        if !(link.starts_with("http://") || link.starts_with("https://")) {
            found.push(format!("link {link:?}"));
        }
    }
    for html in feed.entries.iter().flat_map(html_fields) {
        found.extend(active_tags(html).map(|problem| format!("{problem} in {html:?}")));
    }
    found
}

/// The active parts of sanitized HTML's tags (its text has `<` escaped, so every
/// `<` left starts a tag).
fn active_tags(html: &str) -> impl Iterator<Item = String> + '_ {
    html.split('<').skip(1).filter_map(|rest| {
        let tag = rest.split('>').next().unwrap_or("").to_lowercase();
        let name = tag
            .trim_start_matches('/')
            .split(|c: char| c.is_whitespace() || c == '/')
            .next()
            .unwrap_or("");
        if ACTIVE_ELEMENTS.contains(&name) {
            return Some(format!("<{name}>"));
        }
        let attributes = tag.split_whitespace().skip(1);
        let handler = attributes
            .clone()
            .find(|attribute| attribute.starts_with("on") || attribute.starts_with("style"));
        if let Some(attribute) = handler {
            return Some(format!("attribute {attribute}"));
        }
        let squeezed: String = tag.chars().filter(|c| !c.is_whitespace()).collect();
        ACTIVE_SCHEMES
            .iter()
            .find(|scheme| squeezed.contains(&format!("=\"{scheme}")))
            .map(|scheme| format!("a {scheme} URL"))
    })
}

#[test]
fn feedparser_suite_items_are_read_and_active_content_never_passes() {
    let Some(folder) = suite_folder() else {
        return;
    };
    let Some(theirs) = feedparser_counts(&folder) else {
        return;
    };
    let feed_url = url("http://example.com/feed");
    // Per part: (items feedparser finds, of those we read too).
    let mut tally: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    let mut lost = Vec::new();
    let mut active = Vec::new();
    for (relative, &their_count) in &theirs {
        let bytes = std::fs::read(folder.join(relative))
            .unwrap_or_else(|error| panic!("{relative}: {error}"));
        let (our_count, error) = match parse_feed(&bytes, &feed_url) {
            Ok(feed) => {
                active.extend(
                    active_content(&feed)
                        .into_iter()
                        .map(|problem| format!("{relative}: {problem}")),
                );
                (feed.entries.len(), String::new())
            }
            Err(error) => (0, error.to_string()),
        };
        let read = our_count.min(their_count);
        for key in [part(relative), "overall"] {
            let (theirs, ours) = tally.entry(key).or_default();
            *theirs += their_count;
            *ours += read;
        }
        if read < their_count {
            lost.push(format!("{relative}: {read} of {their_count} {error}"));
        }
    }
    for (part, (theirs, ours)) in &tally {
        eprintln!(
            "feedparser suite, {part}: {ours} of {theirs} items ({:.1} %)",
            100.0 * *ours as f64 / (*theirs).max(1) as f64
        );
    }
    for line in &lost {
        eprintln!("  lost: {line}");
    }
    assert!(
        active.is_empty(),
        "active content got through:\n{}",
        active.join("\n")
    );
    let (total, _) = tally.get("overall").copied().unwrap_or_default();
    assert!(
        total >= MIN_SUITE_ITEMS,
        "feedparser finds only {total} items under {}: is it the sdist's tests/ folder?",
        folder.display()
    );
    for part in ["overall", "wellformed", "illformed"] {
        let (theirs, ours) = tally.get(part).copied().unwrap_or_default();
        assert!(
            ours as f64 >= MIN_SHARE * theirs as f64,
            "{part}: we read {ours} of feedparser's {theirs} items, under {MIN_SHARE}"
        );
    }
}
