//! `flint run` executes notebooks through the kernel's executor (the warm slot must be built: `.ci/test` installs
//! the kernel first) and saves their outputs with `--inplace`.

use serde_json::{Value, json};
use std::process::Command;

fn notebook(cells: &[(&str, &str)]) -> Value {
    let cells: Vec<Value> = cells
        .iter()
        .map(|(kind, source)| match *kind {
            "code" => {
                json!({"cell_type": "code", "metadata": {}, "execution_count": null, "outputs": [], "source": source})
            }
            _ => json!({"cell_type": "markdown", "metadata": {}, "source": source}),
        })
        .collect();
    json!({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5})
}

#[test]
fn notebooks_run_in_order_and_keep_their_outputs() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let good = dir.path().join("good.ipynb");
    let cells = [
        ("markdown", "# A lab"),
        ("code", "let x = 6 * 7;"),
        // nbformat's list-of-lines form of a source.
        ("code", "println!(\"first\");\nprintln!(\"answer {}\", x);"),
        ("code", "x"),
    ];
    let mut nb = notebook(&cells);
    nb["cells"][2]["source"] = json!(["println!(\"first\");\n", "println!(\"answer {}\", x);"]);
    std::fs::write(&good, serde_json::to_string(&nb)?)?;
    let bad = dir.path().join("bad.ipynb");
    let cells = [("code", "let y = 1;"), ("code", "panic!(\"boom\");"), ("code", "y")];
    std::fs::write(&bad, serde_json::to_string(&notebook(&cells))?)?;

    let output = Command::new(env!("CARGO_BIN_EXE_flint")).arg("run").arg("--inplace").arg(&good).arg(&bad).output()?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(!output.status.success(), "a failing notebook fails the run:\n{stdout}");
    assert!(stdout.lines().any(|l| l.starts_with("ok   good (") && l.ends_with(": answer 42")), "{stdout}");
    assert!(stdout.lines().any(|l| l == "FAIL bad: cell 1: panic: boom"), "{stdout}");

    let saved: Value = serde_json::from_str(&std::fs::read_to_string(&good)?)?;
    let outputs = |i: usize| saved["cells"][i]["outputs"].clone();
    assert_eq!(outputs(2), json!([{"output_type": "stream", "name": "stdout", "text": "first\nanswer 42\n"}]));
    assert_eq!(outputs(3)[0]["data"]["text/plain"], "42");
    assert_eq!(saved["cells"][3]["execution_count"], 3);
    // The failing notebook stops at its failing cell: the last one never ran.
    let saved: Value = serde_json::from_str(&std::fs::read_to_string(&bad)?)?;
    assert_eq!(saved["cells"][1]["outputs"][0]["ename"], "panic");
    assert_eq!(saved["cells"][2]["execution_count"], Value::Null);
    Ok(())
}
