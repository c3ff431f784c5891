//! Structured Streaming: a stream is an unbounded [`DataFrame`], transformed with the same operations as a batch
//! one, and run by a [`StreamingQuery`] as a series of micro-batches through the same DataFusion execution.
//!
//! - [`Session::read_stream`] gives a [`DataStreamReader`] (sources: files in a directory, [`MemoryStream`]).
//! - [`DataFrame::write_stream`] gives a [`DataStreamWriter`]: sink (`memory`, `console`, `foreach_batch`,
//!   `foreach`), [`OutputMode`], [`Trigger`], `checkpointLocation`; `start()` runs the query on its own thread.
//! - With a checkpoint, each batch's offsets are logged before it runs and its commit after the sink wrote it,
//!   so a restarted query replays an uncommitted batch with exactly the same input.
//!
//! ```
//! # use flint_engine::prelude::*;
//! # use flint_engine::streaming::{MemoryStream, Trigger};
//! # let session = Session::builder().master("local[2]").get_or_create()?;
//! let words = MemoryStream::new(&session, session.create_dataframe(vec![("a".to_string(),)], &["word"])?.schema());
//! let query = words
//!     .to_df()?
//!     .filter(col("word").not_equal("the"))?
//!     .write_stream()
//!     .format("memory")
//!     .query_name("kept")
//!     .trigger(Trigger::processing_time("100 milliseconds")?)
//!     .start()?;
//! words.add_data(session.create_dataframe(vec![("the".to_string(),), ("cat".to_string(),)], &["word"])?)?;
//! query.process_all_available()?;
//! assert_eq!(session.sql("SELECT word FROM kept")?.collect()?.len(), 1);
//! query.stop()?;
//! # Ok::<(), flint_engine::Error>(())
//! ```

mod aggregate;
mod checkpoint;
mod dedup;
mod file_sink;
mod file_source;
mod group_state;
mod plan;
mod query;
mod rate_source;
pub(crate) mod session_window;
mod sink;
mod socket_source;
mod source;
mod state;
mod watermark;

pub(crate) use file_sink::committed_files;
pub(crate) use file_source::list_files;
pub use group_state::{GroupState, GroupStateTimeout};
pub(crate) use query::now_ms;
pub use query::{
    QueryStatus, SinkProgress, SourceProgress, StateOperatorProgress, StreamingQuery, StreamingQueryManager,
    StreamingQueryProgress,
};
pub use sink::Sink;
pub use source::{MemoryStream, Offset, ReadLimit, Source, SourceProvider};

use crate::DataFrame;
use crate::dataframe::Row;
use crate::error::{Error, Result};
use crate::session::Session;
use datafusion::arrow::datatypes::SchemaRef;
use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// Which rows of the result each micro-batch writes to the sink (Spark's `OutputMode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputMode {
    /// Only new rows; for an aggregation, only groups the watermark has closed.
    Append,
    /// Only rows that changed since the last batch.
    Update,
    /// The whole result every batch (aggregations only).
    Complete,
}

impl std::str::FromStr for OutputMode {
    type Err = Error;

    fn from_str(s: &str) -> Result<OutputMode> {
        match s.to_ascii_lowercase().as_str() {
            "append" => Ok(OutputMode::Append),
            "update" => Ok(OutputMode::Update),
            "complete" => Ok(OutputMode::Complete),
            _ => Err(Error::param(
                "output_mode",
                format!("unknown output mode `{s}`; accepted output modes are 'append', 'complete', 'update'"),
            )),
        }
    }
}

impl fmt::Display for OutputMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            OutputMode::Append => "Append",
            OutputMode::Update => "Update",
            OutputMode::Complete => "Complete",
        })
    }
}

/// When a query runs its micro-batches (Spark's `Trigger`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Trigger {
    /// The next batch as soon as the previous one is done (polling idle sources every 10 ms).
    #[default]
    Default,
    /// A batch every interval; a batch that runs late starts the next one at once.
    ProcessingTime(Duration),
    /// One batch of everything available, then the query stops.
    Once,
    /// Everything available at start, in as many batches as the sources' limits need, then the query stops.
    AvailableNow,
}

impl Trigger {
    /// A batch every `interval` (`"5 seconds"`, `"1 minute"`, `"500 milliseconds"`).
    pub fn processing_time(interval: &str) -> Result<Trigger> {
        let micros = crate::functions::parse_duration("processing_time", interval)?;
        Ok(Trigger::ProcessingTime(Duration::from_micros(micros.unsigned_abs())))
    }

