//! ALS against Spark: held-out RMSE on the course ratings, the DataFrame API's tables, implicit feedback.

use crate::common::*;
use flint_engine::prelude::*;
use flint_mllib::pipeline::{Estimator, Transformer};
use flint_mllib::recommendation::{Als, ColdStartStrategy, Rating};

/// film.data's ratings and whether each is held out (line index % 5 == 0), as `als_reference.py` splits them.
fn film_ratings() -> Vec<(Rating, bool)> {
    let text = std::fs::read_to_string(datasets::path("film.data")).expect("film.data");
    text.lines()
        .enumerate()
        .map(|(i, line)| {
            let f: Vec<&str> = line.split('\t').collect();
            let r =
                Rating::new(f[0].parse().expect("user"), f[1].parse().expect("item"), f[2].parse().expect("rating"));
            (r, i % 5 == 0)
        })
        .collect()
}

fn spark_reference() -> serde_json::Value {
    serde_json::from_str(include_str!("../../../datasets/reference/als_expected.json")).expect("json")
}

#[test]
fn held_out_rmse_is_no_worse_than_sparks() {
    let session = session();
    let all = film_ratings();
    let train: Vec<Rating> = all.iter().filter(|(_, held)| !held).map(|(r, _)| *r).collect();
    let test: Vec<Rating> = all.iter().filter(|(_, held)| *held).map(|(r, _)| *r).collect();
    let train = session.parallelize(train, 4).cache();
    let spark = spark_reference();
    // One run's RMSE depends on its random start by a few thousandths, in Spark as here: compare means over seeds.
    let mut rmses = Vec::new();
    for seed in [1, 2, 3] {
        let model = Als::new().rank(10).max_iter(10).reg_param(0.1).seed(seed).fit_rdd(&train).expect("fit");
        // Cold start "drop": pairs with an unknown user or item are not scored.
        let errors: Vec<f64> =
            test.iter().filter_map(|r| model.predict(r.user, r.product).map(|p| p - r.rating)).collect();
        assert_eq!(errors.len() as u64, spark["predicted"].as_u64().expect("predicted"), "the same pairs are scored");
        rmses.push((errors.iter().map(|e| e * e).sum::<f64>() / errors.len() as f64).sqrt());
    }
    let mean = rmses.iter().sum::<f64>() / rmses.len() as f64;
    let spark_mean = spark["spark_rmse_mean"].as_f64().expect("rmse");
    assert!(mean <= spark_mean + 0.005, "Flint's mean held-out RMSE {mean} ({rmses:?}) vs Spark's {spark_mean}");
    assert!(mean > 0.5, "an RMSE of {mean} on held-out ratings would mean the split leaked");
}

#[test]
fn dataframe_api_predicts_recommends_and_drops_cold_starts() {
    let session = session();
    let rows: Vec<(i32, i32, f64)> =
        film_ratings().iter().filter(|(_, held)| !held).map(|(r, _)| (r.user, r.product, r.rating)).collect();
    let df = session.create_dataframe(rows, &["user", "item", "rating"]).expect("df");
    let als = Als::new().max_iter(5).seed(7);
    let model = als.fit(&df).expect("fit");
    let rdd_model =
        als.fit_rdd(&df.rdd::<(i32, i32, f64)>().expect("rdd").map(|(u, i, r)| Rating::new(u, i, r))).expect("fit");
    assert_eq!(model.predict(1, 1), rdd_model.predict(1, 1), "the DataFrame and RDD paths fit the same model");
    // User 1 and item 1 are known; user 99999 and item 99999 are not.
    let pairs = session.create_dataframe(vec![(1, 1), (99_999, 1), (1, 99_999)], &["user", "item"]).expect("pairs");
    let nan = model.transform(&pairs).expect("transform").collect().expect("rows");
    assert_eq!(nan.len(), 3);
    let p: f32 = nan[0].get_as("prediction").expect("prediction");
    approx::assert_relative_eq!(f64::from(p), model.predict(1, 1).expect("known"), max_relative = 1e-6);
    assert!(nan[1].get_as::<f32>("prediction").expect("prediction").is_nan());
    let dropping = Als::new().max_iter(5).seed(7).cold_start_strategy(ColdStartStrategy::Drop).fit(&df).expect("fit");
    assert_eq!(dropping.transform(&pairs).expect("transform").count().expect("count"), 1);
    // Spark's recommendation tables.
    let recs = model.recommend_for_all_users(&session, 5).expect("recommend");
    assert_eq!(recs.columns(), vec!["user", "recommendations"]);
    assert_eq!(recs.count().expect("count"), 943);
    assert!(recs.schema_string().contains("|    |    |-- item: integer"), "{}", recs.schema_string());
    let top = model.recommend_products(1, 5).expect("top");
    assert_eq!(top.len(), 5);
    assert!(top.windows(2).all(|w| w[0].rating >= w[1].rating));
    let subset = model.recommend_for_user_subset(&pairs, 3).expect("subset");
    assert_eq!(subset.count().expect("count"), 1, "only user 1 is known");
    assert_eq!(model.recommend_for_all_items(&session, 2).expect("items").count().expect("count"), 1677);
    assert_eq!(model.user_factors(&session).expect("factors").columns(), vec!["id", "features"]);
}

