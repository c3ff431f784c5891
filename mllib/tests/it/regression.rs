//! Linear regression against scikit-learn on Spark's objective (confirmed by PySpark in the reference script).

use crate::common::*;
use flint_engine::prelude::*;
use flint_mllib::linalg::Vectors;
use flint_mllib::pipeline::{Estimator, Transformer};
use flint_mllib::regression::{LabeledPoint, LinearRegression, Solver};

fn diabetes(session: &Session, partitions: usize) -> Rdd<LabeledPoint> {
    let text = std::fs::read_to_string(datasets::path("diabetes.csv")).expect("diabetes.csv");
    let points = text
        .lines()
        .map(|line| {
            let v: Vec<f64> = line.split(',').map(|x| x.parse().expect("a number")).collect();
            LabeledPoint::new(v[10], Vectors::dense(v[..10].to_vec()))
        })
        .collect();
    session.parallelize(points, partitions)
}

fn reference() -> serde_json::Value {
    serde_json::from_str(include_str!("../../../datasets/reference/linear_regression_expected.json")).expect("json")
}

#[test]
fn coefficients_match_scikit_learn_for_ols_ridge_lasso_and_elastic_net() {
    let session = session();
    let cases = reference();
    for (name, case) in cases["cases"].as_object().expect("cases") {
        let lr = LinearRegression::new()
            .reg_param(case["reg_param"].as_f64().expect("reg"))
            .elastic_net_param(case["elastic_net_param"].as_f64().expect("alpha"))
            .standardization(case["standardization"].as_bool().expect("standardization"))
            .fit_intercept(case["fit_intercept"].as_bool().expect("intercept"));
        for partitions in [1, 4] {
            let model = lr.fit_rdd(&diabetes(&session, partitions)).expect("fit");
            let expected = &case["sklearn"];
            let coefficients = model.coefficients().to_array();
            for (j, (got, want)) in coefficients.iter().zip(floats(&expected["coefficients"])).enumerate() {
                // Relative 1e-6, or 1e-7 absolute for coefficients the L1 penalty sets to zero.
                assert!(
                    (got - want).abs() <= 1e-6 * want.abs().max(1e-1),
                    "{name}, {partitions} partitions, coefficient {j}: {got} vs scikit-learn's {want}"
                );
            }
            let b = expected["intercept"].as_f64().expect("intercept");
            assert!(
                (model.intercept() - b).abs() <= 1e-6 * b.abs().max(1.0),
                "{name}: intercept {}",
                model.intercept()
            );
            // Spark's training summary.
            let spark = &case["spark"];
            approx::assert_relative_eq!(
                model.summary().root_mean_squared_error,
                spark["rmse"].as_f64().expect("rmse"),
                max_relative = 1e-6
            );
            approx::assert_relative_eq!(model.summary().r2, spark["r2"].as_f64().expect("r2"), max_relative = 1e-6);
            assert_eq!(model.summary().num_instances, 442);
        }
    }
}

#[test]
fn the_l_bfgs_solver_reaches_sparks_l_bfgs_objective() {
    let session = session();
    let cases = reference();
    for (name, case) in cases["cases"].as_object().expect("cases") {
        let lr = LinearRegression::new()
            .solver(Solver::LBfgs)
            .tol(0.0)
            .max_iter(1_000)
            .reg_param(case["reg_param"].as_f64().expect("reg"))
            .elastic_net_param(case["elastic_net_param"].as_f64().expect("alpha"))
            .standardization(case["standardization"].as_bool().expect("standardization"))
            .fit_intercept(case["fit_intercept"].as_bool().expect("intercept"));
        let model = lr.fit_rdd(&diabetes(&session, 3)).expect("fit");
        let expected = &case["sklearn_lbfgs"];
        // Spark's stopping rule ends at a gradient norm of 1e-8 at the latest (see the logistic tests); the
        // lasso zeros are exact under OWL-QN, hence the absolute floor.
        for (j, (got, want)) in
            model.coefficients().to_array().iter().zip(floats(&expected["coefficients"])).enumerate()
        {
            assert!((got - want).abs() <= 1e-5 * want.abs().max(1e-1), "{name}, coefficient {j}: {got} vs {want}");
        }
        let b = expected["intercept"].as_f64().expect("intercept");
        assert!(
            (model.intercept() - b).abs() <= 1e-5 * b.abs().max(1.0),
            "{name}: intercept {} vs {b}",
            model.intercept()
        );
    }
    assert!(format!("{:?}", "newton".parse::<Solver>().expect_err("unknown")).contains("auto, normal or l-bfgs"));
}

