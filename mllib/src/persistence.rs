//! Saving and loading models (Spark's `MLWritable`/`MLReadable`), in Spark's on-disk layout so that other tools
//! read the files and Spark's own saved models load:
//!
//! ```text
//! model/
//!   metadata/part-00000   one JSON line: class, timestamp, sparkVersion, uid, paramMap,
//!                         defaultParamMap, and flintFormatVersion (Flint's own field)
//!   metadata/_SUCCESS
//!   data/part-00000.parquet   the fitted values, with Spark's column names and vector/matrix layouts
//!   data/_SUCCESS
//! ```
//!
//! Each Parquet file also carries Spark's own schema of its table (the key `org.apache.spark.sql.parquet.row.metadata`,
//! as Spark writes it), without which Spark reads a vector or matrix column as a plain struct and refuses to load
//! the model; list items are named `element`, as in Spark's files. Flint's saves load in PySpark 4.0.1.
//!
//! A model without fitted values (`VectorAssembler`, `IndexToString`) has no `data/`. A `PipelineModel` has no
//! `data/` either, but `stages/`: one saved model per stage, in `stages/{index}_{uid}/` (the index zero-padded to
//! the width of the number of stages), the uids listed in order as the parameter `stageUids`, as Spark saves it.
//!
//! **Pipeline stages.** A pipeline holds its stages as `dyn Transformer`, so saving and loading one cannot name
//! their types. To save, every stage gives its writer through [`Transformer::writer`], which Flint's persistable
//! models and transformers provide and other transformers do not (saving a pipeline holding one is then an error
//! naming its type, as Spark refuses a stage that is not `MLWritable`). To load, the class name in each stage's
//! metadata is looked up in one table of every class Flint reads (`STAGES` below; Spark looks the class up by
//! reflection), so a new persistable model is added there; a class not in it is an error naming the class.
//!
//! **Format versions.** `flintFormatVersion` is 1 for everything this version writes. A directory without it was
//! written by Spark and is read by its Spark layout (which is format 1's). A version above 1 comes from a newer
//! Flint and is refused with an error saying so, as is any version this Flint never wrote. A save stages the whole
//! directory and renames it into place, so a failed save leaves no half-written model.

use crate::error::{Error, Result};
use crate::frame::{array_to_vectors, vectors_to_array};
use crate::linalg::{DenseMatrix, Vector};
use crate::pipeline::Transformer;
use arrow::array::{Array, ArrayRef, AsArray, RecordBatch};
use arrow::datatypes::{DataType, Field, Fields, Int8Type, Int32Type, Schema};
use flint_engine::output::StagedDir;
use serde_json::{Map, Value, json};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// The format version this Flint writes, and the newest it reads.
pub const FORMAT_VERSION: u64 = 1;

/// The Spark version whose layout the files follow (written as `sparkVersion`).
const SPARK_LAYOUT: &str = "4.0.1";

/// A model that can be saved (Spark's `MLWritable`).
pub trait MlWritable {
    /// A writer, for options: `model.write().overwrite().save(path)`.
    fn write(&self) -> MlWriter<'_>;

    /// Saves to `path`, which must not exist (Spark's `save`).
    fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        self.write().save(path)
    }
}

/// A model that can be loaded (Spark's `MLReadable`): `KMeansModel::load(path)`.
pub trait MlReadable: Sized {
    /// Loads a model saved by Flint or by Spark.
    fn load(path: impl AsRef<Path>) -> Result<Self>;
}

/// Writes a model's files into a (staging) directory, under a uid.
type WriteFiles<'a> = Box<dyn Fn(&Path, &str) -> Result<()> + 'a>;

/// Options of a save (Spark's `MLWriter`).
pub struct MlWriter<'a> {
    class: &'static str,
    write: WriteFiles<'a>,
    overwrite: bool,
}

impl std::fmt::Debug for MlWriter<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MlWriter")
            .field("class", &self.class)
            .field("overwrite", &self.overwrite)
            .finish_non_exhaustive()
    }
}

impl<'a> MlWriter<'a> {
    pub(crate) fn new<M: Persist>(model: &'a M) -> Self {
        MlWriter { class: M::CLASS, write: Box::new(move |dir, uid| write_model(model, dir, uid)), overwrite: false }
    }

    /// The Spark class the model is saved as (`org.apache.spark.ml.clustering.KMeansModel`, …).
    pub fn class(&self) -> &'static str {
        self.class
    }

    /// Writes the model's files into `dir` (a stage directory inside a pipeline's staged save), with `uid`.
    pub(crate) fn write_into(&self, dir: &Path, uid: &str) -> Result<()> {
        (self.write)(dir, uid)
    }

    /// Replaces whatever `path` holds (the previous model stays readable if the save fails).
    pub fn overwrite(mut self) -> Self {
        self.overwrite = true;
        self
    }

    /// Writes the model to `path`.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        let staged = StagedDir::new(path.as_ref())?;
        (self.write)(staged.path(), &new_uid(self.class)).map_err(|e| retarget(e, staged.path(), path.as_ref()))?;
        Ok(staged.commit(self.overwrite)?)
    }
}

