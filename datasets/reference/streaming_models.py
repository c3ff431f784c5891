"""Reference figures of Flint's models that learn from a stream: StreamingKMeans, StreamingLinearRegressionWithSGD
and StreamingLogisticRegressionWithSGD, batch by batch.

The figures come from NumPy transcriptions of Spark's update rules (Spark 4.0's MLlib sources):
- StreamingKMeansModel.update: assign the batch to the current centres (closest by squared distance, the first on
  ties); discount every weight by a (time unit "batches") or a^n ("points", n points in the batch); a cluster that
  got m points of sum s takes weight w' = w + m and centre (1 - m/w')c + (m/w')(s/m); then, if the lightest weight
  is below 1e-8 of the heaviest (the first of each), both take their mean weight and the heaviest centre c is split
  into c + p and c - p, p = 1e-14 max(|c|, 1) coordinate-wise. setHalfLife(h) sets a = exp(ln 0.5 / h).
- GradientDescent.runMiniBatchSGD from the current weights, once per batch (StreamingLinearAlgorithm.trainOn:
  no intercept, empty batches skipped): iteration i steps by stepSize/sqrt(i) along the gradient averaged over the
  batch (miniBatchFraction 1), LeastSquaresGradient with SimpleUpdater for linear regression, LogisticGradient with
  SquaredL2Updater (w <- (1 - step*regParam) w - step*gradient) for logistic regression; it stops after the first
  iteration i >= 2 with ||w_i - w_(i-1)|| < convergenceTol * max(||w_i||, 1).

The data are drawn here (NumPy's RandomState, rounded to 4 decimals) and stored in the JSON with the figures.
With --spark the script then runs PySpark's own streaming classes over queueStreams of the same batches (a
foreachRDD after trainOn records the model after each batch) and checks they agree with the transcription.

Made with NumPy 2.4.6, CPython 3.11.7; confirmed with PySpark 4.0.1 (Java 17):
    ~/.cache/flint/sklearn-venv/bin/python datasets/reference/streaming_models.py
    PYSPARK_PYTHON=~/.cache/flint/pyspark-venv/bin/python \
        ~/.cache/flint/pyspark-venv/bin/python datasets/reference/streaming_models.py --spark
"""
import json
import os
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "streaming_models_expected.json")


# ----------------------------------------------------------------------------------------------------------------
# Data


def kmeans_batches():
    """Five batches of 12 points around three blobs."""
    rng = np.random.RandomState(7)
    blobs = np.array([[-3.0, -3.0], [0.0, 4.0], [4.0, 0.0]])
    return [np.round(blobs[rng.randint(0, 3, 12)] + 0.8 * rng.randn(12, 2), 4).tolist() for _ in range(5)]


def linear_batches():
    """Five batches of 20 points (x1, x2, 1) with y = 1.5 x1 - 2 x2 + 0.5 + noise."""
    rng = np.random.RandomState(11)
    out = []
    for _ in range(5):
        x = np.round(rng.uniform(-1, 1, (20, 2)), 4)
        x = np.hstack([x, np.ones((20, 1))])
        y = np.round(x @ np.array([1.5, -2.0, 0.5]) + 0.1 * rng.randn(20), 4)
        out.append({"features": x.tolist(), "labels": y.tolist()})
    return out


def logistic_batches():
    """Five batches of 20 points (x1, x2, 1), label 1 with probability sigmoid(2 x1 - x2 + 0.3)."""
    rng = np.random.RandomState(13)
    out = []
    for _ in range(5):
        x = np.round(rng.uniform(-2, 2, (20, 2)), 4)
        x = np.hstack([x, np.ones((20, 1))])
        p = 1 / (1 + np.exp(-(x @ np.array([2.0, -1.0, 0.3]))))
        y = (rng.uniform(size=20) < p).astype(float)
        out.append({"features": x.tolist(), "labels": y.tolist()})
    return out


# ----------------------------------------------------------------------------------------------------------------
# Spark's rules


def kmeans_update(centers, weights, batch, decay, unit):
    centers, weights, x = np.array(centers, float), np.array(weights, float), np.array(batch, float)
    k, dim = centers.shape
    closest = np.argmin(((x[:, None, :] - centers[None, :, :]) ** 2).sum(axis=2), axis=1) if len(x) else []
    sums, counts = np.zeros((k, dim)), np.zeros(k, dtype=np.int64)
    for j, p in zip(closest, x):
        sums[j] += p
        counts[j] += 1
    discount = decay if unit == "batches" else decay ** float(counts.sum())
    weights = weights * discount
    for j in range(k):
        if counts[j] > 0:
            weights[j] += counts[j]
            lam = counts[j] / max(weights[j], 1e-16)
            centers[j] = centers[j] * (1.0 - lam) + (lam / counts[j]) * sums[j]
    largest, smallest = int(np.argmax(weights)), int(np.argmin(weights))
    if weights[smallest] < 1e-8 * weights[largest]:
        w = (weights[largest] + weights[smallest]) / 2.0
        weights[largest] = weights[smallest] = w
        c = centers[largest].copy()
        p = 1e-14 * np.maximum(np.abs(c), 1.0)
        centers[largest], centers[smallest] = c + p, c - p
    return centers.tolist(), weights.tolist()


