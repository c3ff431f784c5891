//! Element-wise and whole-RDD transformations.

use crate::{TestResult, keyed, numbers, same_at_1_4_16, session, sorted, strings};
use flint_engine::prelude::*;
use std::collections::HashSet;

#[test]
fn map_keeps_order_and_partitions() -> TestResult {
    let s = session(2);
    let rdd = s.parallelize(vec![1, 2, 3, 4, 5], 2).map(|x| x * 2);
    assert_eq!(rdd.num_partitions(), 2);
    // Spark docs: sc.parallelize([1, 2, 3, 4, 5]).map(lambda x: x * 2) keeps the order.
    assert_eq!(rdd.collect()?, vec![2, 4, 6, 8, 10]);
    Ok(())
}

#[test]
fn flat_map_flattens_and_may_drop() -> TestResult {
    let s = session(2);
    // Spark docs: sc.parallelize([2, 3, 4]).flatMap(lambda x: range(1, x)) == [1, 1, 2, 1, 2, 3].
    assert_eq!(s.parallelize(vec![2, 3, 4], 2).flat_map(|x| 1..x).collect()?, vec![1, 1, 2, 1, 2, 3]);
    let lines = s.parallelize(strings(&["to be", "", "or not"]), 3);
    let words = lines.flat_map(|l| l.split_whitespace().map(String::from).collect::<Vec<_>>());
    assert_eq!(words.collect()?, strings(&["to", "be", "or", "not"]));
    Ok(())
}

#[test]
fn filter_keeps_matching_elements_in_order() -> TestResult {
    let s = session(2);
    // Spark docs: sc.parallelize([1, 2, 3, 4, 5]).filter(lambda x: x % 2 == 0) == [2, 4].
    assert_eq!(s.parallelize(vec![1, 2, 3, 4, 5], 3).filter(|x| x % 2 == 0).collect()?, vec![2, 4]);
    assert!(s.parallelize(vec![1, 3], 2).filter(|x| x % 2 == 0).collect()?.is_empty());
    Ok(())
}

#[test]
fn map_partitions_sees_spark_slices() -> TestResult {
    let s = session(2);
    // Spark slicing of 1..=10 into 3: [1,2,3], [4,5,6], [7,8,9,10]; sums 6, 15, 34.
    let sums = s.parallelize((1..=10).collect(), 3).map_partitions(|it| std::iter::once(it.sum::<i32>()));
    assert_eq!(sums.collect()?, vec![6, 15, 34]);
    // Spark docs: sc.parallelize([1, 2, 3, 4], 2).mapPartitions(lambda it: [sum(it)]) == [3, 7].
    let sums = s.parallelize(vec![1, 2, 3, 4], 2).map_partitions(|it| vec![it.sum::<i32>()]);
    assert_eq!(sums.collect()?, vec![3, 7]);
    Ok(())
}

#[test]
fn map_partitions_with_index_gives_the_partition() -> TestResult {
    let s = session(2);
    // Spark docs: sc.parallelize([1, 2, 3, 4], 4).mapPartitionsWithIndex(lambda i, it: [i]).sum() == 6.
    let indexes = s.parallelize(vec![1, 2, 3, 4], 4).map_partitions_with_index(|i, _| vec![i]);
    assert_eq!(indexes.collect()?, vec![0, 1, 2, 3]);
    let tagged = s.parallelize(vec!['a', 'b', 'c', 'd'], 2).map_partitions_with_index(|i, it| it.map(move |x| (i, x)));
    assert_eq!(tagged.collect()?, vec![(0, 'a'), (0, 'b'), (1, 'c'), (1, 'd')]);
    Ok(())
}

#[test]
fn distinct_removes_duplicates() -> TestResult {
    let s = session(2);
    // Spark docs: sorted(sc.parallelize([1, 1, 2, 3]).distinct().collect()) == [1, 2, 3].
    assert_eq!(sorted(s.parallelize(vec![1, 1, 2, 3], 2).distinct().collect()?), vec![1, 2, 3]);
    let d = s.parallelize(vec![5, 5, 5], 1).distinct_with_partitions(3);
    assert_eq!(d.num_partitions(), 3);
    assert_eq!(d.collect()?, vec![5]);
    Ok(())
}

#[test]
fn distinct_is_the_same_at_1_4_16_partitions() -> TestResult {
    // By hand: i % 97 for i in 0..5000 has the 97 values 0..97.
    let got =
        same_at_1_4_16(|s, n| s.parallelize((0..5000).map(|i| i % 97).collect::<Vec<i64>>(), n).distinct().collect())?;
    assert_eq!(got, numbers(97));
    Ok(())
}

