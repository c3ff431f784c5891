//! DataFrames and SQL: Spark SQL's API on Apache Arrow, planned and run by Apache DataFusion.
//!
//! A [`DataFrame`] is a logical plan. Transformations (`select`, `filter`, `group_by(..).agg(..)`, `join`, …)
//! extend the plan and check it against the schema at once, so a typo in a column name fails where it is
//! written; actions (`collect`, `count`, `show`) optimize the plan and run it on DataFusion's vectorized
//! operators over Arrow batches, with as many partitions as the session has task threads. Flint adds Spark's
//! names and defaults, Spark's output formats (`show`, `printSchema`), and the bridges to RDDs.
//!
//! ```
//! use flint_engine::prelude::*;
//!
//! let session = Session::builder().master("local[2]").build()?;
//! let people = session.create_dataframe(vec![("Alice".to_string(), 34), ("Bob".to_string(), 45)], &["name", "age"])?;
//! let older = people.filter(col("age").gt(40))?.select(["name"])?;
//! assert_eq!(older.collect()?[0].get_as::<String>("name")?, "Bob");
//! # Ok::<(), flint_engine::Error>(())
//! ```

mod bridge;
mod catalog;
mod column;
mod dataset;
mod na;
mod persist;
mod plot;
mod progress;
pub(crate) mod reader;
pub(crate) mod row;
mod sample;
pub(crate) mod sessions;
mod setops;
pub(crate) mod show;
mod stat;
mod udaf;
mod udf;
pub mod udt;
mod udtf;
mod window;
mod writer;

pub use catalog::{Catalog, Table, TableColumn};
pub use column::{Column, IntoColumn, SortColumn};
pub use dataset::Dataset;
pub use na::{FillValue, NaFunctions};
pub use plot::{Chart, MAX_ROWS as PLOT_MAX_ROWS, PlotAccessor};
pub use reader::{DataFrameReader, IntoSchema};
pub use row::{FromValue, Row};
pub use stat::DataFrameStatFunctions;
pub use udaf::{Udaf, udaf};
pub use udf::{SqlValue, Udf, UdfArg, UdfFn, UdfResult, arrow_udf, udf};
pub use udtf::{Udtf, UdtfFn, UdtfRow, udtf};
pub use window::{Window, WindowSpec};
pub(crate) use writer::Format;
pub use writer::{DataFrameWriter, SaveMode};

use crate::error::{Error, Result};
use crate::functions::col;
use crate::session::{Session, SqlState};
use crate::storage::StorageLevel;
use datafusion::arrow::array::{Array, Int64Array};
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::common::JoinType;
use datafusion::logical_expr::{Expr, Partitioning};
use std::fmt;
use std::panic::Location;

/// A distributed collection of rows with named columns (Spark's `DataFrame`). Cheap to clone.
#[derive(Clone)]
pub struct DataFrame {
    pub(crate) session: Session,
    pub(crate) df: crate::opaque::Opaque<datafusion::dataframe::DataFrame>,
}

impl fmt::Debug for DataFrame {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let fields: Vec<String> = self
            .schema()
            .fields()
            .iter()
            .map(|fd| format!("{}: {}", fd.name(), show::spark_type_name(fd.data_type())))
            .collect();
        write!(f, "DataFrame[{}]", fields.join(", "))
    }
}

/// A filter condition: a boolean [`Column`] or a SQL expression string (`"age > 21"`).
pub trait IntoCondition {
    #[doc(hidden)]
    fn into_condition(self, df: &DataFrame) -> Result<Expr>;
}

impl IntoCondition for Column {
    fn into_condition(self, _: &DataFrame) -> Result<Expr> {
        Ok(self.expr().clone())
    }
}

impl IntoCondition for &str {
    fn into_condition(self, df: &DataFrame) -> Result<Expr> {
        Ok(df.df.parse_sql_expr(self)?)
    }
}

/// How two DataFrames are joined: on column names present in both (`"id"`, `["a", "b"]`; each appears once in
/// the result, as in Spark) or on a boolean expression.
#[derive(Debug, Clone)]
pub enum JoinOn {
    /// Equal values of these columns, which both sides have.
    Using(Vec<String>),
    /// A condition over both sides' columns.
    Condition(Column),
}

impl From<&str> for JoinOn {
    fn from(name: &str) -> Self {
        JoinOn::Using(vec![name.to_string()])
    }
}

impl<const N: usize> From<[&str; N]> for JoinOn {
    fn from(names: [&str; N]) -> Self {
        JoinOn::Using(names.iter().map(|s| s.to_string()).collect())
    }
}

impl From<Vec<&str>> for JoinOn {
    fn from(names: Vec<&str>) -> Self {
        JoinOn::Using(names.into_iter().map(String::from).collect())
    }
}

impl From<Column> for JoinOn {
    fn from(c: Column) -> Self {
        JoinOn::Condition(c)
    }
}

/// Spark's join type names.
fn join_type(how: &str) -> Result<JoinType> {
    Ok(match how.to_ascii_lowercase().replace('_', "").as_str() {
        "inner" => JoinType::Inner,
        "left" | "leftouter" => JoinType::Left,
        "right" | "rightouter" => JoinType::Right,
        "full" | "outer" | "fullouter" => JoinType::Full,
        "leftsemi" | "semi" => JoinType::LeftSemi,
        "leftanti" | "anti" => JoinType::LeftAnti,
        "cross" => JoinType::Inner,
        _ => {
            return Err(Error::param(
                "how",
                format!(
                    "unsupported join type `{how}`; use one of inner, cross, outer, full, fullouter, full_outer, \
                     left, leftouter, left_outer, right, rightouter, right_outer, semi, leftsemi, left_semi, anti, \
                     leftanti, left_anti"
                ),
            ));
        }
    })
}

