//! Pair-RDD operations: aggregation by key, joins, partitioning, and shuffles that spill.

use crate::{
    TestResult, files_under, keyed, logged, logged_session, numbers, same_at_1_4_16, session, session_with,
    shuffle_map_stages, sorted, strings, submitted_stages, total_metrics,
};
use approx::assert_relative_eq;
use flint_engine::prelude::*;
use std::collections::{BTreeMap, HashMap};

/// Spark docs' usual pair input: [("a", 1), ("b", 1), ("a", 1)].
fn doc_pairs(s: &Session, partitions: usize) -> Rdd<(String, i32)> {
    s.parallelize(keyed(&[("a", 1), ("b", 1), ("a", 1)]), partitions)
}

/// `n` records, 90% of them under key 0, the rest spread over keys 1..=100.
fn skewed(n: i64) -> Vec<(i64, i64)> {
    (0..n).map(|i| if i % 10 == 9 { (1 + (i / 10) % 100, i) } else { (0, i) }).collect()
}

/// Words of a small text, with known counts.
fn word_count(s: &Session, partitions: usize) -> Result<Vec<(String, u32)>> {
    let text = strings(&["the quick brown fox", "jumps over the lazy dog", "the dog barks", "", "quick quick"]);
    s.parallelize(text, partitions)
        .flat_map(|l| l.split_whitespace().map(String::from).collect::<Vec<_>>())
        .map(|w| (w, 1u32))
        .reduce_by_key(|a, b| a + b)
        .collect()
}

#[test]
fn map_values_and_flat_map_values() -> TestResult {
    let s = session(2);
    // Spark docs: [("a", ["apple", "banana", "lemon"]), ("b", ["grapes"])].mapValues(len) == [('a', 3), ('b', 1)].
    let fruit = s.parallelize(
        vec![("a".to_string(), strings(&["apple", "banana", "lemon"])), ("b".to_string(), strings(&["grapes"]))],
        2,
    );
    assert_eq!(fruit.map_values(|v| v.len()).collect()?, keyed(&[("a", 3usize), ("b", 1)]));
    // Spark docs: [("a", ["x", "y", "z"]), ("b", ["p", "r"])].flatMapValues(f)
    // == [('a', 'x'), ('a', 'y'), ('a', 'z'), ('b', 'p'), ('b', 'r')].
    let letters = s.parallelize(vec![("a".to_string(), vec!['x', 'y', 'z']), ("b".to_string(), vec!['p', 'r'])], 2);
    let flat = letters.flat_map_values(|v| v).collect()?;
    assert_eq!(flat, keyed(&[("a", 'x'), ("a", 'y'), ("a", 'z'), ("b", 'p'), ("b", 'r')]));
    Ok(())
}

#[test]
fn keys_and_values() -> TestResult {
    let s = session(2);
    // Spark docs: sc.parallelize([(1, 2), (3, 4)]).keys() == [1, 3]; .values() == [2, 4].
    let rdd = s.parallelize(vec![(1, 2), (3, 4)], 2);
    assert_eq!(rdd.keys().collect()?, vec![1, 3]);
    assert_eq!(rdd.values().collect()?, vec![2, 4]);
    Ok(())
}

#[test]
fn reduce_by_key_sums_per_key() -> TestResult {
    let s = session(2);
    // Spark docs: sorted(sc.parallelize([("a", 1), ("b", 1), ("a", 1)]).reduceByKey(add).collect())
    // == [('a', 2), ('b', 1)].
    assert_eq!(sorted(doc_pairs(&s, 2).reduce_by_key(|a, b| a + b).collect()?), keyed(&[("a", 2), ("b", 1)]));
    let into_three = doc_pairs(&s, 2).reduce_by_key_with_partitions(|a, b| a + b, 3);
    assert_eq!(into_three.num_partitions(), 3);
    assert_eq!(sorted(into_three.collect()?), keyed(&[("a", 2), ("b", 1)]));
    Ok(())
}

