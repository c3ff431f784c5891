//! The warm build slot: a compiled evcxr crate directory holding `flint-engine`, `flint-mllib` and all their
//! dependencies, built once by `flint kernel install`, and copied for every kernel so that no kernel ever compiles
//! DataFusion.
//!
//! Layout under the kernel home (`$FLINT_KERNEL_HOME`, else `~/.cache/flint/kernel`):
//!
//! ```text
//! .cargo/config.toml   dependencies at opt-level 2; cargo reads it from every parent of a crate directory
//! toolchain/<hash>/    the kernels' toolchain, one per compiler and `flint` binary: the real rustc, and a cargo
//!                      that skips its freshness check between two cells (see `cell_build`)
//! notebook/            `flint-notebook`: the engine and mllib as one Rust dylib, the cells' only dependency
//! slot/                the slot: evcxr's crate directory (Cargo.toml, Cargo.lock, src/, target/) and flint-slot.json
//! slot.evcxr/          the evcxr.toml the slot is built with
//! spare/               a waiting spare kernel's socket, lock and ready marker, and the spares' log
//! run/<id>/            one kernel: evcxr.toml and ctx/, a copy of slot/ (big dependency artifacts hard-linked)
//! ```
//!
//! Slot and kernels build with the same evcxr settings (cells at opt-level 0) and the same sanitised environment,
//! so the copy is fresh. Cells link against `flint-notebook`, a Rust dylib holding the engine, mllib and all their
//! dependencies: linking a cell against one shared library takes a fraction of the time of linking it against
//! some 300 static ones, and every cell shares one copy of the engine and its statics. (evcxr 0.22's own dylib
//! mode, which rebuilds every dependency as a dylib, does not build on Rust 1.95, whose `libstd.so` keeps only a
//! metadata stub.)

use sha2::{Digest, Sha256};
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::SystemTime;

/// Why the slot could not be built, checked or copied.
#[derive(Debug, thiserror::Error)]
pub enum SlotError {
    /// A file operation failed.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory.
        path: String,
        /// The cause.
        source: io::Error,
    },
    /// There is no home directory to put the kernel home in.
    #[error("no home directory: set FLINT_KERNEL_HOME")]
    NoHome,
    /// The slot is missing or was built for other sources or another compiler.
    #[error("the kernel's warm build slot {0}; run `flint kernel install`")]
    Stale(String),
    /// evcxr failed while building the slot.
    #[error("building the warm slot: {0}")]
    Build(String),
}

pub(crate) fn io_error(path: &Path) -> impl FnOnce(io::Error) -> SlotError + '_ {
    move |source| SlotError::Io { path: path.display().to_string(), source }
}

