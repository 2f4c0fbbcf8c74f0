//! Parsing fetched bytes into a normalized [`ParsedFeed`] with feed-rs: RSS 0.9x/1.0/2.0,
//! Atom and JSON Feed. Each entry gets its identity key, absolute links, sanitized
//! HTML and clean text here, so everything downstream handles one shape. Pure.
//!
//! - [`document`]: what is looked at before feed-rs, and repaired when it refuses a
//!   document: gzip, HTML pages (and a feed one wraps), the `<rss>` root, empty Media
//!   RSS text elements.
//! - [`charset`]: the encoding a document is read in: the HTTP charset before the
//!   XML declaration, invalid UTF-8, undeclared legacy text.
//! - [`recover`]: a lenient pass that makes an ill-formed XML document well-formed
//!   (stray `&` and `<` escaped, unclosed elements closed, a document cut short ended).
//! - [`cdata`]: runs of text that hold references (an escaped HTML summary) handed
//!   to feed-rs as CDATA with them resolved: it reads them into the same strings,
//!   without an event per reference.
//! - [`structure`]: RSS items outside a `<channel>`, RSS 1.0 items whose link is only
//!   their `rdf:about`.
//! - [`atom`]: Atom 0.3 read as 1.0, and text constructs whose type feed-rs refuses
//!   (base64 among them).
//! - [`entry`]: one feed-rs entry → one [`crate::model::Entry`].
//! - [`article`]: an item's article page → its new content, prepared as an entry's.
//! - [`json`]: JSON Feed documents feed-rs refuses whole (a 1.0 version URL, a field
//!   of the wrong type), repaired field by field.
//!
//! Hostile documents: quick-xml (under feed-rs) never expands DTD entities and never
//! reads external ones (an undefined `&name;` stays literal text), and it walks
//! nesting iteratively, so entity bombs, XXE and deep nesting end quickly.

pub mod article;
mod atom;
mod cdata;
mod charset;
mod document;
mod entry;
mod images;
mod json;
mod known;
mod recover;
mod structure;

use std::borrow::Cow;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use chrono::{DateTime, Utc};
use feed_rs::model::{Feed, FeedType};

use crate::content_rules::SourceRules;
use crate::identity::{self, KeyCandidate};
use crate::membership::WordsRecipe;
use crate::model::ParsedFeed;
pub use known::KnownContent;

/// Bytes a gzip-compressed body (sent without saying so) may expand to.
pub const MAX_GUNZIPPED_BYTES: usize = 16 << 20;
/// Items kept from one document; the rest are dropped (and logged).
pub const MAX_ITEMS: usize = 10_000;
/// Bytes of HTML kept per summary or content; longer ones are cut at a character
/// boundary before sanitizing (and logged).
pub const MAX_CONTENT_BYTES: usize = 512 * 1024;

/// Why a document could not be read as a feed.
#[derive(Debug, thiserror::Error)]
pub enum ParseError {
    /// The body is an HTML page (a captcha, an error page), not a feed.
    #[error("expected a feed but got an HTML page")]
    HtmlPage,
    #[error("not a feed: {0}")]
    Invalid(String),
}

/// What parsing had to repair or cut, besides the result (each is also logged).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ParseNotes {
    /// The document held invalid UTF-8; it was read with those bytes replaced by U+FFFD.
    pub repaired_encoding: bool,
    /// A JSON Feed was read only after naming its version 1.1 or dropping fields (or
    /// items) of the wrong type.
    pub repaired_json: bool,
    /// The document was ill-formed XML (a stray `&`, an unclosed element, cut short),
    /// held items outside a channel, or Atom text of a type feed-rs refuses; it was
    /// read after the lenient pass of [`recover`] and the repairs of [`structure`]
    /// and [`atom`].
    pub repaired_markup: bool,
    /// Items beyond [`MAX_ITEMS`] that were dropped.
    pub dropped_items: usize,
    /// Items left out by the source's `keep_if`/`drop_if`.
    pub dropped_by_rules: usize,
    /// Summaries or contents cut to [`MAX_CONTENT_BYTES`] (or dropped when sanitizing
    /// made them longer again).
    pub capped_fields: usize,
}

/// Parses a feed document fetched from `feed_url` (used to resolve relative links).
pub fn parse_feed(bytes: &[u8], feed_url: &url::Url) -> Result<ParsedFeed, ParseError> {
    parse_feed_with_notes(bytes, feed_url).map(|(feed, _notes)| feed)
}

