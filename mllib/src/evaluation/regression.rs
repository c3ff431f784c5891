//! `RegressionEvaluator`: Spark's `RegressionMetrics` over one pass of its summarizer.

use super::{Evaluator, Input, Kind, distribute, parse_metric, read_weighted};
use crate::builder::setters;
use crate::error::{Error, Result};
use crate::linalg::Vectors;
use crate::stat::MultivariateStatisticalSummary;
use flint_engine::prelude::*;

const ALG: &str = "RegressionEvaluator";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Metric {
    Rmse,
    Mse,
    R2,
    Mae,
    Var,
}

const METRICS: &[(&str, Metric)] =
    &[("rmse", Metric::Rmse), ("mse", Metric::Mse), ("r2", Metric::R2), ("mae", Metric::Mae), ("var", Metric::Var)];

/// Evaluates regression predictions (Spark's `RegressionEvaluator`); a builder with Spark's names and defaults.
///
/// Metrics, with weights `wᵢ` (1 without `weight_col`), `W = Σwᵢ`, errors `eᵢ = yᵢ − ŷᵢ` and `ȳ` the weighted
/// mean label, as Spark's `RegressionMetrics`:
/// - `rmse` (default): `√(Σwᵢeᵢ²/W)`; `mse`: `Σwᵢeᵢ²/W`; `mae`: `Σwᵢ|eᵢ|/W`;
/// - `r2`: `1 − Σwᵢeᵢ²/SStot` with `SStot = s²·(W − 1)`, `s²` the label's unbiased (reliability-weighted)
///   variance, which is `Σwᵢ(yᵢ − ȳ)²` without weights; `1 − Σwᵢeᵢ²/Σwᵢyᵢ²` with `through_origin`;
/// - `var`, the explained variance: `Σwᵢ(ŷᵢ − ȳ)²/W` (not scikit-learn's `explained_variance_score`, which is
///   `1 − Var(e)/Var(y)`).
///
/// ```
/// use flint_engine::prelude::*;
/// use flint_mllib::evaluation::{Evaluator, RegressionEvaluator};
///
/// let session = Session::builder().master("local[2]").build()?;
/// let df = session.create_dataframe(vec![(1.0, 1.5), (2.0, 2.0), (4.0, 3.5)], &["label", "prediction"])?;
/// let rmse = RegressionEvaluator::new().evaluate(&df)?;
/// assert!((rmse - (0.5f64 / 3.0).sqrt()).abs() < 1e-15);
/// let r2 = RegressionEvaluator::new().metric_name("r2");
/// assert!(r2.is_larger_better()?);
/// assert!((r2.evaluate(&df)? - (1.0 - 0.5 / (14.0 / 3.0))).abs() < 1e-15);
/// # Ok::<(), flint_mllib::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct RegressionEvaluator {
    metric_name: String,
    label_col: String,
    prediction_col: String,
    weight_col: Option<String>,
    through_origin: bool,
}

impl Default for RegressionEvaluator {
    fn default() -> Self {
        RegressionEvaluator {
            metric_name: "rmse".into(),
            label_col: "label".into(),
            prediction_col: "prediction".into(),
            weight_col: None,
            through_origin: false,
        }
    }
}

impl RegressionEvaluator {
    /// Spark's defaults: `rmse` of the `prediction` column against `label`, unweighted.
    pub fn new() -> Self {
        Self::default()
    }

    setters! {
        /// The metric: `rmse` (default), `mse`, `r2`, `mae` or `var`.
        metric_name: &str,
        /// The label column, numeric (default `label`).
        label_col: &str,
        /// The prediction column, numeric (default `prediction`).
        prediction_col: &str,
        /// Whether `r2` is for a regression through the origin (a model without intercept; default false).
        through_origin: bool,
        /// A column of non-negative instance weights (default: none, every row weighs 1).
        weight_col: Option<&str>,
    }

    fn metric(&self) -> Result<Metric> {
        parse_metric(ALG, &self.metric_name, METRICS)
    }
}

impl Evaluator for RegressionEvaluator {
    fn evaluate(&self, df: &DataFrame) -> Result<f64> {
        let metric = self.metric()?;
        let inputs = [
            Input::new(&self.label_col, "label_col", Kind::Number),
            Input::new(&self.prediction_col, "prediction_col", Kind::Number),
        ];
        let (labels, predictions, w) = read_weighted(df, inputs, self.weight_col.as_deref(), ALG)?;
        let (labels, predictions) = (labels.numbers(), predictions.numbers());
        let w = w.check(labels.len())?;
        let rows: Vec<(f64, f64, f64)> =
            labels.into_iter().zip(predictions).zip(w).map(|((y, p), w)| (y, p, w)).collect();
        // As Spark: one summarizer over the vectors (y, y − ŷ, ŷ), weighted.
        let summary = distribute(df, rows).aggregate(
            Ok(MultivariateStatisticalSummary::new()),
            |s: Result<MultivariateStatisticalSummary, String>, (y, p, w)| {
                let mut s = s?;
                s.add_weighted(&Vectors::dense(vec![y, y - p, p]), w).map_err(|e| e.to_string())?;
                Ok(s)
            },
            |a, b| a.and_then(|a| b.and_then(|b| a.merge(b).map_err(|e| e.to_string()))),
        )?;
        let summary = summary.map_err(|m| Error::data(ALG, m))?;
        let total = summary.weight_sum();
        if total <= 0.0 {
            return Err(Error::data(ALG, "every row has weight 0: there is nothing to evaluate"));
        }
        let (mean, l1, l2, variance) = (
            summary.mean()?.to_array(),
            summary.norm_l1()?.to_array(),
            summary.norm_l2()?.to_array(),
            summary.variance()?.to_array(),
        );
        let ss_err = l2[1] * l2[1];
        let mse = ss_err / total;
        Ok(match metric {
            Metric::Rmse => mse.sqrt(),
            Metric::Mse => mse,
            Metric::Mae => l1[1] / total,
            Metric::R2 if self.through_origin => 1.0 - ss_err / (l2[0] * l2[0]),
            Metric::R2 => 1.0 - ss_err / (variance[0] * (total - 1.0)),
            Metric::Var => {
                // Spark's SSreg = Σw(ŷ − ȳ)², expanded over the summarizer's sums.
                let ss_reg = l2[2] * l2[2] + mean[0] * mean[0] * total - 2.0 * mean[0] * mean[2] * total;
                ss_reg / total
            }
        })
    }

    fn is_larger_better(&self) -> Result<bool> {
        Ok(matches!(self.metric()?, Metric::R2 | Metric::Var))
    }
}