    /// One batch, then stop.
    pub fn once() -> Trigger {
        Trigger::Once
    }

    /// What is available now, then stop.
    pub fn available_now() -> Trigger {
        Trigger::AvailableNow
    }
}

/// Reads a stream (Spark's `DataStreamReader`), from `session.read_stream()`.
#[derive(Debug, Clone)]
pub struct DataStreamReader {
    session: Session,
    format: Option<String>,
    schema: Option<SchemaRef>,
    /// Why the schema given could not be used (reported by `load`).
    bad_schema: Option<String>,
    options: BTreeMap<String, String>,
}

impl DataStreamReader {
    pub(crate) fn new(session: Session) -> Self {
        DataStreamReader { session, format: None, schema: None, bad_schema: None, options: BTreeMap::new() }
    }

    /// The source format: `json`, `csv`, `parquet`, `text` (files in a directory), `rate` (options
    /// `rowsPerSecond`), `socket` (options `host`, `port`); the last two read no path: `load("")`.
    pub fn format(mut self, format: &str) -> Self {
        self.format = Some(format.to_ascii_lowercase());
        self
    }

    /// The schema of the rows (required for `json` and `csv` unless `inferSchema` is set).
    pub fn schema(mut self, schema: impl crate::dataframe::IntoSchema) -> Self {
        (self.schema, self.bad_schema) = crate::dataframe::reader::user_schema(schema);
        self
    }

    /// A source option by Spark's name (case-insensitive): `maxFilesPerTrigger`, and the batch reader's options
    /// (`header`, `sep`, `mode`…).
    pub fn option(mut self, key: &str, value: impl ToString) -> Self {
        self.options.insert(key.to_ascii_lowercase(), value.to_string());
        self
    }

    /// The stream of the source: files arriving in directory `path`, or (`path` empty) a rate or socket stream.
    pub fn load(&self, path: &str) -> Result<DataFrame> {
        if let Some(e) = &self.bad_schema {
            return Err(Error::param("schema", e.clone()));
        }
        let format = self.format.clone().unwrap_or_else(|| "parquet".to_string());
        let provider = match format.as_str() {
            "rate" => rate_source::provider(&self.options)?,
            "socket" => socket_source::provider(&self.options)?,
            _ => file_source::provider(&self.session, path, &format, self.schema.clone(), self.options.clone())?,
        };
        source::StreamTable::frame(&self.session, provider)
    }

    /// A stream from a custom source (Spark's data source API): any [`SourceProvider`].
    pub fn source(&self, provider: Arc<dyn SourceProvider>) -> Result<DataFrame> {
        source::StreamTable::frame(&self.session, provider)
    }

    /// `format("json").load(path)`.
    pub fn json(&self, path: &str) -> Result<DataFrame> {
        self.clone().format("json").load(path)
    }

    /// `format("csv").load(path)`.
    pub fn csv(&self, path: &str) -> Result<DataFrame> {
        self.clone().format("csv").load(path)
    }

    /// `format("parquet").load(path)`.
    pub fn parquet(&self, path: &str) -> Result<DataFrame> {
        self.clone().format("parquet").load(path)
    }

    /// `format("text").load(path)`.
    pub fn text(&self, path: &str) -> Result<DataFrame> {
        self.clone().format("text").load(path)
    }
}

/// The sink a writer was given.
#[derive(Clone)]
enum SinkChoice {
    Format(String),
    ForeachBatch(Arc<sink::BatchFn>),
    Foreach(Arc<sink::RowFn>),
}

/// Starts a streaming query (Spark's `DataStreamWriter`), from `df.write_stream()`.
#[derive(Clone)]
pub struct DataStreamWriter {
    df: DataFrame,
    sink: SinkChoice,
    output_mode: String,
    trigger: Trigger,
    name: Option<String>,
    options: BTreeMap<String, String>,
}

impl fmt::Debug for DataStreamWriter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DataStreamWriter").field("output_mode", &self.output_mode).field("name", &self.name).finish()
    }
}

impl DataStreamWriter {
    pub(crate) fn new(df: DataFrame) -> Self {
        DataStreamWriter {
            df,
            sink: SinkChoice::Format("console".to_string()),
            output_mode: "append".to_string(),
            trigger: Trigger::Default,
            name: None,
            options: BTreeMap::new(),
        }
    }

    /// The sink: `memory` (a table named by [`query_name`](Self::query_name)), `console` (the default), or files:
    /// `parquet`, `json`, `csv` (with a `path` option or [`start_at`](Self::start_at); a checkpoint is required).
    pub fn format(mut self, format: &str) -> Self {
        self.sink = SinkChoice::Format(format.to_ascii_lowercase());
        self
    }

