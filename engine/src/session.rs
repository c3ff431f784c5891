//! The session: Spark's `SparkSession` and `SparkContext` in one.
//!
//! A session owns the task pool (`local[N]` → N threads), the shuffle outputs, the block store, the memory
//! budgets, the spill directory and the listeners. It is cheap to clone; every RDD keeps a handle to it.

use crate::accumulator::{
    Accumulator, CollectionAccumulator, DoubleAccumulator, LongAccumulator, collection_param, double_param, long_param,
};
use crate::broadcast::Broadcast;
use crate::error::{Error, Result};
use crate::rdd::Data;
use crate::scheduler::listener::{Listener, ListenerBus};
use crate::shuffle::ShuffleManager;
use crate::storage::{BlockManager, RddStorageInfo};
use datafusion_spark::SessionStateBuilderSpark;
use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

const DEFAULT_SHUFFLE_MEMORY: usize = 2 << 30;
const DEFAULT_STORAGE_MEMORY: usize = 2 << 30;

#[derive(Debug, Default)]
pub(crate) struct Ids {
    pub(crate) rdd: AtomicUsize,
    pub(crate) shuffle: AtomicUsize,
    pub(crate) job: AtomicUsize,
    pub(crate) stage: AtomicUsize,
    pub(crate) broadcast: AtomicUsize,
    pub(crate) accumulator: AtomicUsize,
}

/// What RDDs and tasks share of a session.
pub(crate) struct SessionContext {
    pub(crate) app_name: String,
    pub(crate) master: String,
    pub(crate) parallelism: usize,
    pub(crate) pool: rayon::ThreadPool,
    pub(crate) ids: Ids,
    pub(crate) shuffles: ShuffleManager,
    pub(crate) blocks: BlockManager,
    /// Shared with running queries (as `cancel_epoch`): their streams may be dropped on the query runtime's threads
    /// after the session, which must not be dropped there (it owns that runtime).
    pub(crate) listeners: Arc<ListenerBus>,
    pub(crate) conf: Mutex<BTreeMap<String, String>>,
    /// Bumped by `cancel_all_jobs`: a job that started at an older epoch is cancelled.
    pub(crate) cancel_epoch: Arc<AtomicU64>,
    stopped: AtomicBool,
    /// DataFrames and SQL: started on first use, so RDD-only programs never start a tokio runtime.
    sql: std::sync::OnceLock<SqlState>,
    /// Streaming queries started in the session (`session.streams()` lists the active ones).
    pub(crate) streams: Mutex<Vec<crate::streaming::StreamingQuery>>,
    /// Spark's `spark.job.description` local property: what each thread's jobs are called.
    job_descriptions: Mutex<std::collections::HashMap<std::thread::ThreadId, String>>,
    // Declared last so it is removed last: spill files and disk blocks live under it.
    local_dir: tempfile::TempDir,
}

impl fmt::Debug for SessionContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session").field("app_name", &self.app_name).field("master", &self.master).finish()
    }
}

/// The relational side of a session: DataFusion's context and the runtime its async execution runs on.
pub(crate) struct SqlState {
    pub(crate) runtime: tokio::runtime::Runtime,
    pub(crate) ctx: datafusion::prelude::SessionContext,
}

