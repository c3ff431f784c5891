//! Jobs, stages and cancellation for DataFrame and SQL actions.
//!
//! DataFusion runs a query as one tree of streams, with no jobs or stages, while the listeners (the notebook's
//! progress bar, [`EventLog`](crate::scheduler::listener::EventLog)) and
//! [`Session::cancel_all_jobs`](crate::Session::cancel_all_jobs) speak Spark's terms. So an action runs as one job
//! whose physical plan is cut where Spark's would be, at the exchanges (repartitions and merges of partitions): the
//! top of each piece is wrapped in a [`ProgressExec`], one stage whose tasks are the piece's output partitions. The
//! wrapper counts each partition's rows, posts the task and stage events, and fails its partition once the job is
//! cancelled. DataFusion runs the stages at once. A write's last stage is its file sink, whose one task counts the
//! rows it wrote. A persisted DataFrame computed while the action's query is planned runs as stages of the same job
//! (as Spark computes a cached relation in the first job that reads it).

use crate::error::{Error, Result};
use crate::scheduler::listener::{Event, ListenerBus, StageInfo, TaskMetrics};
use crate::session::{SessionContext, SqlState};
use datafusion::arrow::array::{Array, UInt64Array};
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::datasource::sink::DataSinkExec;
use datafusion::error::DataFusionError;
use datafusion::execution::{RecordBatchStream, SendableRecordBatchStream, TaskContext};
use datafusion::physical_expr::PhysicalExpr;
use datafusion::physical_plan::coalesce_partitions::CoalescePartitionsExec;
use datafusion::physical_plan::execution_plan::{
    ChildrenPropertiesMode, ReplaceChildrenOptions, replace_children_if_necessary,
};
use datafusion::physical_plan::repartition::RepartitionExec;
use datafusion::physical_plan::sorts::sort_preserving_merge::SortPreservingMergeExec;
use datafusion::physical_plan::{DisplayAs, DisplayFormatType, ExecutionPlan, ExecutionPlanProperties, PlanProperties};
use futures::{Stream, StreamExt};
use std::fmt;
use std::panic::Location;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, ready};
use std::time::Instant;

tokio::task_local! {
    /// The job whose query this task plans and runs.
    static RUNNING: Arc<Running>;
}

/// Runs a DataFrame's query as the job of `action`, called at `site`: posts the job's events around it and
/// reports a failure to the notebook kernel.
pub(crate) fn run_query(
    state: &SqlState,
    ctx: &SessionContext,
    df: datafusion::dataframe::DataFrame,
    action: &str,
    site: &Location<'_>,
) -> Result<Vec<RecordBatch>> {
    let running = Arc::new(Running {
        job: Arc::new(Job {
            listeners: Arc::clone(&ctx.listeners),
            cancel_epoch: Arc::clone(&ctx.cancel_epoch),
            id: ctx.next_id(&ctx.ids.job),
            epoch: ctx.cancel_epoch(),
        }),
        site: format!("{}:{}", site.file(), site.line()),
        stages: Mutex::default(),
    });
    let job = &running.job;
    let description = ctx.job_description(action, &running.site);
    ctx.listeners.post(Event::JobStart { job_id: job.id, description });
    let started = Instant::now();
    let task_ctx = Arc::new(df.task_ctx());
    let result = state
        .block_on(RUNNING.scope(Arc::clone(&running), async {
            let cut = Cut { ctx, running: &running };
            let plan = cut.map_stages(df.create_physical_plan().await?)?;
            let root = cut.wrap(plan, false);
            datafusion::physical_plan::collect(root, task_ctx).await
        }))
        .map_err(Error::from);
    // Partitions stopped early (under a LIMIT, or by a failure) may be dropped after `collect` returns: their
    // stages end here, so that every stage's events come before the job's end.
    for stage in running.stages().iter() {
        stage.close();
    }
    ctx.listeners.post(Event::JobEnd {
        job_id: job.id,
        duration: started.elapsed(),
        failure: result.as_ref().err().map(Error::to_string),
    });
    if let Err(e) = &result {
        crate::notebook::report_failure(e);
    }
    result
}

