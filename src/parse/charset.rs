//! Which encoding an XML document is read in. feed-rs (through quick-xml and
//! encoding_rs) honours a byte order mark and the XML declaration; this module
//! handles what they do not see or get wrong:
//!
//! - the HTTP `charset`, which readers put before the declaration: a document
//!   served as windows-1251 with no declaration, or declared ISO-8859-1 by a
//!   template while its text is KOI8-R, is turned into UTF-8 with its declaration
//!   saying so. One exception: a server's Western default (`ISO-8859-1`,
//!   `windows-1252`, `US-ASCII`) on a document that is valid UTF-8 beyond ASCII is
//!   the server's mistake, not the document's (Latin-1 text is almost never valid
//!   UTF-8, while every byte is valid Latin-1), so the document's own encoding stands;
//! - invalid UTF-8 where UTF-8 is meant (replaced by U+FFFD), and undeclared legacy
//!   text (read as windows-1252).
//!
//! JSON is UTF-8 by definition and never looked at here.

use super::document::{BOM, find};

/// The document decoded by the `charset` of its HTTP `Content-Type` and re-declared
/// as UTF-8; `None` when it has a byte order mark, is not XML, the charset is unknown
/// or says what the declaration says, or the document is evidently UTF-8 under a
/// Western default (see the module comment).
pub(super) fn by_http_charset(bytes: &[u8], charset: &str) -> Option<Vec<u8>> {
    if bytes.starts_with(BOM) || bytes.starts_with(b"\xFF\xFE") || bytes.starts_with(b"\xFE\xFF") {
        return None;
    }
    if !bytes.trim_ascii_start().starts_with(b"<") {
        return None;
    }
    let encoding = encoding_rs::Encoding::for_label(charset.trim().as_bytes())?;
    // UTF-16 without a byte order mark is not what the label says: leave it be.
    if encoding == encoding_rs::UTF_16LE || encoding == encoding_rs::UTF_16BE {
        return None;
    }
    let declared = declared_encoding(bytes)
        .and_then(|label| encoding_rs::Encoding::for_label(label.trim().as_bytes()));
    let undeclared_is_utf8 = declared.is_none() && encoding == encoding_rs::UTF_8;
    if declared == Some(encoding) || undeclared_is_utf8 {
        return None;
    }
    let is_utf8 = std::str::from_utf8(bytes).is_ok();
    // encoding_rs reads every Western default label (ISO-8859-1, US-ASCII) as windows-1252.
    let western_default = encoding == encoding_rs::WINDOWS_1252;
    if western_default && is_utf8 && !bytes.is_ascii() {
        return None;
    }
    if encoding == encoding_rs::UTF_8 && !is_utf8 {
        // Served as UTF-8 but not UTF-8: the declaration knows better.
        return None;
    }
    let (text, _) = encoding.decode_without_bom_handling(bytes);
    Some(declared_as_utf8(&text).into_bytes())
}

/// `text` with its XML declaration's encoding made UTF-8 (a declaration added when
/// it has none).
fn declared_as_utf8(text: &str) -> String {
    let start = text.len() - text.trim_start().len();
    let rest = &text[start..];
    if let Some(end) = rest.strip_prefix("<?xml").and_then(|_| rest.find("?>")) {
        return format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>{}",
            &rest[end + 2..]
        );
    }
    format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>{rest}")
}

/// The document with invalid UTF-8 sequences replaced by U+FFFD, when it is meant to
/// be UTF-8 (no other encoding declared, no UTF-16 byte order mark) and is not valid;
/// when it is XML that declares no encoding and holds no valid UTF-8 beyond ASCII,
/// decoded as windows-1252 instead. `None` when there is nothing to repair this way.
pub(super) fn replace_invalid_utf8(bytes: &[u8]) -> Option<String> {
    if bytes.starts_with(b"\xFF\xFE") || bytes.starts_with(b"\xFE\xFF") {
        return None;
    }
    if std::str::from_utf8(bytes).is_ok() {
        return None;
    }
    let declared = declared_encoding(bytes);
    if declared
        .as_deref()
        .is_some_and(|label| !matches!(label.to_ascii_lowercase().as_str(), "utf-8" | "utf8"))
    {
        return None;
    }
    let lossy = String::from_utf8_lossy(bytes);
    // Undeclared, and not one valid multi-byte character: a legacy single-byte
    // encoding (a Brazilian portal in ISO-8859-1), read as windows-1252 the way
    // browsers and readers guess it, rather than with every accent replaced.
    // JSON is UTF-8 by definition: only XML is guessed at.
    let is_xml = bytes.trim_ascii_start().starts_with(b"<");
    let no_utf8_at_all = lossy.chars().all(|c| c.is_ascii() || c == '\u{FFFD}');
    if is_xml && declared.is_none() && no_utf8_at_all {
        let (text, _, _) = encoding_rs::WINDOWS_1252.decode(bytes);
        return Some(text.into_owned());
    }
    Some(lossy.into_owned())
}

/// The `encoding` of the XML declaration, if the document starts with one.
pub(super) fn declared_encoding(bytes: &[u8]) -> Option<String> {
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

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn the_http_charset_decodes_an_undeclared_or_misdeclared_document() {
        // "Новости" in windows-1251, no declaration.
        let cp1251 = b"<rss><channel><title>\xCD\xEE\xE2\xEE\xF1\xF2\xE8</title></channel></rss>";
        let read = by_http_charset(cp1251, "windows-1251").unwrap();
        assert_eq!(
            String::from_utf8(read).unwrap(),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss><channel><title>Новости</title></channel></rss>"
        );
        // "Вести" in KOI8-R under a template's ISO-8859-1 declaration.
        let koi8 = b"<?xml version='1.0' encoding='ISO-8859-1'?>\n<rss>\xF7\xC5\xD3\xD4\xC9</rss>";
        let read = by_http_charset(koi8, "KOI8-R").unwrap();
        assert!(
            String::from_utf8(read)
                .unwrap()
                .ends_with("?>\n<rss>Вести</rss>")
        );
    }

    #[test]
    fn the_http_charset_is_not_applied_when_it_adds_nothing_or_is_a_server_default() {
        let utf8 = "<?xml version='1.0' encoding='utf-8'?><rss>café</rss>".as_bytes();
        assert_eq!(
            by_http_charset(utf8, "ISO-8859-1"),
            None,
            "a server default"
        );
        assert_eq!(
            by_http_charset(utf8, "utf-8"),
            None,
            "says what the declaration says"
        );
        let latin1 = b"<?xml version='1.0' encoding='ISO-8859-1'?><rss>caf\xE9</rss>";
        assert_eq!(
            by_http_charset(latin1, "latin1"),
            None,
            "same encoding, another label"
        );
        assert_eq!(
            by_http_charset(latin1, "utf-8"),
            None,
            "served as UTF-8, not UTF-8"
        );
        assert_eq!(by_http_charset(b"\xEF\xBB\xBF<rss/>", "windows-1251"), None);
        assert_eq!(by_http_charset(b"{\"version\": 1}", "windows-1251"), None);
        assert_eq!(by_http_charset(b"<rss/>", "no-such-charset"), None);
    }
}
