//! K-means hyperparameters, Spark's names and defaults, validated before every fit.

use crate::error::{Error, Result};
use crate::linalg::Vector;

/// How the initial centres are chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum InitMode {
    /// k-means‖ (Bahmani et al.), Spark's default: a few parallel oversampling passes, then weighted
    /// k-means++ on the candidates.
    #[default]
    KMeansParallel,
    /// `k` distinct rows drawn at random.
    Random,
}

impl std::str::FromStr for InitMode {
    type Err = Error;

    /// Spark's names: `k-means||`, `random`.
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "k-means||" => Ok(InitMode::KMeansParallel),
            "random" => Ok(InitMode::Random),
            _ => {
                Err(Error::param("KMeans", "init_mode", format!("`{s}` is not an init mode: use k-means|| or random")))
            }
        }
    }
}

/// The distance between points and centres.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub enum DistanceMeasure {
    /// Squared Euclidean distance (Spark's default); the cost is the sum of squared distances.
    #[default]
    Euclidean,
    /// `1 − cos(x, c)`; points and centres are compared by direction only.
    Cosine,
}

impl std::fmt::Display for DistanceMeasure {
    /// Spark's names, as [`FromStr`](std::str::FromStr) reads them.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            DistanceMeasure::Euclidean => "euclidean",
            DistanceMeasure::Cosine => "cosine",
        })
    }
}

impl std::str::FromStr for DistanceMeasure {
    type Err = Error;

    /// Spark's names: `euclidean`, `cosine`.
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "euclidean" => Ok(DistanceMeasure::Euclidean),
            "cosine" => Ok(DistanceMeasure::Cosine),
            _ => Err(Error::param(
                "KMeans",
                "distance_measure",
                format!("`{s}` is not a distance measure: use euclidean or cosine"),
            )),
        }
    }
}

/// `"org.apache.spark.ml.clustering.KMeans".hashCode`: Spark's default seed for k-means.
pub(crate) const DEFAULT_SEED: u64 = -1_689_246_527i64 as u64;

/// The hyperparameters of a k-means fit.
#[derive(Debug, Clone)]
pub(crate) struct KMeansParams {
    pub(crate) k: usize,
    pub(crate) max_iter: usize,
    pub(crate) tol: f64,
    pub(crate) seed: u64,
    pub(crate) init_mode: InitMode,
    pub(crate) init_steps: usize,
    pub(crate) distance_measure: DistanceMeasure,
    pub(crate) initial_centers: Option<Vec<Vector>>,
    pub(crate) features_col: String,
    pub(crate) prediction_col: String,
}

impl Default for KMeansParams {
    fn default() -> Self {
        KMeansParams {
            k: 2,
            max_iter: 20,
            tol: 1e-4,
            seed: DEFAULT_SEED,
            init_mode: InitMode::KMeansParallel,
            init_steps: 2,
            distance_measure: DistanceMeasure::Euclidean,
            initial_centers: None,
            features_col: "features".into(),
            prediction_col: "prediction".into(),
        }
    }
}

impl KMeansParams {
    /// Every bad parameter is its own error, named as the builder names it.
    pub(crate) fn validate(&self) -> Result<()> {
        const ALG: &str = "KMeans";
        if self.k < 2 {
            return Err(Error::param(ALG, "k", format!("must be at least 2, got {}", self.k)));
        }
        if !(self.tol >= 0.0 && self.tol.is_finite()) {
            return Err(Error::param(ALG, "tol", format!("must be finite and non-negative, got {}", self.tol)));
        }
        if self.init_steps == 0 {
            return Err(Error::param(ALG, "init_steps", "must be at least 1, got 0"));
        }
        if let Some(centers) = &self.initial_centers
            && centers.len() != self.k
        {
            return Err(Error::param(
                ALG,
                "initial_centers",
                format!("{} centres given for k = {}", centers.len(), self.k),
            ));
        }
        Ok(())
    }
}