/// Runs `plan` to every partition's batches, as stages of the job this task runs, if any: a persisted DataFrame
/// computed while an action's query is planned thus reports its progress, and stops when the job is cancelled.
pub(crate) async fn collect_partitioned(
    ctx: &SessionContext,
    plan: Arc<dyn ExecutionPlan>,
    task_ctx: Arc<TaskContext>,
) -> datafusion::error::Result<Vec<Vec<RecordBatch>>> {
    let plan = match RUNNING.try_with(Arc::clone) {
        Ok(running) => {
            let cut = Cut { ctx, running: &running };
            let plan = cut.map_stages(plan)?;
            // A map stage: the action's query reads its output.
            cut.wrap(plan, true)
        }
        Err(_) => plan,
    };
    datafusion::physical_plan::collect_partitioned(plan, task_ctx).await
}

/// A job being run.
struct Running {
    job: Arc<Job>,
    /// The action's call site, which names the stages.
    site: String,
    /// Its stages so far.
    stages: Mutex<Vec<Arc<Stage>>>,
}

impl Running {
    fn stages(&self) -> MutexGuard<'_, Vec<Arc<Stage>>> {
        self.stages.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Cuts a query's physical plan into the stages of a job.
struct Cut<'a> {
    ctx: &'a SessionContext,
    running: &'a Running,
}

impl Cut<'_> {
    /// Wraps the input of every exchange in `plan` as a map stage, inputs first, so that a stage's id is larger
    /// than those of the stages it reads (as Spark numbers them).
    fn map_stages(&self, plan: Arc<dyn ExecutionPlan>) -> datafusion::error::Result<Arc<dyn ExecutionPlan>> {
        if plan.children().is_empty() {
            return Ok(plan);
        }
        let exchange =
            plan.is::<RepartitionExec>() || plan.is::<CoalescePartitionsExec>() || plan.is::<SortPreservingMergeExec>();
        let mut children = Vec::new();
        for child in plan.children() {
            let child = self.map_stages(Arc::clone(child))?;
            children.push(if exchange { self.wrap(child, true) } else { child });
        }
        replace_children_if_necessary(plan, children)
    }

    /// `input` as a new stage of the job, named after its top operator and the action's call site.
    fn wrap(&self, input: Arc<dyn ExecutionPlan>, is_shuffle_map: bool) -> Arc<dyn ExecutionPlan> {
        let name = input.name();
        let info = StageInfo {
            stage_id: self.ctx.next_id(&self.ctx.ids.stage),
            name: format!("{} at {}", name.strip_suffix("Exec").unwrap_or(name), self.running.site),
            num_tasks: input.output_partitioning().partition_count(),
            is_shuffle_map,
        };
        let stage = Arc::new(Stage {
            job: Arc::clone(&self.running.job),
            writes_files: input.is::<DataSinkExec>(),
            state: Mutex::new(StageState {
                submitted: None,
                tasks: vec![Task::Pending; info.num_tasks],
                ended: 0,
                metrics: TaskMetrics::default(),
                failure: None,
                completed: false,
            }),
            info,
        });
        self.running.stages().push(Arc::clone(&stage));
        Arc::new(ProgressExec { input, stage })
    }
}

/// What the stages of one action's query share. Not the session itself: a stream may be dropped on a thread of
/// the session's query runtime after the session, which must not be dropped there.
#[derive(Debug)]
struct Job {
    listeners: Arc<ListenerBus>,
    /// The session's current cancel epoch.
    cancel_epoch: Arc<AtomicU64>,
    id: usize,
    /// The session's cancel epoch when the job started: a later one means the job was cancelled.
    epoch: u64,
}

impl Job {
    /// The error that fails a partition of a cancelled job (`None` while the job runs on).
    fn cancellation(&self) -> Option<DataFusionError> {
        let cancelled = self.cancel_epoch.load(Ordering::Relaxed) != self.epoch;
        cancelled.then(|| DataFusionError::External(Box::new(Error::Cancelled { job: self.id })))
    }
}

/// One stage of a job: what its [`ProgressExec`] and that node's partition streams share.
#[derive(Debug)]
struct Stage {
    job: Arc<Job>,
    /// Whether it writes files: its output is then one row holding the number of rows written.
    writes_files: bool,
    info: StageInfo,
    state: Mutex<StageState>,
}

