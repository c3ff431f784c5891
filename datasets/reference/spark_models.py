"""Models saved by Spark, for Flint's loader: PySpark fits k-means, linear regression, logistic regression
(binomial and multinomial) on the bundled datasets and ALS on the course ratings (every fifth line held out), saves them with `model.write().overwrite().save(...)` under
datasets/reference/spark_models/, and records their predictions in spark_models_expected.json. Flint's test
(mllib/tests/it/persistence.rs) loads the saved directories and must predict exactly what Spark predicted.

Made with PySpark 4.0.1 (Java 17), CPython 3.11.7:
    ~/.cache/flint/pyspark-venv/bin/python datasets/reference/spark_models.py
"""
import json
import os
import shutil

import pyspark
from pyspark.ml.classification import LogisticRegression
from pyspark.ml.clustering import KMeans
from pyspark.ml.recommendation import ALS
from pyspark.ml.linalg import Vectors
from pyspark.ml.regression import LinearRegression
from pyspark.sql import SparkSession

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.dirname(HERE)
OUT = os.path.join(HERE, "spark_models")


def load(spark, name):
    rows = []
    with open(os.path.join(DATA, name + ".csv")) as f:
        for line in f:
            v = [float(x) for x in line.strip().split(",")]
            rows.append((v[-1], Vectors.dense(v[:-1])))
    return spark.createDataFrame(rows, ["label", "features"]).coalesce(1)


def main():
    spark = SparkSession.builder.master("local[1]").getOrCreate()
    iris, diabetes, cancer = load(spark, "iris"), load(spark, "diabetes"), load(spark, "breast_cancer")
    models = {
        "kmeans": (KMeans(k=3, seed=1), iris, "prediction"),
        "linear": (LinearRegression(regParam=0.1, elasticNetParam=0.5), diabetes, "prediction"),
        "logistic_binomial": (LogisticRegression(regParam=0.01), cancer, "probability"),
        "logistic_multinomial": (LogisticRegression(regParam=0.01, elasticNetParam=0.5), iris, "probability"),
    }
    ratings = []
    with open(os.path.join(DATA, "film.data")) as f:
        for i, line in enumerate(f):
            u, m, r = line.split("\t")[:3]
            ratings.append((i % 5 == 0, int(u), int(m), float(r)))
    train = spark.createDataFrame([r[1:] for r in ratings if not r[0]], ["user", "item", "rating"])
    test = spark.createDataFrame([r[1:] for r in ratings if r[0]][:500], ["user", "item", "rating"]).coalesce(1)
    models["als"] = (ALS(rank=10, maxIter=10, regParam=0.1, seed=1), train, "prediction")
    shutil.rmtree(OUT, ignore_errors=True)
    expected = {"versions": {"pyspark": pyspark.__version__}, "models": {}}
    for name, (estimator, df, column) in models.items():
        model = estimator.fit(df)
        model.write().overwrite().save(os.path.join(OUT, name))
        scored = model.transform(test if name == "als" else df).collect()
        out = [r[column].toArray().tolist() if column == "probability" else r[column] for r in scored]
        expected["models"][name] = {column: out, "prediction": [r["prediction"] for r in scored]}
        if name == "als":
            expected["models"][name]["pairs"] = [[r["user"], r["item"]] for r in scored]
    # Spark's checksum files are noise for the repository.
    for root, _, files in os.walk(OUT):
        for f in files:
            if f.endswith(".crc"):
                os.remove(os.path.join(root, f))
    with open(os.path.join(HERE, "spark_models_expected.json"), "w") as f:
        json.dump(expected, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
