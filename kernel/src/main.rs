//! `flint`: the command-line front of Flint.
//!
//! ```text
//! flint version
//! flint run [--inplace] NOTEBOOK...
//! flint kernel install [--user | --sys-prefix | --prefix DIR]
//! flint kernel run --connection-file FILE
//! flint kernel spare [--start]
//! flint kernel cargo REAL_CARGO WRAPPER ARGS...     (the kernels' toolchain; see flint_kernel::cell_build)
//! flint kernel rustc-wrapper RUSTC ARGS...
//! ```

use flint_kernel::cell_build;
use flint_kernel::exec::ExecConfig;
use flint_kernel::install::{self, Destination};
use flint_kernel::server::Kernel;
use flint_kernel::slot::{self, KernelHome};
use flint_kernel::spare::{self, Spare};
use std::path::PathBuf;
use std::process::ExitCode;

const USAGE: &str = "usage:
  flint version
  flint run [--inplace] NOTEBOOK...                            execute notebooks through the kernel, one line each
                                                               (--inplace saves their outputs)
  flint kernel install [--user | --sys-prefix | --prefix DIR]   write the Jupyter kernelspec (default --user) and
                                                               build the kernel's warm slot (once per engine version)
  flint kernel warm                                            build the warm slot only
  flint kernel run --connection-file FILE                      serve a Jupyter connection (Jupyter runs this)
  flint kernel spare [--start]                                 run a kernel ahead of its notebook (kernels run
                                                               this; --start starts one in the background and
                                                               returns; FLINT_KERNEL_SPARE=0 turns spares off)";

fn usage_error(message: &str) -> ExitCode {
    eprintln!("flint: {message}\n\n{USAGE}");
    ExitCode::from(2)
}

fn kernel(args: &[String]) -> ExitCode {
    match args.first().map(String::as_str) {
        Some("install") => {
            let destination = match &args[1..] {
                [] => Destination::User,
                [flag] if flag == "--user" => Destination::User,
                [flag] if flag == "--sys-prefix" => Destination::SysPrefix,
                [flag, dir] if flag == "--prefix" => Destination::Prefix(PathBuf::from(dir)),
                _ => return usage_error("kernel install takes --user, --sys-prefix or --prefix DIR"),
            };
            let program = match std::env::current_exe() {
                Ok(p) => p,
                Err(e) => return usage_error(&format!("cannot find this program's path: {e}")),
            };
            match install::install(&destination, &program) {
                Ok(dir) => {
                    println!("installed the Flint kernelspec in {}", dir.display());
                    // The warm slot is built in its own process: `warm` restarts itself with a clean environment.
                    match std::process::Command::new(&program).args(["kernel", "warm"]).status() {
                        Ok(status) if status.success() => ExitCode::SUCCESS,
                        Ok(_) => ExitCode::FAILURE,
                        Err(e) => {
                            eprintln!("flint: building the warm slot: {e}");
                            ExitCode::FAILURE
                        }
                    }
                }
                Err(e) => {
                    eprintln!("flint: installing the kernelspec: {e}");
                    ExitCode::FAILURE
                }
            }
        }
        Some("run") => {
            let file = match &args[1..] {
                [flag, file] if flag == "--connection-file" || flag == "-f" => PathBuf::from(file),
                _ => return usage_error("kernel run takes --connection-file FILE"),
            };
            run_kernel(&file)
        }
        Some("spare") if args.len() == 1 => run_spare(),
        Some("spare") if args[1..] == ["--start"] => match KernelHome::from_env() {
            Ok(home) => {
                spare::start(&home);
                ExitCode::SUCCESS
            }
            Err(e) => usage_error(&e.to_string()),
        },
        Some("warm") => {
            let home = match KernelHome::from_env() {
                Ok(h) => h,
                Err(e) => return usage_error(&e.to_string()),
            };
            if let Err(e) = home.write_config(&home.slot_config_dir(), &home.slot_dir()) {
                eprintln!("flint: {e}");
                return ExitCode::FAILURE;
            }
            if let Some(e) = slot::reexec_sanitised(&home.slot_config_dir(), &home) {
                eprintln!("flint: restarting with a clean environment: {e}");
                return ExitCode::FAILURE;
            }
            let started = std::time::Instant::now();
            match slot::build_slot(&home, &slot::source_dir()) {
                Ok(()) => {
                    println!(
                        "warm slot ready in {} ({:.1} s)",
                        home.slot_dir().display(),
                        started.elapsed().as_secs_f64()
                    );
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("flint: {e}");
                    ExitCode::FAILURE
                }
            }
        }
        _ => usage_error("unknown kernel command"),
    }
}

