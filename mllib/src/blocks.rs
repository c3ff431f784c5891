//! Training data as blocks: each partition of an `Rdd<Vector>` becomes one matrix (dense rows in an `ndarray`
//! array, sparse rows in a `sprs` CSR matrix), cached for the iterations of a fit.
//!
//! Iterative estimators visit their data tens of times; a block lets each visit run matrix kernels (one
//! matrix product for the distances of a chunk of rows) instead of a loop over per-row vectors, and a cached
//! block is shared (`Arc`), not copied, by each iteration's tasks.

use crate::error::{Error, Result};
use crate::linalg::Vector;
use flint_engine::StorageLevel;
use flint_engine::rdd::{Data, Rdd};
use ndarray::linalg::general_mat_mul;
use ndarray::{Array1, Array2, ArrayView1, ArrayView2, ArrayViewMut1, ArrayViewMut2, s};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sprs::{CsMat, CsMatView, TriMat};
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
    fn from_rows<'a, I>(rows: I, dim: usize) -> Block
    where
        I: ExactSizeIterator<Item = &'a Vector> + Clone,
    {
        // A partition of mostly sparse rows stays sparse.
        let sparse = rows.clone().filter(|v| v.is_sparse()).count() * 2 > rows.len();
        if sparse {
            let mut t = TriMat::new((rows.len(), dim));
            for (r, v) in rows.enumerate() {
                for (c, x) in v.iter_active().filter(|&(c, x)| x != 0.0 && c < dim) {
                    t.add_triplet(r, c, x);
                }
            }
            Block::Sparse(t.to_csr())
        } else {
            let mut a = Array2::zeros((rows.len(), dim));
            for (r, v) in rows.enumerate() {
                for (c, x) in v.iter_active().filter(|&(c, _)| c < dim) {
                    a[(r, c)] = x;
                }
            }
            Block::Dense(a)
        }
    }

    /// The number of rows.
    pub(crate) fn rows(&self) -> usize {
        self.view().rows()
    }

    /// All the rows, borrowed.
    pub(crate) fn view(&self) -> Rows<'_> {
        match self {
            Block::Dense(a) => Rows::Dense(a.view()),
            Block::Sparse(m) => Rows::Sparse(m.view()),
        }
    }

    /// Consecutive runs of at most [`CHUNK_ROWS`] rows, with the position of each run's first row.
    pub(crate) fn chunks(&self) -> impl Iterator<Item = (usize, Rows<'_>)> {
        let rows = self.rows();
        (0..rows).step_by(CHUNK_ROWS).map(move |start| {
            let end = (start + CHUNK_ROWS).min(rows);
            let chunk = match self {
                Block::Dense(a) => Rows::Dense(a.slice(s![start..end, ..])),
                Block::Sparse(m) => Rows::Sparse(m.slice_outer(start..end)),
            };
            (start, chunk)
        })
    }

    /// Row `r` as a vector, in the block's storage.
    pub(crate) fn row_vector(&self, r: usize) -> Vector {
        self.view().row_vector(r)
    }

    /// Every row scaled to unit Euclidean norm (rows must not be zero).
    pub(crate) fn normalized(self) -> Block {
        let norms = self.view().row_norms_sq().mapv(f64::sqrt);
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

/// `rdd.aggregate` with each element borrowed from its partition (lent by the block store when the RDD is
/// cached, so no element is copied), for the passes that only read their rows.
pub(crate) fn aggregate_ref<T: Data, U: Data>(
    rdd: &Rdd<T>,
    zero: U,
    seq: impl Fn(U, &T) -> U + Send + Sync + 'static,
    comb: impl Fn(U, U) -> U,
) -> Result<U> {
    let z = zero.clone();
    let parts =
        rdd.map_partitions_slice(move |_, part| std::iter::once(part.iter().fold(z.clone(), &seq))).collect()?;
    Ok(parts.into_iter().fold(zero, comb))
}

/// Rows per chunk in the kernels that walk a block: a chunk's products with a few centres or coefficient
/// vectors stay in cache, where block-sized temporaries (hundreds of MB for 1M rows) cost more in page faults
/// than the arithmetic itself.
pub(crate) const CHUNK_ROWS: usize = 1024;

/// Borrowed consecutive rows of a block.
#[derive(Debug, Clone)]
pub(crate) enum Rows<'a> {
    Dense(ArrayView2<'a, f64>),
    Sparse(CsMatView<'a, f64>),
}

impl Rows<'_> {
    /// The number of rows.
    pub(crate) fn rows(&self) -> usize {
        match self {
            Rows::Dense(a) => a.nrows(),
            Rows::Sparse(m) => m.rows(),
        }
    }

    /// `out = X Cᵀ`: the dot product of every row with every row of `c` (`k × n`) into an `m × k` array.
    pub(crate) fn dot_rows_into(&self, c: &Array2<f64>, out: &mut ArrayViewMut2<'_, f64>) {
        match self {
            Rows::Dense(a) => general_mat_mul(1.0, a, &c.t(), 0.0, out),
            Rows::Sparse(m) => {
                out.fill(0.0);
                for (r, row) in m.outer_iterator().enumerate() {
                    for (col, x) in row.iter() {
                        out.row_mut(r).scaled_add(*x, &c.column(col));
                    }
                }
            }
        }
    }

    /// The dot product of row `r` with `w`.
    pub(crate) fn dot_row(&self, r: usize, w: ArrayView1<'_, f64>) -> f64 {
        match self {
            Rows::Dense(a) => a.row(r).dot(&w),
            Rows::Sparse(m) => m.outer_view(r).map_or(0.0, |row| row.iter().map(|(c, x)| x * w[c]).sum()),
        }
    }

    /// `acc += w · row r`.
    pub(crate) fn add_row_to(&self, r: usize, w: f64, mut acc: ArrayViewMut1<'_, f64>) {
        match self {
            Rows::Dense(a) => acc.scaled_add(w, &a.row(r)),
            Rows::Sparse(m) => {
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
            Rows::Dense(a) => Vector::Dense(a.row(r).to_owned()),
            Rows::Sparse(m) => {
                let (indices, values) =
                    m.outer_view(r).map(|row| row.iter().map(|(c, x)| (c, *x)).unzip()).unwrap_or_default();
                Vector::Sparse(sprs::CsVec::new(m.cols(), indices, values))
            }
        }
    }

    /// The squared norm of every row.
    pub(crate) fn row_norms_sq(&self) -> Array1<f64> {
        match self {
            Rows::Dense(a) => a.rows().into_iter().map(|r| r.dot(&r)).collect(),
            Rows::Sparse(m) => m.outer_iterator().map(|r| r.iter().map(|(_, x)| x * x).sum()).collect(),
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
    let (count, problem) = aggregate_ref(
        rows,
        (0u64, None::<String>),
        move |(n, p), v| (n + 1, p.or_else(|| bad(v))),
        |(a, p), (b, q)| (a + b, p.or(q)),
    )?;
    if let Some(problem) = problem {
        return Err(Error::data(algorithm, problem));
    }
    let rdd = rows
        .map_partitions_slice(move |_, rows| {
            let block = Block::from_rows(rows.iter(), dim);
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
        .map_partitions_slice(move |_, points| {
            let y = points.iter().map(|p| p.label).collect();
            let x = Block::from_rows(points.iter().map(|p| &p.features), dim);
            std::iter::once(Shared(Arc::new(LabeledBlock { x, y })))
        })
        .persist(StorageLevel::MEMORY_AND_DISK)?;
    Ok(LabeledBlocks { rdd, rows, dim })
}
