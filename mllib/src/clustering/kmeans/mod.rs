//! k-means clustering (Spark's `KMeans`): k-means‖ or random initialisation, then Lloyd's iterations run in
//! parallel over the partitions.
//!
//! Flint writes its own rather than use `linfa-clustering`: the data stays in engine partitions (cached as one
//! matrix block per partition, see `blocks`), each iteration is one aggregation over them, and k-means‖ samples
//! every partition in parallel, as Spark does.

mod algorithm;
mod init;
mod params;
mod streaming;

pub use params::{DistanceMeasure, InitMode};
pub use streaming::{StreamingKMeans, StreamingKMeansModel, TimeUnit};

use crate::blocks::{RowCheck, to_blocks};
use crate::display::number;
use crate::error::{Error, Result};
use crate::frame::{map_vectors, training_vectors};
use crate::linalg::Vector;
use crate::persistence::{Metadata, MlWriter, Persist, Tables, data_table, persistable, vector_column};
use crate::pipeline::{Estimator, Transformer};
use algorithm::{Centers, assignment_pass, lloyd};
use arrow::array::{ArrayRef, Int32Array, RecordBatch};
use arrow::datatypes::DataType;
use flint_engine::notebook::Report;
use flint_engine::prelude::*;
use ndarray::Array2;
use params::KMeansParams;
use serde_json::{Map, Value, json};
use std::sync::Arc;

/// The k-means estimator; a builder of hyperparameters with Spark's names and defaults.
///
/// ```
/// use flint_engine::prelude::*;
/// use flint_mllib::clustering::KMeans;
/// use flint_mllib::linalg::Vectors;
///
/// let session = Session::builder().master("local[2]").build()?;
/// let points = vec![[0.0, 0.0], [0.1, 0.1], [0.2, 0.0], [9.0, 9.0], [9.1, 9.2], [9.2, 9.0]];
/// let rdd = session.parallelize(points.iter().map(|p| Vectors::dense(p.to_vec())).collect(), 2);
/// let model = KMeans::new().k(2).seed(1).fit_rdd(&rdd)?;
/// assert_ne!(model.predict(&Vectors::dense(vec![0.0, 0.1]))?, model.predict(&Vectors::dense(vec![9.0, 9.1]))?);
/// assert_eq!(model.summary().cluster_sizes, vec![3, 3]);
/// # Ok::<(), flint_mllib::Error>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct KMeans {
    params: KMeansParams,
}

impl KMeans {
    /// The estimator with Spark's defaults: `k = 2`, `max_iter = 20`, `tol = 1e-4`, k-means‖ with 2 steps,
    /// Euclidean distance, Spark's default seed.
    pub fn new() -> Self {
        Self::default()
    }

    /// The course's RDD-based entry point (Spark's `KMeans.train(rdd, k, maxIterations)`).
    pub fn train(data: &Rdd<Vector>, k: usize, max_iter: usize) -> Result<KMeansModel> {
        KMeans::new().k(k).max_iter(max_iter).fit_rdd(data)
    }

    /// The number of clusters (at least 2).
    pub fn k(mut self, k: usize) -> Self {
        self.params.k = k;
        self
    }

    /// The largest number of Lloyd iterations.
    pub fn max_iter(mut self, max_iter: usize) -> Self {
        self.params.max_iter = max_iter;
        self
    }

    /// Convergence: iterations stop once no centre moves farther than this.
    pub fn tol(mut self, tol: f64) -> Self {
        self.params.tol = tol;
        self
    }

    /// The random seed of the initialisation.
    pub fn seed(mut self, seed: u64) -> Self {
        self.params.seed = seed;
        self
    }

    /// The initialisation: k-means‖ (default) or random rows.
    pub fn init_mode(mut self, mode: InitMode) -> Self {
        self.params.init_mode = mode;
        self
    }

    /// The number of k-means‖ oversampling passes (default 2).
    pub fn init_steps(mut self, steps: usize) -> Self {
        self.params.init_steps = steps;
        self
    }

    /// Euclidean (default) or cosine distance.
    pub fn distance_measure(mut self, measure: DistanceMeasure) -> Self {
        self.params.distance_measure = measure;
        self
    }

    /// Starts from these `k` centres instead of an initialisation (Spark's `setInitialModel`).
    pub fn initial_centers(mut self, centers: Vec<Vector>) -> Self {
        self.params.initial_centers = Some(centers);
        self
    }

    /// The column of feature vectors a DataFrame fit reads (default `features`).
    pub fn features_col(mut self, name: &str) -> Self {
        self.params.features_col = name.to_string();
        self
    }

    /// The column `transform` adds with each row's cluster (default `prediction`).
    pub fn prediction_col(mut self, name: &str) -> Self {
        self.params.prediction_col = name.to_string();
        self
    }

