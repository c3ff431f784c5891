//! Saving and loading models: Spark's saved models load and predict what Spark predicted
//! (`datasets/reference/spark_models.py`, PySpark 4.0.1); Flint's saves round-trip, are read by pyarrow, and bad
//! directories give errors that say what is wrong.

use crate::common::*;
use flint_mllib::classification::{LogisticRegression, LogisticRegressionModel};
use flint_mllib::clustering::{KMeans, KMeansModel};
use flint_mllib::linalg::{Vector, Vectors};
use flint_mllib::persistence::{MlReadable, MlWritable};
use flint_mllib::recommendation::{Als, AlsModel, Rating};
use flint_mllib::regression::{LinearRegression, LinearRegressionModel};
use std::path::{Path, PathBuf};

fn spark_model(name: &str) -> PathBuf {
    flint_engine::datasets::dir().join("reference").join("spark_models").join(name)
}

fn spark_expected() -> serde_json::Value {
    serde_json::from_str(include_str!("../../../datasets/reference/spark_models_expected.json")).expect("json")
}

/// The features of a bundled CSV (label last), in file order.
fn features(name: &str) -> Vec<Vector> {
    let text = std::fs::read_to_string(flint_engine::datasets::path(&format!("{name}.csv"))).expect("data");
    text.lines()
        .map(|line| {
            let v: Vec<f64> = line.split(',').map(|x| x.parse().expect("a number")).collect();
            Vectors::dense(v[..v.len() - 1].to_vec())
        })
        .collect()
}

#[test]
fn models_saved_by_spark_load_and_predict_what_spark_predicted() {
    let expected = spark_expected();
    let models = &expected["models"];

    let kmeans = KMeansModel::load(spark_model("kmeans")).expect("Spark's k-means model");
    let want = floats(&models["kmeans"]["prediction"]);
    for (x, want) in features("iris").iter().zip(want) {
        assert_eq!(kmeans.predict(x).expect("predict") as f64, want);
    }
    assert!(!kmeans.has_summary());

    let linear = LinearRegressionModel::load(spark_model("linear")).expect("Spark's linear model");
    let want = floats(&models["linear"]["prediction"]);
    for (x, want) in features("diabetes").iter().zip(want) {
        approx::assert_relative_eq!(linear.predict(x).expect("predict"), want, max_relative = 1e-12);
    }

    // Spark predicts with single-precision factors and a single-precision dot product.
    let als = AlsModel::load(spark_model("als")).expect("Spark's ALS model");
    assert_eq!(als.rank(), 10);
    let pairs = models["als"]["pairs"].as_array().expect("pairs");
    for (pair, want) in pairs.iter().zip(floats(&models["als"]["prediction"])) {
        let (u, i) = (pair[0].as_i64().expect("user") as i32, pair[1].as_i64().expect("item") as i32);
        match als.predict(u, i) {
            Some(got) => approx::assert_relative_eq!(got, want, max_relative = 1e-5, epsilon = 1e-5),
            None => assert!(want.is_nan(), "Spark knew ({u}, {i})"),
        }
    }

    for (name, data) in [("logistic_binomial", "breast_cancer"), ("logistic_multinomial", "iris")] {
        let model = LogisticRegressionModel::load(spark_model(name)).expect("Spark's logistic model");
        let probabilities = matrix(&models[name]["probability"]);
        let predictions = floats(&models[name]["prediction"]);
        for ((x, p), want) in features(data).iter().zip(probabilities).zip(predictions) {
            let got = model.predict_probability(x).expect("probability").to_array();
            assert_all_close(&got, &p, 1e-9);
            assert_eq!(model.predict(x).expect("predict"), want, "{name}");
        }
    }
}

