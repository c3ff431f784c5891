#!/usr/bin/env python3
"""Spark's answers to the golden SQL queries: writes tests/golden/sql/<topic>.out from real Apache Spark.

What it does: starts PySpark (master local[2], spark.sql.session.timeZone=UTC, spark.sql.ansi.enabled=true,
which is Spark 4's default, set explicitly so the files say what they were made with), registers the course
datasets as the temp views that tests/golden/setup.json lists (read with Spark's own CSV reader and the options
given there, then renamed with toDF), and for each tests/golden/sql/<topic>.sql runs the setup statements before
the first `-- query` line, then every query, and writes what Spark's `df.show(1000, truncate=0)` prints
(`df._jdf.showString(1000, 0, False)`) to tests/golden/sql/<topic>.out:

    -- <two header lines: versions and provenance>
    -- query 1
    <the query text>
    -- result
    <the show() text>
    <blank line>
    -- query 2
    ...

The query text is the query's block without its comment lines (`-- ...`, including `-- known-difference:`
markers), trimmed, without a final `;`: engine/tests/it/golden.rs cuts queries the same way and checks that the
text in the .out file is the text in the .sql file, so an edited query fails until this script is run again.
Each query runs twice and must print the same both times (a guard against queries whose order Spark does not
define); a query Spark rejects stops the script.

Made with: PySpark 4.0.1 (Apache Spark 4.0.1, Scala 2.13) on OpenJDK 17.0.15, CPython 3.11.

To regenerate (PySpark lives in its own venv, outside the repository; Java 17 must be on the PATH):

    python3 -m venv ~/.cache/flint/pyspark-venv
    ~/.cache/flint/pyspark-venv/bin/pip install pyspark==4.0.1
    ~/.cache/flint/pyspark-venv/bin/python datasets/reference/golden_sql.py            # every topic
    ~/.cache/flint/pyspark-venv/bin/python datasets/reference/golden_sql.py strings    # one topic

Then `cargo test -p flint-engine --test it golden` compares Flint's outputs with these files.
"""

import json
import os
import platform
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DATASETS = ROOT / "datasets"
GOLDEN = ROOT / "tests" / "golden"
SQL_DIR = GOLDEN / "sql"

QUERY_SEPARATOR = "-- query"
SHOW_ROWS = 1000


def sql_text(lines):
    """The SQL of a block: its non-comment lines, trimmed, without a final `;` (as golden.rs cuts it)."""
    kept = [line for line in lines if not line.lstrip().startswith("--")]
    return "\n".join(kept).strip().rstrip(";").rstrip()


def parse_sql_file(text):
    """(setup statements, queries) of a .sql file."""
    blocks = [[]]
    for line in text.splitlines():
        if line.strip() == QUERY_SEPARATOR:
            blocks.append([])
        else:
            blocks[-1].append(line)
    preamble = blocks.pop(0)
    setup = [s.strip() for s in sql_text(preamble).split(";") if s.strip()]
    return setup, [sql_text(block) for block in blocks]


def start_spark():
    # Everything stays on this machine: the driver binds to the loopback address and runs no UI.
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    from pyspark.sql import SparkSession

    spark = (
        SparkSession.builder.master("local[2]")
        .appName("flint-golden-sql")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.ansi.enabled", "true")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def register_views(spark):
    for view in json.loads((GOLDEN / "setup.json").read_text()):
        reader = spark.read.options(**view.get("options", {}))
        path = str(DATASETS / view["file"])
        if view["format"] == "csv":
            df = reader.csv(path)
        elif view["format"] == "json":
            df = reader.json(path)
        else:
            raise ValueError(f"setup.json: view {view['name']} has unknown format {view['format']}")
        if view.get("columns"):
            df = df.toDF(*view["columns"])
        df.createOrReplaceTempView(view["name"])


def main(argv):
    topics = argv or sorted(p.stem for p in SQL_DIR.glob("*.sql"))
    spark = start_spark()
    jvm = spark.sparkContext._jvm
    java = jvm.java.lang.System.getProperty("java.version")
    header = (
        f"-- Apache Spark {spark.version} (PySpark, Java {java}, Python {platform.python_version()}), local[2], "
        f"spark.sql.session.timeZone=UTC, spark.sql.ansi.enabled=true: df.show(1000, truncate=0) per query.\n"
        f"-- Written by datasets/reference/golden_sql.py from the .sql file of the same name; do not edit.\n"
    )
    register_views(spark)
    total = 0
    for topic in topics:
        setup, queries = parse_sql_file((SQL_DIR / f"{topic}.sql").read_text())
        for statement in setup:
            spark.sql(statement)
        out = [header]
        for i, query in enumerate(queries, start=1):
            try:
                shown = spark.sql(query)._jdf.showString(SHOW_ROWS, 0, False)
                again = spark.sql(query)._jdf.showString(SHOW_ROWS, 0, False)
            except Exception as e:  # noqa: BLE001 - any Spark error stops the run with the query that caused it
                sys.exit(f"{topic}.sql query {i} failed in Spark: {e}\n{query}")
            if shown != again:
                sys.exit(f"{topic}.sql query {i} printed different rows on two runs: add an ORDER BY\n{query}")
            out.append(f"-- query {i}\n{query}\n-- result\n{shown}\n")
        (SQL_DIR / f"{topic}.out").write_text("".join(out))
        total += len(queries)
        print(f"{topic}.out: {len(queries)} queries", flush=True)
    print(f"{total} queries in {len(topics)} files")
    spark.stop()


if __name__ == "__main__":
    main(sys.argv[1:])
