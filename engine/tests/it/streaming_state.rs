//! Arbitrary per-key state on streams (`map_groups_with_state` / `flat_map_groups_with_state`): state across
//! batches, removal, event-time and processing-time timeouts, restart from a checkpoint, Spark's rules. Every
//! expected value is worked by hand in the comments.

use crate::{TestResult, session};
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::scalar::ScalarValue;
use flint_engine::prelude::*;
use flint_engine::streaming::{GroupState, GroupStateTimeout, MemoryStream};
use serde::{Deserialize, Serialize};
use std::time::{Duration, Instant};

/// Events `(user, action)` at `2024-01-01 HH:MM`.
fn events(s: &Session, list: &[(&str, &str, &str)]) -> Result<DataFrame> {
    let rows: Vec<String> = list
        .iter()
        .map(|(t, u, a)| {
            format!("SELECT CAST('2024-01-01 {t}:00' AS TIMESTAMP) AS time, '{u}' AS user, '{a}' AS action")
        })
        .collect();
    s.sql(&rows.join(" UNION ALL "))
}

fn totals_schema() -> Schema {
    Schema::new(vec![Field::new("user", DataType::Utf8, false), Field::new("clicks", DataType::Int64, false)])
}

fn user(key: &Row) -> String {
    key.get_as::<String>("user").unwrap_or_default()
}

fn rows(s: &Session, table: &str) -> Result<Vec<(String, i64)>> {
    let mut v: Vec<(String, i64)> =
        s.table(table)?.collect()?.iter().map(|r| Ok((r.get_at(0)?, r.get_at(1)?))).collect::<Result<_>>()?;
    v.sort();
    Ok(v)
}

fn pairs(list: &[(&str, i64)]) -> Vec<(String, i64)> {
    list.iter().map(|(u, n)| (u.to_string(), *n)).collect()
}

/// A running click count per user; a "logout" removes the user's state (the next click starts from 0).
fn running_clicks(df: &DataFrame) -> Result<DataFrame> {
    df.group_by(["user"]).map_groups_with_state(
        totals_schema(),
        GroupStateTimeout::NoTimeout,
        |key: &Row, rows: Vec<Row>, state: &mut GroupState<i64>| {
            let mut total = state.get().copied().unwrap_or(0);
            for r in &rows {
                match r.get_as::<String>("action").unwrap_or_default().as_str() {
                    "logout" => total = 0,
                    _ => total += 1,
                }
            }
            if total == 0 {
                state.remove()
            } else {
                state.update(total)
            }
            (user(key), total)
        },
    )
}

#[test]
fn map_groups_with_state_keeps_a_running_state_per_key_across_batches() -> TestResult {
    let s = session(2);
    let input = MemoryStream::new(&s, events(&s, &[("12:00", "x", "click")])?.schema());
    let query = running_clicks(&input.to_df()?)?
        .write_stream()
        .format("memory")
        .query_name("clicks")
        .output_mode("update")
        .start()?;
    // Batch 0: ann 2 clicks, bob 1 → (ann, 2), (bob, 1).
    input.add_data(events(&s, &[("12:00", "ann", "click"), ("12:01", "bob", "click"), ("12:02", "ann", "click")])?)?;
    query.process_all_available()?;
    assert_eq!(rows(&s, "clicks")?, pairs(&[("ann", 2), ("bob", 1)]));
    // Batch 1: only ann's function runs: 2 + 1 → (ann, 3). bob logs out → 0, state removed.
    input.add_data(events(&s, &[("12:03", "ann", "click"), ("12:04", "bob", "logout")])?)?;
    query.process_all_available()?;
    assert_eq!(rows(&s, "clicks")?, pairs(&[("ann", 2), ("ann", 3), ("bob", 0), ("bob", 1)]));
    let op = &query.last_progress().expect("progress").state_operators[0];
    assert_eq!(op.operator_name, "mapGroupsWithState");
    assert_eq!((op.num_rows_total, op.num_rows_updated, op.num_rows_removed), (1, 2, 1), "only ann's state remains");
    // Batch 2: bob starts again from nothing → (bob, 1).
    input.add_data(events(&s, &[("12:05", "bob", "click")])?)?;
    query.process_all_available()?;
    assert!(rows(&s, "clicks")?.contains(&("bob".to_string(), 1)));
    assert_eq!(query.last_progress().expect("progress").state_operators[0].num_rows_total, 2);
    query.stop()?;
    Ok(())
}

