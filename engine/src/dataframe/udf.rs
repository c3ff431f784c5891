//! User-defined functions from Rust closures (Spark's `udf` and `spark.udf.register`).
//!
//! `udf("name", |x: f64| x * 2.0)` makes a function usable in DataFrame expressions (`f.call([col("x")])`);
//! `session.register_udf(&f)` makes it callable from SQL too. Arguments and results are Rust types mapped to Arrow
//! columns ([`SqlValue`]); a closure over plain types is not called for rows with a null argument (the result is
//! null), one over `Option<T>` sees the nulls. A broadcast variable captured by the closure is shared, not copied.

use super::Column;
use crate::error::Result;
use datafusion::arrow::array::{
    Array, ArrayRef, BooleanArray, Float64Array, Int32Array, Int64Array, StringArray, new_null_array,
};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::DataType;
use datafusion::common::DataFusionError;
use datafusion::logical_expr::{ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility};
use std::fmt;
use std::sync::Arc;

/// Rust types a UDF takes and returns, with their Arrow column type.
pub trait SqlValue: Sized + Send + Sync + 'static {
    /// The Arrow type of a column of these values.
    fn data_type() -> DataType;
    /// The value at `row` of a column already cast to [`data_type`](SqlValue::data_type); `None` when null.
    fn read(column: &ArrayRef, row: usize) -> Option<Self>;
    /// A column of results.
    fn column(values: Vec<Option<Self>>) -> ArrayRef;
}

macro_rules! sql_value {
    ($t:ty, $dt:expr, $array:ty) => {
        impl SqlValue for $t {
            fn data_type() -> DataType {
                $dt
            }
            fn read(column: &ArrayRef, row: usize) -> Option<Self> {
                let a = column.as_any().downcast_ref::<$array>()?;
                if a.is_null(row) { None } else { Some(a.value(row).into()) }
            }
            fn column(values: Vec<Option<Self>>) -> ArrayRef {
                Arc::new(values.into_iter().collect::<$array>())
            }
        }
    };
}
sql_value!(f64, DataType::Float64, Float64Array);
sql_value!(i64, DataType::Int64, Int64Array);
sql_value!(i32, DataType::Int32, Int32Array);
sql_value!(bool, DataType::Boolean, BooleanArray);
sql_value!(String, DataType::Utf8, StringArray);

/// An argument of a UDF closure: a plain value (the row is skipped when null) or an `Option` (sees nulls).
pub trait UdfArg: Sized + Send + Sync + 'static {
    /// The Arrow type of the column.
    fn data_type() -> DataType;
    /// `None` to skip the row, `Some(value)` to call the closure with it.
    fn fetch(column: &ArrayRef, row: usize) -> Option<Self>;
}

impl<T: SqlValue> UdfArg for T {
    fn data_type() -> DataType {
        T::data_type()
    }
    fn fetch(column: &ArrayRef, row: usize) -> Option<Self> {
        T::read(column, row)
    }
}

impl<T: SqlValue> UdfArg for Option<T> {
    fn data_type() -> DataType {
        T::data_type()
    }
    fn fetch(column: &ArrayRef, row: usize) -> Option<Self> {
        Some(T::read(column, row))
    }
}

/// What a UDF closure returns: a value, or `Option` for a null result.
pub trait UdfResult: Sized + Send + Sync + 'static {
    /// The value type.
    type Value: SqlValue;
    /// As an optional value.
    fn into_option(self) -> Option<Self::Value>;
}

impl<T: SqlValue> UdfResult for T {
    type Value = T;
    fn into_option(self) -> Option<T> {
        Some(self)
    }
}

impl<T: SqlValue> UdfResult for Option<T> {
    type Value = T;
    fn into_option(self) -> Option<T> {
        self
    }
}

/// Runs a user closure, turning a panic into a query error naming the function (a panic must not take down the
/// query's threads).
pub(super) fn catch_panic<T>(function: &str, f: impl FnOnce() -> T) -> datafusion::error::Result<T> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).map_err(|p| {
        let message = p
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| p.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        DataFusionError::Execution(format!("UDF `{function}` panicked: {message}"))
    })
}

