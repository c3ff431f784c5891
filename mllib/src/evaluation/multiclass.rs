//! `MulticlassClassificationEvaluator`: Spark's `MulticlassMetrics`, from the weighted confusion counts of
//! each (label, prediction) pair.

use super::{Evaluator, Input, Kind, distribute, key, parse_metric, read_weighted, refuse_nan};
use crate::builder::setters;
use crate::error::{Error, Result};
use flint_engine::prelude::*;
use std::collections::BTreeMap;

const ALG: &str = "MulticlassClassificationEvaluator";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Metric {
    F1,
    Accuracy,
    WeightedPrecision,
    WeightedRecall,
    WeightedTruePositiveRate,
    WeightedFalsePositiveRate,
    WeightedFMeasure,
    TruePositiveRateByLabel,
    FalsePositiveRateByLabel,
    PrecisionByLabel,
    RecallByLabel,
    FMeasureByLabel,
    LogLoss,
    HammingLoss,
}

const METRICS: &[(&str, Metric)] = &[
    ("f1", Metric::F1),
    ("accuracy", Metric::Accuracy),
    ("weightedPrecision", Metric::WeightedPrecision),
    ("weightedRecall", Metric::WeightedRecall),
    ("weightedTruePositiveRate", Metric::WeightedTruePositiveRate),
    ("weightedFalsePositiveRate", Metric::WeightedFalsePositiveRate),
    ("weightedFMeasure", Metric::WeightedFMeasure),
    ("truePositiveRateByLabel", Metric::TruePositiveRateByLabel),
    ("falsePositiveRateByLabel", Metric::FalsePositiveRateByLabel),
    ("precisionByLabel", Metric::PrecisionByLabel),
    ("recallByLabel", Metric::RecallByLabel),
    ("fMeasureByLabel", Metric::FMeasureByLabel),
    ("logLoss", Metric::LogLoss),
    ("hammingLoss", Metric::HammingLoss),
];

/// Evaluates multiclass predictions (Spark's `MulticlassClassificationEvaluator`); a builder with Spark's names
/// and defaults.
///
/// With `w(l, p)` the total weight of the rows of label `l` predicted `p`, `n(l) = Σₚ w(l, p)` and
/// `N = Σₗ n(l)`, per label `l` (as Spark's `MulticlassMetrics`): `precision = w(l,l) / Σₖ w(k,l)` (0 if nothing
/// is predicted `l`), `recall = truePositiveRate = w(l,l) / n(l)`, `falsePositiveRate = Σₖ≠ₗ w(k,l) / (N − n(l))`,
/// `fMeasure = (1+β²)·p·r / (β²·p + r)` (0 if `p + r = 0`).
/// - `f1` (default): the weighted F1, `Σₗ fMeasure₁(l)·n(l)/N` — scikit-learn's `f1_score(average="weighted")`;
/// - `weightedPrecision`, `weightedRecall`, `weightedTruePositiveRate`, `weightedFalsePositiveRate`,
///   `weightedFMeasure` (with `beta`): the same average of the per-label figure over the labels that occur;
/// - `precisionByLabel`, `recallByLabel`, `truePositiveRateByLabel`, `falsePositiveRateByLabel`,
///   `fMeasureByLabel`: the figure of `metric_label`, which must occur in the label column (as in Spark);
/// - `accuracy`: `Σₗ w(l,l) / N`; `hammingLoss`: the weight of the wrong predictions over `N`;
/// - `logLoss`: the weighted mean of `−ln pᵢ`, `pᵢ` the row's probability of its label (from `probability_col`,
///   labels `0, 1, …` indexing it), clipped to `[eps, 1 − eps]`.
///
/// ```
/// use flint_engine::prelude::*;
/// use flint_mllib::evaluation::{Evaluator, MulticlassClassificationEvaluator};
///
/// let session = Session::builder().master("local[2]").build()?;
/// let df = session.create_dataframe(
///     vec![(0.0, 0.0), (0.0, 1.0), (1.0, 1.0), (1.0, 1.0), (2.0, 2.0), (2.0, 0.0)],
///     &["label", "prediction"],
/// )?;
/// let accuracy = MulticlassClassificationEvaluator::new().metric_name("accuracy");
/// assert_eq!(accuracy.evaluate(&df)?, 4.0 / 6.0);
/// // Label 1: predicted 3 times, right twice.
/// let precision = MulticlassClassificationEvaluator::new().metric_name("precisionByLabel").metric_label(1.0);
/// assert_eq!(precision.evaluate(&df)?, 2.0 / 3.0);
/// let hamming = MulticlassClassificationEvaluator::new().metric_name("hammingLoss");
/// assert!(!hamming.is_larger_better()?);
/// assert_eq!(hamming.evaluate(&df)?, 2.0 / 6.0);
/// # Ok::<(), flint_mllib::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct MulticlassClassificationEvaluator {
    metric_name: String,
    label_col: String,
    prediction_col: String,
    probability_col: String,
    weight_col: Option<String>,
    metric_label: f64,
    beta: f64,
    eps: f64,
}

