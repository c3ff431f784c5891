"""scikit-learn on the data of mllib/benches/mllib.rs (datasets/generated/blobs-1m-20.f64, which the Rust bench
writes on its first run): the comparison figures of issue 5, median of 3 runs each.

    ~/.cache/flint/sklearn-venv/bin/python mllib/benches/sklearn_bench.py
"""
import os
import time

import numpy as np
from sklearn.cluster import KMeans
from sklearn.decomposition import PCA
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.metrics import roc_auc_score

HERE = os.path.dirname(os.path.abspath(__file__))
PATH = os.path.join(HERE, "..", "..", "datasets", "generated", "blobs-1m-20.f64")


def median(f, runs=3):
    times, out = [], None
    for _ in range(runs):
        t = time.perf_counter()
        out = f()
        times.append(time.perf_counter() - t)
    return sorted(times)[runs // 2], out


def main():
    x = np.fromfile(PATH, dtype="<f8").reshape(-1, 20)
    t, km = median(lambda: KMeans(n_clusters=10, n_init=1, random_state=1, algorithm="lloyd").fit(x))
    print(f"sklearn kmeans k=10        {t:8.3f} s   inertia {km.inertia_:.6e}   {km.n_iter_} iterations")
    y = x @ (np.arange(1, 21) / 10.0) + np.sin(np.arange(len(x)))
    t, lr = median(lambda: LinearRegression().fit(x, y))
    print(f"sklearn linear regression  {t:8.3f} s   r2 {lr.score(x, y):.6f}")
    margin = x @ (np.arange(1, 21) / 10.0) + 5 * np.sin(np.arange(len(x)))
    label = (margin > margin.mean()).astype(float)
    # Spark's defaults: no penalty, tol 1e-6 (scikit-learn's lbfgs reads tol as its gradient tolerance).
    t, lg = median(lambda: LogisticRegression(C=np.inf, tol=1e-6, max_iter=100).fit(x, label))
    auc = roc_auc_score(label, lg.predict_proba(x)[:, 1])
    print(f"sklearn logistic regression {t:7.3f} s   auc {auc:.6f}   accuracy {lg.score(x, label):.6f}   "
          f"{lg.n_iter_[0]} iterations")
    t, pca = median(lambda: PCA(n_components=5).fit(x))
    print(f"sklearn pca k=5            {t:8.3f} s   explained {pca.explained_variance_ratio_.tolist()}")


if __name__ == "__main__":
    main()
