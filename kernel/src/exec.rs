//! Cell execution: one thread owns the evcxr context and runs a queue of jobs (the prelude first, then execute
//! requests in arrival order); a pump thread turns the child's output into iopub messages while a cell runs.
//!
//! Outcomes are read from evcxr's MIME capture, which is synchronous with the cell: the engine's kernel hooks
//! (`flint_engine::notebook`) report panics and job failures as Flint-private MIME blocks, so a cell that panicked
//! or whose job failed replies `error` deterministically, without parsing stderr.

use crate::magics::{self, Cell};
use crate::slot;
use crossbeam_channel::{Receiver, Sender, select};
use jupyter_protocol::messaging::{DisplayData, Stdio, Transient, UpdateDisplayData};
use jupyter_protocol::{
    CompleteReply, ErrorOutput, ExecuteInput, ExecuteReply, ExecuteResult, ExecutionCount, InspectReply,
    JupyterMessage, JupyterMessageContent, Media, ReplyError, ReplyStatus, Status, StreamContent,
};
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::io::Write;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::mpsc::UnboundedSender;

use flint_engine::notebook::{DISPLAY_MARKER, ERROR_MIME, PANIC_MIME};

/// How often an interrupt repeats its cancel while the interrupted cell runs.
const CANCEL_REPEAT: Duration = Duration::from_millis(200);

/// Where the executor sends what it produces.
#[derive(Debug, Clone)]
pub struct Outbox {
    /// iopub messages, published in order.
    pub iopub: UnboundedSender<JupyterMessage>,
    /// Replies to shell requests.
    pub shell: UnboundedSender<JupyterMessage>,
}

impl Outbox {
    fn publish(&self, content: impl Into<JupyterMessageContent>, parent: &JupyterMessage) {
        // Both receivers live until the kernel stops; nothing is left to tell after that.
        let _ = self.iopub.send(JupyterMessage::new(content, Some(parent)));
    }

    fn reply(&self, content: impl Into<JupyterMessageContent>, parent: &JupyterMessage) {
        let _ = self.shell.send(JupyterMessage::new(content, Some(parent)));
    }
}

/// Settings of the executor.
#[derive(Debug, Clone)]
pub struct ExecConfig {
    /// The `flint-notebook` crate the prelude loads (the engine and mllib as one dylib).
    pub notebook: PathBuf,
    /// The crate directory evcxr builds the cells in.
    pub crate_dir: PathBuf,
    /// The child process evcxr runs cells in (this program, with the kernel's environment).
    pub program: PathBuf,
    /// The control socket the engine listens on for cancellation (passed to the child as `FLINT_KERNEL_CONTROL`).
    pub control: Option<PathBuf>,
    /// Set for a spare kernel (see [`crate::spare`]): after the prelude, the executor runs the warm-up cells that
    /// make rust-analyzer's first pass over the engine's types, then sends whether the prelude loaded (`false` also
    /// when evcxr could not start).
    pub warm_up: Option<Sender<bool>>,
}

/// What a spare runs after the prelude, to do before its notebook comes what a first cell would wait for:
/// rust-analyzer loading the engine's crate graph, inferring a DataFrame-typed variable and resolving methods on a
/// DataFrame and an RDD (which loads the trait impls of every crate), and evcxr persisting an engine type. The
/// calls sit in an `if false`: no job runs, so job ids start at 0 in the notebook, as in Spark. The second cell
/// moves the variable away, so evcxr forgets it. (Moving it in the first cell leaves a DataFrame cell still a
/// second slower: evcxr then never persists the variable.)
const WARM_UP: [&str; 2] = [
    "let flint_warm_up = session.sql(\"SELECT 1 AS a\")?;\n\
     if false {\n\
         flint_warm_up.count()?;\n\
         flint_warm_up.show()?;\n\
         session.parallelize(vec![1, 2], 1).map(|x| x + 1).filter(|x| *x > 0).collect()?;\n\
     }",
    "drop(flint_warm_up);",
];

