//! A poll's changes, decided entry by entry from what the backend looked up: which
//! stored item an entry is (by its key, else — its guid changed — by its canonical
//! link and content, which re-keys the item), whether it is new, edited, unchanged or
//! pruned, which story a new item joins, the date it is published under, the feeds
//! it belongs in, and whether its article page is to be fetched. The backend looks
//! up through [`Lookup`] inside the poll's transaction and writes each entry's
//! [`Change`] before the next entry is planned, so an entry sees the ones before it.

use chrono::{DateTime, Utc};

use super::story::{Found, LinkScan, LinkedRow, StoryChoice, fingerprint_of};
use super::{Decision, Existing, decide, effective_date};
use crate::cluster::Layer;
use crate::cluster::{Fingerprint, StoryIndex};
use crate::membership::{Candidate, FeedSet};
use crate::model::Entry;

/// What the planner asks the backend about the polled source's stored items.
pub trait Lookup {
    type Error;
    /// The source's item stored under `key`.
    fn by_key(&mut self, key: &str) -> Result<Option<Existing>, Self::Error>;
    /// Every stored item (of any source) whose canonical link is `link`.
    fn by_link(&mut self, link: &str) -> Result<Vec<LinkedRow>, Self::Error>;
    /// Whether an item of the source stored under `key` was pruned.
    fn is_tombstoned(&mut self, key: &str) -> Result<bool, Self::Error>;
    /// The story stored item `item` is in (`None`: it was pruned).
    fn story_of(&mut self, item: i64) -> Result<Option<i64>, Self::Error>;
}

/// The poll being planned: its source, when it happens, and what its entries are
/// sorted by and matched against.
#[derive(Clone, Copy)]
pub struct Poll<'a> {
    pub id: i64,
    pub name: &'a str,
    /// Fetch each new or edited item's article page.
    pub full_text: bool,
    pub feeds: &'a FeedSet,
    pub index: &'a StoryIndex,
    pub now: DateTime<Utc>,
}

/// What one entry changes.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    /// A new item.
    Insert(Box<NewItem>),
    /// An edit of the stored item `row`: its fields are written in place (its date,
    /// public id and story stay), and it is sorted into its feeds again.
    Update {
        row: i64,
        placement: Placement,
    },
    Unchanged,
    /// The source's item `row` is the entry under a new key (its guid changed, its
    /// link and content did not): store the key; nothing else changed.
    Rekey {
        row: i64,
    },
    /// A pruned item, which stays pruned.
    Tombstoned,
}

/// A new item's story, date and fingerprint.
#[derive(Debug, Clone, PartialEq)]
pub struct NewItem {
    pub story: StoryChoice,
    /// The date it is published under, for ever.
    pub sort_date: DateTime<Utc>,
    pub fingerprint: Fingerprint,
    pub placement: Placement,
}

/// Where a new or edited item goes besides its row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placement {
    /// The output feeds that admit it (none for a feed of every item, which keeps no rows).
    pub feeds: Vec<String>,
    /// Queue its link's page for fetching (full text): the page it links to.
    pub fetch_article: Option<String>,
}

/// Decides what `entry`, polled in `poll`, changes.
pub fn plan_entry<L: Lookup>(
    poll: &Poll<'_>,
    lookup: &mut L,
    entry: &Entry,
) -> Result<Change, L::Error> {
    let now = poll.now.timestamp();
    let (existing, scan) = match lookup.by_key(&entry.key)? {
        Some(found) => (Some(found), LinkScan::default()),
        None => match &entry.canonical_link {
            Some(link) => {
                let rows = lookup.by_link(link)?;
                let scan = LinkScan::of(&rows, poll.id, entry, now);
                // The source's own item with the same link and content: the same
                // item, whose guid changed.
                if let Some(row) = scan.ours {
                    return Ok(Change::Rekey { row });
                }
                (None, scan)
            }
            None => (None, LinkScan::default()),
        },
    };
    let tombstoned = existing.is_none() && lookup.is_tombstoned(&entry.key)?;
    let change = match decide(existing.as_ref(), tombstoned, entry) {
        Decision::Insert => {
            let fingerprint = fingerprint_of(entry);
            let story = match scan.choose(poll.index, &fingerprint, poll.id, now) {
                Found::Nowhere => StoryChoice::Own,
                Found::Linked(story) => StoryChoice::Joined {
                    story,
                    layer: Layer::CanonicalLink,
                    score: 1.0,
                },
                Found::Indexed(found) => StoryChoice::Joined {
                    story: lookup.story_of(found.item)?.unwrap_or(found.story),
                    layer: found.layer,
                    score: found.score,
                },
            };
            Change::Insert(Box::new(NewItem {
                story,
                sort_date: effective_date(entry.published, entry.updated, poll.now),
                fingerprint,
                placement: placement(poll, entry),
            }))
        }
        Decision::Update { row } => Change::Update {
            row,
            placement: placement(poll, entry),
        },
        Decision::Unchanged => Change::Unchanged,
        Decision::Tombstoned => Change::Tombstoned,
    };
    Ok(change)
}

/// The feeds that admit `entry`, and the page to fetch for its full text.
fn placement(poll: &Poll<'_>, entry: &Entry) -> Placement {
    let candidate = Candidate::of_entry(poll.name, entry);
    Placement {
        feeds: poll
            .feeds
            .feeds_for(&candidate, entry.prepared_words.as_ref(), None),
        fetch_article: entry.link.clone().filter(|_| poll.full_text),
    }
}

#[cfg(test)]
#[path = "plan_tests.rs"]
mod tests;
