//! JSON lines for `read().json(..)`, following Spark's `JacksonParser`, `JsonInferSchema` and
//! `FailureSafeParser` (Spark 3.5, `sql/catalyst/src/main/scala/org/apache/spark/sql/catalyst/json/` and
//! `…/catalyst/util/FailureSafeParser.scala`).
//!
//! Records: each non-blank line is one JSON value. An object is a row; an array of objects is a row per object
//! (Spark's SPARK-3308). Anything else (text that is not JSON, a number, an array holding something other
//! than objects) is a malformed record without a partial result: in `PERMISSIVE` mode a row of nulls, with the
//! line in the corrupt-record column if the schema has one.
//!
//! Values convert as `JacksonParser` converts them: `null` is null for every type; a string column takes a
//! JSON string as it is and any other value as its JSON text; integer columns take JSON integers in range;
//! float and double columns any JSON number, or the strings `NaN`, `Infinity`, `+Infinity`, `-Infinity`, `INF`,
//! `+INF`, `-INF`; booleans `true`/`false`; dates a string `yyyy-MM-dd`; timestamps a string (as in CSV) or an
//! integer number of seconds since the epoch; decimals a number or a string that fits; arrays a JSON array and
//! structs an object. Keys match field names exactly; keys the schema does not name are ignored. A field that
//! does not convert makes the record malformed: that field is null and the others keep their values (Spark's
//! partial results). A value that does not convert inside an array or a struct makes its whole top-level field
//! null, and the message names the path to it (`address.zip`, `tags[2]`).
//!
//! Without a schema, the schema is inferred over every record as `JsonInferSchema` does: booleans, bigints
//! (integers beyond bigint: double, where Spark picks a decimal), doubles, strings (no dates or timestamps),
//! arrays and structs, the fields of a struct sorted by name; a field seen with different types is a double
//! if they are bigint and double, a merged struct or array if both are, otherwise a string; a field never but
//! null is a string, and fields that are empty structs are dropped. Malformed lines add a string column named
//! by `columnNameOfCorruptRecord` in `PERMISSIVE` mode, are ignored in `DROPMALFORMED` mode, and fail the read
//! in `FAILFAST` mode.

use super::{
    BATCH_ROWS, Lines, Mode, ParseSettings, Split, SplitDone, SplitError, as_nullable, corrupt_index, expected,
    is_blank, parse_date, parse_timestamp, plan_splits, run_splits, shorten, with_files,
};
use crate::dataframe::show::spark_type_name;
use crate::error::{Error, Result};
use crate::session::Session;
use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::compute::kernels::cast_utils::parse_decimal;
use datafusion::arrow::datatypes::{DataType, Decimal128Type, Field, Schema, SchemaRef, TimeUnit};
use datafusion::arrow::json::ReaderBuilder;
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

/// A JSON object, one row.
type Object = Map<String, Value>;

/// Parses the files into batches of the user's schema, or of the schema inferred from them.
pub(super) fn read(
    session: &Session,
    files: &[PathBuf],
    user_schema: Option<&Schema>,
    settings: &ParseSettings,
) -> Result<(SchemaRef, Vec<(PathBuf, RecordBatch)>)> {
    let splits = plan_splits(session, files)?;
    let schema = match user_schema {
        Some(schema) => {
            for field in schema.fields() {
                check_type(field.name(), field.data_type())?;
            }
            as_nullable(schema)
        }
        None => infer_schema(session, &splits, settings)?,
    };
    let corrupt = corrupt_index(&schema, &settings.corrupt_column)?;
    let batches = run_splits(session, &splits, "JSON", |split| parse_split(split, &schema, corrupt, settings))?;
    Ok((schema, with_files(&splits, batches)))
}

