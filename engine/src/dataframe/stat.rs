//! `describe` and `summary`: Spark's statistics of the numeric and string columns, as a DataFrame of strings.
//!
//! As in Spark, `mean` and `stddev` (sample) of a string column are those of its values read as doubles (null
//! when none is a number); percentiles are computed for numeric columns only, and are values of the column: the
//! smallest value with at least `p·n` values at or below it, which is what Spark's `percentile_approx` returns
//! with its default accuracy on data of fewer than 10 000 rows (Flint computes it exactly at every size).

use super::DataFrame;
use super::show::format_value;
use crate::error::{Error, Result};
use datafusion::arrow::array::{Array, ArrayRef, StringArray};
use datafusion::arrow::compute::concat;
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::functions_aggregate::expr_fn as agg;
use datafusion::logical_expr::{Expr, cast, col, try_cast};
use std::panic::Location;
use std::sync::Arc;

/// One requested statistic.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Statistic {
    Count,
    Mean,
    Stddev,
    Min,
    Max,
    CountDistinct,
    ApproxCountDistinct,
    /// A fraction in [0, 1].
    Percentile(f64),
}

impl Statistic {
    fn parse(name: &str) -> Result<Statistic> {
        Ok(match name {
            "count" => Statistic::Count,
            "mean" => Statistic::Mean,
            "stddev" => Statistic::Stddev,
            "min" => Statistic::Min,
            "max" => Statistic::Max,
            "count_distinct" => Statistic::CountDistinct,
            "approx_count_distinct" => Statistic::ApproxCountDistinct,
            _ => match name.strip_suffix('%').and_then(|p| p.trim().parse::<f64>().ok()) {
                Some(p) if (0.0..=100.0).contains(&p) => Statistic::Percentile(p / 100.0),
                _ => {
                    return Err(Error::param(
                        "statistics",
                        format!(
                            "`{name}` is not a recognised statistic; use count, mean, stddev, min, max, \
                             count_distinct, approx_count_distinct or a percentile such as 25%"
                        ),
                    ));
                }
            },
        })
    }

    /// The aggregate computing it over `c` (percentiles are computed apart), `None` for a null result.
    fn aggregate(self, c: Expr, numeric: bool) -> Option<Expr> {
        let as_double =
            || if numeric { cast(c.clone(), DataType::Float64) } else { try_cast(c.clone(), DataType::Float64) };
        match self {
            Statistic::Count => Some(agg::count(c)),
            Statistic::Mean => Some(agg::avg(as_double())),
            Statistic::Stddev => Some(crate::moments::stddev_samp(as_double())),
            Statistic::Min => Some(agg::min(c)),
            Statistic::Max => Some(agg::max(c)),
            Statistic::CountDistinct => Some(agg::count_distinct(c)),
            Statistic::ApproxCountDistinct => Some(agg::approx_distinct(c)),
            Statistic::Percentile(_) => None,
        }
    }
}

fn is_numeric(t: &DataType) -> bool {
    t.is_numeric()
}

fn is_string(t: &DataType) -> bool {
    matches!(t, DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View)
}

/// The value of rank `ceil(p·n)` (1-based, at least 1) of sorted non-null values.
fn percentile_index(p: f64, n: usize) -> usize {
    ((p * n as f64).ceil() as usize).clamp(1, n) - 1
}

impl DataFrame {
    /// Count, mean, sample standard deviation, min and max of every numeric and string column (Spark's
    /// `describe()`), as strings in a DataFrame whose first column, `summary`, names the statistic.
    ///
    /// ```
    /// use flint_engine::prelude::*;
    ///
    /// let session = Session::builder().master("local[2]").build()?;
    /// let df = session.create_dataframe(vec![(1, "a".to_string()), (2, "b".to_string()), (6, "c".to_string())], &["n", "s"])?;
    /// let rows = df.describe()?.collect()?;
    /// assert_eq!(rows[1].get_as::<String>("n")?, "3.0"); // the mean
    /// assert_eq!(rows[4].get_as::<String>("s")?, "c"); // the max
    /// # Ok::<(), flint_engine::Error>(())
    /// ```
    #[track_caller]
    pub fn describe(&self) -> Result<DataFrame> {
        self.summarize(["count", "mean", "stddev", "min", "max"], "describe", Location::caller())
    }

