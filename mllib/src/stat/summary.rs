//! Column statistics of vectors in one pass: Spark's `MultivariateOnlineSummarizer`, update and merge formulas
//! included, so means and variances agree with Spark's to the last digits.
//!
//! Zero values are not visited (sparse vectors cost their non-zeros only); each column keeps the mean and the
//! sum of squared deviations of its non-zero values, and the zeros are folded in when a statistic is read.

use crate::error::{Error, Result};
use crate::linalg::Vector;
use ndarray::Array1;
use serde::{Deserialize, Serialize};

/// Count, mean, variance, extremes, norms and non-zero counts of a set of vectors, column by column (Spark's
/// `MultivariateStatisticalSummary`); built by `add`, combined across partitions by `merge`.
///
/// ```
/// use flint_mllib::linalg::Vectors;
/// use flint_mllib::stat::MultivariateStatisticalSummary;
///
/// let mut s = MultivariateStatisticalSummary::new();
/// s.add(&Vectors::dense(vec![1.0, 10.0]))?;
/// s.add(&Vectors::sparse(2, vec![0], vec![3.0])?)?;
/// assert_eq!(s.count(), 2);
/// assert_eq!(s.mean()?.to_array(), vec![2.0, 5.0]);
/// assert_eq!(s.variance()?.to_array(), vec![2.0, 50.0]);
/// assert_eq!(s.num_nonzeros()?.to_array(), vec![2.0, 1.0]);
/// # Ok::<(), flint_mllib::Error>(())
/// ```
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct MultivariateStatisticalSummary {
    /// Mean of each column's non-zero values.
    mean_nz: Vec<f64>,
    /// Sum of squared deviations of each column's non-zero values from `mean_nz`.
    m2n: Vec<f64>,
    /// Sum of squares (for the L2 norm) and of magnitudes (L1) of each column.
    m2: Vec<f64>,
    l1: Vec<f64>,
    /// Weight and count of each column's non-zero values.
    weight_nz: Vec<f64>,
    count_nz: Vec<u64>,
    max: Vec<f64>,
    min: Vec<f64>,
    count: u64,
    weight_sum: f64,
    weight_square_sum: f64,
}

impl MultivariateStatisticalSummary {
    /// An empty summary.
    pub fn new() -> Self {
        Self::default()
    }

    fn size(&self) -> usize {
        self.mean_nz.len()
    }

    fn init(&mut self, n: usize) {
        self.mean_nz = vec![0.0; n];
        self.m2n = vec![0.0; n];
        self.m2 = vec![0.0; n];
        self.l1 = vec![0.0; n];
        self.weight_nz = vec![0.0; n];
        self.count_nz = vec![0; n];
        self.max = vec![f64::NEG_INFINITY; n];
        self.min = vec![f64::INFINITY; n];
    }

    /// Adds one vector of weight 1.
    pub fn add(&mut self, v: &Vector) -> Result<&mut Self> {
        self.add_weighted(v, 1.0)
    }

    /// Adds one vector with a non-negative weight (a zero weight changes nothing).
    pub fn add_weighted(&mut self, v: &Vector, weight: f64) -> Result<&mut Self> {
        if !(weight >= 0.0 && weight.is_finite()) {
            return Err(Error::data("summarizer", format!("weight must be finite and non-negative, got {weight}")));
        }
        if weight == 0.0 {
            return Ok(self);
        }
        if self.count == 0 && self.weight_sum == 0.0 {
            self.init(v.size());
        } else if v.size() != self.size() {
            return Err(Error::data(
                "summarizer",
                format!("vectors must all have size {}, got one of size {}", self.size(), v.size()),
            ));
        }
        for (i, value) in v.iter_active() {
            if value == 0.0 {
                continue;
            }
            self.max[i] = self.max[i].max(value);
            self.min[i] = self.min[i].min(value);
            let prev = self.mean_nz[i];
            let diff = value - prev;
            self.mean_nz[i] = prev + weight * diff / (self.weight_nz[i] + weight);
            self.m2n[i] += weight * (value - self.mean_nz[i]) * diff;
            self.m2[i] += weight * value * value;
            self.l1[i] += weight * value.abs();
            self.weight_nz[i] += weight;
            self.count_nz[i] += 1;
        }
        self.weight_sum += weight;
        self.weight_square_sum += weight * weight;
        self.count += 1;
        Ok(self)
    }

    /// Merges another summary into this one (Chan et al.'s parallel formulas, as Spark's `merge`).
    pub fn merge(mut self, other: Self) -> Result<Self> {
        if other.weight_sum == 0.0 {
            return Ok(self);
        }
        if self.weight_sum == 0.0 {
            return Ok(other);
        }
        if self.size() != other.size() {
            return Err(Error::data(
                "summarizer",
                format!("vectors must all have size {}, got one of size {}", self.size(), other.size()),
            ));
        }
        for i in 0..self.size() {
            let (this_w, other_w) = (self.weight_nz[i], other.weight_nz[i]);
            let total_w = this_w + other_w;
            if total_w != 0.0 {
                let delta = other.mean_nz[i] - self.mean_nz[i];
                if other_w > 0.0 {
                    self.mean_nz[i] += delta * other_w / total_w;
                }
                self.m2n[i] += other.m2n[i] + delta * delta * this_w * other_w / total_w;
                self.m2[i] += other.m2[i];
                self.l1[i] += other.l1[i];
                self.max[i] = self.max[i].max(other.max[i]);
                self.min[i] = self.min[i].min(other.min[i]);
            }
            self.weight_nz[i] = total_w;
            self.count_nz[i] += other.count_nz[i];
        }
        self.count += other.count;
        self.weight_sum += other.weight_sum;
        self.weight_square_sum += other.weight_square_sum;
        Ok(self)
    }

