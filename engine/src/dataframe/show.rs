//! Spark's text renderings of Arrow data: `df.show()`, `df.printSchema()` and the type names Spark prints.
//!
//! Everything here follows Apache Spark 4.x byte for byte, so that a lab's output reads the same on Flint as on
//! Spark:
//! - [`show_string`] is `Dataset.showString` (what `show(n, truncate, vertical)` prints),
//! - [`format_value`] is the cell text, Spark's `ToPrettyString` (a cast to string that prints `NULL` and binary
//!   as hex),
//! - [`tree_string`] is `StructType.treeString` (what `printSchema()` prints),
//! - [`spark_type_name`] is `DataType.simpleString` (`int`, `array<string>`, used by `dtypes`, `explain` and DDL),
//!   and [`spark_json_type_name`] is `DataType.typeName` (`integer`, `array`, used by `printSchema`).
//!
//! Arrow types map onto Spark's the way Spark's own Arrow and Parquet readers map them: unsigned integers widen to
//! the next signed type (`UInt64` to `decimal(20,0)`), `Duration` is a day-time interval, a dictionary or run-end
//! encoded column shows as its values.

use std::fmt::Write as _;

use arrow::array::{Array, ArrayRef, AsArray};
use arrow::datatypes::{
    DataType, Date32Type, Date64Type, Decimal32Type, Decimal64Type, Decimal128Type, Decimal256Type,
    DurationMicrosecondType, DurationMillisecondType, DurationNanosecondType, DurationSecondType, Field, Float16Type,
    Float32Type, Float64Type, Int8Type, Int16Type, Int32Type, Int64Type, IntervalDayTimeType, IntervalMonthDayNanoType,
    IntervalUnit, IntervalYearMonthType, Schema, Time32MillisecondType, Time32SecondType, Time64MicrosecondType,
    Time64NanosecondType, TimeUnit, TimestampMicrosecondType, TimestampMillisecondType, TimestampNanosecondType,
    TimestampSecondType, UInt8Type, UInt16Type, UInt32Type, UInt64Type,
};
use arrow::downcast_dictionary_array;
use arrow::record_batch::RecordBatch;
use arrow::util::display::{ArrayFormatter, FormatOptions};

/// Spark never draws a column narrower than this (`minimumColWidth` in `showString`).
const MIN_COL_WIDTH: usize = 3;

const NANOS_PER_SECOND: i128 = 1_000_000_000;
const SECONDS_PER_DAY: i64 = 86_400;

/// Spark's `Dataset.showString(numRows, truncate, vertical)`: the text `df.show(...)` prints.
///
/// `batches` hold the first rows of the DataFrame (at most `num_rows` are shown) and `has_more` says whether it
/// has more than `num_rows` rows, which adds Spark's `only showing top N rows` footer. Cells longer than
/// `truncate` are cut to `truncate - 3` characters plus `...` (to `truncate` characters when it is below 4) and
/// right-aligned; `truncate == 0` shows them whole and left-aligned. `vertical` prints one `-RECORD i` block per
/// row. Column widths count East-Asian full-width characters as two columns ([`string_half_width`]).
///
/// The text ends with a newline, after the footer too, as in Spark's own `DataFrameShowSuite` expectations
/// (`only showing top 1 row\n`, `(0 rows)\n`); `show` prints it as is.
pub(crate) fn show_string(
    schema: &Schema,
    batches: &[RecordBatch],
    num_rows: usize,
    truncate: usize,
    vertical: bool,
    has_more: bool,
) -> String {
    // Column names are escaped but never truncated: Spark's `getRows` truncates the data rows only.
    let header: Vec<String> = schema.fields().iter().map(|f| escape_meta_characters(f.name())).collect();
    let mut rows: Vec<Vec<String>> = Vec::new();
    'batches: for batch in batches {
        for row in 0..batch.num_rows() {
            if rows.len() >= num_rows {
                break 'batches;
            }
            let cells = batch
                .columns()
                .iter()
                .map(|column| truncate_cell(escape_meta_characters(&format_value(column.as_ref(), row)), truncate));
            rows.push(cells.collect());
        }
    }

    let mut out = String::new();
    if vertical {
        write_vertical(&mut out, &header, &rows);
    } else {
        write_table(&mut out, &header, &rows, truncate > 0);
    }
    if vertical && rows.is_empty() {
        out.push_str("(0 rows)\n");
    } else if has_more {
        let noun = if num_rows == 1 { "row" } else { "rows" };
        let _ = writeln!(out, "only showing top {num_rows} {noun}");
    }
    out
}

/// The notebook's HTML table of `rows` (at most the first rows of a DataFrame of `total` rows): column names with
/// their types in the header, values formatted as in `show()`, and the row count below.
pub(crate) fn html_table(schema: &Schema, rows: &RecordBatch, total: u64) -> String {
    use crate::notebook::html_escape;
    let mut out = String::from("<table class=\"flint-dataframe\">\n<thead><tr>");
    for field in schema.fields() {
        let _ = write!(
            out,
            "<th>{}<br><small>{}</small></th>",
            html_escape(field.name()),
            html_escape(&spark_type_name(field.data_type()))
        );
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for row in 0..rows.num_rows() {
        out.push_str("<tr>");
        for column in rows.columns() {
            let _ = write!(out, "<td>{}</td>", html_escape(&format_value(column.as_ref(), row)));
        }
        out.push_str("</tr>\n");
    }
    let noun = if total == 1 { "row" } else { "rows" };
    let shown = if (rows.num_rows() as u64) < total {
        format!(" (showing the first {})", rows.num_rows())
    } else {
        String::new()
    };
    let _ = write!(out, "</tbody>\n</table>\n<p>{total} {noun}{shown}</p>\n");
    out
}

/// The `+---+` table: header, separator, data rows, separator.
pub(crate) fn write_table(out: &mut String, header: &[String], rows: &[Vec<String>], align_right: bool) {
    let mut widths = vec![MIN_COL_WIDTH; header.len()];
    for line in std::iter::once(header).chain(rows.iter().map(Vec::as_slice)) {
        for (width, cell) in widths.iter_mut().zip(line) {
            *width = (*width).max(string_half_width(cell));
        }
    }
    // Scala's `addString(sb, "+", "+", "+\n")`: the start and end marks even with no columns (`++`).
    let mut separator = String::from("+");
    for width in &widths {
        separator.push_str(&"-".repeat(*width));
        separator.push('+');
    }
    if widths.is_empty() {
        separator.push('+');
    }
    separator.push('\n');

    let write_line = |out: &mut String, line: &[String]| {
        out.push('|');
        if line.is_empty() {
            out.push('|');
        }
        for (cell, width) in line.iter().zip(&widths) {
            let padding = " ".repeat(width.saturating_sub(string_half_width(cell)));
            if align_right {
                out.push_str(&padding);
                out.push_str(cell);
            } else {
                out.push_str(cell);
                out.push_str(&padding);
            }
            out.push('|');
        }
        out.push('\n');
    };
    // Spark's `addString` writes the separator into the buffer as it builds it: the table opens with one.
    out.push_str(&separator);
    write_line(out, header);
    out.push_str(&separator);
    for row in rows {
        write_line(out, row);
    }
    out.push_str(&separator);
}

/// The vertical form: for each row a `-RECORD i---` line, then ` name | value ` per column, all left-aligned.
fn write_vertical(out: &mut String, header: &[String], rows: &[Vec<String>]) {
    let name_width = header.iter().map(|name| string_half_width(name)).fold(MIN_COL_WIDTH, usize::max);
    let data_width = rows.iter().flatten().map(|cell| string_half_width(cell)).fold(MIN_COL_WIDTH, usize::max);
    for (i, row) in rows.iter().enumerate() {
        // Spark pads `-RECORD i` with dashes to the width of a ` name | value ` line: both widths plus 5.
        let title = format!("-RECORD {i}");
        let dashes = (name_width + data_width + 5).saturating_sub(string_half_width(&title));
        let _ = writeln!(out, "{title}{}", "-".repeat(dashes));
        for (name, cell) in header.iter().zip(row) {
            let name_pad = " ".repeat(name_width.saturating_sub(string_half_width(name)));
            let cell_pad = " ".repeat(data_width.saturating_sub(string_half_width(cell)));
            let _ = writeln!(out, " {name}{name_pad} | {cell}{cell_pad} ");
        }
    }
}

/// Spark's cell truncation. Lengths are Java string lengths (UTF-16 units), as Spark compares `str.length`.
fn truncate_cell(cell: String, truncate: usize) -> String {
    if truncate == 0 || utf16_len(&cell) <= truncate {
        return cell;
    }
    // Spark shows no ellipsis when fewer than 4 characters are allowed.
    if truncate < 4 {
        utf16_prefix(&cell, truncate).to_string()
    } else {
        format!("{}...", utf16_prefix(&cell, truncate - 3))
    }
}

fn utf16_len(s: &str) -> usize {
    s.chars().map(char::len_utf16).sum()
}

/// The longest prefix of `s` at most `units` UTF-16 units long. Java's `substring` may cut a surrogate pair in
/// half; a Rust string cannot hold half a character, so such a character is dropped whole instead.
fn utf16_prefix(s: &str, units: usize) -> &str {
    let mut used = 0;
    for (at, c) in s.char_indices() {
        used += c.len_utf16();
        if used > units {
            return &s[..at];
        }
    }
    s
}

/// Spark's `Utils.stringHalfWidth`: the columns a string takes in a terminal, counting each full-width character
/// (CJK, Hangul, full-width forms: Spark's `fullWidthRegex`) as two. Like Spark it starts from the Java length, so
/// a character outside the Basic Multilingual Plane (an emoji) also counts two.
pub(crate) fn string_half_width(s: &str) -> usize {
    s.chars().map(|c| c.len_utf16() + usize::from(is_full_width(c))).sum()
}

/// The character ranges of Spark's `Utils.fullWidthRegex`.
fn is_full_width(c: char) -> bool {
    matches!(
        c,
        '\u{1100}'..='\u{115F}'
            | '\u{2E80}'..='\u{A4CF}'
            | '\u{AC00}'..='\u{D7A3}'
            | '\u{F900}'..='\u{FAFF}'
            | '\u{FE10}'..='\u{FE19}'
            | '\u{FE30}'..='\u{FE6F}'
            | '\u{FF00}'..='\u{FF60}'
            | '\u{FFE0}'..='\u{FFE6}'
    )
}

/// Spark's `SchemaUtils.escapeMetaCharacters`: control characters that would break the table's layout are shown
/// as their escape sequences (`\n`, `\t`, ...), in column names and cells alike.
fn escape_meta_characters(s: &str) -> String {
    if !s.contains(['\n', '\r', '\t', '\u{0C}', '\u{08}', '\u{0B}', '\u{07}']) {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{0C}' => out.push_str("\\f"),
            '\u{08}' => out.push_str("\\b"),
            '\u{0B}' => out.push_str("\\v"),
            '\u{07}' => out.push_str("\\a"),
            other => out.push(other),
        }
    }
    out
}

