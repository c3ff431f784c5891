//! Statistics on engine data (Spark's `mllib.stat.Statistics`): column summaries, correlations and chi-square
//! tests.

mod chi_square;
mod correlation;
mod special;
mod summary;

pub use chi_square::ChiSqTestResult;
pub use correlation::CorrelationMethod;
pub use summary::MultivariateStatisticalSummary;

use crate::distributed::RowMatrix;
use crate::error::Result;
use crate::linalg::{DenseMatrix, Vector};
use crate::regression::LabeledPoint;
use flint_engine::Rdd;

/// Entry points, as Spark's `Statistics` object.
///
/// ```
/// use flint_engine::prelude::*;
/// use flint_mllib::linalg::Vectors;
/// use flint_mllib::stat::{CorrelationMethod, Statistics};
///
/// let session = Session::builder().master("local[2]").build()?;
/// let rows = session.parallelize(
///     vec![Vectors::dense(vec![1.0, 2.0]), Vectors::dense(vec![2.0, 4.1]), Vectors::dense(vec![3.0, 5.9])],
///     2,
/// );
/// let summary = Statistics::col_stats(&rows)?;
/// assert_eq!(summary.mean()?.to_array(), vec![2.0, 4.0]);
/// let corr = Statistics::corr(&rows, CorrelationMethod::Spearman)?;
/// assert_eq!(corr.get(0, 1), Some(1.0));
/// # Ok::<(), flint_mllib::Error>(())
/// ```
#[derive(Debug)]
pub struct Statistics;

impl Statistics {
    /// Column statistics of an RDD of vectors, in one pass.
    pub fn col_stats(rows: &Rdd<Vector>) -> Result<MultivariateStatisticalSummary> {
        RowMatrix::new(rows.clone()).compute_column_summary_statistics()
    }

    /// The correlation matrix of the vectors' columns.
    pub fn corr(rows: &Rdd<Vector>, method: CorrelationMethod) -> Result<DenseMatrix> {
        correlation::corr_matrix(rows, method)
    }

    /// The correlation of two series: RDDs with the same partitioning and number of elements in each partition.
    pub fn corr_pair(x: &Rdd<f64>, y: &Rdd<f64>, method: CorrelationMethod) -> Result<f64> {
        correlation::corr_pair(x, y, method)
    }

    /// Pearson's goodness-of-fit test of observed counts against the uniform distribution.
    pub fn chi_sq_test(observed: &Vector) -> Result<ChiSqTestResult> {
        chi_square::goodness_of_fit(observed, None)
    }

    /// Pearson's goodness-of-fit test of observed counts against expected ones (rescaled to the same total).
    pub fn chi_sq_test_expected(observed: &Vector, expected: &Vector) -> Result<ChiSqTestResult> {
        chi_square::goodness_of_fit(observed, Some(expected))
    }

    /// Pearson's independence test on a contingency matrix of counts.
    pub fn chi_sq_test_matrix(counts: &DenseMatrix) -> Result<ChiSqTestResult> {
        chi_square::independence(counts)
    }

    /// Pearson's independence test of every feature against the label (categorical values), one result per
    /// feature, in feature order.
    pub fn chi_sq_test_features(points: &Rdd<LabeledPoint>) -> Result<Vec<ChiSqTestResult>> {
        chi_square::features_independence(points)
    }
}
