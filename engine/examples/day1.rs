//! Day 1 of the course, end to end: the five RDD labs on the embedded engine, one answer line each.
//!
//! Run: `cargo run -p flint-engine --example day1`

#[allow(dead_code)]
#[path = "customer_spend.rs"]
mod customer_spend;
#[allow(dead_code)]
#[path = "friends_by_age.rs"]
mod friends_by_age;
#[allow(dead_code)]
#[path = "min_temperatures.rs"]
mod min_temperatures;
#[allow(dead_code)]
#[path = "ratings_histogram.rs"]
mod ratings_histogram;
#[allow(dead_code)]
#[path = "word_count.rs"]
mod word_count;

use flint_engine::prelude::*;
use std::time::Instant;

fn main() -> Result<()> {
    let started = Instant::now();
    let session = Session::builder().app_name("Day1").get_or_create()?;
    let partitions = session.default_min_partitions();
    println!("Flint day 1 on {} ({} task threads)", session.master(), session.default_parallelism());

    let histogram = ratings_histogram::ratings_histogram(&session, &datasets::path("film.data"), partitions)?;
    let line: Vec<String> = histogram.iter().map(|(r, c)| format!("{r}:{c}")).collect();
    println!("ratings histogram      {}", line.join(" "));

    let ages = friends_by_age::friends_by_age(&session, &datasets::path("fakefriends.csv"), partitions)?;
    if let (Some(first), Some(last)) = (ages.first(), ages.last()) {
        println!(
            "friends by age         {} ages, {} → {:.2}, {} → {:.2}",
            ages.len(),
            first.0,
            first.1,
            last.0,
            last.1
        );
    }

    let weather = datasets::path("1800.csv");
    let minima = min_temperatures::extreme_temperatures(&session, &weather, partitions, "TMIN")?;
    let line: Vec<String> = minima.iter().map(|(s, t)| format!("{s} {t:.2}F")).collect();
    println!("minimum temperatures   {}", line.join(", "));

    let words = word_count::word_count(&session, &datasets::path("book.txt"), partitions)?;
    let top: Vec<String> = words.iter().take(5).map(|(w, c)| format!("{w}:{c}")).collect();
    println!("word count             {} distinct, top {}", words.len(), top.join(" "));

    let spend = customer_spend::customer_spend(&session, &datasets::path("customer-orders.csv"), partitions)?;
    if let Some((customer, total)) = spend.last() {
        println!("customer spend         {} customers, top spender {customer} with {total:.2}", spend.len());
    }
    println!("done in {:.3} s", started.elapsed().as_secs_f64());
    Ok(())
}
