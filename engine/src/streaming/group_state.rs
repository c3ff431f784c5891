//! Arbitrary per-key state (Spark's `mapGroupsWithState` / `flatMapGroupsWithState`, the modern form of
//! `updateStateByKey`): a user function sees a group's key, the group's new rows and a [`GroupState`] it may read,
//! update, remove or give a timeout, and returns output rows.
//!
//! On a stream the function runs, each micro-batch, for every key with new rows and then for every key whose
//! timeout has expired (with no rows and [`GroupState::has_timed_out`] true). The state is kept per key as JSON in
//! the operator's versioned state store, so a restarted query resumes it and a replayed batch sees the same
//! state as the first time. On a batch DataFrame the function runs once per key with empty state, as in Spark.

use super::OutputMode;
use super::aggregate::AggregateMetrics;
use super::state::StateStore;
use super::watermark::{Watermark, drop_late, micros};
use crate::DataFrame;
use crate::dataframe::{GroupedData, Row};
use crate::error::{Error, Result};
use crate::session::Session;
use datafusion::arrow::array::{Array, ArrayRef, AsArray, Int64Array, StringArray};
use datafusion::arrow::datatypes::{DataType, Field, Int64Type, Schema, SchemaRef};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::arrow::row::{RowConverter, SortField};
use datafusion::common::{DFSchema, DFSchemaRef, ScalarValue};
use datafusion::logical_expr::{Expr, Extension, LogicalPlan, cast as cast_expr, lit};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::collections::HashMap;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::path::PathBuf;
use std::sync::Arc;

/// Which timeouts a per-key state function may set (Spark's `GroupStateTimeout`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub enum GroupStateTimeout {
    /// No timeouts: the function runs only for keys with new rows.
    #[default]
    NoTimeout,
    /// [`GroupState::set_timeout_duration`]: a key times out once the processing time has passed its deadline.
    ProcessingTimeTimeout,
    /// [`GroupState::set_timeout_timestamp`]: a key times out once the watermark has passed its event time;
    /// the query needs a watermark.
    EventTimeTimeout,
}

/// The state of one key, handed to the function of [`GroupedData::flat_map_groups_with_state`] (Spark's
/// `GroupState[S]`). The timeout is cleared before every call: set it again to keep one.
#[derive(Debug, Clone)]
pub struct GroupState<S> {
    value: Option<S>,
    updated: bool,
    removed: bool,
    timed_out: bool,
    timeout_ms: Option<i64>,
    conf: GroupStateTimeout,
    /// The batch's processing time, in ms; `None` in a batch query.
    batch_time_ms: Option<i64>,
    watermark_ms: Option<i64>,
}

impl<S> GroupState<S> {
    /// Whether the key has a state.
    pub fn exists(&self) -> bool {
        self.value.is_some()
    }

    /// The state, if the key has one (Spark's `getOption`).
    pub fn get(&self) -> Option<&S> {
        self.value.as_ref()
    }

    /// Replaces the state.
    pub fn update(&mut self, value: S) {
        self.value = Some(value);
        self.updated = true;
        self.removed = false;
    }

    /// Forgets the key's state (and its timeout).
    pub fn remove(&mut self) {
        self.value = None;
        self.removed = true;
        self.updated = false;
        self.timeout_ms = None;
    }

    /// Whether this call is for a key that timed out (it then gets no rows).
    pub fn has_timed_out(&self) -> bool {
        self.timed_out
    }

    /// Times the key out once `duration` (`"1 hour"`) of processing time has passed with no rows for it
    /// (needs [`GroupStateTimeout::ProcessingTimeTimeout`]). In a batch query it does nothing, as in Spark.
    pub fn set_timeout_duration(&mut self, duration: &str) -> Result<()> {
        if self.conf != GroupStateTimeout::ProcessingTimeTimeout {
            return Err(Error::Plan(
                "Cannot set timeout duration without enabling processing time timeout in \
                 [map|flatMap]GroupsWithState"
                    .to_string(),
            ));
        }
        let micros = crate::functions::parse_duration("duration", duration)?;
        self.timeout_ms = self.batch_time_ms.map(|now| now + micros / 1000);
        Ok(())
    }

