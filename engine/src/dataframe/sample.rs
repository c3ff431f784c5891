//! `sample` and `random_split` on DataFrames: a scan of the input plan whose partitions are filtered by a
//! per-partition random generator, as Spark's `Sample` operator filters each partition with its own sampler.
//!
//! Each partition draws from a generator seeded with `(seed, partition)` (the RDD samplers' generators), so a
//! sample depends on the seed and the partitioning only, never on thread scheduling, and the splits of one
//! `random_split` see the same draws: they are disjoint and together hold every row.

use crate::rdd::sampling::{partition_rng, poisson};
use async_trait::async_trait;
use datafusion::arrow::array::{BooleanArray, UInt32Array};
use datafusion::arrow::compute::{filter_record_batch, take_record_batch};
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::error::ArrowError;
use datafusion::arrow::record_batch::{RecordBatch, RecordBatchOptions};
use datafusion::catalog::{Session as CatalogSession, TableProvider};
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::datasource::TableType;
use datafusion::error::Result;
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::logical_expr::{Expr, LogicalPlan};
use datafusion::physical_expr::PhysicalExpr;
use datafusion::physical_plan::execution_plan::{ChildrenPropertiesMode, ReplaceChildrenOptions};
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{DisplayAs, DisplayFormatType, ExecutionPlan, PlanProperties};
use futures::StreamExt;
use rand::Rng;
use std::fmt;
use std::sync::Arc;

/// Which rows a partition keeps.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Sampler {
    /// Each row with probability `fraction` (without replacement).
    Bernoulli(f64),
    /// Each row a Poisson(`fraction`) number of times (with replacement).
    Poisson(f64),
    /// The rows whose draw falls in `[lo, hi)`: one split of a `random_split`.
    Range(f64, f64),
}

impl Sampler {
    /// The sampled rows of one batch, drawing from `rng` in row order.
    fn apply(&self, batch: &RecordBatch, rng: &mut impl Rng) -> std::result::Result<RecordBatch, ArrowError> {
        let rows = batch.num_rows();
        if batch.num_columns() == 0 {
            // A batch of no columns (`count()` reads none) is only a row count.
            let kept = (0..rows).map(|_| self.copies(rng)).sum();
            let options = RecordBatchOptions::new().with_row_count(Some(kept));
            return RecordBatch::try_new_with_options(batch.schema(), vec![], &options);
        }
        match *self {
            Sampler::Bernoulli(fraction) => {
                let keep: BooleanArray = (0..rows).map(|_| Some(rng.r#gen::<f64>() < fraction)).collect();
                filter_record_batch(batch, &keep)
            }
            Sampler::Range(lo, hi) => {
                let keep: BooleanArray = (0..rows)
                    .map(|_| {
                        let x: f64 = rng.r#gen();
                        Some(x >= lo && x < hi)
                    })
                    .collect();
                filter_record_batch(batch, &keep)
            }
            Sampler::Poisson(fraction) => {
                let mut indices = Vec::new();
                for row in 0..rows {
                    let n = poisson(rng, fraction);
                    indices.extend(std::iter::repeat_n(row as u32, n));
                }
                take_record_batch(batch, &UInt32Array::from(indices))
            }
        }
    }

    /// How many copies of the next row the sample holds (the same draws as [`apply`](Self::apply)).
    fn copies(&self, rng: &mut impl Rng) -> usize {
        match *self {
            Sampler::Bernoulli(fraction) => usize::from(rng.r#gen::<f64>() < fraction),
            Sampler::Range(lo, hi) => {
                let x: f64 = rng.r#gen();
                usize::from(x >= lo && x < hi)
            }
            Sampler::Poisson(fraction) => poisson(rng, fraction),
        }
    }
}

/// A table whose scan is the input plan, sampled partition by partition.
#[derive(Debug)]
pub(crate) struct SampledTable {
    pub(crate) input: LogicalPlan,
    pub(crate) sampler: Sampler,
    pub(crate) seed: u64,
}

#[async_trait]
impl TableProvider for SampledTable {
    fn schema(&self) -> SchemaRef {
        Arc::clone(self.input.schema().inner())
    }

    fn table_type(&self) -> TableType {
        TableType::Temporary
    }

    async fn scan(
        &self,
        state: &dyn CatalogSession,
        projection: Option<&Vec<usize>>,
        _filters: &[Expr],
        _limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        // Projecting before sampling keeps the same rows: a projection neither adds nor removes any.
        let input = super::physical_plan(state, &self.input, projection).await?;
        Ok(Arc::new(SampleExec::new(input, self.sampler, self.seed)))
    }
}

/// The physical operator: filters (or repeats) each partition's rows with that partition's generator.
#[derive(Debug)]
struct SampleExec {
    input: Arc<dyn ExecutionPlan>,
    sampler: Sampler,
    seed: u64,
    properties: Arc<PlanProperties>,
}

impl SampleExec {
    fn new(input: Arc<dyn ExecutionPlan>, sampler: Sampler, seed: u64) -> Self {
        // Dropping or repeating rows keeps the partitioning, the order and the schema of the input.
        let properties = Arc::clone(input.properties());
        SampleExec { input, sampler, seed, properties }
    }
}

impl DisplayAs for SampleExec {
    fn fmt_as(&self, _: DisplayFormatType, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SampleExec: {:?}, seed={}", self.sampler, self.seed)
    }
}

impl ExecutionPlan for SampleExec {
    fn name(&self) -> &str {
        "SampleExec"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        &self.properties
    }

    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        vec![&self.input]
    }

    fn maintains_input_order(&self) -> Vec<bool> {
        vec![true]
    }

    fn benefits_from_input_partitioning(&self) -> Vec<bool> {
        // Repartitioning the input would change which generator sees which rows.
        vec![false]
    }

    fn apply_expressions(
        &self,
        _f: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> Result<TreeNodeRecursion>,
    ) -> Result<TreeNodeRecursion> {
        Ok(TreeNodeRecursion::Continue)
    }

    fn replace_children(
        self: Arc<Self>,
        mut children: Vec<Arc<dyn ExecutionPlan>>,
        _options: ReplaceChildrenOptions,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let input = children
            .pop()
            .ok_or_else(|| datafusion::error::DataFusionError::Internal("SampleExec takes exactly one child".into()))?;
        Ok(Arc::new(SampleExec::new(input, self.sampler, self.seed)))
    }

    fn with_new_children(self: Arc<Self>, children: Vec<Arc<dyn ExecutionPlan>>) -> Result<Arc<dyn ExecutionPlan>> {
        self.replace_children(children, ReplaceChildrenOptions::new(ChildrenPropertiesMode::Recompute))
    }

    fn with_new_children_and_same_properties(
        self: Arc<Self>,
        children: Vec<Arc<dyn ExecutionPlan>>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        self.replace_children(children, ReplaceChildrenOptions::new(ChildrenPropertiesMode::Keep))
    }

    fn execute(&self, partition: usize, context: Arc<TaskContext>) -> Result<SendableRecordBatchStream> {
        let input = self.input.execute(partition, context)?;
        let schema = input.schema();
        let sampler = self.sampler;
        let mut rng = partition_rng(self.seed, partition);
        let sampled = input.map(move |batch| Ok(sampler.apply(&batch?, &mut rng)?));
        Ok(Box::pin(RecordBatchStreamAdapter::new(schema, sampled)))
    }
}
