//! Spark ML's vector type (`VectorUDT`) as an Arrow column, so that `features` columns made by MLlib show,
//! print and store as Spark's do.
//!
//! Spark stores a vector as the struct `type: byte, size: int, indices: array<int>, values: array<double>`
//! (`type` 0 = sparse with `size` and `indices`, 1 = dense with only `values`), and shows it as `[1.0,2.0]` or
//! `(3,[0,2],[1.0,3.0])`. Flint uses the same layout (a Parquet file of vectors has Spark's schema) and the
//! engine recognises it by its fields, since the type itself lives in MLlib, above the engine.

use super::show::java_double_to_string;
use arrow::array::{Array, AsArray, StructArray};
use arrow::datatypes::{DataType, Field, Fields, Float64Type, Int32Type};
use std::sync::Arc;

/// The Arrow type of a column of vectors (Spark's `VectorUDT.sqlType`).
pub fn vector_type() -> DataType {
    DataType::Struct(vector_fields())
}

fn vector_fields() -> Fields {
    Fields::from(vec![
        Field::new("type", DataType::Int8, false),
        Field::new("size", DataType::Int32, true),
        Field::new("indices", DataType::List(Arc::new(Field::new_list_field(DataType::Int32, false))), true),
        Field::new("values", DataType::List(Arc::new(Field::new_list_field(DataType::Float64, false))), true),
    ])
}

/// Whether a column type is the vector type (by its fields' names and types; nullability aside, since
/// readers and casts may relax it).
pub fn is_vector_type(data_type: &DataType) -> bool {
    let DataType::Struct(fields) = data_type else { return false };
    let expected = vector_fields();
    fields.len() == expected.len()
        && fields.iter().zip(expected.iter()).all(|(f, e)| {
            f.name() == e.name()
                && match (f.data_type(), e.data_type()) {
                    (DataType::List(a), DataType::List(b)) => a.data_type() == b.data_type(),
                    (a, b) => a == b,
                }
        })
}

/// Spark's text of the vector at `row`: `[1.0,2.0]` (dense) or `(3,[0,2],[1.0,3.0])` (sparse).
pub(crate) fn format_vector(column: &StructArray, row: usize) -> String {
    let list = |i: usize| {
        let c = column.column(i).as_list::<i32>();
        (!c.is_null(row)).then(|| c.value(row))
    };
    let values = list(3)
        .map(|v| v.as_primitive::<Float64Type>().values().iter().map(|x| java_double_to_string(*x)).collect::<Vec<_>>())
        .unwrap_or_default()
        .join(",");
    if column.column(0).as_primitive::<arrow::datatypes::Int8Type>().value(row) == 1 {
        return format!("[{values}]");
    }
    let size = column.column(1).as_primitive::<Int32Type>();
    let size = if size.is_null(row) { "NULL".to_string() } else { size.value(row).to_string() };
    let indices = list(2)
        .map(|v| v.as_primitive::<Int32Type>().values().iter().map(|i| i.to_string()).collect::<Vec<_>>())
        .unwrap_or_default()
        .join(",");
    format!("({size},[{indices}],[{values}])")
}
