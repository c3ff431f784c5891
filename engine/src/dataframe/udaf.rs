//! User-defined aggregate functions from Rust closures, in the shape of Spark's `Aggregator`: a `zero` buffer,
//! `reduce` (fold one input value in), `merge` (combine two partial buffers) and `finish` (the result).
//!
//! Partial buffers travel between the partial and final aggregation steps serialized (bincode), so the buffer
//! type is any `Clone + Serialize + Deserialize` Rust value. Input values are read as [`udf`](super::udf)
//! arguments are: a plain type skips null inputs, an `Option` sees them.

use super::Column;
use super::udf::{SqlValue, UdfArg, UdfResult, catch_panic, closure_identity};
use crate::error::Result;
use datafusion::arrow::array::{Array, ArrayRef, BinaryArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Field, FieldRef};
use datafusion::common::{DataFusionError, ScalarValue};
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::{Accumulator, AggregateUDF, AggregateUDFImpl, Signature, Volatility};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;

/// The closures of one aggregate.
struct Fns<In, Buf, Out> {
    name: String,
    zero: Buf,
    reduce: Box<dyn Fn(Buf, In) -> Buf + Send + Sync>,
    merge: Box<dyn Fn(Buf, Buf) -> Buf + Send + Sync>,
    finish: Box<dyn Fn(Buf) -> Out + Send + Sync>,
}

/// One group's running buffer.
struct TypedAccumulator<In, Buf, Out> {
    fns: Arc<Fns<In, Buf, Out>>,
    buf: Buf,
    input_type: DataType,
    _types: PhantomData<fn(In) -> Out>,
}

impl<In, Buf, Out> fmt::Debug for TypedAccumulator<In, Buf, Out> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TypedAccumulator({})", self.fns.name)
    }
}

fn decode_error(name: &str, e: impl fmt::Display) -> DataFusionError {
    DataFusionError::Internal(format!("the buffer of UDAF `{name}` could not be read back: {e}"))
}

impl<In, Buf, Out> Accumulator for TypedAccumulator<In, Buf, Out>
where
    In: UdfArg,
    Buf: Clone + Serialize + DeserializeOwned + Send + Sync + 'static,
    Out: UdfResult,
{
    fn update_batch(&mut self, values: &[ArrayRef]) -> datafusion::error::Result<()> {
        let Some(column) = values.first() else { return Ok(()) };
        let column =
            if column.data_type() == &self.input_type { Arc::clone(column) } else { cast(column, &self.input_type)? };
        let fns = Arc::clone(&self.fns);
        // Taken, not cloned: a buffer may be large (a list being collected); a panic fails the query anyway.
        let mut buf = std::mem::replace(&mut self.buf, fns.zero.clone());
        self.buf = catch_panic(&self.fns.name, move || {
            for row in 0..column.len() {
                if let Some(value) = In::fetch(&column, row) {
                    buf = (fns.reduce)(buf, value);
                }
            }
            buf
        })?;
        Ok(())
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> datafusion::error::Result<()> {
        let Some(states) = states.first() else { return Ok(()) };
        let bytes = states
            .as_any()
            .downcast_ref::<BinaryArray>()
            .ok_or_else(|| DataFusionError::Internal(format!("UDAF `{}` got a non-binary buffer", self.fns.name)))?;
        for row in 0..bytes.len() {
            if bytes.is_null(row) {
                continue;
            }
            let other: Buf = bincode::deserialize(bytes.value(row)).map_err(|e| decode_error(&self.fns.name, e))?;
            let fns = Arc::clone(&self.fns);
            let buf = std::mem::replace(&mut self.buf, fns.zero.clone());
            self.buf = catch_panic(&self.fns.name, move || (fns.merge)(buf, other))?;
        }
        Ok(())
    }

    fn state(&mut self) -> datafusion::error::Result<Vec<ScalarValue>> {
        let bytes = bincode::serialize(&self.buf).map_err(|e| decode_error(&self.fns.name, e))?;
        Ok(vec![ScalarValue::Binary(Some(bytes))])
    }

    fn evaluate(&mut self) -> datafusion::error::Result<ScalarValue> {
        let fns = Arc::clone(&self.fns);
        let buf = self.buf.clone();
        let out = catch_panic(&self.fns.name, move || (fns.finish)(buf).into_option())?;
        ScalarValue::try_from_array(&<Out::Value as SqlValue>::column(vec![out]), 0)
    }

    fn size(&self) -> usize {
        std::mem::size_of::<Self>()
    }
}

/// A user-defined aggregate function; see [`udaf`].
#[derive(Clone)]
pub struct Udaf {
    udaf: Arc<AggregateUDF>,
}

impl fmt::Debug for Udaf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Udaf({})", self.udaf.name())
    }
}

