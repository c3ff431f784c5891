//! What the Flint kernel needs from the engine when cells run in its child process (`FLINT_KERNEL=1`): rich
//! display in evcxr's MIME-block convention, live displays, and reports of panics and failed jobs that the kernel
//! turns into error replies. Outside the kernel, everything here is inert.
//!
//! The kernel's prelude calls [`install`]. Types with a rich form (`DataFrame`, schemas, RDDs, charts, streaming
//! queries, MLlib's models) implement [`NotebookDisplay`], whose `evcxr_display` evcxr calls on a cell's final value.
//! A running streaming query keeps a live display of its progress, updated per micro-batch.

use crate::error::Error;
use crate::streaming::{StreamingQuery, StreamingQueryProgress};
use datafusion::arrow::datatypes::Schema;
use serde_json::{Value, json};
use std::fmt::Write as _;
use std::io::{BufRead, Write};
use std::sync::OnceLock;

/// MIME type of the block printed for a panic on the cell's thread (read by the kernel).
pub const PANIC_MIME: &str = "application/vnd.flint.panic+json";
/// MIME type of the block printed when an action fails.
pub const ERROR_MIME: &str = "application/vnd.flint.error+json";

static INSTALLED: OnceLock<()> = OnceLock::new();

/// Whether cells run in the Flint kernel (which sets `FLINT_KERNEL=1` for the process that runs them).
pub fn in_kernel() -> bool {
    std::env::var_os("FLINT_KERNEL").is_some_and(|v| v == "1")
}

/// Sets up the engine for the kernel: a panic hook that reports panics of the cell's thread to the kernel, and a
/// listener on the kernel's control socket (`FLINT_KERNEL_CONTROL`) that cancels the running jobs on an interrupt.
/// Does nothing outside the kernel; calling it again does nothing either.
pub fn install() {
    if !in_kernel() {
        return;
    }
    INSTALLED.get_or_init(|| {
        // evcxr runs every cell on the thread that runs the prelude; panics of task threads become job errors.
        let cell_thread = std::thread::current().id();
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if std::thread::current().id() != cell_thread {
                return previous(info);
            }
            let message = info
                .payload()
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| info.payload().downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "Box<dyn Any>".to_string());
            let location = info.location().map(|l| format!("{}:{}:{}", l.file(), l.line(), l.column()));
            let report = json!({"message": message, "location": location.unwrap_or_default(), "thread": "main"});
            emit(&[(PANIC_MIME, report.to_string())]);
        }));
        if let Some(path) = std::env::var_os("FLINT_KERNEL_CONTROL") {
            let _ = std::thread::Builder::new().name("flint-control".into()).spawn(move || listen(path.into()));
        }
    });
}

/// Serves the kernel's control connection: `cancel` cancels the active session's jobs; `cwd <dir>` makes `dir`
/// the working directory of the cells (a kernel started ahead of its notebook learns the notebook's folder so) and
/// answers `ok` or `error <why>`.
fn listen(path: std::path::PathBuf) {
    let Ok(stream) = std::os::unix::net::UnixStream::connect(&path) else { return };
    let Ok(mut answers) = stream.try_clone() else { return };
    for line in std::io::BufReader::new(stream).lines() {
        match line.as_deref() {
            Ok("cancel") => {
                if let Some(session) = crate::session::active() {
                    session.cancel_all_jobs();
                }
            }
            Ok(line) => {
                if let Some(dir) = line.strip_prefix("cwd ") {
                    let answer = match std::env::set_current_dir(dir) {
                        Ok(()) => "ok".to_string(),
                        Err(e) => format!("error {dir}: {e}"),
                    };
                    let _ = writeln!(answers, "{answer}");
                }
            }
            Err(_) => return,
        }
    }
}

/// Prints a MIME bundle in evcxr's convention (`EVCXR_BEGIN_CONTENT mime` … `EVCXR_END_CONTENT`), all under one
/// lock of stdout so that no other output interleaves.
pub fn emit(bundle: &[(&str, String)]) {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    for (mime, content) in bundle {
        let _ = writeln!(out, "EVCXR_BEGIN_CONTENT {mime}\n{content}\nEVCXR_END_CONTENT");
    }
    let _ = out.flush();
}

