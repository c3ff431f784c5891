//! Optimisers for the estimators whose objective has no closed form: L-BFGS, and OWL-QN when an L1 term makes
//! the objective non-differentiable at zero (as Spark uses Breeze's). The objective's value and gradient come from
//! one distributed pass per evaluation; the optimiser itself runs on the driver. Spark's mini-batch gradient
//! descent too, which its streaming linear models run on every micro-batch.

mod glm;
mod lbfgs;
mod sgd;

pub(crate) use glm::{Loss, Penalized, Scaling, Shape, softplus};
pub(crate) use lbfgs::{Lbfgs, Minimum};
pub(crate) use sgd::{MiniBatchSgd, Updater};
