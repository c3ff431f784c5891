//! Local linear algebra: vectors, matrices and the decompositions the estimators need.
//!
//! This module imports nothing of the engine (as Spark's `mllib-local` does not import Spark Core), so it can
//! become its own crate when it grows. Dense storage is `ndarray`, sparse storage is `sprs`, and the
//! decompositions come from `linfa-linalg` (pure Rust, the linear algebra linfa itself uses): no BLAS or LAPACK
//! to install.

mod decomp;
mod matrix;
mod vector;

pub use decomp::{SymmetricEigen, cholesky_solve, symmetric_eigen};
pub use matrix::{DenseMatrix, SparseMatrix};
pub use vector::{DenseVector, SparseVector, Vector, Vectors};

/// The result type of local linear algebra.
pub type Result<T, E = LinalgError> = std::result::Result<T, E>;

/// What can go wrong in local linear algebra.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LinalgError {
    /// Two operands have incompatible sizes.
    #[error("{op}: expected a vector of size {expected}, got size {found}")]
    DimensionMismatch {
        /// The operation (`dot`, `sqdist`, `matrix multiply`, …).
        op: String,
        /// The size the operation needed.
        expected: usize,
        /// The size it was given.
        found: usize,
    },
    /// A vector or matrix was built from inconsistent parts.
    #[error("{0}")]
    Invalid(String),
    /// A decomposition failed (a matrix that is not positive definite, no convergence…).
    #[error("{0}")]
    Decomposition(String),
}
