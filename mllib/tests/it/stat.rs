//! Column statistics, correlations, chi-square tests and `RowMatrix` against NumPy, SciPy and scikit-learn.

use crate::common::*;
use flint_mllib::distributed::RowMatrix;
use flint_mllib::linalg::{DenseMatrix, Vectors};
use flint_mllib::regression::LabeledPoint;
use flint_mllib::stat::{CorrelationMethod, Statistics};

#[test]
fn col_stats_of_iris_match_numpy_at_any_partitioning() {
    let session = session();
    let e = expected();
    let e = &e["iris_summary"];
    for partitions in [1, 4, 7] {
        let s = Statistics::col_stats(&iris(&session, partitions)).expect("col_stats");
        assert_eq!(s.count(), 150);
        assert_all_close(&s.mean().expect("mean").to_array(), &floats(&e["mean"]), 1e-13);
        assert_all_close(&s.variance().expect("variance").to_array(), &floats(&e["variance"]), 1e-12);
        assert_all_close(&s.min().expect("min").to_array(), &floats(&e["min"]), 0.0);
        assert_all_close(&s.max().expect("max").to_array(), &floats(&e["max"]), 0.0);
        assert_all_close(&s.num_nonzeros().expect("nnz").to_array(), &floats(&e["num_nonzeros"]), 0.0);
        assert_all_close(&s.norm_l1().expect("l1").to_array(), &floats(&e["norm_l1"]), 1e-13);
        assert_all_close(&s.norm_l2().expect("l2").to_array(), &floats(&e["norm_l2"]), 1e-13);
    }
}

#[test]
fn pearson_and_spearman_matrices_match_numpy_and_scipy() {
    let session = session();
    let e = expected();
    for (method, key) in [(CorrelationMethod::Pearson, "iris_pearson"), (CorrelationMethod::Spearman, "iris_spearman")]
    {
        for partitions in [1, 3] {
            let corr = Statistics::corr(&iris(&session, partitions), method).expect("corr");
            for (i, row) in matrix(&e[key]).iter().enumerate() {
                let actual: Vec<f64> = (0..4).map(|j| corr.get(i, j).expect("entry")).collect();
                assert_all_close(&actual, row, 1e-12);
            }
        }
    }
    // Two series: petal length against petal width.
    let rows = iris(&session, 2).collect().expect("iris");
    let x = session.parallelize(rows.iter().map(|v| v.get(2).expect("x")).collect(), 2);
    let y = session.parallelize(rows.iter().map(|v| v.get(3).expect("y")).collect(), 2);
    let r = Statistics::corr_pair(&x, &y, "spearman".parse().expect("method")).expect("corr_pair");
    approx::assert_relative_eq!(r, matrix(&e["iris_spearman"])[2][3], max_relative = 1e-12);
    assert!("kendall".parse::<CorrelationMethod>().is_err());
}

#[test]
fn a_constant_column_correlates_as_nan_as_in_spark() {
    let session = session();
    let rows = session.parallelize(
        vec![Vectors::dense(vec![1.0, 5.0]), Vectors::dense(vec![2.0, 5.0]), Vectors::dense(vec![3.0, 5.0])],
        2,
    );
    let corr = Statistics::corr(&rows, CorrelationMethod::Pearson).expect("corr");
    assert_eq!(corr.get(0, 0), Some(1.0));
    assert!(corr.get(0, 1).expect("entry").is_nan());
    assert!(corr.get(1, 1).expect("entry").is_nan());
}

