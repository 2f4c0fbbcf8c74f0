//! [`Window`]: the index's records (and their headlines), oldest first, in fixed
//! chunks rather than one growing buffer.
//!
//! A window grows by a record per new item and shrinks from its old end as time
//! passes. Kept in one buffer, growing would copy every record into a larger one:
//! at a million records, 209 MB copied on the store thread while polls wait, and a
//! burst of new items from empty would copy its records about nine times over
//! (growing by an eighth each time), each time into fresh pages the kernel must
//! fault in. In chunks, a new record never moves an old one, an evicted chunk is
//! freed whole, and at most one chunk at each end is partly used.

use std::collections::VecDeque;

/// Records per chunk: a power of two (a position splits into chunk and offset by a
/// shift), and small enough (≈ 107 KB of records, 39 KB of headlines) that chunks
/// come from jemalloc's arenas, which keep a freed chunk for the next, rather than
/// from a mapping of their own.
pub(super) const CHUNK: usize = if cfg!(test) { 64 } else { 512 };
const _: () = assert!(CHUNK.is_power_of_two());

/// The index's records (or headlines) in first-seen order; see the module comment.
#[derive(Debug)]
pub(super) struct Window<T> {
    /// Every chunk full but the last; the first starts with `front` records already
    /// evicted.
    chunks: VecDeque<Vec<T>>,
    /// Evicted records still at the start of the first chunk.
    front: usize,
    len: usize,
}

impl<T> Default for Window<T> {
    fn default() -> Window<T> {
        Window {
            chunks: VecDeque::new(),
            front: 0,
            len: 0,
        }
    }
}

impl<T: Clone> Clone for Window<T> {
    /// Each chunk cloned with room for [`CHUNK`] records, as one made by
    /// [`Window::push_back`] has: a chunk is never grown past it, and
    /// [`Window::memory_bytes`] counts whole chunks.
    fn clone(&self) -> Window<T> {
        let chunks = self
            .chunks
            .iter()
            .map(|chunk| {
                let mut copy = Vec::with_capacity(CHUNK);
                copy.extend_from_slice(chunk);
                copy
            })
            .collect();
        Window {
            chunks,
            front: self.front,
            len: self.len,
        }
    }
}

impl<T> Window<T> {
    pub(super) fn len(&self) -> usize {
        self.len
    }

    pub(super) fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The record at `position` (0 is the oldest).
    pub(super) fn get(&self, position: usize) -> Option<&T> {
        if position >= self.len {
            return None;
        }
        let at = self.front + position;
        self.chunks.get(at / CHUNK)?.get(at % CHUNK)
    }

    pub(super) fn front(&self) -> Option<&T> {
        self.get(0)
    }

    pub(super) fn push_back(&mut self, record: T) {
        match self.chunks.back_mut() {
            Some(last) if last.len() < CHUNK => last.push(record),
            _ => {
                let mut chunk = Vec::with_capacity(CHUNK);
                chunk.push(record);
                self.chunks.push_back(chunk);
            }
        }
        self.len += 1;
    }

    /// Removes the oldest record; its chunk is freed with the chunk's last.
    pub(super) fn pop_front(&mut self) {
        if self.len == 0 {
            return;
        }
        self.len -= 1;
        self.front += 1;
        if self.front == CHUNK || self.len == 0 {
            self.chunks.pop_front();
            self.front = 0;
        }
    }

    /// Removes and returns the newest record.
    pub(super) fn pop_back(&mut self) -> Option<T> {
        if self.len == 0 {
            return None;
        }
        let front_in_last = self.front_in_last();
        let last = self.chunks.back_mut()?;
        let record = last.pop()?;
        self.len -= 1;
        if last.len() == front_in_last {
            self.chunks.pop_back();
            if self.chunks.is_empty() {
                self.front = 0;
            }
        }
        Some(record)
    }

    /// Evicted records at the start of the last chunk: `front` when it is also the
    /// first.
    fn front_in_last(&self) -> usize {
        if self.chunks.len() == 1 {
            self.front
        } else {
            0
        }
    }

    /// Every record, oldest first.
    pub(super) fn iter_mut(&mut self) -> impl Iterator<Item = &mut T> {
        let front = self.front;
        self.chunks
            .iter_mut()
            .enumerate()
            .flat_map(move |(index, chunk)| {
                let skip = if index == 0 { front } else { 0 };
                chunk.iter_mut().skip(skip)
            })
    }

    /// Makes room in the chunk list for `records` more records (chunks themselves
    /// are allocated as they fill).
    pub(super) fn reserve(&mut self, records: usize) {
        self.chunks.reserve(records.div_ceil(CHUNK));
    }

    /// Heap held, in bytes: whole chunks, and the chunk list.
    pub(super) fn memory_bytes(&self) -> usize {
        self.chunks.len() * CHUNK * size_of::<T>() + self.chunks.capacity() * size_of::<Vec<T>>()
    }

    /// Records the chunks have room for beyond those held (evicted ones at the
    /// start of the first, free places at the end of the last).
    #[cfg(test)]
    pub(super) fn slack(&self) -> usize {
        self.chunks.len() * CHUNK - self.len
    }
}

#[cfg(test)]
mod tests {
    use super::super::super::fingerprint::Fingerprint;
    use super::super::record::Record;
    use super::*;

    fn record(item: i64) -> Record {
        Record::new(item, item, 1, 100, &Fingerprint::of("a b c d e f", "")).unwrap()
    }

    /// The window against a `VecDeque` of item ids, through pushes and pops at both
    /// ends across chunk boundaries.
    #[test]
    fn the_window_keeps_records_as_a_deque_does() {
        let mut window = Window::default();
        let mut reference: VecDeque<i64> = VecDeque::new();
        let mut next = 0;
        let mut state = 0x9e37_79b9_u64;
        for _ in 0..20_000 {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1);
            match (state >> 33) % 8 {
                0..=3 => {
                    window.push_back(record(next));
                    reference.push_back(next);
                    next += 1;
                }
                4 | 5 => {
                    window.pop_front();
                    reference.pop_front();
                }
                6 => {
                    let popped = window.pop_back().map(|r| r.item());
                    assert_eq!(popped, reference.pop_back());
                }
                _ => {
                    let items: Vec<i64> = window.iter_mut().map(|r| r.item()).collect();
                    assert!(items.iter().eq(reference.iter()));
                }
            }
            assert_eq!(window.len(), reference.len());
            assert_eq!(window.front().map(Record::item), reference.front().copied());
            let last = reference.len().checked_sub(1);
            let newest = last.and_then(|at| window.get(at)).map(Record::item);
            assert_eq!(newest, reference.back().copied());
            assert!(window.get(reference.len()).is_none());
            assert!(
                window.slack() < 2 * CHUNK,
                "at most a chunk's room at each end"
            );
        }
    }
}
