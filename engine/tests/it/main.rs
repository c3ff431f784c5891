//! The engine's integration tests: Spark Core's RDD API, checked against values worked by hand or taken from
//! Spark's documentation (each expected value says where it comes from).
//!
//! One test binary (`cargo test -p flint-engine --test it`); the helpers every module shares live here.

mod actions;
mod dataframe;
mod dataframe_ops;
mod day2;
mod dstream;
mod errors;
mod golden;
mod io;
mod labs;
mod lineage;
mod pairs;
mod persistence;
mod query_jobs;
mod read_modes;
mod sessions;
mod shared;
mod streaming;
mod streaming_golden;
mod streaming_state;
mod transformations;

use flint_engine::prelude::*;
use std::fmt::Debug;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// What a test returns: engine errors, I/O errors and the like all propagate with `?`.
pub type TestResult<T = ()> = std::result::Result<T, Box<dyn std::error::Error>>;

/// A session running `local[n]`.
pub fn session(n: usize) -> Session {
    session_with(n, &[])
}

/// A session running `local[n]` with configuration values.
pub fn session_with(n: usize, conf: &[(&str, &str)]) -> Session {
    conf.iter()
        .fold(Session::builder().app_name("it").master(format!("local[{n}]")), |b, (k, v)| b.config(*k, v))
        .build()
        .expect("building a local session")
}

/// A `local[n]` session with an [`EventLog`] listening to it.
pub fn logged_session(n: usize) -> (Session, Arc<EventLog>) {
    logged(session(n))
}

/// Registers an [`EventLog`] on a session.
pub fn logged(session: Session) -> (Session, Arc<EventLog>) {
    let log = EventLog::new();
    session.add_listener(log.clone());
    (session, log)
}

/// Sorts a vector (for comparing results whose order Spark does not define).
pub fn sorted<T: Ord>(mut v: Vec<T>) -> Vec<T> {
    v.sort();
    v
}

/// `0..n` as `i64`s, the usual test input.
pub fn numbers(n: i64) -> Vec<i64> {
    (0..n).collect()
}

/// The stages submitted so far: `(is_shuffle_map, num_tasks)`.
pub fn submitted_stages(log: &EventLog) -> Vec<(bool, usize)> {
    log.events()
        .into_iter()
        .filter_map(|e| match e {
            Event::StageSubmitted { stage, .. } => Some((stage.is_shuffle_map, stage.num_tasks)),
            _ => None,
        })
        .collect()
}

/// How many shuffle map stages were submitted (skipped ones do not count).
pub fn shuffle_map_stages(log: &EventLog) -> usize {
    submitted_stages(log).iter().filter(|(shuffle, _)| *shuffle).count()
}

/// How many tasks ended.
pub fn tasks_run(log: &EventLog) -> usize {
    log.events().iter().filter(|e| matches!(e, Event::TaskEnd { .. })).count()
}

/// How many jobs started.
pub fn jobs_run(log: &EventLog) -> usize {
    log.events().iter().filter(|e| matches!(e, Event::JobStart { .. })).count()
}

/// The sum of the completed stages' metrics.
pub fn total_metrics(log: &EventLog) -> TaskMetrics {
    let mut total = TaskMetrics::default();
    for (_, m) in log.completed_stages() {
        total.merge(&m);
    }
    total
}

/// A `map` that counts its calls, to tell a recomputation from a cache hit.
pub fn counted<T: Data>(rdd: &Rdd<T>) -> (Rdd<T>, Arc<AtomicUsize>) {
    let calls = Arc::new(AtomicUsize::new(0));
    let c = Arc::clone(&calls);
    let mapped = rdd.map(move |x| {
        c.fetch_add(1, Ordering::Relaxed);
        x
    });
    (mapped, calls)
}

/// Reads a call counter made by [`counted`].
pub fn calls(counter: &AtomicUsize) -> usize {
    counter.load(Ordering::Relaxed)
}

/// Runs `job` with its input in 1, 4 and 16 partitions, asserts the sorted results are the same at each, and
/// returns them.
pub fn same_at_1_4_16<T: Ord + Debug>(job: impl Fn(&Session, usize) -> Result<Vec<T>>) -> TestResult<Vec<T>> {
    let s = session(4);
    let reference = sorted(job(&s, 1)?);
    for partitions in [4, 16] {
        assert_eq!(sorted(job(&s, partitions)?), reference, "result differs at {partitions} partitions");
    }
    Ok(reference)
}

/// How many files there are under `dir`, recursively (spill files, disk blocks).
pub fn files_under(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|entry| {
            let path = entry.path();
            if path.is_dir() { files_under(&path) } else { 1 }
        })
        .sum()
}

/// Owned strings from string literals.
pub fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

/// `(String, V)` pairs from `(&str, V)` literals.
pub fn keyed<V: Clone>(v: &[(&str, V)]) -> Vec<(String, V)> {
    v.iter().map(|(k, x)| (k.to_string(), x.clone())).collect()
}