/// [`parse_feed`], also preparing every entry's words for topic filters
/// ([`crate::model::Entry::prepared_words`]) when `recipe` says whose they are.
///
/// `http_charset` is the `charset` the document was served with, which comes before
/// the XML declaration (see [`charset`]).
pub fn parse_feed_for(
    bytes: &[u8],
    feed_url: &url::Url,
    http_charset: Option<&str>,
    recipe: Option<&WordsRecipe>,
) -> Result<ParsedFeed, ParseError> {
    parse_document(
        bytes,
        feed_url,
        http_charset,
        SourceParsing {
            recipe,
            ..SourceParsing::default()
        },
    )
    .map(|(feed, _notes)| feed)
}

/// [`parse_feed_for`] with a source's content rules applied to every entry: entries
/// that `keep_if`/`drop_if` turn away are left out. Entries whose content hash is
/// in `known` (what the source served at its last poll) are left without what
/// only a new or edited item needs ([`KnownContent`]).
pub fn parse_feed_with_rules(
    bytes: &[u8],
    feed_url: &url::Url,
    http_charset: Option<&str>,
    recipe: Option<&WordsRecipe>,
    rules: Option<&SourceRules>,
    known: Option<&KnownContent>,
) -> Result<(ParsedFeed, ParseNotes), ParseError> {
    let source = SourceParsing {
        recipe,
        rules,
        known,
    };
    parse_document(bytes, feed_url, http_charset, source)
}

/// [`parse_feed`], also saying what had to be repaired or cut.
pub fn parse_feed_with_notes(
    bytes: &[u8],
    feed_url: &url::Url,
) -> Result<(ParsedFeed, ParseNotes), ParseError> {
    parse_document(bytes, feed_url, None, SourceParsing::default())
}

/// What parsing is given of the document's source.
#[derive(Clone, Copy, Default)]
struct SourceParsing<'a> {
    /// Whose words to prepare for topic filters.
    recipe: Option<&'a WordsRecipe>,
    /// The source's content rules.
    rules: Option<&'a SourceRules>,
    /// The content the source served at its last stored poll.
    known: Option<&'a KnownContent>,
}

fn parse_document(
    bytes: &[u8],
    feed_url: &url::Url,
    http_charset: Option<&str>,
    source: SourceParsing<'_>,
) -> Result<(ParsedFeed, ParseNotes), ParseError> {
    let gunzipped = match document::gunzip(bytes, MAX_GUNZIPPED_BYTES) {
        Some(Ok(body)) => Some(body),
        Some(Err(error)) => return Err(ParseError::Invalid(error.to_string())),
        None => None,
    };
    let mut bytes = gunzipped.as_deref().unwrap_or(bytes);
    if document::looks_like_html_page(bytes) {
        // A page that wraps a whole feed element is read as that feed.
        let wrapped = document::embedded_feed(bytes)
            .filter(|feed| read_feed(feed, feed_url).is_ok_and(|f| !f.entries.is_empty()));
        bytes = wrapped.ok_or(ParseError::HtmlPage)?;
    }
    let decoded = http_charset.and_then(|label| charset::by_http_charset(bytes, label));
    let bytes = decoded.as_deref().unwrap_or(bytes);
    let repaired_root = document::repair_rss_root(bytes).or_else(|| atom::as_1_0(bytes));
    let bytes = repaired_root.as_deref().unwrap_or(bytes);
    let mut notes = ParseNotes::default();
    // The JSON a feed was read from, when repaired, for what feed-rs does not keep.
    let mut repaired_json = None;
    let feed = match read_feed(bytes, feed_url) {
        Ok(feed) => feed,
        Err(error) => {
            // Repairs, each applied on top of the one before, then one more read.
            let invalid = || ParseError::Invalid(error.to_string());
            let mut readable = Cow::Borrowed(bytes);
            if let Some(text) = charset::replace_invalid_utf8(&readable) {
                tracing::warn!(feed = %feed_url, %error, "feed holds invalid UTF-8; read with replacement characters");
                notes.repaired_encoding = true;
                readable = Cow::Owned(text.into_bytes());
            }
            if let Some(cleaned) = document::without_empty_media_text(&readable) {
                tracing::warn!(feed = %feed_url, %error, "feed holds empty Media RSS text elements; read without them");
                readable = Cow::Owned(cleaned);
            }
            if let Some(repaired) = repair_markup(&readable) {
                tracing::warn!(feed = %feed_url, %error, "feed is ill-formed XML or misplaces elements; read after a lenient pass");
                notes.repaired_markup = true;
                readable = Cow::Owned(repaired);
            }
            let read_again = match &readable {
                // A guess at an ill-formed document's markup has to pay off in items;
                // one that yields none leaves the document's own error standing.
                Cow::Owned(repaired) => read_feed(repaired, feed_url)
                    .ok()
                    .filter(|feed| !notes.repaired_markup || !feed.entries.is_empty()),
                Cow::Borrowed(_) => None,
            };
            match read_again {
                Some(feed) => feed,
                None if json::is_json(&readable) => {
                    let accepts = |bytes: &[u8]| read_feed(bytes, feed_url).is_ok();
                    let repaired = json::repair(&readable, accepts).ok_or_else(invalid)?;
                    let feed = read_feed(&repaired, feed_url).map_err(|_| invalid())?;
                    tracing::warn!(feed = %feed_url, %error, "JSON Feed read after repairing its version or fields of the wrong type");
                    notes.repaired_json = true;
                    repaired_json = Some(repaired);
                    feed
                }
                None => return Err(invalid()),
            }
        }
    };
    let (document_base, images) = match feed.feed_type {
        FeedType::JSON => (
            None,
            json::item_images(repaired_json.as_deref().unwrap_or(bytes)),
        ),
        _ => (
            document::root_xml_base(bytes).and_then(|base| feed_url.join(&base).ok()),
            Some(images::item_images(bytes))
                .filter(|images| images.len() == feed.entries.len())
                .unwrap_or_default(),
        ),
    };
    let parsed = normalize(
        feed,
        feed_url,
        document_base.as_ref(),
        &images,
        source,
        &mut notes,
    );
    Ok((parsed, notes))
}

