//! k-means against scikit-learn: the same fixed point from the same initial centres, and the initialisations.

use crate::common::*;
use flint_mllib::clustering::{DistanceMeasure, InitMode, KMeans};
use flint_mllib::linalg::Vectors;

#[test]
fn lloyd_from_given_centres_reaches_scikit_learns_fixed_point() {
    let session = session();
    let e = expected();
    let e = &e["iris_kmeans"];
    let rows = iris(&session, 1).collect().expect("iris");
    let start = vec![rows[0].clone(), rows[50].clone(), rows[100].clone()];
    for partitions in [1, 4] {
        let model = KMeans::new()
            .k(3)
            .max_iter(300)
            .tol(0.0)
            .initial_centers(start.clone())
            .fit_rdd(&iris(&session, partitions))
            .expect("fit");
        approx::assert_relative_eq!(
            model.training_cost(),
            e["inertia"].as_f64().expect("inertia"),
            max_relative = 1e-10
        );
        for (c, expected) in model.cluster_centers().iter().zip(matrix(&e["centers"])) {
            assert_all_close(&c.to_array(), &expected, 1e-10);
        }
        let sizes: Vec<u64> = e["sizes"].as_array().expect("sizes").iter().map(|s| s.as_u64().expect("size")).collect();
        assert_eq!(model.summary().cluster_sizes, sizes);
        approx::assert_relative_eq!(
            model.compute_cost(&iris(&session, 3)).expect("cost"),
            model.training_cost(),
            max_relative = 1e-12
        );
        let labels = model.predict_rdd(&iris(&session, partitions)).collect().expect("predict");
        assert_eq!(labels.iter().filter(|&&l| l == 0).count() as u64, sizes[0]);
    }
}

#[test]
fn k_means_parallel_finds_irises_best_clusters_and_both_inits_are_reproducible() {
    let session = session();
    let optimum = expected()["iris_kmeans"]["inertia"].as_f64().expect("inertia");
    // k = 3 on iris has two Lloyd fixed points worth knowing: the best, 78.85 (scikit-learn's above), and 142.75,
    // where two species are merged. k-means‖ must land by the best (within tol = 1e-4 of it) from every seed.
    for seed in 1..=5 {
        let model = KMeans::new().k(3).seed(seed).max_iter(100).fit_rdd(&iris(&session, 2)).expect("fit");
        assert!(model.training_cost() < optimum * 1.001, "seed {seed}: cost {}", model.training_cost());
        assert_eq!(model.summary().cluster_sizes.iter().sum::<u64>(), 150);
    }
    for mode in [InitMode::KMeansParallel, InitMode::Random] {
        let fit = || KMeans::new().k(3).seed(7).init_mode(mode).max_iter(100).fit_rdd(&iris(&session, 3)).expect("fit");
        let (a, b) = (fit(), fit());
        assert_eq!(a.cluster_centers(), b.cluster_centers(), "{mode:?}: same seed, same model");
        assert!(a.summary().num_iter < 100, "{mode:?}: converged");
        assert!(a.training_cost() < 142.76, "{mode:?}: cost {}", a.training_cost());
    }
    // Spark's RDD-style entry point.
    let model = KMeans::train(&iris(&session, 2), 3, 20).expect("train");
    assert_eq!(model.k(), 3);
}

#[test]
fn cosine_distance_clusters_by_direction_and_sparse_input_stays_usable() {
    let session = session();
    let points = vec![
        Vectors::sparse(3, vec![0], vec![1.0]).expect("v"),
        Vectors::sparse(3, vec![0], vec![10.0]).expect("v"),
        Vectors::sparse(3, vec![0, 1], vec![5.0, 0.1]).expect("v"),
        Vectors::sparse(3, vec![2], vec![2.0]).expect("v"),
        Vectors::sparse(3, vec![2], vec![20.0]).expect("v"),
        Vectors::sparse(3, vec![1, 2], vec![0.1, 7.0]).expect("v"),
    ];
    let rdd = session.parallelize(points, 2);
    let model = KMeans::new().k(2).seed(3).distance_measure(DistanceMeasure::Cosine).fit_rdd(&rdd).expect("fit");
    let a = model.predict(&Vectors::dense(vec![3.0, 0.0, 0.0])).expect("predict");
    let b = model.predict(&Vectors::dense(vec![0.0, 0.0, 0.5])).expect("predict");
    assert_ne!(a, b);
    assert_eq!(model.summary().cluster_sizes, vec![3, 3]);
    for c in model.cluster_centers() {
        approx::assert_relative_eq!(c.norm_sq(), 1.0, max_relative = 1e-12);
    }
    // Worked by hand: each point's cosine distance to its cluster's unit mean direction is small.
    assert!(model.training_cost() < 0.01, "{}", model.training_cost());
}

