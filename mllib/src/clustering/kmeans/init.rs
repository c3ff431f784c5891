//! Initial centres: k-means‖ (Spark's `initKMeansParallel`), random rows, or centres given by the user.
//!
//! k-means‖ picks one random row, then for `init_steps` passes keeps each row with probability
//! `2k · cost(row) / total cost` (cost: distance to the closest candidate so far), all partitions sampling in
//! parallel with seeds derived from the step and the partition. The candidates, weighted by how many rows are
//! closest to them, are reduced to `k` by weighted k-means++ and 30 local Lloyd iterations, as Spark does.

use super::algorithm::{Centers, distance};
use super::params::{DistanceMeasure, InitMode, KMeansParams};
use crate::blocks::Blocks;
use crate::error::{Error, Result};
use crate::linalg::Vector;
use ndarray::{Array1, Array2};
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use std::sync::Arc;

/// Local Lloyd iterations on the k-means‖ candidates (Spark's `LocalKMeans` limit).
const LOCAL_ITERATIONS: usize = 30;

/// The initial centres of a fit, as the rows of a `k' × n` array (`k' ≤ k` when the data has fewer distinct
/// candidates).
pub(crate) fn initial_centers(blocks: &Blocks, params: &KMeansParams) -> Result<Array2<f64>> {
    let measure = params.distance_measure;
    if let Some(given) = &params.initial_centers {
        let mut rows = Vec::with_capacity(given.len());
        for c in given {
            if c.size() != blocks.dim {
                return Err(Error::param(
                    "KMeans",
                    "initial_centers",
                    format!("a centre has {} features but the data has {}", c.size(), blocks.dim),
                ));
            }
            rows.push(normalize_for(measure, c.to_dense_array()));
        }
        return Ok(stack(&rows, blocks.dim));
    }
    let centers = match params.init_mode {
        InitMode::Random => random_rows(blocks, params.k, params.seed)?,
        InitMode::KMeansParallel => k_means_parallel(blocks, params)?,
    };
    Ok(stack(&centers, blocks.dim))
}

fn normalize_for(measure: DistanceMeasure, mut x: Array1<f64>) -> Array1<f64> {
    if measure == DistanceMeasure::Cosine {
        let norm = x.dot(&x).sqrt();
        if norm > 0.0 {
            x /= norm;
        }
    }
    x
}

fn stack(rows: &[Array1<f64>], n: usize) -> Array2<f64> {
    let mut m = Array2::zeros((rows.len(), n));
    for (mut dst, src) in m.rows_mut().into_iter().zip(rows) {
        dst.assign(src);
    }
    m
}

/// Distinct rows, in first-seen order.
fn distinct(rows: Vec<Array1<f64>>) -> Vec<Array1<f64>> {
    let mut out: Vec<Array1<f64>> = Vec::with_capacity(rows.len());
    for r in rows {
        if !out.contains(&r) {
            out.push(r);
        }
    }
    out
}

/// The rows at these global positions (row numbers in partition order).
fn rows_at(blocks: &Blocks, mut positions: Vec<u64>) -> Result<Vec<Array1<f64>>> {
    positions.sort_unstable();
    let sizes: Vec<u64> = blocks.rdd.map(|b| b.0.rows() as u64).collect()?;
    let mut wanted: Vec<Vec<usize>> = vec![Vec::new(); sizes.len()];
    let (mut start, mut p) = (0u64, 0usize);
    for pos in positions {
        while p < sizes.len() && pos >= start + sizes[p] {
            start += sizes[p];
            p += 1;
        }
        if let Some(w) = wanted.get_mut(p) {
            w.push((pos - start) as usize);
        }
    }
    let wanted = Arc::new(wanted);
    Ok(blocks
        .rdd
        .map_partitions_with_index(move |p, it| {
            let rows: Vec<usize> = wanted.get(p).cloned().unwrap_or_default();
            it.flat_map(move |b| rows.iter().map(|&r| b.0.row_vector(r).to_dense_array()).collect::<Vec<_>>())
                .collect::<Vec<_>>()
        })
        .collect()?)
}

/// `k` distinct random rows (fewer if the data has fewer distinct rows).
fn random_rows(blocks: &Blocks, k: usize, seed: u64) -> Result<Vec<Array1<f64>>> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let picks = rand::seq::index::sample(&mut rng, blocks.rows as usize, k.min(blocks.rows as usize));
    Ok(distinct(rows_at(blocks, picks.into_iter().map(|i| i as u64).collect())?))
}

