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
    /// each chain of `chains`, from its newest in `firsts` ([`Self::first_records`]),
    /// that truly shares that chain's key with `fp`: newest first within a chain,
    /// looking at `limit` records of a slot at most, a chain stopped when `each`
    /// returns `false`. The chains are walked side by side, a step of each in turn:
    /// each step is a cache miss into a record megabytes away that only the chain's
    /// previous step could name, so side by side several misses are in flight
    /// instead of one at a time. Callers keep the best candidate by an order of their
    /// own, so the interleaving changes nothing they decide.
    pub(super) fn walk<'a>(
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
