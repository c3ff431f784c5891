//! Linear models that learn from a stream (Spark's `StreamingLinearAlgorithm`): each batch runs Spark's mini-batch
//! SGD from the weights the previous batch left, so the model follows the stream without keeping it.
//!
//! As in Spark, the models have weights and no intercept: to fit one, add a constant 1 feature.

use crate::builder::setters;
use crate::classification::LogisticRegressionModel;
use crate::error::{Error, Result};
use crate::frame::{each_number, map_vectors, training_points};
use crate::linalg::Vector;
use crate::optim::{Loss, MiniBatchSgd, Updater};
use crate::regression::{LabeledPoint, LinearRegressionModel};
use crate::streaming::{SharedModel, train_on};
use arrow::datatypes::DataType;
use flint_engine::prelude::*;
use flint_engine::streaming::StreamingQuery;
use ndarray::Array1;

mod sealed {
    use crate::error::Result;
    use crate::linalg::Vector;
    use ndarray::Array1;

    /// The models Spark's streaming SGD trains: linear regression and binomial logistic regression.
    pub trait GeneralizedLinearModel: Clone + std::fmt::Debug + Send + Sync + 'static {
        /// Spark's name of the streaming algorithm, for errors.
        const ALGORITHM: &'static str;
        /// Log-loss, the L2 updater and labels 0 or 1; otherwise squared loss and the plain updater.
        const LOGISTIC: bool;
        /// The model of these weights, without an intercept.
        fn from_weights(weights: Array1<f64>, features_col: String, prediction_col: String) -> Self;
        /// The model's weights.
        fn weights(&self) -> Result<Array1<f64>>;
        /// The model's prediction for one vector.
        fn score(&self, x: &Vector) -> Result<f64>;
    }
}

use sealed::GeneralizedLinearModel;

impl GeneralizedLinearModel for LinearRegressionModel {
    const ALGORITHM: &'static str = "StreamingLinearRegressionWithSGD";
    const LOGISTIC: bool = false;

    fn from_weights(weights: Array1<f64>, features_col: String, prediction_col: String) -> Self {
        LinearRegressionModel::from_coefficients(weights, 0.0, features_col, prediction_col)
    }

    fn weights(&self) -> Result<Array1<f64>> {
        Ok(self.coefficients().to_dense_array())
    }

    fn score(&self, x: &Vector) -> Result<f64> {
        self.predict(x)
    }
}

impl GeneralizedLinearModel for LogisticRegressionModel {
    const ALGORITHM: &'static str = "StreamingLogisticRegressionWithSGD";
    const LOGISTIC: bool = true;

    fn from_weights(weights: Array1<f64>, features_col: String, prediction_col: String) -> Self {
        LogisticRegressionModel::binomial(weights, features_col, prediction_col)
    }

    fn weights(&self) -> Result<Array1<f64>> {
        Ok(self.coefficients()?.to_dense_array())
    }

    fn score(&self, x: &Vector) -> Result<f64> {
        self.predict(x)
    }
}

/// Linear regression that learns from a stream (Spark's `StreamingLinearRegressionWithSGD`): squared loss, no
/// regularisation; [`latest_model`](StreamingLinearAlgorithm::latest_model) is a [`LinearRegressionModel`].
pub type StreamingLinearRegressionWithSGD = StreamingLinearAlgorithm<LinearRegressionModel>;

