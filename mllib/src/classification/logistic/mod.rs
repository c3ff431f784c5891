//! Logistic regression (Spark's `LogisticRegression`): binomial or multinomial, with L2, L1 or elastic-net
//! regularisation, fitted by L-BFGS (OWL-QN with L1) over the cached partitions, each evaluation of the
//! objective one distributed pass.
//!
//! The objective, as Spark's: the mean log-loss plus `λ(α‖w̃‖₁ + (1−α)/2‖w̃‖²)`, where `w̃ⱼ = wⱼσⱼ` (σⱼ the
//! feature's sample standard deviation) with `standardization`, `wⱼ` without; intercepts are not penalised.

use crate::blocks::to_labeled_blocks;
use crate::builder::setters;
use crate::display::number;
use crate::error::{Error, Result};
use crate::evaluation::area_under_roc;
use crate::frame::{map_each_number, map_each_vector, training_points};
use crate::linalg::{DenseMatrix, Vector};
use crate::optim::{Loss, Penalized, Scaling, Shape, softplus};
use crate::persistence::{
    Metadata, MlWriter, Persist, Table, Tables, data_table, matrices_to_array, persistable, vector_column,
};
use crate::pipeline::{Estimator, Transformer};
use crate::regression::LabeledPoint;
use crate::stat::MultivariateStatisticalSummary;
use arrow::array::{BooleanArray, Int32Array, RecordBatch};
use flint_engine::notebook::Report;
use flint_engine::prelude::*;
use ndarray::{Array1, Array2, Axis};
use serde_json::{Map, Value, json};
use std::sync::Arc;

/// Which model to fit (Spark's `family`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Family {
    /// Binomial for two classes, multinomial for more (Spark's default).
    #[default]
    Auto,
    /// One coefficient vector and intercept; labels 0 and 1.
    Binomial,
    /// One coefficient vector and intercept per class (softmax).
    Multinomial,
}

impl std::str::FromStr for Family {
    type Err = Error;

    /// Spark's names: `auto`, `binomial`, `multinomial`.
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "auto" => Ok(Family::Auto),
            "binomial" => Ok(Family::Binomial),
            "multinomial" => Ok(Family::Multinomial),
            _ => Err(Error::param(
                "LogisticRegression",
                "family",
                format!("`{s}` is not a family: use auto, binomial or multinomial"),
            )),
        }
    }
}

/// Logistic regression; a builder with Spark's names and defaults.
///
/// ```
/// use flint_engine::prelude::*;
/// use flint_mllib::classification::LogisticRegression;
/// use flint_mllib::linalg::Vectors;
/// use flint_mllib::regression::LabeledPoint;
///
/// let session = Session::builder().master("local[2]").build()?;
/// let points: Vec<LabeledPoint> = (0..40)
///     .map(|i| LabeledPoint::new(f64::from(i >= 20), Vectors::dense(vec![f64::from(i) + if i % 3 == 0 { 9.0 } else { 0.0 }])))
///     .collect();
/// let model = LogisticRegression::new().reg_param(0.01).fit_rdd(&session.parallelize(points, 2))?;
/// assert_eq!(model.predict(&Vectors::dense(vec![35.0]))?, 1.0);
/// assert!(model.summary().accuracy > 0.8);
/// # Ok::<(), flint_mllib::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct LogisticRegression {
    max_iter: usize,
    reg_param: f64,
    elastic_net_param: f64,
    tol: f64,
    fit_intercept: bool,
    standardization: bool,
    threshold: f64,
    family: Family,
    features_col: String,
    label_col: String,
    prediction_col: String,
    probability_col: String,
    raw_prediction_col: String,
}

