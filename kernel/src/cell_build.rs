//! Cell builds without cargo's freshness check.
//!
//! evcxr builds every cell with `cargo build`, and before cargo compiles the one-file cell crate it checks the
//! fingerprints of the ~300 crates behind the engine: about 0.2 s of a trivial cell's 0.7 s. Between two cells
//! only `src/lib.rs` changes, so the rustc command that compiled the previous cell compiles the next one too.
//!
//! A kernel runs with a toolchain of its own (`RUSTUP_TOOLCHAIN`, written by [`write_toolchain`]): the real rustc,
//! and a `cargo` that is `flint kernel cargo`. That cargo runs the real one for everything but the build evcxr asks
//! for; there it records the cell crate's rustc command (through `RUSTC_WORKSPACE_WRAPPER`, which wraps only the
//! cell crate) together with a key over everything else cargo would look at: its arguments and environment, the
//! manifest, the lock file, the cargo configurations and the compiler's files. While the key holds, the next build
//! runs that rustc command directly and reports the library as cargo would. A new `:dep`, another option, another
//! environment or an updated compiler changes the key, and cargo builds (and records) again. Cells that depend on
//! a local crate of the user's (`:dep x = { path = … }`, which the user may be editing) or that a cargo
//! configuration wraps in a rustc wrapper of its own always build through cargo.

use crate::slot::{KernelHome, SlotError, io_error as io, write_atomic};
use sha2::{Digest, Sha256};
use std::ffi::OsString;
use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Names the file the rustc wrapper records the cell crate's rustc command in.
const RECORD_VAR: &str = "FLINT_CELL_RUSTC_RECORD";

/// The recorded build, in the cell crate's target directory.
const PLAN: &str = "target/flint-cell-build.json";

/// Variables of cargo's rustc command that belong to that one cargo run (its jobserver's file descriptors) or to the
/// recording.
const PER_RUN: [&str; 4] = ["CARGO_MAKEFLAGS", "MAKEFLAGS", "MFLAGS", RECORD_VAR];

/// A rustc command as cargo ran it.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct Rustc {
    program: String,
    args: Vec<String>,
    env: Vec<(String, String)>,
    cwd: String,
}

/// A cell crate's last rustc command and the key under which it still holds.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct Plan {
    key: String,
    rustc: Rustc,
}

/// Writes the kernel's toolchain under the kernel home: `bin/rustc`, a link to the real compiler of the current
/// toolchain; `bin/cargo`, which runs `program kernel cargo`; `bin/rustc-wrapper`, which runs
/// `program kernel rustc-wrapper`. Returns the toolchain's directory, for `RUSTUP_TOOLCHAIN`: one per compiler and
/// `program`, written once, so that a kernel starting with another compiler or binary changes no running kernel's.
pub fn write_toolchain(home: &KernelHome, program: &Path) -> Result<PathBuf, SlotError> {
    let mut rustc = Command::new("rustc");
    if home.is_toolchain(std::env::var_os("RUSTUP_TOOLCHAIN").as_deref()) {
        // The compiler this toolchain links to is the one rustup would choose without it.
        rustc.env_remove("RUSTUP_TOOLCHAIN");
    }
    let out = rustc.args(["--print", "sysroot"]).output().map_err(io(Path::new("rustc")))?;
    let sysroot = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
    let (real_rustc, real_cargo) = (sysroot.join("bin/rustc"), sysroot.join("bin/cargo"));
    if !out.status.success() || !real_rustc.is_file() || !real_cargo.is_file() {
        return Err(SlotError::Build(format!("no rustc and cargo in the toolchain at {}", sysroot.display())));
    }
    let mut hasher = Sha256::new();
    hasher.update(real_rustc.as_os_str().as_encoded_bytes());
    hasher.update([0]);
    hasher.update(program.as_os_str().as_encoded_bytes());
    let dir = home.toolchain_dir().join(&hex::encode(hasher.finalize())[..16]);
    let bin = dir.join("bin");
    fs::create_dir_all(&bin).map_err(io(&bin))?;
    let link = bin.join("rustc");
    if fs::read_link(&link).ok().as_deref() != Some(real_rustc.as_path()) {
        let tmp = bin.join(format!("rustc.tmp-{}", std::process::id()));
        let _ = fs::remove_file(&tmp);
        std::os::unix::fs::symlink(&real_rustc, &tmp).map_err(io(&tmp))?;
        fs::rename(&tmp, &link).map_err(io(&link))?;
    }
    let (flint, real_cargo, wrapper) =
        (shell_quote(program), shell_quote(&real_cargo), shell_quote(&bin.join("rustc-wrapper")));
    for (name, script) in [
        ("cargo", format!("exec {flint} kernel cargo {real_cargo} {wrapper} \"$@\"")),
        ("rustc-wrapper", format!("exec {flint} kernel rustc-wrapper \"$@\"")),
    ] {
        let path = bin.join(name);
        let script = format!("#!/bin/sh\n# Written by `flint kernel`: see `flint_kernel::cell_build`.\n{script}\n");
        if fs::read(&path).ok().as_deref() != Some(script.as_bytes()) {
            // Executable before it is in place: another kernel may run it at any time.
            use std::os::unix::fs::PermissionsExt;
            let tmp = bin.join(format!("{name}.tmp-{}", std::process::id()));
            fs::write(&tmp, &script).map_err(io(&tmp))?;
            fs::set_permissions(&tmp, fs::Permissions::from_mode(0o755)).map_err(io(&tmp))?;
            fs::rename(&tmp, &path).map_err(io(&path))?;
        }
    }
    Ok(dir)
}

