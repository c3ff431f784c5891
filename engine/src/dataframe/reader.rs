//! `session.read()`: files into DataFrames, with Spark's options and defaults (Spark's `DataFrameReader`).
//!
//! Paths are files, directories (hidden and `_`-prefixed files skipped, as Spark skips `_SUCCESS`) or globs.
//! CSV follows Spark's defaults: no header (columns `_c0`, `_c1`, …), every column a string unless
//! `inferSchema` is set or a schema is given. JSON is one object per line; inferred columns are sorted by name,
//! as Spark sorts them.
//!
//! CSV and JSON are parsed by Flint itself (`csv.rs` and `json.rs` next to this file, which say how each
//! follows Spark's parsers) so that malformed records are handled as Spark's `FailureSafeParser` handles them;
//! [`DataFrameReader`] documents the modes. Files are cut into byte ranges parsed in parallel on the session's
//! task threads; a range parses the lines that start in it, and batches keep the files' order. Measured on the
//! 10M-line `customer-orders-10m.csv` (167 MB, 2 threads), this reads 300-400 MB/s with a schema, as fast as
//! DataFusion's CSV reader, so it serves every CSV read and Spark's handling of bad field counts applies to
//! reads without a schema too.

#[path = "csv.rs"]
mod csv;
#[path = "json.rs"]
mod json;
#[path = "partitions.rs"]
mod partitions;

use super::DataFrame;
use super::show::spark_type_name;
use crate::error::{Error, Result};
use crate::rdd::text::list_input_files;
use crate::session::Session;
use datafusion::arrow::array::StringArray;
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::prelude::ParquetReadOptions;
use rayon::prelude::*;
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufRead, Read, Seek, SeekFrom};
use std::path::PathBuf;
use std::sync::Arc;

/// Builder of a read: `.schema(..)`, `.option(..)`, then `.csv(path)`, `.json(path)`, `.parquet(path)` or
/// `.text(path)`.
///
/// # Malformed CSV and JSON records
///
/// A record is malformed when a value does not convert to its column's type, when a CSV line has fewer or more
/// fields than the schema has columns, or when a JSON line is not an object. The `mode` option says what
/// happens to it, as in Spark:
///
/// * `PERMISSIVE` (the default) keeps it: the fields that could not be converted (or are missing) are null,
///   the others keep their values, and if the schema has a string column named by `columnNameOfCorruptRecord`
///   (default `_corrupt_record`) that column holds the record's line as it is in the file (null for good
///   records). Without a schema, JSON inference adds that column when it meets malformed lines.
/// * `DROPMALFORMED` drops it.
/// * `FAILFAST` fails the read at the first malformed record in file order, with an [`Error::Execution`] naming
///   the file, the line (1-based, counting every line of the file) and the column or field, what was expected
///   and what was found.
///
/// Files are parsed when `csv`/`json` is called rather than at the first action as in Spark, so a `FAILFAST`
/// error comes from the read. Records end with `\n` or `\r\n`: a quoted CSV field cannot span lines (Spark's
/// `multiLine` is not supported), nor can a JSON record. Gzip files (`.gz`) are decompressed. Values are read
/// as Spark reads them with its default options: the empty CSV field is null (`nullValue` is `""`), integers
/// are an optional sign and digits, doubles also `NaN`, `Inf`, `-Inf`, `Infinity`, booleans `true`/`false` in
/// any case, dates `yyyy-MM-dd`, timestamps `yyyy-MM-dd HH:mm:ss[.SSS…]` (or with `T`, or a date alone, with an
/// optional trailing `Z`) taken as UTC. Every field is read as nullable, as Spark reads files.
///
/// ```
/// use arrow::datatypes::{DataType, Field, Schema};
/// use flint_engine::prelude::*;
///
/// let session = Session::builder().master("local[2]").build()?;
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("ages.csv");
/// std::fs::write(&path, "Ann,34\nBen,abc\n")?;
/// let schema = Schema::new(vec![
///     Field::new("name", DataType::Utf8, true),
///     Field::new("age", DataType::Int32, true),
///     Field::new("_corrupt_record", DataType::Utf8, true),
/// ]);
/// let rows = session.read().schema(schema.clone()).csv(&path.to_string_lossy())?.collect()?;
/// assert_eq!(rows[1].get_as::<Option<i32>>("age")?, None);
/// assert_eq!(rows[1].get_as::<String>("_corrupt_record")?, "Ben,abc");
/// let failed = session.read().schema(schema).option("mode", "FAILFAST").csv(&path.to_string_lossy());
/// assert!(failed.is_err_and(|e| e.to_string().contains("line 2, column 'age' (2)")));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct DataFrameReader {
    session: Session,
    schema: Option<SchemaRef>,
    /// Why the schema given could not be used (reported when reading).
    bad_schema: Option<String>,
    options: BTreeMap<String, String>,
}

