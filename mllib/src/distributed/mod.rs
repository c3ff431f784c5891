//! Distributed matrices: [`RowMatrix`], a matrix whose rows are an RDD of vectors.
//!
//! Flint writes its own here (as Spark does) because the rows live in engine partitions: every statistic is one
//! aggregation over the partitions, and only `n × n` results (Gramian, covariance) come back to the driver, where
//! the local decompositions of [`crate::linalg`] finish the job.

mod row_matrix;

pub use row_matrix::{RowMatrix, SingularValueDecomposition};
