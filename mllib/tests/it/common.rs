//! Shared fixtures: sessions, the iris data as RDDs, the reference figures.

use flint_engine::dataframe::udt::vector_type;
use flint_engine::prelude::*;
use flint_mllib::frame::{array_to_vectors, vectors_to_array};
use flint_mllib::linalg::{Vector, Vectors};
use flint_mllib::regression::LabeledPoint;
use serde_json::Value;

pub fn session() -> Session {
    Session::builder().app_name("mllib-tests").master("local[2]").build().expect("session")
}

/// The reference figures of `datasets/reference/mllib_stat.py`.
pub fn expected() -> Value {
    serde_json::from_str(include_str!("../../../datasets/reference/mllib_stat_expected.json")).expect("json")
}

pub fn floats(v: &Value) -> Vec<f64> {
    v.as_array().expect("array").iter().map(|x| x.as_f64().expect("number")).collect()
}

pub fn matrix(v: &Value) -> Vec<Vec<f64>> {
    v.as_array().expect("array").iter().map(floats).collect()
}

/// Iris as labeled points (features and class index), read by the engine in `partitions` splits.
pub fn iris_points(session: &Session, partitions: usize) -> Rdd<LabeledPoint> {
    let lines = session.text_file(datasets::path("iris.csv"), partitions).expect("iris.csv");
    lines.map(|line| {
        let v: Vec<f64> = line.split(',').map(|x| x.parse().expect("a number")).collect();
        LabeledPoint::new(v[4], Vectors::dense(v[..4].to_vec()))
    })
}

/// Iris's four features, in `partitions` partitions.
pub fn iris(session: &Session, partitions: usize) -> Rdd<Vector> {
    let points = iris_points(session, 1).collect().expect("iris");
    session.parallelize(points.into_iter().map(|p| p.features).collect(), partitions)
}

pub fn assert_all_close(actual: &[f64], expected: &[f64], max_relative: f64) {
    assert_eq!(actual.len(), expected.len(), "{actual:?} vs {expected:?}");
    for (a, e) in actual.iter().zip(expected) {
        approx::assert_relative_eq!(*a, *e, max_relative = max_relative, epsilon = 1e-14);
    }
}

/// The vectors of a column, in row order.
pub fn vectors(df: &DataFrame, column: &str) -> Vec<Vector> {
    let batches = df.select([column]).expect("select").collect_batches().expect("collect");
    batches
        .iter()
        .flat_map(|b| array_to_vectors(b.column(0).as_ref(), column).expect("vectors"))
        .map(|v| v.expect("not null"))
        .collect()
}

/// A DataFrame with one vector column `x` (each vector stored as given: dense or sparse).
pub fn vector_df(session: &Session, vectors: Vec<Vector>) -> DataFrame {
    let array = vectors_to_array(&vectors.into_iter().map(Some).collect::<Vec<_>>());
    let schema = arrow::datatypes::Schema::new(vec![arrow::datatypes::Field::new("x", vector_type(), true)]);
    let batch = arrow::array::RecordBatch::try_new(std::sync::Arc::new(schema), vec![array]).expect("batch");
    session.create_dataframe_from_batches(vec![batch]).expect("df")
}