/// Fails, naming the column, on a type the reader cannot give.
fn check_type(name: &str, data_type: &DataType) -> Result<()> {
    match data_type {
        DataType::Utf8
        | DataType::Int8
        | DataType::Int16
        | DataType::Int32
        | DataType::Int64
        | DataType::Float32
        | DataType::Float64
        | DataType::Boolean
        | DataType::Date32
        | DataType::Timestamp(..)
        | DataType::Decimal128(..)
        | DataType::Null => Ok(()),
        DataType::List(element) | DataType::LargeList(element) => check_type(name, element.data_type()),
        DataType::Struct(fields) => fields.iter().try_for_each(|f| check_type(name, f.data_type())),
        other => Err(Error::param(
            "schema",
            format!(
                "column `{name}` is or holds {}, which the JSON reader cannot give; use string, tinyint, smallint, \
                 int, bigint, float, double, boolean, date, timestamp, decimal, array or struct",
                spark_type_name(other)
            ),
        )),
    }
}

/// A line's rows, or why it is malformed (the message's part after the line number).
fn parse_line(line: &[u8]) -> Result<Vec<Object>, String> {
    match serde_json::from_slice::<Value>(line) {
        Err(e) => Err(format!(": not valid JSON ({})", json_error(&e))),
        Ok(Value::Object(row)) => Ok(vec![row]),
        Ok(Value::Array(items)) => items
            .into_iter()
            .map(|item| match item {
                Value::Object(row) => Ok(row),
                other => Err(format!(": expected objects in the array, found {}", shorten(&other.to_string()))),
            })
            .collect(),
        Ok(other) => Err(format!(": expected a JSON object, found {}", shorten(&other.to_string()))),
    }
}

/// serde's message without its `at line 1`, since the line is the file's line, given before.
fn json_error(e: &serde_json::Error) -> String {
    let text = e.to_string();
    let message = text.rsplit_once(" at line ").map_or(text.as_str(), |(m, _)| m);
    format!("{message} at column {}", e.column())
}

/// Infers the schema over every record, each split in parallel, then merges the splits' types.
fn infer_schema(session: &Session, splits: &[Split], settings: &ParseSettings) -> Result<SchemaRef> {
    let found = run_splits(session, splits, "JSON", |split| {
        let bytes = split.read()?;
        let mut root = DataType::Null;
        let mut malformed = false;
        let mut lines = Lines::new(&bytes);
        for (number, line) in lines.by_ref() {
            if is_blank(line) {
                continue;
            }
            match parse_line(line) {
                Ok(rows) => {
                    for row in &rows {
                        root = compatible(root, object_type(row));
                    }
                }
                Err(detail) => match settings.mode {
                    Mode::Permissive => malformed = true,
                    Mode::DropMalformed => {}
                    Mode::FailFast => return Err(SplitError::Malformed { line: number, detail }),
                },
            }
        }
        Ok(SplitDone { value: (root, malformed), lines: lines.number })
    })?;
    let (root, malformed) =
        found.into_iter().fold((DataType::Null, false), |(t, m), (u, n)| (compatible(t, u), m || n));
    let mut fields: Vec<Field> = match canonical(root) {
        Some(DataType::Struct(fields)) => fields.iter().map(|f| f.as_ref().clone()).collect(),
        _ => Vec::new(),
    };
    // Spark's `withCorruptField`: the column is added, and the fields sorted again, if malformed lines were seen.
    if malformed && !fields.iter().any(|f| f.name() == &settings.corrupt_column) {
        fields.push(Field::new(&settings.corrupt_column, DataType::Utf8, true));
        fields.sort_by(|a, b| a.name().cmp(b.name()));
    }
    Ok(Arc::new(Schema::new(fields)))
}

/// `JsonInferSchema.inferField`, with `Null` standing for Spark's `NullType`.
fn infer_value(value: &Value) -> DataType {
    match value {
        Value::Null => DataType::Null,
        Value::Bool(_) => DataType::Boolean,
        Value::Number(n) if n.is_i64() => DataType::Int64,
        Value::Number(_) => DataType::Float64,
        Value::String(_) => DataType::Utf8,
        Value::Array(items) => list(items.iter().map(infer_value).fold(DataType::Null, compatible)),
        Value::Object(row) => object_type(row),
    }
}

