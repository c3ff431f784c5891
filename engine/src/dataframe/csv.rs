//! CSV parsing for `read().csv(..)`, following Spark's `UnivocityParser` and `FailureSafeParser` (Spark 3.5,
//! `sql/catalyst/src/main/scala/org/apache/spark/sql/catalyst/csv/UnivocityParser.scala` and
//! `…/catalyst/util/FailureSafeParser.scala`).
//!
//! Tokens: fields are split at the separator (`sep`, default `,`). A field that starts with `"` is quoted: it
//! ends at the next lone `"`, and inside it `""` and `\"` (Spark's default `escape`) stand for `"`; text after
//! the closing quote up to the separator is kept. A quote that is never closed runs to the end of the line.
//! Lines that are empty once trimmed are skipped; with `header`, the first non-blank line of each file is
//! skipped.
//!
//! Records, as `UnivocityParser.convert` treats them: the schema's columns (without the corrupt-record
//! column) take the record's fields in order. A record with fewer fields than columns is malformed and its
//! missing fields are null; one with more is malformed and the extra fields are dropped. A field that does not
//! convert to its column's type is malformed and null, and the other fields are still converted; the empty
//! string is null for every type (Spark's `nullValue` is `""`, and `nullSafeDatum` applies to strings too).
//! A malformed record is then kept with those nulls (`PERMISSIVE`, the corrupt-record column holding the line),
//! dropped (`DROPMALFORMED`) or fails the read (`FAILFAST`). When a record has both a wrong number of fields and
//! a bad value, the error names the number of fields, which Spark checks first.
//!
//! Without a schema the columns are named from the header (empty names become `_c<i>`, names repeated in any
//! case get their index appended, as Spark's `makeSafeHeader` does) or are `_c0`, `_c1`, …; their number is the
//! number of fields of the first non-blank line. They are strings, or with `inferSchema` the types Spark's
//! `CSVInferSchema` finds over every record: each column tries, from the type found so far on, bigint, double,
//! date, timestamp, boolean, else string; empty fields do not count, and a column of nothing else is a string.
//! Integers are inferred as bigint where Spark picks int for those that fit, as Flint has always inferred them
//! (programs read them as `i64`); integers beyond bigint are inferred as double (Spark: decimal).

use super::{
    BATCH_ROWS, Lines, Mode, ParseSettings, Split, SplitDone, SplitError, as_nullable, corrupt_index, expected,
    first_line, is_blank, parse_date, parse_timestamp, plan_splits, run_splits, shorten, with_files,
};
use crate::dataframe::show::spark_type_name;
use crate::error::{Error, Result};
use crate::session::Session;
use datafusion::arrow::array::{
    ArrayRef, ArrowPrimitiveType, BooleanBuilder, PrimitiveBuilder, RecordBatch, RecordBatchOptions, StringBuilder,
};
use datafusion::arrow::compute::kernels::cast_utils::parse_decimal;
use datafusion::arrow::datatypes::{
    ArrowTimestampType, DataType, Date32Type, Decimal128Type, Field, FieldRef, Float32Type, Float64Type, Int8Type,
    Int16Type, Int32Type, Int64Type, Schema, SchemaRef, TimeUnit, TimestampMicrosecondType, TimestampMillisecondType,
    TimestampNanosecondType, TimestampSecondType,
};
use std::path::PathBuf;
use std::sync::Arc;

/// The options that shape CSV parsing.
#[derive(Debug, Clone)]
pub(super) struct CsvOptions {
    pub(super) sep: u8,
    pub(super) header: bool,
    pub(super) infer: bool,
    pub(super) settings: ParseSettings,
}

