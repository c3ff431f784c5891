//! ALS hyperparameters: Spark's names and defaults, validated before every fit.

use crate::error::{Error, Result};

/// What `transform` does with users or items the model has not seen (Spark's `coldStartStrategy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ColdStartStrategy {
    /// A NaN prediction (Spark's default).
    #[default]
    Nan,
    /// Drop the row, so that evaluation metrics stay defined.
    Drop,
}

impl std::str::FromStr for ColdStartStrategy {
    type Err = Error;

    /// Spark's names: `nan`, `drop` (any case).
    fn from_str(s: &str) -> Result<Self> {
        match s.to_ascii_lowercase().as_str() {
            "nan" => Ok(ColdStartStrategy::Nan),
            "drop" => Ok(ColdStartStrategy::Drop),
            _ => Err(Error::param("Als", "cold_start_strategy", format!("`{s}` is not accepted: use nan or drop"))),
        }
    }
}

/// `"org.apache.spark.ml.recommendation.ALS".hashCode`: Spark's default seed for ALS.
pub(crate) const DEFAULT_SEED: u64 = 1_994_790_107;

#[derive(Debug, Clone)]
pub(crate) struct AlsParams {
    pub(crate) rank: usize,
    pub(crate) max_iter: usize,
    pub(crate) reg_param: f64,
    pub(crate) implicit_prefs: bool,
    pub(crate) alpha: f64,
    pub(crate) nonnegative: bool,
    pub(crate) seed: u64,
    pub(crate) num_user_blocks: usize,
    pub(crate) num_item_blocks: usize,
    pub(crate) cold_start_strategy: ColdStartStrategy,
    pub(crate) user_col: String,
    pub(crate) item_col: String,
    pub(crate) rating_col: String,
    pub(crate) prediction_col: String,
}

impl Default for AlsParams {
    fn default() -> Self {
        AlsParams {
            rank: 10,
            max_iter: 10,
            reg_param: 0.1,
            implicit_prefs: false,
            alpha: 1.0,
            nonnegative: false,
            seed: DEFAULT_SEED,
            num_user_blocks: 10,
            num_item_blocks: 10,
            cold_start_strategy: ColdStartStrategy::Nan,
            user_col: "user".into(),
            item_col: "item".into(),
            rating_col: "rating".into(),
            prediction_col: "prediction".into(),
        }
    }
}

impl AlsParams {
    pub(crate) fn validate(&self) -> Result<()> {
        const ALG: &str = "Als";
        if self.rank == 0 {
            return Err(Error::param(ALG, "rank", "must be at least 1, got 0"));
        }
        if !(self.reg_param >= 0.0 && self.reg_param.is_finite()) {
            return Err(Error::param(
                ALG,
                "reg_param",
                format!("must be finite and non-negative, got {}", self.reg_param),
            ));
        }
        if !(self.alpha >= 0.0 && self.alpha.is_finite()) {
            return Err(Error::param(ALG, "alpha", format!("must be finite and non-negative, got {}", self.alpha)));
        }
        if self.num_user_blocks == 0 {
            return Err(Error::param(ALG, "num_user_blocks", "must be at least 1, got 0"));
        }
        if self.num_item_blocks == 0 {
            return Err(Error::param(ALG, "num_item_blocks", "must be at least 1, got 0"));
        }
        Ok(())
    }
}
