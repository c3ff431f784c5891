//! MLlib benchmark: prints the figures issue 5 asks for (run with `cargo bench -p flint-mllib --bench mllib`;
//! an argument such as `kmeans` or `pca` picks the figures to measure).
//!
//! Data: 1M rows × 20 features around 10 centres (seeded; written once to `datasets/generated/blobs-1m-20.f64`
//! as little-endian doubles, row after row, so that `mllib/benches/sklearn_bench.py` times scikit-learn on the
//! very same numbers). Each figure is the median wall time of 3 runs on `local[*]`, the data already in an
//! RDD of vectors (as a lab has it after loading), with the model quality printed beside it.
//!
//! Linear regression uses the same rows with the label `yᵢ = Σⱼ (j+1)/10 · xᵢⱼ + sin(i)`; ALS uses the course
//! ratings with every fifth line held out (as `datasets/reference/als_reference.py`), rank 10, 10 iterations,
//! `reg_param` 0.1 — Spark's figures for the same fit are in `datasets/reference/als_expected.json`.
//! Logistic regression (Spark's defaults: no regularisation, `tol` 1e-6, 100 iterations at most) uses the label
//! `1` where `Σⱼ (j+1)/10 · xᵢⱼ + 5 sin(i)` is above its mean over the rows.
//!
//! `scoring`: what a fitted linear model adds to a stream's micro-batches — 100 batches of 10,000 rows whose
//! `features` column is already assembled (20 doubles), run through a query that passes them on unchanged, then
//! through the model (fitted on the first 10,000 rows); the difference per batch. Then the cost of assembling:
//! the same batches as 20 double columns through `VectorAssembler`. Each figure is the median of 3 interleaved
//! runs.

use flint_engine::prelude::*;
use flint_mllib::classification::LogisticRegression;
use flint_mllib::clustering::KMeans;
use flint_mllib::distributed::RowMatrix;
use flint_mllib::linalg::{Vector, Vectors};
use flint_mllib::recommendation::{Als, Rating};
use flint_mllib::regression::{LabeledPoint, LinearRegression};
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use std::io::{Read, Write};
use std::time::{Duration, Instant};

const ROWS: usize = 1_000_000;
const COLS: usize = 20;
const CENTERS: usize = 10;
const RUNS: usize = 3;

/// Standard normal draws by Box–Muller (the bench needs no distribution crate).
fn normal(rng: &mut Xoshiro256PlusPlus) -> f64 {
    let (u, v): (f64, f64) = (rng.r#gen::<f64>().max(f64::MIN_POSITIVE), rng.r#gen());
    (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
}

fn blobs() -> std::io::Result<Vec<f64>> {
    let path = datasets::dir().join("generated").join(format!("blobs-1m-{COLS}.f64"));
    if let Ok(mut f) = std::fs::File::open(&path) {
        let mut bytes = Vec::with_capacity(ROWS * COLS * 8);
        f.read_to_end(&mut bytes)?;
        if bytes.len() == ROWS * COLS * 8 {
            return Ok(bytes.chunks_exact(8).map(|b| f64::from_le_bytes(b.try_into().unwrap_or_default())).collect());
        }
    }
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(42);
    let centers: Vec<Vec<f64>> =
        (0..CENTERS).map(|_| (0..COLS).map(|_| rng.gen_range(-10.0..10.0)).collect()).collect();
    let mut data = Vec::with_capacity(ROWS * COLS);
    for r in 0..ROWS {
        let c = &centers[r % CENTERS];
        data.extend(c.iter().map(|m| m + normal(&mut rng)));
    }
    std::fs::create_dir_all(path.parent().unwrap_or(&path))?;
    let tmp = path.with_extension("tmp");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&tmp)?);
    for x in &data {
        f.write_all(&x.to_le_bytes())?;
    }
    f.flush()?;
    drop(f);
    std::fs::rename(&tmp, &path)?;
    Ok(data)
}

fn median<T>(mut f: impl FnMut() -> T) -> (Duration, T) {
    let mut times = Vec::with_capacity(RUNS);
    let mut last = None;
    for _ in 0..RUNS {
        let started = Instant::now();
        last = Some(f());
        times.push(started.elapsed());
    }
    times.sort();
    (times[RUNS / 2], last.expect("at least one run"))
}

