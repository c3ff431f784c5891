//! Spark's "l-bfgs" solver for linear regression: the squared loss of the standardised label on the standardised,
//! centred features, minimised by L-BFGS (OWL-QN with L1) over the cached rows — for more features than the normal
//! equations can hold. As in Spark, the standard deviations here are the sample ones (the normal solver uses
//! population ones), and `λ` is divided by the label's deviation, so with regularisation the two solvers minimise
//! slightly different objectives, exactly as Spark's do.

use super::normal::Penalty;
use crate::blocks::to_labeled_blocks;
use crate::error::{Error, Result};
use crate::linalg::Vectors;
use crate::optim::{Loss, Penalized, Scaling, Shape};
use crate::regression::LabeledPoint;
use crate::stat::MultivariateStatisticalSummary;
use flint_engine::Rdd;
use ndarray::Array1;

const ALG: &str = "LinearRegression";

/// Coefficients and intercept on the original scale.
pub(crate) fn solve(points: &Rdd<LabeledPoint>, p: Penalty, max_iter: usize, tol: f64) -> Result<(Array1<f64>, f64)> {
    let blocks = to_labeled_blocks(points, ALG)?;
    let d = blocks.dim;
    let summaries = crate::blocks::aggregate_ref(
        points,
        Ok((MultivariateStatisticalSummary::new(), MultivariateStatisticalSummary::new())),
        |acc: std::result::Result<_, String>, point| {
            let (mut x, mut y) = acc?;
            x.add(&point.features).map_err(|e| e.to_string())?;
            y.add(&Vectors::dense(vec![point.label])).map_err(|e| e.to_string())?;
            Ok((x, y))
        },
        |a, b| {
            let ((ax, ay), (bx, by)) = (a?, b?);
            Ok((ax.merge(bx).map_err(|e| e.to_string())?, ay.merge(by).map_err(|e| e.to_string())?))
        },
    )?;
    let (x, y) = summaries.map_err(|m| Error::data(ALG, m))?;
    let std = x.variance()?.to_dense_array().mapv(f64::sqrt);
    let (y_mean, y_std) = (y.mean()?.to_dense_array()[0], y.variance()?.to_dense_array()[0].sqrt());
    if y_std == 0.0 && (p.fit_intercept || y_mean == 0.0) {
        // A constant label: Spark returns it as the intercept (or zero), with no coefficients to fit.
        return Ok((Array1::zeros(d), if p.fit_intercept { y_mean } else { 0.0 }));
    }
    // Without an intercept Spark scales a constant label by its magnitude.
    let y_scale = if y_std > 0.0 { y_std } else { y_mean.abs() };
    let scaling = Scaling {
        mean: if p.fit_intercept { x.mean()?.to_dense_array() } else { Array1::zeros(d) },
        inv_std: std.mapv(|s| if s > 0.0 { 1.0 / s } else { 0.0 }),
        label_mean: if p.fit_intercept { y_mean } else { 0.0 },
        label_scale: 1.0 / y_scale,
    };
    let problem = Penalized {
        loss: Loss::Squared,
        shape: Shape { k: 1, d, intercept: false },
        scaling,
        reg_param: p.reg_param / y_scale,
        elastic_net_param: p.elastic_net_param,
        standardization: p.standardization,
        max_iter,
        tol,
    };
    let minimum = problem.minimize(&blocks, Array1::zeros(d))?;
    let (w, b) = problem.shape.split(&minimum.x);
    let (w_raw, b_raw) = problem.scaling.to_raw(&w, &b);
    let coefficients = w_raw.row(0).mapv(|v| v * y_scale);
    let intercept = if p.fit_intercept { y_mean + y_scale * b_raw[0] } else { 0.0 };
    Ok((coefficients, intercept))
}
