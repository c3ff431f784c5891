//! External merge sort for `sort_by_key`: sorted runs spill to disk past the budget and are merged with a heap.

use super::KeyCmp;
use super::spill::{ChunkReader, RemoveOnDrop, SpillWriter};
use crate::error::Result;
use crate::memory::{Reservation, SizeTracker};
use crate::rdd::{BoxIter, Data};
use crate::scheduler::TaskContext;
use crate::scheduler::task::add;
use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::sync::Arc;

const CHUNK: usize = 4096;

/// Sorts records by key with `cmp`; stable (equal keys keep their input order).
pub(crate) fn sort<K: Data, V: Data>(
    input: impl Iterator<Item = (K, V)>,
    cmp: KeyCmp<K>,
    tc: &TaskContext,
) -> Result<BoxIter<(K, V)>> {
    let mut reservation = Reservation::new(&tc.session().shuffles.memory);
    let mut tracker = SizeTracker::new();
    let mut buffer: Vec<(K, V)> = Vec::new();
    let mut runs: Vec<BoxIter<(K, V)>> = Vec::new();
    for record in input {
        tracker.add(&record);
        buffer.push(record);
        if tracker.due() && !reservation.grow_to(tracker.estimated_bytes()) {
            buffer.sort_by(|a, b| cmp(&a.0, &b.0));
            let mut writer = SpillWriter::create(tc.session().shuffles.new_spill_path("sort", "run"))?;
            let mut chunks = Vec::new();
            for chunk in buffer.chunks(CHUNK) {
                chunks.push(writer.write_chunk(chunk)?);
            }
            add(&tc.counters().disk_bytes_spilled, writer.bytes_written());
            let path = writer.finish()?;
            runs.push(Box::new(RemoveOnDrop::new(ChunkReader::new(path.clone(), chunks, tc), vec![path])));
            buffer.clear();
            tracker.reset();
            reservation.free();
        }
    }
    buffer.sort_by(|a, b| cmp(&a.0, &b.0));
    if runs.is_empty() {
        return Ok(Box::new(buffer.into_iter()));
    }
    runs.push(Box::new(buffer.into_iter()));
    Ok(Box::new(Merge::new(runs, cmp)))
}

struct Head<K, V> {
    record: (K, V),
    run: usize,
    cmp: KeyCmp<K>,
}

impl<K, V> PartialEq for Head<K, V> {
    fn eq(&self, other: &Self) -> bool {
        Ord::cmp(self, other) == Ordering::Equal
    }
}

impl<K, V> Eq for Head<K, V> {}

impl<K, V> PartialOrd for Head<K, V> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(Ord::cmp(self, other))
    }
}

impl<K, V> Ord for Head<K, V> {
    fn cmp(&self, other: &Self) -> Ordering {
        // BinaryHeap is a max-heap: reverse so the smallest key (then the earliest run) comes first.
        (self.cmp)(&other.record.0, &self.record.0).then(other.run.cmp(&self.run))
    }
}

/// k-way merge of sorted runs.
struct Merge<K, V> {
    runs: Vec<BoxIter<(K, V)>>,
    heap: BinaryHeap<Head<K, V>>,
}

impl<K, V> Merge<K, V> {
    fn new(mut runs: Vec<BoxIter<(K, V)>>, cmp: KeyCmp<K>) -> Self {
        let mut heap = BinaryHeap::with_capacity(runs.len());
        for (run, it) in runs.iter_mut().enumerate() {
            if let Some(record) = it.next() {
                heap.push(Head { record, run, cmp: Arc::clone(&cmp) });
            }
        }
        Merge { runs, heap }
    }
}

impl<K, V> Iterator for Merge<K, V> {
    type Item = (K, V);

    fn next(&mut self) -> Option<(K, V)> {
        let Head { record, run, cmp } = self.heap.pop()?;
        if let Some(next) = self.runs[run].next() {
            self.heap.push(Head { record: next, run, cmp });
        }
        Some(record)
    }
}

#[cfg(test)]
mod tests {
    use crate::prelude::*;

    #[test]
    fn sort_spills_runs_and_merges_them_in_order() {
        let session =
            Session::builder().master("local[2]").config("flint.shuffle.memory", "64k").build().expect("session");
        let log = EventLog::new();
        session.add_listener(log.clone());
        let data: Vec<(i64, String)> = (0..40_000i64).map(|i| ((i * 7919) % 40_000, format!("v{i}"))).collect();
        let sorted = session.parallelize(data, 3).sort_by_key(true).collect().expect("sort");
        assert_eq!(sorted.len(), 40_000);
        assert!(sorted.windows(2).all(|w| w[0].0 <= w[1].0));
        let spilled: u64 = log.completed_stages().iter().map(|(_, m)| m.disk_bytes_spilled).sum();
        assert!(spilled > 0, "expected the sort to spill");
    }
}
