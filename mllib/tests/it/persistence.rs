//! Saving and loading models: Spark's saved models, feature models and pipeline models load and predict or
//! transform what Spark did (`datasets/reference/spark_models.py`, PySpark 4.0.1); Flint's saves round-trip, have
//! the tables of Spark's own saves as pyarrow reads them, and bad directories, unsaveable stages and unknown stage
//! classes give errors that say what is wrong.

use crate::common::*;
use flint_engine::prelude::*;
use flint_mllib::classification::{LogisticRegression, LogisticRegressionModel};
use flint_mllib::clustering::{KMeans, KMeansModel};
use flint_mllib::feature::{
    HandleInvalid, IndexToString, MinMaxScaler, MinMaxScalerModel, OneHotEncoder, OneHotEncoderModel, Pca,
    StandardScaler, StandardScalerModel, StringIndexer, StringIndexerModel, StringOrderType, VectorAssembler,
};
use flint_mllib::linalg::{Vector, Vectors};
use flint_mllib::persistence::{MlReadable, MlWritable};
use flint_mllib::pipeline::{Estimator, Pipeline, PipelineModel, Transformer};
use flint_mllib::recommendation::{Als, AlsModel, Rating};
use flint_mllib::regression::{LinearRegression, LinearRegressionModel};
use serde_json::Value;
use std::path::{Path, PathBuf};

fn spark_model(name: &str) -> PathBuf {
    flint_engine::datasets::dir().join("reference").join("spark_models").join(name)
}

