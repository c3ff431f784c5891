//! DataFrames and SQL: Spark's answers, names and layouts, checked against the Python reference
//! (`datasets/reference/day1.py`), Spark's documentation, and values worked by hand.

#[allow(dead_code)]
#[path = "../../examples/friends_by_age_sql.rs"]
mod friends_by_age_sql;

use crate::{TestResult, session};
use approx::assert_relative_eq;
use flint_engine::prelude::*;

fn people(s: &Session) -> TestResult<DataFrame> {
    #[derive(serde::Serialize)]
    struct Person {
        name: String,
        age: i64,
        dept: String,
    }
    let rows = [("Alice", 2, "eng"), ("Bob", 5, "eng"), ("Carol", 5, "ops"), ("Dan", 9, "ops"), ("Eve", 7, "eng")]
        .into_iter()
        .map(|(n, a, d)| Person { name: n.into(), age: a, dept: d.into() })
        .collect();
    Ok(s.create_dataframe(rows, &[])?)
}

fn reference_friends_by_age() -> TestResult<Vec<(u64, f64)>> {
    let text = std::fs::read_to_string(datasets::dir().join("reference/day1_expected.json"))?;
    let json: serde_json::Value = serde_json::from_str(&text)?;
    Ok(json["friends_by_age"]
        .as_array()
        .ok_or("friends_by_age")?
        .iter()
        .map(|p| (p[0].as_u64().unwrap_or_default(), p[1].as_f64().unwrap_or_default()))
        .collect())
}

#[test]
fn friends_by_age_with_dataframes_and_sql_match_the_reference() -> TestResult {
    let want = reference_friends_by_age()?;
    for n in [1, 4] {
        let s = session(n);
        let people = friends_by_age_sql::people(&s)?;
        for result in [friends_by_age_sql::with_dataframes(&people)?, friends_by_age_sql::with_sql(&s, &people)?] {
            let rows = result.collect()?;
            assert_eq!(rows.len(), want.len());
            for (row, (age, avg)) in rows.iter().zip(&want) {
                assert_eq!(row.get_as::<u64>("age")?, *age);
                // Rounded to 2 decimals, half up, as Spark's round.
                assert_relative_eq!(row.get_as::<f64>("friends_avg")?, (avg * 100.0).round() / 100.0, epsilon = 1e-9);
            }
        }
    }
    Ok(())
}

#[test]
fn show_prints_sparks_table() -> TestResult {
    // PySpark docs, DataFrame.show: df = [(2, "Alice"), (5, "Bob")] with columns age, name.
    let s = session(2);
    let df = s.create_dataframe(vec![(2, "Alice".to_string()), (5, "Bob".to_string())], &["age", "name"])?;
    assert_eq!(
        df.show_string(20, 20, false)?,
        "+---+-----+\n|age| name|\n+---+-----+\n|  2|Alice|\n|  5|  Bob|\n+---+-----+\n"
    );
    assert_eq!(
        df.show_string(1, 20, false)?,
        "+---+-----+\n|age| name|\n+---+-----+\n|  2|Alice|\n+---+-----+\nonly showing top 1 row\n"
    );
    assert_eq!(df.schema_string(), "root\n |-- age: long (nullable = true)\n |-- name: string (nullable = true)\n");
    Ok(())
}

#[test]
fn filters_take_columns_or_sql_and_division_is_floating() -> TestResult {
    let s = session(2);
    let df = people(&s)?;
    let by_column = df.filter(col("age").gt(4).and(col("dept").equal_to("ops")))?;
    let by_sql = df.filter("age > 4 AND dept = 'ops'")?;
    for d in [by_column, by_sql] {
        let names: Vec<String> =
            d.order_by(["name"])?.collect()?.iter().map(|r| r.get_as("name")).collect::<Result<_>>()?;
        assert_eq!(names, ["Carol", "Dan"]);
    }
    // Spark: 5 / 2 = 2.5 (always floating point division).
    let half = df.filter(col("name").equal_to("Bob"))?.select([(col("age") / 2).alias("half")])?;
    assert_eq!(half.collect()?[0].get_as::<f64>("half")?, 2.5);
    Ok(())
}

