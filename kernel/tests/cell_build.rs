//! The kernels' cargo (`flint_kernel::cell_build`) on a real one-file crate, with the real cargo and rustc: the first
//! build goes through cargo and is recorded; the next cell's build is the recorded rustc command alone; errors come
//! back as rustc's JSON diagnostics; a changed manifest sends the build through cargo again; other commands are
//! cargo's.

use flint_kernel::cell_build::write_toolchain;
use flint_kernel::slot::KernelHome;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const MANIFEST: &str = "[package]\nname = \"ctx\"\nversion = \"1.0.0\"\nedition = \"2024\"\n\n\
                        [lib]\ncrate-type = [\"cdylib\"]\npath = \"src/lib.rs\"\n";

fn cell(marker: &str) -> String {
    format!("#[unsafe(no_mangle)]\npub static MARKER: &[u8; {}] = b\"{marker}\";\n", marker.len())
}

/// `cargo --offline build --target HOST --message-format=json`, as evcxr runs it, through the kernels' cargo.
fn build(cargo: &Path, crate_dir: &Path) -> Output {
    let host = Command::new("rustc").args(["--print", "host-tuple"]).output().expect("rustc");
    let host = String::from_utf8_lossy(&host.stdout).trim().to_string();
    let mut command = Command::new(cargo);
    command.args(["--offline", "build", "--target", &host, "--message-format=json"]).current_dir(crate_dir);
    // What `.ci/test` exports for the workspace's own build would make this build differ from evcxr's.
    for var in ["CARGO_TARGET_DIR", "CARGO_INCREMENTAL", "RUSTFLAGS", "RUSTC_WRAPPER", "RUSTC_WORKSPACE_WRAPPER"] {
        command.env_remove(var);
    }
    command.env("CARGO_TARGET_DIR", "target").output().expect("running the kernels' cargo")
}

/// The library the build reported, as evcxr finds it: the `compiler-artifact` message of the crate `ctx`.
fn reported_library(output: &Output) -> PathBuf {
    let stdout = String::from_utf8_lossy(&output.stdout);
    let library = stdout.lines().rev().find_map(|line| {
        let message: serde_json::Value = serde_json::from_str(line).ok()?;
        (message["reason"] == "compiler-artifact" && message["target"]["name"] == "ctx")
            .then(|| message["filenames"][0].as_str().map(PathBuf::from))?
    });
    let library = library
        .unwrap_or_else(|| panic!("no library reported:\n{stdout}\n{}", String::from_utf8_lossy(&output.stderr)));
    assert_eq!(library.file_name().and_then(|n| n.to_str()), Some("libctx.so"), "the name evcxr looks for");
    library
}

fn contains(path: &Path, marker: &str) -> bool {
    std::fs::read(path).expect("the library").windows(marker.len()).any(|w| w == marker.as_bytes())
}

