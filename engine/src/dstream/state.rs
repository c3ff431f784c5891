//! The state of stateful streams, and the checkpoint directory that keeps it.
//!
//! Layout: `metadata` (`{"lastBatchTimeMs": t}`, rewritten after each batch), and `state/<i>/<t>` (the contents
//! of stateful stream `i` at batch `t`, bincode). Every file is written whole or not at all (temporary file,
//! then rename). A stream keeps its two latest state files: the last batch recorded in `metadata` may be the
//! one before the latest, if the latest failed.

use super::context::Core;
use crate::error::{Error, Result};
use crate::rdd::{Data, Rdd};
use crate::storage::write_atomic;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Metadata {
    last_batch_time_ms: i64,
}

fn corrupt(path: &Path, what: impl std::fmt::Display) -> Error {
    Error::Plan(format!("corrupt DStream checkpoint file {}: {what}", path.display()))
}

/// Records that the batch of `time_ms` completed.
pub(crate) fn commit_batch(dir: &Path, time_ms: i64) -> Result<()> {
    let text = serde_json::to_string(&Metadata { last_batch_time_ms: time_ms })
        .map_err(|e| Error::Internal(format!("writing DStream checkpoint metadata: {e}")))?;
    write_atomic(&dir.join("metadata"), format!("{text}\n").as_bytes())
}

/// The last completed batch recorded in the checkpoint `dir`, if it holds one.
pub(crate) fn last_batch(dir: &Path) -> Result<Option<i64>> {
    let path = dir.join("metadata");
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::io("reading", &path, e)),
    };
    let metadata: Metadata = serde_json::from_str(text.trim())
        .map_err(|e| corrupt(&path, format_args!("expected {{\"lastBatchTimeMs\": <ms>}} ({e})")))?;
    Ok(Some(metadata.last_batch_time_ms))
}

/// The state files in `dir`, by batch time (temporary files of an interrupted write are not).
fn state_files(dir: &Path) -> Result<Vec<(i64, PathBuf)>> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(Error::io("listing", dir, e)),
    };
    let mut files = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| Error::io("listing", dir, e))?;
        if let Some(time) = entry.file_name().to_str().and_then(|n| n.parse::<i64>().ok()) {
            files.push((time, entry.path()));
        }
    }
    files.sort();
    Ok(files)
}

fn state_dir(dir: &Path, index: usize) -> PathBuf {
    dir.join("state").join(index.to_string())
}

/// The state of stream `index` at the latest batch at or before `up_to_ms`, if written.
fn read_state<T: Data>(dir: &Path, index: usize, up_to_ms: i64) -> Result<Option<Vec<T>>> {
    let files = state_files(&state_dir(dir, index))?;
    let Some((_, path)) = files.into_iter().rev().find(|(t, _)| *t <= up_to_ms) else { return Ok(None) };
    let bytes = std::fs::read(&path).map_err(|e| Error::io("reading", &path, e))?;
    bincode::deserialize(&bytes).map(Some).map_err(|e| corrupt(&path, e))
}

/// Writes the state of stream `index` at batch `time_ms`, and removes its files older than the previous one.
fn write_state<T: Data>(dir: &Path, index: usize, time_ms: i64, values: &[T]) -> Result<()> {
    let folder = state_dir(dir, index);
    std::fs::create_dir_all(&folder).map_err(|e| Error::io("creating", &folder, e))?;
    let bytes = bincode::serialize(values).map_err(|e| Error::Internal(format!("serializing DStream state: {e}")))?;
    write_atomic(&folder.join(time_ms.to_string()), &bytes)?;
    let files = state_files(&folder)?;
    for (_, old) in files.iter().take(files.len().saturating_sub(2)) {
        std::fs::remove_file(old).map_err(|e| Error::io("removing", old, e))?;
    }
    Ok(())
}

/// The state a stateful stream starts from: what it had at the recovered checkpoint's last batch, or nothing.
pub(crate) fn recovered<T: Data>(core: &Core, index: usize) -> Result<Option<Rdd<T>>> {
    let (Some(dir), Some(last)) = (core.checkpoint_dir(), core.recovered_ms()) else { return Ok(None) };
    let values = read_state(&dir, index, last)?;
    Ok(values.map(|v| core.session.parallelize(v, core.session.default_parallelism())))
}

/// Computes a stateful stream's RDD of batch `time_ms` now and returns its contents as a fresh RDD without
/// parents, writing them to the checkpoint directory on the way.
///
/// Each batch's state is built from the previous one, so a lazy state RDD would carry the lineage of every batch
/// so far: each job would grow and recompute the whole history. Spark cuts it by checkpointing the RDD every few
/// batches. Here the partitions are already in this process, so collecting them costs one copy, gives the very
/// bytes the checkpoint needs, and the parallelized result starts a new lineage every batch.
pub(crate) fn materialize<T: Data>(core: &Core, index: usize, time_ms: i64, rdd: &Rdd<T>) -> Result<Rdd<T>> {
    let values = rdd.collect()?;
    if let Some(dir) = core.checkpoint_dir() {
        write_state(&dir, index, time_ms, &values)?;
    }
    Ok(core.session.parallelize(values, core.session.default_parallelism()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_files_keep_the_two_latest_and_skip_temporary_files() -> std::result::Result<(), Box<dyn std::error::Error>>
    {
        let dir = tempfile::tempdir()?;
        for t in [1000, 2000, 3000] {
            write_state(dir.path(), 0, t, &[("a".to_string(), t)])?;
        }
        std::fs::write(state_dir(dir.path(), 0).join("4000.tmp"), b"partial")?;
        let times: Vec<i64> = state_files(&state_dir(dir.path(), 0))?.into_iter().map(|(t, _)| t).collect();
        assert_eq!(times, [2000, 3000]);
        assert_eq!(read_state::<(String, i64)>(dir.path(), 0, 2999)?, Some(vec![("a".to_string(), 2000)]));
        assert_eq!(read_state::<(String, i64)>(dir.path(), 0, 1999)?, None);
        assert_eq!(last_batch(dir.path())?, None);
        commit_batch(dir.path(), 3000)?;
        assert_eq!(last_batch(dir.path())?, Some(3000));
        std::fs::write(dir.path().join("metadata"), "{}")?;
        let e = last_batch(dir.path()).expect_err("corrupt metadata").to_string();
        assert!(e.contains("corrupt DStream checkpoint file") && e.contains("lastBatchTimeMs"), "{e}");
        Ok(())
    }
}