fn spark_expected() -> Value {
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

/// A bundled CSV read as Spark reads it without a header (`_c0`, `_c1`, …, types inferred), as the reference
/// script reads it.
fn csv(session: &Session, name: &str) -> DataFrame {
    session.read().option("inferSchema", true).csv(&flint_engine::datasets::path(&format!("{name}.csv"))).expect("csv")
}

/// The doubles of a column, in row order.
fn doubles(df: &DataFrame, column: &str) -> Vec<f64> {
    df.select([column])
        .expect("select")
        .collect()
        .expect("rows")
        .iter()
        .map(|r| r.get_as::<f64>(column).expect(column))
        .collect()
}

fn assert_vectors_close(actual: &[Vector], expected: &Value, what: &str) {
    let expected = matrix(expected);
    assert_eq!(actual.len(), expected.len(), "{what}");
    for (a, e) in actual.iter().zip(&expected) {
        assert_all_close(&a.to_array(), e, 1e-12);
    }
}

/// A one-hot vector as the reference records it: `[size, [indices]]` (the values are all 1.0).
fn size_and_indices(v: &Vector) -> Value {
    let indices: Vec<usize> = v.iter_active().filter(|&(_, x)| x != 0.0).map(|(i, _)| i).collect();
    assert!(v.iter_active().all(|(_, x)| x == 0.0 || x == 1.0), "{v:?}");
    serde_json::json!([v.size(), indices])
}

#[test]
fn feature_models_and_pipelines_saved_by_spark_load_and_transform_what_spark_did() {
    let session = session();
    let expected = spark_expected();
    let models = &expected["models"];

    let iris = csv(&session, "iris");
    let iris = VectorAssembler::new(["_c0", "_c1", "_c2", "_c3"], "features").transform(&iris).expect("assemble");
    let standard = StandardScalerModel::load(spark_model("standard_scaler")).expect("Spark's standard scaler");
    assert_eq!(standard.mean().size(), 4);
    let scaled = vectors(&standard.transform(&iris).expect("transform"), "scaled");
    assert_vectors_close(&scaled, &models["standard_scaler"]["scaled"], "standard scaler");
    let min_max = MinMaxScalerModel::load(spark_model("min_max_scaler")).expect("Spark's min-max scaler");
    let scaled = vectors(&min_max.transform(&iris).expect("transform"), "scaled");
    assert_vectors_close(&scaled, &models["min_max_scaler"]["scaled"], "min-max scaler");

    // Two columns (names, and ages indexed by their strings), handleInvalid = keep.
    let friends = csv(&session, "fakefriends");
    let indexer = StringIndexerModel::load(spark_model("string_indexer")).expect("Spark's string indexer");
    let labels: Vec<Vec<String>> = serde_json::from_value(models["string_indexer"]["labels"].clone()).expect("labels");
    assert_eq!(indexer.labels_array(), labels);
    let indexed = indexer.transform(&friends).expect("transform");
    for column in ["name_index", "age_index"] {
        assert_eq!(doubles(&indexed, column), floats(&models["string_indexer"][column]), "{column}");
    }
    let unseen = session.create_dataframe(vec![("Nobody", 19)], &["_c1", "_c2"]).expect("df");
    let kept = indexer.transform(&unseen).expect("transform");
    assert_eq!(doubles(&kept, "name_index"), [labels[0].len() as f64], "keep: an unseen label gets the last index");

    // Spark's sizes count the indexer's `__unknown` label: one more than the labels, read rather than recounted.
    let encoder = OneHotEncoderModel::load(spark_model("one_hot_encoder")).expect("Spark's one-hot encoder");
    assert_eq!(encoder.category_sizes(), [labels[0].len() + 1, labels[1].len() + 1]);
    let encoded = encoder.transform(&indexed).expect("transform");
    for column in ["name_vector", "age_vector"] {
        let got: Vec<Value> = vectors(&encoded, column).iter().map(size_and_indices).collect();
        assert_eq!(Value::Array(got), models["one_hot_encoder"][column], "{column}");
    }

    let logistic = PipelineModel::load(spark_model("pipeline_logistic")).expect("Spark's pipeline");
    assert_eq!(logistic.stages().len(), 3);
    let scored = logistic.transform(&csv(&session, "breast_cancer")).expect("transform");
    let probability = vectors(&scored, "probability");
    let want = matrix(&models["pipeline_logistic"]["probability"]);
    assert_eq!(probability.len(), want.len());
    for (got, want) in probability.iter().zip(&want) {
        // Probabilities near 0 are 1 − (a probability near 1), so compared absolutely too.
        for (g, w) in got.to_array().iter().zip(want) {
            approx::assert_relative_eq!(*g, *w, max_relative = 1e-12, epsilon = 1e-15);
        }
    }
    assert_eq!(doubles(&scored, "prediction"), floats(&models["pipeline_logistic"]["prediction"]));

    // Saved by PySpark itself (a stage is a pipeline): class pyspark.ml.pipeline.PipelineModel, and the nested
    // pipeline by Spark's writer.
    let kmeans = PipelineModel::load(spark_model("pipeline_kmeans")).expect("PySpark's nested pipeline");
    assert_eq!(kmeans.stages().len(), 4);
    let scored = kmeans.transform(&csv(&session, "1800")).expect("transform");
    assert_eq!(scored.columns()[8..], ["element", "element_vector", "features", "scaled", "prediction"]);
    let predictions: Vec<f64> = scored
        .select(["prediction"])
        .expect("select")
        .collect()
        .expect("rows")
        .iter()
        .map(|r| r.get_as::<i32>("prediction").expect("prediction") as f64)
        .collect();
    assert_eq!(predictions, floats(&models["pipeline_kmeans"]["prediction"]));
}

/// The column names and Arrow types (as pyarrow prints them) of each Parquet table of a saved model, and the
/// schema Spark reads back from the file (its `org.apache.spark.sql.parquet.row.metadata`: vectors as VectorUDT).
fn parquet_schemas(dirs: &[PathBuf]) -> Value {
    let python = std::env::var("FLINT_PYTHON")
        .expect("FLINT_PYTHON must name a Python with pyarrow; run the tests with .ci/test, which sets it up");
    let script = r#"
import glob, json, os, sys
import pyarrow.parquet as pq
out = []
for d in sys.argv[1:]:
    tables = {}
    for f in sorted(glob.glob(d + "/*/*.parquet")):
        schema = pq.read_schema(f)
        spark = json.loads(pq.read_metadata(f).metadata[b"org.apache.spark.sql.parquet.row.metadata"])
        columns = [[n, str(schema.field(n).type)] for n in schema.names]
        tables[os.path.basename(os.path.dirname(f))] = {"arrow": columns, "spark": spark}
    out.append(tables)
print(json.dumps(out))
"#;
    let out = std::process::Command::new(&python).arg("-c").arg(script).args(dirs).output().expect("FLINT_PYTHON runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("json")
}

/// The `metadata` line of a saved model.
fn metadata(dir: &Path) -> Value {
    let part = std::fs::read_dir(dir.join("metadata"))
        .expect("metadata")
        .map(|e| e.expect("entry").path())
        .find(|p| p.file_name().is_some_and(|n| n.to_string_lossy().starts_with("part-")))
        .expect("a part file");
    serde_json::from_str(std::fs::read_to_string(part).expect("read").lines().next().expect("a line")).expect("json")
}

#[test]
fn flint_feature_models_and_pipelines_round_trip_in_sparks_layout() {
    let session = session();
    let dir = tempfile::tempdir().expect("tempdir");
    let path = |name: &str| dir.path().join(name);
    let iris = csv(&session, "iris");
    let iris = VectorAssembler::new(["_c0", "_c1", "_c2", "_c3"], "features").transform(&iris).expect("assemble");
    let scaled = |m: &dyn Transformer| vectors(&m.transform(&iris).expect("transform"), "scaled");

    let standard =
        StandardScaler::new().input_col("features").output_col("scaled").with_mean(true).fit(&iris).expect("fit");
    standard.save(path("standard_scaler")).expect("save");
    let loaded = StandardScalerModel::load(path("standard_scaler")).expect("load");
    assert_eq!((loaded.mean(), loaded.std()), (standard.mean(), standard.std()));
    assert_eq!(scaled(&loaded), scaled(&standard));

    let min_max =
        MinMaxScaler::new().input_col("features").output_col("scaled").min(-1.0).max(2.0).fit(&iris).expect("fit");
    min_max.save(path("min_max_scaler")).expect("save");
    let loaded = MinMaxScalerModel::load(path("min_max_scaler")).expect("load");
    assert_eq!((loaded.original_min(), loaded.original_max()), (min_max.original_min(), min_max.original_max()));
    assert_eq!(scaled(&loaded), scaled(&min_max));

    let friends = csv(&session, "fakefriends");
    let indexer = StringIndexer::new()
        .input_cols(["_c1", "_c2"])
        .output_cols(["name_index", "age_index"])
        .handle_invalid(HandleInvalid::Keep)
        .string_order_type(StringOrderType::AlphabetDesc)
        .fit(&friends)
        .expect("fit");
    indexer.save(path("string_indexer")).expect("save");
    let loaded = StringIndexerModel::load(path("string_indexer")).expect("load");
    assert_eq!(loaded.labels_array(), indexer.labels_array());
    let indexed = indexer.transform(&friends).expect("transform");
    let unseen = session.create_dataframe(vec![("Nobody", 19)], &["_c1", "_c2"]).expect("df");
    for df in [&friends, &unseen] {
        let (got, want) = (loaded.transform(df).expect("t"), indexer.transform(df).expect("t"));
        for column in ["name_index", "age_index"] {
            assert_eq!(doubles(&got, column), doubles(&want, column), "{column}");
        }
    }
    let saved = metadata(&path("string_indexer"));
    assert_eq!(saved["paramMap"]["stringOrderType"], "alphabetDesc");
    assert_eq!(saved["paramMap"]["handleInvalid"], "keep");

    let encoder = OneHotEncoder::new()
        .input_cols(["name_index", "age_index"])
        .output_cols(["name_vector", "age_vector"])
        .drop_last(false)
        .fit(&indexed)
        .expect("fit");
    encoder.save(path("one_hot_encoder")).expect("save");
    let loaded = OneHotEncoderModel::load(path("one_hot_encoder")).expect("load");
    assert_eq!(loaded.category_sizes(), encoder.category_sizes());
    for column in ["name_vector", "age_vector"] {
        let (got, want) = (loaded.transform(&indexed).expect("t"), encoder.transform(&indexed).expect("t"));
        assert_eq!(vectors(&got, column), vectors(&want, column));
    }

    // The earlier models too, beside Spark's saves of the same kind.
    let points = iris_points(&session, 2);
    KMeans::new().k(3).seed(5).fit(&iris).expect("fit").save(path("kmeans")).expect("save");
    LinearRegression::new().fit_rdd(&points).expect("fit").save(path("linear")).expect("save");
    LogisticRegression::new().fit_rdd(&points).expect("fit").save(path("logistic_multinomial")).expect("save");

    // The tables have Spark's column names and types, and the schema Spark reads back, as in Spark's own saves.
    let names = [
        "standard_scaler",
        "min_max_scaler",
        "string_indexer",
        "one_hot_encoder",
        "kmeans",
        "linear",
        "logistic_multinomial",
    ];
    let flint: Vec<PathBuf> = names.iter().map(|n| path(n)).collect();
    let spark: Vec<PathBuf> = names.iter().map(|n| spark_model(n)).collect();
    let (flint_schemas, spark_schemas) = (parquet_schemas(&flint), parquet_schemas(&spark));
    for (name, (f, s)) in names
        .iter()
        .zip(flint_schemas.as_array().expect("a list").iter().zip(spark_schemas.as_array().expect("a list")))
    {
        assert_eq!(f, s, "{name}");
    }
    // Every parameter Flint saves is one of Spark's (set or defaulted) for that class.
    for (name, (flint, spark)) in names.iter().zip(flint.iter().zip(&spark)) {
        let (flint, spark) = (metadata(flint), metadata(spark));
        assert_eq!(flint["class"], spark["class"], "{name}");
        for key in flint["paramMap"].as_object().expect("params").keys() {
            let known = spark["paramMap"].get(key).or_else(|| spark["defaultParamMap"].get(key));
            // Spark saves one of inputCol(s) and outputCol(s), as the model was configured.
            let columns = ["inputCol", "inputCols", "outputCol", "outputCols"].contains(&key.as_str());
            assert!(known.is_some() || columns, "{name}: Spark has no parameter `{key}`");
        }
    }
}

/// The names in a directory, sorted.
fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("list")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn flint_pipelines_round_trip_with_every_kind_of_stage() {
    let session = session();
    let dir = tempfile::tempdir().expect("tempdir");
    let friends = csv(&session, "fakefriends");
    // Every persistable stage kind but ALS, and a pipeline nested in the pipeline.
    let pipeline = Pipeline::new()
        .with_estimator(StringIndexer::new().input_col("_c1").output_col("name_index"))
        .with_estimator(OneHotEncoder::new().input_col("name_index").output_col("name_vector"))
        .with_transformer(VectorAssembler::new(["name_vector", "_c2", "_c3"], "raw"))
        .with_estimator(
            Pipeline::new()
                .with_estimator(StandardScaler::new().input_col("raw").output_col("standard").with_mean(true))
                .with_estimator(MinMaxScaler::new().input_col("standard").output_col("features"))
                .with_estimator(Pca::new().k(2).input_col("features").output_col("pca")),
        )
        .with_estimator(KMeans::new().k(3).seed(7))
        .with_estimator(LinearRegression::new().label_col("_c3").prediction_col("friends_hat"))
        .with_estimator(
            LogisticRegression::new()
                .label_col("prediction")
                .prediction_col("cluster_hat")
                .probability_col("cluster_p")
                .raw_prediction_col("cluster_raw"),
        )
        .with_transformer(IndexToString::new().input_col("cluster_hat").output_col("cluster_name").labels(vec![
            "a".into(),
            "b".into(),
            "c".into(),
        ]));
    let model = pipeline.fit(&friends).expect("fit");
    let path = dir.path().join("pipeline");
    model.save(&path).expect("save");

    let stages = listing(&path.join("stages"));
    let kinds = [
        "StringIndexerModel",
        "OneHotEncoderModel",
        "VectorAssembler",
        "PipelineModel",
        "KMeansModel",
        "LinearRegressionModel",
        "LogisticRegressionModel",
        "IndexToString",
    ];
    assert_eq!(stages.len(), kinds.len());
    let saved = metadata(&path);
    assert_eq!(saved["class"], "org.apache.spark.ml.PipelineModel");
    let uids = saved["paramMap"]["stageUids"].as_array().expect("stageUids");
    for (i, ((stage, kind), uid)) in stages.iter().zip(kinds).zip(uids).enumerate() {
        let uid = uid.as_str().expect("a uid");
        assert_eq!(stage, &format!("{i}_{uid}"));
        assert!(uid.starts_with(&format!("{kind}_")), "{uid}");
        assert_eq!(metadata(&path.join("stages").join(stage))["uid"], uid);
    }
    // Transformers without fitted values have no data; the nested pipeline has its own stages.
    assert_eq!(listing(&path.join("stages").join(&stages[2])), ["metadata"]);
    assert_eq!(listing(&path.join("stages").join(&stages[3])), ["metadata", "stages"]);
    assert_eq!(listing(&path.join("stages").join(&stages[3]).join("stages")).len(), 3);

    let loaded = PipelineModel::load(&path).expect("load");
    assert_eq!(loaded.stages().len(), kinds.len());
    let shown =
        |m: &PipelineModel| m.transform(&friends).expect("transform").show_string(1000, 0, false).expect("show");
    let text = shown(&loaded);
    assert!(text.contains("cluster_name"), "{text}");
    assert_eq!(text, shown(&model));

    // Spark's saved pipeline saved again by Flint keeps Spark's uids, and loads to the same pipeline.
    let spark = PipelineModel::load(spark_model("pipeline_logistic")).expect("Spark's pipeline");
    spark.save(dir.path().join("again")).expect("save");
    let spark_uids = metadata(&spark_model("pipeline_logistic"))["paramMap"]["stageUids"].clone();
    assert_eq!(metadata(&dir.path().join("again"))["paramMap"]["stageUids"], spark_uids);
    assert_eq!(
        listing(&dir.path().join("again").join("stages")),
        listing(&spark_model("pipeline_logistic").join("stages"))
    );
    let again = PipelineModel::load(dir.path().join("again")).expect("load");
    let cancer = csv(&session, "breast_cancer");
    let scored = |m: &PipelineModel| vectors(&m.transform(&cancer).expect("transform"), "probability");
    assert_eq!(scored(&again), scored(&spark));
}

/// A transformer that Flint cannot save.
struct Identity;

impl Transformer for Identity {
    fn transform(&self, df: &DataFrame) -> flint_mllib::Result<DataFrame> {
        Ok(df.clone())
    }
}

#[test]
fn pipelines_with_unsaveable_stages_or_unknown_classes_say_which() {
    let session = session();
    let dir = tempfile::tempdir().expect("tempdir");
    let friends = csv(&session, "fakefriends");
    let path = dir.path().join("pipeline");

    let assembler = VectorAssembler::new(["_c2", "_c3"], "features");
    let model = PipelineModel::new(vec![std::sync::Arc::new(assembler.clone()), std::sync::Arc::new(Identity)]);
    let err = message(model.save(&path));
    assert!(
        err.contains("stage 1") && err.contains("persistence::Identity") && err.contains("cannot be saved"),
        "{err}"
    );
    assert!(err.contains(&*path.join("stages").to_string_lossy()), "the error names the target, not staging: {err}");
    // Nothing is left: the save was staged.
    assert!(listing(dir.path()).is_empty(), "{:?}", listing(dir.path()));

    let model = Pipeline::new()
        .with_transformer(assembler)
        .with_estimator(StandardScaler::new().input_col("features").output_col("scaled"))
        .fit(&friends)
        .expect("fit");
    model.save(&path).expect("save");
    let stage = path.join("stages").join(&listing(&path.join("stages"))[1]);
    let part = stage.join("metadata").join("part-00000");
    let text = std::fs::read_to_string(&part).expect("metadata");
    let edited =
        text.replace("org.apache.spark.ml.feature.StandardScalerModel", "org.apache.spark.ml.feature.Bucketizer");
    std::fs::write(&part, edited).expect("edit");
    let err = message(PipelineModel::load(&path));
    assert!(err.contains("org.apache.spark.ml.feature.Bucketizer") && err.contains("cannot load"), "{err}");
    assert!(err.contains(&*stage.to_string_lossy()), "the error names the stage: {err}");
    std::fs::write(&part, text).expect("restore");
    PipelineModel::load(&path).expect("load");

    // A stage directory that is not there.
    std::fs::remove_dir_all(&stage).expect("remove");
    let err = message(PipelineModel::load(&path));
    assert!(err.contains("no such directory") && err.contains(&*stage.to_string_lossy()), "{err}");
    assert!(message(KMeansModel::load(&path)).contains("saved org.apache.spark.ml.PipelineModel, not a"));
}
