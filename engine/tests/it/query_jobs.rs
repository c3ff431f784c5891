//! DataFrame and SQL actions as jobs: the events they post (one job, a stage per piece of the plan between
//! exchanges, a task per partition), their failures, and their cancellation.

use crate::{TestResult, logged_session, session};
use arrow::datatypes::DataType;
use flint_engine::dataframe::arrow_udf;
use flint_engine::prelude::*;
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

/// The job's description and failure, after checking that the log holds exactly one job, that it starts first
/// and ends last, and that every stage submitted completed after its tasks ended: one per partition if
/// `every_task`, else at most that (a query that fails or stops early may not start them all).
fn one_job(log: &EventLog, every_task: bool) -> (String, Option<String>) {
    let events = log.events();
    let (Some(Event::JobStart { job_id, description }), Some(Event::JobEnd { job_id: ended, failure, .. })) =
        (events.first(), events.last())
    else {
        panic!("a job must start first and end last: {events:#?}");
    };
    assert_eq!(job_id, ended);
    let jobs = events.iter().filter(|e| matches!(e, Event::JobStart { .. } | Event::JobEnd { .. })).count();
    assert_eq!(jobs, 2, "one job: {events:#?}");
    for e in &events {
        let Event::StageSubmitted { job_id: of, stage } = e else { continue };
        assert_eq!(of, job_id);
        let completed = events
            .iter()
            .filter(|e| matches!(e, Event::StageCompleted { stage: s, .. } if s.stage_id == stage.stage_id))
            .count();
        assert_eq!(completed, 1, "stage {} completes once", stage.stage_id);
        let tasks = events
            .iter()
            .filter(|e| matches!(e, Event::TaskEnd { stage_id, .. } if *stage_id == stage.stage_id))
            .count();
        if every_task {
            assert_eq!(tasks, stage.num_tasks, "one task per partition of stage {}", stage.stage_id);
        } else {
            assert!(tasks <= stage.num_tasks, "at most one task per partition of stage {}", stage.stage_id);
        }
    }
    (description.clone(), failure.clone())
}

#[test]
fn a_grouped_query_is_one_job_of_several_stages() -> TestResult {
    let (s, log) = logged_session(4);
    let totals = s.range_df(1000)?.select_expr(["id % 10 AS k", "id"])?.group_by(["k"]).agg([sum("id")])?;
    log.clear();
    let (rows, line) = (totals.collect()?, line!());

    // Key k holds ids k, k + 10, …, k + 990: 100 of them, summing to 100k + 10 · (0 + 1 + … + 99) = 100k + 49500.
    let mut got: Vec<(i64, i64)> = rows.iter().map(|r| Ok((r.get_at(0)?, r.get_at(1)?))).collect::<Result<_>>()?;
    got.sort();
    assert_eq!(got, (0..10).map(|k| (k, 100 * k + 49_500)).collect::<Vec<_>>());

    let (description, failure) = one_job(&log, true);
    let site = format!("{}:{line}", file!());
    assert_eq!(description, format!("collect at {site}"));
    assert_eq!(failure, None);
    let stages = log.completed_stages();
    // At least the partial aggregation per input partition, then the final one per hash partition.
    assert!(stages.len() >= 2, "{stages:#?}");
    assert!(stages.iter().all(|(stage, _)| stage.name.ends_with(&format!(" at {site}"))), "{stages:#?}");
    let results: Vec<&TaskMetrics> = stages.iter().filter(|(s, _)| !s.is_shuffle_map).map(|(_, m)| m).collect();
    assert_eq!(results.len(), 1, "one result stage");
    assert_eq!(results[0].records_written, 10, "one row per key");
    let succeeded = log.events().iter().all(|e| !matches!(e, Event::TaskEnd { success: false, .. }));
    assert!(succeeded);
    Ok(())
}

#[test]
fn sql_queries_and_counts_are_jobs_too() -> TestResult {
    let (s, log) = logged_session(2);
    let sales = vec![("tea".to_string(), 3i64), ("coffee".to_string(), 5), ("tea".to_string(), 4)];
    s.create_dataframe(sales, &["item", "amount"])?.create_or_replace_temp_view("sales")?;
    let totals = s.sql("SELECT item, sum(amount) AS total FROM sales GROUP BY item ORDER BY item")?;
    log.clear();
    let (rows, line) = (totals.collect()?, line!());
    let got: Vec<(String, i64)> = rows.iter().map(|r| Ok((r.get_at(0)?, r.get_at(1)?))).collect::<Result<_>>()?;
    assert_eq!(got, vec![("coffee".to_string(), 5), ("tea".to_string(), 7)]);
    assert_eq!(one_job(&log, true), (format!("collect at {}:{line}", file!()), None));

    log.clear();
    let (count, line) = (totals.count()?, line!());
    assert_eq!(count, 2, "tea and coffee");
    assert_eq!(one_job(&log, true), (format!("count at {}:{line}", file!()), None));
    Ok(())
}

