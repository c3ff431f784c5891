//! Resilient distributed datasets: Spark Core's model, lazily planned and run on rayon.
//!
//! An [`Rdd<T>`] is a node of a lineage graph. Each node knows its partitions, its dependencies on parent nodes
//! (*narrow*: partition `i` needs a few parent partitions; *shuffle*: it needs every parent partition, regrouped
//! by key) and how to compute one partition as an iterator from its parents' iterators. Transformations only add
//! nodes; an action hands the graph to the [scheduler](crate::scheduler), which cuts it into stages at shuffle
//! dependencies and runs one task per partition. Within a stage, records stream through the chain of closures
//! one at a time, as in Spark: nothing is materialized between `map` and `filter`.

mod actions;
mod nodes;
mod numeric;
mod pair;
pub(crate) mod sampling;
pub(crate) mod text;

pub use numeric::{Numeric, OrderedF64, StatCounter};
pub(crate) use pair::sample_keys_for_bounds;
pub use pair::{Groups, KeyPartitioner, OuterPair, PartitionPlan};

use crate::error::{Error, Result};
use crate::partitioner::PartitioningKey;
use crate::scheduler::TaskContext;
use crate::scheduler::task::add;
use crate::session::{Session, SessionContext};
use crate::shuffle::ShuffleDep;
use crate::storage::StorageLevel;
use nodes::{
    Cartesian, Coalesced, FilterStep, FlatMapStep, MapPartitions, MapStep, ParallelCollection, PartitionBody, RangeRdd,
    Step, Union, Zip,
};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::fmt;
use std::hash::Hash;
use std::ops::Range;
use std::panic::Location;
use std::sync::{Arc, Mutex};

/// What an RDD can hold: values that can be cloned, sent between task threads, and serialized (for shuffles that
/// spill and for serialized or on-disk persistence). Implemented for every such type.
pub trait Data: Clone + Send + Sync + Serialize + DeserializeOwned + 'static {}

impl<T: Clone + Send + Sync + Serialize + DeserializeOwned + 'static> Data for T {}

/// The iterator a partition is computed as, and what `map_partitions` closures receive.
pub type BoxIter<T> = Box<dyn Iterator<Item = T> + Send>;

/// A partition as consecutive runs of records (see [`RddCompute::compute_runs`]).
pub(crate) type Runs<T> = Box<dyn Iterator<Item = Vec<T>> + Send>;

/// Records per run: enough to make a call per run negligible, few enough that a run stays in the L1/L2 cache.
pub(crate) const RUN: usize = 1024;

/// Groups an iterator's records into runs.
pub(crate) fn runs_of<T: Send + 'static>(mut records: impl Iterator<Item = T> + Send + 'static) -> Runs<T> {
    Box::new(std::iter::from_fn(move || {
        let run: Vec<T> = records.by_ref().take(RUN).collect();
        (!run.is_empty()).then_some(run)
    }))
}

/// Runs that copy `range` of a shared vector, one run at a time.
pub(crate) fn runs_of_shared<T: Clone + Send + Sync + 'static>(values: Arc<Vec<T>>, range: Range<usize>) -> Runs<T> {
    let end = range.end;
    Box::new(range.step_by(RUN).map(move |i| values[i..(i + RUN).min(end)].to_vec()))
}

/// Identity and bookkeeping of one lineage node.
pub(crate) struct RddMeta {
    pub(crate) id: usize,
    /// Spark's class name, shown in the lineage (`MapPartitionsRDD`, `ShuffledRDD`, …).
    pub(crate) class: &'static str,
    /// The operation that made it (`map`, `reduce_by_key`, …).
    pub(crate) op: &'static str,
    /// Where in the user's code: `file:line`.
    pub(crate) site: String,
    /// Shown before the class name, as Spark shows a text file's path.
    pub(crate) label: Option<String>,
    pub(crate) ctx: crate::opaque::Opaque<SessionContext>,
    storage: Mutex<StorageLevel>,
    name: Mutex<Option<String>>,
}

impl RddMeta {
    pub(crate) fn new(
        ctx: &crate::opaque::Opaque<SessionContext>,
        class: &'static str,
        op: &'static str,
        site: &Location<'_>,
    ) -> Self {
        RddMeta {
            id: ctx.next_id(&ctx.ids.rdd),
            class,
            op,
            site: format!("{}:{}", site.file(), site.line()),
            label: None,
            ctx: ctx.clone(),
            storage: Mutex::new(StorageLevel::NONE),
            name: Mutex::new(None),
        }
    }