    fn check_not_empty(&self) -> Result<()> {
        if self.weight_sum > 0.0 {
            Ok(())
        } else {
            Err(Error::data("summarizer", "no vectors were added: statistics of an empty dataset are undefined"))
        }
    }

    fn vector(values: impl IntoIterator<Item = f64>) -> Vector {
        Vector::Dense(Array1::from_iter(values))
    }

    /// The number of vectors added.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// The sum of the weights.
    pub fn weight_sum(&self) -> f64 {
        self.weight_sum
    }

    /// The column means.
    pub fn mean(&self) -> Result<Vector> {
        self.check_not_empty()?;
        Ok(Self::vector((0..self.size()).map(|i| self.mean_nz[i] * self.weight_nz[i] / self.weight_sum)))
    }

    /// The column sample variances (unbiased; weighted with reliability weights, as Spark). Zero for one vector.
    pub fn variance(&self) -> Result<Vector> {
        self.check_not_empty()?;
        let denominator = self.weight_sum - self.weight_square_sum / self.weight_sum;
        Ok(Self::vector((0..self.size()).map(|i| {
            if denominator > 0.0 {
                let d = self.mean_nz[i];
                let w = self.weight_nz[i];
                ((self.m2n[i] + d * d * w * (1.0 - w / self.weight_sum)) / denominator).max(0.0)
            } else {
                0.0
            }
        })))
    }

    /// The number of non-zero values in each column.
    pub fn num_nonzeros(&self) -> Result<Vector> {
        self.check_not_empty()?;
        Ok(Self::vector(self.count_nz.iter().map(|&c| c as f64)))
    }

    /// The column maxima (zeros count where a column has them).
    pub fn max(&self) -> Result<Vector> {
        self.check_not_empty()?;
        Ok(Self::vector(
            (0..self.size()).map(|i| if self.count_nz[i] < self.count { self.max[i].max(0.0) } else { self.max[i] }),
        ))
    }

    /// The column minima (zeros count where a column has them).
    pub fn min(&self) -> Result<Vector> {
        self.check_not_empty()?;
        Ok(Self::vector(
            (0..self.size()).map(|i| if self.count_nz[i] < self.count { self.min[i].min(0.0) } else { self.min[i] }),
        ))
    }

    /// The Euclidean norm of each column.
    pub fn norm_l2(&self) -> Result<Vector> {
        self.check_not_empty()?;
        Ok(Self::vector(self.m2.iter().map(|v| v.sqrt())))
    }

    /// The L1 norm of each column.
    pub fn norm_l1(&self) -> Result<Vector> {
        self.check_not_empty()?;
        Ok(Self::vector(self.l1.iter().copied()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::linalg::Vectors;
    use approx::assert_relative_eq;

    #[test]
    fn merged_halves_equal_one_pass_and_numpy() {
        // Worked by hand: x = [[1,-2],[0,4],[3,0],[-1,5]].
        let rows = [
            Vectors::dense(vec![1.0, -2.0]),
            Vectors::sparse(2, vec![1], vec![4.0]).expect("vector"),
            Vectors::sparse(2, vec![0], vec![3.0]).expect("vector"),
            Vectors::dense(vec![-1.0, 5.0]),
        ];
        let mut all = MultivariateStatisticalSummary::new();
        let (mut a, mut b) = (MultivariateStatisticalSummary::new(), MultivariateStatisticalSummary::new());
        for (n, r) in rows.iter().enumerate() {
            all.add(r).expect("add");
            if n % 2 == 0 { a.add(r) } else { b.add(r) }.expect("add");
        }
        let merged = a.merge(b).expect("merge");
        for s in [&all, &merged] {
            assert_eq!(s.count(), 4);
            let mean = s.mean().expect("mean").to_array();
            assert_relative_eq!(mean[0], 0.75);
            assert_relative_eq!(mean[1], 1.75);
            let var = s.variance().expect("variance").to_array();
            assert_relative_eq!(var[0], 8.75 / 3.0, max_relative = 1e-15); // squared deviations / (n − 1)
            assert_relative_eq!(var[1], 32.75 / 3.0, max_relative = 1e-15);
            assert_eq!(s.max().expect("max").to_array(), vec![3.0, 5.0]);
            assert_eq!(s.min().expect("min").to_array(), vec![-1.0, -2.0]);
            assert_eq!(s.num_nonzeros().expect("nnz").to_array(), vec![3.0, 3.0]);
            assert_relative_eq!(s.norm_l2().expect("l2").to_array()[1], 45f64.sqrt());
            assert_eq!(s.norm_l1().expect("l1").to_array(), vec![5.0, 11.0]);
        }
    }

    #[test]
    fn empty_and_mismatched_input_are_errors() {
        let s = MultivariateStatisticalSummary::new();
        assert!(s.mean().expect_err("empty").to_string().contains("empty dataset"));
        let mut s = MultivariateStatisticalSummary::new();
        s.add(&Vectors::dense(vec![1.0])).expect("add");
        let e = s.add(&Vectors::dense(vec![1.0, 2.0])).expect_err("size");
        assert!(e.to_string().contains("must all have size 1, got one of size 2"), "{e}");
        assert_eq!(s.variance().expect("variance").to_array(), vec![0.0]);
    }
}
