use std::collections::{HashMap, HashSet};

use chrono::TimeZone;

use super::*;
use crate::cluster::{Layer, Settings};
use crate::ingest::story::fingerprint_of;

/// What a backend would hold: the polled source is 1.
#[derive(Default)]
struct Stored {
    by_key: HashMap<String, Existing>,
    by_link: HashMap<String, Vec<LinkedRow>>,
    tombstoned: HashSet<String>,
    stories: HashMap<i64, i64>,
    link_lookups: usize,
}

impl Lookup for Stored {
    type Error = std::convert::Infallible;
    fn by_key(&mut self, key: &str) -> Result<Option<Existing>, Self::Error> {
        Ok(self.by_key.get(key).cloned())
    }
    fn by_link(&mut self, link: &str) -> Result<Vec<LinkedRow>, Self::Error> {
        self.link_lookups += 1;
        Ok(self.by_link.get(link).cloned().unwrap_or_default())
    }
    fn is_tombstoned(&mut self, key: &str) -> Result<bool, Self::Error> {
        Ok(self.tombstoned.contains(key))
    }
    fn story_of(&mut self, item: i64) -> Result<Option<i64>, Self::Error> {
        Ok(self.stories.get(&item).copied())
    }
}

const LINK: &str = "https://example.com/story";

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 5, 1, 12, 0, 0).unwrap()
}

fn entry(key: &str, hash: &str) -> Entry {
    Entry {
        key: key.into(),
        title: "Harbour cranes idle as dock strike enters second week".into(),
        text: "Dock workers walked out over pay on Monday.".into(),
        link: Some(LINK.into()),
        canonical_link: Some(LINK.into()),
        content_hash: hash.into(),
        ..Entry::default()
    }
}

fn linked(row: i64, source: i64, hash: &str, first_seen: i64, sort_date: i64) -> LinkedRow {
    LinkedRow {
        row,
        source,
        content_hash: hash.into(),
        story: row * 10,
        first_seen,
        sort_date,
        fingerprint: None,
    }
}

fn plan(stored: &mut Stored, entry: &Entry, full_text: bool) -> Change {
    plan_with(
        stored,
        &StoryIndex::new(Settings::default()),
        entry,
        full_text,
    )
}

fn plan_with(stored: &mut Stored, index: &StoryIndex, entry: &Entry, full_text: bool) -> Change {
    let feeds = FeedSet::default();
    let poll = Poll {
        id: 1,
        name: "wire",
        full_text,
        feeds: &feeds,
        index,
        now: now(),
    };
    match plan_entry(&poll, stored, entry) {
        Ok(plan) => plan,
        Err(never) => match never {},
    }
}

#[test]
fn a_new_entry_starts_its_own_story_and_its_page_is_fetched_only_for_full_text() {
    let mut stored = Stored::default();
    let change = plan(&mut stored, &entry("a", "h1"), true);
    let Change::Insert(new) = change else {
        panic!("not an insert: {change:?}");
    };
    assert_eq!(new.story, StoryChoice::Own);
    assert_eq!(new.story.evidence(), None);
    assert_eq!(
        new.sort_date,
        Utc.with_ymd_and_hms(2026, 5, 1, 12, 0, 0).unwrap(),
        "no date: the time first seen"
    );
    assert_eq!(new.placement.fetch_article.as_deref(), Some(LINK));
    let Change::Insert(new) = plan(&mut stored, &entry("a", "h1"), false) else {
        panic!("not an insert");
    };
    assert_eq!(new.placement.fetch_article, None);
}

#[test]
fn a_stored_key_is_unchanged_or_edited_without_looking_at_links() {
    let mut stored = Stored::default();
    stored.by_key.insert(
        "a".into(),
        Existing {
            row: 7,
            content_hash: "h1".into(),
        },
    );
    assert_eq!(
        plan(&mut stored, &entry("a", "h1"), true),
        Change::Unchanged
    );
    let edited = plan(&mut stored, &entry("a", "h2"), true);
    let Change::Update { row, placement } = edited else {
        panic!("not an update");
    };
    assert_eq!(row, 7);
    assert_eq!(
        placement.fetch_article.as_deref(),
        Some(LINK),
        "an edit is fetched again"
    );
    assert_eq!(stored.link_lookups, 0);
}

#[test]
fn a_new_guid_on_the_same_link_and_content_rekeys_the_stored_item() {
    let mut stored = Stored::default();
    stored.by_link.insert(
        LINK.into(),
        vec![linked(9, 1, "h1", 100, 100), linked(4, 1, "h1", 100, 100)],
    );
    assert_eq!(
        plan(&mut stored, &entry("new-guid", "h1"), false),
        Change::Rekey { row: 4 },
        "the lowest row of the source's own copies"
    );
}

#[test]
fn a_pruned_key_stays_pruned() {
    let mut stored = Stored::default();
    stored.tombstoned.insert("a".into());
    assert_eq!(
        plan(&mut stored, &entry("a", "h1"), false),
        Change::Tombstoned
    );
}

#[test]
fn a_new_item_joins_the_story_of_the_link_seen_first_elsewhere() {
    let mut stored = Stored::default();
    stored.by_link.insert(
        LINK.into(),
        vec![
            linked(5, 2, "x", 200, 150),
            linked(6, 3, "y", 100, 300),
            linked(3, 4, "z", 100, 300),
            // The source's own other version: not an earlier version without a fingerprint.
            linked(2, 1, "w", 50, 50),
        ],
    );
    let Change::Insert(new) = plan(&mut stored, &entry("a", "h1"), false) else {
        panic!("not an insert");
    };
    assert_eq!(
        new.story,
        StoryChoice::Joined {
            story: 30,
            layer: Layer::CanonicalLink,
            score: 1.0
        },
        "first seen first, then date, then the lower row"
    );
}

#[test]
fn an_index_match_joins_the_matched_items_story_as_stored() {
    let mut copy = entry("a", "h1");
    copy.canonical_link = Some("https://elsewhere.example/wire".into());
    copy.text = "Dock workers at the country's largest container port walked out on Monday \
        over pay and shift patterns, leaving cranes idle and ships waiting offshore as \
        unions and the port authority traded blame for the stoppage and exporters warned \
        of spoiled cargo and missed sailings within days"
        .into();
    let mut index = StoryIndex::new(Settings::default());
    // Another source's copy of the same text, indexed in story 50.
    assert!(index.insert(5, 50, 2, now().timestamp(), &fingerprint_of(&copy)));
    let mut stored = Stored::default();
    let Change::Insert(new) = plan_with(&mut stored, &index, &copy, false) else {
        panic!("not an insert");
    };
    assert_eq!(
        new.story,
        StoryChoice::Joined {
            story: 50,
            layer: Layer::ContentHash,
            score: 1.0
        },
        "pruned since: the story the index kept"
    );
    // The matched item joined another story since (its article came).
    stored.stories.insert(5, 70);
    let Change::Insert(new) = plan_with(&mut stored, &index, &copy, false) else {
        panic!("not an insert");
    };
    assert!(matches!(new.story, StoryChoice::Joined { story: 70, .. }));
}
