//! Streaming k-means (Spark's `StreamingKMeans`): each batch of points moves the centres by one mini-batch k-means
//! step, in which the points seen before count with a weight that decays, batch by batch or point by point.
//!
//! The rule, as Spark's `StreamingKMeansModel.update`: assign the batch to the current centres; discount every
//! cluster's weight by `a` (time unit `batches`) or `aⁿ` (`points`, n points in the batch); then each cluster that
//! got `m` points of sum `s` takes weight `w' = w·discount + m` and centre `c + (s/m − c)·m/w'`. When the lightest
//! cluster weighs less than 1e-8 of the heaviest, it is dying: the heaviest is split in two, both halves taking half
//! the two weights and the heaviest centre nudged by ±1e-14 (relative), so the next batches pull them apart.

use super::algorithm::{Centers, argmin, assignment_pass};
use super::{DistanceMeasure, KMeansModel};
use crate::blocks::{RowCheck, to_blocks};
use crate::error::{Error, Result};
use crate::frame::{map_vectors, training_vectors};
use crate::linalg::Vector;
use crate::streaming::{SharedModel, train_on};
use arrow::datatypes::DataType;
use flint_engine::prelude::*;
use flint_engine::streaming::StreamingQuery;
use ndarray::{Array1, Array2};
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;

const ALG: &str = "StreamingKMeans";

/// What the decay of old points is counted in (Spark's `timeUnit`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TimeUnit {
    /// Each batch discounts the weight seen so far by the decay factor once (Spark's default).
    #[default]
    Batches,
    /// Each point of a batch discounts it once: a batch of `n` points by `aⁿ`.
    Points,
}

impl std::str::FromStr for TimeUnit {
    type Err = Error;

    /// Spark's names: `batches`, `points`.
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "batches" => Ok(TimeUnit::Batches),
            "points" => Ok(TimeUnit::Points),
            _ => Err(Error::param(ALG, "time_unit", format!("`{s}` is not a time unit: use batches or points"))),
        }
    }
}

/// The decay as it was given, so that a bad half-life is reported as one.
#[derive(Debug, Clone, Copy)]
enum Decay {
    Factor(f64),
    HalfLife(f64),
}

/// Where the first centres come from.
#[derive(Debug, Clone)]
enum Init {
    Random { dim: usize, weight: f64, seed: u64 },
    Given { centers: Vec<Vector>, weights: Vec<f64> },
}

/// K-means that learns from a stream (Spark's `StreamingKMeans`); a builder with Spark's names and defaults, and
/// the model it keeps up to date, shared by its clones, the query [`train_on`](Self::train_on) starts and the
/// scores [`predict_on`](Self::predict_on) makes.
///
/// ```
/// use flint_engine::prelude::*;
/// use flint_mllib::clustering::StreamingKMeans;
/// use flint_mllib::linalg::Vectors;
///
/// let session = Session::builder().master("local[2]").build()?;
/// let skm = StreamingKMeans::new()
///     .k(2)
///     .decay_factor(0.5)
///     .initial_centers(vec![Vectors::dense(vec![0.0]), Vectors::dense(vec![10.0])], vec![1.0, 1.0]);
/// let batch = vec![Vectors::dense(vec![1.0]), Vectors::dense(vec![2.0]), Vectors::dense(vec![9.0])];
/// skm.update_rdd(&session.parallelize(batch, 2))?;
/// let model = skm.latest_model()?;
/// // Centre 0: weight 0.5·1 + 2 = 2.5, centre 0 + (1.5 − 0)·2/2.5 = 1.2.
/// assert_eq!(model.cluster_weights(), vec![2.5, 1.5]);
/// assert!((model.cluster_centers()[0].get(0)? - 1.2).abs() < 1e-12);
/// # Ok::<(), flint_mllib::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct StreamingKMeans {
    k: usize,
    decay: Decay,
    time_unit: TimeUnit,
    init: Option<Init>,
    features_col: String,
    prediction_col: String,
    model: SharedModel<StreamingKMeansModel>,
}

impl Default for StreamingKMeans {
    fn default() -> Self {
        StreamingKMeans {
            k: 2,
            decay: Decay::Factor(1.0),
            time_unit: TimeUnit::Batches,
            init: None,
            features_col: "features".into(),
            prediction_col: "prediction".into(),
            model: SharedModel::default(),
        }
    }
}

impl StreamingKMeans {
    /// Spark's defaults: `k = 2`, decay factor 1 (no forgetting), time unit `batches`; the initial centres must
    /// be set, with [`initial_centers`](Self::initial_centers) or [`random_centers`](Self::random_centers).
    pub fn new() -> Self {
        Self::default()
    }

