//! A query's checkpoint, in Spark's layout: `metadata` (the query id), `offsets/<batch>` (written before the
//! batch runs: what it reads, write-ahead), `commits/<batch>` (written after the sink committed it), and
//! `sources/<i>/` for the sources' own metadata. Every file is written whole or not at all (temporary file,
//! then rename), and every file read is checked: a corrupt or foreign checkpoint is an error naming the file.

use super::source::Offset;
use crate::error::{Error, Result};
use crate::storage::write_atomic;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The version line Spark writes first in each log file.
const VERSION: &str = "v1";

/// What a batch's offset log entry holds besides the offsets (Spark's `OffsetSeqMetadata`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct BatchMetadata {
    pub(crate) batch_watermark_ms: i64,
    pub(crate) batch_timestamp_ms: i64,
}

/// One logged batch: its metadata and the end offset of each source (`None`: the source had no data yet).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct OffsetSeq {
    pub(crate) metadata: BatchMetadata,
    pub(crate) offsets: Vec<Option<Offset>>,
}

#[derive(Debug, Serialize, Deserialize)]
struct QueryMetadata {
    id: String,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CommitMetadata {
    next_batch_watermark_ms: i64,
}

/// A query's checkpoint directory.
#[derive(Debug, Clone)]
pub(crate) struct Checkpoint {
    root: PathBuf,
}

fn corrupt(path: &Path, what: impl std::fmt::Display) -> Error {
    Error::Plan(format!("corrupt checkpoint file {}: {what}", path.display()))
}

impl Checkpoint {
    /// Opens (creating if needed) the checkpoint at `root` and returns it with the query id it records; a new
    /// checkpoint records `new_id`.
    pub(crate) fn open(root: &Path, new_id: &str) -> Result<(Checkpoint, String)> {
        if root.exists() && !root.is_dir() {
            return Err(Error::param(
                "checkpointLocation",
                format!("{} exists and is not a directory", root.display()),
            ));
        }
        for dir in ["offsets", "commits", "sources"] {
            let path = root.join(dir);
            std::fs::create_dir_all(&path).map_err(|e| Error::io("creating the checkpoint directory", &path, e))?;
        }
        let checkpoint = Checkpoint { root: root.to_path_buf() };
        let metadata = root.join("metadata");
        let id = if metadata.exists() {
            let text = read(&metadata)?;
            let m: QueryMetadata = serde_json::from_str(text.trim()).map_err(|e| {
                corrupt(&metadata, format_args!("expected {{\"id\": \"<query id>\"}} ({e}); is this a checkpoint?"))
            })?;
            m.id
        } else {
            let text = serde_json::to_string(&QueryMetadata { id: new_id.to_string() })
                .map_err(|e| Error::Internal(e.to_string()))?;
            write_atomic(&metadata, format!("{text}\n").as_bytes())?;
            new_id.to_string()
        };
        Ok((checkpoint, id))
    }

    /// The folder where source `i` keeps its metadata.
    pub(crate) fn source_dir(&self, i: usize) -> PathBuf {
        self.root.join("sources").join(i.to_string())
    }

    /// The folder of stateful operator `i`'s state.
    pub(crate) fn state_dir(&self, i: usize) -> PathBuf {
        self.root.join("state").join(i.to_string())
    }

    /// The highest batch id with a file in `dir`.
    fn latest(&self, dir: &str) -> Result<Option<u64>> {
        let path = self.root.join(dir);
        let entries = std::fs::read_dir(&path).map_err(|e| Error::io("listing", &path, e))?;
        let mut latest = None;
        for entry in entries {
            let entry = entry.map_err(|e| Error::io("listing", &path, e))?;
            // Temporary files of an interrupted write (`.name.tmp…`) are not entries.
            if let Some(n) = entry.file_name().to_str().and_then(|n| n.parse::<u64>().ok()) {
                latest = latest.max(Some(n));
            }
        }
        Ok(latest)
    }

    /// The latest batch with logged offsets.
    pub(crate) fn latest_offsets(&self) -> Result<Option<(u64, OffsetSeq)>> {
        match self.latest("offsets")? {
            Some(n) => Ok(Some((n, self.offsets(n)?))),
            None => Ok(None),
        }
    }

    /// The latest committed batch, and the watermark (ms) the batch after it runs with.
    pub(crate) fn latest_commit(&self) -> Result<Option<(u64, i64)>> {
        let Some(n) = self.latest("commits")? else { return Ok(None) };
        let path = self.root.join("commits").join(n.to_string());
        let text = read(&path)?;
        let mut lines = text.lines();
        check_version(&path, lines.next())?;
        let json = lines.next().ok_or_else(|| corrupt(&path, "the commit metadata line is missing"))?;
        let commit: CommitMetadata = serde_json::from_str(json).map_err(|e| corrupt(&path, e))?;
        Ok(Some((n, commit.next_batch_watermark_ms)))
    }

    /// The offsets logged for batch `n`.
    pub(crate) fn offsets(&self, n: u64) -> Result<OffsetSeq> {
        let path = self.root.join("offsets").join(n.to_string());
        let text = read(&path)?;
        let mut lines = text.lines();
        check_version(&path, lines.next())?;
        let meta = lines.next().ok_or_else(|| corrupt(&path, "the batch metadata line is missing"))?;
        let metadata: BatchMetadata = serde_json::from_str(meta).map_err(|e| corrupt(&path, e))?;
        let offsets = lines
            .map(|line| match line {
                "-" => Ok(None),
                json => serde_json::from_str(json).map(|v| Some(Offset(v))).map_err(|e| corrupt(&path, e)),
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(OffsetSeq { metadata, offsets })
    }

    /// Logs the offsets of batch `n` before it runs.
    pub(crate) fn write_offsets(&self, n: u64, seq: &OffsetSeq) -> Result<()> {
        let mut text = format!("{VERSION}\n{}\n", json(&seq.metadata)?);
        for offset in &seq.offsets {
            match offset {
                Some(o) => text.push_str(&o.0.to_string()),
                None => text.push('-'),
            }
            text.push('\n');
        }
        write_atomic(&self.root.join("offsets").join(n.to_string()), text.as_bytes())
    }

    /// Logs batch `n` as committed by the sink.
    pub(crate) fn write_commit(&self, n: u64, watermark_ms: i64) -> Result<()> {
        let text = format!("{VERSION}\n{}\n", json(&CommitMetadata { next_batch_watermark_ms: watermark_ms })?);
        write_atomic(&self.root.join("commits").join(n.to_string()), text.as_bytes())
    }
}

fn json<T: Serialize>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|e| Error::Internal(e.to_string()))
}

fn read(path: &Path) -> Result<String> {
    let bytes = std::fs::read(path).map_err(|e| Error::io("reading the checkpoint file", path, e))?;
    String::from_utf8(bytes).map_err(|_| corrupt(path, "it is not UTF-8 text"))
}

fn check_version(path: &Path, line: Option<&str>) -> Result<()> {
    match line {
        Some(VERSION) => Ok(()),
        Some(v) if v.starts_with('v') && v[1..].parse::<u32>().is_ok() => {
            Err(corrupt(path, format_args!("log version {v} is newer than this Flint reads ({VERSION})")))
        }
        Some(other) => Err(corrupt(path, format_args!("expected the version line `{VERSION}`, found `{other}`"))),
        None => Err(corrupt(path, "the file is empty")),
    }
}
