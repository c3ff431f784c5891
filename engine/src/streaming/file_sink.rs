//! Spark's `FileStreamSink`: each micro-batch's rows as Parquet, JSON or CSV files in a directory, committed by
//! a sink log (`<dir>/_spark_metadata/<batch>`, Spark's format) so a batch is never committed twice.
//!
//! A batch's files are written to a hidden staging folder, renamed into the directory as
//! `part-<batch>-<n>.<ext>`, and then listed in the batch's log file, written whole or not at all. A batch
//! whose log file exists is skipped when replayed; a batch replayed after a crash between the renames and its
//! log first removes the files its earlier attempt left. Readers that honour the log (Flint's and Spark's
//! `read()` of the directory) see only committed batches; other readers see every `part-` file in the
//! directory, which after a restart is exactly the committed output.

use super::{OutputMode, Sink};
use crate::DataFrame;
use crate::dataframe::Format;
use crate::error::{Error, Result};
use crate::storage::write_atomic;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

/// The sink log's folder, as Spark names it.
pub(crate) const LOG_DIR: &str = "_spark_metadata";

/// One file in a batch's log (Spark's `SinkFileStatus`).
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SinkFile {
    path: String,
    size: u64,
    is_dir: bool,
    modification_time: i64,
    block_replication: u32,
    block_size: u64,
    action: String,
}

pub(crate) struct FileSink {
    dir: PathBuf,
    format: Format,
    extension: &'static str,
    options: BTreeMap<String, String>,
}

impl FileSink {
    /// A sink writing `format` files into `path` (created if needed), with the writer's options (`header`, `sep`).
    pub(crate) fn new(path: &str, format: &str, options: BTreeMap<String, String>) -> Result<FileSink> {
        let (format, extension) = Format::parse(format).ok_or_else(|| {
            Error::param(
                "format",
                format!("unknown streaming sink `{format}`; use parquet, json, csv, memory, console"),
            )
        })?;
        let dir = PathBuf::from(path);
        let log = dir.join(LOG_DIR);
        std::fs::create_dir_all(&log).map_err(|e| Error::io("creating the sink log directory", &log, e))?;
        let dir = dir.canonicalize().map_err(|e| Error::io("resolving", &dir, e))?;
        Ok(FileSink { dir, format, extension, options })
    }

    fn prefix(batch: u64) -> String {
        format!("part-{batch:05}-")
    }

    /// Removes what an interrupted attempt at `batch` left: its renamed files and its staging folders.
    fn clean(&self, batch: u64) -> Result<()> {
        let prefix = Self::prefix(batch);
        let staging = format!(".batch-{batch}.");
        for entry in std::fs::read_dir(&self.dir).map_err(|e| Error::io("listing", &self.dir, e))? {
            let entry = entry.map_err(|e| Error::io("listing", &self.dir, e))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let path = entry.path();
            if name.starts_with(&prefix) {
                std::fs::remove_file(&path).map_err(|e| Error::io("removing an uncommitted file", &path, e))?;
            } else if name.starts_with(&staging) {
                std::fs::remove_dir_all(&path).map_err(|e| Error::io("removing a staging folder", &path, e))?;
            }
        }
        Ok(())
    }
}

impl Sink for FileSink {
    fn add_batch(&self, batch: u64, data: DataFrame, _mode: OutputMode) -> Result<()> {
        let log = self.dir.join(LOG_DIR).join(batch.to_string());
        if log.exists() {
            return Ok(());
        }
        self.clean(batch)?;
        let staging = crate::output::staging_dir(&self.dir.join(format!("batch-{batch}")), "flint")?;
        let writer = self.options.iter().fold(data.write(), |w, (k, v)| w.option(k, v));
        writer.write_files(staging.path(), self.format)?;
        let mut written: Vec<PathBuf> = std::fs::read_dir(staging.path())
            .map_err(|e| Error::io("listing", staging.path(), e))?
            .map(|e| e.map(|e| e.path()).map_err(|e| Error::io("listing", staging.path(), e)))
            .collect::<Result<_>>()?;
        written.retain(|p| p.is_file());
        written.sort();
        let mut lines = vec!["v1".to_string()];
        for (n, file) in written.iter().enumerate() {
            let dest = self.dir.join(format!("{}{n:05}.{}", Self::prefix(batch), self.extension));
            std::fs::rename(file, &dest).map_err(|e| Error::io("moving output into", &dest, e))?;
            let meta = std::fs::metadata(&dest).map_err(|e| Error::io("reading", &dest, e))?;
            let modification_time = meta
                .modified()
                .ok()
                .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
                .map_or(0, |d| d.as_millis() as i64);
            let entry = SinkFile {
                path: format!("file://{}", dest.display()),
                size: meta.len(),
                is_dir: false,
                modification_time,
                block_replication: 1,
                block_size: 33_554_432,
                action: "add".to_string(),
            };
            lines.push(serde_json::to_string(&entry).map_err(|e| Error::Internal(e.to_string()))?);
        }
        write_atomic(&log, format!("{}\n", lines.join("\n")).as_bytes())
    }
}

/// The files a streaming file sink committed in `dir`, from its log; `None` when `dir` has no sink log.
pub(crate) fn committed_files(dir: &Path) -> Result<Option<Vec<PathBuf>>> {
    let log = dir.join(LOG_DIR);
    if !log.is_dir() {
        return Ok(None);
    }
    let mut batches: Vec<(u64, PathBuf)> = Vec::new();
    for entry in std::fs::read_dir(&log).map_err(|e| Error::io("listing", &log, e))? {
        let entry = entry.map_err(|e| Error::io("listing", &log, e))?;
        // Temporary files of an interrupted log write are not entries.
        if let Some(n) = entry.file_name().to_str().and_then(|n| n.parse::<u64>().ok()) {
            batches.push((n, entry.path()));
        }
    }
    batches.sort();
    let mut files = Vec::new();
    for (_, path) in batches {
        let text = std::fs::read_to_string(&path).map_err(|e| Error::io("reading the sink log", &path, e))?;
        let mut lines = text.lines();
        if lines.next() != Some("v1") {
            return Err(Error::Plan(format!(
                "corrupt sink log file {}: expected the version line `v1`",
                path.display()
            )));
        }
        for line in lines.filter(|l| !l.trim().is_empty()) {
            let file: SinkFile = serde_json::from_str(line)
                .map_err(|e| Error::Plan(format!("corrupt sink log file {}: {e}", path.display())))?;
            if file.action == "add" {
                let local = file.path.strip_prefix("file://").unwrap_or(&file.path);
                // Spark logs absolute URLs; a moved directory still holds the files by name.
                let name = Path::new(local).file_name().map(PathBuf::from).unwrap_or_default();
                files.push(dir.join(name));
            }
        }
    }
    Ok(Some(files))
}