    pub(crate) fn with_label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }

    pub(crate) fn storage_level(&self) -> StorageLevel {
        *self.storage.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Drop for RddMeta {
    fn drop(&mut self) {
        // Nothing can read an unreachable RDD's blocks again.
        self.ctx.blocks.remove_rdd(self.id);
    }
}

/// How a node depends on a parent.
pub(crate) enum Dependency {
    /// Each partition needs a bounded set of parent partitions: pipelined in the same stage.
    Narrow(Arc<dyn RddBase>),
    /// Each partition needs all parent partitions regrouped by key: a stage boundary.
    Shuffle(Arc<dyn ShuffleDep>),
}

/// The untyped view of a lineage node, enough for the scheduler and the lineage printer.
pub(crate) trait RddBase: Send + Sync + 'static {
    fn meta(&self) -> &RddMeta;
    fn num_partitions(&self) -> usize;
    fn dependencies(&self) -> Vec<Dependency>;
    /// How the node's data is already partitioned by key, if known (lets pair operations skip a shuffle).
    fn partitioning(&self) -> Option<PartitioningKey> {
        None
    }
    /// The bytes of file input behind partition `split`, when a task may compute the partition as several
    /// byte-range pieces at once: a plain text file read through element-wise steps, nothing persisted on the
    /// way. `None` (the default) for anything else.
    fn piece_bytes(&self, _split: usize) -> Option<u64> {
        None
    }
    /// `op at site`, Spark's `getCreationSite`.
    fn describe(&self) -> String {
        format!("{} at {}", self.meta().op, self.meta().site)
    }
}

/// A lineage node that computes partitions of `T`.
pub(crate) trait RddCompute<T>: RddBase {
    /// The partition record by record, for consumers that may stop early (`take`, `zip`, `first`): a record is
    /// computed only when pulled, as in Spark.
    fn compute(&self, split: usize, tc: &TaskContext) -> Result<BoxIter<T>>;

    /// The partition in runs of records, for consumers that drain it (most actions, shuffle writes, caching).
    /// Sources and element-wise steps override it, so that records flow through a stage's chain of closures a
    /// run at a time (one dynamic call per run and step, not per record).
    fn compute_runs(&self, split: usize, tc: &TaskContext) -> Result<Runs<T>>
    where
        T: Send + 'static,
    {
        Ok(runs_of(self.compute(split, tc)?))
    }
}

fn iter_shared<T: Clone + Send + Sync + 'static>(values: Arc<Vec<T>>) -> BoxIter<T> {
    Box::new((0..values.len()).map(move |i| values[i].clone()))
}

/// Computes a partition, through the block store when the node is persisted (Spark's `RDD.iterator`).
pub(crate) fn iterator<T: Data>(node: &Arc<dyn RddCompute<T>>, split: usize, tc: &TaskContext) -> Result<BoxIter<T>> {
    if !node.meta().storage_level().is_valid() {
        return compute_records(node, split, tc);
    }
    Ok(iter_shared(partition_values(node, split, tc)?))
}

/// Computes a partition from its lineage, bypassing the block store.
fn compute_records<T: Data>(node: &Arc<dyn RddCompute<T>>, split: usize, tc: &TaskContext) -> Result<BoxIter<T>> {
    let records = node.compute(split, tc)?;
    Ok(if node.dependencies().is_empty() {
        Box::new(crate::scheduler::Monitored::source(records, tc))
    } else {
        records
    })
}

/// Computes a partition in runs, through the block store when the node is persisted.
pub(crate) fn runs<T: Data>(node: &Arc<dyn RddCompute<T>>, split: usize, tc: &TaskContext) -> Result<Runs<T>> {
    if !node.meta().storage_level().is_valid() {
        return compute_runs(node, split, tc);
    }
    let values = partition_values(node, split, tc)?;
    let all = 0..values.len();
    Ok(runs_of_shared(values, all))
}

/// Computes a partition in runs from its lineage, bypassing the block store.
fn compute_runs<T: Data>(node: &Arc<dyn RddCompute<T>>, split: usize, tc: &TaskContext) -> Result<Runs<T>> {
    let runs = node.compute_runs(split, tc)?;
    Ok(if node.dependencies().is_empty() { Box::new(crate::scheduler::Monitored::source_runs(runs, tc)) } else { runs })
}

