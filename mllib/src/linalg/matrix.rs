//! Local matrices: [`DenseMatrix`] (an `ndarray` array) and [`SparseMatrix`] (compressed sparse columns, `sprs`),
//! with Spark's column-major constructors.

use super::{LinalgError, Result, Vector};
use ndarray::{Array1, Array2, ShapeBuilder};
use serde::{Deserialize, Serialize};
use sprs::CsMat;
use std::fmt;

/// An error unless an operand's size is the one the operation needs.
fn same_size(op: &str, expected: usize, found: usize) -> Result<()> {
    if expected == found { Ok(()) } else { Err(LinalgError::DimensionMismatch { op: op.into(), expected, found }) }
}

/// A dense local matrix of `f64`.
///
/// ```
/// use flint_mllib::linalg::{DenseMatrix, Vectors};
///
/// // Spark's order: values column by column.
/// let m = DenseMatrix::new(2, 3, vec![1.0, 4.0, 2.0, 5.0, 3.0, 6.0])?;
/// assert_eq!(m.get(1, 2), Some(6.0));
/// assert_eq!(m.multiply_vector(&Vectors::dense(vec![1.0, 1.0, 1.0]))?.to_array(), vec![6.0, 15.0]);
/// # Ok::<(), flint_mllib::linalg::LinalgError>(())
/// ```
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct DenseMatrix {
    values: Array2<f64>,
}

impl DenseMatrix {
    /// A `num_rows × num_cols` matrix from its values in column-major order (Spark's `Matrices.dense`).
    pub fn new(num_rows: usize, num_cols: usize, values: Vec<f64>) -> Result<Self> {
        if values.len() != num_rows * num_cols {
            return Err(LinalgError::Invalid(format!(
                "dense matrix: {num_rows}×{num_cols} needs {} values, got {}",
                num_rows * num_cols,
                values.len()
            )));
        }
        let values = Array2::from_shape_vec((num_rows, num_cols).f(), values)
            .map_err(|e| LinalgError::Invalid(format!("dense matrix: {e}")))?;
        Ok(DenseMatrix { values })
    }

    /// A matrix holding this array.
    pub fn from_array(values: Array2<f64>) -> Self {
        DenseMatrix { values }
    }

    /// A matrix of zeros.
    pub fn zeros(num_rows: usize, num_cols: usize) -> Self {
        DenseMatrix { values: Array2::zeros((num_rows, num_cols)) }
    }

    /// The identity matrix of size `n`.
    pub fn eye(n: usize) -> Self {
        DenseMatrix { values: Array2::eye(n) }
    }

    /// The number of rows.
    pub fn num_rows(&self) -> usize {
        self.values.nrows()
    }

    /// The number of columns.
    pub fn num_cols(&self) -> usize {
        self.values.ncols()
    }

    /// The value at row `i`, column `j`.
    pub fn get(&self, i: usize, j: usize) -> Option<f64> {
        self.values.get((i, j)).copied()
    }

    /// The values as an `ndarray` array.
    pub fn as_array(&self) -> &Array2<f64> {
        &self.values
    }

    /// The values in column-major order (Spark's `toArray`).
    pub fn to_array(&self) -> Vec<f64> {
        self.values.t().iter().copied().collect()
    }

    /// The rows, as vectors.
    pub fn row_vectors(&self) -> Vec<Vector> {
        self.values.rows().into_iter().map(|r| Vector::Dense(r.to_owned())).collect()
    }

    /// The columns, as vectors.
    pub fn col_vectors(&self) -> Vec<Vector> {
        self.values.columns().into_iter().map(|c| Vector::Dense(c.to_owned())).collect()
    }

    /// The transpose.
    pub fn transpose(&self) -> DenseMatrix {
        DenseMatrix { values: self.values.t().to_owned() }
    }

    /// The product `self × other`.
    pub fn multiply(&self, other: &DenseMatrix) -> Result<DenseMatrix> {
        same_size("matrix multiply", self.num_cols(), other.num_rows())?;
        Ok(DenseMatrix { values: self.values.dot(&other.values) })
    }

