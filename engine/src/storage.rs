//! Persistence: storage levels and the block store that holds cached partitions.
//!
//! A cached partition is a *block* `(rdd, partition)`. Blocks live in memory (as values or serialized bytes) under
//! a byte budget, or on disk. When memory runs short the least recently used blocks of *other* RDDs are evicted:
//! to disk if their level allows it, otherwise dropped — a dropped partition is recomputed from lineage the next
//! time it is needed, which is what makes eviction safe.

use crate::error::{Error, Result};
use crate::memory::{MemoryPool, estimate_size};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::any::Any;
use std::collections::HashMap;
use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

/// How an RDD's partitions are kept once computed (Spark's `StorageLevel`).
///
/// This engine runs on one machine: the `_2` levels are accepted for compatibility and keep one replica.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct StorageLevel {
    /// Blocks may be written to disk.
    pub use_disk: bool,
    /// Blocks may be held in memory.
    pub use_memory: bool,
    /// Blocks in memory are kept as values rather than serialized bytes.
    pub deserialized: bool,
    /// Requested replicas (informational on one machine).
    pub replication: u8,
}

impl StorageLevel {
    /// Not persisted.
    pub const NONE: StorageLevel = StorageLevel::new(false, false, false, 1);
    /// On disk only, serialized.
    pub const DISK_ONLY: StorageLevel = StorageLevel::new(true, false, false, 1);
    /// `DISK_ONLY`, two replicas asked (one kept).
    pub const DISK_ONLY_2: StorageLevel = StorageLevel::new(true, false, false, 2);
    /// In memory as values; partitions that do not fit are recomputed when needed (the default of `cache()`).
    pub const MEMORY_ONLY: StorageLevel = StorageLevel::new(false, true, true, 1);
    /// `MEMORY_ONLY`, two replicas asked (one kept).
    pub const MEMORY_ONLY_2: StorageLevel = StorageLevel::new(false, true, true, 2);
    /// In memory as serialized bytes: smaller, slower to read.
    pub const MEMORY_ONLY_SER: StorageLevel = StorageLevel::new(false, true, false, 1);
    /// `MEMORY_ONLY_SER`, two replicas asked (one kept).
    pub const MEMORY_ONLY_SER_2: StorageLevel = StorageLevel::new(false, true, false, 2);
    /// In memory as values, spilled to disk when memory runs short.
    pub const MEMORY_AND_DISK: StorageLevel = StorageLevel::new(true, true, true, 1);
    /// `MEMORY_AND_DISK`, two replicas asked (one kept).
    pub const MEMORY_AND_DISK_2: StorageLevel = StorageLevel::new(true, true, true, 2);
    /// In memory serialized, spilled to disk when memory runs short.
    pub const MEMORY_AND_DISK_SER: StorageLevel = StorageLevel::new(true, true, false, 1);
    /// `MEMORY_AND_DISK_SER`, two replicas asked (one kept).
    pub const MEMORY_AND_DISK_SER_2: StorageLevel = StorageLevel::new(true, true, false, 2);

    const fn new(use_disk: bool, use_memory: bool, deserialized: bool, replication: u8) -> Self {
        StorageLevel { use_disk, use_memory, deserialized, replication }
    }

    /// Whether this level stores anything.
    pub fn is_valid(&self) -> bool {
        self.use_disk || self.use_memory
    }

    /// Spark's `StorageLevel.description`, e.g. `Memory Deserialized 1x Replicated`.
    pub fn description(&self) -> String {
        let mut s = String::new();
        if self.use_disk {
            s.push_str("Disk ");
        }
        if self.use_memory {
            s.push_str("Memory ");
        }
        s.push_str(if self.deserialized { "Deserialized " } else { "Serialized " });
        s.push_str(&format!("{}x Replicated", self.replication));
        s
    }
}

impl fmt::Display for StorageLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.description())
    }
}

/// What the store reports of one persisted RDD (Spark's `RDDInfo`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RddStorageInfo {
    /// Partitions currently stored.
    pub cached_partitions: usize,
    /// Bytes held in memory.
    pub memory_size: usize,
    /// Bytes held on disk.
    pub disk_size: usize,
}

