//! Cross-crate tests of Flint: see `tests/`.
