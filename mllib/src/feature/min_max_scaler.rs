//! `MinMaxScaler` (Spark's): each feature rescaled linearly from its training range onto `[min, max]`.
//!
//! For learners that want bounded inputs; the training extremes come from one pass of the column summary, which
//! skips NaN, and the transform keeps NaN as NaN, as Spark (and scikit-learn) do.

use super::columns::{add_vector_column, in_out_param, required_in_out, training_summary};
use crate::builder::setters;
use crate::display::{feature_table, number};
use crate::error::{Error, Result};
use crate::linalg::{Vector, Vectors};
use crate::persistence::{Metadata, MlWriter, Persist, Table, Tables, data_table, persistable, vector_column};
use crate::pipeline::{Estimator, Transformer};
use arrow::array::RecordBatch;
use flint_engine::notebook::Report;
use flint_engine::prelude::*;
use serde_json::{Map, Value, json};
use std::sync::Arc;

const ALG: &str = "MinMaxScaler";

/// Rescales each feature of a vector column to `[min, max]` (Spark's names and defaults: 0 and 1):
/// `(x − Eₘᵢₙ) / (Eₘₐₓ − Eₘᵢₙ) · (max − min) + min`, with `Eₘᵢₙ`, `Eₘₐₓ` the feature's training extremes. A
/// constant feature maps to `(max + min) / 2`, as Spark (scikit-learn maps it to `min`). Each output vector is
/// stored dense or sparse, whichever is smaller (Spark's `compressed`).
///
/// ```
/// use flint_engine::prelude::*;
/// use flint_mllib::feature::{MinMaxScaler, VectorAssembler};
/// use flint_mllib::pipeline::{Estimator, Transformer};
///
/// let session = Session::builder().master("local[2]").build()?;
/// let df = session.create_dataframe(vec![(1.0, 7.0), (3.0, 7.0), (5.0, 7.0)], &["a", "b"])?;
/// let df = VectorAssembler::new(["a", "b"], "features").transform(&df)?;
/// let model = MinMaxScaler::new().input_col("features").output_col("scaled").min(-1.0).fit(&df)?;
/// assert_eq!(model.original_min().to_array(), vec![1.0, 7.0]);
/// assert_eq!(model.original_max().to_array(), vec![5.0, 7.0]);
/// let text = model.transform(&df)?.select(["scaled"])?.show_string(20, 0, false)?;
/// // Onto [-1, 1]; the constant feature goes to the middle of the range, 0.0. The all-zero row is stored sparse.
/// assert!(text.contains("|[-1.0,0.0]|") && text.contains("|(2,[],[]) |") && text.contains("|[1.0,0.0] |"), "{text}");
/// # Ok::<(), flint_mllib::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct MinMaxScaler {
    input_col: Option<String>,
    output_col: Option<String>,
    min: f64,
    max: f64,
}

impl Default for MinMaxScaler {
    fn default() -> Self {
        MinMaxScaler { input_col: None, output_col: None, min: 0.0, max: 1.0 }
    }
}

impl MinMaxScaler {
    /// Spark's defaults: the range `[0, 1]`; the columns must be set.
    pub fn new() -> Self {
        Self::default()
    }

    setters! {
        /// The vector column to rescale.
        input_col: Option<&str>,
        /// The column the model adds.
        output_col: Option<&str>,
        /// The lower bound of the output range (default 0; must be below `max`).
        min: f64,
        /// The upper bound of the output range (default 1).
        max: f64,
    }

    fn validate(&self) -> Result<(String, String)> {
        let (input, output) = required_in_out(ALG, &self.input_col, &self.output_col)?;
        if !(self.min.is_finite() && self.max.is_finite()) {
            return Err(Error::param(
                ALG,
                if self.min.is_finite() { "max" } else { "min" },
                format!("the range must be finite, got [{}, {}]", self.min, self.max),
            ));
        }
        if self.min >= self.max {
            return Err(Error::param(ALG, "min", format!("min = {} must be below max = {}", self.min, self.max)));
        }
        Ok((input, output))
    }
}

impl Estimator for MinMaxScaler {
    type Model = MinMaxScalerModel;

    /// Finds each feature's training minimum and maximum in one pass (NaN skipped). A null row, vectors of
    /// different sizes, an empty column or a feature with no value but NaN is an error naming the column.
    fn fit(&self, df: &DataFrame) -> Result<MinMaxScalerModel> {
        let (input, output) = self.validate()?;
        let summary = training_summary(df, &input, &output, ALG)?;
        let (lo, hi) = (summary.min()?, summary.max()?);
        for (j, (a, b)) in lo.to_array().iter().zip(hi.to_array()).enumerate() {
            if a > &b {
                return Err(Error::data(ALG, format!("feature {j} of column `{input}` has no value other than NaN")));
            }
        }
        Ok(MinMaxScalerModel::new(lo, hi, self.min, self.max, input, output))
    }
}

