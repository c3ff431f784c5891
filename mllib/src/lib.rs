//! # Flint MLlib
//!
//! Spark's machine-learning library on Flint's engine: local linear algebra, statistics, and estimators that fit
//! on RDDs and DataFrames and score them, batch or streaming.
//!
//! ## Layers
//! ```text
//!  linalg        Vector (dense | sparse), DenseMatrix, SparseMatrix, decompositions    (imports nothing of engine)
//!  distributed   RowMatrix over an Rdd<Vector>: Gramian, covariance, SVD, principal components
//!  stat          column summaries, Pearson/Spearman correlation, chi-square tests
//!  regression    LabeledPoint, LinearRegression (Spark's normal-equation solver, elastic net),
//!                StreamingLinearRegressionWithSGD
//!  classification  LogisticRegression (binomial and multinomial; L-BFGS / OWL-QN),
//!                StreamingLogisticRegressionWithSGD
//!  clustering    KMeans (k-means‖ initialisation, parallel Lloyd iterations), StreamingKMeans
//!  display       (internal) how fitted models show in notebooks (each model is a NotebookDisplay)
//!  evaluation    evaluators: regression, binary and multiclass classification, clustering (silhouette)
//!  feature       VectorAssembler
//!                StandardScaler, MinMaxScaler, StringIndexer, IndexToString, OneHotEncoder, PCA
//!  frame         vector columns in DataFrames (Spark's VectorUDT layout), scoring functions
//!  persistence   save/load of models and pipelines in Spark's layout (metadata JSON + Parquet)
//!  pipeline      Estimator, Transformer, Pipeline
//!  plot          (internal) charts of models: k-means clusters, regression residuals, PCA's explained variance
//!  recommendation  ALS (blocked, parallel alternating least squares)
//!  streaming     (internal) the model the streaming algorithms share between the query that trains it and scoring
//! ```
//! Every distributed computation is an aggregation over the engine's partitions (one task per partition on
//! the session's pool); only small `n × n` results come back to the driver, where [`linalg`] finishes.
//!
//! The streaming algorithms (Spark's `StreamingKMeans`, `StreamingLinearRegressionWithSGD`,
//! `StreamingLogisticRegressionWithSGD`) update one model per micro-batch of a Structured Streaming query
//! (`train_on`) and score streams with the model current at each batch (`predict_on`).
//!
//! ## Quick start
//! ```
//! use flint_engine::prelude::*;
//! use flint_mllib::distributed::RowMatrix;
//! use flint_mllib::linalg::Vectors;
//!
//! let session = Session::builder().master("local[2]").build()?;
//! let rows = session.parallelize(
//!     vec![Vectors::dense(vec![2.0, 0.0]), Vectors::dense(vec![0.0, 1.0]), Vectors::dense(vec![-2.0, -1.0])],
//!     2,
//! );
//! let (pc, explained) = RowMatrix::new(rows).compute_principal_components_and_explained_variance(1)?;
//! assert_eq!(pc.num_rows(), 2);
//! assert!(explained.to_array()[0] > 0.5);
//! # Ok::<(), flint_mllib::Error>(())
//! ```

mod blocks;
mod builder;
pub mod classification;
pub mod clustering;
mod display;
pub mod distributed;
mod error;
pub mod evaluation;
pub mod feature;
pub mod frame;
pub mod linalg;
mod optim;
pub mod persistence;
pub mod pipeline;
mod plot;
pub mod recommendation;
pub mod regression;
pub mod stat;
mod streaming;

pub use error::{Error, Result};
pub use flint_engine;

/// Everything a lab needs from MLlib: `use flint_mllib::prelude::*;`.
pub mod prelude {
    pub use crate::classification::{LogisticRegression, LogisticRegressionModel, StreamingLogisticRegressionWithSGD};
    pub use crate::clustering::{
        DistanceMeasure, InitMode, KMeans, KMeansModel, StreamingKMeans, StreamingKMeansModel, TimeUnit,
    };
    pub use crate::distributed::{RowMatrix, SingularValueDecomposition};
    pub use crate::evaluation::{
        BinaryClassificationEvaluator, ClusteringEvaluator, Evaluator, MulticlassClassificationEvaluator,
        RegressionEvaluator,
    };
    pub use crate::feature::{HandleInvalid, VectorAssembler};
    pub use crate::feature::{
        IndexToString, MinMaxScaler, MinMaxScalerModel, OneHotEncoder, OneHotEncoderModel, Pca, PcaModel,
        StandardScaler, StandardScalerModel, StringIndexer, StringIndexerModel, StringOrderType,
    };
    pub use crate::linalg::{DenseMatrix, SparseMatrix, Vector, Vectors};
    pub use crate::persistence::{MlReadable, MlWritable};
    pub use crate::pipeline::{Estimator, Pipeline, PipelineModel, Transformer};
    pub use crate::recommendation::{Als, AlsModel, ColdStartStrategy, Rating};
    pub use crate::regression::{
        LabeledPoint, LinearRegression, LinearRegressionModel, StreamingLinearAlgorithm,
        StreamingLinearRegressionWithSGD,
    };
    pub use crate::stat::{ChiSqTestResult, CorrelationMethod, MultivariateStatisticalSummary, Statistics};
}
