//! Structured Streaming: micro-batches from a memory stream, sinks, triggers, Spark's output-mode rules, and
//! checkpoints (restart, replay of an uncommitted batch with the same input, corrupt and foreign checkpoints).

use crate::{TestResult, session};
use flint_engine::prelude::*;
use flint_engine::streaming::{MemoryStream, Trigger};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

fn numbers(s: &Session, values: &[i64]) -> Result<DataFrame> {
    s.create_dataframe(values.iter().map(|v| (*v,)).collect(), &["value"])
}

fn stream(s: &Session) -> Result<MemoryStream> {
    Ok(MemoryStream::new(s, numbers(s, &[0])?.schema()))
}

fn sorted_values(df: &DataFrame) -> Result<Vec<i64>> {
    let mut v: Vec<i64> = df.collect()?.iter().map(|r| r.get_at::<i64>(0)).collect::<Result<_>>()?;
    v.sort_unstable();
    Ok(v)
}

#[test]
fn a_filter_over_a_memory_stream_fills_the_memory_sink_batch_by_batch() -> TestResult {
    let s = session(2);
    let input = stream(&s)?;
    let evens = input.to_df()?.filter((col("value") % lit(2i64)).equal_to(0i64))?;
    assert!(evens.is_streaming());
    let doubled = evens.with_column("twice", col("value") * lit(2i64))?;
    let query = doubled.write_stream().format("memory").query_name("evens").start()?;
    input.add_data(numbers(&s, &[1, 2, 3, 4])?)?;
    query.process_all_available()?;
    assert_eq!(sorted_values(&s.sql("SELECT value FROM evens")?)?, vec![2, 4]);
    input.add_data(numbers(&s, &[5, 6])?)?;
    query.process_all_available()?;
    assert_eq!(sorted_values(&s.sql("SELECT twice FROM evens")?)?, vec![4, 8, 12]);
    let progress = query.recent_progress();
    assert_eq!(progress.iter().map(|p| p.batch_id).collect::<Vec<_>>(), vec![0, 1]);
    assert_eq!(progress.iter().map(|p| p.num_input_rows).collect::<Vec<_>>(), vec![4, 2]);
    assert_eq!(progress[1].sink.num_output_rows, 1);
    assert_eq!(progress[1].sources[0].start_offset, Some(serde_json::json!({"logOffset": 1})));
    assert!(progress[1].duration_ms.contains_key("triggerExecution"));
    assert!(query.is_active());
    assert_eq!(s.streams().active().len(), 1);
    query.stop()?;
    assert!(!query.is_active());
    assert!(s.streams().active().is_empty());
    Ok(())
}

#[test]
fn micro_batch_jobs_are_described_as_spark_describes_them() -> TestResult {
    let (s, log) = crate::logged_session(2);
    let input = stream(&s)?;
    let query = input.to_df()?.write_stream().format("memory").query_name("echo").start()?;
    let line = line!() + 1;
    input.add_data(numbers(&s, &[1, 2])?)?;
    query.process_all_available()?;
    let mut descriptions: Vec<String> = log
        .events()
        .into_iter()
        .filter_map(|e| match e {
            Event::JobStart { description, .. } => Some(description),
            _ => None,
        })
        .collect();
    // The input's rows are collected on the caller's thread, by the caller's line.
    assert_eq!(descriptions.remove(0), format!("collect at {}:{line}", file!()));
    // Spark's `getBatchDescriptionString`: the query's name, id, run id and batch, one per line.
    let batch0 = format!("echo\nid = {}\nrunId = {}\nbatch = 0", query.id(), query.run_id());
    assert!(!descriptions.is_empty() && descriptions.iter().all(|d| *d == batch0), "{descriptions:?}");
    query.stop()?;
    // The description belongs to the query's thread: jobs of the caller's thread keep their call sites.
    log.clear();
    let line = line!() + 1;
    s.sql("SELECT * FROM echo")?.count()?;
    assert!(
        matches!(&log.events()[0], Event::JobStart { description, .. } if *description == format!("count at {}:{line}", file!()))
    );
    Ok(())
}

#[test]
fn a_batch_action_on_a_streaming_dataframe_says_to_start_a_query() -> TestResult {
    let s = session(2);
    let df = stream(&s)?.to_df()?;
    let e = df.count().expect_err("a stream cannot be counted").to_string();
    assert!(e.contains("must be executed with write_stream().start()"), "{e}");
    let batch = numbers(&s, &[1])?;
    assert!(!batch.is_streaming());
    let e = batch.write_stream().start().expect_err("not a stream").to_string();
    assert!(e.contains("streaming DataFrame"), "{e}");
    Ok(())
}