/// A struct of the object's fields, sorted by name.
fn object_type(row: &Object) -> DataType {
    let mut fields: Vec<(&String, DataType)> = row.iter().map(|(k, v)| (k, infer_value(v))).collect();
    fields.sort_by(|a, b| a.0.cmp(b.0));
    DataType::Struct(fields.into_iter().map(|(name, t)| Field::new(name, t, true)).collect())
}

fn list(element: DataType) -> DataType {
    DataType::List(Arc::new(Field::new_list_field(element, true)))
}

/// Spark's `compatibleType` for inferred JSON types.
fn compatible(a: DataType, b: DataType) -> DataType {
    match (a, b) {
        (a, b) if a == b => a,
        (DataType::Null, t) | (t, DataType::Null) => t,
        (DataType::Int64, DataType::Float64) | (DataType::Float64, DataType::Int64) => DataType::Float64,
        (DataType::Struct(x), DataType::Struct(y)) => {
            let mut merged: BTreeMap<String, DataType> = BTreeMap::new();
            for field in x.iter().chain(y.iter()) {
                let t = match merged.remove(field.name()) {
                    Some(seen) => compatible(seen, field.data_type().clone()),
                    None => field.data_type().clone(),
                };
                merged.insert(field.name().clone(), t);
            }
            DataType::Struct(merged.into_iter().map(|(name, t)| Field::new(name, t, true)).collect())
        }
        (DataType::List(x), DataType::List(y)) => list(compatible(x.data_type().clone(), y.data_type().clone())),
        _ => DataType::Utf8,
    }
}

/// Spark's `canonicalizeType`: a type that stayed null is a string; fields with empty names and fields that are
/// empty structs are dropped (`None` for an empty struct).
fn canonical(data_type: DataType) -> Option<DataType> {
    match data_type {
        DataType::Null => Some(DataType::Utf8),
        DataType::List(element) => canonical(element.data_type().clone()).map(list),
        DataType::Struct(fields) => {
            let fields: Vec<Field> = fields
                .iter()
                .filter(|f| !f.name().is_empty())
                .filter_map(|f| canonical(f.data_type().clone()).map(|t| Field::new(f.name(), t, true)))
                .collect();
            (!fields.is_empty()).then(|| DataType::Struct(fields.into()))
        }
        other => Some(other),
    }
}

/// Parses one split into batches of about `BATCH_ROWS` rows (a line holding an array of objects may add more).
fn parse_split(
    split: &Split,
    schema: &SchemaRef,
    corrupt: Option<usize>,
    settings: &ParseSettings,
) -> Result<SplitDone<Vec<RecordBatch>>, SplitError> {
    let bytes = split.read()?;
    let mut decoder = ReaderBuilder::new(schema.clone()).build_decoder()?;
    let corrupt_name = corrupt.map(|i| schema.field(i).name().clone());
    let mut rows: Vec<Object> = Vec::new();
    let mut batches = Vec::new();
    let mut lines = Lines::new(&bytes);
    for (number, line) in lines.by_ref() {
        if is_blank(line) {
            continue;
        }
        match convert_line(line, schema, corrupt) {
            Ok(converted) => rows.extend(converted),
            Err((detail, mut partial)) => match settings.mode {
                Mode::Permissive => {
                    if let Some(name) = &corrupt_name {
                        partial.insert(name.clone(), Value::String(String::from_utf8_lossy(line).into_owned()));
                    }
                    rows.push(partial);
                }
                Mode::DropMalformed => {}
                Mode::FailFast => return Err(SplitError::Malformed { line: number, detail }),
            },
        }
        if rows.len() >= BATCH_ROWS {
            decoder.serialize(&rows)?;
            batches.extend(decoder.flush()?);
            rows.clear();
        }
    }
    decoder.serialize(&rows)?;
    batches.extend(decoder.flush()?);
    Ok(SplitDone { value: batches, lines: lines.number })
}