fn shell_quote(path: &Path) -> String {
    format!("'{}'", path.display().to_string().replace('\'', "'\\''"))
}

/// `flint kernel cargo REAL_CARGO WRAPPER ARGS…`: the kernel toolchain's cargo. Runs the recorded rustc command
/// for the build evcxr asks for when its key holds, else the real cargo (recording the build when it is evcxr's).
/// Returns the exit code.
pub fn cargo(real_cargo: &Path, wrapper: &Path, args: &[OsString]) -> u8 {
    if !is_cell_build(args) {
        return pass_through(real_cargo, args);
    }
    let cwd = std::env::current_dir().unwrap_or_default();
    let plan_path = cwd.join(PLAN);
    let Some(key) = build_key(&cwd, real_cargo, args) else {
        let _ = fs::remove_file(&plan_path);
        return pass_through(real_cargo, args);
    };
    if let Some(plan) = fs::read(&plan_path).ok().and_then(|b| serde_json::from_slice::<Plan>(&b).ok())
        && plan.key == key
        && let Some(code) = replay(&plan.rustc)
    {
        return code;
    }
    // Cargo decides; a plan from before must not outlive a failed or interrupted build.
    let _ = fs::remove_file(&plan_path);
    let record = cwd.join(format!("{PLAN}.record-{}", std::process::id()));
    let status =
        Command::new(real_cargo).args(args).env("RUSTC_WORKSPACE_WRAPPER", wrapper).env(RECORD_VAR, &record).status();
    let code = match status {
        Ok(s) => exit_code(s),
        Err(e) => {
            eprintln!("flint kernel cargo: cannot run {}: {e}", real_cargo.display());
            101
        }
    };
    let recorded = fs::read(&record).ok().and_then(|b| serde_json::from_slice::<Rustc>(&b).ok());
    let _ = fs::remove_file(&record);
    if let (0, Some(rustc)) = (code, recorded) {
        // After cargo: it may have rewritten the lock file.
        if let Some(key) = build_key(&cwd, real_cargo, args)
            && let Ok(json) = serde_json::to_vec(&Plan { key, rustc })
        {
            let _ = write_atomic(&plan_path, &json);
        }
    }
    code
}

/// Becomes the real cargo; returns only when that fails.
fn pass_through(real_cargo: &Path, args: &[OsString]) -> u8 {
    use std::os::unix::process::CommandExt;
    let e = Command::new(real_cargo).args(args).exec();
    eprintln!("flint kernel cargo: cannot run {}: {e}", real_cargo.display());
    101
}

/// A child's exit status as this process's exit code (101, cargo's, when a signal ended it).
fn exit_code(status: std::process::ExitStatus) -> u8 {
    status.code().map_or(101, |c| c.clamp(0, 255) as u8)
}