    /// Times the key out once the watermark passes `timestamp_ms` (event time, ms since the epoch; needs
    /// [`GroupStateTimeout::EventTimeTimeout`]). The timestamp must not be behind the current watermark.
    pub fn set_timeout_timestamp(&mut self, timestamp_ms: i64) -> Result<()> {
        if self.conf != GroupStateTimeout::EventTimeTimeout {
            return Err(Error::Plan(
                "Cannot set timeout timestamp without enabling event time timeout in [map|flatMap]GroupsWithState"
                    .to_string(),
            ));
        }
        if let Some(w) = self.watermark_ms.filter(|w| timestamp_ms <= *w) {
            return Err(Error::param(
                "timestamp_ms",
                format!("Timeout timestamp ({timestamp_ms}) cannot be earlier than the current watermark ({w})"),
            ));
        }
        if self.batch_time_ms.is_some() {
            self.timeout_ms = Some(timestamp_ms);
        }
        Ok(())
    }

    /// The current watermark in ms (0 before any event time was seen, as in Spark); an error when the query
    /// declares none.
    pub fn current_watermark_ms(&self) -> Result<i64> {
        match (self.conf, self.watermark_ms) {
            (GroupStateTimeout::EventTimeTimeout, w) => Ok(w.unwrap_or(0)),
            (_, Some(w)) => Ok(w),
            _ => Err(Error::Plan(
                "Cannot get event time watermark timestamp without setting watermark before \
                 [map|flatMap]GroupsWithState"
                    .to_string(),
            )),
        }
    }

    /// The processing time of the batch, in ms (the same when a batch is replayed).
    pub fn current_processing_time_ms(&self) -> i64 {
        self.batch_time_ms.unwrap_or_else(super::now_ms)
    }
}

/// The untyped state the operator keeps: the function's state as JSON.
type RawState = GroupState<serde_json::Value>;

/// The function with its state and output types erased: JSON in, JSON records out.
type StateFn = dyn Fn(&Row, Vec<Row>, &mut RawState) -> Result<Vec<serde_json::Value>> + Send + Sync;

/// The plan node of a per-key state function over its input.
#[derive(Clone)]
pub(crate) struct GroupsWithState {
    pub(crate) input: LogicalPlan,
    keys: Vec<String>,
    schema: DFSchemaRef,
    func: Arc<StateFn>,
    pub(crate) timeout: GroupStateTimeout,
    /// What the function's output means: new rows (`Append`) or changed rows (`Update`).
    pub(crate) mode: OutputMode,
    /// Spark's operator name, for messages.
    pub(crate) operator: &'static str,
}

impl fmt::Debug for GroupsWithState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}(keys={:?}, timeout={:?}, mode={})", self.operator, self.keys, self.timeout, self.mode)
    }
}

// DataFusion compares plans: a node equals another only when both hold the same function.
impl PartialEq for GroupsWithState {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.func, &other.func) && self.input == other.input && self.keys == other.keys
    }
}

impl Eq for GroupsWithState {}

impl Hash for GroupsWithState {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.keys.hash(state);
        self.input.hash(state);
    }
}

super::plan::streaming_node!(GroupsWithState, |node| node.operator);

/// The node of a plan node, if it is a per-key state function.
pub(crate) fn node_of(extension: &Extension) -> Option<&GroupsWithState> {
    extension.node.as_any().downcast_ref::<GroupsWithState>()
}

