//! `PCA` (Spark ML's): projects a vector column onto its top `k` principal components.
//!
//! The fit is [`RowMatrix::compute_principal_components_and_explained_variance`] (the covariance from one
//! distributed pass, its eigen-decomposition on the driver), so the DataFrame and RDD entry points give the same
//! components. As in Spark, `transform` multiplies by the components without centring: `pcᵀx`.

use super::columns::{add_vector_column, in_out_param, required_in_out, training_rows};
use crate::builder::setters;
use crate::display::number;
use crate::distributed::RowMatrix;
use crate::error::{Error, Result};
use crate::linalg::{DenseMatrix, Vector};
use crate::persistence::{
    Metadata, MlWriter, Persist, Table, Tables, data_table, matrices_to_array, persistable, vector_column,
};
use crate::pipeline::{Estimator, Transformer};
use arrow::array::RecordBatch;
use flint_engine::notebook::Report;
use flint_engine::prelude::*;
use ndarray::Array2;
use serde_json::{Map, Value, json};
use std::sync::Arc;

const ALG: &str = "PCA";

/// Principal component analysis of a vector column (Spark's `PCA`: `k`, `input_col`, `output_col`).
///
/// ```
/// use flint_engine::prelude::*;
/// use flint_mllib::feature::{Pca, VectorAssembler};
/// use flint_mllib::pipeline::{Estimator, Transformer};
///
/// let session = Session::builder().master("local[2]").build()?;
/// // Points on the line y = 2x: one component explains everything.
/// let df = session.create_dataframe(vec![(1.0, 2.0), (2.0, 4.0), (3.0, 6.0)], &["x", "y"])?;
/// let df = VectorAssembler::new(["x", "y"], "features").transform(&df)?;
/// let model = Pca::new().k(1).input_col("features").output_col("pca").fit(&df)?;
/// assert!((model.explained_variance().to_array()[0] - 1.0).abs() < 1e-12);
/// let projected = model.transform(&df)?;
/// assert_eq!(projected.columns(), vec!["x", "y", "features", "pca"]);
/// # Ok::<(), flint_mllib::Error>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct Pca {
    k: Option<usize>,
    input_col: Option<String>,
    output_col: Option<String>,
}

impl Pca {
    /// A PCA with nothing set: `k` and the columns must be given (Spark has no defaults for them).
    pub fn new() -> Self {
        Self::default()
    }

    setters! {
        /// The number of components to keep (at least 1, at most the number of features).
        k: usize,
        /// The vector column to project.
        input_col: Option<&str>,
        /// The column the model adds.
        output_col: Option<&str>,
    }

    /// Fits on an RDD of vectors (the RDD-based MLlib's `PCA(k).fit(rdd)`); the columns are not needed.
    pub fn fit_rdd(&self, rows: &Rdd<Vector>) -> Result<PcaModel> {
        let k = self.k.ok_or_else(|| Error::param(ALG, "k", "not set: the number of components to keep"))?;
        if k == 0 {
            return Err(Error::param(ALG, "k", "must be at least 1"));
        }
        let (pc, explained) = RowMatrix::new(rows.clone()).compute_principal_components_and_explained_variance(k)?;
        Ok(PcaModel {
            pc: Arc::new(pc),
            explained_variance: explained,
            input_col: self.input_col.clone().unwrap_or_else(|| "features".into()),
            output_col: self.output_col.clone().unwrap_or_else(|| "pcaFeatures".into()),
        })
    }
}

impl Estimator for Pca {
    type Model = PcaModel;

    fn fit(&self, df: &DataFrame) -> Result<PcaModel> {
        let (input, output) = required_in_out(ALG, &self.input_col, &self.output_col)?;
        self.fit_rdd(&training_rows(df, &input, &output, ALG)?)
    }
}

/// A fitted PCA: the components (as the columns of a `d × k` matrix) and the share of variance each explains.
#[derive(Debug, Clone)]
pub struct PcaModel {
    pc: Arc<DenseMatrix>,
    explained_variance: Vector,
    input_col: String,
    output_col: String,
}

