//! Session windows (`session_window`) in batch and on streams, against PySpark's answers
//! (`datasets/reference/session_windows.py` → `session_windows.json`).

use crate::{TestResult, session};
use flint_engine::datasets;
use flint_engine::prelude::*;
use flint_engine::streaming::{MemoryStream, StreamingQuery};

type SessionRow = (String, String, String, i64, i64);

fn reference(name: &str) -> TestResult<Vec<SessionRow>> {
    let text = std::fs::read_to_string(datasets::path("reference/session_windows.json"))?;
    let json: serde_json::Value = serde_json::from_str(&text)?;
    Ok(serde_json::from_value(json[name].clone())?)
}

/// Events `(user, time, amount)`; a time of `None` is a row without event time.
fn events(s: &Session, list: &[(&str, Option<&str>, i64)]) -> Result<DataFrame> {
    let rows: Vec<String> = list
        .iter()
        .map(|(u, t, a)| {
            let time = t.map_or("NULL".to_string(), |t| format!("'2024-01-01 {t}:00'"));
            format!("SELECT '{u}' AS user, CAST({time} AS TIMESTAMP) AS ts, CAST({a} AS BIGINT) AS amount")
        })
        .collect();
    s.sql(&rows.join(" UNION ALL "))
}

const ALL: [(&str, Option<&str>, i64); 8] = [
    ("ann", Some("10:00"), 1),
    ("ann", Some("10:03"), 2),
    ("ann", Some("10:07"), 3),
    ("ann", Some("10:20"), 4),
    ("ann", Some("10:25"), 5),
    ("bob", Some("10:01"), 6),
    ("bob", Some("10:30"), 7),
    ("carl", None, 8),
];

fn per_session(df: &DataFrame, keys: Vec<Column>, gap: &str) -> Result<DataFrame> {
    let mut keys = keys;
    keys.push(session_window(col("ts"), gap)?);
    df.group_by(keys).agg([count(col("*")).alias("count"), sum(col("amount")).alias("total")])
}

fn rows_of(df: &DataFrame) -> TestResult<Vec<SessionRow>> {
    let user = if df.columns().contains(&"user".to_string()) { col("user") } else { lit("").alias("user") };
    let formatted = df.select([
        user,
        date_format(col("session_window").get_field("start"), "yyyy-MM-dd HH:mm:ss").alias("start"),
        date_format(col("session_window").get_field("end"), "yyyy-MM-dd HH:mm:ss").alias("end"),
        col("count"),
        col("total"),
    ])?;
    let mut v: Vec<SessionRow> = formatted
        .collect()?
        .iter()
        .map(|r| Ok((r.get_at(0)?, r.get_at(1)?, r.get_at(2)?, r.get_at(3)?, r.get_at(4)?)))
        .collect::<Result<_>>()?;
    v.sort();
    Ok(v)
}

#[test]
fn batch_session_windows_give_sparks_sessions() -> TestResult {
    let s = session(2);
    let df = events(&s, &ALL)?;
    let by_user = per_session(&df, vec![col("user")], "5 minutes")?;
    assert_eq!(by_user.columns(), ["user", "session_window", "count", "total"]);
    // ann's 10:20 and 10:25 touch ([10:20, 10:25) and [10:25, 10:30)): Spark merges them; carl has no time.
    assert_eq!(rows_of(&by_user)?, reference("by_user_5_minutes")?);
    assert_eq!(rows_of(&per_session(&df, vec![], "10 minutes")?)?, reference("all_10_minutes")?);
    // Selected on its own, a row's session window is its own [time, time + gap), as in Spark.
    let own = df.filter(col("user").equal_to("bob"))?.select([session_window(col("ts"), "5 minutes")?])?;
    assert!(own.show_string(5, 0, false)?.contains("{2024-01-01 10:01:00, 2024-01-01 10:06:00}"));
    let e = session_window(col("ts"), "soon").expect_err("not a duration").to_string();
    assert!(e.contains("`soon` is not a duration"), "{e}");
    Ok(())
}

