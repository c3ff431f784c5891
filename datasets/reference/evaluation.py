"""Reference figures of Flint's evaluators (mllib/src/evaluation): scikit-learn's metrics where they define the
same number as Spark, Spark's own formulas in NumPy where they do not, confirmed by PySpark's evaluators.

Data (all bundled, see datasets/README.md), with fixed, documented predictions — no randomness:
- regression: diabetes (442 rows; features then label). Predictions from a fixed linear formula,
  ŷ = 152 + 500·bmi + 300·bp (bmi, bp the features 2 and 3); weights wᵢ = 1 + (i mod 3), i the 0-based row.
- binary: breast_cancer (569 rows; label 1 = benign). Scores s = −(worst radius) (feature 20), which has many
  ties, between classes too (counted below), and s₂ = −(worst radius) − 10·(worst concave points) (features 20
  and 27), with more distinct values, for Spark's down-sampling; weights as above.
- multiclass and clustering: iris (150 rows; 4 features, class 0/1/2). The class centres mₖ (class means, written
  to the JSON so Flint uses the very same numbers) give probabilities pₖ = softmax(−‖x − mₖ‖²) and the prediction
  argmaxₖ pₖ (nearest centre); the same assignment is the clustering. A second clustering puts the row of
  largest sepal length alone in a cluster 3 (a singleton: silhouette 0 by Spark's and scikit-learn's rule).

Where Spark and scikit-learn define a metric alike, the figure is scikit-learn's: mean_squared_error,
mean_absolute_error, r2_score (unweighted), roc_auc_score (tied scores count half in both), accuracy_score,
f1_score / precision_score / recall_score with average="weighted" and average=None (per label), hamming_loss,
log_loss, silhouette_score with metric="sqeuclidean" and metric="cosine" (Spark's cosine distance is 1 − cos, as
scikit-learn's: the script checks it against a brute-force 1 − cos silhouette). Spark's own definitions, in NumPy:
- var: Spark's RegressionMetrics.explainedVariance is Σw(ŷ − ȳ)²/W, not scikit-learn's explained_variance_score
  (1 − Var(y − ŷ)/Var(y)); both are computed and shown to differ.
- weighted r2: Spark's SStot is the label's unbiased reliability-weighted variance times (W − 1), i.e.
  Σw(y − ȳ)²·(W − 1)/(W − Σw²/W); scikit-learn's weighted r2_score uses Σw(y − ȳ)². Unweighted they agree.
- areaUnderPR: Spark integrates (recall, precision) by trapezoids from (0, precision at the first threshold);
  scikit-learn's average_precision_score is a step sum, a different number (both are written).
- down-sampling (numBins): Spark sorts the distinct scores descending and, when g = ⌊distinct/numBins⌋ ≥ 2,
  merges each run of g consecutive scores into one threshold (per partition; with one partition, as here for
  PySpark, the runs are global). The NumPy curve code, run without binning, is checked against roc_auc_score.
- weighted silhouette (scikit-learn has no weights): brute force over all pairs, a = Σ w_c d(x, c)/(W_Γ − w_x) in
  the own cluster, b = min over other clusters of Σ w_c d(x, c)/W_Γ, score Σ w s / Σ w, which is what Spark's
  per-cluster sums compute; unweighted it is checked against silhouette_score.
- falsePositiveRate by label and weighted: from the confusion matrix, FP(l)/(N − n(l)), weighted by n(l)/N.

Made with: scikit-learn 1.9.1, NumPy 2.4.6, PySpark 4.0.1 on OpenJDK 17, CPython 3.11.7:
    ~/.cache/flint/sklearn-venv/bin/python datasets/reference/evaluation.py           (the figures)
    ~/.cache/flint/pyspark-venv/bin/python datasets/reference/evaluation.py --spark   (adds Spark's, checks them)
"""
import json
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.dirname(HERE)
OUT = os.path.join(HERE, "evaluation_expected.json")


def load(name):
    rows = np.loadtxt(os.path.join(DATA, name + ".csv"), delimiter=",")
    return rows[:, :-1], rows[:, -1]


def row_weights(n):
    return 1.0 + (np.arange(n) % 3)


# ---- regression ----

