//! Charts of a DataFrame, Spark 4's `df.plot`: `line`, `bar`, `barh`, `scatter`, `area`, `pie` over the first
//! 1000 rows (Spark's `spark.sql.pyspark.plotting.max_rows`), and `hist`, `box_plot`, `kde` over every row.
//!
//! A [`Chart`] is a Plotly figure built with the `plotly` crate. In a notebook it shows as
//! `application/vnd.plotly.v1+json` (rendered by JupyterLab's Plotly extension), with an SVG drawing of the same
//! series as the `text/html` fallback, which needs no script and no network.

use super::DataFrame;
use crate::error::{Error, Result};
use datafusion::arrow::array::{Array, AsArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Float64Type};
use datafusion::arrow::record_batch::RecordBatch;
use plotly::common::{Fill, Mode, Orientation, Title};
use plotly::layout::{Axis, Layout};
use plotly::{Bar, BoxPlot, Pie, Plot, Scatter};

/// Rows the row-wise charts draw, as Spark's `spark.sql.pyspark.plotting.max_rows`.
pub const MAX_ROWS: usize = 1000;

/// The kinds of chart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Line,
    Bar,
    Barh,
    Scatter,
    Area,
    Pie,
    Hist,
    Box,
    Kde,
}

/// One named series: x labels (or numbers as text) and y values.
#[derive(Debug, Clone, PartialEq)]
struct Series {
    name: String,
    x: Vec<String>,
    y: Vec<f64>,
}

/// A chart of a DataFrame: a Plotly figure and the series it draws.
#[derive(Clone)]
pub struct Chart {
    kind: Kind,
    title: String,
    series: Vec<Series>,
    plot: Plot,
}

impl std::fmt::Debug for Chart {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Chart").field("kind", &self.kind).field("title", &self.title).finish_non_exhaustive()
    }
}

/// `df.plot()`: the chart builders.
#[derive(Debug, Clone, Copy)]
pub struct PlotAccessor<'a> {
    df: &'a DataFrame,
}

impl DataFrame {
    /// Charts of this DataFrame (Spark 4's `df.plot`).
    ///
    /// ```
    /// use flint_engine::prelude::*;
    ///
    /// let session = Session::builder().master("local[2]").build()?;
    /// let df = session.sql("SELECT * FROM VALUES (1, 2.0), (2, 3.5), (3, 1.0) AS t(day, sales)")?;
    /// let chart = df.plot().bar("day", &["sales"])?;
    /// assert!(chart.to_json().contains("\"type\":\"bar\""));
    /// # Ok::<(), flint_engine::Error>(())
    /// ```
    pub fn plot(&self) -> PlotAccessor<'_> {
        PlotAccessor { df: self }
    }
}

/// The named columns (each once), collected in one query.
struct Columns {
    names: Vec<String>,
    batches: Vec<RecordBatch>,
}

impl Columns {
    #[track_caller]
    fn collect(df: &DataFrame, names: &[&str]) -> Result<Columns> {
        let mut unique: Vec<String> = Vec::with_capacity(names.len());
        for name in names {
            if !unique.iter().any(|u| u == name) {
                unique.push(name.to_string());
            }
        }
        let batches = df.select(unique.iter().map(String::as_str).collect::<Vec<_>>())?.collect_batches()?;
        Ok(Columns { names: unique, batches })
    }

    /// One column's values as text (nulls as `null`).
    fn text(&self, name: &str) -> Result<Vec<String>> {
        let index = self.index(name);
        let mut text = Vec::new();
        for batch in &self.batches {
            let strings = cast(batch.column(index), &DataType::Utf8)?;
            let strings = strings.as_string::<i32>();
            text.extend((0..strings.len()).map(|i| if strings.is_null(i) { "null" } else { strings.value(i) }.into()));
        }
        Ok(text)
    }

    /// One column's values as doubles (NaN for nulls); the column must be numeric.
    fn numbers(&self, name: &str) -> Result<Vec<f64>> {
        let index = self.index(name);
        let mut numbers = Vec::new();
        for batch in &self.batches {
            let array = batch.column(index);
            if !array.data_type().is_numeric() {
                return Err(Error::param(
                    name,
                    format!("a chart needs numbers here, and `{name}` is {}", array.data_type()),
                ));
            }
            let doubles = cast(array, &DataType::Float64)?;
            numbers.extend(doubles.as_primitive::<Float64Type>().iter().map(|v| v.unwrap_or(f64::NAN)));
        }
        Ok(numbers)
    }

