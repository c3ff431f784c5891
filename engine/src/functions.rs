//! Spark's `functions`: column expressions for `select`, `filter`, `with_column` and `agg`.
//!
//! Each function is DataFusion's implementation under Spark's name, named in results as Spark names them
//! (`avg(age)`, `count(1)`), so that `show()` prints Spark's headers. The same functions are callable from SQL.

pub use crate::dataframe::sessions::session_window;
use crate::dataframe::{Column, IntoColumn};
use crate::error::{Error, Result};
use datafusion::arrow::datatypes::{DataType, TimeUnit};
use datafusion::functions::expr_fn as f;
use datafusion::functions_aggregate::expr_fn as agg;
use datafusion::functions_nested::expr_fn as nested;
use datafusion::logical_expr::{Expr, ExprFunctionExt};
use datafusion::prelude::lit as df_lit;

/// A column by name; `"*"` is all columns; `"t.c"` a qualified column (Spark's `col`).
pub fn col(name: &str) -> Column {
    if name == "*" {
        #[allow(deprecated)]
        return Column::new(Expr::Wildcard { qualifier: None, options: Box::default() });
    }
    // Spark resolves dotted names as table.column; DataFusion parses the same way. Case is kept, as the
    // session's SQL keeps it (ident normalisation is off), so `col("rawPrediction")` finds Spark ML's columns.
    Column::new(Expr::Column(datafusion::common::Column::from_qualified_name_ignore_case(name)))
}

/// Spark's `column`, same as [`col`].
pub fn column(name: &str) -> Column {
    col(name)
}

/// A literal value (Spark's `lit`).
pub fn lit(value: impl IntoColumn) -> Column {
    value.into_column()
}

