//! Models that learn from a stream, batch by batch, against `datasets/reference/streaming_models.py` (NumPy
//! transcriptions of Spark's update rules, confirmed by PySpark's StreamingKMeans,
//! StreamingLinearRegressionWithSGD and StreamingLogisticRegressionWithSGD over queueStreams of the same batches;
//! versions in the JSON).

use crate::common::*;
use flint_engine::prelude::*;
use flint_engine::streaming::MemoryStream;
use flint_mllib::Error;
use flint_mllib::linalg::{Vector, Vectors};
use flint_mllib::prelude::*;
use serde_json::Value;

fn reference() -> Value {
    serde_json::from_str(include_str!("../../../datasets/reference/streaming_models_expected.json")).expect("json")
}

fn points(v: &Value) -> Vec<Vector> {
    matrix(v).into_iter().map(Vectors::dense).collect()
}

fn labeled(batch: &Value) -> Vec<LabeledPoint> {
    points(&batch["features"]).into_iter().zip(floats(&batch["labels"])).map(|(x, y)| LabeledPoint::new(y, x)).collect()
}

/// The streaming k-means of a reference case, from the reference's initial centres.
fn kmeans_for(case: &Value, initial: &Value) -> StreamingKMeans {
    let skm = StreamingKMeans::new().k(3).initial_centers(points(&initial["centers"]), floats(&initial["weights"]));
    match case["half_life"].as_f64() {
        Some(h) => skm.half_life(h, case["time_unit"].as_str().expect("unit").parse().expect("unit")),
        None => skm.decay_factor(case["decay_factor"].as_f64().expect("decay")),
    }
}

fn assert_kmeans_step(model: &StreamingKMeansModel, step: &Value, max_relative: f64) {
    let centers: Vec<f64> = model.cluster_centers().iter().flat_map(Vector::to_array).collect();
    let expected: Vec<f64> = matrix(&step["centers"]).concat();
    assert_all_close(&centers, &expected, max_relative);
    assert_all_close(&model.cluster_weights(), &floats(&step["weights"]), max_relative);
}

#[test]
fn streaming_kmeans_follows_sparks_rule_batch_by_batch() {
    let session = session();
    let r = reference();
    let km = &r["kmeans"];
    let batches = km["batches"].as_array().expect("batches");
    for (name, case) in km["cases"].as_object().expect("cases") {
        for partitions in [1, 4] {
            let skm = kmeans_for(case, &km["initial"]);
            approx::assert_relative_eq!(skm.decay(), case["decay"].as_f64().expect("decay"), max_relative = 1e-15);
            for (batch, step) in batches.iter().zip(case["steps"].as_array().expect("steps")) {
                skm.update_rdd(&session.parallelize(points(batch), partitions)).expect(name);
                assert_kmeans_step(&skm.latest_model().expect("model"), step, 1e-12);
            }
            let model = skm.latest_model().expect("model");
            let predictions: Vec<usize> =
                points(&km["queries"]).iter().map(|q| model.predict(q).expect("predict")).collect();
            let expected: Vec<usize> = case["predictions"]
                .as_array()
                .expect("predictions")
                .iter()
                .map(|p| p.as_u64().expect("p") as usize)
                .collect();
            assert_eq!(predictions, expected, "{name}");
        }
    }
}

#[test]
fn a_dying_cluster_takes_half_of_the_heaviest() {
    let session = session();
    let r = reference();
    let d = &r["kmeans"]["dying"];
    let skm = StreamingKMeans::new()
        .k(3)
        .decay_factor(d["decay_factor"].as_f64().expect("decay"))
        .initial_centers(points(&d["centers"]), floats(&d["weights"]));
    skm.update_rdd(&session.parallelize(points(&d["batch"]), 2)).expect("update");
    // The split centres differ by 2e-14 relative: compare at that precision.
    assert_kmeans_step(&skm.latest_model().expect("model"), &d["after"], 1e-15);
}