    /// The product `self × v`.
    pub fn multiply_vector(&self, v: &Vector) -> Result<Vector> {
        same_size("matrix-vector multiply", self.num_cols(), v.size())?;
        let out: Array1<f64> = match v {
            Vector::Dense(d) => self.values.dot(d),
            Vector::Sparse(s) => {
                let mut out = Array1::zeros(self.num_rows());
                for (j, x) in s.iter() {
                    out.scaled_add(*x, &self.values.column(j));
                }
                out
            }
        };
        Ok(Vector::Dense(out))
    }
}

impl fmt::Display for DenseMatrix {
    /// One line per row, values right-aligned in columns.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let cells: Vec<Vec<String>> =
            self.values.rows().into_iter().map(|r| r.iter().map(|v| format!("{v:?}")).collect()).collect();
        let width = cells.iter().flatten().map(String::len).max().unwrap_or(0);
        for (n, row) in cells.iter().enumerate() {
            if n > 0 {
                writeln!(f)?;
            }
            let line: Vec<String> = row.iter().map(|c| format!("{c:>width$}")).collect();
            f.write_str(line.join("  ").trim_end())?;
        }
        Ok(())
    }
}

impl fmt::Debug for DenseMatrix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DenseMatrix {}×{}\n{self}", self.num_rows(), self.num_cols())
    }
}

/// A sparse local matrix in compressed sparse column form (Spark's `SparseMatrix`).
///
/// ```
/// use flint_mllib::linalg::SparseMatrix;
///
/// // [[1, 0], [0, 0], [0, 2]]: column pointers, row indices, values (Spark's `Matrices.sparse`).
/// let m = SparseMatrix::new(3, 2, vec![0, 1, 2], vec![0, 2], vec![1.0, 2.0])?;
/// assert_eq!(m.get(2, 1), Some(2.0));
/// assert_eq!(m.to_dense().to_array(), vec![1.0, 0.0, 0.0, 0.0, 0.0, 2.0]);
/// # Ok::<(), flint_mllib::linalg::LinalgError>(())
/// ```
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct SparseMatrix {
    values: CsMat<f64>,
}

impl SparseMatrix {
    /// A `num_rows × num_cols` matrix from compressed sparse columns: `col_ptrs` (`num_cols + 1` offsets),
    /// `row_indices` and `values` of the stored entries.
    pub fn new(
        num_rows: usize,
        num_cols: usize,
        col_ptrs: Vec<usize>,
        row_indices: Vec<usize>,
        values: Vec<f64>,
    ) -> Result<Self> {
        CsMat::try_new_csc((num_rows, num_cols), col_ptrs, row_indices, values)
            .map(|values| SparseMatrix { values })
            .map_err(|(_, _, _, e)| LinalgError::Invalid(format!("sparse matrix: {e}")))
    }

    /// A sparse matrix from `(row, column, value)` entries; duplicates are summed.
    pub fn from_coo(num_rows: usize, num_cols: usize, entries: &[(usize, usize, f64)]) -> Result<Self> {
        let mut triplets = sprs::TriMat::new((num_rows, num_cols));
        for &(i, j, v) in entries {
            if i >= num_rows || j >= num_cols {
                return Err(LinalgError::Invalid(format!(
                    "sparse matrix: entry ({i}, {j}) is outside a {num_rows}×{num_cols} matrix"
                )));
            }
            triplets.add_triplet(i, j, v);
        }
        Ok(SparseMatrix { values: triplets.to_csc() })
    }

    /// The number of rows.
    pub fn num_rows(&self) -> usize {
        self.values.rows()
    }

    /// The number of columns.
    pub fn num_cols(&self) -> usize {
        self.values.cols()
    }

    /// The number of stored entries.
    pub fn num_actives(&self) -> usize {
        self.values.nnz()
    }

    /// The value at row `i`, column `j` (zero when not stored), `None` outside the matrix.
    pub fn get(&self, i: usize, j: usize) -> Option<f64> {
        (i < self.num_rows() && j < self.num_cols()).then(|| self.values.get(i, j).copied().unwrap_or(0.0))
    }

    /// The `sprs` matrix.
    pub fn as_sprs(&self) -> &CsMat<f64> {
        &self.values
    }

