//! Partitioners: which reduce partition a key goes to.
//!
//! [`HashPartitioner`] spreads keys by hash; [`RangePartitioner`] cuts the key space into ranges of roughly equal
//! counts, so that partition `i` holds only keys smaller than those of partition `i + 1` (what `sort_by_key` needs).
//! Spark's `RangePartitioner` samples its RDD when it is constructed; Flint's samples lazily, when the shuffle that
//! uses it is about to run, so that building a plan never runs a job.

use rustc_hash::FxHasher;
use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::{Arc, OnceLock};

/// A stable hash of a key: the same on every run, so that partitions (and replays of a stream) are reproducible.
#[inline]
pub(crate) fn hash_key<K: Hash + ?Sized>(key: &K) -> u64 {
    let mut h = FxHasher::default();
    key.hash(&mut h);
    h.finish()
}

/// Maps a hash onto `0..n` using bits 20..52, which hash tables (low bits, top 7 bits) do not use, so the keys of
/// one partition still spread well inside that partition's hash map.
#[inline]
pub(crate) fn hash_to_partition(hash: u64, n: usize) -> usize {
    ((((hash >> 20) as u32) as u64 * n as u64) >> 32) as usize
}

/// Spark's `HashPartitioner`: key → `hash(key)` mod `num_partitions`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct HashPartitioner {
    partitions: usize,
}

impl HashPartitioner {
    /// A partitioner into `partitions` partitions (at least one).
    pub fn new(partitions: usize) -> Self {
        HashPartitioner { partitions: partitions.max(1) }
    }

    /// Number of partitions.
    pub fn num_partitions(&self) -> usize {
        self.partitions
    }

    /// The partition of `key`.
    pub fn get_partition<K: Hash + ?Sized>(&self, key: &K) -> usize {
        hash_to_partition(hash_key(key), self.partitions)
    }
}

/// Spark's `RangePartitioner`: sorted, roughly equal ranges of keys, bounds found by sampling the data.
pub struct RangePartitioner<K> {
    partitions: usize,
    ascending: bool,
    pub(crate) bounds: Arc<OnceLock<Vec<K>>>,
}

impl<K> Clone for RangePartitioner<K> {
    fn clone(&self) -> Self {
        RangePartitioner { partitions: self.partitions, ascending: self.ascending, bounds: Arc::clone(&self.bounds) }
    }
}

impl<K> fmt::Debug for RangePartitioner<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RangePartitioner")
            .field("partitions", &self.partitions)
            .field("ascending", &self.ascending)
            .field("sampled", &self.bounds.get().is_some())
            .finish()
    }
}

impl<K> RangePartitioner<K> {
    /// Number of partitions asked for; fewer are used when the data has fewer distinct keys.
    pub fn num_partitions(&self) -> usize {
        self.partitions
    }

    /// Whether partition 0 holds the smallest keys.
    pub fn ascending(&self) -> bool {
        self.ascending
    }
}

impl<K: Ord> RangePartitioner<K> {
    /// An ascending range partitioner into `partitions` partitions; bounds are sampled when the shuffle runs.
    pub fn new(partitions: usize) -> Self {
        Self::with_order(partitions, true)
    }

    /// A range partitioner whose partition 0 holds the largest keys when `ascending` is false.
    pub fn with_order(partitions: usize, ascending: bool) -> Self {
        RangePartitioner { partitions: partitions.max(1), ascending, bounds: Arc::new(OnceLock::new()) }
    }

    pub(crate) fn get_partition(&self, key: &K) -> usize {
        let bounds = self.bounds.get().map_or(&[][..], Vec::as_slice);
        // Partition i holds keys in (bounds[i-1], bounds[i]]: the first bound >= key.
        let p = bounds.partition_point(|b| b < key);
        if self.ascending { p } else { bounds.len() - p }
    }

    /// Spark's `RangePartitioner.determineBounds`: bounds at equal steps of cumulative sample weight.
    pub(crate) fn determine_bounds(mut candidates: Vec<(K, f64)>, partitions: usize) -> Vec<K>
    where
        K: Clone,
    {
        candidates.sort_by(|a, b| a.0.cmp(&b.0));
        let total: f64 = candidates.iter().map(|c| c.1).sum();
        let step = total / partitions as f64;
        let mut bounds: Vec<K> = Vec::with_capacity(partitions.saturating_sub(1));
        let mut cumulative = 0.0;
        let mut target = step;
        for (key, weight) in candidates {
            cumulative += weight;
            if cumulative >= target && bounds.len() + 1 < partitions {
                // Skip duplicates so that each bound is strictly larger than the previous one.
                if bounds.last().is_none_or(|last| last.cmp(&key) == Ordering::Less) {
                    bounds.push(key);
                    target += step;
                }
            }
        }
        bounds
    }
}

/// The partitioning a shuffle uses, as given to `partition_by`.
#[derive(Debug, Clone)]
pub enum Partitioner<K> {
    /// Hash partitioning.
    Hash(HashPartitioner),
    /// Range partitioning (keys must be ordered).
    Range(RangePartitioner<K>),
}

impl<K> From<HashPartitioner> for Partitioner<K> {
    fn from(p: HashPartitioner) -> Self {
        Partitioner::Hash(p)
    }
}

impl<K> From<RangePartitioner<K>> for Partitioner<K> {
    fn from(p: RangePartitioner<K>) -> Self {
        Partitioner::Range(p)
    }
}

/// What a partitioned RDD remembers of its partitioner, to skip shuffles when data is already placed
/// (Spark compares partitioners with `equals`; two hash partitioners with the same count are equal).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PartitioningKey {
    Hash(usize),
    /// Range partitioners are equal only to themselves (same sampled bounds).
    Range(usize),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_partitions_are_in_range_and_spread() {
        let p = HashPartitioner::new(7);
        let mut counts = [0usize; 7];
        for k in 0..70_000i64 {
            counts[p.get_partition(&k)] += 1;
        }
        for c in counts {
            assert!((8_000..12_000).contains(&c), "{counts:?}");
        }
    }

    #[test]
    fn range_bounds_split_evenly_and_skip_duplicates() {
        let cands: Vec<(i32, f64)> = (0..100).map(|k| (k / 2, 1.0)).collect();
        let bounds = RangePartitioner::determine_bounds(cands, 4);
        assert_eq!(bounds, vec![12, 24, 37]);
        let p = RangePartitioner::new(4);
        p.bounds.get_or_init(|| bounds);
        assert_eq!(p.get_partition(&0), 0);
        assert_eq!(p.get_partition(&12), 0);
        assert_eq!(p.get_partition(&13), 1);
        assert_eq!(p.get_partition(&99), 3);
    }
}