#[derive(Debug)]
struct StageState {
    /// When the first task started: the stage is submitted then.
    submitted: Option<Instant>,
    /// One per partition.
    tasks: Vec<Task>,
    ended: usize,
    /// The ended tasks' metrics, summed.
    metrics: TaskMetrics,
    /// The first task failure.
    failure: Option<Error>,
    /// Whether `StageCompleted` was posted: the stage posts nothing more.
    completed: bool,
}

#[derive(Debug, Clone, Copy)]
enum Task {
    Pending,
    Running { started: Instant, rows: u64 },
    Ended,
}

/// How a task ended.
enum Outcome {
    /// Its stream ended.
    Finished,
    /// Its stream failed.
    Failed(Error),
    /// Its stream was dropped unfinished: the consumer had enough rows (a LIMIT) or the query failed elsewhere.
    /// Such a task did not succeed, but does not fail its stage.
    Stopped,
}

impl Stage {
    fn lock(&self) -> MutexGuard<'_, StageState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Starts a partition's task, submitting the stage with its first one. Returns whether this execution reports
    /// the task: a partition executed again (as a recursive query's are) is reported once.
    fn start(&self, partition: usize) -> bool {
        let mut state = self.lock();
        if state.completed {
            return false;
        }
        let now = Instant::now();
        if state.submitted.is_none() {
            state.submitted = Some(now);
            self.job.listeners.post(Event::StageSubmitted { job_id: self.job.id, stage: self.info.clone() });
        }
        match state.tasks.get_mut(partition) {
            Some(task @ Task::Pending) => {
                *task = Task::Running { started: now, rows: 0 };
                true
            }
            _ => false,
        }
    }

    /// Counts a batch of a partition's output.
    fn add_rows(&self, partition: usize, batch: &RecordBatch) {
        // A writing task read and wrote the rows its output counts (as Spark's write tasks report them).
        let n = match batch.columns().first().and_then(|c| c.as_any().downcast_ref::<UInt64Array>()) {
            Some(counts) if self.writes_files => counts.iter().flatten().sum(),
            _ => batch.num_rows() as u64,
        };
        if let Some(Task::Running { rows, .. }) = self.lock().tasks.get_mut(partition) {
            *rows += n;
        }
    }

    fn end(&self, partition: usize, outcome: Outcome) {
        let mut state = self.lock();
        self.end_task(&mut state, partition, outcome);
    }

    /// Posts a running task's end, and the stage's completion after its last task. Events are posted under the
    /// stage's lock, so that listeners see them in order.
    fn end_task(&self, state: &mut StageState, partition: usize, outcome: Outcome) {
        let Some(task) = state.tasks.get_mut(partition) else { return };
        let Task::Running { started, rows } = *task else { return };
        *task = Task::Ended;
        let metrics = TaskMetrics {
            duration: started.elapsed(),
            records_read: rows,
            records_written: rows,
            ..Default::default()
        };
        self.job.listeners.post(Event::TaskEnd {
            stage_id: self.info.stage_id,
            partition,
            success: matches!(outcome, Outcome::Finished),
            metrics: metrics.clone(),
            accumulables: Vec::new(),
        });
        state.metrics.merge(&metrics);
        if let Outcome::Failed(e) = outcome {
            state.failure.get_or_insert(e);
        }
        state.ended += 1;
        if state.ended == self.info.num_tasks {
            self.complete(state);
        }
    }

    fn complete(&self, state: &mut StageState) {
        state.completed = true;
        self.job.listeners.post(Event::StageCompleted {
            stage: self.info.clone(),
            metrics: state.metrics.clone(),
            duration: state.submitted.map(|t| t.elapsed()).unwrap_or_default(),
            failure: state.failure.as_ref().map(Error::to_string),
        });
    }

    /// At the job's end: stops the tasks still running and completes the stage if it was submitted.
    fn close(&self) {
        let mut state = self.lock();
        if state.submitted.is_some() && !state.completed {
            for partition in 0..state.tasks.len() {
                self.end_task(&mut state, partition, Outcome::Stopped);
            }
            if !state.completed {
                // Some partitions never started.
                self.complete(&mut state);
            }
        }
        state.completed = true;
    }
}

/// A stage of a query: runs its input unchanged, reporting each partition as a task and failing it once the job
/// is cancelled.
#[derive(Debug)]
struct ProgressExec {
    input: Arc<dyn ExecutionPlan>,
    stage: Arc<Stage>,
}

