//! Streaming deduplication (Spark's `dropDuplicates` on a stream, `StreamingDeduplicateExec`): a row is written
//! the first time its key is seen, in any batch. The state is the keys seen so far; with a watermark on an
//! event-time column that is part of the key, keys the watermark has passed are forgotten (a later duplicate
//! of them is late and dropped anyway), so the state stays bounded.

use super::aggregate::{AggregateMetrics, BatchWatermark};
use super::plan::rows_as_plan;
use super::state::StateStore;
use super::watermark::{drop_late, micros};
use crate::error::{Error, Result};
use crate::session::Session;
use datafusion::arrow::array::{BooleanArray, TimestampMicrosecondArray};
use datafusion::arrow::compute::kernels::cmp::gt;
use datafusion::arrow::compute::{cast, filter_record_batch};
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::arrow::row::{RowConverter, SortField};
use datafusion::common::ScalarValue;
use datafusion::logical_expr::{Distinct, Expr, LogicalPlan, cast as cast_expr, lit};
use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Debug)]
pub(crate) struct StreamingDedup {
    dir: Option<PathBuf>,
    store: Option<StateStore>,
}

/// The names of the key columns of a distinct, in its output.
pub(crate) fn key_columns(distinct: &Distinct) -> Result<Vec<String>> {
    match distinct {
        Distinct::All(input) => Ok(input.schema().fields().iter().map(|f| f.name().clone()).collect()),
        Distinct::On(on) => on
            .on_expr
            .iter()
            .map(|e| match e {
                Expr::Column(c) => Ok(c.name.clone()),
                other => Err(Error::Plan(format!(
                    "drop_duplicates on a stream takes column names, not the expression {other}"
                ))),
            })
            .collect(),
    }
}

impl StreamingDedup {
    pub(crate) fn new(dir: Option<PathBuf>) -> Self {
        StreamingDedup { dir, store: None }
    }

    /// Runs batch `batch`: the rows of `input` whose key was never seen, once each.
    pub(crate) fn run(
        &mut self,
        session: &Session,
        distinct: &Distinct,
        input: LogicalPlan,
        batch: u64,
        watermark: Option<&BatchWatermark>,
    ) -> Result<(LogicalPlan, AggregateMetrics)> {
        let state = session.ctx.sql_state()?;
        let mut metrics = AggregateMetrics::default();
        let keys = key_columns(distinct)?;
        let plan = LogicalPlan::Distinct(distinct.clone());
        let schema = plan.schema();
        let index = |name: &str| {
            schema.fields().iter().position(|f| f.name() == name).ok_or_else(|| {
                Error::Plan(format!("drop_duplicates on a stream: the key `{name}` is not an output column"))
            })
        };
        let key_indices = keys.iter().map(|k| index(k)).collect::<Result<Vec<_>>>()?;
        // The event-time key, when the watermark's column is one of the keys (Spark's condition for eviction).
        let event = watermark.and_then(|w| {
            let name = &w.definition.column.name;
            keys.iter().position(|k| k == name).map(|k| (k, name.clone(), w.value))
        });
        let input = match &event {
            Some((_, name, Some(w))) => {
                let time = cast_expr(Expr::Column(datafusion::common::Column::from_name(name)), micros());
                let late = time.lt_eq(lit(ScalarValue::TimestampMicrosecond(Some(*w), None)));
                let (kept, dropped) = drop_late(session, input, late)?;
                metrics.num_rows_dropped_by_watermark = dropped;
                kept
            }
            _ => input,
        };
        let within = plan.with_new_exprs(plan.expressions(), vec![input])?;
        let physical = state.block_on(state.ctx.state().create_physical_plan(&within))?;
        let fresh = state.block_on(datafusion::physical_plan::collect(physical, state.ctx.task_ctx()))?;

        let arrow_schema: SchemaRef = Arc::new(schema.as_arrow().clone());
        let key_schema = Arc::new(arrow_schema.project(&key_indices)?);
        let converter =
            RowConverter::new(key_schema.fields().iter().map(|f| SortField::new(f.data_type().clone())).collect())?;
        let dir = self.dir.clone();
        let store = self.store.get_or_insert_with(|| StateStore::new(dir, Arc::clone(&key_schema)));
        let old = store.get(batch)?.to_vec();
        let mut seen = HashSet::new();
        for b in &old {
            seen.extend(converter.convert_columns(b.columns())?.iter().map(|r| r.as_ref().to_vec()));
        }
        let mut output = Vec::new();
        let mut new_keys = Vec::new();
        for b in fresh {
            let b = RecordBatch::try_new(Arc::clone(&arrow_schema), b.columns().to_vec())?;
            let keys = b.project(&key_indices)?;
            let rows = converter.convert_columns(keys.columns())?;
            let mask: BooleanArray = rows.iter().map(|r| Some(seen.insert(r.as_ref().to_vec()))).collect();
            output.push(filter_record_batch(&b, &mask)?);
            new_keys.push(filter_record_batch(&keys, &mask)?);
        }
        let mut kept = old;
        kept.extend(new_keys);
        if let Some((k, _, Some(w))) = event {
            let bound = TimestampMicrosecondArray::new_scalar(w);
            let before: usize = kept.iter().map(RecordBatch::num_rows).sum();
            kept = kept
                .iter()
                .map(|b| Ok(filter_record_batch(b, &gt(&cast(b.column(k), &micros())?, &bound)?)?))
                .collect::<Result<_>>()?;
            let after: usize = kept.iter().map(RecordBatch::num_rows).sum();
            metrics.num_rows_removed = (before - after) as u64;
        }
        metrics.num_rows_total = kept.iter().map(|b| b.num_rows() as u64).sum();
        metrics.num_rows_updated = output.iter().map(|b| b.num_rows() as u64).sum();
        store.put(batch + 1, kept)?;
        Ok((rows_as_plan(schema, output)?, metrics))
    }
}