#[test]
fn an_empty_batch_still_counts_as_a_batch() {
    let session = session();
    let skm = StreamingKMeans::new()
        .decay_factor(0.5)
        .initial_centers(vec![Vectors::dense(vec![0.0]), Vectors::dense(vec![1.0])], vec![4.0, 2.0]);
    skm.update_rdd(&session.parallelize(Vec::<Vector>::new(), 2)).expect("update");
    assert_eq!(skm.latest_model().expect("model").cluster_weights(), vec![2.0, 1.0]);
    let points = skm.clone().half_life(1.0, TimeUnit::Points);
    points.update_rdd(&session.parallelize(Vec::<Vector>::new(), 2)).expect("update");
    assert_eq!(points.latest_model().expect("model").cluster_weights(), vec![2.0, 1.0], "0.5⁰ = 1");
}

/// The `x`, `y` rows of a list of points, as a DataFrame of the stream's schema.
fn xy_rows(session: &Session, points: &[Vector]) -> DataFrame {
    let rows: Vec<(f64, f64)> = points.iter().map(|p| (p.to_array()[0], p.to_array()[1])).collect();
    session.create_dataframe(rows, &["x", "y"]).expect("rows")
}

/// The `prediction` column of a memory table, in the order of its `x` column's values in `order`.
fn predictions_by_x<T: flint_engine::dataframe::FromValue>(session: &Session, table: &str, order: &[f64]) -> Vec<T> {
    let rows = session.table(table).and_then(|t| t.collect()).expect("table");
    order
        .iter()
        .map(|x| {
            let row = rows.iter().find(|r| r.get_as::<f64>("x").expect("x") == *x).expect("a row per query");
            row.get_as::<T>("prediction").expect("prediction")
        })
        .collect()
}

#[test]
fn streaming_kmeans_trains_on_a_stream_as_update_does_and_predicts_with_the_current_model() {
    let session = session();
    let r = reference();
    let km = &r["kmeans"];
    let case = &km["cases"]["decay_0.5_batches"];
    let assembler = VectorAssembler::new(["x", "y"], "features");
    let schema = xy_rows(&session, &points(&km["queries"])).schema();
    let input = MemoryStream::new(&session, schema.clone());
    let stream = assembler.transform(&input.to_df().expect("stream")).expect("features");
    let skm = kmeans_for(case, &km["initial"]);
    let by_update = kmeans_for(case, &km["initial"]);
    let training = skm.train_on(&stream).expect("train_on");

    let queries_in = MemoryStream::new(&session, schema);
    let queries = assembler.transform(&queries_in.to_df().expect("stream")).expect("features");
    let scored = skm.predict_on(&queries).expect("predict_on");
    assert!(scored.is_streaming());
    let scoring = scored.write_stream().format("memory").query_name("streaming_kmeans_scores").start().expect("start");

    let query_points = points(&km["queries"]);
    for (i, (batch, step)) in
        km["batches"].as_array().expect("batches").iter().zip(case["steps"].as_array().expect("steps")).enumerate()
    {
        input.add_data(xy_rows(&session, &points(batch))).expect("add");
        training.process_all_available().expect("train");
        by_update.update(&assembler.transform(&xy_rows(&session, &points(batch))).expect("features")).expect("update");
        let model = skm.latest_model().expect("model");
        assert_kmeans_step(&model, step, 1e-12);
        let same = by_update.latest_model().expect("model");
        assert_eq!(model.cluster_centers(), same.cluster_centers());
        assert_eq!(model.cluster_weights(), same.cluster_weights());
        // One query point per batch, scored by the model this batch left.
        let q = &query_points[i];
        queries_in.add_data(xy_rows(&session, std::slice::from_ref(q))).expect("add");
        scoring.process_all_available().expect("score");
        let got: Vec<i32> = predictions_by_x(&session, "streaming_kmeans_scores", &[q.to_array()[0]]);
        assert_eq!(got, vec![model.predict(q).expect("predict") as i32], "batch {i}");
    }
    training.stop().expect("stop");
    scoring.stop().expect("stop");
    let model = skm.latest_model().expect("model");
    let last: Vec<i32> = predictions_by_x(&session, "streaming_kmeans_scores", &[query_points[4].to_array()[0]]);
    assert_eq!(last[0] as u64, case["predictions"][4].as_u64().expect("p"));
    assert_eq!(model.predict(&query_points[4]).expect("predict") as i32, last[0]);
}