/// The profile settings that apply to every dependency of the cell crate (cargo cannot take these from the
/// environment). Cells themselves stay at evcxr's `opt_level`.
const CARGO_CONFIG: &str = "\
# Written by `flint kernel install`: dependencies optimised, cell crates at opt-level 0 (set in evcxr.toml).
[profile.dev.package.\"*\"]
opt-level = 2
debug = false
debug-assertions = false
overflow-checks = false
incremental = false
";

/// The manifest of `flint-notebook`, with the engine and mllib of the workspace `source` as path dependencies.
fn notebook_manifest(source: &Path) -> String {
    let dep = |name: &str| toml_string(&source.join(name).display().to_string());
    format!(
        "# Written by `flint kernel install`: what notebook cells link against.\n\
         [package]\nname = \"flint-notebook\"\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n\n\
         [lib]\ncrate-type = [\"dylib\"]\n\n\
         [dependencies]\nflint-engine = {{ path = {} }}\nflint-mllib = {{ path = {} }}\n",
        dep("engine"),
        dep("mllib"),
    )
}

const NOTEBOOK_LIB: &str = "\
//! The engine and mllib as one shared library for notebook cells (written by `flint kernel install`).
pub use flint_engine;
pub use flint_mllib;
";

/// Environment variables that would make the kernel's cargo runs differ from the slot's build (CI exports some of
/// them), removed before the slot is built and before a kernel starts.
const UNSET: &[&str] = &[
    "CARGO_TARGET_DIR",
    "CARGO_BUILD_TARGET_DIR",
    "CARGO_ENCODED_RUSTFLAGS",
    "CARGO_BUILD_RUSTFLAGS",
    "RUSTFLAGS",
    "CARGO_INCREMENTAL",
    "RUSTC_WRAPPER",
    "CARGO_BUILD_RUSTC_WRAPPER",
    "RUSTC_WORKSPACE_WRAPPER",
];

/// Whether the sanitised environment drops the variable `key` (see [`reexec_sanitised`]).
pub fn sanitised_away(key: &std::ffi::OsStr) -> bool {
    UNSET.iter().any(|k| key == *k) || key.to_string_lossy().starts_with("CARGO_PROFILE_")
}

/// Marks a process that already runs with the sanitised environment.
pub const SANITISED: &str = "FLINT_KERNEL_SANITISED";

/// The kernel home: configuration, the slot and the kernels' copies.
#[derive(Debug, Clone)]
pub struct KernelHome {
    root: PathBuf,
}

impl KernelHome {
    /// `$FLINT_KERNEL_HOME`, else `~/.cache/flint/kernel`, made absolute (a spare kernel changes its working
    /// directory).
    pub fn from_env() -> Result<Self, SlotError> {
        let root = match std::env::var_os("FLINT_KERNEL_HOME") {
            Some(dir) => PathBuf::from(dir),
            None => PathBuf::from(std::env::var_os("HOME").ok_or(SlotError::NoHome)?).join(".cache/flint/kernel"),
        };
        let root = std::path::absolute(&root).map_err(io_error(&root))?;
        Ok(KernelHome { root })
    }

    /// The kernel home at `root`.
    pub fn at(root: PathBuf) -> Self {
        KernelHome { root }
    }

    /// The slot's crate directory.
    pub fn slot_dir(&self) -> PathBuf {
        self.root.join("slot")
    }

    /// Where spare kernels wait (see [`crate::spare`]).
    pub fn spare_dir(&self) -> PathBuf {
        self.root.join("spare")
    }

    /// The kernels' toolchain (see [`crate::cell_build`]).
    pub fn toolchain_dir(&self) -> PathBuf {
        self.root.join("toolchain")
    }

    /// Whether `RUSTUP_TOOLCHAIN` holding `value` names one of this home's toolchains: a kernel's own setting,
    /// which a spare neither inherits nor keys on.
    pub fn is_toolchain(&self, value: Option<&std::ffi::OsStr>) -> bool {
        value.is_some_and(|v| Path::new(v).parent() == Some(self.toolchain_dir().as_path()))
    }

    /// The `flint-notebook` crate the cells link against.
    pub fn notebook_dir(&self) -> PathBuf {
        self.root.join("notebook")
    }

    /// Writes `flint-notebook` for the workspace `source`. Files whose contents are already there are left alone:
    /// a newer modification time would make every kernel relink the library.
    fn write_notebook_crate(&self, source: &Path) -> Result<(), SlotError> {
        let dir = self.notebook_dir();
        let src = dir.join("src");
        fs::create_dir_all(&src).map_err(io_error(&src))?;
        for (path, contents) in
            [(dir.join("Cargo.toml"), notebook_manifest(source)), (src.join("lib.rs"), NOTEBOOK_LIB.into())]
        {
            if fs::read(&path).ok().as_deref() != Some(contents.as_bytes()) {
                write_atomic(&path, contents.as_bytes())?;
            }
        }
        Ok(())
    }

    /// The directory holding the `evcxr.toml` the slot is built with.
    pub fn slot_config_dir(&self) -> PathBuf {
        self.root.join("slot.evcxr")
    }

    /// Writes the shared cargo configuration and an `evcxr.toml` in `config_dir` whose crate directory is `crate_dir`.
    pub fn write_config(&self, config_dir: &Path, crate_dir: &Path) -> Result<(), SlotError> {
        let cargo_dir = self.root.join(".cargo");
        fs::create_dir_all(&cargo_dir).map_err(io_error(&cargo_dir))?;
        write_atomic(&cargo_dir.join("config.toml"), CARGO_CONFIG.as_bytes())?;
        fs::create_dir_all(config_dir).map_err(io_error(config_dir))?;
        let evcxr = format!(
            "[evcxr]\ntmpdir = {}\nopt_level = \"0\"\nallow_static_linking = true\noffline_mode = true\n\
             preserve_vars_on_panic = true\n",
            toml_string(&crate_dir.display().to_string()),
        );
        write_atomic(&config_dir.join("evcxr.toml"), evcxr.as_bytes())
    }

    /// Creates a kernel's directory: its `evcxr.toml` and a copy of the slot. Fails if the slot is missing or stale.
    pub fn new_run(&self, source: &Path) -> Result<PathBuf, SlotError> {
        let slot = self.slot_dir();
        let expected = SlotKey::current(source)?;
        match SlotKey::read(&slot) {
            None => return Err(SlotError::Stale(format!("{} is missing", slot.display()))),
            Some(found) if found != expected => {
                return Err(SlotError::Stale(format!("{} was built for {}", slot.display(), found.differs(&expected))));
            }
            Some(_) => {}
        }
        let runs = self.root.join("run");
        remove_stale_runs(&runs);
        let nanos = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
        let run = runs.join(format!("{}-{nanos}", std::process::id()));
        let ctx = run_crate_dir(&run);
        copy_slot(&slot, &ctx)?;
        self.write_config(&run, &ctx)?;
        Ok(run)
    }
}

/// The crate directory of the kernel whose directory is `run`.
pub fn run_crate_dir(run: &Path) -> PathBuf {
    run.join("ctx")
}

/// Deletes the directories of kernels that are no longer running (named after their process id).
fn remove_stale_runs(runs: &Path) {
    let Ok(entries) = fs::read_dir(runs) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let pid = name.to_string_lossy().split('-').next().and_then(|p| p.parse::<u32>().ok());
        if let Some(pid) = pid
            && !Path::new(&format!("/proc/{pid}")).exists()
        {
            let _ = fs::remove_dir_all(entry.path());
        }
    }
}

