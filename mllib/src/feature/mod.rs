//! Feature transformers: assembling columns into vectors.
//! Also scaling vector columns (`StandardScaler`, `MinMaxScaler`), projecting them (`Pca`) and encoding categories (`StringIndexer`,
//! `IndexToString`, `OneHotEncoder`), each an estimator whose model adds its column lazily, as Spark ML's.

mod columns;
mod min_max_scaler;
mod one_hot_encoder;
mod pca;
mod standard_scaler;
mod string_indexer;
mod vector_assembler;

pub use min_max_scaler::{MinMaxScaler, MinMaxScalerModel};
pub use one_hot_encoder::{OneHotEncoder, OneHotEncoderModel};
pub use pca::{Pca, PcaModel};
pub use standard_scaler::{StandardScaler, StandardScalerModel};
pub use string_indexer::{IndexToString, StringIndexer, StringIndexerModel, StringOrderType};
pub use vector_assembler::{HandleInvalid, VectorAssembler};
