//! `BinaryClassificationEvaluator`: areas under the ROC and precision-recall curves, built as Spark's
//! `BinaryClassificationMetrics` builds them.
//!
//! The rows are first reduced to weighted (positive, negative) counts per distinct score and sorted by score,
//! descending (Spark's `combineByKey` and `sortByKey`, here `reduce_by_key` and `sort_by_key` on the engine);
//! each distinct score is then a threshold, and the cumulative counts above it are one point of each curve.

use super::{Evaluator, Input, Kind, Values, distribute, key, parse_metric, read_weighted, refuse_nan};
use crate::builder::setters;
use crate::error::{Error, Result};
use flint_engine::prelude::*;

const ALG: &str = "BinaryClassificationEvaluator";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Metric {
    AreaUnderRoc,
    AreaUnderPr,
}

const METRICS: &[(&str, Metric)] = &[("areaUnderROC", Metric::AreaUnderRoc), ("areaUnderPR", Metric::AreaUnderPr)];

/// Evaluates binary classifiers by the ranking of their scores (Spark's `BinaryClassificationEvaluator`); a
/// builder with Spark's names and defaults.
///
/// The score of a row is its `rawPrediction`: element 1 of a vector (as a binary classifier's
/// `rawPrediction` or `probability` column), or the number itself. A label above 0.5 is positive, as Spark's.
/// - `areaUnderROC` (default): the trapezoidal area under (false positive rate, true positive rate) over the
///   thresholds, from (0, 0) to (1, 1); tied scores make one step, so a tie counts half, as in scikit-learn's
///   `roc_auc_score`.
/// - `areaUnderPR`: the trapezoidal area under (recall, precision), starting at (0, precision of the first
///   threshold), as Spark's; it is not scikit-learn's `average_precision_score`, a step-wise sum.
///
/// With more than `2 × num_bins` distinct scores, consecutive thresholds are grouped `⌊distinct / num_bins⌋` at
/// a time (the last group smaller), as Spark's down-sampling, so the curves have about `num_bins` points; with
/// `num_bins(0)` every distinct score is a threshold. Spark groups within each partition of its sorted scores,
/// so its groups also depend on the partitioning; Flint groups the whole sorted sequence (Spark's grouping when
/// the scores are in one partition), which does not.
///
/// ```
/// use flint_engine::prelude::*;
/// use flint_mllib::evaluation::{BinaryClassificationEvaluator, Evaluator};
///
/// let session = Session::builder().master("local[2]").build()?;
/// let df = session.create_dataframe(
///     vec![(0.9, 1.0), (0.8, 0.0), (0.7, 1.0), (0.1, 0.0)],
///     &["rawPrediction", "label"],
/// )?;
/// // ROC: (0, 0) (0, ½) (½, ½) (½, 1) (1, 1).
/// assert_eq!(BinaryClassificationEvaluator::new().evaluate(&df)?, 0.75);
/// // PR: (0, 1) (½, 1) (½, ½) (1, ⅔) (1, ½).
/// let pr = BinaryClassificationEvaluator::new().metric_name("areaUnderPR").evaluate(&df)?;
/// assert!((pr - (0.5 + 0.5 * (0.5 + 2.0 / 3.0) / 2.0)).abs() < 1e-15);
/// # Ok::<(), flint_mllib::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct BinaryClassificationEvaluator {
    metric_name: String,
    raw_prediction_col: String,
    label_col: String,
    weight_col: Option<String>,
    num_bins: usize,
}

impl Default for BinaryClassificationEvaluator {
    fn default() -> Self {
        BinaryClassificationEvaluator {
            metric_name: "areaUnderROC".into(),
            raw_prediction_col: "rawPrediction".into(),
            label_col: "label".into(),
            weight_col: None,
            num_bins: 1000,
        }
    }
}

impl BinaryClassificationEvaluator {
    /// Spark's defaults: `areaUnderROC` of `rawPrediction` against `label`, 1000 bins, unweighted.
    pub fn new() -> Self {
        Self::default()
    }

    setters! {
        /// The metric: `areaUnderROC` (default) or `areaUnderPR`.
        metric_name: &str,
        /// The score column: vectors of length 2 (element 1 is the score) or numbers (default `rawPrediction`).
        raw_prediction_col: &str,
        /// The label column, numeric: above 0.5 is positive (default `label`).
        label_col: &str,
        /// The number of bins the curves are down-sampled to; 0 for none (default 1000).
        num_bins: usize,
        /// A column of non-negative instance weights (default: none, every row weighs 1).
        weight_col: Option<&str>,
    }

    fn metric(&self) -> Result<Metric> {
        parse_metric(ALG, &self.metric_name, METRICS)
    }
}