#[test]
fn fold_by_key_applies_zero_once_per_key_and_partition() -> TestResult {
    let s = session(2);
    // Spark docs: sorted(rdd.foldByKey(0, add).collect()) == [('a', 2), ('b', 1)].
    assert_eq!(sorted(doc_pairs(&s, 2).fold_by_key(0, |a, b| a + b).collect()?), keyed(&[("a", 2), ("b", 1)]));
    // By hand, as Spark computes it when nothing spills (its docs warn a non-neutral zero may be added any number
    // of times): 3 records in 2 slices are [("a",1)] and [("b",1), ("a",1)]; zero 10 is added once per key and
    // partition: a = (10+1) + (10+1) = 22, b = 10+1 = 11.
    assert_eq!(sorted(doc_pairs(&s, 2).fold_by_key(10, |a, b| a + b).collect()?), keyed(&[("a", 22), ("b", 11)]));
    Ok(())
}

#[test]
fn aggregate_by_key_computes_averages() -> TestResult {
    let s = session(2);
    let scores = s.parallelize(keyed(&[("a", 1.0), ("b", 4.0), ("a", 3.0), ("a", 8.0), ("b", 6.0)]), 3);
    let sums =
        scores.aggregate_by_key((0.0, 0u32), |(s, n), v| (s + v, n + 1), |(s1, n1), (s2, n2)| (s1 + s2, n1 + n2));
    let avg: BTreeMap<String, f64> = sums.map_values(|(s, n)| s / f64::from(n)).collect()?.into_iter().collect();
    // By hand: a = (1 + 3 + 8) / 3 = 4, b = (4 + 6) / 2 = 5.
    assert_eq!(avg.len(), 2);
    assert_relative_eq!(avg["a"], 4.0);
    assert_relative_eq!(avg["b"], 5.0);
    Ok(())
}

#[test]
fn combine_by_key_builds_lists() -> TestResult {
    let s = session(2);
    // Spark docs: x = [("a", 1), ("b", 1), ("a", 2)]; sorted(x.combineByKey(to_list, append, extend).collect())
    // == [('a', [1, 2]), ('b', [1])].
    let x = s.parallelize(keyed(&[("a", 1), ("b", 1), ("a", 2)]), 2);
    let lists = x.combine_by_key(
        |v| vec![v],
        |mut c, v| {
            c.push(v);
            c
        },
        |mut a, b| {
            a.extend(b);
            a
        },
    );
    let got: Vec<(String, Vec<i32>)> = sorted(lists.map_values(sorted).collect()?);
    assert_eq!(got, keyed(&[("a", vec![1, 2]), ("b", vec![1])]));
    let into_four = x.combine_by_key_with_partitions(|v| v, |a, b| a + b, |a, b| a + b, 4);
    assert_eq!(into_four.num_partitions(), 4);
    assert_eq!(sorted(into_four.collect()?), keyed(&[("a", 3), ("b", 1)]));
    Ok(())
}

#[test]
fn group_by_key_groups_values() -> TestResult {
    let s = session(2);
    // Spark docs: sorted(rdd.groupByKey().mapValues(list).collect()) == [('a', [1, 1]), ('b', [1])].
    let groups = doc_pairs(&s, 2).group_by_key();
    assert_eq!(sorted(groups.collect()?), keyed(&[("a", vec![1, 1]), ("b", vec![1])]));
    assert_eq!(doc_pairs(&s, 1).group_by_key_with_partitions(5).num_partitions(), 5);
    Ok(())
}

#[test]
fn sort_by_key_matches_spark_docs() -> TestResult {
    let s = session(2);
    let tmp = keyed(&[("a", 1), ("b", 2), ("1", 3), ("d", 4), ("2", 5)]);
    let want = keyed(&[("1", 3), ("2", 5), ("a", 1), ("b", 2), ("d", 4)]);
    // Spark docs: sc.parallelize(tmp).sortByKey().first() == ('1', 3); sortByKey(True, 1) and (True, 2) collect
    // to [('1', 3), ('2', 5), ('a', 1), ('b', 2), ('d', 4)].
    assert_eq!(s.parallelize(tmp.clone(), 2).sort_by_key(true).first()?, ("1".to_string(), 3));
    for partitions in [1, 2] {
        assert_eq!(s.parallelize(tmp.clone(), 2).sort_by_key_with_partitions(true, partitions).collect()?, want);
    }
    let mut desc = want;
    desc.reverse();
    assert_eq!(s.parallelize(tmp, 3).sort_by_key(false).collect()?, desc);
    Ok(())
}