/// A fitted [`MinMaxScaler`]: the training extremes of each feature.
#[derive(Debug, Clone)]
pub struct MinMaxScalerModel {
    original_min: Vector,
    original_max: Vector,
    min: f64,
    max: f64,
    /// `(max − min) / (Eₘₐₓ − Eₘᵢₙ)`, zero for a constant feature, as Spark's `scaleArray`.
    factors: Vec<f64>,
    lower: Vec<f64>,
    input_col: String,
    output_col: String,
}

impl MinMaxScalerModel {
    fn new(original_min: Vector, original_max: Vector, min: f64, max: f64, input: String, output: String) -> Self {
        let lower = original_min.to_array();
        let factors = lower
            .iter()
            .zip(original_max.to_array())
            .map(|(a, b)| {
                let range = b - a;
                if range != 0.0 { (max - min) / range } else { 0.0 }
            })
            .collect();
        MinMaxScalerModel { original_min, original_max, min, max, factors, lower, input_col: input, output_col: output }
    }

    /// The training minimum of each feature (Spark's `originalMin`).
    pub fn original_min(&self) -> &Vector {
        &self.original_min
    }

    /// The training maximum of each feature (Spark's `originalMax`).
    pub fn original_max(&self) -> &Vector {
        &self.original_max
    }

    setters! {
        /// Reads another vector column.
        input_col: &str,
        /// Writes another output column.
        output_col: &str,
    }

    /// Rescales one vector (NaN stays NaN), stored dense or sparse, whichever is smaller.
    pub fn rescale(&self, v: &Vector) -> Result<Vector> {
        let n = self.lower.len();
        if v.size() != n {
            return Err(Error::data(
                "MinMaxScalerModel",
                format!("the model was fitted on vectors of size {n}, got one of size {}", v.size()),
            ));
        }
        let middle = (self.max + self.min) / 2.0;
        let values = v
            .to_array()
            .iter()
            .enumerate()
            .map(|(i, &x)| {
                if x.is_nan() {
                    x
                } else if self.factors[i] != 0.0 {
                    (x - self.lower[i]) * self.factors[i] + self.min
                } else {
                    middle
                }
            })
            .collect();
        Ok(Vectors::dense(values).compressed())
    }
}

impl Transformer for MinMaxScalerModel {
    /// Adds the rescaled vectors (nulls stay null); lazy, batch by batch.
    fn transform(&self, df: &DataFrame) -> Result<DataFrame> {
        let (model, n) = (Arc::new(self.clone()), self.lower.len());
        let (input, output) = (&self.input_col, &self.output_col);
        add_vector_column(df, input, output, "min_max_scaler", "MinMaxScalerModel", Some(n), move |v| model.rescale(v))
    }

    fn writer(&self) -> Option<MlWriter<'_>> {
        Some(MlWriter::new(self))
    }
}

/// The notebook form: Spark's `toString`, the output range, and each feature's training extremes.
impl NotebookDisplay for MinMaxScalerModel {
    fn mime_bundle(&self) -> Vec<(&'static str, String)> {
        let report = Report::new(format!("MinMaxScalerModel: numFeatures={}", self.lower.len()))
            .field("min", number(self.min))
            .field("max", number(self.max));
        let extremes = [("originalMin", &self.lower[..]), ("originalMax", &self.original_max.to_array()[..])];
        feature_table(report, "statistics", &extremes).mime_bundle()
    }
}

persistable!(MinMaxScalerModel);

/// Spark's layout: `data/` holds one row `originalMin: vector, originalMax: vector`.
impl Persist for MinMaxScalerModel {
    const CLASS: &'static str = "org.apache.spark.ml.feature.MinMaxScalerModel";

    fn params(&self) -> Map<String, Value> {
        let mut map = Map::new();
        map.insert("min".into(), json!(self.min));
        map.insert("max".into(), json!(self.max));
        in_out_param(&mut map, &self.input_col, &self.output_col);
        map
    }

    fn tables(&self) -> Result<Vec<(&'static str, RecordBatch)>> {
        data_table(vec![
            ("originalMin", vector_column(std::slice::from_ref(&self.original_min))),
            ("originalMax", vector_column(std::slice::from_ref(&self.original_max))),
        ])
    }

    fn from_saved(metadata: &Metadata, tables: &Tables) -> Result<Self> {
        let data = tables.one_row("data", "a min-max scaler")?;
        let (lo, hi) = (data.value("originalMin", Table::vectors)?, data.value("originalMax", Table::vectors)?);
        if lo.size() != hi.size() {
            return Err(data.error(format!("{} minima but {} maxima", lo.size(), hi.size())));
        }
        let (min, max) = (metadata.f64("min", 0.0)?, metadata.f64("max", 1.0)?);
        if !(min.is_finite() && max.is_finite() && min < max) {
            return Err(metadata.error(format!("the range [{min}, {max}] must be finite, with min below max")));
        }
        Ok(MinMaxScalerModel::new(
            lo,
            hi,
            min,
            max,
            metadata.required_string("inputCol")?,
            metadata.required_string("outputCol")?,
        ))
    }
}