impl Evaluator for BinaryClassificationEvaluator {
    fn evaluate(&self, df: &DataFrame) -> Result<f64> {
        let metric = self.metric()?;
        let inputs = [
            Input::new(&self.raw_prediction_col, "raw_prediction_col", Kind::NumberOrVector),
            Input::new(&self.label_col, "label_col", Kind::Number),
        ];
        let (scores, labels, w) = read_weighted(df, inputs, self.weight_col.as_deref(), ALG)?;
        let scores = match scores {
            Values::Numbers(s) => s,
            Values::Vectors(vs) => vs
                .iter()
                .enumerate()
                .map(|(row, v)| {
                    if v.size() != 2 {
                        return Err(Error::data(
                            ALG,
                            format!(
                                "column `{}` (raw_prediction_col) must hold vectors of length 2 (a binary \
                                 classifier's), but row {row} has length {}",
                                self.raw_prediction_col,
                                v.size()
                            ),
                        ));
                    }
                    Ok(v.get(1)?)
                })
                .collect::<Result<Vec<f64>>>()?,
        };
        refuse_nan(&scores, &self.raw_prediction_col, "raw_prediction_col", ALG)?;
        let labels = labels.numbers();
        refuse_nan(&labels, &self.label_col, "label_col", ALG)?;
        let w = w.check(labels.len())?;
        let rows: Vec<(OrderedF64, (f64, f64))> = scores
            .into_iter()
            .zip(labels)
            .zip(w)
            .map(|((s, y), w)| (key(s), if y > 0.5 { (w, 0.0) } else { (0.0, w) }))
            .collect();
        let counts = distribute(df, rows)
            .reduce_by_key(|a, b| (a.0 + b.0, a.1 + b.1))
            .sort_by_key(false)
            .collect()?
            .into_iter()
            .map(|(s, (positives, negatives))| ScoreCounts { score: s.0, positives, negatives })
            .collect::<Vec<_>>();
        let curve = Confusions::new(&down_sample(counts, self.num_bins));
        Ok(match metric {
            Metric::AreaUnderRoc => curve.area_under_roc(),
            Metric::AreaUnderPr => curve.area_under_pr(),
        })
    }

    fn is_larger_better(&self) -> Result<bool> {
        self.metric().map(|_| true)
    }
}

/// The weighted positives and negatives of one distinct score (or of a group of consecutive scores).
#[derive(Debug, Clone, Copy, PartialEq)]
struct ScoreCounts {
    /// The smallest score of the group (Spark keeps the last, which is the smallest).
    score: f64,
    positives: f64,
    negatives: f64,
}

/// Spark's down-sampling of counts sorted by score, descending: with `g = ⌊len / num_bins⌋ ≥ 2`, each run of
/// `g` consecutive scores becomes one (the last run shorter); otherwise the counts are kept as they are.
fn down_sample(counts: Vec<ScoreCounts>, num_bins: usize) -> Vec<ScoreCounts> {
    let grouping = counts.len().checked_div(num_bins).unwrap_or(0).min(i32::MAX as usize);
    if grouping < 2 {
        return counts;
    }
    counts
        .chunks(grouping)
        .map(|chunk| ScoreCounts {
            score: chunk.last().map_or(f64::NAN, |c| c.score),
            positives: chunk.iter().map(|c| c.positives).sum(),
            negatives: chunk.iter().map(|c| c.negatives).sum(),
        })
        .collect()
}

/// The cumulative confusion counts at each threshold, from the highest score down.
struct Confusions {
    /// (true positives, false positives) with every score at or above the threshold predicted positive.
    points: Vec<(f64, f64)>,
    positives: f64,
    negatives: f64,
}

impl Confusions {
    fn new(counts: &[ScoreCounts]) -> Self {
        let (mut tp, mut fp) = (0.0, 0.0);
        let points = counts
            .iter()
            .map(|c| {
                tp += c.positives;
                fp += c.negatives;
                (tp, fp)
            })
            .collect();
        Confusions { points, positives: tp, negatives: fp }
    }

    /// Spark's `Recall`: 0 without positives.
    fn recall(&self, tp: f64) -> f64 {
        if self.positives == 0.0 { 0.0 } else { tp / self.positives }
    }

    /// Spark's `FalsePositiveRate`: 0 without negatives.
    fn false_positive_rate(&self, fp: f64) -> f64 {
        if self.negatives == 0.0 { 0.0 } else { fp / self.negatives }
    }

    /// Spark's `Precision`: 1 when nothing is predicted positive.
    fn precision(tp: f64, fp: f64) -> f64 {
        if tp + fp == 0.0 { 1.0 } else { tp / (tp + fp) }
    }

