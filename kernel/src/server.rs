//! The kernel's five sockets and its message loop (Jupyter messaging protocol 5.3).
//!
//! Shell and control are ROUTER sockets, iopub a PUB socket, heartbeat a REP socket that echoes; stdin is bound
//! for clients that connect to it. Every request is answered between an iopub `busy` and `idle` status with the
//! request as parent, as frontends expect. Messages whose signature does not verify are logged to stderr and
//! dropped: no reply, no status.

use crate::complete::{Completeness, completeness};
use crate::exec::{ExecConfig, Executor, Outbox};
use crate::wire::{self, Signer, WireError};
use jupyter_protocol::{
    CodeMirrorMode, CommInfoReply, ConnectionInfo, HistoryReply, InterruptReply, IsCompleteReply, JupyterMessage,
    JupyterMessageContent, KernelInfoReply, LanguageInfo, ReplyStatus, ShutdownReply, Status,
};
use std::path::Path;
use tokio::sync::{mpsc, watch};
use zeromq::{PubSocket, RepSocket, RouterSocket, Socket, SocketRecv, SocketSend, ZmqMessage};

/// Why the kernel could not start or stopped.
#[derive(Debug, thiserror::Error)]
pub enum KernelError {
    /// The connection file could not be read or parsed.
    #[error("connection file {path}: {detail}")]
    Connection {
        /// Its path.
        path: String,
        /// What was wrong.
        detail: String,
    },
    /// A socket could not be bound or failed.
    #[error("socket {socket}: {detail}")]
    Socket {
        /// Which socket.
        socket: &'static str,
        /// The ZeroMQ error.
        detail: String,
    },
    /// The connection file's signature settings.
    #[error(transparent)]
    Wire(#[from] WireError),
}

fn socket_error(socket: &'static str) -> impl Fn(zeromq::ZmqError) -> KernelError {
    move |e| KernelError::Socket { socket, detail: e.to_string() }
}

/// Reads a connection file.
pub fn read_connection_file(path: &Path) -> Result<ConnectionInfo, KernelError> {
    let error = |detail: String| KernelError::Connection { path: path.display().to_string(), detail };
    let text = std::fs::read_to_string(path).map_err(|e| error(e.to_string()))?;
    serde_json::from_str(&text).map_err(|e| error(e.to_string()))
}

/// What the kernel says about itself.
fn kernel_info(rustc_version: &str) -> KernelInfoReply {
    KernelInfoReply {
        status: ReplyStatus::Ok,
        protocol_version: "5.3".to_string(),
        implementation: "flint".to_string(),
        implementation_version: env!("CARGO_PKG_VERSION").to_string(),
        language_info: LanguageInfo {
            name: "rust".to_string(),
            version: rustc_version.to_string(),
            mimetype: Some("text/rust".to_string()),
            file_extension: Some(".rs".to_string()),
            pygments_lexer: Some("rust".to_string()),
            codemirror_mode: Some(CodeMirrorMode::Simple("rust".to_string())),
            nbconvert_exporter: Some("script".to_string()),
        },
        banner: format!("Flint {} — Apache Spark's model in Rust", env!("CARGO_PKG_VERSION")),
        help_links: Vec::new(),
        debugger: false,
        error: None,
    }
}

/// The version of the `rustc` that will compile the cells (empty if there is none on the path).
fn rustc_version() -> String {
    std::process::Command::new("rustc")
        .arg("--version")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.split_whitespace().nth(1).map(String::from))
        .unwrap_or_default()
}

/// How long an interrupted cell may take to stop before its process is killed (`FLINT_INTERRUPT_GRACE` seconds,
/// default 5).
fn interrupt_grace() -> std::time::Duration {
    let seconds = std::env::var("FLINT_INTERRUPT_GRACE").ok().and_then(|s| s.parse().ok()).unwrap_or(5.0);
    std::time::Duration::from_secs_f64(seconds)
}

/// Shared by the socket tasks.
struct Shared {
    signer: Signer,
    iopub: mpsc::UnboundedSender<JupyterMessage>,
    info: KernelInfoReply,
    shutdown: watch::Sender<bool>,
    executor: Option<Executor>,
}

