//! Memory budgets and size estimation.
//!
//! Two pools bound what the engine holds: *execution* memory (shuffle buffers, aggregation maps, sort buffers) and
//! *storage* memory (cached partitions). A consumer that is refused more memory spills to disk instead of growing,
//! which is how a shuffle larger than the budget completes.
//!
//! Sizes are estimates, as Spark's `SizeEstimator`'s are: a few records are serialized and their average size,
//! plus the in-memory footprint of the type, stands for all of them.

use serde::Serialize;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A bounded pool of bytes shared by all tasks of a session.
#[derive(Debug)]
pub(crate) struct MemoryPool {
    capacity: usize,
    used: AtomicUsize,
}

impl MemoryPool {
    pub(crate) fn new(capacity: usize) -> Self {
        MemoryPool { capacity, used: AtomicUsize::new(0) }
    }

    pub(crate) fn capacity(&self) -> usize {
        self.capacity
    }

    #[cfg(test)]
    pub(crate) fn used(&self) -> usize {
        self.used.load(Ordering::Relaxed)
    }

    /// Reserves `bytes` if the pool has room; `false` means the caller must spill or do without.
    pub(crate) fn try_acquire(&self, bytes: usize) -> bool {
        self.used
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |used| {
                let next = used.checked_add(bytes)?;
                (next <= self.capacity).then_some(next)
            })
            .is_ok()
    }

    pub(crate) fn release(&self, bytes: usize) {
        // Saturating: a release never makes the pool look larger than it is.
        let _ = self.used.fetch_update(Ordering::AcqRel, Ordering::Acquire, |used| Some(used.saturating_sub(bytes)));
    }
}

/// Estimated in-memory bytes of one value: its inline size plus its serialized size as a proxy for the heap data
/// it owns (strings, vectors).
pub(crate) fn estimate_size<T: Serialize>(value: &T) -> usize {
    std::mem::size_of::<T>() + bincode::serialized_size(value).map_or(0, |n| n as usize)
}

/// Tracks the estimated size of a growing collection, re-sampling at exponentially spaced counts (1, 2, 4, …, then
/// every 1024) so estimation costs nothing measurable per record.
#[derive(Debug, Default)]
pub(crate) struct SizeTracker {
    count: usize,
    next_sample: usize,
    avg: f64,
    samples: u32,
}

impl SizeTracker {
    pub(crate) fn new() -> Self {
        SizeTracker { count: 0, next_sample: 1, avg: 0.0, samples: 0 }
    }

    /// Records one more element; `value` is looked at only when it is due for sampling.
    #[inline]
    pub(crate) fn add<T: Serialize>(&mut self, value: &T) {
        self.count += 1;
        if self.count == self.next_sample {
            let size = estimate_size(value) as f64;
            self.samples += 1;
            self.avg += (size - self.avg) / f64::from(self.samples);
            self.next_sample = if self.count < 1024 { self.count * 2 } else { self.count + 1024 };
        }
    }

    /// Whether enough elements were added since the last size check to check again.
    #[inline]
    pub(crate) fn due(&self) -> bool {
        self.count.is_multiple_of(1024)
    }

    pub(crate) fn estimated_bytes(&self) -> usize {
        (self.avg * self.count as f64) as usize
    }

    pub(crate) fn reset(&mut self) {
        self.count = 0;
        self.next_sample = 1;
    }
}

/// Memory held by one consumer (a map task's buffers, an aggregation), grown in steps and released on drop.
#[derive(Debug)]
pub(crate) struct Reservation<'a> {
    pool: &'a MemoryPool,
    held: usize,
}

impl<'a> Reservation<'a> {
    pub(crate) fn new(pool: &'a MemoryPool) -> Self {
        Reservation { pool, held: 0 }
    }

    /// Makes the reservation at least `bytes`; `false` means the pool refused and the consumer must spill.
    pub(crate) fn grow_to(&mut self, bytes: usize) -> bool {
        if bytes <= self.held {
            return true;
        }
        // Ask for headroom so that a growing buffer does not come back every few records.
        let want = (bytes - self.held).max(bytes / 4);
        if self.pool.try_acquire(want) {
            self.held += want;
            true
        } else if self.pool.try_acquire(bytes - self.held) {
            self.held = bytes;
            true
        } else {
            false
        }
    }

    /// Hands the held bytes over to a longer-lived owner (a shuffle output kept in memory).
    pub(crate) fn detach(mut self) -> usize {
        std::mem::take(&mut self.held)
    }

    pub(crate) fn free(&mut self) {
        self.pool.release(std::mem::take(&mut self.held));
    }
}

impl Drop for Reservation<'_> {
    fn drop(&mut self) {
        self.free();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pool_refuses_past_capacity_and_releases() {
        let pool = MemoryPool::new(100);
        assert!(pool.try_acquire(60));
        assert!(!pool.try_acquire(41));
        assert!(pool.try_acquire(40));
        pool.release(100);
        assert_eq!(pool.used(), 0);
    }

    #[test]
    fn reservation_is_returned_on_drop() {
        let pool = MemoryPool::new(1000);
        {
            let mut r = Reservation::new(&pool);
            assert!(r.grow_to(500));
            assert!(!r.grow_to(2000));
        }
        assert_eq!(pool.used(), 0);
    }

    #[test]
    fn size_tracker_estimates_strings() {
        let mut t = SizeTracker::new();
        for _ in 0..10_000 {
            t.add(&"x".repeat(100));
        }
        let est = t.estimated_bytes();
        // 24 bytes inline + 108 serialized per string.
        assert!((1_200_000..1_400_000).contains(&est), "{est}");
    }
}
