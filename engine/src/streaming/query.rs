//! Running a streaming query: the micro-batch loop on its own thread, its progress reports, and the handle
//! ([`StreamingQuery`]) and registry ([`StreamingQueryManager`]) the user controls it with.
//!
//! Each trigger asks every source for its latest offset; if any moved, the batch's offsets are logged
//! (write-ahead), the batch's rows are read and run through the query's plan, the sink writes the result, and
//! the batch is logged as committed. A restart replays a batch logged but not committed with the same offsets.

use super::aggregate::{AggregateMetrics, BatchWatermark, StreamingAggregate};
use super::checkpoint::{BatchMetadata, Checkpoint, OffsetSeq};
use super::dedup::StreamingDedup;
use super::group_state::{GroupStateTimeout, GroupsWithState, StreamingGroups};
use super::plan::{BatchHooks, batch_plan};
use super::session_window::{SessionAggregate, StreamingSessions};
use super::sink::Sink;
use super::source::{Offset, ReadLimit, Source};
use super::watermark::Watermark;
use super::{OutputMode, Trigger};
use crate::DataFrame;
use crate::error::{Error, Result};
use crate::notebook::QueryDisplay;
use crate::session::Session;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::logical_expr::{Aggregate, Distinct, LogicalPlan, LogicalPlanBuilder};
use serde::Serialize;
use std::collections::{BTreeMap, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Progress reports kept per query (Spark's `spark.sql.streaming.numRecentProgressUpdates`).
const RECENT_PROGRESS: usize = 100;

/// How long the default trigger waits before asking idle sources again (Spark's polling delay).
const IDLE_POLL: Duration = Duration::from_millis(10);

/// What a query is doing now (Spark's `StreamingQueryStatus`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct QueryStatus {
    pub message: String,
    pub is_data_available: bool,
    pub is_trigger_active: bool,
}

/// One source's part of a batch's progress.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SourceProgress {
    pub description: String,
    pub start_offset: Option<serde_json::Value>,
    pub end_offset: Option<serde_json::Value>,
    pub num_input_rows: u64,
    pub input_rows_per_second: f64,
    pub processed_rows_per_second: f64,
}

/// A stateful operator's part of a batch's progress.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StateOperatorProgress {
    pub operator_name: String,
    /// Groups held in state after the batch.
    pub num_rows_total: u64,
    /// Groups written to the sink by the batch.
    pub num_rows_updated: u64,
    /// Groups evicted because the watermark passed them.
    pub num_rows_removed: u64,
    /// Input rows dropped as later than the watermark.
    pub num_rows_dropped_by_watermark: u64,
}

/// The sink's part of a batch's progress.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SinkProgress {
    pub description: String,
    pub num_output_rows: u64,
}

/// The progress of one micro-batch, with Spark's field names (`StreamingQueryProgress`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StreamingQueryProgress {
    pub id: String,
    pub run_id: String,
    pub name: Option<String>,
    /// When the trigger started, ISO 8601 UTC.
    pub timestamp: String,
    pub batch_id: u64,
    pub num_input_rows: u64,
    /// Rows arrived per second since the previous trigger started.
    pub input_rows_per_second: f64,
    /// Rows processed per second of this trigger's execution.
    pub processed_rows_per_second: f64,
    /// Milliseconds per phase: `latestOffset`, `walCommit`, `getBatch`, `queryPlanning`, `addBatch`,
    /// `commitOffsets`, `triggerExecution`.
    pub duration_ms: BTreeMap<String, u64>,
    /// `max` (the largest event time of the batch) and `watermark`, ISO 8601 UTC, with a watermark.
    pub event_time: BTreeMap<String, String>,
    pub state_operators: Vec<StateOperatorProgress>,
    pub sources: Vec<SourceProgress>,
    pub sink: SinkProgress,
}

impl StreamingQueryProgress {
    /// The progress as Spark's JSON.
    pub fn json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }
}

/// What the query thread shares with the handles.
#[derive(Debug, Default)]
struct Shared {
    active: bool,
    /// The error that stopped the query.
    failure: Option<String>,
    status: Option<QueryStatus>,
    progress: VecDeque<StreamingQueryProgress>,
    /// Triggers started, and the last of them that found no new data (for `process_all_available`).
    triggers: u64,
    idle_trigger: Option<u64>,
    /// A `process_all_available` is waiting: an idle query polls its sources now rather than after its pause.
    poked: bool,
}

