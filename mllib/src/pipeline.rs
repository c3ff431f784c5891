//! Spark ML's shapes: an [`Estimator`] fits a model on a DataFrame; a model is a [`Transformer`] that adds
//! columns; a [`Pipeline`] chains transformers and estimators and is itself an estimator.

use crate::error::Result;
use flint_engine::prelude::*;
use std::fmt;
use std::sync::Arc;

/// Turns a DataFrame into another, lazily (Spark's `Transformer`): models add their prediction columns, feature
/// transformers their output columns. The result is a plan, so it also scores streaming micro-batches.
pub trait Transformer: Send + Sync {
    /// The DataFrame with this transformer's columns added.
    fn transform(&self, df: &DataFrame) -> Result<DataFrame>;
}

/// Fits a model on a DataFrame (Spark's `Estimator`).
pub trait Estimator {
    /// The fitted model.
    type Model: Transformer + 'static;
    /// Fits the model; hyperparameters are validated first.
    fn fit(&self, df: &DataFrame) -> Result<Self::Model>;
}

/// An estimator with its model type erased, so pipelines can hold any.
trait AnyEstimator: Send + Sync {
    fn fit_any(&self, df: &DataFrame) -> Result<Arc<dyn Transformer>>;
}

impl<E: Estimator + Send + Sync> AnyEstimator for E {
    fn fit_any(&self, df: &DataFrame) -> Result<Arc<dyn Transformer>> {
        Ok(Arc::new(self.fit(df)?))
    }
}

#[derive(Clone)]
enum Stage {
    Transformer(Arc<dyn Transformer>),
    Estimator(Arc<dyn AnyEstimator>),
}

/// Stages run in order (Spark's `Pipeline`): fitting it fits each estimator on the output of the stages before
/// it, and gives a [`PipelineModel`] of transformers.
///
/// ```
/// use flint_engine::prelude::*;
/// use flint_mllib::clustering::KMeans;
/// use flint_mllib::feature::VectorAssembler;
/// use flint_mllib::pipeline::{Estimator, Pipeline, Transformer};
///
/// let session = Session::builder().master("local[2]").build()?;
/// let df = session.create_dataframe(vec![(0.0, 0.1), (0.2, 0.0), (9.0, 9.1), (9.2, 8.9)], &["x", "y"])?;
/// let pipeline = Pipeline::new()
///     .with_transformer(VectorAssembler::new(["x", "y"], "features"))
///     .with_estimator(KMeans::new().k(2).seed(1));
/// let model = pipeline.fit(&df)?;
/// let scored = model.transform(&df)?;
/// assert_eq!(scored.columns(), vec!["x", "y", "features", "prediction"]);
/// # Ok::<(), flint_mllib::Error>(())
/// ```
#[derive(Clone, Default)]
pub struct Pipeline {
    stages: Vec<Stage>,
}

impl fmt::Debug for Pipeline {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Pipeline({} stages)", self.stages.len())
    }
}

impl Pipeline {
    /// An empty pipeline.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends a transformer stage.
    pub fn with_transformer(mut self, t: impl Transformer + 'static) -> Self {
        self.stages.push(Stage::Transformer(Arc::new(t)));
        self
    }

    /// Appends an estimator stage.
    pub fn with_estimator<E: Estimator + Send + Sync + 'static>(mut self, e: E) -> Self {
        self.stages.push(Stage::Estimator(Arc::new(e)));
        self
    }
}

impl Estimator for Pipeline {
    type Model = PipelineModel;

    fn fit(&self, df: &DataFrame) -> Result<PipelineModel> {
        // As Spark: stages after the last estimator are not run while fitting, only kept.
        let last_estimator = self.stages.iter().rposition(|s| matches!(s, Stage::Estimator(_)));
        let mut current = df.clone();
        let mut fitted: Vec<Arc<dyn Transformer>> = Vec::with_capacity(self.stages.len());
        for (i, stage) in self.stages.iter().enumerate() {
            let transformer = match stage {
                Stage::Transformer(t) => Arc::clone(t),
                Stage::Estimator(e) => e.fit_any(&current)?,
            };
            if last_estimator.is_some_and(|last| i < last) {
                current = transformer.transform(&current)?;
            }
            fitted.push(transformer);
        }
        Ok(PipelineModel { stages: fitted })
    }
}

/// A fitted pipeline: its transformers, applied in order.
#[derive(Clone)]
pub struct PipelineModel {
    stages: Vec<Arc<dyn Transformer>>,
}

impl fmt::Debug for PipelineModel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PipelineModel({} stages)", self.stages.len())
    }
}

impl Transformer for PipelineModel {
    fn transform(&self, df: &DataFrame) -> Result<DataFrame> {
        self.stages.iter().try_fold(df.clone(), |current, stage| stage.transform(&current))
    }
}