impl GroupedData {
    /// Runs `f` per key with the key's state and returns its output rows (Spark's `flatMapGroupsWithState`).
    ///
    /// `f(key, rows, state)` gets the key columns as a [`Row`], the key's new rows (all columns), and its
    /// [`GroupState`]; it returns values that serialize to rows of `output_schema` (structs by field name,
    /// tuples by position). `output_mode` says what those rows are — `"append"` (only new rows) or `"update"` —
    /// and must be the query's output mode. `S` is any serde type; it is kept as JSON.
    ///
    /// ```
    /// use flint_engine::prelude::*;
    /// use flint_engine::streaming::{GroupState, GroupStateTimeout};
    /// use datafusion::arrow::datatypes::{DataType, Field, Schema};
    ///
    /// let session = Session::builder().master("local[2]").get_or_create()?;
    /// let clicks = session.create_dataframe(vec![("ann", 1), ("bob", 1), ("ann", 1)], &["user", "n"])?;
    /// let schema = Schema::new(vec![Field::new("user", DataType::Utf8, false), Field::new("total", DataType::Int64, false)]);
    /// let totals = clicks.group_by(["user"]).flat_map_groups_with_state(
    ///     schema,
    ///     "update",
    ///     GroupStateTimeout::NoTimeout,
    ///     |key: &Row, rows: Vec<Row>, state: &mut GroupState<i64>| {
    ///         let total = state.get().copied().unwrap_or(0) + rows.len() as i64;
    ///         state.update(total);
    ///         vec![(key.get_as::<String>("user").unwrap_or_default(), total)]
    ///     },
    /// )?;
    /// let mut rows: Vec<(String, i64)> = totals.collect()?.iter().map(|r| (r.get_as("user").unwrap(), r.get_as("total").unwrap())).collect();
    /// rows.sort();
    /// assert_eq!(rows, [("ann".to_string(), 2), ("bob".to_string(), 1)]);
    /// # Ok::<(), flint_engine::Error>(())
    /// ```
    pub fn flat_map_groups_with_state<S, U, I, F>(
        &self,
        output_schema: impl Into<SchemaRef>,
        output_mode: &str,
        timeout: GroupStateTimeout,
        f: F,
    ) -> Result<DataFrame>
    where
        S: Serialize + DeserializeOwned + 'static,
        U: Serialize,
        I: IntoIterator<Item = U>,
        F: Fn(&Row, Vec<Row>, &mut GroupState<S>) -> I + Send + Sync + 'static,
    {
        let mode: OutputMode = output_mode.parse()?;
        if mode == OutputMode::Complete {
            return Err(Error::param(
                "output_mode",
                "flatMapGroupsWithState takes the output mode 'append' or 'update', not 'complete'",
            ));
        }
        self.groups_with_state(output_schema.into(), mode, timeout, "flatMapGroupsWithState", f)
    }

    /// Runs `f` per key with the key's state and returns one output row per call (Spark's `mapGroupsWithState`,
    /// which a query can only run in `update` mode). See
    /// [`flat_map_groups_with_state`](GroupedData::flat_map_groups_with_state).
    pub fn map_groups_with_state<S, U, F>(
        &self,
        output_schema: impl Into<SchemaRef>,
        timeout: GroupStateTimeout,
        f: F,
    ) -> Result<DataFrame>
    where
        S: Serialize + DeserializeOwned + 'static,
        U: Serialize,
        F: Fn(&Row, Vec<Row>, &mut GroupState<S>) -> U + Send + Sync + 'static,
    {
        self.groups_with_state(
            output_schema.into(),
            OutputMode::Update,
            timeout,
            "mapGroupsWithState",
            move |key: &Row, rows: Vec<Row>, state: &mut GroupState<S>| [f(key, rows, state)],
        )
    }

    fn groups_with_state<S, U, I, F>(
        &self,
        output_schema: SchemaRef,
        mode: OutputMode,
        timeout: GroupStateTimeout,
        operator: &'static str,
        f: F,
    ) -> Result<DataFrame>
    where
        S: Serialize + DeserializeOwned + 'static,
        U: Serialize,
        I: IntoIterator<Item = U>,
        F: Fn(&Row, Vec<Row>, &mut GroupState<S>) -> I + Send + Sync + 'static,
    {
        let df = &self.df;
        let columns = df.columns();
        let keys = self
            .keys
            .iter()
            .map(|k| match k.expr() {
                Expr::Column(c) if columns.contains(&c.name) => Ok(c.name.clone()),
                other => Err(Error::param(
                    operator,
                    format!(
                        "groups by column names; `{other}` is not a column of {columns:?} (add it with with_column \
                         first)"
                    ),
                )),
            })
            .collect::<Result<Vec<_>>>()?;
        let names: Vec<String> = output_schema.fields().iter().map(|f| f.name().clone()).collect();
        let func = move |key: &Row, rows: Vec<Row>, raw: &mut RawState| -> Result<Vec<serde_json::Value>> {
            let value = match raw.value.take() {
                Some(json) => Some(serde_json::from_value::<S>(json).map_err(|e| {
                    Error::Plan(format!(
                        "the saved state of key {key} does not read as {}: {e}",
                        std::any::type_name::<S>()
                    ))
                })?),
                None => None,
            };
            let mut typed = GroupState {
                value,
                updated: false,
                removed: false,
                timed_out: raw.timed_out,
                timeout_ms: None,
                conf: raw.conf,
                batch_time_ms: raw.batch_time_ms,
                watermark_ms: raw.watermark_ms,
            };
            let output = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                f(key, rows, &mut typed).into_iter().collect::<Vec<U>>()
            }))
            .map_err(|p| {
                Error::Plan(format!("{operator}: the function {} for key {key}", crate::scheduler::panic_message(&*p)))
            })?;
            raw.value = typed
                .value
                .map(|v| serde_json::to_value(v))
                .transpose()
                .map_err(|e| Error::Plan(format!("{operator}: the state of key {key} does not serialize: {e}")))?;
            raw.updated = typed.updated;
            raw.removed = typed.removed;
            raw.timeout_ms = typed.timeout_ms;
            let names: Vec<&str> = names.iter().map(String::as_str).collect();
            crate::dataframe::row::json_records(&output, &names)
        };
        let node = GroupsWithState {
            input: df.df.logical_plan().clone(),
            keys,
            schema: Arc::new(DFSchema::try_from(output_schema.as_ref().clone())?),
            func: Arc::new(func),
            timeout,
            mode,
            operator,
        };
        if !df.is_streaming() {
            let input = df.collect_batches()?;
            let context = Context { batch_time_ms: None, watermark_ms: None };
            let (output, _, _) = apply(&node, &input, &[], &context)?;
            return df.session.create_dataframe_from_batches(output);
        }
        let plan = LogicalPlan::Extension(Extension { node: Arc::new(node) });
        let state = df.session.ctx.sql_state()?;
        Ok(DataFrame::new(df.session.clone(), datafusion::dataframe::DataFrame::new(state.ctx.state(), plan)))
    }
}

