//! Pearson's chi-square tests (Spark's `Statistics.chiSqTest`): goodness of fit of observed counts, independence
//! in a contingency matrix, and independence of each feature from the label over labeled points.

use super::special::chi_square_sf;
use crate::error::{Error, Result};
use crate::linalg::{DenseMatrix, Vector};
use crate::regression::LabeledPoint;
use flint_engine::Rdd;
use flint_engine::rdd::OrderedF64;
use ndarray::Array2;
use std::collections::BTreeMap;
use std::fmt;

/// Spark's limit on the distinct values of a feature or label in `chi_sq_test_features`.
const MAX_CATEGORIES: usize = 10_000;

/// The outcome of a chi-square test (Spark's `ChiSqTestResult`).
#[derive(Debug, Clone, PartialEq)]
pub struct ChiSqTestResult {
    /// The probability of a statistic at least this large under the null hypothesis.
    pub p_value: f64,
    /// The degrees of freedom.
    pub degrees_of_freedom: usize,
    /// The test statistic.
    pub statistic: f64,
    /// The method: `pearson`.
    pub method: &'static str,
    /// The null hypothesis tested.
    pub null_hypothesis: &'static str,
}

impl fmt::Display for ChiSqTestResult {
    /// Spark's summary text, with its verdict on the evidence against the null hypothesis.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let verdict = if self.p_value <= 0.01 {
            "Very strong presumption against null hypothesis"
        } else if self.p_value <= 0.05 {
            "Strong presumption against null hypothesis"
        } else if self.p_value <= 0.1 {
            "Low presumption against null hypothesis"
        } else {
            "No presumption against null hypothesis"
        };
        writeln!(f, "Chi squared test summary:")?;
        writeln!(f, "method: {}", self.method)?;
        writeln!(f, "degrees of freedom = {} ", self.degrees_of_freedom)?;
        writeln!(f, "statistic = {} ", self.statistic)?;
        writeln!(f, "pValue = {} ", self.p_value)?;
        write!(f, "{verdict}: {}", self.null_hypothesis)
    }
}

const GOODNESS_OF_FIT: &str = "observed follows the same distribution as expected.";
const INDEPENDENCE: &str = "the occurrence of the outcomes is statistically independent.";

fn result(statistic: f64, df: usize, null_hypothesis: &'static str) -> ChiSqTestResult {
    ChiSqTestResult {
        // No freedom, no evidence: a one-row or one-column table cannot depart from independence.
        p_value: if df == 0 { 1.0 } else { chi_square_sf(statistic, df as f64) },
        degrees_of_freedom: df,
        statistic,
        method: "pearson",
        null_hypothesis,
    }
}

/// Goodness of fit of `observed` counts against `expected` ones (rescaled to the same total), or against the
/// uniform distribution when `expected` is `None`.
pub(crate) fn goodness_of_fit(observed: &Vector, expected: Option<&Vector>) -> Result<ChiSqTestResult> {
    const OP: &str = "chiSqTest";
    let obs = observed.to_array();
    if obs.is_empty() {
        return Err(Error::data(OP, "the observed vector is empty"));
    }
    if let Some(v) = obs.iter().find(|v| !(v.is_finite() && **v >= 0.0)) {
        return Err(Error::data(OP, format!("observed counts must be non-negative and finite, found {v}")));
    }
    let obs_sum: f64 = obs.iter().sum();
    let exp = match expected {
        Some(e) => {
            if e.size() != obs.len() {
                return Err(Error::data(
                    OP,
                    format!("observed has {} values but expected has {}", obs.len(), e.size()),
                ));
            }
            let e = e.to_array();
            if let Some(v) = e.iter().find(|v| !(v.is_finite() && **v > 0.0)) {
                return Err(Error::data(OP, format!("expected counts must be positive and finite, found {v}")));
            }
            let exp_sum: f64 = e.iter().sum();
            e.into_iter().map(|v| v * obs_sum / exp_sum).collect::<Vec<_>>()
        }
        None => vec![obs_sum / obs.len() as f64; obs.len()],
    };
    let statistic = obs.iter().zip(&exp).map(|(o, e)| (o - e) * (o - e) / e).sum();
    Ok(result(statistic, obs.len() - 1, GOODNESS_OF_FIT))
}

/// Independence of the rows and columns of a contingency matrix of counts.
pub(crate) fn independence(counts: &DenseMatrix) -> Result<ChiSqTestResult> {
    const OP: &str = "chiSqTest";
    let m = counts.as_array();
    if let Some(v) = m.iter().find(|v| !(v.is_finite() && **v >= 0.0)) {
        return Err(Error::data(OP, format!("contingency counts must be non-negative and finite, found {v}")));
    }
    let row_sums = m.sum_axis(ndarray::Axis(1));
    let col_sums = m.sum_axis(ndarray::Axis(0));
    if let Some(j) = col_sums.iter().position(|s| *s == 0.0) {
        return Err(Error::data(OP, format!("the statistic is undefined: column {j} of the matrix sums to 0")));
    }
    if let Some(i) = row_sums.iter().position(|s| *s == 0.0) {
        return Err(Error::data(OP, format!("the statistic is undefined: row {i} of the matrix sums to 0")));
    }
    let total: f64 = row_sums.sum();
    let mut statistic = 0.0;
    for ((i, j), o) in m.indexed_iter() {
        let e = row_sums[i] * col_sums[j] / total;
        statistic += (o - e) * (o - e) / e;
    }
    let df = (m.nrows() - 1) * (m.ncols() - 1);
    Ok(result(statistic, df, INDEPENDENCE))
}

/// For each feature, independence of its values from the labels (both categorical, at most 10,000 values each).
pub(crate) fn features_independence(points: &Rdd<LabeledPoint>) -> Result<Vec<ChiSqTestResult>> {
    const OP: &str = "chiSqTest";
    let counts = points
        .flat_map(|p| {
            let label = OrderedF64(p.label + 0.0);
            p.features
                .to_array()
                .into_iter()
                .enumerate()
                .map(move |(j, v)| ((j as u64, OrderedF64(v + 0.0), label), 1u64))
                .collect::<Vec<_>>()
        })
        .reduce_by_key(|a, b| a + b)
        .collect()?;
    if counts.is_empty() {
        return Err(Error::data(OP, "the dataset has no labeled points"));
    }
    let mut tables: BTreeMap<u64, BTreeMap<(OrderedF64, OrderedF64), u64>> = BTreeMap::new();
    for ((j, v, label), c) in counts {
        tables.entry(j).or_default().insert((v, label), c);
    }
    let mut results = Vec::with_capacity(tables.len());
    for (j, table) in tables {
        let values: Vec<OrderedF64> =
            table.keys().map(|k| k.0).collect::<std::collections::BTreeSet<_>>().into_iter().collect();
        let labels: Vec<OrderedF64> =
            table.keys().map(|k| k.1).collect::<std::collections::BTreeSet<_>>().into_iter().collect();
        if values.len() > MAX_CATEGORIES || labels.len() > MAX_CATEGORIES {
            return Err(Error::data(
                OP,
                format!(
                    "feature {j} has {} distinct values and the label {}: the test needs categorical data (at most \
                     {MAX_CATEGORIES} values)",
                    values.len(),
                    labels.len()
                ),
            ));
        }
        let mut m = Array2::zeros((values.len(), labels.len()));
        for ((v, l), c) in table {
            let i = values.binary_search(&v).unwrap_or_default();
            let k = labels.binary_search(&l).unwrap_or_default();
            m[(i, k)] = c as f64;
        }
        results.push(independence(&DenseMatrix::from_array(m))?);
    }
    Ok(results)
}
