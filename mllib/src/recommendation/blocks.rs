//! ALS's rating blocks: the ratings grouped by user (and, separately, by item), each block a compressed table
//! of "who rated what", cached for the iterations.
//!
//! Each half-iteration solves every user of every block from the item factors (and then every item from the
//! user factors). Spark ships to each block only the factors it needs; on one machine the whole factor matrix
//! is shared by reference with every task, so the blocks keep just their ratings.

use super::Rating;
use crate::blocks::Shared;
use crate::error::Result;
use flint_engine::Rdd;
use flint_engine::StorageLevel;
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// The ratings of a set of users (or items): for source `s`, `dst[ptr[s]..ptr[s+1]]` are the indices of what it
/// rated and `ratings[..]` the ratings.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct InBlock {
    /// Indices (into the factor matrix) of the sources of this block.
    pub(crate) src: Vec<u32>,
    pub(crate) ptr: Vec<usize>,
    pub(crate) dst: Vec<u32>,
    pub(crate) ratings: Vec<f32>,
}

/// Dense indices of the distinct ids, in increasing id order.
#[derive(Debug, Clone, Default)]
pub(crate) struct IdIndex {
    pub(crate) ids: Vec<i32>,
    pub(crate) index: FxHashMap<i32, u32>,
}

impl IdIndex {
    pub(crate) fn new(mut ids: Vec<i32>) -> Self {
        ids.sort_unstable();
        ids.dedup();
        let index = ids.iter().enumerate().map(|(i, &id)| (id, i as u32)).collect();
        IdIndex { ids, index }
    }

    pub(crate) fn len(&self) -> usize {
        self.ids.len()
    }
}

/// The in-blocks of one side: ratings keyed by `src(rating)`, in `num_blocks` blocks (by index modulo).
pub(crate) fn in_blocks(
    ratings: &Rdd<Rating>,
    src_index: Arc<IdIndex>,
    dst_index: Arc<IdIndex>,
    by_user: bool,
    num_blocks: usize,
) -> Result<Rdd<Shared<InBlock>>> {
    let keyed = ratings.flat_map(move |r| {
        let (s, d) = if by_user { (r.user, r.product) } else { (r.product, r.user) };
        let (s, d) = (src_index.index.get(&s).copied(), dst_index.index.get(&d).copied());
        s.zip(d).map(|(s, d)| ((s as usize % num_blocks) as u32, (s, d, r.rating as f32)))
    });
    let blocks = keyed.group_by_key_with_partitions(num_blocks).map(|(_, mut entries)| {
        entries.sort_unstable_by_key(|&(s, d, _)| (s, d));
        let mut block = InBlock { ptr: vec![0], ..InBlock::default() };
        for (s, d, r) in entries {
            if block.src.last() != Some(&s) {
                if !block.src.is_empty() {
                    block.ptr.push(block.dst.len());
                }
                block.src.push(s);
            }
            block.dst.push(d);
            block.ratings.push(r);
        }
        if !block.src.is_empty() {
            block.ptr.push(block.dst.len());
        }
        Shared(Arc::new(block))
    });
    Ok(blocks.persist(StorageLevel::MEMORY_AND_DISK)?)
}
