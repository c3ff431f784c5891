//! The streaming context: the graph of streams, its life cycle, and the batch loop.

use super::{StreamNode, lock, millis, state};
use crate::error::{Error, Result};
use crate::session::Session;
use crate::streaming::now_ms;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, Weak};
use std::thread::JoinHandle;
use std::time::Duration;

/// Spark's `StreamingContextState`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamingContextState {
    /// Created; streams and outputs may be added.
    Initialized,
    /// Started (by `start()` or `run_batches`).
    Active,
    /// Stopped; it cannot be started again.
    Stopped,
}

/// Where the context is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lifecycle {
    Initialized,
    /// Driven by `run_batches`: the next batch runs at `next_ms`.
    Manual {
        next_ms: i64,
    },
    /// Driven by the batch thread of `start()`.
    Running,
    Stopped,
}

/// What the batch thread and the handles share of the run.
struct Run {
    lifecycle: Lifecycle,
    /// The error a batch of the batch thread failed with, until `await_termination` or `stop` reports it.
    failure: Option<Error>,
}

/// An output operation: runs a job on its stream's RDD of each batch (Spark's `ForEachDStream`).
pub(crate) trait OutputOp: Send + Sync {
    fn stream(&self) -> Arc<dyn StreamNode>;
    fn run(&self, time_ms: i64) -> Result<()>;
}

/// An input that receives data from outside while the context runs (Spark's `Receiver`).
pub(crate) trait Receiver: Send + Sync {
    fn start(&self) -> Result<()>;
    fn stop(&self);
}

/// The outputs and receivers, which the context owns; streams reach it weakly, to register outputs.
#[derive(Default)]
pub(crate) struct Graph {
    outputs: Vec<Arc<dyn OutputOp>>,
    receivers: Vec<Arc<dyn Receiver>>,
}

/// What every stream shares of its context.
pub(crate) struct Core {
    pub(crate) session: Session,
    pub(crate) batch_ms: i64,
    checkpoint_dir: Mutex<Option<PathBuf>>,
    /// The time before the first batch; set when the context starts.
    zero_ms: Mutex<Option<i64>>,
    /// The last batch of the checkpoint `get_or_create` recovered from.
    recovered_ms: Mutex<Option<i64>>,
    next_state_index: AtomicUsize,
    run: Mutex<Run>,
    changed: Condvar,
    graph: Weak<Mutex<Graph>>,
}

impl Core {
    /// Spark's rule: streams and outputs can only be added before the context starts.
    pub(crate) fn check_can_add(&self) -> Result<()> {
        let when = match lock(&self.run).lifecycle {
            Lifecycle::Initialized => return Ok(()),
            Lifecycle::Stopped => "stopping",
            Lifecycle::Manual { .. } | Lifecycle::Running => "starting",
        };
        Err(Error::Plan(format!(
            "Adding new inputs, transformations, and output operations after {when} a context is not supported"
        )))
    }

    /// Whether a stream sliding every `slide_ms` has an RDD at `time` (Spark's `isTimeValid`).
    pub(crate) fn is_valid_time(&self, time: i64, slide_ms: i64) -> bool {
        lock(&self.zero_ms).is_some_and(|zero| time > zero && (time - zero) % slide_ms == 0)
    }

    pub(crate) fn zero_ms(&self) -> Option<i64> {
        *lock(&self.zero_ms)
    }

    pub(crate) fn checkpoint_dir(&self) -> Option<PathBuf> {
        lock(&self.checkpoint_dir).clone()
    }

    /// The last batch of the checkpoint recovered by `get_or_create`, if any.
    pub(crate) fn recovered_ms(&self) -> Option<i64> {
        *lock(&self.recovered_ms)
    }

    /// A stateful stream's number, naming its folder of the checkpoint: streams are numbered in the order they
    /// are defined, so a program that defines the same streams finds its state again.
    pub(crate) fn next_state_index(&self) -> usize {
        self.next_state_index.fetch_add(1, Ordering::Relaxed)
    }

    pub(crate) fn add_output(&self, output: Arc<dyn OutputOp>) -> Result<()> {
        self.check_can_add()?;
        lock(&*self.graph()?).outputs.push(output);
        Ok(())
    }

    pub(crate) fn add_receiver(&self, receiver: Arc<dyn Receiver>) -> Result<()> {
        self.check_can_add()?;
        lock(&*self.graph()?).receivers.push(receiver);
        Ok(())
    }

    fn graph(&self) -> Result<Arc<Mutex<Graph>>> {
        self.graph.upgrade().ok_or_else(|| Error::Plan("the StreamingContext of this DStream was dropped".into()))
    }
}

