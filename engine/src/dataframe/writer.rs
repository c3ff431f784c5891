//! `df.write()`: DataFrames into files, atomically (Spark's `DataFrameWriter`).
//!
//! A write goes to a hidden staging directory next to the target; only when every file is complete is the
//! staging directory renamed into place (or, for `Append`, its files moved in) and `_SUCCESS` written, so a failed
//! or killed write never leaves a partial dataset where readers look. The files are written by one job, named after
//! the writer's method as in Spark (`parquet at …`), which `cancel_all_jobs` stops. Parquet written here is plain Arrow/Parquet,
//! read back by pyarrow and DuckDB.

use super::DataFrame;
use crate::error::{Error, Result};
use crate::output;
use datafusion::common::config::{CsvOptions, TableParquetOptions};
use datafusion::datasource::file_format::csv::CsvFormatFactory;
use datafusion::datasource::file_format::json::JsonFormatFactory;
use datafusion::datasource::file_format::parquet::ParquetFormatFactory;
use datafusion::datasource::file_format::{FileFormatFactory, format_as_file_type};
use datafusion::logical_expr::LogicalPlanBuilder;
use std::collections::{BTreeMap, HashMap};
use std::panic::Location;
use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;

/// What to do when the target exists (Spark's `SaveMode`; the default is `ErrorIfExists`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SaveMode {
    /// Add the new files to the existing ones.
    Append,
    /// Replace the existing dataset.
    Overwrite,
    /// Fail if the target exists.
    #[default]
    ErrorIfExists,
    /// Do nothing if the target exists.
    Ignore,
}

impl FromStr for SaveMode {
    type Err = Error;

    /// Spark's mode names: `append`, `overwrite`, `error`/`errorifexists`/`default`, `ignore`.
    fn from_str(s: &str) -> Result<Self> {
        match s.to_ascii_lowercase().as_str() {
            "append" => Ok(SaveMode::Append),
            "overwrite" => Ok(SaveMode::Overwrite),
            "error" | "errorifexists" | "default" => Ok(SaveMode::ErrorIfExists),
            "ignore" => Ok(SaveMode::Ignore),
            other => Err(Error::param(
                "mode",
                format!("unknown save mode `{other}`; use append, overwrite, error, errorifexists or ignore"),
            )),
        }
    }
}

/// Builder of a write: `.mode(..)`, `.partition_by(..)`, `.option(..)`, then `.parquet(path)`, `.csv(path)` or
/// `.json(path)`.
#[derive(Debug, Clone)]
pub struct DataFrameWriter {
    df: DataFrame,
    mode: SaveMode,
    partition_by: Vec<String>,
    options: BTreeMap<String, String>,
}

/// A file format the writer writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    Parquet,
    Csv,
    Json,
}

impl Format {
    /// The format of a name (`parquet`, `csv`, `json`), and the extension of its files.
    pub(crate) fn parse(name: &str) -> Option<(Format, &'static str)> {
        match name {
            "parquet" => Some((Format::Parquet, "parquet")),
            "csv" => Some((Format::Csv, "csv")),
            "json" => Some((Format::Json, "json")),
            _ => None,
        }
    }

    /// The writer method's name, which names the job as in Spark (`parquet at …`).
    fn method(self) -> &'static str {
        match self {
            Format::Parquet => "parquet",
            Format::Csv => "csv",
            Format::Json => "json",
        }
    }
}

impl DataFrameWriter {
    pub(crate) fn new(df: DataFrame) -> Self {
        DataFrameWriter { df, mode: SaveMode::default(), partition_by: Vec::new(), options: BTreeMap::new() }
    }

    /// What to do when the target exists.
    pub fn mode(mut self, mode: SaveMode) -> Self {
        self.mode = mode;
        self
    }

