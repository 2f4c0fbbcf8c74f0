//! Atom documents feed-rs reads only once repaired: Atom 0.3 read as Atom 1.0, and
//! text constructs whose `type` feed-rs refuses the whole document over
//! (`application/xhtml+xml`, `text/plain`, an empty type, or base64-encoded text
//! with a binary media type or Atom 0.3's `mode="base64"`), named or decoded the
//! way a lenient reader reads them.

use super::document::{find, starts_with_tag};
use crate::sanitize::is_xml_char;

/// The Atom 0.3 namespace, and Atom 1.0's, which feed-rs reads.
const ATOM_03_NAMESPACE: &[u8] = b"http://purl.org/atom/ns#";
const ATOM_10_NAMESPACE: &[u8] = b"http://www.w3.org/2005/Atom";

/// An Atom 0.3 document (TypePad and FeedBurner wrote them for years) as Atom 1.0,
/// which feed-rs reads and 0.3 mostly is: the namespace swapped, `modified` and
/// `issued` named `updated` and `published`, text constructs' media types named. `None` when the root is not Atom 0.3.
/// feed-rs finds no entries in an Atom 0.3 document as it is.
pub(super) fn as_1_0(bytes: &[u8]) -> Option<Vec<u8>> {
    let head = &bytes[..bytes.len().min(4096)];
    find(head, ATOM_03_NAMESPACE)?;
    let renames: [(&[u8], &[u8]); 5] = [
        (ATOM_03_NAMESPACE, ATOM_10_NAMESPACE),
        (b"<modified>", b"<updated>"),
        (b"</modified>", b"</updated>"),
        (b"<issued>", b"<published>"),
        (b"</issued>", b"</published>"),
    ];
    let mut out = Vec::with_capacity(bytes.len());
    let mut rest = bytes;
    'scan: while let Some(at) = memchr::memchr2(b'<', b'h', rest) {
        for (old, new) in renames {
            if rest[at..].starts_with(old) {
                out.extend_from_slice(&rest[..at]);
                out.extend_from_slice(new);
                rest = &rest[at + old.len()..];
                continue 'scan;
            }
        }
        let text_construct = [&b"<content "[..], b"<summary ", b"<title ", b"<tagline "]
            .iter()
            .any(|tag| rest[at..].starts_with(tag));
        if let Some(end) = memchr::memchr(b'>', &rest[at..]).filter(|_| text_construct) {
            out.extend_from_slice(&rest[..at]);
            out.extend_from_slice(&atom_03_text_type(&rest[at..at + end]));
            rest = &rest[at + end..];
            continue;
        }
        out.extend_from_slice(&rest[..=at]);
        rest = &rest[at + 1..];
    }
    out.extend_from_slice(rest);
    Some(out)
}

/// A text construct's start tag with Atom 0.3's media type named as Atom 1.0 does
/// (`application/xhtml+xml` → `xhtml`, `text/html` → `html`, `text/plain` → `text`),
/// which feed-rs needs to read inline content.
fn atom_03_text_type(tag: &[u8]) -> Vec<u8> {
    let types: [(&[u8], &[u8]); 3] = [
        (b"application/xhtml+xml", b"xhtml"),
        (b"text/html", b"html"),
        (b"text/plain", b"text"),
    ];
    for quote in [b'"', b'\''] {
        for (old, new) in types {
            let attribute = [&b"type="[..], &[quote], old, &[quote]].concat();
            if let Some(at) = find(tag, &attribute) {
                let replaced = [&b"type="[..], &[quote], new, &[quote]].concat();
                return [&tag[..at], &replaced[..], &tag[at + attribute.len()..]].concat();
            }
        }
    }
    tag.to_vec()
}

/// Elements whose `type` this repair looks at: Atom's text constructs and content.
const TYPED_ELEMENTS: [&[u8]; 5] = [b"title", b"subtitle", b"summary", b"rights", b"content"];

