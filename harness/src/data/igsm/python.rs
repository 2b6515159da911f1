//! The two random sources the official iGSM generator interleaves, draw for draw: CPython's
//! `random` module and numpy's legacy `np.random` (`RandomState`), two independent MT19937
//! streams seeded together by the official `fix_seed(seed)`.
//!
//! Only the calls the generator makes are here, each with the exact number of 32-bit outputs it
//! consumes (CPython 3.11 `random.py`, numpy's `mtrand.pyx` and `legacy-distributions.c`).

use crate::data::mt19937::Mt19937;

/// CPython's `random.Random`.
pub struct PyRandom {
    mt: Mt19937,
}

impl PyRandom {
    /// `random.seed(seed)`.
    pub fn seeded(seed: u64) -> Self {
        Self {
            mt: Mt19937::new(seed),
        }
    }

    /// `random.random()`: one double from two outputs.
    pub fn random(&mut self) -> f64 {
        self.mt.next_f64()
    }

    /// `_randbelow(n)`: rejection on `bit_length(n)` bits (so `n = 1` still consumes outputs).
    pub fn below(&mut self, n: usize) -> usize {
        let n = u32::try_from(n).expect("the generator never draws from a range over 2^32");
        self.mt.randrange(n) as usize
    }

    /// `random.randint(low, high)`, both ends included.
    pub fn randint(&mut self, low: usize, high: usize) -> usize {
        assert!(low <= high, "randint({low}, {high}) has an empty range");
        low + self.below(high - low + 1)
    }

    /// `random.choice(seq)`.
    pub fn choice<T: Clone>(&mut self, seq: &[T]) -> T {
        assert!(!seq.is_empty(), "choice from an empty sequence");
        seq[self.below(seq.len())].clone()
    }

    /// `random.shuffle(list)` in place.
    pub fn shuffle<T>(&mut self, list: &mut [T]) {
        for i in (1..list.len()).rev() {
            let j = self.below(i + 1);
            list.swap(i, j);
        }
    }

    /// `random.sample(population, k)`, both of CPython's methods: a shrinking pool for small
    /// populations, rejection of repeated indices for large ones (the two consume differently).
    pub fn sample<T: Clone>(&mut self, population: &[T], k: usize) -> Vec<T> {
        let n = population.len();
        assert!(k <= n, "sample larger than population ({k} > {n})");
        let mut setsize = 21;
        if k > 5 {
            // 4 ** ceil(log(3k, 4)): the smallest power of 4 at or above 3k (never equal to it,
            // since no power of 4 is a multiple of 3, so float rounding cannot matter).
            let mut power = 1;
            while power < 3 * k {
                power *= 4;
            }
            setsize += power;
        }
        if n <= setsize {
            let mut pool = population.to_vec();
            (0..k)
                .map(|i| {
                    let j = self.below(n - i);
                    let picked = pool[j].clone();
                    pool[j] = pool[n - i - 1].clone();
                    picked
                })
                .collect()
        } else {
            let mut selected = Vec::with_capacity(k);
            (0..k)
                .map(|_| {
                    let mut j = self.below(n);
                    while selected.contains(&j) {
                        j = self.below(n);
                    }
                    selected.push(j);
                    population[j].clone()
                })
                .collect()
        }
    }
}

/// numpy's legacy `np.random` (`RandomState`).
pub struct NumpyRandom {
    mt: Mt19937,
    /// The second normal of the last polar Box–Muller pair, returned by the next `randn()`.
    cached_gauss: Option<f64>,
}

impl NumpyRandom {
    /// `np.random.seed(seed)` (numpy accepts only seeds below 2^32 here).
    pub fn seeded(seed: u32) -> Self {
        Self {
            mt: Mt19937::from_u32(seed),
            cached_gauss: None,
        }
    }

    /// `np.random.random_sample()`.
    pub fn random_sample(&mut self) -> f64 {
        self.mt.next_f64()
    }

    /// `np.random.choice(n)`: legacy `randint(0, n)`, masked rejection on 32-bit outputs; no
    /// output is consumed when `n = 1`.
    pub fn choice_below(&mut self, n: usize) -> usize {
        assert!(n > 0, "choice from an empty range");
        let range = u32::try_from(n - 1).expect("the generator never draws from a range over 2^32");
        if range == 0 {
            return 0;
        }
        let mask = u32::MAX >> range.leading_zeros();
        loop {
            let value = self.mt.next_u32() & mask;
            if value <= range {
                return value as usize;
            }
        }
    }

    /// `np.random.choice(len(p), p=p)`: the index where one uniform double falls in the
    /// normalised cumulative sum (`searchsorted(..., side='right')`).
    pub fn choice_weighted(&mut self, p: &[f64]) -> usize {
        assert!(!p.is_empty(), "choice from an empty range");
        let mut cdf: Vec<f64> = p
            .iter()
            .scan(0.0, |sum, &x| {
                *sum += x;
                Some(*sum)
            })
            .collect();
        let total = *cdf.last().expect("non-empty");
        for value in &mut cdf {
            *value /= total;
        }
        let u = self.random_sample();
        cdf.partition_point(|&c| c <= u)
    }