    /// `append` (the default), `update` or `complete`; checked by `start()` against Spark's rules.
    pub fn output_mode(mut self, mode: &str) -> Self {
        self.output_mode = mode.to_string();
        self
    }

    /// When batches run (default: each as soon as the previous is done).
    pub fn trigger(mut self, trigger: Trigger) -> Self {
        self.trigger = trigger;
        self
    }

    /// The query's name (the table name of the `memory` sink); unique among the session's active queries.
    pub fn query_name(mut self, name: &str) -> Self {
        self.name = Some(name.to_string());
        self
    }

    /// An option by Spark's name (case-insensitive): `checkpointLocation`; the console sink's `numRows` and
    /// `truncate`.
    pub fn option(mut self, key: &str, value: impl ToString) -> Self {
        self.options.insert(key.to_ascii_lowercase(), value.to_string());
        self
    }

    /// Starts the query writing files (`format("parquet")`, `json`, `csv`) into directory `path` (Spark's
    /// `start(path)`).
    pub fn start_at(self, path: &str) -> Result<StreamingQuery> {
        self.option("path", path).start()
    }

    /// Calls `f` with each micro-batch's result and its batch id (Spark's `foreachBatch`): with the batch id, a
    /// write can be made idempotent, which makes the output exactly-once.
    pub fn foreach_batch(mut self, f: impl Fn(DataFrame, u64) -> Result<()> + Send + Sync + 'static) -> Self {
        self.sink = SinkChoice::ForeachBatch(Arc::new(f));
        self
    }

    /// Calls `f` with every output row (Spark's `foreach`).
    pub fn foreach(mut self, f: impl Fn(Row) -> Result<()> + Send + Sync + 'static) -> Self {
        self.sink = SinkChoice::Foreach(Arc::new(f));
        self
    }

