//! User-defined table functions (Spark 4's UDTFs): a Rust closure from argument values to any number of output
//! rows, each a tuple of values with named columns.
//!
//! `f.call(&session, [lit(1), lit(3)])` is the table of one call (Spark's `SquareNumbers(lit(1), lit(3))`);
//! `f.lateral(&df, [col("a"), col("b")])` calls it on every row of `df` and pairs the row with each output row
//! (Spark's `LATERAL` join: a row whose call yields nothing is dropped); after
//! [`Session::register_udtf`](crate::session::Session::register_udtf), SQL can call it with constant arguments in a
//! `FROM` clause. `LATERAL` in SQL is not available: DataFusion's SQL planner does not support lateral table
//! functions.

use super::udf::{SqlValue, UdfArg, UdfResult, catch_panic, closure_identity};
use super::{Column, DataFrame};
use crate::error::{Error, Result};
use crate::functions::col;
use crate::session::Session;
use datafusion::arrow::array::{Array, ArrayRef, ListArray, StructArray};
use datafusion::arrow::buffer::OffsetBuffer;
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Field, Fields, Schema};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::catalog::{TableFunctionArgs, TableFunctionImpl, TableProvider};
use datafusion::common::{DataFusionError, ScalarValue};
use datafusion::datasource::MemTable;
use datafusion::functions::core::expr_fn::get_field;
use datafusion::logical_expr::{
    ColumnarValue, Expr, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};
use std::fmt;
use std::sync::Arc;

/// An output row of a UDTF: a tuple of 1 to 4 values (each a [`SqlValue`] or an `Option` of one).
pub trait UdtfRow: Send + 'static {
    /// The number of columns.
    const WIDTH: usize;
    #[doc(hidden)]
    fn data_types() -> Vec<DataType>;
    #[doc(hidden)]
    fn columns(rows: Vec<Self>) -> Vec<ArrayRef>
    where
        Self: Sized;
}

macro_rules! udtf_row {
    ($width:expr; $($t:ident $v:ident),+) => {
        impl<$($t: UdfResult),+> UdtfRow for ($($t,)+) {
            const WIDTH: usize = $width;
            fn data_types() -> Vec<DataType> {
                vec![$(<$t::Value as SqlValue>::data_type()),+]
            }
            fn columns(rows: Vec<Self>) -> Vec<ArrayRef> {
                $(let mut $v = Vec::with_capacity(rows.len());)+
                for ($($t,)+) in rows {
                    $($v.push($t.into_option());)+
                }
                vec![$(<$t::Value as SqlValue>::column($v)),+]
            }
        }
    };
}
#[allow(non_snake_case)]
mod rows {
    use super::*;
    udtf_row!(1; A a);
    udtf_row!(2; A a, B b);
    udtf_row!(3; A a, B b, C c);
    udtf_row!(4; A a, B b, C c, D d);
}

/// The rows of one call, `None` when an argument was null and the closure does not take `Option`s.
type TableKernel<R> = dyn Fn(&[ArrayRef], usize) -> Option<Vec<R>> + Send + Sync;

/// Closures of 1 to 3 arguments returning an iterator of rows.
pub trait UdtfFn<Args, R>: Send + Sync + 'static {
    #[doc(hidden)]
    fn arg_types() -> Vec<DataType>;
    #[doc(hidden)]
    fn kernel(self) -> Arc<TableKernel<R>>;
}

macro_rules! udtf_fn {
    ($($a:ident $i:tt),+) => {
        impl<F, I, R, $($a),+> UdtfFn<($($a,)+), R> for F
        where
            F: Fn($($a),+) -> I + Send + Sync + 'static,
            I: IntoIterator<Item = R>,
            R: UdtfRow,
            $($a: UdfArg),+
        {
            fn arg_types() -> Vec<DataType> {
                vec![$(<$a as UdfArg>::data_type()),+]
            }
            fn kernel(self) -> Arc<TableKernel<R>> {
                Arc::new(move |columns: &[ArrayRef], row: usize| {
                    let args = ($($a::fetch(&columns[$i], row)?,)+);
                    Some((self)($(args.$i),+).into_iter().collect())
                })
            }
        }
    };
}
udtf_fn!(A 0);
udtf_fn!(A 0, B 1);
udtf_fn!(A 0, B 1, C 2);

