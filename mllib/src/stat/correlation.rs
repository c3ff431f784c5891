//! Pearson and Spearman correlation matrices of an RDD of vectors (Spark's `Statistics.corr`).
//!
//! Pearson comes from the distributed covariance. Spearman is Pearson on ranks: every value is keyed by
//! `(column, value)` and globally sorted; a tie's rank is the mean of the positions it spans, found by one more
//! aggregation, so ties across partition boundaries get the same rank as within one.

use crate::distributed::RowMatrix;
use crate::error::{Error, Result};
use crate::linalg::{DenseMatrix, Vector};
use flint_engine::Rdd;
use flint_engine::rdd::OrderedF64;
use ndarray::Array1;

/// A correlation method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CorrelationMethod {
    /// Linear correlation (Spark's default).
    #[default]
    Pearson,
    /// Rank correlation, ties given their average rank.
    Spearman,
}

impl std::str::FromStr for CorrelationMethod {
    type Err = Error;

    /// Spark's names: `pearson`, `spearman` (any case).
    fn from_str(s: &str) -> Result<Self> {
        match s.to_ascii_lowercase().as_str() {
            "pearson" => Ok(CorrelationMethod::Pearson),
            "spearman" => Ok(CorrelationMethod::Spearman),
            _ => Err(Error::param(
                "corr",
                "method",
                format!("`{s}` is not a correlation method: use pearson or spearman"),
            )),
        }
    }
}

/// The correlation matrix from a covariance matrix; a column without variance correlates as NaN (Spark logs a
/// warning and does the same).
fn correlation_from_covariance(cov: &DenseMatrix) -> DenseMatrix {
    let c = cov.as_array();
    let n = c.nrows();
    let sigma = Array1::from_iter((0..n).map(|i| c[(i, i)].max(0.0).sqrt()));
    let mut corr = c.clone();
    for i in 0..n {
        for j in 0..n {
            corr[(i, j)] = if sigma[i] == 0.0 || sigma[j] == 0.0 {
                f64::NAN
            } else if i == j {
                1.0
            } else {
                (c[(i, j)] / (sigma[i] * sigma[j])).clamp(-1.0, 1.0)
            };
        }
    }
    DenseMatrix::from_array(corr)
}

/// The rows with each value replaced by its rank within its column (1-based, ties averaged).
fn ranks(rows: &Rdd<Vector>) -> Result<Rdd<Vector>> {
    let indexed = rows.zip_with_index()?;
    let size = rows.take(1)?.first().map_or(0, Vector::size);
    // (column, value) → row; -0.0 and 0.0 tie, as they compare equal.
    let cells = indexed.flat_map(|(v, row)| {
        v.to_array()
            .into_iter()
            .enumerate()
            .map(move |(col, x)| ((col as u64, OrderedF64(x + 0.0)), row))
            .collect::<Vec<_>>()
    });
    let positioned = cells.sort_by_key(true).zip_with_index()?.cache();
    // Rank of a (column, value): the mean global position of its copies, less the column's offset.
    let column_starts = positioned.map(|((key, _), pos)| (key.0, pos)).reduce_by_key(|a, b| a.min(b));
    let spans = positioned.map(|((key, _), pos)| (key, (pos, pos))).reduce_by_key(|a, b| (a.0.min(b.0), a.1.max(b.1)));
    let rank_of = spans
        .map(|((col, value), span)| (col, (value, span)))
        .join(&column_starts)
        .map(|(col, ((value, (lo, hi)), start))| ((col, value), (lo + hi) as f64 / 2.0 - start as f64 + 1.0));
    let ranked = positioned
        .map(|((key, row), _)| (key, row))
        .join(&rank_of)
        .map(|((col, _), (row, rank))| (row, (col as usize, rank)))
        .group_by_key()
        .map(move |(_, cells)| {
            let mut v = vec![0.0; size];
            for (col, rank) in cells {
                if col < size {
                    v[col] = rank;
                }
            }
            Vector::Dense(Array1::from(v))
        });
    Ok(ranked)
}

/// The correlation matrix of the columns of `rows`.
pub(crate) fn corr_matrix(rows: &Rdd<Vector>, method: CorrelationMethod) -> Result<DenseMatrix> {
    let data = match method {
        CorrelationMethod::Pearson => rows.clone(),
        CorrelationMethod::Spearman => {
            if rows.filter(|v| v.active_values().iter().any(|x| x.is_nan())).count()? > 0 {
                return Err(Error::data("corr", "Spearman correlation of data holding NaN values is undefined"));
            }
            ranks(rows)?
        }
    };
    Ok(correlation_from_covariance(&RowMatrix::new(data).compute_covariance()?))
}

/// The correlation of two RDDs of numbers with the same number of partitions and elements in each.
pub(crate) fn corr_pair(x: &Rdd<f64>, y: &Rdd<f64>, method: CorrelationMethod) -> Result<f64> {
    let rows = x.zip(y)?.map(|(a, b)| Vector::Dense(Array1::from(vec![a, b])));
    let m = corr_matrix(&rows, method)?;
    Ok(m.get(0, 1).unwrap_or(f64::NAN))
}
