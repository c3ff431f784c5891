//! Day 2 — persistence: an RDD used by two actions is computed once when cached; the listener's metrics show
//! the second action reading the cached partitions instead of the file.
//!
//! Run: `cargo run -p flint-engine --example persistence`

use flint_engine::prelude::*;
use std::time::{Duration, Instant};

/// What one action cost: wall time, records read from the source file, partitions served from the cache.
#[derive(Debug, Clone, Copy)]
pub struct ActionCost {
    /// Wall time of the action.
    pub time: Duration,
    /// Records read (from the file, or from cached blocks).
    pub records_read: u64,
    /// Partitions read from the block store.
    pub cache_hits: u64,
}

/// Runs `count` then `sum` over parsed ratings, cached at `level` (or not when `None`), and reports each cost.
pub fn two_actions(session: &Session, path: &str, level: Option<StorageLevel>) -> Result<[ActionCost; 2]> {
    let log = EventLog::new();
    session.add_listener(log.clone());
    let ratings =
        session.text_file(path, 2)?.flat_map(|line| line.split('\t').nth(2).and_then(|r| r.parse::<u32>().ok()));
    let ratings = match level {
        Some(level) => ratings.persist(level)?,
        None => ratings,
    };
    let mut costs = Vec::with_capacity(2);
    for action in 0..2 {
        log.clear();
        let started = Instant::now();
        let _total = if action == 0 { ratings.count()? as f64 } else { ratings.sum()? };
        let time = started.elapsed();
        let metrics = log.completed_stages().into_iter().fold(TaskMetrics::default(), |mut total, (_, m)| {
            total.merge(&m);
            total
        });
        costs.push(ActionCost { time, records_read: metrics.records_read, cache_hits: metrics.cache_hits });
    }
    Ok([costs[0], costs[1]])
}

fn main() -> Result<()> {
    let session = Session::builder().app_name("Persistence").get_or_create()?;
    let path = datasets::path("film.data");
    for (label, level) in [("not cached", None), ("cached", Some(StorageLevel::MEMORY_ONLY))] {
        let [first, second] = two_actions(&session, &path, level)?;
        println!(
            "{label:>10}: count {:?} ({} records read), then sum {:?} ({} records read, {} cached partitions)",
            first.time, first.records_read, second.time, second.records_read, second.cache_hits
        );
    }
    Ok(())
}
