//! What the Flint kernel needs from the engine when cells run in its child process (`FLINT_KERNEL=1`): rich
//! display in evcxr's MIME-block convention, live displays, and reports of panics and failed jobs that the kernel
//! turns into error replies. Outside the kernel, everything here is inert.
//!
//! The kernel's prelude calls [`install`]. Types with a rich form (`DataFrame`, schemas, RDDs) have an
//! `evcxr_display` method, which evcxr calls on a cell's final value.

use crate::error::Error;
use serde_json::{Value, json};
use std::io::{BufRead, Write};
use std::sync::OnceLock;

/// MIME type of the block printed for a panic on the cell's thread (read by the kernel).
pub const PANIC_MIME: &str = "application/vnd.flint.panic+json";
/// MIME type of the block printed when an action fails.
pub const ERROR_MIME: &str = "application/vnd.flint.error+json";

static INSTALLED: OnceLock<()> = OnceLock::new();

/// Whether cells run in the Flint kernel. Read from the environment, not a static: evcxr links the engine into
/// each cell's library, so every cell has its own copy of the engine's statics.
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

/// Serves the kernel's control connection: `cancel` cancels the active session's jobs.
fn listen(path: std::path::PathBuf) {
    let Ok(stream) = std::os::unix::net::UnixStream::connect(&path) else { return };
    for line in std::io::BufReader::new(stream).lines() {
        match line.as_deref() {
            Ok("cancel") => {
                if let Some(session) = crate::session::active() {
                    session.cancel_all_jobs();
                }
            }
            Ok(_) => {}
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

/// Prefix of the one-line live display markers (`FLINT_DISPLAY {json}`) the kernel turns into display messages.
pub const DISPLAY_MARKER: &str = "FLINT_DISPLAY ";

/// Shows (`update == false`) or replaces (`update == true`) a live display while the cell runs: the kernel turns
/// the marker line into `display_data` / `update_display_data` with this `display_id`.
pub fn live_display(display_id: &str, bundle: &[(&str, String)], update: bool) {
    let data: serde_json::Map<String, Value> =
        bundle.iter().map(|(mime, content)| (mime.to_string(), Value::String(content.clone()))).collect();
    let marker = json!({"op": if update { "update" } else { "display" }, "display_id": display_id, "data": data});
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let _ = writeln!(out, "{DISPLAY_MARKER}{marker}");
    let _ = out.flush();
}

/// Live progress of the session's jobs in a notebook, as Spark's console progress bar: a job that runs longer than
/// half a second gets a display (its stage, tasks done of the stage's total, rows read, elapsed time), updated at
/// most every 200 ms as tasks end, and replaced by a one-line summary when the job ends. Quick jobs show nothing.
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
    stage: Option<(usize, String)>,
    tasks_total: usize,
    tasks_done: usize,
    all_tasks: usize,
    rows: u64,
}

/// Before this, a job shows no progress; then updates are at least this far apart.
const PROGRESS_DELAY: std::time::Duration = std::time::Duration::from_millis(500);
const PROGRESS_INTERVAL: std::time::Duration = std::time::Duration::from_millis(200);

impl JobProgress {
    fn bar(&self, job_id: usize) -> [(&'static str, String); 2] {
        let elapsed = self.started.elapsed().as_secs_f64();
        let (stage_id, stage_name) = self.stage.clone().unwrap_or_default();
        let width = 30;
        let filled = (self.tasks_done * width).checked_div(self.tasks_total).unwrap_or(0).min(width);
        let text = format!(
            "[Job {job_id} · Stage {stage_id}: {}{} ({} / {} tasks) {} rows · {elapsed:.1} s] {}",
            "=".repeat(filled),
            " ".repeat(width - filled),
            self.tasks_done,
            self.tasks_total,
            self.rows,
            self.description
        );
        let html = format!(
            "<div><progress value=\"{}\" max=\"{}\" style=\"width:16em\"></progress> Job {job_id} · Stage {stage_id} \
             ({}): {} / {} tasks · {} rows · {elapsed:.1} s</div>",
            self.tasks_done,
            self.tasks_total.max(1),
            html_escape(&stage_name),
            self.tasks_done,
            self.tasks_total,
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
                    description: description.clone(),
                    started: now,
                    shown: None,
                    stages: 0,
                    stage: None,
                    tasks_total: 0,
                    tasks_done: 0,
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
                job.stage = Some((stage.stage_id, stage.name.clone()));
                job.tasks_total = stage.num_tasks;
                job.tasks_done = 0;
                job.all_tasks += stage.num_tasks;
                (*job_id, job)
            }
            E::TaskEnd { stage_id, metrics, .. } => {
                let Some((job_id, job)) =
                    jobs.iter_mut().find(|(_, j)| j.stage.as_ref().is_some_and(|(id, _)| id == stage_id))
                else {
                    return;
                };
                job.tasks_done += 1;
                job.rows += metrics.records_read;
                (*job_id, job)
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