#[test]
fn output_modes_follow_sparks_rules() -> TestResult {
    let s = session(2);
    let df = stream(&s)?.to_df()?;
    let e = df.write_stream().output_mode("complete").start().expect_err("complete needs an aggregation").to_string();
    assert!(e.contains("Complete output mode not supported when there are no streaming aggregations"), "{e}");
    let counts = df.group_by(["value"]).count()?;
    let e = counts.write_stream().output_mode("append").start().expect_err("append needs a watermark").to_string();
    assert!(e.contains("Append output mode not supported when there are streaming aggregations"), "{e}");
    let e = df.write_stream().output_mode("sometimes").start().expect_err("no such mode").to_string();
    assert!(e.contains("accepted output modes are 'append', 'complete', 'update'"), "{e}");
    let e = df.write_stream().format("memory").start().expect_err("memory needs a name").to_string();
    assert!(e.contains("query name"), "{e}");
    let e = Trigger::processing_time("soon").expect_err("not a duration").to_string();
    assert!(e.contains("`soon` is not a duration"), "{e}");
    assert!(
        Trigger::processing_time("1 minute 30 seconds")? == Trigger::ProcessingTime(std::time::Duration::from_secs(90))
    );
    Ok(())
}

#[test]
fn once_and_available_now_triggers_stop_by_themselves() -> TestResult {
    let s = session(2);
    let input = stream(&s)?;
    input.add_data(numbers(&s, &[1, 2])?)?;
    input.add_data(numbers(&s, &[3])?)?;
    for (trigger, name) in [(Trigger::once(), "once"), (Trigger::available_now(), "now")] {
        let query = input.to_df()?.write_stream().format("memory").query_name(name).trigger(trigger).start()?;
        assert!(query.await_termination(Some(std::time::Duration::from_secs(30)))?, "{name} ended");
        assert_eq!(sorted_values(&s.table(name)?)?, vec![1, 2, 3], "{name}");
    }
    Ok(())
}

/// A `foreach_batch` sink that records each batch's values by batch id (so a replayed batch overwrites, as an
/// idempotent sink does) and fails once on `fail_on`, as a crash between the sink and the commit log would.
fn recording_sink(
    output: Arc<Mutex<BTreeMap<u64, Vec<i64>>>>,
    fail_on: Option<u64>,
) -> impl Fn(DataFrame, u64) -> Result<()> + Send + Sync + 'static {
    let failed = Arc::new(AtomicBool::new(false));
    move |df, batch| {
        let values = sorted_values(&df)?;
        output.lock().expect("lock").insert(batch, values);
        if Some(batch) == fail_on && !failed.swap(true, Ordering::SeqCst) {
            return Err(Error::Execution(format!("simulated failure after writing batch {batch}")));
        }
        Ok(())
    }
}

#[test]
fn a_restart_from_the_checkpoint_replays_the_uncommitted_batch_with_the_same_input() -> TestResult {
    let s = session(2);
    let dir = tempfile::tempdir()?;
    let checkpoint = dir.path().join("cp");
    let input = stream(&s)?;
    let output = Arc::new(Mutex::new(BTreeMap::new()));
    let start = |fail_on| {
        input
            .to_df()?
            .write_stream()
            .option("checkpointLocation", checkpoint.display())
            .foreach_batch(recording_sink(Arc::clone(&output), fail_on))
            .start()
    };
    let query = start(Some(1))?;
    let id = query.id().to_string();
    input.add_data(numbers(&s, &[1, 2])?)?;
    query.process_all_available()?;
    input.add_data(numbers(&s, &[3])?)?;
    let e = query.await_termination(None).expect_err("batch 1 fails").to_string();
    assert!(e.contains("simulated failure after writing batch 1"), "{e}");
    assert!(query.exception().is_some());
    assert!(checkpoint.join("offsets/1").exists(), "batch 1 was logged before it ran");
    assert!(!checkpoint.join("commits/1").exists(), "and never committed");
    // More data arrives while the query is down; the replayed batch 1 must not take it.
    input.add_data(numbers(&s, &[4, 5])?)?;
    let query = start(None)?;
    assert_eq!(query.id(), id, "the checkpoint keeps the query id");
    assert_ne!(query.run_id(), "");
    query.process_all_available()?;
    query.stop()?;
    let output = output.lock().expect("lock").clone();
    assert_eq!(output, BTreeMap::from([(0, vec![1, 2]), (1, vec![3]), (2, vec![4, 5])]));
    assert_eq!(query.recent_progress().first().map(|p| p.batch_id), Some(1), "the restart began by replaying batch 1");
    Ok(())
}