    /// Writes one sub-directory per value of these columns (`col=value/`), as Hive and Spark lay them out.
    pub fn partition_by<'a>(mut self, cols: impl IntoIterator<Item = &'a str>) -> Self {
        self.partition_by = cols.into_iter().map(String::from).collect();
        self
    }

    /// A write option by Spark's name (case-insensitive): `header` and `sep` for CSV.
    pub fn option(mut self, key: &str, value: impl ToString) -> Self {
        self.options.insert(key.to_ascii_lowercase(), value.to_string());
        self
    }

    /// Writes Parquet files.
    #[track_caller]
    pub fn parquet(&self, path: impl AsRef<Path>) -> Result<()> {
        self.write(path.as_ref(), Format::Parquet)
    }

    /// Writes CSV files (no header unless `header` is `true`, as in Spark).
    #[track_caller]
    pub fn csv(&self, path: impl AsRef<Path>) -> Result<()> {
        self.write(path.as_ref(), Format::Csv)
    }

    /// Writes JSON lines.
    #[track_caller]
    pub fn json(&self, path: impl AsRef<Path>) -> Result<()> {
        self.write(path.as_ref(), Format::Json)
    }

    /// Writes the DataFrame as Parquet under the warehouse directory (`spark.sql.warehouse.dir`, default
    /// `spark-warehouse` in the working directory, as Spark) and registers it as table `name` for `session.table`
    /// and SQL. The registration lasts for the session (there is no metastore); the files stay.
    #[track_caller]
    pub fn save_as_table(&self, name: &str) -> Result<()> {
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(Error::param("name", format!("`{name}` is not a table name; use letters, digits and `_`")));
        }
        let session = &self.df.session;
        let warehouse = session.conf("spark.sql.warehouse.dir").unwrap_or_else(|| "spark-warehouse".to_string());
        let path = Path::new(&warehouse).join(name);
        self.parquet(&path)?;
        let state = session.ctx.sql_state()?;
        state.ctx.deregister_table(name)?;
        let location = format!("{}/", path.display());
        state.block_on(state.ctx.register_parquet(
            name,
            &location,
            datafusion::prelude::ParquetReadOptions::default(),
        ))?;
        Ok(())
    }

    fn csv_options(&self) -> Result<CsvOptions> {
        let header = match self.options.get("header").map(|v| v.to_ascii_lowercase()).as_deref() {
            None | Some("false") => false,
            Some("true") => true,
            Some(v) => return Err(Error::param("header", format!("`{v}` is not a boolean; use true or false"))),
        };
        let sep = match self.options.get("sep").or_else(|| self.options.get("delimiter")).map(String::as_str) {
            None => b',',
            Some("\\t") => b'\t',
            Some(s) if s.len() == 1 => s.as_bytes()[0],
            Some(s) => return Err(Error::param("sep", format!("`{s}` must be a single ASCII character"))),
        };
        Ok(CsvOptions::default().with_has_header(header).with_delimiter(sep))
    }

    /// Writes the DataFrame's files into the directory `dir` (which the caller commits), as one job.
    #[track_caller]
    pub(crate) fn write_files(&self, dir: &Path, format: Format) -> Result<()> {
        let factory: Arc<dyn FileFormatFactory> = match format {
            Format::Parquet => Arc::new(ParquetFormatFactory::new_with_options(TableParquetOptions::default())),
            Format::Csv => Arc::new(CsvFormatFactory::new_with_options(self.csv_options()?)),
            Format::Json => Arc::new(JsonFormatFactory::new()),
        };
        // The plan DataFusion's `write_parquet`, `write_csv` and `write_json` build and collect, run as a job. A
        // trailing slash tells DataFusion to write a directory of files.
        let (state, input) = self.df.df.cloned().into_parts();
        let url = format!("{}/", dir.display());
        let copy = LogicalPlanBuilder::copy_to(
            input,
            url,
            format_as_file_type(factory),
            HashMap::new(),
            self.partition_by.clone(),
        )?
        .build()?;
        self.df.derive(datafusion::dataframe::DataFrame::new(state, copy)).run(format.method(), Location::caller())?;
        Ok(())
    }

    #[track_caller]
    fn write(&self, target: &Path, format: Format) -> Result<()> {
        let exists = target.exists();
        match (self.mode, exists) {
            (SaveMode::ErrorIfExists, true) => return Err(Error::PathExists { path: target.to_path_buf() }),
            (SaveMode::Ignore, true) => return Ok(()),
            _ => {}
        }
        let staging = output::staging_dir(target, "flint")?;
        self.write_files(staging.path(), format)?;
        let staged = output::seal(staging)?;
        match (self.mode, exists) {
            (SaveMode::Append, true) => output::commit_append(&staged, target),
            (SaveMode::Overwrite, true) => output::commit_replace(&staged, target),
            _ => output::commit_new(&staged, target),
        }
    }
}

impl DataFrame {
    /// Writes the DataFrame to files: `df.write().mode(SaveMode::Overwrite).parquet(path)`.
    pub fn write(&self) -> DataFrameWriter {
        DataFrameWriter::new(self.clone())
    }
}