/// Runs one batch: every output's job in the order they were registered, then forgets the RDDs no stream needs
/// any more, then records the batch in the checkpoint. `start()` and `run_batches` both run batches with it.
fn run_batch(core: &Core, graph: &Mutex<Graph>, time_ms: i64) -> Result<()> {
    let outputs = lock(graph).outputs.clone();
    for output in &outputs {
        output.run(time_ms)?;
    }
    for output in &outputs {
        output.stream().forget(time_ms);
    }
    match core.checkpoint_dir() {
        Some(dir) => state::commit_batch(&dir, time_ms),
        None => Ok(()),
    }
}

fn any_must_checkpoint(node: &dyn StreamNode) -> bool {
    node.must_checkpoint() || node.parents().iter().any(|p| any_must_checkpoint(p.as_ref()))
}

/// The entry point of DStreams (Spark's `StreamingContext`): makes input streams, and runs the registered
/// output operations every batch interval.
///
/// `start()` runs batches in real time on a thread, as Spark does. [`run_batches`](Self::run_batches) instead
/// runs `n` batches at once at the times `k · interval` (`k` from 1) with no waiting, so that tests and
/// notebooks do not depend on the wall clock (Spark's tests use a manual clock for the same reason).
///
/// ```
/// use flint_engine::prelude::*;
/// use std::collections::VecDeque;
/// use std::sync::{Arc, Mutex};
/// use std::time::Duration;
///
/// let session = Session::builder().master("local[2]").get_or_create()?;
/// let ssc = StreamingContext::new(&session, Duration::from_secs(1))?;
/// let batches = VecDeque::from([
///     session.parallelize(vec!["a b".to_string(), "b".to_string()], 2),
///     session.parallelize(vec!["c b".to_string()], 1),
/// ]);
/// let counts = ssc
///     .queue_stream(batches, true)?
///     .flat_map(|line| line.split(' ').map(str::to_string).collect::<Vec<_>>())?
///     .map(|word| (word, 1))?
///     .reduce_by_key(|a, b| a + b)?;
/// let seen = Arc::new(Mutex::new(Vec::new()));
/// let sink = Arc::clone(&seen);
/// counts.foreach_rdd(move |rdd, time| {
///     let mut batch = rdd.collect()?;
///     batch.sort();
///     sink.lock().unwrap().push((time.milliseconds(), batch));
///     Ok(())
/// })?;
/// ssc.run_batches(2)?;
/// let ab = vec![("a".to_string(), 1), ("b".to_string(), 2)];
/// let bc = vec![("b".to_string(), 1), ("c".to_string(), 1)];
/// assert_eq!(*seen.lock().unwrap(), vec![(1000, ab), (2000, bc)]);
/// ssc.stop(false)?;
/// # Ok::<(), flint_engine::Error>(())
/// ```
pub struct StreamingContext {
    core: Arc<Core>,
    graph: Arc<Mutex<Graph>>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

impl std::fmt::Debug for StreamingContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StreamingContext")
            .field("batch_interval_ms", &self.core.batch_ms)
            .field("state", &self.state())
            .finish()
    }
}

impl StreamingContext {
    /// A context over `session` cutting streams into batches of `batch_interval` (Spark's
    /// `new StreamingContext(sc, Seconds(1))`), a positive whole number of milliseconds.
    pub fn new(session: &Session, batch_interval: Duration) -> Result<StreamingContext> {
        let batch_ms = millis("batch_interval", batch_interval)?;
        let graph = Arc::new(Mutex::new(Graph::default()));
        let core = Core {
            session: session.clone(),
            batch_ms,
            checkpoint_dir: Mutex::new(None),
            zero_ms: Mutex::new(None),
            recovered_ms: Mutex::new(None),
            next_state_index: AtomicUsize::new(0),
            run: Mutex::new(Run { lifecycle: Lifecycle::Initialized, failure: None }),
            changed: Condvar::new(),
            graph: Arc::downgrade(&graph),
        };
        Ok(StreamingContext { core: Arc::new(core), graph, thread: Mutex::new(None) })
    }

    /// Recovers a context from the checkpoint in `checkpoint_dir` if there is one (Spark's
    /// `StreamingContext.getOrCreate`). Closures cannot be saved, so unlike Spark `create` always runs and must
    /// define the same streams in the same order; the context then checkpoints to `checkpoint_dir`, and when the
    /// directory holds a checkpoint, its first batch follows the last one recorded there and each
    /// `update_state_by_key` stream starts from the state it had then. Windows start empty again.
    pub fn get_or_create(
        checkpoint_dir: impl AsRef<Path>,
        create: impl FnOnce() -> Result<StreamingContext>,
    ) -> Result<StreamingContext> {
        let dir = checkpoint_dir.as_ref();
        let last = state::last_batch(dir)?;
        let ssc = create()?;
        ssc.checkpoint(dir)?;
        *lock(&ssc.core.recovered_ms) = last;
        Ok(ssc)
    }