#[test]
fn sort_by_key_with_many_partitions_is_globally_ordered() -> TestResult {
    let s = session(4);
    let data: Vec<(i64, i64)> = (0..20_000).map(|i| ((i * 7919) % 10_007, i)).collect();
    for ascending in [true, false] {
        let by_key = s.parallelize(data.clone(), 16).sort_by_key_with_partitions(ascending, 12);
        assert_eq!(by_key.num_partitions(), 12);
        let parts = by_key.keys().glom().collect()?;
        let ordered = |a: &i64, b: &i64| if ascending { a <= b } else { a >= b };
        assert!(parts.iter().all(|p| p.windows(2).all(|w| ordered(&w[0], &w[1]))), "each partition is sorted");
        let non_empty: Vec<&Vec<i64>> = parts.iter().filter(|p| !p.is_empty()).collect();
        assert!(non_empty.len() >= 8, "range partitioning spreads 10007 keys over most of 12 partitions");
        assert!(non_empty.windows(2).all(|w| ordered(&w[0][w[0].len() - 1], &w[1][0])), "partitions are in order");
        let all = by_key.collect()?;
        assert_eq!(all.len(), data.len());
        assert_eq!(sorted(all.clone()), sorted(data.clone()), "same records");
    }
    Ok(())
}

#[test]
fn joins_match_spark_docs() -> TestResult {
    let s = session(2);
    let x = s.parallelize(keyed(&[("a", 1), ("b", 4)]), 2);
    // Spark docs: y = [("a", 2), ("a", 3)]: sorted(x.join(y).collect()) == [('a', (1, 2)), ('a', (1, 3))].
    let y = s.parallelize(keyed(&[("a", 2), ("a", 3)]), 1);
    assert_eq!(sorted(x.join(&y).collect()?), keyed(&[("a", (1, 2)), ("a", (1, 3))]));
    // Spark docs: y = [("a", 2)]: sorted(x.leftOuterJoin(y).collect()) == [('a', (1, 2)), ('b', (4, None))].
    let y = s.parallelize(keyed(&[("a", 2)]), 1);
    assert_eq!(sorted(x.left_outer_join(&y).collect()?), keyed(&[("a", (1, Some(2))), ("b", (4, None))]));
    // Spark docs: sorted(y.rightOuterJoin(x).collect()) == [('a', (2, 1)), ('b', (None, 4))].
    assert_eq!(sorted(y.right_outer_join(&x).collect()?), keyed(&[("a", (Some(2), 1)), ("b", (None, 4))]));
    // Spark docs: y = [("a", 2), ("c", 8)]: sorted(x.fullOuterJoin(y).collect())
    // == [('a', (1, 2)), ('b', (4, None)), ('c', (None, 8))].
    let y = s.parallelize(keyed(&[("a", 2), ("c", 8)]), 3);
    assert_eq!(
        sorted(x.full_outer_join(&y).collect()?),
        keyed(&[("a", (Some(1), Some(2))), ("b", (Some(4), None)), ("c", (None, Some(8)))])
    );
    Ok(())
}

#[test]
fn cogroup_and_subtract_by_key() -> TestResult {
    let s = session(2);
    // Spark docs: x = [("a", 1), ("b", 4)], y = [("a", 2)]: cogroup == [('a', ([1], [2])), ('b', ([4], []))].
    let x = s.parallelize(keyed(&[("a", 1), ("b", 4)]), 2);
    let y = s.parallelize(keyed(&[("a", 2)]), 1);
    assert_eq!(sorted(x.cogroup(&y).collect()?), keyed(&[("a", (vec![1], vec![2])), ("b", (vec![4], vec![]))]));
    // Spark docs: x = [("a", 1), ("b", 4), ("b", 5), ("a", 2)], y = [("a", 3), ("c", None)]:
    // sorted(x.subtractByKey(y).collect()) == [('b', 4), ('b', 5)].
    let x = s.parallelize(keyed(&[("a", 1), ("b", 4), ("b", 5), ("a", 2)]), 2);
    let y = s.parallelize(keyed(&[("a", 3), ("c", 0)]), 2);
    assert_eq!(sorted(x.subtract_by_key(&y).collect()?), keyed(&[("b", 4), ("b", 5)]));
    Ok(())
}

