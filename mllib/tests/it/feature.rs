//! Feature transformers against `datasets/reference/feature_transformers.py`: NumPy (ddof = 1) for
//! StandardScaler, scikit-learn with Spark's constant-feature rule for MinMaxScaler, Counter with Spark's tie rule
//! for StringIndexer, scikit-learn's OneHotEncoder for OneHotEncoder; all confirmed there by PySpark 4.0.1, whose
//! answers to the semantic questions (nulls, NaN, doubles as strings, sparse outputs) are under "spark".

use crate::common::*;
use arrow::array::RecordBatch;
use arrow::datatypes::{Field, Schema};
use flint_engine::prelude::*;
use flint_mllib::feature::{
    HandleInvalid, IndexToString, MinMaxScaler, OneHotEncoder, Pca, PcaModel, StandardScaler, StringIndexer,
    StringOrderType, VectorAssembler,
};
use flint_mllib::frame::array_to_vectors;
use flint_mllib::linalg::{Vector, Vectors};
use flint_mllib::persistence::{MlReadable, MlWritable};
use flint_mllib::pipeline::{Estimator, Pipeline, Transformer};
use serde_json::Value;
use std::sync::Arc;

fn reference() -> Value {
    serde_json::from_str(include_str!("../../../datasets/reference/feature_transformers_expected.json")).expect("json")
}

/// Floats with JSON nulls read as NaN.
fn floats_nan(v: &Value) -> Vec<f64> {
    v.as_array().expect("array").iter().map(|x| x.as_f64().unwrap_or(f64::NAN)).collect()
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array().expect("array").iter().map(|x| x.as_str().expect("string").to_string()).collect()
}

fn lines(name: &str) -> Vec<Vec<String>> {
    let text = std::fs::read_to_string(datasets::path(name)).expect(name);
    text.lines().map(|l| l.split(',').map(str::to_string).collect()).collect()
}

/// Iris: its four features as columns, then `features` (a vector column), and the class as an integer `species`.
fn iris_df(session: &Session) -> DataFrame {
    let rows: Vec<(f64, f64, f64, f64, i64)> = lines("iris.csv")
        .iter()
        .map(|r| {
            let x: Vec<f64> = r[..4].iter().map(|v| v.parse().expect("number")).collect();
            (x[0], x[1], x[2], x[3], r[4].parse().expect("class"))
        })
        .collect();
    let df = session.create_dataframe(rows, &["sl", "sw", "pl", "pw", "species"]).expect("iris");
    VectorAssembler::new(["sl", "sw", "pl", "pw"], "features").transform(&df).expect("assemble")
}

fn assert_rows_close(actual: &[Vector], expected: &Value, what: &str) {
    let expected = expected.as_array().expect("rows");
    assert_eq!(actual.len(), expected.len(), "{what}");
    for (a, e) in actual.iter().zip(expected) {
        let (a, e) = (a.to_array(), floats_nan(e));
        assert_eq!(a.len(), e.len(), "{what}");
        for (x, y) in a.iter().zip(&e) {
            if y.is_nan() {
                assert!(x.is_nan(), "{what}: {x} should be NaN");
            } else {
                approx::assert_relative_eq!(*x, *y, max_relative = 1e-12, epsilon = 1e-12);
            }
        }
    }
}

/// The script's small matrix (NaN for null), one row a vector.
fn matrix_nan(v: &Value) -> Vec<Vec<f64>> {
    v.as_array().expect("rows").iter().map(floats_nan).collect()
}

fn sparse(row: &[f64]) -> Vector {
    Vectors::sparse_from_pairs(row.len(), row.iter().copied().enumerate().filter(|&(_, x)| x != 0.0)).expect("sparse")
}

