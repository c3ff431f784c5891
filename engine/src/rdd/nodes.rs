//! Lineage nodes with narrow dependencies (or none).

use super::{
    BoxIter, Data, Dependency, PartitionFn, RddBase, RddCompute, RddMeta, Runs, SliceFn, iterator, partition_values,
    runs, runs_of, runs_of_shared,
};
use crate::error::{Error, Result};
use crate::partitioner::PartitioningKey;
use crate::scheduler::TaskContext;
use crate::scheduler::task::add;
use std::ops::Range;
use std::sync::Arc;

/// Spark's `ParallelCollectionRDD.slice` positions: slice `i` of `k` covers `i*n/k .. (i+1)*n/k`.
pub(crate) fn slice_bounds(len: usize, slices: usize) -> Vec<Range<usize>> {
    (0..slices).map(|i| (i * len / slices)..((i + 1) * len / slices)).collect()
}

/// A local collection split into slices.
pub(crate) struct ParallelCollection<T> {
    meta: RddMeta,
    data: Arc<Vec<T>>,
    slices: Vec<Range<usize>>,
}

impl<T> ParallelCollection<T> {
    pub(crate) fn new(meta: RddMeta, data: Vec<T>, slices: usize) -> Self {
        let bounds = slice_bounds(data.len(), slices);
        ParallelCollection { meta, data: Arc::new(data), slices: bounds }
    }
}

impl<T: Data> RddBase for ParallelCollection<T> {
    fn meta(&self) -> &RddMeta {
        &self.meta
    }
    fn num_partitions(&self) -> usize {
        self.slices.len()
    }
    fn dependencies(&self) -> Vec<Dependency> {
        Vec::new()
    }
}

impl<T: Data> RddCompute<T> for ParallelCollection<T> {
    fn compute(&self, split: usize, tc: &TaskContext) -> Result<BoxIter<T>> {
        let range = self.slices[split].clone();
        add(&tc.counters().records_read, range.len() as u64);
        let data = Arc::clone(&self.data);
        Ok(Box::new(range.map(move |i| data[i].clone())))
    }

    fn compute_runs(&self, split: usize, tc: &TaskContext) -> Result<Runs<T>> {
        let range = self.slices[split].clone();
        add(&tc.counters().records_read, range.len() as u64);
        Ok(runs_of_shared(Arc::clone(&self.data), range))
    }
}

/// `start..end` by `step`, sliced like a collection but never materialized.
pub(crate) struct RangeRdd {
    meta: RddMeta,
    start: i64,
    step: i64,
    slices: Vec<Range<usize>>,
}

impl RangeRdd {
    pub(crate) fn new(meta: RddMeta, start: i64, end: i64, step: i64, slices: usize) -> Self {
        let span = i128::from(end) - i128::from(start);
        let step_w = i128::from(step);
        let len = if (span > 0) == (step > 0) && span != 0 {
            ((span.abs() + step_w.abs() - 1) / step_w.abs()) as usize
        } else {
            0
        };
        RangeRdd { meta, start, step, slices: slice_bounds(len, slices) }
    }
}

impl RddBase for RangeRdd {
    fn meta(&self) -> &RddMeta {
        &self.meta
    }
    fn num_partitions(&self) -> usize {
        self.slices.len()
    }
    fn dependencies(&self) -> Vec<Dependency> {
        Vec::new()
    }
}

impl RddCompute<i64> for RangeRdd {
    fn compute(&self, split: usize, tc: &TaskContext) -> Result<BoxIter<i64>> {
        let range = self.slices[split].clone();
        add(&tc.counters().records_read, range.len() as u64);
        let (start, step) = (self.start, self.step);
        Ok(Box::new(range.map(move |i| start + step * i as i64)))
    }

    fn compute_runs(&self, split: usize, tc: &TaskContext) -> Result<Runs<i64>> {
        let range = self.slices[split].clone();
        add(&tc.counters().records_read, range.len() as u64);
        let (start, step, end) = (self.start, self.step, range.end);
        Ok(Box::new(
            range
                .step_by(super::RUN)
                .map(move |i| (i..(i + super::RUN).min(end)).map(|i| start + step * i as i64).collect()),
        ))
    }
}

