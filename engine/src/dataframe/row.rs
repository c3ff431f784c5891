//! Rows brought to the driver, and DataFrames built from Rust values.

use crate::error::{Error, Result};
use datafusion::arrow::datatypes::{Field, Schema, SchemaRef};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::scalar::ScalarValue;
use serde::Serialize;
use std::fmt;
use std::sync::Arc;

/// One row of a collected DataFrame (Spark's `Row`): values by position or by column name.
#[derive(Clone, PartialEq)]
pub struct Row {
    schema: SchemaRef,
    values: Vec<ScalarValue>,
}

impl fmt::Debug for Row {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl fmt::Display for Row {
    /// Spark's `Row(name='Alice', age=34)` rendering.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self
            .schema
            .fields()
            .iter()
            .zip(&self.values)
            .map(|(field, v)| match v {
                ScalarValue::Utf8(Some(s)) | ScalarValue::LargeUtf8(Some(s)) | ScalarValue::Utf8View(Some(s)) => {
                    format!("{}='{s}'", field.name())
                }
                v if v.is_null() => format!("{}=None", field.name()),
                v => format!("{}={v}", field.name()),
            })
            .collect();
        write!(f, "Row({})", parts.join(", "))
    }
}

/// Types a [`Row`] value converts to.
pub trait FromValue: Sized {
    /// The value as `Self`, or `None` if the value's type does not convert.
    fn from_value(value: &ScalarValue) -> Option<Self>;
}

macro_rules! from_integer {
    ($($t:ty),*) => {$(
        impl FromValue for $t {
            fn from_value(value: &ScalarValue) -> Option<Self> {
                let wide: i128 = match value {
                    ScalarValue::Int8(Some(v)) => (*v).into(),
                    ScalarValue::Int16(Some(v)) => (*v).into(),
                    ScalarValue::Int32(Some(v)) => (*v).into(),
                    ScalarValue::Int64(Some(v)) => (*v).into(),
                    ScalarValue::UInt8(Some(v)) => (*v).into(),
                    ScalarValue::UInt16(Some(v)) => (*v).into(),
                    ScalarValue::UInt32(Some(v)) => (*v).into(),
                    ScalarValue::UInt64(Some(v)) => (*v).into(),
                    _ => return None,
                };
                <$t>::try_from(wide).ok()
            }
        }
    )*};
}
from_integer!(i8, i16, i32, i64, u8, u16, u32, u64, usize);

impl FromValue for f64 {
    fn from_value(value: &ScalarValue) -> Option<Self> {
        match value {
            ScalarValue::Float64(Some(v)) => Some(*v),
            ScalarValue::Float32(Some(v)) => Some(f64::from(*v)),
            ScalarValue::Decimal128(Some(v), _, scale) => Some(*v as f64 / 10f64.powi(i32::from(*scale))),
            other => i64::from_value(other).map(|v| v as f64),
        }
    }
}

impl FromValue for f32 {
    fn from_value(value: &ScalarValue) -> Option<Self> {
        f64::from_value(value).map(|v| v as f32)
    }
}

impl FromValue for bool {
    fn from_value(value: &ScalarValue) -> Option<Self> {
        match value {
            ScalarValue::Boolean(Some(v)) => Some(*v),
            _ => None,
        }
    }
}

impl FromValue for String {
    fn from_value(value: &ScalarValue) -> Option<Self> {
        match value {
            ScalarValue::Utf8(Some(s)) | ScalarValue::LargeUtf8(Some(s)) | ScalarValue::Utf8View(Some(s)) => {
                Some(s.clone())
            }
            _ => None,
        }
    }
}

impl<T: FromValue> FromValue for Option<T> {
    fn from_value(value: &ScalarValue) -> Option<Self> {
        if value.is_null() { Some(None) } else { T::from_value(value).map(Some) }
    }
}

impl FromValue for ScalarValue {
    fn from_value(value: &ScalarValue) -> Option<Self> {
        Some(value.clone())
    }
}

impl Row {
    /// A row of `values`, one per field of `schema`.
    pub(crate) fn new(schema: SchemaRef, values: Vec<ScalarValue>) -> Row {
        Row { schema, values }
    }

    /// Rows of record batches.
    pub(crate) fn from_batches(batches: &[RecordBatch]) -> Result<Vec<Row>> {
        let mut rows = Vec::with_capacity(batches.iter().map(RecordBatch::num_rows).sum());
        for batch in batches {
            for r in 0..batch.num_rows() {
                let values =
                    batch.columns().iter().map(|c| ScalarValue::try_from_array(c, r)).collect::<Result<Vec<_>, _>>()?;
                rows.push(Row { schema: batch.schema(), values });
            }
        }
        Ok(rows)
    }

