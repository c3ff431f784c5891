//! The engine's error type.
//!
//! Variants are grouped by phase. A *user* error (a bad path, a bad parameter, a failing closure) names what was
//! wrong and where; an [`Error::Internal`] is a bug in Flint and says so. [`Error::is_user_error`] lets front ends
//! (the notebook kernel) render the two differently.

use std::path::PathBuf;

/// The engine's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in the engine.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A parameter or configuration value is invalid.
    #[error("invalid parameter `{name}`: {message}")]
    InvalidParameter {
        /// The parameter's name, as the user wrote it.
        name: String,
        /// What was wrong, and what is accepted.
        message: String,
    },

    /// An input path matched nothing.
    #[error("input path does not exist: {}", path.display())]
    PathNotFound {
        /// The path or glob the user gave.
        path: PathBuf,
    },

    /// An output path exists where the operation must create it.
    #[error("output directory {} already exists", path.display())]
    PathExists {
        /// The existing path.
        path: PathBuf,
    },

    /// Reading or writing a file failed.
    #[error("{action} {}: {source}", path.display())]
    Io {
        /// What the engine was doing (`reading`, `writing`, …).
        action: &'static str,
        /// The file concerned.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },

    /// An action that needs at least one element ran on an empty RDD (Spark: `empty collection`).
    #[error("{action} on an empty RDD: the RDD has no elements")]
    EmptyCollection {
        /// The action, e.g. `reduce` or `first`.
        action: &'static str,
    },

    /// Two RDDs cannot be combined as asked.
    #[error("{0}")]
    Incompatible(String),

    /// A task failed: a user closure panicked or returned an error.
    #[error("job aborted: task {partition} in stage {stage} ({stage_name}) failed: {message}")]
    TaskFailed {
        /// The stage's id.
        stage: usize,
        /// Where the stage comes from (operation and call site).
        stage_name: String,
        /// The partition the task computed.
        partition: usize,
        /// The panic message or the task's error.
        message: String,
    },

    /// The job was cancelled (for example by a notebook interrupt).
    #[error("job {job} cancelled")]
    Cancelled {
        /// The job's id.
        job: usize,
    },

    /// The session was stopped; create a new one.
    #[error("the session `{0}` was stopped; create a new session with Session::builder()")]
    SessionStopped(String),

    /// A storage level was changed after being assigned (Spark forbids this too).
    #[error("cannot change the storage level of RDD {rdd} from {from} to {to}: unpersist() it first")]
    StorageLevelChange {
        /// The RDD's id.
        rdd: usize,
        /// The level already assigned.
        from: String,
        /// The level asked for.
        to: String,
    },

    /// A query or expression cannot be planned: an unknown column or table, a type mismatch, bad SQL.
    #[error("{0}")]
    Plan(String),

    /// A query failed while running.
    #[error("query failed: {0}")]
    Execution(String),

    /// A streaming query stopped on an error (Spark's `StreamingQueryException`).
    #[error("streaming query {query} terminated with an error: {message}")]
    StreamingQueryFailed { query: String, message: String },

    /// A bug in Flint: please report it.
    #[error("internal error (this is a bug in Flint, please report it): {0}")]
    Internal(String),
}

impl Error {
    /// Whether the error comes from the user's input or code rather than from a bug in Flint.
    pub fn is_user_error(&self) -> bool {
        !matches!(self, Error::Internal(_))
    }

    pub(crate) fn io(action: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io { action, path: path.into(), source }
    }

    pub(crate) fn param(name: &str, message: impl Into<String>) -> Self {
        Error::InvalidParameter { name: name.to_string(), message: message.into() }
    }
}

impl From<datafusion::error::DataFusionError> for Error {
    fn from(e: datafusion::error::DataFusionError) -> Self {
        Error::from(&e)
    }
}

/// The same mapping by reference, for a query stage that records an error it passes on.
impl From<&datafusion::error::DataFusionError> for Error {
    fn from(e: &datafusion::error::DataFusionError) -> Self {
        use datafusion::error::DataFusionError as D;
        // A cancelled query fails in a stage's cancellation check with `Error::Cancelled`, which the operators
        // above may have wrapped (shared between partitions, given context) on its way up.
        let cancelled = std::iter::successors(Some(e as &dyn std::error::Error), |e| e.source()).find_map(|e| {
            match e.downcast_ref::<Error>() {
                Some(Error::Cancelled { job }) => Some(*job),
                _ => None,
            }
        });
        if let Some(job) = cancelled {
            return Error::Cancelled { job };
        }
        match e.find_root() {
            D::SchemaError(schema_error, _)
                if let datafusion::common::SchemaError::FieldNotFound { field, valid_fields } =
                    schema_error.as_ref() =>
            {
                Error::Plan(unresolved_column(&field.flat_name(), valid_fields.iter().map(|c| c.name.as_str())))
            }
            D::Plan(m) | D::SQL(_, Some(m)) => Error::Plan(m.clone()),
            D::SchemaError(..) | D::SQL(..) | D::NotImplemented(_) => Error::Plan(e.find_root().to_string()),
            D::IoError(_) | D::ObjectStore(_) => Error::Execution(e.find_root().to_string()),
            D::Internal(m) => Error::Internal(m.clone()),
            root => Error::Execution(root.to_string()),
        }
    }
}

impl From<arrow::error::ArrowError> for Error {
    fn from(e: arrow::error::ArrowError) -> Self {
        Error::Execution(e.to_string())
    }
}

/// Spark's `UNRESOLVED_COLUMN.WITH_SUGGESTION` message: the closest valid names first (by edit distance).
fn unresolved_column<'a>(name: &str, valid: impl Iterator<Item = &'a str>) -> String {
    let mut candidates: Vec<&str> = valid.filter(|v| !v.starts_with("__flint")).collect();
    candidates.sort_by_key(|c| (edit_distance(&c.to_lowercase(), &name.to_lowercase()), *c));
    candidates.dedup();
    let shown: Vec<String> = candidates.iter().take(5).map(|c| format!("`{c}`")).collect();
    format!(
        "[UNRESOLVED_COLUMN.WITH_SUGGESTION] A column or function parameter with name `{name}` cannot be resolved. \
         Did you mean one of the following? [{}]",
        shown.join(", ")
    )
}

/// Levenshtein distance, for ranking suggestions.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = if ca == *cb { prev } else { 1 + prev.min(cur).min(row[j]) };
            prev = cur;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions_come_closest_first() {
        let m = unresolved_column("agee", ["name", "dept", "age"].into_iter());
        // Edit distances from `agee`: age 1, name 3, dept 4.
        assert!(m.ends_with("Did you mean one of the following? [`age`, `name`, `dept`]"), "{m}");
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }

    #[test]
    fn a_cancellation_wrapped_by_operators_stays_a_cancellation() {
        use datafusion::error::DataFusionError as D;
        let raised = D::External(Box::new(Error::Cancelled { job: 7 }));
        let wrapped = D::Shared(std::sync::Arc::new(raised)).context("repartition");
        assert!(matches!(Error::from(wrapped), Error::Cancelled { job: 7 }));
        // Other engine errors inside a query error keep their message.
        let other = D::External(Box::new(Error::Incompatible("bad zip".into())));
        assert!(matches!(Error::from(other), Error::Execution(m) if m.ends_with("bad zip")));
    }
}