impl SqlState {
    fn new(parallelism: usize) -> Result<Self> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(parallelism)
            .thread_name("flint-sql")
            .enable_all()
            .build()
            .map_err(|e| Error::Internal(format!("starting the query runtime: {e}")))?;
        let mut config =
            datafusion::prelude::SessionConfig::new().with_target_partitions(parallelism).with_information_schema(true);
        // Spark sorts NULLs first in ascending order and last in descending order.
        config.options_mut().sql_parser.default_null_ordering = "nulls_min".to_string();
        // Spark SQL's grammar (backquoted names, `DIV`, `RLIKE`, …) and Spark's functions where DataFusion's
        // differ (`concat` with a null, `if`, `date_add`, `collect_list`, …), from DataFusion's own Spark package.
        config.options_mut().sql_parser.dialect = datafusion::common::config::Dialect::Spark;
        config.options_mut().sql_parser.parse_float_as_decimal = true;
        config.options_mut().sql_parser.enable_ident_normalization = false;
        let mut builder = datafusion::execution::SessionStateBuilder::new()
            .with_config(config)
            .with_default_features()
            .with_spark_features();
        // Flint's operators first: planners are asked in order.
        builder.expr_planners().get_or_insert_with(Vec::new).insert(0, Arc::new(crate::sql::SparkOperators));
        let ctx = datafusion::prelude::SessionContext::new_with_state(builder.build());
        for f in crate::sql::scalar_functions() {
            ctx.register_udf(f);
        }
        for f in crate::moments::aggregate_functions() {
            ctx.register_udaf(f);
        }
        // Spark's names for aggregates DataFusion has under other names.
        for (name, alias) in [("first_value", "first"), ("last_value", "last")] {
            if let Some(f) = ctx.state().aggregate_functions().get(name) {
                ctx.register_udaf(f.as_ref().clone().with_aliases([alias]));
            }
        }
        Ok(SqlState { runtime, ctx })
    }

    /// Runs a future of the query engine to completion on the runtime (the public API is synchronous).
    pub(crate) fn block_on<F: std::future::Future>(&self, future: F) -> F::Output {
        self.runtime.block_on(future)
    }
}

impl SessionContext {
    pub(crate) fn sql_state(&self) -> Result<&SqlState> {
        match self.sql.get() {
            Some(state) => Ok(state),
            // Another thread may win the race; either state is equivalent.
            None => {
                let state = SqlState::new(self.parallelism)?;
                Ok(self.sql.get_or_init(|| state))
            }
        }
    }

    /// Runs `f` on the session's task pool.
    pub(crate) fn install<R: Send>(&self, f: impl FnOnce() -> R + Send) -> R {
        self.pool.install(f)
    }

    pub(crate) fn next_id(&self, counter: &AtomicUsize) -> usize {
        counter.fetch_add(1, Ordering::Relaxed)
    }

    /// Replaces the description of the jobs the current thread starts (`None`: named after their action and
    /// call site); returns the previous one.
    pub(crate) fn replace_job_description(&self, description: Option<String>) -> Option<String> {
        let mut all = self.job_descriptions.lock().unwrap_or_else(|e| e.into_inner());
        let thread = std::thread::current().id();
        match description {
            Some(d) => all.insert(thread, d),
            None => all.remove(&thread),
        }
    }

    /// A job's description: the current thread's job description if one is set, else `action at site`.
    pub(crate) fn job_description(&self, action: &str, site: &str) -> String {
        let all = self.job_descriptions.lock().unwrap_or_else(|e| e.into_inner());
        all.get(&std::thread::current().id()).cloned().unwrap_or_else(|| format!("{action} at {site}"))
    }

    pub(crate) fn cancel_epoch(&self) -> u64 {
        self.cancel_epoch.load(Ordering::Relaxed)
    }

    pub(crate) fn check_active(&self) -> Result<()> {
        if self.stopped.load(Ordering::Relaxed) {
            return Err(Error::SessionStopped(self.app_name.clone()));
        }
        Ok(())
    }
}

/// The entry point: creates RDDs, broadcast variables and accumulators, and runs jobs.
///
/// ```
/// use flint_engine::prelude::*;
///
/// let session = Session::builder().app_name("doc").master("local[2]").build()?;
/// let counts = session
///     .parallelize(vec!["a b".to_string(), "b c".into(), "c".into()], 2)
///     .flat_map(|line| line.split(' ').map(str::to_string).collect::<Vec<_>>())
///     .map(|w| (w, 1))
///     .reduce_by_key(|a, b| a + b)
///     .sort_by_key(true)
///     .collect()?;
/// assert_eq!(counts, vec![("a".to_string(), 1), ("b".to_string(), 2), ("c".to_string(), 2)]);
/// # Ok::<(), flint_engine::Error>(())
/// ```
#[derive(Clone)]
pub struct Session {
    pub(crate) ctx: crate::opaque::Opaque<SessionContext>,
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.ctx.fmt(f)
    }
}

static ACTIVE: Mutex<Option<Session>> = Mutex::new(None);

