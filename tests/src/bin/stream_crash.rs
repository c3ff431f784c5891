//! The process the crash test kills: the IoT stream (one file per trigger) through two checkpointed queries —
//! its rows into a Parquet file sink, and its counts per action (complete mode) into one file per batch
//! id via `foreach_batch` — until everything available is processed (`available_now`).
//!
//! Usage: stream_crash INPUT_DIR OUTPUT_DIR CHECKPOINT_DIR

use flint_engine::prelude::*;
use flint_engine::streaming::Trigger;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

fn run(input: &str, output: &Path, checkpoint: &Path) -> Result<()> {
    use arrow::datatypes::{DataType, Field, Schema, TimeUnit};
    let session = Session::builder().app_name("stream_crash").master("local[2]").build()?;
    let schema = Arc::new(Schema::new(vec![
        Field::new("time", DataType::Timestamp(TimeUnit::Microsecond, None), true),
        Field::new("action", DataType::Utf8, true),
    ]));
    let stream = session.read_stream().schema(schema).option("maxFilesPerTrigger", 1).json(input)?;
    let rows = stream
        .select([col("time"), col("action")])?
        .write_stream()
        .format("parquet")
        .option("checkpointLocation", checkpoint.join("rows").display())
        .trigger(Trigger::available_now())
        .start_at(&output.join("rows").display().to_string())?;
    let counts_dir = output.join("counts");
    std::fs::create_dir_all(&counts_dir).map_err(|e| Error::Execution(format!("{}: {e}", counts_dir.display())))?;
    let counts = stream
        .group_by(["action"])
        .count()?
        .write_stream()
        .output_mode("complete")
        .option("checkpointLocation", checkpoint.join("counts").display())
        .trigger(Trigger::available_now())
        .foreach_batch(move |df, batch| {
            // Written whole or not at all, and named by the batch id: a replayed batch overwrites its file.
            let mut lines: Vec<String> = df
                .collect()?
                .iter()
                .map(|r| Ok(format!("{}\t{}\n", r.get_at::<String>(0)?, r.get_at::<i64>(1)?)))
                .collect::<Result<_>>()?;
            lines.sort();
            let path = counts_dir.join(format!("{batch:05}.tsv"));
            let tmp = counts_dir.join(format!(".{batch:05}.tsv.tmp"));
            std::fs::write(&tmp, lines.concat())
                .and_then(|()| std::fs::rename(&tmp, &path))
                .map_err(|e| Error::Execution(format!("{}: {e}", path.display())))
        })
        .start()?;
    rows.await_termination(None)?;
    counts.await_termination(None)?;
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [input, output, checkpoint] = args.as_slice() else {
        eprintln!("usage: stream_crash INPUT_DIR OUTPUT_DIR CHECKPOINT_DIR");
        return ExitCode::from(2);
    };
    match run(input, &PathBuf::from(output), &PathBuf::from(checkpoint)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("stream_crash: {e}");
            ExitCode::FAILURE
        }
    }
}