#[test]
fn bad_parameters_and_bad_data_are_clear_errors() {
    let session = session();
    let data = session.parallelize(vec![Vectors::dense(vec![1.0, 2.0]), Vectors::dense(vec![3.0, 4.0])], 2);
    let err = KMeans::new().k(1).fit_rdd(&data).expect_err("k");
    assert_eq!(err.to_string(), "invalid parameter `k` of KMeans: must be at least 2, got 1");
    let err = KMeans::new().tol(-1.0).fit_rdd(&data).expect_err("tol");
    assert!(err.to_string().contains("`tol`"), "{err}");
    let err = KMeans::new().k(3).fit_rdd(&data).expect_err("k > rows");
    assert!(err.to_string().contains("k = 3 clusters cannot be made from 2 rows"), "{err}");
    let err = "kmeans++".parse::<InitMode>().expect_err("init mode");
    assert!(err.to_string().contains("use k-means|| or random"), "{err}");
    let nan = session.parallelize(vec![Vectors::dense(vec![1.0, f64::NAN]), Vectors::dense(vec![3.0, 4.0])], 1);
    let err = KMeans::new().fit_rdd(&nan).expect_err("NaN");
    assert!(err.to_string().contains("NaN or infinite values: [1.0,NaN]"), "{err}");
    let mixed = session.parallelize(vec![Vectors::dense(vec![1.0, 2.0]), Vectors::dense(vec![3.0])], 2);
    let err = KMeans::new().fit_rdd(&mixed).expect_err("sizes");
    assert!(err.to_string().contains("a row has 1 features where the first row has 2"), "{err}");
    let empty = session.parallelize(Vec::<flint_mllib::linalg::Vector>::new(), 2);
    assert!(KMeans::new().fit_rdd(&empty).expect_err("empty").to_string().contains("the training data is empty"));
    let zero = session.parallelize(vec![Vectors::dense(vec![0.0, 0.0]), Vectors::dense(vec![3.0, 4.0])], 1);
    let err = KMeans::new().distance_measure(DistanceMeasure::Cosine).fit_rdd(&zero).expect_err("zero");
    assert!(err.to_string().contains("cosine distance is undefined"), "{err}");
    let model = KMeans::new().fit_rdd(&data).expect("fit");
    let err = model.predict(&Vectors::dense(vec![1.0])).expect_err("size");
    assert!(err.to_string().contains("the model has 2 features, the point has 1"), "{err}");
}

#[test]
fn dataframe_pipeline_assembles_fits_and_scores_like_the_rdd_api() {
    use flint_mllib::feature::VectorAssembler;
    use flint_mllib::pipeline::{Estimator, Pipeline, Transformer};
    let session = session();
    let e = expected();
    let iris_df = session
        .read()
        .option("inferSchema", true)
        .csv(&flint_engine::datasets::path("iris.csv"))
        .expect("iris.csv")
        .to_df(["sepal_length", "sepal_width", "petal_length", "petal_width", "label"])
        .expect("names");
    let rows = iris(&session, 1).collect().expect("iris");
    let kmeans = KMeans::new().k(3).max_iter(300).tol(0.0).initial_centers(vec![
        rows[0].clone(),
        rows[50].clone(),
        rows[100].clone(),
    ]);
    let assembler = VectorAssembler::new(["sepal_length", "sepal_width", "petal_length", "petal_width"], "features");
    let model =
        Pipeline::new().with_transformer(assembler.clone()).with_estimator(kmeans.clone()).fit(&iris_df).expect("fit");
    let scored = model.transform(&iris_df).expect("transform");
    assert_eq!(
        scored.columns(),
        vec!["sepal_length", "sepal_width", "petal_length", "petal_width", "label", "features", "prediction"]
    );
    // The same fixed point as scikit-learn's, through the DataFrame path.
    let sizes = scored
        .group_by(["prediction"])
        .count()
        .expect("count")
        .order_by(["prediction"])
        .expect("sort")
        .collect()
        .expect("rows");
    let sizes: Vec<i64> = sizes.iter().map(|r| r.get_as::<i64>("count").expect("count")).collect();
    let expected_sizes: Vec<i64> =
        e["iris_kmeans"]["sizes"].as_array().expect("sizes").iter().map(|s| s.as_i64().expect("size")).collect();
    assert_eq!(sizes, expected_sizes);
    let direct = kmeans.fit(&assembler.transform(&iris_df).expect("assemble")).expect("fit");
    approx::assert_relative_eq!(
        direct.training_cost(),
        e["iris_kmeans"]["inertia"].as_f64().expect("inertia"),
        max_relative = 1e-10
    );
    // Spark's display of vectors and of the schema.
    let shown = scored.select(["features", "prediction"]).expect("select").show_string(2, 20, false).expect("show");
    assert!(shown.contains("|[5.1,3.5,1.4,0.2]|"), "{shown}");
    assert!(scored.schema_string().contains("|-- features: vector (nullable = true)"), "{}", scored.schema_string());
    // A features column of the wrong size fails the query with the model's message.
    let narrow =
        VectorAssembler::new(["sepal_length", "sepal_width"], "features").transform(&iris_df).expect("assemble");
    let err = direct.transform(&narrow).expect("plan").collect().expect_err("size");
    assert!(err.to_string().contains("the model has 4 features, the point has 2"), "{err}");
}