#[test]
fn predict_on_scores_each_micro_batch_with_the_model_current_then() {
    let session = session();
    let probe = |x: f64| session.create_dataframe(vec![(x,)], &["x"]).expect("probe");
    let input = MemoryStream::new(&session, probe(0.0).schema());
    let probes = VectorAssembler::new(["x"], "features").transform(&input.to_df().expect("stream")).expect("features");
    let skm = StreamingKMeans::new()
        .initial_centers(vec![Vectors::dense(vec![0.0]), Vectors::dense(vec![10.0])], vec![1.0, 1.0]);
    let scoring =
        skm.predict_on(&probes).and_then(|df| Ok(df.write_stream().format("memory").query_name("probes").start()?));
    let scoring = scoring.expect("start");
    input.add_data(probe(4.5)).expect("add");
    scoring.process_all_available().expect("score");
    // Centre 0 moves halfway to −10: 4.5 is now closer to centre 1.
    skm.update_rdd(&session.parallelize(vec![Vectors::dense(vec![-10.0])], 1)).expect("update");
    input.add_data(probe(4.0)).expect("add");
    scoring.process_all_available().expect("score");
    scoring.stop().expect("stop");
    assert_eq!(predictions_by_x::<i32>(&session, "probes", &[4.5, 4.0]), vec![0, 1]);
}

#[test]
fn streaming_linear_and_logistic_sgd_follow_sparks_rule_batch_by_batch() {
    let session = session();
    let r = reference();
    for (name, case) in r["sgd"]["cases"].as_object().expect("cases") {
        let logistic = case["logistic"].as_bool().expect("logistic");
        let data = &r["sgd"]["batches"][if logistic { "logistic" } else { "linear" }];
        let num = |key: &str| case[key].as_f64().expect(key);
        let iterations = case["num_iterations"].as_u64().expect("iterations") as usize;
        let linear = StreamingLinearRegressionWithSGD::new()
            .step_size(num("step_size"))
            .num_iterations(iterations)
            .convergence_tol(num("convergence_tol"))
            .initial_weights(Vectors::zeros(3));
        let classifier = StreamingLogisticRegressionWithSGD::new()
            .step_size(num("step_size"))
            .num_iterations(iterations)
            .reg_param(num("reg_param"))
            .convergence_tol(num("convergence_tol"))
            .initial_weights(Vectors::zeros(3));
        for (batch, step) in data.as_array().expect("batches").iter().zip(case["steps"].as_array().expect("steps")) {
            let rdd = session.parallelize(labeled(batch), 2);
            let weights = if logistic {
                classifier.update_rdd(&rdd).expect(name);
                classifier.latest_model().expect("model").coefficients().expect("binomial")
            } else {
                linear.update_rdd(&rdd).expect(name);
                linear.latest_model().expect("model").coefficients()
            };
            // Up to 50 steps a batch, each adding 20 gradients in another order than NumPy's.
            assert_all_close(&weights.to_array(), &floats(&step["weights"]), 1e-10);
        }
        let last = data.as_array().expect("batches").last().expect("a batch");
        let queries: Vec<Vector> = points(&last["features"]).into_iter().take(5).collect();
        let predictions: Vec<f64> = queries
            .iter()
            .map(|q| {
                if logistic {
                    classifier.latest_model().and_then(|m| m.predict(q))
                } else {
                    linear.latest_model().and_then(|m| m.predict(q))
                }
                .expect("predict")
            })
            .collect();
        assert_all_close(&predictions, &floats(&case["predictions"]), 1e-10);
    }
}

