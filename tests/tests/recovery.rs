//! Recovery after crashes: a streaming process (`stream_crash`) is killed with SIGKILL at random points, many
//! times, and restarted from its checkpoints each time; its final output must equal the batch answer — every
//! input row written exactly once, and each batch's counts those of exactly the files it had read.

use flint_engine::datasets;
use flint_engine::prelude::*;
use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

type TestResult = std::result::Result<(), Box<dyn std::error::Error>>;

/// Kills before the process is let run to the end.
const KILLS: usize = 25;

/// A small deterministic generator for the kill delays (the test must be reproducible).
fn next(state: &mut u64) -> u64 {
    *state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
    *state >> 33
}

/// The batches in a query's commit log (its entries are named by batch id; a temporary file is not a commit).
fn committed(commits: &Path) -> std::io::Result<usize> {
    if !commits.exists() {
        return Ok(0);
    }
    let mut n = 0;
    for entry in std::fs::read_dir(commits)? {
        n += usize::from(entry?.file_name().to_str().is_some_and(|n| n.parse::<u64>().is_ok()));
    }
    Ok(n)
}

/// The events of each input file, in file order, as (unix seconds, action).
fn input_files(dir: &Path) -> std::io::Result<Vec<Vec<(i64, String)>>> {
    let mut names: Vec<_> = std::fs::read_dir(dir)?.map(|e| e.map(|e| e.path())).collect::<std::io::Result<_>>()?;
    names.sort();
    names
        .iter()
        .map(|p| {
            let text = std::fs::read_to_string(p)?;
            Ok(text
                .lines()
                .map(|l| {
                    // Lines are `{"time":N,"action":"A"}` (datasets/gen/generate.py writes exactly this).
                    let time =
                        l.split("\"time\":").nth(1).and_then(|r| r.split(',').next()).and_then(|n| n.parse().ok());
                    let action = l.split("\"action\":\"").nth(1).and_then(|r| r.split('"').next());
                    (time.unwrap_or(-1), action.unwrap_or_default().to_string())
                })
                .collect())
        })
        .collect()
}

#[test]
fn a_stream_killed_at_random_points_ends_with_exactly_the_batch_answer() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let (input, output, checkpoint) = (tmp.path().join("in"), tmp.path().join("out"), tmp.path().join("cp"));
    std::fs::create_dir_all(&input)?;
    let source = Path::new(&datasets::path("iot-events")).to_path_buf();
    let files = input_files(&source)?;
    let mut names: Vec<_> =
        std::fs::read_dir(&source)?.map(|e| e.map(|e| e.file_name())).collect::<std::io::Result<_>>()?;
    names.sort();
    for name in &names {
        std::fs::copy(source.join(name), input.join(name))?;
    }
    let run = || {
        Command::new(env!("CARGO_BIN_EXE_stream_crash"))
            .args([&input, &output, &checkpoint])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
    };
    let mut seed = 0x5eed_u64;
    let mut kills = 0;
    // The committed batches at each kill.
    let mut progress = Vec::new();
    let started = Instant::now();
    let commits = checkpoint.join("rows/commits");
    loop {
        let mut child = run()?;
        if kills == KILLS {
            let out = child.wait_with_output()?;
            assert!(out.status.success(), "the last run failed: {}", String::from_utf8_lossy(&out.stderr));
            break;
        }
        // Kill points follow the stream's progress, not the clock alone, so that however fast the machine the
        // process dies many times before it can finish: wait until 0–2 more batches have committed than at the
        // last kill (0 kills it while it starts or recovers), then for a random 0–3 ms so that the kill lands
        // anywhere in a batch — while the sink writes, before or after the commit log.
        let target = progress.last().copied().unwrap_or(0) + (next(&mut seed) % 3) as usize;
        let waiting = Instant::now();
        let finished = loop {
            if let Some(status) = child.try_wait()? {
                break Some(status);
            }
            if committed(&commits)? >= target {
                std::thread::sleep(Duration::from_micros(next(&mut seed) % 3_000));
                break child.try_wait()?;
            }
            assert!(waiting.elapsed() < Duration::from_secs(60), "no batch committed in 60 s");
            std::thread::sleep(Duration::from_micros(200));
        };
        match finished {
            Some(status) => {
                let out = child.wait_with_output()?;
                assert!(status.success(), "a run failed: {}", String::from_utf8_lossy(&out.stderr));
                break;
            }
            None => {
                child.kill()?; // SIGKILL
                child.wait()?;
                kills += 1;
                progress.push(committed(&commits)?);
            }
        }
    }
    eprintln!("{kills} kills at {progress:?} committed batches, {:.1} s", started.elapsed().as_secs_f64());
    assert!(kills >= 10, "the process was killed only {kills} times before it finished");
    progress.dedup();
    assert!(progress.len() >= 5, "the kills fell at only {} points of the stream: {progress:?}", progress.len());

    // Every input row exactly once (as a multiset), read through the sink's log.
    let session = Session::builder().master("local[2]").build()?;
    let rows = session.read().parquet(&output.join("rows").display().to_string())?;
    let mut got: Vec<(i64, String)> = rows
        .select([col("time").cast("bigint")?, col("action")])?
        .collect()?
        .iter()
        .map(|r| Ok((r.get_at::<i64>(0)? / 1_000_000, r.get_at::<String>(1)?)))
        .collect::<Result<_>>()?;
    got.sort();
    let mut want: Vec<(i64, String)> = files.iter().flatten().cloned().collect();
    want.sort();
    assert_eq!(got.len(), want.len());
    assert_eq!(got, want);
    // No file outside the log: the directory alone holds exactly the committed output.
    let mut logged = Vec::new();
    for entry in std::fs::read_dir(output.join("rows/_spark_metadata"))? {
        let text = std::fs::read_to_string(entry?.path())?;
        for line in text.lines().skip(1) {
            let file: serde_json::Value = serde_json::from_str(line)?;
            let path = file["path"].as_str().ok_or("a logged file without a path")?;
            logged.push(path.rsplit('/').next().unwrap_or_default().to_string());
        }
    }
    let mut parts: Vec<String> = std::fs::read_dir(output.join("rows"))?
        .map(|e| e.map(|e| e.file_name().to_string_lossy().into_owned()))
        .collect::<std::io::Result<_>>()?;
    parts.retain(|n| n.starts_with("part-"));
    parts.sort();
    logged.sort();
    assert_eq!(parts, logged);

    // Batch k's counts are those of the first k + 1 files, replays included.
    let mut counts: BTreeMap<String, i64> = BTreeMap::new();
    for (k, file) in files.iter().enumerate() {
        for (_, action) in file {
            *counts.entry(action.clone()).or_default() += 1;
        }
        let want: String = counts.iter().map(|(a, n)| format!("{a}\t{n}\n")).collect();
        let got = std::fs::read_to_string(output.join("counts").join(format!("{k:05}.tsv")))?;
        assert_eq!(got, want, "the counts of batch {k}");
    }
    Ok(())
}