#[test]
fn standard_scaler_matches_numpy_sample_deviation_on_iris() {
    let session = session();
    let r = reference();
    let iris = &r["standard_scaler"]["iris"];
    let df = iris_df(&session);
    for (key, with_mean, with_std) in
        [("with_std", false, true), ("with_mean", true, false), ("with_mean_with_std", true, true)]
    {
        let model = StandardScaler::new()
            .input_col("features")
            .output_col("scaled")
            .with_mean(with_mean)
            .with_std(with_std)
            .fit(&df)
            .expect("fit");
        assert_all_close(&model.mean().to_array(), &floats(&iris["mean"]), 1e-13);
        assert_all_close(&model.std().to_array(), &floats(&iris["std"]), 1e-13);
        // scikit-learn's population deviation, rescaled by sqrt(n / (n − 1)), is the same sample deviation.
        assert_all_close(&model.std().to_array(), &floats(&iris["sklearn_scale_times_sqrt_n_over_n_minus_1"]), 1e-12);
        let out = model.transform(&df).expect("transform");
        assert_rows_close(&vectors(&out, "scaled"), &iris["outputs"][key], key);
    }
    // Defaults: with_std only.
    let default = StandardScaler::new().input_col("features").output_col("scaled").fit(&df).expect("fit");
    let out = default.transform(&df).expect("transform");
    assert_rows_close(&vectors(&out, "scaled"), &iris["outputs"]["with_std"], "defaults");
}

#[test]
fn standard_scaler_keeps_sparse_vectors_sparse_without_the_mean() {
    let session = session();
    let r = reference();
    let small = &r["standard_scaler"]["small"];
    let rows = matrix_nan(&small["input"]);
    let df = vector_df(&session, rows.iter().map(|x| sparse(x)).collect());
    let model = StandardScaler::new().input_col("x").output_col("y").fit(&df).expect("fit");
    assert_all_close(&model.mean().to_array(), &floats(&small["mean"]), 1e-13);
    // The constant and the all-zero features have zero deviation.
    assert_all_close(&model.std().to_array(), &floats(&small["std"]), 1e-13);
    let out = vectors(&model.transform(&df).expect("transform"), "y");
    assert_rows_close(&out, &small["outputs"]["with_std"], "with_std");
    for (input, output) in rows.iter().zip(&out) {
        // Sparse in, sparse out, with the same stored indices: the constant feature's entries stay, as 0.0.
        assert!(output.is_sparse(), "{output:?}");
        assert_eq!(output.num_actives(), sparse(input).num_actives());
        assert_eq!(output.get(2).expect("feature 2"), 0.0);
    }
    // Spark's output for the first row, stored entries included.
    let spark = &r["spark"]["standard_scaler_sparse_with_std_output"][0];
    assert_eq!(spark.as_str(), Some("(4,[1,2],[0.5063696835418333,0.0])"));
    let shown = model.transform(&df).expect("t").select(["y"]).expect("y").show_string(1, 0, false).expect("show");
    assert!(shown.contains("(4,[1,2],[0.5063696835418333,0.0])"), "{shown}");
    // With the mean, sparse input is centred and so densified, as Spark.
    for (key, with_std) in [("with_mean", false), ("with_mean_with_std", true)] {
        let model = StandardScaler::new().input_col("x").output_col("y").with_mean(true).with_std(with_std);
        let out = vectors(&model.fit(&df).expect("fit").transform(&df).expect("transform"), "y");
        assert!(out.iter().all(|v| !v.is_sparse()), "{key}");
        assert_rows_close(&out, &small["outputs"][key], key);
    }
}