/// A whole partition as one shared vector: the stored block itself when the node is persisted and the block is
/// in memory (no element is copied), otherwise computed, collected, and stored if the node is persisted.
pub(crate) fn partition_values<T: Data>(
    node: &Arc<dyn RddCompute<T>>,
    split: usize,
    tc: &TaskContext,
) -> Result<Arc<Vec<T>>> {
    let meta = node.meta();
    let level = meta.storage_level();
    let blocks = &meta.ctx.blocks;
    if level.is_valid()
        && let Some(values) = blocks.get::<T>(meta.id, split)
    {
        add(&tc.counters().cache_hits, 1);
        return Ok(values);
    }
    let values: Vec<T> = compute_runs(node, split, tc)?.flatten().collect();
    if tc.has_failed() {
        // An incomplete partition must never be cached; the task fails with the recorded error.
        return Ok(Arc::new(Vec::new()));
    }
    let values = Arc::new(values);
    if level.is_valid() {
        blocks.put(meta.id, split, level, Arc::clone(&values))?;
    }
    Ok(values)
}

/// A resilient distributed dataset: an immutable, partitioned collection, computed lazily from its lineage.
///
/// Cloning an `Rdd` clones a handle, not data.
pub struct Rdd<T: Data> {
    pub(crate) node: Arc<dyn RddCompute<T>>,
    pub(crate) session: Session,
}

impl<T: Data> Clone for Rdd<T> {
    fn clone(&self) -> Self {
        Rdd { node: Arc::clone(&self.node), session: self.session.clone() }
    }
}

impl<T: Data> fmt::Debug for Rdd<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self_line(&*self.node))
    }
}

impl<T: Data> fmt::Display for Rdd<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self_line(&*self.node))
    }
}

/// Spark's `RDD.toString`: `[label ]Class[id] at op at site`.
fn self_line(rdd: &dyn RddBase) -> String {
    let m = rdd.meta();
    let name = m.name.lock().unwrap_or_else(|e| e.into_inner()).clone();
    let label = name.or_else(|| m.label.clone()).map(|l| format!("{l} ")).unwrap_or_default();
    format!("{label}{}[{}] at {}", m.class, m.id, rdd.describe())
}

/// Spark's `Utils.bytesToString`.
fn bytes_to_string(size: usize) -> String {
    const KIB: f64 = 1024.0;
    let s = size as f64;
    let (value, unit) = if s >= 2.0 * KIB * KIB * KIB {
        (s / (KIB * KIB * KIB), "GiB")
    } else if s >= 2.0 * KIB * KIB {
        (s / (KIB * KIB), "MiB")
    } else if s >= 2.0 * KIB {
        (s / KIB, "KiB")
    } else {
        (s, "B")
    };
    format!("{value:.1} {unit}")
}

fn debug_self(rdd: &dyn RddBase) -> Vec<String> {
    let m = rdd.meta();
    let level = m.storage_level();
    let persistence = if level.is_valid() { level.description() } else { String::new() };
    let mut lines = vec![format!("{} [{persistence}]", self_line(rdd))];
    // Spark lists storage only for RDDs that hold cached blocks (`getRDDStorageInfo` keeps `isCached` ones).
    let cached = level.is_valid().then(|| m.ctx.blocks.info(m.id)).filter(|info| info.cached_partitions > 0);
    if let Some(info) = cached {
        lines.push(format!(
            "    CachedPartitions: {}; MemorySize: {}; DiskSize: {}",
            info.cached_partitions,
            bytes_to_string(info.memory_size),
            bytes_to_string(info.disk_size)
        ));
    }
    lines
}

fn dependency_parent(d: &Dependency) -> (Arc<dyn RddBase>, bool) {
    match d {
        Dependency::Narrow(p) => (Arc::clone(p), false),
        Dependency::Shuffle(s) => (s.parent(), true),
    }
}

fn debug_children(rdd: &dyn RddBase, prefix: &str, out: &mut Vec<String>) {
    let deps = rdd.dependencies();
    let last = deps.len().saturating_sub(1);
    for (i, d) in deps.iter().enumerate() {
        let (parent, is_shuffle) = dependency_parent(d);
        debug_string(parent.as_ref(), prefix, is_shuffle, i == last, out);
    }
}

fn debug_string(rdd: &dyn RddBase, prefix: &str, is_shuffle: bool, is_last_child: bool, out: &mut Vec<String>) {
    if !is_shuffle {
        out.extend(debug_self(rdd).into_iter().map(|l| format!("{prefix}{l}")));
        debug_children(rdd, prefix, out);
        return;
    }
    let partition_str = format!("({})", rdd.num_partitions());
    let left = (partition_str.len() - 1) / 2;
    let this_prefix = prefix.trim_end().strip_suffix('|').unwrap_or(prefix.trim_end()).to_string();
    let next_prefix = format!(
        "{this_prefix}{}{}|{}",
        if is_last_child { "  " } else { "| " },
        " ".repeat(left),
        " ".repeat(partition_str.len() - left)
    );
    for (i, line) in debug_self(rdd).into_iter().enumerate() {
        out.push(if i == 0 {
            format!("{this_prefix}+-{partition_str} {line}")
        } else {
            format!("{next_prefix}{line}")
        });
    }
    debug_children(rdd, &next_prefix, out);
}