/// A schema given to a reader: an Arrow schema, or a DDL string as Spark takes one (`"time TIMESTAMP, action
/// STRING"`, see [`parse_schema`](crate::functions::parse_schema)).
pub trait IntoSchema {
    /// The schema, or why the text is not one.
    fn into_schema(self) -> Result<SchemaRef>;
}

impl IntoSchema for SchemaRef {
    fn into_schema(self) -> Result<SchemaRef> {
        Ok(self)
    }
}

impl IntoSchema for Schema {
    fn into_schema(self) -> Result<SchemaRef> {
        Ok(Arc::new(self))
    }
}

impl IntoSchema for &str {
    fn into_schema(self) -> Result<SchemaRef> {
        crate::functions::parse_schema(self)
    }
}

impl IntoSchema for String {
    fn into_schema(self) -> Result<SchemaRef> {
        crate::functions::parse_schema(&self)
    }
}

/// A reader's schema: the schema given, or the error that the text given is not one.
pub(crate) fn user_schema(schema: impl IntoSchema) -> (Option<SchemaRef>, Option<String>) {
    match schema.into_schema() {
        Ok(schema) => (Some(schema), None),
        Err(Error::InvalidParameter { message, .. }) => (None, Some(message)),
        Err(e) => (None, Some(e.to_string())),
    }
}

/// Spark's parse modes for malformed records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Permissive,
    DropMalformed,
    FailFast,
}

/// What the CSV and JSON readers do with a malformed record.
#[derive(Debug, Clone)]
struct ParseSettings {
    mode: Mode,
    /// `columnNameOfCorruptRecord`: the column that receives a malformed record's text, if the schema has it.
    corrupt_column: String,
}

impl DataFrameReader {
    pub(crate) fn new(session: Session) -> Self {
        DataFrameReader { session, schema: None, bad_schema: None, options: BTreeMap::new() }
    }

    /// The schema to read with, instead of inferring one: an Arrow schema or a DDL string
    /// (`"name STRING, age INT"`).
    pub fn schema(mut self, schema: impl IntoSchema) -> Self {
        (self.schema, self.bad_schema) = user_schema(schema);
        self
    }

    /// A read option, by Spark's name (keys are case-insensitive): `header`, `inferSchema`, `sep`/`delimiter`,
    /// `mode` (`PERMISSIVE`, `DROPMALFORMED`, `FAILFAST`), `columnNameOfCorruptRecord`.
    pub fn option(mut self, key: &str, value: impl ToString) -> Self {
        self.options.insert(key.to_ascii_lowercase(), value.to_string());
        self
    }

    fn bool_option(&self, key: &str, default: bool) -> Result<bool> {
        match self.options.get(&key.to_ascii_lowercase()).map(|v| v.to_ascii_lowercase()) {
            None => Ok(default),
            Some(v) if v == "true" => Ok(true),
            Some(v) if v == "false" => Ok(false),
            Some(v) => Err(Error::param(key, format!("`{v}` is not a boolean; use true or false"))),
        }
    }

    fn separator(&self) -> Result<u8> {
        let sep = self.options.get("sep").or_else(|| self.options.get("delimiter"));
        match sep.map(String::as_str) {
            None => Ok(b','),
            Some("\\t") => Ok(b'\t'),
            // The quote character cannot also separate fields.
            Some("\"") => Err(Error::param("sep", "`\"` is the quote character and cannot be the separator")),
            Some(s) if s.len() == 1 => Ok(s.as_bytes()[0]),
            Some(s) => Err(Error::param("sep", format!("`{s}` must be a single ASCII character"))),
        }
    }

