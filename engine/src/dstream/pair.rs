//! Operations on streams of key-value pairs (Spark's `PairDStreamFunctions`). Per-key shuffles go into the
//! session's default parallelism of partitions, as Spark's default partitioner for streams.

use super::{DStream, Node, lock, state};
use crate::error::{Error, Result};
use crate::rdd::{Data, Rdd};
use crate::scheduler::TaskContext;
use crate::storage::StorageLevel;
use std::hash::Hash;
use std::panic::Location;
use std::sync::Arc;
use std::time::Duration;

type Reduce<V> = Arc<dyn Fn(V, V) -> V + Send + Sync>;
type KeepPair<K, V> = Arc<dyn Fn(&(K, V)) -> bool + Send + Sync>;
/// What an incremental window merges per key: the previous window's value, and the reductions of the batches
/// that left the window and of those that entered it.
type Slots<V> = [Option<V>; 3];
const PREVIOUS: usize = 0;
const LEFT: usize = 1;
const ENTERED: usize = 2;

fn put<V>(mut slots: Slots<V>, slot: usize, v: V, f: &Reduce<V>) -> Slots<V> {
    slots[slot] = Some(match slots[slot].take() {
        Some(acc) => f(acc, v),
        None => v,
    });
    slots
}

impl<K: Data + Hash + Eq, V: Data> DStream<(K, V)> {
    fn partitions(&self) -> usize {
        self.node.core.session.default_parallelism()
    }

    /// Applies `f` to each value, keeping keys.
    pub fn map_values<U: Data>(&self, f: impl Fn(V) -> U + Send + Sync + 'static) -> Result<DStream<(K, U)>> {
        let f = Arc::new(f);
        self.derive("MapValuedDStream", move |rdd| {
            let f = Arc::clone(&f);
            Ok(rdd.map_values(move |v| f(v)))
        })
    }

    /// Merges the values of each key in each batch with an associative and commutative `f`.
    pub fn reduce_by_key(&self, f: impl Fn(V, V) -> V + Send + Sync + 'static) -> Result<DStream<(K, V)>> {
        self.reduce_by_key_into(Arc::new(f), self.partitions())
    }

    fn reduce_by_key_into(&self, f: Reduce<V>, partitions: usize) -> Result<DStream<(K, V)>> {
        self.derive("ShuffledDStream", move |rdd| {
            let f = Arc::clone(&f);
            Ok(rdd.reduce_by_key_with_partitions(move |a, b| f(a, b), partitions))
        })
    }

    /// Groups the values of each key in each batch.
    pub fn group_by_key(&self) -> Result<DStream<(K, Vec<V>)>> {
        let partitions = self.partitions();
        self.derive("ShuffledDStream", move |rdd| Ok(rdd.group_by_key_with_partitions(partitions)))
    }

    /// Every `slide_duration`, the values of each key over the last `window_duration` merged with `f` (Spark's
    /// `reduceByKeyAndWindow(func, windowDuration, slideDuration)`): each batch is reduced by key, then the
    /// window's reductions are.
    pub fn reduce_by_key_and_window(
        &self,
        f: impl Fn(V, V) -> V + Send + Sync + 'static,
        window_duration: Duration,
        slide_duration: Duration,
    ) -> Result<DStream<(K, V)>> {
        let f: Reduce<V> = Arc::new(f);
        let windows =
            self.reduce_by_key_into(Arc::clone(&f), self.partitions())?.window(window_duration, slide_duration)?;
        windows.reduce_by_key_into(f, self.partitions())
    }

    /// [`reduce_by_key_and_window`](Self::reduce_by_key_and_window) computed incrementally, as Spark's
    /// `reduceByKeyAndWindow(func, invFunc, windowDuration, slideDuration)`: each key's value of the previous
    /// window, with `inv_f` taking out the batches that left the window and `f` adding those that entered. Cheaper
    /// for long windows; needs a checkpoint directory, as in Spark. As in Spark, a key stays (with the value its
    /// inverse gives, e.g. a count of 0) after all its values have left the window: use
    /// [`reduce_by_key_and_window_inv_with_filter`](Self::reduce_by_key_and_window_inv_with_filter) to drop it.
    pub fn reduce_by_key_and_window_inv(
        &self,
        f: impl Fn(V, V) -> V + Send + Sync + 'static,
        inv_f: impl Fn(V, V) -> V + Send + Sync + 'static,
        window_duration: Duration,
        slide_duration: Duration,
    ) -> Result<DStream<(K, V)>> {
        self.reduced_window(Arc::new(f), Arc::new(inv_f), window_duration, slide_duration, None, self.partitions())
    }

    /// [`reduce_by_key_and_window_inv`](Self::reduce_by_key_and_window_inv) keeping only the pairs for which
    /// `filter` is true in the window's state (Spark's `filterFunc`), e.g. `|(_, count)| *count > 0`.
    pub fn reduce_by_key_and_window_inv_with_filter(
        &self,
        f: impl Fn(V, V) -> V + Send + Sync + 'static,
        inv_f: impl Fn(V, V) -> V + Send + Sync + 'static,
        window_duration: Duration,
        slide_duration: Duration,
        filter: impl Fn(&(K, V)) -> bool + Send + Sync + 'static,
    ) -> Result<DStream<(K, V)>> {
        let (f, inv_f) = (Arc::new(f), Arc::new(inv_f));
        self.reduced_window(f, inv_f, window_duration, slide_duration, Some(Arc::new(filter)), self.partitions())
    }

