//! Classification: logistic regression, binomial and multinomial.

mod logistic;

pub use logistic::{Family, LogisticRegression, LogisticRegressionModel, LogisticRegressionSummary};