impl Default for LogisticRegression {
    fn default() -> Self {
        LogisticRegression {
            max_iter: 100,
            reg_param: 0.0,
            elastic_net_param: 0.0,
            tol: 1e-6,
            fit_intercept: true,
            standardization: true,
            threshold: 0.5,
            family: Family::Auto,
            features_col: "features".into(),
            label_col: "label".into(),
            prediction_col: "prediction".into(),
            probability_col: "probability".into(),
            raw_prediction_col: "rawPrediction".into(),
        }
    }
}

impl LogisticRegression {
    /// Spark's defaults: 100 iterations, no regularisation, `tol` 1e-6, intercept, standardization, threshold 0.5.
    pub fn new() -> Self {
        Self::default()
    }

    setters! {
        /// The largest number of L-BFGS iterations (default 100).
        max_iter: usize,
        /// The regularisation strength `λ` (default 0).
        reg_param: f64,
        /// The L1 share `α` of the penalty (default 0: ridge).
        elastic_net_param: f64,
        /// Convergence, Spark's rule: stop when the objective moved less than `tol`·|initial objective| over the
        /// last 20 iterations, or the gradient norm is at most `max(tol`·|objective|`, 1e-8)` (default 1e-6).
        tol: f64,
        /// Whether to fit intercepts (default true).
        fit_intercept: bool,
        /// Whether the penalty applies to standardised coefficients (default true).
        standardization: bool,
        /// The probability of class 1 above which a binomial model predicts 1 (default 0.5).
        threshold: f64,
        /// Binomial, multinomial, or chosen by the number of classes (default).
        family: Family,
        /// The feature vector column (default `features`).
        features_col: &str,
        /// The label column (default `label`).
        label_col: &str,
        /// The predicted class column (default `prediction`).
        prediction_col: &str,
        /// The class probabilities column (default `probability`).
        probability_col: &str,
        /// The margins column (default `rawPrediction`).
        raw_prediction_col: &str,
    }

    fn validate(&self) -> Result<()> {
        const ALG: &str = "LogisticRegression";
        if !(self.reg_param >= 0.0 && self.reg_param.is_finite()) {
            return Err(Error::param(
                ALG,
                "reg_param",
                format!("must be finite and non-negative, got {}", self.reg_param),
            ));
        }
        if !(0.0..=1.0).contains(&self.elastic_net_param) {
            return Err(Error::param(
                ALG,
                "elastic_net_param",
                format!("must be in [0, 1], got {}", self.elastic_net_param),
            ));
        }
        if !(self.tol >= 0.0 && self.tol.is_finite()) {
            return Err(Error::param(ALG, "tol", format!("must be finite and non-negative, got {}", self.tol)));
        }
        if !(0.0..=1.0).contains(&self.threshold) {
            return Err(Error::param(ALG, "threshold", format!("must be in [0, 1], got {}", self.threshold)));
        }
        Ok(())
    }