/// The physical plan of `input` keeping the `projection` columns: what a table provider over a logical plan scans.
async fn physical_plan(
    state: &dyn datafusion::catalog::Session,
    input: &datafusion::logical_expr::LogicalPlan,
    projection: Option<&Vec<usize>>,
) -> datafusion::error::Result<std::sync::Arc<dyn datafusion::physical_plan::ExecutionPlan>> {
    let mut plan = datafusion::logical_expr::LogicalPlanBuilder::from(input.clone());
    if let Some(p) = projection {
        plan = plan.select(p.iter().copied())?;
    }
    state.create_physical_plan(&plan.build()?).await
}

const LEFT: &str = "__flint_left";
const RIGHT: &str = "__flint_right";

impl DataFrame {
    pub(crate) fn new(session: Session, df: datafusion::dataframe::DataFrame) -> Self {
        DataFrame { session, df: crate::opaque::Opaque::new(df) }
    }

    fn derive(&self, df: datafusion::dataframe::DataFrame) -> DataFrame {
        DataFrame { session: self.session.clone(), df: crate::opaque::Opaque::new(df) }
    }

    fn state(&self) -> Result<&SqlState> {
        self.session.ctx.sql_state()
    }

    /// The session this DataFrame belongs to.
    pub fn session(&self) -> &Session {
        &self.session
    }

    /// The underlying DataFusion DataFrame.
    pub fn inner(&self) -> &datafusion::dataframe::DataFrame {
        &self.df
    }

    /// The schema, as Arrow sees it.
    pub fn schema(&self) -> SchemaRef {
        self.df.schema().inner().clone()
    }

    /// The column names, in order.
    pub fn columns(&self) -> Vec<String> {
        self.df.schema().fields().iter().map(|f| f.name().clone()).collect()
    }

    /// Each column's name and Spark type name (`int`, `string`, `array<double>`, …), Spark's `dtypes`.
    pub fn dtypes(&self) -> Vec<(String, String)> {
        self.schema().fields().iter().map(|f| (f.name().clone(), show::spark_type_name(f.data_type()))).collect()
    }

    /// `printSchema()` as a string: `root` and one `|-- name: type (nullable = …)` line per field.
    pub fn schema_string(&self) -> String {
        show::tree_string(&self.schema())
    }

    /// Prints the schema as a tree (Spark's `printSchema`).
    pub fn print_schema(&self) {
        print!("{}", self.schema_string());
    }

    // ---- transformations ----

    /// Projects columns or expressions: `select(["name", "age"])` or `select([col("age") + 1])`.
    pub fn select<C: Into<Column>>(&self, cols: impl IntoIterator<Item = C>) -> Result<DataFrame> {
        let mut exploded = Vec::new();
        // DataFusion's DataFrame API does not plan `unnest` inside a projection (its SQL planner does): project
        // the array under the result's name, then unnest that column, as Spark's `explode` in a select.
        let exprs: Vec<Expr> = cols
            .into_iter()
            .map(|c| match c.into().expr().clone() {
                Expr::Alias(a) if matches!(*a.expr, Expr::Unnest(_)) => match *a.expr {
                    Expr::Unnest(u) => {
                        exploded.push(a.name.clone());
                        u.expr.alias(a.name)
                    }
                    other => other.alias(a.name),
                },
                e => e,
            })
            .collect();
        let projected = self.df.cloned().select(exprs)?;
        let names: Vec<&str> = exploded.iter().map(String::as_str).collect();
        // Spark's `explode` makes no row for a null or empty array.
        let drop_nulls = datafusion::common::UnnestOptions::new().with_preserve_nulls(false);
        let df =
            if names.is_empty() { projected } else { projected.unnest_columns_with_options(&names, drop_nulls)? };
        Ok(self.derive(df))
    }

