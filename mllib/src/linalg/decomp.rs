//! The decompositions behind the estimators: a symmetric eigendecomposition (PCA, SVD through the Gramian) and
//! a Cholesky solve (normal equations, ALS), from `linfa-linalg`.

use super::{LinalgError, Result};
use linfa_linalg::cholesky::SolveCInplace;
use linfa_linalg::eigh::Eigh;
use ndarray::{Array1, Array2};

/// Eigenvalues (largest first) and the matching unit eigenvectors (as columns) of a symmetric matrix.
#[derive(Debug, Clone)]
pub struct SymmetricEigen {
    /// Eigenvalues, in decreasing order.
    pub values: Array1<f64>,
    /// Eigenvectors as columns, in the order of `values`.
    pub vectors: Array2<f64>,
}

/// The eigendecomposition of a symmetric matrix, eigenvalues in decreasing order.
///
/// Each eigenvector's sign is fixed so that its largest-magnitude component is positive, which makes results
/// reproducible (LAPACK, and so scikit-learn and Spark, leave the sign to the algorithm).
pub fn symmetric_eigen(a: &Array2<f64>) -> Result<SymmetricEigen> {
    if !a.is_square() {
        return Err(LinalgError::Invalid(format!(
            "eigendecomposition of a non-square {}×{} matrix",
            a.nrows(),
            a.ncols()
        )));
    }
    if a.iter().any(|v| !v.is_finite()) {
        return Err(LinalgError::Decomposition("eigendecomposition: the matrix holds NaN or infinite values".into()));
    }
    let (values, vectors) = a.eigh().map_err(|e| LinalgError::Decomposition(format!("eigendecomposition: {e}")))?;
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&i, &j| values[j].total_cmp(&values[i]));
    let values = Array1::from_iter(order.iter().map(|&i| values[i]));
    let mut sorted = Array2::zeros(vectors.raw_dim());
    for (to, &from) in order.iter().enumerate() {
        let col = vectors.column(from);
        let pivot = col.iter().copied().fold(0.0f64, |m, v| if v.abs() > m.abs() { v } else { m });
        let sign = if pivot < 0.0 { -1.0 } else { 1.0 };
        sorted.column_mut(to).assign(&(&col * sign));
    }
    Ok(SymmetricEigen { values, vectors: sorted })
}

/// Solves `a x = b` for a symmetric positive definite `a` by Cholesky factorisation.
pub fn cholesky_solve(a: &Array2<f64>, b: &Array1<f64>) -> Result<Array1<f64>> {
    let mut x = b.clone().insert_axis(ndarray::Axis(1));
    // `solvec_inplace` factorises a copy of `a` in place, then solves.
    a.clone().solvec_inplace(&mut x).map_err(|e| {
        LinalgError::Decomposition(format!("Cholesky factorisation: the matrix is not positive definite ({e})"))
    })?;
    Ok(x.remove_axis(ndarray::Axis(1)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_abs_diff_eq;
    use ndarray::array;

    #[test]
    fn eigen_of_a_known_matrix() {
        // [[2,1],[1,2]] has eigenvalues 3 and 1, eigenvectors (1,1)/√2 and (1,-1)/√2 (worked by hand).
        let e = symmetric_eigen(&array![[2.0, 1.0], [1.0, 2.0]]).expect("eigen");
        assert_abs_diff_eq!(e.values, array![3.0, 1.0], epsilon = 1e-12);
        let h = 0.5f64.sqrt();
        assert_abs_diff_eq!(e.vectors.column(0).to_owned(), array![h, h], epsilon = 1e-12);
        assert_abs_diff_eq!(e.vectors.column(1).mapv(f64::abs), array![h, h], epsilon = 1e-12);
    }

    #[test]
    fn cholesky_solves_and_refuses_indefinite_matrices() {
        // [[4,2],[2,3]] x = [2,1] → x = (0.5, 0), worked by hand.
        let x = cholesky_solve(&array![[4.0, 2.0], [2.0, 3.0]], &array![2.0, 1.0]).expect("solve");
        assert_abs_diff_eq!(x, array![0.5, 0.0], epsilon = 1e-12);
        let e = cholesky_solve(&array![[1.0, 2.0], [2.0, 1.0]], &array![1.0, 1.0]).expect_err("indefinite");
        assert!(e.to_string().contains("not positive definite"), "{e}");
    }
}
