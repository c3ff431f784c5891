//! Lab 1 — ratings histogram: how many ratings of each value does `film.data` hold?
//!
//! `text_file` → `map` (the rating field) → `count_by_value`, then sorted by rating on the driver.
//! Run: `cargo run -p flint-engine --example ratings_histogram`

use flint_engine::prelude::*;

/// Counts per rating value (input read in at least `partitions` partitions), sorted by rating. Lines are
/// `user\titem\trating\ttimestamp`, split on whitespace as the course's `x.split()[2]`; a line without a numeric
/// rating is skipped.
pub fn ratings_histogram(session: &Session, path: &str, partitions: usize) -> Result<Vec<(u8, u64)>> {
    let lines = session.text_file(path, partitions)?;
    let ratings = lines.flat_map(|line| line.split_ascii_whitespace().nth(2).and_then(|r| r.parse::<u8>().ok()));
    let mut counts: Vec<(u8, u64)> = ratings.count_by_value()?.into_iter().collect();
    counts.sort();
    Ok(counts)
}

fn main() -> Result<()> {
    let session = Session::builder().app_name("RatingsHistogram").get_or_create()?;
    for (rating, count) in ratings_histogram(&session, &datasets::path("film.data"), session.default_min_partitions())?
    {
        println!("{rating} {count}");
    }
    Ok(())
}