    /// Projects SQL expressions: `select_expr(["name", "age * 2 AS double_age"])`.
    pub fn select_expr<'a>(&self, exprs: impl IntoIterator<Item = &'a str>) -> Result<DataFrame> {
        let parsed: Vec<Expr> = exprs.into_iter().map(|e| self.df.parse_sql_expr(e)).collect::<Result<_, _>>()?;
        Ok(self.derive(self.df.cloned().select(parsed)?))
    }

    /// Keeps the rows where `condition` is true: a boolean column or a SQL string.
    pub fn filter(&self, condition: impl IntoCondition) -> Result<DataFrame> {
        let expr = condition.into_condition(self)?;
        Ok(self.derive(self.df.cloned().filter(expr)?))
    }

    /// Spark's `where`, same as [`filter`](DataFrame::filter).
    pub fn where_(&self, condition: impl IntoCondition) -> Result<DataFrame> {
        self.filter(condition)
    }

    /// Adds a column, or replaces the column of that name.
    pub fn with_column(&self, name: &str, value: impl IntoColumn) -> Result<DataFrame> {
        let value = value.into_column();
        if !makes_rows(value.expr()) {
            return Ok(self.derive(self.df.cloned().with_column(name, value.expr().clone())?));
        }
        // A generator (`explode`, a sliding `window`) is planned by `select`: the column in place, or last.
        let value = Column::new(value.expr().clone().unalias().alias(name));
        let columns = self.columns();
        let mut cols: Vec<Column> = columns.iter().map(|c| if c == name { value.clone() } else { col(c) }).collect();
        if !columns.iter().any(|c| c == name) {
            cols.push(value);
        }
        self.select(cols)
    }

    /// Adds or replaces several columns.
    pub fn with_columns<'a, C: IntoColumn>(&self, cols: impl IntoIterator<Item = (&'a str, C)>) -> Result<DataFrame> {
        let mut df = self.df.cloned();
        for (name, value) in cols {
            df = df.with_column(name, value.into_column().expr().clone())?;
        }
        Ok(self.derive(df))
    }

    /// Renames a column; a no-op when there is no such column, as in Spark.
    pub fn with_column_renamed(&self, existing: &str, new: &str) -> Result<DataFrame> {
        Ok(self.derive(self.df.cloned().with_column_renamed(existing, new)?))
    }

    /// Removes columns; names that do not exist are ignored, as in Spark.
    pub fn drop<'a>(&self, cols: impl IntoIterator<Item = &'a str>) -> Result<DataFrame> {
        let present = self.columns();
        let cols: Vec<&str> = cols.into_iter().filter(|c| present.iter().any(|p| p == c)).collect();
        Ok(self.derive(self.df.cloned().drop_columns(&cols)?))
    }

    /// Renames all columns, in order (Spark's `toDF(names)`).
    pub fn to_df<'a>(&self, names: impl IntoIterator<Item = &'a str>) -> Result<DataFrame> {
        let names: Vec<&str> = names.into_iter().collect();
        let current = self.columns();
        if names.len() != current.len() {
            return Err(Error::param(
                "names",
                format!("{} names given for {} columns ({})", names.len(), current.len(), current.join(", ")),
            ));
        }
        let exprs: Vec<Expr> = current
            .iter()
            .zip(names)
            .map(|(old, new)| Expr::Column(datafusion::common::Column::from_name(old.as_str())).alias(new))
            .collect();
        Ok(self.derive(self.df.cloned().select(exprs)?))
    }

    /// Gives the DataFrame a name for qualified column references in joins (`col("a.id")`).
    pub fn alias(&self, name: &str) -> Result<DataFrame> {
        Ok(self.derive(self.df.cloned().alias(name)?))
    }

    /// Groups rows by columns for aggregation: `group_by(["age"])?.agg([avg("friends")])`.
    pub fn group_by<C: Into<Column>>(&self, cols: impl IntoIterator<Item = C>) -> GroupedData {
        GroupedData { df: self.clone(), keys: cols.into_iter().map(Into::into).collect() }
    }

    /// Aggregates over all rows: `df.agg([max("age")])`.
    pub fn agg(&self, aggs: impl IntoIterator<Item = Column>) -> Result<DataFrame> {
        self.group_by(Vec::<Column>::new()).agg(aggs)
    }

    /// Sorts by columns (ascending unless given `.desc()`), Spark's `orderBy`.
    pub fn order_by<S: Into<SortColumn>>(&self, cols: impl IntoIterator<Item = S>) -> Result<DataFrame> {
        let sorts = cols.into_iter().map(|s| s.into().0.cloned()).collect();
        Ok(self.derive(self.df.cloned().sort(sorts)?))
    }

    /// Spark's `sort`, same as [`order_by`](DataFrame::order_by).
    pub fn sort<S: Into<SortColumn>>(&self, cols: impl IntoIterator<Item = S>) -> Result<DataFrame> {
        self.order_by(cols)
    }

    /// The first `n` rows.
    pub fn limit(&self, n: usize) -> Result<DataFrame> {
        Ok(self.derive(self.df.cloned().limit(0, Some(n))?))
    }

    /// Joins with `other` on column names or a condition; `how` is Spark's join type (`"inner"`, `"left"`,
    /// `"right"`, `"full"`, `"left_semi"`, `"left_anti"`, `"cross"`).
    pub fn join(&self, other: &DataFrame, on: impl Into<JoinOn>, how: &str) -> Result<DataFrame> {
        let jt = join_type(how)?;
        match on.into() {
            JoinOn::Condition(c) => {
                Ok(self.derive(self.df.cloned().join_on(other.df.cloned(), jt, [c.expr().clone()])?))
            }
            JoinOn::Using(keys) => self.join_using(other, &keys, jt),
        }
    }

    /// Spark's join on shared column names: each key appears once (taken from the side that has it for outer
    /// joins), then the other columns of the left side, then those of the right side.
    fn join_using(&self, other: &DataFrame, keys: &[String], jt: JoinType) -> Result<DataFrame> {
        for key in keys {
            for (side, df) in [("left", self), ("right", other)] {
                if !df.columns().contains(key) {
                    return Err(Error::Plan(format!(
                        "USING column `{key}` cannot be resolved on the {side} side of the join; its columns are {}",
                        df.columns().join(", ")
                    )));
                }
            }
        }
        let left = self.df.cloned().alias(LEFT)?;
        let right = other.df.cloned().alias(RIGHT)?;
        let on: Vec<Expr> = keys
            .iter()
            .map(|k| col(&format!("{LEFT}.{k}")).expr().clone().eq(col(&format!("{RIGHT}.{k}")).expr().clone()))
            .collect();
        let joined = left.join_on(right, jt, on)?;
        let qualified = |side: &str, name: &str| Expr::Column(datafusion::common::Column::new(Some(side), name));
        let mut projection: Vec<Expr> = keys
            .iter()
            .map(|k| {
                let e = match jt {
                    JoinType::Right => qualified(RIGHT, k),
                    JoinType::Full => {
                        datafusion::functions::expr_fn::coalesce(vec![qualified(LEFT, k), qualified(RIGHT, k)])
                    }
                    _ => qualified(LEFT, k),
                };
                e.alias(k)
            })
            .collect();
        let not_key = |name: &String| !keys.contains(name);
        projection.extend(self.columns().iter().filter(|c| not_key(c)).map(|c| qualified(LEFT, c).alias(c)));
        if !matches!(jt, JoinType::LeftSemi | JoinType::LeftAnti) {
            projection.extend(other.columns().iter().filter(|c| not_key(c)).map(|c| qualified(RIGHT, c).alias(c)));
        }
        Ok(self.derive(joined.select(projection)?))
    }

    /// Every pair of rows (Spark's `crossJoin`).
    pub fn cross_join(&self, other: &DataFrame) -> Result<DataFrame> {
        Ok(self.derive(self.df.cloned().join_on(other.df.cloned(), JoinType::Inner, [])?))
    }

    /// Rows of both, by column position, duplicates kept (Spark's `union`/`unionAll`).
    pub fn union(&self, other: &DataFrame) -> Result<DataFrame> {
        Ok(self.derive(self.df.cloned().union(other.df.cloned())?))
    }

    /// Rows of both, matching columns by name.
    pub fn union_by_name(&self, other: &DataFrame) -> Result<DataFrame> {
        Ok(self.derive(self.df.cloned().union_by_name(other.df.cloned())?))
    }

    /// Distinct rows.
    pub fn distinct(&self) -> Result<DataFrame> {
        Ok(self.derive(self.df.cloned().distinct()?))
    }

    /// Distinct rows considering only `subset` columns (all columns when empty); keeps the first row of each.
    pub fn drop_duplicates<'a>(&self, subset: impl IntoIterator<Item = &'a str>) -> Result<DataFrame> {
        let subset: Vec<&str> = subset.into_iter().collect();
        if subset.is_empty() {
            return self.distinct();
        }
        let on: Vec<Expr> = subset.iter().map(|c| col(c).expr().clone()).collect();
        let all: Vec<Expr> = self.columns().iter().map(|c| col(c).expr().clone()).collect();
        Ok(self.derive(self.df.cloned().distinct_on(on, all, None)?))
    }

    /// Redistributes rows round-robin into `n` partitions.
    pub fn repartition(&self, n: usize) -> Result<DataFrame> {
        Ok(self.derive(self.df.cloned().repartition(Partitioning::RoundRobinBatch(n.max(1)))?))
    }

    /// Reduces the number of partitions to `n` (DataFusion redistributes batches round-robin; Spark merges
    /// partitions without a shuffle — the rows are the same).
    pub fn coalesce(&self, n: usize) -> Result<DataFrame> {
        self.repartition(n)
    }

    /// Redistributes rows by the hash of `cols` into `n` partitions.
    pub fn repartition_by<C: Into<Column>>(&self, n: usize, cols: impl IntoIterator<Item = C>) -> Result<DataFrame> {
        let exprs = cols.into_iter().map(|c| c.into().expr().clone()).collect();
        Ok(self.derive(self.df.cloned().repartition(Partitioning::Hash(exprs, n.max(1)))?))
    }

    /// Persists at `MEMORY_AND_DISK`, Spark's default for DataFrames; see [`persist`](DataFrame::persist).
    pub fn cache(&self) -> Result<DataFrame> {
        self.persist(StorageLevel::MEMORY_AND_DISK)
    }

    /// A DataFrame over the same rows that stores its partitions at `level` when first computed, so later actions
    /// (on it and on DataFrames derived from it) read them instead of recomputing. Lazy, as in Spark: the first
    /// action pays. Unlike Spark, which marks the DataFrame itself, use the returned DataFrame.
    ///
    /// ```
    /// use flint_engine::prelude::*;
    ///
    /// let session = Session::builder().master("local[2]").build()?;
    /// let squares = session.range_df(1000)?.select_expr(["id * id AS sq"])?.persist(StorageLevel::MEMORY_ONLY)?;
    /// assert_eq!(squares.storage_level(), StorageLevel::MEMORY_ONLY);
    /// assert_eq!(squares.count()?, 1000); // computes and stores
    /// assert_eq!(squares.filter("sq < 100")?.count()?, 10); // reads the stored partitions
    /// squares.unpersist();
    /// assert_eq!(squares.storage_level(), StorageLevel::NONE);
    /// # Ok::<(), flint_engine::Error>(())
    /// ```
    pub fn persist(&self, level: StorageLevel) -> Result<DataFrame> {
        if !level.is_valid() {
            return Err(Error::param("level", format!("cannot persist at {}; choose a level that stores", level)));
        }
        let state = self.state()?;
        let table = persist::PersistedTable::new(self.df.logical_plan().clone(), level, &self.session.ctx);
        Ok(self.derive(state.ctx.read_table(std::sync::Arc::new(table))?))
    }

    fn persisted(&self) -> Option<std::sync::Arc<dyn datafusion::catalog::TableProvider>> {
        match self.df.logical_plan() {
            datafusion::logical_expr::LogicalPlan::TableScan(scan) => {
                datafusion::datasource::source_as_provider(&scan.source).ok()
            }
            _ => None,
        }
    }

    /// The level set by [`persist`](DataFrame::persist) (Spark's `storageLevel`); `NONE` if not persisted.
    pub fn storage_level(&self) -> StorageLevel {
        let provider = self.persisted();
        let any: Option<&dyn std::any::Any> = provider.as_deref().map(|p| p as &dyn std::any::Any);
        any.and_then(|p| p.downcast_ref::<persist::PersistedTable>()).map_or(StorageLevel::NONE, |t| t.level())
    }

    /// Drops the stored partitions; later actions compute the rows again. A no-op on a DataFrame not persisted.
    pub fn unpersist(&self) -> DataFrame {
        let provider = self.persisted();
        let any: Option<&dyn std::any::Any> = provider.as_deref().map(|p| p as &dyn std::any::Any);
        if let Some(table) = any.and_then(|p| p.downcast_ref::<persist::PersistedTable>()) {
            table.unpersist();
        }
        self.clone()
    }

    /// A random sample: each row kept with probability `fraction` (without replacement), or repeated a
    /// Poisson(`fraction`) number of times (with replacement), as Spark's `sample(withReplacement, fraction,
    /// seed)`. The same seed and partitioning give the same sample; the size is only about `fraction` of the rows.
    pub fn sample(&self, with_replacement: bool, fraction: f64, seed: u64) -> Result<DataFrame> {
        crate::rdd::sampling::check_fraction(with_replacement, fraction)?;
        let sampler =
            if with_replacement { sample::Sampler::Poisson(fraction) } else { sample::Sampler::Bernoulli(fraction) };
        self.sampled(sampler, seed)
    }

    fn sampled(&self, sampler: sample::Sampler, seed: u64) -> Result<DataFrame> {
        let table = sample::SampledTable { input: self.df.logical_plan().clone(), sampler, seed };
        Ok(self.derive(self.state()?.ctx.read_table(std::sync::Arc::new(table))?))
    }

    /// Splits the rows randomly by `weights` (normalised), e.g. `[0.8, 0.2]` for training and test sets: the
    /// splits are disjoint and together hold every row, for a given seed and partitioning (Spark's
    /// `randomSplit`).
    pub fn random_split(&self, weights: &[f64], seed: u64) -> Result<Vec<DataFrame>> {
        let bounds = crate::rdd::sampling::split_bounds(weights)?;
        bounds.windows(2).map(|w| self.sampled(sample::Sampler::Range(w[0], w[1]), seed)).collect()
    }

    // ---- actions ----

    /// Runs the query as the job of `action`, called at `site`.
    fn run(&self, action: &str, site: &Location<'_>) -> Result<Vec<RecordBatch>> {
        progress::run_query(self.state()?, &self.session.ctx, self.df.cloned(), action, site)
    }

    /// All rows as Arrow record batches.
    #[track_caller]
    pub fn collect_batches(&self) -> Result<Vec<RecordBatch>> {
        self.run("collect", Location::caller())
    }

    /// All rows.
    #[track_caller]
    pub fn collect(&self) -> Result<Vec<Row>> {
        Row::from_batches(&self.run("collect", Location::caller())?)
    }

    /// Number of rows.
    #[track_caller]
    pub fn count(&self) -> Result<u64> {
        // DataFusion's own `count()`: `count(1)` over all rows, which gives one row (0 for no rows).
        let counting = datafusion::functions_aggregate::expr_fn::count(Expr::Literal(
            datafusion::logical_expr::utils::COUNT_STAR_EXPANSION,
            None,
        ));
        let batches =
            self.derive(self.df.cloned().aggregate(vec![], vec![counting])?).run("count", Location::caller())?;
        let counts =
            batches.iter().find(|b| b.num_rows() > 0).and_then(|b| b.column(0).as_any().downcast_ref::<Int64Array>());
        match counts {
            Some(c) if !c.is_null(0) => Ok(c.value(0) as u64),
            _ => Err(Error::Internal("counting rows gave no count".into())),
        }
    }

    /// The first `n` rows (Spark's `take`/`head(n)`).
    #[track_caller]
    pub fn take(&self, n: usize) -> Result<Vec<Row>> {
        self.head(n, "take", Location::caller())
    }

    /// The first row, if any.
    #[track_caller]
    pub fn first(&self) -> Result<Option<Row>> {
        Ok(self.head(1, "first", Location::caller())?.into_iter().next())
    }

    /// Whether there are no rows.
    #[track_caller]
    pub fn is_empty(&self) -> Result<bool> {
        Ok(self.head(1, "is_empty", Location::caller())?.is_empty())
    }

    fn head(&self, n: usize, action: &str, site: &Location<'_>) -> Result<Vec<Row>> {
        Row::from_batches(&self.limit(n)?.run(action, site)?)
    }

    /// The text `show` prints: up to `n` rows, cells cut at `truncate` characters (0 = no cut), vertical
    /// records if asked.
    #[track_caller]
    pub fn show_string(&self, n: usize, truncate: usize, vertical: bool) -> Result<String> {
        self.render(n, truncate, vertical, "show_string", Location::caller())
    }

    fn render(&self, n: usize, truncate: usize, vertical: bool, action: &str, site: &Location<'_>) -> Result<String> {
        let batches = self.limit(n + 1)?.run(action, site)?;
        let total: usize = batches.iter().map(RecordBatch::num_rows).sum();
        let rows = datafusion::arrow::compute::concat_batches(&self.schema(), &batches)?;
        let shown = rows.slice(0, total.min(n));
        Ok(show::show_string(&self.schema(), &[shown], n, truncate, vertical, total > n))
    }

    /// Prints the first 20 rows as Spark's table, cells cut at 20 characters.
    #[track_caller]
    pub fn show(&self) -> Result<()> {
        print!("{}", self.render(20, 20, false, "show", Location::caller())?);
        Ok(())
    }

    /// Prints the first `n` rows; `truncate` cuts cells at 20 characters.
    #[track_caller]
    pub fn show_n(&self, n: usize, truncate: bool) -> Result<()> {
        print!("{}", self.render(n, if truncate { 20 } else { 0 }, false, "show", Location::caller())?);
        Ok(())
    }

    /// The plan as text: the physical plan, or with `extended` the logical plans too (Spark's `explain`).
    pub fn explain_string(&self, extended: bool) -> Result<String> {
        let explained = self.df.cloned().explain(extended, false)?;
        let batches = self.state()?.block_on(explained.collect())?;
        let mut out = String::new();
        for batch in &batches {
            let kinds = batch.column(0);
            let plans = batch.column(1);
            for row in 0..batch.num_rows() {
                // Spark's section titles; without `extended` Spark shows the physical plan only.
                let title = match show::format_value(kinds.as_ref(), row).as_str() {
                    "logical_plan" if extended => "Optimized Logical Plan".to_string(),
                    "physical_plan" => "Physical Plan".to_string(),
                    other if extended => other.replace('_', " "),
                    _ => continue,
                };
                let plan = show::format_value(plans.as_ref(), row);
                out.push_str(&format!("== {title} ==\n{plan}\n\n"));
            }
        }
        Ok(out)
    }

    /// Prints the plan.
    pub fn explain(&self, extended: bool) -> Result<()> {
        print!("{}", self.explain_string(extended)?);
        Ok(())
    }

    /// Registers the DataFrame as a temporary view for SQL, replacing one of the same name.
    pub fn create_or_replace_temp_view(&self, name: &str) -> Result<()> {
        let state = self.state()?;
        state.ctx.deregister_table(name)?;
        state.ctx.register_table(name, self.df.cloned().into_view())?;
        Ok(())
    }
}