fn main() -> std::result::Result<(), Box<dyn std::error::Error>> {
    let only: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with("--")).collect();
    let wanted = |name: &str| only.is_empty() || only.iter().any(|o| name.contains(o.as_str()));
    let data = blobs()?;
    let session = Session::builder().app_name("bench-mllib").master("local[*]").build()?;
    let rows: Vec<Vector> = data.chunks_exact(COLS).map(|r| Vectors::dense(r.to_vec())).collect();
    let rdd = session.parallelize(rows, session.default_parallelism()).cache();
    rdd.count()?;
    println!("flint mllib benchmark on local[{}], {ROWS} rows × {COLS} features", session.default_parallelism());
    if wanted("kmeans") {
        let (t, model) = median(|| KMeans::new().k(CENTERS).seed(1).fit_rdd(&rdd));
        let model = model?;
        println!(
            "kmeans k=10 (k-means||, max 20 iter)  {:8.3} s   cost {:.6e}   {} iterations",
            t.as_secs_f64(),
            model.training_cost(),
            model.summary().num_iter
        );
    }
    let weighted = |r: &[f64]| r.iter().enumerate().map(|(j, x)| (j + 1) as f64 / 10.0 * x).sum::<f64>();
    let labeled = |label: &dyn Fn(usize, &[f64]) -> f64| -> Result<Rdd<LabeledPoint>> {
        let points: Vec<LabeledPoint> = data
            .chunks_exact(COLS)
            .enumerate()
            .map(|(i, r)| LabeledPoint::new(label(i, r), Vectors::dense(r.to_vec())))
            .collect();
        let points = session.parallelize(points, session.default_parallelism()).cache();
        points.count()?;
        Ok(points)
    };
    if wanted("linear") {
        let points = labeled(&|i, r| weighted(r) + (i as f64).sin())?;
        let (t, model) = median(|| LinearRegression::new().fit_rdd(&points));
        let model = model?;
        println!(
            "linear regression (normal)            {:8.3} s   r2 {:.6}   rmse {:.6}",
            t.as_secs_f64(),
            model.summary().r2,
            model.summary().root_mean_squared_error
        );
    }
    if wanted("logistic") {
        let margin = |i: usize, r: &[f64]| weighted(r) + 5.0 * (i as f64).sin();
        let mean = data.chunks_exact(COLS).enumerate().map(|(i, r)| margin(i, r)).sum::<f64>() / ROWS as f64;
        let points = labeled(&|i, r| if margin(i, r) > mean { 1.0 } else { 0.0 })?;
        let (t, model) = median(|| LogisticRegression::new().fit_rdd(&points));
        let model = model?;
        println!(
            "logistic regression (L-BFGS)          {:8.3} s   auc {:.6}   accuracy {:.6}   {} iterations",
            t.as_secs_f64(),
            model.summary().area_under_roc,
            model.summary().accuracy,
            model.summary().total_iterations
        );
    }
    if wanted("als") {
        let text = std::fs::read_to_string(datasets::path("film.data"))?;
        let mut train = Vec::new();
        let mut test = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let f: Vec<&str> = line.split('\t').collect();
            let r = Rating::new(f[0].parse()?, f[1].parse()?, f[2].parse()?);
            if i % 5 == 0 { test.push(r) } else { train.push(r) }
        }
        let train = session.parallelize(train, session.default_parallelism()).cache();
        train.count()?;
        let (t, model) = median(|| Als::new().rank(10).max_iter(10).reg_param(0.1).seed(1).fit_rdd(&train));
        let model = model?;
        let errors: Vec<f64> =
            test.iter().filter_map(|r| model.predict(r.user, r.product).map(|p| p - r.rating)).collect();
        let rmse = (errors.iter().map(|e| e * e).sum::<f64>() / errors.len() as f64).sqrt();
        println!("als rank 10, 10 iter, 80k ratings      {:8.3} s   held-out rmse {rmse:.4}", t.as_secs_f64());
    }
    if wanted("scoring") {
        scoring(&session, &data)?;
    }
    if wanted("pca") {
        let (t, pca) = median(|| RowMatrix::new(rdd.clone()).compute_principal_components_and_explained_variance(5));
        let (_, explained) = pca?;
        println!(
            "pca k=5                               {:8.3} s   explained {:?}",
            t.as_secs_f64(),
            explained.to_array()
        );
    }
    Ok(())
}

