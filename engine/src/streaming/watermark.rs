//! Event-time watermarks (Spark's `withWatermark`): the plan carries a marker — a filter that keeps every row —
//! naming the event-time column and the delay. A batch query ignores it, as Spark does; a streaming query
//! tracks the maximum event time under it and moves the watermark to `max − delay` after each batch, so its
//! stateful operators drop late rows and evict state that can no longer change.

use crate::DataFrame;
use crate::error::{Error, Result};
use datafusion::arrow::array::{Array, Int64Array};
use datafusion::arrow::datatypes::{DataType, TimeUnit};
use datafusion::common::{Column, ScalarValue};
use datafusion::logical_expr::{
    ColumnarValue, Expr, LogicalPlan, LogicalPlanBuilder, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature,
    Volatility, lit,
};
use std::sync::Arc;

const MARKER: &str = "__flint_watermark";

/// A watermark definition found in a plan.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Watermark {
    pub(crate) column: Column,
    /// The delay, in microseconds.
    pub(crate) delay: i64,
}

impl Watermark {
    /// The watermark a filter predicate marks, if it is a marker.
    pub(crate) fn of(predicate: &Expr) -> Option<Watermark> {
        let Expr::ScalarFunction(call) = predicate else { return None };
        if call.func.name() != MARKER {
            return None;
        }
        match call.args.as_slice() {
            [Expr::Column(column), Expr::Literal(ScalarValue::Int64(Some(delay)), _)] => {
                Some(Watermark { column: column.clone(), delay: *delay })
            }
            _ => None,
        }
    }
}

/// The marker: true for every row.
#[derive(Debug, PartialEq, Eq, Hash)]
struct Marker {
    signature: Signature,
}

impl ScalarUDFImpl for Marker {
    fn name(&self) -> &str {
        MARKER
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _: &[DataType]) -> datafusion::error::Result<DataType> {
        Ok(DataType::Boolean)
    }

    fn invoke_with_args(&self, _: ScalarFunctionArgs) -> datafusion::error::Result<ColumnarValue> {
        Ok(ColumnarValue::Scalar(ScalarValue::Boolean(Some(true))))
    }
}

impl DataFrame {
    /// Declares `event_time` (a timestamp column) as the event time of a stream, late by at most `delay`
    /// (`"10 minutes"`): stateful operators after it drop rows older than the watermark (the largest event time
    /// seen, less the delay) and forget state it has passed. On a batch DataFrame it changes nothing, as in Spark.
    pub fn with_watermark(&self, event_time: &str, delay: &str) -> Result<DataFrame> {
        let column = self.df.schema().qualified_field_with_unqualified_name(event_time).map_err(|_| {
            Error::param("with_watermark", format!("there is no column `{event_time}`; columns: {:?}", self.columns()))
        })?;
        if !matches!(column.1.data_type(), DataType::Timestamp(_, _)) {
            return Err(Error::param(
                "with_watermark",
                format!("the event-time column `{event_time}` is {}, not a timestamp", column.1.data_type()),
            ));
        }
        let delay = crate::functions::parse_offset("delayThreshold", delay).and_then(|d| {
            if d < 0 {
                Err(Error::param("delayThreshold", format!("`{delay}` is negative; the delay must not be")))
            } else {
                Ok(d)
            }
        })?;
        let marker = ScalarUDF::new_from_impl(Marker { signature: Signature::any(2, Volatility::Immutable) });
        let predicate = Arc::new(marker).call(vec![
            Expr::Column(Column::new(column.0.cloned(), event_time)),
            Expr::Literal(ScalarValue::Int64(Some(delay)), None),
        ]);
        Ok(DataFrame::new(self.session.clone(), self.df.cloned().filter(predicate)?))
    }
}

/// The type event times are compared in.
pub(crate) fn micros() -> DataType {
    DataType::Timestamp(TimeUnit::Microsecond, None)
}

/// Drops the rows of `input` for which `late` holds (rows behind the watermark); returns the plan of the rows
/// kept and the number dropped (Spark's `numRowsDroppedByWatermark`).
pub(crate) fn drop_late(
    session: &crate::session::Session,
    input: LogicalPlan,
    late: Expr,
) -> Result<(LogicalPlan, u64)> {
    let state = session.ctx.sql_state()?;
    let dropped = LogicalPlanBuilder::from(input.clone())
        .filter(late.clone())?
        .aggregate(Vec::<Expr>::new(), vec![datafusion::functions_aggregate::count::count(lit(1))])?
        .build()?;
    let physical = state.block_on(state.ctx.state().create_physical_plan(&dropped))?;
    let counted = state.block_on(datafusion::physical_plan::collect(physical, state.ctx.task_ctx()))?;
    let n = counted
        .first()
        .and_then(|b| b.column(0).as_any().downcast_ref::<Int64Array>().map(|a| a.value(0)))
        .unwrap_or(0);
    Ok((LogicalPlanBuilder::from(input).filter(late.is_not_true())?.build()?, n as u64))
}
