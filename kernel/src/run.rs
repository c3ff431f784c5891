//! `flint run NOTEBOOK… [--inplace]`: executes notebooks headlessly through the kernel's own executor (evcxr
//! with the prelude, as in Jupyter, without a Jupyter client), each in a fresh context, cells in order until the
//! first error. Outputs are recorded as nbformat 4 outputs; `--inplace` writes them back (atomically).

use crate::exec::{ExecConfig, Executor, Outbox};
use jupyter_protocol::{ExecuteRequest, ExecutionState, JupyterMessage, JupyterMessageContent};
use serde_json::{Map, Value, json};
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use tokio::sync::mpsc::{UnboundedReceiver, unbounded_channel};

/// Why a notebook could not be run (its cells' errors are results, not this).
#[derive(Debug)]
pub enum RunError {
    /// The file could not be read or written.
    Io { path: PathBuf, source: std::io::Error },
    /// The file is not an nbformat 4 notebook.
    Format { path: PathBuf, message: String },
    /// The executor stopped before answering.
    Executor(String),
}

impl fmt::Display for RunError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RunError::Io { path, source } => write!(f, "{}: {source}", path.display()),
            RunError::Format { path, message } => write!(f, "{} is not a notebook: {message}", path.display()),
            RunError::Executor(message) => write!(f, "the kernel stopped: {message}"),
        }
    }
}

impl std::error::Error for RunError {}

/// How a notebook ran.
#[derive(Debug, Clone, PartialEq)]
pub struct NotebookRun {
    /// Code cells executed.
    pub cells: usize,
    /// The first failing cell (its index among all cells) and its error, if one failed.
    pub failure: Option<(usize, String)>,
    /// The last line the notebook printed (a lab's answer).
    pub last_line: Option<String>,
    pub elapsed: Duration,
}

/// Runs one notebook in a fresh executor; with `inplace`, saves it with its outputs.
pub fn run_notebook(config: ExecConfig, path: &Path, inplace: bool) -> Result<NotebookRun, RunError> {
    let io = |source| RunError::Io { path: path.to_path_buf(), source };
    let format = |message: &str| RunError::Format { path: path.to_path_buf(), message: message.to_string() };
    let mut notebook: Value =
        serde_json::from_str(&std::fs::read_to_string(path).map_err(io)?).map_err(|e| format(&e.to_string()))?;
    if notebook.get("nbformat").and_then(Value::as_u64) != Some(4) {
        return Err(format("nbformat 4 expected"));
    }
    let (iopub, mut iopub_rx) = unbounded_channel();
    let (shell, _shell_rx) = unbounded_channel();
    let executor = Executor::start(config, Outbox { iopub, shell });
    let started = Instant::now();
    let mut run = NotebookRun { cells: 0, failure: None, last_line: None, elapsed: Duration::ZERO };
    let cells = notebook.get_mut("cells").and_then(Value::as_array_mut).ok_or_else(|| format("no cells"))?;
    for (index, cell) in cells.iter_mut().enumerate() {
        if cell.get("cell_type").and_then(Value::as_str) != Some("code") {
            continue;
        }
        let code = source_text(cell.get("source"));
        let request = JupyterMessage::new(ExecuteRequest::new(code), None);
        executor.submit(request.clone());
        let ran = collect(&mut iopub_rx, &request)?;
        run.cells += 1;
        if let Some(line) = ran.last_line {
            run.last_line = Some(line);
        }
        cell["outputs"] = Value::Array(ran.outputs);
        cell["execution_count"] = ran.count.map_or(Value::Null, Value::from);
        if let Some(error) = ran.error {
            run.failure = Some((index, error));
            break;
        }
    }
    executor.kill();
    run.elapsed = started.elapsed();
    if inplace {
        let mut text = serde_json::to_string_pretty(&notebook).map_err(|e| format(&e.to_string()))?;
        text.push('\n');
        let tmp = path.with_extension("ipynb.tmp");
        std::fs::write(&tmp, text).map_err(io)?;
        std::fs::rename(&tmp, path).map_err(io)?;
    }
    Ok(run)
}

/// A cell's source: nbformat allows a string or a list of lines.
fn source_text(source: Option<&Value>) -> String {
    match source {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(lines)) => lines.iter().filter_map(Value::as_str).collect(),
        _ => String::new(),
    }
}

/// What one cell produced.
struct CellRun {
    outputs: Vec<Value>,
    count: Option<usize>,
    error: Option<String>,
    last_line: Option<String>,
}

/// Reads the cell's iopub messages until its `idle`, as nbformat outputs.
fn collect(iopub: &mut UnboundedReceiver<JupyterMessage>, request: &JupyterMessage) -> Result<CellRun, RunError> {
    let mut run = CellRun { outputs: Vec::new(), count: None, error: None, last_line: None };
    let mut displays: Map<String, Value> = Map::new();
    loop {
        let message = iopub.blocking_recv().ok_or_else(|| RunError::Executor("no more output".into()))?;
        if message.parent_header.as_ref().map(|h| &h.msg_id) != Some(&request.header.msg_id) {
            continue;
        }
        let content = serde_json::to_value(&message.content).unwrap_or_default();
        let data = || content.get("data").cloned().unwrap_or_else(|| json!({}));
        match &message.content {
            JupyterMessageContent::Status(status) if matches!(status.execution_state, ExecutionState::Idle) => {
                return Ok(run);
            }
            JupyterMessageContent::StreamContent(stream) => {
                let name = content.get("name").cloned().unwrap_or_else(|| json!("stdout"));
                if let Some(line) = stream.text.lines().rev().find(|l| !l.trim().is_empty()) {
                    run.last_line = Some(line.to_string());
                }
                match run.outputs.last_mut() {
                    // Consecutive writes to one stream are one output, as Jupyter shows them.
                    Some(last) if last["output_type"] == "stream" && last["name"] == name => {
                        let text = format!("{}{}", last["text"].as_str().unwrap_or_default(), stream.text);
                        last["text"] = Value::String(text);
                    }
                    _ => run.outputs.push(json!({"output_type": "stream", "name": name, "text": stream.text})),
                }
            }
            JupyterMessageContent::DisplayData(display) => {
                if let Some(id) = display.transient.as_ref().and_then(|t| t.display_id.clone()) {
                    displays.insert(id, Value::from(run.outputs.len()));
                }
                run.outputs.push(json!({"output_type": "display_data", "data": data(), "metadata": {}}));
            }
            JupyterMessageContent::UpdateDisplayData(update) => {
                let at = update.transient.display_id.as_deref().and_then(|id| displays.get(id)).and_then(Value::as_u64);
                if let Some(output) = at.and_then(|i| run.outputs.get_mut(i as usize)) {
                    output["data"] = data();
                }
            }
            JupyterMessageContent::ExecuteInput(input) => run.count = Some(input.execution_count.value()),
            JupyterMessageContent::ExecuteResult(result) => {
                run.count = Some(result.execution_count.value());
                run.outputs.push(json!({
                    "output_type": "execute_result",
                    "execution_count": result.execution_count.value(),
                    "data": data(),
                    "metadata": {},
                }));
            }
            JupyterMessageContent::ErrorOutput(error) => {
                run.error = Some(format!("{}: {}", error.ename, error.evalue));
                run.outputs.push(json!({
                    "output_type": "error",
                    "ename": error.ename,
                    "evalue": error.evalue,
                    "traceback": error.traceback,
                }));
            }
            _ => {}
        }
    }
}