#[test]
fn min_max_scaler_matches_scikit_learn_with_sparks_constant_rule() {
    let session = session();
    let r = reference();
    let df = iris_df(&session);
    for case in r["min_max_scaler"]["iris"].as_array().expect("cases") {
        let (lo, hi) = (case["min"].as_f64().expect("min"), case["max"].as_f64().expect("max"));
        let model =
            MinMaxScaler::new().input_col("features").output_col("scaled").min(lo).max(hi).fit(&df).expect("fit");
        assert_eq!(model.original_min().to_array(), floats(&case["original_min"]));
        assert_eq!(model.original_max().to_array(), floats(&case["original_max"]));
        let out = vectors(&model.transform(&df).expect("transform"), "scaled");
        assert_rows_close(&out, &case["rows"], &format!("[{lo}, {hi}]"));
    }
    // Sparse input with a NaN, a constant feature (2.0) and an all-zero one, onto [-1, 1].
    let case = &r["min_max_scaler"]["small_nan"];
    let rows = matrix_nan(&case["input"]);
    assert!(rows[2][1].is_nan());
    let df = vector_df(&session, rows.iter().map(|x| sparse(x)).collect());
    let model = MinMaxScaler::new().input_col("x").output_col("y").min(-1.0).max(1.0).fit(&df).expect("fit");
    // NaN is skipped by the fit.
    assert_eq!(model.original_min().to_array(), floats(&case["original_min"]));
    assert_eq!(model.original_max().to_array(), floats(&case["original_max"]));
    let out = vectors(&model.transform(&df).expect("transform"), "y");
    // NaN is kept; the constant features go to (max + min) / 2 = 0, where scikit-learn gives min.
    assert_rows_close(&out, &case["rows"], "small_nan");
    assert_eq!(floats(&case["sklearn_constant_output"]), vec![-1.0]);
    assert!(out.iter().all(|v| v.get(2).expect("feature 2") == 0.0 && v.get(3).expect("feature 3") == 0.0));
    // Outputs are compressed as Spark's: the first row has one non-zero of four.
    let spark = strings(&r["spark"]["min_max_scaler_sparse_output"]);
    assert_eq!(spark[0], "(4,[0],[-1.0])");
    assert!(out[0].is_sparse() && out[0].to_array() == vec![-1.0, 0.0, 0.0, 0.0], "{:?}", out[0]);
    assert!(!out[1].is_sparse());
}

#[test]
fn scaler_parameters_and_columns_are_checked() {
    let session = session();
    let df = iris_df(&session);
    let err = MinMaxScaler::new().input_col("features").output_col("s").min(1.0).max(1.0).fit(&df).expect_err("min");
    assert!(
        err.to_string().contains("invalid parameter `min` of MinMaxScaler: min = 1 must be below max = 1"),
        "{err}"
    );
    let err = MinMaxScaler::new().input_col("features").output_col("s").min(2.0).fit(&df).expect_err("min > max");
    assert!(err.to_string().contains("`min`"), "{err}");
    let err = StandardScaler::new().output_col("s").fit(&df).expect_err("no input");
    assert!(err.to_string().contains("invalid parameter `input_col` of StandardScaler"), "{err}");
    // A numeric column is not a vector column.
    let err = StandardScaler::new().input_col("sl").output_col("s").fit(&df).expect_err("type");
    assert!(err.to_string().contains("input column `sl` is Float64, but a vector column is expected"), "{err}");
    let err = MinMaxScaler::new().input_col("nope").output_col("s").fit(&df).expect_err("missing");
    assert!(err.to_string().contains("input column `nope` does not exist"), "{err}");
    let err = StandardScaler::new().input_col("features").output_col("sl").fit(&df).expect_err("exists");
    assert!(err.to_string().contains("output column `sl` already exists"), "{err}");
    // NaN makes the mean undefined: refused, naming the feature.
    let nan = vector_df(&session, vec![Vectors::dense(vec![1.0, f64::NAN]), Vectors::dense(vec![2.0, 1.0])]);
    let err = StandardScaler::new().input_col("x").output_col("y").fit(&nan).expect_err("NaN");
    assert!(err.to_string().contains("feature 1 of column `x` holds NaN"), "{err}");
    // A model applied to vectors of another size fails the query with its message.
    let model = StandardScaler::new()
        .input_col("x")
        .output_col("y")
        .fit(&vector_df(&session, vec![Vectors::dense(vec![1.0]), Vectors::dense(vec![3.0])]))
        .expect("fit");
    let err = model.transform(&nan).expect("plan").collect().expect_err("size");
    assert!(
        err.to_string().contains("column `x` holds a vector of size 2, but the model was fitted on size 1"),
        "{err}"
    );
}

