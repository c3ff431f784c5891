//! Golden SQL tests: Flint's `session.sql` against the answers of real Apache Spark.
//!
//! Each `tests/golden/sql/<topic>.sql` holds queries separated by lines containing only `-- query`; statements
//! before the first `-- query` set up inline views (`CREATE OR REPLACE TEMP VIEW v AS SELECT * FROM (VALUES ..)`).
//! The course datasets are registered first as the views `tests/golden/setup.json` lists. The expected output of
//! every query, `tests/golden/sql/<topic>.out`, is what Apache Spark's `df.show(1000, truncate=0)` printed, written
//! by `datasets/reference/golden_sql.py` (PySpark); these files are never written from here.
//!
//! A query marked `-- known-difference: <reason>` is one where Flint does not give Spark's answer yet; each is
//! described in `tests/golden/KNOWN_DIFFERENCES.md`. Such a query still runs, and the test fails if it starts
//! matching Spark, so that the list stays honest. Every other query must print exactly what Spark printed.
//!
//! `FLINT_GOLDEN_BLESS=1` writes Flint's own outputs, in the `.out` format, to `target/golden-actual/<topic>.out`
//! (under the workspace), for reading and diffing; the Spark outputs are left alone.

use crate::{TestResult, session};
use flint_engine::prelude::*;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::PathBuf;

/// The rows `show` prints and the cell width: all rows, cells uncut (Spark's `showString(1000, 0, false)`).
const SHOW_ROWS: usize = 1000;

/// The line separating queries in a `.sql` file.
const QUERY_SEPARATOR: &str = "-- query";

/// The marker of a query whose difference from Spark is known and documented.
const KNOWN_MARKER: &str = "-- known-difference:";

fn golden_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/golden"))
}

fn actual_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../target/golden-actual"))
}

/// One view of `setup.json`: a course dataset read with Spark's reader options, its columns renamed.
#[derive(Debug, serde::Deserialize)]
struct ViewSpec {
    name: String,
    /// Relative to the datasets folder.
    file: String,
    /// `csv` or `json`.
    format: String,
    #[serde(default)]
    options: BTreeMap<String, String>,
    /// New names for all columns, in order (`toDF`); empty keeps the read names.
    #[serde(default)]
    columns: Vec<String>,
}

/// A query of a `.sql` file.
#[derive(Debug)]
struct Query {
    /// 1-based position in the file.
    number: usize,
    sql: String,
    known_difference: Option<String>,
}

/// A parsed `.sql` file: setup statements, then the queries.
#[derive(Debug)]
struct SqlFile {
    setup: Vec<String>,
    queries: Vec<Query>,
}

/// A comment line of a `.sql` file (descriptions and markers are not part of the SQL text).
fn is_comment(line: &str) -> bool {
    line.trim_start().starts_with("--")
}

/// The SQL text of a block: its non-comment lines, trimmed, without a final `;`. The generator
/// (`golden_sql.py`) cuts queries the same way, so the `.out` files hold the same text.
fn sql_text(lines: &[&str]) -> String {
    let kept: Vec<&str> = lines.iter().copied().filter(|l| !is_comment(l)).collect();
    kept.join("\n").trim().trim_end_matches(';').trim_end().to_string()
}

fn parse_sql_file(text: &str) -> SqlFile {
    let mut blocks: Vec<Vec<&str>> = vec![Vec::new()];
    for line in text.lines() {
        if line.trim() == QUERY_SEPARATOR {
            blocks.push(Vec::new());
        } else if let Some(block) = blocks.last_mut() {
            block.push(line);
        }
    }
    let preamble = blocks.remove(0);
    let setup = sql_text(&preamble).split(';').map(str::trim).filter(|s| !s.is_empty()).map(String::from).collect();
    let queries = blocks
        .iter()
        .enumerate()
        .map(|(i, block)| Query {
            number: i + 1,
            sql: sql_text(block),
            known_difference: block
                .iter()
                .find_map(|l| l.trim().strip_prefix(KNOWN_MARKER))
                .map(|reason| reason.trim().to_string()),
        })
        .collect();
    SqlFile { setup, queries }
}

