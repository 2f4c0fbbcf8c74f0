//! Chain upkeep: joining an entry to its slot's chain ([`chain_in`]), chaining
//! every entry again into regions of another size ([`StoryIndex::rechain`]), and
//! the slot tags.
//!
//! Slot tags: for each slot of every chain, a [`Tag`] of 16 bits with a bit for each
//! key chained there, by the key's four low bits (the slot is chosen by its high
//! ones). A lookup walks a slot only when its key's bit is set. A slot holds one to
//! five entries, most under other keys: without tags nearly every step of a lookup
//! fetched an entry megabytes away only to find another key. Headlines too: of the
//! headlines a title slot holds, three in four are chained under another key than
//! the lookup's (on the real-news snapshots and on the light shape in their words).
//! The width is a trade of steps for memory, measured on the light shape in real
//! words: with 16 bits a lookup takes 37 steps (19 in band chains, 17 in title
//! chains) for 10 bytes an item at four entries a slot; 8 bits on the record chains
//! alone took 64; 32 bits would take 27 for 16 bytes an item more.
//!
//! A bit is set when an entry is chained and never cleared when one is evicted, so a
//! bit may stand for keys no longer there, never miss one that is. The tags are
//! built again from the window's entries at every rechain; the title chains' once as
//! many headlines were inserted as the index keeps, the others' once as many records
//! as the window holds: so they stand for at most about twice the entries a slot
//! holds (headlines are kept for a shorter time than records, so their tags are
//! built again apart, and more often).

use super::record::{CHAINS, Chained, Link, TITLE_CHAINS, record_chains};
use super::{MIN_REGION, StoryIndex, slot};

/// Marks an empty slot or the end of a chain. Sequence numbers stay below it, so
/// a head takes 3 bytes, not 4: with 33 chains at 4 records a slot, 25 bytes an
/// item rather than 33, which is 0.8 MB of the idle daemon's 50 MB target over a
/// 100,000-item window. The price is a window of at most about 16.7 million items
/// (5 GB of index): [`StoryIndex::insert`] refuses items beyond
/// ([`StoryIndex::is_full`]), and renumbers from zero before a number reaches it.
pub(super) const EMPTY: u32 = (1 << 24) - 1;

/// Each chain's region of slots. A slot is 5 bytes: its head, the sequence number
/// of the newest entry chained there or [`EMPTY`], in 3 little-endian bytes, then its
/// [`Tag`]. Side by side, a lookup's tag and head are one cache line, and so are an
/// insert's (but for the one slot in sixteen that crosses a line's end).
#[derive(Debug, Clone)]
pub(super) struct Slots(Vec<u8>);

/// Bytes of a head.
const HEAD: usize = 3;
/// Bytes of a slot: its head and its tag.
const SLOT: usize = HEAD + size_of::<Tag>();

/// A slot's tag: a bit for each key chained there, by the key's low bits.
pub(super) type Tag = u16;

fn tag_bit(key: u64) -> Tag {
    1 << (key & (Tag::BITS as u64 - 1))
}

impl Slots {
    /// `slots` empty slots.
    pub(super) fn empty(slots: usize) -> Slots {
        let mut empty = [0; SLOT];
        empty[..HEAD].copy_from_slice(&EMPTY.to_le_bytes()[..HEAD]);
        Slots(empty.repeat(slots))
    }

    /// The head of `slot`. Read as one 4-byte load: the tag follows the head.
    pub(super) fn get(&self, slot: usize) -> u32 {
        let at = slot * SLOT;
        match self.0.get(at..at + 4) {
            Some(&[a, b, c, _]) => u32::from_le_bytes([a, b, c, 0]),
            _ => panic!("slot {slot} is past the slots"),
        }
    }

    /// Sets `slot`'s head to `seq` (at most [`EMPTY`]), returning the one before.
    pub(super) fn replace(&mut self, slot: usize, seq: u32) -> u32 {
        debug_assert!(seq <= EMPTY, "a sequence number fits 3 bytes");
        let previous = self.get(slot);
        let at = slot * SLOT;
        self.0[at..at + HEAD].copy_from_slice(&seq.to_le_bytes()[..HEAD]);
        previous
    }

    fn tag_of(&self, slot: usize) -> Tag {
        let at = slot * SLOT + HEAD;
        Tag::from_le_bytes([self.0[at], self.0[at + 1]])
    }

    fn set_tag(&mut self, slot: usize, tag: Tag) {
        let at = slot * SLOT + HEAD;
        self.0[at..at + size_of::<Tag>()].copy_from_slice(&tag.to_le_bytes());
    }