#[test]
fn chi_square_tests_match_scipy_on_sparks_documented_examples() {
    let session = session();
    let e = expected();
    let check = |r: &flint_mllib::stat::ChiSqTestResult, e: &serde_json::Value| {
        approx::assert_relative_eq!(r.statistic, e["statistic"].as_f64().expect("statistic"), max_relative = 1e-12);
        approx::assert_relative_eq!(r.p_value, e["p_value"].as_f64().expect("p"), max_relative = 1e-10);
        assert_eq!(r.degrees_of_freedom as u64, e["df"].as_u64().expect("df"));
        assert_eq!(r.method, "pearson");
    };
    let gof = Statistics::chi_sq_test(&Vectors::dense(vec![0.1, 0.15, 0.2, 0.3, 0.25])).expect("gof");
    check(&gof, &e["chi_sq_goodness"]);
    assert!(gof.to_string().contains("No presumption against null hypothesis: observed follows the same"));
    let m = DenseMatrix::new(3, 2, vec![1.0, 3.0, 5.0, 2.0, 4.0, 6.0]).expect("matrix");
    check(&Statistics::chi_sq_test_matrix(&m).expect("independence"), &e["chi_sq_matrix"]);
    let points = session.parallelize(
        vec![
            LabeledPoint::new(1.0, Vectors::dense(vec![1.0, 0.0, 3.0])),
            LabeledPoint::new(1.0, Vectors::dense(vec![1.0, 2.0, 0.0])),
            LabeledPoint::new(-1.0, Vectors::dense(vec![-1.0, 0.0, -0.5])),
        ],
        2,
    );
    let results = Statistics::chi_sq_test_features(&points).expect("features");
    assert_eq!(results.len(), 3);
    for (r, e) in results.iter().zip(e["chi_sq_features"].as_array().expect("features")) {
        check(r, e);
    }
    // Bad input: a zero column, negative counts, mismatched expected sizes.
    let zero = DenseMatrix::new(2, 2, vec![1.0, 2.0, 0.0, 0.0]).expect("matrix");
    let err = Statistics::chi_sq_test_matrix(&zero).expect_err("zero column");
    assert!(err.to_string().contains("column 1 of the matrix sums to 0"), "{err}");
    assert!(Statistics::chi_sq_test(&Vectors::dense(vec![1.0, -1.0])).is_err());
    let err = Statistics::chi_sq_test_expected(&Vectors::dense(vec![1.0, 2.0]), &Vectors::dense(vec![1.0]))
        .expect_err("sizes");
    assert!(err.to_string().contains("observed has 2 values but expected has 1"), "{err}");
}

#[test]
fn row_matrix_covariance_svd_and_pca_match_numpy_and_scikit_learn() {
    let session = session();
    let e = expected();
    for partitions in [1, 4] {
        let m = RowMatrix::new(iris(&session, partitions));
        assert_eq!(m.num_rows().expect("rows"), 150);
        assert_eq!(m.num_cols().expect("cols"), 4);
        let cov = m.compute_covariance().expect("covariance");
        for (i, row) in matrix(&e["iris_covariance"]).iter().enumerate() {
            let actual: Vec<f64> = (0..4).map(|j| cov.get(i, j).expect("entry")).collect();
            assert_all_close(&actual, row, 1e-12);
        }
        let svd = m.compute_svd(4, true, 1e-9).expect("svd");
        assert_all_close(&svd.s.to_array(), &floats(&e["iris_singular_values"]), 1e-9);
        // U Σ Vᵀ gives the rows back.
        let u = svd.u.expect("u").rows().collect().expect("u rows");
        let original = iris(&session, 1).collect().expect("iris");
        let sv = svd.s.to_array();
        for (ur, x) in u.iter().zip(&original) {
            for j in 0..4 {
                let back: f64 = (0..4).map(|c| ur.get(c).expect("u") * sv[c] * svd.v.get(j, c).expect("v")).sum();
                approx::assert_relative_eq!(back, x.get(j).expect("x"), max_relative = 1e-9);
            }
        }
        let (pc, explained) = m.compute_principal_components_and_explained_variance(2).expect("pca");
        assert_all_close(&explained.to_array(), &floats(&e["iris_pca"]["explained_variance_ratio"]), 1e-9);
        for (c, component) in matrix(&e["iris_pca"]["components"]).iter().enumerate() {
            let actual: Vec<f64> = (0..4).map(|j| pc.get(j, c).expect("pc")).collect();
            assert_all_close(&actual, component, 1e-9);
        }
    }
}