/// An error about a file of the staging directory, told about the same file of the target instead.
fn retarget(error: Error, staging: &Path, target: &Path) -> Error {
    match error {
        Error::Persistence { path, message } => match path.strip_prefix(staging) {
            Ok(relative) => Error::Persistence { path: target.join(relative), message },
            Err(_) => Error::Persistence { path, message },
        },
        other => other,
    }
}

/// A new uid for a model of Spark class `class`, in Spark's shape: the class's short name, `_`, 12 hex digits
/// (Spark's are random; these mix the clock and a counter, so that they differ within a process and a pipeline).
pub(crate) fn new_uid(class: &str) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let short = class.rsplit(['.', ':']).next().unwrap_or(class);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or_default();
    // SplitMix64's finaliser, over the time and the count.
    let mut z = nanos.wrapping_add(COUNTER.fetch_add(1, Ordering::Relaxed).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    format!("{short}_{:012x}", z & 0xFFFF_FFFF_FFFF)
}

/// What a model type tells the generic save and load.
pub(crate) trait Persist: Sized {
    /// Spark's class name, written as `class` and checked on load.
    const CLASS: &'static str;
    /// The model's parameters by Spark's names (`paramMap`).
    fn params(&self) -> Map<String, Value>;
    /// Fields of the metadata beside the parameters (Spark's `extraMetadata`, e.g. ALS's `rank`).
    fn extra(&self) -> Map<String, Value> {
        Map::new()
    }
    /// Other classes whose saves this model reads (PySpark's `pyspark.ml.pipeline.PipelineModel`).
    const ALSO_READS: &'static [&'static str] = &[];
    /// The fitted values: tables by directory name (`data` for most models; none for a transformer without
    /// fitted values, which then has no `data/`).
    fn tables(&self) -> Result<Vec<(&'static str, RecordBatch)>>;
    /// Writes what is neither metadata nor a table into the model's directory `dir` (a pipeline's `stages/`).
    fn write_more(&self, _dir: &Path) -> Result<()> {
        Ok(())
    }
    /// The model from its metadata and tables.
    fn from_saved(metadata: &Metadata, tables: &Tables) -> Result<Self>;
}

/// Implements [`MlWritable`] and [`MlReadable`] for models that implement [`Persist`].
macro_rules! persistable {
    ($($model:ty),* $(,)?) => {$(
        impl $crate::persistence::MlWritable for $model {
            fn write(&self) -> $crate::persistence::MlWriter<'_> {
                $crate::persistence::MlWriter::new(self)
            }
        }

        impl $crate::persistence::MlReadable for $model {
            fn load(path: impl AsRef<std::path::Path>) -> $crate::error::Result<Self> {
                $crate::persistence::read_model(path.as_ref())
            }
        }
    )*};
}
pub(crate) use persistable;

/// A saved model's `metadata/part-00000`.
#[derive(Debug, Clone)]
pub(crate) struct Metadata {
    path: PathBuf,
    params: Map<String, Value>,
    fields: Value,
}

/// The tables of a saved model, read on demand.
#[derive(Debug)]
pub(crate) struct Tables {
    root: PathBuf,
}

impl Tables {
    /// The table in directory `name` (`data`, `userFactors`, …).
    pub(crate) fn get(&self, name: &str) -> Result<Table> {
        read_table(&self.root.join(name))
    }

    /// The table in directory `name` of a model that saves one row there (Spark's `data/` of most models); any
    /// other number of rows is an error that says so of `model` ("a PCA model's data is one row").
    pub(crate) fn one_row(&self, name: &str, model: &str) -> Result<Table> {
        let table = self.get(name)?;
        if table.rows() != 1 {
            return Err(table.error(format!("{model}'s data is one row")));
        }
        Ok(table)
    }

    /// The directory `name` of the saved model (a pipeline's `stages`).
    pub(crate) fn dir(&self, name: &str) -> PathBuf {
        self.root.join(name)
    }
}

impl Metadata {
    /// An error about this metadata.
    pub(crate) fn error(&self, message: impl std::fmt::Display) -> Error {
        Error::Persistence { path: self.path.clone(), message: message.to_string() }
    }

    /// A parameter, if saved.
    pub(crate) fn param(&self, name: &str) -> Option<&Value> {
        self.params.get(name)
    }

    /// The saved model's Spark class.
    pub(crate) fn class(&self) -> &str {
        self.fields.get("class").and_then(Value::as_str).unwrap_or_default()
    }

    /// A top-level field of the metadata (Spark's `extraMetadata`).
    pub(crate) fn field(&self, name: &str) -> Option<&Value> {
        self.fields.get(name)
    }

    /// A string parameter, or `default` when it was not saved.
    pub(crate) fn string(&self, name: &str, default: &str) -> Result<String> {
        match self.param(name) {
            None => Ok(default.to_string()),
            Some(Value::String(s)) => Ok(s.clone()),
            Some(other) => Err(self.error(format!("parameter `{name}` should be a string, found {other}"))),
        }
    }

    /// A boolean parameter, or `default` when it was not saved.
    pub(crate) fn bool(&self, name: &str, default: bool) -> Result<bool> {
        match self.param(name) {
            None => Ok(default),
            Some(v) => {
                v.as_bool().ok_or_else(|| self.error(format!("parameter `{name}` should be a boolean, found {v}")))
            }
        }
    }

