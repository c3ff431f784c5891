//! Streaming sources: the [`Source`] trait a micro-batch reads through, the table a streaming DataFrame scans,
//! and the in-memory source for tests ([`MemoryStream`]).

use crate::error::{Error, Result};
use crate::session::Session;
use async_trait::async_trait;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::catalog::{Session as CatalogSession, TableProvider};
use datafusion::datasource::TableType;
use datafusion::logical_expr::Expr;
use datafusion::physical_plan::ExecutionPlan;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// A position in a source's data, as the JSON the offset log stores (Spark's `Offset.json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Offset(pub serde_json::Value);

impl Offset {
    /// An offset counting records or files: `{"logOffset": n}` (the form of Spark's file and memory sources).
    pub fn log_offset(n: u64) -> Offset {
        Offset(serde_json::json!({ "logOffset": n }))
    }

    /// The count of a [`log_offset`](Offset::log_offset); `None` for another form.
    pub fn as_log_offset(&self) -> Option<u64> {
        self.0.get("logOffset").and_then(serde_json::Value::as_u64)
    }
}

impl fmt::Display for Offset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// How much data one micro-batch may take from a source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadLimit {
    /// The source's own limit (`maxFilesPerTrigger`, `rowsPerSecond`…).
    Default,
    /// Everything available (the `once` trigger).
    AllAvailable,
}

/// A replayable stream of record batches, read one micro-batch at a time (Spark's `Source`).
///
/// A source must give the same rows for the same offsets every time it is asked: a batch logged but not
/// committed before a crash is read again with exactly the same input after the restart.
pub trait Source: Send + Sync {
    /// The schema of every batch.
    fn schema(&self) -> SchemaRef;

    /// The offset the next micro-batch reads up to, starting after `start`, within `limit`; `None` if there is
    /// no data at all yet.
    fn latest_offset(&self, start: Option<&Offset>, limit: ReadLimit) -> Result<Option<Offset>>;

    /// The rows after `start` (from the beginning if `None`) up to and including `end`.
    fn get_batch(&self, start: Option<&Offset>, end: &Offset) -> Result<Vec<RecordBatch>>;

    /// Data up to `end` is committed and will not be asked for again.
    fn commit(&self, _end: &Offset) -> Result<()> {
        Ok(())
    }

    /// Bounds the stream to the data available now (the `available_now` trigger).
    fn prepare_for_trigger_available_now(&self) -> Result<()> {
        Ok(())
    }

    /// A short description for progress reports (`FileStreamSource[dir]`).
    fn description(&self) -> String;
}

/// Makes a query's instance of a source when the query starts, given the checkpoint folder where the source
/// may keep its own metadata (Spark's `sources/<i>`; `None` without a checkpoint).
pub trait SourceProvider: Send + Sync {
    /// The schema of the source's rows.
    fn schema(&self) -> SchemaRef;

    /// The source a query reads.
    fn create(&self, metadata_dir: Option<&Path>) -> Result<Arc<dyn Source>>;

    /// A short description for plans and errors.
    fn description(&self) -> String;
}

static NEXT_STREAM: AtomicUsize = AtomicUsize::new(0);

/// The table a streaming DataFrame scans. Batch execution refuses it; a streaming query replaces it with each
/// micro-batch's rows.
pub(crate) struct StreamTable {
    pub(crate) id: usize,
    pub(crate) provider: Arc<dyn SourceProvider>,
}

impl fmt::Debug for StreamTable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "StreamTable({}, {})", self.id, self.provider.description())
    }
}

impl StreamTable {
    /// A DataFrame reading this source as a stream.
    pub(crate) fn frame(session: &Session, provider: Arc<dyn SourceProvider>) -> Result<crate::DataFrame> {
        let table = StreamTable { id: NEXT_STREAM.fetch_add(1, Ordering::Relaxed), provider };
        let state = session.ctx.sql_state()?;
        Ok(crate::DataFrame::new(session.clone(), state.ctx.read_table(Arc::new(table))?))
    }
}

#[async_trait]
impl TableProvider for StreamTable {
    fn schema(&self) -> SchemaRef {
        self.provider.schema()
    }

    fn table_type(&self) -> TableType {
        TableType::Temporary
    }

    async fn scan(
        &self,
        _state: &dyn CatalogSession,
        _projection: Option<&Vec<usize>>,
        _filters: &[Expr],
        _limit: Option<usize>,
    ) -> datafusion::error::Result<Arc<dyn ExecutionPlan>> {
        // Spark's message for a batch action on a streaming DataFrame.
        Err(datafusion::error::DataFusionError::Plan(format!(
            "Queries with streaming sources must be executed with write_stream().start(): {}",
            self.provider.description()
        )))
    }
}