/// When a batch of the operator runs.
struct Context {
    batch_time_ms: Option<i64>,
    watermark_ms: Option<i64>,
}

/// One key's saved state.
struct Saved {
    key: Vec<ScalarValue>,
    value: Option<serde_json::Value>,
    timeout_ms: Option<i64>,
}

/// The columns of the state store: the key columns, the state as JSON, the timeout in ms.
fn state_schema(node: &GroupsWithState) -> Result<SchemaRef> {
    let input = node.input.schema();
    let mut fields: Vec<Field> = node
        .keys
        .iter()
        .map(|k| Ok(input.field_with_unqualified_name(k)?.as_ref().clone().with_nullable(true)))
        .collect::<Result<_>>()?;
    fields.push(Field::new("__state", DataType::Utf8, true));
    fields.push(Field::new("__timeout_ms", DataType::Int64, true));
    Ok(Arc::new(Schema::new(fields)))
}

/// One batch of the operator: groups `input` by key, calls the function for each key with rows and then for each
/// saved key that timed out, and returns the output rows, the new state and the batch's metrics.
fn apply(
    node: &GroupsWithState,
    input: &[RecordBatch],
    state: &[RecordBatch],
    context: &Context,
) -> Result<(Vec<RecordBatch>, Vec<RecordBatch>, AggregateMetrics)> {
    let input_schema: SchemaRef = Arc::new(node.input.schema().as_arrow().clone());
    let key_indices = node.keys.iter().map(|k| Ok(input_schema.index_of(k)?)).collect::<Result<Vec<_>>>()?;
    let key_schema: SchemaRef = Arc::new(input_schema.project(&key_indices)?);
    let converter =
        RowConverter::new(key_schema.fields().iter().map(|f| SortField::new(f.data_type().clone())).collect())?;

    // The saved states by key, in the store's order.
    let mut saved: Vec<Saved> = Vec::new();
    let mut saved_at: HashMap<Vec<u8>, usize> = HashMap::new();
    for b in state {
        let keys: Vec<ArrayRef> = b.columns()[..key_indices.len()].to_vec();
        let rows = converter.convert_columns(&keys)?;
        let json = b.column(key_indices.len()).as_string::<i32>();
        let timeouts = b.column(key_indices.len() + 1).as_primitive::<Int64Type>();
        for (r, row) in rows.iter().enumerate() {
            let value = if json.is_null(r) {
                None
            } else {
                Some(serde_json::from_str(json.value(r)).map_err(|e| {
                    Error::Plan(format!("corrupt {} state: a saved state is not JSON: {e}", node.operator))
                })?)
            };
            let key = keys.iter().map(|c| ScalarValue::try_from_array(c, r)).collect::<std::result::Result<_, _>>()?;
            saved_at.insert(row.as_ref().to_vec(), saved.len());
            saved.push(Saved { key, value, timeout_ms: timeouts.is_valid(r).then(|| timeouts.value(r)) });
        }
    }

    // The new rows by key, keys in the order first met.
    let mut groups: Vec<(Vec<u8>, Vec<ScalarValue>, Vec<Row>)> = Vec::new();
    let mut group_at: HashMap<Vec<u8>, usize> = HashMap::new();
    for b in input {
        let b = RecordBatch::try_new(Arc::clone(&input_schema), b.columns().to_vec())?;
        let keys = b.project(&key_indices)?;
        let rows = converter.convert_columns(keys.columns())?;
        let values = Row::from_batches(std::slice::from_ref(&b))?;
        for ((r, key_row), value) in rows.iter().enumerate().zip(values) {
            let at = *group_at.entry(key_row.as_ref().to_vec()).or_insert_with(|| groups.len());
            if at == groups.len() {
                let key = keys
                    .columns()
                    .iter()
                    .map(|c| ScalarValue::try_from_array(c, r))
                    .collect::<std::result::Result<_, _>>()?;
                groups.push((key_row.as_ref().to_vec(), key, Vec::new()));
            }
            groups[at].2.push(value);
        }
    }

    let mut metrics = AggregateMetrics::default();
    let mut records = Vec::new();
    let mut call = |key: Vec<ScalarValue>, rows: Vec<Row>, previous: Option<&Saved>, timed_out: bool| {
        let mut raw = RawState {
            value: previous.and_then(|s| s.value.clone()),
            updated: false,
            removed: false,
            timed_out,
            timeout_ms: None,
            conf: node.timeout,
            batch_time_ms: context.batch_time_ms,
            watermark_ms: context.watermark_ms,
        };
        let key_row = Row::new(Arc::clone(&key_schema), key.clone());
        records.extend((node.func)(&key_row, rows, &mut raw)?);
        let changed = raw.updated || raw.removed || raw.timeout_ms != previous.and_then(|s| s.timeout_ms);
        if changed {
            metrics.num_rows_updated += 1;
        }
        if raw.removed && previous.is_some_and(|s| s.value.is_some()) {
            metrics.num_rows_removed += 1;
        }
        Ok::<_, Error>((raw.value.is_some() || raw.timeout_ms.is_some()).then_some(Saved {
            key,
            value: raw.value,
            timeout_ms: raw.timeout_ms,
        }))
    };

    let mut kept: Vec<Option<Saved>> = saved.into_iter().map(Some).collect();
    let mut new_states = Vec::new();
    for (key_bytes, key, rows) in groups {
        let previous = saved_at.get(&key_bytes).and_then(|&i| kept[i].take());
        new_states.extend(call(key, rows, previous.as_ref(), false)?);
    }
    // Spark's rule: a deadline times out once the batch's processing time (or the watermark) is past it.
    let threshold = match node.timeout {
        GroupStateTimeout::ProcessingTimeTimeout => context.batch_time_ms,
        GroupStateTimeout::EventTimeTimeout => context.watermark_ms,
        GroupStateTimeout::NoTimeout => None,
    };
    for slot in &mut kept {
        match (slot.take(), threshold) {
            (Some(s), Some(t)) if s.timeout_ms.is_some_and(|deadline| deadline < t) => {
                new_states.extend(call(s.key.clone(), Vec::new(), Some(&s), true)?);
            }
            (Some(s), _) => new_states.push(s),
            (None, _) => {}
        }
    }
    metrics.num_rows_total = new_states.len() as u64;

    let output_schema: SchemaRef = Arc::new(node.schema.as_arrow().clone());
    let mut decoder = datafusion::arrow::json::ReaderBuilder::new(Arc::clone(&output_schema)).build_decoder()?;
    let misfit = |e: datafusion::arrow::error::ArrowError| {
        let operator = node.operator;
        Error::Plan(format!("{operator}: the function's output does not fit the output schema {output_schema}: {e}"))
    };
    decoder.serialize(&records).map_err(misfit)?;
    let output = decoder.flush().map_err(misfit)?.unwrap_or_else(|| RecordBatch::new_empty(Arc::clone(&output_schema)));
    let output = vec![output];
    Ok((output, vec![state_batch(node, &new_states)?], metrics))
}

