//! `OneHotEncoder` (Spark 3's estimator form): category indices to sparse indicator vectors.
//!
//! Linear models need categories as separate 0/1 features, not as one ordinal number; the fit finds how many
//! categories each column has (the largest index + 1, in one aggregation by the engine), and the model encodes
//! each index as a sparse vector, so that a column of many categories costs one entry a row.

use super::HandleInvalid;
use super::columns::{as_doubles, check_numeric_input, check_output_absent, in_out_cols, in_out_params};
use crate::builder::setters;
use crate::error::{Error, Result};
use crate::frame::{column_function, vectors_to_array};
use crate::linalg::{Vector, Vectors};
use crate::persistence::{Metadata, MlWriter, Persist, Table, Tables, data_table, int_list_column, persistable};
use crate::pipeline::{Estimator, Transformer};
use arrow::array::{Array, ArrayRef, AsArray, RecordBatch};
use arrow::compute::cast;
use arrow::datatypes::{DataType, Float64Type};
use flint_engine::dataframe::udt::vector_type;
use flint_engine::prelude::*;
use serde_json::{Map, Value, json};

const ALG: &str = "OneHotEncoder";

/// Encodes columns of category indices (whole numbers ≥ 0, e.g. a [`StringIndexer`](super::StringIndexer)'s
/// output) as sparse vectors with a single 1.0 (Spark's `OneHotEncoder`). With `drop_last` (the default) the
/// last category is left out, so that the encoded columns are not linearly dependent, and encodes as all zeros.
/// `handle_invalid`: `error` (default) fails on an index the fit did not see; `keep` gives such indices one extra
/// category, after the others (`skip` is not accepted, as in Spark).
///
/// Two differences from Spark: Flint's columns carry no ML attributes, so the number of categories always comes
/// from the data (Spark prefers a `StringIndexer`'s metadata, which counts its `__unknown` label under `keep`);
/// and a fractional index is invalid in `transform` too, where Spark truncates it.
///
/// ```
/// use flint_engine::prelude::*;
/// use flint_mllib::feature::OneHotEncoder;
/// use flint_mllib::pipeline::{Estimator, Transformer};
///
/// let session = Session::builder().master("local[2]").build()?;
/// let df = session.create_dataframe(vec![(0.0,), (1.0,), (2.0,), (1.0,)], &["index"])?;
/// let model = OneHotEncoder::new().input_cols(["index"]).output_cols(["vector"]).fit(&df)?;
/// assert_eq!(model.category_sizes(), [3]);
/// let text = model.transform(&df)?.select(["vector"])?.show_string(20, 0, false)?;
/// // Three categories, the last dropped: vectors of size 2.
/// assert!(text.contains("|(2,[0],[1.0])|") && text.contains("|(2,[],[])    |"), "{text}");
/// # Ok::<(), flint_mllib::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct OneHotEncoder {
    input_col: Option<String>,
    output_col: Option<String>,
    input_cols: Vec<String>,
    output_cols: Vec<String>,
    drop_last: bool,
    handle_invalid: HandleInvalid,
}

impl Default for OneHotEncoder {
    fn default() -> Self {
        OneHotEncoder {
            input_col: None,
            output_col: None,
            input_cols: Vec::new(),
            output_cols: Vec::new(),
            drop_last: true,
            handle_invalid: HandleInvalid::Error,
        }
    }
}

impl OneHotEncoder {
    /// Spark's defaults: `drop_last = true`, `handle_invalid = error`; the columns must be set.
    pub fn new() -> Self {
        Self::default()
    }

    setters! {
        /// One column to encode (or use [`input_cols`](Self::input_cols)).
        input_col: Option<&str>,
        /// The vector column the model adds for [`input_col`](Self::input_col).
        output_col: Option<&str>,
        /// The columns of category indices to encode.
        input_cols: [&str],
        /// The vector columns the model adds, one per input column.
        output_cols: [&str],
        /// Whether to leave out the last category (default true).
        drop_last: bool,
        /// `Error` (default) or `Keep` (an extra category for indices not seen in training); `Skip` is refused.
        handle_invalid: HandleInvalid,
    }

