//! The MinHash minimums of a fingerprint's shingles: for each of [`SIGNATURE_LEN`]
//! multiply-shift permutations `(a, b)`, the least `(a × shingle + b) >> 32` over the
//! shingles. Fingerprints are stored, so every way of computing it must give the same
//! minimums: the scalar kernel is the reference, and a CPU with AVX-512 (64-bit lane
//! multiplies) runs a vector kernel that computes the same values, eight
//! permutations to an instruction instead of one.

use super::hash::{SEED, mix};

/// Number of MinHash values in a signature.
pub const SIGNATURE_LEN: usize = 96;

/// The multiplier `a` (odd) of each signature position's permutation, from [`SEED`].
/// Kept apart from [`OFFSETS`] so a vector kernel loads eight of each at a time.
const MULTIPLIERS: [u64; SIGNATURE_LEN] = {
    let mut table = [0u64; SIGNATURE_LEN];
    let mut i = 0;
    while i < SIGNATURE_LEN {
        table[i] = mix(SEED ^ (2 * i as u64 + 1)) | 1;
        i += 1;
    }
    table
};

/// The offset `b` of each signature position's permutation.
const OFFSETS: [u64; SIGNATURE_LEN] = {
    let mut table = [0u64; SIGNATURE_LEN];
    let mut i = 0;
    while i < SIGNATURE_LEN {
        table[i] = mix(SEED.rotate_left(17) ^ (2 * i as u64 + 2));
        i += 1;
    }
    table
};

/// Each permutation's least value over `shingles` (`u32::MAX` where there are none).
pub fn minimums(shingles: &[u64]) -> [u32; SIGNATURE_LEN] {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx512f")
        && std::arch::is_x86_feature_detected!("avx512dq")
    {
        // SAFETY: the CPU has both features the kernel is compiled for, just checked.
        return unsafe { minimums_avx512(shingles) };
    }
    minimums_scalar(shingles)
}

/// [`minimums`] in scalar code, four permutations at a time, each its own chain of
/// multiplies and minimums: one chain alone waits on its minimum every step, four
/// overlap. Written as four scalars, not an array, so the compiler does not vectorize
/// the loop with SSE2, which has no 64-bit multiply and is slower here than scalar
/// code.
fn minimums_scalar(shingles: &[u64]) -> [u32; SIGNATURE_LEN] {
    let mut minimums = [u32::MAX; SIGNATURE_LEN];
    for ((lowest, a), b) in minimums
        .chunks_exact_mut(4)
        .zip(MULTIPLIERS.chunks_exact(4))
        .zip(OFFSETS.chunks_exact(4))
    {
        let (mut m0, mut m1, mut m2, mut m3) = (u32::MAX, u32::MAX, u32::MAX, u32::MAX);
        for &shingle in shingles {
            m0 = m0.min((a[0].wrapping_mul(shingle).wrapping_add(b[0]) >> 32) as u32);
            m1 = m1.min((a[1].wrapping_mul(shingle).wrapping_add(b[1]) >> 32) as u32);
            m2 = m2.min((a[2].wrapping_mul(shingle).wrapping_add(b[2]) >> 32) as u32);
            m3 = m3.min((a[3].wrapping_mul(shingle).wrapping_add(b[3]) >> 32) as u32);
        }
        lowest.copy_from_slice(&[m0, m1, m2, m3]);
    }
    minimums
}

/// [`minimums`] for a CPU with AVX-512F and DQ: the loop over permutations is plain
/// code that the compiler turns into 64-bit lane multiplies (`vpmullq`) and minimums
/// (`vpminuq`), the minimums kept as 64-bit values (each under 2³²) until the end.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512dq")]
fn minimums_avx512(shingles: &[u64]) -> [u32; SIGNATURE_LEN] {
    let mut lowest = [u64::MAX; SIGNATURE_LEN];
    for &shingle in shingles {
        for ((low, a), b) in lowest.iter_mut().zip(&MULTIPLIERS).zip(&OFFSETS) {
            *low = (*low).min(a.wrapping_mul(shingle).wrapping_add(*b) >> 32);
        }
    }
    lowest.map(|low| u32::try_from(low).unwrap_or(u32::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shingles(count: usize, seed: u64) -> Vec<u64> {
        (0..count as u64).map(|i| mix(seed ^ i)).collect()
    }

    #[test]
    fn no_shingles_leave_every_minimum_at_its_top() {
        assert_eq!(minimums(&[]), [u32::MAX; SIGNATURE_LEN]);
        assert_eq!(minimums_scalar(&[]), [u32::MAX; SIGNATURE_LEN]);
    }

    #[test]
    fn the_minimum_is_the_least_hash_of_each_permutation() {
        let shingles = shingles(7, 3);
        let expected: Vec<u32> = (0..SIGNATURE_LEN)
            .map(|i| {
                shingles
                    .iter()
                    .map(|&s| {
                        (MULTIPLIERS[i].wrapping_mul(s).wrapping_add(OFFSETS[i]) >> 32) as u32
                    })
                    .min()
                    .unwrap_or(u32::MAX)
            })
            .collect();
        assert_eq!(minimums(&shingles).to_vec(), expected);
    }

    #[test]
    fn every_kernel_this_cpu_runs_gives_the_scalar_minimums() {
        #[cfg(target_arch = "x86_64")]
        let avx512 = std::arch::is_x86_feature_detected!("avx512f")
            && std::arch::is_x86_feature_detected!("avx512dq");
        #[cfg(target_arch = "x86_64")]
        if !avx512 {
            println!("skipping the AVX-512 kernel: this CPU lacks AVX-512F or DQ");
        }
        for (count, seed) in [(1, 1), (2, 9), (31, 4), (40, 77), (300, 5)] {
            let mut shingles = shingles(count, seed);
            shingles.extend([0, u64::MAX]);
            let reference = minimums_scalar(&shingles);
            assert_eq!(minimums(&shingles), reference, "{count} shingles");
            #[cfg(target_arch = "x86_64")]
            if avx512 {
                // SAFETY: the features the kernel needs were detected above.
                assert_eq!(unsafe { minimums_avx512(&shingles) }, reference);
            }
        }
    }

    #[test]
    fn minimums_stay_those_stored_fingerprints_were_computed_with() {
        // All 96 values, folded into one number, computed apart from this code (in
        // Python, from the seeds and formulas), so that a change of permutations or
        // arithmetic cannot pass unnoticed; the shingles include both extremes.
        let mut shingles = shingles(7, 3);
        shingles.extend([0, u64::MAX]);
        let digest = |minimums: [u32; SIGNATURE_LEN]| {
            minimums.iter().fold(0u64, |digest, &m| {
                digest.wrapping_mul(31).wrapping_add(m.into())
            })
        };
        let scalar = minimums_scalar(&shingles);
        assert_eq!(scalar[..2], [182_976_306, 403_657_347]);
        assert_eq!(digest(scalar), 9_587_642_668_926_540_455);
        assert_eq!(minimums(&shingles), scalar);
    }

    #[test]
    fn permutation_multipliers_are_odd() {
        assert!(MULTIPLIERS.iter().all(|a| a % 2 == 1));
    }
}
