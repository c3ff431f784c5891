//! `StandardScaler` (Spark's): features divided by their sample standard deviation and, optionally, centred.
//!
//! Gradient-based learners and distance-based ones (k-means) weigh features by their scale; this puts them on
//! one. The statistics come from one pass of [`MultivariateStatisticalSummary`](crate::stat::MultivariateStatisticalSummary)
//! (Spark's `Summarizer`), so they agree with Spark's to the last digits.

use super::columns::{add_vector_column, in_out_param, required_in_out, training_summary};
use crate::builder::setters;
use crate::display::feature_table;
use crate::error::{Error, Result};
use crate::linalg::{Vector, Vectors};
use crate::persistence::{Metadata, MlWriter, Persist, Table, Tables, data_table, persistable, vector_column};
use crate::pipeline::{Estimator, Transformer};
use arrow::array::RecordBatch;
use flint_engine::notebook::Report;
use flint_engine::prelude::*;
use serde_json::{Map, Value, json};
use std::sync::Arc;

const ALG: &str = "StandardScaler";

/// Standardises a vector column: `(x − mean) / std` per feature, with Spark's names and defaults — `with_std`
/// on, `with_mean` off (centring would densify sparse vectors). `std` is the sample standard deviation (n − 1);
/// a feature whose deviation is zero scales to 0.0.
///
/// ```
/// use flint_engine::prelude::*;
/// use flint_mllib::feature::{StandardScaler, VectorAssembler};
/// use flint_mllib::pipeline::{Estimator, Transformer};
///
/// let session = Session::builder().master("local[2]").build()?;
/// let df = session.create_dataframe(vec![(1.0, 10.0), (2.0, 10.0), (3.0, 10.0)], &["a", "b"])?;
/// let df = VectorAssembler::new(["a", "b"], "features").transform(&df)?;
/// let model = StandardScaler::new().input_col("features").output_col("scaled").with_mean(true).fit(&df)?;
/// assert_eq!(model.mean().to_array(), vec![2.0, 10.0]);
/// assert_eq!(model.std().to_array(), vec![1.0, 0.0]);
/// let text = model.transform(&df)?.select(["scaled"])?.show_string(20, 0, false)?;
/// // Centred and divided by the sample deviation; the constant feature becomes 0.0.
/// assert!(text.contains("|[-1.0,0.0]|") && text.contains("|[0.0,0.0] |") && text.contains("|[1.0,0.0] |"), "{text}");
/// # Ok::<(), flint_mllib::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct StandardScaler {
    input_col: Option<String>,
    output_col: Option<String>,
    with_mean: bool,
    with_std: bool,
}

impl Default for StandardScaler {
    fn default() -> Self {
        StandardScaler { input_col: None, output_col: None, with_mean: false, with_std: true }
    }
}

impl StandardScaler {
    /// Spark's defaults: `with_mean = false`, `with_std = true`; the columns must be set.
    pub fn new() -> Self {
        Self::default()
    }

    setters! {
        /// The vector column to scale.
        input_col: Option<&str>,
        /// The column the model adds.
        output_col: Option<&str>,
        /// Whether to subtract the mean (default false; the output is then dense).
        with_mean: bool,
        /// Whether to divide by the standard deviation (default true).
        with_std: bool,
    }
}

impl Estimator for StandardScaler {
    type Model = StandardScalerModel;

    /// Computes the mean and sample standard deviation of every feature in one pass. A null row, vectors of
    /// different sizes, an empty column, or a NaN or infinite value (which would make the statistics undefined)
    /// is an error naming the column.
    fn fit(&self, df: &DataFrame) -> Result<StandardScalerModel> {
        let (input, output) = required_in_out(ALG, &self.input_col, &self.output_col)?;
        let summary = training_summary(df, &input, &output, ALG)?;
        let mean = summary.mean()?;
        let std = Vectors::dense(summary.variance()?.to_array().iter().map(|v| v.sqrt()).collect());
        for (j, (m, s)) in mean.to_array().iter().zip(std.to_array()).enumerate() {
            if !(m.is_finite() && s.is_finite()) {
                return Err(Error::data(
                    ALG,
                    format!(
                        "feature {j} of column `{input}` holds NaN or infinite values, so its mean and standard \
                         deviation are undefined; remove or impute them first"
                    ),
                ));
            }
        }
        Ok(StandardScalerModel::new(mean, std, input, output, self.with_mean, self.with_std))
    }
}

/// A fitted [`StandardScaler`]: the training means and standard deviations.
#[derive(Debug, Clone)]
pub struct StandardScalerModel {
    mean: Vector,
    std: Vector,
    /// The mean and the reciprocal deviations, as arrays.
    shift: Vec<f64>,
    factors: Vec<f64>,
    input_col: String,
    output_col: String,
    with_mean: bool,
    with_std: bool,
}