    /// Fits on labeled points with labels 0, 1, … (class indices).
    pub fn fit_rdd(&self, points: &Rdd<LabeledPoint>) -> Result<LogisticRegressionModel> {
        const ALG: &str = "LogisticRegression";
        self.validate()?;
        let blocks = to_labeled_blocks(points, ALG)?;
        let d = blocks.dim;
        // One pass: feature statistics, class counts, the first label that is not a class index.
        let (summary, counts, bad) = crate::blocks::aggregate_ref(
            points,
            (Ok(MultivariateStatisticalSummary::new()), Vec::<f64>::new(), None::<f64>),
            |(s, mut counts, bad), p| {
                let s = s.and_then(|mut s: MultivariateStatisticalSummary| {
                    s.add(&p.features).map_err(|e| e.to_string())?;
                    Ok(s)
                });
                let y = p.label;
                if y >= 0.0 && y.fract() == 0.0 && y < 1e6 {
                    let c = y as usize;
                    if counts.len() <= c {
                        counts.resize(c + 1, 0.0);
                    }
                    counts[c] += 1.0;
                    (s, counts, bad)
                } else {
                    (s, counts, bad.or(Some(y)))
                }
            },
            |(a, mut ca, ba), (b, cb, bb)| {
                let s = a.and_then(|a| b.and_then(|b| a.merge(b).map_err(|e| e.to_string())));
                if ca.len() < cb.len() {
                    ca.resize(cb.len(), 0.0);
                }
                for (x, y) in ca.iter_mut().zip(&cb) {
                    *x += y;
                }
                (s, ca, ba.or(bb))
            },
        )?;
        if let Some(y) = bad {
            return Err(Error::data(ALG, format!("label {y} is not a class index: labels must be 0, 1, 2, …")));
        }
        let summary = summary.map_err(|m| Error::data(ALG, m))?;
        let classes = counts.len().max(2);
        let multinomial = match self.family {
            Family::Auto => classes > 2,
            Family::Binomial if classes > 2 => {
                return Err(Error::param(
                    ALG,
                    "family",
                    format!("binomial needs labels 0 and 1, the data has {classes} classes; use multinomial"),
                ));
            }
            Family::Binomial => false,
            Family::Multinomial => true,
        };
        let k = if multinomial { classes } else { 1 };
        let shape = Shape { k, d, intercept: self.fit_intercept };
        let std = summary.variance()?.to_dense_array().mapv(f64::sqrt);
        let inv_std = std.mapv(|s| if s > 0.0 { 1.0 / s } else { 0.0 });
        // Centring only makes sense beside an intercept that absorbs it.
        let mean = if self.fit_intercept { summary.mean()?.to_dense_array() } else { Array1::zeros(d) };
        let scaling = Scaling { mean, inv_std, label_mean: 0.0, label_scale: 1.0 };
        let mut theta = Array1::zeros(shape.len());
        let n = blocks.rows as f64;
        if self.fit_intercept {
            // Spark's start: the log-odds (log priors, centred) of the classes.
            let count = |c: usize| counts.get(c).copied().unwrap_or(0.0);
            if multinomial {
                let logs: Vec<f64> = (0..k).map(|c| ((count(c) + 1.0) / (n + k as f64)).ln()).collect();
                let mean = logs.iter().sum::<f64>() / k as f64;
                for c in 0..k {
                    theta[k * d + c] = logs[c] - mean;
                }
            } else if count(0) > 0.0 && count(1) > 0.0 {
                theta[d] = (count(1) / count(0)).ln();
            }
        }
        let problem = Penalized {
            loss: if multinomial { Loss::Softmax } else { Loss::Logistic },
            shape,
            scaling,
            reg_param: self.reg_param,
            elastic_net_param: self.elastic_net_param,
            standardization: self.standardization,
            max_iter: self.max_iter,
            tol: self.tol,
        };
        let minimum = problem.minimize(&blocks, theta)?;
        let scaling = problem.scaling;
        let (w_std, b_centred) = shape.split(&minimum.x);
        let (mut w, mut b) = scaling.to_raw(&w_std, &b_centred);
        if multinomial {
            // As Spark: intercepts centred; without regularisation the coefficients too (the model is otherwise
            // only defined up to a shift shared by the classes).
            let mean = b.mean().unwrap_or(0.0);
            b -= mean;
            if self.reg_param == 0.0 {
                let means = w.mean_axis(Axis(0)).unwrap_or_else(|| Array1::zeros(d));
                w -= &means.insert_axis(Axis(0));
            }
        }
        let mut model = LogisticRegressionModel {
            coefficients: Arc::new(w),
            intercepts: Arc::new(b),
            num_classes: classes,
            multinomial,
            threshold: self.threshold,
            summary: LogisticRegressionSummary::default(),
            features_col: self.features_col.clone(),
            prediction_col: self.prediction_col.clone(),
            probability_col: self.probability_col.clone(),
            raw_prediction_col: self.raw_prediction_col.clone(),
        };
        model.summary = model.evaluate(points, minimum.history, minimum.iterations)?;
        Ok(model)
    }
}

impl Estimator for LogisticRegression {
    type Model = LogisticRegressionModel;