fn k_means_parallel(blocks: &Blocks, params: &KMeansParams) -> Result<Vec<Array1<f64>>> {
    let (k, seed, measure) = (params.k, params.seed, params.distance_measure);
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let first = rng.gen_range(0..blocks.rows);
    let mut candidates = rows_at(blocks, vec![first])?;
    for step in 0..params.init_steps as u64 {
        let centers = Arc::new(Centers::new(stack(&candidates, blocks.dim), measure));
        let c = Arc::clone(&centers);
        let total: f64 = blocks.rdd.map(move |b| c.cost(&b.0)).sum()?;
        if total <= 0.0 {
            break; // every row is already a candidate
        }
        let chosen: Vec<Array1<f64>> = blocks
            .rdd
            .map_partitions_with_index(move |p, it| {
                let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed ^ (step << 16) ^ p as u64);
                let mut picked = Vec::new();
                for b in it {
                    centers.assign_each(&b.0, |rows, r, _, cost| {
                        if rng.r#gen::<f64>() < 2.0 * cost * k as f64 / total {
                            picked.push(rows.row_vector(r).to_dense_array());
                        }
                    });
                }
                picked
            })
            .collect()?;
        candidates.extend(chosen);
    }
    let candidates = distinct(candidates);
    if candidates.len() <= k {
        return Ok(candidates);
    }
    // Weight each candidate by the rows closest to it, then reduce them to k locally.
    let centers = Arc::new(Centers::new(stack(&candidates, blocks.dim), measure));
    let n_candidates = candidates.len();
    let weights = blocks.rdd.aggregate(
        vec![0.0; n_candidates],
        move |mut w, b| {
            centers.assign_each(&b.0, |_, _, j, _| w[j] += 1.0);
            w
        },
        |a, b| a.iter().zip(&b).map(|(x, y)| x + y).collect(),
    )?;
    Ok(local_k_means_pp(&candidates, &weights, k, measure, seed))
}

/// Weighted k-means++ seeding and Lloyd iterations on a few local points (Spark's `LocalKMeans.kMeansPlusPlus`).
///
/// The seeding is greedy, as scikit-learn's: each new centre is the best of `2 + ln k` draws (the one that lowers
/// the weighted cost most). Spark draws once; on well-separated data its single draw often puts two centres in
/// one cluster and one between two others, which Lloyd iterations then cannot undo (on 1M × 20 blobs: cost 2.9×
/// the optimum and 20 slow iterations for two seeds in three, against the optimum in 2 iterations greedily).
pub(crate) fn local_k_means_pp(
    points: &[Array1<f64>],
    weights: &[f64],
    k: usize,
    measure: DistanceMeasure,
    seed: u64,
) -> Vec<Array1<f64>> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    // Index of the point where the running sum of `mass` passes a uniform draw of its total.
    let draw = |rng: &mut Xoshiro256PlusPlus, mass: &dyn Fn(usize) -> f64| {
        let total: f64 = (0..points.len()).map(mass).sum();
        let r = rng.r#gen::<f64>() * total;
        let (mut j, mut acc) = (0, 0.0);
        while j < points.len() && acc < r {
            acc += mass(j);
            j += 1;
        }
        j.saturating_sub(1)
    };
    let distances_to =
        |c: &Array1<f64>| -> Vec<f64> { points.iter().map(|p| distance(measure, p.view(), c.view())).collect() };
    let trials = 2 + (k as f64).ln().floor() as usize;
    let mut centers = vec![points[draw(&mut rng, &|i| weights[i])].clone()];
    let mut costs = distances_to(&centers[0]);
    for _ in 1..k {
        let mut best: Option<(f64, usize, Vec<f64>)> = None;
        for _ in 0..trials {
            let j = draw(&mut rng, &|i| weights[i] * costs[i]);
            let with_j: Vec<f64> = distances_to(&points[j]).iter().zip(&costs).map(|(d, c)| d.min(*c)).collect();
            let total: f64 = with_j.iter().zip(weights).map(|(c, w)| c * w).sum();
            if best.as_ref().is_none_or(|(t, _, _)| total < *t) {
                best = Some((total, j, with_j));
            }
        }
        if let Some((_, j, with_j)) = best {
            centers.push(points[j].clone());
            costs = with_j;
        }
    }
    let dim = points[0].len();
    let mut closest = vec![usize::MAX; points.len()];
    for _ in 0..LOCAL_ITERATIONS {
        let model = Centers::new(stack(&centers, dim), measure);
        let mut moved = false;
        let mut sums = vec![Array1::<f64>::zeros(dim); k];
        let mut counts = vec![0.0; k];
        for (i, p) in points.iter().enumerate() {
            let (j, _) = model.closest(p);
            sums[j].scaled_add(weights[i], p);
            counts[j] += weights[i];
            if closest[i] != j {
                moved = true;
                closest[i] = j;
            }
        }
        for j in 0..k {
            centers[j] = if counts[j] == 0.0 {
                points[rng.gen_range(0..points.len())].clone()
            } else {
                normalize_for(measure, &sums[j] / counts[j])
            };
        }
        if !moved {
            break;
        }
    }
    centers
}

/// The centres of a model as vectors.
pub(crate) fn to_vectors(centers: &Array2<f64>) -> Vec<Vector> {
    centers.rows().into_iter().map(|r| Vector::Dense(r.to_owned())).collect()
}