/// The text Spark shows for the value at `row` of `column` (Spark's `ToPrettyString`, the cast `show` applies).
///
/// `NULL` for nulls (inside arrays, structs and maps too); `true`/`false`; integers as they are; floating-point
/// numbers as Java's `Double.toString`/`Float.toString`; decimals in plain notation with their scale (`1.50`);
/// binary as hex bytes (`[01 02 0A]`); dates `yyyy-MM-dd`; timestamps `yyyy-MM-dd HH:mm:ss` plus the fraction of
/// a second without trailing zeros; arrays `[1, 2, NULL]`; structs `{1, a}`; maps `{a -> 1, b -> 2}`.
///
/// Timestamps print their wall-clock time: one without a time zone as stored (Spark's `timestamp_ntz`), one with
/// a time zone in UTC, where Spark would use the session time zone (`spark.sql.session.timeZone`).
pub(crate) fn format_value(column: &dyn Array, row: usize) -> String {
    if column.is_null(row) || matches!(column.data_type(), DataType::Null) {
        return "NULL".to_string();
    }
    match column.data_type() {
        DataType::Boolean => column.as_boolean().value(row).to_string(),
        DataType::Int8 => column.as_primitive::<Int8Type>().value(row).to_string(),
        DataType::Int16 => column.as_primitive::<Int16Type>().value(row).to_string(),
        DataType::Int32 => column.as_primitive::<Int32Type>().value(row).to_string(),
        DataType::Int64 => column.as_primitive::<Int64Type>().value(row).to_string(),
        DataType::UInt8 => column.as_primitive::<UInt8Type>().value(row).to_string(),
        DataType::UInt16 => column.as_primitive::<UInt16Type>().value(row).to_string(),
        DataType::UInt32 => column.as_primitive::<UInt32Type>().value(row).to_string(),
        DataType::UInt64 => column.as_primitive::<UInt64Type>().value(row).to_string(),
        DataType::Float16 => java_float_to_string(column.as_primitive::<Float16Type>().value(row).to_f32()),
        DataType::Float32 => java_float_to_string(column.as_primitive::<Float32Type>().value(row)),
        DataType::Float64 => java_double_to_string(column.as_primitive::<Float64Type>().value(row)),
        DataType::Decimal32(_, scale) => {
            plain_decimal(&column.as_primitive::<Decimal32Type>().value(row).to_string(), *scale)
        }
        DataType::Decimal64(_, scale) => {
            plain_decimal(&column.as_primitive::<Decimal64Type>().value(row).to_string(), *scale)
        }
        DataType::Decimal128(_, scale) => {
            plain_decimal(&column.as_primitive::<Decimal128Type>().value(row).to_string(), *scale)
        }
        DataType::Decimal256(_, scale) => {
            plain_decimal(&column.as_primitive::<Decimal256Type>().value(row).to_string(), *scale)
        }
        DataType::Utf8 => column.as_string::<i32>().value(row).to_string(),
        DataType::LargeUtf8 => column.as_string::<i64>().value(row).to_string(),
        DataType::Utf8View => column.as_string_view().value(row).to_string(),
        DataType::Binary => hex_bytes(column.as_binary::<i32>().value(row)),
        DataType::LargeBinary => hex_bytes(column.as_binary::<i64>().value(row)),
        DataType::BinaryView => hex_bytes(column.as_binary_view().value(row)),
        DataType::FixedSizeBinary(_) => hex_bytes(column.as_fixed_size_binary().value(row)),
        DataType::Date32 => format_date(i64::from(column.as_primitive::<Date32Type>().value(row))),
        DataType::Date64 => {
            format_date(column.as_primitive::<Date64Type>().value(row).div_euclid(SECONDS_PER_DAY * 1000))
        }
        DataType::Timestamp(unit, _) => {
            let value = match unit {
                TimeUnit::Second => column.as_primitive::<TimestampSecondType>().value(row),
                TimeUnit::Millisecond => column.as_primitive::<TimestampMillisecondType>().value(row),
                TimeUnit::Microsecond => column.as_primitive::<TimestampMicrosecondType>().value(row),
                TimeUnit::Nanosecond => column.as_primitive::<TimestampNanosecondType>().value(row),
            };
            format_timestamp(i128::from(value) * nanos_per_unit(*unit))
        }
        DataType::Time32(unit) | DataType::Time64(unit) => {
            let value = match unit {
                TimeUnit::Second => i64::from(column.as_primitive::<Time32SecondType>().value(row)),
                TimeUnit::Millisecond => i64::from(column.as_primitive::<Time32MillisecondType>().value(row)),
                TimeUnit::Microsecond => column.as_primitive::<Time64MicrosecondType>().value(row),
                TimeUnit::Nanosecond => column.as_primitive::<Time64NanosecondType>().value(row),
            };
            format_time_of_day(i128::from(value) * nanos_per_unit(*unit))
        }
        DataType::Duration(unit) => {
            let value = match unit {
                TimeUnit::Second => column.as_primitive::<DurationSecondType>().value(row),
                TimeUnit::Millisecond => column.as_primitive::<DurationMillisecondType>().value(row),
                TimeUnit::Microsecond => column.as_primitive::<DurationMicrosecondType>().value(row),
                TimeUnit::Nanosecond => column.as_primitive::<DurationNanosecondType>().value(row),
            };
            format_day_time_interval(i128::from(value) * nanos_per_unit(*unit))
        }
        DataType::Interval(IntervalUnit::YearMonth) => {
            format_year_month_interval(column.as_primitive::<IntervalYearMonthType>().value(row))
        }
        DataType::Interval(IntervalUnit::DayTime) => {
            let v = column.as_primitive::<IntervalDayTimeType>().value(row);
            format_calendar_interval(0, v.days, i128::from(v.milliseconds) * 1_000_000)
        }
        DataType::Interval(IntervalUnit::MonthDayNano) => {
            let v = column.as_primitive::<IntervalMonthDayNanoType>().value(row);
            format_calendar_interval(v.months, v.days, i128::from(v.nanoseconds))
        }
        DataType::List(_) => format_array(&column.as_list::<i32>().value(row)),
        DataType::LargeList(_) => format_array(&column.as_list::<i64>().value(row)),
        DataType::FixedSizeList(_, _) => format_array(&column.as_fixed_size_list().value(row)),
        DataType::ListView(_) => format_array(&column.as_list_view::<i32>().value(row)),
        DataType::LargeListView(_) => format_array(&column.as_list_view::<i64>().value(row)),
        DataType::Struct(_) if super::udt::is_vector_type(column.data_type()) => {
            super::udt::format_vector(column.as_struct(), row)
        }
        DataType::Struct(_) => {
            let fields = column.as_struct().columns().iter().map(|field| format_value(field.as_ref(), row));
            format!("{{{}}}", fields.collect::<Vec<_>>().join(", "))
        }
        DataType::Map(_, _) => {
            let entries = column.as_map().value(row);
            let (keys, values) = (entries.column(0), entries.column(1));
            let pairs = (0..entries.len())
                .map(|i| format!("{} -> {}", format_value(keys.as_ref(), i), format_value(values.as_ref(), i)));
            format!("{{{}}}", pairs.collect::<Vec<_>>().join(", "))
        }
        DataType::Dictionary(_, _) => downcast_dictionary_array!(
            column => match column.key(row) {
                Some(key) => format_value(column.values().as_ref(), key),
                None => "NULL".to_string(),
            },
            _ => format_with_arrow(column, row)
        ),
        // Unions and run-end encoded columns have no Spark counterpart: Arrow's own rendering, with Spark's NULL.
        _ => format_with_arrow(column, row),
    }
}

