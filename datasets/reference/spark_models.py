"""Models saved by Spark, for Flint's loader: PySpark fits k-means, linear regression, logistic regression
(binomial and multinomial) on the bundled datasets and ALS on the course ratings (every fifth line held out), saves them with `model.write().overwrite().save(...)` under
datasets/reference/spark_models/, and records their predictions in spark_models_expected.json. Flint's test
(mllib/tests/it/persistence.rs) loads the saved directories and must predict exactly what Spark predicted.

Feature models and pipelines too, on CSVs read as Spark reads them without a header (`_c0`, `_c1`, …, types
inferred), so that Flint's reader gives the same columns:
- standard_scaler (withMean) and min_max_scaler (range [-1, 2]) on iris's features;
- string_indexer on fakefriends' names and ages (two columns, handleInvalid="keep", so labelsArray has two
  arrays) and one_hot_encoder on its output (dropLast=False; the category sizes come from the indexer's "keep"
  attributes, one more than the labels, which Flint must read rather than recount);
- pipeline_logistic: VectorAssembler (breast_cancer's 30 columns) -> StandardScaler (withMean) ->
  LogisticRegression;
- pipeline_kmeans: StringIndexer (1800.csv's element) -> OneHotEncoder -> VectorAssembler (with the value) ->
  a nested Pipeline [MinMaxScaler -> KMeans]. With a nested pipeline PySpark saves the outer one itself, as
  class `pyspark.ml.pipeline.PipelineModel` with `"language": "Python"` in its paramMap, and the inner one
  through Spark's writer, as `org.apache.spark.ml.PipelineModel`.
Sparse outputs (one-hot vectors) are recorded as [size, indices] (their values are all 1.0).

Made with PySpark 4.0.1 (Java 17), CPython 3.11.7:
    ~/.cache/flint/pyspark-venv/bin/python datasets/reference/spark_models.py
"""
import json
import os
import shutil

import pyspark
from pyspark.ml import Pipeline
from pyspark.ml.classification import LogisticRegression
from pyspark.ml.clustering import KMeans
from pyspark.ml.feature import MinMaxScaler, OneHotEncoder, StandardScaler, StringIndexer, VectorAssembler
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


def read_csv(spark, name):
    """A CSV as Spark reads it without a header: columns _c0, _c1, …, types inferred."""
    return spark.read.csv(os.path.join(DATA, name + ".csv"), inferSchema=True).coalesce(1)


def dense(rows, column):
    return [r[column].toArray().tolist() for r in rows]


def sparse(rows, column):
    return [[r[column].size, r[column].indices.tolist()] for r in rows]


def feature_models(spark, iris, save):
    """Fits, saves and scores the feature models and the pipelines; their figures by name."""
    out = {}
    for name, estimator in [
        ("standard_scaler", StandardScaler(withMean=True, inputCol="features", outputCol="scaled")),
        ("min_max_scaler", MinMaxScaler(min=-1.0, max=2.0, inputCol="features", outputCol="scaled")),
    ]:
        model = estimator.fit(iris)
        save(name, model)
        out[name] = {"scaled": dense(model.transform(iris).collect(), "scaled")}

    friends = read_csv(spark, "fakefriends")
    indexer = StringIndexer(
        inputCols=["_c1", "_c2"], outputCols=["name_index", "age_index"], handleInvalid="keep"
    ).fit(friends)
    save("string_indexer", indexer)
    indexed = indexer.transform(friends)
    rows = indexed.collect()
    out["string_indexer"] = {
        "labels": [list(labels) for labels in indexer.labelsArray],
        "name_index": [r["name_index"] for r in rows],
        "age_index": [r["age_index"] for r in rows],
    }
    encoder = OneHotEncoder(
        inputCols=["name_index", "age_index"], outputCols=["name_vector", "age_vector"], dropLast=False
    ).fit(indexed)
    save("one_hot_encoder", encoder)
    rows = encoder.transform(indexed).collect()
    out["one_hot_encoder"] = {
        "category_sizes": list(encoder.categorySizes),
        "name_index": [r["name_index"] for r in rows],
        "age_index": [r["age_index"] for r in rows],
        "name_vector": sparse(rows, "name_vector"),
        "age_vector": sparse(rows, "age_vector"),
    }

    cancer = read_csv(spark, "breast_cancer")
    pipeline = Pipeline(stages=[
        VectorAssembler(inputCols=[f"_c{i}" for i in range(30)], outputCol="features"),
        StandardScaler(withMean=True, inputCol="features", outputCol="scaled"),
        LogisticRegression(featuresCol="scaled", labelCol="_c30", regParam=0.01),
    ]).fit(cancer)
    save("pipeline_logistic", pipeline)
    rows = pipeline.transform(cancer).collect()
    out["pipeline_logistic"] = {
        "stages": [type(s).__name__ for s in pipeline.stages],
        "probability": dense(rows, "probability"),
        "prediction": [r["prediction"] for r in rows],
    }

    weather = read_csv(spark, "1800")
    pipeline = Pipeline(stages=[
        StringIndexer(inputCol="_c2", outputCol="element"),
        OneHotEncoder(inputCol="element", outputCol="element_vector"),
        VectorAssembler(inputCols=["element_vector", "_c3"], outputCol="features"),
        Pipeline(stages=[
            MinMaxScaler(inputCol="features", outputCol="scaled"),
            KMeans(k=4, seed=1, featuresCol="scaled"),
        ]),
    ]).fit(weather)
    save("pipeline_kmeans", pipeline)
    rows = pipeline.transform(weather).collect()
    out["pipeline_kmeans"] = {
        "stages": [type(s).__name__ for s in pipeline.stages],
        "prediction": [r["prediction"] for r in rows],
    }
    return out


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

    def save(name, model):
        model.write().overwrite().save(os.path.join(OUT, name))

    expected["models"].update(feature_models(spark, iris, save))
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