/// A linear model trained by SGD on each batch of a stream (Spark's `StreamingLinearAlgorithm`), a builder with
/// Spark's names and defaults; used as [`StreamingLinearRegressionWithSGD`] and
/// [`StreamingLogisticRegressionWithSGD`](crate::classification::StreamingLogisticRegressionWithSGD).
///
/// The model is shared by the algorithm's clones, the query [`train_on`](Self::train_on) starts and the scores
/// [`predict_on`](Self::predict_on) makes.
///
/// ```
/// use flint_engine::prelude::*;
/// use flint_mllib::linalg::Vectors;
/// use flint_mllib::regression::{LabeledPoint, StreamingLinearRegressionWithSGD};
///
/// let session = Session::builder().master("local[2]").build()?;
/// let slr = StreamingLinearRegressionWithSGD::new().step_size(0.5).initial_weights(Vectors::zeros(1));
/// // y = 2x, in three batches.
/// for batch in 0..3 {
///     let points = (0..10).map(|i| {
///         let x = (batch * 10 + i) as f64 / 30.0;
///         LabeledPoint::new(2.0 * x, Vectors::dense(vec![x]))
///     });
///     slr.update_rdd(&session.parallelize(points.collect(), 2))?;
/// }
/// let w = slr.latest_model()?.coefficients().to_array()[0];
/// assert!((w - 2.0).abs() < 0.1, "{w}");
/// # Ok::<(), flint_mllib::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct StreamingLinearAlgorithm<M> {
    step_size: f64,
    num_iterations: usize,
    mini_batch_fraction: f64,
    reg_param: f64,
    convergence_tol: f64,
    initial_weights: Option<Vector>,
    features_col: String,
    label_col: String,
    prediction_col: String,
    model: SharedModel<M>,
}

impl<M> Default for StreamingLinearAlgorithm<M> {
    fn default() -> Self {
        StreamingLinearAlgorithm {
            step_size: 0.1,
            num_iterations: 50,
            mini_batch_fraction: 1.0,
            reg_param: 0.0,
            convergence_tol: 0.001,
            initial_weights: None,
            features_col: "features".into(),
            label_col: "label".into(),
            prediction_col: "prediction".into(),
            model: SharedModel::default(),
        }
    }
}

impl StreamingLinearAlgorithm<LogisticRegressionModel> {
    setters! {
        /// The L2 regularisation strength `λ` (default 0): each step shrinks the weights by `1 − ηλ` first.
        reg_param: f64,
    }
}

impl<M: GeneralizedLinearModel> StreamingLinearAlgorithm<M> {
    /// Spark's defaults: step size 0.1, 50 iterations per batch, every row of a batch in each iteration,
    /// convergence tolerance 0.001; the initial weights must be set with
    /// [`initial_weights`](Self::initial_weights).
    pub fn new() -> Self {
        Self::default()
    }

    setters! {
        /// The first step's size `η` (default 0.1); iteration `i` of each batch steps by `η/√i`.
        step_size: f64,
        /// The largest number of SGD iterations per batch (default 50).
        num_iterations: usize,
        /// The share of a batch's rows each iteration samples, in (0, 1] (default 1: all of them). Iteration `i`
        /// samples with seed `42 + i`, as Spark's, but Flint's sampler picks other rows than Spark's.
        mini_batch_fraction: f64,
        /// A batch's iterations stop once a step moves the weights less than `tol · max(‖w‖, 1)` (default 0.001).
        convergence_tol: f64,
        /// The feature vector column (default `features`).
        features_col: &str,
        /// The label column (default `label`).
        label_col: &str,
        /// The column [`predict_on`](Self::predict_on) adds (default `prediction`).
        prediction_col: &str,
    }

    /// The weights to start from, one per feature (Spark's `setInitialWeights`); a new model.
    pub fn initial_weights(mut self, weights: Vector) -> Self {
        self.initial_weights = Some(weights);
        self.model = SharedModel::default();
        self
    }

    /// Every bad parameter is its own error, named as the builder names it.
    fn validate(&self) -> Result<()> {
        let alg = M::ALGORITHM;
        if !(self.step_size > 0.0 && self.step_size.is_finite()) {
            return Err(Error::param(alg, "step_size", format!("must be finite and positive, got {}", self.step_size)));
        }
        if !(self.mini_batch_fraction > 0.0 && self.mini_batch_fraction <= 1.0) {
            return Err(Error::param(
                alg,
                "mini_batch_fraction",
                format!("must be in (0, 1], got {}", self.mini_batch_fraction),
            ));
        }
        if !(self.reg_param >= 0.0 && self.reg_param.is_finite()) {
            return Err(Error::param(
                alg,
                "reg_param",
                format!("must be finite and non-negative, got {}", self.reg_param),
            ));
        }
        if !(0.0..=1.0).contains(&self.convergence_tol) {
            return Err(Error::param(
                alg,
                "convergence_tol",
                format!("must be in [0, 1], got {}", self.convergence_tol),
            ));
        }
        match &self.initial_weights {
            None => Err(Error::param(
                alg,
                "initial_weights",
                "no initial weights: set them with initial_weights(vector), one per feature, before updating or \
                 predicting",
            )),
            Some(w) if w.active_values().iter().any(|x| !x.is_finite()) => {
                Err(Error::param(alg, "initial_weights", format!("the weights hold NaN or infinite values: {w}")))
            }
            Some(_) => Ok(()),
        }
    }

