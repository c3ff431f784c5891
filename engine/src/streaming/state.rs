//! The state of a stateful operator, versioned per micro-batch: version `v` is the state after batch `v − 1`
//! (Spark's numbering), kept in memory and, with a checkpoint, saved as an Arrow IPC file
//! `state/<operator>/<v>.arrow` written whole or not at all. A batch replayed after a restart starts from the
//! version its predecessor committed, so its output is the same as the first time.

use crate::error::{Error, Result};
use crate::storage::write_atomic;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::ipc::reader::FileReader;
use datafusion::arrow::ipc::writer::FileWriter;
use datafusion::arrow::record_batch::RecordBatch;
use std::path::PathBuf;

/// Versions kept on disk besides the newest (Spark's `spark.sql.streaming.minBatchesToRetain` is 100; a
/// replay only ever needs the previous one).
const RETAINED_VERSIONS: u64 = 2;

/// One operator's state.
#[derive(Debug)]
pub(crate) struct StateStore {
    dir: Option<PathBuf>,
    schema: SchemaRef,
    version: u64,
    rows: Vec<RecordBatch>,
}

impl StateStore {
    /// An empty store of rows of `schema`, saved under `dir` when the query has a checkpoint.
    pub(crate) fn new(dir: Option<PathBuf>, schema: SchemaRef) -> StateStore {
        StateStore { dir, schema, version: 0, rows: Vec::new() }
    }

    fn file(&self, version: u64) -> Option<PathBuf> {
        self.dir.as_ref().map(|d| d.join(format!("{version}.arrow")))
    }

    /// The rows of `version` (the state batch `version` starts from).
    pub(crate) fn get(&mut self, version: u64) -> Result<&[RecordBatch]> {
        if version != self.version {
            self.rows = match self.file(version).filter(|_| version > 0) {
                Some(path) => {
                    let file = std::fs::File::open(&path).map_err(|e| Error::io("reading the state file", &path, e))?;
                    let corrupt = |e: datafusion::arrow::error::ArrowError| {
                        Error::Plan(format!("corrupt state file {}: {e}", path.display()))
                    };
                    let reader = FileReader::try_new(file, None).map_err(corrupt)?;
                    if reader.schema().fields() != self.schema.fields() {
                        return Err(Error::Plan(format!(
                            "the state file {} holds rows of another query ({}), not {}",
                            path.display(),
                            reader.schema(),
                            self.schema
                        )));
                    }
                    reader.collect::<std::result::Result<Vec<_>, _>>().map_err(corrupt)?
                }
                None if version == 0 => Vec::new(),
                None => {
                    return Err(Error::Internal(format!("state version {version} is not in memory and not saved")));
                }
            };
            self.version = version;
        }
        Ok(&self.rows)
    }

    /// Makes `rows` version `version`, saving it first when checkpointed.
    pub(crate) fn put(&mut self, version: u64, rows: Vec<RecordBatch>) -> Result<()> {
        if let (Some(dir), Some(path)) = (&self.dir, self.file(version)) {
            std::fs::create_dir_all(dir).map_err(|e| Error::io("creating the state directory", dir, e))?;
            let mut bytes = Vec::new();
            let mut writer = FileWriter::try_new(&mut bytes, &self.schema)?;
            for batch in &rows {
                writer.write(batch)?;
            }
            writer.finish()?;
            drop(writer);
            write_atomic(&path, &bytes)?;
            if let Some(old) = version.checked_sub(RETAINED_VERSIONS + 1).and_then(|v| self.file(v)) {
                // An old version is only ever read by a replay further back than a crash can cause.
                let _ = std::fs::remove_file(old);
            }
        }
        self.version = version;
        self.rows = rows;
        Ok(())
    }
}