    fn mode(&self) -> Result<Mode> {
        match self.options.get("mode").map(|m| m.to_ascii_uppercase()).as_deref() {
            None | Some("PERMISSIVE") => Ok(Mode::Permissive),
            Some("DROPMALFORMED") => Ok(Mode::DropMalformed),
            Some("FAILFAST") => Ok(Mode::FailFast),
            Some(other) => Err(Error::param(
                "mode",
                format!("`{other}` is not a parse mode; use PERMISSIVE, DROPMALFORMED or FAILFAST"),
            )),
        }
    }

    fn csv_options(&self) -> Result<csv::CsvOptions> {
        Ok(csv::CsvOptions {
            sep: self.separator()?,
            header: self.bool_option("header", false)?,
            infer: self.bool_option("inferSchema", false)?,
            settings: self.parse_settings()?,
        })
    }

    fn parse_settings(&self) -> Result<ParseSettings> {
        let corrupt_column =
            self.options.get("columnnameofcorruptrecord").cloned().unwrap_or_else(|| "_corrupt_record".to_string());
        Ok(ParseSettings { mode: self.mode()?, corrupt_column })
    }

    fn frame(&self, df: datafusion::dataframe::DataFrame) -> DataFrame {
        DataFrame::new(self.session.clone(), df)
    }

    /// A DataFrame of parsed batches; no batches (no rows) still gives the schema.
    fn batches_frame(&self, schema: SchemaRef, mut batches: Vec<RecordBatch>) -> Result<DataFrame> {
        if batches.is_empty() {
            batches.push(RecordBatch::new_empty(schema));
        }
        self.session.create_dataframe_from_batches(batches)
    }

    /// The data files of `path` and its partition layout if it is a partitioned directory; the user schema
    /// without the partition columns.
    fn inputs(&self, path: &str) -> Result<(Vec<PathBuf>, Option<partitions::Layout>, Option<Schema>)> {
        if let Some(e) = &self.bad_schema {
            return Err(Error::param("schema", e.clone()));
        }
        let layout = partitions::discover(path, self.schema.as_deref())?;
        let files = match &layout {
            Some(layout) => layout.files.clone(),
            // A streaming file sink's directory holds its committed files only as its log lists them.
            None => match crate::streaming::committed_files(std::path::Path::new(path))? {
                Some(files) => files,
                None => list_input_files(path)?,
            },
        };
        let schema = match (&layout, &self.schema) {
            (Some(layout), Some(schema)) => Some(layout.data_schema(schema)),
            (_, schema) => schema.as_deref().cloned(),
        };
        Ok((files, layout, schema))
    }

    /// The parsed batches with the partition columns of their files, as a DataFrame.
    fn parsed_frame(
        &self,
        layout: Option<partitions::Layout>,
        schema: SchemaRef,
        batches: Vec<(PathBuf, RecordBatch)>,
    ) -> Result<DataFrame> {
        let (schema, batches) = match layout {
            Some(layout) => layout.append(&schema, batches)?,
            None => (schema, batches.into_iter().map(|(_, b)| b).collect()),
        };
        self.batches_frame(schema, batches)
    }

    /// Reads CSV files; see the type's documentation for malformed records. A directory written with
    /// `partition_by` gives its partition columns too.
    pub fn csv(&self, path: &str) -> Result<DataFrame> {
        let options = self.csv_options()?;
        let (files, layout, schema) = self.inputs(path)?;
        let (schema, batches) = csv::read(&self.session, &files, schema.as_ref(), &options)?;
        self.parsed_frame(layout, schema, batches)
    }

    /// Reads JSON lines (one object, or one array of objects, per line); see the type's documentation for
    /// malformed records. A directory written with `partition_by` gives its partition columns too.
    pub fn json(&self, path: &str) -> Result<DataFrame> {
        let settings = self.parse_settings()?;
        let (files, layout, schema) = self.inputs(path)?;
        let (schema, batches) = json::read(&self.session, &files, schema.as_ref(), &settings)?;
        self.parsed_frame(layout, schema, batches)
    }