/// Parses the files into batches of the user's schema, or of one named from the first line and typed by
/// `inferSchema`.
pub(super) fn read(
    session: &Session,
    files: &[PathBuf],
    user_schema: Option<&Schema>,
    options: &CsvOptions,
) -> Result<(SchemaRef, Vec<(PathBuf, RecordBatch)>)> {
    let splits = plan_splits(session, files)?;
    let schema = match user_schema {
        Some(schema) => as_nullable(schema),
        None => schema_of_files(session, files, &splits, options)?,
    };
    let corrupt = corrupt_index(&schema, &options.settings.corrupt_column)?;
    let batches = run_splits(session, &splits, "CSV", |split| parse_split(split, &schema, corrupt, options))?;
    Ok((schema, with_files(&splits, batches)))
}

/// The schema Spark gives files read without one: names from the header or `_c<i>`, types all strings or
/// inferred. No non-blank line at all gives no columns.
fn schema_of_files(session: &Session, files: &[PathBuf], splits: &[Split], options: &CsvOptions) -> Result<SchemaRef> {
    let Some(line) = first_line(files)? else { return Ok(Arc::new(Schema::empty())) };
    let mut tokens = Tokenizer::new(options.sep);
    tokens.split(&line);
    let names: Vec<String> = if options.header {
        safe_header(tokens.fields(&line).map(|f| String::from_utf8_lossy(f).into_owned()).collect())
    } else {
        (0..tokens.len()).map(|i| format!("_c{i}")).collect()
    };
    let types = if options.infer {
        infer_types(session, splits, names.len(), options)?
    } else {
        vec![DataType::Utf8; names.len()]
    };
    let fields: Vec<Field> = names.into_iter().zip(types).map(|(name, t)| Field::new(name, t, true)).collect();
    Ok(Arc::new(Schema::new(fields)))
}

/// Spark's `makeSafeHeader`: empty names become `_c<i>`, and names that appear more than once (ignoring case, as
/// Spark's default `spark.sql.caseSensitive=false` does) get their index appended.
fn safe_header(names: Vec<String>) -> Vec<String> {
    let lower: Vec<String> = names.iter().map(|n| n.to_lowercase()).collect();
    names
        .into_iter()
        .zip(&lower)
        .enumerate()
        .map(|(i, (name, low))| {
            if name.is_empty() {
                format!("_c{i}")
            } else if lower.iter().filter(|l| *l == low).count() > 1 {
                format!("{name}{i}")
            } else {
                name
            }
        })
        .collect()
}

/// The non-blank lines of a split, without the header when the split starts a file that has one.
struct Records<'a> {
    lines: Lines<'a>,
    header: bool,
}

impl<'a> Records<'a> {
    fn new(bytes: &'a [u8], split: &Split, options: &CsvOptions) -> Self {
        Records { lines: Lines::new(bytes), header: options.header && split.start == 0 }
    }
}

impl<'a> Iterator for Records<'a> {
    type Item = (u64, &'a [u8]);

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let (number, line) = self.lines.next()?;
            if is_blank(line) {
                continue;
            }
            if self.header {
                self.header = false;
                continue;
            }
            return Some((number, line));
        }
    }
}

/// Infers the column types over every record, each split in parallel, then merges them.
fn infer_types(session: &Session, splits: &[Split], columns: usize, options: &CsvOptions) -> Result<Vec<DataType>> {
    let found = run_splits(session, splits, "CSV", |split| {
        let bytes = split.read()?;
        let mut types = vec![Inferred::Null; columns];
        let mut tokens = Tokenizer::new(options.sep);
        let mut records = Records::new(&bytes, split, options);
        for (_, line) in records.by_ref() {
            tokens.split(line);
            // Spark's `inferRowType`: a short record says nothing of its missing columns, extra fields are ignored.
            for (t, field) in types.iter_mut().zip(tokens.fields(line)) {
                *t = t.infer(field);
            }
        }
        Ok(SplitDone { value: types, lines: records.lines.number })
    })?;
    let merged = found
        .into_iter()
        .reduce(|a, b| a.into_iter().zip(b).map(|(x, y)| x.merge(y)).collect())
        .unwrap_or_else(|| vec![Inferred::Null; columns]);
    Ok(merged.into_iter().map(Inferred::data_type).collect())
}

