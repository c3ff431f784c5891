//! Operations on RDDs of key-value pairs (Spark's `PairRDDFunctions`).
//!
//! Keys must hash and compare (`Hash + Eq`), as Spark's keys rely on `hashCode`/`equals`; sorting also needs
//! `Ord`. When an RDD is already hash-partitioned the way an operation needs (after `partition_by`, or as the
//! output of `reduce_by_key`), the operation runs without a shuffle, as in Spark.

use super::nodes::{FlatMapStep, MapStep};
use super::{BoxIter, Data, Dependency, Rdd, RddBase, RddCompute, RddMeta, iterator};
use crate::error::Result;
use crate::partitioner::{
    HashPartitioner, Partitioner, PartitioningKey, RangePartitioner, hash_key, hash_to_partition,
};
use crate::scheduler::{TaskContext, run_job};
use crate::shuffle::{
    KeyCmp, MapSide, PartitionOf, PrepareFn, PreparedDependency, ReduceSide, ShuffleDep, ShuffleDependency,
    ShuffleKind, ShuffledRdd, aggregate, hash_partition_fn, range_prepare,
};
use rustc_hash::FxHashMap;
use std::hash::Hash;
use std::panic::Location;
use std::sync::Arc;

/// Builds the range-bounds sampling step for one RDD.
type PrepareFactory<K, V> = Box<dyn FnOnce(&Rdd<(K, V)>) -> PrepareFn>;
type F2<A, B, C> = Arc<dyn Fn(A, B) -> C + Send + Sync>;
/// A cogroup's values per key: those of the left RDD and those of the right.
pub type Groups<V, W> = (Vec<V>, Vec<W>);
/// A full outer join's value: either side may be missing.
pub type OuterPair<V, W> = (Option<V>, Option<W>);

/// How to place keys for `partition_by`: a [`HashPartitioner`] or a [`RangePartitioner`] (or a [`Partitioner`]).
pub trait KeyPartitioner<K: Data>: Sized {
    #[doc(hidden)]
    fn into_plan<V: Data>(self) -> PartitionPlan<K, V>;
}

/// A partitioner resolved for one pair type (opaque).
#[doc(hidden)]
pub struct PartitionPlan<K: Data, V: Data> {
    kind: ShuffleKind<K>,
    partition_of: PartitionOf<K>,
    partitioning: PartitioningKey,
    /// Range partitioners sample their input before the map stage.
    prepare: Option<PrepareFactory<K, V>>,
}

impl<K: Data, V: Data> std::fmt::Debug for PartitionPlan<K, V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PartitionPlan({:?})", self.partitioning)
    }
}

impl<K: Data + Hash> KeyPartitioner<K> for HashPartitioner {
    fn into_plan<V: Data>(self) -> PartitionPlan<K, V> {
        let n = self.num_partitions();
        PartitionPlan {
            kind: ShuffleKind::Hash(n),
            partition_of: hash_partition_fn(n),
            partitioning: PartitioningKey::Hash(n),
            prepare: None,
        }
    }
}

fn range_fn<K: Ord + Send + Sync + 'static>(r: &RangePartitioner<K>) -> PartitionOf<K> {
    let r = r.clone();
    Arc::new(move |k: &K| r.get_partition(k))
}

impl<K: Data + Ord> KeyPartitioner<K> for RangePartitioner<K> {
    fn into_plan<V: Data>(self) -> PartitionPlan<K, V> {
        let n = self.num_partitions();
        let range = self.clone();
        PartitionPlan {
            kind: ShuffleKind::Range(self.clone()),
            partition_of: range_fn(&self),
            partitioning: PartitioningKey::Range(n),
            prepare: Some(Box::new(move |rdd: &Rdd<(K, V)>| range_prepare(rdd, &range))),
        }
    }
}

impl<K: Data + Ord + Hash> KeyPartitioner<K> for Partitioner<K> {
    fn into_plan<V: Data>(self) -> PartitionPlan<K, V> {
        match self {
            Partitioner::Hash(h) => h.into_plan(),
            Partitioner::Range(r) => r.into_plan(),
        }
    }
}

/// The two sides of a cogroup, tagged.
enum Side<V, W> {
    Left(V),
    Right(W),
}

/// Where one side of a cogroup comes from: already placed (narrow) or through a shuffle.
enum CoSide<K: Data, X: Data> {
    Narrow(Arc<dyn RddCompute<(K, X)>>),
    Shuffled(Arc<PreparedDependency<K, X, X>>),
}