/// The rayon pool tasks run on.
fn task_pool(parallelism: usize) -> Result<rayon::ThreadPool> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(parallelism)
        .thread_name(|i| format!("flint-task-{i}"))
        .build()
        .map_err(|e| Error::Internal(format!("starting the task pool: {e}")))
}

/// The active session, if any (the one `get_or_create` returns).
pub(crate) fn active() -> Option<Session> {
    ACTIVE.lock().unwrap_or_else(|e| e.into_inner()).clone()
}

/// Options of a new session (Spark's `SparkSession.builder`).
#[derive(Debug, Clone)]
pub struct SessionBuilder {
    app_name: String,
    master: String,
    conf: BTreeMap<String, String>,
}

/// Parses Spark's local master URLs: `local`, `local[N]`, `local[*]`.
fn parse_master(master: &str) -> Result<usize> {
    let cores = || std::thread::available_parallelism().map_or(1, |n| n.get());
    let bad = || {
        Error::param(
            "master",
            format!("`{master}` is not a master this engine runs; use \"local\", \"local[N]\" or \"local[*]\""),
        )
    };
    match master.trim() {
        "local" => Ok(1),
        "local[*]" => Ok(cores()),
        m => {
            let n = m.strip_prefix("local[").and_then(|r| r.strip_suffix(']')).ok_or_else(bad)?;
            match n.parse::<usize>() {
                Ok(n) if n > 0 => Ok(n),
                _ => Err(bad()),
            }
        }
    }
}

/// Parses a byte size as Spark writes them: `512m`, `2g`, `1024k`, or a plain number of bytes.
pub(crate) fn parse_bytes(name: &str, value: &str) -> Result<usize> {
    let v = value.trim().to_ascii_lowercase();
    let v = v.strip_suffix('b').unwrap_or(&v);
    let (digits, unit) = match v.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        Some((i, _)) => (&v[..i], &v[i..]),
        None => (v, ""),
    };
    let mult: usize = match unit {
        "" => 1,
        "k" => 1 << 10,
        "m" => 1 << 20,
        "g" => 1 << 30,
        "t" => 1 << 40,
        _ => return Err(Error::param(name, format!("`{value}` is not a size; write e.g. 512m or 2g"))),
    };
    digits
        .parse::<usize>()
        .ok()
        .and_then(|d| d.checked_mul(mult))
        .ok_or_else(|| Error::param(name, format!("`{value}` is not a size; write e.g. 512m or 2g")))
}

impl SessionBuilder {
    /// The application's name (shown in events and errors).
    pub fn app_name(mut self, name: impl Into<String>) -> Self {
        self.app_name = name.into();
        self
    }

    /// Where tasks run: `local[N]` runs N tasks at a time, `local[*]` (the default) one per core.
    pub fn master(mut self, master: impl Into<String>) -> Self {
        self.master = master.into();
        self
    }

    /// A configuration value. Keys Flint reads: `spark.local.dir` (spill and disk blocks),
    /// `flint.shuffle.memory` (execution memory for shuffles before they spill, default `2g`),
    /// `flint.storage.memory` (memory for cached partitions, default `2g`), `spark.sql.files.openCostInBytes` (the
    /// smallest byte range one task of a CSV or JSON read parses, default `4m`, as Spark's). Other keys are kept
    /// and readable.
    pub fn config(mut self, key: impl Into<String>, value: impl ToString) -> Self {
        self.conf.insert(key.into(), value.to_string());
        self
    }