#[test]
fn sample_fraction_bounds() -> TestResult {
    let s = session(2);
    let rdd = s.parallelize(numbers(1000), 4);
    assert!(rdd.sample(false, 0.0, 1)?.collect()?.is_empty(), "fraction 0 keeps nothing");
    assert_eq!(rdd.sample(false, 1.0, 1)?.collect()?, numbers(1000), "fraction 1 keeps everything, in order");
    assert!(rdd.sample(true, 0.0, 1)?.collect()?.is_empty(), "Poisson(0) draws nothing");
    Ok(())
}

#[test]
fn sample_without_replacement_is_a_subset_near_the_fraction() -> TestResult {
    let s = session(2);
    let rdd = s.parallelize(numbers(10_000), 4);
    let sample = rdd.sample(false, 0.3, 42)?.collect()?;
    // Binomial(10000, 0.3): mean 3000, sd 46; 3000 ± 300 is beyond 6 sd.
    assert!((2700..=3300).contains(&sample.len()), "{} elements", sample.len());
    assert!(sample.windows(2).all(|w| w[0] < w[1]), "a sample without replacement keeps order, no repeats");
    Ok(())
}

#[test]
fn sample_with_replacement_repeats_elements() -> TestResult {
    let s = session(2);
    let rdd = s.parallelize(numbers(10_000), 4);
    let sample = rdd.sample(true, 2.0, 7)?.collect()?;
    // Sum of 10000 Poisson(2): mean 20000, sd 141.
    assert!((19_000..=21_000).contains(&sample.len()), "{} elements", sample.len());
    let unique: HashSet<i64> = sample.iter().copied().collect();
    assert!(unique.len() < sample.len(), "with replacement, elements repeat");
    assert!(unique.iter().all(|x| (0..10_000).contains(x)));
    Ok(())
}

#[test]
fn sample_is_deterministic_for_a_seed() -> TestResult {
    let s = session(2);
    let rdd = s.parallelize(numbers(2000), 4);
    for with_replacement in [false, true] {
        let a = rdd.sample(with_replacement, 0.5, 99)?.collect()?;
        assert_eq!(a, rdd.sample(with_replacement, 0.5, 99)?.collect()?, "same seed, same sample");
        assert_ne!(a, rdd.sample(with_replacement, 0.5, 100)?.collect()?, "another seed, another sample");
    }
    Ok(())
}

#[test]
fn union_concatenates_partitions() -> TestResult {
    let s = session(2);
    let rdd = s.parallelize(vec![1, 1, 2, 3], 2);
    // Spark docs: sc.union([rdd, rdd]).collect() == [1, 1, 2, 3, 1, 1, 2, 3].
    let u = s.union(&[rdd.clone(), rdd.clone()]);
    assert_eq!(u.num_partitions(), 4);
    assert_eq!(u.collect()?, vec![1, 1, 2, 3, 1, 1, 2, 3]);
    let other = s.parallelize(vec![9], 1);
    assert_eq!(rdd.union(&other).collect()?, vec![1, 1, 2, 3, 9]);
    Ok(())
}

#[test]
fn intersection_has_common_elements_once() -> TestResult {
    let s = session(2);
    // Spark docs: rdd1 = [1, 10, 2, 3, 4, 5], rdd2 = [1, 6, 2, 3, 7, 8]: sorted(rdd1.intersection(rdd2)) == [1, 2, 3].
    let a = s.parallelize(vec![1, 10, 2, 3, 4, 5], 2);
    let b = s.parallelize(vec![1, 6, 2, 3, 7, 8], 3);
    assert_eq!(sorted(a.intersection(&b).collect()?), vec![1, 2, 3]);
    // Spark: the output has no duplicates even if the inputs did.
    let c = s.parallelize(vec![1, 1, 2, 2], 2);
    assert_eq!(sorted(c.intersection(&s.parallelize(vec![1, 1, 3], 1)).collect()?), vec![1]);
    Ok(())
}

