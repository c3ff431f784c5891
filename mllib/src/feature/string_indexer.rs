//! `StringIndexer` and `IndexToString` (Spark's): categorical labels to indices and back.
//!
//! Learners take numbers; a string column becomes a double column of label indices (the most frequent label 0
//! by default), which `OneHotEncoder` can then expand. Labels are counted by the engine (one grouped count per
//! column), so only the distinct labels come back to the driver.

use super::HandleInvalid;
use super::columns::{
    as_doubles, check_numeric_input, check_output_absent, in_out_cols, in_out_params, input_type, is_string,
    spark_strings,
};
use crate::builder::setters;
use crate::error::{Error, Result};
use crate::frame::column_function;
use crate::persistence::{
    Metadata, MlWriter, Persist, Table, Tables, data_table, persistable, string_list_list_column,
};
use crate::pipeline::{Estimator, Transformer};
use arrow::array::{Array, ArrayRef, AsArray, Float64Array, RecordBatch, StringArray};
use arrow::compute::cast;
use arrow::datatypes::{DataType, Int64Type};
use flint_engine::prelude::*;
use rustc_hash::FxHashMap;
use serde_json::{Map, Value, json};
use std::cmp::Ordering;
use std::sync::Arc;

const ALG: &str = "StringIndexer";

/// How [`StringIndexer`] orders the labels, and so which gets index 0 (Spark's `stringOrderType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StringOrderType {
    /// Most frequent first; ties in ascending string order (Spark's default, `frequencyDesc`).
    #[default]
    FrequencyDesc,
    /// Least frequent first; ties in ascending string order (`frequencyAsc`).
    FrequencyAsc,
    /// Descending string order (`alphabetDesc`).
    AlphabetDesc,
    /// Ascending string order (`alphabetAsc`).
    AlphabetAsc,
}

impl StringOrderType {
    /// Spark's name: `frequencyDesc`, `frequencyAsc`, `alphabetDesc` or `alphabetAsc`.
    pub(crate) fn spark_name(self) -> &'static str {
        match self {
            StringOrderType::FrequencyDesc => "frequencyDesc",
            StringOrderType::FrequencyAsc => "frequencyAsc",
            StringOrderType::AlphabetDesc => "alphabetDesc",
            StringOrderType::AlphabetAsc => "alphabetAsc",
        }
    }
}

impl std::str::FromStr for StringOrderType {
    type Err = Error;

    /// Spark's names: `frequencyDesc`, `frequencyAsc`, `alphabetDesc`, `alphabetAsc`.
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "frequencyDesc" => Ok(StringOrderType::FrequencyDesc),
            "frequencyAsc" => Ok(StringOrderType::FrequencyAsc),
            "alphabetDesc" => Ok(StringOrderType::AlphabetDesc),
            "alphabetAsc" => Ok(StringOrderType::AlphabetAsc),
            _ => Err(Error::param(
                ALG,
                "string_order_type",
                format!("`{s}` is not accepted: use frequencyDesc, frequencyAsc, alphabetDesc or alphabetAsc"),
            )),
        }
    }
}

/// Java's string order (UTF-16 code units), which Spark sorts labels by.
fn java_cmp(a: &str, b: &str) -> Ordering {
    a.encode_utf16().cmp(b.encode_utf16())
}

/// Maps string (or numeric) columns to label indices, as doubles (Spark's `StringIndexer`). Numeric columns are
/// indexed by their Spark strings (`cast(x as string)`: `2.0` for a double, `2` for an integer); nulls (and NaN
/// in a numeric column) are not counted as labels. At transform time a null or a label not seen in training is
/// invalid: an error (default), a skipped row, or kept as index `labels.len()` (Spark's `handleInvalid`).
///
/// ```
/// use flint_engine::prelude::*;
/// use flint_mllib::feature::{HandleInvalid, StringIndexer};
/// use flint_mllib::pipeline::{Estimator, Transformer};
///
/// let session = Session::builder().master("local[2]").build()?;
/// let df = session.create_dataframe(vec![("b",), ("a",), ("c",), ("a",), ("c",)], &["category"])?;
/// let model = StringIndexer::new().input_col("category").output_col("index").fit(&df)?;
/// // By frequency, ties in string order.
/// assert_eq!(model.labels(), ["a", "c", "b"]);
/// let rows = model.transform(&df)?.collect()?;
/// assert_eq!(rows[0].get_as::<f64>("index")?, 2.0);
/// let unseen = session.create_dataframe(vec![("a",), ("z",)], &["category"])?;
/// let kept = model.handle_invalid(HandleInvalid::Keep).transform(&unseen)?.collect()?;
/// assert_eq!(kept[1].get_as::<f64>("index")?, 3.0);
/// # Ok::<(), flint_mllib::Error>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct StringIndexer {
    input_col: Option<String>,
    output_col: Option<String>,
    input_cols: Vec<String>,
    output_cols: Vec<String>,
    handle_invalid: HandleInvalid,
    string_order_type: StringOrderType,
}

