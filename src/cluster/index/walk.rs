//! Walking the index's chains: from the heads a fingerprint's keys name, newest
//! entry first, to the records (or headlines) that truly share a key with it.

use super::chains::EMPTY;
use super::record::{CHAINS, Chained, TITLE_CHAINS, query_key};
use super::window::Window;
use super::{StoryIndex, slot};
use crate::cluster::fingerprint::Fingerprint;

impl StoryIndex {
    /// Asks for the slots a lookup of `fp` reads first (its key's slot in each
    /// chain), without waiting for them; with [`Self::prefetch_first_entries`]
    /// after it, for a caller with other work to do before its lookups.
    pub fn prefetch_slots(&self, fp: &Fingerprint) {
        if !PREFETCHES {
            return;
        }
        for chain in 0..CHAINS {
            let key = query_key(chain, fp);
            prefetch(self.slots.address(slot(self.region_len, chain, key)));
        }
    }

    /// Asks for the first entry a lookup of `fp` reads in each chain (the line of
    /// its link), without waiting for it. Reads the slots: worth calling once
    /// [`Self::prefetch_slots`] asked for them.
    pub fn prefetch_first_entries(&self, fp: &Fingerprint) {
        if !PREFETCHES {
            return;
        }
        for (chain, seq) in self.first_seqs(fp).into_iter().enumerate() {
            if let Some(entry) = self.chained(chain, seq) {
                prefetch(entry.link_address(chain));
            }
        }
    }

    /// The newest entry of `fp`'s key's slot in each chain, or [`EMPTY`] where the
    /// slot's tag rules the key out.
    fn first_seqs(&self, fp: &Fingerprint) -> [u32; CHAINS] {
        std::array::from_fn(|chain| {
            let key = query_key(chain, fp);
            let slot = slot(self.region_len, chain, key);
            if !self.slots.may_hold(slot, key) {
                return EMPTY;
            }
            self.slots.get(slot)
        })
    }

    /// The entry numbered `seq` of `chain` (a record, or a headline in a title
    /// chain), unless evicted.
    fn chained(&self, chain: usize, seq: u32) -> Option<&dyn Chained> {
        if TITLE_CHAINS.contains(&chain) {
            let headline = self
                .headlines
                .get(seq.wrapping_sub(self.headline_base) as usize)?;
            Some(headline)
        } else {
            let record = self.records.get(seq.wrapping_sub(self.base_seq) as usize)?;
            Some(record)
        }
    }

    /// The newest entry of `fp`'s slot in each chain (none in a chain whose
    /// slot tag rules `fp`'s key out), with the part of it the walk reads first
    /// already on its way to the cache. Heads and records are spread
    /// over megabytes: fetched one walk after another, each was a cache miss the
    /// next had to wait for; asked for together, the misses overlap.
    pub(super) fn first_records(&self, fp: &Fingerprint) -> [u32; CHAINS] {
        let firsts = self.first_seqs(fp);
        for (chain, &seq) in firsts.iter().enumerate() {
            if let Some(entry) = self.chained(chain, seq) {
                std::hint::black_box(entry.link(chain));
            }
        }
        firsts
    }

    /// Calls `each` with the sequence number and entry of each entry of a slot in
    /// each chain of `chains` (all of them chains of the entries in `entries`, the
    /// first numbered `base`), from its newest in `firsts` ([`Self::first_records`]),
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
    /// headline band shared by many) would wait for its misses one at a time. The
    /// first pass also asks for the next step's entry (the line of its link and its
    /// first line) as soon as the link is known, so the next round's misses are
    /// under way while this round is scored.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn walk<'a, T: Chained>(
        &self,
        entries: &'a Window<T>,
        base: u32,
        chains: std::ops::Range<usize>,
        firsts: &[u32; CHAINS],
        fp: &Fingerprint,
        limit: usize,
        mut each: impl FnMut(u32, &'a T) -> bool,
    ) {
        let mut cursors = [EMPTY; CHAINS];
        cursors[chains.clone()].copy_from_slice(&firsts[chains.clone()]);
        let mut stepped: [Option<(u32, &'a T)>; CHAINS] = [None; CHAINS];
        for _ in 0..limit {
            let mut walking = false;
            for chain in chains.clone() {
                stepped[chain] = None;
                let seq = cursors[chain];
                if seq == EMPTY || seq < base {
                    continue;
                }
                let Some(entry) = entries.get((seq - base) as usize) else {
                    cursors[chain] = EMPTY;
                    continue;
                };
                walking = true;
                cursors[chain] = self.previous(entry, chain, seq);
                if let Some(next) = entries.get(cursors[chain].wrapping_sub(base) as usize) {
                    prefetch(next.link_address(chain));
                    prefetch((next as *const T).cast());
                }
                if entry.shares_key(chain, fp) {
                    std::hint::black_box(entry.touch());
                    stepped[chain] = Some((seq, entry));
                }
            }
            if !walking {
                return;
            }
            for chain in chains.clone() {
                if let Some((seq, entry)) = stepped[chain]
                    && !each(seq, entry)
                {
                    cursors[chain] = EMPTY;
                }
            }
        }
    }

    /// The sequence number `entry` (numbered `seq`) links to in `chain`, or EMPTY.
    pub(super) fn previous(&self, entry: &(impl Chained + ?Sized), chain: usize, seq: u32) -> u32 {
        match entry.link(chain).distance() {
            Some(distance) => seq - distance,
            None => EMPTY,
        }
    }
}

/// Whether [`prefetch`] asks for anything on this target: elsewhere, asking ahead
/// would only compute keys and read slots for nothing.
const PREFETCHES: bool = cfg!(target_arch = "x86_64");

/// Asks for the cache line at `address` ahead of its use; a hint, never a read.
fn prefetch(address: *const u8) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
        // SAFETY: a prefetch reads nothing and faults on no address.
        unsafe { _mm_prefetch::<_MM_HINT_T0>(address.cast()) };
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = address;
}