    /// Fits on the `features` and `label` columns of a DataFrame.
    fn fit(&self, df: &DataFrame) -> Result<LogisticRegressionModel> {
        self.validate()?;
        self.fit_rdd(&training_points(df, &self.features_col, &self.label_col, "LogisticRegression")?)
    }
}

/// Training metrics (Spark's `LogisticRegressionTrainingSummary`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LogisticRegressionSummary {
    /// The share of training rows predicted right.
    pub accuracy: f64,
    /// The area under the ROC curve of the probability of class 1 (binomial models; NaN otherwise).
    pub area_under_roc: f64,
    /// The objective (loss plus penalty) at the start and after each iteration.
    pub objective_history: Vec<f64>,
    /// The number of L-BFGS iterations run.
    pub total_iterations: usize,
}

/// A fitted logistic regression model.
#[derive(Debug, Clone)]
pub struct LogisticRegressionModel {
    /// `k × d`: one row per class (one row for a binomial model).
    coefficients: Arc<Array2<f64>>,
    intercepts: Arc<Array1<f64>>,
    num_classes: usize,
    multinomial: bool,
    threshold: f64,
    summary: LogisticRegressionSummary,
    features_col: String,
    prediction_col: String,
    probability_col: String,
    raw_prediction_col: String,
}

/// The notebook form: Spark's `toString`, the threshold of a binomial model, the training summary when the model
/// has one, and the intercepts and coefficients, one row per class (one row for a binomial model).
impl NotebookDisplay for LogisticRegressionModel {
    fn mime_bundle(&self) -> Vec<(&'static str, String)> {
        let d = self.coefficients.ncols();
        let title = format!("LogisticRegressionModel: numClasses={}, numFeatures={d}", self.num_classes);
        let mut report = Report::new(title);
        if !self.multinomial {
            report = report.field("threshold", number(self.threshold));
        }
        let s = &self.summary;
        if !s.objective_history.is_empty() {
            report = report.field("accuracy", number(s.accuracy)).field("totalIterations", s.total_iterations);
            if !s.area_under_roc.is_nan() {
                report = report.field("areaUnderROC", number(s.area_under_roc));
            }
        }
        let header = ["class", "intercept"].into_iter().map(String::from).chain((0..d).map(|j| format!("x{j}")));
        let rows = self
            .coefficients
            .rows()
            .into_iter()
            .zip(self.intercepts.iter())
            .enumerate()
            .map(|(class, (w, &b))| {
                // A binomial model's one row is class 1's margin against class 0.
                let class = if self.multinomial { class } else { 1 };
                [class.to_string(), number(b)].into_iter().chain(w.iter().map(|&v| number(v))).collect()
            })
            .collect();
        report.table("coefficients", header.collect(), rows).mime_bundle()
    }
}

impl LogisticRegressionModel {
    /// A binomial model of these coefficients, without intercept, threshold 0.5 and no training summary (trained
    /// on a stream); `transform`'s other columns take their default names.
    pub(crate) fn binomial(coefficients: Array1<f64>, features_col: String, prediction_col: String) -> Self {
        let defaults = LogisticRegression::default();
        LogisticRegressionModel {
            coefficients: Arc::new(coefficients.insert_axis(Axis(0))),
            intercepts: Arc::new(Array1::zeros(1)),
            num_classes: 2,
            multinomial: false,
            threshold: defaults.threshold,
            summary: LogisticRegressionSummary::default(),
            features_col,
            prediction_col,
            probability_col: defaults.probability_col,
            raw_prediction_col: defaults.raw_prediction_col,
        }
    }

    /// The coefficients of a binomial model.
    pub fn coefficients(&self) -> Result<Vector> {
        if self.multinomial {
            return Err(Error::data("LogisticRegressionModel", "a multinomial model has a coefficient matrix"));
        }
        Ok(Vector::Dense(self.coefficients.row(0).to_owned()))
    }