#[test]
fn create_table_as_select_runs_its_query_as_a_job() -> TestResult {
    let (s, log) = logged_session(2);
    let sales = vec![("tea".to_string(), 3i64), ("coffee".to_string(), 5), ("tea".to_string(), 4)];
    s.create_dataframe(sales, &["item", "amount"])?.create_or_replace_temp_view("sales")?;
    log.clear();
    // Spark runs the query when the statement runs: one job, named after the `sql` call.
    let line = line!() + 1;
    let created = s.sql("CREATE TABLE totals AS SELECT item, sum(amount) AS total FROM sales GROUP BY item")?;
    assert_eq!(one_job(&log, true), (format!("sql at {}:{line}", file!()), None));
    assert!(created.columns().is_empty());
    let rows = s.sql("SELECT item, total FROM totals ORDER BY item")?.collect()?;
    let got: Vec<(String, i64)> = rows.iter().map(|r| Ok((r.get_at(0)?, r.get_at(1)?))).collect::<Result<_>>()?;
    assert_eq!(got, vec![("coffee".to_string(), 5), ("tea".to_string(), 7)]);

    // An existing table: IF NOT EXISTS runs nothing; without it, the statement fails before any job.
    log.clear();
    s.sql("CREATE TABLE IF NOT EXISTS totals AS SELECT 1 AS one")?;
    assert!(log.events().is_empty(), "{:?}", log.events());
    let exists = s.sql("CREATE TABLE totals AS SELECT 1 AS one").expect_err("exists").to_string();
    assert!(exists.contains("totals") && exists.contains("already exists"), "{exists}");
    assert!(log.events().is_empty(), "{:?}", log.events());
    assert_eq!(s.sql("SELECT count(*) FROM totals")?.collect()?[0].get_at::<i64>(0)?, 2, "the table is unchanged");
    // A table with columns and no query runs nothing either.
    log.clear();
    s.sql("CREATE TABLE empty (a INT)")?;
    assert!(log.events().is_empty(), "{:?}", log.events());
    assert_eq!(s.sql("SELECT count(*) FROM empty")?.collect()?[0].get_at::<i64>(0)?, 0);
    log.clear();
    s.sql("CREATE OR REPLACE TABLE totals AS SELECT 1 AS one")?;
    assert_eq!(one_job(&log, true).1, None);
    assert_eq!(s.sql("SELECT * FROM totals")?.collect()?[0].get_at::<i64>(0)?, 1, "the table is replaced");
    Ok(())
}

#[test]
fn a_job_description_names_this_threads_jobs_in_its_session_only() -> TestResult {
    let (s, log) = logged_session(2);
    let (other, other_log) = logged_session(2);
    s.set_job_description(Some("nightly totals"));
    s.range(0, 10, 1, 2)?.count()?;
    s.sql("SELECT 1")?.collect()?;
    let line = line!() + 1;
    other.range(0, 10, 1, 2)?.count()?;
    let elsewhere = std::thread::scope(|t| t.spawn(|| s.range(0, 10, 1, 2).and_then(|r| r.count())).join());
    assert_eq!(elsewhere.map_err(|_| "thread panicked")??, 10);
    s.set_job_description(None);
    let starts = |log: &EventLog| -> Vec<String> {
        log.events()
            .into_iter()
            .filter_map(|e| match e {
                Event::JobStart { description, .. } => Some(description),
                _ => None,
            })
            .collect()
    };
    let mine = starts(&log);
    assert_eq!(mine[..2], ["nightly totals", "nightly totals"]);
    assert!(mine[2].starts_with("count at "), "another thread keeps call sites: {mine:?}");
    assert_eq!(starts(&other_log), vec![format!("count at {}:{line}", file!())]);
    Ok(())
}

#[test]
fn an_action_that_stops_early_still_completes_its_stages() -> TestResult {
    let (s, log) = logged_session(2);
    let spread = s.range_df(100_000)?.repartition(4)?;
    log.clear();
    let (rows, line) = (spread.take(3)?, line!());
    assert_eq!(rows.len(), 3);
    // The partitions the LIMIT did not need end as stopped tasks; the stages and the job still end.
    assert_eq!(one_job(&log, false), (format!("take at {}:{line}", file!()), None));
    Ok(())
}

