//! [`KnownContent`]: the content hashes of the entries a source served at its last
//! poll that the store took. A changed feed mostly repeats what it served before
//! (one new item among fifty), and the store writes nothing for a repeat; so parsing
//! leaves undone, for an entry whose content hash is known, what only a new or
//! edited item needs: its fingerprint, packed HTML and topic words. Each is optional
//! in [`Entry`](crate::model::Entry), and the store computes what is missing when it
//! does write the item after all (it left the database without a tombstone, or the
//! feed went back to a version another node had stored an edit of), so a wrong
//! guess costs time on the store thread, never a different item.

use std::hash::{DefaultHasher, Hash, Hasher};

/// A set of content hashes ([`crate::model::Entry::content_hash`]), held as 64-bit
/// digests of them: eight bytes per entry a source serves, whatever the hash's
/// length. A digest that two hashes share only makes a guess wrong.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KnownContent {
    sorted: Box<[u64]>,
}

impl KnownContent {
    /// The set of `hashes`.
    pub fn of<'a>(hashes: impl IntoIterator<Item = &'a str>) -> KnownContent {
        let mut sorted: Vec<u64> = hashes.into_iter().map(digest).collect();
        sorted.sort_unstable();
        sorted.dedup();
        KnownContent {
            sorted: sorted.into_boxed_slice(),
        }
    }

    /// Whether `content_hash` is in the set.
    pub fn contains(&self, content_hash: &str) -> bool {
        self.sorted.binary_search(&digest(content_hash)).is_ok()
    }

    /// How many distinct hashes the set holds.
    pub fn len(&self) -> usize {
        self.sorted.len()
    }

    /// Whether the set holds none.
    pub fn is_empty(&self) -> bool {
        self.sorted.is_empty()
    }
}

/// A digest for this process only: sets are never stored, so the standard
/// library's hasher (fixed keys, not portable across versions) is enough.
fn digest(content_hash: &str) -> u64 {
    let mut hasher = DefaultHasher::new();
    content_hash.hash(&mut hasher);
    hasher.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holds_the_hashes_it_was_made_of() {
        let known = KnownContent::of(["a1", "b2", "a1"]);
        assert_eq!(known.len(), 2);
        assert!(known.contains("a1") && known.contains("b2"));
        assert!(!known.contains("c3") && !known.contains(""));
        assert!(KnownContent::default().is_empty());
    }
}