    /// The intercept of a binomial model.
    pub fn intercept(&self) -> Result<f64> {
        if self.multinomial {
            return Err(Error::data("LogisticRegressionModel", "a multinomial model has an intercept vector"));
        }
        Ok(self.intercepts[0])
    }

    /// The coefficients, one row per class (one row for a binomial model).
    pub fn coefficient_matrix(&self) -> DenseMatrix {
        DenseMatrix::from_array(self.coefficients.as_ref().clone())
    }

    /// The intercepts, one per class (one for a binomial model).
    pub fn intercept_vector(&self) -> Vector {
        Vector::Dense(self.intercepts.as_ref().clone())
    }

    /// The number of classes.
    pub fn num_classes(&self) -> usize {
        self.num_classes
    }

    /// The training summary.
    pub fn summary(&self) -> &LogisticRegressionSummary {
        &self.summary
    }

    fn margins(&self, x: &Vector) -> Result<Array1<f64>> {
        let d = self.coefficients.ncols();
        if x.size() != d {
            return Err(Error::data(
                "LogisticRegressionModel",
                format!("the model has {d} features, the point has {}", x.size()),
            ));
        }
        Ok(self
            .coefficients
            .rows()
            .into_iter()
            .zip(self.intercepts.iter())
            .map(|(w, b)| x.dot_dense(&w.to_owned()) + b)
            .collect())
    }

    /// The raw prediction: `[−m, m]` for a binomial model (m the margin), the class margins otherwise.
    pub fn predict_raw(&self, x: &Vector) -> Result<Vector> {
        let m = self.margins(x)?;
        Ok(Vector::Dense(if self.multinomial { m } else { Array1::from(vec![-m[0], m[0]]) }))
    }

    /// The class probabilities.
    pub fn predict_probability(&self, x: &Vector) -> Result<Vector> {
        let m = self.margins(x)?;
        Ok(Vector::Dense(if self.multinomial {
            let max = m.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let e = m.mapv(|v| (v - max).exp());
            let sum = e.sum();
            e / sum
        } else {
            let p = (-softplus(-m[0])).exp();
            Array1::from(vec![1.0 - p, p])
        }))
    }

    /// The predicted class (as a double, as Spark).
    pub fn predict(&self, x: &Vector) -> Result<f64> {
        let p = self.predict_probability(x)?;
        Ok(if self.multinomial {
            p.argmax().unwrap_or(0) as f64
        } else if p.get(1)? > self.threshold {
            1.0
        } else {
            0.0
        })
    }

    fn evaluate(
        &self,
        points: &Rdd<LabeledPoint>,
        history: Vec<f64>,
        iterations: usize,
    ) -> Result<LogisticRegressionSummary> {
        let model = self.clone();
        let scored = points
            .map(move |p| {
                let prob = model.predict_probability(&p.features).ok().and_then(|v| v.get(1).ok()).unwrap_or(f64::NAN);
                let right = model.predict(&p.features).is_ok_and(|c| c == p.label);
                (prob, p.label, right)
            })
            .collect()?;
        let accuracy = scored.iter().filter(|s| s.2).count() as f64 / scored.len().max(1) as f64;
        let area_under_roc =
            if self.multinomial { f64::NAN } else { area_under_roc(scored.iter().map(|s| (s.0, s.1)).collect()) };
        Ok(LogisticRegressionSummary {
            accuracy,
            area_under_roc,
            objective_history: history,
            total_iterations: iterations,
        })
    }
}

persistable!(LogisticRegressionModel);

/// Spark's layout: `data/` holds one row `numClasses: int, numFeatures: int, interceptVector: vector,
/// coefficientMatrix: matrix, isMultinomial: boolean`.
impl Persist for LogisticRegressionModel {
    const CLASS: &'static str = "org.apache.spark.ml.classification.LogisticRegressionModel";