/// Quotes a string for TOML.
fn toml_string(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_default()
}

/// Writes a file atomically: a temporary file in the same directory, then a rename.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), SlotError> {
    // A temporary name of this process's own: kernels starting together write the same shared files, and with one
    // temporary name one kernel's rename took the file the other was about to rename.
    static WRITES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = WRITES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(format!(".tmp-{}-{n}", std::process::id()));
    let tmp = PathBuf::from(tmp);
    fs::write(&tmp, bytes).map_err(io_error(&tmp))?;
    fs::rename(&tmp, path).map_err(|e| {
        let _ = fs::remove_file(&tmp);
        io_error(path)(e)
    })
}

/// What a slot was built from. A slot is used only when every field matches.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SlotKey {
    flint: String,
    rustc: String,
    sources: String,
}

impl SlotKey {
    const FILE: &'static str = "flint-slot.json";

    /// The key for the current binary, compiler and engine/mllib sources under the workspace `source`.
    pub fn current(source: &Path) -> Result<Self, SlotError> {
        let rustc = Command::new("rustc").arg("-vV").output().map_err(io_error(Path::new("rustc")))?.stdout;
        let mut hasher = Sha256::new();
        for part in ["Cargo.lock", "engine", "mllib"] {
            hash_tree(&source.join(part), &mut hasher)?;
        }
        hasher.update(notebook_manifest(source));
        hasher.update(NOTEBOOK_LIB);
        hasher.update(CARGO_CONFIG);
        Ok(SlotKey {
            flint: env!("CARGO_PKG_VERSION").to_string(),
            rustc: String::from_utf8_lossy(&rustc).trim().to_string(),
            sources: hex::encode(hasher.finalize()),
        })
    }