/// Spark's `MapPartitionsRDD`: a partition-wise function of the parent.
pub(crate) struct MapPartitions<T, U> {
    meta: RddMeta,
    parent: Arc<dyn RddCompute<T>>,
    f: PartitionBody<T, U>,
    preserves_partitioning: bool,
}

/// How a partition-wise function takes its partition.
pub(crate) enum PartitionBody<T, U> {
    /// Record by record (`map`, `flat_map`, `filter`): a streaming consumer pulls one record at a time through
    /// the step, one that drains the partition a run at a time.
    Each(Arc<dyn Step<T, U>>),
    /// As an iterator of owned elements.
    Iter(Arc<PartitionFn<T, U>>),
    /// As one slice, lent by the block store when the parent is persisted (`Rdd::map_partitions_slice`).
    Slice(Arc<SliceFn<T, U>>),
}

impl<T, U> MapPartitions<T, U> {
    pub(crate) fn new(
        meta: RddMeta,
        parent: Arc<dyn RddCompute<T>>,
        f: PartitionBody<T, U>,
        preserves_partitioning: bool,
    ) -> Self {
        MapPartitions { meta, parent, f, preserves_partitioning }
    }
}

impl<T: Data, U: Data> RddBase for MapPartitions<T, U> {
    fn meta(&self) -> &RddMeta {
        &self.meta
    }
    fn num_partitions(&self) -> usize {
        self.parent.num_partitions()
    }
    fn dependencies(&self) -> Vec<Dependency> {
        vec![Dependency::Narrow(self.parent.clone())]
    }
    fn partitioning(&self) -> Option<PartitioningKey> {
        if self.preserves_partitioning { self.parent.partitioning() } else { None }
    }
    fn piece_bytes(&self, split: usize) -> Option<u64> {
        // Only a record-by-record step gives the same records whether its partition comes whole or in pieces.
        match self.f {
            PartitionBody::Each(_) if !self.meta.storage_level().is_valid() => self.parent.piece_bytes(split),
            _ => None,
        }
    }
}

impl<T: Data, U: Data> RddCompute<U> for MapPartitions<T, U> {
    fn compute(&self, split: usize, tc: &TaskContext) -> Result<BoxIter<U>> {
        Ok(match &self.f {
            PartitionBody::Each(step) => Arc::clone(step).records(iterator(&self.parent, split, tc)?),
            PartitionBody::Iter(f) => f(split, iterator(&self.parent, split, tc)?),
            PartitionBody::Slice(f) => f(split, &partition_values(&self.parent, split, tc)?),
        })
    }

    fn compute_runs(&self, split: usize, tc: &TaskContext) -> Result<Runs<U>> {
        Ok(match &self.f {
            PartitionBody::Each(step) => {
                let step = Arc::clone(step);
                Box::new(runs(&self.parent, split, tc)?.map(move |run| step.run(run)))
            }
            _ => runs_of(self.compute(split, tc)?),
        })
    }
}

/// An element-wise transformation, applied to one record at a time or to a run of them. Through a run, a chain
/// of steps costs one dynamic call per run and step instead of one per record and step, and the user's closure
/// is inlined into the loop over the run.
pub(crate) trait Step<T, U>: Send + Sync + 'static {
    fn records(self: Arc<Self>, input: BoxIter<T>) -> BoxIter<U>;
    fn run(&self, input: Vec<T>) -> Vec<U>;
}

/// `map`: one output per input.
pub(crate) struct MapStep<F>(pub(crate) F);

impl<T: Data, U: Data, F: Fn(T) -> U + Send + Sync + 'static> Step<T, U> for MapStep<F> {
    fn records(self: Arc<Self>, input: BoxIter<T>) -> BoxIter<U> {
        Box::new(input.map(move |x| (self.0)(x)))
    }
    fn run(&self, input: Vec<T>) -> Vec<U> {
        // Reuses the run's allocation when `U` fits in `T`'s place.
        input.into_iter().map(&self.0).collect()
    }
}

/// `flat_map`: any number of outputs per input.
pub(crate) struct FlatMapStep<F>(pub(crate) F);