impl StandardScalerModel {
    fn new(mean: Vector, std: Vector, input: String, output: String, with_mean: bool, with_std: bool) -> Self {
        // Spark multiplies by the reciprocal, zero for a zero deviation.
        let factors = std.to_array().iter().map(|&s| if s == 0.0 { 0.0 } else { 1.0 / s }).collect();
        StandardScalerModel {
            shift: mean.to_array(),
            factors,
            mean,
            std,
            input_col: input,
            output_col: output,
            with_mean,
            with_std,
        }
    }

    /// The mean of each feature.
    pub fn mean(&self) -> &Vector {
        &self.mean
    }

    /// The sample standard deviation (n − 1) of each feature.
    pub fn std(&self) -> &Vector {
        &self.std
    }

    setters! {
        /// Reads another vector column.
        input_col: &str,
        /// Writes another output column.
        output_col: &str,
    }

    /// Scales one vector as Spark does: with the mean, the result is dense; with the deviation only, a sparse
    /// vector stays sparse with the same indices.
    pub fn scale(&self, v: &Vector) -> Result<Vector> {
        let n = self.mean.size();
        if v.size() != n {
            return Err(Error::data(
                "StandardScalerModel",
                format!("the model was fitted on vectors of size {n}, got one of size {}", v.size()),
            ));
        }
        let (mean, scale) = (&self.shift, &self.factors);
        Ok(match (self.with_mean, self.with_std) {
            (true, true) => {
                Vectors::dense(v.to_array().iter().enumerate().map(|(i, x)| (x - mean[i]) * scale[i]).collect())
            }
            (true, false) => Vectors::dense(v.to_array().iter().enumerate().map(|(i, x)| x - mean[i]).collect()),
            (false, true) => match v {
                Vector::Dense(d) => Vectors::dense(d.iter().enumerate().map(|(i, x)| x * scale[i]).collect()),
                Vector::Sparse(s) => {
                    let indices = s.indices().to_vec();
                    let values = v.iter_active().map(|(i, x)| x * scale[i]).collect();
                    Vectors::sparse(n, indices, values)?
                }
            },
            (false, false) => v.clone(),
        })
    }
}

impl Transformer for StandardScalerModel {
    /// Adds the scaled vectors (nulls stay null); lazy, batch by batch.
    fn transform(&self, df: &DataFrame) -> Result<DataFrame> {
        let (model, n) = (Arc::new(self.clone()), self.mean.size());
        let (input, output) = (&self.input_col, &self.output_col);
        add_vector_column(df, input, output, "standard_scaler", "StandardScalerModel", Some(n), move |v| model.scale(v))
    }

    fn writer(&self) -> Option<MlWriter<'_>> {
        Some(MlWriter::new(self))
    }
}

/// The notebook form: Spark's `toString`, the options, and each feature's mean and deviation.
impl NotebookDisplay for StandardScalerModel {
    fn mime_bundle(&self) -> Vec<(&'static str, String)> {
        let report = Report::new(format!("StandardScalerModel: numFeatures={}", self.mean.size()))
            .field("withMean", self.with_mean)
            .field("withStd", self.with_std);
        feature_table(report, "statistics", &[("mean", &self.shift), ("std", &self.std.to_array())]).mime_bundle()
    }
}

persistable!(StandardScalerModel);

/// Spark's layout: `data/` holds one row `std: vector, mean: vector`.
impl Persist for StandardScalerModel {
    const CLASS: &'static str = "org.apache.spark.ml.feature.StandardScalerModel";

    fn params(&self) -> Map<String, Value> {
        let mut map = Map::new();
        map.insert("withMean".into(), json!(self.with_mean));
        map.insert("withStd".into(), json!(self.with_std));
        in_out_param(&mut map, &self.input_col, &self.output_col);
        map
    }

    fn tables(&self) -> Result<Vec<(&'static str, RecordBatch)>> {
        data_table(vec![
            ("std", vector_column(std::slice::from_ref(&self.std))),
            ("mean", vector_column(std::slice::from_ref(&self.mean))),
        ])
    }

    fn from_saved(metadata: &Metadata, tables: &Tables) -> Result<Self> {
        let data = tables.one_row("data", "a standard scaler")?;
        let (std, mean) = (data.value("std", Table::vectors)?, data.value("mean", Table::vectors)?);
        if std.size() != mean.size() {
            return Err(data.error(format!("{} deviations but {} means", std.size(), mean.size())));
        }
        Ok(StandardScalerModel::new(
            mean,
            std,
            metadata.required_string("inputCol")?,
            metadata.required_string("outputCol")?,
            metadata.bool("withMean", false)?,
            metadata.bool("withStd", true)?,
        ))
    }
}
