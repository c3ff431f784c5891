//! MLlib's error type.

use crate::linalg::LinalgError;

/// MLlib's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong while fitting, using or storing a model.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A hyperparameter is out of its valid range (checked before every fit).
    #[error("invalid parameter `{name}` of {algorithm}: {message}")]
    InvalidParameter {
        /// The algorithm (`KMeans`, `Als`, …).
        algorithm: &'static str,
        /// The parameter, by its Rust name (`max_iter`, `k`, …).
        name: &'static str,
        /// What was wrong, and what is accepted.
        message: String,
    },

    /// The training or scoring data cannot be used as it is (empty, NaN values, mismatched sizes…).
    #[error("{algorithm}: {message}")]
    InvalidData {
        /// The algorithm or operation that refused the data.
        algorithm: &'static str,
        /// What was wrong with it.
        message: String,
    },

    /// A model could not be saved or loaded: missing or corrupt files, another model's class, a newer format.
    #[error("model at `{path}`: {message}")]
    Persistence {
        /// The file or directory concerned.
        path: std::path::PathBuf,
        /// What was wrong, and what was expected.
        message: String,
    },

    /// Local linear algebra failed.
    #[error(transparent)]
    Linalg(#[from] LinalgError),

    /// The engine failed while running a job or a query.
    #[error(transparent)]
    Engine(#[from] flint_engine::Error),
}

impl Error {
    /// An [`Error::InvalidParameter`].
    pub(crate) fn param(algorithm: &'static str, name: &'static str, message: impl Into<String>) -> Self {
        Error::InvalidParameter { algorithm, name, message: message.into() }
    }

    /// An [`Error::InvalidData`].
    pub(crate) fn data(algorithm: &'static str, message: impl Into<String>) -> Self {
        Error::InvalidData { algorithm, message: message.into() }
    }
}
