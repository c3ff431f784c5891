//! Checks shared by the feature transformers: Spark's single- versus multi-column parameters, input columns of the
//! right type, output columns that do not exist yet, and Spark's cast of numbers to strings.

use crate::error::{Error, Result};
use crate::frame::{map_each_vector, training_vectors};
use crate::linalg::Vector;
use crate::stat::{MultivariateStatisticalSummary, Statistics};
use arrow::array::{Array, ArrayRef, AsArray, StringArray};
use arrow::compute::cast;
use arrow::datatypes::{DataType, Float32Type, Float64Type};
use flint_engine::dataframe::udt::is_vector_type;
use flint_engine::prelude::*;
use serde_json::{Map, Value, json};

/// The input and output columns from Spark's `inputCol`/`outputCol` or `inputCols`/`outputCols` (exactly one
/// pair, of equal lengths, outputs distinct), as Spark's `checkSingleVsMultiColumnParams`.
pub(crate) fn in_out_cols(
    algorithm: &'static str,
    input_col: &Option<String>,
    output_col: &Option<String>,
    input_cols: &[String],
    output_cols: &[String],
) -> Result<(Vec<String>, Vec<String>)> {
    let (inputs, outputs) = match (input_col, input_cols.is_empty()) {
        (Some(_), false) => {
            return Err(Error::param(algorithm, "input_cols", "set either input_col or input_cols, not both"));
        }
        (None, true) => return Err(Error::param(algorithm, "input_col", "not set: set input_col or input_cols")),
        (Some(input), true) => {
            if !output_cols.is_empty() {
                return Err(Error::param(algorithm, "output_cols", "input_col is set: set output_col instead"));
            }
            let output = output_col
                .as_ref()
                .ok_or_else(|| Error::param(algorithm, "output_col", "not set: name the column to add"))?;
            (vec![input.clone()], vec![output.clone()])
        }
        (None, false) => {
            if output_col.is_some() {
                return Err(Error::param(algorithm, "output_col", "input_cols is set: set output_cols instead"));
            }
            if output_cols.len() != input_cols.len() {
                return Err(Error::param(
                    algorithm,
                    "output_cols",
                    format!("{} output columns for {} input columns", output_cols.len(), input_cols.len()),
                ));
            }
            (input_cols.to_vec(), output_cols.to_vec())
        }
    };
    for (i, name) in outputs.iter().enumerate() {
        if outputs[..i].contains(name) {
            return Err(Error::param(algorithm, "output_cols", format!("column `{name}` is named twice")));
        }
    }
    Ok((inputs, outputs))
}

/// The input and output columns of a single-column estimator, both required.
pub(crate) fn required_in_out(
    algorithm: &'static str,
    input_col: &Option<String>,
    output_col: &Option<String>,
) -> Result<(String, String)> {
    let input = input_col.clone().ok_or_else(|| Error::param(algorithm, "input_col", "not set"))?;
    let output = output_col.clone().ok_or_else(|| Error::param(algorithm, "output_col", "not set"))?;
    Ok((input, output))
}

/// The vectors of column `input` to fit on, once `input` holds vectors and `output` does not exist yet.
pub(crate) fn training_rows(df: &DataFrame, input: &str, output: &str, algorithm: &'static str) -> Result<Rdd<Vector>> {
    check_vector_input(df, input, algorithm)?;
    check_output_absent(df, output, algorithm)?;
    training_vectors(df, input, algorithm)
}

/// The column summary (one pass) of the vectors of `input` to fit on, as [`training_rows`]; no rows is an error.
pub(crate) fn training_summary(
    df: &DataFrame,
    input: &str,
    output: &str,
    algorithm: &'static str,
) -> Result<MultivariateStatisticalSummary> {
    let rows = training_rows(df, input, output, algorithm)?;
    let summary = Statistics::col_stats(&rows).map_err(|e| Error::data(algorithm, format!("column `{input}`: {e}")))?;
    if summary.count() == 0 {
        return Err(Error::data(algorithm, format!("column `{input}` has no rows to fit on")));
    }
    Ok(summary)
}