    /// The same matrix stored densely.
    pub fn to_dense(&self) -> DenseMatrix {
        DenseMatrix { values: self.values.to_dense() }
    }

    /// The transpose (still compressed by columns).
    pub fn transpose(&self) -> SparseMatrix {
        SparseMatrix { values: self.values.transpose_view().to_owned().to_csc() }
    }

    /// The product `self × v`.
    pub fn multiply_vector(&self, v: &Vector) -> Result<Vector> {
        same_size("matrix-vector multiply", self.num_cols(), v.size())?;
        let x = v.to_dense_array();
        let mut out = Array1::zeros(self.num_rows());
        for (j, col) in self.values.outer_iterator().enumerate() {
            for (i, a) in col.iter() {
                out[i] += a * x[j];
            }
        }
        Ok(Vector::Dense(out))
    }

    /// The product `self × other` with a dense matrix.
    pub fn multiply(&self, other: &DenseMatrix) -> Result<DenseMatrix> {
        same_size("matrix multiply", self.num_cols(), other.num_rows())?;
        let mut out = Array2::zeros((self.num_rows(), other.num_cols()));
        for (j, col) in self.values.outer_iterator().enumerate() {
            for (i, a) in col.iter() {
                let mut row = out.row_mut(i);
                row.scaled_add(*a, &other.values.row(j));
            }
        }
        Ok(DenseMatrix { values: out })
    }
}

impl fmt::Debug for SparseMatrix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SparseMatrix {}×{} ({} stored)", self.num_rows(), self.num_cols(), self.num_actives())?;
        for (j, col) in self.values.outer_iterator().enumerate() {
            for (i, v) in col.iter() {
                write!(f, "\n({i},{j}) {v:?}")?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::linalg::Vectors;

    #[test]
    fn dense_matrices_are_column_major_like_sparks() {
        let m = DenseMatrix::new(2, 3, vec![1.0, 4.0, 2.0, 5.0, 3.0, 6.0]).expect("matrix");
        assert_eq!(m.get(0, 1), Some(2.0));
        assert_eq!(m.to_array(), vec![1.0, 4.0, 2.0, 5.0, 3.0, 6.0]);
        assert_eq!(m.transpose().to_array(), vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
        // [[1,2,3],[4,5,6]] × [[1,0],[0,1],[1,1]] = [[4,5],[10,11]], worked by hand.
        let b = DenseMatrix::new(3, 2, vec![1.0, 0.0, 1.0, 0.0, 1.0, 1.0]).expect("matrix");
        assert_eq!(m.multiply(&b).expect("product").to_array(), vec![4.0, 10.0, 5.0, 11.0]);
        let sv = Vectors::sparse(3, vec![2], vec![2.0]).expect("vector");
        assert_eq!(m.multiply_vector(&sv).expect("product").to_array(), vec![6.0, 12.0]);
        assert!(DenseMatrix::new(2, 2, vec![1.0]).is_err());
        assert!(m.multiply(&m).is_err());
    }

    #[test]
    fn sparse_matrices_agree_with_their_dense_form() {
        let s = SparseMatrix::from_coo(3, 2, &[(0, 0, 1.0), (2, 1, 2.0), (1, 1, -1.0)]).expect("coo");
        let d = s.to_dense();
        assert_eq!(d.to_array(), vec![1.0, 0.0, 0.0, 0.0, -1.0, 2.0]);
        let v = Vectors::dense(vec![3.0, 4.0]);
        assert_eq!(s.multiply_vector(&v).expect("sv"), d.multiply_vector(&v).expect("dv"));
        let b = DenseMatrix::new(2, 2, vec![1.0, 2.0, 3.0, 4.0]).expect("matrix");
        assert_eq!(s.multiply(&b).expect("sb"), d.multiply(&b).expect("db"));
        assert_eq!(s.transpose().to_dense(), d.transpose());
        assert!(SparseMatrix::new(2, 2, vec![0, 1], vec![0], vec![1.0]).is_err());
        assert!(SparseMatrix::from_coo(2, 2, &[(2, 0, 1.0)]).is_err());
    }
}