impl PcaModel {
    /// The principal components, one per column (Spark's `pc`).
    pub fn pc(&self) -> &DenseMatrix {
        &self.pc
    }

    /// The proportion of the variance each component explains (Spark's `explainedVariance`).
    pub fn explained_variance(&self) -> &Vector {
        &self.explained_variance
    }

    /// The projection `pcᵀx` of one vector.
    pub fn project(&self, x: &Vector) -> Result<Vector> {
        let (d, k) = (self.pc.num_rows(), self.pc.num_cols());
        if x.size() != d {
            return Err(Error::data(ALG, format!("a vector of size {} given to a PCA of {d} features", x.size())));
        }
        let values = (0..k).map(|c| x.iter_active().map(|(j, v)| v * self.pc.get(j, c).unwrap_or(0.0)).sum());
        Ok(Vector::Dense(values.collect()))
    }
}

impl Transformer for PcaModel {
    /// Adds the projected vectors; a null vector stays null.
    fn transform(&self, df: &DataFrame) -> Result<DataFrame> {
        let model = self.clone();
        // No size check here: `project` names the PCA's number of features.
        add_vector_column(df, &self.input_col, &self.output_col, "pca_project", ALG, None, move |v| model.project(v))
    }

    fn writer(&self) -> Option<MlWriter<'_>> {
        Some(MlWriter::new(self))
    }
}

/// The notebook form: Spark's `toString`, and the share of the variance each component explains, with the running
/// total.
impl NotebookDisplay for PcaModel {
    fn mime_bundle(&self) -> Vec<(&'static str, String)> {
        let title = format!("PCAModel: k={}, numFeatures={}", self.pc.num_cols(), self.pc.num_rows());
        let header = ["component", "explainedVariance", "cumulative"].map(String::from).to_vec();
        let rows = self
            .explained_variance
            .to_array()
            .iter()
            .scan(0.0, |total, &v| {
                *total += v;
                Some((v, *total))
            })
            .enumerate()
            .map(|(i, (v, total))| vec![format!("PC{}", i + 1), number(v), number(total)])
            .collect();
        Report::new(title).table("explainedVariance", header, rows).mime_bundle()
    }
}

persistable!(PcaModel);

/// Spark's layout: `data/` holds one row `pc: matrix, explainedVariance: vector`.
impl Persist for PcaModel {
    const CLASS: &'static str = "org.apache.spark.ml.feature.PCAModel";

    fn params(&self) -> Map<String, Value> {
        let mut map = Map::new();
        map.insert("k".into(), json!(self.pc.num_cols()));
        in_out_param(&mut map, &self.input_col, &self.output_col);
        map
    }

    fn tables(&self) -> Result<Vec<(&'static str, RecordBatch)>> {
        data_table(vec![
            ("pc", matrices_to_array(std::slice::from_ref(self.pc.as_ref()))),
            ("explainedVariance", vector_column(std::slice::from_ref(&self.explained_variance))),
        ])
    }

    fn from_saved(metadata: &Metadata, tables: &Tables) -> Result<Self> {
        let data = tables.one_row("data", "a PCA model")?;
        let (pc, explained) = (data.value("pc", Table::matrices)?, data.value("explainedVariance", Table::vectors)?);
        if explained.size() != pc.num_cols() {
            return Err(data.error(format!(
                "{} components but {} explained variances",
                pc.num_cols(),
                explained.size()
            )));
        }
        let values = Array2::from_shape_fn((pc.num_rows(), pc.num_cols()), |(i, j)| pc.get(i, j).unwrap_or(0.0));
        Ok(PcaModel {
            pc: Arc::new(DenseMatrix::from_array(values)),
            explained_variance: explained,
            input_col: metadata.string("inputCol", "features")?,
            output_col: metadata.string("outputCol", "pcaFeatures")?,
        })
    }
}
