//! Golden streaming tests: the course's IoT lab over `datasets/iot-events` (50 JSON files, one per trigger)
//! must end with PySpark's tables (`datasets/reference/iot.py --spark`), whether the query runs straight
//! through, is stopped and restarted from its checkpoint mid-stream, or runs with another partition count.

use crate::{TestResult, session};
use flint_engine::datasets;
use flint_engine::prelude::*;
use flint_engine::streaming::StreamingQuery;
use std::path::Path;
use std::sync::Arc;

type Tables = (Vec<(String, i64)>, Vec<(String, String, i64)>);

fn expected() -> TestResult<Tables> {
    let text = std::fs::read_to_string(datasets::path("reference/iot_expected.json"))?;
    let json: serde_json::Value = serde_json::from_str(&text)?;
    let statics = json["static_counts"]
        .as_array()
        .ok_or("static_counts")?
        .iter()
        .map(|r| Ok((r[0].as_str().ok_or("action")?.to_string(), r[1].as_i64().ok_or("count")?)))
        .collect::<TestResult<_>>()?;
    let windows = json["window_counts"]
        .as_array()
        .ok_or("window_counts")?
        .iter()
        .map(|r| {
            Ok((
                r[0].as_str().ok_or("action")?.to_string(),
                r[1].as_str().ok_or("start")?.to_string(),
                r[2].as_i64().ok_or("count")?,
            ))
        })
        .collect::<TestResult<_>>()?;
    Ok((statics, windows))
}

fn schema() -> arrow::datatypes::SchemaRef {
    use arrow::datatypes::{DataType, Field, Schema, TimeUnit};
    Arc::new(Schema::new(vec![
        Field::new("time", DataType::Timestamp(TimeUnit::Microsecond, None), true),
        Field::new("action", DataType::Utf8, true),
    ]))
}

/// Starts the lab's two queries on the files of `dir`, checkpointed under `checkpoint` when given.
fn start(s: &Session, dir: &Path, checkpoint: Option<&Path>) -> Result<[StreamingQuery; 2]> {
    let stream = s.read_stream().schema(schema()).option("maxFilesPerTrigger", 1).json(&dir.display().to_string())?;
    let by_action = stream.group_by(["action"]).count()?;
    let by_window = stream.group_by([col("action"), window(col("time"), "1 hour", None)?]).count()?;
    let writer = |df: DataFrame, name: &str| {
        let w = df.write_stream().format("memory").query_name(name).output_mode("complete");
        match checkpoint {
            Some(cp) => w.option("checkpointLocation", cp.join(name).display()).start(),
            None => w.start(),
        }
    };
    Ok([writer(by_action, "iot_counts")?, writer(by_window, "iot_windows")?])
}

fn finish(queries: [StreamingQuery; 2]) -> Result<()> {
    for q in &queries {
        q.process_all_available()?;
    }
    queries.iter().try_for_each(StreamingQuery::stop)
}

fn tables(s: &Session) -> Result<Tables> {
    let mut statics: Vec<(String, i64)> = s
        .sql("SELECT action, count FROM iot_counts")?
        .collect()?
        .iter()
        .map(|r| Ok((r.get_at(0)?, r.get_at(1)?)))
        .collect::<Result<_>>()?;
    statics.sort();
    let mut windows: Vec<(String, String, i64)> = s
        .sql("SELECT action, date_format(window.start, 'yyyy-MM-dd HH:mm:ss') AS start, count FROM iot_windows")?
        .collect()?
        .iter()
        .map(|r| Ok((r.get_at(0)?, r.get_at(1)?, r.get_at(2)?)))
        .collect::<Result<_>>()?;
    windows.sort();
    Ok((statics, windows))
}

fn copy_files(from: &Path, to: &Path, names: &[String]) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for name in names {
        std::fs::copy(from.join(name), to.join(name))?;
    }
    Ok(())
}

fn event_files() -> std::io::Result<Vec<String>> {
    let mut names: Vec<String> = std::fs::read_dir(datasets::path("iot-events"))?
        .map(|e| e.map(|e| e.file_name().to_string_lossy().into_owned()))
        .collect::<std::io::Result<_>>()?;
    names.sort();
    Ok(names)
}

#[test]
fn the_iot_lab_streams_to_sparks_tables_straight_through() -> TestResult {
    let s = session(2);
    finish(start(&s, Path::new(&datasets::path("iot-events")), None)?)?;
    assert_eq!(tables(&s)?, expected()?);
    Ok(())
}

#[test]
fn the_iot_lab_stopped_and_restarted_from_its_checkpoint_ends_the_same() -> TestResult {
    let s = session(2);
    let tmp = tempfile::tempdir()?;
    let (input, checkpoint) = (tmp.path().join("events"), tmp.path().join("checkpoint"));
    let names = event_files()?;
    let source = Path::new(&datasets::path("iot-events")).to_path_buf();
    copy_files(&source, &input, &names[..17])?;
    finish(start(&s, &input, Some(&checkpoint))?)?;
    // Files arriving while the query is down are taken after the restart, each once.
    copy_files(&source, &input, &names[17..])?;
    let queries = start(&s, &input, Some(&checkpoint))?;
    let first_batch = {
        queries[0].process_all_available()?;
        queries[0].recent_progress().first().map(|p| p.batch_id)
    };
    finish(queries)?;
    assert_eq!(first_batch, Some(17), "the restart continued after the 17 committed batches");
    assert_eq!(tables(&s)?, expected()?);
    Ok(())
}

#[test]
fn the_iot_lab_gives_the_same_tables_with_one_or_four_partitions() -> TestResult {
    for n in [1, 4] {
        let s = session(n);
        finish(start(&s, Path::new(&datasets::path("iot-events")), None)?)?;
        assert_eq!(tables(&s)?, expected()?, "local[{n}]");
    }
    Ok(())
}

#[test]
fn a_ddl_schema_reads_the_iot_events_as_sparks_schema_strings_do() -> TestResult {
    // The lab as PySpark users write it: `.schema("time TIMESTAMP, action STRING")`.
    let s = session(2);
    let input = datasets::path("iot-events");
    let ddl = "time TIMESTAMP, action STRING";
    let statics = s.read().schema(ddl).json(&input)?.group_by(["action"]).count()?;
    let mut counts: Vec<(String, i64)> =
        statics.collect()?.iter().map(|r| Ok((r.get_at(0)?, r.get_at(1)?))).collect::<Result<_>>()?;
    counts.sort();
    assert_eq!(counts, expected()?.0);
    let stream = s.read_stream().schema(ddl).option("maxFilesPerTrigger", 1).json(&input)?;
    assert_eq!(stream.columns(), ["time", "action"]);
    assert!(stream.schema().field(0).is_nullable());
    let e = s.read().schema("time WHEN").json(&input).expect_err("not a type").to_string();
    assert!(e.contains("`WHEN` is not a type"), "{e}");
    let e = s.read_stream().schema("time").json(&input).expect_err("no type").to_string();
    assert!(e.contains("is not a column of a DDL schema"), "{e}");
    Ok(())
}