/// The state store's rows for `states`.
fn state_batch(node: &GroupsWithState, states: &[Saved]) -> Result<RecordBatch> {
    let schema = state_schema(node)?;
    let mut columns: Vec<ArrayRef> = Vec::with_capacity(schema.fields().len());
    for (i, field) in schema.fields().iter().take(node.keys.len()).enumerate() {
        columns.push(if states.is_empty() {
            datafusion::arrow::array::new_empty_array(field.data_type())
        } else {
            ScalarValue::iter_to_array(states.iter().map(|s| s.key[i].clone()))?
        });
    }
    let json: StringArray = states.iter().map(|s| s.value.as_ref().map(|v| v.to_string())).collect();
    let timeouts: Int64Array = states.iter().map(|s| s.timeout_ms).collect();
    columns.push(Arc::new(json));
    columns.push(Arc::new(timeouts));
    Ok(RecordBatch::try_new(schema, columns)?)
}

/// One query's per-key state operator and its state.
#[derive(Debug)]
pub(crate) struct StreamingGroups {
    dir: Option<PathBuf>,
    store: Option<StateStore>,
}

impl StreamingGroups {
    pub(crate) fn new(dir: Option<PathBuf>) -> Self {
        StreamingGroups { dir, store: None }
    }

    fn store(&mut self, node: &GroupsWithState) -> Result<&mut StateStore> {
        if self.store.is_none() {
            self.store = Some(StateStore::new(self.dir.clone(), state_schema(node)?));
        }
        self.store.as_mut().ok_or_else(|| Error::Internal("no state store".to_string()))
    }

