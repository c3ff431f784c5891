//! Spark's mini-batch gradient descent (`GradientDescent.runMiniBatchSGD`), as its streaming linear models run it on
//! every micro-batch: each iteration `i` averages the gradient over a sample of the rows (all of them at fraction 1)
//! in one distributed pass, then steps by `step_size / √i`.

use super::glm::{Loss, Scaling, Shape, loss_and_gradient};
use crate::blocks::{LabeledBlocks, to_labeled_blocks};
use crate::error::Result;
use crate::regression::LabeledPoint;
use flint_engine::Rdd;
use ndarray::Array1;

/// How a step moves the weights (Spark's `Updater`s).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Updater {
    /// `w − η∇` (Spark's `SimpleUpdater`).
    Simple,
    /// `(1 − ηλ)w − η∇` (Spark's `SquaredL2Updater`): the gradient of `λ/2‖w‖²` taken in the same step.
    SquaredL2,
}

/// One run of mini-batch SGD, Spark's parameters.
#[derive(Debug, Clone)]
pub(crate) struct MiniBatchSgd {
    pub(crate) loss: Loss,
    pub(crate) updater: Updater,
    pub(crate) step_size: f64,
    pub(crate) num_iterations: usize,
    pub(crate) reg_param: f64,
    pub(crate) mini_batch_fraction: f64,
    pub(crate) convergence_tol: f64,
}

impl MiniBatchSgd {
    /// The weights (no intercept) after at most `num_iterations` steps from `weights` over `points`, already
    /// checked and cached as `blocks`. Below fraction 1, iteration `i` samples the points with seed `42 + i`, as
    /// Spark does, and skips the step when the sample is empty.
    pub(crate) fn run(
        &self,
        points: &Rdd<LabeledPoint>,
        blocks: &LabeledBlocks,
        algorithm: &'static str,
        mut weights: Array1<f64>,
    ) -> Result<Array1<f64>> {
        let d = weights.len();
        let shape = Shape { k: 1, d, intercept: false };
        let scaling = Scaling::identity(d);
        let mut previous: Option<Array1<f64>> = None;
        for i in 1..=self.num_iterations {
            let sampled;
            let rows = if self.mini_batch_fraction >= 1.0 {
                blocks
            } else {
                let sample = points.sample(false, self.mini_batch_fraction, 42 + i as u64)?;
                if sample.is_empty()? {
                    continue;
                }
                sampled = to_labeled_blocks(&sample, algorithm)?;
                &sampled
            };
            let (_, gradient) = loss_and_gradient(rows, self.loss, shape, &scaling, &weights)?;
            let step = self.step_size / (i as f64).sqrt();
            if self.updater == Updater::SquaredL2 {
                weights *= 1.0 - step * self.reg_param;
            }
            weights.scaled_add(-step, &gradient);
            // Spark's test compares two successive iterates, so it can stop from the second step on.
            if previous.as_ref().is_some_and(|p| converged(p, &weights, self.convergence_tol)) {
                break;
            }
            previous = Some(weights.clone());
        }
        Ok(weights)
    }
}

/// Spark's `isConverged`: the step is shorter than `tol` relative to the new weights (absolute below norm 1).
fn converged(previous: &Array1<f64>, current: &Array1<f64>, tol: f64) -> bool {
    let diff = previous - current;
    diff.dot(&diff).sqrt() < tol * current.dot(current).sqrt().max(1.0)
}
