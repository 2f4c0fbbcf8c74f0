//! Assembling an output feed from stored items, pure: the grouping of copies into
//! stories with one representative, order and limit ([`stories`]), then the output
//! items ([`output_feed`]). Between the two, the publisher reads the HTML of the
//! representatives alone: the other copies are only named.

use std::collections::HashMap;

use crate::config::{Config, DedupMode, FeedConfig};
use crate::model::{AlsoRef, OutputFeed, OutputItem, SourceRef, StoredItem};
use crate::store::ItemHtml;

/// Builds the feed from `items` read with their HTML: [`stories`], then
/// [`output_feed`].
pub fn assemble(config: &Config, feed: &FeedConfig, items: Vec<StoredItem>) -> OutputFeed {
    output_feed(config, feed, stories(config, feed, items))
}

/// The feed's stories among `items` (every item or story copy that belongs to it, in
/// any order), newest first, at most `feed.limit`: each story's copies, the one that
/// speaks for it first. With `dedup = "collapse"` the copies of one story are one
/// story: the copy from the source with the highest `priority`, else the earliest copy
/// (by first sight, then by its own date), speaks for it; with `keep` every item is
/// its own.
pub fn stories(
    config: &Config,
    feed: &FeedConfig,
    mut items: Vec<StoredItem>,
) -> Vec<Vec<StoredItem>> {
    // A source with a higher `priority` speaks for a story it carries; otherwise the
    // earliest copy does (copies first seen in the same second go by their own date).
    let priority = |name: &str| config.source(name).map_or(0, |s| s.priority);
    items.sort_by_key(|i| {
        (
            std::cmp::Reverse(priority(&i.source)),
            i.first_seen,
            i.date,
            i.row,
        )
    });
    // Every group holds at least the item that started it.
    let mut groups: Vec<Vec<StoredItem>> = match feed.dedup {
        DedupMode::Keep => items.into_iter().map(|i| vec![i]).collect(),
        DedupMode::Collapse => {
            let mut order: Vec<i64> = Vec::new();
            let mut by_story: HashMap<i64, Vec<StoredItem>> = HashMap::new();
            for item in items {
                let group = by_story.entry(item.story).or_default();
                if group.is_empty() {
                    order.push(item.story);
                }
                group.push(item);
            }
            order
                .into_iter()
                .filter_map(|story| by_story.remove(&story))
                .collect()
        }
    };
    groups.sort_by(|a, b| {
        let (a, b) = (&a[0], &b[0]);
        b.date
            .cmp(&a.date)
            .then_with(|| b.public_id.cmp(&a.public_id))
    });
    groups.truncate(feed.limit);
    groups
}

/// The rows of the copies that speak for `stories`: the items whose HTML the output
/// shows.
pub fn speaking_rows(stories: &[Vec<StoredItem>]) -> Vec<i64> {
    stories
        .iter()
        .filter_map(|copies| copies.first())
        .map(|first| first.row)
        .collect()
}

/// Gives each copy that speaks for a story its HTML, read apart
/// ([`speaking_rows`]). A copy whose HTML is not among `html` keeps what it was read
/// with.
pub fn speak_with(stories: &mut [Vec<StoredItem>], html: Vec<ItemHtml>) {
    let mut by_row: HashMap<i64, ItemHtml> = html.into_iter().map(|h| (h.row, h)).collect();
    for first in stories.iter_mut().filter_map(|copies| copies.first_mut()) {
        if let Some(html) = by_row.remove(&first.row) {
            first.summary_html = html.summary_html;
            first.content_html = html.content_html;
        }
    }
}

/// The output feed of `stories` as [`stories`] gives them: one item each, told by its
/// first copy and naming the others.
pub fn output_feed(
    config: &Config,
    feed: &FeedConfig,
    stories: Vec<Vec<StoredItem>>,
) -> OutputFeed {
    let out: Vec<OutputItem> = stories
        .into_iter()
        .filter_map(|copies| output_item(config, copies))
        .collect();
    OutputFeed {
        name: feed.name.clone(),
        title: feed.title.clone(),
        description: feed.description.clone(),
        base_url: config.server.base().to_string(),
        updated: out.iter().map(|i| i.updated).max().unwrap_or_default(),
        items: out,
    }
}

fn source_ref(config: &Config, name: &str) -> SourceRef {
    let source = config.source(name);
    SourceRef {
        name: name.to_string(),
        title: source
            .and_then(|s| s.title.clone())
            .unwrap_or_else(|| name.to_string()),
        url: source.map(|s| s.url.to_string()).unwrap_or_default(),
    }
}

/// The output item for one story: `copies` earliest first; the first speaks for it.
fn output_item(config: &Config, copies: Vec<StoredItem>) -> Option<OutputItem> {
    let mut copies = copies.into_iter();
    let first = copies.next()?;
    let also = copies
        .map(|c| AlsoRef {
            source_title: source_ref(config, &c.source).title,
            source: c.source,
            url: c.link,
            id: c.public_id,
        })
        .collect();
    Some(OutputItem {
        id: first.public_id,
        title: first.title,
        link: first.link,
        summary_html: first.summary_html,
        content_html: first.content_html,
        authors: first.authors,
        links: first.links,
        categories: first.categories,
        date: first.date,
        updated: first.updated,
        source: source_ref(config, &first.source),
        also,
    })
}