#[derive(Debug)]
pub(crate) struct QueryInner {
    id: String,
    run_id: String,
    name: Option<String>,
    shared: Mutex<Shared>,
    changed: Condvar,
    stop: AtomicBool,
    thread: Mutex<Option<JoinHandle<()>>>,
}

impl QueryInner {
    fn lock(&self) -> MutexGuard<'_, Shared> {
        self.shared.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn update(&self, f: impl FnOnce(&mut Shared)) {
        f(&mut self.lock());
        self.changed.notify_all();
    }

    /// Sleeps up to `d`, waking early when the query is stopped.
    fn sleep(&self, d: Duration) {
        let shared = self.lock();
        let _ = self.changed.wait_timeout_while(shared, d, |_| !self.stop.load(Ordering::SeqCst));
    }

    /// Pauses an idle query for up to `d`, waking early when it is stopped or a `process_all_available` waits.
    fn idle(&self, d: Duration) {
        let shared = self.lock();
        let (mut shared, _) = self
            .changed
            .wait_timeout_while(shared, d, |s| !s.poked && !self.stop.load(Ordering::SeqCst))
            .unwrap_or_else(|e| e.into_inner());
        shared.poked = false;
    }
}

/// A running (or ended) streaming query (Spark's `StreamingQuery`). Dropping the handle does not stop it; use
/// [`stop`](StreamingQuery::stop) or [`StreamingQueryManager`].
#[derive(Debug, Clone)]
pub struct StreamingQuery {
    inner: Arc<QueryInner>,
}

impl StreamingQuery {
    /// The query's id, kept across restarts from the same checkpoint.
    pub fn id(&self) -> &str {
        &self.inner.id
    }

    /// This run's id, new at each start.
    pub fn run_id(&self) -> &str {
        &self.inner.run_id
    }

    /// The name given with `query_name`.
    pub fn name(&self) -> Option<&str> {
        self.inner.name.as_deref()
    }

    /// Whether the query is still running.
    pub fn is_active(&self) -> bool {
        self.inner.lock().active
    }

    /// What the query is doing now.
    pub fn status(&self) -> QueryStatus {
        self.inner.lock().status.clone().unwrap_or(QueryStatus {
            message: "Initializing sources".to_string(),
            is_data_available: false,
            is_trigger_active: false,
        })
    }

    /// The progress of the last micro-batch.
    pub fn last_progress(&self) -> Option<StreamingQueryProgress> {
        self.inner.lock().progress.back().cloned()
    }

    /// The progress of the recent micro-batches, oldest first (up to 100).
    pub fn recent_progress(&self) -> Vec<StreamingQueryProgress> {
        self.inner.lock().progress.iter().cloned().collect()
    }

    /// The error that stopped the query, if one did.
    pub fn exception(&self) -> Option<Error> {
        self.inner.lock().failure.clone().map(|m| self.failed(m))
    }

    fn failed(&self, message: String) -> Error {
        Error::StreamingQueryFailed { query: self.describe(), message }
    }

    fn describe(&self) -> String {
        match &self.inner.name {
            Some(name) => format!("`{name}` [id = {}]", self.inner.id),
            None => format!("[id = {}]", self.inner.id),
        }
    }

    /// Blocks until every source's data available now has been processed and committed to the sink (for
    /// tests and notebooks). Returns the query's error if it failed.
    pub fn process_all_available(&self) -> Result<()> {
        let mut shared = self.inner.lock();
        let asked_at = shared.triggers;
        shared.poked = true;
        self.inner.changed.notify_all();
        // A trigger that started after this call and found nothing new proves everything before it was processed.
        while shared.active && shared.idle_trigger.is_none_or(|t| t <= asked_at) {
            shared = self.inner.changed.wait(shared).unwrap_or_else(|e| e.into_inner());
        }
        match shared.failure.clone() {
            Some(m) => Err(self.failed(m)),
            None => Ok(()),
        }
    }

