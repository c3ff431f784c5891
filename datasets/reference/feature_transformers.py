"""Reference figures of Flint's feature transformers: StandardScaler, MinMaxScaler, StringIndexer, OneHotEncoder.

Spark's rules, and how each figure here is made independently of Spark:
- StandardScaler: Spark's Summarizer gives the mean and the *sample* standard deviation (n − 1), and a feature of
  zero deviation scales to 0.0. The figures are NumPy's (ddof=1). scikit-learn's StandardScaler divides by the
  population deviation (ddof=0), so its `scale_` × sqrt(n/(n−1)) is checked against NumPy's here.
- MinMaxScaler: (x − min)/(max − min)·(hi − lo) + lo, as scikit-learn's MinMaxScaler(feature_range=(lo, hi)),
  which gives the figures, except for a constant feature: scikit-learn maps it to lo, Spark to (hi + lo)/2. That
  rule is applied explicitly below (and scikit-learn's value recorded, to show the difference). NaN is ignored by
  the fit and kept by the transform in both.
- StringIndexer: labels by frequency (collections.Counter), ties broken by ascending string order for both
  frequencyDesc and frequencyAsc (Spark 3+), or alphabetically; numeric columns are indexed by their Spark strings
  (Java's Double.toString for doubles: "5.0", "1.0E7").
- OneHotEncoder: scikit-learn's OneHotEncoder with categories 0..size−1 and drop=[size−1] (Spark's dropLast);
  Spark's handleInvalid="keep" with dropLast is scikit-learn's handle_unknown="ignore" without drop (an unseen
  index encodes as all zeros); without dropLast it adds one category, worked by hand.

Data: datasets/iris.csv (Fisher's iris), datasets/fakefriends.csv (names, ages), datasets/1800.csv (weather:
station and element strings). NaN is written to JSON as null.

Made with: scikit-learn 1.9.1, NumPy 2.4.6, CPython 3.11.7; confirmed with PySpark 4.0.1 on OpenJDK 17:
    ~/.cache/flint/sklearn-venv/bin/python datasets/reference/feature_transformers.py            (the figures)
    ~/.cache/flint/pyspark-venv/bin/python datasets/reference/feature_transformers.py --spark    (Spark agrees;
        adds Spark's answers to the semantic questions under "spark")
"""
import json
import math
import os
import sys
from collections import Counter
from decimal import Decimal

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.dirname(HERE)
OUT = os.path.join(HERE, "feature_transformers_expected.json")

# A small matrix with zeros (stored sparse in the tests), a constant feature (2.0) and an all-zero one.
SMALL = [
    [0.0, 1.0, 2.0, 0.0],
    [3.0, 0.0, 2.0, 0.0],
    [0.0, 0.0, 2.0, 0.0],
    [1.0, 4.0, 2.0, 0.0],
    [0.0, 0.0, 2.0, 0.0],
    [5.0, -2.0, 2.0, 0.0],
]
# The same with a NaN in feature 1 of row 2 (MinMaxScaler ignores it in the fit and keeps it).
SMALL_NAN = [r[:] for r in SMALL]
SMALL_NAN[2][1] = float("nan")

ORDERS = ["frequencyDesc", "frequencyAsc", "alphabetDesc", "alphabetAsc"]


def iris():
    rows = np.loadtxt(os.path.join(DATA, "iris.csv"), delimiter=",")
    return rows[:, :4], rows[:, 4].astype(int)


def csv_column(name, index):
    with open(os.path.join(DATA, name)) as f:
        return [line.rstrip("\n").split(",")[index] for line in f]


def java_double_str(d):
    """Java's Double.toString (Spark's cast of a double to a string): shortest digits, plain in [1e-3, 1e7), else
    d.dddE±n."""
    if math.isnan(d):
        return "NaN"
    if math.isinf(d):
        return "Infinity" if d > 0 else "-Infinity"
    if d == 0.0:
        return "-0.0" if math.copysign(1.0, d) < 0 else "0.0"
    a = abs(d)
    if 1e-3 <= a < 1e7:
        s = repr(d)
        return s if "." in s or "e" in s else s + ".0"
    t = Decimal(repr(a)).normalize().as_tuple()  # repr: the shortest round-trip digits
    digits = "".join(map(str, t.digits))
    exp10 = len(digits) - 1 + t.exponent
    frac = digits[1:] or "0"
    return ("-" if d < 0 else "") + digits[0] + "." + frac + "E" + str(exp10)


