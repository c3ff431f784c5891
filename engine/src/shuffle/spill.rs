//! Spill files: append-only files of bincode-encoded chunks (`Vec<record>`), read back chunk by chunk so that a
//! reader holds one chunk in memory at a time.

use crate::error::{Error, Result};
use crate::scheduler::TaskContext;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::fs::File;
use std::io::{BufWriter, Read, Seek, SeekFrom, Write};
use std::marker::PhantomData;
use std::path::PathBuf;

/// Where a chunk lies in its file.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Chunk {
    pub(crate) offset: u64,
    pub(crate) len: u64,
}

/// Appends chunks to one file. A writer dropped before [`finish`](SpillWriter::finish) (its task failed) deletes
/// the file; a finished file belongs to whoever reads it, who deletes it (see [`RemoveOnDrop`]).
#[derive(Debug)]
pub(crate) struct SpillWriter {
    path: PathBuf,
    out: BufWriter<File>,
    offset: u64,
    finished: bool,
}

impl SpillWriter {
    pub(crate) fn create(path: PathBuf) -> Result<Self> {
        let file = File::create(&path).map_err(|e| Error::io("creating spill file", &path, e))?;
        Ok(SpillWriter { path, out: BufWriter::with_capacity(1 << 16, file), offset: 0, finished: false })
    }

    /// Writes one chunk and returns where it lies.
    pub(crate) fn write_chunk<T: Serialize>(&mut self, records: &[T]) -> Result<Chunk> {
        let bytes = bincode::serialize(records).map_err(|e| Error::Internal(format!("encoding a spill chunk: {e}")))?;
        self.out.write_all(&bytes).map_err(|e| Error::io("writing spill file", &self.path, e))?;
        let chunk = Chunk { offset: self.offset, len: bytes.len() as u64 };
        self.offset += chunk.len;
        Ok(chunk)
    }

    /// Flushes buffered bytes; the file is complete and readable afterwards.
    pub(crate) fn finish(mut self) -> Result<PathBuf> {
        self.out.flush().map_err(|e| Error::io("writing spill file", &self.path, e))?;
        self.finished = true;
        Ok(self.path.clone())
    }

    pub(crate) fn bytes_written(&self) -> u64 {
        self.offset
    }
}

impl Drop for SpillWriter {
    fn drop(&mut self) {
        if !self.finished {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// Records read back from spill files, which are deleted when the iterator is dropped, whether it was read to the
/// end or not (a `take` stops early).
pub(crate) struct RemoveOnDrop<I> {
    inner: I,
    paths: Vec<PathBuf>,
}

impl<I> RemoveOnDrop<I> {
    pub(crate) fn new(inner: I, paths: Vec<PathBuf>) -> Self {
        RemoveOnDrop { inner, paths }
    }
}

impl<I: Iterator> Iterator for RemoveOnDrop<I> {
    type Item = I::Item;

    #[inline]
    fn next(&mut self) -> Option<I::Item> {
        self.inner.next()
    }
}

impl<I> Drop for RemoveOnDrop<I> {
    fn drop(&mut self) {
        for path in &self.paths {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// Reads chunks back as a stream of records. A read error fails the task (recorded on its context) and ends the
/// stream.
pub(crate) struct ChunkReader<T> {
    path: PathBuf,
    file: Option<File>,
    chunks: std::vec::IntoIter<Chunk>,
    current: std::vec::IntoIter<T>,
    tc: TaskContext,
    _t: PhantomData<fn() -> T>,
}

impl<T: DeserializeOwned> ChunkReader<T> {
    pub(crate) fn new(path: PathBuf, chunks: Vec<Chunk>, tc: &TaskContext) -> Self {
        ChunkReader {
            path,
            file: None,
            chunks: chunks.into_iter(),
            current: Vec::new().into_iter(),
            tc: tc.clone(),
            _t: PhantomData,
        }
    }

    fn load(&mut self, chunk: Chunk) -> Result<Vec<T>> {
        let path = &self.path;
        if self.file.is_none() {
            self.file = Some(File::open(path).map_err(|e| Error::io("reading spill file", path, e))?);
        }
        let file = self.file.as_mut().ok_or_else(|| Error::Internal("spill file not open".into()))?;
        let mut buf = vec![0u8; chunk.len as usize];
        file.seek(SeekFrom::Start(chunk.offset))
            .and_then(|_| file.read_exact(&mut buf))
            .map_err(|e| Error::io("reading spill file", path, e))?;
        bincode::deserialize(&buf).map_err(|e| {
            Error::io("decoding spill file", path, std::io::Error::new(std::io::ErrorKind::InvalidData, e.to_string()))
        })
    }
}

impl<T: DeserializeOwned> Iterator for ChunkReader<T> {
    type Item = T;

    fn next(&mut self) -> Option<T> {
        loop {
            if let Some(x) = self.current.next() {
                return Some(x);
            }
            let chunk = self.chunks.next()?;
            match self.load(chunk) {
                Ok(records) => self.current = records.into_iter(),
                Err(e) => {
                    self.tc.fail(e);
                    return None;
                }
            }
        }
    }
}