    /// Waits for the query to end, at most `timeout` if given; returns whether it ended, or its error.
    pub fn await_termination(&self, timeout: Option<Duration>) -> Result<bool> {
        let deadline = timeout.map(|t| Instant::now() + t);
        let mut shared = self.inner.lock();
        while shared.active {
            shared = match deadline {
                None => self.inner.changed.wait(shared).unwrap_or_else(|e| e.into_inner()),
                Some(d) => {
                    let left = d.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        return Ok(false);
                    }
                    self.inner.changed.wait_timeout(shared, left).unwrap_or_else(|e| e.into_inner()).0
                }
            };
        }
        match shared.failure.clone() {
            Some(m) => Err(self.failed(m)),
            None => Ok(true),
        }
    }

    /// Stops the query after its current micro-batch and waits for its thread. A batch stopped mid-way was not
    /// committed and runs again when the query restarts from its checkpoint.
    pub fn stop(&self) -> Result<()> {
        self.inner.stop.store(true, Ordering::SeqCst);
        self.inner.changed.notify_all();
        let thread = self.inner.thread.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(thread) = thread {
            thread.join().map_err(|_| Error::Internal(format!("the thread of query {} panicked", self.describe())))?;
        }
        Ok(())
    }
}

/// The active streaming queries of a session (Spark's `spark.streams`).
#[derive(Debug, Clone)]
pub struct StreamingQueryManager {
    session: Session,
}

impl StreamingQueryManager {
    pub(crate) fn new(session: Session) -> Self {
        StreamingQueryManager { session }
    }

    /// The queries still running.
    pub fn active(&self) -> Vec<StreamingQuery> {
        let mut queries = self.session.ctx.streams.lock().unwrap_or_else(|e| e.into_inner());
        queries.retain(StreamingQuery::is_active);
        queries.clone()
    }

    /// The running query with this id.
    pub fn get(&self, id: &str) -> Option<StreamingQuery> {
        self.active().into_iter().find(|q| q.id() == id)
    }

    /// Stops every running query.
    pub fn stop_all(&self) -> Result<()> {
        self.active().iter().try_for_each(StreamingQuery::stop)
    }
}

/// Everything a query's thread needs.
pub(crate) struct Execution {
    pub(crate) session: Session,
    pub(crate) plan: LogicalPlan,
    /// Each source with the id of the stream table it replaces in the plan.
    pub(crate) sources: Vec<(usize, Arc<dyn Source>)>,
    pub(crate) sink: Box<dyn Sink>,
    pub(crate) sink_description: String,
    pub(crate) mode: OutputMode,
    pub(crate) trigger: Trigger,
    /// The query's streaming aggregation, if any, with its state.
    pub(crate) aggregate: Option<(Aggregate, StreamingAggregate)>,
    /// The query's streaming deduplication, if any, with its state.
    pub(crate) dedup: Option<(Distinct, StreamingDedup)>,
    /// The query's per-key state function, if any, with its state.
    pub(crate) groups: Option<(GroupsWithState, StreamingGroups)>,
    /// The query's session-window aggregation, if any, with its state.
    pub(crate) sessions: Option<(SessionAggregate, StreamingSessions)>,
    pub(crate) watermark: Option<Watermark>,
    pub(crate) checkpoint: Option<Checkpoint>,
}

/// Where a (re)started query resumes: the offsets of its last committed batch, the next batch id, and a
/// logged but uncommitted batch to run again first.
struct Resume {
    committed: Vec<Option<Offset>>,
    next_batch: u64,
    replay: Option<OffsetSeq>,
    /// The watermark of the next batch, in ms (0: none yet, as in Spark's logs).
    watermark_ms: i64,
    /// The watermark the last batch ran with.
    last_batch_watermark_ms: i64,
}

fn resume(checkpoint: Option<&Checkpoint>, sources: usize) -> Result<Resume> {
    let fresh = Resume {
        committed: vec![None; sources],
        next_batch: 0,
        replay: None,
        watermark_ms: 0,
        last_batch_watermark_ms: 0,
    };
    let Some(cp) = checkpoint else { return Ok(fresh) };
    let Some((last, seq)) = cp.latest_offsets()? else { return Ok(fresh) };
    if seq.offsets.len() != sources {
        return Err(Error::Plan(format!(
            "the checkpoint's batch {last} read {} source(s) but this query reads {sources}: the checkpoint belongs to \
             another query; use a new checkpointLocation",
            seq.offsets.len()
        )));
    }
    let committed = cp.latest_commit()?;
    match committed {
        Some((c, watermark_ms)) if c == last => Ok(Resume {
            last_batch_watermark_ms: seq.metadata.batch_watermark_ms,
            committed: seq.offsets,
            next_batch: last + 1,
            replay: None,
            watermark_ms,
        }),
        Some((c, _)) if c + 1 == last => Ok(Resume {
            committed: cp.offsets(c)?.offsets,
            next_batch: last,
            watermark_ms: seq.metadata.batch_watermark_ms,
            last_batch_watermark_ms: 0,
            replay: Some(seq),
        }),
        None if last == 0 => Ok(Resume {
            committed: vec![None; sources],
            next_batch: 0,
            watermark_ms: seq.metadata.batch_watermark_ms,
            last_batch_watermark_ms: 0,
            replay: Some(seq),
        }),
        _ => Err(Error::Plan(format!(
            "the checkpoint is inconsistent: offsets are logged up to batch {last} but commits up to {committed:?}"
        ))),
    }
}

