//! Regression: the labeled point every supervised algorithm learns from.

use crate::linalg::Vector;
use serde::{Deserialize, Serialize};
use std::fmt;

/// A label and its feature vector (Spark's `LabeledPoint`), the unit of RDD-based supervised learning.
///
/// ```
/// use flint_mllib::linalg::Vectors;
/// use flint_mllib::regression::LabeledPoint;
///
/// let p = LabeledPoint::new(1.0, Vectors::dense(vec![0.5, 2.0]));
/// assert_eq!(p.to_string(), "(1.0,[0.5,2.0])");
/// ```
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct LabeledPoint {
    /// The label (a class index for classification).
    pub label: f64,
    /// The features.
    pub features: Vector,
}

impl LabeledPoint {
    /// A labeled point.
    pub fn new(label: f64, features: impl Into<Vector>) -> Self {
        LabeledPoint { label, features: features.into() }
    }
}

impl fmt::Display for LabeledPoint {
    /// Spark's form: `(label,features)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "({:?},{})", self.label, self.features)
    }
}

impl fmt::Debug for LabeledPoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}
