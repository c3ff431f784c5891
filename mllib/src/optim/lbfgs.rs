//! Limited-memory BFGS with a backtracking line search on the Armijo condition, and its orthant-wise variant
//! (Andrew and Gao, 2007) for `f(x) + Σ l1ᵢ|xᵢ|`.

use crate::error::Result;
use ndarray::Array1;
use std::collections::VecDeque;

/// How many past objective values the function-value test looks back over (Breeze's `fvalMemory`, Spark's).
const VALUE_MEMORY: usize = 20;

/// The gradient norm below which a point is a minimum whatever `tol` is (Breeze's floor, Spark's).
const GRADIENT_FLOOR: f64 = 1e-8;

/// Settings of a minimisation.
#[derive(Debug, Clone)]
pub(crate) struct Lbfgs {
    /// The largest number of iterations.
    pub(crate) max_iter: usize,
    /// Convergence, as Spark's optimiser (Breeze) decides it: the objective moved less than `tol`·|f(x₀)| over the
    /// last 20 iterations, or the gradient's norm is at most `max(tol`·|f(x)|`, 1e-8)`.
    pub(crate) tol: f64,
    /// The number of correction pairs kept.
    pub(crate) memory: usize,
    /// Per-coordinate L1 weights (OWL-QN when any is positive).
    pub(crate) l1: Option<Array1<f64>>,
}

/// Where a minimisation stopped.
#[derive(Debug, Clone)]
pub(crate) struct Minimum {
    pub(crate) x: Array1<f64>,
    pub(crate) iterations: usize,
    /// The objective after each iteration (Spark's `objectiveHistory`), the starting value first.
    pub(crate) history: Vec<f64>,
}

impl Lbfgs {
    /// Minimises `f` (value and gradient of the smooth part) from `x0`.
    pub(crate) fn minimize(
        &self,
        mut f: impl FnMut(&Array1<f64>) -> Result<(f64, Array1<f64>)>,
        x0: Array1<f64>,
    ) -> Result<Minimum> {
        let l1 = self.l1.clone().filter(|w| w.iter().any(|v| *v > 0.0));
        let penalty = |x: &Array1<f64>| l1.as_ref().map_or(0.0, |w| w.iter().zip(x).map(|(w, x)| w * x.abs()).sum());
        let mut x = x0;
        let (f0, mut g) = f(&x)?;
        let mut value = f0 + penalty(&x);
        let mut history = vec![value];
        let mut recent: VecDeque<f64> = VecDeque::from([f64::INFINITY]);
        let mut pairs: VecDeque<(Array1<f64>, Array1<f64>)> = VecDeque::with_capacity(self.memory);
        let mut iterations = 0;
        while iterations < self.max_iter {
            // The steepest-descent direction of the full objective (OWL-QN's pseudo-gradient with L1).
            let pg = match &l1 {
                Some(w) => pseudo_gradient(&x, &g, w),
                None => g.clone(),
            };
            if pg.dot(&pg).sqrt() <= (self.tol * value.abs()).max(GRADIENT_FLOOR) {
                break;
            }
            let mut d = two_loop(&pg, &pairs);
            if l1.is_some() {
                // Keep the direction in the orthant of descent.
                for i in 0..d.len() {
                    if d[i] * pg[i] >= 0.0 {
                        d[i] = 0.0;
                    }
                }
            }
            let mut slope = pg.dot(&d);
            if slope >= 0.0 {
                pairs.clear();
                d = -&pg;
                slope = pg.dot(&d);
            }
            // The orthant each coordinate may not leave during the line search (OWL-QN).
            let orthant: Option<Array1<f64>> = l1.as_ref().map(|_| {
                x.iter().zip(&pg).map(|(xi, gi)| if *xi != 0.0 { xi.signum() } else { -gi.signum() }).collect()
            });
            let mut step = if iterations == 0 && pairs.is_empty() { 1.0 / pg.dot(&pg).sqrt().max(1.0) } else { 1.0 };
            let (mut next, mut g_next, mut v_next);
            let mut tries = 0;
            loop {
                next = &x + &(&d * step);
                if let Some(o) = &orthant {
                    for i in 0..next.len() {
                        if next[i] * o[i] < 0.0 {
                            next[i] = 0.0;
                        }
                    }
                }
                let f_next;
                (f_next, g_next) = f(&next)?;
                v_next = f_next + penalty(&next);
                let decrease = match &l1 {
                    Some(_) => pg.dot(&(&next - &x)),
                    None => step * slope,
                };
                if v_next <= value + 1e-4 * decrease || tries >= 60 {
                    break;
                }
                step *= 0.5;
                tries += 1;
            }
            iterations += 1;
            let s = &next - &x;
            let y = &g_next - &g;
            if s.dot(&y) > 1e-12 * s.dot(&s).sqrt() * y.dot(&y).sqrt() {
                if pairs.len() == self.memory {
                    pairs.pop_front();
                }
                pairs.push_back((s, y));
            }
            x = next;
            g = g_next;
            value = v_next;
            history.push(value);
            if recent.len() == VALUE_MEMORY {
                recent.pop_front();
            }
            recent.push_back(value);
            let highest = recent.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            if (value - highest).abs() <= self.tol * history[0].abs() || tries >= 60 {
                break;
            }
        }
        Ok(Minimum { x, iterations, history })
    }
}