/// The build evcxr 0.22 runs for a cell: `cargo [--offline] build --target TRIPLE --message-format=json`, with no
/// rustc wrapper of its own (`:cache` and `:sccache` set one).
fn is_cell_build(args: &[OsString]) -> bool {
    let args: Vec<&str> = args.iter().filter_map(|a| a.to_str()).filter(|a| *a != "--offline").collect();
    let wrapped = ["RUSTC_WRAPPER", "CARGO_BUILD_RUSTC_WRAPPER", "RUSTC_WORKSPACE_WRAPPER"]
        .iter()
        .any(|v| std::env::var_os(v).is_some_and(|v| !v.is_empty()));
    matches!(args.as_slice(), ["build", "--target", _, "--message-format=json"]) && !wrapped
}

/// What cargo's decision depends on besides the cell's source: this cargo's arguments, working directory and
/// environment, the manifest and lock file, every cargo configuration file that applies, and the compiler's files
/// (a `rustup update` replaces them). `None` when cargo must decide every time: the manifest names a local crate
/// other than `flint-notebook` (the user may be editing it), or a configuration sets a rustc wrapper.
fn build_key(cwd: &Path, real_cargo: &Path, args: &[OsString]) -> Option<String> {
    let manifest = fs::read_to_string(cwd.join("Cargo.toml")).ok()?;
    if has_local_dependency(&manifest) {
        return None;
    }
    let mut hasher = Sha256::new();
    let mut field = |bytes: &[u8]| {
        hasher.update((bytes.len() as u64).to_le_bytes());
        hasher.update(bytes);
    };
    field(real_cargo.as_os_str().as_encoded_bytes());
    field(cwd.as_os_str().as_encoded_bytes());
    for arg in args {
        field(arg.as_encoded_bytes());
    }
    let mut env: Vec<(OsString, OsString)> = std::env::vars_os().collect();
    env.sort();
    for (name, value) in &env {
        field(name.as_encoded_bytes());
        field(value.as_encoded_bytes());
    }
    field(manifest.as_bytes());
    let mut configs = Vec::new();
    for dir in cwd.ancestors() {
        configs.extend([dir.join(".cargo/config.toml"), dir.join(".cargo/config")]);
    }
    let cargo_home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")));
    if let Some(home) = cargo_home {
        configs.extend([home.join("config.toml"), home.join("config")]);
    }
    for file in std::iter::once(cwd.join("Cargo.lock")).chain(configs.iter().cloned()) {
        let contents = fs::read(&file).unwrap_or_default();
        if configs.contains(&file) && String::from_utf8_lossy(&contents).contains("rustc-") {
            // `build.rustc-wrapper`, `build.rustc-workspace-wrapper`.
            return None;
        }
        field(file.as_os_str().as_encoded_bytes());
        field(&contents);
    }
    // The compiler `RUSTC` names (through the kernels' toolchain) and its driver library: `rustup update` replaces
    // both, and the dependencies then have to be rebuilt.
    if let Some(rustc) = std::env::var_os("RUSTC").and_then(|r| fs::canonicalize(r).ok()) {
        let lib = rustc.parent().and_then(Path::parent).map(|p| p.join("lib"));
        let mut files: Vec<PathBuf> = lib
            .and_then(|l| fs::read_dir(l).ok())
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.file_name().is_some_and(|n| n.to_string_lossy().starts_with("librustc_driver")))
            .collect();
        files.push(rustc);
        files.sort();
        for file in files {
            let stamp = fs::metadata(&file).ok().map(|m| (m.len(), m.modified().ok()));
            field(file.as_os_str().as_encoded_bytes());
            field(format!("{stamp:?}").as_bytes());
        }
    }
    Some(hex::encode(hasher.finalize()))
}

/// Whether the manifest's `[dependencies]` name a crate by path other than `flint-notebook`.
fn has_local_dependency(manifest: &str) -> bool {
    let mut in_dependencies = false;
    for line in manifest.lines().map(str::trim) {
        if line.starts_with('[') {
            in_dependencies = line == "[dependencies]";
        } else if in_dependencies && line.contains("path") && !line.starts_with("flint-notebook") {
            return true;
        }
    }
    false
}

