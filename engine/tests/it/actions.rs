//! Actions: the operations that run jobs and return results or write files.

use crate::{TestResult, jobs_run, logged_session, numbers, session, sorted, submitted_stages, tasks_run};
use approx::assert_relative_eq;
use flint_engine::prelude::*;
use std::collections::{BTreeMap, HashSet};

#[test]
fn collect_and_count() -> TestResult {
    let s = session(2);
    let rdd = s.parallelize(numbers(1000), 7);
    assert_eq!(rdd.collect()?, numbers(1000), "collect returns partition by partition, in order");
    assert_eq!(rdd.count()?, 1000);
    assert_eq!(s.parallelize(vec!["x".to_string()], 1).count()?, 1);
    Ok(())
}

#[test]
fn count_by_value_counts_each_element() -> TestResult {
    let s = session(2);
    // Spark docs: sorted(sc.parallelize([1, 2, 1, 2, 2], 2).countByValue().items()) == [(1, 2), (2, 3)].
    let counts: BTreeMap<i32, u64> = s.parallelize(vec![1, 2, 1, 2, 2], 2).count_by_value()?.into_iter().collect();
    assert_eq!(counts, BTreeMap::from([(1, 2), (2, 3)]));
    Ok(())
}

#[test]
fn reduce_combines_and_rejects_empty() -> TestResult {
    let s = session(2);
    // Spark docs: sc.parallelize([1, 2, 3, 4, 5]).reduce(add) == 15.
    assert_eq!(s.parallelize(vec![1, 2, 3, 4, 5], 2).reduce(|a, b| a + b)?, 15);
    // Empty partitions among full ones are skipped: [1, 2] in 4 slices is [], [1], [], [2].
    assert_eq!(s.parallelize(vec![1, 2], 4).reduce(|a, b| a + b)?, 3);
    // Spark docs: sc.parallelize([]).reduce(add) raises "Can not reduce() empty RDD".
    for empty in [s.empty_rdd::<i32>(), s.parallelize(vec![], 4)] {
        let err = empty.reduce(|a, b| a + b).expect_err("empty");
        assert!(matches!(err, Error::EmptyCollection { action: "reduce" }), "{err:?}");
    }
    Ok(())
}

#[test]
fn fold_applies_zero_per_partition_and_once_more() -> TestResult {
    let s = session(2);
    // Spark docs: sc.parallelize([1, 2, 3, 4, 5]).fold(0, add) == 15.
    assert_eq!(s.parallelize(vec![1, 2, 3, 4, 5], 2).fold(0, |a, b| a + b)?, 15);
    // By hand (Spark semantics): zero 1 in each of 3 partitions and once at the driver: 1+2+3 + 3*1 + 1 = 10.
    assert_eq!(s.parallelize(vec![1, 2, 3], 3).fold(1, |a, b| a + b)?, 10);
    assert_eq!(s.empty_rdd::<i32>().fold(7, |a, b| a + b)?, 7, "no partitions: just the zero");
    Ok(())
}

#[test]
fn aggregate_sums_and_counts() -> TestResult {
    let s = session(2);
    let seq = |(sum, n): (i32, i32), x: i32| (sum + x, n + 1);
    let comb = |a: (i32, i32), b: (i32, i32)| (a.0 + b.0, a.1 + b.1);
    // Spark docs: sc.parallelize([1, 2, 3, 4]).aggregate((0, 0), seqOp, combOp) == (10, 4);
    // sc.parallelize([]).aggregate((0, 0), seqOp, combOp) == (0, 0).
    assert_eq!(s.parallelize(vec![1, 2, 3, 4], 3).aggregate((0, 0), seq, comb)?, (10, 4));
    assert_eq!(s.parallelize(vec![], 2).aggregate((0, 0), seq, comb)?, (0, 0));
    Ok(())
}

