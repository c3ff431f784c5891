//! Spark's `FileStreamSource`: the files arriving in a directory, read as a stream (`csv`, `json`, `parquet`,
//! `text`).
//!
//! Each listing of the directory admits the files it has not seen before (not recursively; names starting with
//! `.` or `_` are skipped, as Spark skips hidden and temporary files) in order of modification time, then path,
//! and gives each the next index, from 1. The offset is the number of files admitted so far
//! ([`Offset::log_offset`]): a micro-batch from offset `a` to `b` reads the files of indices `a + 1 ..= b`, at
//! most `maxFilesPerTrigger` of them when that option is set. As in Spark a file is read once, when its batch
//! runs: a file changed after it was admitted is not read again.
//!
//! With a checkpoint, every listing that admits files is logged in the source's folder of it (Spark's
//! `sources/<i>`) before its files are offered, one file per listing named by its number (`0`, `1`, …) holding
//! `v1` then one JSON line per file (`{"path":…,"timestamp":…,"index":…}`, the timestamp its modification time
//! in milliseconds). A restarted query reloads the log, so the same offsets give the same files and no file is
//! admitted twice.
//!
//! The files of a batch are read by [`DataFrameReader::read_files`], with the stream's schema and options, as
//! `session.read()` reads them.

use super::source::{Offset, ReadLimit, Source, SourceProvider};
use crate::dataframe::DataFrameReader;
use crate::error::{Error, Result};
use crate::session::Session;
use datafusion::arrow::array::RecordBatchOptions;
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, SchemaRef};
use datafusion::arrow::record_batch::RecordBatch;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::UNIX_EPOCH;

/// The formats a file stream reads.
const FORMATS: [&str; 4] = ["csv", "json", "parquet", "text"];

/// The first line of every admission log file (Spark's metadata logs start with their version too).
const LOG_VERSION: &str = "v1";

/// Spark's message when a streaming file source has no schema.
const SCHEMA_REQUIRED: &str = "Schema must be specified when creating a streaming source DataFrame. If some files \
                               already exist in the directory, then depending on the file format you may be able \
                               to create a static DataFrame on that directory with 'spark.read.load(directory)' \
                               and infer schema from it.";

/// The file stream of directory `dir` in `format`, for `DataStreamReader::load`. Checks everything that can be
/// checked before the query starts: the format, the directory, the options (`maxFilesPerTrigger` and the
/// reader's) and the schema, which is required for `csv` and `json` unless `inferSchema` is true (then it is
/// inferred from the files already there), read from the first file for `parquet` without one, and one string
/// column (`value` by default) for `text`. `options` are the reader's options by Spark's names (any case).
pub(crate) fn provider(
    session: &Session,
    dir: &str,
    format: &str,
    schema: Option<SchemaRef>,
    options: BTreeMap<String, String>,
) -> Result<Arc<dyn SourceProvider>> {
    Ok(Arc::new(FileSourceProvider::new(session, dir, format, schema, options)?))
}

/// Makes a query's [`FileStreamSource`] of a directory.
#[derive(Debug, Clone)]
pub(crate) struct FileSourceProvider {
    /// The directory, absolute.
    dir: PathBuf,
    /// `csv`, `json`, `parquet` or `text`.
    format: String,
    /// The schema of the stream's rows.
    schema: SchemaRef,
    /// Reads a batch's files: the session, the options and the schema to parse with.
    reader: DataFrameReader,
    /// `maxFilesPerTrigger`.
    max_files: Option<u64>,
}