    fn validate(&self) -> Result<(Vec<String>, Vec<String>)> {
        if self.handle_invalid == HandleInvalid::Skip {
            return Err(Error::param(ALG, "handle_invalid", "skip is not accepted: use error or keep"));
        }
        in_out_cols(ALG, &self.input_col, &self.output_col, &self.input_cols, &self.output_cols)
    }
}

/// The number of categories of each column (largest index + 1), in one aggregation; a null, negative,
/// fractional or NaN value fails it, naming the column (Spark: "must be indices").
fn category_sizes(df: &DataFrame, inputs: &[String]) -> Result<Vec<usize>> {
    let checked: Vec<Column> = inputs
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let what = name.clone();
            let check = move |columns: &[ArrayRef], _rows: usize| -> Result<ArrayRef> {
                let values = as_doubles(&columns[0], &what, ALG)?;
                for v in values.iter() {
                    match v {
                        None => {
                            return Err(Error::data(
                                ALG,
                                format!("column `{what}` holds a null; category indices must be set"),
                            ));
                        }
                        Some(x) if !(x >= 0.0 && x.fract() == 0.0 && x <= f64::from(i32::MAX)) => {
                            return Err(Error::data(
                                ALG,
                                format!("values of column `{what}` must be indices (whole numbers ≥ 0), but got {x}"),
                            ));
                        }
                        Some(_) => {}
                    }
                }
                Ok(std::sync::Arc::new(values) as ArrayRef)
            };
            max(column_function("one_hot_check", vec![col(name)], DataType::Float64, check)).alias(&format!("m{i}"))
        })
        .collect();
    let batches = df.agg(checked)?.collect_batches()?;
    let batch = batches
        .iter()
        .find(|b| b.num_rows() > 0)
        .ok_or_else(|| Error::data(ALG, "the aggregation of the category indices returned no row"))?;
    inputs
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let m = cast(batch.column(i), &DataType::Float64).map_err(|e| Error::data(ALG, e.to_string()))?;
            let m = m.as_primitive::<Float64Type>();
            if m.is_null(0) {
                return Err(Error::data(ALG, format!("column `{name}` has no rows to fit on")));
            }
            Ok(m.value(0) as usize + 1)
        })
        .collect()
}

impl Estimator for OneHotEncoder {
    type Model = OneHotEncoderModel;

    /// Finds the number of categories of each input column.
    fn fit(&self, df: &DataFrame) -> Result<OneHotEncoderModel> {
        let (inputs, outputs) = self.validate()?;
        for (input, output) in inputs.iter().zip(&outputs) {
            check_numeric_input(df, input, ALG)?;
            check_output_absent(df, output, ALG)?;
        }
        let sizes = category_sizes(df, &inputs)?;
        Ok(OneHotEncoderModel {
            category_sizes: sizes,
            input_cols: inputs,
            output_cols: outputs,
            drop_last: self.drop_last,
            handle_invalid: self.handle_invalid,
        })
    }
}

/// A fitted [`OneHotEncoder`]: the number of categories of each input column.
#[derive(Debug, Clone)]
pub struct OneHotEncoderModel {
    category_sizes: Vec<usize>,
    input_cols: Vec<String>,
    output_cols: Vec<String>,
    drop_last: bool,
    handle_invalid: HandleInvalid,
}

impl OneHotEncoderModel {
    /// The number of categories of each input column, as seen in training (Spark's `categorySizes`).
    pub fn category_sizes(&self) -> &[usize] {
        &self.category_sizes
    }

    setters! {
        /// Changes `drop_last` for `transform`.
        drop_last: bool,
        /// Changes `handle_invalid` for `transform` (`Error` or `Keep`).
        handle_invalid: HandleInvalid,
    }

    /// The size of the output vectors of a column with `categories` categories (Spark's `getConfigedCategorySizes`).
    fn output_size(&self, categories: usize) -> usize {
        let keep = self.handle_invalid == HandleInvalid::Keep;
        match (self.drop_last, keep) {
            (false, true) => categories + 1,
            (true, false) => categories.saturating_sub(1),
            _ => categories,
        }
    }

