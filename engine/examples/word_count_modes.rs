//! The course's streaming word count under each output mode, as on its slides: the same three micro-batches of
//! lines (`"cat dog" / "dog dog" / "owl cat"`), and what each mode writes to the console.
//!
//! - `complete`: every count, every batch;
//! - `update`: only the counts a batch changed;
//! - `append`: only final rows — for an aggregation that means event-time windows closed by a watermark, so the
//!   append query counts words per 10-second window of their event time, with a 10-second watermark.
//!
//! Run: `cargo run -p flint-engine --example word_count_modes`

use flint_engine::prelude::*;
use flint_engine::streaming::MemoryStream;

/// Lines with their event time (seconds after 12:00:00).
fn lines(session: &Session, rows: &[(u32, &str)]) -> Result<DataFrame> {
    let selects: Vec<String> = rows
        .iter()
        .map(|(s, text)| {
            format!("SELECT CAST('2024-01-01 12:00:00' AS TIMESTAMP) + INTERVAL '{s}' SECOND AS time, '{text}' AS line")
        })
        .collect();
    session.sql(&selects.join(" UNION ALL "))
}

/// The word count of a stream of lines: per word, or (for append mode) per word and 10-second window.
fn word_counts(lines: &DataFrame, mode: &str) -> Result<DataFrame> {
    let words = lines.select([col("time"), explode(split(col("line"), " ")).alias("word")])?;
    if mode == "append" {
        words
            .with_watermark("time", "10 seconds")?
            .group_by([window(col("time"), "10 seconds", None)?, col("word")])
            .count()
    } else {
        words.group_by(["word"]).count()
    }
}

fn main() -> Result<()> {
    let session = Session::builder().app_name("WordCountModes").master("local[2]").get_or_create()?;
    let batches = [vec![(1, "cat dog")], vec![(4, "dog dog")], vec![(12, "owl cat"), (25, "cat")]];
    for mode in ["complete", "update", "append"] {
        println!("==================== output mode: {mode} ====================");
        let input = MemoryStream::new(&session, lines(&session, &batches[0])?.schema());
        let query = word_counts(&input.to_df()?, mode)?.write_stream().output_mode(mode).format("console").start()?;
        for batch in &batches {
            input.add_data(lines(&session, batch)?)?;
            query.process_all_available()?;
        }
        query.stop()?;
    }
    Ok(())
}
