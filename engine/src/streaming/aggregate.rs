//! Streaming aggregation (Spark's `StateStoreRestore`/`StateStoreSave` around a partial aggregation).
//!
//! The state is DataFusion's own partial aggregation state: one row per group holding each aggregate's
//! intermediate values (a count, a sum and a count for `avg`, …), so every aggregate function DataFusion has
//! works on a stream. Each batch aggregates its new rows partially, merges them with the state
//! (`AggregateMode::PartialReduce`), saves the merged state as the next version, and finalises the rows the
//! output mode asks for: every group (`complete`), the groups this batch changed (`update`), or the groups the
//! watermark has closed (`append`, which then evicts them). With a watermark, rows whose event-time key is
//! already behind it are dropped and counted, and `update` evicts closed groups too, so state stays bounded.

use super::OutputMode;
use super::state::StateStore;
use super::watermark::{Watermark, drop_late, micros};
use crate::error::{Error, Result};
use crate::session::Session;
use datafusion::arrow::array::{ArrayRef, AsArray, BooleanArray, TimestampMicrosecondArray};
use datafusion::arrow::compute::kernels::cmp::lt_eq;
use datafusion::arrow::compute::{cast, filter_record_batch};
use datafusion::arrow::datatypes::{DataType, SchemaRef};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::arrow::row::{RowConverter, SortField};
use datafusion::common::ScalarValue;
use datafusion::datasource::memory::MemorySourceConfig;
use datafusion::logical_expr::{Aggregate, Expr, ExprSchemable, LogicalPlan, cast as cast_expr, lit};
use datafusion::physical_plan::aggregates::{AggregateExec, AggregateMode};
use datafusion::physical_plan::{ExecutionPlan, collect};
use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Arc;

/// How the grouping keys carry event time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum EventKey {
    /// Group `i` is a `window` struct: a group is closed when its window's end is at or behind the watermark.
    Window(usize),
    /// Group `i` is the event-time column itself.
    Time(usize),
}

impl EventKey {
    fn index(self) -> usize {
        match self {
            EventKey::Window(i) | EventKey::Time(i) => i,
        }
    }
}

/// What one batch of a streaming aggregation reported.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct AggregateMetrics {
    pub(crate) num_rows_total: u64,
    pub(crate) num_rows_updated: u64,
    pub(crate) num_rows_removed: u64,
    pub(crate) num_rows_dropped_by_watermark: u64,
}

/// One streaming aggregation of a query and its state.
#[derive(Debug)]
pub(crate) struct StreamingAggregate {
    dir: Option<PathBuf>,
    store: Option<StateStore>,
}

/// The watermark a batch runs with.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct BatchWatermark {
    pub(crate) definition: Watermark,
    /// Microseconds; `None` before any event time was seen (nothing is late yet).
    pub(crate) value: Option<i64>,
}

impl StreamingAggregate {
    pub(crate) fn new(dir: Option<PathBuf>) -> Self {
        StreamingAggregate { dir, store: None }
    }

    /// The event-time key of an aggregation under a watermark, if its groups have one.
    fn event_key(agg: &Aggregate, watermark: Option<&BatchWatermark>) -> Option<EventKey> {
        let watermark = watermark?;
        let schema = agg.input.schema();
        agg.group_expr.iter().enumerate().find_map(|(i, e)| {
            if let Expr::Column(c) = e
                && c.name == watermark.definition.column.name
            {
                return Some(EventKey::Time(i));
            }
            match e.get_type(schema).ok()? {
                DataType::Struct(fields) if fields.iter().any(|f| f.name() == "end") => Some(EventKey::Window(i)),
                _ => None,
            }
        })
    }

