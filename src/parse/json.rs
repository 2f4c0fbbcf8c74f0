//! JSON Feed documents feed-rs refuses whole, made readable: a version 1 feed that
//! names its version with `http://`, and fields of the wrong type (`tags` as one
//! comma-separated string, a number where a string belongs). One bad field costs that
//! field, never its item; one bad item costs that item, never the feed.

use serde_json::{Map, Value};

/// The version every JSON Feed is read as: 1.1 reads 1.0 documents too.
const VERSION: &str = "https://jsonfeed.org/version/1.1";

/// Whether `bytes` is a JSON document (after a UTF-8 byte order mark and whitespace,
/// an object).
pub(super) fn is_json(bytes: &[u8]) -> bool {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    bytes.trim_ascii_start().starts_with(b"{")
}

/// Each item's picture (`image`, else `banner_image`), in item order, from a
/// document feed-rs read: feed-rs keeps neither. Empty when `bytes` is not JSON.
pub(super) fn item_images(bytes: &[u8]) -> Vec<Option<String>> {
    #[derive(serde::Deserialize)]
    struct Document {
        #[serde(default)]
        items: Vec<Value>,
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let Ok(document) = serde_json::from_slice::<Document>(bytes) else {
        return Vec::new();
    };
    document
        .items
        .iter()
        .map(|item| {
            ["image", "banner_image"]
                .iter()
                .find_map(|key| item.get(key).and_then(Value::as_str))
                .map(str::to_string)
        })
        .collect()
}

/// The document repaired so that `accepts` (feed-rs, in practice) takes it: the
/// version named as 1.1 when it is a JSON Feed 1 or 1.1, comma-separated `tags`
/// split, then each top-level field and each item field that still makes the
/// document unreadable dropped, and an item that stays unreadable dropped.
/// `None` when the bytes are not a JSON Feed object at all.
pub(super) fn repair(bytes: &[u8], accepts: impl Fn(&[u8]) -> bool) -> Option<Vec<u8>> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let Value::Object(mut feed) = serde_json::from_slice(bytes).ok()? else {
        return None;
    };
    let version = feed.get("version").and_then(Value::as_str)?;
    if !version.contains("jsonfeed.org/version/1") {
        return None;
    }
    feed.insert("version".into(), Value::String(VERSION.into()));
    let mut items = match feed.remove("items") {
        Some(Value::Array(items)) => items,
        _ => Vec::new(),
    };
    // Only what parsing keeps is worth repairing: each bad item costs a few parses.
    items.truncate(super::MAX_ITEMS);
    let reads = |feed: &Map<String, Value>| {
        serde_json::to_vec(&Value::Object(feed.clone())).is_ok_and(|bytes| accepts(&bytes))
    };
    // The feed's own fields first, with no items to get in the way.
    feed.insert("items".into(), Value::Array(Vec::new()));
    drop_bad_fields(&mut feed, &["version", "items"], &reads);

    let mut kept = Vec::with_capacity(items.len());
    for item in items {
        let Value::Object(mut item) = item else {
            continue;
        };
        split_tags(&mut item);
        let with = |item: &Map<String, Value>| {
            let mut one = feed.clone();
            one.insert(
                "items".into(),
                Value::Array(vec![Value::Object(item.clone())]),
            );
            reads(&one)
        };
        drop_bad_fields(&mut item, &[], &with);
        if with(&item) {
            kept.push(Value::Object(item));
        }
    }
    feed.insert("items".into(), Value::Array(kept));
    serde_json::to_vec(&Value::Object(feed)).ok()
}

/// `tags` given as one string: its comma-separated parts.
fn split_tags(item: &mut Map<String, Value>) {
    if let Some(Value::String(tags)) = item.get("tags") {
        let parts = tags
            .split(',')
            .map(str::trim)
            .filter(|tag| !tag.is_empty())
            .map(|tag| Value::String(tag.to_owned()))
            .collect();
        item.insert("tags".into(), Value::Array(parts));
    }
}

/// Drops, one at a time, each field (but those in `keep`) without which `object`
/// reads and with which it does not.
fn drop_bad_fields(
    object: &mut Map<String, Value>,
    keep: &[&str],
    reads: &impl Fn(&Map<String, Value>) -> bool,
) {
    if reads(object) {
        return;
    }
    let keys: Vec<String> = object.keys().cloned().collect();
    for key in keys {
        if keep.contains(&key.as_str()) {
            continue;
        }
        let Some(value) = object.remove(&key) else {
            continue;
        };
        if reads(object) {
            return;
        }
        // This field was not the (only) trouble: put it back only if it reads alone.
        let mut alone = Map::new();
        for name in keep {
            if let Some(kept) = object.get(*name) {
                alone.insert((*name).to_owned(), kept.clone());
            }
        }
        alone.insert(key.clone(), value.clone());
        if reads(&alone) {
            object.insert(key, value);
        }
    }
}