/// An XML document through the lenient pass of [`recover`], then with items under an
/// unknown root or outside a channel given an RSS root and channel, and Atom text constructs typed as feed-rs reads them; `None`
/// when it is not XML or none of these changes it.
fn repair_markup(bytes: &[u8]) -> Option<Vec<u8>> {
    let start = bytes
        .strip_prefix(b"\xEF\xBB\xBF")
        .unwrap_or(bytes)
        .trim_ascii_start();
    if !start.starts_with(b"<") {
        return None;
    }
    let recovered = recover::recover(bytes);
    let bytes = recovered.as_deref().unwrap_or(bytes);
    let rooted = structure::items_under_unknown_root(bytes);
    let bytes = rooted.as_deref().unwrap_or(bytes);
    let channeled = structure::rss_channel(bytes);
    let bytes = channeled.as_deref().unwrap_or(bytes);
    let typed = atom::text_types(bytes);
    typed.or(channeled).or(rooted).or(recovered)
}

/// feed-rs over the raw bytes (it honours the declared encoding), with no generated
/// ids (an id-less entry keeps an empty id) and no sanitizing of its own. RSS 1.0
/// items without a link are given theirs from `rdf:about` first: feed-rs drops them.
/// Text that holds references reaches it as CDATA ([`cdata`]).
///
/// Dates are read as chrono reads RFC 3339 and RFC 2822 ([`strict_timestamp`]):
/// feed-rs's own parser first runs a dozen regex repairs over every date (a few
/// percent of a poll's CPU). Those repairs leave the instant of a date the strict
/// reading takes as it is: they only change what chrono refuses (a weekday that
/// does not match, a long month name, `24:` hours, a missing offset), and the
/// strict reading refuses the two shapes where chrono is laxer than the repairs'
/// patterns assume. A document with a date the strict reading refuses is read
/// again, whole, with feed-rs's own parser, so its dates are exactly what feed-rs
/// makes of them.
///
/// A parser panic on hostile input (quick-xml 0.42 panics on a second XML declaration
/// that names an encoding) is caught and reported as an invalid document: nothing a
/// source sends may take down the caller.
fn read_feed(bytes: &[u8], feed_url: &url::Url) -> Result<Feed, feed_rs::parser::ParseFeedError> {
    let linked = structure::rdf_item_links(bytes);
    let bytes = document::space_out_emails(linked.as_deref().unwrap_or(bytes));
    match cdata::references_as_cdata(&bytes) {
        // A refusal is read from the document itself: its error names a place in it.
        Some(resolved) => {
            read_with_dates(&resolved, feed_url).or_else(|_| read_with_dates(&bytes, feed_url))
        }
        None => read_with_dates(&bytes, feed_url),
    }
}

