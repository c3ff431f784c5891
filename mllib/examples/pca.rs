//! MLlib lab — principal components of the iris measurements: how much of the variance two components keep, and
//! the flowers projected onto them (the DataFrame estimator and the RDD-based `RowMatrix` give the same answer).
//!
//! Run: `cargo run -p flint-mllib --example pca`

use flint_engine::prelude::*;
use flint_mllib::distributed::RowMatrix;
use flint_mllib::feature::{Pca, VectorAssembler};
use flint_mllib::frame::array_to_vectors;
use flint_mllib::linalg::Vector;
use flint_mllib::pipeline::{Estimator, Transformer};

fn main() -> flint_mllib::Result<()> {
    let session = Session::builder().app_name("PcaIris").get_or_create()?;
    let measures = ["sepal_length", "sepal_width", "petal_length", "petal_width"];
    let iris = session
        .read()
        .option("inferSchema", true)
        .csv(&datasets::path("iris.csv"))?
        .to_df(measures.iter().copied().chain(["species"]))?;
    let iris = VectorAssembler::new(measures, "features").transform(&iris)?;

    let model = Pca::new().k(2).input_col("features").output_col("pca").fit(&iris)?;
    println!("explained variance: {}", model.explained_variance());
    println!("components (one per column):\n{}", model.pc());
    model.transform(&iris)?.select(["species", "pca"])?.show_n(5, false)?;

    // The RDD-based API on the same rows.
    let mut rows: Vec<Vector> = Vec::new();
    for batch in iris.select(["features"])?.collect_batches()? {
        rows.extend(array_to_vectors(batch.column(0).as_ref(), "features")?.into_iter().flatten());
    }
    let matrix = RowMatrix::new(session.parallelize(rows, 2));
    let (_, explained) = matrix.compute_principal_components_and_explained_variance(2)?;
    println!("RowMatrix explained variance: {explained}");
    Ok(())
}