/// A value with a rich form in notebooks. evcxr shows a cell's final value by calling a method named
/// `evcxr_display` on it: this trait (in the prelude) provides it to every type that gives its MIME bundle, types of
/// other crates included (Arrow's [`Schema`], which `df.schema()` returns), and tests can read the bundle.
pub trait NotebookDisplay {
    /// The value's forms as `(MIME type, content)` pairs, `text/plain` first.
    fn mime_bundle(&self) -> Vec<(&'static str, String)>;

    /// Prints the bundle in evcxr's convention (see [`emit`]).
    fn evcxr_display(&self) {
        emit(&self.mime_bundle());
    }
}

/// evcxr compiles a cell's final expression as `(expr).evcxr_display()` first, and when that fails to compile,
/// compiles the whole cell again with the value's `Debug` form: a second compile (about a second) for every cell
/// that ends in a number, a string or a collection. This trait (in the prelude) gives those common types the method
/// directly, with the same output as evcxr's fallback. Types of their own keep their rich form through
/// [`NotebookDisplay`] (the two never cover one type); an unsuffixed literal (`1 + 1`) still takes the fallback, as
/// Rust calls no method on a number whose type is not inferred yet.
pub trait DebugDisplay: std::fmt::Debug {
    /// Prints the value's `Debug` form as evcxr's fallback prints it.
    fn evcxr_display(&self) {
        emit(&[("text/plain", format!("{self:?}"))]);
    }
}

macro_rules! debug_display {
    ($($t:ty),* $(,)?) => { $(impl DebugDisplay for $t {})* };
}

debug_display!(i8, i16, i32, i64, i128, isize, u8, u16, u32, u64, u128, usize, f32, f64, bool, char, String, &str, ());

impl<T: std::fmt::Debug> DebugDisplay for Vec<T> {}
impl<T: std::fmt::Debug> DebugDisplay for Option<T> {}
impl<T: std::fmt::Debug, const N: usize> DebugDisplay for [T; N] {}
impl<K: std::fmt::Debug, V: std::fmt::Debug, S> DebugDisplay for std::collections::HashMap<K, V, S> {}
impl<K: std::fmt::Debug, V: std::fmt::Debug> DebugDisplay for std::collections::BTreeMap<K, V> {}
impl<A: std::fmt::Debug, B: std::fmt::Debug> DebugDisplay for (A, B) {}
impl<A: std::fmt::Debug, B: std::fmt::Debug, C: std::fmt::Debug> DebugDisplay for (A, B, C) {}

/// The bundle of text that is already laid out (a lineage, a schema tree): as is, and in `<pre>`.
pub fn preformatted(text: String) -> Vec<(&'static str, String)> {
    let html = format!("<pre>{}</pre>", html_escape(&text));
    vec![("text/plain", text), ("text/html", html)]
}

/// A schema shows as Spark's `printSchema()` tree.
impl NotebookDisplay for Schema {
    fn mime_bundle(&self) -> Vec<(&'static str, String)> {
        preformatted(crate::dataframe::show::tree_string(self))
    }
}

/// A titled summary for notebooks: facts (`name: value`), then tables, as text and as HTML. Models and queries build
/// their notebook forms with it, so that they read alike.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Report {
    title: String,
    fields: Vec<(String, String)>,
    tables: Vec<ReportTable>,
}

