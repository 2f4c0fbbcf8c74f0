//! Identity decisions, pure: the canonical form of a link, an entry's key within its
//! source, the public id of a stored item, and the content hash that tells an edit.

/// Canonical form of a link for recognising the same story across sources: lower-case
/// scheme and host, no default port, no fragment, no trailing slash, no `utm_*`,
/// `fbclid`, `gclid`. `None` when `link` is not an absolute http(s) URL.
pub fn canonical_link(link: &str) -> Option<String> {
    let _ = link;
    todo!("ingest helper")
}

/// The public id of an item, derived once from its source name and key and then stored:
/// `urn:feedbraid:<hex>`. Stable across polls and restarts; unique per (source, key).
pub fn public_id(source: &str, key: &str) -> String {
    let _ = (source, key);
    todo!("ingest helper")
}