#[test]
fn partition_by_hash_places_each_key_by_its_hash() -> TestResult {
    let s = session(2);
    let p = HashPartitioner::new(4);
    let pairs: Vec<(i64, i64)> = (0..400).map(|i| (i % 37, i)).collect();
    let placed = s.parallelize(pairs.clone(), 3).partition_by(p);
    assert_eq!(placed.num_partitions(), 4);
    let parts = placed.glom().collect()?;
    for (i, part) in parts.iter().enumerate() {
        assert!(part.iter().all(|(k, _)| p.get_partition(k) == i), "partition {i} holds a key of another");
    }
    assert_eq!(sorted(parts.concat()), sorted(pairs));
    Ok(())
}

#[test]
fn partition_by_range_gives_ordered_partitions() -> TestResult {
    let s = session(2);
    let pairs: Vec<(i64, i64)> = (0..3000).map(|i| ((i * 31) % 1000, i)).collect();
    let parts = s.parallelize(pairs.clone(), 5).partition_by(RangePartitioner::new(4)).glom().collect()?;
    assert_eq!(parts.len(), 4);
    let ranges: Vec<(i64, i64)> = parts
        .iter()
        .filter(|p| !p.is_empty())
        .map(|p| (p.iter().map(|kv| kv.0).min().unwrap_or(0), p.iter().map(|kv| kv.0).max().unwrap_or(0)))
        .collect();
    assert!(ranges.len() >= 3, "1000 keys spread over the ranges: {ranges:?}");
    assert!(ranges.windows(2).all(|w| w[0].1 < w[1].0), "each key in one partition, ranges ordered: {ranges:?}");
    assert_eq!(sorted(parts.concat()), sorted(pairs));
    Ok(())
}

#[test]
fn reduce_by_key_after_partition_by_adds_no_shuffle() -> TestResult {
    let (s, log) = logged_session(2);
    let pairs = s.parallelize((0..1000).map(|i| (i % 10, 1)).collect::<Vec<(i64, i64)>>(), 3);
    let placed = pairs.partition_by(HashPartitioner::new(4));
    let counts = placed.reduce_by_key(|a, b| a + b);
    assert_eq!(counts.num_partitions(), 4);
    assert_eq!(sorted(counts.collect()?), (0..10).map(|k| (k, 100)).collect::<Vec<_>>());
    // Spark: the data is already hash-partitioned into 4, so only partition_by's shuffle runs.
    assert_eq!(shuffle_map_stages(&log), 1, "{:?}", submitted_stages(&log));
    // A different partition count needs a second shuffle: the count above can tell the two apart.
    log.clear();
    placed.reduce_by_key_with_partitions(|a, b| a + b, 5).collect()?;
    assert_eq!(shuffle_map_stages(&log), 1, "partition_by's output is reused, the new shuffle runs");
    // Joining two RDDs hash-partitioned the same way runs no shuffle of its own either.
    log.clear();
    let other = s.parallelize(vec![(1i64, "one".to_string())], 2).partition_by(HashPartitioner::new(4));
    assert_eq!(placed.join(&other).count()?, 100);
    assert_eq!(shuffle_map_stages(&log), 1, "only `other`'s partition_by: {:?}", submitted_stages(&log));
    Ok(())
}

#[test]
fn lookup_finds_values_of_a_key() -> TestResult {
    let (s, log) = logged_session(2);
    // Spark docs: l = range(1000); rdd = sc.parallelize(zip(l, l), 10); rdd.lookup(42) == [42];
    // rdd.sortByKey().lookup(1024) == [].
    let rdd = s.parallelize(numbers(1000).into_iter().map(|i| (i, i)).collect(), 10);
    assert_eq!(rdd.lookup(&42)?, vec![42]);
    assert!(rdd.sort_by_key(true).lookup(&1024)?.is_empty());
    // Spark: a hash-partitioned RDD is searched in the key's partition only: one task.
    let placed = rdd.partition_by(HashPartitioner::new(8));
    placed.count()?;
    log.clear();
    assert_eq!(placed.lookup(&7)?, vec![7]);
    assert_eq!(submitted_stages(&log), vec![(false, 1)]);
    Ok(())
}