type AnyArc = Arc<dyn Any + Send + Sync>;
type SerializeFn = fn(&AnyArc) -> Result<Vec<u8>>;

enum BlockData {
    Values(AnyArc),
    Bytes(Arc<Vec<u8>>),
    Disk(PathBuf),
}

struct Block {
    data: BlockData,
    size: usize,
    level: StorageLevel,
    last_use: u64,
    serialize: SerializeFn,
}

#[derive(Default)]
struct BlockTable {
    blocks: HashMap<(usize, usize), Block>,
    clock: u64,
}

/// The session's store of cached partitions.
pub(crate) struct BlockManager {
    memory: MemoryPool,
    dir: PathBuf,
    table: Mutex<BlockTable>,
}

impl fmt::Debug for BlockManager {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BlockManager").field("memory", &self.memory).field("dir", &self.dir).finish()
    }
}

fn serialize_values<T: Serialize + Send + Sync + 'static>(data: &AnyArc) -> Result<Vec<u8>> {
    let values =
        data.downcast_ref::<Vec<T>>().ok_or_else(|| Error::Internal("cached block has an unexpected type".into()))?;
    bincode::serialize(values).map_err(|e| Error::Internal(format!("serializing a block: {e}")))
}

pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = path.with_extension("tmp");
    let write = || -> std::io::Result<()> {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_data()?;
        std::fs::rename(&tmp, path)
    };
    write().map_err(|e| Error::io("writing", path, e))
}

impl BlockManager {
    pub(crate) fn new(capacity: usize, dir: PathBuf) -> Self {
        BlockManager { memory: MemoryPool::new(capacity), dir, table: Mutex::new(BlockTable::default()) }
    }

    fn lock(&self) -> MutexGuard<'_, BlockTable> {
        // A panic while holding the lock leaves the table consistent (every mutation is a single insert/remove).
        self.table.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn block_path(&self, rdd: usize, split: usize) -> PathBuf {
        self.dir.join(format!("rdd_{rdd}_{split}"))
    }

    /// The stored values of a block, if present and readable. A block that fails to read is forgotten, so the
    /// caller recomputes it.
    pub(crate) fn get<T>(&self, rdd: usize, split: usize) -> Option<Arc<Vec<T>>>
    where
        T: DeserializeOwned + Send + Sync + 'static,
    {
        let data = {
            let mut table = self.lock();
            table.clock += 1;
            let clock = table.clock;
            let block = table.blocks.get_mut(&(rdd, split))?;
            block.last_use = clock;
            match &block.data {
                BlockData::Values(v) => return Arc::clone(v).downcast::<Vec<T>>().ok(),
                BlockData::Bytes(b) => BlockData::Bytes(Arc::clone(b)),
                BlockData::Disk(p) => BlockData::Disk(p.clone()),
            }
        };
        let decoded = match data {
            BlockData::Bytes(b) => bincode::deserialize::<Vec<T>>(&b).ok(),
            BlockData::Disk(p) => std::fs::read(&p).ok().and_then(|b| bincode::deserialize::<Vec<T>>(&b).ok()),
            BlockData::Values(_) => None,
        };
        if decoded.is_none() {
            self.remove(rdd, split);
        }
        decoded.map(Arc::new)
    }

    /// Stores a computed partition at `level`. Returns whether it was stored; a partition that fits nowhere is
    /// simply not cached (and will be recomputed), as in Spark.
    pub(crate) fn put<T>(&self, rdd: usize, split: usize, level: StorageLevel, values: Arc<Vec<T>>) -> Result<bool>
    where
        T: Serialize + Send + Sync + 'static,
    {
        self.put_sized(rdd, split, level, values, estimate_vec_size)
    }

