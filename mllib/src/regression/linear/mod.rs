//! Linear least-squares regression (Spark's `LinearRegression`) with L2, L1 and elastic-net regularisation.

mod lbfgs;
mod normal;

use crate::display::{feature_table, number};
use crate::error::{Error, Result};
use crate::frame::{map_each_margin, training_points};
use crate::linalg::Vector;
use crate::persistence::{Metadata, MlWriter, Persist, Table, Tables, data_table, persistable, vector_column};
use crate::pipeline::{Estimator, Transformer};
use crate::regression::LabeledPoint;
use arrow::array::{Float64Array, RecordBatch};
use flint_engine::notebook::Report;
use flint_engine::prelude::*;
use ndarray::Array1;
use normal::{Moments, Penalty};
use serde_json::{Map, Value, json};
use std::sync::Arc;

/// How [`LinearRegression`] finds its coefficients (Spark's `solver`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Solver {
    /// `normal` up to 4096 features, `l-bfgs` beyond (Spark's default and rule).
    #[default]
    Auto,
    /// The normal equations from one pass of moments (Spark's `WeightedLeastSquares`): exact.
    Normal,
    /// L-BFGS (OWL-QN with L1) over the cached rows, one pass per evaluation; `max_iter` and `tol` apply.
    LBfgs,
}

impl std::str::FromStr for Solver {
    type Err = Error;

    /// Spark's names: `auto`, `normal`, `l-bfgs`.
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "auto" => Ok(Solver::Auto),
            "normal" => Ok(Solver::Normal),
            "l-bfgs" => Ok(Solver::LBfgs),
            _ => Err(Error::param(
                "LinearRegression",
                "solver",
                format!("`{s}` is not a solver: use auto, normal or l-bfgs"),
            )),
        }
    }
}

/// Spark's limit for the normal solver under `auto` (`WeightedLeastSquares.MAX_NUM_FEATURES`).
const MAX_NORMAL_FEATURES: usize = 4096;

/// Linear regression; a builder of hyperparameters with Spark's names and defaults.
///
/// ```
/// use flint_engine::prelude::*;
/// use flint_mllib::linalg::Vectors;
/// use flint_mllib::regression::{LabeledPoint, LinearRegression};
///
/// let session = Session::builder().master("local[2]").build()?;
/// // y = 1 + 2x, exactly.
/// let points = (0..10).map(|x| LabeledPoint::new(1.0 + 2.0 * x as f64, Vectors::dense(vec![x as f64]))).collect();
/// let model = LinearRegression::new().fit_rdd(&session.parallelize(points, 2))?;
/// assert!((model.coefficients().to_array()[0] - 2.0).abs() < 1e-12 && (model.intercept() - 1.0).abs() < 1e-12);
/// assert!(model.summary().r2 > 0.999_999);
/// # Ok::<(), flint_mllib::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct LinearRegression {
    solver: Solver,
    max_iter: usize,
    tol: f64,
    reg_param: f64,
    elastic_net_param: f64,
    fit_intercept: bool,
    standardization: bool,
    features_col: String,
    label_col: String,
    prediction_col: String,
}

impl Default for LinearRegression {
    fn default() -> Self {
        LinearRegression {
            solver: Solver::Auto,
            max_iter: 100,
            tol: 1e-6,
            reg_param: 0.0,
            elastic_net_param: 0.0,
            fit_intercept: true,
            standardization: true,
            features_col: "features".into(),
            label_col: "label".into(),
            prediction_col: "prediction".into(),
        }
    }
}

impl LinearRegression {
    /// Ordinary least squares with an intercept (Spark's defaults: `reg_param` 0, `elastic_net_param` 0,
    /// `fit_intercept` and `standardization` true).
    pub fn new() -> Self {
        Self::default()
    }

    /// The solver (default [`Solver::Auto`]).
    pub fn solver(mut self, solver: Solver) -> Self {
        self.solver = solver;
        self
    }

    /// The largest number of L-BFGS iterations (default 100; the normal solver ignores it).
    pub fn max_iter(mut self, max_iter: usize) -> Self {
        self.max_iter = max_iter;
        self
    }

    /// L-BFGS convergence tolerance, Spark's rule (default 1e-6; the normal solver ignores it).
    pub fn tol(mut self, tol: f64) -> Self {
        self.tol = tol;
        self
    }

    /// The regularisation strength `λ` (default 0).
    pub fn reg_param(mut self, reg_param: f64) -> Self {
        self.reg_param = reg_param;
        self
    }

    /// The L1 share `α` of the penalty: 0 is ridge (default), 1 is lasso.
    pub fn elastic_net_param(mut self, alpha: f64) -> Self {
        self.elastic_net_param = alpha;
        self
    }

    /// Whether to fit an intercept (default true).
    pub fn fit_intercept(mut self, fit: bool) -> Self {
        self.fit_intercept = fit;
        self
    }