#[test]
fn subtract_keeps_this_sides_duplicates() -> TestResult {
    let s = session(2);
    // Spark docs: x = [("a", 1), ("b", 4), ("b", 5), ("a", 3)], y = [("a", 3), ("c", None)]:
    // sorted(x.subtract(y).collect()) == [('a', 1), ('b', 4), ('b', 5)].
    let x = s.parallelize(keyed(&[("a", 1), ("b", 4), ("b", 5), ("a", 3)]), 2);
    let y = s.parallelize(keyed(&[("a", 3), ("c", 0)]), 2);
    assert_eq!(sorted(x.subtract(&y).collect()?), keyed(&[("a", 1), ("b", 4), ("b", 5)]));
    // By hand: [1, 1, 2, 3] minus [3] keeps both 1s.
    let dup = s.parallelize(vec![1, 1, 2, 3], 2).subtract(&s.parallelize(vec![3], 1));
    assert_eq!(sorted(dup.collect()?), vec![1, 1, 2]);
    Ok(())
}

#[test]
fn cartesian_pairs_everything() -> TestResult {
    let s = session(2);
    // Spark docs: rdd = sc.parallelize([1, 2]); sorted(rdd.cartesian(rdd).collect()) == [(1, 1), (1, 2), (2, 1), (2, 2)].
    let rdd = s.parallelize(vec![1, 2], 2);
    let c = rdd.cartesian(&rdd);
    assert_eq!(c.num_partitions(), 4);
    assert_eq!(sorted(c.collect()?), vec![(1, 1), (1, 2), (2, 1), (2, 2)]);
    let letters = s.parallelize(vec!['x', 'y', 'z'], 3);
    assert_eq!(rdd.cartesian(&letters).count()?, 6);
    Ok(())
}

#[test]
fn zip_pairs_elements_in_order() -> TestResult {
    let s = session(2);
    // Spark docs: sc.parallelize(range(0, 5)).zip(sc.parallelize(range(1000, 1005))).collect()
    // == [(0, 1000), (1, 1001), (2, 1002), (3, 1003), (4, 1004)].
    let x = s.parallelize(numbers(5), 2);
    let y = s.parallelize((1000..1005).collect::<Vec<i64>>(), 2);
    assert_eq!(x.zip(&y)?.collect()?, vec![(0, 1000), (1, 1001), (2, 1002), (3, 1003), (4, 1004)]);
    Ok(())
}

#[test]
fn zip_rejects_different_partition_counts() {
    let s = session(2);
    let err = s.parallelize(numbers(4), 2).zip(&s.parallelize(numbers(4), 3)).expect_err("2 vs 3 partitions");
    assert!(matches!(err, Error::Incompatible(_)), "{err:?}");
    assert!(err.to_string().contains("same number of partitions"), "{err}");
}

#[test]
fn zip_fails_when_partition_sizes_differ() -> TestResult {
    let s = session(2);
    // Spark: "Can only zip RDDs with same number of elements in each partition" (4 = 2+2 vs 5 = 2+3).
    let zipped = s.parallelize(numbers(4), 2).zip(&s.parallelize(numbers(5), 2))?;
    let err = zipped.collect().expect_err("partition 1 has 2 and 3 elements");
    assert!(matches!(err, Error::Incompatible(_)), "{err:?}");
    assert!(err.to_string().contains("same number of elements"), "{err}");
    Ok(())
}

#[test]
fn zip_with_index_numbers_across_partitions() -> TestResult {
    let s = session(2);
    // Spark docs: sc.parallelize(["a", "b", "c", "d"], 3).zipWithIndex().collect()
    // == [('a', 0), ('b', 1), ('c', 2), ('d', 3)].
    let got = s.parallelize(strings(&["a", "b", "c", "d"]), 3).zip_with_index()?.collect()?;
    assert_eq!(got, keyed(&[("a", 0u64), ("b", 1), ("c", 2), ("d", 3)]));
    let many = s.parallelize(numbers(1000), 7).zip_with_index()?.collect()?;
    assert!(many.iter().all(|(x, i)| *x as u64 == *i));
    // Empty partitions in between: [1, 2] in 4 slices is [], [1], [], [2].
    assert_eq!(s.parallelize(vec![1, 2], 4).zip_with_index()?.collect()?, vec![(1, 0), (2, 1)]);
    Ok(())
}

#[test]
fn zip_with_unique_id_interleaves_partitions() -> TestResult {
    let s = session(2);
    // Spark docs: sc.parallelize(["a", "b", "c", "d", "e"], 3).zipWithUniqueId().collect()
    // == [('a', 0), ('b', 1), ('c', 4), ('d', 2), ('e', 5)].
    let got = s.parallelize(strings(&["a", "b", "c", "d", "e"]), 3).zip_with_unique_id().collect()?;
    assert_eq!(got, keyed(&[("a", 0u64), ("b", 1), ("c", 4), ("d", 2), ("e", 5)]));
    Ok(())
}