    /// Reads Parquet files. A directory written with `partition_by` gives its partition columns too (its data
    /// files are those ending in `.parquet`, as every writer names them).
    pub fn parquet(&self, path: &str) -> Result<DataFrame> {
        let state = self.session.ctx.sql_state()?;
        let (files, layout, schema) = self.inputs(path)?;
        let df = match layout {
            Some(layout) => {
                let columns = layout.columns.iter().map(|f| (f.name().clone(), f.data_type().clone())).collect();
                let options = ParquetReadOptions { table_partition_cols: columns, ..Default::default() };
                let options = match &schema {
                    Some(s) => options.schema(s),
                    None => options,
                };
                let root = format!("{}/", path.trim_end_matches('/'));
                state.block_on(state.ctx.read_parquet(root, options))?
            }
            None => parquet_files(state, &files, schema.as_ref())?,
        };
        Ok(self.frame(df))
    }

    /// Reads text files: one row per line, in a string column named `value`.
    pub fn text(&self, path: &str) -> Result<DataFrame> {
        let batch = read_text(&list_input_files(path)?)?;
        self.session.create_dataframe_from_batches(vec![batch])
    }

    /// Reads exactly `files` (no listing, no partition discovery) in `format` (`csv`, `json`, `parquet` or `text`)
    /// with this reader's schema and options, as the matching method reads them; a streaming file source reads
    /// each micro-batch's files with it. No files give no batches and the schema the reader would use (for CSV
    /// or JSON without a schema, the empty one), so a caller can check a schema and options without reading.
    pub(crate) fn read_files(&self, format: &str, files: &[PathBuf]) -> Result<(SchemaRef, Vec<RecordBatch>)> {
        let without_paths = |batches: Vec<(PathBuf, RecordBatch)>| batches.into_iter().map(|(_, b)| b).collect();
        match format.to_ascii_lowercase().as_str() {
            "csv" => {
                let (schema, batches) = csv::read(&self.session, files, self.schema.as_deref(), &self.csv_options()?)?;
                Ok((schema, without_paths(batches)))
            }
            "json" => {
                let settings = self.parse_settings()?;
                let (schema, batches) = json::read(&self.session, files, self.schema.as_deref(), &settings)?;
                Ok((schema, without_paths(batches)))
            }
            // DataFusion cannot take an empty list of files, and there is nothing to read.
            "parquet" if files.is_empty() => {
                Ok((self.schema.clone().unwrap_or_else(|| Arc::new(Schema::empty())), Vec::new()))
            }
            "parquet" => {
                let state = self.session.ctx.sql_state()?;
                let schema = match &self.schema {
                    Some(schema) => Arc::clone(schema),
                    None => parquet_files(state, files, None)?.schema().inner().clone(),
                };
                // File by file, each partition by partition: DataFusion lists the paths of one read concurrently
                // (in any order), and `collect` interleaves partitions as they finish. The same files then give
                // their rows in the same order every time.
                let mut batches = Vec::new();
                for file in files {
                    let df = parquet_files(state, std::slice::from_ref(file), Some(&schema))?;
                    batches.extend(state.block_on(df.collect_partitioned())?.into_iter().flatten());
                }
                Ok((schema, batches))
            }
            "text" => {
                let batch = read_text(files)?;
                let schema = batch.schema();
                Ok((schema, if batch.num_rows() == 0 { Vec::new() } else { vec![batch] }))
            }
            other => Err(Error::param(
                "format",
                format!("`{other}` is not a file format that can be read; use csv, json, parquet or text"),
            )),
        }
    }
}

/// A DataFusion read of a list of Parquet files, whatever their names end with.
fn parquet_files(
    state: &crate::session::SqlState,
    files: &[PathBuf],
    schema: Option<&Schema>,
) -> Result<datafusion::dataframe::DataFrame> {
    let paths: Vec<String> = files.iter().map(|p| p.to_string_lossy().into_owned()).collect();
    let options = ParquetReadOptions { file_extension: "", ..Default::default() };
    let options = match schema {
        Some(s) => options.schema(s),
        None => options,
    };
    Ok(state.block_on(state.ctx.read_parquet(paths, options))?)
}

