//! Actions: the operations that run a job and bring results to the driver (or write them out).

use super::sampling::{fraction_for_sample_size, partition_rng};
use super::{BoxIter, Data, Rdd};
use crate::error::{Error, Result};
use crate::scheduler::{Pull, TaskContext, run_job, run_job_pulling, run_job_runs};
use crate::shuffle::KeyCmp;
use rand::seq::SliceRandom;
use rustc_hash::FxHashMap;
use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::fmt::Display;
use std::hash::Hash;
use std::io::Write;
use std::panic::Location;
use std::path::Path;
use std::sync::Arc;

/// Spark's `take` scans more partitions each round, up to this factor (`spark.rdd.limit.scaleUpFactor`).
const SCALE_UP_FACTOR: usize = 4;

impl<T: Data> Rdd<T> {
    fn all_partitions(&self) -> Vec<usize> {
        (0..self.num_partitions()).collect()
    }

    pub(crate) fn collect_at(&self, op: &str, site: &Location<'_>) -> Result<Vec<T>> {
        let parts = run_job_runs(self, &self.all_partitions(), op, site, |runs, _| {
            let mut all = Vec::new();
            for run in runs {
                if all.is_empty() { all = run } else { all.extend(run) }
            }
            Ok(all)
        })?;
        Ok(parts.into_iter().flatten().collect())
    }

    /// All elements, partition by partition.
    #[track_caller]
    pub fn collect(&self) -> Result<Vec<T>> {
        self.collect_at("collect", Location::caller())
    }

    /// The number of elements.
    #[track_caller]
    pub fn count(&self) -> Result<u64> {
        let parts = run_job_runs(self, &self.all_partitions(), "count", Location::caller(), |runs, _| {
            Ok(runs.map(|run| run.len() as u64).sum::<u64>())
        })?;
        Ok(parts.into_iter().sum())
    }

    /// Whether the RDD has no element (looks at as few partitions as `take(1)`).
    #[track_caller]
    pub fn is_empty(&self) -> Result<bool> {
        Ok(self.take_at(1, "is_empty", Location::caller())?.is_empty())
    }

    /// How many times each distinct element occurs.
    #[track_caller]
    pub fn count_by_value(&self) -> Result<FxHashMap<T, u64>>
    where
        T: Hash + Eq,
    {
        let parts = run_job_runs(self, &self.all_partitions(), "count_by_value", Location::caller(), |runs, _| {
            let mut m: FxHashMap<T, u64> = FxHashMap::default();
            for run in runs {
                for x in run {
                    *m.entry(x).or_insert(0) += 1;
                }
            }
            Ok(m)
        })?;
        let mut total: FxHashMap<T, u64> = FxHashMap::default();
        for m in parts {
            for (k, c) in m {
                *total.entry(k).or_insert(0) += c;
            }
        }
        Ok(total)
    }

    /// Combines all elements with an associative and commutative `f`; an error on an empty RDD, as in Spark.
    #[track_caller]
    pub fn reduce(&self, f: impl Fn(T, T) -> T + Send + Sync + 'static) -> Result<T> {
        let f = Arc::new(f);
        let g = Arc::clone(&f);
        let parts = run_job(self, &self.all_partitions(), "reduce", Location::caller(), move |it, _| {
            Ok(it.reduce(|a, b| g(a, b)))
        })?;
        parts.into_iter().flatten().reduce(|a, b| f(a, b)).ok_or(Error::EmptyCollection { action: "reduce" })
    }

    /// Folds each partition from `zero`, then the partition results from `zero` (so `zero` is applied once per
    /// partition plus once, as in Spark: use a neutral element).
    #[track_caller]
    pub fn fold(&self, zero: T, f: impl Fn(T, T) -> T + Send + Sync + 'static) -> Result<T> {
        let f = Arc::new(f);
        let (g, z) = (Arc::clone(&f), zero.clone());
        let parts = run_job(self, &self.all_partitions(), "fold", Location::caller(), move |it, _| {
            Ok(it.fold(z.clone(), |a, b| g(a, b)))
        })?;
        Ok(parts.into_iter().fold(zero, |a, b| f(a, b)))
    }

    /// Aggregates each partition into a `U` with `seq` from `zero`, then merges the partition results with `comb`.
    #[track_caller]
    pub fn aggregate<U: Data>(
        &self,
        zero: U,
        seq: impl Fn(U, T) -> U + Send + Sync + 'static,
        comb: impl Fn(U, U) -> U + Send + Sync + 'static,
    ) -> Result<U> {
        let z = zero.clone();
        let parts = run_job(self, &self.all_partitions(), "aggregate", Location::caller(), move |it, _| {
            Ok(it.fold(z.clone(), &seq))
        })?;
        Ok(parts.into_iter().fold(zero, comb))
    }