/// The cost per 10,000-row micro-batch of scoring a stream with a linear model (see the module docs).
fn scoring(session: &Session, data: &[f64]) -> std::result::Result<(), Box<dyn std::error::Error>> {
    use arrow::array::{ArrayRef, Float64Array};
    use arrow::datatypes::{DataType, Field, Schema};
    use arrow::record_batch::RecordBatch;
    use flint_engine::dataframe::udt::vector_type;
    use flint_engine::streaming::MemoryStream;
    use flint_mllib::feature::VectorAssembler;
    use flint_mllib::frame::vectors_to_array;
    use flint_mllib::pipeline::{Estimator, Transformer};
    use std::sync::Arc;
    const BATCH: usize = 10_000;
    const BATCHES: usize = 100;
    let names: Vec<String> = (0..COLS).map(|j| format!("x{j}")).collect();
    let rows = |b: usize| data[b * BATCH * COLS..(b + 1) * BATCH * COLS].chunks_exact(COLS);
    let label = |b: usize| -> ArrayRef {
        let y = rows(b).map(|r| r.iter().enumerate().map(|(j, x)| (j + 1) as f64 * x).sum());
        Arc::new(Float64Array::from_iter_values(y))
    };
    // The raw columns, for the assembler.
    let mut fields: Vec<Field> = names.iter().map(|n| Field::new(n, DataType::Float64, false)).collect();
    fields.push(Field::new("label", DataType::Float64, false));
    let raw_schema = Arc::new(Schema::new(fields));
    let raw = |b: usize| -> arrow::error::Result<RecordBatch> {
        let mut columns: Vec<ArrayRef> =
            (0..COLS).map(|j| Arc::new(Float64Array::from_iter_values(rows(b).map(|r| r[j]))) as _).collect();
        columns.push(label(b));
        RecordBatch::try_new(Arc::clone(&raw_schema), columns)
    };
    // The same rows already assembled, for the model.
    let assembled_schema = Arc::new(Schema::new(vec![
        Field::new("features", vector_type(), true),
        Field::new("label", DataType::Float64, false),
    ]));
    let assembled = |b: usize| -> arrow::error::Result<RecordBatch> {
        let vectors: Vec<Option<Vector>> = rows(b).map(|r| Some(Vectors::dense(r.to_vec()))).collect();
        RecordBatch::try_new(Arc::clone(&assembled_schema), vec![vectors_to_array(&vectors), label(b)])
    };
    let raw_batches: Vec<RecordBatch> = (0..BATCHES).map(raw).collect::<arrow::error::Result<_>>()?;
    let assembled_batches: Vec<RecordBatch> = (0..BATCHES).map(assembled).collect::<arrow::error::Result<_>>()?;
    let model =
        LinearRegression::new().fit(&session.create_dataframe_from_batches(vec![assembled_batches[0].clone()])?)?;
    let assembler = VectorAssembler::new(names.iter().map(String::as_str), "features");

    // Seconds per batch of a stream of `batches` through `query`.
    let run = |batches: &[RecordBatch],
               query: &dyn Fn(&DataFrame) -> flint_mllib::Result<DataFrame>|
     -> std::result::Result<f64, Box<dyn std::error::Error>> {
        let input = MemoryStream::new(session, batches[0].schema());
        let query = query(&input.to_df()?)?.write_stream().foreach_batch(|df, _| df.count().map(|_| ())).start()?;
        let started = Instant::now();
        for b in batches {
            input.add_batches(vec![b.clone()])?;
            query.process_all_available()?;
        }
        let elapsed = started.elapsed().as_secs_f64();
        query.stop()?;
        Ok(elapsed / batches.len() as f64)
    };
    let (mut passed, mut scored, mut assembling) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..RUNS {
        passed.push(run(&assembled_batches, &|df| Ok(df.with_column("prediction", col("label"))?))?);
        scored.push(run(&assembled_batches, &|df| model.transform(df))?);
        assembling.push(run(&raw_batches, &|df| assembler.transform(df))?);
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2] * 1e3
    };
    let (passed, scored, assembling) = (median(&mut passed), median(&mut scored), median(&mut assembling));
    println!(
        "stream scoring, 10k-row batches          {passed:8.3} ms per batch passed on, {scored:.3} ms scored by the linear model: +{:.3} ms",
        scored - passed
    );
    println!("stream assembling, 10k rows × {COLS} doubles  {assembling:8.3} ms per batch through VectorAssembler");
    Ok(())
}
