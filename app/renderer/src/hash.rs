//! The integer hash behind every seeded choice, mirrored from `shaders/common.wgsl` so the CPU
//! side (Ken Burns paths, tests that predict a shader's random pattern) draws the same numbers.
//!
//! It is the PCG output permutation as a hash (Jarzynski and Olano, "Hash Functions for GPU
//! Rendering", 2020): pure wrapping `u32` arithmetic, so GPUs and CPUs agree bit for bit.

/// Hashes one `u32` (`hash_u32` in the shader).
pub fn hash_u32(value: u32) -> u32 {
    let state = value.wrapping_mul(747_796_405).wrapping_add(2_891_336_453);
    let word = ((state >> ((state >> 28) + 4)) ^ state).wrapping_mul(277_803_737);
    (word >> 22) ^ word
}

/// Hashes a 2D cell with a seed (`hash_cell` in the shader, which takes the seed from `frame`).
pub fn hash_cell(seed: u32, x: u32, y: u32) -> u32 {
    hash_u32(x.wrapping_add(hash_u32(y.wrapping_add(hash_u32(seed)))))
}

/// A hash as a float in `[0, 1)` with 24 exact bits (`unit_float` in the shader).
pub fn unit_float(hash: u32) -> f32 {
    (hash >> 8) as f32 / 16_777_216.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_values_and_range() {
        // Pinned so a change to either copy of the hash is noticed: the diffuse golden test
        // compares the shader's pattern against this one.
        assert_eq!(hash_u32(0), 129_708_002);
        assert_ne!(hash_cell(1, 2, 3), hash_cell(1, 3, 2));
        assert_ne!(hash_cell(1, 2, 3), hash_cell(2, 2, 3));
        assert_eq!(unit_float(0), 0.0);
        assert!(unit_float(u32::MAX) < 1.0);
    }

    #[test]
    fn unit_floats_are_roughly_uniform() {
        let mut buckets = [0u32; 10];
        for i in 0..10_000 {
            buckets[(unit_float(hash_cell(7, i % 100, i / 100)) * 10.0) as usize] += 1;
        }
        for (i, n) in buckets.iter().enumerate() {
            assert!((850..=1150).contains(n), "bucket {i} holds {n} of 10000");
        }
    }
}
