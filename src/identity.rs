//! Identity decisions, pure: the canonical form of a link, an entry's key within its
//! source, the public id of a stored item, and the content hash that tells an edit.
//!
//! Keys carry their kind as a prefix so kinds never collide: `g:` a guid, `l:` a
//! canonical link, `h:` a hash of title and content. Duplicates inside one document
//! are told apart by `disambiguate_keys` (see there for why it works the way it does).

use std::collections::HashMap;

use sha2::{Digest, Sha256};

/// Query parameters that only track where a reader came from.
fn is_tracking_param(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    name.starts_with("utm_") || matches!(name.as_str(), "fbclid" | "gclid" | "mc_cid" | "mc_eid")
}

/// The 64-bit key a canonical link is looked up by (the first 8 bytes of its SHA-256):
/// an index of these is a tenth the size of one of the links, and a lookup compares
/// the link itself too, so a shared key never joins different links. Stored with
/// every item: it must never change.
pub fn link_key(canonical: &str) -> i64 {
    let digest = Sha256::digest(canonical.as_bytes());
    i64::from_le_bytes([
        digest[0], digest[1], digest[2], digest[3], digest[4], digest[5], digest[6], digest[7],
    ])
}

/// Canonical form of a link for recognising the same story across sources: lower-case
/// scheme and host, no default port, no fragment, no trailing slash, no `utm_*`,
/// `fbclid`, `gclid`, `mc_cid`, `mc_eid`; the remaining query kept in order; user
/// name and password dropped. `None` when `link` is not an absolute http(s) URL.
pub fn canonical_link(link: &str) -> Option<String> {
    // The url crate lower-cases scheme and host and drops default ports itself.
    canonical_link_of(&url::Url::parse(link.trim()).ok()?)
}

/// [`canonical_link`] of a link parsed already. The same: an http(s) URL the url
/// crate has parsed parses again to itself.
pub fn canonical_link_of(url: &url::Url) -> Option<String> {
    if !matches!(url.scheme(), "http" | "https") {
        return None;
    }
    let host = url.host_str()?;
    let mut canonical = format!("{}://{}", url.scheme(), host);
    if let Some(port) = url.port() {
        canonical.push_str(&format!(":{port}"));
    }
    canonical.push_str(url.path().trim_end_matches('/'));
    let kept: Vec<&str> = url
        .query()
        .unwrap_or("")
        .split('&')
        .filter(|pair| !pair.is_empty())
        .filter(|pair| !is_tracking_param(pair.split('=').next().unwrap_or("")))
        .collect();
    if !kept.is_empty() {
        canonical.push('?');
        canonical.push_str(&kept.join("&"));
    }
    Some(canonical)
}

/// An item's key within its source: its guid, else its canonical link, else a hash
/// of its title and content (`content` is the text a reader sees, HTML removed).
///
/// A guid shaped like an http(s) URL is normalized so that a change of scheme or of
/// host case keeps the key: the scheme is dropped and the host lower-cased.
pub fn entry_key(
    guid: Option<&str>,
    canonical_link: Option<&str>,
    title: &str,
    content: &str,
) -> String {
    if let Some(guid) = guid.map(str::trim).filter(|g| !g.is_empty()) {
        return format!("g:{}", normalize_guid(guid));
    }
    if let Some(link) = canonical_link.filter(|l| !l.is_empty()) {
        return format!("l:{link}");
    }
    format!("h:{}", title_content_hash(title, content))
}

/// A URL-shaped guid without its scheme, host lower-cased; any other guid as is.
fn normalize_guid(guid: &str) -> String {
    match url::Url::parse(guid) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.host_str().is_some() => {
            let prefix_len = url.scheme().len() + "://".len();
            url.as_str()[prefix_len..].to_string()
        }
        _ => guid.to_string(),
    }
}

/// Short hash of a title and content, the identity of an item with neither guid nor link.
fn title_content_hash(title: &str, content: &str) -> String {
    let digest = Sha256::new()
        .chain_update(title.as_bytes())
        .chain_update([0u8])
        .chain_update(content.as_bytes())
        .finalize();
    hex(&digest[..16])
}

/// What tells two items apart when their keys collide within one document.
#[derive(Debug, Clone)]
pub struct KeyCandidate {
    /// The key from [`entry_key`].
    pub key: String,
    pub canonical_link: Option<String>,
    pub title: String,
    /// The text a reader sees, HTML removed.
    pub content: String,
}

