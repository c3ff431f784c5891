//! Online inference: fitted models (saved, then loaded, as the course does) score every micro-batch of a
//! stream, and give exactly the predictions they give on the same rows in batch.

use crate::common::*;
use flint_engine::prelude::*;
use flint_engine::streaming::MemoryStream;
use flint_mllib::prelude::*;

const FEATURES: [&str; 3] = ["sepal_length", "sepal_width", "petal_length"];

fn iris_df(session: &Session) -> DataFrame {
    session
        .read()
        .option("inferSchema", true)
        .csv(&flint_engine::datasets::path("iris.csv"))
        .expect("iris.csv")
        .to_df(["sepal_length", "sepal_width", "petal_length", "petal_width", "label"])
        .expect("names")
}

/// The rows of a scored DataFrame as text, sorted (columns `features` and vectors printed as Spark shows them).
fn scored_rows(df: &DataFrame, columns: &[&str]) -> Vec<String> {
    let mut rows: Vec<String> = df
        .select(columns.iter().map(|c| col(c)))
        .and_then(|d| d.collect())
        .expect("rows")
        .iter()
        .map(|r| format!("{r:?}"))
        .collect();
    rows.sort();
    rows
}

#[test]
fn loaded_models_score_a_stream_batch_by_batch_as_they_score_a_batch() {
    let session = session();
    let iris = iris_df(&session);
    let tmp = tempfile::tempdir().expect("tempdir");
    let assembler = VectorAssembler::new(FEATURES, "features");
    let linear = Pipeline::new()
        .with_transformer(assembler.clone())
        .with_estimator(LinearRegression::new().label_col("petal_width"))
        .fit(&iris)
        .expect("fit linear");
    let kmeans =
        Pipeline::new().with_transformer(assembler).with_estimator(KMeans::new().k(3).seed(1)).fit(&iris).expect("fit");
    linear.save(tmp.path().join("linear")).expect("save");
    kmeans.save(tmp.path().join("kmeans")).expect("save");
    let linear = PipelineModel::load(tmp.path().join("linear")).expect("load");
    let kmeans = PipelineModel::load(tmp.path().join("kmeans")).expect("load");

    let input = MemoryStream::new(&session, iris.schema());
    let stream = input.to_df().expect("stream");
    let scored_linear = linear.transform(&stream).expect("transform a stream");
    let scored_kmeans = kmeans.transform(&stream).expect("transform a stream");
    assert!(scored_linear.is_streaming() && scored_kmeans.is_streaming());
    let q1 = scored_linear.write_stream().format("memory").query_name("linear_scores").start().expect("start");
    let q2 = scored_kmeans.write_stream().format("memory").query_name("kmeans_scores").start().expect("start");
    let rows = iris.collect_batches().expect("rows");
    let all = arrow::compute::concat_batches(&iris.schema(), &rows).expect("concat");
    // Three micro-batches of 50 rows.
    for start in [0, 50, 100] {
        input.add_batches(vec![all.slice(start, 50)]).expect("add");
        q1.process_all_available().expect("process");
        q2.process_all_available().expect("process");
    }
    assert_eq!(q1.recent_progress().len(), 3);
    q1.stop().expect("stop");
    q2.stop().expect("stop");
    let columns = ["sepal_length", "sepal_width", "petal_length", "petal_width", "prediction"];
    let batch_linear = linear.transform(&iris).expect("batch");
    let batch_kmeans = kmeans.transform(&iris).expect("batch");
    assert_eq!(
        scored_rows(&session.table("linear_scores").expect("table"), &columns),
        scored_rows(&batch_linear, &columns)
    );
    assert_eq!(
        scored_rows(&session.table("kmeans_scores").expect("table"), &columns),
        scored_rows(&batch_kmeans, &columns)
    );
}