    /// Marks `key` as chained in `slot`.
    pub(super) fn tag(&mut self, slot: usize, key: u64) {
        self.set_tag(slot, self.tag_of(slot) | tag_bit(key));
    }

    /// Whether an entry with `key` may be chained in `slot`.
    pub(super) fn may_hold(&self, slot: usize, key: u64) -> bool {
        self.tag_of(slot) & tag_bit(key) != 0
    }

    /// Where `slot` starts, for a prefetch; never read through.
    pub(super) fn address(&self, slot: usize) -> *const u8 {
        self.0.as_ptr().wrapping_add(slot * SLOT)
    }

    /// Clears the tags of `slots`, leaving their heads.
    fn clear_tags(&mut self, slots: std::ops::Range<usize>) {
        for slot in slots {
            self.set_tag(slot, 0);
        }
    }

    pub(super) fn memory_bytes(&self) -> usize {
        self.0.capacity()
    }
}

impl StoryIndex {
    /// Re-chains every record and headline into regions of `region_len` slots (at
    /// least [`MIN_REGION`]), renumbering from `base_seq` and `headline_base`. Their
    /// storage is left alone.
    pub(super) fn rechain(&mut self, region_len: usize) {
        self.region_len = region_len.max(MIN_REGION);
        self.slots = Slots::empty(CHAINS * self.region_len);
        self.inserted_since_tags = 0;
        self.headlines_since_tags = 0;
        let (slots, region_len) = (&mut self.slots, self.region_len);
        for (position, record) in self.records.iter_mut().enumerate() {
            let seq = self.base_seq + position as u32;
            for chain in record_chains() {
                let key = record.chain_key(chain);
                chain_in(slots, region_len, record, chain, key, seq);
            }
        }
        for (position, headline) in self.headlines.iter_mut().enumerate() {
            let seq = self.headline_base + position as u32;
            for chain in TITLE_CHAINS {
                let key = headline.chain_key(chain);
                chain_in(slots, region_len, headline, chain, key, seq);
            }
        }
    }

    /// Counts an item inserted since the tags were built, and builds them again once
    /// those are as many as the window holds, or the title chains' once they are as
    /// many as the headlines it keeps (see the module comment).
    pub(super) fn count_tagged(&mut self) {
        self.inserted_since_tags += 1;
        self.headlines_since_tags += 1;
        if self.inserted_since_tags > self.records.len().max(self.region_len) {
            self.retag();
        } else if self.headlines_since_tags > self.headlines.len().max(self.region_len) {
            self.retag_titles();
        }
    }

    /// Builds the tags from the window's records and headlines.
    pub(super) fn retag(&mut self) {
        let region_len = self.region_len;
        for chain in record_chains() {
            self.slots
                .clear_tags(chain * region_len..(chain + 1) * region_len);
        }
        let slots = &mut self.slots;
        // Mutable only to borrow the records beside the tags: none is changed.
        for record in self.records.iter_mut() {
            for chain in record_chains() {
                let key = record.chain_key(chain);
                slots.tag(slot(region_len, chain, key), key);
            }
        }
        self.inserted_since_tags = 0;
        self.retag_titles();
    }

    /// Builds the title chains' tags from the headlines the index keeps.
    fn retag_titles(&mut self) {
        let region_len = self.region_len;
        self.slots
            .clear_tags(TITLE_CHAINS.start * region_len..TITLE_CHAINS.end * region_len);
        let slots = &mut self.slots;
        // Mutable only to borrow the headlines beside the tags: none is changed.
        for headline in self.headlines.iter_mut() {
            for chain in TITLE_CHAINS {
                let key = headline.chain_key(chain);
                slots.tag(slot(region_len, chain, key), key);
            }
        }
        self.headlines_since_tags = 0;
    }
}

/// Makes `entry` (numbered `seq`, chained under `key`) the head of its slot in
/// `chain` (of `region_len` slots), linked to the slot's previous head (or ending
/// its chain when the slot was empty), and marks `key` in the slot's tag.
pub(super) fn chain_in(
    slots: &mut Slots,
    region_len: usize,
    entry: &mut impl Chained,
    chain: usize,
    key: u64,
    seq: u32,
) {
    let slot = slot(region_len, chain, key);
    slots.tag(slot, key);
    let previous = slots.replace(slot, seq);
    if previous == EMPTY {
        entry.set_link(chain, Link::END);
        return;
    }
    entry.set_link(chain, Link::back(seq - previous));
}