/// The wall clock, in milliseconds since the epoch.
pub(crate) fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64)
}

fn iso_timestamp(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        ms.rem_euclid(1000)
    )
}

/// Starts the query's thread; errors found before the first batch (a bad checkpoint) are returned here.
pub(crate) fn start(exec: Execution, id: String, name: Option<String>) -> Result<StreamingQuery> {
    let resume = resume(exec.checkpoint.as_ref(), exec.sources.len())?;
    if exec.trigger == Trigger::AvailableNow {
        exec.sources.iter().try_for_each(|(_, s)| s.prepare_for_trigger_available_now())?;
    }
    let inner = Arc::new(QueryInner {
        id,
        run_id: new_uuid(),
        name,
        shared: Mutex::new(Shared { active: true, ..Shared::default() }),
        changed: Condvar::new(),
        stop: AtomicBool::new(false),
        thread: Mutex::new(None),
    });
    let query = StreamingQuery { inner: Arc::clone(&inner) };
    let runner = Arc::clone(&inner);
    let thread = std::thread::Builder::new()
        .name(format!("stream-execution-{}", inner.id))
        .spawn(move || {
            let mut execution = Runner { exec, inner: Arc::clone(&runner), resume, display: QueryDisplay::default() };
            let outcome = execution.run();
            runner.update(|s| {
                s.active = false;
                s.failure = outcome.err().map(|e| e.to_string());
                s.status = Some(QueryStatus {
                    message: "Stopped".to_string(),
                    is_data_available: false,
                    is_trigger_active: false,
                });
                execution.display.end(s.failure.as_deref());
            });
        })
        .map_err(|e| Error::Internal(format!("starting the query thread: {e}")))?;
    *inner.thread.lock().unwrap_or_else(|e| e.into_inner()) = Some(thread);
    Ok(query)
}

/// A random (version 4) UUID, as Spark names queries and runs.
pub(crate) fn new_uuid() -> String {
    use rand::Rng;
    let mut b: [u8; 16] = rand::thread_rng().r#gen();
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!("{}-{}-{}-{}-{}", &h[0..8], &h[8..12], &h[12..16], &h[16..20], &h[20..32])
}

struct Runner {
    exec: Execution,
    inner: Arc<QueryInner>,
    resume: Resume,
    /// The query's live display in a notebook.
    display: QueryDisplay,
}

impl Runner {
    fn status(&self, message: &str, data: bool, active: bool) {
        let status = QueryStatus { message: message.to_string(), is_data_available: data, is_trigger_active: active };
        self.inner.update(|s| s.status = Some(status));
    }