#[test]
fn group_by_names_results_as_spark() -> TestResult {
    let s = session(2);
    let df = people(&s)?;
    let counts = df.group_by(["dept"]).count()?.order_by(["dept"])?;
    assert_eq!(counts.columns(), ["dept", "count"]);
    let rows = counts.collect()?;
    assert_eq!((rows[0].get_as::<String>("dept")?, rows[0].get_as::<i64>("count")?), ("eng".into(), 3));
    let avgs = df.group_by(["dept"]).avg(["age"])?;
    assert_eq!(avgs.columns(), ["dept", "avg(age)"]);
    let stats = df.agg([max("age"), min("age"), sum("age"), count("*")])?;
    assert_eq!(stats.columns(), ["max(age)", "min(age)", "sum(age)", "count(1)"]);
    let row = &stats.collect()?[0];
    assert_eq!((row.get_as::<i64>("max(age)")?, row.get_as::<i64>("sum(age)")?), (9, 28));
    Ok(())
}

#[test]
fn joins_on_names_keep_one_key_column() -> TestResult {
    let s = session(2);
    let left = s.create_dataframe(vec![(1, "a".to_string()), (2, "b".into()), (3, "c".into())], &["id", "l"])?;
    let right = s.create_dataframe(vec![(2, "x".to_string()), (3, "y".into()), (4, "z".into())], &["id", "r"])?;
    let rows = |df: DataFrame| -> TestResult<Vec<String>> {
        Ok(df.order_by(["id"])?.collect()?.iter().map(|r| r.to_string()).collect())
    };
    let inner = left.join(&right, "id", "inner")?;
    assert_eq!(inner.columns(), ["id", "l", "r"]);
    assert_eq!(rows(inner)?, ["Row(id=2, l='b', r='x')", "Row(id=3, l='c', r='y')"]);
    let full = left.join(&right, "id", "full_outer")?;
    assert_eq!(rows(full)?.len(), 4);
    let right_join = left.join(&right, "id", "right")?;
    assert_eq!(rows(right_join)?.last().map(String::as_str), Some("Row(id=4, l=None, r='z')"));
    assert_eq!(rows(left.join(&right, "id", "left_semi")?)?, ["Row(id=2, l='b')", "Row(id=3, l='c')"]);
    assert_eq!(rows(left.join(&right, "id", "left_anti")?)?, ["Row(id=1, l='a')"]);
    let on_expr = left.alias("a")?.join(&right.alias("b")?, col("a.id").equal_to(col("b.id")), "inner")?;
    assert_eq!(on_expr.count()?, 2);
    Ok(())
}

#[test]
fn when_otherwise_windows_and_set_operations() -> TestResult {
    let s = session(2);
    let df = people(&s)?;
    let graded = df.with_column("band", when(col("age").lt(5), "young").otherwise("older")?)?;
    let young = graded.filter(col("band").equal_to("young"))?.count()?;
    assert_eq!(young, 1);
    let ranked = df
        .with_column("rn", row_number().over(&Window::partition_by(["dept"]).order_by([col("age").desc()]))?)?
        .filter(col("rn").equal_to(1))?
        .order_by(["dept"])?;
    let oldest: Vec<String> = ranked.collect()?.iter().map(|r| r.get_as("name")).collect::<Result<_>>()?;
    assert_eq!(oldest, ["Eve", "Dan"]);
    let twice = df.union(&df)?;
    assert_eq!(twice.count()?, 10);
    assert_eq!(twice.distinct()?.count()?, 5);
    assert_eq!(df.drop_duplicates(["dept"])?.count()?, 2);
    let reordered = df.select(["dept", "name", "age"])?;
    assert_eq!(df.union_by_name(&reordered)?.count()?, 10);
    Ok(())
}

#[test]
fn the_same_query_gives_the_same_rows_at_1_and_4_partitions() -> TestResult {
    let query = "SELECT rating, COUNT(*) AS n FROM ratings GROUP BY rating ORDER BY rating";
    let mut answers = Vec::new();
    for n in [1, 4] {
        let s = session(n);
        let ratings = s
            .read()
            .option("sep", "\t")
            .option("inferSchema", "true")
            .csv(&datasets::path("film.data"))?
            .to_df(["user", "item", "rating", "ts"])?;
        ratings.create_or_replace_temp_view("ratings")?;
        let rows: Vec<String> = s.sql(query)?.collect()?.iter().map(|r| r.to_string()).collect();
        answers.push(rows);
    }
    assert_eq!(answers[0], answers[1]);
    // datasets/reference/day1_expected.json: rating 4 appears 33,944 times.
    assert_eq!(answers[0][3], "Row(rating=4, n=33944)");
    Ok(())
}