    /// Fits a model on an RDD of vectors.
    pub fn fit_rdd(&self, data: &Rdd<Vector>) -> Result<KMeansModel> {
        let p = &self.params;
        p.validate()?;
        let check = RowCheck { non_zero: p.distance_measure == DistanceMeasure::Cosine };
        let blocks = to_blocks(data, "KMeans", check)?;
        if blocks.rows < p.k as u64 {
            return Err(Error::data(
                "KMeans",
                format!("k = {} clusters cannot be made from {} rows", p.k, blocks.rows),
            ));
        }
        let initial = init::initial_centers(&blocks, p)?;
        let (centers, num_iter) = lloyd(&blocks, initial, p.distance_measure, p.max_iter, p.tol)?;
        let last = assignment_pass(&blocks, Centers::new(centers.clone(), p.distance_measure))?;
        let summary =
            KMeansSummary { k: centers.nrows(), cluster_sizes: last.counts, training_cost: last.cost, num_iter };
        Ok(KMeansModel {
            centers: Arc::new(Centers::new(centers, p.distance_measure)),
            summary,
            features_col: p.features_col.clone(),
            prediction_col: p.prediction_col.clone(),
        })
    }
}

impl Estimator for KMeans {
    type Model = KMeansModel;

    /// Fits on the vectors of the `features` column (Spark ML's `KMeans.fit`).
    fn fit(&self, df: &DataFrame) -> Result<KMeansModel> {
        self.params.validate()?;
        self.fit_rdd(&training_vectors(df, &self.params.features_col, "KMeans")?)
    }
}

persistable!(KMeansModel);

/// Spark's layout: `data/` holds `clusterIdx: int, clusterCenter: vector`, one row per centre.
impl Persist for KMeansModel {
    const CLASS: &'static str = "org.apache.spark.ml.clustering.KMeansModel";

    fn params(&self) -> Map<String, Value> {
        let mut map = Map::new();
        map.insert("k".into(), json!(self.k()));
        map.insert("distanceMeasure".into(), json!(self.centers.measure().to_string()));
        map.insert("featuresCol".into(), json!(self.features_col));
        map.insert("predictionCol".into(), json!(self.prediction_col));
        map
    }

    fn tables(&self) -> Result<Vec<(&'static str, RecordBatch)>> {
        let idx: Vec<i32> = (0..self.k() as i32).collect();
        data_table(vec![
            ("clusterIdx", Arc::new(Int32Array::from(idx))),
            ("clusterCenter", vector_column(&self.cluster_centers())),
        ])
    }

    fn from_saved(metadata: &Metadata, tables: &Tables) -> Result<Self> {
        let data = &tables.get("data")?;
        let measure: DistanceMeasure =
            metadata.string("distanceMeasure", "euclidean")?.parse().map_err(|e| metadata.error(e))?;
        let mut rows: Vec<(i64, Vector)> =
            data.ints("clusterIdx")?.into_iter().zip(data.vectors("clusterCenter")?).collect();
        rows.sort_by_key(|(i, _)| *i);
        if rows.iter().enumerate().any(|(n, (i, _))| *i != n as i64) {
            return Err(data.error("`clusterIdx` should number the centres 0, 1, 2, …"));
        }
        let d = rows.first().map_or(0, |(_, v)| v.size());
        if rows.is_empty() || rows.iter().any(|(_, v)| v.size() != d) {
            return Err(data.error("the centres should be one or more vectors of one size"));
        }
        let m = Array2::from_shape_fn((rows.len(), d), |(i, j)| rows[i].1.get(j).unwrap_or(0.0));
        Ok(KMeansModel::from_centers(
            m,
            measure,
            metadata.string("featuresCol", "features")?,
            metadata.string("predictionCol", "prediction")?,
        ))
    }
}

/// What a fit produced, beyond the centres (Spark's `KMeansSummary`).
#[derive(Debug, Clone, PartialEq)]
pub struct KMeansSummary {
    /// The number of clusters found (below the `k` asked for when the data has fewer distinct points).
    pub k: usize,
    /// The number of training rows in each cluster.
    pub cluster_sizes: Vec<u64>,
    /// The sum of the distances of the training rows to their centres (squared Euclidean, or cosine).
    pub training_cost: f64,
    /// The number of Lloyd iterations run.
    pub num_iter: usize,
}

/// A fitted k-means model.
#[derive(Debug, Clone)]
pub struct KMeansModel {
    centers: Arc<Centers>,
    summary: KMeansSummary,
    pub(crate) features_col: String,
    pub(crate) prediction_col: String,
}