    /// Number of values.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// Whether the row has no values.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// The value at `index`.
    pub fn get(&self, index: usize) -> Option<&ScalarValue> {
        self.values.get(index)
    }

    /// The column names.
    pub fn field_names(&self) -> Vec<&str> {
        self.schema.fields().iter().map(|f| f.name().as_str()).collect()
    }

    /// The value of column `name` as `T` (Spark's `getAs[T](name)`); an error names the column and the types.
    pub fn get_as<T: FromValue>(&self, name: &str) -> Result<T> {
        let index = self.schema.index_of(name).map_err(|_| {
            Error::Plan(format!("no column `{name}` in this row; its columns are {}", self.field_names().join(", ")))
        })?;
        self.get_at(index)
    }

    /// The value at `index` as `T`.
    pub fn get_at<T: FromValue>(&self, index: usize) -> Result<T> {
        let value = self
            .values
            .get(index)
            .ok_or_else(|| Error::param("index", format!("{index} is past the row's {} values", self.values.len())))?;
        T::from_value(value).ok_or_else(|| {
            Error::Plan(format!(
                "the value {value} of column `{}` ({}) does not convert to {}{}",
                self.schema.field(index).name(),
                value.data_type(),
                std::any::type_name::<T>(),
                if value.is_null() { "; read nullable columns as Option<T>" } else { "" }
            ))
        })
    }
}

/// A record batch from serializable values: structs keep their field names, tuples and scalars take `names`
/// (or `_1`, `_2`, … as Spark names tuple fields).
pub(crate) fn batch_from_serialize<T: Serialize>(rows: &[T], names: &[&str]) -> Result<RecordBatch> {
    use datafusion::arrow::json::reader::{ReaderBuilder, infer_json_schema_from_iterator};
    let records = json_records(rows, names)?;
    let inferred = infer_json_schema_from_iterator(records.iter().map(|v| Ok(v.clone())))?;
    // Keep the order of the names (JSON inference sorts nothing, but be explicit about it).
    let order: Vec<String> = match records.first() {
        Some(serde_json::Value::Object(m)) => m.keys().cloned().collect(),
        _ => inferred.fields().iter().map(|f| f.name().clone()).collect(),
    };
    let fields: Vec<Field> = order.iter().filter_map(|n| inferred.field_with_name(n).ok().cloned()).collect();
    let schema: SchemaRef = Arc::new(Schema::new(fields));
    let mut decoder = ReaderBuilder::new(schema.clone()).build_decoder()?;
    decoder.serialize(&records)?;
    match decoder.flush()? {
        Some(batch) => Ok(batch),
        None => Ok(RecordBatch::new_empty(schema)),
    }
}

/// Serializable values as JSON objects keyed by column name: structs keep their field names when `names` is
/// empty or holds them all (else they take `names` by position), tuples and scalars take `names` (or `_1`, `_2`,
/// … as Spark names tuple fields).
pub(crate) fn json_records<T: Serialize>(rows: &[T], names: &[&str]) -> Result<Vec<serde_json::Value>> {
    let values: Vec<serde_json::Value> = rows
        .iter()
        .map(|r| serde_json::to_value(r).map_err(|e| Error::param("rows", format!("cannot be serialized: {e}"))))
        .collect::<Result<_>>()?;
    values
        .into_iter()
        .map(|v| match v {
            serde_json::Value::Object(ref map)
                if map.keys().all(|k| names.is_empty() || names.contains(&k.as_str())) =>
            {
                Ok(v)
            }
            serde_json::Value::Array(items) => {
                let named = items.into_iter().enumerate().map(|(i, item)| (field_name(names, i), item)).collect();
                Ok(serde_json::Value::Object(named))
            }
            serde_json::Value::Object(map) => Ok(serde_json::Value::Object(
                map.into_iter().enumerate().map(|(i, (_, v))| (field_name(names, i), v)).collect(),
            )),
            scalar => Ok(serde_json::Value::Object([(field_name(names, 0), scalar)].into_iter().collect())),
        })
        .collect()
}

fn field_name(names: &[&str], i: usize) -> String {
    names.get(i).map_or_else(|| format!("_{}", i + 1), |n| n.to_string())
}