    fn run(&mut self) -> Result<()> {
        if let Some(seq) = self.resume.replay.take() {
            let batch = self.resume.next_batch;
            self.run_batch(batch, seq, Instant::now(), BTreeMap::new(), None)?;
        }
        let mut last_trigger: Option<Instant> = None;
        while !self.inner.stop.load(Ordering::SeqCst) {
            let started = Instant::now();
            let trigger = {
                let mut s = self.inner.lock();
                s.triggers += 1;
                s.triggers
            };
            self.status("Getting offsets from sources", false, true);
            let limit = if self.exec.trigger == Trigger::Once { ReadLimit::AllAvailable } else { ReadLimit::Default };
            let mut ends = Vec::with_capacity(self.exec.sources.len());
            for ((_, source), start) in self.exec.sources.iter().zip(&self.resume.committed) {
                ends.push(source.latest_offset(start.as_ref(), limit)?.or_else(|| start.clone()));
            }
            let mut durations = BTreeMap::new();
            durations.insert("latestOffset".to_string(), started.elapsed().as_millis() as u64);
            let new_data = ends != self.resume.committed;
            // Spark's no-data batch: a watermark that moved can close groups and evict state without new rows.
            let closes_groups = (self.exec.aggregate.is_some()
                || self.exec.dedup.is_some()
                || self.exec.groups.is_some()
                || self.exec.sessions.is_some())
                && self.exec.watermark.is_some()
                && self.resume.watermark_ms > self.resume.last_batch_watermark_ms;
            let ran = new_data || closes_groups || self.deadline_passed()?;
            if ran {
                let seq = OffsetSeq {
                    metadata: BatchMetadata {
                        batch_watermark_ms: self.resume.watermark_ms,
                        batch_timestamp_ms: now_ms(),
                    },
                    offsets: ends,
                };
                let wal = Instant::now();
                if let Some(cp) = &self.exec.checkpoint {
                    cp.write_offsets(self.resume.next_batch, &seq)?;
                }
                durations.insert("walCommit".to_string(), wal.elapsed().as_millis() as u64);
                let batch = self.resume.next_batch;
                self.run_batch(batch, seq, started, durations, last_trigger)?;
            } else {
                self.status("Waiting for data to arrive", false, false);
                self.inner.update(|s| s.idle_trigger = Some(trigger));
            }
            last_trigger = Some(started);
            match self.exec.trigger {
                Trigger::Once => break,
                Trigger::AvailableNow if !ran => break,
                Trigger::AvailableNow => {}
                Trigger::ProcessingTime(interval) => {
                    self.inner.sleep(interval.saturating_sub(started.elapsed()));
                }
                Trigger::Default if !ran => self.inner.idle(IDLE_POLL),
                Trigger::Default => {}
            }
        }
        Ok(())
    }

    /// Whether a key of a per-key state function has a processing-time deadline behind the clock: its timeout
    /// needs a batch even without new rows. (Spark runs a no-data batch every trigger under processing-time
    /// timeouts; running one only when a deadline has passed gives the same output.)
    fn deadline_passed(&mut self) -> Result<bool> {
        let batch = self.resume.next_batch;
        match &mut self.exec.groups {
            Some((node, groups)) if node.timeout == GroupStateTimeout::ProcessingTimeTimeout => {
                Ok(groups.next_timeout_ms(node, batch)?.is_some_and(|deadline| deadline < now_ms()))
            }
            _ => Ok(false),
        }
    }

