//! Session windows on a stream (Spark's `MergingSessionsExec` with `SessionWindowStateStoreSaveExec`).
//!
//! A session can grow, and two sessions can merge, whenever a row falls between them, so a session's aggregate
//! is only known once no row can join it any more. The state is therefore the rows of the sessions still open:
//! each batch sessionizes them together with its new rows (the batch planning of
//! [`session_window`](crate::functions::session_window)), aggregates every session, writes the sessions the
//! output mode asks for, and keeps the rows of the sessions the watermark has not closed (a session is closed
//! when its end is at or behind the watermark). With a watermark the state stays bounded; without one (update or
//! complete mode) it grows with the stream, as Spark's does.

use super::OutputMode;
use super::aggregate::AggregateMetrics;
use super::state::StateStore;
use super::watermark::{Watermark, drop_late, micros};
use crate::DataFrame;
use crate::dataframe::sessions::{COLUMN, SessionKey, aggregate_keys, sessionize};
use crate::error::{Error, Result};
use crate::session::Session;
use datafusion::arrow::array::BooleanArray;
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::common::{DFSchemaRef, ScalarValue};
use datafusion::logical_expr::expr_rewriter::unnormalize_col;
use datafusion::logical_expr::{Expr, Extension, LogicalPlan, lit};
use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

const NEW: &str = "__flint_new_row";
const CHANGED: &str = "__flint_changed";

/// The plan node of an aggregation per session window over a stream.
#[derive(Clone, PartialEq, Eq, Hash)]
pub(crate) struct SessionAggregate {
    pub(crate) input: LogicalPlan,
    /// The grouping keys, the session window at `position` among them.
    keys: Vec<Expr>,
    position: usize,
    session: SessionKey,
    aggs: Vec<Expr>,
    schema: DFSchemaRef,
}

impl fmt::Debug for SessionAggregate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SessionWindowAggregate: keys={:?}, gap={}us, aggs={:?}", self.keys, self.session.gap, self.aggs)
    }
}

super::plan::streaming_node!(SessionAggregate, |_node| "SessionWindowAggregate");

/// The node of a plan node, if it is a session-window aggregation.
pub(crate) fn node_of(extension: &Extension) -> Option<&SessionAggregate> {
    extension.node.as_any().downcast_ref::<SessionAggregate>()
}

/// The streaming operator of an aggregation by a session window (`keys[position]`) over `input`, giving rows of
/// `schema` (the aggregation's).
pub(crate) fn node(
    input: LogicalPlan,
    keys: Vec<Expr>,
    position: usize,
    session: SessionKey,
    aggs: Vec<Expr>,
    schema: DFSchemaRef,
) -> LogicalPlan {
    LogicalPlan::Extension(Extension {
        node: Arc::new(SessionAggregate { input, keys, position, session, aggs, schema }),
    })
}

/// One query's session-window aggregation and its state (the rows of the open sessions).
#[derive(Debug)]
pub(crate) struct StreamingSessions {
    dir: Option<PathBuf>,
    store: Option<StateStore>,
}

impl StreamingSessions {
    pub(crate) fn new(dir: Option<PathBuf>) -> Self {
        StreamingSessions { dir, store: None }
    }

    /// Checks at `start()` that the output mode can be served: append needs a watermark to know when a session
    /// is final.
    pub(crate) fn check_mode(mode: OutputMode, watermark: Option<&Watermark>) -> Result<()> {
        if mode == OutputMode::Append && watermark.is_none() {
            return Err(Error::Plan(
                "Append output mode not supported when there are streaming aggregations on streaming \
                 DataFrames/DataSets without watermark: declare one with with_watermark(column, delay) on the \
                 session window's time column"
                    .to_string(),
            ));
        }
        Ok(())
    }

