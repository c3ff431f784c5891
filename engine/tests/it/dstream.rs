//! DStreams (Spark Streaming): queue, socket and file inputs, per-batch transformations, windows with and without
//! an inverse function, state, output operations, Spark's errors, and recovery from a checkpoint. Batches run
//! with `run_batches`, at 1000, 2000, … ms, so no test depends on the clock (except the one of `start()`).
//! Expected values are worked by hand in the comments.

use crate::{TestResult, session, strings};
use flint_engine::dstream::{RddQueue, StreamingContextState, Time};
use flint_engine::prelude::*;
use std::collections::VecDeque;
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, UNIX_EPOCH};

const SECOND: Duration = Duration::from_secs(1);

/// What an output saw: each batch's time and sorted elements.
type Seen<T> = Arc<Mutex<Vec<(i64, Vec<T>)>>>;

/// Registers an output that records every batch, sorted.
fn record<T: Data + Ord>(stream: &DStream<T>) -> Result<Seen<T>> {
    let seen: Seen<T> = Arc::default();
    let sink = Arc::clone(&seen);
    stream.foreach_rdd(move |rdd, time| {
        let mut batch = rdd.collect()?;
        batch.sort();
        sink.lock().expect("lock").push((time.milliseconds(), batch));
        Ok(())
    })?;
    Ok(seen)
}

fn got<T: Clone>(seen: &Seen<T>) -> Vec<(i64, Vec<T>)> {
    seen.lock().expect("lock").clone()
}

/// The lines of batches 1 to 8 of most tests, one RDD each.
const LINES: [&[&str]; 8] = [&["a a", "b"], &["b c"], &["a"], &[], &["c c"], &["a"], &[], &["b"]];

fn line_batches(s: &Session, batches: &[&[&str]]) -> VecDeque<Rdd<String>> {
    batches.iter().map(|lines| s.parallelize(strings(lines), 2)).collect()
}

fn words(ssc: &StreamingContext, batches: &[&[&str]]) -> Result<DStream<String>> {
    ssc.queue_stream(line_batches(ssc.session(), batches), true)?
        .flat_map(|line| line.split_whitespace().map(str::to_string).collect::<Vec<_>>())
}

/// A word and its count.
type Count = (String, u64);
/// Each batch's time and counts.
type Timeline = Vec<(i64, Vec<Count>)>;

fn pairs(v: &[(&str, u64)]) -> Vec<Count> {
    v.iter().map(|(k, n)| (k.to_string(), *n)).collect()
}

fn error_text<T: std::fmt::Debug>(result: Result<T>) -> String {
    result.expect_err("an error").to_string()
}

#[test]
fn word_count_per_batch_over_a_queue_stream() -> TestResult {
    let s = session(2);
    let ssc = StreamingContext::new(&s, SECOND)?;
    let counts = words(&ssc, &LINES[..3])?.map(|w| (w, 1u64))?.reduce_by_key(|a, b| a + b)?;
    let seen = record(&counts)?;
    assert_eq!(ssc.state(), StreamingContextState::Initialized);
    ssc.run_batches(2)?;
    assert_eq!(ssc.state(), StreamingContextState::Active);
    ssc.run_batches(2)?;
    // Batches "a a b", "b c", "a", then an empty queue: an empty RDD.
    let expected = vec![
        (1000, pairs(&[("a", 2), ("b", 1)])),
        (2000, pairs(&[("b", 1), ("c", 1)])),
        (3000, pairs(&[("a", 1)])),
        (4000, vec![]),
    ];
    assert_eq!(got(&seen), expected);
    ssc.stop(false)?;
    assert_eq!(ssc.state(), StreamingContextState::Stopped);
    Ok(())
}