/// The notebook form of a DataFrame: the first 20 rows as an HTML table with the schema and the row count, and as
/// `show()`'s text.
impl crate::notebook::NotebookDisplay for DataFrame {
    fn mime_bundle(&self) -> Vec<(&'static str, String)> {
        let rendered = (|| -> Result<(String, String)> {
            let batches = self.limit(21)?.collect_batches()?;
            let rows = datafusion::arrow::compute::concat_batches(&self.schema(), &batches)?;
            let total = self.count()?;
            let shown = rows.slice(0, rows.num_rows().min(20));
            let text = show::show_string(&self.schema(), std::slice::from_ref(&shown), 20, 20, false, total > 20);
            Ok((text, show::html_table(&self.schema(), &shown, total)))
        })();
        match rendered {
            Ok((text, html)) => vec![("text/plain", text), ("text/html", html)],
            Err(e) => vec![("text/plain", format!("DataFrame (cannot show its rows: {e})"))],
        }
    }
}

/// Whether an expression yields several rows per row (`explode`, a sliding `window`): such expressions are
/// planned by [`DataFrame::select`].
fn makes_rows(e: &Expr) -> bool {
    datafusion::common::tree_node::TreeNode::exists(e, |x| Ok(matches!(x, Expr::Unnest(_)))).unwrap_or(false)
}

