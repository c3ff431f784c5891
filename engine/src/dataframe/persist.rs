//! `cache`/`persist` on DataFrames: a table whose first scan computes the input plan and stores each partition's
//! batches in the session's block store at the chosen [`StorageLevel`], and whose later scans read them back.
//!
//! As in Spark, persisting is lazy (the input is computed in the first action's job, as stages of it) and
//! partitions live in the same store as cached RDD partitions, under the same memory budget
//! (`flint.storage.memory`) and the same rules: a `MEMORY_ONLY` partition that does not fit is not stored and is
//! recomputed when needed, `MEMORY_AND_DISK` spills to disk, `*_SER` and disk levels keep Arrow IPC bytes.

use crate::session::SessionContext;
use crate::storage::StorageLevel;
use async_trait::async_trait;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::ipc::reader::StreamReader;
use datafusion::arrow::ipc::writer::StreamWriter;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::catalog::{Session as CatalogSession, TableProvider};
use datafusion::datasource::TableType;
use datafusion::datasource::memory::MemorySourceConfig;
use datafusion::error::{DataFusionError, Result};
use datafusion::logical_expr::{Expr, LogicalPlan};
use datafusion::physical_plan::ExecutionPlan;
use serde::de::{Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};
use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// A batch as a block value: stored as is in memory, as Arrow IPC bytes when serialized or on disk.
pub(crate) struct IpcBatch(RecordBatch);

impl Serialize for IpcBatch {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        let mut bytes = Vec::new();
        let mut encode = || -> std::result::Result<(), datafusion::arrow::error::ArrowError> {
            let mut writer = StreamWriter::try_new(&mut bytes, &self.0.schema())?;
            writer.write(&self.0)?;
            writer.finish()
        };
        encode().map_err(serde::ser::Error::custom)?;
        serializer.serialize_bytes(&bytes)
    }
}

struct BytesVisitor;

impl Visitor<'_> for BytesVisitor {
    type Value = Vec<u8>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the Arrow IPC bytes of a record batch")
    }

    fn visit_bytes<E>(self, v: &[u8]) -> std::result::Result<Vec<u8>, E> {
        Ok(v.to_vec())
    }

    fn visit_byte_buf<E>(self, v: Vec<u8>) -> std::result::Result<Vec<u8>, E> {
        Ok(v)
    }
}

impl<'de> Deserialize<'de> for IpcBatch {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        let bytes = deserializer.deserialize_byte_buf(BytesVisitor)?;
        let mut reader = StreamReader::try_new(bytes.as_slice(), None).map_err(serde::de::Error::custom)?;
        match reader.next() {
            Some(batch) => Ok(IpcBatch(batch.map_err(serde::de::Error::custom)?)),
            None => Err(serde::de::Error::custom("a cached block holds no record batch")),
        }
    }
}

fn batches_size(batches: &[IpcBatch]) -> usize {
    batches.iter().map(|b| b.0.get_array_memory_size()).sum()
}

fn external(e: crate::Error) -> DataFusionError {
    DataFusionError::External(Box::new(e))
}

/// The source of a persisted DataFrame's plan.
pub(crate) struct PersistedTable {
    input: LogicalPlan,
    level: StorageLevel,
    /// The block id of its partitions (from the RDD id space, as Spark's cached relations are RDDs).
    id: usize,
    /// Weak: a temp view over a persisted DataFrame is held by the session itself.
    session: crate::opaque::WeakOpaque<SessionContext>,
    /// The number of partitions once computed.
    partition_count: tokio::sync::Mutex<Option<usize>>,
    unpersisted: AtomicBool,
}

impl fmt::Debug for PersistedTable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PersistedTable").field("id", &self.id).field("level", &self.level).finish()
    }
}

impl PersistedTable {
    pub(crate) fn new(
        input: LogicalPlan,
        level: StorageLevel,
        session: &crate::opaque::Opaque<SessionContext>,
    ) -> Self {
        PersistedTable {
            input,
            level,
            id: session.next_id(&session.ids.rdd),
            session: crate::opaque::Opaque::downgrade(session),
            partition_count: tokio::sync::Mutex::new(None),
            unpersisted: AtomicBool::new(false),
        }
    }

    /// The level it is stored at, `NONE` after `unpersist`.
    pub(crate) fn level(&self) -> StorageLevel {
        if self.unpersisted.load(Ordering::Relaxed) { StorageLevel::NONE } else { self.level }
    }

    /// Drops the stored partitions; later scans compute the input again, without storing it.
    pub(crate) fn unpersist(&self) {
        self.unpersisted.store(true, Ordering::Relaxed);
        if let Some(session) = self.session.upgrade() {
            session.blocks.remove_rdd(self.id);
        }
    }

    /// Every partition's batches: from the store when all are there, otherwise all computed again (in parallel)
    /// and stored. Never a mix: a plan with a round-robin repartition may deal rows differently each run, so
    /// stored and recomputed partitions of two runs could repeat or lose rows.
    async fn partitions(&self, state: &dyn CatalogSession, session: &SessionContext) -> Result<Vec<Vec<RecordBatch>>> {
        // Held across the computation so two concurrent first scans compute the input once.
        let mut count = self.partition_count.lock().await;
        if let Some(n) = *count {
            let stored: Option<Vec<Vec<RecordBatch>>> = (0..n)
                .map(|i| session.blocks.get::<IpcBatch>(self.id, i).map(|b| b.iter().map(|b| b.0.clone()).collect()))
                .collect();
            if let Some(stored) = stored {
                return Ok(stored);
            }
        }
        // A new physical plan each time: an executed plan's repartitions cannot run again.
        let plan = state.create_physical_plan(&self.input).await?;
        let partitions = super::progress::collect_partitioned(session, plan, state.task_ctx()).await?;
        for (i, batches) in partitions.iter().enumerate() {
            let values = Arc::new(batches.iter().cloned().map(IpcBatch).collect::<Vec<_>>());
            session.blocks.put_sized(self.id, i, self.level, values, batches_size).map_err(external)?;
        }
        *count = Some(partitions.len());
        Ok(partitions)
    }
}

impl Drop for PersistedTable {
    fn drop(&mut self) {
        if let Some(session) = self.session.upgrade() {
            session.blocks.remove_rdd(self.id);
        }
    }
}

#[async_trait]
impl TableProvider for PersistedTable {
    fn schema(&self) -> SchemaRef {
        Arc::clone(self.input.schema().inner())
    }

    fn table_type(&self) -> TableType {
        TableType::Temporary
    }

    async fn scan(
        &self,
        state: &dyn CatalogSession,
        projection: Option<&Vec<usize>>,
        _filters: &[Expr],
        _limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let session = self.session.upgrade().filter(|_| !self.unpersisted.load(Ordering::Relaxed));
        let Some(session) = session else {
            return super::physical_plan(state, &self.input, projection).await;
        };
        let partitions = self.partitions(state, &session).await?;
        Ok(MemorySourceConfig::try_new_exec(&partitions, self.schema(), projection.cloned())?)
    }
}
