//! The evaluators against `datasets/reference/evaluation.py`: scikit-learn's metrics where Spark defines the same
//! number, Spark's own definitions in NumPy where it does not (weighted r2, `var`, areaUnderPR, down-sampling,
//! weighted silhouette), all confirmed by PySpark 4.0.1's evaluators in the script's `--spark` run.

use approx::assert_relative_eq;
use flint_engine::prelude::*;
use flint_mllib::evaluation::{
    BinaryClassificationEvaluator, ClusteringEvaluator, Evaluator, MulticlassClassificationEvaluator,
    RegressionEvaluator,
};
use flint_mllib::feature::VectorAssembler;
use flint_mllib::pipeline::Transformer;
use serde_json::Value;

use crate::common::{floats, matrix, session};

fn reference() -> Value {
    serde_json::from_str(include_str!("../../../datasets/reference/evaluation_expected.json")).expect("json")
}

fn number(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("{v} is not a number"))
}

/// The rows of a bundled CSV: features, then the label.
fn rows(name: &str) -> Vec<Vec<f64>> {
    let text = std::fs::read_to_string(datasets::path(&format!("{name}.csv"))).expect("data");
    text.lines().map(|line| line.split(',').map(|x| x.parse().expect("a number")).collect()).collect()
}

/// The script's weights: `1 + (row % 3)`.
fn weight(row: usize) -> f64 {
    1.0 + (row % 3) as f64
}

fn message(e: flint_mllib::Error) -> String {
    e.to_string()
}

// ---- regression ----

/// diabetes: label, the script's prediction `152 + 500·bmi + 300·bp`, weight, and the label as an integer.
fn diabetes(session: &Session) -> DataFrame {
    let data: Vec<(f64, f64, f64, i64)> = rows("diabetes")
        .iter()
        .enumerate()
        .map(|(i, r)| (r[10], 152.0 + 500.0 * r[2] + 300.0 * r[3], weight(i), r[10] as i64))
        .collect();
    session.create_dataframe(data, &["label", "prediction", "weight", "label_int"]).expect("df")
}

#[test]
fn regression_metrics_match_scikit_learn_and_sparks_definitions() {
    let session = session();
    let df = diabetes(&session);
    let expected = &reference()["regression"];
    for metric in ["rmse", "mse", "mae", "r2", "var"] {
        let evaluator = RegressionEvaluator::new().metric_name(metric);
        // Unweighted: scikit-learn's mean_squared_error, mean_absolute_error, r2_score; Spark's var.
        let want = number(&expected["unweighted"][metric]);
        assert_relative_eq!(evaluator.evaluate(&df).expect(metric), want, max_relative = 1e-12);
        // An integer label column is cast, as Spark casts it.
        let int_label = evaluator.clone().label_col("label_int");
        assert_relative_eq!(int_label.evaluate(&df).expect(metric), want, max_relative = 1e-12);
        // Weighted: scikit-learn's with sample_weight for rmse, mse, mae; Spark's r2 and var in NumPy.
        let weighted = evaluator.weight_col("weight").evaluate(&df).expect(metric);
        assert_relative_eq!(weighted, number(&expected["weighted"][metric]), max_relative = 1e-12);
    }
    // Spark's weighted r2 is not scikit-learn's (its SStot carries (W − 1)/(W − Σw²/W)).
    let r2 = RegressionEvaluator::new().metric_name("r2").weight_col("weight").evaluate(&df).expect("r2");
    assert!((r2 - number(&expected["weighted"]["sklearn_weighted_r2"])).abs() > 1e-4);
    let origin = RegressionEvaluator::new().metric_name("r2").through_origin(true).evaluate(&df).expect("r2");
    assert_relative_eq!(origin, number(&expected["unweighted"]["r2_through_origin"]), max_relative = 1e-12);
    assert_eq!(RegressionEvaluator::new().is_larger_better().ok(), Some(false));
    assert_eq!(RegressionEvaluator::new().metric_name("var").is_larger_better().ok(), Some(true));
}

