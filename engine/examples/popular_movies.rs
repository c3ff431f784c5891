//! Day 2 — the most popular movies, with their names looked up through a broadcast variable inside a UDF
//! instead of a join (the course's "films populaires" lab).
//!
//! Run: `cargo run -p flint-engine --example popular_movies`

use flint_engine::prelude::*;
use std::collections::HashMap;

/// Movie id → title, from `film.item` (`id|title|…`).
pub fn load_movie_names() -> Result<HashMap<i64, String>> {
    let path = datasets::path("film.item");
    let text =
        std::fs::read_to_string(&path).map_err(|e| Error::Io { action: "reading", path: path.into(), source: e })?;
    Ok(text
        .lines()
        .filter_map(|line| {
            let mut fields = line.split('|');
            Some((fields.next()?.parse().ok()?, fields.next()?.to_string()))
        })
        .collect())
}

/// The `n` most rated movies: `movie`, `count`, `title`, most rated first (ties by id).
pub fn popular_movies(session: &Session, n: usize) -> Result<DataFrame> {
    let names = session.broadcast(load_movie_names()?);
    let title = udf("title", move |id: i64| names.value().get(&id).cloned());
    let ratings = session
        .read()
        .option("sep", "\t")
        .option("inferSchema", "true")
        .csv(&datasets::path("film.data"))?
        .to_df(["user", "movie", "rating", "timestamp"])?;
    ratings
        .group_by(["movie"])
        .count()?
        .order_by([col("count").desc(), col("movie").asc()])?
        .limit(n)?
        .with_column("title", title.call(["movie"]))
}

fn main() -> Result<()> {
    let session = Session::builder().app_name("PopularMovies").get_or_create()?;
    popular_movies(&session, 10)?.show_n(10, false)?;
    Ok(())
}
