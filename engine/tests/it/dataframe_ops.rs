//! DataFrame operations beyond the relational core: `describe`/`summary` and partition discovery (checked
//! against PySpark's answers in `datasets/reference/dataframe_ops_expected.json`, made by
//! `datasets/reference/dataframe_ops.py`), persistence levels, sampling, aggregate and table UDFs.

use super::{TestResult, session, session_with};
use approx::assert_relative_eq;
use arrow::datatypes::{DataType, Field, Schema};
use flint_engine::dataframe::Chart;
use flint_engine::prelude::*;
use serde_json::Value;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

fn expected() -> TestResult<Value> {
    let text = std::fs::read_to_string(datasets::dir().join("reference/dataframe_ops_expected.json"))?;
    Ok(serde_json::from_str(&text)?)
}

fn friends(s: &Session) -> Result<DataFrame> {
    let schema = Schema::new(vec![
        Field::new("id", DataType::Int32, true),
        Field::new("name", DataType::Utf8, true),
        Field::new("age", DataType::Int32, true),
        Field::new("friends", DataType::Int32, true),
    ]);
    s.read().schema(schema).csv(&datasets::path("fakefriends.csv"))
}

/// Every cell as a string (null as JSON null), to compare with Spark's rows.
fn cells(df: &DataFrame) -> TestResult<Vec<Vec<Value>>> {
    let names = df.columns();
    let mut out = Vec::new();
    for row in df.collect()? {
        let mut cells = Vec::new();
        for name in &names {
            cells.push(row.get_as::<Option<String>>(name)?.map_or(Value::Null, Value::String));
        }
        out.push(cells);
    }
    Ok(out)
}

fn json_rows(v: &Value) -> Vec<Vec<Value>> {
    v.as_array().into_iter().flatten().map(|r| r.as_array().cloned().unwrap_or_default()).collect()
}

#[test]
fn describe_and_summary_give_sparks_cells() -> TestResult {
    let want = expected()?;
    let s = session(2);
    let df = friends(&s)?;
    let described = df.describe()?;
    assert_eq!(Value::from(described.columns()), want["describe"]["columns"]);
    assert_eq!(cells(&described)?, json_rows(&want["describe"]["rows"]));
    assert_eq!(cells(&df.summary([])?)?, json_rows(&want["summary"]["rows"]));
    assert_eq!(cells(&df.summary(["count", "count_distinct", "10%", "99%"])?)?, json_rows(&want["summary_some"]));
    Ok(())
}

#[test]
fn summary_rejects_unknown_statistics_by_name() {
    let s = session(1);
    let err = friends(&s).and_then(|df| df.summary(["median"])).expect_err("median is not a statistic");
    assert!(err.to_string().contains("`median` is not a recognised statistic"), "{err}");
}

#[test]
fn a_dataset_spark_wrote_with_partition_by_reads_back_with_its_partition_columns() -> TestResult {
    let want = &expected()?["partitioned"];
    let s = session(2);
    let df = s.read().parquet(&datasets::path("reference/friends_partitioned"))?;
    let spark_types: Vec<(String, String)> = json_rows(&want["schema"])
        .into_iter()
        .map(|r| (r[0].as_str().unwrap_or_default().to_string(), r[1].as_str().unwrap_or_default().to_string()))
        .collect();
    assert_eq!(df.dtypes(), spark_types);
    assert_eq!(df.count()?, want["rows"].as_u64().unwrap_or_default());
    let by_decade =
        df.group_by(["decade"]).agg([count("*").alias("n"), sum("friends").alias("f")])?.order_by(["decade"])?;
    let got: Vec<Value> = by_decade
        .collect()?
        .iter()
        .map(|r| -> TestResult<Value> {
            Ok(Value::from(vec![r.get_as::<i32>("decade")? as i64, r.get_as::<i64>("n")?, r.get_as::<i64>("f")?]))
        })
        .collect::<TestResult<_>>()?;
    assert_eq!(Value::from(got), want["by_decade"]);
    Ok(())
}

