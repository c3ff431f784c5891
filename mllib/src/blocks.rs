//! Training data as blocks: each partition of an `Rdd<Vector>` becomes one matrix (dense rows in an `ndarray`
//! array, sparse rows in a `sprs` CSR matrix), cached for the iterations of a fit.
//!
//! Iterative estimators visit their data tens of times; a block lets each visit run matrix kernels (one
//! matrix product for all the distances of a partition) instead of a loop over per-row vectors, and a cached
//! block is shared (`Arc`), not copied, by each iteration's tasks.

use crate::error::{Error, Result};
use crate::linalg::Vector;
use flint_engine::Rdd;
use flint_engine::StorageLevel;
use ndarray::{Array1, Array2, ArrayViewMut1};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sprs::{CsMat, TriMat};
use std::sync::Arc;

/// The rows of one partition.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) enum Block {
    /// Dense rows, one per array row.
    Dense(Array2<f64>),
    /// Sparse rows, compressed by rows.
    Sparse(CsMat<f64>),
}

impl Block {
    fn from_rows(rows: &[Vector], dim: usize) -> Block {
        // A partition of mostly sparse rows stays sparse.
        let sparse = rows.iter().filter(|v| v.is_sparse()).count() * 2 > rows.len();
        if sparse {
            let mut t = TriMat::new((rows.len(), dim));
            for (r, v) in rows.iter().enumerate() {
                for (c, x) in v.iter_active().filter(|&(c, x)| x != 0.0 && c < dim) {
                    t.add_triplet(r, c, x);
                }
            }
            Block::Sparse(t.to_csr())
        } else {
            let mut a = Array2::zeros((rows.len(), dim));
            for (r, v) in rows.iter().enumerate() {
                for (c, x) in v.iter_active().filter(|&(c, _)| c < dim) {
                    a[(r, c)] = x;
                }
            }
            Block::Dense(a)
        }
    }

    /// The number of rows.
    pub(crate) fn rows(&self) -> usize {
        match self {
            Block::Dense(a) => a.nrows(),
            Block::Sparse(m) => m.rows(),
        }
    }

    /// `Xᵀ R` for an `m × k` array `R`: an `n × k` array (the gradient of a linear model's loss).
    pub(crate) fn transpose_dot(&self, r: &Array2<f64>) -> Array2<f64> {
        match self {
            Block::Dense(a) => a.t().dot(r),
            Block::Sparse(m) => {
                let mut out = Array2::zeros((m.cols(), r.ncols()));
                for (i, row) in m.outer_iterator().enumerate() {
                    for (j, x) in row.iter() {
                        out.row_mut(j).scaled_add(*x, &r.row(i));
                    }
                }
                out
            }
        }
    }

    /// `acc += w · row r`.
    pub(crate) fn add_row_to(&self, r: usize, w: f64, mut acc: ArrayViewMut1<'_, f64>) {
        match self {
            Block::Dense(a) => acc.scaled_add(w, &a.row(r)),
            Block::Sparse(m) => {
                if let Some(row) = m.outer_view(r) {
                    for (c, x) in row.iter() {
                        acc[c] += w * x;
                    }
                }
            }
        }
    }

    /// Row `r` as a vector, in the block's storage.
    pub(crate) fn row_vector(&self, r: usize) -> Vector {
        match self {
            Block::Dense(a) => Vector::Dense(a.row(r).to_owned()),
            Block::Sparse(m) => {
                let (indices, values) =
                    m.outer_view(r).map(|row| row.iter().map(|(c, x)| (c, *x)).unzip()).unwrap_or_default();
                Vector::Sparse(sprs::CsVec::new(m.cols(), indices, values))
            }
        }
    }

    /// The squared norm of every row.
    pub(crate) fn row_norms_sq(&self) -> Array1<f64> {
        match self {
            Block::Dense(a) => a.rows().into_iter().map(|r| r.dot(&r)).collect(),
            Block::Sparse(m) => m.outer_iterator().map(|r| r.iter().map(|(_, x)| x * x).sum()).collect(),
        }
    }

    /// `X Cᵀ`: the dot product of every row with every row of `c` (`k × n`), an `m × k` array.
    pub(crate) fn dot_rows(&self, c: &Array2<f64>) -> Array2<f64> {
        match self {
            Block::Dense(a) => a.dot(&c.t()),
            Block::Sparse(m) => {
                let mut out = Array2::zeros((m.rows(), c.nrows()));
                for (r, row) in m.outer_iterator().enumerate() {
                    for (col, x) in row.iter() {
                        out.row_mut(r).scaled_add(*x, &c.column(col));
                    }
                }
                out
            }
        }
    }

