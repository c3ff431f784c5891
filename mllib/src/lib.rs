//! Flint MLlib: linear algebra, statistics, estimators and models on engine data.
//!
//! A skeleton for now; the algorithms come with issue 5.

pub use flint_engine;