def sgd(w, x, y, logistic, step_size, num_iterations, reg_param, tol):
    """runMiniBatchSGD on one batch; returns the weights and the number of iterations run."""
    w, x, y = np.array(w, float), np.array(x, float), np.array(y, float)
    previous, ran = None, 0
    for i in range(1, num_iterations + 1):
        margin = x @ w
        residual = (1 / (1 + np.exp(-margin)) - y) if logistic else (margin - y)
        gradient = residual @ x / len(y)
        step = step_size / np.sqrt(i)
        if logistic:
            w = w * (1.0 - step * reg_param)
        w = w - step * gradient
        ran = i
        if previous is not None:
            moved, bound = np.linalg.norm(previous - w), tol * max(np.linalg.norm(w), 1.0)
            # The stopping decision must not hang on rounding: Flint sums in another order.
            assert abs(moved - bound) > 1e-9 * bound, (i, moved, bound)
            if moved < bound:
                break
        previous = w.copy()
    return w.tolist(), ran


# ----------------------------------------------------------------------------------------------------------------
# Cases

KMEANS_CASES = [
    # name, decay factor, half-life (or None), time unit
    ("decay_1_batches", 1.0, None, "batches"),
    ("decay_0.5_batches", 0.5, None, "batches"),
    ("half_life_8_points", None, 8.0, "points"),
]
KMEANS_INITIAL = {"centers": [[-1.0, -1.0], [0.0, 1.0], [1.0, 0.0]], "weights": [1.0, 2.0, 1.0]}
# Decay 0 forgets everything before the batch; no point is near the third centre, so its weight drops to 0 and it
# takes half of the heaviest cluster.
DYING = {
    "centers": [[0.0, 0.0], [10.0, 10.0], [100.0, 100.0]],
    "weights": [1.0, 1.0, 1.0],
    "decay_factor": 0.0,
    "batch": [[0.5, -0.25], [-0.5, 0.75], [1.5, 0.5], [0.25, 1.25], [9.5, 10.5], [10.25, 9.75]],
}
QUERIES = [[-3.0, -2.5], [0.5, 3.5], [3.5, 0.5], [0.0, 0.0], [2.0, 2.0]]

SGD_CASES = [
    # name, logistic, step size, iterations, reg param, convergence tol
    ("linear_defaults", False, 0.1, 50, 0.0, 0.001),
    ("linear_step_1", False, 1.0, 20, 0.0, 0.001),
    ("logistic_defaults", True, 0.1, 50, 0.0, 0.001),
    ("logistic_step_1_l2", True, 1.0, 30, 0.1, 0.001),
]


def numpy_figures():
    out = {"versions": {"numpy": np.__version__}, "kmeans": {}, "sgd": {}}
    batches = kmeans_batches()
    out["kmeans"]["batches"] = batches
    out["kmeans"]["initial"] = KMEANS_INITIAL
    out["kmeans"]["queries"] = QUERIES
    out["kmeans"]["cases"] = {}
    for name, decay, half_life, unit in KMEANS_CASES:
        a = decay if half_life is None else float(np.exp(np.log(0.5) / half_life))
        centers, weights = KMEANS_INITIAL["centers"], KMEANS_INITIAL["weights"]
        steps = []
        for batch in batches:
            centers, weights = kmeans_update(centers, weights, batch, a, unit)
            steps.append({"centers": centers, "weights": weights})
        c = np.array(centers)
        predictions = [int(np.argmin(((c - np.array(q)) ** 2).sum(axis=1))) for q in QUERIES]
        out["kmeans"]["cases"][name] = {"decay_factor": decay, "half_life": half_life, "time_unit": unit,
                                        "decay": a, "steps": steps, "predictions": predictions}
    centers, weights = kmeans_update(DYING["centers"], DYING["weights"], DYING["batch"], 0.0, "batches")
    out["kmeans"]["dying"] = dict(DYING, after={"centers": centers, "weights": weights})

    out["sgd"]["batches"] = {"linear": linear_batches(), "logistic": logistic_batches()}
    out["sgd"]["cases"] = {}
    for name, logistic, step, iters, reg, tol in SGD_CASES:
        data = out["sgd"]["batches"]["logistic" if logistic else "linear"]
        w, steps = [0.0, 0.0, 0.0], []
        for b in data:
            w, ran = sgd(w, b["features"], b["labels"], logistic, step, iters, reg, tol)
            steps.append({"weights": w, "iterations": ran})
        queries = np.array(data[-1]["features"][:5])
        margins = queries @ np.array(w)
        predictions = ((1 / (1 + np.exp(-margins)) > 0.5).astype(float) if logistic else margins).tolist()
        out["sgd"]["cases"][name] = {"logistic": logistic, "step_size": step, "num_iterations": iters,
                                     "reg_param": reg, "convergence_tol": tol, "steps": steps,
                                     "predictions": predictions}
    return out