#[test]
fn flint_models_round_trip_and_pyarrow_reads_their_data() {
    let session = session();
    let dir = tempfile::tempdir().expect("tempdir");
    let iris = iris(&session, 2);
    let points = iris_points(&session, 2);
    let x = Vectors::dense(vec![6.1, 2.8, 4.7, 1.2]);

    let kmeans = KMeans::new().k(3).seed(5).fit_rdd(&iris).expect("fit");
    kmeans.save(dir.path().join("kmeans")).expect("save");
    let loaded = KMeansModel::load(dir.path().join("kmeans")).expect("load");
    assert_eq!(loaded.cluster_centers(), kmeans.cluster_centers());
    assert_eq!(loaded.predict(&x).expect("predict"), kmeans.predict(&x).expect("predict"));

    let linear = LinearRegression::new().reg_param(0.1).fit_rdd(&points).expect("fit");
    linear.save(dir.path().join("linear")).expect("save");
    let loaded = LinearRegressionModel::load(dir.path().join("linear")).expect("load");
    assert_eq!(loaded.coefficients(), linear.coefficients());
    assert_eq!(loaded.intercept(), linear.intercept());

    let logistic = LogisticRegression::new().reg_param(0.01).fit_rdd(&points).expect("fit");
    logistic.save(dir.path().join("logistic")).expect("save");
    let loaded = LogisticRegressionModel::load(dir.path().join("logistic")).expect("load");
    assert_eq!(loaded.coefficient_matrix(), logistic.coefficient_matrix());
    assert_eq!(loaded.intercept_vector(), logistic.intercept_vector());
    assert_eq!(loaded.predict_probability(&x).expect("p"), logistic.predict_probability(&x).expect("p"));

    let ratings: Vec<Rating> = (0..40).map(|k| Rating::new(k % 7, k % 5, 1.0 + (k % 4) as f64)).collect();
    let als = Als::new().rank(3).seed(2).fit_rdd(&session.parallelize(ratings, 2)).expect("fit");
    als.save(dir.path().join("als")).expect("save");
    let loaded = AlsModel::load(dir.path().join("als")).expect("load");
    for (u, i) in [(0, 0), (3, 4), (6, 2)] {
        let (got, want) = (loaded.predict(u, i).expect("known"), als.predict(u, i).expect("known"));
        // Saved in single precision, as Spark keeps factors.
        approx::assert_relative_eq!(got, want, max_relative = 1e-6);
    }
    assert_eq!(loaded.predict(7, 0), None);

    // An independent reader: pyarrow sees Spark's column names and the coefficient matrix row-major for Spark's
    // column-major layout.
    let python = std::env::var("FLINT_PYTHON")
        .expect("FLINT_PYTHON must name a Python with pyarrow; run the tests with .ci/test, which sets it up");
    let script = r#"
import glob, json, sys
import pyarrow.parquet as pq
t = pq.read_table(glob.glob(sys.argv[1] + "/data/*.parquet")[0]).to_pylist()[0]
m = t["coefficientMatrix"]
print(json.dumps({"classes": t["numClasses"], "rows": m["numRows"], "values": m["values"],
                  "transposed": m["isTransposed"], "intercepts": t["interceptVector"]["values"]}))
"#;
    let out = std::process::Command::new(&python)
        .args(["-c", script, &dir.path().join("logistic").to_string_lossy()])
        .output()
        .expect("FLINT_PYTHON runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let read: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(read["classes"], 3);
    assert_eq!(read["transposed"], false);
    // serde_json parses decimals to within an ulp.
    assert_all_close(&floats(&read["values"]), &logistic.coefficient_matrix().to_array(), 1e-15);
    assert_all_close(&floats(&read["intercepts"]), &logistic.intercept_vector().to_array(), 1e-15);
}

fn message(result: flint_mllib::Result<impl std::fmt::Debug>) -> String {
    result.expect_err("an error").to_string()
}

#[test]
fn saving_over_a_model_needs_overwrite_and_bad_directories_say_what_is_wrong() {
    let session = session();
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("model");
    let model = KMeans::new().k(2).seed(1).fit_rdd(&iris(&session, 2)).expect("fit");
    model.save(&path).expect("save");
    assert!(message(model.save(&path)).contains("exists"));
    let other = KMeans::new().k(3).seed(1).fit_rdd(&iris(&session, 2)).expect("fit");
    other.write().overwrite().save(&path).expect("overwrite");
    assert_eq!(KMeansModel::load(&path).expect("load").k(), 3);
    // Nothing is left beside the model: staging directories are renamed in or removed.
    let names: Vec<_> = std::fs::read_dir(dir.path()).expect("list").map(|e| e.expect("entry").file_name()).collect();
    assert_eq!(names, vec!["model"]);

    let err = message(LinearRegressionModel::load(&path));
    assert!(err.contains("KMeansModel") && err.contains("not a org.apache.spark.ml.regression"), "{err}");
    assert!(message(KMeansModel::load(dir.path().join("missing"))).contains("no such directory"));

    let metadata = path.join("metadata").join("part-00000");
    let text = std::fs::read_to_string(&metadata).expect("metadata");
    std::fs::write(&metadata, text.replace("\"flintFormatVersion\":1", "\"flintFormatVersion\":7")).expect("edit");
    let err = message(KMeansModel::load(&path));
    assert!(err.contains("newer Flint") && err.contains("version 7"), "{err}");
    std::fs::write(&metadata, text.replace("\"flintFormatVersion\":1", "\"flintFormatVersion\":0")).expect("edit");
    assert!(message(KMeansModel::load(&path)).contains("unknown format version 0"));
    std::fs::write(&metadata, &text[..text.len() / 2]).expect("truncate");
    assert!(message(KMeansModel::load(&path)).contains("not a JSON object"));
    std::fs::write(&metadata, text).expect("restore");

    let data = std::fs::read_dir(path.join("data"))
        .expect("data")
        .map(|e| e.expect("entry").path())
        .find(|p: &PathBuf| p.extension().is_some_and(|x| x == "parquet"))
        .expect("a parquet file");
    std::fs::write(&data, b"PAR1 not really").expect("corrupt");
    let err = message(KMeansModel::load(&path));
    assert!(err.contains("reading Parquet") && err.contains(&*data.to_string_lossy()), "{err}");
    assert!(Path::new(&data).exists());
}