#[test]
fn take_returns_the_first_elements() -> TestResult {
    let s = session(2);
    // Spark docs: sc.parallelize([2, 3, 4, 5, 6]).cache().take(2) == [2, 3];
    // sc.parallelize([2, 3, 4, 5, 6]).take(10) == [2, 3, 4, 5, 6];
    // sc.parallelize(range(100), 100).filter(lambda x: x > 90).take(3) == [91, 92, 93].
    assert_eq!(s.parallelize(vec![2, 3, 4, 5, 6], 2).cache().take(2)?, vec![2, 3]);
    assert_eq!(s.parallelize(vec![2, 3, 4, 5, 6], 2).take(10)?, vec![2, 3, 4, 5, 6]);
    assert_eq!(s.parallelize(numbers(100), 100).filter(|x| *x > 90).take(3)?, vec![91, 92, 93]);
    assert!(s.parallelize(numbers(10), 2).take(0)?.is_empty());
    assert!(s.empty_rdd::<i64>().take(5)?.is_empty());
    Ok(())
}

#[test]
fn take_scans_partitions_incrementally() -> TestResult {
    let (s, log) = logged_session(2);
    // Spark: take(1) first runs a job on partition 0 alone; it is not empty, so one task is enough.
    assert_eq!(s.parallelize(numbers(100), 10).take(1)?, vec![0]);
    assert_eq!((jobs_run(&log), tasks_run(&log)), (1, 1));
    // Spark's scale-up (spark.rdd.limit.scaleUpFactor = 4): [1] in 10 slices sits in partition 9; the rounds scan
    // partition 0, then 4 partitions (1..5), then the 5 left (capped from 20): 3 jobs, 10 tasks.
    log.clear();
    assert_eq!(s.parallelize(vec![1], 10).take(1)?, vec![1]);
    assert_eq!((jobs_run(&log), tasks_run(&log)), (3, 10));
    Ok(())
}

#[test]
fn take_runs_the_closures_only_on_the_records_it_pulls() -> TestResult {
    // Spark's iterators are pulled one record at a time, so in
    // `sc.parallelize(range(10000), 1).map(f).take(3)` f runs 3 times; a draining action runs it on every record.
    let s = session(2);
    let calls = s.long_accumulator("calls");
    let counted = {
        let calls = calls.clone();
        s.parallelize(numbers(10_000), 1).map(move |x| {
            calls.add(1);
            x * 2
        })
    };
    assert_eq!(counted.take(3)?, vec![0, 2, 4]);
    assert_eq!(calls.value(), 3);
    assert_eq!(counted.filter(|x| x % 3 == 0).first()?, 0);
    assert_eq!(calls.value(), 4);
    assert_eq!(counted.count()?, 10_000);
    assert_eq!(calls.value(), 10_004);
    Ok(())
}

#[test]
fn a_chain_of_steps_gives_the_same_records_drained_or_pulled() -> TestResult {
    // Runs of records cross partition and run boundaries (1024 records): 2,500 records in 3 partitions.
    let s = session(2);
    let chain = s
        .parallelize(numbers(2_500), 3)
        .flat_map(|x| std::iter::repeat_n(x, (x % 3) as usize))
        .filter(|x| x % 5 != 0)
        .map(|x| (x % 7, x))
        .map_values(|x| x + 1)
        .values();
    let want: Vec<i64> = numbers(2_500)
        .into_iter()
        .flat_map(|x| std::iter::repeat_n(x, (x % 3) as usize))
        .filter(|x| x % 5 != 0)
        .map(|x| x + 1)
        .collect();
    assert_eq!(chain.collect()?, want);
    assert_eq!(chain.take(want.len())?, want);
    assert_eq!(chain.count()?, want.len() as u64);
    assert_eq!(chain.cache().collect()?, want);
    assert_eq!(chain.collect()?, want, "read back from the cache");
    Ok(())
}