    /// [`put`](Self::put) with the in-memory size of deserialized values measured by `size_of` (for values
    /// that know their size, such as Arrow batches, instead of the sampled estimate).
    pub(crate) fn put_sized<T>(
        &self,
        rdd: usize,
        split: usize,
        level: StorageLevel,
        values: Arc<Vec<T>>,
        size_of: fn(&[T]) -> usize,
    ) -> Result<bool>
    where
        T: Serialize + Send + Sync + 'static,
    {
        let serialize: SerializeFn = serialize_values::<T>;
        let any: AnyArc = values;
        if level.use_memory {
            let (data, size) = if level.deserialized {
                let values = any.downcast_ref::<Vec<T>>().ok_or_else(|| Error::Internal("block type".into()))?;
                let size = size_of(values);
                (BlockData::Values(Arc::clone(&any)), size)
            } else {
                let bytes = serialize(&any)?;
                let size = bytes.len();
                (BlockData::Bytes(Arc::new(bytes)), size)
            };
            if self.reserve(rdd, size)? {
                self.insert(rdd, split, data, size, level, serialize);
                return Ok(true);
            }
        }
        if level.use_disk {
            let bytes = serialize(&any)?;
            let path = self.block_path(rdd, split);
            write_atomic(&path, &bytes)?;
            self.insert(rdd, split, BlockData::Disk(path), bytes.len(), level, serialize);
            return Ok(true);
        }
        Ok(false)
    }

    fn insert(
        &self,
        rdd: usize,
        split: usize,
        data: BlockData,
        size: usize,
        level: StorageLevel,
        serialize: SerializeFn,
    ) {
        let mut table = self.lock();
        table.clock += 1;
        let block = Block { data, size, level, last_use: table.clock, serialize };
        if let Some(old) = table.blocks.insert((rdd, split), block) {
            self.forget(old);
        }
    }

    /// Makes room for `size` bytes in memory, evicting least recently used blocks of other RDDs.
    fn reserve(&self, rdd: usize, size: usize) -> Result<bool> {
        if size > self.memory.capacity() {
            return Ok(false);
        }
        loop {
            if self.memory.try_acquire(size) {
                return Ok(true);
            }
            let victim = {
                let table = self.lock();
                table
                    .blocks
                    .iter()
                    .filter(|(k, b)| k.0 != rdd && !matches!(b.data, BlockData::Disk(_)))
                    .min_by_key(|(_, b)| b.last_use)
                    .map(|(k, _)| *k)
            };
            let Some(key) = victim else {
                return Ok(false);
            };
            self.evict(key)?;
        }
    }

    /// Drops a block from memory: to disk if its level allows, otherwise forgotten (recomputed from lineage).
    pub(crate) fn evict(&self, key: (usize, usize)) -> Result<()> {
        let Some(block) = self.lock().blocks.remove(&key) else {
            return Ok(());
        };
        if let BlockData::Disk(_) = block.data {
            self.lock().blocks.insert(key, block);
            return Ok(());
        }
        self.memory.release(block.size);
        if block.level.use_disk {
            let bytes = match &block.data {
                BlockData::Values(v) => (block.serialize)(v)?,
                BlockData::Bytes(b) => b.to_vec(),
                BlockData::Disk(_) => return Ok(()),
            };
            let path = self.block_path(key.0, key.1);
            write_atomic(&path, &bytes)?;
            self.insert(key.0, key.1, BlockData::Disk(path), bytes.len(), block.level, block.serialize);
        }
        Ok(())
    }

    fn forget(&self, block: Block) {
        match block.data {
            BlockData::Disk(p) => {
                let _ = std::fs::remove_file(p);
            }
            _ => self.memory.release(block.size),
        }
    }

    pub(crate) fn remove(&self, rdd: usize, split: usize) {
        let removed = self.lock().blocks.remove(&(rdd, split));
        if let Some(block) = removed {
            self.forget(block);
        }
    }

    /// Drops every block of an RDD (on `unpersist` and when the RDD is dropped).
    pub(crate) fn remove_rdd(&self, rdd: usize) {
        let removed: Vec<Block> = {
            let mut table = self.lock();
            let keys: Vec<_> = table.blocks.keys().filter(|k| k.0 == rdd).copied().collect();
            keys.iter().filter_map(|k| table.blocks.remove(k)).collect()
        };
        for block in removed {
            self.forget(block);
        }
    }

