//! Logistic regression against scikit-learn on Spark's objective (confirmed by PySpark in the reference script).

use crate::common::*;
use flint_engine::prelude::*;
use flint_mllib::classification::LogisticRegression;
use flint_mllib::linalg::Vectors;
use flint_mllib::pipeline::{Estimator, Transformer};
use flint_mllib::regression::LabeledPoint;

fn points(session: &Session, name: &str, partitions: usize) -> Rdd<LabeledPoint> {
    let text = std::fs::read_to_string(datasets::path(&format!("{name}.csv"))).expect("data");
    let points = text
        .lines()
        .map(|line| {
            let v: Vec<f64> = line.split(',').map(|x| x.parse().expect("a number")).collect();
            let (x, y) = v.split_at(v.len() - 1);
            LabeledPoint::new(y[0], Vectors::dense(x.to_vec()))
        })
        .collect();
    session.parallelize(points, partitions)
}

fn reference() -> serde_json::Value {
    serde_json::from_str(include_str!("../../../datasets/reference/logistic_regression_expected.json")).expect("json")
}

#[test]
fn coefficients_match_scikit_learn_binomial_multinomial_and_elastic_net() {
    let session = session();
    let cases = reference();
    for (name, case) in cases["cases"].as_object().expect("cases") {
        let lr = LogisticRegression::new()
            .reg_param(case["reg_param"].as_f64().expect("reg"))
            .elastic_net_param(case["elastic_net_param"].as_f64().expect("alpha"))
            .standardization(case["standardization"].as_bool().expect("standardization"))
            .max_iter(1_000)
            .tol(0.0);
        for partitions in [1, 3] {
            let data = points(&session, case["data"].as_str().expect("data"), partitions);
            let model = lr.fit_rdd(&data).expect("fit");
            let expected = &case["sklearn"];
            let w = model.coefficient_matrix();
            for (c, row) in matrix(&expected["coefficients"]).iter().enumerate() {
                for (j, want) in row.iter().enumerate() {
                    let got = w.get(c, j).expect("coefficient");
                    // Spark's stopping rule (kept by Flint) ends at a gradient norm of 1e-8 at the latest, which
                    // leaves Spark itself 1.7e-6 relative from this optimum on breast_cancer.
                    assert!(
                        (got - want).abs() <= 1e-5 * want.abs().max(1e-2),
                        "{name}, {partitions} partitions, class {c}, coefficient {j}: {got} vs the reference optimum {want}"
                    );
                }
            }
            for (got, want) in model.intercept_vector().to_array().iter().zip(floats(&expected["intercepts"])) {
                assert!((got - want).abs() <= 1e-5 * want.abs().max(1.0), "{name}: intercept {got} vs {want}");
            }
            approx::assert_relative_eq!(
                model.summary().accuracy,
                case["spark"]["accuracy"].as_f64().expect("accuracy"),
                max_relative = 1e-12
            );
        }
    }
}

#[test]
fn binomial_dataframe_scoring_and_summary() {
    let session = session();
    let data = points(&session, "breast_cancer", 2);
    let model = LogisticRegression::new().reg_param(0.01).fit_rdd(&data).expect("fit");
    // scikit-learn's roc_auc_score on the training data is above 0.99 for this model; a broken fit is far below.
    assert!(model.summary().area_under_roc > 0.99, "{:?}", model.summary());
    assert!(model.summary().objective_history.windows(2).all(|w| w[1] <= w[0] + 1e-12));
    let rows: Vec<(f64, f64)> =
        data.collect().expect("rows").iter().map(|p| (p.features.get(0).expect("x"), p.label)).collect();
    let df = session.create_dataframe(rows, &["radius", "label"]).expect("df");
    let assembled =
        flint_mllib::feature::VectorAssembler::new(["radius"], "features").transform(&df).expect("assemble");
    let one = LogisticRegression::new().fit(&assembled).expect("fit");
    let scored = one.transform(&assembled).expect("transform");
    assert_eq!(scored.columns(), vec!["radius", "label", "features", "rawPrediction", "probability", "prediction"]);
    let first = &scored.collect().expect("rows")[0];
    let x = Vectors::dense(vec![first.get_as::<f64>("radius").expect("radius")]);
    assert_eq!(first.get_as::<f64>("prediction").expect("prediction"), one.predict(&x).expect("predict"));
    let p = one.predict_probability(&x).expect("probability").to_array();
    approx::assert_relative_eq!(p[0] + p[1], 1.0, max_relative = 1e-15);
}

#[test]
fn bad_labels_and_parameters_are_clear_errors() {
    let session = session();
    let bad = session.parallelize(vec![LabeledPoint::new(0.5, Vectors::dense(vec![1.0]))], 1);
    let err = LogisticRegression::new().fit_rdd(&bad).expect_err("label");
    assert!(err.to_string().contains("label 0.5 is not a class index"), "{err}");
    let iris = points(&session, "iris", 2);
    let err = LogisticRegression::new().family("binomial".parse().expect("family")).fit_rdd(&iris).expect_err("family");
    assert!(err.to_string().contains("the data has 3 classes; use multinomial"), "{err}");
    let err = LogisticRegression::new().threshold(1.5).fit_rdd(&iris).expect_err("threshold");
    assert!(err.to_string().contains("`threshold`"), "{err}");
    let model = LogisticRegression::new().reg_param(0.1).fit_rdd(&iris).expect("fit");
    assert_eq!(model.num_classes(), 3);
    assert!(model.coefficients().is_err(), "a multinomial model has no coefficient vector");
}