/// What the socket task does with a request.
enum Handling {
    /// Reply now, between `busy` and `idle`.
    Reply(JupyterMessageContent),
    /// The executor replies and reports `idle` when the cell has run.
    Queued,
    /// Not a request this kernel answers.
    Unknown,
}

impl Shared {
    fn publish(&self, content: impl Into<JupyterMessageContent>, parent: &JupyterMessage) {
        // The iopub task ends only when the kernel stops; a message sent then has no reader to miss it.
        let _ = self.iopub.send(JupyterMessage::new(content, Some(parent)));
    }
}

/// How a shell or control request is handled.
fn handle(request: &JupyterMessage, shared: &Shared) -> Handling {
    Handling::Reply(match &request.content {
        JupyterMessageContent::ExecuteRequest(_)
        | JupyterMessageContent::CompleteRequest(_)
        | JupyterMessageContent::InspectRequest(_) => match &shared.executor {
            Some(executor) => {
                executor.submit(request.clone());
                return Handling::Queued;
            }
            None => return Handling::Unknown,
        },
        JupyterMessageContent::KernelInfoRequest(_) => shared.info.clone().into(),
        JupyterMessageContent::IsCompleteRequest(r) => match completeness(&r.code) {
            Completeness::Complete => IsCompleteReply::complete(),
            Completeness::Incomplete => IsCompleteReply::incomplete("    ".to_string()),
            Completeness::Invalid => IsCompleteReply::invalid(),
        }
        .into(),
        JupyterMessageContent::HistoryRequest(_) => HistoryReply::default().into(),
        JupyterMessageContent::CommInfoRequest(_) => CommInfoReply::default().into(),
        JupyterMessageContent::InterruptRequest(_) => {
            if let Some(executor) = &shared.executor {
                executor.interrupt(interrupt_grace());
            }
            InterruptReply::default().into()
        }
        JupyterMessageContent::ShutdownRequest(r) => {
            let _ = shared.shutdown.send(true);
            ShutdownReply { restart: r.restart, status: ReplyStatus::Ok, error: None }.into()
        }
        _ => return Handling::Unknown,
    })
}

/// Serves one ROUTER socket (shell or control) until shutdown.
async fn serve_router(
    name: &'static str,
    socket: RouterSocket,
    shared: std::sync::Arc<Shared>,
    mut replies: mpsc::UnboundedReceiver<JupyterMessage>,
    mut stop: watch::Receiver<bool>,
) -> Result<(), KernelError> {
    let (mut send, mut recv) = socket.split();
    loop {
        let frames = tokio::select! {
            frames = recv.recv() => frames.map_err(socket_error(name))?,
            Some(reply) = replies.recv() => {
                send_reply(name, &mut send, &reply, &shared).await?;
                continue;
            }
            _ = stop.changed() => return Ok(()),
        };
        let request = match wire::decode(frames.into_vec(), &shared.signer) {
            Ok(m) => m,
            Err(e) => {
                eprintln!("flint kernel: {name}: dropped a message: {e}");
                continue;
            }
        };
        shared.publish(Status::busy(), &request);
        match handle(&request, &shared) {
            Handling::Reply(content) => {
                send_reply(name, &mut send, &JupyterMessage::new(content, Some(&request)), &shared).await?;
            }
            Handling::Queued => continue,
            Handling::Unknown => eprintln!("flint kernel: {name}: no handler for `{}`", request.header.msg_type),
        }
        shared.publish(Status::idle(), &request);
    }
}

async fn send_reply(
    name: &'static str,
    send: &mut zeromq::RouterSendHalf,
    reply: &JupyterMessage,
    shared: &Shared,
) -> Result<(), KernelError> {
    let frames = wire::encode(reply, &shared.signer, None)?;
    if let Ok(message) = ZmqMessage::try_from(frames) {
        send.send(message).await.map_err(socket_error(name))?;
    }
    Ok(())
}

/// A kernel before its sockets: the executor, already loading the prelude, and the queues of what it publishes and
/// replies. A spare kernel is one of these, waiting for a connection file (see [`crate::spare`]).
#[derive(Debug)]
pub struct Kernel {
    executor: Option<Executor>,
    iopub: (mpsc::UnboundedSender<JupyterMessage>, mpsc::UnboundedReceiver<JupyterMessage>),
    shell_replies: (mpsc::UnboundedSender<JupyterMessage>, mpsc::UnboundedReceiver<JupyterMessage>),
}