    /// Creates a new session, independent of the active one.
    pub fn build(self) -> Result<Session> {
        let parallelism = parse_master(&self.master)?;
        let shuffle_memory = match self.conf.get("flint.shuffle.memory") {
            Some(v) => parse_bytes("flint.shuffle.memory", v)?,
            None => DEFAULT_SHUFFLE_MEMORY,
        };
        let storage_memory = match self.conf.get("flint.storage.memory") {
            Some(v) => parse_bytes("flint.storage.memory", v)?,
            None => DEFAULT_STORAGE_MEMORY,
        };
        let local_dir = match self.conf.get("spark.local.dir") {
            Some(dir) => {
                std::fs::create_dir_all(dir).map_err(|e| Error::io("creating", dir, e))?;
                tempfile::Builder::new().prefix("flint-").tempdir_in(dir)
            }
            None => tempfile::Builder::new().prefix("flint-").tempdir(),
        }
        .map_err(|e| Error::io("creating", "the spill directory", e))?;
        let pool = task_pool(parallelism)?;
        let shuffle_dir = local_dir.path().join("shuffle");
        let block_dir = local_dir.path().join("blocks");
        for dir in [&shuffle_dir, &block_dir] {
            std::fs::create_dir_all(dir).map_err(|e| Error::io("creating", dir, e))?;
        }
        let session = Session {
            ctx: crate::opaque::Opaque::new(SessionContext {
                app_name: self.app_name,
                master: self.master,
                parallelism,
                pool,
                ids: Ids::default(),
                shuffles: ShuffleManager::new(shuffle_memory, shuffle_dir),
                blocks: BlockManager::new(storage_memory, block_dir),
                listeners: Arc::default(),
                conf: Mutex::new(self.conf),
                cancel_epoch: Arc::default(),
                stopped: AtomicBool::new(false),
                sql: std::sync::OnceLock::new(),
                streams: Mutex::default(),
                job_descriptions: Mutex::default(),
                local_dir,
            }),
        };
        if crate::notebook::in_kernel() {
            session.add_listener(Arc::new(crate::notebook::Progress::default()));
        }
        Ok(session)
    }

    /// Returns the active session if there is one (its settings win, as in Spark), or builds one and makes it
    /// active.
    pub fn get_or_create(self) -> Result<Session> {
        let mut active = ACTIVE.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(s) = active.as_ref().filter(|s| !s.ctx.stopped.load(Ordering::Relaxed)) {
            return Ok(s.clone());
        }
        let session = self.build()?;
        *active = Some(session.clone());
        Ok(session)
    }
}

impl Session {
    /// Options for a new session: app name `flint`, master `local[*]`.
    pub fn builder() -> SessionBuilder {
        SessionBuilder { app_name: "flint".into(), master: "local[*]".into(), conf: BTreeMap::new() }
    }

    /// The application's name.
    pub fn app_name(&self) -> &str {
        &self.ctx.app_name
    }

    /// The master URL the session was built with.
    pub fn master(&self) -> &str {
        &self.ctx.master
    }

    /// Number of tasks run at once, and the default partition count of `parallelize` and `range`.
    pub fn default_parallelism(&self) -> usize {
        self.ctx.parallelism
    }

    /// Spark's `defaultMinPartitions`: `min(default_parallelism, 2)`, used by `text_file`.
    pub fn default_min_partitions(&self) -> usize {
        self.ctx.parallelism.min(2)
    }

    /// A configuration value set on the builder.
    pub fn conf(&self, key: &str) -> Option<String> {
        self.ctx.conf.lock().unwrap_or_else(|e| e.into_inner()).get(key).cloned()
    }

    /// Registers a listener for job, stage and task events.
    pub fn add_listener(&self, listener: Arc<dyn Listener>) {
        self.ctx.listeners.add(listener);
    }

    /// Names the jobs the current thread starts in this session from now on, in the listeners' events and the
    /// notebook's progress bars (Spark's `setJobDescription`); `None` names them after their action and call site
    /// again. Unlike Spark's, the description is not inherited by threads the current one starts.
    ///
    /// ```
    /// # use flint_engine::prelude::*;
    /// # fn main() -> Result<()> {
    /// let session = Session::builder().master("local[2]").build()?;
    /// let log = EventLog::new();
    /// session.add_listener(log.clone());
    /// session.set_job_description(Some("nightly totals"));
    /// session.range(0, 10, 1, 2)?.count()?;
    /// session.set_job_description(None);
    /// assert!(matches!(&log.events()[0], Event::JobStart { description, .. } if description == "nightly totals"));
    /// # Ok(())
    /// # }
    /// ```
    pub fn set_job_description(&self, description: Option<&str>) {
        self.ctx.replace_job_description(description.map(str::to_string));
    }