impl FileSourceProvider {
    pub(crate) fn new(
        session: &Session,
        dir: &str,
        format: &str,
        schema: Option<SchemaRef>,
        options: BTreeMap<String, String>,
    ) -> Result<FileSourceProvider> {
        let format = format.to_ascii_lowercase();
        if !FORMATS.contains(&format.as_str()) {
            return Err(Error::param(
                "format",
                format!("`{format}` is not a streaming file format; use {}", FORMATS.join(", ")),
            ));
        }
        let dir = std::path::absolute(dir)
            .map_err(|e| Error::param("path", format!("`{dir}` is not a usable directory path: {e}")))?;
        check_dir(&dir)?;
        let options: BTreeMap<String, String> = options.into_iter().map(|(k, v)| (k.to_ascii_lowercase(), v)).collect();
        let max_files = max_files_per_trigger(&options)?;
        let infer = match options.get("inferschema").map(|v| v.to_ascii_lowercase()).as_deref() {
            None | Some("false") => false,
            Some("true") => true,
            Some(v) => return Err(Error::param("inferSchema", format!("`{v}` is not a boolean; use true or false"))),
        };
        let base = options.iter().fold(DataFrameReader::new(session.clone()), |r, (k, v)| r.option(k, v));

        let (schema, reader) = match (format.as_str(), schema) {
            ("text", given) => {
                let (text_schema, _) = base.read_files("text", &[])?;
                let schema = match given {
                    Some(given) => check_text_schema(given)?,
                    None => text_schema,
                };
                (schema, base)
            }
            (_, Some(given)) => {
                let reader = base.schema(given);
                // Reading no files checks the options and the schema (the JSON reader's types, the corrupt-record
                // column) and gives the schema batches will have: for CSV and JSON, every column made nullable.
                let (schema, _) = reader.read_files(&format, &[])?;
                (schema, reader)
            }
            ("parquet", None) => {
                let first = list_files(&dir)?.into_iter().next().ok_or_else(|| Error::Plan(SCHEMA_REQUIRED.into()))?;
                // Lazy: DataFusion reads only the footer to give the schema.
                let schema = base.parquet(&first.path.to_string_lossy())?.schema();
                (Arc::clone(&schema), base.schema(schema))
            }
            (_, None) if infer => {
                let files: Vec<PathBuf> = list_files(&dir)?.into_iter().map(|f| f.path).collect();
                if files.is_empty() {
                    return Err(Error::Plan(format!(
                        "Unable to infer schema for {}. It must be specified manually.",
                        format.to_ascii_uppercase()
                    )));
                }
                let (schema, _) = base.read_files(&format, &files)?;
                (Arc::clone(&schema), base.schema(schema))
            }
            (_, None) => return Err(Error::Plan(SCHEMA_REQUIRED.into())),
        };
        Ok(FileSourceProvider { dir, format, schema, reader, max_files })
    }
}

impl SourceProvider for FileSourceProvider {
    fn schema(&self) -> SchemaRef {
        Arc::clone(&self.schema)
    }

    fn create(&self, metadata_dir: Option<&Path>) -> Result<Arc<dyn Source>> {
        check_dir(&self.dir)?;
        let (state, log_dir) = match metadata_dir {
            Some(log_dir) => (load_log(log_dir)?, Some(log_dir.to_path_buf())),
            None => (State::default(), None),
        };
        Ok(Arc::new(FileStreamSource { provider: self.clone(), log_dir, state: Mutex::new(state) }))
    }

    fn description(&self) -> String {
        description(&self.dir)
    }
}

/// A query's stream of the files of a directory (Spark's `FileStreamSource`); see the module documentation.
#[derive(Debug)]
pub(crate) struct FileStreamSource {
    provider: FileSourceProvider,
    /// Where admissions are logged, if the query has a checkpoint.
    log_dir: Option<PathBuf>,
    state: Mutex<State>,
}

/// The files admitted so far.
#[derive(Debug, Default)]
struct State {
    /// In order of admission: `files[i]` has index `i + 1`.
    files: Vec<PathBuf>,
    seen: HashSet<PathBuf>,
    /// The number of the next admission log file.
    next_log: u64,
    /// With the `available_now` trigger, the number of files admitted when it started: later files wait for the
    /// next run.
    available_now: Option<u64>,
}

/// One admitted file, as logged.
#[derive(Debug, Serialize, Deserialize)]
struct LogEntry {
    path: String,
    /// Modification time, in milliseconds since the epoch.
    timestamp: i64,
    index: u64,
}

/// A file found by a listing.
#[derive(Debug)]
pub(crate) struct Listed {
    pub(crate) path: PathBuf,
    /// Modification time, in milliseconds since the epoch.
    pub(crate) mtime: i64,
}

