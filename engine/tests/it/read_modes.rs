//! Parse modes of the CSV and JSON readers (`mode`, `columnNameOfCorruptRecord`), quoting, headers, empty and
//! missing files. The fixtures are in `engine/tests/fixtures/read_modes/`; every expected row is worked by hand
//! from Spark's behaviour (Spark 3.5: `UnivocityParser`, `JacksonParser`, `FailureSafeParser` and the
//! `DataFrameReader.csv`/`json` documentation), as each comment says.
//!
//! Each read runs at 1 and 3 task threads: at 3, the small fixtures are cut into several byte ranges parsed in
//! parallel, so the rows, their order and the line numbers in errors must not depend on the cut.

use crate::{TestResult, session};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::scalar::ScalarValue;
use flint_engine::prelude::*;
use std::sync::Arc;

fn fixture(name: &str) -> String {
    format!("{}/tests/fixtures/read_modes/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn schema(fields: &[(&str, DataType)]) -> SchemaRef {
    Arc::new(Schema::new(fields.iter().map(|(n, t)| Field::new(*n, t.clone(), true)).collect::<Vec<_>>()))
}

/// `people.csv`'s columns, with the corrupt-record column last if asked.
fn people_csv_schema(corrupt: bool) -> SchemaRef {
    let mut fields = vec![("name", DataType::Utf8), ("age", DataType::Int32), ("score", DataType::Float64)];
    if corrupt {
        fields.push(("_corrupt_record", DataType::Utf8));
    }
    schema(&fields)
}

/// `people.json`'s columns as a user schema: name, age (bigint), the corrupt-record column.
fn people_json_schema() -> SchemaRef {
    schema(&[("name", DataType::Utf8), ("age", DataType::Int64), ("_corrupt_record", DataType::Utf8)])
}

/// The rows as Flint's `Row(...)` strings (doubles print as DataFusion prints them: 2.0 as `2`).
fn shown(df: &DataFrame) -> TestResult<Vec<String>> {
    Ok(df.collect()?.iter().map(|r| r.to_string()).collect())
}

/// Runs `read` on sessions of 1 and 3 threads, checks both give the same rows, and returns them.
fn rows_at_1_and_3(read: impl Fn(&Session) -> Result<DataFrame>) -> TestResult<Vec<String>> {
    let one = shown(&read(&session(1))?)?;
    assert_eq!(shown(&read(&session(3))?)?, one, "rows differ when the files are cut into ranges");
    Ok(one)
}

/// Runs a read that must fail on sessions of 1 and 3 threads, checks both fail alike, and returns the error.
fn error_at_1_and_3(read: impl Fn(&Session) -> Result<DataFrame>) -> TestResult<Error> {
    let one = read(&session(1)).expect_err("the read must fail");
    let three = read(&session(3)).expect_err("the read must fail");
    assert_eq!(one.to_string(), three.to_string());
    Ok(one)
}

// people.csv, line by line:
//   1 name,age,score             header
//   2 Ann,34,1.5
//   3 Ben,abc,2.0                age is not an int
//   4 Cid,40                     one field short
//   5 Dan,28,3.5,extra           one field too many
//   6 "Eve ""E"" Smith",22,4.0   quoted, with doubled quotes
//   7                            empty: skipped
//   8 Fay,,5.5                   empty age: null, not malformed (nullValue is "")

#[test]
fn csv_permissive_keeps_malformed_records_with_nulls_and_their_line() -> TestResult {
    let rows = rows_at_1_and_3(|s| {
        s.read().schema(people_csv_schema(true)).option("header", "true").csv(&fixture("people.csv"))
    })?;
    // UnivocityParser.convert: the bad int is null and the other fields still convert; a short record's missing
    // fields are null; a long record's extra fields are dropped. Each of the three is malformed, so
    // FailureSafeParser puts its line (without terminator) in _corrupt_record; good records have null there.
    assert_eq!(
        rows,
        [
            "Row(name='Ann', age=34, score=1.5, _corrupt_record=None)",
            "Row(name='Ben', age=None, score=2, _corrupt_record='Ben,abc,2.0')",
            "Row(name='Cid', age=40, score=None, _corrupt_record='Cid,40')",
            "Row(name='Dan', age=28, score=3.5, _corrupt_record='Dan,28,3.5,extra')",
            "Row(name='Eve \"E\" Smith', age=22, score=4, _corrupt_record=None)",
            "Row(name='Fay', age=None, score=5.5, _corrupt_record=None)",
        ]
    );
    Ok(())
}

#[test]
fn csv_permissive_without_the_corrupt_column_keeps_only_the_nulls() -> TestResult {
    // PERMISSIVE is the default mode. Without _corrupt_record in the schema, FailureSafeParser returns the
    // partial rows as they are.
    let rows = rows_at_1_and_3(|s| {
        s.read().schema(people_csv_schema(false)).option("header", "true").csv(&fixture("people.csv"))
    })?;
    assert_eq!(
        rows,
        [
            "Row(name='Ann', age=34, score=1.5)",
            "Row(name='Ben', age=None, score=2)",
            "Row(name='Cid', age=40, score=None)",
            "Row(name='Dan', age=28, score=3.5)",
            "Row(name='Eve \"E\" Smith', age=22, score=4)",
            "Row(name='Fay', age=None, score=5.5)",
        ]
    );
    Ok(())
}

#[test]
fn csv_dropmalformed_drops_bad_values_and_wrong_field_counts() -> TestResult {
    let rows = rows_at_1_and_3(|s| {
        s.read()
            .schema(people_csv_schema(true))
            .option("header", "true")
            .option("mode", "DROPMALFORMED")
            .csv(&fixture("people.csv"))
    })?;
    // Ben (bad int), Cid (short) and Dan (long) all raise BadRecordException, which DROPMALFORMED drops; the
    // corrupt-record column stays in the schema, null.
    assert_eq!(
        rows,
        [
            "Row(name='Ann', age=34, score=1.5, _corrupt_record=None)",
            "Row(name='Eve \"E\" Smith', age=22, score=4, _corrupt_record=None)",
            "Row(name='Fay', age=None, score=5.5, _corrupt_record=None)",
        ]
    );
    Ok(())
}

#[test]
fn csv_failfast_names_the_file_the_line_and_the_column() -> TestResult {
    let path = fixture("people.csv");
    let err = error_at_1_and_3(|s| {
        s.read().schema(people_csv_schema(false)).option("header", "true").option("mode", "failfast").csv(&path)
    })?;
    // The first malformed record is Ben's, line 3 of the file (the header is line 1); `age` is the 2nd field.
    let message = err.to_string();
    assert!(matches!(err, Error::Execution(_)), "{err:?}");
    assert!(
        message.contains(&format!(
            "malformed CSV record in {path} line 3, column 'age' (2): expected an integer (int), found \"abc\""
        )),
        "{message}"
    );
    assert!(message.contains("FAILFAST") && message.contains("PERMISSIVE"), "{message}");

    // With age a string, Ben's line is fine and the first malformed record is Cid's short line 4.
    let strings = schema(&[("name", DataType::Utf8), ("age", DataType::Utf8), ("score", DataType::Float64)]);
    let err = error_at_1_and_3(|s| {
        s.read().schema(strings.clone()).option("header", "true").option("mode", "FAILFAST").csv(&path)
    })?;
    assert!(err.to_string().contains(&format!("in {path} line 4: expected 3 fields, found 2")), "{err}");
    Ok(())
}

#[test]
fn csv_without_a_schema_pads_short_records_and_drops_extra_fields() -> TestResult {
    // No schema: three string columns named from the header. Dan's extra field is dropped and Cid's missing
    // one is null (PERMISSIVE); the empty line is skipped, Fay's empty field is null.
    let permissive = rows_at_1_and_3(|s| s.read().option("header", "true").csv(&fixture("people.csv")))?;
    assert_eq!(permissive[2], "Row(name='Cid', age='40', score=None)");
    assert_eq!(permissive[3], "Row(name='Dan', age='28', score='3.5')");
    assert_eq!(permissive[5], "Row(name='Fay', age=None, score='5.5')");
    assert_eq!(permissive.len(), 6);
    // Every value is a string, so only the field counts are malformed: DROPMALFORMED drops Cid and Dan.
    let dropped = rows_at_1_and_3(|s| {
        s.read().option("header", "true").option("mode", "DROPMALFORMED").csv(&fixture("people.csv"))
    })?;
    assert_eq!(dropped.len(), 4);
    assert!(!dropped.iter().any(|r| r.contains("Cid") || r.contains("Dan")), "{dropped:?}");
    Ok(())
}

#[test]
fn csv_quotes_and_doubled_quotes_are_unquoted() -> TestResult {
    let rows = rows_at_1_and_3(|s| s.read().option("header", "true").csv(&fixture("quotes.csv")))?;
    // A quoted separator stays in the field; "" and \" (Spark's default escape) inside quotes are a quote; a
    // quote inside an unquoted field is kept as it is; "" alone and an empty field are null (nullValue "").
    assert_eq!(
        rows,
        [
            "Row(id='1', text='hello, world')",
            "Row(id='2', text='say \"hi\"')",
            "Row(id='3', text='back \"slash\"')",
            "Row(id='4', text='plain \"inner\" quotes')",
            "Row(id='5', text=None)",
            "Row(id='6', text=None)",
        ]
    );
    Ok(())
}

#[test]
fn each_file_of_a_directory_has_its_header_skipped() -> TestResult {
    // two_files/: part-0.csv with \r\n line ends, part-1.csv starting with an empty line before its header,
    // and _SUCCESS, which Spark skips. The header is the first non-blank line of each file
    // (CSVUtils.extractHeader filters empty lines first); the names come from the first file's.
    let df = session(2)
        .read()
        .option("header", "true")
        .option("sep", ";")
        .option("inferSchema", "true")
        .csv(&fixture("two_files"))?;
    assert_eq!(df.columns(), ["id", "name"]);
    // CSVInferSchema: 1, 2, 3 are integers (bigint in Flint); the names strings.
    assert_eq!(df.schema().field(0).data_type(), &DataType::Int64);
    assert_eq!(shown(&df)?, ["Row(id=1, name='Ann')", "Row(id=2, name='Ben')", "Row(id=3, name='Cid')"]);
    Ok(())
}

#[test]
fn csv_values_convert_to_dates_timestamps_booleans_and_doubles() -> TestResult {
    let types = schema(&[
        ("d", DataType::Date32),
        ("ts", DataType::Timestamp(arrow::datatypes::TimeUnit::Microsecond, None)),
        ("ok", DataType::Boolean),
        ("x", DataType::Float64),
        ("_corrupt_record", DataType::Utf8),
    ]);
    let df = session(2).read().schema(types).csv(&fixture("types.csv"))?;
    let rows = df.collect()?;
    // 2024-02-29 is 19782 days after 1970-01-01; 13:45:30.250 that day is 1709214330.25 s
    // (`date -u -d '2024-02-29 13:45:30' +%s` = 1709214330).
    assert_eq!(rows[0].get_as::<ScalarValue>("d")?, ScalarValue::Date32(Some(19_782)));
    assert_eq!(
        rows[0].get_as::<ScalarValue>("ts")?,
        ScalarValue::TimestampMicrosecond(Some(1_709_214_330_250_000), None)
    );
    assert!(rows[0].get_as::<bool>("ok")?);
    assert_eq!(rows[0].get_as::<f64>("x")?, -12.5);
    // 2023 is not a leap year: the date is malformed and null; the T form of the timestamp, FALSE and 1e3
    // (Java's parseDouble) convert.
    assert_eq!(rows[1].get_as::<Option<i32>>("d")?, None);
    assert_eq!(
        rows[1].get_as::<ScalarValue>("ts")?,
        ScalarValue::TimestampMicrosecond(Some(1_709_214_330_000_000), None)
    );
    assert!(!rows[1].get_as::<bool>("ok")?);
    assert_eq!(rows[1].get_as::<f64>("x")?, 1000.0);
    assert_eq!(rows[1].get_as::<String>("_corrupt_record")?, "2023-02-29,2024-02-29T13:45:30,FALSE,1e3");
    // Empty fields are nulls, not malformed.
    assert!(rows[2].get_as::<Option<bool>>("ok")?.is_none());
    assert!(rows[2].get_as::<Option<String>>("_corrupt_record")?.is_none());
    // A date alone is a timestamp at midnight; NaN is Spark's default nanValue.
    assert_eq!(
        rows[3].get_as::<ScalarValue>("ts")?,
        ScalarValue::TimestampMicrosecond(Some(1_704_067_200_000_000), None)
    );
    assert!(rows[3].get_as::<f64>("x")?.is_nan());
    Ok(())
}

#[test]
fn a_corrupt_record_column_must_be_a_string() -> TestResult {
    let bad = schema(&[("name", DataType::Utf8), ("_corrupt_record", DataType::Int32)]);
    let err = session(1).read().schema(bad).csv(&fixture("people.csv")).expect_err("not a string");
    assert!(matches!(&err, Error::InvalidParameter { name, .. } if name == "columnNameOfCorruptRecord"), "{err:?}");
    // The column's name is an option.
    let renamed = schema(&[
        ("name", DataType::Utf8),
        ("age", DataType::Int32),
        ("score", DataType::Utf8),
        ("bad", DataType::Utf8),
    ]);
    let rows = rows_at_1_and_3(|s| {
        s.read()
            .schema(renamed.clone())
            .option("header", "true")
            .option("columnNameOfCorruptRecord", "bad")
            .csv(&fixture("people.csv"))
    })?;
    assert_eq!(rows[1], "Row(name='Ben', age=None, score='2.0', bad='Ben,abc,2.0')");
    Ok(())
}

// people.json, line by line:
//   1 {"name": "Ann", "age": 34, "tags": ["a"]}
//   2 {"name": "Ben", "age": "abc"}                  a string where the schema has bigint
//   3 not json at all                                not JSON
//   4                                                empty: skipped
//   5 {"name": "Cid", "age": 40.5}                   a double where the schema has bigint
//   6 [{"name": "Dan", "age": 28}, {"name": "Eve"}]  an array of objects: two rows (SPARK-3308)
//   7 42                                             JSON, but not an object
//   8 {"name": "Fay", "age": null, "extra": true}   null is null; keys not in the schema are ignored

#[test]
fn json_permissive_keeps_partial_rows_and_the_line() -> TestResult {
    let rows = rows_at_1_and_3(|s| s.read().schema(people_json_schema()).json(&fixture("people.json")))?;
    // JacksonParser: a value of the wrong type makes the record bad with the other fields kept (partial
    // results); text that is not an object has no partial result, so every field is null. FailureSafeParser
    // puts the line in _corrupt_record.
    assert_eq!(
        rows,
        [
            "Row(name='Ann', age=34, _corrupt_record=None)",
            "Row(name='Ben', age=None, _corrupt_record='{\"name\": \"Ben\", \"age\": \"abc\"}')",
            "Row(name=None, age=None, _corrupt_record='not json at all')",
            "Row(name='Cid', age=None, _corrupt_record='{\"name\": \"Cid\", \"age\": 40.5}')",
            "Row(name='Dan', age=28, _corrupt_record=None)",
            "Row(name='Eve', age=None, _corrupt_record=None)",
            "Row(name=None, age=None, _corrupt_record='42')",
            "Row(name='Fay', age=None, _corrupt_record=None)",
        ]
    );
    Ok(())
}

#[test]
fn json_dropmalformed_drops_bad_lines() -> TestResult {
    let rows = rows_at_1_and_3(|s| {
        s.read().schema(people_json_schema()).option("mode", "DROPMALFORMED").json(&fixture("people.json"))
    })?;
    // Ben and Cid (wrong types), line 3 (not JSON) and line 7 (not an object) are dropped.
    assert_eq!(
        rows,
        [
            "Row(name='Ann', age=34, _corrupt_record=None)",
            "Row(name='Dan', age=28, _corrupt_record=None)",
            "Row(name='Eve', age=None, _corrupt_record=None)",
            "Row(name='Fay', age=None, _corrupt_record=None)",
        ]
    );
    Ok(())
}

#[test]
fn json_failfast_names_the_file_the_line_and_the_field() -> TestResult {
    let path = fixture("people.json");
    let err = error_at_1_and_3(|s| s.read().schema(people_json_schema()).option("mode", "FAILFAST").json(&path))?;
    assert!(matches!(err, Error::Execution(_)), "{err:?}");
    assert!(
        err.to_string().contains(&format!(
            "malformed JSON record in {path} line 2, field 'age': expected an integer (bigint), found \"abc\""
        )),
        "{err}"
    );
    // With age a string (JacksonParser writes any JSON value as its text), line 3 is the first bad one.
    let strings = schema(&[("name", DataType::Utf8), ("age", DataType::Utf8)]);
    let err = error_at_1_and_3(|s| s.read().schema(strings.clone()).option("mode", "FAILFAST").json(&path))?;
    assert!(err.to_string().contains(&format!("in {path} line 3: not valid JSON (")), "{err}");
    Ok(())
}

#[test]
fn json_inference_adds_the_corrupt_record_column_when_lines_are_malformed() -> TestResult {
    let path = fixture("people.json");
    let df = session(2).read().json(&path)?;
    // JsonInferSchema: age is seen as bigint, string and double, so it is a string; extra is a boolean, tags an
    // array of strings. Lines 3 and 7 are malformed, so PERMISSIVE adds _corrupt_record (withCorruptField), and
    // the fields are sorted by name ('_' sorts before lower-case letters).
    assert_eq!(df.columns(), ["_corrupt_record", "age", "extra", "name", "tags"]);
    assert_eq!(df.schema().field(1).data_type(), &DataType::Utf8);
    assert_eq!(df.schema().field(2).data_type(), &DataType::Boolean);
    let rows = rows_at_1_and_3(|s| s.read().json(&path)?.select(["_corrupt_record", "age", "name"]))?;
    // 34 and 40.5 are read into the string column as their JSON text.
    assert_eq!(
        rows,
        [
            "Row(_corrupt_record=None, age='34', name='Ann')",
            "Row(_corrupt_record=None, age='abc', name='Ben')",
            "Row(_corrupt_record='not json at all', age=None, name=None)",
            "Row(_corrupt_record=None, age='40.5', name='Cid')",
            "Row(_corrupt_record=None, age='28', name='Dan')",
            "Row(_corrupt_record=None, age=None, name='Eve')",
            "Row(_corrupt_record='42', age=None, name=None)",
            "Row(_corrupt_record=None, age=None, name='Fay')",
        ]
    );
    // DROPMALFORMED infers from the good lines only, so there is no corrupt-record column.
    let dropped = session(2).read().option("mode", "DROPMALFORMED").json(&path)?;
    assert_eq!(dropped.columns(), ["age", "extra", "name", "tags"]);
    assert_eq!(dropped.count()?, 6);
    // FAILFAST fails in inference already, at line 3.
    let err = session(2).read().option("mode", "FAILFAST").json(&path).expect_err("malformed");
    assert!(err.to_string().contains(&format!("in {path} line 3: not valid JSON")), "{err}");
    Ok(())
}

#[test]
fn empty_files_give_empty_dataframes() -> TestResult {
    let s = session(2);
    // Spark: no lines, no columns to infer.
    let csv = s.read().csv(&fixture("empty.csv"))?;
    assert!(csv.columns().is_empty());
    assert_eq!(csv.count()?, 0);
    let typed = s.read().schema(people_csv_schema(true)).option("header", "true").csv(&fixture("empty.csv"))?;
    assert_eq!(typed.columns(), ["name", "age", "score", "_corrupt_record"]);
    assert_eq!(typed.count()?, 0);
    let json = s.read().json(&fixture("empty.json"))?;
    assert!(json.columns().is_empty());
    assert_eq!(json.count()?, 0);
    Ok(())
}

#[test]
fn a_missing_file_is_path_not_found() -> TestResult {
    let s = session(2);
    let missing = fixture("no-such-file.csv");
    let csv = s.read().option("mode", "FAILFAST").csv(&missing).expect_err("missing");
    assert!(matches!(&csv, Error::PathNotFound { path } if path.to_string_lossy() == missing), "{csv:?}");
    let json = s.read().json(&fixture("no-such-*.json")).expect_err("missing");
    assert!(matches!(json, Error::PathNotFound { .. }), "{json:?}");
    Ok(())
}

#[test]
fn json_values_convert_as_jackson_parser_does_and_nested_errors_name_their_path() -> TestResult {
    let path = fixture("types.json");
    let types = |corrupt: bool| {
        let mut fields = vec![
            ("d", DataType::Date32),
            ("ts", DataType::Timestamp(arrow::datatypes::TimeUnit::Microsecond, None)),
            ("x", DataType::Float64),
            ("tags", DataType::List(Arc::new(Field::new_list_field(DataType::Utf8, true)))),
            ("addr", DataType::Struct(vec![Field::new("zip", DataType::Int64, true)].into())),
        ];
        if corrupt {
            fields.push(("_corrupt_record", DataType::Utf8));
        }
        schema(&fields)
    };
    let rows = rows_at_1_and_3(|s| s.read().schema(types(true)).json(&path))?;
    // Line 1: the date string; 13:45:30.250 on 2024-02-29 is 1709214330.25 s (as in the CSV test); "NaN" is a
    // double (allowNonNumericNumbers); 1 in an array of strings is its JSON text. Line 2: 2024-02-30 is no date;
    // an integer timestamp is seconds; "-INF" is -infinity; "x" for the struct's bigint makes the whole `addr`
    // null; the record is malformed, so the line is kept in _corrupt_record.
    assert_eq!(
        rows,
        [
            "Row(d=2024-02-29, ts=1709214330250000, x=NaN, tags=[a, 1], addr={zip:75001}, _corrupt_record=None)",
            "Row(d=None, ts=1709214330000000, x=-inf, tags=None, addr=None, _corrupt_record='{\"d\": \"2024-02-30\", \
             \"ts\": 1709214330, \"x\": \"-INF\", \"tags\": null, \"addr\": {\"zip\": \"x\"}}')",
        ]
    );
    let err = error_at_1_and_3(|s| s.read().schema(types(false)).option("mode", "FAILFAST").json(&path))?;
    assert!(
        err.to_string()
            .contains(&format!("in {path} line 2, field 'd': expected a date yyyy-MM-dd (date), found \"2024-02-30\"")),
        "{err}"
    );
    // Without the date, the first bad value is inside the struct: the message gives its path.
    let without_date = schema(&[("addr", DataType::Struct(vec![Field::new("zip", DataType::Int64, true)].into()))]);
    let err = error_at_1_and_3(|s| s.read().schema(without_date.clone()).option("mode", "FAILFAST").json(&path))?;
    assert!(err.to_string().contains("line 2, field 'addr.zip': expected an integer (bigint), found \"x\""), "{err}");
    Ok(())
}

#[test]
fn gzip_files_are_decompressed() -> TestResult {
    use std::io::Write;
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("people.csv.gz");
    let mut gz = flate2::write::GzEncoder::new(std::fs::File::create(&path)?, flate2::Compression::default());
    gz.write_all(&std::fs::read(fixture("people.csv"))?)?;
    gz.finish()?;
    let read = |s: &Session| {
        s.read()
            .schema(people_csv_schema(false))
            .option("header", "true")
            .option("mode", "FAILFAST")
            .csv(&path.to_string_lossy())
    };
    // The same line numbers as the plain file: line 3 is Ben's bad age.
    let err = error_at_1_and_3(read)?;
    assert!(err.to_string().contains("line 3, column 'age' (2)"), "{err}");
    Ok(())
}
