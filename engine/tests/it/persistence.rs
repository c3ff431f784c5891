//! Persistence: storage levels, cache hits, unpersist, and eviction (forced or under a small memory budget).

use crate::{
    TestResult, calls, counted, files_under, logged, logged_session, numbers, session, session_with, total_metrics,
};
use flint_engine::prelude::*;

const PARTITIONS: usize = 4;
const N: i64 = 1000;

/// `0..N` in [`PARTITIONS`] partitions, through a `map` that counts its calls.
fn source(s: &Session) -> (Rdd<i64>, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    counted(&s.parallelize(numbers(N), PARTITIONS))
}

#[test]
fn cache_serves_the_second_action_from_memory() -> TestResult {
    let (s, log) = logged_session(2);
    let (rdd, counter) = source(&s);
    let cached = rdd.cache();
    assert_eq!(cached.storage_level(), StorageLevel::MEMORY_ONLY);
    assert_eq!(cached.count()?, N as u64);
    assert_eq!(calls(&counter), N as usize, "the first action computes every element once");
    assert_eq!(total_metrics(&log).cache_hits, 0);
    log.clear();
    assert_eq!(cached.collect()?, numbers(N));
    assert_eq!(calls(&counter), N as usize, "the second action recomputes nothing");
    assert_eq!(total_metrics(&log).cache_hits, PARTITIONS as u64, "one cache hit per partition");
    assert_eq!(cached.cached_memory_partitions(), (0..PARTITIONS).collect::<Vec<_>>());
    Ok(())
}

#[test]
fn without_cache_every_action_recomputes() -> TestResult {
    let s = session(2);
    let (rdd, counter) = source(&s);
    rdd.count()?;
    rdd.count()?;
    assert_eq!(calls(&counter), 2 * N as usize);
    Ok(())
}

/// Persists at `level`, runs two actions, and checks the second is served from the store.
fn check_level(level: StorageLevel) -> TestResult {
    let (s, log) = logged_session(2);
    let (rdd, counter) = source(&s);
    let persisted = rdd.persist(level)?;
    assert_eq!(persisted.storage_level(), level);
    assert_eq!(persisted.map(|x| x * 2).reduce(|a, b| a + b)?, N * (N - 1), "{level}");
    log.clear();
    assert_eq!(persisted.collect()?, numbers(N), "{level}");
    assert_eq!(calls(&counter), N as usize, "{level}: served from the store, not recomputed");
    assert_eq!(total_metrics(&log).cache_hits, PARTITIONS as u64, "{level}");
    let info = s.rdd_storage_info(persisted.id());
    assert_eq!(info.cached_partitions, PARTITIONS, "{level}");
    assert_eq!(info.memory_size > 0, level.use_memory, "{level}: {info:?}");
    assert_eq!(info.disk_size > 0, !level.use_memory, "{level}: {info:?}");
    assert!(persisted.to_debug_string().contains(&format!("[{}]", level.description())), "{level}");
    Ok(())
}

#[test]
fn every_storage_level_serves_later_actions() -> TestResult {
    for level in [
        StorageLevel::MEMORY_ONLY,
        StorageLevel::MEMORY_ONLY_SER,
        StorageLevel::DISK_ONLY,
        StorageLevel::MEMORY_AND_DISK,
        StorageLevel::MEMORY_AND_DISK_SER,
        StorageLevel::MEMORY_ONLY_2,
        StorageLevel::MEMORY_ONLY_SER_2,
        StorageLevel::DISK_ONLY_2,
        StorageLevel::MEMORY_AND_DISK_2,
        StorageLevel::MEMORY_AND_DISK_SER_2,
    ] {
        check_level(level)?;
    }
    Ok(())
}

