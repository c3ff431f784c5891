//! `ClusteringEvaluator`: the mean silhouette, by Spark's `O(n·k)` algorithm.
//!
//! The mean distance of a point `x` to the points `c` of a cluster `Γ` (weights `w_c`, `W_Γ = Σw_c`) needs only
//! sums over the cluster, computed in one aggregation and shared with every point:
//! - squared Euclidean: `Σw_c‖x − c‖² / W_Γ = ‖x‖² + Ψ_Γ/W_Γ − 2 x·Y_Γ/W_Γ`, with `Ψ_Γ = Σw_c‖c‖²` and
//!   `Y_Γ = Σw_c c`;
//! - cosine (`1 − cos`): `1 − x̂·Ω_Γ/W_Γ`, with `x̂ = x/‖x‖` and `Ω_Γ = Σw_c ĉ`.
//!
//! A second pass scores each point against every cluster: `a` is the mean distance to its own cluster with
//! itself left out (`·W_Γ/(W_Γ − w_x)`, i.e. `n − 1` points without weights), `b` the smallest mean distance to
//! another cluster, and the silhouette `(b − a)/max(a, b)`; a point alone in its cluster scores 0. The score is
//! the weighted mean over the points.

use super::{Evaluator, Input, Kind, distribute, key, parse_metric, read_weighted, refuse_nan};
use crate::builder::setters;
use crate::error::{Error, Result};
use crate::linalg::Vector;
use flint_engine::prelude::*;
use std::collections::BTreeMap;
use std::sync::Arc;

const ALG: &str = "ClusteringEvaluator";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Metric {
    Silhouette,
}

const METRICS: &[(&str, Metric)] = &[("silhouette", Metric::Silhouette)];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Distance {
    SquaredEuclidean,
    Cosine,
}

/// Evaluates a clustering by its mean silhouette (Spark's `ClusteringEvaluator`); a builder with Spark's names
/// and defaults.
///
/// The silhouette of a point is `(b − a)/max(a, b)`: `a` its mean distance to the other points of its cluster,
/// `b` its mean distance to the points of the nearest other cluster; a point alone in its cluster scores 0, as
/// in Spark and scikit-learn. `distance_measure` is `squaredEuclidean` (default: the squared Euclidean distance,
/// scikit-learn's `metric="sqeuclidean"`, not the Euclidean distance of its default) or `cosine` (`1 − cos`,
/// scikit-learn's `metric="cosine"`). Spark's algorithm keeps per-cluster sums, so the cost is `O(n·k)` for `n`
/// points and `k` clusters, not `O(n²)`; at least two clusters are needed.
///
/// ```
/// use flint_engine::prelude::*;
/// use flint_mllib::evaluation::{ClusteringEvaluator, Evaluator};
/// use flint_mllib::feature::VectorAssembler;
/// use flint_mllib::pipeline::Transformer;
///
/// let session = Session::builder().master("local[2]").build()?;
/// let df = session.create_dataframe(vec![(0.0, 0), (1.0, 0), (4.0, 1), (6.0, 1)], &["x", "prediction"])?;
/// let df = VectorAssembler::new(["x"], "features").transform(&df)?;
/// // Point 0: a = 1, b = (16 + 36)/2 = 26 → 1 − 1/26; point 1: a = 1, b = (9 + 25)/2 = 17 → 1 − 1/17;
/// // point 2: a = 4, b = (16 + 9)/2 = 12.5 → 1 − 4/12.5; point 3: a = 4, b = (36 + 25)/2 = 30.5 → 1 − 4/30.5.
/// let expected = (4.0 - 1.0 / 26.0 - 1.0 / 17.0 - 4.0 / 12.5 - 4.0 / 30.5) / 4.0;
/// let silhouette = ClusteringEvaluator::new().evaluate(&df)?;
/// assert!((silhouette - expected).abs() < 1e-12);
/// # Ok::<(), flint_mllib::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct ClusteringEvaluator {
    metric_name: String,
    distance_measure: String,
    features_col: String,
    prediction_col: String,
    weight_col: Option<String>,
}

impl Default for ClusteringEvaluator {
    fn default() -> Self {
        ClusteringEvaluator {
            metric_name: "silhouette".into(),
            distance_measure: "squaredEuclidean".into(),
            features_col: "features".into(),
            prediction_col: "prediction".into(),
            weight_col: None,
        }
    }
}

impl ClusteringEvaluator {
    /// Spark's defaults: the `silhouette` with squared Euclidean distances of `features`, clusters `prediction`.
    pub fn new() -> Self {
        Self::default()
    }

    setters! {
        /// The metric: `silhouette` (the default and only one, as in Spark).
        metric_name: &str,
        /// `squaredEuclidean` (default) or `cosine`.
        distance_measure: &str,
        /// The feature vector column (default `features`).
        features_col: &str,
        /// The cluster column, numeric (default `prediction`).
        prediction_col: &str,
        /// A column of non-negative instance weights (default: none, every row weighs 1).
        weight_col: Option<&str>,
    }

    fn distance(&self) -> Result<Distance> {
        match self.distance_measure.as_str() {
            "squaredEuclidean" => Ok(Distance::SquaredEuclidean),
            "cosine" => Ok(Distance::Cosine),
            other => Err(Error::param(
                ALG,
                "distance_measure",
                format!("`{other}` is not a distance measure of {ALG}: use squaredEuclidean or cosine"),
            )),
        }
    }
}

/// The sums of one cluster: `Σw·x` (of normalised points for cosine), `Σw‖x‖²` (squared Euclidean), `Σw`.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
struct ClusterStats {
    feature_sum: Vec<f64>,
    squared_norm_sum: f64,
    weight_sum: f64,
}