def regression_data():
    x, y = load("diabetes")
    p = 152.0 + 500.0 * x[:, 2] + 300.0 * x[:, 3]
    return y, p


def spark_regression(y, p, w):
    """Spark's RegressionMetrics, written out."""
    big_w = w.sum()
    y_mean = (w * y).sum() / big_w
    m2 = (w * (y - y_mean) ** 2).sum()
    variance = m2 / (big_w - (w * w).sum() / big_w)
    ss_tot = variance * (big_w - 1.0)
    ss_err = (w * (y - p) ** 2).sum()
    return {
        "mse": ss_err / big_w,
        "rmse": float(np.sqrt(ss_err / big_w)),
        "mae": (w * np.abs(y - p)).sum() / big_w,
        "r2": 1.0 - ss_err / ss_tot,
        "r2_through_origin": 1.0 - ss_err / (w * y * y).sum(),
        "var": (w * (p - y_mean) ** 2).sum() / big_w,
    }


def regression():
    from sklearn.metrics import explained_variance_score, mean_absolute_error, mean_squared_error, r2_score
    y, p = regression_data()
    n = len(y)
    ones = np.ones(n)
    spark = spark_regression(y, p, ones)
    unweighted = {
        "rmse": float(np.sqrt(mean_squared_error(y, p))),
        "mse": float(mean_squared_error(y, p)),
        "mae": float(mean_absolute_error(y, p)),
        "r2": float(r2_score(y, p)),
        "var": float(spark["var"]),
        "r2_through_origin": float(spark["r2_through_origin"]),
        "sklearn_explained_variance_score": float(explained_variance_score(y, p)),
    }
    for k in ("rmse", "mse", "mae", "r2"):
        assert np.isclose(unweighted[k], spark[k], rtol=1e-13), (k, unweighted[k], spark[k])
    assert abs(unweighted["sklearn_explained_variance_score"] - unweighted["var"]) > 1.0, "var must differ"
    w = row_weights(n)
    spark_w = spark_regression(y, p, w)
    weighted = {
        "rmse": float(np.sqrt(mean_squared_error(y, p, sample_weight=w))),
        "mse": float(mean_squared_error(y, p, sample_weight=w)),
        "mae": float(mean_absolute_error(y, p, sample_weight=w)),
        "r2": float(spark_w["r2"]),
        "var": float(spark_w["var"]),
        "sklearn_weighted_r2": float(r2_score(y, p, sample_weight=w)),
    }
    for k in ("rmse", "mse", "mae"):
        assert np.isclose(weighted[k], spark_w[k], rtol=1e-13), (k, weighted[k], spark_w[k])
    assert abs(weighted["r2"] - weighted["sklearn_weighted_r2"]) > 1e-5, "Spark's weighted r2 differs"
    return {"prediction": "152 + 500*x[2] + 300*x[3]", "weights": "1 + (row % 3)", "rows": n,
            "unweighted": unweighted, "weighted": weighted}


# ---- binary ----

def binary_data():
    x, y = load("breast_cancer")
    s = -x[:, 20]
    s2 = -x[:, 20] - 10.0 * x[:, 27]
    return y, s, s2


def spark_counts(scores, labels, weights, num_bins):
    """Weighted (positives, negatives) per distinct score, descending, down-sampled as Spark."""
    distinct = np.unique(scores)[::-1]
    index = {v: i for i, v in enumerate(distinct)}
    counts = np.zeros((len(distinct), 2))
    for s, y, w in zip(scores, labels, weights):
        counts[index[s], 0 if y > 0.5 else 1] += w
    if num_bins > 0:
        g = len(distinct) // num_bins
        if g >= 2:
            counts = np.array([counts[i:i + g].sum(axis=0) for i in range(0, len(counts), g)])
    return counts


def trapezoids(points):
    area = 0.0
    for (x0, y0), (x1, y1) in zip(points, points[1:]):
        area += (x1 - x0) * (y1 + y0) / 2.0
    return area