#[test]
fn count_by_key_and_collect_as_map() -> TestResult {
    let s = session(2);
    // Spark docs: sorted(rdd.countByKey().items()) == [('a', 2), ('b', 1)].
    let counts: BTreeMap<String, u64> = doc_pairs(&s, 2).count_by_key()?.into_iter().collect();
    assert_eq!(counts, keyed(&[("a", 2u64), ("b", 1)]).into_iter().collect());
    // Spark docs: m = sc.parallelize([(1, 2), (3, 4)]).collectAsMap(); m[1] == 2; m[3] == 4.
    let m: HashMap<i32, i32> = s.parallelize(vec![(1, 2), (3, 4)], 2).collect_as_map()?.into_iter().collect();
    assert_eq!(m, HashMap::from([(1, 2), (3, 4)]));
    // Spark's collectAsMap puts pairs in collect order: for a duplicate key the last value wins.
    let dup = s.parallelize(vec![(1, 'a'), (2, 'b'), (1, 'c')], 2).collect_as_map()?;
    assert_eq!((dup.len(), dup[&1]), (2, 'c'));
    Ok(())
}

#[test]
fn pair_operations_on_empty_rdds() -> TestResult {
    let s = session(2);
    for rdd in [s.empty_rdd::<(i64, i64)>(), s.parallelize(Vec::<(i64, i64)>::new(), 4)] {
        assert!(rdd.reduce_by_key(|a, b| a + b).collect()?.is_empty());
        assert!(rdd.fold_by_key(0, |a, b| a + b).collect()?.is_empty());
        assert!(rdd.group_by_key().collect()?.is_empty());
        assert!(rdd.sort_by_key(true).collect()?.is_empty());
        assert!(rdd.join(&rdd).collect()?.is_empty());
        assert!(rdd.full_outer_join(&rdd).collect()?.is_empty());
        assert!(rdd.cogroup(&rdd).collect()?.is_empty());
        assert!(rdd.partition_by(HashPartitioner::new(3)).collect()?.is_empty());
        assert!(rdd.partition_by(RangePartitioner::new(3)).collect()?.is_empty());
        assert!(rdd.count_by_key()?.is_empty());
        assert!(rdd.lookup(&1)?.is_empty());
    }
    // An empty side of an outer join still yields the other side.
    let x = s.parallelize(vec![(1i64, 10i64)], 2);
    assert_eq!(x.left_outer_join(&s.empty_rdd::<(i64, i64)>()).collect()?, vec![(1, (10, None))]);
    Ok(())
}

#[test]
fn skewed_keys_aggregate_and_sort_correctly() -> TestResult {
    let s = session(4);
    let data = skewed(20_000);
    let rdd = s.parallelize(data.clone(), 8);
    // By hand: 18000 records (i % 10 != 9) under key 0; keys 1..=100 share the other 2000, 20 each.
    let counts: BTreeMap<i64, i64> = rdd.map_values(|_| 1).reduce_by_key(|a, b| a + b).collect()?.into_iter().collect();
    assert_eq!(counts.len(), 101);
    assert_eq!(counts[&0], 18_000);
    assert!((1..=100).all(|k| counts[&k] == 20));
    let groups: BTreeMap<i64, Vec<i64>> = rdd.group_by_key().collect()?.into_iter().collect();
    assert_eq!(groups[&0].len(), 18_000);
    let by_key = rdd.sort_by_key_with_partitions(true, 8).collect()?;
    assert!(by_key.windows(2).all(|w| w[0].0 <= w[1].0));
    assert_eq!(sorted(by_key), sorted(data));
    Ok(())
}

#[test]
fn word_count_is_the_same_at_1_4_16_partitions() -> TestResult {
    // By hand: "the" 3, "quick" 3, "dog" 2, and 6 other words once: 9 words, 14 in all.
    let counts = same_at_1_4_16(word_count)?;
    let map: BTreeMap<String, u32> = counts.into_iter().collect();
    assert_eq!((map["the"], map["quick"], map["dog"], map["fox"]), (3, 3, 2, 1));
    assert_eq!(map.len(), 9);
    assert_eq!(map.values().sum::<u32>(), 14);
    Ok(())
}

#[test]
fn group_by_key_is_the_same_at_1_4_16_partitions() -> TestResult {
    let groups = same_at_1_4_16(|s, n| {
        let grouped = s.parallelize((0..300).map(|i| (i % 7, i)).collect::<Vec<(i64, i64)>>(), n).group_by_key();
        grouped.map_values(sorted).collect()
    })?;
    // By hand: key k holds k, k+7, …, below 300.
    assert_eq!(groups.len(), 7);
    assert!(groups.iter().all(|(k, vs)| *vs == (*k..300).step_by(7).collect::<Vec<_>>()));
    Ok(())
}