/// Rows grouped by key columns, waiting for aggregates (Spark's `GroupedData`).
#[derive(Debug, Clone)]
pub struct GroupedData {
    pub(crate) df: DataFrame,
    pub(crate) keys: Vec<Column>,
}

impl GroupedData {
    /// Computes aggregates per group: the key columns, then one column per aggregate.
    pub fn agg(&self, aggs: impl IntoIterator<Item = Column>) -> Result<DataFrame> {
        let aggs: Vec<Expr> = aggs.into_iter().map(|c| c.expr().clone()).collect();
        if sessions::session_key(&self.keys)?.is_some() {
            let keys = self.keys.iter().map(|k| k.expr().clone()).collect();
            let grouped = self.df.df.cloned().aggregate(keys, aggs)?;
            let plan = sessions::plan_session_aggregates(&self.df.session, grouped.logical_plan().clone())?;
            let state = self.df.session.ctx.sql_state()?;
            return Ok(self.df.derive(datafusion::dataframe::DataFrame::new(state.ctx.state(), plan)));
        }
        if !self.keys.iter().any(|k| makes_rows(k.expr())) {
            let keys = self.keys.iter().map(|k| k.expr().clone()).collect();
            return Ok(self.df.derive(self.df.df.cloned().aggregate(keys, aggs)?));
        }
        // A key that yields several rows per row (sliding `window`) cannot be a grouping expression: make the rows
        // first, with the keys as columns, then group by those.
        let names: Vec<String> = self.keys.iter().map(|k| k.expr().schema_name().to_string()).collect();
        let mut columns: Vec<Column> =
            self.df.columns().iter().filter(|c| !names.contains(c)).map(|c| col(c)).collect();
        columns.extend(self.keys.iter().cloned());
        let expanded = self.df.select(columns)?;
        let keys = names.iter().map(|n| col(n).expr().clone()).collect();
        Ok(self.df.derive(expanded.df.cloned().aggregate(keys, aggs)?))
    }

