//! Feed structure that feed-rs does not read but a lenient reader does: RSS items
//! placed directly in `<rss>` with no `<channel>` around them, or under a root of
//! another name (feed-rs refuses the document), and RSS 1.0 items with no `<link>` (feed-rs drops them silently) whose
//! `rdf:about` names the item's URI, which the RSS 1.0 specification says is the
//! link's value.

use super::document::{attributes, find, starts_with_tag};

/// The RDF syntax namespace an RSS 0.90 or 1.0 root declares.
const RDF_NAMESPACE: &[u8] = b"http://www.w3.org/1999/02/22-rdf-syntax-ns#";

/// The document with the children of its `<rss>` root wrapped in a `<channel>`,
/// when that root holds items but no channel; `None` otherwise.
pub(super) fn rss_channel(bytes: &[u8]) -> Option<Vec<u8>> {
    let root = (0..bytes.len().min(4096)).find(|&at| starts_with_tag(&bytes[at..], b"<rss"))?;
    let body = root + memchr::memchr(b'>', &bytes[root..])? + 1;
    if bytes[..body].ends_with(b"/>")
        || find(&bytes[body..], b"<channel").is_some()
        || !has_tag(&bytes[body..], b"<item")
    {
        return None;
    }
    let end = memchr::memmem::rfind(&bytes[body..], b"</rss>")? + body;
    let mut out = Vec::with_capacity(bytes.len() + 21);
    out.extend_from_slice(&bytes[..body]);
    out.extend_from_slice(b"<channel>");
    out.extend_from_slice(&bytes[body..end]);
    out.extend_from_slice(b"</channel>");
    out.extend_from_slice(&bytes[end..]);
    Some(out)
}

/// The document with an unknown root element that holds RSS items (`<rdf>` with no
/// namespace, as a hand-written feed has it) renamed `<rss version="2.0">`, its other
/// attributes kept, so that [`rss_channel`] can give the items their channel; `None`
/// when the root is one feed-rs reads (`rss`, `feed`, `rdf:RDF`) or holds no item.
pub(super) fn items_under_unknown_root(bytes: &[u8]) -> Option<Vec<u8>> {
    let start = root_start(bytes)?;
    let name_end = start
        + 1
        + bytes[start + 1..]
            .iter()
            .position(|&b| b.is_ascii_whitespace() || b == b'>' || b == b'/')?;
    let name = &bytes[start + 1..name_end];
    let local = name.rsplit(|&b| b == b':').next().unwrap_or(name);
    let known = [&b"rss"[..], b"feed"]
        .iter()
        .any(|known| name.eq_ignore_ascii_case(known))
        || (local == b"RDF" && name != local);
    if known || name.is_empty() || !has_tag(&bytes[name_end..], b"<item") {
        return None;
    }
    let tag_end = name_end + memchr::memchr(b'>', &bytes[name_end..])?;
    if bytes[..tag_end].ends_with(b"/") {
        return None;
    }
    let closing = [&b"</"[..], name, b">"].concat();
    let end = memchr::memmem::rfind(&bytes[tag_end..], &closing)? + tag_end;
    let mut out = Vec::with_capacity(bytes.len() + 16);
    out.extend_from_slice(&bytes[..start]);
    out.extend_from_slice(b"<rss version=\"2.0\"");
    for (attribute, value) in attributes(&bytes[name_end..tag_end]) {
        if attribute != b"version" {
            out.push(b' ');
            out.extend_from_slice(&attribute);
            out.extend_from_slice(b"=\"");
            out.extend_from_slice(&value);
            out.push(b'"');
        }
    }
    out.extend_from_slice(&bytes[tag_end..end]);
    out.extend_from_slice(b"</rss>");
    out.extend_from_slice(&bytes[end + closing.len()..]);
    Some(out)
}

/// Where the root element's start tag begins: past a byte order mark, the XML
/// declaration, processing instructions, comments and a doctype.
fn root_start(bytes: &[u8]) -> Option<usize> {
    let mut at = if bytes.starts_with(b"\xEF\xBB\xBF") {
        3
    } else {
        0
    };
    loop {
        at += bytes[at..].iter().position(|b| !b.is_ascii_whitespace())?;
        let rest = &bytes[at..];
        let skip_to = if rest.starts_with(b"<?") {
            b"?>".as_slice()
        } else if rest.starts_with(b"<!--") {
            b"-->".as_slice()
        } else if rest.starts_with(b"<!") {
            b">".as_slice()
        } else if rest.starts_with(b"<") {
            return Some(at);
        } else {
            return None;
        };
        at += memchr::memmem::find(rest, skip_to)? + skip_to.len();
    }
}