// ---- binary classification ----

/// breast_cancer: label, score `s = −worst radius` (with ties) as a number and as a `[−s, s]` vector, the
/// distinct-valued score `s2 = s − 10·worst concave points`, weight.
fn breast_cancer(session: &Session) -> DataFrame {
    let data: Vec<(f64, f64, f64, f64, f64)> = rows("breast_cancer")
        .iter()
        .enumerate()
        .map(|(i, r)| (r[30], -r[20], r[20], -r[20] - 10.0 * r[27], weight(i)))
        .collect();
    let df = session.create_dataframe(data, &["label", "score", "minus_score", "s2", "weight"]).expect("df");
    VectorAssembler::new(["minus_score", "score"], "rawPrediction").transform(&df).expect("assemble")
}

#[test]
fn binary_areas_match_scikit_learn_with_tied_scores_and_weights() {
    let session = session();
    let df = breast_cancer(&session);
    let expected = &reference()["binary"];
    assert!(number(&expected["scores_tied_across_classes"]) > 0.0);
    for (metric, key) in [("areaUnderROC", "areaUnderROC"), ("areaUnderPR", "areaUnderPR")] {
        let ties = number(&expected["ties"][key]);
        let evaluator = BinaryClassificationEvaluator::new().metric_name(metric);
        // The vector column (element 1, as Spark), the number column, and no down-sampling: all one curve, since
        // 457 distinct scores are fewer than 2 × 1000 bins.
        for e in [evaluator.clone(), evaluator.clone().raw_prediction_col("score"), evaluator.clone().num_bins(0)] {
            assert_relative_eq!(e.evaluate(&df).expect(metric), ties, max_relative = 1e-12);
        }
        let weighted = evaluator.clone().weight_col("weight").evaluate(&df).expect(metric);
        assert_relative_eq!(weighted, number(&expected["ties_weighted"][key]), max_relative = 1e-12);
        let distinct = evaluator.raw_prediction_col("s2").num_bins(0).evaluate(&df).expect(metric);
        assert_relative_eq!(distinct, number(&expected["distinct"][key]), max_relative = 1e-12);
    }
    // Spark's areaUnderPR (trapezoids from (0, first precision)) is not scikit-learn's average precision.
    let pr = BinaryClassificationEvaluator::new().metric_name("areaUnderPR").evaluate(&df).expect("pr");
    assert!((pr - number(&expected["ties"]["sklearn_average_precision"])).abs() > 1e-6);
}

#[test]
fn binary_down_sampling_groups_thresholds_as_spark() {
    let session = session();
    let df = breast_cancer(&session);
    let expected = &reference()["binary"];
    assert_eq!(number(&expected["distinct_scores2"]), 567.0);
    for metric in ["areaUnderROC", "areaUnderPR"] {
        let evaluator = BinaryClassificationEvaluator::new().metric_name(metric).raw_prediction_col("s2");
        // 567 distinct scores in 100 bins: runs of 5 (114 thresholds); in 50 bins: runs of 11 (52 thresholds).
        for bins in [100usize, 50] {
            let got = evaluator.clone().num_bins(bins).evaluate(&df).expect(metric);
            let want = number(&expected[format!("distinct_bins_{bins}")][metric]);
            assert_relative_eq!(got, want, max_relative = 1e-12);
            assert!((got - number(&expected["distinct"][metric])).abs() > 1e-6, "{bins} bins changed nothing");
        }
        // 300 bins: ⌊567/300⌋ = 1 < 2, so no down-sampling, as Spark.
        let got = evaluator.num_bins(300).evaluate(&df).expect(metric);
        assert_relative_eq!(got, number(&expected["distinct"][metric]), max_relative = 1e-12);
    }
}