#[test]
fn first_and_is_empty() -> TestResult {
    let (s, log) = logged_session(2);
    // Spark docs: sc.parallelize([2, 3, 4]).first() == 2; sc.parallelize([]).isEmpty() == True;
    // sc.parallelize([1]).isEmpty() == False.
    assert_eq!(s.parallelize(vec![2, 3, 4], 2).first()?, 2);
    let err = s.parallelize(Vec::<i32>::new(), 2).first().expect_err("empty");
    assert!(matches!(err, Error::EmptyCollection { action: "first" }), "{err:?}");
    assert!(s.parallelize(Vec::<i32>::new(), 4).is_empty()?);
    assert!(s.empty_rdd::<i32>().is_empty()?);
    assert!(s.parallelize(numbers(10), 2).filter(|_| false).is_empty()?);
    log.clear();
    assert!(!s.parallelize(vec![1], 1).is_empty()?);
    assert!(!s.parallelize(numbers(1000), 10).is_empty()?);
    assert_eq!(tasks_run(&log), 2, "is_empty looks at one partition when the first is not empty");
    Ok(())
}

#[test]
fn top_and_take_ordered() -> TestResult {
    let s = session(2);
    // Spark docs: sc.parallelize([10, 4, 2, 12, 3]).top(1) == [12]; sc.parallelize([2, 3, 4, 5, 6], 2).top(2) == [6, 5].
    assert_eq!(s.parallelize(vec![10, 4, 2, 12, 3], 2).top(1)?, vec![12]);
    assert_eq!(s.parallelize(vec![2, 3, 4, 5, 6], 2).top(2)?, vec![6, 5]);
    // Spark docs: sc.parallelize([10, 1, 2, 9, 3, 4, 5, 6, 7], 2).takeOrdered(6) == [1, 2, 3, 4, 5, 6];
    // takeOrdered(6, key=lambda x: -x) == [10, 9, 7, 6, 5, 4].
    let rdd = s.parallelize(vec![10, 1, 2, 9, 3, 4, 5, 6, 7], 2);
    assert_eq!(rdd.take_ordered(6)?, vec![1, 2, 3, 4, 5, 6]);
    assert_eq!(rdd.take_ordered_by(6, |a, b| b.cmp(a))?, vec![10, 9, 7, 6, 5, 4]);
    assert_eq!(rdd.take_ordered(100)?, vec![1, 2, 3, 4, 5, 6, 7, 9, 10], "more than exists: all, sorted");
    assert_eq!(s.parallelize(vec![3, 3, 1, 3], 3).top(3)?, vec![3, 3, 3], "duplicates kept");
    assert!(s.empty_rdd::<i32>().top(2)?.is_empty());
    Ok(())
}

#[test]
fn max_and_min() -> TestResult {
    let s = session(2);
    // Spark docs: sc.parallelize([1.0, 5.0, 43.0, 10.0]).max() == 43.0, .min() == 1.0 (integers here: f64 is not Ord).
    let rdd = s.parallelize(vec![1, 5, 43, 10], 3);
    assert_eq!((rdd.max()?, rdd.min()?), (43, 1));
    let err = s.parallelize(Vec::<i32>::new(), 2).max().expect_err("empty");
    assert!(matches!(err, Error::EmptyCollection { action: "max" }), "{err:?}");
    Ok(())
}

#[test]
fn take_sample_sizes_and_determinism() -> TestResult {
    let s = session(2);
    // Spark docs: rdd = sc.parallelize(range(0, 10)); len(rdd.takeSample(True, 20, 1)) == 20;
    // len(rdd.takeSample(False, 5, 2)) == 5; len(rdd.takeSample(False, 15, 3)) == 10.
    let rdd = s.parallelize(numbers(10), 3);
    let with = rdd.take_sample(true, 20, 1)?;
    assert_eq!(with.len(), 20);
    assert!(with.iter().all(|x| (0..10).contains(x)));
    let without = rdd.take_sample(false, 5, 2)?;
    assert_eq!(without.len(), 5);
    assert_eq!(without.iter().collect::<HashSet<_>>().len(), 5, "no element twice");
    assert_eq!(sorted(rdd.take_sample(false, 15, 3)?), numbers(10), "asking for more than exist: all of them");
    let big = s.parallelize(numbers(10_000), 4);
    assert_eq!(big.take_sample(false, 100, 5)?, big.take_sample(false, 100, 5)?, "same seed, same sample");
    assert_ne!(big.take_sample(false, 100, 5)?, big.take_sample(false, 100, 6)?);
    assert!(s.empty_rdd::<i64>().take_sample(true, 3, 1)?.is_empty());
    Ok(())
}