/// A column type during inference (Spark's `CSVInferSchema` without decimals).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Inferred {
    Null,
    Long,
    Double,
    Date,
    Timestamp,
    Boolean,
    String,
}

impl Inferred {
    /// Spark's `inferField`: the types are tried in this order, from the type found so far on.
    const ORDER: [Inferred; 5] =
        [Inferred::Long, Inferred::Double, Inferred::Date, Inferred::Timestamp, Inferred::Boolean];

    fn infer(self, field: &[u8]) -> Self {
        if field.is_empty() {
            return self;
        }
        let start = if self == Inferred::Null { Inferred::Long } else { self };
        let found =
            Self::ORDER.into_iter().skip_while(|t| *t != start).find(|t| t.accepts(field)).unwrap_or(Inferred::String);
        self.merge(found)
    }

    fn accepts(self, field: &[u8]) -> bool {
        match self {
            Inferred::Long => parse_int(field).is_some(),
            Inferred::Double => parse_float(field).is_some(),
            Inferred::Date => parse_date(field).is_some(),
            Inferred::Timestamp => parse_timestamp(field, TimeUnit::Microsecond).is_some(),
            Inferred::Boolean => parse_bool(field).is_some(),
            Inferred::Null | Inferred::String => true,
        }
    }

    /// Spark's `compatibleType`: numbers widen to double, dates to timestamps, anything else mixed is a string.
    fn merge(self, other: Self) -> Self {
        match (self, other) {
            (a, b) if a == b => a,
            (Inferred::Null, t) | (t, Inferred::Null) => t,
            (Inferred::Long, Inferred::Double) | (Inferred::Double, Inferred::Long) => Inferred::Double,
            (Inferred::Date, Inferred::Timestamp) | (Inferred::Timestamp, Inferred::Date) => Inferred::Timestamp,
            _ => Inferred::String,
        }
    }

    fn data_type(self) -> DataType {
        match self {
            Inferred::Null | Inferred::String => DataType::Utf8,
            Inferred::Long => DataType::Int64,
            Inferred::Double => DataType::Float64,
            Inferred::Date => DataType::Date32,
            Inferred::Timestamp => DataType::Timestamp(TimeUnit::Microsecond, None),
            Inferred::Boolean => DataType::Boolean,
        }
    }
}

/// Parses one split into batches of at most `BATCH_ROWS` rows.
fn parse_split(
    split: &Split,
    schema: &SchemaRef,
    corrupt: Option<usize>,
    options: &CsvOptions,
) -> Result<SplitDone<Vec<RecordBatch>>, SplitError> {
    let bytes = split.read()?;
    let mut rows = Rows::new(schema, corrupt)?;
    let mut tokens = Tokenizer::new(options.sep);
    let mut records = Records::new(&bytes, split, options);
    let mut batches = Vec::new();
    for (number, line) in records.by_ref() {
        tokens.split(line);
        match rows.stage(&tokens, line) {
            None => rows.commit(&tokens, line, None),
            Some(bad) => match options.settings.mode {
                Mode::Permissive => rows.commit(&tokens, line, Some(line)),
                Mode::DropMalformed => continue,
                Mode::FailFast => {
                    return Err(SplitError::Malformed { line: number, detail: rows.describe(bad, &tokens, line) });
                }
            },
        }
        if rows.len == BATCH_ROWS {
            batches.push(rows.finish()?);
        }
    }
    if rows.len > 0 {
        batches.push(rows.finish()?);
    }
    Ok(SplitDone { value: batches, lines: records.lines.number })
}

/// The fields of one line. Fields of a line without quotes are ranges of the line; a line with quotes is
/// unquoted into `unquoted` and the ranges point there.
#[derive(Debug)]
struct Tokenizer {
    sep: u8,
    fields: Vec<(usize, usize)>,
    unquoted: Vec<u8>,
    quoted: bool,
}

