//! Chain upkeep: joining an entry to its slot's chain ([`chain_in`]), chaining
//! every entry again into regions of another size ([`StoryIndex::rechain`]), and
//! the record chains' slot tags.
//!
//! Slot tags: for each slot of a record chain (the signature bands' and the content
//! hash's), one byte with a bit for each key chained there, by the key's three low
//! bits (the slot is chosen by its high ones). A lookup walks a slot only when its
//! key's bit is set. Keys rarely repeat in those chains, so without the tags nearly
//! every step of a lookup fetched a record megabytes away only to find another key:
//! a slot holds one to five records, and a lookup asks 25 chains. Title chains
//! have none: most headlines a title slot holds share its key.
//!
//! A bit is set when a record is chained and never cleared when one is evicted, so a
//! bit may stand for keys no longer there, never miss one that is; the tags are
//! built again from the window's records at every rechain and once as many records
//! were inserted as the window holds, so they stand for at most about twice the
//! records a slot holds.

use std::collections::HashMap;

use super::record::{CHAINS, CONTENT_CHAIN, Chained, Link, TITLE_CHAINS, record_chains};
use super::{BANDS, EMPTY, MIN_REGION, StoryIndex, far_key, slot};

/// Record chains, each with a region of tags beside its region of heads.
pub(super) const TAGGED_CHAINS: usize = BANDS + 1;

/// Where `key`'s tag is, for record chain `chain` of `region_len` slots.
fn tag_at(region_len: usize, chain: usize, key: u64) -> usize {
    let region = if chain == CONTENT_CHAIN {
        TAGGED_CHAINS - 1
    } else {
        chain
    };
    region * region_len + slot(region_len, 0, key)
}

fn tag_bit(key: u64) -> u8 {
    1 << (key & 7)
}

/// Marks `key` as chained in its slot of record chain `chain`.
pub(super) fn tag(tags: &mut [u8], region_len: usize, chain: usize, key: u64) {
    tags[tag_at(region_len, chain, key)] |= tag_bit(key);
}

/// Whether a record with `key` may be chained in its slot of record chain `chain`.
pub(super) fn may_hold(tags: &[u8], region_len: usize, chain: usize, key: u64) -> bool {
    tags[tag_at(region_len, chain, key)] & tag_bit(key) != 0
}

impl StoryIndex {
    /// Re-chains every record and headline into regions of `region_len` slots (at
    /// least [`MIN_REGION`]), renumbering from `base_seq` and `headline_base`. Their
    /// storage is left alone.
    pub(super) fn rechain(&mut self, region_len: usize) {
        self.region_len = region_len.max(MIN_REGION);
        self.heads = vec![EMPTY; CHAINS * self.region_len];
        self.far_links = HashMap::new();
        self.tags = vec![0; TAGGED_CHAINS * self.region_len];
        self.inserted_since_tags = 0;
        let (heads, far_links, tags, region_len) = (
            &mut self.heads,
            &mut self.far_links,
            &mut self.tags,
            self.region_len,
        );
        for (position, record) in self.records.iter_mut().enumerate() {
            let seq = self.base_seq + position as u32;
            for chain in record_chains() {
                let key = record.chain_key(chain);
                chain_in(heads, far_links, region_len, record, chain, key, seq);
                tag(tags, region_len, chain, key);
            }
        }
        for (position, headline) in self.headlines.iter_mut().enumerate() {
            let seq = self.headline_base + position as u32;
            for chain in TITLE_CHAINS {
                let key = headline.chain_key(chain);
                chain_in(heads, far_links, region_len, headline, chain, key, seq);
            }
        }
    }

    /// Counts a record inserted since the tags were built, and builds them again
    /// once those are as many as the window holds (see the module comment).
    pub(super) fn count_tagged(&mut self) {
        self.inserted_since_tags += 1;
        if self.inserted_since_tags > self.records.len().max(self.region_len) {
            self.retag();
        }
    }

    /// Builds the tags from the window's records.
    pub(super) fn retag(&mut self) {
        self.tags.clear();
        self.tags.resize(TAGGED_CHAINS * self.region_len, 0);
        let (tags, region_len) = (&mut self.tags, self.region_len);
        // Mutable only to borrow the records beside the tags: none is changed.
        for record in self.records.iter_mut() {
            for chain in record_chains() {
                tag(tags, region_len, chain, record.chain_key(chain));
            }
        }
        self.inserted_since_tags = 0;
    }
}

/// Makes `entry` (numbered `seq`, chained under `key`) the head of its slot in
/// `chain` (of `region_len` slots), linked to the slot's previous head (or ending
/// its chain when the slot was empty), keeping a distance too long for a [`Link`]
/// in `far_links`.
pub(super) fn chain_in(
    heads: &mut [u32],
    far_links: &mut HashMap<u64, u32>,
    region_len: usize,
    entry: &mut impl Chained,
    chain: usize,
    key: u64,
    seq: u32,
) {
    let slot = slot(region_len, chain, key);
    let previous = std::mem::replace(&mut heads[slot], seq);
    if previous == EMPTY {
        entry.set_link(chain, Link::END);
        return;
    }
    let link = Link::to_distance(seq - previous);
    if link == Link::FAR {
        far_links.insert(far_key(seq, chain), previous);
    }
    entry.set_link(chain, link);
}