#[test]
fn changing_a_storage_level_is_an_error() -> TestResult {
    let s = session(2);
    let rdd = s.parallelize(numbers(10), 2);
    rdd.persist(StorageLevel::MEMORY_ONLY)?;
    // Spark: "Cannot change storage level of an RDD after it was already assigned a level".
    let err = rdd.persist(StorageLevel::DISK_ONLY).expect_err("level change");
    match &err {
        Error::StorageLevelChange { rdd: id, from, to } => {
            assert_eq!(*id, rdd.id());
            assert_eq!(from, "Memory Deserialized 1x Replicated");
            assert_eq!(to, "Disk Serialized 1x Replicated");
        }
        other => panic!("expected StorageLevelChange, got {other:?}"),
    }
    assert_eq!(rdd.storage_level(), StorageLevel::MEMORY_ONLY, "the first level stays");
    rdd.persist(StorageLevel::MEMORY_ONLY)?;
    assert_eq!(rdd.cache().storage_level(), StorageLevel::MEMORY_ONLY, "the same level again is fine");
    rdd.unpersist();
    rdd.persist(StorageLevel::DISK_ONLY)?;
    assert_eq!(rdd.storage_level(), StorageLevel::DISK_ONLY, "after unpersist a new level is accepted");
    Ok(())
}

#[test]
fn unpersist_drops_blocks_and_recomputes() -> TestResult {
    let (s, log) = logged_session(2);
    let (rdd, counter) = source(&s);
    let cached = rdd.cache();
    cached.count()?;
    assert_eq!(s.rdd_storage_info(cached.id()).cached_partitions, PARTITIONS);
    cached.unpersist();
    assert_eq!(cached.storage_level(), StorageLevel::NONE);
    assert_eq!(s.rdd_storage_info(cached.id()).cached_partitions, 0);
    log.clear();
    assert_eq!(cached.count()?, N as u64);
    assert_eq!(calls(&counter), 2 * N as usize, "recomputed after unpersist");
    assert_eq!(total_metrics(&log).cache_hits, 0);
    assert!(cached.cached_memory_partitions().is_empty(), "not cached again");
    Ok(())
}

#[test]
fn evicted_memory_only_blocks_are_recomputed_from_lineage() -> TestResult {
    let s = session(2);
    let (rdd, counter) = source(&s);
    let cached = rdd.persist(StorageLevel::MEMORY_ONLY)?;
    cached.count()?;
    cached.evict_cached()?;
    assert!(cached.cached_memory_partitions().is_empty());
    assert_eq!(s.rdd_storage_info(cached.id()).cached_partitions, 0, "MEMORY_ONLY blocks are dropped");
    assert_eq!(cached.collect()?, numbers(N), "still the right answer");
    assert_eq!(calls(&counter), 2 * N as usize, "recomputed from lineage");
    assert_eq!(cached.cached_memory_partitions().len(), PARTITIONS, "and cached again");
    Ok(())
}

#[test]
fn evicted_memory_and_disk_blocks_are_served_from_disk() -> TestResult {
    let (s, log) = logged_session(2);
    let (rdd, counter) = source(&s);
    let cached = rdd.persist(StorageLevel::MEMORY_AND_DISK)?;
    cached.count()?;
    cached.evict_cached()?;
    assert!(cached.cached_memory_partitions().is_empty());
    let info = s.rdd_storage_info(cached.id());
    assert_eq!((info.cached_partitions, info.memory_size), (PARTITIONS, 0), "{info:?}");
    assert!(info.disk_size > 0, "{info:?}");
    log.clear();
    assert_eq!(cached.collect()?, numbers(N));
    assert_eq!(calls(&counter), N as usize, "read back from disk, not recomputed");
    assert_eq!(total_metrics(&log).cache_hits, PARTITIONS as u64);
    Ok(())
}