#[test]
fn a_queue_stream_takes_all_the_queue_or_its_default_and_can_grow_while_it_runs() -> TestResult {
    let s = session(2);
    let ssc = StreamingContext::new(&s, SECOND)?;
    let all_at_once =
        ssc.queue_stream(VecDeque::from([s.parallelize(vec![1, 2], 1), s.parallelize(vec![3], 1)]), false)?;
    let queue = RddQueue::new();
    let with_default = ssc.queue_stream_with_default(queue.clone(), true, s.parallelize(vec![0], 1))?;
    let (all, defaulted) = (record(&all_at_once)?, record(&with_default)?);
    ssc.run_batches(1)?;
    queue.push(s.parallelize(vec![7, 8], 2));
    assert_eq!(queue.len(), 1);
    ssc.run_batches(2)?;
    // `one_at_a_time = false`: both RDDs in the first batch, then nothing left.
    assert_eq!(got(&all), vec![(1000, vec![1, 2, 3]), (2000, vec![]), (3000, vec![])]);
    // The default RDD when the queue is empty; the RDD pushed after batch 1 in batch 2.
    assert_eq!(got(&defaulted), vec![(1000, vec![0]), (2000, vec![7, 8]), (3000, vec![0])]);
    assert!(queue.is_empty());
    Ok(())
}

#[test]
fn per_batch_transformations() -> TestResult {
    let s = session(2);
    let ssc = StreamingContext::new(&s, SECOND)?;
    let numbers = ssc.queue_stream(VecDeque::from([s.parallelize(vec![1, 2, 3, 4], 2), s.empty_rdd()]), true)?;
    let evens = record(&numbers.filter(|x| x % 2 == 0)?)?;
    let sums = record(&numbers.map_partitions(|it| std::iter::once(it.sum::<i32>()))?)?;
    let tens = numbers.map(|x| x * 10)?;
    let both = record(&numbers.union(&tens)?)?;
    let doubled = record(&numbers.transform(|rdd| Ok(rdd.cartesian(&rdd.session().parallelize(vec![0], 1))))?)?;
    let counts = record(&numbers.count()?)?;
    let totals = record(&numbers.reduce(|a, b| a + b)?)?;
    let parity = record(&numbers.map(|x| x % 2)?.count_by_value()?)?;
    let by_parity = numbers.map(|x| (x % 2, x))?;
    let grouped = record(&by_parity.group_by_key()?.map_values(|mut v| {
        v.sort();
        v
    })?)?;
    let halves = record(&by_parity.map_values(|x| x / 2)?.reduce_by_key(|a, b| a + b)?)?;
    ssc.run_batches(2)?;
    assert_eq!(got(&evens), vec![(1000, vec![2, 4]), (2000, vec![])]);
    // Partitions [1, 2] and [3, 4] summed; an empty RDD has no partition.
    assert_eq!(got(&sums), vec![(1000, vec![3, 7]), (2000, vec![])]);
    assert_eq!(got(&both), vec![(1000, vec![1, 2, 3, 4, 10, 20, 30, 40]), (2000, vec![])]);
    assert_eq!(got(&doubled), vec![(1000, vec![(1, 0), (2, 0), (3, 0), (4, 0)]), (2000, vec![])]);
    // `count` gives 0 for an empty batch, `reduce` nothing, as in Spark.
    assert_eq!(got(&counts), vec![(1000, vec![4]), (2000, vec![0])]);
    assert_eq!(got(&totals), vec![(1000, vec![10]), (2000, vec![])]);
    assert_eq!(got(&parity), vec![(1000, vec![(0, 2), (1, 2)]), (2000, vec![])]);
    assert_eq!(got(&grouped), vec![(1000, vec![(0, vec![2, 4]), (1, vec![1, 3])]), (2000, vec![])]);
    // Halves (integer): 1/2 + 3/2 = 0 + 1 for odd, 2/2 + 4/2 = 3 for even.
    assert_eq!(got(&halves), vec![(1000, vec![(0, 3), (1, 1)]), (2000, vec![])]);
    Ok(())
}

