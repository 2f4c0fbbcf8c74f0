//! The Atom 1.0 writer (with `atom_syndication`): feed with self and alternate links;
//! entries with html summary and content (the content carrying the "Also reported
//! by" block), the item's authors (the source's title when the item names none, as
//! Atom requires), categories with their scheme, `link rel="enclosure"` for each
//! media file, `link rel="replies"` for the comments page, the image as Media RSS
//! `media:thumbnail`, `<source>` attribution and `link rel="related"` for each other
//! copy of the story. Text is escaped, never put in CDATA.

use std::collections::BTreeMap;

use atom_syndication::extension::{Extension, ExtensionMap};
use atom_syndication::{Category, Content, Entry, Feed, Generator, Link, Person, Source, Text};
use chrono::{DateTime, FixedOffset, Utc};

use super::{
    Format, MEDIA_NAMESPACE, body_html, display_name, document_capacity, enclosure_type, feed_url,
    home_url,
};
use crate::model::{OutputFeed, OutputItem};
use crate::sanitize::clean_text;

/// Writes `feed` as an Atom 1.0 document.
pub(super) fn write_atom(feed: &OutputFeed) -> Vec<u8> {
    let self_url = clean_text(&feed_url(&feed.base_url, &feed.name, Format::Atom));
    let atom = Feed {
        title: Text::plain(clean_text(&feed.title)),
        id: self_url.clone(),
        updated: fixed(feed.updated),
        links: vec![
            link(self_url, "self", Some("application/atom+xml")),
            link(
                clean_text(&home_url(&feed.base_url)),
                "alternate",
                Some("text/html"),
            ),
        ],
        subtitle: Some(Text::plain(clean_text(&feed.description)))
            .filter(|subtitle| !subtitle.value.is_empty()),
        generator: Some(Generator {
            value: "feedbraid".to_string(),
            ..Generator::default()
        }),
        entries: feed.items.iter().map(atom_entry).collect(),
        namespaces: if feed.items.iter().any(|item| item.links.image.is_some()) {
            BTreeMap::from([("media".to_string(), MEDIA_NAMESPACE.to_string())])
        } else {
            BTreeMap::new()
        },
        ..Feed::default()
    };
    // Writing into a Vec performs no I/O that could fail, and every element name is a
    // constant of the crate, so an error here is a bug in this module.
    atom.write_to(Vec::with_capacity(document_capacity(feed)))
        .expect("writing Atom into memory cannot fail")
}

fn atom_entry(item: &OutputItem) -> Entry {
    let source_title = clean_text(display_name(&item.source.title, &item.source.name));
    let mut authors: Vec<Person> = item
        .authors
        .iter()
        .map(|name| clean_text(name))
        .filter(|name| !name.is_empty())
        .map(|name| Person {
            name,
            ..Person::default()
        })
        .collect();
    if authors.is_empty() {
        authors.push(Person {
            name: source_title.clone(),
            ..Person::default()
        });
    }
    let mut links = Vec::new();
    if let Some(url) = item.link.as_deref().map(clean_text) {
        links.push(link(url, "alternate", Some("text/html")));
    }
    for enclosure in &item.links.enclosures {
        links.push(Link {
            length: enclosure.length.map(|length| length.to_string()),
            ..link(
                clean_text(&enclosure.url),
                "enclosure",
                Some(&enclosure_type(enclosure)),
            )
        });
    }
    if let Some(url) = item.links.comments.as_deref().map(clean_text) {
        links.push(link(url, "replies", Some("text/html")));
    }
    for copy in &item.also {
        if let Some(url) = copy.url.as_deref().map(clean_text) {
            links.push(link(url, "related", Some("text/html")));
        }
    }
    let body = body_html(item);
    Entry {
        title: Text::plain(clean_text(&item.title)),
        id: clean_text(&item.id),
        updated: fixed(item.updated),
        published: Some(fixed(item.date)),
        authors,
        categories: item
            .categories
            .iter()
            .map(|category| Category {
                term: clean_text(&category.name),
                scheme: category.scheme.as_deref().map(clean_text),
                ..Category::default()
            })
            .collect(),
        extensions: thumbnail_extension(item),
        links,
        summary: item
            .summary_html
            .as_deref()
            .map(clean_text)
            .filter(|html| !html.is_empty())
            .map(Text::html),
        content: (!body.is_empty()).then(|| Content {
            value: Some(body),
            content_type: Some("html".to_string()),
            ..Content::default()
        }),
        source: Some(Source {
            title: Text::plain(source_title),
            id: clean_text(&item.source.url),
            updated: fixed(item.updated),
            links: vec![link(
                clean_text(&item.source.url),
                "self",
                Some("application/xml"),
            )],
            ..Source::default()
        }),
        ..Entry::default()
    }
}

/// The item's image as Media RSS `media:thumbnail` (its namespace is declared on the
/// feed when any entry has one).
fn thumbnail_extension(item: &OutputItem) -> ExtensionMap {
    let Some(image) = &item.links.image else {
        return ExtensionMap::new();
    };
    // atom_syndication writes extension attributes as given, unescaped.
    let url = clean_text(image)
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('"', "&quot;");
    let thumbnail = Extension {
        name: "media:thumbnail".to_string(),
        attrs: BTreeMap::from([("url".to_string(), url)]),
        ..Extension::default()
    };
    ExtensionMap::from([(
        "media".to_string(),
        BTreeMap::from([("thumbnail".to_string(), vec![thumbnail])]),
    )])
}

fn link(href: String, rel: &str, mime_type: Option<&str>) -> Link {
    Link {
        href,
        rel: rel.to_string(),
        mime_type: mime_type.map(str::to_string),
        ..Link::default()
    }
}

fn fixed(date: DateTime<Utc>) -> DateTime<FixedOffset> {
    date.fixed_offset()
}
