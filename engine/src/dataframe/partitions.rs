//! Partition discovery: a directory written with `partition_by` (`country=FR/year=2024/part-….parquet`) reads
//! back with its partition columns, appended after the data columns, as Spark's partition discovery gives them.
//!
//! Types are inferred from the directory values as Spark infers them: `int` when every value is one, then
//! `bigint`, `double`, `date` (`yyyy-MM-dd`), `timestamp`, otherwise `string`; `__HIVE_DEFAULT_PARTITION__` is
//! null; `%XX` escapes are decoded. A user schema that names a partition column gives its type instead.

use crate::error::{Error, Result};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::common::ScalarValue;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Spark's (and Hive's) directory name for a null partition value.
const NULL_PARTITION: &str = "__HIVE_DEFAULT_PARTITION__";

/// The partition columns of a directory and the values of each data file.
#[derive(Debug)]
pub(super) struct Layout {
    pub(super) columns: Vec<Field>,
    /// The data files, sorted by path.
    pub(super) files: Vec<PathBuf>,
    values: HashMap<PathBuf, Vec<ScalarValue>>,
}

/// `%XX` escapes decoded (Spark escapes `/`, `=`, `%`, `:` and other special characters in partition values).
fn unescape(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(b) = text.get(i + 1..i + 3).and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hidden(name: &str) -> bool {
    (name.starts_with('_') || name.starts_with('.')) && !name.contains('=')
}

/// The data files under `dir` with the `(column, raw value)` pairs of the partition directories above them.
fn walk(dir: &Path, above: &[(String, String)], out: &mut Vec<(PathBuf, Vec<(String, String)>)>) -> Result<()> {
    let entries = std::fs::read_dir(dir).map_err(|e| Error::io("listing", dir, e))?;
    for entry in entries {
        let path = entry.map_err(|e| Error::io("listing", dir, e))?.path();
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        if hidden(&name) {
            continue;
        }
        if path.is_dir() {
            match name.split_once('=') {
                Some((column, value)) if !column.is_empty() => {
                    let mut here = above.to_vec();
                    here.push((unescape(column), value.to_string()));
                    walk(&path, &here, out)?;
                }
                // Spark ignores directories that are not `column=value` below a partitioned table's root.
                _ => {}
            }
        } else {
            out.push((path, above.to_vec()));
        }
    }
    Ok(())
}

/// The type Spark infers for one partition value; `None` for the null value.
fn value_type(raw: &str) -> Option<DataType> {
    if raw == NULL_PARTITION {
        return None;
    }
    let text = unescape(raw);
    Some(if text.parse::<i32>().is_ok() {
        DataType::Int32
    } else if text.parse::<i64>().is_ok() {
        DataType::Int64
    } else if text.parse::<f64>().is_ok_and(f64::is_finite) {
        DataType::Float64
    } else if super::parse_date(text.as_bytes()).is_some() && text.len() == 10 {
        DataType::Date32
    } else if super::parse_timestamp(text.as_bytes(), TimeUnit::Microsecond).is_some() {
        DataType::Timestamp(TimeUnit::Microsecond, None)
    } else {
        DataType::Utf8
    })
}

/// The common type of two partition values' types (Spark's `resolveTypeConflicts`).
fn widen(a: DataType, b: DataType) -> DataType {
    use DataType::*;
    match (a, b) {
        (a, b) if a == b => a,
        (Int32, Int64) | (Int64, Int32) => Int64,
        (Int32 | Int64 | Float64, Int32 | Int64 | Float64) => Float64,
        (Date32, t @ Timestamp(..)) | (t @ Timestamp(..), Date32) => t,
        _ => Utf8,
    }
}

/// The partition layout under `path`, or `None` when it is not a directory with `column=value` subdirectories.
pub(super) fn discover(path: &str, user_schema: Option<&Schema>) -> Result<Option<Layout>> {
    let root = Path::new(path);
    if !root.is_dir() {
        return Ok(None);
    }
    let mut found = Vec::new();
    walk(root, &[], &mut found)?;
    if found.iter().all(|(_, values)| values.is_empty()) {
        return Ok(None);
    }
    found.sort();
    let names: Vec<String> = found[0].1.iter().map(|(c, _)| c.clone()).collect();
    for (file, values) in &found {
        let these: Vec<&String> = values.iter().map(|(c, _)| c).collect();
        if these != names.iter().collect::<Vec<_>>() {
            return Err(Error::Execution(format!(
                "conflicting partition column names under {}: {} has [{}], other files have [{}]",
                root.display(),
                file.display(),
                these.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", "),
                names.join(", ")
            )));
        }
    }
    let mut columns = Vec::with_capacity(names.len());
    for (i, name) in names.iter().enumerate() {
        let given = user_schema.and_then(|s| s.field_with_name(name).ok()).map(|f| f.data_type().clone());
        let inferred = || found.iter().filter_map(|(_, v)| value_type(&v[i].1)).reduce(widen).unwrap_or(DataType::Utf8);
        columns.push(Field::new(name, given.unwrap_or_else(inferred), true));
    }
    let mut values = HashMap::with_capacity(found.len());
    let mut files = Vec::with_capacity(found.len());
    for (file, raw) in found {
        let mut typed = Vec::with_capacity(raw.len());
        for ((name, value), field) in raw.iter().zip(&columns) {
            let scalar = if value == NULL_PARTITION {
                ScalarValue::try_from(field.data_type())?
            } else {
                ScalarValue::try_from_string(unescape(value), field.data_type()).map_err(|_| {
                    Error::Execution(format!(
                        "partition directory {name}={value} of {}: `{value}` is not a {}",
                        file.display(),
                        super::spark_type_name(field.data_type())
                    ))
                })?
            };
            typed.push(scalar);
        }
        values.insert(file.clone(), typed);
        files.push(file);
    }
    Ok(Some(Layout { columns, files, values }))
}

