//! Evaluators (Spark ML's `ml.evaluation`): one number that says how good the predictions in a DataFrame are,
//! for regression, binary and multiclass classification, and clustering.
//!
//! Each evaluator is a builder with Spark's parameter names, defaults and metric names (`rmse`,
//! `areaUnderROC`, `f1`, `silhouette`, …) and computes each metric as Spark's `RegressionMetrics`,
//! `BinaryClassificationMetrics`, `MulticlassMetrics` and `ClusteringMetrics` define it, so a number matches the
//! one Spark gives for the same rows (the reference tests check them against scikit-learn and PySpark).
//!
//! ## Design
//! - **Strings for metric names**, as Spark's `setMetricName`, checked when the evaluator runs
//!   ([`Evaluator::evaluate`], [`Evaluator::is_larger_better`]): an unknown name is an
//!   [`Error::InvalidParameter`] that lists the accepted ones.
//! - **Columns are checked before the query runs**: a missing column, or one of the wrong type, is an
//!   [`Error::InvalidData`] naming the column, its parameter and what it should hold. Numeric columns of any type
//!   are read as `f64` (Spark casts them too); vector columns may be Spark's vector type or arrays of numbers.
//! - **A null is an error** naming the column and row (Spark fails on them too), and so are no rows at all; a
//!   NaN in a regression column gives a NaN metric, as in Spark, but the classification and clustering
//!   evaluators refuse NaN labels, scores and cluster ids, which cannot be counted or ranked.
//! - **Aggregations over the engine's partitions**, as in Spark: the selected columns are distributed as an RDD,
//!   and each metric is one or two passes of sufficient statistics (Spark's summarizer for regression, weighted
//!   counts per distinct score or per (label, prediction) pair for classification, per-cluster sums for the
//!   silhouette, which keeps it `O(n·k)` rather than `O(n²)`); only those small aggregates reach the driver.
//! - **Optional instance weights** (`weight_col`) everywhere, with Spark's rule: null, NaN, negative or
//!   infinite weights are errors.

mod binary;
mod clustering;
mod multiclass;
mod regression;

pub use binary::BinaryClassificationEvaluator;
pub(crate) use binary::area_under_roc;
pub use clustering::ClusteringEvaluator;
pub use multiclass::MulticlassClassificationEvaluator;
pub use regression::RegressionEvaluator;

use crate::error::{Error, Result};
use crate::frame::array_to_vectors;
use crate::linalg::Vector;
use arrow::array::{Array, AsArray};
use arrow::compute::cast;
use arrow::datatypes::{DataType, Float64Type};
use flint_engine::dataframe::udt::is_vector_type;
use flint_engine::prelude::*;

/// Scores the predictions in a DataFrame with one metric (Spark's `Evaluator`).
pub trait Evaluator: Send + Sync {
    /// The metric over the rows of `df`.
    fn evaluate(&self, df: &DataFrame) -> Result<f64>;

    /// Whether a larger value of the chosen metric is better (`r2`, `areaUnderROC`, `f1`, `silhouette`…) or a
    /// smaller one (`rmse`, `hammingLoss`, `logLoss`…), for model selection; an error for an unknown metric.
    fn is_larger_better(&self) -> Result<bool>;
}

/// The metric called `name` among `metrics` (Spark's names), or an error listing them.
fn parse_metric<M: Copy>(algorithm: &'static str, name: &str, metrics: &[(&str, M)]) -> Result<M> {
    metrics.iter().find(|(n, _)| *n == name).map(|(_, m)| *m).ok_or_else(|| {
        let names: Vec<&str> = metrics.iter().map(|(n, _)| *n).collect();
        let allowed = match names.split_last() {
            Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
            _ => names.join(""),
        };
        Error::param(algorithm, "metric_name", format!("`{name}` is not a metric of {algorithm}: use {allowed}"))
    })
}

/// What an evaluator reads from one column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Numbers of any numeric type, read as `f64`.
    Number,
    /// Numbers, or vectors (a raw prediction).
    NumberOrVector,
    /// Vectors: the vector type, or arrays of numbers.
    Vector,
}

impl Kind {
    fn accepts(self, t: &DataType) -> bool {
        let vector = is_vector_type(t)
            || matches!(t, DataType::List(f) | DataType::LargeList(f) | DataType::FixedSizeList(f, _)
                if f.data_type().is_numeric());
        match self {
            Kind::Number => t.is_numeric(),
            Kind::NumberOrVector => t.is_numeric() || vector,
            Kind::Vector => vector,
        }
    }

    fn expected(self) -> &'static str {
        match self {
            Kind::Number => "numbers",
            Kind::NumberOrVector => "numbers or vectors",
            Kind::Vector => "vectors (as VectorAssembler makes) or arrays of numbers",
        }
    }
}

/// One column to read: its name, the parameter that names it, and what it must hold.
#[derive(Debug, Clone, Copy)]
struct Input<'a> {
    column: &'a str,
    param: &'static str,
    kind: Kind,
}

impl<'a> Input<'a> {
    fn new(column: &'a str, param: &'static str, kind: Kind) -> Self {
        Input { column, param, kind }
    }
}

/// A column's values, every row present.
#[derive(Debug)]
enum Values {
    Numbers(Vec<f64>),
    Vectors(Vec<Vector>),
}

impl Values {
    fn numbers(self) -> Vec<f64> {
        match self {
            Values::Numbers(v) => v,
            Values::Vectors(_) => Vec::new(),
        }
    }

    fn vectors(self) -> Vec<Vector> {
        match self {
            Values::Vectors(v) => v,
            Values::Numbers(_) => Vec::new(),
        }
    }
}

