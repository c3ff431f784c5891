//! Session windows (Spark's `session_window(timeColumn, gapDuration)`): a session of a group is a run of its
//! rows each at most `gap` after the previous one (Spark merges windows that touch); its window is
//! `[first time, last time + gap)`.
//!
//! Unlike `window`, a row's session depends on the other rows of its group, so `session_window(…)` alone only
//! marks the grouping key (and, selected on its own, is the row's own window `[time, time + gap)`, as in Spark);
//! [`GroupedData::agg`](super::GroupedData::agg) plans the sessions with window functions over the other keys:
//! a row opens a session when it is the first of its group or more than `gap` after the previous row, a running
//! sum of the openings numbers the sessions, and each session's bounds are the minimum and maximum times of its
//! rows.

use super::{Column, DataFrame};
use crate::error::{Error, Result};
use crate::session::Session;
use datafusion::arrow::array::{Array, AsArray, StructArray, TimestampMicrosecondArray};
use datafusion::arrow::datatypes::{DataType, Field, Fields, TimeUnit, TimestampMicrosecondType};
use datafusion::common::ScalarValue;
use datafusion::common::tree_node::TreeNode;
use datafusion::logical_expr::expr::ScalarFunction;
use datafusion::logical_expr::expr_rewriter::unnormalize_col;
use datafusion::logical_expr::{Aggregate, LogicalPlan, LogicalPlanBuilder};
use datafusion::logical_expr::{
    ColumnarValue, Expr, ExprFunctionExt, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
    WindowFunctionDefinition, expr::WindowFunction, lit, when,
};
use std::sync::Arc;

/// The marker function's name (Spark's, so plans and `show()` headers read as in Spark).
const SESSION_WINDOW: &str = "session_window";
/// The name of the key column a session window groups by.
pub(crate) const COLUMN: &str = "session_window";

fn micros() -> DataType {
    DataType::Timestamp(TimeUnit::Microsecond, None)
}

fn window_type() -> DataType {
    DataType::Struct(Fields::from(vec![Field::new("start", micros(), true), Field::new("end", micros(), true)]))
}

/// `session_window(time, gap)` on one row: the row's own window `[time, time + gap)`.
#[derive(Debug, PartialEq, Eq, Hash)]
struct SessionWindowUdf {
    signature: Signature,
}