    /// Rows per group, in a column named `count`.
    pub fn count(&self) -> Result<DataFrame> {
        self.agg([crate::functions::count(col("*")).alias("count")])
    }

    fn each<'a>(&self, cols: impl IntoIterator<Item = &'a str>, f: fn(Column) -> Column) -> Result<DataFrame> {
        self.agg(cols.into_iter().map(|c| f(col(c))))
    }

    /// Sum of each named column per group.
    pub fn sum<'a>(&self, cols: impl IntoIterator<Item = &'a str>) -> Result<DataFrame> {
        self.each(cols, crate::functions::sum)
    }

    /// Mean of each named column per group.
    pub fn avg<'a>(&self, cols: impl IntoIterator<Item = &'a str>) -> Result<DataFrame> {
        self.each(cols, crate::functions::avg)
    }

    /// Spark's `mean`, same as [`avg`](GroupedData::avg).
    pub fn mean<'a>(&self, cols: impl IntoIterator<Item = &'a str>) -> Result<DataFrame> {
        self.avg(cols)
    }

    /// Minimum of each named column per group.
    pub fn min<'a>(&self, cols: impl IntoIterator<Item = &'a str>) -> Result<DataFrame> {
        self.each(cols, crate::functions::min)
    }

    /// Maximum of each named column per group.
    pub fn max<'a>(&self, cols: impl IntoIterator<Item = &'a str>) -> Result<DataFrame> {
        self.each(cols, crate::functions::max)
    }
}