/// Word counts per window of the eight batches of `LINES`, computed with and without the inverse function.
fn windowed_counts(partitions: usize, window: Duration, slide: Duration) -> Result<[Timeline; 3]> {
    let s = session(partitions);
    let ssc = StreamingContext::new(&s, SECOND)?;
    let checkpoint = tempfile::tempdir().map_err(|e| Error::Execution(e.to_string()))?;
    ssc.checkpoint(checkpoint.path())?;
    let ones = words(&ssc, &LINES)?.map(|w| (w, 1u64))?;
    let plain = record(&ones.reduce_by_key_and_window(|a, b| a + b, window, slide)?)?;
    let inverse = record(&ones.reduce_by_key_and_window_inv(|a, b| a + b, |a, b| a - b, window, slide)?)?;
    let filtered = ones.reduce_by_key_and_window_inv_with_filter(
        |a, b| a + b,
        |a, b| a - b,
        window,
        slide,
        |(_, count)| *count > 0,
    )?;
    let filtered = record(&filtered)?;
    ssc.run_batches(8)?;
    Ok([got(&plain), got(&inverse), got(&filtered)])
}

#[test]
fn windowed_word_counts_with_and_without_the_inverse_function_agree() -> TestResult {
    // Counts per batch: 1 {a2 b1}, 2 {b1 c1}, 3 {a1}, 4 {}, 5 {c2}, 6 {a1}, 7 {}, 8 {b1}.
    // Window of 3 batches sliding by 1: the window at t sums batches t-2..t.
    let slide_1 = vec![
        (1000, pairs(&[("a", 2), ("b", 1)])),
        (2000, pairs(&[("a", 2), ("b", 2), ("c", 1)])),
        (3000, pairs(&[("a", 3), ("b", 2), ("c", 1)])),
        (4000, pairs(&[("a", 1), ("b", 1), ("c", 1)])),
        (5000, pairs(&[("a", 1), ("c", 2)])),
        (6000, pairs(&[("a", 1), ("c", 2)])),
        (7000, pairs(&[("a", 1), ("c", 2)])),
        (8000, pairs(&[("a", 1), ("b", 1)])),
    ];
    // With the inverse, a key stays at 0 once its batches left (Spark keeps it): e.g. at 5000, the previous
    // window {a1 b1 c1} minus batch 2 {b1 c1} plus batch 5 {c2} is {a1 b0 c2}; at 8000, {a1 b0 c2} minus batch 5
    // {c2} plus batch 8 {b1} is {a1 b1 c0}.
    let slide_1_inverse = vec![
        slide_1[0].clone(),
        slide_1[1].clone(),
        slide_1[2].clone(),
        slide_1[3].clone(),
        (5000, pairs(&[("a", 1), ("b", 0), ("c", 2)])),
        (6000, pairs(&[("a", 1), ("b", 0), ("c", 2)])),
        (7000, pairs(&[("a", 1), ("b", 0), ("c", 2)])),
        (8000, pairs(&[("a", 1), ("b", 1), ("c", 0)])),
    ];
    // Window of 4 batches sliding by 2: windows at 2000 (batches 1-2), 4000 (1-4), 6000 (3-6), 8000 (5-8).
    let slide_2 = vec![
        (2000, pairs(&[("a", 2), ("b", 2), ("c", 1)])),
        (4000, pairs(&[("a", 3), ("b", 2), ("c", 1)])),
        (6000, pairs(&[("a", 2), ("c", 2)])),
        (8000, pairs(&[("a", 1), ("b", 1), ("c", 2)])),
    ];
    // At 6000: {a3 b2 c1} minus batches 1-2 {a2 b2 c1} plus batches 5-6 {a1 c2} is {a2 b0 c2}.
    let mut slide_2_inverse = slide_2.clone();
    slide_2_inverse[2] = (6000, pairs(&[("a", 2), ("b", 0), ("c", 2)]));
    for partitions in [1, 4] {
        let [plain, inverse, filtered] = windowed_counts(partitions, 3 * SECOND, SECOND)?;
        assert_eq!(plain, slide_1, "at {partitions} partitions");
        assert_eq!(inverse, slide_1_inverse, "at {partitions} partitions");
        assert_eq!(filtered, slide_1, "at {partitions} partitions");
        let [plain, inverse, filtered] = windowed_counts(partitions, 4 * SECOND, 2 * SECOND)?;
        assert_eq!(plain, slide_2, "at {partitions} partitions");
        assert_eq!(inverse, slide_2_inverse, "at {partitions} partitions");
        assert_eq!(filtered, slide_2, "at {partitions} partitions");
    }
    Ok(())
}

