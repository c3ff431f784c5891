//! Every lab notebook in `notebooks/`, executed through the installed Flint kernel by a real Jupyter client
//! (nbclient, from the venv `.ci/setup-python` makes), with each lab's answer checked against the reference figures
//! in `datasets/reference/` (see `tests/notebooks/run_notebooks.py`). `.ci/test` installs the kernel into that venv
//! first (`flint kernel install --sys-prefix`).

use std::path::Path;
use std::process::Command;

#[test]
fn every_lab_notebook_runs_and_gives_the_reference_answers() {
    let python = std::env::var("FLINT_PYTHON")
        .expect("FLINT_PYTHON must name a Python with nbclient; run the tests with .ci/test, which sets it up");
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("the workspace root");
    let mut notebooks: Vec<_> = std::fs::read_dir(root.join("notebooks"))
        .expect("the notebooks directory")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "ipynb"))
        .collect();
    notebooks.sort();
    assert!(!notebooks.is_empty(), "no notebooks found");
    let output = Command::new(python)
        .arg(root.join("tests/notebooks/run_notebooks.py"))
        .args(&notebooks)
        .output()
        .expect("running the notebooks");
    let stdout = String::from_utf8_lossy(&output.stdout);
    println!("{stdout}");
    assert!(output.status.success(), "notebooks failed:\n{stdout}\n{}", String::from_utf8_lossy(&output.stderr));
    assert_eq!(stdout.lines().filter(|l| l.starts_with("ok ")).count(), notebooks.len(), "{stdout}");
}