impl<K: Data + Hash + Eq, X: Data> CoSide<K, X> {
    fn of(rdd: &Rdd<(K, X)>, n: usize) -> Self {
        if rdd.node.partitioning() == Some(PartitioningKey::Hash(n)) {
            CoSide::Narrow(Arc::clone(&rdd.node))
        } else {
            let dep = ShuffleDependency::new(
                rdd,
                ShuffleKind::Hash(n),
                hash_partition_fn(n),
                MapSide::Convert(Arc::new(|v| v)),
            );
            CoSide::Shuffled(Arc::new(PreparedDependency { dep, prepare: None }))
        }
    }

    fn dependency(&self) -> Dependency {
        match self {
            CoSide::Narrow(p) => Dependency::Narrow(p.clone()),
            CoSide::Shuffled(d) => Dependency::Shuffle(d.clone()),
        }
    }

    fn read(&self, split: usize, tc: &TaskContext) -> Result<BoxIter<(K, X)>> {
        match self {
            CoSide::Narrow(p) => iterator(p, split, tc),
            CoSide::Shuffled(d) => crate::shuffle::read::<K, X>(tc.session(), d.shuffle_id(), split, tc),
        }
    }
}

/// Spark's `CoGroupedRDD` for two parents.
struct CoGrouped<K: Data, V: Data, W: Data> {
    meta: RddMeta,
    left: CoSide<K, V>,
    right: CoSide<K, W>,
    partitions: usize,
}

impl<K: Data + Hash + Eq, V: Data, W: Data> RddBase for CoGrouped<K, V, W> {
    fn meta(&self) -> &RddMeta {
        &self.meta
    }
    fn num_partitions(&self) -> usize {
        self.partitions
    }
    fn dependencies(&self) -> Vec<Dependency> {
        vec![self.left.dependency(), self.right.dependency()]
    }
    fn partitioning(&self) -> Option<PartitioningKey> {
        Some(PartitioningKey::Hash(self.partitions))
    }
}

impl<K: Data + Hash + Eq, V: Data, W: Data> RddCompute<(K, Groups<V, W>)> for CoGrouped<K, V, W> {
    fn compute(&self, split: usize, tc: &TaskContext) -> Result<BoxIter<(K, Groups<V, W>)>> {
        let left = self.left.read(split, tc)?.map(|(k, v)| (k, Side::Left(v)));
        let right = self.right.read(split, tc)?.map(|(k, w)| (k, Side::Right(w)));
        let add = |mut g: Groups<V, W>, s: Side<V, W>| {
            match s {
                Side::Left(v) => g.0.push(v),
                Side::Right(w) => g.1.push(w),
            }
            g
        };
        let merge: F2<Groups<V, W>, Groups<V, W>, Groups<V, W>> = Arc::new(|mut a, b| {
            a.0.extend(b.0);
            a.1.extend(b.1);
            a
        });
        aggregate(left.chain(right), &|s| add((Vec::new(), Vec::new()), s), &add, &merge, tc)
    }
}

/// Spark's `defaultPartitioner` for the given parents: an existing hash partitioning wins, else the largest
/// partition count (Spark in local mode leaves `spark.default.parallelism` unset).
fn default_partitions(parents: &[&dyn RddBase]) -> usize {
    parents
        .iter()
        .filter_map(|p| match p.partitioning() {
            Some(PartitioningKey::Hash(n)) => Some(n),
            _ => None,
        })
        .max()
        .unwrap_or_else(|| parents.iter().map(|p| p.num_partitions()).max().unwrap_or(1))
        .max(1)
}