    /// The session the batches run on (Spark's `ssc.sparkContext`).
    pub fn session(&self) -> &Session {
        &self.core.session
    }

    /// Where stateful streams write their state every batch (created if missing), so their lineage stays short
    /// and [`get_or_create`](Self::get_or_create) can recover them.
    pub fn checkpoint(&self, dir: impl AsRef<Path>) -> Result<()> {
        let dir = dir.as_ref();
        std::fs::create_dir_all(dir).map_err(|e| Error::io("creating the checkpoint directory", dir, e))?;
        let dir = std::path::absolute(dir).map_err(|e| Error::io("resolving", dir, e))?;
        *lock(&self.core.checkpoint_dir) = Some(dir);
        Ok(())
    }

    /// Spark's `getState`.
    pub fn state(&self) -> StreamingContextState {
        match lock(&self.core.run).lifecycle {
            Lifecycle::Initialized => StreamingContextState::Initialized,
            Lifecycle::Manual { .. } | Lifecycle::Running => StreamingContextState::Active,
            Lifecycle::Stopped => StreamingContextState::Stopped,
        }
    }

    pub(crate) fn core(&self) -> &Arc<Core> {
        &self.core
    }

    /// Checks the graph as Spark does when it starts, sets how long each stream keeps its RDDs, and starts the
    /// receivers.
    fn prepare(&self) -> Result<()> {
        let graph = lock(&self.graph);
        if graph.outputs.is_empty() {
            return Err(Error::Plan("No output operations registered, so nothing to execute".into()));
        }
        if self.core.checkpoint_dir().is_none() && graph.outputs.iter().any(|o| any_must_checkpoint(&*o.stream())) {
            return Err(Error::Plan(
                "The checkpoint directory has not been set. Please set it by StreamingContext.checkpoint().".into(),
            ));
        }
        for output in &graph.outputs {
            // Each stream keeps at least its slide; windows make their parents keep more.
            output.stream().remember(0);
        }
        for (i, receiver) in graph.receivers.iter().enumerate() {
            if let Err(e) = receiver.start() {
                graph.receivers[..i].iter().for_each(|r| r.stop());
                return Err(e);
            }
        }
        Ok(())
    }

    /// Starts running a batch every batch interval on a thread (Spark's `start`): batch times are multiples of
    /// the interval since the epoch, the first one after now. Errors if no output operation is registered, if a
    /// stateful stream has no checkpoint directory, or if an input cannot start (a socket that refuses the
    /// connection). A batch that fails stops the batch loop; `await_termination` or `stop` returns its error.
    pub fn start(&self) -> Result<()> {
        let mut run = lock(&self.core.run);
        match run.lifecycle {
            Lifecycle::Initialized => {}
            // As in Spark, starting a started context does nothing.
            Lifecycle::Running => return Ok(()),
            Lifecycle::Manual { .. } => {
                return Err(Error::Plan("this StreamingContext is driven by run_batches; it cannot start()".into()));
            }
            Lifecycle::Stopped => return Err(Error::Plan("StreamingContext has already been stopped".into())),
        }
        self.prepare()?;
        let batch = self.core.batch_ms;
        let first = (now_ms() / batch + 1) * batch;
        *lock(&self.core.zero_ms) = Some(first - batch);
        run.lifecycle = Lifecycle::Running;
        drop(run);
        let (core, graph) = (Arc::clone(&self.core), Arc::clone(&self.graph));
        let thread = std::thread::Builder::new()
            .name("dstream-batches".into())
            .spawn(move || batch_loop(&core, &graph, first))
            .map_err(|e| Error::Internal(format!("starting the batch thread: {e}")))?;
        *lock(&self.thread) = Some(thread);
        Ok(())
    }