#[test]
fn foreach_and_foreach_partition_run_in_tasks() -> TestResult {
    let s = session(2);
    // Spark docs: an accumulator added to in sc.parallelize([1, 2, 3, 4, 5]).foreach(f) reads 15.
    let sum = s.long_accumulator("sum");
    let acc = sum.clone();
    s.parallelize(vec![1i64, 2, 3, 4, 5], 3).foreach(move |x| acc.add(x))?;
    assert_eq!((sum.value(), sum.count()), (15, 5));
    // One call per partition: [1, 2] and [3, 4] give partition sums 3 and 7.
    let sums = s.collection_accumulator::<i64>("partition sums");
    let acc = sums.clone();
    s.parallelize(vec![1i64, 2, 3, 4], 2).foreach_partition(move |it| acc.add(it.sum()))?;
    assert_eq!(sorted(sums.value()), vec![3, 7]);
    Ok(())
}

#[test]
fn stats_match_spark_docs() -> TestResult {
    let s = session(2);
    // Spark docs: sc.parallelize([1, 2, 3, 4, 5]).stats() == (count: 5, mean: 3.0, stdev: 1.414…, max: 5.0, min: 1.0).
    let st = s.parallelize(vec![1, 2, 3, 4, 5], 2).stats()?;
    assert_eq!(st.count(), 5);
    assert_relative_eq!(st.mean(), 3.0);
    assert_relative_eq!(st.stdev(), 2f64.sqrt(), max_relative = 1e-12);
    assert_relative_eq!(st.sample_stdev(), 2.5f64.sqrt(), max_relative = 1e-12);
    assert_eq!((st.max(), st.min()), (5.0, 1.0));
    // Partition counts merge to the one-pass answer.
    let many = s.parallelize((1..=1000).collect::<Vec<i32>>(), 13).stats()?;
    let one = StatCounter::of((1..=1000).map(f64::from));
    assert_relative_eq!(many.mean(), one.mean(), max_relative = 1e-12);
    assert_relative_eq!(many.variance(), one.variance(), max_relative = 1e-9);
    assert_eq!(s.empty_rdd::<f64>().stats()?.count(), 0);
    Ok(())
}

#[test]
fn sum_mean_variance_stdev() -> TestResult {
    let s = session(2);
    // Spark docs: sc.parallelize([1.0, 2.0, 3.0]).sum() == 6.0; sc.parallelize([1, 2, 3]).mean() == 2.0;
    // .variance() == 0.666…; .stdev() == 0.816…; .sampleStdev() == 1.0.
    assert_relative_eq!(s.parallelize(vec![1.0, 2.0, 3.0], 2).sum()?, 6.0);
    let rdd = s.parallelize(vec![1, 2, 3], 2);
    assert_relative_eq!(rdd.mean()?, 2.0);
    assert_relative_eq!(rdd.variance()?, 2.0 / 3.0, max_relative = 1e-12);
    assert_relative_eq!(rdd.stdev()?, (2.0f64 / 3.0).sqrt(), max_relative = 1e-12);
    assert_relative_eq!(rdd.sample_stdev()?, 1.0, max_relative = 1e-12);
    assert_relative_eq!(s.empty_rdd::<f64>().sum()?, 0.0);
    assert!(s.empty_rdd::<f64>().mean()?.is_nan(), "Spark: the mean of nothing is NaN");
    Ok(())
}