/// Spark's `RDD.toDebugString`: the lineage, one node a line, stages indented at each shuffle.
pub(crate) fn to_debug_string(rdd: &dyn RddBase) -> String {
    let partition_str = format!("({})", rdd.num_partitions());
    let left = (partition_str.len() - 1) / 2;
    let next_prefix = format!("{}|{}", " ".repeat(left), " ".repeat(partition_str.len() - left));
    let mut out = Vec::new();
    for (i, line) in debug_self(rdd).into_iter().enumerate() {
        out.push(if i == 0 { format!("{partition_str} {line}") } else { format!("{next_prefix} {line}") });
    }
    debug_children(rdd, &next_prefix, &mut out);
    out.join("\n")
}

impl Session {
    /// Distributes a local collection into `num_slices` partitions (Spark's `sc.parallelize`), slicing it as Spark
    /// does: partition `i` holds elements `i*n/k .. (i+1)*n/k`.
    #[track_caller]
    pub fn parallelize<T: Data>(&self, data: Vec<T>, num_slices: usize) -> Rdd<T> {
        let meta = RddMeta::new(&self.ctx, "ParallelCollectionRDD", "parallelize", Location::caller());
        self.rdd_from(ParallelCollection::new(meta, data, num_slices.max(1)))
    }

    /// `parallelize` with [`default_parallelism`](Session::default_parallelism) slices.
    #[track_caller]
    pub fn parallelize_default<T: Data>(&self, data: Vec<T>) -> Rdd<T> {
        let meta = RddMeta::new(&self.ctx, "ParallelCollectionRDD", "parallelize", Location::caller());
        self.rdd_from(ParallelCollection::new(meta, data, self.default_parallelism()))
    }

    /// The integers `start, start+step, …` below `end` (above it when `step` is negative), in `num_slices`
    /// partitions (Spark's `sc.range`). Nothing is materialized.
    #[track_caller]
    pub fn range(&self, start: i64, end: i64, step: i64, num_slices: usize) -> Result<Rdd<i64>> {
        if step == 0 {
            return Err(Error::param("step", "must not be 0"));
        }
        let meta = RddMeta::new(&self.ctx, "ParallelCollectionRDD", "range", Location::caller());
        Ok(self.rdd_from(RangeRdd::new(meta, start, end, step, num_slices.max(1))))
    }

    /// An RDD with no elements and no partitions.
    #[track_caller]
    pub fn empty_rdd<T: Data>(&self) -> Rdd<T> {
        let meta = RddMeta::new(&self.ctx, "EmptyRDD", "empty_rdd", Location::caller());
        self.rdd_from(ParallelCollection::new(meta, Vec::new(), 0))
    }

    /// The union of several RDDs (Spark's `sc.union`).
    #[track_caller]
    pub fn union<T: Data>(&self, rdds: &[Rdd<T>]) -> Rdd<T> {
        let meta = RddMeta::new(&self.ctx, "UnionRDD", "union", Location::caller());
        self.rdd_from(Union::new(meta, rdds.iter().map(|r| Arc::clone(&r.node)).collect()))
    }

    pub(crate) fn rdd_from<T: Data>(&self, node: impl RddCompute<T>) -> Rdd<T> {
        Rdd { node: Arc::new(node), session: self.clone() }
    }
}

type PartitionFn<T, U> = dyn Fn(usize, BoxIter<T>) -> BoxIter<U> + Send + Sync;
type SliceFn<T, U> = dyn Fn(usize, &[T]) -> BoxIter<U> + Send + Sync;

impl<T: Data> Rdd<T> {
    pub(crate) fn context(&self) -> &crate::opaque::Opaque<SessionContext> {
        &self.session.ctx
    }

    pub(crate) fn meta_here(&self, class: &'static str, op: &'static str, site: &Location<'_>) -> RddMeta {
        RddMeta::new(self.context(), class, op, site)
    }

    /// A node computing each partition from the parent's with `f` — the building block of most transformations.
    pub(crate) fn map_partitions_node<U: Data>(
        &self,
        op: &'static str,
        site: &Location<'_>,
        preserves_partitioning: bool,
        f: Arc<PartitionFn<T, U>>,
    ) -> Rdd<U> {
        let meta = self.meta_here("MapPartitionsRDD", op, site);
        let node = MapPartitions::new(meta, Arc::clone(&self.node), PartitionBody::Iter(f), preserves_partitioning);
        self.session.rdd_from(node)
    }

