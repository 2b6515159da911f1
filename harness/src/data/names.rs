//! Unique full names for N people, drawn from the first/middle/last name pools.
//!
//! Person `i` draws from its own stream and redraws (continuing that stream) while its full name
//! equals an earlier person's, so the first N people are the same whatever the total count.

use std::collections::HashSet;

use super::rng::{StreamKey, below};

/// A full name as indices into the first, middle and last name pools.
pub type NameIndex = [u16; 3];

/// Draws `count` distinct names with pool sizes `sizes` (taking the first `sizes[k]` entries of
/// each pool). The caller guarantees `count` ≤ the product of `sizes`.
pub fn unique_names(seed: u64, sizes: [usize; 3], count: usize) -> Vec<NameIndex> {
    let label = format!("{}x{}x{}", sizes[0], sizes[1], sizes[2]);
    let key = StreamKey::new(seed, &["names", &label]);
    let mut taken = HashSet::with_capacity(count);
    (0..count)
        .map(|person| {
            let mut rng = key.rng(person as u64, 0);
            loop {
                let name = sizes.map(|size| below(&mut rng, size as u32) as u16);
                if taken.insert(name) {
                    return name;
                }
            }
        })
        .collect()
}

/// The number of distinct names, N0 = first × middle × last.
pub fn name_space(sizes: [usize; 3]) -> f64 {
    sizes.iter().map(|&s| s as f64).product()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_prefix_stable() {
        let small = unique_names(1, [3, 3, 3], 20);
        let set: HashSet<_> = small.iter().collect();
        assert_eq!(set.len(), 20, "all 20 of 27 possible names distinct");
        let more = unique_names(1, [3, 3, 3], 27);
        assert_eq!(
            &more[..20],
            &small[..],
            "adding people does not change earlier ones"
        );
    }
}