/// The lines of text files, in order, as one batch of a string column `value` (Spark's text schema); gzip files
/// (`.gz`) are decompressed.
fn read_text(files: &[PathBuf]) -> Result<RecordBatch> {
    let mut lines: Vec<String> = Vec::new();
    for file in files {
        let f = std::fs::File::open(file).map_err(|e| Error::io("reading", file, e))?;
        let mut content = String::new();
        let read = if file.extension().is_some_and(|e| e == "gz") {
            flate2::read::MultiGzDecoder::new(f).read_to_string(&mut content)
        } else {
            std::io::BufReader::new(f).read_to_string(&mut content)
        };
        read.map_err(|e| Error::io("reading", file, e))?;
        lines.extend(content.lines().map(String::from));
    }
    let schema = Arc::new(Schema::new(vec![Field::new("value", DataType::Utf8, true)]));
    Ok(RecordBatch::try_new(schema, vec![Arc::new(StringArray::from(lines))])?)
}

// ---- shared by the CSV and JSON readers ----

/// Rows per Arrow batch built by the CSV and JSON readers.
const BATCH_ROWS: usize = 8192;

/// The largest byte range one task parses: small enough to balance the work over the task threads and to
/// bound the memory a task holds, large enough that per-range costs do not matter.
const MAX_SPLIT: u64 = 8 << 20;

/// A byte range of a file, parsed by one task.
#[derive(Debug, Clone)]
struct Split {
    path: PathBuf,
    start: u64,
    /// Exclusive; the lines that start before `end` belong to this split, even if they end after it.
    end: u64,
    gzip: bool,
}

/// The smallest byte range a task parses, Spark's `spark.sql.files.openCostInBytes` (4 MB) by default: as in Spark,
/// a small file is read by one task in file order, so its sums of doubles add up in Spark's order.
const OPEN_COST: u64 = 4 << 20;

/// Cuts the files into ranges of `total / parallelism` bytes, but at least `spark.sql.files.openCostInBytes` and
/// at most `MAX_SPLIT` (Spark's split size, with a smaller cap).
fn plan_splits(session: &Session, files: &[PathBuf]) -> Result<Vec<Split>> {
    let key = "spark.sql.files.openCostInBytes";
    let floor = match session.conf(key) {
        Some(v) => crate::session::parse_bytes(key, &v)? as u64,
        None => OPEN_COST,
    };
    cut_splits(files, session.default_parallelism(), floor)
}

/// Cuts the files into ranges of `total / parallelism` bytes within `[floor, MAX_SPLIT]`; gzip and empty files are
/// one range each.
fn cut_splits(files: &[PathBuf], parallelism: usize, floor: u64) -> Result<Vec<Split>> {
    let mut lens = Vec::with_capacity(files.len());
    for file in files {
        lens.push(std::fs::metadata(file).map_err(|e| Error::io("reading", file, e))?.len());
    }
    let total: u64 = lens.iter().sum();
    let size = (total / parallelism.max(1) as u64).max(floor).clamp(1, MAX_SPLIT);
    let mut splits = Vec::new();
    for (path, &len) in files.iter().zip(&lens) {
        let gzip = path.extension().is_some_and(|e| e == "gz");
        if gzip || len == 0 {
            splits.push(Split { path: path.clone(), start: 0, end: len, gzip });
            continue;
        }
        let mut start = 0;
        while start < len {
            let end = (start + size).min(len);
            splits.push(Split { path: path.clone(), start, end, gzip });
            start = end;
        }
    }
    Ok(splits)
}

impl Split {
    /// The bytes of the lines that start in this split, the last one read to its terminator. The line under way
    /// at `start` belongs to the previous split, so every line is read exactly once.
    fn read(&self) -> Result<Vec<u8>> {
        let io = |e| Error::io("reading", &self.path, e);
        let mut file = File::open(&self.path).map_err(io)?;
        let mut bytes = Vec::new();
        if self.gzip {
            flate2::read::MultiGzDecoder::new(file).read_to_end(&mut bytes).map_err(io)?;
            return Ok(bytes);
        }
        // The byte before the split says whether a line starts at `start`.
        let from = self.start.saturating_sub(1);
        file.seek(SeekFrom::Start(from)).map_err(io)?;
        (&mut file).take(self.end - from).read_to_end(&mut bytes).map_err(io)?;
        let first = if self.start == 0 { 0 } else { memchr::memchr(b'\n', &bytes).map_or(bytes.len(), |i| i + 1) };
        if first >= bytes.len() {
            return Ok(Vec::new());
        }
        bytes.drain(..first);
        if bytes.last() != Some(&b'\n') {
            let mut chunk = vec![0u8; 64 << 10];
            loop {
                let n = file.read(&mut chunk).map_err(io)?;
                let Some(read) = chunk.get(..n).filter(|r| !r.is_empty()) else { break };
                if let Some(i) = memchr::memchr(b'\n', read) {
                    bytes.extend_from_slice(&read[..=i]);
                    break;
                }
                bytes.extend_from_slice(read);
            }
        }
        Ok(bytes)
    }
}