#[test]
fn a_stopped_query_restarts_after_its_last_committed_batch() -> TestResult {
    let s = session(2);
    let dir = tempfile::tempdir()?;
    let input = stream(&s)?;
    let output = Arc::new(Mutex::new(BTreeMap::new()));
    let start = || {
        input
            .to_df()?
            .write_stream()
            .option("checkpointLocation", dir.path().display())
            .foreach_batch(recording_sink(Arc::clone(&output), None))
            .start()
    };
    let query = start()?;
    input.add_data(numbers(&s, &[7])?)?;
    query.process_all_available()?;
    query.stop()?;
    input.add_data(numbers(&s, &[8])?)?;
    let query = start()?;
    query.process_all_available()?;
    query.stop()?;
    assert_eq!(*output.lock().expect("lock"), BTreeMap::from([(0, vec![7]), (1, vec![8])]));
    Ok(())
}

#[test]
fn corrupt_and_foreign_checkpoints_are_refused_with_the_file_named() -> TestResult {
    let s = session(2);
    let dir = tempfile::tempdir()?;
    let input = stream(&s)?;
    let query = input
        .to_df()?
        .write_stream()
        .format("memory")
        .query_name("t")
        .option("checkpointLocation", dir.path().display())
        .start()?;
    input.add_data(numbers(&s, &[1])?)?;
    query.process_all_available()?;
    query.stop()?;
    // A query reading two streams cannot resume a one-stream checkpoint.
    let other = stream(&s)?;
    let two = input.to_df()?.union(&other.to_df()?)?;
    let e =
        two.write_stream().option("checkpointLocation", dir.path().display()).start().expect_err("foreign").to_string();
    assert!(e.contains("belongs to another query"), "{e}");
    std::fs::write(dir.path().join("offsets/0"), "v1\nnot json\n")?;
    let e = input
        .to_df()?
        .write_stream()
        .option("checkpointLocation", dir.path().display())
        .start()
        .expect_err("corrupt")
        .to_string();
    assert!(e.contains("corrupt checkpoint file") && e.contains("offsets/0"), "{e}");
    std::fs::write(dir.path().join("offsets/0"), "v9\n{}\n")?;
    let e = input
        .to_df()?
        .write_stream()
        .option("checkpointLocation", dir.path().display())
        .start()
        .expect_err("newer")
        .to_string();
    assert!(e.contains("newer than this Flint reads"), "{e}");
    let file = dir.path().join("plain-file");
    std::fs::write(&file, "x")?;
    let e = input
        .to_df()?
        .write_stream()
        .option("checkpointLocation", file.display())
        .start()
        .expect_err("a file")
        .to_string();
    assert!(e.contains("is not a directory"), "{e}");
    Ok(())
}

#[test]
fn a_temporary_view_over_a_stream_is_queried_with_sql() -> TestResult {
    let s = session(2);
    let input = stream(&s)?;
    input.to_df()?.create_or_replace_temp_view("numbers_stream")?;
    let big = s.sql("SELECT value * 10 AS v FROM numbers_stream WHERE value > 1")?;
    assert!(big.is_streaming());
    let query = big.write_stream().format("memory").query_name("big_numbers").start()?;
    input.add_data(numbers(&s, &[1, 2, 3])?)?;
    query.process_all_available()?;
    query.stop()?;
    assert_eq!(sorted_values(&s.table("big_numbers")?)?, vec![20, 30]);
    Ok(())
}

#[test]
fn a_stream_joins_a_static_dataframe() -> TestResult {
    let s = session(2);
    let input = stream(&s)?;
    let names = s.create_dataframe(vec![(1i64, "one".to_string()), (2, "two".to_string())], &["id", "name"])?;
    let joined = input.to_df()?.join(&names, col("value").equal_to(col("id")), "inner")?.select([col("name")])?;
    let query = joined.write_stream().format("memory").query_name("named").start()?;
    input.add_data(numbers(&s, &[2, 3, 1, 2])?)?;
    query.process_all_available()?;
    query.stop()?;
    let mut got: Vec<String> =
        s.table("named")?.collect()?.iter().map(|r| r.get_at::<String>(0)).collect::<Result<_>>()?;
    got.sort();
    assert_eq!(got, ["one", "two", "two"]);
    Ok(())
}

fn words(s: &Session, list: &[&str]) -> Result<DataFrame> {
    s.create_dataframe(list.iter().map(|w| (w.to_string(),)).collect(), &["word"])
}

/// Counts per word, sorted.
type Counts = Vec<(String, i64)>;

fn counts(df: &DataFrame) -> Result<Counts> {
    let mut v: Vec<(String, i64)> =
        df.collect()?.iter().map(|r| Ok((r.get_at::<String>(0)?, r.get_at::<i64>(1)?))).collect::<Result<_>>()?;
    v.sort();
    Ok(v)
}