    /// The earliest deadline among the keys' saved state before batch `batch`.
    pub(crate) fn next_timeout_ms(&mut self, node: &GroupsWithState, batch: u64) -> Result<Option<i64>> {
        let column = node.keys.len() + 1;
        let rows = self.store(node)?.get(batch)?;
        Ok(rows
            .iter()
            .filter_map(|b| datafusion::arrow::compute::min(b.column(column).as_primitive::<Int64Type>()))
            .min())
    }

    /// Checks at `start()` that the query can run the operator (Spark's `UnsupportedOperationChecker`).
    pub(crate) fn check(node: &GroupsWithState, mode: OutputMode, watermark: Option<&Watermark>) -> Result<()> {
        if node.operator == "mapGroupsWithState" && mode != OutputMode::Update {
            return Err(Error::Plan(format!(
                "mapGroupsWithState is not supported with {mode} output mode on a streaming DataFrame/Dataset: use \
                 output_mode(\"update\")"
            )));
        }
        if node.mode != mode {
            return Err(Error::Plan(format!(
                "flatMapGroupsWithState in {} mode is not supported with {mode} output mode on a streaming \
                 DataFrame/Dataset",
                node.mode.to_string().to_lowercase()
            )));
        }
        if node.timeout == GroupStateTimeout::EventTimeTimeout && watermark.is_none() {
            return Err(Error::Plan(format!(
                "Watermark must be specified in the query using with_watermark() for using event-time timeout in a \
                 {}. Event-time timeout not supported without watermark.",
                node.operator
            )));
        }
        Ok(())
    }

    /// Runs batch `batch` over its input rows; returns the plan of the output rows and the batch's metrics.
    pub(crate) fn run(
        &mut self,
        session: &Session,
        node: &GroupsWithState,
        input: LogicalPlan,
        batch: u64,
        batch_time_ms: i64,
        watermark: Option<(&Watermark, Option<i64>)>,
    ) -> Result<(LogicalPlan, AggregateMetrics)> {
        let state = session.ctx.sql_state()?;
        let mut dropped = 0;
        // Rows behind the watermark are late: dropped before the function sees them, as Spark does.
        let input = match watermark {
            Some((w, Some(value))) if node.input.schema().has_column_with_unqualified_name(&w.column.name) => {
                let time = cast_expr(Expr::Column(datafusion::common::Column::from_name(&w.column.name)), micros());
                let late = time.lt_eq(lit(ScalarValue::TimestampMicrosecond(Some(value), None)));
                let (kept, n) = drop_late(session, input, late)?;
                dropped = n;
                kept
            }
            _ => input,
        };
        let physical = state.block_on(state.ctx.state().create_physical_plan(&input))?;
        let rows = state.block_on(datafusion::physical_plan::collect(physical, state.ctx.task_ctx()))?;
        let context = Context {
            batch_time_ms: Some(batch_time_ms),
            watermark_ms: watermark.and_then(|(_, w)| w).map(|us| us.div_euclid(1000)),
        };
        let store = self.store(node)?;
        let previous = store.get(batch)?.to_vec();
        let (output, new_state, mut metrics) = apply(node, &rows, &previous, &context)?;
        metrics.num_rows_dropped_by_watermark = dropped;
        store.put(batch + 1, new_state)?;
        Ok((super::plan::rows_as_plan(&node.schema, output)?, metrics))
    }
}
