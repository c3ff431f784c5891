//! Spark's "normal" solver (`WeightedLeastSquares`): one pass gathers the first and second moments of the
//! features and label; the driver solves the standardised normal equations, by Cholesky without L1, by
//! coordinate descent with it (Spark uses OWL-QN there; both reach the same optimum of the same objective).
//!
//! The objective, as Spark (and glmnet with a standardised response) defines it: features and label are
//! standardised by their population standard deviations, and the penalty `λ(α‖u‖₁ + (1−α)/2‖u‖²)` applies to the
//! standardised coefficients with `λ` divided by σ(label). On the original scale that is
//! `1/(2n) Σ r² + αλ Σ|w̃ⱼ| + (1−α)λ/(2σy) Σ w̃ⱼ²`, where `w̃ⱼ = wⱼσⱼ` with `standardization`, `wⱼ` without.

use crate::error::{Error, Result};
use crate::linalg::{Vector, cholesky_solve};
use crate::regression::LabeledPoint;
use flint_engine::Rdd;
use ndarray::{Array1, Array2};
use serde::{Deserialize, Serialize};

/// Dense rows gathered before one matrix product adds them to Σxxᵀ.
const CHUNK_ROWS: usize = 2048;

/// Sums over the training rows: count, Σx, Σy, Σxxᵀ (its upper triangle is what counts), Σxy, Σy².
///
/// Dense rows are gathered in chunks and added by one matrix product `XᵀX` each (the same raw sums as Spark's
/// `WeightedLeastSquares`, at matrix-product speed); sparse rows add the products of their stored entries only.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Moments {
    pub(crate) n: f64,
    sx: Array1<f64>,
    sy: f64,
    sxx: Array2<f64>,
    sxy: Array1<f64>,
    syy: f64,
    pending: Vec<f64>,
    pending_y: Vec<f64>,
}

impl Moments {
    fn zero(d: usize) -> Self {
        Moments {
            n: 0.0,
            sx: Array1::zeros(d),
            sy: 0.0,
            sxx: Array2::zeros((d, d)),
            sxy: Array1::zeros(d),
            syy: 0.0,
            pending: Vec::new(),
            pending_y: Vec::new(),
        }
    }

    fn add(mut self, p: &LabeledPoint) -> Self {
        self.n += 1.0;
        self.sy += p.label;
        self.syy += p.label * p.label;
        if let Vector::Dense(x) = &p.features {
            self.pending.extend(x.iter());
            self.pending_y.push(p.label);
            if self.pending_y.len() >= CHUNK_ROWS {
                self.flush();
            }
            return self;
        }
        let active: Vec<(usize, f64)> = p.features.iter_active().filter(|&(_, v)| v != 0.0).collect();
        for (k, &(i, xi)) in active.iter().enumerate() {
            self.sx[i] += xi;
            self.sxy[i] += xi * p.label;
            for &(j, xj) in &active[k..] {
                self.sxx[(i, j)] += xi * xj;
            }
        }
        self
    }

    fn flush(&mut self) {
        let (rows, d) = (self.pending_y.len(), self.sx.len());
        if rows == 0 {
            return;
        }
        let y = Array1::from(std::mem::take(&mut self.pending_y));
        let Ok(x) = Array2::from_shape_vec((rows, d), std::mem::take(&mut self.pending)) else { return };
        self.sx += &x.sum_axis(ndarray::Axis(0));
        self.sxy += &x.t().dot(&y);
        self.sxx += &x.t().dot(&x);
    }

    fn merge(mut self, mut o: Moments) -> Self {
        self.flush();
        o.flush();
        self.n += o.n;
        self.sx += &o.sx;
        self.sy += o.sy;
        self.sxx += &o.sxx;
        self.sxy += &o.sxy;
        self.syy += o.syy;
        self
    }

    /// The moments of validated training points of `d` features.
    pub(crate) fn of(points: &Rdd<LabeledPoint>, d: usize) -> Result<Moments> {
        let mut moments = crate::blocks::aggregate_ref(points, Moments::zero(d), |m, p| m.add(p), Moments::merge)?;
        moments.flush();
        Ok(moments)
    }
}

/// The regularisation of a fit.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Penalty {
    pub(crate) reg_param: f64,
    pub(crate) elastic_net_param: f64,
    pub(crate) fit_intercept: bool,
    pub(crate) standardization: bool,
}