fn pairs(list: &[(&str, i64)]) -> Counts {
    list.iter().map(|(w, n)| (w.to_string(), *n)).collect()
}

/// The course's word count under the two output modes that need no watermark: `complete` rewrites every
/// count each batch, `update` writes only the counts the batch changed (worked by hand).
#[test]
fn word_count_in_complete_and_update_modes() -> TestResult {
    let s = session(2);
    let input = MemoryStream::new(&s, words(&s, &["x"])?.schema());
    let counted = input.to_df()?.group_by(["word"]).count()?;
    let complete = counted.write_stream().format("memory").query_name("complete").output_mode("complete").start()?;
    let update = counted.write_stream().format("memory").query_name("updates").output_mode("update").start()?;
    input.add_data(words(&s, &["cat", "dog", "cat"])?)?;
    complete.process_all_available()?;
    update.process_all_available()?;
    assert_eq!(counts(&s.table("complete")?)?, pairs(&[("cat", 2), ("dog", 1)]));
    input.add_data(words(&s, &["dog", "owl"])?)?;
    complete.process_all_available()?;
    update.process_all_available()?;
    assert_eq!(counts(&s.table("complete")?)?, pairs(&[("cat", 2), ("dog", 2), ("owl", 1)]));
    // The memory sink keeps every batch's updates: batch 0's two rows, then batch 1's changed ones.
    assert_eq!(counts(&s.table("updates")?)?, pairs(&[("cat", 2), ("dog", 1), ("dog", 2), ("owl", 1)]));
    let state = &update.last_progress().expect("progress").state_operators[0];
    assert_eq!((state.num_rows_total, state.num_rows_updated), (3, 2));
    complete.stop()?;
    update.stop()?;
    Ok(())
}

#[test]
fn streaming_aggregates_equal_the_batch_aggregates_of_all_the_input() -> TestResult {
    let s = session(2);
    let batch = |rows: &[(&str, f64)]| {
        s.create_dataframe(rows.iter().map(|(k, v)| (k.to_string(), *v)).collect(), &["key", "x"])
    };
    let parts = [
        batch(&[("a", 1.5), ("b", -2.0), ("a", 4.0)])?,
        batch(&[("b", 10.0), ("c", 0.25)])?,
        batch(&[("a", -7.0), ("c", 3.0), ("c", 1.0)])?,
    ];
    let input = MemoryStream::new(&s, parts[0].schema());
    let aggs = |df: &DataFrame| {
        df.group_by(["key"]).agg([sum(col("x")), avg(col("x")), max(col("x")), count(col("x")), collect_set(col("x"))])
    };
    let query =
        aggs(&input.to_df()?)?.write_stream().format("memory").query_name("aggs").output_mode("complete").start()?;
    for part in &parts {
        input.add_data(part.clone())?;
        query.process_all_available()?;
    }
    query.stop()?;
    let all = parts[1..].iter().try_fold(parts[0].clone(), |acc, p| acc.union(p))?;
    let show = |df: &DataFrame| df.order_by([col("key")]).and_then(|d| d.show_string(10, 0, false));
    assert_eq!(show(&s.table("aggs")?)?, show(&aggs(&all)?)?);
    Ok(())
}

fn events(s: &Session, list: &[(&str, &str)]) -> Result<DataFrame> {
    let rows: Vec<String> = list
        .iter()
        .map(|(t, w)| format!("SELECT CAST('2024-01-01 {t}:00' AS TIMESTAMP) AS time, '{w}' AS word"))
        .collect();
    s.sql(&rows.join(" UNION ALL "))
}

/// A stream of [`events`] and its counts per word and 10-minute window, with a 10-minute watermark.
fn windowed_counts(s: &Session) -> Result<(MemoryStream, DataFrame)> {
    let input = MemoryStream::new(s, events(s, &[("12:00", "x")])?.schema());
    let counts = input
        .to_df()?
        .with_watermark("time", "10 minutes")?
        .group_by([window(col("time"), "10 minutes", None)?, col("word")])
        .count()?;
    Ok((input, counts))
}