#[test]
fn blocks_do_not_change_the_model() {
    let session = session();
    let ratings: Vec<Rating> = film_ratings().into_iter().take(5000).map(|(r, _)| r).collect();
    let rdd = session.parallelize(ratings.clone(), 3);
    let a = Als::new().max_iter(3).num_user_blocks(1).num_item_blocks(1).fit_rdd(&rdd).expect("fit");
    let b = Als::new().max_iter(3).num_user_blocks(7).num_item_blocks(4).fit_rdd(&rdd).expect("fit");
    for r in ratings.iter().take(50) {
        approx::assert_relative_eq!(
            a.predict(r.user, r.product).expect("a"),
            b.predict(r.user, r.product).expect("b"),
            max_relative = 1e-9
        );
    }
}

#[test]
fn implicit_feedback_recommends_within_taste_groups_and_nonnegative_stays_nonnegative() {
    let session = session();
    // Users 0–9 interact with items 0–4, users 10–19 with items 5–9; each user misses one item of its group.
    let mut ratings = Vec::new();
    for u in 0..20 {
        let group = if u < 10 { 0 } else { 5 };
        for i in group..group + 5 {
            if i != group + u % 5 {
                ratings.push(Rating::new(u, i, 1.0 + (u + i) as f64 % 3.0));
            }
        }
    }
    let rdd = session.parallelize(ratings, 2);
    let model = Als::train_implicit(&rdd, 3, 15, 0.01, 10.0).expect("fit");
    for u in 0..20 {
        let group = if u < 10 { 0..5 } else { 5..10 };
        let top = model.recommend_products(u, 5).expect("top");
        assert!(top.iter().all(|r| group.contains(&r.product)), "user {u}: {top:?}");
    }
    let nn = Als::new().rank(3).nonnegative(true).max_iter(5).fit_rdd(&rdd).expect("fit");
    let smallest = nn
        .item_factors(&session)
        .expect("factors")
        .select([explode(col("features"))])
        .expect("explode")
        .agg([min(col("col")).alias("m")])
        .expect("min")
        .collect()
        .expect("rows");
    assert!(smallest[0].get_as::<f32>("m").expect("m") >= 0.0);
}

#[test]
fn bad_parameters_and_ratings_are_clear_errors() {
    let session = session();
    let rdd = session.parallelize(vec![Rating::new(1, 1, 5.0)], 1);
    let err = Als::new().rank(0).fit_rdd(&rdd).expect_err("rank");
    assert_eq!(err.to_string(), "invalid parameter `rank` of Als: must be at least 1, got 0");
    assert!(Als::new().reg_param(-1.0).fit_rdd(&rdd).expect_err("reg").to_string().contains("`reg_param`"));
    let nan = session.parallelize(vec![Rating::new(1, 2, f64::NAN)], 1);
    let err = Als::new().fit_rdd(&nan).expect_err("nan");
    assert!(err.to_string().contains("the rating of user 1 for item 2 is NaN"), "{err}");
    let empty = session.parallelize(Vec::<Rating>::new(), 1);
    assert!(Als::new().fit_rdd(&empty).expect_err("empty").to_string().contains("no ratings"));
    let df = session.create_dataframe(vec![(1.5, 1, 4.0)], &["user", "item", "rating"]).expect("df");
    let err = Als::new().fit(&df).expect_err("fractional id");
    assert!(err.to_string().contains("column `user` holds 1.5: ALS supports only integer ids"), "{err}");
    assert!("zero".parse::<ColdStartStrategy>().is_err());
}
