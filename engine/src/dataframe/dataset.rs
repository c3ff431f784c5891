//! Typed Datasets: a DataFrame whose rows are read as Rust values (Spark's `Dataset[T]`, `df.as[T]`).
//!
//! Typed operations (`map`, `filter`, `flat_map`) run Rust closures over `T` values on the RDD engine and come
//! back as a DataFrame with `T`'s fields as columns; untyped DataFrame operations stay available through
//! [`to_df`](Dataset::to_df). Unlike Spark, a typed operation materializes its input rows (the query runs when
//! it is called), because Rust closures cannot be compiled into the query plan.

use super::DataFrame;
use crate::error::Result;
use crate::rdd::Data;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::fmt;
use std::marker::PhantomData;

/// A DataFrame whose rows are `T` values.
pub struct Dataset<T> {
    df: DataFrame,
    _t: PhantomData<fn() -> T>,
}

impl<T> Clone for Dataset<T> {
    fn clone(&self) -> Self {
        Dataset { df: self.df.clone(), _t: PhantomData }
    }
}

impl<T> fmt::Debug for Dataset<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Dataset<{}>{:?}", std::any::type_name::<T>(), self.df)
    }
}

impl<T: Data + Serialize + DeserializeOwned> Dataset<T> {
    /// The rows as `T` values.
    #[track_caller]
    pub fn collect(&self) -> Result<Vec<T>> {
        self.df.rdd::<T>()?.collect()
    }

    /// Number of rows.
    #[track_caller]
    pub fn count(&self) -> Result<u64> {
        self.df.count()
    }

    /// The untyped DataFrame (Spark's `toDF`).
    pub fn to_df(&self) -> DataFrame {
        self.df.clone()
    }

    /// Applies `f` to every value.
    #[track_caller]
    pub fn map<U: Data + Serialize + DeserializeOwned>(
        &self,
        f: impl Fn(T) -> U + Send + Sync + 'static,
    ) -> Result<Dataset<U>> {
        let rdd = self.df.rdd::<T>()?.map(f);
        Dataset::from_values(&self.df, rdd.collect()?)
    }

    /// Applies `f` to every value and flattens the results.
    #[track_caller]
    pub fn flat_map<U: Data + Serialize + DeserializeOwned, I>(
        &self,
        f: impl Fn(T) -> I + Send + Sync + 'static,
    ) -> Result<Dataset<U>>
    where
        I: IntoIterator<Item = U> + 'static,
        I::IntoIter: Send + 'static,
    {
        let rdd = self.df.rdd::<T>()?.flat_map(f);
        Dataset::from_values(&self.df, rdd.collect()?)
    }

    /// Keeps the values for which `f` is true.
    #[track_caller]
    pub fn filter(&self, f: impl Fn(&T) -> bool + Send + Sync + 'static) -> Result<Dataset<T>> {
        let rdd = self.df.rdd::<T>()?.filter(f);
        Dataset::from_values(&self.df, rdd.collect()?)
    }

    fn from_values(like: &DataFrame, values: Vec<T>) -> Result<Dataset<T>> {
        let df = if values.is_empty() { like.limit(0)? } else { like.session.create_dataframe(values, &[])? };
        Ok(Dataset { df, _t: PhantomData })
    }
}

impl DataFrame {
    /// The rows as `T` values (Spark's `df.as[T]`): struct fields are matched to columns by name, tuple fields by
    /// position. The conversion is checked on the first row now, so a mismatch fails here.
    pub fn as_<T: Data + Serialize + DeserializeOwned>(&self) -> Result<Dataset<T>> {
        self.limit(1)?.rdd::<T>()?;
        Ok(Dataset { df: self.clone(), _t: PhantomData })
    }
}