#[test]
fn windows_of_elements_and_their_counts() -> TestResult {
    let s = session(2);
    let ssc = StreamingContext::new(&s, SECOND)?;
    let checkpoint = tempfile::tempdir()?;
    ssc.checkpoint(checkpoint.path())?;
    let words = words(&ssc, &LINES)?;
    // Words per batch: 3, 2, 1, 0, 2, 1, 0, 1; over windows of 3 batches: 3, 5, 6, 3, 3, 3, 3, 2.
    let counted = record(&words.count_by_window(3 * SECOND, SECOND)?)?;
    let summed = record(&words.map(|_| 1u64)?.reduce_by_window(|a, b| a + b, 3 * SECOND, SECOND)?)?;
    let inverse =
        record(&words.map(|_| 1u64)?.reduce_by_window_inv(|a, b| a + b, |a, b| a - b, 3 * SECOND, SECOND)?)?;
    // Windows of 2 batches sliding by 2: batches 1-2, 3-4, 5-6, 7-8.
    let windows = record(&words.window(2 * SECOND, 2 * SECOND)?)?;
    ssc.run_batches(8)?;
    let counts: Vec<(i64, Vec<u64>)> =
        [3, 5, 6, 3, 3, 3, 3, 2].iter().zip(1..).map(|(c, k)| (k * 1000, vec![*c])).collect();
    assert_eq!(got(&counted), counts);
    assert_eq!(got(&summed), counts);
    assert_eq!(got(&inverse), counts);
    let expected = vec![
        (2000, strings(&["a", "a", "b", "b", "c"])),
        (4000, strings(&["a"])),
        (6000, strings(&["a", "c", "c"])),
        (8000, strings(&["b"])),
    ];
    assert_eq!(got(&windows), expected);
    Ok(())
}

/// The outputs of the two state streams of [`state_streams`].
type Totals = (Seen<Count>, Seen<Count>);

/// Running word totals over `batches` (a key is never removed), and totals that drop a key in any batch without
/// it, both recorded.
type StateRun = (StreamingContext, Seen<Count>, Seen<Count>);

fn state_streams(s: &Session, batches: &[&[&str]]) -> Result<StateRun> {
    let ssc = StreamingContext::new(s, SECOND)?;
    let ones = words(&ssc, batches)?.map(|w| (w, 1u64))?;
    let totals =
        ones.update_state_by_key(|new: &[u64], total: Option<u64>| Some(total.unwrap_or(0) + new.iter().sum::<u64>()))?;
    let recent = ones.update_state_by_key(|new: &[u64], total: Option<u64>| {
        (!new.is_empty()).then(|| total.unwrap_or(0) + new.iter().sum::<u64>())
    })?;
    let (totals, recent) = (record(&totals)?, record(&recent)?);
    Ok((ssc, totals, recent))
}

