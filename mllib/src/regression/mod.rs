//! Regression: labeled points and linear regression.

mod labeled_point;
mod linear;

pub use labeled_point::LabeledPoint;
pub use linear::{LinearRegression, LinearRegressionModel, LinearRegressionSummary};