/// The elements of one array value, Spark style: `[1, 2, NULL]`.
fn format_array(elements: &ArrayRef) -> String {
    let items = (0..elements.len()).map(|i| format_value(elements.as_ref(), i));
    format!("[{}]", items.collect::<Vec<_>>().join(", "))
}

fn format_with_arrow(column: &dyn Array, row: usize) -> String {
    let options = FormatOptions::new().with_null("NULL");
    match ArrayFormatter::try_new(column, &options) {
        Ok(formatter) => formatter.value(row).to_string(),
        Err(e) => format!("<{e}>"),
    }
}

/// Spark 4's default binary rendering (`SparkStringUtils.getHexString`): upper-case hex bytes in brackets.
fn hex_bytes(bytes: &[u8]) -> String {
    let hex: Vec<String> = bytes.iter().map(|b| format!("{b:02X}")).collect();
    format!("[{}]", hex.join(" "))
}

/// Java's `BigDecimal.toPlainString` of `unscaled × 10^-scale`: all digits, no exponent, trailing zeros kept.
fn plain_decimal(unscaled: &str, scale: i8) -> String {
    let (sign, digits) = match unscaled.strip_prefix('-') {
        Some(digits) => ("-", digits),
        None => ("", unscaled),
    };
    if scale <= 0 {
        // A negative scale appends zeros, except to zero itself (Java prints `0`).
        if digits.bytes().all(|b| b == b'0') {
            return "0".to_string();
        }
        return format!("{sign}{digits}{}", "0".repeat(usize::from(scale.unsigned_abs())));
    }
    let scale = usize::from(scale.unsigned_abs());
    if digits.len() > scale {
        let (int_part, frac_part) = digits.split_at(digits.len() - scale);
        format!("{sign}{int_part}.{frac_part}")
    } else {
        format!("{sign}0.{}{digits}", "0".repeat(scale - digits.len()))
    }
}

/// Java's `Double.toString`: the shortest decimal that reads back as the same double (JDK 19+ semantics), laid out
/// as a plain decimal with at least one fractional digit when `1e-3 <= |v| < 1e7`, else as `d.dddE±n`.
pub(crate) fn java_double_to_string(v: f64) -> String {
    java_to_string(v)
}

/// Java's `Float.toString`: [`java_double_to_string`]'s rules with the shortest decimal of the `f32`.
fn java_float_to_string(v: f32) -> String {
    java_to_string(v)
}

/// The shared algorithm of Java's `Float.toString` and `Double.toString`, for either width.
fn java_to_string<F>(v: F) -> String
where
    F: Copy + PartialEq + std::fmt::LowerExp + std::str::FromStr + Into<f64> + std::ops::Neg<Output = F>,
{
    let wide: f64 = v.into();
    if wide.is_nan() {
        return "NaN".to_string();
    }
    if wide.is_infinite() {
        return if wide > 0.0 { "Infinity" } else { "-Infinity" }.to_string();
    }
    if wide == 0.0 {
        return if wide.is_sign_negative() { "-0.0" } else { "0.0" }.to_string();
    }
    let abs = if wide.is_sign_negative() { -v } else { v };
    let shortest = format!("{abs:e}");
    // Java picks the closest decimal among those with one or two digits when one digit would do, which only
    // matters for the few values (subnormals) whose rounding interval holds a one-digit decimal: 4.9E-324.
    let two_digits = format!("{abs:.1e}");
    let chosen = if shortest.split('e').next().is_some_and(|m| m.len() == 1)
        && two_digits.parse::<F>().is_ok_and(|back| back == abs)
    {
        &two_digits
    } else {
        &shortest
    };
    java_layout(wide.is_sign_negative(), chosen)
}