    /// Which partitions of an RDD are stored in memory.
    pub(crate) fn memory_blocks(&self, rdd: usize) -> Vec<usize> {
        self.lock()
            .blocks
            .iter()
            .filter(|(k, b)| k.0 == rdd && !matches!(b.data, BlockData::Disk(_)))
            .map(|(k, _)| k.1)
            .collect()
    }

    pub(crate) fn info(&self, rdd: usize) -> RddStorageInfo {
        let table = self.lock();
        let mut info = RddStorageInfo::default();
        for (k, b) in table.blocks.iter().filter(|(k, _)| k.0 == rdd) {
            let _ = k;
            info.cached_partitions += 1;
            match b.data {
                BlockData::Disk(_) => info.disk_size += b.size,
                _ => info.memory_size += b.size,
            }
        }
        info
    }
}

/// Estimated bytes of a vector of values: sampled, as Spark's `SizeEstimator` samples large arrays.
pub(crate) fn estimate_vec_size<T: Serialize>(values: &[T]) -> usize {
    if values.is_empty() {
        return 0;
    }
    let step = (values.len() / 64).max(1);
    let sampled: Vec<usize> = values.iter().step_by(step).map(estimate_size).collect();
    let avg = sampled.iter().sum::<usize>() as f64 / sampled.len() as f64;
    (avg * values.len() as f64) as usize + std::mem::size_of::<Vec<T>>()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store(capacity: usize) -> (tempfile::TempDir, BlockManager) {
        let dir = tempfile::tempdir().expect("tempdir");
        let bm = BlockManager::new(capacity, dir.path().to_path_buf());
        (dir, bm)
    }

    #[test]
    fn descriptions_match_spark() {
        assert_eq!(StorageLevel::MEMORY_ONLY.description(), "Memory Deserialized 1x Replicated");
        assert_eq!(StorageLevel::DISK_ONLY.description(), "Disk Serialized 1x Replicated");
        assert_eq!(StorageLevel::MEMORY_AND_DISK_2.description(), "Disk Memory Deserialized 2x Replicated");
        assert_eq!(StorageLevel::MEMORY_ONLY_SER.description(), "Memory Serialized 1x Replicated");
    }

    #[test]
    fn every_level_round_trips() {
        let (_d, bm) = store(1 << 20);
        for (i, level) in [
            StorageLevel::MEMORY_ONLY,
            StorageLevel::MEMORY_ONLY_SER,
            StorageLevel::DISK_ONLY,
            StorageLevel::MEMORY_AND_DISK,
        ]
        .into_iter()
        .enumerate()
        {
            assert!(bm.put(i, 0, level, Arc::new(vec!["a".to_string(), "b".into()])).expect("put"));
            assert_eq!(*bm.get::<String>(i, 0).expect("stored"), vec!["a", "b"]);
        }
    }

    #[test]
    fn lru_eviction_drops_memory_only_and_spills_memory_and_disk() {
        let block: Vec<u64> = (0..1000).collect();
        let size = estimate_vec_size(&block);
        let (_d, bm) = store(size * 2 + 10);
        bm.put(1, 0, StorageLevel::MEMORY_ONLY, Arc::new(block.clone())).expect("put");
        bm.put(2, 0, StorageLevel::MEMORY_AND_DISK, Arc::new(block.clone())).expect("put");
        // Touch rdd 1 so rdd 2 is least recently used.
        assert!(bm.get::<u64>(1, 0).is_some());
        bm.put(3, 0, StorageLevel::MEMORY_ONLY, Arc::new(block.clone())).expect("put");
        assert!(bm.info(2).disk_size > 0, "MEMORY_AND_DISK block went to disk");
        assert_eq!(*bm.get::<u64>(2, 0).expect("on disk"), block);
        // Now rdd 1 is the only memory block of another RDD: putting rdd 4 drops it.
        bm.put(4, 0, StorageLevel::MEMORY_ONLY, Arc::new(block.clone())).expect("put");
        assert!(bm.get::<u64>(1, 0).is_none() || bm.get::<u64>(3, 0).is_none());
    }
}