#[test]
fn a_mini_batch_fraction_samples_the_same_rows_at_each_run() {
    let session = session();
    let r = reference();
    let batch = labeled(&r["sgd"]["batches"]["linear"][0]);
    let run = || {
        let slr = StreamingLinearRegressionWithSGD::new().mini_batch_fraction(0.5).initial_weights(Vectors::zeros(3));
        slr.update_rdd(&session.parallelize(batch.clone(), 2)).expect("update");
        slr.latest_model().expect("model").coefficients()
    };
    let full = StreamingLinearRegressionWithSGD::new().initial_weights(Vectors::zeros(3));
    full.update_rdd(&session.parallelize(batch.clone(), 2)).expect("update");
    let (a, b) = (run(), run());
    assert_eq!(a, b);
    assert_ne!(a, full.latest_model().expect("model").coefficients());
}

/// The `x1`, `x2`, `one`, `label` rows of a reference batch.
fn xl_rows(session: &Session, batch: &Value) -> DataFrame {
    let rows: Vec<(f64, f64, f64, f64)> = labeled(batch)
        .iter()
        .map(|p| {
            let x = p.features.to_array();
            (x[0], x[1], x[2], p.label)
        })
        .collect();
    session.create_dataframe(rows, &["x", "x2", "one", "label"]).expect("rows")
}

#[test]
fn streaming_linear_regression_trains_on_a_stream_and_predicts_on_another() {
    let session = session();
    let r = reference();
    let case = &r["sgd"]["cases"]["linear_step_1"];
    let data = r["sgd"]["batches"]["linear"].as_array().expect("batches");
    let assembler = VectorAssembler::new(["x", "x2", "one"], "features");
    let schema = xl_rows(&session, &data[0]).schema();
    let input = MemoryStream::new(&session, schema.clone());
    let stream = assembler.transform(&input.to_df().expect("stream")).expect("features");
    let slr = StreamingLinearRegressionWithSGD::new()
        .step_size(1.0)
        .num_iterations(20)
        .prediction_col("prediction")
        .initial_weights(Vectors::zeros(3));
    let training = slr.train_on(&stream).expect("train_on");
    for (batch, step) in data.iter().zip(case["steps"].as_array().expect("steps")) {
        input.add_data(xl_rows(&session, batch)).expect("add");
        training.process_all_available().expect("train");
        let weights = slr.latest_model().expect("model").coefficients();
        assert_all_close(&weights.to_array(), &floats(&step["weights"]), 1e-10);
    }
    training.stop().expect("stop");

    let queries_in = MemoryStream::new(&session, schema);
    let queries = assembler.transform(&queries_in.to_df().expect("stream")).expect("features");
    let scoring =
        slr.predict_on(&queries).expect("predict_on").write_stream().format("memory").query_name("slr_scores");
    let scoring = scoring.start().expect("start");
    let last = data.last().expect("a batch");
    queries_in.add_data(xl_rows(&session, last).limit(5).expect("limit")).expect("add");
    scoring.process_all_available().expect("score");
    scoring.stop().expect("stop");
    let order: Vec<f64> = labeled(last).iter().take(5).map(|p| p.features.to_array()[0]).collect();
    assert_all_close(&predictions_by_x::<f64>(&session, "slr_scores", &order), &floats(&case["predictions"]), 1e-10);
}

fn invalid_parameter(e: Error) -> (&'static str, String) {
    match e {
        Error::InvalidParameter { name, message, .. } => (name, message),
        other => panic!("expected an invalid parameter, got {other}"),
    }
}

