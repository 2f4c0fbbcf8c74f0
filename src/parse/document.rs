//! The document before feed-rs sees it: a gzip-compressed body not declared as such,
//! recognising an HTML page served in place of a feed, repairing invalid UTF-8 so the rest of a document can still be read, the
//! root element's `xml:base`, which feed-rs applies to links but does not report, and
//! a space between an e-mail address and a non-ASCII character touching it, which
//! feed-rs cannot parse in an author.

use std::borrow::Cow;

use quick_xml::XmlVersion;
use quick_xml::events::Event;

/// UTF-8 byte order mark.
pub(super) const BOM: &[u8] = b"\xEF\xBB\xBF";
/// The gzip magic number.
const GZIP_MAGIC: &[u8] = b"\x1F\x8B";

/// Why a gzip-compressed body could not be read.
#[derive(Debug, thiserror::Error)]
pub(super) enum GunzipError {
    #[error("gzip-compressed body expands past {limit} bytes")]
    TooLarge { limit: usize },
    #[error("gzip-compressed body is corrupt: {0}")]
    Corrupt(std::io::Error),
}

/// The body decompressed, when it is gzip-compressed (a server or a file that sent
/// it so without saying so in Content-Encoding); at most `limit` bytes, so a small
/// bomb cannot fill memory. `None` when it is not gzip.
pub(super) fn gunzip(bytes: &[u8], limit: usize) -> Option<Result<Vec<u8>, GunzipError>> {
    use std::io::Read;
    if !bytes.starts_with(GZIP_MAGIC) {
        return None;
    }
    let mut out = Vec::new();
    let reader = flate2::read::MultiGzDecoder::new(bytes);
    let read = reader.take(limit as u64 + 1).read_to_end(&mut out);
    Some(match read {
        Err(error) => Err(GunzipError::Corrupt(error)),
        Ok(_) if out.len() > limit => Err(GunzipError::TooLarge { limit }),
        Ok(_) => Ok(out),
    })
}

/// Whether the body is an HTML page (a captcha, an error page): after a BOM,
/// whitespace, comments and processing instructions, it starts with `<!DOCTYPE html`
/// or `<html`.
pub(super) fn looks_like_html_page(bytes: &[u8]) -> bool {
    let mut rest = bytes.strip_prefix(BOM).unwrap_or(bytes);
    loop {
        rest = rest.trim_ascii_start();
        let closer: &[u8] = if rest.starts_with(b"<!--") {
            b"-->"
        } else if rest.starts_with(b"<?") {
            b"?>"
        } else {
            break;
        };
        match find(rest, closer) {
            Some(at) => rest = &rest[at + closer.len()..],
            None => return false,
        }
    }
    starts_with_tag(rest, b"<!doctype html") || starts_with_tag(rest, b"<html")
}

/// The feed element an HTML page wraps whole (`<html><body><feed xmlns=…>…</feed>`,
/// as some blogs served their Atom feed): from its start tag to its end tag, when
/// the page holds an Atom `<feed` or an RSS `<rss`/`<rdf:RDF` element and its end.
pub(super) fn embedded_feed(bytes: &[u8]) -> Option<&[u8]> {
    [
        (&b"<feed"[..], &b"</feed>"[..]),
        (b"<rss", b"</rss>"),
        (b"<rdf:RDF", b"</rdf:RDF>"),
    ]
    .into_iter()
    .find_map(|(open, close)| {
        let start = (0..bytes.len().saturating_sub(open.len())).find(|&at| {
            bytes[at..].starts_with(open)
                && bytes
                    .get(at + open.len())
                    .is_some_and(|&next| next.is_ascii_whitespace() || next == b'>')
        })?;
        let end = bytes
            .windows(close.len())
            .rposition(|window| window == close)?;
        (end > start).then(|| &bytes[start..end + close.len()])
    })
}

/// RSS versions feed-rs reads as they are; any other (none, `0.9`, `2.01`) is read
/// as 2.0, which the 0.9x versions are a subset of.
const READABLE_RSS_VERSIONS: &[&[u8]] = &[b"0.91", b"0.92", b"2.0"];

/// The document with its `<rss>` root start tag repaired, `None` when it needs
/// nothing: a default namespace dropped (`xmlns="http://backend.userland.com/rss2"`,
/// as some Russian portals write it: RSS 2.0 has none, and feed-rs finds no items
/// under one), and a missing or unknown `version` made `2.0` (feed-rs refuses the
/// whole document otherwise).
pub(super) fn repair_rss_root(bytes: &[u8]) -> Option<Vec<u8>> {
    let head = &bytes[..bytes.len().min(4096)];
    let root = (0..head.len()).find(|&at| {
        head[at..].starts_with(b"<rss")
            && head
                .get(at + 4)
                .is_some_and(|&next| next.is_ascii_whitespace() || next == b'>' || next == b'/')
    })?;
    let tag_end = root + find(&head[root..], b">")?;
    let tag = &head[root..tag_end];
    let mut attributes = attributes(&tag[4..]);
    let before = attributes.len();
    attributes.retain(|(name, _)| name != b"xmlns");
    let version = attributes.iter().find(|(name, _)| name == b"version");
    let readable = version.is_some_and(|(_, value)| READABLE_RSS_VERSIONS.contains(&&value[..]));
    if readable && attributes.len() == before {
        return None;
    }
    attributes.retain(|(name, _)| name != b"version");
    let mut out = Vec::with_capacity(bytes.len() + 16);
    out.extend_from_slice(&bytes[..root]);
    out.extend_from_slice(b"<rss version=\"2.0\"");
    for (name, value) in &attributes {
        out.push(b' ');
        out.extend_from_slice(name);
        out.extend_from_slice(b"=\"");
        out.extend_from_slice(value);
        out.push(b'"');
    }
    if tag.ends_with(b"/") {
        out.push(b'/');
    }
    out.extend_from_slice(&bytes[tag_end..]);
    Some(out)
}