def nan_to_none(rows):
    return [[None if isinstance(v, float) and math.isnan(v) else v for v in r] for r in rows]


def standard_scaler(x):
    n = len(x)
    mean = x.mean(axis=0)
    std = x.std(axis=0, ddof=1)
    from sklearn.preprocessing import StandardScaler
    sk = StandardScaler().fit(x)
    varying = std > 0  # scikit-learn's scale_ is 1.0 for a constant feature
    assert np.allclose(sk.scale_[varying] * math.sqrt(n / (n - 1)), std[varying], rtol=1e-12)
    scale = np.where(std == 0, 0.0, 1.0 / np.where(std == 0, 1.0, std))
    return {
        "n": n,
        "mean": mean.tolist(),
        "std": std.tolist(),
        "sklearn_scale_times_sqrt_n_over_n_minus_1": np.where(varying, sk.scale_ * math.sqrt(n / (n - 1)), 0.0).tolist(),
        "outputs": {
            "with_std": (x * scale).tolist(),
            "with_mean": (x - mean).tolist(),
            "with_mean_with_std": ((x - mean) * scale).tolist(),
        },
    }


def min_max(x, lo, hi):
    from sklearn.preprocessing import MinMaxScaler
    sk = MinMaxScaler(feature_range=(lo, hi)).fit(x)
    out = sk.transform(x)
    data_min, data_max = np.nanmin(x, axis=0), np.nanmax(x, axis=0)
    constant = data_max == data_min
    spark = out.copy()
    spark[:, constant] = np.where(np.isnan(x[:, constant]), np.nan, 0.5 * (hi + lo))
    return {
        "min": lo,
        "max": hi,
        "original_min": data_min.tolist(),
        "original_max": data_max.tolist(),
        "constant_features": np.flatnonzero(constant).tolist(),
        "sklearn_constant_output": sorted(set(out[:, constant].ravel().tolist()) - {float("nan")}),
        "rows": nan_to_none(spark.tolist()),
    }


def string_orders(values):
    counts = Counter(v for v in values if v is not None)
    return {
        "frequencyDesc": [s for s, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))],
        "frequencyAsc": [s for s, _ in sorted(counts.items(), key=lambda kv: (kv[1], kv[0]))],
        "alphabetDesc": sorted(counts, reverse=True),
        "alphabetAsc": sorted(counts),
    }


def one_hot(indices, sizes, unseen):
    """Encodings from scikit-learn: dropLast, no dropLast, and keep (dropLast) for `unseen` rows."""
    from sklearn.preprocessing import OneHotEncoder
    x = np.array(indices, dtype=float)
    cats = [list(range(s)) for s in sizes]
    drop = OneHotEncoder(categories=cats, drop=[[s - 1] for s in sizes], sparse_output=False).fit(x)
    full = OneHotEncoder(categories=cats, sparse_output=False).fit(x)
    dropped, whole = drop.transform(x), full.transform(x)
    keep = OneHotEncoder(categories=cats, handle_unknown="ignore", sparse_output=False).fit(x)
    u = np.array(unseen, dtype=float)
    kept = keep.transform(u)
    # keep without dropLast: one more category per column, the unseen index at `size` (by hand).
    kept_full = []
    for row in unseen:
        enc = []
        for v, s in zip(row, sizes):
            part = [0.0] * (s + 1)
            part[int(v) if (v == int(v) and 0 <= v < s) else s] = 1.0
            enc += part
        kept_full.append(enc)
    return {
        "category_sizes": sizes,
        "column_sums_drop_last": dropped.sum(axis=0).tolist(),
        "column_sums": whole.sum(axis=0).tolist(),
        "first_rows_drop_last": dropped[:12].tolist(),
        "first_rows": whole[:12].tolist(),
        "unseen": unseen,
        "keep_drop_last": kept.tolist(),
        "keep": kept_full,
    }