#[test]
fn update_state_by_key_keeps_running_totals_and_removes_keys() -> TestResult {
    let s = session(2);
    let checkpoint = tempfile::tempdir()?;
    let (ssc, totals, recent) = state_streams(&s, &LINES)?;
    ssc.checkpoint(checkpoint.path())?;
    // The state RDD handed to outputs is materialised every batch: its lineage is one node, whatever the batch.
    let lineage: Arc<Mutex<Vec<usize>>> = Arc::default();
    let (sink, ones) = (Arc::clone(&lineage), words(&ssc, &LINES)?.map(|w| (w, 1u64))?);
    ones.update_state_by_key(|new: &[u64], total: Option<u64>| Some(total.unwrap_or(0) + new.len() as u64))?
        .foreach_rdd(move |rdd, _| {
            sink.lock().expect("lock").push(rdd.to_debug_string().lines().count());
            Ok(())
        })?;
    ssc.run_batches(8)?;
    // Totals after each batch: 1 {a2 b1}; 2 adds {b1 c1}; 3 {a1}; 5 {c2}; 6 {a1}; 8 {b1}.
    let expected = vec![
        (1000, pairs(&[("a", 2), ("b", 1)])),
        (2000, pairs(&[("a", 2), ("b", 2), ("c", 1)])),
        (3000, pairs(&[("a", 3), ("b", 2), ("c", 1)])),
        (4000, pairs(&[("a", 3), ("b", 2), ("c", 1)])),
        (5000, pairs(&[("a", 3), ("b", 2), ("c", 3)])),
        (6000, pairs(&[("a", 4), ("b", 2), ("c", 3)])),
        (7000, pairs(&[("a", 4), ("b", 2), ("c", 3)])),
        (8000, pairs(&[("a", 4), ("b", 3), ("c", 3)])),
    ];
    assert_eq!(got(&totals), expected);
    // `None` removes a key: here every key without words in the batch, so only a batch's own keys remain,
    // with their totals since they were last absent (batch 2: b had 1 in batch 1, so 2).
    let recent_expected = vec![
        (1000, pairs(&[("a", 2), ("b", 1)])),
        (2000, pairs(&[("b", 2), ("c", 1)])),
        (3000, pairs(&[("a", 1)])),
        (4000, vec![]),
        (5000, pairs(&[("c", 2)])),
        (6000, pairs(&[("a", 1)])),
        (7000, vec![]),
        (8000, pairs(&[("b", 1)])),
    ];
    assert_eq!(got(&recent), recent_expected);
    assert_eq!(*lineage.lock().expect("lock"), vec![1; 8]);
    // The state of batch 8 (and of batch 7, in case batch 8 had failed) is in the checkpoint.
    let state = checkpoint.path().join("state").join("0");
    assert!(state.join("8000").is_file() && state.join("7000").is_file() && !state.join("6000").exists());
    assert!(checkpoint.path().join("metadata").is_file());
    Ok(())
}

#[test]
fn state_recovered_from_a_checkpoint_continues_as_if_never_stopped() -> TestResult {
    let s = session(2);
    let checkpoint = tempfile::tempdir()?;
    let (straight, totals, recent) = state_streams(&s, &LINES)?;
    let straight_checkpoint = tempfile::tempdir()?;
    straight.checkpoint(straight_checkpoint.path())?;
    straight.run_batches(8)?;
    straight.stop(false)?;

    // The first run stops after batch 4; the second is defined by the same code and is given batches 5 to 8.
    let restarted: Arc<Mutex<Option<Totals>>> = Arc::default();
    for batches in [&LINES[..4], &LINES[4..]] {
        let keep = Arc::clone(&restarted);
        let ssc = StreamingContext::get_or_create(checkpoint.path(), || {
            let (ssc, totals, recent) = state_streams(&s, batches)?;
            *keep.lock().expect("lock") = Some((totals, recent));
            Ok(ssc)
        })?;
        ssc.run_batches(4)?;
        ssc.stop(false)?;
    }
    let (restored_totals, restored_recent) = restarted.lock().expect("lock").take().expect("a second run");
    // The restarted run's batches are 5000 to 8000, and start from the state of batch 4.
    assert_eq!(got(&restored_totals), got(&totals)[4..].to_vec());
    assert_eq!(got(&restored_recent), got(&recent)[4..].to_vec());
    Ok(())
}

/// A writer into a buffer the test keeps.
#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl Write for Buffer {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("lock").write(bytes)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Buffer {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().expect("lock")).into_owned()
    }
}

