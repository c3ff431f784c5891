//! Regression: labeled points, linear regression, and linear models that learn from a stream.

mod labeled_point;
mod linear;
mod streaming_linear;

pub use labeled_point::LabeledPoint;
pub(crate) use labeled_point::check_points;
pub use linear::{LinearRegression, LinearRegressionModel, LinearRegressionSummary, Solver};
pub use streaming_linear::{StreamingLinearAlgorithm, StreamingLinearRegressionWithSGD};