    fn initial_model(&self) -> Result<M> {
        self.validate()?;
        let weights = self.initial_weights.as_ref().map(Vector::to_dense_array).unwrap_or_default();
        Ok(M::from_weights(weights, self.features_col.clone(), self.prediction_col.clone()))
    }

    /// The model as the last update left it (Spark's `latestModel`); the initial weights before any update.
    pub fn latest_model(&self) -> Result<M> {
        self.validate()?;
        self.model.get(|| self.initial_model())
    }

    /// Updates the model with one batch: the `features` and `label` columns of a DataFrame.
    pub fn update(&self, batch: &DataFrame) -> Result<()> {
        self.validate()?;
        self.update_rdd(&training_points(batch, &self.features_col, &self.label_col, M::ALGORITHM)?)
    }

    /// Updates the model with one batch of labeled points: SGD from the current weights (Spark's
    /// `GeneralizedLinearAlgorithm.run(batch, weights)`). An empty batch changes nothing, as in Spark.
    pub fn update_rdd(&self, points: &Rdd<LabeledPoint>) -> Result<()> {
        let alg = M::ALGORITHM;
        self.validate()?;
        if points.is_empty()? {
            return Ok(());
        }
        let blocks = crate::blocks::to_labeled_blocks(points, alg)?;
        if M::LOGISTIC
            && let Some(bad) = points.filter(|p| p.label != 0.0 && p.label != 1.0).take(1)?.first()
        {
            return Err(Error::data(alg, format!("labels must be 0 or 1, found {} in {bad}", bad.label)));
        }
        let sgd = MiniBatchSgd {
            loss: if M::LOGISTIC { Loss::Logistic } else { Loss::Squared },
            updater: if M::LOGISTIC { Updater::SquaredL2 } else { Updater::Simple },
            step_size: self.step_size,
            num_iterations: self.num_iterations,
            reg_param: self.reg_param,
            mini_batch_fraction: self.mini_batch_fraction,
            convergence_tol: self.convergence_tol,
        };
        self.model.update(
            || self.initial_model(),
            |model| {
                let weights = model.weights()?;
                if blocks.dim != weights.len() {
                    return Err(Error::data(
                        alg,
                        format!("the model has {} weights, the batch has {} features", weights.len(), blocks.dim),
                    ));
                }
                let weights = sgd.run(points, &blocks, alg, weights)?;
                Ok(M::from_weights(weights, self.features_col.clone(), self.prediction_col.clone()))
            },
        )
    }

    /// Starts a query that updates the model with each micro-batch of a streaming DataFrame (Spark's `trainOn`).
    /// The model lives in memory: a query restarted from its checkpoint goes on from the model as it is then.
    pub fn train_on(&self, stream: &DataFrame) -> Result<StreamingQuery> {
        self.latest_model()?;
        let algorithm = self.clone();
        train_on(stream, M::ALGORITHM, move |batch| algorithm.update(batch))
    }

    /// Adds the `prediction` column (a double: the value, or the class 0 or 1), lazily: each batch of rows is
    /// scored by the model current when it is scored (Spark's `predictOn`). On the stream that trains the model,
    /// a micro-batch may be scored before or after the update it brings.
    pub fn predict_on(&self, df: &DataFrame) -> Result<DataFrame> {
        self.latest_model()?;
        let shared = self.model.clone();
        let column = map_vectors("streaming_linear_predict", &self.features_col, DataType::Float64, move |vectors| {
            let model = shared.current(M::ALGORITHM)?;
            each_number(vectors, |v| model.score(v))
        });
        Ok(df.with_column(&self.prediction_col, column)?)
    }
}
