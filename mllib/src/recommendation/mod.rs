//! Recommendation: alternating least squares (Spark's `ALS`), explicit ratings or implicit feedback.
//!
//! Flint writes its own ALS (linfa has none): ratings are grouped into cached blocks by user and by item
//! (`blocks`), and each half-iteration solves all users (then all items) in parallel, one small regularised
//! least-squares problem each (`solver`), with Spark's formulation: `λ` scaled by the number of ratings
//! (ALS-WR), Hu–Koren–Volinsky confidences `1 + α|r|` for implicit feedback, NNLS for non-negative factors.

mod blocks;
mod params;
mod solver;

pub use params::ColdStartStrategy;

use crate::blocks::Shared;
use crate::error::{Error, Result};
use crate::persistence::{Metadata, MlWriter, Persist, Table, Tables, persistable};
use crate::pipeline::{Estimator, Transformer};
use arrow::array::{Array, ArrayRef, AsArray, Float32Array, Int32Array, ListArray, StructArray};
use arrow::buffer::OffsetBuffer;
use arrow::compute::cast;
use arrow::datatypes::{DataType, Field, Fields, Float64Type, Schema};
use arrow::record_batch::RecordBatch;
use blocks::{IdIndex, InBlock, in_blocks};
use flint_engine::notebook::Report;
use flint_engine::prelude::*;
use ndarray::{Array1, Array2};
use params::AlsParams;
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use solver::NormalEquation;
use std::sync::Arc;

/// A user's rating of a product (Spark's `Rating`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Rating {
    /// The user's id.
    pub user: i32,
    /// The product's (item's) id.
    pub product: i32,
    /// The rating (explicit) or the strength of the interaction (implicit).
    pub rating: f64,
}

impl Rating {
    /// A rating.
    pub fn new(user: i32, product: i32, rating: f64) -> Self {
        Rating { user, product, rating }
    }
}

/// The ALS estimator (Spark's `ALS`), a builder of hyperparameters with Spark's names and defaults.
///
/// ```
/// use flint_engine::prelude::*;
/// use flint_mllib::recommendation::{Als, Rating};
///
/// let session = Session::builder().master("local[2]").build()?;
/// let ratings = session.parallelize(
///     vec![Rating::new(1, 10, 5.0), Rating::new(1, 20, 1.0), Rating::new(2, 10, 4.0), Rating::new(2, 20, 1.5)],
///     2,
/// );
/// let model = Als::new().rank(2).max_iter(10).reg_param(0.01).seed(1).fit_rdd(&ratings)?;
/// assert!((model.predict(1, 10).expect("known") - 5.0).abs() < 0.2);
/// assert_eq!(model.recommend_products(2, 1)?[0].product, 10);
/// # Ok::<(), flint_mllib::Error>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct Als {
    params: AlsParams,
}

impl Als {
    /// The estimator with Spark's defaults: rank 10, 10 iterations, `reg_param` 0.1, explicit ratings.
    pub fn new() -> Self {
        Self::default()
    }

    /// The course's RDD-based entry point (Spark's `ALS.train(ratings, rank, iterations, lambda)`).
    pub fn train(ratings: &Rdd<Rating>, rank: usize, iterations: usize, lambda: f64) -> Result<AlsModel> {
        Als::new().rank(rank).max_iter(iterations).reg_param(lambda).fit_rdd(ratings)
    }

    /// Implicit feedback (Spark's `ALS.trainImplicit(ratings, rank, iterations, lambda, alpha)`).
    pub fn train_implicit(
        ratings: &Rdd<Rating>,
        rank: usize,
        iterations: usize,
        lambda: f64,
        alpha: f64,
    ) -> Result<AlsModel> {
        Als::new().rank(rank).max_iter(iterations).reg_param(lambda).implicit_prefs(true).alpha(alpha).fit_rdd(ratings)
    }