    /// Runs the next `n` batches now, one after another, without waiting for the clock: the first call starts
    /// the context (with the checks of [`start`](Self::start)) and runs batches at `interval`, `2 · interval`, …
    /// milliseconds (after the last recovered batch with [`get_or_create`](Self::get_or_create)); later calls
    /// go on from there. Returns the first error of a batch. Not part of Spark; see the type's documentation.
    pub fn run_batches(&self, n: usize) -> Result<()> {
        let mut next_ms = {
            let mut run = lock(&self.core.run);
            match run.lifecycle {
                Lifecycle::Manual { next_ms } => next_ms,
                Lifecycle::Initialized => {
                    self.prepare()?;
                    let zero = self.core.recovered_ms().unwrap_or(0);
                    *lock(&self.core.zero_ms) = Some(zero);
                    run.lifecycle = Lifecycle::Manual { next_ms: zero + self.core.batch_ms };
                    zero + self.core.batch_ms
                }
                Lifecycle::Running => {
                    return Err(Error::Plan(
                        "this StreamingContext was started with start(); it runs its own \
                                            batches"
                            .into(),
                    ));
                }
                Lifecycle::Stopped => return Err(Error::Plan("StreamingContext has already been stopped".into())),
            }
        };
        for _ in 0..n {
            // Not under the lock: an output operation may look at the context.
            let result = run_batch(&self.core, &self.graph, next_ms);
            next_ms += self.core.batch_ms;
            let mut run = lock(&self.core.run);
            if run.lifecycle == Lifecycle::Stopped {
                return result;
            }
            run.lifecycle = Lifecycle::Manual { next_ms };
            drop(run);
            result?;
        }
        Ok(())
    }

    /// Stops the batches (after the one running) and the receivers, and the session too if
    /// `stop_spark_context` (Spark's `stop(stopSparkContext)`). Returns the error a batch of `start()` failed
    /// with if `await_termination` has not reported it. Stopping a stopped context does nothing.
    pub fn stop(&self, stop_spark_context: bool) -> Result<()> {
        let previous = {
            let mut run = lock(&self.core.run);
            std::mem::replace(&mut run.lifecycle, Lifecycle::Stopped)
        };
        self.core.changed.notify_all();
        if previous != Lifecycle::Stopped {
            let thread = lock(&self.thread).take();
            let joined = thread.map_or(Ok(()), |t| t.join());
            for receiver in &lock(&self.graph).receivers {
                receiver.stop();
            }
            if stop_spark_context {
                self.core.session.stop();
            }
            joined.map_err(|_| Error::Internal("the DStream batch thread panicked".into()))?;
        }
        match lock(&self.core.run).failure.take() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    /// Waits until the context is stopped, or returns the error a batch failed with (Spark's
    /// `awaitTermination`). A context that was never started waits for `stop` too, as in Spark.
    pub fn await_termination(&self) -> Result<()> {
        self.wait(None).map(|_| ())
    }

    /// Waits at most `timeout` for the context to stop: `true` if it stopped, `false` on timeout, the error of
    /// a failed batch if one failed (Spark's `awaitTerminationOrTimeout`).
    pub fn await_termination_or_timeout(&self, timeout: Duration) -> Result<bool> {
        self.wait(Some(timeout))
    }

    fn wait(&self, timeout: Option<Duration>) -> Result<bool> {
        let deadline = timeout.map(|t| std::time::Instant::now() + t);
        let mut run = lock(&self.core.run);
        loop {
            if let Some(e) = run.failure.take() {
                return Err(e);
            }
            if run.lifecycle == Lifecycle::Stopped {
                return Ok(true);
            }
            run = match deadline {
                None => self.core.changed.wait(run).unwrap_or_else(|e| e.into_inner()),
                Some(deadline) => {
                    let left = deadline.saturating_duration_since(std::time::Instant::now());
                    if left.is_zero() {
                        return Ok(false);
                    }
                    self.core.changed.wait_timeout(run, left).unwrap_or_else(|e| e.into_inner()).0
                }
            };
        }
    }
}

impl Drop for StreamingContext {
    /// A dropped context stops its batch thread and receivers (the session goes on).
    fn drop(&mut self) {
        let _ = self.stop(false);
    }
}

/// The batch thread of `start()`: runs the batch of each interval once its time has come, late ones at once.
fn batch_loop(core: &Core, graph: &Mutex<Graph>, first_ms: i64) {
    let mut time_ms = first_ms;
    loop {
        {
            let mut run = lock(&core.run);
            loop {
                if run.lifecycle != Lifecycle::Running {
                    return;
                }
                let wait = time_ms - now_ms();
                if wait <= 0 {
                    break;
                }
                let wait = Duration::from_millis(wait.unsigned_abs());
                run = core.changed.wait_timeout(run, wait).unwrap_or_else(|e| e.into_inner()).0;
            }
        }
        if let Err(e) = run_batch(core, graph, time_ms) {
            lock(&core.run).failure = Some(e);
            core.changed.notify_all();
            return;
        }
        time_ms += core.batch_ms;
    }
}
