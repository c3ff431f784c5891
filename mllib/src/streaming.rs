//! What the models that learn from a stream share: the model itself, which a training query replaces after each
//! micro-batch while scoring queries and the driver read it, and the query that trains it.

use crate::error::{Error, Result};
use flint_engine::prelude::*;
use flint_engine::streaming::StreamingQuery;
use std::sync::{Arc, Mutex, RwLock};

#[derive(Debug)]
struct Slot<T> {
    model: RwLock<Option<T>>,
    /// Held for a whole update, so that two training queries on one model take turns instead of losing an update;
    /// readers never wait for it, only for the brief swap of the model.
    updating: Mutex<()>,
}

/// A model shared by every clone of its algorithm: made on first use from the initial parameters, then replaced
/// by each update.
#[derive(Debug)]
pub(crate) struct SharedModel<T>(Arc<Slot<T>>);

impl<T> Clone for SharedModel<T> {
    fn clone(&self) -> Self {
        SharedModel(Arc::clone(&self.0))
    }
}

impl<T> Default for SharedModel<T> {
    fn default() -> Self {
        SharedModel(Arc::new(Slot { model: RwLock::new(None), updating: Mutex::new(()) }))
    }
}

impl<T: Clone> SharedModel<T> {
    /// The current model, made by `init` if there is none yet.
    pub(crate) fn get(&self, init: impl FnOnce() -> Result<T>) -> Result<T> {
        let mut model = self.0.model.write().unwrap_or_else(|e| e.into_inner());
        if model.is_none() {
            *model = Some(init()?);
        }
        model.clone().ok_or_else(|| Error::data("streaming model", "no model after initialising it (a bug in Flint)"))
    }

    /// The model a scoring function reads: the current one, made before the function was built.
    pub(crate) fn current(&self, algorithm: &'static str) -> Result<T> {
        self.0
            .model
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
            .ok_or_else(|| Error::data(algorithm, "the model was not initialised before scoring (a bug in Flint)"))
    }

    /// Replaces the model by `step` of the current one (made by `init` if there is none yet); the engine jobs of
    /// `step` run without blocking readers.
    pub(crate) fn update(&self, init: impl FnOnce() -> Result<T>, step: impl FnOnce(T) -> Result<T>) -> Result<()> {
        let _turn = self.0.updating.lock().unwrap_or_else(|e| e.into_inner());
        let next = step(self.get(init)?)?;
        *self.0.model.write().unwrap_or_else(|e| e.into_inner()) = Some(next);
        Ok(())
    }
}

/// Starts a query that calls `update` with each micro-batch of the streaming DataFrame `df` (Spark's `trainOn`).
pub(crate) fn train_on(
    df: &DataFrame,
    algorithm: &'static str,
    update: impl Fn(&DataFrame) -> Result<()> + Send + Sync + 'static,
) -> Result<StreamingQuery> {
    if !df.is_streaming() {
        return Err(Error::data(
            algorithm,
            "train_on needs a streaming DataFrame (from session.read_stream() or a MemoryStream); update a model \
             with a batch DataFrame by calling update",
        ));
    }
    let query = df.write_stream().foreach_batch(move |batch, _| {
        update(&batch).map_err(|e| match e {
            Error::Engine(e) => e,
            e => flint_engine::Error::Execution(format!("{algorithm}: {e}")),
        })
    });
    Ok(query.start()?)
}
