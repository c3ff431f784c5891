//! Lab 5 — total spent per customer, from `customer-orders.csv` (`customer,item,amount`), sorted by total.
//!
//! Run: `cargo run -p flint-engine --example customer_spend`

use flint_engine::prelude::*;

/// `(customer, amount)` from one line; `None` for a malformed line.
fn parse_line(line: &str) -> Option<(u32, f64)> {
    let mut fields = line.split(',');
    let customer = fields.next()?.trim().parse().ok()?;
    let amount = fields.nth(1)?.trim().parse().ok()?;
    Some((customer, amount))
}

/// Total per customer, smallest total first.
pub fn customer_spend(session: &Session, path: &str, partitions: usize) -> Result<Vec<(u32, f64)>> {
    let orders = session.text_file(path, partitions)?.flat_map(|line| parse_line(&line));
    let totals = orders.reduce_by_key(|a, b| a + b);
    totals.sort_by(|(_, total)| OrderedF64(*total), true).collect()
}

fn main() -> Result<()> {
    let session = Session::builder().app_name("CustomerSpend").get_or_create()?;
    for (customer, total) in
        customer_spend(&session, &datasets::path("customer-orders.csv"), session.default_min_partitions())?
    {
        println!("{customer}\t{total:.2}");
    }
    Ok(())
}
