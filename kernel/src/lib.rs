//! Flint's Jupyter kernel: Rust notebooks on evcxr with the engine loaded. The wire protocol (signed and verified)
//! and the sockets ([`server`]), cell execution on evcxr with rich display and live progress ([`exec`]), magics
//! ([`magics`]), the kernelspec ([`install`]), the warm build slot every kernel copies ([`slot`]), spare kernels
//! started ahead of their notebooks ([`spare`]), cell builds without cargo's freshness check ([`cell_build`]), and
//! headless runs of notebooks ([`run`]).

pub mod cell_build;
pub mod complete;
pub mod exec;
pub mod install;
pub mod magics;
pub mod run;
pub mod server;
pub mod slot;
pub mod spare;
pub mod wire;
