//! Lab 2 — average number of friends by age, from `fakefriends.csv` (`id,name,age,numFriends`).
//!
//! Key-value RDDs: `map_values(|n| (n, 1))`, `reduce_by_key` summing both, then `map_values` to the average.
//! Run: `cargo run -p flint-engine --example friends_by_age`

use flint_engine::prelude::*;

/// `(age, friends)` from one CSV line; `None` for a malformed line.
fn parse_line(line: &str) -> Option<(u32, u32)> {
    let fields: Vec<&str> = line.split(',').collect();
    Some((fields.get(2)?.trim().parse().ok()?, fields.get(3)?.trim().parse().ok()?))
}

/// Average friends per age, sorted by age.
pub fn friends_by_age(session: &Session, path: &str, partitions: usize) -> Result<Vec<(u32, f64)>> {
    let rdd = session.text_file(path, partitions)?.flat_map(|line| parse_line(&line));
    let totals =
        rdd.map_values(|friends| (u64::from(friends), 1u64)).reduce_by_key(|(f1, n1), (f2, n2)| (f1 + f2, n1 + n2));
    let averages = totals.map_values(|(friends, n)| friends as f64 / n as f64);
    averages.sort_by_key(true).collect()
}

fn main() -> Result<()> {
    let session = Session::builder().app_name("FriendsByAge").get_or_create()?;
    for (age, average) in
        friends_by_age(&session, &datasets::path("fakefriends.csv"), session.default_min_partitions())?
    {
        println!("{age}: {average:.2}");
    }
    Ok(())
}