#[test]
fn readers_follow_sparks_defaults() -> TestResult {
    let s = session(2);
    let dir = tempfile::tempdir()?;
    let csv = dir.path().join("p.csv");
    std::fs::write(&csv, "name,age\nAnn,30\nBen,40\n")?;
    let path = csv.to_string_lossy();
    // Without options: no header, every column a string named _c0, _c1.
    let raw = s.read().csv(&path)?;
    assert_eq!(raw.columns(), ["_c0", "_c1"]);
    assert_eq!(raw.count()?, 3);
    let typed = s.read().option("header", "true").option("inferSchema", "true").csv(&path)?;
    assert_eq!(typed.columns(), ["name", "age"]);
    assert_eq!(typed.agg([sum("age")])?.collect()?[0].get_as::<i64>("sum(age)")?, 70);
    let json = dir.path().join("p.json");
    std::fs::write(&json, "{\"zeta\": 1, \"alpha\": \"x\"}\n{\"zeta\": 2, \"alpha\": \"y\"}\n")?;
    // Spark sorts inferred JSON fields by name.
    assert_eq!(s.read().json(&json.to_string_lossy())?.columns(), ["alpha", "zeta"]);
    let text = s.read().text(&datasets::path("book.txt"))?;
    assert_eq!(text.columns(), ["value"]);
    assert_eq!(text.count()?, 3187);
    Ok(())
}

#[test]
fn bad_input_gets_errors_that_say_what_is_wrong() -> TestResult {
    let s = session(2);
    let df = people(&s)?;
    let unknown = df.select(["agee"]).expect_err("unknown column").to_string();
    assert!(unknown.contains("agee") && unknown.contains("age"), "{unknown}");
    let bad_sql = s.sql("SELEC 1").expect_err("bad SQL").to_string();
    assert!(bad_sql.contains("SELEC"), "{bad_sql}");
    let how = df.join(&df, "age", "sideways").expect_err("bad join").to_string();
    assert!(how.contains("sideways") && how.contains("left_anti"), "{how}");
    let mode = s.read().option("mode", "lenient").csv(&datasets::path("fakefriends.csv")).expect_err("bad mode");
    assert!(mode.to_string().contains("DROPMALFORMED"), "{mode}");
    let missing = s.read().csv("/no/such/file.csv").expect_err("missing file");
    assert!(matches!(missing, Error::PathNotFound { .. }), "{missing}");
    let wrong_type = df.collect()?[0].get_as::<i64>("name").expect_err("wrong type").to_string();
    assert!(wrong_type.contains("name") && wrong_type.contains("i64"), "{wrong_type}");
    Ok(())
}

/// The project's Python (with pyarrow and DuckDB), set up by `.ci/setup-python` and exported by `.ci/test`.
fn python() -> String {
    std::env::var("FLINT_PYTHON").expect(
        "FLINT_PYTHON must name a Python with pyarrow and duckdb; run the tests with .ci/test, which sets it up",
    )
}

#[test]
fn parquet_written_by_flint_is_read_back_by_pyarrow_and_duckdb() -> TestResult {
    let s = session(2);
    let df = people(&s)?;
    let dir = tempfile::tempdir()?;
    let out = dir.path().join("people");
    df.write().parquet(&out)?;
    assert!(out.join("_SUCCESS").exists());
    assert_eq!(s.read().parquet(&out.to_string_lossy())?.count()?, 5);
    let script = r#"
import sys, pyarrow.parquet as pq, duckdb
t = pq.read_table(sys.argv[1])
total = duckdb.connect().execute(f"SELECT sum(age) FROM read_parquet('{sys.argv[1]}/*.parquet')").fetchone()[0]
print(t.num_rows, ",".join(sorted(t.column("name").to_pylist())), total)
"#;
    let output = std::process::Command::new(python()).args(["-c", script]).arg(&out).output()?;
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    // Five people, ages 2 + 5 + 5 + 9 + 7 = 28.
    assert_eq!(String::from_utf8(output.stdout)?.trim(), "5 Alice,Bob,Carol,Dan,Eve 28");
    Ok(())
}

