//! The Mersenne Twister exactly as CPython's `random.Random(seed)` and numpy's legacy
//! `RandomState(seed)` run it.
//!
//! The published Part 1 samples come from Python's `random` module and the official iGSM generator
//! (Part 2.1) draws from both libraries, so reproducing them bit for bit needs these details on top
//! of textbook MT19937:
//!
//! * seeding: an integer seed goes through `init_by_array` with the 32-bit words of `abs(seed)`,
//!   least significant word first (seed 0 gives the key `[0]`);
//! * `getrandbits(k)` for `k <= 32` keeps the *top* `k` bits of one 32-bit output;
//! * `randrange(n)` draws `getrandbits(bit_length(n))` until the value is below `n` (rejection,
//!   so even `randrange(1)` consumes at least one output);
//! * numpy's legacy seeding of an integer is the reference `init_genrand`, not `init_by_array`;
//! * both libraries make a double from two outputs: `(a >> 5) · 2^26 + (b >> 6)` over 2^53.

const N: usize = 624;
const M: usize = 397;
const MATRIX_A: u32 = 0x9908_b0df;
const UPPER_MASK: u32 = 0x8000_0000;
const LOWER_MASK: u32 = 0x7fff_ffff;

/// CPython's `random.Random`, restricted to the calls the CFG sampler makes.
#[derive(Clone)]
pub struct Mt19937 {
    state: [u32; N],
    next: usize,
}

impl Mt19937 {
    /// The generator of `random.Random(seed)`.
    pub fn new(seed: u64) -> Self {
        let (low, high) = (seed as u32, (seed >> 32) as u32);
        if high == 0 {
            Self::from_key(&[low])
        } else {
            Self::from_key(&[low, high])
        }
    }

    /// Reference `init_genrand`: numpy's `np.random.seed(seed)` for an integer seed.
    pub fn from_u32(seed: u32) -> Self {
        let mut state = [0u32; N];
        state[0] = seed;
        for i in 1..N {
            let previous = state[i - 1];
            state[i] = 1_812_433_253u32
                .wrapping_mul(previous ^ (previous >> 30))
                .wrapping_add(i as u32);
        }
        Self { state, next: N }
    }

    /// Reference `init_by_array`.
    fn from_key(key: &[u32]) -> Self {
        let mut mt = Self::from_u32(19_650_218);
        let state = &mut mt.state;
        let (mut i, mut j) = (1usize, 0usize);
        for _ in 0..N.max(key.len()) {
            let previous = state[i - 1];
            state[i] = (state[i] ^ (previous ^ (previous >> 30)).wrapping_mul(1_664_525))
                .wrapping_add(key[j])
                .wrapping_add(j as u32);
            i += 1;
            j += 1;
            if i >= N {
                state[0] = state[N - 1];
                i = 1;
            }
            if j >= key.len() {
                j = 0;
            }
        }
        for _ in 0..N - 1 {
            let previous = state[i - 1];
            state[i] = (state[i] ^ (previous ^ (previous >> 30)).wrapping_mul(1_566_083_941))
                .wrapping_sub(i as u32);
            i += 1;
            if i >= N {
                state[0] = state[N - 1];
                i = 1;
            }
        }
        state[0] = 0x8000_0000;
        mt
    }

    /// Refills the whole state block (the reference "generate N words at one time").
    fn twist(&mut self) {
        for i in 0..N {
            let y = (self.state[i] & UPPER_MASK) | (self.state[(i + 1) % N] & LOWER_MASK);
            let mag = if y & 1 == 1 { MATRIX_A } else { 0 };
            self.state[i] = self.state[(i + M) % N] ^ (y >> 1) ^ mag;
        }
        self.next = 0;
    }

    /// Reference `genrand_uint32` (tempered output).
    pub fn next_u32(&mut self) -> u32 {
        if self.next >= N {
            self.twist();
        }
        let mut y = self.state[self.next];
        self.next += 1;
        y ^= y >> 11;
        y ^= (y << 7) & 0x9d2c_5680;
        y ^= (y << 15) & 0xefc6_0000;
        y ^ (y >> 18)
    }

    /// Python's `getrandbits(k)` for `1 <= k <= 32`.
    pub fn getrandbits(&mut self, k: u32) -> u32 {
        assert!(
            (1..=32).contains(&k),
            "getrandbits({k}) is only implemented for 1..=32"
        );
        self.next_u32() >> (32 - k)
    }

    /// A double in [0, 1) from two outputs: Python's `random()`, numpy's `random_sample()`.
    pub fn next_f64(&mut self) -> f64 {
        let a = (self.next_u32() >> 5) as f64;
        let b = (self.next_u32() >> 6) as f64;
        (a * 67_108_864.0 + b) * (1.0 / 9_007_199_254_740_992.0)
    }

    /// Python's `randrange(n)` for `n >= 1` (CPython's `_randbelow_with_getrandbits`).
    pub fn randrange(&mut self, n: u32) -> u32 {
        assert!(n > 0, "randrange(0) has no values");
        let bits = u32::BITS - n.leading_zeros();
        loop {
            let r = self.getrandbits(bits);
            if r < n {
                return r;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Values printed by CPython 3.11: `r = random.Random(seed); [r.getrandbits(32) for _ in
    /// range(3)]`. Seeds above 2^32 exercise the two-word key.
    #[test]
    fn getrandbits_matches_cpython() {
        for (seed, expected) in [
            (7711, [2771186635, 3542998151, 1515541883]),
            (0, [3626764237, 1654615998, 3255389356]),
            (1 << 32, [485306839, 1508871100, 1794561286]),
            ((1 << 40) + 5, [2166296868, 2220160828, 1153647273]),
        ] {
            let mut mt = Mt19937::new(seed);
            let drawn = [mt.getrandbits(32), mt.getrandbits(32), mt.getrandbits(32)];
            assert_eq!(drawn, expected, "seed {seed}");
        }
    }

    /// CPython 3.11: `r = random.Random(1); [r.randrange(3) for _ in range(20)],
    /// [r.randrange(1) for _ in range(2)], r.getrandbits(32)` — the last value shows that
    /// rejected draws and `randrange(1)` consume outputs exactly as CPython does.
    #[test]
    fn randrange_matches_cpython() {
        let mut mt = Mt19937::new(1);
        let threes: Vec<u32> = (0..20).map(|_| mt.randrange(3)).collect();
        assert_eq!(
            threes,
            [0, 2, 0, 1, 0, 1, 1, 1, 2, 1, 0, 0, 1, 0, 1, 1, 2, 0, 2, 1]
        );
        assert_eq!([mt.randrange(1), mt.randrange(1)], [0, 0]);
        assert_eq!(mt.getrandbits(32), 2538984641);
    }

    /// CPython 3.11: `r = random.Random(5); x = [r.getrandbits(32) for _ in range(2000)];
    /// x[623], x[624], x[1999]` — the outputs on both sides of a state refill and three refills in.
    #[test]
    fn outputs_match_cpython_across_state_refills() {
        let mut mt = Mt19937::new(5);
        let x: Vec<u32> = (0..2000).map(|_| mt.next_u32()).collect();
        assert_eq!(
            [x[623], x[624], x[1999]],
            [2959306914, 3041615143, 2894893787]
        );
    }
}
