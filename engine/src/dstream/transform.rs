//! Transformations of any stream: per-batch RDD operations, unions, and windows.

use super::{DStream, Node, lock, millis};
use crate::error::{Error, Result};
use crate::rdd::{BoxIter, Data, Rdd};
use crate::storage::StorageLevel;
use std::hash::Hash;
use std::sync::Arc;
use std::time::Duration;

impl<T: Data> DStream<T> {
    /// A stream whose RDD of each batch is `f` of this stream's.
    pub(super) fn derive<U: Data>(
        &self,
        class: &'static str,
        f: impl Fn(&Rdd<T>) -> Result<Rdd<U>> + Send + Sync + 'static,
    ) -> Result<DStream<U>> {
        let parent = Arc::clone(&self.node);
        let compute = move |_: &Node<U>, time| parent.get_or_compute(time)?.map(|rdd| f(&rdd)).transpose();
        DStream::create(Node::new(&self.node.core, class, self.node.slide_ms, vec![self.as_parent()], compute))
    }

    /// Applies `f` to every element.
    pub fn map<U: Data>(&self, f: impl Fn(T) -> U + Send + Sync + 'static) -> Result<DStream<U>> {
        let f = Arc::new(f);
        self.derive("MappedDStream", move |rdd| {
            let f = Arc::clone(&f);
            Ok(rdd.map(move |x| f(x)))
        })
    }