impl Default for MulticlassClassificationEvaluator {
    fn default() -> Self {
        MulticlassClassificationEvaluator {
            metric_name: "f1".into(),
            label_col: "label".into(),
            prediction_col: "prediction".into(),
            probability_col: "probability".into(),
            weight_col: None,
            metric_label: 0.0,
            beta: 1.0,
            eps: 1e-15,
        }
    }
}

impl MulticlassClassificationEvaluator {
    /// Spark's defaults: weighted `f1` of `prediction` against `label`, `metric_label` 0, `beta` 1, `eps` 1e-15.
    pub fn new() -> Self {
        Self::default()
    }

    setters! {
        /// The metric (default `f1`); see the type's documentation for the list.
        metric_name: &str,
        /// The label column, numeric (default `label`).
        label_col: &str,
        /// The predicted class column, numeric (default `prediction`).
        prediction_col: &str,
        /// The class probabilities column, vectors, read by `logLoss` only (default `probability`).
        probability_col: &str,
        /// The class of the `…ByLabel` metrics (default 0).
        metric_label: f64,
        /// The β of `weightedFMeasure` and `fMeasureByLabel` (default 1; `f1` is always β = 1).
        beta: f64,
        /// The clipping of probabilities in `logLoss`, in (0, 0.5) (default 1e-15).
        eps: f64,
        /// A column of non-negative instance weights (default: none, every row weighs 1).
        weight_col: Option<&str>,
    }

    fn metric(&self) -> Result<Metric> {
        parse_metric(ALG, &self.metric_name, METRICS)
    }

    fn validate(&self) -> Result<Metric> {
        let metric = self.metric()?;
        if !(self.metric_label >= 0.0 && self.metric_label.is_finite()) {
            return Err(Error::param(
                ALG,
                "metric_label",
                format!("must be a finite label ≥ 0, got {}", self.metric_label),
            ));
        }
        if !(self.beta > 0.0 && self.beta.is_finite()) {
            return Err(Error::param(ALG, "beta", format!("must be finite and positive, got {}", self.beta)));
        }
        if !(self.eps > 0.0 && self.eps < 0.5) {
            return Err(Error::param(ALG, "eps", format!("must be in (0, 0.5), got {}", self.eps)));
        }
        Ok(metric)
    }

    fn log_loss(&self, df: &DataFrame) -> Result<f64> {
        let inputs = [
            Input::new(&self.label_col, "label_col", Kind::Number),
            Input::new(&self.probability_col, "probability_col", Kind::Vector),
        ];
        let (labels, probabilities, w) = read_weighted(df, inputs, self.weight_col.as_deref(), ALG)?;
        let (labels, probabilities) = (labels.numbers(), probabilities.vectors());
        let w = w.check(labels.len())?;
        let mut rows = Vec::with_capacity(labels.len());
        for (row, ((y, p), w)) in labels.into_iter().zip(probabilities).zip(w).enumerate() {
            if !(y >= 0.0 && y.fract() == 0.0 && y < p.size() as f64) {
                return Err(Error::data(
                    ALG,
                    format!(
                        "logLoss needs labels 0, 1, … indexing the probability vectors: row {row} has label {y} \
                         and {} probabilities",
                        p.size()
                    ),
                ));
            }
            rows.push((p.get(y as usize)?, w));
        }
        let eps = self.eps;
        let (loss1, loss2) = (-eps.ln(), -(-eps).ln_1p());
        let (loss, weight) = distribute(df, rows).aggregate(
            (0.0, 0.0),
            move |(l, ws), (p, w)| {
                let loss = if p < eps {
                    loss1
                } else if p > 1.0 - eps {
                    loss2
                } else {
                    -p.ln()
                };
                (l + loss * w, ws + w)
            },
            |a, b| (a.0 + b.0, a.1 + b.1),
        )?;
        Ok(loss / weight)
    }
}

/// Spark's `MulticlassMetrics` from the confusion weights.
struct Confusions {
    /// Weight of each (label, prediction) pair.
    pairs: BTreeMap<(OrderedF64, OrderedF64), f64>,
    /// Weight of each label, ascending.
    by_label: BTreeMap<OrderedF64, f64>,
    /// Weight of the right predictions of each label.
    true_positives: BTreeMap<OrderedF64, f64>,
    /// Weight of the wrong predictions of each predicted class.
    false_positives: BTreeMap<OrderedF64, f64>,
    total: f64,
}

impl Confusions {
    fn new(pairs: BTreeMap<(OrderedF64, OrderedF64), f64>) -> Self {
        let (mut by_label, mut true_positives, mut false_positives) =
            (BTreeMap::new(), BTreeMap::new(), BTreeMap::new());
        for (&(label, prediction), &w) in &pairs {
            *by_label.entry(label).or_insert(0.0) += w;
            let tp = true_positives.entry(label).or_insert(0.0);
            if label == prediction {
                *tp += w;
            } else {
                *false_positives.entry(prediction).or_insert(0.0) += w;
            }
        }
        let total = by_label.values().sum();
        Confusions { pairs, by_label, true_positives, false_positives, total }
    }