/// The notebook form: Spark's `toString`, the training summary when the model has one, and the centres.
impl NotebookDisplay for KMeansModel {
    fn mime_bundle(&self) -> Vec<(&'static str, String)> {
        let d = self.centers.m.ncols();
        let title = format!("KMeansModel: k={}, distanceMeasure={}, numFeatures={d}", self.k(), self.centers_measure());
        let mut report = Report::new(title);
        if self.has_summary() {
            report = report
                .field("trainingCost", number(self.summary.training_cost))
                .field("clusterSizes", format!("{:?}", self.summary.cluster_sizes))
                .field("numIter", self.summary.num_iter);
        }
        let header = std::iter::once("cluster".to_string()).chain((0..d).map(|j| format!("x{j}"))).collect();
        let rows = self
            .centers
            .m
            .rows()
            .into_iter()
            .enumerate()
            .map(|(i, c)| std::iter::once(i.to_string()).chain(c.iter().map(|&v| number(v))).collect())
            .collect();
        report.table("clusterCenters", header, rows).mime_bundle()
    }
}

impl KMeansModel {
    /// A model of these centres without a training summary (loaded, or updated from a stream).
    fn from_centers(m: Array2<f64>, measure: DistanceMeasure, features_col: String, prediction_col: String) -> Self {
        let summary = KMeansSummary { k: m.nrows(), cluster_sizes: Vec::new(), training_cost: f64::NAN, num_iter: 0 };
        KMeansModel { centers: Arc::new(Centers::new(m, measure)), summary, features_col, prediction_col }
    }

    /// Whether the model carries its training summary (a loaded model does not, as in Spark).
    pub fn has_summary(&self) -> bool {
        self.summary.num_iter > 0 || !self.summary.cluster_sizes.is_empty()
    }

    /// The cluster centres.
    pub fn cluster_centers(&self) -> Vec<Vector> {
        init::to_vectors(&self.centers.m)
    }

    /// The number of clusters.
    pub fn k(&self) -> usize {
        self.centers.m.nrows()
    }

    /// The training summary.
    pub fn summary(&self) -> &KMeansSummary {
        &self.summary
    }

    /// The sum of squared distances of the training rows to their centres (Spark's `trainingCost`).
    pub fn training_cost(&self) -> f64 {
        self.summary.training_cost
    }

    fn check(&self, x: &Vector) -> Result<()> {
        let n = self.centers.m.ncols();
        if x.size() != n {
            return Err(Error::data("KMeansModel", format!("the model has {n} features, the point has {}", x.size())));
        }
        Ok(())
    }

    /// The index of the closest centre to one point.
    pub fn predict(&self, x: &Vector) -> Result<usize> {
        self.check(x)?;
        Ok(self.centers.closest(&self.prepare(x)).0)
    }

    fn prepare(&self, x: &Vector) -> ndarray::Array1<f64> {
        let mut d = x.to_dense_array();
        if self.centers_measure() == DistanceMeasure::Cosine {
            let norm = d.dot(&d).sqrt();
            if norm > 0.0 {
                d /= norm;
            }
        }
        d
    }

    fn centers_measure(&self) -> DistanceMeasure {
        self.centers.measure()
    }

    /// The closest centre of every point, lazily (points of another size are assigned cluster 0).
    pub fn predict_rdd(&self, data: &Rdd<Vector>) -> Rdd<usize> {
        let model = self.clone();
        data.map(move |x| model.predict(&x).unwrap_or_default())
    }

    /// The closest centres of a batch of vectors, as an integer column (nulls stay null).
    fn predict_array(&self, vectors: &[Option<Vector>]) -> Result<ArrayRef> {
        let labels = vectors
            .iter()
            .map(|v| v.as_ref().map(|v| self.predict(v).map(|c| c as i32)).transpose())
            .collect::<Result<Vec<Option<i32>>>>()?;
        Ok(Arc::new(Int32Array::from(labels)))
    }

    /// The sum of the distances of these points to their closest centres (Spark's `computeCost`).
    pub fn compute_cost(&self, data: &Rdd<Vector>) -> Result<f64> {
        let check = RowCheck { non_zero: self.centers_measure() == DistanceMeasure::Cosine };
        let blocks = to_blocks(data, "KMeansModel.compute_cost", check)?;
        if blocks.dim != self.centers.m.ncols() {
            return Err(Error::data(
                "KMeansModel.compute_cost",
                format!("the model has {} features, the data has {}", self.centers.m.ncols(), blocks.dim),
            ));
        }
        let centers = Arc::clone(&self.centers);
        Ok(blocks.rdd.map(move |b| centers.cost(&b.0)).sum()?)
    }
}

impl Transformer for KMeansModel {
    /// Adds the `prediction` column: each row's closest centre (an integer, as in Spark); lazy, batch by batch.
    fn transform(&self, df: &DataFrame) -> Result<DataFrame> {
        let model = self.clone();
        let column =
            map_vectors("kmeans_predict", &self.features_col, DataType::Int32, move |v| model.predict_array(v));
        Ok(df.with_column(&self.prediction_col, column)?)
    }

    fn writer(&self) -> Option<MlWriter<'_>> {
        Some(MlWriter::new(self))
    }
}