    /// Checks at `start()` that the output mode can be served (Spark's `UnsupportedOperationChecker`).
    pub(crate) fn check_mode(agg: &Aggregate, mode: OutputMode, watermark: Option<&Watermark>) -> Result<()> {
        if mode != OutputMode::Append {
            return Ok(());
        }
        let batch = watermark.map(|w| BatchWatermark { definition: w.clone(), value: None });
        if Self::event_key(agg, batch.as_ref()).is_none() {
            return Err(Error::Plan(
                "Append output mode not supported when there are streaming aggregations on streaming \
                 DataFrames/DataSets without watermark: declare one with with_watermark(column, delay) and group by \
                 that column or a window of it"
                    .to_string(),
            ));
        }
        Ok(())
    }

    /// Runs batch `batch` over its input rows (`input`); returns the plan of the rows to output and the batch's
    /// metrics.
    pub(crate) fn run(
        &mut self,
        session: &Session,
        agg: &Aggregate,
        input: LogicalPlan,
        batch: u64,
        mode: OutputMode,
        watermark: Option<&BatchWatermark>,
    ) -> Result<(LogicalPlan, AggregateMetrics)> {
        let state = session.ctx.sql_state()?;
        let mut metrics = AggregateMetrics::default();
        let key = Self::event_key(agg, watermark);
        let closed_at = watermark.and_then(|w| w.value);
        let input = match (key, closed_at) {
            (Some(key), Some(w)) => {
                let late = late_predicate(&agg.group_expr[key.index()], key, w);
                let (kept, dropped) = drop_late(session, input, late)?;
                metrics.num_rows_dropped_by_watermark = dropped;
                kept
            }
            _ => input,
        };
        let logical =
            LogicalPlan::Aggregate(Aggregate::try_new(Arc::new(input), agg.group_expr.clone(), agg.aggr_expr.clone())?);
        let physical = state.block_on(state.ctx.state().create_physical_plan(&logical))?;
        let raw = raw_aggregate(&physical)?;
        let partial = Arc::new(AggregateExec::try_new(
            AggregateMode::Partial,
            raw.group_expr().clone(),
            raw.aggr_expr().to_vec(),
            raw.filter_expr().to_vec(),
            Arc::clone(raw.input()),
            raw.input_schema(),
        )?);
        let schema = partial.schema();
        let groups = raw.group_expr().expr().len();
        let new_rows = state.block_on(collect(partial, state.ctx.task_ctx()))?;
        let dir = self.dir.clone();
        let store = self.store.get_or_insert_with(|| StateStore::new(dir, Arc::clone(&schema)));
        let mut merged = new_rows.clone();
        merged.extend_from_slice(store.get(batch)?);
        let final_groups = Arc::new(raw.group_expr().as_final());
        let aggr = raw.aggr_expr().to_vec();
        let no_filters = vec![None; aggr.len()];
        let reduce = AggregateExec::try_new(
            AggregateMode::PartialReduce,
            Arc::clone(&final_groups),
            aggr.clone(),
            no_filters.clone(),
            memory(&merged, &schema)?,
            Arc::clone(&schema),
        )?;
        let all = state.block_on(collect(Arc::new(reduce), state.ctx.task_ctx()))?;
        let closed = match (key, closed_at) {
            (Some(key), Some(w)) => Some(closed_mask(&all, key, w)?),
            _ => None,
        };
        let (output, keep) = match mode {
            OutputMode::Complete => (all.clone(), all),
            OutputMode::Update => {
                let changed = changed_mask(&all, &new_rows, groups)?;
                let output = select(&all, &changed, true)?;
                let keep = match &closed {
                    Some(closed) => select(&all, closed, false)?,
                    None => all,
                };
                (output, keep)
            }
            OutputMode::Append => match &closed {
                Some(closed) => (select(&all, closed, true)?, select(&all, closed, false)?),
                None => (Vec::new(), all),
            },
        };
        let count = |b: &[RecordBatch]| b.iter().map(|b| b.num_rows() as u64).sum::<u64>();
        metrics.num_rows_total = count(&keep);
        metrics.num_rows_removed = closed.as_ref().map_or(0, |c| c.iter().map(|m| m.true_count() as u64).sum());
        metrics.num_rows_updated = count(&output);
        store.put(batch + 1, keep)?;
        let finish = AggregateExec::try_new(
            AggregateMode::Final,
            final_groups,
            aggr,
            no_filters,
            memory(&output, &schema)?,
            Arc::clone(&schema),
        )?;
        let rows = state.block_on(collect(Arc::new(finish), state.ctx.task_ctx()))?;
        Ok((super::plan::rows_as_plan(&agg.schema, rows)?, metrics))
    }
}