    /// Runs one logged batch through the plan and the sink, then commits it.
    fn run_batch(
        &mut self,
        batch: u64,
        seq: OffsetSeq,
        started: Instant,
        mut durations: BTreeMap<String, u64>,
        previous_trigger: Option<Instant>,
    ) -> Result<()> {
        self.status("Processing new data", true, true);
        // The batch's jobs (its query, and a `foreach_batch` sink's own) are described as Spark describes them.
        let _description = crate::scheduler::JobDescription::set(
            &self.exec.session.ctx,
            format!(
                "{}\nid = {}\nrunId = {}\nbatch = {batch}",
                self.inner.name.as_deref().unwrap_or(""),
                self.inner.id,
                self.inner.run_id
            ),
        );
        let get = Instant::now();
        let mut rows: BTreeMap<usize, Vec<RecordBatch>> = BTreeMap::new();
        let mut sources = Vec::with_capacity(self.exec.sources.len());
        for (((table, source), start), end) in self.exec.sources.iter().zip(&self.resume.committed).zip(&seq.offsets) {
            let batches = match end {
                Some(end) if Some(end) != start.as_ref() => source.get_batch(start.as_ref(), end)?,
                _ => Vec::new(),
            };
            let n: usize = batches.iter().map(RecordBatch::num_rows).sum();
            sources.push((source.description(), start.clone(), end.clone(), n as u64));
            rows.insert(*table, batches);
        }
        durations.insert("getBatch".to_string(), get.elapsed().as_millis() as u64);
        let planning = Instant::now();
        let watermark = self.exec.watermark.clone().map(|definition| BatchWatermark {
            definition,
            value: (seq.metadata.batch_watermark_ms > 0).then_some(seq.metadata.batch_watermark_ms * 1000),
        });
        let mut hooks = Hooks {
            session: &self.exec.session,
            aggregate: self.exec.aggregate.as_mut(),
            dedup: self.exec.dedup.as_mut(),
            groups: self.exec.groups.as_mut(),
            sessions: self.exec.sessions.as_mut(),
            batch,
            batch_time_ms: seq.metadata.batch_timestamp_ms,
            mode: self.exec.mode,
            watermark: watermark.as_ref(),
            max_event_time: None,
            metrics: None,
        };
        let plan = batch_plan(&self.exec.plan, &rows, &mut hooks)?;
        let (max_event_time, aggregate_metrics) = (hooks.max_event_time, hooks.metrics);
        let state = self.exec.session.ctx.sql_state()?;
        let df =
            DataFrame::new(self.exec.session.clone(), datafusion::dataframe::DataFrame::new(state.ctx.state(), plan));
        durations.insert("queryPlanning".to_string(), planning.elapsed().as_millis() as u64);
        let add = Instant::now();
        let schema = df.schema();
        let mut output = df.collect_batches()?;
        let output_rows: usize = output.iter().map(RecordBatch::num_rows).sum();
        if output.is_empty() {
            output.push(RecordBatch::new_empty(schema));
        }
        let result = self.exec.session.create_dataframe_from_batches(output)?;
        self.exec.sink.add_batch(batch, result, self.exec.mode)?;
        durations.insert("addBatch".to_string(), add.elapsed().as_millis() as u64);
        let commit = Instant::now();
        // Spark's rule: the next batch's watermark is the largest event time seen less the delay, never lower.
        let next_watermark_ms = match (&self.exec.watermark, max_event_time) {
            (Some(w), Some(max)) => seq.metadata.batch_watermark_ms.max((max - w.delay).div_euclid(1000)),
            _ => seq.metadata.batch_watermark_ms,
        };
        if let Some(cp) = &self.exec.checkpoint {
            cp.write_commit(batch, next_watermark_ms)?;
        }
        self.resume.watermark_ms = next_watermark_ms;
        self.resume.last_batch_watermark_ms = seq.metadata.batch_watermark_ms;
        for ((_, source), end) in self.exec.sources.iter().zip(&seq.offsets) {
            if let Some(end) = end {
                source.commit(end)?;
            }
        }
        durations.insert("commitOffsets".to_string(), commit.elapsed().as_millis() as u64);
        let elapsed = started.elapsed();
        durations.insert("triggerExecution".to_string(), elapsed.as_millis() as u64);
        self.resume.committed = seq.offsets;
        self.resume.next_batch = batch + 1;
        let rate = |rows: u64, d: Duration| if d.is_zero() { 0.0 } else { rows as f64 / d.as_secs_f64() };
        let since_last = previous_trigger.map_or(elapsed, |t| t.elapsed());
        let num_input_rows = sources.iter().map(|s| s.3).sum();
        let progress = StreamingQueryProgress {
            id: self.inner.id.clone(),
            run_id: self.inner.run_id.clone(),
            name: self.inner.name.clone(),
            timestamp: iso_timestamp(seq.metadata.batch_timestamp_ms),
            batch_id: batch,
            num_input_rows,
            input_rows_per_second: rate(num_input_rows, since_last),
            processed_rows_per_second: rate(num_input_rows, elapsed),
            duration_ms: durations,
            event_time: match &self.exec.watermark {
                Some(_) => {
                    let mut times = BTreeMap::from([("watermark".to_string(), iso_timestamp(next_watermark_ms))]);
                    if let Some(max) = max_event_time {
                        times.insert("max".to_string(), iso_timestamp(max.div_euclid(1000)));
                    }
                    times
                }
                None => BTreeMap::new(),
            },
            state_operators: aggregate_metrics
                .map(|m| StateOperatorProgress {
                    operator_name: match (&self.exec.dedup, &self.exec.groups) {
                        (Some(_), _) => "dedupe",
                        (_, Some((node, _))) => node.operator,
                        _ if self.exec.sessions.is_some() => "sessionWindowStateStoreSaveExec",
                        _ => "stateStoreSave",
                    }
                    .to_string(),
                    num_rows_total: m.num_rows_total,
                    num_rows_updated: m.num_rows_updated,
                    num_rows_removed: m.num_rows_removed,
                    num_rows_dropped_by_watermark: m.num_rows_dropped_by_watermark,
                })
                .into_iter()
                .collect(),
            sources: sources
                .into_iter()
                .map(|(description, start, end, n)| SourceProgress {
                    description,
                    start_offset: start.map(|o| o.0),
                    end_offset: end.map(|o| o.0),
                    num_input_rows: n,
                    input_rows_per_second: rate(n, since_last),
                    processed_rows_per_second: rate(n, elapsed),
                })
                .collect(),
            sink: SinkProgress { description: self.exec.sink_description.clone(), num_output_rows: output_rows as u64 },
        };
        self.display.progress(&progress);
        self.inner.update(|s| {
            if s.progress.len() == RECENT_PROGRESS {
                s.progress.pop_front();
            }
            s.progress.push_back(progress);
        });
        Ok(())
    }
}