#[test]
fn partitioned_writes_read_back_with_typed_partition_columns_in_every_format() -> TestResult {
    let s = session(2);
    let dir = tempfile::tempdir()?;
    let df = friends(&s)?.select_expr([
        "id",
        "name",
        "CAST(age / 10 AS INT) AS decade",
        "CASE WHEN id % 2 = 0 THEN 'even' ELSE 'odd' END AS parity",
    ])?;
    for format in ["parquet", "csv", "json"] {
        let path = dir.path().join(format).to_string_lossy().into_owned();
        let writer = df.write().partition_by(["decade", "parity"]);
        match format {
            "parquet" => writer.parquet(&path)?,
            "csv" => writer.option("header", "true").csv(&path)?,
            _ => writer.json(&path)?,
        }
        let back = match format {
            "parquet" => s.read().parquet(&path)?,
            "csv" => s.read().option("header", "true").option("inferSchema", "true").csv(&path)?,
            _ => s.read().json(&path)?,
        };
        let fields = back.dtypes();
        let n = fields.len();
        assert_eq!(fields[n - 2], ("decade".to_string(), "int".to_string()), "{format}");
        assert_eq!(fields[n - 1], ("parity".to_string(), "string".to_string()), "{format}");
        assert_eq!(back.count()?, 500, "{format}");
        let odd_sixties = back.filter("decade = 6 AND parity = 'odd'")?.count()?;
        let want = df.filter("decade = 6 AND parity = 'odd'")?.count()?;
        assert_eq!(odd_sixties, want, "{format}");
    }
    Ok(())
}

/// A DataFrame whose `x` column counts how many times rows are computed.
fn counted_frame(s: &Session, rows: i64) -> TestResult<(DataFrame, Arc<AtomicUsize>)> {
    let calls = Arc::new(AtomicUsize::new(0));
    let c = Arc::clone(&calls);
    let tick = udf("tick", move |x: i64| {
        c.fetch_add(1, Ordering::Relaxed);
        x * 2
    });
    let df = s.range_df(rows)?.repartition(4)?.with_column("x", tick.call([col("id")]))?;
    Ok((df, calls))
}

#[test]
fn a_persisted_frame_is_computed_once_until_unpersisted() -> TestResult {
    let s = session(2);
    let (df, calls) = counted_frame(&s, 1000)?;
    let cached = df.cache()?;
    assert_eq!(cached.storage_level(), StorageLevel::MEMORY_AND_DISK);
    assert_eq!(df.storage_level(), StorageLevel::NONE);
    assert_eq!(calls.load(Ordering::Relaxed), 0, "persisting is lazy");
    assert_eq!(cached.count()?, 1000);
    assert_eq!(calls.load(Ordering::Relaxed), 1000);
    let total: i64 = cached.agg([sum("x").alias("t")])?.collect()?[0].get_as("t")?;
    assert_eq!(total, 999 * 1000);
    assert_eq!(cached.filter("x < 10")?.count()?, 5);
    assert_eq!(calls.load(Ordering::Relaxed), 1000, "later actions read the stored partitions");
    cached.unpersist();
    assert_eq!(cached.storage_level(), StorageLevel::NONE);
    // `count` alone would not compute `x` (DataFusion prunes the unused column), so sum it.
    let again: i64 = cached.agg([sum("x").alias("t")])?.collect()?[0].get_as("t")?;
    assert_eq!(again, total);
    assert_eq!(calls.load(Ordering::Relaxed), 2000, "after unpersist the rows are computed again");
    Ok(())
}

#[test]
fn storage_levels_keep_their_rules_under_a_small_memory_budget() -> TestResult {
    let s = session_with(2, &[("flint.storage.memory", "1k")]);
    for (level, recomputes) in
        [(StorageLevel::MEMORY_ONLY, true), (StorageLevel::MEMORY_AND_DISK, false), (StorageLevel::DISK_ONLY, false)]
    {
        let (df, calls) = counted_frame(&s, 5000)?;
        let persisted = df.persist(level)?;
        assert_eq!(persisted.count()?, 5000);
        let total: i64 = persisted.agg([sum("x").alias("t")])?.collect()?[0].get_as("t")?;
        assert_eq!(total, 4999 * 5000, "{level:?}");
        let second_pass = calls.load(Ordering::Relaxed) > 5000;
        assert_eq!(second_pass, recomputes, "{level:?}: partitions larger than memory");
    }
    assert!(s.range_df(3)?.persist(StorageLevel::NONE).is_err());
    Ok(())
}