#[test]
fn join_is_the_same_at_1_4_16_partitions() -> TestResult {
    let joined = same_at_1_4_16(|s, n| {
        let left = s.parallelize((0..100).map(|i| (i % 10, i)).collect::<Vec<(i64, i64)>>(), n);
        let right = s.parallelize((5..15).map(|k| (k, k * 100)).collect::<Vec<(i64, i64)>>(), n);
        left.join(&right).collect()
    })?;
    // By hand: keys 5..=9 match; each has 10 left values and one right value.
    assert_eq!(joined.len(), 50);
    assert!(joined.iter().all(|(k, (v, w))| (5..10).contains(k) && v % 10 == *k && *w == k * 100));
    Ok(())
}

#[test]
fn sort_by_key_is_the_same_at_1_4_16_partitions() -> TestResult {
    let by_key = same_at_1_4_16(|s, n| {
        let data: Vec<(i64, char)> = (0..500).map(|i| ((i * 37) % 500, 'x')).collect();
        let out = s.parallelize(data, n).sort_by_key(true).collect()?;
        assert!(out.windows(2).all(|w| w[0].0 <= w[1].0), "globally ordered at {n} partitions");
        Ok(out)
    })?;
    assert_eq!(by_key.iter().map(|(k, _)| *k).collect::<Vec<_>>(), numbers(500));
    Ok(())
}

#[test]
fn shuffles_larger_than_memory_spill_and_stay_correct() -> TestResult {
    let (s, log) = logged(session_with(2, &[("flint.shuffle.memory", "1m")]));
    const N: i64 = 2_000_000;
    const KEYS: i64 = 100_000;
    let records = s.range(0, N, 1, 4)?.map(|i| ((i * 7919) % KEYS, i));
    let spilled = |what: &str| {
        let bytes = total_metrics(&log).disk_bytes_spilled;
        assert!(bytes > 0, "{what} did not spill");
        log.clear();
    };

    // By hand: each key k is hit by 20 values of i, and the sum over all records of i is N(N-1)/2.
    let sums = records.map_values(|i| (1i64, i)).reduce_by_key(|a, b| (a.0 + b.0, a.1 + b.1)).collect()?;
    assert_eq!(sums.len() as i64, KEYS);
    assert!(sums.iter().all(|(_, (count, _))| *count == N / KEYS));
    assert_eq!(sums.iter().map(|(_, (_, sum))| sum).sum::<i64>(), N * (N - 1) / 2);
    spilled("reduce_by_key");

    let groups = records.group_by_key().map_values(|vs| (vs.len(), vs.iter().sum::<i64>())).collect()?;
    assert_eq!(groups.len() as i64, KEYS);
    assert!(groups.iter().all(|(_, (n, _))| *n as i64 == N / KEYS));
    assert_eq!(groups.iter().map(|(_, (_, sum))| sum).sum::<i64>(), N * (N - 1) / 2);
    spilled("group_by_key");

    let by_key = records.sort_by_key(true).collect()?;
    assert_eq!(by_key.len() as i64, N);
    assert!(by_key.windows(2).all(|w| w[0].0 <= w[1].0), "sorted across spilled runs");
    assert_eq!(by_key.iter().map(|(_, v)| v).sum::<i64>(), N * (N - 1) / 2);
    spilled("sort_by_key");
    assert_eq!(files_under(&s.local_dir()), 0, "spill files are removed with the shuffles that wrote them");
    Ok(())
}

#[test]
fn reduce_by_key_combines_map_side_and_group_by_key_does_not() -> TestResult {
    let (s, log) = logged_session(2);
    let pairs = s.parallelize((0..100).map(|i| (i % 5, 1)).collect::<Vec<(i64, i64)>>(), 4);
    let written = |log: &EventLog| -> u64 {
        log.completed_stages().iter().filter(|(st, _)| st.is_shuffle_map).map(|(_, m)| m.shuffle_records_written).sum()
    };
    // Spark: reduceByKey combines in each map task first: 4 map tasks write 5 keys each.
    pairs.reduce_by_key(|a, b| a + b).collect()?;
    assert_eq!(written(&log), 20);
    assert_eq!(total_metrics(&log).shuffle_records_read, 20);
    // groupByKey does not (mapSideCombine = false): all 100 records cross the shuffle.
    log.clear();
    pairs.group_by_key().collect()?;
    assert_eq!(written(&log), 100);
    Ok(())
}