#[test]
fn histogram_matches_spark_docs() -> TestResult {
    let s = session(2);
    let rdd = s.parallelize((0..51).collect::<Vec<i32>>(), 4);
    // Spark docs: sc.parallelize(range(51)).histogram(2) == ([0, 25, 50], [25, 26]).
    assert_eq!(rdd.histogram(2)?, (vec![0.0, 25.0, 50.0], vec![25, 26]));
    // Spark docs: rdd.histogram([0, 5, 25, 50]) == [5, 20, 26]; the last bucket is closed, values above ignored.
    assert_eq!(rdd.histogram_with(&[0.0, 5.0, 25.0, 100.0])?, vec![5, 20, 26]);
    assert_eq!(rdd.histogram_with(&[0.0, 5.0, 25.0, 50.0])?, vec![5, 20, 26]);
    assert_eq!(rdd.histogram_with(&[10.0, 20.0])?, vec![11], "10..=20 only");
    // Spark: one distinct value gives buckets [v, v] holding every element.
    assert_eq!(s.parallelize(vec![7.0; 3], 2).histogram(4)?, (vec![7.0, 7.0], vec![3]));
    assert!(rdd.histogram_with(&[5.0, 1.0]).is_err(), "boundaries must increase");
    assert!(s.empty_rdd::<f64>().histogram(2).is_err(), "Spark: histogram of an empty RDD is unsupported");
    Ok(())
}

#[test]
fn histogram_spaces_buckets_and_places_values_as_spark_does() -> TestResult {
    let s = session(2);
    // Spark's histogram(10) of [0.0, 0.3, 1.0]: boundaries min + (i * span) / 10, i.e. 0.0, 0.1, …, 0.9, 1.0
    // (0.3 is the double nearest 3/10, not 0.1 * 3 = 0.30000000000000004), and 0.3 opens bucket [0.3, 0.4).
    let (buckets, counts) = s.parallelize(vec![0.0, 0.3, 1.0], 2).histogram(10)?;
    assert_eq!(buckets, vec![0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0]);
    assert_eq!(counts, vec![1, 0, 0, 1, 0, 0, 0, 0, 0, 1]);
    // By hand, with Spark's even-bucket rule bucket = floor((x - min) / (max - min) * count), the maximum in the
    // last bucket: 0..=10 in 4 buckets of width 2.5 holds [0, 1, 2], [3, 4], [5, 6, 7], [8, 9, 10].
    let (buckets, counts) = s.parallelize((0..=10).collect::<Vec<i32>>(), 3).histogram(4)?;
    assert_eq!((buckets, counts), (vec![0.0, 2.5, 5.0, 7.5, 10.0], vec![3, 2, 3, 3]));
    Ok(())
}

#[test]
fn actions_on_empty_rdds() -> TestResult {
    let s = session(2);
    for rdd in [s.empty_rdd::<i64>(), s.parallelize(Vec::<i64>::new(), 4)] {
        assert!(rdd.collect()?.is_empty());
        assert_eq!(rdd.count()?, 0);
        assert!(rdd.count_by_value()?.is_empty());
        assert_eq!(rdd.fold(0, |a, b| a + b)?, 0);
        assert!(rdd.take_ordered(3)?.is_empty());
        assert!(matches!(rdd.min(), Err(Error::EmptyCollection { .. })));
        assert_eq!(rdd.stats()?.count(), 0);
        assert_relative_eq!(rdd.sum()?, 0.0);
        rdd.foreach(|_| panic!("no element to visit"))?;
    }
    Ok(())
}