    /// The number of clusters (at least 1); a new `k` starts a new model.
    pub fn k(mut self, k: usize) -> Self {
        self.k = k;
        self.model = SharedModel::default();
        self
    }

    /// How much the weight seen so far counts at each time unit (default 1: every point counts alike; 0: only
    /// the newest batch counts).
    pub fn decay_factor(mut self, a: f64) -> Self {
        self.decay = Decay::Factor(a);
        self
    }

    /// The decay as a half-life: after `half_life` time units, the weight of earlier points has halved (decay
    /// factor `exp(ln 0.5 / half_life)`).
    pub fn half_life(mut self, half_life: f64, time_unit: TimeUnit) -> Self {
        self.decay = Decay::HalfLife(half_life);
        self.time_unit = time_unit;
        self
    }

    /// What the decay is counted in (default [`TimeUnit::Batches`]).
    pub fn time_unit(mut self, time_unit: TimeUnit) -> Self {
        self.time_unit = time_unit;
        self
    }

    /// Starts from `k` centres of `dim` standard normal coordinates, each of weight `weight`; a new model.
    ///
    /// Spark draws them with its own generator, so the same seed gives other centres than Spark's.
    pub fn random_centers(mut self, dim: usize, weight: f64, seed: u64) -> Self {
        self.init = Some(Init::Random { dim, weight, seed });
        self.model = SharedModel::default();
        self
    }

    /// Starts from these `k` centres and weights (the number of points each stands for); a new model.
    pub fn initial_centers(mut self, centers: Vec<Vector>, weights: Vec<f64>) -> Self {
        self.init = Some(Init::Given { centers, weights });
        self.model = SharedModel::default();
        self
    }

    /// The column of feature vectors (default `features`).
    pub fn features_col(mut self, name: &str) -> Self {
        self.features_col = name.to_string();
        self
    }

    /// The column [`predict_on`](Self::predict_on) adds (default `prediction`).
    pub fn prediction_col(mut self, name: &str) -> Self {
        self.prediction_col = name.to_string();
        self
    }

    /// The decay factor, given or derived from the half-life.
    pub fn decay(&self) -> f64 {
        match self.decay {
            Decay::Factor(a) => a,
            Decay::HalfLife(h) => (0.5f64.ln() / h).exp(),
        }
    }

    /// Every bad parameter is its own error, named as the builder names it.
    fn validate(&self) -> Result<()> {
        if self.k == 0 {
            return Err(Error::param(ALG, "k", "must be at least 1, got 0"));
        }
        match self.decay {
            Decay::Factor(a) if !(a >= 0.0 && a.is_finite()) => {
                return Err(Error::param(ALG, "decay_factor", format!("must be finite and non-negative, got {a}")));
            }
            Decay::HalfLife(h) if !(h > 0.0 && h.is_finite()) => {
                return Err(Error::param(ALG, "half_life", format!("must be finite and positive, got {h}")));
            }
            _ => {}
        }
        let k = self.k;
        match &self.init {
            None => Err(Error::param(
                ALG,
                "initial_centers",
                "no initial centres: set them with initial_centers(centers, weights) or random_centers(dim, weight, \
                 seed) before updating or predicting",
            )),
            Some(Init::Random { dim, weight, .. }) => {
                if *dim == 0 {
                    return Err(Error::param(ALG, "random_centers", "the dimension must be at least 1, got 0"));
                }
                check_weight(*weight, "random_centers")
            }
            Some(Init::Given { centers, weights }) => {
                if centers.len() != k || weights.len() != k {
                    return Err(Error::param(
                        ALG,
                        "initial_centers",
                        format!("{} centres and {} weights given for k = {k}", centers.len(), weights.len()),
                    ));
                }
                let dim = centers[0].size();
                if let Some(c) = centers.iter().find(|c| c.size() != dim || c.size() == 0) {
                    return Err(Error::param(
                        ALG,
                        "initial_centers",
                        format!(
                            "the centres must have one size of at least 1: the first has {dim}, one has {}",
                            c.size()
                        ),
                    ));
                }
                if centers.iter().any(|c| c.active_values().iter().any(|x| !x.is_finite())) {
                    return Err(Error::param(ALG, "initial_centers", "a centre holds NaN or infinite values"));
                }
                weights.iter().try_for_each(|w| check_weight(*w, "initial_centers"))
            }
        }
    }