#[test]
fn sampling_is_seeded_and_random_splits_partition_the_rows() -> TestResult {
    let s = session(2);
    let df = s.range_df(10_000)?.repartition(4)?;
    let ids = |d: &DataFrame| -> TestResult<Vec<i64>> {
        let mut v: Vec<i64> = d.collect()?.iter().map(|r| r.get_as::<i64>("id")).collect::<Result<_>>()?;
        v.sort();
        Ok(v)
    };
    let a = ids(&df.sample(false, 0.1, 7)?)?;
    // Binomial(10 000, 0.1): mean 1000, standard deviation 30; 6 deviations either side.
    assert!((820..=1180).contains(&a.len()), "{} rows", a.len());
    assert_eq!(a, ids(&df.sample(false, 0.1, 7)?)?, "the same seed gives the same sample");
    assert_ne!(a, ids(&df.sample(false, 0.1, 8)?)?);
    let with = df.sample(true, 2.0, 3)?.count()?;
    assert!((19_000..=21_000).contains(&with), "{with} rows with replacement at fraction 2");
    assert!(df.sample(false, 1.5, 1).is_err());

    let splits = df.random_split(&[0.7, 0.3], 11)?;
    let (train, test) = (ids(&splits[0])?, ids(&splits[1])?);
    assert!((6600..=7400).contains(&train.len()), "{}", train.len());
    let mut all = [train, test].concat();
    all.sort();
    assert_eq!(all, (0..10_000).collect::<Vec<i64>>(), "disjoint and complete");
    Ok(())
}

#[test]
fn an_aggregate_udf_gives_the_reference_geometric_means() -> TestResult {
    let want = expected()?;
    let s = session(4);
    let geo_mean = udaf(
        "geo_mean",
        (0.0f64, 0u64),
        |(logs, n), x: f64| (logs + x.ln(), n + 1),
        |a, b| (a.0 + b.0, a.1 + b.1),
        |(logs, n)| (n > 0).then(|| (logs / n as f64).exp()),
    );
    let df = friends(&s)?.repartition(4)?.select_expr(["CAST(age / 10 AS INT) AS decade", "friends"])?;
    let rows = df.group_by(["decade"]).agg([geo_mean.call(col("friends"))])?.order_by(["decade"])?.collect()?;
    let reference = json_rows(&want["geo_mean_by_decade"]);
    assert_eq!(rows.len(), reference.len());
    for (row, r) in rows.iter().zip(&reference) {
        assert_eq!(i64::from(row.get_as::<i32>("decade")?), r[0].as_i64().unwrap_or_default());
        assert_relative_eq!(
            row.get_as::<f64>("geo_mean(friends)")?,
            r[1].as_f64().unwrap_or_default(),
            max_relative = 1e-12
        );
    }

    s.register_udaf(&geo_mean)?;
    df.create_or_replace_temp_view("friends_by_decade")?;
    let sql = s.sql("SELECT geo_mean(friends) AS g FROM friends_by_decade WHERE decade = 1")?.collect()?;
    assert_relative_eq!(sql[0].get_as::<f64>("g")?, reference[0][1].as_f64().unwrap_or_default(), max_relative = 1e-12);

    // Nulls are skipped by a plain argument type; an empty group finishes with the zero buffer.
    let with_null = s.sql("SELECT geo_mean(x) AS g FROM VALUES (4.0), (NULL), (1.0) AS t(x)")?.collect()?;
    assert_relative_eq!(with_null[0].get_as::<f64>("g")?, 2.0, max_relative = 1e-12);
    let none = s.sql("SELECT geo_mean(x) AS g FROM VALUES (CAST(NULL AS DOUBLE)) AS t(x)")?.collect()?;
    assert_eq!(none[0].get_as::<Option<f64>>("g")?, None);
    Ok(())
}

#[test]
fn a_panicking_aggregate_udf_fails_the_query_with_its_name() -> TestResult {
    let s = session(2);
    let bad = udaf(
        "bad_sum",
        0i64,
        |acc, x: i64| if x == 3 { panic!("three is not allowed") } else { acc + x },
        |a, b| a + b,
        |a| a,
    );
    let err = s.range_df(10)?.agg([bad.call(col("id"))])?.collect().expect_err("the UDAF panics");
    assert!(err.to_string().contains("UDF `bad_sum` panicked: three is not allowed"), "{err}");
    Ok(())
}