/// Windowed counts with a 10-minute watermark in append mode (worked by hand): a window is written once, when
/// the watermark passes its end, and then leaves the state; a row for a closed window is dropped and counted.
#[test]
fn append_mode_writes_each_window_once_the_watermark_closes_it() -> TestResult {
    let s = session(2);
    let (input, counts) = windowed_counts(&s)?;
    let windowed = counts.select([
        date_format(col("window").get_field("start"), "yyyy-MM-dd HH:mm:ss").alias("start"),
        col("word"),
        col("count"),
    ])?;
    let query = windowed.write_stream().format("memory").query_name("closed").output_mode("append").start()?;
    let closed = |s: &Session| -> Result<Vec<(String, String, i64)>> {
        let mut v: Vec<_> = s
            .table("closed")?
            .collect()?
            .iter()
            .map(|r| Ok((r.get_at::<String>(0)?, r.get_at::<String>(1)?, r.get_at::<i64>(2)?)))
            .collect::<Result<_>>()?;
        v.sort();
        Ok(v)
    };
    // Watermark after: 11:58, then 12:04 — no window [12:00, 12:10) closes yet.
    input.add_data(events(&s, &[("12:07", "dog"), ("12:08", "owl")])?)?;
    query.process_all_available()?;
    input.add_data(events(&s, &[("12:14", "dog"), ("12:09", "cat")])?)?;
    query.process_all_available()?;
    assert!(closed(&s)?.is_empty());
    // Max 12:25: the watermark moves to 12:15 and a no-data batch closes [12:00, 12:10).
    input.add_data(events(&s, &[("12:21", "owl"), ("12:25", "cat")])?)?;
    query.process_all_available()?;
    let first = |w: &str, n| ("2024-01-01 12:00:00".to_string(), w.to_string(), n);
    assert_eq!(closed(&s)?, vec![first("cat", 1), first("dog", 1), first("owl", 1)]);
    let progress = query.last_progress().expect("progress");
    assert_eq!(progress.num_input_rows, 0, "the closing batch had no new rows");
    assert_eq!(progress.state_operators[0].num_rows_removed, 3);
    assert_eq!(progress.state_operators[0].num_rows_total, 3, "[12:10) dog, [12:20) owl and cat remain");
    assert_eq!(progress.event_time.get("watermark").map(String::as_str), Some("2024-01-01T12:15:00.000Z"));
    // 12:04 is behind the watermark (its window ended at 12:10 ≤ 12:15): dropped and counted, not written.
    input.add_data(events(&s, &[("12:04", "donkey"), ("12:26", "dog")])?)?;
    query.process_all_available()?;
    let progress = query.recent_progress();
    let late: u64 = progress.iter().flat_map(|p| &p.state_operators).map(|o| o.num_rows_dropped_by_watermark).sum();
    assert_eq!(late, 1);
    assert_eq!(closed(&s)?.len(), 3, "nothing new closed: the watermark is 12:16");
    query.stop()?;
    Ok(())
}

/// In a notebook a query shows its status and its last batch under Spark's names (figures worked by hand as in
/// the test above: each batch of rows moves the watermark, so a no-data batch follows it; after the second, batch
/// 3, the watermark is 12:04 and four windowed counts are in state).
#[test]
fn a_query_shows_its_status_and_last_batch_in_notebooks() -> TestResult {
    let s = session(2);
    let (input, windowed) = windowed_counts(&s)?;
    let query = windowed.write_stream().format("memory").query_name("windows").output_mode("append").start()?;
    input.add_data(events(&s, &[("12:07", "dog"), ("12:08", "owl")])?)?;
    query.process_all_available()?;
    input.add_data(events(&s, &[("12:14", "dog"), ("12:09", "cat")])?)?;
    query.process_all_available()?;
    let bundle = query.mime_bundle();
    let text = &bundle[0].1;
    assert!(text.starts_with(&format!("StreamingQuery `windows` [id = {}]\n", query.id())), "{text}");
    for line in [
        "isActive: true\n",
        "batchId: 3\n",
        "numInputRows: 0\n",
        "stateOperators.numRowsTotal: 4\n",
        "eventTime.watermark: 2024-01-01T12:04:00.000Z\n",
    ] {
        assert!(text.contains(line), "{line} in {text}");
    }
    assert!(text.contains("durationMs.triggerExecution: ") && text.contains("inputRowsPerSecond: "), "{text}");
    assert!(bundle[1].1.contains("<th style=\"text-align:left\">batchId</th><td>3</td>"), "{}", bundle[1].1);
    query.stop()?;
    assert!(query.mime_bundle()[0].1.contains("isActive: false\nmessage: Stopped\n"));
    Ok(())
}