/// Lays out Rust's `{:e}` text of a positive number (`d.ddde±n`) the way Java's `Double.toString` does.
fn java_layout(negative: bool, scientific: &str) -> String {
    let (mantissa, exponent) = scientific.split_once('e').unwrap_or((scientific, "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let digits = match digits.trim_end_matches('0') {
        "" => "0",
        trimmed => trimmed,
    };
    let sign = if negative { "-" } else { "" };
    if (-3..7).contains(&exponent) {
        if exponent < 0 {
            let zeros = "0".repeat(exponent.unsigned_abs() as usize - 1);
            format!("{sign}0.{zeros}{digits}")
        } else {
            let int_len = exponent as usize + 1;
            if digits.len() > int_len {
                format!("{sign}{}.{}", &digits[..int_len], &digits[int_len..])
            } else {
                format!("{sign}{digits}{}.0", "0".repeat(int_len - digits.len()))
            }
        }
    } else {
        let (first, rest) = digits.split_at(1);
        let rest = if rest.is_empty() { "0" } else { rest };
        format!("{sign}{first}.{rest}E{exponent}")
    }
}

fn nanos_per_unit(unit: TimeUnit) -> i128 {
    match unit {
        TimeUnit::Second => NANOS_PER_SECOND,
        TimeUnit::Millisecond => 1_000_000,
        TimeUnit::Microsecond => 1_000,
        TimeUnit::Nanosecond => 1,
    }
}

/// `yyyy-MM-dd` of a day count since 1970-01-01, proleptic Gregorian, with Java's year rules: four digits at
/// least, a `+` above 9999 and a `-` below year 0.
fn format_date(days_since_epoch: i64) -> String {
    let (year, month, day) = civil_from_days(days_since_epoch);
    let year = if year > 9999 {
        format!("+{year}")
    } else if year < 0 {
        format!("-{:04}", year.unsigned_abs())
    } else {
        format!("{year:04}")
    };
    format!("{year}-{month:02}-{day:02}")
}

/// Howard Hinnant's `civil_from_days`: the (year, month, day) of a day count since 1970-01-01.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * month_index + 2) / 5 + 1) as u32;
    let month = if month_index < 10 { month_index + 3 } else { month_index - 9 } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// `yyyy-MM-dd HH:mm:ss[.fraction]` of nanoseconds since the epoch (Spark's `FractionTimestampFormatter`).
fn format_timestamp(nanos: i128) -> String {
    let seconds = nanos.div_euclid(NANOS_PER_SECOND);
    let fraction = nanos.rem_euclid(NANOS_PER_SECOND);
    let days = seconds.div_euclid(i128::from(SECONDS_PER_DAY));
    let time = format_time_of_day(seconds.rem_euclid(i128::from(SECONDS_PER_DAY)) * NANOS_PER_SECOND + fraction);
    // The day count of any i64 timestamp fits an i64 easily.
    format!("{} {time}", format_date(days as i64))
}

/// `HH:mm:ss[.fraction]` of nanoseconds since midnight, the fraction without trailing zeros (Spark's
/// `FractionTimeFormatter`).
fn format_time_of_day(nanos: i128) -> String {
    let nanos = nanos.rem_euclid(i128::from(SECONDS_PER_DAY) * NANOS_PER_SECOND);
    let seconds = nanos / NANOS_PER_SECOND;
    let (h, m, s) = (seconds / 3600, seconds / 60 % 60, seconds % 60);
    format!("{h:02}:{m:02}:{s:02}{}", fraction_suffix(nanos % NANOS_PER_SECOND))
}

/// `.ddd` for a fraction of a second in nanoseconds, trailing zeros dropped; empty for zero.
fn fraction_suffix(nanos: i128) -> String {
    if nanos == 0 {
        return String::new();
    }
    let digits = format!("{nanos:09}");
    format!(".{}", digits.trim_end_matches('0'))
}

/// Spark's ANSI day-time interval text (`IntervalUtils.toDayTimeIntervalString`, DAY TO SECOND), the type
/// Spark reads an Arrow `Duration` as: `INTERVAL '1 02:03:04.5' DAY TO SECOND`.
fn format_day_time_interval(nanos: i128) -> String {
    let sign = if nanos < 0 { "-" } else { "" };
    let rest = nanos.abs();
    let nanos_per_day = i128::from(SECONDS_PER_DAY) * NANOS_PER_SECOND;
    let days = rest / nanos_per_day;
    let rest = rest % nanos_per_day;
    let hours = rest / (3600 * NANOS_PER_SECOND);
    let minutes = rest / (60 * NANOS_PER_SECOND) % 60;
    let second_nanos = rest % (60 * NANOS_PER_SECOND);
    let lead_zero = if second_nanos < 10 * NANOS_PER_SECOND { "0" } else { "" };
    let seconds = stripped_decimal(second_nanos, 9);
    format!("INTERVAL '{sign}{days} {hours:02}:{minutes:02}:{lead_zero}{seconds}' DAY TO SECOND")
}

/// Spark's ANSI year-month interval text: `INTERVAL '1-2' YEAR TO MONTH`.
fn format_year_month_interval(months: i32) -> String {
    let sign = if months < 0 { "-" } else { "" };
    let months = months.unsigned_abs();
    format!("INTERVAL '{sign}{}-{}' YEAR TO MONTH", months / 12, months % 12)
}

/// Spark's `CalendarInterval.toString`: `1 years 2 months 3 days 4 hours 5 minutes 6.5 seconds`, zero parts left
/// out, `0 seconds` for the empty interval.
fn format_calendar_interval(months: i32, days: i32, nanos: i128) -> String {
    if months == 0 && days == 0 && nanos == 0 {
        return "0 seconds".to_string();
    }
    let mut parts: Vec<String> = Vec::new();
    let mut unit = |value: i128, name: &str| {
        if value != 0 {
            parts.push(format!("{value} {name}"));
        }
    };
    unit(i128::from(months / 12), "years");
    unit(i128::from(months % 12), "months");
    unit(i128::from(days), "days");
    unit(nanos / (3600 * NANOS_PER_SECOND), "hours");
    unit(nanos % (3600 * NANOS_PER_SECOND) / (60 * NANOS_PER_SECOND), "minutes");
    let second_nanos = nanos % (60 * NANOS_PER_SECOND);
    if second_nanos != 0 {
        parts.push(format!("{} seconds", stripped_decimal(second_nanos, 9)));
    }
    parts.join(" ")
}

/// Java's `BigDecimal.valueOf(unscaled, scale).stripTrailingZeros().toPlainString()`.
fn stripped_decimal(unscaled: i128, scale: u32) -> String {
    let factor = 10i128.pow(scale);
    let sign = if unscaled < 0 { "-" } else { "" };
    let abs = unscaled.unsigned_abs();
    let (int_part, frac_part) = (abs / factor.unsigned_abs(), abs % factor.unsigned_abs());
    if frac_part == 0 {
        return format!("{sign}{int_part}");
    }
    let frac = format!("{frac_part:0width$}", width = scale as usize);
    format!("{sign}{int_part}.{}", frac.trim_end_matches('0'))
}

/// Spark's `printSchema()` text (`StructType.treeString`):
///
/// ```text
/// root
///  |-- name: string (nullable = true)
///  |-- tags: array (nullable = true)
///  |    |-- element: string (containsNull = true)
/// ```
///
/// Each field line uses Spark's [`spark_json_type_name`] (`integer`, `long`, `array`) rather than the SQL names.
pub(crate) fn tree_string(schema: &Schema) -> String {
    let mut out = String::from("root\n");
    for field in schema.fields() {
        write_field_tree(&mut out, " |", field);
    }
    out
}

/// `StructField.buildFormattedString`: the field's line, then its children one level deeper.
fn write_field_tree(out: &mut String, prefix: &str, field: &Field) {
    let name = escape_meta_characters(field.name());
    let type_name = spark_json_type_name(field.data_type());
    let _ = writeln!(out, "{prefix}-- {name}: {type_name} (nullable = {})", field.is_nullable());
    write_children_tree(out, &format!("{prefix}    |"), field.data_type());
}

/// `DataType.buildFormattedString`: the element of an array, the key and value of a map, the fields of a struct.
fn write_children_tree(out: &mut String, prefix: &str, data_type: &DataType) {
    let deeper = format!("{prefix}    |");
    if let Some(element) = list_element(data_type) {
        let type_name = spark_json_type_name(element.data_type());
        let _ = writeln!(out, "{prefix}-- element: {type_name} (containsNull = {})", element.is_nullable());
        write_children_tree(out, &deeper, element.data_type());
        return;
    }
    match data_type {
        // A vector prints as one line, as Spark prints a user-defined type.
        DataType::Struct(_) if super::udt::is_vector_type(data_type) => {}
        DataType::Struct(fields) => {
            for field in fields {
                write_field_tree(out, prefix, field);
            }
        }
        DataType::Map(entries, _) => {
            if let Some((key, value)) = map_key_value(entries) {
                let _ = writeln!(out, "{prefix}-- key: {}", spark_json_type_name(key.data_type()));
                write_children_tree(out, &deeper, key.data_type());
                let type_name = spark_json_type_name(value.data_type());
                let _ = writeln!(out, "{prefix}-- value: {type_name} (valueContainsNull = {})", value.is_nullable());
                write_children_tree(out, &deeper, value.data_type());
            }
        }
        DataType::Dictionary(_, values) => write_children_tree(out, prefix, values),
        DataType::RunEndEncoded(_, values) => write_children_tree(out, prefix, values.data_type()),
        _ => {}
    }
}

/// The element field of any Arrow list type (Spark's `ArrayType`).
fn list_element(data_type: &DataType) -> Option<&Field> {
    match data_type {
        DataType::List(element)
        | DataType::LargeList(element)
        | DataType::FixedSizeList(element, _)
        | DataType::ListView(element)
        | DataType::LargeListView(element) => Some(element),
        _ => None,
    }
}

/// The key and value fields of an Arrow map's entries struct.
fn map_key_value(entries: &Field) -> Option<(&Field, &Field)> {
    match entries.data_type() {
        DataType::Struct(fields) if fields.len() == 2 => Some((&fields[0], &fields[1])),
        _ => None,
    }
}

/// Spark's `DataType.simpleString` of the Spark type an Arrow type stands for: `int`, `bigint`, `string`,
/// `decimal(10,2)`, `array<int>`, `struct<a:int,b:string>`, `map<string,int>`. It is what `df.dtypes`, `explain`
/// and `toString` print, and (upper-cased) what DDL uses.
///
/// Structs list every field: Spark's `simpleString` elides fields past `spark.sql.debug.maxToStringFields` (25),
/// its `catalogString` (DDL) does not.
pub(crate) fn spark_type_name(data_type: &DataType) -> String {
    match data_type {
        DataType::Int8 => "tinyint".to_string(),
        DataType::Int16 | DataType::UInt8 => "smallint".to_string(),
        DataType::Int32 | DataType::UInt16 => "int".to_string(),
        DataType::Int64 | DataType::UInt32 => "bigint".to_string(),
        DataType::List(element)
        | DataType::LargeList(element)
        | DataType::FixedSizeList(element, _)
        | DataType::ListView(element)
        | DataType::LargeListView(element) => format!("array<{}>", spark_type_name(element.data_type())),
        DataType::Struct(_) if super::udt::is_vector_type(data_type) => "vector".to_string(),
        DataType::Struct(fields) => {
            let fields: Vec<String> =
                fields.iter().map(|f| format!("{}:{}", f.name(), spark_type_name(f.data_type()))).collect();
            format!("struct<{}>", fields.join(","))
        }
        DataType::Map(entries, _) => match map_key_value(entries) {
            Some((key, value)) => {
                format!("map<{},{}>", spark_type_name(key.data_type()), spark_type_name(value.data_type()))
            }
            None => "map".to_string(),
        },
        DataType::Dictionary(_, values) => spark_type_name(values),
        DataType::RunEndEncoded(_, values) => spark_type_name(values.data_type()),
        other => common_type_name(other),
    }
}

/// Spark's `DataType.typeName`, the name in JSON schemas and `printSchema()`: like [`spark_type_name`] but
/// `byte`, `short`, `integer`, `long`, and bare `array`, `struct`, `map` for nested types.
pub(crate) fn spark_json_type_name(data_type: &DataType) -> String {
    match data_type {
        DataType::Int8 => "byte".to_string(),
        DataType::Int16 | DataType::UInt8 => "short".to_string(),
        DataType::Int32 | DataType::UInt16 => "integer".to_string(),
        DataType::Int64 | DataType::UInt32 => "long".to_string(),
        DataType::List(_)
        | DataType::LargeList(_)
        | DataType::FixedSizeList(_, _)
        | DataType::ListView(_)
        | DataType::LargeListView(_) => "array".to_string(),
        DataType::Struct(_) if super::udt::is_vector_type(data_type) => "vector".to_string(),
        DataType::Struct(_) => "struct".to_string(),
        DataType::Map(_, _) => "map".to_string(),
        DataType::Dictionary(_, values) => spark_json_type_name(values),
        DataType::RunEndEncoded(_, values) => spark_json_type_name(values.data_type()),
        other => common_type_name(other),
    }
}

/// The names `simpleString` and `typeName` share: every type that is neither an integer nor nested.
fn common_type_name(data_type: &DataType) -> String {
    match data_type {
        DataType::Null => "void".to_string(),
        DataType::Boolean => "boolean".to_string(),
        // Parquet's reader widens UINT_64 to decimal(20,0), the narrowest Spark type holding every value.
        DataType::UInt64 => "decimal(20,0)".to_string(),
        // Spark has no half-precision type; its values print as floats.
        DataType::Float16 | DataType::Float32 => "float".to_string(),
        DataType::Float64 => "double".to_string(),
        DataType::Decimal32(p, s)
        | DataType::Decimal64(p, s)
        | DataType::Decimal128(p, s)
        | DataType::Decimal256(p, s) => {
            format!("decimal({p},{s})")
        }
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => "string".to_string(),
        DataType::Binary | DataType::LargeBinary | DataType::BinaryView | DataType::FixedSizeBinary(_) => {
            "binary".to_string()
        }
        DataType::Date32 | DataType::Date64 => "date".to_string(),
        DataType::Timestamp(_, Some(_)) => "timestamp".to_string(),
        DataType::Timestamp(_, None) => "timestamp_ntz".to_string(),
        // Spark 4.1's TIME(p) holds at most microseconds.
        DataType::Time32(TimeUnit::Second) => "time(0)".to_string(),
        DataType::Time32(_) => "time(3)".to_string(),
        DataType::Time64(_) => "time(6)".to_string(),
        DataType::Duration(_) => "interval day to second".to_string(),
        DataType::Interval(IntervalUnit::YearMonth) => "interval year to month".to_string(),
        DataType::Interval(_) => "interval".to_string(),
        // Unions and anything newer have no Spark type: Arrow's own name.
        other => other.to_string().to_lowercase(),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{
        BinaryArray, BooleanArray, Date32Array, Decimal128Array, DurationMicrosecondArray, Float32Array, Float64Array,
        Int32Array, Int32Builder, Int64Array, IntervalYearMonthArray, ListBuilder, MapBuilder, StringArray,
        StringBuilder, StructArray, TimestampMicrosecondArray,
    };
    use arrow::datatypes::Fields;

    use super::*;

    /// A one-batch DataFrame from named columns, all nullable.
    fn frame(columns: Vec<(&str, ArrayRef)>) -> (Schema, RecordBatch) {
        let fields: Vec<Field> =
            columns.iter().map(|(name, array)| Field::new(*name, array.data_type().clone(), true)).collect();
        let schema = Schema::new(fields);
        let arrays = columns.into_iter().map(|(_, array)| array).collect();
        let batch = RecordBatch::try_new(Arc::new(schema.clone()), arrays).expect("valid batch");
        (schema, batch)
    }

    /// PySpark's `df = spark.createDataFrame([(14, "Tom"), (23, "Alice"), (16, "Bob"), (19, "This is a super
    /// long name")], ["age", "name"])` from the `DataFrame.show` docstring.
    fn people() -> (Schema, RecordBatch) {
        frame(vec![
            ("age", Arc::new(Int64Array::from(vec![14, 23, 16, 19])) as ArrayRef),
            ("name", Arc::new(StringArray::from(vec!["Tom", "Alice", "Bob", "This is a super long name"]))),
        ])
    }

    /// Spark's `DataFrameShowSuite` frame: `Seq("1", "1" * 21).toDF()`.
    fn long_string_frame() -> (Schema, RecordBatch) {
        frame(vec![("value", Arc::new(StringArray::from(vec!["1".to_string(), "1".repeat(21)])) as ArrayRef)])
    }

    fn cell(array: ArrayRef) -> String {
        format_value(array.as_ref(), 0)
    }

    #[test]
    fn pyspark_docs_show_default() {
        // PySpark 2.x-3.2 docstring of DataFrame.show: df of (2, "Alice"), (5, "Bob").
        let (schema, batch) = frame(vec![
            ("age", Arc::new(Int64Array::from(vec![2, 5])) as ArrayRef),
            ("name", Arc::new(StringArray::from(vec!["Alice", "Bob"]))),
        ]);
        let expected = "+---+-----+\n|age| name|\n+---+-----+\n|  2|Alice|\n|  5|  Bob|\n+---+-----+\n";
        assert_eq!(show_string(&schema, &[batch], 20, 20, false, false), expected);
    }

    #[test]
    fn pyspark_docs_show_truncates_long_strings_at_20() {
        // PySpark 4 docstring of DataFrame.show, `df.show()`.
        let (schema, batch) = people();
        let expected = "+---+--------------------+\n\
                        |age|                name|\n\
                        +---+--------------------+\n\
                        | 14|                 Tom|\n\
                        | 23|               Alice|\n\
                        | 16|                 Bob|\n\
                        | 19|This is a super l...|\n\
                        +---+--------------------+\n";
        assert_eq!(show_string(&schema, &[batch], 20, 20, false, false), expected);
    }

    #[test]
    fn pyspark_docs_show_top_two_rows() {
        // PySpark 4 docstring, `df.show(2)`; the footer's newline as in Spark's DataFrameShowSuite.
        let (schema, batch) = people();
        let expected = "+---+-----+\n|age| name|\n+---+-----+\n| 14|  Tom|\n| 23|Alice|\n+---+-----+\n\
                        only showing top 2 rows\n";
        assert_eq!(show_string(&schema, &[batch.slice(0, 2)], 2, 20, false, true), expected);
    }

    #[test]
    fn pyspark_docs_show_without_truncation_left_aligns() {
        // PySpark 4 docstring, `df.show(truncate=False)`.
        let (schema, batch) = people();
        let expected = "+---+-------------------------+\n\
                        |age|name                     |\n\
                        +---+-------------------------+\n\
                        |14 |Tom                      |\n\
                        |23 |Alice                    |\n\
                        |16 |Bob                      |\n\
                        |19 |This is a super long name|\n\
                        +---+-------------------------+\n";
        assert_eq!(show_string(&schema, &[batch], 20, 0, false, false), expected);
    }

    #[test]
    fn pyspark_docs_show_truncate_three_has_no_ellipsis() {
        // PySpark 4 docstring, `df.show(truncate=3)`: below 4 characters Spark cuts without "...", and the
        // header keeps its full name.
        let (schema, batch) = people();
        let expected =
            "+---+----+\n|age|name|\n+---+----+\n| 14| Tom|\n| 23| Ali|\n| 16| Bob|\n| 19| Thi|\n+---+----+\n";
        assert_eq!(show_string(&schema, &[batch], 20, 3, false, false), expected);
    }

    #[test]
    fn pyspark_docs_show_vertical() {
        // PySpark 4 docstring, `df.show(vertical=True)` (the docs drop the trailing spaces that Spark's
        // rightPad puts after each value: the value column is 20 wide, the widest truncated cell).
        let (schema, batch) = people();
        let expected = "-RECORD 0--------------------\n \
                        age  | 14                   \n \
                        name | Tom                  \n\
                        -RECORD 1--------------------\n \
                        age  | 23                   \n \
                        name | Alice                \n\
                        -RECORD 2--------------------\n \
                        age  | 16                   \n \
                        name | Bob                  \n\
                        -RECORD 3--------------------\n \
                        age  | 19                   \n \
                        name | This is a super l... \n";
        assert_eq!(show_string(&schema, &[batch], 20, 20, true, false), expected);
    }

    #[test]
    fn spark_suite_truncate_0_and_20() {
        // DataFrameShowSuite "showString: truncate = [0, 20]".
        let (schema, batch) = long_string_frame();
        let untruncated = "+---------------------+\n\
                           |value                |\n\
                           +---------------------+\n\
                           |1                    |\n\
                           |111111111111111111111|\n\
                           +---------------------+\n";
        assert_eq!(show_string(&schema, std::slice::from_ref(&batch), 10, 0, false, false), untruncated);
        let truncated = "+--------------------+\n\
                         |               value|\n\
                         +--------------------+\n\
                         |                   1|\n\
                         |11111111111111111...|\n\
                         +--------------------+\n";
        assert_eq!(show_string(&schema, &[batch], 10, 20, false, false), truncated);
    }

    #[test]
    fn spark_suite_truncate_3_and_17_vertical() {
        // DataFrameShowSuite "showString: truncate = [3, 17], vertical = true".
        let (schema, batch) = long_string_frame();
        let three = "-RECORD 0----\n value | 1   \n-RECORD 1----\n value | 111 \n";
        assert_eq!(show_string(&schema, std::slice::from_ref(&batch), 10, 3, true, false), three);
        let seventeen = "-RECORD 0------------------\n value | 1                 \n\
                         -RECORD 1------------------\n value | 11111111111111... \n";
        assert_eq!(show_string(&schema, &[batch], 10, 17, true, false), seventeen);
    }

    #[test]
    fn spark_suite_only_showing_top_one_row() {
        // DataFrameShowSuite "SPARK-7319 showString" and its vertical twin: testData's first row (1, "1").
        let (schema, batch) = frame(vec![
            ("key", Arc::new(Int32Array::from(vec![1])) as ArrayRef),
            ("value", Arc::new(StringArray::from(vec!["1"]))),
        ]);
        let table = "+---+-----+\n|key|value|\n+---+-----+\n|  1|    1|\n+---+-----+\nonly showing top 1 row\n";
        assert_eq!(show_string(&schema, std::slice::from_ref(&batch), 1, 20, false, true), table);
        let vertical = "-RECORD 0----\n key   | 1   \n value | 1   \nonly showing top 1 row\n";
        assert_eq!(show_string(&schema, &[batch], 1, 20, true, true), vertical);
    }

    #[test]
    fn spark_suite_empty_and_zero_rows() {
        // DataFrameShowSuite "SPARK-7327 show with empty dataFrame" (+ vertical) and "showString(0)".
        let schema =
            Schema::new(vec![Field::new("key", DataType::Int32, true), Field::new("value", DataType::Utf8, true)]);
        let empty = "+---+-----+\n|key|value|\n+---+-----+\n+---+-----+\n";
        assert_eq!(show_string(&schema, &[], 1, 20, false, false), empty);
        assert_eq!(show_string(&schema, &[], 1, 20, true, false), "(0 rows)\n");
        let zero = format!("{empty}only showing top 0 rows\n");
        assert_eq!(show_string(&schema, &[], 0, 20, false, true), zero);
        assert_eq!(show_string(&schema, &[], 0, 20, true, true), "(0 rows)\n");
    }

    #[test]
    fn rows_are_taken_across_batches_up_to_num_rows() {
        // Spark's showString(2) over the rows 1, 2, 3: the caller may hand over more rows than it asked for.
        let (schema, first) = frame(vec![("a", Arc::new(Int32Array::from(vec![1])) as ArrayRef)]);
        let (_, second) = frame(vec![("a", Arc::new(Int32Array::from(vec![2, 3])) as ArrayRef)]);
        let expected = "+---+\n|  a|\n+---+\n|  1|\n|  2|\n+---+\nonly showing top 2 rows\n";
        assert_eq!(show_string(&schema, &[first, second], 2, 20, false, true), expected);
    }

    #[test]
    fn spark_suite_full_width_characters() {
        // DatasetSuite "SPARK-25108 Fix the show method to display the full width character alignment problem"
        // (Spark 4 prints the null as NULL).
        let names = [
            None,
            Some(""),
            Some("ab c"),
            Some("1098"),
            Some("mø"),
            Some("γύρ"),
            Some("pê"),
            Some("ー"),
            Some("测"),
            Some("か"),
            Some("걸"),
            Some("à"),
            Some("焼"),
            Some("羍む"),
            Some("뺭ᾘ"),
            Some("\u{0967}\u{0968}\u{0969}"),
        ];
        let (schema, batch) = frame(vec![
            ("b", Arc::new(Int32Array::from(vec![0; 16])) as ArrayRef),
            ("a", Arc::new(StringArray::from(names.to_vec()))),
            ("c", Arc::new(Int32Array::from(vec![1; 16]))),
        ]);
        let expected = "+---+----+---+\n\
                        |  b|   a|  c|\n\
                        +---+----+---+\n\
                        |  0|NULL|  1|\n\
                        |  0|    |  1|\n\
                        |  0|ab c|  1|\n\
                        |  0|1098|  1|\n\
                        |  0|  mø|  1|\n\
                        |  0| γύρ|  1|\n\
                        |  0|  pê|  1|\n\
                        |  0|  ー|  1|\n\
                        |  0|  测|  1|\n\
                        |  0|  か|  1|\n\
                        |  0|  걸|  1|\n\
                        |  0|   à|  1|\n\
                        |  0|  焼|  1|\n\
                        |  0|羍む|  1|\n\
                        |  0| 뺭ᾘ|  1|\n\
                        |  0| १२३|  1|\n\
                        +---+----+---+\n";
        assert_eq!(show_string(&schema, &[batch], 20, 20, false, false), expected);
    }

    #[test]
    fn half_width_counts_java_length_plus_full_width_characters() {
        // Utils.stringHalfWidth: length + matches of fullWidthRegex; an emoji is 2 UTF-16 units in Java.
        assert_eq!(string_half_width("abc"), 3);
        assert_eq!(string_half_width("测试"), 4);
        assert_eq!(string_half_width("Ａ"), 2); // U+FF21, inside \uFF00-\uFF60
        assert_eq!(string_half_width("ｱ"), 1); // U+FF71, a half-width katakana
        assert_eq!(string_half_width("😀"), 2);
    }

    #[test]
    fn spark_suite_escapes_meta_characters() {
        // DataFrameShowSuite "SPARK-33690: showString: escape meta-characters", its first and second frames.
        let raw = "aaa\nbbb\tccc\rddd\u{0C}eee\u{08}fff\u{0B}ggg\u{07}hhh";
        let escaped = r"aaa\nbbb\tccc\rddd\feee\bfff\vggg\ahhh";
        let (schema, batch) = frame(vec![(raw, Arc::new(StringArray::from(vec![raw])) as ArrayRef)]);
        let expected = format!("+{0}+\n|{1}|\n+{0}+\n|{1}|\n+{0}+\n", "-".repeat(38), escaped);
        assert_eq!(show_string(&schema, &[batch], 1, 0, false, false), expected);

        let mut list = ListBuilder::new(StringBuilder::new());
        list.values().append_value(raw);
        list.append(true);
        let header = format!("array({raw})");
        let (schema, batch) = frame(vec![(header.as_str(), Arc::new(list.finish()) as ArrayRef)]);
        let expected = format!("+{0}+\n|array({1})|\n+{0}+\n|[{1}]     |\n+{0}+\n", "-".repeat(45), escaped);
        assert_eq!(show_string(&schema, &[batch], 1, 0, false, false), expected);
    }

    #[test]
    fn spark_suite_binary_as_hex() {
        // DataFrameShowSuite "showString: binary": "12"/"ABC." and "34"/"12346" as UTF-8 bytes.
        let (schema, batch) = frame(vec![
            ("_1", Arc::new(BinaryArray::from_vec(vec![b"12", b"34"])) as ArrayRef),
            ("_2", Arc::new(BinaryArray::from_vec(vec![b"ABC.", b"12346"]))),
        ]);
        let expected = "+-------+----------------+\n\
                        |     _1|              _2|\n\
                        +-------+----------------+\n\
                        |[31 32]|   [41 42 43 2E]|\n\
                        |[33 34]|[31 32 33 34 36]|\n\
                        +-------+----------------+\n";
        assert_eq!(show_string(&schema, &[batch], 10, 20, false, false), expected);
        // The brief's example and an empty value (SparkStringUtils.getHexString).
        assert_eq!(cell(Arc::new(BinaryArray::from_vec(vec![&[1u8, 2, 10][..]]))), "[01 02 0A]");
        assert_eq!(cell(Arc::new(BinaryArray::from_vec(vec![&[][..]]))), "[]");
    }

    #[test]
    fn spark_suite_arrays_maps_and_structs() {
        // DataFrameShowSuite "SPARK-23023 Cast rows to strings in showString".
        let mut list = ListBuilder::new(Int32Builder::new());
        list.values().append_slice(&[1, 2, 3, 4]);
        list.append(true);
        let (schema, batch) = frame(vec![("a", Arc::new(list.finish()) as ArrayRef)]);
        let expected = "+------------+\n|           a|\n+------------+\n|[1, 2, 3, 4]|\n+------------+\n";
        assert_eq!(show_string(&schema, &[batch], 10, 20, false, false), expected);

        let mut map = MapBuilder::new(None, Int32Builder::new(), StringBuilder::new());
        map.keys().append_value(1);
        map.values().append_value("a");
        map.keys().append_value(2);
        map.values().append_value("b");
        map.append(true).expect("map entry");
        let (schema, batch) = frame(vec![("a", Arc::new(map.finish()) as ArrayRef)]);
        let expected =
            "+----------------+\n|               a|\n+----------------+\n|{1 -> a, 2 -> b}|\n+----------------+\n";
        assert_eq!(show_string(&schema, &[batch], 10, 20, false, false), expected);

        let pairs = StructArray::from(vec![
            (Arc::new(Field::new("_1", DataType::Int32, false)), Arc::new(Int32Array::from(vec![1, 2])) as ArrayRef),
            (Arc::new(Field::new("_2", DataType::Utf8, true)), Arc::new(StringArray::from(vec!["a", "b"]))),
        ]);
        let (schema, batch) =
            frame(vec![("a", Arc::new(pairs) as ArrayRef), ("b", Arc::new(Int32Array::from(vec![0, 0])))]);
        let expected = "+------+---+\n|     a|  b|\n+------+---+\n|{1, a}|  0|\n|{2, b}|  0|\n+------+---+\n";
        assert_eq!(show_string(&schema, &[batch], 10, 20, false, false), expected);
    }

    #[test]
    fn nulls_inside_nested_values_print_as_null() {
        // ToPrettyString's nullString "NULL" applies inside arrays, structs and map values (Spark 4).
        let mut list = ListBuilder::new(Int32Builder::new());
        list.values().append_value(1);
        list.values().append_value(2);
        list.values().append_null();
        list.append(true);
        list.append(false);
        let lists: ArrayRef = Arc::new(list.finish());
        assert_eq!(format_value(lists.as_ref(), 0), "[1, 2, NULL]");
        assert_eq!(format_value(lists.as_ref(), 1), "NULL");

        let mut nested = ListBuilder::new(ListBuilder::new(StringBuilder::new()));
        nested.values().values().append_value("x");
        nested.values().append(true);
        nested.values().append(false);
        nested.values().append(true);
        nested.append(true);
        assert_eq!(cell(Arc::new(nested.finish())), "[[x], NULL, []]");

        let inner = StructArray::from(vec![
            (Arc::new(Field::new("x", DataType::Int32, true)), Arc::new(Int32Array::from(vec![None])) as ArrayRef),
            (Arc::new(Field::new("y", DataType::Utf8, true)), Arc::new(StringArray::from(vec![Some("b")]))),
        ]);
        let outer = StructArray::from(vec![
            (Arc::new(Field::new("n", DataType::Int32, true)), Arc::new(Int32Array::from(vec![7])) as ArrayRef),
            (Arc::new(Field::new("s", inner.data_type().clone(), true)), Arc::new(inner) as ArrayRef),
        ]);
        assert_eq!(cell(Arc::new(outer)), "{7, {NULL, b}}");

        let mut map = MapBuilder::new(None, StringBuilder::new(), Int32Builder::new());
        map.keys().append_value("a");
        map.values().append_null();
        map.append(true).expect("map entry");
        map.append(true).expect("empty map");
        let maps: ArrayRef = Arc::new(map.finish());
        assert_eq!(format_value(maps.as_ref(), 0), "{a -> NULL}");
        assert_eq!(format_value(maps.as_ref(), 1), "{}");
    }

    #[test]
    fn doubles_print_as_java_double_to_string() {
        // java.lang.Double.toString: plain within [1e-3, 1e7), computerized scientific notation outside.
        let cases = [
            (0.1, "0.1"),
            (1.0, "1.0"),
            (100.0, "100.0"),
            (123456.789, "123456.789"),
            (9999999.0, "9999999.0"),
            (1.0E7, "1.0E7"),
            (3.5E10, "3.5E10"),
            (1.0E-4, "1.0E-4"),
            (1.0E-5, "1.0E-5"),
            (0.001, "0.001"),
            (1.234E-5, "1.234E-5"),
            (-2.5, "-2.5"),
            (-0.0, "-0.0"),
            (0.0, "0.0"),
            (1.0 / 3.0, "0.3333333333333333"),
            (f64::MAX, "1.7976931348623157E308"),
            (f64::MIN_POSITIVE, "2.2250738585072014E-308"),
            (f64::NAN, "NaN"),
            (f64::INFINITY, "Infinity"),
            (f64::NEG_INFINITY, "-Infinity"),
            // Double.MIN_VALUE: Java's two-digit rule gives 4.9E-324 where the shortest decimal is 5E-324.
            (5e-324, "4.9E-324"),
        ];
        for (value, expected) in cases {
            assert_eq!(cell(Arc::new(Float64Array::from(vec![value]))), expected, "{value:e}");
        }
    }

    #[test]
    fn floats_print_as_java_float_to_string() {
        // java.lang.Float.toString: the shortest decimal of the float, not of the widened double.
        let cases = [
            (0.1f32, "0.1"),
            (1.0f32, "1.0"),
            (3.4028235E38f32, "3.4028235E38"),
            (1.0E7f32, "1.0E7"),
            (1.0E-4f32, "1.0E-4"),
            (f32::from_bits(1), "1.4E-45"),
            (f32::NAN, "NaN"),
        ];
        for (value, expected) in cases {
            assert_eq!(cell(Arc::new(Float32Array::from(vec![value]))), expected, "{value:e}");
        }
    }

    #[test]
    fn scalars_print_as_spark_casts_them() {
        // ToPrettyString: booleans, decimals as toPlainString with their scale, NULL at the top level.
        assert_eq!(cell(Arc::new(BooleanArray::from(vec![true]))), "true");
        assert_eq!(cell(Arc::new(Int32Array::from(vec![None]))), "NULL");
        let decimals = Decimal128Array::from(vec![150, -5, 0, 12345]).with_precision_and_scale(10, 2).expect("decimal");
        let decimals: ArrayRef = Arc::new(decimals);
        let shown: Vec<String> = (0..4).map(|i| format_value(decimals.as_ref(), i)).collect();
        assert_eq!(shown, ["1.50", "-0.05", "0.00", "123.45"]);
        assert_eq!(plain_decimal("12", -2), "1200");
        assert_eq!(plain_decimal("0", -2), "0");
    }

    #[test]
    fn dates_and_timestamps_print_as_spark_formats_them() {
        // DataFrameShowSuite "SPARK-18350 show with session local timezone": 2016-12-01 and its midnight.
        let days = 17_136; // 2016-12-01
        let (schema, batch) = frame(vec![
            ("d", Arc::new(Date32Array::from(vec![days])) as ArrayRef),
            ("ts", Arc::new(TimestampMicrosecondArray::from(vec![i64::from(days) * 86_400_000_000]))),
        ]);
        let expected = "+----------+-------------------+\n\
                        |d         |ts                 |\n\
                        +----------+-------------------+\n\
                        |2016-12-01|2016-12-01 00:00:00|\n\
                        +----------+-------------------+\n";
        assert_eq!(show_string(&schema, &[batch], 1, 0, false, false), expected);

        // The fraction loses its trailing zeros (FractionTimestampFormatter); before 1970 the day still rolls
        // back; a zoned timestamp prints its UTC wall time.
        let micros = TimestampMicrosecondArray::from(vec![1_500_000, -1, 1_000]);
        let micros: ArrayRef = Arc::new(micros.with_timezone("+02:00"));
        let shown: Vec<String> = (0..3).map(|i| format_value(micros.as_ref(), i)).collect();
        assert_eq!(shown, ["1970-01-01 00:00:01.5", "1969-12-31 23:59:59.999999", "1970-01-01 00:00:00.001"]);
        assert_eq!(cell(Arc::new(Date32Array::from(vec![0]))), "1970-01-01");
        assert_eq!(format_date(-719_528), "0000-01-01");
        assert_eq!(format_date(2_932_897), "+10000-01-01");
    }

    #[test]
    fn intervals_print_in_spark_ansi_style() {
        // IntervalUtils.toDayTimeIntervalString / toYearMonthIntervalString, ANSI style.
        let micros = DurationMicrosecondArray::from(vec![93_784_500_000, -1_000_000, 0]);
        let micros: ArrayRef = Arc::new(micros);
        let shown: Vec<String> = (0..3).map(|i| format_value(micros.as_ref(), i)).collect();
        assert_eq!(
            shown,
            [
                "INTERVAL '1 02:03:04.5' DAY TO SECOND",
                "INTERVAL '-0 00:00:01' DAY TO SECOND",
                "INTERVAL '0 00:00:00' DAY TO SECOND"
            ]
        );
        assert_eq!(cell(Arc::new(IntervalYearMonthArray::from(vec![14]))), "INTERVAL '1-2' YEAR TO MONTH");
        assert_eq!(cell(Arc::new(IntervalYearMonthArray::from(vec![-14]))), "INTERVAL '-1-2' YEAR TO MONTH");
        // CalendarInterval.toString.
        assert_eq!(
            format_calendar_interval(14, 3, 3_723_500_000_000),
            "1 years 2 months 3 days 1 hours 2 minutes 3.5 seconds"
        );
        assert_eq!(format_calendar_interval(0, 0, 0), "0 seconds");
    }

    /// The nested schema of the printSchema examples: struct, array and map fields.
    fn nested_schema() -> Schema {
        let address =
            Fields::from(vec![Field::new("city", DataType::Utf8, true), Field::new("zip", DataType::Int32, false)]);
        let entries = Field::new(
            "entries",
            DataType::Struct(Fields::from(vec![
                Field::new("key", DataType::Utf8, false),
                Field::new("value", DataType::Int64, true),
            ])),
            false,
        );
        Schema::new(vec![
            Field::new("id", DataType::Int64, false),
            Field::new("name", DataType::Utf8, true),
            Field::new("address", DataType::Struct(address), true),
            Field::new("scores", DataType::List(Arc::new(Field::new("item", DataType::Float64, true))), true),
            Field::new("counts", DataType::Map(Arc::new(entries), false), true),
            Field::new(
                "matrix",
                DataType::List(Arc::new(Field::new(
                    "item",
                    DataType::List(Arc::new(Field::new("item", DataType::Int16, false))),
                    true,
                ))),
                true,
            ),
        ])
    }

    #[test]
    fn print_schema_of_a_nested_schema() {
        // StructType.treeString: typeName per line, children indented by "    |" (as in the PySpark docs'
        // `root\n |-- age: integer (nullable = true)` and DataFrameShowSuite "SPARK-34308").
        let expected = "root\n \
                        |-- id: long (nullable = false)\n \
                        |-- name: string (nullable = true)\n \
                        |-- address: struct (nullable = true)\n \
                        |    |-- city: string (nullable = true)\n \
                        |    |-- zip: integer (nullable = false)\n \
                        |-- scores: array (nullable = true)\n \
                        |    |-- element: double (containsNull = true)\n \
                        |-- counts: map (nullable = true)\n \
                        |    |-- key: string\n \
                        |    |-- value: long (valueContainsNull = true)\n \
                        |-- matrix: array (nullable = true)\n \
                        |    |-- element: array (containsNull = true)\n \
                        |    |    |-- element: short (containsNull = false)\n";
        assert_eq!(tree_string(&nested_schema()), expected);
    }

    #[test]
    fn print_schema_escapes_meta_characters() {
        // DataFrameShowSuite "SPARK-34308: printSchema: escape meta-characters", first frame.
        let schema = Schema::new(vec![Field::new("aaa\nbbb\tccc", DataType::Utf8, false)]);
        assert_eq!(tree_string(&schema), "root\n |-- aaa\\nbbb\\tccc: string (nullable = false)\n");
    }

    #[test]
    fn simple_string_names() {
        // DataType.simpleString (DataFrameShowSuite "dataframe toString": `[key: int, value: string]`).
        let names: Vec<String> = nested_schema().fields().iter().map(|f| spark_type_name(f.data_type())).collect();
        assert_eq!(
            names,
            [
                "bigint",
                "string",
                "struct<city:string,zip:int>",
                "array<double>",
                "map<string,bigint>",
                "array<array<smallint>>"
            ]
        );
        let scalars = [
            (DataType::Int8, "tinyint"),
            (DataType::UInt8, "smallint"),
            (DataType::UInt16, "int"),
            (DataType::UInt32, "bigint"),
            (DataType::UInt64, "decimal(20,0)"),
            (DataType::Float32, "float"),
            (DataType::Boolean, "boolean"),
            (DataType::Date32, "date"),
            (DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())), "timestamp"),
            (DataType::Timestamp(TimeUnit::Microsecond, None), "timestamp_ntz"),
            (DataType::Decimal128(10, 2), "decimal(10,2)"),
            (DataType::Binary, "binary"),
            (DataType::LargeUtf8, "string"),
            (DataType::Utf8View, "string"),
            (DataType::Null, "void"),
            (DataType::Duration(TimeUnit::Microsecond), "interval day to second"),
            (DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8)), "string"),
        ];
        for (data_type, expected) in scalars {
            assert_eq!(spark_type_name(&data_type), expected, "{data_type}");
        }
        assert_eq!(spark_json_type_name(&DataType::Int8), "byte");
        assert_eq!(spark_json_type_name(&DataType::Null), "void");
        assert_eq!(spark_json_type_name(&DataType::Decimal128(10, 2)), "decimal(10,2)");
    }
}
