//! Taking items out of the [`StoryIndex`]: eviction from the old end as time passes
//! (headlines before their records), and forgetting the newest items when their
//! transaction is rolled back.

use super::chains::{EMPTY, Slots};
use super::headline::Headline;
use super::record::{Chained, TITLE_CHAINS, record_chains};
use super::{HEADLINE_SECS, MIN_LOAD, MIN_REGION, StoryIndex, region_for, slot};

/// Where the index stood before a transaction's inserts: the sequence number the
/// next record takes ([`StoryIndex::mark`], [`StoryIndex::forget_since`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IndexMark {
    next_seq: u64,
    numbering: u32,
}

impl StoryIndex {
    /// Where the index stands now, for [`StoryIndex::forget_since`].
    pub fn mark(&self) -> IndexMark {
        IndexMark {
            next_seq: u64::from(self.base_seq) + self.records.len() as u64,
            numbering: self.numbering,
        }
    }

    /// Forgets every item indexed since `mark` (their transaction was rolled back),
    /// newest first, each slot's head going back to the entry it linked to: the
    /// chains are then as if those items had never come, at a cost of their number,
    /// not of the window's. Items evicted since stay evicted. `false`, with nothing
    /// changed, when the index was renumbered since `mark`; then only rebuilding it
    /// from what the database kept forgets them.
    pub fn forget_since(&mut self, mark: IndexMark) -> bool {
        if mark.numbering != self.numbering {
            return false;
        }
        while let Some(newest) = self.records.len().checked_sub(1) {
            let seq = self.base_seq + newest as u32;
            if u64::from(seq) < mark.next_seq {
                break;
            }
            if seq >= self.headline_base
                && let Some(headline) = self.headlines.pop_back()
            {
                for chain in TITLE_CHAINS {
                    let key = headline.chain_key(chain);
                    self.unlink_newest(&headline, chain, key, seq, self.headline_base);
                }
            }
            let Some(record) = self.records.pop_back() else {
                break;
            };
            for chain in record_chains() {
                let key = record.chain_key(chain);
                self.unlink_newest(&record, chain, key, seq, self.base_seq);
            }
            self.headline_base = self.headline_base.min(seq);
        }
        true
    }

    /// Takes `entry`, numbered `seq` and the newest of its slot in `chain`, out of
    /// the chain: the slot's head goes back to the entry it links to, or empties
    /// when that one is below `oldest` (evicted, as eviction ends a chain).
    fn unlink_newest(
        &mut self,
        entry: &impl Chained,
        chain: usize,
        key: u64,
        seq: u32,
        oldest: u32,
    ) {
        let slot = slot(self.region_len, chain, key);
        let previous = self.previous(entry, chain, seq);
        // Always so: the newest entry of a slot is its head.
        if self.slots.get(slot) == seq {
            self.slots
                .replace(slot, if previous < oldest { EMPTY } else { previous });
        }
    }

    /// Forgets every item first seen before `cutoff` (unix seconds), oldest
    /// insertions first; returns how many. Call with `now - window` as time passes.
    /// Headlines go first, from [`HEADLINE_SECS`] before the window's end
    /// (`cutoff + window`).
    pub fn evict_older_than(&mut self, cutoff: i64) -> usize {
        let window = self.settings.window_secs;
        let headline_cutoff = cutoff.saturating_add_unsigned(window - HEADLINE_SECS.min(window));
        while self
            .headlines
            .front()
            .is_some_and(|oldest| oldest.at() < headline_cutoff)
        {
            self.evict_oldest_headline();
        }
        let mut evicted = 0;
        while let Some(oldest) = self.records.front() {
            if oldest.at() >= cutoff {
                break;
            }
            let (slots, region_len) = (&mut self.slots, self.region_len);
            for chain in record_chains() {
                let key = oldest.chain_key(chain);
                unchain_oldest(slots, region_len, chain, key, self.base_seq);
            }
            // Never so after the headlines' eviction above (this record is older
            // than their cutoff, and evicted in order), but a headline must never
            // outlive its record.
            if self.headline_base == self.base_seq {
                self.evict_oldest_headline();
            }
            self.records.pop_front();
            self.base_seq += 1;
            evicted += 1;
        }
        if evicted == 0 {
            return 0;
        }
        let len = self.records.len();
        if self.region_len > MIN_REGION && len < self.region_len * MIN_LOAD {
            self.rechain(region_for(len));
        }
        evicted
    }

    /// Evicts the oldest headline (numbered `headline_base`), emptying the slots
    /// whose head it still is.
    fn evict_oldest_headline(&mut self) {
        let Some(oldest): Option<&Headline> = self.headlines.front() else {
            return;
        };
        let seq = self.headline_base;
        let (slots, region_len) = (&mut self.slots, self.region_len);
        for chain in TITLE_CHAINS {
            let key = oldest.chain_key(chain);
            unchain_oldest(slots, region_len, chain, key, seq);
        }
        self.headlines.pop_front();
        self.headline_base += 1;
    }
}

/// Takes the entry numbered `seq`, the oldest left in `chain`, out of the chain as
/// it is evicted: the slot of `key` empties if its head is still that entry (its
/// newer entries' chains end where they would reach it).
fn unchain_oldest(slots: &mut Slots, region_len: usize, chain: usize, key: u64, seq: u32) {
    let slot = slot(region_len, chain, key);
    if slots.get(slot) == seq {
        slots.replace(slot, EMPTY);
    }
}