impl FileStreamSource {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Lists the directory and admits the files not seen before, logging them first so that an index, once
    /// offered, is the same after a restart.
    fn admit(&self, state: &mut State) -> Result<()> {
        let new: Vec<Listed> =
            list_files(&self.provider.dir)?.into_iter().filter(|f| !state.seen.contains(&f.path)).collect();
        if new.is_empty() {
            return Ok(());
        }
        if let Some(log_dir) = &self.log_dir {
            let mut text = format!("{LOG_VERSION}\n");
            for (i, file) in new.iter().enumerate() {
                let path = file.path.to_str().ok_or_else(|| {
                    Error::Plan(format!(
                        "{}: cannot log the file {}, whose name is not UTF-8; rename it",
                        self.description(),
                        file.path.display()
                    ))
                })?;
                let entry = LogEntry {
                    path: path.to_string(),
                    timestamp: file.mtime,
                    index: (state.files.len() + i + 1) as u64,
                };
                let line = serde_json::to_string(&entry)
                    .map_err(|e| Error::Internal(format!("cannot serialize a file source log entry: {e}")))?;
                text.push_str(&line);
                text.push('\n');
            }
            crate::storage::write_atomic(&log_dir.join(state.next_log.to_string()), text.as_bytes())?;
        }
        state.next_log += 1;
        for file in new {
            state.seen.insert(file.path.clone());
            state.files.push(file.path);
        }
        Ok(())
    }

    /// The file count of an offset of this source (0 before the first).
    fn position(&self, offset: Option<&Offset>) -> Result<u64> {
        match offset {
            None => Ok(0),
            Some(o) => o.as_log_offset().ok_or_else(|| {
                Error::Plan(format!(
                    "{}: offset {o} is not a file count (a checkpoint of another source?)",
                    self.description()
                ))
            }),
        }
    }
}

impl Source for FileStreamSource {
    fn schema(&self) -> SchemaRef {
        Arc::clone(&self.provider.schema)
    }

    fn latest_offset(&self, start: Option<&Offset>, limit: ReadLimit) -> Result<Option<Offset>> {
        let from = self.position(start)?;
        let mut state = self.lock();
        // Past the `available_now` snapshot, nothing new is admitted in this run.
        if state.available_now.is_none() {
            self.admit(&mut state)?;
        }
        let admitted = state.files.len() as u64;
        if from > admitted {
            return Err(Error::Plan(format!(
                "{}: the query is at file {from} but only {admitted} files were admitted (was the source's \
                 checkpoint folder removed?)",
                self.description()
            )));
        }
        let available = state.available_now.map_or(admitted, |n| n.min(admitted));
        let end = match (limit, self.provider.max_files) {
            (ReadLimit::Default, Some(max)) => available.min(from.saturating_add(max)),
            _ => available,
        };
        let end = end.max(from);
        Ok((end > 0).then(|| Offset::log_offset(end)))
    }

    fn get_batch(&self, start: Option<&Offset>, end: &Offset) -> Result<Vec<RecordBatch>> {
        let from = self.position(start)?;
        let to = self.position(Some(end))?;
        let files = {
            let state = self.lock();
            if from > to || to > state.files.len() as u64 {
                return Err(Error::Plan(format!(
                    "{}: files {from}..{to} were asked for but {} were admitted (a checkpoint of another source?)",
                    self.description(),
                    state.files.len()
                )));
            }
            state.files[from as usize..to as usize].to_vec()
        };
        if files.is_empty() {
            return Ok(Vec::new());
        }
        let (_, batches) = self.provider.reader.read_files(&self.provider.format, &files)?;
        batches.into_iter().map(|b| conform(&self.provider.schema, b)).collect()
    }

    fn prepare_for_trigger_available_now(&self) -> Result<()> {
        let mut state = self.lock();
        self.admit(&mut state)?;
        state.available_now = Some(state.files.len() as u64);
        Ok(())
    }

    fn description(&self) -> String {
        description(&self.provider.dir)
    }
}

/// Spark's description of the source: `FileStreamSource[file:/abs/dir]`.
fn description(dir: &Path) -> String {
    format!("FileStreamSource[file:{}]", dir.display())
}

/// Fails unless `dir` is a directory.
fn check_dir(dir: &Path) -> Result<()> {
    match std::fs::metadata(dir) {
        Ok(m) if m.is_dir() => Ok(()),
        Ok(_) => Err(Error::param(
            "path",
            format!("{} is not a directory: a file stream reads the files arriving in a directory", dir.display()),
        )),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(Error::PathNotFound { path: dir.to_path_buf() }),
        Err(e) => Err(Error::io("reading", dir, e)),
    }
}

/// `maxFilesPerTrigger`, a positive integer.
fn max_files_per_trigger(options: &BTreeMap<String, String>) -> Result<Option<u64>> {
    let Some(v) = options.get("maxfilespertrigger") else { return Ok(None) };
    match v.trim().parse::<u64>() {
        Ok(n) if n > 0 => Ok(Some(n)),
        _ => Err(Error::param("maxFilesPerTrigger", format!("`{v}` must be a positive integer"))),
    }
}