    /// Spark's `ReducedWindowedDStream`.
    pub(super) fn reduced_window(
        &self,
        f: Reduce<V>,
        inv_f: Reduce<V>,
        window_duration: Duration,
        slide_duration: Duration,
        filter: Option<KeepPair<K, V>>,
        partitions: usize,
    ) -> Result<DStream<(K, V)>> {
        let reduced = self.reduce_by_key_into(Arc::clone(&f), partitions)?;
        let (window_ms, slide_ms) = reduced.window_params(window_duration, slide_duration)?;
        let parent = Arc::clone(&reduced.node);
        let core = Arc::clone(&self.node.core);
        let index = core.next_state_index();
        let compute = move |this: &Node<(K, V)>, time: i64| {
            let step = parent.slide_ms;
            // The previous window ends one slide ago; the batches in it but not in this one left, those in this
            // one but not in it entered.
            let (begin, previous_end) = (time - window_ms + step, time - slide_ms);
            let left = parent.slice(begin - slide_ms, begin - step)?;
            let entered = parent.slice(previous_end + step, time)?;
            let previous = this.get_or_compute(previous_end)?;
            let tagged = |slot: usize, rdds: &[Rdd<(K, V)>]| -> Vec<Rdd<(K, (usize, V))>> {
                rdds.iter().map(|rdd| rdd.map(move |(k, v)| (k, (slot, v)))).collect()
            };
            let mut parts = tagged(PREVIOUS, previous.as_slice());
            parts.extend(tagged(LEFT, &left));
            parts.extend(tagged(ENTERED, &entered));
            let (f1, f2, f3) = (Arc::clone(&f), Arc::clone(&f), Arc::clone(&f));
            let slots = core.session.union(&parts).combine_by_key_with_partitions(
                move |(slot, v)| put([None, None, None], slot, v, &f1),
                move |slots, (slot, v)| put(slots, slot, v, &f2),
                move |a: Slots<V>, b: Slots<V>| {
                    let [p, l, e] = b;
                    [(PREVIOUS, p), (LEFT, l), (ENTERED, e)].into_iter().fold(a, |acc, (slot, v)| match v {
                        Some(v) => put(acc, slot, v, &f3),
                        None => acc,
                    })
                },
                partitions,
            );
            let (f, inv_f, filter) = (Arc::clone(&f), Arc::clone(&inv_f), filter.clone());
            let merged = slots.flat_map(move |(k, [previous, left, entered])| {
                let value = match (previous, entered) {
                    (Some(mut value), entered) => {
                        if let Some(left) = left {
                            value = inv_f(value, left);
                        }
                        if let Some(entered) = entered {
                            value = f(value, entered);
                        }
                        value
                    }
                    (None, Some(entered)) => entered,
                    (None, None) => {
                        // A key can only leave a window it was in: its key hashes or compares inconsistently.
                        if let Some(tc) = TaskContext::get() {
                            tc.fail(Error::Execution(
                                "Neither previous window has value for key, nor new values found. Are you sure \
                                 your key class hashes consistently?"
                                    .into(),
                            ));
                        }
                        return None;
                    }
                };
                let pair = (k, value);
                filter.as_ref().is_none_or(|keep| keep(&pair)).then_some(pair)
            });
            Ok(Some(state::materialize(&core, index, time, &merged)?))
        };
        let node = Node::new(&self.node.core, "ReducedWindowedDStream", slide_ms, vec![reduced.as_parent()], compute);
        let window = DStream::create(node.windowed(window_ms).checkpointed())?;
        // Each batch's reduction is read twice: when it enters the window and when it leaves.
        *lock(&reduced.node.storage) = StorageLevel::MEMORY_ONLY_SER;
        Ok(window)
    }

    /// A state per key, updated every batch by `f(new values of the key, previous state)` (Spark's
    /// `updateStateByKey`): `f` runs for every key with a state or new values, `None` removes the key. Needs a
    /// checkpoint directory, as in Spark; the state is written there every batch, and
    /// [`get_or_create`](super::StreamingContext::get_or_create) starts from it.
    #[track_caller]
    pub fn update_state_by_key<S: Data>(
        &self,
        f: impl Fn(&[V], Option<S>) -> Option<S> + Send + Sync + 'static,
    ) -> Result<DStream<(K, S)>> {
        let site = Location::caller();
        let f = Arc::new(f);
        let parent = Arc::clone(&self.node);
        let core = Arc::clone(&self.node.core);
        let (index, partitions, slide) = (core.next_state_index(), self.partitions(), self.node.slide_ms);
        let compute = move |this: &Node<(K, S)>, time: i64| {
            let session = &core.session;
            let previous = if core.is_valid_time(time - slide, slide) {
                this.get_or_compute(time - slide)?
            } else {
                state::recovered(&core, index)?
            };
            let previous = previous.unwrap_or_else(|| session.empty_rdd());
            let new = parent.get_or_compute(time)?.unwrap_or_else(|| session.empty_rdd());
            let f = Arc::clone(&f);
            let updated = previous
                .cogroup_at(&new, partitions, "update_state_by_key", site)
                .flat_map(move |(k, (mut states, values))| f(&values, states.pop()).map(|s| (k, s)));
            Ok(Some(state::materialize(&core, index, time, &updated)?))
        };
        let node = Node::new(&self.node.core, "StateDStream", slide, vec![self.as_parent()], compute);
        DStream::create(node.checkpointed())
    }
}