/// `-H·g` by the two-loop recursion over the stored pairs, `H₀ = sᵀy / yᵀy`.
fn two_loop(g: &Array1<f64>, pairs: &VecDeque<(Array1<f64>, Array1<f64>)>) -> Array1<f64> {
    let mut q = g.clone();
    let mut alphas = Vec::with_capacity(pairs.len());
    for (s, y) in pairs.iter().rev() {
        let rho = 1.0 / y.dot(s);
        let a = rho * s.dot(&q);
        q.scaled_add(-a, y);
        alphas.push((rho, a));
    }
    if let Some((s, y)) = pairs.back() {
        q *= s.dot(y) / y.dot(y);
    }
    for ((s, y), (rho, a)) in pairs.iter().zip(alphas.into_iter().rev()) {
        let b = rho * y.dot(&q);
        q.scaled_add(a - b, s);
    }
    -q
}

/// The pseudo-gradient of `f + Σ wᵢ|xᵢ|`: the gradient where `xᵢ ≠ 0`, the smallest-magnitude one-sided
/// derivative at zero (zero when zero is optimal for that coordinate).
fn pseudo_gradient(x: &Array1<f64>, g: &Array1<f64>, w: &Array1<f64>) -> Array1<f64> {
    x.iter()
        .zip(g)
        .zip(w)
        .map(|((&xi, &gi), &wi)| {
            if xi > 0.0 {
                gi + wi
            } else if xi < 0.0 {
                gi - wi
            } else if gi + wi < 0.0 {
                gi + wi
            } else if gi - wi > 0.0 {
                gi - wi
            } else {
                0.0
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_abs_diff_eq;
    use ndarray::array;

    #[test]
    fn minimises_a_rosenbrock_valley_and_a_lasso() {
        // Rosenbrock: minimum at (1, 1).
        let rosenbrock = |x: &Array1<f64>| {
            let (a, b) = (x[0], x[1]);
            let f = (1.0 - a).powi(2) + 100.0 * (b - a * a).powi(2);
            let g = array![-2.0 * (1.0 - a) - 400.0 * a * (b - a * a), 200.0 * (b - a * a)];
            Ok((f, g))
        };
        let opt = Lbfgs { max_iter: 500, tol: 1e-15, memory: 10, l1: None };
        let m = opt.minimize(rosenbrock, array![-1.2, 1.0]).expect("minimum");
        assert_abs_diff_eq!(m.x, array![1.0, 1.0], epsilon = 1e-6);
        // ½(x−3)² + ½(y+0.5)² + |x| + |y|: x = 2, y = 0 (worked by hand: soft thresholds of 3 and −0.5 at 1).
        let quadratic = |x: &Array1<f64>| {
            Ok((0.5 * (x[0] - 3.0).powi(2) + 0.5 * (x[1] + 0.5).powi(2), array![x[0] - 3.0, x[1] + 0.5]))
        };
        let lasso = Lbfgs { max_iter: 200, tol: 1e-15, memory: 5, l1: Some(array![1.0, 1.0]) };
        let m = lasso.minimize(quadratic, array![0.0, 0.0]).expect("minimum");
        assert_abs_diff_eq!(m.x, array![2.0, 0.0], epsilon = 1e-9);
        assert!(m.history.windows(2).all(|w| w[1] <= w[0] + 1e-12), "{:?}", m.history);
    }
}
