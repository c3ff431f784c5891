//! MLlib lab — statistics: column summaries, Pearson and Spearman correlations, principal components and a
//! chi-square test, on the iris measurements.
//!
//! Run: `cargo run -p flint-mllib --example statistics`

use flint_engine::prelude::*;
use flint_mllib::distributed::RowMatrix;
use flint_mllib::linalg::{DenseMatrix, Vectors};
use flint_mllib::stat::{CorrelationMethod, Statistics};

fn main() -> flint_mllib::Result<()> {
    let session = Session::builder().app_name("Statistics").get_or_create()?;
    let rows = session.text_file(datasets::path("iris.csv"), 2)?.map(|line| {
        let v: Vec<f64> = line.split(',').take(4).filter_map(|x| x.parse().ok()).collect();
        Vectors::dense(v)
    });
    let summary = Statistics::col_stats(&rows)?;
    println!("count    {}", summary.count());
    println!("mean     {}", summary.mean()?);
    println!("variance {}", summary.variance()?);
    println!("min      {}\nmax      {}", summary.min()?, summary.max()?);
    println!("\nPearson correlation:\n{}", Statistics::corr(&rows, CorrelationMethod::Pearson)?);
    println!("\nSpearman correlation:\n{}", Statistics::corr(&rows, CorrelationMethod::Spearman)?);
    let (pc, explained) = RowMatrix::new(rows).compute_principal_components_and_explained_variance(2)?;
    println!("\nprincipal components (columns):\n{pc}\nexplained variance {explained}");
    let table = DenseMatrix::new(3, 2, vec![1.0, 3.0, 5.0, 2.0, 4.0, 6.0])?;
    println!("\n{}", Statistics::chi_sq_test_matrix(&table)?);
    Ok(())
}