/// What the engine needs of a UDTF, its row type erased.
trait Erased: Send + Sync {
    /// The output rows of every row of `columns`, as a list of structs per row.
    fn lists(&self, columns: &[ArrayRef], rows: usize) -> datafusion::error::Result<ArrayRef>;
    /// The output of one call, as columns.
    fn table(&self, columns: &[ArrayRef]) -> datafusion::error::Result<Vec<ArrayRef>>;
}

struct Typed<R> {
    name: String,
    fields: Fields,
    kernel: Arc<TableKernel<R>>,
}

impl<R: UdtfRow> Erased for Typed<R> {
    fn lists(&self, columns: &[ArrayRef], rows: usize) -> datafusion::error::Result<ArrayRef> {
        let (all, lengths) = catch_panic(&self.name, || {
            let mut all = Vec::new();
            let mut lengths = Vec::with_capacity(rows);
            for row in 0..rows {
                let out = (self.kernel)(columns, row).unwrap_or_default();
                lengths.push(out.len());
                all.extend(out);
            }
            (all, lengths)
        })?;
        let structs = StructArray::try_new(self.fields.clone(), R::columns(all), None)?;
        let item = Arc::new(Field::new_list_field(DataType::Struct(self.fields.clone()), true));
        Ok(Arc::new(ListArray::try_new(item, OffsetBuffer::from_lengths(lengths), Arc::new(structs), None)?))
    }

    fn table(&self, columns: &[ArrayRef]) -> datafusion::error::Result<Vec<ArrayRef>> {
        let rows = catch_panic(&self.name, || (self.kernel)(columns, 0).unwrap_or_default())?;
        Ok(R::columns(rows))
    }
}

/// A user-defined table function; see [`udtf`].
#[derive(Clone)]
pub struct Udtf {
    name: String,
    arg_types: Vec<DataType>,
    fields: Fields,
    erased: Arc<dyn Erased>,
}

impl fmt::Debug for Udtf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Udtf({})", self.name)
    }
}

/// A table function from a closure returning rows (tuples), with the output column names.
///
/// ```
/// use flint_engine::prelude::*;
///
/// let session = Session::builder().master("local[2]").build()?;
/// let squares = udtf("square_numbers", ["num", "squared"], |start: i64, end: i64| (start..=end).map(|n| (n, n * n)))?;
/// let rows = squares.call(&session, [lit(1), lit(3)])?.collect()?;
/// assert_eq!(rows.len(), 3);
/// assert_eq!(rows[2].get_as::<i64>("squared")?, 9);
///
/// session.register_udtf(&squares)?;
/// assert_eq!(session.sql("SELECT sum(squared) AS s FROM square_numbers(1, 3)")?.collect()?[0].get_as::<i64>("s")?, 14);
/// # Ok::<(), flint_engine::Error>(())
/// ```
pub fn udtf<Args, R: UdtfRow, F: UdtfFn<Args, R>, const N: usize>(
    name: &str,
    columns: [&str; N],
    f: F,
) -> Result<Udtf> {
    if N != R::WIDTH {
        return Err(Error::param(
            "columns",
            format!("UDTF `{name}` yields rows of {} values but {N} column names were given", R::WIDTH),
        ));
    }
    let fields: Fields =
        columns.iter().zip(R::data_types()).map(|(c, t)| Field::new(*c, t, true)).collect::<Vec<_>>().into();
    let erased = Arc::new(Typed { name: name.to_string(), fields: fields.clone(), kernel: f.kernel() });
    Ok(Udtf { name: name.to_string(), arg_types: F::arg_types(), fields, erased })
}

/// The list-of-structs scalar function behind `lateral`.
struct ListUdf {
    udtf: Udtf,
    signature: Signature,
}

closure_identity!(ListUdf, s => name: s.udtf.name, closure: &s.udtf.erased);

fn cast_args(arrays: Vec<ArrayRef>, types: &[DataType]) -> datafusion::error::Result<Vec<ArrayRef>> {
    arrays.into_iter().zip(types).map(|(a, t)| if a.data_type() == t { Ok(a) } else { Ok(cast(&a, t)?) }).collect()
}

