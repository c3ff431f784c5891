//! The course's Structured Streaming lab on IoT events (`datasets/iot-events`: 50 JSON files of
//! `{"time", "action": "Open" | "Close"}`):
//!
//! 1. the static counts per action (`session.read().json`), then
//! 2. the same query as a stream, one file per trigger (`maxFilesPerTrigger = 1`), its running counts in a
//!    memory sink queried with SQL while the stream runs, and
//! 3. the counts per action and 1-hour event-time window, in a memory sink queried with SQL.
//!
//! Run: `cargo run -p flint-engine --example iot_streaming`

use arrow::datatypes::{DataType, Field, Schema, TimeUnit};
use flint_engine::prelude::*;
use std::sync::Arc;

fn main() -> Result<()> {
    let session = Session::builder().app_name("IoTStreaming").master("local[2]").get_or_create()?;
    let input = datasets::path("iot-events");
    // The lab declares the schema: a stream needs one, and `time` (unix seconds in the files) is a timestamp.
    let schema = Arc::new(Schema::new(vec![
        Field::new("time", DataType::Timestamp(TimeUnit::Microsecond, None), true),
        Field::new("action", DataType::Utf8, true),
    ]));

    let static_df = session.read().schema(Arc::clone(&schema)).json(&input)?;
    println!("Static counts per action:");
    static_df.group_by(["action"]).count()?.order_by([col("action")])?.show()?;

    let stream = session.read_stream().schema(schema).option("maxFilesPerTrigger", 1).json(&input)?;
    println!("is_streaming: {}", stream.is_streaming());
    let counts = stream
        .group_by(["action"])
        .count()?
        .write_stream()
        .format("memory")
        .query_name("counts")
        .output_mode("complete")
        .start()?;
    // Poll the sink while files are consumed, one per micro-batch.
    while counts.recent_progress().len() < 5 {
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    println!("After 5 of 50 files:");
    session.sql("SELECT action, count FROM counts ORDER BY action")?.show()?;
    counts.process_all_available()?;
    println!("After all 50 files ({} micro-batches):", counts.recent_progress().len());
    session.sql("SELECT action, count FROM counts ORDER BY action")?.show()?;
    if let Some(progress) = counts.last_progress() {
        println!("Last progress:\n{}", progress.json());
    }
    counts.stop()?;

    let windows = stream
        .group_by([col("action"), window(col("time"), "1 hour", None)?])
        .count()?
        .write_stream()
        .format("memory")
        .query_name("windowed")
        .output_mode("complete")
        .start()?;
    windows.process_all_available()?;
    println!("Events per action and hour:");
    session
        .sql(
            "SELECT action, date_format(window.end, 'MMM-dd HH:mm') AS time, count FROM windowed \
             ORDER BY time, action",
        )?
        .show()?;
    windows.stop()?;
    Ok(())
}