    /// The ROC curve, (0, 0) first and (1, 1) last.
    fn roc(&self) -> Vec<(f64, f64)> {
        let inner = self.points.iter().map(|&(tp, fp)| (self.false_positive_rate(fp), self.recall(tp)));
        std::iter::once((0.0, 0.0)).chain(inner).chain(std::iter::once((1.0, 1.0))).collect()
    }

    /// The precision-recall curve, starting at (0, precision of the first threshold).
    fn pr(&self) -> Vec<(f64, f64)> {
        let inner: Vec<(f64, f64)> =
            self.points.iter().map(|&(tp, fp)| (self.recall(tp), Self::precision(tp, fp))).collect();
        let first = inner.first().map_or(1.0, |p| p.1);
        std::iter::once((0.0, first)).chain(inner).collect()
    }

    fn area_under_roc(&self) -> f64 {
        trapezoids(&self.roc())
    }

    fn area_under_pr(&self) -> f64 {
        trapezoids(&self.pr())
    }
}

/// The area under a curve by the trapezoid rule (Spark's `AreaUnderCurve`).
fn trapezoids(curve: &[(f64, f64)]) -> f64 {
    curve.windows(2).map(|w| (w[1].0 - w[0].0) * (w[1].1 + w[0].1) / 2.0).sum()
}

/// The area under the ROC curve of local `(score, label)` pairs (label above 0.5 positive), every distinct score
/// a threshold: Spark's `BinaryClassificationMetrics` without down-sampling, for training summaries.
pub(crate) fn area_under_roc(mut scored: Vec<(f64, f64)>) -> f64 {
    scored.sort_by_key(|s| std::cmp::Reverse(key(s.0)));
    let mut counts: Vec<ScoreCounts> = Vec::new();
    for (score, label) in scored {
        let (p, n) = if label > 0.5 { (1.0, 0.0) } else { (0.0, 1.0) };
        match counts.last_mut() {
            Some(last) if key(last.score) == key(score) => {
                last.positives += p;
                last.negatives += n;
            }
            _ => counts.push(ScoreCounts { score, positives: p, negatives: n }),
        }
    }
    Confusions::new(&counts).area_under_roc()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(v: &[(f64, f64, f64)]) -> Vec<ScoreCounts> {
        v.iter().map(|&(score, positives, negatives)| ScoreCounts { score, positives, negatives }).collect()
    }

    #[test]
    fn area_under_roc_by_hand() {
        // Scores 0.9(+) 0.8(−) 0.7(+) 0.1(−): ROC (0,½) (½,½) (½,1) (1,1) → area ¾.
        assert_eq!(area_under_roc(vec![(0.9, 1.0), (0.8, 0.0), (0.7, 1.0), (0.1, 0.0)]), 0.75);
        // A tie between a positive and a negative counts half.
        assert_eq!(area_under_roc(vec![(0.5, 1.0), (0.5, 0.0)]), 0.5);
        // One class only: Spark's conventions (rates of an empty class are 0), not NaN.
        assert_eq!(area_under_roc(vec![(0.5, 1.0), (0.2, 1.0)]), 1.0);
        assert_eq!(area_under_roc(vec![(0.5, 0.0), (0.2, 0.0)]), 0.0);
    }

    #[test]
    fn down_sampling_groups_consecutive_scores_as_spark() {
        let c = counts(&[(5.0, 1.0, 0.0), (4.0, 0.0, 1.0), (3.0, 1.0, 0.0), (2.0, 0.0, 1.0), (1.0, 1.0, 1.0)]);
        // 5 distinct scores, 2 bins: groups of 2, the last of 1; each keeps its smallest score.
        assert_eq!(down_sample(c.clone(), 2), counts(&[(4.0, 1.0, 1.0), (2.0, 1.0, 1.0), (1.0, 1.0, 1.0)]));
        // 3 bins: ⌊5/3⌋ = 1 < 2, no grouping; 0 bins: none either.
        assert_eq!(down_sample(c.clone(), 3), c);
        assert_eq!(down_sample(c.clone(), 0), c);
    }

    #[test]
    fn pr_curve_starts_at_the_first_precision() {
        // First threshold: 1 false positive → precision 0, so the curve starts at (0, 0), not (0, 1).
        let c = Confusions::new(&counts(&[(2.0, 0.0, 1.0), (1.0, 1.0, 0.0)]));
        assert_eq!(c.pr(), vec![(0.0, 0.0), (0.0, 0.0), (1.0, 0.5)]);
        assert_eq!(c.area_under_pr(), 0.25);
    }
}
