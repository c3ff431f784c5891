//! Set operations with Spark's multiset semantics: `intersect` and `subtract` (distinct rows), `intersect_all` and
//! `except_all` (a row that is `m` times on the left and `n` times on the right is kept `min(m, n)` times, or
//! `max(m − n, 0)` times). Columns match by position, as in Spark, and nulls equal nulls.
//!
//! DataFusion plans `INTERSECT ALL` and `EXCEPT ALL` as a semi or anti join, which keeps (or drops) *every* left
//! copy of a row that has a match. Here each copy is numbered within its row value first (`row_number()` over a
//! partition by every column), so the join pairs the k-th left copy with the k-th right copy.

use super::DataFrame;
use crate::error::{Error, Result};
use datafusion::common::{Column as DfColumn, JoinType, NullEquality};
use datafusion::functions_window::expr_fn::row_number;
use datafusion::logical_expr::{Expr, ExprFunctionExt, LogicalPlanBuilder};

/// The column numbering the copies of a row value.
const COPY: &str = "__flint_copy";

impl DataFrame {
    /// The right side's columns renamed to the left's (Spark matches set operands by position).
    fn positional(&self, other: &DataFrame) -> Result<DataFrame> {
        let (mine, theirs) = (self.columns(), other.columns());
        if mine.len() != theirs.len() {
            return Err(Error::Plan(format!(
                "[NUM_COLUMNS_MISMATCH] set operations need the same number of columns: {} on the left ({}), {} on \
                 the right ({})",
                mine.len(),
                mine.join(", "),
                theirs.len(),
                theirs.join(", ")
            )));
        }
        other.to_df(mine.iter().map(String::as_str))
    }

    /// Rows of `self` kept or dropped by whether a matching row is in `other`: a semi or anti join on every column
    /// (and on the copy number when `all`), nulls equal.
    fn set_join(&self, other: &DataFrame, keep: JoinType, all: bool) -> Result<DataFrame> {
        let other = self.positional(other)?;
        let columns = self.columns();
        let numbered = |df: &DataFrame| -> Result<datafusion::logical_expr::LogicalPlan> {
            let builder = LogicalPlanBuilder::from(df.df.logical_plan().clone());
            if !all {
                return Ok(builder.build()?);
            }
            let partition: Vec<Expr> = columns.iter().map(|c| Expr::Column(DfColumn::from_name(c))).collect();
            Ok(builder.window(vec![row_number().partition_by(partition).build()?.alias(COPY)])?.build()?)
        };
        let mut keys: Vec<String> = columns.clone();
        if all {
            keys.push(COPY.to_string());
        }
        let left = LogicalPlanBuilder::from(numbered(self)?).alias("__flint_left")?;
        let right = LogicalPlanBuilder::from(numbered(&other)?).alias("__flint_right")?.build()?;
        let left_keys: Vec<DfColumn> = keys.iter().map(|k| DfColumn::new(Some("__flint_left"), k)).collect();
        let right_keys: Vec<DfColumn> = keys.iter().map(|k| DfColumn::new(Some("__flint_right"), k)).collect();
        let joined = left.join_detailed(right, keep, (left_keys, right_keys), None, NullEquality::NullEqualsNull)?;
        let project: Vec<Expr> =
            columns.iter().map(|c| Expr::Column(DfColumn::new(Some("__flint_left"), c)).alias(c)).collect();
        let mut plan = joined.project(project)?;
        if !all {
            plan = plan.distinct()?;
        }
        let state = self.state()?.ctx.state();
        Ok(self.derive(datafusion::dataframe::DataFrame::new(state, plan.build()?)))
    }

    /// The distinct rows in both (Spark's `intersect`, SQL `INTERSECT`).
    pub fn intersect(&self, other: &DataFrame) -> Result<DataFrame> {
        self.set_join(other, JoinType::LeftSemi, false)
    }

    /// The rows in both, each as many times as it is in both (Spark's `intersectAll`, SQL `INTERSECT ALL`).
    ///
    /// ```
    /// use flint_engine::prelude::*;
    ///
    /// let session = Session::builder().master("local[2]").build()?;
    /// let evening = session.create_dataframe(vec![("tea".to_string(),), ("water".to_string(),), ("water".to_string(),)], &["drink"])?;
    /// let morning = session.create_dataframe(vec![("water".to_string(),), ("coffee".to_string(),)], &["drink"])?;
    /// assert_eq!(evening.intersect_all(&morning)?.count()?, 1); // water once: min(2, 1)
    /// assert_eq!(evening.except_all(&morning)?.count()?, 2); // tea, and water once: 2 - 1
    /// # Ok::<(), flint_engine::Error>(())
    /// ```
    pub fn intersect_all(&self, other: &DataFrame) -> Result<DataFrame> {
        self.set_join(other, JoinType::LeftSemi, true)
    }

    /// The distinct rows of `self` not in `other` (Spark's `subtract`, SQL `EXCEPT`).
    pub fn subtract(&self, other: &DataFrame) -> Result<DataFrame> {
        self.set_join(other, JoinType::LeftAnti, false)
    }

    /// The rows of `self` not in `other`, each copy in `other` removing one copy (Spark's `exceptAll`, SQL
    /// `EXCEPT ALL`).
    pub fn except_all(&self, other: &DataFrame) -> Result<DataFrame> {
        self.set_join(other, JoinType::LeftAnti, true)
    }
}
