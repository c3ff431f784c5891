//! `session.read()`: files into DataFrames, with Spark's options and defaults (Spark's `DataFrameReader`).
//!
//! Paths are files, directories (hidden and `_`-prefixed files skipped, as Spark skips `_SUCCESS`) or globs.
//! CSV follows Spark's defaults: no header (columns `_c0`, `_c1`, …), every column a string unless
//! `inferSchema` is set or a schema is given. JSON is one object per line; inferred columns are sorted by name,
//! as Spark sorts them.

use super::DataFrame;
use crate::error::{Error, Result};
use crate::rdd::text::list_input_files;
use crate::session::Session;
use datafusion::arrow::array::StringArray;
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::prelude::{CsvReadOptions, JsonReadOptions, ParquetReadOptions};
use std::collections::BTreeMap;
use std::io::Read;
use std::sync::Arc;

/// Builder of a read: `.schema(..)`, `.option(..)`, then `.csv(path)`, `.json(path)`, `.parquet(path)` or
/// `.text(path)`.
#[derive(Debug, Clone)]
pub struct DataFrameReader {
    session: Session,
    schema: Option<SchemaRef>,
    options: BTreeMap<String, String>,
}

/// Spark's parse modes for malformed records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Permissive,
    DropMalformed,
    FailFast,
}

impl DataFrameReader {
    pub(crate) fn new(session: Session) -> Self {
        DataFrameReader { session, schema: None, options: BTreeMap::new() }
    }

    /// The schema to read with, instead of inferring one.
    pub fn schema(mut self, schema: impl Into<SchemaRef>) -> Self {
        self.schema = Some(schema.into());
        self
    }

    /// A read option, by Spark's name (keys are case-insensitive): `header`, `inferSchema`, `sep`/`delimiter`,
    /// `mode`, `columnNameOfCorruptRecord`.
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

    fn paths(path: &str) -> Result<Vec<String>> {
        Ok(list_input_files(path)?.into_iter().map(|p| p.to_string_lossy().into_owned()).collect())
    }

    fn frame(&self, df: datafusion::dataframe::DataFrame) -> DataFrame {
        DataFrame::new(self.session.clone(), df)
    }

    /// Reads CSV files.
    pub fn csv(&self, path: &str) -> Result<DataFrame> {
        let header = self.bool_option("header", false)?;
        let infer = self.bool_option("inferSchema", false)?;
        let sep = self.separator()?;
        // Malformed rows currently fail the read in every mode; the mode is validated so that a typo is caught.
        self.mode()?;
        let paths = Self::paths(path)?;
        let state = self.session.ctx.sql_state()?;
        let options = || CsvReadOptions::new().has_header(header).delimiter(sep).file_extension("");
        let schema: Option<Schema> = match (&self.schema, infer) {
            (Some(s), _) => Some(s.as_ref().clone()),
            (None, true) => None,
            // Spark reads every column as a string unless asked to infer.
            (None, false) => {
                let probe = state.block_on(state.ctx.read_csv(paths.clone(), options().schema_infer_max_records(1)))?;
                let fields: Vec<Field> =
                    probe.schema().fields().iter().map(|f| Field::new(f.name(), DataType::Utf8, true)).collect();
                Some(Schema::new(fields))
            }
        };
        let df = match &schema {
            Some(s) => state.block_on(state.ctx.read_csv(paths, options().schema(s)))?,
            None => state.block_on(state.ctx.read_csv(paths, options()))?,
        };
        let df = if header || self.schema.is_some() {
            df
        } else {
            // Spark names headerless columns _c0, _c1, …
            let renamed: Vec<_> = df
                .schema()
                .fields()
                .iter()
                .enumerate()
                .map(|(i, f)| datafusion::prelude::col(format!("\"{}\"", f.name())).alias(format!("_c{i}")))
                .collect();
            df.select(renamed)?
        };
        Ok(self.frame(df))
    }

    /// Reads JSON lines (one object per line).
    pub fn json(&self, path: &str) -> Result<DataFrame> {
        self.mode()?;
        let paths = Self::paths(path)?;
        let state = self.session.ctx.sql_state()?;
        let options = JsonReadOptions::default().file_extension("");
        let df = match &self.schema {
            Some(s) => state.block_on(state.ctx.read_json(paths, options.schema(s.as_ref())))?,
            None => {
                let df = state.block_on(state.ctx.read_json(paths, options))?;
                let mut names: Vec<String> = df.schema().fields().iter().map(|f| f.name().clone()).collect();
                names.sort();
                let cols: Vec<_> = names.iter().map(|n| datafusion::prelude::col(format!("\"{n}\""))).collect();
                df.select(cols)?
            }
        };
        Ok(self.frame(df))
    }

    /// Reads Parquet files.
    pub fn parquet(&self, path: &str) -> Result<DataFrame> {
        let paths = Self::paths(path)?;
        let state = self.session.ctx.sql_state()?;
        let options = ParquetReadOptions { file_extension: "", ..Default::default() };
        let options = match &self.schema {
            Some(s) => options.schema(s.as_ref()),
            None => options,
        };
        Ok(self.frame(state.block_on(state.ctx.read_parquet(paths, options))?))
    }

    /// Reads text files: one row per line, in a string column named `value`.
    pub fn text(&self, path: &str) -> Result<DataFrame> {
        let mut lines: Vec<String> = Vec::new();
        for file in list_input_files(path)? {
            let f = std::fs::File::open(&file).map_err(|e| Error::io("reading", &file, e))?;
            let mut content = String::new();
            let read = if file.extension().is_some_and(|e| e == "gz") {
                flate2::read::MultiGzDecoder::new(f).read_to_string(&mut content)
            } else {
                std::io::BufReader::new(f).read_to_string(&mut content)
            };
            read.map_err(|e| Error::io("reading", &file, e))?;
            lines.extend(content.lines().map(String::from));
        }
        let schema = Arc::new(Schema::new(vec![Field::new("value", DataType::Utf8, true)]));
        let batch = RecordBatch::try_new(schema, vec![Arc::new(StringArray::from(lines))])?;
        self.session.create_dataframe_from_batches(vec![batch])
    }
}