    /// The model before any update.
    fn initial_model(&self) -> Result<StreamingKMeansModel> {
        self.validate()?;
        let (centers, weights) = match &self.init {
            Some(Init::Random { dim, weight, seed }) => {
                let mut rng = Xoshiro256PlusPlus::seed_from_u64(*seed);
                let centers =
                    Array2::from_shape_simple_fn((self.k, *dim), || crate::recommendation::standard_normal(&mut rng));
                (centers, vec![*weight; self.k])
            }
            Some(Init::Given { centers, weights }) => {
                let dim = centers[0].size();
                let m = Array2::from_shape_fn((centers.len(), dim), |(i, j)| centers[i].get(j).unwrap_or(0.0));
                (m, weights.clone())
            }
            None => return Err(Error::param(ALG, "initial_centers", "no initial centres")),
        };
        let model = KMeansModel::from_centers(
            centers,
            DistanceMeasure::Euclidean,
            self.features_col.clone(),
            self.prediction_col.clone(),
        );
        Ok(StreamingKMeansModel { model, weights })
    }

    /// The model as the last update left it (Spark's `latestModel`); the initial one before any update.
    pub fn latest_model(&self) -> Result<StreamingKMeansModel> {
        self.validate()?;
        self.model.get(|| self.initial_model())
    }

    /// Updates the model with one batch: the vectors of the `features` column of a DataFrame.
    pub fn update(&self, batch: &DataFrame) -> Result<()> {
        self.validate()?;
        self.update_rdd(&training_vectors(batch, &self.features_col, ALG)?)
    }

    /// Updates the model with one batch of vectors (Spark's `StreamingKMeansModel.update`). An empty batch still
    /// counts as a batch: with time unit `batches`, it discounts the weights.
    pub fn update_rdd(&self, data: &Rdd<Vector>) -> Result<()> {
        self.validate()?;
        let (decay, time_unit) = (self.decay(), self.time_unit);
        self.model.update(
            || self.initial_model(),
            |model| {
                let (k, dim) = model.model.centers.m.dim();
                if data.is_empty()? {
                    return Ok(model.step(&Array2::zeros((k, dim)), &vec![0; k], decay, time_unit));
                }
                let blocks = to_blocks(data, ALG, RowCheck { non_zero: false })?;
                if blocks.dim != dim {
                    return Err(Error::data(
                        ALG,
                        format!("the centres have {dim} features, the batch has {}", blocks.dim),
                    ));
                }
                let centers = Centers::new(model.model.centers.m.clone(), DistanceMeasure::Euclidean);
                let pass = assignment_pass(&blocks, centers)?;
                Ok(model.step(&pass.sums, &pass.counts, decay, time_unit))
            },
        )
    }

    /// Starts a query that updates the model with each micro-batch of a streaming DataFrame (Spark's `trainOn`).
    /// The model lives in memory: a query restarted from its checkpoint goes on from the model as it is then.
    pub fn train_on(&self, stream: &DataFrame) -> Result<StreamingQuery> {
        self.latest_model()?;
        let skm = self.clone();
        train_on(stream, ALG, move |batch| skm.update(batch))
    }

    /// Adds the `prediction` column, each row's closest centre (an integer), lazily: each batch of rows is scored
    /// by the model current when it is scored (Spark's `predictOn`). On the stream that trains the model, a
    /// micro-batch may be scored before or after the update it brings.
    pub fn predict_on(&self, df: &DataFrame) -> Result<DataFrame> {
        self.latest_model()?;
        let shared = self.model.clone();
        let column = map_vectors("streaming_kmeans_predict", &self.features_col, DataType::Int32, move |vectors| {
            shared.current(ALG)?.model.predict_array(vectors)
        });
        Ok(df.with_column(&self.prediction_col, column)?)
    }
}

fn check_weight(w: f64, name: &'static str) -> Result<()> {
    if w >= 0.0 && w.is_finite() {
        Ok(())
    } else {
        Err(Error::param(ALG, name, format!("weights must be finite and non-negative, got {w}")))
    }
}

/// The centres of a streaming k-means and the weight of each (Spark's `StreamingKMeansModel`): the number of
/// points it stands for, discounted by the decay.
#[derive(Debug, Clone)]
pub struct StreamingKMeansModel {
    model: KMeansModel,
    weights: Vec<f64>,
}

impl StreamingKMeansModel {
    /// The cluster centres.
    pub fn cluster_centers(&self) -> Vec<Vector> {
        self.model.cluster_centers()
    }

    /// The weight of each cluster.
    pub fn cluster_weights(&self) -> Vec<f64> {
        self.weights.clone()
    }