#[test]
fn binary_ties_count_half() {
    let session = session();
    // 0.5 is held by a positive and a negative: the ROC goes diagonally through it.
    let df = session
        .create_dataframe(vec![(0.9, 1.0), (0.5, 1.0), (0.5, 0.0), (0.1, 0.0)], &["rawPrediction", "label"])
        .expect("df");
    // ROC (0,0) (0,½) (½,1) (1,1): ½·(½ + 1)/2 + ½ = 0.875.
    assert_eq!(BinaryClassificationEvaluator::new().evaluate(&df).expect("auc"), 0.875);
}

// ---- multiclass classification ----

/// One iris row: the features, the label, the script's probabilities `softmax(−‖x − mₖ‖²)` over its class
/// centres `mₖ`, and the prediction (the nearest centre).
struct Iris {
    x: Vec<f64>,
    label: f64,
    p: Vec<f64>,
    prediction: f64,
}

fn iris_rows() -> Vec<Iris> {
    let centres = matrix(&reference()["multiclass"]["centres"]);
    rows("iris")
        .into_iter()
        .map(|r| {
            let d: Vec<f64> =
                centres.iter().map(|m| (0..4).map(|j| (r[j] - m[j]) * (r[j] - m[j])).sum::<f64>()).collect();
            let top = d.iter().map(|v| -v).fold(f64::NEG_INFINITY, f64::max);
            let e: Vec<f64> = d.iter().map(|v| (-v - top).exp()).collect();
            let sum: f64 = e.iter().sum();
            let p: Vec<f64> = e.iter().map(|v| v / sum).collect();
            let prediction = (0..3).fold(0, |best, k| if p[k] > p[best] { k } else { best }) as f64;
            Iris { x: r[..4].to_vec(), label: r[4], p, prediction }
        })
        .collect()
}

/// iris with `label`, `prediction`, `probability` (a vector column) and `weight`.
fn iris(session: &Session) -> DataFrame {
    let data: Vec<(f64, f64, f64, f64, f64, f64)> = iris_rows()
        .iter()
        .enumerate()
        .map(|(i, r)| (r.label, r.p[0], r.p[1], r.p[2], r.prediction, weight(i)))
        .collect();
    let df = session.create_dataframe(data, &["label", "p0", "p1", "p2", "prediction", "weight"]).expect("df");
    VectorAssembler::new(["p0", "p1", "p2"], "probability").transform(&df).expect("probability")
}

#[test]
fn multiclass_metrics_match_scikit_learn() {
    let session = session();
    let df = iris(&session);
    let expected = &reference()["multiclass"];
    for (case, weighted) in [("unweighted", false), ("weighted", true)] {
        let base = if weighted {
            MulticlassClassificationEvaluator::new().weight_col("weight")
        } else {
            MulticlassClassificationEvaluator::new()
        };
        // f1, weightedPrecision, weightedRecall: scikit-learn's average="weighted"; accuracy_score, hamming_loss,
        // log_loss; weightedFalsePositiveRate from its confusion matrix.
        for metric in [
            "f1",
            "accuracy",
            "weightedPrecision",
            "weightedRecall",
            "weightedFalsePositiveRate",
            "hammingLoss",
            "logLoss",
        ] {
            let got = base.clone().metric_name(metric).evaluate(&df).expect(metric);
            let want = number(&expected[case][metric]);
            assert_relative_eq!(got, want, max_relative = 1e-12, epsilon = 1e-15);
        }
        // Per label: scikit-learn's average=None.
        for metric in ["precisionByLabel", "recallByLabel", "fMeasureByLabel", "falsePositiveRateByLabel"] {
            for (label, want) in floats(&expected[case][metric]).into_iter().enumerate() {
                let got = base.clone().metric_name(metric).metric_label(label as f64).evaluate(&df).expect(metric);
                assert_relative_eq!(got, want, max_relative = 1e-12, epsilon = 1e-15);
            }
        }
        // Spark's aliases: the true positive rate is the recall.
        let tpr = base.clone().metric_name("weightedTruePositiveRate").evaluate(&df).expect("tpr");
        assert_relative_eq!(tpr, number(&expected[case]["weightedRecall"]), max_relative = 1e-12);
    }
    let is_larger = |m: &str| MulticlassClassificationEvaluator::new().metric_name(m).is_larger_better().ok();
    assert_eq!(is_larger("f1"), Some(true));
    assert_eq!(is_larger("hammingLoss"), Some(false));
    assert_eq!(is_larger("logLoss"), Some(false));
    assert_eq!(is_larger("falsePositiveRateByLabel"), Some(false));
}

