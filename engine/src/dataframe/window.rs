//! Window specifications for window functions (Spark's `Window` and `WindowSpec`).

use super::{Column, SortColumn};
use crate::error::{Error, Result};
use datafusion::logical_expr::expr::{WindowFunction, WindowFunctionDefinition};
use datafusion::logical_expr::{Expr, ExprFunctionExt};

/// Entry point of window specifications: `Window::partition_by(["dept"]).order_by([col("salary").desc()])`.
#[derive(Debug, Clone, Copy)]
pub struct Window;

/// Which rows a window function sees: a partition and an order.
#[derive(Debug, Clone, Default)]
pub struct WindowSpec {
    partition: Vec<Column>,
    order: Vec<SortColumn>,
}

impl Window {
    /// Rows with equal values of `cols` form one window partition.
    pub fn partition_by<C: Into<Column>>(cols: impl IntoIterator<Item = C>) -> WindowSpec {
        WindowSpec::default().partition_by(cols)
    }

    /// One window over all rows, in this order.
    pub fn order_by<C: Into<SortColumn>>(cols: impl IntoIterator<Item = C>) -> WindowSpec {
        WindowSpec::default().order_by(cols)
    }
}

impl WindowSpec {
    /// Sets the partitioning columns.
    pub fn partition_by<C: Into<Column>>(mut self, cols: impl IntoIterator<Item = C>) -> Self {
        self.partition = cols.into_iter().map(Into::into).collect();
        self
    }

    /// Sets the ordering within each partition.
    pub fn order_by<C: Into<SortColumn>>(mut self, cols: impl IntoIterator<Item = C>) -> Self {
        self.order = cols.into_iter().map(Into::into).collect();
        self
    }

    /// `f OVER (this window)`, keeping `f`'s name as the result's name.
    pub(crate) fn apply(&self, f: Column) -> Result<Column> {
        let (inner, name) = match f.expr().clone() {
            Expr::Alias(a) => (*a.expr, Some(a.name)),
            e => (e, None),
        };
        let inner = match inner {
            // An aggregate over a window (`sum(x).over(w)`) becomes a window function of the same aggregate.
            Expr::AggregateFunction(af) => Expr::WindowFunction(Box::new(WindowFunction::new(
                WindowFunctionDefinition::AggregateUDF(af.func),
                af.params.args,
            ))),
            Expr::WindowFunction(w) => Expr::WindowFunction(w),
            other => {
                return Err(Error::Plan(format!(
                    "`{other}` is not a window or aggregate function, so it cannot be used with over()"
                )));
            }
        };
        let built = inner
            .partition_by(self.partition.iter().map(|c| c.expr().clone()).collect())
            .order_by(self.order.iter().map(|s| s.0.cloned()).collect())
            .build()?;
        Ok(Column::new(match name {
            Some(n) => built.alias(n),
            None => built,
        }))
    }
}
