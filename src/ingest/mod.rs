//! What ingesting a poll's entries should change, decided without I/O from what the
//! store looked up: whether each is new, an edit of a stored item, unchanged, or a
//! pruned item that must not come back; the date an item is published under; the
//! story it joins (`story`); its feeds and its article page (`plan`). The backend
//! looks up, asks, then carries out the answer.

mod plan;
mod story;

pub use plan::{Change, Lookup, NewItem, Placement, Poll, plan_entry};
pub use story::{LinkedRow, StoryChoice};

use chrono::{DateTime, Utc};

use crate::model::Entry;

/// What the store already holds for an entry's key in its source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Existing {
    pub row: i64,
    pub content_hash: String,
}

/// What to do with one parsed entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Never seen: store it with a new public id.
    Insert,
    /// Seen, and its content changed: update that row in place (same id, new `updated`).
    Update { row: i64 },
    /// Seen, nothing changed: write nothing.
    Unchanged,
    /// Seen once, then pruned by retention: it must not reappear as new.
    Tombstoned,
}

/// Decides what to do with `entry` given what is stored under its key.
pub fn decide(existing: Option<&Existing>, tombstoned: bool, entry: &Entry) -> Decision {
    match existing {
        Some(e) if crate::identity::same_content(&e.content_hash, &entry.content_hash) => {
            Decision::Unchanged
        }
        Some(e) => Decision::Update { row: e.row },
        None if tombstoned => Decision::Tombstoned,
        None => Decision::Insert,
    }
}

/// The date an item is sorted and published under, fixed when it is first stored: its
/// own published (else updated) date, unless that is missing or in the future, in
/// which case the time it was first seen. Later polls never move it, so an item whose
/// date jumps does not climb back to the top.
pub fn effective_date(
    published: Option<DateTime<Utc>>,
    updated: Option<DateTime<Utc>>,
    first_seen: DateTime<Utc>,
) -> DateTime<Utc> {
    match published.or(updated) {
        Some(date) if date <= first_seen => date,
        _ => first_seen,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn entry(hash: &str) -> Entry {
        Entry {
            content_hash: hash.into(),
            ..Entry::default()
        }
    }

    #[test]
    fn decisions() {
        let stored = Existing {
            row: 7,
            content_hash: "a".into(),
        };
        assert_eq!(decide(None, false, &entry("a")), Decision::Insert);
        assert_eq!(decide(None, true, &entry("a")), Decision::Tombstoned);
        assert_eq!(
            decide(Some(&stored), false, &entry("a")),
            Decision::Unchanged
        );
        assert_eq!(
            decide(Some(&stored), false, &entry("b")),
            Decision::Update { row: 7 }
        );
        // A hash stored whole (64 hex digits) matches the shorter one of its content.
        let whole = Existing {
            row: 8,
            content_hash: format!("{}{}", "0f".repeat(16), "ab".repeat(16)),
        };
        let short = "0f".repeat(16);
        assert_eq!(
            decide(Some(&whole), false, &entry(&short)),
            Decision::Unchanged
        );
        assert_eq!(
            decide(Some(&whole), false, &entry(&"ab".repeat(16))),
            Decision::Update { row: 8 }
        );
    }

    #[test]
    fn future_or_missing_dates_take_first_seen() {
        let seen = Utc.with_ymd_and_hms(2026, 5, 1, 12, 0, 0).unwrap();
        let past = Utc.with_ymd_and_hms(2026, 4, 30, 8, 0, 0).unwrap();
        let future = Utc.with_ymd_and_hms(2027, 1, 1, 0, 0, 0).unwrap();
        assert_eq!(effective_date(Some(past), None, seen), past);
        assert_eq!(effective_date(None, Some(past), seen), past);
        assert_eq!(effective_date(None, None, seen), seen);
        assert_eq!(effective_date(Some(future), Some(past), seen), seen);
    }
}