#[test]
fn print_writes_spark_s_format() -> TestResult {
    let s = session(2);
    let ssc = StreamingContext::new(&s, SECOND)?;
    let numbers =
        ssc.queue_stream(VecDeque::from([s.parallelize((1..=12).collect::<Vec<i32>>(), 3), s.empty_rdd()]), true)?;
    let out = Buffer::default();
    numbers.print_to(10, out.clone())?;
    let pairs_out = Buffer::default();
    numbers.filter(|x| *x <= 2)?.map(|x| (format!("n{x}"), x))?.print_to(3, pairs_out.clone())?;
    let lines_out = Buffer::default();
    numbers.filter(|x| *x == 1)?.map(|x| format!("line {x}"))?.print_to(10, lines_out.clone())?;
    ssc.run_batches(2)?;
    let dashes = "-".repeat(43);
    // As Spark prints `ssc.queueStream(...).print()`: ten of the twelve elements, then `...`; an empty batch
    // prints its header and the blank line.
    let ten: String = (1..=10).map(|i| format!("{i}\n")).collect();
    let expected = format!("{dashes}\nTime: 1000 ms\n{dashes}\n{ten}...\n\n{dashes}\nTime: 2000 ms\n{dashes}\n\n");
    assert_eq!(out.text(), expected);
    let expected =
        format!("{dashes}\nTime: 1000 ms\n{dashes}\n(\"n1\", 1)\n(\"n2\", 2)\n\n{dashes}\nTime: 2000 ms\n{dashes}\n\n");
    assert_eq!(pairs_out.text(), expected);
    assert!(lines_out.text().starts_with(&format!("{dashes}\nTime: 1000 ms\n{dashes}\nline 1\n\n")));
    Ok(())
}

#[test]
fn save_as_text_files_writes_one_directory_per_batch() -> TestResult {
    let s = session(2);
    let out = tempfile::tempdir()?;
    let ssc = StreamingContext::new(&s, SECOND)?;
    let prefix = out.path().join("words");
    let words = words(&ssc, &LINES[..2])?;
    words.save_as_text_files(&prefix.to_string_lossy(), "txt")?;
    words.count()?.save_as_text_files(&out.path().join("counts").to_string_lossy(), "")?;
    ssc.run_batches(3)?;
    let read = |dir: &str| -> Result<Vec<String>> {
        let mut lines = s.text_file(out.path().join(dir).to_string_lossy(), 1)?.collect()?;
        lines.sort();
        Ok(lines)
    };
    assert_eq!(read("words-1000.txt")?, strings(&["a", "a", "b"]));
    assert_eq!(read("words-2000.txt")?, strings(&["b", "c"]));
    // An empty batch is an empty directory, marked complete.
    assert!(out.path().join("words-3000.txt").join("_SUCCESS").is_file());
    assert_eq!(read("words-3000.txt")?, Vec::<String>::new());
    assert_eq!(read("counts-1000")?, strings(&["3"]));
    assert_eq!(read("counts-3000")?, strings(&["0"]));
    // No staging directory is left behind.
    let mut names: Vec<String> = std::fs::read_dir(out.path())?
        .map(|e| Ok(e?.file_name().to_string_lossy().into_owned()))
        .collect::<std::io::Result<_>>()?;
    names.sort();
    assert_eq!(
        names,
        ["counts-1000", "counts-2000", "counts-3000", "words-1000.txt", "words-2000.txt", "words-3000.txt"]
    );
    Ok(())
}

/// Writes `text` to `dir/name`, modified `ms` milliseconds after the epoch.
fn put(dir: &std::path::Path, name: &str, text: &str, ms: u64) -> std::io::Result<()> {
    let path = dir.join(name);
    std::fs::write(&path, text)?;
    std::fs::File::options().write(true).open(&path)?.set_modified(UNIX_EPOCH + Duration::from_millis(ms))
}