/// One entry of a `.out` file: the query text and the table Spark printed.
#[derive(Debug, PartialEq)]
struct Expected {
    sql: String,
    result: String,
}

/// Parses a `.out` file: header lines, then per query `-- query N`, the SQL, `-- result`, the `show` text and a
/// blank line.
fn parse_out_file(text: &str) -> Vec<Expected> {
    fn finish(sql: &mut Vec<&str>, result: &mut Vec<&str>, entries: &mut Vec<Expected>) {
        while result.last().is_some_and(|l| l.is_empty()) {
            result.pop();
        }
        let mut table = result.join("\n");
        table.push('\n');
        entries.push(Expected { sql: sql.join("\n").trim().to_string(), result: table });
        sql.clear();
        result.clear();
    }
    let mut entries = Vec::new();
    let mut sql: Vec<&str> = Vec::new();
    let mut result: Vec<&str> = Vec::new();
    let mut state = 0; // 0: header, 1: SQL, 2: result
    for line in text.lines() {
        if line.starts_with("-- query ") && line[9..].trim().parse::<usize>().is_ok() {
            if state != 0 {
                finish(&mut sql, &mut result, &mut entries);
            }
            state = 1;
        } else if state == 1 && line == "-- result" {
            state = 2;
        } else if state == 1 {
            sql.push(line);
        } else if state == 2 {
            result.push(line);
        }
    }
    if state != 0 {
        finish(&mut sql, &mut result, &mut entries);
    }
    entries
}

/// Renders entries in the `.out` format (used for Flint's outputs under `target/golden-actual/`).
fn render_out(header: &str, entries: &[Expected]) -> String {
    let mut out = String::from(header);
    for (i, e) in entries.iter().enumerate() {
        let _ = write!(out, "-- query {}\n{}\n-- result\n{}\n", i + 1, e.sql, e.result);
    }
    out
}

/// A session of `local[2]` (as the Spark run) with the datasets of `setup.json` as views.
fn session_with_views() -> TestResult<Session> {
    let s = session(2);
    let text = std::fs::read_to_string(golden_dir().join("setup.json"))?;
    let views: Vec<ViewSpec> = serde_json::from_str(&text)?;
    for view in views {
        let reader = view.options.iter().fold(s.read(), |r, (k, v)| r.option(k, v));
        let path = datasets::path(&view.file);
        let df = match view.format.as_str() {
            "csv" => reader.csv(&path)?,
            "json" => reader.json(&path)?,
            other => return Err(format!("setup.json: view `{}` has unknown format `{other}`", view.name).into()),
        };
        let df = if view.columns.is_empty() { df } else { df.to_df(view.columns.iter().map(String::as_str))? };
        df.create_or_replace_temp_view(&view.name)?;
    }
    Ok(s)
}

/// Runs a setup statement of a `.sql` file (`CREATE OR REPLACE TEMP VIEW v AS <query>`) as Spark does: through
/// `session.sql`.
fn run_setup(s: &Session, statement: &str) -> Result<()> {
    s.sql(statement)?.collect().map(|_| ())
}

/// What Flint prints for a query, or the error it raises.
fn flint_output(s: &Session, sql: &str) -> String {
    match s.sql(sql).and_then(|df| df.show_string(SHOW_ROWS, 0, false)) {
        Ok(table) => table,
        Err(e) => format!("ERROR: {e}\n"),
    }
}

