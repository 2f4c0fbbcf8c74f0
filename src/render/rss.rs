//! The RSS 2.0 writer (with the `rss` crate): channel with an `atom:link rel="self"`,
//! items with a non-permalink guid, `content:encoded` carrying the content and the
//! "Also reported by" block, `dc:creator` for each author, categories with their
//! `domain`, `<comments>`, the first media file as `<enclosure>` and every one as
//! Media RSS `media:content`, the image as `media:thumbnail`, and `<source>`
//! attribution.
//! HTML goes into CDATA sections, which the crate splits around any `]]>`.

use std::collections::BTreeMap;

use ::rss::extension::Extension;
use ::rss::extension::dublincore::DublinCoreExtension;
use ::rss::{Category, Channel, Enclosure, Guid, Item, Source};

use super::{
    Format, MEDIA_NAMESPACE, body_html, document_capacity, enclosure_type, feed_url, home_url,
};
use crate::model::{OutputFeed, OutputItem};
use crate::sanitize::clean_text;

const ATOM_NAMESPACE: &str = "http://www.w3.org/2005/Atom";

/// Writes `feed` as an RSS 2.0 document.
pub(super) fn write_rss(feed: &OutputFeed) -> Vec<u8> {
    let mut channel = Channel {
        title: clean_text(&feed.title),
        link: clean_text(&home_url(&feed.base_url)),
        description: clean_text(&feed.description),
        last_build_date: Some(feed.updated.to_rfc2822()),
        generator: Some("feedbraid".to_string()),
        items: feed.items.iter().map(rss_item).collect(),
        ..Channel::default()
    };
    channel
        .namespaces
        .insert("atom".to_string(), ATOM_NAMESPACE.to_string());
    if feed.items.iter().any(has_media) {
        channel
            .namespaces
            .insert("media".to_string(), MEDIA_NAMESPACE.to_string());
    }
    let self_link = Extension {
        name: "atom:link".to_string(),
        attrs: BTreeMap::from([
            (
                "href".to_string(),
                clean_text(&feed_url(&feed.base_url, &feed.name, Format::Rss)),
            ),
            ("rel".to_string(), "self".to_string()),
            ("type".to_string(), "application/rss+xml".to_string()),
        ]),
        ..Extension::default()
    };
    channel.extensions.insert(
        "atom".to_string(),
        BTreeMap::from([("link".to_string(), vec![self_link])]),
    );
    // Writing into a Vec performs no I/O that could fail, and every element name
    // above is a constant, so an error here is a bug in this module.
    channel
        .write_to(Vec::with_capacity(document_capacity(feed)))
        .expect("writing RSS into memory cannot fail")
}

fn rss_item(item: &OutputItem) -> Item {
    let body = body_html(item);
    let description = item
        .summary_html
        .as_deref()
        .or(item.content_html.as_deref())
        .map(clean_text)
        .filter(|text| !text.is_empty());
    Item {
        title: Some(clean_text(&item.title)),
        link: item.link.as_deref().map(clean_text),
        description,
        content: (!body.is_empty()).then_some(body),
        guid: Some(Guid {
            value: clean_text(&item.id),
            permalink: false,
        }),
        pub_date: Some(item.date.to_rfc2822()),
        categories: item
            .categories
            .iter()
            .map(|category| Category {
                name: clean_text(&category.name),
                domain: category.scheme.as_deref().map(clean_text),
            })
            .collect(),
        // One `<enclosure>`, as RSS readers expect; every file as `media:content`.
        enclosure: item.links.enclosures.first().map(|enclosure| Enclosure {
            url: clean_text(&enclosure.url),
            length: enclosure.length.unwrap_or(0).to_string(),
            mime_type: enclosure_type(enclosure),
        }),
        comments: item.links.comments.as_deref().map(clean_text),
        extensions: media_extensions(item),
        source: Some(Source {
            url: clean_text(&item.source.url),
            title: Some(clean_text(super::display_name(
                &item.source.title,
                &item.source.name,
            ))),
        }),
        dublin_core_ext: (!item.authors.is_empty()).then(|| DublinCoreExtension {
            creators: item.authors.iter().map(|name| clean_text(name)).collect(),
            ..DublinCoreExtension::default()
        }),
        ..Item::default()
    }
}

fn has_media(item: &OutputItem) -> bool {
    !item.links.enclosures.is_empty() || item.links.image.is_some()
}

/// `media:content` for each enclosure and `media:thumbnail` for the image.
fn media_extensions(item: &OutputItem) -> ::rss::extension::ExtensionMap {
    let mut media: BTreeMap<String, Vec<Extension>> = BTreeMap::new();
    for enclosure in &item.links.enclosures {
        let mut attrs = BTreeMap::from([
            ("url".to_string(), clean_text(&enclosure.url)),
            ("type".to_string(), enclosure_type(enclosure)),
        ]);
        if let Some(length) = enclosure.length {
            attrs.insert("fileSize".to_string(), length.to_string());
        }
        media
            .entry("content".to_string())
            .or_default()
            .push(media_element("media:content", attrs));
    }
    if let Some(image) = &item.links.image {
        let attrs = BTreeMap::from([("url".to_string(), clean_text(image))]);
        media.insert(
            "thumbnail".to_string(),
            vec![media_element("media:thumbnail", attrs)],
        );
    }
    if media.is_empty() {
        return BTreeMap::new();
    }
    BTreeMap::from([("media".to_string(), media)])
}

fn media_element(name: &str, attrs: BTreeMap<String, String>) -> Extension {
    Extension {
        name: name.to_string(),
        attrs,
        ..Extension::default()
    }
}