impl DisplayAs for ProgressExec {
    fn fmt_as(&self, _: DisplayFormatType, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ProgressExec: stage={}", self.stage.info.stage_id)
    }
}

impl ExecutionPlan for ProgressExec {
    fn name(&self) -> &str {
        "ProgressExec"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        self.input.properties()
    }

    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        vec![&self.input]
    }

    fn maintains_input_order(&self) -> Vec<bool> {
        vec![true]
    }

    fn benefits_from_input_partitioning(&self) -> Vec<bool> {
        // A stage's tasks are its input's partitions.
        vec![false]
    }

    fn apply_expressions(
        &self,
        _f: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> datafusion::error::Result<TreeNodeRecursion>,
    ) -> datafusion::error::Result<TreeNodeRecursion> {
        Ok(TreeNodeRecursion::Continue)
    }

    fn replace_children(
        self: Arc<Self>,
        mut children: Vec<Arc<dyn ExecutionPlan>>,
        _options: ReplaceChildrenOptions,
    ) -> datafusion::error::Result<Arc<dyn ExecutionPlan>> {
        match (children.pop(), children.is_empty()) {
            (Some(input), true) => Ok(Arc::new(ProgressExec { input, stage: Arc::clone(&self.stage) })),
            _ => Err(DataFusionError::Internal("ProgressExec takes exactly one child".into())),
        }
    }

    fn with_new_children(
        self: Arc<Self>,
        children: Vec<Arc<dyn ExecutionPlan>>,
    ) -> datafusion::error::Result<Arc<dyn ExecutionPlan>> {
        self.replace_children(children, ReplaceChildrenOptions::new(ChildrenPropertiesMode::Recompute))
    }

    fn with_new_children_and_same_properties(
        self: Arc<Self>,
        children: Vec<Arc<dyn ExecutionPlan>>,
    ) -> datafusion::error::Result<Arc<dyn ExecutionPlan>> {
        self.replace_children(children, ReplaceChildrenOptions::new(ChildrenPropertiesMode::Keep))
    }

    fn execute(
        &self,
        partition: usize,
        context: Arc<TaskContext>,
    ) -> datafusion::error::Result<SendableRecordBatchStream> {
        let reports = self.stage.start(partition);
        let stage = reports.then(|| Arc::clone(&self.stage));
        match self.input.execute(partition, context) {
            Ok(input) => {
                Ok(Box::pin(TaskStream { input, job: Arc::clone(&self.stage.job), stage, partition, done: false }))
            }
            Err(e) => {
                if let Some(stage) = stage {
                    stage.end(partition, Outcome::Failed(Error::from(&e)));
                }
                Err(e)
            }
        }
    }
}

/// One partition of a stage: its input's batches, counted, until the input ends or the job is cancelled.
struct TaskStream {
    input: SendableRecordBatchStream,
    job: Arc<Job>,
    /// The stage to report the task to; `None` once reported (or if another execution reports it).
    stage: Option<Arc<Stage>>,
    partition: usize,
    done: bool,
}

impl TaskStream {
    fn end(&mut self, outcome: Outcome) {
        self.done = true;
        if let Some(stage) = self.stage.take() {
            stage.end(self.partition, outcome);
        }
    }
}

impl Stream for TaskStream {
    type Item = datafusion::error::Result<RecordBatch>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.done {
            return Poll::Ready(None);
        }
        let polled = ready!(self.input.poll_next_unpin(cx));
        // A cancel that came while the partition ran fails it even at its end, as it fails an RDD task.
        let item = match (polled, self.job.cancellation()) {
            (Some(Err(e)), _) | (_, Some(e)) => Some(Err(e)),
            (polled, None) => polled,
        };
        match &item {
            Some(Ok(batch)) => {
                if let Some(stage) = &self.stage {
                    stage.add_rows(self.partition, batch);
                }
            }
            Some(Err(e)) => self.end(Outcome::Failed(Error::from(e))),
            None => self.end(Outcome::Finished),
        }
        Poll::Ready(item)
    }
}

impl RecordBatchStream for TaskStream {
    fn schema(&self) -> SchemaRef {
        self.input.schema()
    }
}

impl Drop for TaskStream {
    fn drop(&mut self) {
        self.end(Outcome::Stopped);
    }
}
