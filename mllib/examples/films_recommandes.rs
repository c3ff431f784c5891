//! MLlib lab — "films recommandés": ALS on the course ratings (`film.data`), the held-out RMSE, and the top 10
//! films for a user, with their titles from `film.item`.
//!
//! Run: `cargo run -p flint-mllib --example films_recommandes [USER_ID]`

use flint_engine::prelude::*;
use flint_mllib::recommendation::{Als, Rating};
use std::collections::HashMap;

fn main() -> flint_mllib::Result<()> {
    let session = Session::builder().app_name("FilmsRecommandes").get_or_create()?;
    let user: i32 = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(1);

    let titles: HashMap<i32, String> = session
        .text_file(datasets::path("film.item"), 1)?
        .flat_map(|line| {
            let mut fields = line.splitn(3, '|');
            let id = fields.next()?.parse().ok()?;
            Some((id, fields.next()?.to_string()))
        })
        .collect()?
        .into_iter()
        .collect();
    let ratings = session.text_file(datasets::path("film.data"), 4)?.flat_map(|line| {
        let f: Vec<&str> = line.split('\t').collect();
        Some(Rating::new(f.first()?.parse().ok()?, f.get(1)?.parse().ok()?, f.get(2)?.parse().ok()?))
    });
    let splits = ratings.random_split(&[0.8, 0.2], 42)?;
    let (train, test) = (splits[0].cache(), &splits[1]);

    let model = Als::new().rank(10).max_iter(10).reg_param(0.1).seed(42).fit_rdd(&train)?;
    let errors = test
        .flat_map({
            let model = model.clone();
            move |r| model.predict(r.user, r.product).map(|p| (p - r.rating).powi(2))
        })
        .collect()?;
    let rmse = (errors.iter().sum::<f64>() / errors.len() as f64).sqrt();
    println!("held-out RMSE on {} ratings: {rmse:.4}", errors.len());

    println!("\nfilms rated 5 by user {user}:");
    let mut loved = train.filter(move |r| r.user == user && r.rating >= 5.0).take(5)?;
    loved.sort_by_key(|r| r.product);
    for r in loved {
        println!("  {}", titles.get(&r.product).map_or("?", String::as_str));
    }
    println!("\ntop 10 recommendations for user {user}:");
    for r in model.recommend_products(user, 10)? {
        println!("  {:<50} score {:.2}", titles.get(&r.product).map_or("?", String::as_str), r.rating);
    }
    Ok(())
}