/// Spark's `RangePartitioner` sketch: a reservoir sample of keys per partition, weighted by partition size.
pub(crate) fn sample_keys_for_bounds<K: Data + Ord, V: Data>(
    rdd: &Rdd<(K, V)>,
    partitions: usize,
) -> Result<Vec<(K, f64)>> {
    use rand::{Rng, SeedableRng};
    let sample_size = (20.0 * partitions as f64).min(1e6);
    let per_partition = (3.0 * sample_size / rdd.num_partitions().max(1) as f64).ceil() as usize;
    let all: Vec<usize> = (0..rdd.num_partitions()).collect();
    let samples = run_job(rdd, &all, "sort_by_key (range bounds)", Location::caller(), move |it, tc| {
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(hash_key(&tc.partition_id()));
        let mut reservoir: Vec<K> = Vec::with_capacity(per_partition);
        let mut seen = 0usize;
        for (k, _) in it {
            seen += 1;
            if reservoir.len() < per_partition {
                reservoir.push(k);
            } else {
                let j = rng.gen_range(0..seen);
                if j < per_partition {
                    reservoir[j] = k;
                }
            }
        }
        Ok((seen, reservoir))
    })?;
    Ok(samples
        .into_iter()
        .flat_map(|(seen, keys)| {
            let weight = if keys.is_empty() { 0.0 } else { seen as f64 / keys.len() as f64 };
            keys.into_iter().map(move |k| (k, weight))
        })
        .collect())
}

impl<K: Data + Hash + Eq, V: Data> Rdd<(K, V)> {
    /// Applies `f` to each value, keeping keys (and partitioning).
    #[track_caller]
    pub fn map_values<U: Data>(&self, f: impl Fn(V) -> U + Send + Sync + 'static) -> Rdd<(K, U)> {
        self.step_node("map_values", Location::caller(), true, MapStep(move |(k, v)| (k, f(v))))
    }

    /// Applies `f` to each value and flattens, keeping keys (and partitioning).
    #[track_caller]
    pub fn flat_map_values<U: Data, I>(&self, f: impl Fn(V) -> I + Send + Sync + 'static) -> Rdd<(K, U)>
    where
        I: IntoIterator<Item = U> + 'static,
        I::IntoIter: Send + 'static,
    {
        self.flat_map_values_at("flat_map_values", Location::caller(), f)
    }

    /// The keys.
    #[track_caller]
    pub fn keys(&self) -> Rdd<K> {
        self.step_node("keys", Location::caller(), false, MapStep(|(k, _)| k))
    }

    /// The values.
    #[track_caller]
    pub fn values(&self) -> Rdd<V> {
        self.step_node("values", Location::caller(), false, MapStep(|(_, v)| v))
    }

    /// The generic per-key aggregation all others are built on (Spark's `combineByKeyWithClassTag`), with a
    /// map-side combine; no shuffle when the data is already hash-partitioned into `n` partitions.
    /// `create_per_partition`: Spark applies `create` (or the zero value) once per key and map partition, so the
    /// map tasks must not run in pieces (see [`MapSide::Combine`]).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn combine_by_key_at<C: Data>(
        &self,
        create: impl Fn(V) -> C + Send + Sync + 'static,
        merge_value: impl Fn(C, V) -> C + Send + Sync + 'static,
        merge_combiners: F2<C, C, C>,
        create_per_partition: bool,
        kind: ShuffleKind<K>,
        op: &'static str,
        site: &Location<'_>,
    ) -> Rdd<(K, C)> {
        let n = kind.num_partitions();
        if matches!(kind, ShuffleKind::Hash(_)) && self.node.partitioning() == Some(PartitioningKey::Hash(n)) {
            let (create, merge_value) = (Arc::new(create), Arc::new(merge_value));
            return self.map_partitions_node(
                op,
                site,
                true,
                Arc::new(move |_, it| {
                    let (create, merge_value, merge_combiners) =
                        (create.clone(), merge_value.clone(), merge_combiners.clone());
                    match crate::scheduler::TaskContext::get() {
                        Some(tc) => match aggregate(it, create.as_ref(), merge_value.as_ref(), &merge_combiners, &tc) {
                            Ok(out) => out,
                            Err(e) => {
                                tc.fail(e);
                                Box::new(std::iter::empty())
                            }
                        },
                        None => Box::new(std::iter::empty()),
                    }
                }),
            );
        }
        let dep = ShuffleDependency::new(
            self,
            kind,
            hash_partition_fn(n),
            MapSide::combine(create, merge_value, !create_per_partition),
        );
        let merge = Arc::clone(&merge_combiners);
        let reduce = ReduceSide::Aggregate {
            create: Arc::new(|c| c),
            merge: Arc::new(move |a, b| merge(a, b)),
            merge_combiners,
        };
        self.shuffled(PreparedDependency { dep, prepare: None }, reduce, Some(PartitioningKey::Hash(n)), op, site)
    }