impl<T: Data, U: Data, I, F> Step<T, U> for FlatMapStep<F>
where
    F: Fn(T) -> I + Send + Sync + 'static,
    I: IntoIterator<Item = U> + 'static,
    I::IntoIter: Send + 'static,
{
    fn records(self: Arc<Self>, input: BoxIter<T>) -> BoxIter<U> {
        Box::new(input.flat_map(move |x| (self.0)(x)))
    }
    fn run(&self, input: Vec<T>) -> Vec<U> {
        let mut out = Vec::with_capacity(input.len());
        for x in input {
            out.extend((self.0)(x));
        }
        out
    }
}

/// `filter`: the inputs for which the predicate holds.
pub(crate) struct FilterStep<F>(pub(crate) F);

impl<T: Data, F: Fn(&T) -> bool + Send + Sync + 'static> Step<T, T> for FilterStep<F> {
    fn records(self: Arc<Self>, input: BoxIter<T>) -> BoxIter<T> {
        Box::new(input.filter(move |x| (self.0)(x)))
    }
    fn run(&self, mut input: Vec<T>) -> Vec<T> {
        input.retain(|x| (self.0)(x));
        input
    }
}

/// Spark's `UnionRDD`: the parents' partitions one after another.
pub(crate) struct Union<T> {
    meta: RddMeta,
    parents: Vec<Arc<dyn RddCompute<T>>>,
}

impl<T> Union<T> {
    pub(crate) fn new(meta: RddMeta, parents: Vec<Arc<dyn RddCompute<T>>>) -> Self {
        Union { meta, parents }
    }
}

impl<T: Data> RddBase for Union<T> {
    fn meta(&self) -> &RddMeta {
        &self.meta
    }
    fn num_partitions(&self) -> usize {
        self.parents.iter().map(|p| p.num_partitions()).sum()
    }
    fn dependencies(&self) -> Vec<Dependency> {
        self.parents.iter().map(|p| Dependency::Narrow(p.clone())).collect()
    }
}

impl<T: Data> Union<T> {
    /// The parent partition that union partition `split` is.
    fn locate(&self, mut split: usize) -> Result<(&Arc<dyn RddCompute<T>>, usize)> {
        for parent in &self.parents {
            let n = parent.num_partitions();
            if split < n {
                return Ok((parent, split));
            }
            split -= n;
        }
        Err(Error::Internal(format!("union partition {split} out of range")))
    }
}

impl<T: Data> RddCompute<T> for Union<T> {
    fn compute(&self, split: usize, tc: &TaskContext) -> Result<BoxIter<T>> {
        let (parent, split) = self.locate(split)?;
        iterator(parent, split, tc)
    }

    fn compute_runs(&self, split: usize, tc: &TaskContext) -> Result<Runs<T>> {
        let (parent, split) = self.locate(split)?;
        runs(parent, split, tc)
    }
}

/// Spark's `CartesianRDD`: partition `(i, j)` pairs parent partitions `i` and `j`.
pub(crate) struct Cartesian<T, U> {
    meta: RddMeta,
    left: Arc<dyn RddCompute<T>>,
    right: Arc<dyn RddCompute<U>>,
}

impl<T, U> Cartesian<T, U> {
    pub(crate) fn new(meta: RddMeta, left: Arc<dyn RddCompute<T>>, right: Arc<dyn RddCompute<U>>) -> Self {
        Cartesian { meta, left, right }
    }
}

impl<T: Data, U: Data> RddBase for Cartesian<T, U> {
    fn meta(&self) -> &RddMeta {
        &self.meta
    }
    fn num_partitions(&self) -> usize {
        self.left.num_partitions() * self.right.num_partitions()
    }
    fn dependencies(&self) -> Vec<Dependency> {
        vec![Dependency::Narrow(self.left.clone()), Dependency::Narrow(self.right.clone())]
    }
}

