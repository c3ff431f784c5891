//! Accumulators: variables that tasks add to and only the driver reads (Spark's `AccumulatorV2`).
//!
//! A task's additions are buffered in its [`TaskContext`] and merged into the accumulator only when the task
//! succeeds, so a failed task's updates never count. As in Spark, an update made inside a *transformation* counts
//! again if that partition is recomputed (say, after a cached block was evicted); updates made in actions such as
//! `foreach` count once per partition.

use crate::scheduler::task::{TaskContext, with_current};
use std::any::Any;
use std::fmt;
use std::marker::PhantomData;
use std::sync::{Arc, Mutex};

/// How values of an accumulator combine.
pub trait AccumulatorParam: Send + Sync + 'static {
    /// What tasks add.
    type In;
    /// What the driver reads.
    type Value: Clone + Send + Sync + fmt::Debug + 'static;
    /// The neutral value.
    fn zero(&self) -> Self::Value;
    /// Adds one input.
    fn add(&self, acc: &mut Self::Value, input: Self::In);
    /// Merges a task's partial value.
    fn merge(&self, acc: &mut Self::Value, other: Self::Value);
    /// A task's update as [`Event::TaskEnd`](crate::scheduler::listener::Event::TaskEnd) reports it: the value a user
    /// reads, as Spark's UI shows it (a sum for the number accumulators, not their internal `(sum, count)`).
    fn show(&self, value: &Self::Value) -> String {
        format!("{value:?}")
    }
}

/// Sum and count of `i64` inputs.
#[derive(Debug, Clone, Copy, Default)]
pub struct LongParam;

impl AccumulatorParam for LongParam {
    type In = i64;
    type Value = (i64, u64);
    fn zero(&self) -> (i64, u64) {
        (0, 0)
    }
    fn add(&self, acc: &mut (i64, u64), input: i64) {
        acc.0 = acc.0.wrapping_add(input);
        acc.1 += 1;
    }
    fn merge(&self, acc: &mut (i64, u64), other: (i64, u64)) {
        acc.0 = acc.0.wrapping_add(other.0);
        acc.1 += other.1;
    }
    fn show(&self, value: &(i64, u64)) -> String {
        value.0.to_string()
    }
}

/// Sum and count of `f64` inputs.
#[derive(Debug, Clone, Copy, Default)]
pub struct DoubleParam;

impl AccumulatorParam for DoubleParam {
    type In = f64;
    type Value = (f64, u64);
    fn zero(&self) -> (f64, u64) {
        (0.0, 0)
    }
    fn add(&self, acc: &mut (f64, u64), input: f64) {
        acc.0 += input;
        acc.1 += 1;
    }
    fn merge(&self, acc: &mut (f64, u64), other: (f64, u64)) {
        acc.0 += other.0;
        acc.1 += other.1;
    }
    fn show(&self, value: &(f64, u64)) -> String {
        format!("{:?}", value.0)
    }
}

/// A list of inputs, in no particular order across tasks.
#[derive(Debug)]
pub struct CollectionParam<T>(PhantomData<fn() -> T>);

impl<T: Clone + Send + Sync + fmt::Debug + 'static> AccumulatorParam for CollectionParam<T> {
    type In = T;
    type Value = Vec<T>;
    fn zero(&self) -> Vec<T> {
        Vec::new()
    }
    fn add(&self, acc: &mut Vec<T>, input: T) {
        acc.push(input);
    }
    fn merge(&self, acc: &mut Vec<T>, other: Vec<T>) {
        acc.extend(other);
    }
}

pub(crate) fn long_param() -> LongParam {
    LongParam
}

pub(crate) fn double_param() -> DoubleParam {
    DoubleParam
}

pub(crate) fn collection_param<T>() -> CollectionParam<T> {
    CollectionParam(PhantomData)
}

struct Inner<P: AccumulatorParam> {
    id: usize,
    name: Option<String>,
    param: P,
    value: Mutex<P::Value>,
}

/// An accumulator; clone it into closures. See the module docs for when updates count.
pub struct Accumulator<P: AccumulatorParam> {
    inner: Arc<Inner<P>>,
}