/// Checks the columns against the schema (before any query runs), then reads them: one [`Values`] per input,
/// all of the same length, at least one row. A null is an error naming its column and row.
fn read_columns(df: &DataFrame, inputs: &[Input<'_>], algorithm: &'static str) -> Result<Vec<Values>> {
    let schema = df.schema();
    for input in inputs {
        let field = schema.field_with_name(input.column).map_err(|_| {
            Error::data(
                algorithm,
                format!(
                    "column `{}` ({}) does not exist; the columns are {:?}",
                    input.column,
                    input.param,
                    df.columns()
                ),
            )
        })?;
        let t = field.data_type();
        if !input.kind.accepts(t) {
            return Err(Error::data(
                algorithm,
                format!(
                    "column `{}` ({}) must hold {}, but it is {t}",
                    input.column,
                    input.param,
                    input.kind.expected()
                ),
            ));
        }
    }
    // Each distinct column once (two parameters may name the same column).
    let mut names: Vec<&str> = Vec::new();
    for input in inputs {
        if !names.contains(&input.column) {
            names.push(input.column);
        }
    }
    // Quoted, so that names keep their case (`rawPrediction`) and dots.
    let quoted = names.iter().map(|n| col(&format!("\"{}\"", n.replace('"', "\"\""))));
    let batches = df.select(quoted)?.collect_batches()?;
    let mut out: Vec<Values> = inputs
        .iter()
        .map(|i| match i.kind {
            Kind::Vector => Values::Vectors(Vec::new()),
            _ if schema.field_with_name(i.column).is_ok_and(|f| f.data_type().is_numeric()) => {
                Values::Numbers(Vec::new())
            }
            _ => Values::Vectors(Vec::new()),
        })
        .collect();
    let mut first_row = 0usize;
    for batch in &batches {
        for (input, values) in inputs.iter().zip(out.iter_mut()) {
            let position = names.iter().position(|n| *n == input.column).unwrap_or(0);
            let array = batch.column(position);
            let null_at = |i: usize| {
                Error::data(
                    algorithm,
                    format!(
                        "column `{}` ({}) is null in row {}; remove or fill such rows first",
                        input.column,
                        input.param,
                        first_row + i
                    ),
                )
            };
            match values {
                Values::Numbers(v) => {
                    let numbers = cast(array, &DataType::Float64)
                        .map_err(|e| Error::data(algorithm, format!("column `{}`: {e}", input.column)))?;
                    let numbers = numbers.as_primitive::<Float64Type>();
                    if let Some(i) = (0..numbers.len()).find(|&i| numbers.is_null(i)) {
                        return Err(null_at(i));
                    }
                    v.extend_from_slice(numbers.values());
                }
                Values::Vectors(v) => {
                    for (i, x) in array_to_vectors(array.as_ref(), input.column)?.into_iter().enumerate() {
                        v.push(x.ok_or_else(|| null_at(i))?);
                    }
                }
            }
        }
        first_row += batch.num_rows();
    }
    if first_row == 0 {
        return Err(Error::data(algorithm, "the DataFrame has no rows to evaluate"));
    }
    Ok(out)
}

/// Reads an evaluator's two columns and, with `weight_col`, its instance weights (see [`read_columns`]). The
/// weights are checked by [`Weights::check`], once the caller has checked its own columns.
fn read_weighted<'a>(
    df: &DataFrame,
    columns: [Input<'_>; 2],
    weight_col: Option<&'a str>,
    algorithm: &'static str,
) -> Result<(Values, Values, Weights<'a>)> {
    let mut inputs = columns.to_vec();
    if let Some(w) = weight_col {
        inputs.push(Input::new(w, "weight_col", Kind::Number));
    }
    let mut values = read_columns(df, &inputs, algorithm)?.into_iter();
    let mut next = || values.next().unwrap_or(Values::Numbers(Vec::new()));
    let (first, second) = (next(), next());
    let weights = Weights { values: weight_col.map(|_| next()), column: weight_col, algorithm };
    Ok((first, second, weights))
}

/// The instance weights as read, not yet checked.
struct Weights<'a> {
    values: Option<Values>,
    column: Option<&'a str>,
    algorithm: &'static str,
}

impl Weights<'_> {
    /// The weights of `rows` rows: the column's (Spark's rule: each finite and non-negative), or all 1.
    fn check(self, rows: usize) -> Result<Vec<f64>> {
        let Some(values) = self.values else { return Ok(vec![1.0; rows]) };
        let w = values.numbers();
        if let Some((row, bad)) = w.iter().enumerate().find(|(_, w)| !(w.is_finite() && **w >= 0.0)) {
            return Err(Error::data(
                self.algorithm,
                format!(
                    "weight column `{}` holds {bad} in row {row}: weights must be finite and non-negative",
                    self.column.unwrap_or_default()
                ),
            ));
        }
        Ok(w)
    }
}

/// An error for the first NaN of `values` (a column that is counted or ranked).
fn refuse_nan(values: &[f64], column: &str, param: &str, algorithm: &'static str) -> Result<()> {
    match values.iter().position(|v| v.is_nan()) {
        Some(row) => Err(Error::data(
            algorithm,
            format!("column `{column}` ({param}) is NaN in row {row}; remove or fill such rows first"),
        )),
        None => Ok(()),
    }
}

/// Rows distributed over the session's default parallelism.
fn distribute<T: Data>(df: &DataFrame, rows: Vec<T>) -> Rdd<T> {
    let session = df.session();
    session.parallelize(rows, session.default_parallelism())
}

/// `x` with `-0.0` made `0.0`, so that the two zeros are one class, score or cluster.
fn key(x: f64) -> OrderedF64 {
    OrderedF64(x + 0.0)
}
