//! Vectors in DataFrames: the vector column type (Spark's `VectorUDT`, laid out by
//! `flint_engine::dataframe::udt`), conversions between Arrow arrays and [`Vector`]s, and the Arrow UDFs
//! through which models score DataFrames, lazily, batch by batch, so that the same `transform` serves batch
//! queries and streaming micro-batches.

use crate::error::{Error, Result};
use crate::linalg::{Vector, Vectors};
use arrow::array::{Array, ArrayRef, AsArray, Float64Array, Int8Array, Int32Array, ListArray, StructArray};
use arrow::buffer::{NullBuffer, OffsetBuffer};
use arrow::compute::cast;
use arrow::datatypes::{DataType, Field, Fields, Float64Type, Int8Type, Int32Type};
use flint_engine::dataframe::arrow_udf;
use flint_engine::dataframe::udt::{is_vector_type, vector_type};
use flint_engine::prelude::*;
use ndarray::Array1;
use std::sync::Arc;

fn vector_fields() -> Fields {
    match vector_type() {
        DataType::Struct(fields) => fields,
        _ => Fields::empty(),
    }
}

fn list_field(fields: &Fields, i: usize) -> Arc<Field> {
    match fields[i].data_type() {
        DataType::List(f) => Arc::clone(f),
        _ => Arc::new(Field::new_list_field(DataType::Null, true)),
    }
}

/// A column of vectors (nulls for `None`), in Spark's layout.
pub fn vectors_to_array(vectors: &[Option<Vector>]) -> ArrayRef {
    let mut column = VectorColumnBuilder::with_capacity(vectors.len());
    for v in vectors {
        match v {
            None => column.push_null(),
            Some(Vector::Dense(d)) => column.push_dense(d.as_slice().unwrap_or(&[])),
            Some(Vector::Sparse(s)) => {
                column.push_sparse(s.dim(), s.indices().iter().copied().zip(s.data().iter().copied()))
            }
        }
    }
    column.finish()
}

/// Builds a vector column row by row, straight into Spark's layout (no [`Vector`] per row).
pub(crate) struct VectorColumnBuilder {
    kinds: Vec<i8>,
    sizes: Vec<Option<i32>>,
    valid: Vec<bool>,
    idx_offsets: Vec<i32>,
    idx: Vec<i32>,
    idx_valid: Vec<bool>,
    val_offsets: Vec<i32>,
    vals: Vec<f64>,
}

impl VectorColumnBuilder {
    pub(crate) fn with_capacity(rows: usize) -> Self {
        VectorColumnBuilder {
            kinds: Vec::with_capacity(rows),
            sizes: Vec::with_capacity(rows),
            valid: Vec::with_capacity(rows),
            idx_offsets: vec![0],
            idx: Vec::new(),
            idx_valid: Vec::with_capacity(rows),
            val_offsets: vec![0],
            vals: Vec::new(),
        }
    }

    fn push_row(&mut self, kind: i8, size: Option<i32>, sparse: bool, valid: bool) {
        self.kinds.push(kind);
        self.sizes.push(size);
        self.valid.push(valid);
        self.idx_valid.push(sparse);
        self.idx_offsets.push(self.idx.len() as i32);
        self.val_offsets.push(self.vals.len() as i32);
    }

    pub(crate) fn push_null(&mut self) {
        self.push_row(0, None, false, false);
    }

    pub(crate) fn push_dense(&mut self, values: &[f64]) {
        self.vals.extend_from_slice(values);
        self.push_row(1, None, false, true);
    }

    pub(crate) fn push_sparse(&mut self, size: usize, entries: impl IntoIterator<Item = (usize, f64)>) {
        for (i, v) in entries {
            self.idx.push(i as i32);
            self.vals.push(v);
        }
        self.push_row(0, Some(size as i32), true, true);
    }

    /// A vector of `values`, stored dense or sparse as Spark's `Vector.compressed` would store it.
    pub(crate) fn push_compressed(&mut self, values: &[f64]) {
        let nnz = values.iter().filter(|v| **v != 0.0).count();
        // Spark's estimate: 8 bytes a dense value, 12 a sparse entry (index and value), plus overheads.
        if 1.5 * (nnz as f64 + 1.0) < values.len() as f64 {
            self.push_sparse(values.len(), values.iter().copied().enumerate().filter(|(_, v)| *v != 0.0));
        } else {
            self.push_dense(values);
        }
    }

    pub(crate) fn finish(self) -> ArrayRef {
        let fields = vector_fields();
        let indices = ListArray::new(
            list_field(&fields, 2),
            OffsetBuffer::new(self.idx_offsets.into()),
            Arc::new(Int32Array::from(self.idx)),
            Some(NullBuffer::from(self.idx_valid)),
        );
        let values = ListArray::new(
            list_field(&fields, 3),
            OffsetBuffer::new(self.val_offsets.into()),
            Arc::new(Float64Array::from(self.vals)),
            Some(NullBuffer::from(self.valid.clone())),
        );
        let columns: Vec<ArrayRef> = vec![
            Arc::new(Int8Array::from(self.kinds)),
            Arc::new(Int32Array::from(self.sizes)),
            Arc::new(indices),
            Arc::new(values),
        ];
        Arc::new(StructArray::new(fields, columns, Some(NullBuffer::from(self.valid))))
    }
}