/// Runs a recorded rustc command, passing its diagnostics on (evcxr reads rustc's JSON as it reads cargo's) and
/// reporting the library it wrote as cargo's `compiler-artifact` message. `None` if rustc could not be started.
fn replay(rustc: &Rustc) -> Option<u8> {
    let mut child = Command::new(&rustc.program)
        .args(&rustc.args)
        .env_clear()
        .envs(rustc.env.iter().map(|(k, v)| (k, v)))
        .current_dir(&rustc.cwd)
        .stdin(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .ok()?;
    let mut library = None;
    let mut stderr = std::io::stderr().lock();
    let mut reader = BufReader::new(child.stderr.take()?);
    let mut line = Vec::new();
    while reader.read_until(b'\n', &mut line).is_ok_and(|n| n > 0) {
        let message = serde_json::from_slice::<serde_json::Value>(&line).ok();
        match message {
            Some(artifact) if artifact["$message_type"] == "artifact" => {
                if artifact["emit"] == "link" {
                    library = artifact["artifact"].as_str().map(str::to_owned);
                }
                let _ = stderr.write_all(&line);
            }
            // As cargo's `--message-format=json` gives them: rendered without terminal colours.
            Some(mut diagnostic) if diagnostic["$message_type"] == "diagnostic" => {
                strip_colours(&mut diagnostic);
                let _ = writeln!(stderr, "{diagnostic}");
            }
            _ => {
                let _ = stderr.write_all(&line);
            }
        }
        line.clear();
    }
    let code = exit_code(child.wait().ok()?);
    if code == 0 {
        let name = crate_name(&rustc.args).unwrap_or_default();
        let artifact = serde_json::json!({
            "reason": "compiler-artifact",
            "target": { "name": name },
            "filenames": library.into_iter().collect::<Vec<_>>(),
            "fresh": false,
        });
        println!("{artifact}");
        println!("{}", serde_json::json!({ "reason": "build-finished", "success": true }));
    }
    Some(code)
}

/// Removes the ANSI escape sequences from a diagnostic's `rendered` texts, its children's included.
fn strip_colours(diagnostic: &mut serde_json::Value) {
    if let Some(rendered) = diagnostic["rendered"].as_str() {
        let mut plain = String::with_capacity(rendered.len());
        let mut chars = rendered.chars();
        while let Some(c) = chars.next() {
            if c == '\u{1b}' {
                // CSI: `ESC [`, parameters, then one final byte in `@`..=`~`.
                if chars.next() == Some('[') {
                    for c in chars.by_ref() {
                        if ('@'..='~').contains(&c) {
                            break;
                        }
                    }
                }
            } else {
                plain.push(c);
            }
        }
        diagnostic["rendered"] = plain.into();
    }
    if let Some(children) = diagnostic["children"].as_array_mut() {
        children.iter_mut().for_each(strip_colours);
    }
}

fn crate_name(args: &[String]) -> Option<&str> {
    args.iter().position(|a| a == "--crate-name").and_then(|i| args.get(i + 1)).map(String::as_str)
}

/// `flint kernel rustc-wrapper RUSTC ARGS…`: cargo's `RUSTC_WORKSPACE_WRAPPER` during a recorded build. Writes the
/// cell crate's rustc command where `FLINT_CELL_RUSTC_RECORD` says, then becomes that rustc.
pub fn rustc_wrapper(args: &[OsString]) -> u8 {
    use std::os::unix::process::CommandExt;
    let Some((program, rest)) = args.split_first() else {
        eprintln!("flint kernel rustc-wrapper: no rustc to run");
        return 101;
    };
    if let Some(record) = std::env::var_os(RECORD_VAR)
        && let (Some(program), Some(args)) =
            (program.to_str(), rest.iter().map(|a| a.to_str().map(str::to_owned)).collect::<Option<Vec<_>>>())
        // Not cargo's `___` probe of the compiler's output names.
        && crate_name(&args).is_some_and(|name| name != "___")
    {
        let env = std::env::vars_os()
            .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
            .filter(|(k, _)| !PER_RUN.contains(&k.as_str()))
            .collect();
        let cwd = std::env::current_dir().unwrap_or_default().display().to_string();
        let rustc = Rustc { program: program.to_owned(), args, env, cwd };
        if let Ok(json) = serde_json::to_vec(&rustc) {
            let _ = write_atomic(Path::new(&record), &json);
        }
    }
    let e = Command::new(program).args(rest).exec();
    eprintln!("flint kernel rustc-wrapper: cannot run {}: {e}", program.to_string_lossy());
    101
}