    /// Cancels every running job, RDD actions and DataFrame or SQL queries alike: their tasks stop at the next
    /// record boundary they check (a query's, at its next batch) and the jobs fail with [`Error::Cancelled`]. Jobs
    /// started later run normally.
    pub fn cancel_all_jobs(&self) {
        self.ctx.cancel_epoch.fetch_add(1, Ordering::Relaxed);
    }

    /// Stops the session and its streaming queries: later jobs fail with [`Error::SessionStopped`].
    pub fn stop(&self) {
        // As Spark's `stop()`, the session's streaming queries stop first; a query whose thread panicked has
        // nothing left to stop, so that error is not the session's.
        let _ = self.streams().stop_all();
        self.ctx.stopped.store(true, Ordering::Relaxed);
        let mut active = ACTIVE.lock().unwrap_or_else(|e| e.into_inner());
        if active.as_ref().is_some_and(|s| crate::opaque::Opaque::ptr_eq(&s.ctx, &self.ctx)) {
            *active = None;
        }
    }

    /// A read-only value shared by every task (Spark's `sc.broadcast`).
    pub fn broadcast<T: Send + Sync + 'static>(&self, value: T) -> Broadcast<T> {
        Broadcast::new(self.ctx.next_id(&self.ctx.ids.broadcast), value)
    }

    /// A named accumulator of `i64` sums (Spark's `sc.longAccumulator(name)`).
    pub fn long_accumulator(&self, name: &str) -> LongAccumulator {
        Accumulator::new(self.ctx.next_id(&self.ctx.ids.accumulator), Some(name.into()), long_param())
    }

    /// A named accumulator of `f64` sums (Spark's `sc.doubleAccumulator(name)`).
    pub fn double_accumulator(&self, name: &str) -> DoubleAccumulator {
        Accumulator::new(self.ctx.next_id(&self.ctx.ids.accumulator), Some(name.into()), double_param())
    }

    /// A named accumulator collecting values into a list (Spark's `sc.collectionAccumulator(name)`).
    pub fn collection_accumulator<T: Data + fmt::Debug>(&self, name: &str) -> CollectionAccumulator<T> {
        Accumulator::new(self.ctx.next_id(&self.ctx.ids.accumulator), Some(name.into()), collection_param())
    }

    /// An unnamed `i64` accumulator (not reported in task events).
    pub fn accumulator(&self) -> LongAccumulator {
        Accumulator::new(self.ctx.next_id(&self.ctx.ids.accumulator), None, long_param())
    }

    /// What the block store holds of an RDD.
    pub fn rdd_storage_info(&self, rdd_id: usize) -> RddStorageInfo {
        self.ctx.blocks.info(rdd_id)
    }

    /// Spill directory of this session (removed when the session is dropped).
    pub fn local_dir(&self) -> PathBuf {
        self.ctx.local_dir.path().to_path_buf()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masters_parse_like_spark() {
        assert_eq!(parse_master("local").expect("local"), 1);
        assert_eq!(parse_master("local[3]").expect("local[3]"), 3);
        assert!(parse_master("local[*]").expect("local[*]") >= 1);
        let err = parse_master("yarn").expect_err("yarn").to_string();
        assert!(err.contains("local[N]"), "{err}");
        assert!(parse_master("local[0]").is_err());
    }

    #[test]
    fn sizes_parse() {
        assert_eq!(parse_bytes("x", "512m").expect("512m"), 512 << 20);
        assert_eq!(parse_bytes("x", "2g").expect("2g"), 2 << 30);
        assert_eq!(parse_bytes("x", "1000").expect("1000"), 1000);
        assert!(parse_bytes("x", "lots").is_err());
    }

    #[test]
    fn get_or_create_returns_the_active_session() {
        let a = Session::builder().master("local[2]").get_or_create().expect("session");
        let b = Session::builder().master("local[3]").get_or_create().expect("session");
        assert!(crate::opaque::Opaque::ptr_eq(&a.ctx, &b.ctx));
        a.stop();
        let c = Session::builder().master("local[3]").get_or_create().expect("session");
        assert_eq!(c.default_parallelism(), 3);
        c.stop();
    }
}