    fn read(slot: &Path) -> Option<Self> {
        serde_json::from_slice(&fs::read(slot.join(Self::FILE)).ok()?).ok()
    }

    /// Records that `slot` was built for this key.
    pub fn write(&self, slot: &Path) -> Result<(), SlotError> {
        let json = serde_json::to_vec_pretty(self).map_err(|e| SlotError::Build(e.to_string()))?;
        write_atomic(&slot.join(Self::FILE), &json)
    }

    /// Whether `slot` holds a build for this key.
    pub fn matches(&self, slot: &Path) -> bool {
        Self::read(slot).as_ref() == Some(self)
    }

    fn differs(&self, other: &Self) -> &'static str {
        if self.rustc != other.rustc {
            "another rustc"
        } else if self.flint != other.flint {
            "another version of flint"
        } else {
            "other engine or mllib sources (changed, or checked out again)"
        }
    }
}

/// Hashes the paths, modification times and contents of the source files under `path` (skipping `target`
/// directories and benchmarks' data), in a stable order. Times count because cargo's freshness checks use them: in
/// a fresh clone every source is newer than the slot's build, and a slot keyed on contents alone would have every
/// kernel recompile the engine in its copy.
fn hash_tree(path: &Path, hasher: &mut Sha256) -> Result<(), SlotError> {
    let meta = fs::metadata(path).map_err(io_error(path))?;
    if meta.is_file() {
        hasher.update(path.to_string_lossy().as_bytes());
        let modified = meta.modified().ok().and_then(|t| t.duration_since(SystemTime::UNIX_EPOCH).ok());
        hasher.update(modified.unwrap_or_default().as_nanos().to_le_bytes());
        hasher.update(fs::read(path).map_err(io_error(path))?);
        return Ok(());
    }
    let mut entries: Vec<PathBuf> =
        fs::read_dir(path).map_err(io_error(path))?.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for entry in entries {
        let name = entry.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let is_source = entry.is_dir() || name.ends_with(".rs") || name == "Cargo.toml";
        if name != "target" && !name.starts_with('.') && is_source {
            hash_tree(&entry, hasher)?;
        }
    }
    Ok(())
}

/// Copies the slot to a kernel's crate directory. Dependency artifacts (large, never rewritten: the kernel builds only
/// its cell crate) are hard-linked; everything cargo or evcxr may rewrite in place is copied with its modification
/// time, which cargo's freshness checks compare. Incremental caches are skipped.
pub fn copy_slot(from: &Path, to: &Path) -> Result<(), SlotError> {
    fs::create_dir_all(to).map_err(io_error(to))?;
    for entry in fs::read_dir(from).map_err(io_error(from))? {
        let entry = entry.map_err(io_error(from))?;
        let (src, dst) = (entry.path(), to.join(entry.file_name()));
        let name = entry.file_name().to_string_lossy().into_owned();
        let kind = entry.file_type().map_err(io_error(&src))?;
        if kind.is_dir() {
            if name != "incremental" {
                copy_slot(&src, &dst)?;
            }
        } else if kind.is_symlink() {
            let target = fs::read_link(&src).map_err(io_error(&src))?;
            std::os::unix::fs::symlink(target, &dst).map_err(io_error(&dst))?;
        } else if shared_artifact(&src, &name) {
            fs::hard_link(&src, &dst).map_err(io_error(&dst))?;
        } else {
            copy_with_mtime(&src, &dst)?;
        }
    }
    Ok(())
}

