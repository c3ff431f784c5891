"""PySpark's figures for the day-2 SQL benchmark (engine/benches/sql.rs): the same four queries over the same
generated files, read with Spark's CSV reader and the same schemas, `local[2]`, median of 3 runs each (the session
is started before timing). Run it in the same minutes as the Rust bench so the machine is the same:

    ~/.cache/flint/pyspark-venv/bin/python engine/benches/pyspark_sql.py     # PySpark 4.0.1, Java 17
"""
import statistics
import time

from pyspark.sql import SparkSession

ORDERS, RATINGS = "datasets/generated/customer-orders-10m.csv", "datasets/generated/film-10m.data"
QUERIES = [
    "SELECT SUM(amount) AS total FROM orders",
    "SELECT customer, SUM(amount) AS spent FROM orders GROUP BY customer",
    "SELECT d.segment, SUM(o.amount) AS spent FROM orders o JOIN dims d ON o.customer = d.customer GROUP BY d.segment",
    "SELECT movie, COUNT(*) AS n FROM ratings GROUP BY movie ORDER BY n DESC, movie LIMIT 10",
]


def main():
    spark = SparkSession.builder.master("local[2]").config("spark.driver.memory", "4g").getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    spark.read.schema("customer BIGINT, item BIGINT, amount DOUBLE").csv(ORDERS).createOrReplaceTempView("orders")
    spark.read.option("sep", "\t").schema("user BIGINT, movie BIGINT, rating BIGINT, ts BIGINT").csv(
        RATINGS
    ).createOrReplaceTempView("ratings")
    spark.sql("SELECT id AS customer, id % 10 AS segment FROM range(100000)").createOrReplaceTempView("dims")
    for q in QUERIES:
        times = []
        for _ in range(3):
            started = time.perf_counter()
            spark.sql(q).collect()
            times.append(time.perf_counter() - started)
        print(f"{statistics.median(times):8.3f} s  {q}")
    spark.stop()


if __name__ == "__main__":
    main()