#[test]
fn a_table_udf_yields_rows_in_dataframes_lateral_joins_and_sql() -> TestResult {
    let s = session(2);
    let squares = udtf("square_numbers", ["num", "squared"], |start: i64, end: i64| (start..=end).map(|n| (n, n * n)))?;
    // Spark's UDTF guide: SquareNumbers(lit(1), lit(3)) gives (1, 1), (2, 4), (3, 9).
    let rows = squares.call(&s, [lit(1), lit(3)])?.collect()?;
    let got: Vec<(i64, i64)> =
        rows.iter().map(|r| Ok((r.get_as::<i64>("num")?, r.get_as::<i64>("squared")?))).collect::<Result<_>>()?;
    assert_eq!(got, vec![(1, 1), (2, 4), (3, 9)]);

    s.register_udtf(&squares)?;
    let sum: i64 = s.sql("SELECT sum(squared) AS s FROM square_numbers(-2, 2)")?.collect()?[0].get_as("s")?;
    assert_eq!(sum, 10, "squares of -2..=2");
    let err = s.sql("SELECT * FROM square_numbers(1)").and_then(|d| d.collect()).expect_err("one argument short");
    assert!(err.to_string().contains("takes 2 arguments, 1 given"), "{err}");

    // Per input row: (1, 2) yields 2 rows, (5, 4) none (dropped, as an inner lateral join drops it), (3, 3) one.
    let ranges = s.create_dataframe(
        vec![("a".to_string(), 1i64, 2i64), ("b".to_string(), 5, 4), ("c".to_string(), 3, 3)],
        &["k", "lo", "hi"],
    )?;
    let joined = squares.lateral(&ranges, [col("lo"), col("hi")])?.order_by(["k", "num"])?;
    assert_eq!(joined.columns(), vec!["k", "lo", "hi", "num", "squared"]);
    let got: Vec<(String, i64)> = joined
        .collect()?
        .iter()
        .map(|r| Ok((r.get_as::<String>("k")?, r.get_as::<i64>("squared")?)))
        .collect::<Result<_>>()?;
    assert_eq!(got, vec![("a".to_string(), 1), ("a".to_string(), 4), ("c".to_string(), 9)]);

    assert!(udtf("pairs", ["only_one"], |n: i64| vec![(n, n)]).is_err(), "two values per row but one name");
    Ok(())
}

#[test]
fn the_catalog_lists_views_and_saved_tables_with_their_columns() -> TestResult {
    let warehouse = tempfile::tempdir()?;
    let s = session_with(2, &[("spark.sql.warehouse.dir", &warehouse.path().to_string_lossy())]);
    friends(&s)?.create_or_replace_temp_view("friends")?;
    s.sql("CREATE TEMP VIEW teens AS SELECT name, age FROM friends WHERE age < 20")?;
    friends(&s)?.write().save_as_table("friends_saved")?;
    let tables: Vec<(String, String, bool)> =
        s.catalog().list_tables()?.into_iter().map(|t| (t.name, t.table_type, t.is_temporary)).collect();
    assert_eq!(
        tables,
        vec![
            ("friends".to_string(), "TEMPORARY".to_string(), true),
            ("friends_saved".to_string(), "MANAGED".to_string(), false),
            ("teens".to_string(), "TEMPORARY".to_string(), true),
        ]
    );
    let columns: Vec<(String, String)> =
        s.catalog().list_columns("teens")?.into_iter().map(|c| (c.name, c.data_type)).collect();
    assert_eq!(columns, vec![("name".to_string(), "string".to_string()), ("age".to_string(), "int".to_string())]);
    let err = s.sql("CREATE TEMP VIEW teens AS SELECT 1").expect_err("exists");
    assert!(err.to_string().contains("TEMP_TABLE_OR_VIEW_ALREADY_EXISTS"), "{err}");
    assert!(s.catalog().drop_temp_view("teens")?);
    assert!(!s.catalog().drop_temp_view("teens")?);
    assert!(!s.catalog().table_exists("teens")?);
    let err = s.catalog().list_columns("teens").expect_err("dropped");
    assert!(err.to_string().contains("`teens` cannot be found") && err.to_string().contains("friends"), "{err}");
    Ok(())
}

#[test]
fn sql_keeps_the_case_of_names_and_resolves_functions_in_any_case() -> TestResult {
    let s = session(1);
    friends(&s)?.create_or_replace_temp_view("friends")?;
    let df = s.sql("SELECT COUNT(*) AS numFriends, Sum(friends) AS totalFriends, 0.1 + 0.2 AS exact FROM friends")?;
    assert_eq!(df.columns(), vec!["numFriends", "totalFriends", "exact"]);
    let row = &df.collect()?[0];
    assert_eq!(row.get_as::<i64>("numFriends")?, 500);
    // Spark reads 0.1 as a decimal, so the sum is exact (as a double it would be 0.30000000000000004).
    assert_eq!(df.show_string(1, 0, false)?.lines().nth(3), Some("|500       |125641      |0.3  |"));
    Ok(())
}

