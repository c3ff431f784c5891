//! Spark ML's shapes: an [`Estimator`] fits a model on a DataFrame; a model is a [`Transformer`] that adds
//! columns; a [`Pipeline`] chains transformers and estimators and is itself an estimator.
//!
//! A fitted [`PipelineModel`] saves and loads in Spark's layout when all its stages can
//! ([`crate::persistence`] says how the stages, held as `dyn Transformer`, are saved and found again).

use crate::error::{Error, Result};
use crate::persistence::{Metadata, MlWriter, Persist, Tables, load_stage, new_uid, persistable};
use arrow::array::RecordBatch;
use flint_engine::notebook::Report;
use flint_engine::prelude::*;
use serde_json::{Map, Value, json};
use std::fmt;
use std::path::Path;
use std::sync::Arc;

/// Turns a DataFrame into another, lazily (Spark's `Transformer`): models add their prediction columns, feature
/// transformers their output columns. The result is a plan, so it also scores streaming micro-batches.
pub trait Transformer: Send + Sync {
    /// The DataFrame with this transformer's columns added.
    fn transform(&self, df: &DataFrame) -> Result<DataFrame>;

    /// How to save this transformer as a stage of a [`PipelineModel`]: Flint's models and transformers that save
    /// (those implementing [`MlWritable`](crate::persistence::MlWritable)) return their writer. The default,
    /// `None`, makes saving a pipeline holding this transformer an error.
    fn writer(&self) -> Option<MlWriter<'_>> {
        None
    }

    /// The transformer's type, to name it in errors (its Rust type name unless overridden).
    fn type_name(&self) -> &'static str {
        std::any::type_name::<Self>()
    }
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
        Ok(PipelineModel::new(fitted))
    }
}

/// A fitted pipeline: its transformers, applied in order.
///
/// It saves in Spark's layout, and loads Spark's saved pipeline models (also PySpark's, whose class is
/// `pyspark.ml.pipeline.PipelineModel` when a stage is itself a pipeline), if every stage is a Flint model or
/// transformer that saves: [`persistence`](crate::persistence) lists them.
///
/// ```
/// use flint_engine::prelude::*;
/// use flint_mllib::feature::{StandardScaler, VectorAssembler};
/// use flint_mllib::persistence::{MlReadable, MlWritable};
/// use flint_mllib::pipeline::{Estimator, Pipeline, PipelineModel, Transformer};
///
/// let session = Session::builder().master("local[2]").build()?;
/// let df = session.create_dataframe(vec![(1.0, 10.0), (2.0, 20.0), (3.0, 60.0)], &["a", "b"])?;
/// let model = Pipeline::new()
///     .with_transformer(VectorAssembler::new(["a", "b"], "features"))
///     .with_estimator(StandardScaler::new().input_col("features").output_col("scaled"))
///     .fit(&df)?;
/// let dir = tempfile::tempdir()?;
/// model.save(dir.path().join("pipeline"))?;
/// // One directory per stage, as Spark lays them out: stages/0_VectorAssembler_…, stages/1_StandardScalerModel_…
/// let loaded = PipelineModel::load(dir.path().join("pipeline"))?;
/// assert_eq!(loaded.stages().len(), 2);
/// let scaled = |m: &PipelineModel| -> Result<String, Box<dyn std::error::Error>> {
///     Ok(m.transform(&df)?.select(["scaled"])?.show_string(20, 0, false)?)
/// };
/// assert_eq!(scaled(&loaded)?, scaled(&model)?);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct PipelineModel {
    stages: Vec<Arc<dyn Transformer>>,
    /// A uid per stage (Spark's `stageUids`): read from a saved pipeline, made up for a fitted one.
    uids: Vec<String>,
}

impl PipelineModel {
    /// A pipeline model of `stages`, applied in order (PySpark's `PipelineModel(stages)`).
    pub fn new(stages: Vec<Arc<dyn Transformer>>) -> Self {
        let uids = stages.iter().map(|s| new_uid(s.writer().map_or("Transformer", |w| w.class()))).collect();
        PipelineModel { stages, uids }
    }