#[test]
fn save_as_text_file_writes_parts_and_success() -> TestResult {
    let s = session(2);
    let dir = tempfile::tempdir()?;
    let out = dir.path().join("out");
    let out_str = out.to_string_lossy().to_string();
    // Spark docs: sc.parallelize(range(10)).saveAsTextFile(path); the part files hold '0\n1\n…9\n'.
    s.parallelize(numbers(10), 3).save_as_text_file(&out)?;
    let mut names: Vec<String> = std::fs::read_dir(&out)?
        .map(|e| e.map(|e| e.file_name().to_string_lossy().into_owned()))
        .collect::<Result<_, _>>()?;
    names.sort();
    assert_eq!(names, ["_SUCCESS", "part-00000", "part-00001", "part-00002"]);
    assert_eq!(std::fs::read_to_string(out.join("part-00000"))?, "0\n1\n2\n", "Spark slice [0, 1, 2]");
    assert_eq!(std::fs::read_to_string(out.join("_SUCCESS"))?, "");
    let back = s.text_file(&out_str, 2)?.collect()?;
    assert_eq!(back, numbers(10).iter().map(i64::to_string).collect::<Vec<_>>(), "round trip through text_file");
    // Spark: FileAlreadyExistsException when the output directory exists.
    let err = s.parallelize(numbers(1), 1).save_as_text_file(&out).expect_err("exists");
    assert!(matches!(&err, Error::PathExists { path } if *path == out), "{err:?}");
    // An RDD without partitions writes only the marker; empty partitions write empty part files.
    let none = dir.path().join("none");
    s.empty_rdd::<i64>().save_as_text_file(&none)?;
    assert_eq!(std::fs::read_dir(&none)?.count(), 1);
    let empty_parts = dir.path().join("empty_parts");
    s.parallelize(Vec::<i64>::new(), 2).save_as_text_file(&empty_parts)?;
    assert_eq!(std::fs::read_to_string(empty_parts.join("part-00001"))?, "");
    assert!(s.text_file(empty_parts.to_string_lossy(), 1)?.collect()?.is_empty());
    Ok(())
}

#[test]
fn save_as_text_file_leaves_nothing_when_a_task_fails() -> TestResult {
    let s = session(2);
    let dir = tempfile::tempdir()?;
    let out = dir.path().join("out");
    let failing = s.parallelize(numbers(10), 2).map(|x| if x == 7 { panic!("bad record {x}") } else { x });
    assert!(matches!(failing.save_as_text_file(&out), Err(Error::TaskFailed { .. })));
    assert!(!out.exists(), "no partial output directory");
    assert_eq!(std::fs::read_dir(dir.path())?.count(), 0, "no staging directory left behind");
    Ok(())
}

#[test]
fn stage_tasks_follow_partitions() -> TestResult {
    let (s, log) = logged_session(2);
    s.parallelize(numbers(100), 6).map(|x| (x % 3, x)).reduce_by_key(|a, b| a + b).count()?;
    // One map stage over the 6 input partitions, one result stage over the 6 reduce partitions.
    assert_eq!(submitted_stages(&log), vec![(true, 6), (false, 6)]);
    Ok(())
}

#[test]
fn nan_makes_max_min_nan_and_histogram_unsupported() -> TestResult {
    let s = session(2);
    let rdd = s.parallelize(vec![1.0, f64::NAN, 3.0], 2);
    // Spark's StatCounter uses math.max/math.min, which propagate NaN.
    let st = rdd.stats()?;
    assert_eq!(st.count(), 3);
    assert!(st.max().is_nan() && st.min().is_nan() && st.mean().is_nan(), "{st}");
    // Spark: "Histogram on either an empty RDD or RDD containing +/-infinity or NaN".
    assert!(matches!(rdd.histogram(2), Err(Error::InvalidParameter { .. })));
    assert!(matches!(s.parallelize(vec![1.0, f64::INFINITY], 1).histogram(2), Err(Error::InvalidParameter { .. })));
    // With explicit buckets NaN is simply outside every bucket.
    assert_eq!(rdd.histogram_with(&[0.0, 2.0, 4.0])?, vec![1, 1]);
    Ok(())
}