    /// A node applying an element-wise step to each record of the parent.
    pub(crate) fn step_node<U: Data>(
        &self,
        op: &'static str,
        site: &Location<'_>,
        preserves_partitioning: bool,
        step: impl Step<T, U>,
    ) -> Rdd<U> {
        let meta = self.meta_here("MapPartitionsRDD", op, site);
        let body = PartitionBody::Each(Arc::new(step));
        self.session.rdd_from(MapPartitions::new(meta, Arc::clone(&self.node), body, preserves_partitioning))
    }

    /// The session this RDD belongs to.
    pub fn session(&self) -> &Session {
        &self.session
    }

    /// Session-wide id of this RDD.
    pub fn id(&self) -> usize {
        self.node.meta().id
    }

    /// Number of partitions.
    pub fn num_partitions(&self) -> usize {
        self.node.num_partitions()
    }

    /// Gives the RDD a name, shown in its lineage.
    pub fn set_name(&self, name: impl Into<String>) -> &Self {
        *self.node.meta().name.lock().unwrap_or_else(|e| e.into_inner()) = Some(name.into());
        self
    }

    /// The name given with [`set_name`](Rdd::set_name).
    pub fn name(&self) -> Option<String> {
        self.node.meta().name.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// The lineage, as Spark's `toDebugString` prints it: `(N)` partitions, `+-` at each shuffle boundary.
    pub fn to_debug_string(&self) -> String {
        to_debug_string(&*self.node)
    }

    // ---- persistence ----

    /// Keeps computed partitions at `level` (Spark's `persist`). Lazy: partitions are stored as the next action
    /// computes them. Changing an already assigned level is an error, as in Spark.
    pub fn persist(&self, level: StorageLevel) -> Result<Self> {
        let meta = self.node.meta();
        let mut current = meta.storage.lock().unwrap_or_else(|e| e.into_inner());
        if current.is_valid() && *current != level {
            return Err(Error::StorageLevelChange {
                rdd: meta.id,
                from: current.description(),
                to: level.description(),
            });
        }
        *current = level;
        Ok(self.clone())
    }

    /// `persist(StorageLevel::MEMORY_ONLY)`.
    pub fn cache(&self) -> Self {
        // MEMORY_ONLY only conflicts with another level already set; keep that one, as re-caching is harmless.
        self.persist(StorageLevel::MEMORY_ONLY).unwrap_or_else(|_| self.clone())
    }

    /// Drops the stored partitions and forgets the storage level.
    pub fn unpersist(&self) -> Self {
        let meta = self.node.meta();
        *meta.storage.lock().unwrap_or_else(|e| e.into_inner()) = StorageLevel::NONE;
        meta.ctx.blocks.remove_rdd(meta.id);
        self.clone()
    }

    /// The storage level assigned with `persist`/`cache`.
    pub fn storage_level(&self) -> StorageLevel {
        self.node.meta().storage_level()
    }

    /// Partitions of this RDD currently held in memory (for tests and the UI).
    pub fn cached_memory_partitions(&self) -> Vec<usize> {
        let mut v = self.context().blocks.memory_blocks(self.id());
        v.sort_unstable();
        v
    }

    /// Evicts this RDD's in-memory blocks as memory pressure would (to disk where the level allows, otherwise
    /// dropped, to be recomputed from lineage).
    pub fn evict_cached(&self) -> Result<()> {
        for split in self.context().blocks.memory_blocks(self.id()) {
            self.context().blocks.evict((self.id(), split))?;
        }
        Ok(())
    }

    // ---- transformations ----

    /// Applies `f` to every element.
    #[track_caller]
    pub fn map<U: Data>(&self, f: impl Fn(T) -> U + Send + Sync + 'static) -> Rdd<U> {
        self.step_node("map", Location::caller(), false, MapStep(f))
    }

    /// Applies `f` to every element and flattens the results.
    #[track_caller]
    pub fn flat_map<U: Data, I>(&self, f: impl Fn(T) -> I + Send + Sync + 'static) -> Rdd<U>
    where
        I: IntoIterator<Item = U> + 'static,
        I::IntoIter: Send + 'static,
    {
        self.step_node("flat_map", Location::caller(), false, FlatMapStep(f))
    }

    /// Keeps the elements for which `f` is true.
    #[track_caller]
    pub fn filter(&self, f: impl Fn(&T) -> bool + Send + Sync + 'static) -> Rdd<T> {
        self.step_node("filter", Location::caller(), true, FilterStep(f))
    }

    /// Transforms each partition as a whole: `f` gets an iterator over the partition's elements.
    #[track_caller]
    pub fn map_partitions<U: Data, I>(&self, f: impl Fn(BoxIter<T>) -> I + Send + Sync + 'static) -> Rdd<U>
    where
        I: IntoIterator<Item = U> + 'static,
        I::IntoIter: Send + 'static,
    {
        self.map_partitions_node(
            "map_partitions",
            Location::caller(),
            false,
            Arc::new(move |_, it| Box::new(f(it).into_iter())),
        )
    }

    /// Like [`map_partitions`](Rdd::map_partitions), with the partition's index.
    #[track_caller]
    pub fn map_partitions_with_index<U: Data, I>(
        &self,
        f: impl Fn(usize, BoxIter<T>) -> I + Send + Sync + 'static,
    ) -> Rdd<U>
    where
        I: IntoIterator<Item = U> + 'static,
        I::IntoIter: Send + 'static,
    {
        self.map_partitions_node(
            "map_partitions_with_index",
            Location::caller(),
            false,
            Arc::new(move |i, it| Box::new(f(i, it).into_iter())),
        )
    }

    /// Like [`map_partitions_with_index`](Rdd::map_partitions_with_index), with the partition lent as one slice
    /// instead of an iterator of owned elements. A persisted partition held in memory is lent straight from the
    /// block store, so kernels that read a whole partition (building a matrix from vectors, vectorised scans)
    /// copy no element; Spark needs no such method, as its iterators over cached blocks hand out references.
    ///
    /// ```
    /// # use flint_engine::prelude::*;
    /// # let session = Session::builder().master("local[2]").get_or_create()?;
    /// let rdd = session.parallelize(vec![vec![1.0, 2.0], vec![3.0, 4.0], vec![5.0, 6.0]], 2).cache();
    /// let sums = rdd.map_partitions_slice(|_, rows| std::iter::once(rows.iter().flatten().sum::<f64>()));
    /// assert_eq!(sums.collect()?, vec![3.0, 18.0]);
    /// # Ok::<(), flint_engine::Error>(())
    /// ```
    #[track_caller]
    pub fn map_partitions_slice<U: Data, I>(&self, f: impl Fn(usize, &[T]) -> I + Send + Sync + 'static) -> Rdd<U>
    where
        I: IntoIterator<Item = U> + 'static,
        I::IntoIter: Send + 'static,
    {
        let meta = self.meta_here("MapPartitionsRDD", "map_partitions_slice", Location::caller());
        let f: Arc<SliceFn<T, U>> = Arc::new(move |i, values| Box::new(f(i, values).into_iter()));
        self.session.rdd_from(MapPartitions::new(meta, Arc::clone(&self.node), PartitionBody::Slice(f), false))
    }

    /// Each partition as one vector.
    #[track_caller]
    pub fn glom(&self) -> Rdd<Vec<T>> {
        self.map_partitions_node(
            "glom",
            Location::caller(),
            false,
            Arc::new(|_, it| Box::new(std::iter::once(it.collect::<Vec<T>>()))),
        )
    }

    /// Pairs each element with the key `f` computes: `(f(x), x)`.
    #[track_caller]
    pub fn key_by<K: Data>(&self, f: impl Fn(&T) -> K + Send + Sync + 'static) -> Rdd<(K, T)> {
        self.step_node("key_by", Location::caller(), false, MapStep(move |x| (f(&x), x)))
    }

    /// The elements of both RDDs (duplicates kept); partitions are concatenated.
    #[track_caller]
    pub fn union(&self, other: &Rdd<T>) -> Rdd<T> {
        let meta = self.meta_here("UnionRDD", "union", Location::caller());
        self.session.rdd_from(Union::new(meta, vec![Arc::clone(&self.node), Arc::clone(&other.node)]))
    }

    /// Every pair `(a, b)` with `a` from this RDD and `b` from `other`.
    #[track_caller]
    pub fn cartesian<U: Data>(&self, other: &Rdd<U>) -> Rdd<(T, U)> {
        let meta = self.meta_here("CartesianRDD", "cartesian", Location::caller());
        self.session.rdd_from(Cartesian::new(meta, Arc::clone(&self.node), Arc::clone(&other.node)))
    }

    /// Pairs the i-th elements of two RDDs. Both must have the same number of partitions and the same number of
    /// elements in each partition (checked when the partition is computed), as in Spark.
    #[track_caller]
    pub fn zip<U: Data>(&self, other: &Rdd<U>) -> Result<Rdd<(T, U)>> {
        if self.num_partitions() != other.num_partitions() {
            return Err(Error::Incompatible(format!(
                "can only zip RDDs with the same number of partitions: {} and {}",
                self.num_partitions(),
                other.num_partitions()
            )));
        }
        let meta = self.meta_here("ZippedPartitionsRDD2", "zip", Location::caller());
        Ok(self.session.rdd_from(Zip::new(meta, Arc::clone(&self.node), Arc::clone(&other.node))))
    }

    /// Reduces to `num_partitions` partitions without a shuffle by merging neighbouring partitions (Spark's
    /// `coalesce(n, shuffle = false)`); asking for more partitions than there are keeps the current count.
    #[track_caller]
    pub fn coalesce(&self, num_partitions: usize) -> Rdd<T> {
        let meta = self.meta_here("CoalescedRDD", "coalesce", Location::caller());
        self.session.rdd_from(Coalesced::new(meta, Arc::clone(&self.node), num_partitions.max(1)))
    }

    /// Redistributes the elements evenly over `num_partitions` partitions with a shuffle (Spark's `repartition`).
    #[track_caller]
    pub fn repartition(&self, num_partitions: usize) -> Rdd<T> {
        let site = Location::caller();
        let n = num_partitions.max(1);
        // Spark deals elements round-robin from a start position derived from the partition index.
        let keyed: Rdd<(usize, T)> = self.map_partitions_node(
            "repartition",
            site,
            false,
            Arc::new(move |index, it| {
                let start = crate::partitioner::hash_to_partition(crate::partitioner::hash_key(&index), n);
                Box::new(it.enumerate().map(move |(i, x)| ((start + i) % n, x)))
            }),
        );
        let shuffled = keyed.shuffle_identity(crate::shuffle::ShuffleKind::Direct(n), "repartition", site);
        shuffled.step_node("repartition", site, false, MapStep(|(_, x)| x))
    }

    /// Indexes the elements in order: partition by partition, `0..count`. Runs a job to count the partitions
    /// first when there is more than one, as Spark does.
    #[track_caller]
    pub fn zip_with_index(&self) -> Result<Rdd<(T, u64)>> {
        let site = Location::caller();
        let counts: Vec<u64> = if self.num_partitions() > 1 {
            let parts: Vec<usize> = (0..self.num_partitions() - 1).collect();
            crate::scheduler::run_job(self, &parts, "zip_with_index", site, |it, _| Ok(it.count() as u64))?
        } else {
            Vec::new()
        };
        let starts: Arc<Vec<u64>> = Arc::new(
            std::iter::once(0)
                .chain(counts.iter().scan(0u64, |acc, c| {
                    *acc += c;
                    Some(*acc)
                }))
                .collect(),
        );
        Ok(self.map_partitions_node(
            "zip_with_index",
            site,
            false,
            Arc::new(move |index, it| {
                let start = starts.get(index).copied().unwrap_or(0);
                Box::new(it.zip(start..))
            }),
        ))
    }

    /// Gives each element a unique id: partition `k` of `n` uses `k, k+n, k+2n, …` (no job needed).
    #[track_caller]
    pub fn zip_with_unique_id(&self) -> Rdd<(T, u64)> {
        let n = self.num_partitions() as u64;
        self.map_partitions_node(
            "zip_with_unique_id",
            Location::caller(),
            false,
            Arc::new(move |index, it| Box::new(it.enumerate().map(move |(i, x)| (x, i as u64 * n + index as u64)))),
        )
    }

    /// The distinct elements, with a shuffle into as many partitions as this RDD has.
    #[track_caller]
    pub fn distinct(&self) -> Rdd<T>
    where
        T: Hash + Eq,
    {
        self.distinct_with_partitions_at(self.num_partitions(), Location::caller())
    }

    /// The distinct elements, shuffled into `num_partitions` partitions.
    #[track_caller]
    pub fn distinct_with_partitions(&self, num_partitions: usize) -> Rdd<T>
    where
        T: Hash + Eq,
    {
        self.distinct_with_partitions_at(num_partitions, Location::caller())
    }

    fn distinct_with_partitions_at(&self, num_partitions: usize, site: &'static Location<'static>) -> Rdd<T>
    where
        T: Hash + Eq,
    {
        let pairs = self.step_node("distinct", site, false, MapStep(|x| (x, ())));
        let reduced = pairs.combine_by_key_at(
            |v| v,
            |_, _| (),
            Arc::new(|_, _| ()),
            false,
            crate::shuffle::ShuffleKind::Hash(num_partitions.max(1)),
            "distinct",
            site,
        );
        reduced.step_node("distinct", site, false, MapStep(|(k, _)| k))
    }

    /// A random sample: each element kept with probability `fraction` (without replacement), or repeated a
    /// Poisson(`fraction`) number of times (with replacement). The same seed gives the same sample.
    #[track_caller]
    pub fn sample(&self, with_replacement: bool, fraction: f64, seed: u64) -> Result<Rdd<T>> {
        sampling::check_fraction(with_replacement, fraction)?;
        Ok(self.map_partitions_node(
            "sample",
            Location::caller(),
            true,
            Arc::new(move |index, it| sampling::sample_iter(it, with_replacement, fraction, seed, index)),
        ))
    }

    /// Splits the RDD randomly with the given weights (normalised), e.g. `[0.8, 0.2]`.
    #[track_caller]
    pub fn random_split(&self, weights: &[f64], seed: u64) -> Result<Vec<Rdd<T>>> {
        let bounds = sampling::split_bounds(weights)?;
        let site = Location::caller();
        Ok(bounds
            .windows(2)
            .map(|w| {
                let (lo, hi) = (w[0], w[1]);
                self.map_partitions_node(
                    "random_split",
                    site,
                    true,
                    Arc::new(move |index, it| sampling::range_sample(it, lo, hi, seed, index)),
                )
            })
            .collect())
    }

    /// Elements present in both RDDs, without duplicates.
    #[track_caller]
    pub fn intersection(&self, other: &Rdd<T>) -> Rdd<T>
    where
        T: Hash + Eq,
    {
        let site = Location::caller();
        let a = self.step_node("intersection", site, false, MapStep(|x| (x, ())));
        let b = other.step_node("intersection", site, false, MapStep(|x| (x, ())));
        let n = self.num_partitions().max(other.num_partitions());
        a.cogroup_at(&b, n, "intersection", site).map_partitions_node(
            "intersection",
            site,
            false,
            Arc::new(|_, it| Box::new(it.filter(|(_, (l, r))| !l.is_empty() && !r.is_empty()).map(|(k, _)| k))),
        )
    }

    /// Elements of this RDD not present in `other` (duplicates of this RDD kept).
    #[track_caller]
    pub fn subtract(&self, other: &Rdd<T>) -> Rdd<T>
    where
        T: Hash + Eq,
    {
        let site = Location::caller();
        let a = self.step_node("subtract", site, false, MapStep(|x| (x, ())));
        let b = other.step_node("subtract", site, false, MapStep(|x| (x, ())));
        a.subtract_by_key_at(&b, self.num_partitions(), "subtract", site).step_node(
            "subtract",
            site,
            false,
            MapStep(|(k, _)| k),
        )
    }

    /// Sorts by the key `f` computes, range-partitioned into as many partitions as this RDD has.
    #[track_caller]
    pub fn sort_by<K: Data + Ord + Hash + Eq>(
        &self,
        f: impl Fn(&T) -> K + Send + Sync + 'static,
        ascending: bool,
    ) -> Rdd<T> {
        self.sort_by_with_partitions_at(f, ascending, self.num_partitions(), Location::caller())
    }

    /// [`sort_by`](Rdd::sort_by) into `num_partitions` partitions.
    #[track_caller]
    pub fn sort_by_with_partitions<K: Data + Ord + Hash + Eq>(
        &self,
        f: impl Fn(&T) -> K + Send + Sync + 'static,
        ascending: bool,
        num_partitions: usize,
    ) -> Rdd<T> {
        self.sort_by_with_partitions_at(f, ascending, num_partitions, Location::caller())
    }

    fn sort_by_with_partitions_at<K: Data + Ord + Hash + Eq>(
        &self,
        f: impl Fn(&T) -> K + Send + Sync + 'static,
        ascending: bool,
        num_partitions: usize,
        site: &'static Location<'static>,
    ) -> Rdd<T> {
        let keyed = self.step_node("sort_by", site, false, MapStep(move |x| (f(&x), x)));
        keyed.sort_by_key_at(ascending, num_partitions, "sort_by", site).step_node(
            "sort_by",
            site,
            true,
            MapStep(|(_, v)| v),
        )
    }
}

/// The notebook form of an RDD: its lineage, as [`to_debug_string`](Rdd::to_debug_string) prints it. Nothing runs.
impl<T: Data> crate::notebook::NotebookDisplay for Rdd<T> {
    fn mime_bundle(&self) -> Vec<(&'static str, String)> {
        crate::notebook::preformatted(self.to_debug_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_to_string_matches_spark() {
        assert_eq!(bytes_to_string(100), "100.0 B");
        assert_eq!(bytes_to_string(4096), "4.0 KiB");
        assert_eq!(bytes_to_string(3 << 20), "3.0 MiB");
    }
}
