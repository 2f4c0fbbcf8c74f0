//! Walking the index's chains: from the heads a fingerprint's keys name, newest
//! record first, to the records that truly share a key with it.

use super::record::{CHAINS, Link, Record, query_key};
use super::{EMPTY, StoryIndex, far_key, slot};
use crate::cluster::fingerprint::Fingerprint;

impl StoryIndex {
    /// The newest record of `fp`'s slot in each chain, with the part of it the walk
    /// reads first already on its way to the cache. Heads and records are spread
    /// over megabytes: fetched one walk after another, each was a cache miss the
    /// next had to wait for; asked for together, the misses overlap.
    pub(super) fn first_records(&self, fp: &Fingerprint) -> [u32; CHAINS] {
        let firsts: [u32; CHAINS] = std::array::from_fn(|chain| {
            self.heads[slot(self.region_len, chain, query_key(chain, fp))]
        });
        for (chain, &seq) in firsts.iter().enumerate() {
            let position = seq.wrapping_sub(self.base_seq) as usize;
            if let Some(record) = self.records.get(position) {
                std::hint::black_box(record.link(chain));
            }
        }
        firsts
    }

    /// Calls `each` with the sequence number and record of each record of a slot in
    /// `chain`, from its newest `first` ([`Self::first_records`]), that truly shares
    /// that chain's key with `fp`, newest first, until `each` says to stop (returns
    /// `false`); looks at `limit` records of the slot at most.
    pub(super) fn walk<'a>(
        &'a self,
        chain: usize,
        first: u32,
        fp: &Fingerprint,
        limit: usize,
        mut each: impl FnMut(u32, &'a Record) -> bool,
    ) {
        let mut seq = first;
        let mut walked = 0;
        while seq != EMPTY && seq >= self.base_seq && walked < limit {
            let Some(record) = self.records.get((seq - self.base_seq) as usize) else {
                break;
            };
            if record.shares_key(chain, fp) && !each(seq, record) {
                break;
            }
            seq = self.previous(record, chain, seq);
            walked += 1;
        }
    }

    /// [`Self::walk`] over each chain of `chains` from its newest record in
    /// `firsts`, a step of each in turn: each step is a cache miss into a record
    /// megabytes away that only the chain's previous step could name, so walking
    /// the chains side by side keeps several misses in flight instead of waiting on
    /// one at a time. `each` saying `false` stops that chain only. The records each
    /// chain yields, and their order within it, are [`Self::walk`]'s; callers keep
    /// the best candidate by an order of their own, so the interleaving changes
    /// nothing they decide.
    pub(super) fn walk_together<'a>(
        &'a self,
        chains: std::ops::Range<usize>,
        firsts: &[u32; CHAINS],
        fp: &Fingerprint,
        limit: usize,
        mut each: impl FnMut(u32, &'a Record) -> bool,
    ) {
        let mut cursors = [EMPTY; CHAINS];
        cursors[chains.clone()].copy_from_slice(&firsts[chains.clone()]);
        let mut walked = 0;
        let mut walking = true;
        while walking && walked < limit {
            walking = false;
            for chain in chains.clone() {
                let seq = cursors[chain];
                if seq == EMPTY || seq < self.base_seq {
                    continue;
                }
                let Some(record) = self.records.get((seq - self.base_seq) as usize) else {
                    cursors[chain] = EMPTY;
                    continue;
                };
                if record.shares_key(chain, fp) && !each(seq, record) {
                    cursors[chain] = EMPTY;
                    continue;
                }
                cursors[chain] = self.previous(record, chain, seq);
                walking = true;
            }
            walked += 1;
        }
    }

    /// The sequence number `record` (numbered `seq`) links to in `chain`, or EMPTY.
    pub(super) fn previous(&self, record: &Record, chain: usize, seq: u32) -> u32 {
        let link = record.link(chain);
        match link.near_distance() {
            Some(distance) => seq - distance,
            None if link == Link::FAR => self
                .far_links
                .get(&far_key(seq, chain))
                .copied()
                .unwrap_or(EMPTY),
            None => EMPTY,
        }
    }
}