/// A kernel's directory, a copy of the warm slot, in a process restarted with the sanitised environment: returns
/// in that process only (the first one execs it). `warm` builds the slot first when it is missing or stale.
fn kernel_process(warm: bool) -> Result<(PathBuf, ExecConfig), ExitCode> {
    let program = std::env::current_exe().map_err(|e| usage_error(&format!("cannot find this program's path: {e}")))?;
    let home = KernelHome::from_env().map_err(|e| usage_error(&e.to_string()))?;
    let run_dir = match std::env::var_os(slot::SANITISED) {
        Some(_) => std::env::var_os("EVCXR_CONFIG_DIR").map(PathBuf::from).unwrap_or_default(),
        None => {
            if warm
                && !matches!(std::process::Command::new(&program).args(["kernel", "warm"]).status(), Ok(s) if s.success())
            {
                return Err(ExitCode::FAILURE);
            }
            let run_dir = home.new_run(&slot::source_dir()).map_err(|e| {
                eprintln!("flint kernel: {e}");
                ExitCode::FAILURE
            })?;
            let e = slot::reexec_sanitised(&run_dir, &home);
            eprintln!("flint kernel: restarting with a clean environment: {e:?}");
            return Err(ExitCode::FAILURE);
        }
    };
    let exec = ExecConfig {
        notebook: home.notebook_dir(),
        crate_dir: slot::run_crate_dir(&run_dir),
        program,
        control: Some(run_dir.join("control.sock")),
        warm_up: None,
    };
    Ok((run_dir, exec))
}

/// `flint run`: each notebook in a fresh kernel context; one line per notebook; fails if any cell failed.
fn run_notebooks(args: &[String]) -> ExitCode {
    let inplace = args.iter().any(|a| a == "--inplace");
    let notebooks: Vec<&String> = args.iter().filter(|a| *a != "--inplace").collect();
    if notebooks.is_empty() {
        return usage_error("run takes one or more notebooks");
    }
    let (run_dir, exec) = match kernel_process(true) {
        Ok(k) => k,
        Err(code) => return code,
    };
    let mut failed = 0;
    for notebook in notebooks {
        let path = std::path::Path::new(notebook);
        let name = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        match flint_kernel::run::run_notebook(exec.clone(), path, inplace) {
            Ok(run) => match run.failure {
                None => println!(
                    "ok   {name} ({:.1} s, {} cells): {}",
                    run.elapsed.as_secs_f64(),
                    run.cells,
                    run.last_line.unwrap_or_default()
                ),
                Some((cell, error)) => {
                    failed += 1;
                    println!("FAIL {name}: cell {cell}: {error}");
                }
            },
            Err(e) => {
                failed += 1;
                println!("FAIL {name}: {e}");
            }
        }
    }
    let _ = std::fs::remove_dir_all(&run_dir);
    if failed == 0 { ExitCode::SUCCESS } else { ExitCode::FAILURE }
}

/// The spare key of this process, if spares are on (see `flint_kernel::spare`).
fn spare_key() -> Option<(KernelHome, String)> {
    if !spare::enabled() {
        return None;
    }
    let home = KernelHome::from_env().ok()?;
    let key = spare::key(&home, &slot::source_dir()).ok()?;
    Some((home, key))
}

/// `flint kernel run`: hands the connection to a waiting spare kernel and waits for it; without one, copies the warm
/// slot, restarts with the sanitised environment, then serves.
fn run_kernel(connection_file: &std::path::Path) -> ExitCode {
    if std::env::var_os(slot::SANITISED).is_none()
        && let Some((home, key)) = spare_key()
        && let Some(taken) = spare::take(&home, &key, connection_file)
    {
        eprintln!("flint kernel: served by the spare kernel {}", taken.pid);
        return ExitCode::from(taken.wait());
    }
    let (run_dir, exec) = match kernel_process(false) {
        Ok(k) => k,
        Err(code) => return code,
    };
    let code = serve(Kernel::start(Some(exec)), connection_file);
    let _ = std::fs::remove_dir_all(&run_dir);
    ExitCode::from(code)
}

