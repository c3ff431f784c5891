//! Local vectors: [`Vector`] (dense or sparse) and the [`Vectors`] factory, as Spark's `ml.linalg`.
//!
//! A dense vector is an `ndarray` array; a sparse one is a `sprs` compressed vector (sorted, distinct indices).
//! Operations between two sparse vectors walk only their non-zeros, so sparse data stays cheap through every
//! algorithm that uses these primitives (dot products, norms, distances, axpy).

use super::{LinalgError, Result};
use ndarray::Array1;
use serde::{Deserialize, Serialize};
use sprs::CsVec;
use std::fmt;

/// A dense vector of `f64`, backed by an `ndarray` array.
pub type DenseVector = Array1<f64>;

/// A sparse vector: its size, and the sorted indices and values of its stored entries.
pub type SparseVector = CsVec<f64>;

/// A local vector of `f64`, dense or sparse (Spark's `Vector`).
///
/// ```
/// use flint_mllib::linalg::{Vector, Vectors};
///
/// let dense = Vectors::dense(vec![1.0, 0.0, 3.0]);
/// let sparse = Vectors::sparse(3, vec![0, 2], vec![1.0, 3.0])?;
/// assert_eq!(dense, sparse); // equal as vectors, whatever their storage
/// assert_eq!(dense.dot(&sparse)?, 10.0);
/// assert_eq!(sparse.to_string(), "(3,[0,2],[1.0,3.0])");
/// # Ok::<(), flint_mllib::linalg::LinalgError>(())
/// ```
#[derive(Clone, Serialize, Deserialize)]
pub enum Vector {
    /// Every value stored.
    Dense(DenseVector),
    /// Only the non-zero (active) entries stored.
    Sparse(SparseVector),
}

/// Factory methods, as Spark's `Vectors`.
#[derive(Debug)]
pub struct Vectors;

impl Vectors {
    /// A dense vector of these values.
    pub fn dense(values: Vec<f64>) -> Vector {
        Vector::Dense(Array1::from(values))
    }

    /// A sparse vector of `size` with `values` at `indices` (which need not be sorted, but must be distinct and
    /// below `size`).
    pub fn sparse(size: usize, indices: Vec<usize>, values: Vec<f64>) -> Result<Vector> {
        if indices.len() != values.len() {
            return Err(LinalgError::Invalid(format!(
                "sparse vector: {} indices but {} values; they must have the same length",
                indices.len(),
                values.len()
            )));
        }
        let mut pairs: Vec<(usize, f64)> = indices.into_iter().zip(values).collect();
        pairs.sort_by_key(|&(i, _)| i);
        if let Some(w) = pairs.windows(2).find(|w| w[0].0 == w[1].0) {
            return Err(LinalgError::Invalid(format!("sparse vector: index {} appears more than once", w[0].0)));
        }
        if let Some(&(i, _)) = pairs.last().filter(|(i, _)| *i >= size) {
            return Err(LinalgError::Invalid(format!("sparse vector: index {i} is out of bounds for size {size}")));
        }
        let (indices, values) = pairs.into_iter().unzip();
        Ok(Vector::Sparse(CsVec::new(size, indices, values)))
    }

    /// A sparse vector of `size` from `(index, value)` pairs.
    pub fn sparse_from_pairs(size: usize, pairs: impl IntoIterator<Item = (usize, f64)>) -> Result<Vector> {
        let (indices, values) = pairs.into_iter().unzip();
        Self::sparse(size, indices, values)
    }

    /// A dense vector of `size` zeros.
    pub fn zeros(size: usize) -> Vector {
        Vector::Dense(Array1::zeros(size))
    }

    /// The `p`-norm of a vector (Spark's `Vectors.norm`): `p` ≥ 1, `f64::INFINITY` for the largest magnitude.
    pub fn norm(vector: &Vector, p: f64) -> Result<f64> {
        if p.is_nan() || p < 1.0 {
            return Err(LinalgError::Invalid(format!("norm: p must be at least 1, got {p}")));
        }
        let values = vector.active_values();
        Ok(if p == 1.0 {
            values.iter().map(|v| v.abs()).sum()
        } else if p == 2.0 {
            values.iter().map(|v| v * v).sum::<f64>().sqrt()
        } else if p.is_infinite() {
            values.iter().fold(0.0, |m, v| m.max(v.abs()))
        } else {
            values.iter().map(|v| v.abs().powf(p)).sum::<f64>().powf(1.0 / p)
        })
    }