/// The `name="value"` (or `'value'`) attributes of a start tag's inside, in order;
/// values never hold their own quote character, so `"` is safe to write them back in
/// unless a single-quoted value holds one (then that attribute is left out).
pub(super) fn attributes(mut rest: &[u8]) -> Vec<(Vec<u8>, Vec<u8>)> {
    let mut out = Vec::new();
    loop {
        rest = rest.trim_ascii_start();
        let Some(eq) = rest.iter().position(|&b| b == b'=') else {
            return out;
        };
        let name = rest[..eq].trim_ascii().to_vec();
        rest = rest[eq + 1..].trim_ascii_start();
        let Some(&quote) = rest.first().filter(|&&q| q == b'"' || q == b'\'') else {
            return out;
        };
        let Some(end) = rest[1..].iter().position(|&b| b == quote) else {
            return out;
        };
        let value = rest[1..1 + end].to_vec();
        if !value.contains(&b'"') {
            out.push((name, value));
        }
        rest = &rest[end + 2..];
    }
}

/// Media RSS elements that hold only text; feed-rs refuses a whole document over
/// one of them left empty (`<media:title type="html"></media:title>`,
/// `<media:description />`).
const MEDIA_TEXT_ELEMENTS: &[&[u8]] = &[
    b"title",
    b"description",
    b"keywords",
    b"credit",
    b"copyright",
    b"text",
    b"category",
    b"comment",
];

/// The document without its empty Media RSS text elements (which say nothing), or
/// `None` when it has none. Prothom Alo's feed and a 2015 New York Times feed were
/// refused whole over them ("missing text at position …").
pub(super) fn without_empty_media_text(bytes: &[u8]) -> Option<Vec<u8>> {
    let mut cuts: Vec<(usize, usize)> = Vec::new();
    let mut from = 0;
    while let Some(at) = memchr::memmem::find(&bytes[from..], b"<media:") {
        let start = from + at;
        from = start + 7;
        let name_len = bytes[from..]
            .iter()
            .take_while(|&&b| b.is_ascii_alphanumeric())
            .count();
        let name = &bytes[from..from + name_len];
        if !MEDIA_TEXT_ELEMENTS.contains(&name) {
            continue;
        }
        let Some(tag_end) = memchr::memchr(b'>', &bytes[from..]).map(|at| from + at + 1) else {
            break;
        };
        if bytes[..tag_end].ends_with(b"/>") {
            cuts.push((start, tag_end));
            continue;
        }
        let rest = &bytes[tag_end..];
        let blank = rest.iter().take_while(|b| b.is_ascii_whitespace()).count();
        let close = [&b"</media:"[..], name, b">"].concat();
        if rest[blank..].starts_with(&close) {
            cuts.push((start, tag_end + blank + close.len()));
        }
    }
    if cuts.is_empty() {
        return None;
    }
    let mut out = Vec::with_capacity(bytes.len());
    let mut kept = 0;
    for (start, end) in cuts {
        out.extend_from_slice(&bytes[kept..start]);
        kept = end;
    }
    out.extend_from_slice(&bytes[kept..]);
    Some(out)
}

/// `bytes` starts with `tag` (ASCII case-insensitive) followed by the end of the name.
pub(super) fn starts_with_tag(bytes: &[u8], tag: &[u8]) -> bool {
    bytes.len() >= tag.len()
        && bytes[..tag.len()].eq_ignore_ascii_case(tag)
        && bytes
            .get(tag.len())
            .is_none_or(|&next| next.is_ascii_whitespace() || next == b'>' || next == b'/')
}

/// Length of the start tag `rest` starts with, through its `>` (outside quotes).
pub(super) fn start_tag_len(rest: &[u8]) -> Option<usize> {
    let mut at = 0;
    loop {
        at += memchr::memchr3(b'>', b'"', b'\'', &rest[at..])?;
        let quote = rest[at];
        if quote == b'>' {
            return Some(at + 1);
        }
        at += 1 + memchr::memchr(quote, &rest[at + 1..])? + 1;
    }
}

/// Where `needle` first occurs in `haystack`.
pub(super) fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    memchr::memmem::find(haystack, needle)
}

