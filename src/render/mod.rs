//! Rendering output feeds, pure: writing an [`OutputFeed`] as RSS 2.0 ([`rss`]),
//! Atom 1.0 ([`atom`]) or JSON Feed 1.1 ([`json`]), plus the HTML status page
//! ([`html`]) and OPML ([`opml`]). Every writer is deterministic (the same feed gives
//! the same bytes, which the ETag hashes) and cleans every string of characters XML
//! 1.0 forbids. No I/O.

mod atom;
pub mod html;
mod json;
pub mod opml;
mod rss;

use crate::model::{AlsoRef, Enclosure, OutputFeed, OutputItem};
use crate::sanitize::clean_text;

/// An output format, chosen by the extension in `/feeds/NAME.EXT`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    Rss,
    Atom,
    Json,
}

impl Format {
    pub const ALL: [Format; 3] = [Format::Rss, Format::Atom, Format::Json];

    pub fn from_extension(ext: &str) -> Option<Format> {
        match ext {
            "rss" => Some(Format::Rss),
            "atom" => Some(Format::Atom),
            "json" => Some(Format::Json),
            _ => None,
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Format::Rss => "rss",
            Format::Atom => "atom",
            Format::Json => "json",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Format::Rss => "application/rss+xml; charset=utf-8",
            Format::Atom => "application/atom+xml; charset=utf-8",
            Format::Json => "application/feed+json; charset=utf-8",
        }
    }
}

/// Renders a feed in the given format.
pub fn render(feed: &OutputFeed, format: Format) -> Vec<u8> {
    match format {
        Format::Rss => self::rss::write_rss(feed),
        Format::Atom => self::atom::write_atom(feed),
        Format::Json => self::json::write_json(feed),
    }
}

/// The URL an output feed is served at in the given format.
pub fn feed_url(base_url: &str, name: &str, format: Format) -> String {
    format!("{base_url}/feeds/{name}.{}", format.extension())
}

/// The public home page of the service (`base_url` + `/`).
fn home_url(base_url: &str) -> String {
    format!("{base_url}/")
}

/// Room for `feed` written in any format: its items' HTML and half as much again (XML
/// escapes markup), and a few hundred bytes for each item's other fields and each
/// copy it names (twice in JSON Feed: in the body and in `_feedbraid`). A buffer
/// that outgrows its room is copied into one twice its size, holding both at once;
/// room left over costs nothing resident (pages never written are not mapped), and
/// the rendered bytes are kept at their length.
fn document_capacity(feed: &OutputFeed) -> usize {
    const PER_DOCUMENT: usize = 1024;
    const PER_ITEM: usize = 768;
    const PER_COPY: usize = 320;
    let item = |item: &OutputItem| {
        let html = [&item.content_html, &item.summary_html]
            .into_iter()
            .flatten()
            .map(String::len)
            .sum::<usize>();
        html + html / 2 + item.title.len() + PER_ITEM + PER_COPY * item.also.len()
    };
    PER_DOCUMENT + feed.items.iter().map(item).sum::<usize>()
}

/// The HTML body of an item for readers: its content (or, lacking one, its summary),
/// followed by the "Also reported by" block when other sources carried the story.
/// Cleaned of XML-forbidden characters; empty when the item has neither.
fn body_html(item: &OutputItem) -> String {
    let main = item
        .content_html
        .as_deref()
        .or(item.summary_html.as_deref())
        .map(clean_text)
        .unwrap_or_default();
    match also_reported_by_html(&item.also) {
        Some(block) if main.is_empty() => block,
        Some(block) => format!("{main}\n{block}"),
        None => main,
    }
}

/// `<p>Also reported by: <a href="…">Source</a>, …</p>`, or `None` without copies.
fn also_reported_by_html(also: &[AlsoRef]) -> Option<String> {
    if also.is_empty() {
        return None;
    }
    let names: Vec<String> = also
        .iter()
        .map(|copy| {
            let name = escape_html(&clean_text(display_name(&copy.source_title, &copy.source)));
            match copy.url.as_deref().map(clean_text) {
                Some(url) if is_web_url(&url) => format!(
                    "<a href=\"{}\" rel=\"noopener noreferrer\">{name}</a>",
                    escape_html(&url)
                ),
                _ => name,
            }
        })
        .collect();
    Some(format!("<p>Also reported by: {}</p>", names.join(", ")))
}

/// Whether `url` is an absolute http(s) URL, the only kind this module writes into an
/// `href` of HTML it builds itself (never `javascript:` and the like).
pub(crate) fn is_web_url(url: &str) -> bool {
    let url = url.trim_start();
    ["http://", "https://"].iter().any(|scheme| {
        url.get(..scheme.len())
            .is_some_and(|prefix| prefix.eq_ignore_ascii_case(scheme))
    })
}

