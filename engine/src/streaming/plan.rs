//! Streaming logical plans: finding the sources a plan reads, and each micro-batch's plan, in which every
//! source's scan reads that batch's rows instead.

use super::group_state::{self, GroupsWithState};
use super::session_window::{self, SessionAggregate};
use super::source::{SourceProvider, StreamTable};
use super::watermark::Watermark;
use crate::error::Result;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::common::{Column, DFSchemaRef};
use datafusion::datasource::{MemTable, provider_as_source, source_as_provider};
use datafusion::logical_expr::{Aggregate, Distinct, Expr, LogicalPlan, LogicalPlanBuilder, TableScan};
use std::collections::BTreeMap;
use std::sync::Arc;

/// The stream a scan reads, if it reads one.
fn stream_of(scan: &TableScan) -> Option<(usize, Arc<dyn SourceProvider>)> {
    let provider = source_as_provider(&scan.source).ok()?;
    let table = provider.downcast_ref::<StreamTable>()?;
    Some((table.id, Arc::clone(&table.provider)))
}

/// The plan of a view a scan reads (a temporary view over a streaming DataFrame), if it reads one.
fn view_of(scan: &TableScan) -> Option<LogicalPlan> {
    scan.source.get_logical_plan().map(|p| p.into_owned())
}

/// Every stream the plan reads, by table id, in the order first met.
pub(crate) fn streams(plan: &LogicalPlan) -> Vec<(usize, Arc<dyn SourceProvider>)> {
    let mut found: Vec<(usize, Arc<dyn SourceProvider>)> = Vec::new();
    collect_streams(plan, &mut found);
    found
}

fn collect_streams(plan: &LogicalPlan, found: &mut Vec<(usize, Arc<dyn SourceProvider>)>) {
    // Visiting cannot fail: the closure returns no error.
    let _ = plan.apply_with_subqueries(|node| {
        if let LogicalPlan::TableScan(scan) = node {
            if let Some((id, provider)) = stream_of(scan) {
                if !found.iter().any(|(seen, _)| *seen == id) {
                    found.push((id, provider));
                }
            } else if let Some(view) = view_of(scan) {
                collect_streams(&view, found);
            }
        }
        Ok(TreeNodeRecursion::Continue)
    });
}

/// Whether the plan reads a stream.
pub(crate) fn is_streaming(plan: &LogicalPlan) -> bool {
    !streams(plan).is_empty()
}

/// The stateful operators over streams in a plan: aggregations, distincts (`drop_duplicates`) and per-key state
/// functions.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Stateful {
    pub(crate) aggregations: usize,
    pub(crate) distincts: usize,
    pub(crate) groups_with_state: usize,
}

impl Stateful {
    pub(crate) fn total(self) -> usize {
        self.aggregations + self.distincts + self.groups_with_state
    }
}

pub(crate) fn stateful(plan: &LogicalPlan) -> Stateful {
    let mut found = Stateful::default();
    let _ = plan.apply_with_subqueries(|node| {
        match node {
            LogicalPlan::Aggregate(agg) if is_streaming(&agg.input) => found.aggregations += 1,
            LogicalPlan::Distinct(d) if is_streaming(d.input()) => found.distincts += 1,
            LogicalPlan::Extension(e) if group_state::node_of(e).is_some_and(|n| is_streaming(&n.input)) => {
                found.groups_with_state += 1;
            }
            LogicalPlan::Extension(e) if session_window::node_of(e).is_some_and(|n| is_streaming(&n.input)) => {
                found.aggregations += 1;
            }
            LogicalPlan::TableScan(scan) => {
                if let Some(view) = view_of(scan) {
                    let inner = stateful(&view);
                    found.aggregations += inner.aggregations;
                    found.distincts += inner.distincts;
                    found.groups_with_state += inner.groups_with_state;
                }
            }
            _ => {}
        }
        Ok(TreeNodeRecursion::Continue)
    });
    found
}

/// The first node of a plan that `pick` takes (looking into views too).
fn find_first<T>(plan: &LogicalPlan, pick: &dyn Fn(&LogicalPlan) -> Option<T>) -> Option<T> {
    let mut found = None;
    let _ = plan.apply_with_subqueries(|node| {
        found = match node {
            LogicalPlan::TableScan(scan) => view_of(scan).and_then(|v| find_first(&v, pick)),
            node => pick(node),
        };
        Ok(if found.is_some() { TreeNodeRecursion::Stop } else { TreeNodeRecursion::Continue })
    });
    found
}

/// The first streaming deduplication of a plan.
pub(crate) fn find_distinct(plan: &LogicalPlan) -> Option<Distinct> {
    find_first(plan, &|node| match node {
        LogicalPlan::Distinct(d) if is_streaming(d.input()) => Some(d.clone()),
        _ => None,
    })
}