#[test]
fn a_failing_query_reports_its_failure() -> TestResult {
    let (s, log) = logged_session(2);
    let refuse = arrow_udf("refuse", DataType::Int64, |_, _| Err("no numbers today".to_string()));
    let panics = udf("panics", |x: i64| if x == 42 { panic!("bad record 42") } else { x });
    for (f, message) in [(refuse, "no numbers today"), (panics, "bad record 42")] {
        log.clear();
        let err = s.range_df(100)?.repartition(2)?.select([f.call([col("id")])])?.collect().expect_err("fails");
        assert!(err.to_string().contains(message), "{err}");
        let (_, failure) = one_job(&log, false);
        assert!(failure.is_some_and(|f| f.contains(message)), "{message}");
        let failed_stages = log
            .events()
            .into_iter()
            .filter(|e| matches!(e, Event::StageCompleted { failure: Some(f), .. } if f.contains(message)))
            .count();
        assert!(failed_stages >= 1, "{:#?}", log.events());
        assert!(log.events().iter().any(|e| matches!(e, Event::TaskEnd { success: false, .. })));
    }
    Ok(())
}

/// A query whose UDF sleeps 1 µs a row over 10M rows (however DataFusion batches them, 10 s of UDF time, 5 s on 2
/// threads, if not cancelled), and a thread that cancels the session's jobs 300 ms after the UDF first runs.
fn slow_query(s: &Session) -> Result<(DataFrame, std::thread::JoinHandle<()>)> {
    let (started, first_batch) = mpsc::channel();
    let slow = arrow_udf("slow", DataType::Int64, move |columns, rows| {
        let _ = started.send(());
        std::thread::sleep(Duration::from_micros(rows as u64));
        Ok(Arc::clone(&columns[0]))
    });
    let rows = s.range_df(10_000_000)?.select([slow.call([col("id")]).alias("x")])?;
    let s = s.clone();
    let canceller = std::thread::spawn(move || {
        let _ = first_batch.recv();
        std::thread::sleep(Duration::from_millis(300));
        s.cancel_all_jobs();
    });
    Ok((rows, canceller))
}

#[test]
fn cancel_all_jobs_stops_a_running_query() -> TestResult {
    let (s, log) = logged_session(2);
    let (rows, canceller) = slow_query(&s)?;
    let total = rows.agg([sum("x")])?;
    let begun = Instant::now();
    let err = total.collect().expect_err("cancelled");
    let took = begun.elapsed();
    canceller.join().map_err(|_| "the canceller thread panicked")?;
    assert!(matches!(err, Error::Cancelled { .. }), "{err:?}");
    assert!(took < Duration::from_millis(2500), "stopped after {took:?}, not at once");
    let (_, failure) = one_job(&log, false);
    assert!(failure.is_some_and(|f| f.ends_with("cancelled")));

    // Queries started after the cancellation run normally.
    assert_eq!(s.range_df(10)?.agg([sum("id")])?.collect()?[0].get_at::<i64>(0)?, 45, "0 + 1 + … + 9");
    Ok(())
}

#[test]
fn a_cancellation_stops_only_the_jobs_running() -> TestResult {
    let (a, b) = (session(1), session(1));
    a.cancel_all_jobs();
    assert_eq!(a.range_df(5)?.count()?, 5, "a job started after the cancellation runs");
    assert_eq!(b.range_df(5)?.count()?, 5);
    Ok(())
}