    fn index(&self, name: &str) -> usize {
        self.names.iter().position(|n| n == name).unwrap_or_default()
    }
}

impl PlotAccessor<'_> {
    #[track_caller]
    fn xy(&self, kind: Kind, x: &str, ys: &[&str]) -> Result<Chart> {
        if ys.is_empty() {
            return Err(Error::param("y", "name at least one column to draw"));
        }
        let columns = Columns::collect(&self.df.limit(MAX_ROWS)?, &[&[x], ys].concat())?;
        let labels = columns.text(x)?;
        let mut series = Vec::with_capacity(ys.len());
        for y in ys {
            series.push(Series { name: y.to_string(), x: labels.clone(), y: columns.numbers(y)? });
        }
        Ok(Chart::new(kind, format!("{} by {x}", ys.join(", ")), series, [Some(x), None]))
    }

    /// Lines of `y` columns against `x`.
    #[track_caller]
    pub fn line(&self, x: &str, y: &[&str]) -> Result<Chart> {
        self.xy(Kind::Line, x, y)
    }

    /// Vertical bars of `y` columns for each `x`.
    #[track_caller]
    pub fn bar(&self, x: &str, y: &[&str]) -> Result<Chart> {
        self.xy(Kind::Bar, x, y)
    }

    /// Horizontal bars of `y` columns for each `x`.
    #[track_caller]
    pub fn barh(&self, x: &str, y: &[&str]) -> Result<Chart> {
        self.xy(Kind::Barh, x, y)
    }

    /// Points of `y` against `x`.
    #[track_caller]
    pub fn scatter(&self, x: &str, y: &str) -> Result<Chart> {
        self.xy(Kind::Scatter, x, &[y])
    }

    /// Filled areas under `y` columns against `x`.
    #[track_caller]
    pub fn area(&self, x: &str, y: &[&str]) -> Result<Chart> {
        self.xy(Kind::Area, x, y)
    }

    /// Shares of `y` for each label `x`.
    #[track_caller]
    pub fn pie(&self, x: &str, y: &str) -> Result<Chart> {
        self.xy(Kind::Pie, x, &[y])
    }

    /// Histograms of numeric columns over every row: `bins` equal bins from the smallest to the largest value of
    /// all the columns (the last bin holds the largest), as Spark's `plot.hist`.
    #[track_caller]
    pub fn hist(&self, columns: &[&str], bins: usize) -> Result<Chart> {
        if bins == 0 {
            return Err(Error::param("bins", "a histogram needs at least one bin"));
        }
        let values = self.numeric_columns(columns)?;
        let all = values.iter().flat_map(|(_, v)| v.iter().copied());
        let (lo, hi) = all.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| (lo.min(v), hi.max(v)));
        let width = if hi > lo { (hi - lo) / bins as f64 } else { 1.0 };
        let edges: Vec<f64> = (0..=bins).map(|i| lo + width * i as f64).collect();
        let series = values
            .into_iter()
            .map(|(name, vals)| {
                let mut counts = vec![0.0; bins];
                for v in vals {
                    let bin = (((v - lo) / width) as usize).min(bins - 1);
                    counts[bin] += 1.0;
                }
                let x = edges.windows(2).map(|e| format!("{}", (e[0] + e[1]) / 2.0)).collect();
                Series { name, x, y: counts }
            })
            .collect();
        Ok(Chart::new(Kind::Hist, format!("histogram of {}", columns.join(", ")), series, [None, None]))
    }

    /// Box plots of numeric columns over every row.
    #[track_caller]
    pub fn box_plot(&self, columns: &[&str]) -> Result<Chart> {
        let series = self
            .numeric_columns(columns)?
            .into_iter()
            .map(|(name, y)| Series { x: vec![name.clone(); y.len()], name, y })
            .collect();
        Ok(Chart::new(Kind::Box, format!("box plot of {}", columns.join(", ")), series, [None, None]))
    }

    /// Kernel density estimates of numeric columns over every row: Gaussian kernels with Scott's bandwidth
    /// (`n^(-1/5)` times the sample standard deviation, as Spark's default `bw_method`) unless `bandwidth` is
    /// given, evaluated at `points` points spread over the data's range widened by 3 bandwidths.
    #[track_caller]
    pub fn kde(&self, columns: &[&str], bandwidth: Option<f64>, points: usize) -> Result<Chart> {
        if points < 2 {
            return Err(Error::param("points", "a density curve needs at least 2 points"));
        }
        if bandwidth.is_some_and(|b| !(b > 0.0 && b.is_finite())) {
            return Err(Error::param("bandwidth", "the bandwidth must be a positive number"));
        }
        let series = self
            .numeric_columns(columns)?
            .into_iter()
            .map(|(name, vals)| {
                let h = bandwidth.unwrap_or_else(|| scott_bandwidth(&vals));
                let (lo, hi) = vals.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), &v| (l.min(v), h.max(v)));
                let (lo, hi) = (lo - 3.0 * h, hi + 3.0 * h);
                let grid: Vec<f64> = (0..points).map(|i| lo + (hi - lo) * i as f64 / (points - 1) as f64).collect();
                let y = grid.iter().map(|&t| gaussian_kde(&vals, h, t)).collect();
                Series { name, x: grid.iter().map(|t| t.to_string()).collect(), y }
            })
            .collect();
        Ok(Chart::new(Kind::Kde, format!("density of {}", columns.join(", ")), series, [None, None]))
    }

    #[track_caller]
    fn numeric_columns(&self, columns: &[&str]) -> Result<Vec<(String, Vec<f64>)>> {
        if columns.is_empty() {
            return Err(Error::param("columns", "name at least one numeric column"));
        }
        let collected = Columns::collect(self.df, columns)?;
        let mut out = Vec::with_capacity(columns.len());
        for name in columns {
            let values: Vec<f64> = collected.numbers(name)?.into_iter().filter(|v| !v.is_nan()).collect();
            if values.is_empty() {
                return Err(Error::param(name, format!("`{name}` has no values to draw")));
            }
            out.push((name.to_string(), values));
        }
        Ok(out)
    }
}