    /// A parameter holding an array of strings (`inputCols`, `stageUids`, …), if saved.
    pub(crate) fn strings(&self, name: &str) -> Result<Option<Vec<String>>> {
        let Some(value) = self.param(name) else { return Ok(None) };
        let wrong = || self.error(format!("parameter `{name}` should be an array of strings, found {value}"));
        let items = value.as_array().ok_or_else(wrong)?;
        items.iter().map(|v| v.as_str().map(str::to_string).ok_or_else(wrong)).collect::<Result<_>>().map(Some)
    }

    /// A string parameter, if saved.
    pub(crate) fn optional_string(&self, name: &str) -> Result<Option<String>> {
        self.param(name).map(|_| self.string(name, "")).transpose()
    }

    /// A string parameter that has no default.
    pub(crate) fn required_string(&self, name: &str) -> Result<String> {
        self.optional_string(name)?.ok_or_else(|| self.error(format!("the parameter `{name}` is not saved")))
    }

    /// Spark's single- or multi-column parameters (`inputCol`/`outputCol` or `inputCols`/`outputCols`), as
    /// lists of equal length.
    pub(crate) fn in_out_cols(&self) -> Result<(Vec<String>, Vec<String>)> {
        let (inputs, outputs) = match (self.param("inputCol"), self.strings("inputCols")?) {
            (Some(_), _) => (vec![self.required_string("inputCol")?], vec![self.required_string("outputCol")?]),
            (None, Some(inputs)) => {
                let outputs = self.strings("outputCols")?.unwrap_or_default();
                (inputs, outputs)
            }
            (None, None) => return Err(self.error("neither `inputCol` nor `inputCols` is saved")),
        };
        if inputs.is_empty() || inputs.len() != outputs.len() {
            return Err(self.error(format!("{} output columns for {} input columns", outputs.len(), inputs.len())));
        }
        Ok((inputs, outputs))
    }

    /// A numeric parameter, or `default` when it was not saved.
    pub(crate) fn f64(&self, name: &str, default: f64) -> Result<f64> {
        match self.param(name) {
            None => Ok(default),
            Some(v) => {
                v.as_f64().ok_or_else(|| self.error(format!("parameter `{name}` should be a number, found {v}")))
            }
        }
    }
}

/// A saved table, with typed access to its columns.
#[derive(Debug)]
pub(crate) struct Table {
    path: PathBuf,
    batch: RecordBatch,
}

impl Table {
    /// An error about this table's contents.
    pub(crate) fn error(&self, message: impl std::fmt::Display) -> Error {
        Error::Persistence { path: self.path.clone(), message: message.to_string() }
    }

    /// The number of rows.
    pub(crate) fn rows(&self) -> usize {
        self.batch.num_rows()
    }

    /// The first value of column `name`, as `read` reads the column ([`Table::vectors`], …): the value of a
    /// one-row table ([`Tables::one_row`]).
    pub(crate) fn value<T>(&self, name: &str, read: impl Fn(&Self, &str) -> Result<Vec<T>>) -> Result<T> {
        read(self, name)?.into_iter().next().ok_or_else(|| self.error(format!("column `{name}` has no row")))
    }

    fn column(&self, name: &str) -> Result<&ArrayRef> {
        self.batch.column_by_name(name).ok_or_else(|| self.error(format!("the data has no column `{name}`")))
    }

    /// A column of integers (any integer width), without nulls.
    pub(crate) fn ints(&self, name: &str) -> Result<Vec<i64>> {
        let column = self.column(name)?;
        let cast = arrow::compute::cast(column, &DataType::Int64)
            .ok()
            .filter(|_| column.data_type().is_integer())
            .ok_or_else(|| self.error(format!("column `{name}` should hold integers, found {}", column.data_type())))?;
        self.without_nulls(name, cast.as_primitive::<arrow::datatypes::Int64Type>())
    }

    /// A column of doubles, without nulls.
    pub(crate) fn doubles(&self, name: &str) -> Result<Vec<f64>> {
        let column = self.column(name)?;
        let values = column
            .as_primitive_opt::<arrow::datatypes::Float64Type>()
            .ok_or_else(|| self.error(format!("column `{name}` should hold doubles, found {}", column.data_type())))?;
        self.without_nulls(name, values)
    }

    /// The values of column `name`, which must have no nulls.
    fn without_nulls<T: arrow::datatypes::ArrowPrimitiveType>(
        &self,
        name: &str,
        values: &arrow::array::PrimitiveArray<T>,
    ) -> Result<Vec<T::Native>> {
        if values.null_count() > 0 {
            return Err(self.error(format!("column `{name}` has nulls")));
        }
        Ok(values.values().to_vec())
    }

    /// A column of booleans, without nulls.
    pub(crate) fn bools(&self, name: &str) -> Result<Vec<bool>> {
        let column = self.column(name)?;
        let values = column
            .as_boolean_opt()
            .filter(|v| v.null_count() == 0)
            .ok_or_else(|| self.error(format!("column `{name}` should hold booleans, found {}", column.data_type())))?;
        Ok(values.iter().map(|v| v.unwrap_or(false)).collect())
    }