/// A line's rows converted to the schema; or why the line is malformed, with the row `PERMISSIVE` keeps (the
/// partial row of a single object, or an empty one).
fn convert_line(line: &[u8], schema: &Schema, corrupt: Option<usize>) -> Result<Vec<Object>, (String, Object)> {
    let objects = parse_line(line).map_err(|detail| (detail, Object::new()))?;
    let single = objects.len() == 1;
    let mut rows = Vec::with_capacity(objects.len());
    for mut object in objects {
        match conform_row(&mut object, schema, corrupt) {
            Ok(()) => rows.push(object),
            Err(detail) => return Err((detail, if single { object } else { Object::new() })),
        }
    }
    Ok(rows)
}

/// Converts the object's fields in place; a field that does not convert becomes null, and the first one is
/// described. A key named like the corrupt-record column is not data (Spark parses without that column).
fn conform_row(object: &mut Object, schema: &Schema, corrupt: Option<usize>) -> Result<(), String> {
    let mut first = None;
    for (i, field) in schema.fields().iter().enumerate() {
        if Some(i) == corrupt {
            object.remove(field.name());
            continue;
        }
        let Some(value) = object.get_mut(field.name()) else { continue };
        if let Err(m) = conform(value, field.data_type()) {
            *value = Value::Null;
            first.get_or_insert_with(|| {
                format!(", field '{}{}': expected {}, found {}", field.name(), m.path, m.expected, m.found)
            });
        }
    }
    first.map_or(Ok(()), Err)
}

/// Where a value does not convert: the path below its top-level field, what was expected and what was found.
#[derive(Debug)]
struct Mismatch {
    path: String,
    expected: String,
    found: String,
}

impl Mismatch {
    fn new(value: &Value, data_type: &DataType) -> Self {
        Mismatch { path: String::new(), expected: expected(data_type), found: shorten(&value.to_string()) }
    }

    fn under(mut self, step: String) -> Self {
        self.path.insert_str(0, &step);
        self
    }
}

/// Converts a value in place into what Arrow's JSON decoder reads as `data_type`, as `JacksonParser` converts
/// it (see the module documentation): dates and timestamps become numbers in their unit, non-strings in a
/// string column their JSON text, the non-numeric doubles strings Arrow parses.
fn conform(value: &mut Value, data_type: &DataType) -> Result<(), Mismatch> {
    if value.is_null() {
        return Ok(());
    }
    let converted = match data_type {
        DataType::Utf8 => {
            if !value.is_string() {
                *value = Value::String(value.to_string());
            }
            return Ok(());
        }
        DataType::Int8 | DataType::Int16 | DataType::Int32 | DataType::Int64 => {
            value.as_i64().filter(|&v| integer_fits(v, data_type)).map(Value::from)
        }
        DataType::Float32 | DataType::Float64 if value.is_number() => return Ok(()),
        DataType::Float32 | DataType::Float64 => value.as_str().and_then(non_numeric_double).map(Value::from),
        DataType::Boolean if value.is_boolean() => return Ok(()),
        DataType::Date32 => value.as_str().and_then(|s| parse_date(s.as_bytes())).map(Value::from),
        &DataType::Timestamp(unit, _) => {
            let instant = match &*value {
                Value::String(s) => parse_timestamp(s.as_bytes(), unit),
                Value::Number(n) => n.as_i64().and_then(|seconds| seconds_in(seconds, unit)),
                _ => None,
            };
            instant.map(Value::from)
        }
        &DataType::Decimal128(precision, scale) => {
            let text = match &*value {
                Value::Number(n) => Some(n.to_string()),
                Value::String(s) => Some(s.clone()),
                _ => None,
            };
            text.filter(|t| parse_decimal::<Decimal128Type>(t, precision, scale).is_ok()).map(Value::String)
        }
        DataType::List(element) | DataType::LargeList(element) => {
            let Value::Array(items) = value else { return Err(Mismatch::new(value, data_type)) };
            for (i, item) in items.iter_mut().enumerate() {
                conform(item, element.data_type()).map_err(|m| m.under(format!("[{i}]")))?;
            }
            return Ok(());
        }
        DataType::Struct(fields) => {
            let Value::Object(object) = value else { return Err(Mismatch::new(value, data_type)) };
            for field in fields {
                if let Some(child) = object.get_mut(field.name()) {
                    conform(child, field.data_type()).map_err(|m| m.under(format!(".{}", field.name())))?;
                }
            }
            return Ok(());
        }
        _ => None,
    };
    match converted {
        Some(v) => {
            *value = v;
            Ok(())
        }
        None => Err(Mismatch::new(value, data_type)),
    }
}

