//! MLlib lab — k-means on the iris data: assemble the four measurements into vectors, fit k = 3 clusters with
//! k-means‖, and compare the clusters with the species.
//!
//! Run: `cargo run -p flint-mllib --example kmeans_clusters`

use flint_engine::prelude::*;
use flint_mllib::clustering::KMeans;
use flint_mllib::feature::VectorAssembler;
use flint_mllib::pipeline::{Estimator, Pipeline, Transformer};

fn main() -> flint_mllib::Result<()> {
    let session = Session::builder().app_name("KMeansIris").get_or_create()?;
    let iris = session.read().option("inferSchema", true).csv(&datasets::path("iris.csv"))?.to_df([
        "sepal_length",
        "sepal_width",
        "petal_length",
        "petal_width",
        "species",
    ])?;
    let pipeline = Pipeline::new()
        .with_transformer(VectorAssembler::new(
            ["sepal_length", "sepal_width", "petal_length", "petal_width"],
            "features",
        ))
        .with_estimator(KMeans::new().k(3).seed(1));
    let model = pipeline.fit(&iris)?;
    let clustered = model.transform(&iris)?;
    clustered.select(["features", "species", "prediction"])?.show_n(5, false)?;
    clustered.group_by(["prediction", "species"]).count()?.order_by(["prediction", "species"])?.show()?;
    Ok(())
}
