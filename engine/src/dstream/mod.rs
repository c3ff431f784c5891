//! Spark Streaming's older API, DStreams: a stream is a sequence of RDDs, one per batch interval, and every
//! operation is an RDD operation applied batch by batch.
//!
//! ```text
//!  StreamingContext ──queue_stream / socket_text_stream / text_file_stream──▶ DStream<T>
//!        │                                      map, window, reduce_by_key, update_state_by_key …
//!        │                                                         ▼
//!        │                    output operations (foreach_rdd, print, save_as_text_files) registered
//!        ▼
//!  every batch time t: each output asks its DStream for the RDD of t (DStream::get_or_compute, cached per time),
//!  which asks its parents, down to the inputs; the output's job runs; RDDs older than each stream needs are
//!  forgotten.
//! ```
//! - [`StreamingContext`]: the batch interval, the inputs and outputs, `start()` (a thread ticking every batch
//!   interval), and [`run_batches`](StreamingContext::run_batches), which runs batches at once at `k ·
//!   interval` for tests and notebooks. Both run one batch the same way.
//! - [`DStream`]: the transformations and output operations. Pair streams (`DStream<(K, V)>`) add Spark's
//!   `PairDStreamFunctions`: per-key reductions, windows, and state.
//! - Batch times are Spark's: batch `k` (from 1) runs at `zero + k · interval`; a stream with a slide of `s`
//!   has an RDD at the times `zero + k · s`. Windows cover the batches in `(t − window, t]`.
//! - Stateful streams (`update_state_by_key`, the incremental `reduce_by_key_and_window_inv`) need
//!   [`StreamingContext::checkpoint`], as in Spark; their state is collected and written there every batch.

mod context;
mod input;
mod output;
mod pair;
mod state;
mod transform;

pub use context::{StreamingContext, StreamingContextState};
pub use input::RddQueue;

use crate::error::{Error, Result};
use crate::rdd::{Data, Rdd};
use crate::storage::StorageLevel;
use context::Core;
use std::collections::BTreeMap;
use std::fmt;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

/// A batch time, in milliseconds since the epoch (or since 0 for batches run by
/// [`run_batches`](StreamingContext::run_batches)); shown as Spark shows it: `1000 ms`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Time(i64);

impl Time {
    /// The time `ms` milliseconds after the epoch.
    pub fn from_millis(ms: i64) -> Self {
        Time(ms)
    }

    /// Milliseconds since the epoch (Spark's `Time.milliseconds`).
    pub fn milliseconds(self) -> i64 {
        self.0
    }
}

impl fmt::Display for Time {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ms", self.0)
    }
}

/// A poisoned lock still holds consistent data here: every update is a single assignment or insertion.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// A duration in whole milliseconds, the unit of Spark's `Duration`.
fn millis(name: &str, d: Duration) -> Result<i64> {
    match i64::try_from(d.as_millis()) {
        Ok(ms) if ms > 0 && d.subsec_nanos().is_multiple_of(1_000_000) => Ok(ms),
        _ => Err(Error::param(
            name,
            format!("{d:?} is not a positive whole number of milliseconds; use e.g. Duration::from_secs(1)"),
        )),
    }
}

/// What the context needs of a DStream whatever its element type: the graph, and how long to keep RDDs.
pub(crate) trait StreamNode: Send + Sync {
    fn parents(&self) -> &[Arc<dyn StreamNode>];
    /// Whether the stream keeps state across batches and so needs a checkpoint directory.
    fn must_checkpoint(&self) -> bool;
    /// Keeps generated RDDs for at least `duration_ms`, and makes the parents keep what this stream reads.
    fn remember(&self, duration_ms: i64);
    /// Forgets the RDDs no longer needed after the batch of `time_ms` (Spark's `clearMetadata`).
    fn forget(&self, time_ms: i64);
}

/// How a stream computes its RDD for a valid batch time (`None`: no RDD at that time).
type ComputeFn<T> = dyn Fn(&Node<T>, i64) -> Result<Option<Rdd<T>>> + Send + Sync;

/// One stream of the graph: its parents, its slide, the RDDs generated so far, and how to compute the next.
pub(crate) struct Node<T: Data> {
    core: Arc<Core>,
    /// Spark's class name (`MappedDStream`, `WindowedDStream`, …), shown by `Debug`.
    class: &'static str,
    slide_ms: i64,
    parents: Vec<Arc<dyn StreamNode>>,
    /// How much longer than this stream its parents keep RDDs: a window's length, so its slices are there.
    parent_extra_ms: i64,
    must_checkpoint: bool,
    remember_ms: AtomicI64,
    storage: Mutex<StorageLevel>,
    generated: Mutex<BTreeMap<i64, Rdd<T>>>,
    compute: Box<ComputeFn<T>>,
}