/// The lines of a buffer without their `\n` or `\r\n`, numbered from 1. After the last one, `number` is how
/// many lines there were.
struct Lines<'a> {
    rest: &'a [u8],
    number: u64,
}

impl<'a> Lines<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Lines { rest: bytes, number: 0 }
    }
}

impl<'a> Iterator for Lines<'a> {
    type Item = (u64, &'a [u8]);

    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.is_empty() {
            return None;
        }
        let (line, rest) = match memchr::memchr(b'\n', self.rest) {
            Some(i) => (&self.rest[..i], &self.rest[i + 1..]),
            None => (self.rest, &self.rest[self.rest.len()..]),
        };
        self.rest = rest;
        self.number += 1;
        Some((self.number, line.strip_suffix(b"\r").unwrap_or(line)))
    }
}

/// Spark skips lines that are empty once trimmed (`filterCommentAndEmpty` for CSV; JSON's parser sees no token).
fn is_blank(line: &[u8]) -> bool {
    line.iter().all(|&b| b <= b' ')
}

/// A split's result, with how many lines start in the split (to number lines across the splits of a file).
struct SplitDone<T> {
    value: T,
    lines: u64,
}

/// Why a split stopped.
enum SplitError {
    Failed(Error),
    /// A malformed record in `FAILFAST` mode, at `line` of the split; `detail` follows the line number in the
    /// message (`, column 'age' (3): expected …`).
    Malformed {
        line: u64,
        detail: String,
    },
}

impl From<Error> for SplitError {
    fn from(e: Error) -> Self {
        SplitError::Failed(e)
    }
}

impl From<datafusion::arrow::error::ArrowError> for SplitError {
    fn from(e: datafusion::arrow::error::ArrowError) -> Self {
        SplitError::Failed(e.into())
    }
}

/// Runs `task` over the splits in parallel on the session's task threads and returns the values in split order.
/// A malformed record becomes an error naming its file and its line in the file; when several splits stopped
/// at one, the first in file order is reported, as a sequential read would.
fn run_splits<T: Send>(
    session: &Session,
    splits: &[Split],
    format: &str,
    task: impl Fn(&Split) -> Result<SplitDone<T>, SplitError> + Sync,
) -> Result<Vec<T>> {
    let results: Vec<_> = session.ctx.install(|| splits.par_iter().map(&task).collect());
    let mut values = Vec::with_capacity(results.len());
    // Lines of the current file in its earlier splits, all read in full since they ended without error.
    let mut lines_before = 0;
    for (split, result) in splits.iter().zip(results) {
        if split.start == 0 {
            lines_before = 0;
        }
        match result {
            Ok(done) => {
                lines_before += done.lines;
                values.push(done.value);
            }
            Err(SplitError::Failed(e)) => return Err(e),
            Err(SplitError::Malformed { line, detail }) => {
                return Err(Error::Execution(format!(
                    "malformed {format} record in {} line {}{detail} (mode FAILFAST; use mode PERMISSIVE to keep \
                     malformed records with nulls, or DROPMALFORMED to drop them)",
                    split.path.display(),
                    lines_before + line
                )));
            }
        }
    }
    Ok(values)
}

/// Each split's batches paired with the file it read.
fn with_files(splits: &[Split], batches: Vec<Vec<RecordBatch>>) -> Vec<(PathBuf, RecordBatch)> {
    splits
        .iter()
        .zip(batches)
        .flat_map(|(split, batches)| batches.into_iter().map(|b| (split.path.clone(), b)))
        .collect()
}

