//! Errors: what users see when a closure panics, a path is wrong, a parameter is invalid, or a job is cancelled.

use crate::{TestResult, logged_session, numbers, session};
use flint_engine::prelude::*;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Barrier};

/// `0..100` in 4 partitions through a `map` that panics on 60 (in partition 2: Spark slices are 25 each).
fn poisoned(s: &Session) -> Rdd<i64> {
    s.parallelize(numbers(100), 4).map(|x| if x == 60 { panic!("bad record {x}") } else { x })
}

/// Asserts `err` is a task failure of `partition` in a stage named `<op> at <this file>:<line>`, with the panic.
fn assert_task_failed(err: &Error, op: &str, partition: usize, panic: &str) {
    let Error::TaskFailed { stage, stage_name, partition: p, message } = err else {
        panic!("expected TaskFailed, got {err:?}");
    };
    assert_eq!(*p, partition, "{err}");
    assert!(stage_name.starts_with(&format!("{op} at {}:", file!())), "stage name: {stage_name}");
    assert!(message.contains(panic), "message: {message}");
    let shown = err.to_string();
    assert!(shown.contains(&format!("task {partition} in stage {stage}")) && shown.contains(panic), "{shown}");
    assert!(err.is_user_error());
}

#[test]
fn a_panicking_closure_fails_the_task_and_the_session_goes_on() -> TestResult {
    let s = session(2);
    let err = poisoned(&s).collect().expect_err("the map panics");
    assert_task_failed(&err, "collect", 2, "bad record 60");
    // The session is still usable: the pool survived the panic.
    assert_eq!(s.parallelize(numbers(100), 4).map(|x| x * 2).reduce(|a, b| a + b)?, 9900);
    let again = poisoned(&s).filter(|x| *x < 50).count().expect_err("still panics");
    assert!(again.to_string().contains("bad record 60"), "{again}");
    Ok(())
}

#[test]
fn a_panic_in_a_shuffle_map_stage_names_that_stage() -> TestResult {
    let s = session(2);
    let err = poisoned(&s).map(|x| (x % 3, x)).reduce_by_key(|a, b| a + b).collect().expect_err("map stage panics");
    // Spark names a shuffle map stage after its last RDD: here the `map` that builds the pairs.
    assert_task_failed(&err, "map", 2, "bad record 60");
    assert_eq!(s.parallelize(vec![(1, 2), (1, 3)], 2).reduce_by_key(|a, b| a + b).collect()?, vec![(1, 5)]);
    Ok(())
}

#[test]
fn a_missing_input_path_is_path_not_found() -> TestResult {
    let s = session(2);
    let dir = tempfile::tempdir()?;
    for missing in [dir.path().join("nope.txt"), dir.path().join("*.csv")] {
        let err = s.text_file(missing.to_string_lossy(), 2).expect_err("missing");
        assert!(matches!(&err, Error::PathNotFound { path } if *path == missing), "{err:?}");
        assert!(err.to_string().contains(&*missing.to_string_lossy()), "{err}");
    }
    let err = s.whole_text_files(dir.path().join("nope").to_string_lossy(), 1).expect_err("missing");
    assert!(matches!(err, Error::PathNotFound { .. }), "{err:?}");
    Ok(())
}

#[test]
fn a_corrupt_gzip_file_is_an_io_error_naming_it() -> TestResult {
    let s = session(2);
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("not-really.gz");
    std::fs::write(&path, "plain text, not gzip\n")?;
    let err = s.text_file(path.to_string_lossy(), 2)?.collect().expect_err("not gzip");
    assert!(matches!(&err, Error::Io { path: p, .. } if *p == path), "{err:?}");
    assert!(err.to_string().contains(&*path.to_string_lossy()), "{err}");
    let err = s.whole_text_files(dir.path().to_string_lossy(), 1)?.collect().expect_err("not gzip");
    assert!(matches!(&err, Error::Io { path: p, .. } if *p == path), "{err:?}");
    Ok(())
}

#[test]
fn unsupported_masters_are_rejected() {
    for master in ["yarn", "local[0]", "local[x]", "spark://host:7077"] {
        let err = Session::builder().master(master).build().expect_err(master);
        assert!(matches!(&err, Error::InvalidParameter { name, .. } if name == "master"), "{err:?}");
        assert!(err.to_string().contains("local[N]"), "the message lists what works: {err}");
    }
    let err = Session::builder().master("local[2]").config("flint.shuffle.memory", "lots").build().expect_err("size");
    assert!(matches!(&err, Error::InvalidParameter { name, .. } if name == "flint.shuffle.memory"), "{err:?}");
}