/// The document with `<link>about</link>` added to each RSS 0.90 or 1.0 `<item>`
/// that has an `rdf:about` (or unprefixed `about`) but no `<link>`; `None` when the
/// document is not RDF or no item needs one.
pub(super) fn rdf_item_links(bytes: &[u8]) -> Option<Vec<u8>> {
    find(&bytes[..bytes.len().min(4096)], RDF_NAMESPACE)?;
    let mut out = Vec::new();
    let mut copied = 0;
    let mut from = 0;
    while let Some(at) = memchr::memmem::find(&bytes[from..], b"<item") {
        let start = from + at;
        from = start + 5;
        if !starts_with_tag(&bytes[start..], b"<item") {
            continue;
        }
        let Some(tag_end) = memchr::memchr(b'>', &bytes[start..]).map(|end| start + end) else {
            break;
        };
        let tag = &bytes[start + 5..tag_end];
        let empty = tag.ends_with(b"/");
        let item_end = if empty {
            tag_end
        } else {
            find(&bytes[tag_end..], b"</item>").map_or(bytes.len(), |end| tag_end + end)
        };
        from = tag_end;
        if has_tag(&bytes[tag_end..item_end], b"<link") {
            continue;
        }
        let attributes = attributes(tag.strip_suffix(b"/").unwrap_or(tag));
        let Some((_, about)) = attributes
            .iter()
            .find(|(name, _)| name == b"about" || name.ends_with(b":about"))
            .filter(|(_, about)| !about.trim_ascii().is_empty())
        else {
            continue;
        };
        if empty {
            out.extend_from_slice(&bytes[copied..tag_end - 1]);
            out.push(b'>');
        } else {
            out.extend_from_slice(&bytes[copied..=tag_end]);
        }
        out.extend_from_slice(b"<link>");
        out.extend_from_slice(about.trim_ascii());
        out.extend_from_slice(b"</link>");
        if empty {
            out.extend_from_slice(b"</item>");
        }
        copied = tag_end + 1;
    }
    if copied == 0 {
        return None;
    }
    out.extend_from_slice(&bytes[copied..]);
    Some(out)
}

/// Whether `bytes` holds a start tag named as `tag` (`<item` for `<item>`,
/// `<item …>` and `<item/>`, not `<items>`).
fn has_tag(bytes: &[u8], tag: &[u8]) -> bool {
    memchr::memmem::find_iter(bytes, tag).any(|at| starts_with_tag(&bytes[at..], tag))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(bytes: Option<Vec<u8>>) -> Option<String> {
        bytes.map(|bytes| String::from_utf8(bytes).unwrap())
    }

    #[test]
    fn items_outside_a_channel_get_one() {
        assert_eq!(
            text(rss_channel(
                b"<rss version=\"2.0\">\n<item><title>A</title></item>\n</rss>"
            ))
            .as_deref(),
            Some("<rss version=\"2.0\"><channel>\n<item><title>A</title></item>\n</channel></rss>")
        );
        assert_eq!(rss_channel(b"<rss><channel><item/></channel></rss>"), None);
        assert_eq!(rss_channel(b"<rss><items/></rss>"), None);
        assert_eq!(rss_channel(b"<feed><item/></feed>"), None);
    }

    #[test]
    fn an_unknown_root_holding_items_is_read_as_rss() {
        let document = b"<?xml version='1.0'?>\n<!-- c --><rdf lang=\"de\">\n<item><title>A</title></item>\n</rdf>\n";
        assert_eq!(
            text(items_under_unknown_root(document)).as_deref(),
            Some(
                "<?xml version='1.0'?>\n<!-- c --><rss version=\"2.0\" lang=\"de\">\n<item><title>A</title></item>\n</rss>\n"
            )
        );
        assert_eq!(items_under_unknown_root(b"<rss><item/></rss>"), None);
        assert_eq!(items_under_unknown_root(b"<feed><item/></feed>"), None);
        assert_eq!(
            items_under_unknown_root(b"<rdf:RDF xmlns:rdf='x'><item/></rdf:RDF>"),
            None
        );
        assert_eq!(
            items_under_unknown_root(b"<html><p>no items</p></html>"),
            None
        );
    }

    #[test]
    fn rdf_items_without_a_link_get_their_about() {
        let document = "<rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\"><channel><items><rdf:Seq><rdf:li resource=\"http://e/1\"/></rdf:Seq></items></channel>\
            <item rdf:about=\"http://e/1?a=1&amp;b\"><title>A</title></item>\
            <item rdf:about=\"http://e/2\"><link>http://e/two</link></item>\
            <item about='http://e/3'/><item><title>no about</title></item></rdf:RDF>";
        let expected = "<rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\"><channel><items><rdf:Seq><rdf:li resource=\"http://e/1\"/></rdf:Seq></items></channel>\
            <item rdf:about=\"http://e/1?a=1&amp;b\"><link>http://e/1?a=1&amp;b</link><title>A</title></item>\
            <item rdf:about=\"http://e/2\"><link>http://e/two</link></item>\
            <item about='http://e/3'><link>http://e/3</link></item><item><title>no about</title></item></rdf:RDF>";
        assert_eq!(
            text(rdf_item_links(document.as_bytes())).as_deref(),
            Some(expected)
        );
        assert_eq!(
            rdf_item_links(b"<rss><channel><item/></channel></rss>"),
            None
        );
    }
}
