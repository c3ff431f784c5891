//! Missing values: `df.na().fill(..)` and `df.na().drop(..)` (Spark's `DataFrameNaFunctions`).

use super::DataFrame;
use crate::error::{Error, Result};
use crate::functions::col;
use datafusion::arrow::datatypes::DataType;
use datafusion::logical_expr::Expr;
use datafusion::scalar::ScalarValue;

/// A replacement for nulls; as in Spark, a number fills numeric columns, a string string columns, a boolean
/// boolean columns, and other columns are left alone.
#[derive(Debug, Clone, PartialEq)]
pub enum FillValue {
    /// An integer (cast to each numeric column's type).
    Int(i64),
    /// A floating-point number (cast to each numeric column's type).
    Float(f64),
    /// A string.
    Str(String),
    /// A boolean.
    Bool(bool),
}

impl From<i64> for FillValue {
    fn from(v: i64) -> Self {
        FillValue::Int(v)
    }
}
impl From<i32> for FillValue {
    fn from(v: i32) -> Self {
        FillValue::Int(v.into())
    }
}
impl From<f64> for FillValue {
    fn from(v: f64) -> Self {
        FillValue::Float(v)
    }
}
impl From<&str> for FillValue {
    fn from(v: &str) -> Self {
        FillValue::Str(v.to_string())
    }
}
impl From<bool> for FillValue {
    fn from(v: bool) -> Self {
        FillValue::Bool(v)
    }
}

impl FillValue {
    fn applies_to(&self, t: &DataType) -> bool {
        match self {
            FillValue::Int(_) | FillValue::Float(_) => t.is_numeric(),
            FillValue::Str(_) => matches!(t, DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View),
            FillValue::Bool(_) => t == &DataType::Boolean,
        }
    }

    fn scalar(&self) -> ScalarValue {
        match self {
            FillValue::Int(v) => ScalarValue::Int64(Some(*v)),
            FillValue::Float(v) => ScalarValue::Float64(Some(*v)),
            FillValue::Str(v) => ScalarValue::Utf8(Some(v.clone())),
            FillValue::Bool(v) => ScalarValue::Boolean(Some(*v)),
        }
    }
}

/// Null handling of one DataFrame.
#[derive(Debug, Clone)]
pub struct NaFunctions {
    df: DataFrame,
}

impl NaFunctions {
    fn columns(&self, subset: &[&str]) -> Result<Vec<(String, DataType)>> {
        let schema = self.df.schema();
        if let Some(missing) = subset.iter().find(|c| schema.field_with_name(c).is_err()) {
            return Err(Error::Plan(format!(
                "column `{missing}` does not exist; the columns are {}",
                self.df.columns().join(", ")
            )));
        }
        Ok(schema
            .fields()
            .iter()
            .filter(|f| subset.is_empty() || subset.contains(&f.name().as_str()))
            .map(|f| (f.name().clone(), f.data_type().clone()))
            .collect())
    }

    /// Replaces nulls in every column the value's type applies to.
    pub fn fill(&self, value: impl Into<FillValue>) -> Result<DataFrame> {
        self.fill_subset(value, &[])
    }

    /// Replaces nulls in the `subset` columns the value's type applies to.
    pub fn fill_subset(&self, value: impl Into<FillValue>, subset: &[&str]) -> Result<DataFrame> {
        let value = value.into();
        let targets: Vec<String> =
            self.columns(subset)?.into_iter().filter(|(_, t)| value.applies_to(t)).map(|(n, _)| n).collect();
        let names: Vec<&str> = targets.iter().map(String::as_str).collect();
        if names.is_empty() {
            return Ok(self.df.clone());
        }
        Ok(self.df.derive(self.df.df.fill_null(&value.scalar(), &names)?))
    }

    /// Drops rows with a null: in any column (`how = "any"`) or in all columns (`"all"`).
    pub fn drop(&self, how: &str) -> Result<DataFrame> {
        self.drop_subset(how, &[])
    }

    /// Drops rows with nulls in the `subset` columns, `how` being `"any"` or `"all"`.
    pub fn drop_subset(&self, how: &str, subset: &[&str]) -> Result<DataFrame> {
        let nulls: Vec<Expr> = self.columns(subset)?.iter().map(|(n, _)| col(n).expr().clone().is_null()).collect();
        let any = match how.to_ascii_lowercase().as_str() {
            "any" => true,
            "all" => false,
            other => return Err(Error::param("how", format!("`{other}` is not `any` or `all`"))),
        };
        let condition = if any { nulls.into_iter().reduce(Expr::or) } else { nulls.into_iter().reduce(Expr::and) };
        match condition {
            Some(c) => Ok(self.df.derive(self.df.df.cloned().filter(Expr::Not(Box::new(c)))?)),
            None => Ok(self.df.clone()),
        }
    }
}

impl DataFrame {
    /// Null handling: `df.na().fill(0)`, `df.na().drop("any")`.
    pub fn na(&self) -> NaFunctions {
        NaFunctions { df: self.clone() }
    }
}
