//! Where the course's data files are: `$FLINT_DATASETS` if set, else the repository's `datasets/` folder (the
//! path is fixed when the engine is compiled, which is what labs, notebooks and tests run from).

use std::path::PathBuf;

/// The datasets folder.
pub fn dir() -> PathBuf {
    std::env::var_os("FLINT_DATASETS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../datasets")))
}

/// A file of the datasets folder, as the string `text_file` takes: `datasets::path("film.data")`.
pub fn path(name: &str) -> String {
    dir().join(name).to_string_lossy().into_owned()
}
