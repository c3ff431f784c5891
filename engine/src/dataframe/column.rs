//! `Column`: an expression over a DataFrame's rows, with Spark's operators and methods.

use datafusion::arrow::datatypes::DataType;
use datafusion::logical_expr::{Expr, Operator, SortExpr, binary_expr, expr::Case};
use datafusion::prelude::{lit as df_lit, regexp_like};
use std::fmt;
use std::ops;

/// An expression: a column reference, a literal, or a computation over them (Spark's `Column`).
///
/// Build columns with [`col`](crate::functions::col) and [`lit`](crate::functions::lit), combine them with `+ - * /
/// %`, `!` and the methods below (`gt`, `equal_to`, `and`, `is_null`, `cast`, `alias`, …).
#[derive(Clone, PartialEq)]
pub struct Column {
    // Behind `Opaque`: a cell holding a column would otherwise recompile DataFusion's expression destructors.
    inner: crate::opaque::Opaque<Expr>,
}

impl fmt::Debug for Column {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Column<'{}'>", self.expr())
    }
}

impl fmt::Display for Column {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.expr().schema_name())
    }
}

impl From<Expr> for Column {
    fn from(expr: Expr) -> Self {
        Column { inner: crate::opaque::Opaque::new(expr) }
    }
}

/// A column name: `"age"` in `select(["name", "age"])` (Spark treats strings as column names there).
impl From<&str> for Column {
    fn from(name: &str) -> Self {
        crate::functions::col(name)
    }
}

impl From<String> for Column {
    fn from(name: String) -> Self {
        crate::functions::col(&name)
    }
}

impl From<&Column> for Column {
    fn from(c: &Column) -> Self {
        c.clone()
    }
}

/// Values usable where Spark takes "a Column or a literal": numbers, strings and booleans become literals.
pub trait IntoColumn {
    /// The value as a column.
    fn into_column(self) -> Column;
}

impl IntoColumn for Column {
    fn into_column(self) -> Column {
        self
    }
}

impl IntoColumn for &Column {
    fn into_column(self) -> Column {
        self.clone()
    }
}

macro_rules! literal_into_column {
    ($($t:ty),*) => {$(
        impl IntoColumn for $t {
            fn into_column(self) -> Column {
                Column { inner: crate::opaque::Opaque::new(df_lit(self)) }
            }
        }
    )*};
}
literal_into_column!(i8, i16, i32, i64, u8, u16, u32, u64, f32, f64, bool, String, &str);

impl Column {
    pub(crate) fn new(expr: Expr) -> Self {
        Column { inner: crate::opaque::Opaque::new(expr) }
    }

    /// The underlying DataFusion expression.
    pub fn expr(&self) -> &Expr {
        &self.inner
    }

    fn binary(self, op: Operator, other: impl IntoColumn) -> Column {
        Column::new(binary_expr(self.expr().clone(), op, other.into_column().expr().clone()))
    }

    /// Renames the result (Spark's `alias` / `as`).
    pub fn alias(self, name: &str) -> Column {
        // A new name replaces the old one (a generator such as `explode` must stay directly under its name).
        Column::new(self.expr().clone().unalias().alias(name))
    }

    /// Spark's `name`, same as [`alias`](Column::alias).
    pub fn name(self, name: &str) -> Column {
        self.alias(name)
    }

    /// Converts to another type: a Spark type name (`"int"`, `"double"`, `"string"`, `"date"`, …).
    pub fn cast(self, to: &str) -> crate::Result<Column> {
        let data_type = crate::functions::parse_type(to)?;
        Ok(self.cast_to(data_type))
    }

    /// Converts to an Arrow type.
    pub fn cast_to(self, to: DataType) -> Column {
        Column::new(datafusion::prelude::cast(self.expr().clone(), to))
    }

    /// `self = other` (Spark's `===`); null if either side is null.
    pub fn equal_to(self, other: impl IntoColumn) -> Column {
        self.binary(Operator::Eq, other)
    }

    /// `self <> other` (Spark's `=!=`).
    pub fn not_equal(self, other: impl IntoColumn) -> Column {
        self.binary(Operator::NotEq, other)
    }