/// Makes keys unique within one document, keeping each stable across polls.
///
/// Every item whose key is shared by another item of the same document (a feed that
/// gives all its items one guid, or the same link to two items) gets a suffix from
/// what still tells it apart: `|l:<canonical link>` (for guid keys), else
/// `|h:<title and content hash>`. All copies get the suffix, not only the later ones,
/// because feeds reorder and prepend items: "the first occurrence keeps the plain key"
/// would hand that key to whichever copy is on top at the next poll, turning a new
/// story into an "edit" of an old one. Items that are still equal after that are
/// identical in every way a reader can see; they get `#2`, `#3`… in document order.
pub fn disambiguate_keys(candidates: &[KeyCandidate]) -> Vec<String> {
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for candidate in candidates {
        *counts.entry(candidate.key.as_str()).or_default() += 1;
    }
    let refined: Vec<String> = candidates
        .iter()
        .map(|candidate| {
            if counts[candidate.key.as_str()] < 2 {
                return candidate.key.clone();
            }
            match &candidate.canonical_link {
                Some(link) if candidate.key.starts_with("g:") => {
                    format!("{}|l:{link}", candidate.key)
                }
                _ => format!(
                    "{}|h:{}",
                    candidate.key,
                    title_content_hash(&candidate.title, &candidate.content)
                ),
            }
        })
        .collect();
    let mut seen: HashMap<String, usize> = HashMap::new();
    refined
        .into_iter()
        .map(|key| {
            let occurrence = seen.entry(key.clone()).or_default();
            *occurrence += 1;
            if *occurrence == 1 {
                key
            } else {
                format!("{key}#{occurrence}")
            }
        })
        .collect()
}

/// How many of a public id's 16 bytes name its source. The ids of one source's items
/// sort together, so the unique index of public ids takes a poll's new items on the
/// few pages of their source, not on a random page each (which, with a million items
/// stored, would cost a 16 KiB page per new item at every SQLite commit). The other
/// 12 bytes (96 bits) tell a source's items apart.
const SOURCE_BYTES: usize = 4;

/// The public id of an item, derived once from its source name and key and then stored:
/// `urn:feedbraid:<hex>`, 32 hex digits, the first 8 of sha256(source) then the first
/// 24 of sha256(source, NUL, key). Stable across polls and restarts; unique per
/// (source, key). A stored id is never derived again, so ids stored with another
/// derivation stay as they are.
pub fn public_id(source: &str, key: &str) -> String {
    public_id_from_digest(&SourcePublicIds::of(source).digest(key))
}

/// What every [`public_id`] starts with; its 32 hex digits follow.
pub const PUBLIC_ID_PREFIX: &str = "urn:feedbraid:";

/// The 16 bytes a [`public_id`] spells in hex, or `None` for any other text: a
/// database keeps the bytes, half the size, and spells them again with
/// [`public_id_from_digest`].
pub fn public_id_digest(id: &str) -> Option<[u8; 16]> {
    let digits = id.strip_prefix(PUBLIC_ID_PREFIX)?;
    if digits.len() != 32 {
        return None;
    }
    unhex(digits)?.try_into().ok()
}

/// The public id whose digest is `digest` ([`public_id_digest`]).
pub fn public_id_from_digest(digest: &[u8; 16]) -> String {
    format!("{PUBLIC_ID_PREFIX}{}", hex(digest))
}

/// The public ids a new item of `source` stored under `key` may take, in order:
/// [`public_id`] of its key, then of `key#2`, `key#3`, … for the rare item whose id
/// another item holds (one re-keyed after its guid changed).
pub fn public_id_choices<'a>(source: &'a str, key: &'a str) -> impl Iterator<Item = String> + 'a {
    let ids = SourcePublicIds::of(source);
    (1u32..).map(move |n| public_id_from_digest(&ids.nth_choice(key, n)))
}

/// The digests ([`public_id_digest`]) of the public ids of one source's items, with
/// the source's part hashed once: a poll's new items all take one.
#[derive(Debug, Clone, Copy)]
pub struct SourcePublicIds<'a> {
    source: &'a str,
    of_source: [u8; SOURCE_BYTES],
}