/// The vectors of a column: a vector column, or an array column of numbers (each row a dense vector). `what`
/// names the column in errors.
pub fn array_to_vectors(array: &dyn Array, what: &str) -> Result<Vec<Option<Vector>>> {
    let data_type = array.data_type();
    if is_vector_type(data_type) {
        let s = array.as_struct();
        let kinds = s.column(0).as_primitive::<Int8Type>();
        let sizes = s.column(1).as_primitive::<Int32Type>();
        let (indices, values) = (s.column(2).as_list::<i32>(), s.column(3).as_list::<i32>());
        return (0..s.len())
            .map(|row| {
                if s.is_null(row) {
                    return Ok(None);
                }
                let vals: Vec<f64> = if values.is_null(row) {
                    Vec::new()
                } else {
                    values.value(row).as_primitive::<Float64Type>().values().to_vec()
                };
                if kinds.value(row) == 1 {
                    return Ok(Some(Vectors::dense(vals)));
                }
                let idx: Vec<usize> = if indices.is_null(row) {
                    Vec::new()
                } else {
                    indices.value(row).as_primitive::<Int32Type>().values().iter().map(|&i| i.max(0) as usize).collect()
                };
                let size = if sizes.is_null(row) { 0 } else { sizes.value(row).max(0) as usize };
                Vectors::sparse(size, idx, vals)
                    .map(Some)
                    .map_err(|e| Error::data("vector column", format!("column `{what}`, row {row}: {e}")))
            })
            .collect();
    }
    let element = match data_type {
        DataType::List(f) | DataType::LargeList(f) | DataType::FixedSizeList(f, _) => f.data_type().clone(),
        other => {
            return Err(Error::data(
                "vector column",
                format!(
                    "column `{what}` must hold vectors (as VectorAssembler makes) or arrays of numbers, but it is \
                     {other}"
                ),
            ));
        }
    };
    if !element.is_numeric() {
        return Err(Error::data("vector column", format!("column `{what}` is an array of {element}, not of numbers")));
    }
    let target = DataType::List(Arc::new(Field::new_list_field(DataType::Float64, true)));
    let lists = cast(array, &target).map_err(|e| Error::data("vector column", format!("column `{what}`: {e}")))?;
    let lists = lists.as_list::<i32>();
    (0..lists.len())
        .map(|row| {
            if lists.is_null(row) {
                return Ok(None);
            }
            let values = lists.value(row);
            let values = values.as_primitive::<Float64Type>();
            if values.null_count() > 0 {
                return Err(Error::data(
                    "vector column",
                    format!("column `{what}`, row {row}: the array holds a null"),
                ));
            }
            Ok(Some(Vector::Dense(Array1::from(values.values().to_vec()))))
        })
        .collect()
}

/// The training vectors of a DataFrame column, as an RDD with the session's parallelism. The query runs once
/// (in parallel); a null or malformed row is an error naming the column and row.
pub(crate) fn training_vectors(df: &DataFrame, column: &str, algorithm: &'static str) -> Result<Rdd<Vector>> {
    let batches = df.select([column])?.collect_batches()?;
    let mut vectors = Vec::new();
    let mut row = 0usize;
    for batch in &batches {
        for v in array_to_vectors(batch.column(0).as_ref(), column)? {
            vectors.push(v.ok_or_else(|| {
                Error::data(
                    algorithm,
                    format!("column `{column}` is null in row {row}; remove or fill such rows first"),
                )
            })?);
            row += 1;
        }
    }
    let session = df.session();
    Ok(session.parallelize(vectors, session.default_parallelism()))
}

/// Labeled training points from a features column and a numeric label column (a null in either is an error
/// naming the row).
pub(crate) fn training_points(
    df: &DataFrame,
    features: &str,
    label: &str,
    algorithm: &'static str,
) -> Result<Rdd<crate::regression::LabeledPoint>> {
    let batches = df.select([features, label])?.collect_batches()?;
    let mut points = Vec::new();
    let mut row = 0usize;
    for batch in &batches {
        let labels = cast(batch.column(1), &DataType::Float64)
            .map_err(|e| Error::data(algorithm, format!("label column `{label}` is not numeric: {e}")))?;
        let labels = labels.as_primitive::<Float64Type>();
        for (i, v) in array_to_vectors(batch.column(0).as_ref(), features)?.into_iter().enumerate() {
            match (v, labels.is_null(i)) {
                (Some(v), false) => points.push(crate::regression::LabeledPoint::new(labels.value(i), v)),
                _ => {
                    return Err(Error::data(
                        algorithm,
                        format!("row {row} has a null `{features}` or `{label}`; remove or fill such rows first"),
                    ));
                }
            }
            row += 1;
        }
    }
    let session = df.session();
    Ok(session.parallelize(points, session.default_parallelism()))
}