    /// A column of lists of floats or doubles (ALS's factors), without nulls.
    pub(crate) fn float_lists(&self, name: &str) -> Result<Vec<Vec<f64>>> {
        let column = self.column(name)?;
        let wrong =
            || self.error(format!("column `{name}` should hold arrays of floats, found {}", column.data_type()));
        let lists = column.as_list_opt::<i32>().ok_or_else(wrong)?;
        if lists.null_count() > 0 || !lists.value_type().is_floating() {
            return Err(wrong());
        }
        let values = arrow::compute::cast(lists.values(), &DataType::Float64).map_err(|_| wrong())?;
        let values = values.as_primitive::<arrow::datatypes::Float64Type>();
        Ok(lists.offsets().windows(2).map(|w| values.values()[w[0] as usize..w[1] as usize].to_vec()).collect())
    }

    /// A column of arrays of integers (OneHotEncoder's `categorySizes`), without nulls.
    pub(crate) fn int_lists(&self, name: &str) -> Result<Vec<Vec<i64>>> {
        let column = self.column(name)?;
        let wrong =
            || self.error(format!("column `{name}` should hold arrays of integers, found {}", column.data_type()));
        let lists = column.as_list_opt::<i32>().ok_or_else(wrong)?;
        if lists.null_count() > 0 || !lists.value_type().is_integer() || lists.values().null_count() > 0 {
            return Err(wrong());
        }
        let values = arrow::compute::cast(lists.values(), &DataType::Int64).map_err(|_| wrong())?;
        let values = values.as_primitive::<arrow::datatypes::Int64Type>();
        Ok(lists.offsets().windows(2).map(|w| values.values()[w[0] as usize..w[1] as usize].to_vec()).collect())
    }

    /// A column of arrays of arrays of strings (StringIndexer's `labelsArray`), without nulls.
    pub(crate) fn string_list_lists(&self, name: &str) -> Result<Vec<Vec<Vec<String>>>> {
        let column = self.column(name)?;
        let wrong = || {
            self.error(format!("column `{name}` should hold arrays of arrays of strings, found {}", column.data_type()))
        };
        let outer = column.as_list_opt::<i32>().filter(|l| l.null_count() == 0).ok_or_else(wrong)?;
        let inner = outer.values().as_list_opt::<i32>().filter(|l| l.null_count() == 0).ok_or_else(wrong)?;
        if !matches!(inner.value_type(), DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View) {
            return Err(wrong());
        }
        let strings = arrow::compute::cast(inner.values(), &DataType::Utf8).map_err(|_| wrong())?;
        let strings = strings.as_string::<i32>();
        if strings.null_count() > 0 {
            return Err(self.error(format!("column `{name}` holds a null string")));
        }
        let inner: Vec<Vec<String>> = inner
            .offsets()
            .windows(2)
            .map(|w| (w[0] as usize..w[1] as usize).map(|i| strings.value(i).to_string()).collect())
            .collect();
        Ok(outer.offsets().windows(2).map(|w| inner[w[0] as usize..w[1] as usize].to_vec()).collect())
    }

    /// A column of vectors (Spark's `VectorUDT` layout), without nulls.
    pub(crate) fn vectors(&self, name: &str) -> Result<Vec<Vector>> {
        let column = self.column(name)?;
        let vectors = array_to_vectors(column.as_ref(), name).map_err(|e| self.error(e))?;
        vectors.into_iter().map(|v| v.ok_or_else(|| self.error(format!("column `{name}` has nulls")))).collect()
    }

    /// A column of matrices (Spark's `MatrixUDT` layout), without nulls.
    pub(crate) fn matrices(&self, name: &str) -> Result<Vec<DenseMatrix>> {
        let column = self.column(name)?;
        matrices_from_array(column.as_ref()).map_err(|message| self.error(format!("column `{name}`: {message}")))
    }
}

/// Spark's `MatrixUDT` layout: `struct<type: tinyint (0 sparse, 1 dense), numRows, numCols, colPtrs,
/// rowIndices, values, isTransposed>`.
fn matrix_fields() -> Fields {
    let ints = DataType::List(Arc::new(Field::new_list_field(DataType::Int32, false)));
    let doubles = DataType::List(Arc::new(Field::new_list_field(DataType::Float64, false)));
    Fields::from(vec![
        Field::new("type", DataType::Int8, false),
        Field::new("numRows", DataType::Int32, false),
        Field::new("numCols", DataType::Int32, false),
        Field::new("colPtrs", ints.clone(), true),
        Field::new("rowIndices", ints, true),
        Field::new("values", doubles, true),
        Field::new("isTransposed", DataType::Boolean, false),
    ])
}

