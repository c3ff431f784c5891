//! Numeric RDDs: Spark's `DoubleRDDFunctions` (`stats`, `sum`, `mean`, `stdev`, `histogram`).

use super::{Data, Rdd};
use crate::error::{Error, Result};
use crate::scheduler::run_job;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::panic::Location;

/// Element types with a numeric value.
pub trait Numeric: Data + Copy {
    /// The value as `f64`.
    fn to_f64(self) -> f64;
}

macro_rules! numeric {
    ($($t:ty),*) => {$(
        impl Numeric for $t {
            #[inline]
            fn to_f64(self) -> f64 {
                self as f64
            }
        }
    )*};
}
numeric!(i8, i16, i32, i64, u8, u16, u32, u64, usize, isize, f32, f64);

/// Spark's `math.max`: NaN if either value is NaN (`f64::max` would ignore it).
fn max_nan(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() { f64::NAN } else { a.max(b) }
}

/// Spark's `math.min`: NaN if either value is NaN.
fn min_nan(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() { f64::NAN } else { a.min(b) }
}

/// Count, mean, variance, min and max in one pass (Spark's `StatCounter`, with the same merge formulas).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct StatCounter {
    count: u64,
    mean: f64,
    m2: f64,
    max: f64,
    min: f64,
}

impl Default for StatCounter {
    fn default() -> Self {
        StatCounter { count: 0, mean: 0.0, m2: 0.0, max: f64::NEG_INFINITY, min: f64::INFINITY }
    }
}

impl StatCounter {
    /// Statistics of the given values.
    pub fn of(values: impl IntoIterator<Item = f64>) -> Self {
        let mut s = StatCounter::default();
        for v in values {
            s.merge_value(v);
        }
        s
    }

    /// Adds one value (Welford's update).
    pub fn merge_value(&mut self, value: f64) {
        let delta = value - self.mean;
        self.count += 1;
        self.mean += delta / self.count as f64;
        self.m2 += delta * (value - self.mean);
        self.max = max_nan(self.max, value);
        self.min = min_nan(self.min, value);
    }

    /// Merges another counter (Chan et al.'s parallel formula, as Spark's `merge(other)`).
    pub fn merge(&mut self, other: &StatCounter) {
        if other.count == 0 {
            return;
        }
        if self.count == 0 {
            *self = *other;
            return;
        }
        let delta = other.mean - self.mean;
        let n = (self.count + other.count) as f64;
        if other.count * 10 < self.count {
            self.mean += delta * other.count as f64 / n;
        } else if self.count * 10 < other.count {
            self.mean = other.mean - delta * self.count as f64 / n;
        } else {
            self.mean = (self.mean * self.count as f64 + other.mean * other.count as f64) / n;
        }
        self.m2 += other.m2 + delta * delta * self.count as f64 * other.count as f64 / n;
        self.count += other.count;
        self.max = max_nan(self.max, other.max);
        self.min = min_nan(self.min, other.min);
    }

    /// Number of values.
    pub fn count(&self) -> u64 {
        self.count
    }
    /// Mean (`NaN` when empty).
    pub fn mean(&self) -> f64 {
        if self.count == 0 { f64::NAN } else { self.mean }
    }
    /// Sum.
    pub fn sum(&self) -> f64 {
        self.mean * self.count as f64
    }
    /// Largest value (`-inf` when empty, `NaN` if a value is `NaN`, as in Spark).
    pub fn max(&self) -> f64 {
        self.max
    }
    /// Smallest value (`+inf` when empty, `NaN` if a value is `NaN`, as in Spark).
    pub fn min(&self) -> f64 {
        self.min
    }
    /// Population variance (Spark's `variance`/`popVariance`).
    pub fn variance(&self) -> f64 {
        if self.count == 0 { f64::NAN } else { self.m2 / self.count as f64 }
    }
    /// Sample variance, dividing by `n - 1`.
    pub fn sample_variance(&self) -> f64 {
        if self.count <= 1 { f64::NAN } else { self.m2 / (self.count - 1) as f64 }
    }
    /// Population standard deviation (Spark's `stdev`).
    pub fn stdev(&self) -> f64 {
        self.variance().sqrt()
    }
    /// Sample standard deviation.
    pub fn sample_stdev(&self) -> f64 {
        self.sample_variance().sqrt()
    }
}

impl fmt::Display for StatCounter {
    /// Spark's format: `(count: 5, mean: 3.0, stdev: 1.41…, max: 5.0, min: 1.0)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "(count: {}, mean: {:?}, stdev: {:?}, max: {:?}, min: {:?})",
            self.count,
            self.mean(),
            self.stdev(),
            self.max,
            self.min
        )
    }
}

impl<T: Numeric> Rdd<T> {
    /// Count, mean, stdev, max and min in one job.
    #[track_caller]
    pub fn stats(&self) -> Result<StatCounter> {
        self.stats_at(Location::caller())
    }

    fn stats_at(&self, site: &Location<'_>) -> Result<StatCounter> {
        let all: Vec<usize> = (0..self.num_partitions()).collect();
        let parts = run_job(self, &all, "stats", site, |it, _| Ok(StatCounter::of(it.map(Numeric::to_f64))))?;
        let mut total = StatCounter::default();
        for p in &parts {
            total.merge(p);
        }
        Ok(total)
    }

    /// Sum of the elements as `f64`.
    #[track_caller]
    pub fn sum(&self) -> Result<f64> {
        let all: Vec<usize> = (0..self.num_partitions()).collect();
        let parts = run_job(self, &all, "sum", Location::caller(), |it, _| Ok(it.map(Numeric::to_f64).sum::<f64>()))?;
        Ok(parts.into_iter().sum())
    }