def spark_areas(scores, labels, weights, num_bins):
    counts = spark_counts(scores, labels, weights, num_bins)
    cum = np.cumsum(counts, axis=0)
    pos, neg = cum[-1]
    tpr = [tp / pos if pos else 0.0 for tp, _ in cum]
    fpr = [fp / neg if neg else 0.0 for _, fp in cum]
    precision = [tp / (tp + fp) if tp + fp else 1.0 for tp, fp in cum]
    roc = [(0.0, 0.0)] + list(zip(fpr, tpr)) + [(1.0, 1.0)]
    pr = [(0.0, precision[0])] + list(zip(tpr, precision))
    return {"areaUnderROC": trapezoids(roc), "areaUnderPR": trapezoids(pr), "thresholds": len(counts)}


def binary():
    from sklearn.metrics import average_precision_score, roc_auc_score
    y, s, s2 = binary_data()
    n = len(y)
    ones, w = np.ones(n), row_weights(n)
    # Ties between the classes: scores held by both a positive and a negative row.
    tied = sum(1 for v in np.unique(s) if len(set(y[s == v])) == 2)
    assert tied > 0
    out = {"scores": "s = -x[20]; s2 = -x[20] - 10*x[27]", "weights": "1 + (row % 3)",
           "distinct_scores": int(len(np.unique(s))), "scores_tied_across_classes": tied,
           "distinct_scores2": int(len(np.unique(s2)))}
    for name, score, weights, sample_weight in (("ties", s, ones, None), ("ties_weighted", s, w, w),
                                                ("distinct", s2, ones, None)):
        exact = spark_areas(score, y, weights, 0)
        auc = float(roc_auc_score(y, score, sample_weight=sample_weight))
        assert np.isclose(exact["areaUnderROC"], auc, rtol=1e-13), (name, exact, auc)
        default = spark_areas(score, y, weights, 1000)
        assert default == exact, "1000 bins leave a curve of under 2000 thresholds alone"
        out[name] = {"areaUnderROC": auc, "areaUnderPR": exact["areaUnderPR"],
                     "sklearn_average_precision": float(average_precision_score(y, score,
                                                                                sample_weight=sample_weight))}
        assert abs(out[name]["areaUnderPR"] - out[name]["sklearn_average_precision"]) > 1e-6
    for bins in (100, 50):
        binned = spark_areas(s2, y, ones, bins)
        assert binned["thresholds"] < out["distinct_scores2"]
        out[f"distinct_bins_{bins}"] = {"num_bins": bins, **binned}
        assert binned["areaUnderROC"] != out["distinct"]["areaUnderROC"]
    return out


# ---- multiclass ----