impl Tokenizer {
    fn new(sep: u8) -> Self {
        Tokenizer { sep, fields: Vec::new(), unquoted: Vec::new(), quoted: false }
    }

    /// Splits a line into its fields.
    fn split(&mut self, line: &[u8]) {
        self.fields.clear();
        // Lines are short: one plain scan beats several `memchr` calls, each with its set-up.
        let mut start = 0;
        for (i, &b) in line.iter().enumerate() {
            if b == self.sep {
                self.fields.push((start, i));
                start = i + 1;
            } else if b == b'"' {
                return self.split_quoted(line);
            }
        }
        self.fields.push((start, line.len()));
        self.quoted = false;
    }

    /// The path for lines with a quote anywhere: the fields are copied into `unquoted` without their quotes.
    fn split_quoted(&mut self, line: &[u8]) {
        self.fields.clear();
        self.quoted = true;
        self.unquoted.clear();
        let mut pos = 0;
        loop {
            let start = self.unquoted.len();
            if line.get(pos) == Some(&b'"') {
                pos = self.quoted_field(line, pos + 1);
            }
            // Unquoted text, or what follows a closing quote, runs to the separator.
            let rest = line.get(pos..).unwrap_or_default();
            let stop = memchr::memchr(self.sep, rest).unwrap_or(rest.len());
            self.unquoted.extend_from_slice(&rest[..stop]);
            self.fields.push((start, self.unquoted.len()));
            if stop == rest.len() {
                break;
            }
            pos += stop + 1;
        }
    }

    /// Copies the inside of a quoted field starting at `pos` (after its opening quote) into `unquoted`; returns
    /// the position after the closing quote, or the line's end if the quote is not closed.
    fn quoted_field(&mut self, line: &[u8], mut pos: usize) -> usize {
        loop {
            let rest = line.get(pos..).unwrap_or_default();
            let Some(i) = memchr::memchr2(b'"', b'\\', rest) else {
                self.unquoted.extend_from_slice(rest);
                return line.len();
            };
            self.unquoted.extend_from_slice(&rest[..i]);
            pos += i;
            match (line.get(pos), line.get(pos + 1)) {
                // `""` and `\"` are a quote inside the field.
                (Some(b'"' | b'\\'), Some(b'"')) => {
                    self.unquoted.push(b'"');
                    pos += 2;
                }
                (Some(b'\\'), _) => {
                    self.unquoted.push(b'\\');
                    pos += 1;
                }
                _ => return pos + 1,
            }
        }
    }

    fn len(&self) -> usize {
        self.fields.len()
    }

    /// Field `i` of `line` (the line last split), if the line has that many.
    fn get<'a>(&'a self, line: &'a [u8], i: usize) -> Option<&'a [u8]> {
        let &(start, end) = self.fields.get(i)?;
        if self.quoted { self.unquoted.get(start..end) } else { line.get(start..end) }
    }

    fn fields<'a>(&'a self, line: &'a [u8]) -> impl Iterator<Item = &'a [u8]> + 'a {
        (0..self.len()).filter_map(move |i| self.get(line, i))
    }
}

/// Why a record is malformed: its number of fields, or the first field (by index) that did not convert.
#[derive(Debug, Clone, Copy)]
enum Bad {
    Fields(usize),
    Value(usize),
}

/// The batch under way. A record's fields are first staged (parsed and held), then committed if the record is
/// kept, so that a dropped record leaves nothing behind.
struct Rows {
    schema: SchemaRef,
    /// The data columns, in the order of the record's fields, and their fields.
    columns: Vec<Box<dyn ColumnBuilder>>,
    fields: Vec<FieldRef>,
    /// The corrupt-record column: its index in the schema and its values.
    corrupt: Option<(usize, StringBuilder)>,
    len: usize,
}