#[test]
fn invalid_sampling_and_histogram_parameters_are_rejected() -> TestResult {
    let s = session(2);
    let rdd = s.parallelize(numbers(10), 2);
    // Spark: require(fraction >= 0, "Negative fraction value: ..."); without replacement it must be <= 1 too.
    for (with_replacement, fraction) in [(false, -1.0), (true, -1.0), (false, 1.5), (false, f64::NAN)] {
        let err = rdd.sample(with_replacement, fraction, 1).expect_err("bad fraction");
        assert!(matches!(&err, Error::InvalidParameter { name, .. } if name == "fraction"), "{err:?}");
    }
    assert!(rdd.sample(true, 1.5, 1)?.collect()?.iter().all(|x| (0..10).contains(x)), "with replacement, 1.5 is fine");
    assert!(rdd.random_split(&[-1.0, 2.0], 1).is_err());
    assert!(rdd.random_split(&[], 1).is_err());
    let err = rdd.histogram(0).expect_err("zero buckets");
    assert!(matches!(&err, Error::InvalidParameter { name, .. } if name == "bucket_count"), "{err:?}");
    assert!(rdd.histogram_with(&[1.0]).is_err(), "one boundary is no bucket");
    Ok(())
}

#[test]
fn a_stopped_session_refuses_jobs() -> TestResult {
    let s = session(2);
    let rdd = s.parallelize(numbers(10), 2);
    assert_eq!(rdd.count()?, 10);
    s.stop();
    let err = rdd.count().expect_err("stopped");
    assert!(matches!(&err, Error::SessionStopped(name) if name == "it"), "{err:?}");
    assert!(matches!(s.parallelize(numbers(3), 1).collect(), Err(Error::SessionStopped(_))));
    Ok(())
}

/// Runs `job` on an input whose first computed record waits until another thread has called
/// `cancel_all_jobs`: the cancellation is certain to land while the job runs. Returns the job's result.
fn cancelled_while_running<T>(s: &Session, job: impl FnOnce(Rdd<i64>) -> Result<T>) -> Result<T> {
    let (started, cancelled) = (Arc::new(Barrier::new(2)), Arc::new(Barrier::new(2)));
    let canceller = {
        let (s, started, cancelled) = (s.clone(), Arc::clone(&started), Arc::clone(&cancelled));
        std::thread::spawn(move || {
            started.wait();
            s.cancel_all_jobs();
            cancelled.wait();
        })
    };
    let fired = Arc::new(AtomicBool::new(false));
    // 20M records: if cancellation did not stop it, the job would finish (and the test fail), not hang.
    let input = s.range(0, 20_000_000, 1, 4)?.map(move |x| {
        if !fired.swap(true, Ordering::SeqCst) {
            started.wait();
            cancelled.wait();
        }
        x
    });
    let result = job(input);
    canceller.join().map_err(|_| Error::Internal("the canceller thread panicked".into()))?;
    result
}

#[test]
fn cancel_all_jobs_stops_a_running_job() -> TestResult {
    let s = session(2);
    let err = cancelled_while_running(&s, |rdd| rdd.count()).expect_err("cancelled");
    assert!(matches!(err, Error::Cancelled { .. }), "{err:?}");
    // Jobs started after the cancellation run normally.
    assert_eq!(s.parallelize(numbers(100), 4).count()?, 100);
    Ok(())
}

#[test]
fn cancel_all_jobs_stops_a_job_in_its_shuffle_map_stage() -> TestResult {
    let s = session(2);
    let result = cancelled_while_running(&s, |rdd| rdd.map(|x| (x % 10, 1)).reduce_by_key(|a, b| a + b).collect());
    let err = result.expect_err("cancelled");
    assert!(matches!(err, Error::Cancelled { .. }), "{err:?}");
    assert_eq!(s.parallelize(vec![(1, 1), (1, 1)], 2).reduce_by_key(|a, b| a + b).collect()?, vec![(1, 2)]);
    Ok(())
}

#[test]
fn failed_jobs_and_stages_report_their_failure() -> TestResult {
    let (s, log) = logged_session(2);
    assert!(poisoned(&s).count().is_err());
    let failures: Vec<String> = log
        .events()
        .into_iter()
        .filter_map(|e| match e {
            Event::StageCompleted { failure, .. } | Event::JobEnd { failure, .. } => failure,
            _ => None,
        })
        .collect();
    assert_eq!(failures.len(), 2, "the stage and the job: {failures:?}");
    assert!(failures.iter().all(|f| f.contains("bad record 60")), "{failures:?}");
    let failed_tasks = log.events().iter().filter(|e| matches!(e, Event::TaskEnd { success: false, .. })).count();
    assert_eq!(failed_tasks, 1, "only the task that panicked failed");
    Ok(())
}
