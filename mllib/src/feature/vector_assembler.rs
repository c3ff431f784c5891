//! `VectorAssembler`: numeric and vector columns concatenated into one vector column (Spark's).

use crate::error::{Error, Result};
use crate::frame::{VectorColumnBuilder, array_to_vectors, column_function};
use crate::linalg::Vector;
use crate::persistence::{Metadata, MlWriter, Persist, Tables, persistable};
use crate::pipeline::Transformer;
use arrow::array::{Array, ArrayRef, AsArray, RecordBatch};
use arrow::compute::cast;
use arrow::datatypes::{DataType, Float64Type};
use flint_engine::dataframe::udt::{is_vector_type, vector_type};
use flint_engine::prelude::*;
use serde_json::{Map, Value, json};

/// What to do with a row holding a null or NaN input (Spark's `handleInvalid`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HandleInvalid {
    /// Fail the query, naming the column (Spark's default).
    #[default]
    Error,
    /// Drop the row.
    Skip,
    /// Keep the row, with NaN for each missing value.
    Keep,
}

impl HandleInvalid {
    /// Spark's name: `error`, `skip` or `keep`.
    pub(crate) fn spark_name(self) -> &'static str {
        match self {
            HandleInvalid::Error => "error",
            HandleInvalid::Skip => "skip",
            HandleInvalid::Keep => "keep",
        }
    }
}

impl std::str::FromStr for HandleInvalid {
    type Err = Error;

    /// Spark's names: `error`, `skip`, `keep`.
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "error" => Ok(HandleInvalid::Error),
            "skip" => Ok(HandleInvalid::Skip),
            "keep" => Ok(HandleInvalid::Keep),
            _ => Err(Error::param(
                "VectorAssembler",
                "handle_invalid",
                format!("`{s}` is not accepted: use error, skip or keep"),
            )),
        }
    }
}

/// Concatenates numeric, boolean and vector columns into a vector column; each output vector is stored dense or
/// sparse, whichever is smaller, as Spark's `compressed`.
///
/// ```
/// use flint_engine::prelude::*;
/// use flint_mllib::feature::VectorAssembler;
/// use flint_mllib::pipeline::Transformer;
///
/// let session = Session::builder().master("local[2]").build()?;
/// let df = session.create_dataframe(vec![(1.0, 2.0, 3.0, 0.0, 0.0), (0.0, 0.0, 3.0, 0.0, 0.0)], &["a", "b", "c", "d", "e"])?;
/// let out = VectorAssembler::new(["a", "b", "c", "d", "e"], "features").transform(&df)?;
/// let text = out.select(["features"])?.show_string(20, 0, false)?;
/// // Dense when that is smaller (3 non-zeros of 5), sparse otherwise (1 of 5), as Spark's `compressed`.
/// assert!(text.contains("|[1.0,2.0,3.0,0.0,0.0]|") && text.contains("|(5,[2],[3.0])  "), "{text}");
/// # Ok::<(), flint_mllib::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct VectorAssembler {
    input_cols: Vec<String>,
    output_col: String,
    handle_invalid: HandleInvalid,
}

impl VectorAssembler {
    /// Assembles `input_cols`, in order, into `output_col`.
    pub fn new<S: Into<String>>(input_cols: impl IntoIterator<Item = S>, output_col: &str) -> Self {
        VectorAssembler {
            input_cols: input_cols.into_iter().map(Into::into).collect(),
            output_col: output_col.to_string(),
            handle_invalid: HandleInvalid::Error,
        }
    }

    /// What to do with nulls and NaNs (default: an error).
    pub fn handle_invalid(mut self, how: HandleInvalid) -> Self {
        self.handle_invalid = how;
        self
    }
}

/// One input column, read as numbers or vectors.
enum Input {
    Numbers(arrow::array::Float64Array),
    Vectors(Vec<Option<Vector>>),
}