/// `Debug`, `PartialEq`, `Eq` and `Hash` for a function built around a closure: it shows and hashes as its name,
/// and equals another only when both hold the same closure (DataFusion compares functions when it compares plans).
macro_rules! closure_identity {
    ($t:ident, $s:ident => name: $name:expr, closure: $closure:expr) => {
        impl std::fmt::Debug for $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                let $s = self;
                write!(f, "{}({})", stringify!($t), &$name)
            }
        }
        impl PartialEq for $t {
            fn eq(&self, other: &Self) -> bool {
                let (a, b) = (
                    {
                        let $s = self;
                        (&$name, $closure)
                    },
                    {
                        let $s = other;
                        (&$name, $closure)
                    },
                );
                a.0 == b.0 && std::sync::Arc::ptr_eq(a.1, b.1)
            }
        }
        impl Eq for $t {}
        impl std::hash::Hash for $t {
            fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
                let $s = self;
                (&$name).hash(state);
            }
        }
    };
}
pub(super) use closure_identity;

type Kernel = dyn Fn(&[ArrayRef], usize) -> ArrayRef + Send + Sync;

/// Closures of 1 to 3 arguments that can become UDFs.
pub trait UdfFn<Args>: Send + Sync + 'static {
    #[doc(hidden)]
    fn arg_types() -> Vec<DataType>;
    #[doc(hidden)]
    fn return_type() -> DataType;
    #[doc(hidden)]
    fn kernel(self) -> Arc<Kernel>;
}

macro_rules! udf_fn {
    ($($a:ident $i:tt),+) => {
        impl<F, R, $($a),+> UdfFn<($($a,)+)> for F
        where
            F: Fn($($a),+) -> R + Send + Sync + 'static,
            R: UdfResult,
            $($a: UdfArg),+
        {
            fn arg_types() -> Vec<DataType> {
                vec![$(<$a as UdfArg>::data_type()),+]
            }
            fn return_type() -> DataType {
                <R::Value as SqlValue>::data_type()
            }
            fn kernel(self) -> Arc<Kernel> {
                Arc::new(move |columns: &[ArrayRef], rows: usize| {
                    let values = (0..rows)
                        .map(|row| {
                            let args = ($($a::fetch(&columns[$i], row)?,)+);
                            (self)($(args.$i),+).into_option()
                        })
                        .collect();
                    <R::Value as SqlValue>::column(values)
                })
            }
        }
    };
}
udf_fn!(A 0);
udf_fn!(A 0, B 1);
udf_fn!(A 0, B 1, C 2);

/// A user-defined scalar function.
#[derive(Clone)]
pub struct Udf {
    udf: Arc<ScalarUDF>,
}

impl fmt::Debug for Udf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Udf({})", self.udf.name())
    }
}

/// A UDF from a closure: `udf("double_it", |x: f64| x * 2.0)`.
pub fn udf<Args, F: UdfFn<Args>>(name: &str, f: F) -> Udf {
    let types = F::arg_types();
    let kernel = f.kernel();
    let return_type = F::return_type();
    let rt = return_type.clone();
    // The exact signature lets DataFusion coerce arguments while planning; the cast covers what it left.
    let typed = move |columns: &[ArrayRef], rows: usize| -> std::result::Result<ArrayRef, String> {
        let mut cast_columns = Vec::with_capacity(columns.len());
        for (array, want) in columns.iter().zip(&types) {
            cast_columns.push(if array.data_type() == want {
                Arc::clone(array)
            } else {
                cast(array, want).map_err(|e| e.to_string())?
            });
        }
        let out = kernel(&cast_columns, rows);
        Ok(if out.len() == rows { out } else { new_null_array(&rt, rows) })
    };
    let signature = Signature::exact(F::arg_types(), Volatility::Immutable);
    arrow_udf_with(name, signature, return_type, typed)
}

type ArrowKernel = dyn Fn(&[ArrayRef], usize) -> std::result::Result<ArrayRef, String> + Send + Sync;

