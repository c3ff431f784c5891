//! Input streams: a queue of RDDs, the lines of a TCP socket, and the new files of a directory.

use super::context::Receiver;
use super::{DStream, Node, StreamingContext, lock};
use crate::error::{Error, Result};
use crate::rdd::{Data, Rdd};
use std::collections::{BTreeMap, VecDeque};
use std::io::{BufRead, BufReader};
use std::net::{Shutdown, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

/// Spark's `FileInputDStream.minRememberDuration`: files older than this when a batch lists them are ignored.
const FILE_REMEMBER_MS: i64 = 60_000;

/// The RDDs a [`queue_stream`](StreamingContext::queue_stream) takes its batches from, shared with the program
/// so that it can add more while the context runs (Spark passes a mutable `Queue`). Cloning shares the queue.
pub struct RddQueue<T: Data> {
    rdds: Arc<Mutex<VecDeque<Rdd<T>>>>,
}

impl<T: Data> Clone for RddQueue<T> {
    fn clone(&self) -> Self {
        RddQueue { rdds: Arc::clone(&self.rdds) }
    }
}

impl<T: Data> std::fmt::Debug for RddQueue<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RddQueue({} RDDs)", self.len())
    }
}

impl<T: Data> Default for RddQueue<T> {
    fn default() -> Self {
        RddQueue { rdds: Arc::default() }
    }
}

impl<T: Data> From<VecDeque<Rdd<T>>> for RddQueue<T> {
    fn from(rdds: VecDeque<Rdd<T>>) -> Self {
        RddQueue { rdds: Arc::new(Mutex::new(rdds)) }
    }
}

impl<T: Data> RddQueue<T> {
    /// An empty queue.
    pub fn new() -> Self {
        RddQueue::default()
    }

    /// Adds an RDD at the back.
    pub fn push(&self, rdd: Rdd<T>) {
        lock(&self.rdds).push_back(rdd);
    }

    /// How many RDDs wait.
    pub fn len(&self) -> usize {
        lock(&self.rdds).len()
    }

    /// Whether no RDD waits.
    pub fn is_empty(&self) -> bool {
        lock(&self.rdds).is_empty()
    }
}

impl StreamingContext {
    /// A stream of the RDDs of a queue (Spark's `queueStream`): each batch takes the next RDD if
    /// `one_at_a_time`, else all the RDDs queued, as one union; a batch that finds the queue empty is an empty RDD.
    pub fn queue_stream<T: Data>(&self, queue: impl Into<RddQueue<T>>, one_at_a_time: bool) -> Result<DStream<T>> {
        self.queue_stream_at(queue.into(), one_at_a_time, None)
    }

    /// [`queue_stream`](Self::queue_stream) where a batch that finds the queue empty is `default` (Spark's
    /// `queueStream(queue, oneAtATime, defaultRDD)`).
    pub fn queue_stream_with_default<T: Data>(
        &self,
        queue: impl Into<RddQueue<T>>,
        one_at_a_time: bool,
        default: Rdd<T>,
    ) -> Result<DStream<T>> {
        self.queue_stream_at(queue.into(), one_at_a_time, Some(default))
    }

    fn queue_stream_at<T: Data>(
        &self,
        queue: RddQueue<T>,
        one_at_a_time: bool,
        default: Option<Rdd<T>>,
    ) -> Result<DStream<T>> {
        let session = self.session().clone();
        let compute = move |_: &Node<T>, _| {
            let taken: Vec<Rdd<T>> = {
                let mut rdds = lock(&queue.rdds);
                if one_at_a_time { rdds.pop_front().into_iter().collect() } else { rdds.drain(..).collect() }
            };
            Ok(Some(match taken.as_slice() {
                [] => default.clone().unwrap_or_else(|| session.empty_rdd()),
                [one] => one.clone(),
                all => session.union(all),
            }))
        };
        DStream::create(Node::new(self.core(), "QueueInputDStream", self.core().batch_ms, Vec::new(), compute))
    }