/// feed-rs over `bytes` with the strict dates of [`read_feed`], and feed-rs's own
/// when the strict reading refuses one.
fn read_with_dates(
    bytes: &[u8],
    feed_url: &url::Url,
) -> Result<Feed, feed_rs::parser::ParseFeedError> {
    let refused = Arc::new(AtomicBool::new(false));
    let parse = |strict_dates: bool| {
        let builder = feed_rs::parser::Builder::new()
            .base_uri(Some(feed_url.as_str()))
            .id_generator(|_links, _title, _base| String::new())
            .sanitize_content(false);
        let builder = if strict_dates {
            let refused = Arc::clone(&refused);
            builder.timestamp_parser(move |text| {
                let date = strict_timestamp(text);
                if date.is_none() {
                    refused.store(true, Ordering::Relaxed);
                }
                date
            })
        } else {
            builder
        };
        let read = || builder.build().parse(bytes);
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(read)).unwrap_or(Err(
            feed_rs::parser::ParseFeedError::ParseError(
                feed_rs::parser::ParseErrorKind::NoFeedRoot,
            ),
        ))
    };
    let read = parse(true);
    // A date read otherwise never turns a document's error into a feed.
    if read.is_ok() && refused.load(Ordering::Relaxed) {
        return parse(false);
    }
    read
}

/// A date as chrono reads RFC 3339, else RFC 2822, with nothing repaired. Refused:
/// whitespace after a colon and comments, which chrono's RFC 2822 reading skips
/// but feed-rs's repairs would rewrite (`10: 24:00` as `10: 00:00`, a weekday name
/// inside a comment removed).
fn strict_timestamp(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    let laxer_than_the_repairs = text.contains('(')
        || text
            .as_bytes()
            .windows(2)
            .any(|pair| pair[0] == b':' && pair[1].is_ascii_whitespace());
    if laxer_than_the_repairs {
        return None;
    }
    DateTime::parse_from_rfc3339(text)
        .or_else(|_| DateTime::parse_from_rfc2822(text))
        .ok()
        .map(|date| date.with_timezone(&Utc))
}

fn normalize(
    mut feed: Feed,
    feed_url: &url::Url,
    document_base: Option<&url::Url>,
    images: &[Option<String>],
    SourceParsing {
        recipe,
        rules,
        known,
    }: SourceParsing<'_>,
    notes: &mut ParseNotes,
) -> ParsedFeed {
    if feed.entries.len() > MAX_ITEMS {
        notes.dropped_items = feed.entries.len() - MAX_ITEMS;
        tracing::warn!(feed = %feed_url, items = feed.entries.len(), kept = MAX_ITEMS, "too many items; the rest are dropped");
        feed.entries.truncate(MAX_ITEMS);
    }
    let context = entry::Context {
        feed_url,
        document_base,
        is_rss: matches!(
            feed.feed_type,
            FeedType::RSS0 | FeedType::RSS1 | FeedType::RSS2
        ),
        updated_mirrors_published: feed.feed_type == FeedType::RSS2,
        inherits_feed_authors: feed.feed_type == FeedType::Atom,
        is_json: feed.feed_type == FeedType::JSON,
        feed_authors: &feed.authors,
        recipe,
        rules: rules.filter(|rules| !rules.rules.is_empty()),
        known,
    };
    let mut entries = Vec::with_capacity(feed.entries.len());
    let mut admitted = Vec::with_capacity(feed.entries.len());
    let mut candidates = Vec::with_capacity(feed.entries.len());
    for (index, raw) in feed.entries.iter().enumerate() {
        let image = images.get(index).and_then(Option::as_deref);
        let normalized = entry::normalize_entry(raw, image, &context, &mut notes.capped_fields);
        // An item with no page link (a podcast episode that is only its file) is
        // known by its first media file: its title and text may be empty or edited.
        let key_link = normalized.entry.canonical_link.clone().or_else(|| {
            let file = normalized.entry.links.enclosures.first()?;
            identity::canonical_link(&file.url)
        });
        candidates.push(KeyCandidate {
            key: identity::entry_key(
                normalized.entry.guid.as_deref(),
                key_link.as_deref(),
                &normalized.entry.title,
                &normalized.visible_text,
            ),
            canonical_link: key_link,
            title: normalized.entry.title.clone(),
            content: normalized.visible_text,
        });
        entries.push(normalized.entry);
        admitted.push(normalized.admitted);
    }
    for (entry, key) in entries
        .iter_mut()
        .zip(identity::disambiguate_keys(&candidates))
    {
        entry.key = key;
    }
    // Left out after the keys are given, so a kept entry's key does not depend on
    // what the rules turned away.
    if admitted.contains(&false) {
        let mut admitted = admitted.into_iter();
        entries.retain(|_| admitted.next().unwrap_or(true));
        notes.dropped_by_rules = candidates.len() - entries.len();
        tracing::debug!(feed = %feed_url, dropped = notes.dropped_by_rules, "items left out by keep_if/drop_if");
    }
    ParsedFeed {
        title: feed
            .title
            .as_ref()
            .map(entry::text_of)
            .filter(|title| !title.is_empty()),
        site_link: entry::page_link(&feed.links, feed_url).map(String::from),
        ttl_minutes: feed.ttl,
        entries,
    }
}
