"""Reference figures of Flint's MLlib statistics, linear algebra and k-means tests, from scikit-learn, SciPy and
NumPy on the same data.

Made with: scikit-learn 1.9.1, SciPy 1.17.1, NumPy 2.4.6, CPython 3.11.7. The venv lives outside the repository:

    python3 -m venv ~/.cache/flint/sklearn-venv
    ~/.cache/flint/sklearn-venv/bin/pip install scikit-learn==1.9.1 scipy==1.17.1 numpy==2.4.6
    ~/.cache/flint/sklearn-venv/bin/python datasets/reference/mllib_stat.py

It first exports scikit-learn's bundled iris data to datasets/iris.csv (once; the file is committed), then writes
datasets/reference/mllib_stat_expected.json:

- chi2_sf: scipy.stats.chi2.sf(x, k) for a few (x, k);
- iris_summary: column count, mean, sample variance (ddof=1), min, max, non-zero counts, L1 and L2 norms of the
  four iris features;
- iris_pearson, iris_spearman: numpy.corrcoef and scipy.stats.spearmanr (ties averaged) of the features;
- iris_pca: PCA(n_components=2) explained_variance_ratio_ and components_ (scikit-learn's sign convention: the
  largest-magnitude entry of each component positive);
- iris_covariance: numpy.cov (ddof=1); iris_singular_values: numpy.linalg.svd of the uncentred features;
- chi_sq_*: Spark's documented chi-square examples, computed with scipy.stats.chisquare and
  scipy.stats.chi2_contingency(correction=False);
- iris_kmeans: KMeans(n_clusters=3, init=iris rows 0, 50, 100, n_init=1, algorithm="lloyd", tol=0,
  max_iter=300) inertia_, cluster_centers_ and cluster sizes: Lloyd's fixed point from those centres.
"""
import json
import os

import numpy as np
import scipy
import sklearn
from scipy import stats
from sklearn.cluster import KMeans
from sklearn.datasets import load_iris
from sklearn.decomposition import PCA

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.dirname(HERE)


def export_iris():
    from bundled import export
    return export(load_iris(), "iris")


def load(path):
    rows = np.loadtxt(path, delimiter=",")
    return rows[:, :4], rows[:, 4]


def main():
    x, y = load(export_iris())
    out = {"versions": {"sklearn": sklearn.__version__, "scipy": scipy.__version__, "numpy": np.__version__}}
    out["chi2_sf"] = [[xv, k, float(stats.chi2.sf(xv, k))] for xv, k in
                      [(3.841458820694124, 1), (0.5, 3), (10.0, 4), (25.0, 10), (100.0, 50), (0.125, 4)]]
    out["iris_summary"] = {
        "count": len(x),
        "mean": x.mean(axis=0).tolist(),
        "variance": x.var(axis=0, ddof=1).tolist(),
        "min": x.min(axis=0).tolist(),
        "max": x.max(axis=0).tolist(),
        "num_nonzeros": (x != 0).sum(axis=0).astype(float).tolist(),
        "norm_l1": np.abs(x).sum(axis=0).tolist(),
        "norm_l2": np.sqrt((x * x).sum(axis=0)).tolist(),
    }
    out["iris_pearson"] = np.corrcoef(x, rowvar=False).tolist()
    out["iris_spearman"] = stats.spearmanr(x).statistic.tolist()
    out["iris_covariance"] = np.cov(x, rowvar=False).tolist()
    out["iris_singular_values"] = np.linalg.svd(x, compute_uv=False).tolist()
    pca = PCA(n_components=2).fit(x)
    out["iris_pca"] = {
        "explained_variance_ratio": pca.explained_variance_ratio_.tolist(),
        "components": pca.components_.tolist(),
    }
    # Spark's documentation examples (mllib-statistics.md, "Hypothesis testing").
    observed = np.array([0.1, 0.15, 0.2, 0.3, 0.25])
    gof = stats.chisquare(observed)
    out["chi_sq_goodness"] = {"statistic": float(gof.statistic), "p_value": float(gof.pvalue), "df": 4}
    matrix = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    ind = stats.chi2_contingency(matrix, correction=False)
    out["chi_sq_matrix"] = {"statistic": float(ind.statistic), "p_value": float(ind.pvalue), "df": int(ind.dof)}
    points = [(1.0, [1.0, 0.0, 3.0]), (1.0, [1.0, 2.0, 0.0]), (-1.0, [-1.0, 0.0, -0.5])]
    features = []
    for j in range(3):
        values = sorted({p[1][j] for p in points})
        labels = sorted({p[0] for p in points})
        table = np.zeros((len(values), len(labels)))
        for label, feats in points:
            table[values.index(feats[j]), labels.index(label)] += 1
        r = stats.chi2_contingency(table, correction=False)
        features.append({"statistic": float(r.statistic), "p_value": float(r.pvalue), "df": int(r.dof)})
    out["chi_sq_features"] = features
    km = KMeans(n_clusters=3, init=x[[0, 50, 100]], n_init=1, algorithm="lloyd", tol=0, max_iter=300).fit(x)
    out["iris_kmeans"] = {
        "inertia": float(km.inertia_),
        "centers": km.cluster_centers_.tolist(),
        "sizes": np.bincount(km.labels_, minlength=3).tolist(),
        "n_iter": int(km.n_iter_),
    }
    with open(os.path.join(HERE, "mllib_stat_expected.json"), "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