    fn take_at(&self, num: usize, op: &str, site: &Location<'_>) -> Result<Vec<T>> {
        let total = self.num_partitions();
        let mut buf: Vec<T> = Vec::with_capacity(num.min(1 << 16));
        let mut scanned = 0usize;
        while buf.len() < num && scanned < total {
            let left = num - buf.len();
            let mut to_try = 1usize;
            if scanned > 0 {
                to_try = if buf.is_empty() {
                    scanned * SCALE_UP_FACTOR
                } else {
                    ((1.5 * left as f64 * scanned as f64 / buf.len() as f64).ceil() as usize)
                        .min(scanned * SCALE_UP_FACTOR)
                };
            }
            let parts: Vec<usize> = (scanned..(scanned + to_try.max(1)).min(total)).collect();
            let results = run_job_pulling(self, &parts, op, site, Pull::Records, move |it, _| {
                Ok(it.take(left).collect::<Vec<T>>())
            })?;
            for r in results {
                let room = num - buf.len();
                buf.extend(r.into_iter().take(room));
            }
            scanned += parts.len();
        }
        Ok(buf)
    }

    /// The first `num` elements, scanning one partition, then more, as Spark's `take` does.
    #[track_caller]
    pub fn take(&self, num: usize) -> Result<Vec<T>> {
        self.take_at(num, "take", Location::caller())
    }

    /// The first element; an error on an empty RDD.
    #[track_caller]
    pub fn first(&self) -> Result<T> {
        self.take_at(1, "first", Location::caller())?
            .into_iter()
            .next()
            .ok_or(Error::EmptyCollection { action: "first" })
    }

    /// The `num` smallest elements by `cmp`, in order (Spark's `takeOrdered(num)(ordering)`).
    #[track_caller]
    pub fn take_ordered_by(
        &self,
        num: usize,
        cmp: impl Fn(&T, &T) -> Ordering + Send + Sync + 'static,
    ) -> Result<Vec<T>> {
        self.take_ordered_at(num, Arc::new(cmp), "take_ordered", Location::caller())
    }

    fn take_ordered_at(&self, num: usize, cmp: KeyCmp<T>, op: &str, site: &Location<'_>) -> Result<Vec<T>> {
        if num == 0 {
            return Ok(Vec::new());
        }
        let c = Arc::clone(&cmp);
        let parts = run_job(self, &self.all_partitions(), op, site, move |it, _| Ok(smallest(it, num, &c)))?;
        let mut all: Vec<T> = parts.into_iter().flatten().collect();
        all.sort_by(|a, b| cmp(a, b));
        all.truncate(num);
        Ok(all)
    }

    /// A sample of exactly `num` elements (fewer if the RDD is smaller and `with_replacement` is false), by
    /// Spark's algorithm: count, sample with a fraction that almost surely yields enough, retry if not, shuffle.
    #[track_caller]
    pub fn take_sample(&self, with_replacement: bool, num: usize, seed: u64) -> Result<Vec<T>> {
        let site = Location::caller();
        if num == 0 {
            return Ok(Vec::new());
        }
        let count: u64 = run_job(self, &self.all_partitions(), "take_sample", site, |it, _| Ok(it.count() as u64))?
            .into_iter()
            .sum();
        if count == 0 {
            return Ok(Vec::new());
        }
        let mut rng = partition_rng(seed, usize::MAX);
        if !with_replacement && num as u64 >= count {
            let mut all = self.collect_at("take_sample", site)?;
            all.shuffle(&mut rng);
            return Ok(all);
        }
        let fraction = fraction_for_sample_size(num, count, with_replacement);
        let mut round = 0u64;
        loop {
            let sampled = self.sample(with_replacement, fraction, seed.wrapping_add(round))?;
            let mut samples = sampled.collect_at("take_sample", site)?;
            if samples.len() >= num {
                samples.shuffle(&mut rng);
                samples.truncate(num);
                return Ok(samples);
            }
            round += 1;
        }
    }

    /// Runs `f` on every element, in the tasks.
    #[track_caller]
    pub fn foreach(&self, f: impl Fn(T) + Send + Sync + 'static) -> Result<()> {
        run_job(self, &self.all_partitions(), "foreach", Location::caller(), move |it, _| {
            it.for_each(&f);
            Ok(())
        })?;
        Ok(())
    }

