//! The Atom 1.0 writer (with `atom_syndication`): feed with self and alternate links;
//! entries with html summary and content (the content carrying the "Also reported
//! by" block), an author on every entry (the source's title when the item names
//! none, as Atom requires), `<source>` attribution and `link rel="related"` for each
//! other copy of the story. Text is escaped, never put in CDATA.

use atom_syndication::{Category, Content, Entry, Feed, Generator, Link, Person, Source, Text};
use chrono::{DateTime, FixedOffset, Utc};

use super::{Format, body_html, display_name, feed_url, home_url};
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
        ..Feed::default()
    };
    // Writing into a Vec performs no I/O that could fail, and every element name is a
    // constant of the crate, so an error here is a bug in this module.
    atom.write_to(Vec::new())
        .expect("writing Atom into memory cannot fail")
}

fn atom_entry(item: &OutputItem) -> Entry {
    let source_title = clean_text(display_name(&item.source.title, &item.source.name));
    let author = item
        .author
        .as_deref()
        .map(clean_text)
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| source_title.clone());
    let mut links = Vec::new();
    if let Some(url) = item.link.as_deref().map(clean_text) {
        links.push(link(url, "alternate", Some("text/html")));
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
        authors: vec![Person {
            name: author,
            ..Person::default()
        }],
        categories: item
            .categories
            .iter()
            .map(|term| Category {
                term: clean_text(term),
                ..Category::default()
            })
            .collect(),
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