/// The first non-blank line of the first file that has one (the CSV header, or the record that gives the
/// number of columns).
fn first_line(files: &[PathBuf]) -> Result<Option<Vec<u8>>> {
    for path in files {
        let io = |e| Error::io("reading", path, e);
        let file = File::open(path).map_err(io)?;
        let mut reader: Box<dyn BufRead> = if path.extension().is_some_and(|e| e == "gz") {
            Box::new(std::io::BufReader::new(flate2::read::MultiGzDecoder::new(file)))
        } else {
            Box::new(std::io::BufReader::new(file))
        };
        let mut line = Vec::new();
        loop {
            line.clear();
            if reader.read_until(b'\n', &mut line).map_err(io)? == 0 {
                break;
            }
            if let Some((_, text)) = Lines::new(&line).next().filter(|(_, text)| !is_blank(text)) {
                return Ok(Some(text.to_vec()));
            }
        }
    }
    Ok(None)
}

/// Spark's `asNullable`: files are read with every field nullable, since a missing or malformed value is null.
fn as_nullable(schema: &Schema) -> SchemaRef {
    Arc::new(Schema::new_with_metadata(
        schema.fields().iter().map(|f| nullable_field(f)).collect::<Vec<_>>(),
        schema.metadata().clone(),
    ))
}

fn nullable_field(field: &Field) -> Field {
    let data_type = match field.data_type() {
        DataType::Struct(fields) => DataType::Struct(fields.iter().map(|f| nullable_field(f)).collect()),
        DataType::List(element) => DataType::List(Arc::new(nullable_field(element))),
        DataType::LargeList(element) => DataType::LargeList(Arc::new(nullable_field(element))),
        other => other.clone(),
    };
    field.clone().with_data_type(data_type).with_nullable(true)
}

/// Where the corrupt-record column is in the schema, if it is there; Spark requires it to be a string.
fn corrupt_index(schema: &Schema, name: &str) -> Result<Option<usize>> {
    match schema.index_of(name) {
        Err(_) => Ok(None),
        Ok(i) if schema.field(i).data_type() == &DataType::Utf8 => Ok(Some(i)),
        Ok(i) => Err(Error::param(
            "columnNameOfCorruptRecord",
            format!(
                "the corrupt record column `{name}` must be a string, but the schema makes it {}",
                spark_type_name(schema.field(i).data_type())
            ),
        )),
    }
}

/// What a value of `data_type` must look like, for error messages.
fn expected(data_type: &DataType) -> String {
    let name = spark_type_name(data_type);
    match data_type {
        DataType::Int8 | DataType::Int16 | DataType::Int32 | DataType::Int64 => format!("an integer ({name})"),
        DataType::Float32 | DataType::Float64 => format!("a number ({name})"),
        DataType::Boolean => "true or false (boolean)".to_string(),
        DataType::Date32 => "a date yyyy-MM-dd (date)".to_string(),
        DataType::Timestamp(..) => "a timestamp yyyy-MM-dd HH:mm:ss[.SSS] (timestamp)".to_string(),
        DataType::List(_) | DataType::LargeList(_) => format!("an array ({name})"),
        DataType::Struct(_) => format!("an object ({name})"),
        DataType::Null => "null".to_string(),
        _ => format!("a {name}"),
    }
}

/// A value's text for an error message, cut after 60 characters.
fn shorten(text: &str) -> String {
    const MAX: usize = 60;
    match text.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_string(),
    }
}

/// Parses `yyyy-MM-dd` (Spark's default `dateFormat`) into days since 1970-01-01.
fn parse_date(text: &[u8]) -> Option<i32> {
    let [y0, y1, y2, y3, b'-', m0, m1, b'-', d0, d1] = *text else { return None };
    let days = civil_days(digits(&[y0, y1, y2, y3])?.into(), digits(&[m0, m1])?, digits(&[d0, d1])?)?;
    i32::try_from(days).ok()
}