/// A unified-style line diff of `expected` (Spark, `-`) and `actual` (Flint, `+`), with two lines of context.
fn line_diff(expected: &str, actual: &str) -> String {
    let a: Vec<&str> = expected.lines().collect();
    let b: Vec<&str> = actual.lines().collect();
    // Longest common subsequence table, filled from the end.
    let mut lcs = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            lcs[i][j] = if a[i] == b[j] { lcs[i + 1][j + 1] + 1 } else { lcs[i + 1][j].max(lcs[i][j + 1]) };
        }
    }
    let mut lines: Vec<(char, &str)> = Vec::new();
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        if i < a.len() && j < b.len() && a[i] == b[j] {
            lines.push((' ', a[i]));
            i += 1;
            j += 1;
        } else if i < a.len() && (j == b.len() || lcs[i + 1][j] >= lcs[i][j + 1]) {
            lines.push(('-', a[i]));
            i += 1;
        } else {
            lines.push(('+', b[j]));
            j += 1;
        }
    }
    let near_change = |k: usize| {
        let lo = k.saturating_sub(2);
        let hi = (k + 2).min(lines.len() - 1);
        lines[lo..=hi].iter().any(|(tag, _)| *tag != ' ')
    };
    let mut out = String::from("--- spark\n+++ flint\n");
    let mut skipped = false;
    for (k, (tag, line)) in lines.iter().enumerate() {
        if near_change(k) {
            if skipped {
                out.push_str("@@ ... @@\n");
                skipped = false;
            }
            let _ = writeln!(out, "{tag}{line}");
        } else {
            skipped = true;
        }
    }
    out
}

/// Runs every query of `tests/golden/sql/<topic>.sql` and compares it with Spark's output.
fn check_topic(topic: &str) -> TestResult {
    let dir = golden_dir().join("sql");
    let sql_file = parse_sql_file(&std::fs::read_to_string(dir.join(format!("{topic}.sql")))?);
    let out_path = dir.join(format!("{topic}.out"));
    let expected = parse_out_file(&std::fs::read_to_string(&out_path).map_err(|e| {
        format!("{}: {e}; generate it with datasets/reference/golden_sql.py (PySpark)", out_path.display())
    })?);
    let regenerate = "the .out file is stale: regenerate it with datasets/reference/golden_sql.py";
    if expected.len() != sql_file.queries.len() {
        return Err(format!(
            "{topic}.sql has {} queries, {topic}.out {}: {regenerate}",
            sql_file.queries.len(),
            expected.len()
        )
        .into());
    }

    let s = session_with_views()?;
    for statement in &sql_file.setup {
        run_setup(&s, statement).map_err(|e| format!("{topic}.sql setup statement failed: {e}\n{statement}"))?;
    }
    let mut failures = String::new();
    let mut actual = Vec::new();
    let (mut matched, mut known) = (0, 0);
    for (query, spark) in sql_file.queries.iter().zip(&expected) {
        let id = format!("{topic}.sql #{}", query.number);
        let flint = flint_output(&s, &query.sql);
        let same = flint == spark.result;
        match (&query.known_difference, same) {
            _ if spark.sql != query.sql => {
                let _ = write!(failures, "\n=== {id}: the query text differs from the .out file's: {regenerate}\n");
            }
            (None, true) => matched += 1,
            (Some(_), false) => known += 1,
            (None, false) => {
                let _ = write!(
                    failures,
                    "\n=== {id} differs from Spark\n{}\n{}",
                    query.sql,
                    line_diff(&spark.result, &flint)
                );
            }
            (Some(reason), true) => {
                let _ = write!(
                    failures,
                    "\n=== {id} is marked `known-difference: {reason}` but now matches Spark: remove the marker and \
                     its entry in tests/golden/KNOWN_DIFFERENCES.md\n{}\n",
                    query.sql
                );
            }
        }
        actual.push(Expected { sql: query.sql.clone(), result: flint });
    }
    if std::env::var_os("FLINT_GOLDEN_BLESS").is_some_and(|v| v == "1") {
        std::fs::create_dir_all(actual_dir())?;
        let header =
            format!("-- Flint's outputs for tests/golden/sql/{topic}.sql (FLINT_GOLDEN_BLESS=1), not Spark's\n");
        std::fs::write(actual_dir().join(format!("{topic}.out")), render_out(&header, &actual))?;
    }
    if failures.is_empty() {
        println!("{topic}.sql: {matched} queries match Spark, {known} known differences");
        Ok(())
    } else {
        Err(format!(
            "{topic}.sql: {matched} of {} queries match Spark; failures:\n{failures}\n(FLINT_GOLDEN_BLESS=1 writes \
             Flint's outputs to target/golden-actual/{topic}.out)",
            sql_file.queries.len()
        )
        .into())
    }
}