#[test]
fn glom_shows_spark_slicing() -> TestResult {
    let s = session(2);
    // Spark docs: sc.parallelize(1 to 10, 3).glom() == [[1, 2, 3], [4, 5, 6], [7, 8, 9, 10]].
    let got = s.parallelize((1..=10).collect::<Vec<i32>>(), 3).glom().collect()?;
    assert_eq!(got, vec![vec![1, 2, 3], vec![4, 5, 6], vec![7, 8, 9, 10]]);
    // Spark docs: sc.parallelize([1, 2, 3, 4], 2).glom().collect() == [[1, 2], [3, 4]].
    assert_eq!(s.parallelize(vec![1, 2, 3, 4], 2).glom().collect()?, vec![vec![1, 2], vec![3, 4]]);
    // Spark slicing of 2 elements into 4: positions i*2/4 .. (i+1)*2/4 give [], [1], [], [2].
    assert_eq!(s.parallelize(vec![1, 2], 4).glom().collect()?, vec![vec![], vec![1], vec![], vec![2]]);
    Ok(())
}

#[test]
fn key_by_pairs_key_and_element() -> TestResult {
    let s = session(2);
    // Spark docs: sc.parallelize(range(0, 3)).keyBy(lambda x: x * x) == [(0, 0), (1, 1), (4, 2)].
    assert_eq!(s.parallelize(numbers(3), 2).key_by(|x| x * x).collect()?, vec![(0, 0), (1, 1), (4, 2)]);
    Ok(())
}

#[test]
fn sort_by_ascending_and_descending() -> TestResult {
    let s = session(2);
    let tmp = keyed(&[("a", 1), ("b", 2), ("1", 3), ("d", 4), ("2", 5)]);
    let rdd = s.parallelize(tmp.clone(), 2);
    // Spark docs: sortBy(lambda x: x[0]) == [('1', 3), ('2', 5), ('a', 1), ('b', 2), ('d', 4)].
    assert_eq!(
        rdd.sort_by(|p| p.0.clone(), true).collect()?,
        keyed(&[("1", 3), ("2", 5), ("a", 1), ("b", 2), ("d", 4)])
    );
    // Spark docs: sortBy(lambda x: x[1]) gives the input order back.
    assert_eq!(rdd.sort_by(|p| p.1, true).collect()?, tmp);
    let mut reversed = tmp.clone();
    reversed.reverse();
    assert_eq!(rdd.sort_by(|p| p.1, false).collect()?, reversed);
    Ok(())
}

#[test]
fn sort_by_many_partitions_is_globally_ordered() -> TestResult {
    let s = session(4);
    let data: Vec<i64> = (0..5000).map(|i| (i * 7919) % 5003).collect();
    let sorted_desc = s.parallelize(data.clone(), 8).sort_by_with_partitions(|x| *x, false, 5);
    assert_eq!(sorted_desc.num_partitions(), 5);
    let mut want = data;
    want.sort_by(|a, b| b.cmp(a));
    assert_eq!(sorted_desc.collect()?, want);
    Ok(())
}

#[test]
fn repartition_spreads_evenly_without_loss() -> TestResult {
    let s = session(2);
    let rdd = s.parallelize(numbers(1000), 2).repartition(7);
    assert_eq!(rdd.num_partitions(), 7);
    assert_eq!(rdd.count()?, 1000);
    assert_eq!(sorted(rdd.collect()?), numbers(1000));
    // Spark deals each input partition round-robin, so sizes differ by at most one per input partition.
    let sizes: Vec<usize> = rdd.glom().collect()?.iter().map(Vec::len).collect();
    let (min, max) = (sizes.iter().min().copied(), sizes.iter().max().copied());
    assert!(max.zip(min).is_some_and(|(max, min)| max - min <= 2), "{sizes:?}");
    // Growing and shrinking both work.
    assert_eq!(s.parallelize(numbers(10), 5).repartition(1).collect()?.len(), 10);
    Ok(())
}