#[test]
fn on_a_batch_dataframe_the_function_runs_once_per_key_with_empty_state() -> TestResult {
    let s = session(2);
    let batch = events(&s, &[("12:00", "ann", "click"), ("12:01", "bob", "click"), ("12:02", "ann", "click")])?;
    assert!(!batch.is_streaming());
    let out = running_clicks(&batch)?;
    let mut v: Vec<(String, i64)> =
        out.collect()?.iter().map(|r| Ok((r.get_at(0)?, r.get_at(1)?))).collect::<Result<_>>()?;
    v.sort();
    assert_eq!(v, pairs(&[("ann", 2), ("bob", 1)]));
    Ok(())
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Session_ {
    clicks: i64,
    last_ms: i64,
}

/// Sessions that end 10 minutes of event time after a user's last event: written once, when they time out
/// (append mode, event-time timeout).
fn sessions(df: &DataFrame) -> Result<DataFrame> {
    df.with_watermark("time", "0 seconds")?.group_by(["user"]).flat_map_groups_with_state(
        totals_schema(),
        "append",
        GroupStateTimeout::EventTimeTimeout,
        |key: &Row, rows: Vec<Row>, state: &mut GroupState<Session_>| {
            if state.has_timed_out() {
                let ended = state.get().map(|s| (user(key), s.clicks));
                state.remove();
                return ended.into_iter().collect::<Vec<_>>();
            }
            let mut current = state.get().cloned().unwrap_or(Session_ { clicks: 0, last_ms: 0 });
            for r in &rows {
                let ms = match r.get_as::<ScalarValue>("time") {
                    Ok(ScalarValue::TimestampNanosecond(Some(ns), _)) => ns / 1_000_000,
                    Ok(ScalarValue::TimestampMicrosecond(Some(us), _)) => us / 1000,
                    other => panic!("not an event time: {other:?}"),
                };
                current.last_ms = current.last_ms.max(ms);
                current.clicks += 1;
            }
            let deadline = current.last_ms + 10 * 60 * 1000;
            state.update(current);
            state.set_timeout_timestamp(deadline).expect("the deadline is ahead of the watermark");
            Vec::new()
        },
    )
}

#[test]
fn event_time_timeouts_close_sessions_once_the_watermark_passes_them() -> TestResult {
    let s = session(2);
    let input = MemoryStream::new(&s, events(&s, &[("12:00", "x", "click")])?.schema());
    let query =
        sessions(&input.to_df()?)?.write_stream().format("memory").query_name("ended").output_mode("append").start()?;
    // Batch 0 (watermark none): ann 12:00 → deadline 12:10; bob 12:01 → 12:11. Watermark after: 12:01.
    input.add_data(events(&s, &[("12:00", "ann", "click"), ("12:01", "bob", "click")])?)?;
    query.process_all_available()?;
    // Next data batch (watermark 12:01): ann 12:05 → 2 clicks, deadline 12:15. Watermark after: 12:05.
    input.add_data(events(&s, &[("12:05", "ann", "click")])?)?;
    query.process_all_available()?;
    assert!(rows(&s, "ended")?.is_empty(), "no deadline is behind 12:05");
    // Next batch (watermark 12:05): carl 12:30 → deadline 12:40. Watermark after: 12:30, so a no-data batch runs
    // with it: ann (12:15) and bob (12:11) time out; carl does not.
    input.add_data(events(&s, &[("12:30", "carl", "click")])?)?;
    query.process_all_available()?;
    assert_eq!(rows(&s, "ended")?, pairs(&[("ann", 2), ("bob", 1)]));
    let last = query.last_progress().expect("progress");
    // Each move of the watermark ran a no-data batch, as in Spark: 0 (data), 1 (12:01), 2 (data), 3 (12:05),
    // 4 (data), 5 (12:30).
    assert_eq!((last.batch_id, last.num_input_rows), (5, 0));
    assert_eq!(last.state_operators[0].num_rows_total, 1, "carl's session stays open");
    // A row behind the watermark (12:20 ≤ 12:30) is dropped and counted, never seen by the function.
    input.add_data(events(&s, &[("12:20", "dan", "click")])?)?;
    query.process_all_available()?;
    let op = &query.last_progress().expect("progress").state_operators[0];
    assert_eq!((op.num_rows_dropped_by_watermark, op.num_rows_total), (1, 1));
    query.stop()?;
    Ok(())
}

#[test]
fn a_processing_time_timeout_runs_the_function_for_an_idle_key() -> TestResult {
    let s = session(2);
    let input = MemoryStream::new(&s, events(&s, &[("12:00", "x", "click")])?.schema());
    let idle = input.to_df()?.group_by(["user"]).flat_map_groups_with_state(
        totals_schema(),
        "update",
        GroupStateTimeout::ProcessingTimeTimeout,
        |key: &Row, rows: Vec<Row>, state: &mut GroupState<i64>| {
            if state.has_timed_out() {
                state.remove();
                return vec![(user(key), -1)];
            }
            let total = state.get().copied().unwrap_or(0) + rows.len() as i64;
            state.update(total);
            state.set_timeout_duration("200 milliseconds").expect("processing-time timeouts are on");
            vec![(user(key), total)]
        },
    )?;
    let query = idle.write_stream().format("memory").query_name("idle").output_mode("update").start()?;
    input.add_data(events(&s, &[("12:00", "ann", "click"), ("12:01", "ann", "click")])?)?;
    query.process_all_available()?;
    assert_eq!(rows(&s, "idle")?, pairs(&[("ann", 2)]));
    // No more rows for ann: once 200 ms have passed a no-data batch calls the function with has_timed_out.
    let waited = Instant::now();
    while rows(&s, "idle")?.len() < 2 && waited.elapsed() < Duration::from_secs(20) {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(rows(&s, "idle")?, pairs(&[("ann", -1), ("ann", 2)]));
    assert!(waited.elapsed() >= Duration::from_millis(150), "not before the deadline");
    query.stop()?;
    Ok(())
}

#[test]
fn per_key_state_resumes_from_the_checkpoint_after_a_restart() -> TestResult {
    let s = session(2);
    let dir = tempfile::tempdir()?;
    let input = MemoryStream::new(&s, events(&s, &[("12:00", "x", "click")])?.schema());
    let start = || {
        running_clicks(&input.to_df()?)?
            .write_stream()
            .format("memory")
            .query_name("resumed")
            .output_mode("update")
            .option("checkpointLocation", dir.path().display())
            .start()
    };
    let query = start()?;
    input.add_data(events(&s, &[("12:00", "ann", "click"), ("12:01", "ann", "click")])?)?;
    query.process_all_available()?;
    query.stop()?;
    assert!(dir.path().join("state/0/1.arrow").exists(), "the state after batch 0 is saved");
    // After the restart ann's count goes on from 2: 2 + 1 = 3.
    let query = start()?;
    input.add_data(events(&s, &[("12:02", "ann", "click")])?)?;
    query.process_all_available()?;
    assert!(rows(&s, "resumed")?.contains(&("ann".to_string(), 3)), "{:?}", rows(&s, "resumed")?);
    query.stop()?;
    Ok(())
}

#[test]
fn per_key_state_follows_sparks_rules_and_reports_failures() -> TestResult {
    let s = session(2);
    let input = MemoryStream::new(&s, events(&s, &[("12:00", "x", "click")])?.schema());
    let df = input.to_df()?;
    let e = running_clicks(&df)?.write_stream().output_mode("append").start().expect_err("update only").to_string();
    assert!(e.contains("mapGroupsWithState is not supported with Append output mode"), "{e}");
    let e = sessions(&df)?.write_stream().output_mode("update").start().expect_err("declared append").to_string();
    assert!(e.contains("flatMapGroupsWithState in append mode is not supported with Update output mode"), "{e}");
    let no_watermark = df.group_by(["user"]).flat_map_groups_with_state(
        totals_schema(),
        "update",
        GroupStateTimeout::EventTimeTimeout,
        |_: &Row, _: Vec<Row>, _: &mut GroupState<i64>| Vec::<(String, i64)>::new(),
    )?;
    let e = no_watermark.write_stream().output_mode("update").start().expect_err("needs a watermark").to_string();
    assert!(e.contains("Watermark must be specified"), "{e}");
    let e = df
        .group_by([col("user").alias("u")])
        .map_groups_with_state(totals_schema(), GroupStateTimeout::NoTimeout, |_: &Row, _, _: &mut GroupState<i64>| {
            ("x", 0)
        })
        .expect_err("keys are columns")
        .to_string();
    assert!(e.contains("groups by column names"), "{e}");
    let e = df
        .group_by(["user"])
        .flat_map_groups_with_state(
            totals_schema(),
            "complete",
            GroupStateTimeout::NoTimeout,
            |_: &Row, _, _: &mut GroupState<i64>| Vec::<(String, i64)>::new(),
        )
        .expect_err("no complete mode")
        .to_string();
    assert!(e.contains("'append' or 'update'"), "{e}");

    // A function that sets a timeout it did not ask for panics (unwrap): the query fails naming the key.
    let bad = df.group_by(["user"]).map_groups_with_state(
        totals_schema(),
        GroupStateTimeout::NoTimeout,
        |key: &Row, _: Vec<Row>, state: &mut GroupState<i64>| {
            state.set_timeout_duration("1 minute").expect("fails: no processing-time timeout was asked for");
            (user(key), 0)
        },
    )?;
    let query = bad.write_stream().format("memory").query_name("bad").output_mode("update").start()?;
    input.add_data(events(&s, &[("12:00", "ann", "click")])?)?;
    let e = query.await_termination(None).expect_err("the function panics").to_string();
    assert!(e.contains("Cannot set timeout duration without enabling processing time timeout"), "{e}");
    assert!(e.contains("ann"), "{e}");
    // Output rows that do not fit the declared schema are a clear error too.
    let wrong = df.group_by(["user"]).map_groups_with_state(
        totals_schema(),
        GroupStateTimeout::NoTimeout,
        |key: &Row, _: Vec<Row>, _: &mut GroupState<i64>| (user(key), "many"),
    )?;
    let query = wrong.write_stream().format("memory").query_name("wrong").output_mode("update").start()?;
    let e = query.await_termination(None).expect_err("a string is not a count").to_string();
    assert!(e.contains("does not fit the output schema"), "{e}");
    Ok(())
}
