//! DStreams — a word count over a sliding window: lines arrive as one RDD per one-second batch (a queue stream
//! stands in for a socket, so the example needs no network), words are counted over the last three batches,
//! every batch, and printed in Spark's `print()` format.
//!
//! Run: `cargo run -p flint-engine --example dstream_word_count`

use flint_engine::dstream::RddQueue;
use flint_engine::prelude::*;
use std::time::Duration;

fn main() -> Result<()> {
    let session = Session::builder().app_name("DStreamWordCount").get_or_create()?;
    let ssc = StreamingContext::new(&session, Duration::from_secs(1))?;
    let lines = RddQueue::new();
    let batches = ["to be or not to be", "that is the question", "to be", "whether tis nobler"];
    for text in batches {
        lines.push(session.parallelize(vec![text.to_string()], 1));
    }
    let counts = ssc
        .queue_stream(lines, true)?
        .flat_map(|line| line.split_whitespace().map(str::to_string).collect::<Vec<_>>())?
        .map(|word| (word, 1u32))?
        .reduce_by_key_and_window(|a, b| a + b, Duration::from_secs(3), Duration::from_secs(1))?
        // Most frequent first, then by word, so that the output does not depend on partitioning.
        .transform(|rdd| Ok(rdd.sort_by(|(word, count)| (std::cmp::Reverse(*count), word.clone()), true)))?;
    counts.print_n(5)?;
    // One batch per line, and one more in which the first lines have left the window. `ssc.start()` would run
    // them every second instead; `run_batches` runs them now, at 1000 ms, 2000 ms, …
    ssc.run_batches(batches.len() + 1)?;
    ssc.stop(false)
}