impl StringIndexer {
    /// Spark's defaults: `frequencyDesc`, `handle_invalid = error`; the columns must be set.
    pub fn new() -> Self {
        Self::default()
    }

    setters! {
        /// The column to index (or use [`input_cols`](Self::input_cols)).
        input_col: Option<&str>,
        /// The index column the model adds.
        output_col: Option<&str>,
        /// Several columns to index, each with its own labels.
        input_cols: [&str],
        /// The index columns, one per input column.
        output_cols: [&str],
        /// What the model does with nulls and unseen labels (default: an error).
        handle_invalid: HandleInvalid,
        /// The order of the labels (default: by descending frequency).
        string_order_type: StringOrderType,
    }

    /// The labels of one column, counted by the engine.
    fn labels_of(&self, df: &DataFrame, name: &str) -> Result<Vec<String>> {
        let t = input_type(df, name, ALG)?;
        check_indexable(&t, name, ALG)?;
        let what = name.to_string();
        let as_string = column_function("string_indexer_label", vec![col(name)], DataType::Utf8, move |c, _| {
            Ok(Arc::new(spark_strings(&c[0], &what, ALG, true)?) as ArrayRef)
        });
        let counted = df.select([as_string.alias("label")])?.group_by([col("label")]).count()?.collect_batches()?;
        let mut counts: Vec<(String, i64)> = Vec::new();
        for batch in &counted {
            let labels = cast(batch.column(0), &DataType::Utf8).map_err(|e| Error::data(ALG, e.to_string()))?;
            let labels = labels.as_string::<i32>();
            let n = cast(batch.column(1), &DataType::Int64).map_err(|e| Error::data(ALG, e.to_string()))?;
            let n = n.as_primitive::<Int64Type>();
            for i in 0..batch.num_rows() {
                if !labels.is_null(i) {
                    counts.push((labels.value(i).to_string(), n.value(i)));
                }
            }
        }
        match self.string_order_type {
            StringOrderType::FrequencyDesc => counts.sort_by(|a, b| b.1.cmp(&a.1).then(java_cmp(&a.0, &b.0))),
            StringOrderType::FrequencyAsc => counts.sort_by(|a, b| a.1.cmp(&b.1).then(java_cmp(&a.0, &b.0))),
            StringOrderType::AlphabetAsc => counts.sort_by(|a, b| java_cmp(&a.0, &b.0)),
            StringOrderType::AlphabetDesc => counts.sort_by(|a, b| java_cmp(&b.0, &a.0)),
        }
        Ok(counts.into_iter().map(|(label, _)| label).collect())
    }
}

/// Spark indexes string and numeric columns only.
fn check_indexable(t: &DataType, name: &str, algorithm: &'static str) -> Result<()> {
    if is_string(t) || t.is_numeric() {
        Ok(())
    } else {
        Err(Error::data(algorithm, format!("input column `{name}` is {t}, but a string or numeric column is expected")))
    }
}

impl Estimator for StringIndexer {
    type Model = StringIndexerModel;

    /// Counts the labels of each input column and orders them.
    fn fit(&self, df: &DataFrame) -> Result<StringIndexerModel> {
        let (inputs, outputs) =
            in_out_cols(ALG, &self.input_col, &self.output_col, &self.input_cols, &self.output_cols)?;
        for (input, output) in inputs.iter().zip(&outputs) {
            check_indexable(&input_type(df, input, ALG)?, input, ALG)?;
            check_output_absent(df, output, ALG)?;
        }
        let labels = inputs.iter().map(|c| self.labels_of(df, c)).collect::<Result<Vec<_>>>()?;
        Ok(StringIndexerModel::new(labels, inputs, outputs, self.handle_invalid, self.string_order_type))
    }
}

/// A fitted [`StringIndexer`]: the labels of each input column, in index order.
#[derive(Debug, Clone)]
pub struct StringIndexerModel {
    labels: Vec<Vec<String>>,
    indices: Vec<Arc<FxHashMap<String, usize>>>,
    input_cols: Vec<String>,
    output_cols: Vec<String>,
    handle_invalid: HandleInvalid,
    /// How the fit ordered the labels (kept to be saved, as Spark's model keeps the parameter).
    string_order_type: StringOrderType,
}

