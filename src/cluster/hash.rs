//! The hashing clustering is built on: one seed, a word hash and a 64-bit mix, shared
//! by fingerprints, headline tokens and the index so all hash a word the same way.
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

/// Hash of a word sequence, order-sensitive.
pub(crate) fn hash_words<'a>(words: impl Iterator<Item = &'a str>) -> u64 {
    words.fold(mix(SEED), |acc, word| {
        mix(acc.rotate_left(5) ^ hash_word(word))
    })
}

/// The SplitMix64 finalizer: a fast bijective mix of 64 bits.
pub(crate) const fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}