    /// The stages, in order.
    pub fn stages(&self) -> &[Arc<dyn Transformer>] {
        &self.stages
    }
}

impl fmt::Debug for PipelineModel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PipelineModel({} stages)", self.stages.len())
    }
}

/// The notebook form: Spark's `toString` and the stages, in order, by uid and type.
impl NotebookDisplay for PipelineModel {
    fn mime_bundle(&self) -> Vec<(&'static str, String)> {
        let header = ["stage", "uid", "type"].map(String::from).to_vec();
        let rows = self
            .stages
            .iter()
            .zip(&self.uids)
            .enumerate()
            .map(|(i, (stage, uid))| {
                let name = stage.type_name();
                vec![i.to_string(), uid.clone(), name.rsplit("::").next().unwrap_or(name).to_string()]
            })
            .collect();
        Report::new(format!("PipelineModel: numStages={}", self.stages.len()))
            .table("stages", header, rows)
            .mime_bundle()
    }
}

impl Transformer for PipelineModel {
    fn transform(&self, df: &DataFrame) -> Result<DataFrame> {
        self.stages.iter().try_fold(df.clone(), |current, stage| stage.transform(&current))
    }

    fn writer(&self) -> Option<MlWriter<'_>> {
        Some(MlWriter::new(self))
    }
}

persistable!(PipelineModel);

/// Spark's directory of stage `index` of `count`: the index zero-padded to the width of `count`, `_`, the uid.
fn stage_dir(index: usize, count: usize, uid: &str) -> String {
    let width = count.to_string().len();
    format!("{index:0width$}_{uid}")
}

/// Spark's layout: no `data/`; `stageUids` in the parameters and each stage saved in `stages/{index}_{uid}/`.
impl Persist for PipelineModel {
    const CLASS: &'static str = "org.apache.spark.ml.PipelineModel";
    /// PySpark saves a pipeline model itself, under its Python class, when a stage is not a Java one (a nested
    /// pipeline); the layout is Spark's, with `"language": "Python"` beside `stageUids`.
    const ALSO_READS: &'static [&'static str] = &["pyspark.ml.pipeline.PipelineModel"];

    fn params(&self) -> Map<String, Value> {
        let mut map = Map::new();
        map.insert("stageUids".into(), json!(self.uids));
        map
    }

    fn tables(&self) -> Result<Vec<(&'static str, RecordBatch)>> {
        Ok(Vec::new())
    }

    /// Checks that every stage saves before writing any.
    fn write_more(&self, dir: &Path) -> Result<()> {
        let stages = dir.join("stages");
        let writers = self
            .stages
            .iter()
            .enumerate()
            .map(|(i, stage)| {
                stage.writer().ok_or_else(|| Error::Persistence {
                    path: stages.clone(),
                    message: format!(
                        "stage {i} of the pipeline (`{}`) cannot be saved: only Flint's models and transformers \
                         that implement MlWritable can",
                        stage.type_name()
                    ),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let count = writers.len();
        for (i, (writer, uid)) in writers.iter().zip(&self.uids).enumerate() {
            writer.write_into(&stages.join(stage_dir(i, count, uid)), uid)?;
        }
        Ok(())
    }

    fn from_saved(metadata: &Metadata, tables: &Tables) -> Result<Self> {
        let uids =
            metadata.strings("stageUids")?.ok_or_else(|| metadata.error("a pipeline model needs `stageUids`"))?;
        let stages = tables.dir("stages");
        let count = uids.len();
        let stages = uids
            .iter()
            .enumerate()
            .map(|(i, uid)| load_stage(&stages.join(stage_dir(i, count, uid))))
            .collect::<Result<Vec<_>>>()?;
        Ok(PipelineModel { stages, uids })
    }
}
