//! What fitted models show in notebooks (text and HTML) and their charts (Plotly figures), on small models whose
//! figures are worked by hand.

use crate::common::session;
use flint_engine::prelude::*;
use flint_mllib::prelude::*;
use serde_json::Value;

type TestResult<T = ()> = std::result::Result<T, Box<dyn std::error::Error>>;

/// The text and the HTML of a notebook form.
fn forms(bundle: Vec<(&'static str, String)>) -> (String, String) {
    let form = |mime: &str| bundle.iter().find(|(m, _)| *m == mime).map(|(_, v)| v.clone()).unwrap_or_default();
    (form("text/plain"), form("text/html"))
}

fn figure(chart: &flint_engine::dataframe::Chart) -> TestResult<Value> {
    Ok(serde_json::from_str(&chart.to_json())?)
}

/// Two groups of three points, around (0.1, 0.1/3) and (9.1, 27.2/3).
fn two_groups(session: &Session) -> TestResult<DataFrame> {
    let points = vec![(0.0, 0.0), (0.1, 0.1), (0.2, 0.0), (9.0, 9.0), (9.1, 9.2), (9.2, 9.0)];
    Ok(VectorAssembler::new(["x", "y"], "features").transform(&session.create_dataframe(points, &["x", "y"])?)?)
}

#[test]
fn a_kmeans_model_shows_its_centres_and_cost_and_plots_its_clusters() -> TestResult {
    let s = session();
    let df = two_groups(&s)?;
    let model = KMeans::new().k(2).seed(1).fit(&df)?;
    let (text, html) = forms(model.mime_bundle());
    assert!(text.starts_with("KMeansModel: k=2, distanceMeasure=euclidean, numFeatures=2\n"), "{text}");
    // Worked by hand: each group's squared distances to its mean sum to 0.08/3 and 0.14/3.
    approx::assert_relative_eq!(model.training_cost(), 0.22 / 3.0, max_relative = 1e-9);
    assert!(text.contains(&format!("trainingCost: {:?}\nclusterSizes: [3, 3]\n", model.training_cost())), "{text}");
    assert!(text.contains("clusterCenters:\n+-------+"), "{text}");
    for (i, centre) in model.cluster_centers().iter().enumerate() {
        let [x, y] = [0, 1].map(|j| format!("{:?}", centre.get(j).unwrap_or_default()));
        assert!(html.contains(&format!("<tr><td>{i}</td><td>{x}</td><td>{y}</td></tr>")), "{html}");
    }
    assert!(html.contains("<thead><tr><th>cluster</th><th>x0</th><th>x1</th></tr></thead>"), "{html}");

    let scored = model.transform(&df)?;
    let chart = figure(&model.plot_clusters(&scored, 0, 1)?)?;
    let traces = chart["data"].as_array().cloned().unwrap_or_default();
    let sizes: Vec<usize> = traces.iter().map(|t| t["x"].as_array().map_or(0, Vec::len)).collect();
    assert_eq!(sizes, [3, 3, 2], "two clusters of three points, then the two centres");
    assert!(traces.iter().all(|t| t["type"] == "scatter" && t["mode"] == "markers"));
    assert_eq!(traces[2]["name"], "centers");
    assert_eq!(chart["layout"]["xaxis"]["title"]["text"], "x0");
    let err = model.plot_clusters(&scored, 0, 2).expect_err("no third feature").to_string();
    assert!(err.contains("y_dim") && err.contains("2 features"), "{err}");
    Ok(())
}

#[test]
fn a_linear_model_shows_its_coefficients_and_fit_and_plots_its_residuals() -> TestResult {
    let s = session();
    // y = 2x + 1 exactly: the fit is exact, r2 is 1 and the residuals are 0.
    let rows: Vec<(f64, f64)> = (0..5).map(|x| (x as f64, 2.0 * x as f64 + 1.0)).collect();
    let df = VectorAssembler::new(["x"], "features").transform(&s.create_dataframe(rows, &["x", "label"])?)?;
    let model = LinearRegression::new().fit(&df)?;
    let (text, html) = forms(model.mime_bundle());
    assert!(text.starts_with("LinearRegressionModel: numFeatures=1\nintercept: "), "{text}");
    assert!(text.contains("numInstances: 5\nr2: ") && text.contains("rootMeanSquaredError: "), "{text}");
    approx::assert_relative_eq!(model.summary().r2, 1.0, epsilon = 1e-9);
    assert!(html.contains("<caption>coefficients</caption>\n<thead><tr><th>feature</th><th>coefficient</th>"));
    let coefficient = format!("<tr><td>0</td><td>{:?}</td></tr>", model.coefficients().get(0)?);
    assert!(html.contains(&coefficient), "{html}");

    let chart = figure(&model.plot_residuals(&model.transform(&df)?, "label")?)?;
    let residuals: Vec<f64> =
        chart["data"][0]["y"].as_array().into_iter().flatten().filter_map(Value::as_f64).collect();
    assert_eq!((chart["data"][0]["type"].as_str(), residuals.len()), (Some("scatter"), 5));
    assert!(residuals.iter().all(|r| r.abs() < 1e-9), "{residuals:?}");
    assert_eq!(chart["layout"]["xaxis"]["title"]["text"], "prediction");
    assert!(model.plot_residuals(&df, "nope").is_err());
    Ok(())
}

#[test]
fn a_logistic_model_shows_its_threshold_accuracy_and_coefficients() -> TestResult {
    let s = session();
    let rows = vec![(0.0, 0.0), (0.5, 0.0), (1.0, 0.0), (3.0, 1.0), (3.5, 1.0), (4.0, 1.0)];
    let df = VectorAssembler::new(["x"], "features").transform(&s.create_dataframe(rows, &["x", "label"])?)?;
    let model = LogisticRegression::new().reg_param(0.1).fit(&df)?;
    let (text, html) = forms(model.mime_bundle());
    // Separable at x = 2: every training row is right.
    assert!(text.starts_with("LogisticRegressionModel: numClasses=2, numFeatures=1\nthreshold: 0.5\naccuracy: 1.0\n"));
    assert!(text.contains("areaUnderROC: 1.0\n"), "{text}");
    let row =
        format!("<tr><td>1</td><td>{:?}</td><td>{:?}</td></tr>", model.intercept()?, model.coefficients()?.get(0)?);
    assert!(html.contains("<th>class</th><th>intercept</th><th>x0</th>") && html.contains(&row), "{html}");
    Ok(())
}

#[test]
fn feature_models_show_their_statistics() -> TestResult {
    let s = session();
    let df = VectorAssembler::new(["x", "y"], "features")
        .transform(&s.create_dataframe(vec![(1.0, 2.0), (2.0, 4.0), (3.0, 6.0)], &["x", "y"])?)?;
    // Worked by hand: means 2 and 4, sample deviations 1 and 2; extremes 1..3 and 2..6.
    let scaler = StandardScaler::new().input_col("features").output_col("scaled").with_mean(true).fit(&df)?;
    let (text, _) = forms(scaler.mime_bundle());
    assert_eq!(
        text,
        "StandardScalerModel: numFeatures=2\nwithMean: true\nwithStd: true\nstatistics:\n+-------+----+---+\n\
         |feature|mean|std|\n+-------+----+---+\n|      0| 2.0|1.0|\n|      1| 4.0|2.0|\n+-------+----+---+\n"
    );
    let min_max = MinMaxScaler::new().input_col("features").output_col("scaled").fit(&df)?;
    let (text, html) = forms(min_max.mime_bundle());
    assert!(text.starts_with("MinMaxScalerModel: numFeatures=2\nmin: 0.0\nmax: 1.0\n"), "{text}");
    assert!(html.contains("<tr><td>1</td><td>2.0</td><td>6.0</td></tr>"), "{html}");

    // The points lie on a line: the first component explains all the variance.
    let pca = Pca::new().k(2).input_col("features").output_col("pca").fit(&df)?;
    let (text, html) = forms(pca.mime_bundle());
    assert!(text.starts_with("PCAModel: k=2, numFeatures=2\nexplainedVariance:\n"), "{text}");
    assert!(html.contains("<th>component</th><th>explainedVariance</th><th>cumulative</th>"), "{html}");
    assert!(html.contains("<tr><td>PC2</td>"), "{html}");
    let bars = figure(&pca.plot_explained_variance())?;
    assert_eq!(
        (bars["data"][0]["type"].as_str(), &bars["data"][0]["x"]),
        (Some("bar"), &serde_json::json!(["PC1", "PC2"]))
    );
    approx::assert_relative_eq!(bars["data"][0]["y"][0].as_f64().unwrap_or_default(), 1.0, epsilon = 1e-9);
    Ok(())
}

#[test]
fn als_and_pipeline_models_show_what_they_hold() -> TestResult {
    let s = session();
    let ratings =
        s.create_dataframe(vec![(1, 10, 4.0), (2, 10, 3.0), (3, 20, 5.0), (1, 20, 1.0)], &["user", "item", "rating"])?;
    let als = Als::new().rank(2).max_iter(2).seed(3).fit(&ratings)?;
    let (text, _) = forms(als.mime_bundle());
    assert_eq!(text, "ALSModel: rank=2\nusers: 3\nitems: 2\nimplicitPrefs: false\n");

    let points = s.create_dataframe(vec![(0.0, 0.1), (0.2, 0.0), (9.0, 9.1), (9.2, 8.9)], &["x", "y"])?;
    let pipeline = Pipeline::new()
        .with_transformer(VectorAssembler::new(["x", "y"], "features"))
        .with_estimator(KMeans::new().k(2).seed(1))
        .fit(&points)?;
    let (text, html) = forms(pipeline.mime_bundle());
    assert!(text.starts_with("PipelineModel: numStages=2\nstages:\n"), "{text}");
    assert!(html.contains("<td>VectorAssembler</td>") && html.contains("<td>KMeansModel</td>"), "{html}");
    Ok(())
}