    /// Runs `f` on every partition's iterator, in the tasks.
    #[track_caller]
    pub fn foreach_partition(&self, f: impl Fn(BoxIter<T>) + Send + Sync + 'static) -> Result<()> {
        run_job(self, &self.all_partitions(), "foreach_partition", Location::caller(), move |it, _| {
            f(it);
            Ok(())
        })?;
        Ok(())
    }

    /// Writes the elements as text, one per line, into the directory `path`: a `part-NNNNN` file per partition and
    /// an empty `_SUCCESS` marker, as Spark does. Fails if `path` exists. Atomic: the files are written into a
    /// hidden sibling directory that is renamed to `path` only when every task succeeded, so a failed or killed
    /// job never leaves a partial `path`.
    #[track_caller]
    pub fn save_as_text_file(&self, path: impl AsRef<Path>) -> Result<()>
    where
        T: Display,
    {
        let site = Location::caller();
        let path = path.as_ref().to_path_buf();
        if path.exists() {
            return Err(Error::PathExists { path });
        }
        let staging = crate::output::staging_dir(&path, "flint")?;
        let dir = staging.path().to_path_buf();
        run_job(self, &self.all_partitions(), "save_as_text_file", site, move |it, tc: &TaskContext| {
            let file = dir.join(format!("part-{:05}", tc.partition_id()));
            let write = || -> std::io::Result<()> {
                let mut out = std::io::BufWriter::new(std::fs::File::create(&file)?);
                for x in it {
                    writeln!(out, "{x}")?;
                }
                out.into_inner().map_err(|e| e.into_error())?.sync_data()
            };
            write().map_err(|e| Error::io("writing", &file, e))
        })?;
        let staged = crate::output::seal(staging)?;
        crate::output::commit_new(&staged, &path)
    }
}

/// The `num` smallest items of an iterator by `cmp`, with a bounded max-heap.
fn smallest<T>(it: impl Iterator<Item = T>, num: usize, cmp: &KeyCmp<T>) -> Vec<T> {
    struct ByCmp<'a, T>(T, &'a (dyn Fn(&T, &T) -> Ordering + Send + Sync));
    impl<T> PartialEq for ByCmp<'_, T> {
        fn eq(&self, o: &Self) -> bool {
            (self.1)(&self.0, &o.0) == Ordering::Equal
        }
    }
    impl<T> Eq for ByCmp<'_, T> {}
    impl<T> PartialOrd for ByCmp<'_, T> {
        fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
            Some(self.cmp(o))
        }
    }
    impl<T> Ord for ByCmp<'_, T> {
        fn cmp(&self, o: &Self) -> Ordering {
            (self.1)(&self.0, &o.0)
        }
    }
    let c: &(dyn Fn(&T, &T) -> Ordering + Send + Sync) = cmp.as_ref();
    let mut heap: BinaryHeap<ByCmp<'_, T>> = BinaryHeap::with_capacity(num + 1);
    for x in it {
        if heap.len() < num {
            heap.push(ByCmp(x, c));
        } else if let Some(top) = heap.peek()
            && c(&x, &top.0) == Ordering::Less
        {
            heap.pop();
            heap.push(ByCmp(x, c));
        }
    }
    heap.into_iter().map(|b| b.0).collect()
}

impl<T: Data + Ord> Rdd<T> {
    /// The `num` largest elements, largest first.
    #[track_caller]
    pub fn top(&self, num: usize) -> Result<Vec<T>> {
        self.take_ordered_at(num, Arc::new(|a: &T, b: &T| b.cmp(a)), "top", Location::caller())
    }

    /// The `num` smallest elements, smallest first.
    #[track_caller]
    pub fn take_ordered(&self, num: usize) -> Result<Vec<T>> {
        self.take_ordered_at(num, Arc::new(|a: &T, b: &T| a.cmp(b)), "take_ordered", Location::caller())
    }

    /// The largest element; an error on an empty RDD.
    #[track_caller]
    pub fn max(&self) -> Result<T> {
        self.take_ordered_at(1, Arc::new(|a: &T, b: &T| b.cmp(a)), "max", Location::caller())?
            .pop()
            .ok_or(Error::EmptyCollection { action: "max" })
    }

    /// The smallest element; an error on an empty RDD.
    #[track_caller]
    pub fn min(&self) -> Result<T> {
        self.take_ordered_at(1, Arc::new(|a: &T, b: &T| a.cmp(b)), "min", Location::caller())?
            .pop()
            .ok_or(Error::EmptyCollection { action: "min" })
    }
}
