//! Day-2 labs on RDDs (accumulators, persistence) and the bridges between RDDs and DataFrames.

#[allow(dead_code)]
#[path = "../../examples/malformed_lines.rs"]
mod malformed_lines;
#[allow(dead_code)]
#[path = "../../examples/persistence.rs"]
mod persistence;

use crate::{TestResult, session};
use flint_engine::prelude::*;

#[test]
fn the_accumulator_counts_malformed_lines_as_the_reference() -> TestResult {
    // datasets/reference/day2.py: 7 malformed lines; ratings 1..5 of the good ones.
    let text = std::fs::read_to_string(datasets::dir().join("reference/day2_expected.json"))?;
    let json: serde_json::Value = serde_json::from_str(&text)?;
    let want = &json["accumulator_lab"];
    for n in [1, 4] {
        let (histogram, malformed) =
            malformed_lines::histogram_and_malformed(&session(n), &datasets::path("film-malformed.data"))?;
        assert_eq!(Some(malformed), want["malformed"].as_i64());
        let expected: Vec<(u8, u64)> = want["histogram"]
            .as_array()
            .ok_or("histogram")?
            .iter()
            .map(|p| (p[0].as_u64().unwrap_or_default() as u8, p[1].as_u64().unwrap_or_default()))
            .collect();
        assert_eq!(histogram, expected);
    }
    Ok(())
}

#[test]
fn a_cached_rdd_is_read_once_and_served_from_the_cache_the_second_time() -> TestResult {
    let s = session(2);
    let path = datasets::path("film.data");
    let [first, second] = persistence::two_actions(&s, &path, Some(StorageLevel::MEMORY_ONLY))?;
    // 100,000 lines read from the file by the first action; none by the second, whose 2 partitions are cached.
    assert_eq!((first.records_read, first.cache_hits), (100_000, 0));
    assert_eq!((second.records_read, second.cache_hits), (0, 2));
    let [_, uncached] = persistence::two_actions(&s, &path, None)?;
    assert_eq!((uncached.records_read, uncached.cache_hits), (100_000, 0));
    Ok(())
}

#[test]
fn rdds_become_dataframes_and_back() -> TestResult {
    #[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
    struct Rating {
        user: i64,
        rating: f64,
    }
    let s = session(2);
    let pairs = s.parallelize(vec![("a".to_string(), 1i64), ("b".into(), 2), ("a".into(), 3)], 2);
    let df = pairs.to_df(&["key", "value"])?;
    assert_eq!(df.columns(), ["key", "value"]);
    let sums = df.group_by(["key"]).sum(["value"])?.order_by(["key"])?;
    let back: Vec<(String, i64)> = sums.rdd::<(String, i64)>()?.collect()?;
    assert_eq!(back, [("a".to_string(), 4), ("b".to_string(), 2)]);
    let structs = s.parallelize(vec![Rating { user: 1, rating: 4.5 }, Rating { user: 2, rating: 3.0 }], 2);
    let df = structs.to_df(&[])?;
    assert_eq!(df.columns(), ["user", "rating"]);
    let mut round_trip = df.rdd::<Rating>()?.collect()?;
    round_trip.sort_by_key(|r| r.user);
    assert_eq!(round_trip, structs.collect()?);
    let empty: Rdd<(i64,)> = s.empty_rdd();
    assert!(empty.to_df(&["x"]).expect_err("no rows to infer from").to_string().contains("empty"));
    let wrong = df.rdd::<(String, String)>().expect_err("wrong element type").to_string();
    assert!(wrong.contains("user") && wrong.contains("String"), "{wrong}");
    Ok(())
}

#[test]
fn typed_datasets_map_and_filter_rust_values() -> TestResult {
    #[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
    struct Person {
        name: String,
        age: i64,
    }
    #[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
    struct Older {
        name: String,
        age_next_year: i64,
    }
    let s = session(2);
    let df =
        s.create_dataframe(vec![Person { name: "Ann".into(), age: 30 }, Person { name: "Bob".into(), age: 17 }], &[])?;
    let people = df.as_::<Person>()?;
    let adults = people.filter(|p| p.age >= 18)?;
    let older = adults.map(|p| Older { name: p.name, age_next_year: p.age + 1 })?;
    assert_eq!(older.collect()?, [Older { name: "Ann".into(), age_next_year: 31 }]);
    assert_eq!(older.to_df().columns(), ["name", "age_next_year"]);
    assert_eq!(people.filter(|p| p.age > 100)?.count()?, 0);
    let err = df.as_::<(i64, i64)>().expect_err("names are not numbers").to_string();
    assert!(err.contains("name"), "{err}");
    Ok(())
}
