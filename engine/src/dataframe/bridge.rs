//! Bridges between RDDs and DataFrames: `rdd.to_df(names)` and `df.rdd::<T>()`.
//!
//! `to_df` looks at up to 100 elements to infer the schema (PySpark's `toDF` also samples the RDD) and stays
//! lazy otherwise: the RDD job runs when a query scans the table. `rdd::<T>()` runs the query and distributes its
//! rows as `T` values (structs by field name, tuples by position), since a Rust RDD needs an element type where
//! Spark gives `Row`s.

use super::DataFrame;
use super::row::batch_from_serialize;
use crate::error::{Error, Result};
use crate::rdd::{Data, Rdd};
use async_trait::async_trait;
use datafusion::arrow::array::{ArrayRef, new_null_array};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::catalog::Session as CatalogSession;
use datafusion::datasource::memory::MemorySourceConfig;
use datafusion::datasource::{TableProvider, TableType};
use datafusion::logical_expr::Expr;
use datafusion::physical_plan::ExecutionPlan;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::fmt;
use std::sync::Arc;

/// Rows a schema is inferred from.
const SCHEMA_SAMPLE: usize = 100;

/// A table whose rows are an RDD's elements, computed when scanned.
struct RddTable<T: Data> {
    rdd: Rdd<T>,
    names: Vec<String>,
    schema: SchemaRef,
}

impl<T: Data> fmt::Debug for RddTable<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RddTable({})", self.rdd)
    }
}

#[async_trait]
impl<T: Data> TableProvider for RddTable<T> {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    fn table_type(&self) -> TableType {
        TableType::Temporary
    }

    async fn scan(
        &self,
        _state: &dyn CatalogSession,
        projection: Option<&Vec<usize>>,
        _filters: &[Expr],
        _limit: Option<usize>,
    ) -> datafusion::error::Result<Arc<dyn ExecutionPlan>> {
        let to_df_error = |e: Error| datafusion::error::DataFusionError::External(Box::new(e));
        let rows = self.rdd.collect().map_err(to_df_error)?;
        let names: Vec<&str> = self.names.iter().map(String::as_str).collect();
        let batch = batch_from_serialize(&rows, &names).map_err(to_df_error)?;
        let batch = conform(&batch, &self.schema)?;
        Ok(MemorySourceConfig::try_new_exec(&[vec![batch]], self.schema.clone(), projection.cloned())?)
    }
}

impl<T: Data + Serialize> Rdd<T> {
    /// The RDD as a DataFrame (Spark's `toDF`): tuples get `names` (or `_1`, `_2`, …), structs their field names.
    pub fn to_df(&self, names: &[&str]) -> Result<DataFrame> {
        let sample = self.take(SCHEMA_SAMPLE)?;
        if sample.is_empty() {
            return Err(Error::param("rdd", "is empty, so its schema cannot be inferred; give the DataFrame a schema"));
        }
        let schema = batch_from_serialize(&sample, names)?.schema();
        let table = RddTable { rdd: self.clone(), names: names.iter().map(|s| s.to_string()).collect(), schema };
        let state = self.session.ctx.sql_state()?;
        Ok(DataFrame::new(self.session.clone(), state.ctx.read_table(Arc::new(table))?))
    }
}

impl DataFrame {
    /// Runs the query and distributes its rows as an RDD of `T` (Spark's `df.rdd`, typed): a struct reads the
    /// columns by name, a tuple by position.
    #[track_caller]
    pub fn rdd<T: Data + DeserializeOwned>(&self) -> Result<Rdd<T>> {
        let batches = self.collect_batches()?;
        let mut writer = datafusion::arrow::json::ArrayWriter::new(Vec::new());
        for batch in &batches {
            writer.write(batch)?;
        }
        writer.finish()?;
        let bytes = writer.into_inner();
        let objects: Vec<serde_json::Map<String, serde_json::Value>> =
            if bytes.is_empty() { Vec::new() } else { serde_json::from_slice(&bytes).map_err(json_error)? };
        let columns = self.columns();
        let values = objects
            .into_iter()
            .map(|mut object| {
                // Try the row as an object (structs), then as an array in column order (tuples); nulls are absent
                // from Arrow's JSON, so they are filled in for both forms.
                let array: Vec<serde_json::Value> =
                    columns.iter().map(|c| object.remove(c).unwrap_or(serde_json::Value::Null)).collect();
                let by_name: serde_json::Map<String, serde_json::Value> =
                    columns.iter().cloned().zip(array.iter().cloned()).collect();
                serde_json::from_value::<T>(serde_json::Value::Object(by_name))
                    .or_else(|_| serde_json::from_value::<T>(serde_json::Value::Array(array)))
                    .map_err(|e| {
                        Error::Plan(format!(
                            "a row with columns {} does not convert to {}: {e}",
                            columns.join(", "),
                            std::any::type_name::<T>()
                        ))
                    })
            })
            .collect::<Result<Vec<T>>>()?;
        Ok(self.session.parallelize(values, self.session.default_parallelism()))
    }
}

/// The batch with exactly the planned schema: a column later rows widened is cast back, one absent is null.
fn conform(batch: &RecordBatch, schema: &SchemaRef) -> datafusion::error::Result<RecordBatch> {
    let columns = schema
        .fields()
        .iter()
        .map(|field| match batch.column_by_name(field.name()) {
            Some(c) => Ok(cast(c, field.data_type())?),
            None => Ok(new_null_array(field.data_type(), batch.num_rows())),
        })
        .collect::<datafusion::error::Result<Vec<ArrayRef>>>()?;
    Ok(RecordBatch::try_new(schema.clone(), columns)?)
}

fn json_error(e: serde_json::Error) -> Error {
    Error::Internal(format!("reading back Arrow's JSON rows: {e}"))
}