# ----------------------------------------------------------------------------------------------------------------
# PySpark, over queueStreams


def spark_figures(out):
    import pyspark
    from pyspark import SparkContext
    from pyspark.mllib.classification import StreamingLogisticRegressionWithSGD
    from pyspark.mllib.clustering import StreamingKMeans
    from pyspark.mllib.linalg import Vectors
    from pyspark.mllib.regression import LabeledPoint, StreamingLinearRegressionWithSGD
    from pyspark.streaming import StreamingContext

    sc = SparkContext("local[2]", "streaming_models_reference")
    sc.setLogLevel("ERROR")
    ssc = StreamingContext(sc, 0.5)
    recorded = {}

    def record(name, snapshot):
        def f(rdd):
            recorded.setdefault(name, []).append(snapshot())
        return f

    def stream(rows):
        return ssc.queueStream([sc.parallelize(b, 2) for b in rows])

    km = out["kmeans"]
    runs = []
    for name, case in km["cases"].items():
        skm = StreamingKMeans(k=3, decayFactor=case["decay_factor"] if case["half_life"] is None else 1.0)
        if case["half_life"] is not None:
            skm.setHalfLife(case["half_life"], case["time_unit"])
        skm.setInitialCenters(km["initial"]["centers"], km["initial"]["weights"])
        runs.append(("kmeans/" + name, skm, [[Vectors.dense(p) for p in b] for b in km["batches"]]))
    d = km["dying"]
    skm = StreamingKMeans(k=3, decayFactor=d["decay_factor"]).setInitialCenters(d["centers"], d["weights"])
    runs.append(("kmeans/dying", skm, [[Vectors.dense(p) for p in d["batch"]]]))
    for name, case in out["sgd"]["cases"].items():
        data = out["sgd"]["batches"]["logistic" if case["logistic"] else "linear"]
        if case["logistic"]:
            alg = StreamingLogisticRegressionWithSGD(stepSize=case["step_size"], numIterations=case["num_iterations"],
                                                     regParam=case["reg_param"],
                                                     convergenceTol=case["convergence_tol"])
        else:
            alg = StreamingLinearRegressionWithSGD(stepSize=case["step_size"], numIterations=case["num_iterations"],
                                                   convergenceTol=case["convergence_tol"])
        alg.setInitialWeights([0.0, 0.0, 0.0])
        rows = [[LabeledPoint(y, Vectors.dense(x)) for x, y in zip(b["features"], b["labels"])] for b in data]
        runs.append(("sgd/" + name, alg, rows))

    for name, alg, rows in runs:
        s = stream(rows)
        alg.trainOn(s)
        if name.startswith("kmeans"):
            snap = (lambda a: lambda: {"centers": np.array(a.latestModel().centers).tolist(),
                                       "weights": list(a.latestModel().clusterWeights)})(alg)
        else:
            snap = (lambda a: lambda: {"weights": a.latestModel().weights.toArray().tolist()})(alg)
        # Registered after trainOn, so it runs after the update of each batch.
        s.foreachRDD(record(name, snap))
    ssc.start()
    deadline = time.time() + 120
    while time.time() < deadline and any(len(recorded.get(n, [])) < len(r) for n, _, r in runs):
        time.sleep(0.5)
    ssc.stop(stopSparkContext=True, stopGraceFully=False)

    worst = 0.0
    for name, _, rows in runs:
        got = recorded[name][:len(rows)]
        kind, case = name.split("/")
        if kind == "kmeans":
            want = [km["dying"]["after"]] if case == "dying" else km["cases"][case]["steps"]
            pairs = [(g["centers"], w["centers"]) for g, w in zip(got, want)]
            pairs += [(g["weights"], w["weights"]) for g, w in zip(got, want)]
        else:
            want = out["sgd"]["cases"][case]["steps"]
            pairs = [(g["weights"], w["weights"]) for g, w in zip(got, want)]
        for g, w in pairs:
            g, w = np.array(g), np.array(w)
            assert np.allclose(g, w, rtol=1e-10, atol=1e-13), (name, g, w)
            worst = max(worst, float(np.max(np.abs(g - w) / np.maximum(np.abs(w), 1.0))))
    out["versions"]["pyspark"] = pyspark.__version__
    out["spark_max_relative_difference"] = worst
    return out


def main():
    if "--spark" in sys.argv:
        out = spark_figures(json.load(open(OUT)))
    else:
        out = numpy_figures()
    with open(OUT, "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