/// An Atom 1.0 document with each typed element feed-rs would refuse repaired:
/// `application/xhtml+xml` named `xhtml`; an empty type, or a `text/…` one on a text
/// construct, named `text`; a base64-encoded text construct (a non-text media type,
/// or `mode="base64"` on any typed element) decoded into `html`, or dropped when it
/// is not base64 of UTF-8 text. `None` when nothing needs it.
pub(super) fn text_types(bytes: &[u8]) -> Option<Vec<u8>> {
    find(&bytes[..bytes.len().min(4096)], ATOM_10_NAMESPACE)?;
    let mut out = Vec::new();
    let mut copied = 0;
    let mut from = 0;
    while let Some(at) = memchr::memchr(b'<', &bytes[from..]) {
        let start = from + at;
        from = start + 1;
        let Some(name) = TYPED_ELEMENTS
            .into_iter()
            .find(|name| starts_with_tag(&bytes[start + 1..], name))
        else {
            continue;
        };
        let Some(tag_end) = memchr::memchr(b'>', &bytes[start..]).map(|end| start + end) else {
            break;
        };
        let tag = &bytes[start..tag_end];
        let attributes = super::document::attributes(&tag[1 + name.len()..]);
        let value = |wanted: &[u8]| {
            attributes
                .iter()
                .find(|(attribute, _)| attribute == wanted)
                .map(|(_, value)| value.trim_ascii().to_ascii_lowercase())
        };
        if value(b"src").is_some() || tag.ends_with(b"/") {
            continue;
        }
        let declared = value(b"type");
        let text_construct = name != b"content";
        let renamed: Option<&[u8]> = match declared.as_deref() {
            Some(b"application/xhtml+xml") => Some(b"xhtml"),
            Some(b"") => Some(b"text"),
            Some(b"text/html") => None,
            Some(other) if text_construct && other.starts_with(b"text/") => Some(b"text"),
            _ => None,
        };
        let binary = declared.as_deref().is_some_and(|t| {
            text_construct
                && renamed.is_none()
                && !matches!(t, b"text" | b"html" | b"xhtml" | b"text/html")
        });
        if binary || value(b"mode").is_some_and(|mode| mode == b"base64") {
            let close = [&b"</"[..], name, b">"].concat();
            let Some(len) = find(&bytes[tag_end + 1..], &close) else {
                continue;
            };
            let encoded = &bytes[tag_end + 1..tag_end + 1 + len];
            let element_end = tag_end + 1 + len + close.len();
            out.extend_from_slice(&bytes[copied..start]);
            let decoded = decode_base64(encoded)
                .and_then(|raw| String::from_utf8(raw).ok())
                // feed-rs refuses an empty text construct: one that decodes to
                // nothing is dropped.
                .filter(|text| !text.trim().is_empty());
            if let Some(text) = decoded {
                let plain = renamed == Some(b"text") || declared.as_deref() == Some(b"text");
                let new: &[u8] = if plain { b"text" } else { b"html" };
                out.extend_from_slice(&with_type(&bytes[start..=tag_end], new));
                escape_into(&text, &mut out);
                out.extend_from_slice(&close);
            }
            copied = element_end;
            from = element_end;
        } else if let Some(new) = renamed {
            out.extend_from_slice(&bytes[copied..start]);
            out.extend_from_slice(&with_type(&bytes[start..=tag_end], new));
            copied = tag_end + 1;
            from = copied;
        }
    }
    if copied == 0 {
        return None;
    }
    out.extend_from_slice(&bytes[copied..]);
    Some(out)
}

/// A start tag with its `type` attribute's value replaced by `new` (added when it
/// has none).
fn with_type(tag: &[u8], new: &[u8]) -> Vec<u8> {
    for quote in [b'"', b'\''] {
        let opener = [&b"type="[..], &[quote]].concat();
        let value_start = memchr::memmem::find_iter(tag, &opener)
            .find(|&at| at > 0 && tag[at - 1].is_ascii_whitespace())
            .map(|at| at + opener.len());
        if let Some(value_start) = value_start
            && let Some(len) = memchr::memchr(quote, &tag[value_start..])
        {
            return [&tag[..value_start], new, &tag[value_start + len..]].concat();
        }
    }
    let body = tag.len() - 1;
    [&tag[..body], b" type=\"", new, b"\">"].concat()
}

