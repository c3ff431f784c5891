//! MLlib's integration tests: one binary (link once), one module per area. Reference figures come from
//! `datasets/reference/mllib_stat.py` (scikit-learn, SciPy, NumPy) and `datasets/reference/als_reference.py`
//! (PySpark); versions are in the JSON files they write.

mod als;
mod classification;
mod common;
mod display;
mod evaluation;
mod feature;
mod kmeans;
mod persistence;
mod regression;
mod stat;
mod streaming;
mod streaming_models;
