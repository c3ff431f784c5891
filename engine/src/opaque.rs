//! Values whose destructor is compiled in the engine, not in every crate that holds one.
//!
//! A notebook cell that keeps a `DataFrame` in a variable moves it in and out of evcxr's variable store, and the
//! store's `Box<dyn Any>` needs the value's drop code, which a crate compiles for itself. For a DataFusion plan and
//! session state that code is large: every cell of a notebook holding one DataFrame recompiled it (0.17 s of a
//! one-line cell's 0.35 s of rustc). Behind a trait object whose vtable the engine builds, dropping is one call.

use std::ops::Deref;
use std::sync::{Arc, Weak};

trait Holds<T>: Send + Sync {
    fn get(&self) -> &T;
}

impl<T: Send + Sync> Holds<T> for T {
    fn get(&self) -> &T {
        self
    }
}

/// A shared, immutable `T` whose drop code is the engine's (see the module's documentation).
pub(crate) struct Opaque<T: 'static>(Arc<dyn Holds<T>>);

impl<T: Send + Sync + 'static> Opaque<T> {
    pub(crate) fn new(value: T) -> Self {
        Opaque(Arc::new(value))
    }
}

impl<T: 'static> Opaque<T> {
    /// Whether both are the same value.
    pub(crate) fn ptr_eq(a: &Self, b: &Self) -> bool {
        Arc::ptr_eq(&a.0, &b.0)
    }

    /// A reference that does not keep the value alive.
    pub(crate) fn downgrade(this: &Self) -> WeakOpaque<T> {
        WeakOpaque(Arc::downgrade(&this.0))
    }
}

/// A non-owning [`Opaque`].
pub(crate) struct WeakOpaque<T: 'static>(Weak<dyn Holds<T>>);

impl<T: 'static> WeakOpaque<T> {
    /// The value, if it is still alive.
    pub(crate) fn upgrade(&self) -> Option<Opaque<T>> {
        self.0.upgrade().map(Opaque)
    }
}

impl<T: Clone + 'static> Opaque<T> {
    /// A copy of the value itself (DataFusion's builders consume their receiver).
    pub(crate) fn cloned(&self) -> T {
        Holds::<T>::get(&*self.0).clone()
    }
}

impl<T: 'static> Deref for Opaque<T> {
    type Target = T;

    fn deref(&self) -> &T {
        Holds::<T>::get(&*self.0)
    }
}

impl<T: std::fmt::Debug + 'static> std::fmt::Debug for Opaque<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        (**self).fmt(f)
    }
}

impl<T: PartialEq + 'static> PartialEq for Opaque<T> {
    fn eq(&self, other: &Self) -> bool {
        **self == **other
    }
}

impl<T: 'static> Clone for Opaque<T> {
    fn clone(&self) -> Self {
        Opaque(Arc::clone(&self.0))
    }
}