impl Session {
    /// Reads files into DataFrames: `session.read().option("header", "true").csv(path)`.
    pub fn read(&self) -> DataFrameReader {
        DataFrameReader::new(self.clone())
    }

    /// Runs a SQL query over the temporary views (Spark's `spark.sql`). The query of a `CREATE TABLE … AS SELECT`,
    /// which Spark runs at once, runs here as the job `sql at` the caller's line.
    #[track_caller]
    pub fn sql(&self, query: &str) -> Result<DataFrame> {
        let site = Location::caller();
        let state = self.ctx.sql_state()?;
        let session = state.ctx.state();
        let mut statement =
            crate::sql::parse_statement(query, session.config().options().sql_parser.recursion_limit.get())?;
        crate::sql::rewrite_statement(&mut statement)?;
        if let Some(view) = crate::sql::temp_view(&statement) {
            return self.create_temp_view(view);
        }
        let keys_first = crate::sql::using_keys_first(&statement);
        // INTERSECT ALL / EXCEPT ALL with Spark's copy counting: each operand pair is computed by the DataFrame
        // set operations and scanned under a private name, dropped once the statement is planned (the plan holds
        // the table itself).
        let mut private = Vec::new();
        crate::sql::replace_multiset_operations(&mut statement, &mut |kind, left, right| {
            let plan = |query: datafusion::sql::sqlparser::ast::Query| -> Result<DataFrame> {
                let statement = datafusion::sql::parser::Statement::Statement(Box::new(
                    datafusion::sql::sqlparser::ast::Statement::Query(Box::new(query)),
                ));
                let plan = state.block_on(session.statement_to_plan(statement))?;
                Ok(DataFrame::new(self.clone(), datafusion::dataframe::DataFrame::new(session.clone(), plan)))
            };
            let (left, right) = (plan(left)?, plan(right)?);
            let result = match kind {
                crate::sql::Multiset::IntersectAll => left.intersect_all(&right)?,
                crate::sql::Multiset::ExceptAll => left.except_all(&right)?,
            };
            let name = format!("__flint_set_operation_{}", self.ctx.next_id(&self.ctx.ids.rdd));
            result.create_or_replace_temp_view(&name)?;
            private.push(name.clone());
            Ok(name)
        })?;
        let planned = state
            .block_on(session.statement_to_plan(statement))
            .map_err(Error::from)
            .and_then(|plan| sessions::plan_session_aggregates(self, plan))
            .and_then(|plan| self.run_create_table_query(state, plan, site))
            .and_then(|plan| Ok(state.block_on(state.ctx.execute_logical_plan(plan))?));
        for name in private {
            state.ctx.deregister_table(name.as_str())?;
        }
        let df = DataFrame::new(self.clone(), planned?);
        match keys_first {
            Some(keys) => {
                let columns = df.columns();
                let rest = columns.iter().filter(|c| !keys.contains(c));
                df.select(keys.iter().chain(rest).map(|c| col(c)).collect::<Vec<_>>())
            }
            None => Ok(df),
        }
    }