#[test]
fn streaming_session_windows_in_append_mode_write_each_closed_session_once() -> TestResult {
    let s = session(2);
    let dir = tempfile::tempdir()?;
    let input = MemoryStream::new(&s, events(&s, &ALL)?.schema());
    let start = || -> Result<StreamingQuery> {
        per_session(&input.to_df()?.with_watermark("ts", "5 minutes")?, vec![col("user")], "5 minutes")?
            .write_stream()
            .format("memory")
            .query_name("sessions")
            .output_mode("append")
            .option("checkpointLocation", dir.path().display())
            .start()
    };
    let query = start()?;
    let batches: [&[(&str, Option<&str>, i64)]; 3] =
        [&[ALL[0], ALL[5], ALL[1], ALL[7]], &[ALL[2], ALL[3]], &[ALL[4], ALL[6]]];
    // Watermark after batch 0: 10:03 − 5 min = 09:58; nothing is closed.
    input.add_data(events(&s, batches[0])?)?;
    query.process_all_available()?;
    assert!(rows_of(&s.table("sessions")?)?.is_empty());
    // After batch 1 the watermark is 10:15: ann [10:00, 10:12) and bob [10:01, 10:06) close.
    input.add_data(events(&s, batches[1])?)?;
    query.process_all_available()?;
    let mut written = rows_of(&s.table("sessions")?)?;
    assert_eq!(written.len(), 2);
    let op = &query.last_progress().expect("progress").state_operators[0];
    assert_eq!(op.operator_name, "sessionWindowStateStoreSaveExec");
    assert_eq!(op.num_rows_total, 1, "only ann's 10:20 row is still in an open session");
    // Stopped and restarted from the checkpoint, the open session's rows come back (the memory sink starts
    // empty again, as Spark's does, so what it wrote before is kept aside).
    query.stop()?;
    let query = start()?;
    input.add_data(events(&s, batches[2])?)?;
    // A far later event moves the watermark past every session.
    input.add_data(events(&s, &[("zed", Some("12:00"), 0)])?)?;
    query.process_all_available()?;
    written.extend(rows_of(&s.table("sessions")?)?);
    written.sort();
    assert_eq!(written, reference("by_user_5_minutes")?);
    // A row whose own window ends behind the watermark (11:55) is dropped and counted.
    input.add_data(events(&s, &[("ann", Some("11:00"), 9)])?)?;
    query.process_all_available()?;
    let op = &query.last_progress().expect("progress").state_operators[0];
    assert_eq!(op.num_rows_dropped_by_watermark, 1);
    assert_eq!(rows_of(&s.table("sessions")?)?.len(), 2, "nothing more was written");
    query.stop()?;
    Ok(())
}

#[test]
fn streaming_session_windows_in_update_mode_write_the_sessions_each_batch_changed() -> TestResult {
    let s = session(2);
    let input = MemoryStream::new(&s, events(&s, &ALL)?.schema());
    let query = per_session(&input.to_df()?, vec![col("user")], "5 minutes")?
        .write_stream()
        .format("memory")
        .query_name("changed")
        .output_mode("update")
        .start()?;
    let row = |u: &str, start: &str, end: &str, n, total| {
        (u.to_string(), format!("2024-01-01 {start}:00"), format!("2024-01-01 {end}:00"), n, total)
    };
    input.add_data(events(&s, &[ALL[0], ALL[1], ALL[5]])?)?;
    query.process_all_available()?;
    assert_eq!(
        rows_of(&s.table("changed")?)?,
        vec![row("ann", "10:00", "10:08", 2, 3), row("bob", "10:01", "10:06", 1, 6)]
    );
    // ann's 10:07 extends her session to [10:00, 10:12); bob's session is unchanged, so not written again.
    input.add_data(events(&s, &[ALL[2]])?)?;
    query.process_all_available()?;
    assert_eq!(query.last_progress().expect("progress").sink.num_output_rows, 1);
    assert!(rows_of(&s.table("changed")?)?.contains(&row("ann", "10:00", "10:12", 3, 6)));
    query.stop()?;

    let e = per_session(&input.to_df()?, vec![col("user")], "5 minutes")?
        .write_stream()
        .output_mode("append")
        .start()
        .expect_err("append needs a watermark")
        .to_string();
    assert!(e.contains("Append output mode not supported"), "{e}");
    Ok(())
}