#[test]
fn vector_assembler_handles_invalid_rows_as_spark_does() {
    use flint_mllib::feature::{HandleInvalid, VectorAssembler};
    use flint_mllib::pipeline::Transformer;
    let session = session();
    let df = session
        .sql(
            "SELECT CAST(a AS DOUBLE) AS a, CAST(b AS DOUBLE) AS b \
             FROM VALUES ('1', '0'), ('NaN', '2'), (NULL, '3') AS t(a, b)",
        )
        .expect("df");
    let assemble = |how| VectorAssembler::new(["a", "b"], "v").handle_invalid(how).transform(&df).expect("plan");
    let err = assemble(HandleInvalid::Error).collect().expect_err("invalid");
    assert!(err.to_string().contains("encountered NaN in column `a` while assembling row 1"), "{err}");
    assert_eq!(assemble(HandleInvalid::Skip).count().expect("count"), 1);
    let kept = assemble(HandleInvalid::Keep).select(["v"]).expect("v").show_string(5, 0, false).expect("show");
    assert!(kept.contains("|[1.0,0.0]|") && kept.contains("|[NaN,2.0]|") && kept.contains("|[NaN,3.0]|"), "{kept}");
    let err = VectorAssembler::new(["a", "nope"], "v").transform(&df).expect_err("missing");
    assert!(err.to_string().contains("input column `nope` does not exist"), "{err}");
    assert!("drop".parse::<HandleInvalid>().is_err());
}

#[test]
fn k_means_parallel_separates_ten_blobs_from_every_seed() {
    // Ten unit-variance blobs in 20 dimensions, centres drawn in [-10, 10]²⁰ (some pairs only ~4σ apart). The
    // cost at the blobs' own means is the optimum; the greedy seeding must find it from every seed.
    use rand::{Rng, SeedableRng};
    let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(42);
    let centres: Vec<Vec<f64>> = (0..10).map(|_| (0..20).map(|_| rng.gen_range(-10.0..10.0)).collect()).collect();
    let rows: Vec<Vec<f64>> =
        (0..2000).map(|i| centres[i % 10].iter().map(|c| c + rng.gen_range(-1.7..1.7)).collect()).collect();
    let optimum: f64 = (0..10)
        .map(|b| {
            let members: Vec<&Vec<f64>> = rows.iter().skip(b).step_by(10).collect();
            let mean: Vec<f64> =
                (0..20).map(|j| members.iter().map(|r| r[j]).sum::<f64>() / members.len() as f64).collect();
            members.iter().map(|r| r.iter().zip(&mean).map(|(x, m)| (x - m) * (x - m)).sum::<f64>()).sum::<f64>()
        })
        .sum();
    let session = session();
    let data = session.parallelize(rows.into_iter().map(Vectors::dense).collect(), 3);
    for seed in 1..=5 {
        let model = KMeans::new().k(10).seed(seed).fit_rdd(&data).expect("fit");
        assert!(model.training_cost() < optimum * 1.000_001, "seed {seed}: {} vs {optimum}", model.training_cost());
    }
}