    /// Merges the values of each key with an associative and commutative `f`, combining map-side first.
    #[track_caller]
    pub fn reduce_by_key(&self, f: impl Fn(V, V) -> V + Send + Sync + 'static) -> Rdd<(K, V)> {
        let n = default_partitions(&[&*self.node]);
        self.reduce_by_key_at(f, n, Location::caller())
    }

    /// [`reduce_by_key`](Rdd::reduce_by_key) into `num_partitions` partitions.
    #[track_caller]
    pub fn reduce_by_key_with_partitions(
        &self,
        f: impl Fn(V, V) -> V + Send + Sync + 'static,
        num_partitions: usize,
    ) -> Rdd<(K, V)> {
        self.reduce_by_key_at(f, num_partitions.max(1), Location::caller())
    }

    fn reduce_by_key_at(
        &self,
        f: impl Fn(V, V) -> V + Send + Sync + 'static,
        n: usize,
        site: &Location<'_>,
    ) -> Rdd<(K, V)> {
        let f = Arc::new(f);
        let merge = Arc::clone(&f);
        self.combine_by_key_at(|v| v, move |a, b| merge(a, b), f, false, ShuffleKind::Hash(n), "reduce_by_key", site)
    }

    /// Merges the values of each key starting from `zero`, applied once per key and partition as in Spark (and, as
    /// in Spark, again for a key met after the map-side combine spilled past its memory budget).
    #[track_caller]
    pub fn fold_by_key(&self, zero: V, f: impl Fn(V, V) -> V + Send + Sync + 'static) -> Rdd<(K, V)> {
        let n = default_partitions(&[&*self.node]);
        let f = Arc::new(f);
        let (g, merge) = (Arc::clone(&f), Arc::clone(&f));
        self.combine_by_key_at(
            move |v| g(zero.clone(), v),
            move |a, b| merge(a, b),
            f,
            true,
            ShuffleKind::Hash(n),
            "fold_by_key",
            Location::caller(),
        )
    }

    /// Aggregates each key's values into a `U`: `seq` folds values into an accumulator starting at `zero`,
    /// `comb` merges accumulators.
    #[track_caller]
    pub fn aggregate_by_key<U: Data>(
        &self,
        zero: U,
        seq: impl Fn(U, V) -> U + Send + Sync + 'static,
        comb: impl Fn(U, U) -> U + Send + Sync + 'static,
    ) -> Rdd<(K, U)> {
        let n = default_partitions(&[&*self.node]);
        let seq = Arc::new(seq);
        let s = Arc::clone(&seq);
        self.combine_by_key_at(
            move |v| s(zero.clone(), v),
            move |u, v| seq(u, v),
            Arc::new(comb),
            true,
            ShuffleKind::Hash(n),
            "aggregate_by_key",
            Location::caller(),
        )
    }

    /// Spark's `combineByKey`: `create` makes a combiner from a key's first value, `merge_value` adds a value,
    /// `merge_combiners` merges two combiners.
    #[track_caller]
    pub fn combine_by_key<C: Data>(
        &self,
        create: impl Fn(V) -> C + Send + Sync + 'static,
        merge_value: impl Fn(C, V) -> C + Send + Sync + 'static,
        merge_combiners: impl Fn(C, C) -> C + Send + Sync + 'static,
    ) -> Rdd<(K, C)> {
        let n = default_partitions(&[&*self.node]);
        self.combine_by_key_with_partitions_at(create, merge_value, merge_combiners, n, Location::caller())
    }

    /// [`combine_by_key`](Rdd::combine_by_key) into `num_partitions` partitions.
    #[track_caller]
    pub fn combine_by_key_with_partitions<C: Data>(
        &self,
        create: impl Fn(V) -> C + Send + Sync + 'static,
        merge_value: impl Fn(C, V) -> C + Send + Sync + 'static,
        merge_combiners: impl Fn(C, C) -> C + Send + Sync + 'static,
        num_partitions: usize,
    ) -> Rdd<(K, C)> {
        self.combine_by_key_with_partitions_at(
            create,
            merge_value,
            merge_combiners,
            num_partitions.max(1),
            Location::caller(),
        )
    }

    fn combine_by_key_with_partitions_at<C: Data>(
        &self,
        create: impl Fn(V) -> C + Send + Sync + 'static,
        merge_value: impl Fn(C, V) -> C + Send + Sync + 'static,
        merge_combiners: impl Fn(C, C) -> C + Send + Sync + 'static,
        n: usize,
        site: &Location<'_>,
    ) -> Rdd<(K, C)> {
        self.combine_by_key_at(
            create,
            merge_value,
            Arc::new(merge_combiners),
            true,
            ShuffleKind::Hash(n),
            "combine_by_key",
            site,
        )
    }