/// A column of dense matrices in Spark's layout (column-major values, not transposed).
pub(crate) fn matrices_to_array(matrices: &[DenseMatrix]) -> ArrayRef {
    use arrow::array::{BooleanArray, Float64Builder, Int8Array, Int32Array, Int32Builder, ListBuilder, StructArray};
    let n = matrices.len();
    let mut col_ptrs = ListBuilder::new(Int32Builder::new());
    let mut row_indices = ListBuilder::new(Int32Builder::new());
    let mut values = ListBuilder::new(Float64Builder::new());
    for m in matrices {
        col_ptrs.append_null();
        row_indices.append_null();
        values.values().append_slice(&m.to_array());
        values.append(true);
    }
    let fields = matrix_fields();
    let list = |f: &Field, a: arrow::array::ListArray| -> ArrayRef {
        // The builders name their item field `item`; Spark's schema says `element`, nullable or not per field.
        let (_, offsets, items, nulls) = a.into_parts();
        match f.data_type() {
            DataType::List(item) => Arc::new(arrow::array::ListArray::new(Arc::clone(item), offsets, items, nulls)),
            _ => Arc::new(arrow::array::ListArray::new_null(Arc::new(Field::new_list_field(DataType::Null, true)), 0)),
        }
    };
    let columns: Vec<ArrayRef> = vec![
        Arc::new(Int8Array::from(vec![1i8; n])),
        Arc::new(Int32Array::from(matrices.iter().map(|m| m.num_rows() as i32).collect::<Vec<_>>())),
        Arc::new(Int32Array::from(matrices.iter().map(|m| m.num_cols() as i32).collect::<Vec<_>>())),
        list(&fields[3], col_ptrs.finish()),
        list(&fields[4], row_indices.finish()),
        list(&fields[5], values.finish()),
        Arc::new(BooleanArray::from(vec![false; n])),
    ];
    Arc::new(StructArray::new(fields, columns, None))
}

/// The matrices of a `MatrixUDT` column, dense or sparse (CSC, or CSR when transposed), as dense matrices.
fn matrices_from_array(array: &dyn Array) -> std::result::Result<Vec<DenseMatrix>, String> {
    let s = array.as_struct_opt().ok_or_else(|| format!("expected a matrix, found {}", array.data_type()))?;
    let field = |name: &str| s.column_by_name(name).ok_or_else(|| format!("a matrix has no field `{name}`"));
    let kinds = field("type")?.as_primitive_opt::<Int8Type>().ok_or("field `type` should be a tinyint")?;
    let rows = field("numRows")?.as_primitive_opt::<Int32Type>().ok_or("field `numRows` should be an int")?;
    let cols = field("numCols")?.as_primitive_opt::<Int32Type>().ok_or("field `numCols` should be an int")?;
    let col_ptrs = field("colPtrs")?.as_list_opt::<i32>().ok_or("field `colPtrs` should be a list")?;
    let row_indices = field("rowIndices")?.as_list_opt::<i32>().ok_or("field `rowIndices` should be a list")?;
    let values = field("values")?.as_list_opt::<i32>().ok_or("field `values` should be a list")?;
    let transposed = field("isTransposed")?.as_boolean_opt().ok_or("field `isTransposed` should be a boolean")?;
    let ints = |list: &arrow::array::ListArray, row: usize| -> std::result::Result<Vec<usize>, String> {
        let items = list.value(row);
        let items = items.as_primitive_opt::<Int32Type>().ok_or("matrix indices should be ints")?;
        items.values().iter().map(|&i| usize::try_from(i).map_err(|_| format!("negative matrix index {i}"))).collect()
    };
    (0..s.len())
        .map(|row| {
            if s.is_null(row) || values.is_null(row) {
                return Err(format!("row {row} holds no matrix"));
            }
            let (r, c) = (rows.value(row).max(0) as usize, cols.value(row).max(0) as usize);
            let vals = values.value(row);
            let vals =
                vals.as_primitive_opt::<arrow::datatypes::Float64Type>().ok_or("matrix values should be doubles")?;
            let vals = vals.values();
            let t = transposed.value(row);
            // Dense values are column-major, or row-major when transposed.
            let mut m = vec![0.0; r * c];
            let put = |m: &mut Vec<f64>, i: usize, j: usize, v: f64| -> std::result::Result<(), String> {
                let slot =
                    (i < r && j < c).then(|| i + j * r).ok_or(format!("matrix entry ({i}, {j}) outside {r}×{c}"))?;
                m[slot] = v;
                Ok(())
            };
            if kinds.value(row) == 1 {
                if vals.len() != r * c {
                    return Err(format!("a {r}×{c} dense matrix has {} values", vals.len()));
                }
                for (k, &v) in vals.iter().enumerate() {
                    let (i, j) = if t { (k / c, k % c) } else { (k % r, k / r) };
                    put(&mut m, i, j, v)?;
                }
            } else {
                if col_ptrs.is_null(row) || row_indices.is_null(row) {
                    return Err(format!("row {row}: a sparse matrix needs colPtrs and rowIndices"));
                }
                let (ptrs, idx) = (ints(col_ptrs, row)?, ints(row_indices, row)?);
                // CSC over columns, or (transposed) CSR over rows.
                let outer = if t { r } else { c };
                if ptrs.len() != outer + 1 || ptrs.last() != Some(&idx.len()) || idx.len() != vals.len() {
                    return Err(format!("row {row}: inconsistent sparse matrix pointers"));
                }
                for o in 0..outer {
                    for k in ptrs[o]..ptrs[o + 1].max(ptrs[o]) {
                        let inner = *idx.get(k).ok_or("sparse matrix pointer out of range")?;
                        let (i, j) = if t { (o, inner) } else { (inner, o) };
                        put(&mut m, i, j, vals[k])?;
                    }
                }
            }
            DenseMatrix::new(r, c, m).map_err(|e| e.to_string())
        })
        .collect()
}