#[derive(Debug, Clone, PartialEq)]
struct ReportTable {
    caption: String,
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Report {
    /// An empty report under `title` (Spark's `toString` of the object: `KMeansModel: k=2, …`).
    pub fn new(title: impl Into<String>) -> Report {
        Report { title: title.into(), ..Report::default() }
    }

    /// Adds a fact.
    pub fn field(mut self, name: &str, value: impl std::fmt::Display) -> Report {
        self.fields.push((name.to_string(), value.to_string()));
        self
    }

    /// Adds a table: a text table laid out as `show()`'s, an HTML table as a DataFrame's.
    pub fn table(mut self, caption: &str, header: Vec<String>, rows: Vec<Vec<String>>) -> Report {
        self.tables.push(ReportTable { caption: caption.to_string(), header, rows });
        self
    }

    /// The report as text: the title, one `name: value` line per fact, each table under its caption.
    pub fn to_text(&self) -> String {
        let mut out = format!("{}\n", self.title);
        for (name, value) in &self.fields {
            let _ = writeln!(out, "{name}: {value}");
        }
        for table in &self.tables {
            let _ = writeln!(out, "{}:", table.caption);
            crate::dataframe::show::write_table(&mut out, &table.header, &table.rows, true);
        }
        out
    }

    /// The report as HTML: the title in bold, the facts in a two-column table, then the tables.
    pub fn to_html(&self) -> String {
        let mut out = format!("<div class=\"flint-report\">\n<p><strong>{}</strong></p>\n", html_escape(&self.title));
        if !self.fields.is_empty() {
            out.push_str("<table class=\"flint-fields\"><tbody>\n");
            for (name, value) in &self.fields {
                let _ = writeln!(
                    out,
                    "<tr><th style=\"text-align:left\">{}</th><td>{}</td></tr>",
                    html_escape(name),
                    html_escape(value)
                );
            }
            out.push_str("</tbody></table>\n");
        }
        for table in &self.tables {
            let _ = write!(
                out,
                "<table class=\"flint-dataframe\"><caption>{}</caption>\n<thead><tr>",
                html_escape(&table.caption)
            );
            for name in &table.header {
                let _ = write!(out, "<th>{}</th>", html_escape(name));
            }
            out.push_str("</tr></thead>\n<tbody>\n");
            for row in &table.rows {
                out.push_str("<tr>");
                for cell in row {
                    let _ = write!(out, "<td>{}</td>", html_escape(cell));
                }
                out.push_str("</tr>\n");
            }
            out.push_str("</tbody></table>\n");
        }
        out.push_str("</div>");
        out
    }
}

impl NotebookDisplay for Report {
    fn mime_bundle(&self) -> Vec<(&'static str, String)> {
        vec![("text/plain", self.to_text()), ("text/html", self.to_html())]
    }
}

/// Prefix of the one-line live display markers (`FLINT_DISPLAY {json}`) the kernel turns into display messages.
pub const DISPLAY_MARKER: &str = "FLINT_DISPLAY ";

/// Shows (`update == false`) or replaces (`update == true`) a live display: the kernel turns the marker line into
/// `display_data` / `update_display_data` with this `display_id`.
///
/// Markers go to stderr: evcxr reads a cell process's stdout only while a cell runs, stderr all the time, so that a
/// background thread (a streaming query) can update its display between cells.
pub fn live_display(display_id: &str, bundle: &[(&str, String)], update: bool) {
    let data: serde_json::Map<String, Value> =
        bundle.iter().map(|(mime, content)| (mime.to_string(), Value::String(content.clone()))).collect();
    let marker = json!({"op": if update { "update" } else { "display" }, "display_id": display_id, "data": data});
    let stderr = std::io::stderr();
    let mut out = stderr.lock();
    let _ = writeln!(out, "{DISPLAY_MARKER}{marker}");
    let _ = out.flush();
}

/// The live display of a running streaming query (one per run): shown when its first micro-batch ends, updated as
/// later ones end (at most every 200 ms; a skipped batch shows with the next), and replaced by a one-line summary
/// when the query stops or fails. Outside the kernel it only counts.
#[derive(Debug, Default)]
pub(crate) struct QueryDisplay {
    /// The display's id and the query's label, from the first progress.
    shown: Option<(String, String)>,
    last_shown: Option<std::time::Instant>,
    batches: u64,
    rows: u64,
}

impl QueryDisplay {
    /// Records a micro-batch's progress and shows it.
    pub(crate) fn progress(&mut self, progress: &StreamingQueryProgress) {
        self.batches += 1;
        self.rows += progress.num_input_rows;
        if !in_kernel() {
            return;
        }
        let now = std::time::Instant::now();
        if self.last_shown.is_some_and(|last| now.duration_since(last) < PROGRESS_INTERVAL) {
            return;
        }
        let update = self.shown.is_some();
        let (display_id, _) = self.shown.get_or_insert_with(|| {
            (format!("flint-query-{}", progress.run_id), query_label(progress.name.as_deref(), &progress.id))
        });
        live_display(display_id, &progress_report(progress).mime_bundle(), update);
        self.last_shown = Some(now);
    }

