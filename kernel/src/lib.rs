//! Flint's Jupyter kernel: Rust notebooks on evcxr with the engine loaded (issue 4 builds it up; see
//! `DESIGN-NOTES.md` next to this crate). So far: the wire protocol, signed and verified, and the
//! completeness check of `is_complete_request`.

pub mod complete;
pub mod wire;