    /// The squared Euclidean distance between two vectors of the same size (Spark's `Vectors.sqdist`).
    pub fn sqdist(a: &Vector, b: &Vector) -> Result<f64> {
        a.check_same_size(b, "sqdist")?;
        Ok(match (a, b) {
            (Vector::Dense(x), Vector::Dense(y)) => x.iter().zip(y).map(|(p, q)| (p - q) * (p - q)).sum(),
            (Vector::Sparse(x), Vector::Sparse(y)) => {
                // Walk both index lists once: entries present in one only count fully.
                let (mut i, mut j, mut sum) = (0, 0, 0.0);
                let (xi, xv, yi, yv) = (x.indices(), x.data(), y.indices(), y.data());
                while i < xi.len() || j < yi.len() {
                    let d = if j >= yi.len() || (i < xi.len() && xi[i] < yi[j]) {
                        i += 1;
                        xv[i - 1]
                    } else if i >= xi.len() || yi[j] < xi[i] {
                        j += 1;
                        yv[j - 1]
                    } else {
                        i += 1;
                        j += 1;
                        xv[i - 1] - yv[j - 1]
                    };
                    sum += d * d;
                }
                sum
            }
            (Vector::Sparse(s), Vector::Dense(d)) | (Vector::Dense(d), Vector::Sparse(s)) => {
                // Dense entries outside the sparse indices count in full.
                let mut sum: f64 = d.iter().map(|v| v * v).sum();
                for (i, v) in s.iter() {
                    sum += (v - d[i]) * (v - d[i]) - d[i] * d[i];
                }
                sum.max(0.0)
            }
        })
    }
}

impl Vector {
    /// The vector's dimension.
    pub fn size(&self) -> usize {
        match self {
            Vector::Dense(d) => d.len(),
            Vector::Sparse(s) => s.dim(),
        }
    }

    /// The value at `i` (zero for an inactive sparse entry); an error past the end.
    pub fn get(&self, i: usize) -> Result<f64> {
        if i >= self.size() {
            return Err(LinalgError::Invalid(format!(
                "index {i} is out of bounds for a vector of size {}",
                self.size()
            )));
        }
        Ok(match self {
            Vector::Dense(d) => d[i],
            Vector::Sparse(s) => s.get(i).copied().unwrap_or(0.0),
        })
    }

    /// Whether the vector stores only its active entries.
    pub fn is_sparse(&self) -> bool {
        matches!(self, Vector::Sparse(_))
    }

    /// Every value, zeros included.
    pub fn to_array(&self) -> Vec<f64> {
        self.to_dense_array().to_vec()
    }

    /// Every value as an `ndarray` array.
    pub fn to_dense_array(&self) -> DenseVector {
        match self {
            Vector::Dense(d) => d.clone(),
            Vector::Sparse(s) => s.to_dense(),
        }
    }

    /// The same vector stored densely.
    pub fn to_dense(&self) -> Vector {
        Vector::Dense(self.to_dense_array())
    }

    /// The same vector stored sparsely, keeping only non-zero values.
    pub fn to_sparse(&self) -> Vector {
        let (indices, values) = self.iter_active().filter(|&(_, v)| v != 0.0).unzip();
        Vector::Sparse(CsVec::new(self.size(), indices, values))
    }

    /// Whichever storage is smaller, as Spark's `compressed` chooses (sparse when it saves space).
    pub fn compressed(&self) -> Vector {
        let nnz = self.num_nonzeros();
        // Spark's estimate: 8 bytes a dense value, 12 a sparse entry (index and value), plus overheads.
        if 1.5 * (nnz as f64 + 1.0) < self.size() as f64 { self.to_sparse() } else { self.to_dense() }
    }

    /// The number of stored entries (all of a dense vector's).
    pub fn num_actives(&self) -> usize {
        match self {
            Vector::Dense(d) => d.len(),
            Vector::Sparse(s) => s.nnz(),
        }
    }

    /// The number of non-zero values.
    pub fn num_nonzeros(&self) -> usize {
        self.active_values().iter().filter(|v| **v != 0.0).count()
    }

    /// The stored values (all of a dense vector's, the active ones of a sparse vector).
    pub fn active_values(&self) -> &[f64] {
        match self {
            Vector::Dense(d) => d.as_slice().unwrap_or(&[]),
            Vector::Sparse(s) => s.data(),
        }
    }