    /// `np.random.randn()`: legacy polar Box–Muller with its cached second value.
    pub fn randn(&mut self) -> f64 {
        if let Some(cached) = self.cached_gauss.take() {
            return cached;
        }
        loop {
            let x1 = 2.0 * self.random_sample() - 1.0;
            let x2 = 2.0 * self.random_sample() - 1.0;
            let r2 = x1 * x1 + x2 * x2;
            if r2 < 1.0 && r2 != 0.0 {
                let f = (-2.0 * r2.ln() / r2).sqrt();
                self.cached_gauss = Some(f * x1);
                return f * x2;
            }
        }
    }
}

/// `e = exp(w - max(w)); e / sum(e)` as the official code computes it with numpy (a sequential
/// sum below eight terms, numpy's eight-way pairwise sum from eight on).
pub fn softmax(weights: &[f64]) -> Vec<f64> {
    let max = weights.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let exps: Vec<f64> = weights.iter().map(|w| (w - max).exp()).collect();
    let total = numpy_sum(&exps);
    exps.iter().map(|e| e / total).collect()
}

/// numpy's `pairwise_sum` for float64 (blocks of 128, eight accumulators within a block).
fn numpy_sum(values: &[f64]) -> f64 {
    let n = values.len();
    if n < 8 {
        values.iter().fold(0.0, |sum, v| sum + v)
    } else if n <= 128 {
        let mut r: [f64; 8] = values[..8].try_into().expect("eight values");
        let whole = n - n % 8;
        for block in values[8..whole].chunks_exact(8) {
            for (acc, v) in r.iter_mut().zip(block) {
                *acc += v;
            }
        }
        let mut sum = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        for v in &values[whole..] {
            sum += v;
        }
        sum
    } else {
        let half = (n / 2) - (n / 2) % 8;
        numpy_sum(&values[..half]) + numpy_sum(&values[half..])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// CPython 3.11: `random.seed(42)`, then `[random.randint(0, 22) for _ in range(5)]`,
    /// `random.random()`, `random.sample(range(30), 4)` (rejection), `random.sample(range(10), 3)`
    /// (pool), `random.sample(range(100), 7)`, `random.sample(range(40), 3)`,
    /// `x = list(range(6)); random.shuffle(x)`, `random.choice(range(1))`, `random.getrandbits(32)`.
    #[test]
    fn python_calls_match_cpython() {
        let mut r = PyRandom::seeded(42);
        let ints: Vec<usize> = (0..5).map(|_| r.randint(0, 22)).collect();
        assert_eq!(ints, [20, 3, 0, 8, 7]);
        assert_eq!(r.random(), 0.22321073814882275);
        let range = |n: usize| (0..n).collect::<Vec<usize>>();
        assert_eq!(r.sample(&range(30), 4), [23, 3, 21, 28]);
        assert_eq!(r.sample(&range(10), 3), [8, 1, 6]);
        assert_eq!(r.sample(&range(100), 7), [4, 3, 11, 27, 29, 64, 77]);
        assert_eq!(r.sample(&range(40), 3), [1, 35, 12]);
        let mut x = range(6);
        r.shuffle(&mut x);
        assert_eq!(x, [2, 1, 0, 3, 4, 5]);
        assert_eq!(r.choice(&range(1)), 0);
        assert_eq!(r.mt.next_u32(), 3476477323);
    }

    /// numpy 2.4.6: `np.random.seed(42)`, then `[np.random.choice(5) for _ in range(5)]`,
    /// `np.random.choice(1)` (no draw), six `np.random.choice(3, p=[0.2, 0.5, 0.3])`, three
    /// `np.random.randn()` (the second is the cached half of the first pair),
    /// `np.random.random_sample()`, `np.random.choice(7)`.
    #[test]
    fn numpy_calls_match_numpy() {
        let mut n = NumpyRandom::seeded(42);
        let picks: Vec<usize> = (0..5).map(|_| n.choice_below(5)).collect();
        assert_eq!(picks, [3, 4, 2, 4, 4]);
        assert_eq!(n.choice_below(1), 0);
        let weighted: Vec<usize> = (0..6)
            .map(|_| n.choice_weighted(&[0.2, 0.5, 0.3]))
            .collect();
        assert_eq!(weighted, [0, 0, 0, 2, 1, 2]);
        let normals = [n.randn(), n.randn(), n.randn()];
        assert_eq!(
            normals,
            [
                -0.4694743859349521,
                0.5425600435859647,
                -0.46341769281246226
            ]
        );
        assert_eq!(n.random_sample(), 0.3042422429595377);
        assert_eq!(n.choice_below(7), 5);
    }

    /// numpy 2.4.6: `e = np.exp(w - np.max(w)); e / np.sum(e)` for the generator's shape weights
    /// at relative distance 0.3, and for ten values (the pairwise sum's eight-way branch).
    #[test]
    fn softmax_matches_numpy() {
        let shape: Vec<f64> = [0.2, 0.5, 0.8]
            .iter()
            .map(|c: &f64| -(0.3 - c).powi(2))
            .collect();
        assert_eq!(
            softmax(&shape),
            [0.3627034383463043, 0.35198393174585774, 0.2853126299078379]
        );
        let ten = [0.7, 0.0, 1.4, 0.7, 0.7, 1.4, 0.0, 0.7, 1.4, 0.3];
        let expected = [
            0.08543540909206837,
            0.04242596857852812,
            0.17204578637300044,
            0.08543540909206837,
            0.08543540909206837,
            0.17204578637300044,
            0.04242596857852812,
            0.08543540909206837,
            0.17204578637300044,
            0.05726906735566895,
        ];
        assert_eq!(softmax(&ten), expected);
    }
}
