"""Reference coefficients of Flint's LinearRegression: scikit-learn on Spark's objective, confirmed by Spark.

Data: scikit-learn's bundled diabetes set (442 rows, 10 features — already centred and scaled by scikit-learn —
and a disease-progression label), exported once to datasets/diabetes.csv (features then label; licence in
datasets/README.md).

Spark's LinearRegression (solver "normal") minimises, on the original scale,
    1/(2n) Σ (y − w·x − b)² + αλ Σ|w̃ⱼ| + (1 − α) λ / (2 σy) Σ w̃ⱼ²
with σy the label's population standard deviation, w̃ⱼ = wⱼ σⱼ (σⱼ the feature's population standard deviation)
when standardization is on and w̃ⱼ = wⱼ otherwise: Spark standardises the label as glmnet does. So the same
fit in scikit-learn is ElasticNet(alpha = αλ + (1−α)λ/σy, l1_ratio = αλ/alpha) on x/σ (standardization) or x,
Ridge(alpha = nλ/σy) when α = 0, LinearRegression when λ = 0. This script fits each case with scikit-learn
(tol 1e-12) and with PySpark, checks that they agree (1e-4 relative: with L1, Spark's OWL-QN stops near 1e-5 of the optimum),
and writes both to datasets/reference/linear_regression_expected.json.

Spark's "l-bfgs" solver minimises the same form with *sample* standard deviations (ddof = 1) for σy and σⱼ
(the normal solver's are population ones), so those references ("sklearn_lbfgs", confirmed by PySpark with
solver="l-bfgs") use ddof = 1 in the same mapping.

Made with: scikit-learn 1.9.1, NumPy 2.4.6, PySpark 4.0.1 on OpenJDK 17, CPython 3.11.7:
    ~/.cache/flint/sklearn-venv/bin/python datasets/reference/linear_regression.py   (scikit-learn part)
    ~/.cache/flint/pyspark-venv/bin/python datasets/reference/linear_regression.py --spark   (adds Spark's)
"""
import json
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.dirname(HERE)
OUT = os.path.join(HERE, "linear_regression_expected.json")

# (name, regParam λ, elasticNetParam α, standardization, fitIntercept)
CASES = [
    ("ols", 0.0, 0.0, True, True),
    ("ols_no_intercept", 0.0, 0.0, True, False),
    ("ridge_standardized", 0.5, 0.0, True, True),
    ("ridge_raw", 0.5, 0.0, False, True),
    ("elastic_net_standardized", 0.3, 0.5, True, True),
    ("elastic_net_raw", 0.3, 0.5, False, True),
    ("lasso_standardized", 2.0, 1.0, True, True),
]


def export_diabetes():
    from sklearn.datasets import load_diabetes
    from bundled import export
    return export(load_diabetes(), "diabetes")


def load():
    rows = np.loadtxt(os.path.join(DATA, "diabetes.csv"), delimiter=",")
    return rows[:, :-1], rows[:, -1]


def sklearn_fit(x, y, lam, alpha, standardize, intercept, ddof=0):
    from sklearn.linear_model import ElasticNet, LinearRegression, Ridge
    n = len(y)
    sigma_y = y.std(ddof=ddof) if intercept else np.sqrt(((y - y.mean()) ** 2).sum() / (n - ddof))
    sigma = x.std(axis=0, ddof=ddof) if standardize else np.ones(x.shape[1])
    xs = x / sigma
    if lam == 0.0:
        m = LinearRegression(fit_intercept=intercept).fit(xs, y)
    elif alpha == 0.0:
        m = Ridge(alpha=n * lam / sigma_y, fit_intercept=intercept, tol=1e-12, solver="cholesky").fit(xs, y)
    else:
        a = alpha * lam + (1 - alpha) * lam / sigma_y
        m = ElasticNet(alpha=a, l1_ratio=alpha * lam / a, fit_intercept=intercept, tol=1e-14,
                       max_iter=1_000_000).fit(xs, y)
    return (m.coef_ / sigma).tolist(), float(m.intercept_)


def spark_fit(spark, x, y, lam, alpha, standardize, intercept, solver="normal"):
    from pyspark.ml.linalg import Vectors
    from pyspark.ml.regression import LinearRegression
    df = spark.createDataFrame([(float(t), Vectors.dense(r.tolist())) for r, t in zip(x, y)], ["label", "features"])
    m = LinearRegression(solver=solver, regParam=lam, elasticNetParam=alpha, standardization=standardize,
                         fitIntercept=intercept, tol=1e-12, maxIter=10_000).fit(df)
    return m.coefficients.toArray().tolist(), float(m.intercept), m.summary.rootMeanSquaredError, m.summary.r2


def main():
    import sklearn
    if "--spark" not in sys.argv:
        export_diabetes()
    x, y = load()
    out = json.load(open(OUT)) if "--spark" in sys.argv else {"versions": {"sklearn": sklearn.__version__}, "cases": {}}
    if "--spark" in sys.argv:
        import pyspark
        from pyspark.sql import SparkSession
        spark = SparkSession.builder.master("local[2]").getOrCreate()
        out["versions"]["pyspark"] = pyspark.__version__
    for name, lam, alpha, standardize, intercept in CASES:
        case = out["cases"].setdefault(name, {"reg_param": lam, "elastic_net_param": alpha,
                                              "standardization": standardize, "fit_intercept": intercept})
        if "--spark" in sys.argv:
            coef, b, rmse, r2 = spark_fit(spark, x, y, lam, alpha, standardize, intercept)
            case["spark"] = {"coefficients": coef, "intercept": b, "rmse": rmse, "r2": r2}
            ref = np.array(case["sklearn"]["coefficients"] + [case["sklearn"]["intercept"]])
            got = np.array(coef + [b])
            assert np.allclose(got, ref, rtol=1e-4, atol=1e-6), (name, got, ref)
            coef, b, rmse, r2 = spark_fit(spark, x, y, lam, alpha, standardize, intercept, "l-bfgs")
            case["spark_lbfgs"] = {"coefficients": coef, "intercept": b, "rmse": rmse, "r2": r2}
            ref = np.array(case["sklearn_lbfgs"]["coefficients"] + [case["sklearn_lbfgs"]["intercept"]])
            got = np.array(coef + [b])
            assert np.allclose(got, ref, rtol=1e-4, atol=1e-6), (name, "l-bfgs", got, ref)
        else:
            coef, b = sklearn_fit(x, y, lam, alpha, standardize, intercept)
            case["sklearn"] = {"coefficients": coef, "intercept": b}
            coef, b = sklearn_fit(x, y, lam, alpha, standardize, intercept, ddof=1)
            case["sklearn_lbfgs"] = {"coefficients": coef, "intercept": b}
    with open(OUT, "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
