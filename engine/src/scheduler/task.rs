//! The context of a running task: where it is, its counters, its accumulator updates, and how it learns that its
//! job was cancelled.

use crate::accumulator::PendingAccumulator;
use crate::error::Error;
use crate::rdd::Runs;
use crate::scheduler::listener::TaskMetrics;
use crate::session::SessionContext;
use std::cell::RefCell;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// State shared by the tasks of one job.
#[derive(Debug)]
pub(crate) struct JobState {
    pub(crate) job_id: usize,
    /// Set when a task failed, so the others stop early.
    pub(crate) abort: AtomicBool,
    /// The session's cancel epoch when the job started; a newer epoch cancels the job.
    pub(crate) epoch: u64,
}

#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) records_read: AtomicU64,
    pub(crate) bytes_read: AtomicU64,
    pub(crate) records_written: AtomicU64,
    pub(crate) shuffle_records_read: AtomicU64,
    pub(crate) shuffle_records_written: AtomicU64,
    pub(crate) shuffle_bytes_written: AtomicU64,
    pub(crate) disk_bytes_spilled: AtomicU64,
    pub(crate) cache_hits: AtomicU64,
}

pub(crate) struct TaskState {
    pub(crate) session: crate::opaque::Opaque<SessionContext>,
    pub(crate) job: Arc<JobState>,
    pub(crate) stage_id: usize,
    pub(crate) partition: usize,
    error: Mutex<Option<Error>>,
    pub(crate) counters: Counters,
    accumulators: Mutex<Vec<Box<dyn PendingAccumulator>>>,
}

/// Where a task runs, and its side channels. Cheap to clone; iterators keep a clone to report errors.
///
/// Inside a closure, [`TaskContext::get`] returns the running task's context (Spark's `TaskContext.get()`).
#[derive(Clone)]
pub struct TaskContext {
    pub(crate) inner: Arc<TaskState>,
    /// Which of the task's pieces this is, as `(index, count)`: a map task over a large text split may run as
    /// several byte ranges at once (see `run_parent_stages`); `(0, 1)` is the whole partition.
    piece: (usize, usize),
}

impl std::fmt::Debug for TaskContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TaskContext")
            .field("stage_id", &self.inner.stage_id)
            .field("partition", &self.inner.partition)
            .finish()
    }
}

thread_local! {
    static CURRENT: RefCell<Option<TaskContext>> = const { RefCell::new(None) };
}

/// Makes a task the thread's current one, and restores the previous one when dropped (a task may wait inside
/// rayon and run another task on the same thread meanwhile).
pub(crate) struct CurrentTask {
    previous: Option<TaskContext>,
}

impl CurrentTask {
    pub(crate) fn enter(tc: &TaskContext) -> Self {
        let previous = CURRENT.with(|c| c.replace(Some(tc.clone())));
        CurrentTask { previous }
    }
}

impl Drop for CurrentTask {
    fn drop(&mut self) {
        let previous = self.previous.take();
        CURRENT.with(|c| *c.borrow_mut() = previous);
    }
}

impl TaskContext {
    pub(crate) fn new(
        session: crate::opaque::Opaque<SessionContext>,
        job: Arc<JobState>,
        stage_id: usize,
        partition: usize,
    ) -> Self {
        TaskContext {
            inner: Arc::new(TaskState {
                session,
                job,
                stage_id,
                partition,
                error: Mutex::new(None),
                counters: Counters::default(),
                accumulators: Mutex::new(Vec::new()),
            }),
            piece: (0, 1),
        }
    }

    /// The same task, computing piece `index` of `count` (its counters, errors and accumulators are shared).
    pub(crate) fn piece_of(&self, index: usize, count: usize) -> TaskContext {
        TaskContext { inner: Arc::clone(&self.inner), piece: (index, count) }
    }

    /// `(index, count)` of the piece this context computes; `(0, 1)` for a whole partition.
    pub(crate) fn piece(&self) -> (usize, usize) {
        self.piece
    }

    /// The context of the task running on this thread, if any.
    pub fn get() -> Option<TaskContext> {
        CURRENT.with(|c| c.borrow().clone())
    }

    /// The partition this task computes.
    pub fn partition_id(&self) -> usize {
        self.inner.partition
    }

    /// The stage this task belongs to.
    pub fn stage_id(&self) -> usize {
        self.inner.stage_id
    }

    pub(crate) fn session(&self) -> &crate::opaque::Opaque<SessionContext> {
        &self.inner.session
    }

    pub(crate) fn counters(&self) -> &Counters {
        &self.inner.counters
    }

    /// Whether the job was cancelled or another of its tasks failed.
    pub fn is_interrupted(&self) -> bool {
        self.inner.job.abort.load(Ordering::Relaxed) || self.inner.session.cancel_epoch() != self.inner.job.epoch
    }

    /// Records an error found while iterating (iterators cannot return one); the task fails with it.
    pub(crate) fn fail(&self, error: Error) {
        let mut slot = self.inner.error.lock().unwrap_or_else(|e| e.into_inner());
        if slot.is_none() {
            *slot = Some(error);
        }
    }

    pub(crate) fn has_failed(&self) -> bool {
        self.inner.error.lock().unwrap_or_else(|e| e.into_inner()).is_some()
    }