    /// Replaces the display (if one was shown) by the query's summary.
    pub(crate) fn end(&self, failure: Option<&str>) {
        if let Some((display_id, label)) = &self.shown {
            live_display(display_id, &self.summary(label, failure), true);
        }
    }

    fn summary(&self, label: &str, failure: Option<&str>) -> Vec<(&'static str, String)> {
        let plural = if self.batches == 1 { "" } else { "es" };
        let counts = format!("{} batch{plural}, {} input rows", self.batches, self.rows);
        let text = match failure {
            Some(error) => format!("{label}: failed after {counts}: {error}"),
            None => format!("{label}: stopped after {counts}"),
        };
        let html = format!("<div>{}</div>", html_escape(&text));
        vec![("text/plain", text), ("text/html", html)]
    }
}

/// How a query is named in displays (as in its errors): `` `name` [id = …] ``.
fn query_label(name: Option<&str>, id: &str) -> String {
    match name {
        Some(name) => format!("StreamingQuery `{name}` [id = {id}]"),
        None => format!("StreamingQuery [id = {id}]"),
    }
}

/// A micro-batch's figures under Spark's names: its id, rows and rates, `triggerExecution`'s duration, the rows
/// in state when the query keeps state, and the watermark when it has one.
fn progress_fields(report: Report, progress: &StreamingQueryProgress) -> Report {
    let mut report = report
        .field("batchId", progress.batch_id)
        .field("numInputRows", progress.num_input_rows)
        .field("inputRowsPerSecond", format!("{:.1}", progress.input_rows_per_second))
        .field("processedRowsPerSecond", format!("{:.1}", progress.processed_rows_per_second));
    if let Some(ms) = progress.duration_ms.get("triggerExecution") {
        report = report.field("durationMs.triggerExecution", ms);
    }
    if !progress.state_operators.is_empty() {
        let total: u64 = progress.state_operators.iter().map(|s| s.num_rows_total).sum();
        report = report.field("stateOperators.numRowsTotal", total);
    }
    if let Some(watermark) = progress.event_time.get("watermark") {
        report = report.field("eventTime.watermark", watermark);
    }
    report
}

/// The live display of a running query: its label and its last micro-batch.
fn progress_report(progress: &StreamingQueryProgress) -> Report {
    progress_fields(Report::new(query_label(progress.name.as_deref(), &progress.id)), progress)
}

/// A query shows its status and its last micro-batch (Spark's `status` and `lastProgress`).
impl NotebookDisplay for StreamingQuery {
    fn mime_bundle(&self) -> Vec<(&'static str, String)> {
        let status = self.status();
        let mut report = Report::new(query_label(self.name(), self.id()))
            .field("runId", self.run_id())
            .field("isActive", self.is_active())
            .field("message", &status.message)
            .field("isDataAvailable", status.is_data_available)
            .field("isTriggerActive", status.is_trigger_active);
        if let Some(error) = self.exception() {
            report = report.field("exception", error);
        }
        if let Some(progress) = self.last_progress() {
            report = progress_fields(report, &progress);
        }
        report.mime_bundle()
    }
}

/// Spark's `StreamingQueryProgress.toString`: the pretty JSON.
impl std::fmt::Display for StreamingQueryProgress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.json())
    }
}

/// Live progress of the session's jobs in a notebook, as Spark's console progress bar: a job that runs longer than
/// half a second gets a display (its latest stage, tasks done of its running stages' total, rows read, elapsed
/// time), updated at most every 200 ms as tasks end, and replaced by a one-line summary when the job ends. Quick
/// jobs show nothing.
#[derive(Debug, Default)]
pub(crate) struct Progress {
    jobs: std::sync::Mutex<std::collections::HashMap<usize, JobProgress>>,
}