#[test]
fn an_aggregation_resumes_its_state_from_the_checkpoint_and_replays_a_failed_batch_exactly() -> TestResult {
    let s = session(2);
    let dir = tempfile::tempdir()?;
    let input = MemoryStream::new(&s, words(&s, &["x"])?.schema());
    let seen: Arc<Mutex<BTreeMap<u64, Counts>>> = Arc::default();
    let start = |fail_on: Option<u64>| {
        let seen = Arc::clone(&seen);
        let failed = AtomicBool::new(false);
        input
            .to_df()?
            .group_by(["word"])
            .count()?
            .write_stream()
            .output_mode("complete")
            .option("checkpointLocation", dir.path().display())
            .foreach_batch(move |df, batch| {
                seen.lock().expect("lock").insert(batch, counts(&df)?);
                if Some(batch) == fail_on && !failed.swap(true, Ordering::SeqCst) {
                    return Err(Error::Execution("simulated crash before the commit".into()));
                }
                Ok(())
            })
            .start()
    };
    let query = start(Some(1))?;
    input.add_data(words(&s, &["a", "b", "a"])?)?;
    query.process_all_available()?;
    input.add_data(words(&s, &["b"])?)?;
    assert!(query.await_termination(None).is_err());
    assert!(dir.path().join("state/0/1.arrow").exists(), "the state after batch 0 was saved");
    input.add_data(words(&s, &["c"])?)?;
    let query = start(None)?;
    query.process_all_available()?;
    query.stop()?;
    let seen = seen.lock().expect("lock").clone();
    assert_eq!(seen[&0], pairs(&[("a", 2), ("b", 1)]));
    assert_eq!(seen[&1], pairs(&[("a", 2), ("b", 2)]), "the replay counts b once, from the saved state");
    assert_eq!(seen[&2], pairs(&[("a", 2), ("b", 2), ("c", 1)]));
    Ok(())
}

#[test]
fn the_file_sink_commits_each_batch_once_through_its_log() -> TestResult {
    let s = session(2);
    let tmp = tempfile::tempdir()?;
    let (out, checkpoint) = (tmp.path().join("out"), tmp.path().join("checkpoint"));
    let input = stream(&s)?;
    let start = || {
        input
            .to_df()?
            .write_stream()
            .format("parquet")
            .option("checkpointLocation", checkpoint.display())
            .start_at(&out.display().to_string())
    };
    let query = start()?;
    input.add_data(numbers(&s, &[1, 2])?)?;
    query.process_all_available()?;
    input.add_data(numbers(&s, &[3])?)?;
    query.process_all_available()?;
    query.stop()?;
    assert!(out.join("_spark_metadata/0").exists() && out.join("_spark_metadata/1").exists());
    // A crash after the sink wrote batch 1 but before the commit log: the restarted query replays batch 1,
    // and the sink, which already logged it, writes nothing twice. A file left by an interrupted attempt at
    // batch 2 is removed when batch 2 runs.
    std::fs::remove_file(checkpoint.join("commits/1"))?;
    std::fs::write(out.join("part-00002-00000.parquet"), b"half-written")?;
    input.add_data(numbers(&s, &[4])?)?;
    let query = start()?;
    query.process_all_available()?;
    query.stop()?;
    assert_eq!(sorted_values(&s.read().parquet(&out.display().to_string())?)?, vec![1, 2, 3, 4]);
    let mut parts: Vec<String> = std::fs::read_dir(&out)?
        .map(|e| e.map(|e| e.file_name().to_string_lossy().into_owned()))
        .collect::<std::io::Result<_>>()?;
    parts.retain(|n| n.starts_with("part-"));
    parts.sort();
    assert!(parts.iter().all(|p| p.ends_with(".parquet")), "{parts:?}");
    assert!(parts.iter().any(|p| p.starts_with("part-00002-")), "{parts:?}");
    let log = std::fs::read_to_string(out.join("_spark_metadata/2"))?;
    assert!(log.starts_with("v1\n") && log.contains("\"action\":\"add\""), "{log}");
    Ok(())
}

#[test]
fn a_file_source_over_a_file_sinks_output_reads_only_the_committed_files() -> TestResult {
    // Spark's FileStreamSource reads a sink's directory through its `_spark_metadata` log.
    let s = session(2);
    let tmp = tempfile::tempdir()?;
    let (out, checkpoint) = (tmp.path().join("out"), tmp.path().join("checkpoint"));
    let input = stream(&s)?;
    input.add_data(numbers(&s, &[1, 2])?)?;
    input.add_data(numbers(&s, &[3])?)?;
    input
        .to_df()?
        .write_stream()
        .format("parquet")
        .option("checkpointLocation", checkpoint.display())
        .trigger(Trigger::available_now())
        .start_at(&out.display().to_string())?
        .await_termination(None)?;
    // An attempt at a batch 2 that crashed after writing its file and before logging it.
    std::fs::write(out.join("part-00002-00000.parquet"), b"half-written")?;
    let schema = numbers(&s, &[0])?.schema();
    let copy = s.read_stream().schema(schema).parquet(&out.display().to_string())?;
    let query = copy.write_stream().format("memory").query_name("copied").start()?;
    query.process_all_available()?;
    query.stop()?;
    assert_eq!(sorted_values(&s.sql("SELECT value FROM copied")?)?, vec![1, 2, 3]);
    Ok(())
}