#[test]
fn string_indexer_orders_labels_as_spark_does() {
    let session = session();
    let r = reference();
    let friends = lines("fakefriends.csv");
    let weather = lines("1800.csv");
    let friends_df = session
        .create_dataframe(
            friends.iter().map(|f| (f[1].clone(), f[2].parse::<i64>().expect("age"))).collect(),
            &["name", "age"],
        )
        .expect("friends");
    let weather_df = session
        .create_dataframe(weather.iter().map(|w| (w[0].clone(), w[2].clone())).collect(), &["station", "element"])
        .expect("weather");
    let iris = iris_df(&session);
    let cases = [
        ("fakefriends_name", &friends_df, "name"),
        // An integer column: labels are its decimal strings, ordered as strings.
        ("fakefriends_age", &friends_df, "age"),
        // A double column: labels are Java's strings of the doubles ("5.0").
        ("iris_sepal_length", &iris, "sl"),
        // Two labels, and three, of equal frequency: the tie rule decides the whole order.
        ("weather_station", &weather_df, "station"),
        ("weather_element", &weather_df, "element"),
    ];
    for (name, df, column) in cases {
        for order in ["frequencyDesc", "frequencyAsc", "alphabetDesc", "alphabetAsc"] {
            let model = StringIndexer::new()
                .input_col(column)
                .output_col("index")
                .string_order_type(order.parse::<StringOrderType>().expect("order"))
                .fit(df)
                .expect("fit");
            assert_eq!(model.labels(), strings(&r["string_indexer"][name][order]), "{name}, {order}");
        }
    }
    // The first indices of the names, by the default order.
    let model = StringIndexer::new().input_col("name").output_col("index").fit(&friends_df).expect("fit");
    let rows = model.transform(&friends_df).expect("transform").limit(20).expect("limit").collect().expect("rows");
    let got: Vec<f64> = rows.iter().map(|r| r.get_as::<f64>("index").expect("index")).collect();
    let want: Vec<f64> = r["string_indexer"]["fakefriends_name_first_indices"]
        .as_array()
        .expect("indices")
        .iter()
        .map(|v| v.as_f64().expect("index"))
        .collect();
    assert_eq!(got, want);
    // Several columns at once, each with its own labels.
    let both = StringIndexer::new()
        .input_cols(["station", "element"])
        .output_cols(["station_index", "element_index"])
        .fit(&weather_df)
        .expect("fit");
    assert_eq!(both.labels_array()[0], strings(&r["string_indexer"]["weather_station"]["frequencyDesc"]));
    assert_eq!(both.labels_array()[1], strings(&r["string_indexer"]["weather_element"]["frequencyDesc"]));
}