#[test]
fn blocks_larger_than_the_storage_budget_are_recomputed() -> TestResult {
    let s = session_with(2, &[("flint.storage.memory", "64k")]);
    // 4 partitions of 25,000 i64s: each block is estimated at ~400 KB, more than the whole 64 KiB budget.
    let (rdd, counter) = counted(&s.parallelize(numbers(100_000), 4));
    let cached = rdd.cache();
    assert_eq!(cached.count()?, 100_000);
    assert!(cached.cached_memory_partitions().is_empty(), "nothing fits");
    assert_eq!(cached.map(|x| x % 7).reduce(|a, b| a + b)?, (0..100_000i64).map(|x| x % 7).sum::<i64>());
    assert_eq!(calls(&counter), 200_000, "recomputed by each action");
    Ok(())
}

#[test]
fn lru_eviction_under_a_small_budget_keeps_answers_right() -> TestResult {
    let (s, log) = logged(session_with(2, &[("flint.storage.memory", "64k")]));
    // Two partitions of 1500 i64s: each block ~24 KB, so one RDD (~48 KB) fits in 64 KiB and two do not.
    let data = numbers(3000);
    let (a, a_calls) = counted(&s.parallelize(data.clone(), 2));
    let (b, b_calls) = counted(&s.parallelize(data.clone(), 2));
    let (a, b) = (a.cache(), b.cache());
    let memory = |r: &Rdd<i64>| s.rdd_storage_info(r.id()).memory_size;
    let budget = 64 * 1024;

    assert_eq!(a.collect()?, data);
    assert_eq!(a.cached_memory_partitions(), vec![0, 1]);
    assert_eq!(b.collect()?, data);
    assert_eq!(b.cached_memory_partitions(), vec![0, 1], "caching b evicts a's least recently used blocks");
    assert!(a.cached_memory_partitions().is_empty());
    assert!(memory(&a) + memory(&b) <= budget);

    log.clear();
    assert_eq!(a.collect()?, data, "a is recomputed from lineage");
    assert_eq!(calls(&a_calls), 6000);
    assert_eq!(total_metrics(&log).cache_hits, 0);
    assert!(memory(&a) + memory(&b) <= budget);
    assert_eq!(b.count()?, 3000);
    assert_eq!(calls(&b_calls) % 3000, 0, "b is either served whole from memory or recomputed whole");
    Ok(())
}

#[test]
fn caching_a_shuffled_rdd_skips_the_shuffle_and_the_reduce() -> TestResult {
    let (s, log) = logged_session(2);
    let counts = s.parallelize(numbers(100), 4).map(|x| (x % 5, 1)).reduce_by_key(|a, b| a + b).cache();
    assert_eq!(counts.count()?, 5);
    log.clear();
    assert_eq!(crate::sorted(counts.collect()?), (0..5).map(|k| (k, 20)).collect::<Vec<_>>());
    assert_eq!(total_metrics(&log).cache_hits, 4);
    assert_eq!(crate::shuffle_map_stages(&log), 0, "the map stage is skipped");
    Ok(())
}

#[test]
fn memory_and_disk_blocks_too_big_for_memory_go_to_disk() -> TestResult {
    let (s, log) = logged(session_with(2, &[("flint.storage.memory", "64k")]));
    // Blocks of ~400 KB cannot be held in 64 KiB: MEMORY_AND_DISK writes them to disk instead of dropping them.
    let (rdd, counter) = counted(&s.parallelize(numbers(100_000), 4));
    let persisted = rdd.persist(StorageLevel::MEMORY_AND_DISK)?;
    assert_eq!(persisted.count()?, 100_000);
    let info = s.rdd_storage_info(persisted.id());
    assert_eq!((info.cached_partitions, info.memory_size), (4, 0), "{info:?}");
    log.clear();
    assert_eq!(persisted.collect()?, numbers(100_000));
    assert_eq!(calls(&counter), 100_000, "served from disk");
    assert_eq!(total_metrics(&log).cache_hits, 4);
    Ok(())
}