def figures():
    import sklearn
    x, species = iris()
    small = np.array(SMALL)
    names = csv_column("fakefriends.csv", 1)
    ages = [int(a) for a in csv_column("fakefriends.csv", 2)]
    stations, elements = csv_column("1800.csv", 0), csv_column("1800.csv", 2)
    out = {
        "versions": {"sklearn": sklearn.__version__, "numpy": np.__version__, "python": sys.version.split()[0]},
        "standard_scaler": {"iris": standard_scaler(x), "small": standard_scaler(small)},
        "min_max_scaler": {
            "iris": [min_max(x, 0.0, 1.0), min_max(x, -1.0, 2.0)],
            "small_nan": min_max(np.array(SMALL_NAN), -1.0, 1.0),
        },
        "string_indexer": {
            "fakefriends_name": string_orders(names),
            "fakefriends_age": string_orders([str(a) for a in ages]),
            "iris_sepal_length": string_orders([java_double_str(float(v)) for v in x[:, 0]]),
            "weather_station": string_orders(stations),
            "weather_element": string_orders(elements),
        },
    }
    out["standard_scaler"]["small"]["input"] = SMALL
    out["min_max_scaler"]["small_nan"]["input"] = nan_to_none(SMALL_NAN)
    si = out["string_indexer"]
    out["string_indexer"]["fakefriends_name_first_indices"] = [
        si["fakefriends_name"]["frequencyDesc"].index(n) for n in names[:20]]
    idx = [[si["weather_element"]["frequencyDesc"].index(e), si["weather_station"]["frequencyDesc"].index(s)]
           for e, s in zip(elements, stations)]
    out["one_hot_encoder"] = {
        "weather": one_hot(idx, [3, 2], unseen=[[0, 1], [2, 0], [3, 1], [1, 5]]),
        "iris_species": one_hot([[s] for s in species], [3], unseen=[[0], [2], [3], [7]]),
    }
    assert [java_double_str(v) for v in [5.0, 1e7, 1.5e-4, 123456.789, -0.0, 1e21]] == \
        ["5.0", "1.0E7", "1.5E-4", "123456.789", "-0.0", "1.0E21"]
    return out


