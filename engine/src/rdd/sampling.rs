//! Random sampling: Bernoulli and Poisson samplers per partition, and Spark's sample-size bounds for
//! `take_sample`.
//!
//! Each partition draws from its own generator seeded with `(seed, partition)`, so a sample depends on the seed
//! and the partitioning only, never on thread scheduling.

use super::BoxIter;
use crate::error::{Error, Result};
use crate::partitioner::hash_key;
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

pub(crate) fn partition_rng(seed: u64, partition: usize) -> Xoshiro256PlusPlus {
    Xoshiro256PlusPlus::seed_from_u64(hash_key(&(seed, partition as u64)))
}

pub(crate) fn check_fraction(with_replacement: bool, fraction: f64) -> Result<()> {
    if !fraction.is_finite() || fraction < 0.0 {
        return Err(Error::param("fraction", format!("must be a finite number >= 0, got {fraction}")));
    }
    if !with_replacement && fraction > 1.0 {
        return Err(Error::param(
            "fraction",
            format!("must be in [0, 1] when sampling without replacement, got {fraction}"),
        ));
    }
    Ok(())
}

/// A Poisson(`lambda`) draw (Knuth's method for small means, a rounded normal approximation for large ones).
pub(crate) fn poisson(rng: &mut impl Rng, lambda: f64) -> usize {
    if lambda <= 0.0 {
        return 0;
    }
    if lambda > 30.0 {
        // Box–Muller normal with mean and variance lambda.
        let u1: f64 = rng.r#gen::<f64>().max(f64::MIN_POSITIVE);
        let u2: f64 = rng.r#gen();
        let z = (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos();
        return (lambda + z * lambda.sqrt()).round().max(0.0) as usize;
    }
    let limit = (-lambda).exp();
    let mut k = 0;
    let mut p: f64 = rng.r#gen();
    while p > limit {
        k += 1;
        p *= rng.r#gen::<f64>();
    }
    k
}

pub(crate) fn sample_iter<T: Clone + Send + 'static>(
    it: BoxIter<T>,
    with_replacement: bool,
    fraction: f64,
    seed: u64,
    partition: usize,
) -> BoxIter<T> {
    let mut rng = partition_rng(seed, partition);
    if with_replacement {
        Box::new(it.flat_map(move |x| {
            let n = poisson(&mut rng, fraction);
            std::iter::repeat_n(x, n)
        }))
    } else {
        Box::new(it.filter(move |_| rng.r#gen::<f64>() < fraction))
    }
}

/// Normalised cumulative bounds of `random_split` weights: `[0, w0, w0+w1, …, 1]`.
pub(crate) fn split_bounds(weights: &[f64]) -> Result<Vec<f64>> {
    if weights.is_empty() || weights.iter().any(|w| !w.is_finite() || *w < 0.0) {
        return Err(Error::param("weights", "must be non-negative finite numbers, at least one"));
    }
    let total: f64 = weights.iter().sum();
    if total <= 0.0 {
        return Err(Error::param("weights", "must not all be zero"));
    }
    let mut acc = 0.0;
    let mut bounds = vec![0.0];
    for w in weights {
        acc += w / total;
        bounds.push(acc);
    }
    if let Some(last) = bounds.last_mut() {
        *last = 1.0;
    }
    Ok(bounds)
}

/// The elements whose draw falls in `[lo, hi)`: the same draws for every split of one `random_split`, so the
/// splits are disjoint and cover the input.
pub(crate) fn range_sample<T: Send + 'static>(
    it: BoxIter<T>,
    lo: f64,
    hi: f64,
    seed: u64,
    partition: usize,
) -> BoxIter<T> {
    let mut rng = partition_rng(seed, partition);
    Box::new(it.filter(move |_| {
        let x: f64 = rng.r#gen();
        x >= lo && x < hi
    }))
}

/// Spark's `SamplingUtils.computeFractionForSampleSize`: a fraction that yields at least `num` of `total`
/// elements with probability ≥ 0.9999.
pub(crate) fn fraction_for_sample_size(num: usize, total: u64, with_replacement: bool) -> f64 {
    let s = num as f64;
    let n = total as f64;
    if with_replacement {
        let std = if s < 6.0 {
            12.0
        } else if s < 16.0 {
            9.0
        } else {
            6.0
        };
        (s + std * s.sqrt()).max(1e-10) / n
    } else {
        let fraction = s / n;
        let gamma = -(1e-4f64).ln() / n;
        (fraction + gamma + (gamma * gamma + 2.0 * gamma * fraction).sqrt()).clamp(1e-10, 1.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn poisson_mean_is_lambda() {
        let mut rng = partition_rng(1, 0);
        for lambda in [0.5, 3.0, 50.0] {
            let n = 20_000;
            let mean = (0..n).map(|_| poisson(&mut rng, lambda)).sum::<usize>() as f64 / n as f64;
            assert!((mean - lambda).abs() < lambda * 0.05 + 0.02, "lambda {lambda}: mean {mean}");
        }
    }

    #[test]
    fn split_bounds_normalise() {
        assert_eq!(split_bounds(&[3.0, 1.0]).expect("bounds"), vec![0.0, 0.75, 1.0]);
        assert!(split_bounds(&[]).is_err());
        assert!(split_bounds(&[-1.0]).is_err());
    }

    #[test]
    fn sample_size_fraction_is_above_the_plain_ratio() {
        let f = fraction_for_sample_size(10, 1000, false);
        assert!(f > 0.01 && f < 0.05, "{f}");
        assert!(fraction_for_sample_size(10, 1000, true) > 0.01);
    }
}