impl StringIndexerModel {
    fn new(
        labels: Vec<Vec<String>>,
        inputs: Vec<String>,
        outputs: Vec<String>,
        how: HandleInvalid,
        order: StringOrderType,
    ) -> Self {
        let indices = labels
            .iter()
            .map(|l| Arc::new(l.iter().enumerate().map(|(i, s)| (s.clone(), i)).collect::<FxHashMap<_, _>>()))
            .collect();
        StringIndexerModel {
            labels,
            indices,
            input_cols: inputs,
            output_cols: outputs,
            handle_invalid: how,
            string_order_type: order,
        }
    }

    /// The labels of the (first) input column, in index order (Spark's `labels`).
    pub fn labels(&self) -> &[String] {
        self.labels.first().map(Vec::as_slice).unwrap_or_default()
    }

    /// The labels of every input column (Spark's `labelsArray`).
    pub fn labels_array(&self) -> &[Vec<String>] {
        &self.labels
    }

    setters! {
        /// Changes what `transform` does with nulls and unseen labels.
        handle_invalid: HandleInvalid,
    }

    /// An [`IndexToString`] that maps the first output column back to labels, into `output_col`.
    pub fn index_to_string(&self, output_col: &str) -> IndexToString {
        let input = self.output_cols.first().map(String::as_str).unwrap_or_default();
        IndexToString::new().input_col(input).output_col(output_col).labels(self.labels().to_vec())
    }
}

impl Transformer for StringIndexerModel {
    /// Adds one index column (double) per input column; with `skip`, drops the rows holding a null or unseen
    /// label in any input column. Lazy, batch by batch. A missing input column is an error (Spark skips it with a
    /// warning).
    fn transform(&self, df: &DataFrame) -> Result<DataFrame> {
        const MODEL: &str = "StringIndexerModel";
        for (input, output) in self.input_cols.iter().zip(&self.output_cols) {
            check_indexable(&input_type(df, input, MODEL)?, input, MODEL)?;
            check_output_absent(df, output, MODEL)?;
        }
        let how = self.handle_invalid;
        let mut out = df.clone();
        for ((input, output), (labels, index)) in
            self.input_cols.iter().zip(&self.output_cols).zip(self.labels.iter().zip(&self.indices))
        {
            let (what, index, unknown) = (input.clone(), Arc::clone(index), labels.len() as f64);
            let kernel = move |columns: &[ArrayRef], _rows: usize| -> Result<ArrayRef> {
                let strings: StringArray = spark_strings(&columns[0], &what, MODEL, false)?;
                let indexed = strings
                    .iter()
                    .map(|label| {
                        let found = label.and_then(|l| index.get(l));
                        match (found, how) {
                            (Some(&i), _) => Ok(Some(i as f64)),
                            (None, HandleInvalid::Keep) => Ok(Some(unknown)),
                            (None, HandleInvalid::Skip) => Ok(None),
                            (None, HandleInvalid::Error) => Err(Error::data(
                                MODEL,
                                match label {
                                    None => format!(
                                        "encountered a null in column `{what}`; set handle_invalid to skip or keep \
                                         to drop or keep such rows"
                                    ),
                                    Some(l) => format!(
                                        "unseen label `{l}` in column `{what}`; set handle_invalid to keep or skip \
                                         to index or drop unseen labels"
                                    ),
                                },
                            )),
                        }
                    })
                    .collect::<Result<Float64Array>>()?;
                Ok(Arc::new(indexed) as ArrayRef)
            };
            let column = column_function("string_indexer", vec![col(input)], DataType::Float64, kernel);
            out = out.with_column(output, column)?;
        }
        if how == HandleInvalid::Skip {
            for output in &self.output_cols {
                out = out.filter(col(output).is_not_null())?;
            }
        }
        Ok(out)
    }

    fn writer(&self) -> Option<MlWriter<'_>> {
        Some(MlWriter::new(self))
    }
}

persistable!(StringIndexerModel);

/// Spark's layout (3.0 on): `data/` holds one row `labelsArray: array<array<string>>`, the labels of each input
/// column in index order.
impl Persist for StringIndexerModel {
    const CLASS: &'static str = "org.apache.spark.ml.feature.StringIndexerModel";

    fn params(&self) -> Map<String, Value> {
        let mut map = Map::new();
        map.insert("handleInvalid".into(), json!(self.handle_invalid.spark_name()));
        map.insert("stringOrderType".into(), json!(self.string_order_type.spark_name()));
        in_out_params(&mut map, &self.input_cols, &self.output_cols);
        map
    }

    fn tables(&self) -> Result<Vec<(&'static str, RecordBatch)>> {
        data_table(vec![("labelsArray", string_list_list_column(std::slice::from_ref(&self.labels)))])
    }