/// A compiled dependency: under `deps/` or a build script's `out/`, not the cell crate's or the engine's and mllib's
/// own (which a kernel may rebuild), and not a fingerprint. `flint-notebook`'s library, the largest file, is shared:
/// the linker replaces rather than rewrites its output.
fn shared_artifact(path: &Path, name: &str) -> bool {
    let own = ["libctx", "ctx-", "libcode_", "libflint_engine", "libflint_mllib", "flint_engine", "flint_mllib"]
        .iter()
        .any(|p| name.starts_with(p));
    let in_deps = path.parent().is_some_and(|p| p.ends_with("deps"));
    let in_out = path.components().any(|c| c.as_os_str() == "out");
    !own && !name.ends_with(".d") && (in_deps || in_out)
}

fn copy_with_mtime(src: &Path, dst: &Path) -> Result<(), SlotError> {
    fs::copy(src, dst).map_err(io_error(dst))?;
    let modified = fs::metadata(src).and_then(|m| m.modified()).map_err(io_error(src))?;
    fs::File::options().write(true).open(dst).and_then(|f| f.set_modified(modified)).map_err(io_error(dst))
}

/// Re-runs this program with the sanitised environment and `EVCXR_CONFIG_DIR` set, unless it already runs so, with
/// the kernels' toolchain when there is one and the user chose no other (`RUSTUP_TOOLCHAIN`). Returns `None` when
/// the current process is the sanitised one; otherwise only returns on failure.
pub fn reexec_sanitised(config_dir: &Path, home: &KernelHome) -> Option<io::Error> {
    use std::os::unix::process::CommandExt;
    if std::env::var_os(SANITISED).is_some() {
        return None;
    }
    let program = match std::env::current_exe() {
        Ok(p) => p,
        Err(e) => return Some(e),
    };
    let mut command = Command::new(&program);
    command.args(std::env::args_os().skip(1)).env(SANITISED, "1").env("EVCXR_CONFIG_DIR", config_dir);
    for (key, _) in std::env::vars_os() {
        if sanitised_away(&key) {
            command.env_remove(key);
        }
    }
    let chosen = std::env::var_os("RUSTUP_TOOLCHAIN");
    if chosen.is_none() || home.is_toolchain(chosen.as_deref()) {
        match crate::cell_build::write_toolchain(home, &program) {
            Ok(dir) => {
                command.env("RUSTUP_TOOLCHAIN", dir);
            }
            Err(e) => eprintln!("flint kernel: cells build through cargo: {e}"),
        }
    }
    Some(command.exec())
}

/// The Flint workspace whose engine and mllib the cells use: `$FLINT_SOURCE`, else the one this binary was built from.
pub fn source_dir() -> PathBuf {
    std::env::var_os("FLINT_SOURCE")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).parent().map(Path::to_path_buf).unwrap_or_default())
}

/// What every kernel runs before the first cell, and the slot is built with: `flint-notebook` (in `notebook_dir`)
/// as the cell crate's dependency, the engine and mllib under their own names, both preludes in scope, and a
/// ready `session`.
pub fn prelude(notebook_dir: &Path) -> String {
    format!(
        ":dep flint-notebook = {{ path = {} }}\nuse flint_notebook::{{flint_engine, flint_mllib}};\n\
         use flint_engine::prelude::*;\nuse flint_mllib::prelude::*;\nuse flint_engine::notebook::{{eprintln, println}};\n\
         flint_engine::notebook::install();\nlet session = Session::builder().app_name(\"flint-notebook\").get_or_create()?;\n",
        toml_string(&notebook_dir.display().to_string()),
    )
}

