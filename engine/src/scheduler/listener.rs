//! Job, stage and task events, for progress bars, the web UI and tests (Spark's `SparkListener`).

use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

/// Counters of one task, summed per stage.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TaskMetrics {
    /// Wall time of the task.
    pub duration: Duration,
    /// Records read from the stage's input (a file, a collection, a shuffle, or a cached block).
    pub records_read: u64,
    /// Bytes read from files.
    pub bytes_read: u64,
    /// Records the task produced: its result for a result stage, or its shuffle output.
    pub records_written: u64,
    /// Records read from a shuffle.
    pub shuffle_records_read: u64,
    /// Records written to a shuffle.
    pub shuffle_records_written: u64,
    /// Estimated bytes written to a shuffle.
    pub shuffle_bytes_written: u64,
    /// Bytes written to disk because memory ran short.
    pub disk_bytes_spilled: u64,
    /// Partitions served from the block store instead of being computed.
    pub cache_hits: u64,
}

impl TaskMetrics {
    /// Adds another task's counters to these.
    pub fn merge(&mut self, other: &TaskMetrics) {
        self.duration += other.duration;
        self.records_read += other.records_read;
        self.bytes_read += other.bytes_read;
        self.records_written += other.records_written;
        self.shuffle_records_read += other.shuffle_records_read;
        self.shuffle_records_written += other.shuffle_records_written;
        self.shuffle_bytes_written += other.shuffle_bytes_written;
        self.disk_bytes_spilled += other.disk_bytes_spilled;
        self.cache_hits += other.cache_hits;
    }
}

/// What a stage is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StageInfo {
    /// Session-wide stage id.
    pub stage_id: usize,
    /// The operation and call site the stage ends with, e.g. `reduce_by_key at examples/word_count.rs:20`.
    pub name: String,
    /// One task per partition.
    pub num_tasks: usize,
    /// Whether the stage writes a shuffle (`true`) or computes the job's result (`false`).
    pub is_shuffle_map: bool,
}

/// An event of the scheduler.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Event {
    /// A job was submitted by an action.
    JobStart {
        /// Session-wide job id.
        job_id: usize,
        /// The action and its call site.
        description: String,
    },
    /// A stage's tasks were submitted.
    StageSubmitted {
        /// The job it belongs to.
        job_id: usize,
        /// The stage.
        stage: StageInfo,
    },
    /// A stage was not run because its shuffle output already exists.
    StageSkipped {
        /// The job it belongs to.
        job_id: usize,
        /// The stage.
        stage: StageInfo,
    },
    /// A task ended.
    TaskEnd {
        /// The stage it belongs to.
        stage_id: usize,
        /// The partition it computed.
        partition: usize,
        /// Whether it succeeded.
        success: bool,
        /// Its counters.
        metrics: TaskMetrics,
        /// Named accumulators updated by the task, as `(name, update)`.
        accumulables: Vec<(String, String)>,
    },
    /// A stage's tasks all ended.
    StageCompleted {
        /// The stage.
        stage: StageInfo,
        /// Sum of its tasks' counters.
        metrics: TaskMetrics,
        /// Wall time of the stage.
        duration: Duration,
        /// The failure, if a task failed.
        failure: Option<String>,
    },
    /// A job ended.
    JobEnd {
        /// The job.
        job_id: usize,
        /// Wall time of the job.
        duration: Duration,
        /// The failure, if any.
        failure: Option<String>,
    },
}

/// Receives scheduler events. Called from the task threads: keep it quick.
pub trait Listener: Send + Sync {
    /// One event.
    fn on_event(&self, event: &Event);
}

#[derive(Default)]
pub(crate) struct ListenerBus {
    listeners: RwLock<Vec<Arc<dyn Listener>>>,
}

impl std::fmt::Debug for ListenerBus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ListenerBus")
    }
}

impl ListenerBus {
    pub(crate) fn add(&self, listener: Arc<dyn Listener>) {
        self.listeners.write().unwrap_or_else(|e| e.into_inner()).push(listener);
    }

    pub(crate) fn post(&self, event: Event) {
        for l in self.listeners.read().unwrap_or_else(|e| e.into_inner()).iter() {
            l.on_event(&event);
        }
    }
}

/// A listener that records every event, for tests and for the metrics a lab prints.
#[derive(Debug, Default)]
pub struct EventLog {
    events: Mutex<Vec<Event>>,
}

impl EventLog {
    /// An empty log; register it with [`Session::add_listener`](crate::Session::add_listener).
    pub fn new() -> Arc<Self> {
        Arc::new(EventLog::default())
    }

    /// The events so far.
    pub fn events(&self) -> Vec<Event> {
        self.events.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Forgets the events so far.
    pub fn clear(&self) {
        self.events.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }

    /// The completed stages so far with their summed metrics.
    pub fn completed_stages(&self) -> Vec<(StageInfo, TaskMetrics)> {
        self.events()
            .into_iter()
            .filter_map(|e| match e {
                Event::StageCompleted { stage, metrics, .. } => Some((stage, metrics)),
                _ => None,
            })
            .collect()
    }
}

impl Listener for EventLog {
    fn on_event(&self, event: &Event) {
        self.events.lock().unwrap_or_else(|e| e.into_inner()).push(event.clone());
    }
}
