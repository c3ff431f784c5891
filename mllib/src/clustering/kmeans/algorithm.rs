//! Lloyd's iterations over cached blocks: each task assigns its partition's rows to their closest centres with
//! one matrix product per chunk of rows and returns per-centre sums and counts; the driver averages them into the
//! next centres.

use super::params::DistanceMeasure;
use crate::blocks::{Block, Blocks, CHUNK_ROWS, Rows};
use crate::error::Result;
use ndarray::{Array1, Array2, ArrayView1, s};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// Centres as the rows of a `k × n` array, with their squared norms.
#[derive(Debug)]
pub(crate) struct Centers {
    pub(crate) m: Array2<f64>,
    norms_sq: Array1<f64>,
    measure: DistanceMeasure,
}

impl Centers {
    pub(crate) fn new(m: Array2<f64>, measure: DistanceMeasure) -> Self {
        let norms_sq = m.rows().into_iter().map(|r| r.dot(&r)).collect();
        Centers { m, norms_sq, measure }
    }

    pub(crate) fn measure(&self) -> DistanceMeasure {
        self.measure
    }

    /// Calls `f(chunk, row in chunk, closest centre, distance to it)` for every row of a block, one chunk
    /// product at a time.
    pub(crate) fn assign_each(&self, block: &Block, mut f: impl FnMut(&Rows<'_>, usize, usize, f64)) {
        let mut prod = Array2::zeros((CHUNK_ROWS, self.m.nrows()));
        for (_, rows) in block.chunks() {
            let mut prod = prod.slice_mut(s![..rows.rows(), ..]);
            rows.dot_rows_into(&self.m, &mut prod);
            let x_norms = if self.measure == DistanceMeasure::Euclidean { Some(rows.row_norms_sq()) } else { None };
            for (r, row) in prod.rows().into_iter().enumerate() {
                // Rows and centres are unit vectors for cosine distance, so 1 − x·c is the distance.
                let (best, d) = match &x_norms {
                    Some(x_norms) => argmin(row.iter().zip(&self.norms_sq).map(|(xc, cn)| cn - 2.0 * xc))
                        .map(|(j, d)| (j, d + x_norms[r])),
                    None => argmin(row.iter().map(|xc| 1.0 - xc)),
                }
                .unwrap_or((0, 0.0));
                let cost = match (self.measure, &rows) {
                    // The exact squared distance, free of the cancellation in ‖x‖² − 2x·c + ‖c‖².
                    (DistanceMeasure::Euclidean, Rows::Dense(a)) => sq_dist(a.row(r), self.m.row(best)),
                    _ => d,
                };
                f(&rows, r, best, cost.max(0.0));
            }
        }
    }

    /// The total distance of a block's rows to their closest centres.
    pub(crate) fn cost(&self, block: &Block) -> f64 {
        let mut total = 0.0;
        self.assign_each(block, |_, _, _, cost| total += cost);
        total
    }

    /// The closest centre of one point and the distance to it (the point normalised first for cosine).
    pub(crate) fn closest(&self, x: &Array1<f64>) -> (usize, f64) {
        let n = self.m.nrows();
        (0..n)
            .map(|j| (j, distance(self.measure, x.view(), self.m.row(j))))
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .unwrap_or((0, 0.0))
    }
}

/// The index and value of the smallest item (the first on ties).
pub(super) fn argmin(values: impl Iterator<Item = f64>) -> Option<(usize, f64)> {
    values.enumerate().fold(None, |best, (j, v)| match best {
        Some((_, b)) if b <= v => best,
        _ => Some((j, v)),
    })
}

fn sq_dist(x: ArrayView1<'_, f64>, c: ArrayView1<'_, f64>) -> f64 {
    x.iter().zip(c).map(|(a, b)| (a - b) * (a - b)).sum()
}

/// The distance between a point and a centre (both unit vectors for cosine).
pub(crate) fn distance(measure: DistanceMeasure, x: ArrayView1<'_, f64>, c: ArrayView1<'_, f64>) -> f64 {
    match measure {
        DistanceMeasure::Euclidean => sq_dist(x, c),
        DistanceMeasure::Cosine => 1.0 - x.dot(&c),
    }
}

/// Per-centre sums and counts of one assignment pass, and its cost.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Step {
    pub(crate) sums: Array2<f64>,
    pub(crate) counts: Vec<u64>,
    pub(crate) cost: f64,
}

impl Step {
    fn zero(k: usize, n: usize) -> Self {
        Step { sums: Array2::zeros((k, n)), counts: vec![0; k], cost: 0.0 }
    }

    fn add_block(mut self, block: &Block, centers: &Centers) -> Self {
        centers.assign_each(block, |rows, r, j, cost| {
            rows.add_row_to(r, 1.0, self.sums.row_mut(j));
            self.counts[j] += 1;
            self.cost += cost;
        });
        self
    }

    fn merge(mut self, other: Step) -> Self {
        self.sums += &other.sums;
        for (a, b) in self.counts.iter_mut().zip(other.counts) {
            *a += b;
        }
        self.cost += other.cost;
        self
    }
}

/// One assignment pass over every block with these centres.
pub(crate) fn assignment_pass(blocks: &Blocks, centers: Centers) -> Result<Step> {
    let (k, n) = centers.m.dim();
    let centers = Arc::new(centers);
    Ok(blocks.rdd.aggregate(Step::zero(k, n), move |step, block| step.add_block(&block.0, &centers), Step::merge)?)
}

/// The mean of each cluster (unit-normalised for cosine); an empty cluster keeps its centre, as in Spark.
fn next_centers(step: &Step, old: &Array2<f64>, measure: DistanceMeasure) -> Array2<f64> {
    let mut next = old.clone();
    for (j, &count) in step.counts.iter().enumerate() {
        if count > 0 {
            let mut c = step.sums.row(j).mapv(|s| s / count as f64);
            if measure == DistanceMeasure::Cosine {
                let norm = c.dot(&c).sqrt();
                if norm > 0.0 {
                    c /= norm;
                }
            }
            next.row_mut(j).assign(&c);
        }
    }
    next
}

/// Lloyd's iterations from `initial` until no centre moves more than `tol` (Euclidean) or `max_iter` passes;
/// returns the centres and the number of iterations run.
pub(crate) fn lloyd(
    blocks: &Blocks,
    initial: Array2<f64>,
    measure: DistanceMeasure,
    max_iter: usize,
    tol: f64,
) -> Result<(Array2<f64>, usize)> {
    let mut centers = initial;
    let mut iterations = 0;
    while iterations < max_iter {
        let step = assignment_pass(blocks, Centers::new(centers.clone(), measure))?;
        let next = next_centers(&step, &centers, measure);
        iterations += 1;
        // Spark's test: squared Euclidean movement within tol², or cosine distance within tol.
        let converged = next.rows().into_iter().zip(centers.rows()).all(|(a, b)| match measure {
            DistanceMeasure::Euclidean => sq_dist(a, b) <= tol * tol,
            DistanceMeasure::Cosine => distance(measure, a, b) <= tol,
        });
        centers = next;
        if converged {
            break;
        }
    }
    Ok((centers, iterations))
}
