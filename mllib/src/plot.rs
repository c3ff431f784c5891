//! Charts of fitted models, in the style of Spark 4's `df.plot`: k-means clusters, regression residuals and PCA's
//! explained variance. They are the engine's [`Chart`]s (a Plotly figure with an SVG fallback), so they show in
//! notebooks as `df.plot()`'s charts do. Charts of scored rows draw the first rows, as many as `df.plot()` draws
//! ([`PLOT_MAX_ROWS`]).

use crate::clustering::KMeansModel;
use crate::error::{Error, Result};
use crate::feature::PcaModel;
use crate::frame::array_to_vectors;
use crate::regression::LinearRegressionModel;
use arrow::array::{AsArray, RecordBatch};
use arrow::datatypes::Float64Type;
use flint_engine::dataframe::{Chart, PLOT_MAX_ROWS};
use flint_engine::prelude::*;

/// The first rows of the named columns of a scored DataFrame; `doubles` are read as doubles.
fn first_rows(scored: &DataFrame, vectors: Option<&str>, doubles: &[&str]) -> Result<Vec<RecordBatch>> {
    let mut columns: Vec<Column> = vectors.into_iter().map(col).collect();
    for name in doubles {
        columns.push(col(name).cast("double")?);
    }
    Ok(scored.select(columns)?.limit(PLOT_MAX_ROWS)?.collect_batches()?)
}

/// Column `index` of the batches, as doubles (nulls as NaN).
fn doubles(batches: &[RecordBatch], index: usize) -> Vec<f64> {
    let column = |b: &RecordBatch| b.column(index).as_primitive::<Float64Type>().iter().collect::<Vec<_>>();
    batches.iter().flat_map(column).map(|v| v.unwrap_or(f64::NAN)).collect()
}

impl KMeansModel {
    /// The scored rows of `scored` (the output of [`transform`](crate::pipeline::Transformer::transform)) as points
    /// of two feature dimensions, one colour per cluster, with the cluster centres.
    ///
    /// ```
    /// use flint_engine::prelude::*;
    /// use flint_mllib::prelude::*;
    ///
    /// let session = Session::builder().master("local[2]").build()?;
    /// let df = session.create_dataframe(vec![(0.0, 0.1), (0.2, 0.0), (9.0, 9.1), (9.2, 8.9)], &["x", "y"])?;
    /// let df = VectorAssembler::new(["x", "y"], "features").transform(&df)?;
    /// let model = KMeans::new().k(2).seed(1).fit(&df)?;
    /// let chart = model.plot_clusters(&model.transform(&df)?, 0, 1)?;
    /// assert!(chart.to_json().contains("\"name\":\"centers\""));
    /// # Ok::<(), flint_mllib::Error>(())
    /// ```
    pub fn plot_clusters(&self, scored: &DataFrame, x_dim: usize, y_dim: usize) -> Result<Chart> {
        const ALG: &str = "KMeansModel.plot_clusters";
        let centers = self.cluster_centers();
        let d = centers.first().map_or(0, |c| c.size());
        for (name, dim) in [("x_dim", x_dim), ("y_dim", y_dim)] {
            if dim >= d {
                return Err(Error::param(
                    ALG,
                    name,
                    format!("the model has {d} features: choose a dimension below {d}"),
                ));
            }
        }
        let batches = first_rows(scored, Some(&self.features_col), &[&self.prediction_col])?;
        let clusters = doubles(&batches, 1);
        let mut series: Vec<(String, Vec<f64>, Vec<f64>)> =
            (0..centers.len()).map(|c| (format!("cluster {c}"), Vec::new(), Vec::new())).collect();
        let vectors = batches.iter().map(|b| array_to_vectors(b.column(0).as_ref(), &self.features_col));
        let points = vectors.collect::<Result<Vec<_>>>()?.into_iter().flatten().zip(clusters);
        for (point, cluster) in points {
            let (Some(point), Some(s)) = (point, series.get_mut(cluster as usize).filter(|_| cluster >= 0.0)) else {
                continue;
            };
            s.1.push(point.get(x_dim).unwrap_or(f64::NAN));
            s.2.push(point.get(y_dim).unwrap_or(f64::NAN));
        }
        let coordinate = |dim: usize| centers.iter().map(|c| c.get(dim).unwrap_or(f64::NAN)).collect();
        series.push(("centers".to_string(), coordinate(x_dim), coordinate(y_dim)));
        let (x, y) = (format!("x{x_dim}"), format!("x{y_dim}"));
        Ok(Chart::scatter_series(&format!("k-means clusters (k = {})", centers.len()), [&x, &y], series))
    }
}

impl LinearRegressionModel {
    /// The residuals (`label − prediction`) of the scored rows of `scored` (the output of
    /// [`transform`](crate::pipeline::Transformer::transform)) against their predictions: a good fit leaves no
    /// pattern.
    pub fn plot_residuals(&self, scored: &DataFrame, label_col: &str) -> Result<Chart> {
        let batches = first_rows(scored, None, &[&self.prediction_col, label_col])?;
        let (predictions, labels) = (doubles(&batches, 0), doubles(&batches, 1));
        let residuals = labels.iter().zip(&predictions).map(|(y, p)| y - p).collect();
        let series = vec![("residuals".to_string(), predictions, residuals)];
        Ok(Chart::scatter_series("residuals", [self.prediction_col.as_str(), "residual"], series))
    }
}

impl PcaModel {
    /// The share of the variance each principal component explains, as bars.
    pub fn plot_explained_variance(&self) -> Chart {
        let variance = self.explained_variance().to_array();
        let components = (1..=variance.len()).map(|i| format!("PC{i}")).collect();
        let axes = ["component", "proportion of variance"];
        Chart::bar_series("explained variance", axes, "explainedVariance", components, variance)
    }
}