/// Scott's rule: `n^(-1/5)` times the sample standard deviation (1 when the values are all equal).
fn scott_bandwidth(values: &[f64]) -> f64 {
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let variance = values.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / (n - 1.0).max(1.0);
    let h = n.powf(-0.2) * variance.sqrt();
    if h > 0.0 { h } else { 1.0 }
}

/// The density at `t` of Gaussian kernels of width `h` at each value.
fn gaussian_kde(values: &[f64], h: f64, t: f64) -> f64 {
    let norm = 1.0 / ((2.0 * std::f64::consts::PI).sqrt() * h * values.len() as f64);
    values.iter().map(|v| (-0.5 * ((t - v) / h).powi(2)).exp()).sum::<f64>() * norm
}

impl Chart {
    /// A scatter chart of numeric series, each `(name, xs, ys)` in its own colour: for charts drawn from something
    /// other than a DataFrame's columns (MLlib's charts of models).
    pub fn scatter_series(title: &str, axes: [&str; 2], series: Vec<(String, Vec<f64>, Vec<f64>)>) -> Chart {
        let series = series
            .into_iter()
            .map(|(name, x, y)| Series { name, x: x.iter().map(f64::to_string).collect(), y })
            .collect();
        Chart::new(Kind::Scatter, title.to_string(), series, [Some(axes[0]), Some(axes[1])])
    }

    /// A bar chart of one series of labelled values (MLlib's charts of models).
    pub fn bar_series(title: &str, axes: [&str; 2], name: &str, labels: Vec<String>, values: Vec<f64>) -> Chart {
        let series = vec![Series { name: name.to_string(), x: labels, y: values }];
        Chart::new(Kind::Bar, title.to_string(), series, [Some(axes[0]), Some(axes[1])])
    }

