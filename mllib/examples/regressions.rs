//! MLlib lab — regressions: linear regression on the diabetes data and logistic regression on the breast-cancer
//! data, each fitted on 80% of the rows and evaluated on the other 20% with Spark's evaluators; the logistic
//! pipeline is saved, loaded back and scores the held-out rows again.
//!
//! Run: `cargo run -p flint-mllib --example regressions`

use flint_engine::prelude::*;
use flint_mllib::classification::LogisticRegression;
use flint_mllib::evaluation::{
    BinaryClassificationEvaluator, Evaluator, MulticlassClassificationEvaluator, RegressionEvaluator,
};
use flint_mllib::feature::{StandardScaler, VectorAssembler};
use flint_mllib::persistence::{MlReadable, MlWritable};
use flint_mllib::pipeline::{Estimator, Pipeline, PipelineModel, Transformer};
use flint_mllib::regression::LinearRegression;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let session = Session::builder().app_name("Regressions").get_or_create()?;

    // Diabetes: ten standardised measurements and a disease-progression score one year later.
    let columns = ["age", "sex", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s6"];
    let diabetes = session
        .read()
        .option("inferSchema", true)
        .csv(&datasets::path("diabetes.csv"))?
        .to_df(columns.iter().copied().chain(["label"]))?;
    let diabetes = VectorAssembler::new(columns, "features").transform(&diabetes)?;
    let split = diabetes.random_split(&[0.8, 0.2], 42)?;
    let model = LinearRegression::new().reg_param(0.1).elastic_net_param(0.5).fit(&split[0])?;
    println!("linear regression: intercept {:.3}, coefficients {}", model.intercept(), model.coefficients());
    let predictions = model.transform(&split[1])?;
    for metric in ["rmse", "r2"] {
        let value = RegressionEvaluator::new().metric_name(metric).evaluate(&predictions)?;
        println!("  held-out {metric}: {value:.4}");
    }

    // Breast cancer: thirty measurements of a tumour, label 1 for benign.
    let cancer = session.read().option("inferSchema", true).csv(&datasets::path("breast_cancer.csv"))?;
    let measurements: Vec<String> = (0..30).map(|i| format!("_c{i}")).collect();
    let cancer = cancer.with_column_renamed("_c30", "label")?;
    let split = cancer.random_split(&[0.8, 0.2], 42)?;
    let pipeline = Pipeline::new()
        .with_transformer(VectorAssembler::new(measurements.iter().map(String::as_str), "raw"))
        .with_estimator(StandardScaler::new().input_col("raw").output_col("features"))
        .with_estimator(LogisticRegression::new().reg_param(0.01));
    let model = pipeline.fit(&split[0])?;
    let scored = model.transform(&split[1])?;
    scored.select(["label", "probability", "prediction"])?.show_n(5, false)?;
    let auc = BinaryClassificationEvaluator::new().evaluate(&scored)?;
    let accuracy = MulticlassClassificationEvaluator::new().metric_name("accuracy").evaluate(&scored)?;
    println!("logistic regression: held-out area under ROC {auc:.4}, accuracy {accuracy:.4}");

    let dir = tempfile::tempdir()?;
    let path = dir.path().join("breast-cancer-model");
    model.save(&path)?;
    let loaded = PipelineModel::load(&path)?;
    let again = BinaryClassificationEvaluator::new().evaluate(&loaded.transform(&split[1])?)?;
    println!("  the saved pipeline, loaded back from {}: area under ROC {again:.4}", path.display());
    Ok(())
}
