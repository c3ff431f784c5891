//! Shared variables: broadcast values and accumulators.

use crate::{TestResult, logged_session, numbers, session, sorted};
use approx::assert_relative_eq;
use flint_engine::prelude::*;
use std::collections::HashMap;

#[test]
fn broadcast_values_are_read_in_tasks() -> TestResult {
    let s = session(2);
    // Spark docs: b = sc.broadcast([1, 2, 3, 4, 5]); sc.parallelize([0, 0]).flatMap(lambda x: b.value).collect()
    // == [1, 2, 3, 4, 5, 1, 2, 3, 4, 5].
    let b = s.broadcast(vec![1, 2, 3, 4, 5]);
    assert_eq!(b.value(), &vec![1, 2, 3, 4, 5]);
    let bc = b.clone();
    assert_eq!(
        s.parallelize(vec![0, 0], 2).flat_map(move |_| bc.value().clone()).collect()?,
        [1, 2, 3, 4, 5, 1, 2, 3, 4, 5]
    );
    // A lookup table joined map-side.
    let names = s.broadcast(HashMap::from([(1, "one"), (2, "two")]));
    let named = s
        .parallelize(vec![1, 2, 3], 3)
        .map(move |k| names.value().get(&k).map_or("?".to_string(), |n| n.to_string()))
        .collect()?;
    assert_eq!(named, ["one", "two", "?"]);
    assert_ne!(b.id(), s.broadcast(0).id(), "ids are unique in a session");
    Ok(())
}

#[test]
fn long_accumulator_sums_counts_and_averages() -> TestResult {
    let s = session(2);
    let acc = s.long_accumulator("sum");
    let a = acc.clone();
    // Spark docs: acc = sc.accumulator(0); sc.parallelize([1, 2, 3]).foreach(lambda x: acc.add(x)); acc.value == 6.
    s.parallelize(vec![1i64, 2, 3], 2).foreach(move |x| a.add(x))?;
    assert_eq!((acc.value(), acc.count()), (6, 3));
    assert_relative_eq!(acc.avg(), 2.0);
    acc.add(4);
    assert_eq!(acc.value(), 10, "driver-side adds apply at once");
    acc.reset();
    assert_eq!((acc.value(), acc.count()), (0, 0));
    assert_eq!(acc.name(), Some("sum"));
    Ok(())
}

#[test]
fn double_and_collection_accumulators() -> TestResult {
    let s = session(2);
    let total = s.double_accumulator("total");
    let seen = s.collection_accumulator::<i64>("seen");
    let (t, c) = (total.clone(), seen.clone());
    s.parallelize(numbers(10), 4).foreach(move |x| {
        t.add(x as f64 * 0.5);
        if x % 3 == 0 {
            c.add(x);
        }
    })?;
    // By hand: 0.5 * (0 + … + 9) = 22.5; multiples of 3 below 10 are 0, 3, 6, 9.
    assert_relative_eq!(total.value(), 22.5);
    assert_eq!(total.count(), 10);
    assert_eq!(sorted(seen.value()), vec![0, 3, 6, 9]);
    Ok(())
}

#[test]
fn a_failed_tasks_updates_do_not_count() {
    let s = session(2);
    let acc = s.accumulator();
    let a = acc.clone();
    // Slices of 1..=10 in 5: [1,2] [3,4] [5,6] [7,8] [9,10]; the last task adds 9 and then fails on 10.
    let result = s.parallelize((1..=10).collect::<Vec<i64>>(), 5).foreach(move |x| {
        a.add(x);
        assert_ne!(x, 10, "poisoned record");
    });
    let err = result.expect_err("the job fails");
    assert!(matches!(err, Error::TaskFailed { partition: 4, .. }), "{err:?}");
    // The four successful tasks count once: 1 + … + 8 = 36; the failed task's 9 does not count.
    assert_eq!((acc.value(), acc.count()), (36, 8));
}

#[test]
fn named_accumulators_are_reported_in_task_end_events() -> TestResult {
    let (s, log) = logged_session(2);
    let records = s.long_accumulator("records");
    let hidden = s.accumulator();
    let (r, h) = (records.clone(), hidden.clone());
    // [1, 2, 3, 4, 5] in 2 slices: [1, 2] and [3, 4, 5].
    s.parallelize(vec![1i64, 2, 3, 4, 5], 2).foreach(move |x| {
        r.add(1);
        h.add(x);
    })?;
    let mut updates: Vec<(usize, Vec<(String, String)>)> = log
        .events()
        .into_iter()
        .filter_map(|e| match e {
            Event::TaskEnd { partition, accumulables, success: true, .. } => Some((partition, accumulables)),
            _ => None,
        })
        .collect();
    updates.sort();
    // Spark's UI lists each task's update of a named accumulator (the partial sum); unnamed ones are not listed.
    assert_eq!(
        updates,
        vec![(0, vec![("records".to_string(), "2".to_string())]), (1, vec![("records".to_string(), "3".to_string())]),]
    );
    assert_eq!((records.value(), hidden.value()), (5, 15));
    Ok(())
}

#[test]
fn accumulators_in_transformations_count_per_computation() -> TestResult {
    let s = session(2);
    let acc = s.accumulator();
    let a = acc.clone();
    let mapped = s.parallelize(numbers(100), 4).map(move |x| {
        a.add(1);
        x
    });
    mapped.count()?;
    mapped.count()?;
    // Spark's documented caveat: updates in transformations count again when the partition is recomputed.
    assert_eq!(acc.value(), 200);
    let cached = mapped.cache();
    acc.reset();
    cached.count()?;
    cached.count()?;
    assert_eq!(acc.value(), 100, "a cached partition is computed once");
    Ok(())
}