    /// Whether the penalty applies to standardised coefficients (default true); the coefficients are always
    /// returned on the original scale.
    pub fn standardization(mut self, standardize: bool) -> Self {
        self.standardization = standardize;
        self
    }

    /// The feature vector column (default `features`).
    pub fn features_col(mut self, name: &str) -> Self {
        self.features_col = name.to_string();
        self
    }

    /// The label column (default `label`).
    pub fn label_col(mut self, name: &str) -> Self {
        self.label_col = name.to_string();
        self
    }

    /// The column `transform` adds (default `prediction`).
    pub fn prediction_col(mut self, name: &str) -> Self {
        self.prediction_col = name.to_string();
        self
    }

    fn validate(&self) -> Result<()> {
        const ALG: &str = "LinearRegression";
        if !(self.reg_param >= 0.0 && self.reg_param.is_finite()) {
            return Err(Error::param(
                ALG,
                "reg_param",
                format!("must be finite and non-negative, got {}", self.reg_param),
            ));
        }
        if !(self.tol >= 0.0 && self.tol.is_finite()) {
            return Err(Error::param(ALG, "tol", format!("must be finite and non-negative, got {}", self.tol)));
        }
        if !(0.0..=1.0).contains(&self.elastic_net_param) {
            return Err(Error::param(
                ALG,
                "elastic_net_param",
                format!("must be in [0, 1], got {}", self.elastic_net_param),
            ));
        }
        Ok(())
    }

    /// Fits on an RDD of labeled points.
    pub fn fit_rdd(&self, points: &Rdd<LabeledPoint>) -> Result<LinearRegressionModel> {
        self.validate()?;
        let (_, d) = crate::regression::check_points(points, "LinearRegression")?;
        let penalty = Penalty {
            reg_param: self.reg_param,
            elastic_net_param: self.elastic_net_param,
            fit_intercept: self.fit_intercept,
            standardization: self.standardization,
        };
        let normal = match self.solver {
            Solver::Auto => d <= MAX_NORMAL_FEATURES,
            Solver::Normal => true,
            Solver::LBfgs => false,
        };
        let (coefficients, intercept) = if normal {
            normal::solve(&Moments::of(points, d)?, penalty)?
        } else {
            lbfgs::solve(points, penalty, self.max_iter, self.tol)?
        };
        let mut model = LinearRegressionModel {
            coefficients: Arc::new(coefficients),
            intercept,
            summary: LinearRegressionSummary::default(),
            features_col: self.features_col.clone(),
            prediction_col: self.prediction_col.clone(),
        };
        model.summary = model.evaluate_rdd(points, self.fit_intercept)?;
        Ok(model)
    }
}

impl Estimator for LinearRegression {
    type Model = LinearRegressionModel;

    /// Fits on the `features` and `label` columns of a DataFrame.
    fn fit(&self, df: &DataFrame) -> Result<LinearRegressionModel> {
        self.validate()?;
        self.fit_rdd(&training_points(df, &self.features_col, &self.label_col, "LinearRegression")?)
    }
}

/// Training metrics (Spark's `LinearRegressionTrainingSummary`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LinearRegressionSummary {
    /// The number of training rows.
    pub num_instances: u64,
    /// Root mean squared error.
    pub root_mean_squared_error: f64,
    /// Mean squared error.
    pub mean_squared_error: f64,
    /// Mean absolute error.
    pub mean_absolute_error: f64,
    /// Coefficient of determination (through the origin when no intercept is fitted, as Spark).
    pub r2: f64,
    /// The variance the predictions explain, `Σ(ŷ − ȳ)²/n`.
    pub explained_variance: f64,
}

/// A fitted linear model.
#[derive(Debug, Clone)]
pub struct LinearRegressionModel {
    coefficients: Arc<Array1<f64>>,
    intercept: f64,
    summary: LinearRegressionSummary,
    features_col: String,
    pub(crate) prediction_col: String,
}

/// The notebook form: Spark's `toString`, the intercept, the training summary when the model has one (a loaded
/// model has none), and the coefficients.
impl NotebookDisplay for LinearRegressionModel {
    fn mime_bundle(&self) -> Vec<(&'static str, String)> {
        let mut report = Report::new(format!("LinearRegressionModel: numFeatures={}", self.coefficients.len()))
            .field("intercept", number(self.intercept));
        let s = &self.summary;
        if s.num_instances > 0 {
            report = report
                .field("numInstances", s.num_instances)
                .field("r2", number(s.r2))
                .field("rootMeanSquaredError", number(s.root_mean_squared_error))
                .field("meanSquaredError", number(s.mean_squared_error))
                .field("meanAbsoluteError", number(s.mean_absolute_error));
        }
        let coefficients = self.coefficients.to_vec();
        feature_table(report, "coefficients", &[("coefficient", &coefficients)]).mime_bundle()
    }
}