#[test]
fn row_matrix_keeps_sparse_rows_sparse_and_refuses_bad_input() {
    let session = session();
    // Worked by hand: rows (1,0,2), (0,3,0), (4,0,0) stored sparsely.
    let rows = session.parallelize(
        vec![
            Vectors::sparse(3, vec![0, 2], vec![1.0, 2.0]).expect("v"),
            Vectors::sparse(3, vec![1], vec![3.0]).expect("v"),
            Vectors::sparse(3, vec![0], vec![4.0]).expect("v"),
        ],
        2,
    );
    let m = RowMatrix::new(rows);
    let g = m.compute_gramian_matrix().expect("gramian");
    assert_eq!(g.to_array(), vec![17.0, 0.0, 2.0, 0.0, 9.0, 0.0, 2.0, 0.0, 4.0]);
    // Column means (5/3, 1, 2/3); covariance entry (0,0) = (1 + 16 − 3·25/9)/2.
    let cov = m.compute_covariance().expect("covariance");
    approx::assert_relative_eq!(cov.get(0, 0).expect("entry"), (17.0 - 75.0 / 9.0) / 2.0, max_relative = 1e-12);
    let err = m.compute_principal_components(4).expect_err("k too large");
    assert!(err.to_string().contains("invalid parameter `k` of PCA: must be in [1, 3]"), "{err}");
    let err = m.multiply(&DenseMatrix::eye(2)).expect_err("sizes");
    assert!(err.to_string().contains("3 columns but the right-hand side has 2 rows"), "{err}");
    let product = m.multiply(&DenseMatrix::eye(3)).expect("multiply").rows().collect().expect("rows");
    assert_eq!(product[2].to_array(), vec![4.0, 0.0, 0.0]);
    let mixed = session.parallelize(vec![Vectors::dense(vec![1.0, 2.0]), Vectors::dense(vec![1.0])], 1);
    let err = RowMatrix::new(mixed).compute_gramian_matrix().expect_err("sizes");
    assert!(err.to_string().contains("rows must all have size 2, got one of size 1"), "{err}");
    let empty = session.parallelize(Vec::<flint_mllib::linalg::Vector>::new(), 2);
    assert!(RowMatrix::new(empty.clone()).num_cols().expect_err("empty").to_string().contains("no rows"));
    let summary = Statistics::col_stats(&empty).expect("a summary of nothing");
    assert_eq!(summary.count(), 0);
    assert!(summary.mean().expect_err("empty").to_string().contains("empty dataset"));
}

#[test]
fn covariance_of_many_chunks_equals_the_two_pass_formula() {
    // 5000 rows (several 2048-row chunks per partition, merged pairwise) against centring first, row by row.
    let session = session();
    let rows: Vec<Vec<f64>> = (0..5000)
        .map(|i| {
            let t = i as f64;
            vec![1e6 + (t * 0.37).sin(), (t * 0.11).cos() * 3.0 + t / 5000.0, (t * 0.05).sin() * (t * 0.013).cos()]
        })
        .collect();
    let mean: Vec<f64> = (0..3).map(|j| rows.iter().map(|r| r[j]).sum::<f64>() / 5000.0).collect();
    let m = RowMatrix::new(session.parallelize(rows.iter().map(|r| Vectors::dense(r.clone())).collect(), 3));
    let cov = m.compute_covariance().expect("covariance");
    let want = |i: usize, j: usize| rows.iter().map(|r| (r[i] - mean[i]) * (r[j] - mean[j])).sum::<f64>() / 4999.0;
    for i in 0..3 {
        for j in 0..3 {
            // Relative to the entry's scale √(var_i var_j): near-zero covariances carry the variances' rounding.
            let scale = (want(i, i) * want(j, j)).sqrt();
            let got = cov.get(i, j).expect("entry");
            assert!((got - want(i, j)).abs() <= 1e-9 * scale, "({i}, {j}): {got} vs {}", want(i, j));
        }
    }
}