impl<'a> SourcePublicIds<'a> {
    pub fn of(source: &'a str) -> SourcePublicIds<'a> {
        let digest = Sha256::digest(source.as_bytes());
        let mut of_source = [0u8; SOURCE_BYTES];
        of_source.copy_from_slice(&digest[..SOURCE_BYTES]);
        SourcePublicIds { source, of_source }
    }

    /// The digest of [`public_id`] of the item under `key`.
    pub fn digest(&self, key: &str) -> [u8; 16] {
        let of_item = Sha256::new()
            .chain_update(self.source.as_bytes())
            .chain_update([0u8])
            .chain_update(key.as_bytes())
            .finalize();
        let mut id = [0u8; 16];
        id[..SOURCE_BYTES].copy_from_slice(&self.of_source);
        id[SOURCE_BYTES..].copy_from_slice(&of_item[..16 - SOURCE_BYTES]);
        id
    }

    /// [`public_id_choices`] as digests.
    pub fn choices<'k>(&'k self, key: &'k str) -> impl Iterator<Item = [u8; 16]> + 'k {
        (1u32..).map(move |n| self.nth_choice(key, n))
    }

    /// The `n`th (from 1) of [`Self::choices`].
    fn nth_choice(&self, key: &str, n: u32) -> [u8; 16] {
        if n == 1 {
            self.digest(key)
        } else {
            self.digest(&format!("{key}#{n}"))
        }
    }
}

/// The fields of an item a reader sees, for [`content_hash`].
#[derive(Debug, Clone, Copy)]
pub struct VisibleFields<'a> {
    pub title: &'a str,
    pub link: Option<&'a str>,
    pub summary_html: Option<&'a str>,
    pub content_html: Option<&'a str>,
    pub authors: &'a [String],
    pub categories: &'a [crate::model::Category],
    pub links: &'a crate::model::ItemLinks,
}

/// What a reader sees, hashed (hex of the first 128 bits of SHA-256: enough to tell
/// an edit, and stored with every item); a different hash means the item was edited.
/// Each field is tagged and terminated so that moving text between fields changes it.
pub fn content_hash(fields: &VisibleFields<'_>) -> String {
    let mut hasher = Sha256::new();
    let mut field = |tag: &str, value: Option<&str>| {
        hasher.update(tag.as_bytes());
        match value {
            Some(value) => {
                hasher.update([1u8]);
                hasher.update(value.as_bytes());
            }
            None => hasher.update([0u8]),
        }
        hasher.update([0u8]);
    };
    field("title", Some(fields.title));
    field("link", fields.link);
    field("summary", fields.summary_html);
    field("content", fields.content_html);
    // Authors as one text and categories by name hash as they did when they were kept
    // that way, and a scheme or an item's links only when there is one: an item
    // stored before they were kept does not look edited.
    let authors = fields.authors.join(", ");
    field("author", Some(authors.as_str()).filter(|a| !a.is_empty()));
    for category in fields.categories {
        field("category", Some(&category.name));
    }
    for category in fields.categories {
        if let Some(scheme) = &category.scheme {
            field("scheme", Some(scheme));
        }
    }
    if !fields.links.is_empty() {
        // Plain structs of strings and numbers always serialize.
        let links = serde_json::to_string(fields.links).unwrap_or_default();
        field("links", Some(&links));
    }
    hex(&hasher.finalize()[..16])
}

/// Whether a stored content hash is that of an entry's `current` one. Hashes stored
/// as the whole SHA-256 (64 hex digits) begin with the shorter one of the same
/// content, so items stored then do not look edited.
pub fn same_content(stored: &str, current: &str) -> bool {
    stored.starts_with(current) && !current.is_empty()
}

/// A short hex digest of a definition, for storing and comparing at the next start:
/// `kind`, then each field's name and JSON text, one per line in the order given —
/// a stable, versioned text (never `Debug` output, and no JSON object, whose key
/// order a serde_json feature could change), so the digest changes only when a field
/// does, or when `kind` names a new version of the form.
pub fn definition_digest(kind: &str, fields: &[(&str, serde_json::Value)]) -> String {
    let mut text = format!("{kind}\n");
    for (name, value) in fields {
        text.push_str(name);
        text.push(' ');
        text.push_str(&value.to_string());
        text.push('\n');
    }
    hex(&Sha256::digest(text.as_bytes())[..16])
}

/// The bytes lower-case hex digits spell ([`hex`] undone), or `None` for any other
/// text (upper case included, which [`hex`] never writes, so that bytes and text
/// always map one to one).
pub fn unhex(digits: &str) -> Option<Vec<u8>> {
    fn nibble(digit: u8) -> Option<u8> {
        match digit {
            b'0'..=b'9' => Some(digit - b'0'),
            b'a'..=b'f' => Some(digit - b'a' + 10),
            _ => None,
        }
    }
    if !digits.len().is_multiple_of(2) {
        return None;
    }
    let mut bytes = Vec::with_capacity(digits.len() / 2);
    for pair in digits.as_bytes().chunks_exact(2) {
        bytes.push(nibble(pair[0])? << 4 | nibble(pair[1])?);
    }
    Some(bytes)
}