    /// The number of latent factors (default 10).
    pub fn rank(mut self, rank: usize) -> Self {
        self.params.rank = rank;
        self
    }

    /// The number of iterations (default 10).
    pub fn max_iter(mut self, max_iter: usize) -> Self {
        self.params.max_iter = max_iter;
        self
    }

    /// The regularisation `λ` (default 0.1), scaled by each user's and item's number of ratings.
    pub fn reg_param(mut self, reg_param: f64) -> Self {
        self.params.reg_param = reg_param;
        self
    }

    /// Implicit feedback instead of explicit ratings (default false).
    pub fn implicit_prefs(mut self, implicit: bool) -> Self {
        self.params.implicit_prefs = implicit;
        self
    }

    /// The confidence scale of implicit feedback (default 1.0).
    pub fn alpha(mut self, alpha: f64) -> Self {
        self.params.alpha = alpha;
        self
    }

    /// Keep the factors non-negative (default false).
    pub fn nonnegative(mut self, nonnegative: bool) -> Self {
        self.params.nonnegative = nonnegative;
        self
    }

    /// The seed of the initial factors.
    pub fn seed(mut self, seed: u64) -> Self {
        self.params.seed = seed;
        self
    }

    /// The number of user blocks solved in parallel (default 10).
    pub fn num_user_blocks(mut self, n: usize) -> Self {
        self.params.num_user_blocks = n;
        self
    }

    /// The number of item blocks solved in parallel (default 10).
    pub fn num_item_blocks(mut self, n: usize) -> Self {
        self.params.num_item_blocks = n;
        self
    }

    /// What `transform` predicts for unknown users or items (default NaN).
    pub fn cold_start_strategy(mut self, strategy: ColdStartStrategy) -> Self {
        self.params.cold_start_strategy = strategy;
        self
    }

    /// The user id column of a DataFrame fit (default `user`).
    pub fn user_col(mut self, name: &str) -> Self {
        self.params.user_col = name.to_string();
        self
    }

    /// The item id column (default `item`).
    pub fn item_col(mut self, name: &str) -> Self {
        self.params.item_col = name.to_string();
        self
    }

    /// The rating column (default `rating`).
    pub fn rating_col(mut self, name: &str) -> Self {
        self.params.rating_col = name.to_string();
        self
    }

    /// The column `transform` adds (default `prediction`).
    pub fn prediction_col(mut self, name: &str) -> Self {
        self.params.prediction_col = name.to_string();
        self
    }

    /// Fits on an RDD of ratings.
    #[track_caller]
    pub fn fit_rdd(&self, ratings: &Rdd<Rating>) -> Result<AlsModel> {
        let p = &self.params;
        p.validate()?;
        let (count, bad) = ratings.aggregate(
            (0u64, None::<Rating>),
            |(n, bad), r| (n + 1, bad.or_else(|| (!r.rating.is_finite()).then_some(r))),
            |(a, x), (b, y)| (a + b, x.or(y)),
        )?;
        if count == 0 {
            return Err(Error::data("Als", "there are no ratings to learn from"));
        }
        if let Some(r) = bad {
            return Err(Error::data(
                "Als",
                format!("the rating of user {} for item {} is {}; ratings must be finite", r.user, r.product, r.rating),
            ));
        }
        let users = Arc::new(IdIndex::new(ratings.map(|r| r.user).distinct().collect()?));
        let items = Arc::new(IdIndex::new(ratings.map(|r| r.product).distinct().collect()?));
        let user_blocks = in_blocks(ratings, Arc::clone(&users), Arc::clone(&items), true, p.num_user_blocks)?;
        let item_blocks = in_blocks(ratings, Arc::clone(&items), Arc::clone(&users), false, p.num_item_blocks)?;
        let mut user_factors = initial_factors(&users.ids, p.rank, p.seed, p.nonnegative);
        let mut item_factors = initial_factors(&items.ids, p.rank, p.seed ^ 0x5DEECE66D, p.nonnegative);
        for _ in 0..p.max_iter {
            // As Spark: items from the users' factors, then users from the items'.
            item_factors = solve_side(&item_blocks, &user_factors, items.len(), p)?;
            user_factors = solve_side(&user_blocks, &item_factors, users.len(), p)?;
        }
        user_blocks.unpersist();
        item_blocks.unpersist();
        Ok(AlsModel {
            rank: p.rank,
            users,
            items,
            user_factors: Arc::new(user_factors),
            item_factors: Arc::new(item_factors),
            params: p.clone(),
        })
    }
}

