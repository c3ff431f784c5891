//! Feature transformers: assembling columns into vectors.

mod vector_assembler;

pub use vector_assembler::{HandleInvalid, VectorAssembler};