/// A column computed by `kernel` from the columns `args` (each argument any type; the kernel checks them).
pub(crate) fn column_function(
    name: &str,
    args: Vec<Column>,
    output: DataType,
    kernel: impl Fn(&[ArrayRef], usize) -> Result<ArrayRef> + Send + Sync + 'static,
) -> Column {
    arrow_udf(name, output, move |columns, rows| kernel(columns, rows).map_err(|e| e.to_string())).call(args)
}

/// A column computed from the vector column `input` by `kernel`, which gets a batch of vectors (nulls as `None`)
/// and returns the output array of the same length.
pub(crate) fn map_vectors(
    name: &str,
    input: &str,
    output: DataType,
    kernel: impl Fn(&[Option<Vector>]) -> Result<ArrayRef> + Send + Sync + 'static,
) -> Column {
    let what = input.to_string();
    column_function(name, vec![col(input)], output, move |columns, _| {
        let vectors = array_to_vectors(columns[0].as_ref(), &what)?;
        kernel(&vectors)
    })
}

/// A vector column of `f` of each vector of the vector column `input` (nulls stay null).
pub(crate) fn map_each_vector(
    name: &str,
    input: &str,
    f: impl Fn(&Vector) -> Result<Vector> + Send + Sync + 'static,
) -> Column {
    map_vectors(name, input, vector_type(), move |vectors| {
        let out = vectors.iter().map(|v| v.as_ref().map(&f).transpose()).collect::<Result<Vec<_>>>()?;
        Ok(vectors_to_array(&out))
    })
}

/// A double column of `f` of each vector of the vector column `input` (nulls stay null).
pub(crate) fn map_each_number(
    name: &str,
    input: &str,
    f: impl Fn(&Vector) -> Result<f64> + Send + Sync + 'static,
) -> Column {
    map_vectors(name, input, DataType::Float64, move |vectors| each_number(vectors, &f))
}

/// A double column of `f` of each vector (nulls stay null).
pub(crate) fn each_number(vectors: &[Option<Vector>], f: impl Fn(&Vector) -> Result<f64>) -> Result<ArrayRef> {
    let out = vectors.iter().map(|v| v.as_ref().map(&f).transpose()).collect::<Result<Vec<_>>>()?;
    Ok(Arc::new(Float64Array::from(out)))
}

/// A double column of `f(w · x)` for each vector `x` of the vector column `input` (nulls stay null): the scoring
/// hot path of linear models. Vectors in the vector layout are read in place from the column's buffers, so no
/// vector is built per row; a vector whose size is not `w`'s gives `size_error(size)`.
pub(crate) fn map_each_margin(
    name: &str,
    input: &str,
    weights: Arc<Array1<f64>>,
    f: impl Fn(f64) -> f64 + Send + Sync + 'static,
    size_error: impl Fn(usize) -> Error + Send + Sync + 'static,
) -> Column {
    let what = input.to_string();
    column_function(name, vec![col(input)], DataType::Float64, move |columns, _| {
        let array = columns[0].as_ref();
        let w = weights.as_slice().unwrap_or(&[]);
        if !is_vector_type(array.data_type()) {
            let vectors = array_to_vectors(array, &what)?;
            return each_number(&vectors, |v| {
                if v.size() != w.len() {
                    return Err(size_error(v.size()));
                }
                Ok(f(v.dot_dense(&weights)))
            });
        }
        let s = array.as_struct();
        let kinds = s.column(0).as_primitive::<Int8Type>();
        let sizes = s.column(1).as_primitive::<Int32Type>();
        let (indices, values) = (s.column(2).as_list::<i32>(), s.column(3).as_list::<i32>());
        let all_values = values.values().as_primitive::<Float64Type>().values();
        let all_indices = indices.values().as_primitive::<Int32Type>().values();
        let (value_offsets, index_offsets) = (values.value_offsets(), indices.value_offsets());
        let mut out = Vec::with_capacity(s.len());
        for row in 0..s.len() {
            if s.is_null(row) {
                out.push(None);
                continue;
            }
            let x = if values.is_null(row) {
                &[][..]
            } else {
                &all_values[value_offsets[row] as usize..value_offsets[row + 1] as usize]
            };
            let margin = if kinds.value(row) == 1 {
                if x.len() != w.len() {
                    return Err(size_error(x.len()));
                }
                x.iter().zip(w).map(|(a, b)| a * b).sum::<f64>()
            } else {
                let size = if sizes.is_null(row) { 0 } else { sizes.value(row).max(0) as usize };
                if size != w.len() {
                    return Err(size_error(size));
                }
                let idx = if indices.is_null(row) {
                    &[][..]
                } else {
                    &all_indices[index_offsets[row] as usize..index_offsets[row + 1] as usize]
                };
                let mut sum = 0.0;
                for (&i, v) in idx.iter().zip(x) {
                    let i = usize::try_from(i).ok().filter(|&i| i < w.len()).ok_or_else(|| {
                        Error::data("vector column", format!("column `{what}`, row {row}: index {i} is out of range"))
                    })?;
                    sum += v * w[i];
                }
                sum
            };
            out.push(Some(f(margin)));
        }
        Ok(Arc::new(Float64Array::from(out)) as ArrayRef)
    })
}
