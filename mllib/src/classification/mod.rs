//! Classification: logistic regression, binomial and multinomial, and binomial logistic regression that learns from
//! a stream.

mod logistic;

pub use logistic::{Family, LogisticRegression, LogisticRegressionModel, LogisticRegressionSummary};

/// Logistic regression that learns from a stream (Spark's `StreamingLogisticRegressionWithSGD`): log-loss, L2
/// regularisation by [`reg_param`](crate::regression::StreamingLinearAlgorithm::reg_param), labels 0 and 1;
/// [`latest_model`](crate::regression::StreamingLinearAlgorithm::latest_model) is a binomial
/// [`LogisticRegressionModel`] without intercept and threshold 0.5.
pub type StreamingLogisticRegressionWithSGD = crate::regression::StreamingLinearAlgorithm<LogisticRegressionModel>;