fn io_error(path: &Path, doing: &str, e: impl std::fmt::Display) -> Error {
    Error::Persistence { path: path.to_path_buf(), message: format!("{doing}: {e}") }
}

/// Writes `metadata/`, the tables (`data/`, …) and anything more of `model` into `dir`.
fn write_model<M: Persist>(model: &M, dir: &Path, uid: &str) -> Result<()> {
    let timestamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or_default();
    let mut metadata = json!({
        "class": M::CLASS,
        "timestamp": timestamp,
        "sparkVersion": SPARK_LAYOUT,
        "uid": uid,
        "paramMap": Value::Object(model.params()),
        "defaultParamMap": {},
        "flintFormatVersion": FORMAT_VERSION,
    });
    if let Value::Object(fields) = &mut metadata {
        fields.extend(model.extra());
    }
    let meta_dir = dir.join("metadata");
    std::fs::create_dir_all(&meta_dir).map_err(|e| io_error(&meta_dir, "creating", e))?;
    let line = format!("{metadata}\n");
    let part = meta_dir.join("part-00000");
    std::fs::write(&part, line).map_err(|e| io_error(&part, "writing", e))?;
    std::fs::write(meta_dir.join("_SUCCESS"), "").map_err(|e| io_error(&meta_dir, "writing _SUCCESS", e))?;
    for (name, batch) in model.tables()? {
        write_table(&dir.join(name), &batch)?;
    }
    model.write_more(dir)
}

/// `array` with Spark's name for the items of every list in it, `element` (Arrow's builders say `item`), so that
/// the schema reads as Spark's own saves do.
fn spark_list_names(array: ArrayRef) -> Result<ArrayRef, arrow::error::ArrowError> {
    Ok(match array.data_type() {
        DataType::List(_) => {
            let (field, offsets, values, nulls) = array.as_list::<i32>().clone().into_parts();
            let values = spark_list_names(values)?;
            let item = Field::new("element", values.data_type().clone(), field.is_nullable());
            Arc::new(arrow::array::ListArray::try_new(Arc::new(item), offsets, values, nulls)?)
        }
        DataType::Struct(_) => {
            let (fields, columns, nulls) = array.as_struct().clone().into_parts();
            let columns = columns.into_iter().map(spark_list_names).collect::<Result<Vec<_>, _>>()?;
            let fields: Fields = fields
                .iter()
                .zip(&columns)
                .map(|(f, c)| f.as_ref().clone().with_data_type(c.data_type().clone()))
                .collect();
            Arc::new(arrow::array::StructArray::try_new(fields, columns, nulls)?)
        }
        _ => array,
    })
}

/// The key under which Spark keeps a Parquet file's schema in its own terms, which it reads back instead of the
/// Parquet schema: without it, Spark sees a vector or matrix column as a plain struct and refuses to load it.
const SPARK_SCHEMA_KEY: &str = "org.apache.spark.sql.parquet.row.metadata";

/// Spark's JSON of a column type (`DataType.json`): vectors and matrices as Spark ML's UDTs.
fn spark_type_json(data_type: &DataType) -> Result<Value, String> {
    let udt = |class: &str| -> Result<Value, String> {
        let sql_type = match data_type {
            DataType::Struct(fields) => spark_struct_json(fields)?,
            _ => Value::Null,
        };
        Ok(json!({
            "type": "udt",
            "class": format!("org.apache.spark.ml.linalg.{class}"),
            "pyClass": format!("pyspark.ml.linalg.{class}"),
            "sqlType": sql_type,
        }))
    };
    Ok(match data_type {
        t if flint_engine::dataframe::udt::is_vector_type(t) => udt("VectorUDT")?,
        DataType::Struct(fields) if fields.iter().map(|f| f.name()).eq(matrix_fields().iter().map(|f| f.name())) => {
            udt("MatrixUDT")?
        }
        DataType::Struct(fields) => spark_struct_json(fields)?,
        DataType::List(item) => json!({
            "type": "array",
            "elementType": spark_type_json(item.data_type())?,
            "containsNull": item.is_nullable(),
        }),
        DataType::Boolean => json!("boolean"),
        DataType::Int8 => json!("byte"),
        DataType::Int16 => json!("short"),
        DataType::Int32 => json!("integer"),
        DataType::Int64 => json!("long"),
        DataType::Float32 => json!("float"),
        DataType::Float64 => json!("double"),
        DataType::Utf8 => json!("string"),
        other => return Err(format!("no Spark type for {other}")),
    })
}

/// Spark's JSON of a struct type.
fn spark_struct_json(fields: &Fields) -> Result<Value, String> {
    let fields = fields
        .iter()
        .map(|f| {
            Ok(json!({
                "name": f.name(),
                "type": spark_type_json(f.data_type())?,
                "nullable": f.is_nullable(),
                "metadata": {},
            }))
        })
        .collect::<Result<Vec<_>, String>>()?;
    Ok(json!({"type": "struct", "fields": fields}))
}

