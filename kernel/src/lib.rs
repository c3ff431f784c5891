//! Flint's Jupyter kernel: Rust notebooks on evcxr with the engine loaded (issue 4 builds it up; see
//! `DESIGN-NOTES.md` next to this crate). So far: the wire protocol (signed and verified), the sockets and the
//! requests that need no evaluation (`kernel_info`, `is_complete`, `history`, `comm_info`, `interrupt`,
//! `shutdown`), and the kernelspec. Cell execution on evcxr comes next.

pub mod complete;
pub mod exec;
pub mod install;
pub mod magics;
pub mod run;
pub mod server;
pub mod slot;
pub mod wire;
