//! The RSS 2.0 writer (with the `rss` crate): channel with an `atom:link rel="self"`,
//! items with a non-permalink guid, `content:encoded` carrying the content and the
//! "Also reported by" block, `dc:creator` for the author and `<source>` attribution.
//! HTML goes into CDATA sections, which the crate splits around any `]]>`.

use std::collections::BTreeMap;

use ::rss::extension::Extension;
use ::rss::extension::dublincore::DublinCoreExtension;
use ::rss::{Category, Channel, Guid, Item, Source};

use super::{Format, body_html, feed_url, home_url};
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
        .write_to(Vec::new())
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
            .map(|name| Category {
                name: clean_text(name),
                domain: None,
            })
            .collect(),
        source: Some(Source {
            url: clean_text(&item.source.url),
            title: Some(clean_text(super::display_name(
                &item.source.title,
                &item.source.name,
            ))),
        }),
        dublin_core_ext: item.author.as_deref().map(|author| DublinCoreExtension {
            creators: vec![clean_text(author)],
            ..DublinCoreExtension::default()
        }),
        ..Item::default()
    }
}