/// Random unit-norm initial factors, one seeded stream per id (so they do not depend on the partitioning);
/// absolute values when factors must be non-negative.
fn initial_factors(ids: &[i32], rank: usize, seed: u64, nonnegative: bool) -> Array2<f64> {
    let mut m = Array2::zeros((ids.len(), rank));
    for (mut row, &id) in m.rows_mut().into_iter().zip(ids) {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed ^ (id as u32 as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
        for x in row.iter_mut() {
            *x = standard_normal(&mut rng);
        }
        let norm = row.dot(&row).sqrt();
        if norm > 0.0 {
            row /= norm;
        }
        if nonnegative {
            row.mapv_inplace(f64::abs);
        }
    }
    m
}

/// A standard normal draw (Box–Muller).
pub(crate) fn standard_normal(rng: &mut Xoshiro256PlusPlus) -> f64 {
    let u: f64 = rng.r#gen::<f64>().max(f64::MIN_POSITIVE);
    let v: f64 = rng.r#gen();
    (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
}

/// New factors of one side, every source of every block solved from the other side's factors.
fn solve_side(blocks: &Rdd<Shared<InBlock>>, other: &Array2<f64>, n: usize, p: &AlsParams) -> Result<Array2<f64>> {
    let rank = p.rank;
    let other = Arc::new(other.clone());
    // Implicit feedback starts every problem from YᵀY (all items, confidence 1), as Hu, Koren and Volinsky.
    let yty = p.implicit_prefs.then(|| Arc::new(other.t().dot(other.as_ref())));
    let (reg, alpha, implicit, nonnegative) = (p.reg_param, p.alpha, p.implicit_prefs, p.nonnegative);
    let solved = blocks
        .flat_map(move |block| {
            let b = &block.0;
            let mut ne = NormalEquation::new(rank);
            let mut out = Vec::with_capacity(b.src.len());
            for (k, &src) in b.src.iter().enumerate() {
                ne.reset();
                let mut count = 0usize;
                for j in b.ptr[k]..b.ptr[k + 1] {
                    let y = other.row(b.dst[j] as usize);
                    let r = f64::from(b.ratings[j]);
                    if implicit {
                        let c1 = alpha * r.abs();
                        if r > 0.0 {
                            count += 1;
                        }
                        ne.add(y, if r > 0.0 { 1.0 + c1 } else { 0.0 }, c1);
                    } else {
                        count += 1;
                        ne.add(y, r, 1.0);
                    }
                }
                let x = ne.solve(reg * count as f64, nonnegative, yty.as_deref());
                out.push((src, x.to_vec()));
            }
            out
        })
        .collect()?;
    let mut factors = Array2::zeros((n, rank));
    for (src, x) in solved {
        factors.row_mut(src as usize).assign(&Array1::from(x));
    }
    Ok(factors)
}

impl Estimator for Als {
    type Model = AlsModel;

    /// Fits on the `user`, `item` and `rating` columns of a DataFrame (Spark ML's `ALS.fit`); ids must be
    /// integers in the 32-bit range, as in Spark.
    #[track_caller]
    fn fit(&self, df: &DataFrame) -> Result<AlsModel> {
        self.params.validate()?;
        let p = &self.params;
        let batches =
            df.select([p.user_col.as_str(), p.item_col.as_str(), p.rating_col.as_str()])?.collect_batches()?;
        let mut ratings = Vec::new();
        for batch in &batches {
            let users = id_column(batch.column(0), &p.user_col)?;
            let items = id_column(batch.column(1), &p.item_col)?;
            let values = cast(batch.column(2), &DataType::Float64)
                .map_err(|e| Error::data("Als", format!("column `{}`: {e}", p.rating_col)))?;
            let values = values.as_primitive::<Float64Type>();
            for row in 0..batch.num_rows() {
                match (users[row], items[row], values.is_null(row)) {
                    (Some(u), Some(i), false) => ratings.push(Rating::new(u, i, values.value(row))),
                    _ => {
                        return Err(Error::data(
                            "Als",
                            format!(
                                "a row has a null user, item or rating (row {row} of a batch); drop such rows first"
                            ),
                        ));
                    }
                }
            }
        }
        let session = df.session();
        self.fit_rdd(&session.parallelize(ratings, session.default_parallelism()))
    }
}

/// An id column as `i32`s: integers in range (Spark's check), nulls as `None`.
fn id_column(column: &ArrayRef, name: &str) -> Result<Vec<Option<i32>>> {
    if !column.data_type().is_numeric() {
        return Err(Error::data("Als", format!("column `{name}` holds {}, not integer ids", column.data_type())));
    }
    let doubles = cast(column, &DataType::Float64).map_err(|e| Error::data("Als", format!("column `{name}`: {e}")))?;
    let doubles = doubles.as_primitive::<Float64Type>();
    (0..doubles.len())
        .map(|row| {
            if doubles.is_null(row) {
                return Ok(None);
            }
            let v = doubles.value(row);
            if v.fract() != 0.0 || v < f64::from(i32::MIN) || v > f64::from(i32::MAX) {
                return Err(Error::data(
                    "Als",
                    format!("column `{name}` holds {v}: ALS supports only integer ids in the 32-bit range"),
                ));
            }
            Ok(Some(v as i32))
        })
        .collect()
}

/// A fitted ALS model: a factor vector per known user and item.
#[derive(Debug, Clone)]
pub struct AlsModel {
    rank: usize,
    users: Arc<IdIndex>,
    items: Arc<IdIndex>,
    user_factors: Arc<Array2<f64>>,
    item_factors: Arc<Array2<f64>>,
    params: AlsParams,
}

/// The notebook form: Spark's `toString` with the rank, and how many users and items have factors.
impl NotebookDisplay for AlsModel {
    fn mime_bundle(&self) -> Vec<(&'static str, String)> {
        Report::new(format!("ALSModel: rank={}", self.rank))
            .field("users", self.users.len())
            .field("items", self.items.len())
            .field("implicitPrefs", self.params.implicit_prefs)
            .mime_bundle()
    }
}

impl AlsModel {
    /// The number of latent factors.
    pub fn rank(&self) -> usize {
        self.rank
    }

    /// The predicted rating of a user for an item; `None` when either is unknown to the model.
    pub fn predict(&self, user: i32, item: i32) -> Option<f64> {
        let u = *self.users.index.get(&user)?;
        let i = *self.items.index.get(&item)?;
        Some(self.user_factors.row(u as usize).dot(&self.item_factors.row(i as usize)))
    }

    /// Predictions for `(user, item)` pairs, lazily; pairs with an unknown user or item are left out (as
    /// Spark's RDD-based `predict`).
    pub fn predict_rdd(&self, pairs: &Rdd<(i32, i32)>) -> Rdd<Rating> {
        let model = self.clone();
        pairs.flat_map(move |(u, i)| model.predict(u, i).map(|r| Rating::new(u, i, r)))
    }

    /// The `n` items with the highest predicted ratings for one user (best first); empty for an unknown user.
    pub fn recommend_products(&self, user: i32, n: usize) -> Result<Vec<Rating>> {
        let Some(&u) = self.users.index.get(&user) else { return Ok(Vec::new()) };
        Ok(top_n(self.user_factors.row(u as usize), &self.item_factors, n)
            .into_iter()
            .map(|(i, r)| Rating::new(user, self.items.ids[i], r))
            .collect())
    }

    /// The `n` users with the highest predicted ratings for one item (best first).
    pub fn recommend_users(&self, item: i32, n: usize) -> Result<Vec<Rating>> {
        let Some(&i) = self.items.index.get(&item) else { return Ok(Vec::new()) };
        Ok(top_n(self.item_factors.row(i as usize), &self.user_factors, n)
            .into_iter()
            .map(|(u, r)| Rating::new(self.users.ids[u], item, r))
            .collect())
    }

    /// The user factors as a DataFrame `(id: int, features: array<float>)`, as Spark's `userFactors`.
    pub fn user_factors(&self, session: &Session) -> Result<DataFrame> {
        factors_frame(session, &self.users.ids, &self.user_factors)
    }

    /// The item factors as a DataFrame `(id: int, features: array<float>)`, as Spark's `itemFactors`.
    pub fn item_factors(&self, session: &Session) -> Result<DataFrame> {
        factors_frame(session, &self.items.ids, &self.item_factors)
    }

    /// The top `n` items of every user: `(user: int, recommendations: array<struct<item: int, rating: float>>)`.
    pub fn recommend_for_all_users(&self, session: &Session, n: usize) -> Result<DataFrame> {
        let users: Vec<u32> = (0..self.users.len() as u32).collect();
        recommendations(
            session,
            &self.params.user_col,
            &self.params.item_col,
            &self.users.ids,
            &users,
            &self.user_factors,
            &self.items.ids,
            &self.item_factors,
            n,
        )
    }

    /// The top `n` users of every item: `(item: int, recommendations: array<struct<user: int, rating: float>>)`.
    pub fn recommend_for_all_items(&self, session: &Session, n: usize) -> Result<DataFrame> {
        let items: Vec<u32> = (0..self.items.len() as u32).collect();
        recommendations(
            session,
            &self.params.item_col,
            &self.params.user_col,
            &self.items.ids,
            &items,
            &self.item_factors,
            &self.users.ids,
            &self.user_factors,
            n,
        )
    }

    /// The top `n` items of the (known) users in the user column of `users`.
    #[track_caller]
    pub fn recommend_for_user_subset(&self, users: &DataFrame, n: usize) -> Result<DataFrame> {
        let col = &self.params.user_col;
        let mut wanted = Vec::new();
        for batch in users.select([col.as_str()])?.distinct()?.collect_batches()? {
            wanted.extend(
                id_column(batch.column(0), col)?
                    .into_iter()
                    .flatten()
                    .filter_map(|id| self.users.index.get(&id).copied()),
            );
        }
        wanted.sort_unstable();
        recommendations(
            users.session(),
            col,
            &self.params.item_col,
            &self.users.ids,
            &wanted,
            &self.user_factors,
            &self.items.ids,
            &self.item_factors,
            n,
        )
    }
}

/// The `n` rows of `candidates` with the highest dot product with `x`, best first (ties by lower index).
fn top_n(x: ndarray::ArrayView1<'_, f64>, candidates: &Array2<f64>, n: usize) -> Vec<(usize, f64)> {
    let mut scored: Vec<(usize, f64)> = candidates.dot(&x).into_iter().enumerate().collect();
    let n = n.min(scored.len());
    if n == 0 {
        return Vec::new();
    }
    scored.select_nth_unstable_by(n - 1, |a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    scored.truncate(n);
    scored.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    scored
}

fn factors_frame(session: &Session, ids: &[i32], factors: &Array2<f64>) -> Result<DataFrame> {
    Ok(session.create_dataframe_from_batches(vec![factors_batch(ids, factors)?])?)
}

/// Spark's factor table `(id: int, features: array<float>)`: Spark keeps factors in single precision.
fn factors_batch(ids: &[i32], factors: &Array2<f64>) -> Result<RecordBatch> {
    let values: Vec<f32> = factors.iter().map(|&v| v as f32).collect();
    let rank = factors.ncols() as i32;
    let offsets = OffsetBuffer::new((0..=ids.len() as i32).map(|i| i * rank).collect::<Vec<_>>().into());
    let element = Arc::new(Field::new_list_field(DataType::Float32, false));
    let features = ListArray::new(Arc::clone(&element), offsets, Arc::new(Float32Array::from(values)), None);
    let schema = Schema::new(vec![
        Field::new("id", DataType::Int32, false),
        Field::new("features", DataType::List(element), true),
    ]);
    RecordBatch::try_new(Arc::new(schema), vec![Arc::new(Int32Array::from(ids.to_vec())), Arc::new(features)])
        .map_err(|e| Error::data("Als", format!("factor table: {e}")))
}

/// The ids and factor matrix of a saved factor table, in the model's order (increasing ids).
fn saved_factors(table: &Table, rank: usize) -> Result<(IdIndex, Array2<f64>)> {
    let mut rows: Vec<(i64, Vec<f64>)> = table.ints("id")?.into_iter().zip(table.float_lists("features")?).collect();
    rows.sort_by_key(|(id, _)| *id);
    if rows.windows(2).any(|w| w[0].0 == w[1].0) || rows.iter().any(|(id, _)| i32::try_from(*id).is_err()) {
        return Err(table.error("ids should be distinct 32-bit integers"));
    }
    if let Some((id, f)) = rows.iter().find(|(_, f)| f.len() != rank) {
        return Err(table.error(format!("id {id} has {} factors, the model's rank is {rank}", f.len())));
    }
    let m = Array2::from_shape_fn((rows.len(), rank), |(i, j)| rows[i].1[j]);
    Ok((IdIndex::new(rows.iter().map(|(id, _)| *id as i32).collect()), m))
}

persistable!(AlsModel);

/// Spark's layout: the rank in the metadata, `userFactors/` and `itemFactors/` tables `(id, features)` with
/// factors in single precision (as Spark holds them, so a loaded model predicts with float factors as Spark).
impl Persist for AlsModel {
    const CLASS: &'static str = "org.apache.spark.ml.recommendation.ALSModel";

    fn params(&self) -> Map<String, Value> {
        let p = &self.params;
        let cold = match p.cold_start_strategy {
            ColdStartStrategy::Nan => "nan",
            ColdStartStrategy::Drop => "drop",
        };
        let mut map = Map::new();
        map.insert("userCol".into(), json!(p.user_col));
        map.insert("itemCol".into(), json!(p.item_col));
        map.insert("predictionCol".into(), json!(p.prediction_col));
        map.insert("coldStartStrategy".into(), json!(cold));
        map
    }

    fn extra(&self) -> Map<String, Value> {
        let mut map = Map::new();
        map.insert("rank".into(), json!(self.rank));
        map
    }

    fn tables(&self) -> Result<Vec<(&'static str, RecordBatch)>> {
        Ok(vec![
            ("userFactors", factors_batch(&self.users.ids, &self.user_factors)?),
            ("itemFactors", factors_batch(&self.items.ids, &self.item_factors)?),
        ])
    }

    fn from_saved(metadata: &Metadata, tables: &Tables) -> Result<Self> {
        let rank = metadata
            .field("rank")
            .and_then(Value::as_u64)
            .filter(|r| *r > 0)
            .ok_or_else(|| metadata.error("an ALS model's metadata needs a positive `rank`"))?
            as usize;
        let (users, user_factors) = saved_factors(&tables.get("userFactors")?, rank)?;
        let (items, item_factors) = saved_factors(&tables.get("itemFactors")?, rank)?;
        let params = AlsParams {
            rank,
            user_col: metadata.string("userCol", "user")?,
            item_col: metadata.string("itemCol", "item")?,
            prediction_col: metadata.string("predictionCol", "prediction")?,
            cold_start_strategy: metadata.string("coldStartStrategy", "nan")?.parse().map_err(|e| metadata.error(e))?,
            ..AlsParams::default()
        };
        Ok(AlsModel {
            rank,
            users: Arc::new(users),
            items: Arc::new(items),
            user_factors: Arc::new(user_factors),
            item_factors: Arc::new(item_factors),
            params,
        })
    }
}

/// Spark's recommendation table for the sources `which` (indices into `src_ids`/`src`).
#[allow(clippy::too_many_arguments)]
fn recommendations(
    session: &Session,
    src_col: &str,
    dst_col: &str,
    src_ids: &[i32],
    which: &[u32],
    src: &Array2<f64>,
    dst_ids: &[i32],
    dst: &Array2<f64>,
    n: usize,
) -> Result<DataFrame> {
    let (mut ids, mut offsets, mut rec_ids, mut rec_ratings) = (Vec::new(), vec![0i32], Vec::new(), Vec::new());
    for &s in which {
        ids.push(src_ids[s as usize]);
        for (d, r) in top_n(src.row(s as usize), dst, n) {
            rec_ids.push(dst_ids[d]);
            rec_ratings.push(r as f32);
        }
        offsets.push(rec_ids.len() as i32);
    }
    let fields =
        Fields::from(vec![Field::new(dst_col, DataType::Int32, false), Field::new("rating", DataType::Float32, false)]);
    let entries = StructArray::new(
        fields.clone(),
        vec![Arc::new(Int32Array::from(rec_ids)) as ArrayRef, Arc::new(Float32Array::from(rec_ratings))],
        None,
    );
    let element = Arc::new(Field::new_list_field(DataType::Struct(fields), true));
    let lists = ListArray::new(Arc::clone(&element), OffsetBuffer::new(offsets.into()), Arc::new(entries), None);
    let schema = Schema::new(vec![
        Field::new(src_col, DataType::Int32, false),
        Field::new("recommendations", DataType::List(element), true),
    ]);
    let batch = RecordBatch::try_new(Arc::new(schema), vec![Arc::new(Int32Array::from(ids)), Arc::new(lists)])
        .map_err(|e| Error::data("Als", format!("recommendation table: {e}")))?;
    Ok(session.create_dataframe_from_batches(vec![batch])?)
}

impl Transformer for AlsModel {
    /// Adds `prediction` (a float, as in Spark) for the `user` and `item` columns; an unknown user or item gives
    /// NaN, or drops the row with the `drop` cold-start strategy.
    fn transform(&self, df: &DataFrame) -> Result<DataFrame> {
        let p = &self.params;
        let model = self.clone();
        let (user_col, item_col) = (p.user_col.clone(), p.item_col.clone());
        let kernel = move |columns: &[ArrayRef], _rows: usize| -> Result<ArrayRef> {
            let users = id_column(&columns[0], &user_col)?;
            let items = id_column(&columns[1], &item_col)?;
            let predictions: Float32Array = users
                .iter()
                .zip(&items)
                .map(|(u, i)| match (u, i) {
                    (Some(u), Some(i)) => Some(model.predict(*u, *i).map_or(f32::NAN, |r| r as f32)),
                    _ => None,
                })
                .collect();
            Ok(Arc::new(predictions))
        };
        let column = crate::frame::column_function(
            "als_predict",
            vec![col(&p.user_col), col(&p.item_col)],
            DataType::Float32,
            kernel,
        );
        let out = df.with_column(&p.prediction_col, column)?;
        Ok(match p.cold_start_strategy {
            ColdStartStrategy::Nan => out,
            ColdStartStrategy::Drop => out.filter(not(isnan(col(&p.prediction_col))))?,
        })
    }

    fn writer(&self) -> Option<MlWriter<'_>> {
        Some(MlWriter::new(self))
    }
}