#[test]
fn a_cell_after_the_first_is_built_by_the_recorded_rustc_command() {
    let dir = tempfile::tempdir().expect("tempdir");
    let home = KernelHome::at(dir.path().join("home"));
    let toolchain = write_toolchain(&home, Path::new(env!("CARGO_BIN_EXE_flint"))).expect("the toolchain");
    let cargo = toolchain.join("bin/cargo");
    let crate_dir = dir.path().join("ctx");
    std::fs::create_dir_all(crate_dir.join("src")).expect("mkdir");
    std::fs::write(crate_dir.join("Cargo.toml"), MANIFEST).expect("manifest");
    let plan = crate_dir.join("target/flint-cell-build.json");

    std::fs::write(crate_dir.join("src/lib.rs"), cell("cell-one")).expect("lib.rs");
    let first = build(&cargo, &crate_dir);
    assert!(first.status.success(), "{}", String::from_utf8_lossy(&first.stderr));
    assert!(String::from_utf8_lossy(&first.stderr).contains("Compiling ctx"), "the first build is cargo's");
    assert!(contains(&reported_library(&first), "cell-one"));
    let recorded = std::fs::read(&plan).expect("the first build recorded its rustc command");

    std::fs::write(crate_dir.join("src/lib.rs"), cell("cell-two")).expect("lib.rs");
    let second = build(&cargo, &crate_dir);
    assert!(second.status.success(), "{}", String::from_utf8_lossy(&second.stderr));
    assert!(!String::from_utf8_lossy(&second.stderr).contains("Compiling"), "cargo did not run");
    assert!(contains(&reported_library(&second), "cell-two"), "the library holds the new cell");
    assert_eq!(std::fs::read(&plan).expect("plan"), recorded, "the same plan");

    std::fs::write(crate_dir.join("src/lib.rs"), "pub fn f() -> i32 { \"text\" }\n").expect("lib.rs");
    let error = build(&cargo, &crate_dir);
    assert!(!error.status.success());
    let stderr = String::from_utf8_lossy(&error.stderr);
    let diagnostic = stderr
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find(|m| m["level"] == "error")
        .unwrap_or_else(|| panic!("no JSON error from rustc:\n{stderr}"));
    assert_eq!(diagnostic["code"]["code"], "E0308", "mismatched types: {diagnostic}");
    let rendered = diagnostic["rendered"].as_str().expect("rendered");
    assert!(
        rendered.contains("mismatched types") && !rendered.contains('\u{1b}'),
        "no colours, as from cargo: {rendered:?}"
    );
    assert_eq!(std::fs::read(&plan).expect("plan"), recorded, "a failed cell keeps the plan");

    // A changed manifest (evcxr's `:dep`, `:opt`): cargo decides again, and its build is the one recorded next.
    std::fs::write(crate_dir.join("Cargo.toml"), format!("{MANIFEST}\n[features]\nextra = []\n")).expect("manifest");
    std::fs::write(crate_dir.join("src/lib.rs"), cell("cell-three")).expect("lib.rs");
    let third = build(&cargo, &crate_dir);
    assert!(third.status.success(), "{}", String::from_utf8_lossy(&third.stderr));
    assert!(String::from_utf8_lossy(&third.stderr).contains("Compiling ctx"), "cargo builds after a manifest change");
    assert!(contains(&reported_library(&third), "cell-three"));
    assert_ne!(std::fs::read(&plan).expect("a new plan"), recorded);

    // A local crate of the user's, which the user may be editing: cargo decides every time, and nothing is recorded.
    let helper = dir.path().join("helper");
    std::fs::create_dir_all(helper.join("src")).expect("mkdir");
    std::fs::write(
        helper.join("Cargo.toml"),
        "[package]\nname = \"helper\"\nversion = \"0.1.0\"\nedition = \"2024\"\n",
    )
    .expect("manifest");
    std::fs::write(helper.join("src/lib.rs"), "pub const MARK: &[u8; 8] = b\"helper-1\";\n").expect("lib.rs");
    std::fs::write(
        crate_dir.join("Cargo.toml"),
        format!("{MANIFEST}\n[dependencies]\nhelper = {{ path = \"../helper\" }}\n"),
    )
    .expect("manifest");
    let uses_helper = "#[unsafe(no_mangle)]\npub static MARKER: &[u8; 8] = helper::MARK;\n";
    std::fs::write(crate_dir.join("src/lib.rs"), uses_helper).expect("lib.rs");
    assert!(build(&cargo, &crate_dir).status.success());
    assert!(!plan.exists(), "no plan with a local dependency");
    std::fs::write(helper.join("src/lib.rs"), "pub const MARK: &[u8; 8] = b\"helper-2\";\n").expect("lib.rs");
    let edited = build(&cargo, &crate_dir);
    assert!(String::from_utf8_lossy(&edited.stderr).contains("Compiling helper"), "cargo rebuilt the edited crate");
    assert!(contains(&reported_library(&edited), "helper-2"));

    // Any other command is cargo's own.
    let metadata = Command::new(&cargo)
        .args(["metadata", "--format-version", "1", "--no-deps", "--offline"])
        .current_dir(&crate_dir)
        .output()
        .expect("cargo metadata");
    assert!(metadata.status.success(), "{}", String::from_utf8_lossy(&metadata.stderr));
    let metadata: serde_json::Value = serde_json::from_slice(&metadata.stdout).expect("cargo's JSON");
    assert_eq!(metadata["packages"][0]["name"], "ctx");
}