/// The first streaming aggregation of a plan.
pub(crate) fn find_aggregate(plan: &LogicalPlan) -> Option<Aggregate> {
    find_first(plan, &|node| match node {
        LogicalPlan::Aggregate(agg) if is_streaming(&agg.input) => Some(agg.clone()),
        _ => None,
    })
}

/// The first per-key state function over a stream in a plan.
pub(crate) fn find_groups_with_state(plan: &LogicalPlan) -> Option<GroupsWithState> {
    find_first(plan, &|node| match node {
        LogicalPlan::Extension(e) => group_state::node_of(e).filter(|n| is_streaming(&n.input)).cloned(),
        _ => None,
    })
}

/// The first session-window aggregation over a stream in a plan.
pub(crate) fn find_session_aggregate(plan: &LogicalPlan) -> Option<SessionAggregate> {
    find_first(plan, &|node| match node {
        LogicalPlan::Extension(e) => session_window::node_of(e).filter(|n| is_streaming(&n.input)).cloned(),
        _ => None,
    })
}

/// The watermarks declared in a plan (looking into views too).
pub(crate) fn watermarks(plan: &LogicalPlan) -> Vec<Watermark> {
    let mut found = Vec::new();
    let _ = plan.apply_with_subqueries(|node| {
        match node {
            LogicalPlan::Filter(f) => found.extend(Watermark::of(&f.predicate)),
            LogicalPlan::TableScan(scan) => found.extend(view_of(scan).map(|v| watermarks(&v)).unwrap_or_default()),
            _ => {}
        }
        Ok(TreeNodeRecursion::Continue)
    });
    found
}

/// What a micro-batch does at the stateful points of a plan.
pub(crate) trait BatchHooks {
    /// Runs a streaming aggregation over this batch's input and returns the plan of its output rows.
    fn aggregate(&mut self, agg: &Aggregate, input: LogicalPlan) -> Result<LogicalPlan>;

    /// Runs a streaming deduplication over this batch's input and returns the plan of its new rows.
    fn distinct(&mut self, distinct: &Distinct, input: LogicalPlan) -> Result<LogicalPlan>;

    /// Runs a per-key state function over this batch's input and returns the plan of its output rows.
    fn groups_with_state(&mut self, node: &GroupsWithState, input: LogicalPlan) -> Result<LogicalPlan>;

    /// Runs a session-window aggregation over this batch's input and returns the plan of its output rows.
    fn session_aggregate(&mut self, node: &SessionAggregate, input: LogicalPlan) -> Result<LogicalPlan>;

    /// Sees the rows under a `with_watermark` (to track the maximum event time).
    fn watermark(&mut self, marker: &Watermark, input: &LogicalPlan) -> Result<()>;
}

/// The plan of one micro-batch: each stream's scan reads `rows[id]` (a stream without an entry reads nothing),
/// and `hooks` run the stateful operators.
pub(crate) fn batch_plan(
    plan: &LogicalPlan,
    rows: &BTreeMap<usize, Vec<RecordBatch>>,
    hooks: &mut dyn BatchHooks,
) -> Result<LogicalPlan> {
    Ok(rewrite(plan, rows, hooks)?.0)
}