/// `i64` accumulator: `value()` is the sum, `count()` the number of additions.
pub type LongAccumulator = Accumulator<LongParam>;
/// `f64` accumulator: `value()` is the sum, `count()` the number of additions.
pub type DoubleAccumulator = Accumulator<DoubleParam>;
/// Accumulator of a list of values.
pub type CollectionAccumulator<T> = Accumulator<CollectionParam<T>>;

impl<P: AccumulatorParam> Clone for Accumulator<P> {
    fn clone(&self) -> Self {
        Accumulator { inner: Arc::clone(&self.inner) }
    }
}

impl<P: AccumulatorParam> fmt::Debug for Accumulator<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Accumulator")
            .field("id", &self.inner.id)
            .field("name", &self.inner.name)
            .field("value", &self.raw())
            .finish()
    }
}

/// A task's buffered update of one accumulator.
pub(crate) trait PendingAccumulator: Send {
    fn id(&self) -> usize;
    fn as_any_mut(&mut self) -> &mut dyn Any;
    /// Merges into the accumulator; returns `(name, update)` for named accumulators.
    fn commit(self: Box<Self>) -> Option<(String, String)>;
}

struct Pending<P: AccumulatorParam> {
    target: Arc<Inner<P>>,
    value: P::Value,
}

impl<P: AccumulatorParam> PendingAccumulator for Pending<P> {
    fn id(&self) -> usize {
        self.target.id
    }

    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }

    fn commit(self: Box<Self>) -> Option<(String, String)> {
        let report = self.target.name.as_ref().map(|n| (n.clone(), self.target.param.show(&self.value)));
        let mut value = self.target.value.lock().unwrap_or_else(|e| e.into_inner());
        self.target.param.merge(&mut value, self.value);
        report
    }
}

impl<P: AccumulatorParam> Accumulator<P> {
    pub(crate) fn new(id: usize, name: Option<String>, param: P) -> Self {
        let value = Mutex::new(param.zero());
        Accumulator { inner: Arc::new(Inner { id, name, param, value }) }
    }

    /// Session-wide id.
    pub fn id(&self) -> usize {
        self.inner.id
    }

    /// The name given at creation.
    pub fn name(&self) -> Option<&str> {
        self.inner.name.as_deref()
    }

    /// Adds a value: buffered in the running task, or applied at once on the driver.
    pub fn add(&self, input: P::In) {
        let mut input = Some(input);
        with_current(|tc: Option<&TaskContext>| {
            let Some(tc) = tc else { return };
            tc.with_accumulator(
                self.inner.id,
                || Box::new(Pending { target: Arc::clone(&self.inner), value: self.inner.param.zero() }),
                |pending| {
                    if let (Some(p), Some(v)) = (pending.as_any_mut().downcast_mut::<Pending<P>>(), input.take()) {
                        self.inner.param.add(&mut p.value, v);
                    }
                },
            );
        });
        if let Some(v) = input {
            let mut value = self.inner.value.lock().unwrap_or_else(|e| e.into_inner());
            self.inner.param.add(&mut value, v);
        }
    }

    fn raw(&self) -> P::Value {
        self.inner.value.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Sets the value back to zero (driver only).
    pub fn reset(&self) {
        *self.inner.value.lock().unwrap_or_else(|e| e.into_inner()) = self.inner.param.zero();
    }
}

impl Accumulator<LongParam> {
    /// The sum of the values added by successful tasks.
    pub fn value(&self) -> i64 {
        self.raw().0
    }

    /// How many values were added.
    pub fn count(&self) -> u64 {
        self.raw().1
    }

    /// The mean of the values added (`NaN` when none was).
    pub fn avg(&self) -> f64 {
        let (sum, count) = self.raw();
        sum as f64 / count as f64
    }
}

impl Accumulator<DoubleParam> {
    /// The sum of the values added by successful tasks.
    pub fn value(&self) -> f64 {
        self.raw().0
    }

    /// How many values were added.
    pub fn count(&self) -> u64 {
        self.raw().1
    }

    /// The mean of the values added (`NaN` when none was).
    pub fn avg(&self) -> f64 {
        let (sum, count) = self.raw();
        sum / count as f64
    }
}

impl<T: Clone + Send + Sync + fmt::Debug + 'static> Accumulator<CollectionParam<T>> {
    /// The values added by successful tasks.
    pub fn value(&self) -> Vec<T> {
        self.raw()
    }
}
