//! Clustering: k-means.

mod kmeans;

pub use kmeans::{DistanceMeasure, InitMode, KMeans, KMeansModel, KMeansSummary};