#[test]
fn disk_blocks_are_deleted_on_unpersist_and_drop() -> TestResult {
    let s = session(2);
    let on_disk = |rdd: &Rdd<i64>| -> TestResult<usize> {
        rdd.persist(StorageLevel::DISK_ONLY)?.count()?;
        Ok(files_under(&s.local_dir()))
    };
    let rdd = s.parallelize(numbers(100), 4);
    assert_eq!(on_disk(&rdd)?, 4, "one file per block");
    rdd.unpersist();
    assert_eq!(files_under(&s.local_dir()), 0, "unpersist deletes the files");
    let mapped = rdd.map(|x| x + 1);
    assert_eq!(on_disk(&mapped)?, 4);
    drop(mapped);
    assert_eq!(files_under(&s.local_dir()), 0, "dropping the RDD deletes the files");
    Ok(())
}

#[test]
fn unpersisted_memory_is_available_again() -> TestResult {
    let s = session_with(2, &[("flint.storage.memory", "64k")]);
    // Each RDD needs most of the budget (2 blocks of ~24 KB): if unpersist leaked its bytes, a later one would
    // not fit.
    for round in 0..10 {
        let rdd = s.parallelize(numbers(3000), 2).cache();
        rdd.count()?;
        assert_eq!(rdd.cached_memory_partitions(), vec![0, 1], "round {round}");
        rdd.unpersist();
        // Keep the RDD alive past unpersist, so only unpersist can have freed its memory.
        assert_eq!(rdd.count()?, 3000);
    }
    Ok(())
}

#[test]
fn the_local_dir_lives_under_spark_local_dir_and_goes_with_the_session() -> TestResult {
    let root = tempfile::tempdir()?;
    let root_str = root.path().to_string_lossy().into_owned();
    let s = session_with(2, &[("spark.local.dir", root_str.as_str())]);
    assert_eq!(s.conf("spark.local.dir").as_deref(), Some(root_str.as_str()));
    let local = s.local_dir();
    assert!(local.starts_with(root.path()), "{}", local.display());
    let rdd = s.parallelize(numbers(100), 2).persist(StorageLevel::DISK_ONLY)?;
    rdd.count()?;
    assert_eq!(files_under(&local), 2);
    drop((rdd, s));
    assert!(!local.exists(), "the session's directory is removed when the session is dropped");
    Ok(())
}

#[test]
fn map_partitions_slice_lends_the_cached_block_itself() -> TestResult {
    let (s, log) = logged_session(2);
    let (rdd, counter) = source(&s);
    let cached = rdd.cache();
    // Each partition's sum and the address of the slice it was given.
    let sums =
        cached.map_partitions_slice(|_, part| std::iter::once((part.iter().sum::<i64>(), part.as_ptr() as usize)));
    let first = sums.collect()?;
    assert_eq!(first.iter().map(|(sum, _)| sum).sum::<i64>(), N * (N - 1) / 2);
    assert_eq!(calls(&counter), N as usize, "computed once, and stored");
    assert_eq!(cached.cached_memory_partitions(), (0..PARTITIONS).collect::<Vec<_>>());
    log.clear();
    let second = sums.collect()?;
    assert_eq!(calls(&counter), N as usize, "the second pass recomputes nothing");
    assert_eq!(total_metrics(&log).cache_hits, PARTITIONS as u64);
    assert_eq!(first, second, "the same stored slices, not copies");
    Ok(())
}

#[test]
fn map_partitions_slice_computes_an_uncached_partition_each_time() -> TestResult {
    let s = session(2);
    let (rdd, counter) = source(&s);
    let lens = rdd.map_partitions_slice(|i, part| std::iter::once((i, part.len())));
    assert_eq!(lens.collect()?, vec![(0, 250), (1, 250), (2, 250), (3, 250)]);
    lens.count()?;
    assert_eq!(calls(&counter), 2 * N as usize);
    assert!(rdd.cached_memory_partitions().is_empty());
    Ok(())
}