    /// The stored entries as `(index, value)`, in index order.
    pub fn iter_active(&self) -> Box<dyn Iterator<Item = (usize, f64)> + '_> {
        match self {
            Vector::Dense(d) => Box::new(d.iter().copied().enumerate()),
            Vector::Sparse(s) => Box::new(s.iter().map(|(i, v)| (i, *v))),
        }
    }

    /// The index of the largest value (the first on ties), `None` for an empty vector.
    pub fn argmax(&self) -> Option<usize> {
        if self.size() == 0 {
            return None;
        }
        let mut best = (0, f64::NEG_INFINITY);
        let mut first_inactive = None;
        let mut expected = 0;
        for (i, v) in self.iter_active() {
            if first_inactive.is_none() && i > expected {
                first_inactive = Some(expected);
            }
            expected = i + 1;
            if v > best.1 {
                best = (i, v);
            }
        }
        if first_inactive.is_none() && expected < self.size() {
            first_inactive = Some(expected);
        }
        // An implicit zero beats negative stored values; ties go to the lower index.
        match first_inactive {
            Some(z) if best.1 < 0.0 || (best.1 == 0.0 && z < best.0) => Some(z),
            _ => Some(best.0),
        }
    }

    /// The dot product with another vector of the same size.
    pub fn dot(&self, other: &Vector) -> Result<f64> {
        self.check_same_size(other, "dot")?;
        Ok(match (self, other) {
            (Vector::Dense(x), Vector::Dense(y)) => x.dot(y),
            (Vector::Sparse(x), Vector::Sparse(y)) => x.dot(y),
            (Vector::Sparse(s), Vector::Dense(d)) | (Vector::Dense(d), Vector::Sparse(s)) => {
                s.iter().map(|(i, v)| v * d[i]).sum()
            }
        })
    }

    /// The dot product with a dense array of the same size (the hot path of the estimators).
    pub fn dot_dense(&self, other: &DenseVector) -> f64 {
        match self {
            Vector::Dense(x) => x.dot(other),
            Vector::Sparse(s) => s.iter().map(|(i, v)| v * other[i]).sum(),
        }
    }

    /// `y += a * self`, into a dense accumulator of the same size.
    pub fn axpy_into(&self, a: f64, y: &mut DenseVector) {
        match self {
            Vector::Dense(x) => y.scaled_add(a, x),
            Vector::Sparse(s) => {
                for (i, v) in s.iter() {
                    y[i] += a * v;
                }
            }
        }
    }

    /// The squared Euclidean norm.
    pub fn norm_sq(&self) -> f64 {
        self.active_values().iter().map(|v| v * v).sum()
    }

    /// An error unless `other` has this vector's size.
    pub fn check_same_size(&self, other: &Vector, op: &str) -> Result<()> {
        if self.size() == other.size() {
            Ok(())
        } else {
            Err(LinalgError::DimensionMismatch { op: op.to_string(), expected: self.size(), found: other.size() })
        }
    }
}

impl PartialEq for Vector {
    /// Equal as vectors: same size and values, whatever the storage (as in Spark).
    fn eq(&self, other: &Self) -> bool {
        self.size() == other.size() && self.to_dense_array() == other.to_dense_array()
    }
}

impl From<Vec<f64>> for Vector {
    fn from(values: Vec<f64>) -> Self {
        Vectors::dense(values)
    }
}

impl From<DenseVector> for Vector {
    fn from(values: DenseVector) -> Self {
        Vector::Dense(values)
    }
}

/// Spark's text form of a double in vectors: `1.0`, `0.5`, `-3.25` (Rust's shortest round-trip digits).
fn write_value(f: &mut fmt::Formatter<'_>, v: f64) -> fmt::Result {
    if v.is_finite() && v == v.trunc() && v.abs() < 1e16 { write!(f, "{v:.1}") } else { write!(f, "{v:?}") }
}

fn write_list<T: Copy>(
    f: &mut fmt::Formatter<'_>,
    items: &[T],
    write: impl Fn(&mut fmt::Formatter<'_>, T) -> fmt::Result,
) -> fmt::Result {
    f.write_str("[")?;
    for (n, &item) in items.iter().enumerate() {
        if n > 0 {
            f.write_str(",")?;
        }
        write(f, item)?;
    }
    f.write_str("]")
}

impl fmt::Display for Vector {
    /// Spark's form: `[1.0,0.0,3.0]` for a dense vector, `(3,[0,2],[1.0,3.0])` for a sparse one.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Vector::Dense(d) => write_list(f, d.as_slice().unwrap_or(&[]), write_value),
            Vector::Sparse(s) => {
                write!(f, "({},", s.dim())?;
                write_list(f, s.indices(), |f, i| write!(f, "{i}"))?;
                f.write_str(",")?;
                write_list(f, s.data(), write_value)?;
                f.write_str(")")
            }
        }
    }
}

