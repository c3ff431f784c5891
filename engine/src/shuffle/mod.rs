//! Shuffles: regrouping records by key across partitions.
//!
//! A *map task* computes one partition of the parent, optionally combines values per key (map-side combine, for
//! `reduce_by_key`, `aggregate_by_key`, `combine_by_key`), and splits its output into one bucket per reduce
//! partition. Buckets stay in memory while the execution pool grants room and are spilled to a chunked file
//! otherwise. A *reduce task* reads its bucket from every map output and aggregates (spilling again past the
//! budget), sorts, or passes records through.
//!
//! A map task over a large text split may run as several byte-range *pieces* (see `run_parent_stages`): each piece
//! writes an output of its own, and readers take a task's pieces in order, so the records come in the order the
//! whole task would have written them.
//!
//! Map outputs are kept until the RDD that owns the shuffle is dropped, so later jobs skip the map stage.

mod aggregate;
mod combine;
mod sort;
pub(crate) mod spill;

pub(crate) use aggregate::aggregate;
pub(crate) use sort::sort;

use crate::error::{Error, Result};
use crate::memory::{MemoryPool, Reservation, SizeTracker};
use crate::partitioner::{PartitioningKey, RangePartitioner, hash_key, hash_to_partition};
use crate::rdd::{BoxIter, Data, Dependency, Rdd, RddBase, RddCompute, RddMeta, Runs, runs};
use crate::scheduler::TaskContext;
use crate::scheduler::task::add;
use crate::session::SessionContext;
use spill::{Chunk, ChunkReader, SpillWriter};
use std::any::Any;
use std::cmp::Ordering;
use std::collections::HashMap;
use std::fmt;
use std::hash::Hash;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};

/// Orders keys (already reversed for a descending sort).
pub(crate) type KeyCmp<K> = Arc<dyn Fn(&K, &K) -> Ordering + Send + Sync>;
/// Maps a key to its reduce partition.
pub(crate) type PartitionOf<K> = Arc<dyn Fn(&K) -> usize + Send + Sync>;

/// The output of one map task, or of one of its pieces.
struct MapOutput {
    /// One `Arc<Vec<(K, C)>>` per reduce partition: what stayed in memory.
    buckets: Vec<Arc<dyn Any + Send + Sync>>,
    /// What was spilled: the file and, per reduce partition, its chunks.
    spilled: Option<(PathBuf, Vec<Vec<Chunk>>)>,
    /// Execution memory held by the in-memory buckets.
    reserved: usize,
}

#[derive(Default)]
struct ShuffleState {
    /// Per map task, the outputs of its pieces (one unless the task ran as several byte ranges).
    outputs: Vec<Vec<Option<Arc<MapOutput>>>>,
    complete: bool,
    stage_lock: Arc<Mutex<()>>,
}

/// The session's registry of shuffle outputs.
pub(crate) struct ShuffleManager {
    pub(crate) memory: MemoryPool,
    dir: PathBuf,
    shuffles: Mutex<HashMap<usize, ShuffleState>>,
    /// Numbers this session's spill files.
    spill_seq: std::sync::atomic::AtomicUsize,
}

impl fmt::Debug for ShuffleManager {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ShuffleManager").field("memory", &self.memory).finish()
    }
}