/// The stateful steps of one micro-batch.
struct Hooks<'a> {
    session: &'a Session,
    aggregate: Option<&'a mut (Aggregate, StreamingAggregate)>,
    dedup: Option<&'a mut (Distinct, StreamingDedup)>,
    groups: Option<&'a mut (GroupsWithState, StreamingGroups)>,
    sessions: Option<&'a mut (SessionAggregate, StreamingSessions)>,
    batch: u64,
    /// The batch's processing time, in ms, as logged with its offsets.
    batch_time_ms: i64,
    mode: OutputMode,
    watermark: Option<&'a BatchWatermark>,
    /// The largest event time under the watermark in this batch, in microseconds.
    max_event_time: Option<i64>,
    metrics: Option<AggregateMetrics>,
}

impl BatchHooks for Hooks<'_> {
    fn aggregate(&mut self, agg: &Aggregate, input: LogicalPlan) -> Result<LogicalPlan> {
        let Some((_, state)) = self.aggregate.as_deref_mut() else {
            return Err(Error::Internal("a streaming aggregation without state".to_string()));
        };
        let (plan, metrics) = state.run(self.session, agg, input, self.batch, self.mode, self.watermark)?;
        self.metrics = Some(metrics);
        Ok(plan)
    }

    fn distinct(&mut self, distinct: &Distinct, input: LogicalPlan) -> Result<LogicalPlan> {
        let Some((_, state)) = self.dedup.as_deref_mut() else {
            return Err(Error::Internal("a streaming deduplication without state".to_string()));
        };
        let (plan, metrics) = state.run(self.session, distinct, input, self.batch, self.watermark)?;
        self.metrics = Some(metrics);
        Ok(plan)
    }

    fn groups_with_state(&mut self, node: &GroupsWithState, input: LogicalPlan) -> Result<LogicalPlan> {
        let Some((_, state)) = self.groups.as_deref_mut() else {
            return Err(Error::Internal("a per-key state function without state".to_string()));
        };
        let watermark = self.watermark.map(|w| (&w.definition, w.value));
        let (plan, metrics) = state.run(self.session, node, input, self.batch, self.batch_time_ms, watermark)?;
        self.metrics = Some(metrics);
        Ok(plan)
    }

    fn session_aggregate(&mut self, node: &SessionAggregate, input: LogicalPlan) -> Result<LogicalPlan> {
        let Some((_, state)) = self.sessions.as_deref_mut() else {
            return Err(Error::Internal("a session-window aggregation without state".to_string()));
        };
        let watermark = self.watermark.and_then(|w| w.value);
        let (plan, metrics) = state.run(self.session, node, input, self.batch, self.mode, watermark)?;
        self.metrics = Some(metrics);
        Ok(plan)
    }

    fn watermark(&mut self, marker: &Watermark, input: &LogicalPlan) -> Result<()> {
        use datafusion::arrow::array::{Array, AsArray};
        use datafusion::arrow::datatypes::TimestampMicrosecondType;
        let time = datafusion::logical_expr::cast(
            datafusion::logical_expr::Expr::Column(marker.column.clone()),
            super::watermark::micros(),
        );
        let plan = LogicalPlanBuilder::from(input.clone())
            .aggregate(
                Vec::<datafusion::logical_expr::Expr>::new(),
                vec![datafusion::functions_aggregate::min_max::max(time)],
            )?
            .build()?;
        let state = self.session.ctx.sql_state()?;
        let df = DataFrame::new(self.session.clone(), datafusion::dataframe::DataFrame::new(state.ctx.state(), plan));
        for batch in df.collect_batches()? {
            let max = batch.column(0).as_primitive::<TimestampMicrosecondType>();
            if !max.is_empty() && !max.is_null(0) {
                self.max_event_time = self.max_event_time.max(Some(max.value(0)));
            }
        }
        Ok(())
    }
}