    /// Groups each key's values into a vector. No map-side combine (it would not shrink the data), as in Spark;
    /// prefer `reduce_by_key` or `aggregate_by_key` when the values are aggregated afterwards.
    #[track_caller]
    pub fn group_by_key(&self) -> Rdd<(K, Vec<V>)> {
        let n = default_partitions(&[&*self.node]);
        self.group_by_key_at(n, Location::caller())
    }

    /// [`group_by_key`](Rdd::group_by_key) into `num_partitions` partitions.
    #[track_caller]
    pub fn group_by_key_with_partitions(&self, num_partitions: usize) -> Rdd<(K, Vec<V>)> {
        self.group_by_key_at(num_partitions.max(1), Location::caller())
    }

    fn group_by_key_at(&self, n: usize, site: &Location<'_>) -> Rdd<(K, Vec<V>)> {
        let merge_combiners: F2<Vec<V>, Vec<V>, Vec<V>> = Arc::new(|mut a, b| {
            a.extend(b);
            a
        });
        if self.node.partitioning() == Some(PartitioningKey::Hash(n)) {
            return self.combine_by_key_at(
                |v| vec![v],
                |mut c: Vec<V>, v| {
                    c.push(v);
                    c
                },
                merge_combiners,
                false,
                ShuffleKind::Hash(n),
                "group_by_key",
                site,
            );
        }
        let dep =
            ShuffleDependency::new(self, ShuffleKind::Hash(n), hash_partition_fn(n), MapSide::Convert(Arc::new(|v| v)));
        let reduce = ReduceSide::Aggregate {
            create: Arc::new(|v| vec![v]),
            merge: Arc::new(|mut c: Vec<V>, v| {
                c.push(v);
                c
            }),
            merge_combiners,
        };
        self.shuffled(
            PreparedDependency { dep, prepare: None },
            reduce,
            Some(PartitioningKey::Hash(n)),
            "group_by_key",
            site,
        )
    }

    /// Places each key in the partition `partitioner` says (Spark's `partitionBy`); a no-op when the RDD is
    /// already hash-partitioned the same way.
    #[track_caller]
    pub fn partition_by(&self, partitioner: impl KeyPartitioner<K>) -> Rdd<(K, V)> {
        let plan = partitioner.into_plan::<V>();
        if matches!(plan.partitioning, PartitioningKey::Hash(_))
            && self.node.partitioning() == Some(plan.partitioning.clone())
        {
            return self.clone();
        }
        let prepare = plan.prepare.map(|make| make(self));
        self.shuffle_pass(
            plan.kind,
            plan.partition_of,
            prepare,
            Some(plan.partitioning),
            "partition_by",
            Location::caller(),
        )
    }

    /// A shuffle that moves records unchanged.
    pub(crate) fn shuffle_pass(
        &self,
        kind: ShuffleKind<K>,
        partition_of: PartitionOf<K>,
        prepare: Option<PrepareFn>,
        partitioning: Option<PartitioningKey>,
        op: &'static str,
        site: &Location<'_>,
    ) -> Rdd<(K, V)> {
        let dep = ShuffleDependency::new(self, kind, partition_of, MapSide::Convert(Arc::new(|v| v)));
        self.shuffled(PreparedDependency { dep, prepare }, ReduceSide::Pass(Arc::new(|v| v)), partitioning, op, site)
    }

    /// The reduce side of a shuffle: Spark's `ShuffledRDD` node.
    fn shuffled<C: Data, R: Data>(
        &self,
        dep: PreparedDependency<K, V, C>,
        reduce: ReduceSide<K, C, R>,
        partitioning: Option<PartitioningKey>,
        op: &'static str,
        site: &Location<'_>,
    ) -> Rdd<(K, R)> {
        let meta = self.meta_here("ShuffledRDD", op, site);
        self.session.rdd_from(ShuffledRdd::new(meta, dep, reduce, partitioning))
    }

    /// Groups both RDDs' values per key: `(key, (values here, values there))` for every key of either.
    #[track_caller]
    pub fn cogroup<W: Data>(&self, other: &Rdd<(K, W)>) -> Rdd<(K, Groups<V, W>)> {
        let n = default_partitions(&[&*self.node, &*other.node]);
        self.cogroup_at(other, n, "cogroup", Location::caller())
    }