#[test]
fn sql_groups_by_session_window_as_sparks_documentation_shows() -> TestResult {
    let s = session(2);
    // The example of Spark's SQL reference for `session_window`, with its documented answer.
    let df = s.sql(
        "SELECT a, session_window.start, session_window.end, count(*) AS cnt FROM VALUES ('A1', '2021-01-01 00:00:00'), \
         ('A1', '2021-01-01 00:04:30'), ('A1', '2021-01-01 00:10:00'), ('A2', '2021-01-01 00:01:00') AS tab(a, b) \
         GROUP BY a, session_window(b, '5 minutes') ORDER BY a, start",
    )?;
    let formatted = df.select([
        col("a"),
        date_format(col("start"), "yyyy-MM-dd HH:mm:ss"),
        date_format(col("end"), "yyyy-MM-dd HH:mm:ss"),
        col("cnt"),
    ])?;
    let rows: Vec<(String, String, String, i64)> = formatted
        .collect()?
        .iter()
        .map(|r| Ok((r.get_at(0)?, r.get_at(1)?, r.get_at(2)?, r.get_at(3)?)))
        .collect::<Result<_>>()?;
    let row = |a: &str, start: &str, end: &str, n| {
        (a.to_string(), format!("2021-01-01 {start}"), format!("2021-01-01 {end}"), n)
    };
    assert_eq!(
        rows,
        vec![
            row("A1", "00:00:00", "00:09:30", 2),
            row("A1", "00:10:00", "00:15:00", 1),
            row("A2", "00:01:00", "00:06:00", 1)
        ]
    );
    // The same query over a view of the events gives PySpark's sessions.
    events(&s, &ALL)?.create_or_replace_temp_view("clicks")?;
    let by_user = s.sql(
        "SELECT user, session_window, count(*) AS count, sum(amount) AS total FROM clicks \
         GROUP BY user, session_window(ts, '5 minutes')",
    )?;
    assert_eq!(rows_of(&by_user)?, reference("by_user_5_minutes")?);
    let e = s.sql("SELECT count(*) FROM clicks GROUP BY session_window(ts, 'soon')").and_then(|df| df.collect());
    let e = e.expect_err("not a duration").to_string();
    assert!(e.contains("gap duration"), "{e}");
    Ok(())
}

#[test]
fn sql_session_windows_over_a_streaming_view() -> TestResult {
    let s = session(2);
    let input = MemoryStream::new(&s, events(&s, &ALL)?.schema());
    input.to_df()?.create_or_replace_temp_view("click_stream")?;
    let query = s
        .sql(
            "SELECT user, session_window, count(*) AS count, sum(amount) AS total FROM click_stream \
             GROUP BY user, session_window(ts, '5 minutes')",
        )?
        .write_stream()
        .format("memory")
        .query_name("sql_sessions")
        .output_mode("complete")
        .start()?;
    input.add_data(events(&s, &ALL[..4])?)?;
    query.process_all_available()?;
    input.add_data(events(&s, &ALL[4..])?)?;
    query.process_all_available()?;
    // Complete mode keeps every session: the final table is the batch answer.
    assert_eq!(rows_of(&s.table("sql_sessions")?)?, reference("by_user_5_minutes")?);
    query.stop()?;
    Ok(())
}