def spark_checks(out):
    """Runs the same cases in PySpark, asserts agreement, and records Spark's answers to semantic questions."""
    import pyspark
    from pyspark.ml.feature import MinMaxScaler, OneHotEncoder, StandardScaler, StringIndexer
    from pyspark.ml.linalg import Vectors
    from pyspark.sql import SparkSession
    spark = SparkSession.builder.master("local[1]").config("spark.ui.enabled", "false").getOrCreate()
    out["versions"]["pyspark"] = pyspark.__version__
    x, species = iris()
    probes = {}

    def vec_df(rows, sparse=False):
        vs = [Vectors.sparse(len(r), {i: v for i, v in enumerate(r) if v != 0.0}) if sparse else Vectors.dense(r)
              for r in rows]
        return spark.createDataFrame([(v,) for v in vs], ["x"])

    for name, data in [("iris", x.tolist()), ("small", SMALL)]:
        ref = out["standard_scaler"][name]
        df = vec_df(data, sparse=(name == "small"))
        for key, wm, ws in [("with_std", False, True), ("with_mean", True, False), ("with_mean_with_std", True, True)]:
            m = StandardScaler(inputCol="x", outputCol="y", withMean=wm, withStd=ws).fit(df)
            assert np.allclose(m.mean.toArray(), ref["mean"], rtol=1e-12, atol=1e-14), (name, "mean")
            assert np.allclose(m.std.toArray(), ref["std"], rtol=1e-12, atol=1e-14), (name, "std")
            ys = [r.y for r in m.transform(df).select("y").collect()]
            assert np.allclose([y.toArray() for y in ys], ref["outputs"][key], rtol=1e-12, atol=1e-14), (name, key)
            if name == "small":
                probes[f"standard_scaler_sparse_{key}_output"] = [str(y) for y in ys[:2]]
    for case in out["min_max_scaler"]["iris"]:
        m = MinMaxScaler(inputCol="x", outputCol="y", min=case["min"], max=case["max"]).fit(vec_df(x.tolist()))
        ys = [r.y.toArray() for r in m.transform(vec_df(x.tolist())).select("y").collect()]
        assert np.allclose(ys, case["rows"], rtol=1e-12, atol=1e-14)
    case = out["min_max_scaler"]["small_nan"]
    m = MinMaxScaler(inputCol="x", outputCol="y", min=-1.0, max=1.0).fit(vec_df(SMALL_NAN, sparse=True))
    assert np.allclose(m.originalMin.toArray(), case["original_min"]) and \
        np.allclose(m.originalMax.toArray(), case["original_max"])
    ys = [r.y for r in m.transform(vec_df(SMALL_NAN, sparse=True)).select("y").collect()]
    assert np.allclose([y.toArray() for y in ys], np.array(case["rows"], dtype=float), equal_nan=True)
    probes["min_max_scaler_sparse_output"] = [str(y) for y in ys[:3]]

    names = csv_column("fakefriends.csv", 1)
    ages = [int(a) for a in csv_column("fakefriends.csv", 2)]
    stations, elements = csv_column("1800.csv", 0), csv_column("1800.csv", 2)
    cols = {
        "fakefriends_name": spark.createDataFrame([(n,) for n in names], ["c"]),
        "fakefriends_age": spark.createDataFrame([(a,) for a in ages], ["c"]),
        "iris_sepal_length": spark.createDataFrame([(float(v),) for v in x[:, 0]], ["c"]),
        "weather_station": spark.createDataFrame([(s,) for s in stations], ["c"]),
        "weather_element": spark.createDataFrame([(e,) for e in elements], ["c"]),
    }
    for name, df in cols.items():
        for order in ORDERS:
            m = StringIndexer(inputCol="c", outputCol="i", stringOrderType=order).fit(df)
            assert list(m.labels) == out["string_indexer"][name][order], (name, order, m.labels)
    # Semantic probes: nulls, NaN, doubles as strings.
    df = spark.createDataFrame([("a",), ("b",), (None,), ("a",)], ["c"])
    m = StringIndexer(inputCol="c", outputCol="i").fit(df)
    probes["string_indexer_null_fit_labels"] = list(m.labels)
    probes["string_indexer_null_keep"] = [r.i for r in m.setHandleInvalid("keep").transform(df).collect()]
    probes["string_indexer_null_skip_rows"] = m.setHandleInvalid("skip").transform(df).count()
    try:
        m.setHandleInvalid("error").transform(df).collect()
        probes["string_indexer_null_error"] = None
    except Exception as e:  # noqa: BLE001
        probes["string_indexer_null_error"] = "NULL" in str(e)
    dd = spark.createDataFrame([(1e7,), (1.5e-4,), (float("nan"),), (2.0,), (2.0,)], ["c"])
    m = StringIndexer(inputCol="c", outputCol="i").fit(dd)
    probes["string_indexer_double_labels"] = list(m.labels)
    probes["string_indexer_nan_keep"] = [r.i for r in m.setHandleInvalid("keep").transform(dd).collect()]
    ohe = OneHotEncoder(inputCols=["i"], outputCols=["v"])
    fit_df = spark.createDataFrame([(0.0,), (1.0,), (2.0,)], ["i"])
    om = ohe.fit(fit_df)
    t = spark.createDataFrame([(1.5,), (None,)], "i double")
    probes["one_hot_transform_fraction_and_null"] = [str(r.v) for r in om.transform(t).collect()]
    try:
        ohe.fit(spark.createDataFrame([(0.0,), (1.5,)], ["i"]))
        probes["one_hot_fit_fraction_error"] = None
    except Exception as e:  # noqa: BLE001
        probes["one_hot_fit_fraction_error"] = "must be indices" in str(e)
    for name, case in out["one_hot_encoder"].items():
        n = len(case["category_sizes"])
        ic, oc = [f"i{j}" for j in range(n)], [f"v{j}" for j in range(n)]
        if name == "weather":
            si = out["string_indexer"]
            rows = [(float(si["weather_element"]["frequencyDesc"].index(e)),
                     float(si["weather_station"]["frequencyDesc"].index(s))) for e, s in zip(elements, stations)]
        else:
            rows = [(float(s),) for s in species]
        df = spark.createDataFrame(rows, ic)
        for drop_last, key in [(True, "first_rows_drop_last"), (False, "first_rows")]:
            om = OneHotEncoder(inputCols=ic, outputCols=oc, dropLast=drop_last).fit(df)
            assert list(om.categorySizes) == case["category_sizes"]
            got = [np.concatenate([r[c].toArray() for c in oc]).tolist() for r in om.transform(df).limit(12).collect()]
            assert got == case[key], (name, key)
        u = spark.createDataFrame([tuple(float(v) for v in r) for r in case["unseen"]], ic)
        for drop_last, key in [(True, "keep_drop_last"), (False, "keep")]:
            om = OneHotEncoder(inputCols=ic, outputCols=oc, dropLast=drop_last, handleInvalid="keep").fit(df)
            got = [np.concatenate([r[c].toArray() for c in oc]).tolist() for r in om.transform(u).collect()]
            assert got == case[key], (name, key, got)
    out["spark"] = probes
    spark.stop()


def main():
    if "--spark" in sys.argv:
        out = json.load(open(OUT))
        spark_checks(out)
    else:
        out = figures()
    with open(OUT, "w") as f:
        json.dump(out, f, indent=1, allow_nan=False)
        f.write("\n")


if __name__ == "__main__":
    main()