/// A schema given to a text stream: one string column, which holds the lines (Spark's `TextFileFormat` rule).
fn check_text_schema(schema: SchemaRef) -> Result<SchemaRef> {
    match schema.fields().as_ref() {
        [field] if field.data_type() == &DataType::Utf8 => Ok(schema),
        [field] => {
            Err(Error::param("schema", format!("Text data source does not support {} data type.", field.data_type())))
        }
        fields => Err(Error::param(
            "schema",
            format!("Text data source supports only a single column, and you have {} columns.", fields.len()),
        )),
    }
}

/// The data files of `dir` (not its subdirectories; hidden and `_` files skipped), by modification time then path.
/// When `dir` is the output of a streaming file sink, only the files its log committed count, as in Spark (a
/// sink's interrupted attempt may have left files that no batch committed).
pub(crate) fn list_files(dir: &Path) -> Result<Vec<Listed>> {
    let committed: Option<HashSet<PathBuf>> = super::file_sink::committed_files(dir)?.map(HashSet::from_iter);
    let entries = std::fs::read_dir(dir).map_err(|e| Error::io("listing", dir, e))?;
    let mut files = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| Error::io("listing", dir, e))?;
        if entry.file_name().to_str().is_some_and(|n| n.starts_with('.') || n.starts_with('_')) {
            continue;
        }
        let path = entry.path();
        if committed.as_ref().is_some_and(|c| !c.contains(&path)) {
            continue;
        }
        // Follows symbolic links, as reading the file does.
        let meta = match std::fs::metadata(&path) {
            Ok(meta) => meta,
            // Removed since the directory was read: it is not there to admit.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(Error::io("listing", &path, e)),
        };
        if !meta.is_file() {
            continue;
        }
        let modified = meta.modified().map_err(|e| Error::io("listing", &path, e))?;
        let mtime = match modified.duration_since(UNIX_EPOCH) {
            Ok(d) => i64::try_from(d.as_millis()).unwrap_or(i64::MAX),
            Err(before) => i64::try_from(before.duration().as_millis()).map_or(i64::MIN, |ms| -ms),
        };
        files.push(Listed { path, mtime });
    }
    files.sort_by(|a, b| (a.mtime, &a.path).cmp(&(b.mtime, &b.path)));
    Ok(files)
}

/// The admissions logged in `log_dir` (created if missing). The log files are `0`, `1`, … with no gap; other
/// names (the `.tmp` file of an interrupted write) are ignored.
fn load_log(log_dir: &Path) -> Result<State> {
    std::fs::create_dir_all(log_dir).map_err(|e| Error::io("creating", log_dir, e))?;
    let entries = std::fs::read_dir(log_dir).map_err(|e| Error::io("listing", log_dir, e))?;
    let mut numbered = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| Error::io("listing", log_dir, e))?;
        let name = entry.file_name();
        if let Some(n) =
            name.to_str().filter(|n| n.bytes().all(|b| b.is_ascii_digit())).and_then(|n| n.parse::<u64>().ok())
        {
            numbered.push((n, entry.path()));
        }
    }
    numbered.sort();
    let mut state = State::default();
    for (n, path) in numbered {
        let corrupt = |what: String| Error::Plan(format!("corrupt file stream source log {}: {what}", path.display()));
        if n != state.next_log {
            return Err(corrupt(format!("log file {} is missing", state.next_log)));
        }
        let text = std::fs::read_to_string(&path).map_err(|e| Error::io("reading", &path, e))?;
        let mut lines = text.lines();
        match lines.next() {
            Some(LOG_VERSION) => {}
            Some(v) if v.starts_with('v') => {
                return Err(corrupt(format!("log version `{v}` is not {LOG_VERSION} (written by a newer Flint?)")));
            }
            _ => return Err(corrupt(format!("it does not start with the version line `{LOG_VERSION}`"))),
        }
        for (i, line) in lines.enumerate().filter(|(_, l)| !l.trim().is_empty()) {
            let line_no = i + 2;
            let entry: LogEntry =
                serde_json::from_str(line).map_err(|e| corrupt(format!("line {line_no} is not a file entry: {e}")))?;
            let expected = state.files.len() as u64 + 1;
            if entry.index != expected {
                return Err(corrupt(format!("line {line_no} has index {} where {expected} comes next", entry.index)));
            }
            let file = PathBuf::from(entry.path);
            if !state.seen.insert(file.clone()) {
                return Err(corrupt(format!("line {line_no} admits {} a second time", file.display())));
            }
            state.files.push(file);
        }
        state.next_log += 1;
    }
    Ok(state)
}