    /// Mean of the elements.
    #[track_caller]
    pub fn mean(&self) -> Result<f64> {
        Ok(self.stats_at(Location::caller())?.mean())
    }

    /// Population variance.
    #[track_caller]
    pub fn variance(&self) -> Result<f64> {
        Ok(self.stats_at(Location::caller())?.variance())
    }

    /// Population standard deviation.
    #[track_caller]
    pub fn stdev(&self) -> Result<f64> {
        Ok(self.stats_at(Location::caller())?.stdev())
    }

    /// Sample standard deviation.
    #[track_caller]
    pub fn sample_stdev(&self) -> Result<f64> {
        Ok(self.stats_at(Location::caller())?.sample_stdev())
    }

    /// `bucket_count` evenly spaced buckets between the minimum and the maximum, and the count in each; the last
    /// bucket includes the maximum (Spark's `histogram(bucketCount)`).
    #[track_caller]
    pub fn histogram(&self, bucket_count: usize) -> Result<(Vec<f64>, Vec<u64>)> {
        let site = Location::caller();
        if bucket_count == 0 {
            return Err(Error::param("bucket_count", "must be at least 1"));
        }
        let s = self.stats_at(site)?;
        let (min, max) = (s.min(), s.max());
        if !min.is_finite() || !max.is_finite() {
            return Err(Error::param(
                "histogram",
                "the RDD is empty or contains infinity or NaN, so buckets cannot be spaced evenly",
            ));
        }
        let buckets: Vec<f64> = if min == max {
            vec![min, min]
        } else {
            // Spark's `customRange`: `min + (i * span) / count`, then `max` itself.
            let span = max - min;
            let n = bucket_count as f64;
            (0..bucket_count).map(|i| min + (i as f64 * span) / n).chain(std::iter::once(max)).collect()
        };
        let counts = self.histogram_counts(&buckets, true, site)?;
        Ok((buckets, counts))
    }

    /// Counts per bucket for sorted `buckets` boundaries: `[b0, b1)`, …, `[b(n-1), bn]` (Spark's
    /// `histogram(buckets)`); values outside are ignored.
    #[track_caller]
    pub fn histogram_with(&self, buckets: &[f64]) -> Result<Vec<u64>> {
        if buckets.len() < 2 {
            return Err(Error::param("buckets", "needs at least two boundaries"));
        }
        if buckets.windows(2).any(|w| w[0].partial_cmp(&w[1]) != Some(std::cmp::Ordering::Less)) {
            return Err(Error::param("buckets", "boundaries must be strictly increasing"));
        }
        self.histogram_counts(buckets, false, Location::caller())
    }

    /// Counts per bucket. With `even` buckets a value's bucket is computed, not searched, as Spark's
    /// `fastBucketFunction` does (so a value lands where Spark puts it even when the boundaries are rounded).
    fn histogram_counts(&self, buckets: &[f64], even: bool, site: &Location<'_>) -> Result<Vec<u64>> {
        let bounds = buckets.to_vec();
        let all: Vec<usize> = (0..self.num_partitions()).collect();
        let n = bounds.len() - 1;
        let parts = run_job(self, &all, "histogram", site, move |it, _| {
            let mut counts = vec![0u64; n];
            let (lo, hi) = (bounds[0], bounds[n]);
            for x in it.map(Numeric::to_f64) {
                if x.is_nan() || x < lo || x > hi {
                    continue;
                }
                let i = if even {
                    // `as usize` truncates like Scala's `toInt`, and maps the NaN of a one-value range to 0.
                    (((x - lo) / (hi - lo) * n as f64) as usize).min(n - 1)
                } else if x == hi {
                    n - 1
                } else {
                    bounds.partition_point(|b| *b <= x) - 1
                };
                counts[i] += 1;
            }
            Ok(counts)
        })?;
        let mut counts = vec![0u64; n];
        for p in parts {
            for (c, x) in counts.iter_mut().zip(p) {
                *c += x;
            }
        }
        Ok(counts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;

    #[test]
    fn merged_counters_equal_one_pass() {
        let values: Vec<f64> = (1..=1000).map(|i| (i as f64).sin() * 10.0).collect();
        let whole = StatCounter::of(values.iter().copied());
        let mut a = StatCounter::of(values[..10].iter().copied());
        a.merge(&StatCounter::of(values[10..].iter().copied()));
        assert_relative_eq!(a.mean(), whole.mean(), epsilon = 1e-12);
        assert_relative_eq!(a.variance(), whole.variance(), epsilon = 1e-10);
    }

    #[test]
    fn display_matches_spark() {
        // sc.parallelize([1, 2, 3, 4, 5]).stats() prints (count: 5, mean: 3.0, stdev: 1.4142135623730951, ...).
        let s = StatCounter::of([1.0, 2.0, 3.0, 4.0, 5.0]);
        assert_eq!(s.to_string(), "(count: 5, mean: 3.0, stdev: 1.4142135623730951, max: 5.0, min: 1.0)");
    }
}

/// An `f64` with a total order (IEEE 754 `totalOrder`: `-0.0 < 0.0`, NaN last), so doubles can be sort keys
/// (`sort_by`, `sort_by_key`, `top`) and pair keys, as Scala's `Ordering[Double]` allows in Spark.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct OrderedF64(pub f64);

impl PartialEq for OrderedF64 {
    fn eq(&self, other: &Self) -> bool {
        self.0.total_cmp(&other.0).is_eq()
    }
}

impl Eq for OrderedF64 {}

impl PartialOrd for OrderedF64 {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for OrderedF64 {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.total_cmp(&other.0)
    }
}

impl std::hash::Hash for OrderedF64 {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        // Equal under total_cmp means equal bits, so hashing the bits agrees with Eq.
        self.0.to_bits().hash(state);
    }
}

impl fmt::Display for OrderedF64 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}
