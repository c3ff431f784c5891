//! Structured Streaming benchmark (run with `cargo bench -p flint-engine --bench streaming [-- --long]`):
//!
//! 1. The course's IoT windowed count: 100,000 events in 50 JSON files, one file per trigger, counts per action
//!    and 1-hour window in complete mode into the memory sink, `local[2]` — total time and the median and p95
//!    micro-batch (`triggerExecution`). PySpark 4 took 13.5 s (median batch 249 ms) here.
//! 2. A stateless filter/project stream: 20 micro-batches of 500,000 rows through `filter` + `select` into
//!    `foreach_batch`; rows per second.
//! 3. A windowed aggregation with a watermark: batches of 500,000 events, each a minute of event time, counted
//!    per 10-second window and key (100 keys) in update mode; rows per second, state rows and resident memory
//!    as it runs (20 s, or 10 minutes with `--long`), which must stay flat. The events come from a source that
//!    makes each batch when it is read and keeps nothing (a custom `Source`), so memory is the engine's.
//!
//! The IoT files are made once by `datasets/gen/generate.py iot --events 100000` into `datasets/generated/`.

use datafusion::arrow::array::{Float64Array, Int64Array, TimestampMicrosecondArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use datafusion::arrow::record_batch::RecordBatch;
use flint_engine::datasets;
use flint_engine::prelude::*;
use flint_engine::streaming::{MemoryStream, Offset, ReadLimit, Source, SourceProvider};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

fn iot_dir() -> std::result::Result<String, Box<dyn std::error::Error>> {
    let dir = datasets::path("generated/iot-events-100k");
    if !std::path::Path::new(&dir).join("part-00049.json").exists() {
        let status = Command::new("python3")
            .args([&datasets::path("gen/generate.py"), "iot", "--events", "100000", "--files", "50", "--out", &dir])
            .status()?;
        if !status.success() {
            return Err("generating the IoT files failed".into());
        }
    }
    Ok(dir)
}

fn percentile(sorted: &[u64], p: f64) -> u64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn iot(session: &Session) -> std::result::Result<(), Box<dyn std::error::Error>> {
    let dir = iot_dir()?;
    let schema = Arc::new(Schema::new(vec![
        Field::new("time", DataType::Timestamp(TimeUnit::Microsecond, None), true),
        Field::new("action", DataType::Utf8, true),
    ]));
    let started = Instant::now();
    let stream = session.read_stream().schema(schema).option("maxFilesPerTrigger", 1).json(&dir)?;
    let query = stream
        .group_by([col("action"), window(col("time"), "1 hour", None)?])
        .count()?
        .write_stream()
        .format("memory")
        .query_name("iot_bench")
        .output_mode("complete")
        .start()?;
    query.process_all_available()?;
    let total = started.elapsed();
    query.stop()?;
    let progress = query.recent_progress();
    let mut batches: Vec<u64> = progress.iter().map(|p| p.duration_ms["triggerExecution"]).collect();
    batches.sort_unstable();
    let rows: u64 = session.sql("SELECT sum(count) AS n FROM iot_bench")?.collect()?[0].get_at::<i64>(0)? as u64;
    println!(
        "iot windowed count, 100k events, 50 files  {:7.3} s total   {} batches   median {} ms   p95 {} ms   {} events",
        total.as_secs_f64(),
        batches.len(),
        percentile(&batches, 0.5),
        percentile(&batches, 0.95),
        rows
    );
    Ok(())
}

fn stateless(session: &Session) -> Result<()> {
    const BATCHES: usize = 20;
    const ROWS: usize = 500_000;
    let schema = Arc::new(Schema::new(vec![
        Field::new("id", DataType::Int64, false),
        Field::new("x", DataType::Float64, false),
    ]));
    let input = MemoryStream::new(session, Arc::clone(&schema));
    let out = Arc::new(AtomicU64::new(0));
    let seen = Arc::clone(&out);
    let query = input
        .to_df()?
        .filter(col("x").gt(lit(0.5)))?
        .select([col("id"), (col("x") * lit(2.0)).alias("y")])?
        .write_stream()
        .foreach_batch(move |df, _| {
            seen.fetch_add(df.count()?, Ordering::Relaxed);
            Ok(())
        })
        .start()?;
    let batches: Vec<RecordBatch> = (0..BATCHES)
        .map(|b| {
            let ids = Int64Array::from_iter_values((0..ROWS).map(|i| (b * ROWS + i) as i64));
            let xs = Float64Array::from_iter_values((0..ROWS).map(|i| ((i * 7919) % 1000) as f64 / 1000.0));
            RecordBatch::try_new(Arc::clone(&schema), vec![Arc::new(ids), Arc::new(xs)])
        })
        .collect::<std::result::Result<_, _>>()?;
    let started = Instant::now();
    for b in batches {
        input.add_batches(vec![b])?;
        query.process_all_available()?;
    }
    let elapsed = started.elapsed();
    query.stop()?;
    let rows = (BATCHES * ROWS) as f64;
    println!(
        "stateless filter + project                {:7.3} s   {:6.2} M rows/s in   {} rows out",
        elapsed.as_secs_f64(),
        rows / elapsed.as_secs_f64() / 1e6,
        out.load(Ordering::Relaxed)
    );
    Ok(())
}

fn rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

/// Events made on demand, a batch at a time, and forgotten once read: a source that keeps nothing, so the
/// process's memory is the engine's own (a `MemoryStream` keeps every batch for replays).
struct Events {
    schema: SchemaRef,
    available: AtomicU64,
}

const EVENTS_PER_BATCH: usize = 500_000;

impl Events {
    /// Batch `b`: a minute of event time, `EVENTS_PER_BATCH` events spread over it, 100 keys.
    fn batch(&self, b: u64) -> Result<RecordBatch> {
        let base = b as i64 * 60_000_000;
        let n = EVENTS_PER_BATCH as i64;
        let times = TimestampMicrosecondArray::from_iter_values((0..n).map(|i| base + i * 60_000_000 / n));
        let keys = Int64Array::from_iter_values((0..n).map(|i| i % 100));
        Ok(RecordBatch::try_new(Arc::clone(&self.schema), vec![Arc::new(times), Arc::new(keys)])?)
    }
}

impl Source for Events {
    fn schema(&self) -> SchemaRef {
        Arc::clone(&self.schema)
    }

    fn latest_offset(&self, _start: Option<&Offset>, _limit: ReadLimit) -> Result<Option<Offset>> {
        let n = self.available.load(Ordering::SeqCst);
        Ok((n > 0).then(|| Offset::log_offset(n)))
    }

    fn get_batch(&self, start: Option<&Offset>, end: &Offset) -> Result<Vec<RecordBatch>> {
        let from = start.and_then(Offset::as_log_offset).unwrap_or(0);
        (from..end.as_log_offset().unwrap_or(from)).map(|b| self.batch(b)).collect()
    }

    fn description(&self) -> String {
        "Events".to_string()
    }
}

struct EventsProvider(Arc<Events>);

impl SourceProvider for EventsProvider {
    fn schema(&self) -> SchemaRef {
        Arc::clone(&self.0.schema)
    }

    fn create(&self, _metadata_dir: Option<&std::path::Path>) -> Result<Arc<dyn Source>> {
        Ok(Arc::clone(&self.0) as Arc<dyn Source>)
    }

    fn description(&self) -> String {
        "Events".to_string()
    }
}

fn windowed(session: &Session, run_for: Duration) -> Result<()> {
    let events = Arc::new(Events {
        schema: Arc::new(Schema::new(vec![
            Field::new("time", DataType::Timestamp(TimeUnit::Microsecond, None), false),
            Field::new("key", DataType::Int64, false),
        ])),
        available: AtomicU64::new(0),
    });
    let query = session
        .read_stream()
        .source(Arc::new(EventsProvider(Arc::clone(&events))))?
        .with_watermark("time", "10 seconds")?
        .group_by([window(col("time"), "10 seconds", None)?, col("key")])
        .count()?
        .write_stream()
        .output_mode("update")
        .foreach_batch(|_, _| Ok(()))
        .start()?;
    let started = Instant::now();
    let mut batches = 0u64;
    let mut report = Duration::ZERO;
    let mut states = Vec::new();
    while started.elapsed() < run_for {
        batches = events.available.fetch_add(1, Ordering::SeqCst) + 1;
        query.process_all_available()?;
        if let Some(p) = query.last_progress() {
            states.push(p.state_operators.first().map_or(0, |s| s.num_rows_total));
        }
        if started.elapsed() >= report {
            println!(
                "  after {:5.0} s: {:4} batches, state {} rows, rss {:.0} MB",
                started.elapsed().as_secs_f64(),
                batches,
                states.last().copied().unwrap_or(0),
                rss_mb()
            );
            report += run_for / 5;
        }
    }
    let elapsed = started.elapsed();
    query.stop()?;
    println!(
        "windowed count with watermark              {:7.3} s   {:6.2} M rows/s   state max {} rows   rss {:.0} MB",
        elapsed.as_secs_f64(),
        (batches * EVENTS_PER_BATCH as u64) as f64 / elapsed.as_secs_f64() / 1e6,
        states.iter().max().copied().unwrap_or(0),
        rss_mb()
    );
    Ok(())
}

fn main() -> std::result::Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let long = args.iter().any(|a| a == "--long");
    let only: Vec<&String> = args.iter().filter(|a| !a.starts_with("--")).collect();
    let wanted = |name: &str| only.is_empty() || only.iter().any(|o| name.contains(o.as_str()));
    let session = Session::builder().app_name("bench-streaming").master("local[2]").build()?;
    if wanted("iot") {
        iot(&session)?;
    }
    if wanted("stateless") {
        stateless(&session)?;
    }
    if wanted("windowed") {
        windowed(&session, if long { Duration::from_secs(600) } else { Duration::from_secs(20) })?;
    }
    Ok(())
}