/// Parses a schema in Spark's DDL form (`"time TIMESTAMP, action STRING"`, Spark's `StructType.fromDDL`): comma-
/// separated `name type` pairs, names optionally in backquotes, types as [`parse_type`] takes them; every column is
/// nullable, as in Spark.
///
/// ```
/// use flint_engine::prelude::*;
///
/// let schema = parse_schema("`event time` TIMESTAMP, amount DECIMAL(10, 2), n BIGINT")?;
/// assert_eq!(schema.field(0).name(), "event time");
/// assert_eq!(schema.fields().len(), 3);
/// # Ok::<(), flint_engine::Error>(())
/// ```
pub fn parse_schema(ddl: &str) -> Result<datafusion::arrow::datatypes::SchemaRef> {
    use datafusion::arrow::datatypes::{Field, Schema};
    // Commas inside parentheses belong to a type (`decimal(10, 2)`).
    let mut columns = Vec::new();
    let (mut depth, mut start) = (0usize, 0usize);
    for (i, c) in ddl.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                columns.push(&ddl[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    columns.push(&ddl[start..]);
    let fields = columns
        .iter()
        .map(|column| {
            let column = column.trim();
            let (name, rest) = match column.strip_prefix('`') {
                Some(quoted) => quoted.split_once('`').map(|(n, r)| (n, r.trim_start())).unwrap_or(("", "")),
                None => column.split_once(char::is_whitespace).unwrap_or((column, "")),
            };
            if name.is_empty() || rest.trim().is_empty() {
                return Err(Error::param(
                    "schema",
                    format!("`{column}` is not a column of a DDL schema; write `name TYPE, …` as in \"time TIMESTAMP, action STRING\""),
                ));
            }
            Ok(Field::new(name, parse_type(rest)?, true))
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(std::sync::Arc::new(Schema::new(fields)))
}

/// The first branch of a conditional: `when(cond, value).when(..)?.otherwise(..)?` (Spark's `when`).
pub fn when(condition: Column, value: impl IntoColumn) -> Column {
    Column::case(condition, value.into_column())
}

/// Parses a Spark SQL type name (`int`, `bigint`, `double`, `string`, `date`, `timestamp`, `decimal(10,2)`, …).
pub fn parse_type(name: &str) -> Result<DataType> {
    let n = name.trim().to_ascii_lowercase();
    let t = match n.as_str() {
        "boolean" | "bool" => DataType::Boolean,
        "byte" | "tinyint" => DataType::Int8,
        "short" | "smallint" => DataType::Int16,
        "int" | "integer" => DataType::Int32,
        "long" | "bigint" => DataType::Int64,
        "float" | "real" => DataType::Float32,
        "double" => DataType::Float64,
        "string" | "varchar" | "char" => DataType::Utf8,
        "binary" => DataType::Binary,
        "date" => DataType::Date32,
        "timestamp" => DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
        "timestamp_ntz" => DataType::Timestamp(TimeUnit::Microsecond, None),
        _ => {
            if let Some(args) = n.strip_prefix("decimal(").and_then(|r| r.strip_suffix(')')) {
                let mut parts = args.split(',').map(|p| p.trim().parse::<i64>());
                if let (Some(Ok(p)), Some(Ok(s)), None) = (parts.next(), parts.next(), parts.next())
                    && (1..=38).contains(&p)
                    && (0..=p).contains(&s)
                {
                    return Ok(DataType::Decimal128(p as u8, s as i8));
                }
            }
            return Err(Error::param(
                "type",
                format!(
                    "`{name}` is not a type; use one of boolean, tinyint, smallint, int, bigint, float, double, \
                     string, binary, date, timestamp, timestamp_ntz, decimal(p,s)"
                ),
            ));
        }
    };
    Ok(t)
}

fn named(expr: Expr, name: String) -> Column {
    Column::new(expr.alias(name))
}

/// Spark's display name of an argument (`age` for a column, `1` for a literal).
fn arg_name(c: &Column) -> String {
    match c.expr() {
        Expr::Literal(v, _) => v.to_string(),
        e => e.schema_name().to_string(),
    }
}

/// `f(c)` named `name(c)`, as Spark names one-argument function results.
fn call_named(name: &str, c: Column, f: impl FnOnce(Expr) -> Expr) -> Column {
    let display = format!("{name}({})", arg_name(&c));
    named(f(c.expr().clone()), display)
}

/// One-argument functions under Spark's names, each wrapping a DataFusion expression builder.
macro_rules! one_argument_functions {
    ($($(#[$doc:meta])* $name:ident => $df:path),* $(,)?) => {$(
        $(#[$doc])*
        pub fn $name(c: impl Into<Column>) -> Column {
            call_named(stringify!($name), c.into(), $df)
        }
    )*};
}

one_argument_functions! {
    /// Sum of the values.
    sum => agg::sum,
    /// Mean of the values.
    avg => agg::avg,
    /// Smallest value.
    min => agg::min,
    /// Largest value.
    max => agg::max,
    /// Sample standard deviation (Spark's formulas and digits; NULL for fewer than two values).
    stddev => crate::moments::stddev_samp,
    /// Sample standard deviation.
    stddev_samp => crate::moments::stddev_samp,
    /// Population standard deviation.
    stddev_pop => crate::moments::stddev_pop,
    /// Sample variance (Spark's formulas and digits; NULL for fewer than two values).
    variance => crate::moments::var_samp,
    /// Sample variance.
    var_samp => crate::moments::var_samp,
    /// Population variance.
    var_pop => crate::moments::var_pop,
    /// Approximate number of distinct values (HyperLogLog).
    approx_count_distinct => agg::approx_distinct,
}

/// `array_agg` over the non-null values (Spark's `collect_list`/`collect_set` skip nulls).
fn array_agg_non_null(e: Expr, distinct: bool) -> Expr {
    let not_null = e.clone().is_not_null();
    let builder = agg::array_agg(e.clone());
    let built = if distinct { builder.distinct().filter(not_null).build() } else { builder.filter(not_null).build() };
    // Building only fails for non-aggregate functions, which array_agg is not.
    built.unwrap_or_else(|_| agg::array_agg(e))
}

/// The values of the group as an array, nulls excluded as in Spark.
pub fn collect_list(c: impl Into<Column>) -> Column {
    call_named("collect_list", c.into(), |e| array_agg_non_null(e, false))
}

/// Mean of the values (Spark's `mean`, same as [`avg`]).
pub fn mean(c: impl Into<Column>) -> Column {
    call_named("avg", c.into(), agg::avg)
}

/// Number of non-null values; `count("*")` or `count(lit(1))` counts rows, named `count(1)` as in Spark.
pub fn count(c: impl Into<Column>) -> Column {
    let c = c.into();
    #[allow(deprecated)]
    if matches!(c.expr(), Expr::Wildcard { .. }) {
        return named(agg::count(df_lit(1i64)), "count(1)".into());
    }
    call_named("count", c, agg::count)
}

/// Number of distinct non-null values.
pub fn count_distinct(c: impl Into<Column>) -> Column {
    let c = c.into();
    let display = format!("count(DISTINCT {})", arg_name(&c));
    named(agg::count_distinct(c.expr().clone()), display)
}

/// The distinct values of the group as an array.
pub fn collect_set(c: impl Into<Column>) -> Column {
    call_named("collect_set", c.into(), |e| array_agg_non_null(e, true))
}

/// The first value of the group (in input order, as Spark without ordering).
pub fn first(c: impl Into<Column>) -> Column {
    call_named("first", c.into(), |e| agg::first_value(e, vec![]))
}

/// The last value of the group.
pub fn last(c: impl Into<Column>) -> Column {
    call_named("last", c.into(), |e| agg::last_value(e, vec![]))
}

one_argument_functions! {
    /// Lower case.
    lower => f::lower,
    /// Upper case.
    upper => f::upper,
    /// Strips spaces at both ends.
    trim => trim_expr,
    /// Strips leading spaces.
    ltrim => ltrim_expr,
    /// Strips trailing spaces.
    rtrim => rtrim_expr,
    /// Length in characters.
    length => f::character_length,
    /// Absolute value.
    abs => f::abs,
    /// Square root.
    sqrt => f::sqrt,
    /// Natural logarithm (Spark's one-argument `log`).
    log => f::ln,
    /// Natural logarithm.
    ln => f::ln,
    /// Base-10 logarithm.
    log10 => f::log10,
    /// e raised to the value.
    exp => f::exp,
    /// Smallest integer not below the value.
    ceil => f::ceil,
    /// Largest integer not above the value.
    floor => f::floor,
    /// Year of a date or timestamp.
    year => year_expr,
    /// Month (1–12).
    month => month_expr,
    /// Day of the month.
    dayofmonth => day_expr,
    /// Hour (0–23).
    hour => hour_expr,
    /// Minute (0–59).
    minute => minute_expr,
    /// Converts a string to a date (`yyyy-MM-dd`).
    to_date => to_date_expr,
    /// Converts a string to a timestamp.
    to_timestamp => to_timestamp_expr,
    /// Reverses a string.
    reverse => f::reverse,
    /// Number of elements of an array.
    size => size_expr,
    /// Seconds since the epoch (whole or fractional) as a timestamp.
    timestamp_seconds => seconds_to_timestamp,
    /// Milliseconds since the epoch as a timestamp.
    timestamp_millis => millis_to_timestamp,
    /// Microseconds since the epoch as a timestamp.
    timestamp_micros => micros_to_timestamp,
}

fn micros_to_timestamp(e: Expr) -> Expr {
    e.cast_to_type_expr(DataType::Int64).cast_to_type_expr(DataType::Timestamp(TimeUnit::Microsecond, None))
}
fn millis_to_timestamp(e: Expr) -> Expr {
    micros_to_timestamp(e.cast_to_type_expr(DataType::Int64) * df_lit(1_000_i64))
}
// Spark multiplies, then drops what is below a microsecond.
fn seconds_to_timestamp(e: Expr) -> Expr {
    micros_to_timestamp(e.cast_to_type_expr(DataType::Float64) * df_lit(1e6))
}

fn date_part(part: &str, e: Expr) -> Expr {
    f::date_part(df_lit(part), e).cast_to_type_expr(DataType::Int32)
}

trait CastExpr {
    fn cast_to_type_expr(self, t: DataType) -> Expr;
}

impl CastExpr for Expr {
    fn cast_to_type_expr(self, t: DataType) -> Expr {
        Expr::Cast(datafusion::logical_expr::Cast::new(Box::new(self), t))
    }
}

fn trim_expr(e: Expr) -> Expr {
    f::trim(vec![e])
}
fn ltrim_expr(e: Expr) -> Expr {
    datafusion::functions::string::ltrim().call(vec![e])
}
fn rtrim_expr(e: Expr) -> Expr {
    datafusion::functions::string::rtrim().call(vec![e])
}
fn year_expr(e: Expr) -> Expr {
    date_part("year", e)
}
fn month_expr(e: Expr) -> Expr {
    date_part("month", e)
}
fn day_expr(e: Expr) -> Expr {
    date_part("day", e)
}
fn hour_expr(e: Expr) -> Expr {
    date_part("hour", e)
}
fn minute_expr(e: Expr) -> Expr {
    date_part("minute", e)
}
fn to_date_expr(e: Expr) -> Expr {
    f::to_date(vec![e])
}
fn to_timestamp_expr(e: Expr) -> Expr {
    f::to_timestamp_micros(vec![e])
}
fn size_expr(e: Expr) -> Expr {
    nested::cardinality(e).cast_to_type_expr(DataType::Int32)
}

/// Rounds half up to `scale` decimal places (Spark's `round`).
pub fn round(c: impl Into<Column>, scale: i32) -> Column {
    let c = c.into();
    let display = format!("round({}, {scale})", arg_name(&c));
    let rounded = f::round(vec![c.expr().clone(), df_lit(i64::from(scale))]);
    // DataFusion rounds -0.4 to -0.0; Spark rounds through BigDecimal, which has no negative zero.
    let zero = Expr::Case(datafusion::logical_expr::expr::Case::new(
        None,
        vec![(Box::new(rounded.clone().eq(df_lit(0))), Box::new(f::abs(rounded.clone())))],
        Some(Box::new(rounded)),
    ));
    named(zero, display)
}

/// `base` raised to `exponent`.
pub fn pow(base: impl Into<Column>, exponent: impl IntoColumn) -> Column {
    let (b, e) = (base.into(), exponent.into_column());
    let display = format!("POWER({}, {})", arg_name(&b), arg_name(&e));
    named(
        f::power(
            b.expr().clone().cast_to_type_expr(DataType::Float64),
            e.expr().clone().cast_to_type_expr(DataType::Float64),
        ),
        display,
    )
}

/// Concatenates strings (null if any is null, as in Spark).
pub fn concat(cols: impl IntoIterator<Item = Column>) -> Column {
    let cols: Vec<Column> = cols.into_iter().collect();
    let display = format!("concat({})", cols.iter().map(arg_name).collect::<Vec<_>>().join(", "));
    // DataFusion's concat skips nulls; Spark's returns null when any argument is null.
    let any_null = cols.iter().map(|c| c.expr().clone().is_null()).reduce(|a, b| a.or(b));
    let joined = f::concat(cols.into_iter().map(|c| c.expr().clone()).collect());
    let expr = match any_null {
        Some(cond) => Expr::Case(datafusion::logical_expr::expr::Case::new(
            None,
            vec![(Box::new(cond), Box::new(Expr::Literal(datafusion::scalar::ScalarValue::Utf8(None), None)))],
            Some(Box::new(joined)),
        )),
        None => joined,
    };
    named(expr, display)
}

/// Concatenates strings with a separator, skipping nulls.
pub fn concat_ws(sep: &str, cols: impl IntoIterator<Item = Column>) -> Column {
    let cols: Vec<Column> = cols.into_iter().collect();
    let display = format!("concat_ws({sep}, {})", cols.iter().map(arg_name).collect::<Vec<_>>().join(", "));
    named(f::concat_ws(df_lit(sep), cols.into_iter().map(|c| c.expr().clone()).collect()), display)
}

/// The substring starting at 1-based `pos`, `len` characters long.
pub fn substring(c: impl Into<Column>, pos: i64, len: i64) -> Column {
    let c = c.into();
    let display = format!("substring({}, {pos}, {len})", arg_name(&c));
    named(f::substring(c.expr().clone(), df_lit(pos), df_lit(len)), display)
}

/// Splits a string around matches of a regular expression into an array.
pub fn split(c: impl Into<Column>, pattern: &str) -> Column {
    let c = c.into();
    let display = format!("split({}, {pattern}, -1)", arg_name(&c));
    // Spark splits on a regex; plain patterns (the common case) split literally and faster.
    let is_literal = !pattern.chars().any(|ch| "\\^$.|?*+()[]{}".contains(ch));
    let expr = if is_literal {
        nested::string_to_array(
            c.expr().clone(),
            df_lit(pattern),
            Expr::Literal(datafusion::scalar::ScalarValue::Utf8(None), None),
        )
    } else {
        let marker = "\u{1F}";
        let replaced = f::regexp_replace(c.expr().clone(), df_lit(pattern), df_lit(marker), Some(df_lit("g")));
        nested::string_to_array(
            replaced,
            df_lit(marker),
            Expr::Literal(datafusion::scalar::ScalarValue::Utf8(None), None),
        )
    };
    named(expr, display)
}

/// Group `idx` of the first match of `pattern` (empty string when there is no match, as in Spark).
pub fn regexp_extract(c: impl Into<Column>, pattern: &str, idx: usize) -> Column {
    let c = c.into();
    let display = format!("regexp_extract({}, {pattern}, {idx})", arg_name(&c));
    // With the whole pattern as group 1, `regexp_match` returns [whole match, group 1, …]: group `idx` is element
    // `idx + 1`, group 0 included (a pattern with groups of its own otherwise returns only those).
    let matched = f::regexp_match(c.expr().clone(), df_lit(format!("({pattern})")), None);
    let group = nested::array_element(matched, df_lit(idx as i64 + 1));
    named(f::coalesce(vec![group, df_lit("")]), display)
}

/// Replaces every match of `pattern` with `replacement` (`$1` refers to a group).
pub fn regexp_replace(c: impl Into<Column>, pattern: &str, replacement: &str) -> Column {
    let c = c.into();
    let display = format!("regexp_replace({}, {pattern}, {replacement}, 1)", arg_name(&c));
    // Spark writes groups as `$1`; the regex crate DataFusion uses reads `${1}`.
    let replacement = java_to_rust_groups(replacement);
    named(f::regexp_replace(c.expr().clone(), df_lit(pattern), df_lit(replacement), Some(df_lit("g"))), display)
}

fn java_to_rust_groups(replacement: &str) -> String {
    let mut out = String::with_capacity(replacement.len());
    let mut chars = replacement.chars().peekable();
    while let Some(ch) = chars.next() {
        if ch == '$' && chars.peek().is_some_and(|c| c.is_ascii_digit()) {
            out.push_str("${");
            while let Some(d) = chars.peek().copied().filter(char::is_ascii_digit) {
                out.push(d);
                chars.next();
            }
            out.push('}');
        } else {
            out.push(ch);
        }
    }
    out
}

/// Formats a date or timestamp with a Spark (Java) pattern such as `yyyy-MM-dd HH:mm`.
pub fn date_format(c: impl Into<Column>, pattern: &str) -> Column {
    let c = c.into();
    let display = format!("date_format({}, {pattern})", arg_name(&c));
    named(f::to_char(c.expr().clone(), df_lit(java_to_chrono_pattern(pattern))), display)
}

/// Converts a string to a date with a Spark (Java) pattern such as `dd-MMM-yyyy` (Spark's `to_date(col, fmt)`).
pub fn to_date_with_format(c: impl Into<Column>, pattern: &str) -> Column {
    let c = c.into();
    let display = format!("to_date({}, {pattern})", arg_name(&c));
    named(f::to_date(vec![c.expr().clone(), df_lit(java_to_chrono_pattern(pattern))]), display)
}

/// Converts a string to a timestamp with a Spark (Java) pattern (Spark's `to_timestamp(col, fmt)`).
pub fn to_timestamp_with_format(c: impl Into<Column>, pattern: &str) -> Column {
    let c = c.into();
    let display = format!("to_timestamp({}, {pattern})", arg_name(&c));
    named(f::to_timestamp_micros(vec![c.expr().clone(), df_lit(java_to_chrono_pattern(pattern))]), display)
}

/// Translates the common Java date pattern letters to chrono's.
fn java_to_chrono_pattern(p: &str) -> String {
    let mut out = String::new();
    let chars: Vec<char> = p.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let ch = chars[i];
        let mut run = 1;
        while i + run < chars.len() && chars[i + run] == ch {
            run += 1;
        }
        let piece = match (ch, run) {
            ('y', 2) => "%y".to_string(),
            ('y', _) => "%Y".to_string(),
            ('M', 1) => "%-m".to_string(),
            ('M', 2) => "%m".to_string(),
            ('M', 3) => "%b".to_string(),
            ('M', _) => "%B".to_string(),
            ('d', 1) => "%-d".to_string(),
            ('d', _) => "%d".to_string(),
            ('H', 1) => "%-H".to_string(),
            ('H', _) => "%H".to_string(),
            ('m', 1) => "%-M".to_string(),
            ('m', _) => "%M".to_string(),
            ('s', 1) => "%-S".to_string(),
            ('s', _) => "%S".to_string(),
            ('S', n) => format!("%{n}f"),
            ('E', 1..=3) => "%a".to_string(),
            ('E', _) => "%A".to_string(),
            ('a', _) => "%p".to_string(),
            (c, n) => c.to_string().repeat(n),
        };
        out.push_str(&piece);
        i += run;
    }
    out
}

/// A duration as Spark writes window lengths (`"10 seconds"`, `"1 hour 30 minutes"`, `"500 milliseconds"`), in
/// microseconds; it must be positive.
pub(crate) fn parse_duration(what: &str, text: &str) -> Result<i64> {
    let micros = parse_offset(what, text)?;
    if micros <= 0 {
        return Err(Error::param(what, format!("`{text}` must be a positive duration")));
    }
    Ok(micros)
}

/// A duration that may be zero or negative (`"15 minutes"`, `"-5 minutes"`, `"0 seconds"`), in microseconds.
pub(crate) fn parse_offset(what: &str, text: &str) -> Result<i64> {
    let bad = || {
        Error::param(
            what,
            format!(
                "`{text}` is not a duration; write it as Spark does, e.g. \"10 seconds\", \"5 minutes\", \"1 hour\""
            ),
        )
    };
    let words: Vec<&str> = text.split_whitespace().collect();
    if words.is_empty() || !words.len().is_multiple_of(2) {
        return Err(bad());
    }
    let mut micros: i64 = 0;
    for pair in words.chunks(2) {
        let n: i64 = pair[0].parse().map_err(|_| bad())?;
        let unit: i64 = match pair[1].to_ascii_lowercase().trim_end_matches('s') {
            "microsecond" => 1,
            "millisecond" => 1_000,
            "second" => 1_000_000,
            "minute" => 60_000_000,
            "hour" => 3_600_000_000,
            "day" => 86_400_000_000,
            "week" => 604_800_000_000,
            _ => return Err(bad()),
        };
        micros = n.checked_mul(unit).and_then(|m| micros.checked_add(m)).ok_or_else(bad)?;
    }
    Ok(micros)
}

/// Event-time windows (Spark's `window(timeColumn, windowDuration, slideDuration)`): one row per window that
/// holds the row's timestamp, the window as a `{start, end}` struct in a column named `window`. Windows start every
/// `slide` (the `duration` when there is none: tumbling windows) since the epoch, so a row is in about
/// `duration / slide` overlapping windows, exactly the ones with `start <= time < end`; rows without a time are
/// dropped, as in Spark. Group by the column to aggregate per window.
///
/// ```
/// use flint_engine::prelude::*;
///
/// let session = Session::builder().master("local[2]").build()?;
/// let events = session.sql("SELECT CAST('2024-01-01 10:07:00' AS TIMESTAMP) AS ts")?;
/// let tumbling = events.select([window(col("ts"), "10 minutes", None)?])?;
/// assert!(tumbling.show_string(1, 0, false)?.contains("|{2024-01-01 10:00:00, 2024-01-01 10:10:00}|"));
/// let sliding = events.select([window(col("ts"), "10 minutes", Some("5 minutes"))?])?;
/// assert_eq!(sliding.count()?, 2); // [10:00, 10:10) and [10:05, 10:15)
/// # Ok::<(), flint_engine::Error>(())
/// ```
pub fn window(c: impl Into<Column>, duration: &str, slide: Option<&str>) -> Result<Column> {
    window_with_start(c, duration, slide, None)
}

/// [`window`] with Spark's `startTime`: windows start at `start_time` past every multiple of the slide
/// (`window(col("ts"), "1 hour", None, Some("15 minutes"))` gives hours from :15 to :15).
pub fn window_with_start(
    c: impl Into<Column>,
    duration: &str,
    slide: Option<&str>,
    start_time: Option<&str>,
) -> Result<Column> {
    let windows = time_windows(c.into().expr().clone(), duration, slide, start_time)?;
    Ok(named(datafusion::logical_expr::expr_fn::unnest(windows), "window".into()))
}

/// The windows of [`window`] as an array of `{start, end}` structs, latest first (Spark's order), null for a null
/// time. SQL's `window` is planned with it too.
pub(crate) fn time_windows(time: Expr, duration: &str, slide: Option<&str>, start_time: Option<&str>) -> Result<Expr> {
    let micros = DataType::Timestamp(TimeUnit::Microsecond, None);
    let length = parse_duration("windowDuration", duration)?;
    let step = match slide {
        Some(s) => parse_duration("slideDuration", s)?,
        None => length,
    };
    if step > length {
        return Err(Error::param(
            "slideDuration",
            format!("the slide ({}) must not be longer than the window ({duration})", slide.unwrap_or_default()),
        ));
    }
    let offset = match start_time {
        Some(s) => parse_offset("startTime", s)?,
        None => 0,
    };
    if offset.abs() >= step {
        return Err(Error::param(
            "startTime",
            format!("the start time ({}) must be shorter than the slide", start_time.unwrap_or_default()),
        ));
    }
    // Spark's arithmetic, in microseconds: the latest window start at or before the time is the time less its
    // remainder modulo the slide (taken non-negative, so times before 1970 fall in the right window).
    let t = time.clone().cast_to_type_expr(micros.clone()).cast_to_type_expr(DataType::Int64);
    let remainder = ((t.clone() - df_lit(offset)) % df_lit(step) + df_lit(step)) % df_lit(step);
    let latest = t - remainder.clone();
    let as_time = |us: Expr| us.cast_to_type_expr(micros.clone());
    let count = (length + step - 1) / step;
    let windows: Vec<Expr> = (0..count)
        .map(|k| {
            let start = latest.clone() - df_lit(k * step);
            let end = start.clone() + df_lit(length);
            f::named_struct(vec![df_lit("start"), as_time(start), df_lit("end"), as_time(end)])
        })
        .collect();
    let mut windows = nested::make_array(windows);
    if count * step != length {
        // The slide does not divide the duration: the oldest candidate may end before the time. The windows that
        // hold it are the first `ceil((duration - remainder) / slide)`.
        let holding = (df_lit(length + step - 1) - remainder) / df_lit(step);
        windows = nested::array_slice(windows, df_lit(1_i64), holding, None);
    }
    Ok(datafusion::logical_expr::when(time.is_not_null(), windows).end()?)
}

/// The current timestamp at the start of the query.
pub fn current_timestamp() -> Column {
    named(f::now(), "current_timestamp()".into())
}

/// The first non-null value.
pub fn coalesce(cols: impl IntoIterator<Item = Column>) -> Column {
    let cols: Vec<Column> = cols.into_iter().collect();
    let display = format!("coalesce({})", cols.iter().map(arg_name).collect::<Vec<_>>().join(", "));
    named(f::coalesce(cols.into_iter().map(|c| c.expr().clone()).collect()), display)
}

/// An array of the given columns' values.
pub fn array(cols: impl IntoIterator<Item = Column>) -> Column {
    let cols: Vec<Column> = cols.into_iter().collect();
    let display = format!("array({})", cols.iter().map(arg_name).collect::<Vec<_>>().join(", "));
    named(nested::make_array(cols.into_iter().map(|c| c.expr().clone()).collect()), display)
}

/// A struct of the given columns, fields named after them (Spark's `struct`).
pub fn struct_(cols: impl IntoIterator<Item = Column>) -> Column {
    let cols: Vec<Column> = cols.into_iter().collect();
    let display = format!("struct({})", cols.iter().map(arg_name).collect::<Vec<_>>().join(", "));
    let mut args = Vec::with_capacity(cols.len() * 2);
    for c in cols {
        args.push(df_lit(arg_name(&c)));
        args.push(c.expr().clone());
    }
    named(f::named_struct(args), display)
}

/// One row per element of an array column, in a column named `col` (Spark's `explode`).
pub fn explode(c: impl Into<Column>) -> Column {
    named(datafusion::logical_expr::expr_fn::unnest(c.into().expr().clone()), "col".into())
}

/// Whether the value is null.
pub fn isnull(c: impl Into<Column>) -> Column {
    c.into().is_null()
}

/// Whether the value is NaN (Spark's `isnan`; false for null).
pub fn isnan(c: impl Into<Column>) -> Column {
    let c = c.into();
    let name = format!("isnan({})", c.expr().schema_name());
    named(f::coalesce(vec![f::isnan(c.expr().clone()), df_lit(false)]), name)
}

/// Logical negation (Spark's `not`, `~` in PySpark).
pub fn not(c: impl Into<Column>) -> Column {
    let c = c.into();
    let name = format!("(NOT {})", c.expr().schema_name());
    named(datafusion::logical_expr::not(c.expr().clone()), name)
}

/// Window function: 1, 2, 3… within the window partition.
pub fn row_number() -> Column {
    named(datafusion::functions_window::expr_fn::row_number(), "row_number()".into())
}

/// Window function: rank with gaps.
pub fn rank() -> Column {
    named(datafusion::functions_window::expr_fn::rank(), "RANK()".into())
}

/// Window function: rank without gaps.
pub fn dense_rank() -> Column {
    named(datafusion::functions_window::expr_fn::dense_rank(), "DENSE_RANK()".into())
}

/// Window function: the value `offset` rows before (null past the start).
pub fn lag(c: impl Into<Column>, offset: i64) -> Column {
    let c = c.into();
    let display = format!("lag({}, {offset}, NULL)", arg_name(&c));
    named(datafusion::functions_window::expr_fn::lag(c.expr().clone(), Some(offset), None), display)
}

/// Window function: the value `offset` rows after (null past the end).
pub fn lead(c: impl Into<Column>, offset: i64) -> Column {
    let c = c.into();
    let display = format!("lead({}, {offset}, NULL)", arg_name(&c));
    named(datafusion::functions_window::expr_fn::lead(c.expr().clone(), Some(offset), None), display)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spark_types_parse() {
        assert_eq!(parse_type("int").expect("int"), DataType::Int32);
        assert_eq!(parse_type("DECIMAL(10, 2)").expect("decimal"), DataType::Decimal128(10, 2));
        let err = parse_type("integr").expect_err("typo").to_string();
        assert!(err.contains("integr") && err.contains("bigint"), "{err}");
    }

    #[test]
    fn java_patterns_translate() {
        assert_eq!(java_to_chrono_pattern("yyyy-MM-dd HH:mm:ss"), "%Y-%m-%d %H:%M:%S");
        assert_eq!(java_to_rust_groups("$1-$23"), "${1}-${23}");
    }
}