/// Parses a timestamp: `yyyy-MM-dd`, or `yyyy-MM-dd HH:mm:ss` (or with `T`) with up to 9 fraction digits,
/// optionally ending in `Z`, taken as UTC; returns it in `unit` since the epoch.
fn parse_timestamp(text: &[u8], unit: TimeUnit) -> Option<i64> {
    let text = text.strip_suffix(b"Z").unwrap_or(text);
    let (date, time) = text.split_at_checked(10)?;
    let days = i64::from(parse_date(date)?);
    let (second_of_day, nanos) = match *time {
        [] => (0, 0),
        [b' ' | b'T', h0, h1, b':', m0, m1, b':', s0, s1, ref fraction @ ..] => {
            let (hour, minute, second) = (digits(&[h0, h1])?, digits(&[m0, m1])?, digits(&[s0, s1])?);
            if hour > 23 || minute > 59 || second > 59 {
                return None;
            }
            let nanos = match fraction {
                [] => 0,
                [b'.', fraction @ ..] if (1..=9).contains(&fraction.len()) => {
                    digits(fraction)? * 10u32.pow(9 - fraction.len() as u32)
                }
                _ => return None,
            };
            (hour * 3600 + minute * 60 + second, nanos)
        }
        _ => return None,
    };
    let seconds = days * 86_400 + i64::from(second_of_day);
    let nanos = i64::from(nanos);
    match unit {
        TimeUnit::Second => Some(seconds),
        TimeUnit::Millisecond => seconds.checked_mul(1_000)?.checked_add(nanos / 1_000_000),
        TimeUnit::Microsecond => seconds.checked_mul(1_000_000)?.checked_add(nanos / 1_000),
        TimeUnit::Nanosecond => seconds.checked_mul(1_000_000_000)?.checked_add(nanos),
    }
}

/// The value of ASCII decimal digits (at most 9 of them); `None` if empty or not all digits.
fn digits(text: &[u8]) -> Option<u32> {
    if text.is_empty() || text.len() > 9 {
        return None;
    }
    text.iter().try_fold(0u32, |n, &b| b.is_ascii_digit().then(|| n * 10 + u32::from(b - b'0')))
}

/// Days from 1970-01-01 to a valid proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
fn civil_days(year: i64, month: u32, day: u32) -> Option<i64> {
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let month_days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    };
    if day == 0 || day > month_days {
        return None;
    }
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let year_of_era = y - era * 400;
    let month_from_march = (i64::from(month) + 9) % 12;
    let day_of_year = (153 * month_from_march + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    Some(era * 146_097 + day_of_era - 719_468)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_timestamps_parse_as_spark_writes_them() {
        assert_eq!(parse_date(b"1970-01-01"), Some(0));
        assert_eq!(parse_date(b"2000-03-01"), Some(11_017));
        assert_eq!(parse_date(b"2024-02-29"), Some(19_782));
        assert_eq!(parse_date(b"2023-02-29"), None);
        assert_eq!(parse_date(b"2024-13-01"), None);
        assert_eq!(parse_date(b"2024-1-01"), None);
        // 2021-03-04 05:06:07.5 UTC = 1614834367.5 s (date -u -d '2021-03-04 05:06:07' +%s).
        assert_eq!(parse_timestamp(b"2021-03-04 05:06:07.5", TimeUnit::Millisecond), Some(1_614_834_367_500));
        assert_eq!(parse_timestamp(b"2021-03-04T05:06:07Z", TimeUnit::Second), Some(1_614_834_367));
        assert_eq!(parse_timestamp(b"2021-03-04", TimeUnit::Microsecond), Some(1_614_816_000_000_000));
        assert_eq!(parse_timestamp(b"2021-03-04 25:00:00", TimeUnit::Second), None);
        assert_eq!(parse_timestamp(b"2021-03-04 05:06", TimeUnit::Second), None);
    }

    #[test]
    fn lines_drop_their_terminators_and_are_counted() {
        let mut lines = Lines::new(b"a\r\n\nb");
        assert_eq!(
            lines.by_ref().map(|(n, l)| (n, l.to_vec())).collect::<Vec<_>>(),
            [(1, b"a".to_vec()), (2, b"".to_vec()), (3, b"b".to_vec())]
        );
        assert_eq!(lines.number, 3);
        assert!(is_blank(b" \t") && !is_blank(b","));
    }

    #[test]
    fn splits_read_each_line_once() -> Result<()> {
        let dir = tempfile::tempdir().map_err(|e| Error::io("creating", "tempdir", e))?;
        let path = dir.path().join("f.txt");
        let text = "first line\nsecond\n\nthird line is longer\nlast";
        std::fs::write(&path, text).map_err(|e| Error::io("writing", &path, e))?;
        for parallelism in 1..=text.len() {
            let mut read = Vec::new();
            for split in cut_splits(std::slice::from_ref(&path), parallelism, 1)? {
                read.extend(split.read()?);
            }
            assert_eq!(String::from_utf8_lossy(&read), text, "at parallelism {parallelism}");
        }
        Ok(())
    }
}
