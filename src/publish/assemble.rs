//! Assembling an output feed from stored items, pure: the text topics look at, the
//! grouping of copies into stories with one representative, order and limit.

use std::collections::HashMap;

use crate::config::{Config, DedupMode, FeedConfig};
use crate::model::{AlsoRef, OutputFeed, OutputItem, SourceRef, StoredItem};

/// Builds the feed from `items`: every item (or story copy) that belongs to it, in
/// any order. With `dedup = "collapse"` the copies of one story become one item: the
/// copy from the source with the highest `priority`, else the earliest copy (by first
/// sight, then by its own date), speaks for the story and names the others.
pub fn assemble(config: &Config, feed: &FeedConfig, mut items: Vec<StoredItem>) -> OutputFeed {
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
    let groups: Vec<Vec<StoredItem>> = match feed.dedup {
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
    let mut out: Vec<OutputItem> = groups
        .into_iter()
        .filter_map(|copies| output_item(config, copies))
        .collect();
    out.sort_by(|a, b| b.date.cmp(&a.date).then_with(|| b.id.cmp(&a.id)));
    out.truncate(feed.limit);
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
