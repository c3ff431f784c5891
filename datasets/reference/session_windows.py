"""Reference figures for Flint's session windows (engine/tests/it/sessions.rs), computed by PySpark.

Run: ~/.cache/flint/pyspark-venv/bin/python datasets/reference/session_windows.py > datasets/reference/session_windows.json
"""
import json

from pyspark.sql import SparkSession
from pyspark.sql import functions as F

EVENTS = [
    ("ann", "2024-01-01 10:00:00", 1), ("ann", "2024-01-01 10:03:00", 2), ("ann", "2024-01-01 10:07:00", 3),
    ("ann", "2024-01-01 10:20:00", 4), ("ann", "2024-01-01 10:25:00", 5),
    ("bob", "2024-01-01 10:01:00", 6), ("bob", "2024-01-01 10:30:00", 7),
    ("carl", None, 8),
]

spark = SparkSession.builder.master("local[2]").config("spark.sql.session.timeZone", "UTC").getOrCreate()
df = spark.createDataFrame(EVENTS, "user string, ts string, amount int").withColumn("ts", F.to_timestamp("ts"))


def rows(result):
    return sorted(
        [r.user, r.session_window.start.strftime("%Y-%m-%d %H:%M:%S"), r.session_window.end.strftime("%Y-%m-%d %H:%M:%S"), r["count"], r.total]
        for r in result.collect()
    )


by_user = df.groupBy("user", F.session_window("ts", "5 minutes")).agg(F.count("*").alias("count"), F.sum("amount").alias("total"))
overall = (
    df.groupBy(F.session_window("ts", "10 minutes"))
    .agg(F.count("*").alias("count"), F.sum("amount").alias("total"))
    .withColumn("user", F.lit(""))
)
print(json.dumps({"by_user_5_minutes": rows(by_user), "all_10_minutes": rows(overall)}, indent=1))
spark.stop()
