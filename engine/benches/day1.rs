//! Day-1 benchmark: prints the figures the foundation issue asks for (run with
//! `cargo bench -p flint-engine --bench day1`).
//!
//! - start to first result: building a session and running a first small job;
//! - word count on `book.txt`, the ratings histogram on 10M ratings, the spend per customer on 10M orders:
//!   median wall time of several runs with the RDD API and its closures, on `local[*]`;
//! - the peak resident memory of the process after each, against the input size.
//!
//! The 10M-row inputs are generated on first use into `datasets/generated/` by `datasets/gen/generate.py`.

#[allow(dead_code)]
#[path = "../examples/customer_spend.rs"]
mod customer_spend;
#[allow(dead_code)]
#[path = "../examples/ratings_histogram.rs"]
mod ratings_histogram;
#[allow(dead_code)]
#[path = "../examples/word_count.rs"]
mod word_count;

use flint_engine::prelude::*;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

const RUNS: usize = 5;

// A text source makes one `String` per line, and glibc's allocator cost a quarter of the histogram's time here;
// the program chooses its allocator (Polars' own builds ship mimalloc or jemalloc too).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Peak resident set size of this process (`VmHWM`), in bytes.
fn peak_rss() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|kb| kb.parse::<u64>().ok()))
        })
        .map_or(0, |kb| kb * 1024)
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn time_runs<T>(mut f: impl FnMut() -> Result<T>) -> Result<(Duration, T)> {
    let mut times = Vec::with_capacity(RUNS);
    let mut last = None;
    for _ in 0..RUNS {
        let started = Instant::now();
        last = Some(f()?);
        times.push(started.elapsed());
    }
    let value = last.ok_or_else(|| Error::Internal("no benchmark run".into()))?;
    Ok((median(times), value))
}

fn ensure_large_inputs() -> std::io::Result<()> {
    let dir = datasets::dir().join("generated");
    if dir.join("film-10m.data").exists() && dir.join("customer-orders-10m.csv").exists() {
        return Ok(());
    }
    eprintln!("generating the 10M-row inputs into {} (about a minute)…", dir.display());
    let status = Command::new("python3")
        .arg(datasets::dir().join("gen/generate.py"))
        .args(["large", "--size", "10m", "--out"])
        .arg(&dir)
        .status()?;
    if status.success() { Ok(()) } else { Err(std::io::Error::other(format!("generator failed: {status}"))) }
}

fn size_mb(path: &str) -> f64 {
    std::fs::metadata(Path::new(path)).map_or(0.0, |m| m.len() as f64 / 1e6)
}

/// The stages of the last job group in `events` (from the last run's first job on), with their wall times.
fn print_last_run_stages(events: &[Event]) {
    let jobs_per_run = events.iter().filter(|e| matches!(e, Event::JobStart { .. })).count() / RUNS;
    let starts: Vec<usize> =
        events.iter().enumerate().filter(|(_, e)| matches!(e, Event::JobStart { .. })).map(|(i, _)| i).collect();
    let from = starts.len().checked_sub(jobs_per_run.max(1)).map_or(0, |i| starts[i]);
    for event in &events[from..] {
        match event {
            Event::JobStart { description, .. } => println!("    job {description}"),
            Event::StageCompleted { stage, duration, metrics, .. } => println!(
                "      stage {:<48} {:3} tasks {:8.4} s  {} records read",
                stage.name,
                stage.num_tasks,
                duration.as_secs_f64(),
                metrics.records_read + metrics.shuffle_records_read
            ),
            Event::StageSkipped { stage, .. } => println!("      stage {:<48} skipped", stage.name),
            Event::JobEnd { duration, .. } => println!("    job took {:.4} s", duration.as_secs_f64()),
            _ => {}
        }
    }
}

fn main() -> std::result::Result<(), Box<dyn std::error::Error>> {
    ensure_large_inputs()?;
    let started = Instant::now();
    let session = Session::builder().app_name("bench-day1").master("local[*]").build()?;
    let first = session.parallelize((0..1000i64).collect(), 2).map(|x| x * 2).sum()?;
    let first_result = started.elapsed();
    assert_eq!(first, 999_000.0);
    let partitions = session.default_parallelism();
    println!("flint day-1 benchmark on local[{}]", session.default_parallelism());
    println!("start to first result          {:8.4} s", first_result.as_secs_f64());

    // `cargo bench` passes `--bench`; any other argument picks the figures to measure (e.g. `histogram`, for
    // profiling one workload).
    let only: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with("--")).collect();
    let wanted = |name: &str| only.is_empty() || only.iter().any(|o| name.contains(o.as_str()));
    // `--stages` also prints the stages of each workload's last run, to see where its time goes.
    let stages = std::env::args().any(|a| a == "--stages");
    let log = EventLog::new();
    session.add_listener(log.clone());

    // Times one workload over `path` and prints its line: name, input size, median time, result size, peak RSS.
    let measure = |name: &str, path: &str, unit: &str, run: &dyn Fn(&str) -> Result<usize>| -> Result<()> {
        if wanted(name) {
            let (t, results) = time_runs(|| run(path))?;
            println!(
                "{name:<18} ({:6.1} MB) {:8.4} s   {results} {unit}   peak RSS {:.0} MB",
                size_mb(path),
                t.as_secs_f64(),
                peak_rss() as f64 / 1e6
            );
            if stages {
                print_last_run_stages(&log.events());
            }
            log.clear();
        }
        Ok(())
    };
    measure("word count", &datasets::path("book.txt"), "distinct words", &|p| {
        Ok(word_count::word_count(&session, p, partitions)?.len())
    })?;
    measure("ratings histogram", &datasets::path("generated/film-10m.data"), "buckets", &|p| {
        Ok(ratings_histogram::ratings_histogram(&session, p, partitions)?.len())
    })?;
    measure("spend per customer", &datasets::path("generated/customer-orders-10m.csv"), "customers", &|p| {
        Ok(customer_spend::customer_spend(&session, p, partitions)?.len())
    })?;
    Ok(())
}