    /// Applies `f` to every element and flattens the results.
    pub fn flat_map<U: Data, I>(&self, f: impl Fn(T) -> I + Send + Sync + 'static) -> Result<DStream<U>>
    where
        I: IntoIterator<Item = U> + 'static,
        I::IntoIter: Send + 'static,
    {
        let f = Arc::new(f);
        self.derive("FlatMappedDStream", move |rdd| {
            let f = Arc::clone(&f);
            Ok(rdd.flat_map(move |x| f(x)))
        })
    }

    /// Keeps the elements for which `f` is true.
    pub fn filter(&self, f: impl Fn(&T) -> bool + Send + Sync + 'static) -> Result<DStream<T>> {
        let f = Arc::new(f);
        self.derive("FilteredDStream", move |rdd| {
            let f = Arc::clone(&f);
            Ok(rdd.filter(move |x| f(x)))
        })
    }

    /// Transforms each partition of each batch as a whole.
    pub fn map_partitions<U: Data, I>(&self, f: impl Fn(BoxIter<T>) -> I + Send + Sync + 'static) -> Result<DStream<U>>
    where
        I: IntoIterator<Item = U> + 'static,
        I::IntoIter: Send + 'static,
    {
        let f = Arc::new(f);
        self.derive("MapPartitionedDStream", move |rdd| {
            let f = Arc::clone(&f);
            Ok(rdd.map_partitions(move |it| f(it)))
        })
    }

    /// Any RDD-to-RDD function of each batch, e.g. a join with a static RDD (Spark's `transform`).
    pub fn transform<U: Data>(
        &self,
        f: impl Fn(&Rdd<T>) -> Result<Rdd<U>> + Send + Sync + 'static,
    ) -> Result<DStream<U>> {
        self.derive("TransformedDStream", f)
    }

    /// The elements of both streams, batch by batch; both must slide alike.
    pub fn union(&self, other: &DStream<T>) -> Result<DStream<T>> {
        if self.node.slide_ms != other.node.slide_ms {
            return Err(Error::Incompatible(format!(
                "Some of the DStreams have different slide durations ({} ms and {} ms)",
                self.node.slide_ms, other.node.slide_ms
            )));
        }
        let (a, b) = (Arc::clone(&self.node), Arc::clone(&other.node));
        let session = self.node.core.session.clone();
        let compute = move |_: &Node<T>, time| {
            let rdds: Vec<Rdd<T>> = a.get_or_compute(time)?.into_iter().chain(b.get_or_compute(time)?).collect();
            Ok((!rdds.is_empty()).then(|| session.union(&rdds)))
        };
        let parents = vec![self.as_parent(), other.as_parent()];
        DStream::create(Node::new(&self.node.core, "UnionDStream", self.node.slide_ms, parents, compute))
    }

    /// Each batch's number of elements, as a one-element RDD (`0` for an empty batch, as in Spark).
    pub fn count(&self) -> Result<DStream<u64>> {
        self.derive("MappedDStream", |rdd| {
            let zero = rdd.session().parallelize(vec![((), 0u64)], 1);
            Ok(rdd.map(|_| ((), 1u64)).union(&zero).reduce_by_key_with_partitions(|a, b| a + b, 1).values())
        })
    }

    /// Each batch reduced to one element with an associative and commutative `f` (an empty RDD for an empty
    /// batch).
    pub fn reduce(&self, f: impl Fn(T, T) -> T + Send + Sync + 'static) -> Result<DStream<T>> {
        let f = Arc::new(f);
        self.derive("MappedDStream", move |rdd| {
            let f = Arc::clone(&f);
            Ok(rdd.map(|x| ((), x)).reduce_by_key_with_partitions(move |a, b| f(a, b), 1).values())
        })
    }

    /// How many times each distinct element occurs in each batch.
    pub fn count_by_value(&self) -> Result<DStream<(T, u64)>>
    where
        T: Hash + Eq,
    {
        let partitions = self.node.core.session.default_parallelism();
        self.derive("ShuffledDStream", move |rdd| {
            Ok(rdd.map(|x| (x, 1u64)).reduce_by_key_with_partitions(|a, b| a + b, partitions))
        })
    }

    /// The window and slide in milliseconds, checked as Spark checks them: multiples of this stream's slide.
    pub(super) fn window_params(&self, window: Duration, slide: Duration) -> Result<(i64, i64)> {
        let (window_ms, slide_ms) = (millis("window_duration", window)?, millis("slide_duration", slide)?);
        let parent = self.node.slide_ms;
        for (name, what, ms) in [("window_duration", "window", window_ms), ("slide_duration", "slide", slide_ms)] {
            if ms % parent != 0 {
                return Err(Error::param(
                    name,
                    format!(
                        "The {what} duration of windowed DStream ({ms} ms) must be a multiple of the slide \
                         duration of parent DStream ({parent} ms)"
                    ),
                ));
            }
        }
        Ok((window_ms, slide_ms))
    }

    /// Every `slide_duration`, the elements of the batches of the last `window_duration` (Spark's `window`).
    /// Both must be multiples of this stream's slide.
    pub fn window(&self, window_duration: Duration, slide_duration: Duration) -> Result<DStream<T>> {
        let (window_ms, slide_ms) = self.window_params(window_duration, slide_duration)?;
        let parent = Arc::clone(&self.node);
        let session = self.node.core.session.clone();
        let compute = move |_: &Node<T>, time: i64| {
            Ok(Some(session.union(&parent.slice(time - window_ms + parent.slide_ms, time)?)))
        };
        let node = Node::new(&self.node.core, "WindowedDStream", slide_ms, vec![self.as_parent()], compute);
        let windowed = DStream::create(node.windowed(window_ms))?;
        // Each batch is read by several windows: kept once computed, as Spark persists a window's parent.
        *lock(&self.node.storage) = StorageLevel::MEMORY_ONLY_SER;
        Ok(windowed)
    }

    /// The elements of each window reduced with an associative and commutative `f` (Spark's `reduceByWindow`):
    /// each batch is reduced, then the window's reductions.
    pub fn reduce_by_window(
        &self,
        f: impl Fn(T, T) -> T + Send + Sync + 'static,
        window_duration: Duration,
        slide_duration: Duration,
    ) -> Result<DStream<T>> {
        let f = Arc::new(f);
        let g = Arc::clone(&f);
        self.reduce(move |a, b| f(a, b))?.window(window_duration, slide_duration)?.reduce(move |a, b| g(a, b))
    }

    /// [`reduce_by_window`](Self::reduce_by_window) computed incrementally: the previous window's value, with
    /// the batches that left the window taken out by `inv_f` and those that entered reduced in. Needs a
    /// checkpoint directory, as Spark's does.
    pub fn reduce_by_window_inv(
        &self,
        f: impl Fn(T, T) -> T + Send + Sync + 'static,
        inv_f: impl Fn(T, T) -> T + Send + Sync + 'static,
        window_duration: Duration,
        slide_duration: Duration,
    ) -> Result<DStream<T>> {
        let keyed = self.map(|x| ((), x))?;
        let window = keyed.reduced_window(Arc::new(f), Arc::new(inv_f), window_duration, slide_duration, None, 1)?;
        window.map(|(_, x)| x)
    }

    /// The number of elements in each window (Spark's `countByWindow`), counted incrementally as Spark does, so
    /// it needs a checkpoint directory. As in Spark, windows before the first element have no count (an empty
    /// RDD); once elements have left the window, an empty window counts 0.
    pub fn count_by_window(&self, window_duration: Duration, slide_duration: Duration) -> Result<DStream<u64>> {
        self.map(|_| 1u64)?.reduce_by_window_inv(|a, b| a + b, |a, b| a - b, window_duration, slide_duration)
    }
}