#[test]
fn string_indexer_handles_nulls_nan_and_unseen_labels_as_spark_does() {
    let session = session();
    let r = reference();
    let spark = &r["spark"];
    let df = session.create_dataframe(vec![(Some("a"),), (Some("b"),), (None,), (Some("a"),)], &["c"]).expect("df");
    let model = StringIndexer::new().input_col("c").output_col("i").fit(&df).expect("fit");
    // Nulls are not labels.
    assert_eq!(model.labels(), strings(&spark["string_indexer_null_fit_labels"]));
    let index = |how: HandleInvalid, df: &DataFrame| -> Result<Vec<f64>> {
        let rows = model.clone().handle_invalid(how).transform(df).expect("plan").collect()?;
        Ok(rows.iter().map(|r| r.get_as::<f64>("i").expect("i")).collect())
    };
    assert_eq!(index(HandleInvalid::Keep, &df).expect("keep"), floats(&spark["string_indexer_null_keep"]));
    assert_eq!(
        index(HandleInvalid::Skip, &df).expect("skip").len() as u64,
        spark["string_indexer_null_skip_rows"].as_u64().expect("n")
    );
    let err = index(HandleInvalid::Error, &df).expect_err("null");
    assert!(err.to_string().contains("encountered a null in column `c`"), "{err}");
    assert_eq!(spark["string_indexer_null_error"], Value::Bool(true));
    // An unseen label.
    let unseen = session.create_dataframe(vec![("a",), ("z",), ("b",)], &["c"]).expect("df");
    let err = index(HandleInvalid::Error, &unseen).expect_err("unseen");
    assert!(err.to_string().contains("unseen label `z` in column `c`; set handle_invalid to keep or skip"), "{err}");
    assert_eq!(index(HandleInvalid::Keep, &unseen).expect("keep"), vec![0.0, 2.0, 1.0]);
    assert_eq!(index(HandleInvalid::Skip, &unseen).expect("skip"), vec![0.0, 1.0]);
    // Doubles as Java prints them; NaN not counted by the fit, invalid in the transform.
    let doubles =
        session.create_dataframe(vec![(1e7,), (1.5e-4,), (f64::NAN,), (2.0,), (2.0,)], &["c"]).expect("doubles");
    let model = StringIndexer::new().input_col("c").output_col("i").fit(&doubles).expect("fit");
    assert_eq!(model.labels(), strings(&spark["string_indexer_double_labels"]));
    let kept = model.handle_invalid(HandleInvalid::Keep).transform(&doubles).expect("t").collect().expect("rows");
    let kept: Vec<f64> = kept.iter().map(|r| r.get_as::<f64>("i").expect("i")).collect();
    assert_eq!(kept, floats(&spark["string_indexer_nan_keep"]));
    // Back to labels.
    let model = StringIndexer::new().input_col("c").output_col("i").fit(&unseen).expect("fit");
    let back = model.index_to_string("label").transform(&model.transform(&unseen).expect("t")).expect("back");
    let labels: Vec<String> =
        back.collect().expect("rows").iter().map(|r| r.get_as::<String>("label").expect("l")).collect();
    assert_eq!(labels, vec!["a", "z", "b"]);
    let err = IndexToString::new()
        .input_col("i")
        .output_col("l")
        .labels(vec!["x".into()])
        .transform(&session.create_dataframe(vec![(3.0,)], &["i"]).expect("df"))
        .expect("plan")
        .collect()
        .expect_err("index");
    assert!(err.to_string().contains("unseen index 3 in column `i`"), "{err}");
}

#[test]
fn string_indexer_parameters_and_columns_are_checked() {
    let session = session();
    let df = session.create_dataframe(vec![("a", true, 1.0)], &["s", "flag", "x"]).expect("df");
    let err = StringIndexer::new().input_col("flag").output_col("i").fit(&df).expect_err("type");
    assert!(
        err.to_string().contains("input column `flag` is Boolean, but a string or numeric column is expected"),
        "{err}"
    );
    let err = StringIndexer::new().input_col("s").input_cols(["x"]).output_cols(["i"]).fit(&df).expect_err("both");
    assert!(err.to_string().contains("set either input_col or input_cols, not both"), "{err}");
    let err = StringIndexer::new().input_cols(["s", "x"]).output_cols(["i"]).fit(&df).expect_err("lengths");
    assert!(
        err.to_string().contains("invalid parameter `output_cols` of StringIndexer: 1 output columns for 2"),
        "{err}"
    );
    let err = StringIndexer::new().input_col("s").fit(&df).expect_err("output");
    assert!(err.to_string().contains("`output_col`"), "{err}");
    let err = StringIndexer::new().input_col("missing").output_col("i").fit(&df).expect_err("missing");
    assert!(err.to_string().contains("input column `missing` does not exist"), "{err}");
    assert!("byFrequency".parse::<StringOrderType>().expect_err("order").to_string().contains("frequencyDesc"));
}