impl fmt::Debug for Vector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;

    fn sparse(size: usize, pairs: &[(usize, f64)]) -> Vector {
        Vectors::sparse_from_pairs(size, pairs.iter().copied()).expect("valid sparse vector")
    }

    #[test]
    fn dense_and_sparse_agree_on_every_operation() {
        // Worked by hand: a = (1, 0, -2, 0, 4), b = (0, 3, 1, 0, 2).
        let a_d = Vectors::dense(vec![1.0, 0.0, -2.0, 0.0, 4.0]);
        let b_d = Vectors::dense(vec![0.0, 3.0, 1.0, 0.0, 2.0]);
        let a_s = sparse(5, &[(4, 4.0), (0, 1.0), (2, -2.0)]);
        let b_s = sparse(5, &[(1, 3.0), (2, 1.0), (4, 2.0)]);
        for (a, b) in [(&a_d, &b_d), (&a_s, &b_s), (&a_d, &b_s), (&a_s, &b_d)] {
            assert_relative_eq!(a.dot(b).expect("dot"), 6.0); // -2 + 8
            assert_relative_eq!(Vectors::sqdist(a, b).expect("sqdist"), 1.0 + 9.0 + 9.0 + 4.0);
        }
        for a in [&a_d, &a_s] {
            assert_relative_eq!(Vectors::norm(a, 1.0).expect("l1"), 7.0);
            assert_relative_eq!(Vectors::norm(a, 2.0).expect("l2"), 21f64.sqrt());
            assert_relative_eq!(Vectors::norm(a, f64::INFINITY).expect("linf"), 4.0);
            assert_relative_eq!(Vectors::norm(a, 3.0).expect("l3"), 73f64.cbrt());
            assert_eq!(a.num_nonzeros(), 3);
            assert_eq!(a.argmax(), Some(4));
        }
        assert_eq!(a_d, a_s);
        assert_eq!(a_d.to_sparse().num_actives(), 3);
        assert_eq!(a_s.to_dense().to_array(), vec![1.0, 0.0, -2.0, 0.0, 4.0]);
    }

    #[test]
    fn argmax_counts_implicit_zeros() {
        assert_eq!(sparse(4, &[(0, -1.0), (2, -3.0)]).argmax(), Some(1));
        assert_eq!(sparse(3, &[(0, -1.0), (1, -2.0), (2, -3.0)]).argmax(), Some(0));
        assert_eq!(sparse(3, &[(2, 0.0)]).argmax(), Some(0));
        assert_eq!(Vectors::dense(vec![]).argmax(), None);
    }

    #[test]
    fn bad_vectors_and_mismatched_sizes_are_clear_errors() {
        let e = Vectors::sparse(3, vec![0, 5], vec![1.0, 2.0]).expect_err("out of bounds");
        assert!(e.to_string().contains("index 5 is out of bounds for size 3"), "{e}");
        let e = Vectors::sparse(3, vec![1, 1], vec![1.0, 2.0]).expect_err("duplicate");
        assert!(e.to_string().contains("index 1 appears more than once"), "{e}");
        let e = Vectors::sparse(3, vec![1], vec![1.0, 2.0]).expect_err("lengths");
        assert!(e.to_string().contains("1 indices but 2 values"), "{e}");
        let e = Vectors::dense(vec![1.0]).dot(&Vectors::dense(vec![1.0, 2.0])).expect_err("sizes");
        assert!(e.to_string().contains("dot: expected a vector of size 1, got size 2"), "{e}");
        assert!(Vectors::norm(&Vectors::dense(vec![1.0]), 0.5).is_err());
    }

    #[test]
    fn text_form_is_sparks() {
        assert_eq!(Vectors::dense(vec![1.0, 0.5, -3.0]).to_string(), "[1.0,0.5,-3.0]");
        assert_eq!(sparse(4, &[(3, 2.5), (1, 1.0)]).to_string(), "(4,[1,3],[1.0,2.5])");
        assert_eq!(sparse(10, &[(1, 0.0), (2, 5.0)]).compressed().to_string(), "(10,[2],[5.0])");
        assert_eq!(Vectors::dense(vec![1.0, 2.0]).to_sparse().compressed().to_string(), "[1.0,2.0]");
    }

    #[test]
    fn vectors_round_trip_through_serde() {
        for v in [Vectors::dense(vec![1.0, 2.0]), sparse(5, &[(1, 3.0)])] {
            let bytes = serde_json::to_vec(&v).expect("serialize");
            let back: Vector = serde_json::from_slice(&bytes).expect("deserialize");
            assert_eq!(back, v);
            assert_eq!(back.is_sparse(), v.is_sparse());
        }
    }
}
