//! Broadcast variables: a read-only value shared by every task (Spark's `Broadcast`).
//!
//! On one machine a broadcast is an `Arc`: tasks read the driver's copy, nothing is serialized or shipped, and
//! capturing a large lookup table in many closures costs one pointer each.

use std::fmt;
use std::sync::Arc;

/// A read-only value shared by all tasks; clone it into closures and read it with [`value`](Broadcast::value).
pub struct Broadcast<T> {
    id: usize,
    value: Arc<T>,
}

impl<T> Clone for Broadcast<T> {
    fn clone(&self) -> Self {
        Broadcast { id: self.id, value: Arc::clone(&self.value) }
    }
}

impl<T: fmt::Debug> fmt::Debug for Broadcast<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Broadcast").field("id", &self.id).field("value", &self.value).finish()
    }
}

impl<T> Broadcast<T> {
    pub(crate) fn new(id: usize, value: T) -> Self {
        Broadcast { id, value: Arc::new(value) }
    }

    /// Session-wide id.
    pub fn id(&self) -> usize {
        self.id
    }

    /// The shared value.
    pub fn value(&self) -> &T {
        &self.value
    }
}