impl ScalarUDFImpl for SessionWindowUdf {
    fn name(&self) -> &str {
        SESSION_WINDOW
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _: &[DataType]) -> datafusion::error::Result<DataType> {
        Ok(window_type())
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> datafusion::error::Result<ColumnarValue> {
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let time = datafusion::arrow::compute::cast(&arrays[0], &micros())?;
        let time = time.as_primitive::<TimestampMicrosecondType>();
        let gap = arrays[1].as_primitive::<datafusion::arrow::datatypes::Int64Type>();
        let end: TimestampMicrosecondArray = time.iter().zip(gap.iter()).map(|(t, g)| Some(t? + g?)).collect();
        let DataType::Struct(fields) = window_type() else { unreachable!("a struct type") };
        let nulls = time.nulls().cloned();
        Ok(ColumnarValue::Array(Arc::new(StructArray::try_new(
            fields,
            vec![Arc::new(time.clone()), Arc::new(end)],
            nulls,
        )?)))
    }
}

/// Session windows of `time` with `gap` of inactivity between sessions (Spark's `session_window`): group by it,
/// with other keys, to aggregate per session.
///
/// ```
/// use flint_engine::prelude::*;
///
/// let session = Session::builder().master("local[2]").build()?;
/// let clicks = session.sql(
///     "SELECT * FROM VALUES ('ann', TIMESTAMP '2024-01-01 10:00:00'), ('ann', TIMESTAMP '2024-01-01 10:03:00'), \
///      ('ann', TIMESTAMP '2024-01-01 10:20:00') AS t(user, ts)",
/// )?;
/// let sessions = clicks.group_by([col("user"), session_window(col("ts"), "5 minutes")?]).count()?;
/// // 10:00 and 10:03 are one session, [10:00, 10:08); 10:20 starts another, [10:20, 10:25).
/// assert_eq!(sessions.count()?, 2);
/// # Ok::<(), flint_engine::Error>(())
/// ```
pub fn session_window(time: impl Into<Column>, gap: &str) -> Result<Column> {
    let gap = crate::functions::parse_duration("gapDuration", gap)?;
    Ok(Column::new(marker().call(vec![time.into().expr().clone(), lit(gap)]).alias(COLUMN)))
}

fn marker() -> Arc<ScalarUDF> {
    Arc::new(ScalarUDF::new_from_impl(SessionWindowUdf { signature: Signature::any(2, Volatility::Immutable) }))
}

/// SQL's `session_window(time, '5 minutes')`: the marker, the gap as a literal duration.
pub(crate) fn sql_session_window(args: Vec<Expr>) -> datafusion::error::Result<Expr> {
    let key = match args.as_slice() {
        [time, gap] => SessionKey::of(&marker().call(vec![time.clone(), gap.clone()])),
        _ => None,
    };
    match key {
        Some(key) => Ok(marker().call(vec![key.time, lit(key.gap)])),
        None => Err(datafusion::error::DataFusionError::Plan(format!(
            "session_window takes a time column and a gap duration such as '5 minutes', not ({})",
            args.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
        ))),
    }
}

/// A `session_window(time, gap)` key: its time expression and gap in microseconds.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd)]
pub(crate) struct SessionKey {
    pub(crate) time: Expr,
    pub(crate) gap: i64,
}

impl SessionKey {
    /// The session window a grouping key marks, if it is one.
    pub(crate) fn of(key: &Expr) -> Option<SessionKey> {
        let inner = match key {
            Expr::Alias(a) => a.expr.as_ref(),
            e => e,
        };
        let Expr::ScalarFunction(ScalarFunction { func, args }) = inner else { return None };
        match (func.name(), args.as_slice()) {
            (SESSION_WINDOW, [time, Expr::Literal(ScalarValue::Int64(Some(gap)), _)]) => {
                Some(SessionKey { time: time.clone(), gap: *gap })
            }
            (SESSION_WINDOW, [time, Expr::Literal(ScalarValue::Utf8(Some(gap)), _)]) => {
                let gap = crate::functions::parse_duration("gapDuration", gap).ok()?;
                Some(SessionKey { time: time.clone(), gap })
            }
            _ => None,
        }
    }
}

/// The rows of `df` with a `session_window` column: each row's session among the rows with the same `keys`.
/// Rows without a time are dropped, as in Spark.
pub(crate) fn sessionize(df: &DataFrame, keys: &[Expr], session: &SessionKey) -> Result<DataFrame> {
    const TIME: &str = "__flint_session_time";
    const OPENS: &str = "__flint_session_opens";
    const ID: &str = "__flint_session_id";
    let columns = df.columns();
    let column = |name: &str| Expr::Column(datafusion::common::Column::from_name(name));
    let time_us =
        datafusion::logical_expr::cast(datafusion::logical_expr::cast(session.time.clone(), micros()), DataType::Int64);
    let window = |f: WindowFunctionDefinition, args: Vec<Expr>, partition: Vec<Expr>, ordered: bool| {
        let call = Expr::WindowFunction(Box::new(WindowFunction::new(f, args))).partition_by(partition);
        if ordered { call.order_by(vec![column(TIME).sort(true, true)]).build() } else { call.build() }
    };
    let mut by_id = keys.to_vec();
    by_id.push(column(ID));
    let previous = window(
        WindowFunctionDefinition::WindowUDF(datafusion::functions_window::lead_lag::lag_udwf()),
        vec![column(TIME)],
        keys.to_vec(),
        true,
    )?;
    let opens = when(previous.clone().is_null().or(column(TIME).gt(previous + lit(session.gap))), lit(1_i64))
        .otherwise(lit(0_i64))?;
    let number = window(
        WindowFunctionDefinition::AggregateUDF(datafusion::functions_aggregate::sum::sum_udaf()),
        vec![column(OPENS)],
        keys.to_vec(),
        true,
    )?;
    let bound = |f: Arc<datafusion::logical_expr::AggregateUDF>, plus: i64| -> Result<Expr> {
        let edge = window(WindowFunctionDefinition::AggregateUDF(f), vec![column(TIME)], by_id.clone(), false)?;
        Ok(datafusion::logical_expr::cast(edge + lit(plus), micros()))
    };
    let bounds = datafusion::functions::core::expr_fn::named_struct(vec![
        lit("start"),
        bound(datafusion::functions_aggregate::min_max::min_udaf(), 0)?,
        lit("end"),
        bound(datafusion::functions_aggregate::min_max::max_udaf(), session.gap)?,
    ]);
    let planned = df
        .df
        .cloned()
        .with_column(TIME, time_us)?
        .filter(column(TIME).is_not_null())?
        .with_column(OPENS, opens)?
        .with_column(ID, number)?
        .with_column(COLUMN, bounds)?;
    let mut kept: Vec<Expr> = columns.iter().filter(|c| c.as_str() != COLUMN).map(|c| column(c)).collect();
    kept.push(column(COLUMN));
    Ok(df.derive(planned.select(kept)?))
}

/// Checks a grouping with a session window: one session window, and a literal gap.
pub(crate) fn session_key(keys: &[Column]) -> Result<Option<(usize, SessionKey)>> {
    let mut found = keys.iter().enumerate().filter_map(|(i, k)| SessionKey::of(k.expr()).map(|s| (i, s)));
    let first = found.next();
    if found.next().is_some() {
        return Err(Error::Plan("a grouping may use one session_window, as in Spark".to_string()));
    }
    Ok(first)
}

/// Aggregates sessionized rows (from [`sessionize`]) per session: the grouping `keys` with the session window at
/// `position` (read from the `session_window` column), then `aggs` and `extra` aggregates.
pub(crate) fn aggregate_keys(
    sessionized: &DataFrame,
    keys: &[Expr],
    position: usize,
    aggs: &[Expr],
    extra: &[Expr],
) -> Result<DataFrame> {
    let keys: Vec<Expr> = keys
        .iter()
        .enumerate()
        .map(
            |(i, k)| {
                if i == position { Expr::Column(datafusion::common::Column::from_name(COLUMN)) } else { k.clone() }
            },
        )
        .collect();
    let aggs: Vec<Expr> = aggs.iter().chain(extra).cloned().collect();
    Ok(sessionized.derive(sessionized.df.cloned().aggregate(keys, aggs)?))
}

/// The session window an aggregation groups by, if any: a `session_window(…)` key (the DataFrame API), or a
/// `session_window` column its input defines with one (SQL, whose `session_window(…)` calls read a column
/// computed under the `GROUP BY`). Also whether the key is the call itself.
fn session_group(agg: &Aggregate) -> Option<(usize, SessionKey, bool)> {
    fn defined_in(plan: &LogicalPlan) -> Option<SessionKey> {
        match plan {
            LogicalPlan::SubqueryAlias(a) => defined_in(&a.input),
            LogicalPlan::Projection(p) => p.expr.iter().find_map(|e| match e {
                Expr::Alias(a) if a.name == COLUMN => SessionKey::of(&a.expr),
                _ => None,
            }),
            _ => None,
        }
    }
    agg.group_expr.iter().enumerate().find_map(|(i, e)| match e {
        Expr::Column(c) if c.name == COLUMN => defined_in(&agg.input).map(|k| (i, k, false)),
        e => SessionKey::of(e).map(|k| (i, k, true)),
    })
}

/// Plans every aggregation by a session window in `plan`: on a batch, over the input with each row's session
/// (see [`sessionize`]); on a stream, as the streaming session-window operator.
pub(crate) fn plan_session_aggregates(session: &Session, plan: LogicalPlan) -> Result<LogicalPlan> {
    let found = plan.exists(|node| Ok(matches!(node, LogicalPlan::Aggregate(agg) if session_group(agg).is_some())))?;
    if !found {
        return Ok(plan);
    }
    let inputs =
        plan.inputs().into_iter().map(|i| plan_session_aggregates(session, i.clone())).collect::<Result<Vec<_>>>()?;
    let plan = plan.with_new_exprs(plan.expressions(), inputs)?;
    let LogicalPlan::Aggregate(agg) = &plan else { return Ok(plan) };
    let Some((position, key, is_call)) = session_group(agg) else { return Ok(plan) };
    let key = SessionKey { time: unnormalize_col(key.time), gap: key.gap };
    let mut keys = agg.group_expr.clone();
    if is_call {
        keys[position] = Expr::Column(datafusion::common::Column::from_name(COLUMN));
    }
    if crate::streaming::is_streaming_plan(&agg.input) {
        let aggs = agg.aggr_expr.clone();
        let input = agg.input.as_ref().clone();
        return Ok(crate::streaming::session_window::node(input, keys, position, key, aggs, Arc::clone(&agg.schema)));
    }
    let others: Vec<Expr> = keys.iter().enumerate().filter(|(i, _)| *i != position).map(|(_, k)| k.clone()).collect();
    let state = session.ctx.sql_state()?;
    let input = DataFrame::new(
        session.clone(),
        datafusion::dataframe::DataFrame::new(state.ctx.state(), agg.input.as_ref().clone()),
    );
    let mut sessionized = LogicalPlanBuilder::from(sessionize(&input, &others, &key)?.df.logical_plan().clone());
    // The new `session_window` column must carry the input's name, as the keys read it (`t.session_window`).
    if let LogicalPlan::SubqueryAlias(a) = agg.input.as_ref() {
        sessionized = sessionized.alias(a.alias.clone())?;
    }
    Ok(LogicalPlan::Aggregate(Aggregate::try_new(Arc::new(sessionized.build()?), keys, agg.aggr_expr.clone())?))
}