impl ScalarUDFImpl for ListUdf {
    fn name(&self) -> &str {
        &self.udtf.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _: &[DataType]) -> datafusion::error::Result<DataType> {
        Ok(DataType::List(Arc::new(Field::new_list_field(DataType::Struct(self.udtf.fields.clone()), true))))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> datafusion::error::Result<ColumnarValue> {
        let rows = args.number_rows;
        let arrays = args.args.into_iter().map(|a| a.into_array(rows)).collect::<datafusion::error::Result<_>>()?;
        let columns = cast_args(arrays, &self.udtf.arg_types)?;
        Ok(ColumnarValue::Array(self.udtf.erased.lists(&columns, rows)?))
    }
}

/// Name of the temporary column holding each row's output.
const OUTPUT: &str = "__flint_udtf";

impl Udtf {
    /// The function's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The output column names.
    pub fn columns(&self) -> Vec<String> {
        self.fields.iter().map(|f| f.name().clone()).collect()
    }

    /// Calls the function on each row of `df`: every column of the row followed by the output columns, once per
    /// output row (Spark's `LATERAL` join with a UDTF).
    pub fn lateral<C: Into<Column>>(&self, df: &DataFrame, args: impl IntoIterator<Item = C>) -> Result<DataFrame> {
        let args: Vec<Expr> = args.into_iter().map(|c| c.into().expr().clone()).collect();
        if args.len() != self.arg_types.len() {
            return Err(Error::param(
                "args",
                format!("UDTF `{}` takes {} arguments, {} given", self.name, self.arg_types.len(), args.len()),
            ));
        }
        let signature = Signature::exact(self.arg_types.clone(), Volatility::Volatile);
        let list = ScalarUDF::new_from_impl(ListUdf { udtf: self.clone(), signature });
        let input: Vec<Expr> = df.columns().iter().map(|c| col(c).expr().clone()).collect();
        let mut with_output = input.clone();
        with_output.push(list.call(args).alias(OUTPUT));
        let unnested = df.df.cloned().select(with_output)?.unnest_columns(&[OUTPUT])?;
        let mut out = input;
        out.extend(
            self.fields.iter().map(|f| get_field(col(OUTPUT).expr().clone(), f.name().as_str()).alias(f.name())),
        );
        Ok(df.derive(unnested.select(out)?))
    }

    /// The table of one call with these arguments (constant expressions, such as `lit(3)`).
    pub fn call<C: Into<Column>>(&self, session: &Session, args: impl IntoIterator<Item = C>) -> Result<DataFrame> {
        let one = session.range_df(1)?;
        self.lateral(&one, args)?.select(self.columns())
    }
}

/// The SQL side: a table function over constant arguments.
#[derive(Debug)]
struct SqlUdtf(Udtf);

/// A constant argument: a literal, or a negated one (`-1` parses as a negation).
fn constant(e: &Expr) -> Option<ScalarValue> {
    match e {
        Expr::Literal(v, _) => Some(v.clone()),
        Expr::Negative(inner) => constant(inner)?.arithmetic_negate().ok(),
        Expr::Cast(c) => constant(&c.expr)?.cast_to(c.field.data_type()).ok(),
        _ => None,
    }
}

impl TableFunctionImpl for SqlUdtf {
    fn call_with_args(&self, args: TableFunctionArgs<'_, '_>) -> datafusion::error::Result<Arc<dyn TableProvider>> {
        let udtf = &self.0;
        let exprs = args.exprs();
        if exprs.len() != udtf.arg_types.len() {
            return Err(DataFusionError::Plan(format!(
                "table function `{}` takes {} arguments, {} given",
                udtf.name,
                udtf.arg_types.len(),
                exprs.len()
            )));
        }
        let mut arrays = Vec::with_capacity(exprs.len());
        for e in exprs {
            let value = constant(e).ok_or_else(|| {
                DataFusionError::Plan(format!("arguments of table function `{}` must be constants, got {e}", udtf.name))
            })?;
            arrays.push(value.to_array()?);
        }
        let columns = udtf.erased.table(&cast_args(arrays, &udtf.arg_types)?)?;
        let schema = Arc::new(Schema::new(udtf.fields.clone()));
        let batch = RecordBatch::try_new(Arc::clone(&schema), columns)?;
        Ok(Arc::new(MemTable::try_new(schema, vec![vec![batch]])?))
    }
}

impl Session {
    /// Makes a UDTF callable from SQL: `SELECT * FROM name(1, 3)`.
    pub fn register_udtf(&self, f: &Udtf) -> Result<()> {
        self.ctx.sql_state()?.ctx.register_udtf(&f.name, Arc::new(SqlUdtf(f.clone())));
        Ok(())
    }
}