/// The rewritten plan, and whether its rows still come from a stream (above a stateful operator they do not:
/// its output is this batch's result).
fn rewrite(
    plan: &LogicalPlan,
    rows: &BTreeMap<usize, Vec<RecordBatch>>,
    hooks: &mut dyn BatchHooks,
) -> Result<(LogicalPlan, bool)> {
    match plan {
        LogicalPlan::TableScan(scan) => {
            if let Some((id, provider)) = stream_of(scan) {
                let batches = rows.get(&id).cloned().unwrap_or_default();
                let table = MemTable::try_new(provider.schema(), vec![batches])?;
                let builder = LogicalPlanBuilder::scan_with_filters(
                    scan.table_name.clone(),
                    provider_as_source(Arc::new(table)),
                    scan.projection.clone(),
                    scan.filters.clone(),
                )?;
                return Ok((builder.build()?, true));
            }
            let Some(view) = view_of(scan).filter(is_streaming) else {
                return Ok((plan.clone(), false));
            };
            let (view, streaming) = rewrite(&view, rows, hooks)?;
            let mut builder = LogicalPlanBuilder::from(view).alias(scan.table_name.clone())?;
            if let Some(projection) = &scan.projection {
                let columns = builder.schema().columns();
                builder = builder.project(projection.iter().map(|&i| Expr::Column(columns[i].clone())))?;
            }
            for filter in &scan.filters {
                builder = builder.filter(filter.clone())?;
            }
            Ok((builder.build()?, streaming))
        }
        LogicalPlan::Aggregate(agg) => {
            let (input, streaming) = rewrite(&agg.input, rows, hooks)?;
            if streaming {
                Ok((hooks.aggregate(agg, input)?, false))
            } else {
                Ok((plan.with_new_exprs(plan.expressions(), vec![input])?, false))
            }
        }
        LogicalPlan::Distinct(distinct) => {
            let (input, streaming) = rewrite(distinct.input(), rows, hooks)?;
            if streaming {
                Ok((hooks.distinct(distinct, input)?, true))
            } else {
                Ok((plan.with_new_exprs(plan.expressions(), vec![input])?, false))
            }
        }
        LogicalPlan::Extension(extension)
            if group_state::node_of(extension).is_some() || session_window::node_of(extension).is_some() =>
        {
            let (input, streaming) = rewrite(plan.inputs()[0], rows, hooks)?;
            match (group_state::node_of(extension), session_window::node_of(extension)) {
                (Some(node), _) if streaming => Ok((hooks.groups_with_state(node, input)?, false)),
                (_, Some(node)) if streaming => Ok((hooks.session_aggregate(node, input)?, false)),
                _ => Ok((plan.with_new_exprs(plan.expressions(), vec![input])?, false)),
            }
        }
        LogicalPlan::Filter(filter) if Watermark::of(&filter.predicate).is_some() => {
            let (input, streaming) = rewrite(&filter.input, rows, hooks)?;
            if let (true, Some(marker)) = (streaming, Watermark::of(&filter.predicate)) {
                hooks.watermark(&marker, &input)?;
            }
            Ok((input, streaming))
        }
        _ => {
            let mut streaming = false;
            let mut inputs = Vec::new();
            for input in plan.inputs() {
                let (input, s) = rewrite(input, rows, hooks)?;
                streaming |= s;
                inputs.push(input);
            }
            if inputs.is_empty() {
                return Ok((plan.clone(), false));
            }
            Ok((plan.with_new_exprs(plan.expressions(), inputs)?, streaming))
        }
    }
}

/// Rows computed for a batch as the plan that replaces the stateful operator that produced them: a scan of the
/// rows, projected back to the operator's (qualified) output columns so the operators above resolve them as
/// before.
pub(crate) fn rows_as_plan(schema: &DFSchemaRef, rows: Vec<RecordBatch>) -> Result<LogicalPlan> {
    const RESULT: &str = "__flint_state";
    // Scanned under positional names: a scanned `count` next to the projected `count` would be ambiguous.
    let scanned = |i: usize| format!("_{i}");
    let fields: Vec<_> =
        schema.fields().iter().enumerate().map(|(i, f)| f.as_ref().clone().with_name(scanned(i))).collect();
    let arrow_schema = Arc::new(datafusion::arrow::datatypes::Schema::new(fields));
    let rows = rows
        .into_iter()
        .map(|b| RecordBatch::try_new(Arc::clone(&arrow_schema), b.columns().to_vec()))
        .collect::<std::result::Result<Vec<_>, _>>()?;
    let table = MemTable::try_new(arrow_schema, vec![rows])?;
    let columns = schema.iter().enumerate().map(|(i, (qualifier, field))| {
        Expr::Column(Column::new(Some(RESULT), scanned(i))).alias_qualified(qualifier.cloned(), field.name())
    });
    Ok(LogicalPlanBuilder::scan(RESULT, provider_as_source(Arc::new(table)), None)?.project(columns)?.build()?)
}

/// `UserDefinedLogicalNodeCore` for the plan node of a streaming operator: one input (`input`), its output
/// schema (`schema`), no expressions of its own (the operator keeps them, out of reach of DataFusion's
/// rewrites, which never see the node: each batch replaces it), shown by its `Debug`; plans compare nodes only
/// for equality.
macro_rules! streaming_node {
    ($node:ident, |$this:ident| $name:expr) => {
        impl PartialOrd for $node {
            fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
                (self == other).then_some(std::cmp::Ordering::Equal)
            }
        }

        impl datafusion::logical_expr::UserDefinedLogicalNodeCore for $node {
            fn name(&self) -> &str {
                let $this = self;
                $name
            }

            fn inputs(&self) -> Vec<&LogicalPlan> {
                vec![&self.input]
            }

            fn schema(&self) -> &datafusion::common::DFSchemaRef {
                &self.schema
            }

            fn expressions(&self) -> Vec<datafusion::logical_expr::Expr> {
                Vec::new()
            }

            fn fmt_for_explain(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                std::fmt::Debug::fmt(self, f)
            }

            fn with_exprs_and_inputs(
                &self,
                _: Vec<datafusion::logical_expr::Expr>,
                mut inputs: Vec<LogicalPlan>,
            ) -> datafusion::error::Result<Self> {
                let input = inputs.pop().ok_or_else(|| {
                    datafusion::error::DataFusionError::Internal(format!("{} takes one input", stringify!($node)))
                })?;
                Ok($node { input, ..self.clone() })
            }
        }
    };
}
pub(crate) use streaming_node;