impl Rows {
    fn new(schema: &SchemaRef, corrupt: Option<usize>) -> Result<Self> {
        let fields: Vec<FieldRef> =
            schema.fields().iter().enumerate().filter(|(i, _)| Some(*i) != corrupt).map(|(_, f)| f.clone()).collect();
        let columns = fields.iter().map(|f| column_builder(f)).collect::<Result<_>>()?;
        let corrupt = corrupt.map(|i| (i, StringBuilder::with_capacity(0, 0)));
        Ok(Rows { schema: schema.clone(), columns, fields, corrupt, len: 0 })
    }

    /// Parses the record's fields; `Some` says why the record is malformed.
    fn stage(&mut self, tokens: &Tokenizer, line: &[u8]) -> Option<Bad> {
        let mut bad = (tokens.len() != self.columns.len()).then_some(Bad::Fields(tokens.len()));
        for (i, column) in self.columns.iter_mut().enumerate() {
            if !column.stage(tokens.get(line, i)) && bad.is_none() {
                bad = Some(Bad::Value(i));
            }
        }
        bad
    }

    /// Appends the staged record, with `corrupt` (the line of a malformed record) in the corrupt-record column.
    fn commit(&mut self, tokens: &Tokenizer, line: &[u8], corrupt: Option<&[u8]>) {
        for (i, column) in self.columns.iter_mut().enumerate() {
            column.commit(tokens.get(line, i));
        }
        if let Some((_, values)) = &mut self.corrupt {
            values.append_option(corrupt.map(String::from_utf8_lossy));
        }
        self.len += 1;
    }

    /// The message's part after the line number.
    fn describe(&self, bad: Bad, tokens: &Tokenizer, line: &[u8]) -> String {
        match bad {
            Bad::Fields(found) => format!(": expected {} fields, found {found}", self.columns.len()),
            Bad::Value(i) => {
                let text = tokens.get(line, i).map(String::from_utf8_lossy).unwrap_or_default();
                let (name, expected) =
                    self.fields.get(i).map(|f| (f.name().as_str(), expected(f.data_type()))).unwrap_or_default();
                format!(", column '{name}' ({}): expected {expected}, found {:?}", i + 1, shorten(&text))
            }
        }
    }

    fn finish(&mut self) -> Result<RecordBatch> {
        let mut arrays: Vec<ArrayRef> = self.columns.iter_mut().map(|c| c.finish()).collect();
        if let Some((index, values)) = &mut self.corrupt {
            arrays.insert(*index, Arc::new(values.finish()));
        }
        // The row count matters for a schema of no data columns.
        let options = RecordBatchOptions::new().with_row_count(Some(self.len));
        self.len = 0;
        Ok(RecordBatch::try_new_with_options(self.schema.clone(), arrays, &options)?)
    }
}

/// A data column of the batch under way.
trait ColumnBuilder {
    /// Parses a field (`None` when the record is too short, which is null); false if it does not convert, and
    /// then null is staged.
    fn stage(&mut self, field: Option<&[u8]>) -> bool;
    /// Appends the staged value; `field` is the field that was staged.
    fn commit(&mut self, field: Option<&[u8]>);
    fn finish(&mut self) -> ArrayRef;
}

/// A string column: every field converts, so there is nothing to stage.
struct Strings(StringBuilder);

impl ColumnBuilder for Strings {
    fn stage(&mut self, _: Option<&[u8]>) -> bool {
        true
    }

    fn commit(&mut self, field: Option<&[u8]>) {
        match field.filter(|f| !f.is_empty()) {
            None => self.0.append_null(),
            // Checking is much faster than `from_utf8_lossy`; invalid bytes become U+FFFD, as Java decodes them.
            Some(bytes) => match std::str::from_utf8(bytes) {
                Ok(text) => self.0.append_value(text),
                Err(_) => self.0.append_value(String::from_utf8_lossy(bytes)),
            },
        }
    }

    fn finish(&mut self) -> ArrayRef {
        Arc::new(self.0.finish())
    }
}