/// Columns `i0`, `i1`… of doubles.
fn index_df(session: &Session, rows: &Value) -> DataFrame {
    let rows: Vec<Vec<f64>> = rows.as_array().expect("rows").iter().map(floats).collect();
    let names: Vec<String> = (0..rows[0].len()).map(|j| format!("i{j}")).collect();
    let columns: Vec<arrow::array::ArrayRef> = (0..rows[0].len())
        .map(|j| Arc::new(arrow::array::Float64Array::from(rows.iter().map(|r| r[j]).collect::<Vec<_>>())) as _)
        .collect();
    let fields: Vec<Field> = names.iter().map(|n| Field::new(n, arrow::datatypes::DataType::Float64, true)).collect();
    let batch = RecordBatch::try_new(Arc::new(Schema::new(fields)), columns).expect("batch");
    session.create_dataframe_from_batches(vec![batch]).expect("df")
}

/// Each row's encodings, concatenated and dense.
fn encoded(df: &DataFrame, outputs: &[&str]) -> Vec<Vec<f64>> {
    let per_column: Vec<Vec<Vector>> = outputs.iter().map(|c| vectors(df, c)).collect();
    (0..per_column[0].len())
        .map(|row| {
            let all: Vec<Vector> = per_column.iter().map(|c| c[row].clone()).collect();
            assert!(all.iter().all(Vector::is_sparse), "sparse output");
            all.iter().flat_map(Vector::to_array).collect()
        })
        .collect()
}

#[test]
fn one_hot_encoder_matches_scikit_learn() {
    let session = session();
    let r = reference();
    let weather = lines("1800.csv");
    let weather_df = session
        .create_dataframe(weather.iter().map(|w| (w[2].clone(), w[0].clone())).collect(), &["element", "station"])
        .expect("weather");
    // The scripts' indices: StringIndexer's, by frequency (ties by string order).
    let indexed = StringIndexer::new()
        .input_cols(["element", "station"])
        .output_cols(["i0", "i1"])
        .fit(&weather_df)
        .expect("index")
        .transform(&weather_df)
        .expect("indexed");
    let iris = iris_df(&session).with_column_renamed("species", "i0").expect("rename");
    for (name, df, outputs) in [("weather", indexed, vec!["v0", "v1"]), ("iris_species", iris, vec!["v0"])] {
        let case = &r["one_hot_encoder"][name];
        let inputs: Vec<String> = (0..outputs.len()).map(|j| format!("i{j}")).collect();
        let sizes: Vec<usize> = case["category_sizes"]
            .as_array()
            .expect("sizes")
            .iter()
            .map(|s| s.as_u64().expect("size") as usize)
            .collect();
        for (drop_last, rows_key, sums_key) in
            [(true, "first_rows_drop_last", "column_sums_drop_last"), (false, "first_rows", "column_sums")]
        {
            let encoder =
                OneHotEncoder::new().input_cols(inputs.clone()).output_cols(outputs.clone()).drop_last(drop_last);
            let model = encoder.fit(&df).expect("fit");
            assert_eq!(model.category_sizes(), sizes, "{name}");
            let rows = encoded(&model.transform(&df).expect("transform"), &outputs);
            let first: Vec<Vec<f64>> = case[rows_key].as_array().expect("rows").iter().map(floats).collect();
            assert_eq!(rows[..12].to_vec(), first, "{name}, drop_last {drop_last}");
            let sums: Vec<f64> = (0..first[0].len()).map(|j| rows.iter().map(|r| r[j]).sum()).collect();
            assert_eq!(sums, floats(&case[sums_key]), "{name}, drop_last {drop_last}");
        }
        // Indices not seen in training, kept: all zeros with drop_last (scikit-learn's handle_unknown="ignore"),
        // an extra category without.
        let unseen = index_df(&session, &case["unseen"]);
        for (drop_last, key) in [(true, "keep_drop_last"), (false, "keep")] {
            let model = OneHotEncoder::new()
                .input_cols(inputs.clone())
                .output_cols(outputs.clone())
                .drop_last(drop_last)
                .handle_invalid(HandleInvalid::Keep)
                .fit(&df)
                .expect("fit");
            let rows = encoded(&model.transform(&unseen).expect("transform"), &outputs);
            let want: Vec<Vec<f64>> = case[key].as_array().expect("rows").iter().map(floats).collect();
            assert_eq!(rows, want, "{name}, {key}");
        }
    }
}