// ---- clustering ----

#[test]
fn silhouette_matches_scikit_learn_for_both_distances() {
    let session = session();
    let expected = &reference()["clustering"];
    let singleton = number(&expected["singleton_row"]) as usize;
    // KMeans writes its clusters as integers: the same type here.
    let clusters: Vec<(i32, i32, f64, f64, f64, f64, f64)> = iris_rows()
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let c = r.prediction as i32;
            (c, if i == singleton { 3 } else { c }, r.x[0], r.x[1], r.x[2], r.x[3], weight(i))
        })
        .collect();
    let df = session
        .create_dataframe(clusters, &["prediction", "with_singleton", "sl", "sw", "pl", "pw", "weight"])
        .expect("df");
    let df = VectorAssembler::new(["sl", "sw", "pl", "pw"], "features").transform(&df).expect("features");
    for (case, column) in [("nearest_centre", "prediction"), ("singleton", "with_singleton")] {
        for measure in ["squaredEuclidean", "cosine"] {
            // Spark's per-cluster sums cancel digits (cosine distances are about 1e-3 here, computed as
            // 1 − x̂·Ω/W): the singleton cosine case lands 2.4e-13 from scikit-learn, PySpark's own 3e-13.
            let tolerance = 1e-12;
            let evaluator = ClusteringEvaluator::new().distance_measure(measure).prediction_col(column);
            // scikit-learn's silhouette_score(metric="sqeuclidean" | "cosine").
            let got = evaluator.clone().evaluate(&df).expect("silhouette");
            assert_relative_eq!(got, number(&expected[case][measure]), max_relative = tolerance);
            // Weighted: the script's brute-force weighted silhouette over all pairs.
            let got = evaluator.weight_col("weight").evaluate(&df).expect("weighted silhouette");
            let want = number(&expected[case][format!("{measure}_weighted")]);
            assert_relative_eq!(got, want, max_relative = tolerance);
        }
    }
    assert_eq!(ClusteringEvaluator::new().is_larger_better().ok(), Some(true));
}

// ---- errors ----

#[test]
fn unknown_metrics_and_parameters_are_named_with_the_accepted_values() {
    let session = session();
    let df = session.create_dataframe(vec![(1.0, 1.0)], &["label", "prediction"]).expect("df");
    let e = message(RegressionEvaluator::new().metric_name("rmsd").evaluate(&df).expect_err("rmsd"));
    assert!(e.contains("`rmsd`") && e.contains("rmse, mse, r2, mae or var") && e.contains("metric_name"), "{e}");
    let e = message(RegressionEvaluator::new().metric_name("rmsd").is_larger_better().expect_err("rmsd"));
    assert!(e.contains("`rmsd`"), "{e}");
    let e = message(BinaryClassificationEvaluator::new().metric_name("auc").evaluate(&df).expect_err("auc"));
    assert!(e.contains("`auc`") && e.contains("areaUnderROC or areaUnderPR"), "{e}");
    let e = message(MulticlassClassificationEvaluator::new().metric_name("f2").evaluate(&df).expect_err("f2"));
    assert!(e.contains("`f2`") && e.contains("weightedPrecision") && e.contains("hammingLoss"), "{e}");
    let e = message(ClusteringEvaluator::new().metric_name("davies").evaluate(&df).expect_err("davies"));
    assert!(e.contains("`davies`") && e.contains("silhouette"), "{e}");
    let e = message(ClusteringEvaluator::new().distance_measure("euclidean").evaluate(&df).expect_err("measure"));
    assert!(e.contains("distance_measure") && e.contains("squaredEuclidean or cosine"), "{e}");
    let e = message(MulticlassClassificationEvaluator::new().eps(0.5).evaluate(&df).expect_err("eps"));
    assert!(e.contains("eps") && e.contains("(0, 0.5)"), "{e}");
}