#[test]
fn set_operations_count_copies_as_spark_does() -> TestResult {
    // Worked by hand with Spark's rules: a row m times on the left and n times on the right is in INTERSECT ALL
    // min(m, n) times and in EXCEPT ALL max(m - n, 0) times; nulls equal nulls; columns match by position.
    let s = session(2);
    let left = s.sql("SELECT * FROM VALUES (1), (1), (1), (2), (NULL), (NULL), (3) AS t(x)")?;
    let right = s.sql("SELECT * FROM VALUES (1), (1), (2), (2), (NULL) AS t(y)")?;
    let values = |df: DataFrame| -> TestResult<Vec<Option<i64>>> {
        let mut v: Vec<Option<i64>> =
            df.collect()?.iter().map(|r| r.get_as::<Option<i64>>("x")).collect::<Result<_>>()?;
        v.sort();
        Ok(v)
    };
    assert_eq!(values(left.intersect_all(&right)?)?, vec![None, Some(1), Some(1), Some(2)]);
    assert_eq!(values(left.except_all(&right)?)?, vec![None, Some(1), Some(3)]);
    assert_eq!(values(left.intersect(&right)?)?, vec![None, Some(1), Some(2)]);
    assert_eq!(values(left.subtract(&right)?)?, vec![Some(3)]);
    left.create_or_replace_temp_view("l")?;
    right.create_or_replace_temp_view("r")?;
    let sql = s.sql("SELECT x FROM l INTERSECT ALL SELECT y FROM r ORDER BY x")?;
    assert_eq!(values(sql)?, vec![None, Some(1), Some(1), Some(2)]);
    let nested =
        s.sql("WITH w AS (SELECT x FROM l) SELECT count(*) AS n FROM (SELECT x FROM w EXCEPT ALL SELECT y FROM r) e")?;
    assert_eq!(nested.collect()?[0].get_as::<i64>("n")?, 3);
    let err = left.intersect_all(&s.range_df(2)?.select_expr(["id", "id AS other"])?).expect_err("two columns");
    assert!(err.to_string().contains("NUM_COLUMNS_MISMATCH"), "{err}");
    Ok(())
}

#[test]
fn event_time_windows_bucket_rows_as_spark_does() -> TestResult {
    // Worked by hand with Spark's window rules (windows start at multiples of the slide since the epoch):
    // 10:02 is in [09:55, 10:05) and [10:00, 10:10); 10:07 in [10:00, 10:10) and [10:05, 10:15); 10:12 and
    // 10:14:59 in [10:05, 10:15) and [10:10, 10:20).
    let s = session(2);
    let events = s.sql(
        "SELECT CAST(t AS TIMESTAMP) AS ts FROM VALUES ('2024-01-01 10:07:00'), ('2024-01-01 10:02:00'), \
         ('2024-01-01 10:12:00'), ('2024-01-01 10:14:59') AS v(t)",
    )?;
    let counts = |df: DataFrame| -> TestResult<Vec<String>> {
        let shown = df.select_expr(["window.start AS start", "n"])?.order_by(["start"])?.show_string(10, 0, false)?;
        Ok(shown.lines().skip(3).filter(|l| l.starts_with('|')).map(|l| l.replace(' ', "")).collect())
    };
    let tumbling = events.group_by([window(col("ts"), "10 minutes", None)?]).agg([count("*").alias("n")])?;
    assert_eq!(counts(tumbling)?, vec!["|2024-01-0110:00:00|2|", "|2024-01-0110:10:00|2|"]);
    let sliding =
        events.group_by([window(col("ts"), "10 minutes", Some("5 minutes"))?]).agg([count("*").alias("n")])?;
    assert_eq!(
        counts(sliding)?,
        vec!["|2024-01-0109:55:00|1|", "|2024-01-0110:00:00|2|", "|2024-01-0110:05:00|3|", "|2024-01-0110:10:00|2|"]
    );
    let err = window(col("ts"), "10 minutes", Some("11 minutes")).expect_err("a slide longer than the window");
    assert!(err.to_string().contains("must not be longer"), "{err}");
    assert!(window(col("ts"), "ten minutes", None).is_err());
    assert!(window_with_start(col("ts"), "10 minutes", None, Some("10 minutes")).is_err());
    Ok(())
}