    /// `axes`: the titles of the x and y axes, if any.
    fn new(kind: Kind, title: String, series: Vec<Series>, axes: [Option<&str>; 2]) -> Chart {
        let mut plot = Plot::new();
        for s in &series {
            let numbers: Vec<f64> = s.x.iter().map(|x| x.parse().unwrap_or(f64::NAN)).collect();
            match kind {
                Kind::Line => plot.add_trace(Scatter::new(s.x.clone(), s.y.clone()).mode(Mode::Lines).name(&s.name)),
                // Points are placed by value when every x is a number, as labels otherwise.
                Kind::Scatter if numbers.iter().all(|x| !x.is_nan()) => {
                    plot.add_trace(Scatter::new(numbers, s.y.clone()).mode(Mode::Markers).name(&s.name))
                }
                Kind::Scatter => {
                    plot.add_trace(Scatter::new(s.x.clone(), s.y.clone()).mode(Mode::Markers).name(&s.name))
                }
                Kind::Area => plot.add_trace(
                    Scatter::new(s.x.clone(), s.y.clone()).mode(Mode::Lines).fill(Fill::ToZeroY).name(&s.name),
                ),
                Kind::Bar => plot.add_trace(Bar::new(s.x.clone(), s.y.clone()).name(&s.name)),
                Kind::Barh => plot
                    .add_trace(Bar::new(s.y.clone(), s.x.clone()).orientation(Orientation::Horizontal).name(&s.name)),
                Kind::Hist => plot.add_trace(Bar::new(numbers, s.y.clone()).name(&s.name)),
                Kind::Pie => plot.add_trace(Pie::new(s.y.clone()).labels(s.x.clone()).name(&s.name)),
                Kind::Box => plot.add_trace(BoxPlot::<f64, f64>::new(s.y.clone()).name(&s.name)),
                Kind::Kde => plot.add_trace(Scatter::new(numbers, s.y.clone()).mode(Mode::Lines).name(&s.name)),
            }
        }
        let mut layout = Layout::new().title(Title::from(title.as_str()));
        if kind != Kind::Pie {
            // Horizontal bars draw the x column up the side.
            let [x, y] = if kind == Kind::Barh { [axes[1], axes[0]] } else { axes };
            if let Some(x) = x {
                layout = layout.x_axis(Axis::new().title(x));
            }
            if let Some(y) = y {
                layout = layout.y_axis(Axis::new().title(y));
            }
        }
        plot.set_layout(layout);
        Chart { kind, title, series, plot }
    }

    /// The figure as Plotly JSON (`{"data": [...], "layout": {...}}`).
    pub fn to_json(&self) -> String {
        self.plot.to_json()
    }

    /// The chart drawn as an SVG image (what the notebook shows where Plotly's renderer is missing).
    pub fn to_svg(&self) -> String {
        svg::draw(self.kind, &self.title, &self.series)
    }
}

/// The notebook form of a chart: a one-line text summary, the Plotly figure, and the SVG fallback.
impl crate::notebook::NotebookDisplay for Chart {
    fn mime_bundle(&self) -> Vec<(&'static str, String)> {
        let points: usize = self.series.iter().map(|s| s.y.len()).sum();
        let text = format!("Chart({:?}: {}, {} series, {points} values)", self.kind, self.title, self.series.len());
        vec![("text/plain", text), ("application/vnd.plotly.v1+json", self.to_json()), ("text/html", self.to_svg())]
    }
}

/// A dependency-free SVG drawing of the series.
mod svg {
    use super::{Kind, Series};
    use crate::notebook::html_escape;
    use std::fmt::Write as _;

    const W: f64 = 560.0;
    const H: f64 = 320.0;
    const PAD: f64 = 48.0;
    const COLORS: [&str; 6] = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b"];

    fn range(values: impl Iterator<Item = f64>, from_zero: bool) -> (f64, f64) {
        let init = if from_zero { (0.0, 0.0) } else { (f64::INFINITY, f64::NEG_INFINITY) };
        let (lo, hi) = values.filter(|v| v.is_finite()).fold(init, |(l, h), v| (l.min(v), h.max(v)));
        if !lo.is_finite() {
            return (0.0, 1.0);
        }
        if hi > lo { (lo, hi) } else { (lo - 1.0, hi + 1.0) }
    }

