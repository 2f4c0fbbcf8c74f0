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
    /// returns `false`. Callers keep the best candidate by an order of their own, so
    /// the order between chains changes nothing they decide.
    ///
    /// The chains are walked side by side, one step of each per round, and a round
    /// is taken in two passes. Each step is a cache miss into a record megabytes away
    /// that only the chain's previous step could name; the first pass only follows
    /// the links and touches the lines of the records `each` will read, so the
    /// round's misses are all in flight at once. Were `each` (a similarity, tens of
    /// instructions or hundreds) called between them, the processor could not look
    /// far enough ahead to reach the next chain's miss, and a crowded slot (a
    /// headline band shared by many) would wait for its misses one at a time.
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
        let mut stepped: [Option<(u32, &'a Record)>; CHAINS] = [None; CHAINS];
        for _ in 0..limit {
            let mut walking = false;
            for chain in chains.clone() {
                stepped[chain] = None;
                let seq = cursors[chain];
                if seq == EMPTY || seq < self.base_seq {
                    continue;
                }
                let Some(record) = self.records.get((seq - self.base_seq) as usize) else {
                    cursors[chain] = EMPTY;
                    continue;
                };
                walking = true;
                cursors[chain] = self.previous(record, chain, seq);
                if record.shares_key(chain, fp) {
                    std::hint::black_box(record.touch());
                    stepped[chain] = Some((seq, record));
                }
            }
            if !walking {
                return;
            }
            for chain in chains.clone() {
                if let Some((seq, record)) = stepped[chain]
                    && !each(seq, record)
                {
                    cursors[chain] = EMPTY;
                }
            }
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