#[test]
fn missing_and_mistyped_columns_are_named() {
    let session = session();
    let df = session.create_dataframe(vec![(1.0, 1.0, "a".to_string())], &["label", "prediction", "text"]).expect("df");
    let e = message(RegressionEvaluator::new().prediction_col("yhat").evaluate(&df).expect_err("missing"));
    assert!(e.contains("`yhat`") && e.contains("prediction_col") && e.contains("does not exist"), "{e}");
    let e = message(RegressionEvaluator::new().label_col("text").evaluate(&df).expect_err("text"));
    assert!(e.contains("`text`") && e.contains("must hold numbers"), "{e}");
    let e = message(BinaryClassificationEvaluator::new().evaluate(&df).expect_err("rawPrediction"));
    assert!(e.contains("`rawPrediction`") && e.contains("does not exist"), "{e}");
    let e = message(ClusteringEvaluator::new().features_col("label").evaluate(&df).expect_err("features"));
    assert!(e.contains("`label`") && e.contains("must hold vectors"), "{e}");
    let e = message(MulticlassClassificationEvaluator::new().weight_col("w").evaluate(&df).expect_err("weight"));
    assert!(e.contains("`w`") && e.contains("weight_col"), "{e}");
    let e = message(MulticlassClassificationEvaluator::new().metric_name("logLoss").evaluate(&df).expect_err("prob"));
    assert!(e.contains("`probability`") && e.contains("probability_col"), "{e}");
}

#[test]
fn empty_null_and_degenerate_inputs_are_errors() {
    let session = session();
    let df = session.create_dataframe(vec![(1.0, 1.0), (0.0, 0.0)], &["label", "prediction"]).expect("df");
    let empty = df.limit(0).expect("empty");
    let evaluators: Vec<Box<dyn Evaluator>> = vec![
        Box::new(RegressionEvaluator::new()),
        Box::new(BinaryClassificationEvaluator::new().raw_prediction_col("prediction")),
        Box::new(MulticlassClassificationEvaluator::new()),
    ];
    for evaluator in &evaluators {
        let e = message(evaluator.evaluate(&empty).expect_err("empty"));
        assert!(e.contains("no rows"), "{e}");
    }
    let nulls = session.create_dataframe(vec![(1.0, Some(1.0)), (0.0, None)], &["label", "prediction"]).expect("df");
    let e = message(RegressionEvaluator::new().evaluate(&nulls).expect_err("null"));
    assert!(e.contains("`prediction`") && e.contains("null in row 1"), "{e}");
    // A label that does not occur has no recall (Spark fails too).
    let e = message(
        MulticlassClassificationEvaluator::new()
            .metric_name("recallByLabel")
            .metric_label(7.0)
            .evaluate(&df)
            .expect_err("7"),
    );
    assert!(e.contains("metric_label 7") && e.contains("does not occur"), "{e}");
    // Negative weights, as Spark's checkNonNegativeWeights.
    let weighted = session.create_dataframe(vec![(1.0, 1.0, -1.0)], &["label", "prediction", "w"]).expect("df");
    let e = message(RegressionEvaluator::new().weight_col("w").evaluate(&weighted).expect_err("weight"));
    assert!(e.contains("`w`") && e.contains("non-negative"), "{e}");
    // One cluster: no silhouette.
    let one = session.create_dataframe(vec![(1.0, 0), (2.0, 0)], &["x", "prediction"]).expect("df");
    let one = VectorAssembler::new(["x"], "features").transform(&one).expect("features");
    let e = message(ClusteringEvaluator::new().evaluate(&one).expect_err("one cluster"));
    assert!(e.contains("at least two clusters"), "{e}");
}