/// Lower-case hex, two digits per byte.
pub fn hex(bytes: &[u8]) -> String {
    // A table lookup per nibble, not `format!` per byte: every item's hashes pass here.
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_link_of_a_parsed_link_is_that_of_its_text() {
        for link in [
            "HTTPS://Example.COM:443/a/b/?utm_source=x&id=7#top",
            "http://user:pw@example.com:8080/./a/../b//?q=%7e&fbclid=1",
            "https://example.com/caf\u{e9}/\u{1f600}?x=\u{e4}",
            "https://xn--caf-dma.example/",
            "https://[::1]:80/path",
            "http://example.com/a%2fb/..;x",
            "https://example.com",
        ] {
            let url = url::Url::parse(link).expect("a valid URL");
            assert_eq!(canonical_link_of(&url), canonical_link(link), "{link}");
            assert_eq!(canonical_link(url.as_str()), canonical_link(link), "{link}");
        }
    }

    #[test]
    fn hex_is_lower_case_two_digits_per_byte() {
        assert_eq!(hex(&[0x00, 0x0f, 0xa5, 0xff]), "000fa5ff");
        assert_eq!(unhex("000fa5ff"), Some(vec![0x00, 0x0f, 0xa5, 0xff]));
        assert_eq!(unhex(""), Some(vec![]));
        for not_hex in ["0", "0g", "0F", "h", " 00"] {
            assert_eq!(unhex(not_hex), None, "{not_hex:?}");
        }
    }

    #[test]
    fn public_ids_round_trip_through_their_digest() {
        let id = public_id("harbor", "g:42");
        let digest = public_id_digest(&id).expect("a public id has a digest");
        assert_eq!(public_id_from_digest(&digest), id);
        for other in [
            "p1",
            "urn:feedbraid:00",
            "urn:other:00112233445566778899aabbccddeeff",
        ] {
            assert_eq!(public_id_digest(other), None, "{other:?}");
        }
    }

    #[test]
    fn public_ids_start_with_their_source_and_differ_by_key() {
        let digest = |source: &str, key: &str| {
            public_id_digest(&public_id(source, key)).expect("a public id has a digest")
        };
        let (a1, a2, b1) = (
            digest("harbor", "g:1"),
            digest("harbor", "g:2"),
            digest("ledger", "g:1"),
        );
        // One source's ids sort together (see SOURCE_BYTES); another's apart.
        assert_eq!(a1[..SOURCE_BYTES], a2[..SOURCE_BYTES]);
        assert_ne!(a1[..SOURCE_BYTES], b1[..SOURCE_BYTES]);
        assert_ne!(a1[SOURCE_BYTES..], a2[SOURCE_BYTES..]);
        // Derived, not drawn: the same (source, key) gives the same id every time.
        assert_eq!(public_id("harbor", "g:1"), public_id("harbor", "g:1"));
        // The item's part keeps (source, key) pairs apart even where the sources'
        // parts are not compared: `harbor` + `x` against `harbo` + `rx`.
        let (x, rx) = (digest("harbor", "x"), digest("harbo", "rx"));
        assert_ne!(x[SOURCE_BYTES..], rx[SOURCE_BYTES..]);
    }

    #[test]
    fn a_sources_digests_are_those_of_its_public_ids_in_the_same_order() {
        let ids = SourcePublicIds::of("harbor");
        let texts: Vec<String> = public_id_choices("harbor", "g:7").take(3).collect();
        let digests: Vec<[u8; 16]> = ids.choices("g:7").take(3).collect();
        assert_eq!(texts[0], public_id("harbor", "g:7"));
        assert_eq!(texts[1], public_id("harbor", "g:7#2"));
        for (text, digest) in texts.iter().zip(&digests) {
            assert_eq!(public_id_digest(text), Some(*digest));
        }
    }

    #[test]
    fn url_guids_ignore_scheme_and_host_case() {
        let a = entry_key(Some("http://News.Example.com/a/1"), None, "", "");
        let b = entry_key(Some("https://news.example.com/a/1"), None, "", "");
        assert_eq!(a, b);
        assert_eq!(a, "g:news.example.com/a/1");
    }

    #[test]
    fn kinds_never_collide() {
        let by_guid = entry_key(Some("https://x.example/a"), None, "", "");
        let by_link = entry_key(None, Some("https://x.example/a"), "", "");
        assert_ne!(by_guid, by_link);
        assert!(entry_key(None, None, "t", "c").starts_with("h:"));
    }

    #[test]
    fn duplicates_are_told_apart_by_link_then_index() {
        let item = |key: &str, link: &str| KeyCandidate {
            key: key.into(),
            canonical_link: Some(link.into()),
            title: "t".into(),
            content: "c".into(),
        };
        let keys = disambiguate_keys(&[
            item("g:1", "https://a.example/x"),
            item("g:1", "https://a.example/y"),
            item("g:2", "https://a.example/z"),
            item("g:1", "https://a.example/y"),
        ]);
        assert_eq!(keys[0], "g:1|l:https://a.example/x");
        assert_eq!(keys[1], "g:1|l:https://a.example/y");
        assert_eq!(keys[2], "g:2");
        assert_eq!(keys[3], "g:1|l:https://a.example/y#2");
    }
}