    /// Checks the query against Spark's rules and starts it on its own thread.
    pub fn start(self) -> Result<StreamingQuery> {
        let plan = self.df.df.logical_plan().clone();
        let streams = plan::streams(&plan);
        if streams.is_empty() {
            return Err(Error::Plan(
                "write_stream() can only be called on a streaming DataFrame (one read with session.read_stream())"
                    .to_string(),
            ));
        }
        let mode: OutputMode = self.output_mode.parse()?;
        let stateful = plan::stateful(&plan);
        if stateful.total() > 1 {
            return Err(Error::Plan(
                "Multiple streaming aggregations are not supported with streaming DataFrames/Datasets (Flint runs \
                 one stateful operator per query: one aggregation, one drop_duplicates or one \
                 flat_map_groups_with_state)"
                    .to_string(),
            ));
        }
        let watermark = plan::watermarks(&plan).into_iter().next();
        let aggregate = plan::find_aggregate(&plan);
        let groups = plan::find_groups_with_state(&plan);
        let sessions = plan::find_session_aggregate(&plan);
        if sessions.is_some() {
            session_window::StreamingSessions::check_mode(mode, watermark.as_ref())?;
        }
        if let Some(node) = &groups {
            group_state::StreamingGroups::check(node, mode, watermark.as_ref())?;
        }
        match &aggregate {
            None if mode == OutputMode::Complete && sessions.is_none() => {
                return Err(Error::Plan(
                    "Complete output mode not supported when there are no streaming aggregations on streaming \
                     DataFrames/Datasets"
                        .to_string(),
                ));
            }
            Some(agg) => aggregate::StreamingAggregate::check_mode(agg, mode, watermark.as_ref())?,
            None => {}
        }
        let session = self.df.session.clone();
        let manager = session.streams();
        if let Some(name) = &self.name
            && manager.active().iter().any(|q| q.name() == Some(name.as_str()))
        {
            return Err(Error::param(
                "query_name",
                format!("Cannot start query with name {name} as a query with that name is already active"),
            ));
        }
        let new_id = query::new_uuid();
        let (checkpoint, id) = match self.options.get("checkpointlocation") {
            Some(dir) => {
                let (cp, id) = checkpoint::Checkpoint::open(&PathBuf::from(dir), &new_id)?;
                (Some(cp), id)
            }
            None => (None, new_id),
        };
        if manager.get(&id).is_some() {
            return Err(Error::Plan(format!(
                "Cannot start query with id {id} as another query with the same id is already active: they share a \
                 checkpointLocation"
            )));
        }
        let mut sources = Vec::with_capacity(streams.len());
        for (i, (table, provider)) in streams.into_iter().enumerate() {
            let dir = checkpoint.as_ref().map(|cp| cp.source_dir(i));
            sources.push((table, provider.create(dir.as_deref())?));
        }
        let schema = self.df.schema();
        let (sink, sink_description): (Box<dyn Sink>, String) = match self.sink {
            SinkChoice::Format(f) if f == "memory" => {
                let name = self.name.clone().ok_or_else(|| {
                    Error::param("query_name", "the memory sink needs a query name: it names the table it fills")
                })?;
                (Box::new(sink::MemorySink::new(&session, &name, schema)?), "MemorySink".to_string())
            }
            SinkChoice::Format(f) if f == "console" => {
                let num_rows = match self.options.get("numrows") {
                    None => 20,
                    Some(n) => n.parse().map_err(|_| Error::param("numRows", format!("`{n}` is not a row count")))?,
                };
                let truncate = !matches!(self.options.get("truncate").map(String::as_str), Some("false"));
                (Box::new(sink::ConsoleSink { num_rows, truncate }), "ConsoleSink".to_string())
            }
            SinkChoice::Format(f) => {
                let path = self.options.get("path").ok_or_else(|| {
                    Error::param(
                        "path",
                        format!("the {f} sink needs a directory: .option(\"path\", dir) or start_at(dir)"),
                    )
                })?;
                if checkpoint.is_none() {
                    return Err(Error::param(
                        "checkpointLocation",
                        "checkpointLocation must be specified for a file sink: it is what makes the output \
                         exactly-once",
                    ));
                }
                let mut options = self.options.clone();
                options.retain(|k, _| !matches!(k.as_str(), "path" | "checkpointlocation"));
                let sink = file_sink::FileSink::new(path, &f, options)?;
                if mode != OutputMode::Append {
                    return Err(Error::Plan(format!(
                        "Data source {f} does not support {mode} output mode: a file sink only appends"
                    )));
                }
                (Box::new(sink), format!("FileSink[{path}]"))
            }
            SinkChoice::ForeachBatch(f) => (Box::new(sink::ForeachBatchSink(f)), "ForeachBatchSink".to_string()),
            SinkChoice::Foreach(f) => (Box::new(sink::ForeachSink(f)), "ForeachWriterSink".to_string()),
        };
        let dedup = match plan::find_distinct(&plan) {
            Some(d) => {
                dedup::key_columns(&d)?;
                let dir = checkpoint.as_ref().map(|cp| cp.state_dir(0));
                Some((d, dedup::StreamingDedup::new(dir)))
            }
            None => None,
        };
        let exec = query::Execution {
            session: session.clone(),
            plan,
            sources,
            sink,
            sink_description,
            mode,
            trigger: self.trigger,
            aggregate: aggregate.map(|agg| {
                let dir = checkpoint.as_ref().map(|cp| cp.state_dir(0));
                (agg, aggregate::StreamingAggregate::new(dir))
            }),
            dedup,
            groups: groups.map(|node| {
                let dir = checkpoint.as_ref().map(|cp| cp.state_dir(0));
                (node, group_state::StreamingGroups::new(dir))
            }),
            sessions: sessions.map(|node| {
                let dir = checkpoint.as_ref().map(|cp| cp.state_dir(0));
                (node, session_window::StreamingSessions::new(dir))
            }),
            watermark,
            checkpoint,
        };
        let query = query::start(exec, id, self.name)?;
        session.ctx.streams.lock().unwrap_or_else(|e| e.into_inner()).push(query.clone());
        Ok(query)
    }
}

/// Whether a logical plan reads a stream.
pub(crate) fn is_streaming_plan(plan: &datafusion::logical_expr::LogicalPlan) -> bool {
    plan::is_streaming(plan)
}

impl DataFrame {
    /// Whether the DataFrame reads a stream (then only `write_stream().start()` runs it).
    pub fn is_streaming(&self) -> bool {
        plan::is_streaming(self.df.logical_plan())
    }

    /// Starts describing a streaming query over this streaming DataFrame.
    pub fn write_stream(&self) -> DataStreamWriter {
        DataStreamWriter::new(self.clone())
    }
}

impl Session {
    /// Reads a stream (Spark's `spark.readStream`).
    pub fn read_stream(&self) -> DataStreamReader {
        DataStreamReader::new(self.clone())
    }

    /// The session's streaming queries (Spark's `spark.streams`).
    pub fn streams(&self) -> StreamingQueryManager {
        StreamingQueryManager::new(self.clone())
    }
}
