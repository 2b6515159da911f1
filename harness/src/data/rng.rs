//! The one seeded random source of the project.
//!
//! Every random choice a generator makes comes from a ChaCha8 stream addressed by
//! `(suite seed, purpose labels) -> key`, then `(index, entry) -> position inside the key`:
//!
//! * the key is SHA-256 of the seed and the labels (e.g. `["bios", "wording"]`), so two purposes
//!   never share randomness;
//! * `index` (usually the person) selects ChaCha's 64-bit stream id, so adding a person never shifts
//!   the draws of the people before it;
//! * `entry` (the exposure or copy of a document) starts `2^32` words into that stream, so each
//!   copy has its own independent sequence and can be generated in any order (random access).
//!
//! Uniform integers and shuffles are written here rather than taken from `rand`, so the bytes we
//! produce depend only on the ChaCha8 keystream (a fixed algorithm), never on a library's sampling
//! code changing between versions.

use rand_chacha::ChaCha8Rng;
use rand_core::{Rng, SeedableRng};
use sha2::{Digest, Sha256};

/// A key for one purpose of one suite; cheap to copy, yields independent generators.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StreamKey([u8; 32]);

impl StreamKey {
    /// Derives the key for `labels` under `seed`. Labels are length-prefixed so that
    /// `["ab", "c"]` and `["a", "bc"]` differ.
    pub fn new(seed: u64, labels: &[&str]) -> Self {
        let mut hasher = Sha256::new();
        hasher.update(b"plm-stream-v1");
        hasher.update(seed.to_le_bytes());
        for label in labels {
            hasher.update((label.len() as u64).to_le_bytes());
            hasher.update(label.as_bytes());
        }
        Self(hasher.finalize().into())
    }

    /// The generator for copy `entry` of item `index`.
    pub fn rng(&self, index: u64, entry: u32) -> ChaCha8Rng {
        let mut rng = ChaCha8Rng::from_seed(self.0);
        rng.set_stream(index);
        rng.set_word_pos(u128::from(entry) << 32);
        rng
    }
}

/// A uniform integer in `0..n` (n > 0), exact: Lemire's multiply-and-reject method.
pub fn below(rng: &mut ChaCha8Rng, n: u32) -> u32 {
    assert!(n > 0, "below(0) has no values");
    let mut product = u64::from(rng.next_u32()) * u64::from(n);
    if (product as u32) < n {
        let threshold = n.wrapping_neg() % n;
        while (product as u32) < threshold {
            product = u64::from(rng.next_u32()) * u64::from(n);
        }
    }
    (product >> 32) as u32
}

/// Uniform index into a slice of length `len`.
pub fn index(rng: &mut ChaCha8Rng, len: usize) -> usize {
    below(rng, u32::try_from(len).expect("pool larger than u32")) as usize
}

/// Fisher–Yates shuffle driven by [`below`].
pub fn shuffle<T>(rng: &mut ChaCha8Rng, items: &mut [T]) {
    for i in (1..items.len()).rev() {
        let j = index(rng, i + 1);
        items.swap(i, j);
    }
}

/// A uniform float in `[0, 1)` with 53 random bits.
pub fn unit(rng: &mut ChaCha8Rng) -> f64 {
    (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64
}

/// A fair coin.
pub fn coin(rng: &mut ChaCha8Rng) -> bool {
    rng.next_u32() & 1 == 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_depend_on_every_label_and_the_seed() {
        let a = StreamKey::new(1, &["ab", "c"]);
        assert_ne!(a, StreamKey::new(1, &["a", "bc"]));
        assert_ne!(a, StreamKey::new(2, &["ab", "c"]));
        assert_eq!(a, StreamKey::new(1, &["ab", "c"]));
    }

    #[test]
    fn streams_and_entries_are_independent() {
        let key = StreamKey::new(7, &["t"]);
        let draw = |i, e| key.rng(i, e).next_u64();
        assert_eq!(draw(3, 0), draw(3, 0));
        assert_ne!(draw(3, 0), draw(4, 0));
        assert_ne!(draw(3, 0), draw(3, 1));
    }

    #[test]
    fn below_is_uniform_enough_and_in_range() {
        let mut rng = StreamKey::new(0, &["below"]).rng(0, 0);
        let mut counts = [0u32; 7];
        for _ in 0..70_000 {
            counts[below(&mut rng, 7) as usize] += 1;
        }
        // Each bucket expects 10,000 draws; 5 standard deviations is about 470.
        for count in counts {
            assert!((9_500..10_500).contains(&count), "{counts:?}");
        }
    }

    #[test]
    fn chacha8_keystream_is_pinned() {
        // Guards the bit-exactness promise: if rand_chacha ever changed its output, every pinned
        // data hash would silently move. This value was recorded when the generator was written.
        let mut rng = StreamKey::new(42, &["pin"]).rng(5, 2);
        assert_eq!(rng.next_u64(), PINNED_FIRST_DRAW);
    }

    const PINNED_FIRST_DRAW: u64 = 2209234388118242293;
}