impl ShuffleManager {
    pub(crate) fn new(memory: usize, dir: PathBuf) -> Self {
        ShuffleManager {
            memory: MemoryPool::new(memory),
            dir,
            shuffles: Mutex::new(HashMap::new()),
            spill_seq: std::sync::atomic::AtomicUsize::new(0),
        }
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<usize, ShuffleState>> {
        self.shuffles.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A new spill file's path: `<kind>_<n>.<extension>`, numbered per session.
    pub(crate) fn new_spill_path(&self, kind: &str, extension: &str) -> PathBuf {
        let seq = self.spill_seq.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.dir.join(format!("{kind}_{seq}.{extension}"))
    }

    pub(crate) fn stage_lock(&self, shuffle: usize) -> Arc<Mutex<()>> {
        Arc::clone(&self.lock().entry(shuffle).or_default().stage_lock)
    }

    pub(crate) fn is_complete(&self, shuffle: usize) -> bool {
        self.lock().get(&shuffle).is_some_and(|s| s.complete)
    }

    pub(crate) fn mark_complete(&self, shuffle: usize) {
        self.lock().entry(shuffle).or_default().complete = true;
    }

    fn release(&self, output: &MapOutput) {
        self.memory.release(output.reserved);
        if let Some((path, _)) = &output.spilled {
            let _ = std::fs::remove_file(path);
        }
    }

    /// Stores the output of piece `piece` of `pieces` of map task `map`; a rerun replaces the task's outputs.
    fn put(&self, shuffle: usize, (map, num_maps): (usize, usize), (piece, pieces): (usize, usize), output: MapOutput) {
        let replaced = {
            let mut shuffles = self.lock();
            let state = shuffles.entry(shuffle).or_default();
            if state.outputs.len() < num_maps {
                state.outputs.resize_with(num_maps, Vec::new);
            }
            let slots = &mut state.outputs[map];
            let mut replaced = Vec::new();
            if slots.len() != pieces {
                replaced.extend(slots.drain(..).flatten());
                slots.resize_with(pieces, || None);
            }
            replaced.extend(slots[piece].replace(Arc::new(output)));
            replaced
        };
        for old in replaced {
            self.release(&old);
        }
    }

    fn outputs(&self, shuffle: usize) -> Result<Vec<Arc<MapOutput>>> {
        let shuffles = self.lock();
        let state = shuffles
            .get(&shuffle)
            .filter(|s| s.complete)
            .ok_or_else(|| Error::Internal(format!("shuffle {shuffle} read before its map stage ran")))?;
        let missing = || Error::Internal(format!("shuffle {shuffle} lacks a map output"));
        state
            .outputs
            .iter()
            .flat_map(|pieces| if pieces.is_empty() { vec![None] } else { pieces.clone() })
            .map(|o| o.ok_or_else(missing))
            .collect()
    }

    /// Frees a shuffle's memory and files (when the RDD owning it is dropped).
    pub(crate) fn remove(&self, shuffle: usize) {
        let removed = self.lock().remove(&shuffle);
        for output in removed.into_iter().flat_map(|s| s.outputs).flatten().flatten() {
            self.release(&output);
        }
    }
}

/// How map output is assigned to reduce partitions.
pub(crate) enum ShuffleKind<K> {
    Hash(usize),
    Range(RangePartitioner<K>),
    /// The key is the reduce partition (used by `repartition`).
    Direct(usize),
}

impl<K> Clone for ShuffleKind<K> {
    fn clone(&self) -> Self {
        match self {
            ShuffleKind::Hash(n) => ShuffleKind::Hash(*n),
            ShuffleKind::Range(r) => ShuffleKind::Range(r.clone()),
            ShuffleKind::Direct(n) => ShuffleKind::Direct(*n),
        }
    }
}

impl<K> ShuffleKind<K> {
    pub(crate) fn num_partitions(&self) -> usize {
        match self {
            ShuffleKind::Hash(n) | ShuffleKind::Direct(n) => *n,
            ShuffleKind::Range(r) => r.num_partitions(),
        }
    }
}

/// The smallest byte range worth a piece of its own: a piece costs a read buffer, a combine table and a map output.
const MIN_PIECE_BYTES: u64 = 8 << 20;

/// The untyped face of a shuffle dependency, for the scheduler.
pub(crate) trait ShuffleDep: Send + Sync {
    fn shuffle_id(&self) -> usize;
    fn parent(&self) -> Arc<dyn RddBase>;
    /// Work needed before map tasks can run (sampling range bounds).
    fn prepare(&self) -> Result<()>;
    /// Into how many byte-range pieces map task `map` may be cut to keep `threads` threads busy: more than one
    /// only when the parent can compute the partition in pieces and the map side gives the same result for any
    /// cut.
    fn pieces(&self, map: usize, threads: usize) -> usize;
    fn run_map_task(&self, map: usize, tc: &TaskContext) -> Result<()>;
}

/// One map task's records.
type MapInput<K, V> = std::iter::Flatten<Runs<(K, V)>>;

/// A map task's map-side combine, compiled for the operation's own functions: one dynamic call per task and none
/// per record, so `merge` inlines into the combine loop.
type CombineTask<K, V, C> = Arc<
    dyn Fn(MapInput<K, V>, &PartitionOf<K>, &mut BucketWriter<'_, K, C>, &SessionContext) -> Result<()> + Send + Sync,
>;

/// How map tasks turn values `V` into shuffled values `C`.
pub(crate) enum MapSide<K, V, C> {
    /// Map-side combine per key; `splittable` when more combiners per key change nothing but the order in which
    /// the operation's associative and commutative function combines values, so that a map task may run as
    /// several pieces (not for `fold_by_key`, `aggregate_by_key` and `combine_by_key`, whose zero value or `create`
    /// Spark applies once per key and map partition).
    Combine { task: CombineTask<K, V, C>, splittable: bool },
    /// Record by record.
    Convert(Arc<dyn Fn(V) -> C + Send + Sync>),
}

impl<K: Data + Hash + Eq, V: Data, C: Data> MapSide<K, V, C> {
    /// Combines the values of each key with `create` (a key's first value) and `merge`.
    pub(crate) fn combine(
        create: impl Fn(V) -> C + Send + Sync + 'static,
        merge: impl Fn(C, V) -> C + Send + Sync + 'static,
        splittable: bool,
    ) -> Self {
        let task: CombineTask<K, V, C> =
            Arc::new(move |input, part, writer, ctx| combine::combine(input, &create, &merge, part, writer, ctx));
        MapSide::Combine { task, splittable }
    }
}

/// Spark's `ShuffleDependency`: a parent of `(K, V)` written as `(K, C)` buckets.
pub(crate) struct ShuffleDependency<K: Data, V: Data, C: Data> {
    shuffle_id: usize,
    parent: Rdd<(K, V)>,
    kind: ShuffleKind<K>,
    partition_of: PartitionOf<K>,
    map_side: MapSide<K, V, C>,
}

impl<K: Data, V: Data, C: Data> Drop for ShuffleDependency<K, V, C> {
    fn drop(&mut self) {
        self.parent.context().shuffles.remove(self.shuffle_id);
    }
}

/// Makes the key → partition function of a shuffle kind; `K` needs hashing, ordering or to be a `usize`
/// depending on the kind, so each caller passes the functions its key type supports.
pub(crate) fn hash_partition_fn<K: Hash>(n: usize) -> PartitionOf<K> {
    Arc::new(move |k: &K| hash_to_partition(hash_key(k), n))
}

impl<K: Data, V: Data, C: Data> ShuffleDependency<K, V, C> {
    pub(crate) fn new(
        parent: &Rdd<(K, V)>,
        kind: ShuffleKind<K>,
        partition_of: PartitionOf<K>,
        map_side: MapSide<K, V, C>,
    ) -> Self {
        let ctx = parent.context();
        ShuffleDependency {
            shuffle_id: ctx.next_id(&ctx.ids.shuffle),
            parent: parent.clone(),
            kind,
            partition_of,
            map_side,
        }
    }

    pub(crate) fn num_partitions(&self) -> usize {
        self.kind.num_partitions()
    }

    fn ctx(&self) -> &crate::opaque::Opaque<SessionContext> {
        self.parent.context()
    }
}

/// Prepares range bounds for a range shuffle; a no-op for other kinds. Needs `K: Ord`, which only range
/// shuffles require, so it is a separate hook set by the caller.
pub(crate) type PrepareFn = Arc<dyn Fn() -> Result<()> + Send + Sync>;

/// A shuffle dependency with its (optional) preparation step.
pub(crate) struct PreparedDependency<K: Data, V: Data, C: Data> {
    pub(crate) dep: ShuffleDependency<K, V, C>,
    pub(crate) prepare: Option<PrepareFn>,
}

impl<K, V, C> ShuffleDep for PreparedDependency<K, V, C>
where
    K: Data + Hash + Eq,
    V: Data,
    C: Data,
{
    fn shuffle_id(&self) -> usize {
        self.dep.shuffle_id
    }

    fn parent(&self) -> Arc<dyn RddBase> {
        self.dep.parent.node.clone()
    }

    fn prepare(&self) -> Result<()> {
        match &self.prepare {
            Some(p) => p(),
            None => Ok(()),
        }
    }

    fn pieces(&self, map: usize, threads: usize) -> usize {
        let splittable = match &self.dep.map_side {
            MapSide::Combine { splittable, .. } => *splittable,
            MapSide::Convert(_) => true,
        };
        match self.dep.parent.node.piece_bytes(map) {
            Some(bytes) if splittable && threads > 1 && bytes >= threads as u64 * MIN_PIECE_BYTES => threads,
            _ => 1,
        }
    }

    fn run_map_task(&self, map: usize, tc: &TaskContext) -> Result<()> {
        let dep = &self.dep;
        // Flattened: measured faster than a loop per run into the combine's radix buffers.
        let input = runs(&dep.parent.node, map, tc)?.flatten();
        let ctx = dep.ctx();
        let mut writer = BucketWriter::<K, C>::new(
            ctx,
            dep.shuffle_id,
            (map, dep.parent.num_partitions()),
            dep.num_partitions(),
            tc,
        );
        let part = &dep.partition_of;
        match &dep.map_side {
            MapSide::Convert(f) => {
                for (k, v) in input {
                    let p = part(&k);
                    writer.push(p, (k, f(v)))?;
                }
            }
            MapSide::Combine { task, .. } => task(input, part, &mut writer, ctx)?,
        }
        if tc.has_failed() {
            return Ok(());
        }
        writer.finish()
    }
}

/// Buffers one map task's (or piece's) output per reduce partition, spilling to a chunked file past the budget.
pub(crate) struct BucketWriter<'a, K, C> {
    ctx: &'a SessionContext,
    shuffle: usize,
    map: usize,
    num_maps: usize,
    buckets: Vec<Vec<(K, C)>>,
    tracker: SizeTracker,
    reservation: Reservation<'a>,
    spill: Option<(SpillWriter, Vec<Vec<Chunk>>)>,
    records: u64,
    tc: &'a TaskContext,
}

impl<'a, K: Data, C: Data> BucketWriter<'a, K, C> {
    fn new(
        ctx: &'a SessionContext,
        shuffle: usize,
        (map, num_maps): (usize, usize),
        reduces: usize,
        tc: &'a TaskContext,
    ) -> Self {
        BucketWriter {
            ctx,
            shuffle,
            map,
            num_maps,
            buckets: (0..reduces).map(|_| Vec::new()).collect(),
            tracker: SizeTracker::new(),
            reservation: Reservation::new(&ctx.shuffles.memory),
            spill: None,
            records: 0,
            tc,
        }
    }

    #[inline]
    fn push(&mut self, partition: usize, record: (K, C)) -> Result<()> {
        self.tracker.add(&record);
        self.buckets[partition].push(record);
        self.records += 1;
        if self.tracker.due() && !self.reservation.grow_to(self.tracker.estimated_bytes()) {
            self.spill()?;
        }
        Ok(())
    }

    fn spill(&mut self) -> Result<()> {
        if self.spill.is_none() {
            // A new name each time: a rerun's spill must not truncate the file of the output it replaces, which
            // `put` then deletes.
            let path = self.ctx.shuffles.new_spill_path(&format!("shuffle_{}_{}", self.shuffle, self.map), "data");
            self.spill = Some((SpillWriter::create(path)?, vec![Vec::new(); self.buckets.len()]));
        }
        if let Some((writer, chunks)) = self.spill.as_mut() {
            let before = writer.bytes_written();
            for (p, bucket) in self.buckets.iter_mut().enumerate() {
                if !bucket.is_empty() {
                    chunks[p].push(writer.write_chunk(bucket)?);
                    bucket.clear();
                }
            }
            add(&self.tc.counters().disk_bytes_spilled, writer.bytes_written() - before);
        }
        self.tracker.reset();
        self.reservation.free();
        Ok(())
    }

    fn finish(self) -> Result<()> {
        let counters = self.tc.counters();
        add(&counters.shuffle_records_written, self.records);
        let spilled = match self.spill {
            Some((writer, chunks)) => {
                add(&counters.shuffle_bytes_written, writer.bytes_written());
                Some((writer.finish()?, chunks))
            }
            None => None,
        };
        add(&counters.shuffle_bytes_written, self.tracker.estimated_bytes() as u64);
        let output = MapOutput {
            buckets: self.buckets.into_iter().map(|b| Arc::new(b) as Arc<dyn Any + Send + Sync>).collect(),
            spilled,
            reserved: self.reservation.detach(),
        };
        self.ctx.shuffles.put(self.shuffle, (self.map, self.num_maps), self.tc.piece(), output);
        Ok(())
    }
}

/// Reads one reduce partition of a shuffle: memory buckets first, then spilled chunks, map output by map output (a task's pieces in order).
pub(crate) fn read<K: Data, C: Data>(
    ctx: &SessionContext,
    shuffle: usize,
    reduce: usize,
    tc: &TaskContext,
) -> Result<BoxIter<(K, C)>> {
    let outputs = ctx.shuffles.outputs(shuffle)?;
    let mut parts: Vec<BoxIter<(K, C)>> = Vec::with_capacity(outputs.len() * 2);
    for output in outputs {
        let bucket = output
            .buckets
            .get(reduce)
            .cloned()
            .and_then(|b| b.downcast::<Vec<(K, C)>>().ok())
            .ok_or_else(|| Error::Internal(format!("shuffle {shuffle} bucket {reduce} has an unexpected type")))?;
        parts.push(Box::new((0..bucket.len()).map(move |i| bucket[i].clone())));
        if let Some((path, chunks)) = &output.spilled {
            let chunks = chunks.get(reduce).cloned().unwrap_or_default();
            if !chunks.is_empty() {
                parts.push(Box::new(ChunkReader::new(path.clone(), chunks, tc)));
            }
        }
    }
    Ok(Box::new(Counted { inner: parts.into_iter().flatten(), count: 0, tc: tc.clone() }))
}

/// Counts shuffle records read.
struct Counted<I> {
    inner: I,
    count: u64,
    tc: TaskContext,
}

impl<I: Iterator> Iterator for Counted<I> {
    type Item = I::Item;

    #[inline]
    fn next(&mut self) -> Option<I::Item> {
        let x = self.inner.next()?;
        self.count += 1;
        Some(x)
    }
}

impl<I> Drop for Counted<I> {
    fn drop(&mut self) {
        add(&self.tc.counters().shuffle_records_read, self.count);
        add(&self.tc.counters().records_read, self.count);
    }
}

/// What a reduce task does with the `(K, C)` records it reads.
pub(crate) enum ReduceSide<K, C, R> {
    /// Aggregate per key.
    Aggregate {
        create: Arc<dyn Fn(C) -> R + Send + Sync>,
        merge: Arc<dyn Fn(R, C) -> R + Send + Sync>,
        merge_combiners: Arc<dyn Fn(R, R) -> R + Send + Sync>,
    },
    /// Sort by key with `cmp` (already reversed for descending order).
    Sort(KeyCmp<K>, Arc<dyn Fn(C) -> R + Send + Sync>),
    /// Pass records through.
    Pass(Arc<dyn Fn(C) -> R + Send + Sync>),
}

/// Spark's `ShuffledRDD`: the reduce side of a shuffle.
pub(crate) struct ShuffledRdd<K: Data, V: Data, C: Data, R> {
    meta: RddMeta,
    dep: Arc<PreparedDependency<K, V, C>>,
    reduce: ReduceSide<K, C, R>,
    partitioning: Option<PartitioningKey>,
}

impl<K: Data + Hash + Eq, V: Data, C: Data, R: Data> ShuffledRdd<K, V, C, R> {
    pub(crate) fn new(
        meta: RddMeta,
        dep: PreparedDependency<K, V, C>,
        reduce: ReduceSide<K, C, R>,
        partitioning: Option<PartitioningKey>,
    ) -> Self {
        ShuffledRdd { meta, dep: Arc::new(dep), reduce, partitioning }
    }
}

impl<K: Data + Hash + Eq, V: Data, C: Data, R: Data> RddBase for ShuffledRdd<K, V, C, R> {
    fn meta(&self) -> &RddMeta {
        &self.meta
    }

    fn num_partitions(&self) -> usize {
        self.dep.dep.num_partitions()
    }

    fn dependencies(&self) -> Vec<Dependency> {
        vec![Dependency::Shuffle(self.dep.clone())]
    }

    fn partitioning(&self) -> Option<PartitioningKey> {
        self.partitioning.clone()
    }
}

impl<K: Data + Hash + Eq, V: Data, C: Data, R: Data> RddCompute<(K, R)> for ShuffledRdd<K, V, C, R> {
    fn compute(&self, split: usize, tc: &TaskContext) -> Result<BoxIter<(K, R)>> {
        let input = read::<K, C>(&self.meta.ctx, self.dep.dep.shuffle_id, split, tc)?;
        match &self.reduce {
            ReduceSide::Aggregate { create, merge, merge_combiners } => {
                aggregate(input, create.as_ref(), merge.as_ref(), merge_combiners, tc)
            }
            ReduceSide::Sort(cmp, convert) => {
                let convert = Arc::clone(convert);
                let sorted = sort(input, Arc::clone(cmp), tc)?;
                Ok(Box::new(sorted.map(move |(k, c)| (k, convert(c)))))
            }
            ReduceSide::Pass(convert) => {
                let convert = Arc::clone(convert);
                Ok(Box::new(input.map(move |(k, c)| (k, convert(c)))))
            }
        }
    }
}

/// Builds the range-bounds sampling step of a range shuffle (Spark's `RangePartitioner` constructor).
pub(crate) fn range_prepare<K: Data + Ord, V: Data>(parent: &Rdd<(K, V)>, range: &RangePartitioner<K>) -> PrepareFn {
    let parent = parent.clone();
    let range = range.clone();
    Arc::new(move || {
        if range.bounds.get().is_some() {
            return Ok(());
        }
        let partitions = range.num_partitions();
        let bounds = if partitions <= 1 {
            Vec::new()
        } else {
            let candidates = crate::rdd::sample_keys_for_bounds(&parent, partitions)?;
            RangePartitioner::determine_bounds(candidates, partitions)
        };
        let _ = range.bounds.set(bounds);
        Ok(())
    })
}
