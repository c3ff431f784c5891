//! The day-1 lab programs give the answers of the independent Python reference
//! (`datasets/reference/day1.py`, Python 3.11.7, stored in `day1_expected.json`), at 1, 4 and 16 partitions.

#[allow(dead_code)]
#[path = "../../examples/customer_spend.rs"]
mod customer_spend;
#[allow(dead_code)]
#[path = "../../examples/friends_by_age.rs"]
mod friends_by_age;
#[allow(dead_code)]
#[path = "../../examples/min_temperatures.rs"]
mod min_temperatures;
#[allow(dead_code)]
#[path = "../../examples/ratings_histogram.rs"]
mod ratings_histogram;
#[allow(dead_code)]
#[path = "../../examples/word_count.rs"]
mod word_count;

use approx::assert_relative_eq;
use flint_engine::prelude::*;
use serde_json::Value;

fn expected() -> Value {
    let path = datasets::dir().join("reference/day1_expected.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    serde_json::from_str(&text).expect("reference JSON")
}

/// Runs a lab with its input split into 1, 4 and 16 partitions (on as many task threads).
fn at_each_parallelism(mut check: impl FnMut(&Session, usize)) {
    for partitions in [1, 4, 16] {
        let session = Session::builder().master(format!("local[{partitions}]")).build().expect("session");
        check(&session, partitions);
    }
}

fn pairs(v: &Value) -> Vec<(Value, Value)> {
    v.as_array().expect("array").iter().map(|p| (p[0].clone(), p[1].clone())).collect()
}

#[test]
fn ratings_histogram_matches_reference() {
    let want = pairs(&expected()["ratings_histogram"]);
    at_each_parallelism(|s, n| {
        let got = ratings_histogram::ratings_histogram(s, &datasets::path("film.data"), n).expect("lab");
        assert_eq!(got.len(), want.len());
        for ((rating, count), (r, c)) in got.iter().zip(&want) {
            assert_eq!(Some(u64::from(*rating)), r.as_u64());
            assert_eq!(Some(*count), c.as_u64());
        }
    });
}

#[test]
fn friends_by_age_matches_reference() {
    let want = pairs(&expected()["friends_by_age"]);
    at_each_parallelism(|s, n| {
        let got = friends_by_age::friends_by_age(s, &datasets::path("fakefriends.csv"), n).expect("lab");
        assert_eq!(got.len(), want.len());
        for ((age, avg), (a, v)) in got.iter().zip(&want) {
            assert_eq!(Some(u64::from(*age)), a.as_u64());
            assert_relative_eq!(*avg, v.as_f64().expect("avg"), max_relative = 1e-12);
        }
    });
}

#[test]
fn temperatures_match_reference() {
    let reference = expected();
    at_each_parallelism(|s, n| {
        for (kind, key) in [("TMIN", "min_temperatures"), ("TMAX", "max_temperatures")] {
            let want = pairs(&reference[key]);
            let got = min_temperatures::extreme_temperatures(s, &datasets::path("1800.csv"), n, kind).expect("lab");
            assert_eq!(got.len(), want.len());
            for ((station, temp), (st, t)) in got.iter().zip(&want) {
                assert_eq!(Some(station.as_str()), st.as_str());
                assert_relative_eq!(*temp, t.as_f64().expect("temp"), epsilon = 1e-9);
            }
        }
    });
}

#[test]
fn word_count_matches_reference() {
    let reference = &expected()["word_count"];
    at_each_parallelism(|s, n| {
        let got = word_count::word_count(s, &datasets::path("book.txt"), n).expect("lab");
        assert_eq!(Some(got.len() as u64), reference["distinct_words"].as_u64());
        assert_eq!(Some(got.iter().map(|(_, c)| c).sum::<u64>()), reference["total_words"].as_u64());
        for ((word, count), (w, c)) in got.iter().zip(pairs(&reference["top20"])) {
            assert_eq!(Some(word.as_str()), w.as_str());
            assert_eq!(Some(*count), c.as_u64());
        }
    });
}

#[test]
fn normalised_words_split_like_python_w_plus() {
    // Python: re.compile(r'\W+', re.UNICODE).split("You're self-employed, 2015!".lower()) minus empty strings.
    assert_eq!(word_count::normalize_words("You're self-employed, 2015!"), ["you", "re", "self", "employed", "2015"]);
}

#[test]
fn customer_spend_matches_reference() {
    let reference = &expected()["customer_spend"];
    at_each_parallelism(|s, n| {
        let got = customer_spend::customer_spend(s, &datasets::path("customer-orders.csv"), n).expect("lab");
        assert_eq!(Some(got.len() as u64), reference["customers"].as_u64());
        // Sums of the same floats in another order differ in the last bits: compare with a tolerance.
        for ((customer, total), (c, t)) in got.iter().zip(pairs(&reference["by_total"])) {
            assert_eq!(Some(u64::from(*customer)), c.as_u64());
            assert_relative_eq!(*total, t.as_f64().expect("total"), max_relative = 1e-9);
        }
    });
}