/// The aggregation that reads raw rows in DataFusion's plan (partial, or single when it combined the phases).
fn raw_aggregate(plan: &Arc<dyn ExecutionPlan>) -> Result<&AggregateExec> {
    if let Some(agg) = plan.downcast_ref::<AggregateExec>()
        && matches!(agg.mode(), AggregateMode::Partial | AggregateMode::Single | AggregateMode::SinglePartitioned)
    {
        return Ok(agg);
    }
    plan.children()
        .into_iter()
        .find_map(|child| raw_aggregate(child).ok())
        .ok_or_else(|| Error::Internal("no aggregation in the plan of a streaming aggregation".to_string()))
}

fn memory(batches: &[RecordBatch], schema: &SchemaRef) -> Result<Arc<dyn ExecutionPlan>> {
    Ok(MemorySourceConfig::try_new_exec(&[batches.to_vec()], Arc::clone(schema), None)?)
}

/// Whether a row's event-time key is at or behind the watermark `w` (Spark's `watermarkPredicateForData`).
fn late_predicate(key_expr: &Expr, key: EventKey, w: i64) -> Expr {
    let time = match key {
        EventKey::Window(_) => datafusion::functions::core::expr_fn::get_field(key_expr.clone(), "end"),
        EventKey::Time(_) => key_expr.clone(),
    };
    cast_expr(time, micros()).lt_eq(lit(ScalarValue::TimestampMicrosecond(Some(w), None)))
}

/// For each state batch, which groups the watermark `w` has closed.
fn closed_mask(batches: &[RecordBatch], key: EventKey, w: i64) -> Result<Vec<BooleanArray>> {
    let bound = TimestampMicrosecondArray::new_scalar(w);
    batches
        .iter()
        .map(|b| {
            let column = b.column(key.index());
            let time: ArrayRef = match key {
                EventKey::Window(_) => {
                    let ends = column.as_struct().column_by_name("end").ok_or_else(|| {
                        Error::Internal("the window key of a streaming aggregation has no `end`".to_string())
                    })?;
                    Arc::clone(ends)
                }
                EventKey::Time(_) => Arc::clone(column),
            };
            Ok(lt_eq(&cast(&time, &micros())?, &bound)?)
        })
        .collect()
}

/// For each merged-state batch, which groups have rows in this batch's input.
fn changed_mask(all: &[RecordBatch], new_rows: &[RecordBatch], groups: usize) -> Result<Vec<BooleanArray>> {
    let Some(first) = all.first() else { return Ok(Vec::new()) };
    let fields: Vec<SortField> =
        first.schema().fields()[..groups].iter().map(|f| SortField::new(f.data_type().clone())).collect();
    let converter = RowConverter::new(fields)?;
    let key_columns = |b: &RecordBatch| b.columns()[..groups].to_vec();
    let mut seen = HashSet::new();
    for b in new_rows {
        let rows = converter.convert_columns(&key_columns(b))?;
        seen.extend(rows.iter().map(|r| r.as_ref().to_vec()));
    }
    all.iter()
        .map(|b| {
            let rows = converter.convert_columns(&key_columns(b))?;
            Ok(rows.iter().map(|r| Some(seen.contains(r.as_ref()))).collect())
        })
        .collect()
}

/// The rows where `mask` is `keep_true` (nulls count as false).
fn select(batches: &[RecordBatch], mask: &[BooleanArray], keep_true: bool) -> Result<Vec<RecordBatch>> {
    batches
        .iter()
        .zip(mask)
        .map(|(b, m)| {
            let m = if keep_true { m.clone() } else { datafusion::arrow::compute::not(m)? };
            Ok(filter_record_batch(b, &m)?)
        })
        .collect()
}
