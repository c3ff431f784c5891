//! Day 2 — an accumulator counts the malformed lines of `film-malformed.data` while the good ones are
//! histogrammed: the count is read on the driver after the action, and each task's additions count once.
//!
//! Run: `cargo run -p flint-engine --example malformed_lines`

use flint_engine::prelude::*;

/// The rating of a well-formed `user\titem\trating\ttimestamp` line.
fn parse_rating(line: &str) -> Option<u8> {
    let fields: Vec<&str> = line.split('\t').collect();
    if fields.len() != 4 {
        return None;
    }
    let [user, item, rating, ts] = [fields[0], fields[1], fields[2], fields[3]];
    user.parse::<u64>().ok()?;
    item.parse::<u64>().ok()?;
    ts.parse::<u64>().ok()?;
    rating.parse::<u8>().ok().filter(|r| (1..=5).contains(r))
}

/// The ratings histogram of the good lines, and the number of malformed lines counted by an accumulator.
pub fn histogram_and_malformed(session: &Session, path: &str) -> Result<(Vec<(u8, u64)>, i64)> {
    let malformed = session.long_accumulator("malformed lines");
    let counter = malformed.clone();
    let ratings = session.text_file(path, 2)?.flat_map(move |line| {
        let rating = parse_rating(&line);
        if rating.is_none() {
            counter.add(1);
        }
        rating
    });
    let mut histogram: Vec<(u8, u64)> = ratings.count_by_value()?.into_iter().collect();
    histogram.sort();
    Ok((histogram, malformed.value()))
}

fn main() -> Result<()> {
    let session = Session::builder().app_name("MalformedLines").get_or_create()?;
    let (histogram, malformed) = histogram_and_malformed(&session, &datasets::path("film-malformed.data"))?;
    println!("malformed lines: {malformed}");
    for (rating, count) in histogram {
        println!("{rating} {count}");
    }
    Ok(())
}
