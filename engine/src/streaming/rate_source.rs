//! Spark's `rate` source: `rowsPerSecond` rows each second since the query started, as columns `timestamp`
//! and `value` (0, 1, 2, …), for demos and load tests.
//!
//! The offset is the number of whole seconds since the start (Spark's), so a batch is every row of the seconds
//! it covers, and the start time is kept in the source's checkpoint folder: a replayed batch regenerates the
//! same rows.

use super::source::{Offset, ReadLimit, Source, SourceProvider};
use crate::error::{Error, Result};
use crate::storage::write_atomic;
use datafusion::arrow::array::{Int64Array, TimestampMicrosecondArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use datafusion::arrow::record_batch::RecordBatch;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

fn schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("timestamp", DataType::Timestamp(TimeUnit::Microsecond, None), false),
        Field::new("value", DataType::Int64, false),
    ]))
}

/// The `rate` source of a query, from `session.read_stream().format("rate")`.
pub(crate) struct RateProvider {
    rows_per_second: u64,
}

/// Checks the options (`rowsPerSecond`, a positive integer, default 1).
pub(crate) fn provider(options: &BTreeMap<String, String>) -> Result<Arc<dyn SourceProvider>> {
    let rows_per_second = match options.get("rowspersecond") {
        None => 1,
        Some(v) => v.parse::<u64>().ok().filter(|n| *n > 0).ok_or_else(|| {
            Error::param("rowsPerSecond", format!("`{v}` is not a positive number of rows per second"))
        })?,
    };
    Ok(Arc::new(RateProvider { rows_per_second }))
}

impl SourceProvider for RateProvider {
    fn schema(&self) -> SchemaRef {
        schema()
    }

    fn create(&self, metadata_dir: Option<&Path>) -> Result<Arc<dyn Source>> {
        let now = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64);
        let start_ms = match metadata_dir {
            Some(dir) => {
                let file = dir.join("start");
                if file.exists() {
                    let text = std::fs::read_to_string(&file)
                        .map_err(|e| Error::io("reading the rate source's start", &file, e))?;
                    text.trim().parse().map_err(|_| {
                        Error::Plan(format!("corrupt checkpoint file {}: expected a start time in ms", file.display()))
                    })?
                } else {
                    std::fs::create_dir_all(dir).map_err(|e| Error::io("creating", dir, e))?;
                    write_atomic(&file, now.to_string().as_bytes())?;
                    now
                }
            }
            None => now,
        };
        Ok(Arc::new(RateSource { rows_per_second: self.rows_per_second, start_ms }))
    }

    fn description(&self) -> String {
        format!("RateStream(rowsPerSecond={})", self.rows_per_second)
    }
}

struct RateSource {
    rows_per_second: u64,
    start_ms: i64,
}

impl Source for RateSource {
    fn schema(&self) -> SchemaRef {
        schema()
    }

    fn latest_offset(&self, _start: Option<&Offset>, _limit: ReadLimit) -> Result<Option<Offset>> {
        let now = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64);
        let seconds = (now - self.start_ms).max(0) / 1000;
        Ok((seconds > 0).then(|| Offset(serde_json::json!(seconds))))
    }

    fn get_batch(&self, start: Option<&Offset>, end: &Offset) -> Result<Vec<RecordBatch>> {
        let seconds = |o: &Offset| {
            o.0.as_i64().ok_or_else(|| Error::Plan(format!("the rate source's offset {o} is not a second count")))
        };
        let (from, to) = (start.map(seconds).transpose()?.unwrap_or(0), seconds(end)?);
        let n = self.rows_per_second as i64;
        let (values, times): (Vec<i64>, Vec<i64>) = (from..to)
            .flat_map(|s| (0..n).map(move |i| (s, i)))
            .map(|(s, i)| (s * n + i, (self.start_ms + s * 1000) * 1000 + i * 1_000_000 / n))
            .unzip();
        Ok(vec![RecordBatch::try_new(
            schema(),
            vec![Arc::new(TimestampMicrosecondArray::from(times)), Arc::new(Int64Array::from(values))],
        )?])
    }

    fn description(&self) -> String {
        format!("RateStream(rowsPerSecond={})", self.rows_per_second)
    }
}