#[test]
fn a_parquet_write_is_one_job_that_counts_the_rows_it_writes() -> TestResult {
    let (s, log) = logged_session(2);
    let squares = s.range_df(1000)?.select_expr(["id", "id * id AS sq"])?;
    let dir = tempfile::tempdir()?;
    let out = dir.path().join("squares");
    log.clear();
    let ((), line) = (squares.write().parquet(&out)?, line!());

    let site = format!("{}:{line}", file!());
    assert_eq!(one_job(&log, true), (format!("parquet at {site}"), None));
    let stages = log.completed_stages();
    assert!(stages.iter().all(|(stage, _)| stage.name.ends_with(&format!(" at {site}"))), "{stages:#?}");
    // No stage filters or aggregates: each passes on the 1000 rows, and the sink's one task counts the 1000 rows it
    // read and wrote.
    assert!(stages.iter().all(|(_, m)| m.records_written == 1000), "{stages:#?}");
    // The sink takes its input's partitions merged into one: at least one map stage, then the sink's.
    let sinks: Vec<_> = stages.iter().filter(|(s, _)| !s.is_shuffle_map).collect();
    assert!(stages.len() >= 2 && sinks.len() == 1, "{stages:#?}");
    assert!(sinks[0].0.name.starts_with("DataSink at ") && sinks[0].0.num_tasks == 1, "{sinks:#?}");

    assert!(out.join("_SUCCESS").exists());
    let back = s.read().parquet(&out.to_string_lossy())?.agg([count(col("id")), sum("id"), sum("sq")])?.collect()?;
    // 0 + 1 + … + 999 = 999 · 1000 / 2; 0² + 1² + … + 999² = 999 · 1000 · 1999 / 6.
    let got: (i64, i64, i64) = (back[0].get_at(0)?, back[0].get_at(1)?, back[0].get_at(2)?);
    assert_eq!(got, (1000, 499_500, 332_833_500));
    Ok(())
}

#[test]
fn a_cancelled_write_stops_at_once_and_leaves_nothing_at_its_destination() -> TestResult {
    let (s, log) = logged_session(2);
    let (rows, canceller) = slow_query(&s)?;
    let dir = tempfile::tempdir()?;
    let out = dir.path().join("slow");
    let begun = Instant::now();
    let err = rows.write().parquet(&out).expect_err("cancelled");
    let took = begun.elapsed();
    canceller.join().map_err(|_| "the canceller thread panicked")?;
    assert!(matches!(err, Error::Cancelled { .. }), "{err:?}");
    assert!(took < Duration::from_millis(2500), "stopped after {took:?}, not at once");
    let (description, failure) = one_job(&log, false);
    assert!(description.starts_with("parquet at "), "{description}");
    assert!(failure.is_some_and(|f| f.ends_with("cancelled")));

    // The files written so far were staged in a hidden directory beside the destination, never committed.
    assert!(!out.exists());
    let visible: Vec<_> = std::fs::read_dir(dir.path())?
        .map(|e| e.map(|e| e.file_name().to_string_lossy().into_owned()))
        .filter(|name| !name.as_ref().is_ok_and(|n| n.starts_with('.')))
        .collect::<std::io::Result<_>>()?;
    assert!(visible.is_empty(), "{visible:?}");
    Ok(())
}

#[test]
fn statistics_are_jobs_named_after_the_callers_line() -> TestResult {
    let (s, log) = logged_session(2);
    let df = s.create_dataframe(vec![(1i64, 2.0f64), (2, 4.0), (6, 12.0)], &["n", "y"])?;
    log.clear();
    let (described, line) = (df.describe()?, line!());
    assert_eq!(one_job(&log, true), (format!("describe at {}:{line}", file!()), None));
    // Row 1 is the mean: (1 + 2 + 6) / 3.
    assert_eq!(described.collect()?[1].get_as::<String>("n")?, "3.0");

    log.clear();
    let (r, line) = (df.stat().corr("n", "y")?, line!());
    assert_eq!(one_job(&log, true), (format!("corr at {}:{line}", file!()), None));
    assert!((r - 1.0).abs() < 1e-12, "y = 2n, a perfect correlation: {r}");
    Ok(())
}

#[test]
fn a_persisted_dataframe_is_computed_in_its_first_actions_job() -> TestResult {
    let (s, log) = logged_session(2);
    let doubled = s.range_df(1000)?.select_expr(["id * 2 AS d"])?.persist(StorageLevel::MEMORY_ONLY)?;
    let total = doubled.agg([sum("d")])?;
    // The stage computing the persisted rows: the projection `id * 2`, over all 1000 rows.
    let computes = |log: &EventLog| {
        let stages = log.completed_stages();
        stages
            .iter()
            .any(|(s, m)| s.is_shuffle_map && s.name.starts_with("Projection at ") && m.records_written == 1000)
    };
    for first in [true, false] {
        log.clear();
        let (rows, line) = (total.collect()?, line!());
        // 2 · (0 + 1 + … + 999) = 999 · 1000.
        assert_eq!(rows[0].get_at::<i64>(0)?, 999_000);
        assert_eq!(one_job(&log, true), (format!("collect at {}:{line}", file!()), None));
        // Later actions read the stored partitions.
        assert_eq!(computes(&log), first, "{:#?}", log.completed_stages());
    }
    Ok(())
}
