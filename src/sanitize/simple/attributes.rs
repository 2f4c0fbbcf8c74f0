//! A start tag's attributes as html5ever's tokenizer reads them, and those the policy
//! keeps written as ammonia and the serializer write them. An attribute the policy
//! drops is read only to find where the tag ends; one it keeps is decoded, checked
//! and escaped here.

use super::references::{Place, push_escaped, reference};

/// One attribute of a start tag, its value as written (references not decoded).
#[derive(Clone, Copy)]
pub(super) struct Attribute<'a> {
    pub name: &'a str,
    pub value: &'a str,
}

/// Most attributes read in one tag; a tag with more goes through the tree.
const MAX_ATTRIBUTES: usize = 12;

/// The attributes after a start tag's name, through its `>`, and the bytes read;
/// `None` for what this module leaves to the tree: a name that is not lower-case
/// ASCII, a name given twice (the tokenizer keeps the first), `=` beside spaces, or
/// quotes and `<` inside an unquoted value.
pub(super) fn read(after_name: &str) -> Option<(Vec<Attribute<'_>>, usize)> {
    let bytes = after_name.as_bytes();
    let mut attributes: Vec<Attribute<'_>> = Vec::new();
    let mut at = 0;
    loop {
        let spaced = at;
        while bytes.get(at).is_some_and(|&b| is_space(b)) {
            at += 1;
        }
        match bytes.get(at)? {
            b'>' => return Some((attributes, at + 1)),
            b'/' if bytes.get(at + 1) == Some(&b'>') => return Some((attributes, at + 2)),
            _ if at == spaced => return None,
            _ => {}
        }
        let name_len = bytes[at..]
            .iter()
            .take_while(|&&b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            .count();
        if name_len == 0 || attributes.len() == MAX_ATTRIBUTES {
            return None;
        }
        let name = &after_name[at..at + name_len];
        at += name_len;
        let value = if bytes.get(at) == Some(&b'=') {
            at += 1;
            let (value, len) = value(&after_name[at..])?;
            at += len;
            value
        } else {
            ""
        };
        if attributes.iter().any(|seen| seen.name == name) {
            return None;
        }
        attributes.push(Attribute { name, value });
    }
}

/// An attribute value after its `=`: the value and the bytes read (quotes included).
fn value(rest: &str) -> Option<(&str, usize)> {
    match rest.as_bytes().first()? {
        &quote @ (b'"' | b'\'') => {
            let len = rest[1..].find(char::from(quote))?;
            Some((&rest[1..1 + len], len + 2))
        }
        _ => {
            let len = rest
                .bytes()
                .take_while(|&b| !is_space(b) && b != b'>')
                .count();
            let value = &rest[..len];
            let odd = |b: u8| matches!(b, b'"' | b'\'' | b'<' | b'=' | b'`');
            (len > 0 && !value.bytes().any(odd)).then_some((value, len))
        }
    }
}

/// The tokenizer's whitespace between attributes (a CR reads as an LF).
fn is_space(byte: u8) -> bool {
    matches!(byte, b' ' | b'\t' | b'\n' | b'\r' | 0x0C)
}

/// What the policy does with an attribute of an element written in one pass.
#[derive(PartialEq, Eq)]
pub(super) enum Rule {
    /// Removed: not in ammonia's allow list for the element.
    Dropped,
    /// Kept as text (decoded, then escaped).
    Text,
    /// Kept when it is an absolute `http(s)` URL, which the policy keeps as it is.
    Url,
    /// Kept by the policy in a way this module does not write (a relative URL is
    /// resolved, `lang` and `title` kept on every element): left to the tree.
    Declined,
}

/// The rule for attribute `name` of element `element` (ammonia's default allow
/// lists, less what the policy removes: `cite`).
pub(super) fn rule(element: &str, name: &str) -> Rule {
    match (element, name) {
        (_, "lang" | "title") => Rule::Declined,
        ("a", "href") | ("img", "src") => Rule::Url,
        ("a", "hreflang") | ("ol", "start") | ("ul", "type") => Rule::Declined,
        ("img", "alt" | "width" | "height" | "align") => Rule::Text,
        _ => Rule::Dropped,
    }
}

/// Writes ` name="value"` for a kept attribute as the serializer writes it: its value
/// decoded as the tokenizer decodes attribute values, then escaped; `None` where
/// either would need the tree.
pub(super) fn push_text(out: &mut String, name: &str, value: &str) -> Option<()> {
    out.push(' ');
    out.push_str(name);
    out.push_str("=\"");
    let mut rest = value;
    while let Some(at) = rest.find(['&', '\r']) {
        for c in rest[..at].chars() {
            push_escaped(out, c, Place::Attribute)?;
        }
        if rest.as_bytes()[at] == b'\r' {
            // The tokenizer reads a CR LF pair, or a CR alone, as one LF.
            out.push('\n');
            rest = &rest[at + 1..];
            rest = rest.strip_prefix('\n').unwrap_or(rest);
        } else {
            let len = reference(&rest[at + 1..], Place::Attribute, out)?;
            rest = &rest[at + 1 + len..];
        }
    }
    for c in rest.chars() {
        push_escaped(out, c, Place::Attribute)?;
    }
    out.push('"');
    Some(())
}

/// Writes ` name="url"` for a URL attribute whose value, decoded, is an absolute
/// `http(s)` URL, which ammonia keeps as it is; `None` for any other value (a
/// relative URL is resolved against the base, another scheme dropped: the tree's
/// business) or one with spaces, quotes, `<`, `>` or references other than `&amp;`.
pub(super) fn push_url(out: &mut String, name: &str, value: &str) -> Option<()> {
    let odd = |b: u8| {
        b.is_ascii_whitespace() || b.is_ascii_control() || matches!(b, b'<' | b'>' | b'"' | b'\'')
    };
    // 0xC2 starts U+0080–U+00BF, among them the no-break space the serializer would
    // write as a reference.
    if value.bytes().any(|b| odd(b) || b == 0xC2) {
        return None;
    }
    let mut url = String::with_capacity(value.len());
    let mut pieces = value.split('&');
    url.push_str(pieces.next().unwrap_or_default());
    for piece in pieces {
        url.push('&');
        url.push_str(piece.strip_prefix("amp;")?);
    }
    if !(url.starts_with("http://") || url.starts_with("https://")) {
        return None;
    }
    let parsed = url::Url::parse(&url).ok()?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return None;
    }
    out.push(' ');
    out.push_str(name);
    out.push_str("=\"");
    let mut pieces = url.split('&');
    out.push_str(pieces.next().unwrap_or_default());
    for piece in pieces {
        out.push_str("&amp;");
        out.push_str(piece);
    }
    out.push('"');
    Some(())
}