/// An in-memory stream for tests and examples (Spark's `MemoryStream`): batches added with
/// [`add_data`](MemoryStream::add_data) become available to the next micro-batch. Its offset counts the
/// batches added, so a restarted query replays exactly the batches it had logged.
///
/// ```
/// # use flint_engine::prelude::*;
/// # use flint_engine::streaming::MemoryStream;
/// # let session = Session::builder().master("local[2]").get_or_create()?;
/// let input = MemoryStream::new(&session, session.create_dataframe(vec![(0i64,)], &["value"])?.schema());
/// input.add_data(session.create_dataframe(vec![(1i64,), (2,), (3,)], &["value"])?)?;
/// let query = input.to_df()?.filter(col("value").gt(lit(1)))?.write_stream().format("memory").query_name("big").start()?;
/// query.process_all_available()?;
/// assert_eq!(session.sql("SELECT count(*) AS n FROM big")?.collect()?[0].get_as::<i64>("n")?, 2);
/// query.stop()?;
/// # Ok::<(), flint_engine::Error>(())
/// ```
#[derive(Clone)]
pub struct MemoryStream {
    session: Session,
    schema: SchemaRef,
    batches: Arc<Mutex<Vec<RecordBatch>>>,
}

impl fmt::Debug for MemoryStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MemoryStream({} batches)", self.lock().len())
    }
}

impl MemoryStream {
    /// An empty stream of rows of `schema`.
    pub fn new(session: &Session, schema: SchemaRef) -> MemoryStream {
        MemoryStream { session: session.clone(), schema, batches: Arc::default() }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<RecordBatch>> {
        self.batches.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Appends the rows of a DataFrame (of the stream's schema) as one more batch; returns the stream's new
    /// offset.
    #[track_caller]
    pub fn add_data(&self, rows: crate::DataFrame) -> Result<Offset> {
        self.add_batches(rows.collect_batches()?)
    }

    /// Appends Arrow batches (of the stream's schema) as one more batch; returns the stream's new offset.
    pub fn add_batches(&self, batches: Vec<RecordBatch>) -> Result<Offset> {
        let mut combined = Vec::with_capacity(batches.len());
        for b in batches {
            // Rows without nulls fit a nullable column: the stream's schema need only contain theirs.
            let schema = b.schema();
            combined.push(b.with_schema(Arc::clone(&self.schema)).map_err(|_| {
                Error::param(
                    "MemoryStream.add_data",
                    format!("rows of schema {schema} do not match the stream's schema {}", self.schema),
                )
            })?);
        }
        let merged = datafusion::arrow::compute::concat_batches(&self.schema, &combined)?;
        let mut all = self.lock();
        all.push(merged);
        Ok(Offset::log_offset(all.len() as u64))
    }

    /// The stream as a streaming DataFrame.
    pub fn to_df(&self) -> Result<crate::DataFrame> {
        StreamTable::frame(&self.session, Arc::new(self.clone()))
    }
}

impl SourceProvider for MemoryStream {
    fn schema(&self) -> SchemaRef {
        Arc::clone(&self.schema)
    }

    fn create(&self, _metadata_dir: Option<&Path>) -> Result<Arc<dyn Source>> {
        Ok(Arc::new(self.clone()))
    }

    fn description(&self) -> String {
        "MemoryStream".to_string()
    }
}

impl Source for MemoryStream {
    fn schema(&self) -> SchemaRef {
        Arc::clone(&self.schema)
    }

    fn latest_offset(&self, _start: Option<&Offset>, _limit: ReadLimit) -> Result<Option<Offset>> {
        let n = self.lock().len() as u64;
        Ok((n > 0).then(|| Offset::log_offset(n)))
    }

    fn get_batch(&self, start: Option<&Offset>, end: &Offset) -> Result<Vec<RecordBatch>> {
        let from = start.map_or(Some(0), Offset::as_log_offset);
        let (Some(from), Some(to)) = (from, end.as_log_offset()) else {
            return Err(Error::Plan(format!("MemoryStream: offsets {start:?} → {end} are not batch counts")));
        };
        let all = self.lock();
        if to as usize > all.len() || from > to {
            return Err(Error::Plan(format!(
                "MemoryStream: batches {from}..{to} were asked for but the stream holds {} (a checkpoint of another \
                 stream?)",
                all.len()
            )));
        }
        Ok(all[from as usize..to as usize].to_vec())
    }

    fn description(&self) -> String {
        "MemoryStream".to_string()
    }
}