/// Serves a connection with a started kernel, and starts a spare for the next one; the exit code.
fn serve(kernel: Kernel, connection_file: &std::path::Path) -> u8 {
    if let Ok(home) = KernelHome::from_env() {
        spare::start(&home);
    }
    match kernel.run(connection_file) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("flint kernel: {e}");
            1
        }
    }
}

/// `flint kernel spare`: a kernel that loads the prelude and warms rust-analyzer up, then waits for a launcher's
/// connection file (or exits when nobody came in time).
fn run_spare() -> ExitCode {
    let Some((home, key)) = spare_key() else { return ExitCode::SUCCESS };
    // Before copying a slot: most kernels find the spare already there.
    if std::env::var_os(slot::SANITISED).is_none() && spare::waiting(&home, &key) {
        return ExitCode::SUCCESS;
    }
    let (run_dir, exec) = match kernel_process(false) {
        Ok(k) => k,
        Err(code) => return code,
    };
    let code = spare_kernel(&home, &key, exec);
    let _ = std::fs::remove_dir_all(&run_dir);
    ExitCode::from(code)
}

/// The spare's life in its sanitised process, once its kernel directory exists; the exit code.
fn spare_kernel(home: &KernelHome, key: &str, mut exec: ExecConfig) -> u8 {
    let spare = match Spare::claim(home, key) {
        Ok(Some(spare)) => spare,
        Ok(None) => return 0,
        Err(e) => {
            eprintln!("flint kernel spare: {e}");
            return 1;
        }
    };
    let (warmed, warm) = crossbeam_channel::bounded(1);
    exec.warm_up = Some(warmed);
    let kernel = Kernel::start(Some(exec));
    let pid = std::process::id();
    eprintln!("flint kernel spare {pid}: waiting");
    let Some(handoff) = spare.wait(warm) else {
        eprintln!("flint kernel spare {pid}: not taken (idle, or its prelude failed); exiting");
        if let Some(executor) = kernel.executor() {
            executor.kill();
        }
        return 0;
    };
    eprintln!("flint kernel spare {pid}: serving {}", handoff.connection_file.display());
    // Restarted cell processes start here too.
    if let Err(e) = std::env::set_current_dir(&handoff.cwd) {
        eprintln!("flint kernel spare {pid}: cannot enter {}: {e}", handoff.cwd.display());
    }
    if let Some(executor) = kernel.executor() {
        executor.chdir(handoff.cwd.clone());
        let executor = executor.clone();
        // At once, as Jupyter's kill of a fresh kernel would: the ports Jupyter restarts a kernel on must be free.
        // The kernel's directory is left to the next kernel's clean-up of dead kernels' directories.
        handoff.watch_launcher(move || {
            eprintln!("flint kernel spare {pid}: the launcher is gone; exiting");
            executor.kill();
            std::process::exit(1);
        });
    }
    let connection_file = handoff.connection_file.clone();
    let code = serve(kernel, &connection_file);
    // The launcher exits first, so that Jupyter sees the kernel stop before the directory is cleaned up.
    handoff.finish(code);
    code
}

fn main() -> ExitCode {
    // The same binary is evcxr's child process and its rustc wrapper: those roles never return from here.
    evcxr::runtime_hook();
    // The kernels' toolchain (see `flint_kernel::cell_build`): arguments are cargo's and rustc's, maybe not UTF-8.
    let raw: Vec<std::ffi::OsString> = std::env::args_os().skip(1).collect();
    match raw.iter().take(2).map(|a| a.to_str()).collect::<Vec<_>>().as_slice() {
        [Some("kernel"), Some("cargo")] if raw.len() >= 4 => {
            let (real, wrapper) = (std::path::Path::new(&raw[2]), std::path::Path::new(&raw[3]));
            return ExitCode::from(cell_build::cargo(real, wrapper, &raw[4..]));
        }
        [Some("kernel"), Some("rustc-wrapper")] => return ExitCode::from(cell_build::rustc_wrapper(&raw[2..])),
        _ => {}
    }
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("--version") | Some("version") => {
            println!("flint {}", env!("CARGO_PKG_VERSION"));
            ExitCode::SUCCESS
        }
        Some("kernel") => kernel(&args[1..]),
        Some("run") => run_notebooks(&args[1..]),
        _ => usage_error("unknown command"),
    }
}
