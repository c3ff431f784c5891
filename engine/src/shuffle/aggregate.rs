//! Hash aggregation that spills (Spark's `ExternalAppendOnlyMap`, done as a grace hash aggregation).
//!
//! Records are combined in a hash map while the execution pool grants memory. When it refuses, the map's partial
//! aggregates are written to 16 spill files chosen by a hash of the key, and the map starts again. At the end each
//! spill file holds every partial aggregate of its keys, so files are merged one at a time with
//! `merge_combiners` — recursively, with another hash, if one file is still too large. This needs only `Hash +
//! Eq` keys (no ordering), like the rest of the pair API.

use super::spill::{Chunk, ChunkReader, RemoveOnDrop, SpillWriter};
use crate::error::Result;
use crate::memory::{Reservation, SizeTracker};
use crate::partitioner::hash_key;
use crate::rdd::{BoxIter, Data};
use crate::scheduler::TaskContext;
use crate::scheduler::task::add;
use rustc_hash::FxHashMap;
use std::collections::hash_map::Entry;
use std::hash::Hash;
use std::path::PathBuf;
use std::sync::Arc;

const FANOUT: usize = 16;
/// Past this depth a spill file is merged in memory whatever its size (16^4 files is far beyond any input here).
const MAX_DEPTH: usize = 4;

type MergeFn<C> = Arc<dyn Fn(C, C) -> C + Send + Sync>;

/// Aggregates `(K, I)` records into one `(K, C)` per key.
pub(crate) fn aggregate<K, I, C>(
    input: impl Iterator<Item = (K, I)>,
    create: &dyn Fn(I) -> C,
    merge: &dyn Fn(C, I) -> C,
    merge_combiners: &MergeFn<C>,
    tc: &TaskContext,
) -> Result<BoxIter<(K, C)>>
where
    K: Data + Hash + Eq,
    C: Data,
{
    let mut spiller = Spiller::new(tc, 0);
    let map = spiller.combine(input, create, merge)?;
    spiller.finish(map, merge_combiners)
}

/// One level of grace aggregation: the in-memory map and the spill files it overflowed into.
struct Spiller<'a> {
    tc: &'a TaskContext,
    depth: usize,
    files: Option<Vec<(SpillWriter, Vec<Chunk>)>>,
}

impl<'a> Spiller<'a> {
    fn new(tc: &'a TaskContext, depth: usize) -> Self {
        Spiller { tc, depth, files: None }
    }

    fn file_of<K: Hash>(&self, key: &K) -> usize {
        (hash_key(&(key, self.depth as u64 + 1)) % FANOUT as u64) as usize
    }

    fn combine<K, I, C>(
        &mut self,
        input: impl Iterator<Item = (K, I)>,
        create: &dyn Fn(I) -> C,
        merge: &dyn Fn(C, I) -> C,
    ) -> Result<FxHashMap<K, Option<C>>>
    where
        K: Data + Hash + Eq,
        C: Data,
    {
        let pool = &self.tc.session().shuffles.memory;
        let mut reservation = Reservation::new(pool);
        let mut map: FxHashMap<K, Option<C>> = FxHashMap::default();
        let mut tracker = SizeTracker::new();
        for (k, v) in input {
            match map.entry(k) {
                Entry::Occupied(mut e) => {
                    let slot = e.get_mut();
                    *slot = slot.take().map(|c| merge(c, v));
                }
                Entry::Vacant(e) => {
                    let e = e.insert_entry(Some(create(v)));
                    tracker.add(&(e.key(), e.get()));
                    if tracker.due() && self.depth < MAX_DEPTH && !reservation.grow_to(tracker.estimated_bytes()) {
                        self.spill(&mut map)?;
                        tracker.reset();
                        reservation.free();
                    }
                }
            }
        }
        Ok(map)
    }

    fn spill<K: Data + Hash + Eq, C: Data>(&mut self, map: &mut FxHashMap<K, Option<C>>) -> Result<()> {
        if self.files.is_none() {
            let mut files = Vec::with_capacity(FANOUT);
            for _ in 0..FANOUT {
                let path: PathBuf = self.tc.session().shuffles.new_spill_path("aggregate", "spill");
                files.push((SpillWriter::create(path)?, Vec::new()));
            }
            self.files = Some(files);
        }
        let mut buckets: Vec<Vec<(K, C)>> = (0..FANOUT).map(|_| Vec::new()).collect();
        for (k, c) in map.drain() {
            if let Some(c) = c {
                let f = self.file_of(&k);
                buckets[f].push((k, c));
            }
        }
        if let Some(files) = self.files.as_mut() {
            let mut written = 0;
            for ((writer, chunks), bucket) in files.iter_mut().zip(buckets) {
                if !bucket.is_empty() {
                    let chunk = writer.write_chunk(&bucket)?;
                    written += chunk.len;
                    chunks.push(chunk);
                }
            }
            add(&self.tc.counters().disk_bytes_spilled, written);
        }
        Ok(())
    }

    /// Returns the aggregated records: straight from the map if nothing spilled, else file by file.
    fn finish<K, C>(mut self, mut map: FxHashMap<K, Option<C>>, merge_combiners: &MergeFn<C>) -> Result<BoxIter<(K, C)>>
    where
        K: Data + Hash + Eq,
        C: Data,
    {
        if self.files.is_none() {
            return Ok(Box::new(map.into_iter().filter_map(|(k, c)| c.map(|c| (k, c)))));
        }
        self.spill(&mut map)?;
        let mut files = Vec::with_capacity(FANOUT);
        for (writer, chunks) in self.files.take().into_iter().flatten() {
            files.push((writer.finish()?, chunks));
        }
        let tc = self.tc.clone();
        let depth = self.depth;
        let merge = Arc::clone(merge_combiners);
        let paths: Vec<PathBuf> = files.iter().map(|(path, _)| path.clone()).collect();
        // Merge lazily, one file at a time, so at most one file's keys are in memory; each file is deleted once
        // merged, and the rest when the reader stops early.
        let iter = files.into_iter().flat_map(move |(path, chunks)| {
            let records = ChunkReader::<(K, C)>::new(path.clone(), chunks, &tc);
            let mut next = Spiller::new(&tc, depth + 1);
            let merged = next.combine(records, &|c| c, &|a, b| merge(a, b)).and_then(|m| next.finish(m, &merge));
            let _ = std::fs::remove_file(&path);
            match merged {
                Ok(it) => it,
                Err(e) => {
                    tc.fail(e);
                    Box::new(std::iter::empty())
                }
            }
        });
        Ok(Box::new(RemoveOnDrop::new(iter, paths)))
    }
}

#[cfg(test)]
mod tests {
    use crate::prelude::*;

    #[test]
    fn aggregation_spills_and_merges_past_the_budget() {
        let session =
            Session::builder().master("local[2]").config("flint.shuffle.memory", "256k").build().expect("session");
        let log = EventLog::new();
        session.add_listener(log.clone());
        let n = 200_000i64;
        let sums = session
            .range(0, n, 1, 4)
            .expect("range")
            .map(|x| (x % 50_000, 1i64))
            .reduce_by_key(|a, b| a + b)
            .collect()
            .expect("collect");
        assert_eq!(sums.len(), 50_000);
        assert!(sums.iter().all(|(_, c)| *c == 4));
        let spilled: u64 = log.completed_stages().iter().map(|(_, m)| m.disk_bytes_spilled).sum();
        assert!(spilled > 0, "expected the shuffle to spill");
    }
}
