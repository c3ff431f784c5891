//! Regression: labeled points and linear regression.

mod labeled_point;
mod linear;

pub use labeled_point::LabeledPoint;
pub(crate) use labeled_point::check_points;
pub use linear::{LinearRegression, LinearRegressionModel, LinearRegressionSummary, Solver};