impl Kernel {
    /// Starts the executor when `exec` is given (cells run in evcxr); without it the kernel answers everything but
    /// `execute_request`.
    pub fn start(exec: Option<ExecConfig>) -> Kernel {
        let iopub = mpsc::unbounded_channel();
        let shell_replies = mpsc::unbounded_channel();
        let executor = exec
            .map(|config| Executor::start(config, Outbox { iopub: iopub.0.clone(), shell: shell_replies.0.clone() }));
        Kernel { executor, iopub, shell_replies }
    }

    /// The executor, if cells run.
    pub fn executor(&self) -> Option<&Executor> {
        self.executor.as_ref()
    }

    /// Serves the connection file on its own runtime (two worker threads: the sockets wait, they do not compute).
    pub fn run(self, connection_file: &Path) -> Result<(), KernelError> {
        let connection = read_connection_file(connection_file)?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .map_err(|e| KernelError::Socket { socket: "runtime", detail: e.to_string() })?;
        runtime.block_on(self.serve(connection))
    }

    /// Binds the sockets of a connection and serves until a `shutdown_request`.
    pub async fn serve(self, connection: ConnectionInfo) -> Result<(), KernelError> {
        let Kernel { executor, iopub: (iopub_send, mut iopub_recv), shell_replies: (_, shell_replies_recv) } = self;
        let signer = Signer::new(&connection.key, &connection.signature_scheme)?;
        let mut shell = RouterSocket::new();
        shell.bind(&connection.shell_url()).await.map_err(socket_error("shell"))?;
        let mut control = RouterSocket::new();
        control.bind(&connection.control_url()).await.map_err(socket_error("control"))?;
        let mut stdin = RouterSocket::new();
        stdin.bind(&connection.stdin_url()).await.map_err(socket_error("stdin"))?;
        let mut iopub = PubSocket::new();
        iopub.bind(&connection.iopub_url()).await.map_err(socket_error("iopub"))?;
        let mut heartbeat = RepSocket::new();
        heartbeat.bind(&connection.hb_url()).await.map_err(socket_error("hb"))?;

        let (shutdown, stop) = watch::channel(false);
        // Control requests are all answered at once; the channel only keeps the socket task's shape.
        let (control_replies, control_replies_recv) = mpsc::unbounded_channel();
        let shared = std::sync::Arc::new(Shared {
            signer: signer.clone(),
            iopub: iopub_send,
            info: kernel_info(&rustc_version()),
            shutdown,
            executor,
        });

        // One writer keeps iopub messages in the order they were published.
        let publisher = tokio::spawn(async move {
            while let Some(message) = iopub_recv.recv().await {
                let topic = message.header.msg_type.clone();
                if let Ok(frames) = wire::encode(&message, &signer, Some(&topic))
                    && let Ok(message) = ZmqMessage::try_from(frames)
                    && let Err(e) = iopub.send(message).await
                {
                    eprintln!("flint kernel: iopub: {e}");
                }
            }
        });
        let mut hb_stop = stop.clone();
        let beat = tokio::spawn(async move {
            loop {
                tokio::select! {
                    ping = heartbeat.recv() => match ping {
                        Ok(ping) => { let _ = heartbeat.send(ping).await; }
                        Err(e) => { eprintln!("flint kernel: hb: {e}"); return; }
                    },
                    _ = hb_stop.changed() => return,
                }
            }
        });
        let control_task =
            tokio::spawn(serve_router("control", control, shared.clone(), control_replies_recv, stop.clone()));
        let shell_result = serve_router("shell", shell, shared.clone(), shell_replies_recv, stop).await;
        let control_result =
            control_task.await.map_err(|e| KernelError::Socket { socket: "control", detail: e.to_string() })?;
        drop(shared);
        drop(control_replies);
        // A cell still running holds an iopub sender; give the queue a moment to flush, not forever.
        let _ = tokio::time::timeout(std::time::Duration::from_secs(2), publisher).await;
        beat.abort();
        drop(stdin);
        shell_result.and(control_result)
    }
}