#[test]
fn json_and_csv_file_sinks_read_back_and_file_sinks_refuse_what_spark_refuses() -> TestResult {
    let s = session(2);
    let tmp = tempfile::tempdir()?;
    let input = stream(&s)?;
    input.add_data(numbers(&s, &[5, 6])?)?;
    for format in ["json", "csv"] {
        let out = tmp.path().join(format);
        let query = input
            .to_df()?
            .write_stream()
            .format(format)
            .option("header", "true")
            .option("checkpointLocation", tmp.path().join(format!("cp-{format}")).display())
            .trigger(Trigger::available_now())
            .start_at(&out.display().to_string())?;
        query.await_termination(None)?;
        let back = match format {
            "json" => s.read().json(&out.display().to_string())?,
            _ => s.read().option("header", "true").option("inferSchema", "true").csv(&out.display().to_string())?,
        };
        assert_eq!(sorted_values(&back)?, vec![5, 6], "{format}");
    }
    let out = tmp.path().join("x").display().to_string();
    let e = input.to_df()?.write_stream().format("parquet").start_at(&out).expect_err("no checkpoint").to_string();
    assert!(e.contains("checkpointLocation must be specified"), "{e}");
    let counts = input.to_df()?.group_by(["value"]).count()?;
    let e = counts
        .write_stream()
        .format("parquet")
        .output_mode("complete")
        .option("checkpointLocation", tmp.path().join("cp-x").display())
        .start_at(&out)
        .expect_err("complete into files")
        .to_string();
    assert!(e.contains("does not support Complete output mode"), "{e}");
    Ok(())
}