impl<T: Data, U: Data> RddCompute<(T, U)> for Cartesian<T, U> {
    fn compute(&self, split: usize, tc: &TaskContext) -> Result<BoxIter<(T, U)>> {
        let n = self.right.num_partitions();
        let right: Arc<Vec<U>> = Arc::new(iterator(&self.right, split % n, tc)?.collect());
        let left = iterator(&self.left, split / n, tc)?;
        Ok(Box::new(left.flat_map(move |x| {
            let right = Arc::clone(&right);
            (0..right.len()).map(move |j| (x.clone(), right[j].clone()))
        })))
    }
}

/// Spark's `ZippedPartitionsRDD2` for `zip`.
pub(crate) struct Zip<T, U> {
    meta: RddMeta,
    left: Arc<dyn RddCompute<T>>,
    right: Arc<dyn RddCompute<U>>,
}

impl<T, U> Zip<T, U> {
    pub(crate) fn new(meta: RddMeta, left: Arc<dyn RddCompute<T>>, right: Arc<dyn RddCompute<U>>) -> Self {
        Zip { meta, left, right }
    }
}

impl<T: Data, U: Data> RddBase for Zip<T, U> {
    fn meta(&self) -> &RddMeta {
        &self.meta
    }
    fn num_partitions(&self) -> usize {
        self.left.num_partitions()
    }
    fn dependencies(&self) -> Vec<Dependency> {
        vec![Dependency::Narrow(self.left.clone()), Dependency::Narrow(self.right.clone())]
    }
}

impl<T: Data, U: Data> RddCompute<(T, U)> for Zip<T, U> {
    fn compute(&self, split: usize, tc: &TaskContext) -> Result<BoxIter<(T, U)>> {
        let mut left = iterator(&self.left, split, tc)?;
        let mut right = iterator(&self.right, split, tc)?;
        let tc = tc.clone();
        Ok(Box::new(std::iter::from_fn(move || match (left.next(), right.next()) {
            (Some(a), Some(b)) => Some((a, b)),
            (None, None) => None,
            _ => {
                tc.fail(Error::Incompatible(format!(
                    "can only zip RDDs with the same number of elements in each partition (partition {split} differs)"
                )));
                None
            }
        })))
    }
}

/// Spark's `CoalescedRDD` without locality: contiguous groups of parent partitions.
pub(crate) struct Coalesced<T> {
    meta: RddMeta,
    parent: Arc<dyn RddCompute<T>>,
    groups: Vec<Range<usize>>,
}

impl<T: Data> Coalesced<T> {
    pub(crate) fn new(meta: RddMeta, parent: Arc<dyn RddCompute<T>>, partitions: usize) -> Self {
        let n = parent.num_partitions();
        let groups = slice_bounds(n, partitions.min(n));
        Coalesced { meta, parent, groups }
    }
}

impl<T: Data> RddBase for Coalesced<T> {
    fn meta(&self) -> &RddMeta {
        &self.meta
    }
    fn num_partitions(&self) -> usize {
        self.groups.len()
    }
    fn dependencies(&self) -> Vec<Dependency> {
        vec![Dependency::Narrow(self.parent.clone())]
    }
}

impl<T: Data> RddCompute<T> for Coalesced<T> {
    fn compute(&self, split: usize, tc: &TaskContext) -> Result<BoxIter<T>> {
        let parts: Vec<BoxIter<T>> =
            self.groups[split].clone().map(|p| iterator(&self.parent, p, tc)).collect::<Result<_>>()?;
        Ok(Box::new(parts.into_iter().flatten()))
    }

    fn compute_runs(&self, split: usize, tc: &TaskContext) -> Result<Runs<T>> {
        let parts: Vec<Runs<T>> =
            self.groups[split].clone().map(|p| runs(&self.parent, p, tc)).collect::<Result<_>>()?;
        Ok(Box::new(parts.into_iter().flatten()))
    }
}

#[cfg(test)]
mod tests {
    use super::slice_bounds;

    #[test]
    fn slices_like_spark() {
        // sc.parallelize(1 to 10, 3).glom() gives [1,2,3], [4,5,6], [7,8,9,10].
        assert_eq!(slice_bounds(10, 3), vec![0..3, 3..6, 6..10]);
        assert_eq!(slice_bounds(2, 4), vec![0..0, 0..1, 1..1, 1..2]);
    }
}