/// Arrow builders that append an optional value: the primitive ones and the boolean one.
trait AppendOption {
    type Value;
    fn append(&mut self, value: Option<Self::Value>);
    fn finish_array(&mut self) -> ArrayRef;
}

impl<T: ArrowPrimitiveType> AppendOption for PrimitiveBuilder<T> {
    type Value = T::Native;

    fn append(&mut self, value: Option<T::Native>) {
        self.append_option(value);
    }

    fn finish_array(&mut self) -> ArrayRef {
        Arc::new(self.finish())
    }
}

impl AppendOption for BooleanBuilder {
    type Value = bool;

    fn append(&mut self, value: Option<bool>) {
        self.append_option(value);
    }

    fn finish_array(&mut self) -> ArrayRef {
        Arc::new(self.finish())
    }
}

/// A column of values that `parse` reads from the field's text.
struct Parsed<B: AppendOption, F> {
    builder: B,
    parse: F,
    staged: Option<B::Value>,
}

impl<B: AppendOption, F: Fn(&[u8]) -> Option<B::Value>> ColumnBuilder for Parsed<B, F> {
    fn stage(&mut self, field: Option<&[u8]>) -> bool {
        match field {
            None | Some([]) => {
                self.staged = None;
                true
            }
            Some(text) => {
                self.staged = (self.parse)(text);
                self.staged.is_some()
            }
        }
    }

    fn commit(&mut self, _: Option<&[u8]>) {
        self.builder.append(self.staged.take());
    }

    fn finish(&mut self) -> ArrayRef {
        self.builder.finish_array()
    }
}

fn parsed<B: AppendOption + 'static>(
    builder: B,
    parse: impl Fn(&[u8]) -> Option<B::Value> + 'static,
) -> Box<dyn ColumnBuilder> {
    Box::new(Parsed { builder, parse, staged: None })
}

fn primitives<T: ArrowPrimitiveType>(parse: impl Fn(&[u8]) -> Option<T::Native> + 'static) -> Box<dyn ColumnBuilder> {
    parsed(PrimitiveBuilder::<T>::with_capacity(BATCH_ROWS), parse)
}

fn timestamps<T: ArrowTimestampType>(timezone: Option<Arc<str>>) -> Box<dyn ColumnBuilder> {
    parsed(PrimitiveBuilder::<T>::with_capacity(BATCH_ROWS).with_timezone_opt(timezone), |f| {
        parse_timestamp(f, T::UNIT)
    })
}

/// The builder of a column of `field`'s type, or an error naming the column if CSV cannot give that type.
fn column_builder(field: &Field) -> Result<Box<dyn ColumnBuilder>> {
    Ok(match field.data_type() {
        DataType::Utf8 => Box::new(Strings(StringBuilder::with_capacity(BATCH_ROWS, BATCH_ROWS * 8))),
        DataType::Int8 => primitives::<Int8Type>(|f| parse_int(f)?.try_into().ok()),
        DataType::Int16 => primitives::<Int16Type>(|f| parse_int(f)?.try_into().ok()),
        DataType::Int32 => primitives::<Int32Type>(|f| parse_int(f)?.try_into().ok()),
        DataType::Int64 => primitives::<Int64Type>(parse_int),
        DataType::Float32 => primitives::<Float32Type>(|f| parse_float(f).map(|v| v as f32)),
        DataType::Float64 => primitives::<Float64Type>(parse_float),
        DataType::Boolean => parsed(BooleanBuilder::with_capacity(BATCH_ROWS), parse_bool),
        DataType::Date32 => primitives::<Date32Type>(parse_date),
        DataType::Timestamp(TimeUnit::Second, tz) => timestamps::<TimestampSecondType>(tz.clone()),
        DataType::Timestamp(TimeUnit::Millisecond, tz) => timestamps::<TimestampMillisecondType>(tz.clone()),
        DataType::Timestamp(TimeUnit::Microsecond, tz) => timestamps::<TimestampMicrosecondType>(tz.clone()),
        DataType::Timestamp(TimeUnit::Nanosecond, tz) => timestamps::<TimestampNanosecondType>(tz.clone()),
        &DataType::Decimal128(precision, scale) => parsed(
            PrimitiveBuilder::<Decimal128Type>::with_capacity(BATCH_ROWS).with_precision_and_scale(precision, scale)?,
            move |f| parse_decimal::<Decimal128Type>(std::str::from_utf8(f).ok()?, precision, scale).ok(),
        ),
        other => {
            return Err(Error::param(
                "schema",
                format!(
                    "column `{}` is {}, which CSV cannot hold; use string, tinyint, smallint, int, bigint, float, \
                     double, boolean, date, timestamp or decimal",
                    field.name(),
                    spark_type_name(other)
                ),
            ));
        }
    })
}