#[test]
fn a_later_job_skips_a_finished_shuffle() -> TestResult {
    let (s, log) = logged_session(2);
    let counts = s.parallelize(numbers(100), 4).map(|x| (x % 5, 1)).reduce_by_key(|a, b| a + b);
    assert_eq!(counts.count()?, 5);
    assert_eq!(shuffle_map_stages(&log), 1);
    log.clear();
    assert_eq!(sorted(counts.collect()?), (0..5).map(|k| (k, 20)).collect::<Vec<_>>());
    // Spark's UI shows the map stage as skipped: its output is reused.
    assert_eq!(shuffle_map_stages(&log), 0);
    assert!(log.events().iter().any(|e| matches!(e, Event::StageSkipped { stage, .. } if stage.is_shuffle_map)));
    Ok(())
}

#[test]
fn group_by_key_and_joins_reuse_an_existing_hash_partitioning() -> TestResult {
    let (s, log) = logged_session(2);
    let placed = s
        .parallelize((0..60).map(|i| (i % 6, i)).collect::<Vec<(i64, i64)>>(), 3)
        .partition_by(HashPartitioner::new(3));
    placed.count()?;
    log.clear();
    let groups = placed.group_by_key().map_values(|vs| vs.len()).collect()?;
    assert_eq!(sorted(groups), (0..6).map(|k| (k, 10)).collect::<Vec<_>>());
    assert_eq!(placed.join(&placed).count()?, 6 * 10 * 10, "self-join: 10 x 10 pairs per key");
    assert_eq!(shuffle_map_stages(&log), 0, "{:?}", submitted_stages(&log));
    Ok(())
}

#[test]
fn spill_files_are_removed_even_when_a_result_is_not_read_to_the_end() -> TestResult {
    let s = session_with(2, &[("flint.shuffle.memory", "256k")]);
    let records = s.range(0, 200_000, 1, 4)?.map(|x| (x % 50_000, 1i64));
    // Reading one record of aggregations and a sort that spilled.
    assert_eq!(records.reduce_by_key(|a, b| a + b).take(1)?.len(), 1);
    assert_eq!(records.sort_by_key(true).take(1)?, vec![(0, 1)]);
    assert_eq!(records.group_by_key().first()?.1.len(), 4);
    // The shuffled RDDs are gone, so nothing of theirs may remain on disk.
    assert_eq!(files_under(&s.local_dir()), 0);
    Ok(())
}

#[test]
fn spill_files_of_failed_tasks_are_removed() -> TestResult {
    let s = session_with(2, &[("flint.shuffle.memory", "256k")]);
    // Map side: 2 map tasks of 100,000 records spill their buckets, then the second panics on its last record.
    let failing_map = s.range(0, 200_000, 1, 2)?.map(|x| if x == 199_999 { panic!("late failure") } else { (x, x) });
    assert!(matches!(failing_map.group_by_key().count(), Err(Error::TaskFailed { .. })));
    // Reduce side: every map task holds keys 0..50,000 once, so the reduce side aggregates (and spills) the first
    // map output before its merge function meets a key again, and panics.
    let keys = s.range(0, 200_000, 1, 4)?.map(|x| (x % 50_000, x));
    let combined = keys.combine_by_key(|v| v, |a, b| a + b, |_: i64, _: i64| -> i64 { panic!("merging combiners") });
    assert!(matches!(combined.count(), Err(Error::TaskFailed { .. })));
    drop((failing_map, keys, combined));
    assert_eq!(files_under(&s.local_dir()), 0, "a failed task's spill files are removed");
    Ok(())
}

#[test]
fn concurrent_jobs_share_one_run_of_a_shuffle() -> TestResult {
    let (s, log) = logged_session(2);
    let counts = s.parallelize(numbers(10_000), 8).map(|x| (x % 100, 1)).reduce_by_key(|a, b| a + b);
    let want: Vec<(i64, i64)> = (0..100).map(|k| (k, 100)).collect();
    let results: Vec<Result<Vec<(i64, i64)>>> = std::thread::scope(|scope| {
        let jobs: Vec<_> = (0..4).map(|_| scope.spawn(|| counts.collect())).collect();
        jobs.into_iter()
            .map(|j| j.join().unwrap_or_else(|_| Err(Error::Internal("job thread panicked".into()))))
            .collect()
    });
    for result in results {
        assert_eq!(sorted(result?), want);
    }
    // The map stage runs once; the other jobs wait for it and skip it.
    assert_eq!(shuffle_map_stages(&log), 1, "{:?}", submitted_stages(&log));
    Ok(())
}