#[derive(Debug)]
struct JobProgress {
    /// The display's id, unique in the notebook (job ids start again in a restarted kernel).
    display_id: String,
    description: String,
    started: std::time::Instant,
    /// When the display was last shown or updated (`None`: not shown yet).
    shown: Option<std::time::Instant>,
    stages: usize,
    /// The stages running, in the order they were submitted: an RDD job runs one at a time, a query all at once.
    running: Vec<StageProgress>,
    all_tasks: usize,
    rows: u64,
}

#[derive(Debug)]
struct StageProgress {
    stage_id: usize,
    name: String,
    tasks_total: usize,
    tasks_done: usize,
}

/// Before this, a job shows no progress; then updates are at least this far apart.
const PROGRESS_DELAY: std::time::Duration = std::time::Duration::from_millis(500);
const PROGRESS_INTERVAL: std::time::Duration = std::time::Duration::from_millis(200);

impl JobProgress {
    fn bar(&self, job_id: usize) -> [(&'static str, String); 2] {
        let elapsed = self.started.elapsed().as_secs_f64();
        let (stage_id, stage_name) = self.running.last().map_or((0, ""), |s| (s.stage_id, s.name.as_str()));
        let tasks_done: usize = self.running.iter().map(|s| s.tasks_done).sum();
        let tasks_total: usize = self.running.iter().map(|s| s.tasks_total).sum();
        let width = 30;
        let filled = (tasks_done * width).checked_div(tasks_total).unwrap_or(0).min(width);
        let text = format!(
            "[Job {job_id} · Stage {stage_id}: {}{} ({} / {} tasks) {} rows · {elapsed:.1} s] {}",
            "=".repeat(filled),
            " ".repeat(width - filled),
            tasks_done,
            tasks_total,
            self.rows,
            self.description
        );
        let html = format!(
            "<div><progress value=\"{tasks_done}\" max=\"{}\" style=\"width:16em\"></progress> Job {job_id} · Stage \
             {stage_id} ({}): {tasks_done} / {tasks_total} tasks · {} rows · {elapsed:.1} s</div>",
            tasks_total.max(1),
            html_escape(stage_name),
            self.rows
        );
        [("text/plain", text), ("text/html", html)]
    }

    fn summary(&self, job_id: usize, failure: Option<&str>) -> [(&'static str, String); 2] {
        let outcome = match failure {
            Some(f) => format!("failed: {f}"),
            None => format!(
                "{} stage{}, {} tasks, {} rows in {:.2} s",
                self.stages,
                if self.stages == 1 { "" } else { "s" },
                self.all_tasks,
                self.rows,
                self.started.elapsed().as_secs_f64()
            ),
        };
        let text = format!("Job {job_id} ({}): {outcome}", self.description);
        let html = format!("<div>{}</div>", html_escape(&text));
        [("text/plain", text), ("text/html", html)]
    }
}

impl crate::scheduler::listener::Listener for Progress {
    fn on_event(&self, event: &crate::scheduler::listener::Event) {
        use crate::scheduler::listener::Event as E;
        let mut jobs = self.jobs.lock().unwrap_or_else(|e| e.into_inner());
        let now = std::time::Instant::now();
        let (job_id, job) = match event {
            E::JobStart { job_id, description } => {
                let epoch = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
                let job = JobProgress {
                    display_id: format!("flint-job-{job_id}-{}", epoch.as_nanos()),
                    // On one line: a streaming batch's description has several (`id = …`, `batch = …`).
                    description: description.trim().replace('\n', " "),
                    started: now,
                    shown: None,
                    stages: 0,
                    running: Vec::new(),
                    all_tasks: 0,
                    rows: 0,
                };
                jobs.insert(*job_id, job);
                return;
            }
            E::JobEnd { job_id, failure, .. } => {
                if let Some(job) = jobs.remove(job_id)
                    && job.shown.is_some()
                {
                    live_display(&job.display_id, &job.summary(*job_id, failure.as_deref()), true);
                }
                return;
            }
            E::StageSubmitted { job_id, stage } => {
                let Some(job) = jobs.get_mut(job_id) else { return };
                job.stages += 1;
                job.running.push(StageProgress {
                    stage_id: stage.stage_id,
                    name: stage.name.clone(),
                    tasks_total: stage.num_tasks,
                    tasks_done: 0,
                });
                job.all_tasks += stage.num_tasks;
                (*job_id, job)
            }
            E::TaskEnd { stage_id, metrics, .. } => {
                let found = jobs.iter_mut().find_map(|(job_id, job)| {
                    let stage = job.running.iter_mut().position(|s| s.stage_id == *stage_id)?;
                    Some((job_id, job, stage))
                });
                let Some((job_id, job, stage)) = found else { return };
                job.running[stage].tasks_done += 1;
                job.rows += metrics.records_read;
                (*job_id, job)
            }
            E::StageCompleted { stage, .. } => {
                for job in jobs.values_mut() {
                    job.running.retain(|s| s.stage_id != stage.stage_id);
                }
                return;
            }
            _ => return,
        };
        let due = match job.shown {
            None => now.duration_since(job.started) >= PROGRESS_DELAY,
            Some(last) => now.duration_since(last) >= PROGRESS_INTERVAL,
        };
        if due {
            live_display(&job.display_id, &job.bar(job_id), job.shown.is_some());
            job.shown = Some(now);
        }
    }
}

/// Tells the kernel that an action failed, so that the cell ends in error even if the user's code goes on.
pub(crate) fn report_failure(error: &Error) {
    if !in_kernel() {
        return;
    }
    let kind = match error {
        Error::Cancelled { .. } => "cancelled",
        e if !e.is_user_error() => "internal",
        _ => "user",
    };
    emit(&[(ERROR_MIME, json!({"kind": kind, "message": error.to_string()}).to_string())]);
}

/// Escapes text for HTML.
pub(crate) fn html_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
    out
}

/// How [`Error::Internal`] displays.
const INTERNAL_PREFIX: &str = "internal error (this is a bug in Flint";

thread_local! {
    // The error a cell's `?` is returning, between evcxr's two generated lines (see `println!` below).
    static RETURNED_ERROR: std::cell::RefCell<Option<(String, &'static str)>> = const { std::cell::RefCell::new(None) };
}

/// Records an error a cell's `?` is about to return (called by the kernel prelude's `eprintln!`).
#[doc(hidden)]
pub fn note_returned_error(error: &dyn std::fmt::Display) {
    let message = error.to_string();
    // Only the text is at hand (the value may be of any type): Flint's errors are told apart by how they display.
    let kind = if message.starts_with(INTERNAL_PREFIX) {
        "internal"
    } else if message.starts_with("job ") && message.ends_with(" cancelled") {
        "cancelled"
    } else {
        "user"
    };
    RETURNED_ERROR.with(|slot| *slot.borrow_mut() = Some((message, kind)));
}

/// Tells the kernel that the cell returned an error with `?` (called by the kernel prelude's `println!`).
#[doc(hidden)]
pub fn report_returned_error() {
    if let Some((message, kind)) = RETURNED_ERROR.with(|slot| slot.borrow_mut().take()) {
        emit(&[(ERROR_MIME, json!({"kind": kind, "message": message}).to_string())]);
    }
}

/// `std::eprintln!`, except that it notes the error of evcxr's `?` conversion (`eprintln!("{}", error)`). The
/// kernel's prelude imports it; it prints exactly what `std::eprintln!` prints.
#[doc(hidden)]
#[macro_export]
macro_rules! __flint_notebook_eprintln {
    // Any `eprintln!("{}", name)` matches: noting it is harmless, only the `?` marker reports.
    ("{}", $error:ident) => {{
        $crate::notebook::note_returned_error(&$error);
        ::std::eprintln!("{}", $error)
    }};
    ($($arg:tt)*) => { ::std::eprintln!($($arg)*) };
}

/// `std::println!`, except that evcxr's marker of a `?` return (which evcxr consumes silently, leaving the cell
/// `ok`) also reports the noted error to the kernel, so the cell ends in error. Imported by the kernel's prelude.
#[doc(hidden)]
#[macro_export]
macro_rules! __flint_notebook_println {
    ("{}", evcxr_internal_runtime::USER_ERROR_OCCURRED) => {{
        $crate::notebook::report_returned_error();
        ::std::println!("{}", evcxr_internal_runtime::USER_ERROR_OCCURRED)
    }};
    ($($arg:tt)*) => { ::std::println!($($arg)*) };
}

#[doc(hidden)]
pub use crate::{__flint_notebook_eprintln as eprintln, __flint_notebook_println as println};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::streaming::{SinkProgress, SourceProgress};
    use std::collections::BTreeMap;

    /// A watermarked filter's third batch, as `Runner::run_batch` reports it (state rows are tested on a running
    /// query: their type is not public).
    fn progress() -> StreamingQueryProgress {
        StreamingQueryProgress {
            id: "8c0f".into(),
            run_id: "77aa".into(),
            name: Some("counts".into()),
            timestamp: "2024-05-01T10:00:02.000Z".into(),
            batch_id: 2,
            num_input_rows: 120,
            input_rows_per_second: 60.0,
            processed_rows_per_second: 2400.0,
            duration_ms: BTreeMap::from([("addBatch".into(), 40), ("triggerExecution".into(), 50)]),
            event_time: BTreeMap::from([
                ("max".into(), "2024-05-01T10:00:09.000Z".into()),
                ("watermark".into(), "2024-05-01T09:59:59.000Z".into()),
            ]),
            state_operators: Vec::new(),
            sources: vec![SourceProgress {
                description: "MemoryStream[value]".into(),
                start_offset: Some(json!(1)),
                end_offset: Some(json!(2)),
                num_input_rows: 120,
                input_rows_per_second: 60.0,
                processed_rows_per_second: 2400.0,
            }],
            sink: SinkProgress { description: "MemorySink".into(), num_output_rows: 3 },
        }
    }

    #[test]
    fn a_batch_shows_spark_figures() {
        let report = progress_report(&progress());
        assert_eq!(
            report.to_text(),
            "StreamingQuery `counts` [id = 8c0f]\nbatchId: 2\nnumInputRows: 120\ninputRowsPerSecond: 60.0\n\
             processedRowsPerSecond: 2400.0\ndurationMs.triggerExecution: 50\neventTime.watermark: 2024-05-01T09:59:59.000Z\n"
        );
        let html = report.to_html();
        assert!(html.contains("<strong>StreamingQuery `counts` [id = 8c0f]</strong>"), "{html}");
        assert!(html.contains("<th style=\"text-align:left\">inputRowsPerSecond</th><td>60.0</td>"), "{html}");

        // A query without a watermark (or a name) has no line for it.
        let unnamed = StreamingQueryProgress { name: None, event_time: BTreeMap::new(), ..progress() };
        let text = progress_report(&unnamed).to_text();
        assert!(text.starts_with("StreamingQuery [id = 8c0f]\n"), "{text}");
        assert!(!text.contains("numRowsTotal") && !text.contains("watermark"), "{text}");

        // `Display` is Spark's pretty JSON.
        assert_eq!(progress().to_string(), progress().json());
        assert!(progress().to_string().contains("\"numInputRows\": 120"));
    }

    #[test]
    fn a_stopped_query_sums_up_its_batches() {
        let mut display = QueryDisplay::default();
        for _ in 0..3 {
            display.progress(&progress());
        }
        let label = query_label(Some("counts"), "8c0f");
        let stopped = display.summary(&label, None);
        assert_eq!(stopped[0].1, "StreamingQuery `counts` [id = 8c0f]: stopped after 3 batches, 360 input rows");
        let failed = display.summary(&label, Some("boom <here>"));
        assert_eq!(
            failed[1].1,
            "<div>StreamingQuery `counts` [id = 8c0f]: failed after 3 batches, 360 input rows: boom &lt;here&gt;</div>"
        );
    }

    #[test]
    fn reports_lay_out_facts_and_tables() {
        let report = Report::new("Model <1>").field("k", 2).table(
            "centers",
            vec!["cluster".into(), "x0".into()],
            vec![vec!["0".into(), "1.5".into()]],
        );
        assert_eq!(
            report.to_text(),
            "Model <1>\nk: 2\ncenters:\n+-------+---+\n|cluster| x0|\n+-------+---+\n|      0|1.5|\n+-------+---+\n"
        );
        let html = report.to_html();
        assert!(html.starts_with("<div class=\"flint-report\">\n<p><strong>Model &lt;1&gt;</strong></p>"), "{html}");
        assert!(html.contains("<caption>centers</caption>\n<thead><tr><th>cluster</th><th>x0</th></tr></thead>"));
        assert!(html.contains("<tr><td>0</td><td>1.5</td></tr>"), "{html}");
        assert_eq!(report.mime_bundle().iter().map(|(mime, _)| *mime).collect::<Vec<_>>(), ["text/plain", "text/html"]);
    }

    #[test]
    fn the_progress_bar_sums_the_running_stages_of_a_job() {
        use crate::scheduler::listener::{Event, Listener, StageInfo, TaskMetrics};
        let progress = Progress::default();
        let stage = |stage_id, name: &str, num_tasks| StageInfo {
            stage_id,
            name: name.into(),
            num_tasks,
            is_shuffle_map: false,
        };
        let task_end = |stage_id, records_read| Event::TaskEnd {
            stage_id,
            partition: 0,
            success: true,
            metrics: TaskMetrics { records_read, ..TaskMetrics::default() },
            accumulables: Vec::new(),
        };
        let bar = |job_id| progress.jobs.lock().expect("jobs")[&job_id].bar(job_id)[0].1.clone();
        progress.on_event(&Event::JobStart { job_id: 1, description: "collect at a.rs:1".into() });
        progress.on_event(&Event::JobStart { job_id: 2, description: "count at a.rs:2".into() });
        // Job 1 runs two stages at once (a query's), job 2 one.
        progress.on_event(&Event::StageSubmitted { job_id: 1, stage: stage(3, "Aggregate at a.rs:1", 4) });
        progress.on_event(&Event::StageSubmitted { job_id: 1, stage: stage(4, "Projection at a.rs:1", 2) });
        progress.on_event(&Event::StageSubmitted { job_id: 2, stage: stage(5, "count at a.rs:2", 3) });
        for event in [task_end(3, 10), task_end(4, 5), task_end(5, 7), task_end(9, 100)] {
            progress.on_event(&event);
        }
        // Job 1: 1 + 1 of 4 + 2 tasks, 10 + 5 rows, named after stage 4 (the latest); stage 9 is no job's.
        // The bar is 30 wide: 2 of 6 tasks fill 10.
        let expected = format!("[Job 1 · Stage 4: {}{} (2 / 6 tasks) 15 rows · ", "=".repeat(10), " ".repeat(20));
        assert!(bar(1).starts_with(&expected), "{}", bar(1));
        assert!(bar(2).contains("Stage 5: ") && bar(2).contains("(1 / 3 tasks) 7 rows"), "{}", bar(2));
        progress.on_event(&Event::StageCompleted {
            stage: stage(4, "Projection at a.rs:1", 2),
            metrics: TaskMetrics::default(),
            duration: std::time::Duration::ZERO,
            failure: None,
        });
        // Stage 3 remains: 1 of its 4 tasks; the rows read so far stay counted.
        assert!(bar(1).contains("Stage 3: ") && bar(1).contains("(1 / 4 tasks) 15 rows"), "{}", bar(1));
        progress.on_event(&Event::JobEnd { job_id: 1, duration: std::time::Duration::ZERO, failure: None });
        assert!(!progress.jobs.lock().expect("jobs").contains_key(&1));
    }

    #[test]
    fn a_schema_shows_as_spark_tree() {
        use datafusion::arrow::datatypes::{DataType, Field};
        let schema =
            Schema::new(vec![Field::new("age", DataType::Int64, true), Field::new("name", DataType::Utf8, false)]);
        let bundle = schema.mime_bundle();
        let tree = "root\n |-- age: long (nullable = true)\n |-- name: string (nullable = false)\n";
        assert_eq!(bundle, vec![("text/plain", tree.to_string()), ("text/html", format!("<pre>{tree}</pre>"))]);
    }
}