/// Java's `Integer.parseInt` / `Long.parseLong`: an optional sign and decimal digits, nothing else.
fn parse_int(field: &[u8]) -> Option<i64> {
    let (negative, digits) = match field {
        [b'-', rest @ ..] => (true, rest),
        [b'+', rest @ ..] => (false, rest),
        _ => (false, field),
    };
    if digits.is_empty() {
        return None;
    }
    // Accumulated negatively so that i64::MIN parses.
    let mut value: i64 = 0;
    for &b in digits {
        let digit = b.wrapping_sub(b'0');
        if digit > 9 {
            return None;
        }
        value = value.checked_mul(10)?.checked_sub(i64::from(digit))?;
    }
    if negative { Some(value) } else { value.checked_neg() }
}

/// Spark's double converter: its `nanValue`, `positiveInf` and `negativeInf` defaults, then Java's
/// `Double.parseDouble` (which trims whitespace and also takes `Infinity`).
fn parse_float(field: &[u8]) -> Option<f64> {
    if let Some(value) = plain_decimal(field) {
        return Some(value);
    }
    let text = std::str::from_utf8(field).ok()?.trim_ascii();
    match text {
        "NaN" => Some(f64::NAN),
        "Inf" | "Infinity" | "+Infinity" => Some(f64::INFINITY),
        "-Inf" | "-Infinity" => Some(f64::NEG_INFINITY),
        _ => {
            // Rust also reads `inf` and `nan`, which Java does not: only numbers go to `parse`.
            let unsigned = text.strip_prefix(['+', '-']).unwrap_or(text);
            unsigned.starts_with(|c: char| c.is_ascii_digit() || c == '.').then(|| text.parse().ok()).flatten()
        }
    }
}

/// Exact powers of ten as doubles (all below 2^53).
const POWERS_OF_TEN: [f64; 16] = [1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15];

/// The common case of a double, `[+-]digits[.digits]` with at most 15 digits, without going through `str`
/// (Clinger's fast path: the digits and the power of ten are exact doubles, so one correctly rounded division
/// gives the correctly rounded value, as `parseDouble` does). `None` sends other forms to the full parser.
fn plain_decimal(field: &[u8]) -> Option<f64> {
    let (negative, rest) = match field {
        [b'-', rest @ ..] => (true, rest),
        [b'+', rest @ ..] => (false, rest),
        _ => (false, field),
    };
    let mut mantissa: u64 = 0;
    let mut digits = 0;
    let mut point = None;
    for (i, &b) in rest.iter().enumerate() {
        match b {
            b'0'..=b'9' if digits < 15 => {
                mantissa = mantissa * 10 + u64::from(b - b'0');
                digits += 1;
            }
            b'.' if point.is_none() => point = Some(i),
            _ => return None,
        }
    }
    if digits == 0 {
        return None;
    }
    let scale = point.map_or(0, |i| rest.len() - i - 1);
    let value = mantissa as f64 / POWERS_OF_TEN.get(scale)?;
    Some(if negative { -value } else { value })
}