/// A source's title, or its name when the title is blank.
/// Media RSS, for `media:content` and `media:thumbnail` in RSS and Atom.
const MEDIA_NAMESPACE: &str = "http://search.yahoo.com/mrss/";

/// An enclosure's MIME type: as given, else told by its file name's extension (RSS
/// requires one, and podcast apps choose what to play by it).
fn enclosure_type(enclosure: &Enclosure) -> String {
    if let Some(media_type) = &enclosure.media_type {
        return clean_text(media_type);
    }
    let path = url::Url::parse(&enclosure.url)
        .map(|url| url.path().to_ascii_lowercase())
        .unwrap_or_default();
    let extension = path.rsplit_once('.').map_or("", |(_, extension)| extension);
    match extension {
        "mp3" => "audio/mpeg",
        "m4a" | "aac" => "audio/mp4",
        "ogg" | "oga" | "opus" => "audio/ogg",
        "wav" => "audio/wav",
        "mp4" | "m4v" => "video/mp4",
        "webm" => "video/webm",
        "mov" => "video/quicktime",
        "jpg" | "jpeg" => "image/jpeg",
        "png" => "image/png",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "pdf" => "application/pdf",
        _ => "application/octet-stream",
    }
    .to_string()
}

fn display_name<'a>(title: &'a str, name: &'a str) -> &'a str {
    if title.trim().is_empty() { name } else { title }
}

/// Escapes text for HTML/XML text and double- or single-quoted attribute values.
pub(crate) fn escape_html(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            _ => escaped.push(c),
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            escape_html(r#"<a href="x">Tom & 'Jerry'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;Tom &amp; &#39;Jerry&#39;&lt;/a&gt;"
        );
    }

    #[test]
    fn a_news_feed_fits_the_room_reserved_for_it() {
        let paragraph = "<p>Talks resumed in <a href=\"https://example.com/doha\">Doha</a> \
                         on Wednesday, officials said; \"a deal\" is near &amp; close.</p>";
        let copy = |n: usize| AlsoRef {
            source: format!("outlet-{n}"),
            source_title: format!("Outlet number {n}"),
            url: Some(format!(
                "https://outlet{n}.example.com/world/2026/12/07/talks-resume"
            )),
            id: format!("urn:feedbraid:{n:032x}"),
        };
        let item = |n: usize| OutputItem {
            id: format!("urn:feedbraid:{n:032x}"),
            title: format!("Ceasefire talks resume in Doha, day {n}"),
            link: Some(format!("https://wire.example.com/world/{n}")),
            summary_html: Some(paragraph.to_string()),
            content_html: Some(paragraph.repeat(n % 7 + 1)),
            authors: vec!["A. Reporter".to_string()],
            categories: Vec::new(),
            links: Default::default(),
            date: chrono::DateTime::UNIX_EPOCH,
            updated: chrono::DateTime::UNIX_EPOCH,
            source: crate::model::SourceRef {
                name: "wire".to_string(),
                title: "The Wire".to_string(),
                url: "https://wire.example.com/rss".to_string(),
            },
            also: (0..n % 12).map(copy).collect(),
        };
        let feed = OutputFeed {
            name: "world".to_string(),
            title: "World".to_string(),
            description: "Every outlet".to_string(),
            base_url: "https://feeds.example.com".to_string(),
            updated: chrono::DateTime::UNIX_EPOCH,
            items: (0..50).map(item).collect(),
        };
        for format in Format::ALL {
            let written = render(&feed, format).len();
            assert!(
                written <= document_capacity(&feed),
                "{format:?}: {written} bytes, {} reserved",
                document_capacity(&feed)
            );
        }
    }

    #[test]
    fn only_web_urls_are_linked() {
        assert!(is_web_url("https://example.com/a"));
        assert!(is_web_url("HTTP://EXAMPLE.COM/"));
        assert!(!is_web_url("javascript:alert(1)"));
        assert!(!is_web_url("JaVaScRiPt:alert(1)"));
        assert!(!is_web_url("data:text/html,x"));
        assert!(!is_web_url("//example.com/x"));
        let also = [AlsoRef {
            source: "evil".to_string(),
            source_title: "Evil <b>".to_string(),
            url: Some("javascript:alert(1)".to_string()),
            id: "urn:x".to_string(),
        }];
        assert_eq!(
            also_reported_by_html(&also).as_deref(),
            Some("<p>Also reported by: Evil &lt;b&gt;</p>")
        );
    }
}