/// The executor's work, in order.
enum Job {
    /// An execute, complete or inspect request.
    Request(Box<JupyterMessage>),
    /// A new working directory for the cells (a spare taken by a kernel launched elsewhere).
    Chdir(PathBuf),
}

/// The evcxr child process, once started.
type ChildSlot = Arc<Mutex<Option<Arc<Mutex<std::process::Child>>>>>;

/// The handle of the executor thread: queue an execute request with [`Executor::submit`].
#[derive(Debug, Clone)]
pub struct Executor {
    jobs: Sender<Job>,
    /// The evcxr child, for the interrupt's last resort.
    child: ChildSlot,
    /// The engine's end of the control socket (the latest child that connected).
    control: Arc<Mutex<Option<UnixStream>>>,
    /// The number of the cell running now (0 when idle), so that a late kill never hits the next cell.
    running: Arc<AtomicU64>,
}

impl Executor {
    /// Starts the executor: it creates the evcxr context and runs the prelude before any queued request.
    pub fn start(config: ExecConfig, outbox: Outbox) -> Executor {
        let (jobs, queue) = crossbeam_channel::unbounded();
        let executor = Executor {
            jobs,
            child: Arc::new(Mutex::new(None)),
            control: Arc::new(Mutex::new(None)),
            running: Arc::new(AtomicU64::new(0)),
        };
        if let Some(path) = &config.control {
            executor.listen(path);
        }
        let (child, running, control) = (executor.child.clone(), executor.running.clone(), executor.control.clone());
        std::thread::Builder::new()
            .name("flint-executor".into())
            .spawn(move || run(config, outbox, queue, child, running, control))
            .map(|_| ())
            .unwrap_or_else(|e| eprintln!("flint kernel: cannot start the executor: {e}"));
        executor
    }

    /// Accepts the engine's control connections (one per child process; a restarted child connects again).
    fn listen(&self, path: &Path) {
        let _ = std::fs::remove_file(path);
        let listener = match UnixListener::bind(path) {
            Ok(l) => l,
            Err(e) => return eprintln!("flint kernel: control socket {}: {e}; interrupts will kill", path.display()),
        };
        let control = self.control.clone();
        let _ = std::thread::Builder::new().name("flint-control".into()).spawn(move || {
            for stream in listener.incoming().flatten() {
                if let Ok(mut slot) = control.lock() {
                    *slot = Some(stream);
                }
            }
        });
    }

    /// Interrupts the running cell: the engine cancels its jobs (they fail with `Cancelled` at the next task or
    /// record boundary); a cell still running after `grace` (a loop in user code) has its process killed.
    ///
    /// The cancel is repeated through the grace period: an interrupt that lands while the cell is still compiling,
    /// or between two jobs, must also stop the job that starts next.
    pub fn interrupt(&self, grace: Duration) {
        let cell = self.running.load(Ordering::SeqCst);
        if cell == 0 {
            return;
        }
        let executor = self.clone();
        let _ = std::thread::Builder::new().name("flint-interrupt".into()).spawn(move || {
            let deadline = std::time::Instant::now() + grace;
            while executor.running.load(Ordering::SeqCst) == cell {
                if std::time::Instant::now() >= deadline {
                    executor.kill();
                    break;
                }
                if let Ok(mut control) = executor.control.lock()
                    && let Some(stream) = control.as_mut()
                {
                    let _ = stream.write_all(b"cancel\n");
                }
                std::thread::sleep(CANCEL_REPEAT);
            }
        });
    }

    /// Queues an execute, complete or inspect request; its reply and `idle` status are sent when it has run (a
    /// completion waits for the running cell, whose variables it may need).
    pub fn submit(&self, request: JupyterMessage) {
        let _ = self.jobs.send(Job::Request(Box::new(request)));
    }