#[test]
fn one_hot_encoder_rejects_invalid_indices() {
    let session = session();
    let r = reference();
    let fit_df = session.create_dataframe(vec![(0.0,), (1.0,), (2.0,)], &["i"]).expect("df");
    let encoder = OneHotEncoder::new().input_col("i").output_col("v");
    // The fit wants whole numbers ≥ 0, as Spark's ("must be indices").
    assert_eq!(r["spark"]["one_hot_fit_fraction_error"], Value::Bool(true));
    let fraction = session.create_dataframe(vec![(0.0,), (1.5,)], &["i"]).expect("df");
    let err = encoder.fit(&fraction).expect_err("fraction");
    assert!(err.to_string().contains("values of column `i` must be indices (whole numbers ≥ 0), but got 1.5"), "{err}");
    let negative = session.create_dataframe(vec![(-1i64,)], &["i"]).expect("df");
    assert!(encoder.fit(&negative).expect_err("negative").to_string().contains("but got -1"));
    // Unseen and negative indices in the transform.
    let model = encoder.fit(&fit_df).expect("fit");
    assert_eq!(model.category_sizes(), [3]);
    for (value, why) in
        [(3.0, "an index not seen in training"), (-1.0, "a negative index"), (0.5, "not a whole number")]
    {
        let df = session.create_dataframe(vec![(value,)], &["i"]).expect("df");
        let err = model.transform(&df).expect("plan").collect().expect_err("invalid");
        assert!(err.to_string().contains(&format!("invalid value {value} in column `i` ({why}")), "{err}");
    }
    // A null index gives a null vector, as Spark's.
    assert_eq!(r["spark"]["one_hot_transform_fraction_and_null"][1], "None");
    let nulls = session.create_dataframe(vec![(Some(1.0),), (None,)], &["i"]).expect("df");
    let out = model.transform(&nulls).expect("t").select(["v"]).expect("v").collect_batches().expect("rows");
    let got = array_to_vectors(out[0].column(0).as_ref(), "v").expect("vectors");
    assert_eq!(got, vec![Some(Vectors::sparse(2, vec![1], vec![1.0]).expect("v")), None]);
    // Parameters and columns.
    let err = OneHotEncoder::new().input_col("i").output_col("v").handle_invalid(HandleInvalid::Skip).fit(&fit_df);
    assert!(err.expect_err("skip").to_string().contains("invalid parameter `handle_invalid` of OneHotEncoder"));
    let strings_df = session.create_dataframe(vec![("a",)], &["i"]).expect("df");
    let err = encoder.fit(&strings_df).expect_err("type");
    assert!(err.to_string().contains("input column `i` is Utf8, but a numeric column is expected"), "{err}");
    let err = OneHotEncoder::new().input_cols(["i"]).output_cols(["v", "w"]).fit(&fit_df).expect_err("lengths");
    assert!(err.to_string().contains("`output_cols`"), "{err}");
}