#[test]
fn coalesce_merges_neighbouring_partitions() -> TestResult {
    let s = session(2);
    let rdd = s.parallelize((1..=100).collect::<Vec<i32>>(), 10);
    let fewer = rdd.coalesce(3);
    assert_eq!(fewer.num_partitions(), 3);
    // Without a shuffle the order is kept.
    assert_eq!(fewer.collect()?, (1..=100).collect::<Vec<_>>());
    let sizes: Vec<usize> = fewer.glom().collect()?.iter().map(Vec::len).collect();
    // Spark-style slices of 10 parents into 3 groups: 3, 3, 4 partitions of 10 elements.
    assert_eq!(sizes, vec![30, 30, 40]);
    // Spark: coalesce to more partitions without a shuffle keeps the current count.
    assert_eq!(rdd.coalesce(20).num_partitions(), 10);
    Ok(())
}

#[test]
fn random_split_is_disjoint_and_covering() -> TestResult {
    let s = session(2);
    let rdd = s.parallelize(numbers(1000), 4);
    let parts = rdd.random_split(&[0.6, 0.4], 11)?;
    assert_eq!(parts.len(), 2);
    let a = parts[0].collect()?;
    let b = parts[1].collect()?;
    // Binomial(1000, 0.6): mean 600, sd 15.5.
    assert!((500..=700).contains(&a.len()), "{} in the first split", a.len());
    let set_a: HashSet<i64> = a.iter().copied().collect();
    assert!(b.iter().all(|x| !set_a.contains(x)), "splits are disjoint");
    assert_eq!(sorted([a.clone(), b].concat()), numbers(1000), "splits cover the input");
    assert_eq!(rdd.random_split(&[3.0, 2.0], 11)?[0].collect()?, a, "weights are normalised; same seed, same split");
    Ok(())
}

#[test]
fn transformations_of_empty_rdds_are_empty() -> TestResult {
    let s = session(2);
    for rdd in [s.empty_rdd::<i64>(), s.parallelize(Vec::<i64>::new(), 4)] {
        assert!(rdd.map(|x| x + 1).collect()?.is_empty());
        assert!(rdd.flat_map(|x| vec![x, x]).collect()?.is_empty());
        assert!(rdd.filter(|_| true).collect()?.is_empty());
        assert!(rdd.distinct().collect()?.is_empty());
        assert!(rdd.sort_by(|x| *x, true).collect()?.is_empty());
        assert!(rdd.repartition(3).collect()?.is_empty());
        assert!(rdd.coalesce(1).collect()?.is_empty());
        assert!(rdd.union(&rdd).collect()?.is_empty());
        assert!(rdd.intersection(&rdd).collect()?.is_empty());
        assert!(rdd.subtract(&rdd).collect()?.is_empty());
        assert!(rdd.cartesian(&rdd).collect()?.is_empty());
        assert!(rdd.zip(&rdd)?.collect()?.is_empty());
        assert!(rdd.zip_with_index()?.collect()?.is_empty());
        assert!(rdd.sample(false, 0.5, 1)?.collect()?.is_empty());
        assert_eq!(rdd.glom().count()?, rdd.num_partitions() as u64, "one (empty) vector per partition");
    }
    assert_eq!(s.empty_rdd::<i64>().num_partitions(), 0, "Spark's EmptyRDD has no partitions");
    Ok(())
}

#[test]
fn range_slices_like_parallelize() -> TestResult {
    let s = session(2);
    // Spark: sc.range(0, 10, 3) == [0, 3, 6, 9]; sc.range(10, 0, -4) == [10, 6, 2].
    assert_eq!(s.range(0, 10, 3, 2)?.collect()?, vec![0, 3, 6, 9]);
    assert_eq!(s.range(10, 0, -4, 2)?.collect()?, vec![10, 6, 2]);
    assert_eq!(s.range(0, 10, 1, 3)?.glom().collect()?, vec![vec![0, 1, 2], vec![3, 4, 5], vec![6, 7, 8, 9]]);
    assert!(s.range(0, 10, 0, 1).is_err(), "step 0 is rejected");
    Ok(())
}

#[test]
fn default_partition_counts_follow_the_master() -> TestResult {
    let s = session(3);
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("lines.txt");
    std::fs::write(&path, "a\nb\nc\nd\ne\nf\n")?;
    // Spark: defaultParallelism is N in local[N]; textFile's defaultMinPartitions is min(defaultParallelism, 2).
    assert_eq!(s.default_parallelism(), 3);
    assert_eq!(s.parallelize_default(numbers(10)).num_partitions(), 3);
    assert_eq!(s.text_file_default(path.to_string_lossy())?.num_partitions(), 2);
    assert_eq!(session(1).text_file_default(path.to_string_lossy())?.num_partitions(), 1);
    Ok(())
}