#[test]
fn windows_with_slides_that_do_not_divide_the_duration_hold_only_their_times() -> TestResult {
    // Worked by hand: windows start every 3 minutes since the epoch (09:54, 09:57, 10:00, …) and a window
    // [s, s + 10 min) holds t when s is in (t - 10 min, t]: 10:02 is in the windows of 09:54, 09:57 and 10:00;
    // 10:07 in 10:00, 10:03, 10:06; 10:12 in 10:03, 10:06, 10:09, 10:12; 10:14:59 in 10:06, 10:09, 10:12.
    // The row without a time is in no window, as in Spark.
    let s = session(2);
    let events = s.sql(
        "SELECT CAST(t AS TIMESTAMP) AS ts FROM VALUES ('2024-01-01 10:07:00'), ('2024-01-01 10:02:00'), \
         ('2024-01-01 10:12:00'), ('2024-01-01 10:14:59'), (NULL) AS v(t)",
    )?;
    let starts = |df: DataFrame| -> TestResult<Vec<(String, i64)>> {
        let rows = df.select_expr(["date_format(window.start, 'HH:mm') AS start", "n"])?.order_by(["start"])?;
        rows.collect()?.iter().map(|r| Ok((r.get_as::<String>("start")?, r.get_as::<i64>("n")?))).collect()
    };
    let sliding =
        events.group_by([window(col("ts"), "10 minutes", Some("3 minutes"))?]).agg([count("*").alias("n")])?;
    let expected = [("09:54", 1), ("09:57", 1), ("10:00", 2), ("10:03", 2), ("10:06", 3), ("10:09", 2), ("10:12", 2)];
    assert_eq!(starts(sliding)?, expected.map(|(t, n)| (t.to_string(), n)));
    // Windows from five past: [09:55, 10:05) holds 10:02, [10:05, 10:15) the three others.
    let shifted = events
        .group_by([window_with_start(col("ts"), "10 minutes", None, Some("5 minutes"))?])
        .agg([count("*").alias("n")])?;
    assert_eq!(starts(shifted)?, [("09:55".to_string(), 1), ("10:05".to_string(), 3)]);
    // A tumbling window as a new column: one row per row with a time.
    assert_eq!(events.with_column("w", window(col("ts"), "10 minutes", None)?)?.count()?, 4);
    Ok(())
}

#[test]
fn explode_makes_no_row_for_null_or_empty_arrays_as_spark() -> TestResult {
    // Spark's explode: [1, 2] gives two rows, [] and NULL none; the alias names the column.
    let s = session(2);
    let df = s.sql("SELECT 1 AS id, array(1, 2) AS xs UNION ALL SELECT 2, array() UNION ALL SELECT 3, NULL")?;
    let exploded = df.select([col("id"), explode(col("xs")).alias("x")])?.order_by(["id", "x"])?;
    assert_eq!(exploded.columns(), ["id", "x"]);
    let rows: Vec<(i64, i64)> =
        exploded.collect()?.iter().map(|r| Ok((r.get_as("id")?, r.get_as("x")?))).collect::<TestResult<_>>()?;
    assert_eq!(rows, [(1, 1), (1, 2)]);
    let with = df.with_column("xs", explode(col("xs")))?;
    assert_eq!(with.columns(), ["id", "xs"]);
    assert_eq!(with.count()?, 2);
    Ok(())
}

#[test]
fn plots_are_plotly_figures_of_the_rows() -> TestResult {
    let s = session(2);
    let df =
        s.sql("SELECT * FROM VALUES (1, 'a', 2.0), (2, 'b', 3.5), (3, 'c', 1.0), (4, 'd', 10.0) AS t(day, k, sales)")?;
    let figure = |chart: Chart| -> TestResult<Value> { Ok(serde_json::from_str(&chart.to_json())?) };

    let bar = figure(df.plot().bar("day", &["sales"])?)?;
    assert_eq!(bar["data"][0]["type"], "bar");
    assert_eq!(bar["data"][0]["x"], serde_json::json!(["1", "2", "3", "4"]));
    assert_eq!(bar["data"][0]["y"], serde_json::json!([2.0, 3.5, 1.0, 10.0]));
    let barh = figure(df.plot().barh("k", &["sales", "day"])?)?;
    assert_eq!((barh["data"][0]["orientation"].as_str(), barh["data"][1]["name"].as_str()), (Some("h"), Some("day")));
    let pie = figure(df.plot().pie("k", "sales")?)?;
    assert_eq!((pie["data"][0]["type"].as_str(), &pie["data"][0]["labels"][3]), (Some("pie"), &Value::from("d")));
    let line = figure(df.plot().line("day", &["sales"])?)?;
    assert_eq!((line["data"][0]["type"].as_str(), line["data"][0]["mode"].as_str()), (Some("scatter"), Some("lines")));
    assert_eq!(figure(df.plot().area("day", &["sales"])?)?["data"][0]["fill"], "tozeroy");
    assert_eq!(figure(df.plot().scatter("day", "sales")?)?["data"][0]["mode"], "markers");
    assert_eq!(figure(df.plot().box_plot(&["sales"])?)?["data"][0]["type"], "box");

    // Worked by hand: values 1, 2, 2, 3, 10 in 3 bins of width 3 from 1: [1, 4) holds four, [4, 7) none,
    // [7, 10] the 10.
    let values = s.sql("SELECT * FROM VALUES (1), (2), (2), (3), (10) AS t(v)")?;
    let hist = figure(values.plot().hist(&["v"], 3)?)?;
    assert_eq!(hist["data"][0]["y"], serde_json::json!([4.0, 0.0, 1.0]));
    assert_eq!(hist["data"][0]["x"], serde_json::json!([2.5, 5.5, 8.5]));
    // A density curve of 50 points, highest near the cluster at 2.
    let kde = figure(values.plot().kde(&["v"], Some(0.5), 50)?)?;
    let ys: Vec<f64> =
        kde["data"][0]["y"].as_array().map(|a| a.iter().filter_map(Value::as_f64).collect()).unwrap_or_default();
    let xs: Vec<f64> =
        kde["data"][0]["x"].as_array().map(|a| a.iter().filter_map(Value::as_f64).collect()).unwrap_or_default();
    let peak = ys.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1)).map(|(i, _)| xs[i]).unwrap_or_default();
    assert_eq!(ys.len(), 50);
    assert!((peak - 2.0).abs() < 0.3, "peak at {peak}");

    // Bad input names what is wrong.
    let err = df.plot().bar("day", &["k"]).expect_err("strings are not numbers").to_string();
    assert!(err.contains("`k`") && err.contains("numbers"), "{err}");
    assert!(values.plot().hist(&["v"], 0).expect_err("no bins").to_string().contains("bin"));
    assert!(values.plot().kde(&["v"], Some(-1.0), 10).is_err());
    assert!(df.plot().line("day", &["nope"]).is_err());
    Ok(())
}