impl Transformer for VectorAssembler {
    fn transform(&self, df: &DataFrame) -> Result<DataFrame> {
        const ALG: &str = "VectorAssembler";
        if self.input_cols.is_empty() {
            return Err(Error::param(ALG, "input_cols", "no input columns given"));
        }
        let schema = df.schema();
        for name in &self.input_cols {
            let field = schema.field_with_name(name).map_err(|_| {
                Error::data(ALG, format!("input column `{name}` does not exist; the columns are {:?}", df.columns()))
            })?;
            let t = field.data_type();
            if !(t.is_numeric() || *t == DataType::Boolean || is_vector_type(t)) {
                return Err(Error::data(
                    ALG,
                    format!("input column `{name}` is {t}: only numeric, boolean and vector columns can be assembled"),
                ));
            }
        }
        let names = self.input_cols.clone();
        let how = self.handle_invalid;
        let assemble = move |columns: &[ArrayRef], rows: usize| -> Result<ArrayRef> {
            let mut inputs = Vec::with_capacity(columns.len());
            for (c, name) in columns.iter().zip(&names) {
                inputs.push(if is_vector_type(c.data_type()) {
                    Input::Vectors(array_to_vectors(c.as_ref(), name)?)
                } else {
                    let numbers =
                        cast(c, &DataType::Float64).map_err(|e| Error::data(ALG, format!("column `{name}`: {e}")))?;
                    Input::Numbers(numbers.as_primitive::<Float64Type>().clone())
                });
            }
            // Each row is laid out in one reused buffer and written straight into the column.
            let mut out = VectorColumnBuilder::with_capacity(rows);
            let mut values: Vec<f64> = Vec::new();
            for row in 0..rows {
                values.clear();
                let mut invalid = false;
                for (input, name) in inputs.iter().zip(&names) {
                    match input {
                        Input::Numbers(a) => {
                            let v = if a.is_null(row) { f64::NAN } else { a.value(row) };
                            if v.is_nan() {
                                if how == HandleInvalid::Error {
                                    let what = if a.is_null(row) { "null" } else { "NaN" };
                                    return Err(Error::data(
                                        ALG,
                                        format!(
                                            "encountered {what} in column `{name}` while assembling row {row} with \
                                             handle_invalid = error; use skip to drop such rows or keep to keep \
                                             them as NaN"
                                        ),
                                    ));
                                }
                                invalid = true;
                            }
                            values.push(v);
                        }
                        Input::Vectors(vs) => match &vs[row] {
                            Some(v) => {
                                let start = values.len();
                                values.resize(start + v.size(), 0.0);
                                for (i, x) in v.iter_active() {
                                    values[start + i] = x;
                                }
                            }
                            None => {
                                return Err(Error::data(
                                    ALG,
                                    format!("encountered null in vector column `{name}` while assembling row {row}"),
                                ));
                            }
                        },
                    }
                }
                if invalid && how == HandleInvalid::Skip {
                    out.push_null();
                } else {
                    out.push_compressed(&values);
                }
            }
            Ok(out.finish())
        };
        let args = self.input_cols.iter().map(|c| col(c)).collect();
        let column = column_function("vector_assembler", args, vector_type(), assemble);
        let out = df.with_column(&self.output_col, column)?;
        Ok(if self.handle_invalid == HandleInvalid::Skip {
            out.filter(col(&self.output_col).is_not_null())?
        } else {
            out
        })
    }

    fn writer(&self) -> Option<MlWriter<'_>> {
        Some(MlWriter::new(self))
    }
}

persistable!(VectorAssembler);

/// Spark's layout: the metadata only (`inputCols`, `outputCol`, `handleInvalid`), no `data/`.
impl Persist for VectorAssembler {
    const CLASS: &'static str = "org.apache.spark.ml.feature.VectorAssembler";

    fn params(&self) -> Map<String, Value> {
        let mut map = Map::new();
        map.insert("inputCols".into(), json!(self.input_cols));
        map.insert("outputCol".into(), json!(self.output_col));
        map.insert("handleInvalid".into(), json!(self.handle_invalid.spark_name()));
        map
    }

    fn tables(&self) -> Result<Vec<(&'static str, RecordBatch)>> {
        Ok(Vec::new())
    }

    fn from_saved(metadata: &Metadata, _tables: &Tables) -> Result<Self> {
        let inputs =
            metadata.strings("inputCols")?.ok_or_else(|| metadata.error("the parameter `inputCols` is not saved"))?;
        let handle_invalid = metadata.string("handleInvalid", "error")?.parse().map_err(|e| metadata.error(e))?;
        Ok(VectorAssembler::new(inputs, &metadata.required_string("outputCol")?).handle_invalid(handle_invalid))
    }
}