    pub(crate) fn cogroup_at<W: Data>(
        &self,
        other: &Rdd<(K, W)>,
        n: usize,
        op: &'static str,
        site: &Location<'_>,
    ) -> Rdd<(K, Groups<V, W>)> {
        let meta = self.meta_here("CoGroupedRDD", op, site);
        self.session.rdd_from(CoGrouped { meta, left: CoSide::of(self, n), right: CoSide::of(other, n), partitions: n })
    }

    /// Inner join: `(k, (v, w))` for every pair of values sharing a key.
    #[track_caller]
    pub fn join<W: Data>(&self, other: &Rdd<(K, W)>) -> Rdd<(K, (V, W))> {
        let site = Location::caller();
        let n = default_partitions(&[&*self.node, &*other.node]);
        self.cogroup_at(other, n, "join", site).flat_map_values_at("join", site, |(vs, ws)| {
            let mut out = Vec::with_capacity(vs.len() * ws.len());
            for v in &vs {
                for w in &ws {
                    out.push((v.clone(), w.clone()));
                }
            }
            out
        })
    }

    /// Left outer join: every `(k, v)` of this RDD, with `Some(w)` for each match or `None`.
    #[track_caller]
    pub fn left_outer_join<W: Data>(&self, other: &Rdd<(K, W)>) -> Rdd<(K, (V, Option<W>))> {
        let site = Location::caller();
        let n = default_partitions(&[&*self.node, &*other.node]);
        self.cogroup_at(other, n, "left_outer_join", site).flat_map_values_at("left_outer_join", site, |(vs, ws)| {
            let ws: Vec<Option<W>> = if ws.is_empty() { vec![None] } else { ws.into_iter().map(Some).collect() };
            vs.into_iter().flat_map(|v| ws.iter().map(move |w| (v.clone(), w.clone()))).collect::<Vec<_>>()
        })
    }

    /// Right outer join: every `(k, w)` of `other`, with `Some(v)` for each match or `None`.
    #[track_caller]
    pub fn right_outer_join<W: Data>(&self, other: &Rdd<(K, W)>) -> Rdd<(K, (Option<V>, W))> {
        let site = Location::caller();
        let n = default_partitions(&[&*self.node, &*other.node]);
        self.cogroup_at(other, n, "right_outer_join", site).flat_map_values_at("right_outer_join", site, |(vs, ws)| {
            let vs: Vec<Option<V>> = if vs.is_empty() { vec![None] } else { vs.into_iter().map(Some).collect() };
            vs.into_iter().flat_map(|v| ws.iter().map(move |w| (v.clone(), w.clone()))).collect::<Vec<_>>()
        })
    }

    /// Full outer join: every key of either side, `None` where a side has no value.
    #[track_caller]
    pub fn full_outer_join<W: Data>(&self, other: &Rdd<(K, W)>) -> Rdd<(K, OuterPair<V, W>)> {
        let site = Location::caller();
        let n = default_partitions(&[&*self.node, &*other.node]);
        self.cogroup_at(other, n, "full_outer_join", site).flat_map_values_at("full_outer_join", site, |(vs, ws)| {
            let vs: Vec<Option<V>> = if vs.is_empty() { vec![None] } else { vs.into_iter().map(Some).collect() };
            let ws: Vec<Option<W>> = if ws.is_empty() { vec![None] } else { ws.into_iter().map(Some).collect() };
            vs.into_iter().flat_map(|v| ws.iter().map(move |w| (v.clone(), w.clone()))).collect::<Vec<_>>()
        })
    }

    /// The pairs of this RDD whose key does not appear in `other`.
    #[track_caller]
    pub fn subtract_by_key<W: Data>(&self, other: &Rdd<(K, W)>) -> Rdd<(K, V)> {
        self.subtract_by_key_at(other, self.num_partitions(), "subtract_by_key", Location::caller())
    }

    pub(crate) fn subtract_by_key_at<W: Data>(
        &self,
        other: &Rdd<(K, W)>,
        n: usize,
        op: &'static str,
        site: &Location<'_>,
    ) -> Rdd<(K, V)> {
        self.cogroup_at(other, n.max(1), op, site)
            .flat_map_values_at(op, site, |(vs, ws)| if ws.is_empty() { vs } else { Vec::new() })
    }