macro_rules! golden_topics {
    ($($topic:ident),* $(,)?) => {
        $(
            #[test]
            fn $topic() -> TestResult {
                check_topic(stringify!($topic))
            }
        )*
        /// The topics with a test, which must be every `.sql` file.
        const TOPICS: &[&str] = &[$(stringify!($topic)),*];
    };
}

golden_topics!(
    aggregates,
    arithmetic,
    conditionals,
    course_labs,
    dates,
    event_time,
    grouping,
    joins,
    math,
    nulls,
    regex,
    set_operations,
    strings,
    windows,
);

fn sql_topics() -> TestResult<BTreeSet<String>> {
    let mut topics = BTreeSet::new();
    for entry in std::fs::read_dir(golden_dir().join("sql"))? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "sql")
            && let Some(stem) = path.file_stem()
        {
            topics.insert(stem.to_string_lossy().into_owned());
        }
    }
    Ok(topics)
}

#[test]
fn every_sql_file_has_a_test() -> TestResult {
    let listed: BTreeSet<String> = TOPICS.iter().map(|t| t.to_string()).collect();
    assert_eq!(sql_topics()?, listed, "golden_topics! in golden.rs must list every tests/golden/sql/*.sql");
    Ok(())
}

#[test]
fn known_differences_are_the_marked_queries() -> TestResult {
    // Every marked query has an entry (a `## <topic>.sql #N: ...` heading) and every entry a marked query.
    let mut marked = BTreeSet::new();
    for topic in sql_topics()? {
        let text = std::fs::read_to_string(golden_dir().join("sql").join(format!("{topic}.sql")))?;
        for query in parse_sql_file(&text).queries {
            if query.known_difference.is_some() {
                marked.insert(format!("{topic}.sql #{}", query.number));
            }
        }
    }
    let doc = std::fs::read_to_string(golden_dir().join("KNOWN_DIFFERENCES.md"))?;
    let listed: BTreeSet<String> = doc
        .lines()
        .filter_map(|l| l.strip_prefix("## "))
        .filter_map(|h| h.split(':').next())
        .filter(|id| id.contains(".sql #"))
        .map(|id| id.trim().trim_matches('`').to_string())
        .collect();
    let missing: Vec<&String> = marked.difference(&listed).collect();
    let stale: Vec<&String> = listed.difference(&marked).collect();
    assert!(
        missing.is_empty() && stale.is_empty(),
        "tests/golden/KNOWN_DIFFERENCES.md must have one `## <topic>.sql #N: ...` entry per query marked \
         `-- known-difference:`; marked but not listed: {missing:?}; listed but not marked: {stale:?}"
    );
    Ok(())
}

#[test]
fn sql_and_out_files_parse_as_the_generator_writes_them() {
    let sql = "CREATE OR REPLACE TEMP VIEW v AS SELECT 1 AS a;\n-- query\n-- what it shows\nSELECT a\nFROM v\n\
               ORDER BY a;\n-- query\n-- known-difference: a reason\nSELECT 2 AS b\n";
    let parsed = parse_sql_file(sql);
    assert_eq!(parsed.setup, ["CREATE OR REPLACE TEMP VIEW v AS SELECT 1 AS a"]);
    assert_eq!(parsed.queries.len(), 2);
    assert_eq!(parsed.queries[0].sql, "SELECT a\nFROM v\nORDER BY a");
    assert_eq!(parsed.queries[1].known_difference.as_deref(), Some("a reason"));
    let entries = vec![
        Expected { sql: "SELECT a\nFROM v".into(), result: "+---+\n|a  |\n+---+\n|1  |\n+---+\n".into() },
        Expected { sql: "SELECT 2 AS b".into(), result: "+---+\n|b  |\n+---+\n+---+\n".into() },
    ];
    assert_eq!(parse_out_file(&render_out("-- header\n", &entries)), entries);
    let diff = line_diff("a\nb\nc\n", "a\nx\nc\n");
    assert_eq!(diff, "--- spark\n+++ flint\n a\n-b\n+x\n c\n");
}