/// `text` as XML character data, without characters XML cannot hold.
fn escape_into(text: &str, out: &mut Vec<u8>) {
    let mut buffer = [0; 4];
    for c in text.chars().filter(|&c| is_xml_char(c)) {
        match c {
            '&' => out.extend_from_slice(b"&amp;"),
            '<' => out.extend_from_slice(b"&lt;"),
            '>' => out.extend_from_slice(b"&gt;"),
            c => out.extend_from_slice(c.encode_utf8(&mut buffer).as_bytes()),
        }
    }
}

/// Standard or URL-safe base64, whitespace and padding allowed; `None` when `text`
/// is not base64.
fn decode_base64(text: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() / 4 * 3);
    let (mut bits, mut held, mut padded) = (0u32, 0u32, false);
    for &byte in text {
        let value = match byte {
            b'A'..=b'Z' => byte - b'A',
            b'a'..=b'z' => byte - b'a' + 26,
            b'0'..=b'9' => byte - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            b'=' => {
                padded = true;
                continue;
            }
            _ if byte.is_ascii_whitespace() => continue,
            _ => return None,
        };
        if padded {
            return None;
        }
        bits = (bits << 6) | u32::from(value);
        held += 6;
        if held >= 8 {
            held -= 8;
            out.push((bits >> held) as u8);
            bits &= (1 << held) - 1;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repaired(document: &str) -> Option<String> {
        text_types(document.as_bytes()).map(|bytes| String::from_utf8(bytes).unwrap())
    }

    const FEED: &str = "<feed xmlns=\"http://www.w3.org/2005/Atom\">";

    #[test]
    fn refused_types_are_named_as_feed_rs_reads_them() {
        let document = format!(
            "{FEED}<entry><title type=\"application/xhtml+xml\"><div>x</div></title><summary type=''>s</summary><rights type=\"text/plain\">r</rights><content type=\"text/plain\">c</content></entry></feed>"
        );
        assert_eq!(
            repaired(&document).as_deref(),
            Some(&*format!(
                "{FEED}<entry><title type=\"xhtml\"><div>x</div></title><summary type='text'>s</summary><rights type=\"text\">r</rights><content type=\"text/plain\">c</content></entry></feed>"
            ))
        );
        assert_eq!(
            repaired(&format!(
                "{FEED}<entry><title type=\"html\">&lt;b&gt;</title><content type=\"image/png\">AAAA</content></entry></feed>"
            )),
            None
        );
    }

    #[test]
    fn base64_text_is_decoded_or_dropped() {
        let document = format!(
            "{FEED}<entry><title type=\"application/octet-stream\">\n PHA+SGlzdG9yeSBvZiB0aGUgJmx0O2JsaW5rJmd0OyB0YWc8L3A+\n</title><summary type=\"text/html\" mode=\"base64\">PGI+QTwvYj4=</summary><subtitle type=\"image/png\">/w==</subtitle></entry></feed>"
        );
        assert_eq!(
            repaired(&document).as_deref(),
            Some(&*format!(
                "{FEED}<entry><title type=\"html\">&lt;p&gt;History of the &amp;lt;blink&amp;gt; tag&lt;/p&gt;</title><summary type=\"html\" mode=\"base64\">&lt;b&gt;A&lt;/b&gt;</summary></entry></feed>"
            ))
        );
    }

    #[test]
    fn base64_is_decoded() {
        assert_eq!(
            decode_base64(b"RXhhbXBsZSA8Yj5BdG9tPC9iPg==").as_deref(),
            Some(&b"Example <b>Atom</b>"[..])
        );
        assert_eq!(decode_base64(b"not base64!"), None);
    }
}
