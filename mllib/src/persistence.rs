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
//! **Format versions.** `flintFormatVersion` is 1 for everything this version writes. A directory without it was
//! written by Spark and is read by its Spark layout (which is format 1's). A version above 1 comes from a newer
//! Flint and is refused with an error saying so, as is any version this Flint never wrote. A save stages the whole
//! directory and renames it into place, so a failed save leaves no half-written model.

use crate::error::{Error, Result};
use crate::frame::{array_to_vectors, vectors_to_array};
use crate::linalg::{DenseMatrix, Vector};
use arrow::array::{Array, ArrayRef, AsArray, RecordBatch};
use arrow::datatypes::{DataType, Field, Fields, Int8Type, Int32Type, Schema};
use flint_engine::output::StagedDir;
use serde_json::{Map, Value, json};
use std::path::{Path, PathBuf};
use std::sync::Arc;

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

/// Writes a model's files into a (staging) directory.
type WriteFiles<'a> = Box<dyn Fn(&Path) -> Result<()> + 'a>;

/// Options of a save (Spark's `MLWriter`).
pub struct MlWriter<'a> {
    write: WriteFiles<'a>,
    overwrite: bool,
}

impl std::fmt::Debug for MlWriter<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MlWriter").field("overwrite", &self.overwrite).finish_non_exhaustive()
    }
}

impl<'a> MlWriter<'a> {
    pub(crate) fn new<M: Persist>(model: &'a M) -> Self {
        MlWriter { write: Box::new(move |dir| write_model(model, dir)), overwrite: false }
    }

    /// Replaces whatever `path` holds (the previous model stays readable if the save fails).
    pub fn overwrite(mut self) -> Self {
        self.overwrite = true;
        self
    }

    /// Writes the model to `path`.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        let staged = StagedDir::new(path.as_ref())?;
        (self.write)(staged.path())?;
        Ok(staged.commit(self.overwrite)?)
    }
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
    /// The fitted values: tables by directory name (`data` for most models).
    fn tables(&self) -> Result<Vec<(&'static str, RecordBatch)>>;
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
        let values = cast.as_primitive::<arrow::datatypes::Int64Type>();
        if values.null_count() > 0 {
            return Err(self.error(format!("column `{name}` has nulls")));
        }
        Ok(values.values().to_vec())
    }

    /// A column of doubles, without nulls.
    pub(crate) fn doubles(&self, name: &str) -> Result<Vec<f64>> {
        let column = self.column(name)?;
        let values = column
            .as_primitive_opt::<arrow::datatypes::Float64Type>()
            .ok_or_else(|| self.error(format!("column `{name}` should hold doubles, found {}", column.data_type())))?;
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
        Field::new("numRows", DataType::Int32, true),
        Field::new("numCols", DataType::Int32, true),
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

/// Writes `metadata/` and `data/` of `model` into `dir`.
fn write_model<M: Persist>(model: &M, dir: &Path) -> Result<()> {
    let timestamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or_default();
    let short = M::CLASS.rsplit('.').next().unwrap_or(M::CLASS);
    let mut metadata = json!({
        "class": M::CLASS,
        "timestamp": timestamp,
        "sparkVersion": SPARK_LAYOUT,
        "uid": format!("{short}_flint{timestamp:x}"),
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
    Ok(())
}

/// Writes one Parquet file and `_SUCCESS` into `dir`.
fn write_table(dir: &Path, batch: &RecordBatch) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| io_error(dir, "creating", e))?;
    let path = dir.join("part-00000.parquet");
    let file = std::fs::File::create(&path).map_err(|e| io_error(&path, "creating", e))?;
    let mut writer = parquet::arrow::ArrowWriter::try_new(file, batch.schema(), None)
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
/// checking its class and format version.
fn read_metadata(path: &Path, class: &str) -> Result<Metadata> {
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
    let saved = meta.get("class").and_then(Value::as_str).ok_or_else(|| error("no `class` field".into()))?;
    if saved != class {
        return Err(error(format!("this is a saved {saved}, not a {class}")));
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
    let metadata = read_metadata(path, M::CLASS)?;
    M::from_saved(&metadata, &Tables { root: path.to_path_buf() })
}

/// A one-row or many-row table from named columns.
pub(crate) fn table(columns: Vec<(&str, ArrayRef)>) -> Result<RecordBatch> {
    let fields: Vec<Field> =
        columns.iter().map(|(name, a)| Field::new(*name, a.data_type().clone(), a.null_count() > 0)).collect();
    let arrays = columns.into_iter().map(|(_, a)| a).collect();
    RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays)
        .map_err(|e| Error::data("model persistence", format!("building the model's table: {e}")))
}

/// A vector column for [`table`].
pub(crate) fn vector_column(vectors: &[Vector]) -> ArrayRef {
    let vectors: Vec<Option<Vector>> = vectors.iter().cloned().map(Some).collect();
    vectors_to_array(&vectors)
}
