//! The ingest core end to end: fixture feeds → `ParsedFeed`, identity keys, canonical
//! links, public ids, and the HTML sanitizing policy. See tests/fixtures/feeds/README.md.

pub use feedbraid::identity::{canonical_link, entry_key, public_id};
pub use feedbraid::model::{Category, Entry, ParsedFeed};
pub use feedbraid::parse::{
    MAX_CONTENT_BYTES, MAX_ITEMS, ParseError, parse_feed, parse_feed_with_notes,
};
pub use feedbraid::sanitize::{html_to_text, is_xml_char, sanitize_html};

mod dates;
mod feedparser_corpus;
mod formats;
mod identity;
mod limits;
mod media;
mod sanitizing;
mod simple_html;

/// The names of categories, for comparing with a list of strings.
pub fn names(categories: &[Category]) -> Vec<&str> {
    categories.iter().map(|c| c.name.as_str()).collect()
}

pub const FEEDS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/feeds");

/// Every fixture that parses into a feed.
pub const FEED_FIXTURES: [&str; 14] = [
    "rss2.xml",
    "rss2-edited.xml",
    "wire-copy.xml",
    "rss1.rdf",
    "atom.xml",
    "feed.json",
    "xss.xml",
    "xss-atom.xml",
    "xss.json",
    "no-guid.xml",
    "dup-guid.xml",
    "bad-bytes.xml",
    "latin1.xml",
    "entity-bomb.xml",
];

pub fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!("{FEEDS}/{name}")).unwrap()
}

pub fn url(text: &str) -> url::Url {
    url::Url::parse(text).unwrap()
}

pub fn source_url() -> url::Url {
    url("https://feeds.example/world/rss.xml")
}

pub fn parse(name: &str) -> ParsedFeed {
    parse_feed(&fixture(name), &source_url()).unwrap_or_else(|e| panic!("{name}: {e}"))
}

pub fn date(text: &str) -> chrono::DateTime<chrono::Utc> {
    text.parse().unwrap()
}

pub fn keys(feed: &ParsedFeed) -> Vec<&str> {
    feed.entries.iter().map(|e| e.key.as_str()).collect()
}

pub fn html_fields(entry: &Entry) -> impl Iterator<Item = &str> {
    entry
        .summary_html
        .iter()
        .chain(&entry.content_html)
        .map(String::as_str)
}

pub fn is_content_hash_hex(text: &str) -> bool {
    text.len() == 32 && text.bytes().all(|b| b.is_ascii_hexdigit())
}