    fn params(&self) -> Map<String, Value> {
        let mut map = Map::new();
        map.insert("threshold".into(), json!(self.threshold));
        map.insert("family".into(), json!(if self.multinomial { "multinomial" } else { "binomial" }));
        map.insert("featuresCol".into(), json!(self.features_col));
        map.insert("predictionCol".into(), json!(self.prediction_col));
        map.insert("probabilityCol".into(), json!(self.probability_col));
        map.insert("rawPredictionCol".into(), json!(self.raw_prediction_col));
        map
    }

    fn tables(&self) -> Result<Vec<(&'static str, RecordBatch)>> {
        data_table(vec![
            ("numClasses", Arc::new(Int32Array::from(vec![self.num_classes as i32]))),
            ("numFeatures", Arc::new(Int32Array::from(vec![self.coefficients.ncols() as i32]))),
            ("interceptVector", vector_column(&[self.intercept_vector()])),
            ("coefficientMatrix", matrices_to_array(&[self.coefficient_matrix()])),
            ("isMultinomial", Arc::new(BooleanArray::from(vec![self.multinomial]))),
        ])
    }

    fn from_saved(metadata: &Metadata, tables: &Tables) -> Result<Self> {
        let data = tables.one_row("data", "a logistic model")?;
        let (classes, features) = (data.value("numClasses", Table::ints)?, data.value("numFeatures", Table::ints)?);
        let (intercepts, m, multinomial) = (
            data.value("interceptVector", Table::vectors)?,
            data.value("coefficientMatrix", Table::matrices)?,
            data.value("isMultinomial", Table::bools)?,
        );
        let b = intercepts.to_dense_array();
        let rows = if multinomial { classes as usize } else { 1 };
        if classes < 2 || m.num_rows() != rows || m.num_cols() as i64 != features || b.len() != rows {
            return Err(data.error(format!(
                "a {} model of {classes} classes and {features} features needs a {rows}×{features} coefficient \
                 matrix and {rows} intercepts, found {}×{} and {}",
                if multinomial { "multinomial" } else { "binomial" },
                m.num_rows(),
                m.num_cols(),
                b.len()
            )));
        }
        let coefficients = Array2::from_shape_fn((m.num_rows(), m.num_cols()), |(i, j)| m.get(i, j).unwrap_or(0.0));
        Ok(LogisticRegressionModel {
            coefficients: Arc::new(coefficients),
            intercepts: Arc::new(b),
            num_classes: classes as usize,
            multinomial,
            threshold: metadata.f64("threshold", 0.5)?,
            summary: LogisticRegressionSummary::default(),
            features_col: metadata.string("featuresCol", "features")?,
            prediction_col: metadata.string("predictionCol", "prediction")?,
            probability_col: metadata.string("probabilityCol", "probability")?,
            raw_prediction_col: metadata.string("rawPredictionCol", "rawPrediction")?,
        })
    }
}

impl Transformer for LogisticRegressionModel {
    /// Adds `rawPrediction` and `probability` (vectors) and `prediction` (a double), lazily.
    fn transform(&self, df: &DataFrame) -> Result<DataFrame> {
        let vectors = |name: &str, f: fn(&LogisticRegressionModel, &Vector) -> Result<Vector>| {
            let model = self.clone();
            map_each_vector(name, &self.features_col, move |v| f(&model, v))
        };
        let model = self.clone();
        let prediction = map_each_number("logistic_predict", &self.features_col, move |v| model.predict(v));
        let df =
            df.with_column(&self.raw_prediction_col, vectors("logistic_raw", LogisticRegressionModel::predict_raw))?;
        let df = df.with_column(
            &self.probability_col,
            vectors("logistic_probability", LogisticRegressionModel::predict_probability),
        )?;
        Ok(df.with_column(&self.prediction_col, prediction)?)
    }

    fn writer(&self) -> Option<MlWriter<'_>> {
        Some(MlWriter::new(self))
    }
}
