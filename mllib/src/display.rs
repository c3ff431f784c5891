//! How fitted models show in notebooks. Each model implements the engine's
//! [`NotebookDisplay`](flint_engine::notebook::NotebookDisplay) beside its other forms (as it implements `Persist`):
//! a [`Report`] titled with Spark's `toString` of the model (`KMeansModel: k=2, …`), its training summary when it
//! has one, and its figures in tables laid out by the helpers here.

use flint_engine::notebook::Report;

/// A double as MLlib prints the entries of a vector (`1.0`, `0.25`, `1e-7`).
pub(crate) fn number(v: f64) -> String {
    format!("{v:?}")
}

/// Adds a table of per-feature figures: the feature's index, then one column per named series.
pub(crate) fn feature_table(report: Report, caption: &str, columns: &[(&str, &[f64])]) -> Report {
    let header = std::iter::once("feature").chain(columns.iter().map(|(name, _)| *name)).map(String::from).collect();
    let features = columns.iter().map(|(_, values)| values.len()).max().unwrap_or(0);
    let rows = (0..features)
        .map(|j| {
            let figures = columns.iter().map(|(_, values)| values.get(j).map_or_else(String::new, |&v| number(v)));
            std::iter::once(j.to_string()).chain(figures).collect()
        })
        .collect();
    report.table(caption, header, rows)
}