/// Charts built from numbers (MLlib's charts of models) and scatters of numeric columns place points by value, in
/// the Plotly figure and in the SVG fallback; every chart's notebook form has the figure, the SVG and a summary.
#[test]
fn scatters_of_numbers_place_points_by_value() -> TestResult {
    let figure = |chart: &Chart| -> TestResult<Value> { Ok(serde_json::from_str(&chart.to_json())?) };
    let series = vec![("a".to_string(), vec![0.5, 2.0], vec![1.0, 3.0]), ("b".to_string(), vec![4.0], vec![0.0])];
    let chart = Chart::scatter_series("points", ["x0", "x1"], series);
    let json = figure(&chart)?;
    assert_eq!(json["data"].as_array().map(Vec::len), Some(2));
    assert_eq!(
        (json["data"][0]["type"].as_str(), json["data"][0]["mode"].as_str()),
        (Some("scatter"), Some("markers"))
    );
    assert_eq!(json["data"][0]["x"], serde_json::json!([0.5, 2.0]));
    assert_eq!(
        (json["layout"]["xaxis"]["title"]["text"].as_str(), json["layout"]["yaxis"]["title"]["text"].as_str()),
        (Some("x0"), Some("x1"))
    );
    // The SVG's x axis runs from 0.5 to 4 (plot area 48..512): x = 2 is at 48 + 464 × 1.5 / 3.5.
    let svg = chart.to_svg();
    assert!(svg.contains("<circle cx=\"246.9\""), "{svg}");
    assert_eq!(svg.matches("<circle").count(), 3);

    let bars = figure(&Chart::bar_series(
        "shares",
        ["component", "share"],
        "v",
        vec!["PC1".into(), "PC2".into()],
        vec![0.75, 0.25],
    ))?;
    assert_eq!(
        (bars["data"][0]["type"].as_str(), &bars["data"][0]["x"]),
        (Some("bar"), &serde_json::json!(["PC1", "PC2"]))
    );

    let s = session(2);
    let df = s.sql("SELECT * FROM VALUES (1, 2.0), (10, 3.5), (2, 1.0) AS t(day, sales)")?;
    assert_eq!(figure(&df.plot().scatter("day", "sales")?)?["data"][0]["x"], serde_json::json!([1.0, 10.0, 2.0]));
    let mimes: Vec<&str> = chart.mime_bundle().iter().map(|(mime, _)| *mime).collect();
    assert_eq!(mimes, ["text/plain", "application/vnd.plotly.v1+json", "text/html"]);
    Ok(())
}

