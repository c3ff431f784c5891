//! Spare kernels against a real Jupyter client: `spare.py` (jupyter_client, from the venv `.ci/setup-python` makes
//! and `.ci/test` exports as `FLINT_PYTHON`) starts kernels through the kernelspec and checks that the next kernel is
//! a spare started ahead of it, with the notebook's working directory, and that it stops with its launcher.

use std::process::Command;

#[test]
fn the_next_kernel_is_a_spare_started_ahead_of_it() {
    let python = std::env::var("FLINT_PYTHON")
        .expect("FLINT_PYTHON must name a Python with jupyter_client; run the tests with .ci/test, which sets it up");
    let output = Command::new(python)
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/spare.py"))
        .arg(env!("CARGO_BIN_EXE_flint"))
        .output()
        .expect("running the spare test");
    assert!(
        output.status.success(),
        "spare.py failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(String::from_utf8_lossy(&output.stdout).contains("spare ok"));
}