    /// The given statistics of every numeric and string column (Spark's `summary`): `count`, `mean`, `stddev`,
    /// `min`, `max`, `count_distinct`, `approx_count_distinct` and percentiles such as `"25%"`; none given
    /// means Spark's default `count, mean, stddev, min, 25%, 50%, 75%, max`.
    #[track_caller]
    pub fn summary<'a>(&self, statistics: impl IntoIterator<Item = &'a str>) -> Result<DataFrame> {
        self.summarize(statistics, "summary", Location::caller())
    }

    /// The statistics, computed by jobs of `action` called at `site`.
    fn summarize<'a>(
        &self,
        statistics: impl IntoIterator<Item = &'a str>,
        action: &str,
        site: &Location<'_>,
    ) -> Result<DataFrame> {
        let mut stats: Vec<(String, Statistic)> = Vec::new();
        for name in statistics {
            stats.push((name.to_string(), Statistic::parse(name)?));
        }
        if stats.is_empty() {
            for name in ["count", "mean", "stddev", "min", "25%", "50%", "75%", "max"] {
                stats.push((name.to_string(), Statistic::parse(name)?));
            }
        }
        let schema = self.schema();
        let columns: Vec<(String, bool)> = schema
            .fields()
            .iter()
            .filter(|f| is_numeric(f.data_type()) || is_string(f.data_type()))
            .map(|f| (f.name().clone(), is_numeric(f.data_type())))
            .collect();

        // One aggregation for every statistic but the percentiles; `cells[s][c]` is the result or null.
        let mut aggregates = Vec::new();
        let mut slots: Vec<Vec<Option<usize>>> = vec![vec![None; columns.len()]; stats.len()];
        for (s, (_, stat)) in stats.iter().enumerate() {
            for (c, (name, numeric)) in columns.iter().enumerate() {
                if let Some(e) = stat.aggregate(col(format!("\"{name}\"")), *numeric) {
                    slots[s][c] = Some(aggregates.len());
                    aggregates.push(e.alias(format!("__flint_stat_{}", aggregates.len())));
                }
            }
        }
        let results: Vec<ArrayRef> = if aggregates.is_empty() {
            Vec::new()
        } else {
            let batches = self.derive(self.df.cloned().aggregate(vec![], aggregates)?).run(action, site)?;
            let batch = batches.first().ok_or_else(|| Error::Internal("an aggregation returned no row".into()))?;
            batch.columns().to_vec()
        };

        let mut cells: Vec<Vec<Option<String>>> = vec![vec![None; columns.len()]; stats.len()];
        for (s, row) in slots.iter().enumerate() {
            for (c, slot) in row.iter().enumerate() {
                if let Some(i) = slot {
                    let array = &results[*i];
                    cells[s][c] = (!array.is_null(0)).then(|| format_value(array.as_ref(), 0));
                }
            }
        }
        if stats.iter().any(|(_, s)| matches!(s, Statistic::Percentile(_))) {
            for (c, (name, numeric)) in columns.iter().enumerate() {
                if !numeric {
                    continue;
                }
                let sorted = self.sorted_values(name, action, site)?;
                for (s, (_, stat)) in stats.iter().enumerate() {
                    if let (Statistic::Percentile(p), false) = (stat, sorted.is_empty()) {
                        cells[s][c] = Some(format_value(sorted.as_ref(), percentile_index(*p, sorted.len())));
                    }
                }
            }
        }

        let mut fields = vec![Field::new("summary", DataType::Utf8, true)];
        fields.extend(columns.iter().map(|(name, _)| Field::new(name, DataType::Utf8, true)));
        let mut arrays: Vec<ArrayRef> = vec![Arc::new(StringArray::from_iter_values(stats.iter().map(|(n, _)| n)))];
        for c in 0..columns.len() {
            arrays.push(Arc::new(cells.iter().map(|row| row[c].clone()).collect::<StringArray>()));
        }
        let batch = RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays)?;
        self.session.create_dataframe_from_batches(vec![batch])
    }

    /// The non-null values of a column, sorted ascending, as one array.
    fn sorted_values(&self, name: &str, action: &str, site: &Location<'_>) -> Result<ArrayRef> {
        let c = col(format!("\"{name}\""));
        let df = self
            .df
            .cloned()
            .select(vec![c.clone()])?
            .filter(c.clone().is_not_null())?
            .sort(vec![c.sort(true, true)])?;
        let batches = self.derive(df).run(action, site)?;
        let arrays: Vec<&dyn Array> = batches.iter().map(|b| b.column(0).as_ref()).collect();
        if arrays.is_empty() {
            return Ok(datafusion::arrow::array::new_empty_array(&DataType::Null));
        }
        Ok(concat(&arrays)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentile_ranks_are_spark_ones() {
        // Ranks ceil(p·n) of 1..=10: 25% → 3, 50% → 5, 75% → 8; the 0th percentile is the minimum.
        assert_eq!(percentile_index(0.25, 10), 2);
        assert_eq!(percentile_index(0.5, 10), 4);
        assert_eq!(percentile_index(0.75, 10), 7);
        assert_eq!(percentile_index(0.0, 10), 0);
        assert_eq!(percentile_index(1.0, 10), 9);
    }

    #[test]
    fn statistics_parse_and_reject() {
        assert_eq!(Statistic::parse("12.5%").ok(), Some(Statistic::Percentile(0.125)));
        assert!(Statistic::parse("median").is_err());
        assert!(Statistic::parse("120%").is_err());
    }
}

/// Statistics of pairs of columns (Spark's `DataFrameStatFunctions`), from [`DataFrame::stat`].
#[derive(Debug, Clone)]
pub struct DataFrameStatFunctions {
    df: DataFrame,
}

impl DataFrame {
    /// Statistics of pairs of columns: `df.stat().corr("a", "b")`, `df.stat().cov("a", "b")`.
    pub fn stat(&self) -> DataFrameStatFunctions {
        DataFrameStatFunctions { df: self.clone() }
    }
}

impl DataFrameStatFunctions {
    /// A numeric column by name, as a double (an error naming the column otherwise).
    fn numeric(&self, name: &str) -> Result<Expr> {
        let field = self.df.df.schema().field_with_unqualified_name(name).map_err(|_| {
            Error::param("col", format!("there is no column `{name}`; columns: {:?}", self.df.columns()))
        })?;
        if !field.data_type().is_numeric() {
            return Err(Error::param(
                "col",
                format!("column `{name}` is {}, but correlation and covariance need numbers", field.data_type()),
            ));
        }
        Ok(cast(col(datafusion::common::Column::from_name(name)), DataType::Float64))
    }

    /// One aggregate of two columns over the rows where both are set, as Spark computes them, by a job of
    /// `action` called at `site`.
    fn pair(
        &self,
        col1: &str,
        col2: &str,
        f: fn(Expr, Expr) -> Expr,
        action: &str,
        site: &Location<'_>,
    ) -> Result<f64> {
        let (a, b) = (self.numeric(col1)?, self.numeric(col2)?);
        let both = a.clone().is_not_null().and(b.clone().is_not_null());
        let df = self.df.df.cloned().filter(both)?.aggregate(vec![], vec![f(a, b).alias("v")])?;
        let rows = self.df.derive(df).run(action, site)?;
        let value = rows
            .iter()
            .find(|b| b.num_rows() > 0)
            .and_then(|b| b.column(0).as_any().downcast_ref::<datafusion::arrow::array::Float64Array>().cloned())
            .filter(|a| !a.is_null(0))
            .map_or(f64::NAN, |a| a.value(0));
        Ok(value)
    }

    /// The Pearson correlation of two numeric columns (Spark's `stat.corr`; NaN with fewer than two rows or a
    /// constant column).
    #[track_caller]
    pub fn corr(&self, col1: &str, col2: &str) -> Result<f64> {
        self.corr_with(col1, col2, "pearson")
    }

    /// [`corr`](Self::corr) naming the method: only `pearson`, as in Spark (Spearman is MLlib's
    /// `Statistics::corr`).
    #[track_caller]
    pub fn corr_with(&self, col1: &str, col2: &str, method: &str) -> Result<f64> {
        if !method.eq_ignore_ascii_case("pearson") {
            return Err(Error::param(
                "method",
                format!(
                    "Currently only the calculation of the Pearson Correlation coefficient is supported, not `{method}`"
                ),
            ));
        }
        self.pair(col1, col2, agg::corr, "corr", Location::caller())
    }

    /// The sample covariance of two numeric columns (Spark's `stat.cov`).
    #[track_caller]
    pub fn cov(&self, col1: &str, col2: &str) -> Result<f64> {
        self.pair(col1, col2, agg::covar_samp, "cov", Location::caller())
    }
}