/// Spark's column parameters of a model of `inputs` and `outputs`, for saving it: `inputCol`/`outputCol` for one
/// column (as the model of a single-column estimator saves), `inputCols`/`outputCols` for several.
pub(crate) fn in_out_params(map: &mut Map<String, Value>, inputs: &[String], outputs: &[String]) {
    match (inputs, outputs) {
        ([input], [output]) => in_out_param(map, input, output),
        _ => {
            map.insert("inputCols".into(), json!(inputs));
            map.insert("outputCols".into(), json!(outputs));
        }
    }
}

/// Spark's `inputCol` and `outputCol` parameters, for saving a single-column model.
pub(crate) fn in_out_param(map: &mut Map<String, Value>, input: &str, output: &str) {
    map.insert("inputCol".into(), json!(input));
    map.insert("outputCol".into(), json!(output));
}

/// `df` with the vector column `output` added: `f` of each vector of `input`, lazily (nulls stay null), once
/// both columns pass Spark's checks. With `size`, the size the model was fitted on, a vector of another size
/// fails the query, naming the column.
pub(crate) fn add_vector_column(
    df: &DataFrame,
    input: &str,
    output: &str,
    name: &str,
    model: &'static str,
    size: Option<usize>,
    f: impl Fn(&Vector) -> Result<Vector> + Send + Sync + 'static,
) -> Result<DataFrame> {
    check_vector_input(df, input, model)?;
    check_output_absent(df, output, model)?;
    let what = input.to_string();
    let column = map_each_vector(name, input, move |v| match size {
        Some(n) if v.size() != n => Err(Error::data(
            model,
            format!("column `{what}` holds a vector of size {}, but the model was fitted on size {n}", v.size()),
        )),
        _ => f(v),
    });
    Ok(df.with_column(output, column)?)
}

/// The type of an input column, or an error naming the missing column.
pub(crate) fn input_type(df: &DataFrame, name: &str, algorithm: &'static str) -> Result<DataType> {
    let schema = df.schema();
    let field = schema.field_with_name(name).map_err(|_| {
        Error::data(algorithm, format!("input column `{name}` does not exist; the columns are {:?}", df.columns()))
    })?;
    Ok(field.data_type().clone())
}

/// Fails, as Spark, if the output column is already there.
pub(crate) fn check_output_absent(df: &DataFrame, name: &str, algorithm: &'static str) -> Result<()> {
    if df.schema().field_with_name(name).is_ok() {
        return Err(Error::data(algorithm, format!("output column `{name}` already exists")));
    }
    Ok(())
}

/// Checks that `name` holds vectors (or arrays of numbers, read as dense vectors).
pub(crate) fn check_vector_input(df: &DataFrame, name: &str, algorithm: &'static str) -> Result<()> {
    let t = input_type(df, name, algorithm)?;
    let ok = is_vector_type(&t)
        || matches!(&t, DataType::List(f) | DataType::LargeList(f) | DataType::FixedSizeList(f, _)
            if f.data_type().is_numeric());
    if !ok {
        return Err(Error::data(
            algorithm,
            format!("input column `{name}` is {t}, but a vector column is expected (VectorAssembler makes one)"),
        ));
    }
    Ok(())
}

/// Checks that `name` is numeric (Spark's `checkNumericType`).
pub(crate) fn check_numeric_input(df: &DataFrame, name: &str, algorithm: &'static str) -> Result<()> {
    let t = input_type(df, name, algorithm)?;
    if !t.is_numeric() {
        return Err(Error::data(algorithm, format!("input column `{name}` is {t}, but a numeric column is expected")));
    }
    Ok(())
}

/// Whether a type is one of Arrow's string types.
pub(crate) fn is_string(t: &DataType) -> bool {
    matches!(t, DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View)
        || matches!(t, DataType::Dictionary(_, v) if is_string(v))
}