    /// Null-safe equality (Spark's `<=>`): two nulls are equal.
    pub fn eq_null_safe(self, other: impl IntoColumn) -> Column {
        self.binary(Operator::IsNotDistinctFrom, other)
    }

    /// `self > other`.
    pub fn gt(self, other: impl IntoColumn) -> Column {
        self.binary(Operator::Gt, other)
    }

    /// `self >= other`.
    pub fn geq(self, other: impl IntoColumn) -> Column {
        self.binary(Operator::GtEq, other)
    }

    /// `self < other`.
    pub fn lt(self, other: impl IntoColumn) -> Column {
        self.binary(Operator::Lt, other)
    }

    /// `self <= other`.
    pub fn leq(self, other: impl IntoColumn) -> Column {
        self.binary(Operator::LtEq, other)
    }

    /// Logical and.
    pub fn and(self, other: impl IntoColumn) -> Column {
        self.binary(Operator::And, other)
    }

    /// Logical or.
    pub fn or(self, other: impl IntoColumn) -> Column {
        self.binary(Operator::Or, other)
    }

    /// Whether the value is null.
    pub fn is_null(self) -> Column {
        Column::new(self.expr().clone().is_null())
    }

    /// Whether the value is not null.
    pub fn is_not_null(self) -> Column {
        Column::new(self.expr().clone().is_not_null())
    }

    /// Whether the value is one of `values`.
    pub fn isin<V: IntoColumn>(self, values: impl IntoIterator<Item = V>) -> Column {
        let list = values.into_iter().map(|v| v.into_column().expr().clone()).collect();
        Column::new(self.expr().clone().in_list(list, false))
    }

    /// `lower <= self <= upper`.
    pub fn between(self, lower: impl IntoColumn, upper: impl IntoColumn) -> Column {
        Column::new(self.expr().clone().between(lower.into_column().expr().clone(), upper.into_column().expr().clone()))
    }

    /// SQL `LIKE` with `%` and `_` wildcards.
    pub fn like(self, pattern: &str) -> Column {
        Column::new(self.expr().clone().like(df_lit(pattern)))
    }

    /// Case-insensitive `LIKE`.
    pub fn ilike(self, pattern: &str) -> Column {
        Column::new(self.expr().clone().ilike(df_lit(pattern)))
    }

    /// Whether the value matches a regular expression anywhere (Spark's `rlike`).
    pub fn rlike(self, pattern: &str) -> Column {
        Column::new(regexp_like(self.expr().clone(), df_lit(pattern), None))
    }

    /// Whether the string contains `other`.
    pub fn contains(self, other: impl IntoColumn) -> Column {
        Column::new(datafusion::functions::expr_fn::contains(self.expr().clone(), other.into_column().expr().clone()))
    }

    /// Whether the string starts with `other`.
    pub fn starts_with(self, other: impl IntoColumn) -> Column {
        Column::new(datafusion::functions::expr_fn::starts_with(
            self.expr().clone(),
            other.into_column().expr().clone(),
        ))
    }

    /// Whether the string ends with `other`.
    pub fn ends_with(self, other: impl IntoColumn) -> Column {
        Column::new(datafusion::functions::expr_fn::ends_with(self.expr().clone(), other.into_column().expr().clone()))
    }

    /// Element `index` (0-based, as Spark's `getItem` on arrays) of an array column, or the value of a map key.
    pub fn get_item(self, index: impl IntoColumn) -> Column {
        let key = index.into_column().expr().clone();
        // Spark arrays are 0-based in getItem; DataFusion's array_element is 1-based.
        let one_based = binary_expr(key, Operator::Plus, df_lit(1i64));
        Column::new(datafusion::functions_nested::expr_fn::array_element(self.expr().clone(), one_based))
    }

    /// Field `name` of a struct column (Spark's `getField`).
    pub fn get_field(self, name: &str) -> Column {
        Column::new(datafusion::functions::core::expr_fn::get_field(self.expr().clone(), name))
    }

    /// Ascending sort order, nulls first (Spark's default for ascending).
    pub fn asc(self) -> SortColumn {
        SortColumn(crate::opaque::Opaque::new(self.expr().clone().sort(true, true)))
    }

