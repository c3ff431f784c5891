//! What every lab program shares: where the course's data lives, and the session it runs on.

use flint_engine::prelude::*;
use std::path::PathBuf;

/// The `datasets/` folder: `$FLINT_DATASETS` if set, else the repository's.
pub fn datasets_dir() -> PathBuf {
    std::env::var_os("FLINT_DATASETS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../datasets")))
}

/// A path inside `datasets/`, as the string `text_file` takes.
pub fn dataset(name: &str) -> String {
    datasets_dir().join(name).to_string_lossy().into_owned()
}

/// The session a lab program runs on: `local[*]`, named after the lab.
pub fn session(app: &str) -> Result<Session> {
    Session::builder().app_name(app).master("local[*]").get_or_create()
}
