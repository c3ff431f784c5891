//! Online inference, the product's headline: a fraud model fitted in batch scores a stream of card
//! transactions and flags the suspicious ones as they arrive.
//!
//! The history (`datasets/transactions/train.csv`, 5,000 labelled transactions, 3% frauds) trains a pipeline —
//! `VectorAssembler` → `StandardScaler` → `LogisticRegression` — which is saved and loaded again as a service
//! would. New transactions arrive as CSV files (`datasets/transactions/stream/`, 100 per file, two files per
//! trigger); every micro-batch is scored by the loaded model, and each batch's flagged transactions and catch
//! are printed (the generated data knows which were frauds).
//!
//! Run: `cargo run -p flint-mllib --example fraud_stream`

use arrow::datatypes::{DataType, Field, Schema};
use flint_engine::prelude::*;
use flint_mllib::prelude::*;
use std::sync::Arc;

fn main() -> std::result::Result<(), Box<dyn std::error::Error>> {
    let session = Session::builder().app_name("FraudStream").master("local[2]").get_or_create()?;
    let schema = Arc::new(Schema::new(vec![
        Field::new("id", DataType::Int64, true),
        Field::new("amount", DataType::Float64, true),
        Field::new("hour", DataType::Int64, true),
        Field::new("distance_km", DataType::Float64, true),
        Field::new("foreign", DataType::Int64, true),
        Field::new("fraud", DataType::Int64, true),
    ]));
    let history = session
        .read()
        .schema(Arc::clone(&schema))
        .option("header", true)
        .csv(&datasets::path("transactions/train.csv"))?
        .with_column("label", col("fraud").cast("double")?)?;
    let pipeline = Pipeline::new()
        .with_transformer(VectorAssembler::new(["amount", "hour", "distance_km", "foreign"], "raw"))
        .with_estimator(StandardScaler::new().input_col("raw").output_col("features").with_mean(true))
        .with_estimator(LogisticRegression::new().reg_param(0.01));
    let fitted = pipeline.fit(&history)?;
    let auc = BinaryClassificationEvaluator::new().evaluate(&fitted.transform(&history)?)?;
    println!("fitted on {} transactions, area under ROC on the history {auc:.4}", history.count()?);

    let dir = tempfile::tempdir()?;
    fitted.save(dir.path().join("fraud-model"))?;
    let model = PipelineModel::load(dir.path().join("fraud-model"))?;

    let arriving = session
        .read_stream()
        .schema(schema)
        .option("header", true)
        .option("maxFilesPerTrigger", 2)
        .csv(&datasets::path("transactions/stream"))?;
    let flagged = model.transform(&arriving)?.filter(col("prediction").equal_to(1.0))?.select([
        col("id"),
        col("amount"),
        col("hour"),
        col("distance_km"),
        col("foreign"),
        col("fraud"),
    ])?;
    let query = flagged
        .write_stream()
        .foreach_batch(|batch, id| {
            let rows = batch.collect()?;
            let caught = rows.iter().filter(|r| r.get_at::<i64>(5).is_ok_and(|f| f == 1)).count();
            println!("batch {id}: {} flagged, {caught} of them frauds", rows.len());
            Ok(())
        })
        .start()?;
    query.process_all_available()?;
    let progress = query.recent_progress();
    let scored: u64 = progress.iter().map(|p| p.num_input_rows).sum();
    let median = {
        let mut ms: Vec<u64> = progress.iter().map(|p| p.duration_ms["triggerExecution"]).collect();
        ms.sort_unstable();
        ms[ms.len() / 2]
    };
    println!("{scored} transactions scored in {} micro-batches, median {median} ms each", progress.len());
    query.stop()?;
    Ok(())
}
