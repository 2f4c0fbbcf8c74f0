//! The document before feed-rs sees it: a gzip-compressed body not declared as such,
//! recognising an HTML page served in place of a feed, repairing invalid UTF-8 so the rest of a document can still be read, the
//! root element's `xml:base`, which feed-rs applies to links but does not report, and
//! a space between an e-mail address and a non-ASCII character touching it, which
//! feed-rs cannot parse in an author.

use std::borrow::Cow;

use quick_xml::XmlVersion;
use quick_xml::events::Event;

/// UTF-8 byte order mark.
const BOM: &[u8] = b"\xEF\xBB\xBF";
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

/// The document without a default namespace on its `<rss>` root (`<rss version="2.0"
/// xmlns="http://backend.userland.com/rss2">`, as some Russian portals write it): RSS
/// 2.0 has none, and feed-rs finds no items in one. `None` when there is none.
pub(super) fn without_rss_default_namespace(bytes: &[u8]) -> Option<Vec<u8>> {
    let head = &bytes[..bytes.len().min(4096)];
    let root = find(head, b"<rss")?;
    let tag_end = root + find(&head[root..], b">")?;
    let tag = &head[root..tag_end];
    let attribute = [&b" xmlns=\""[..], b" xmlns='", b"\nxmlns=\"", b"\txmlns=\""]
        .into_iter()
        .find_map(|prefix| find(tag, prefix).map(|at| (at, prefix)))?;
    let (at, prefix) = attribute;
    let quote = prefix[prefix.len() - 1];
    let value_start = root + at + prefix.len();
    let value_end = value_start
        + head[value_start..tag_end]
            .iter()
            .position(|&b| b == quote)?;
    let mut out = Vec::with_capacity(bytes.len());
    out.extend_from_slice(&bytes[..root + at]);
    out.extend_from_slice(&bytes[value_end + 1..]);
    Some(out)
}

/// `bytes` starts with `tag` (ASCII case-insensitive) followed by the end of the name.
fn starts_with_tag(bytes: &[u8], tag: &[u8]) -> bool {
    bytes.len() >= tag.len()
        && bytes[..tag.len()].eq_ignore_ascii_case(tag)
        && bytes
            .get(tag.len())
            .is_none_or(|&next| next.is_ascii_whitespace() || next == b'>' || next == b'/')
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

/// The document with invalid UTF-8 sequences replaced by U+FFFD, when it is meant to
/// be UTF-8 (no other encoding declared, no UTF-16 byte order mark) and is not valid.
/// `None` when there is nothing to repair this way.
pub(super) fn replace_invalid_utf8(bytes: &[u8]) -> Option<String> {
    if bytes.starts_with(b"\xFF\xFE") || bytes.starts_with(b"\xFE\xFF") {
        return None;
    }
    if std::str::from_utf8(bytes).is_ok() {
        return None;
    }
    let declared = declared_encoding(bytes);
    if declared
        .is_some_and(|label| !matches!(label.to_ascii_lowercase().as_str(), "utf-8" | "utf8"))
    {
        return None;
    }
    Some(String::from_utf8_lossy(bytes).into_owned())
}

/// The `encoding` of the XML declaration, if the document starts with one.
fn declared_encoding(bytes: &[u8]) -> Option<String> {
    let rest = bytes.strip_prefix(BOM).unwrap_or(bytes).trim_ascii_start();
    if !rest.starts_with(b"<?xml") {
        return None;
    }
    let declaration = &rest[..find(rest, b"?>")?];
    let after = &declaration[find(declaration, b"encoding")? + b"encoding".len()..];
    let after = after
        .trim_ascii_start()
        .strip_prefix(b"=")?
        .trim_ascii_start();
    let quote = *after.first()?;
    if quote != b'"' && quote != b'\'' {
        return None;
    }
    let value = &after[1..];
    let end = value.iter().position(|&b| b == quote)?;
    Some(String::from_utf8_lossy(&value[..end]).into_owned())
}

/// The `xml:base` attribute of the root element of an XML document, if any.
pub(super) fn root_xml_base(bytes: &[u8]) -> Option<String> {
    // Read from the bytes: only the prolog and the root's start tag are looked at, so
    // the rest of the document is never decoded (it was copied whole before).
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

    #[test]
    fn other_declared_encodings_are_not_repaired() {
        let latin1 = b"<?xml version='1.0' encoding='ISO-8859-1'?><rss>caf\xE9</rss>";
        assert_eq!(replace_invalid_utf8(latin1), None);
        let utf8 = b"<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss>caf\xE9</rss>";
        assert_eq!(
            replace_invalid_utf8(utf8).as_deref(),
            Some("<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss>caf\u{FFFD}</rss>")
        );
    }
}