impl ClusterStats {
    fn add(mut self, (x, squared_norm, w): (Vector, f64, f64)) -> Self {
        if self.feature_sum.len() < x.size() {
            self.feature_sum.resize(x.size(), 0.0);
        }
        for (i, v) in x.iter_active() {
            self.feature_sum[i] += w * v;
        }
        self.squared_norm_sum += squared_norm * w;
        self.weight_sum += w;
        self
    }

    fn merge(mut self, other: Self) -> Self {
        if self.feature_sum.len() < other.feature_sum.len() {
            self.feature_sum.resize(other.feature_sum.len(), 0.0);
        }
        for (a, b) in self.feature_sum.iter_mut().zip(&other.feature_sum) {
            *a += b;
        }
        self.squared_norm_sum += other.squared_norm_sum;
        self.weight_sum += other.weight_sum;
        self
    }

    fn dot(&self, x: &Vector) -> f64 {
        x.iter_active().map(|(i, v)| v * self.feature_sum.get(i).copied().unwrap_or(0.0)).sum()
    }
}

/// The silhouette of a point (Spark's `pointSilhouetteCoefficient`), given its mean distance to each cluster.
fn point_silhouette(
    clusters: &BTreeMap<OrderedF64, ClusterStats>,
    own: OrderedF64,
    weight: f64,
    mean_distance: impl Fn(&ClusterStats) -> f64,
) -> f64 {
    let Some(own_stats) = clusters.get(&own) else { return 0.0 };
    if own_stats.weight_sum == weight {
        return 0.0;
    }
    let b = clusters.iter().filter(|(c, _)| **c != own).map(|(_, s)| mean_distance(s)).fold(f64::INFINITY, f64::min);
    let a = mean_distance(own_stats) * own_stats.weight_sum / (own_stats.weight_sum - weight);
    if a < b {
        1.0 - a / b
    } else if a > b {
        b / a - 1.0
    } else {
        0.0
    }
}

impl Evaluator for ClusteringEvaluator {
    fn evaluate(&self, df: &DataFrame) -> Result<f64> {
        parse_metric(ALG, &self.metric_name, METRICS)?;
        let distance = self.distance()?;
        let inputs = [
            Input::new(&self.features_col, "features_col", Kind::Vector),
            Input::new(&self.prediction_col, "prediction_col", Kind::Number),
        ];
        let (features, clusters, w) = read_weighted(df, inputs, self.weight_col.as_deref(), ALG)?;
        let (features, clusters) = (features.vectors(), clusters.numbers());
        refuse_nan(&clusters, &self.prediction_col, "prediction_col", ALG)?;
        let w = w.check(clusters.len())?;
        let dim = features.first().map_or(0, Vector::size);
        let mut rows = Vec::with_capacity(features.len());
        for (row, ((x, c), w)) in features.into_iter().zip(clusters).zip(w).enumerate() {
            if x.size() != dim {
                return Err(Error::data(
                    ALG,
                    format!(
                        "column `{}` holds vectors of size {dim} and of size {} (row {row}): they must all have \
                         one size",
                        self.features_col,
                        x.size()
                    ),
                ));
            }
            let squared_norm = x.norm_sq();
            if let Some((_, v)) = x.iter_active().find(|(_, v)| !v.is_finite()) {
                return Err(Error::data(ALG, format!("column `{}` holds {v} in row {row}", self.features_col)));
            }
            let x = match distance {
                Distance::SquaredEuclidean => x,
                Distance::Cosine => {
                    if squared_norm == 0.0 {
                        return Err(Error::data(
                            ALG,
                            format!(
                                "row {row} of `{}` is a zero vector, whose cosine distance is undefined",
                                self.features_col
                            ),
                        ));
                    }
                    scaled(&x, 1.0 / squared_norm.sqrt())
                }
            };
            rows.push((key(c), (x, squared_norm, w)));
        }
        let points = distribute(df, rows);
        let stats: BTreeMap<OrderedF64, ClusterStats> = points
            .aggregate_by_key(ClusterStats::default(), ClusterStats::add, ClusterStats::merge)
            .collect()?
            .into_iter()
            .collect();
        if stats.len() < 2 {
            return Err(Error::data(
                ALG,
                format!(
                    "the silhouette needs at least two clusters, but column `{}` has {}",
                    self.prediction_col,
                    stats.len()
                ),
            ));
        }
        let stats = Arc::new(stats);
        let (score, weight) = points
            .map(move |(c, (x, squared_norm, w))| {
                let s = match distance {
                    Distance::SquaredEuclidean => point_silhouette(&stats, c, w, |s| {
                        squared_norm + s.squared_norm_sum / s.weight_sum - 2.0 * s.dot(&x) / s.weight_sum
                    }),
                    Distance::Cosine => point_silhouette(&stats, c, w, |s| 1.0 - s.dot(&x) / s.weight_sum),
                };
                (s * w, w)
            })
            .fold((0.0, 0.0), |a, b| (a.0 + b.0, a.1 + b.1))?;
        Ok(score / weight)
    }

    fn is_larger_better(&self) -> Result<bool> {
        parse_metric(ALG, &self.metric_name, METRICS).map(|_| true)
    }
}

/// `a·x`, keeping the storage.
fn scaled(x: &Vector, a: f64) -> Vector {
    match x {
        Vector::Dense(d) => Vector::Dense(d * a),
        Vector::Sparse(s) => Vector::Sparse(s.map(|v| v * a)),
    }
}