#[test]
fn save_modes_behave_as_sparks() -> TestResult {
    let s = session(2);
    let df = people(&s)?;
    let dir = tempfile::tempdir()?;
    let out = dir.path().join("out");
    let rows = |p: &std::path::Path| -> TestResult<u64> {
        Ok(s.read().option("header", "true").csv(&p.to_string_lossy())?.count()?)
    };
    df.write().option("header", "true").csv(&out)?;
    assert_eq!(rows(&out)?, 5);
    let exists = df.write().csv(&out).expect_err("ErrorIfExists is the default");
    assert!(matches!(exists, Error::PathExists { .. }), "{exists}");
    df.write().mode(SaveMode::Ignore).csv(&out)?;
    assert_eq!(rows(&out)?, 5);
    df.write().mode(SaveMode::Append).option("header", "true").csv(&out)?;
    assert_eq!(rows(&out)?, 10);
    df.limit(2)?.write().mode(SaveMode::Overwrite).option("header", "true").csv(&out)?;
    assert_eq!(rows(&out)?, 2);
    // Nothing but the dataset is left next to it: staging directories are renamed or removed.
    assert_eq!(std::fs::read_dir(dir.path())?.count(), 1);
    assert!("sideways".parse::<SaveMode>().is_err());
    Ok(())
}

#[test]
fn partitioned_writes_lay_out_hive_directories() -> TestResult {
    let s = session(2);
    let dir = tempfile::tempdir()?;
    let out = dir.path().join("by_dept");
    people(&s)?.write().partition_by(["dept"]).parquet(&out)?;
    assert!(out.join("dept=eng").is_dir() && out.join("dept=ops").is_dir());
    let script = r#"
import sys, pyarrow.dataset as ds
t = ds.dataset(sys.argv[1], format="parquet", partitioning="hive").to_table()
print(sorted(zip(t.column("dept").to_pylist(), t.column("name").to_pylist()))[0])
"#;
    let output = std::process::Command::new(python()).args(["-c", script]).arg(&out).output()?;
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert_eq!(String::from_utf8(output.stdout)?.trim(), "('eng', 'Alice')");
    Ok(())
}

#[allow(dead_code)]
#[path = "../../examples/popular_movies.rs"]
mod popular_movies;

#[test]
fn popular_movies_with_a_broadcast_udf_match_the_reference() -> TestResult {
    let text = std::fs::read_to_string(datasets::dir().join("reference/day1_expected.json"))?;
    let json: serde_json::Value = serde_json::from_str(&text)?;
    let want = json["popular_movies"].as_array().ok_or("popular_movies")?;
    let rows = popular_movies::popular_movies(&session(2), 10)?.collect()?;
    assert_eq!(rows.len(), want.len());
    for (row, w) in rows.iter().zip(want) {
        assert_eq!(row.get_as::<i64>("movie")?, w[0].as_i64().ok_or("id")?);
        assert_eq!(row.get_as::<i64>("count")?, w[1].as_i64().ok_or("count")?);
        assert_eq!(row.get_as::<String>("title")?, w[2].as_str().ok_or("title")?);
    }
    Ok(())
}

#[test]
fn udfs_work_in_expressions_and_sql_and_skip_nulls() -> TestResult {
    let s = session(2);
    let df =
        s.create_dataframe(vec![(Some(1), "a".to_string()), (None, "b".into()), (Some(3), "c".into())], &["x", "s"])?;
    let twice = udf("twice", |x: i64| x * 2);
    let label = udf("label", |x: Option<i64>, s: String| format!("{s}{}", x.map_or("?".into(), |v| v.to_string())));
    let out = df.select([twice.call(["x"]), label.call(["x", "s"])])?;
    assert_eq!(out.columns(), ["twice(x)", "label(x, s)"]);
    let rows: Vec<String> = out.collect()?.iter().map(|r| r.to_string()).collect();
    assert_eq!(
        rows,
        [
            "Row(twice(x)=2, label(x, s)='a1')",
            "Row(twice(x)=None, label(x, s)='b?')",
            "Row(twice(x)=6, label(x, s)='c3')"
        ]
    );
    s.register_udf(&twice)?;
    df.create_or_replace_temp_view("t")?;
    assert_eq!(s.sql("SELECT sum(twice(x)) AS total FROM t")?.collect()?[0].get_as::<i64>("total")?, 8);
    let boom = udf("boom", |x: i64| -> i64 {
        if x == 3 { panic!("three is not allowed") } else { x }
    });
    let err = df.select([boom.call(["x"])])?.collect().expect_err("panicking UDF").to_string();
    assert!(err.contains("boom") && err.contains("three is not allowed"), "{err}");
    Ok(())
}

