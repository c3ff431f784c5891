//! # Flint's engine
//!
//! Apache Spark's programming model, in Rust, on one machine's cores. This crate holds Spark Core: sessions,
//! resilient distributed datasets (RDDs), shuffles, persistence, broadcast variables and accumulators.
//!
//! ## How data flows
//! ```text
//!  Session ──parallelize / text_file──▶ Rdd ──map / filter / reduce_by_key …──▶ Rdd   (lineage graph, nothing runs)
//!                                                                         │
//!                                                          action (collect, count …)
//!                                                                         ▼
//!  scheduler: job ─▶ stages cut at shuffle dependencies ─▶ one task per partition on the rayon pool
//!     map stage: parent partition ─▶ map-side combine ─▶ buckets per reduce partition (memory, or spilled)
//!     result stage: shuffle read ─▶ aggregate / sort (spilling past the budget) ─▶ closures ─▶ result
//! ```
//! - [`dataframe`] and [`functions`]: DataFrames and SQL on Arrow, planned and run by DataFusion.
//! - `sql`: what Flint adds to DataFusion's Spark dialect and Spark functions so queries give Spark's answers
//!   (`/` and `DIV`, `RLIKE`, `CREATE TEMP VIEW`, `INTERSECT ALL`/`EXCEPT ALL`, Spark's date and regex functions,
//!   event-time `window`, backslash escapes, Spark's names of unnamed columns); `moments`: Spark's variance and
//!   standard deviation formulas.
//! - [`session`]: the entry point ([`Session`]), its thread pool, memory budgets, and spill directory.
//! - [`rdd`]: [`Rdd<T>`](Rdd), its lineage nodes, transformations, pair operations and actions.
//! - [`scheduler`]: jobs, stages, tasks, and the [listener events](scheduler::listener) every job reports.
//! - `shuffle`: the radix-partitioned map-side combine, the map-output buckets, readers, and the spilling
//!   aggregator and sorter.
//! - [`storage`]: [`StorageLevel`] and the block store behind `persist`/`cache`.
//! - [`broadcast`] and [`accumulator`]: shared variables.
//! - [`streaming`]: Structured Streaming (streaming DataFrames); [`dstream`]: Spark Streaming's older DStreams,
//!   a sequence of RDDs, one per batch interval.
//!
//! ## Quick start
//! ```
//! use flint_engine::prelude::*;
//!
//! let session = Session::builder().app_name("quick start").master("local[2]").build()?;
//! // Elements are owned values (`String`, not `&str`): partitions may be spilled to disk and read back.
//! let words = session.parallelize(vec!["to be or".to_string(), "not to be".to_string()], 2);
//! let mut counts = words
//!     .flat_map(|line| line.split_whitespace().map(String::from).collect::<Vec<_>>())
//!     .map(|w| (w, 1u32))
//!     .reduce_by_key(|a, b| a + b)
//!     .collect()?;
//! counts.sort();
//! assert_eq!(counts[0], ("be".to_string(), 2));
//! assert_eq!(counts.len(), 4);
//! # Ok::<(), flint_engine::Error>(())
//! ```

pub mod accumulator;
pub mod broadcast;
pub mod dataframe;
pub mod datasets;
pub mod dstream;
pub mod error;
pub mod functions;
mod memory;
mod moments;
pub mod notebook;
mod opaque;
pub mod output;
pub mod partitioner;
pub mod rdd;
pub mod scheduler;
pub mod session;
mod shuffle;
mod sql;
pub mod storage;
pub mod streaming;

pub use dataframe::DataFrame;
pub use error::{Error, Result};
pub use rdd::Rdd;
pub use session::Session;
pub use storage::StorageLevel;

/// Everything a lab needs: `use flint_engine::prelude::*;`.
pub mod prelude {
    pub use crate::accumulator::{Accumulator, CollectionAccumulator, DoubleAccumulator, LongAccumulator};
    pub use crate::broadcast::Broadcast;
    pub use crate::dataframe::{Column, DataFrame, Dataset, Row, SaveMode, Udaf, Udf, Udtf, Window, udaf, udf, udtf};
    pub use crate::datasets;
    pub use crate::dstream::{DStream, StreamingContext};
    pub use crate::error::{Error, Result};
    pub use crate::functions::*;
    pub use crate::notebook::{DebugDisplay, NotebookDisplay};
    pub use crate::partitioner::{HashPartitioner, Partitioner, RangePartitioner};
    pub use crate::rdd::{BoxIter, Data, Numeric, OrderedF64, Rdd, StatCounter};
    pub use crate::scheduler::TaskContext;
    pub use crate::scheduler::listener::{Event, EventLog, Listener, StageInfo, TaskMetrics};
    pub use crate::session::{Session, SessionBuilder};
    pub use crate::storage::StorageLevel;
}