    /// Every row scaled to unit Euclidean norm (rows must not be zero).
    pub(crate) fn normalized(self) -> Block {
        let norms = self.row_norms_sq().mapv(f64::sqrt);
        match self {
            Block::Dense(mut a) => {
                for (mut row, n) in a.rows_mut().into_iter().zip(norms) {
                    row /= n;
                }
                Block::Dense(a)
            }
            Block::Sparse(mut m) => {
                for (r, mut row) in m.outer_iterator_mut().enumerate() {
                    for (_, x) in row.iter_mut() {
                        *x /= norms[r];
                    }
                }
                Block::Sparse(m)
            }
        }
    }
}

/// A cached value shared (not copied) by the tasks of every iteration; it serializes as the value, for a
/// block store that spills it.
#[derive(Debug)]
pub(crate) struct Shared<T>(pub(crate) Arc<T>);

impl<T> Clone for Shared<T> {
    fn clone(&self) -> Self {
        Shared(Arc::clone(&self.0))
    }
}

impl<T: Serialize> Serialize for Shared<T> {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Shared<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        T::deserialize(d).map(|b| Shared(Arc::new(b)))
    }
}

/// A cached block of training rows.
pub(crate) type SharedBlock = Shared<Block>;

/// What a fit requires of each row, checked in one pass before any iteration.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RowCheck {
    /// Rows must have a non-zero norm (cosine distance).
    pub(crate) non_zero: bool,
}

/// Validated, blocked and cached training rows.
#[derive(Debug)]
pub(crate) struct Blocks {
    pub(crate) rdd: Rdd<SharedBlock>,
    pub(crate) rows: u64,
    pub(crate) dim: usize,
}

impl Drop for Blocks {
    fn drop(&mut self) {
        self.rdd.unpersist();
    }
}

/// Checks every row (one job: same size as the first, finite values, non-zero if asked) and caches the rows as
/// one block per partition. The error names the first bad row found and what was expected.
pub(crate) fn to_blocks(rows: &Rdd<Vector>, algorithm: &'static str, check: RowCheck) -> Result<Blocks> {
    let first = rows.take(1)?;
    let Some(dim) = first.first().map(Vector::size) else {
        return Err(Error::data(algorithm, "the training data is empty"));
    };
    let bad = move |v: &Vector| {
        if v.size() != dim {
            Some(format!("a row has {} features where the first row has {dim}: {v}", v.size()))
        } else if v.active_values().iter().any(|x| !x.is_finite()) {
            Some(format!("a row holds NaN or infinite values: {v}"))
        } else if check.non_zero && v.active_values().iter().all(|x| *x == 0.0) {
            Some("a row is all zeros, and cosine distance is undefined for it".to_string())
        } else {
            None
        }
    };
    let (count, problem) = rows.aggregate(
        (0u64, None::<String>),
        move |(n, p), v| (n + 1, p.or_else(|| bad(&v))),
        |(a, p), (b, q)| (a + b, p.or(q)),
    )?;
    if let Some(problem) = problem {
        return Err(Error::data(algorithm, problem));
    }
    let rdd = rows
        .map_partitions(move |it| {
            let rows: Vec<Vector> = it.collect();
            let block = Block::from_rows(&rows, dim);
            let block = if check.non_zero { block.normalized() } else { block };
            std::iter::once(Shared(Arc::new(block)))
        })
        .persist(StorageLevel::MEMORY_AND_DISK)?;
    Ok(Blocks { rdd, rows: count, dim })
}

/// The rows of one partition with their labels.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct LabeledBlock {
    pub(crate) x: Block,
    pub(crate) y: Vec<f64>,
}

/// Validated, blocked and cached labeled points.
#[derive(Debug)]
pub(crate) struct LabeledBlocks {
    pub(crate) rdd: Rdd<Shared<LabeledBlock>>,
    pub(crate) rows: u64,
    pub(crate) dim: usize,
}

impl Drop for LabeledBlocks {
    fn drop(&mut self) {
        self.rdd.unpersist();
    }
}

/// Checks labeled points (one job) and caches them as one labeled block per partition.
pub(crate) fn to_labeled_blocks(
    points: &Rdd<crate::regression::LabeledPoint>,
    algorithm: &'static str,
) -> Result<LabeledBlocks> {
    let (rows, dim) = crate::regression::check_points(points, algorithm)?;
    let rdd = points
        .map_partitions(move |it| {
            let (y, x): (Vec<f64>, Vec<Vector>) = it.map(|p| (p.label, p.features)).unzip();
            std::iter::once(Shared(Arc::new(LabeledBlock { x: Block::from_rows(&x, dim), y })))
        })
        .persist(StorageLevel::MEMORY_AND_DISK)?;
    Ok(LabeledBlocks { rdd, rows, dim })
}