/// A batch as the stream's schema: the same columns under the stream's names (a text stream's column may be
/// named otherwise than `value`), cast where a reader gave another type (Parquet's string views).
fn conform(schema: &SchemaRef, batch: RecordBatch) -> Result<RecordBatch> {
    if batch.schema() == *schema {
        return Ok(batch);
    }
    let mismatch =
        |why: String| Error::Execution(format!("the files read do not fit the stream's schema {schema}: {why}"));
    if batch.num_columns() != schema.fields().len() {
        return Err(mismatch(format!("they have {} columns", batch.num_columns())));
    }
    let mut columns = Vec::with_capacity(batch.num_columns());
    for (field, column) in schema.fields().iter().zip(batch.columns()) {
        if column.data_type() == field.data_type() {
            columns.push(Arc::clone(column));
        } else {
            columns.push(
                cast(column, field.data_type()).map_err(|e| mismatch(format!("column `{}`: {e}", field.name())))?,
            );
        }
    }
    let options = RecordBatchOptions::new().with_row_count(Some(batch.num_rows()));
    RecordBatch::try_new_with_options(Arc::clone(schema), columns, &options).map_err(|e| mismatch(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::{Array, Int64Array, StringArray};
    use datafusion::arrow::datatypes::{Field, Schema};
    use std::time::Duration;

    type TestResult = std::result::Result<(), Box<dyn std::error::Error>>;

    fn session() -> Result<Session> {
        Session::builder().master("local[2]").build()
    }

    fn id_schema() -> SchemaRef {
        Arc::new(Schema::new(vec![Field::new("id", DataType::Int64, true)]))
    }

    /// Writes `text` to `dir/name` with a modification time of `secs` seconds after the epoch.
    fn put(dir: &Path, name: &str, text: &str, secs: u64) -> std::io::Result<PathBuf> {
        let path = dir.join(name);
        std::fs::write(&path, text)?;
        std::fs::File::options().write(true).open(&path)?.set_modified(UNIX_EPOCH + Duration::from_secs(secs))?;
        Ok(path)
    }

    /// A JSON file of one row `{"id": id}`.
    fn put_id(dir: &Path, name: &str, id: i64, secs: u64) -> std::io::Result<PathBuf> {
        put(dir, name, &format!("{{\"id\": {id}}}\n"), secs)
    }

    fn json_source(
        session: &Session,
        dir: &Path,
        options: &[(&str, &str)],
        log: Option<&Path>,
    ) -> Result<Arc<dyn Source>> {
        let options = options.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        provider(session, &dir.to_string_lossy(), "json", Some(id_schema()), options)?.create(log)
    }

    fn ids(batches: &[RecordBatch]) -> Vec<i64> {
        let mut ids = Vec::new();
        for b in batches {
            let column = b.column(0).as_any().downcast_ref::<Int64Array>().expect("an Int64 column");
            ids.extend(column.iter().flatten());
        }
        ids
    }

    fn strings(batches: &[RecordBatch]) -> Vec<String> {
        let mut values = Vec::new();
        for b in batches {
            let column = b.column(0).as_any().downcast_ref::<StringArray>().expect("a Utf8 column");
            values.extend(column.iter().flatten().map(String::from));
        }
        values
    }

    /// The error of a call expected to fail (sources and providers are not `Debug`, for `expect_err`).
    fn error_of<T>(result: Result<T>, what: &str) -> Error {
        match result {
            Ok(_) => panic!("expected an error: {what}"),
            Err(e) => e,
        }
    }

    fn at(n: u64) -> Offset {
        Offset::log_offset(n)
    }

    #[test]
    fn files_are_admitted_by_modification_time_then_path() -> TestResult {
        let session = session()?;
        let dir = tempfile::tempdir()?;
        put_id(dir.path(), "a.json", 1, 300)?;
        put_id(dir.path(), "b.json", 2, 100)?;
        put_id(dir.path(), "c.json", 3, 200)?;
        put_id(dir.path(), "d.json", 4, 100)?;
        // Hidden and temporary files, and subdirectories, are not part of the stream.
        put_id(dir.path(), ".d.json.crc", 5, 50)?;
        put_id(dir.path(), "_SUCCESS", 6, 50)?;
        std::fs::create_dir(dir.path().join("sub"))?;
        let source = json_source(&session, dir.path(), &[], None)?;
        assert_eq!(source.latest_offset(None, ReadLimit::Default)?, Some(at(4)));
        assert_eq!(ids(&source.get_batch(None, &at(4))?), [2, 4, 3, 1]);
        assert_eq!(ids(&source.get_batch(Some(&at(1)), &at(3))?), [4, 3]);
        assert_eq!(source.schema(), id_schema());
        let abs = std::path::absolute(dir.path())?;
        assert_eq!(source.description(), format!("FileStreamSource[file:{}]", abs.display()));
        Ok(())
    }

    #[test]
    fn max_files_per_trigger_splits_the_files() -> TestResult {
        let session = session()?;
        let dir = tempfile::tempdir()?;
        for i in 1..=5 {
            put_id(dir.path(), &format!("f{i}.json"), i, 100 + i as u64)?;
        }
        let source = json_source(&session, dir.path(), &[("maxFilesPerTrigger", "2")], None)?;
        let mut start: Option<Offset> = None;
        let mut batches = Vec::new();
        while let Some(end) = source.latest_offset(start.as_ref(), ReadLimit::Default)?
            && Some(&end) != start.as_ref()
        {
            batches.push(ids(&source.get_batch(start.as_ref(), &end)?));
            start = Some(end);
        }
        assert_eq!(batches, [vec![1, 2], vec![3, 4], vec![5]]);
        assert_eq!(start, Some(at(5)));
        // The `once` trigger takes everything.
        assert_eq!(source.latest_offset(None, ReadLimit::AllAvailable)?, Some(at(5)));
        Ok(())
    }

    #[test]
    fn new_files_are_picked_up_by_later_listings() -> TestResult {
        let session = session()?;
        let dir = tempfile::tempdir()?;
        let source = json_source(&session, dir.path(), &[], None)?;
        assert_eq!(source.latest_offset(None, ReadLimit::Default)?, None);
        put_id(dir.path(), "a.json", 1, 200)?;
        assert_eq!(source.latest_offset(None, ReadLimit::Default)?, Some(at(1)));
        assert_eq!(source.latest_offset(Some(&at(1)), ReadLimit::Default)?, Some(at(1)));
        // A file that arrives late comes after those admitted, whatever its modification time.
        put_id(dir.path(), "0-old.json", 2, 100)?;
        assert_eq!(source.latest_offset(Some(&at(1)), ReadLimit::Default)?, Some(at(2)));
        assert_eq!(ids(&source.get_batch(Some(&at(1)), &at(2))?), [2]);
        assert_eq!(ids(&source.get_batch(None, &at(2))?), [1, 2]);
        Ok(())
    }

    #[test]
    fn the_same_offsets_give_the_same_rows() -> TestResult {
        let session = session()?;
        let dir = tempfile::tempdir()?;
        put(dir.path(), "1.csv", "id,name\n1,ann\n2,ben\n", 100)?;
        put(dir.path(), "2.csv", "id,name\n3,cy\n", 200)?;
        put(dir.path(), "3.csv", "id,name\n4,di\n5,ed\n", 300)?;
        let schema = Arc::new(Schema::new(vec![
            Field::new("id", DataType::Int64, false),
            Field::new("name", DataType::Utf8, false),
        ]));
        let options = BTreeMap::from([("header".to_string(), "true".to_string())]);
        let provider = provider(&session, &dir.path().to_string_lossy(), "csv", Some(schema), options)?;
        // Read as `session.read()` reads: every column nullable.
        assert!(provider.schema().fields().iter().all(|f| f.is_nullable()));
        let source = provider.create(None)?;
        assert_eq!(source.latest_offset(None, ReadLimit::Default)?, Some(at(3)));
        let first = source.get_batch(Some(&at(1)), &at(3))?;
        put(dir.path(), "4.csv", "id,name\n6,fy\n", 50)?;
        assert_eq!(source.latest_offset(Some(&at(3)), ReadLimit::Default)?, Some(at(4)));
        let again = source.get_batch(Some(&at(1)), &at(3))?;
        assert_eq!(ids(&first), [3, 4, 5]);
        assert_eq!(first, again);
        assert!(source.get_batch(Some(&at(3)), &at(3))?.is_empty());
        let beyond = error_of(source.get_batch(None, &at(9)), "beyond the admitted files").to_string();
        assert!(beyond.contains("files 0..9") && beyond.contains("FileStreamSource["), "{beyond}");
        Ok(())
    }

    #[test]
    fn a_restarted_source_keeps_the_logged_indices() -> TestResult {
        let session = session()?;
        let dir = tempfile::tempdir()?;
        let checkpoint = tempfile::tempdir()?;
        let log = checkpoint.path().join("sources").join("0");
        put_id(dir.path(), "a.json", 1, 100)?;
        put_id(dir.path(), "b.json", 2, 200)?;
        {
            let source = json_source(&session, dir.path(), &[("maxFilesPerTrigger", "1")], Some(&log))?;
            assert_eq!(source.latest_offset(None, ReadLimit::Default)?, Some(at(1)));
            put_id(dir.path(), "c.json", 3, 300)?;
            assert_eq!(source.latest_offset(Some(&at(1)), ReadLimit::Default)?, Some(at(2)));
        }
        let logged = std::fs::read_to_string(log.join("0"))?;
        assert!(logged.starts_with("v1\n") && logged.contains("\"index\":2") && logged.contains("b.json"), "{logged}");
        assert!(log.join("1").is_file());
        // An interrupted write leaves a temporary file, which is not part of the log.
        std::fs::write(log.join("2.tmp"), "v1\n{")?;
        // A file older than all the others would be listed first by a new source; it must come after them.
        put_id(dir.path(), "0.json", 4, 10)?;
        let source = json_source(&session, dir.path(), &[("maxFilesPerTrigger", "1")], Some(&log))?;
        assert_eq!(ids(&source.get_batch(None, &at(3))?), [1, 2, 3]);
        assert_eq!(source.latest_offset(Some(&at(3)), ReadLimit::Default)?, Some(at(4)));
        assert_eq!(ids(&source.get_batch(Some(&at(3)), &at(4))?), [4]);
        // No new files, no new log file.
        assert_eq!(source.latest_offset(Some(&at(4)), ReadLimit::Default)?, Some(at(4)));
        assert!(log.join("2").is_file() && !log.join("3").exists());

        std::fs::write(log.join("1"), "v1\nnot json\n")?;
        let corrupt = error_of(json_source(&session, dir.path(), &[], Some(&log)), "a corrupt log").to_string();
        assert!(corrupt.contains(&log.join("1").display().to_string()) && corrupt.contains("line 2"), "{corrupt}");
        Ok(())
    }

    #[test]
    fn available_now_stops_at_the_files_there_when_it_starts() -> TestResult {
        let session = session()?;
        let dir = tempfile::tempdir()?;
        put_id(dir.path(), "a.json", 1, 100)?;
        put_id(dir.path(), "b.json", 2, 200)?;
        let source = json_source(&session, dir.path(), &[("maxfilespertrigger", "1")], None)?;
        source.prepare_for_trigger_available_now()?;
        put_id(dir.path(), "c.json", 3, 300)?;
        assert_eq!(source.latest_offset(None, ReadLimit::Default)?, Some(at(1)));
        assert_eq!(source.latest_offset(Some(&at(1)), ReadLimit::Default)?, Some(at(2)));
        assert_eq!(source.latest_offset(Some(&at(2)), ReadLimit::Default)?, Some(at(2)));
        assert_eq!(source.latest_offset(Some(&at(2)), ReadLimit::AllAvailable)?, Some(at(2)));
        Ok(())
    }

    #[test]
    fn text_and_parquet_streams() -> TestResult {
        let session = session()?;
        let dir = tempfile::tempdir()?;
        put(dir.path(), "a.txt", "one\ntwo\n", 100)?;
        let text = provider(&session, &dir.path().to_string_lossy(), "TEXT", None, BTreeMap::new())?;
        assert_eq!(text.schema().field(0).name(), "value");
        let source = text.create(None)?;
        assert_eq!(source.latest_offset(None, ReadLimit::Default)?, Some(at(1)));
        assert_eq!(strings(&source.get_batch(None, &at(1))?), ["one", "two"]);
        // A text stream's one string column may have another name.
        let line = Arc::new(Schema::new(vec![Field::new("line", DataType::Utf8, true)]));
        let named = provider(&session, &dir.path().to_string_lossy(), "text", Some(line), BTreeMap::new())?;
        let source = named.create(None)?;
        assert_eq!(source.latest_offset(None, ReadLimit::Default)?, Some(at(1)));
        let batches = source.get_batch(None, &at(1))?;
        assert_eq!(batches[0].schema().field(0).name(), "line");
        let two = id_schema().fields().iter().chain(id_schema().fields()).cloned().collect::<Vec<_>>();
        let bad = provider(
            &session,
            &dir.path().to_string_lossy(),
            "text",
            Some(Arc::new(Schema::new(two))),
            BTreeMap::new(),
        );
        assert!(bad.is_err_and(|e| e.to_string().contains("only a single column")));

        // Parquet without a schema takes the first file's.
        let pq = tempfile::tempdir()?;
        let missing = provider(&session, &pq.path().to_string_lossy(), "parquet", None, BTreeMap::new());
        assert!(missing.is_err_and(|e| e.to_string().starts_with("Schema must be specified")));
        for (name, id, secs) in [("b.parquet", 2, 200), ("a.parquet", 1, 100)] {
            let batch = RecordBatch::try_new(id_schema(), vec![Arc::new(Int64Array::from(vec![id, id * 10]))])?;
            let path = pq.path().join(name);
            let mut writer = parquet::arrow::ArrowWriter::try_new(std::fs::File::create(&path)?, id_schema(), None)?;
            writer.write(&batch)?;
            writer.close()?;
            std::fs::File::options().write(true).open(&path)?.set_modified(UNIX_EPOCH + Duration::from_secs(secs))?;
        }
        let parquet = provider(&session, &pq.path().to_string_lossy(), "parquet", None, BTreeMap::new())?;
        assert_eq!(parquet.schema().field(0).name(), "id");
        let source = parquet.create(None)?;
        assert_eq!(source.latest_offset(None, ReadLimit::Default)?, Some(at(2)));
        assert_eq!(ids(&source.get_batch(None, &at(2))?), [1, 10, 2, 20]);
        assert_eq!(ids(&source.get_batch(Some(&at(1)), &at(2))?), [2, 20]);
        Ok(())
    }

    #[test]
    fn bad_options_and_inputs_fail_when_the_stream_is_defined() -> TestResult {
        let session = session()?;
        let dir = tempfile::tempdir()?;
        let path = dir.path().to_string_lossy().into_owned();
        for bad in ["0", "-1", "two", "1.5", ""] {
            let options = BTreeMap::from([("maxFilesPerTrigger".to_string(), bad.to_string())]);
            let e = error_of(provider(&session, &path, "json", Some(id_schema()), options), bad);
            assert!(matches!(&e, Error::InvalidParameter { name, .. } if name == "maxFilesPerTrigger"), "{e}");
            assert!(e.to_string().contains("positive integer"), "{e}");
        }
        for format in ["json", "csv"] {
            let e = error_of(provider(&session, &path, format, None, BTreeMap::new()), "no schema").to_string();
            assert_eq!(e, SCHEMA_REQUIRED);
        }
        let infer = BTreeMap::from([("inferSchema".to_string(), "true".to_string())]);
        let e = error_of(provider(&session, &path, "json", None, infer.clone()), "no files").to_string();
        assert!(e.contains("Unable to infer schema for JSON"), "{e}");
        put(dir.path(), "a.json", "{\"id\": 1, \"name\": \"ann\"}\n", 100)?;
        let inferred = provider(&session, &path, "json", None, infer)?;
        assert_eq!(inferred.schema().fields().len(), 2);

        let e = error_of(provider(&session, &path, "avro", Some(id_schema()), BTreeMap::new()), "avro").to_string();
        assert!(e.contains("`avro`") && e.contains("csv, json, parquet, text"), "{e}");
        let mode = BTreeMap::from([("mode".to_string(), "LENIENT".to_string())]);
        let e = error_of(provider(&session, &path, "csv", Some(id_schema()), mode), "bad mode").to_string();
        assert!(e.contains("parse mode"), "{e}");
        let gone = dir.path().join("missing");
        let e = provider(&session, &gone.to_string_lossy(), "json", Some(id_schema()), BTreeMap::new());
        assert!(matches!(e, Err(Error::PathNotFound { .. })));
        let file = dir.path().join("a.json").to_string_lossy().into_owned();
        let e = error_of(provider(&session, &file, "json", Some(id_schema()), BTreeMap::new()), "a file");
        assert!(e.to_string().contains("is not a directory"), "{e}");
        Ok(())
    }
}