    /// The lines a TCP server at `host:port` sends, one element per line (Spark's `socketTextStream`). The
    /// connection opens when the context starts (an error then if it is refused) and is not reopened: when the
    /// server closes it, later batches are empty. Each batch holds the lines received since the previous one.
    /// Like Spark's receiver without a write-ahead log, lines live only in memory.
    pub fn socket_text_stream(&self, host: &str, port: u16) -> Result<DStream<String>> {
        let receiver = Arc::new(SocketReceiver {
            address: format!("{host}:{port}"),
            lines: Arc::default(),
            connection: Mutex::default(),
        });
        self.core().add_receiver(Arc::clone(&receiver) as Arc<dyn Receiver>)?;
        let session = self.session().clone();
        let compute = move |_: &Node<String>, _| {
            let lines = std::mem::take(&mut *lock(&receiver.lines));
            Ok(Some(session.parallelize(lines, session.default_parallelism())))
        };
        DStream::create(Node::new(self.core(), "SocketInputDStream", self.core().batch_ms, Vec::new(), compute))
    }

    /// The lines of the files that appear in directory `dir` once the context runs (Spark's `textFileStream`).
    /// The batch of time `t` reads the files (not in subdirectories; names starting with `.` or `_` skipped)
    /// whose modification time is at most `t` and after both the previous batches' files and the context's
    /// start; files modified more than a minute before the batch are ignored, as in Spark. A file is read once:
    /// write files elsewhere and move them in, as Spark asks.
    pub fn text_file_stream(&self, dir: impl AsRef<Path>) -> Result<DStream<String>> {
        let dir = dir.as_ref().to_path_buf();
        match std::fs::metadata(&dir) {
            Ok(m) if m.is_dir() => {}
            Ok(_) => return Err(Error::param("dir", format!("{} is not a directory", dir.display()))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(Error::PathNotFound { path: dir }),
            Err(e) => return Err(Error::io("reading", dir, e)),
        }
        let session = self.session().clone();
        let core = Arc::clone(self.core());
        // Files read by earlier batches, with their modification times, while they are recent enough to be
        // listed again.
        let selected: Mutex<BTreeMap<PathBuf, i64>> = Mutex::default();
        let compute = move |_: &Node<String>, time: i64| {
            let zero = core.zero_ms().unwrap_or(i64::MIN);
            let threshold = zero.max(time - FILE_REMEMBER_MS);
            let mut selected = lock(&selected);
            selected.retain(|_, mtime| *mtime > threshold);
            let mut rdds = Vec::new();
            for file in crate::streaming::list_files(&dir)? {
                if file.mtime > threshold && file.mtime <= time && !selected.contains_key(&file.path) {
                    rdds.push(session.text_file_default(file.path.to_string_lossy())?);
                    selected.insert(file.path, file.mtime);
                }
            }
            Ok(Some(session.union(&rdds)))
        };
        DStream::create(Node::new(self.core(), "FileInputDStream", self.core().batch_ms, Vec::new(), compute))
    }
}

/// Spark's `SocketReceiver`: a thread reading lines into memory until the connection closes.
struct SocketReceiver {
    address: String,
    lines: Arc<Mutex<Vec<String>>>,
    /// A handle to the connection, to close it on stop, and the thread reading it.
    connection: Mutex<Option<(TcpStream, JoinHandle<()>)>>,
}

impl Receiver for SocketReceiver {
    fn start(&self) -> Result<()> {
        let stream = TcpStream::connect(&self.address)
            .map_err(|e| Error::Plan(format!("the socket stream cannot connect to {}: {e}", self.address)))?;
        let reading = stream.try_clone().map_err(|e| Error::io("connecting to", &self.address, e))?;
        let sink = Arc::clone(&self.lines);
        let thread = std::thread::Builder::new()
            .name(format!("socket-receiver-{}", self.address))
            .spawn(move || {
                for line in BufReader::new(reading).lines().map_while(std::result::Result::ok) {
                    lock(&sink).push(line);
                }
            })
            .map_err(|e| Error::Internal(format!("starting the socket receiver: {e}")))?;
        *lock(&self.connection) = Some((stream, thread));
        Ok(())
    }

    fn stop(&self) {
        if let Some((stream, thread)) = lock(&self.connection).take() {
            // Closing the connection ends the thread's read.
            let _ = stream.shutdown(Shutdown::Both);
            let _ = thread.join();
        }
    }
}