    /// Descending sort order, nulls last (Spark's default for descending).
    pub fn desc(self) -> SortColumn {
        SortColumn(crate::opaque::Opaque::new(self.expr().clone().sort(false, false)))
    }

    /// Ascending, nulls last.
    pub fn asc_nulls_last(self) -> SortColumn {
        SortColumn(crate::opaque::Opaque::new(self.expr().clone().sort(true, false)))
    }

    /// Descending, nulls first.
    pub fn desc_nulls_first(self) -> SortColumn {
        SortColumn(crate::opaque::Opaque::new(self.expr().clone().sort(false, true)))
    }

    /// Adds a branch to a [`when`](crate::functions::when) expression.
    pub fn when(self, condition: Column, value: impl IntoColumn) -> crate::Result<Column> {
        match self.expr().clone() {
            Expr::Case(mut case) if case.else_expr.is_none() => {
                case.when_then_expr
                    .push((Box::new(condition.expr().clone()), Box::new(value.into_column().expr().clone())));
                Ok(Column::new(Expr::Case(case)))
            }
            other => Err(crate::Error::Plan(format!(
                "when() can only be applied on a Column previously generated by when() without otherwise(), not on {other}"
            ))),
        }
    }

    /// The value of a [`when`](crate::functions::when) expression when no branch matches (null without it).
    pub fn otherwise(self, value: impl IntoColumn) -> crate::Result<Column> {
        match self.expr().clone() {
            Expr::Case(mut case) if case.else_expr.is_none() => {
                case.else_expr = Some(Box::new(value.into_column().expr().clone()));
                Ok(Column::new(Expr::Case(case)))
            }
            other => Err(crate::Error::Plan(format!(
                "otherwise() can only be applied once on a Column previously generated by when(), not on {other}"
            ))),
        }
    }

    /// A window function or aggregate evaluated over a [`WindowSpec`](crate::dataframe::WindowSpec).
    pub fn over(self, window: &crate::dataframe::WindowSpec) -> crate::Result<Column> {
        window.apply(self)
    }

    pub(crate) fn case(condition: Column, value: Column) -> Column {
        Column::new(Expr::Case(Case::new(
            None,
            vec![(Box::new(condition.expr().clone()), Box::new(value.expr().clone()))],
            None,
        )))
    }
}

/// A sort order: a column with a direction (from [`Column::asc`] or [`Column::desc`]).
#[derive(Clone, Debug)]
pub struct SortColumn(pub(crate) crate::opaque::Opaque<SortExpr>);

impl From<Column> for SortColumn {
    fn from(c: Column) -> Self {
        c.asc()
    }
}

impl From<&str> for SortColumn {
    fn from(name: &str) -> Self {
        Column::from(name).asc()
    }
}

macro_rules! column_operator {
    ($trait:ident, $method:ident, $op:expr) => {
        impl<T: IntoColumn> ops::$trait<T> for Column {
            type Output = Column;
            fn $method(self, rhs: T) -> Column {
                self.binary($op, rhs)
            }
        }
    };
}
column_operator!(Add, add, Operator::Plus);
column_operator!(Sub, sub, Operator::Minus);
column_operator!(Mul, mul, Operator::Multiply);

/// Spark's `/` always divides in floating point (`5 / 2` is `2.5`), unlike SQL engines' integer division.
impl<T: IntoColumn> ops::Div<T> for Column {
    type Output = Column;
    fn div(self, rhs: T) -> Column {
        let num = self.cast_to(DataType::Float64);
        Column::new(binary_expr(
            num.expr().clone(),
            Operator::Divide,
            rhs.into_column().cast_to(DataType::Float64).expr().clone(),
        ))
    }
}
column_operator!(Rem, rem, Operator::Modulo);

impl ops::Neg for Column {
    type Output = Column;
    fn neg(self) -> Column {
        Column::new(Expr::Negative(Box::new(self.expr().clone())))
    }
}

impl ops::Not for Column {
    type Output = Column;
    fn not(self) -> Column {
        Column::new(Expr::Not(Box::new(self.expr().clone())))
    }
}
