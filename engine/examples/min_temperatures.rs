//! Lab 3 — minimum (and maximum) temperature per weather station in 1800, from `1800.csv`
//! (`station,yyyymmdd,type,value,…`; values in tenths of °C).
//!
//! `filter` keeps one entry type, `reduce_by_key` finds the extreme per station.
//! Run: `cargo run -p flint-engine --example min_temperatures`

use flint_engine::prelude::*;

/// `(station, entry type, temperature in °F)` from one line; `None` for a malformed line.
fn parse_line(line: &str) -> Option<(String, String, f64)> {
    let mut fields = line.split(',');
    let station = fields.next()?.to_string();
    let entry_type = fields.nth(1)?.to_string();
    let tenths: f64 = fields.next()?.trim().parse().ok()?;
    Some((station, entry_type, tenths * 0.1 * (9.0 / 5.0) + 32.0))
}

/// Per station, the extreme temperature (°F) of the entries of `entry_type` (`TMIN` keeps minima, `TMAX`
/// maxima), sorted by station.
pub fn extreme_temperatures(
    session: &Session,
    path: &str,
    partitions: usize,
    entry_type: &'static str,
) -> Result<Vec<(String, f64)>> {
    let parsed = session.text_file(path, partitions)?.flat_map(|line| parse_line(&line));
    let entries = parsed.filter(move |(_, t, _)| t == entry_type).map(|(station, _, temp)| (station, temp));
    let extremes = if entry_type == "TMAX" { entries.reduce_by_key(f64::max) } else { entries.reduce_by_key(f64::min) };
    extremes.sort_by_key(true).collect()
}

fn main() -> Result<()> {
    let session = Session::builder().app_name("MinTemperatures").get_or_create()?;
    let path = datasets::path("1800.csv");
    for (station, temp) in extreme_temperatures(&session, &path, session.default_min_partitions(), "TMIN")? {
        println!("{station}\tmin {temp:.2}F");
    }
    for (station, temp) in extreme_temperatures(&session, &path, session.default_min_partitions(), "TMAX")? {
        println!("{station}\tmax {temp:.2}F");
    }
    Ok(())
}
