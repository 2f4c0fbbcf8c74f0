//! What changed in the stored items, and in which feeds: a counter bumped by every
//! change, and for each output feed the count at its last change, so that a feed is
//! rendered again only when something it shows changed (a new item in one topic feed
//! leaves every other feed's bytes and ETag alone).
//!
//! A change is noted after the write that made it committed: a reader that sees the
//! new count finds the new rows. A reader that reads the rows between the commit and
//! the note renders them under the old count and renders once more after the note;
//! never the other way round.

use std::collections::HashMap;
use std::sync::Mutex;

use tokio::sync::watch;

/// Which items a feed is read from: every stored item (a feed that takes every item
/// keeps no membership rows), or the feed's own membership rows. A feed sees the
/// changes to what it is read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FeedScope {
    EveryItem,
    Rows(String),
}

/// The change counter and, per feed, the count at its last change.
pub(super) struct ChangeLog {
    generation: watch::Sender<u64>,
    feeds: Mutex<FeedChanges>,
}

#[derive(Default)]
struct FeedChanges {
    /// The count at the last change to every feed at once (prune, new definitions).
    every_feed: u64,
    /// The count at each feed's last change of its own.
    by_feed: HashMap<String, u64>,
}

/// Which feeds a write changed.
pub(super) enum Changed<'a> {
    /// Every feed (items removed, feed definitions replaced).
    EveryFeed,
    /// Items were added or edited; these feeds' rows changed (gained or lost an
    /// item). Feeds that take every item show every change.
    Feeds(&'a [String]),
}

impl ChangeLog {
    pub(super) fn new() -> ChangeLog {
        ChangeLog {
            generation: watch::Sender::new(1),
            feeds: Mutex::new(FeedChanges::default()),
        }
    }

    pub(super) fn note(&self, changed: Changed<'_>) {
        let mut now = 0;
        self.generation.send_modify(|g| {
            *g += 1;
            now = *g;
        });
        let Ok(mut feeds) = self.feeds.lock() else {
            return;
        };
        match changed {
            Changed::EveryFeed => feeds.every_feed = now,
            Changed::Feeds(names) => {
                for name in names {
                    feeds.by_feed.insert(name.clone(), now);
                }
            }
        }
    }

    pub(super) fn version(&self, scope: &FeedScope) -> u64 {
        let generation = *self.generation.borrow();
        let FeedScope::Rows(name) = scope else {
            return generation;
        };
        match self.feeds.lock() {
            Ok(feeds) => feeds
                .every_feed
                .max(feeds.by_feed.get(name).copied().unwrap_or(0)),
            // A poisoned lock only loses precision: every change counts.
            Err(_) => generation,
        }
    }

    pub(super) fn generation(&self) -> u64 {
        *self.generation.borrow()
    }

    pub(super) fn subscribe(&self) -> watch::Receiver<u64> {
        self.generation.subscribe()
    }
}
