#!/usr/bin/env python3
"""Spark's answers for DataFrame operations Flint's tests check (engine/tests/it/dataframe_ops.rs):

- describe and summary: `df.describe()`, `df.summary()` and `df.summary("count", "count_distinct", "10%", "99%")`
  of fakefriends.csv read with the schema (id int, name string, age int, friends int), every cell as Spark shows it;
- a partitioned Parquet dataset written by Spark: fakefriends with `decade = age div 10` and
  `parity = "even" | "odd"` (of id), written with `partitionBy("decade", "parity")` to
  datasets/reference/friends_partitioned/ (one file per partition, with Spark's hidden `.crc` files), and Spark's own read-back of it: the schema
  (data columns, then the partition columns with the types Spark's discovery infers) and per-decade counts and
  sums of friends;
- the geometric mean of `friends` per `age div 10` (the UDAF test), computed in plain Python.

Made with: PySpark 4.0.1 (Apache Spark 4.0.1) on OpenJDK 17, CPython 3.11.

    ~/.cache/flint/pyspark-venv/bin/python datasets/reference/dataframe_ops.py

writes datasets/reference/dataframe_ops_expected.json and the dataset directory.
"""

import json
import math
import os
import shutil
from collections import defaultdict

from pyspark.sql import SparkSession
from pyspark.sql import functions as F

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.dirname(HERE)


def rows_of(df):
    return [[None if v is None else str(v) for v in row] for row in df.collect()]


def main():
    spark = (
        SparkSession.builder.master("local[2]")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", "2")
        .getOrCreate()
    )
    friends = spark.read.schema("id INT, name STRING, age INT, friends INT").csv(os.path.join(DATA, "fakefriends.csv"))
    out = {
        "describe": {"columns": friends.describe().columns, "rows": rows_of(friends.describe())},
        "summary": {"columns": friends.summary().columns, "rows": rows_of(friends.summary())},
        "summary_some": rows_of(friends.summary("count", "count_distinct", "10%", "99%")),
    }

    target = os.path.join(HERE, "friends_partitioned")
    shutil.rmtree(target, ignore_errors=True)
    (
        friends.withColumn("decade", (F.col("age") / 10).cast("int"))
        .withColumn("parity", F.when(F.col("id") % 2 == 0, "even").otherwise("odd"))
        .repartition(1)
        .write.partitionBy("decade", "parity")
        .parquet(target)
    )
    back = spark.read.parquet(target)
    out["partitioned"] = {
        "schema": [[f.name, f.dataType.simpleString()] for f in back.schema.fields],
        "rows": back.count(),
        "by_decade": [
            [r["decade"], r["n"], r["friends"]]
            for r in back.groupBy("decade").agg(F.count("*").alias("n"), F.sum("friends").alias("friends"))
            .orderBy("decade").collect()
        ],
    }
    spark.stop()

    logs = defaultdict(list)
    with open(os.path.join(DATA, "fakefriends.csv"), encoding="utf-8") as f:
        for line in f:
            _, _, age, n = line.strip().split(",")
            logs[int(age) // 10].append(math.log(int(n)))
    out["geo_mean_by_decade"] = [[d, math.exp(sum(v) / len(v))] for d, v in sorted(logs.items())]

    with open(os.path.join(HERE, "dataframe_ops_expected.json"), "w", encoding="utf-8") as f:
        json.dump(out, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