/// An evcxr context whose child process is this program, configured by the `evcxr.toml` in `EVCXR_CONFIG_DIR`,
/// building its cells in `crate_dir`.
pub fn new_context(
    mut child: Command,
    crate_dir: &Path,
) -> Result<(evcxr::CommandContext, evcxr::EvalContextOutputs), SlotError> {
    // Cells link the standard library and `flint-notebook` dynamically, and the relative run path rustc writes into
    // them does not hold once evcxr has moved the library: the child finds `libstd-*.so` in the toolchain's
    // directory and `flint-notebook` in the cell crate's (evcxr builds for the host target explicitly).
    let out = Command::new("rustc")
        .args(["--print", "host-tuple", "--print", "target-libdir"])
        .output()
        .map_err(io_error(Path::new("rustc")))?;
    let printed = String::from_utf8_lossy(&out.stdout);
    let mut lines = printed.lines();
    let (host, libdir) = (lines.next().unwrap_or_default(), lines.next().unwrap_or_default());
    let mut path = std::ffi::OsString::from(libdir);
    path.push(":");
    path.push(crate_dir.join("target").join(host).join("debug/deps"));
    if let Some(existing) = std::env::var_os("LD_LIBRARY_PATH") {
        path.push(":");
        path.push(existing);
    }
    child.env("LD_LIBRARY_PATH", path);
    let (eval, outputs) =
        evcxr::EvalContext::with_subprocess_command(child).map_err(|e| SlotError::Build(e.to_string()))?;
    Ok((evcxr::CommandContext::with_eval_context(eval), outputs))
}

/// Downloads every package of the workspace's lock file, for every platform. Cells run cargo offline, and evcxr
/// checks `:dep` lines with `cargo metadata`, which wants the packages of all platforms (Android's included), not
/// only those a build of this machine downloads. Without the network, the build goes on with what is there.
fn fetch_dependencies(source: &Path) {
    let status =
        Command::new("cargo").args(["fetch", "--locked", "--manifest-path"]).arg(source.join("Cargo.toml")).status();
    if !matches!(status, Ok(s) if s.success()) {
        eprintln!("flint: `cargo fetch` failed ({status:?}); building the slot with the packages already downloaded");
    }
}

/// Builds the slot (in the sanitised process whose `EVCXR_CONFIG_DIR` is the slot's configuration) unless it is
/// already built for the current key.
pub fn build_slot(home: &KernelHome, source: &Path) -> Result<(), SlotError> {
    let key = SlotKey::current(source)?;
    let slot = home.slot_dir();
    if key.matches(&slot) {
        return Ok(());
    }
    fs::create_dir_all(&slot).map_err(io_error(&slot))?;
    let lock = slot.join("Cargo.lock");
    if !lock.exists() {
        // Seeds the cell crate's resolution with the workspace's tested versions.
        fs::copy(source.join("Cargo.lock"), &lock).map_err(io_error(&lock))?;
    }
    fetch_dependencies(source);
    home.write_notebook_crate(source)?;
    let program = std::env::current_exe().map_err(io_error(Path::new("flint")))?;
    let (mut context, outputs) = new_context(Command::new(program), &slot)?;
    // Cargo's output is not streamed by evcxr; the child's own output goes to the log.
    std::thread::spawn(move || {
        for line in outputs.stderr.iter() {
            eprintln!("{line}");
        }
    });
    context.execute(&prelude(&home.notebook_dir())).map_err(|e| SlotError::Build(e.to_string()))?;
    key.write(&slot)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writers_of_one_file_at_once_all_succeed() {
        // Kernels that start together all write the kernel home's shared `.cargo/config.toml`.
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("config.toml");
        std::thread::scope(|s| {
            for t in 0..8 {
                let path = &path;
                s.spawn(move || {
                    for i in 0..50 {
                        write_atomic(path, format!("writer {t}, write {i}\n").as_bytes()).expect("an atomic write");
                    }
                });
            }
        });
        let last = fs::read_to_string(&path).expect("the file");
        assert!(last.starts_with("writer ") && last.ends_with("write 49\n"), "{last:?}");
        let left: Vec<_> = fs::read_dir(dir.path()).expect("dir").flatten().map(|e| e.file_name()).collect();
        assert_eq!(left, vec![std::ffi::OsString::from("config.toml")], "no temporary file is left");
    }
}
