//! How an entry's values are kept in an item's columns, alike in every backend
//! ([`EntryColumns`]); authors, categories and links compactly, and readable by any
//! database client:
//!
//! - `author`: the names joined by U+001F (the unit separator, which never occurs in
//!   text cleaned for XML 1.0); a row written when one text held every name reads
//!   as that one name;
//! - `categories`: a JSON array, each category its name, or `{"name", "scheme"}`
//!   when it has a scheme (rows holding plain names read as they are);
//! - `links`: the [`ItemLinks`] as JSON, NULL when empty (most items).

use serde::{Deserialize, Serialize};

use super::body::{Packed, packed_bodies};
use crate::ingest::StoryChoice;
use crate::model::{Category, Entry, ItemLinks};

const AUTHOR_SEPARATOR: char = '\u{1f}';

pub(super) fn authors_value(authors: &[String]) -> Option<String> {
    let names: Vec<String> = authors
        .iter()
        .map(|name| name.replace(AUTHOR_SEPARATOR, " "))
        .collect();
    Some(names.join(&AUTHOR_SEPARATOR.to_string())).filter(|value| !value.is_empty())
}

pub(super) fn authors_from(value: Option<String>) -> Vec<String> {
    value
        .iter()
        .flat_map(|value| value.split(AUTHOR_SEPARATOR))
        .filter(|name| !name.is_empty())
        .map(str::to_string)
        .collect()
}

/// A category as stored.
#[derive(Serialize, Deserialize)]
#[serde(untagged)]
enum StoredCategory {
    Name(String),
    WithScheme { name: String, scheme: String },
}

pub(super) fn categories_value(categories: &[Category]) -> String {
    let stored: Vec<StoredCategory> = categories
        .iter()
        .map(|category| match &category.scheme {
            Some(scheme) => StoredCategory::WithScheme {
                name: category.name.clone(),
                scheme: scheme.clone(),
            },
            None => StoredCategory::Name(category.name.clone()),
        })
        .collect();
    // A list of strings and string pairs always serializes.
    serde_json::to_string(&stored).unwrap_or_else(|_| "[]".into())
}

/// The categories of a stored value; a value no version wrote reads as none.
pub(super) fn categories_from(value: &str) -> Vec<Category> {
    let stored: Vec<StoredCategory> = serde_json::from_str(value).unwrap_or_default();
    stored
        .into_iter()
        .map(|category| match category {
            StoredCategory::Name(name) => Category::named(name),
            StoredCategory::WithScheme { name, scheme } => Category {
                name,
                scheme: Some(scheme),
            },
        })
        .collect()
}

pub(super) fn links_value(links: &ItemLinks) -> Option<String> {
    // Plain structs of strings and numbers always serialize.
    (!links.is_empty()).then(|| serde_json::to_string(links).unwrap_or_default())
}

/// The links of a stored value; a value no version wrote reads as none.
pub(super) fn links_from(value: Option<String>) -> ItemLinks {
    value
        .and_then(|value| serde_json::from_str(&value).ok())
        .unwrap_or_default()
}

/// An entry's values as its row keeps them, derived alike for every backend.
pub(super) struct EntryColumns<'a> {
    pub summary: Option<Packed<'a>>,
    pub content: Option<Packed<'a>>,
    pub authors: Option<String>,
    pub categories: String,
    pub links: Option<String>,
    /// Unix seconds.
    pub published: Option<i64>,
    /// Unix seconds: the entry's own update time.
    pub source_updated: Option<i64>,
    /// Kept only where it differs from the link: read back as
    /// `COALESCE(canonical_link, link)`.
    pub canonical: Option<&'a str>,
    /// The key the canonical link is found by (`identity::link_key`).
    pub link_key: Option<i64>,
}

impl EntryColumns<'_> {
    pub(super) fn of(entry: &Entry) -> EntryColumns<'_> {
        let (summary, content) = packed_bodies(entry);
        EntryColumns {
            summary,
            content,
            authors: authors_value(&entry.authors),
            categories: categories_value(&entry.categories),
            links: links_value(&entry.links),
            published: entry.published.map(|d| d.timestamp()),
            source_updated: entry.updated.map(|d| d.timestamp()),
            canonical: entry
                .canonical_link
                .as_deref()
                .filter(|c| entry.link.as_deref() != Some(*c)),
            link_key: entry
                .canonical_link
                .as_deref()
                .map(crate::identity::link_key),
        }
    }
}

/// How a new item joined its story, as its row keeps it: the layer and the score
/// (none for an item that starts its own).
pub(super) fn story_evidence(story: StoryChoice) -> (Option<&'static str>, Option<f64>) {
    match story.evidence() {
        Some((layer, score)) => (Some(layer.as_str()), Some(f64::from(score))),
        None => (None, None),
    }
}

/// The host of an article page, by which claims leave out hosts with enough waiting
/// (empty when the link does not parse).
pub(super) fn article_host(link: &str) -> String {
    url::Url::parse(link)
        .map(|url| crate::fetch::host_of(&url))
        .unwrap_or_default()
}

/// A stored Unix time in seconds as a UTC time (none when absent or out of range).
pub(super) fn to_time(secs: Option<i64>) -> Option<chrono::DateTime<chrono::Utc>> {
    secs.and_then(|s| chrono::DateTime::from_timestamp(s, 0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Enclosure;

    #[test]
    fn authors_round_trip_and_an_older_single_text_reads_as_one_name() {
        let authors = vec!["Smith, John".to_string(), "Jane Doe".to_string()];
        assert_eq!(authors_from(authors_value(&authors)), authors);
        assert_eq!(authors_value(&[]), None);
        assert_eq!(
            authors_from(Some("Staff, Wire".into())),
            vec!["Staff, Wire".to_string()]
        );
    }

    #[test]
    fn categories_round_trip_and_plain_names_still_read() {
        let categories = vec![
            Category::named("World"),
            Category {
                name: "Iran".into(),
                scheme: Some("http://example.com/places".into()),
            },
        ];
        let value = categories_value(&categories);
        assert_eq!(
            value,
            r#"["World",{"name":"Iran","scheme":"http://example.com/places"}]"#
        );
        assert_eq!(categories_from(&value), categories);
        assert_eq!(
            categories_from(r#"["a","b"]"#),
            vec![Category::named("a"), Category::named("b")]
        );
        assert!(categories_from("not json").is_empty());
    }

    #[test]
    fn links_are_null_when_empty_and_round_trip_otherwise() {
        assert_eq!(links_value(&ItemLinks::default()), None);
        let links = ItemLinks {
            enclosures: vec![Enclosure {
                url: "https://example.com/a.mp3".into(),
                media_type: Some("audio/mpeg".into()),
                length: Some(1234),
            }],
            image: Some("https://example.com/a.jpg".into()),
            comments: None,
        };
        assert_eq!(links_from(links_value(&links)), links);
        assert_eq!(links_from(Some("{".into())), ItemLinks::default());
    }
}