/// A column as Spark's `cast(… as string)`: strings unchanged, doubles and floats as Java's `toString`
/// (`5.0`, `1.0E7`, `NaN`), other numbers in decimal. With `nan_as_null`, NaN becomes null (as Spark's
/// `StringIndexer` counts labels).
pub(crate) fn spark_strings(
    array: &ArrayRef,
    what: &str,
    algorithm: &'static str,
    nan_as_null: bool,
) -> Result<StringArray> {
    let fail = |e: arrow::error::ArrowError| Error::data(algorithm, format!("column `{what}`: {e}"));
    let out: StringArray = match array.data_type() {
        DataType::Float64 => array
            .as_primitive::<Float64Type>()
            .iter()
            .map(|v| v.filter(|x| !(nan_as_null && x.is_nan())).map(java_double_string))
            .collect(),
        DataType::Float32 | DataType::Float16 => {
            let f = cast(array, &DataType::Float32).map_err(fail)?;
            f.as_primitive::<Float32Type>()
                .iter()
                .map(|v| v.filter(|x| !(nan_as_null && x.is_nan())).map(java_float_string))
                .collect()
        }
        _ => {
            let s = cast(array, &DataType::Utf8).map_err(fail)?;
            s.as_string::<i32>().clone()
        }
    };
    Ok(out)
}

/// Java's `Double.toString` (Spark's cast of a double to a string): the shortest digits that round-trip, plain
/// for magnitudes in [10⁻³, 10⁷), else `d.dddE±n`.
pub(crate) fn java_double_string(x: f64) -> String {
    java_string(x, format!("{:e}", x.abs()))
}

/// Java's `Float.toString`, the same rules on the float's own shortest digits.
pub(crate) fn java_float_string(x: f32) -> String {
    java_string(f64::from(x), format!("{:e}", x.abs()))
}

/// Lays out `scientific` (Rust's shortest `d.ddde±n` of |x|) as Java does.
fn java_string(x: f64, scientific: String) -> String {
    if x.is_nan() {
        return "NaN".into();
    }
    let sign = if x.is_sign_negative() { "-" } else { "" };
    if x.is_infinite() {
        return format!("{sign}Infinity");
    }
    if x == 0.0 {
        return format!("{sign}0.0");
    }
    let (mantissa, exponent) = scientific.split_once('e').unwrap_or((scientific.as_str(), "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let magnitude = x.abs();
    if (1e-3..1e7).contains(&magnitude) {
        let body = if exponent >= 0 {
            let split = (exponent as usize + 1).min(digits.len());
            let (int, frac) = digits.split_at(split);
            let zeros = "0".repeat(exponent as usize + 1 - split);
            format!("{int}{zeros}.{}", if frac.is_empty() { "0" } else { frac })
        } else {
            format!("0.{}{digits}", "0".repeat((-exponent - 1) as usize))
        };
        format!("{sign}{body}")
    } else {
        let (first, rest) = digits.split_at(1);
        format!("{sign}{first}.{}E{exponent}", if rest.is_empty() { "0" } else { rest })
    }
}

/// The values of a numeric column as doubles (Spark's `cast(… as double)`).
pub(crate) fn as_doubles(array: &ArrayRef, what: &str, algorithm: &'static str) -> Result<arrow::array::Float64Array> {
    let d = cast(array, &DataType::Float64)
        .map_err(|e| Error::data(algorithm, format!("column `{what}` cannot be read as numbers: {e}")))?;
    Ok(d.as_primitive::<Float64Type>().clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_print_as_java_does() {
        let cases = [
            (5.0, "5.0"),
            (5.1, "5.1"),
            (1e7, "1.0E7"),
            (1.5e-4, "1.5E-4"),
            (123456.789, "123456.789"),
            (9999999.0, "9999999.0"),
            (0.001, "0.001"),
            (0.00123, "0.00123"),
            (-2.5, "-2.5"),
            (-0.0, "-0.0"),
            (1e21, "1.0E21"),
            (-1.25e-10, "-1.25E-10"),
            (100.0, "100.0"),
            (f64::NAN, "NaN"),
            (f64::NEG_INFINITY, "-Infinity"),
        ];
        for (x, s) in cases {
            assert_eq!(java_double_string(x), s, "{x}");
        }
        assert_eq!(java_float_string(0.1f32), "0.1");
        assert_eq!(java_float_string(1.0e8f32), "1.0E8");
    }
}