    fn flat_map_values_at<U: Data, I>(
        &self,
        op: &'static str,
        site: &Location<'_>,
        f: impl Fn(V) -> I + Send + Sync + 'static,
    ) -> Rdd<(K, U)>
    where
        I: IntoIterator<Item = U> + 'static,
        I::IntoIter: Send + 'static,
    {
        self.step_node(op, site, true, FlatMapStep(move |(k, v): (K, V)| f(v).into_iter().map(move |u| (k.clone(), u))))
    }

    // ---- actions on pairs ----

    /// The number of pairs per key, as a map.
    #[track_caller]
    pub fn count_by_key(&self) -> Result<FxHashMap<K, u64>> {
        let site = Location::caller();
        let counts = self.step_node("count_by_key", site, true, MapStep(|(k, _)| (k, 1u64))).reduce_by_key_at(
            |a, b| a + b,
            default_partitions(&[&*self.node]),
            site,
        );
        Ok(counts.collect_at("count_by_key", site)?.into_iter().collect())
    }

    /// The pairs as a map (for duplicate keys, one value is kept).
    #[track_caller]
    pub fn collect_as_map(&self) -> Result<FxHashMap<K, V>> {
        Ok(self.collect_at("collect_as_map", Location::caller())?.into_iter().collect())
    }

    /// The values of `key`; scans only the key's partition when the RDD is hash-partitioned.
    #[track_caller]
    pub fn lookup(&self, key: &K) -> Result<Vec<V>> {
        let site = Location::caller();
        let partitions: Vec<usize> = match self.node.partitioning() {
            Some(PartitioningKey::Hash(n)) => vec![hash_to_partition(hash_key(key), n)],
            _ => (0..self.num_partitions()).collect(),
        };
        let key = key.clone();
        let parts = run_job(self, &partitions, "lookup", site, move |it, _| {
            Ok(it.filter(|(k, _)| *k == key).map(|(_, v)| v).collect::<Vec<V>>())
        })?;
        Ok(parts.into_iter().flatten().collect())
    }
}

impl<K: Data + Hash + Eq + Ord, V: Data> Rdd<(K, V)> {
    /// Sorts by key, range-partitioned into as many partitions as this RDD has: partition `i` holds smaller keys
    /// than partition `i + 1`, so `collect` returns all pairs in order. Range bounds are sampled when the job runs.
    #[track_caller]
    pub fn sort_by_key(&self, ascending: bool) -> Rdd<(K, V)> {
        self.sort_by_key_at(ascending, self.num_partitions(), "sort_by_key", Location::caller())
    }

    /// [`sort_by_key`](Rdd::sort_by_key) into `num_partitions` partitions.
    #[track_caller]
    pub fn sort_by_key_with_partitions(&self, ascending: bool, num_partitions: usize) -> Rdd<(K, V)> {
        self.sort_by_key_at(ascending, num_partitions.max(1), "sort_by_key", Location::caller())
    }

    pub(crate) fn sort_by_key_at(
        &self,
        ascending: bool,
        n: usize,
        op: &'static str,
        site: &Location<'_>,
    ) -> Rdd<(K, V)> {
        let range = RangePartitioner::with_order(n.max(1), ascending);
        let prepare = range_prepare(self, &range);
        let dep = ShuffleDependency::new(
            self,
            ShuffleKind::Range(range.clone()),
            range_fn(&range),
            MapSide::Convert(Arc::new(|v| v)),
        );
        let cmp: KeyCmp<K> =
            if ascending { Arc::new(|a: &K, b: &K| a.cmp(b)) } else { Arc::new(|a: &K, b: &K| b.cmp(a)) };
        let dep = PreparedDependency { dep, prepare: Some(prepare) };
        self.shuffled(dep, ReduceSide::Sort(cmp, Arc::new(|v| v)), Some(PartitioningKey::Range(n)), op, site)
    }
}

impl<T: Data> Rdd<(usize, T)> {
    /// A shuffle where the key is the target partition (for `repartition`).
    pub(crate) fn shuffle_identity(
        &self,
        kind: ShuffleKind<usize>,
        op: &'static str,
        site: &Location<'_>,
    ) -> Rdd<(usize, T)> {
        let n = kind.num_partitions();
        self.shuffle_pass(kind, Arc::new(move |k: &usize| *k % n), None, None, op, site)
    }
}
