//! The JSON Feed 1.1 writer (serde): items with `content_html` (content, or the
//! summary when there is none, plus the "Also reported by" block), RFC 3339 dates,
//! authors, tags (JSON Feed has no place for a category's scheme), the image, media
//! files as `attachments` (JSON Feed has no place for a comments page either), and the
//! `_feedbraid` extension naming the item's source and the
//! other copies of its story. Field order is fixed by the structs, so output is
//! deterministic.
//! JSON Feed's `summary` is plain text: the summary HTML with its tags removed, and
//! no tag-like text left in it (as with titles).

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;

use super::{
    Format, body_html, display_name, document_capacity, enclosure_type, feed_url, home_url,
};
use crate::model::{AlsoRef, OutputFeed, OutputItem};
use crate::sanitize::{clean_text, inert_text};

const VERSION: &str = "https://jsonfeed.org/version/1.1";

#[derive(Serialize)]
struct JsonFeed<'a> {
    version: &'static str,
    title: String,
    home_page_url: String,
    feed_url: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    description: String,
    items: JsonItems<'a>,
}

/// The feed's items, each made into its [`JsonItem`] as it is written and dropped
/// after: the items' HTML is not held a second time, whole, while the feed is written.
struct JsonItems<'a>(&'a [OutputItem]);

impl Serialize for JsonItems<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter().map(json_item))
    }
}

#[derive(Serialize)]
struct JsonItem {
    id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<String>,
    title: String,
    content_html: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    summary: Option<String>,
    date_published: String,
    date_modified: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    authors: Vec<JsonAuthor>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tags: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    image: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    attachments: Vec<JsonAttachment>,
    #[serde(rename = "_feedbraid")]
    feedbraid: FeedbraidExtension,
}

#[derive(Serialize)]
struct JsonAuthor {
    name: String,
}

#[derive(Serialize)]
struct JsonAttachment {
    url: String,
    mime_type: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    size_in_bytes: Option<u64>,
}

#[derive(Serialize)]
struct FeedbraidExtension {
    source: JsonSource,
    also: Vec<JsonAlso>,
}

#[derive(Serialize)]
struct JsonSource {
    name: String,
    title: String,
    url: String,
}

#[derive(Serialize)]
struct JsonAlso {
    source: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<String>,
    id: String,
}

/// Writes `feed` as a JSON Feed 1.1 document.
pub(super) fn write_json(feed: &OutputFeed) -> Vec<u8> {
    let document = JsonFeed {
        version: VERSION,
        title: clean_text(&feed.title),
        home_page_url: clean_text(&home_url(&feed.base_url)),
        feed_url: clean_text(&feed_url(&feed.base_url, &feed.name, Format::Json)),
        description: clean_text(&feed.description),
        items: JsonItems(&feed.items),
    };
    let mut out = Vec::with_capacity(document_capacity(feed));
    // Plain structs of strings always serialize, and a Vec takes every write.
    serde_json::to_writer(&mut out, &document).expect("serializing a JSON Feed cannot fail");
    out
}

fn json_item(item: &OutputItem) -> JsonItem {
    JsonItem {
        id: clean_text(&item.id),
        url: item.link.as_deref().map(clean_text),
        title: clean_text(&item.title),
        content_html: body_html(item),
        summary: item
            .summary_html
            .as_deref()
            // Text, and tag-free like titles: markup that was escaped in the source
            // (a plain-text summary quoting `<script>`) is dropped, not revealed.
            .map(|html| clean_text(&inert_text(html)))
            .filter(|text| !text.is_empty()),
        date_published: rfc3339(item.date),
        date_modified: rfc3339(item.updated),
        authors: item
            .authors
            .iter()
            .map(|name| clean_text(name))
            .filter(|name| !name.is_empty())
            .map(|name| JsonAuthor { name })
            .collect(),
        tags: item
            .categories
            .iter()
            .map(|category| clean_text(&category.name))
            .collect(),
        image: item.links.image.as_deref().map(clean_text),
        attachments: item
            .links
            .enclosures
            .iter()
            .map(|enclosure| JsonAttachment {
                url: clean_text(&enclosure.url),
                mime_type: enclosure_type(enclosure),
                size_in_bytes: enclosure.length,
            })
            .collect(),
        feedbraid: FeedbraidExtension {
            source: JsonSource {
                name: clean_text(&item.source.name),
                title: clean_text(display_name(&item.source.title, &item.source.name)),
                url: clean_text(&item.source.url),
            },
            also: item.also.iter().map(json_also).collect(),
        },
    }
}

fn json_also(copy: &AlsoRef) -> JsonAlso {
    JsonAlso {
        source: clean_text(&copy.source),
        url: copy.url.as_deref().map(clean_text),
        id: clean_text(&copy.id),
    }
}

fn rfc3339(date: DateTime<Utc>) -> String {
    date.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}