/// A 20 MB `key,value` text file: one 32 MB-block split, so on `local[2]` its map task runs as two byte-range
/// pieces (the second thread would otherwise idle); returns the file and its lines' `(key, value)`.
fn large_text(dir: &std::path::Path) -> (String, Vec<(u32, u64)>) {
    let records: Vec<(u32, u64)> = (0..1_200_000u64).map(|i| (((i * 7919) % 1000) as u32, i)).collect();
    let text: String = records.iter().map(|(k, v)| format!("{k},{v:011}\n")).collect();
    assert!(text.len() > 16 << 20 && text.len() < 32 << 20);
    let path = dir.join("pairs.csv");
    std::fs::write(&path, text).expect("write");
    (path.to_string_lossy().into_owned(), records)
}

fn parse(line: &str) -> (u32, u64) {
    let (k, v) = line.split_once(',').expect("a comma");
    (k.parse().expect("a key"), v.parse().expect("a value"))
}

#[test]
fn a_map_task_in_pieces_gives_the_whole_tasks_answer() -> TestResult {
    let dir = tempfile::tempdir()?;
    let (path, records) = large_text(dir.path());
    let (s, log) = logged_session(2);
    let lines = s.text_file(&path, 1)?;
    assert_eq!(lines.num_partitions(), 1);
    let calls = s.long_accumulator("calls");
    let c = calls.clone();
    let pairs = lines.map(move |l| {
        c.add(1);
        parse(&l)
    });

    let mut expected: BTreeMap<u32, u64> = BTreeMap::new();
    for (k, v) in &records {
        *expected.entry(*k).or_default() += v;
    }
    let sums: BTreeMap<u32, u64> = pairs.reduce_by_key(|a, b| a + b).collect()?.into_iter().collect();
    assert_eq!(sums, expected);
    assert_eq!(calls.value(), records.len() as i64, "every line mapped once");
    let ends: Vec<TaskMetrics> = log
        .events()
        .into_iter()
        .filter_map(|e| match e {
            Event::TaskEnd { metrics, .. } if metrics.shuffle_records_written > 0 => Some(metrics),
            _ => None,
        })
        .collect();
    assert_eq!(ends.len(), 1, "one map task, as in Spark");
    assert_eq!(ends[0].records_read, records.len() as u64);
    assert!(ends[0].shuffle_records_written > 1000, "each piece combined its own keys");

    // Values keep the file's order within a key, as from one task.
    let groups: HashMap<u32, Vec<u64>> = pairs.group_by_key().collect()?.into_iter().collect();
    let mut in_order: HashMap<u32, Vec<u64>> = HashMap::new();
    for (k, v) in &records {
        in_order.entry(*k).or_default().push(*v);
    }
    assert_eq!(groups, in_order);
    assert_eq!(sorted(pairs.map(|(k, _)| k).distinct().collect()?), (0..1000).collect::<Vec<_>>());
    Ok(())
}

#[test]
fn a_zero_value_is_still_applied_once_per_key_and_partition() -> TestResult {
    let dir = tempfile::tempdir()?;
    let (path, records) = large_text(dir.path());
    let s = session(2);
    let pairs = s.text_file(&path, 1)?.map(|l| parse(&l));
    // A non-neutral zero shows how often Spark applies it: once per key in each map partition (here one).
    let folded: BTreeMap<u32, u64> = pairs.fold_by_key(1_000_000, |a, b| a + b).collect()?.into_iter().collect();
    let counted: BTreeMap<u32, u64> =
        pairs.aggregate_by_key(0u64, |n, _| n + 1, |a, b| a + b).collect()?.into_iter().collect();
    for k in 0..1000u32 {
        let values = records.iter().filter(|(key, _)| *key == k);
        assert_eq!(folded[&k], 1_000_000 + values.clone().map(|(_, v)| v).sum::<u64>(), "key {k}");
        assert_eq!(counted[&k], values.count() as u64, "key {k}");
    }
    Ok(())
}