impl LinearRegressionModel {
    /// A model of these coefficients without a training summary (loaded, or trained on a stream).
    pub(crate) fn from_coefficients(
        coefficients: Array1<f64>,
        intercept: f64,
        features_col: String,
        prediction_col: String,
    ) -> Self {
        LinearRegressionModel {
            coefficients: Arc::new(coefficients),
            intercept,
            summary: LinearRegressionSummary::default(),
            features_col,
            prediction_col,
        }
    }

    /// The coefficients, one per feature.
    pub fn coefficients(&self) -> Vector {
        Vector::Dense(self.coefficients.as_ref().clone())
    }

    /// The intercept (0 when none was fitted).
    pub fn intercept(&self) -> f64 {
        self.intercept
    }

    /// The training summary.
    pub fn summary(&self) -> &LinearRegressionSummary {
        &self.summary
    }

    /// The prediction for one feature vector.
    pub fn predict(&self, x: &Vector) -> Result<f64> {
        if x.size() != self.coefficients.len() {
            return Err(size_error(self.coefficients.len(), x.size()));
        }
        Ok(x.dot_dense(&self.coefficients) + self.intercept)
    }

    /// Regression metrics of the model on labeled points (one pass).
    fn evaluate_rdd(&self, points: &Rdd<LabeledPoint>, fit_intercept: bool) -> Result<LinearRegressionSummary> {
        let model = self.clone();
        // (n, Σ(y−ŷ)², Σ|y−ŷ|, Σy, Σy², Σŷ, Σŷ²)
        let sums = points
            .map(move |p| {
                let yhat = p.features.dot_dense(&model.coefficients) + model.intercept;
                let r = p.label - yhat;
                [1.0, r * r, r.abs(), p.label, p.label * p.label, yhat, yhat * yhat]
            })
            .fold([0.0; 7], |a, b| std::array::from_fn(|i| a[i] + b[i]))?;
        let [n, sse, sae, sy, syy, sp, spp] = sums;
        let y_mean = sy / n;
        let sst = if fit_intercept { syy - n * y_mean * y_mean } else { syy };
        Ok(LinearRegressionSummary {
            num_instances: n as u64,
            root_mean_squared_error: (sse / n).sqrt(),
            mean_squared_error: sse / n,
            mean_absolute_error: sae / n,
            r2: 1.0 - sse / sst,
            // Σ(ŷ − ȳ)² = Σŷ² − 2ȳΣŷ + nȳ²
            explained_variance: (spp - 2.0 * y_mean * sp + n * y_mean * y_mean) / n,
        })
    }
}

persistable!(LinearRegressionModel);

/// Spark's layout: `data/` holds one row `intercept: double, coefficients: vector, scale: double` (`scale` is the
/// Huber loss's σ, 1 for squared error).
impl Persist for LinearRegressionModel {
    const CLASS: &'static str = "org.apache.spark.ml.regression.LinearRegressionModel";

    fn params(&self) -> Map<String, Value> {
        let mut map = Map::new();
        map.insert("featuresCol".into(), json!(self.features_col));
        map.insert("predictionCol".into(), json!(self.prediction_col));
        map.insert("loss".into(), json!("squaredError"));
        map
    }

    fn tables(&self) -> Result<Vec<(&'static str, RecordBatch)>> {
        data_table(vec![
            ("intercept", Arc::new(Float64Array::from(vec![self.intercept]))),
            ("coefficients", vector_column(&[self.coefficients()])),
            ("scale", Arc::new(Float64Array::from(vec![1.0]))),
        ])
    }

    fn from_saved(metadata: &Metadata, tables: &Tables) -> Result<Self> {
        let data = tables.one_row("data", "a linear model")?;
        if metadata.string("loss", "squaredError")? != "squaredError" {
            return Err(metadata.error("only squaredError linear models load (Flint has no Huber loss yet)"));
        }
        let (intercept, coefficients) =
            (data.value("intercept", Table::doubles)?, data.value("coefficients", Table::vectors)?);
        Ok(LinearRegressionModel::from_coefficients(
            coefficients.to_dense_array(),
            intercept,
            metadata.string("featuresCol", "features")?,
            metadata.string("predictionCol", "prediction")?,
        ))
    }
}

/// A point of `size` features given to a model of `features`.
fn size_error(features: usize, size: usize) -> Error {
    Error::data("LinearRegressionModel", format!("the model has {features} features, the point has {size}"))
}

impl Transformer for LinearRegressionModel {
    /// Adds the `prediction` column (a double), lazily.
    fn transform(&self, df: &DataFrame) -> Result<DataFrame> {
        let (features, intercept) = (self.coefficients.len(), self.intercept);
        let column = map_each_margin(
            "linear_regression_predict",
            &self.features_col,
            Arc::clone(&self.coefficients),
            move |margin| margin + intercept,
            move |size| size_error(features, size),
        );
        Ok(df.with_column(&self.prediction_col, column)?)
    }

    fn writer(&self) -> Option<MlWriter<'_>> {
        Some(MlWriter::new(self))
    }
}