type MakeAccumulator = dyn Fn() -> Box<dyn Accumulator> + Send + Sync;

struct ClosureUdaf {
    name: String,
    signature: Signature,
    return_type: DataType,
    make: Arc<MakeAccumulator>,
}

closure_identity!(ClosureUdaf, s => name: s.name, closure: &s.make);

impl AggregateUDFImpl for ClosureUdaf {
    fn name(&self) -> &str {
        &self.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _: &[DataType]) -> datafusion::error::Result<DataType> {
        Ok(self.return_type.clone())
    }

    fn accumulator(&self, _: AccumulatorArgs<'_>) -> datafusion::error::Result<Box<dyn Accumulator>> {
        Ok((self.make)())
    }

    fn state_fields(&self, args: StateFieldsArgs<'_>) -> datafusion::error::Result<Vec<FieldRef>> {
        Ok(vec![Arc::new(Field::new(format!("{}[buffer]", args.name), DataType::Binary, true))])
    }
}

/// An aggregate function from Spark's `Aggregator` parts: `zero` (the empty buffer), `reduce` (adds an input
/// value), `merge` (combines two buffers) and `finish` (the result of a buffer). Use it in
/// `group_by(..).agg([f.call(col("x"))])` and, after [`Session::register_udaf`](crate::session::Session::register_udaf),
/// in SQL.
///
/// ```
/// use flint_engine::prelude::*;
///
/// let session = Session::builder().master("local[2]").build()?;
/// // The geometric mean: buffer (sum of logs, count).
/// let geo_mean = udaf(
///     "geo_mean",
///     (0.0f64, 0u64),
///     |(logs, n), x: f64| (logs + x.ln(), n + 1),
///     |a, b| (a.0 + b.0, a.1 + b.1),
///     |(logs, n)| (n > 0).then(|| (logs / n as f64).exp()),
/// );
/// let df = session.create_dataframe(vec![("a".to_string(), 2.0), ("a".to_string(), 8.0)], &["k", "x"])?;
/// let rows = df.group_by(["k"]).agg([geo_mean.call(col("x"))])?.collect()?;
/// assert!((rows[0].get_as::<f64>("geo_mean(x)")? - 4.0).abs() < 1e-12);
/// # Ok::<(), flint_engine::Error>(())
/// ```
pub fn udaf<In, Buf, Out>(
    name: &str,
    zero: Buf,
    reduce: impl Fn(Buf, In) -> Buf + Send + Sync + 'static,
    merge: impl Fn(Buf, Buf) -> Buf + Send + Sync + 'static,
    finish: impl Fn(Buf) -> Out + Send + Sync + 'static,
) -> Udaf
where
    In: UdfArg,
    Buf: Clone + Serialize + DeserializeOwned + Send + Sync + 'static,
    Out: UdfResult,
{
    let fns = Arc::new(Fns {
        name: name.to_string(),
        zero,
        reduce: Box::new(reduce),
        merge: Box::new(merge),
        finish: Box::new(finish),
    });
    let input_type = In::data_type();
    let make_type = input_type.clone();
    let make: Arc<MakeAccumulator> = Arc::new(move || {
        Box::new(TypedAccumulator::<In, Buf, Out> {
            fns: Arc::clone(&fns),
            buf: fns.zero.clone(),
            input_type: make_type.clone(),
            _types: PhantomData,
        })
    });
    let inner = ClosureUdaf {
        name: name.to_string(),
        signature: Signature::exact(vec![input_type], Volatility::Immutable),
        return_type: <Out::Value as SqlValue>::data_type(),
        make,
    };
    Udaf { udaf: Arc::new(AggregateUDF::new_from_impl(inner)) }
}

impl Udaf {
    /// The aggregate of a column, named `name(arg)` as Spark names it.
    pub fn call(&self, arg: impl Into<Column>) -> Column {
        let arg = arg.into();
        let display = format!("{}({})", self.udaf.name(), arg.expr().schema_name());
        Column::new(self.udaf.call(vec![arg.expr().clone()]).alias(display))
    }

    /// The function's name.
    pub fn name(&self) -> &str {
        self.udaf.name()
    }
}

impl crate::session::Session {
    /// Makes an aggregate UDF callable from SQL under its name.
    pub fn register_udaf(&self, f: &Udaf) -> Result<()> {
        self.ctx.sql_state()?.ctx.register_udaf(f.udaf.as_ref().clone());
        Ok(())
    }
}
