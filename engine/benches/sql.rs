//! Day-2 SQL benchmark: Flint against DuckDB on the same files in the same run (run with
//! `FLINT_PYTHON=$(.ci/setup-python) cargo bench -p flint-engine --bench sql`).
//!
//! Queries (each reads its CSV files every time, in both engines: Flint's timed run includes `read().csv(..)`):
//! a group-by-aggregate over 10M orders (~100k groups), a 10M-row join to a 100k-row dimension plus aggregate,
//! the top-movies query over 10M ratings, and a full CSV scan (`SUM(amount)`) for the scan speed in MB/s.
//! Median of 3 runs each.

use flint_engine::prelude::*;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use datafusion::arrow::datatypes::{DataType, Field, Schema};

const RUNS: usize = 3;

const QUERIES: [(&str, &str); 4] = [
    ("scan orders: SUM(amount)", "SELECT SUM(amount) AS total FROM orders"),
    ("group by customer (10M orders)", "SELECT customer, SUM(amount) AS spent FROM orders GROUP BY customer"),
    (
        "join 10M orders to 100k customers",
        "SELECT d.segment, SUM(o.amount) AS spent FROM orders o JOIN dims d ON o.customer = d.customer GROUP BY d.segment",
    ),
    (
        "top movies (10M ratings)",
        "SELECT movie, COUNT(*) AS n FROM ratings GROUP BY movie ORDER BY n DESC, movie LIMIT 10",
    ),
];

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn schema(fields: &[(&str, DataType)]) -> Arc<Schema> {
    Arc::new(Schema::new(fields.iter().map(|(n, t)| Field::new(*n, t.clone(), true)).collect::<Vec<_>>()))
}

fn flint_times(orders: &str, ratings: &str) -> Result<Vec<Duration>> {
    let session = Session::builder().app_name("bench-sql").build()?;
    let read_orders = |s: &Session| -> Result<()> {
        s.read()
            .schema(schema(&[("customer", DataType::Int64), ("item", DataType::Int64), ("amount", DataType::Float64)]))
            .csv(orders)?
            .create_or_replace_temp_view("orders")
    };
    let read_ratings = |s: &Session| -> Result<()> {
        s.read()
            .option("sep", "\t")
            .schema(schema(&[
                ("user", DataType::Int64),
                ("movie", DataType::Int64),
                ("rating", DataType::Int64),
                ("ts", DataType::Int64),
            ]))
            .csv(ratings)?
            .create_or_replace_temp_view("ratings")
    };
    // A dimension table as programs have them: in memory, read once (its row count known to the planner).
    let dims = session.sql("SELECT value AS customer, value % 10 AS segment FROM range(100000)")?.collect_batches()?;
    session.create_dataframe_from_batches(dims)?.create_or_replace_temp_view("dims")?;
    QUERIES
        .iter()
        .map(|(_, q)| {
            let mut times = Vec::with_capacity(RUNS);
            for _ in 0..RUNS {
                let started = Instant::now();
                // Flint parses CSV when it is read, so the read belongs in the timed run.
                if q.contains("ratings") {
                    read_ratings(&session)?;
                } else {
                    read_orders(&session)?;
                }
                session.sql(q)?.collect_batches()?;
                times.push(started.elapsed());
            }
            Ok(median(times))
        })
        .collect()
}

fn duckdb_times(orders: &str, ratings: &str) -> Option<Vec<Duration>> {
    let python = std::env::var("FLINT_PYTHON").ok()?;
    let queries: Vec<&str> = QUERIES.iter().map(|(_, q)| *q).collect();
    let script = format!(
        r#"
import duckdb, json, statistics, time
con = duckdb.connect()
con.execute("SET threads = 2")
con.execute("CREATE VIEW orders AS SELECT * FROM read_csv('{orders}', header=false, columns={{'customer':'BIGINT','item':'BIGINT','amount':'DOUBLE'}})")
con.execute("CREATE VIEW ratings AS SELECT * FROM read_csv('{ratings}', delim='\t', header=false, columns={{'user':'BIGINT','movie':'BIGINT','rating':'BIGINT','ts':'BIGINT'}})")
con.execute("CREATE VIEW dims AS SELECT range AS customer, range % 10 AS segment FROM range(100000)")
out = []
for q in {queries:?}:
    times = []
    for _ in range({RUNS}):
        t = time.perf_counter(); con.execute(q).fetchall(); times.append(time.perf_counter() - t)
    out.append(statistics.median(times))
print(json.dumps(out))
"#
    );
    let output = Command::new(python).args(["-c", &script]).output().ok()?;
    if !output.status.success() {
        eprintln!("duckdb failed: {}", String::from_utf8_lossy(&output.stderr));
        return None;
    }
    let secs: Vec<f64> = serde_json::from_slice(&output.stdout).ok()?;
    Some(secs.into_iter().map(Duration::from_secs_f64).collect())
}

fn main() -> std::result::Result<(), Box<dyn std::error::Error>> {
    let orders = datasets::path("generated/customer-orders-10m.csv");
    let ratings = datasets::path("generated/film-10m.data");
    if !std::path::Path::new(&orders).exists() || !std::path::Path::new(&ratings).exists() {
        return Err(
            "generate the inputs first: python3 datasets/gen/generate.py large --size 10m --out datasets/generated"
                .into(),
        );
    }
    let flint = flint_times(&orders, &ratings)?;
    let duck = duckdb_times(&orders, &ratings);
    let orders_mb = std::fs::metadata(&orders)?.len() as f64 / 1e6;
    println!("{:<36} {:>10} {:>10} {:>8}", "query (local[2], median of 3)", "Flint", "DuckDB", "ratio");
    for (i, (name, _)) in QUERIES.iter().enumerate() {
        let f = flint[i].as_secs_f64();
        match duck.as_ref().map(|d| d[i].as_secs_f64()) {
            Some(d) => println!("{name:<36} {f:>9.3}s {d:>9.3}s {:>7.2}x", f / d),
            None => println!("{name:<36} {f:>9.3}s {:>10} {:>8}", "n/a", ""),
        }
    }
    println!("CSV scan speed (orders, {orders_mb:.0} MB): {:.0} MB/s", orders_mb / flint[0].as_secs_f64());
    Ok(())
}