    /// Makes `dir` the working directory of the cells before any request queued after this call runs.
    pub fn chdir(&self, dir: PathBuf) {
        let _ = self.jobs.send(Job::Chdir(dir));
    }

    /// Kills the child process running the cells (evcxr restarts it; variables are lost).
    pub fn kill(&self) {
        if let Ok(guard) = self.child.lock()
            && let Some(child) = guard.as_ref()
            && let Ok(mut child) = child.lock()
        {
            let _ = child.kill();
        }
    }
}

/// What a cell produced.
enum Outcome {
    Ok(Map<String, Value>),
    Error { ename: String, evalue: String, traceback: Vec<String> },
}

fn error(ename: &str, evalue: impl Into<String>, traceback: Vec<String>) -> Outcome {
    Outcome::Error { ename: ename.to_string(), evalue: evalue.into(), traceback }
}

fn child_command(config: &ExecConfig) -> Command {
    let mut command = Command::new(&config.program);
    command.env("FLINT_KERNEL", "1");
    if let Some(control) = &config.control {
        command.env("FLINT_KERNEL_CONTROL", control);
    }
    command
}

/// How long the executor waits for the engine's control connection, and for its answer to `cwd`.
const CONTROL_WAIT: Duration = Duration::from_secs(10);

/// Sets the working directory of the process running the cells, through the engine's control connection.
fn set_cells_dir(control: &Mutex<Option<UnixStream>>, dir: &Path) -> Result<(), String> {
    let deadline = std::time::Instant::now() + CONTROL_WAIT;
    // The engine connects from a thread the prelude starts: it may be a moment behind the prelude's end.
    let stream = loop {
        if let Some(stream) = control.lock().ok().and_then(|c| c.as_ref().and_then(|s| s.try_clone().ok())) {
            break stream;
        }
        if std::time::Instant::now() >= deadline {
            return Err("the engine's control connection is not open".into());
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut writer = &stream;
    writeln!(writer, "cwd {}", dir.display()).map_err(|e| e.to_string())?;
    stream.set_read_timeout(Some(CONTROL_WAIT)).map_err(|e| e.to_string())?;
    let mut answer = String::new();
    std::io::BufRead::read_line(&mut std::io::BufReader::new(&stream), &mut answer).map_err(|e| e.to_string())?;
    match answer.trim_end() {
        "ok" => Ok(()),
        other => Err(other.strip_prefix("error ").unwrap_or(other).to_string()),
    }
}

fn run(
    config: ExecConfig,
    outbox: Outbox,
    queue: Receiver<Job>,
    child: ChildSlot,
    running: Arc<AtomicU64>,
    control: Arc<Mutex<Option<UnixStream>>>,
) {
    let prelude = slot::prelude(&config.notebook);
    let (mut context, outputs) = match slot::new_context(child_command(&config), &config.crate_dir) {
        Ok(c) => c,
        Err(e) => {
            let message = format!("the kernel could not start evcxr: {e}");
            eprintln!("flint kernel: {message}");
            if let Some(warmed) = &config.warm_up {
                let _ = warmed.send(false);
            }
            for job in queue {
                if let Job::Request(request) = job {
                    finish(&outbox, &request, 0, error("KernelStartError", &message, vec![message.clone()]));
                }
            }
            return;
        }
    };
    if let Ok(mut slot) = child.lock() {
        *slot = Some(context.process_handle());
    }
    let pump = Pump::start(outputs, outbox.iopub.clone());
    let mut startup_error = preload(&mut context, &prelude, &pump);
    if let Some(warmed) = &config.warm_up {
        if startup_error.is_none() {
            // Its failure only costs the speed it would have bought; the first cell reports any real problem.
            for code in WARM_UP {
                if let Err(e) = context.execute(code) {
                    eprintln!("flint kernel: a warm-up cell failed: {e}");
                }
            }
            pump.fence();
        }
        let _ = warmed.send(startup_error.is_none());
    }
    let mut count = 0usize;
    let mut cell = 0u64;
    for job in queue {
        let request = match job {
            Job::Request(request) => *request,
            // Without the prelude, the engine never connects; the cells report the prelude's failure.
            Job::Chdir(_) if startup_error.is_some() => continue,
            Job::Chdir(dir) => {
                if let Err(e) = set_cells_dir(&control, &dir) {
                    eprintln!("flint kernel: cells keep their working directory, not {}: {e}", dir.display());
                }
                continue;
            }
        };
        let execute = match &request.content {
            JupyterMessageContent::ExecuteRequest(execute) => execute,
            JupyterMessageContent::CompleteRequest(r) => {
                outbox.reply(complete(&mut context, &r.code, r.cursor_pos), &request);
                outbox.publish(Status::idle(), &request);
                continue;
            }
            JupyterMessageContent::InspectRequest(r) => {
                outbox.reply(inspect(&context, &r.code, r.cursor_pos), &request);
                outbox.publish(Status::idle(), &request);
                continue;
            }
            _ => continue,
        };
        if !execute.silent && execute.store_history {
            count += 1;
        }
        if !execute.silent {
            outbox.publish(
                ExecuteInput { code: execute.code.clone(), execution_count: ExecutionCount::new(count) },
                &request,
            );
        }
        pump.set_parent(Some(request.clone()));
        cell += 1;
        running.store(cell, Ordering::SeqCst);
        let outcome = match startup_error.take() {
            Some(message) => error("PreludeError", "the notebook prelude failed", vec![message]),
            None => match magics::parse(&execute.code) {
                Ok(Cell::Rust(code)) => evaluate(&mut context, &code, &outbox, &request),
                Ok(Cell::Help) => Outcome::Ok(Map::from_iter(
                    ["text/markdown", "text/plain"].map(|mime| (mime.to_string(), Value::String(magics::HELP.into()))),
                )),
                Err(message) => error("UsageError", message.clone(), vec![message]),
            },
        };
        running.store(0, Ordering::SeqCst);
        pump.fence();
        pump.set_parent(None);
        if matches!(&outcome, Outcome::Error { ename, .. } if ename == "KernelRestarted") {
            startup_error = preload(&mut context, &prelude, &pump);
        }
        finish(&outbox, &request, count, outcome);
    }
}

/// The byte offset of a cursor Jupyter gives in characters (Unicode code points, messaging 5.2+).
fn byte_offset(code: &str, chars: usize) -> usize {
    code.char_indices().nth(chars).map_or(code.len(), |(i, _)| i)
}

fn char_offset(code: &str, bytes: usize) -> usize {
    code.get(..bytes).map_or_else(|| code.chars().count(), |prefix| prefix.chars().count())
}

/// evcxr's completions (rust-analyzer's, with the cells' variables in scope) at the cursor.
fn complete(context: &mut evcxr::CommandContext, code: &str, cursor: usize) -> CompleteReply {
    let position = byte_offset(code, cursor);
    match context.completions(code, position) {
        Ok(found) => CompleteReply {
            matches: found.completions.into_iter().map(|c| c.code).collect(),
            cursor_start: char_offset(code, found.start_offset),
            cursor_end: char_offset(code, found.end_offset),
            metadata: Map::new(),
            status: ReplyStatus::Ok,
            error: None,
        },
        // No completion is an answer too: the frontend shows nothing.
        Err(_) => CompleteReply { cursor_start: cursor, cursor_end: cursor, ..Default::default() },
    }
}

/// The identifier around a byte offset.
fn word_at(code: &str, position: usize) -> &str {
    let is_word = |c: char| c.is_alphanumeric() || c == '_';
    let start = code[..position].char_indices().rev().find(|(_, c)| !is_word(*c)).map_or(0, |(i, c)| i + c.len_utf8());
    let end = code[position..].find(|c: char| !is_word(c)).map_or(code.len(), |i| position + i);
    &code[start..end]
}

/// Shift-Tab on a variable of an earlier cell: its type.
fn inspect(context: &evcxr::CommandContext, code: &str, cursor: usize) -> InspectReply {
    let word = word_at(code, byte_offset(code, cursor));
    match context.variables_and_types().find(|(name, _)| *name == word) {
        Some((name, ty)) => InspectReply {
            found: true,
            data: media(Map::from_iter([("text/plain".to_string(), Value::String(format!("{name}: {ty}")))])),
            ..Default::default()
        },
        None => InspectReply { found: false, ..Default::default() },
    }
}

/// Runs the prelude with its output discarded; returns what went wrong, if anything.
fn preload(context: &mut evcxr::CommandContext, prelude: &str, pump: &Pump) -> Option<String> {
    let result = context.execute(prelude);
    pump.fence();
    result.err().map(|e| {
        eprintln!("flint kernel: the prelude failed: {e}");
        e.to_string()
    })
}

/// Evaluates one cell; with `:timing` on, first shows the time it took and evcxr's phases.
fn evaluate(context: &mut evcxr::CommandContext, code: &str, outbox: &Outbox, request: &JupyterMessage) -> Outcome {
    match context.execute(code) {
        Ok(outputs) => {
            if let Some(took) = outputs.timing {
                let mut text = format!("Took {} ms\n", took.as_millis());
                for phase in &outputs.phases {
                    text.push_str(&format!("  {}: {} ms\n", phase.name, phase.duration.as_millis()));
                }
                outbox.publish(StreamContent { name: Stdio::Stdout, text }, request);
            }
            let mut bundle = Map::new();
            let mut failure = None;
            for (mime, content) in outputs.content_by_mime_type {
                if mime == PANIC_MIME || mime == ERROR_MIME {
                    failure = Some((mime, content));
                } else {
                    let value = if mime.contains("json") {
                        serde_json::from_str(&content).unwrap_or(Value::String(content))
                    } else {
                        Value::String(content)
                    };
                    bundle.insert(mime, value);
                }
            }
            match failure {
                Some((mime, content)) => reported_failure(&mime, &content),
                None => Outcome::Ok(bundle),
            }
        }
        Err(evcxr::Error::CompilationErrors(errors)) => {
            let evalue = errors.first().map(|e| e.message()).unwrap_or_default();
            let traceback = errors.iter().map(|e| e.rendered()).collect();
            error("CompileError", evalue, traceback)
        }
        Err(evcxr::Error::SubprocessTerminated(message)) => error(
            "KernelRestarted",
            "the process running the cells stopped; its variables are lost and the prelude runs again",
            vec![message],
        ),
        Err(e) => error("Error", e.to_string(), vec![e.to_string()]),
    }
}

/// A panic or job failure reported by the engine (see `flint_engine::notebook`).
fn reported_failure(mime: &str, content: &str) -> Outcome {
    let report: Value = serde_json::from_str(content).unwrap_or_default();
    let field = |name: &str| report.get(name).and_then(Value::as_str).unwrap_or_default().to_string();
    if mime == PANIC_MIME {
        let mut traceback =
            vec![format!("thread '{}' panicked at {}:", field("thread"), field("location")), field("message")];
        traceback.extend(field("backtrace").lines().map(String::from));
        return error("panic", field("message"), traceback);
    }
    let (kind, message, hint) = (field("kind"), field("message"), field("hint"));
    let mut traceback = vec![message.clone()];
    if !hint.is_empty() {
        traceback.push(hint);
    }
    match kind.as_str() {
        "cancelled" => error("Interrupted", message, traceback),
        "internal" => {
            traceback.push("This is a bug in Flint; please report it with the cell that caused it.".into());
            error("FlintInternalError", message, traceback)
        }
        _ => error("FlintError", message, traceback),
    }
}

/// Publishes a cell's result, then replies and reports `idle`.
fn finish(outbox: &Outbox, request: &JupyterMessage, count: usize, outcome: Outcome) {
    let execution_count = ExecutionCount::new(count);
    let reply = match outcome {
        Outcome::Ok(bundle) => {
            if !bundle.is_empty() {
                outbox.publish(
                    ExecuteResult { execution_count, data: media(bundle), metadata: Map::new(), transient: None },
                    request,
                );
            }
            ExecuteReply { status: ReplyStatus::Ok, execution_count, ..Default::default() }
        }
        Outcome::Error { ename, evalue, traceback } => {
            outbox.publish(
                ErrorOutput { ename: ename.clone(), evalue: evalue.clone(), traceback: traceback.clone() },
                request,
            );
            ExecuteReply {
                status: ReplyStatus::Error,
                execution_count,
                error: Some(Box::new(ReplyError { ename, evalue, traceback })),
                ..Default::default()
            }
        }
    };
    outbox.reply(reply, request);
    outbox.publish(Status::idle(), request);
}

/// A MIME bundle as the protocol crate's `Media`.
fn media(bundle: Map<String, Value>) -> Media {
    serde_json::from_value(Value::Object(bundle)).unwrap_or_default()
}

/// Requests to the pump thread.
enum PumpControl {
    Parent(Option<Arc<JupyterMessage>>),
    Fence(Sender<()>),
}

/// Forwards the child's stdout and stderr to iopub as `stream` messages (coalesced for 10 ms), and turns
/// `FLINT_DISPLAY` lines (on stderr, which evcxr reads between cells too) into `display_data` /
/// `update_display_data`.
///
/// A live display belongs to the cell that showed it. A background thread (a streaming query) may update it after
/// that cell ended: between cells, an update goes out with the parent of the cell that showed the display, and a new
/// display with the parent of the last cell, so that Jupyter frontends update or show it there (a frontend updates
/// every output with the `display_id`). While a cell runs, everything goes out with that cell's parent.
struct Pump {
    control: Sender<PumpControl>,
}

impl Pump {
    fn start(outputs: evcxr::EvalContextOutputs, iopub: UnboundedSender<JupyterMessage>) -> Pump {
        let (control, requests) = crossbeam_channel::unbounded();
        let _ = std::thread::Builder::new().name("flint-output".into()).spawn(move || {
            PumpState {
                iopub,
                parent: None,
                last: None,
                displays: HashMap::new(),
                stdout: String::new(),
                stderr: String::new(),
            }
            .run(outputs, requests)
        });
        Pump { control }
    }

    fn set_parent(&self, parent: Option<JupyterMessage>) {
        let _ = self.control.send(PumpControl::Parent(parent.map(Arc::new)));
    }

    /// Returns once every output line received so far has been published (stderr has no end-of-cell marker, so
    /// the pump waits until it has been quiet briefly).
    fn fence(&self) {
        let (done, wait) = crossbeam_channel::bounded(1);
        if self.control.send(PumpControl::Fence(done)).is_ok() {
            let _ = wait.recv_timeout(Duration::from_secs(5));
        }
    }
}

struct PumpState {
    iopub: UnboundedSender<JupyterMessage>,
    /// The request of the running cell.
    parent: Option<Arc<JupyterMessage>>,
    /// The request of the cell that ran last.
    last: Option<Arc<JupyterMessage>>,
    /// The request each live display was shown for.
    displays: HashMap<String, Arc<JupyterMessage>>,
    stdout: String,
    stderr: String,
}

impl PumpState {
    fn run(mut self, outputs: evcxr::EvalContextOutputs, requests: Receiver<PumpControl>) {
        const COALESCE: Duration = Duration::from_millis(10);
        loop {
            let pending = !self.stdout.is_empty() || !self.stderr.is_empty();
            let timeout = if pending { COALESCE } else { Duration::from_secs(3600) };
            select! {
                recv(outputs.stdout) -> line => match line {
                    Ok(line) => self.line(Stdio::Stdout, line),
                    Err(_) => return,
                },
                recv(outputs.stderr) -> line => if let Ok(line) = line { self.line(Stdio::Stderr, line) },
                recv(requests) -> request => match request {
                    Ok(PumpControl::Parent(parent)) => {
                        self.flush();
                        if parent.is_some() {
                            self.last.clone_from(&parent);
                        }
                        self.parent = parent;
                    }
                    Ok(PumpControl::Fence(done)) => {
                        self.drain(&outputs);
                        self.flush();
                        let _ = done.send(());
                    }
                    Err(_) => return,
                },
                default(timeout) => self.flush(),
            }
        }
    }

    /// Takes everything the child has written until stderr has been quiet for a moment.
    fn drain(&mut self, outputs: &evcxr::EvalContextOutputs) {
        while let Ok(line) = outputs.stdout.try_recv() {
            self.line(Stdio::Stdout, line);
        }
        while let Ok(line) = outputs.stderr.recv_timeout(Duration::from_millis(5)) {
            self.line(Stdio::Stderr, line);
        }
    }

    fn line(&mut self, stream: Stdio, line: String) {
        if let Some(json) = line.strip_prefix(DISPLAY_MARKER)
            && matches!(stream, Stdio::Stderr)
        {
            self.flush();
            self.display(json);
            return;
        }
        let buffer = match stream {
            Stdio::Stdout => &mut self.stdout,
            Stdio::Stderr => &mut self.stderr,
        };
        buffer.push_str(&line);
        buffer.push('\n');
    }

    /// A live display marker: `{"op": "display" | "update", "display_id": …, "data": {mime: …}}`.
    fn display(&mut self, json: &str) {
        let Ok(marker) = serde_json::from_str::<Value>(json) else {
            eprintln!("flint kernel: malformed display marker: {json}");
            return;
        };
        let id = marker.get("display_id").and_then(Value::as_str).map(String::from);
        let update = marker.get("op").and_then(Value::as_str) == Some("update");
        let shown_for = id.as_ref().filter(|_| update).and_then(|id| self.displays.get(id));
        let Some(parent) = self.parent.as_ref().or(shown_for).or(self.last.as_ref()).cloned() else { return };
        let data = media(marker.get("data").and_then(Value::as_object).cloned().unwrap_or_default());
        let message = match id {
            Some(id) if update => JupyterMessage::new(UpdateDisplayData::new(data, &id), Some(&parent)),
            id => {
                if let Some(id) = &id {
                    self.displays.insert(id.clone(), Arc::clone(&parent));
                }
                JupyterMessage::new(
                    DisplayData { data, metadata: Map::new(), transient: Some(Transient { display_id: id }) },
                    Some(&parent),
                )
            }
        };
        let _ = self.iopub.send(message);
    }

    fn flush(&mut self) {
        for (name, text) in
            [(Stdio::Stdout, std::mem::take(&mut self.stdout)), (Stdio::Stderr, std::mem::take(&mut self.stderr))]
        {
            if let Some(parent) = &self.parent
                && !text.is_empty()
            {
                let _ = self.iopub.send(JupyterMessage::new(StreamContent { name, text }, Some(parent.as_ref())));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_move_between_characters_and_bytes() {
        let code = "let été = 1; été";
        assert_eq!(byte_offset(code, 5), 6); // after "let é"
        assert_eq!(char_offset(code, 6), 5);
        assert_eq!(byte_offset(code, 100), code.len());
        assert_eq!(word_at(code, byte_offset(code, 14)), "été");
        assert_eq!(word_at("a → bc", "a → b".len()), "bc");
        assert_eq!(word_at("", 0), "");
    }

    /// What the pump published: `(message type, parent's msg_id, display_id, text/plain)`.
    fn published(iopub: &mut tokio::sync::mpsc::UnboundedReceiver<JupyterMessage>) -> Vec<[String; 4]> {
        std::iter::from_fn(|| iopub.try_recv().ok())
            .map(|m| {
                let content = serde_json::to_value(&m.content).unwrap_or_default();
                let field = |v: &Value| v.as_str().unwrap_or_default().to_string();
                [
                    m.header.msg_type.clone(),
                    m.parent_header.map(|h| h.msg_id).unwrap_or_default(),
                    field(&content["transient"]["display_id"]),
                    field(&content["data"]["text/plain"]),
                ]
            })
            .collect()
    }

    #[test]
    fn live_displays_are_updated_after_their_cell_ended() {
        let (stdout, stdout_lines) = crossbeam_channel::unbounded::<String>();
        let (stderr, stderr_lines) = crossbeam_channel::unbounded();
        let (iopub, mut messages) = tokio::sync::mpsc::unbounded_channel();
        let pump = Pump::start(evcxr::EvalContextOutputs { stdout: stdout_lines, stderr: stderr_lines }, iopub);
        let marker = |op: &str, id: &str, text: &str| {
            format!("{DISPLAY_MARKER}{}", serde_json::json!({"op": op, "display_id": id, "data": {"text/plain": text}}))
        };
        let cell = |code: &str| JupyterMessage::new(jupyter_protocol::ExecuteRequest::new(code.into()), None);
        let send = |line: String| stderr.send(line).expect("the pump reads stderr");
        // The pump takes requests and lines in any order: a fence makes it take the parent before the next line.
        let enter = |parent: Option<&JupyterMessage>| {
            pump.set_parent(parent.cloned());
            pump.fence();
        };

        // Before any cell (the prelude), a display has nowhere to go.
        send(marker("display", "early", "dropped"));
        pump.fence();
        assert_eq!(published(&mut messages), Vec::<[String; 4]>::new());

        // A cell starts a query, whose first batch shows a display; the cell ends.
        let start = cell("let query = stream.start()?;");
        enter(Some(&start));
        send(marker("display", "flint-query-1", "batch 0"));
        pump.fence();
        enter(None);
        let started = &start.header.msg_id;
        let display = ["display_data", started, "flint-query-1", "batch 0"].map(String::from);
        assert_eq!(published(&mut messages), vec![display]);

        // Between cells, its updates go to the cell that showed it; a new display goes to the last cell.
        send(marker("update", "flint-query-1", "batch 1"));
        pump.fence();
        let update = ["update_display_data", started, "flint-query-1", "batch 1"].map(String::from);
        assert_eq!(published(&mut messages), vec![update]);
        let other = cell("1 + 1");
        enter(Some(&other));
        enter(None);
        send(marker("update", "flint-query-1", "stopped after 2 batches"));
        send(marker("display", "flint-query-2", "batch 0"));
        pump.fence();
        let (stopped, shown) = (
            ["update_display_data", started, "flint-query-1", "stopped after 2 batches"].map(String::from),
            ["display_data", &other.header.msg_id, "flint-query-2", "batch 0"].map(String::from),
        );
        assert_eq!(published(&mut messages), vec![stopped, shown]);

        // While a cell runs, updates go out with its parent; markers on stdout are a cell's own output.
        let running = cell("query.stop()?");
        enter(Some(&running));
        send(marker("update", "flint-query-2", "stopped after 1 batch"));
        stdout.send(marker("update", "flint-query-2", "printed")).expect("the pump reads stdout");
        pump.fence();
        enter(None);
        let messages = published(&mut messages);
        let update = ["update_display_data", &running.header.msg_id, "flint-query-2", "stopped after 1 batch"];
        assert!(messages.contains(&update.map(String::from)), "{messages:?}");
        assert_eq!(messages.iter().filter(|m| m[0] == "stream").count(), 1, "{messages:?}");
        assert_eq!(messages.len(), 2, "{messages:?}");
    }
}
