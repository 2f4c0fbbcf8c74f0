//! A lenient pass over an XML document the strict reader refuses, rewriting it as
//! well-formed XML the way a recovering parser reads it: a `&` that starts no
//! reference is escaped, `&#X41;` is read as `&#x41;`, a `<` that starts no markup is
//! escaped, an end tag that closes an element further out first closes the ones
//! inside it, an end tag that closes nothing is dropped, and a document cut short
//! loses its unfinished last construct and its unfinished item (or entry), and has
//! its other open elements closed: an item cut off is not read as if it were whole.
//!
//! It works on bytes and only ever looks at ASCII `<`, `>`, `&`, quotes and name
//! characters, so any ASCII-compatible encoding (UTF-8, the ISO-8859 family,
//! windows-125x, Shift_JIS, GBK, Big5, whose multi-byte sequences never hold those
//! bytes) passes through untouched. A UTF-16 document is left alone. A well-formed
//! document comes out byte for byte the same.

use super::document::{find, start_tag_len};

/// The document rewritten as well-formed XML, or `None` when the pass changes
/// nothing (the document is well-formed as far as this pass sees, or UTF-16).
pub(super) fn recover(bytes: &[u8]) -> Option<Vec<u8>> {
    if bytes.starts_with(b"\xFF\xFE") || bytes.starts_with(b"\xFE\xFF") {
        return None;
    }
    if bytes[..bytes.len().min(2)].contains(&0) {
        // UTF-16 without a byte order mark: `<` is followed or preceded by a NUL.
        return None;
    }
    let mut pass = Pass {
        out: Vec::with_capacity(bytes.len() + 64),
        open: Vec::new(),
    };
    pass.run(bytes)?;
    let unfinished_item = pass.open.iter().position(|(name, _)| {
        let local = name.rsplit(|&b| b == b':').next().unwrap_or(name);
        local == b"item" || local == b"entry"
    });
    if let Some(depth) = unfinished_item {
        pass.out.truncate(pass.open[depth].1);
        pass.open.truncate(depth);
    }
    for (name, _) in pass.open.iter().rev() {
        pass.out.extend_from_slice(b"</");
        pass.out.extend_from_slice(name);
        pass.out.push(b'>');
    }
    (pass.out != bytes).then_some(pass.out)
}

/// Elements open at once past which a document is not recovered: no feed nests
/// this deep, and it bounds the work an end tag that closes nothing costs.
const MAX_DEPTH: usize = 1024;

struct Pass {
    out: Vec<u8>,
    /// The elements open at this point, outermost first: each one's name and where
    /// its start tag begins in `out`.
    open: Vec<(Vec<u8>, usize)>,
}

impl Pass {
    /// Copies `bytes` to `out`, repaired; stops at a construct the document ends
    /// inside (the caller closes what is open). `None` when elements nest deeper
    /// than [`MAX_DEPTH`].
    fn run(&mut self, bytes: &[u8]) -> Option<()> {
        let mut at = 0;
        while let Some(found) = memchr::memchr2(b'<', b'&', &bytes[at..]) {
            self.out.extend_from_slice(&bytes[at..at + found]);
            at += found;
            let rest = &bytes[at..];
            let used = if rest[0] == b'&' {
                self.reference(rest)
            } else {
                match self.markup(rest) {
                    Some(used) => used,
                    None => return Some(()),
                }
            };
            if self.open.len() > MAX_DEPTH {
                return None;
            }
            at += used;
        }
        self.out.extend_from_slice(&bytes[at..]);
        Some(())
    }

    /// A `&` at the start of `rest`: a well-formed reference is copied (`&#X` as
    /// `&#x`), any other `&` escaped. Returns the bytes consumed.
    fn reference(&mut self, rest: &[u8]) -> usize {
        match reference_len(rest) {
            Some(len) => {
                if rest.starts_with(b"&#X") {
                    self.out.extend_from_slice(b"&#x");
                    self.out.extend_from_slice(&rest[3..len]);
                } else {
                    self.out.extend_from_slice(&rest[..len]);
                }
                len
            }
            None => {
                self.out.extend_from_slice(b"&amp;");
                1
            }
        }
    }

    /// A `<` at the start of `rest`: the markup it starts, copied or repaired.
    /// Returns the bytes consumed, `None` when the document ends inside it.
    fn markup(&mut self, rest: &[u8]) -> Option<usize> {
        let delimited: [(&[u8], &[u8]); 3] =
            [(b"<!--", b"-->"), (b"<![CDATA[", b"]]>"), (b"<?", b"?>")];
        for (open, close) in delimited {
            if rest.starts_with(open) {
                let len = open.len() + find(&rest[open.len()..], close)? + close.len();
                self.out.extend_from_slice(&rest[..len]);
                return Some(len);
            }
            if open.starts_with(rest) {
                // The document ends partway through the opener.
                return None;
            }
        }
        if rest.starts_with(b"<!") {
            let len = declaration_len(rest)?;
            self.out.extend_from_slice(&rest[..len]);
            return Some(len);
        }
        if let Some(after) = rest.strip_prefix(b"</") {
            let name_len = name_len(after);
            let close = memchr::memchr(b'>', after)?;
            if name_len > 0 {
                self.end_tag(&after[..name_len]);
            }
            return Some(2 + close + 1);
        }
        let name_len = name_len(&rest[1..]);
        if name_len == 0 {
            // Not markup: a literal `<` in text.
            self.out.extend_from_slice(b"&lt;");
            return Some(1);
        }
        let len = start_tag_len(rest)?;
        let tag = &rest[..len];
        let mut attributes = &tag[..len - 1];
        let empty = attributes.ends_with(b"/");
        if empty {
            attributes = &attributes[..attributes.len() - 1];
        }
        let tag_start = self.out.len();
        self.out.extend_from_slice(&attributes[..1 + name_len]);
        self.attributes(&attributes[1 + name_len..]);
        self.out.extend_from_slice(if empty { b"/>" } else { b">" });
        if !empty {
            self.open.push((rest[1..1 + name_len].to_vec(), tag_start));
        }
        Some(len)
    }