#[test]
fn text_file_stream_reads_each_new_file_in_the_batch_of_its_modification_time() -> TestResult {
    let s = session(2);
    let dir = tempfile::tempdir()?;
    // `run_batches` starts at time 0: a file modified then is older than the stream, and never read.
    put(dir.path(), "old.txt", "old\n", 0)?;
    put(dir.path(), "early.txt", "e1\n", 500)?;
    put(dir.path(), ".hidden.txt", "hidden\n", 500)?;
    put(dir.path(), "future.txt", "f1\n", 10_000)?;
    let ssc = StreamingContext::new(&s, SECOND)?;
    let lines = record(&ssc.text_file_stream(dir.path())?)?;
    ssc.run_batches(2)?;
    // Arrives after batch 2 with a time before batch 3; one older than batch 2 but never listed is read too.
    put(dir.path(), "late.txt", "l1\nl2\n", 2500)?;
    put(dir.path(), "moved-in.txt", "m1\n", 1200)?;
    ssc.run_batches(2)?;
    let expected = vec![(1000, strings(&["e1"])), (2000, vec![]), (3000, strings(&["l1", "l2", "m1"])), (4000, vec![])];
    assert_eq!(got(&lines), expected);
    let missing = error_text(ssc.text_file_stream(dir.path().join("missing")));
    assert!(missing.contains("does not exist"), "{missing}");
    Ok(())
}

#[test]
fn socket_text_stream_reads_the_lines_a_server_sends() -> TestResult {
    let s = session(2);
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    let port = listener.local_addr()?.port();
    let server = std::thread::spawn(move || -> std::io::Result<()> {
        let (mut connection, _) = listener.accept()?;
        connection.write_all(b"hello world\nfoo\n")?;
        Ok(())
    });
    let ssc = StreamingContext::new(&s, SECOND)?;
    let lines = record(&ssc.socket_text_stream("127.0.0.1", port)?)?;
    let deadline = Instant::now() + Duration::from_secs(20);
    let received = || got(&lines).into_iter().flat_map(|(_, batch)| batch).collect::<Vec<_>>();
    while received().len() < 2 && Instant::now() < deadline {
        ssc.run_batches(1)?;
        std::thread::sleep(Duration::from_millis(10));
    }
    server.join().expect("server thread")?;
    assert_eq!(received(), strings(&["foo", "hello world"]));
    ssc.stop(false)?;

    // A refused connection fails the start.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")?;
    let port = closed.local_addr()?.port();
    drop(closed);
    let ssc = StreamingContext::new(&s, SECOND)?;
    ssc.socket_text_stream("127.0.0.1", port)?.print_to(10, std::io::sink())?;
    let e = error_text(ssc.run_batches(1));
    assert!(e.contains(&format!("cannot connect to 127.0.0.1:{port}")), "{e}");
    Ok(())
}

#[test]
fn start_runs_batches_on_the_clock_until_stopped() -> TestResult {
    let s = session(2);
    let interval = Duration::from_millis(100);
    let ssc = StreamingContext::new(&s, interval)?;
    let times: Arc<Mutex<Vec<(Time, u64)>>> = Arc::default();
    let sink = Arc::clone(&times);
    ssc.queue_stream(VecDeque::from([s.parallelize(vec![1, 2, 3], 2)]), true)?.foreach_rdd(move |rdd, time| {
        sink.lock().expect("lock").push((time, rdd.count()?));
        Ok(())
    })?;
    ssc.start()?;
    ssc.start()?;
    assert!(!ssc.await_termination_or_timeout(Duration::from_millis(1))?);
    let deadline = Instant::now() + Duration::from_secs(20);
    while times.lock().expect("lock").len() < 2 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    ssc.stop(false)?;
    assert!(ssc.await_termination_or_timeout(Duration::from_millis(1))?);
    let times = times.lock().expect("lock").clone();
    // Batch times are multiples of the interval, one interval apart; the queue's RDD is the first batch.
    let (first, second) = (times[0].0.milliseconds(), times[1].0.milliseconds());
    assert_eq!((first % 100, second - first), (0, 100));
    assert_eq!((times[0].1, times[1].1), (3, 0));
    assert!(error_text(ssc.start()).contains("already been stopped"));
    Ok(())
}