/// Writes one Parquet file and `_SUCCESS` into `dir`.
fn write_table(dir: &Path, batch: &RecordBatch) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| io_error(dir, "creating", e))?;
    let naming = |e| io_error(dir, "naming the table's list items as Spark does", e);
    let columns =
        batch.columns().iter().cloned().map(spark_list_names).collect::<Result<Vec<_>, _>>().map_err(naming)?;
    let fields: Vec<Field> = batch
        .schema()
        .fields()
        .iter()
        .zip(&columns)
        .map(|(f, c)| f.as_ref().clone().with_data_type(c.data_type().clone()))
        .collect();
    let batch = &RecordBatch::try_new(Arc::new(Schema::new(fields)), columns).map_err(naming)?;
    let path = dir.join("part-00000.parquet");
    let spark_schema = spark_struct_json(batch.schema().fields()).map_err(|e| io_error(dir, "writing the table", e))?;
    let properties = parquet::file::properties::WriterProperties::builder()
        .set_key_value_metadata(Some(vec![
            parquet::file::metadata::KeyValue::new(SPARK_SCHEMA_KEY.to_string(), spark_schema.to_string()),
            parquet::file::metadata::KeyValue::new("org.apache.spark.version".to_string(), SPARK_LAYOUT.to_string()),
        ]))
        .build();
    let file = std::fs::File::create(&path).map_err(|e| io_error(&path, "creating", e))?;
    let mut writer = parquet::arrow::ArrowWriter::try_new(file, batch.schema(), Some(properties))
        .map_err(|e| io_error(&path, "writing Parquet", e))?;
    writer.write(batch).map_err(|e| io_error(&path, "writing Parquet", e))?;
    writer.close().map_err(|e| io_error(&path, "writing Parquet", e))?;
    std::fs::write(dir.join("_SUCCESS"), "").map_err(|e| io_error(dir, "writing _SUCCESS", e))
}

/// Reads every Parquet file of `dir` (Spark may write several parts), in name order, as one table.
fn read_table(dir: &Path) -> Result<Table> {
    let entries = std::fs::read_dir(dir).map_err(|e| io_error(dir, "listing the model's data", e))?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "parquet"))
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(io_error(dir, "reading the model's data", "no Parquet file"));
    }
    let mut batches = Vec::new();
    let mut schema = None;
    for path in &files {
        let file = std::fs::File::open(path).map_err(|e| io_error(path, "opening", e))?;
        let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
            .and_then(|b| b.build())
            .map_err(|e| io_error(path, "reading Parquet", e))?;
        for batch in reader {
            let batch = batch.map_err(|e| io_error(path, "reading Parquet", e))?;
            schema.get_or_insert_with(|| batch.schema());
            batches.push(batch);
        }
    }
    let schema = schema.unwrap_or_else(|| Arc::new(Schema::empty()));
    let batch = arrow::compute::concat_batches(&schema, &batches)
        .map_err(|e| io_error(dir, "the Parquet parts have different columns", e))?;
    Ok(Table { path: dir.to_path_buf(), batch })
}

/// Reads the metadata of the model at `path` (`metadata/part-00000`, or Spark's `part-00000-<uuid>-c000.txt`),
/// checking its format version.
fn read_metadata(path: &Path) -> Result<Metadata> {
    if !path.is_dir() {
        return Err(io_error(path, "loading a model", "no such directory"));
    }
    let dir = path.join("metadata");
    let entries = std::fs::read_dir(&dir).map_err(|e| io_error(&dir, "listing the model's metadata", e))?;
    let mut parts: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.file_name().is_some_and(|n| n.to_string_lossy().starts_with("part-")))
        .collect();
    parts.sort();
    let part =
        parts.into_iter().next().ok_or_else(|| io_error(&dir, "reading the model's metadata", "no part file"))?;
    let text = std::fs::read_to_string(&part).map_err(|e| io_error(&part, "reading the model's metadata", e))?;
    let line = text.lines().next().unwrap_or_default();
    let meta: Value = serde_json::from_str(line)
        .map_err(|e| io_error(&part, "the model's metadata is not a JSON object (corrupt or not a model)", e))?;
    let error = |message: String| Error::Persistence { path: part.clone(), message };
    if !meta.get("class").is_some_and(Value::is_string) {
        return Err(error("no `class` field".into()));
    }
    match meta.get("flintFormatVersion") {
        // Written by Spark: its layout is format 1's.
        None => {}
        Some(v) => match v.as_u64() {
            Some(FORMAT_VERSION) => {}
            Some(v) if v > FORMAT_VERSION => {
                return Err(error(format!(
                    "saved by a newer Flint in format version {v}; this Flint reads format {FORMAT_VERSION}: \
                     upgrade Flint to load it"
                )));
            }
            _ => return Err(error(format!("unknown format version {v}: this Flint reads format {FORMAT_VERSION}"))),
        },
    }
    // Spark keeps the parameters set by the user apart from the defaults; a value is the first found.
    let mut params = Map::new();
    for key in ["defaultParamMap", "paramMap"] {
        match meta.get(key) {
            Some(Value::Object(map)) => params.extend(map.clone()),
            None => {}
            Some(other) => return Err(error(format!("`{key}` should be an object, found {other}"))),
        }
    }
    Ok(Metadata { path: part, params, fields: meta })
}

