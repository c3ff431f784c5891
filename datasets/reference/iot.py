"""Reference answers of the course's IoT streaming lab over datasets/iot-events (50 JSON-lines files of
{"time": unix seconds, "action": "Open" | "Close"}), computed in plain Python (3.11.7).

static_counts: the number of events per action, as `spark.read.json(dir).groupBy("action").count()` gives.
window_counts: the number of events per action and 1-hour event-time window (`window(time, "1 hour")`, windows
aligned on the epoch, so on UTC hours), as [action, window start "YYYY-MM-DD HH:MM:SS" UTC, count], sorted.
The streaming lab (maxFilesPerTrigger = 1, complete mode) must end with these same tables.

With --spark, also runs that streaming query in PySpark (4.0.1, from ~/.cache/flint/pyspark-venv; Java 17):
one file per trigger, complete mode, memory sink, session time zone UTC; it asserts that Spark's final tables
equal the plain-Python ones.

Regenerate: python3 datasets/reference/iot.py [--spark]   (writes datasets/reference/iot_expected.json)
"""
import json
import os
import sys
from collections import Counter
from datetime import datetime, timezone

HERE = os.path.dirname(os.path.abspath(__file__))
EVENTS = os.path.join(os.path.dirname(HERE), "iot-events")


def events():
    for name in sorted(os.listdir(EVENTS)):
        with open(os.path.join(EVENTS, name), encoding="utf-8") as f:
            for line in f:
                e = json.loads(line)
                yield e["time"], e["action"]


def hour(t):
    return datetime.fromtimestamp(t - t % 3600, tz=timezone.utc).strftime("%Y-%m-%d %H:%M:%S")


def expected():
    static = Counter(a for _, a in events())
    windows = Counter((a, hour(t)) for t, a in events())
    return {
        "static_counts": sorted([a, n] for a, n in static.items()),
        "window_counts": sorted([a, w, n] for (a, w), n in windows.items()),
    }


def spark_tables():
    from pyspark.sql import SparkSession
    from pyspark.sql import functions as F
    from pyspark.sql.types import StringType, StructField, StructType, TimestampType

    spark = (SparkSession.builder.master("local[2]").config("spark.sql.session.timeZone", "UTC")
             .config("spark.sql.shuffle.partitions", "2").getOrCreate())
    schema = StructType([StructField("time", TimestampType()), StructField("action", StringType())])
    stream = spark.readStream.schema(schema).option("maxFilesPerTrigger", 1).json(EVENTS)
    by_action = stream.groupBy("action").count()
    by_window = stream.groupBy("action", F.window("time", "1 hour")).count()
    q1 = by_action.writeStream.format("memory").queryName("counts").outputMode("complete").start()
    q2 = by_window.writeStream.format("memory").queryName("windows").outputMode("complete").start()
    q1.processAllAvailable()
    q2.processAllAvailable()
    static = sorted([r["action"], r["count"]] for r in spark.sql("SELECT * FROM counts").collect())
    windows = sorted(
        [r["action"], r["start"], r["count"]]
        for r in spark.sql(
            "SELECT action, date_format(window.start, 'yyyy-MM-dd HH:mm:ss') AS start, count FROM windows"
        ).collect()
    )
    q1.stop()
    q2.stop()
    spark.stop()
    return {"static_counts": static, "window_counts": windows}


def main():
    result = expected()
    if "--spark" in sys.argv:
        spark = spark_tables()
        assert spark == result, "PySpark's streaming tables differ from the plain-Python ones"
        print("PySpark agrees:", len(spark["window_counts"]), "window rows")
    with open(os.path.join(HERE, "iot_expected.json"), "w") as f:
        json.dump(result, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