    /// For `CREATE TABLE … AS SELECT`, runs the query as a job (DataFusion would run it inside its own
    /// planning, where no job, stage or cancellation reaches it) and returns the statement over its result;
    /// other plans are returned as they are.
    fn run_create_table_query(
        &self,
        state: &SqlState,
        plan: datafusion::logical_expr::LogicalPlan,
        site: &Location<'_>,
    ) -> Result<datafusion::logical_expr::LogicalPlan> {
        use datafusion::logical_expr::{DdlStatement, LogicalPlan};
        let LogicalPlan::Ddl(DdlStatement::CreateMemoryTable(mut create)) = plan else {
            return Ok(plan);
        };
        let names: std::collections::HashSet<&String> =
            create.input.schema().fields().iter().map(|f| f.name()).collect();
        // DataFusion refuses these before it runs anything, and a plain `CREATE TABLE t (a INT)` (an empty
        // relation) has no query to run; an existing table is left alone under IF NOT EXISTS and refused without
        // OR REPLACE. In every such case the query does not run, as in Spark.
        let nothing_to_run = matches!(*create.input, LogicalPlan::EmptyRelation(_))
            || create.temporary
            || (create.if_not_exists && create.or_replace)
            || names.len() < create.input.schema().fields().len()
            || (!create.or_replace && state.ctx.table_exist(create.name.clone())?);
        if nothing_to_run {
            return Ok(LogicalPlan::Ddl(DdlStatement::CreateMemoryTable(create)));
        }
        let input = state.ctx.state().optimize(&create.input)?;
        let schema = std::sync::Arc::clone(input.schema().inner());
        let input = datafusion::dataframe::DataFrame::new(state.ctx.state(), input);
        let batches = progress::run_query(state, &self.ctx, input, "sql", site)?;
        create.input = std::sync::Arc::new(self.memory_dataframe(schema, batches)?.df.logical_plan().clone());
        Ok(LogicalPlan::Ddl(DdlStatement::CreateMemoryTable(create)))
    }

    /// Runs Spark's `CREATE [OR REPLACE] TEMP VIEW`: the view is the query's DataFrame, as
    /// [`create_or_replace_temp_view`](DataFrame::create_or_replace_temp_view) makes it; the result has no rows
    /// and no columns, as in Spark.
    fn create_temp_view(&self, view: crate::sql::TempView) -> Result<DataFrame> {
        let state = self.ctx.sql_state()?;
        let exists = state.ctx.table_exist(view.name.as_str())?;
        if exists && !view.or_replace {
            if view.if_not_exists {
                return self.no_rows();
            }
            return Err(Error::Plan(format!(
                "[TEMP_TABLE_OR_VIEW_ALREADY_EXISTS] Cannot create the temporary view `{}` because it already exists; \
                 use CREATE OR REPLACE TEMP VIEW to replace it",
                view.name
            )));
        }
        let session = state.ctx.state();
        let plan = state.block_on(session.statement_to_plan(view.query))?;
        let mut df = DataFrame::new(self.clone(), state.block_on(state.ctx.execute_logical_plan(plan))?);
        if !view.columns.is_empty() {
            df = df.to_df(view.columns.iter().map(String::as_str))?;
        }
        df.create_or_replace_temp_view(&view.name)?;
        self.no_rows()
    }

    /// A DataFrame of no columns and no rows (what Spark's DDL statements return).
    fn no_rows(&self) -> Result<DataFrame> {
        let plan = datafusion::logical_expr::LogicalPlanBuilder::empty(false).build()?;
        Ok(DataFrame::new(self.clone(), datafusion::dataframe::DataFrame::new(self.ctx.sql_state()?.ctx.state(), plan)))
    }

    /// A temporary view as a DataFrame.
    pub fn table(&self, name: &str) -> Result<DataFrame> {
        let state = self.ctx.sql_state()?;
        let df = state.block_on(state.ctx.table(name))?;
        Ok(DataFrame::new(self.clone(), df))
    }

    /// A DataFrame of Arrow record batches (all with the same schema).
    pub fn create_dataframe_from_batches(&self, batches: Vec<RecordBatch>) -> Result<DataFrame> {
        let schema = match batches.first() {
            Some(b) => b.schema(),
            None => return Err(Error::param("batches", "needs at least one batch to know the schema")),
        };
        self.memory_dataframe(schema, batches)
    }

    /// A DataFrame over `batches` of `schema`, held in memory (there may be no batch).
    fn memory_dataframe(&self, schema: SchemaRef, batches: Vec<RecordBatch>) -> Result<DataFrame> {
        let state = self.ctx.sql_state()?;
        let table = datafusion::datasource::MemTable::try_new(schema, vec![batches])?;
        Ok(DataFrame::new(self.clone(), state.ctx.read_table(std::sync::Arc::new(table))?))
    }

    /// A DataFrame from Rust values that serialize as records or tuples: structs give their field names, tuples
    /// take `names` (`create_dataframe(vec![("Alice".to_string(), 34)], &["name", "age"])`); for structs pass
    /// `&[]` to keep the field names.
    pub fn create_dataframe<T: serde::Serialize>(&self, rows: Vec<T>, names: &[&str]) -> Result<DataFrame> {
        let batch = row::batch_from_serialize(&rows, names)?;
        self.create_dataframe_from_batches(vec![batch])
    }

    /// The integers `0..end` in a column named `id` (Spark's `spark.range(end)`; `Session::range` is the
    /// RDD version, Spark's `sc.range`).
    pub fn range_df(&self, end: i64) -> Result<DataFrame> {
        self.sql(&format!("SELECT value AS id FROM range({end})"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn join_types_accept_spark_names() {
        assert_eq!(join_type("left_outer").expect("left"), JoinType::Left);
        assert_eq!(join_type("LEFTANTI").expect("anti"), JoinType::LeftAnti);
        assert!(join_type("sideways").expect_err("bad").to_string().contains("left_semi"));
    }
}