#[test]
fn the_rate_source_gives_rows_per_second_and_replays_its_seconds() -> TestResult {
    let s = session(2);
    let dir = tempfile::tempdir()?;
    let rate = s.read_stream().format("rate").option("rowsPerSecond", 5).load("")?;
    assert_eq!(rate.columns(), ["timestamp", "value"]);
    let query = rate
        .write_stream()
        .format("memory")
        .query_name("rates")
        .option("checkpointLocation", dir.path().display())
        .trigger(Trigger::processing_time("200 milliseconds")?)
        .start()?;
    while query.recent_progress().iter().map(|p| p.num_input_rows).sum::<u64>() < 10 {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    query.stop()?;
    let values = sorted_values(&s.sql("SELECT value FROM rates")?)?;
    assert_eq!(values, (0..values.len() as i64).collect::<Vec<_>>(), "consecutive values from 0");
    assert_eq!(values.len() % 5, 0, "whole seconds of 5 rows");
    let gaps = s.sql("SELECT count(DISTINCT timestamp) AS n FROM rates")?.collect()?[0].get_at::<i64>(0)?;
    assert_eq!(gaps as usize, values.len(), "one timestamp per row, 200 ms apart");
    let e = s.read_stream().format("rate").option("rowsPerSecond", 0).load("").expect_err("zero").to_string();
    assert!(e.contains("rowsPerSecond"), "{e}");
    Ok(())
}

#[test]
fn the_socket_source_reads_the_lines_a_server_sends() -> TestResult {
    use std::io::Write;
    let s = session(2);
    let server = std::net::TcpListener::bind("127.0.0.1:0")?;
    let port = server.local_addr()?.port();
    let lines = s.read_stream().format("socket").option("host", "127.0.0.1").option("port", port).load("")?;
    let words = lines.select([explode(split(col("value"), " ")).alias("word")])?.group_by(["word"]).count()?;
    let query = words.write_stream().format("memory").query_name("socket_words").output_mode("complete").start()?;
    let (mut client, _) = server.accept()?;
    client.write_all(b"to be or\nnot to be\n")?;
    client.flush()?;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while counts(&s.table("socket_words")?)?.len() < 4 && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    query.stop()?;
    assert_eq!(counts(&s.table("socket_words")?)?, pairs(&[("be", 2), ("not", 1), ("or", 1), ("to", 2)]));
    let e = s.read_stream().format("socket").option("host", "h").option("port", "x").load("").expect_err("port");
    assert!(e.to_string().contains("not a port number"), "{e}");
    Ok(())
}

/// `drop_duplicates` on a stream writes each key once across batches; with a watermark on its event-time key,
/// keys the watermark has passed leave the state and their late duplicates are dropped (worked by hand).
#[test]
fn drop_duplicates_on_a_stream_keeps_the_first_row_of_each_key_across_batches() -> TestResult {
    let s = session(2);
    let input = MemoryStream::new(&s, events(&s, &[("12:00", "x")])?.schema());
    let query = input
        .to_df()?
        .with_watermark("time", "10 minutes")?
        .drop_duplicates(["word", "time"])?
        .write_stream()
        .format("memory")
        .query_name("unique_events")
        .start()?;
    let rows = |s: &Session| -> Result<Vec<String>> {
        let mut v: Vec<String> = s
            .sql("SELECT date_format(time, 'HH:mm') AS t, word FROM unique_events")?
            .collect()?
            .iter()
            .map(|r| Ok(format!("{} {}", r.get_at::<String>(0)?, r.get_at::<String>(1)?)))
            .collect::<Result<_>>()?;
        v.sort();
        Ok(v)
    };
    input.add_data(events(&s, &[("12:07", "dog"), ("12:07", "dog"), ("12:08", "owl")])?)?;
    query.process_all_available()?;
    assert_eq!(rows(&s)?, ["12:07 dog", "12:08 owl"]);
    // A duplicate from an earlier batch is not written again; 12:30 moves the watermark to 12:20.
    input.add_data(events(&s, &[("12:08", "owl"), ("12:30", "cat")])?)?;
    query.process_all_available()?;
    assert_eq!(rows(&s)?, ["12:07 dog", "12:08 owl", "12:30 cat"]);
    let state = query.last_progress().expect("progress").state_operators[0].clone();
    assert_eq!((state.num_rows_total, state.num_rows_removed), (1, 2), "12:07 and 12:08 are behind the watermark");
    // A late duplicate of 12:07 is dropped by the watermark, not re-admitted from an empty state.
    input.add_data(events(&s, &[("12:07", "dog"), ("12:31", "cat")])?)?;
    query.process_all_available()?;
    assert_eq!(rows(&s)?, ["12:07 dog", "12:08 owl", "12:30 cat", "12:31 cat"]);
    let dropped: u64 =
        query.recent_progress().iter().flat_map(|p| &p.state_operators).map(|o| o.num_rows_dropped_by_watermark).sum();
    assert_eq!(dropped, 1);
    query.stop()?;
    Ok(())
}

/// The course's SQL form of a windowed streaming count: `GROUP BY window(timestamp, '10 seconds', '5 seconds'),
/// word` over a temporary view of the stream (sliding windows: each row counts in two; worked by hand).
#[test]
fn sql_groups_a_stream_by_sliding_windows() -> TestResult {
    let s = session(2);
    let input = MemoryStream::new(&s, events(&s, &[("12:00", "x")])?.schema());
    input.to_df()?.create_or_replace_temp_view("words_stream")?;
    let counts = s.sql(
        "SELECT date_format(window.start, 'HH:mm:ss') AS start, word, count(*) AS n FROM words_stream \
         GROUP BY window(time, '10 seconds', '5 seconds'), word",
    )?;
    let query = counts.write_stream().format("memory").query_name("sliding").output_mode("complete").start()?;
    let at =
        |sec: u32, w: &str| format!("SELECT CAST('2024-01-01 12:00:{sec:02}' AS TIMESTAMP) AS time, '{w}' AS word");
    input.add_data(s.sql(&format!("{} UNION ALL {}", at(3, "a"), at(7, "a")))?)?;
    query.process_all_available()?;
    input.add_data(s.sql(&at(12, "b"))?)?;
    query.process_all_available()?;
    query.stop()?;
    let mut rows: Vec<String> = s
        .table("sliding")?
        .collect()?
        .iter()
        .map(|r| Ok(format!("{} {} {}", r.get_at::<String>(0)?, r.get_at::<String>(1)?, r.get_at::<i64>(2)?)))
        .collect::<Result<_>>()?;
    rows.sort();
    // 12:00:03 is in [11:59:55, 12:00:05) and [12:00:00, 12:00:10); 12:00:07 in [12:00:00, …) and [12:00:05, …);
    // 12:00:12 in [12:00:05, 12:00:15) and [12:00:10, 12:00:20).
    assert_eq!(rows, ["11:59:55 a 1", "12:00:00 a 2", "12:00:05 a 1", "12:00:05 b 1", "12:00:10 b 1"]);
    Ok(())
}

#[test]
fn stopping_the_session_stops_its_streaming_queries() -> TestResult {
    let s = session(2);
    let query = stream(&s)?.to_df()?.write_stream().format("memory").query_name("until_stop").start()?;
    assert!(query.is_active());
    s.stop();
    assert!(!query.is_active());
    assert!(query.await_termination(Some(std::time::Duration::from_secs(5)))?);
    Ok(())
}