#[test]
fn bad_parameters_and_data_are_named() {
    let session = session();
    let two = vec![Vectors::dense(vec![0.0, 0.0]), Vectors::dense(vec![1.0, 1.0])];
    let skm = || StreamingKMeans::new().initial_centers(two.clone(), vec![1.0, 1.0]);
    let err = |r: flint_mllib::Result<StreamingKMeansModel>| invalid_parameter(r.expect_err("an error"));
    assert_eq!(err(skm().k(0).latest_model()).0, "k");
    assert_eq!(err(skm().decay_factor(-0.5).latest_model()).0, "decay_factor");
    assert_eq!(err(skm().half_life(0.0, TimeUnit::Batches).latest_model()).0, "half_life");
    assert_eq!(err(StreamingKMeans::new().latest_model()).0, "initial_centers");
    let (name, message) = err(skm().k(3).initial_centers(two.clone(), vec![1.0, 1.0]).latest_model());
    assert_eq!((name, message.as_str()), ("initial_centers", "2 centres and 2 weights given for k = 3"));
    assert_eq!(err(skm().initial_centers(two.clone(), vec![1.0, -1.0]).latest_model()).0, "initial_centers");
    assert_eq!(err(StreamingKMeans::new().random_centers(0, 1.0, 7).latest_model()).0, "random_centers");
    assert_eq!(invalid_parameter("minutes".parse::<TimeUnit>().expect_err("unit")).0, "time_unit");
    let random = StreamingKMeans::new().k(4).random_centers(3, 0.5, 7).latest_model().expect("model");
    assert_eq!((random.k(), random.cluster_centers()[0].size(), random.cluster_weights()), (4, 3, vec![0.5; 4]));

    let three_d = session.parallelize(vec![Vectors::dense(vec![1.0, 2.0, 3.0])], 1);
    let e = skm().update_rdd(&three_d).expect_err("dimension mismatch");
    assert!(
        matches!(e, Error::InvalidData { .. })
            && e.to_string().contains("the centres have 2 features, the batch has 3"),
        "{e}"
    );
    let batch_df = session.create_dataframe(vec![(1.0, 2.0)], &["x", "y"]).expect("df");
    let e = skm().train_on(&batch_df).expect_err("not a stream");
    assert!(e.to_string().contains("streaming DataFrame"), "{e}");

    let slr = || StreamingLinearRegressionWithSGD::new().initial_weights(Vectors::zeros(2));
    let err = |r: flint_mllib::Result<LinearRegressionModel>| invalid_parameter(r.expect_err("an error")).0;
    assert_eq!(err(StreamingLinearRegressionWithSGD::new().latest_model()), "initial_weights");
    assert_eq!(err(slr().step_size(0.0).latest_model()), "step_size");
    assert_eq!(err(slr().mini_batch_fraction(1.5).latest_model()), "mini_batch_fraction");
    assert_eq!(err(slr().convergence_tol(-1.0).latest_model()), "convergence_tol");
    let one = session.parallelize(vec![LabeledPoint::new(1.0, Vectors::dense(vec![1.0, 2.0, 3.0]))], 1);
    let e = slr().update_rdd(&one).expect_err("dimension mismatch");
    assert!(e.to_string().contains("the model has 2 weights, the batch has 3 features"), "{e}");
    let bad_label = session.parallelize(vec![LabeledPoint::new(2.0, Vectors::dense(vec![1.0, 2.0]))], 1);
    let slg = StreamingLogisticRegressionWithSGD::new().reg_param(-1.0).initial_weights(Vectors::zeros(2));
    assert_eq!(invalid_parameter(slg.latest_model().expect_err("reg_param")).0, "reg_param");
    let e = slg.reg_param(0.0).update_rdd(&bad_label).expect_err("label 2");
    assert!(e.to_string().contains("labels must be 0 or 1, found 2"), "{e}");
    // An empty batch changes nothing, as Spark skips it.
    let before = slr().latest_model().expect("model").coefficients();
    let s = slr();
    s.update_rdd(&session.parallelize(Vec::<LabeledPoint>::new(), 1)).expect("empty");
    assert_eq!(s.latest_model().expect("model").coefficients(), before);
}
