//! Late data and watermarks (the course's example): counts per 10-minute window of event time with a
//! 10-minute watermark, in update mode. An event arriving after the watermark has passed its window is dropped
//! (and counted in the progress report), and closed windows leave the state.
//!
//! Run: `cargo run -p flint-engine --example late_data`

use flint_engine::prelude::*;
use flint_engine::streaming::MemoryStream;

fn events(session: &Session, rows: &[(&str, &str)]) -> Result<DataFrame> {
    let selects: Vec<String> = rows
        .iter()
        .map(|(t, w)| format!("SELECT CAST('2024-01-01 {t}:00' AS TIMESTAMP) AS time, '{w}' AS word"))
        .collect();
    session.sql(&selects.join(" UNION ALL "))
}

fn main() -> Result<()> {
    let session = Session::builder().app_name("LateData").master("local[2]").get_or_create()?;
    let input = MemoryStream::new(&session, events(&session, &[("12:00", "x")])?.schema());
    let query = input
        .to_df()?
        .with_watermark("time", "10 minutes")?
        .group_by([window(col("time"), "10 minutes", None)?, col("word")])
        .count()?
        .write_stream()
        .output_mode("update")
        .format("console")
        .option("truncate", "false")
        .start()?;
    let triggers = [
        vec![("12:07", "dog"), ("12:08", "owl")],
        vec![("12:14", "dog"), ("12:09", "cat")],
        vec![("12:15", "cat"), ("12:08", "dog"), ("12:13", "owl"), ("12:21", "owl")],
        // 12:04 is late: the watermark is 12:11 (12:21 − 10 minutes) and its window ended at 12:10.
        vec![("12:04", "donkey"), ("12:26", "owl")],
    ];
    for rows in &triggers {
        input.add_data(events(&session, rows)?)?;
        query.process_all_available()?;
        if let Some(p) = query.last_progress() {
            let dropped: u64 = query
                .recent_progress()
                .iter()
                .flat_map(|p| &p.state_operators)
                .map(|s| s.num_rows_dropped_by_watermark)
                .sum();
            println!(
                "watermark {}  state rows {}  late rows dropped so far {dropped}\n",
                p.event_time.get("watermark").map_or("-", String::as_str),
                p.state_operators.first().map_or(0, |s| s.num_rows_total)
            );
        }
    }
    query.stop()?;
    Ok(())
}