    pub(super) fn draw(kind: Kind, title: &str, series: &[Series]) -> String {
        let mut out = format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{W}\" height=\"{H}\" font-family=\"sans-serif\" \
             font-size=\"11\"><text x=\"{}\" y=\"16\" text-anchor=\"middle\" font-size=\"13\">{}</text>",
            W / 2.0,
            html_escape(title)
        );
        match kind {
            Kind::Pie => pie(&mut out, series),
            Kind::Box => boxes(&mut out, series),
            _ => xy(&mut out, kind, series),
        }
        for (i, s) in series.iter().enumerate() {
            let _ = write!(
                out,
                "<text x=\"{}\" y=\"{}\" fill=\"{}\">{}</text>",
                W - PAD - 80.0,
                30.0 + 13.0 * i as f64,
                COLORS[i % COLORS.len()],
                html_escape(&s.name)
            );
        }
        out.push_str("</svg>");
        out
    }

    fn axes(out: &mut String, (x0, x1): (String, String), (y0, y1): (f64, f64)) {
        let _ = write!(
            out,
            "<line x1=\"{PAD}\" y1=\"{b}\" x2=\"{r}\" y2=\"{b}\" stroke=\"#444\"/>\
             <line x1=\"{PAD}\" y1=\"{PAD}\" x2=\"{PAD}\" y2=\"{b}\" stroke=\"#444\"/>\
             <text x=\"{PAD}\" y=\"{lb}\">{}</text><text x=\"{r}\" y=\"{lb}\" text-anchor=\"end\">{}</text>\
             <text x=\"{l}\" y=\"{b}\" text-anchor=\"end\">{y0}</text><text x=\"{l}\" y=\"{t}\" text-anchor=\"end\">{y1}</text>",
            html_escape(&x0),
            html_escape(&x1),
            b = H - PAD,
            r = W - PAD,
            lb = H - PAD + 14.0,
            l = PAD - 4.0,
            t = PAD + 4.0,
        );
    }

    fn xy(out: &mut String, kind: Kind, series: &[Series]) {
        let bars = matches!(kind, Kind::Bar | Kind::Barh | Kind::Hist);
        let (lo, hi) = range(series.iter().flat_map(|s| s.y.iter().copied()), bars || kind == Kind::Area);
        let n = series.iter().map(|s| s.x.len()).max().unwrap_or(0).max(1);
        let first = series.first();
        let label = |i: usize| first.and_then(|s| s.x.get(i)).cloned().unwrap_or_default();
        // A scatter of numbers places its points by value on both axes.
        let xs: Option<Vec<Vec<f64>>> = (kind == Kind::Scatter)
            .then(|| series.iter().map(|s| s.x.iter().map(|x| x.parse().ok()).collect()).collect())
            .flatten();
        let (x_lo, x_hi) = range(xs.iter().flatten().flatten().copied(), false);
        let ends = if xs.is_some() { (x_lo.to_string(), x_hi.to_string()) } else { (label(0), label(n - 1)) };
        axes(out, ends, (lo, hi));
        let (pw, ph) = (W - 2.0 * PAD, H - 2.0 * PAD);
        let scale = |v: f64| (v - lo) / (hi - lo);
        for (k, s) in series.iter().enumerate() {
            let color = COLORS[k % COLORS.len()];
            if bars {
                let slot = pw / n as f64 / series.len() as f64;
                for (i, &v) in s.y.iter().enumerate() {
                    let len = scale(v.max(lo)) * if kind == Kind::Barh { pw } else { ph };
                    let at = (i * series.len() + k) as f64 * slot;
                    let _ = match kind {
                        Kind::Barh => write!(
                            out,
                            "<rect x=\"{PAD}\" y=\"{:.1}\" width=\"{len:.1}\" height=\"{:.1}\" fill=\"{color}\"/>",
                            PAD + at * ph / pw,
                            slot * ph / pw * 0.9
                        ),
                        _ => write!(
                            out,
                            "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{len:.1}\" fill=\"{color}\"/>",
                            PAD + at,
                            H - PAD - len,
                            slot * 0.9
                        ),
                    };
                }
                continue;
            }
            let x = |i: usize| match &xs {
                Some(xs) => PAD + pw * (xs[k].get(i).copied().unwrap_or(f64::NAN) - x_lo) / (x_hi - x_lo),
                None => PAD + pw * i as f64 / (n.max(2) - 1) as f64,
            };
            let points: Vec<(f64, f64)> =
                s.y.iter()
                    .enumerate()
                    .map(|(i, &v)| (x(i), H - PAD - ph * scale(v)))
                    .filter(|(x, y)| x.is_finite() && y.is_finite())
                    .collect();
            if kind == Kind::Scatter {
                for (x, y) in points {
                    let _ = write!(out, "<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"3\" fill=\"{color}\"/>");
                }
                continue;
            }
            let mut path: String = points.iter().map(|(x, y)| format!("{x:.1},{y:.1} ")).collect();
            if kind == Kind::Area
                && let (Some(a), Some(b)) = (points.first(), points.last())
            {
                let base = H - PAD - ph * scale(0.0_f64.max(lo));
                let _ = write!(path, "{:.1},{base:.1} {:.1},{base:.1}", b.0, a.0);
                let _ = write!(out, "<polygon points=\"{path}\" fill=\"{color}\" fill-opacity=\"0.4\"/>");
            } else {
                let _ = write!(out, "<polyline points=\"{path}\" fill=\"none\" stroke=\"{color}\"/>");
            }
        }
    }

    fn pie(out: &mut String, series: &[Series]) {
        let Some(s) = series.first() else { return };
        let total: f64 = s.y.iter().filter(|v| **v > 0.0).sum();
        let (cx, cy, r) = (W / 2.0 - 60.0, H / 2.0 + 8.0, H / 2.0 - 40.0);
        let mut angle: f64 = 0.0;
        for (i, (label, v)) in s.x.iter().zip(&s.y).enumerate() {
            if *v <= 0.0 || total <= 0.0 {
                continue;
            }
            let sweep = v / total * std::f64::consts::TAU;
            let (a0, a1) = (angle, angle + sweep);
            let point = |a: f64| (cx + r * a.sin(), cy - r * a.cos());
            let ((x0, y0), (x1, y1)) = (point(a0), point(a1));
            let large = i32::from(sweep > std::f64::consts::PI);
            let _ = write!(
                out,
                "<path d=\"M{cx},{cy} L{x0:.1},{y0:.1} A{r},{r} 0 {large} 1 {x1:.1},{y1:.1} Z\" fill=\"{}\" \
                 stroke=\"white\"><title>{}: {v}</title></path>",
                COLORS[i % COLORS.len()],
                html_escape(label)
            );
            angle = a1;
        }
    }

    fn boxes(out: &mut String, series: &[Series]) {
        let (lo, hi) = range(series.iter().flat_map(|s| s.y.iter().copied()), false);
        axes(out, (String::new(), String::new()), (lo, hi));
        let ph = H - 2.0 * PAD;
        let y = |v: f64| H - PAD - ph * (v - lo) / (hi - lo);
        let slot = (W - 2.0 * PAD) / series.len().max(1) as f64;
        for (k, s) in series.iter().enumerate() {
            let mut v = s.y.clone();
            v.sort_by(f64::total_cmp);
            let q = |p: f64| v[((v.len() - 1) as f64 * p).round() as usize];
            let (x, w) = (PAD + slot * k as f64 + slot * 0.25, slot * 0.5);
            let _ = write!(
                out,
                "<line x1=\"{m:.1}\" y1=\"{:.1}\" x2=\"{m:.1}\" y2=\"{:.1}\" stroke=\"#444\"/>\
                 <rect x=\"{x:.1}\" y=\"{:.1}\" width=\"{w:.1}\" height=\"{:.1}\" fill=\"{}\" fill-opacity=\"0.5\" \
                 stroke=\"#444\"/><line x1=\"{x:.1}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\" stroke=\"#000\"/>",
                y(q(0.0)),
                y(q(1.0)),
                y(q(0.75)),
                y(q(0.25)) - y(q(0.75)),
                COLORS[k % COLORS.len()],
                y(q(0.5)),
                x + w,
                y(q(0.5)),
                m = x + w / 2.0,
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kernel_densities_integrate_to_one_and_peak_at_the_data() {
        // One value: the density is the kernel itself, 1/(h√(2π)) at the value.
        let h = 0.5;
        assert!((gaussian_kde(&[2.0], h, 2.0) - 1.0 / (h * (2.0 * std::f64::consts::PI).sqrt())).abs() < 1e-12);
        // Scott's rule on 1..=5: n = 5, sample sd = √2.5.
        assert!((scott_bandwidth(&[1.0, 2.0, 3.0, 4.0, 5.0]) - 5f64.powf(-0.2) * 2.5f64.sqrt()).abs() < 1e-12);
        // The trapezoid rule over ±8 bandwidths gives 1.
        let values = [1.0, 2.0, 2.5, 7.0];
        let step = 0.01;
        let area: f64 = (0..2000).map(|i| gaussian_kde(&values, h, -3.0 + step * i as f64) * step).sum();
        assert!((area - 1.0).abs() < 1e-6, "{area}");
    }

    #[test]
    fn svg_drawings_are_self_contained() {
        let series = vec![Series { name: "n".into(), x: vec!["a".into(), "b".into()], y: vec![1.0, 3.0] }];
        for kind in [Kind::Line, Kind::Bar, Kind::Barh, Kind::Scatter, Kind::Area, Kind::Pie, Kind::Box] {
            let svg = svg::draw(kind, "t <1>", &series);
            assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"), "{kind:?}");
            assert!(svg.contains("t &lt;1&gt;") && !svg.contains("<script") && !svg.contains("http://cdn"));
        }
    }
}