    fn label_weight(&self, label: f64) -> Result<f64> {
        self.by_label.get(&key(label)).copied().ok_or_else(|| {
            let labels: Vec<f64> = self.by_label.keys().map(|k| k.0).collect();
            Error::data(
                ALG,
                format!("metric_label {label} does not occur in the label column, whose labels are {labels:?}"),
            )
        })
    }

    fn precision(&self, label: f64) -> Result<f64> {
        self.label_weight(label)?;
        let tp = self.true_positives.get(&key(label)).copied().unwrap_or(0.0);
        let fp = self.false_positives.get(&key(label)).copied().unwrap_or(0.0);
        Ok(if tp + fp == 0.0 { 0.0 } else { tp / (tp + fp) })
    }

    fn recall(&self, label: f64) -> Result<f64> {
        let n = self.label_weight(label)?;
        Ok(self.true_positives.get(&key(label)).copied().unwrap_or(0.0) / n)
    }

    fn false_positive_rate(&self, label: f64) -> Result<f64> {
        let n = self.label_weight(label)?;
        Ok(self.false_positives.get(&key(label)).copied().unwrap_or(0.0) / (self.total - n))
    }

    fn f_measure(&self, label: f64, beta: f64) -> Result<f64> {
        let (p, r) = (self.precision(label)?, self.recall(label)?);
        let b2 = beta * beta;
        Ok(if p + r == 0.0 { 0.0 } else { (1.0 + b2) * p * r / (b2 * p + r) })
    }

    /// `Σₗ f(l)·n(l)/N` over the labels that occur.
    fn weighted(&self, f: impl Fn(f64) -> Result<f64>) -> Result<f64> {
        let mut sum = 0.0;
        for (label, &n) in &self.by_label {
            sum += f(label.0)? * n / self.total;
        }
        Ok(sum)
    }

    fn accuracy(&self) -> f64 {
        self.true_positives.values().sum::<f64>() / self.total
    }

    fn hamming_loss(&self) -> f64 {
        let wrong: f64 = self.pairs.iter().filter(|((l, p), _)| l != p).map(|(_, w)| w).sum();
        wrong / self.pairs.values().sum::<f64>()
    }
}

impl Evaluator for MulticlassClassificationEvaluator {
    fn evaluate(&self, df: &DataFrame) -> Result<f64> {
        let metric = self.validate()?;
        if metric == Metric::LogLoss {
            return self.log_loss(df);
        }
        let inputs = [
            Input::new(&self.label_col, "label_col", Kind::Number),
            Input::new(&self.prediction_col, "prediction_col", Kind::Number),
        ];
        let (labels, predictions, w) = read_weighted(df, inputs, self.weight_col.as_deref(), ALG)?;
        let (labels, predictions) = (labels.numbers(), predictions.numbers());
        refuse_nan(&labels, &self.label_col, "label_col", ALG)?;
        refuse_nan(&predictions, &self.prediction_col, "prediction_col", ALG)?;
        let w = w.check(labels.len())?;
        let rows: Vec<((OrderedF64, OrderedF64), f64)> =
            labels.into_iter().zip(predictions).zip(w).map(|((y, p), w)| ((key(y), key(p)), w)).collect();
        let pairs = distribute(df, rows).reduce_by_key(|a, b| a + b).collect()?.into_iter().collect();
        let c = Confusions::new(pairs);
        let (label, beta) = (self.metric_label, self.beta);
        match metric {
            Metric::F1 => c.weighted(|l| c.f_measure(l, 1.0)),
            Metric::WeightedFMeasure => c.weighted(|l| c.f_measure(l, beta)),
            Metric::Accuracy => Ok(c.accuracy()),
            Metric::WeightedPrecision => c.weighted(|l| c.precision(l)),
            Metric::WeightedRecall | Metric::WeightedTruePositiveRate => c.weighted(|l| c.recall(l)),
            Metric::WeightedFalsePositiveRate => c.weighted(|l| c.false_positive_rate(l)),
            Metric::TruePositiveRateByLabel | Metric::RecallByLabel => c.recall(label),
            Metric::FalsePositiveRateByLabel => c.false_positive_rate(label),
            Metric::PrecisionByLabel => c.precision(label),
            Metric::FMeasureByLabel => c.f_measure(label, beta),
            Metric::HammingLoss => Ok(c.hamming_loss()),
            Metric::LogLoss => self.log_loss(df),
        }
    }

    fn is_larger_better(&self) -> Result<bool> {
        Ok(!matches!(
            self.metric()?,
            Metric::WeightedFalsePositiveRate
                | Metric::FalsePositiveRateByLabel
                | Metric::LogLoss
                | Metric::HammingLoss
        ))
    }
}