def softmax_rows(x, centres):
    d = ((x[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2)
    z = -d - (-d).max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def iris_predictions():
    x, y = load("iris")
    centres = np.array([x[y == k].mean(axis=0) for k in range(3)])
    prob = softmax_rows(x, centres)
    return x, y, centres, prob, prob.argmax(axis=1).astype(float)


def spark_log_loss(y, prob, w, eps=1e-15):
    p = prob[np.arange(len(y)), y.astype(int)]
    loss = np.where(p < eps, -np.log(eps), np.where(p > 1 - eps, -np.log1p(-eps), -np.log(p)))
    return float((loss * w).sum() / w.sum())


def multiclass_metrics(y, pred, prob, w):
    from sklearn.metrics import (accuracy_score, confusion_matrix, f1_score, hamming_loss, log_loss,
                                 precision_score, recall_score)
    labels = [0.0, 1.0, 2.0]
    cm = confusion_matrix(y, pred, labels=labels, sample_weight=w)  # rows: label, columns: prediction
    n = cm.sum(axis=1)
    fp = cm.sum(axis=0) - np.diag(cm)
    fpr = fp / (cm.sum() - n)
    out = {
        "f1": float(f1_score(y, pred, average="weighted", sample_weight=w)),
        "accuracy": float(accuracy_score(y, pred, sample_weight=w)),
        "weightedPrecision": float(precision_score(y, pred, average="weighted", sample_weight=w)),
        "weightedRecall": float(recall_score(y, pred, average="weighted", sample_weight=w)),
        "weightedFalsePositiveRate": float((fpr * n / n.sum()).sum()),
        "hammingLoss": float(hamming_loss(y, pred, sample_weight=w)),
        "logLoss": float(log_loss(y, prob, sample_weight=w, labels=labels)),
        "precisionByLabel": [float(v) for v in precision_score(y, pred, average=None, sample_weight=w)],
        "recallByLabel": [float(v) for v in recall_score(y, pred, average=None, sample_weight=w)],
        "fMeasureByLabel": [float(v) for v in f1_score(y, pred, average=None, sample_weight=w)],
        "falsePositiveRateByLabel": [float(v) for v in fpr],
    }
    assert np.isclose(out["logLoss"], spark_log_loss(y, prob, w), rtol=1e-13)
    return out


def multiclass():
    x, y, centres, prob, pred = iris_predictions()
    n = len(y)
    return {"centres": centres.tolist(), "probability": "softmax_k(-|x - centre_k|^2)",
            "prediction": "argmax probability (nearest centre)", "weights": "1 + (row % 3)",
            "errors": int((pred != y).sum()),
            "unweighted": multiclass_metrics(y, pred, prob, np.ones(n)),
            "weighted": multiclass_metrics(y, pred, prob, row_weights(n))}


# ---- clustering ----

def brute_silhouette(x, labels, w, distance):
    d = distance(x)
    s = np.zeros(len(x))
    clusters = np.unique(labels)
    for i in range(len(x)):
        own = labels == labels[i]
        big_w = w[own].sum()
        if big_w == w[i]:
            continue
        a = (w[own] * d[i, own]).sum() / (big_w - w[i])
        b = min((w[labels == c] * d[i, labels == c]).sum() / w[labels == c].sum() for c in clusters if c != labels[i])
        s[i] = (b - a) / max(a, b)
    return float((w * s).sum() / w.sum())


def sq_euclidean(x):
    return ((x[:, None, :] - x[None, :, :]) ** 2).sum(axis=2)


def one_minus_cos(x):
    u = x / np.linalg.norm(x, axis=1, keepdims=True)
    return 1.0 - u @ u.T


def clustering():
    from sklearn.metrics import silhouette_score
    x, _, _, _, pred = iris_predictions()
    single = pred.copy()
    lonely = int(x[:, 0].argmax())
    single[lonely] = 3.0
    assert (x[:, 0] == x[lonely, 0]).sum() == 1
    out = {"assignment": "the multiclass prediction (nearest class centre)", "singleton_row": lonely}
    w = row_weights(len(x))
    for name, labels in (("nearest_centre", pred), ("singleton", single)):
        case = {}
        for measure, metric, distance in (("squaredEuclidean", "sqeuclidean", sq_euclidean),
                                          ("cosine", "cosine", one_minus_cos)):
            score = float(silhouette_score(x, labels, metric=metric))
            brute = brute_silhouette(x, labels, np.ones(len(x)), distance)
            assert np.isclose(score, brute, rtol=1e-12), (name, measure, score, brute)
            case[measure] = score
            case[measure + "_weighted"] = brute_silhouette(x, labels, w, distance)
        out[name] = case
    return out


# ---- Spark ----

def spark_check(out):
    from pyspark.ml.evaluation import (BinaryClassificationEvaluator, ClusteringEvaluator,
                                       MulticlassClassificationEvaluator, RegressionEvaluator)
    from pyspark.ml.linalg import Vectors
    from pyspark.sql import SparkSession
    # One core: one partition of sorted scores, so Spark's down-sampling groups globally.
    spark = SparkSession.builder.master("local[1]").getOrCreate()
    got = {}

    def close(a, b, what, rtol=1e-9):
        assert np.isclose(a, b, rtol=rtol, atol=1e-15), (what, a, b)

    y, p = regression_data()
    w = row_weights(len(y))
    df = spark.createDataFrame([(float(a), float(b), float(c)) for a, b, c in zip(y, p, w)],
                               ["label", "prediction", "weight"])
    for metric in ("rmse", "mse", "mae", "r2", "var"):
        v = RegressionEvaluator(metricName=metric).evaluate(df)
        vw = RegressionEvaluator(metricName=metric, weightCol="weight").evaluate(df)
        close(v, out["regression"]["unweighted"][metric], metric)
        close(vw, out["regression"]["weighted"][metric], metric + " weighted")
        got[f"regression.{metric}"], got[f"regression.weighted.{metric}"] = v, vw
    v = RegressionEvaluator(metricName="r2", throughOrigin=True).evaluate(df)
    close(v, out["regression"]["unweighted"]["r2_through_origin"], "r2 through origin")

    y, s, s2 = binary_data()
    w = row_weights(len(y))
    df = spark.createDataFrame([(float(a), Vectors.dense([-float(b), float(b)]), float(c), float(d))
                                for a, b, c, d in zip(y, s, s2, w)], ["label", "rawPrediction", "s2", "weight"])
    for metric in ("areaUnderROC", "areaUnderPR"):
        v = BinaryClassificationEvaluator(metricName=metric).evaluate(df)
        close(v, out["binary"]["ties"][metric], metric)
        v = BinaryClassificationEvaluator(metricName=metric, weightCol="weight").evaluate(df)
        close(v, out["binary"]["ties_weighted"][metric], metric + " weighted")
        v = BinaryClassificationEvaluator(metricName=metric, rawPredictionCol="s2", numBins=0).evaluate(df)
        close(v, out["binary"]["distinct"][metric], metric + " s2")
        for bins in (100, 50):
            v = BinaryClassificationEvaluator(metricName=metric, rawPredictionCol="s2",
                                              numBins=bins).evaluate(df)
            close(v, out["binary"][f"distinct_bins_{bins}"][metric], f"{metric} {bins} bins")
            got[f"binary.bins_{bins}.{metric}"] = v

    x, y, centres, prob, pred = iris_predictions()
    w = row_weights(len(y))
    df = spark.createDataFrame([(float(a), float(b), Vectors.dense(c.tolist()), Vectors.dense(f.tolist()), float(d))
                                for a, b, c, f, d in zip(y, pred, prob, x, w)],
                               ["label", "prediction", "probability", "features", "weight"])
    for weighted in (False, True):
        ref = out["multiclass"]["weighted" if weighted else "unweighted"]
        extra = {"weightCol": "weight"} if weighted else {}
        for metric in ("f1", "accuracy", "weightedPrecision", "weightedRecall", "weightedFalsePositiveRate",
                       "hammingLoss", "logLoss"):
            v = MulticlassClassificationEvaluator(metricName=metric, **extra).evaluate(df)
            close(v, ref[metric], metric)
        for metric in ("precisionByLabel", "recallByLabel", "fMeasureByLabel", "falsePositiveRateByLabel"):
            for label in range(3):
                v = MulticlassClassificationEvaluator(metricName=metric, metricLabel=float(label),
                                                      **extra).evaluate(df)
                close(v, ref[metric][label], f"{metric} {label}")
    single = pred.copy()
    single[out["clustering"]["singleton_row"]] = 3.0
    for name, labels in (("nearest_centre", pred), ("singleton", single)):
        cdf = spark.createDataFrame([(Vectors.dense(f.tolist()), float(c), float(d)) for f, c, d in zip(x, labels, w)],
                                    ["features", "prediction", "weight"])
        for measure in ("squaredEuclidean", "cosine"):
            v = ClusteringEvaluator(distanceMeasure=measure).evaluate(cdf)
            vw = ClusteringEvaluator(distanceMeasure=measure, weightCol="weight").evaluate(cdf)
            # Spark's sums-based distances cancel digits (cosine ones are about 1e-3 here): looser.
            close(v, out["clustering"][name][measure], f"silhouette {name} {measure}", rtol=1e-7)
            close(vw, out["clustering"][name][measure + "_weighted"], f"weighted {name} {measure}", rtol=1e-7)
            got[f"clustering.{name}.{measure}"] = v
    spark.stop()
    return got


def main():
    if "--spark" in sys.argv:
        import pyspark
        out = json.load(open(OUT))
        fresh = {"regression": regression(), "binary": binary(), "multiclass": multiclass(),
                 "clustering": clustering()}
        assert fresh == {k: out[k] for k in fresh}, "rerun without --spark first"
        out["versions"]["pyspark"] = pyspark.__version__
        out["spark"] = spark_check(out)
    else:
        import sklearn
        out = {"versions": {"sklearn": sklearn.__version__, "numpy": np.__version__},
               "regression": regression(), "binary": binary(), "multiclass": multiclass(),
               "clustering": clustering()}
    with open(OUT, "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
