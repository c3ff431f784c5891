//! The kernel against a real Jupyter client: `protocol.py` (jupyter_client, from the venv `.ci/setup-python` makes
//! and `.ci/test` exports as `FLINT_PYTHON`) installs the kernelspec, starts the `flint` binary through it and
//! checks the protocol, signatures included.

use std::process::Command;

#[test]
fn a_jupyter_client_talks_to_the_kernel() {
    let python = std::env::var("FLINT_PYTHON")
        .expect("FLINT_PYTHON must name a Python with jupyter_client; run the tests with .ci/test, which sets it up");
    let output = Command::new(python)
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/protocol.py"))
        .arg(env!("CARGO_BIN_EXE_flint"))
        .output()
        .expect("running the protocol test");
    assert!(
        output.status.success(),
        "protocol.py failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(String::from_utf8_lossy(&output.stdout).contains("protocol ok"));
}
