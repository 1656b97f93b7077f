//! Fast weighted sampling: a 65,536-entry lookup table per distribution, one random draw per
//! sample.

use rand::RngCore;

/// Samples indices `0..n` with fixed relative weights.
#[derive(Clone, Debug)]
pub(crate) struct Sampler {
    table: Vec<u32>,
}

const SLOTS: usize = 1 << 16;

impl Sampler {
    /// A sampler for `weights` (at least one must be positive).
    pub(crate) fn weighted(weights: &[f64]) -> Self {
        let total: f64 = weights.iter().sum();
        let mut table = Vec::with_capacity(SLOTS);
        let mut acc = 0.0;
        for (i, w) in weights.iter().enumerate() {
            acc += w;
            let until = ((acc / total) * SLOTS as f64).round() as usize;
            let idx = u32::try_from(i).unwrap_or(u32::MAX);
            while table.len() < until.min(SLOTS) {
                table.push(idx);
            }
        }
        let last = u32::try_from(weights.len().saturating_sub(1)).unwrap_or(0);
        table.resize(SLOTS, last);
        Self { table }
    }

    /// Zipf-like skew over `n` items: item `k` has weight `1 / (k + 1)^s`.
    pub(crate) fn zipf(n: usize, s: f64) -> Self {
        let weights: Vec<f64> = (0..n.max(1)).map(|k| 1.0 / ((k + 1) as f64).powf(s)).collect();
        Self::weighted(&weights)
    }

    /// Uniform over `n` items.
    pub(crate) fn uniform(n: usize) -> Self {
        Self::weighted(&vec![1.0; n.max(1)])
    }

    #[inline]
    pub(crate) fn sample(&self, rng: &mut impl RngCore) -> u32 {
        self.table[(rng.next_u32() >> 16) as usize]
    }

    /// `n` samples.
    pub(crate) fn many(&self, rng: &mut impl RngCore, n: usize) -> Vec<u32> {
        (0..n).map(|_| self.sample(rng)).collect()
    }
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;

    use super::*;

    #[test]
    fn weights_are_respected() {
        let s = Sampler::weighted(&[1.0, 3.0]);
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
        let ones = s.many(&mut rng, 100_000).iter().filter(|&&i| i == 1).count();
        assert!((73_000..77_000).contains(&ones), "{ones}");
        let z = Sampler::zipf(100, 1.1);
        let first = z.many(&mut rng, 100_000).iter().filter(|&&i| i == 0).count();
        assert!(first > 10_000, "the most frequent item dominates: {first}");
    }
}
