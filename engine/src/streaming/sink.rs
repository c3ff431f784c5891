//! Streaming sinks: the [`Sink`] trait each micro-batch's result is written through, and the `memory`,
//! `console`, `foreach` and `foreach_batch` sinks.

use super::OutputMode;
use crate::DataFrame;
use crate::dataframe::Row;
use crate::error::Result;
use crate::session::Session;
use async_trait::async_trait;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::catalog::{Session as CatalogSession, TableProvider};
use datafusion::datasource::TableType;
use datafusion::datasource::memory::MemorySourceConfig;
use datafusion::logical_expr::Expr;
use datafusion::physical_plan::ExecutionPlan;
use std::sync::{Arc, Mutex};

/// Where a streaming query writes each micro-batch's result (Spark's `Sink`).
///
/// `add_batch` may be called again with the id of a batch it has already written: after a crash between the
/// sink's write and the commit log entry, the restarted query replays that batch. A sink that ignores (or
/// overwrites) a batch id it has seen makes the query's output exactly-once.
pub trait Sink: Send + Sync {
    /// Writes the result of micro-batch `batch_id`: in `append` mode the new rows, in `update` mode the changed
    /// rows, in `complete` mode the whole result.
    fn add_batch(&self, batch_id: u64, data: DataFrame, mode: OutputMode) -> Result<()>;
}

/// Keeps every batch's rows in memory as a table named after the query, queryable with `session.sql`
/// (Spark's `memory` sink). In `complete` mode the table holds the last result.
pub(crate) struct MemorySink {
    table: Arc<MemorySinkTable>,
}

#[derive(Debug)]
struct MemorySinkTable {
    schema: SchemaRef,
    /// The rows, and the last batch id added (a replayed batch is skipped).
    rows: Mutex<(Vec<RecordBatch>, Option<u64>)>,
}

impl MemorySink {
    /// A sink registering table `name` (replacing a table of that name) in the session.
    pub(crate) fn new(session: &Session, name: &str, schema: SchemaRef) -> Result<MemorySink> {
        let table = Arc::new(MemorySinkTable { schema, rows: Mutex::default() });
        let state = session.ctx.sql_state()?;
        state.ctx.deregister_table(name)?;
        state.ctx.register_table(name, Arc::clone(&table) as Arc<dyn TableProvider>)?;
        Ok(MemorySink { table })
    }
}

impl Sink for MemorySink {
    fn add_batch(&self, batch_id: u64, data: DataFrame, mode: OutputMode) -> Result<()> {
        let batches = data.collect_batches()?;
        let mut rows = self.table.rows.lock().unwrap_or_else(|e| e.into_inner());
        if rows.1.is_some_and(|last| batch_id <= last) {
            return Ok(());
        }
        if mode == OutputMode::Complete {
            rows.0.clear();
        }
        rows.0.extend(batches);
        rows.1 = Some(batch_id);
        Ok(())
    }
}

#[async_trait]
impl TableProvider for MemorySinkTable {
    fn schema(&self) -> SchemaRef {
        Arc::clone(&self.schema)
    }

    fn table_type(&self) -> TableType {
        TableType::Temporary
    }

    async fn scan(
        &self,
        _state: &dyn CatalogSession,
        projection: Option<&Vec<usize>>,
        _filters: &[Expr],
        _limit: Option<usize>,
    ) -> datafusion::error::Result<Arc<dyn ExecutionPlan>> {
        // A snapshot: batches committed while the query runs are seen by the next scan.
        let rows = self.rows.lock().unwrap_or_else(|e| e.into_inner()).0.clone();
        Ok(MemorySourceConfig::try_new_exec(&[rows], self.schema(), projection.cloned())?)
    }
}

/// Prints each batch as Spark's console sink does: a `Batch: n` header, then the rows as `show()` prints them.
pub(crate) struct ConsoleSink {
    pub(crate) num_rows: usize,
    pub(crate) truncate: bool,
}

impl Sink for ConsoleSink {
    fn add_batch(&self, batch_id: u64, data: DataFrame, _mode: OutputMode) -> Result<()> {
        let table = data.show_string(self.num_rows, if self.truncate { 20 } else { 0 }, false)?;
        let rule = "-".repeat(43);
        print!("{rule}\nBatch: {batch_id}\n{rule}\n{table}\n");
        Ok(())
    }
}

/// The function of a `foreach_batch` sink.
pub(crate) type BatchFn = dyn Fn(DataFrame, u64) -> Result<()> + Send + Sync;

/// Calls a function with each micro-batch's result and id (Spark's `foreachBatch`).
pub(crate) struct ForeachBatchSink(pub(crate) Arc<BatchFn>);

impl Sink for ForeachBatchSink {
    fn add_batch(&self, batch_id: u64, data: DataFrame, _mode: OutputMode) -> Result<()> {
        (self.0)(data, batch_id)
    }
}

/// The function of a `foreach` sink.
pub(crate) type RowFn = dyn Fn(Row) -> Result<()> + Send + Sync;

/// Calls a function with each row of each micro-batch (Spark's `foreach`; at-least-once on replay).
pub(crate) struct ForeachSink(pub(crate) Arc<RowFn>);

impl Sink for ForeachSink {
    fn add_batch(&self, _batch_id: u64, data: DataFrame, _mode: OutputMode) -> Result<()> {
        data.collect()?.into_iter().try_for_each(|row| (self.0)(row))
    }
}