#[test]
fn dataframe_fit_and_transform_agree_with_the_rdd_api() {
    let session = session();
    let rows: Vec<(f64, f64, f64)> = diabetes(&session, 1)
        .collect()
        .expect("rows")
        .iter()
        .map(|p| (p.features.get(2).expect("bmi"), p.features.get(3).expect("bp"), p.label))
        .collect();
    let df = session.create_dataframe(rows, &["bmi", "bp", "label"]).expect("df");
    let assembled =
        flint_mllib::feature::VectorAssembler::new(["bmi", "bp"], "features").transform(&df).expect("assemble");
    let model = LinearRegression::new().reg_param(0.1).fit(&assembled).expect("fit");
    let scored = model.transform(&assembled).expect("transform").collect().expect("rows");
    let first = &scored[0];
    let x = Vectors::dense(vec![first.get_as::<f64>("bmi").expect("bmi"), first.get_as::<f64>("bp").expect("bp")]);
    approx::assert_relative_eq!(
        first.get_as::<f64>("prediction").expect("prediction"),
        model.predict(&x).expect("predict")
    );
}

#[test]
fn bad_parameters_and_bad_data_are_clear_errors() {
    let session = session();
    let data = diabetes(&session, 2);
    let err = LinearRegression::new().elastic_net_param(1.5).fit_rdd(&data).expect_err("alpha");
    assert_eq!(
        err.to_string(),
        "invalid parameter `elastic_net_param` of LinearRegression: must be in [0, 1], got 1.5"
    );
    assert!(LinearRegression::new().reg_param(f64::NAN).fit_rdd(&data).is_err());
    let nan = session.parallelize(vec![LabeledPoint::new(f64::NAN, Vectors::dense(vec![1.0]))], 1);
    let err = LinearRegression::new().fit_rdd(&nan).expect_err("nan");
    assert!(err.to_string().contains("NaN or infinite values: (NaN,[1.0])"), "{err}");
    let empty = session.parallelize(Vec::<LabeledPoint>::new(), 1);
    assert!(LinearRegression::new().fit_rdd(&empty).expect_err("empty").to_string().contains("empty"));
    // A constant label with an intercept: no slope, the label as intercept (Spark's answer).
    let constant =
        session.parallelize((0..5).map(|x| LabeledPoint::new(3.0, Vectors::dense(vec![x as f64]))).collect(), 2);
    let model = LinearRegression::new().fit_rdd(&constant).expect("fit");
    assert_eq!((model.coefficients().to_array(), model.intercept()), (vec![0.0], 3.0));
    let model = LinearRegression::new().fit_rdd(&data).expect("fit");
    assert!(model.predict(&Vectors::dense(vec![1.0])).is_err());
}

#[test]
fn dense_and_sparse_rows_give_the_same_normal_equations() {
    // The normal solver sums dense rows by chunk products and sparse rows entry by entry: the same data stored
    // either way (every other row sparse, over 3 partitions) must give the same fit.
    let session = session();
    let dense = diabetes(&session, 1).collect().expect("rows");
    let mixed: Vec<LabeledPoint> = dense
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let x = p.features.to_array();
            let features = if i % 2 == 0 {
                Vectors::sparse(x.len(), (0..x.len()).collect(), x).expect("sparse")
            } else {
                Vectors::dense(x)
            };
            LabeledPoint::new(p.label, features)
        })
        .collect();
    let lr = LinearRegression::new().reg_param(0.3).elastic_net_param(0.5);
    let a = lr.fit_rdd(&session.parallelize(dense, 1)).expect("dense fit");
    let b = lr.fit_rdd(&session.parallelize(mixed, 3)).expect("mixed fit");
    assert_all_close(&b.coefficients().to_array(), &a.coefficients().to_array(), 1e-10);
    approx::assert_relative_eq!(b.intercept(), a.intercept(), max_relative = 1e-12);
}

#[test]
fn transform_scores_dense_sparse_and_null_rows_as_predict_does() {
    // Scoring reads the vector column's buffers in place: every storage must give `predict`'s answer.
    let session = session();
    let model = LinearRegression::new().features_col("x").fit_rdd(&diabetes(&session, 2)).expect("fit");
    let x: Vec<f64> = (0..10).map(|i| 0.01 * i as f64 - 0.03).collect();
    let rows = vec![
        Vectors::dense(x.clone()),
        Vectors::sparse(10, vec![1, 4, 7], vec![x[1], x[4], x[7]]).expect("sparse"),
        Vectors::sparse(10, vec![], vec![]).expect("empty sparse"),
    ];
    let expected: Vec<f64> = rows.iter().map(|v| model.predict(v).expect("predict")).collect();
    let scored = model.transform(&vector_df(&session, rows)).expect("transform");
    let predictions: Vec<f64> =
        scored.collect().expect("rows").iter().map(|r| r.get_as::<f64>("prediction").expect("prediction")).collect();
    assert_all_close(&predictions, &expected, 1e-15);
    let wrong = model.transform(&vector_df(&session, vec![Vectors::dense(vec![1.0, 2.0])]));
    let err = wrong.and_then(|df| Ok(df.collect()?)).expect_err("two features for a model of ten").to_string();
    assert!(err.contains("the model has 10 features, the point has 2"), "{err}");
}