impl<T: Data> Node<T> {
    fn new(
        core: &Arc<Core>,
        class: &'static str,
        slide_ms: i64,
        parents: Vec<Arc<dyn StreamNode>>,
        compute: impl Fn(&Node<T>, i64) -> Result<Option<Rdd<T>>> + Send + Sync + 'static,
    ) -> Self {
        Node {
            core: Arc::clone(core),
            class,
            slide_ms,
            parents,
            parent_extra_ms: 0,
            must_checkpoint: false,
            remember_ms: AtomicI64::new(slide_ms),
            storage: Mutex::new(StorageLevel::NONE),
            generated: Mutex::new(BTreeMap::new()),
            compute: Box::new(compute),
        }
    }

    /// The parents keep `window_ms` more than this stream does.
    fn windowed(mut self, window_ms: i64) -> Self {
        self.parent_extra_ms = window_ms;
        self
    }

    fn checkpointed(mut self) -> Self {
        self.must_checkpoint = true;
        self
    }

    /// The RDD of batch `time`: the one generated before, or computed now and kept (Spark's `getOrCompute`).
    /// `None` at times that are not a multiple of the slide after the zero time.
    fn get_or_compute(&self, time: i64) -> Result<Option<Rdd<T>>> {
        if !self.core.is_valid_time(time, self.slide_ms) {
            return Ok(None);
        }
        if let Some(rdd) = lock(&self.generated).get(&time) {
            return Ok(Some(rdd.clone()));
        }
        // Computed without the lock: a stateful stream asks for its own RDD of the previous batch.
        let Some(rdd) = (self.compute)(self, time)? else { return Ok(None) };
        let level = *lock(&self.storage);
        // An RDD given with a level of its own (a queue's) keeps it.
        if level.is_valid() && !rdd.storage_level().is_valid() {
            rdd.persist(level)?;
        }
        lock(&self.generated).insert(time, rdd.clone());
        Ok(Some(rdd))
    }

    /// The RDDs of the valid times in `from..=to` (Spark's `slice`).
    fn slice(&self, from: i64, to: i64) -> Result<Vec<Rdd<T>>> {
        let mut rdds = Vec::new();
        let mut time = from;
        while time <= to {
            rdds.extend(self.get_or_compute(time)?);
            time += self.slide_ms;
        }
        Ok(rdds)
    }
}

impl<T: Data> StreamNode for Node<T> {
    fn parents(&self) -> &[Arc<dyn StreamNode>] {
        &self.parents
    }

    fn must_checkpoint(&self) -> bool {
        self.must_checkpoint
    }

    fn remember(&self, duration_ms: i64) {
        let kept = self.remember_ms.fetch_max(duration_ms, Ordering::Relaxed).max(duration_ms);
        for parent in &self.parents {
            parent.remember(kept + self.parent_extra_ms);
        }
    }

    fn forget(&self, time_ms: i64) {
        let keep_after = time_ms - self.remember_ms.load(Ordering::Relaxed);
        // Dropping the last handle of an RDD frees its cached blocks.
        lock(&self.generated).retain(|t, _| *t > keep_after);
        for parent in &self.parents {
            parent.forget(time_ms);
        }
    }
}

/// A discretized stream: one RDD of `T` per batch (Spark's `DStream[T]`).
///
/// Transformations return a new stream; they fail once the context has started, as in Spark. Cloning a
/// `DStream` clones a handle.
pub struct DStream<T: Data> {
    node: Arc<Node<T>>,
}

impl<T: Data> Clone for DStream<T> {
    fn clone(&self) -> Self {
        DStream { node: Arc::clone(&self.node) }
    }
}

impl<T: Data> fmt::Debug for DStream<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}(slide: {} ms)", self.node.class, self.node.slide_ms)
    }
}

impl<T: Data> DStream<T> {
    /// Adds a stream to the graph, unless the context has started.
    fn create(node: Node<T>) -> Result<DStream<T>> {
        node.core.check_can_add()?;
        Ok(DStream { node: Arc::new(node) })
    }

    fn as_parent(&self) -> Arc<dyn StreamNode> {
        Arc::clone(&self.node) as Arc<dyn StreamNode>
    }

    /// How often the stream has an RDD: the batch interval, or a window's slide.
    pub fn slide_duration(&self) -> Duration {
        Duration::from_millis(self.node.slide_ms.unsigned_abs())
    }
}
