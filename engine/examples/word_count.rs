//! Lab 4 — word count of `book.txt`: `flat_map` into normalised words (lower case, split on non-word
//! characters as Python's `re.split(r'\W+')`), `reduce_by_key`, then sorted by count.
//!
//! Run: `cargo run -p flint-engine --example word_count`

use flint_engine::prelude::*;
use std::cmp::Reverse;

/// The words of a line: lower-cased, split on every character that is not a letter, a digit or `_`.
pub fn normalize_words(line: &str) -> Vec<String> {
    line.split(|c: char| !(c.is_alphanumeric() || c == '_')).filter(|w| !w.is_empty()).map(str::to_lowercase).collect()
}

/// Every distinct word with its count, most frequent first (ties by word).
pub fn word_count(session: &Session, path: &str, partitions: usize) -> Result<Vec<(String, u64)>> {
    let words = session.text_file(path, partitions)?.flat_map(|line| normalize_words(&line));
    let counts = words.map(|w| (w, 1u64)).reduce_by_key(|a, b| a + b);
    let sorted = counts.sort_by(|(word, count)| (Reverse(*count), word.clone()), true);
    sorted.collect()
}

fn main() -> Result<()> {
    let session = Session::builder().app_name("WordCount").get_or_create()?;
    let counts = word_count(&session, &datasets::path("book.txt"), session.default_min_partitions())?;
    println!("{} distinct words, {} in all", counts.len(), counts.iter().map(|(_, c)| c).sum::<u64>());
    for (word, count) in counts.iter().take(20) {
        println!("{word}:\t{count}");
    }
    Ok(())
}