#[test]
fn explain_shows_sparks_sections() -> TestResult {
    let s = session(2);
    let df = people(&s)?.filter(col("age").gt(3))?;
    let short = df.explain_string(false)?;
    assert!(short.starts_with("== Physical Plan ==") && !short.contains("Logical"), "{short}");
    let long = df.explain_string(true)?;
    assert!(long.contains("== Optimized Logical Plan ==") && long.contains("== Physical Plan =="), "{long}");
    Ok(())
}

#[test]
fn nulls_are_filled_and_dropped_as_spark_does() -> TestResult {
    let s = session(2);
    let df = s.create_dataframe(
        vec![(Some(1), Some("a".to_string())), (None, Some("b".into())), (Some(3), None), (None, None)],
        &["n", "s"],
    )?;
    // Spark: a number fills numeric columns only, a string only string columns.
    let filled = df.na().fill(0)?.na().fill("?")?.order_by(["s"])?;
    let rows: Vec<String> = filled.collect()?.iter().map(|r| r.to_string()).collect();
    assert_eq!(rows, ["Row(n=3, s='?')", "Row(n=0, s='?')", "Row(n=1, s='a')", "Row(n=0, s='b')"]);
    assert_eq!(df.na().drop("any")?.count()?, 1);
    assert_eq!(df.na().drop("all")?.count()?, 3);
    assert_eq!(df.na().drop_subset("any", &["n"])?.count()?, 2);
    assert!(df.na().drop_subset("any", &["nope"]).expect_err("unknown column").to_string().contains("nope"));
    let words = s.create_dataframe(vec![("a b".to_string(),), ("c".into(),)], &["line"])?;
    let exploded = words.select([explode(split(col("line"), " "))])?;
    assert_eq!(exploded.columns(), ["col"]);
    assert_eq!(exploded.count()?, 3);
    assert_eq!(words.coalesce(1)?.count()?, 2);
    Ok(())
}

#[test]
fn save_as_table_writes_to_the_warehouse_and_registers_the_table() -> TestResult {
    let dir = tempfile::tempdir()?;
    let warehouse = dir.path().join("warehouse");
    let s = Session::builder().master("local[2]").config("spark.sql.warehouse.dir", warehouse.display()).build()?;
    people(&s)?.write().save_as_table("people")?;
    assert!(warehouse.join("people").join("_SUCCESS").exists());
    assert_eq!(s.sql("SELECT count(*) AS n FROM people")?.collect()?[0].get_as::<i64>("n")?, 5);
    assert!(s.catalog().list_tables()?.iter().any(|t| t.name == "people" && t.table_type == "MANAGED"));
    let exists = people(&s)?.write().save_as_table("people").expect_err("the table exists");
    assert!(matches!(exists, Error::PathExists { .. }), "{exists}");
    people(&s)?.write().mode(SaveMode::Append).save_as_table("people")?;
    assert_eq!(s.table("people")?.count()?, 10);
    assert!(people(&s)?.write().save_as_table("no way").is_err());
    Ok(())
}

#[test]
fn column_names_keep_their_case() -> Result<()> {
    // Spark ML's columns (`rawPrediction`) and CSV headers (`Name`) are mixed-case; SQL here keeps case too.
    let session = Session::builder().master("local[1]").build()?;
    let df = session.create_dataframe(vec![(0.5, 1i64), (-1.0, 2)], &["rawPrediction", "Label"])?;
    assert_eq!(df.select(["rawPrediction"])?.columns(), vec!["rawPrediction"]);
    assert_eq!(df.filter(col("rawPrediction").gt(lit(0.0)))?.select([col("Label")])?.count()?, 1);
    df.create_or_replace_temp_view("scores")?;
    assert_eq!(session.sql("SELECT Label FROM scores WHERE rawPrediction < 0")?.count()?, 1);
    Ok(())
}