    /// The number of clusters.
    pub fn k(&self) -> usize {
        self.model.k()
    }

    /// The index of the closest centre to one point.
    pub fn predict(&self, x: &Vector) -> Result<usize> {
        self.model.predict(x)
    }

    /// The centres as a k-means model, to transform DataFrames with or to save.
    pub fn kmeans_model(&self) -> &KMeansModel {
        &self.model
    }

    /// The model after a batch whose points sum to `sums` (one row per closest centre) and number `counts`.
    fn step(&self, sums: &Array2<f64>, counts: &[u64], decay: f64, time_unit: TimeUnit) -> StreamingKMeansModel {
        let mut centers = self.model.centers.m.clone();
        let discount = match time_unit {
            TimeUnit::Batches => decay,
            TimeUnit::Points => decay.powf(counts.iter().sum::<u64>() as f64),
        };
        let mut weights: Vec<f64> = self.weights.iter().map(|w| w * discount).collect();
        for (j, &count) in counts.iter().enumerate().filter(|(_, c)| **c > 0) {
            let count = count as f64;
            weights[j] += count;
            let lambda = count / weights[j].max(1e-16);
            let mut c = centers.row_mut(j);
            c *= 1.0 - lambda;
            c.scaled_add(lambda / count, &sums.row(j));
        }
        // The first heaviest and the first lightest, as Scala's maxBy and minBy pick them.
        let largest = argmin(weights.iter().map(|w| -w));
        let smallest = argmin(weights.iter().copied());
        if let (Some((largest, _)), Some((smallest, min))) = (largest, smallest) {
            let max = weights[largest];
            if min < 1e-8 * max {
                let weight = (max + min) / 2.0;
                weights[largest] = weight;
                weights[smallest] = weight;
                let heaviest: Array1<f64> = centers.row(largest).to_owned();
                let nudge = heaviest.mapv(|x| 1e-14 * x.abs().max(1.0));
                centers.row_mut(largest).assign(&(&heaviest + &nudge));
                centers.row_mut(smallest).assign(&(&heaviest - &nudge));
            }
        }
        let model = KMeansModel::from_centers(
            centers,
            DistanceMeasure::Euclidean,
            self.model.features_col.clone(),
            self.model.prediction_col.clone(),
        );
        StreamingKMeansModel { model, weights }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::linalg::Vectors;

    fn model(centers: &[[f64; 2]], weights: &[f64]) -> StreamingKMeansModel {
        StreamingKMeans::new()
            .k(centers.len())
            .initial_centers(centers.iter().map(|c| Vectors::dense(c.to_vec())).collect(), weights.to_vec())
            .latest_model()
            .expect("model")
    }

    #[test]
    fn a_cluster_without_weight_takes_half_of_the_heaviest() {
        // Decay 0 forgets the old weights; cluster 2 gets no point, so it weighs 0 against cluster 0's 3.
        let m = model(&[[0.0, 0.0], [5.0, 5.0], [9.0, 9.0]], &[1.0, 1.0, 1.0]);
        let sums = ndarray::array![[3.0, 300.0], [5.0, 5.0], [0.0, 0.0]];
        let next = m.step(&sums, &[3, 1, 0], 0.0, TimeUnit::Batches);
        assert_eq!(next.cluster_weights(), vec![1.5, 1.0, 1.5]);
        let c = next.cluster_centers();
        let nudge = |x: f64| 1e-14 * x;
        assert_eq!(c[0].to_array(), vec![1.0 + nudge(1.0), 100.0 + nudge(100.0)]);
        assert_eq!(c[2].to_array(), vec![1.0 - nudge(1.0), 100.0 - nudge(100.0)]);
        assert_eq!(c[1].to_array(), vec![5.0, 5.0]);
    }

    #[test]
    fn decay_by_points_discounts_by_the_batch_size() {
        let m = model(&[[0.0, 0.0], [10.0, 10.0]], &[4.0, 4.0]);
        let sums = ndarray::array![[2.0, 2.0], [0.0, 0.0]];
        let next = m.step(&sums, &[2, 0], 0.5, TimeUnit::Points);
        // Discount 0.5² = 0.25: weights 1 + 2 and 1; centre 0 moves 2/3 of the way to the batch mean (1, 1).
        assert_eq!(next.cluster_weights(), vec![3.0, 1.0]);
        approx::assert_relative_eq!(next.cluster_centers()[0].to_array()[0], 2.0 / 3.0, max_relative = 1e-15);
    }
}
