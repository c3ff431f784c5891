//! Lineage: `to_debug_string` prints the graph the way Spark's `toDebugString` does.

use crate::{TestResult, session};
use flint_engine::prelude::*;

/// A word count over a small file read in 2 partitions, and every RDD of its lineage.
struct WordCount {
    _dir: tempfile::TempDir,
    path: String,
    lines: Rdd<String>,
    words: Rdd<String>,
    pairs: Rdd<(String, u32)>,
    counts: Rdd<(String, u32)>,
}

fn word_count(s: &Session) -> TestResult<WordCount> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("words.txt").to_string_lossy().into_owned();
    std::fs::write(&path, "to be or not to be\nthat is the question\nwhether tis nobler in the mind to suffer\n")?;
    let lines = s.text_file(&path, 2)?;
    let words = lines.flat_map(|l| l.split_whitespace().map(String::from).collect::<Vec<_>>());
    let pairs = words.map(|w| (w, 1u32));
    let counts = pairs.reduce_by_key(|a, b| a + b);
    Ok(WordCount { _dir: dir, path, lines, words, pairs, counts })
}

fn lines_of(rdd_debug: &str) -> Vec<String> {
    rdd_debug.lines().map(String::from).collect()
}

#[test]
fn word_count_lineage_has_sparks_shape() -> TestResult {
    let s = session(2);
    let wc = word_count(&s)?;
    let here = file!();
    let lines = lines_of(&wc.counts.to_debug_string());
    // Spark:
    // (2) ShuffledRDD[4] at reduceByKey at <console>:24 []
    //  +-(2) MapPartitionsRDD[3] at map at <console>:24 []
    //     |  MapPartitionsRDD[2] at flatMap at <console>:24 []
    //     |  words.txt MapPartitionsRDD[1] at textFile at <console>:24 []   (HadoopRDD below it; one node here)
    assert_eq!(lines.len(), 4, "{lines:#?}");
    let expected_starts = [
        format!("(2) ShuffledRDD[{}] at reduce_by_key at {here}:", wc.counts.id()),
        format!(" +-(2) MapPartitionsRDD[{}] at map at {here}:", wc.pairs.id()),
        format!("    |  MapPartitionsRDD[{}] at flat_map at {here}:", wc.words.id()),
        format!("    |  {} TextFileRDD[{}] at text_file at {here}:", wc.path, wc.lines.id()),
    ];
    for (line, start) in lines.iter().zip(&expected_starts) {
        assert!(line.starts_with(start.as_str()), "{line:?} should start with {start:?}");
        assert!(line.ends_with(" []"), "not persisted: {line:?}");
    }
    assert_eq!(wc.counts.num_partitions(), 2);
    Ok(())
}

#[test]
fn cached_rdds_show_their_level_and_cached_partitions() -> TestResult {
    let s = session(2);
    let wc = word_count(&s)?;
    wc.counts.cache();
    wc.words.cache();
    let before = lines_of(&wc.counts.to_debug_string());
    assert!(before[0].ends_with(" [Memory Deserialized 1x Replicated]"), "{before:#?}");
    // Spark lists CachedPartitions only for RDDs that hold cached blocks (getRDDStorageInfo keeps isCached).
    assert!(!before.iter().any(|l| l.contains("CachedPartitions")), "nothing is cached before an action: {before:#?}");

    assert_eq!(wc.counts.count()?, 14);
    let after = lines_of(&wc.counts.to_debug_string());
    assert_eq!(after.len(), 6, "{after:#?}");
    assert!(after[0].ends_with(" [Memory Deserialized 1x Replicated]"), "{after:#?}");
    assert!(after[1].starts_with(" |       CachedPartitions: 2; MemorySize: "), "{after:#?}");
    assert!(after[1].ends_with("; DiskSize: 0.0 B"), "{after:#?}");
    assert!(after[2].starts_with(" +-(2) MapPartitionsRDD["), "{after:#?}");
    assert!(after[3].contains(" at flat_map at ") && after[3].ends_with(" [Memory Deserialized 1x Replicated]"));
    assert!(after[4].starts_with("    |      CachedPartitions: 2; MemorySize: "), "{after:#?}");
    assert!(after[5].contains("TextFileRDD["), "{after:#?}");
    Ok(())
}

#[test]
fn two_parent_lineage_marks_each_shuffle() -> TestResult {
    let s = session(2);
    let x = s.parallelize(vec![(1, 'a')], 2);
    let y = s.parallelize(vec![(1, 'b')], 3);
    let joined = x.join(&y);
    let lines = lines_of(&joined.to_debug_string());
    // Spark: (3) MapPartitionsRDD at join / |  CoGroupedRDD at join / +-(2) parent x / +-(3) parent y.
    assert_eq!(lines.len(), 4, "{lines:#?}");
    assert!(lines[0].starts_with(&format!("(3) MapPartitionsRDD[{}] at join at ", joined.id())), "{lines:#?}");
    assert!(lines[1].starts_with(" |  CoGroupedRDD["), "{lines:#?}");
    assert!(lines[2].starts_with(&format!(" +-(2) ParallelCollectionRDD[{}] at parallelize at ", x.id())));
    assert!(lines[3].starts_with(&format!(" +-(3) ParallelCollectionRDD[{}] at parallelize at ", y.id())));
    Ok(())
}

#[test]
fn names_and_display() -> TestResult {
    let s = session(2);
    let rdd = s.parallelize(vec![1, 2, 3], 2).map(|x| x + 1);
    assert_eq!(rdd.name(), None);
    rdd.set_name("plus one");
    assert_eq!(rdd.name().as_deref(), Some("plus one"));
    // Spark's RDD.toString: "<name> <Class>[<id>] at <op> at <site>".
    let shown = rdd.to_string();
    assert!(shown.starts_with(&format!("plus one MapPartitionsRDD[{}] at map at {}:", rdd.id(), file!())), "{shown}");
    assert!(rdd.to_debug_string().starts_with(&format!("(2) {shown} []")));
    Ok(())
}