    /// The inside of a start tag after its name, with every `&` in it repaired.
    fn attributes(&mut self, inside: &[u8]) {
        let mut at = 0;
        while let Some(found) = memchr::memchr(b'&', &inside[at..]) {
            self.out.extend_from_slice(&inside[at..at + found]);
            at += found;
            at += self.reference(&inside[at..]);
        }
        self.out.extend_from_slice(&inside[at..]);
    }

    /// `</name>`: closes the innermost open element of that name, and first the
    /// elements inside it; closes nothing when no such element is open.
    fn end_tag(&mut self, name: &[u8]) {
        let Some(depth) = self.open.iter().rposition(|(open, _)| open == name) else {
            return;
        };
        while self.open.len() > depth {
            let Some((closed, _)) = self.open.pop() else {
                break;
            };
            self.out.extend_from_slice(b"</");
            self.out.extend_from_slice(&closed);
            self.out.push(b'>');
        }
    }
}

/// Length of the well-formed character or entity reference `rest` starts with.
fn reference_len(rest: &[u8]) -> Option<usize> {
    let body = rest.strip_prefix(b"&")?;
    let (prefix, count) = match body {
        [b'#', b'x' | b'X', digits @ ..] => (
            2,
            digits.iter().take_while(|b| b.is_ascii_hexdigit()).count(),
        ),
        [b'#', digits @ ..] => (1, digits.iter().take_while(|b| b.is_ascii_digit()).count()),
        _ => (0, name_len(body)),
    };
    let end = prefix + count;
    (count > 0 && body.get(end) == Some(&b';')).then_some(1 + end + 1)
}

/// Length of the XML name `bytes` starts with (ASCII name characters, and any
/// non-ASCII byte, which only occurs inside a non-ASCII name character).
fn name_len(bytes: &[u8]) -> usize {
    match bytes.first() {
        Some(b) if b.is_ascii_alphabetic() || *b == b'_' || *b == b':' || !b.is_ascii() => {}
        _ => return 0,
    }
    bytes
        .iter()
        .take_while(|b| b.is_ascii_alphanumeric() || b"_:.-".contains(b) || !b.is_ascii())
        .count()
}

/// Length of a `<!DOCTYPE …>` (or other `<!` declaration), its internal subset
/// in brackets included.
fn declaration_len(rest: &[u8]) -> Option<usize> {
    let close = memchr::memchr(b'>', rest)?;
    match memchr::memchr(b'[', &rest[..close]) {
        None => Some(close + 1),
        Some(open) => {
            let subset_end = open + memchr::memchr(b']', &rest[open..])?;
            Some(subset_end + memchr::memchr(b'>', &rest[subset_end..])? + 1)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn recovered(text: &str) -> Option<String> {
        recover(text.as_bytes()).map(|bytes| String::from_utf8(bytes).unwrap())
    }

    #[test]
    fn well_formed_documents_are_left_alone() {
        for document in [
            "<?xml version='1.0'?>\n<!DOCTYPE rss [<!ENTITY a 'b'>]><rss version=\"2.0\"><channel><item><title a='x &amp; y'>&#x41;&#65;&lt;&a;</title><description><![CDATA[a & b < c]]></description><empty/></item></channel></rss>\n<!-- after -->",
            "<feed xmlns='http://www.w3.org/2005/Atom'><é:x xmlns:é='u'>t</é:x></feed>",
        ] {
            assert_eq!(recovered(document), None, "{document}");
        }
    }

    #[test]
    fn stray_ampersands_and_angle_brackets_are_escaped() {
        assert_eq!(
            recovered("<rss><link a='?a=1&b'>http://e/?a=1&b=2&c</link><t>3 < 5 &#X41;</t></rss>")
                .as_deref(),
            Some(
                "<rss><link a='?a=1&amp;b'>http://e/?a=1&amp;b=2&amp;c</link><t>3 &lt; 5 &#x41;</t></rss>"
            )
        );
    }

    #[test]
    fn cut_documents_are_closed() {
        assert_eq!(
            recovered("<feed><entry><title>A</title></entry></feed").as_deref(),
            Some("<feed><entry><title>A</title></entry></feed>")
        );
        assert_eq!(
            recovered(
                "<rss><channel><title>T</title><item><title>A</title></item><item><title><![CD"
            )
            .as_deref(),
            Some("<rss><channel><title>T</title><item><title>A</title></item></channel></rss>")
        );
        assert_eq!(
            recovered("<feed><entry><title>A</title></entry><entry><link x='").as_deref(),
            Some("<feed><entry><title>A</title></entry></feed>")
        );
        assert_eq!(
            recovered("<rdf:RDF><rss:item><p>A").as_deref(),
            Some("<rdf:RDF></rdf:RDF>")
        );
    }

    #[test]
    fn end_tags_close_what_they_enclose() {
        assert_eq!(
            recovered("<rss><item><description><p>a<br></description></item></rss>").as_deref(),
            Some("<rss><item><description><p>a<br></br></p></description></item></rss>")
        );
        assert_eq!(
            recovered("<rss><item></p></item></rss>").as_deref(),
            Some("<rss><item></item></rss>")
        );
    }
}