#[test]
fn a_pipeline_indexes_encodes_assembles_scales_and_clusters() {
    use flint_mllib::clustering::KMeans;
    let session = session();
    let friends = lines("fakefriends.csv");
    let df = session
        .create_dataframe(
            friends
                .iter()
                .map(|f| (f[1].clone(), f[2].parse::<f64>().expect("age"), f[3].parse::<f64>().expect("friends")))
                .collect(),
            &["name", "age", "friends"],
        )
        .expect("friends");
    let pipeline = Pipeline::new()
        .with_estimator(StringIndexer::new().input_col("name").output_col("name_index"))
        .with_estimator(OneHotEncoder::new().input_col("name_index").output_col("name_vector"))
        .with_transformer(VectorAssembler::new(["name_vector", "age", "friends"], "raw"))
        .with_estimator(StandardScaler::new().input_col("raw").output_col("features").with_mean(true))
        .with_estimator(KMeans::new().k(3).seed(7));
    let model = pipeline.fit(&df).expect("fit");
    let scored = model.transform(&df).expect("transform");
    assert_eq!(
        scored.columns(),
        vec!["name", "age", "friends", "name_index", "name_vector", "raw", "features", "prediction"]
    );
    let names = friends.iter().map(|f| f[1].as_str()).collect::<std::collections::HashSet<_>>().len();
    let features = vectors(&scored, "features");
    assert_eq!(features.len(), 500);
    // One column per name but the last, then age and friends; centred, so every feature has mean ~0.
    assert!(features.iter().all(|v| v.size() == names - 1 + 2));
    for j in [names - 1, names] {
        let mean = features.iter().map(|v| v.get(j).expect("feature")).sum::<f64>() / 500.0;
        assert!(mean.abs() < 1e-12, "feature {j}: {mean}");
    }
    let clusters = scored.group_by([col("prediction")]).count().expect("count").count().expect("groups");
    assert_eq!(clusters, 3);
}

#[test]
fn pca_on_a_vector_column_matches_scikit_learn_and_projects_without_centring() {
    let session = session();
    let df = iris_df(&session);
    let e = expected();
    let model = Pca::new().k(2).input_col("features").output_col("pca").fit(&df).expect("fit");
    // scikit-learn's explained_variance_ratio_ and components_ (datasets/reference/mllib_stat.py).
    assert_all_close(&model.explained_variance().to_array(), &floats(&e["iris_pca"]["explained_variance_ratio"]), 1e-9);
    for (c, component) in matrix(&e["iris_pca"]["components"]).iter().enumerate() {
        let actual: Vec<f64> = (0..4).map(|j| model.pc().get(j, c).expect("pc")).collect();
        assert_all_close(&actual, component, 1e-9);
    }
    // Spark's transform is pcᵀx, not scikit-learn's pcᵀ(x − mean): worked from the reference components.
    let projected = vectors(&model.transform(&df).expect("transform"), "pca");
    let first = [5.1, 3.5, 1.4, 0.2];
    for (c, component) in matrix(&e["iris_pca"]["components"]).iter().enumerate() {
        let want: f64 = component.iter().zip(first).map(|(p, x)| p * x).sum();
        approx::assert_relative_eq!(projected[0].get(c).expect("pca"), want, max_relative = 1e-9);
    }
    assert_eq!(projected.len(), 150);

    let dir = tempfile::tempdir().expect("tempdir");
    model.save(dir.path().join("pca")).expect("save");
    let loaded = PcaModel::load(dir.path().join("pca")).expect("load");
    assert_eq!(loaded.pc(), model.pc());
    assert_eq!(vectors(&loaded.transform(&df).expect("transform"), "pca"), projected);

    let err = Pca::new().k(5).input_col("features").output_col("p").fit(&df).expect_err("k > 4").to_string();
    assert!(err.contains("`k`") && err.contains("[1, 4]"), "{err}");
    let err = Pca::new().input_col("features").output_col("p").fit(&df).expect_err("no k").to_string();
    assert!(err.contains("`k`") && err.contains("not set"), "{err}");
}