    /// Runs batch `batch` over its input rows; returns the plan of the sessions to write and the batch's metrics.
    pub(crate) fn run(
        &mut self,
        session: &Session,
        node: &SessionAggregate,
        input: LogicalPlan,
        batch: u64,
        mode: OutputMode,
        watermark: Option<i64>,
    ) -> Result<(LogicalPlan, AggregateMetrics)> {
        let state = session.ctx.sql_state()?;
        let mut metrics = AggregateMetrics::default();
        let plain = |e: &Expr| unnormalize_col(e.clone());
        let time = plain(&node.session.time);
        // A row whose own window already ends at or behind the watermark is late (Spark's predicate on the
        // session window's end).
        let input = match watermark {
            Some(w) => {
                let end = datafusion::logical_expr::cast(
                    datafusion::logical_expr::cast(
                        datafusion::logical_expr::cast(time.clone(), micros()),
                        DataType::Int64,
                    ) + lit(node.session.gap),
                    micros(),
                );
                let (kept, dropped) =
                    drop_late(session, input, end.lt_eq(lit(ScalarValue::TimestampMicrosecond(Some(w), None))))?;
                metrics.num_rows_dropped_by_watermark = dropped;
                kept
            }
            None => input,
        };
        let physical = state.block_on(state.ctx.state().create_physical_plan(&input))?;
        let new_rows = state.block_on(datafusion::physical_plan::collect(physical, state.ctx.task_ctx()))?;

        let input_schema: SchemaRef = Arc::new(node.input.schema().as_arrow().clone());
        let mut fields: Vec<Field> = input_schema.fields().iter().map(|f| f.as_ref().clone()).collect();
        fields.push(Field::new(NEW, DataType::Boolean, false));
        let flagged: SchemaRef = Arc::new(Schema::new(fields));
        let flag = |b: &RecordBatch, new: bool| -> Result<RecordBatch> {
            let mut columns = b.columns().to_vec();
            columns.push(Arc::new(BooleanArray::from(vec![new; b.num_rows()])));
            Ok(RecordBatch::try_new(Arc::clone(&flagged), columns)?)
        };
        let dir = self.dir.clone();
        let store = self.store.get_or_insert_with(|| StateStore::new(dir, Arc::clone(&input_schema)));
        let mut all = vec![RecordBatch::new_empty(Arc::clone(&flagged))];
        let previous = store.get(batch)?;
        let count = |b: &[RecordBatch]| b.iter().map(|b| b.num_rows() as u64).sum::<u64>();
        let before = count(previous) + count(&new_rows);
        for b in previous {
            all.push(flag(b, false)?);
        }
        for b in &new_rows {
            all.push(flag(b, true)?);
        }
        let rows = session.create_dataframe_from_batches(all)?;
        let keys: Vec<Expr> = node.keys.iter().map(plain).collect();
        let others: Vec<Expr> =
            keys.iter().enumerate().filter(|(i, _)| *i != node.position).map(|(_, k)| k.clone()).collect();
        let key = SessionKey { time, gap: node.session.gap };
        let sessionized = sessionize(&rows, &others, &key)?;
        let column = |name: &str| Expr::Column(datafusion::common::Column::from_name(name));
        let end = datafusion::functions::core::expr_fn::get_field(column(COLUMN), "end");
        let closed = match (watermark, mode) {
            (Some(w), OutputMode::Append | OutputMode::Update) => {
                Some(end.lt_eq(lit(ScalarValue::TimestampMicrosecond(Some(w), None))))
            }
            _ => None,
        };
        let open = match &closed {
            Some(c) => sessionized.df.cloned().filter(c.clone().is_not_true())?,
            None => sessionized.df.cloned(),
        };
        let input_columns: Vec<Expr> = input_schema.fields().iter().map(|f| column(f.name())).collect();
        let keep = DataFrame::new(session.clone(), open.select(input_columns)?)
            .collect_batches()?
            .into_iter()
            .map(|b| Ok(RecordBatch::try_new(Arc::clone(&input_schema), b.columns().to_vec())?))
            .collect::<Result<Vec<_>>>()?;

        let changed = datafusion::functions_aggregate::expr_fn::bool_or(column(NEW)).alias(CHANGED);
        let aggs: Vec<Expr> = node.aggs.iter().map(plain).collect();
        let mut sessions = aggregate_keys(&sessionized, &keys, node.position, &aggs, &[changed])?.df.cloned();
        sessions = match (mode, &closed) {
            (OutputMode::Append, Some(c)) => sessions.filter(c.clone())?,
            // Before the first watermark no session is final.
            (OutputMode::Append, None) => sessions.filter(lit(false))?,
            (OutputMode::Update, _) => sessions.filter(column(CHANGED))?,
            _ => sessions,
        };
        let output_columns: Vec<Expr> =
            sessions.schema().columns().into_iter().filter(|c| c.name != CHANGED).map(Expr::Column).collect();
        let output = DataFrame::new(session.clone(), sessions.select(output_columns)?).collect_batches()?;

        metrics.num_rows_total = count(&keep);
        metrics.num_rows_removed = before.saturating_sub(metrics.num_rows_total);
        metrics.num_rows_updated = count(&output);
        store.put(batch + 1, keep)?;
        Ok((super::plan::rows_as_plan(&node.schema, output)?, metrics))
    }
}