/// Scala's `toBoolean`: `true` or `false` in any case.
fn parse_bool(field: &[u8]) -> Option<bool> {
    if field.eq_ignore_ascii_case(b"true") {
        Some(true)
    } else if field.eq_ignore_ascii_case(b"false") {
        Some(false)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(line: &str) -> Vec<String> {
        let mut t = Tokenizer::new(b',');
        t.split(line.as_bytes());
        t.fields(line.as_bytes()).map(|f| String::from_utf8_lossy(f).into_owned()).collect()
    }

    #[test]
    fn the_tokenizer_reads_quotes_as_univocity_does() {
        assert_eq!(tokens("a,b,,c"), ["a", "b", "", "c"]);
        assert_eq!(tokens("a,"), ["a", ""]);
        assert_eq!(tokens(r#""a,b","say ""hi""",x"#), ["a,b", r#"say "hi""#, "x"]);
        assert_eq!(tokens(r#""a \"b\"",c"#), [r#"a "b""#, "c"]);
        assert_eq!(tokens(r#""",a"b,"ab"cd"#), ["", r#"a"b"#, "abcd"]);
        assert_eq!(tokens(r#""open,to end"#), ["open,to end"]);
        assert_eq!(tokens(r#""back\slash""#), [r"back\slash"]);
    }

    #[test]
    fn values_convert_as_java_parses_them() {
        assert_eq!(parse_int(b"-9223372036854775808"), Some(i64::MIN));
        assert_eq!(parse_int(b"+42"), Some(42));
        assert_eq!(parse_int(b"9223372036854775808"), None);
        assert_eq!(parse_int(b"4 2"), None);
        assert_eq!(parse_int(b"-"), None);
        assert_eq!(parse_float(b" 1.5e3 "), Some(1500.0));
        assert_eq!(parse_float(b"-Inf"), Some(f64::NEG_INFINITY));
        assert!(parse_float(b"NaN").is_some_and(f64::is_nan));
        assert_eq!(parse_float(b"inf"), None);
        assert_eq!(parse_float(b"abc"), None);
        // The fast path and the full parser agree, to the bit.
        for text in ["57.20", "-0.1", "0.30000000000000004", "123456789012345", "1234567890123456", "5.", ".5", "-0"] {
            let full: f64 = text.parse().expect("a number");
            assert_eq!(parse_float(text.as_bytes()).map(f64::to_bits), Some(full.to_bits()), "{text}");
        }
        assert_eq!(plain_decimal(b"."), None);
        assert_eq!(plain_decimal(b"1.2.3"), None);
        assert_eq!(parse_bool(b"TRUE"), Some(true));
        assert_eq!(parse_bool(b"yes"), None);
    }

    #[test]
    fn inference_follows_sparks_order_and_merges() {
        let infer = |fields: &[&str]| fields.iter().fold(Inferred::Null, |t, f| t.infer(f.as_bytes()));
        assert_eq!(infer(&["1", "", "2"]), Inferred::Long);
        assert_eq!(infer(&["1", "2.5"]), Inferred::Double);
        assert_eq!(infer(&["2.5", "1"]), Inferred::Double);
        assert_eq!(infer(&["2024-01-02", "2024-01-02 03:04:05"]), Inferred::Timestamp);
        assert_eq!(infer(&["true", "False"]), Inferred::Boolean);
        assert_eq!(infer(&["1", "true"]), Inferred::String);
        assert_eq!(infer(&["2024-01-02", "7"]), Inferred::String);
        assert_eq!(infer(&[""]), Inferred::Null);
        assert_eq!(Inferred::Null.data_type(), DataType::Utf8);
    }

    #[test]
    fn headers_are_made_safe_as_spark_does() {
        let names = |v: &[&str]| safe_header(v.iter().map(|s| s.to_string()).collect());
        assert_eq!(names(&["a", "", "A", "b"]), ["a0", "_c1", "A2", "b"]);
    }
}