/// The `xml:base` attribute of the root element of an XML document, if any.
pub(super) fn root_xml_base(bytes: &[u8]) -> Option<String> {
    // Read from the bytes: only the prolog and the root's start tag are looked at, so
    // the rest of the document is never decoded or copied.
    let mut reader = quick_xml::Reader::from_reader(bytes);
    loop {
        match reader.read_event().ok()? {
            Event::Start(root) | Event::Empty(root) => {
                let base = root.try_get_attribute("xml:base").ok()??;
                let value = base.normalized_value(XmlVersion::Implicit1_0).ok()?;
                return Some(value.trim().to_string()).filter(|v| !v.is_empty());
            }
            Event::Eof => return None,
            _ => {}
        }
    }
}

/// The document with an ASCII space put between every e-mail address and a non-ASCII
/// character that touches it (`«jw@example.de»`, an address followed by a no-break
/// space); borrowed when there is none.
///
/// feed-rs 3.0 splits a person's name from the address by slicing one byte past the
/// address, which panics inside a multi-byte character: one such author made the
/// whole feed unreadable. The space is what it expects there. Only bytes next to an
/// address change, so text, links and UTF-8 validity are otherwise untouched; the
/// fuzz target found it.
pub(super) fn space_out_emails(bytes: &[u8]) -> Cow<'_, [u8]> {
    let mut cuts = Vec::new();
    let mut from = 0;
    while let Some(at) = memchr::memchr(b'@', &bytes[from..]) {
        let at = from + at;
        let local = bytes[..at]
            .iter()
            .rev()
            .take_while(|&&b| b.is_ascii_alphanumeric() || b"._%+-".contains(&b))
            .count();
        let mut start = at - local;
        for prefix in [&b"mailto:"[..], b"<[("] {
            if bytes[..start].ends_with(prefix) {
                start -= prefix.len();
            }
        }
        let domain = bytes[at + 1..]
            .iter()
            .take_while(|&&b| b.is_ascii_alphanumeric() || b".-".contains(&b))
            .count();
        let mut end = at + 1 + domain;
        if bytes[end..].starts_with(b">])") {
            end += 3;
        }
        if local > 0 && domain > 0 {
            if start > 0 && !bytes[start - 1].is_ascii() {
                cuts.push(start);
            }
            if end < bytes.len() && !bytes[end].is_ascii() {
                cuts.push(end);
            }
        }
        from = end.max(at + 1);
    }
    if cuts.is_empty() {
        return Cow::Borrowed(bytes);
    }
    let mut spaced = Vec::with_capacity(bytes.len() + cuts.len());
    let mut copied = 0;
    for cut in cuts {
        spaced.extend_from_slice(&bytes[copied..cut]);
        spaced.push(b' ');
        copied = cut;
    }
    spaced.extend_from_slice(&bytes[copied..]);
    Cow::Owned(spaced)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_touching_non_ascii_get_a_space() {
        let spaced =
            |s: &str| String::from_utf8(space_out_emails(s.as_bytes()).into_owned()).unwrap();
        assert_eq!(spaced("«jw@example.de»"), "« jw@example.de »");
        assert_eq!(
            spaced("Weiß«mailto:jw@example.de»"),
            "Weiß« mailto:jw@example.de »"
        );
        assert_eq!(
            spaced("jw@example.de\u{a0}(Jürgen)"),
            "jw@example.de \u{a0}(Jürgen)"
        );
        assert_eq!(spaced("«<[(jw@example.de>])»"), "« <[(jw@example.de>]) »");
        for unchanged in [
            "jw@example.de (Jürgen)",
            "<a href=\"mailto:jw@example.de\">Jürgen</a>",
            "Jürgen @ home, é@",
            "no address at all: ü",
        ] {
            assert!(
                matches!(space_out_emails(unchanged.as_bytes()), Cow::Borrowed(_)),
                "{unchanged}"
            );
        }
    }

    #[test]
    fn html_pages_are_recognised() {
        assert!(looks_like_html_page(
            b"\xEF\xBB\xBF  <!-- cf -->\n<!DOCTYPE html><html>"
        ));
        assert!(looks_like_html_page(b"<HTML lang=en>"));
        assert!(looks_like_html_page(
            b"<?xml version=\"1.0\"?><!doctype html>"
        ));
        assert!(!looks_like_html_page(
            b"<?xml version=\"1.0\"?><rss version=\"2.0\">"
        ));
        assert!(!looks_like_html_page(b"<htmlfeed>"));
        assert!(!looks_like_html_page(
            b"{\"version\":\"https://jsonfeed.org/version/1.1\"}"
        ));
    }

    #[test]
    fn root_xml_base_is_found_after_prolog() {
        let doc = b"<?xml version='1.0'?>\n<!-- c --><!DOCTYPE feed>\n<feed xmlns='http://www.w3.org/2005/Atom' xml:base='https://a.example/x/'><entry xml:base='y/'/></feed>";
        assert_eq!(root_xml_base(doc).as_deref(), Some("https://a.example/x/"));
        assert_eq!(root_xml_base(b"<rss version='2.0'/>"), None);
        assert_eq!(root_xml_base(b"{\"version\": 1}"), None);
    }
}