#[test]
fn a_failing_batch_ends_await_termination_with_its_error() -> TestResult {
    let s = session(2);
    let ssc = StreamingContext::new(&s, Duration::from_millis(50))?;
    ssc.queue_stream(VecDeque::<Rdd<i32>>::new(), true)?
        .foreach_rdd(|_, time| Err(Error::Execution(format!("output failed at {time}"))))?;
    ssc.start()?;
    let e = error_text(ssc.await_termination());
    assert!(e.contains("output failed at") && e.ends_with(" ms"), "{e}");
    ssc.stop(false)?;
    Ok(())
}

#[test]
fn spark_s_errors() -> TestResult {
    let s = session(2);
    let ssc = StreamingContext::new(&s, SECOND)?;
    let numbers = ssc.queue_stream(VecDeque::from([s.parallelize(vec![1], 1)]), true)?;
    // Durations that are not multiples of the parent's slide.
    let e = error_text(numbers.window(Duration::from_millis(2500), SECOND));
    assert!(
        e.contains("The window duration of windowed DStream (2500 ms) must be a multiple of the slide duration of parent DStream (1000 ms)"),
        "{e}"
    );
    let e = error_text(numbers.map(|x| (x, x))?.reduce_by_key_and_window(
        |a, b| a + b,
        3 * SECOND,
        Duration::from_millis(1500),
    ));
    assert!(e.contains("The slide duration of windowed DStream (1500 ms) must be a multiple"), "{e}");
    let windowed = numbers.window(2 * SECOND, 2 * SECOND)?;
    let e = error_text(windowed.window(3 * SECOND, 2 * SECOND));
    assert!(e.contains("(3000 ms) must be a multiple of the slide duration of parent DStream (2000 ms)"), "{e}");
    let e = error_text(numbers.union(&windowed));
    assert!(e.contains("different slide durations"), "{e}");
    assert!(error_text(StreamingContext::new(&s, Duration::ZERO)).contains("batch_interval"));
    assert!(
        error_text(StreamingContext::new(&s, Duration::from_micros(1500))).contains("whole number of milliseconds")
    );

    // No output operation.
    let no_output = "No output operations registered, so nothing to execute";
    assert!(error_text(ssc.run_batches(1)).contains(no_output));
    assert!(error_text(ssc.start()).contains(no_output));

    // Stateful streams without a checkpoint directory.
    let no_checkpoint = "The checkpoint directory has not been set. Please set it by StreamingContext.checkpoint().";
    // Each stateful stream, alone in a context of its own.
    let contexts: Vec<StreamingContext> = (0..3).map(|_| StreamingContext::new(&s, SECOND)).collect::<Result<_>>()?;
    let inputs: Vec<DStream<i32>> = contexts
        .iter()
        .map(|c| c.queue_stream(VecDeque::from([s.parallelize(vec![1], 1)]), true))
        .collect::<Result<_>>()?;
    inputs[0]
        .map(|x| (x, 1u64))?
        .reduce_by_key_and_window_inv(|a, b| a + b, |a, b| a - b, 2 * SECOND, SECOND)?
        .print_to(10, std::io::sink())?;
    inputs[1]
        .map(|x| (x, 1u64))?
        .update_state_by_key(|v: &[u64], s: Option<u64>| Some(s.unwrap_or(0) + v.len() as u64))?
        .print_to(10, std::io::sink())?;
    inputs[2].count_by_window(2 * SECOND, SECOND)?.print_to(10, std::io::sink())?;
    for c in &contexts {
        assert!(error_text(c.run_batches(1)).contains(no_checkpoint));
    }

    // Nothing can be added once started, or stopped.
    numbers.print_to(10, std::io::sink())?;
    ssc.run_batches(1)?;
    assert!(error_text(ssc.start()).contains("run_batches"));
    let e = error_text(numbers.map(|x| x + 1));
    assert!(
        e.contains(
            "Adding new inputs, transformations, and output operations after starting a context is not supported"
        ),
        "{e}"
    );
    ssc.stop(false)?;
    let e = error_text(numbers.print());
    assert!(e.contains("after stopping a context is not supported"), "{e}");
    assert!(error_text(ssc.run_batches(1)).contains("already been stopped"));
    Ok(())
}
