//! The per-user (per-item) least-squares problems of ALS: normal equations accumulated from the other side's
//! factors, solved by Cholesky, or by non-negative least squares when factors must stay non-negative.

use crate::linalg::cholesky_solve;
use ndarray::{Array1, Array2, ArrayView1};

/// `AᵀA` and `Aᵀb` of one least-squares problem, built row by row (Spark's `NormalEquation`).
#[derive(Debug, Clone)]
pub(crate) struct NormalEquation {
    pub(crate) ata: Array2<f64>,
    pub(crate) atb: Array1<f64>,
}

impl NormalEquation {
    pub(crate) fn new(rank: usize) -> Self {
        NormalEquation { ata: Array2::zeros((rank, rank)), atb: Array1::zeros(rank) }
    }

    pub(crate) fn reset(&mut self) {
        self.ata.fill(0.0);
        self.atb.fill(0.0);
    }

    /// Adds the row `a` with weight `c` to `AᵀA` and `b · a` to `Aᵀb`.
    pub(crate) fn add(&mut self, a: ArrayView1<'_, f64>, b: f64, c: f64) {
        let k = a.len();
        for i in 0..k {
            let cai = c * a[i];
            for j in i..k {
                self.ata[(i, j)] += cai * a[j];
            }
        }
        if b != 0.0 {
            self.atb.scaled_add(b, &a);
        }
    }

    /// Solves `(AᵀA + λI) x = Aᵀb` (the upper triangle of `AᵀA` is read); `nonnegative` keeps `x ≥ 0`.
    pub(crate) fn solve(&self, lambda: f64, nonnegative: bool, extra: Option<&Array2<f64>>) -> Array1<f64> {
        let k = self.atb.len();
        let mut a = self.ata.clone();
        for i in 0..k {
            for j in 0..i {
                a[(i, j)] = a[(j, i)];
            }
            a[(i, i)] += lambda;
        }
        if let Some(extra) = extra {
            a += extra;
        }
        if nonnegative {
            return nnls(&a, &self.atb);
        }
        // A regularised Gram matrix is positive definite; should rounding break that, NNLS-free least squares
        // through a slightly larger ridge still gives an answer instead of failing the fit.
        cholesky_solve(&a, &self.atb).unwrap_or_else(|_| {
            let mut ridge = a.clone();
            for i in 0..k {
                ridge[(i, i)] += 1e-9 * (1.0 + a[(i, i)].abs());
            }
            cholesky_solve(&ridge, &self.atb).unwrap_or_else(|_| Array1::zeros(k))
        })
    }
}

/// Non-negative least squares in normal-equation form, `min ½xᵀAx − bᵀx` subject to `x ≥ 0`, by Lawson and
/// Hanson's active-set method (exact for these small, positive definite systems).
pub(crate) fn nnls(a: &Array2<f64>, b: &Array1<f64>) -> Array1<f64> {
    let n = b.len();
    let mut x = Array1::<f64>::zeros(n);
    let mut passive = vec![false; n];
    let tol = 1e-12 * (1.0 + b.iter().fold(0.0f64, |m, v| m.max(v.abs())));
    for _ in 0..(3 * n + 10) {
        let w = b - &a.dot(&x);
        let candidate = (0..n).filter(|&j| !passive[j] && w[j] > tol).max_by(|&i, &j| w[i].total_cmp(&w[j]));
        let Some(j) = candidate else { break };
        passive[j] = true;
        loop {
            let p: Vec<usize> = (0..n).filter(|&i| passive[i]).collect();
            let sub_a = Array2::from_shape_fn((p.len(), p.len()), |(r, c)| a[(p[r], p[c])]);
            let sub_b = Array1::from_iter(p.iter().map(|&i| b[i]));
            let z = cholesky_solve(&sub_a, &sub_b).unwrap_or_else(|_| Array1::zeros(p.len()));
            if z.iter().all(|&v| v > 0.0) {
                for (k, &i) in p.iter().enumerate() {
                    x[i] = z[k];
                }
                break;
            }
            // Step towards z until a variable hits zero, and make it active again.
            let alpha = p
                .iter()
                .enumerate()
                .filter(|&(k, _)| z[k] <= 0.0)
                .map(|(k, &i)| x[i] / (x[i] - z[k]))
                .fold(f64::INFINITY, f64::min);
            for (k, &i) in p.iter().enumerate() {
                x[i] += alpha * (z[k] - x[i]);
                if x[i] <= 1e-15 {
                    x[i] = 0.0;
                    passive[i] = false;
                }
            }
        }
    }
    x
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_abs_diff_eq;
    use ndarray::array;

    #[test]
    fn normal_equations_solve_least_squares() {
        // Rows (1,0)→1, (0,1)→2, (1,1)→3 with λ = 0: x = (1, 2), worked by hand.
        let mut ne = NormalEquation::new(2);
        for (row, b) in [(array![1.0, 0.0], 1.0), (array![0.0, 1.0], 2.0), (array![1.0, 1.0], 3.0)] {
            ne.add(row.view(), b, 1.0);
        }
        assert_abs_diff_eq!(ne.solve(0.0, false, None), array![1.0, 2.0], epsilon = 1e-12);
        // Ridge λ = 1: (AᵀA + I) x = Aᵀb → [[3,1],[1,3]] x = (4,5) → x = (7/8, 11/8).
        assert_abs_diff_eq!(ne.solve(1.0, false, None), array![0.875, 1.375], epsilon = 1e-12);
    }

    #[test]
    fn nnls_clamps_at_zero_where_the_unconstrained_answer_is_negative() {
        // min ½xᵀAx − bᵀx with A = I, b = (1, −2): x = (1, 0).
        let x = nnls(&Array2::eye(2), &array![1.0, -2.0]);
        assert_abs_diff_eq!(x, array![1.0, 0.0], epsilon = 1e-12);
        // A = [[2,1],[1,2]], b = (1, 1): unconstrained (1/3, 1/3) is feasible.
        let x = nnls(&array![[2.0, 1.0], [1.0, 2.0]], &array![1.0, 1.0]);
        assert_abs_diff_eq!(x, array![1.0 / 3.0, 1.0 / 3.0], epsilon = 1e-12);
        // b = (1, −1): x₂ = 0, then 2x₁ = 1.
        let x = nnls(&array![[2.0, 1.0], [1.0, 2.0]], &array![1.0, -1.0]);
        assert_abs_diff_eq!(x, array![0.5, 0.0], epsilon = 1e-12);
    }
}