#[test]
fn isnan_and_not_follow_spark() -> TestResult {
    // Spark: isnan(NaN) = true, isnan(1.0) = false, isnan(NULL) = false; NOT flips a boolean, NOT NULL is NULL.
    let s = session(2);
    let df = s.sql("SELECT CAST(x AS DOUBLE) AS x FROM VALUES ('NaN'), ('1.0'), (NULL) AS t(x)")?;
    let out = df.select([col("x"), isnan(col("x")), not(isnan(col("x")))])?;
    assert_eq!(out.columns(), vec!["x", "isnan(x)", "(NOT isnan(x))"]);
    let rows = out.collect()?;
    let flags: Vec<(bool, Option<bool>)> = rows
        .iter()
        .map(|r| Ok((r.get_as::<bool>("isnan(x)")?, r.get_as::<Option<bool>>("(NOT isnan(x))")?)))
        .collect::<Result<_>>()?;
    assert_eq!(flags, vec![(true, Some(false)), (false, Some(true)), (false, Some(true))]);
    Ok(())
}

#[test]
fn vector_columns_show_and_print_as_sparks() -> TestResult {
    use arrow::array::{Array, ArrayRef, Float64Array, Int8Array, Int32Array, ListArray, StructArray};
    use arrow::buffer::OffsetBuffer;
    use flint_engine::dataframe::udt::{is_vector_type, vector_type};
    let DataType::Struct(fields) = vector_type() else { panic!("a struct") };
    let list = |i: usize| match fields[i].data_type() {
        DataType::List(f) => f.clone(),
        other => panic!("{other}"),
    };
    // Row 0 dense [1.0, 0.5]; row 1 sparse (3, [0, 2], [1.0, 3.0]) — Spark's VectorUDT layout.
    let indices = ListArray::new(
        list(2),
        OffsetBuffer::new(vec![0, 0, 2].into()),
        Arc::new(Int32Array::from(vec![0, 2])),
        Some(vec![false, true].into()),
    );
    let values = ListArray::new(
        list(3),
        OffsetBuffer::new(vec![0, 2, 4].into()),
        Arc::new(Float64Array::from(vec![1.0, 0.5, 1.0, 3.0])),
        None,
    );
    let columns: Vec<ArrayRef> = vec![
        Arc::new(Int8Array::from(vec![1, 0])),
        Arc::new(Int32Array::from(vec![None, Some(3)])),
        Arc::new(indices),
        Arc::new(values),
    ];
    let vectors = StructArray::new(fields.clone(), columns, None);
    assert!(is_vector_type(vectors.data_type()));
    let schema = Arc::new(Schema::new(vec![Field::new("features", vector_type(), true)]));
    let batch = arrow::record_batch::RecordBatch::try_new(schema, vec![Arc::new(vectors)])?;
    let df = session(2).create_dataframe_from_batches(vec![batch])?;
    let shown = df.show_string(20, 20, false)?;
    assert!(shown.contains("|          [1.0,0.5]|") && shown.contains("|(3,[0,2],[1.0,3.0])|"), "{shown}");
    assert_eq!(df.schema_string(), "root\n |-- features: vector (nullable = true)\n");
    assert_eq!(df.dtypes(), vec![("features".to_string(), "vector".to_string())]);
    Ok(())
}

/// `df.stat()`: Pearson correlation and sample covariance of iris's columns, against NumPy's `corrcoef` and
/// `cov(ddof=1)` (`datasets/reference/mllib_stat.py`, the same figures MLlib's `Statistics` is checked with).
#[test]
fn stat_corr_and_cov_match_numpy() -> TestResult {
    let s = session(2);
    let iris = s.read().option("inferSchema", true).csv(&datasets::path("iris.csv"))?.to_df([
        "sepal_length",
        "sepal_width",
        "petal_length",
        "petal_width",
        "label",
    ])?;
    let expected: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(datasets::path("reference/mllib_stat_expected.json"))?)?;
    let names = ["sepal_length", "sepal_width", "petal_length", "petal_width"];
    for (i, a) in names.iter().enumerate() {
        for (j, b) in names.iter().enumerate() {
            let corr = expected["iris_pearson"][i][j].as_f64().ok_or("pearson")?;
            let cov = expected["iris_covariance"][i][j].as_f64().ok_or("covariance")?;
            approx::assert_relative_eq!(iris.stat().corr(a, b)?, corr, max_relative = 1e-12);
            approx::assert_relative_eq!(iris.stat().cov(a, b)?, cov, max_relative = 1e-12);
        }
    }
    let e = iris.stat().corr_with("sepal_length", "petal_length", "spearman").expect_err("only pearson").to_string();
    assert!(e.contains("only the calculation of the Pearson"), "{e}");
    let e = iris.stat().corr("sepal_length", "nope").expect_err("no column").to_string();
    assert!(e.contains("no column `nope`"), "{e}");
    Ok(())
}