struct ArrowUdf {
    name: String,
    signature: Signature,
    return_type: DataType,
    kernel: Arc<ArrowKernel>,
}

closure_identity!(ArrowUdf, s => name: s.name, closure: &s.kernel);

impl ScalarUDFImpl for ArrowUdf {
    fn name(&self) -> &str {
        &self.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _: &[DataType]) -> datafusion::error::Result<DataType> {
        Ok(self.return_type.clone())
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> datafusion::error::Result<ColumnarValue> {
        let rows = args.number_rows;
        let columns =
            args.args.into_iter().map(|a| a.into_array(rows)).collect::<datafusion::error::Result<Vec<_>>>()?;
        let kernel = Arc::clone(&self.kernel);
        let out = catch_panic(&self.name, || kernel(&columns, rows))?.map_err(DataFusionError::Execution)?;
        if out.len() != rows || out.data_type() != &self.return_type {
            return Err(DataFusionError::Execution(format!(
                "UDF `{}` returned {} values of type {} for {rows} rows of type {}",
                self.name,
                out.len(),
                out.data_type(),
                self.return_type
            )));
        }
        Ok(ColumnarValue::Array(out))
    }
}

/// A vectorised UDF over whole Arrow columns (Spark 4.1's `arrow_udf`): the closure gets a batch's argument
/// columns (any types; it checks them) and the row count, and returns the result column; an `Err` fails the
/// query with its message. This is how MLlib's models score DataFrames batch by batch.
///
/// ```
/// use datafusion::arrow::array::{ArrayRef, AsArray, Int64Array};
/// use datafusion::arrow::datatypes::{DataType, Int64Type};
/// use flint_engine::dataframe::arrow_udf;
/// use flint_engine::prelude::*;
/// use std::sync::Arc;
///
/// let session = Session::builder().master("local[2]").build()?;
/// let twice = arrow_udf("twice", DataType::Int64, |columns, _rows| {
///     let x = columns[0].as_primitive::<Int64Type>();
///     Ok(Arc::new(x.iter().map(|v| v.map(|v| 2 * v)).collect::<Int64Array>()) as ArrayRef)
/// });
/// let rows = session.range_df(3)?.select([twice.call([col("id")]).alias("y")])?.collect()?;
/// assert_eq!(rows[2].get_as::<i64>("y")?, 4);
/// # Ok::<(), flint_engine::Error>(())
/// ```
pub fn arrow_udf(
    name: &str,
    return_type: DataType,
    f: impl Fn(&[ArrayRef], usize) -> std::result::Result<ArrayRef, String> + Send + Sync + 'static,
) -> Udf {
    arrow_udf_with(name, Signature::variadic_any(Volatility::Immutable), return_type, f)
}

fn arrow_udf_with(
    name: &str,
    signature: Signature,
    return_type: DataType,
    f: impl Fn(&[ArrayRef], usize) -> std::result::Result<ArrayRef, String> + Send + Sync + 'static,
) -> Udf {
    let inner = ArrowUdf { name: name.to_string(), signature, return_type, kernel: Arc::new(f) };
    Udf { udf: Arc::new(ScalarUDF::new_from_impl(inner)) }
}

impl Udf {
    /// The function applied to columns, named `name(args…)` as Spark names UDF results.
    pub fn call<C: Into<Column>>(&self, args: impl IntoIterator<Item = C>) -> Column {
        let args: Vec<Column> = args.into_iter().map(Into::into).collect();
        let display = format!(
            "{}({})",
            self.udf.name(),
            args.iter().map(|c| c.expr().schema_name().to_string()).collect::<Vec<_>>().join(", ")
        );
        Column::new(self.udf.call(args.into_iter().map(|c| c.expr().clone()).collect()).alias(display))
    }

    /// The function's name.
    pub fn name(&self) -> &str {
        self.udf.name()
    }
}

impl crate::session::Session {
    /// Makes a UDF callable from SQL under its name (Spark's `spark.udf.register`).
    pub fn register_udf(&self, f: &Udf) -> Result<()> {
        self.ctx.sql_state()?.ctx.register_udf(f.udf.as_ref().clone());
        Ok(())
    }
}
