//! Day 2 — friends by age with DataFrames and with SQL, from `fakefriends.csv` (`id,name,age,friends`, no
//! header): the average number of friends per age, rounded to 2 decimals, sorted by age.
//!
//! Run: `cargo run -p flint-engine --example friends_by_age_sql`

use flint_engine::prelude::*;

/// The people, with Spark's schema for the file (it has no header line).
pub fn people(session: &Session) -> Result<DataFrame> {
    session
        .read()
        .option("inferSchema", "true")
        .csv(&datasets::path("fakefriends.csv"))?
        .to_df(["userID", "name", "age", "friends"])
}

/// Average friends per age with the DataFrame API.
pub fn with_dataframes(people: &DataFrame) -> Result<DataFrame> {
    people
        .select(["age", "friends"])?
        .group_by(["age"])
        .agg([round(avg("friends"), 2).alias("friends_avg")])?
        .sort(["age"])
}

/// The same with SQL over a temporary view.
pub fn with_sql(session: &Session, people: &DataFrame) -> Result<DataFrame> {
    people.create_or_replace_temp_view("people")?;
    session.sql("SELECT age, ROUND(AVG(friends), 2) AS friends_avg FROM people GROUP BY age ORDER BY age")
}

fn main() -> Result<()> {
    let session = Session::builder().app_name("FriendsByAgeSql").get_or_create()?;
    let people = people(&session)?;
    people.print_schema();
    with_dataframes(&people)?.show()?;
    with_sql(&session, &people)?.show()?;
    Ok(())
}
