//! Map-side combine, radix-partitioned.
//!
//! One hash table of every key a map task sees outgrows the CPU caches as soon as there are some 100 000 keys,
//! and then every record costs a cache miss. Records are therefore first dealt by 6 bits of their key's hash into
//! 64 small buffers (sequential writes), and every 2^18 records each buffer is folded into its own table, one
//! table at a time: each table holds about 1/64 of the keys and gets some 4000 probes in a row, so after its
//! first probes bring it into cache the others hit (a pass of 8192 records gave each table too few probes to
//! pay for loading it, and measured no faster than one big table).

use super::{BucketWriter, PartitionOf};
use crate::error::Result;
use crate::memory::{Reservation, SizeTracker};
use crate::partitioner::hash_key;
use crate::rdd::Data;
use crate::session::SessionContext;
use hashbrown::HashTable;
use hashbrown::hash_table::Entry;
use std::hash::Hash;

const TABLES: usize = 64;
/// Records dealt before the buffers are folded into the tables (6 MB of buffered `(u32, f64)` records).
const PASS: usize = 1 << 18;

/// Which table a hash goes to: bits 50..56, which hashbrown uses for neither the bucket index (low bits) nor
/// the tag (top 7 bits), so the keys of one table still spread over its buckets and tags.
#[inline]
fn table_of(hash: u64) -> usize {
    ((hash >> 50) as usize) & (TABLES - 1)
}

/// Combines `(key, value)` records per key with `create` and `merge`, then writes `(key, combined)` to the
/// writer. Past the execution memory budget, the partial combinations are written out and combining starts
/// again: the reduce side merges them anyway.
pub(super) fn combine<K, V, C>(
    input: impl Iterator<Item = (K, V)>,
    create: &impl Fn(V) -> C,
    merge: &impl Fn(C, V) -> C,
    part: &PartitionOf<K>,
    writer: &mut BucketWriter<'_, K, C>,
    ctx: &SessionContext,
) -> Result<()>
where
    K: Data + Hash + Eq,
    V: Data,
    C: Data,
{
    // `Option` lets `merge` take the combined value by value; it is `None` only during a merge.
    let mut tables: Vec<HashTable<(K, Option<C>)>> = (0..TABLES).map(|_| HashTable::new()).collect();
    let mut pending: Vec<Vec<(u64, K, V)>> = (0..TABLES).map(|_| Vec::new()).collect();
    let mut dealt = 0;
    let mut tracker = SizeTracker::new();
    let mut reservation = Reservation::new(&ctx.shuffles.memory);

    let mut fold = |pending: &mut Vec<Vec<(u64, K, V)>>,
                    tables: &mut Vec<HashTable<(K, Option<C>)>>,
                    writer: &mut BucketWriter<'_, K, C>|
     -> Result<()> {
        let mut over_budget = false;
        for (table, records) in tables.iter_mut().zip(pending.iter_mut()) {
            for (hash, k, v) in records.drain(..) {
                match table.entry(hash, |e| e.0 == k, |e| hash_key(&e.0)) {
                    Entry::Occupied(mut e) => {
                        let slot = &mut e.get_mut().1;
                        *slot = slot.take().map(|c| merge(c, v));
                    }
                    Entry::Vacant(e) => {
                        let entry = e.insert((k, Some(create(v))));
                        tracker.add(entry.get());
                        over_budget |= tracker.due() && !reservation.grow_to(tracker.estimated_bytes());
                    }
                }
            }
        }
        if over_budget {
            flush(tables, part, writer)?;
            tracker.reset();
            reservation.free();
        }
        Ok(())
    };

    for (k, v) in input {
        let hash = hash_key(&k);
        pending[table_of(hash)].push((hash, k, v));
        dealt += 1;
        if dealt == PASS {
            fold(&mut pending, &mut tables, writer)?;
            dealt = 0;
        }
    }
    fold(&mut pending, &mut tables, writer)?;
    flush(&mut tables, part, writer)
}

/// Writes every combined value out and empties the tables.
fn flush<K: Data, C: Data>(
    tables: &mut [HashTable<(K, Option<C>)>],
    part: &PartitionOf<K>,
    writer: &mut BucketWriter<'_, K, C>,
) -> Result<()> {
    for table in tables {
        for (k, c) in table.drain() {
            if let Some(c) = c {
                writer.push(part(&k), (k, c))?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_take_bits_the_hash_tables_leave_alone() {
        assert_eq!(table_of(0), 0);
        assert_eq!(table_of(63 << 50), 63);
        assert_eq!(table_of(1 << 56), 0, "the tag bits do not choose the table");
        assert_eq!(table_of((1 << 50) - 1), 0, "nor do the index bits");
    }
}