    fn from_saved(metadata: &Metadata, tables: &Tables) -> Result<Self> {
        let data = tables.one_row("data", "a string indexer")?;
        let labels = data.value("labelsArray", Table::string_list_lists)?;
        let (inputs, outputs) = metadata.in_out_cols()?;
        if labels.len() != inputs.len() {
            return Err(data.error(format!("{} arrays of labels for {} input columns", labels.len(), inputs.len())));
        }
        let how = metadata.string("handleInvalid", "error")?.parse().map_err(|e| metadata.error(e))?;
        let order = metadata.string("stringOrderType", "frequencyDesc")?.parse().map_err(|e| metadata.error(e))?;
        Ok(StringIndexerModel::new(labels, inputs, outputs, how, order))
    }
}

/// Maps a column of label indices back to the labels (Spark's `IndexToString`), e.g. predictions back to class
/// names; the labels usually come from a [`StringIndexerModel`]. Nulls stay null; an index that is not a whole
/// number in `0..labels.len()` fails the query.
///
/// ```
/// use flint_engine::prelude::*;
/// use flint_mllib::feature::IndexToString;
/// use flint_mllib::pipeline::Transformer;
///
/// let session = Session::builder().master("local[2]").build()?;
/// let df = session.create_dataframe(vec![(1.0,), (0.0,)], &["prediction"])?;
/// let names = IndexToString::new().input_col("prediction").output_col("label").labels(vec!["cat".into(), "dog".into()]);
/// let rows = names.transform(&df)?.collect()?;
/// assert_eq!(rows[0].get_as::<String>("label")?, "dog");
/// # Ok::<(), flint_mllib::Error>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct IndexToString {
    input_col: Option<String>,
    output_col: Option<String>,
    labels: Vec<String>,
}

impl IndexToString {
    /// No columns and no labels yet; all three must be set.
    pub fn new() -> Self {
        Self::default()
    }

    setters! {
        /// The numeric column of indices.
        input_col: Option<&str>,
        /// The string column added.
        output_col: Option<&str>,
        /// The labels, in index order (e.g. [`StringIndexerModel::labels`]).
        labels: Vec<String>,
    }
}

impl Transformer for IndexToString {
    fn transform(&self, df: &DataFrame) -> Result<DataFrame> {
        const ITS: &str = "IndexToString";
        let input = self.input_col.clone().ok_or_else(|| Error::param(ITS, "input_col", "not set"))?;
        let output = self.output_col.as_deref().ok_or_else(|| Error::param(ITS, "output_col", "not set"))?;
        if self.labels.is_empty() {
            return Err(Error::param(ITS, "labels", "not set: give the labels, e.g. a StringIndexerModel's"));
        }
        check_numeric_input(df, &input, ITS)?;
        check_output_absent(df, output, ITS)?;
        let labels = Arc::new(self.labels.clone());
        let what = input.clone();
        let kernel = move |columns: &[ArrayRef], _rows: usize| -> Result<ArrayRef> {
            let indices = as_doubles(&columns[0], &what, ITS)?;
            let names = indices
                .iter()
                .map(|v| match v {
                    None => Ok(None),
                    Some(x) if x >= 0.0 && x.fract() == 0.0 && x < labels.len() as f64 => {
                        Ok(labels.get(x as usize).map(String::as_str))
                    }
                    Some(x) => Err(Error::data(
                        ITS,
                        format!("unseen index {x} in column `{what}`: there are {} labels", labels.len()),
                    )),
                })
                .collect::<Result<StringArray>>()?;
            Ok(Arc::new(names) as ArrayRef)
        };
        let column = column_function("index_to_string", vec![col(&input)], DataType::Utf8, kernel);
        Ok(df.with_column(output, column)?)
    }

    fn writer(&self) -> Option<MlWriter<'_>> {
        Some(MlWriter::new(self))
    }
}

persistable!(IndexToString);

/// Spark's layout: the metadata only (`inputCol`, `outputCol`, `labels`), no `data/`.
impl Persist for IndexToString {
    const CLASS: &'static str = "org.apache.spark.ml.feature.IndexToString";

    fn params(&self) -> Map<String, Value> {
        let mut map = Map::new();
        if let Some(input) = &self.input_col {
            map.insert("inputCol".into(), json!(input));
        }
        if let Some(output) = &self.output_col {
            map.insert("outputCol".into(), json!(output));
        }
        if !self.labels.is_empty() {
            map.insert("labels".into(), json!(self.labels));
        }
        map
    }

    fn tables(&self) -> Result<Vec<(&'static str, RecordBatch)>> {
        Ok(Vec::new())
    }

    fn from_saved(metadata: &Metadata, _tables: &Tables) -> Result<Self> {
        Ok(IndexToString {
            input_col: metadata.optional_string("inputCol")?,
            output_col: metadata.optional_string("outputCol")?,
            labels: metadata.strings("labels")?.unwrap_or_default(),
        })
    }
}