    /// Encodes one index of input column `column` (Spark's encoder, except that a fractional index is invalid
    /// rather than truncated).
    pub fn encode(&self, column: usize, index: f64) -> Result<Vector> {
        const MODEL: &str = "OneHotEncoderModel";
        let (Some(&categories), Some(name)) = (self.category_sizes.get(column), self.input_cols.get(column)) else {
            return Err(Error::data(MODEL, format!("there is no input column {column}")));
        };
        let valid = index >= 0.0 && index.fract() == 0.0 && index < categories as f64;
        let position = if valid {
            index as usize
        } else if self.handle_invalid == HandleInvalid::Keep {
            categories
        } else {
            let why = if index < 0.0 {
                "a negative index"
            } else if index.fract() != 0.0 || index.is_nan() {
                "not a whole number"
            } else {
                "an index not seen in training"
            };
            return Err(Error::data(
                MODEL,
                format!(
                    "invalid value {index} in column `{name}` ({why}; the fit saw {categories} categories); set \
                     handle_invalid to keep to encode such values as an extra category"
                ),
            ));
        };
        let size = self.output_size(categories);
        Ok(if position < size {
            Vectors::sparse(size, vec![position], vec![1.0])?
        } else {
            Vectors::sparse(size, Vec::new(), Vec::new())?
        })
    }
}

impl Transformer for OneHotEncoderModel {
    /// Adds one sparse vector column per input column (a null index gives a null vector, as Spark); lazy, batch
    /// by batch.
    fn transform(&self, df: &DataFrame) -> Result<DataFrame> {
        const MODEL: &str = "OneHotEncoderModel";
        if self.handle_invalid == HandleInvalid::Skip {
            return Err(Error::param(MODEL, "handle_invalid", "skip is not accepted: use error or keep"));
        }
        for (input, output) in self.input_cols.iter().zip(&self.output_cols) {
            check_numeric_input(df, input, MODEL)?;
            check_output_absent(df, output, MODEL)?;
        }
        let mut out = df.clone();
        for (i, (input, output)) in self.input_cols.iter().zip(&self.output_cols).enumerate() {
            let model = self.clone();
            let what = input.clone();
            let kernel = move |columns: &[ArrayRef], _rows: usize| -> Result<ArrayRef> {
                let values = as_doubles(&columns[0], &what, MODEL)?;
                let vectors =
                    values.iter().map(|v| v.map(|x| model.encode(i, x)).transpose()).collect::<Result<Vec<_>>>()?;
                Ok(vectors_to_array(&vectors))
            };
            out =
                out.with_column(output, column_function("one_hot_encoder", vec![col(input)], vector_type(), kernel))?;
        }
        Ok(out)
    }

    fn writer(&self) -> Option<MlWriter<'_>> {
        Some(MlWriter::new(self))
    }
}

persistable!(OneHotEncoderModel);

/// Spark's layout: `data/` holds one row `categorySizes: array<int>`, one size per input column.
impl Persist for OneHotEncoderModel {
    const CLASS: &'static str = "org.apache.spark.ml.feature.OneHotEncoderModel";

    fn params(&self) -> Map<String, Value> {
        let mut map = Map::new();
        map.insert("dropLast".into(), json!(self.drop_last));
        map.insert("handleInvalid".into(), json!(self.handle_invalid.spark_name()));
        in_out_params(&mut map, &self.input_cols, &self.output_cols);
        map
    }

    fn tables(&self) -> Result<Vec<(&'static str, RecordBatch)>> {
        let sizes = self.category_sizes.iter().map(|&n| i32::try_from(n).unwrap_or(i32::MAX)).collect();
        data_table(vec![("categorySizes", int_list_column(&[sizes]))])
    }

    fn from_saved(metadata: &Metadata, tables: &Tables) -> Result<Self> {
        let data = tables.one_row("data", "a one-hot encoder")?;
        let sizes = data.value("categorySizes", Table::int_lists)?;
        let (inputs, outputs) = metadata.in_out_cols()?;
        if sizes.len() != inputs.len() {
            return Err(data.error(format!("{} category sizes for {} input columns", sizes.len(), inputs.len())));
        }
        let sizes = sizes
            .into_iter()
            .map(|n| usize::try_from(n).map_err(|_| data.error(format!("a negative category size, {n}"))))
            .collect::<Result<Vec<_>>>()?;
        Ok(OneHotEncoderModel {
            category_sizes: sizes,
            input_cols: inputs,
            output_cols: outputs,
            drop_last: metadata.bool("dropLast", true)?,
            handle_invalid: metadata.string("handleInvalid", "error")?.parse().map_err(|e| metadata.error(e))?,
        })
    }
}
