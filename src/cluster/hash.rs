//! The hashing clustering is built on: one seed, a word hash and a 64-bit mix, shared
//! by fingerprints, headline tokens and the index so all hash a word the same way,
//! and the hash of a whole text's words (the fingerprint's content hash).
//! Fingerprints are stored: changing any of these changes every stored fingerprint.

/// Seed of every hash in clustering.
pub(crate) const SEED: u64 = 0x6665_6564_6272_6169; // "feedbrai"

/// Hash of one word: FNV-1a over its UTF-8 bytes, then mixed.
pub(crate) fn hash_word(word: &str) -> u64 {
    const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;
    let fnv = word.bytes().fold(0xcbf2_9ce4_8422_2325 ^ SEED, |h, byte| {
        (h ^ u64::from(byte)).wrapping_mul(FNV_PRIME)
    });
    mix(fnv)
}

/// Hash of a word sequence, order-sensitive: the fingerprint's content hash, over
/// every word of an item, so it reads a word eight bytes at a time rather than a
/// byte at a time as [`hash_word`] does. Each word is cut into values that say
/// where it ends: one of up to seven bytes is one value, its length in the top
/// byte; a longer one is a value marked `0xff` in the top byte holding its length,
/// then its bytes in eights, the last zero-padded. So no two word sequences give
/// the same values ("ab c" and "a bc" differ), and each value is folded into the
/// state by a 64×64→128-bit multiply.
pub(crate) fn hash_words<'a>(words: impl Iterator<Item = &'a str>) -> u64 {
    let mut state = SEED;
    for word in words {
        let bytes = word.as_bytes();
        if bytes.len() < 8 {
            state = fold(state, padded(bytes) | (bytes.len() as u64) << 56);
            continue;
        }
        state = fold(state, LONG_WORD | bytes.len() as u64);
        let mut eights = bytes.chunks_exact(8);
        for eight in &mut eights {
            state = fold(state, padded(eight));
        }
        if !eights.remainder().is_empty() {
            state = fold(state, padded(eights.remainder()));
        }
    }
    mix(state)
}

/// Top byte of the value that opens a word of eight bytes or more.
const LONG_WORD: u64 = 0xff << 56;

/// Up to eight bytes as a little-endian number, zero-padded. Read as two loads that
/// may overlap (the first and last four bytes, or the first, middle and last byte),
/// each put in its place: an overlapping byte lands on itself. Copying a short word
/// into a zeroed buffer instead cost a call and a stalled reload per word.
fn padded(bytes: &[u8]) -> u64 {
    let len = bytes.len();
    debug_assert!(len <= 8);
    if len >= 4 {
        let (mut first, mut last) = ([0u8; 4], [0u8; 4]);
        first.copy_from_slice(&bytes[..4]);
        last.copy_from_slice(&bytes[len - 4..]);
        u64::from(u32::from_le_bytes(first))
            | u64::from(u32::from_le_bytes(last)) << (8 * (len - 4))
    } else if len > 0 {
        u64::from(bytes[0])
            | u64::from(bytes[len / 2]) << (8 * (len / 2))
            | u64::from(bytes[len - 1]) << (8 * (len - 1))
    } else {
        0
    }
}

/// `value` folded into `state`: the two halves of their 128-bit product with an odd
/// constant, xored (the folded multiply of wyhash and foldhash).
fn fold(state: u64, value: u64) -> u64 {
    const MULTIPLIER: u64 = 0xa076_1d64_78bd_642f;
    let product = u128::from(state ^ value) * u128::from(MULTIPLIER);
    (product as u64) ^ ((product >> 64) as u64)
}

/// The SplitMix64 finalizer: a fast bijective mix of 64 bits.
pub(crate) const fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn padded_reads_bytes_as_a_zero_padded_number() {
        let bytes = [0x81, 0x02, 0xf3, 0x04, 0x65, 0x06, 0xa7, 0x08];
        for len in 0..=8 {
            let mut eight = [0u8; 8];
            eight[..len].copy_from_slice(&bytes[..len]);
            assert_eq!(
                padded(&bytes[..len]),
                u64::from_le_bytes(eight),
                "{len} bytes"
            );
        }
    }

    /// Values computed apart, in Python, from the description of [`hash_words`].
    #[test]
    fn word_sequences_keep_their_hashes() {
        assert_eq!(hash_words(std::iter::empty()), 0x9e33_1f91_c62d_a898);
        assert_eq!(hash_words(["iran"].into_iter()), 0x438a_9fb9_6db0_b6df);
        assert_eq!(hash_words(["ab", "c"].into_iter()), 0xcf9c_a77b_8382_c4f2);
        assert_eq!(hash_words(["a", "bc"].into_iter()), 0x0c03_0234_05bf_04c5);
        assert_eq!(
            hash_words(["inspections", "fordow"].into_iter()),
            0xbc87_9a2c_492a_6134
        );
        assert_eq!(
            hash_words(["internationalization", "ابراهیم"].into_iter()),
            0xdff6_27d4_dc95_d1ea
        );
    }
}
