//! The labeled point every supervised algorithm learns from.

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

/// Checks training points in one pass (every label and feature finite, every vector the size of the first)
/// and returns their number and dimension; the error names the first bad point.
pub(crate) fn check_points(
    points: &flint_engine::Rdd<LabeledPoint>,
    algorithm: &'static str,
) -> crate::Result<(u64, usize)> {
    let first = points.take(1)?;
    let Some(d) = first.first().map(|p| p.features.size()) else {
        return Err(crate::Error::data(algorithm, "the training data is empty"));
    };
    let (count, problem) = crate::blocks::aggregate_ref(
        points,
        (0u64, None::<String>),
        move |(n, problem), p| {
            let bad = if p.features.size() != d {
                Some(format!("a point has {} features where the first has {d}: {p}", p.features.size()))
            } else if !p.label.is_finite() || p.features.active_values().iter().any(|x| !x.is_finite()) {
                Some(format!("a point holds NaN or infinite values: {p}"))
            } else {
                None
            };
            (n + 1, problem.or(bad))
        },
        |(a, p), (b, q)| (a + b, p.or(q)),
    )?;
    match problem {
        Some(problem) => Err(crate::Error::data(algorithm, problem)),
        None => Ok((count, d)),
    }
}