impl Layout {
    /// The schema of the data files' rows plus the partition columns.
    pub(super) fn schema(&self, data: &Schema) -> SchemaRef {
        let mut fields: Vec<Field> = data.fields().iter().map(|f| f.as_ref().clone()).collect();
        fields.extend(self.columns.iter().cloned());
        Arc::new(Schema::new(fields))
    }

    /// A user schema without the partition columns: what the data files hold.
    pub(super) fn data_schema(&self, user: &Schema) -> Schema {
        let partition: Vec<&String> = self.columns.iter().map(Field::name).collect();
        Schema::new(user.fields().iter().filter(|f| !partition.contains(&f.name())).cloned().collect::<Vec<_>>())
    }

    /// Each batch of a data file with its partition values appended as constant columns.
    pub(super) fn append(
        &self,
        data: &Schema,
        batches: Vec<(PathBuf, RecordBatch)>,
    ) -> Result<(SchemaRef, Vec<RecordBatch>)> {
        let schema = self.schema(data);
        let mut out = Vec::with_capacity(batches.len());
        for (file, batch) in batches {
            let values =
                self.values.get(&file).ok_or_else(|| Error::Internal(format!("{} was not listed", file.display())))?;
            let mut columns = batch.columns().to_vec();
            for value in values {
                columns.push(value.to_array_of_size(batch.num_rows())?);
            }
            out.push(RecordBatch::try_new(Arc::clone(&schema), columns)?);
        }
        Ok((schema, out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_widen_as_spark_infers_them() {
        let t = |v: &[&str]| v.iter().filter_map(|x| value_type(x)).reduce(widen);
        assert_eq!(t(&["1", "2"]), Some(DataType::Int32));
        assert_eq!(t(&["1", "3000000000"]), Some(DataType::Int64));
        assert_eq!(t(&["1", "2.5"]), Some(DataType::Float64));
        assert_eq!(t(&["2024-01-31"]), Some(DataType::Date32));
        assert_eq!(t(&["1", "FR"]), Some(DataType::Utf8));
        assert_eq!(t(&[NULL_PARTITION]), None);
        assert_eq!(unescape("a%2Fb%3D"), "a/b=");
    }
}