/// Loads the model at `path`.
pub(crate) fn read_model<M: Persist>(path: &Path) -> Result<M> {
    let metadata = read_metadata(path)?;
    let saved = metadata.class();
    if saved != M::CLASS && !M::ALSO_READS.contains(&saved) {
        return Err(metadata.error(format!("this is a saved {saved}, not a {}", M::CLASS)));
    }
    M::from_saved(&metadata, &Tables { root: path.to_path_buf() })
}

/// Loads a saved model of type `M` as a pipeline stage.
fn load_as_stage<M: Persist + Transformer + 'static>(
    metadata: &Metadata,
    tables: &Tables,
) -> Result<Arc<dyn Transformer>> {
    Ok(Arc::new(M::from_saved(metadata, tables)?))
}

/// A class that pipelines' stages can be, and its loader.
struct StageClass {
    class: &'static str,
    also_reads: &'static [&'static str],
    load: fn(&Metadata, &Tables) -> Result<Arc<dyn Transformer>>,
}

const fn stage_class<M: Persist + Transformer + 'static>() -> StageClass {
    StageClass { class: M::CLASS, also_reads: M::ALSO_READS, load: load_as_stage::<M> }
}

/// Every class Flint loads as a pipeline stage: each type implementing [`Persist`] must be listed.
const STAGES: &[StageClass] = &[
    stage_class::<crate::clustering::KMeansModel>(),
    stage_class::<crate::regression::LinearRegressionModel>(),
    stage_class::<crate::classification::LogisticRegressionModel>(),
    stage_class::<crate::recommendation::AlsModel>(),
    stage_class::<crate::feature::PcaModel>(),
    stage_class::<crate::feature::StandardScalerModel>(),
    stage_class::<crate::feature::MinMaxScalerModel>(),
    stage_class::<crate::feature::StringIndexerModel>(),
    stage_class::<crate::feature::IndexToString>(),
    stage_class::<crate::feature::OneHotEncoderModel>(),
    stage_class::<crate::feature::VectorAssembler>(),
    stage_class::<crate::pipeline::PipelineModel>(),
];

/// Loads the saved model at `path`, whichever its class, as a pipeline stage.
pub(crate) fn load_stage(path: &Path) -> Result<Arc<dyn Transformer>> {
    let metadata = read_metadata(path)?;
    let class = metadata.class();
    let Some(stage) = STAGES.iter().find(|s| s.class == class || s.also_reads.contains(&class)) else {
        let known: Vec<&str> = STAGES.iter().map(|s| s.class.rsplit('.').next().unwrap_or(s.class)).collect();
        return Err(metadata
            .error(format!("the stage is a saved {class}, which Flint cannot load; it loads {}", known.join(", "))));
    };
    (stage.load)(&metadata, &Tables { root: path.to_path_buf() })
}

/// A one-row or many-row table from named columns. As in Spark's saves, vectors, matrices, arrays and strings
/// are nullable columns, numbers and booleans not (unless they hold nulls).
pub(crate) fn table(columns: Vec<(&str, ArrayRef)>) -> Result<RecordBatch> {
    let nullable = |a: &ArrayRef| {
        a.null_count() > 0 || matches!(a.data_type(), DataType::Struct(_) | DataType::List(_) | DataType::Utf8)
    };
    let fields: Vec<Field> =
        columns.iter().map(|(name, a)| Field::new(*name, a.data_type().clone(), nullable(a))).collect();
    let arrays = columns.into_iter().map(|(_, a)| a).collect();
    RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays)
        .map_err(|e| Error::data("model persistence", format!("building the model's table: {e}")))
}

/// The tables of a model that saves `data/` only (Spark's layout for most models), from its named columns.
pub(crate) fn data_table(columns: Vec<(&str, ArrayRef)>) -> Result<Vec<(&'static str, RecordBatch)>> {
    Ok(vec![("data", table(columns)?)])
}

/// A column of one array of integers per row, in Spark's layout (`array<int>`, items not null).
pub(crate) fn int_list_column(lists: &[Vec<i32>]) -> ArrayRef {
    let mut builder = arrow::array::ListBuilder::new(arrow::array::Int32Builder::new())
        .with_field(Arc::new(Field::new("element", DataType::Int32, false)));
    for list in lists {
        builder.values().append_slice(list);
        builder.append(true);
    }
    Arc::new(builder.finish())
}

/// A column of one array of arrays of strings per row, in Spark's layout (`array<array<string>>`).
pub(crate) fn string_list_list_column(rows: &[Vec<Vec<String>>]) -> ArrayRef {
    use arrow::array::{ListBuilder, StringBuilder};
    let inner =
        ListBuilder::new(StringBuilder::new()).with_field(Arc::new(Field::new("element", DataType::Utf8, true)));
    let inner_type = DataType::List(Arc::new(Field::new("element", DataType::Utf8, true)));
    let mut builder = ListBuilder::new(inner).with_field(Arc::new(Field::new("element", inner_type, true)));
    for row in rows {
        for list in row {
            for s in list {
                builder.values().values().append_value(s);
            }
            builder.values().append(true);
        }
        builder.append(true);
    }
    Arc::new(builder.finish())
}

/// A vector column for [`table`].
pub(crate) fn vector_column(vectors: &[Vector]) -> ArrayRef {
    let vectors: Vec<Option<Vector>> = vectors.iter().cloned().map(Some).collect();
    vectors_to_array(&vectors)
}
