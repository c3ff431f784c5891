//! Clustering: k-means, and k-means that learns from a stream.

mod kmeans;

pub use kmeans::{
    DistanceMeasure, InitMode, KMeans, KMeansModel, KMeansSummary, StreamingKMeans, StreamingKMeansModel, TimeUnit,
};