/// Coefficients and intercept on the original scale.
pub(crate) fn solve(m: &Moments, p: Penalty) -> Result<(Array1<f64>, f64)> {
    let d = m.sx.len();
    let n = m.n;
    let a_bar = &m.sx / n;
    let b_bar = m.sy / n;
    let a_std: Array1<f64> = (0..d).map(|j| (m.sxx[(j, j)] / n - a_bar[j] * a_bar[j]).max(0.0).sqrt()).collect();
    let raw_b_std = (m.syy / n - b_bar * b_bar).max(0.0).sqrt();
    if raw_b_std == 0.0 && p.fit_intercept {
        // A constant label: Spark's answer is no slope and the label as intercept.
        return Ok((Array1::zeros(d), b_bar));
    }
    if raw_b_std == 0.0 && p.reg_param > 0.0 {
        return Err(Error::data(
            "LinearRegression",
            "the label is constant, so it cannot be standardised: a regularised fit is undefined (set reg_param = 0)",
        ));
    }
    // As Spark: a constant label is not scaled.
    let b_std = if raw_b_std == 0.0 { b_bar.abs() } else { raw_b_std };
    let scale = |j: usize| if a_std[j] > 0.0 { 1.0 / a_std[j] } else { 0.0 };
    let k = if p.fit_intercept { d + 1 } else { d };
    let mut a = Array2::zeros((k, k));
    let mut b = Array1::zeros(k);
    for i in 0..d {
        for j in i..d {
            let v = m.sxx[(i, j)] / n * scale(i) * scale(j);
            a[(i, j)] = v;
            a[(j, i)] = v;
        }
        b[i] = m.sxy[i] / n * scale(i) / b_std;
    }
    if p.fit_intercept {
        for j in 0..d {
            a[(d, j)] = a_bar[j] * scale(j);
            a[(j, d)] = a[(d, j)];
        }
        a[(d, d)] = 1.0;
        b[d] = b_bar / b_std;
    }
    let effective = p.reg_param / b_std;
    let (l1, l2) = (p.elastic_net_param * effective, (1.0 - p.elastic_net_param) * effective);
    let mut l1s = Array1::zeros(k);
    // Features without variance carry no information: their standardised column is zero and so is their
    // coefficient; a unit diagonal keeps the system definite.
    let live: Vec<bool> = (0..d).map(|j| a_std[j] > 0.0).collect();
    for j in 0..d {
        if !live[j] {
            a[(j, j)] = 1.0;
            continue;
        }
        let per_feature = if p.standardization { 1.0 } else { scale(j) };
        a[(j, j)] += l2 * if p.standardization { 1.0 } else { per_feature * per_feature };
        l1s[j] = l1 * per_feature;
    }
    let u = if l1 == 0.0 {
        cholesky_solve(&a, &b).map_err(|e| {
            Error::data("LinearRegression", format!("the normal equations are singular ({e}); add reg_param > 0"))
        })?
    } else {
        coordinate_descent(&a, &b, &l1s)
    };
    let coefficients = (0..d).map(|j| if live[j] { u[j] * b_std * scale(j) } else { 0.0 }).collect();
    let intercept = if p.fit_intercept { u[d] * b_std } else { 0.0 };
    Ok((coefficients, intercept))
}

/// Minimises `½ uᵀAu − bᵀu + Σ l1ⱼ|uⱼ|` (A symmetric positive definite) by cyclic coordinate descent, to
/// convergence (coordinates move less than 1e-13 relative).
fn coordinate_descent(a: &Array2<f64>, b: &Array1<f64>, l1: &Array1<f64>) -> Array1<f64> {
    let k = b.len();
    let mut u = Array1::<f64>::zeros(k);
    // The gradient part Au, kept up to date as coordinates move.
    let mut au = Array1::<f64>::zeros(k);
    for _ in 0..100_000 {
        let mut largest = 0.0f64;
        let mut size = 0.0f64;
        for j in 0..k {
            let rho = b[j] - (au[j] - a[(j, j)] * u[j]);
            let next = soft_threshold(rho, l1[j]) / a[(j, j)];
            let delta = next - u[j];
            if delta != 0.0 {
                au.scaled_add(delta, &a.column(j));
                u[j] = next;
            }
            largest = largest.max(delta.abs());
            size = size.max(next.abs());
        }
        if largest <= 1e-13 * size.max(1e-300) {
            break;
        }
    }
    u
}

fn soft_threshold(x: f64, t: f64) -> f64 {
    if x > t {
        x - t
    } else if x < -t {
        x + t
    } else {
        0.0
    }
}