    pub(crate) fn take_error(&self) -> Option<Error> {
        self.inner.error.lock().unwrap_or_else(|e| e.into_inner()).take()
    }

    /// Applies `f` to this task's pending update of accumulator `id`, creating it with `create` on first use.
    pub(crate) fn with_accumulator(
        &self,
        id: usize,
        create: impl FnOnce() -> Box<dyn PendingAccumulator>,
        f: impl FnOnce(&mut dyn PendingAccumulator),
    ) {
        let mut pending = self.inner.accumulators.lock().unwrap_or_else(|e| e.into_inner());
        let index = match pending.iter().position(|p| p.id() == id) {
            Some(i) => i,
            None => {
                pending.push(create());
                pending.len() - 1
            }
        };
        f(pending[index].as_mut());
    }

    /// Merges the task's accumulator updates into the accumulators (on success only) and returns the named ones.
    pub(crate) fn commit_accumulators(&self) -> Vec<(String, String)> {
        let pending = std::mem::take(&mut *self.inner.accumulators.lock().unwrap_or_else(|e| e.into_inner()));
        pending.into_iter().filter_map(|p| p.commit()).collect()
    }

    pub(crate) fn metrics(&self) -> TaskMetrics {
        let c = &self.inner.counters;
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        TaskMetrics {
            duration: Default::default(),
            records_read: get(&c.records_read),
            bytes_read: get(&c.bytes_read),
            records_written: get(&c.records_written),
            shuffle_records_read: get(&c.shuffle_records_read),
            shuffle_records_written: get(&c.shuffle_records_written),
            shuffle_bytes_written: get(&c.shuffle_bytes_written),
            disk_bytes_spilled: get(&c.disk_bytes_spilled),
            cache_hits: get(&c.cache_hits),
        }
    }
}

/// Adds to a task counter.
#[inline]
pub(crate) fn add(counter: &AtomicU64, n: u64) {
    counter.fetch_add(n, Ordering::Relaxed);
}

/// Wraps a source's or a task's records: stops early (recording [`Error::Cancelled`]) when the job is
/// interrupted, checking every 1024 records so the check costs nothing measurable; a task's output also counts
/// its records.
pub(crate) struct Monitored<I> {
    inner: I,
    tc: TaskContext,
    seen: u64,
    /// The interrupt flag is read when item `seen` arrives and `seen & check == 0`: never at the first item nor
    /// at the end, so a small task started after another failed still ends as it did record by record.
    check: u64,
    is_output: bool,
}

impl<I> Monitored<I> {
    /// Wraps a task's output (counted as records written).
    pub(crate) fn output(inner: I, tc: &TaskContext) -> Self {
        Monitored { inner, tc: tc.clone(), seen: 0, check: 1023, is_output: true }
    }

    /// Wraps a source's records, so that a stage whose later steps drop most records still stops promptly.
    pub(crate) fn source(inner: I, tc: &TaskContext) -> Self {
        Monitored { inner, tc: tc.clone(), seen: 0, check: 1023, is_output: false }
    }

    /// Wraps a source's runs of records (checked at every run).
    pub(crate) fn source_runs(inner: I, tc: &TaskContext) -> Self {
        Monitored { inner, tc: tc.clone(), seen: 0, check: 0, is_output: false }
    }
}

impl<I: Iterator> Iterator for Monitored<I> {
    type Item = I::Item;

    #[inline]
    fn next(&mut self) -> Option<I::Item> {
        let item = self.inner.next()?;
        if self.seen != 0 && self.seen & self.check == 0 && self.tc.is_interrupted() {
            self.tc.fail(Error::Cancelled { job: self.tc.inner.job.job_id });
            return None;
        }
        self.seen += 1;
        Some(item)
    }
}

impl<I> Drop for Monitored<I> {
    fn drop(&mut self) {
        if self.is_output {
            add(&self.tc.counters().records_written, self.seen);
        }
    }
}

/// A task's output as runs of records: counted as records written, the interrupt flag read as a run arrives
/// (never at the first, as [`Monitored`] never reads it at the first record).
pub(crate) struct MonitoredRuns<T> {
    inner: Runs<T>,
    tc: TaskContext,
    runs: u64,
    records: u64,
}

impl<T> MonitoredRuns<T> {
    pub(crate) fn output(inner: Runs<T>, tc: &TaskContext) -> Self {
        MonitoredRuns { inner, tc: tc.clone(), runs: 0, records: 0 }
    }
}

impl<T> Iterator for MonitoredRuns<T> {
    type Item = Vec<T>;

    fn next(&mut self) -> Option<Vec<T>> {
        let run = self.inner.next()?;
        if self.runs != 0 && self.tc.is_interrupted() {
            self.tc.fail(Error::Cancelled { job: self.tc.inner.job.job_id });
            return None;
        }
        self.runs += 1;
        self.records += run.len() as u64;
        Some(run)
    }
}

impl<T> Drop for MonitoredRuns<T> {
    fn drop(&mut self) {
        add(&self.tc.counters().records_written, self.records);
    }
}

/// Calls `f` with the task running on this thread, without cloning its context.
pub(crate) fn with_current<R>(f: impl FnOnce(Option<&TaskContext>) -> R) -> R {
    CURRENT.with(|c| f(c.borrow().as_ref()))
}