fn integer_fits(v: i64, data_type: &DataType) -> bool {
    match data_type {
        DataType::Int8 => i8::try_from(v).is_ok(),
        DataType::Int16 => i16::try_from(v).is_ok(),
        DataType::Int32 => i32::try_from(v).is_ok(),
        _ => true,
    }
}

/// The strings `JacksonParser` reads as non-numeric doubles (`allowNonNumericNumbers`), as Arrow spells them.
fn non_numeric_double(text: &str) -> Option<&'static str> {
    match text {
        "NaN" => Some("NaN"),
        "Infinity" | "+Infinity" | "INF" | "+INF" => Some("inf"),
        "-Infinity" | "-INF" => Some("-inf"),
        _ => None,
    }
}

/// Spark reads an integer timestamp as seconds since the epoch.
fn seconds_in(seconds: i64, unit: TimeUnit) -> Option<i64> {
    match unit {
        TimeUnit::Second => Some(seconds),
        TimeUnit::Millisecond => seconds.checked_mul(1_000),
        TimeUnit::Microsecond => seconds.checked_mul(1_000_000),
        TimeUnit::Nanosecond => seconds.checked_mul(1_000_000_000),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(text: &str) -> Value {
        serde_json::from_str(text).expect("test JSON")
    }

    #[test]
    fn inference_merges_as_spark_does() {
        let t = |text: &str| infer_value(&json(text));
        assert_eq!(compatible(t("1"), t("2.5")), DataType::Float64);
        assert_eq!(compatible(t("1"), t("\"a\"")), DataType::Utf8);
        assert_eq!(compatible(t("[1]"), t("[null, 2.5]")), list(DataType::Float64));
        let merged = compatible(t(r#"{"b": 1}"#), t(r#"{"a": null, "b": null}"#));
        assert_eq!(
            canonical(merged),
            Some(DataType::Struct(
                vec![Field::new("a", DataType::Utf8, true), Field::new("b", DataType::Int64, true)].into()
            ))
        );
        assert_eq!(canonical(t(r#"{"e": {}}"#)), None);
    }

    #[test]
    fn values_conform_as_jackson_parser_converts_them() {
        let conformed = |text: &str, data_type: &DataType| {
            let mut value = json(text);
            conform(&mut value, data_type).map(|()| value).map_err(|m| (m.path, m.found))
        };
        assert_eq!(conformed("5", &DataType::Utf8).expect("string"), json("\"5\""));
        assert_eq!(conformed("{\"a\":1}", &DataType::Utf8).expect("string"), json(r#""{\"a\":1}""#));
        assert!(conformed("3000000000", &DataType::Int32).is_err());
        assert!(conformed("1.0", &DataType::Int64).is_err());
        assert!(conformed("\"1\"", &DataType::Int64).is_err());
        assert_eq!(conformed("\"-INF\"", &DataType::Float64).expect("double"), json("\"-inf\""));
        assert_eq!(conformed("\"1970-01-02\"", &DataType::Date32).expect("date"), json("1"));
        let ts = DataType::Timestamp(TimeUnit::Millisecond, None);
        assert_eq!(conformed("2", &ts).expect("seconds"), json("2000"));
        let nested = DataType::List(Arc::new(Field::new_list_field(DataType::Int64, true)));
        assert_eq!(
            conformed(r#"[1, "x"]"#, &nested).expect_err("bad element"),
            ("[1]".to_string(), "\"x\"".to_string())
        );
    }
}
